/// Keras's `TimeDistributed`: the wrapped layer applied to every step on
/// its own. `(batch, steps, ...)` runs as `(batch · steps, ...)` through the
/// inner layer, whose weights are the wrapper's. A mask passes through; the
/// inner layer sees every step, masked or not, as Keras's does for layers
/// whose call takes no mask (Dense).
public struct TimeDistributed: Layer {
    public var name: String
    public internal(set) var inner: any Layer

    public init(name: String = "time_distributed", inner: any Layer) {
        self.name = name
        self.inner = inner
    }

    public var parameterSpecs: [ParameterSpec] { inner.parameterSpecs }
    public var parameters: [Tensor] { inner.parameters }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try inner.setParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count >= 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "TimeDistributed needs (batch, steps, ...) input, got \(Tensor.describe([nil] + shape))")
        }
        return [shape[0]] + (try inner.outputShape(forInputShape: Array(shape.dropFirst())))
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        guard let steps = shape.first, let each = inner.multiplyAdds(perSample: Array(shape.dropFirst())) else { return nil }
        return (steps ?? 1) * each
    }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int {
        inner.workspaceSize(batch: batch * sampleShape[0], sampleShape: Array(sampleShape.dropFirst()))
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        inner.forward(
            input, batch: batch * sampleShape[0], sampleShape: Array(sampleShape.dropFirst()),
            into: output, workspace: workspace)
    }
}
