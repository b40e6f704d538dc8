extension Dropout: TrainableLayer {
    /// Keras's inverted dropout: in training each element is kept with
    /// probability `1 - rate` and scaled by `1 / (1 - rate)`; the mask is kept
    /// for the backward pass.
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Any) {
        guard context.training, rate > 0 else { return (input, [Float]?.none as Any) }
        let keep = 1 - rate
        let mask = (0..<input.count).map { _ in context.random.uniform() < keep ? 1 / keep : Float(0) }
        let output = Tensor(uncheckedShape: input.shape, scalars: zip(input.scalars, mask).map { $0 * $1 })
        return (output, Optional(mask) as Any)
    }

    public func backward(_ outputGradient: Tensor, cache: Any) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard let mask = cache as? [Float]? else { throw RuntimeError.missingCache(name) }
        guard let mask else { return (outputGradient, []) }
        return (Tensor(uncheckedShape: outputGradient.shape, scalars: zip(outputGradient.scalars, mask).map { $0 * $1 }), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}
