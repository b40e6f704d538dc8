import Foundation

/// An n-dimensional array of `Float`s, as read from or written to a `.npy`
/// file.
///
/// `values` is in row-major (C) order: the element at index
/// `(i₀, …, iₙ₋₁)` is `values[((i₀·d₁ + i₁)·d₂ + i₂)…]` for `shape`
/// `[d₀, …, dₙ₋₁]`. A scalar has shape `[]` and one value.
public struct NumpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// NumPy's `.npy` format, version 1.0 to 3.0
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
///
/// Layout: the magic string `\x93NUMPY`, the format version as two bytes
/// (major, minor), the header length as little-endian `UInt16` (version 1)
/// or `UInt32` (versions 2 and 3), then the header: a Python dict literal
/// such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
/// padded with spaces and ended by `\n` so that the data starts at a
/// multiple of 64 bytes. The data follows: the elements back to back, in
/// C order, or Fortran (column-major) order if `fortran_order` is True.
///
/// Reading takes floating-point (`f2`, `f4`, `f8`), signed and unsigned
/// integer (`i1`…`i8`, `u1`…`u8`) and boolean (`b1`) data in either byte
/// order and converts it to `Float`: `f8` and integers beyond 2²⁴ are
/// rounded to nearest. Fortran-ordered data is transposed into row-major
/// order. Object, string, complex, datetime and structured arrays are
/// refused. Writing always produces version 1.0, `'<f4'`, C order,
/// byte for byte what `numpy.save` writes for a float32 array.
///
/// Limits against hostile files (issue 10), none of which a file NumPy
/// writes for a numeric array comes near: the header is at most 10,000
/// bytes (as `numpy.load`), nests brackets at most 32 deep, the shape has
/// at most 64 dimensions (NumPy 2's maximum); the dtype's size is spelled
/// as NumPy writes it; and the data must hold exactly the bytes the shape
/// declares, checked with overflow-safe arithmetic before anything is
/// allocated. Reading costs the file's size plus the decoded Floats.
/// Float64 values beyond Float's range become ±infinity, NaN stays NaN.
public enum NumpyArrayFile {
    /// `\x93NUMPY`, the first six bytes of every `.npy` file.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// The data starts at a multiple of this many bytes.
    static let alignment = 64
    /// NumPy leaves room in the header for the first axis to grow to this
    /// many digits (`GROWTH_AXIS_MAX_DIGITS`), so files can be appended to.
    static let growthAxisMaxDigits = 21

    /// Reads the `.npy` file at `path`.
    ///
    /// - Throws: ``ArrayFileError`` naming `path` and the problem.
    public static func read(from path: String) throws -> NumpyArray {
        try parse(ArrayFileError.contents(of: path), path: path)
    }

