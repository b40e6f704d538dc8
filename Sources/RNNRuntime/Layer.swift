/// The name and shape of one weight a layer holds, in Keras's `get_weights()` order.
public struct ParameterSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

/// A layer of a model: a forward pass over a batch plus its weights.
///
/// Shapes passed to `outputShape(forInputShape:)` leave out the batch
/// dimension; `nil` stands for a dimension not fixed in advance (the number
/// of steps of a variable-length sequence), printed `None` as Keras does.
public protocol Layer: Sendable {
    /// The layer's name, unique within its model (Keras's `layer.name`).
    var name: String { get }
    /// The weights this layer holds, in order.
    var parameterSpecs: [ParameterSpec] { get }
    /// The weights themselves, in the order of `parameterSpecs`.
    var parameters: [Tensor] { get }
    /// Replaces all weights; strict: the count and every shape must match `parameterSpecs`.
    mutating func setParameters(_ parameters: [Tensor]) throws
    /// The per-sample output shape for a per-sample input shape, or an error
    /// saying why this layer cannot take that input.
    func outputShape(forInputShape shape: [Int?]) throws -> [Int?]
    /// Runs the layer on a batch; the first dimension of `input` is the batch.
    func forward(_ input: Tensor) throws -> Tensor
    /// Multiply-adds of one forward pass of one sample shaped `shape` (no
    /// batch axis; activations not counted), or nil if not known.
    func multiplyAdds(perSample shape: [Int?]) -> Int?

    /// Floats of working memory `forward(_:batch:sampleShape:into:workspace:)`
    /// needs for `batch` samples shaped `sampleShape` (no batch axis).
    func workspaceSize(batch: Int, sampleShape: [Int]) -> Int
    /// The forward pass on caller-owned memory, allocating nothing: reads
    /// `batch` samples shaped `sampleShape` (which `outputShape(forInputShape:)`
    /// has accepted) from `input` and writes the output, `batch` times the
    /// per-sample output shape, to `output`, which does not overlap `input`.
    func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>)

    // Masks and carried state (`SequenceContext.swift` has the defaults:
    // no mask made, masks passed on, nothing carried).

    /// Whether the layer makes a timestep mask for the layers after it
    /// (Keras's `Masking`, `Embedding(mask_zero=True)`).
    var createsMask: Bool { get }
    /// Writes the `(batch, steps)` mask (1 kept, 0 masked) of this input.
    func writeMask(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], into mask: UnsafeMutablePointer<Float>)
    /// Whether a mask that reaches the layer goes on with its output (Keras's
    /// `compute_mask`): true for per-step layers, false for a recurrent
    /// layer that returns only its last output.
    var passesMask: Bool { get }
    /// Why the layer cannot take a timestep mask, or nil if it can.
    var maskRefusal: String? { get }
    /// Floats per sample of state the layer can carry from one call to the
    /// next (a recurrent layer's), 0 for layers that carry nothing.
    var carriedStateSize: Int { get }
    /// Whether the layer carries its state between calls even in a plain
    /// `predict` (Keras's `stateful=True`).
    var isStateful: Bool { get }
    /// Throws when the values of a model input (this layer being the first)
    /// are ones the layer cannot take; the default takes any.
    func checkInput(_ input: UnsafeBufferPointer<Float>, sampleShape: [Int]) throws
    /// Why the layer cannot advance chunk by chunk in a `StreamingSession`, or nil.
    var streamingRefusal: String? { get }
    /// The forward pass with the mask the input carries and the layer's
    /// carried state (see `SequenceContext`); layers that use neither take
    /// the default, which is the plain pointer forward.
    func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], context: SequenceContext,
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>)
}

extension Layer {
    public func multiplyAdds(perSample shape: [Int?]) -> Int? { nil }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int { 0 }

    /// The number of weights (scalars) the layer holds, as `model.summary()` counts them.
    public var parameterCount: Int {
        parameterSpecs.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// The forward pass: `layer(x)`.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try forward(input)
    }

    /// Checks a replacement weight list against `parameterSpecs`.
    func validateParameters(_ parameters: [Tensor]) throws {
        let specs = parameterSpecs
        guard parameters.count == specs.count else {
            throw RuntimeError.parameterCountMismatch(
                layer: name, expected: specs.map(\.name), actualCount: parameters.count)
        }
        for (spec, tensor) in zip(specs, parameters) where spec.shape != tensor.shape {
            throw RuntimeError.parameterShapeMismatch(
                layer: name, parameter: spec.name, expected: spec.shape, actual: tensor.shape)
        }
    }
}
