import Foundation
import KerasIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The command line runs its work in a child process of itself and watches
/// it, so that a fault inside a C library still ends in one `error:` line.
///
/// Why a child: kerasio checks everything it can before libhdf5 reads
/// (see `HDF5AttributeCheck`), but libhdf5 1.10.8 parses far more of a
/// file than kerasio can re-check, and a crash inside C code cannot be
/// caught in-process. The parent does no file work at all: it starts the
/// child with the same arguments, passes stdin and stdout straight
/// through, relays the child's stderr, and when the child dies of a signal
/// it replaces whatever the dying process printed with one line naming the
/// file being read. The child also runs under a memory limit
/// (`RLIMIT_DATA`), so a file that talks a library into allocating
/// gigabytes fails an allocation instead of exhausting the machine.
///
/// Environment:
/// - `KERASIO_SUPERVISE=0` runs in one process, unsupervised (debugging).
/// - `KERASIO_MEMORY_LIMIT_MB` sets the child's data limit (default 4096;
///   0 for none).
enum Supervisor {
    static let roleVariable = "KERASIO_SUPERVISED"
    static let statusFDVariable = "KERASIO_STATUS_FD"
    static let statusFD: Int32 = 3

    static var isChild: Bool { ProcessInfo.processInfo.environment[roleVariable] == "child" }

    static var shouldSupervise: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment[roleVariable] == nil && environment["KERASIO_SUPERVISE"] != "0"
    }

    /// Tells the parent which file the child is about to read.
    static func reading(_ path: String) {
        guard isChild else { return }
        let line = Array(PrintableText.oneLine(path, limit: 300).utf8) + [0x0A]
        _ = line.withUnsafeBytes { write(statusFD, $0.baseAddress, $0.count) }
        injectFaultForTests()
    }

    /// `KERASIO_TEST_FAULT` makes the child fail as a C library can once it
    /// has named its file, so tests can see the parent's handling of a real
    /// crash: `segv` (a wild read), `abort` (glibc's last words, then
    /// SIGABRT), `oom` (an allocation past the memory limit).
    private static func injectFaultForTests() {
        switch ProcessInfo.processInfo.environment["KERASIO_TEST_FAULT"] {
        case "segv":
            raise(SIGSEGV)
        case "abort":
            FileHandle.standardError.write(Data("malloc(): corrupted top size\n".utf8))
            abort()
        case "oom":
            let size = 8 << 30
            guard let block = malloc(size) else {
                FileHandle.standardError.write(Data("error: out of memory: an allocation of 8 GiB was refused\n".utf8))
                exit(1)
            }
            memset(block, 1, size)
            free(block)
        default:
            break
        }
    }

    /// In the child: ends with the parent, and runs under the memory limit.
    static func configureChild() {
        // If the parent is killed (SIGKILL from a time limit), the child
        // must not go on alone: it is re-parented, and notices within 0.5 s.
        let parent = getppid()
        let orphanWatch = Thread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 0.5) }
            exit(1)
        }
        orphanWatch.start()
        let text = ProcessInfo.processInfo.environment["KERASIO_MEMORY_LIMIT_MB"] ?? "4096"
        guard let megabytes = UInt64(text), megabytes > 0 else { return }
        #if os(Linux)
        var limit = rlimit(rlim_cur: rlim_t(megabytes << 20), rlim_max: rlim_t(megabytes << 20))
        _ = setrlimit(Int32(RLIMIT_DATA.rawValue), &limit)
        #endif
    }

    /// In the parent: runs the child to the end and exits as it did. Returns
    /// only if no child could be started; the work then runs in-process.
    static func superviseChild() {
        var stderrPipe: [Int32] = [0, 0]
        var statusPipe: [Int32] = [0, 0]
        guard pipe(&stderrPipe) == 0, pipe(&statusPipe) == 0 else { return }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        posix_spawn_file_actions_adddup2(&actions, statusPipe[1], statusFD)
        for descriptor in [stderrPipe[0], stderrPipe[1], statusPipe[0], statusPipe[1]] where descriptor > statusFD {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        var environment = ProcessInfo.processInfo.environment
        environment[roleVariable] = "child"
        environment[statusFDVariable] = String(statusFD)
        // No crash reports from the child's runtime: the parent says it once.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["LIBC_FATAL_STDERR_"] = "1"
        let executable = executablePath()
        let arguments = [executable] + CommandLine.arguments.dropFirst()
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(stderrPipe[1])
        close(statusPipe[1])
        guard spawned == 0 else {
            close(stderrPipe[0])
            close(statusPipe[0])
            return
        }
        forwardTerminationSignals(to: child)

        var relay = StderrRelay()
        var currentFile: String?
        var statusBuffer: [UInt8] = []
        var open: [Int32] = [stderrPipe[0], statusPipe[0]]
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in descriptors where entry.revents != 0 {
                let got = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if got <= 0 {
                    if got < 0 && errno == EINTR { continue }
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                let bytes = chunk[0..<got]
                if entry.fd == stderrPipe[0] {
                    relay.receive(bytes)
                } else {
                    statusBuffer += bytes
                    while let end = statusBuffer.firstIndex(of: 0x0A) {
                        currentFile = String(decoding: statusBuffer[..<end], as: UTF8.self)
                        statusBuffer.removeSubrange(...end)
                    }
                    if statusBuffer.count > 4096 { statusBuffer.removeAll() }
                }
            }
        }

        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        if signal == 0 {
            relay.flush()
            exit((status >> 8) & 0xFF)
        }
        // Interrupted or terminated on purpose: quiet, as a shell expects.
        if [SIGINT, SIGTERM, SIGHUP, SIGPIPE].contains(signal) {
            relay.flush()
            exit(128 + signal)
        }
        let what = currentFile.map { "\($0): " } ?? ""
        let cause = signal == SIGKILL
            ? "kerasio was killed (out of memory?)"
            : "kerasio crashed (\(signalName(signal))) reading it, inside the HDF5 library or kerasio"
        let line = "error: \(what)\(cause); the file is damaged or not what it claims to be\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(1)
    }

    private static func executablePath() -> String {
        #if os(Linux)
        return "/proc/self/exe"
        #else
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
        #endif
    }

    nonisolated(unsafe) private static var childPID: pid_t = 0

    /// SIGTERM and SIGHUP sent to the parent alone (by a supervisor of our
    /// own, or `timeout`) reach the child too; SIGINT from a terminal
    /// reaches both through the process group, so the parent only waits.
    private static func forwardTerminationSignals(to child: pid_t) {
        childPID = child
        signal(SIGINT, SIG_IGN)
        for name in [SIGTERM, SIGHUP] {
            signal(name) { received in
                kill(Supervisor.childPID, received)
            }
        }
    }

    private static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGTRAP: return "SIGTRAP"
        default: return "signal \(number)"
        }
    }
}

