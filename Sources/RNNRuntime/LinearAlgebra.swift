/// The dense kernels the layers need, on contiguous row-major buffers.
///
/// Products go one of three ways: tiny ones (the tutorial's 3-unit cell)
/// run a plain loop, because any call overhead would dominate them; larger
/// ones go to OpenBLAS when it is installed, else to the pure-Swift blocked
/// kernel (`SwiftGemm`). All three agree with Keras within float rounding.
enum LinearAlgebra {
    /// Products with fewer multiply-adds than this use the plain loop.
    static let smallProduct = 4_096

    /// `output[rows, cols] (+)= a[rows, inner] · b[inner, cols]`.
    ///
    /// When `accumulate` is false the output is overwritten.
    @inline(__always)
    static func matmul(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        rows: Int, inner: Int, cols: Int, accumulate: Bool
    ) {
        gemm(transposeA: false, transposeB: false, m: rows, n: cols, k: inner,
             a: a, lda: inner, b: b, ldb: cols, c: output, ldc: cols, accumulate: accumulate)
    }

    /// `C[m×n] = (accumulate ? C : 0) + op(A)·op(B)`, row-major with row
    /// strides `lda`, `ldb`, `ldc`; `op(A)` is `A` (m×k) or, transposed, `Aᵀ`
    /// of a k×m `A`; likewise `op(B)` of a k×n `B` or an n×k one.
    @inline(__always)
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        if m * n * k < smallProduct {
            smallGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else if let blas = OpenBLAS.shared {
            blas.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            SwiftGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// The plain loop, in i-p-j order so the innermost loop walks rows of B
    /// and C contiguously when B is not transposed.
    @inline(__always)
    static func smallGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            let outRow = c + i * ldc
            if !accumulate { outRow.update(repeating: 0, count: n) }
            for p in 0..<k {
                // No skipping of zero entries: 0 · NaN must stay NaN, as in Keras.
                let scale = transposeA ? a[p * lda + i] : a[i * lda + p]
                if transposeB {
                    for j in 0..<n { outRow[j] += scale * b[j * ldb + p] }
                } else {
                    let bRow = b + p * ldb
                    for j in 0..<n { outRow[j] += scale * bRow[j] }
                }
            }
        }
    }

    /// Adds `bias[cols]` to each of the `rows` rows of `matrix`.
    @inline(__always)
    static func addRowVector(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for i in 0..<rows {
            let row = matrix + i * cols
            for j in 0..<cols { row[j] += bias[j] }
        }
    }

    /// `sums[cols] += Σ_rows matrix[row, ·]` (bias gradients).
    @inline(__always)
    static func addColumnSums(of matrix: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let row = matrix + i * cols
            for j in 0..<cols { sums[j] += row[j] }
        }
    }
}
