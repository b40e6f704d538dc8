import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio bench MODEL ...`: times a model in process, the way an app that
/// links kerasio would run it: one-sample latency, batch throughput and,
/// with `--fit-x/--fit-y`, training speed. The model is loaded once; file
/// reading and start-up are not timed.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's prediction latency, batch throughput and (optionally) fit speed in process.",
        discussion: """
            Latency: one sample (the first of --input, else seeded random normal input; 12 steps when the model \
            takes any number of steps), the median over repetitions of the mean time of many predict calls \
            (at least 50 ms per repetition) after a warm-up. Throughput: --samples samples (default: all of \
            --input, else 4096) predicted in batches of --batch; median samples/s, and GFLOP/s counted from the \
            layers (each layer's own count: SimpleRNN 2·steps·(features + units)·units, LSTM 4 and GRU 3 times that, \
            Dense 2·rows·inputs·units; activations not \
            counted). With --fit-x and --fit-y: the median time of fit for --epochs epochs, each repetition \
            starting from the file's weights and a fresh optimizer; training GFLOP/s taken as 3 × forward FLOPs. \
            Without --optimizer and --loss, fit uses the file's training_config, as 'kerasio fit' does.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(help: "Samples to predict (.npy or .csv); default: seeded random normal input of the model's shape.")
    var input: String?

    @Option(help: "Samples per predict call for the throughput measurement.")
    var batch = 256

    @Option(help: "Samples for the throughput measurement (default: all of --input, else 4096; --input is cycled if shorter).")
    var samples: Int?

    @Option(help: "Timed repetitions of each measurement (at least 5); the median is reported.")
    var repetitions = 7

    @Flag(help: "Print one JSON object instead of the human-readable lines.")
    var json = false

    @Option(name: .customLong("fit-x"), help: "Training inputs (.npy) to time fit with.")
    var fitX: String?

    @Option(name: .customLong("fit-y"), help: "Training targets (.npy) to time fit with.")
    var fitY: String?

    @Option(help: "Epochs per timed fit.")
    var epochs = 1

    @Option(name: .customLong("fit-batch-size"), help: "Samples per gradient step in the timed fit.")
    var fitBatchSize = 32

    @Flag(help: "Keep the sample order in the timed fit instead of shuffling each epoch.")
    var noShuffle = false

    @Option(help: "The optimizer for the timed fit, with Keras 3's defaults (default: the file's).")
    var optimizer: FitCommand.OptimizerName?

    @Option(help: "The learning rate for the timed fit (default: the optimizer's or the file's).")
    var learningRate: Float?

    @Option(help: "The loss for the timed fit (default: the file's).")
    var loss: String?

    /// The steps of a random sample when the model takes any number of steps.
    static let defaultSteps = 12
    /// Each latency and throughput repetition runs at least this long.
    static let minimumRepetitionSeconds = 0.05

    func validate() throws {
        if repetitions < 5 { throw ValidationError("--repetitions must be at least 5, got \(repetitions)") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if (fitX == nil) != (fitY == nil) { throw ValidationError("--fit-x and --fit-y go together") }
        if epochs < 1 || fitBatchSize < 1 { throw ValidationError("--epochs and --fit-batch-size must be at least 1") }
        if let loss, Loss(kerasName: loss) == nil { throw ValidationError("unknown loss '\(loss)'") }
        if fitX == nil, optimizer != nil || learningRate != nil || loss != nil || noShuffle {
            throw ValidationError("--optimizer, --learning-rate, --loss and --no-shuffle need --fit-x and --fit-y")
        }
    }

    func run() throws {
        let keras = try options.load()
        let chain = try keras.chain(for: "bench")
        let pool = try inputPool(for: keras)
        let perSample = pool.shape.dropFirst().reduce(1, *)
        let poolCount = pool.shape[0]
        let sampleShape = Array(pool.shape.dropFirst())

        // Latency: one sample, many calls per repetition, through the
        // allocation-free call an app would use (caller-owned memory, one
        // workspace).
        let one = Array(pool.scalars[0..<perSample])
        let oneShape = [1] + sampleShape
        let workspace = PredictionWorkspace()
        var oneOutput = [Float](repeating: 0, count: try chain.concreteOutputCount(forSampleShape: sampleShape))
        let latency = try one.withUnsafeBufferPointer { x in
            try oneOutput.withUnsafeMutableBufferPointer { y in
                try Self.medianSeconds(repetitions: repetitions) {
                    do {
                        try keras.predict(x, shape: oneShape, into: y, workspace: workspace)
                    } catch let error as RuntimeError {
                        throw KerasIOError(error, file: input ?? options.model)
                    }
                    return y[0]
                }
            }
        }

        // Throughput: the samples cut into batches beforehand, one predict per batch.
        let total = samples ?? (input == nil ? 4096 : poolCount)
        var batches: [Tensor] = []
        var start = 0
        while start < total {
            let rows = min(batch, total - start)
            let indices = (start..<start + rows).map { $0 % poolCount }
            batches.append(pool.gathering(indices))
            start += rows
        }
        let pass = try Self.medianSeconds(repetitions: repetitions) {
            var sink: Float = 0
            for tensor in batches { sink += try predict(keras, tensor, file: input) }
            return sink
        }
        let forward = Self.forwardFLOPs(chain, sampleShape: sampleShape)
        let throughput = Double(total) / pass

        var fit: (seconds: Double, samplesPerSecond: Double, gflops: Double?)?
        if let fitX, let fitY {
            fit = try timeFit(keras, xPath: fitX, yPath: fitY)
        }

        let report = Report(
            model: options.model, backend: ComputeBackend.description, threads: ComputeBackend.threads,
            latencyNanoseconds: latency * 1e9, batch: batch, samples: total, throughput: throughput,
            gflops: forward.map { $0 * Double(total) / pass / 1e9 },
            fitSeconds: fit?.seconds, fitSamplesPerSecond: fit?.samplesPerSecond, fitGFLOPs: fit?.gflops,
            repetitions: repetitions)
        if json {
            print(report.json)
        } else {
            let steps = sampleShape.count == 2 ? "\(sampleShape[0]) steps" : "\(sampleShape.first ?? 0) features"
            let source = input.map { "from \($0)" } ?? "random normal, seed 0"
            print(report.human(
                model: keras, inputNote: "\(steps), \(source)", fitNote: fitNote(keras)))
        }
    }

    // MARK: - Measurements

    private func predict(_ keras: KerasModel, _ tensor: Tensor, file: String?) throws -> Float {
        do {
            return try keras.predict(tensor).scalars.first ?? 0
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: file ?? options.model)
        }
    }

    /// Times `body`: a warm-up that also finds how many calls make a
    /// repetition last `minimumRepetitionSeconds`, then `repetitions`
    /// repetitions; the median seconds per call.
    static func medianSeconds(repetitions: Int, _ body: () throws -> Float) throws -> Double {
        var sink: Float = 0
        var calls = 1
        while true {
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { sink += try body() }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if elapsed >= minimumRepetitionSeconds {
                // One more untimed round at the final count finishes the warm-up.
                if calls > 1 { for _ in 0..<calls { sink += try body() } }
                break
            }
            calls = elapsed <= 0 ? calls * 16 : max(calls * 2, Int((Double(calls) * minimumRepetitionSeconds * 1.2 / elapsed).rounded(.up)))
        }
        var perCall: [Double] = []
        for _ in 0..<repetitions {
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { sink += try body() }
            perCall.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(calls))
        }
        if sink.isNaN { FileHandle.standardError.write(Data("bench: the model's output contains NaN\n".utf8)) }
        return median(perCall)
    }

    /// The timed fit: before each repetition the file's weights and a fresh
    /// optimizer; one untimed one-epoch fit first as warm-up.
    private func timeFit(_ keras: KerasModel, xPath: String, yPath: String) throws
        -> (seconds: Double, samplesPerSecond: Double, gflops: Double?)
    {
        let (chosenLoss, freshOptimizer) = try lossAndOptimizer(keras)
        let x = try Self.tensor(xPath), y = try Self.tensor(yPath)
        let fitOptions = FitOptions(epochs: epochs, batchSize: fitBatchSize, shuffle: !noShuffle, seed: 0)
        func fitOnce(_ options: FitOptions) throws -> Double {
            var network = keras.network
            var optimizer = freshOptimizer
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try network.fit(x: x, y: y, loss: chosenLoss, optimizer: &optimizer, options: options)
            } catch let error as RuntimeError {
                throw KerasIOError(error, file: "\(xPath), \(yPath)")
            }
            return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        }
        var warmUp = fitOptions
        warmUp.epochs = 1
        _ = try fitOnce(warmUp)
        var times: [Double] = []
        for _ in 0..<repetitions { times.append(try fitOnce(fitOptions)) }
        let seconds = Self.median(times)
        let sampleEpochs = Double(x.shape[0] * epochs)
        let forward = Self.forwardFLOPs(try keras.chain(for: "bench"), sampleShape: Array(x.shape.dropFirst()))
        return (seconds, sampleEpochs / seconds, forward.map { 3 * $0 * sampleEpochs / seconds / 1e9 })
    }

    /// The loss and optimizer from the flags, else from the file's training_config (as `kerasio fit`).
    private func lossAndOptimizer(_ keras: KerasModel) throws -> (Loss, any Optimizer) {
        try FitCommand.OptimizerName.lossAndOptimizer(
            loss: loss, optimizer: optimizer, learningRate: learningRate, model: keras, file: options.model)
    }

    private func fitNote(_ keras: KerasModel) -> String {
        let shuffle = noShuffle ? "unshuffled" : "shuffled"
        return "\(epochs) epoch\(epochs == 1 ? "" : "s") at batch \(fitBatchSize), \(shuffle)"
    }

    // MARK: - Inputs

    /// The samples to draw from: --input shaped for the model, or seeded
    /// random normal samples (steps = `defaultSteps` where the model leaves them open).
    private func inputPool(for keras: KerasModel) throws -> Tensor {
        if let input {
            let tensor = try ArrayFileKind.readInput(input, for: keras)
            guard tensor.shape[0] >= 1, tensor.count > 0 else {
                throw KerasIOError(.inputMismatch, file: input, "has no samples")
            }
            return tensor
        }
        let sampleShape = keras.inputShape.map { $0 ?? Self.defaultSteps }
        let count = min(samples ?? 4096, 4096)
        var random = RandomSource(seed: 0)
        let values = (0..<count * sampleShape.reduce(1, *)).map { _ in random.normal() }
        return try Tensor(shape: [count] + sampleShape, scalars: values)
    }

    private static func tensor(_ path: String) throws -> Tensor {
        Supervisor.reading(path)
        let array = try NumpyArrayFile.read(from: path)
        do {
            return try Tensor(shape: array.shape, scalars: array.values)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: path)
        }
    }

    // MARK: - Arithmetic

    /// Forward FLOPs of one sample shaped `sampleShape` (no batch axis),
    /// multiply-adds counted as 2; nil if a layer's cost is not known.
    static func forwardFLOPs(_ network: Sequential, sampleShape: [Int]) -> Double? {
        var shape: [Int?] = sampleShape.map { Optional($0) }
        var flops = 0.0
        for layer in network.layers {
            guard let multiplyAdds = layer.multiplyAdds(perSample: shape) else { return nil }
            flops += 2 * Double(multiplyAdds)
            guard let next = try? layer.outputShape(forInputShape: shape) else { return nil }
            shape = next
        }
        return flops
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// What `kerasio bench` measured, printed for people or as one JSON line.
private struct Report {
    let model: String
    let backend: String
    let threads: Int
    let latencyNanoseconds: Double
    let batch: Int
    let samples: Int
    let throughput: Double
    let gflops: Double?
    let fitSeconds: Double?
    let fitSamplesPerSecond: Double?
    let fitGFLOPs: Double?
    let repetitions: Int

    var json: String {
        func number(_ value: Double?, _ format: String) -> String {
            guard let value, value.isFinite else { return "null" }
            return String(format: format, value)
        }
        let fields: [(String, String)] = [
            ("model", Self.quoted(model)),
            ("backend", Self.quoted(backend)),
            ("threads", "\(threads)"),
            ("latency_ns", number(latencyNanoseconds, "%.1f")),
            ("batch", "\(batch)"),
            ("samples", "\(samples)"),
            ("throughput_samples_per_s", number(throughput, "%.1f")),
            ("gflops", number(gflops, "%.4f")),
            ("fit_seconds", number(fitSeconds, "%.6f")),
            ("fit_samples_per_s", number(fitSamplesPerSecond, "%.1f")),
            ("fit_gflops", number(fitGFLOPs, "%.4f")),
            ("repetitions", "\(repetitions)"),
        ]
        return "{" + fields.map { "\(Self.quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    func human(model keras: KerasModel, inputNote: String, fitNote: String) -> String {
        let shape = Tensor.describe([nil] + keras.inputShape)
        var lines = [
            ("model", "\(model) (\(keras.network.name), input \(shape), \(keras.network.parameterCount) params)"),
            ("backend", backend.contains("thread") ? backend : "\(backend), \(threads) thread\(threads == 1 ? "" : "s")"),
            ("latency", "\(Self.duration(latencyNanoseconds)) per one-sample predict (\(inputNote))"),
            ("throughput", String(format: "%.0f samples/s", throughput)
                + (gflops.map { String(format: ", %.2f GFLOP/s", $0) } ?? "")
                + " (\(samples) samples in batches of \(batch))"),
        ]
        if let fitSeconds, let fitSamplesPerSecond {
            lines.append(("fit", String(format: "%.4f s, %.0f samples/s", fitSeconds, fitSamplesPerSecond)
                + (fitGFLOPs.map { String(format: ", %.2f GFLOP/s", $0) } ?? "") + " (\(fitNote))"))
        }
        lines.append(("repetitions", "\(repetitions), median reported"))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }
            .joined(separator: "\n")
    }

    private static func duration(_ nanoseconds: Double) -> String {
        switch nanoseconds {
        case ..<1_000: return String(format: "%.1f ns", nanoseconds)
        case ..<1_000_000: return String(format: "%.2f µs", nanoseconds / 1e3)
        case ..<1_000_000_000: return String(format: "%.2f ms", nanoseconds / 1e6)
        default: return String(format: "%.3f s", nanoseconds / 1e9)
        }
    }

    private static func quoted(_ text: String) -> String { JSONText.quoted(text) }
}
