import Foundation
import Testing
@testable import KerasIO

/// The hostile `.npy` and CSV files of issue 10 ("no file makes kerasio
/// crash, hang or exhaust memory"), written by
/// `fixtures/hostile/make_array_reproducers.py` into
/// `fixtures/hostile/arrays/`: `npy_*` and `csv_*` must be refused, `ok_*`
/// read. A reproducer that crashed (stack overflow, a 4.8 GB allocation)
/// would take the whole test run down with it; one that hung would never
/// finish.
enum HostileArrays {
    static let directory = Fixtures.path("hostile/arrays")

    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? []
    static var refused: [String] { files.filter { $0.hasPrefix("npy_") || $0.hasPrefix("csv_") } }
    static var accepted: [String] { files.filter { $0.hasPrefix("ok_") } }

    static func path(_ name: String) -> String { directory + "/" + name }

    /// Reads the file with the reader its extension names.
    static func read(_ path: String) throws -> (shape: [Int], values: [Float]) {
        if path.hasSuffix(".npy") {
            let array = try NumpyArrayFile.read(from: path)
            return (array.shape, array.values)
        }
        let table = try CSVArrayFile.read(from: path)
        return ([table.rows, table.columns], table.values)
    }

    /// The in-memory entry points a fuzzer calls.
    static func parse(_ data: Data, path: String) throws -> (shape: [Int], values: [Float]) {
        if path.hasSuffix(".npy") {
            let array = try NumpyArrayFile.parse(data, path: path)
            return (array.shape, array.values)
        }
        let table = try CSVArrayFile.parse(data, path: path)
        return ([table.rows, table.columns], table.values)
    }

    /// What each refused file's problem must contain.
    static let problems: [String: String] = [
        "npy_deep_parens.npy": "the .npy header is 100084 bytes long; kerasio, like numpy.load, reads headers of at most 10000 bytes",
        "npy_deep_parens_small.npy": "malformed .npy header: brackets nested more than 32 deep in {'descr': '<f4', 'fortran_order': False, 'shape': ((((",
        "npy_deep_brackets.npy": "malformed .npy header: brackets nested more than 32 deep in {'descr': '<f4', 'fortran_order': False, 'shape': [[[[",
        "npy_deep_braces.npy": "malformed .npy header: brackets nested more than 32 deep in {'descr': {'a': {'a':",
        "npy_deep_mixed_closed.npy": "malformed .npy header: brackets nested more than 32 deep",
        "npy_header_length_4gb.npy": "the .npy header is 4294967295 bytes long",
        "npy_huge_header_text.npy": "malformed .npy header: expected ',' or '}', found 'x' in {'descr': '<f4', 'fortran_order': False, 'shape': (1,) xxxxxxxxxxxxxxxxxxxxxxxxx...",
        "npy_control_bytes_header.npy": "found '\\x07' in {'descr': '<f4', 'fortran_order': False, 'shape': (1,) \\x07\\x1b[31mRED\\x00\\xff...",
        "npy_control_bytes_descr.npy": "dtype '\\x07\\x1b[2J\\r\\n\\x00\\x9b' is not supported",
        "npy_control_bytes_key.npy": "malformed .npy header: unexpected key '\\x1b]0;pwned\\x07'",
        "npy_v3_bidi_descr.npy": "dtype '\\u{202e}\\u{fffd}\\u{fffd}4f<' is not supported",
        "npy_long_descr.npy": "dtype '<qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...' is not supported",
        "npy_long_integer.npy": "malformed .npy header: '999999999999999999999999999999...' is not an integer in",
        "npy_zero_size_dtype.npy": "malformed .npy header: dtype '?0' has an invalid size '0' (expected ? or ?1)",
        "npy_plus_size_dtype.npy": "malformed .npy header: dtype '?+0' has an invalid size '+0' (expected ? or ?1)",
        "npy_plus_four_dtype.npy": "malformed .npy header: dtype '<i+4' has an invalid size '+4' (expected i1, i2, i4 or i8)",
        "npy_zero_float_dtype.npy": "malformed .npy header: dtype '<f0' has an invalid size '0' (expected f2, f4 or f8)",
        "npy_empty_size_dtype.npy": "malformed .npy header: dtype '<f' gives no size in bytes (expected f2, f4 or f8)",
        "npy_leading_zero_dtype.npy": "malformed .npy header: dtype '<f04' has an invalid size '04' (expected f2, f4 or f8)",
        "npy_huge_size_dtype.npy": "has an invalid size '99999999999999999999...' (expected f2, f4 or f8)",
        "npy_many_dims.npy": "malformed .npy header: 'shape' has 1000 dimensions; NumPy arrays have at most 64",
        "npy_overflow_shape.npy": "shape (4611686018427387904, 4611686018427387904) is too large",
        "npy_huge_fortran_shape.npy": "truncated data: shape (1099511627776, 1048576) of '<f4' needs 4611686018427387904 bytes of data, the file has 8",
        "npy_billion_bytes.npy": "truncated data: shape (1000000000,) of '|u1' needs 1000000000 bytes of data, the file has 16",
        "npy_truncated_header.npy": "truncated .npy file: the header should be 5000 bytes, the file has only 7 after the preamble",
        "csv_control_bytes.csv": "row 2, column 2: '\\x07\\x1b[2J\\x1b]0;title\\x07' is not a number",
        "csv_nul_bytes.csv": "row 2, column 1: '\\x00\\x00' is not a number",
        "csv_cr_line_ends.csv": "row 1, column 2: '2\\r3' is not a number",
        "csv_bidi_override.csv": "row 3, column 2: 'a\\u{202e}b' is not a number",
        "csv_invalid_utf8.csv": "not a text file: it is not valid UTF-8",
        "csv_long_field.csv": "row 2, column 2: '" + String(repeating: "z", count: 80) + "...' is not a number",
        "csv_long_number.csv": "row 2, column 2: " + String(repeating: "7", count: 80) + "... is beyond the range of Float32",
        "csv_1e999.csv": "row 2, column 2: 1e999 is beyond the range of Float32",
        "csv_huge_exponent.csv": "row 2, column 2: 1e99999999999999999999999999 is beyond the range of Float32",
        "csv_many_columns.csv": "row 2 has 1 fields, expected 100000 like row 1",
        "csv_hex_float.csv": "row 2, column 2: '0x1p3' is not a number",
        "csv_nan_payload.csv": "row 2, column 2: 'nan(0x7fc00001)' is not a number",
    ]

