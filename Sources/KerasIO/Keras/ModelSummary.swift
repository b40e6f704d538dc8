import RNNRuntime

/// What `kerasio import` shows: the file's provenance and a table like
/// Keras's `model.summary()`. Codable so `--json` prints the same content.
public struct ModelSummary: Codable, Sendable, Equatable {
    public struct LayerRow: Codable, Sendable, Equatable {
        public let name: String
        public let className: String
        /// With the batch dimension first, `nil` (None) where not fixed.
        public let outputShape: [Int?]
        public let parameters: Int
        /// Keras's activation name, or nil for layers without one.
        public let activation: String?
        /// For a Functional graph: the tensors each call of the layer reads,
        /// as Keras's summary shows them (`lstm[0][0]`); nil for chains.
        public var connectedTo: [String]? = nil

        enum CodingKeys: String, CodingKey {
            case name, className = "class_name", outputShape = "output_shape", parameters = "params", activation
            case connectedTo = "connected_to"
        }
    }

    public let file: String
    /// For weights-only files, the file the architecture came from.
    public let configSource: String?
    public let format: String
    public let formatDescription: String
    public let kerasVersion: String?
    /// 2 or 3: whose definitions apply (from the version, or the config's style when unrecorded).
    public let kerasGeneration: Int
    public let backend: String?
    public let modelName: String
    public let modelClass: String
    /// With the batch dimension first.
    public let inputShape: [Int?]
    public let outputShape: [Int?]
    /// The input's dtype: float32, or an integer type for ids an Embedding reads.
    public let inputDType: String
    /// True when the model carries state from batch to batch (batch fixed in the shapes).
    public let stateful: Bool
    public let layers: [LayerRow]
    public let totalParameters: Int
    /// Every input and output by name with its shape (batch first), in order.
    public var inputs: [NamedShape] = []
    public var outputs: [NamedShape] = []

    public struct NamedShape: Codable, Sendable, Equatable {
        public let name: String
        public let shape: [Int?]
    }

    enum CodingKeys: String, CodingKey {
        case file, configSource = "config_source", format, formatDescription = "format_description", kerasVersion = "keras_version", kerasGeneration = "keras_generation", backend
        case modelName = "model_name", modelClass = "model_class", inputShape = "input_shape"
        case outputShape = "output_shape", layers, totalParameters = "total_params"
        case inputDType = "input_dtype", stateful, inputs, outputs
    }

    public init(_ model: KerasModel) {
        let configs = model.config.computingLayers
        var rows: [LayerRow] = []
        // Keras shows a fixed batch size (a stateful model's) in every shape.
        let batch = model.network.fixedBatchSize
        if let graph = model.network.graph {
            rows = Self.graphRows(model, graph: graph)
        }
        for (index, layer) in model.network.layers.enumerated() where model.network.graph == nil {
            let config = configs[index]
            // The config's name for it, as Keras's summary would show it.
            let activation = config.mapping.activationName.flatMap {
                try? ActivationConfig(name: $0).resolve(generation: model.generation, at: .model).kerasName
            }
            rows.append(LayerRow(
                name: layer.name, className: config.className,
                outputShape: [batch] + (model.network.sequential?.layerOutputShapes[index] ?? []),
                parameters: layer.parameterCount, activation: activation))
        }
        file = model.file
        configSource = model.configSource
        format = model.format.rawValue
        formatDescription = model.format.description
        kerasVersion = model.kerasVersion
        kerasGeneration = model.generation.rawValue
        backend = model.backend
        modelName = model.config.name
        modelClass = model.config.className
        inputShape = [batch] + model.inputShape
        outputShape = [batch] + model.outputShape
        inputDType = model.config.inputDType
        stateful = model.network.isStateful
        layers = rows
        totalParameters = model.network.parameterCount
        inputs = zip(model.inputNames, model.network.inputShapes).map { NamedShape(name: $0, shape: [batch] + $1) }
        outputs = zip(model.outputNames, model.network.outputShapes).map { NamedShape(name: $0, shape: [batch] + $1) }
    }

