import Foundation

extension Activation {
    /// Backpropagates through the activation in place: given `y = f(z)` and
    /// `dL/dy` in `gradient`, leaves `dL/dz` there. Rows are `lastAxis` wide
    /// (softmax couples the elements of a row; the others act element-wise).
    ///
    /// The derivatives are TensorFlow's: relu and relu6 pass the gradient
    /// where `0 < z` (and `z < 6`), leaky_relu where `z > 0`, hard_sigmoid
    /// inside its linear segment.
    func backpropagate(
        preActivation z: UnsafePointer<Float>, output y: UnsafePointer<Float>,
        gradient: UnsafeMutablePointer<Float>, count: Int, lastAxis: Int
    ) {
        switch self {
        case .linear:
            return
        case .softmax:
            // dz_i = y_i (dy_i - Σ_j dy_j y_j)
            let width = max(lastAxis, 1)
            var start = 0
            while start + width <= count {
                var dot: Float = 0
                for j in 0..<width { dot += gradient[start + j] * y[start + j] }
                for j in 0..<width { gradient[start + j] = y[start + j] * (gradient[start + j] - dot) }
                start += width
            }
        // The gates' activations get their own loops, so the switch is not taken per element.
        case .sigmoid:
            for i in 0..<count { gradient[i] *= y[i] * (1 - y[i]) }
        case .tanh:
            for i in 0..<count { gradient[i] *= 1 - y[i] * y[i] }
        default:
            for i in 0..<count { gradient[i] *= derivative(z: z[i], y: y[i]) }
        }
    }

    /// `f'(z)`, using `y = f(z)` where that is cheaper.
    @inline(__always)
    func derivative(z: Float, y: Float) -> Float {
        switch self {
        case .linear: return 1
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .hardSigmoid: return z > -3 && z < 3 ? 1 / 6 : 0
        case .hardSigmoidKeras2: return z > -2.5 && z < 2.5 ? 0.2 : 0
        case .relu: return z > 0 ? 1 : 0
        case .relu6: return z > 0 && z < 6 ? 1 : 0
        case .leakyReLU(let slope): return z > 0 ? 1 : slope
        case .elu(let alpha): return z > 0 ? 1 : y + alpha
        case .selu: return z > 0 ? Activation.seluScale : y + Activation.seluScale * Activation.seluAlpha
        case .softplus: return Activation.logistic(z)
        case .softsign:
            let d = 1 + abs(z)
            return 1 / (d * d)
        case .swish:
            let s = Activation.logistic(z)
            return s + z * s * (1 - s)
        case .gelu:
            // Φ(z) + z φ(z)
            let cdf = 0.5 * (1 + Foundation.erf(z / Float(2).squareRoot()))
            let pdf = Foundation.exp(-0.5 * z * z) / Float(2 * Double.pi).squareRoot()
            return cdf + z * pdf
        case .exponential: return y
        case .softmax: return 1
        }
    }
}
