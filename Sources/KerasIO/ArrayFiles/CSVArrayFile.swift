import Foundation

/// A table of `Float`s as comma-separated text: one sample per row.
///
/// Reading:
/// - Fields are separated by commas only (not semicolons or tabs); spaces
///   and tabs around a field are ignored, and a field may be wrapped in
///   double quotes (`"1.5"`), as spreadsheets export it.
/// - The first non-blank row is a header, and skipped, if none of its
///   fields is a number. A first row that mixes numbers and text is an
///   error rather than a guess: it is more likely a typo than a header.
/// - Blank lines, a trailing newline, CRLF line ends and a UTF-8 byte-order
///   mark are ignored.
/// - Every row must have the same number of fields. Numbers are in decimal
///   notation and parsed straight from their bytes to `Float`, correctly
///   rounded (as `strtof`; hexadecimal and `nan(...)` forms are not
///   numbers); `nan`, `inf`, `-inf`, `infinity` are accepted in any case; a
///   finite number beyond the range of `Float` (`1e999`, however many
///   digits) is an error, not infinity; one too small for `Float` (`1e-50`)
///   is 0.
/// - Errors name the row as its line number in the file (counting header
///   and blank lines, from 1) so that an editor can jump to it, and quote
///   at most 80 characters of a field, escaped (``ArrayFileError``).
/// - Nothing in the file decides an allocation but its size: the values
///   array grows with the numbers actually read (at most one per two bytes
///   of the file), whatever the number of columns or the length of a field.
///
/// Writing uses `%.9g`: nine significant digits, enough for every `Float`
/// to read back bit for bit; NaN and infinities are written `nan`, `inf`,
/// `-inf`.
public enum CSVArrayFile {
    /// Reads the CSV file at `path`.
    ///
    /// - Returns: the number of data rows and columns, and the values in
    ///   row-major order (`values[row * columns + column]`). A file with no
    ///   data rows gives 0 rows and the header's column count (or 0).
    /// - Throws: ``ArrayFileError`` naming `path`, and the row and column.
    public static func read(from path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        try parse(ArrayFileError.contents(of: path), path: path)
    }

