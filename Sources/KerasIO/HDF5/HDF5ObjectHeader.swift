/// The messages of one object header, walked by kerasio itself (HDF5 file
/// format specification, section IV.A), so that attribute messages can be
/// checked before libhdf5 decodes them (``HDF5AttributeCheck``).
///
/// Both header versions are read: version 1 (what h5py writes by default,
/// and Keras's files) and version 2 (`OHDR`, files written with newer
/// format settings), with their continuation chunks. Every length is
/// checked against the chunk it lies in; a chunk visited twice, a chunk
/// outside the file or more than ``mostChunks`` chunks end the walk with
/// an error.
struct HDF5ObjectHeader {
    struct Message {
        let type: UInt16
        let flags: UInt8
        let body: [UInt8]
    }

    struct Damaged: Error {
        let reason: String
    }

    static let attributeType: UInt16 = 0x000C
    static let continuationType: UInt16 = 0x0010
    static let symbolTableType: UInt16 = 0x0011
    static let attributeInfoType: UInt16 = 0x0015
    /// Real headers have a handful of chunks; a loop of continuations in a
    /// damaged file must not run forever.
    static let mostChunks = 4_096
    /// A chunk larger than this is damage, not data: attributes over 64 KB
    /// live in the global heap or dense storage, never in a chunk.
    static let largestChunk: UInt64 = 64 << 20

    let messages: [Message]

    /// Reads the header at `address` in `file`.
    init(at address: UInt64, in file: HDF5RawFile) throws {
        guard let signature = file.bytes(at: address, count: 4) else {
            throw Damaged(reason: "an object header lies outside the file")
        }
        var messages: [Message] = []
        var pending: [(address: UInt64, length: UInt64)] = []
        var visited: Set<UInt64> = [address]
        let isVersion2 = signature == Array("OHDR".utf8)
        var creationOrderTracked = false

        func chunk(_ address: UInt64, _ length: UInt64) throws -> [UInt8] {
            guard length <= Self.largestChunk, let bytes = file.bytes(at: address, count: Int(length)) else {
                throw Damaged(reason: "an object header chunk lies outside the file")
            }
            return bytes
        }
        func readMessages(_ bytes: [UInt8], from start: Int, to end: Int) throws {
            var cursor = ByteCursor(Array(bytes[start..<end]))
            let headerSize = isVersion2 ? (creationOrderTracked ? 6 : 4) : 8
            while cursor.remaining >= headerSize {
                let type: UInt16
                let size: Int
                let flags: UInt8
                if isVersion2 {
                    type = UInt16(try cursor.byte())
                    size = Int(try cursor.unsigned(2))
                    flags = try cursor.byte()
                    if creationOrderTracked { try cursor.skip(2) }
                } else {
                    type = UInt16(try cursor.unsigned(2))
                    size = Int(try cursor.unsigned(2))
                    flags = try cursor.byte()
                    try cursor.skip(3)
                }
                guard size <= cursor.remaining else {
                    throw Damaged(reason: "an object header message runs past its chunk")
                }
                let body = Array(try cursor.take(size))
                if type == Self.continuationType {
                    var continuation = ByteCursor(body)
                    do {
                        let next = try continuation.unsigned(file.offsetSize)
                        let length = try continuation.unsigned(file.lengthSize)
                        guard visited.insert(next).inserted else {
                            throw Damaged(reason: "object header continuations form a loop")
                        }
                        pending.append((next, length))
                    } catch is ByteCursor.OutOfBounds {
                        throw Damaged(reason: "an object header continuation message is truncated")
                    }
                }
                messages.append(Message(type: type, flags: flags, body: body))
            }
        }

        do {
            if isVersion2 {
                guard let head = file.bytes(at: address, count: 6) else {
                    throw Damaged(reason: "an object header is truncated")
                }
                guard head[4] == 2 else { throw Damaged(reason: "an object header has an unknown version") }
                let flags = head[5]
                creationOrderTracked = flags & 0x04 != 0
                let optional = (flags & 0x20 != 0 ? 16 : 0) + (flags & 0x10 != 0 ? 4 : 0)
                guard let prefix = file.bytes(at: address, count: 6 + optional + (1 << Int(flags & 0x03))) else {
                    throw Damaged(reason: "an object header is truncated")
                }
                var cursor = ByteCursor(prefix, position: 6 + optional)
                let sizeWidth = 1 << Int(flags & 0x03)
                let chunkSize = try cursor.unsigned(sizeWidth)
                let start = cursor.position
                let bytes = try chunk(address, UInt64(start) + chunkSize)
                try readMessages(bytes, from: start, to: bytes.count)
            } else {
                guard let prefix = file.bytes(at: address, count: 16) else {
                    throw Damaged(reason: "an object header is truncated")
                }
                var cursor = ByteCursor(prefix)
                guard try cursor.byte() == 1 else { throw Damaged(reason: "an object header has an unknown version") }
                try cursor.skip(7)
                let chunkSize = try cursor.unsigned(4)
                let bytes = try chunk(address, 16 + chunkSize)
                try readMessages(bytes, from: 16, to: bytes.count)
            }
            var chunks = 1
            while !pending.isEmpty {
                let (next, length) = pending.removeFirst()
                chunks += 1
                guard chunks <= Self.mostChunks else { throw Damaged(reason: "an object header has too many chunks") }
                let bytes = try chunk(next, length)
                if isVersion2 {
                    guard bytes.count >= 8, Array(bytes.prefix(4)) == Array("OCHK".utf8) else {
                        throw Damaged(reason: "an object header continuation chunk has no OCHK signature")
                    }
                    try readMessages(bytes, from: 4, to: bytes.count - 4)
                } else {
                    try readMessages(bytes, from: 0, to: bytes.count)
                }
            }
        } catch is ByteCursor.OutOfBounds {
            throw Damaged(reason: "an object header is truncated")
        }
        self.messages = messages
    }
}
