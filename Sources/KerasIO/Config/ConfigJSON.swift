import Foundation

/// A model config's JSON, parsed in one linear pass into a flat list of
/// nodes, and read from there without building a tree.
///
/// Why not `JSONDecoder` or `JSONSerialization`: a config comes from the
/// file, so it may be hostile, and reading it must stay linear and bounded
/// and every complaint must be a plain sentence. Decoding through `Codable`
/// went over the layers twice (three times for Functional models, once
/// more as an untyped tree) and reported `DecodingError`s (`Expected to
/// decode Dictionary<String, Any> but found number instead`, coding paths);
/// `JSONSerialization`, used on `--config` files only to find
/// `keras_version`, built a tree of `NSDictionary`s several times the size of
/// the text. For a `--config` of 100,000 Dense layers (7 MB) that was 14% and
/// 38% of a debug build's 3.5 s of CPU, and 630 MB of memory.
///
/// This parser keeps 16 bytes per value, refuses nesting deeper than
/// `ConfigLimits.maximumNesting` (it keeps its own stack, so depth costs no
/// recursion), keeps each number's text (so `2**63 - 1` is reported exactly,
/// not as the nearest double), and reads the document the way Python's
/// `json.loads` (which Keras uses) does: `NaN`, `Infinity` and `-Infinity`
/// are numbers, and of duplicate keys the last one counts. It is lenient
/// where Python is strict but harmless: a byte-order mark is skipped, and raw
/// control characters inside strings are kept (names holding them are
/// refused later, and messages escape them).
final class ConfigJSON {
    enum Kind: UInt8 { case null, bool, number, string, array, object }

    struct Node {
        var kind: Kind
        /// string: holds escapes; bool: its value; number: written as an integer (no fraction or exponent).
        var flag: Bool
        /// Byte offset of a scalar's text (a string's, inside the quotes); a container's opening bracket.
        var start: UInt32
        /// Byte length of a scalar's text; the element count of an array, the member count of an object.
        var length: UInt32
        /// Index of the first node after this one's subtree: an object's members are
        /// key, value, key, value..., each value's `end` pointing at the next key.
        var end: UInt32
    }

    /// Why the text is not JSON, and where.
    struct SyntaxError: Error {
        let reason: String
        let offset: Int
    }

    /// The text and the nodes, in buffers owned by this object: reading them
    /// through pointers keeps lookups cheap even in an unoptimized build
    /// (where every `Array` subscript and `for` loop is a generic call).
    let bytes: UnsafeMutablePointer<UInt8>
    let byteCount: Int
    let nodes: UnsafeMutablePointer<Node>
    let nodeCount: Int

    /// Parses `text`; the root is `root`.
    ///
    /// - Throws: `SyntaxError` for text that is not JSON, nests deeper than
    ///   `ConfigLimits.maximumNesting`, or is longer than `ConfigLimits.maximumConfigBytes`.
    init(text: String) throws {
        let size = text.utf8.count
        guard size <= ConfigLimits.maximumConfigBytes else {
            throw SyntaxError(
                reason: "it is \(size) bytes, more than kerasio's limit of \(ConfigLimits.maximumConfigBytes) for a config",
                offset: -1)
        }
        var bytes = Array(text.utf8)
        // Python's json.loads refuses a byte-order mark; editors add one, and it is harmless.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { bytes.removeFirst(3) }
        let parsed = try bytes.withUnsafeBufferPointer { buffer in
            var parser = ConfigJSONParser(p: buffer.baseAddress, n: buffer.count)
            defer { parser.open.deallocate() }
            do {
                try parser.run()
            } catch {
                parser.nodes.deallocate()
                throw error
            }
            return (parser.nodes, parser.count)
        }
        byteCount = bytes.count
        self.bytes = .allocate(capacity: max(bytes.count, 1))
        self.bytes.initialize(from: bytes, count: bytes.count)
        nodes = parsed.0
        nodeCount = parsed.1
    }

    deinit {
        bytes.deallocate()
        nodes.deallocate()
    }

    var root: Value { Value(document: self, index: 0) }
}

extension ConfigJSON {
    /// One value of the document: a position in `nodes`.
    ///
    /// Values are only used while their document is alive (`ModelConfig`
    /// reads everything it keeps into its own types), so they hold it
    /// `unowned(unsafe)`: no reference counting on every copy of a value.
    struct Value {
        unowned(unsafe) let document: ConfigJSON
        let index: Int

        var node: Node { document.nodes[index] }
        var kind: Kind { node.kind }
        var isNull: Bool { node.kind == .null }

