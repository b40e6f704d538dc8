import CHDF5

/// Checks every attribute message of an object, and every global heap
/// object its variable-length strings point to, before libhdf5 decodes
/// them.
///
/// Why: Debian's libhdf5 1.10.8 trusts these structures. Found by mutating
/// Keras files (issue 10):
/// - an attribute message whose sizes disagree with its contents makes
///   libhdf5 copy past the message or allocate gigabytes;
/// - a variable-length string whose global heap reference is damaged makes
///   `H5Aread` read out of bounds (heap corruption, SIGSEGV): libhdf5 copies
///   the heap object's declared size into a buffer sized by the string's
///   declared length, and indexes the heap's object table unchecked;
/// - a global heap collection with a zero-sized free-space object makes
///   libhdf5's parser loop forever (`H5HG__cache_heap_deserialize`), and one
///   that declares gigabytes makes it allocate them.
/// The rules below are those of the HDF5 format specification, applied
/// strictly; every Keras file passes them, and a file that fails is damaged.
///
/// Attributes kept in dense storage (a fractal heap, used only past eight
/// attributes with the newest format settings, never by Keras) are not
/// reached by this walk; libhdf5 reads those as it is.
enum HDF5AttributeCheck {
    /// Checks the attributes of `objectID`. Call with the lock held.
    ///
    /// - Throws: ``HDF5Error`` (via `location`) naming what is damaged.
    static func verify(_ objectID: hid_t, location: HDF5Location, operation: String) throws {
        guard location.checksStructure, let file = HDF5RawFile(fileOf: objectID) else { return }
        var address: UInt64 = 0
        guard kio_object_address(objectID, &address) == 0 else { throw location.failure(operation) }
        do {
            let header = try HDF5ObjectHeader(at: address, in: file)
            var heaps = GlobalHeapCache()
            for message in header.messages where message.type == HDF5ObjectHeader.symbolTableType {
                try SymbolTableCheck.verify(message.body, in: file)
            }
            for message in header.messages where message.type == HDF5ObjectHeader.attributeType {
                guard message.flags & 0x02 == 0 else {
                    throw HDF5ObjectHeader.Damaged(reason: "an attribute is stored as a shared message, which Keras files never use")
                }
                let attribute = try AttributeMessage(message.body, file: file)
                for reference in attribute.heapReferences {
                    try heaps.verify(reference, in: file, attribute: attribute.name)
                }
            }
        } catch let damage as HDF5ObjectHeader.Damaged {
            throw location.problem(operation, "the file is damaged: \(damage.reason)")
        }
    }
}

/// One attribute message (specification IV.A.2.m), decoded only as far as
/// the checks need: its name, its element type and count, and that its data
/// fits inside the message.
struct AttributeMessage {
    let name: String
    /// For variable-length strings: each element's heap reference.
    var heapReferences: [GlobalHeapReference] = []

    typealias Damaged = HDF5ObjectHeader.Damaged

