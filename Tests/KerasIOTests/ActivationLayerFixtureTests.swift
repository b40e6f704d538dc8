import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// The standalone activation layers (Activation, ReLU, LeakyReLU, ELU,
/// Softmax, PReLU) and the layers that are the identity at inference
/// (SpatialDropout1D, GaussianNoise, GaussianDropout, ActivityRegularization)
/// as Keras 3 and tf.keras made them (`fixtures/generate_sequence_layers.py`):
/// read from every file Keras wrote, predicting what Keras did; written in
/// every format kerasio writes and read back to the same predictions; and
/// written with the config keys and values each Keras writes.
@Suite("Activation and identity-at-inference layers match Keras")
struct ActivationLayerFixtureTests {
    static let names: Set<String> = [
        "identity_layers_after_lstm", "activation_relu_after_lstm", "relu_layer_full_after_lstm",
        "relu_layer_max_value_after_lstm", "relu_layer_negative_slope_after_lstm", "leaky_relu_after_lstm",
        "elu_after_lstm", "softmax_after_lstm", "prelu_after_lstm", "prelu_shared_axes_after_lstm",
    ]

    static let entries = Fixtures.sequenceLayers.filter { names.contains($0.name) }

    /// The entries again, read from their `.keras` archives (both generations write one).
    static let archiveEntries: [Fixtures.Entry] = entries.compactMap { entry in
        guard let archive = entry.modelKeras else { return nil }
        return Fixtures.Entry(
            name: entry.name, dir: entry.dir, model: archive, input: entry.input, expected: entry.expected,
            kerasVersion: entry.kerasVersion, stringEncoding: entry.stringEncoding, layers: entry.layers,
            activations: entry.activations, format: KerasFileFormat.kerasArchive.rawValue, config: nil)
    }

    /// The classes this suite is about; their configs are compared key by key.
    static let classes: Set<String> = [
        "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU",
        "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "ActivityRegularization",
    ]

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-activation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the manifest has every case for both generations, and a .keras archive for each")
    func coverage() {
        for dir in ["sequence_layers/keras2", "sequence_layers/keras3"] {
            #expect(Set(Self.entries.filter { $0.dir == dir }.map(\.name)) == Self.names, "\(dir)")
        }
        #expect(Self.archiveEntries.count == 2 * Self.names.count)
        let classes = Set(Self.entries.flatMap(\.layers))
        #expect(Self.classes.isSubset(of: classes))
    }

