import Foundation

/// JSON written with keys in the order given, the way Keras writes configs
/// (Python dicts keep insertion order), so files kerasio writes read like
/// the ones Keras writes.
public indirect enum JSONText: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Float)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    public static func == (lhs: JSONText, rhs: JSONText) -> Bool { lhs.serialized == rhs.serialized }

    /// A shape list with `null` for unknown dimensions.
    /// An object with `members` added at its end (anything else unchanged).
    func appending(_ members: [(String, JSONText)]) -> JSONText {
        guard case .object(let existing) = self else { return self }
        return .object(existing + members)
    }

    static func shape(_ dims: [Int?]) -> JSONText {
        .array(dims.map { $0.map(JSONText.int) ?? .null })
    }

    /// Compact JSON, `", "` and `": "` separated like Python's `json.dumps`.
    var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .float(let value):
            // Shortest text that reads back as the same Float; always with a
            // fraction or exponent, as Python prints floats.
            if value.isNaN { out += "NaN"; return }
            if value.isInfinite { out += value > 0 ? "Infinity" : "-Infinity"; return }
            let text = "\(value)"
            out += text.contains(".") || text.contains("e") ? text : text + ".0"
        case .string(let value): JSONText.writeString(value, into: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += ", " }
                value.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += ", " }
                JSONText.writeString(key, into: &out)
                out += ": "
                value.write(into: &out)
            }
            out += "}"
        }
    }

    /// `value` as a JSON string literal, quotes included (also for the CLI's
    /// hand-assembled `--json` reports).
    public static func quoted(_ value: String) -> String {
        var out = ""
        writeString(value, into: &out)
        return out
    }

    private static func writeString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