    init(_ body: [UInt8], file: HDF5RawFile) throws {
        var cursor = ByteCursor(body)
        do {
            let version = try cursor.byte()
            guard (1...3).contains(version) else { throw Damaged(reason: "an attribute message has unknown version \(version)") }
            let flags = try cursor.byte()
            guard version == 1 || flags == 0 else {
                throw Damaged(reason: "an attribute has a shared datatype or dataspace, which Keras files never use")
            }
            let nameSize = Int(try cursor.unsigned(2))
            let datatypeSize = Int(try cursor.unsigned(2))
            let dataspaceSize = Int(try cursor.unsigned(2))
            if version == 3 { try cursor.skip(1) }
            func padded(_ size: Int) -> Int { version == 1 ? (size + 7) / 8 * 8 : size }

            let nameBytes = try cursor.take(nameSize)
            // libhdf5 copies the name with strdup: it must end in its only NUL.
            guard nameSize >= 1, nameBytes.last == 0, nameBytes.dropLast().firstIndex(of: 0) == nil else {
                throw Damaged(reason: "an attribute's name does not match its recorded length")
            }
            name = String(decoding: nameBytes.dropLast(), as: UTF8.self)
            try cursor.skip(padded(nameSize) - nameSize)

            let datatype = try AttributeDatatype(Array(try cursor.take(datatypeSize)), file: file, depth: 0)
            try cursor.skip(padded(datatypeSize) - datatypeSize)
            let count = try Self.elementCount(Array(try cursor.take(dataspaceSize)), file: file)
            try cursor.skip(padded(dataspaceSize) - dataspaceSize)

            let (dataSize, overflow) = count.multipliedReportingOverflow(by: datatype.elementSize)
            guard !overflow, dataSize <= cursor.remaining else {
                throw Damaged(reason: "attribute \(Quoted(name)) declares more data than its message holds")
            }
            if datatype.isVariableLength {
                var data = ByteCursor(Array(try cursor.take(dataSize)))
                heapReferences.reserveCapacity(count)
                for _ in 0..<count {
                    heapReferences.append(GlobalHeapReference(
                        length: try data.unsigned(4),
                        collection: try data.unsigned(file.offsetSize),
                        index: try data.unsigned(4)))
                }
            }
        } catch is ByteCursor.OutOfBounds {
            throw Damaged(reason: "an attribute message is truncated")
        }
    }

    /// The number of elements a dataspace message describes (IV.A.2.b).
    static func elementCount(_ body: [UInt8], file: HDF5RawFile) throws -> Int {
        var cursor = ByteCursor(body)
        let version = try cursor.byte()
        let rank = Int(try cursor.byte())
        try cursor.skip(1)  // flags
        var isNull = false
        var isScalar = false
        switch version {
        case 1:
            try cursor.skip(5)
            isScalar = rank == 0
        case 2:
            let kind = try cursor.byte()
            guard kind <= 2 else { throw Damaged(reason: "an attribute's dataspace has unknown type \(kind)") }
            isScalar = kind == 0
            isNull = kind == 2
        default:
            throw Damaged(reason: "an attribute's dataspace has unknown version \(version)")
        }
        guard rank <= 32 else { throw Damaged(reason: "an attribute's dataspace has rank \(rank), more than HDF5's 32") }
        if isNull { return 0 }
        if isScalar { return 1 }
        var count = 1
        for _ in 0..<rank {
            let dimension = try cursor.unsigned(file.lengthSize)
            guard let size = Int(exactly: dimension) else { throw Damaged(reason: "an attribute's dataspace is too large") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw Damaged(reason: "an attribute's dataspace is too large") }
            count = product
        }
        return count
    }
}

/// The parts of an attribute's datatype message (IV.A.2.d) the checks need.
/// Only the classes Keras files hold in attributes are accepted: integers,
/// floats, strings and variable-length strings or sequences of those.
struct AttributeDatatype {
    let elementSize: Int
    let isVariableLength: Bool

