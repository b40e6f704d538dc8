extension Dropout: TrainableLayer {
    /// Keras's inverted dropout: in training each element is kept with
    /// probability `1 - rate` and scaled by `1 / (1 - rate)`; the mask is kept
    /// for the backward pass.
    /// The mask, scaled; nil when dropout was inactive.
    public typealias TrainingCache = [Float]?

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: [Float]?) {
        guard context.training, rate > 0 else { return (input, nil) }
        let keep = 1 - rate
        let mask = (0..<input.count).map { _ in context.random.uniform() < keep ? 1 / keep : Float(0) }
        let output = Tensor(uncheckedShape: input.shape, scalars: zip(input.scalars, mask).map { $0 * $1 })
        return (output, mask)
    }

    public func backward(_ outputGradient: Tensor, cache mask: [Float]?) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard let mask else { return (outputGradient, []) }
        guard mask.count == outputGradient.count else { throw RuntimeError.missingCache(name) }
        return (Tensor(uncheckedShape: outputGradient.shape, scalars: zip(outputGradient.scalars, mask).map { $0 * $1 }), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}

    public var drawsRandomNumbers: Bool { rate > 0 }
}
