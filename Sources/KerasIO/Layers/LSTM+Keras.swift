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
    let gates: GateOptions
    let unitForgetBias: Bool

    init(_ c: ConfigFields) throws {
        try self.init(c, cell: c)
    }

    /// The layer's keys from `c`, the cell's from `cell` (`RNN(cell)`'s `cell` config).
    init(_ c: ConfigFields, cell: ConfigFields) throws {
        options = try RecurrentOptions(c, cell: cell, nameBase: Self.nameBase)
        gates = try GateOptions(cell, className: Self.className)
        unitForgetBias = try cell.bool("unit_forget_bias", default: true)
    }

    var name: String { options.name }
    var givesSeveralOutputs: Bool { options.returnState }
    var declaredBatchInputShape: ConfigShape? { options.batchInputShape }
    var activationName: String? { options.activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        try options.plan(inputShape: inputShape, gates: 4, biasRows: 1, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        var layer = LSTM(
            name: name, inputSize: features, units: options.units,
            activation: try options.resolvedActivation(generation: generation, at: place),
            recurrentActivation: try gates.resolvedRecurrentActivation(generation: generation, at: place),
            useBias: options.useBias, unitForgetBias: unitForgetBias, implementation: gates.implementation,
            returnSequences: options.returnSequences, goBackwards: options.goBackwards, stateful: options.stateful,
            dropout: options.dropout, recurrentDropout: options.recurrentDropout)
        layer.zeroOutputForMask = options.zeroOutputForMask
        layer.returnState = options.returnState
        return layer
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
        members += GateOptions.encodeImplementation(cell.implementation, dialect: dialect)
        return RecurrentOptions.encode(lstm, cellMembers: members, dialect: dialect)
    }
}
