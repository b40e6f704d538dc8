import Foundation
import RNNRuntime
import Testing
@testable import KerasIO

/// Model configs written to hurt: sizes from 2^31 to 2^63 - 1 and beyond,
/// negative and zero sizes, floats and strings where integers belong, names
/// of 100,000 characters or with control characters, JSON nested 100,000
/// deep, wrong types everywhere, 100,000 layers. Each is refused (or read)
/// without a crash, a hang or an allocation from the claimed sizes, with one
/// printable line of at most 300 characters that names the file and the
/// layer or option. The files come from `fixtures/hostile/make_config_reproducers.py`.
@Suite("Hostile model configs are refused in one short line")
struct HostileConfigTests {
    struct Reproducer: Decodable, Sendable, CustomTestStringConvertible {
        /// In fixtures/hostile/config/: a model file, or for `weights` the --config JSON.
        let file: String
        /// A weights-only file (relative to fixtures/) that `file` is the architecture of.
        let weights: String?
        /// Phrases the message must contain.
        let expect: [String]

        var testDescription: String { file }
    }

    struct Manifest: Decodable {
        let reproducers: [Reproducer]
    }

    static let directory = "hostile/config"

    static let reproducers: [Reproducer] = {
        guard let data = FileManager.default.contents(atPath: Fixtures.path("\(directory)/manifest.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.reproducers
    }()

    /// The rules every config message follows.
    static func checkMessage(_ error: KerasIOError, file: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let line = error.errorDescription ?? ""
        #expect(error.file == file, sourceLocation: sourceLocation)
        #expect(line.hasPrefix(file + ": "), sourceLocation: sourceLocation)
        #expect(line.count <= 300, "\(line.count) characters: \(line.prefix(400))", sourceLocation: sourceLocation)
        let unprintable = line.unicodeScalars.filter {
            switch $0.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse: return true
            default: return false
            }
        }
        #expect(unprintable.isEmpty, "non-printable characters in: \(line.debugDescription.prefix(400))", sourceLocation: sourceLocation)
        for leak in ["Expected to decode", "keyed decoding container", "codingPath", "Dictionary<", "CodingKeys", "DecodingError"] {
            #expect(!line.contains(leak), "Swift decoding internals leak: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test("the manifest lists every reproducer, and there are all kinds")
    func manifestIsComplete() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(Self.directory))
        let listed = Set(Self.reproducers.map(\.file))
        #expect(Set(names).subtracting(["manifest.json"]) == listed)
        #expect(Self.reproducers.count >= 60)
        for suffix in [".h5", ".keras", ".json"] {
            #expect(listed.contains { $0.hasSuffix(suffix) }, "a \(suffix) reproducer")
        }
    }

    @Test("each reproducer is refused with one short line naming the file, the layer and the option",
          arguments: reproducers)
    func refused(_ reproducer: Reproducer) throws {
        let path = Fixtures.path("\(Self.directory)/\(reproducer.file)")
        let model = reproducer.weights.map(Fixtures.path) ?? path
        do {
            _ = try KerasModel.load(from: model, architecture: reproducer.weights == nil ? nil : path)
            Issue.record("\(reproducer.file) was accepted")
        } catch let error as KerasIOError {
            Self.checkMessage(error, file: path)
            for phrase in reproducer.expect {
                #expect(error.detail.contains(phrase), "'\(phrase)' not in: \(error.detail)")
            }
        }
    }

    /// A Sequential config of `count` Dense(1) layers on one feature, as Keras 2 writes it.
    static func denseChain(_ count: Int, name: (Int) -> String = { "dense_\($0)" }) -> String {
        var parts: [String] = []
        parts.reserveCapacity(count + 2)
        parts.append(#"{"class_name": "Sequential", "config": {"name": "deep", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 1], "name": "input_1"}}"#)
        for index in 0..<count {
            parts.append(#", {"class_name": "Dense", "config": {"name": "\#(name(index))", "units": 1, "activation": "linear"}}"#)
        }
        parts.append("]}}")
        return parts.joined()
    }

    @Test("100,000 Dense layers are read and built (linear in the layers)")
    func hundredThousandLayers() throws {
        let json = Self.denseChain(100_000)
        func threadCPUSeconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = ContinuousClock.now, startCPU = threadCPUSeconds()
        let config = try ModelConfig.decode(json: json, generation: .keras2, file: "deep.json")
        let decodedCPU = threadCPUSeconds()
        let network = try ModelBuilder.build(config, generation: .keras2, file: "deep.json")
        let elapsed = ContinuousClock.now - start, endCPU = threadCPUSeconds()
        #expect(network.layers.count == 100_000)
        #expect(network.parameterCount == 200_000)
        #expect(network.layers.last?.name == "dense_99999")
        // Measured, not asserted (machines differ); see the report for numbers.
        print("100,000 Dense layers (\(json.utf8.count) bytes): decoded and built in \(elapsed); CPU: "
            + String(format: "%.3f s decoding, %.3f s building", decodedCPU - startCPU, endCPU - decodedCPU))
    }

    @Test("a Functional chain of 20,000 layers is ordered in one pass")
    func longFunctionalChain() throws {
        var parts = [#"{"class_name": "Functional", "config": {"name": "f", "layers": [{"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 1], "name": "in"}, "inbound_nodes": []}"#]
        var previous = "in"
        for index in 0..<20_000 {
            let name = "d\(index)"
            parts.append(#", {"class_name": "Dense", "name": "\#(name)", "config": {"name": "\#(name)", "units": 1}, "inbound_nodes": [[["\#(previous)", 0, 0, {}]]]}"#)
            previous = name
        }
        parts.append(#"], "input_layers": [["in", 0, 0]], "output_layers": [["\#(previous)", 0, 0]]}}"#)
        let config = try ModelConfig.decode(json: parts.joined(), generation: .keras2, file: "f.json")
        #expect(config.computingLayers.count == 20_000)
        #expect(config.computingLayers.last?.name == previous)
    }

    @Test("a 10-million-character layer name is refused without being printed whole")
    func tenMillionCharacterName() throws {
        let json = Self.denseChain(2, name: { $0 == 1 ? String(repeating: "n", count: 10_000_000) : "dense_\($0)" })
        let error = try #require(throws: KerasIOError.self) {
            try ModelConfig.decode(json: json, generation: .keras2, file: "long.json")
        }
        Self.checkMessage(error, file: "long.json")
        #expect(error.detail.contains("layers[2] (Dense): name 'nnnn"))
        #expect(error.detail.contains("10000000 characters"))
    }

    @Test("nesting up to the limit is read, deeper is refused before it can overflow a stack")
    func nesting() throws {
        func config(depth: Int) -> String {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return #"{"class_name": "Sequential", "ignored": \#(deep), "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 2]}}]}}"#
        }
        // The root object, then depth arrays.
        _ = try ModelConfig.decode(json: config(depth: ConfigLimits.maximumNesting - 1), generation: .keras3, file: "ok.json")
        for depth in [ConfigLimits.maximumNesting, 100_000, 1_000_000] {
            let error = try #require(throws: KerasIOError.self) {
                try ModelConfig.decode(json: config(depth: depth), generation: .keras3, file: "deep.json")
            }
            Self.checkMessage(error, file: "deep.json")
            #expect(error.detail.contains("nest more than 512"))
        }
    }

    @Test("a config beyond the size limit is refused before it is parsed")
    func oversized() throws {
        let json = #"{"class_name": "Sequential", "pad": ""# + String(repeating: " ", count: ConfigLimits.maximumConfigBytes) + #""}"#
        let error = try #require(throws: KerasIOError.self) {
            try ModelConfig.decode(json: json, generation: .keras3, file: "big.json")
        }
        Self.checkMessage(error, file: "big.json")
        #expect(error.detail.contains("too large"))
    }

    /// Decodes and builds a small Sequential model around one layer's config.
    static func build(layer: String, batchShape: String = "[null, 4, 2]") throws -> Sequential {
        let json = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": \#(batchShape)}}, \#(layer)]}}"#
        let config = try ModelConfig.decode(json: json, generation: .keras3, file: "m.json")
        return try ModelBuilder.buildSequential(config, generation: .keras3, file: "m.json")
    }

    @Test("sizes at the limits are accepted; one past them is refused")
    func limits() throws {
        let units = ConfigLimits.maximumUnits
        // Dense(2^20) on 2 features: 3 * 2^20 weights, well within the per-layer limit.
        #expect(try Self.build(layer: #"{"class_name": "Dense", "config": {"units": \#(units)}}"#).parameterCount == 3 * units)
        #expect(throws: KerasIOError.self) {
            try Self.build(layer: #"{"class_name": "Dense", "config": {"units": \#(units + 1)}}"#)
        }
        // 2^24 steps of 16 features is 2^28 values per sample: the limit exactly.
        _ = try Self.build(layer: #"{"class_name": "Dropout", "config": {"rate": 0.5}}"#, batchShape: "[null, \(ConfigLimits.maximumAxisLength), 16]")
        let error = try #require(throws: KerasIOError.self) {
            try Self.build(layer: #"{"class_name": "Dropout", "config": {"rate": 0.5}}"#, batchShape: "[null, \(ConfigLimits.maximumAxisLength), 17]")
        }
        #expect(error.detail.contains("values per sample"))
        // A SimpleRNN of 16,384 units on 1 feature: 2^28 + 2 * 2^14 weights, past the limit by its bias and kernel.
        let rnn = try #require(throws: KerasIOError.self) {
            try Self.build(layer: #"{"class_name": "SimpleRNN", "config": {"name": "big", "units": 16384}}"#, batchShape: "[null, 4, 1]")
        }
        #expect(rnn.detail.contains("layer 'big' (SimpleRNN, layers[1])"))
        #expect(rnn.detail.contains("weights per layer"))
        // A layer's output is bounded like the input: Dense(2^20) on 2^24 steps.
        let output = try #require(throws: KerasIOError.self) {
            try Self.build(layer: #"{"class_name": "Dense", "config": {"units": \#(units)}}"#, batchShape: "[null, \(ConfigLimits.maximumAxisLength), 1]")
        }
        #expect(output.detail.contains("its output"))
    }

    @Test("the model's weights are bounded as a whole, before allocating")
    func modelWeightLimit() throws {
        // 300 Dense(1024) on 1024 features: 300 * (1024 * 1024 + 1024) weights, past 2^28 at layer 256.
        var layers = [#"{"class_name": "InputLayer", "config": {"batch_shape": [null, 1024]}}"#]
        for index in 0..<300 { layers.append(#"{"class_name": "Dense", "config": {"name": "d\#(index)", "units": 1024}}"#) }
        let json = #"{"class_name": "Sequential", "config": {"layers": [\#(layers.joined(separator: ", "))]}}"#
        let config = try ModelConfig.decode(json: json, generation: .keras3, file: "wide.json")
        let error = try #require(throws: KerasIOError.self) {
            try ModelBuilder.build(config, generation: .keras3, file: "wide.json")
        }
        Self.checkMessage(error, file: "wide.json")
        #expect(error.detail.contains("layer 'd255' (Dense, layers[256])"))
        #expect(error.detail.contains("the model has more than kerasio's limit of 268435456 weights"))
    }

    @Test("JSON as Python reads it: the last of duplicate keys counts, NaN and Infinity are numbers, integral floats are integers")
    func pythonJSON() throws {
        let config = try ModelConfig.decode(
            json: #"""
            {"class_name": "Sequential", "config": {"layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 3.0, 2], "ignored": [NaN, Infinity, -Infinity, 1e999]}},
              {"class_name": "Dense", "config": {"units": 7, "units": 5, "name": "d\u00e9\u0301", "use_bias": false}}]}}
            """#,
            generation: .keras3, file: "py.json")
        #expect(config.inputShape == [3, 2])
        guard let dense = config.computingLayers.first?.decoded(as: DenseConfig.self) else {
            Issue.record("not a Dense")
            return
        }
        #expect(dense.units == 5)
        #expect(dense.name == "d\u{e9}\u{301}")
        #expect(!dense.useBias)
    }

    @Test("unnamed layers get Keras's names; two layers of one name are refused, as Keras does")
    func names() throws {
        let config = try ModelConfig.decode(
            json: #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3]}}, {"class_name": "Dense", "config": {"units": 1}}, {"class_name": "Dropout", "config": {"rate": 0}}]}}"#,
            generation: .keras2, file: "n.json")
        #expect(config.layers.map(\.name) == ["dense", "dense_1", "dropout"])
        let error = try #require(throws: KerasIOError.self) {
            try ModelConfig.decode(
                json: #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2, "name": "x", "batch_input_shape": [null, 3]}}, {"class_name": "Dropout", "config": {"rate": 0, "name": "x"}}]}}"#,
                generation: .keras2, file: "n.json")
        }
        #expect(error.detail == "layer 'x' (Dropout, layers[1]): layers[0] has the same name; Keras requires unique layer names")
    }

    @Test("messages are plain sentences for each kind of mistake",
          arguments: [
            (#"{"class_name": "Dense", "config": {"units": "12"}}"#, "layer 'dense' (Dense, layers[1]): units must be an integer from 1 to 1048576, found a string '12'"),
            (#"{"class_name": "Dense", "config": {"units": -3}}"#, "layer 'dense' (Dense, layers[1]): units must be at least 1, found -3"),
            (#"{"class_name": "Dense", "config": {"units": 9223372036854775807}}"#, "layer 'dense' (Dense, layers[1]): units=9223372036854775807 is more than kerasio's limit of 1048576"),
            (#"{"class_name": "Dense", "config": {"units": 1e300}}"#, "layer 'dense' (Dense, layers[1]): units=1e300 is more than kerasio's limit of 1048576"),
            (#"{"class_name": "Dense", "config": {"units": 2, "use_bias": 1}}"#, "layer 'dense' (Dense, layers[1]): use_bias must be true or false, found 1"),
            (#"{"class_name": "Dropout", "config": {"rate": 1.5}}"#, "layer 'dropout' (Dropout, layers[1]): rate must be from 0 to 1, found 1.5"),
            (#"{"class_name": "Dropout", "config": {}}"#, "layer 'dropout' (Dropout, layers[1]): has no rate (a number from 0 to 1)"),
            (#"{"class_name": "Conv2D", "config": {"name": "conv2d"}}"#, "layer 'conv2d' (layers[1]): unsupported layer class Conv2D; kerasio supports \(LayerConfig.supportedClasses.count) layer classes (`kerasio layers` lists them)"),
            (#"{"class_name": "LSTM", "config": {"name": "lstm"}}"#, "layer 'lstm' (LSTM, layers[1]): has no units"),
            (#"{"class_name": "GRU", "config": {"units": 2, "stateful": true}}"#, "layer 'gru' (GRU, layers[1]): stateful=True needs the batch size fixed in the input shape (batch_shape), as Keras requires"),
            (#"{"class_name": "LSTM", "config": {"units": 2, "implementation": 3}}"#, "layer 'lstm' (LSTM, layers[1]): implementation=3; Keras's LSTM has implementations 1 and 2"),
            (#"{"class_name": "Dense"}"#, "layers[1] (Dense): has no config"),
            (#"[1]"#, "layers[1]: must be an object with class_name and config, found an array"),
          ])
    func messages(_ layer: String, _ expected: String) throws {
        let error = try #require(throws: KerasIOError.self) { try Self.build(layer: layer) }
        #expect(error.detail == expected)
        Self.checkMessage(error, file: "m.json")
    }

    @Test("JSON syntax errors say what and where")
    func syntax() throws {
        let error = try #require(throws: KerasIOError.self) {
            try ModelConfig.decode(json: "{\"class_name\": \"Sequential\",\n \"config\": {\"layers\": [01]}}", generation: .keras3, file: "s.json")
        }
        #expect(error.detail == "the model config is not valid JSON: ',' or ']' should follow an array element (line 2, column 25)")
    }
}


/// The config parser itself: what it reads back is what was written, and
/// no damaged text makes it crash.
@Suite("The config JSON parser")
struct ConfigJSONTests {
    /// A JSON value written by the test, to compare with what the parser reads back.
    indirect enum Tree: Equatable {
        case null, bool(Bool), integer(Int), string(String), array([Tree]), object([(String, Tree)])

        static func == (a: Tree, b: Tree) -> Bool {
            switch (a, b) {
            case (.null, .null): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.integer(let x), .integer(let y)): return x == y
            case (.string(let x), .string(let y)): return x == y
            case (.array(let x), .array(let y)): return x == y
            case (.object(let x), .object(let y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            default: return false
            }
        }

        var json: String {
            switch self {
            case .null: return "null"
            case .bool(let value): return value ? "true" : "false"
            case .integer(let value): return String(value)
            case .string(let value): return Self.quote(value)
            case .array(let values): return "[" + values.map(\.json).joined(separator: ", ") + "]"
            case .object(let members): return "{" + members.map { Self.quote($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
            }
        }

        static func quote(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\u{8}": out += "\\b"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                case _ where scalar.value > 0xFFFF:
                    let v = scalar.value - 0x10000
                    out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                case "é": out += "\\u00e9"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }

        init(_ value: ConfigJSON.Value) {
            switch value.kind {
            case .null: self = .null
            case .bool: self = .bool(value.bool!)
            case .number:
                guard case .value(let integer) = value.integer else { self = .null; return }
                self = .integer(integer)
            case .string: self = .string(value.string!)
            case .array: self = .array(value.elements.map(Tree.init))
            case .object:
                // Keys are read back through `members` order and `memberValues`.
                var keys: [String] = []
                var index = value.index + 1
                for _ in 0..<value.count {
                    keys.append(ConfigJSON.Value(document: value.document, index: index).string!)
                    index = Int(value.document.nodes[index + 1].end)
                }
                self = .object(Array(zip(keys, value.memberValues.map(Tree.init))))
            }
        }
    }

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomTree(_ random: inout Generator, depth: Int) -> Tree {
        let pieces = ["a", "é", "\"", "\\", "\n", "\u{1}", "😀", "keras", "\u{8}", " "]
        switch Int.random(in: 0..<(depth > 6 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int.random(in: Int.min...Int.max, using: &random) >> Int.random(in: 0..<64, using: &random))
        case 3, 4: return .string((0..<Int.random(in: 0..<6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        case 5: return .array((0..<Int.random(in: 0..<5, using: &random)).map { _ in randomTree(&random, depth: depth + 1) })
        default:
            return .object((0..<Int.random(in: 0..<5, using: &random)).map { i in ("k\(i)", randomTree(&random, depth: depth + 1)) })
        }
    }

    @Test("random documents read back exactly, escapes and surrogate pairs included")
    func roundTrip() throws {
        var random = Generator(state: 42)
        for _ in 0..<500 {
            let tree = Self.randomTree(&random, depth: 0)
            let document = try ConfigJSON(text: tree.json)
            #expect(Tree(document.root) == tree, "\(tree.json)")
        }
    }

    @Test("every truncation of a real config is refused as invalid JSON, never a crash")
    func truncations() throws {
        let text = try String(contentsOfFile: Fixtures.path("keras3/sunspots.json"), encoding: .utf8)
        _ = try ConfigJSON(text: text)
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count - 1 {
            let prefix = String(decoding: bytes[..<length], as: UTF8.self)
            #expect(throws: ConfigJSON.SyntaxError.self, "cut at \(length)") { try ConfigJSON(text: prefix) }
        }
    }

    @Test("what Python's json refuses is refused", arguments: [
        "", " ", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", ".5", "+1", "0x10", "-", "1e", "\"\\x\"",
        "\"\\u12\"", "tru", "nul", "[1 2]", "{1: 2}", "\"open", "[]]", "{}{}", "Nan", "-Inf",
    ])
    func refusals(_ text: String) {
        #expect(throws: ConfigJSON.SyntaxError.self) { try ConfigJSON(text: text) }
    }

    @Test("numbers keep their text and read as integers only when whole and in range")
    func numbers() throws {
        let document = try ConfigJSON(text: "[0, -0, 12, 12.0, 1.2e1, 12.5, 9223372036854775807, 9223372036854775808, -9223372036854775808, 1e999, NaN, -Infinity]")
        let readings = document.root.elements.map(\.integer)
        #expect(readings == [.value(0), .value(0), .value(12), .value(12), .value(12), .notAnInteger, .value(Int.max),
                             .outOfRange, .outOfRange, .outOfRange, .notAnInteger, .outOfRange])
        #expect(document.root.elements.map { $0.numberText ?? "" }.last == "-Infinity")
    }
}
