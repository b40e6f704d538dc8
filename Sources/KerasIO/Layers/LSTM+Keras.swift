import RNNRuntime

/// Keras's `LSTM` (`keras/src/layers/rnn/lstm.py`; tf.keras 2's
/// `recurrent_v2.LSTM`): the shared recurrent options plus
/// `recurrent_activation` (Keras 2's default is hard_sigmoid, each
/// generation with its own hard_sigmoid), `unit_forget_bias` and
/// `implementation` (1 or 2: the same numbers). `use_cudnn` does not change
/// the math and is ignored.
struct LSTMConfig: KerasLayerMapping, Equatable {
    static let className = "LSTM"
    static let nameBase = "lstm"
    static let weightOwner = KerasWeightOwner.cell(cellName: "lstm_cell")

    let options: RecurrentOptions
    /// Absent in a config: the generation's default, decided in `makeLayer`.
    let recurrentActivation: ActivationConfig?
    let unitForgetBias: Bool
    let implementation: Int

    init(_ c: ConfigFields) throws {
        options = try RecurrentOptions(c, nameBase: Self.nameBase)
        recurrentActivation = c.has("recurrent_activation") ? try c.activation("recurrent_activation", default: "sigmoid") : nil
        unitForgetBias = try c.bool("unit_forget_bias", default: true)
        implementation = try c.optionalInteger("implementation") ?? 2
        guard implementation == 1 || implementation == 2 else {
            throw c.problem(.unsupportedOption, "implementation=\(implementation); Keras's LSTM has implementations 1 and 2")
        }
    }

    var name: String { options.name }
    var declaredBatchInputShape: ConfigShape? { options.batchInputShape }
    var activationName: String? { options.activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        try options.plan(inputShape: inputShape, gates: 4, biasRows: 1, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        // Keras 2's LSTM defaults to hard_sigmoid, Keras 3's to sigmoid.
        let gate = recurrentActivation ?? ActivationConfig(name: generation >= .keras3 ? "sigmoid" : "hard_sigmoid")
        return LSTM(
            name: name, inputSize: features, units: options.units,
            activation: try options.resolvedActivation(generation: generation, at: place),
            recurrentActivation: try gate.resolve(generation: generation, at: place),
            useBias: options.useBias, unitForgetBias: unitForgetBias, implementation: implementation,
            returnSequences: options.returnSequences, goBackwards: options.goBackwards,
            dropout: options.dropout, recurrentDropout: options.recurrentDropout)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is LSTM }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let lstm = layer as? LSTM else { return nil }
        let cell = lstm.cell
        var members: [(String, JSONText)] = [
            ("units", .int(cell.units)),
            try RecurrentOptions.activation("activation", cell.activation, layer: lstm.name, dialect: dialect),
            try RecurrentOptions.activation("recurrent_activation", cell.recurrentActivation, layer: lstm.name, dialect: dialect),
            ("use_bias", .bool(cell.useBias)), ("unit_forget_bias", .bool(cell.unitForgetBias)),
            ("dropout", .float(cell.dropout)), ("recurrent_dropout", .float(cell.recurrentDropout)),
        ]
        // Keras 3 takes `implementation` as an argument but does not write it.
        if dialect == .keras2H5 { members.append(("implementation", .int(cell.implementation))) }
        return RecurrentOptions.encode(lstm, cellMembers: members, dialect: dialect)
    }
}
