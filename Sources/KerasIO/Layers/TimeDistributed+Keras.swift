import RNNRuntime

/// Keras's `TimeDistributed`: its `layer` applied to every step. Weights
/// are the inner layer's: Keras 3 files keep them at
/// `layers/time_distributed/layer/vars`, legacy `.h5` names them
/// `time_distributed/kernel:0` (tf.keras) or `…/time_distributed/dense/kernel` (Keras 3).
struct TimeDistributedConfig: KerasLayerMapping, Equatable {
    static let className = "TimeDistributed"
    static let nameBase = "time_distributed"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let inner: WrappedLayerConfig
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        guard let layer = c.value("layer") else { throw c.problem("has no layer to apply to each step") }
        inner = try WrappedLayerConfig(layer, key: "layer", in: c)
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { inner.mapping.activationName }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard inputShape.count >= 2 else {
            throw ConfigProblem(
                .invalidConfig, at: place, "needs (batch, steps, ...) input, gets \(ConfigText.shape([nil] + inputShape))")
        }
        let each = try inner.mapping.plan(inputShape: Array(inputShape.dropFirst()), at: place)
        return LayerPlan(outputShape: [inputShape[0]] + each.outputShape, weights: each.weights)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        TimeDistributed(name: name, inner: try inner.mapping.makeLayer(features: features, generation: generation, at: place))
    }

    static func describes(_ layer: any Layer) -> Bool { layer is TimeDistributed }

    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        guard let wrapper = layer as? TimeDistributed else { return weightOwner.groups(layer: layer.name, count: 0) }
        return [KerasWeightGroup(keras3Path: "vars", keras3Name: wrapper.name, legacyOwner: "", count: 0)]
            + WrappedLayerConfig.groups(of: wrapper.inner, attribute: "layer", legacyPrefix: wrapper.inner.name, legacyPrefixKeras2: "")
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let wrapper = layer as? TimeDistributed else { return nil }
        return [("layer", try KerasConfigWriter.nestedLayerConfig(wrapper.inner, dialect: dialect))]
    }
}