        /// The value of `key` in an object (the last one if the key repeats, as
        /// in Python), nil if absent or if this is not an object.
        func member(_ key: StaticString) -> Value? {
            let nodes = document.nodes, bytes = document.bytes
            let object = nodes[index]
            guard object.kind == .object else { return nil }
            let wanted = key.utf8Start, length = key.utf8CodeUnitCount
            var found = -1
            var keyIndex = index + 1
            var remaining = Int(object.length)
            while remaining > 0 {
                let k = nodes[keyIndex]
                if Int(k.length) == length, !k.flag {
                    if memcmp(bytes + Int(k.start), wanted, length) == 0 { found = keyIndex + 1 }
                } else if k.flag, Value(document: document, index: keyIndex).string == key.description {
                    found = keyIndex + 1
                }
                keyIndex = Int(nodes[keyIndex + 1].end)
                remaining -= 1
            }
            return found < 0 ? nil : Value(document: document, index: found)
        }

        /// True if an object has `key`, whatever its value.
        func has(_ key: StaticString) -> Bool { member(key) != nil }

        /// An array's elements, in order; empty for anything else.
        var elements: [Value] {
            let nodes = document.nodes
            let array = nodes[index]
            guard array.kind == .array else { return [] }
            var result: [Value] = []
            result.reserveCapacity(Int(array.length))
            var i = index + 1
            var remaining = Int(array.length)
            while remaining > 0 {
                result.append(Value(document: document, index: i))
                i = Int(nodes[i].end)
                remaining -= 1
            }
            return result
        }

        /// An array's first element, if any.
        var first: Value? {
            let array = document.nodes[index]
            return array.kind == .array && array.length > 0 ? Value(document: document, index: index + 1) : nil
        }

        /// An object's member values in order; empty for anything else.
        var memberValues: [Value] {
            let nodes = document.nodes
            let object = nodes[index]
            guard object.kind == .object else { return [] }
            var result: [Value] = []
            var i = index + 1
            var remaining = Int(object.length)
            while remaining > 0 {
                result.append(Value(document: document, index: i + 1))
                i = Int(nodes[i + 1].end)
                remaining -= 1
            }
            return result
        }

        /// An object's keys and values in order; empty for anything else.
        var members: [(key: String, value: Value)] {
            let nodes = document.nodes
            let object = nodes[index]
            guard object.kind == .object else { return [] }
            var result: [(key: String, value: Value)] = []
            var i = index + 1
            var remaining = Int(object.length)
            while remaining > 0 {
                result.append((Value(document: document, index: i).string ?? "", Value(document: document, index: i + 1)))
                i = Int(nodes[i + 1].end)
                remaining -= 1
            }
            return result
        }

        /// The element or member count of a container, else 0.
        var count: Int {
            let n = node
            return n.kind == .array || n.kind == .object ? Int(n.length) : 0
        }

        /// A string's text, escapes resolved; nil for anything else.
        var string: String? {
            let n = node
            guard n.kind == .string else { return nil }
            let slice = UnsafeBufferPointer(start: document.bytes + Int(n.start), count: Int(n.length))
            return n.flag ? ConfigJSON.unescape(slice) : String(decoding: slice, as: UTF8.self)
        }

        /// A boolean's value; nil for anything else.
        var bool: Bool? {
            let n = node
            return n.kind == .bool ? n.flag : nil
        }

        /// A number's text as written (`12`, `1e300`, `NaN`).
        var numberText: String? {
            let n = node
            guard n.kind == .number else { return nil }
            return String(decoding: UnsafeBufferPointer(start: document.bytes + Int(n.start), count: Int(n.length)), as: UTF8.self)
        }

        /// A number as a double (`1e999` is infinity, as in Python); nil for anything else.
        var double: Double? {
            guard let text = numberText else { return nil }
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: return Double(text)
            }
        }

        /// What an integer option gets from this value.
        enum IntegerReading: Equatable {
            case value(Int)
            /// An integer too large for 64 bits (or a whole double beyond 2^63).
            case outOfRange
            /// A number with a fraction, NaN or infinite; or not a number at all.
            case notAnInteger
        }

        /// A number read as an integer: `12` and `12.0` are 12 (tf.keras calls
        /// `int()` on sizes); `12.5`, `NaN` and non-numbers are not integers;
        /// digits beyond 64 bits are out of range rather than a trap.
        var integer: IntegerReading {
            let n = node
            guard n.kind == .number else { return .notAnInteger }
            if n.flag {
                let digits = document.bytes + Int(n.start)
                let negative = digits[0] == 0x2D
                var result = 0
                var i = negative ? 1 : 0
                while i < Int(n.length) {
                    let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(Int(digits[i] - 0x30))
                    if overflow1 || overflow2 { return .outOfRange }
                    result = sum
                    i += 1
                }
                return .value(negative ? -result : result)
            }
            guard let d = double, !d.isNaN else { return .notAnInteger }
            guard d.isFinite else { return .outOfRange }
            guard d == d.rounded(.towardZero) else { return .notAnInteger }
            guard abs(d) < 0x1p63 else { return .outOfRange }
            return .value(Int(d))
        }

