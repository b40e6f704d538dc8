import CHDF5
import Foundation

/// Process-wide state of the HDF5 C library: one-time set-up and the lock
/// around every call into it.
///
/// Every call into HDF5 that kerasio makes goes through ``withLock(_:)``,
/// which holds one process-wide lock. A serial HDF5 built without
/// `--enable-threadsafe` (common on macOS and in hand-built copies) has
/// unprotected globals: the table of open identifiers, the error stack, free
/// lists. Debian's build does define `H5_HAVE_THREADSAFE` and serialises
/// calls itself, but we do not rely on how the library was configured.
/// HDF5 work is short and I/O bound, so serialising it costs little.
///
/// The lock is recursive because a handle can be closed from `deinit` while
/// the same thread already holds it (a temporary ``HDF5Group`` released
/// inside a locked region).
///
/// HDF5 prints its error stack to stderr on every failure unless told not
/// to. In a thread-safe build (Debian's) both the error stack and that
/// setting belong to the calling thread, and a new thread starts with
/// printing on, so turning it off once is not enough: Swift may run our
/// code on any thread. ``withLock(_:)`` therefore turns it off on every
/// entry, before the body makes any HDF5 call; `H5Eset_auto2` only stores
/// two pointers, so this is cheap. kerasio reads the stack itself and puts
/// it into ``HDF5Error``: nothing is ever printed by HDF5.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs once, on first use (a `static let` is initialised exactly once,
    /// thread-safely): initialises the library, and turns automatic error
    /// printing off for the default stack (all threads, in a serial build).
    private static let initialization: Void = {
        _ = H5open()
        _ = H5Eset_auto2(kio_H5E_DEFAULT(), nil, nil)
        // No Keras file links to another file; with the external link class
        // gone, libhdf5 cannot follow one even by a path kerasio did not
        // check (HDF5Group refuses them by name first, with a clear message).
        _ = H5Lunregister(H5L_TYPE_EXTERNAL)
        _ = H5Eclear2(kio_H5E_DEFAULT())
    }()

    /// Initialises HDF5 once per process and silences its error printing
    /// on the calling thread. ``withLock(_:)`` calls this before its body.
    static func ensureInitialized() {
        _ = initialization
        _ = H5Eset_auto2(kio_H5E_DEFAULT(), nil, nil)
    }

    /// Runs `body`, which may call HDF5, holding the process-wide HDF5 lock
    /// with error printing off on this thread.
    /// The time spent inside is watched (``HDF5Watchdog``).
    static func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        HDF5Watchdog.enter()
        defer {
            HDF5Watchdog.leave()
            lock.unlock()
        }
        ensureInitialized()
        return try body()
    }

    /// The messages on HDF5's error stack, outermost call first (the order
    /// of `H5E_WALK_DOWNWARD`), then clears the stack.
    ///
    /// Call with the lock held, straight after the failing call: the next
    /// HDF5 API call would clear the stack.
    static func takeErrorStack() -> [String] {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { messagesPointer in
            _ = H5Ewalk2(kio_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, clientData in
                guard let entry, let clientData, let description = entry.pointee.desc else {
                    return 0
                }
                let message = String(cString: description).trimmingCharacters(in: .whitespacesAndNewlines)
                clientData.assumingMemoryBound(to: [String].self).pointee.append(message)
                return 0
            }, messagesPointer)
        }
        _ = H5Eclear2(kio_H5E_DEFAULT())
        return messages
    }
}
