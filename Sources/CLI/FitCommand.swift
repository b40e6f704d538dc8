import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio fit MODEL --x X.npy --y Y.npy --output OUT ...`.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Continue training a Keras model in Swift and write it as a Keras file.",
        discussion: """
            Without --optimizer and --loss, uses the ones in the file's training_config, as Keras's load_model does. \
            Progress goes to stderr as Keras prints it. OUT's extension picks the format (.keras, .weights.h5, .h5).
            """
    )

    enum OptimizerName: String, ExpressibleByArgument, CaseIterable { case adam, sgd, rmsprop, adagrad }

    @OptionGroup var options: ModelOptions

    @Option(name: .customLong("x"), help: ArgumentHelp(
        "Training inputs (.npy), (samples,) + the input's shape; one --x per model input, in order, or NAME=PATH.",
        valueName: "X"))
    var xPaths: [String]

    @Option(name: .customLong("y"), help: ArgumentHelp(
        "Training targets (.npy), (samples,) + the output's shape; one --y per model output, in order, or NAME=PATH.",
        valueName: "Y"))
    var yPaths: [String]

    @Option(name: .customLong("loss-weights"), help: "Comma-separated weight of each output's loss (Keras's loss_weights).")
    var lossWeights: String?

    @Option(help: "Where to write the trained model.")
    var output: String

    @Option(help: "Number of epochs.")
    var epochs = 1

    @Option(help: "Samples per gradient step.")
    var batchSize = 32

    @Flag(help: "Keep the sample order instead of shuffling each epoch.")
    var noShuffle = false

    @Option(help: "The optimizer, with Keras 3's defaults.")
    var optimizer: OptimizerName?

    @Option(help: "The learning rate (default: the optimizer's or the file's).")
    var learningRate: Float?

    @Option(help: "The loss: \(Loss.allCases.map(\.rawValue).joined(separator: ", ")) (or mse, mae, ...); one for every output, or one --loss per output.")
    var loss: [String] = []

    @Option(help: "Fraction of samples, taken from the end, held out for val_loss.")
    var validationSplit: Double = 0

    @Option(help: "Seeds shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "The Keras that will read OUT: 3 or 2.")
    var keras: ConvertCommand.Target = .keras3

    func validate() throws {
        if KerasFileFormat(writingPath: output) == nil {
            throw ValidationError("--output must end in .keras, .weights.h5 or .h5, got '\(output)'")
        }
        if epochs < 1 || batchSize < 1 { throw ValidationError("--epochs and --batch-size must be at least 1") }
        if !(0..<1).contains(validationSplit) { throw ValidationError("--validation-split must be in [0, 1)") }
        for loss in loss where Loss(kerasName: loss) == nil { throw ValidationError("unknown loss '\(loss)'") }
        if let lossWeights, lossWeights.split(separator: ",").contains(where: { Float($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            throw ValidationError("--loss-weights must be comma-separated numbers, got '\(lossWeights)'")
        }
    }

    func run() throws {
        var model = try options.load()
        let outputCount = model.outputNames.count
        let (storedLoss, resolvedOptimizer) = try OptimizerName.lossAndOptimizer(
            loss: loss.first, optimizer: optimizer, learningRate: learningRate, model: model, file: options.model)
        var chosenOptimizer = resolvedOptimizer
        let losses = loss.count > 1 ? loss.compactMap(Loss.init(kerasName:)) : Array(repeating: storedLoss, count: outputCount)
        guard losses.count == outputCount else {
            throw KerasIOError(
                .inputMismatch, file: options.model, "the model has \(outputCount) outputs; give one --loss for all or one per output (got \(loss.count))")
        }
        let weights = lossWeights.map { $0.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } }
        if let weights, weights.count != outputCount {
            throw KerasIOError(
                .inputMismatch, file: options.model, "--loss-weights gives \(weights.count) weights for \(outputCount) outputs")
        }
        let xFiles = try NamedArguments.assign(xPaths, to: model.inputNames, what: "input", option: "--x", model: options.model)
        let yFiles = try NamedArguments.assign(yPaths, to: model.outputNames, what: "output", option: "--y", model: options.model)
        let x = try xFiles.map(Self.tensor), y = try yFiles.map(Self.tensor)
        let fitOptions = FitOptions(
            epochs: epochs, batchSize: batchSize, shuffle: !noShuffle, seed: seed, validationSplit: validationSplit)
        let samples = x.first?.shape.first ?? 0
        let steps = Int((Double(samples) * (1 - validationSplit)).rounded(.down) + Double(batchSize - 1)) / batchSize
        do {
            _ = try model.network.fit(
                x: x, y: y, losses: losses, lossWeights: weights, optimizer: &chosenOptimizer, options: fitOptions
            ) { report in
                FileHandle.standardError.write(Data((ProgressLine.format(report, steps: steps) + "\n").utf8))
            }
        } catch let error as RuntimeError {
            // A layer that cannot be trained is the model's problem, a shape the data's.
            if case .incompatibleLayer = error { throw KerasIOError(error, file: options.model) }
            throw KerasIOError(error, file: (xFiles + yFiles).joined(separator: ", "))
        }
        // training_config names one loss; a model trained with several different ones records none.
        let config = Set(losses).count == 1 && weights == nil ? TrainingConfig(loss: losses[0], optimizer: chosenOptimizer) : nil
        try KerasModelWriter.write(
            model.network, to: output, format: KerasFileFormat(writingPath: output) ?? .legacyH5,
            keras: keras.generation, trainingConfig: config?.json(for: keras.generation))
    }

    static func tensor(_ path: String) throws -> Tensor {
        Supervisor.reading(path)
        let array = try NumpyArrayFile.read(from: path)
        do {
            return try Tensor(shape: array.shape, scalars: array.values)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: path)
        }
    }
}

/// Keras's per-epoch line: `Epoch 3/20` then `187/187 - 0s - loss: 0.0042`.
enum ProgressLine {
    static func format(_ report: EpochReport, steps: Int) -> String {
        var line = "Epoch \(report.epoch)/\(report.epochs)\n\(steps)/\(steps) - "
        line += report.seconds < 1 ? "\(Int((report.seconds * 1000).rounded()))ms" : String(format: "%.0fs", report.seconds)
        line += String(format: " - loss: %.4f", report.loss)
        if let validation = report.validationLoss { line += String(format: " - val_loss: %.4f", validation) }
        return line
    }
}
