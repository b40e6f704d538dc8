import RNNRuntime

/// Keras's `ELU(alpha=1.0)`.
struct ELUConfig: KerasLayerMapping, Equatable {
    static let className = "ELU"
    static let nameBase = "elu"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let alpha: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        alpha = try c.number("alpha", default: 1)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ActivationLayer(name: name, function: .elu(alpha: alpha))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .elu = ActivationLayer.function(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .elu(let alpha) = ActivationLayer.function(of: layer) else { return nil }
        return [("alpha", .float(alpha))]
    }
}
