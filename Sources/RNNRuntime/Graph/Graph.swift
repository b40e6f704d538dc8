/// A model whose layers form a directed acyclic graph, like Keras's
/// Functional models: several inputs and outputs, branches, merges, layers
/// called at several places with one set of weights (shared layers), and
/// recurrent layers passing their states to others.
///
/// Tensors are numbered: the model's inputs first (`0..<inputNames.count`),
/// then each node's outputs in node order. Nodes are in an order where every
/// tensor is made before it is read (Keras's files list layers that way).
///
/// ```swift
/// var graph = try Graph(
///     inputs: [("a", [5, 3]), ("b", [2])],
///     layers: [LSTM(name: "lstm", inputSize: 3, units: 4), Concatenate(name: "concat"), Dense(inputSize: 6, units: 1)],
///     calls: [.init(layer: 0, inputs: [0]), .init(layer: 1, inputs: [2, 1]), .init(layer: 2, inputs: [3])],
///     outputs: [4], outputNames: ["dense"])
/// ```
public struct Graph: Sendable {
    /// One call of a layer: which layer, on which tensors, making which.
    public struct Node: Sendable, Equatable {
        public let layer: Int
        public let inputs: [Int]
        public let outputs: [Int]
    }

    /// A call as given to `init`: the layer and the tensors it reads.
    public struct Call: Sendable {
        public let layer: Int
        public let inputs: [Int]

        public init(layer: Int, inputs: [Int]) {
            self.layer = layer
            self.inputs = inputs
        }
    }

    public var name: String
    /// Each layer once, however many nodes call it.
    public internal(set) var layers: [any Layer]
    public let inputNames: [String]
    /// Per-sample shapes of the inputs (`nil`: any length).
    public let inputShapes: [[Int?]]
    public let nodes: [Node]
    /// The tensors the model gives, in order, and the names Keras gives them (their layers').
    public let outputTensors: [Int]
    public let outputNames: [String]
    /// Every tensor's per-sample shape, by tensor number.
    public let tensorShapes: [[Int?]]
    /// Whether a timestep mask travels with each tensor.
    let tensorMasked: [Bool]