    /// True if the file at `path` starts with NumPy's magic string.
    public static func looksLikeNumpy(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: magic.count) else { return false }
        return [UInt8](head) == magic
    }

    /// Decodes the contents of a `.npy` file; `path` is only for messages.
    ///
    /// - Throws: ``ArrayFileError`` for a bad magic string, an unknown
    ///   version, a truncated, malformed or oversized header, an unsupported
    ///   dtype, or data that does not match the shape.
    public static func parse(_ data: Data, path: String) throws -> NumpyArray {
        // Works on the bytes in place: no copy of the file is made, so a
        // file costs its own size plus the Floats it decodes to.
        try data.withUnsafeBytes { try parse(bytes: $0, path: path) }
    }

    /// The largest header read, in bytes: what `numpy.load` allows by
    /// default (`max_header_size`, a guard against hostile files since
    /// NumPy 1.24). A float array's header is under 200 bytes plus 22 per
    /// dimension; only structured dtypes with many fields, which kerasio
    /// refuses anyway, come near it.
    static let maxHeaderLength = 10_000
    /// The most dimensions a shape may have: NumPy 2's `NPY_MAXDIMS`
    /// (NumPy 1 allowed 32).
    static let maxDimensions = 64

    static func parse(bytes: UnsafeRawBufferPointer, path: String) throws -> NumpyArray {
        let layout = try layout(of: bytes, fileSize: bytes.count, path: path)
        let values = layout.header.dtype.decode(
            UnsafeRawBufferPointer(rebasing: bytes[layout.dataStart...]), count: layout.count,
            columnMajorShape: layout.header.isFortranOrder ? layout.header.shape : nil)
        return NumpyArray(shape: layout.header.shape, values: values)
    }

    /// Where a `.npy` file's data is and what it holds.
    struct Layout {
        var header: NumpyHeader
        /// The offset of the first element.
        var dataStart: Int
        /// The number of elements (the product of the shape).
        var count: Int
    }

    /// The most bytes ``layout(of:fileSize:path:)`` needs to see of a
    /// file: the preamble and the longest header allowed.
    static let maxPreambleAndHeader = 12 + maxHeaderLength

    /// Checks the preamble and header of a `.npy` file, and that the data
    /// holds exactly the bytes the shape declares, before anything is
    /// decoded or allocated.
    ///
    /// - Parameters:
    ///   - bytes: the start of the file: all of it, or at least its first
    ///     ``maxPreambleAndHeader`` bytes.
    ///   - fileSize: the size of the whole file.
    static func layout(of bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Layout {
        func fail(_ problem: String) -> ArrayFileError { ArrayFileError(file: path, problem: problem) }
        precondition(bytes.count == fileSize || bytes.count >= maxPreambleAndHeader, "layout: too few bytes")

        guard bytes.starts(with: magic) else {
            if bytes.isEmpty { throw fail("not a .npy file: the file is empty") }
            let detected = bytes.starts(with: FileSignature.hdf5)
                ? "an HDF5 file" : FileSignature.describe(Array(bytes.prefix(512)))
            throw fail("not a .npy file: it does not start with \\x93NUMPY"
                + (detected.map { "; it looks like \($0)" } ?? ""))
        }
        guard bytes.count >= 8 else { throw fail("truncated .npy file: the header is incomplete") }
        let (major, minor) = (bytes[6], bytes[7])
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw fail("unsupported .npy format version \(major).\(minor); kerasio reads 1.0, 2.0 and 3.0")
        }
        let headerStart = 8 + lengthSize
        guard bytes.count >= headerStart else { throw fail("truncated .npy file: the header is incomplete") }
        // At most 2³² - 1: no overflow on a 64-bit Int.
        let headerLength = bytes[8..<headerStart].reversed().reduce(0) { $0 << 8 | Int($1) }
        // Bounded before anything is decoded: the header parser's time and
        // memory grow with the header.
        guard headerLength <= maxHeaderLength else {
            throw fail("the .npy header is \(headerLength) bytes long; kerasio, like numpy.load, "
                + "reads headers of at most \(maxHeaderLength) bytes")
        }
        guard bytes.count - headerStart >= headerLength else {
            throw fail("truncated .npy file: the header should be \(headerLength) bytes, "
                + "the file has only \(bytes.count - headerStart) after the preamble")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        // Versions 1 and 2 encode the header in Latin-1, version 3 in UTF-8.
        let headerText: [Unicode.Scalar] = major == 3
            ? Array(String(decoding: headerBytes, as: UTF8.self).unicodeScalars)
            : headerBytes.map { Unicode.Scalar($0) }
        let header = try NumpyHeader(parsing: headerText, fail: fail)

        // The declared shape decides nothing until it is checked against the
        // bytes the file holds: count · size must equal them exactly, with
        // overflow-checked arithmetic, and the dtype's size is 1 to 8 (never
        // 0), so the Floats allocated below number at most the data bytes.
        let count = try elementCount(header.shape, fail: fail)
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.size)
        guard !overflow else { throw fail("shape \(header.shapeText) is too large") }
        let dataStart = headerStart + headerLength
        let available = fileSize - dataStart
        guard available == byteCount else {
            let needs = "shape \(header.shapeText) of '\(header.dtype.descr)' needs \(byteCount) bytes of data"
            if available < byteCount { throw fail("truncated data: \(needs), the file has \(available)") }
            throw fail("\(needs), but the file has \(available - byteCount) more")
        }
        return Layout(header: header, dataStart: dataStart, count: count)
    }

    /// Writes `array` to `path` as a version 1.0, `'<f4'`, C-order `.npy`
    /// file, atomically (see `AtomicFileWriter`).
    ///
    /// - Throws: ``ArrayFileError`` if the shape does not match the number
    ///   of values or the file cannot be written.
    public static func write(_ array: NumpyArray, to path: String) throws {
        try AtomicFileWriter.write(encode(array, path: path), to: path)
    }

    /// The bytes of the `.npy` file for `array`, as `numpy.save` writes
    /// them; `path` is only for messages.
    public static func encode(_ array: NumpyArray, path: String) throws -> Data {
        let count = try elementCount(array.shape) { ArrayFileError(file: path, problem: $0) }
        guard count == array.values.count else {
            throw ArrayFileError(
                file: path,
                problem: "cannot write: shape \(shapeText(array.shape)) holds \(count) values, the array has \(array.values.count)")
        }
        var data = Data(capacity: 128 + 4 * count)
        data.append(contentsOf: headerBytes(shape: array.shape))
        for value in array.values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The preamble and header of a version 1.0 (2.0 if it must),
    /// `'<f4'`, C-order `.npy` file of `shape`, as `numpy.save` writes
    /// them: the data follows directly.
    static func headerBytes(shape: [Int]) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
        if let first = shape.first {
            header += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        // Version 1.0 unless the header outgrows its 16-bit length, as numpy.
        var version: UInt8 = 1
        var preamble = magic.count + 2 + 2
        var padding = alignment - (preamble + header.utf8.count + 1) % alignment
        if header.utf8.count + 1 + padding > Int(UInt16.max) {
            version = 2
            preamble = magic.count + 2 + 4
            padding = alignment - (preamble + header.utf8.count + 1) % alignment
        }
        header += String(repeating: " ", count: padding) + "\n"
        let headerLength = header.utf8.count

        var bytes = magic
        bytes += [version, 0]
        let lengthSize = version == 1 ? 2 : 4
        bytes += (0..<lengthSize).map { UInt8(truncatingIfNeeded: headerLength >> (8 * $0)) }
        bytes += Array(header.utf8)
        return bytes
    }

    /// The product of `shape`, checked for negative sizes and overflow.
    static func elementCount(_ shape: [Int], fail: (String) -> ArrayFileError) throws -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw fail("shape \(quotedShape(shape)) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw fail("shape \(quotedShape(shape)) is too large") }
            count = product
        }
        return count
    }

    /// A shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// ``shapeText(_:)`` cut for a message: 64 dimensions of 19 digits
    /// would make a line of 1,400 characters.
    static func quotedShape(_ shape: [Int]) -> String {
        ArrayFileError.excerpt(shapeText(shape))
    }
}

