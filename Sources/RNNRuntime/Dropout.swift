/// Keras's `Dropout`: zeroes a fraction `rate` of its inputs while training
/// and is the identity at inference, which is all the runtime does for now.
public struct Dropout: Layer {
    public var name: String
    /// Fraction of inputs dropped during training, in [0, 1).
    public let rate: Float

    public init(name: String = "dropout", rate: Float) {
        self.name = name
        self.rate = rate
    }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] { shape }

    public func forward(_ input: Tensor) throws -> Tensor { input }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        output.update(from: input, count: batch * sampleShape.reduce(1, *))
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }
}
