/// The dense kernels the layers need, on contiguous row-major buffers.
///
/// Products go one of three ways: tiny ones (the tutorial's 3-unit cell)
/// run a plain loop, because any call overhead would dominate them; larger
/// ones go to OpenBLAS when it is installed (one row as sgemv), else to the
/// pure-Swift kernels (`fewRowsGemm` for one or two rows, the blocked
/// `SwiftGemm` for more). All agree with Keras within float rounding.
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
            // One row (a one-sample step) as sgemv, which does not pack B.
            if m == 1 && !transposeA && !transposeB,
               blas.rowTimesMatrix(n: n, k: k, a: a, b: b, ldb: ldb, c: c, accumulate: accumulate) { return }
            blas.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else if m <= fewRows && !transposeA && !transposeB {
            fewRowsGemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            SwiftGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// Without OpenBLAS, at most this many rows (one sample's recurrent step)
    /// go to `fewRowsGemm`, which streams B once instead of packing it.
    static let fewRows = 2

    /// `C[m×n] (+)= A·B` for a few rows of A: each row of C is built in
    /// SIMD registers, 64 columns at a time, streaming B's rows once.
    @inline(__always)
    static func fewRowsGemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        typealias V = SIMD8<Float>
        for i in 0..<m {
            let aRow = a + i * lda, cRow = c + i * ldc
            var j = 0
            while j + 64 <= n {
                var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
                if accumulate {
                    let raw = UnsafeRawPointer(cRow + j)
                    s0 = raw.loadUnaligned(as: V.self); s1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self)
                    s2 = raw.loadUnaligned(fromByteOffset: 64, as: V.self); s3 = raw.loadUnaligned(fromByteOffset: 96, as: V.self)
                    s4 = raw.loadUnaligned(fromByteOffset: 128, as: V.self); s5 = raw.loadUnaligned(fromByteOffset: 160, as: V.self)
                    s6 = raw.loadUnaligned(fromByteOffset: 192, as: V.self); s7 = raw.loadUnaligned(fromByteOffset: 224, as: V.self)
                }
                for p in 0..<k {
                    let scale = V(repeating: aRow[p])
                    let raw = UnsafeRawPointer(b + p * ldb + j)
                    s0 += scale * raw.loadUnaligned(as: V.self)
                    s1 += scale * raw.loadUnaligned(fromByteOffset: 32, as: V.self)
                    s2 += scale * raw.loadUnaligned(fromByteOffset: 64, as: V.self)
                    s3 += scale * raw.loadUnaligned(fromByteOffset: 96, as: V.self)
                    s4 += scale * raw.loadUnaligned(fromByteOffset: 128, as: V.self)
                    s5 += scale * raw.loadUnaligned(fromByteOffset: 160, as: V.self)
                    s6 += scale * raw.loadUnaligned(fromByteOffset: 192, as: V.self)
                    s7 += scale * raw.loadUnaligned(fromByteOffset: 224, as: V.self)
                }
                let out = UnsafeMutableRawPointer(cRow + j)
                out.storeBytes(of: s0, as: V.self); out.storeBytes(of: s1, toByteOffset: 32, as: V.self)
                out.storeBytes(of: s2, toByteOffset: 64, as: V.self); out.storeBytes(of: s3, toByteOffset: 96, as: V.self)
                out.storeBytes(of: s4, toByteOffset: 128, as: V.self); out.storeBytes(of: s5, toByteOffset: 160, as: V.self)
                out.storeBytes(of: s6, toByteOffset: 192, as: V.self); out.storeBytes(of: s7, toByteOffset: 224, as: V.self)
                j += 64
            }
            while j + 8 <= n {
                var sum = accumulate ? UnsafeRawPointer(cRow + j).loadUnaligned(as: V.self) : V()
                for p in 0..<k { sum += V(repeating: aRow[p]) * UnsafeRawPointer(b + p * ldb + j).loadUnaligned(as: V.self) }
                UnsafeMutableRawPointer(cRow + j).storeBytes(of: sum, as: V.self)
                j += 8
            }
            while j < n {
                var sum = accumulate ? cRow[j] : 0
                for p in 0..<k { sum += aRow[p] * b[p * ldb + j] }
                cRow[j] = sum
                j += 1
            }
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
        if !transposeA && !transposeB {
            // The common case (every forward product) without the per-element
            // branches: a tiny model's whole step is this loop.
            if n < 8 {
                // Too narrow to vectorise over j: one running sum per output,
                // adding the products in the same order as the loop below.
                for i in 0..<m {
                    let outRow = c + i * ldc, aRow = a + i * lda
                    for j in 0..<n {
                        var sum: Float = accumulate ? outRow[j] : 0
                        for p in 0..<k { sum += aRow[p] * b[p * ldb + j] }
                        outRow[j] = sum
                    }
                }
                return
            }
            for i in 0..<m {
                let outRow = c + i * ldc, aRow = a + i * lda
                for j in 0..<n { outRow[j] = accumulate ? outRow[j] : 0 }
                for p in 0..<k {
                    let scale = aRow[p], bRow = b + p * ldb
                    for j in 0..<n { outRow[j] += scale * bRow[j] }
                }
            }
            return
        }
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

    /// Copies `row[cols]` into each of the `rows` rows of `matrix`: a bias
    /// laid down before a GEMM that accumulates onto it costs one pass over
    /// the output, where a GEMM that overwrites (and so first zeroes) it and
    /// a pass adding the bias after cost three.
    @inline(__always)
    static func fillRows(with row: UnsafePointer<Float>, _ matrix: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for i in 0..<rows { copy(row, to: matrix + i * cols, count: cols) }
    }

    /// Copies `count` floats between buffers that do not overlap, eight at a
    /// time in registers: the rows the hot loops copy are a few hundred
    /// bytes, where a call to `memmove` per row cost as much as the copy.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        let stride = MemoryLayout<SIMD8<Float>>.stride
        var offset = 0
        let end = count * MemoryLayout<Float>.stride
        while offset + stride <= end {
            let eight = from.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            to.storeBytes(of: eight, toByteOffset: offset, as: SIMD8<Float>.self)
            offset += stride
        }
        while offset < end {
            to.storeBytes(of: from.load(fromByteOffset: offset, as: Float.self), toByteOffset: offset, as: Float.self)
            offset += MemoryLayout<Float>.stride
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
