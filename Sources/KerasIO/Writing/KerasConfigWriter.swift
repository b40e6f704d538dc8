import RNNRuntime

/// Writes a runtime model's architecture as the config a given Keras will
/// accept. The configs carry every option that changes results (units,
/// activation, use_bias, return_sequences, go_backwards, dropout rates) and
/// leave initializers, regularizers and constraints to Keras's defaults.
///
/// The dialects differ where the Kerases do: Keras 3 refuses keys it does not
/// know (tf.keras's `time_major`) and names the input shape `batch_shape`;
/// tf.keras 2 wants `batch_input_shape` and `time_major`; a `.keras`
/// archive's `config.json` adds `module`, `registered_name` and
/// `build_config` to every object.
enum KerasConfigWriter {
    enum Dialect {
        /// `model_config` of a Keras 3 legacy `.h5`.
        case keras3H5
        /// `config.json` of a Keras 3 `.keras` archive.
        case keras3Archive
        /// `model_config` of a tf.keras 2 `.h5`.
        case keras2H5

        var generation: KerasGeneration { self == .keras2H5 ? .keras2 : .keras3 }
    }

    static func modelConfig(_ network: Network, dialect: Dialect) throws -> JSONText {
        switch network {
        case .sequential(let chain):
            // A Functional chain goes back as Functional, with its input's name (a stateful one as Sequential).
            if chain.isFunctional, !chain.isStateful, !chain.layers.isEmpty, let graph = try? Graph(chain: chain) {
                return try FunctionalConfigWriter.modelConfig(graph, dialect: dialect)
            }
            return try modelConfig(chain, dialect: dialect)
        case .graph(let graph): return try FunctionalConfigWriter.modelConfig(graph, dialect: dialect)
        }
    }

    static func modelConfig(_ network: Sequential, dialect: Dialect) throws -> JSONText {
        var layers: [JSONText] = [inputLayer(network, dialect: dialect)]
        var shape = network.inputShape
        for layer in network.layers {
            layers.append(try layerConfig(layer, inputShape: shape, batch: network.fixedBatchSize, dialect: dialect))
            shape = try layer.outputShape(forInputShape: shape)
        }
        let batchShape = JSONText.shape([network.fixedBatchSize] + network.inputShape)
        switch dialect {
        case .keras2H5:
            return .object([
                ("class_name", .string("Sequential")),
                ("config", .object([("name", .string(network.name)), ("layers", .array(layers))])),
            ])
        case .keras3H5:
            return .object([
                ("class_name", .string("Sequential")),
                ("config", .object([
                    ("name", .string(network.name)), ("trainable", .bool(true)), ("dtype", dtypePolicy(dialect)),
                    ("layers", .array(layers)), ("build_input_shape", batchShape),
                ])),
            ])
        case .keras3Archive:
            return .object([
                ("module", .string("keras")), ("class_name", .string("Sequential")),
                ("config", .object([
                    ("name", .string(network.name)), ("trainable", .bool(true)), ("dtype", dtypePolicy(dialect)),
                    ("layers", .array(layers)),
                ])),
                ("registered_name", .null),
                ("build_config", .object([("input_shape", batchShape)])),
            ])
        }
    }

    private static func inputLayer(_ network: Sequential, dialect: Dialect) -> JSONText {
        // A stateful model's batch size is part of its input shape; an
        // Embedding's ids come in as int32.
        let batchShape = JSONText.shape([network.fixedBatchSize] + network.inputShape)
        let dtype = network.layers.first.flatMap { try? KerasLayerRegistry.mapping(for: $0) }?.inputDType ?? "float32"
        let config: JSONText
        switch dialect {
        case .keras2H5:
            config = .object([
                ("batch_input_shape", batchShape), ("dtype", .string(dtype)), ("sparse", .bool(false)),
                ("ragged", .bool(false)), ("name", .string(network.inputName ?? "input_1")),
            ])
        case .keras3H5, .keras3Archive:
            config = .object([
                ("batch_shape", batchShape), ("dtype", .string(dtype)), ("sparse", .bool(false)),
                ("ragged", .bool(false)), ("name", .string(network.inputName ?? "input_layer")), ("optional", .bool(false)),
            ])
        }
        return wrap("InputLayer", config, inputShape: nil, dialect: dialect)
    }

