import RNNRuntime

/// Keras's `Reshape(target_shape)`, one axis of which may be -1.
struct ReshapeConfig: KerasLayerMapping, Equatable {
    static let className = "Reshape"
    static let nameBase = "reshape"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let targetShape: [Int]
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        targetShape = try c.integerList("target_shape", minimum: -1)
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

    private func makeLayer(at place: ConfigPlace) throws -> Reshape {
        do {
            return try Reshape(name: name, targetShape: targetShape)
        } catch RuntimeError.incompatibleLayer(_, let detail) {
            throw ConfigProblem(.invalidConfig, at: place, detail)
        }
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Reshape }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? Reshape else { return nil }
        return [("target_shape", .integers(layer.targetShape))]
    }
}
