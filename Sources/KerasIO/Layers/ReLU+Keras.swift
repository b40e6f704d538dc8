import RNNRuntime

/// Keras's `ReLU(max_value=None, negative_slope=0, threshold=0)`; both
/// Kerases refuse negative values for each. tf.keras writes the values
/// rounded to float32, which reads back as the same numbers.
struct ReLUConfig: KerasLayerMapping, Equatable {
    static let className = "ReLU"
    static let nameBase = "re_lu"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let maxValue: Float?
    let negativeSlope: Float
    let threshold: Float
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        maxValue = try c.optionalNumber("max_value", minimum: 0)
        negativeSlope = try c.number("negative_slope", default: 0, minimum: 0)
        threshold = try c.number("threshold", default: 0, minimum: 0)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan { shapeKeepingPlan(inputShape) }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ActivationLayer(name: name, function: .relu(maxValue: maxValue, negativeSlope: negativeSlope, threshold: threshold))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .relu = ActivationLayer.function(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .relu(let maxValue, let slope, let threshold) = ActivationLayer.function(of: layer) else { return nil }
        return [("max_value", maxValue.map(JSONText.float) ?? .null), ("negative_slope", .float(slope)), ("threshold", .float(threshold))]
    }
}
