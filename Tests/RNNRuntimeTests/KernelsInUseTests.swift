import Foundation
import Testing
import RNNRuntime

/// Says which matrix-product kernels and how many threads this test process
/// uses, so every pass of the test command reports what it exercised, and
/// fails when the pass asked for kernels it did not get
/// (`KERASIO_EXPECT_KERNELS=openblas` or `swift`): a missing OpenBLAS must
/// not silently turn the BLAS pass into a second pure-Swift pass.
@Suite("Kernels in use")
struct KernelsInUseTests {
    @Test("the kernels this pass asked for are the ones in use")
    func kernelsAsAsked() {
        // scripts/test greps this line for its summary.
        print("kerasio kernels: \(ComputeBackend.description)")
        let environment = ProcessInfo.processInfo.environment
        switch environment["KERASIO_EXPECT_KERNELS"]?.lowercased() {
        case "openblas":
            #expect(ComputeBackend.usesOpenBLAS, "OpenBLAS was asked for and is absent: \(ComputeBackend.description)")
        case "swift":
            #expect(!ComputeBackend.usesOpenBLAS, "the pure-Swift kernels were asked for: \(ComputeBackend.description)")
        case nil:
            break
        case let other?:
            Issue.record("KERASIO_EXPECT_KERNELS=\(other): expected openblas or swift")
        }
        if let threads = environment["KERASIO_EXPECT_THREADS"].flatMap(Int.init) {
            #expect(ComputeBackend.threads == threads)
        }
    }
}
