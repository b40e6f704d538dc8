/// Text taken from a file, made fit to show in a one-line message.
///
/// A hostile file decides the names, keys and headers kerasio quotes back:
/// they may hold control bytes that drive the terminal, newlines that break
/// the one-line promise, or millions of characters. `Quoted` escapes every
/// non-printable character (`\n`, `\x07`, `\u{202E}`), keeps at most
/// `limit` characters with an ellipsis, and wraps the result in quotes.
struct Quoted: CustomStringConvertible, Sendable {
    let text: String
    let limit: Int

    init(_ text: some StringProtocol, limit: Int = 80) {
        self.text = String(text)
        self.limit = limit
    }

    var description: String { "'" + PrintableText.escaped(text, limit: limit) + "'" }
}

/// The one rule every message kerasio shows follows: printable characters
/// only, one line, a bounded length.
public enum PrintableText {
    /// `text` with non-printable characters escaped and cut to at most
    /// `limit` printed characters (an ellipsis marks the cut).
    public static func escaped(_ text: String, limit: Int) -> String {
        cut(text, limit: limit, printing: escape)
    }

    /// A whole message made into one printable line of at most `limit`
    /// characters: line breaks become spaces, other control and format
    /// characters are escaped.
    public static func oneLine(_ text: String, limit: Int = 1_000) -> String {
        cut(text, limit: limit) { $0 == "\n" || $0 == "\r" ? " " : escape($0) }
    }

    /// `text` with each scalar replaced by `printing(scalar)`, cut at the
    /// last whole replacement within `limit` printed characters.
    private static func cut(_ text: String, limit: Int, printing: (Unicode.Scalar) -> String) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let printed = printing(scalar)
            if count + printed.count > limit {
                result += "…"
                break
            }
            result += printed
            count += printed.count
        }
        return result
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
            switch scalar {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default:
                return scalar.value <= 0xFF
                    ? "\\x" + hex(scalar.value, digits: 2)
                    : "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        default:
            return String(scalar)
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
