import ArgumentParser
import Foundation
import KerasIO

/// `kerasio convert IN OUT [--keras 3|2]`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a model in another Keras format, for Keras 3 or tf.keras 2.",
        discussion: """
            OUT's extension picks the format: .keras (Keras 3 archive), .weights.h5 (Keras 3 weights), \
            .h5 (legacy full model). --keras picks the reader: 3 (default) writes the config Keras 3 accepts, \
            2 the one tf.keras 2 expects, so a tf.keras file converted with --keras 3 loads in Keras 3. \
            The file is written to a temporary file and renamed into place: on error OUT is left as it was.
            """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case keras3 = "3"
        case keras2 = "2"

        var generation: KerasGeneration { self == .keras3 ? .keras3 : .keras2 }
    }

    @OptionGroup var options: ModelOptions

    @Argument(help: "The file to write: .keras, .weights.h5 or .h5.")
    var output: String

    @Option(name: .long, help: "The Keras that will read OUT: 3 or 2.")
    var keras: Target = .keras3

    func validate() throws {
        if KerasFileFormat(writingPath: output) == nil {
            throw ValidationError("OUT must end in .keras, .weights.h5 or .h5, got '\(output)'")
        }
    }

    func run() throws {
        let model = try options.load()
        try model.save(to: output, keras: keras.generation)
    }
}
