/// Keras's `Bidirectional`: two recurrent layers read the same sequence,
/// the backward one last step first, and their outputs are merged.
///
/// As Keras does (`bidirectional.py`, both generations): both layers get
/// the input and its mask unchanged (the backward layer reverses them
/// itself); with `return_sequences` the backward layer's outputs, which come
/// in its processing order, are flipped back to the input's order before
/// merging, and masked steps give zeros (Keras sets each layer's
/// `zero_output_for_mask` to `return_sequences`). Weights: the forward
/// layer's, then the backward layer's.
public struct Bidirectional: Layer {
    /// How the two outputs become one: Keras's `merge_mode`.
    public enum MergeMode: String, Sendable, CaseIterable {
        /// `[forward, backward]` along the last axis.
        case concat
        case sum
        case mul
        /// `(forward + backward) / 2`
        case ave
        /// Keras's `merge_mode=None`: the two outputs apart (forward, then
        /// backward), only in a graph (`StateExposingLayer.outputSplit`).
        case separate = "None"
    }

    public var name: String
    public internal(set) var forwardLayer: any RecurrentLayer
    public internal(set) var backwardLayer: any RecurrentLayer
    public let mergeMode: MergeMode
    /// Keras's `return_state`: in a graph, both directions' final states
    /// follow the output(s), the forward layer's first.
    public var returnState = false

    /// - Throws: when the two layers disagree on what Keras requires them to
    ///   share (return_sequences, stateful, units for the element-wise modes).
    public init(
        name: String = "bidirectional", forward: any RecurrentLayer, backward: any RecurrentLayer, mergeMode: MergeMode = .concat
    ) throws {
        guard forward.returnSequences == backward.returnSequences else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "the forward and backward layers must agree on return_sequences")
        }
        guard forward.isStateful == backward.isStateful else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "the forward and backward layers must agree on stateful")
        }
        guard mergeMode == .concat || mergeMode == .separate || forward.cell.units == backward.cell.units else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "merge_mode \(mergeMode.rawValue) needs both layers to have the same units, got \(forward.cell.units) and \(backward.cell.units)")
        }
        self.name = name
        // Keras's `force_zero_output_for_mask`, whatever the layers' configs say.
        var forward = forward, backward = backward
        forward.zeroOutputForMask = forward.returnSequences
        backward.zeroOutputForMask = backward.returnSequences
        self.forwardLayer = forward
        self.backwardLayer = backward
        self.mergeMode = mergeMode
    }

    public var returnSequences: Bool { forwardLayer.returnSequences }

    /// Units of the merged output.
    public var units: Int {
        mergeMode == .concat || mergeMode == .separate ? forwardLayer.cell.units + backwardLayer.cell.units : forwardLayer.cell.units
    }

    public var parameterSpecs: [ParameterSpec] { forwardLayer.parameterSpecs + backwardLayer.parameterSpecs }
    public var parameters: [Tensor] { forwardLayer.parameters + backwardLayer.parameters }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
        let split = forwardLayer.parameterSpecs.count
        try forwardLayer.setParameters(Array(parameters[..<split]))
        try backwardLayer.setParameters(Array(parameters[split...]))
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        let forward = try forwardLayer.outputShape(forInputShape: shape)
        _ = try backwardLayer.outputShape(forInputShape: shape)
        return forward.dropLast() + [units]
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        guard let f = forwardLayer.multiplyAdds(perSample: shape), let b = backwardLayer.multiplyAdds(perSample: shape) else { return nil }
        return f + b
    }

    public var passesMask: Bool { returnSequences }
    public var carriedStateSize: Int { forwardLayer.carriedStateSize + backwardLayer.carriedStateSize }
    public var isStateful: Bool { forwardLayer.isStateful }
    public var streamingRefusal: String? {
        isStateful ? nil : "Bidirectional reads each sequence from both ends, so it cannot advance chunk by chunk unless it is stateful"
    }

    /// Floats of one direction's output for `batch` samples of `steps` steps.
    private func outputCount(_ layer: any RecurrentLayer, batch: Int, steps: Int) -> Int {
        batch * layer.cell.units * (returnSequences ? steps : 1)
    }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int {
        let steps = sampleShape[0]
        return outputCount(forwardLayer, batch: batch, steps: steps) + outputCount(backwardLayer, batch: batch, steps: steps)
            + max(forwardLayer.workspaceSize(batch: batch, sampleShape: sampleShape),
                  backwardLayer.workspaceSize(batch: batch, sampleShape: sampleShape))
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        forward(input, batch: batch, sampleShape: sampleShape, context: .none, into: output, workspace: workspace)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], context: SequenceContext,
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let steps = sampleShape[0]
        let forwardOutput = workspace
        let backwardOutput = forwardOutput + outputCount(forwardLayer, batch: batch, steps: steps)
        let inner = backwardOutput + outputCount(backwardLayer, batch: batch, steps: steps)
        var forwardContext = SequenceContext(mask: context.mask), backwardContext = forwardContext
        if let carried = context.carriedState {
            forwardContext.carriedState = carried
            backwardContext.carriedState = carried + batch * forwardLayer.carriedStateSize
        }
        forwardLayer.forward(input, batch: batch, sampleShape: sampleShape, context: forwardContext, into: forwardOutput, workspace: inner)
        backwardLayer.forward(input, batch: batch, sampleShape: sampleShape, context: backwardContext, into: backwardOutput, workspace: inner)
        merge(forwardOutput, backwardOutput, into: output, batch: batch, rows: returnSequences ? steps : 1)
    }

    /// `mergeMode` of the two directions' outputs, `rows` per sample (the
    /// steps, or 1): the backward layer's row `rows - 1 - row` is input step `row`.
    func merge(
        _ forwardOutput: UnsafePointer<Float>, _ backwardOutput: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, batch: Int, rows: Int
    ) {
        let forwardUnits = forwardLayer.cell.units, backwardUnits = backwardLayer.cell.units, width = units
        for b in 0..<batch {
            for row in 0..<rows {
                let f = forwardOutput + (b * rows + row) * forwardUnits
                let r = backwardOutput + (b * rows + (rows - 1 - row)) * backwardUnits
                let y = output + (b * rows + row) * width
                switch mergeMode {
                case .concat, .separate:
                    y.update(from: f, count: forwardUnits)
                    (y + forwardUnits).update(from: r, count: backwardUnits)
                case .sum:
                    for j in 0..<width { y[j] = f[j] + r[j] }
                case .mul:
                    for j in 0..<width { y[j] = f[j] * r[j] }
                case .ave:
                    for j in 0..<width { y[j] = (f[j] + r[j]) / 2 }
                }
            }
        }
    }
}
