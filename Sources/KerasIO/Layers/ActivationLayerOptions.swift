import Foundation
import RNNRuntime

/// What the Keras mappings of the activation layers (`Activation`, `ReLU`,
/// `LeakyReLU`, `ELU`, `Softmax`, `PReLU`) and of the layers that are the
/// identity at inference (`SpatialDropout1D`, `GaussianNoise`,
/// `GaussianDropout`, `ActivityRegularization`) share: reading their number
/// options and the shape-keeping plan.
extension ConfigFields {
    /// A finite number option; absent or null takes `fallback`, or is an
    /// error when there is none. Below `minimum` is refused, as Keras refuses it.
    func number(_ key: StaticString, default fallback: Float?, minimum: Float? = nil) throws -> Float {
        guard let value = try optionalNumber(key, minimum: minimum) else {
            guard let fallback else { throw problem("has no \(key) (a number)") }
            return fallback
        }
        return value
    }

    /// A finite number option, nil when absent or null.
    func optionalNumber(_ key: StaticString, minimum: Float? = nil) throws -> Float? {
        guard let value = value(key) else { return nil }
        guard let number = value.double, number.isFinite, Float(number).isFinite else {
            throw problem("\(key) must be a finite number, found \(value.found)")
        }
        if let minimum, Float(number) < minimum {
            throw problem("\(key) must be at least \(JSONText.float(minimum).serialized), found \(value.found)")
        }
        return Float(number)
    }
}

/// The plan of a layer that keeps its input's shape and has no weights.
func shapeKeepingPlan(_ inputShape: [Int?]) -> LayerPlan {
    LayerPlan(outputShape: inputShape, weights: 0)
}

extension ActivationLayer {
    /// This layer's function, if `layer` is an `ActivationLayer`.
    static func function(of layer: any Layer) -> Function? {
        (layer as? ActivationLayer)?.function
    }
}

extension NoiseLayer {
    /// This layer's kind, if `layer` is a `NoiseLayer`.
    static func kind(of layer: any Layer) -> Kind? {
        (layer as? NoiseLayer)?.kind
    }
}
