extension BatchNormalization: TrainableLayer {
    /// What the backward pass needs: the input, the statistics it was
    /// normalized with, and for batch statistics the weight each entry had
    /// in them (its step's mask) and the moving statistics to assign.
    public struct Cache {
        let input: Tensor
        let block: NormalizedAxes
        /// Per channel: the mean and variance used (the batch's in training, the moving ones otherwise).
        let mean: [Float]
        let variance: [Float]
        /// Whether `mean` and `variance` are the batch's (and so depend on the input).
        let batchStatistics: Bool
        /// `(batch, steps)` weights of the entries (the timestep mask), nil for all ones.
        let mask: [Float]?
        /// Per channel: the sum of the entries' weights plus `maskedCountEpsilon` under a mask.
        let counts: [Float]
        /// The moving mean and variance after this batch, in training.
        let newMovingMean: [Float]?
        let newMovingVariance: [Float]?
    }

    /// Batch statistics couple the samples of a batch: `fit` must not split it.
    public var needsWholeBatch: Bool { true }

    /// In training, the moving statistics this batch moved, as Keras assigns
    /// them: `moving · momentum + batch · (1 - momentum)`.
    public func assignedParameters(cache: Cache) -> [Int: [Float]] {
        guard let mean = cache.newMovingMean, let variance = cache.newMovingVariance else { return [:] }
        return [movingMeanIndex: mean, movingMeanIndex + 1: variance]
    }

    /// The weight of the entry at flat index `index` of the input: its step's mask value.
    @inline(__always)
    private static func entryWeight(_ index: Int, mask: [Float]?, sampleSize: Int, stepSize: Int, steps: Int) -> Float {
        guard let mask else { return 1 }
        let sample = index / sampleSize
        return mask[sample * steps + (index - sample * sampleSize) / stepSize]
    }

