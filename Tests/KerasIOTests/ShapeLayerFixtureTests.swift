import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Flatten, Reshape, Permute, RepeatVector, Cropping1D, ZeroPadding1D and
/// UpSampling1D around recurrent layers as Keras 3 and tf.keras made them
/// (`fixtures/generate_shape_layers.py`): read from every file Keras wrote,
/// predicting what Keras did; written in every format kerasio writes and read
/// back; written with the config keys and values each Keras writes; bad
/// configs refused in one line.
@Suite("Reshaping layers match Keras")
struct ShapeLayerFixtureTests {
    static let entries = Fixtures.shapeLayers

    /// The legacy .h5 entries: each case once.
    static let writable = entries.filter { ($0.format ?? "legacy-h5") == "legacy-h5" }

    static let classes: Set<String> = [
        "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "ZeroPadding1D", "UpSampling1D",
    ]

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-shape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the manifest covers every class in both generations, in all three formats each Keras writes")
    func coverage() {
        for dir in ["shape_layers/keras2", "shape_layers/keras3"] {
            let mine = Self.entries.filter { $0.dir == dir }
            #expect(Self.classes.isSubset(of: Set(mine.flatMap(\.layers))), "\(dir)")
            #expect(Set(mine.compactMap(\.format)) == ["legacy-h5", "keras", dir.hasSuffix("3") ? "keras-weights-h5" : "legacy-weights-h5"])
            #expect(mine.filter { $0.name.hasPrefix("masked_") }.count >= 7 * 3, "\(dir): a masked case per class")
        }
    }

    @Test("prediction within 1e-5 of Keras, in every format Keras wrote", arguments: entries)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    @Test("one reused workspace predicts every case into caller-owned memory within 1e-5 of Keras")
    func reusedWorkspace() throws {
        let workspace = PredictionWorkspace()
        for fixture in Self.entries {
            let model = try KerasModel.load(from: Fixtures.path(fixture.model), architecture: fixture.config.map(Fixtures.path))
            let input = try Fixtures.array(fixture.input), expected = try Fixtures.array(fixture.expected)
            let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: fixture.input)
            // NaN-filled memory: every value, zero padding included, must be written.
            var output = [Float](repeating: .nan, count: expected.values.count)
            try batch.scalars.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { y in
                    try model.predict(x, shape: batch.shape, into: y, workspace: workspace)
                }
            }
            let mismatch = Agreement.mismatch(
                output, expected: expected.values, tolerance: FixturePredictionTests.tolerance, what: "\(fixture.dir)/\(fixture.name)")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test("the options come from the config as each Keras wrote them")
    func optionsDecoded() throws {
        for dir in ["keras2", "keras3"] {
            func layers(_ name: String) throws -> [any Layer] {
                try KerasModel.load(from: Fixtures.path("shape_layers/\(dir)/\(name).h5")).network.layers
            }
            #expect(try (layers("flatten_channels_first_gru")[1] as? Flatten)?.channelsFirst == true, "\(dir)")
            #expect(try (layers("flatten_lstm")[1] as? Flatten)?.channelsFirst == false, "\(dir)")
            #expect(try (layers("reshape_minus_one_gru")[0] as? Reshape)?.targetShape == [-1, 8], "\(dir)")
            #expect(try (layers("permute_rank3_reshape_lstm")[0] as? Permute)?.dims == [3, 1, 2], "\(dir)")
            #expect(try (layers("repeat_vector_seq2seq")[1] as? RepeatVector)?.n == 3, "\(dir)")
            let crops = try ["cropping1d_default_lstm", "cropping1d_int_simplernn", "cropping1d_start_only_gru"].map {
                try layers($0).compactMap { $0 as? Cropping1D }.first.map { [$0.start, $0.end] }
            }
            #expect(crops == [[1, 1], [2, 2], [3, 0]], "\(dir)")
            let pads = try ["zero_padding1d_default_simplernn", "zero_padding1d_asymmetric_lstm", "zero_padding1d_int_variable_gru"].map {
                try layers($0).compactMap { $0 as? ZeroPadding1D }.first.map { [$0.start, $0.end] }
            }
            #expect(pads == [[1, 1], [0, 3], [2, 2]], "\(dir)")
            #expect(try (layers("up_sampling1d_default_gru")[0] as? UpSampling1D)?.size == 2, "\(dir)")
            #expect(try (layers("up_sampling1d_size3_after_lstm")[1] as? UpSampling1D)?.size == 3, "\(dir)")
        }
        let channelsFirst = try KerasModel.load(from: Fixtures.path("shape_layers/keras3/zero_padding1d_channels_first.h5"))
        let padding = try #require(channelsFirst.network.layers[0] as? ZeroPadding1D)
        #expect(padding.channelsFirst && padding.start == 1 && padding.end == 2)
    }

