/// The layer graph of a Functional model, reduced to the one shape kerasio
/// runs: a single chain from one input to one output.
///
/// Keras 2 writes a layer's inputs as `inbound_nodes: [[["input_1", 0, 0, {}]]]`
/// (one list per call, one entry per input tensor). Keras 3 writes
/// `inbound_nodes: [{"args": [{"class_name": "__keras_tensor__", "config":
/// {"keras_history": ["input_layer", 0, 0], ...}}], "kwargs": {...}}]`.
/// Both are read; anything but a chain (branches, merges, several inputs or
/// outputs, shared layers) is refused with the layer where it happens.
///
/// Keras 3 records how a `Masking` or `Embedding(mask_zero=True)` mask is
/// computed as operation nodes (`NotEqual`, then `Any` for Masking, from
/// `keras.src.ops.numpy`) whose output reaches layers only through their
/// `mask` keyword. Those nodes are not a user's branch: they are left out
/// of the chain, and the runtime computes the same mask from the layer
/// that makes it.
///
/// Everything here is linear in the number of layers: names are looked up in
/// dictionaries, and the chain is walked once.
struct FunctionalGraph {
    struct Node {
        let name: String
        let className: String
        /// How many times the layer is called (more than once: a shared layer).
        let callCount: Int
        /// The layers whose output the first call takes.
        let inputs: [String]
        /// The layers whose output the first call takes as its `mask` keyword.
        let maskInputs: [String]
        /// Keras 3's `module` (`keras.src.ops.numpy` for operation nodes).
        let module: String?

        /// An operation node of the kind Keras 3 writes to compute a mask.
        var isMaskOperation: Bool {
            // `.keras` configs name the module; legacy `.h5` configs leave it out.
            Self.maskOperationClasses.contains(className) && (module?.hasPrefix("keras.src.ops") ?? true)
        }

        /// The operations Keras 3's layers use to compute masks (Masking,
        /// Embedding, and the merge layers' `compute_mask`). `Concatenate`
        /// is also a layer class: only the graph's shape tells them apart.
        static let maskOperationClasses: Set<String> = [
            "NotEqual", "Any", "All", "LogicalOr", "LogicalAnd", "LogicalNot", "ExpandDims", "ZerosLike", "OnesLike",
            "Concatenate", "BroadcastTo", "Squeeze", "Cast",
        ]
    }

