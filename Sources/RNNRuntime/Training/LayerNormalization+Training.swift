extension LayerNormalization: TrainableLayer {
    /// The input: the backward pass recomputes each group's statistics from it.
    public typealias TrainingCache = Tensor

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Tensor) {
        (try forward(input), input)
    }

    /// Per group of n entries (one sample's `axes`), with μ and σ² the
    /// group's mean and biased variance, r = 1/√(σ² + ε), dz = dy·γ:
    /// - plain: x̂ = (x - μ)·r, y = x̂·γ + β, dx = r·(dz - mean(dz) - x̂·mean(dz·x̂)),
    ///   dγ = Σ dy·x̂, dβ = Σ dy;
    /// - rms_scaling: y = x·r·γ, dx_k = r·dz_k - r³(x_k - μ)/n · Σ dz·x, dγ = Σ dy·x·r.
    public func backward(_ outputGradient: Tensor, cache input: Tensor) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == input.count, input.rank >= 1 else { throw RuntimeError.missingCache(name) }
        let block = block(Array(input.shape.dropFirst()))
        let n = block.length, after = block.after
        let x = input.scalars, dy = outputGradient.scalars
        let g = gamma?.scalars
        var dx = [Float](repeating: 0, count: x.count)
        var dGamma = [Float](repeating: 0, count: n), dBeta = [Float](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            for outer in 0..<input.shape[0] * block.before {
                for inner in 0..<after {
                    let start = outer * n * after + inner
                    let (mean, variance) = Self.moments(xp.baseAddress! + start, count: n, stride: after)
                    let r = 1 / (variance + epsilon).squareRoot()
                    var sumDz: Float = 0, sumDzXHat: Float = 0, sumDzX: Float = 0
                    for k in 0..<n {
                        let at = start + k * after
                        let dz = dy[at] * (g?[k] ?? 1)
                        sumDz += dz
                        sumDzXHat += dz * (x[at] - mean) * r
                        sumDzX += dz * x[at]
                        dGamma[k] += dy[at] * (rmsScaling ? x[at] : x[at] - mean) * r
                        dBeta[k] += dy[at]
                    }
                    let count = Float(n)
                    for k in 0..<n {
                        let at = start + k * after
                        let dz = dy[at] * (g?[k] ?? 1)
                        if rmsScaling {
                            dx[at] = r * dz - r * r * r * (x[at] - mean) / count * sumDzX
                        } else {
                            let xHat = (x[at] - mean) * r
                            dx[at] = r * (dz - sumDz / count - xHat * sumDzXHat / count)
                        }
                    }
                }
            }
        }
        var gradients: [Tensor] = []
        if gamma != nil { gradients.append(Tensor(uncheckedShape: parameterShape, scalars: dGamma)) }
        if beta != nil { gradients.append(Tensor(uncheckedShape: parameterShape, scalars: dBeta)) }
        return (Tensor(uncheckedShape: input.shape, scalars: dx), gradients)
    }
}
