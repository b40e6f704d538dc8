import RNNRuntime

/// Keras's `BatchNormalization` (keras/src/layers/normalization/
/// batch_normalization.py, tf_keras's batch_normalization.py): one channel
/// axis (`axis`, default -1), `momentum` 0.99, `epsilon` 1e-3, `center`,
/// `scale`. Weights `gamma`, `beta` (when set), `moving_mean`,
/// `moving_variance`, each `(channels)`.
///
/// Refused by name: `renorm=True` (Keras 3 and tf.keras; three more
/// weights and other training), tf.keras's `virtual_batch_size` and
/// `fused=True` (which tf.keras itself refuses on these inputs), an
/// `adjustment`, several axes (tf.keras's multi-axis form) and weight
/// regularizers or constraints. Keras 3's `synchronized` only matters across
/// devices: read and written back.
struct BatchNormalizationConfig: KerasLayerMapping, Equatable {
    static let className = "BatchNormalization"
    static let nameBase = "batch_normalization"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let axis: Int
    let momentum: Float
    let epsilon: Float
    let center: Bool
    let scale: Bool
    let synchronized: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?
    private let planned = PlannedNormalizationInput()

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        let axes = try NormalizationOptions.axes(c)
        guard axes.count == 1 else {
            throw c.problem(.unsupportedOption, "axis lists \(axes.count) axes; kerasio supports BatchNormalization over one axis")
        }
        axis = axes[0]
        momentum = try NormalizationOptions.number(c, "momentum", default: 0.99, minimum: -.greatestFiniteMagnitude)
        epsilon = try NormalizationOptions.number(c, "epsilon", default: 1e-3, minimum: 0)
        center = try c.bool("center", default: true)
        scale = try c.bool("scale", default: true)
        synchronized = try c.bool("synchronized", default: false)
        if try c.bool("renorm", default: false) {
            throw c.problem(.unsupportedOption, "renorm=True (batch renormalization) is not supported")
        }
        if let size = c.value("virtual_batch_size") {
            throw c.problem(.unsupportedOption, "virtual_batch_size=\(size.found) (ghost batch normalization) is not supported")
        }
        if try c.bool("fused", default: false) {
            throw c.problem(.unsupportedOption, "fused=True is not supported (tf.keras allows it only on 4- and 5-axis inputs)")
        }
        if c.value("adjustment") != nil {
            throw c.problem(.unsupportedOption, "adjustment is set; kerasio does not support BatchNormalization adjustments")
        }
        try NormalizationOptions.refuseRegularizersAndConstraints(c)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.axis == rhs.axis && lhs.momentum == rhs.momentum && lhs.epsilon == rhs.epsilon
            && lhs.center == rhs.center && lhs.scale == rhs.scale && lhs.synchronized == rhs.synchronized
            && lhs.dtype == rhs.dtype && lhs.batchInputShape == rhs.batchInputShape
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    /// The channel axis must exist and have a fixed length; the weights are
    /// two or four vectors of that length.
    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        if let problem = NormalizationOptions.axesProblem([axis], inputShape: inputShape, at: place) { throw problem }
        let sampleAxis = try NormalizedAxes.resolve([axis], sampleRank: inputShape.count).get()[0]
        guard let channels = inputShape[sampleAxis] else {
            throw ConfigProblem(
                .invalidConfig, at: place, "axis=\(axis) of input \(ConfigText.shape([nil] + inputShape)) is not fixed; Keras needs it fixed")
        }
        let count = try place.weightCount(rows: channels, units: 2 + (center ? 1 : 0) + (scale ? 1 : 0))
        planned.set(inputShape)
        return LayerPlan(outputShape: inputShape, weights: count)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        guard let inputShape = planned.get(),
              let sampleAxis = try? NormalizedAxes.resolve([axis], sampleRank: inputShape.count).get()[0],
              let channels = inputShape[sampleAxis] else {
            throw ConfigProblem(.invalidConfig, at: place, "BatchNormalization made before its input shape was planned")
        }
        var layer = BatchNormalization(
            name: name, channels: channels, axis: axis, inputRank: inputShape.count, momentum: momentum, epsilon: epsilon,
            center: center, scale: scale, maskedCountEpsilon: generation == .keras3 ? 1e-7 : 0)
        layer.synchronized = synchronized
        return layer
    }

    static func describes(_ layer: any Layer) -> Bool { layer is BatchNormalization }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let norm = layer as? BatchNormalization else { return nil }
        let keras3 = dialect.generation == .keras3
        var members: [(String, JSONText)] = [
            ("axis", keras3 ? .int(norm.axis)
                : .array(NormalizationOptions.positiveAxes([norm.axis], inputRank: norm.inputRank).map(JSONText.int))),
            ("momentum", .float(norm.momentum)), ("epsilon", .float(norm.epsilon)),
            ("center", .bool(norm.center)), ("scale", .bool(norm.scale)),
            ("beta_initializer", NormalizationOptions.initializer("Zeros")),
            ("gamma_initializer", NormalizationOptions.initializer("Ones")),
            ("moving_mean_initializer", NormalizationOptions.initializer("Zeros")),
            ("moving_variance_initializer", NormalizationOptions.initializer("Ones")),
            ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
        ]
        if keras3 {
            members += [("synchronized", .bool(norm.synchronized)), ("renorm", .bool(false)), ("renorm_clipping", .null), ("renorm_momentum", .float(0.99))]
        }
        return members
    }
}
