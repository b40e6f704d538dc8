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
        // Integer inputs are ids for an Embedding (checked where it reads them).
        let name = c.value("dtype")?.kind == .object ? try c.dtype().name : try c.string("dtype") ?? "float32"
        guard InputLayerConfig.inputDTypes.contains(name) else {
            throw c.problem(
                .unsupportedOption,
                "input dtype \(ConfigText.identifier(name, limit: 40)) is not supported; kerasio takes float32 or float64 "
                    + "inputs, or integer ids (int8 to int64, uint8 to uint32) for an Embedding")
        }
        dtype = DTypePolicy(name: name)
        sparse = try c.bool("sparse", default: false)
        ragged = try c.bool("ragged", default: false)
        if sparse || ragged {
            throw c.problem(.unsupportedOption, "the input is \(sparse ? "sparse" : "ragged"); kerasio takes dense inputs only")
        }
    }

    /// The input dtypes kerasio reads: floats, and integers whose every
    /// value is exact in float32 below an Embedding's 2^24 rows.
    static let inputDTypes: Set<String> = ["float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"]

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