    init(_ body: [UInt8], file: HDF5RawFile, depth: Int) throws {
        var cursor = ByteCursor(body)
        let classAndVersion = try cursor.byte()
        let typeClass = classAndVersion & 0x0F
        let version = classAndVersion >> 4
        guard (1...4).contains(version) else {
            throw HDF5ObjectHeader.Damaged(reason: "an attribute's datatype has unknown version \(version)")
        }
        try cursor.skip(3)
        let size = Int(try cursor.unsigned(4))
        switch typeClass {
        case 0:  // fixed-point: bit offset, precision
            try cursor.skip(4)
            guard [1, 2, 4, 8].contains(size) else { throw Self.damaged("an integer of \(size) bytes") }
            elementSize = size
            isVariableLength = false
        case 1:  // floating-point: offsets, sizes, bias
            try cursor.skip(12)
            guard [2, 4, 8].contains(size) else { throw Self.damaged("a float of \(size) bytes") }
            elementSize = size
            isVariableLength = false
        case 3:  // fixed-length string
            guard size >= 1 else { throw Self.damaged("a string of \(size) bytes") }
            elementSize = size
            isVariableLength = false
        case 9:  // variable-length: a base type follows
            guard depth == 0 else { throw Self.damaged("a nested variable-length type") }
            let base = try AttributeDatatype(Array(body[cursor.position...]), file: file, depth: depth + 1)
            guard base.elementSize == 1 else { throw Self.damaged("a variable-length sequence of \(base.elementSize)-byte elements") }
            // On disk each element is a length and a global heap ID, and the
            // size field must say so: libhdf5 sizes the attribute's data by
            // the field but reads each element as a heap ID (found by fuzzing:
            // a field of 11 made H5Aread read past the data).
            elementSize = 4 + file.offsetSize + 4
            guard size == elementSize else {
                throw HDF5ObjectHeader.Damaged(reason: "an attribute's variable-length type declares \(size)-byte elements, not \(elementSize)")
            }
            isVariableLength = true
        default:
            throw Self.damaged("type class \(typeClass)")
        }
    }

    private static func damaged(_ what: String) -> HDF5ObjectHeader.Damaged {
        HDF5ObjectHeader.Damaged(reason: "an attribute holds \(what), which no Keras file has")
    }
}

/// A variable-length element's pointer into the global heap (IV.A.2.d,
/// class 9, and III.E): the element's length, the collection's address and
/// the object's index in it.
struct GlobalHeapReference {
    let length: UInt64
    let collection: UInt64
    let index: UInt64
}

/// The global heap collections met while checking one object, each parsed
/// once, as libhdf5 1.10.8 would parse it but with every bound checked.
struct GlobalHeapCache {
    /// Object index -> object size, per collection address.
    private var collections: [UInt64: [UInt64: UInt64]] = [:]

    typealias Damaged = HDF5ObjectHeader.Damaged

    mutating func verify(_ reference: GlobalHeapReference, in file: HDF5RawFile, attribute: String) throws {
        // An empty string may point nowhere; libhdf5 then reads nothing.
        if reference.collection == 0 || reference.collection == UInt64.max {
            guard reference.length == 0 else {
                throw Damaged(reason: "attribute \(Quoted(attribute)) points to no data but declares \(reference.length) bytes")
            }
            return
        }
        if collections[reference.collection] == nil {
            collections[reference.collection] = try Self.parse(at: reference.collection, in: file)
        }
        guard reference.index > 0, let size = collections[reference.collection]?[reference.index] else {
            throw Damaged(reason: "attribute \(Quoted(attribute)) points to a global heap object that does not exist")
        }
        guard size == reference.length else {
            throw Damaged(reason: "attribute \(Quoted(attribute)) declares \(reference.length) bytes but its heap object holds \(size)")
        }
    }

