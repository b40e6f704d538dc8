import Foundation
import Testing
@testable import KerasIO
import RNNRuntime

/// `.keras` archives, weights-only files, Functional chains and chunked
/// attributes, beyond the prediction check every fixture gets.
@Suite("Every Keras file format")
struct ArchiveAndWeightsFileTests {
    func refusal(_ relative: String, architecture: String? = nil) throws -> KerasIOError {
        let path = Fixtures.path(relative)
        do {
            _ = try KerasModel.load(from: path, architecture: architecture.map(Fixtures.path))
        } catch let error as KerasIOError {
            let line = try #require(error.errorDescription)
            #expect(line.contains(path) || line.contains(architecture.map(Fixtures.path) ?? path))
            #expect(!line.contains("\n"))
            return error
        }
        Issue.record("\(relative) was accepted")
        throw CancellationError()
    }

    @Test("the manifest has every format from both Keras generations")
    func coverage() throws {
        let all = Fixtures.all
        for (dir, format) in [("keras3", "keras"), ("keras3", "keras-weights-h5"), ("keras2", "legacy-weights-h5"),
                              ("keras2", "keras")] {
            #expect(all.contains { $0.dir == dir && $0.format == format }, "\(dir) \(format)")
        }
        for dir in ["keras2", "keras3"] {
            #expect(all.contains { $0.dir == dir && $0.layers.contains("InputLayer") && $0.name.hasPrefix("functional") })
            #expect(all.contains { $0.dir == dir && $0.name.hasPrefix("chunked") })
        }
    }

    @Test("the same model read from .h5, .keras and weights files gives identical weights")
    func sameWeightsEverywhere() throws {
        let reference = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
        let archive = try KerasModel.load(from: Fixtures.path("keras3/sunspots.keras"))
        let weights = try KerasModel.load(
            from: Fixtures.path("keras3/sunspots.weights.h5"), architecture: Fixtures.path("keras3/sunspots.json"))
        let byModelFile = try KerasModel.load(
            from: Fixtures.path("keras3/sunspots.weights.h5"), architecture: Fixtures.path("keras3/sunspots.keras"))
        for model in [archive, weights, byModelFile] {
            #expect(model.network.layers.map(\.parameters) == reference.network.layers.map(\.parameters))
        }
        #expect(archive.format == .kerasArchive)
        #expect(weights.format == .kerasWeightsH5)
        #expect(weights.configSource == Fixtures.path("keras3/sunspots.json"))
        let legacy = try KerasModel.load(
            from: Fixtures.path("keras2/sunspots_weights.h5"), architecture: Fixtures.path("keras2/sunspots.json"))
        #expect(legacy.format == .legacyWeightsH5)
        #expect(legacy.network.layers.map(\.parameters)
            == (try KerasModel.load(from: Fixtures.path("keras2/sunspots.h5"))).network.layers.map(\.parameters))
    }

    @Test("a file whose extension lies is read by its content")
    func lyingExtensions() throws {
        #expect(try KerasModel.load(from: Fixtures.path("keras3/sunspots_is_h5.keras")).format == .legacyH5)
        #expect(try KerasModel.load(from: Fixtures.path("keras3/sunspots_is_keras.h5")).format == .kerasArchive)
    }

    @Test("a weights-only file without --config says what it is and what to pass",
          arguments: ["keras3/sunspots.weights.h5", "keras2/sunspots_weights.h5"])
    func weightsWithoutConfig(_ file: String) throws {
        let error = try refusal(file)
        #expect(error.kind == .missingModelConfig)
        #expect(error.detail.contains("--config"))
    }

    @Test("Keras's 64 KB attribute split (layer_names0, layer_names1, ...) is read back whole")
    func chunkedNames() throws {
        for dir in ["keras2", "keras3"] {
            let path = Fixtures.path("\(dir)/chunked_layer_names.h5")
            let root = try HDF5File(openingForReading: path).root
            let weights = try root.group("model_weights")
            #expect(!weights.hasAttribute("layer_names") && weights.hasAttribute("layer_names1"), "Keras split it")
            let model = try KerasModel.load(from: path)
            #expect(model.network.layers.count == 403)
            let split = try KerasModel.load(from: Fixtures.path("\(dir)/chunked_weight_names.h5"))
            #expect(split.network.layers.map(\.parameters)
                == (try KerasModel.load(from: Fixtures.path("\(dir)/sunspots.h5"))).network.layers.map(\.parameters))
        }
    }

    @Test("snake-cased class names follow Keras's saving_lib")
    func snakeCase() {
        #expect(Keras3WeightsReader.snakeCase("SimpleRNN") == "simple_rnn")
        #expect(Keras3WeightsReader.snakeCase("InputLayer") == "input_layer")
        #expect(Keras3WeightsReader.snakeCase("Dense") == "dense")
        #expect(Keras3WeightsReader.snakeCase("LSTM") == "lstm")
        #expect(Keras3WeightsReader.snakeCase("GRU") == "gru")
        var used: [String: Int] = [:]
        #expect(["dense", "dense", "simple_rnn", "dense"].map { Keras3WeightsReader.uniqueName($0, &used) }
            == ["dense", "dense_1", "simple_rnn", "dense_2"])
    }
}

