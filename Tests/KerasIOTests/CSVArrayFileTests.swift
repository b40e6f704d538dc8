import Foundation
import Testing
@testable import KerasIO

private func problem(_ text: String) throws -> String {
    let error = try #require(throws: ArrayFileError.self) { try CSVArrayFile.parse(text, path: "in.csv") }
    #expect(error.file == "in.csv")
    return error.problem
}

/// SplitMix64: reproducible pseudo-random numbers for the tests.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The reader's value for one token, as a field on its own.
private func parsedToken(_ token: String) -> Float? {
    var token = token
    return token.withUTF8 { CSVArrayFile.decimalValue($0) }
}

@Suite("CSV array files")
struct CSVArrayFileTests {
    @Test("Reads rows of comma-separated numbers, with spaces, CRLF, blank lines and a trailing newline")
    func plainTable() throws {
        let table = try CSVArrayFile.parse("1, 2.5 ,-3\r\n\r\n4e2,\t0,  -0.125\r\n\n", path: "in.csv")
        #expect(table.rows == 2)
        #expect(table.columns == 3)
        #expect(table.values == [1, 2.5, -3, 400, 0, -0.125])
        let single = try CSVArrayFile.parse("7", path: "in.csv")
        #expect(single.rows == 1 && single.columns == 1 && single.values == [7])
    }

    @Test("A first row with no numbers is a header and is skipped")
    func header() throws {
        let table = try CSVArrayFile.parse("\u{FEFF}\"x1\",x2,time step\n1,2,3\n4,5,6\n", path: "in.csv")
        #expect(table.rows == 2)
        #expect(table.columns == 3)
        #expect(table.values == [1, 2, 3, 4, 5, 6])
        let headerOnly = try CSVArrayFile.parse("a,b\n", path: "in.csv")
        #expect(headerOnly.rows == 0 && headerOnly.columns == 2 && headerOnly.values.isEmpty)
        let nothing = try CSVArrayFile.parse("\n\n", path: "in.csv")
        #expect(nothing.rows == 0 && nothing.columns == 0)
    }

