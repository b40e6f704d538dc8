import RNNRuntime

/// Keras's `UpSampling1D(size)`, default 2.
struct UpSampling1DConfig: KerasLayerMapping, Equatable {
    static let className = "UpSampling1D"
    static let nameBase = "up_sampling1d"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let size: Int
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        size = try c.size("size", default: 2)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        try reshapingPlan(makeLayer(at: place), inputShape: inputShape, at: place)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        try makeLayer(at: place)
    }

    private func makeLayer(at place: ConfigPlace) throws -> UpSampling1D {
        UpSampling1D(name: name, size: size)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is UpSampling1D }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? UpSampling1D else { return nil }
        return [("size", .int(layer.size))]
    }
}