@Suite("Bad archives and weights files are refused cleanly")
struct BadArchiveTests {
    func refusal(_ relative: String, architecture: String? = nil) throws -> KerasIOError {
        do {
            _ = try KerasModel.load(from: Fixtures.path(relative), architecture: architecture.map(Fixtures.path))
        } catch let error as KerasIOError {
            #expect(!(error.errorDescription ?? "").contains("\n"))
            return error
        }
        Issue.record("\(relative) was accepted")
        throw CancellationError()
    }

    @Test("a text file named .keras is not a model")
    func notZip() throws {
        let error = try refusal("bad/not_a_zip.keras")
        #expect(error.kind == .notAModelFile)
        #expect(error.detail.hasPrefix("not a Keras model file: neither a .keras archive (zip) nor an HDF5 file"))
    }

    @Test("an archive without config.json")
    func noConfig() throws {
        let error = try refusal("bad/archive_no_config.keras")
        #expect(error.kind == .missingModelConfig)
        #expect(error.detail.contains("config.json"))
    }

    @Test("an archive without model.weights.h5")
    func noWeights() throws {
        let error = try refusal("bad/archive_no_weights.keras")
        #expect(error.kind == .missingWeight)
        #expect(error.detail.contains("model.weights.h5"))
    }

    @Test("entries named with ../ or absolute paths refuse the whole archive and write nothing",
          arguments: [("bad/archive_traversal.keras", "../evil.txt"), ("bad/archive_absolute.keras", "/tmp/kerasio-evil.txt")])
    func traversal(_ file: String, _ entry: String) throws {
        try? FileManager.default.removeItem(atPath: "/tmp/kerasio-evil.txt")
        let error = try refusal(file)
        #expect(error.kind == .notAModelFile)
        #expect(error.detail.contains(entry))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kerasio-evil.txt"))
        #expect(!FileManager.default.fileExists(atPath: Fixtures.path("evil.txt")))
        #expect(!FileManager.default.fileExists(atPath: Fixtures.path("bad/../../evil.txt")))
    }

    @Test("a config that does not match the archive's weights")
    func configMismatch() throws {
        let error = try refusal("bad/archive_config_mismatch.keras")
        #expect(error.kind == .weightMismatch)
    }

    @Test("invalid JSON in config.json")
    func badJSON() throws {
        #expect(try refusal("bad/archive_bad_json.keras").kind == .invalidConfig)
    }

    @Test("a truncated archive")
    func truncated() throws {
        let error = try refusal("bad/archive_truncated.keras")
        #expect(error.kind == .corrupt || error.kind == .missingModelConfig)
    }

    @Test("weights with an architecture that does not match them name both files")
    func weightsWrongConfig() throws {
        let error = try refusal("bad/weights_wrong_config.weights.h5", architecture: "bad/weights_wrong_config.json")
        #expect(error.kind == .weightMismatch)
        #expect(error.detail.contains("weights_wrong_config.json"))
    }

    /// Issue 15 made these graphs readable; these files (once refused) keep their shapes.
    @Test("Functional graphs kerasio once refused are read as the graphs they are",
          arguments: [("bad/functional_branches.h5", 1, 1, 4, 4), ("bad/functional_branches.keras", 1, 1, 4, 4),
                      ("bad/functional_two_inputs.h5", 2, 1, 2, 2), ("bad/functional_two_outputs.h5", 1, 2, 3, 3),
                      ("bad/functional_shared_layer.h5", 1, 1, 2, 3)])
    func notAChain(_ file: String, _ inputs: Int, _ outputs: Int, _ layers: Int, _ calls: Int) throws {
        let model = try KerasModel.load(from: Fixtures.path(file))
        let graph = try #require(model.network.graph)
        #expect(graph.inputShapes.count == inputs && graph.outputTensors.count == outputs)
        #expect(graph.layers.count == layers && graph.nodes.count == calls, "a shared layer is one layer called at several nodes")
        let batch = try graph.inputShapes.map { shape in try Tensor(shape: [2] + shape.map { $0 ?? 1 }, scalars: [Float](repeating: 0.5, count: 2 * shape.map { $0 ?? 1 }.reduce(1, *))) }
        #expect(try model.predict(batch).count == outputs)
    }
}
