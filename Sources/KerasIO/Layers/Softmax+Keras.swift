import RNNRuntime

/// Keras's `Softmax(axis=-1)`. kerasio computes softmax over the last axis
/// only: `-1`, its positive index, or a one-element list of either; other
/// axes are refused when the input shape is known.
struct SoftmaxConfig: KerasLayerMapping, Equatable {
    static let className = "Softmax"
    static let nameBase = "softmax"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let axis: Int
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        var value = c.value("axis")
        if let list = value, list.kind == .array {
            guard list.count == 1 else {
                throw c.problem(.unsupportedOption, "softmax over several axes (axis=\(list.found)) is not supported; kerasio supports the last axis")
            }
            value = list.elements[0]
        }
        if let value {
            guard case .value(let axis) = value.integer else { throw c.problem("axis must be an integer, found \(value.found)") }
            self.axis = axis
        } else {
            axis = -1
        }
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    /// The last axis of a `(batch,) + inputShape` input is `-1` or `inputShape.count`.
    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        guard axis == -1 || axis == inputShape.count else {
            throw ConfigProblem(
                .unsupportedOption, at: place,
                "softmax over axis \(axis) of input \(ConfigText.shape([nil] + inputShape)) is not supported; kerasio supports the last axis (-1)")
        }
        return shapeKeepingPlan(inputShape)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ActivationLayer(name: name, function: .softmax(axis: axis))
    }

    static func describes(_ layer: any Layer) -> Bool {
        if case .softmax = ActivationLayer.function(of: layer) { return true }
        return false
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard case .softmax(let axis) = ActivationLayer.function(of: layer) else { return nil }
        return [("axis", .int(axis))]
    }
}
