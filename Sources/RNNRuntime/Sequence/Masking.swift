/// Keras's `Masking`: a step whose features all equal `maskValue` is
/// padding. Its output is zeros there and the input elsewhere, and it
/// makes the timestep mask the layers after it follow.
///
/// Keras: `any(x != mask_value, axis=-1)` keeps a step, so a NaN feature
/// keeps it (NaN differs from everything) and `maskValue = NaN` masks nothing.
public struct Masking: Layer {
    public var name: String
    public let maskValue: Float

    public init(name: String = "masking", maskValue: Float = 0) {
        self.name = name
        self.maskValue = maskValue
    }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count >= 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "Masking needs (batch, steps, features) input, got \(Tensor.describe([nil] + shape))")
        }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    /// Whether the step of `features` numbers at `step` is kept.
    @inline(__always)
    private func isKept(_ step: UnsafePointer<Float>, features: Int) -> Bool {
        for i in 0..<features where step[i] != maskValue { return true }
        return false
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let features = sampleShape.last ?? 1
        let rows = batch * sampleShape.dropLast().reduce(1, *)
        for row in 0..<rows {
            let x = input + row * features, y = output + row * features
            if isKept(x, features: features) {
                y.update(from: x, count: features)
            } else {
                y.initialize(repeating: 0, count: features)
            }
        }
    }

    public var createsMask: Bool { true }

    public func writeMask(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], into mask: UnsafeMutablePointer<Float>
    ) {
        // Steps are the second axis; any further axes count as features.
        let steps = sampleShape[0], features = sampleShape.dropFirst().reduce(1, *)
        for row in 0..<batch * steps {
            mask[row] = isKept(input + row * features, features: features) ? 1 : 0
        }
    }
}
