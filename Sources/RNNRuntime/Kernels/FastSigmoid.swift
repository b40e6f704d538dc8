/// The logistic function σ(x) = 1 / (1 + e^-x) as a vectorised rational
/// approximation: σ(x) ≈ 0.5 + x·P(x²) / Q(x²) with P of degree 4 and Q of
/// degree 5 in x², on x clamped to [-18, 18] (σ is within float rounding of
/// 0 or 1 beyond). The coefficients are those of the minimax fit that
/// ONNX Runtime's MLAS and Eigen use for float logistic; its absolute error
/// is a few 1e-8, far inside the 1e-5 agreement with Keras, and it runs
/// eight lanes at a time where `exp` is one scalar call per element (which
/// dominated LSTM and GRU gates, three or two sigmoids per unit and step).
enum FastSigmoid {
    static let bound: Float = 18
    // Numerator x·(a1 + a3·x² + ... + a9·x⁸) and denominator b0 + b2·x² + ... + b10·x¹⁰.
    static let a1: Float = 2.48287947061529e-01, a3: Float = 8.51377133304701e-03
    static let a5: Float = 6.08574864600143e-05, a7: Float = 1.15627324459942e-07, a9: Float = 4.37031012579801e-11
    static let b0: Float = 9.93151921023180e-01, b2: Float = 1.16817656904453e-01, b4: Float = 1.70198817374094e-03
    static let b6: Float = 6.29106785017040e-06, b8: Float = 5.76102136993427e-09, b10: Float = 6.10247389755681e-13

    /// σ of eight lanes; NaN lanes stay NaN, and the result is kept in [0, 1].
    /// Transparent (inlined before optimisation): with `@inline(__always)`
    /// alone, a caller using it three times (`LSTMCell`'s gate loop) was left
    /// calling it out of line, passing the vectors through memory.
    @_transparent
    static func sigmoid(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var x = value
        x.replace(with: SIMD8(repeating: bound), where: x .> bound)
        x.replace(with: SIMD8(repeating: -bound), where: x .< -bound)
        let x2 = x * x
        var p = SIMD8(repeating: a9) * x2 + a7
        p = p * x2 + a5
        p = p * x2 + a3
        p = p * x2 + a1
        var q = SIMD8(repeating: b10) * x2 + b8
        q = q * x2 + b6
        q = q * x2 + b4
        q = q * x2 + b2
        q = q * x2 + b0
        var y = x * p / q + 0.5
        y.replace(with: SIMD8(repeating: 0), where: y .< 0)
        y.replace(with: SIMD8(repeating: 1), where: y .> 1)
        return y  // NaN lanes compare false everywhere and pass through
    }

    /// Replaces each of `count` values with its logistic.
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(values + i)
            raw.storeBytes(of: sigmoid(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>()
            for lane in 0..<(count - i) { tail[lane] = values[i + lane] }
            tail = sigmoid(tail)
            for lane in 0..<(count - i) { values[i + lane] = tail[lane] }
        }
    }
}
