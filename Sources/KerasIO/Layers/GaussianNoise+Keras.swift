import RNNRuntime

/// Keras's `GaussianNoise(stddev)`: the identity at inference; in training
/// it adds `N(0, stddev²)` noise. A negative stddev is refused (Keras 3
/// also refuses one above 1, which tf.keras accepts).
struct GaussianNoiseConfig: KerasLayerMapping, Equatable {
    static let className = "GaussianNoise"
    static let nameBase = "gaussian_noise"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let stddev: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        stddev = try c.number("stddev", default: nil, minimum: 0)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        NoiseLayer(name: name, kind: .gaussianNoise(stddev: stddev))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .gaussianNoise = NoiseLayer.kind(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .gaussianNoise(let stddev) = NoiseLayer.kind(of: layer) else { return nil }
        return [("stddev", .float(stddev)), ("seed", .null)]
    }
}
