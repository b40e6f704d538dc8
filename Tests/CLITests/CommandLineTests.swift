import Foundation
import Testing
import TestSupport

/// Runs the built `kerasio` binary as a user would and checks its output,
/// exit status and error lines.
enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ relative: String) -> String {
        packageRoot.appendingPathComponent("fixtures").appendingPathComponent(relative).path
    }

    /// The binary sits next to the test bundle in the build directory.
    static let binary: URL = {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ].compactMap { $0?.appendingPathComponent("kerasio") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[candidates.count - 1]
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs kerasio; `environment` adds to (or overrides) this process's variables.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Reads a little-endian float32 .npy written by kerasio or NumPy (version 1 header).
    static func readNumpy(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<10 + headerLength], as: UTF8.self)
        let shapeText = header.split(separator: "(").last?.split(separator: ")").first ?? ""
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let body = Array(data[(10 + headerLength)...])
        let values = stride(from: 0, to: body.count, by: 4).map { i in
            Float(bitPattern: UInt32(body[i]) | UInt32(body[i + 1]) << 8 | UInt32(body[i + 2]) << 16 | UInt32(body[i + 3]) << 24)
        }
        return (shape, values)
    }

    /// Why kerasio's numbers disagree with Keras's (count and shape first,
    /// then 1e-5, relative above 1), or nil: see `Agreement`.
    static func mismatch(_ ours: [Float], shape: [Int]? = nil, keras: [Float], kerasShape: [Int]? = nil) -> String? {
        Agreement.mismatch(ours, shape: shape, expected: keras, expectedShape: kerasShape, tolerance: 1e-5,
                           what: "prediction")
    }

    /// The first column of a CSV prediction, after checking every row has
    /// exactly `columns` values (nil otherwise, which no comparison passes).
    static func csvColumn(_ text: String, columns: Int = 1) -> [Float] {
        let rows = csvValues(text)
        guard rows.allSatisfy({ $0.count == columns }) else { return [] }
        return rows.flatMap { $0 }
    }

    static func csvValues(_ text: String) -> [[Float]] {
        text.split(separator: "\n").map { $0.split(separator: ",").compactMap { Float($0) } }
    }
}

