import Foundation
import Testing
@testable import KerasIO
import TestSupport

/// The Keras-made files in `fixtures/` and their manifest, which the
/// checked-in generator (`fixtures/generate.py`) writes.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures")

    static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let dir: String
        let model: String
        let input: String
        let expected: String
        let kerasVersion: String
        let stringEncoding: String
        let layers: [String]
        let activations: [String]?
        /// "legacy-h5", "keras", "keras-weights-h5", "legacy-weights-h5".
        let format: String?
        /// For weights-only files: the architecture file to use with it.
        let config: String?
        /// The input array's dtype ("float32", or "int32" ids for Embedding).
        var inputDtype: String? = nil
        /// A stateful model: `expected` is one pass over consecutive batches
        /// of `fixedBatchSize` from zero states.
        var stateful: Bool? = nil
        var fixedBatchSize: Int? = nil
        /// Keras 3 sequence-layer entries: the same model saved as a `.keras` archive.
        var modelKeras: String? = nil

        enum CodingKeys: String, CodingKey {
            case name, dir, model, input, expected, layers, activations, format, config, stateful
            case kerasVersion = "keras_version", stringEncoding = "string_encoding"
            case inputDtype = "input_dtype", fixedBatchSize = "fixed_batch_size", modelKeras = "model_keras"
        }

        var testDescription: String { "\(dir)/\(name)" }

        /// The same entry with its paths (relative to a sub-manifest) made relative to `fixtures/`.
        func under(_ prefix: String) -> Entry {
            Entry(
                name: name, dir: "\(prefix)/\(dir)", model: "\(prefix)/\(model)", input: "\(prefix)/\(input)",
                expected: "\(prefix)/\(expected)", kerasVersion: kerasVersion, stringEncoding: stringEncoding,
                layers: layers, activations: activations, format: format, config: config.map { "\(prefix)/\($0)" },
                inputDtype: inputDtype, stateful: stateful, fixedBatchSize: fixedBatchSize,
                modelKeras: modelKeras.map { "\(prefix)/\($0)" })
        }
    }

    struct BadEntry: Decodable, Sendable {
        let file: String
        let problem: String
        /// Set for files kerasio once refused and now reads (the issue that made them work).
        var nowSupported: String? = nil

        enum CodingKeys: String, CodingKey {
            case file, problem
            case nowSupported = "now_supported"
        }
    }

    struct Manifest: Decodable, Sendable {
        let fixtures: [Entry]
        let bad: [BadEntry]

        init(fixtures: [Entry], bad: [BadEntry]) {
            self.fixtures = fixtures
            self.bad = bad
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fixtures = try c.decodeIfPresent([Entry].self, forKey: .fixtures) ?? []
            bad = try c.decodeIfPresent([BadEntry].self, forKey: .bad) ?? []
        }

        enum CodingKeys: String, CodingKey { case fixtures, bad }
    }

    /// `manifest.json` (generate.py) and `formats_manifest.json` (generate_formats.py) together.
    static let manifest: Manifest? = {
        var fixtures: [Entry] = [], bad: [BadEntry] = []
        for name in ["manifest.json", "formats_manifest.json"] {
            guard let data = FileManager.default.contents(atPath: path(name)) else { continue }
            guard let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return nil }
            fixtures += part.fixtures
            bad += part.bad
        }
        return Manifest(fixtures: fixtures, bad: bad)
    }()

    static var all: [Entry] { manifest?.fixtures ?? [] }

    /// The LSTM and GRU fixtures (`generate_recurrent.py`), paths relative to `fixtures/`.
    static let recurrent: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("recurrent/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("recurrent") }
    }()

    /// The sequence-layer fixtures (`generate_sequence_layers.py`: Masking,
    /// Embedding, Bidirectional, TimeDistributed, stateful, activation and
    /// identity layers), paths relative to `fixtures/`.
    static let sequenceLayers: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("sequence_layers/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("sequence_layers") }
    }()

    /// The BatchNormalization and LayerNormalization fixtures
    /// (`generate_norm_layers.py`), paths relative to `fixtures/`.
    static let normLayers: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("norm_layers/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("norm_layers") }
    }()

    /// The Conv1D and 1D pooling fixtures (`generate_conv_layers.py`), paths relative to `fixtures/`.
    static let convLayers: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("conv_layers/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("conv_layers") }
    }()

    /// The reshaping-layer fixtures (`generate_shape_layers.py`: Flatten,
    /// Reshape, Permute, RepeatVector, Cropping1D, ZeroPadding1D,
    /// UpSampling1D), paths relative to `fixtures/`.
    static let shapeLayers: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("shape_layers/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("shape_layers") }
    }()

    /// LSTM and SimpleRNN with 8 to 32 units (`generate_wide_recurrent.py`),
    /// paths relative to `fixtures/`.
    static let wideRecurrent: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("wide_recurrent/manifest.json")),
              let part = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return part.fixtures.map { $0.under("wide_recurrent") }
    }()

    static func entry(_ dir: String, _ name: String) throws -> Entry {
        try #require(all.first { $0.dir == dir && $0.name == name }, "fixture \(dir)/\(name) is in the manifest")
    }

    /// Loads the fixture's model as the manifest gives it (with its
    /// architecture file for weights-only formats), predicts its input and
    /// compares with Keras's prediction: the model and the disagreement, if any.
    static func predictAndCompare(_ fixture: Entry, tolerance: Float) throws -> (model: KerasModel, mismatch: String?) {
        let model = try KerasModel.load(from: path(fixture.model), architecture: fixture.config.map(path))
        if let format = fixture.format { #expect(model.format.rawValue == format, "format told by content") }
        let input = try array(fixture.input)
        let expected = try array(fixture.expected)
        let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: fixture.input)
        let output = try model.predict(batch)
        let mismatch = Agreement.mismatch(
            output.scalars, shape: output.shape, expected: expected.values, expectedShape: expected.shape,
            tolerance: tolerance, what: "prediction")
        return (model, mismatch)
    }

    static func array(_ relative: String) throws -> NumpyArray {
        try NumpyArrayFile.read(from: path(relative))
    }
}