    /// What each accepted file reads as: shape (rows and columns for a
    /// CSV) and values.
    static let contents: [String: (shape: [Int], values: [Float])] = [
        "ok_numpy_save.npy": ([2, 3], [0, 1, 2, 3, 4, 5]),
        "ok_fortran_big_endian.npy": ([2, 3], [1, 2, 3, 4, 5, 6]),
        "ok_long_zero_number.csv": ([1, 2], [1, 0]),
        "ok_long_digits.csv": ([1, 1], [Float(1) / 3]),
        "ok_tiny_exponent.csv": ([1, 2], [1, 0]),
    ]
}

/// One line of printable ASCII, at most 300 characters, starting with the
/// file's path.
private func expectReadable(_ error: ArrayFileError, path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let message = error.errorDescription ?? ""
    #expect(error.file == path, sourceLocation: sourceLocation)
    #expect(message.hasPrefix(path + ": "), sourceLocation: sourceLocation)
    #expect(message.count <= 300, "\(message.count) characters: \(message.prefix(400))", sourceLocation: sourceLocation)
    #expect(message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F },
            "not printable ASCII: \(message.debugDescription.prefix(400))", sourceLocation: sourceLocation)
    #expect(error.problem.count >= 10, "says what is wrong: \(error.problem)", sourceLocation: sourceLocation)
}

@Suite("Hostile .npy and CSV files (issue 10)")
struct HostileArrayFileTests {
    @Test("The reproducers are there, small, and each has its expected problem or contents listed")
    func inventory() throws {
        #expect(HostileArrays.refused.count >= 30, "run fixtures/hostile/make_array_reproducers.py")
        #expect(Set(HostileArrays.refused) == Set(HostileArrays.problems.keys))
        #expect(Set(HostileArrays.accepted).isSuperset(of: HostileArrays.contents.keys))
        var total = 0
        for name in HostileArrays.files {
            let size = try #require(FileManager.default.attributesOfItem(atPath: HostileArrays.path(name))[.size] as? Int)
            #expect(size < 200_000, "\(name) is \(size) bytes")
            total += size
        }
        #expect(total < 1_000_000)
    }

    @Test("Each reproducer is refused, from disk and from memory, with a short printable one-line message naming the file",
          arguments: HostileArrays.refused)
    func refused(_ name: String) throws {
        let path = HostileArrays.path(name)
        let error = try #require(throws: ArrayFileError.self) { try HostileArrays.read(path) }
        expectReadable(error, path: path)
        let expected = try #require(HostileArrays.problems[name], "an expected problem for \(name)")
        #expect(error.problem.contains(expected), "\(error.problem)")

        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let inMemory = try #require(throws: ArrayFileError.self) { try HostileArrays.parse(data, path: path) }
        #expect(inMemory == error)
    }

