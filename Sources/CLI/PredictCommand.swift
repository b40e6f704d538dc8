import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio predict MODEL --input IN [--output OUT]`.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a Keras model on inputs from a .npy or .csv file.",
        discussion: """
            IN is a NumPy .npy array (float32 or float64) shaped (batch, steps, features), or (steps, features) \
            for one sample; or a CSV with one sample per row (steps*features numbers, optional header). \
            OUT is .npy (float32, the model's output shape) or .csv; without --output, CSV goes to stdout, \
            one sample per row, 9 significant digits.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "The input samples: a .npy or .csv file.")
    var input: String

    @Option(name: .long, help: "Where to write the predictions: a .npy or .csv file. Default: CSV on stdout.")
    var output: String?

    func validate() throws {
        if let output, ArrayFileKind(path: output) == nil {
            throw ValidationError("--output must end in .npy or .csv, got '\(output)'")
        }
    }

    func run() throws {
        let keras = try options.load()
        let batch = try ArrayFileKind.readInput(input, for: keras)
        let prediction: Tensor
        do {
            prediction = try keras.predict(batch)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: input)
        }
        let rows = prediction.shape.first ?? 1
        let perRow = rows == 0 ? 0 : prediction.count / rows
        let table = (0..<rows).map { Array(prediction.scalars[$0 * perRow..<($0 + 1) * perRow]) }
        switch output.flatMap(ArrayFileKind.init(path:)) {
        case .npy?:
            try NumpyArrayFile.write(NumpyArray(shape: prediction.shape, values: prediction.scalars), to: output ?? "")
        case .csv?:
            try CSVArrayFile.write(rows: table, to: output ?? "")
        case nil:
            print(CSVArrayFile.format(table), terminator: "")
        }
    }
}

/// The array file types `predict` reads and writes, by extension or content.
enum ArrayFileKind {
    case npy, csv

    init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "npy": self = .npy
        case "csv", "txt": self = .csv
        default: return nil
        }
    }

    /// Reads IN and shapes it for the model. A file without a known
    /// extension is read as .npy if it starts with NumPy's magic, else as CSV.
    static func readInput(_ path: String, for model: KerasModel) throws -> Tensor {
        Supervisor.reading(path)
        let kind = ArrayFileKind(path: path) ?? (NumpyArrayFile.looksLikeNumpy(path) ? .npy : .csv)
        do {
            switch kind {
            case .npy:
                let array = try NumpyArrayFile.read(from: path)
                return try ModelInput.batch(fromArray: array.shape, values: array.values, for: model, file: path)
            case .csv:
                let table = try CSVArrayFile.read(from: path)
                return try ModelInput.batch(
                    fromRows: table.rows, columns: table.columns, values: table.values, for: model, file: path)
            }
        }
    }
}