// MARK: - Header

/// The three keys of a `.npy` header.
struct NumpyHeader {
    var dtype: NumpyDataType
    var isFortranOrder: Bool
    var shape: [Int]

    /// The shape for messages, cut to a reasonable length.
    var shapeText: String { NumpyArrayFile.quotedShape(shape) }

    init(parsing text: [Unicode.Scalar], fail: (String) -> ArrayFileError) throws {
        // Quoted in messages: at most 80 characters, escaped.
        func quotedHeader() -> String {
            let start = text.firstIndex { !$0.properties.isWhitespace } ?? text.endIndex
            let end = (text.lastIndex { !$0.properties.isWhitespace } ?? start - 1) + 1
            return ArrayFileError.excerpt(scalars: text[start..<max(start, end)])
        }
        var parser = PythonLiteralParser(text)
        let literal: PythonLiteral
        do {
            literal = try parser.parseAll()
        } catch let error as PythonLiteralParser.SyntaxError {
            throw fail("malformed .npy header: \(error.message) in \(quotedHeader())")
        }
        guard case .dictionary(let entries) = literal else {
            throw fail("malformed .npy header: expected a dict, found \(quotedHeader())")
        }
        var descr: PythonLiteral?
        var fortranOrder: PythonLiteral?
        var shape: PythonLiteral?
        for (key, value) in entries {
            switch key {
            case "descr": descr = value
            case "fortran_order": fortranOrder = value
            case "shape": shape = value
            default: throw fail("malformed .npy header: unexpected key '\(ArrayFileError.excerpt(key, limit: 40))'")
            }
        }
        guard let descr, let fortranOrder, let shape else {
            let missing = [("descr", descr), ("fortran_order", fortranOrder), ("shape", shape)]
                .filter { $0.1 == nil }.map { "'\($0.0)'" }
            throw fail("malformed .npy header: missing \(missing.joined(separator: ", "))")
        }

        switch descr {
        case .string(let text):
            dtype = try NumpyDataType(descr: text, fail: fail)
        case .list:
            throw fail("structured arrays (a dtype with named fields) are not supported; save a plain float array")
        default:
            throw fail("malformed .npy header: 'descr' is not a string")
        }
        guard case .boolean(let isFortranOrder) = fortranOrder else {
            throw fail("malformed .npy header: 'fortran_order' is not True or False")
        }
        self.isFortranOrder = isFortranOrder
        switch shape {
        case .tuple(let items), .list(let items):
            guard items.count <= NumpyArrayFile.maxDimensions else {
                throw fail("malformed .npy header: 'shape' has \(items.count) dimensions; "
                    + "NumPy arrays have at most \(NumpyArrayFile.maxDimensions)")
            }
            self.shape = try items.map { item in
                guard case .integer(let size) = item, size >= 0 else {
                    throw fail("malformed .npy header: 'shape' must hold non-negative integers")
                }
                return size
            }
        default:
            throw fail("malformed .npy header: 'shape' is not a tuple")
        }
    }
}