    @Test("prediction within 1e-5 of Keras from the legacy .h5", arguments: entries)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.generation.rawValue == (fixture.kerasVersion.hasPrefix("2.") ? 2 : 3))
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    @Test("prediction within 1e-5 of Keras from the .keras archive", arguments: archiveEntries)
    func archivePrediction(_ fixture: Fixtures.Entry) throws {
        let (_, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("the options come from the config as each Keras wrote them")
    func optionsDecoded() throws {
        for dir in ["keras2", "keras3"] {
            func layer(_ name: String, at index: Int) throws -> any Layer {
                try KerasModel.load(from: Fixtures.path("sequence_layers/\(dir)/\(name).h5")).network.layers[index]
            }
            #expect(try (layer("relu_layer_full_after_lstm", at: 2) as? ActivationLayer)?.function
                    == .relu(maxValue: 0.4, negativeSlope: 0.1, threshold: 0.15), "\(dir)")
            #expect(try (layer("leaky_relu_after_lstm", at: 2) as? ActivationLayer)?.function == .leakyReLU(negativeSlope: 0.2), "\(dir)")
            #expect(try (layer("elu_after_lstm", at: 2) as? ActivationLayer)?.function == .elu(alpha: 0.5), "\(dir)")
            #expect(try (layer("softmax_after_lstm", at: 2) as? ActivationLayer)?.function == .softmax(axis: -1), "\(dir)")
            #expect(try (layer("activation_relu_after_lstm", at: 2) as? ActivationLayer)?.function == .activation(.relu), "\(dir)")
            let prelu = try #require(try layer("prelu_after_lstm", at: 2) as? PReLU)
            #expect(prelu.alphaShape == [5, 3] && prelu.sharedAxes.isEmpty, "\(dir)")
            let shared = try #require(try layer("prelu_shared_axes_after_lstm", at: 2) as? PReLU)
            #expect(shared.alphaShape == [1, 3] && shared.sharedAxes == [1], "\(dir)")
            #expect(shared.alpha.scalars.contains { $0 != 0 }, "\(dir): alpha read from the file")
            let kinds = try (2...5).map { try (layer("identity_layers_after_lstm", at: $0) as? NoiseLayer)?.kind }
            #expect(kinds == [.spatialDropout1D(rate: 0.3), .gaussianNoise(stddev: 0.1), .gaussianDropout(rate: 0.2),
                              .activityRegularization(l1: 0.01, l2: 0.02)], "\(dir)")
        }
    }

    /// Every format kerasio writes, with the architecture a weights-only file is read with.
    static let outputs: [(file: String, format: KerasFileFormat, keras: KerasGeneration, architecture: String?)] = [
        ("m3.h5", .legacyH5, .keras3, nil), ("m2.h5", .legacyH5, .keras2, nil), ("m.keras", .kerasArchive, .keras3, nil),
        ("m.weights.h5", .kerasWeightsH5, .keras3, "m.keras"), ("w2.h5", .legacyWeightsH5, .keras2, "m2.h5"),
    ]

    @Test("written in every format and read back: same layers, weights and predictions", arguments: entries)
    func roundTrip(_ fixture: Fixtures.Entry) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        for output in Self.outputs {
            let path = directory.appendingPathComponent(output.file).path
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(
                from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
            #expect(copy.format == output.format, "\(output.file)")
            #expect(copy.config.computingLayers.map(\.className) == original.config.computingLayers.map(\.className), "\(output.file)")
            #expect(copy.config.computingLayers == original.config.computingLayers, "\(output.file): every option kept")
            #expect(copy.network.layers.map(\.parameters) == original.network.layers.map(\.parameters), "\(output.file)")
            let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: copy, file: fixture.input)
            let predicted = try copy.predict(batch)
            let mismatch = Agreement.mismatch(
                predicted.scalars, shape: predicted.shape, expected: expected.values, expectedShape: expected.shape,
                tolerance: FixturePredictionTests.tolerance, what: "\(output.file) prediction")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    /// The config members (name, trainable and dtype included) of each layer of `classes` in a model config, by layer name.
    static func layerConfigs(_ json: String) throws -> [String: [String: Any]] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let config = try #require(root["config"] as? [String: Any])
        let layers = try #require(config["layers"] as? [[String: Any]])
        var result: [String: [String: Any]] = [:]
        for layer in layers {
            guard let className = layer["class_name"] as? String, classes.contains(className),
                  let members = layer["config"] as? [String: Any], let name = members["name"] as? String else { continue }
            result[name] = members
        }
        return result
    }

    /// JSON values compared as Keras reads them: numbers as float32 (tf.keras
    /// writes `0.2` as float32's 0.20000000298023224, kerasio as `0.2`), and
    /// without a .keras archive's `shared_object_id`.
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (var a as [String: Any], var b as [String: Any]):
            // The id a .keras archive gives an object it shares (one dtype policy for all layers).
            a["shared_object_id"] = nil
            b["shared_object_id"] = nil
            return Set(a.keys) == Set(b.keys) && a.keys.allSatisfy { same(a[$0]!, b[$0]!) }
        case (let a as [Any], let b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (let a as String, let b as String):
            return a == b
        case (is NSNull, is NSNull):
            return true
        case (let a as NSNumber, let b as NSNumber):
            return Float(a.doubleValue) == Float(b.doubleValue)
        default:
            return false
        }
    }

    @Test("each layer's config has the keys and values the Keras that reads it writes", arguments: entries)
    func writtenConfig(_ fixture: Fixtures.Entry) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try KerasModel.load(from: Fixtures.path(fixture.model))
        let keras: KerasGeneration = fixture.kerasVersion.hasPrefix("2.") ? .keras2 : .keras3
        let path = directory.appendingPathComponent("m.h5").path
        try KerasModelWriter.write(model.network, to: path, format: .legacyH5, keras: keras)
        var pairs = [
            (written: try HDF5File(openingForReading: path).root.stringAttribute("model_config"),
             keras: try HDF5File(openingForReading: Fixtures.path(fixture.model)).root.stringAttribute("model_config"), what: "h5")
        ]
        // kerasio writes .keras archives for Keras 3: compared with Keras 3's own.
        if let archive = fixture.modelKeras, keras == .keras3 {
            let written = directory.appendingPathComponent("m.keras").path
            try KerasModelWriter.write(model.network, to: written, format: .kerasArchive)
            pairs.append((try KerasArchive(readingFrom: written).configJSON,
                          try KerasArchive(readingFrom: Fixtures.path(archive)).configJSON, ".keras"))
        }
        for pair in pairs {
            let written = try Self.layerConfigs(pair.written), kerasMade = try Self.layerConfigs(pair.keras)
            #expect(!kerasMade.isEmpty && Set(written.keys) == Set(kerasMade.keys), "\(pair.what): the same layers")
            for (name, members) in kerasMade {
                let ours = try #require(written[name])
                #expect(Set(ours.keys) == Set(members.keys), "\(pair.what) \(name): keys \(ours.keys.sorted()) vs Keras's \(members.keys.sorted())")
                for (key, value) in members where ours[key] != nil {
                    #expect(Self.same(ours[key]!, value), "\(pair.what) \(name).\(key): \(ours[key]!) vs Keras's \(value)")
                }
            }
        }
    }
}