    /// Orders the layers of a Functional config as a chain, input first, and
    /// returns their positions in the config's `layers` list.
    static func chainOrder(rawLayers: [ConfigJSON.Value], inputLayers: ConfigJSON.Value?, outputLayers: ConfigJSON.Value?) throws -> [Int] {
        let count = rawLayers.count
        var nodes: [Node] = []
        nodes.reserveCapacity(count)
        var byName: [String: Int] = [:]
        byName.reserveCapacity(count)
        var index = 0
        while index < count {
            let raw = rawLayers[index]
            let name = raw.member("name")?.string ?? raw.member("config")?.member("name")?.string ?? "layers[\(index)]"
            let calls = raw.member("inbound_nodes")?.elements ?? []
            let first: (data: [String], mask: [String]) = calls.first.map(references(in:)) ?? ([], [])
            let node = Node(
                name: name, className: raw.member("class_name")?.string ?? "?", callCount: calls.count,
                inputs: first.data, maskInputs: first.mask, module: raw.member("module")?.string)
            if let earlier = byName.updateValue(index, forKey: name) {
                throw problem(
                    "layers[\(earlier)] and layers[\(index)] are both named \(ConfigText.quoted(name)); Keras requires unique layer names")
            }
            nodes.append(node)
            index += 1
        }
        let maskNodes = maskOperationNodes(nodes, byName: byName, outputs: Set(endpointNames(outputLayers)))
        let inputs = endpointNames(inputLayers)
        let outputs = endpointNames(outputLayers)
        guard inputs.count == 1 else {
            throw problem("the model has \(inputs.count) inputs (\(ConfigText.names(inputs))); kerasio runs single-input chains")
        }
        guard outputs.count == 1 else {
            throw problem("the model has \(outputs.count) outputs (\(ConfigText.names(outputs))); kerasio runs single-output chains")
        }
        // Who reads each layer, by position: a chain needs exactly one reader per
        // layer but the output, so a count and the first reader suffice; the
        // names of several readers are gathered only for the message.
        var readerCount = [Int](repeating: 0, count: count)
        var firstReader = [Int](repeating: -1, count: count)
        func readers(of producer: String) -> [String] {
            nodes.filter { $0.inputs.first == producer }.map(\.name)
        }
        index = 0
        while index < count {
            let node = nodes[index]
            if maskNodes.contains(index) {
                index += 1
                continue
            }
            if node.callCount > 1 {
                throw problem("layer \(ConfigText.quoted(node.name)) is called \(node.callCount) times (a shared layer); kerasio runs chains where each layer is used once")
            }
            if node.callCount == 1 {
                if node.inputs.count != 1 {
                    throw problem("layer \(ConfigText.quoted(node.name)) merges \(node.inputs.count) inputs (\(ConfigText.names(node.inputs))): branches are not supported; kerasio runs chains where each layer takes one input")
                }
                guard let producer = byName[node.inputs[0]] else {
                    throw problem("layer \(ConfigText.quoted(node.name)) takes the output of \(ConfigText.quoted(node.inputs[0])), which is not among the layers")
                }
                readerCount[producer] += 1
                if firstReader[producer] < 0 { firstReader[producer] = index }
            }
            index += 1
        }
        guard var current = byName[inputs[0]] else {
            throw problem("input layer \(ConfigText.quoted(inputs[0])) is not among the layers")
        }
        guard let output = byName[outputs[0]] else {
            throw problem("output layer \(ConfigText.quoted(outputs[0])) is not among the layers")
        }
        var ordered = [current]
        var seen = [Bool](repeating: false, count: count)
        seen[current] = true
        while current != output {
            let name = nodes[current].name
            guard readerCount[current] == 1 else {
                if readerCount[current] == 0 {
                    throw problem("layer \(ConfigText.quoted(name)) feeds nothing, yet the output is \(ConfigText.quoted(outputs[0]))")
                }
                let next = readers(of: name)
                throw problem("layer \(ConfigText.quoted(name)) feeds \(next.count) layers (\(ConfigText.names(next))): a branch; kerasio runs single chains")
            }
            let following = firstReader[current]
            guard !seen[following] else {
                throw problem("layer \(ConfigText.quoted(nodes[following].name)) appears twice in the chain (a cycle)")
            }
            seen[following] = true
            ordered.append(following)
            current = following
        }
        if readerCount[current] > 0 {
            throw problem("the output layer \(ConfigText.quoted(nodes[current].name)) also feeds \(ConfigText.names(readers(of: nodes[current].name))): a branch")
        }
        if ordered.count + maskNodes.count < count {
            let unused = nodes.indices.filter { !seen[$0] && !maskNodes.contains($0) }.map { nodes[$0].name }
            throw problem("layers \(ConfigText.names(unused)) are not on the path from input to output: a branch")
        }
        guard nodes[ordered[0]].className == "InputLayer" else {
            throw problem("the model's input \(ConfigText.quoted(inputs[0])) is not an InputLayer")
        }
        return ordered
    }

    /// The positions in `rawLayers` of everything but Keras 3's mask operation nodes.
    static func positionsWithoutMaskOperations(_ rawLayers: [ConfigJSON.Value], outputLayers: ConfigJSON.Value?) -> [Int] {
        var nodes: [Node] = [], byName: [String: Int] = [:]
        for (index, raw) in rawLayers.enumerated() {
            let name = raw.member("name")?.string ?? raw.member("config")?.member("name")?.string ?? "layers[\(index)]"
            let calls = raw.member("inbound_nodes")?.elements ?? []
            let all = calls.map(references(in:))
            nodes.append(Node(
                name: name, className: raw.member("class_name")?.string ?? "?", callCount: calls.count,
                inputs: all.flatMap(\.data), maskInputs: all.flatMap(\.mask), module: raw.member("module")?.string))
            byName[name] = index
        }
        let masks = maskOperationNodes(nodes, byName: byName, outputs: Set(endpointNames(outputLayers)))
        return rawLayers.indices.filter { !masks.contains($0) }
    }

