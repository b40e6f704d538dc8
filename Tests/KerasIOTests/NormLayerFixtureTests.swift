import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// BatchNormalization and LayerNormalization as Keras 3 and tf.keras made
/// them (`fixtures/generate_norm_layers.py`): read from every file Keras
/// wrote, predicting what Keras did; written in every format kerasio writes
/// and read back to the same predictions; written with the config keys and
/// values each Keras writes; and the options kerasio does not support
/// refused in one line naming them.
@Suite("BatchNormalization and LayerNormalization match Keras")
struct NormLayerFixtureTests {
    static let entries = Fixtures.normLayers
    /// The legacy `.h5` entries: one per case and generation.
    static let h5Entries = entries.filter { $0.format == "legacy-h5" }

    static let classes: Set<String> = ["BatchNormalization", "LayerNormalization"]

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-norm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the manifest has every case in every format for both generations")
    func coverage() {
        for dir in ["norm_layers/keras2", "norm_layers/keras3"] {
            let mine = Self.entries.filter { $0.dir == dir }
            #expect(mine.filter { $0.format == "legacy-h5" }.count >= 15, "\(dir)")
            #expect(Set(mine.compactMap(\.format)) == ["legacy-h5", "keras", dir.hasSuffix("3") ? "keras-weights-h5" : "legacy-weights-h5"])
        }
        #expect(Self.classes.isSubset(of: Set(Self.entries.flatMap(\.layers))))
    }

