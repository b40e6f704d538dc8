import Foundation
import KerasIO
import Testing

/// The command line for models with several inputs and outputs: `predict`
/// with one `--input`/`--output` each (or NAME=PATH), `fit` with `--x`/`--y`,
/// and `import` showing the graph as `model.summary()` does.
@Suite("kerasio runs Functional models with several inputs and outputs")
struct FunctionalCommandTests {
    static let base = CLI.fixture("functional/keras3/two_inputs_concat")
    static let outputs = CLI.fixture("functional/keras3/two_outputs")

    static func difference(_ path: String, _ expected: String) throws -> Float {
        let ours = try NumpyArrayFile.read(from: path), keras = try NumpyArrayFile.read(from: expected)
        #expect(ours.shape == keras.shape)
        return zip(ours.values, keras.values).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
    }

    @Test("one --input per model input, in order or by NAME=PATH in any order, predicts Keras's numbers")
    func severalInputs() throws {
        let directory = try CLI.temporaryDirectory()
        let y = directory.appendingPathComponent("y.npy").path
        let model = try KerasModel.load(from: "\(Self.base).h5")
        let names = model.inputNames
        #expect(names.count == 2)
        let inOrder = try CLI.run(["predict", "\(Self.base).h5", "--input", "\(Self.base).input0.npy", "--input", "\(Self.base).input1.npy", "--output", y])
        #expect(inOrder.status == 0, "\(inOrder.stderr)")
        #expect(try Self.difference(y, "\(Self.base).expected0.npy") <= 1e-5)
        let named = try CLI.run(["predict", "\(Self.base).keras", "--input", "\(names[1])=\(Self.base).input1.npy",
                                 "--input", "\(names[0])=\(Self.base).input0.npy", "--output", y])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try Self.difference(y, "\(Self.base).expected0.npy") <= 1e-5)
        // Swapped positional inputs have the wrong shapes: one line naming the input, nothing written.
        try? FileManager.default.removeItem(atPath: y)
        let swapped = try CLI.run(["predict", "\(Self.base).h5", "--input", "\(Self.base).input1.npy", "--input", "\(Self.base).input0.npy", "--output", y])
        #expect(swapped.status != 0 && swapped.stderr.hasPrefix("error: ") && swapped.stderr.split(separator: "\n").count == 1, "\(swapped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: y))
        let missing = try CLI.run(["predict", "\(Self.base).h5", "--input", "\(Self.base).input0.npy"])
        #expect(missing.status != 0 && missing.stderr.contains("2 inputs") && missing.stderr.contains(names[1]), "\(missing.stderr)")
    }

    @Test("one --output per model output; without --output each output is printed under '# NAME'")
    func severalOutputs() throws {
        let directory = try CLI.temporaryDirectory()
        let model = try KerasModel.load(from: "\(Self.outputs).h5")
        let names = model.outputNames
        #expect(names.count == 2)
        let a = directory.appendingPathComponent("a.npy").path, b = directory.appendingPathComponent("b.csv").path
        let result = try CLI.run(["predict", "\(Self.outputs).h5", "--input", "\(Self.outputs).input0.npy",
                                  "--output", "\(names[1])=\(b)", "--output", "\(names[0])=\(a)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.difference(a, "\(Self.outputs).expected0.npy") <= 1e-5)
        let csvRows = try String(contentsOfFile: b, encoding: .utf8).split(separator: "\n")
        let expected1 = try NumpyArrayFile.read(from: "\(Self.outputs).expected1.npy")
        #expect(csvRows.count == expected1.shape[0])
        let printed = try CLI.run(["predict", "\(Self.outputs).h5", "--input", "\(Self.outputs).input0.npy"])
        #expect(printed.status == 0)
        let lines = printed.stdout.split(separator: "\n")
        #expect(lines.first == "# \(names[0])" && lines.contains("# \(names[1])"), "\(printed.stdout)")
        #expect(lines.count == 2 + 2 * expected1.shape[0])
    }

    /// Found by the interop check: the streamed predict took a free output axis for the steps.
    @Test("a streamed predict whose output's free axis is not the steps (Flatten of variable steps) gives Keras's numbers")
    func flattenVariableSteps() throws {
        let base = CLI.fixture("shape_layers/keras3/flatten_variable_steps_last")
        let y = try CLI.temporaryDirectory().appendingPathComponent("y.npy").path
        let result = try CLI.run(["predict", "\(base).h5", "--input", "\(base).input.npy", "--output", y])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.difference(y, "\(base).expected.npy") <= 1e-5)
    }

    @Test("import shows every input and output and what each layer is connected to")
    func importShowsGraph() throws {
        let result = try CLI.run(["import", "\(Self.base).h5"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Connected to") && result.stdout.contains("Inputs:") && result.stdout.contains("Outputs:"))
        let model = try KerasModel.load(from: "\(Self.base).h5")
        for name in model.inputNames { #expect(result.stdout.contains("\(name)[0][0]"), "\(name)") }
    }

    @Test("fit with one --x per input and one --y and --loss per output, loss weights, writes a model Keras's shapes fit")
    func fitSeveral() throws {
        let training = CLI.fixture("functional_training/keras3/two_outputs")
        let directory = try CLI.temporaryDirectory()
        let out = directory.appendingPathComponent("trained.keras").path
        let result = try CLI.run(["fit", "\(training).initial.h5", "--x", "\(training).x.npy", "--y", "\(training).y0.npy",
                                  "--y", "\(training).y1.npy", "--loss", "mse", "--loss", "categorical_crossentropy",
                                  "--loss-weights", "1,0.5", "--optimizer", "sgd", "--no-shuffle", "--batch-size", "4", "--output", out])
        #expect(result.status == 0, "\(result.stderr)")
        let trained = try KerasModel.load(from: out)
        #expect(trained.outputNames.count == 2 && trained.network.graph != nil)
        let wrong = try CLI.run(["fit", "\(training).initial.h5", "--x", "\(training).x.npy", "--y", "\(training).y0.npy",
                                 "--loss", "mse", "--optimizer", "sgd", "--output", directory.appendingPathComponent("w.keras").path])
        #expect(wrong.status != 0 && wrong.stderr.contains("2 outputs"), "\(wrong.stderr)")
    }
}
