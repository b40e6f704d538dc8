import RNNRuntime

/// Keras's `Bidirectional` over SimpleRNN, LSTM, GRU or `RNN(cell)`.
///
/// The generations write it differently (`bidirectional.py` in each):
/// Keras 3's `layer` is the forward copy (`forward_lstm`) and
/// `backward_layer` is always there; tf.keras 2's `layer` is the user's
/// original and `backward_layer` appears only when the user gave one,
/// otherwise the backward layer is `layer` with `go_backwards` flipped.
/// Either way the runtime layers are named as Keras names them at run time
/// (`forward_lstm`, `backward_lstm`), which is how legacy `.h5` files name
/// their weights. `merge_mode=None` gives two outputs, which a Sequential
/// chain cannot pass on, and is refused.
struct BidirectionalConfig: KerasLayerMapping, Equatable {
    static let className = "Bidirectional"
    static let nameBase = "bidirectional"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let mergeMode: Bidirectional.MergeMode
    let forward: WrappedLayerConfig
    let backward: WrappedLayerConfig?
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        // merge_mode=None (JSON null) gives the two directions as two outputs.
        let mode = c.has("merge_mode") && c.value("merge_mode") == nil ? "None" : try c.string("merge_mode") ?? "concat"
        guard let mergeMode = Bidirectional.MergeMode(rawValue: mode) else {
            throw c.problem("merge_mode must be concat, sum, mul, ave or None, found \(ConfigText.quoted(mode))")
        }
        self.mergeMode = mergeMode
        guard let layer = c.value("layer") else { throw c.problem("has no layer to run in both directions") }
        forward = try WrappedLayerConfig(layer, key: "layer", in: c)
        backward = try c.value("backward_layer").map { try WrappedLayerConfig($0, key: "backward_layer", in: c) }
        for inner in [forward] + (backward.map { [$0] } ?? []) where !(inner.mapping is any RecurrentLayerMapping) {
            throw c.problem(
                .unsupportedLayer,
                "wraps a \(ConfigText.identifier(inner.layer.className)); kerasio runs Bidirectional over SimpleRNN, LSTM, GRU and RNN")
        }
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { forward.mapping.activationName }
    var givesSeveralOutputs: Bool { mergeMode == .separate || forward.mapping.givesSeveralOutputs }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let f = try forward.mapping.plan(inputShape: inputShape, at: place)
        let b = try (backward ?? forward).mapping.plan(inputShape: inputShape, at: place)
        guard let fUnits = f.outputShape.last.flatMap({ $0 }), let bUnits = b.outputShape.last.flatMap({ $0 }) else {
            throw ConfigProblem(.invalidConfig, at: place, "its layers' outputs have no fixed units")
        }
        if mergeMode != .concat, mergeMode != .separate, fUnits != bUnits {
            throw ConfigProblem(
                .invalidConfig, at: place,
                "merge_mode \(mergeMode.rawValue) needs both directions to have the same units, found \(fUnits) and \(bUnits)")
        }
        let units = mergeMode == .concat || mergeMode == .separate ? fUnits + bUnits : fUnits
        return LayerPlan(outputShape: f.outputShape.dropLast() + [units], weights: f.weights + b.weights)
    }

    /// The name the layer config carries without Keras 3's `forward_` prefix.
    private var baseName: String {
        let inner = forward.layer.name
        return inner.hasPrefix("forward_") ? String(inner.dropFirst("forward_".count)) : inner
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        guard var forwardLayer = try forward.mapping.makeLayer(features: features, generation: generation, at: place) as? any RecurrentLayer
        else { throw ConfigProblem(.unsupportedLayer, at: place, "its layer is not a recurrent layer") }
        var backwardLayer: any RecurrentLayer
        if let backward {
            guard let made = try backward.mapping.makeLayer(features: features, generation: generation, at: place) as? any RecurrentLayer
            else { throw ConfigProblem(.unsupportedLayer, at: place, "its backward_layer is not a recurrent layer") }
            backwardLayer = made
        } else {
            // tf.keras 2: the backward layer is the same config read the other way.
            backwardLayer = forwardLayer
            backwardLayer.goBackwards.toggle()
            backwardLayer.name = "backward_\(baseName)"
        }
        guard forwardLayer.goBackwards != backwardLayer.goBackwards else {
            throw ConfigProblem(
                .invalidConfig, at: place, "its forward and backward layers must differ in go_backwards, as Keras requires")
        }
        forwardLayer.name = "forward_\(baseName)"
        do {
            var wrapper = try Bidirectional(name: name, forward: forwardLayer, backward: backwardLayer, mergeMode: mergeMode)
            // Keras's Bidirectional returns states when its layer does.
            wrapper.returnState = (forwardLayer as? any StateExposingLayer)?.returnState ?? false
            return wrapper
        } catch let error as RuntimeError {
            throw ConfigProblem(.invalidConfig, at: place, error.localizedDescription)
        }
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Bidirectional }

    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        guard let wrapper = layer as? Bidirectional else { return weightOwner.groups(layer: layer.name, count: 0) }
        let backwardName = wrapper.backwardLayer.name
        // tf.keras prefixes a user's backward layer with backward_ at run time; Keras 3 keeps its name.
        let backwardKeras2 = backwardName.hasPrefix("backward_") ? backwardName : "backward_\(backwardName)"
        return [KerasWeightGroup(keras3Path: "vars", keras3Name: wrapper.name, legacyOwner: "", count: 0)]
            + WrappedLayerConfig.groups(of: wrapper.forwardLayer, attribute: "forward_layer", legacyPrefix: wrapper.forwardLayer.name)
            + WrappedLayerConfig.groups(
                of: wrapper.backwardLayer, attribute: "backward_layer", legacyPrefix: backwardName, legacyPrefixKeras2: backwardKeras2)
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let wrapper = layer as? Bidirectional else { return nil }
        let forward = try KerasConfigWriter.nestedLayerConfig(wrapper.forwardLayer, dialect: dialect)
        let backward = try KerasConfigWriter.nestedLayerConfig(wrapper.backwardLayer, dialect: dialect)
        let mode: (String, JSONText) = ("merge_mode", wrapper.mergeMode == .separate ? .null : .string(wrapper.mergeMode.rawValue))
        guard dialect == .keras2H5 else {
            return [mode, ("layer", forward), ("backward_layer", backward)]
        }
        // tf.keras 2 writes the user's layer (no forward_ prefix) and a
        // backward_layer only when it is not that layer reversed.
        let forwardName = wrapper.forwardLayer.name
        let base = forwardName.hasPrefix("forward_") ? String(forwardName.dropFirst("forward_".count)) : forwardName
        var members: [(String, JSONText)] = [("layer", forward.renamingLayer(to: base)), mode]
        var reversed = wrapper.forwardLayer
        reversed.goBackwards.toggle()
        reversed.name = wrapper.backwardLayer.name
        let reversedConfig = try KerasConfigWriter.nestedLayerConfig(reversed, dialect: dialect)
        if wrapper.backwardLayer.name != "backward_\(base)" || reversedConfig != backward
            || !parametersMatchShapes(wrapper) {
            let backwardName = wrapper.backwardLayer.name
            let userName = backwardName.hasPrefix("backward_") ? String(backwardName.dropFirst("backward_".count)) : backwardName
            members.append(("backward_layer", backward.renamingLayer(to: userName)))
        }
        return members
    }

    /// Whether the two directions have weights of the same shapes.
    private static func parametersMatchShapes(_ wrapper: Bidirectional) -> Bool {
        wrapper.forwardLayer.parameterSpecs.map(\.shape) == wrapper.backwardLayer.parameterSpecs.map(\.shape)
    }
}

/// A mapping whose runtime layer is a recurrent layer (what `Bidirectional` wraps).
protocol RecurrentLayerMapping: KerasLayerMapping {}

extension SimpleRNNConfig: RecurrentLayerMapping {}
extension LSTMConfig: RecurrentLayerMapping {}
extension GRUConfig: RecurrentLayerMapping {}
