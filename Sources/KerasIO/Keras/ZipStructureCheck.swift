import Foundation

/// Checks that every offset and size a zip archive's headers give lies
/// inside the archive, before ZIPFoundation reads it.
///
/// Why: ZIPFoundation 0.9.20 seeks wherever a header says. On a file that
/// is harmless (a short read), but on an archive held in memory its seek
/// accepts offsets past the end and its next read traps on a negative
/// range (found by fuzzing `KerasModel.load(image:)`): a hostile `.keras`
/// image could take the host process down. The checks are the zip format's
/// own (APPNOTE 4.3): the end record in the last 65,557 bytes, the central
/// directory inside the archive, each entry's local header and data inside
/// the archive. Zip64 records are refused: no Keras archive needs them.
enum ZipStructureCheck {
    struct Damaged: Error {
        let reason: String
    }

    static func verify(_ bytes: UnsafeRawBufferPointer) throws {
        let count = bytes.count
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at + 2 <= count else { throw Damaged(reason: "a zip header runs past the end of the archive") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int {
            try u16(at) | (try u16(at + 2)) << 16
        }

        // The end of central directory record: 22 bytes and a comment of
        // up to 65,535, so it starts in the last 65,557 bytes.
        var end: Int?
        var at = count - 22
        while at >= max(0, count - 65_557) {
            if try u32(at) == 0x0605_4B50 {
                end = at
                break
            }
            at -= 1
        }
        guard let end else { throw Damaged(reason: "no end of central directory record (truncated or not a zip archive)") }
        let entries = try u16(end + 10)
        let directorySize = try u32(end + 12)
        let directoryOffset = try u32(end + 16)
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw Damaged(reason: "it uses zip64 records, which no Keras archive needs")
        }
        guard directoryOffset + directorySize <= end else {
            throw Damaged(reason: "the central directory lies outside the archive")
        }
        var position = directoryOffset
        for _ in 0..<entries {
            guard try u32(position) == 0x0201_4B50 else {
                throw Damaged(reason: "a central directory entry is damaged")
            }
            let compressedSize = try u32(position + 20)
            let uncompressedSize = try u32(position + 24)
            let nameLength = try u16(position + 28)
            let extraLength = try u16(position + 30)
            let commentLength = try u16(position + 32)
            let localOffset = try u32(position + 42)
            if compressedSize == 0xFFFF_FFFF || uncompressedSize == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                throw Damaged(reason: "it uses zip64 records, which no Keras archive needs")
            }
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directoryOffset + directorySize else {
                throw Damaged(reason: "a central directory entry runs past the directory")
            }
            // The local header, its name and extra field, then the data.
            guard try u32(localOffset) == 0x0403_4B50 else {
                throw Damaged(reason: "an entry's local header is missing or damaged")
            }
            let dataStart = localOffset + 30 + (try u16(localOffset + 26)) + (try u16(localOffset + 28))
            guard dataStart + compressedSize <= count else {
                throw Damaged(reason: "an entry's data runs past the end of the archive")
            }
            position = next
        }
    }
}
