import RNNRuntime

/// Keras's `MaxPooling1D` and `AveragePooling1D` (`base_pooling.py`,
/// tf.keras's `base_pooling1d.py`; both write pool_size, strides, padding and
/// data_format): the two differ only in the function over the window.
protocol Pooling1DMapping: KerasLayerMapping, Equatable {
    static var mode: Pooling1D.Mode { get }
    init(name: String, options: Pooling1DOptions, batchInputShape: ConfigShape?)
    var name: String { get }
    var options: Pooling1DOptions { get }
    var batchInputShape: ConfigShape? { get }
}

/// A 1D pooling layer's options: `strides` null means `pool_size`.
struct Pooling1DOptions: Sendable, Equatable {
    let poolSize: Int
    let strides: Int
    let padding: WindowPadding
    let dataFormat: DataFormat
    let dtype: DTypePolicy

    init(_ c: ConfigFields, defaultPoolSize: Int?) throws {
        poolSize = try c.stepsSize("pool_size", default: defaultPoolSize)
        strides = try c.stepsSize("strides", default: poolSize)
        padding = try c.windowPadding(allowCausal: false)
        dataFormat = try c.dataFormat()
        dtype = try c.dtype()
    }
}

extension Pooling1DMapping {
    static var weightOwner: KerasWeightOwner { .layer }

    init(_ c: ConfigFields) throws {
        // MaxPooling1D's pool_size defaults to 2; AveragePooling1D's is required (Keras 3), 2 in tf.keras.
        self.init(
            name: c.place.name ?? Self.nameBase, options: try Pooling1DOptions(c, defaultPoolSize: 2),
            batchInputShape: try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape"))
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let format = options.dataFormat
        let (steps, channels) = try place.stepsAndChannels(inputShape, format)
        guard let steps else { return LayerPlan(outputShape: inputShape, weights: 0) }
        let out = SlidingWindow(span: options.poolSize, stride: options.strides, padding: options.padding).outputSteps(steps)
        guard out >= 1 else {
            throw ConfigProblem(
                .invalidConfig, at: place, "pool_size=\(options.poolSize) with padding \"valid\" needs at least that many steps, the input has \(steps)")
        }
        return LayerPlan(outputShape: format == .channelsLast ? [out, channels] : [channels, out], weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Pooling1D(
            name: name, mode: Self.mode, poolSize: options.poolSize, strides: options.strides,
            padding: options.padding, dataFormat: options.dataFormat)
    }

    static func describes(_ layer: any Layer) -> Bool { (layer as? Pooling1D)?.mode == mode }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let pooling = layer as? Pooling1D, pooling.mode == mode else { return nil }
        return [
            ("pool_size", .tuple(pooling.poolSize)),
            ("padding", .string(pooling.padding.rawValue)),
            ("strides", .tuple(pooling.strides)),
            ("data_format", .string(pooling.dataFormat.rawValue)),
        ]
    }
}

struct MaxPooling1DConfig: Pooling1DMapping {
    static let className = "MaxPooling1D"
    static let nameBase = "max_pooling1d"
    static let mode = Pooling1D.Mode.max
    let name: String
    let options: Pooling1DOptions
    let batchInputShape: ConfigShape?

    init(name: String, options: Pooling1DOptions, batchInputShape: ConfigShape?) {
        self.name = name
        self.options = options
        self.batchInputShape = batchInputShape
    }
}

struct AveragePooling1DConfig: Pooling1DMapping {
    static let className = "AveragePooling1D"
    static let nameBase = "average_pooling1d"
    static let mode = Pooling1D.Mode.average
    let name: String
    let options: Pooling1DOptions
    let batchInputShape: ConfigShape?

    init(name: String, options: Pooling1DOptions, batchInputShape: ConfigShape?) {
        self.name = name
        self.options = options
        self.batchInputShape = batchInputShape
    }
}
