import Foundation

/// A model's architecture: the `model_config` attribute of an `.h5` file or
/// the `config.json` of a `.keras` archive.
///
/// Accepted: `Sequential` with `{"name", "layers": [...]}` (Keras 2.2+ and
/// Keras 3) or with a bare layer list (Keras 2.0/2.1); `Functional` (or
/// `Model`) whose graph is a single chain (see `FunctionalGraph`).
///
/// Reading is linear in the size of the config and bounded by
/// `ConfigLimits`; every refusal is one line naming the layer (name, class
/// and position in `layers`) and the option, what was expected and what was
/// found, with text from the file quoted, escaped and cut short.
public struct ModelConfig: Sendable, Equatable {
    /// `Sequential`, `Functional` or `Model`.
    public let className: String
    public let name: String
    /// The layers in order, `InputLayer` included when the file has one; for a
    /// Functional model, the layers of its chain from input to output.
    public let layers: [LayerConfig]
    /// The per-sample input shape (without the batch), from the `InputLayer`,
    /// the first layer's `batch_input_shape`, or Keras 3's build config.
    public let inputShape: ConfigShape
    /// The batch size the input shape fixes (a stateful model's), or nil.
    public let inputBatchSize: Int?
    /// The input's dtype from the `InputLayer` ("float32" without one).
    public let inputDType: String
    /// The layers that compute, without the `InputLayer`.
    public let computingLayers: [LayerConfig]
    /// Each of `computingLayers`' position in the config's `layers` list, for messages.
    let computingPositions: [Int]
    /// For a Functional model that is not a single chain: its graph over
    /// `layers` (every layer of the config but Keras 3's mask operation
    /// nodes, in config order). Nil for Sequential models and chains.
    let graph: GraphTopology?
    /// Each model input's per-sample shape, batch size and dtype, in input order
    /// (one for Sequential models and chains: `inputShape`).
    let inputs: [InputSpec]

    struct InputSpec: Sendable, Equatable {
        let name: String
        let shape: ConfigShape
        let batchSize: Int?
        let dtype: String
    }

    init(document: ConfigJSON) throws {
        let root = document.root
        guard root.kind == .object else {
            throw ConfigProblem(.invalidConfig, at: .model, "must be a JSON object with class_name and config, found \(root.found)")
        }
        let top = ConfigFields(object: root, place: .model)
        guard let className = try top.string("class_name") else {
            throw ConfigProblem(.invalidConfig, at: .model, "has no class_name")
        }
        try self.init(className: className, body: top.value("config"), buildConfig: top.value("build_config"))
    }

