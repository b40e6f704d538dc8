import CHDF5
import Foundation

/// The bytes of an open HDF5 file, read directly rather than through
/// libhdf5, so that structures libhdf5 would trust can be checked first.
///
/// Debian's libhdf5 (1.10.8) decodes some on-disk structures without
/// bounds checks: a damaged attribute message or global heap makes it read
/// out of bounds, loop forever or allocate gigabytes (see
/// ``HDF5AttributeCheck``). kerasio parses those few structures itself,
/// strictly, and refuses the file before libhdf5 sees anything suspicious.
///
/// Reads come from the descriptor libhdf5 holds (files on disk) or from the
/// core driver's memory image (files from `.keras` archives), under the
/// HDF5 lock, so they see exactly the bytes libhdf5 would.
struct HDF5RawFile {
    private let raw: kio_raw_file
    /// The file's size in bytes.
    let size: UInt64
    /// Where the superblock is; every address in the file counts from here.
    let base: UInt64
    /// Widths of addresses ("offsets") and lengths, from the superblock.
    let offsetSize: Int
    let lengthSize: Int

    /// The raw view of the file holding `objectID`, or nil if the file uses
    /// a driver kerasio does not open files with. Call with the lock held.
    init?(fileOf objectID: hid_t) {
        var raw = kio_raw_file()
        guard kio_raw_file_of(objectID, &raw) == 0 else {
            _ = HDF5Library.takeErrorStack()
            return nil
        }
        self.raw = raw
        size = raw.size
        offsetSize = Int(raw.sizeof_addr)
        lengthSize = Int(raw.sizeof_size)
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else { return nil }
        // The superblock is at 0 or, after a user block, at 512, 1024, 2048, ...
        var offset: UInt64 = 0
        var found: UInt64?
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        while offset + 8 <= raw.size {
            if Self.read(raw, at: offset, count: 8) == signature {
                found = offset
                break
            }
            offset = offset == 0 ? 512 : offset * 2
        }
        guard let found else { return nil }
        base = found
    }

    /// `count` bytes at file address `address` (relative to the superblock),
    /// or nil if any of them lies outside the file.
    func bytes(at address: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        let (start, overflow) = base.addingReportingOverflow(address)
        guard !overflow, start <= size, UInt64(count) <= size - start else { return nil }
        return Self.read(raw, at: start, count: count)
    }

    private static func read(_ raw: kio_raw_file, at offset: UInt64, count: Int) -> [UInt8]? {
        guard count > 0 else { return [] }
        if let memory = raw.memory {
            return Array(UnsafeBufferPointer(start: memory + Int(offset), count: count))
        }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = buffer.withUnsafeMutableBytes { pointer in
                pread(raw.fd, pointer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got <= 0 { return nil }
            done += got
        }
        return buffer
    }
}

/// A little-endian reader over bytes taken from a file; every read is
/// bounds-checked and a short read throws.
struct ByteCursor {
    struct OutOfBounds: Error {}

    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else { throw OutOfBounds() }
        position += count
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw OutOfBounds() }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// An unsigned little-endian integer of `width` bytes (1 to 8).
    mutating func unsigned(_ width: Int) throws -> UInt64 {
        try take(width).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func byte() throws -> UInt8 { UInt8(try unsigned(1)) }
}
