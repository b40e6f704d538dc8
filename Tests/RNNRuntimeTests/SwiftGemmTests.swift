import Testing
@testable import RNNRuntime

/// SwiftGemm against a Double-precision reference, on both of its paths.
///
/// The kernel sums in its own order, so results are compared within a relative
/// 1e-5 of the sum of the magnitudes of the terms, the scale that Float
/// rounding errors in any summation order are proportional to.
@Suite("SwiftGemm")
struct SwiftGemmTests {
    typealias Shape = (m: Int, n: Int, k: Int)

    /// Chosen to reach every branch: empty and unit sizes, the simple path's
    /// two loop orders, and in the blocked path partial panels at both edges
    /// and more than one block along each of k, m and n.
    static let chosenShapes: [Shape] = [
        (0, 5, 3), (4, 0, 3), (3, 4, 0), (1, 1, 1), (1, 3, 3), (3, 3, 1), (5, 7, 9),
        (1, 1, 300), (200, 1, 64), (4, 64, 64),
        (12, 8, 86),  // just over the simple path's work limit, whole panels only
        (13, 17, 300),  // partial panels in both directions; k in two blocks
        (130, 9, 40),  // m in two blocks
        (19, 23, 513),  // k in three blocks
        (12, 2100, 1),  // n in two blocks
        (64, 128, 128),  // a real layer's shape
    ]

    /// Seeded random shapes from sizes around the panel widths.
    static let randomShapes: [Shape] = {
        let sizes = [1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 16, 17, 31, 33, 64, 70]
        var random = RandomSource(seed: 2024)
        return (0..<16).map { _ in
            (sizes.randomElement(using: &random)!, sizes.randomElement(using: &random)!,
             sizes.randomElement(using: &random)!)
        }
    }()

    @Test("the chosen shapes reach both paths and split every dimension into blocks")
    func shapesCoverThePaths() {
        let blocked = Self.chosenShapes.filter {
            $0.m >= SwiftGemm.simpleRowLimit && $0.n > 1 && $0.m * $0.n * $0.k > SwiftGemm.simpleWorkLimit
        }
        #expect(blocked.count < Self.chosenShapes.count)
        #expect(blocked.contains { $0.k > SwiftGemm.kcMax })
        #expect(blocked.contains { $0.m > SwiftGemm.mcMax })
        #expect(blocked.contains { $0.n > SwiftGemm.ncMax })
        #expect(blocked.contains { $0.m % SwiftGemm.mr != 0 && $0.n % SwiftGemm.nr != 0 })
    }

    @Test(
        "matches a Double reference for every shape, with and without padded strides",
        arguments: [false, true], [false, true])
    func matchesReference(transposeA: Bool, transposeB: Bool) {
        var random = RandomSource(seed: transposeA ? (transposeB ? 1 : 2) : (transposeB ? 3 : 4))
        for shape in Self.chosenShapes + Self.randomShapes {
            for padding in [0, 3] {
                let product = Product(
                    transposeA: transposeA, transposeB: transposeB, shape: shape, padding: padding, random: &random)
                for accumulate in [false, true] {
                    let c = product.multiplied(accumulate: accumulate)
                    #expect(
                        product.firstMismatch(in: c, accumulate: accumulate) == nil,
                        "\(shape), padding \(padding), accumulate \(accumulate)")
                }
            }
        }
    }

    @Test("NaN propagates and 0 · ∞ gives NaN: zero entries are not skipped", arguments: [false, true], [false, true])
    func nanPropagates(transposeA: Bool, transposeB: Bool) {
        var random = RandomSource(seed: 5)
        for shape in [(m: 3, n: 4, k: 5), (m: 20, n: 30, k: 40)] {
            var product = Product(transposeA: transposeA, transposeB: transposeB, shape: shape, padding: 1, random: &random)
            for i in 0..<shape.m { for p in 0..<shape.k { product.setA(i, p, 0) } }
            product.setA(1, 4, .nan)
            product.setB(2, 1, .nan)
            product.setB(3, 3, .infinity)
            let c = product.multiplied(accumulate: false)
            for i in 0..<shape.m {
                for j in 0..<shape.n {
                    let value = c[i * product.ldc + j]
                    let expectNaN = i == 1 || j == 1 || j == 3
                    #expect(expectNaN ? value.isNaN : value == 0, "\(shape): C[\(i), \(j)] = \(value)")
                }
            }
        }
    }

    @Test("with k = 0, C is zeroed, or left alone when accumulating")
    func emptyInnerDimension() {
        var random = RandomSource(seed: 6)
        for shape in [(m: 2, n: 3, k: 0), (m: 50, n: 60, k: 0)] {
            let product = Product(transposeA: false, transposeB: false, shape: shape, padding: 2, random: &random)
            #expect(product.multiplied(accumulate: true) == product.c)
            let zeroed = product.multiplied(accumulate: false)
            for i in 0..<shape.m {
                for j in 0..<product.ldc {
                    #expect(zeroed[i * product.ldc + j] == (j < shape.n ? 0 : product.c[i * product.ldc + j]))
                }
            }
        }
    }
}