    @Test("the masked cases hold Masking then a reshaping layer, which ends the mask (their predictions above are Keras's)")
    func maskedCases() throws {
        let masked = Self.writable.filter { $0.name.hasPrefix("masked_") }
        #expect(masked.count == 14)
        for fixture in masked {
            let layers = try KerasModel.load(from: Fixtures.path(fixture.model)).network.layers
            #expect(layers.first is Masking, "\(fixture.name)")
            let reshaping = layers.compactMap { $0 as? any RearrangingLayer }
            #expect(reshaping.count == 1 && reshaping.allSatisfy { !$0.passesMask }, "\(fixture.name)")
        }
    }

    /// Every format kerasio writes, with the architecture a weights-only file is read with.
    static let outputs = ActivationLayerFixtureTests.outputs

    @Test("written in every format and read back: same layers, options, weights and predictions", arguments: writable)
    func roundTrip(_ fixture: Fixtures.Entry) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        // tf.keras's ZeroPadding1D has no data_format: only Keras 3 files take channels_first.
        let keras3Only = original.network.layers.contains { ($0 as? ZeroPadding1D)?.channelsFirst == true }
        for output in Self.outputs {
            let path = directory.appendingPathComponent(output.file).path
            if keras3Only, output.keras == .keras2 {
                // A tf.keras weights-only file holds no config; its architecture file is refused.
                guard output.architecture == nil else { continue }
                let error = try #require(throws: (any Error).self) {
                    try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
                }
                #expect("\(error)".contains("data_format"), "\(output.file): \(error)")
                continue
            }
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(
                from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
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

    /// The config members of each reshaping layer in a model config, by layer name.
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

    @Test("each layer's config has the keys and values the Keras that reads it writes", arguments: writable)
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
}

/// Configs Keras itself refuses (or that cannot run), made by changing one
/// value of a Keras-written config: each refused in one short line naming
/// the file, the layer and the option.
@Suite("Bad reshaping layer configs are refused in one line naming the layer")
struct BadShapeLayerConfigTests {
    static func config(_ fixture: String, replacing old: String, with new: String) throws -> String {
        let json = try HDF5File(openingForReading: Fixtures.path("shape_layers/\(fixture).h5")).root.stringAttribute("model_config")
        #expect(json.contains(old), "\(fixture) has \(old)")
        return json.replacingOccurrences(of: old, with: new)
    }

