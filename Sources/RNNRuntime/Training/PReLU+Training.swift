extension PReLU: TrainableLayer {
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Tensor) {
        (try forward(input), input)
    }

    /// `dx = dy` where `x > 0`, `alpha · dy` where `x < 0`, and 0 at `x = 0`
    /// (TensorFlow's relu gradient is 0 there on both branches); `dalpha` is
    /// `dy · x` where `x < 0`, summed over the batch and every shared axis.
    public func backward(_ outputGradient: Tensor, cache input: Tensor) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == input.count, let batch = input.shape.first else { throw RuntimeError.missingCache(name) }
        let sampleShape = Array(input.shape.dropFirst())
        let perSample = sampleShape.reduce(1, *)
        let a = alpha.scalars, x = input.scalars, dy = outputGradient.scalars
        var dx = [Float](repeating: 0, count: x.count)
        var dAlpha = [Float](repeating: 0, count: a.count)
        for b in 0..<batch {
            for i in 0..<perSample {
                let k = b * perSample + i
                if x[k] > 0 {
                    dx[k] = dy[k]
                } else if x[k] < 0 {
                    let j = alphaIndex(i, sampleShape: sampleShape)
                    dx[k] = a[j] * dy[k]
                    dAlpha[j] += x[k] * dy[k]
                }
            }
        }
        return (Tensor(uncheckedShape: input.shape, scalars: dx), [Tensor(uncheckedShape: alpha.shape, scalars: dAlpha)])
    }
}
