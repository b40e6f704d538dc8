import RNNRuntime

/// Keras's `Masking` (`mask_value`, default 0): steps whose features all
/// equal it are padding for the layers after it.
struct MaskingConfig: KerasLayerMapping, Equatable {
    static let className = "Masking"
    static let nameBase = "masking"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let maskValue: Float
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        maskValue = try c.floatValue("mask_value", default: 0)
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard inputShape.count >= 2 else {
            throw ConfigProblem(
                .invalidConfig, at: place, "needs (batch, steps, features) input, gets \(ConfigText.shape([nil] + inputShape))")
        }
        return LayerPlan(outputShape: inputShape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Masking(name: name, maskValue: maskValue)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Masking }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let masking = layer as? Masking else { return nil }
        return [("mask_value", .float(masking.maskValue))]
    }
}

extension ConfigFields {
    /// Any number (Keras writes Python floats; a NaN or infinity as such).
    func floatValue(_ key: StaticString, default fallback: Float) throws -> Float {
        guard let value = value(key) else { return fallback }
        guard let number = value.double else { throw problem("\(key) must be a number, found \(value.found)") }
        return Float(number)
    }
}
