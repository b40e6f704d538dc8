import Testing
@testable import RNNRuntime

/// The few-rows product (one sample's recurrent step) against a Double
/// reference: whole 64-column blocks, 8-column blocks and single columns,
/// padded row strides, and accumulation into C.
@Suite("Few-rows matrix product")
struct FewRowsGemmTests {
    @Test("C (+)= A·B within float rounding of a Double reference",
          arguments: [(1, 128, 32, false), (2, 200, 33, true), (1, 7, 1000, true), (2, 64, 1, false), (1, 521, 65, true)])
    func matchesReference(_ m: Int, _ n: Int, _ k: Int, _ accumulate: Bool) {
        let lda = k + 3, ldb = n + 5, ldc = n + 2
        let a = GradientCheckTests.values(m * lda, seed: 1), b = GradientCheckTests.values(k * ldb, seed: 2)
        let start = GradientCheckTests.values(m * ldc, seed: 3)
        var c = start
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    LinearAlgebra.fewRowsGemm(
                        m: m, n: n, k: k, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                        c: c.baseAddress!, ldc: ldc, accumulate: accumulate)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(start[i * ldc + j]) : 0, scale = abs(sum)
                for p in 0..<k {
                    let term = Double(a[i * lda + p]) * Double(b[p * ldb + j])
                    sum += term
                    scale += abs(term)
                }
                worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / max(scale, 1e-30))
            }
            // Padding between rows is left alone.
            for j in n..<ldc { #expect(c[i * ldc + j] == start[i * ldc + j]) }
        }
        #expect(worst < 1e-5, "relative error \(worst)")
    }
}
