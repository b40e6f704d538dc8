extension ActivationLayer: TrainableLayer {
    /// The input and output of the forward pass.
    public struct Cache {
        let input: Tensor
        let output: Tensor
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let output = try forward(input)
        return (output, Cache(input: input, output: output))
    }

    /// TensorFlow's gradients: those of `Activation.backpropagate` where the
    /// function is one of the runtime's activations, `reluDerivative` for the
    /// other ReLU layers.
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == cache.output.count else { throw RuntimeError.missingCache(name) }
        var gradient = outputGradient.scalars
        let count = gradient.count
        let shape = cache.input.shape
        let width = shape.count > 1 ? shape[shape.count - 1] : 1
        if let elementwise {
            cache.input.scalars.withUnsafeBufferPointer { z in
                cache.output.scalars.withUnsafeBufferPointer { y in
                    gradient.withUnsafeMutableBufferPointer { g in
                        guard let z = z.baseAddress, let y = y.baseAddress, let g = g.baseAddress else { return }
                        elementwise.backpropagate(preActivation: z, output: y, gradient: g, count: count, lastAxis: width)
                    }
                }
            }
        } else if case .relu(let maxValue, let slope, let threshold) = function {
            let x = cache.input.scalars
            for i in 0..<count {
                gradient[i] *= Self.reluDerivative(x[i], maxValue: maxValue, negativeSlope: slope, threshold: threshold)
            }
        }
        return (Tensor(uncheckedShape: outputGradient.shape, scalars: gradient), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}
