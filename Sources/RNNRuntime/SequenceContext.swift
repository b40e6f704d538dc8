/// What a layer's forward pass may need besides its input: the timestep
/// mask that came with the input, and the state the layer carries from one
/// call to the next.
///
/// A mask is Keras's `_keras_mask`: one number per sample and step, 1 where
/// the step is real data and 0 where it is padding, made by `Masking` or
/// `Embedding(mask_zero=True)` and passed on by every per-step layer until a
/// layer without a steps axis in its output ends it. Recurrent layers keep
/// their state unchanged at masked steps.
public struct SequenceContext {
    /// `(batch, steps)` of 1 (kept) and 0 (masked), or nil: every step is kept.
    public var mask: UnsafePointer<Float>?
    /// `batch · carriedStateSize` floats: the state the layer starts from,
    /// overwritten with the state it ends in; nil to start from zeros and
    /// keep nothing.
    public var carriedState: UnsafeMutablePointer<Float>?

    public init(mask: UnsafePointer<Float>? = nil, carriedState: UnsafeMutablePointer<Float>? = nil) {
        self.mask = mask
        self.carriedState = carriedState
    }

    /// No mask, nothing carried.
    public static var none: SequenceContext { SequenceContext() }
}

extension Layer {
    public var createsMask: Bool { false }

    public func writeMask(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], into mask: UnsafeMutablePointer<Float>
    ) {}

    public var passesMask: Bool { true }

    public var maskRefusal: String? { nil }

    public var carriedStateSize: Int { 0 }

    public var isStateful: Bool { false }

    public var streamingRefusal: String? { nil }

    public func checkInput(_ input: UnsafeBufferPointer<Float>, sampleShape: [Int]) throws {}

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], context: SequenceContext,
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        forward(input, batch: batch, sampleShape: sampleShape, into: output, workspace: workspace)
    }
}

extension Layer {
    /// `forward(Tensor)` by way of the pointer forward, on fresh memory.
    func forwardThroughPointer(_ input: Tensor) throws -> Tensor {
        guard input.rank >= 1, input.shape[0] >= 1 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "takes a batch, got \(Tensor.describe(input.shape))")
        }
        let batch = input.shape[0], sample = Array(input.shape.dropFirst())
        let outputSample = try outputShape(forInputShape: sample.map { Optional($0) }).map { $0 ?? 1 }
        var output = [Float](repeating: 0, count: batch * outputSample.reduce(1, *))
        var workspace = [Float](repeating: 0, count: max(workspaceSize(batch: batch, sampleShape: sample), 1))
        input.scalars.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                workspace.withUnsafeMutableBufferPointer { w in
                    forward(x.baseAddress!, batch: batch, sampleShape: sample, into: y.baseAddress!, workspace: w.baseAddress!)
                }
            }
        }
        return Tensor(uncheckedShape: [batch] + outputSample, scalars: output)
    }
}
