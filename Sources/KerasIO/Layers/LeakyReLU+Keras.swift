import RNNRuntime

/// Keras's `LeakyReLU`: Keras 3 names the slope `negative_slope`, tf.keras
/// `alpha` (which Keras 3 still accepts, and which wins when both are
/// given, as in Keras 3); the default is 0.3 in both.
struct LeakyReLUConfig: KerasLayerMapping, Equatable {
    static let className = "LeakyReLU"
    static let nameBase = "leaky_re_lu"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let negativeSlope: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        negativeSlope = try c.optionalNumber("alpha") ?? c.number("negative_slope", default: 0.3)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ActivationLayer(name: name, function: .leakyReLU(negativeSlope: negativeSlope))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .leakyReLU = ActivationLayer.function(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .leakyReLU(let slope) = ActivationLayer.function(of: layer) else { return nil }
        return [(dialect == .keras2H5 ? "alpha" : "negative_slope", .float(slope))]
    }
}
