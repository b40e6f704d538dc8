import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written piece by piece through
/// ``AtomicFileWriter/stream(to:_:)``: what is written goes, through a
/// buffer of bounded size, to the temporary file that replaces the
/// destination only once all of it is written.
public final class StreamingFile {
    /// The destination, as given; for messages.
    public let path: String
    /// Bytes written so far, the buffer included.
    public private(set) var byteCount = 0

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// Written out once the buffer holds this many bytes.
    static let bufferSize = 1 << 20

    fileprivate init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(Self.bufferSize)
    }

    /// Appends `bytes`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Appends the UTF-8 of `text`.
    public func write(_ text: String) throws {
        try write(text.utf8)
    }

    /// Appends `values` as little-endian float32.
    public func write(littleEndianFloats values: some Collection<Float>) throws {
        var bytes = [UInt8](repeating: 0, count: 4 * values.count)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * index, as: UInt32.self)
            }
        }
        try write(bytes)
    }

    /// Writes the buffer out.
    fileprivate func flush() throws {
        try buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw ArrayFileError(file: path, problem: "cannot write: " + String(cString: strerror(errno)))
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, bytes, count)
    #else
    return Darwin.write(descriptor, bytes, count)
    #endif
}

extension AtomicFileWriter {
    /// Writes the file at `path` piece by piece, atomically: `body` writes
    /// to a ``StreamingFile`` backed by a temporary file in the same
    /// directory, which is flushed to disk and renamed over `path` once
    /// `body` returns. If `body` throws (or a write fails), the temporary
    /// file is removed, the error passed on, and an existing file at `path`
    /// is left untouched.
    public static func stream(to path: String, _ body: (StreamingFile) throws -> Void) throws {
        try write(to: path) { temporaryPath in
            let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o666)
            guard descriptor >= 0 else {
                throw ArrayFileError(file: path, problem: "cannot write: " + String(cString: strerror(errno)))
            }
            defer { close(descriptor) }
            let file = StreamingFile(descriptor: descriptor, path: path)
            try body(file)
            try file.flush()
        }
    }
}

/// A `.npy` file written a piece at a time: the header first, for a shape
/// known in advance, then the values in row-major order as they come.
/// Byte for byte what ``NumpyArrayFile/write(_:to:)`` writes for the whole
/// array.
public final class NumpyStreamWriter {
    /// The shape declared in the header.
    public let shape: [Int]
    /// The values the shape holds.
    public let count: Int
    /// Values appended so far.
    public private(set) var written = 0
    private let file: StreamingFile

    private init(shape: [Int], count: Int, file: StreamingFile) throws {
        self.shape = shape
        self.count = count
        self.file = file
        try file.write(NumpyArrayFile.headerBytes(shape: shape))
    }

    /// Writes a version 1.0, `'<f4'`, C-order `.npy` file of `shape` to
    /// `path` atomically (``AtomicFileWriter/stream(to:_:)``); `body`
    /// appends the values.
    ///
    /// - Throws: ``ArrayFileError`` naming `path` if the shape is invalid,
    ///   `body` appended more or fewer values than it holds, or the file
    ///   cannot be written; or what `body` throws. Nothing is left at
    ///   `path` then (an existing file stays as it was).
    public static func write(shape: [Int], to path: String, _ body: (NumpyStreamWriter) throws -> Void) throws {
        let count = try NumpyArrayFile.elementCount(shape) { ArrayFileError(file: path, problem: "cannot write: " + $0) }
        try AtomicFileWriter.stream(to: path) { file in
            let writer = try NumpyStreamWriter(shape: shape, count: count, file: file)
            try body(writer)
            guard writer.written == count else {
                throw ArrayFileError(
                    file: path,
                    problem: "cannot write: shape \(NumpyArrayFile.quotedShape(shape)) holds \(count) values, \(writer.written) were written")
            }
        }
    }

    /// Appends `values`, the next ones in row-major order.
    public func append(_ values: some Collection<Float>) throws {
        guard values.count <= count - written else {
            throw ArrayFileError(
                file: file.path,
                problem: "cannot write: shape \(NumpyArrayFile.quotedShape(shape)) holds \(count) values, more were given")
        }
        try file.write(littleEndianFloats: values)
        written += values.count
    }
}

extension CSVArrayFile {
    /// `rows` rows of `values` (row-major, `values.count / rows` per row) as
    /// ``format(_:)`` writes them: one line per row, `%.9g`, commas.
    /// Formatting a table in pieces of whole rows and joining the pieces
    /// gives ``format(_:)`` of the whole table.
    public static func format(values: some Collection<Float>, rows: Int) -> String {
        guard rows > 0 else { return "" }
        let columns = values.count / rows
        precondition(columns * rows == values.count, "format: the values do not fill the rows")
        var text = ""
        var column = 0
        for value in values {
            if column > 0 { text += "," }
            text += formatValue(value)
            column += 1
            if column == columns {
                text += "\n"
                column = 0
            }
        }
        if columns == 0 { text = String(repeating: "\n", count: rows) }
        return text
    }
}
