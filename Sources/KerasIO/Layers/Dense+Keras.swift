import RNNRuntime

/// Keras's `Dense`, with Keras's defaults (no activation means linear),
/// applied to the last axis of any input of rank two or more.
struct DenseConfig: KerasLayerMapping, Equatable {
    static let className = "Dense"
    static let nameBase = "dense"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let units: Int
    let activation: ActivationConfig
    let useBias: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        units = try c.size("units", limit: ConfigLimits.maximumUnits)
        activation = try c.activation(default: "linear")
        useBias = try c.bool("use_bias", default: true)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
        // Keras 3 LoRA adds two low-rank weights the runtime does not model.
        if let rank = try c.optionalInteger("lora_rank"), rank > 0 {
            throw c.problem(.unsupportedOption, "LoRA is enabled (lora_rank=\(rank)); merge it into the kernel before saving")
        }
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        // kernel (features, units), bias (units); applied to the last axis.
        let count = try place.weightCount(rows: place.features(of: inputShape) + (useBias ? 1 : 0), units: units)
        var shape = inputShape
        shape[shape.count - 1] = units
        return LayerPlan(outputShape: shape, weights: count)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Dense(
            name: name, inputSize: features, units: units,
            activation: try activation.resolve(generation: generation, at: place), useBias: useBias)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Dense }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let dense = layer as? Dense else { return nil }
        return [
            ("units", .int(dense.units)),
            try RecurrentOptions.activation("activation", dense.activation, layer: dense.name, dialect: dialect),
            ("use_bias", .bool(dense.useBias)),
        ]
    }
}
