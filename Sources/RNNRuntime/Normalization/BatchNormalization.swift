/// Keras's `BatchNormalization` at inference: each channel (the entries of
/// the input along `axis`) is normalized with the moving statistics,
/// `y = (x - moving_mean) / √(moving_variance + ε) · γ + β`, computed as
/// TensorFlow's `batch_normalization` does: `inv = γ / √(var + ε)`,
/// `y = x · inv + (β - mean · inv)`.
///
/// Weights, in Keras's order and each `(channels)`: `gamma` if `scale`,
/// `beta` if `center`, then `moving_mean` and `moving_variance` (Keras's
/// non-trainable weights, which training sets from the batch statistics;
/// see `BatchNormalization+Training.swift`). A mask passes through unchanged.
public struct BatchNormalization: Layer, WeightHolding {
    public var name: String
    /// Keras's `axis`: the channel axis, the batch being axis 0, negative counting from the end.
    public let axis: Int
    /// The number of axes after the batch of the input the layer takes (Keras fixes it when it builds the layer).
    public let inputRank: Int
    /// The channel axis among the sample's axes (0-based), or nil when `axis` does not fit `inputRank`.
    public let sampleAxis: Int?
    public let channels: Int
    public var momentum: Float
    public var epsilon: Float
    public let center: Bool
    public let scale: Bool
    /// What training adds to the count of kept entries when a timestep mask
    /// weighs the batch statistics: Keras 3 adds `backend.epsilon()` (1e-7),
    /// tf.keras (`tf.nn.weighted_moments`) nothing.
    public var maskedCountEpsilon: Float
    /// Keras 3's `synchronized`: batch statistics over every device of a
    /// distributed run; one device computes the same, so it is only kept to be written back.
    public var synchronized = false
    /// `gamma`, `beta`, `moving_mean`, `moving_variance` (the first two when set).
    public var weights: WeightList

    /// A layer with Keras's initial weights (γ and the moving variance ones, the rest zeros).
    public init(
        name: String = "batch_normalization", channels: Int, axis: Int = -1, inputRank: Int = 1, momentum: Float = 0.99,
        epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, maskedCountEpsilon: Float = 1e-7
    ) {
        self.name = name
        self.channels = channels
        self.axis = axis
        self.inputRank = inputRank
        self.sampleAxis = try? NormalizedAxes.resolve([axis], sampleRank: inputRank).get().first
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.maskedCountEpsilon = maskedCountEpsilon
        var weights = WeightList([
            scale ? Weight("gamma", shape: [channels], initializer: .ones) : nil,
            center ? Weight("beta", shape: [channels], initializer: .zeros) : nil,
            Weight("moving_mean", shape: [channels], initializer: .zeros),
            Weight("moving_variance", shape: [channels], initializer: .ones),
        ])
        var unused = RandomSource(seed: 0)
        weights.initialize(random: &unused)
        self.weights = weights
    }

    /// The index of `moving_mean` in `parameterSpecs`; `moving_variance` follows it.
    var movingMeanIndex: Int { (scale ? 1 : 0) + (center ? 1 : 0) }
    public var gamma: Tensor? { scale ? weights[0] : nil }
    public var beta: Tensor? { center ? weights[scale ? 1 : 0] : nil }
    public var movingMean: Tensor { weights[movingMeanIndex] }
    public var movingVariance: Tensor { weights[movingMeanIndex + 1] }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == inputRank, let sampleAxis else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "BatchNormalization(axis=\(axis)) takes \(inputRank + 1)-axis input, got \(Tensor.describe([nil] + shape))")
        }
        guard shape[sampleAxis] == channels else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "BatchNormalization takes \(channels) channels on axis \(axis), input has \(Tensor.describe([nil] + shape))")
        }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        shape.reduce(1) { $0 * ($1 ?? 1) }
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int { 2 * channels }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let block = NormalizedAxes(first: sampleAxis ?? 0, last: sampleAxis ?? 0, sampleShape: sampleShape)
        let inv = workspace, shift = workspace + channels
        movingMean.scalars.withUnsafeBufferPointer { mean in
            movingVariance.scalars.withUnsafeBufferPointer { variance in
                writeCoefficients(mean: mean.baseAddress!, variance: variance.baseAddress!, inv: inv, shift: shift)
            }
        }
        Self.apply(input, into: output, rows: batch * block.before, channels: channels, after: block.after, inv: inv, shift: shift)
    }

    /// TensorFlow's `batch_normalization` per channel: `inv = γ / √(var + ε)`, `shift = β - mean · inv`.
    func writeCoefficients(
        mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
        inv: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>
    ) {
        for c in 0..<channels {
            inv[c] = 1 / (variance[c] + epsilon).squareRoot()
        }
        if let gamma {
            gamma.scalars.withUnsafeBufferPointer { g in for c in 0..<channels { inv[c] *= g[c] } }
        }
        for c in 0..<channels { shift[c] = -mean[c] * inv[c] }
        if let beta {
            beta.scalars.withUnsafeBufferPointer { b in for c in 0..<channels { shift[c] = b[c] - mean[c] * inv[c] } }
        }
    }

    /// `y = x · inv[c] + shift[c]` over `(rows, channels, after)`.
    static func apply(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, channels: Int, after: Int,
        inv: UnsafePointer<Float>, shift: UnsafePointer<Float>
    ) {
        var index = 0
        for _ in 0..<rows {
            for c in 0..<channels {
                let scale = inv[c], offset = shift[c]
                for _ in 0..<after {
                    y[index] = x[index] * scale + offset
                    index += 1
                }
            }
        }
    }
}