    @Test("The hostile but valid files, and ordinary ones, still read", arguments: HostileArrays.accepted)
    func accepted(_ name: String) throws {
        let read = try HostileArrays.read(HostileArrays.path(name))
        if let expected = HostileArrays.contents[name] {
            #expect(read.shape == expected.shape)
            #expect(read.values == expected.values)
        }
    }

    @Test("NaN, infinities and underflow in a CSV read as the documented values")
    func specialValues() throws {
        let table = try CSVArrayFile.read(from: HostileArrays.path("ok_special_values.csv"))
        #expect(table.rows == 1 && table.columns == 5)
        #expect(table.values[0].isNaN && table.values[1].isNaN)
        #expect(Array(table.values.dropFirst(2)) == [.infinity, -.infinity, 0])
    }

    @Test("The header parser refuses 100,000 nested brackets of each kind without recursing into them")
    func deepNesting() throws {
        for opening in ["(", "[", "{'a': ", "([{'k': "] {
            var parser = PythonLiteralParser(String(repeating: opening, count: 100_000))
            let error = try #require(throws: PythonLiteralParser.SyntaxError.self) { try parser.parseAll() }
            #expect(error.message == "brackets nested more than 32 deep")
        }
        // 32 levels are fine, 33 are not, closed or not.
        var deepest = PythonLiteralParser(String(repeating: "(", count: 32) + String(repeating: ")", count: 32))
        #expect(try deepest.parseAll() != .none)
        var tooDeep = PythonLiteralParser(String(repeating: "[", count: 33) + String(repeating: "]", count: 33))
        #expect(throws: PythonLiteralParser.SyntaxError.self) { try tooDeep.parseAll() }
    }

    @Test("A device is refused rather than read until memory runs out")
    func device() throws {
        #expect(throws: ArrayFileError(file: "/dev/zero", problem: "is a device, not a file")) {
            try CSVArrayFile.read(from: "/dev/zero")
        }
        #expect(throws: ArrayFileError(file: "/dev/urandom", problem: "is a device, not a file")) {
            try NumpyArrayFile.read(from: "/dev/urandom")
        }
    }

    @Test("A path with control characters is escaped in the message; other characters are kept")
    func pathInMessage() {
        let error = ArrayFileError(file: "dir/a\nb\u{1B}[2J\u{202E}é.csv", problem: "no such file")
        #expect(error.errorDescription == "dir/a\\nb\\x1b[2J\\u{202e}é.csv: no such file")
        #expect(error.file == "dir/a\nb\u{1B}[2J\u{202E}é.csv")
    }

    @Test("Excerpts of file text: escaped, cut at 80 characters with an ellipsis, never inside an escape")
    func excerpts() {
        #expect(ArrayFileError.excerpt("plain text, 'quoted'") == "plain text, 'quoted'")
        #expect(ArrayFileError.excerpt("a\u{0}b\u{7}\t\r\n\\é\u{202E}") == "a\\x00b\\x07\\t\\r\\n\\\\\\xe9\\u{202e}")
        let long = ArrayFileError.excerpt(String(repeating: "x", count: 10_000))
        #expect(long == String(repeating: "x", count: 80) + "...")
        let escapes = ArrayFileError.excerpt(String(repeating: "\u{7}", count: 100))
        #expect(escapes == String(repeating: "\\x07", count: 20) + "...")
        #expect(ArrayFileError.excerpt(String(repeating: "y", count: 80)) == String(repeating: "y", count: 80))
        let bytes: [UInt8] = Array(repeating: UInt8(ascii: "q"), count: 1_000_000)
        let fromBytes = bytes.withUnsafeBufferPointer { ArrayFileError.excerpt(utf8: $0) }
        #expect(fromBytes == String(repeating: "q", count: 80) + "...")
        let invalid: [UInt8] = [0x61, 0xFF, 0xC0, 0x62]
        #expect(invalid.withUnsafeBufferPointer { ArrayFileError.excerpt(utf8: $0) } == "a\\u{fffd}\\u{fffd}b")
    }

    @Test("A header-declared shape allocates nothing until the file is seen to hold its bytes")
    func noAllocationFromShape() throws {
        // 2⁴⁰ one-byte elements with 16 bytes of data, in both orders:
        // refused by the size check, before any array is made.
        for fortran in ["False", "True"] {
            let header = "{'descr': '|u1', 'fortran_order': \(fortran), 'shape': (1048576, 1048576), }"
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0]
            bytes += Array(header.utf8) + Array(repeating: 0, count: 16)
            let error = try #require(throws: ArrayFileError.self) { try NumpyArrayFile.parse(Data(bytes), path: "x.npy") }
            #expect(error.problem == "truncated data: shape (1048576, 1048576) of '|u1' needs 1099511627776 bytes of data, the file has 16")
        }
    }
}
