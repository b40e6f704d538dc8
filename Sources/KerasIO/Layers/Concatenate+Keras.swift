import RNNRuntime

/// Keras's `Concatenate(axis=-1)`. The generations combine masks
/// differently along the features (Keras 3 `any`, tf.keras `all`), so the
/// runtime layer is made for the file's generation.
struct ConcatenateConfig: KerasLayerMapping, Equatable {
    static let className = "Concatenate"
    static let nameBase = "concatenate"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let axis: Int

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        axis = try c.optionalInteger("axis") ?? -1
        guard (-ConfigLimits.maximumRank...ConfigLimits.maximumRank).contains(axis) else {
            throw c.problem("axis \(axis) is outside any tensor kerasio takes")
        }
    }

    var declaredBatchInputShape: ConfigShape? { nil }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        LayerPlan(outputShape: inputShape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Concatenate(name: name, axis: axis, keepsStepAnyInputKeeps: generation >= .keras3)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Concatenate }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let concatenate = layer as? Concatenate else { return nil }
        return [("axis", .int(concatenate.axis))]
    }
}
