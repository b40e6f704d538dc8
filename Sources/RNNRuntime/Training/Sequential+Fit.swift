/// How `fit` runs, with Keras's defaults.
public struct FitOptions: Sendable {
    public var epochs: Int = 1
    public var batchSize: Int = 32
    /// Shuffle the training samples before each epoch (seeded).
    public var shuffle: Bool = true
    /// Seeds the shuffles and dropout masks.
    public var seed: UInt64 = 0
    /// Fraction of the samples, taken from the end before any shuffling as
    /// Keras does, held out to report `validationLoss`.
    public var validationSplit: Double = 0

    public init(epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true, seed: UInt64 = 0, validationSplit: Double = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.validationSplit = validationSplit
    }
}

/// One epoch's figures, as Keras logs them.
public struct EpochReport: Sendable {
    public let epoch: Int
    public let epochs: Int
    /// Mean training loss over the epoch's batches, weighted by batch size
    /// (Keras's loss tracker: a `Mean` whose sample weight is the batch size).
    public let loss: Float
    /// Each batch's loss, computed before that batch's optimizer step, in
    /// the order the batches ran. Keras logs the running mean of these,
    /// weighted by `batchSizes`.
    public let batchLosses: [Float]
    /// The number of samples in each batch (the last may be short).
    public let batchSizes: [Int]
    public let validationLoss: Float?
    public let seconds: Double
}

