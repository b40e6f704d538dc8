import RNNRuntime

/// Keras's `Cropping1D(cropping)`: an integer for both ends or `(start, end)`, default (1, 1).
struct Cropping1DConfig: KerasLayerMapping, Equatable {
    static let className = "Cropping1D"
    static let nameBase = "cropping1d"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let start: Int
    let end: Int
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        (start, end) = try c.integerPair("cropping", default: (1, 1))
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

    private func makeLayer(at place: ConfigPlace) throws -> Cropping1D {
        Cropping1D(name: name, start: start, end: end)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Cropping1D }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? Cropping1D else { return nil }
        return [("cropping", .integers([layer.start, layer.end]))]
    }
}
