/// One tensor of a Functional config: output `tensor` of call `node` of
/// layer `layer` (Keras's `keras_history` / inbound node entries).
struct TensorReference: Sendable, Equatable, Hashable {
    let layer: String
    let node: Int
    let tensor: Int
}

/// A Functional model's graph as its config records it: every call of every
/// layer with the tensors it reads, in an order where each tensor is made
/// before it is read, and the model's input and output tensors.
///
/// Keras 2 writes a call as `[["input_1", 0, 0, {}], ...]`; Keras 3 as
/// `{"args": [...], "kwargs": {...}}` with `__keras_tensor__` objects whose
/// `keras_history` is `[layer, node, tensor]`; initial states come as
/// further inputs (Keras 2) or in `kwargs.initial_state` (Keras 3), and
/// either way follow the data input here. A node index counts the calls
/// listed in the producing layer's `inbound_nodes`; an `InputLayer` has one
/// node, 0. Keras 3's mask operation nodes (`NotEqual`, `Any`) and `mask`
/// keywords are left out: the runtime makes the same masks itself.
struct GraphTopology: Sendable, Equatable {
    struct Call: Sendable, Equatable {
        /// The layer's position in `ModelConfig.layers`.
        let layer: Int
        /// Which of the layer's calls this is.
        let node: Int
        let inputs: [TensorReference]
    }

    /// Every call, each after the calls that make its inputs.
    let calls: [Call]
    /// Per layer: what to add to a call's index to get the node index other
    /// layers use for its outputs. tf.keras counts a nested model's own
    /// construction as its node 0, so its first call is node 1 there; 0 otherwise.
    let nodeOffsets: [Int]
    /// The model's inputs, in `input_layers` order: positions in `ModelConfig.layers` of InputLayers.
    let inputLayers: [Int]
    let outputs: [TensorReference]

    /// Reads the graph of `rawLayers` (already checked to be objects), of
    /// which `kept` (positions in `rawLayers`, in order) become
    /// `ModelConfig.layers`; mask operation nodes are not among them.
    static func read(
        rawLayers: [ConfigJSON.Value], kept: [Int], inputLayers: ConfigJSON.Value?, outputLayers: ConfigJSON.Value?
    ) throws -> GraphTopology {
        var positionByName: [String: Int] = [:]
        for (position, raw) in kept.enumerated() {
            let item = rawLayers[raw]
            let name = item.member("name")?.string ?? item.member("config")?.member("name")?.string ?? "layers[\(raw)]"
            positionByName[name] = position
        }
        // Pending calls, made ready as their inputs appear (Kahn's order, linear overall).
        var pending: [(call: Call, missing: Int)] = []
        var waiting: [TensorReference: [Int]] = [:]
        // The awaited tensors of each (layer, node), so a finished call wakes its readers without a scan.
        var awaited: [NodeKey: [TensorReference]] = [:]
        var available = Set<TensorReference>()
        var ready: [Int] = []
        var inputs: [Int] = []
        let nodeOffsets = kept.map { raw -> Int in
            let item = rawLayers[raw]
            let nested = ["Functional", "Sequential", "Model"].contains(item.member("class_name")?.string ?? "")
            return nested && item.member("inbound_nodes")?.first?.kind == .array ? 1 : 0
        }
        for reference in FunctionalGraph.endpointReferences(inputLayers) {
            guard let position = positionByName[reference.layer] else {
                throw problem("input layer \(ConfigText.quoted(reference.layer)) is not among the layers")
            }
            inputs.append(position)
            available.insert(TensorReference(layer: reference.layer, node: 0, tensor: 0))
        }
        guard !inputs.isEmpty else { throw problem("the model names no input layers") }
        for (position, raw) in kept.enumerated() {
            let item = rawLayers[raw]
            if item.member("class_name")?.string == "InputLayer" { continue }
            let calls = item.member("inbound_nodes")?.elements ?? []
            for (node, call) in calls.enumerated() {
                let references = FunctionalGraph.tensorReferences(in: call)
                guard !references.isEmpty else {
                    throw problem("layer \(ConfigText.quoted(kept.indices.contains(position) ? (item.member("name")?.string ?? "?") : "?")) has a call with no input")
                }
                let index = pending.count
                let missing = Set(references).filter { !available.contains($0) }
                pending.append((Call(layer: position, node: node, inputs: references), missing.count))
                for reference in missing {
                    if waiting[reference] == nil { awaited[NodeKey(layer: reference.layer, node: reference.node), default: []].append(reference) }
                    waiting[reference, default: []].append(index)
                }
                if missing.isEmpty { ready.append(index) }
            }
        }
        var order: [Call] = []
        order.reserveCapacity(pending.count)
        var cursor = 0
        while cursor < ready.count {
            let call = pending[ready[cursor]].call
            cursor += 1
            order.append(call)
            let name = rawLayers[kept[call.layer]].member("name")?.string ?? ""
            // A call's outputs: any tensor index of this node becomes available.
            let node = call.node + nodeOffsets[call.layer]
            for reference in awaited[NodeKey(layer: name, node: node)] ?? [] {
                guard available.insert(reference).inserted else { continue }
                for reader in waiting[reference] ?? [] {
                    pending[reader].missing -= 1
                    if pending[reader].missing == 0 { ready.append(reader) }
                }
            }
        }
        if order.count < pending.count {
            let stuck = pending.first { $0.missing > 0 }!.call
            let name = rawLayers[kept[stuck.layer]].member("name")?.string ?? "?"
            let absent = stuck.inputs.first { reference in
                !order.contains { rawLayers[kept[$0.layer]].member("name")?.string == reference.layer && $0.node + nodeOffsets[$0.layer] == reference.node }
                    && !(reference.node == 0 && inputs.contains { rawLayers[kept[$0]].member("name")?.string == reference.layer })
            }
            throw problem(
                "layer \(ConfigText.quoted(name)) reads \(absent.map { "\(ConfigText.quoted($0.layer)) call \($0.node)" } ?? "a tensor") "
                    + "that no layer makes (or the graph has a cycle)")
        }
        let outputs = FunctionalGraph.endpointReferences(outputLayers)
        guard !outputs.isEmpty else { throw problem("the model names no output layers") }
        for output in outputs where positionByName[output.layer] == nil {
            throw problem("output layer \(ConfigText.quoted(output.layer)) is not among the layers")
        }
        return GraphTopology(calls: order, nodeOffsets: nodeOffsets, inputLayers: inputs, outputs: outputs)
    }

    private struct NodeKey: Hashable {
        let layer: String
        let node: Int
    }

    private static func problem(_ detail: String) -> ConfigProblem {
        ConfigProblem(kind: .invalidConfig, detail: "Functional model: \(detail)")
    }
}
