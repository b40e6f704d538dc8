import RNNRuntime

/// Keras's `ActivityRegularization(l1=0, l2=0)`: the identity; in training
/// it adds `(l1 · Σ|x| + l2 · Σx²) / batch` to the loss. Negative factors
/// are refused, as Keras's `L1L2` refuses them.
struct ActivityRegularizationConfig: KerasLayerMapping, Equatable {
    static let className = "ActivityRegularization"
    static let nameBase = "activity_regularization"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let l1: Float
    let l2: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        l1 = try c.number("l1", default: 0, minimum: 0)
        l2 = try c.number("l2", default: 0, minimum: 0)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        NoiseLayer(name: name, kind: .activityRegularization(l1: l1, l2: l2))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .activityRegularization = NoiseLayer.kind(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .activityRegularization(let l1, let l2) = NoiseLayer.kind(of: layer) else { return nil }
        return [("l1", .float(l1)), ("l2", .float(l2))]
    }
}