    @Test("prediction within 1e-5 of Keras from every file Keras wrote", arguments: entries)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    @Test("the options come from the config as each Keras wrote them")
    func optionsDecoded() throws {
        for dir in ["keras2", "keras3"] {
            func layer(_ name: String, at index: Int) throws -> any Layer {
                try KerasModel.load(from: Fixtures.path("norm_layers/\(dir)/\(name).h5")).network.layers[index]
            }
            let plain = try #require(try layer("batchnorm_between_lstms", at: 1) as? BatchNormalization)
            #expect(plain.channels == 4 && plain.momentum == 0.99 && plain.epsilon == 1e-3 && plain.center && plain.scale)
            #expect(plain.parameterSpecs.map(\.name) == ["gamma", "beta", "moving_mean", "moving_variance"])
            #expect(plain.maskedCountEpsilon == (dir == "keras3" ? 1e-7 : 0))
            let tuned = try #require(try layer("batchnorm_momentum_epsilon", at: 1) as? BatchNormalization)
            #expect(tuned.momentum == 0.9 && tuned.epsilon == 0.01, "\(dir)")
            let bare = try #require(try layer("batchnorm_no_center_no_scale", at: 1) as? BatchNormalization)
            #expect(bare.parameterSpecs.map(\.name) == ["moving_mean", "moving_variance"], "\(dir)")
            let perStep = try #require(try layer("batchnorm_axis_1", at: 1) as? BatchNormalization)
            #expect(perStep.channels == 5 && perStep.sampleAxis == 0, "\(dir)")
            let whole = try #require(try layer("layernorm_axes_1_2", at: 1) as? LayerNormalization)
            #expect(whole.parameterShape == [5, 4] && whole.sampleAxes == [0, 1], "\(dir)")
            let noBeta = try #require(try layer("layernorm_epsilon_center_false", at: 1) as? LayerNormalization)
            #expect(noBeta.parameterSpecs.map(\.name) == ["gamma"] && noBeta.epsilon == 0.01, "\(dir)")
        }
        let rms = try #require(try KerasModel.load(from: Fixtures.path("norm_layers/keras3/layernorm_rms_scaling.h5"))
            .network.layers[1] as? LayerNormalization)
        #expect(rms.rmsScaling && rms.parameterSpecs.map(\.name) == ["gamma"])
        let synchronized = try #require(try KerasModel.load(from: Fixtures.path("norm_layers/keras3/batchnorm_synchronized.h5"))
            .network.layers[1] as? BatchNormalization)
        #expect(synchronized.synchronized)
    }

    /// Every format kerasio writes, with the architecture a weights-only file is read with.
    static let outputs: [(file: String, format: KerasFileFormat, keras: KerasGeneration, architecture: String?)] = [
        ("m3.h5", .legacyH5, .keras3, nil), ("m2.h5", .legacyH5, .keras2, nil), ("m.keras", .kerasArchive, .keras3, nil),
        ("m.weights.h5", .kerasWeightsH5, .keras3, "m.keras"), ("w2.h5", .legacyWeightsH5, .keras2, "m2.h5"),
    ]

    @Test("written in every format and read back: same layers, weights and predictions", arguments: h5Entries)
    func roundTrip(_ fixture: Fixtures.Entry) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        let rms = original.network.layers.contains { ($0 as? LayerNormalization)?.rmsScaling == true }
        for output in Self.outputs {
            let path = directory.appendingPathComponent(output.file).path
            if rms, output.keras == .keras2 {
                // tf.keras has no rms_scaling: its config is refused rather than written wrong
                // (a weights-only file has no config; its architecture file is the refused one).
                if output.format == .legacyH5 {
                    #expect(throws: (any Error).self) {
                        try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
                    }
                }
                continue
            }
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(
                from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
            #expect(copy.config.computingLayers.map(\.className) == original.config.computingLayers.map(\.className), "\(output.file)")
            if output.keras == original.generation {
                #expect(copy.config.computingLayers == original.config.computingLayers, "\(output.file): every option kept")
            }
            #expect(copy.network.layers.map(\.parameters) == original.network.layers.map(\.parameters), "\(output.file)")
            let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: copy, file: fixture.input)
            let predicted = try copy.predict(batch)
            let mismatch = Agreement.mismatch(
                predicted.scalars, shape: predicted.shape, expected: expected.values, expectedShape: expected.shape,
                tolerance: FixturePredictionTests.tolerance, what: "\(output.file) prediction")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    /// The config members of each BatchNormalization and LayerNormalization, by layer name.
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

    @Test("each layer's config has the keys and values the Keras that reads it writes", arguments: h5Entries)
    func writtenConfig(_ fixture: Fixtures.Entry) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try KerasModel.load(from: Fixtures.path(fixture.model))
        let keras = model.generation
        let path = directory.appendingPathComponent("m.h5").path
        try KerasModelWriter.write(model.network, to: path, format: .legacyH5, keras: keras)
        var pairs = [
            (written: try HDF5File(openingForReading: path).root.stringAttribute("model_config"),
             keras: try HDF5File(openingForReading: Fixtures.path(fixture.model)).root.stringAttribute("model_config"), what: "h5")
        ]
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
                    #expect(ActivationLayerFixtureTests.same(ours[key]!, value), "\(pair.what) \(name).\(key): \(ours[key]!) vs Keras's \(value)")
                }
            }
        }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let file: String
        let why: String
        var testDescription: String { file }
    }

    static let refusals: [Refusal] = {
        guard let data = FileManager.default.contents(atPath: Fixtures.path("norm_layers/manifest.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = object["refusals"] as? [[String: Any]] else { return [] }
        return list.compactMap { item in
            guard let file = item["file"] as? String, let why = item["why"] as? String else { return nil }
            return Refusal(file: "norm_layers/\(file)", why: why)
        }
    }()

    @Test("Keras files with renorm are refused in one line naming the option", arguments: refusals)
    func refused(_ refusal: Refusal) {
        let option = "renorm=True"
        do {
            _ = try KerasModel.load(from: Fixtures.path(refusal.file))
            Issue.record("\(refusal.file) was read")
        } catch {
            let message = "\(error)"
            #expect(message.contains(option) && message.contains("batch_normalization"), "\(message)")
            #expect(!message.contains("\n"), "one line: \(message)")
        }
    }

    @Test("the refusals cover renorm in both generations, as .h5 and .keras")
    func refusalCoverage() {
        #expect(Self.refusals.filter { $0.why.hasPrefix("renorm") }.count == 4)
    }
}

/// Configs Keras writes for options kerasio does not support, made by
/// changing one value of a Keras-written config: each is refused in one
/// line naming the layer and the option, before any weight is allocated.
@Suite("Unsupported normalization options are refused in one line naming the layer")
struct NormLayerConfigRefusalTests {
    static func config(_ fixture: String, replacing old: String, with new: String) throws -> String {
        let json = try HDF5File(openingForReading: Fixtures.path("norm_layers/\(fixture).h5")).root.stringAttribute("model_config")
        #expect(json.contains(old), "\(fixture) has \(old)")
        return json.replacingOccurrences(of: old, with: new)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let fixture: String, old: String, new: String, expected: String
        var testDescription: String { "\(fixture): \(new)" }
    }

    static let cases: [Case] = [
        Case(fixture: "keras3/batchnorm_between_lstms", old: "\"gamma_regularizer\": null",
             new: "\"gamma_regularizer\": {\"class_name\": \"L2\", \"config\": {\"l2\": 0.01}}", expected: "gamma_regularizer"),
        Case(fixture: "keras2/batchnorm_between_lstms", old: "\"beta_constraint\": null",
             new: "\"beta_constraint\": {\"class_name\": \"NonNeg\", \"config\": {}}", expected: "beta_constraint"),
        Case(fixture: "keras2/layernorm_after_gru", old: "\"gamma_constraint\": null",
             new: "\"gamma_constraint\": {\"class_name\": \"NonNeg\", \"config\": {}}", expected: "gamma_constraint"),
        Case(fixture: "keras2/batchnorm_between_lstms", old: "\"axis\": [2]", new: "\"axis\": [1, 2]", expected: "axis lists 2 axes"),
        Case(fixture: "keras2/batchnorm_between_lstms", old: "\"axis\": [2]", new: "\"axis\": [2], \"fused\": true", expected: "fused=True"),
        Case(fixture: "keras2/batchnorm_between_lstms", old: "\"axis\": [2]", new: "\"axis\": [3], \"virtual_batch_size\": 2",
             expected: "virtual_batch_size=2"),
        Case(fixture: "keras2/batchnorm_between_lstms", old: "\"axis\": [2]", new: "\"axis\": [2], \"adjustment\": \"f\"", expected: "adjustment"),
        Case(fixture: "keras3/batchnorm_between_lstms", old: "\"axis\": -1", new: "\"axis\": 3", expected: "axis=3"),
        Case(fixture: "keras3/batchnorm_between_lstms", old: "\"axis\": -1", new: "\"axis\": 0", expected: "batch axis"),
        Case(fixture: "keras3/batchnorm_between_lstms", old: "\"epsilon\": 0.001", new: "\"epsilon\": -1", expected: "epsilon"),
        Case(fixture: "keras3/layernorm_after_gru", old: "\"axis\": [-1]", new: "\"axis\": [7]", expected: "axis=7"),
        Case(fixture: "keras3/layernorm_after_gru", old: "\"axis\": [-1]", new: "\"axis\": \"last\"", expected: "axis must be"),
    ]

    @Test("refused, naming the layer and the option", arguments: cases)
    func refused(_ c: Case) throws {
        let json = try Self.config(c.fixture, replacing: c.old, with: c.new)
        let generation: KerasGeneration = c.fixture.hasPrefix("keras2") ? .keras2 : .keras3
        do {
            let config = try ModelConfig.decode(json: json, generation: generation, file: "m.h5")
            _ = try ModelBuilder.build(config, generation: generation, file: "m.h5")
            Issue.record("\(c.new) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(c.expected) && message.contains("normalization"), "\(message)")
            #expect(!message.contains("\n"), "one line: \(message)")
        }
    }
}