extension Sequential {
    /// Trains the model in place with mini-batch gradient descent, Keras's
    /// `fit`: per batch a forward pass (dropout active), the loss's gradient,
    /// backpropagation through every layer (through time for recurrent
    /// ones), and one optimizer step over all weights.
    ///
    /// - Parameters:
    ///   - x: `(samples,) + inputShape`.
    ///   - y: `(samples,) + outputShape`.
    ///   - progress: called after each epoch.
    public mutating func fit(
        x: Tensor, y: Tensor, loss: Loss, optimizer: inout any Optimizer, options: FitOptions = FitOptions(),
        progress: (EpochReport) -> Void = { _ in }
    ) throws -> [EpochReport] {
        try checkInputShape(x.shape)
        guard y.shape.first == x.shape.first else {
            throw RuntimeError.invalidTensor("x has \(x.shape[0]) samples, y has \(y.shape.first ?? 0)")
        }
        let expectedY = outputShape
        guard y.shape.count == expectedY.count + 1,
              zip(expectedY, y.shape.dropFirst()).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) else {
            throw RuntimeError.invalidTensor(
                "y has shape \(Tensor.describe(y.shape)), the model gives \(Tensor.describe([nil] + expectedY))")
        }
        guard options.batchSize >= 1, options.epochs >= 0, (0..<1).contains(options.validationSplit) else {
            throw RuntimeError.invalidTensor("batch size must be at least 1 and validation split in [0, 1)")
        }
        // Cast once: a cast to a protocol existential per step cost more than the tutorial's whole step.
        var trainables = try trainableLayers()
        defer { layers = trainables }
        let samples = x.shape[0]
        let trainCount = options.validationSplit > 0 ? Int(Double(samples) * (1 - options.validationSplit)) : samples
        var order = Array(0..<trainCount)
        var random = RandomSource(seed: options.seed)
        var reports: [EpochReport] = []
        for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
            let start = DispatchTimeCompat.now()
            if options.shuffle { order.shuffle(using: &random) }
            var weightedLoss: Float = 0
            var batchLosses: [Float] = [], batchSizes: [Int] = []
            var batchStart = 0
            while batchStart < trainCount {
                let indices = Array(order[batchStart..<min(batchStart + options.batchSize, trainCount)])
                let value = try Self.trainStep(
                    &trainables, x: x.gathering(indices), y: y.gathering(indices), loss: loss, optimizer: &optimizer,
                    random: &random)
                weightedLoss += value * Float(indices.count)
                batchLosses.append(value)
                batchSizes.append(indices.count)
                batchStart += options.batchSize
            }
            var validationLoss: Float?
            if trainCount < samples {
                let held = Array(trainCount..<samples)
                layers = trainables
                validationLoss = try loss.evaluate(predicted: predict(x.gathering(held)), target: y.gathering(held)).value
            }
            let report = EpochReport(
                epoch: epoch, epochs: options.epochs, loss: weightedLoss / Float(max(trainCount, 1)),
                batchLosses: batchLosses, batchSizes: batchSizes, validationLoss: validationLoss, seconds: DispatchTimeCompat.now() - start)
            reports.append(report)
            progress(report)
        }
        return reports
    }

    /// One optimizer step on one batch; returns the batch's loss before the step.
    public mutating func trainStep(
        x: Tensor, y: Tensor, loss: Loss, optimizer: inout any Optimizer, random: inout RandomSource
    ) throws -> Float {
        var trainables = try trainableLayers()
        defer { layers = trainables }
        return try Self.trainStep(&trainables, x: x, y: y, loss: loss, optimizer: &optimizer, random: &random)
    }

    /// The layers as trainable ones, or an error naming the first that is not.
    private func trainableLayers() throws -> [any TrainableLayer] {
        try layers.map { layer in
            guard let trainable = layer as? any TrainableLayer else {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "cannot be trained")
            }
            return trainable
        }
    }

    private static func trainStep(
        _ layers: inout [any TrainableLayer], x: Tensor, y: Tensor, loss: Loss, optimizer: inout any Optimizer,
        random: inout RandomSource
    ) throws -> Float {
        var context = TrainingContext(training: true, random: random)
        var pullbacks: [Pullback] = []
        pullbacks.reserveCapacity(layers.count)
        var activations = x
        // A cross-entropy loss on a sigmoid or softmax Dense output is taken
        // from that layer's logits, as Keras does: keep its typed cache.
        let last = layers.indices.last
        var logitsLayer: (dense: Dense, cache: Dense.Cache)?
        for index in layers.indices {
            if index == last, let dense = layers[index] as? Dense, dense.activation == loss.logitsActivation {
                let (output, cache) = try dense.forwardForTraining(activations, context: &context)
                logitsLayer = (dense, cache)
                activations = output
            } else {
                let (output, pullback) = try layers[index].forwardWithPullback(activations, context: &context)
                pullbacks.append(pullback)
                activations = output
            }
        }
        random = context.random
        var parameterGradients = [[Tensor]](repeating: [], count: layers.count)
        let value: Float
        var gradient: Tensor
        if let (dense, cache) = logitsLayer, let last {
            let logits = Tensor(uncheckedShape: activations.shape, scalars: cache.preActivation)
            let (lossValue, logitGradient) = try loss.evaluateFromLogits(logits, target: y)
            let (inputGradient, gradients) = dense.backward(preActivationGradient: logitGradient.scalars, cache: cache)
            value = lossValue
            parameterGradients[last] = gradients
            gradient = inputGradient
        } else {
            let (lossValue, lossGradient) = try loss.evaluate(predicted: activations, target: y)
            value = lossValue
            gradient = lossGradient
        }
        for index in pullbacks.indices.reversed() {
            let (inputGradient, gradients) = try pullbacks[index](gradient)
            parameterGradients[index] = gradients
            gradient = inputGradient
        }
        optimizer.beginStep()
        var offset = 0
        for index in layers.indices {
            let gradients = parameterGradients[index]
            layers[index].updateParameters { parameter, values in
                optimizer.update(parameter: offset + parameter, values: &values, gradient: gradients[parameter].scalars)
            }
            offset += gradients.count
        }
        return value
    }
}

extension Tensor {
    /// The samples at `indices` along the first axis, in that order.
    public func gathering(_ indices: [Int]) -> Tensor {
        let perSample = shape.dropFirst().reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(indices.count * perSample)
        for i in indices { values += scalars[i * perSample..<(i + 1) * perSample] }
        return Tensor(uncheckedShape: [indices.count] + shape.dropFirst(), scalars: values)
    }
}

import Foundation

enum DispatchTimeCompat {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
