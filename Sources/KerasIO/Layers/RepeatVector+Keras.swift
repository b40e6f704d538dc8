import RNNRuntime

/// Keras's `RepeatVector(n)`: `n` is required.
struct RepeatVectorConfig: KerasLayerMapping, Equatable {
    static let className = "RepeatVector"
    static let nameBase = "repeat_vector"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let n: Int
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        n = try c.size("n", limit: ConfigLimits.maximumAxisLength)
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

    private func makeLayer(at place: ConfigPlace) throws -> RepeatVector {
        RepeatVector(name: name, n: n)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is RepeatVector }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? RepeatVector else { return nil }
        return [("n", .int(layer.n))]
    }
}
