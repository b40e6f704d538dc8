import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Conv1D, MaxPooling1D, AveragePooling1D, GlobalMaxPooling1D and
/// GlobalAveragePooling1D as Keras 3 and tf.keras made them
/// (`fixtures/generate_conv_layers.py`): read from every file Keras wrote,
/// predicting what Keras did; written in every format kerasio writes and read
/// back to the same predictions, with the config keys each Keras writes.
@Suite("Conv1D and 1D pooling layers match Keras")
struct ConvLayerFixtureTests {
    static let classes: Set<String> = [
        "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
    ]

    @Test("the manifest covers every class, both generations, every format")
    func coverage() {
        for dir in ["conv_layers/keras2", "conv_layers/keras3"] {
            let entries = Fixtures.convLayers.filter { $0.dir == dir }
            #expect(Self.classes.isSubset(of: Set(entries.flatMap(\.layers))), "\(dir)")
            let formats = Set(entries.compactMap(\.format))
            #expect(formats.count == 3 && formats.contains("keras") && formats.contains("legacy-h5"), "\(dir): \(formats)")
        }
    }

    @Test("prediction within 1e-5 of Keras", arguments: Fixtures.convLayers)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    @Test("one reused workspace predicts every case within 1e-5 of Keras (the allocation-free path)")
    func reusedWorkspace() throws {
        let workspace = PredictionWorkspace()
        for fixture in Fixtures.convLayers {
            let model = try KerasModel.load(from: Fixtures.path(fixture.model), architecture: fixture.config.map(Fixtures.path))
            let input = try Fixtures.array(fixture.input)
            let expected = try Fixtures.array(fixture.expected)
            let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: fixture.input)
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

    /// The legacy .h5 entries (each case once).
    static let writable = Fixtures.convLayers.filter { ($0.format ?? "legacy-h5") == "legacy-h5" }

    @Test("written in every format and read back: same layers, options, weights and Keras's predictions", arguments: writable)
    func roundTrip(_ fixture: Fixtures.Entry) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        for output in ActivationLayerFixtureTests.outputs {
            let path = directory.appendingPathComponent(output.file).path
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(
                from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
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

    /// Keys kerasio leaves to Keras's defaults (as for Dense): they do not change predictions.
    static let defaultedKeys: Set<String> = [
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint",
    ]

    @Test("each layer's config has the keys and values the Keras that reads it writes", arguments: writable)
    func writtenConfig(_ fixture: Fixtures.Entry) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-conv-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try KerasModel.load(from: Fixtures.path(fixture.model))
        let keras: KerasGeneration = fixture.kerasVersion.hasPrefix("2.") ? .keras2 : .keras3
        let path = directory.appendingPathComponent("m.h5").path
        try KerasModelWriter.write(model.network, to: path, format: .legacyH5, keras: keras)
        let written = try Self.layerConfigs(try HDF5File(openingForReading: path).root.stringAttribute("model_config"))
        let kerasMade = try Self.layerConfigs(
            try HDF5File(openingForReading: Fixtures.path(fixture.model)).root.stringAttribute("model_config"))
        #expect(!kerasMade.isEmpty && Set(written.keys) == Set(kerasMade.keys))
        for (name, members) in kerasMade {
            let ours = try #require(written[name])
            let expectedKeys = Set(members.keys).subtracting(Self.defaultedKeys)
            #expect(Set(ours.keys) == expectedKeys, "\(name): keys \(ours.keys.sorted()) vs Keras's \(expectedKeys.sorted())")
            for (key, value) in members where ours[key] != nil {
                #expect(ActivationLayerFixtureTests.same(ours[key]!, value), "\(name).\(key): \(ours[key]!) vs Keras's \(value)")
            }
        }
    }

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

    @Test("options come from the config as each Keras wrote them")
    func optionsDecoded() throws {
        for dir in ["keras2", "keras3"] {
            func layer(_ name: String, at index: Int) throws -> any Layer {
                try KerasModel.load(from: Fixtures.path("conv_layers/\(dir)/\(name).h5")).network.layers[index]
            }
            let grouped = try #require(try layer("conv1d_groups_causal_dilation", at: 0) as? Conv1D)
            #expect(grouped.groups == 3 && grouped.padding == .causal && grouped.dilationRate == 2 && grouped.kernelSize == 2, "\(dir)")
            #expect(grouped.activation == .relu && grouped.kernel.shape == [2, 2, 6], "\(dir)")
            let strided = try #require(try layer("conv1d_same_strides_no_bias_gru", at: 0) as? Conv1D)
            #expect(strided.strides == 2 && strided.padding == .same && !strided.useBias && strided.parameterSpecs.count == 1, "\(dir)")
            let pooled = try #require(try layer("max_pooling_default_after_lstm", at: 1) as? Pooling1D)
            #expect(pooled.mode == .max && pooled.poolSize == 2 && pooled.strides == 2 && pooled.padding == .valid, "\(dir)")
            let first = try #require(try layer("pooling_channels_first", at: 2) as? Pooling1D)
            #expect(first.mode == .average && first.dataFormat == .channelsFirst && first.padding == .same && first.strides == 1, "\(dir)")
            let global = try #require(try layer("global_pooling_keepdims", at: 1) as? GlobalPooling1D)
            #expect(global.mode == .max && global.keepDims, "\(dir)")
        }
    }
}

/// Conv1D and pooling configs Keras itself refuses, or kerasio cannot run as
/// Keras does, made by changing one value of a Keras-written config: each is
/// refused in one short line naming the layer and the option.
@Suite("Bad Conv1D and pooling configs are refused in one line naming the layer and option")
struct BadConvLayerConfigTests {
    static func config(_ fixture: String, replacing old: String, with new: String) throws -> String {
        let json = try HDF5File(openingForReading: Fixtures.path("conv_layers/\(fixture).h5")).root.stringAttribute("model_config")
        #expect(json.contains(old), "\(fixture) has \(old)")
        return json.replacingOccurrences(of: old, with: new)
    }

    static let cases: [(fixture: String, old: String, new: String, expect: [String])] = [
        ("keras3/conv1d_valid_relu_lstm", "\"data_format\": \"channels_last\"", "\"data_format\": \"channels_first\"",
         ["conv1d", "data_format", "channels_first", "not supported"]),
        ("keras2/conv1d_valid_relu_lstm", "\"data_format\": \"channels_last\"", "\"data_format\": \"channels_first\"",
         ["conv1d", "data_format", "channels_first"]),
        ("keras3/conv1d_valid_strides", "\"dilation_rate\": [1]", "\"dilation_rate\": [2]", ["conv1d", "strides", "dilation_rate"]),
        ("keras3/conv1d_groups", "\"groups\": 2", "\"groups\": 4", ["conv1d", "filters=6", "groups=4"]),
        ("keras2/conv1d_groups", "\"groups\": 2", "\"groups\": 3", ["conv1d", "4 channels", "groups=3"]),
        ("keras3/conv1d_valid_relu_lstm", "\"kernel_size\": [3]", "\"kernel_size\": [9]", ["conv1d", "kernel_size=9", "8"]),
        ("keras3/conv1d_valid_relu_lstm", "\"kernel_size\": [3]", "\"kernel_size\": [3, 3]", ["conv1d", "kernel_size", "one"]),
        ("keras3/conv1d_valid_relu_lstm", "\"kernel_size\": [3]", "\"kernel_size\": [0]", ["conv1d", "kernel_size", "at least 1"]),
        ("keras2/conv1d_valid_relu_lstm", "\"strides\": [1]", "\"strides\": [99999999999]", ["conv1d", "strides", "limit"]),
        ("keras3/conv1d_valid_relu_lstm", "\"padding\": \"valid\"", "\"padding\": \"full\"", ["conv1d", "padding", "full"]),
        ("keras3/conv1d_valid_relu_lstm", "\"kernel_size\": [3]", "\"kernel_size\": [16777216]", ["conv1d", "kernel_size=16777216"]),
        ("keras3/max_pooling_default_after_lstm", "\"padding\": \"valid\"", "\"padding\": \"causal\"", ["max_pooling1d", "padding", "causal"]),
        ("keras2/max_pooling_default_after_lstm", "\"pool_size\": [2]", "\"pool_size\": [8]", ["max_pooling1d", "pool_size=8", "7"]),
        ("keras3/average_pooling_valid", "\"strides\": [2]", "\"strides\": [0]", ["average_pooling1d", "strides", "at least 1"]),
        ("keras3/global_average_after_lstm", "\"data_format\": \"channels_last\"", "\"data_format\": \"nhwc\"",
         ["global_average_pooling1d", "data_format", "nhwc"]),
        ("keras2/global_max_after_gru", "\"keepdims\": false", "\"keepdims\": 3", ["global_max_pooling1d", "keepdims"]),
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

    @Test("a mask reaching GlobalAveragePooling1D(channels_first) is refused at build, naming the layer")
    func maskedChannelsFirstAverage() throws {
        let error = try #require(throws: RuntimeError.self) {
            _ = try Sequential(inputShape: [6, 3], layers: [
                Masking(), GlobalPooling1D(name: "gap", mode: .average, dataFormat: .channelsFirst),
            ])
        }
        #expect("\(error)".contains("gap") && "\(error)".contains("channels_first"))
        // Max pooling and channels_last averaging take a mask.
        _ = try Sequential(inputShape: [6, 3], layers: [Masking(), GlobalPooling1D(mode: .max, dataFormat: .channelsFirst)])
        _ = try Sequential(inputShape: [6, 3], layers: [Masking(), GlobalPooling1D(mode: .average)])
    }
}
