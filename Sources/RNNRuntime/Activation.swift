import Foundation

/// The element-wise (and softmax) non-linearities Keras layers apply.
///
/// Each case states Keras's formula; where Keras 2 and Keras 3 differ the
/// difference is a separate case, and the file reader picks one by the
/// Keras version that wrote the file.
public enum Activation: Sendable, Equatable, Hashable {
    /// `f(x) = x`
    case linear
    /// `f(x) = tanh(x)`, evaluated as TensorFlow's CPU kernels do (`FastTanh`).
    case tanh
    /// `f(x) = 1 / (1 + e^-x)`
    case sigmoid
    /// Keras 3: `f(x) = relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)`.
    case hardSigmoid
    /// Keras 2 (tf.keras): `f(x) = clip(0.2 x + 0.5, 0, 1)`.
    case hardSigmoidKeras2
    /// `f(x) = max(x, 0)`
    case relu
    /// `f(x) = min(max(x, 0), 6)`
    case relu6
    /// `f(x) = x` for `x >= 0`, else `negativeSlope · x` (Keras 3 default slope 0.2).
    case leakyReLU(negativeSlope: Float)
    /// `f(x) = x` for `x > 0`, else `alpha · (e^x - 1)` (Keras default alpha 1).
    case elu(alpha: Float)
    /// `f(x) = scale · elu(x, alpha)` with alpha ≈ 1.6732632, scale ≈ 1.0507010 (`tf.nn.selu`).
    case selu
    /// `f(x) = log(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)` so it never overflows.
    case softplus
    /// `f(x) = x / (1 + |x|)`
    case softsign
    /// `f(x) = x · sigmoid(x)` (Keras's `swish`, also named `silu`).
    case swish
    /// Exact GELU, Keras's default (`approximate=False`): `f(x) = x/2 · (1 + erf(x / √2))`.
    case gelu
    /// `f(x) = e^x`
    case exponential
    /// Softmax over the last axis: `e^(x_i - max x) / Σ_j e^(x_j - max x)`.
    case softmax

    /// SELU's constants as Keras (and TensorFlow's `tf.nn.selu`) define them.
    public static let seluAlpha: Float = 1.6732632423543772
    public static let seluScale: Float = 1.0507009873554805

    /// Applies the activation in place to `count` elements laid out as rows
    /// of `lastAxis` elements (`lastAxis` matters for softmax only).
    public func apply(_ values: UnsafeMutablePointer<Float>, count: Int, lastAxis: Int) {
        switch self {
        case .linear:
            return
        case .softmax:
            Activation.softmaxRows(values, count: count, width: max(lastAxis, 1))
        // The common cases get their own loops so the switch is not taken per element.
        case .tanh:
            FastTanh.apply(values, count: count)
        case .sigmoid:
            FastSigmoid.apply(values, count: count)
        default:
            for i in 0..<count { values[i] = self(values[i]) }
        }
    }

    /// Applies the activation in place to a whole buffer whose rows are `lastAxis` wide.
    public func apply(_ values: inout [Float], lastAxis: Int) {
        if self == .linear { return }
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { apply(base, count: count, lastAxis: lastAxis) }
        }
    }

    /// The element-wise function. Softmax of a single element is 1 (a row of width one).
    @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .tanh: return FastTanh.tanh(x)
        case .sigmoid: return Activation.logistic(x)
        case .hardSigmoid: return min(max(x / 6 + 0.5, 0), 1)
        case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
        case .relu: return x > 0 ? x : (x.isNaN ? x : 0)
        case .relu6: return x.isNaN ? x : min(max(x, 0), 6)
        case .leakyReLU(let slope): return x >= 0 ? x : slope * x
        case .elu(let alpha): return x > 0 ? x : alpha * Foundation.expm1(x)
        case .selu:
            return Activation.seluScale * (x > 0 ? x : Activation.seluAlpha * Foundation.expm1(x))
        case .softplus: return max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
        case .softsign: return x / (1 + abs(x))
        case .swish: return x * Activation.logistic(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / Float(2).squareRoot()))
        case .exponential: return Foundation.exp(x)
        case .softmax: return x.isNaN ? x : 1
        }
    }

    /// Logistic sigmoid written so neither branch overflows.
    @inline(__always)
    static func logistic(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }

    static func softmaxRows(_ values: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        var start = 0
        while start + width <= count {
            let row = values + start
            var largest = -Float.infinity
            for j in 0..<width { largest = max(largest, row[j]) }
            var sum: Float = 0
            for j in 0..<width {
                row[j] = Foundation.exp(row[j] - largest)
                sum += row[j]
            }
            for j in 0..<width { row[j] /= sum }
            start += width
        }
    }
}