/// A `.npy` element type, from its `descr` string: a byte-order character
/// (`<` little, `>` big, `|` not applicable, `=` native), a kind character
/// and the size in bytes, e.g. `<f4`.
///
/// The size must be spelled exactly as NumPy writes it, plain digits naming
/// one of the kind's sizes: `f2`/`f4`/`f8`, `i1`…`i8`, `u1`…`u8`, `b1` (or
/// `?`, `?1`). Anything else is refused: in particular a size of 0 (`?0`,
/// `<f0`), which would let a tiny file declare a shape of billions of
/// elements that "fit" in zero bytes, a signed size (`<i+4`) and a missing
/// one (`<f`).
struct NumpyDataType {
    enum Kind { case float, signed, unsigned, boolean }

    /// The descr as read; always one of the short forms above once
    /// `init` succeeds, so it is safe to quote.
    let descr: String
    let kind: Kind
    /// 1, 2, 4 or 8.
    let size: Int
    let isBigEndian: Bool

    init(descr: String, fail: (String) -> ArrayFileError) throws {
        let quoted = "'" + ArrayFileError.excerpt(descr, limit: 40) + "'"
        self.descr = descr
        var rest = Substring(descr)
        var order: Character = "|"
        if let first = rest.first, "<>|=".contains(first) {
            order = first
            rest = rest.dropFirst()
        }
        guard let kindCharacter = rest.first else { throw fail("malformed .npy header: empty dtype") }
        let sizeText = String(rest.dropFirst())

        func unsupported(_ what: String) -> ArrayFileError {
            fail("dtype \(quoted) is not supported: \(what); kerasio reads float, integer and boolean arrays")
        }
        /// The size if `sizeText` is exactly one of `sizes`, else an error
        /// saying what is wrong with it.
        func size(of what: String, _ sizes: [String], orNone: Bool = false) throws -> Int {
            if let size = sizes.first(where: { $0 == sizeText }) { return Int(size)! }
            if orNone && sizeText.isEmpty { return 1 }
            // "f2, f4 or f8"; "? or ?1".
            let forms = (orNone ? [String(kindCharacter)] : []) + sizes.map { "\(kindCharacter)\($0)" }
            let expected = forms.count == 1 ? forms[0]
                : forms.dropLast().joined(separator: ", ") + " or " + forms[forms.count - 1]
            if sizeText.isEmpty {
                throw fail("malformed .npy header: dtype \(quoted) gives no size in bytes (expected \(expected))")
            }
            // Plain digits, no leading zero, a plausible size: a real dtype
            // kerasio does not read (`<f16`, `<i3`).
            if sizeText.count <= 4, sizeText.first != "0", sizeText.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw unsupported("\(sizeText)-byte \(what)")
            }
            throw fail("malformed .npy header: dtype \(quoted) has an invalid size "
                + "'\(ArrayFileError.excerpt(sizeText, limit: 20))' (expected \(expected))")
        }
        switch kindCharacter {
        case "f":
            kind = .float
            self.size = try size(of: "floating-point numbers", ["2", "4", "8"])
        case "i":
            kind = .signed
            self.size = try size(of: "integers", ["1", "2", "4", "8"])
        case "u":
            kind = .unsigned
            self.size = try size(of: "unsigned integers", ["1", "2", "4", "8"])
        case "b":
            kind = .boolean
            self.size = try size(of: "booleans", ["1"])
        case "?":
            kind = .boolean
            self.size = try size(of: "booleans", ["1"], orNone: true)
        case "c": throw unsupported("complex numbers")
        case "O": throw unsupported("object arrays (pickled Python objects)")
        case "U", "S", "a": throw unsupported("string arrays")
        case "M", "m": throw unsupported("date and time arrays")
        case "V": throw unsupported("raw bytes or records")
        default: throw fail("dtype \(quoted) is not supported; kerasio reads float, integer and boolean arrays")
        }
        switch order {
        case ">": isBigEndian = true
        case "=": isBigEndian = UInt16(1).bigEndian == 1
        default: isBigEndian = false
        }
    }

    /// `count` elements of this type from `bytes` (which hold exactly
    /// `count · size` bytes), converted to `Float`, in row-major order.
    /// With `columnMajorShape`, the data is in Fortran order and is
    /// transposed while it is decoded, so no second full-size array is made.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, columnMajorShape: [Int]?) -> [Float] {
        precondition(bytes.count == count * size, "decode: the caller checks the data size")
        switch (kind, size) {
        case (.float, 2): return gather(bytes, count, columnMajorShape, UInt16.self) { Self.float(fromHalf: $0) }
        case (.float, 4): return gather(bytes, count, columnMajorShape, UInt32.self) { Float(bitPattern: $0) }
        case (.float, 8): return gather(bytes, count, columnMajorShape, UInt64.self) { Float(Double(bitPattern: $0)) }
        case (.signed, 1): return gather(bytes, count, columnMajorShape, UInt8.self) { Float(Int8(bitPattern: $0)) }
        case (.signed, 2): return gather(bytes, count, columnMajorShape, UInt16.self) { Float(Int16(bitPattern: $0)) }
        case (.signed, 4): return gather(bytes, count, columnMajorShape, UInt32.self) { Float(Int32(bitPattern: $0)) }
        case (.signed, 8): return gather(bytes, count, columnMajorShape, UInt64.self) { Float(Int64(bitPattern: $0)) }
        case (.unsigned, 1): return gather(bytes, count, columnMajorShape, UInt8.self) { Float($0) }
        case (.unsigned, 2): return gather(bytes, count, columnMajorShape, UInt16.self) { Float($0) }
        case (.unsigned, 4): return gather(bytes, count, columnMajorShape, UInt32.self) { Float($0) }
        case (.unsigned, 8): return gather(bytes, count, columnMajorShape, UInt64.self) { Float($0) }
        case (.boolean, _): return gather(bytes, count, columnMajorShape, UInt8.self) { $0 == 0 ? 0 : 1 }
        default: preconditionFailure("decode: init admits only the sizes above")
        }
    }

    /// Loads `count` elements of `Bits` (in the file's byte order) and
    /// converts each with `convert`, into one exactly-sized array.
    @inline(__always)
    private func gather<Bits: FixedWidthInteger>(
        _ bytes: UnsafeRawBufferPointer, _ count: Int, _ columnMajorShape: [Int]?, _: Bits.Type,
        _ convert: (Bits) -> Float
    ) -> [Float] {
        let swap = isBigEndian != (UInt16(1).bigEndian == 1)
        let width = MemoryLayout<Bits>.size
        @inline(__always) func load(_ index: Int) -> Float {
            let raw = bytes.loadUnaligned(fromByteOffset: index * width, as: Bits.self)
            return convert(swap ? raw.byteSwapped : raw)
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let shape = columnMajorShape, shape.count > 1, count > 0 else {
                if swap {
                    for index in 0..<count { buffer[index] = load(index) }
                } else {
                    // The common case, native order: a loop the compiler
                    // turns into a copy or a vectorized conversion.
                    for index in 0..<count {
                        buffer[index] = convert(bytes.loadUnaligned(fromByteOffset: index * width, as: Bits.self))
                    }
                }
                initialized = count
                return
            }
            // Fortran order: element (i₀, …, iₙ₋₁) sits at column-major
            // offset i₀ + d₀·(i₁ + d₁·(i₂ + …)). Seen as a matrix, the
            // output has one row per index (i₀, …, iₙ₋₂) (row-major over
            // those axes) and L = dₙ₋₁ columns; element (r, j) comes from
            // offset(r) + j·M, M = d₀·…·dₙ₋₂. For two dimensions that is a
            // plain transpose. It is done in tiles of 256 rows × 64 columns
            // so that both the reads (256 consecutive rows r for one j, in
            // two dimensions) and the writes stay in cache: about twice as
            // fast as element by element. An odometer over the first n-1
            // axes gives each row's offset. No overflow: every stride is at
            // most count.
            let axes = shape.count
            var strides = [Int](repeating: 1, count: axes)
            for axis in 1..<axes { strides[axis] = strides[axis - 1] * shape[axis - 1] }
            let columns = shape[axes - 1]
            let columnStride = strides[axes - 1]
            let rowCount = count / columns
            let (rowTile, columnTile) = (256, 64)
            var index = [Int](repeating: 0, count: axes - 1)
            var offset = 0
            var offsets = [Int](repeating: 0, count: rowTile)
            var firstRow = 0
            while firstRow < rowCount {
                let rows = min(rowTile, rowCount - firstRow)
                for row in 0..<rows {
                    offsets[row] = offset
                    var axis = axes - 2
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < shape[axis] { break }
                        offset -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
                offsets.withUnsafeBufferPointer { offsets in
                    var firstColumn = 0
                    while firstColumn < columns {
                        let lastColumn = min(firstColumn + columnTile, columns)
                        for column in firstColumn..<lastColumn {
                            let source = column * columnStride
                            var target = firstRow * columns + column
                            for row in 0..<rows {
                                buffer[target] = load(offsets[row] + source)
                                target += columns
                            }
                        }
                        firstColumn = lastColumn
                    }
                }
                firstRow += rows
            }
            initialized = count
        }
    }

    /// Converts IEEE 754 binary16 bits to `Float`, exactly: every half is a
    /// float. Written out rather than using `Float16`, which Swift does not
    /// offer on every platform.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 == 0 ? 1 : -1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2⁻²⁴.
            return sign * Float(mantissa) * 0x1p-24
        case 0x1F:
            let signBit = UInt32(bits & 0x8000) << 16
            return Float(bitPattern: signBit | 0x7F80_0000 | mantissa << 13)
        default:
            let signBit = UInt32(bits & 0x8000) << 16
            return Float(bitPattern: signBit | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }
}

