#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// OpenBLAS's `cblas_sgemm`, found at run time with `dlopen`.
///
/// Loading at run time keeps OpenBLAS optional: kerasio builds and runs
/// without it (the pure-Swift kernels take over), links nothing new, and
/// picks it up as soon as `libopenblas0` is installed. Swift code cannot be
/// compiled for AVX-512 without unsafe flags that SwiftPM refuses in
/// dependencies; OpenBLAS chooses its kernel for the CPU when it loads.
///
/// `KERASIO_BLAS=off` (or `swift`) turns it off; `KERASIO_BLAS=/path/lib.so`
/// loads that library instead.
final class OpenBLAS: @unchecked Sendable {
    typealias SgemmFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void

    typealias SgemvFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void

    /// The loaded library, or nil when it is absent or turned off.
    static let shared: OpenBLAS? = OpenBLAS(setting: ProcessInfo.processInfo.environment["KERASIO_BLAS"])

    let sgemm: SgemmFunction
    /// `cblas_sgemv`: one row times a matrix without `sgemm`'s packing (a one-sample step).
    let sgemv: SgemvFunction?
    /// OpenBLAS's own description (`openblas_get_config`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... SkylakeX".
    let configuration: String

    private init?(setting: String?) {
        if let setting, ["off", "none", "swift", "0"].contains(setting.lowercased()) { return nil }
        let candidates = setting.map { [$0] } ?? ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        // kerasio splits large batches over the cores itself; OpenBLAS's own
        // threads would only compete with those, so it gets one.
        setenv("OPENBLAS_NUM_THREADS", "1", 0)
        Self.chooseCoreType()
        for candidate in candidates {
            guard let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL),
                  let symbol = dlsym(handle, "cblas_sgemm") else { continue }
            sgemm = unsafeBitCast(symbol, to: SgemmFunction.self)
            sgemv = dlsym(handle, "cblas_sgemv").map { unsafeBitCast($0, to: SgemvFunction.self) }
            if let setThreads = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(setThreads, to: (@convention(c) (Int32) -> Void).self)(1)
            }
            if let getConfig = dlsym(handle, "openblas_get_config"),
               let text = unsafeBitCast(getConfig, to: (@convention(c) () -> UnsafePointer<CChar>?).self)() {
                configuration = String(cString: text).trimmingCharacters(in: .whitespaces)
            } else {
                configuration = candidate
            }
            return
        }
        return nil
    }

    /// Row-major `C = (accumulate ? C : 0) + op(A)·op(B)`; see `MatrixMultiply.gemm`.
    @inline(__always)
    func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        let rowMajor: Int32 = 101, noTranspose: Int32 = 111, transpose: Int32 = 112
        sgemm(
            rowMajor, transposeA ? transpose : noTranspose, transposeB ? transpose : noTranspose,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }
}

extension OpenBLAS {
    /// `c[n] (+)= a[k] · B[k×n]` (B row-major with row stride `ldb`), as
    /// `y = Bᵀ·x`; false if the library has no `cblas_sgemv`.
    @inline(__always)
    func rowTimesMatrix(
        n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, accumulate: Bool
    ) -> Bool {
        guard let sgemv else { return false }
        let rowMajor: Int32 = 101, transpose: Int32 = 112
        sgemv(rowMajor, transpose, Int32(k), Int32(n), 1, b, Int32(ldb), a, 1, accumulate ? 1 : 0, c, 1)
        return true
    }

    /// OpenBLAS 0.3.21 does not recognise some current Xeons (virtual CPUs
    /// report a generic model) and falls back to its SSE3 "Prescott" kernels,
    /// a quarter of the speed. Naming the core type from the CPU's own flags
    /// avoids that; a user's `OPENBLAS_CORETYPE` still wins.
    static func chooseCoreType() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
            setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
        } else if flags.isSuperset(of: ["avx2", "fma"]) {
            setenv("OPENBLAS_CORETYPE", "Haswell", 0)
        }
    }
}