/// One multiplication's operands, stored with the given transposes and
/// strides; C starts random so that accumulation and untouched padding show.
private struct Product {
    let transposeA: Bool, transposeB: Bool
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int
    private(set) var a: [Float], b: [Float]
    let c: [Float]

    init(transposeA: Bool, transposeB: Bool, shape: SwiftGemmTests.Shape, padding: Int, random: inout RandomSource) {
        self.transposeA = transposeA
        self.transposeB = transposeB
        (m, n, k) = shape
        lda = (transposeA ? m : k) + padding
        ldb = (transposeB ? k : n) + padding
        ldc = n + padding
        // At least one element, so that every buffer has a base address.
        func values(_ count: Int) -> [Float] { (0..<max(count, 1)).map { _ in random.uniform() * 2 - 1 } }
        a = values((transposeA ? k : m) * lda)
        b = values((transposeB ? n : k) * ldb)
        c = values(m * ldc)
    }

    func opA(_ i: Int, _ p: Int) -> Float { a[transposeA ? p * lda + i : i * lda + p] }
    func opB(_ p: Int, _ j: Int) -> Float { b[transposeB ? j * ldb + p : p * ldb + j] }
    mutating func setA(_ i: Int, _ p: Int, _ value: Float) { a[transposeA ? p * lda + i : i * lda + p] = value }
    mutating func setB(_ p: Int, _ j: Int, _ value: Float) { b[transposeB ? j * ldb + p : p * ldb + j] = value }

    /// C after `SwiftGemm.multiply`.
    func multiplied(accumulate: Bool) -> [Float] {
        var result = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    SwiftGemm.multiply(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                        c: c.baseAddress!, ldc: ldc, accumulate: accumulate)
                }
            }
        }
        return result
    }

    /// The first element of `result` off the Double reference, or changed
    /// although it lies in C's padding; nil when there is none.
    func firstMismatch(in result: [Float], accumulate: Bool) -> String? {
        for i in 0..<m {
            for j in 0..<ldc {
                let index = i * ldc + j
                guard j < n else {
                    if result[index] != c[index] { return "padding C[\(i), \(j)] changed" }
                    continue
                }
                var sum = accumulate ? Double(c[index]) : 0
                var magnitude = abs(sum)
                for p in 0..<k {
                    let term = Double(opA(i, p)) * Double(opB(p, j))
                    sum += term
                    magnitude += abs(term)
                }
                if !(abs(Double(result[index]) - sum) <= 1e-5 * magnitude) {
                    return "C[\(i), \(j)] = \(result[index]), expected \(sum)"
                }
            }
        }
        return nil
    }
}
