import RNNRuntime

/// Keras's `GRU`: the shared recurrent options plus `recurrent_activation`
/// (Keras 2's default hard_sigmoid), `reset_after` and `implementation`.
/// `reset_after=True` (Keras 3's and tf.keras's default) has a `(2, 3·units)`
/// bias; `False` (the Keras 2.0-era form, and what a config without the key
/// from Keras 2 means) a `(3·units,)` one.
struct GRUConfig: KerasLayerMapping, Equatable {
    static let className = "GRU"
    static let nameBase = "gru"
    static let weightOwner = KerasWeightOwner.cell(cellName: "gru_cell")

    let options: RecurrentOptions
    let gates: GateOptions
    /// Absent in a config: Keras 2.0 to 2.2 had no such key and computed
    /// reset-before; Keras 3 defaults to True. Decided in `makeLayer`.
    let resetAfter: Bool?

    init(_ c: ConfigFields) throws {
        try self.init(c, cell: c)
    }

    /// The layer's keys from `c`, the cell's from `cell` (`RNN(cell)`'s `cell` config).
    init(_ c: ConfigFields, cell: ConfigFields) throws {
        options = try RecurrentOptions(c, cell: cell, nameBase: Self.nameBase)
        gates = try GateOptions(cell, className: Self.className)
        resetAfter = cell.has("reset_after") ? try cell.bool("reset_after", default: true) : nil
    }

    var name: String { options.name }
    var givesSeveralOutputs: Bool { options.returnState }
    var declaredBatchInputShape: ConfigShape? { options.batchInputShape }
    var activationName: String? { options.activation.name }

    private func resolvedResetAfter(_ generation: KerasGeneration) -> Bool {
        resetAfter ?? (generation >= .keras3)
    }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        // Planned with the larger bias, so the limit holds for either variant.
        try options.plan(inputShape: inputShape, gates: 3, biasRows: 2, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        var layer = GRU(
            name: name, inputSize: features, units: options.units,
            activation: try options.resolvedActivation(generation: generation, at: place),
            recurrentActivation: try gates.resolvedRecurrentActivation(generation: generation, at: place),
            useBias: options.useBias, resetAfter: resolvedResetAfter(generation), implementation: gates.implementation,
            returnSequences: options.returnSequences, goBackwards: options.goBackwards, stateful: options.stateful,
            dropout: options.dropout, recurrentDropout: options.recurrentDropout)
        layer.zeroOutputForMask = options.zeroOutputForMask
        layer.returnState = options.returnState
        return layer
    }

    static func describes(_ layer: any Layer) -> Bool { layer is GRU }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let gru = layer as? GRU else { return nil }
        let cell = gru.cell
        var members: [(String, JSONText)] = [
            ("units", .int(cell.units)),
            try RecurrentOptions.activation("activation", cell.activation, layer: gru.name, dialect: dialect),
            try RecurrentOptions.activation("recurrent_activation", cell.recurrentActivation, layer: gru.name, dialect: dialect),
            ("use_bias", .bool(cell.useBias)),
            ("dropout", .float(cell.dropout)), ("recurrent_dropout", .float(cell.recurrentDropout)),
            ("reset_after", .bool(cell.resetAfter)),
        ]
        members += GateOptions.encodeImplementation(cell.implementation, dialect: dialect)
        return RecurrentOptions.encode(gru, cellMembers: members, dialect: dialect)
    }
}