        /// A number written with a minus sign.
        var isNegative: Bool { numberText?.hasPrefix("-") ?? false }

        /// How a message describes what was found here: `null`, `true`, the
        /// number as written, `a string 'x'`, `an array`, `an object`.
        var found: String {
            switch kind {
            case .null: return "null"
            case .bool: return node.flag ? "true" : "false"
            case .number: return PrintableText.escaped(numberText ?? "", limit: 40)
            case .string: return "a string \(ConfigText.quoted(string ?? "", limit: 40))"
            case .array: return count == 0 ? "an empty array" : "an array"
            case .object: return "an object"
            }
        }
    }

    /// A string's text with JSON escapes resolved; a lone surrogate (which
    /// Python allows) becomes U+FFFD.
    static func unescape(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for k in 0..<4 {
                guard let digit = hexValue(bytes[at + k]) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        func append(_ scalar: Unicode.Scalar) { out.append(contentsOf: Array(String(scalar).utf8)) }
        while i < bytes.count {
            let c = bytes[i]
            guard c == 0x5C, i + 1 < bytes.count else {
                out.append(c)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard let unit = hex4(i) else { continue }
                i += 4
                if (0xD800..<0xDC00).contains(unit), i + 6 <= bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75,
                   let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    i += 6
                    append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}")
                } else {
                    append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@inline(__always) private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}

/// The one pass over the bytes. A struct with mutating methods rather than
/// closures, so that even in a debug build no state lives in a closure box
/// with dynamic exclusivity checks (which made the first version 3x slower);
/// containers are tracked on an explicit stack, so nesting costs no recursion.
private struct ConfigJSONParser {
    typealias Node = ConfigJSON.Node
    let p: UnsafePointer<UInt8>?
    let n: Int
    var i = 0
    /// The nodes, written straight into a buffer: JSON needs at least two
    /// bytes per value after the first (a container's brackets, a string's
    /// quotes, a number or literal and the separator after it), so `n / 2 + 2`
    /// always suffices; `add` checks all the same. Untouched pages cost nothing.
    let nodes: UnsafeMutablePointer<Node>
    let capacity: Int
    var count = 0
    /// The open containers' node indices; never deeper than `maximumNesting`.
    let open: UnsafeMutablePointer<Int>
    var depth = 0

    init(p: UnsafePointer<UInt8>?, n: Int) {
        self.p = p
        self.n = n
        capacity = n / 2 + 2
        nodes = .allocate(capacity: capacity)
        open = .allocate(capacity: ConfigLimits.maximumNesting)
    }

    mutating func add(_ node: Node) throws {
        guard count < capacity else { throw fail("too many values") }
        (nodes + count).initialize(to: node)
        count += 1
    }

    func fail(_ reason: String) -> ConfigJSON.SyntaxError { ConfigJSON.SyntaxError(reason: reason, offset: i) }

    mutating func skipSpace(_ p: UnsafePointer<UInt8>) {
        // Most JSON has no or one space between tokens.
        if i < n, p[i] > 0x20 { return }
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    /// The string whose opening quote is at `i`; appends its node.
    mutating func string(_ p: UnsafePointer<UInt8>) throws {
        i += 1
        let start = i
        // Fast path, which every Keras-written key and name takes: C's memchr
        // finds the closing quote, and no backslash comes before it.
        if let quote = memchr(p + i, 0x22, n - i) {
            let end = UnsafePointer<UInt8>(quote.assumingMemoryBound(to: UInt8.self)) - p
            if memchr(p + i, 0x5C, end - i) == nil {
                i = end + 1
                try add(Node(kind: .string, flag: false, start: UInt32(start), length: UInt32(end - start), end: UInt32(count + 1)))
                return
            }
        }
        while i < n {
            let c = p[i]
            if c == 0x22 {
                try add(Node(kind: .string, flag: true, start: UInt32(start), length: UInt32(i - start), end: UInt32(count + 1)))
                i += 1
                return
            }
            if c == 0x5C {
                guard i + 1 < n else { break }
                switch p[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 5 < n, hexValue(p[i + 2]) != nil, hexValue(p[i + 3]) != nil,
                          hexValue(p[i + 4]) != nil, hexValue(p[i + 5]) != nil else { throw fail("a string has a bad \\u escape") }
                    i += 6
                default: throw fail("a string has an unknown escape")
                }
                continue
            }
            i += 1
        }
        throw fail("a string is not closed")
    }

    mutating func literal(_ p: UnsafePointer<UInt8>, _ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        let w = word.utf8Start
        guard i + count <= n else { throw fail("unexpected text") }
        for k in 0..<count where p[i + k] != w[k] { throw fail("unexpected text") }
        i += count
    }

    mutating func digits(_ p: UnsafePointer<UInt8>) -> Int {
        let start = i
        while i < n, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
        return i - start
    }

    mutating func key(_ p: UnsafePointer<UInt8>) throws {
        skipSpace(p)
        guard i < n, p[i] == 0x22 else { throw fail("an object key (a string) should be here") }
        try string(p)
        skipSpace(p)
        guard i < n, p[i] == 0x3A else { throw fail("':' should follow an object key") }
        i += 1
    }

    mutating func run() throws {
        guard let p, n > 0 else { throw fail("it is empty") }
        while true {
            // A value starts at i.
            skipSpace(p)
            guard i < n else { throw fail("it ends where a value should be") }
            let index = count
            let c = p[i]
            switch c {
            case 0x7B, 0x5B: // { [
                guard depth < ConfigLimits.maximumNesting else {
                    throw fail("arrays and objects nest more than \(ConfigLimits.maximumNesting) deep")
                }
                let isObject = c == 0x7B
                try add(Node(kind: isObject ? .object : .array, flag: false, start: UInt32(i), length: 0, end: 0))
                i += 1
                skipSpace(p)
                if i < n, p[i] == (isObject ? 0x7D : 0x5D) {
                    i += 1
                    nodes[index].end = UInt32(count)
                } else {
                    open[depth] = index
                    depth += 1
                    if isObject { try key(p) }
                    continue
                }
            case 0x22:
                try string(p)
            case 0x74:
                try literal(p, "true")
                try add(Node(kind: .bool, flag: true, start: UInt32(i - 4), length: 4, end: UInt32(index + 1)))
            case 0x66:
                try literal(p, "false")
                try add(Node(kind: .bool, flag: false, start: UInt32(i - 5), length: 5, end: UInt32(index + 1)))
            case 0x6E:
                try literal(p, "null")
                try add(Node(kind: .null, flag: false, start: UInt32(i - 4), length: 4, end: UInt32(index + 1)))
            case 0x4E:
                try literal(p, "NaN")
                try add(Node(kind: .number, flag: false, start: UInt32(i - 3), length: 3, end: UInt32(index + 1)))
            case 0x49, 0x2D, 0x30...0x39:
                let start = i
                var integer = true
                if c == 0x2D { i += 1 }
                if i < n, p[i] == 0x49 {
                    try literal(p, "Infinity")
                    integer = false
                } else {
                    guard i < n, p[i] >= 0x30, p[i] <= 0x39 else { throw fail("a number has no digits") }
                    if p[i] == 0x30 { i += 1 } else { _ = digits(p) }
                    if i < n, p[i] == 0x2E {
                        i += 1
                        integer = false
                        guard digits(p) > 0 else { throw fail("a number has no digits after '.'") }
                    }
                    if i < n, p[i] == 0x65 || p[i] == 0x45 {
                        i += 1
                        integer = false
                        if i < n, p[i] == 0x2B || p[i] == 0x2D { i += 1 }
                        guard digits(p) > 0 else { throw fail("a number has no exponent digits") }
                    }
                }
                try add(Node(kind: .number, flag: integer, start: UInt32(start), length: UInt32(i - start), end: UInt32(index + 1)))
            default:
                throw fail("unexpected character")
            }
            // After a value: the next element, or close containers.
            while true {
                guard depth > 0 else {
                    skipSpace(p)
                    guard i == n else { throw fail("text follows the JSON value") }
                    return
                }
                let top = open[depth - 1]
                nodes[top].length += 1
                skipSpace(p)
                guard i < n else { throw fail("it ends inside an array or object") }
                let isObject = nodes[top].kind == .object
                if p[i] == 0x2C {
                    i += 1
                    if isObject { try key(p) }
                    break
                }
                guard p[i] == (isObject ? 0x7D : 0x5D) else {
                    throw fail(isObject ? "',' or '}' should follow an object member" : "',' or ']' should follow an array element")
                }
                i += 1
                depth -= 1
                nodes[top].end = UInt32(count)
            }
        }
    }
}
