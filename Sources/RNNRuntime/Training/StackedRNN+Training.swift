extension StackedRNN: TrainableLayer {
    /// Each cell's backward pass, first cell first.
    public typealias TrainingCache = [Pullback]

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: [Pullback]) {
        if isStateful {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "training a stateful RNN is not supported")
        }
        let mask = context.mask
        defer { context.mask = mask }
        var laterMask = mask
        if let mask, goBackwards {
            let batch = mask.shape[0], steps = mask.shape[1]
            var reversed = mask.scalars
            for b in 0..<batch {
                for s in 0..<steps { reversed[b * steps + s] = mask.scalars[b * steps + steps - 1 - s] }
            }
            laterMask = Tensor(uncheckedShape: mask.shape, scalars: reversed)
        }
        var x = input
        var pullbacks: [Pullback] = []
        for (index, layer) in layers.enumerated() {
            guard let trainable = layer as? any TrainableLayer else {
                throw RuntimeError.incompatibleLayer(layer: name, detail: "its cell '\(layer.name)' cannot be trained")
            }
            context.mask = index == 0 ? mask : laterMask
            let (output, pullback) = try trainable.forwardWithPullback(x, context: &context)
            pullbacks.append(pullback)
            x = output
        }
        return (x, pullbacks)
    }

    public func backward(_ outputGradient: Tensor, cache pullbacks: [Pullback]) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        var gradient = outputGradient
        var gradients: [[Tensor]] = []
        for pullback in pullbacks.reversed() {
            let (inputGradient, parameterGradients) = try pullback(gradient)
            gradients.append(parameterGradients)
            gradient = inputGradient
        }
        return (gradient, gradients.reversed().flatMap { $0 })
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        var offset = 0
        for index in layers.indices {
            guard var trainable = layers[index] as? any TrainableLayer else { continue }
            let start = offset
            trainable.updateParameters { parameter, values in update(start + parameter, &values) }
            offset += trainable.parameterSpecs.count
            if let layer = trainable as? any RecurrentLayer { layers[index] = layer }
        }
    }

    public var drawsRandomNumbers: Bool { layers.contains { ($0 as? any TrainableLayer)?.drawsRandomNumbers ?? false } }
}
