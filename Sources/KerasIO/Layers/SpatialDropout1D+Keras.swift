import RNNRuntime

/// Keras's `SpatialDropout1D(rate)`: the identity at inference; in
/// training it drops whole channels of a `(batch, steps, channels)` input.
/// tf.keras also writes `noise_shape: null`, which Keras 3 refuses.
struct SpatialDropout1DConfig: KerasLayerMapping, Equatable {
    static let className = "SpatialDropout1D"
    static let nameBase = "spatial_dropout1d"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let rate: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        rate = try c.rate("rate", default: nil)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard inputShape.count == 2 else {
            throw ConfigProblem(
                .invalidConfig, at: place, "needs (batch, steps, channels) input, gets \(ConfigText.shape([nil] + inputShape))")
        }
        return shapeKeepingPlan(inputShape)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        NoiseLayer(name: name, kind: .spatialDropout1D(rate: rate))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .spatialDropout1D = NoiseLayer.kind(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .spatialDropout1D(let rate) = NoiseLayer.kind(of: layer) else { return nil }
        return dialect == .keras2H5
            ? [("rate", .float(rate)), ("noise_shape", .null), ("seed", .null)]
            : [("rate", .float(rate)), ("seed", .null)]
    }

    /// Keras 3's `get_config` writes only rate, seed, name and dtype (a
    /// string), and its constructor refuses `trainable`; tf.keras writes the usual members.
    static func configMembers(
        standard: [(String, JSONText)], own: [(String, JSONText)], dialect: KerasConfigWriter.Dialect
    ) -> [(String, JSONText)] {
        guard dialect != .keras2H5 else { return standard + own }
        return own + standard.filter { $0.0 == "name" } + [("dtype", .string("float32"))]
    }
}
