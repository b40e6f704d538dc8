import RNNRuntime

/// Keras's `LayerNormalization` (keras/src/layers/normalization/
/// layer_normalization.py, tf_keras's): `axis` an integer or a list
/// (default -1), `epsilon` 1e-3, `center`, `scale`, and Keras 3's
/// `rms_scaling`. Weights `gamma` (when `scale` or `rms_scaling`) and `beta`
/// (when `center` and not `rms_scaling`), shaped like the input along the
/// axes. The axes must be consecutive; weight regularizers and constraints
/// are refused.
struct LayerNormalizationConfig: KerasLayerMapping, Equatable {
    static let className = "LayerNormalization"
    static let nameBase = "layer_normalization"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let axes: [Int]
    let epsilon: Float
    let center: Bool
    let scale: Bool
    let rmsScaling: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?
    private let planned = PlannedNormalizationInput()

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        axes = try NormalizationOptions.axes(c)
        epsilon = try NormalizationOptions.number(c, "epsilon", default: 1e-3, minimum: 0)
        center = try c.bool("center", default: true)
        scale = try c.bool("scale", default: true)
        rmsScaling = try c.bool("rms_scaling", default: false)
        try NormalizationOptions.refuseRegularizersAndConstraints(c)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.axes == rhs.axes && lhs.epsilon == rhs.epsilon && lhs.center == rhs.center
            && lhs.scale == rhs.scale && lhs.rmsScaling == rhs.rmsScaling && lhs.dtype == rhs.dtype
            && lhs.batchInputShape == rhs.batchInputShape
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    /// The lengths along the axes, which must be fixed: the weights' shape.
    private func parameterShape(_ inputShape: [Int?], at place: ConfigPlace) throws -> [Int] {
        if let problem = NormalizationOptions.axesProblem(axes, inputShape: inputShape, at: place) { throw problem }
        return try NormalizedAxes.resolve(axes, sampleRank: inputShape.count).get().map { axis in
            guard let length = inputShape[axis] else {
                throw ConfigProblem(
                    .invalidConfig, at: place,
                    "axis \(axis + 1) of input \(ConfigText.shape([nil] + inputShape)) is not fixed; LayerNormalization's weights need it")
            }
            return length
        }
    }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        var size = 1
        for length in try parameterShape(inputShape, at: place) { size = try place.weightCount(rows: size, units: length) }
        let vectors = (scale || rmsScaling ? 1 : 0) + (center && !rmsScaling ? 1 : 0)
        let count = try place.weightCount(rows: size, units: vectors)
        planned.set(inputShape)
        return LayerPlan(outputShape: inputShape, weights: count)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        guard let inputShape = planned.get() else {
            throw ConfigProblem(.invalidConfig, at: place, "LayerNormalization made before its input shape was planned")
        }
        return LayerNormalization(
            name: name, parameterShape: try parameterShape(inputShape, at: place), axes: axes, inputRank: inputShape.count,
            epsilon: epsilon, center: center, scale: scale, rmsScaling: rmsScaling)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is LayerNormalization }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let norm = layer as? LayerNormalization else { return nil }
        let keras3 = dialect.generation == .keras3
        if !keras3, norm.rmsScaling {
            throw KerasWriteError.unsupported("layer '\(norm.name)': tf.keras's LayerNormalization has no rms_scaling; write it for Keras 3")
        }
        let axes = keras3 ? norm.axes : NormalizationOptions.positiveAxes(norm.axes, inputRank: norm.inputRank)
        var members: [(String, JSONText)] = [
            ("axis", .array(axes.map(JSONText.int))), ("epsilon", .float(norm.epsilon)),
            ("center", .bool(norm.center)), ("scale", .bool(norm.scale)),
        ]
        if keras3 { members.append(("rms_scaling", .bool(norm.rmsScaling))) }
        members += [
            ("beta_initializer", NormalizationOptions.initializer("Zeros")),
            ("gamma_initializer", NormalizationOptions.initializer("Ones")),
            ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
        ]
        return members
    }
}
