/// One entry of a model's `layers` list, read in two steps: `class_name`
/// first, then that class's own typed config.
public enum LayerConfig: Sendable, Equatable {
    case input(InputLayerConfig)
    case simpleRNN(SimpleRNNConfig)
    case dense(DenseConfig)
    case dropout(DropoutConfig)

    /// The classes kerasio reads, as Keras names them.
    public static let supportedClasses = ["InputLayer", "SimpleRNN", "Dense", "Dropout"]

    /// Reads the entry at `layers[index]`. Layers without a name get
    /// `defaultName(base)`, which the caller makes unique, as Keras does.
    init(_ entry: ConfigJSON.Value, index: Int, defaultName: (String) -> String) throws {
        var place = ConfigPlace.layer(index)
        guard entry.kind == .object else {
            throw ConfigProblem(.invalidConfig, at: place, "must be an object with class_name and config, found \(entry.found)")
        }
        let outer = ConfigFields(object: entry, place: place)
        guard let className = try outer.string("class_name") else {
            throw ConfigProblem(.invalidConfig, at: place, "has no class_name")
        }
        place.className = className
        let configValue = outer.value("config")
        if let configValue, configValue.kind != .object {
            throw ConfigProblem(.invalidConfig, at: place, "config must be an object, found \(configValue.found)")
        }
        /// The layer's config, its place naming the layer: by its own name, or
        /// for an unnamed layer by the one Keras would give it (`dense_1`).
        func fields(base: String) throws -> ConfigFields {
            guard let configValue else { throw ConfigProblem(.invalidConfig, at: place, "has no config") }
            var fields = ConfigFields(object: configValue, place: place)
            fields.place.name = try fields.name() ?? defaultName(base)
            return fields
        }
        switch className {
        case "InputLayer": self = .input(try InputLayerConfig(try fields(base: "input_layer")))
        case "SimpleRNN": self = .simpleRNN(try SimpleRNNConfig(try fields(base: "simple_rnn")))
        case "Dense": self = .dense(try DenseConfig(try fields(base: "dense")))
        case "Dropout": self = .dropout(try DropoutConfig(try fields(base: "dropout")))
        default:
            place.name = (try? configValue.map { try ConfigFields(object: $0, place: place).name() }) ?? nil
            place.className = nil  // named in the sentence itself
            throw ConfigProblem(
                .unsupportedLayer, at: place,
                "unsupported layer class \(ConfigText.identifier(className)); "
                    + "kerasio supports \(LayerConfig.supportedClasses.joined(separator: ", "))")
        }
    }

    /// Keras's class name.
    public var className: String {
        switch self {
        case .input: return "InputLayer"
        case .simpleRNN: return "SimpleRNN"
        case .dense: return "Dense"
        case .dropout: return "Dropout"
        }
    }

    /// The layer's name.
    public var name: String {
        switch self {
        case .input(let c): return c.name
        case .simpleRNN(let c): return c.name
        case .dense(let c): return c.name
        case .dropout(let c): return c.name
        }
    }

    /// The input shape a first layer carries itself (Keras 2.2 style
    /// `batch_input_shape`), including the batch dimension.
    var declaredBatchInputShape: ConfigShape? {
        switch self {
        case .input(let c): return c.batchShape
        case .simpleRNN(let c): return c.batchInputShape
        case .dense(let c): return c.batchInputShape
        case .dropout(let c): return c.batchInputShape
        }
    }
}

/// A first layer's own input shape: Keras 2 writes `batch_input_shape`,
/// Keras 3 `batch_shape`; both include the batch.
private func declaredShape(_ c: ConfigFields, preferring first: StaticString, then second: StaticString) throws -> ConfigShape? {
    try c.shape(first) ?? c.shape(second)
}

/// `InputLayer`: the model's per-sample input shape.
/// Keras 3 writes `batch_shape`, Keras 2 `batch_input_shape`; both include the batch.
public struct InputLayerConfig: Sendable, Equatable {
    public let name: String
    public let batchShape: ConfigShape?
    let dtype: DTypePolicy
    public let sparse: Bool
    public let ragged: Bool

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? "input_layer"
        batchShape = try declaredShape(c, preferring: "batch_shape", then: "batch_input_shape")
        dtype = try c.dtype()
        sparse = try c.bool("sparse", default: false)
        ragged = try c.bool("ragged", default: false)
        if sparse || ragged {
            throw c.problem(.unsupportedOption, "the input is \(sparse ? "sparse" : "ragged"); kerasio takes dense inputs only")
        }
    }
}

/// `SimpleRNN`, with Keras's defaults for absent keys. Inference-irrelevant
/// keys (initializers, regularizers, constraints, `unroll`, `seed`) are ignored;
/// options that change results and are not supported are refused.
public struct SimpleRNNConfig: Sendable, Equatable {
    public let name: String
    public let units: Int
    let activation: ActivationConfig
    public let useBias: Bool
    public let returnSequences: Bool
    public let returnState: Bool
    public let goBackwards: Bool
    public let stateful: Bool
    public let timeMajor: Bool
    public let dropout: Float
    public let recurrentDropout: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    public var activationName: String { activation.name }

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? "simple_rnn"
        units = try c.size("units", limit: ConfigLimits.maximumUnits)
        activation = try c.activation(default: "tanh")
        useBias = try c.bool("use_bias", default: true)
        returnSequences = try c.bool("return_sequences", default: false)
        returnState = try c.bool("return_state", default: false)
        goBackwards = try c.bool("go_backwards", default: false)
        stateful = try c.bool("stateful", default: false)
        timeMajor = try c.bool("time_major", default: false)
        dropout = try c.rate("dropout", default: 0)
        recurrentDropout = try c.rate("recurrent_dropout", default: 0)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
        if stateful {
            throw c.problem(
                .unsupportedOption,
                "stateful=True is not supported: kerasio does not run stateful RNNs yet, "
                    + "and running one without its carried state would give different numbers")
        }
        if returnState {
            throw c.problem(.unsupportedOption, "return_state=True is not supported: a Sequential chain cannot pass the state on")
        }
        if timeMajor {
            throw c.problem(.unsupportedOption, "time_major=True is not supported; kerasio takes (batch, steps, features) inputs")
        }
    }
}

/// `Dense`, with Keras's defaults (no activation means linear).
public struct DenseConfig: Sendable, Equatable {
    public let name: String
    public let units: Int
    let activation: ActivationConfig
    public let useBias: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    public var activationName: String { activation.name }

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? "dense"
        units = try c.size("units", limit: ConfigLimits.maximumUnits)
        activation = try c.activation(default: "linear")
        useBias = try c.bool("use_bias", default: true)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
        // Keras 3 LoRA adds two low-rank weights the runtime does not model.
        if let rank = try c.optionalInteger("lora_rank"), rank > 0 {
            throw c.problem(.unsupportedOption, "LoRA is enabled (lora_rank=\(rank)); merge it into the kernel before saving")
        }
    }
}

/// `Dropout`: only its rate matters, and only in training.
public struct DropoutConfig: Sendable, Equatable {
    public let name: String
    public let rate: Float
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? "dropout"
        rate = try c.rate("rate", default: nil)
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }
}
