import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio train`: the tutorial's sunspots pipeline, end to end.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Run the tutorial end to end: scale, window, train SimpleRNN + Dense, report RMSE, save, plot.",
        discussion: """
            Min-max scales the whole series, trains on the first --split of it with non-overlapping windows \
            (get_XY), SimpleRNN(hidden, tanh) + Dense(1, tanh), Adam(0.001), mean squared error, shuffled each \
            epoch; prints the train and test RMSE as the tutorial does, writes the model as a Keras file and the \
            plot as SVG. Defaults are the tutorial's; --data defaults to the shipped monthly sunspots series.
            """
    )

    @Option(help: "A CSV with a header row; default: the shipped data/monthly-sunspots.csv.")
    var data: String?

    @Option(help: "The column to use (default: the last one).")
    var column: String?

    @Option(help: "Steps per window.")
    var timeSteps = 12

    @Option(help: "SimpleRNN units.")
    var hiddenUnits = 3

    @Option(help: "Training epochs.")
    var epochs = 20

    @Option(help: "Samples per gradient step.")
    var batchSize = 1

    @Option(help: "Fraction of the series used for training.")
    var split = 0.8

    @Option(help: "Seeds the initial weights and the shuffles.")
    var seed: UInt64 = 1

    @Option(help: "Where to write the trained model (.h5, .keras or .weights.h5).")
    var output = "sunspots.h5"

    @Option(help: "Where to write the plot (SVG).")
    var plot = "sunspots.svg"

    @Flag(help: "Print no per-epoch progress.")
    var quiet = false

    func validate() throws {
        if timeSteps < 1 || hiddenUnits < 1 || epochs < 1 || batchSize < 1 {
            throw ValidationError("--time-steps, --hidden-units, --epochs and --batch-size must be at least 1")
        }
        if !(split > 0 && split < 1) { throw ValidationError("--split must be between 0 and 1") }
        if KerasFileFormat(writingPath: output) == nil {
            throw ValidationError("--output must end in .keras, .weights.h5 or .h5, got '\(output)'")
        }
    }

    func run() throws {
        let path = try data ?? Self.shippedData()
        let series = try TimeSeries.readColumn(path, column: column)
        let scaled = TimeSeries.minMaxScaled(series.values)
        let cut = Int(Double(scaled.count) * split)
        let train = TimeSeries.windows(Array(scaled[..<cut]), timeSteps: timeSteps)
        let test = TimeSeries.windows(Array(scaled[cut...]), timeSteps: timeSteps)
        guard train.x.shape[0] > 0, test.x.shape[0] > 0 else {
            throw KerasIOError(.invalidArrayFile, file: path, "too short for windows of \(timeSteps) steps on both sides of the split")
        }

        var random = RandomSource(seed: seed)
        var rnn = SimpleRNN(name: "simple_rnn", inputSize: 1, units: hiddenUnits, activation: .tanh)
        rnn.initialize(random: &random)
        var dense = Dense(name: "dense", inputSize: hiddenUnits, units: 1, activation: .tanh)
        dense.initialize(random: &random)
        var network = try Sequential(name: "sequential", inputShape: [timeSteps, 1], layers: [rnn, dense])
        var optimizer: any Optimizer = Adam(learningRate: 0.001)
        let steps = (train.x.shape[0] + batchSize - 1) / batchSize
        let started = DispatchTime.now().uptimeNanoseconds
        _ = try network.fit(
            x: train.x, y: train.y, loss: .meanSquaredError, optimizer: &optimizer,
            options: FitOptions(epochs: epochs, batchSize: batchSize, shuffle: true, seed: seed &+ 1)
        ) { report in
            if !quiet { FileHandle.standardError.write(Data((ProgressLine.format(report, steps: steps) + "\n").utf8)) }
        }

        let fitSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let trainPredicted = try network.predict(train.x).scalars
        let testPredicted = try network.predict(test.x).scalars
        print(String(format: "Train RMSE: %.3f RMSE", TimeSeries.rootMeanSquaredError(train.y.scalars, trainPredicted)))
        print(String(format: "Test RMSE: %.3f RMSE", TimeSeries.rootMeanSquaredError(test.y.scalars, testPredicted)))

        let config = TrainingConfig(loss: .meanSquaredError, optimizer: optimizer)
        try KerasModelWriter.write(
            network, to: output, format: KerasFileFormat(writingPath: output) ?? .legacyH5, keras: .keras3,
            trainingConfig: config.json(for: .keras3))
        let svg = PredictionPlot.svg(
            actual: train.y.scalars + test.y.scalars, predicted: trainPredicted + testPredicted, boundary: train.y.count)
        do {
            try AtomicFileWriter.write(Data(svg.utf8), to: plot)
        } catch let error as ArrayFileError {
            throw KerasIOError(writing: error, file: plot)
        }
        print(String(format: "Fit: %d epochs of %d samples in %.1f ms", epochs, train.x.shape[0], fitSeconds * 1000))
        print("Wrote \(output) and \(plot)")
    }

    /// data/monthly-sunspots.csv in the working directory or the kerasio checkout the binary was built in.
    static func shippedData() throws -> String {
        let relative = "data/monthly-sunspots.csv"
        var candidates = [FileManager.default.currentDirectoryPath + "/" + relative]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent(relative).path)
            directory = directory.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw KerasIOError(.unreadable, file: relative, "not found; pass --data FILE")
        }
        return found
    }
}

