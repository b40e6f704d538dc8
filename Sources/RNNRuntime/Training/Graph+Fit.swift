extension Graph {
    /// Trains the graph in place, Keras's `fit` for a Functional model: per
    /// batch a forward pass over every node, one loss per output (weighted by
    /// `lossWeights` and summed, as Keras's `CompileLoss` does), the
    /// backward pass in reverse node order with gradients summed where a
    /// tensor feeds several nodes and where a shared layer is called several
    /// times, then one optimizer step over all weights.
    ///
    /// Batches run in one piece (no split over threads).
    public mutating func fit(
        x: [Tensor], y: [Tensor], losses: [Loss], lossWeights: [Float]?, optimizer: inout any Optimizer,
        options: FitOptions = FitOptions(), progress: (EpochReport) -> Void = { _ in }
    ) throws -> [EpochReport] {
        try checkInputShapes(x.map(\.shape))
        let samples = x[0].shape[0]
        guard y.count == outputTensors.count else {
            throw RuntimeError.invalidInput("the model gives \(outputTensors.count) outputs (\(outputNames.joined(separator: ", "))), got \(y.count) y arrays")
        }
        for (index, target) in y.enumerated() {
            let expected = outputShapes[index]
            guard target.shape.first == samples, target.shape.count == expected.count + 1,
                  zip(expected, target.shape.dropFirst()).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) else {
                throw RuntimeError.invalidTensor(
                    "y for output '\(outputNames[index])' has shape \(Tensor.describe(target.shape)), "
                        + "the model gives \(Tensor.describe([nil] + expected)) for \(samples) samples")
            }
        }
        let losses = losses.count == 1 ? Array(repeating: losses[0], count: outputTensors.count) : losses
        let weights = lossWeights ?? Array(repeating: 1, count: outputTensors.count)
        guard losses.count == outputTensors.count, weights.count == outputTensors.count else {
            throw RuntimeError.invalidInput("one loss and loss weight per output (\(outputTensors.count)), got \(losses.count) and \(weights.count)")
        }
        guard options.batchSize >= 1, options.epochs >= 0, (0..<1).contains(options.validationSplit) else {
            throw RuntimeError.invalidTensor("batch size must be at least 1 and validation split in [0, 1)")
        }
        for layer in layers where !(layer is any TrainableLayer) && !(layer is any TrainableMultiTensorLayer) {
            throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "cannot be trained")
        }
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
                var context = TrainingContext(training: true, random: random)
                let value = try trainStep(
                    x: x.map { $0.gathering(indices) }, y: y.map { $0.gathering(indices) }, losses: losses, weights: weights,
                    optimizer: &optimizer, context: &context)
                random = context.random
                weightedLoss += value * Float(indices.count)
                batchLosses.append(value)
                batchSizes.append(indices.count)
                batchStart += options.batchSize
            }
            var validationLoss: Float?
            if trainCount < samples {
                let held = Array(trainCount..<samples)
                var context = TrainingContext(training: false, random: RandomSource(seed: 0))
                let pass = try forwardPass(x.map { $0.gathering(held) }, context: &context)
                validationLoss = try Self.totalLoss(
                    pass, outputs: outputTensors, targets: y.map { $0.gathering(held) }, losses: losses, weights: weights).value
            }
            let report = EpochReport(
                epoch: epoch, epochs: options.epochs, loss: weightedLoss / Float(max(trainCount, 1)),
                batchLosses: batchLosses, batchSizes: batchSizes, validationLoss: validationLoss,
                seconds: DispatchTimeCompat.now() - start)
            reports.append(report)
            progress(report)
        }
        return reports
    }

    /// What one node's forward pass keeps for its backward pass.
    enum NodeBackward {
        case single(Pullback)
        case states(StatePullback, stateCount: Int)
        case merge(any TrainableMultiTensorLayer, inputs: [Tensor], output: Tensor)
    }

    struct ForwardPass {
        var values: [Tensor?]
        var masks: [Tensor?]
        var backward: [NodeBackward] = []
    }

    /// Every node's training forward pass, keeping the backward passes.
    func forwardPass(_ inputs: [Tensor], context: inout TrainingContext) throws -> ForwardPass {
        var pass = ForwardPass(
            values: [Tensor?](repeating: nil, count: tensorShapes.count), masks: [Tensor?](repeating: nil, count: tensorShapes.count))
        for (index, input) in inputs.enumerated() { pass.values[index] = input }
        pass.backward.reserveCapacity(nodes.count)
        for node in nodes {
            let layer = layers[node.layer]
            let arguments = node.inputs.map { pass.values[$0]! }
            let argumentMasks = node.inputs.map { pass.masks[$0] }
            var outputs: [Tensor]
            var outputMasks: [Tensor?]
            if let merge = layer as? any TrainableMultiTensorLayer {
                let output = try merge.forward(arguments)
                outputs = [output]
                outputMasks = [merge.outputMask(forInputMasks: argumentMasks, inputs: arguments, output: output)]
                pass.backward.append(.merge(merge, inputs: arguments, output: output))
            } else if let recurrent = layer as? any StateExposingLayer, arguments.count > 1 || recurrent.returnState || recurrent.outputSplit != nil {
                guard let trainable = layer as? any StateTrainableLayer, recurrent.outputSplit == nil else {
                    throw RuntimeError.incompatibleLayer(
                        layer: layer.name, detail: "training through Bidirectional states or merge_mode=None is not supported")
                }
                context.mask = argumentMasks[0]
                let initial = arguments.count > 1 ? arguments.dropFirst().flatMap(\.scalars) : nil
                let (output, finalState, pullback) = try trainable.forwardWithStates(arguments[0], initialState: initial, context: &context)
                context.mask = nil
                outputs = [output]
                let outputMask = Sequential.mask(after: layer, input: arguments[0], output: output, incoming: argumentMasks[0])
                outputMasks = [outputMask]
                if recurrent.returnState {
                    let batch = output.shape[0]
                    var offset = 0
                    for width in recurrent.stateWidths {
                        outputs.append(Tensor(uncheckedShape: [batch, width], scalars: Array(finalState[offset..<offset + batch * width])))
                        outputMasks.append(nil)
                        offset += batch * width
                    }
                }
                pass.backward.append(.states(pullback, stateCount: finalState.count))
            } else {
                guard let trainable = layer as? any TrainableLayer, arguments.count == 1 else {
                    throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "cannot be trained here")
                }
                context.mask = argumentMasks[0]
                let (output, pullback) = try trainable.forwardWithPullback(arguments[0], context: &context)
                context.mask = nil
                outputs = [output]
                outputMasks = [Sequential.mask(after: layer, input: arguments[0], output: output, incoming: argumentMasks[0])]
                pass.backward.append(.single(pullback))
            }
            for (position, tensor) in node.outputs.enumerated() {
                pass.values[tensor] = outputs[position]
                pass.masks[tensor] = tensorMasked[tensor] ? outputMasks[position] : nil
            }
        }
        return pass
    }

    /// Σ weight · loss over the outputs, and dL/d(each output tensor).
    static func totalLoss(
        _ pass: ForwardPass, outputs: [Int], targets: [Tensor], losses: [Loss], weights: [Float]
    ) throws -> (value: Float, gradients: [Int: Tensor]) {
        var total: Float = 0
        var gradients: [Int: Tensor] = [:]
        for (index, tensor) in outputs.enumerated() {
            let predicted = pass.values[tensor]!
            // Keras weights a sequence output's loss by the mask it carries.
            let rowWeights = predicted.rank == 3 ? pass.masks[tensor].map { Loss.maskWeights($0.scalars) } : nil
            let (value, gradient) = try losses[index].evaluate(predicted: predicted, target: targets[index], rowWeights: rowWeights)
            total += weights[index] * value
            var scaled = gradient
            if weights[index] != 1 { for i in 0..<scaled.count { scaled.scalars[i] *= weights[index] } }
            if let existing = gradients[tensor] {
                for i in 0..<scaled.count { scaled.scalars[i] += existing.scalars[i] }
            }
            gradients[tensor] = scaled
        }
        return (total, gradients)
    }

    /// One optimizer step on one batch; returns the batch's loss before the step.
    mutating func trainStep(
        x: [Tensor], y: [Tensor], losses: [Loss], weights: [Float], optimizer: inout any Optimizer,
        context: inout TrainingContext
    ) throws -> Float {
        let pass = try forwardPass(x, context: &context)
        let (value, outputGradients) = try Self.totalLoss(pass, outputs: outputTensors, targets: y, losses: losses, weights: weights)
        var gradients = [Tensor?](repeating: nil, count: tensorShapes.count)
        for (tensor, gradient) in outputGradients { gradients[tensor] = gradient }
        func accumulate(_ tensor: Int, _ gradient: Tensor) {
            guard var sum = gradients[tensor] else { gradients[tensor] = gradient; return }
            for i in 0..<min(sum.count, gradient.count) { sum.scalars[i] += gradient.scalars[i] }
            gradients[tensor] = sum
        }
        // Per layer, the weights' gradients summed over its calls (a shared layer's).
        var parameterGradients: [[Tensor]?] = Array(repeating: nil, count: layers.count)
        var squares: [[Tensor?]?] = Array(repeating: nil, count: layers.count)
        for (index, node) in nodes.enumerated().reversed() {
            let outputGradients = node.outputs.map { gradients[$0] }
            guard outputGradients.contains(where: { $0 != nil }) else { continue }
            var layerGradients: [Tensor] = []
            switch pass.backward[index] {
            case .single(let pullback):
                let gradient = outputGradients[0]!
                if let sparse = pullback.squares?(gradient) {
                    squares[node.layer] = Self.sum(squares[node.layer], sparse)
                }
                let (inputGradient, weightsGradients) = try pullback(gradient)
                accumulate(node.inputs[0], inputGradient)
                layerGradients = weightsGradients
            case .states(let pullback, let stateCount):
                let batch = pass.values[node.outputs[0]]!.shape[0]
                var stateGradient: [Float]?
                if outputGradients.count > 1, outputGradients.dropFirst().contains(where: { $0 != nil }) {
                    var combined = [Float](repeating: 0, count: stateCount)
                    var offset = 0
                    for (position, tensor) in node.outputs.enumerated().dropFirst() {
                        let width = tensorShapes[tensor].last.flatMap { $0 } ?? 0
                        if let g = outputGradients[position] {
                            for i in 0..<batch * width { combined[offset + i] = g.scalars[i] }
                        }
                        offset += batch * width
                    }
                    stateGradient = combined
                }
                let (inputGradient, weightsGradients, initialGradient) = try pullback.run(outputGradients[0], stateGradient)
                accumulate(node.inputs[0], inputGradient)
                var offset = 0
                for tensor in node.inputs.dropFirst() {
                    let count = pass.values[tensor]!.count
                    accumulate(tensor, Tensor(uncheckedShape: pass.values[tensor]!.shape, scalars: Array(initialGradient[offset..<offset + count])))
                    offset += count
                }
                layerGradients = weightsGradients
            case .merge(let merge, let inputs, let output):
                let inputGradients = try merge.backward(outputGradients[0]!, inputs: inputs, output: output)
                for (tensor, gradient) in zip(node.inputs, inputGradients) { accumulate(tensor, gradient) }
            }
            if !layerGradients.isEmpty {
                parameterGradients[node.layer] = Self.sum(parameterGradients[node.layer], layerGradients)
            }
        }
        // Weights a forward pass set itself (BatchNormalization's moving statistics): the last call's.
        var assignments = [[Int: [Float]]](repeating: [:], count: layers.count)
        for (index, node) in nodes.enumerated() {
            if case .single(let pullback) = pass.backward[index] {
                assignments[node.layer].merge(pullback.assigned) { _, later in later }
            }
        }
        optimizer.beginStep()
        var offset = 0
        for index in layers.indices {
            let count = layers[index].parameterSpecs.count
            let gradients = parameterGradients[index] ?? layers[index].parameterSpecs.map { Tensor(zeros: $0.shape) }
            let layerSquares = squares[index] ?? []
            let assigned = assignments[index]
            let update: (Int, inout [Float]) -> Void = { parameter, values in
                // Keras's optimizer sees only trainable weights.
                if let new = assigned[parameter] {
                    values = new
                    return
                }
                let square = parameter < layerSquares.count ? layerSquares[parameter]?.scalars : nil
                optimizer.update(parameter: offset + parameter, values: &values, gradient: gradients[parameter].scalars, squares: square)
            }
            if var trainable = layers[index] as? any TrainableLayer {
                trainable.updateParameters(update)
                layers[index] = trainable
            }
            offset += count
        }
        return value
    }

    private static func sum(_ a: [Tensor]?, _ b: [Tensor]) -> [Tensor] {
        guard var a else { return b }
        for k in a.indices where k < b.count {
            for i in 0..<min(a[k].count, b[k].count) { a[k].scalars[i] += b[k].scalars[i] }
        }
        return a
    }

    private static func sum(_ a: [Tensor?]?, _ b: [Tensor?]) -> [Tensor?] {
        guard var a else { return b }
        for k in a.indices where k < b.count {
            guard var x = a[k], let y = b[k] else { continue }
            for i in 0..<min(x.count, y.count) { x.scalars[i] += y.scalars[i] }
            a[k] = x
        }
        return a
    }
}
