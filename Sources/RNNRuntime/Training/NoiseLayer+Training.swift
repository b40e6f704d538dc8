extension NoiseLayer: TrainableLayer {
    /// What the backward pass needs: each element's factor (the dropout
    /// variants' scaled masks and draws), or the input (activity regularization).
    public enum Cache {
        case identity
        case factors([Float])
        case regularized(input: Tensor)
    }

    /// Keras's training behaviour, with this runtime's seeded draws (which
    /// cannot repeat TensorFlow's random streams, only their distributions).
    /// With `training` false, or a rate or stddev of 0, the identity.
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        switch kind {
        case .activityRegularization(let l1, let l2):
            guard context.training, l1 != 0 || l2 != 0 else { return (input, .identity) }
            return (input, .regularized(input: input))
        case .spatialDropout1D(let rate):
            guard context.training, rate > 0 else { return (input, .identity) }
            guard input.rank == 3 else {
                throw RuntimeError.incompatibleLayer(
                    layer: name, detail: "SpatialDropout1D needs (batch, steps, channels) input, gets \(Tensor.describe(input.shape))")
            }
            let (batch, steps, channels) = (input.shape[0], input.shape[1], input.shape[2])
            let keep = 1 - rate
            var factors = [Float](repeating: 0, count: input.count)
            for b in 0..<batch {
                for c in 0..<channels where context.random.uniform() < keep {
                    for t in 0..<steps { factors[(b * steps + t) * channels + c] = 1 / keep }
                }
            }
            return (Self.scaled(input, by: factors), .factors(factors))
        case .gaussianNoise(let stddev):
            guard context.training, stddev > 0 else { return (input, .identity) }
            var output = input
            for i in output.scalars.indices { output.scalars[i] += stddev * context.random.normal() }
            return (output, .identity)
        case .gaussianDropout(let rate):
            guard context.training, rate > 0 else { return (input, .identity) }
            guard rate < 1 else {
                throw RuntimeError.incompatibleLayer(layer: name, detail: "GaussianDropout with rate 1 has an infinite standard deviation")
            }
            let stddev = (rate / (1 - rate)).squareRoot()
            let factors = (0..<input.count).map { _ in 1 + stddev * context.random.normal() }
            return (Self.scaled(input, by: factors), .factors(factors))
        }
    }

    /// The gradient through the same factors; activity regularization adds
    /// `(l1 · sign(x) + 2 · l2 · x) / batch`, the gradient of its loss.
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        switch cache {
        case .identity:
            return (outputGradient, [])
        case .factors(let factors):
            guard factors.count == outputGradient.count else { throw RuntimeError.missingCache(name) }
            return (Self.scaled(outputGradient, by: factors), [])
        case .regularized(let input):
            guard input.count == outputGradient.count, case .activityRegularization(let l1, let l2) = kind else {
                throw RuntimeError.missingCache(name)
            }
            let perSample = 1 / Float(max(input.shape.first ?? 1, 1))
            var gradient = outputGradient
            for (i, x) in input.scalars.enumerated() {
                let sign: Float = x > 0 ? 1 : x < 0 ? -1 : 0
                gradient.scalars[i] += (l1 * sign + 2 * l2 * x) * perSample
            }
            return (gradient, [])
        }
    }

    /// The loss this layer adds for `input` in training: `(l1 · Σ|x| + l2 · Σx²) / batch`
    /// for activity regularization (as Keras 3's `Layer.__call__` adds it), 0 for the others.
    public func addedLoss(for input: Tensor) -> Float {
        guard case .activityRegularization(let l1, let l2) = kind else { return 0 }
        var absolute: Float = 0, squares: Float = 0
        for x in input.scalars {
            absolute += abs(x)
            squares += x * x
        }
        return (l1 * absolute + l2 * squares) / Float(max(input.shape.first ?? 1, 1))
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}

    /// The noise layers draw random numbers. Activity regularization draws
    /// none but divides by the batch size, so it too must see the whole
    /// batch: `fit` runs such models in one piece rather than split over cores.
    public var drawsRandomNumbers: Bool {
        switch kind {
        case .spatialDropout1D(let rate), .gaussianDropout(let rate): return rate > 0
        case .gaussianNoise(let stddev): return stddev > 0
        case .activityRegularization(let l1, let l2): return l1 != 0 || l2 != 0
        }
    }

    private static func scaled(_ tensor: Tensor, by factors: [Float]) -> Tensor {
        Tensor(uncheckedShape: tensor.shape, scalars: zip(tensor.scalars, factors).map { $0 * $1 })
    }
}