    /// A wrapper's inner layer (`TimeDistributed`'s `layer`, `Bidirectional`'s
    /// two): Keras 3 serializes nested layers with `module` and
    /// `registered_name` in every file, its legacy `.h5` included.
    static func nestedLayerConfig(_ layer: any Layer, dialect: Dialect) throws -> JSONText {
        try layerConfig(layer, inputShape: nil, dialect: dialect == .keras3H5 ? .keras3Archive : dialect)
    }

    /// One layer's `{class_name, config}` (plus the archive's keys).
    /// `batch`: a stateful model's fixed batch size, which Keras 3 builds its layers with.
    static func layerConfig(_ layer: any Layer, inputShape: [Int?]?, batch: Int? = nil, dialect: Dialect) throws -> JSONText {
        var members: [(String, JSONText)] = [
            ("name", .string(layer.name)), ("trainable", .bool(true)), ("dtype", dtypePolicy(dialect)),
        ]
        let mapping = try KerasLayerRegistry.mapping(for: layer)
        members = mapping.configMembers(standard: members, own: try mapping.encode(layer, dialect: dialect) ?? [], dialect: dialect)
        return wrap(mapping.className, .object(members), inputShape: inputShape, batch: batch, dialect: dialect, module: mapping.kerasModule)
    }

    private static func wrap(
        _ className: String, _ config: JSONText, inputShape: [Int?]?, batch: Int? = nil, dialect: Dialect, module: String = "keras.layers"
    ) -> JSONText {
        guard dialect == .keras3Archive else {
            return .object([("class_name", .string(className)), ("config", config)])
        }
        var members: [(String, JSONText)] = [
            ("module", .string(module)), ("class_name", .string(className)),
            ("config", config), ("registered_name", .null),
        ]
        if let inputShape { members.append(("build_config", .object([("input_shape", .shape([batch] + inputShape))]))) }
        return .object(members)
    }

    private static func dtypePolicy(_ dialect: Dialect) -> JSONText {
        guard dialect != .keras2H5 else { return .string("float32") }
        return .object([
            ("module", .string("keras")), ("class_name", .string("DTypePolicy")),
            ("config", .object([("name", .string("float32"))])), ("registered_name", .null),
        ])
    }

    /// The name the target Keras gives the same function, or an error when
    /// it has none: `hard_sigmoid` changed meaning between Keras 2 and 3, and
    /// only Keras's default slope and alpha have a name.
    static func activationName(_ activation: Activation, layer: String, dialect: Dialect) throws -> String {
        switch activation {
        case .hardSigmoid where dialect.generation == .keras2, .hardSigmoidKeras2 where dialect.generation == .keras3:
            let from = activation == .hardSigmoid ? "Keras 3" : "Keras 2"
            let target = dialect.generation == .keras3 ? "Keras 3" : "Keras 2"
            throw KerasWriteError.unsupported(
                "layer '\(layer)' uses \(from)'s hard_sigmoid, which \(target) defines differently; "
                    + "written for \(target) it would predict other numbers")
        case .leakyReLU(let slope) where slope != 0.2:
            throw KerasWriteError.unsupported("layer '\(layer)' uses leaky_relu with slope \(slope); Keras's named activation has 0.2")
        case .elu(let alpha) where alpha != 1:
            throw KerasWriteError.unsupported("layer '\(layer)' uses elu with alpha \(alpha); Keras's named activation has 1")
        case .swish:
            return dialect.generation == .keras3 ? "silu" : "swish"
        default:
            return activation.kerasName
        }
    }
}

/// Why a model cannot be written in the asked format.
enum KerasWriteError: Error {
    case unsupported(String)
}