    /// - Throws: `RuntimeError` when a call reads a tensor not made yet, a
    ///   layer cannot take its inputs' shapes, or a mask reaches a layer that
    ///   cannot take one.
    public init(
        name: String = "functional", inputs: [(name: String, shape: [Int?])], layers: [any Layer], calls: [Call],
        outputs: [Int], outputNames: [String]
    ) throws {
        var shapes = inputs.map(\.shape)
        var masked = [Bool](repeating: false, count: inputs.count)
        var nodes: [Node] = []
        nodes.reserveCapacity(calls.count)
        for call in calls {
            guard layers.indices.contains(call.layer) else {
                throw RuntimeError.invalidTensor("a call names layer \(call.layer) of \(layers.count)")
            }
            let layer = layers[call.layer]
            guard !call.inputs.isEmpty, call.inputs.allSatisfy({ shapes.indices.contains($0) }) else {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "reads a tensor that is not made before it")
            }
            if layer.isStateful {
                throw RuntimeError.incompatibleLayer(
                    layer: layer.name, detail: "stateful layers are supported in Sequential models only, not in Functional graphs")
            }
            let inputShapes = call.inputs.map { shapes[$0] }
            let inputMasked = call.inputs.map { masked[$0] }
            let anyMasked = (layer is any MultiTensorLayer || layer is any GraphCallableLayer) && inputMasked.contains(true)
            if inputMasked[0] || anyMasked, let refusal = layer.maskRefusal {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: refusal)
            }
            let outputShapes = try Self.nodeOutputShapes(of: layer, inputShapes: inputShapes)
            let first = shapes.count
            nodes.append(Node(layer: call.layer, inputs: call.inputs, outputs: Array(first..<first + outputShapes.count)))
            let outputMasked = Self.outputsMasked(of: layer, inputMasked: inputMasked, outputShapes: outputShapes)
            shapes += outputShapes
            masked += outputMasked
        }
        guard !outputs.isEmpty, outputs.allSatisfy({ shapes.indices.contains($0) }), outputNames.count == outputs.count else {
            throw RuntimeError.invalidTensor("the model's outputs name tensors it does not make")
        }
        self.name = name
        self.layers = layers
        self.inputNames = inputs.map(\.name)
        self.inputShapes = inputs.map(\.shape)
        self.nodes = nodes
        self.outputTensors = outputs
        self.outputNames = outputNames
        self.tensorShapes = shapes
        self.tensorMasked = masked
    }

    /// The per-sample shapes of the outputs of a call of `layer` on tensors shaped `inputShapes`.
    public static func nodeOutputShapes(of layer: any Layer, inputShapes: [[Int?]]) throws -> [[Int?]] {
        if let callable = layer as? any GraphCallableLayer {
            return try callable.callShapes(inputShapes)
        }
        if let merge = layer as? any MultiTensorLayer {
            return [try merge.outputShape(forInputShapes: inputShapes)]
        }
        if let recurrent = layer as? any StateExposingLayer {
            let widths = recurrent.stateWidths
            let initial = inputShapes.dropFirst()
            if !initial.isEmpty {
                guard initial.count == widths.count else {
                    throw RuntimeError.incompatibleLayer(
                        layer: layer.name, detail: "takes \(widths.count) initial states, got \(initial.count)")
                }
                for (shape, width) in zip(initial, widths) where shape.count != 1 || (shape[0] != nil && shape[0] != width) {
                    throw RuntimeError.incompatibleLayer(
                        layer: layer.name, detail: "an initial state must be (batch, \(width)), got \(Tensor.describe([nil] + shape))")
                }
            }
            let main = try layer.outputShape(forInputShape: inputShapes[0])
            var outputs: [[Int?]] = [main]
            if let split = recurrent.outputSplit {
                outputs = split.map { main.dropLast() + [$0] }
            }
            if recurrent.returnState { outputs += widths.map { [$0] } }
            return outputs
        }
        guard inputShapes.count == 1 else {
            throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "takes one input, got \(inputShapes.count)")
        }
        return [try layer.outputShape(forInputShape: inputShapes[0])]
    }

    /// Which of a node's outputs carry a mask (Keras's `compute_mask`).
    static func outputsMasked(of layer: any Layer, inputMasked: [Bool], outputShapes: [[Int?]]) -> [Bool] {
        if layer is any GraphCallableLayer { return outputShapes.map { _ in false } }
        if layer is any MultiTensorLayer {
            return [inputMasked.contains(true) && outputShapes[0].count >= 2]
        }
        let main = layer.createsMask || (inputMasked[0] && layer.passesMask)
        let splitCount = (layer as? any StateExposingLayer)?.outputSplit?.count ?? 1
        return outputShapes.enumerated().map { index, shape in index < splitCount && main && shape.count >= 2 }
    }

    /// A chain as the graph it is: one input, each layer called once on the one before.
    public init(chain: Sequential) throws {
        try self.init(
            name: chain.name, inputs: [(chain.inputName ?? "input_layer", chain.inputShape)], layers: chain.layers,
            calls: chain.layers.indices.map { Call(layer: $0, inputs: [$0]) },
            outputs: [chain.layers.count], outputNames: [chain.layers.last?.name ?? chain.name])
    }

    /// Total number of weights (scalars) over all layers, each counted once.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// The per-sample output shapes, in output order.
    public var outputShapes: [[Int?]] { outputTensors.map { tensorShapes[$0] } }

    /// Replaces the weights of the layer at `index`; strict about count and shapes.
    public mutating func setParameters(_ parameters: [Tensor], ofLayerAt index: Int) throws {
        try layers[index].setParameters(parameters)
    }
}