/// Configs Keras itself would refuse, or that kerasio cannot run as Keras
/// does, made by changing one value of a Keras-written config: each is
/// refused in one short line naming the file, the layer and the option.
@Suite("Bad activation and noise layer configs are refused in one line naming the layer")
struct BadActivationLayerConfigTests {
    /// The `model_config` of a sequence-layer fixture with `old` replaced by `new`.
    static func config(_ fixture: String, replacing old: String, with new: String) throws -> String {
        let json = try HDF5File(openingForReading: Fixtures.path("sequence_layers/\(fixture).h5")).root.stringAttribute("model_config")
        #expect(json.contains(old), "\(fixture) has \(old)")
        return json.replacingOccurrences(of: old, with: new)
    }

    /// The error reading and building `json` gives, if any.
    static func problem(_ json: String, generation: KerasGeneration) -> KerasIOError? {
        do {
            let config = try ModelConfig.decode(json: json, generation: generation, file: "m.h5")
            _ = try ModelBuilder.build(config, generation: generation, file: "m.h5")
            return nil
        } catch let error as KerasIOError {
            return error
        } catch {
            Issue.record("not a KerasIOError: \(error)")
            return nil
        }
    }

    static let cases: [(fixture: String, old: String, new: String, expect: [String])] = [
        ("keras3/identity_layers_after_lstm", "\"rate\": 0.3", "\"rate\": -0.3", ["spatial_dropout1d", "rate", "-0.3"]),
        ("keras2/identity_layers_after_lstm", "\"rate\": 0.2", "\"rate\": 1.5", ["gaussian_dropout", "rate", "1.5"]),
        ("keras3/identity_layers_after_lstm", "\"stddev\": 0.1", "\"stddev\": -1", ["gaussian_noise", "stddev"]),
        ("keras3/identity_layers_after_lstm", "\"l2\": 0.02", "\"l2\": \"big\"", ["activity_regularization", "l2", "number"]),
        ("keras3/activation_relu_after_lstm", "\"activation\": \"relu\"", "\"activation\": \"relu7\"", ["activation", "relu7", "not supported"]),
        ("keras2/relu_layer_full_after_lstm", "\"threshold\": 0.15000000596046448", "\"threshold\": -0.5", ["re_lu", "threshold", "at least 0"]),
        ("keras3/relu_layer_max_value_after_lstm", "\"max_value\": 0.5", "\"max_value\": -2", ["re_lu", "max_value"]),
        ("keras3/softmax_after_lstm", "\"axis\": -1", "\"axis\": 1", ["softmax", "axis 1", "last axis"]),
        ("keras3/softmax_after_lstm", "\"axis\": -1", "\"axis\": [1, 2]", ["softmax", "several axes"]),
        ("keras3/prelu_shared_axes_after_lstm", "\"shared_axes\": [1]", "\"shared_axes\": [3]", ["p_re_lu", "shared_axes", "axis 3"]),
        ("keras2/prelu_shared_axes_after_lstm", "\"shared_axes\": [1]", "\"shared_axes\": [0]", ["p_re_lu", "shared_axes"]),
    ]

    @Test("each bad value is refused, naming the layer and the option", arguments: 0..<cases.count)
    func refused(_ index: Int) throws {
        let c = Self.cases[index]
        let json = try Self.config(c.fixture, replacing: c.old, with: c.new)
        let error = try #require(Self.problem(json, generation: c.fixture.hasPrefix("keras2") ? .keras2 : .keras3), "\(c.new) refused")
        HostileConfigTests.checkMessage(error, file: "m.h5")
        let line = error.errorDescription ?? ""
        for phrase in c.expect { #expect(line.contains(phrase), "\(line) names \(phrase)") }
    }

    @Test("PReLU alpha of another shape than the config's is refused, naming the layer and both shapes")
    func alphaShapeMismatch() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-prelu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // alpha (1, 3) weights read with an architecture whose alpha is (5, 3).
        let shared = try KerasModel.load(from: Fixtures.path("sequence_layers/keras3/prelu_shared_axes_after_lstm.h5"))
        for (name, format, keras) in [("w.weights.h5", KerasFileFormat.kerasWeightsH5, KerasGeneration.keras3),
                                      ("w2.h5", .legacyWeightsH5, .keras2)] {
            let weights = directory.appendingPathComponent(name).path
            try KerasModelWriter.write(shared.network, to: weights, format: format, keras: keras)
            let architecture = Fixtures.path("sequence_layers/\(keras == .keras3 ? "keras3" : "keras2")/prelu_after_lstm.h5")
            let error = try #require(throws: KerasIOError.self) { try KerasModel.load(from: weights, architecture: architecture) }
            let line = error.errorDescription ?? ""
            #expect(error.file == weights && !line.contains("\n") && line.count <= 300, "\(line)")
            #expect(line.contains("p_re_lu") && line.contains("(1, 3)") && line.contains("(5, 3)"), "\(line)")
        }
    }
}
