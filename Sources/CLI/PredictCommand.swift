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
            one sample per row, 9 significant digits. A C-order .npy input is read, predicted and written \
            a chunk of samples at a time, so memory does not grow with its length.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: ArgumentHelp(
        "The input samples: a .npy or .csv file; one --input per model input, in the model's input order, or NAME=PATH.",
        valueName: "IN"))
    var input: [String]

    @Option(name: .long, help: ArgumentHelp(
        "Where to write the predictions (.npy or .csv); one per model output, in order, or NAME=PATH. "
            + "Default: CSV on stdout, each output under a '# NAME' line when there are several.",
        valueName: "OUT"))
    var output: [String] = []

    func validate() throws {
        for output in output where ArrayFileKind(path: NamedArguments.path(output)) == nil {
            throw ValidationError("--output must end in .npy or .csv, got '\(output)'")
        }
    }

    func run() throws {
        let keras = try options.load()
        let inputs = try NamedArguments.assign(input, to: keras.inputNames, what: "input", option: "--input", model: options.model)
        let outputs = output.isEmpty
            ? [] : try NamedArguments.assign(output, to: keras.outputNames, what: "output", option: "--output", model: options.model)
        if keras.network.graph != nil {
            try predictGraph(keras, inputs: inputs, outputs: outputs)
            return
        }
        let input = inputs[0], output = outputs.first
        // A stateful model's batches depend on the ones before: one pass, in order.
        if !keras.network.isStateful, let stream = try StreamingInput.open(input, for: keras) {
            var chunks = stream.plan.chunks(maxSamples: stream.samplesPerChunk).makeIterator()
            try write(samples: stream.plan.samples, to: output) { try chunks.next().map { try stream.predict($0) } }
            return
        }
        // CSV, Fortran-order .npy, pipes and stateful models: read whole, predicted in one call.
        let batch = try ArrayFileKind.readInput(input, for: keras)
        var prediction: Tensor?
        do {
            prediction = try keras.predict(batch)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: input)
        }
        try write(samples: prediction?.shape.first ?? 1, to: output) {
            defer { prediction = nil }
            return prediction
        }
    }

    /// A Functional graph: every input read whole, predicted in one call,
    /// each output written to its OUT or printed under `# NAME`.
    private func predictGraph(_ keras: KerasModel, inputs: [String], outputs: [String]) throws {
        var batches: [Tensor] = []
        for (index, path) in inputs.enumerated() {
            batches.append(try ArrayFileKind.readInput(path, for: keras, input: index))
        }
        let predictions: [Tensor]
        do {
            predictions = try keras.predict(batches)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: inputs.joined(separator: ", "))
        }
        for (index, prediction) in predictions.enumerated() {
            let destination = index < outputs.count ? outputs[index] : nil
            if destination == nil, predictions.count > 1 {
                print("# \(keras.outputNames[index])")
            }
            var pending: Tensor? = prediction
            try write(samples: prediction.shape[0], to: destination) {
                defer { pending = nil }
                return pending
            }
        }
    }

    /// Writes the predictions `next` gives, a chunk of samples at a time
    /// until it gives nil (`samples` in all), to OUT or stdout. The first
    /// chunk is computed before OUT is touched, so that a bad input is
    /// reported as such rather than as a failure to write.
    ///
    /// OUT is written through a temporary file renamed into place at the
    /// end: an error part way leaves no partial file and an existing OUT
    /// as it was. Stdout gets each chunk as it is computed.
    private func write(samples: Int, to output: String?, _ next: () throws -> Tensor?) throws {
        guard let first = try next() else { return }
        switch output.flatMap(ArrayFileKind.init(path:)) {
        case .npy?:
            try NumpyStreamWriter.write(shape: [samples] + first.shape.dropFirst(), to: output ?? "") { file in
                try file.append(first.scalars)
                while let chunk = try next() { try file.append(chunk.scalars) }
            }
        case .csv?:
            try AtomicFileWriter.stream(to: output ?? "") { file in
                try file.write(CSVArrayFile.format(values: first.scalars, rows: first.shape[0]))
                while let chunk = try next() { try file.write(CSVArrayFile.format(values: chunk.scalars, rows: chunk.shape[0])) }
            }
        case nil:
            var chunk: Tensor? = first
            while let current = chunk {
                print(CSVArrayFile.format(values: current.scalars, rows: current.shape[0]), terminator: "")
                chunk = try next()
            }
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
    static func readInput(_ path: String, for model: KerasModel, input: Int = 0) throws -> Tensor {
        Supervisor.reading(path)
        let kind = ArrayFileKind(path: path) ?? (NumpyArrayFile.looksLikeNumpy(path) ? .npy : .csv)
        do {
            switch kind {
            case .npy:
                let array = try NumpyArrayFile.read(from: path)
                return try ModelInput.batch(fromArray: array.shape, values: array.values, for: model, file: path, input: input)
            case .csv:
                let table = try CSVArrayFile.read(from: path)
                return try ModelInput.batch(
                    fromRows: table.rows, columns: table.columns, values: table.values, for: model, file: path, input: input)
            }
        }
    }
}

/// A `.npy` input read and predicted a chunk of samples at a time: the
/// memory `predict` needs then depends on the chunk, not on the file.
struct StreamingInput {
    /// Input Floats per chunk, when `KERASIO_PREDICT_CHUNK_SAMPLES` does not
    /// set the samples per chunk (tests do). A chunk is whole blocks of
    /// `Sequential.predict` (256 samples), so at least one block.
    static let chunkBytes = 8 << 20

    let reader: NumpyChunkReader
    let plan: ChunkedPrediction
    let samplesPerChunk: Int
    let file: String

    /// The streaming reader for `path`, its header checked and its shape
    /// checked against the model; nil when the input is to be read whole:
    /// a CSV, a Fortran-order .npy (a sample is not contiguous in the
    /// file), or not a regular file (a pipe).
    static func open(_ path: String, for model: KerasModel) throws -> StreamingInput? {
        Supervisor.reading(path)
        let kind = ArrayFileKind(path: path) ?? (NumpyArrayFile.looksLikeNumpy(path) ? .npy : .csv)
        guard kind == .npy, let reader = try NumpyChunkReader.open(path), !reader.isFortranOrder else { return nil }
        let plan = try ChunkedPrediction(model: model, arrayShape: reader.shape, file: path)
        let setting = ProcessInfo.processInfo.environment["KERASIO_PREDICT_CHUNK_SAMPLES"].flatMap { Int($0) }
        let samplesPerChunk = setting.map { max($0, 1) } ?? plan.samplesPerChunk(maxBytes: chunkBytes)
        return StreamingInput(reader: reader, plan: plan, samplesPerChunk: samplesPerChunk, file: path)
    }

    /// Reads the chunk's samples and predicts them.
    func predict(_ chunk: ChunkedPrediction.Chunk) throws -> Tensor {
        let length = plan.sampleLength
        let values = try reader.read(
            elements: (chunk.samples.lowerBound * length)..<(chunk.samples.upperBound * length))
        return try plan.predict(chunk, values: values, file: file)
    }
}
