import Foundation

/// Who wrote a config: the generation decides formulas that changed between
/// Keras 2 and Keras 3 (`hard_sigmoid`) and the keys each one expects.
public enum KerasGeneration: Int, Sendable, Equatable, Comparable {
    case keras2 = 2
    case keras3 = 3

    /// The generation of a `keras_version` string such as "3.15.1" or "2.2.4".
    public init?(version: String) {
        guard let major = version.split(separator: ".").first.flatMap({ Int($0) }) else { return nil }
        self = major >= 3 ? .keras3 : .keras2
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An error raised while reading a config: `detail` is the whole sentence
/// the user sees after the file name, already naming the layer and option.
struct ConfigProblem: Error {
    let kind: KerasIOError.Kind
    let detail: String
    /// For a layer whose class kerasio does not know: the class and where
    /// the layer is, so a model's unknown classes are named together.
    var unsupportedClass: (className: String, place: String)? = nil

    init(kind: KerasIOError.Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    init(_ kind: KerasIOError.Kind, at place: ConfigPlace, _ text: String) {
        self.kind = kind
        detail = "\(place): \(text)"
    }

    /// The longest detail a config message keeps; with the file name it stays
    /// within about 300 characters. Messages are written to be shorter; this
    /// only catches the worst case (several long quoted strings in one line).
    static let maximumDetail = 220

    /// The `KerasIOError` for `file`: one printable line, bounded.
    func error(file: String) -> KerasIOError {
        KerasIOError(kind, file: file, PrintableText.oneLine(detail, limit: Self.maximumDetail))
    }

    /// What ends a message about unknown classes: the list itself is too
    /// long for one short line, so it says where to find it.
    static var supportedClassesNote: String {
        "; kerasio supports \(LayerConfig.supportedClasses.count) layer classes (`kerasio layers` lists them)"
    }

    /// One problem naming every unknown class of a model, in order.
    static func unsupportedClasses(_ problems: [ConfigProblem]) -> ConfigProblem {
        guard problems.count > 1 else { return problems[0] }
        let named = problems.compactMap { $0.unsupportedClass }.map {
            "\(ConfigText.identifier($0.className)) (\($0.place)\($0.className == "Lambda" ? ", Python code" : ""))"
        }
        var problem = ConfigProblem(
            kind: .unsupportedLayer,
            detail: "unsupported layer classes \(named.joined(separator: ", "))\(supportedClassesNote)")
        problem.unsupportedClass = problems[0].unsupportedClass
        return problem
    }
}

/// Where in a config a problem is, as messages name it: a layer by name,
/// class and position in the config's `layers` list, or the model itself.
struct ConfigPlace: CustomStringConvertible, Sendable, Equatable {
    /// Position in the config's `layers` list; nil for the model itself.
    var index: Int?
    var className: String?
    var name: String?

    static let model = ConfigPlace(index: nil, className: nil, name: nil)

    static func layer(_ index: Int, className: String? = nil, name: String? = nil) -> ConfigPlace {
        ConfigPlace(index: index, className: className, name: name)
    }

    var description: String {
        guard let index else { return "the model config" }
        let position = "layers[\(index)]"
        let classPart = className.map { ConfigText.identifier($0, limit: 40) }
        if let name {
            return "layer \(ConfigText.quoted(name)) (\([classPart, position].compactMap { $0 }.joined(separator: ", ")))"
        }
        return classPart.map { "\(position) (\($0))" } ?? position
    }
}

/// How messages show text from a config.
enum ConfigText {
    /// `text` in quotes, non-printable characters escaped (`PrintableText`), at
    /// most `limit` printed characters between the quotes, so a string of
    /// escape characters cannot grow fourfold.
    static func quoted(_ text: some StringProtocol, limit: Int = 60) -> String {
        "'" + PrintableText.escaped(String(text), limit: limit) + "'"
    }

    /// Class, activation and dtype names: as they are when they look like an
    /// identifier (`LSTM`, `keras.layers.Dense`), else quoted and escaped.
    static func identifier(_ text: String, limit: Int = 60) -> String {
        let plain = !text.isEmpty && text.utf8.count <= limit && text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x2E
        }
        return plain ? text : quoted(text, limit: limit)
    }

    /// Up to `shown` names quoted, then how many more: `'a', 'b', 'c' and 97 more`.
    static func names(_ names: [String], shown: Int = 3) -> String {
        let listed = names.prefix(shown).map { quoted($0, limit: 40) }.joined(separator: ", ")
        return names.count > shown ? "\(listed) and \(names.count - shown) more" : listed
    }

    /// A shape as Keras prints it, `(None, 12, 1)`.
    static func shape(_ shape: ConfigShape) -> String {
        "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
    }
}

/// A per-sample or batch shape from a config: a list of integers or nulls.
public typealias ConfigShape = [Int?]

/// The options of one config object (a layer's `config`, the model's), read
/// with Keras's defaults for absent keys and a plain message for anything
/// else: which layer, which option, what was expected, what was found.
///
/// JSON null counts as absent where Keras writes null for "the default"
/// (`activation: null` is linear, `dtype: null` the default policy).
struct ConfigFields {
    let object: ConfigJSON.Value
    var place: ConfigPlace

    /// The value of `key`, nil if absent or null.
    func value(_ key: StaticString) -> ConfigJSON.Value? {
        guard let value = object.member(key), !value.isNull else { return nil }
        return value
    }

    func has(_ key: StaticString) -> Bool { object.has(key) }

    func problem(_ kind: KerasIOError.Kind, _ text: String) -> ConfigProblem {
        ConfigProblem(kind, at: place, text)
    }

    /// A config that is not what Keras writes (`invalidConfig`).
    func problem(_ text: String) -> ConfigProblem {
        ConfigProblem(.invalidConfig, at: place, text)
    }

    func bool(_ key: StaticString, default fallback: Bool) throws -> Bool {
        guard let value = value(key) else { return fallback }
        guard let bool = value.bool else { throw problem("\(key) must be true or false, found \(value.found)") }
        return bool
    }

    /// A fraction such as a dropout rate: a number in [0, 1].
    func rate(_ key: StaticString, default fallback: Float?) throws -> Float {
        guard let value = value(key) else {
            guard let fallback else { throw problem("has no \(key) (a number from 0 to 1)") }
            return fallback
        }
        guard let rate = value.double else { throw problem("\(key) must be a number from 0 to 1, found \(value.found)") }
        guard (0...1).contains(rate) else { throw problem("\(key) must be from 0 to 1, found \(value.found)") }
        return Float(rate)
    }

    /// A required size such as `units`: an integer from 1 to `limit`.
    /// Keras refuses zero and negative sizes; above `limit` is kerasio's bound.
    func size(_ key: StaticString, limit: Int) throws -> Int {
        guard let value = value(key) else {
            throw problem(object.has(key) ? "\(key) is null; it must be an integer from 1 to \(limit)" : "has no \(key)")
        }
        switch value.integer {
        case .value(let size) where size >= 1 && size <= limit:
            return size
        case .value(let size) where size < 1:
            throw problem("\(key) must be at least 1, found \(size)")
        case .outOfRange where value.isNegative:
            throw problem("\(key) must be at least 1, found \(value.found)")
        case .value, .outOfRange:
            throw problem(.unsupportedOption, "\(key)=\(value.found) is more than kerasio's limit of \(limit)")
        case .notAnInteger:
            throw problem("\(key) must be an integer from 1 to \(limit), found \(value.found)")
        }
    }

    /// An optional integer option that kerasio only compares (`lora_rank`).
    func optionalInteger(_ key: StaticString) throws -> Int? {
        guard let value = value(key) else { return nil }
        switch value.integer {
        case .value(let integer): return integer
        case .outOfRange: throw problem(.unsupportedOption, "\(key)=\(value.found) is out of range")
        case .notAnInteger: throw problem("\(key) must be an integer, found \(value.found)")
        }
    }

    func string(_ key: StaticString) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw problem("\(key) must be a string, found \(value.found)") }
        return string
    }

