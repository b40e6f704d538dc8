/// Keras's default initializers, seeded, so a model built in Swift starts
/// the way a fresh Keras model does (the same distributions; Keras's own
/// random streams cannot be reproduced outside TensorFlow).
public enum Initializers {
    /// `GlorotUniform`: U(-limit, limit), limit = √(6 / (fan_in + fan_out)),
    /// for a 2-D kernel fan_in = rows, fan_out = columns; for a convolution
    /// kernel `(taps..., in, out)` both are multiplied by the taps (Keras's
    /// `compute_fans`).
    public static func glorotUniform(_ shape: [Int], random: inout RandomSource) -> Tensor {
        let taps = Float(shape.count > 2 ? shape.dropLast(2).reduce(1, *) : 1)
        let fanIn = taps * Float(shape.count >= 2 ? shape[shape.count - 2] : shape.first ?? 1)
        let fanOut = taps * Float(shape.last ?? 1)
        let limit = (6 / (fanIn + fanOut)).squareRoot()
        let values = (0..<shape.reduce(1, *)).map { _ in (random.uniform() * 2 - 1) * limit }
        return Tensor(uncheckedShape: shape, scalars: values)
    }

    /// `Orthogonal(gain=1)`: the Q of the QR decomposition of a standard
    /// normal matrix, with Q's columns signed by R's diagonal so the result
    /// is uniformly distributed over orthogonal matrices.
    public static func orthogonal(_ shape: [Int], random: inout RandomSource) -> Tensor {
        let rows = shape.first ?? 1, cols = shape.last ?? 1
        // Work on the taller orientation, then transpose back if needed.
        let n = max(rows, cols), m = min(rows, cols)
        var a = (0..<n * m).map { _ in random.normal() }  // n×m, row-major
        // Modified Gram–Schmidt on the m columns; r_jj's sign kept for the correction.
        for j in 0..<m {
            for k in 0..<j {
                var dot: Float = 0
                for i in 0..<n { dot += a[i * m + k] * a[i * m + j] }
                for i in 0..<n { a[i * m + j] -= dot * a[i * m + k] }
            }
            var norm: Float = 0
            for i in 0..<n { norm += a[i * m + j] * a[i * m + j] }
            norm = norm.squareRoot()
            for i in 0..<n { a[i * m + j] /= max(norm, .leastNormalMagnitude) }
        }
        if rows >= cols { return Tensor(uncheckedShape: [rows, cols], scalars: a) }
        var transposed = [Float](repeating: 0, count: rows * cols)
        for i in 0..<n { for j in 0..<m { transposed[j * n + i] = a[i * m + j] } }
        return Tensor(uncheckedShape: [rows, cols], scalars: transposed)
    }
}