/// Relays the child's stderr. Progress lines (`fit`, `train`) go through at
/// once; anything else is held until the child ends: shown if it exited,
/// dropped if it crashed, since a dying process's last words (a glibc
/// "malloc(): corrupted" line, a runtime trap message) are not for users.
/// What is held is bounded.
struct StderrRelay {
    private var pending: [UInt8] = []
    private var held: [UInt8] = []
    static let mostHeld = 1 << 20

    mutating func receive(_ bytes: ArraySlice<UInt8>) {
        pending += bytes
        while let end = pending.firstIndex(of: 0x0A) {
            let line = Array(pending[...end])
            pending.removeSubrange(...end)
            if Self.isProgress(line) {
                FileHandle.standardError.write(Data(line))
            } else if held.count + line.count <= Self.mostHeld {
                held += line
            }
        }
        if pending.count > Self.mostHeld { pending.removeAll() }
    }

    mutating func flush() {
        held += pending
        pending.removeAll()
        if !held.isEmpty { FileHandle.standardError.write(Data(held)) }
        held.removeAll()
    }

    /// Keras's progress format, as `fit` prints it: `Epoch 3/20` and
    /// `187/187 ━━━━ ... loss: ...`.
    static func isProgress(_ line: [UInt8]) -> Bool {
        let text = String(decoding: line.prefix(16), as: UTF8.self)
        if text.hasPrefix("Epoch ") { return true }
        guard let first = text.first, first.isNumber else { return false }
        return text.contains("/")
    }
}