    /// `name`: nil when absent or empty (Keras then makes one up). Names with
    /// characters that do not print as they are (control, format, line
    /// separators) or longer than `ConfigLimits.maximumNameLength` are
    /// refused: no Keras model has them, and every later message and summary
    /// naming the layer would carry them.
    func name() throws -> String? {
        guard let name = try string("name"), !name.isEmpty else { return nil }
        try ConfigFields.checkName(name, at: place)
        return name
    }

    static func checkName(_ name: String, at place: ConfigPlace) throws {
        // Fast path: short printable ASCII, as every Keras-made name is.
        var text = name
        let plain = text.withUTF8 { utf8 -> Bool in
            guard utf8.count <= ConfigLimits.maximumNameLength, let p = utf8.baseAddress else { return false }
            var i = 0
            while i < utf8.count {
                if p[i] < 0x20 || p[i] >= 0x7F { return false }
                i += 1
            }
            return true
        }
        if plain { return }
        var unnamed = place
        unnamed.name = nil
        let length = name.unicodeScalars.count
        if length > ConfigLimits.maximumNameLength {
            throw ConfigProblem(
                .unsupportedOption, at: unnamed,
                "name \(ConfigText.quoted(name, limit: 40)) is \(length) characters, more than kerasio's limit of \(ConfigLimits.maximumNameLength)")
        }
        // What `PrintableText` would have to escape: control characters, line
        // breaks, and format characters such as U+202E, which reverses the
        // text that follows on a terminal.
        let unprintable = name.unicodeScalars.contains {
            switch $0.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse: return true
            default: return false
            }
        }
        if unprintable {
            throw ConfigProblem(
                .unsupportedOption, at: unnamed,
                "name \(ConfigText.quoted(name)) holds control characters (or others that do not print as they are)")
        }
    }

    /// A batch shape (`batch_shape`, `batch_input_shape`, `build_config`'s
    /// `input_shape`): the batch first, then per-sample axes, each a positive
    /// integer or null, within `ConfigLimits`.
    func shape(_ key: StaticString) throws -> ConfigShape? {
        guard let value = value(key) else { return nil }
        return try ConfigFields.shape(value, key: key, at: place)
    }

    static func shape(_ value: ConfigJSON.Value, key: StaticString, at place: ConfigPlace) throws -> ConfigShape {
        func problem(_ kind: KerasIOError.Kind, _ text: String) -> ConfigProblem {
            ConfigProblem(kind, at: place, text)
        }
        func problem(_ text: String) -> ConfigProblem { ConfigProblem(.invalidConfig, at: place, text) }
        guard value.kind == .array else {
            throw problem("\(key) must be an array of integers or nulls, found \(value.found)")
        }
        let rank = value.count
        guard rank <= ConfigLimits.maximumRank else {
            throw problem(.unsupportedOption, "\(key) has \(rank) axes, more than kerasio's limit of \(ConfigLimits.maximumRank)")
        }
        var shape: ConfigShape = []
        shape.reserveCapacity(rank)
        var elements = 1
        let values = value.elements
        var axis = -1
        while axis + 1 < rank {
            axis += 1
            let element = values[axis]
            if element.isNull {
                shape.append(nil)
                continue
            }
            let role = axis == 0 ? "the batch" : axis == rank - 1 ? "features" : "steps"
            let limit = axis == rank - 1 && axis > 0 ? ConfigLimits.maximumFeatures : ConfigLimits.maximumAxisLength
            switch element.integer {
            case .value(let length) where length >= 1 && length <= limit:
                shape.append(length)
                if axis > 0 {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: length)
                    elements = overflow ? Int.max : product
                }
            case .value(let length) where length < 1:
                throw problem("\(key)[\(axis)] (\(role)) must be at least 1 or null, found \(length)")
            case .outOfRange where element.isNegative:
                throw problem("\(key)[\(axis)] (\(role)) must be at least 1 or null, found \(element.found)")
            case .value, .outOfRange:
                throw problem(
                    .unsupportedOption, "\(key)[\(axis)] (\(role)) is \(element.found), more than kerasio's limit of \(limit)")
            case .notAnInteger:
                throw problem("\(key)[\(axis)] (\(role)) must be a positive integer or null, found \(element.found)")
            }
        }
        if elements > ConfigLimits.maximumSampleElements {
            throw problem(
                .unsupportedOption,
                "\(key) \(ConfigText.shape(shape)) has more than kerasio's limit of \(ConfigLimits.maximumSampleElements) values per sample")
        }
        return shape
    }

    /// `activation` (or another activation key such as `recurrent_activation`):
    /// a string, null (linear) or a serialized function object.
    func activation(_ key: StaticString = "activation", default fallback: String) throws -> ActivationConfig {
        guard let value = value(key) else { return ActivationConfig(name: fallback) }
        switch value.kind {
        case .string:
            return ActivationConfig(name: value.string ?? "")
        case .object:
            let inner = ConfigFields(object: value, place: place)
            if let text = inner.value("config")?.string { return ActivationConfig(name: text) }
            let className = inner.value("class_name")?.string.map { ConfigText.identifier($0) } ?? "an object"
            throw problem(.unsupportedOption, "activation \(className) is not a built-in Keras activation")
        default:
            throw problem("activation must be a name such as \"tanh\", found \(value.found)")
        }
    }

    /// `dtype`: `"float32"` (Keras 2) or `{"class_name": "DTypePolicy",
    /// "config": {"name": "float32"}}` (Keras 3); absent or null is float32.
    func dtype() throws -> DTypePolicy {
        guard let value = value("dtype") else { return DTypePolicy(name: "float32") }
        let policy: DTypePolicy
        switch value.kind {
        case .string:
            policy = DTypePolicy(name: value.string ?? "")
        case .object:
            guard let config = ConfigFields(object: value, place: place).value("config") else {
                policy = DTypePolicy(name: "float32")
                break
            }
            guard config.kind == .object else { throw problem("dtype's config must be an object, found \(config.found)") }
            policy = DTypePolicy(name: try ConfigFields(object: config, place: place).string("name") ?? "float32")
        default:
            throw problem("dtype must be a name such as \"float32\" or a DTypePolicy, found \(value.found)")
        }
        try policy.check(at: place)
        return policy
    }
}

/// A layer's dtype policy. The runtime computes in float32, so policies that
/// compute in half precision or quantize are refused.
struct DTypePolicy: Equatable, Sendable {
    let name: String

    static let supported: Set<String> = ["float32", "float64"]

    func check(at place: ConfigPlace) throws {
        guard DTypePolicy.supported.contains(name) else {
            throw ConfigProblem(
                .unsupportedOption, at: place,
                "dtype policy \(ConfigText.identifier(name, limit: 40)) is not supported; kerasio computes in float32 "
                    + "and supports float32 and float64 models")
        }
    }
}