    /// Training uses the batch's mean and biased variance over every axis but
    /// `axis` (Keras 3's `_moments`, tf.keras's `tf.nn.moments`); under a
    /// timestep mask, their weighted forms over the kept steps (Keras 3 adds
    /// 1e-7 to the kept count, tf.keras's `weighted_moments` does not).
    /// Outside training (`context.training` false) the moving statistics.
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let sampleShape = Array(input.shape.dropFirst())
        _ = try outputShape(forInputShape: sampleShape.map { Optional($0) })
        let batch = input.shape[0]
        let block = NormalizedAxes(first: sampleAxis ?? 0, last: sampleAxis ?? 0, sampleShape: sampleShape)
        let sampleSize = sampleShape.reduce(1, *)
        let steps = sampleShape.first ?? 1, stepSize = sampleSize / max(steps, 1)
        var mask: [Float]?
        if context.training, let given = context.mask {
            guard input.rank == 3, given.count == batch * steps else {
                throw RuntimeError.incompatibleLayer(
                    layer: name, detail: "a timestep mask \(Tensor.describe(given.shape)) does not fit input \(Tensor.describe(input.shape))")
            }
            mask = given.scalars
        }
        var mean = movingMean.scalars, variance = movingVariance.scalars
        var counts = [Float](repeating: 0, count: channels)
        var newMovingMean: [Float]?, newMovingVariance: [Float]?
        let x = input.scalars
        if context.training {
            var sums = [Float](repeating: 0, count: channels)
            var index = 0
            for _ in 0..<batch * block.before {
                for c in 0..<channels {
                    for _ in 0..<block.after {
                        let w = Self.entryWeight(index, mask: mask, sampleSize: sampleSize, stepSize: stepSize, steps: steps)
                        counts[c] += w
                        sums[c] += w * x[index]
                        index += 1
                    }
                }
            }
            if mask != nil { for c in 0..<channels { counts[c] += maskedCountEpsilon } }
            for c in 0..<channels { mean[c] = counts[c] > 0 ? sums[c] / counts[c] : 0 }
            var squares = [Float](repeating: 0, count: channels)
            index = 0
            for _ in 0..<batch * block.before {
                for c in 0..<channels {
                    for _ in 0..<block.after {
                        let w = Self.entryWeight(index, mask: mask, sampleSize: sampleSize, stepSize: stepSize, steps: steps)
                        let d = x[index] - mean[c]
                        squares[c] += w * d * d
                        index += 1
                    }
                }
            }
            for c in 0..<channels { variance[c] = counts[c] > 0 ? squares[c] / counts[c] : 0 }
            let movingMean = movingMean.scalars, movingVariance = movingVariance.scalars
            newMovingMean = (0..<channels).map { movingMean[$0] * momentum + mean[$0] * (1 - momentum) }
            newMovingVariance = (0..<channels).map { movingVariance[$0] * momentum + variance[$0] * (1 - momentum) }
        }
        var output = [Float](repeating: 0, count: input.count)
        var coefficients = [Float](repeating: 0, count: 2 * channels)
        mean.withUnsafeBufferPointer { m in
            variance.withUnsafeBufferPointer { v in
                coefficients.withUnsafeMutableBufferPointer { k in
                    writeCoefficients(mean: m.baseAddress!, variance: v.baseAddress!, inv: k.baseAddress!, shift: k.baseAddress! + channels)
                }
            }
        }
        x.withUnsafeBufferPointer { xp in
            output.withUnsafeMutableBufferPointer { y in
                coefficients.withUnsafeBufferPointer { k in
                    Self.apply(xp.baseAddress!, into: y.baseAddress!, rows: batch * block.before, channels: channels,
                               after: block.after, inv: k.baseAddress!, shift: k.baseAddress! + channels)
                }
            }
        }
        let cache = Cache(
            input: input, block: block, mean: mean, variance: variance, batchStatistics: context.training, mask: mask,
            counts: counts, newMovingMean: newMovingMean, newMovingVariance: newMovingVariance)
        return (Tensor(uncheckedShape: input.shape, scalars: output), cache)
    }

    /// With x̂ = (x - μ)·r, r = 1/√(σ² + ε) and y = x̂·γ + β: dγ = Σ dy·x̂,
    /// dβ = Σ dy. With the moving statistics, dx = dy·γ·r. With the batch's
    /// (μ = Σ wx / W, σ² = Σ w(x - μ)² / W, w the entry's mask weight):
    /// dx_j = dx̂_j·r + (w_j / W)·(dμ + 2(x_j - μ)·dσ²), where
    /// dσ² = -½r³ Σ dx̂(x - μ) and dμ = -r Σ dx̂ - 2 dσ² Σ w(x - μ) / W.
    /// The moving statistics get their gradient only when they were used
    /// (in training the optimizer never sees them: `assignedParameters`).
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == cache.input.count else { throw RuntimeError.missingCache(name) }
        let x = cache.input.scalars, dy = outputGradient.scalars
        let rows = cache.input.shape[0] * cache.block.before, after = cache.block.after
        let sampleSize = cache.input.count / max(cache.input.shape[0], 1)
        let steps = cache.input.rank > 1 ? cache.input.shape[1] : 1, stepSize = sampleSize / max(steps, 1)
        let g = gamma?.scalars
        let r = cache.variance.map { 1 / ($0 + epsilon).squareRoot() }
        var dGamma = [Float](repeating: 0, count: channels), dBeta = [Float](repeating: 0, count: channels)
        // Σ dx̂, Σ dx̂·(x - μ) and Σ w·(x - μ) per channel.
        var sumDxHat = [Float](repeating: 0, count: channels), sumDxHatCentered = [Float](repeating: 0, count: channels)
        var sumWeightedCentered = [Float](repeating: 0, count: channels)
        var index = 0
        for _ in 0..<rows {
            for c in 0..<channels {
                for _ in 0..<after {
                    let centered = x[index] - cache.mean[c]
                    dGamma[c] += dy[index] * centered * r[c]
                    dBeta[c] += dy[index]
                    let dxHat = dy[index] * (g?[c] ?? 1)
                    sumDxHat[c] += dxHat
                    sumDxHatCentered[c] += dxHat * centered
                    sumWeightedCentered[c] += Self.entryWeight(
                        index, mask: cache.mask, sampleSize: sampleSize, stepSize: stepSize, steps: steps) * centered
                    index += 1
                }
            }
        }
        var dx = [Float](repeating: 0, count: x.count)
        var dMovingMean = [Float](repeating: 0, count: channels), dMovingVariance = [Float](repeating: 0, count: channels)
        let dVariance = (0..<channels).map { -0.5 * r[$0] * r[$0] * r[$0] * sumDxHatCentered[$0] }
        var dMean = (0..<channels).map { -r[$0] * sumDxHat[$0] }
        if cache.batchStatistics {
            for c in 0..<channels where cache.counts[c] > 0 {
                dMean[c] -= 2 * dVariance[c] * sumWeightedCentered[c] / cache.counts[c]
            }
        } else {
            dMovingMean = dMean
            dMovingVariance = dVariance
        }
        index = 0
        for _ in 0..<rows {
            for c in 0..<channels {
                let gc = g?[c] ?? 1
                for _ in 0..<after {
                    var value = dy[index] * gc * r[c]
                    if cache.batchStatistics, cache.counts[c] > 0 {
                        let w = Self.entryWeight(index, mask: cache.mask, sampleSize: sampleSize, stepSize: stepSize, steps: steps)
                        value += w / cache.counts[c] * (dMean[c] + 2 * (x[index] - cache.mean[c]) * dVariance[c])
                    }
                    dx[index] = value
                    index += 1
                }
            }
        }
        var gradients: [Tensor] = []
        if scale { gradients.append(Tensor(uncheckedShape: [channels], scalars: dGamma)) }
        if center { gradients.append(Tensor(uncheckedShape: [channels], scalars: dBeta)) }
        gradients.append(Tensor(uncheckedShape: [channels], scalars: dMovingMean))
        gradients.append(Tensor(uncheckedShape: [channels], scalars: dMovingVariance))
        return (Tensor(uncheckedShape: cache.input.shape, scalars: dx), gradients)
    }
}
