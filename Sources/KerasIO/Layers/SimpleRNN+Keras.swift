import RNNRuntime

/// Keras's `SimpleRNN`: the shared recurrent options and nothing else.
struct SimpleRNNConfig: KerasLayerMapping, Equatable {
    static let className = "SimpleRNN"
    static let nameBase = "simple_rnn"
    static let weightOwner = KerasWeightOwner.cell(cellName: "simple_rnn_cell")

    let options: RecurrentOptions

    init(_ c: ConfigFields) throws {
        try self.init(c, cell: c)
    }

    /// The layer's keys from `c`, the cell's from `cell` (`RNN(cell)`'s `cell` config).
    init(_ c: ConfigFields, cell: ConfigFields) throws {
        options = try RecurrentOptions(c, cell: cell, nameBase: Self.nameBase)
    }

    var name: String { options.name }
    var givesSeveralOutputs: Bool { options.returnState }
    var declaredBatchInputShape: ConfigShape? { options.batchInputShape }
    var activationName: String? { options.activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        try options.plan(inputShape: inputShape, gates: 1, biasRows: 1, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        var layer = SimpleRNN(
            name: name, inputSize: features, units: options.units,
            activation: try options.resolvedActivation(generation: generation, at: place),
            useBias: options.useBias, returnSequences: options.returnSequences, goBackwards: options.goBackwards, stateful: options.stateful,
            dropout: options.dropout, recurrentDropout: options.recurrentDropout)
        layer.zeroOutputForMask = options.zeroOutputForMask
        layer.returnState = options.returnState
        return layer
    }

    static func describes(_ layer: any Layer) -> Bool { layer is SimpleRNN }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let rnn = layer as? SimpleRNN else { return nil }
        let cell = rnn.cell
        return RecurrentOptions.encode(rnn, cellMembers: [
            ("units", .int(cell.units)),
            try RecurrentOptions.activation("activation", cell.activation, layer: rnn.name, dialect: dialect),
            ("use_bias", .bool(cell.useBias)),
            ("dropout", .float(cell.dropout)), ("recurrent_dropout", .float(cell.recurrentDropout)),
        ], dialect: dialect)
    }
}
