import RNNRuntime

/// Keras's `GaussianDropout(rate)`: the identity at inference; in training
/// it multiplies by `N(1, rate / (1 - rate))` noise.
struct GaussianDropoutConfig: KerasLayerMapping, Equatable {
    static let className = "GaussianDropout"
    static let nameBase = "gaussian_dropout"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let rate: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        rate = try c.rate("rate", default: nil)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        NoiseLayer(name: name, kind: .gaussianDropout(rate: rate))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .gaussianDropout = NoiseLayer.kind(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .gaussianDropout(let rate) = NoiseLayer.kind(of: layer) else { return nil }
        return [("rate", .float(rate)), ("seed", .null)]
    }
}