    /// The positions of Keras 3's mask operation nodes: `NotEqual`/`Any`
    /// nodes whose output is read only as a `mask` keyword or by another
    /// such node. An operation node whose output is data is kept (and then
    /// refused as the unsupported class it is).
    private static func maskOperationNodes(_ nodes: [Node], byName: [String: Int], outputs: Set<String> = []) -> Set<Int> {
        var candidates = Set(nodes.indices.filter { nodes[$0].isMaskOperation && !outputs.contains(nodes[$0].name) })
        // Drop candidates read as data by anything that is not a candidate,
        // and candidates nothing reads at all, until stable: what is left
        // feeds only `mask` keywords, directly or through other candidates.
        var changed = true
        while changed {
            changed = false
            var read = Set<Int>()
            for (index, node) in nodes.enumerated() {
                for input in node.inputs {
                    guard let producer = byName[input] else { continue }
                    if candidates.contains(index) { read.insert(producer) } else if candidates.remove(producer) != nil { changed = true }
                }
                for input in node.maskInputs { if let producer = byName[input] { read.insert(producer) } }
            }
            for candidate in candidates where !read.contains(candidate) {
                candidates.remove(candidate)
                changed = true
            }
        }
        return candidates
    }

    /// The names of the layers one call reads from, in either generation's
    /// encoding: data inputs, and (Keras 3) the `mask` keyword's.
    private static func references(in call: ConfigJSON.Value) -> (data: [String], mask: [String]) {
        var masks: [TensorReference] = []
        if call.kind == .object, let mask = call.member("kwargs")?.member("mask") { collectReferences(mask, into: &masks) }
        return (tensorReferences(in: call).map(\.layer), masks.map(\.layer))
    }

    /// The tensors one call reads as data (not its `mask` keyword), in
    /// order, with their node and tensor indices, in either generation's encoding.
    static func tensorReferences(in call: ConfigJSON.Value) -> [TensorReference] {
        if call.kind == .array {
            return call.elements.compactMap(reference)
        }
        var found: [TensorReference] = []
        if let args = call.member("args") { collectReferences(args, into: &found) }
        if let kwargs = call.member("kwargs") {
            for (name, value) in kwargs.members where name != "mask" { collectReferences(value, into: &found) }
        }
        return found
    }

    private static func collectReferences(_ value: ConfigJSON.Value, into found: inout [TensorReference]) {
        switch value.kind {
        case .object:
            if let history = value.member("keras_history"), let reference = reference(history) {
                found.append(reference)
                return
            }
            for member in value.memberValues { collectReferences(member, into: &found) }
        case .array:
            for element in value.elements { collectReferences(element, into: &found) }
        default:
            return
        }
    }


    /// `input_layers` / `output_layers` as tensor references.
    static func endpointReferences(_ value: ConfigJSON.Value?) -> [TensorReference] {
        guard let list = value, list.kind == .array else { return [] }
        let elements = list.elements
        if elements.first?.string != nil { return reference(list).map { [$0] } ?? [] }
        return elements.compactMap(reference)
    }

    /// `["name", node, tensor, ...]` (either generation's keras_history or endpoint).
    static func reference(_ value: ConfigJSON.Value) -> TensorReference? {
        let parts = value.elements
        guard let name = parts.first?.string else { return nil }
        func index(_ i: Int) -> Int { i < parts.count ? Int(exactly: parts[i].double ?? 0) ?? -1 : 0 }
        return TensorReference(layer: name, node: index(1), tensor: index(2))
    }

    /// `input_layers` / `output_layers`: `[["name", 0, 0], ...]`, or one `["name", 0, 0]`.
    private static func endpointNames(_ value: ConfigJSON.Value?) -> [String] {
        guard let list = value, list.kind == .array else { return [] }
        let elements = list.elements
        if let single = elements.first?.string { return [single] }
        return elements.compactMap { $0.elements.first?.string }
    }

    private static func problem(_ detail: String) -> ConfigProblem {
        ConfigProblem(kind: .unsupportedLayer, detail: "Functional model: \(detail)")
    }
}
