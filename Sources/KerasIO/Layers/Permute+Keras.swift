import RNNRuntime

/// Keras's `Permute(dims)`: dims count the sample's axes from 1.
struct PermuteConfig: KerasLayerMapping, Equatable {
    static let className = "Permute"
    static let nameBase = "permute"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let dims: [Int]
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        dims = try c.integerList("dims", minimum: 1)
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

    private func makeLayer(at place: ConfigPlace) throws -> Permute {
        do {
            return try Permute(name: name, dims: dims)
        } catch RuntimeError.incompatibleLayer(_, let detail) {
            throw ConfigProblem(.invalidConfig, at: place, detail)
        }
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Permute }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? Permute else { return nil }
        return [("dims", .integers(layer.dims))]
    }
}
