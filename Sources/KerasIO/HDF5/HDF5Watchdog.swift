import Foundation

/// Turns a libhdf5 call that never returns into one clear message.
///
/// Checks made before libhdf5 reads (``HDF5AttributeCheck``) close the
/// stalls the campaign found, but libhdf5 1.10.8 parses much more than
/// kerasio can re-check, and a hostile file may find another loop. A stalled
/// C call cannot be cancelled: the thread stays inside it, holding the
/// process-wide HDF5 lock, so no HDF5 file can ever be read again in that
/// process. The watchdog therefore does the one honest thing left: after
/// ``stallLimit`` seconds inside one locked HDF5 region it calls
/// ``onStall``, whose default writes one `error:` line naming the file and
/// ends the process with status 1. A host app that would rather log and
/// carry on without HDF5 can replace the handler; it is called once, on the
/// watchdog's own thread.
///
/// The limit: every legitimate HDF5 call kerasio makes (one attribute, one
/// weight of at most 2 GiB) finishes in well under a second; reading a
/// 2 GiB weight from a slow disk is the one slow case, which is why the
/// default is 3 s and `KERASIO_HDF5_STALL_SECONDS` changes it (0 turns the
/// watchdog off).
public enum HDF5Watchdog {
    /// What the handler is told.
    public struct Stall: Sendable {
        /// The last HDF5 file opened, where the stall almost surely is.
        public let file: String
        public let seconds: Double
    }

    private static let state = NSLock()
    nonisolated(unsafe) private static var enteredAt: UInt64 = 0
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var file = "an HDF5 file"
    nonisolated(unsafe) private static var handler: @Sendable (Stall) -> Void = defaultHandler
    nonisolated(unsafe) private static var limit: Double = {
        if let text = ProcessInfo.processInfo.environment["KERASIO_HDF5_STALL_SECONDS"], let value = Double(text), value >= 0 {
            return value
        }
        return 3
    }()

    /// Seconds one HDF5 region may take before ``onStall`` is called; 0 disables.
    public static var stallLimit: Double {
        get { state.withLock { limit } }
        set { state.withLock { limit = newValue } }
    }

    /// Called once when a stall is seen.
    public static var onStall: @Sendable (Stall) -> Void {
        get { state.withLock { handler } }
        set { state.withLock { handler = newValue } }
    }

    /// The default: one line on stderr, exit status 1.
    public static let defaultHandler: @Sendable (Stall) -> Void = { stall in
        let line = "error: \(PrintableText.oneLine(stall.file, limit: 300)): the HDF5 library made no progress for "
            + "\(Int(stall.seconds)) s reading it; the file is damaged (libhdf5 cannot be interrupted, so kerasio stops)\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(1)
    }

    /// Records which file is being read, for the message.
    static func reading(_ name: String) {
        state.withLock { file = name }
    }

    /// Marks entry into a locked HDF5 region (outermost entry starts the clock).
    static func enter() {
        _ = watcher
        state.withLock {
            if depth == 0 { enteredAt = DispatchTime.now().uptimeNanoseconds }
            depth += 1
        }
    }

    static func leave() {
        state.withLock {
            depth -= 1
            if depth == 0 { enteredAt = 0 }
        }
    }

    /// The watching thread, started on first use; it sleeps a quarter of a
    /// second between looks and never keeps the process alive.
    private static let watcher: Void = {
        let thread = Thread {
            var fired = false
            while !fired {
                Thread.sleep(forTimeInterval: 0.25)
                let (started, limit, file) = state.withLock { (enteredAt, Self.limit, Self.file) }
                guard limit > 0, started != 0 else { continue }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds &- started) / 1e9
                if seconds > limit {
                    fired = true
                    onStall(Stall(file: file, seconds: seconds))
                }
            }
        }
        thread.name = "kerasio HDF5 watchdog"
        thread.start()
    }()
}
