import RNNRuntime

/// Keras's generic `RNN(cell)` over a `SimpleRNNCell`, `LSTMCell` or
/// `GRUCell`: the layer's keys (return_sequences, go_backwards, stateful, ...)
/// from its own config and the cell's (units, activations, biases, rates)
/// from `cell`. It computes exactly what `SimpleRNN`, `LSTM` or `GRU` with
/// those options computes, so it becomes that runtime layer, and kerasio
/// writes it back as that layer. Weights: `rnn/lstm_cell/kernel:0` in
/// legacy `.h5`, `layers/rnn/cell/vars` in Keras 3 files.
///
/// Over `StackedRNNCells` it becomes a `StackedRNN` (one recurrent layer
/// per cell) and is written back as `RNN(StackedRNNCells)`. Weights: each
/// cell's, at `layers/rnn/cell/cells/<lstm_cell>/vars` (the cell's snake-cased
/// class, made unique) and `rnn/stacked_rnn_cells/<cell name>/kernel:0`.
struct RNNConfig: KerasLayerMapping, Equatable {
    static let className = "RNN"
    static let nameBase = "rnn"
    static let weightOwner = KerasWeightOwner.cell(cellName: "cell")

    /// The equivalent layers' configs: one (SimpleRNNConfig, LSTMConfig or
    /// GRUConfig) for one cell, one per cell for StackedRNNCells.
    let cells: [LayerConfigBox]
    let stacked: Bool

    /// More cells than any real stack has; a bound for hostile files.
    static let maximumCells = 64

