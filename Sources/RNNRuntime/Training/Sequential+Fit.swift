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
    /// The most threads a batch is split over (nil: `ComputeBackend.threads`).
    public var threads: Int?

    public init(
        epochs: Int = 1, batchSize: Int = 32, shuffle: Bool = true, seed: UInt64 = 0, validationSplit: Double = 0,
        threads: Int? = nil
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.validationSplit = validationSplit
        self.threads = threads
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
        if isStateful, let size = fixedBatchSize {
            // As Keras trains a stateful model: batches of its fixed size, each
            // starting from the state the one before left.
            guard options.batchSize == size, x.shape[0] % size == 0, options.validationSplit == 0 else {
                throw RuntimeError.invalidTensor(
                    "a stateful model trains on whole batches of its fixed size \(size) (its state is per batch row) "
                        + "without a validation split; got \(x.shape[0]) samples in batches of \(options.batchSize)"
                        + (options.validationSplit > 0 ? " and a validation split" : ""))
            }
        }
        // Cast once: a cast to a protocol existential per step cost more than the tutorial's whole step.
        var trainables = try trainableLayers()
        defer { layers = trainables }
        let samples = x.shape[0]
        let trainCount = options.validationSplit > 0 ? Int(Double(samples) * (1 - options.validationSplit)) : samples
        var order = Array(0..<trainCount)
        var random = RandomSource(seed: options.seed)
        var reports: [EpochReport] = []
        // Stateful layers' states, carried from batch to batch and epoch to epoch (Keras resets them only when asked).
        var states = [[Float]?](repeating: nil, count: trainables.count)
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
                    random: &random, threads: options.threads ?? Parallel.threads, states: &states)
                weightedLoss += value * Float(indices.count)
                batchLosses.append(value)
                batchSizes.append(indices.count)
                batchStart += options.batchSize
            }
            var validationLoss: Float?
            if trainCount < samples {
                let held = Array(trainCount..<samples)
                layers = trainables
                let predicted = try predict(x.gathering(held))
                // Keras weights the validation loss by the output's mask too.
                var rowWeights: [Float]?
                if makesMasks, predicted.rank == 3 {
                    var context = TrainingContext(training: false, random: RandomSource(seed: 0))
                    let pass = try Self.forwardPart(trainables, x: x.gathering(held), loss: loss, context: &context)
                    rowWeights = pass.outputMask.map { Loss.maskWeights($0.scalars) }
                }
                validationLoss = try loss.evaluate(predicted: predicted, target: y.gathering(held), rowWeights: rowWeights).value
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
        var states = [[Float]?](repeating: nil, count: trainables.count)
        return try Self.trainStep(
            &trainables, x: x, y: y, loss: loss, optimizer: &optimizer, random: &random, threads: Parallel.threads, states: &states)
    }

    /// The layers as trainable ones, or an error naming the first that is not.
    private func trainableLayers() throws -> [any TrainableLayer] {
        return try layers.map { layer in
            guard let trainable = layer as? any TrainableLayer else {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "cannot be trained")
            }
            return trainable
        }
    }

    /// One forward pass of a part of the batch, with what its backward needs.
    private struct PartPass {
        var pullbacks: [Pullback] = []
        var output: Tensor
        /// A cross-entropy loss on a sigmoid or softmax Dense output is taken
        /// from that layer's logits, as Keras does: its typed cache is kept.
        var logitsLayer: (dense: Dense, cache: Dense.Cache)?
        /// The mask the model's output carries (Keras weights the loss by it).
        var outputMask: Tensor?
        /// What the loss reads: the logits when `logitsLayer` is set, else the output.
        var lossInput: Tensor {
            guard let logitsLayer else { return output }
            return Tensor(uncheckedShape: output.shape, scalars: logitsLayer.cache.preActivation)
        }
    }

    private static func forwardPart(
        _ layers: [any TrainableLayer], x: Tensor, loss: Loss, context: inout TrainingContext,
        states: UnsafeMutablePointer<[Float]?>? = nil
    ) throws -> PartPass {
        var pass = PartPass(output: x)
        pass.pullbacks.reserveCapacity(layers.count)
        let last = layers.indices.last
        var mask: Tensor?
        for index in layers.indices {
            context.mask = mask
            context.carriedState = states?[index]
            defer { if let states, layers[index].isStateful { states[index] = context.carriedState } }
            let input = pass.output
            defer { mask = Self.mask(after: layers[index], input: input, output: pass.output, incoming: mask) }
            if index == last, let dense = layers[index] as? Dense, dense.activation == loss.logitsActivation {
                let (output, cache) = try dense.forwardForTraining(pass.output, context: &context)
                pass.logitsLayer = (dense, cache)
                pass.output = output
            } else {
                let (output, pullback) = try layers[index].forwardWithPullback(pass.output, context: &context)
                pass.pullbacks.append(pullback)
                pass.output = output
            }
        }
        context.mask = nil
        pass.outputMask = mask
        return pass
    }

    /// The mask the output of `layer` carries: a new one it makes from its
    /// input, the incoming one it passes on, or none (see `Layer.passesMask`).
    static func mask(after layer: any Layer, input: Tensor, output: Tensor, incoming: Tensor?) -> Tensor? {
        if layer.createsMask {
            let batch = input.shape[0], steps = input.rank > 1 ? input.shape[1] : 1
            var values = [Float](repeating: 0, count: batch * steps)
            input.scalars.withUnsafeBufferPointer { x in
                values.withUnsafeMutableBufferPointer { m in
                    layer.writeMask(x.baseAddress!, batch: batch, sampleShape: Array(input.shape.dropFirst()), into: m.baseAddress!)
                }
            }
            return output.rank >= 3 ? Tensor(uncheckedShape: [batch, steps], scalars: values) : nil
        }
        guard let incoming, layer.passesMask, output.rank >= 3 else { return nil }
        return incoming
    }

    /// Every layer's weight gradients for one part, from dL/d(loss input),
    /// and per layer the sparse gradients' squares where a layer has them
    /// (`TrainableLayer.parameterGradientSquares`; empty for the others).
    private static func backwardPart(_ pass: PartPass, lossGradient: Tensor, layerCount: Int) throws -> (gradients: [[Tensor]], squares: [[Tensor?]]) {
        var parameterGradients = [[Tensor]](repeating: [], count: layerCount)
        var squares = [[Tensor?]](repeating: [], count: layerCount)
        var gradient = lossGradient
        if let (dense, cache) = pass.logitsLayer {
            let (inputGradient, gradients) = dense.backward(preActivationGradient: lossGradient.scalars, cache: cache)
            parameterGradients[layerCount - 1] = gradients
            gradient = inputGradient
        }
        for index in pass.pullbacks.indices.reversed() {
            let pullback = pass.pullbacks[index]
            if let sparse = pullback.squares?(gradient) { squares[index] = sparse }
            let (inputGradient, gradients) = try pullback(gradient)
            parameterGradients[index] = gradients
            gradient = inputGradient
        }
        return (parameterGradients, squares)
    }

    /// One optimizer step. The samples of a batch are independent until the
    /// loss, so a large batch is split over the cores: each part runs the
    /// forward pass, the loss and its gradient are taken over the whole
    /// batch (the same numbers as in one piece), each part runs the backward
    /// pass and the parts' weight gradients are summed. Models that draw
    /// dropout masks run in one piece, so a seed gives one result on any machine.
    private static func trainStep(
        _ layers: inout [any TrainableLayer], x: Tensor, y: Tensor, loss: Loss, optimizer: inout any Optimizer,
        random: inout RandomSource, threads: Int, states: inout [[Float]?]
    ) throws -> Float {
        let batch = x.shape[0]
        let steps = x.rank == 3 ? x.shape[1] : 1
        let weights = layers.reduce(0) { $0 + $1.parameterCount }
        // Random draws, carried states and batch statistics are per whole batch: one piece.
        let parts = layers.contains { $0.drawsRandomNumbers || $0.isStateful || $0.needsWholeBatch }
            ? 1 : Parallel.partCount(samples: batch, work: 6 * batch * steps * weights, threads: threads)
        var passes: [PartPass]
        if parts == 1 {
            var context = TrainingContext(training: true, random: random)
            passes = [try states.withUnsafeMutableBufferPointer { states in
                try forwardPart(layers, x: x, loss: loss, context: &context, states: states.baseAddress)
            }]
            random = context.random
        } else {
            let frozen = layers
            passes = try Parallel.map(parts: parts) { part in
                Result {
                    // No layer here draws random numbers; the context is only a formality.
                    var context = TrainingContext(training: true, random: RandomSource(seed: 0))
                    let rows = Parallel.range(part: part, of: parts, count: batch)
                    return try forwardPart(frozen, x: x.rows(rows), loss: loss, context: &context)
                }
            }.map { try $0.get() }
        }
        let lossInput = passes.count == 1 ? passes[0].lossInput : Tensor(concatenatingRows: passes.map(\.lossInput))
        // Keras weights the loss by the mask the output carries (per step of a sequence output).
        let outputMasks = passes.compactMap(\.outputMask)
        let rowWeights = outputMasks.count == passes.count && lossInput.rank == 3
            ? Loss.maskWeights(outputMasks.flatMap(\.scalars)) : nil
        let (value, lossGradient) = passes[0].logitsLayer != nil
            ? try loss.evaluateFromLogits(lossInput, target: y, rowWeights: rowWeights)
            : try loss.evaluate(predicted: lossInput, target: y, rowWeights: rowWeights)
        var parameterGradients: [[Tensor]], gradientSquares: [[Tensor?]]
        if passes.count == 1 {
            (parameterGradients, gradientSquares) = try backwardPart(passes[0], lossGradient: lossGradient, layerCount: layers.count)
        } else {
            let perPart = try Parallel.map(parts: parts) { part in
                Result {
                    let rows = Parallel.range(part: part, of: parts, count: batch)
                    return try backwardPart(passes[part], lossGradient: lossGradient.rows(rows), layerCount: layers.count)
                }
            }.map { try $0.get() }
            (parameterGradients, gradientSquares) = perPart[0]
            for part in perPart.dropFirst() {
                for (layer, gradients) in part.gradients.enumerated() {
                    for (k, gradient) in gradients.enumerated() {
                        parameterGradients[layer][k].scalars.withUnsafeMutableBufferPointer { sum in
                            gradient.scalars.withUnsafeBufferPointer { g in
                                for i in 0..<min(sum.count, g.count) { sum[i] += g[i] }
                            }
                        }
                    }
                }
                for (layer, squares) in part.squares.enumerated() {
                    for (k, square) in squares.enumerated() {
                        guard let square, gradientSquares[layer][k] != nil else { continue }
                        for i in 0..<square.count { gradientSquares[layer][k]!.scalars[i] += square.scalars[i] }
                    }
                }
            }
        }
        optimizer.beginStep()
        // Weights the forward pass set itself (a layer that needs them runs in one piece).
        let assignments = passes.count == 1 ? passes[0].pullbacks.map(\.assigned) : []
        var offset = 0
        for index in layers.indices {
            let gradients = parameterGradients[index], squares = gradientSquares[index]
            let assigned = index < assignments.count ? assignments[index] : [:]
            layers[index].updateParameters { parameter, values in
                // Keras's optimizer sees only trainable weights; the slot index skipped here stays unused.
                if let new = assigned[parameter] {
                    values = new
                    return
                }
                let square = parameter < squares.count ? squares[parameter]?.scalars : nil
                optimizer.update(parameter: offset + parameter, values: &values, gradient: gradients[parameter].scalars, squares: square)
            }
            offset += gradients.count
        }
        return value
    }
}

extension Tensor {
    /// The samples in `range` along the first axis.
    func rows(_ range: Range<Int>) -> Tensor {
        let perSample = shape.dropFirst().reduce(1, *)
        return Tensor(
            uncheckedShape: [range.count] + shape.dropFirst(),
            scalars: Array(scalars[range.lowerBound * perSample..<range.upperBound * perSample]))
    }

    /// Tensors of the same per-sample shape, one after another along the first axis.
    init(concatenatingRows parts: [Tensor]) {
        var values: [Float] = []
        values.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { values += part.scalars }
        self.init(uncheckedShape: [parts.reduce(0) { $0 + $1.shape[0] }] + (parts.first?.shape.dropFirst() ?? []), scalars: values)
    }

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