    /// The objects of the collection at `address` (index -> size).
    static func parse(at address: UInt64, in file: HDF5RawFile) throws -> [UInt64: UInt64] {
        let lengthSize = file.lengthSize
        let headerSize = aligned(8 + lengthSize)
        let objectHeaderSize = aligned(8 + lengthSize)
        guard let head = file.bytes(at: address, count: headerSize) else {
            throw Damaged(reason: "a global heap collection lies outside the file")
        }
        var cursor = ByteCursor(head)
        guard Array(try cursor.take(4)) == Array("GCOL".utf8), try cursor.byte() == 1 else {
            throw Damaged(reason: "a string points to something that is not a global heap collection")
        }
        try cursor.skip(3)
        let declared = try cursor.unsigned(lengthSize)
        guard declared >= UInt64(headerSize), let size = Int(exactly: declared),
              let bytes = file.bytes(at: address, count: size) else {
            throw Damaged(reason: "a global heap collection declares \(declared) bytes, more than the file holds")
        }
        var objects: [UInt64: UInt64] = [:]
        var position = headerSize
        while position < size {
            if position + objectHeaderSize > size {
                break  // the tail is too small for an object: free space
            }
            var object = ByteCursor(bytes, position: position)
            let index = try object.unsigned(2)
            try object.skip(6)  // reference count, reserved
            let objectSize = try object.unsigned(lengthSize)
            let need: UInt64
            if index == 0 {
                // The free-space object's size counts its own header; zero
                // would send libhdf5 round the same spot forever.
                guard objectSize >= UInt64(objectHeaderSize), objectSize % 8 == 0 else {
                    throw Damaged(reason: "a global heap collection's free space is malformed")
                }
                need = objectSize
            } else {
                guard objectSize <= UInt64(size) else {
                    throw Damaged(reason: "a global heap object is larger than its collection")
                }
                need = UInt64(objectHeaderSize) + UInt64(aligned(Int(objectSize)))
            }
            guard need <= UInt64(size - position) else {
                throw Damaged(reason: "a global heap object runs past the end of its collection")
            }
            if index > 0 { objects[index] = objectSize }
            position += Int(need)
        }
        return objects
    }

    private static func aligned(_ size: Int) -> Int { (size + 7) / 8 * 8 }
}

/// The storage of an old-style group (a symbol table message: a B-tree and
/// a local heap of member names), checked before libhdf5 looks a member up.
///
/// Why: a local heap whose data segment size is damaged makes libhdf5
/// 1.10.8 allocate that size, and when the allocation fails copy into a
/// null pointer (SIGSEGV in `H5HL_protect`, found by fuzzing). The heap's
/// prefix (specification III.D) is checked: signature, version, and a data
/// segment that lies inside the file; the B-tree root must at least be a
/// B-tree node inside the file.
enum SymbolTableCheck {
    typealias Damaged = HDF5ObjectHeader.Damaged

    static func verify(_ body: [UInt8], in file: HDF5RawFile) throws {
        var message = ByteCursor(body)
        let treeAddress: UInt64
        let heapAddress: UInt64
        do {
            treeAddress = try message.unsigned(file.offsetSize)
            heapAddress = try message.unsigned(file.offsetSize)
        } catch {
            throw Damaged(reason: "a group's symbol table message is truncated")
        }
        guard let tree = file.bytes(at: treeAddress, count: 6), Array(tree.prefix(4)) == Array("TREE".utf8), tree[4] == 0 else {
            throw Damaged(reason: "a group's member index (B-tree) is missing or damaged")
        }
        let prefixSize = 8 + 2 * file.lengthSize + file.offsetSize
        guard let prefix = file.bytes(at: heapAddress, count: prefixSize) else {
            throw Damaged(reason: "a group's name heap lies outside the file")
        }
        var heap = ByteCursor(prefix)
        do {
            guard Array(try heap.take(4)) == Array("HEAP".utf8), try heap.byte() == 0 else {
                throw Damaged(reason: "a group's name heap is damaged")
            }
            try heap.skip(3)
            let dataSize = try heap.unsigned(file.lengthSize)
            let freeList = try heap.unsigned(file.lengthSize)
            let dataAddress = try heap.unsigned(file.offsetSize)
            guard dataSize <= file.size, file.bytes(at: dataAddress, count: Int(dataSize)) != nil else {
                throw Damaged(reason: "a group's name heap declares \(dataSize) bytes, more than the file holds")
            }
            // No free block (1, or all ones), or one inside the data segment.
            let none: UInt64 = file.lengthSize == 8 ? .max : (1 << (8 * UInt64(file.lengthSize))) - 1
            guard freeList == 1 || freeList == none || freeList < dataSize else {
                throw Damaged(reason: "a group's name heap has a free list outside it")
            }
        } catch is ByteCursor.OutOfBounds {
            throw Damaged(reason: "a group's name heap is truncated")
        }
    }
}
