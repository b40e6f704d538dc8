import Foundation

/// What the runtime computes with, for reports such as `kerasio bench`.
public enum ComputeBackend {
    /// One line: the matrix-product code in use and the threads large batches are split over.
    public static var description: String {
        let kernels = OpenBLAS.shared.map { "OpenBLAS (\($0.configuration))" } ?? "pure Swift"
        return "\(kernels), \(threads) thread\(threads == 1 ? "" : "s")"
    }

    /// Threads large batches are split over: `KERASIO_THREADS`, else the active cores.
    public static var threads: Int { Parallel.threads }

    /// True when matrix products go to OpenBLAS (`KERASIO_BLAS=off` forces the Swift kernels).
    public static var usesOpenBLAS: Bool { OpenBLAS.shared != nil }
}
