import Dispatch
import Foundation

/// Splitting a batch over the cores.
///
/// The samples of a batch are independent through a whole forward pass, so
/// each thread runs the entire network on its share of the batch: there is
/// no synchronisation per time step, only one join at the end.
enum Parallel {
    /// `KERASIO_THREADS` if set (at least 1), else the active processor count.
    static let threads: Int = {
        if let text = ProcessInfo.processInfo.environment["KERASIO_THREADS"], let value = Int(text) {
            return max(value, 1)
        }
        return max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }()

    /// Below this many floating-point operations per call, waking other
    /// threads costs more than it saves.
    static let minimumParallelWork = 4_000_000

    /// How many parts to split `count` samples into for `work` operations in total.
    static func partCount(samples count: Int, work: Int, threads: Int = Parallel.threads) -> Int {
        guard threads > 1, count > 1, work >= minimumParallelWork else { return 1 }
        return min(threads, count)
    }

    /// The `part`-th of `parts` contiguous, nearly equal ranges of `0..<count`.
    static func range(part: Int, of parts: Int, count: Int) -> Range<Int> {
        (part * count / parts)..<((part + 1) * count / parts)
    }

    /// Runs `body` for each part concurrently and returns the results in order.
    static func map<T>(parts: Int, _ body: (Int) -> T) -> [T] {
        if parts == 1 { return [body(0)] }
        var results = [T?](repeating: nil, count: parts)
        results.withUnsafeMutableBufferPointer { slots in
            // Each part writes only its own slot, and concurrentPerform
            // returns after every part is done, so neither escapes.
            let slots = UncheckedSendable(slots)
            withoutActuallyEscaping(body) { body in
                let body = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    slots.value[part] = body.value(part)
                }
            }
        }
        return results.map { $0! }
    }
}

/// Hands Dispatch a value it cannot prove safe to share: a buffer whose
/// disjoint elements different threads write, or the closure that writes them.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
