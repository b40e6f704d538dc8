import RNNRuntime

/// Writes a `Graph` as the Functional model config a given Keras reads:
/// every layer once, with one inbound node per call, in config order, and
/// the model's input and output tensors.
///
/// tf.keras 2 writes a call as `[["name", node, tensor, {}], ...]` (initial
/// states as further inputs); Keras 3 as `{"args": [...], "kwargs": {...}}`
/// with `__keras_tensor__` objects (a merge's inputs as one list argument,
/// initial states in `kwargs.initial_state`), and every layer with its
/// `module` and `registered_name`. No mask operation nodes are written:
/// Keras makes the masks again when it calls the layers.
enum FunctionalConfigWriter {
    static func modelConfig(_ graph: Graph, dialect: KerasConfigWriter.Dialect) throws -> JSONText {
        let keras3 = dialect != .keras2H5
        // How each tensor is named in the config: (layer, call, output).
        var tensorNames: [(String, Int, Int)] = graph.inputNames.map { ($0, 0, 0) }
        var calls = [Int](repeating: 0, count: graph.layers.count)
        var nodesOfLayer = [[Int]](repeating: [], count: graph.layers.count)
        for (index, node) in graph.nodes.enumerated() {
            nodesOfLayer[node.layer].append(index)
            // tf.keras numbers a nested model's calls from 1 (its own construction is node 0).
            let offset = !keras3 && graph.layers[node.layer] is NestedModel ? 1 : 0
            for position in node.outputs.indices {
                tensorNames.append((graph.layers[node.layer].name, calls[node.layer] + offset, position))
            }
            calls[node.layer] += 1
        }
        func reference(_ tensor: Int) -> JSONText {
            let (name, node, index) = tensorNames[tensor]
            return .array([.string(name), .int(node), .int(index)])
        }
        func kerasTensor(_ tensor: Int) -> JSONText {
            .object([
                ("class_name", .string("__keras_tensor__")),
                ("config", .object([
                    ("shape", .shape([nil] + graph.tensorShapes[tensor])), ("dtype", .string("float32")),
                    ("keras_history", reference(tensor)),
                ])),
            ])
        }
        var layers: [JSONText] = []
        for (index, name) in graph.inputNames.enumerated() {
            layers.append(inputLayer(name: name, shape: graph.inputShapes[index], dtype: inputDType(graph, input: index), dialect: dialect))
        }
        for (index, layer) in graph.layers.enumerated() {
            let isMerge = layer is any MultiTensorLayer
            let inbound: [JSONText] = nodesOfLayer[index].map { nodeIndex in
                let node = graph.nodes[nodeIndex]
                guard keras3 else {
                    return .array(node.inputs.map { tensor in
                        let (name, call, position) = tensorNames[tensor]
                        return .array([.string(name), .int(call), .int(position), .object([])])
                    })
                }
                let args: [JSONText] = isMerge ? [.array(node.inputs.map(kerasTensor))] : [kerasTensor(node.inputs[0])]
                var kwargs: [(String, JSONText)] = []
                if !isMerge, node.inputs.count > 1 {
                    kwargs.append(("initial_state", .array(node.inputs.dropFirst().map(kerasTensor))))
                }
                return .object([("args", .array(args)), ("kwargs", .object(kwargs))])
            }
            let config = try KerasConfigWriter.layerConfig(layer, inputShape: nil, dialect: keras3 ? .keras3Archive : dialect)
            layers.append(config.appending([("name", .string(layer.name)), ("inbound_nodes", .array(inbound))]))
        }
        let inputs = graph.inputShapes.indices.map(reference)
        let outputs = graph.outputTensors.map(reference)
        // Keras 3 writes a single input or output bare, several as a list; tf.keras always a list.
        let inputList: JSONText = keras3 && inputs.count == 1 ? inputs[0] : .array(inputs)
        let outputList: JSONText = keras3 && outputs.count == 1 ? outputs[0] : .array(outputs)
        let body: JSONText = .object([
            ("name", .string(graph.name)), ("trainable", .bool(true)), ("layers", .array(layers)),
            ("input_layers", inputList), ("output_layers", outputList),
        ])
        guard keras3 else { return .object([("class_name", .string("Functional")), ("config", body)]) }
        if dialect == .keras3H5 { return .object([("class_name", .string("Functional")), ("config", body)]) }
        return .object([
            ("module", .string("keras.src.models.functional")), ("class_name", .string("Functional")), ("config", body),
            ("registered_name", .string("Functional")), ("build_config", .object([("input_shape", .null)])),
        ])
    }

    /// int32 for an input an Embedding reads, else float32.
    private static func inputDType(_ graph: Graph, input: Int) -> String {
        for node in graph.nodes where node.inputs.first == input {
            if let dtype = (try? KerasLayerRegistry.mapping(for: graph.layers[node.layer]))?.inputDType { return dtype }
        }
        return "float32"
    }

    private static func inputLayer(name: String, shape: [Int?], dtype: String, dialect: KerasConfigWriter.Dialect) -> JSONText {
        let batchShape = JSONText.shape([nil] + shape)
        if dialect == .keras2H5 {
            return .object([
                ("class_name", .string("InputLayer")),
                ("config", .object([
                    ("batch_input_shape", batchShape), ("dtype", .string(dtype)), ("sparse", .bool(false)),
                    ("ragged", .bool(false)), ("name", .string(name)),
                ])),
                ("name", .string(name)), ("inbound_nodes", .array([])),
            ])
        }
        return .object([
            ("module", .string("keras.layers")), ("class_name", .string("InputLayer")),
            ("config", .object([
                ("batch_shape", batchShape), ("dtype", .string(dtype)), ("sparse", .bool(false)),
                ("ragged", .bool(false)), ("name", .string(name)), ("optional", .bool(false)),
            ])),
            ("registered_name", .null), ("name", .string(name)), ("inbound_nodes", .array([])),
        ])
    }
}
