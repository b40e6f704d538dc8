import RNNRuntime

/// Keras's `ZeroPadding1D(padding, data_format)`: an integer for both ends
/// or `(start, end)`, default 1. Keras 3 writes `data_format`; tf.keras has
/// none (its layer pads the steps of channels-last input only).
struct ZeroPadding1DConfig: KerasLayerMapping, Equatable {
    static let className = "ZeroPadding1D"
    static let nameBase = "zero_padding1d"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let start: Int
    let end: Int
    let channelsFirst: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        (start, end) = try c.integerPair("padding", default: (1, 1))
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

    private func makeLayer(at place: ConfigPlace) throws -> ZeroPadding1D {
        ZeroPadding1D(name: name, start: start, end: end, channelsFirst: channelsFirst)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is ZeroPadding1D }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let layer = layer as? ZeroPadding1D else { return nil }
        let padding: (String, JSONText) = ("padding", .integers([layer.start, layer.end]))
        guard dialect == .keras2H5 else { return [padding, ("data_format", .dataFormat(channelsFirst: layer.channelsFirst))] }
        // tf.keras's ZeroPadding1D has no data_format: its constructor refuses the key.
        guard !layer.channelsFirst else {
            throw KerasWriteError.unsupported("layer '\(layer.name)': tf.keras's ZeroPadding1D has no data_format=\"channels_first\"; write it for Keras 3")
        }
        return [padding]
    }
}
