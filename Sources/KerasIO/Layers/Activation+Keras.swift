import RNNRuntime

/// Keras's `Activation` layer: a named activation applied element-wise
/// (softmax over the last axis), the same names as a layer's `activation`.
struct ActivationLayerConfig: KerasLayerMapping, Equatable {
    static let className = "Activation"
    static let nameBase = "activation"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let activation: ActivationConfig
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        guard c.has("activation") else { throw c.problem("has no activation") }
        activation = try c.activation(default: "linear")
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ActivationLayer(name: name, function: .activation(try activation.resolve(generation: generation, at: place)))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .activation = ActivationLayer.function(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .activation(let activation) = ActivationLayer.function(of: layer) else { return nil }
        return [try RecurrentOptions.activation("activation", activation, layer: layer.name, dialect: dialect)]
    }
}