@Suite("kerasio import")
struct ImportCommandTests {
    @Test("prints format, Keras version, backend and a summary table")
    func table() throws {
        let result = try CLI.run(["import", CLI.fixture("keras3/sunspots.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        for text in ["Keras legacy HDF5 model", "3.15.1", "tensorflow", "(SimpleRNN)", "(Dense)",
                     "(None, 3)", "(None, 1)", "tanh", "Total params: 19"] {
            #expect(result.stdout.contains(text), "output has \(text)")
        }
        #expect(result.stderr.isEmpty)
    }

    @Test("--json prints one JSON document with the same content")
    func json() throws {
        let result = try CLI.run(["import", CLI.fixture("keras2/stacked.h5"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["keras_version"] as? String == "2.21.0")
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.map { $0["class_name"] as? String } == ["SimpleRNN", "SimpleRNN", "Dense"])
        // (5·(1+5+1)=... ) counted by Keras's rule: units·(features + units + 1).
        let params = layers.compactMap { $0["params"] as? Int }
        #expect(object["total_params"] as? Int == params.reduce(0, +))
    }
}

@Suite("kerasio predict")
struct PredictCommandTests {
    let model = CLI.fixture("keras3/sunspots.h5")
    let input = CLI.fixture("keras3/sunspots.input.npy")

    func expected() throws -> [Float] {
        try CLI.readNumpy(CLI.fixture("keras3/sunspots.expected.npy")).values
    }

    @Test("CSV on stdout, one sample per row, within 1e-5 of Keras")
    func stdout() throws {
        let result = try CLI.run(["predict", model, "--input", input])
        #expect(result.status == 0, "\(result.stderr)")
        let mismatch = CLI.mismatch(CLI.csvColumn(result.stdout), keras: try expected())
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("--output .npy writes float32 in the model's output shape; .csv writes rows")
    func outputFiles() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let npy = directory.appendingPathComponent("out.npy").path
        let sequenceModel = CLI.fixture("keras2/return_sequences.h5")
        let result = try CLI.run(["predict", sequenceModel, "--input", CLI.fixture("keras2/return_sequences.input.npy"), "--output", npy])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let written = try CLI.readNumpy(npy)
        let keras = try CLI.readNumpy(CLI.fixture("keras2/return_sequences.expected.npy"))
        let npyMismatch = CLI.mismatch(written.values, shape: written.shape, keras: keras.values, kerasShape: keras.shape)
        #expect(npyMismatch == nil, "\(npyMismatch ?? "")")

        let csv = directory.appendingPathComponent("out.csv").path
        let csvResult = try CLI.run(["predict", model, "--input", input, "--output", csv])
        #expect(csvResult.status == 0, "\(csvResult.stderr)")
        #expect(csvResult.stdout.isEmpty)
        let csvMismatch = CLI.mismatch(CLI.csvColumn(try String(contentsOfFile: csv, encoding: .utf8)), keras: try expected())
        #expect(csvMismatch == nil, "\(csvMismatch ?? "")")
    }

    @Test("a CSV input with a header row gives the same predictions")
    func csvInput() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let array = try CLI.readNumpy(input)
        let perRow = array.values.count / array.shape[0]
        var text = (1...perRow).map { "t\($0)" }.joined(separator: ",") + "\n"
        for r in 0..<array.shape[0] {
            text += array.values[r * perRow..<(r + 1) * perRow].map { String(format: "%.9g", $0) }.joined(separator: ",") + "\n"
        }
        let csv = directory.appendingPathComponent("in.csv")
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let result = try CLI.run(["predict", model, "--input", csv.path])
        #expect(result.status == 0, "\(result.stderr)")
        let mismatch = CLI.mismatch(CLI.csvColumn(result.stdout), keras: try expected())
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}

@Suite("kerasio errors: one line, non-zero exit, nothing else")
struct CommandErrorTests {
    static let cases: [(String, [String], String)] = [
        ("not HDF5", ["import", CLI.fixture("bad/not_hdf5.h5")], "not_hdf5.h5"),
        ("empty", ["import", CLI.fixture("bad/empty.h5")], "empty.h5"),
        ("truncated", ["predict", CLI.fixture("bad/truncated.h5"), "--input", CLI.fixture("keras3/sunspots.input.npy")], "truncated.h5"),
        ("no model_config", ["import", CLI.fixture("bad/no_model_config.h5")], "no_model_config.h5"),
        ("bad JSON", ["import", CLI.fixture("bad/bad_json.h5")], "bad_json.h5"),
        ("LSTM recurrent_dropout training", ["fit", CLI.fixture("recurrent/keras3/lstm_dropout.h5"),
            "--x", CLI.fixture("recurrent/keras3/lstm_dropout.input.npy"), "--y", CLI.fixture("recurrent/keras3/lstm_dropout.expected.npy"),
            "--loss", "mse", "--optimizer", "sgd", "--output", "/tmp/kerasio-never-written.h5"], "lstm_dropout.h5: layer 'lstm': LSTM training with recurrent_dropout"),
        ("missing weight", ["import", CLI.fixture("bad/missing_weight.h5")], "missing_weight.h5"),
        ("wrong shape", ["import", CLI.fixture("bad/wrong_shape.h5")], "wrong_shape.h5"),
        ("missing model", ["import", "/nonexistent/model.h5"], "/nonexistent/model.h5"),
        ("wrong features", ["predict", CLI.fixture("keras3/sunspots.h5"), "--input", CLI.fixture("bad/input_wrong_features.npy")], "input_wrong_features.npy"),
        ("bad npy", ["predict", CLI.fixture("keras3/sunspots.h5"), "--input", CLI.fixture("bad/input_bad.npy")], "input_bad.npy"),
        ("bad csv", ["predict", CLI.fixture("keras3/sunspots.h5"), "--input", CLI.fixture("../README.md")], "README.md"),
        ("missing input", ["predict", CLI.fixture("keras3/sunspots.h5"), "--input", "/nonexistent/x.npy"], "/nonexistent/x.npy"),
        ("bad output extension", ["predict", CLI.fixture("keras3/sunspots.h5"), "--input", CLI.fixture("keras3/sunspots.input.npy"), "--output", "out.txt.gz"], "--output"),
        ("missing argument", ["predict"], "error: "),
        ("unknown subcommand", ["frobnicate"], "error: "),
    ]

    @Test("each failure prints exactly one error line naming the file", arguments: 0..<cases.count)
    func oneLine(_ index: Int) throws {
        let (label, arguments, mention) = Self.cases[index]
        let result = try CLI.run(arguments)
        #expect(result.status != 0, "\(label) exits non-zero")
        #expect(result.stdout.isEmpty, "\(label) prints nothing on stdout")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(label): \(result.stderr)")
        #expect(result.stderr.hasPrefix("error: "), "\(label)")
        #expect(result.stderr.contains(mention), "\(label) mentions \(mention): \(result.stderr)")
        #expect(!result.stderr.contains("HDF5-DIAG") && !result.stderr.contains("Fatal error"))
    }

    @Test("a failed prediction leaves an existing output file untouched")
    func outputUntouched() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("keep.npy")
        try Data("precious".utf8).write(to: out)
        let result = try CLI.run(["predict", CLI.fixture("keras3/sunspots.h5"), "--input", CLI.fixture("bad/input_wrong_features.npy"), "--output", out.path])
        #expect(result.status != 0)
        #expect(try Data(contentsOf: out) == Data("precious".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["keep.npy"], "no temporary files left behind")
    }
}