// MARK: - Python literals

/// The Python literals a `.npy` header uses.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([(String, PythonLiteral)])

    static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.none, .none): return true
        case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)): return a == b
        case (.dictionary(let a), .dictionary(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// A recursive-descent parser for the subset of Python literal syntax that
/// NumPy writes in `.npy` headers: dicts with string keys, tuples, lists,
/// strings in either quote, integers (Python 2's `3L` too), True, False,
/// None.
///
/// It works on Unicode scalars (a header is Latin-1 or UTF-8), not on
/// `Character`s, so that a quote or bracket is never merged with a following
/// combining mark. Recursion is bounded by ``maxDepth``: a header of
/// 100,000 `(` used to overflow the stack.
struct PythonLiteralParser {
    struct SyntaxError: Error {
        let message: String
    }

    /// The deepest nesting of dicts, tuples and lists accepted. A real
    /// header nests 2 deep (the dict, the shape tuple); a structured dtype a
    /// few more. Each level costs a few hundred bytes of stack.
    static let maxDepth = 32

    private let characters: [Unicode.Scalar]
    private var position = 0
    private var depth = 0

    init(_ text: [Unicode.Scalar]) {
        characters = text
    }

    init(_ text: String) {
        self.init(Array(text.unicodeScalars))
    }

    /// Parses one literal that must make up the whole text, give or take
    /// whitespace.
    mutating func parseAll() throws -> PythonLiteral {
        let value = try parseValue()
        skipWhitespace()
        guard position == characters.count else {
            throw SyntaxError(message: "unexpected \(quote(characters[position])) after the value")
        }
        return value
    }

    private mutating func parseValue() throws -> PythonLiteral {
        skipWhitespace()
        guard let character = peek() else { throw SyntaxError(message: "unexpected end") }
        switch character {
        case "{", "(", "[":
            guard depth < Self.maxDepth else {
                throw SyntaxError(message: "brackets nested more than \(Self.maxDepth) deep")
            }
            depth += 1
            defer { depth -= 1 }
            position += 1
            switch character {
            case "{":
                var entries: [(String, PythonLiteral)] = []
                try parseSequence(closing: "}") {
                    guard case .string(let key) = try $0.parseValue() else {
                        throw SyntaxError(message: "a dict key is not a string")
                    }
                    try $0.expect(":")
                    entries.append((key, try $0.parseValue()))
                }
                return .dictionary(entries)
            case "(":
                var items: [PythonLiteral] = []
                try parseSequence(closing: ")") { items.append(try $0.parseValue()) }
                return .tuple(items)
            default:
                var items: [PythonLiteral] = []
                try parseSequence(closing: "]") { items.append(try $0.parseValue()) }
                return .list(items)
            }
        case "'", "\"":
            return .string(try parseString())
        case "-", "+", "0"..."9":
            return .integer(try parseInteger())
        default:
            let word = parseWord()
            switch word {
            case "True": return .boolean(true)
            case "False": return .boolean(false)
            case "None": return .none
            default:
                throw SyntaxError(message: "unexpected "
                    + (word.isEmpty ? quote(character) : "'" + ArrayFileError.excerpt(word, limit: 30) + "'"))
            }
        }
    }

    /// Parses comma-separated elements up to `closing`; a trailing comma is
    /// allowed, as in Python.
    private mutating func parseSequence(closing: Unicode.Scalar, _ element: (inout PythonLiteralParser) throws -> Void) throws {
        while true {
            skipWhitespace()
            if peek() == closing {
                position += 1
                return
            }
            try element(&self)
            skipWhitespace()
            switch peek() {
            case ",": position += 1
            case closing: break
            case let other?: throw SyntaxError(message: "expected ',' or '\(closing)', found \(quote(other))")
            case nil: throw SyntaxError(message: "missing '\(closing)'")
            }
        }
    }

    private mutating func parseString() throws -> String {
        guard let quote = peek() else { throw SyntaxError(message: "unexpected end") }
        position += 1
        var result = String.UnicodeScalarView()
        while let character = peek() {
            position += 1
            if character == quote { return String(result) }
            if character == "\\", let escaped = peek() {
                position += 1
                switch escaped {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(escaped)
                }
            } else {
                result.append(character)
            }
        }
        throw SyntaxError(message: "unterminated string")
    }

    private mutating func parseInteger() throws -> Int {
        var text = ""
        if let sign = peek(), sign == "-" || sign == "+" {
            text.unicodeScalars.append(sign)
            position += 1
        }
        while let digit = peek(), ("0"..."9").contains(digit) {
            text.unicodeScalars.append(digit)
            position += 1
        }
        if let suffix = peek(), suffix == "L" || suffix == "l" { position += 1 }
        guard let value = Int(text) else {
            throw SyntaxError(message: "'\(ArrayFileError.excerpt(text, limit: 30))' is not an integer")
        }
        return value
    }

    private mutating func parseWord() -> String {
        var word = String.UnicodeScalarView()
        while let character = peek(), character.properties.isAlphabetic || character == "_" {
            word.append(character)
            position += 1
        }
        return String(word)
    }

    private mutating func expect(_ character: Unicode.Scalar) throws {
        skipWhitespace()
        guard peek() == character else {
            throw SyntaxError(message: "expected '\(character)'")
        }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let character = peek(), character.properties.isWhitespace { position += 1 }
    }

    private func peek() -> Unicode.Scalar? {
        position < characters.count ? characters[position] : nil
    }

    /// A character of the header for a message, escaped if need be.
    private func quote(_ character: Unicode.Scalar) -> String {
        "'" + ArrayFileError.excerpt(scalars: CollectionOfOne(character)) + "'"
    }
}