    /// A graph's rows as Keras's Functional summary lists them: the inputs,
    /// then each layer in config order with what each of its calls reads.
    private static func graphRows(_ model: KerasModel, graph: Graph) -> [LayerRow] {
        var rows = zip(graph.inputNames, graph.inputShapes).map { name, shape in
            LayerRow(name: name, className: "InputLayer", outputShape: [nil] + shape, parameters: 0, activation: nil, connectedTo: [])
        }
        let configs = Dictionary(model.config.computingLayers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        // How each tensor is named: layer[call][output].
        var tensorNames = graph.inputNames.map { "\($0)[0][0]" }
        var calls = [Int](repeating: 0, count: graph.layers.count)
        var readers = [[String]](repeating: [], count: graph.layers.count)
        var firstShapes = [[Int?]?](repeating: nil, count: graph.layers.count)
        for node in graph.nodes {
            let name = graph.layers[node.layer].name
            for (position, tensor) in node.outputs.enumerated() {
                tensorNames.append("\(name)[\(calls[node.layer])][\(position)]")
                if firstShapes[node.layer] == nil { firstShapes[node.layer] = graph.tensorShapes[tensor] }
            }
            readers[node.layer] += node.inputs.map { tensorNames[$0] }
            calls[node.layer] += 1
        }
        for (index, layer) in graph.layers.enumerated() {
            let config = configs[layer.name]
            let activation = config?.mapping.activationName.flatMap {
                try? ActivationConfig(name: $0).resolve(generation: model.generation, at: .model).kerasName
            }
            rows.append(LayerRow(
                name: layer.name, className: config?.className ?? "?", outputShape: [nil] + (firstShapes[index] ?? []),
                parameters: layer.parameterCount, activation: activation, connectedTo: readers[index]))
        }
        return rows
    }

    /// The summary as a text table, in the spirit of `model.summary()`.
    public var text: String {
        func shape(_ s: [Int?]) -> String { Tensor.describe(s) }
        let isGraph = layers.contains { $0.connectedTo != nil }
        let header = ["Layer (type)", "Output Shape", "Param #", "Activation"] + (isGraph ? ["Connected to"] : [])
        let body = layers.map { row in
            ["\(row.name) (\(row.className))", shape(row.outputShape), String(row.parameters), row.activation ?? "-"]
                + (isGraph ? [row.connectedTo.map { $0.isEmpty ? "-" : $0.joined(separator: ", ") } ?? "-"] : [])
        }
        // Each cell's width is counted once and the padding built directly:
        // `padding(toLength:)` per cell made a 100,000-layer summary take
        // longer than reading the model.
        let counts = body.map { $0.map(\.count) }
        var widths = header.map(\.count)
        for row in counts {
            for column in widths.indices { widths[column] = max(widths[column], row[column]) }
        }
        func line(_ cells: [String], _ counts: [Int]) -> String {
            var text = ""
            for column in cells.indices {
                text += cells[column]
                if column < cells.count - 1 {
                    text += String(repeating: " ", count: widths[column] + 3 - counts[column])
                }
            }
            return text
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 3 * (widths.count - 1))
        var out = [
            "File:    \(file)",
            "Format:  \(formatDescription)",
        ]
        if let configSource { out.append("Config:  \(configSource) (architecture for this weights-only file)") }
        out += [
            "Keras:   \(kerasVersion ?? "version not recorded (Keras \(kerasGeneration) config)")\(backend.map { " (backend: \($0))" } ?? "")",
            "Model:   \"\(modelName)\" (\(modelClass))",
            "Input:   \(shape(inputShape))\(inputDType == "float32" ? "" : " \(inputDType) ids")"
                + (stateful ? "; stateful: each batch of \(inputShape[0] ?? 0) starts from the state the previous one left" : ""),
        ]
        if isGraph {
            out[out.count - 1] = "Inputs:  " + inputs.map { "\($0.name) \(shape($0.shape))" }.joined(separator: ", ")
            out.append("Outputs: " + outputs.map { "\($0.name) \(shape($0.shape))" }.joined(separator: ", "))
        }
        out += [
            "",
            line(header, header.map(\.count)), rule,
        ]
        out.reserveCapacity(out.count + body.count + 2)
        for index in body.indices { out.append(line(body[index], counts[index])) }
        out += [rule, "Total params: \(totalParameters)"]
        return out.joined(separator: "\n")
    }
}