    /// A model from its class name, its `config` body and its `build_config`:
    /// a whole file's model, or a model used as a layer inside another.
    /// - Parameter keepsGraph: read a Functional model as a graph even when
    ///   it is a chain (a nested model keeps its inputs' names and class).
    init(className: String, body: ConfigJSON.Value?, buildConfig: ConfigJSON.Value?, keepsGraph: Bool = false) throws {
        self.className = className
        // Candidates for the input shape when the first layer declares none, in order.
        var buildShapes: [(key: StaticString, value: ConfigJSON.Value?)] = []
        let topBuild = buildConfig.flatMap { ConfigFields(object: $0, place: .model).value("input_shape") }
        let names = LayerNames()
        var graphTopology: GraphTopology?
        let entries: [ConfigJSON.Value]
        var positions: [Int]
        var layers: [LayerConfig] = []
        switch className {
        case "Sequential":
            if let list = body, list.kind == .array {
                // Keras 2.0/2.1: "config" is the layer list itself.
                name = "sequential"
                entries = list.elements
                buildShapes = [("build_config.input_shape", topBuild)]
            } else {
                let config = try Self.modelBody(body)
                name = try config.name() ?? "sequential"
                entries = try Self.layerList(config)
                buildShapes = [("build_input_shape", config.value("build_input_shape")), ("build_config.input_shape", topBuild)]
            }
            layers.reserveCapacity(entries.count)
            var unknown: [ConfigProblem] = []
            var index = 0
            while index < entries.count {
                do {
                    let layer = try LayerConfig(entries[index], index: index, defaultName: names.makeName)
                    try names.register(layer.name, index: index, className: layer.className)
                    layers.append(layer)
                } catch let problem as ConfigProblem where problem.unsupportedClass != nil {
                    unknown.append(problem)
                } catch {
                    // Unknown classes come first: they say most about what is missing.
                    if !unknown.isEmpty { throw ConfigProblem.unsupportedClasses(unknown) }
                    throw error
                }
                index += 1
            }
            if !unknown.isEmpty { throw ConfigProblem.unsupportedClasses(unknown) }
            positions = Array(entries.indices)
        case "Functional", "Model":
            let config = try Self.modelBody(body)
            name = try config.name() ?? "functional"
            entries = try Self.layerList(config)
            // The graph is checked before the layers' own configs, so a branch
            // or merge is reported as such rather than as an unknown merge class.
            var decoded: [Result<LayerConfig, Error>] = []
            decoded.reserveCapacity(entries.count)
            var index = 0
            while index < entries.count {
                do {
                    decoded.append(.success(try LayerConfig(entries[index], index: index, defaultName: names.makeName)))
                } catch {
                    decoded.append(.failure(error))
                }
                index += 1
            }
            for case .failure(let failure) in decoded {
                // A layer of a known class with an option kerasio refuses says more than the graph's shape does.
                if let problem = failure as? ConfigProblem, problem.kind == .unsupportedOption { throw problem }
            }
            do {
                if keepsGraph { throw ConfigProblem(kind: .unsupportedLayer, detail: "kept as a graph") }
                positions = try FunctionalGraph.chainOrder(
                    rawLayers: entries, inputLayers: config.value("input_layers"), outputLayers: config.value("output_layers"))
                let splits = positions.contains { position in
                    guard case .success(let layer) = decoded[position] else { return false }
                    return layer.mapping.givesSeveralOutputs
                }
                if splits { throw ConfigProblem(kind: .unsupportedLayer, detail: "several outputs") }
            } catch let chainProblem as ConfigProblem where chainProblem.kind == .unsupportedLayer {
                // Not a chain: the whole graph.
                positions = FunctionalGraph.positionsWithoutMaskOperations(entries, outputLayers: config.value("output_layers"))
                graphTopology = try GraphTopology.read(
                    rawLayers: entries, kept: positions, inputLayers: config.value("input_layers"),
                    outputLayers: config.value("output_layers"))
            }
            let unknown = positions.compactMap { position -> ConfigProblem? in
                guard case .failure(let error) = decoded[position], let problem = error as? ConfigProblem,
                      problem.unsupportedClass != nil else { return nil }
                return problem
            }
            if !unknown.isEmpty { throw ConfigProblem.unsupportedClasses(unknown) }
            for index in positions {
                let layer = try decoded[index].get()
                try names.register(layer.name, index: index, className: layer.className)
                layers.append(layer)
            }
            buildShapes = [("build_config.input_shape", topBuild)]
        default:
            throw ConfigProblem(
                .unsupportedLayer, at: .model,
                "unsupported model class \(ConfigText.identifier(className)); kerasio reads Sequential and Functional models")
        }
        // Keras 3 also records each layer's build input shape.
        if let first = entries.first, first.kind == .object {
            let firstBuild = first.member("build_config").flatMap { ConfigFields(object: $0, place: .layer(0)).value("input_shape") }
            buildShapes.append(("build_config.input_shape", firstBuild))
        }
        let batchShape: ConfigShape
        var shapePlace = ConfigPlace.model
        if let first = layers.first, let declared = first.declaredBatchInputShape {
            batchShape = declared
            shapePlace = .layer(positions[0], className: first.className, name: first.name)
        } else if let candidate = buildShapes.first(where: { $0.value != nil }), let value = candidate.value {
            batchShape = try ConfigFields.shape(value, key: candidate.key, at: .model)
        } else {
            throw ConfigProblem(
                .invalidConfig, at: .model,
                "does not give the input shape (no InputLayer, batch_input_shape or build config)")
        }
        guard batchShape.count >= 2 else {
            throw ConfigProblem(
                .invalidConfig, at: shapePlace,
                "the input shape \(ConfigText.shape(batchShape)) has no feature axis (it needs the batch and at least one more)")
        }
        self.layers = layers
        self.graph = graphTopology
        var inputs: [InputSpec] = []
        if let graphTopology {
            for position in graphTopology.inputLayers {
                let input = layers[position]
                guard let declared = input.declaredBatchInputShape, declared.count >= 2 else {
                    throw ConfigProblem(
                        .invalidConfig, at: .layer(positions[position], className: input.className, name: input.name),
                        "the input gives no shape with a feature axis")
                }
                inputs.append(InputSpec(
                    name: input.name, shape: Array(declared.dropFirst()), batchSize: declared.first.flatMap { $0 },
                    dtype: input.decoded(as: InputLayerConfig.self)?.dtype.name ?? "float32"))
            }
        }
        let firstInput = inputs.first
        inputShape = firstInput?.shape ?? Array(batchShape.dropFirst())
        inputBatchSize = firstInput?.batchSize ?? batchShape.first.flatMap { $0 }
        inputDType = firstInput?.dtype ?? layers.first?.decoded(as: InputLayerConfig.self)?.dtype.name ?? "float32"
        if inputs.isEmpty {
            inputs = [InputSpec(name: layers.first?.isInputLayer == true ? layers[0].name : "input", shape: inputShape,
                                batchSize: inputBatchSize, dtype: inputDType)]
        }
        self.inputs = inputs
        var computing: [LayerConfig] = [], computingPositions: [Int] = []
        computing.reserveCapacity(layers.count)
        computingPositions.reserveCapacity(layers.count)
        var index = 0
        while index < layers.count {
            if layers[index].isInputLayer {
                if index > 0, graphTopology == nil {
                    throw ConfigProblem(
                        .invalidConfig, at: .layer(positions[index], className: "InputLayer", name: layers[index].name),
                        "an InputLayer must be the first layer")
                }
            } else {
                computing.append(layers[index])
                computingPositions.append(positions[index])
            }
            index += 1
        }
        computingLayers = computing
        self.computingPositions = computingPositions
    }