    struct LayerConfigBox: Equatable, Sendable {
        let mapping: any KerasLayerMapping
        /// The cell's Keras class (`LSTMCell`).
        let cellClass: String
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.mapping.isEqual(to: rhs.mapping) && lhs.cellClass == rhs.cellClass }
    }

    init(_ c: ConfigFields) throws {
        guard let cellValue = c.value("cell"), cellValue.kind == .object else {
            throw c.problem("has no cell config (an object with class_name and config)")
        }
        let (cellClass, cell) = try Self.classAndConfig(cellValue, in: c)
        if cellClass == "StackedRNNCells" {
            guard let list = cell.value("cells"), list.kind == .array, !list.elements.isEmpty else {
                throw c.problem("its StackedRNNCells has no cells")
            }
            guard list.elements.count <= Self.maximumCells else {
                throw c.problem(.unsupportedOption, "its StackedRNNCells has more than \(Self.maximumCells) cells")
            }
            cells = try list.elements.map { element in
                let (innerClass, innerCell) = try Self.classAndConfig(element, in: c)
                return try Self.equivalent(innerClass, layer: c, cell: innerCell)
            }
            stacked = true
        } else {
            cells = [try Self.equivalent(cellClass, layer: c, cell: cell)]
            stacked = false
        }
    }

    /// A `{class_name, config}` object's class and config.
    private static func classAndConfig(_ value: ConfigJSON.Value, in c: ConfigFields) throws -> (String, ConfigFields) {
        let outer = ConfigFields(object: value, place: c.place)
        guard value.kind == .object, let cellClass = try outer.string("class_name") else {
            throw c.problem("a cell has no class_name")
        }
        guard let config = outer.value("config"), config.kind == .object else {
            throw c.problem("its cell \(ConfigText.identifier(cellClass)) has no config object")
        }
        return (cellClass, ConfigFields(object: config, place: c.place))
    }

    private static func equivalent(_ cellClass: String, layer c: ConfigFields, cell: ConfigFields) throws -> LayerConfigBox {
        switch cellClass {
        case "SimpleRNNCell": return LayerConfigBox(mapping: try SimpleRNNConfig(c, cell: cell), cellClass: cellClass)
        case "LSTMCell": return LayerConfigBox(mapping: try LSTMConfig(c, cell: cell), cellClass: cellClass)
        case "GRUCell": return LayerConfigBox(mapping: try GRUConfig(c, cell: cell), cellClass: cellClass)
        default:
            throw c.problem(
                .unsupportedLayer,
                "RNN over cell class \(ConfigText.identifier(cellClass)) is not supported; kerasio runs SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells of them")
        }
    }

    var name: String { cells[0].mapping.name }
    var declaredBatchInputShape: ConfigShape? { cells[0].mapping.declaredBatchInputShape }
    var activationName: String? { cells[0].mapping.activationName }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard stacked else { return try cells[0].mapping.plan(inputShape: inputShape, at: place) }
        var shape = inputShape, weights = 0, last: [Int?] = []
        for cell in cells {
            let planned = try cell.mapping.plan(inputShape: shape, at: place)
            let (sum, overflow) = weights.addingReportingOverflow(planned.weights)
            weights = overflow ? .max : sum
            let units = planned.outputShape.last ?? nil
            last = planned.outputShape
            shape = [inputShape.first ?? nil, units]
        }
        return LayerPlan(outputShape: last, weights: weights)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        guard stacked else { return try cells[0].mapping.makeLayer(features: features, generation: generation, at: place) }
        var layers: [any RecurrentLayer] = []
        var used: [String: Int] = [:], inputSize = features
        for (index, cell) in cells.enumerated() {
            guard var layer = try cell.mapping.makeLayer(features: inputSize, generation: generation, at: place) as? any RecurrentLayer else {
                throw ConfigProblem(.unsupportedLayer, at: place, "a cell is not recurrent")
            }
            layer.name = Keras3WeightsReader.uniqueName(Keras3WeightsReader.snakeCase(cell.cellClass), &used)
            if index > 0 { layer.goBackwards = false }
            if index < cells.count - 1 { layer.returnSequences = true }
            inputSize = layer.cell.units
            layers.append(layer)
        }
        do {
            return try StackedRNN(name: name, layers: layers)
        } catch let error as RuntimeError {
            throw ConfigProblem(.invalidConfig, at: place, error.localizedDescription)
        }
    }

    /// Single-cell RNNs are written as the layer they equal; stacks as `RNN`.
    static func describes(_ layer: any Layer) -> Bool { layer is StackedRNN }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let stack = layer as? StackedRNN else { return nil }
        let last = stack.layers[stack.layers.count - 1]
        var members: [(String, JSONText)] = [
            ("return_sequences", .bool(stack.returnSequences)), ("return_state", .bool(false)),
            ("go_backwards", .bool(stack.goBackwards)), ("stateful", .bool(stack.isStateful)), ("unroll", .bool(false)),
        ]
        if dialect != .keras2H5 || last.zeroOutputForMask {
            members.append(("zero_output_for_mask", .bool(last.zeroOutputForMask)))
        }
        if dialect == .keras2H5 { members.append(("time_major", .bool(false))) }
        let cells = try stack.layers.map { try cellConfig($0, dialect: dialect) }
        var stackConfig: [(String, JSONText)] = [("name", .string("stacked_rnn_cells")), ("trainable", .bool(true))]
        stackConfig.append(("cells", .array(cells)))
        members.append(("cell", wrapCell("StackedRNNCells", .object(stackConfig), dialect: dialect)))
        return members
    }

    /// A cell's config: the equivalent layer's, less the layer's own keys, as `<Class>Cell`.
    private static func cellConfig(_ layer: any RecurrentLayer, dialect: KerasConfigWriter.Dialect) throws -> JSONText {
        let layerKeys: Set<String> = ["return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask", "time_major"]
        let full = try KerasConfigWriter.nestedLayerConfig(layer, dialect: dialect)
        guard case .object(let outer) = full else { return full }
        var className = "", config: [(String, JSONText)] = []
        for (key, value) in outer {
            if key == "class_name", case .string(let name) = value { className = name + "Cell" }
            if key == "config", case .object(let members) = value { config = members.filter { !layerKeys.contains($0.0) } }
        }
        return wrapCell(className, .object(config), dialect: dialect)
    }

    private static func wrapCell(_ className: String, _ config: JSONText, dialect: KerasConfigWriter.Dialect) -> JSONText {
        guard dialect != .keras2H5 else { return .object([("class_name", .string(className)), ("config", config)]) }
        return .object([("module", .string("keras.layers")), ("class_name", .string(className)), ("config", config), ("registered_name", .null)])
    }

    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        guard let stack = layer as? StackedRNN else {
            return (try? KerasLayerRegistry.mapping(for: layer))?.weightGroups(of: layer)
                ?? weightOwner.groups(layer: layer.name, count: layer.parameterSpecs.count)
        }
        var groups = [KerasWeightGroup(keras3Path: "vars", keras3Name: stack.name, legacyOwner: "", count: 0),
                      KerasWeightGroup(keras3Path: "cell/vars", keras3Name: "stacked_rnn_cells", legacyOwner: "", count: 0)]
        for inner in stack.layers {
            groups.append(KerasWeightGroup(
                keras3Path: "cell/cells/\(inner.name)/vars", keras3Name: inner.name,
                legacyOwner: "stacked_rnn_cells/\(inner.name)", count: inner.parameterSpecs.count))
        }
        return groups
    }
}

extension RNNConfig: RecurrentLayerMapping {}
