/// A layer that only moves values: every output value is one input value
/// or zero. Keras's reshaping layers (`Flatten`, `Reshape`, `Permute`,
/// `RepeatVector`, `Cropping1D`, `ZeroPadding1D`, `UpSampling1D`) are such
/// layers; each describes, once, which input values go where, and the
/// forward pass (a gather), the backward pass (the scatter-add of the same
/// moves) and the weights (none) all follow from that description.
///
/// Masks: none of these layers computes a mask in either Keras generation
/// (Keras 3 warns that the layer "will destroy the mask information";
/// tf.keras drops it silently), so a mask that reaches one ends there.
public protocol RearrangingLayer: Layer {
    /// Calls `move(from, to, count)` for each run of `count` consecutive
    /// values of one sample shaped `sampleShape` (accepted by
    /// `outputShape(forInputShape:)`) that the output takes from the input:
    /// input offset `from`, output offset `to`, both within the sample.
    /// Output values no run writes are zero.
    func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void)
    /// Values in the output of one sample shaped `sampleShape`.
    func outputCount(sampleShape: [Int]) -> Int
    /// Whether some output values come from no input value (zero padding).
    var padsWithZeros: Bool { get }
}

extension RearrangingLayer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public var padsWithZeros: Bool { false }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let inputCount = sampleShape.reduce(1, *), outputCount = outputCount(sampleShape: sampleShape)
        for sample in 0..<batch {
            let x = input + sample * inputCount, y = output + sample * outputCount
            if padsWithZeros { y.update(repeating: 0, count: outputCount) }
            forEachRun(sampleShape: sampleShape) { from, to, count in
                (y + to).update(from: x + from, count: count)
            }
        }
    }

    /// The output carries no mask: Keras's reshaping layers compute none.
    public var passesMask: Bool { false }

    public var streamingRefusal: String? {
        "\(Self.self) reshapes the whole sequence (or sample), so it cannot run chunk by chunk"
    }

    /// `dL/d(input)` for `dL/d(output)`: each output value's gradient goes
    /// back to the input value it came from; an input value used several
    /// times (`RepeatVector`, `UpSampling1D`) gets the sum.
    func inputGradient(_ outputGradient: Tensor, inputShape: [Int]) throws -> Tensor {
        guard let batch = inputShape.first else { throw RuntimeError.missingCache(name) }
        let sampleShape = Array(inputShape.dropFirst())
        let inputCount = sampleShape.reduce(1, *), outputCount = outputCount(sampleShape: sampleShape)
        guard outputGradient.count == batch * outputCount else { throw RuntimeError.missingCache(name) }
        var gradient = [Float](repeating: 0, count: batch * inputCount)
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            gradient.withUnsafeMutableBufferPointer { dx in
                for sample in 0..<batch {
                    let x = dx.baseAddress! + sample * inputCount, y = dy.baseAddress! + sample * outputCount
                    forEachRun(sampleShape: sampleShape) { from, to, count in
                        for i in 0..<count { x[from + i] += y[to + i] }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: inputShape, scalars: gradient)
    }
}

extension RearrangingLayer {
    /// The error for an input this layer cannot take.
    func refusal(_ detail: String) -> RuntimeError {
        .incompatibleLayer(layer: name, detail: detail)
    }
}
