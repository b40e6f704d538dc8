/// Keras's `LayerNormalization`: each sample (each step of a sequence, for
/// the default last axis) is normalized over `axes` with its own mean and
/// variance, `y = (x - mean) / √(var + ε) · γ + β`, computed as Keras 3's
/// `ops.layer_normalization`: `inv = γ / √(var + ε)`, `y = x · inv + (β - mean · inv)`.
///
/// Keras 3's `rms_scaling=True` scales by the same variance but subtracts
/// no mean and adds no β: `y = x / √(var + ε) · γ` (Keras's deprecated
/// option, kept because files have it).
///
/// Weights, shaped like the input along `axes`: `gamma` if `scale` (or
/// `rmsScaling`), `beta` if `center` and not `rmsScaling`. Batch
/// statistics play no part, so training and inference agree; a mask
/// passes through unchanged.
public struct LayerNormalization: Layer, WeightHolding {
    public var name: String
    /// Keras's `axis` list: the batch is axis 0, negative axes count from the end.
    public let axes: [Int]
    /// The number of axes after the batch of the input the layer takes.
    public let inputRank: Int
    /// `axes` among the sample's axes (0-based, sorted, consecutive), or nil when they do not fit `inputRank`.
    public let sampleAxes: [Int]?
    /// The input's lengths along `axes`: the weights' shape.
    public let parameterShape: [Int]
    public var epsilon: Float
    public let center: Bool
    public let scale: Bool
    public let rmsScaling: Bool
    public var weights: WeightList

    /// A layer with Keras's initial weights (γ ones, β zeros).
    public init(
        name: String = "layer_normalization", parameterShape: [Int], axes: [Int] = [-1], inputRank: Int = 1,
        epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false
    ) {
        self.name = name
        self.parameterShape = parameterShape
        self.axes = axes
        self.inputRank = inputRank
        self.sampleAxes = try? NormalizedAxes.resolve(axes, sampleRank: inputRank).get()
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rmsScaling = rmsScaling
        var weights = WeightList([
            scale || rmsScaling ? Weight("gamma", shape: parameterShape, initializer: .ones) : nil,
            center && !rmsScaling ? Weight("beta", shape: parameterShape, initializer: .zeros) : nil,
        ])
        var unused = RandomSource(seed: 0)
        weights.initialize(random: &unused)
        self.weights = weights
    }

    public var gamma: Tensor? { scale || rmsScaling ? weights[0] : nil }
    public var beta: Tensor? { center && !rmsScaling ? weights[weights.items.count - 1] : nil }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == inputRank, let sampleAxes else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "LayerNormalization(axis=\(axes)) takes \(inputRank + 1)-axis input, got \(Tensor.describe([nil] + shape))")
        }
        guard sampleAxes.map({ shape[$0] }) == parameterShape.map({ Optional($0) }) else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "LayerNormalization's weights are \(Tensor.describe(parameterShape)) along axis \(axes), input has \(Tensor.describe([nil] + shape))")
        }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        3 * shape.reduce(1) { $0 * ($1 ?? 1) }
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    /// The normalized block of a sample shaped `sampleShape`.
    func block(_ sampleShape: [Int]) -> NormalizedAxes {
        NormalizedAxes(first: sampleAxes?.first ?? 0, last: sampleAxes?.last ?? 0, sampleShape: sampleShape)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let block = block(sampleShape)
        let n = block.length, after = block.after
        let g = gamma?.scalars, b = beta?.scalars
        for outer in 0..<batch * block.before {
            for inner in 0..<after {
                let start = outer * n * after + inner
                let (mean, variance) = Self.moments(input + start, count: n, stride: after)
                let r = 1 / (variance + epsilon).squareRoot()
                for k in 0..<n {
                    let at = start + k * after
                    var inv = r
                    if let g { inv *= g[k] }
                    if rmsScaling {
                        output[at] = input[at] * inv
                    } else {
                        var offset = -mean * inv
                        if let b { offset += b[k] }
                        output[at] = input[at] * inv + offset
                    }
                }
            }
        }
    }

    /// Mean and (biased) variance of `count` values `stride` apart, in two
    /// passes as `tf.nn.moments` computes them.
    @inline(__always)
    static func moments(_ x: UnsafePointer<Float>, count: Int, stride: Int) -> (mean: Float, variance: Float) {
        var sum: Float = 0
        for k in 0..<count { sum += x[k * stride] }
        let mean = sum / Float(count)
        var squares: Float = 0
        for k in 0..<count {
            let d = x[k * stride] - mean
            squares += d * d
        }
        return (mean, squares / Float(count))
    }
}