    @Test("A first row mixing numbers and text is an error, not a header")
    func mixedFirstRow() throws {
        #expect(try problem("1.0,abc\n2,3\n")
            == "row 1, column 2: 'abc' is not a number (a header row may not contain numbers)")
    }

    @Test("Rows of different lengths are refused, naming both rows by line number")
    func raggedRows() throws {
        #expect(try problem("a,b\n1,2\n\n3,4,5\n") == "row 4 has 3 fields, expected 2 like row 1")
        #expect(try problem("1,2\n3\n") == "row 2 has 1 fields, expected 2 like row 1")
    }

    @Test("Non-numeric and empty fields are refused with their row and column")
    func nonNumeric() throws {
        #expect(try problem("x,y\n1,2\nabc,4\n") == "row 3, column 1: 'abc' is not a number")
        #expect(try problem("1,2\n3,abc\n") == "row 2, column 2: 'abc' is not a number")
        #expect(try problem("1,,3\n") == "row 1, column 2: the field is empty")
        #expect(try problem("1,2\n1,0x10\n") == "row 2, column 2: '0x10' is not a number")
        #expect(try problem("1,1e39\n") == "row 1, column 2: 1e39 is beyond the range of Float32")
        #expect(try problem("1;2;3\n4;5;6\n")
            == "row 1, column 1: '1;2;3' is not a number (fields must be separated by commas)")
        let error = try #require(throws: ArrayFileError.self) { try CSVArrayFile.parse("1,2\n3,abc\n", path: "in.csv") }
        #expect(error.localizedDescription == "in.csv: row 2, column 2: 'abc' is not a number")
    }

    @Test("NaN and infinities are written as nan, inf, -inf and read back, in any case")
    func specialValues() throws {
        #expect(CSVArrayFile.format([[.nan, -.nan, .infinity, -.infinity, 0, -0.0]]) == "nan,nan,inf,-inf,0,-0\n")
        let table = try CSVArrayFile.parse("nan,NaN,inf,-Inf,Infinity,-infinity\n", path: "in.csv")
        #expect(table.values[0].isNaN && table.values[1].isNaN)
        #expect(Array(table.values.dropFirst(2)) == [.infinity, -.infinity, .infinity, -.infinity])
    }

    @Test("Nine significant digits round-trip every Float, extremes and random bit patterns")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let extremes: [Float] = [.leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, 0.1, 1 / 3, .ulpOfOne]
        let random = (0..<991).map { _ in Float(bitPattern: UInt32.random(in: .min ... .max, using: &generator)) }
            .filter(\.isFinite)
        let values = extremes + random
        let text = CSVArrayFile.format(values.map { [$0] })
        #expect(CSVArrayFile.formatValue(.leastNonzeroMagnitude) == "1.40129846e-45")
        #expect(CSVArrayFile.formatValue(.greatestFiniteMagnitude) == "3.40282347e+38")
        let table = try CSVArrayFile.parse(text, path: "in.csv")
        #expect(table.rows == values.count && table.columns == 1)
        #expect(table.values.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test("Writes atomically, with an optional header, and reads the file back")
    func writeAndRead() throws {
        let directory = NSTemporaryDirectory() + "kerasio-csv-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.csv"

        try CSVArrayFile.write(rows: [[1, 2], [3, 0.5]], header: ["a", "b"], to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n1,2\n3,0.5\n")
        let table = try CSVArrayFile.read(from: path)
        #expect(table.rows == 2 && table.columns == 2 && table.values == [1, 2, 3, 0.5])

        try CSVArrayFile.write(values: [1, 2, 3, 4, 5, 6], columns: 3, to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "1,2,3\n4,5,6\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.csv"])

        #expect(throws: ArrayFileError(file: path, problem: "cannot write: row 2 has 1 values, expected 2")) {
            try CSVArrayFile.write(rows: [[1, 2], [3]], to: path)
        }
        #expect(throws: ArrayFileError(file: path, problem: "cannot write: the column name '1' is a number or contains a comma, quote or newline")) {
            try CSVArrayFile.write(rows: [[1]], header: ["1"], to: path)
        }
        #expect(throws: ArrayFileError(file: path, problem: "cannot write: 5 values do not fill rows of 2 columns")) {
            try CSVArrayFile.write(values: [1, 2, 3, 4, 5], columns: 2, to: path)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "1,2,3\n4,5,6\n")
    }

    @Test("Reading refuses missing files and bytes that are not UTF-8 text")
    func unreadable() throws {
        let missing = NSTemporaryDirectory() + "kerasio-no-such-\(UUID().uuidString).csv"
        #expect(throws: ArrayFileError(file: missing, problem: "no such file")) { try CSVArrayFile.read(from: missing) }
        let binary = NSTemporaryDirectory() + "kerasio-binary-\(UUID().uuidString).csv"
        try Data([0xFF, 0xFE, 0x00, 0x31]).write(to: URL(fileURLWithPath: binary))
        defer { try? FileManager.default.removeItem(atPath: binary) }
        #expect(throws: ArrayFileError(file: binary, problem: "not a text file: it is not valid UTF-8")) {
            try CSVArrayFile.read(from: binary)
        }
    }
    @Test("Numbers are correctly rounded: the byte parser agrees with Float(String) (strtof) bit for bit")
    func decimalAgreesWithFloatInit() {
        var generator = SeededGenerator(state: 10)
        var tokens: [String] = [
            "0", "-0", "+0", "0.0", "-0.0e5", ".5", "5.", "-.5e-3", "+1E+3", "1e", "1e+", "e5", ".", "-", "+.", "1.2.3",
            "1-2", "--1", "1e5.5", "16777216", "16777217", "16777219", "33554435", "0.1", "1e-45", "7e-46", "7.1e-46",
            "1.4e-45", "2.1e-45", "1.1754943e-38", "1.17549435e-38", "3.4028235e38", "3.40282357e38",
            "3.4028235677973366e38", "3.4028235677973367e38", "340282356779733661637539395458142568448",
            "1e38", "1e39", "1e-50", "123456789012345678901234567890", "0.000000000000000000000000000001234",
            "9007199254740993", "18446744073709551615", "18446744073709551616", "1" + String(repeating: "0", count: 400),
            "0." + String(repeating: "0", count: 400) + "1", String(repeating: "9", count: 300) + "e-300",
        ]
        func format(_ format: String, _ value: Double) -> String { String(format: format, value) }
        for _ in 0..<20_000 {
            let float = Float(bitPattern: UInt32.random(in: 0 ... .max, using: &generator))
            guard float.isFinite else { continue }
            // Shortest forms, kerasio's and numpy's formats, and the exact
            // midpoints between a Float and its neighbour (ties) with their
            // near misses: the cases a fast path gets wrong.
            tokens.append(format("%.9g", Double(float)))
            tokens.append(format("%.18e", Double(float)))
            tokens.append(format("%.3g", Double(float)))
            let midpoint = (Double(float) + Double(float.nextUp)) / 2
            if midpoint.isFinite {
                tokens.append(format("%.120g", midpoint))
                tokens.append(format("%.17g", midpoint))
                tokens.append(format("%.17g", midpoint.nextUp))
                tokens.append(format("%.17g", midpoint.nextDown))
            }
        }
        let alphabet = Array("0123456789.eE+-")
        for _ in 0..<20_000 {
            // Random digit strings, and random strings of number characters.
            let digits = (0..<Int.random(in: 1...24, using: &generator)).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            let point = Int.random(in: 0...digits.count, using: &generator)
            var token = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if Bool.random(using: &generator) { token += "e" + String(Int.random(in: -60...45, using: &generator)) }
            if Bool.random(using: &generator) { token = "-" + token }
            tokens.append(token)
            tokens.append(String((0..<Int.random(in: 1...7, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        var mismatches: [String] = []
        for token in tokens {
            let expected = Float(token)
            let parsed = parsedToken(token)
            if expected?.bitPattern != parsed?.bitPattern { mismatches.append(token) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(tokens.count) differ, e.g. \(mismatches.prefix(5))")
    }

    @Test("Bytes and text read alike; bytes that are not UTF-8 are refused in memory too")
    func bytesAndText() throws {
        let text = "\u{FEFF}a,b\r\n1,2\n\n\"3\", 4e1 \n"
        let fromText = try CSVArrayFile.parse(text, path: "in.csv")
        let fromBytes = try CSVArrayFile.parse(Data(text.utf8), path: "in.csv")
        #expect(fromText.rows == 2 && fromText.columns == 2 && fromText.values == [1, 2, 3, 40])
        #expect(fromBytes.rows == fromText.rows && fromBytes.columns == fromText.columns && fromBytes.values == fromText.values)
        #expect(throws: ArrayFileError(file: "in.csv", problem: "not a text file: it is not valid UTF-8")) {
            try CSVArrayFile.parse(Data([0x31, 0x2C, 0xC0, 0x80]), path: "in.csv")
        }
        let empty = try CSVArrayFile.parse(Data(), path: "in.csv")
        #expect(empty.rows == 0 && empty.columns == 0 && empty.values.isEmpty)
    }

    @Test("Unicode spaces around fields and on blank lines are ignored, as Character and CharacterSet have them")
    func unicodeWhitespace() throws {
        let table = try CSVArrayFile.parse("température,humidité\n\u{A0}1\u{3000}, \"\u{2002}2 \"\n\u{A0}\u{2028}\n3,4\u{85}\n", path: "in.csv")
        #expect(table.rows == 2 && table.columns == 2 && table.values == [1, 2, 3, 4])
        // Line numbers count the blank line.
        #expect(try problem("a,b\n1,2\n\u{3000}\n3,x\n") == "row 4, column 2: 'x' is not a number")
        #expect(try problem("a,b\n1,\u{A0}x\n") == "row 2, column 2: 'x' is not a number")
        // U+FEFF is no space (Foundation counts U+200B as one, and so does the reader).
        #expect(try problem("a,b\n1,\u{FEFF}2\n") == "row 2, column 2: '\\u{feff}2' is not a number")
        #expect(try CSVArrayFile.parse("a,b\n1,\u{200B}2\n", path: "in.csv").values == [1, 2])
    }

    @Test("Quoted fields, the field count before the values, and the limits of Float32")
    func fieldRules() throws {
        let quoted = try CSVArrayFile.parse("\" 1.5 \",\"-2\"\n", path: "in.csv")
        #expect(quoted.values == [1.5, -2])
        #expect(try problem("1,2\n\"a b\",3\n") == "row 2, column 1: 'a b' is not a number")
        #expect(try problem("1,2\n\"\n") == "row 2 has 1 fields, expected 2 like row 1")
        #expect(try problem("1,2\nx,3,4\n") == "row 2 has 3 fields, expected 2 like row 1")
        #expect(try problem("1,2\n3,x,\n") == "row 2 has 3 fields, expected 2 like row 1")
        let extremes = try CSVArrayFile.parse("3.4028235e38,-3.40282347e+38,1e-46,-1e-46,1.4e-45\n", path: "in.csv")
        #expect(extremes.values.map(\.bitPattern)
            == [Float.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0.0, .leastNonzeroMagnitude].map(\.bitPattern))
        #expect(try problem("3.40282357e38\n") == "row 1, column 1: 3.40282357e38 is beyond the range of Float32")
        #expect(try problem("1,-1e400\n") == "row 1, column 2: -1e400 is beyond the range of Float32")
        #expect(try problem("1,2\n3,+nan(1)\n") == "row 2, column 2: '+nan(1)' is not a number")
    }

    @Test("A row of 200,000 columns and a header of as many read without trouble")
    func wideRows() throws {
        let header = (0..<200_000).map { "c\($0)" }.joined(separator: ",")
        let row = [String](repeating: "0.5", count: 200_000).joined(separator: ",")
        let table = try CSVArrayFile.parse(Data((header + "\n" + row + "\n" + row).utf8), path: "in.csv")
        #expect(table.rows == 2 && table.columns == 200_000 && table.values.count == 400_000)
        #expect(table.values.allSatisfy { $0 == 0.5 })
    }
}
