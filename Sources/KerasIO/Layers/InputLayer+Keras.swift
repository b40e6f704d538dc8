import RNNRuntime

/// Keras's `InputLayer`: the model's per-sample input shape. Keras 3 writes
/// `batch_shape`, Keras 2 `batch_input_shape`; both include the batch. It
/// computes nothing, so it is never made into a runtime layer; the model
/// writer writes it from the model's input shape.
struct InputLayerConfig: KerasLayerMapping, Equatable {
    static let className = "InputLayer"
    static let nameBase = "input_layer"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let batchShape: ConfigShape?
    let dtype: DTypePolicy
    let sparse: Bool
    let ragged: Bool

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        batchShape = try declaredShape(c, preferring: "batch_shape", then: "batch_input_shape")
        dtype = try c.dtype()
        sparse = try c.bool("sparse", default: false)
        ragged = try c.bool("ragged", default: false)
        if sparse || ragged {
            throw c.problem(.unsupportedOption, "the input is \(sparse ? "sparse" : "ragged"); kerasio takes dense inputs only")
        }
    }

    var declaredBatchInputShape: ConfigShape? { batchShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        throw ConfigProblem(.invalidConfig, at: place, "an InputLayer must be the first layer")
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        throw ConfigProblem(.invalidConfig, at: place, "an InputLayer must be the first layer")
    }

    static func describes(_ layer: any Layer) -> Bool { false }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? { nil }
}