    static let cases: [(fixture: String, old: String, new: String, expect: [String])] = [
        ("keras3/cropping1d_default_lstm", "\"cropping\": [1, 1]", "\"cropping\": [3, 3]", ["cropping1d", "cropping (3, 3) leaves no step"]),
        ("keras2/cropping1d_default_lstm", "\"cropping\": [1, 1]", "\"cropping\": [-1, 1]", ["cropping1d", "cropping", "at least 0"]),
        ("keras3/cropping1d_default_lstm", "\"cropping\": [1, 1]", "\"cropping\": [1, 1, 1]", ["cropping1d", "cropping", "list of 3"]),
        ("keras3/cropping1d_default_lstm", "\"cropping\": [1, 1]", "\"cropping\": [1, 99999999999]", ["cropping1d", "limit"]),
        ("keras3/zero_padding1d_default_simplernn", "\"padding\": [1, 1]", "\"padding\": \"same\"", ["zero_padding1d", "padding"]),
        ("keras3/zero_padding1d_default_simplernn", "\"data_format\": \"channels_last\"", "\"data_format\": \"channels_middle\"", ["zero_padding1d", "data_format", "channels_middle"]),
        ("keras3/flatten_lstm", "\"data_format\": \"channels_last\"", "\"data_format\": 3", ["flatten", "data_format"]),
        ("keras3/reshape_minus_one_gru", "\"target_shape\": [-1, 8]", "\"target_shape\": [-1, 5]", ["reshape", "not a multiple of 5"]),
        ("keras2/reshape_minus_one_gru", "\"target_shape\": [-1, 8]", "\"target_shape\": [-1, -1]", ["reshape", "at most one -1"]),
        ("keras2/reshape_minus_one_gru", "\"target_shape\": [-1, 8]", "\"target_shape\": [0, 8]", ["reshape", "target_shape [0, 8]", "positive lengths"]),
        ("keras3/reshape_minus_one_gru", "\"target_shape\": [-1, 8]", "\"target_shape\": [4, 8]", ["reshape", "target_shape [4, 8]"]),
        ("keras3/permute_gru", "\"dims\": [2, 1]", "\"dims\": [2, 3]", ["permute", "dims [2, 3]"]),
        ("keras2/permute_gru", "\"dims\": [2, 1]", "\"dims\": [2, 1, 3]", ["permute", "dims [2, 1, 3] reorders 3 axes"]),
        ("keras3/repeat_vector_seq2seq", "\"n\": 3", "\"n\": 0", ["repeat_vector", "n must be at least 1"]),
        ("keras3/up_sampling1d_default_gru", "\"size\": 2", "\"size\": 1.5", ["up_sampling1d", "size"]),
        ("keras2/up_sampling1d_default_gru", "\"size\": 2", "\"size\": 99999999", ["up_sampling1d", "size", "limit"]),
        // Flatten over variable steps leaves its length unknown: the Dense after it cannot take that, as in Keras.
        ("keras3/flatten_lstm", "\"batch_shape\": [null, 5, 3]", "\"batch_shape\": [null, null, 3]", ["dense", "not fixed"]),
        ("keras2/flatten_lstm", "\"batch_input_shape\": [null, 5, 3]", "\"batch_input_shape\": [null, null, 3]", ["dense", "not fixed"]),
    ]

    @Test("each bad value is refused, naming the layer and the option", arguments: 0..<cases.count)
    func refused(_ index: Int) throws {
        let c = Self.cases[index]
        let json = try Self.config(c.fixture, replacing: c.old, with: c.new)
        let generation: KerasGeneration = c.fixture.hasPrefix("keras2") ? .keras2 : .keras3
        let error = try #require(BadActivationLayerConfigTests.problem(json, generation: generation), "\(c.new) refused")
        HostileConfigTests.checkMessage(error, file: "m.h5")
        let line = error.errorDescription ?? ""
        for phrase in c.expect { #expect(line.contains(phrase), "\(line) names \(phrase)") }
    }

    @Test("a batch whose real length the layers cannot take is refused in one line")
    func variableLengthRefusals() throws {
        // Cropping1D((0, 2)) on variable steps: 2 steps leave none.
        let model = try KerasModel.load(from: Fixtures.path("shape_layers/keras3/cropping1d_end_only_variable.h5"))
        let error = try #require(throws: (any Error).self) { _ = try model.predict(try Tensor(shape: [1, 2, 3], scalars: [Float](repeating: 0.5, count: 6))) }
        #expect(error.localizedDescription.contains("leaves no step") && !error.localizedDescription.contains("\n"), "\(error.localizedDescription)")
        // Reshape((-1, 2)) of 4 features per step fits any length; Flatten of variable steps gives each batch its own length.
        let flatten = try KerasModel.load(from: Fixtures.path("shape_layers/keras2/flatten_variable_steps_last.h5"))
        #expect(try flatten.predict(try Tensor(shape: [2, 3, 3], scalars: [Float](repeating: 0.5, count: 18))).shape == [2, 6])
    }
}
