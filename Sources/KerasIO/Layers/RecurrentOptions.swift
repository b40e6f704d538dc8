import RNNRuntime

/// The keys every Keras recurrent layer shares (`keras/src/layers/rnn/rnn.py`
/// and the cells' common arguments), read with Keras's defaults. Keys that
/// do not change results (initializers, regularizers, constraints,
/// `unroll`, `seed`, `use_cudnn`, `zero_output_for_mask` without a mask) are
/// ignored; options that change results and are not supported are refused.
struct RecurrentOptions: Sendable, Equatable {
    let name: String
    let units: Int
    let activation: ActivationConfig
    let useBias: Bool
    let returnSequences: Bool
    let goBackwards: Bool
    let dropout: Float
    let recurrentDropout: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?
    let stateful: Bool
    /// Keras's `zero_output_for_mask` (tf.keras writes it only when true).
    let zeroOutputForMask: Bool
    /// Keras's `return_state`: the final states as extra outputs (Functional models only).
    let returnState: Bool

    /// Reads the layer's keys from `c` and the cell's (units, activation,
    /// use_bias, dropout rates) from `cell`: the same object for `LSTM`,
    /// the `cell` config for `RNN(LSTMCell)`.
    init(_ c: ConfigFields, cell: ConfigFields? = nil, nameBase: String) throws {
        let cell = cell ?? c
        name = c.place.name ?? nameBase
        units = try cell.size("units", limit: ConfigLimits.maximumUnits)
        activation = try cell.activation(default: "tanh")
        useBias = try cell.bool("use_bias", default: true)
        returnSequences = try c.bool("return_sequences", default: false)
        goBackwards = try c.bool("go_backwards", default: false)
        dropout = try cell.rate("dropout", default: 0)
        recurrentDropout = try cell.rate("recurrent_dropout", default: 0)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
        stateful = try c.bool("stateful", default: false)
        zeroOutputForMask = try c.bool("zero_output_for_mask", default: false)
        returnState = try c.bool("return_state", default: false)
        if try c.bool("time_major", default: false) {
            throw c.problem(.unsupportedOption, "time_major=True is not supported; kerasio takes (batch, steps, features) inputs")
        }
    }

    /// `(batch, steps, features)` in; `(batch, units)` or, with
    /// `return_sequences`, `(batch, steps, units)` out. `gates` column blocks
    /// of `units` in the kernels; `biasRows` rows of bias.
    func plan(inputShape: [Int?], gates: Int, biasRows: Int, at place: ConfigPlace) throws -> LayerPlan {
        guard inputShape.count == 2 else {
            throw ConfigProblem(
                .invalidConfig, at: place,
                "needs (batch, steps, features) input, gets \(ConfigText.shape([nil] + inputShape))")
        }
        // kernel (features, g·units), recurrent_kernel (units, g·units), bias rows of g·units.
        let (width, overflow) = units.multipliedReportingOverflow(by: gates)
        let rows = try place.features(of: inputShape) + units + (useBias ? biasRows : 0)
        let count = try place.weightCount(rows: rows, units: overflow ? Int.max : width)
        return LayerPlan(outputShape: returnSequences ? [inputShape[0], units] : [units], weights: count)
    }

    func resolvedActivation(generation: KerasGeneration, at place: ConfigPlace) throws -> Activation {
        try activation.resolve(generation: generation, at: place)
    }
}

extension RecurrentOptions {
    /// The shared members Keras writes for a recurrent layer, in Keras's
    /// order; `cellMembers` (units, activations, biases, rates) go in the middle.
    static func encode(
        _ layer: any RecurrentLayer, cellMembers: [(String, JSONText)], dialect: KerasConfigWriter.Dialect
    ) -> [(String, JSONText)] {
        var members: [(String, JSONText)] = [
            ("return_sequences", .bool(layer.returnSequences)), ("return_state", .bool((layer as? any StateExposingLayer)?.returnState ?? false)),
            ("go_backwards", .bool(layer.goBackwards)), ("stateful", .bool(layer.isStateful)), ("unroll", .bool(false)),
        ]
        // Keras 3 always writes zero_output_for_mask, tf.keras only when true;
        // tf.keras 2 knows time_major, which Keras 3 refuses.
        if dialect != .keras2H5 || layer.zeroOutputForMask {
            members.append(("zero_output_for_mask", .bool(layer.zeroOutputForMask)))
        }
        if dialect == .keras2H5 { members.append(("time_major", .bool(false))) }
        return members + cellMembers
    }

    /// `activation` (or another activation key) as the target Keras names it.
    static func activation(
        _ key: String, _ activation: Activation, layer: String, dialect: KerasConfigWriter.Dialect
    ) throws -> (String, JSONText) {
        (key, .string(try KerasConfigWriter.activationName(activation, layer: layer, dialect: dialect)))
    }
}

/// The keys LSTM and GRU add to the shared ones, read and written the same
/// way for both: `recurrent_activation` (absent: the generation's default,
/// Keras 2's hard_sigmoid or Keras 3's sigmoid) and `implementation` (1 or
/// 2, the same numbers; Keras 3 takes it as an argument but does not write it).
struct GateOptions: Sendable, Equatable {
    let recurrentActivation: ActivationConfig?
    let implementation: Int

    init(_ c: ConfigFields, className: String) throws {
        // `c` holds the cell's keys: the layer's own, or RNN(cell)'s `cell` config.
        recurrentActivation = c.has("recurrent_activation") ? try c.activation("recurrent_activation", default: "sigmoid") : nil
        implementation = try c.optionalInteger("implementation") ?? 2
        guard implementation == 1 || implementation == 2 else {
            throw c.problem(.unsupportedOption, "implementation=\(implementation); Keras's \(className) has implementations 1 and 2")
        }
    }

    func resolvedRecurrentActivation(generation: KerasGeneration, at place: ConfigPlace) throws -> Activation {
        let gate = recurrentActivation ?? ActivationConfig(name: generation >= .keras3 ? "sigmoid" : "hard_sigmoid")
        return try gate.resolve(generation: generation, at: place)
    }

    /// `implementation` where the target Keras writes it.
    static func encodeImplementation(_ implementation: Int, dialect: KerasConfigWriter.Dialect) -> [(String, JSONText)] {
        dialect == .keras2H5 ? [("implementation", .int(implementation))] : []
    }
}
