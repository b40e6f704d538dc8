import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem reading or writing a file of arrays (`.npy`, `.csv`), or
/// replacing any file in place (`AtomicFileWriter`).
///
/// `problem` is one line of printable ASCII: any text it quotes from the
/// file goes through ``excerpt(_:limit:)`` first, so a hostile file can
/// neither drive the terminal with control bytes, nor break the line, nor
/// make the message long (issue 10).
public struct ArrayFileError: Error, LocalizedError, Sendable, Equatable {
    /// The path of the file, as given.
    public let file: String
    /// What is wrong, in one line, e.g. `"row 3, column 2: 'abc' is not a number"`.
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    /// `<file>: <problem>`. Control characters in the path (a file name may
    /// hold a newline) are escaped so that the message stays on one line;
    /// other characters of the path are kept as they are.
    public var errorDescription: String? { "\(Self.printablePath(file)): \(problem)" }
}

extension ArrayFileError {
    /// The longest excerpt of file-derived text a message quotes, in
    /// characters after escaping (plus `...` when cut).
    static let excerptLimit = 80

    /// `text`, from a file, made fit to quote in a one-line message:
    /// printable ASCII is kept; a backslash becomes `\\`; tab, line feed and
    /// carriage return become `\t`, `\n`, `\r`; any other character below
    /// U+0100 (control bytes, Latin-1 bytes of a `.npy` header) becomes
    /// `\xNN` and anything above `\u{NNNN}`. At most `limit` characters
    /// are kept, an escape is never cut, and `...` marks a cut.
    static func excerpt(_ text: some StringProtocol, limit: Int = excerptLimit) -> String {
        excerpt(scalars: text.unicodeScalars, limit: limit)
    }

    /// ``excerpt(_:limit:)`` of Unicode scalars.
    static func excerpt(scalars: some Sequence<Unicode.Scalar>, limit: Int = excerptLimit) -> String {
        var result = ""
        for scalar in scalars {
            let escaped = escape(scalar)
            guard result.utf8.count + escaped.utf8.count <= limit else {
                return result + "..."
            }
            result += escaped
        }
        return result
    }

    /// ``excerpt(_:limit:)`` of UTF-8 bytes (invalid sequences show as
    /// U+FFFD). Decodes only as much of `bytes` as the excerpt can show,
    /// so quoting a field of a hundred megabytes costs nothing.
    static func excerpt(utf8 bytes: UnsafeBufferPointer<UInt8>, limit: Int = excerptLimit) -> String {
        // Every scalar shows as at least one character, and takes at most
        // four bytes: 4·(limit + 1) bytes give more than `limit` characters.
        let prefix = UnsafeBufferPointer(rebasing: bytes.prefix(4 * (limit + 1)))
        let text = excerpt(String(decoding: prefix, as: UTF8.self), limit: limit)
        return prefix.count < bytes.count && !text.hasSuffix("...") ? text + "..." : text
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x5C: return "\\\\"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x20...0x7E: return String(scalar)
        case 0...0xFF:
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" : "") + hex
        default:
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    /// `path` with control and format characters (C0, DEL, C1, bidi
    /// overrides, line separators) escaped; letters of any script kept.
    static func printablePath(_ path: String) -> String {
        var result = ""
        for scalar in path.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                result += escape(scalar)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

extension ArrayFileError {
    /// The bytes of the file at `path`, or an error saying why there are none.
    ///
    /// Reads with `open`/`read` straight into one buffer of the file's size
    /// (no intermediate copies), so a file costs its size in memory once.
    /// A pipe is read in chunks; a device (`/dev/zero`) is refused.
    static func contents(of path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArrayFileError(file: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ArrayFileError(file: path, problem: "is a directory, not a file")
        }
        let descriptor = FileManager.default.isReadableFile(atPath: path) ? open(path, O_RDONLY) : -1
        guard descriptor >= 0 else {
            throw ArrayFileError(file: path, problem: "permission denied: the file is not readable")
        }
        defer { close(descriptor) }
        func readError() -> ArrayFileError {
            ArrayFileError(file: path, problem: "cannot read: " + String(cString: strerror(errno)))
        }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw readError() }
        let type = status.st_mode & S_IFMT
        // /dev/zero or /dev/urandom would be read until memory runs out.
        guard type != S_IFCHR && type != S_IFBLK else {
            throw ArrayFileError(file: path, problem: "is a device, not a file")
        }
        let expected = type == S_IFREG ? Int(status.st_size) : 0
        // One byte more than the size, so that reaching the end of the file
        // is seen without a second buffer when the size was right.
        var capacity = max(expected + 1, 64 * 1024)
        guard var buffer = malloc(capacity) else {
            throw ArrayFileError(file: path, problem: "not enough memory to read the file (\(expected) bytes)")
        }
        var count = 0
        while true {
            if count == capacity {
                // The file grew while being read, or is not a regular file.
                let (doubled, overflow) = capacity.multipliedReportingOverflow(by: 2)
                guard !overflow, let grown = realloc(buffer, doubled) else {
                    free(buffer)
                    throw ArrayFileError(file: path, problem: "not enough memory to read the file")
                }
                buffer = grown
                capacity = doubled
            }
            let got = read(descriptor, buffer + count, capacity - count)
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else {
                let error = readError()
                free(buffer)
                throw error
            }
            if got == 0 { break }
            count += got
        }
        return Data(bytesNoCopy: buffer, count: count, deallocator: .free)
    }
}