    /// Where messages say the computing layer at `index` sits in the config.
    func place(ofComputingLayer index: Int) -> ConfigPlace {
        let layer = computingLayers[index]
        return .layer(computingPositions[index], className: layer.className, name: layer.name)
    }

    static func describe(_ shape: ConfigShape) -> String { ConfigText.shape(shape) }

    /// The model's `config` object.
    private static func modelBody(_ value: ConfigJSON.Value?) throws -> ConfigFields {
        guard let value else { throw ConfigProblem(.invalidConfig, at: .model, "has no config") }
        guard value.kind == .object else {
            throw ConfigProblem(.invalidConfig, at: .model, "config must be an object with the layers, found \(value.found)")
        }
        return ConfigFields(object: value, place: .model)
    }

    private static func layerList(_ config: ConfigFields) throws -> [ConfigJSON.Value] {
        guard let layers = config.value("layers") else { throw config.problem("has no layers") }
        guard layers.kind == .array else { throw config.problem("layers must be an array, found \(layers.found)") }
        return layers.elements
    }

    /// Reads `model_config` JSON text written by the given Keras generation.
    ///
    /// - Throws: `KerasIOError` (`invalidConfig`, `unsupportedLayer` or
    ///   `unsupportedOption`), one printable line naming `file`.
    public static func decode(json: String, generation: KerasGeneration, file: String) throws -> ModelConfig {
        try decode(document: parse(json: json, file: file), file: file)
    }

    /// The config text as a document, or the `KerasIOError` saying why it is not JSON.
    static func parse(json: String, file: String) throws -> ConfigJSON {
        do {
            return try ConfigJSON(text: json)
        } catch let error as ConfigJSON.SyntaxError {
            guard error.offset >= 0 else {
                throw KerasIOError(.unsupportedOption, file: file, "the model config is too large: \(error.reason)")
            }
            // Only on failure, so the line count costs nothing on good files.
            let document = json.utf8.count <= ConfigLimits.maximumConfigBytes ? Array(json.utf8) : []
            var line = 1, column = 1
            for byte in document.prefix(error.offset) {
                if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            throw KerasIOError(
                .invalidConfig, file: file, "the model config is not valid JSON: \(error.reason) (line \(line), column \(column))")
        }
    }

    static func decode(document: ConfigJSON, file: String) throws -> ModelConfig {
        do {
            return try ModelConfig(document: document)
        } catch let problem as ConfigProblem {
            throw problem.error(file: file)
        }
    }
}

/// Layer names as Keras keeps them: unique within the model (Keras refuses
/// a model with two layers of one name, and the legacy `.h5` layout finds
/// weights by name), and made up for layers the config leaves unnamed:
/// `dense`, `dense_1`, ... A dictionary keeps the check linear.
private final class LayerNames {
    private var owners: [String: Int] = [:]
    private var counters: [String: Int] = [:]

    /// A name for an unnamed layer of the given base (`dense`), not used so far.
    func makeName(_ base: String) -> String {
        var count = counters[base, default: 0]
        var candidate = count == 0 ? base : "\(base)_\(count)"
        while owners[candidate] != nil {
            count += 1
            candidate = "\(base)_\(count)"
        }
        counters[base] = count + 1
        owners[candidate] = -1
        return candidate
    }

    /// Records the layer at `index`, refusing a name an earlier layer has.
    func register(_ name: String, index: Int, className: String) throws {
        if let owner = owners.updateValue(index, forKey: name), owner >= 0 {
            throw ConfigProblem(
                .invalidConfig, at: .layer(index, className: className, name: name),
                "layers[\(owner)] has the same name; Keras requires unique layer names")
        }
    }
}
