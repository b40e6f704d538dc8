import Foundation
import Testing
@testable import KerasIO

/// Builds `.npy` bytes by hand: magic, version, header length (UInt16 for
/// version 1, UInt32 otherwise, little-endian), header, data.
private func npy(header: String, data: [UInt8], version: UInt8 = 1) -> Data {
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    let headerBytes = Array(header.utf8)
    let lengthSize = version == 1 ? 2 : 4
    bytes += (0..<lengthSize).map { UInt8(truncatingIfNeeded: headerBytes.count >> (8 * $0)) }
    return Data(bytes + headerBytes + data)
}

private func littleEndianBytes<Bits: FixedWidthInteger>(_ values: [Bits]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

private func bigEndianBytes<Bits: FixedWidthInteger>(_ values: [Bits]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
}

private func problem(_ data: Data) throws -> String {
    let error = try #require(throws: ArrayFileError.self) { try NumpyArrayFile.parse(data, path: "x.npy") }
    #expect(error.file == "x.npy")
    return error.problem
}

private func scratchFile(_ name: String) throws -> (directory: String, file: String) {
    let directory = NSTemporaryDirectory() + "kerasio-npy-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return (directory, directory + "/" + name)
}

@Suite("NumPy .npy files")
struct NumpyArrayFileTests {
    @Test("Writing then reading gives back every value bit for bit, NaN and infinities included")
    func roundTrip() throws {
        let (directory, path) = try scratchFile("array.npy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = SystemRandomNumberGenerator()
        let special: [Float] = [0, -0.0, 1, .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude,
                                .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let random = (0..<(4 * 6 - special.count)).map { _ in Float(bitPattern: generator.next()) }
        let array = NumpyArray(shape: [4, 6], values: special + random)
        try NumpyArrayFile.write(array, to: path)
        let read = try NumpyArrayFile.read(from: path)
        #expect(read.shape == [4, 6])
        #expect(read.values.map(\.bitPattern) == array.values.map(\.bitPattern))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(leftovers == ["array.npy"])
    }

    @Test("Writes exactly what numpy.save writes: version 1.0, '<f4', data aligned to 64 bytes")
    func bytesMatchNumpy() throws {
        // Golden bytes from numpy 2.4: np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)).
        // The header leaves 21 - len("2") spaces for the first axis to grow,
        // then pads to a multiple of 64 and ends with a newline.
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        let expectedHeader = dict + String(repeating: " ", count: 118 - dict.count - 1) + "\n"
        let expected = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0] + Array(expectedHeader.utf8)
            + littleEndianBytes([0, 1, 2, 3, 4, 5].map { Float($0).bitPattern })
        let data = try NumpyArrayFile.encode(NumpyArray(shape: [2, 3], values: [0, 1, 2, 3, 4, 5]), path: "a.npy")
        #expect([UInt8](data) == expected)

        for shape in [[], [0], [7], [3, 1, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]] {
            let count = shape.reduce(1, *)
            let encoded = try NumpyArrayFile.encode(NumpyArray(shape: shape, values: .init(repeating: 1, count: count)), path: "a.npy")
            #expect((encoded.count - 4 * count) % 64 == 0)
            #expect(encoded[encoded.count - 4 * count - 1] == UInt8(ascii: "\n"))
            #expect(try NumpyArrayFile.parse(encoded, path: "a.npy").shape == shape)
        }
    }

    @Test("A shape that does not match the number of values is not written")
    func writeMismatch() throws {
        let error = try #require(throws: ArrayFileError.self) {
            try NumpyArrayFile.write(NumpyArray(shape: [2, 2], values: [1, 2, 3]), to: "/nonexistent/a.npy")
        }
        #expect(error.localizedDescription == "/nonexistent/a.npy: cannot write: shape (2, 2) holds 4 values, the array has 3")
    }

    @Test("Reads float64 and converts to Float, rounding to nearest")
    func float64() throws {
        let values: [Double] = [0.1, -2.5, 1e-300, 1e300]
        let data = npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n",
                       data: littleEndianBytes(values.map(\.bitPattern)))
        let array = try NumpyArrayFile.parse(data, path: "x.npy")
        #expect(array.shape == [4])
        #expect(array.values == [Float(0.1), -2.5, 0, .infinity])
    }

    @Test("Reads big-endian floats and integers")
    func bigEndian() throws {
        let floats = npy(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n",
                         data: bigEndianBytes([Float(1.5).bitPattern, Float(-3).bitPattern]))
        #expect(try NumpyArrayFile.parse(floats, path: "x.npy").values == [1.5, -3])
        let doubles = npy(header: "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n",
                          data: bigEndianBytes([Double(0.25).bitPattern]))
        #expect(try NumpyArrayFile.parse(doubles, path: "x.npy").values == [0.25])
        let integers = npy(header: "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }\n",
                           data: bigEndianBytes([Int16(-300), 7]))
        #expect(try NumpyArrayFile.parse(integers, path: "x.npy").values == [-300, 7])
    }

    @Test("Reads integer, boolean and half-precision data as Float")
    func otherNumericTypes() throws {
        let bytes = npy(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", data: [0, 7, 255])
        #expect(try NumpyArrayFile.parse(bytes, path: "x.npy").values == [0, 7, 255])
        let int64 = npy(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                        data: littleEndianBytes([Int64(-3), 1 << 40]))
        #expect(try NumpyArrayFile.parse(int64, path: "x.npy").values == [-3, 0x1p40])
        let booleans = npy(header: "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data: [1, 0])
        #expect(try NumpyArrayFile.parse(booleans, path: "x.npy").values == [1, 0])
        // 1.5, -65504 (largest half), 2⁻²⁴ (smallest subnormal), +inf, NaN.
        let halves = npy(header: "{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }",
                         data: littleEndianBytes([UInt16(0x3E00), 0xFBFF, 0x0001, 0x7C00, 0x7E00]))
        let values = try NumpyArrayFile.parse(halves, path: "x.npy").values
        #expect(Array(values.prefix(4)) == [1.5, -65504, 0x1p-24, .infinity])
        #expect(values[4].isNaN)
    }

    @Test("Fortran-ordered data is transposed into row-major order")
    func fortranOrder() throws {
        // The 2×3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column.
        let matrix = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n",
                         data: littleEndianBytes([0, 3, 1, 4, 2, 5].map { Float($0).bitPattern }))
        let array = try NumpyArrayFile.parse(matrix, path: "x.npy")
        #expect(array.shape == [2, 3])
        #expect(array.values == [0, 1, 2, 3, 4, 5])

        // Three axes: element (i, j, k) of a 2×3×4 array holds 12i + 4j + k
        // and sits at column-major offset i + 2j + 6k.
        var columnMajor = [Float](repeating: 0, count: 24)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { columnMajor[i + 2 * j + 6 * k] = Float(12 * i + 4 * j + k) } } }
        let cube = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }",
                       data: littleEndianBytes(columnMajor.map(\.bitPattern)))
        #expect(try NumpyArrayFile.parse(cube, path: "x.npy").values == (0..<24).map(Float.init))
    }

    @Test("Reads version 2.0 and 3.0 headers, scalars and Python 2 style shapes")
    func headerVariants() throws {
        let version2 = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                           data: littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern]), version: 2)
        #expect(try NumpyArrayFile.parse(version2, path: "x.npy") == NumpyArray(shape: [2], values: [1, 2]))
        let version3 = npy(header: "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1,)}  \n",
                           data: littleEndianBytes([Float(7).bitPattern]), version: 3)
        #expect(try NumpyArrayFile.parse(version3, path: "x.npy") == NumpyArray(shape: [1], values: [7]))
        let scalar = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                         data: littleEndianBytes([Float(3.5).bitPattern]))
        #expect(try NumpyArrayFile.parse(scalar, path: "x.npy") == NumpyArray(shape: [], values: [3.5]))
        let python2 = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }",
                          data: littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern]))
        #expect(try NumpyArrayFile.parse(python2, path: "x.npy").shape == [1, 2])
        let empty = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", data: [])
        #expect(try NumpyArrayFile.parse(empty, path: "x.npy") == NumpyArray(shape: [0, 5], values: []))
    }

    @Test("Files that are not .npy are refused, saying what they look like")
    func badMagic() throws {
        #expect(try problem(Data("a,b\n1,2\n".utf8)) == "not a .npy file: it does not start with \\x93NUMPY; it looks like a text file")
        #expect(try problem(Data([0x50, 0x4B, 0x03, 0x04, 0, 0])).hasSuffix("it looks like a zip archive (a Keras 3 .keras file is one)"))
        #expect(try problem(Data(FileSignature.hdf5 + [0, 0])).hasSuffix("it looks like an HDF5 file"))
        #expect(try problem(Data()) == "not a .npy file: the file is empty")
        #expect(try problem(Data([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0])) == "unsupported .npy format version 4.0; kerasio reads 1.0, 2.0 and 3.0")
    }

    @Test("Truncated headers and data are refused with the sizes involved")
    func truncated() throws {
        #expect(try problem(Data([0x93] + Array("NUMPY".utf8) + [1])) == "truncated .npy file: the header is incomplete")
        let full = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                       data: littleEndianBytes((0..<6).map { Float($0).bitPattern }))
        #expect(try problem(full.prefix(30)) == "truncated .npy file: the header should be 60 bytes, the file has only 20 after the preamble")
        #expect(try problem(full.dropLast(4)) == "truncated data: shape (2, 3) of '<f4' needs 24 bytes of data, the file has 20")
        #expect(try problem(full + Data([0, 0, 0, 0])) == "shape (2, 3) of '<f4' needs 24 bytes of data, but the file has 4 more")
    }

    @Test("Malformed headers are refused, quoting the header")
    func malformedHeaders() throws {
        let noShape = npy(header: "{'descr': '<f4', 'fortran_order': False}", data: [])
        #expect(try problem(noShape) == "malformed .npy header: missing 'shape'")
        let notDict = npy(header: "['descr']", data: [])
        #expect(try problem(notDict) == "malformed .npy header: expected a dict, found ['descr']")
        let broken = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", data: [])
        #expect(try problem(broken).hasPrefix("malformed .npy header: expected ',' or ')', found '}'"))
        let extraKey = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", data: [])
        #expect(try problem(extraKey) == "malformed .npy header: unexpected key 'x'")
        let negative = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", data: [])
        #expect(try problem(negative) == "malformed .npy header: 'shape' must hold non-negative integers")
        let fortranText = npy(header: "{'descr': '<f4', 'fortran_order': 'no', 'shape': ()}", data: [])
        #expect(try problem(fortranText) == "malformed .npy header: 'fortran_order' is not True or False")
    }

    @Test("Object, complex, string, date and structured arrays are refused by name")
    func unsupportedTypes() throws {
        func header(_ descr: String) -> Data {
            npy(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0, 0, 0, 0, 0])
        }
        #expect(try problem(header("'|O'")) == "dtype '|O' is not supported: object arrays (pickled Python objects); kerasio reads float, integer and boolean arrays")
        #expect(try problem(header("'<c8'")).hasPrefix("dtype '<c8' is not supported: complex numbers"))
        #expect(try problem(header("'<U2'")).hasPrefix("dtype '<U2' is not supported: string arrays"))
        #expect(try problem(header("'<M8[D]'")).hasPrefix("dtype '<M8[D]' is not supported: date and time arrays"))
        #expect(try problem(header("'<f16'")).hasPrefix("dtype '<f16' is not supported: 16-byte floating-point numbers"))
        #expect(try problem(header("[('a', '<f4'), ('b', '<i4')]")) == "structured arrays (a dtype with named fields) are not supported; save a plain float array")
    }

    @Test("Reading a missing file or a directory names the problem")
    func missingFile() throws {
        let missing = NSTemporaryDirectory() + "kerasio-no-such-file-\(UUID().uuidString).npy"
        #expect(throws: ArrayFileError(file: missing, problem: "no such file")) { try NumpyArrayFile.read(from: missing) }
        #expect(!NumpyArrayFile.looksLikeNumpy(missing))
        let directory = NSTemporaryDirectory()
        #expect(throws: ArrayFileError(file: directory, problem: "is a directory, not a file")) {
            try NumpyArrayFile.read(from: directory)
        }
    }

    @Test("A failed write leaves the existing file untouched and no temporary file behind")
    func atomicWrite() throws {
        let (directory, path) = try scratchFile("kept.npy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try NumpyArrayFile.write(NumpyArray(shape: [1], values: [1]), to: path)
        #expect(NumpyArrayFile.looksLikeNumpy(path))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try AtomicFileWriter.write(to: path) { temporaryPath in
                try Data("partial".utf8).write(to: URL(fileURLWithPath: temporaryPath))
                throw Interrupted()
            }
        }
        #expect(try NumpyArrayFile.read(from: path).values == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["kept.npy"])
        let error = try #require(throws: ArrayFileError.self) {
            try NumpyArrayFile.write(NumpyArray(shape: [1], values: [1]), to: directory + "/missing/a.npy")
        }
        #expect(error.problem == "cannot write: the directory \(directory)/missing does not exist")
    }
    @Test("Element sizes must be spelled as NumPy writes them: no 0, no sign, no missing size")
    func dtypeSizes() throws {
        func header(_ descr: String, shape: String = "(2,)") -> Data {
            npy(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }", data: [1, 0])
        }
        #expect(try NumpyArrayFile.parse(header("?"), path: "x.npy").values == [1, 0])
        #expect(try NumpyArrayFile.parse(header("|?1"), path: "x.npy").values == [1, 0])
        #expect(try NumpyArrayFile.parse(header("|b1"), path: "x.npy").values == [1, 0])
        #expect(try NumpyArrayFile.parse(header("i1"), path: "x.npy").values == [1, 0])
        #expect(try problem(header("?0", shape: "(100000000, 12, 1)"))
            == "malformed .npy header: dtype '?0' has an invalid size '0' (expected ? or ?1)")
        #expect(try problem(header("<f")) == "malformed .npy header: dtype '<f' gives no size in bytes (expected f2, f4 or f8)")
        #expect(try problem(header("b")) == "malformed .npy header: dtype 'b' gives no size in bytes (expected b1)")
        #expect(try problem(header("<i+4")) == "malformed .npy header: dtype '<i+4' has an invalid size '+4' (expected i1, i2, i4 or i8)")
        #expect(try problem(header("<u 4")) == "malformed .npy header: dtype '<u 4' has an invalid size ' 4' (expected u1, u2, u4 or u8)")
        #expect(try problem(header("<f\u{664}")) == "malformed .npy header: dtype '<f\\xd9\\xa4' has an invalid size '\\xd9\\xa4' (expected f2, f4 or f8)")
        #expect(try problem(header("<i3")) == "dtype '<i3' is not supported: 3-byte integers; kerasio reads float, integer and boolean arrays")
        #expect(try problem(header("")) == "malformed .npy header: empty dtype")
    }

    @Test("The header is at most 10,000 bytes and the shape at most 64 dimensions")
    func headerLimits() throws {
        let dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }"
        let longest = npy(header: dict + String(repeating: " ", count: 10_000 - dict.count - 1) + "\n", data: [1, 2], version: 2)
        #expect(try NumpyArrayFile.parse(longest, path: "x.npy").values == [1, 2])
        let tooLong = npy(header: dict + String(repeating: " ", count: 10_000 - dict.count) + "\n", data: [1, 2], version: 2)
        #expect(try problem(tooLong)
            == "the .npy header is 10001 bytes long; kerasio, like numpy.load, reads headers of at most 10000 bytes")
        func shape(_ dimensions: Int) -> Data {
            let shape = "(" + String(repeating: "1, ", count: dimensions) + ")"
            return npy(header: "{'descr': '|u1', 'fortran_order': False, 'shape': \(shape), }", data: [7])
        }
        #expect(try NumpyArrayFile.parse(shape(64), path: "x.npy").shape == Array(repeating: 1, count: 64))
        #expect(try problem(shape(65)) == "malformed .npy header: 'shape' has 65 dimensions; NumPy arrays have at most 64")
    }

    @Test("Fortran order is undone for every element type and byte order, in 1 to 4 dimensions")
    func fortranOrderTypes() throws {
        // Element (i, j, k, l) of a 2×3×1×4 array holds 12i + 4j + l and sits
        // at column-major offset i + 2j + 6k + 6l.
        let shape = [2, 3, 1, 4]
        var columnMajor = [Int](repeating: 0, count: 24)
        for i in 0..<2 { for j in 0..<3 { for l in 0..<4 { columnMajor[i + 2 * j + 6 * l] = 12 * i + 4 * j + l } } }
        let rowMajor = (0..<24).map(Float.init)
        let cases: [(String, [UInt8])] = [
            ("|u1", columnMajor.map { UInt8($0) }),
            ("<i2", littleEndianBytes(columnMajor.map { Int16($0) })),
            (">u4", bigEndianBytes(columnMajor.map { UInt32($0) })),
            ("<i8", littleEndianBytes(columnMajor.map { Int64($0) })),
            (">f8", bigEndianBytes(columnMajor.map { Double($0).bitPattern })),
            ("<f2", littleEndianBytes(columnMajor.map { NumpyDataType.halfBits(Float($0)) })),
        ]
        for (descr, data) in cases {
            let file = npy(header: "{'descr': '\(descr)', 'fortran_order': True, 'shape': (2, 3, 1, 4), }", data: data)
            let array = try NumpyArrayFile.parse(file, path: "x.npy")
            #expect(array.shape == shape, "\(descr)")
            #expect(array.values == rowMajor, "\(descr)")
        }
        // Shapes that are not multiples of the reader's tiles (256 × 64).
        for shape in [[300, 70], [3, 100, 5], [257, 1], [1, 513], [2, 3, 5, 7, 11]] {
            let count = shape.reduce(1, *)
            var fortran = [Float](repeating: 0, count: count)
            for flat in 0..<count {
                // Row-major index of `flat`, then its column-major offset.
                var rest = flat, offset = 0, stride = 1
                var index = [Int](repeating: 0, count: shape.count)
                for axis in shape.indices.reversed() {
                    index[axis] = rest % shape[axis]
                    rest /= shape[axis]
                }
                for axis in shape.indices {
                    offset += index[axis] * stride
                    stride *= shape[axis]
                }
                fortran[offset] = Float(flat)
            }
            let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
            let file = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': \(shapeText), }",
                           data: littleEndianBytes(fortran.map(\.bitPattern)))
            #expect(try NumpyArrayFile.parse(file, path: "x.npy").values == (0..<count).map(Float.init), "\(shape)")
        }
        let vector = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }",
                         data: littleEndianBytes([Float(1), 2, 3].map(\.bitPattern)))
        #expect(try NumpyArrayFile.parse(vector, path: "x.npy").values == [1, 2, 3])
        let empty = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (0, 1099511627776), }", data: [])
        #expect(try NumpyArrayFile.parse(empty, path: "x.npy") == NumpyArray(shape: [0, 1 << 40], values: []))
    }

    @Test("Messages quote at most 80 characters of the header, escaped")
    func headerExcerpts() throws {
        let long = npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) " + String(repeating: "\u{7}", count: 5_000), data: [])
        let message = try problem(long)
        #expect(message.hasPrefix("malformed .npy header: expected ',' or '}', found '\\x07' in {'descr': '<f4', 'fortran_order': False, 'shape': (1,) \\x07"))
        #expect(message.hasSuffix("..."))
        #expect(message.count < 200)
    }
}

extension NumpyDataType {
    /// The binary16 bits of a Float that is exactly a small integer (test
    /// data only).
    static func halfBits(_ value: Float) -> UInt16 {
        guard value != 0 else { return 0 }
        let exponent = Int(value.exponent)
        let mantissa = UInt16((value / Float(sign: .plus, exponent: exponent, significand: 1) - 1) * 1024)
        return UInt16(exponent + 15) << 10 | mantissa
    }
}
