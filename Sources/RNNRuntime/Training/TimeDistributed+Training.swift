extension TimeDistributed: TrainableLayer {
    public typealias TrainingCache = Pullback

    /// `(batch, steps, ...)` as `(batch · steps, ...)` through the inner layer's training pass.
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Pullback) {
        guard let trainable = inner as? any TrainableLayer else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "its layer '\(inner.name)' cannot be trained")
        }
        guard input.rank >= 3 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "takes (batch, steps, ...), got \(Tensor.describe(input.shape))")
        }
        let batch = input.shape[0], steps = input.shape[1]
        let flat = Tensor(uncheckedShape: [batch * steps] + input.shape.dropFirst(2), scalars: input.scalars)
        let mask = context.mask
        context.mask = nil  // the inner layer sees single steps
        defer { context.mask = mask }
        let (output, pullback) = try trainable.forwardWithPullback(flat, context: &context)
        let shaped = Tensor(uncheckedShape: [batch, steps] + output.shape.dropFirst(), scalars: output.scalars)
        let inputShape = input.shape
        return (shaped, Pullback { gradient in
            let (inputGradient, gradients) = try pullback(
                Tensor(uncheckedShape: [batch * steps] + gradient.shape.dropFirst(2), scalars: gradient.scalars))
            return (Tensor(uncheckedShape: inputShape, scalars: inputGradient.scalars), gradients)
        })
    }

    public func backward(_ outputGradient: Tensor, cache pullback: Pullback) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        try pullback(outputGradient)
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        guard var trainable = inner as? any TrainableLayer else { return }
        trainable.updateParameters(update)
        inner = trainable
    }

    public var drawsRandomNumbers: Bool { (inner as? any TrainableLayer)?.drawsRandomNumbers ?? false }
}
