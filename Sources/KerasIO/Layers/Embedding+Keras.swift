import RNNRuntime

/// Keras's `Embedding` (`keras/src/layers/core/embedding.py`; tf.keras 2's
/// `layers/core/embedding.py`): `input_dim`, `output_dim`, `mask_zero`;
/// tf.keras's `input_length` fixes the steps and Keras 3 ignores it.
/// Keras 3 reads a negative id numpy-style (-1 is the last row), tf.keras
/// refuses it; the runtime layer follows the file's generation.
/// Initializers, regularizers and constraints do not change predictions;
/// LoRA and quantization do, and are refused.
struct EmbeddingConfig: KerasLayerMapping, Equatable {
    static let className = "Embedding"
    static let nameBase = "embedding"
    static let weightOwner = KerasWeightOwner.layer
    static var inputDType: String? { "int32" }

    let name: String
    let inputDim: Int
    let outputDim: Int
    let maskZero: Bool
    let inputLength: Int?
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        inputDim = try c.size("input_dim", limit: Embedding.maximumInputDim)
        outputDim = try c.size("output_dim", limit: ConfigLimits.maximumUnits)
        maskZero = try c.bool("mask_zero", default: false)
        inputLength = try c.optionalInteger("input_length")
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
            ?? inputLength.map { [nil, $0] }
        if try c.bool("sparse", default: false) {
            throw c.problem(.unsupportedOption, "sparse=True is not supported; kerasio computes dense embeddings")
        }
        if let rank = try c.optionalInteger("lora_rank"), rank > 0 {
            throw c.problem(.unsupportedOption, "lora_rank=\(rank) is not supported: LoRA adds weights kerasio does not read")
        }
        if c.value("quantization_config") != nil {
            throw c.problem(.unsupportedOption, "a quantization_config is not supported; kerasio computes in float32")
        }
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard inputShape.count == 1 else {
            throw ConfigProblem(
                .invalidConfig, at: place, "takes (batch, steps) integer ids, gets \(ConfigText.shape([nil] + inputShape))")
        }
        return LayerPlan(outputShape: inputShape + [outputDim], weights: try place.weightCount(rows: inputDim, units: outputDim))
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Embedding(name: name, inputDim: inputDim, outputDim: outputDim, maskZero: maskZero, wrapsNegativeIDs: generation >= .keras3,
                  sparseGradients: generation >= .keras3)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Embedding }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let embedding = layer as? Embedding else { return nil }
        var members: [(String, JSONText)] = [
            ("input_dim", .int(embedding.inputDim)), ("output_dim", .int(embedding.outputDim)),
            ("mask_zero", .bool(embedding.maskZero)),
        ]
        if dialect == .keras2H5 { members.append(("input_length", .null)) }
        return members
    }
}