    /// Parses the bytes of a CSV file; `path` is only for messages. See
    /// ``read(from:)``. Bytes that are not valid UTF-8 are refused.
    public static func parse(_ data: Data, path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        try data.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            // Numbers are ASCII, so most files are: the full UTF-8 check
            // (which copies the text) runs only when some byte is not.
            var high: UInt8 = 0
            for byte in bytes { high |= byte }
            if high >= 0x80, String(data: data, encoding: .utf8) == nil {
                throw ArrayFileError(file: path, problem: "not a text file: it is not valid UTF-8")
            }
            return try parse(utf8: bytes, path: path)
        }
    }

    /// Parses CSV text; `path` is only for messages. See ``read(from:)``.
    public static func parse(_ text: String, path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        var text = text
        return try text.withUTF8 { try parse(utf8: $0, path: path) }
    }

    /// The parser proper, over valid UTF-8.
    ///
    /// It works on the bytes in place: lines are found with `memchr`,
    /// fields by scanning for commas, and numbers are converted straight
    /// from their bytes (``decimalValue(_:)``), so no `String` is made for a
    /// line or a field except to quote one in an error. Memory is the
    /// values array alone, whatever the shape of the file (millions of
    /// columns on one line, a field of a hundred megabytes).
    ///
    /// The rules are those of the String-based reader it replaced (issue
    /// 10: that one read 2 MB/s): see the type's documentation. Whitespace
    /// is ASCII whitespace, or Unicode whitespace where a field or line
    /// holds other than ASCII, as `Character.isWhitespace` and
    /// `CharacterSet.whitespacesAndNewlines` had it.
    static func parse(utf8 input: UnsafeBufferPointer<UInt8>, path: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        func fail(_ problem: String) -> ArrayFileError { ArrayFileError(file: path, problem: problem) }
        var bytes = input
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {  // A UTF-8 byte-order mark.
            bytes = UnsafeBufferPointer(rebasing: bytes.dropFirst(3))
        }
        guard let base = bytes.baseAddress else { return (0, 0, []) }
        let end = bytes.count

        var values: [Float] = []
        var rows = 0
        var columns: Int?
        var columnsDefinedAt = 0
        var sawFirstRow = false

        func fieldBytes(_ field: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: base + field.lowerBound, count: field.count)
        }
        func text(_ field: Range<Int>) -> String { ArrayFileError.excerpt(utf8: fieldBytes(field)) }
        func usesOtherSeparator(_ field: Range<Int>) -> Bool {
            fieldBytes(field).contains { $0 == semicolon || $0 == tab }
        }
        func commas(in range: Range<Int>) -> Int {
            var count = 0
            for index in range where base[index] == comma { count &+= 1 }
            return count
        }

        var lineStart = 0
        var lineNumber = 0
        // Lines end at "\n" only; a "\r" before it is whitespace of the last
        // field. The text after the last "\n" is a line too (often empty).
        while lineStart <= end {
            lineNumber += 1
            let lineEnd = memchr(base + lineStart, Int32(newline), end - lineStart)
                .map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? end
            let line = lineStart..<lineEnd
            lineStart = lineEnd + 1
            if isBlank(base, line) { continue }

            if !sawFirstRow {
                sawFirstRow = true
                // A header if no field is a number, unless it is numbers
                // joined by ';' or tabs: the loop below reports that with a
                // hint.
                var numeric = false
                var otherSeparator = false
                var fieldCount = 0
                forEachField(base, line) { field in
                    fieldCount += 1
                    // A number beyond Float's range counts as a number: the
                    // row is data, and the error says so.
                    if !numeric { numeric = value(base, field) != .notANumber }
                    if !otherSeparator { otherSeparator = usesOtherSeparator(field) }
                }
                if !numeric && !otherSeparator {
                    columns = fieldCount
                    columnsDefinedAt = lineNumber
                    continue
                }
            }
            if columns == nil {
                columns = commas(in: line) + 1
                columnsDefinedAt = lineNumber
            }
            let expected = columns ?? 0
            // The field count is checked before the values (a row with too
            // few fields and a bad one gets the count's error), but counted
            // as the fields go: only a row with a bad field is scanned twice.
            func wrongCount(_ count: Int) -> ArrayFileError {
                fail("row \(lineNumber) has \(count) fields, expected \(expected) like row \(columnsDefinedAt)")
            }
            var column = 0
            var position = line.lowerBound
            fields: while true {
                column += 1
                let stop: Int
                if let (number, fieldEnd) = plainNumber(base, position, line.upperBound) {
                    values.append(number)
                    stop = fieldEnd
                } else {
                    // Anything else (quotes, text, Unicode spaces, a number
                    // out of range): the general rules.
                    var fieldEnd = position
                    while fieldEnd < line.upperBound && base[fieldEnd] != comma { fieldEnd += 1 }
                    let field = cleaned(base, position..<fieldEnd)
                    let problem: String
                    switch value(base, field) {
                    case .number(let number):
                        values.append(number)
                        if fieldEnd == line.upperBound { break fields }
                        position = fieldEnd + 1
                        continue fields
                    case .outOfRange:
                        problem = "\(text(field)) is beyond the range of Float32"
                    case .notANumber:
                        problem = (field.isEmpty ? "the field is empty" : "'\(text(field))' is not a number")
                            + (usesOtherSeparator(field) ? " (fields must be separated by commas)"
                                // The first row, partly numeric: not taken as a header.
                                : rows == 0 && columnsDefinedAt == lineNumber && !field.isEmpty
                                    ? " (a header row may not contain numbers)" : "")
                    }
                    let count = column + commas(in: fieldEnd..<line.upperBound)
                    if count != expected { throw wrongCount(count) }
                    throw fail("row \(lineNumber), column \(column): \(problem)")
                }
                if stop == line.upperBound { break }
                position = stop + 1
            }
            if column != expected { throw wrongCount(column) }
            rows += 1
        }
        return (rows, columns ?? 0, values)
    }

    private static let newline = UInt8(ascii: "\n")
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let semicolon = UInt8(ascii: ";")
    private static let tab = UInt8(ascii: "\t")
    private static let unicodeSpace = CharacterSet.whitespaces
    private static let unicodeSpaceOrNewline = CharacterSet.whitespacesAndNewlines

    /// True if the line holds only whitespace (`Character.isWhitespace`).
    private static func isBlank(_ base: UnsafePointer<UInt8>, _ line: Range<Int>) -> Bool {
        for index in line where !isASCIIWhitespace(base[index]) {
            guard base[index] >= 0x80 else { return false }
            // Some other byte than ASCII: decide on the whole line's text.
            let text = String(decoding: UnsafeBufferPointer(start: base + line.lowerBound, count: line.count), as: UTF8.self)
            return text.allSatisfy(\.isWhitespace)
        }
        return true
    }

    /// Tab, line feed, vertical tab, form feed, carriage return, space: the
    /// ASCII characters of `CharacterSet.whitespacesAndNewlines`.
    @inline(__always)
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// Calls `body` with each field of `line`, split at commas, without
    /// surrounding whitespace or double quotes (see ``cleanField(_:)``).
    @inline(__always)
    private static func forEachField(_ base: UnsafePointer<UInt8>, _ line: Range<Int>, _ body: (Range<Int>) throws -> Void) rethrows {
        var start = line.lowerBound
        while true {
            var stop = start
            while stop < line.upperBound && base[stop] != comma { stop += 1 }
            try body(cleaned(base, start..<stop))
            if stop == line.upperBound { return }
            start = stop + 1
        }
    }

    /// ``cleanField(_:)`` on bytes: the field without surrounding whitespace
    /// (and newlines), then, if it is wrapped in double quotes, without them
    /// and the spaces and tabs inside them.
    @inline(__always)
    private static func cleaned(_ base: UnsafePointer<UInt8>, _ field: Range<Int>) -> Range<Int> {
        var (start, stop) = (field.lowerBound, field.upperBound)
        trim(base, &start, &stop, orNewlines: true) { isASCIIWhitespace($0) }
        if stop - start >= 2 && base[start] == quote && base[stop - 1] == quote {
            start += 1
            stop -= 1
            trim(base, &start, &stop, orNewlines: false) { $0 == 0x20 || $0 == 0x09 }
        }
        return start..<stop
    }

    /// Moves `start` and `stop` past whitespace: ASCII bytes for which
    /// `isSpace` holds, and other characters in `CharacterSet.whitespaces`,
    /// or `.whitespacesAndNewlines` if `orNewlines`.
    @inline(__always)
    private static func trim(
        _ base: UnsafePointer<UInt8>, _ start: inout Int, _ stop: inout Int, orNewlines: Bool,
        _ isSpace: (UInt8) -> Bool
    ) {
        // Made only for a field that starts or ends with other than ASCII.
        func isUnicodeSpace(_ scalar: Unicode.Scalar) -> Bool {
            (orNewlines ? unicodeSpaceOrNewline : unicodeSpace).contains(scalar)
        }
        while start < stop {
            if isSpace(base[start]) { start += 1; continue }
            guard base[start] >= 0x80, let (scalar, length) = scalar(base, at: start, before: stop),
                  isUnicodeSpace(scalar) else { break }
            start += length
        }
        while start < stop {
            if isSpace(base[stop - 1]) { stop -= 1; continue }
            guard base[stop - 1] >= 0x80 else { break }
            // Back to the first byte of the last character.
            var first = stop - 1
            while first > start && base[first] & 0xC0 == 0x80 && stop - first < 4 { first -= 1 }
            guard let (scalar, length) = scalar(base, at: first, before: stop), first + length == stop,
                  isUnicodeSpace(scalar) else { break }
            stop = first
        }
    }

    /// The Unicode scalar whose UTF-8 encoding starts at `index`, and its
    /// length in bytes; nil if the bytes there are not one.
    private static func scalar(_ base: UnsafePointer<UInt8>, at index: Int, before stop: Int) -> (Unicode.Scalar, Int)? {
        var iterator = UnsafeBufferPointer(start: base + index, count: min(4, stop - index)).makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        return (scalar, UTF8.width(scalar))
    }

    // MARK: - Numbers

    /// What a field holds.
    enum FieldValue: Equatable {
        /// A number: decimal notation, correctly rounded to `Float`, or
        /// `nan`, `inf`, `infinity` with an optional sign, in any case.
        case number(Float)
        /// Decimal notation for a finite number beyond the range of `Float`
        /// (as `1e39`): an error rather than infinity. A number too small
        /// for `Float` (`1e-50`) is 0, as `Float("1e-50")` is.
        case outOfRange
        case notANumber
    }

    /// The value of the (cleaned) field `field`.
    @inline(__always)
    static func value(_ base: UnsafePointer<UInt8>, _ field: Range<Int>) -> FieldValue {
        let token = UnsafeBufferPointer(start: base + field.lowerBound, count: field.count)
        if let special = specialValue(token) { return .number(special) }
        guard let value = decimalValue(token) else { return .notANumber }
        return value.isInfinite ? .outOfRange : .number(value)
    }

    /// `nan`, `inf` or `infinity`, with an optional sign, in any case (a
    /// NaN is always the positive quiet NaN).
    @inline(__always)
    private static func specialValue(_ token: UnsafeBufferPointer<UInt8>) -> Float? {
        guard var first = token.first else { return nil }
        var word = token[...]
        var negative = false
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            word = word.dropFirst()
            first = word.first ?? 0
        }
        // Numbers start with a digit or '.': the common case ends here.
        guard first >= UInt8(ascii: "A"), word.count == 3 || word.count == 8 else { return nil }
        // The word's bytes, ASCII letters in lower case (`| 0x20` maps no
        // other byte to a lower-case letter), as one integer.
        var key: UInt64 = 0
        for byte in word { key = key << 8 | UInt64(byte | 0x20) }
        switch key {
        case 0x6E_61_6E: return .nan  // "nan"
        case 0x69_6E_66, 0x69_6E_66_69_6E_69_74_79: return negative ? -.infinity : .infinity  // "inf", "infinity"
        default: return nil
        }
    }

    /// 10ᵉ for 0 ≤ e ≤ 22: exact as `Double`s (5²² < 2⁵³). A switch
    /// rather than a global array: no lazy initialisation on the hot path.
    @inline(__always)
    private static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// 10⁻ᵏ for 0 ≤ k ≤ 22, correctly rounded (the compiler rounds
    /// literals correctly; only 10⁰ is exact). Multiplying by it is faster
    /// than dividing by 10ᵏ, at the cost of one more rounding.
    @inline(__always)
    private static func inversePowerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: return 1e-0
        case 1: return 1e-1
        case 2: return 1e-2
        case 3: return 1e-3
        case 4: return 1e-4
        case 5: return 1e-5
        case 6: return 1e-6
        case 7: return 1e-7
        case 8: return 1e-8
        case 9: return 1e-9
        case 10: return 1e-10
        case 11: return 1e-11
        case 12: return 1e-12
        case 13: return 1e-13
        case 14: return 1e-14
        case 15: return 1e-15
        case 16: return 1e-16
        case 17: return 1e-17
        case 18: return 1e-18
        case 19: return 1e-19
        case 20: return 1e-20
        case 21: return 1e-21
        default: return 1e-22
        }
    }

    /// The value of 8 ASCII digits at `pointer`, or nil if they are not all
    /// digits: the digits are combined in pairs, fours, then eights within
    /// one 64-bit word (as simdjson and fast_float do).
    @inline(__always)
    private static func eightDigits(_ pointer: UnsafePointer<UInt8>) -> UInt64? {
        let chunk = UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
        // Every byte 0x30...0x39: high nibble 3, and adding 6 does not carry
        // into the high nibble.
        let high = chunk & 0xF0F0_F0F0_F0F0_F0F0
        let carry = (chunk &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0
        guard high | (carry >> 4) == 0x3333_3333_3333_3333 else { return nil }
        var value = chunk &- 0x3030_3030_3030_3030
        value = value &* 10 &+ (value >> 8)  // Pairs, in bytes 0, 2, 4, 6.
        let low = (value & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
        let highPairs = ((value >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))
        return (low &+ highPairs) >> 32
    }

    /// The value of a token in decimal notation, correctly rounded to the
    /// nearest `Float` (ties to even), or nil if it is not one. Decimal
    /// notation is exactly what `strtof` reads, in full, from the characters
    /// `0-9 + - . e E`: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
    /// Hexadecimal and `nan(...)` forms are not numbers here.
    ///
    /// Fast path: the first 19 significant digits make an integer w < 2⁶⁴
    /// and the value is w·10ᵉ. For |e| ≤ 44, d = Double(w) times one or
    /// two powers of ten is within a relative 5·2⁻⁵³ of it: at most five
    /// roundings of 2⁻⁵³ each (w to Double, two powers 10⁻ᵏ, two products;
    /// 10ᵏ for k ≤ 22 is exact), plus under 10⁻¹⁸ for digits beyond the
    /// 19th. As |d| < 2⁵³ units in its last place, that is under 5.01
    /// units. Rounding d to `Float` drops the low 29 bits of its
    /// significand (when d is in the range of normal Floats); that gives
    /// the correctly rounded result of the exact value too unless d is
    /// within 8 units of the halfway point 2²⁸ of the dropped bits, where
    /// the exact value could round the other way. Such tokens (about 1 in
    /// 30 million, or an exact tie such as `16777217`), and tokens out of
    /// the fast path's range (subnormal results, |e| > 44, overflow), go to
    /// `strtof` as a short normalized copy (see ``slowDecimalValue(_:)``).
    static func decimalValue(_ token: UnsafeBufferPointer<UInt8>) -> Float? {
        guard let base = token.baseAddress,
              let (value, stop) = scanDecimal(base, 0, token.count), stop == token.count else { return nil }
        return value
    }

    /// A field that is a number in decimal notation, with nothing around it
    /// but spaces and tabs before and ASCII whitespace after: the common
    /// case, read in one pass. Returns the value and the index of the comma
    /// or line end after the field, or nil for anything else (which the
    /// general rules then decide, with the same result for these fields).
    @inline(__always)
    private static func plainNumber(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (Float, Int)? {
        var index = start
        while index < end && (base[index] == 0x20 || base[index] == 0x09) { index += 1 }
        guard let (value, stop) = scanDecimal(base, index, end), value.isFinite else { return nil }
        index = stop
        while index < end && isASCIIWhitespace(base[index]) { index += 1 }
        guard index == end || base[index] == comma else { return nil }
        return (value, index)
    }

    /// The longest prefix of `base[start..<end]` in decimal notation (see
    /// ``decimalValue(_:)``): its value and where it stops; nil if there
    /// is none.
    @inline(__always)
    private static func scanDecimal(_ token: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> (Float, Int)? {
        var i = start
        var negative = false
        if i < n && (token[i] == UInt8(ascii: "+") || token[i] == UInt8(ascii: "-")) {
            negative = token[i] == UInt8(ascii: "-")
            i += 1
        }
        var significand: UInt64 = 0
        var kept = 0  // Significant digits in `significand`, at most 19.
        var exponent = 0
        var digits = 0
        while i < n, case let digit = token[i] &- UInt8(ascii: "0"), digit < 10 {
            if kept < 19 {
                if significand != 0 || digit != 0 {
                    significand = significand &* 10 &+ UInt64(digit)
                    kept += 1
                }
            } else {
                exponent += 1
            }
            digits += 1
            i += 1
        }
        if i < n && token[i] == UInt8(ascii: ".") {
            i += 1
            // Three loops: digits up to the first significant one, then
            // eight at a time (as long as they fit in the 19 kept), then
            // one at a time.
            while significand == 0, i < n, case let digit = token[i] &- UInt8(ascii: "0"), digit < 10 {
                if kept < 19 {
                    if digit != 0 {
                        significand = UInt64(digit)
                        kept = 1
                    }
                    exponent -= 1
                }
                digits += 1
                i += 1
            }
            while kept <= 11 && n - i >= 8, let eight = eightDigits(token + i) {
                significand = significand &* 100_000_000 &+ eight
                kept += 8
                exponent -= 8
                digits += 8
                i += 8
            }
            while i < n, case let digit = token[i] &- UInt8(ascii: "0"), digit < 10 {
                if kept < 19 {
                    if significand != 0 || digit != 0 {
                        significand = significand &* 10 &+ UInt64(digit)
                        kept += 1
                    }
                    exponent -= 1
                }
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        let mantissaEnd = i
        if i < n && (token[i] == UInt8(ascii: "e") || token[i] == UInt8(ascii: "E")) {
            i += 1
            var exponentNegative = false
            if i < n && (token[i] == UInt8(ascii: "+") || token[i] == UInt8(ascii: "-")) {
                exponentNegative = token[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            var written = 0
            while i < n, case let digit = token[i] &- UInt8(ascii: "0"), digit < 10 {
                // Saturates: beyond 10⁹ the value is 0 or out of range anyway.
                if written < 1_000_000_000 { written = written * 10 + Int(digit) }
                i += 1
            }
            if i > exponentStart {
                exponent += exponentNegative ? -written : written
            } else {
                // "1e", "1e+": the number is the part before the 'e'.
                i = mantissaEnd
            }
        }
        if significand == 0 { return (negative ? -0.0 : 0.0, i) }

        if exponent >= -44 && exponent <= 44 {
            var approximation = Double(significand)
            if exponent >= 0 {
                if exponent > 22 { approximation *= 1e22 }
                approximation *= exactPowerOfTen(exponent > 22 ? exponent - 22 : exponent)
            } else {
                if exponent < -22 { approximation *= 1e-22 }
                approximation *= inversePowerOfTen(exponent < -22 ? -exponent - 22 : -exponent)
            }
            let bits = approximation.bitPattern
            let binaryExponent = Int(bits >> 52) - 1023  // approximation > 0
            if binaryExponent >= -126 && binaryExponent <= 127 {
                let dropped = bits & 0x1FFF_FFFF
                let fromHalfway = dropped > 0x1000_0000 ? dropped - 0x1000_0000 : 0x1000_0000 - dropped
                if fromHalfway > 8 {
                    // Infinity here is a finite number beyond the range
                    // of Float: the caller refuses it.
                    let result = Float(approximation)
                    return (negative ? -result : result, i)
                }
            }
        }
        return slowDecimalValue(UnsafeBufferPointer(start: token + start, count: i - start)).map { ($0, i) }
    }

    /// `strtof` on a normalized copy of a decimal-notation token: its sign,
    /// its first 200 significant digits, a `1` if any later digit is not 0,
    /// then `e` and the exponent (clamped to ±999,999). The copy has the
    /// same correctly rounded Float (a Float midpoint has at most 112
    /// significant digits, so the extra `1` only stands for "a little more"
    /// and never moves the value across one), is at most 220 bytes whatever
    /// the token's length, so it lives on the stack and `strtof`'s time is
    /// bounded, and holds no decimal point, so the C locale does not matter.
    private static func slowDecimalValue(_ token: UnsafeBufferPointer<UInt8>) -> Float? {
        let capacity = 224
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer -> Float? in
            var length = 0
            func put(_ byte: UInt8) {
                buffer[length] = CChar(bitPattern: byte)
                length += 1
            }
            var kept = 0
            var sticky = false
            var exponent = 0  // Of the last kept digit.
            var seenPoint = false
            var index = 0
            if token.first == UInt8(ascii: "-") { put(UInt8(ascii: "-")) }
            if token.first == UInt8(ascii: "-") || token.first == UInt8(ascii: "+") { index = 1 }
            while index < token.count {
                let byte = token[index]
                index += 1
                if byte == UInt8(ascii: ".") { seenPoint = true; continue }
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { break }
                if kept == 0 && byte == UInt8(ascii: "0") {
                    if seenPoint { exponent -= 1 }
                    continue
                }
                if kept < 200 {
                    put(byte)
                    kept += 1
                    if seenPoint { exponent -= 1 }
                } else {
                    sticky = sticky || byte != UInt8(ascii: "0")
                    if !seenPoint { exponent += 1 }
                }
            }
            if kept == 0 { return 0 }  // Not reached: decimalValue handles zero.
            if sticky {
                put(UInt8(ascii: "1"))
                exponent -= 1
            }
            // The written exponent, after the 'e' that stopped the loop.
            if index <= token.count, index > 0, token[index - 1] | 0x20 == UInt8(ascii: "e") {
                var negative = false
                if index < token.count && (token[index] == UInt8(ascii: "+") || token[index] == UInt8(ascii: "-")) {
                    negative = token[index] == UInt8(ascii: "-")
                    index += 1
                }
                var written = 0
                while index < token.count, case let digit = token[index] &- UInt8(ascii: "0"), digit < 10 {
                    if written < 1_000_000_000 { written = written * 10 + Int(digit) }
                    index += 1
                }
                exponent += negative ? -written : written
            }
            exponent = min(max(exponent, -999_999), 999_999)
            put(UInt8(ascii: "e"))
            for byte in String(exponent).utf8 { put(byte) }
            put(0)
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtof(buffer.baseAddress!, &stop)
            guard stop == buffer.baseAddress! + (length - 1) else { return nil }
            return value
        }
    }

    /// The table as CSV text: one line per row, fields joined by commas,
    /// each value as `%.9g`, ending with a newline; `""` for no rows.
    public static func format(_ rows: [[Float]]) -> String {
        rows.map { row in row.map(formatValue).joined(separator: ",") + "\n" }.joined()
    }

    /// Writes `rows` to `path` atomically (see `AtomicFileWriter`), with an
    /// optional header line of column names first.
    ///
    /// - Throws: ``ArrayFileError`` if the rows differ in length, the header
    ///   does not match them or would not read back as a header, or the file
    ///   cannot be written.
    public static func write(rows: [[Float]], header: [String]? = nil, to path: String) throws {
        func fail(_ problem: String) -> ArrayFileError { ArrayFileError(file: path, problem: "cannot write: " + problem) }
        let columns = header?.count ?? rows.first?.count ?? 0
        if let index = rows.firstIndex(where: { $0.count != columns }) {
            throw fail("row \(index + 1) has \(rows[index].count) values, expected \(columns)")
        }
        var text = ""
        if let header {
            if let name = header.first(where: { $0.contains(where: { ",\"\r\n".contains($0) }) || number(from: cleanField(Substring($0))) != nil }) {
                throw fail("the column name '\(name)' is a number or contains a comma, quote or newline")
            }
            text = header.joined(separator: ",") + "\n"
        }
        text += format(rows)
        try AtomicFileWriter.write(Data(text.utf8), to: path)
    }

    /// Writes `values`, row-major with `columns` per row, to `path`; see
    /// ``write(rows:header:to:)``.
    public static func write(values: [Float], columns: Int, header: [String]? = nil, to path: String) throws {
        guard columns > 0, values.count % columns == 0 else {
            throw ArrayFileError(
                file: path, problem: "cannot write: \(values.count) values do not fill rows of \(columns) columns")
        }
        let rows = stride(from: 0, to: values.count, by: columns).map { Array(values[$0..<($0 + columns)]) }
        try write(rows: rows, header: header, to: path)
    }

    // MARK: - Fields

    /// `%.9g` for finite values, `nan`, `inf`, `-inf` otherwise (glibc
    /// would print a negative NaN as `-nan`).
    static func formatValue(_ value: Float) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.9g", Double(value))
    }

    /// A field without surrounding whitespace, carriage return or quotes.
    static func cleanField(_ field: Substring) -> String {
        var trimmed = field.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") {
            trimmed = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        return trimmed
    }

    /// The field's value, parsed straight to `Float`, or nil if it is not
    /// a number. NaN and infinities are recognised in any case; a finite
    /// number beyond the range of `Float` gives infinity here (the reader
    /// refuses it).
    static func number(from field: String) -> Float? {
        var field = field
        return field.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return nil }
            switch value(base, 0..<bytes.count) {
            case .number(let value): return value
            case .outOfRange: return decimalValue(bytes)
            case .notANumber: return nil
            }
        }
    }
}
