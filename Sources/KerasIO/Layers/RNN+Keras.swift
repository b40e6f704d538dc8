import RNNRuntime

/// Keras's generic `RNN(cell)` over a `SimpleRNNCell`, `LSTMCell` or
/// `GRUCell`: the layer's keys (return_sequences, go_backwards, stateful, ...)
/// from its own config and the cell's (units, activations, biases, rates)
/// from `cell`. It computes exactly what `SimpleRNN`, `LSTM` or `GRU` with
/// those options computes, so it becomes that runtime layer, and kerasio
/// writes it back as that layer. Weights: `rnn/lstm_cell/kernel:0` in
/// legacy `.h5`, `layers/rnn/cell/vars` in Keras 3 files.
/// `StackedRNNCells` is refused.
struct RNNConfig: KerasLayerMapping, Equatable {
    static let className = "RNN"
    static let nameBase = "rnn"
    static let weightOwner = KerasWeightOwner.cell(cellName: "cell")

    /// The equivalent layer's config: SimpleRNNConfig, LSTMConfig or GRUConfig.
    let equivalent: LayerConfigBox
    let cellClass: String

    struct LayerConfigBox: Equatable, Sendable {
        let mapping: any KerasLayerMapping
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.mapping.isEqual(to: rhs.mapping) }
    }

    init(_ c: ConfigFields) throws {
        guard let cellValue = c.value("cell"), cellValue.kind == .object else {
            throw c.problem("has no cell config (an object with class_name and config)")
        }
        let outer = ConfigFields(object: cellValue, place: c.place)
        guard let cellClass = try outer.string("class_name") else { throw c.problem("its cell has no class_name") }
        self.cellClass = cellClass
        guard let cellConfig = outer.value("config"), cellConfig.kind == .object else {
            throw c.problem("its cell \(ConfigText.identifier(cellClass)) has no config object")
        }
        let cell = ConfigFields(object: cellConfig, place: c.place)
        switch cellClass {
        case "SimpleRNNCell": equivalent = LayerConfigBox(mapping: try SimpleRNNConfig(c, cell: cell))
        case "LSTMCell": equivalent = LayerConfigBox(mapping: try LSTMConfig(c, cell: cell))
        case "GRUCell": equivalent = LayerConfigBox(mapping: try GRUConfig(c, cell: cell))
        case "StackedRNNCells":
            throw c.problem(
                .unsupportedLayer,
                "RNN over StackedRNNCells is not supported yet; the same model as separate SimpleRNN/LSTM/GRU layers with return_sequences=True is")
        default:
            throw c.problem(
                .unsupportedLayer,
                "RNN over cell class \(ConfigText.identifier(cellClass)) is not supported; kerasio runs SimpleRNNCell, LSTMCell and GRUCell")
        }
    }

    var name: String { equivalent.mapping.name }
    var declaredBatchInputShape: ConfigShape? { equivalent.mapping.declaredBatchInputShape }
    var activationName: String? { equivalent.mapping.activationName }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        try equivalent.mapping.plan(inputShape: inputShape, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        try equivalent.mapping.makeLayer(features: features, generation: generation, at: place)
    }

    /// Runtime layers are written as the equivalent class, never as `RNN`.
    static func describes(_ layer: any Layer) -> Bool { false }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? { nil }

    /// The equivalent layer's groups: the cell's weights under `cell`.
    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        (try? KerasLayerRegistry.mapping(for: layer))?.weightGroups(of: layer)
            ?? weightOwner.groups(layer: layer.name, count: layer.parameterSpecs.count)
    }
}

extension RNNConfig: RecurrentLayerMapping {}
