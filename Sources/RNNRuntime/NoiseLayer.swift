/// Keras's regularization layers that are the identity at inference:
/// `SpatialDropout1D`, `GaussianNoise`, `GaussianDropout` and
/// `ActivityRegularization`. What each does in training is stated per case
/// (`NoiseLayer+Training.swift` does it). Any input shape, kept.
public struct NoiseLayer: Layer {
    public enum Kind: Sendable, Equatable, Hashable {
        /// Dropout of whole channels: input `(batch, steps, channels)`, one
        /// keep-or-drop draw per (sample, channel) shared by every step
        /// (Keras's `noise_shape = (batch, 1, channels)`); kept values are
        /// scaled by `1 / (1 - rate)`.
        case spatialDropout1D(rate: Float)
        /// `x + N(0, stddev²)`, a fresh draw per element.
        case gaussianNoise(stddev: Float)
        /// `x · N(1, rate / (1 - rate))`, a fresh draw per element.
        case gaussianDropout(rate: Float)
        /// The identity; adds `(l1 · Σ|x| + l2 · Σx²) / batch` to the loss
        /// (Keras divides an activity regularizer's loss by the batch size).
        case activityRegularization(l1: Float, l2: Float)
    }

    public var name: String
    public let kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        if case .spatialDropout1D = kind, shape.count != 2 {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "SpatialDropout1D needs (batch, steps, channels) input, gets \(Tensor.describe([nil] + shape))")
        }
        return shape
    }

    public func forward(_ input: Tensor) throws -> Tensor { input }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        output.update(from: input, count: batch * sampleShape.reduce(1, *))
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }
}
