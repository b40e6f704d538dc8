/// tanh as TensorFlow's CPU kernels compute it: Eigen's `ptanh_float`, a
/// [9/8] rational minimax approximation accurate to a couple of ulps, with
/// the input clamped where the approximation reaches exactly ±1.
///
/// Using Eigen's formula rather than libm's `tanhf` does two things: it is
/// several times faster (it vectorises; `tanhf` is a scalar call per
/// element, which dominated SimpleRNN inference), and it is the function
/// Keras itself evaluates on CPU, so predictions move closer to Keras's.
enum FastTanh {
    /// Eigen's clamp for builds without FMA (ours: baseline x86-64).
    static let clamp: Float = 7.90738964080810547
    // Numerator (odd) and denominator (even) coefficients, highest degree first.
    static let alpha: (Float, Float, Float, Float) = (1.394553628e-8, 2.102733560e-5, 3.520756727e-3, 1.340216100e-1)
    static let beta: (Float, Float, Float, Float, Float) = (8.015776984e-7, 3.326951409e-4, 2.597254514e-2, 4.673548340e-1, 1.0)

    /// tanh of one value (NaN stays NaN).
    @inline(__always)
    static func tanh(_ value: Float) -> Float {
        if value.isNaN { return value }
        let x = min(max(value, -clamp), clamp)
        let x2 = x * x
        let p = ((alpha.0 * x2 + alpha.1) * x2 + alpha.2) * x2 + alpha.3
        let q = (((beta.0 * x2 + beta.1) * x2 + beta.2) * x2 + beta.3) * x2 + beta.4
        return (x2 * x * p + x) / q
    }

    /// tanh of eight lanes (NaN lanes stay NaN). Written on the concrete
    /// vector type with compare-and-select rather than generic `clamped`,
    /// which the compiler left as out-of-line calls.
    @inline(__always)
    static func tanh(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var x = value
        x.replace(with: SIMD8(repeating: clamp), where: x .> clamp)
        x.replace(with: SIMD8(repeating: -clamp), where: x .< -clamp)
        let x2 = x * x
        var p = SIMD8(repeating: alpha.0) * x2 + alpha.1
        p = p * x2 + alpha.2
        p = p * x2 + alpha.3
        var q = SIMD8(repeating: beta.0) * x2 + beta.1
        q = q * x2 + beta.2
        q = q * x2 + beta.3
        q = q * x2 + beta.4
        return (x2 * x * p + x) / q  // NaN lanes pass through every step as NaN
    }

    /// Replaces each of `count` values with its tanh.
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(values + i)
            raw.storeBytes(of: tanh(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            i += 8
        }
        if count - i <= 4 {
            // A short tail (all of a tiny layer's units) element by element:
            // the same arithmetic, without filling and emptying a vector.
            while i < count {
                values[i] = tanh(values[i])
                i += 1
            }
        } else if i < count {
            // A longer tail as one partly filled vector.
            var tail = SIMD8<Float>()
            for lane in 0..<(count - i) { tail[lane] = values[i + lane] }
            tail = tanh(tail)
            for lane in 0..<(count - i) { values[i + lane] = tail[lane] }
        }
    }
}
