/// A layer a `Graph` calls with several input tensors: Keras's merge layers
/// (`Concatenate`, `Add`, `Dot`, ...).
///
/// Such a layer is still a `Layer` (name, weights, summary), but its
/// single-input members are never used by a graph; `Sequential` refuses it
/// through `outputShape(forInputShape:)`, which says it takes several inputs.
public protocol MultiTensorLayer: Layer {
    /// The per-sample output shape for the inputs' per-sample shapes, or why
    /// the layer cannot take them.
    func outputShape(forInputShapes shapes: [[Int?]]) throws -> [Int?]
    /// The forward pass over one batch of each input (same batch size).
    func forward(_ inputs: [Tensor]) throws -> Tensor
    /// The mask the output carries for the inputs' masks (Keras's
    /// `compute_mask`), `(batch, steps)` or nil.
    func outputMask(forInputMasks masks: [Tensor?], inputs: [Tensor], output: Tensor) -> Tensor?
}

extension MultiTensorLayer {
    /// Keras's `Merge.compute_mask`: the steps every masked input keeps
    /// (inputs without a mask keep all), while the output still has steps.
    public func outputMask(forInputMasks masks: [Tensor?], inputs: [Tensor], output: Tensor) -> Tensor? {
        let present = masks.compactMap { $0 }
        guard var combined = present.first, output.rank >= 3 else { return nil }
        for mask in present.dropFirst() where mask.shape == combined.shape {
            for i in 0..<combined.count where mask.scalars[i] == 0 { combined.scalars[i] = 0 }
        }
        return combined
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        throw RuntimeError.incompatibleLayer(
            layer: name, detail: "takes several inputs, so it runs only in a Functional model, not in a chain")
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forward([input]) }

    /// Never called: a graph runs the layer through `forward(_: [Tensor])`.
    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {}

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }
    public mutating func setParameters(_ parameters: [Tensor]) throws { try validateParameters(parameters) }
}

/// A recurrent layer (or `Bidirectional`) as a graph node: besides its
/// sequence input it may take initial states (Keras's `initial_state=[...]`)
/// and give its final states as extra outputs (`return_state=True`), and
/// `Bidirectional(merge_mode=None)` gives its two directions' outputs apart.
public protocol StateExposingLayer: Layer {
    /// Keras's `return_state`: the final states follow the output.
    var returnState: Bool { get }
    /// The per-sample width of each state tensor, in Keras's order: `h`
    /// (and `c` for LSTM); a Bidirectional's forward states, then its
    /// backward ones. Their concatenation, each `(batch, width)` block after
    /// the other, is the layer's carried-state layout (`SequenceContext`).
    var stateWidths: [Int] { get }
    /// The widths the output splits into along its last axis, one tensor
    /// each (Bidirectional with merge_mode None: forward, backward), or nil
    /// for one output.
    var outputSplit: [Int]? { get }
}

extension StateExposingLayer {
    public var outputSplit: [Int]? { nil }
}
