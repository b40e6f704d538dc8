import Foundation

/// Workspaces `Sequential.predict` and chunked prediction reuse from one call
/// to the next. A batch of 256 long sequences needs megabytes of working
/// memory; allocated afresh on every call, its page faults and zeroing took
/// about a quarter of the benchmark's time (issue 15's profile). A workspace
/// is used by one thread at a time, then handed back; at most `limit` are
/// kept, so the memory held is bounded by that many of the largest shape seen.
public final class WorkspacePool: @unchecked Sendable {
    public static let shared = WorkspacePool()

    /// Enough for every thread of a `predict` split over the cores.
    private let limit = max(Parallel.threads, 2)
    private let lock = NSLock()
    private var free: [PredictionWorkspace] = []

    /// A workspace no other thread is using.
    func take() -> PredictionWorkspace {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? PredictionWorkspace()
    }

    /// Hands a workspace back for the next call.
    func give(_ workspace: PredictionWorkspace) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < limit { free.append(workspace) }
    }

    /// Runs `body` with a pooled workspace.
    public func with<T>(_ body: (PredictionWorkspace) throws -> T) rethrows -> T {
        let workspace = take()
        defer { give(workspace) }
        return try body(workspace)
    }
}
