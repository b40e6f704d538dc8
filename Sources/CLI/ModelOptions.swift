import ArgumentParser
import KerasIO

/// The model file and, for weights-only files, where its architecture is;
/// shared by every subcommand that reads a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "The Keras file: .keras, .h5, or a weights-only .weights.h5 / save_weights .h5 (format told by content).")
    var model: String

    @Option(name: .long, help: ArgumentHelp(
        "For a weights-only file: the architecture, as model.to_json() output or a .keras/.h5 model file.",
        valueName: "file"))
    var config: String?

    func load() throws -> KerasModel {
        Supervisor.reading(model)
        return try KerasModel.load(from: model, architecture: config)
    }
}
