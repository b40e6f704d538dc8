/// Keras's `RNN(StackedRNNCells([cell, cell, ...]))`: at every step the
/// cells run in turn, each on the output of the one before, in one loop
/// over the steps. That is the same as recurrent layers stacked with
/// `return_sequences` (each step of each cell sees the same values), so the
/// stack runs its cells as such layers:
/// - the first reads the input in the stack's direction (`go_backwards`);
///   the others read their predecessor's output, which already comes in
///   processing order, forwards, with the mask reversed to match;
/// - all but the last return sequences; the last returns what the stack
///   returns, with the stack's `zero_output_for_mask`;
/// - a masked step keeps every cell's state, as the single loop does.
/// Weights: each cell's, in order.
public struct StackedRNN: Layer {
    public var name: String
    public internal(set) var layers: [any RecurrentLayer]

    /// - Parameter layers: one recurrent layer per cell, configured as above
    ///   (`init(name:cells:goBackwards:returnSequences:)` does it).
    public init(name: String = "rnn", layers: [any RecurrentLayer]) throws {
        guard let first = layers.first else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "StackedRNNCells needs at least one cell")
        }
        for (index, layer) in layers.enumerated() {
            if index > 0, layer.goBackwards {
                throw RuntimeError.incompatibleLayer(layer: name, detail: "only the first cell of a stack reads backwards")
            }
            if index < layers.count - 1, !layer.returnSequences {
                throw RuntimeError.incompatibleLayer(layer: name, detail: "every cell but the last passes on its whole sequence")
            }
            if layer.isStateful != first.isStateful {
                throw RuntimeError.incompatibleLayer(layer: name, detail: "the cells must agree on stateful")
            }
        }
        self.name = name
        self.layers = layers
    }

    public var goBackwards: Bool { layers[0].goBackwards }
    public var returnSequences: Bool { layers[layers.count - 1].returnSequences }

    public var parameterSpecs: [ParameterSpec] { layers.flatMap(\.parameterSpecs) }
    public var parameters: [Tensor] { layers.flatMap(\.parameters) }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
        var start = 0
        for index in layers.indices {
            let count = layers[index].parameterSpecs.count
            try layers[index].setParameters(Array(parameters[start..<start + count]))
            start += count
        }
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        var shape = shape
        for layer in layers { shape = try layer.outputShape(forInputShape: shape) }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        var total = 0, shape = shape
        for layer in layers {
            guard let count = layer.multiplyAdds(perSample: shape), let next = try? layer.outputShape(forInputShape: shape) else { return nil }
            total += count
            shape = next
        }
        return total
    }

    public var passesMask: Bool { returnSequences }
    public var carriedStateSize: Int { layers.reduce(0) { $0 + $1.carriedStateSize } }
    public var isStateful: Bool { layers[0].isStateful }

    /// The widest sequence a cell passes on, per sample.
    private func sequenceCount(batch: Int, steps: Int) -> Int {
        batch * steps * (layers.map { $0.cell.units }.max() ?? 0)
    }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int {
        let steps = sampleShape[0]
        var inner = 0, shape = sampleShape
        for layer in layers {
            inner = max(inner, layer.workspaceSize(batch: batch, sampleShape: shape))
            shape = [steps, layer.cell.units]
        }
        return 2 * sequenceCount(batch: batch, steps: steps) + batch * steps + inner
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
        let steps = sampleShape[0], buffer = sequenceCount(batch: batch, steps: steps)
        let sequences = [workspace, workspace + buffer]
        let reversedMask = workspace + 2 * buffer, inner = reversedMask + batch * steps
        // The later cells see the steps in processing order: so must their mask.
        var laterMask = context.mask
        if let mask = context.mask, goBackwards {
            for b in 0..<batch {
                for s in 0..<steps { reversedMask[b * steps + s] = mask[b * steps + steps - 1 - s] }
            }
            laterMask = UnsafePointer(reversedMask)
        }
        var source = input, shape = sampleShape, state = context.carriedState
        for (index, layer) in layers.enumerated() {
            let destination = index == layers.count - 1 ? output : sequences[index % 2]
            let layerContext = SequenceContext(mask: index == 0 ? context.mask : laterMask, carriedState: state)
            layer.forward(source, batch: batch, sampleShape: shape, context: layerContext, into: destination, workspace: inner)
            state = state.map { $0 + batch * layer.carriedStateSize }
            source = UnsafePointer(destination)
            shape = [steps, layer.cell.units]
        }
    }
}
