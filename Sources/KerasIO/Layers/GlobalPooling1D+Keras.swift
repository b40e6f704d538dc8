import RNNRuntime

/// Keras's `GlobalMaxPooling1D` and `GlobalAveragePooling1D`: data_format and
/// keepdims, written the same by both generations.
protocol GlobalPooling1DMapping: KerasLayerMapping, Equatable {
    static var mode: Pooling1D.Mode { get }
    init(name: String, keepDims: Bool, dataFormat: DataFormat, batchInputShape: ConfigShape?)
    var name: String { get }
    var keepDims: Bool { get }
    var dataFormat: DataFormat { get }
    var batchInputShape: ConfigShape? { get }
}

extension GlobalPooling1DMapping {
    static var weightOwner: KerasWeightOwner { .layer }

    init(_ c: ConfigFields) throws {
        _ = try c.dtype()
        self.init(
            name: c.place.name ?? Self.nameBase, keepDims: try c.bool("keepdims", default: false),
            dataFormat: try c.dataFormat(),
            batchInputShape: try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape"))
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let (_, channels) = try place.stepsAndChannels(inputShape, dataFormat)
        let shape: [Int?] = keepDims ? (dataFormat == .channelsLast ? [1, channels] : [channels, 1]) : [channels]
        return LayerPlan(outputShape: shape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        GlobalPooling1D(name: name, mode: Self.mode, keepDims: keepDims, dataFormat: dataFormat)
    }

    static func describes(_ layer: any Layer) -> Bool { (layer as? GlobalPooling1D)?.mode == mode }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let pooling = layer as? GlobalPooling1D, pooling.mode == mode else { return nil }
        return [("data_format", .string(pooling.dataFormat.rawValue)), ("keepdims", .bool(pooling.keepDims))]
    }
}

struct GlobalMaxPooling1DConfig: GlobalPooling1DMapping {
    static let className = "GlobalMaxPooling1D"
    static let nameBase = "global_max_pooling1d"
    static let mode = Pooling1D.Mode.max
    let name: String
    let keepDims: Bool
    let dataFormat: DataFormat
    let batchInputShape: ConfigShape?

    init(name: String, keepDims: Bool, dataFormat: DataFormat, batchInputShape: ConfigShape?) {
        self.name = name
        self.keepDims = keepDims
        self.dataFormat = dataFormat
        self.batchInputShape = batchInputShape
    }
}

struct GlobalAveragePooling1DConfig: GlobalPooling1DMapping {
    static let className = "GlobalAveragePooling1D"
    static let nameBase = "global_average_pooling1d"
    static let mode = Pooling1D.Mode.average
    let name: String
    let keepDims: Bool
    let dataFormat: DataFormat
    let batchInputShape: ConfigShape?

    init(name: String, keepDims: Bool, dataFormat: DataFormat, batchInputShape: ConfigShape?) {
        self.name = name
        self.keepDims = keepDims
        self.dataFormat = dataFormat
        self.batchInputShape = batchInputShape
    }
}
