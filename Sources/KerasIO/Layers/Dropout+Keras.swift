import RNNRuntime

/// Keras's `Dropout`: only its rate matters, and only in training.
struct DropoutConfig: KerasLayerMapping, Equatable {
    static let className = "Dropout"
    static let nameBase = "dropout"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let rate: Float
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        rate = try c.rate("rate", default: nil)
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        LayerPlan(outputShape: inputShape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Dropout(name: name, rate: rate)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Dropout }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let dropout = layer as? Dropout else { return nil }
        return [("rate", .float(dropout.rate)), ("seed", .null), ("noise_shape", .null)]
    }
}
