import RNNRuntime

/// Keras's `Flatten(data_format)`; both generations write `data_format`
/// (`channels_first` moves the channels last before flattening).
struct FlattenConfig: KerasLayerMapping, Equatable {
    static let className = "Flatten"
    static let nameBase = "flatten"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let channelsFirst: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        channelsFirst = try c.channelsFirst()
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

    private func makeLayer(at place: ConfigPlace) throws -> Flatten {
        Flatten(name: name, channelsFirst: channelsFirst)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Flatten }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? Flatten else { return nil }
        return [("data_format", .dataFormat(channelsFirst: layer.channelsFirst))]
    }
}
