import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a `.npy` file piece by piece: the header when opened, then any
/// range of elements on demand, so that memory follows the pieces asked
/// for, not the file.
///
/// Opening checks exactly what ``NumpyArrayFile/read(from:)`` checks, with
/// the same messages: the magic string, version, header (at most 10,000
/// bytes), dtype, and that the file holds exactly the bytes the shape
/// declares (from its size, before any data is read), so a header
/// claiming 10¹⁵ elements fails at once and allocates nothing. Elements are
/// converted to `Float` as ``NumpyArrayFile`` converts them, so reading a
/// file in pieces gives the values of reading it whole.
///
/// Pieces are ranges of elements in file order, which is row-major (C)
/// order unless ``isFortranOrder``: in Fortran order a sample is not
/// contiguous, and callers read such a file whole instead.
///
/// A file that shrinks while it is read gives an ``ArrayFileError``
/// naming it (`"truncated data: ..."`), never a short piece.
public final class NumpyChunkReader {
    /// The path, as given; only for messages.
    public let path: String
    /// The shape the header declares.
    public var shape: [Int] { layout.header.shape }
    /// True when the data is in Fortran (column-major) order.
    public var isFortranOrder: Bool { layout.header.isFortranOrder }
    /// The number of elements (the product of ``shape``).
    public var count: Int { layout.count }

    private let layout: NumpyArrayFile.Layout
    private let source: Source
    /// The most bytes of the file read into memory at a time (tests make
    /// it small).
    let pieceBytes: Int
    static let defaultPieceBytes = 1 << 20

    /// Where the bytes come from: an open file, or bytes in memory (tests,
    /// the fuzzer).
    private enum Source {
        case file(Int32)
        case memory(Data)
    }

    /// Opens the `.npy` file at `path` and checks its header against its
    /// size. Returns nil for something that is not a regular file (a pipe:
    /// its size is not known in advance), which callers read whole.
    ///
    /// - Throws: ``ArrayFileError`` naming `path`, as
    ///   ``NumpyArrayFile/read(from:)`` would.
    public static func open(_ path: String) throws -> NumpyChunkReader? {
        try open(path, pieceBytes: defaultPieceBytes)
    }

    static func open(_ path: String, pieceBytes: Int) throws -> NumpyChunkReader? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArrayFileError(file: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ArrayFileError(file: path, problem: "is a directory, not a file")
        }
        let descriptor = FileManager.default.isReadableFile(atPath: path) ? openForReading(path) : -1
        guard descriptor >= 0 else {
            throw ArrayFileError(file: path, problem: "permission denied: the file is not readable")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = ArrayFileError(file: path, problem: "cannot read: " + String(cString: strerror(errno)))
            close(descriptor)
            throw error
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return nil
        }
        do {
            return try NumpyChunkReader(
                path: path, source: .file(descriptor), size: Int(status.st_size), pieceBytes: pieceBytes)
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// A reader over the bytes of a whole `.npy` file held in memory;
    /// `path` is only for messages.
    public convenience init(data: Data, path: String) throws {
        try self.init(path: path, source: .memory(data), size: data.count, pieceBytes: Self.defaultPieceBytes)
    }

    private init(path: String, source: Source, size: Int, pieceBytes: Int) throws {
        self.path = path
        self.source = source
        self.pieceBytes = pieceBytes
        // The header is read first and alone: at most its longest allowed
        // length, whatever the file declares.
        let headLength = min(size, NumpyArrayFile.maxPreambleAndHeader)
        var head = [UInt8](repeating: 0, count: headLength)
        let got = try head.withUnsafeMutableBytes { try Self.read(source, path: path, at: 0, into: $0) }
        guard got == headLength else {
            throw ArrayFileError(file: path, problem: "truncated .npy file: the file was cut short while being read")
        }
        layout = try head.withUnsafeBytes { try NumpyArrayFile.layout(of: $0, fileSize: size, path: path) }
    }

    deinit {
        if case .file(let descriptor) = source { close(descriptor) }
    }

    /// The elements `range` (in file order), converted to `Float`.
    ///
    /// The caller bounds the range: it costs `range.count` Floats plus
    /// the same number of the file's elements.
    public func read(elements range: Range<Int>) throws -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "read: elements out of range")
        let dtype = layout.header.dtype
        let byteCount = range.count * dtype.size
        guard byteCount > 0 else { return [] }
        if case .memory(let data) = source {
            // No copy: decode straight from the bytes.
            return try data.withUnsafeBytes { bytes in
                let start = layout.dataStart + range.lowerBound * dtype.size
                guard start + byteCount <= bytes.count else { throw cutShort() }
                return dtype.decode(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<(start + byteCount)]),
                    count: range.count, columnMajorShape: nil)
            }
        }
        // The file's bytes go through a buffer of at most `pieceBytes`, so
        // a chunk costs its Floats and little more.
        let perPiece = max(1, pieceBytes / dtype.size)
        let raw = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(range.count, perPiece) * dtype.size, alignment: 16)
        defer { raw.deallocate() }
        var values: [Float] = []
        values.reserveCapacity(range.count)
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(perPiece, range.upperBound - start)
            let piece = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(count * dtype.size)])
            let got = try Self.read(source, path: path, at: layout.dataStart + start * dtype.size, into: piece)
            guard got == piece.count else { throw cutShort() }
            values += dtype.decode(UnsafeRawBufferPointer(piece), count: count, columnMajorShape: nil)
            start += count
        }
        return values
    }

    /// Rows `range` along the first axis (for a shape `(n, …)`): elements
    /// `range.lowerBound · rowLength ..< range.upperBound · rowLength`.
    public func read(rows range: Range<Int>) throws -> [Float] {
        let rowLength = shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *)
        return try read(elements: (range.lowerBound * rowLength)..<(range.upperBound * rowLength))
    }

    private func cutShort() -> ArrayFileError {
        ArrayFileError(file: path, problem: "truncated data: the file was cut short while being read")
    }

    /// Fills `buffer` from `offset` on; returns the bytes read, fewer only
    /// at the end of the file.
    private static func read(_ source: Source, path: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        switch source {
        case .memory(let data):
            let available = max(0, min(buffer.count, data.count - offset))
            if available > 0 {
                data.withUnsafeBytes { bytes in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + available)]))
                }
            }
            return available
        case .file(let descriptor):
            var done = 0
            while done < buffer.count {
                let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else {
                    throw ArrayFileError(file: path, problem: "cannot read: " + String(cString: strerror(errno)))
                }
                if got == 0 { break }
                done += got
            }
            return done
        }
    }
}

private func openForReading(_ path: String) -> Int32 {
    open(path, O_RDONLY)
}
