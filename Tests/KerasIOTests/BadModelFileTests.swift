import Foundation
import Testing
@testable import KerasIO
import RNNRuntime

/// Each kind of broken or unsupported model file is refused with one line
/// that names the file and the problem, of the right kind.
@Suite("Bad model files are refused cleanly")
struct BadModelFileTests {
    func refusal(_ relative: String) throws -> KerasIOError {
        let path = Fixtures.path(relative)
        do {
            _ = try KerasModel.load(from: path)
        } catch let error as KerasIOError {
            #expect(error.file == path)
            let line = try #require(error.errorDescription)
            #expect(line.hasPrefix(path + ": "))
            #expect(!line.contains("\n"), "one line")
            #expect(!line.contains("HDF5-DIAG"))
            return error
        }
        Issue.record("\(relative) was accepted")
        throw CancellationError()
    }

    @Test("a text file with an .h5 name is not an HDF5 file")
    func notHDF5() throws {
        let error = try refusal("bad/not_hdf5.h5")
        #expect(error.kind == .notAModelFile)
        #expect(error.detail.contains("neither a .keras archive (zip) nor an HDF5 file; it looks like a text file"))
    }

    @Test("an empty file")
    func empty() throws {
        #expect(try refusal("bad/empty.h5").kind == .emptyFile)
    }

    @Test("a truncated file is reported as damaged")
    func truncated() throws {
        let error = try refusal("bad/truncated.h5")
        #expect(error.kind == .corrupt)
        #expect(error.detail.contains("truncated or damaged"))
    }

    @Test("truncations at many lengths never crash and always give one line")
    func truncatedEverywhere() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("keras3/sunspots.h5")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-trunc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for length in stride(from: 0, to: data.count, by: max(data.count / 40, 1)) {
            let url = directory.appendingPathComponent("cut-\(length).h5")
            try data.prefix(length).write(to: url)
            #expect(throws: KerasIOError.self, "cut at \(length) of \(data.count) bytes") {
                _ = try KerasModel.load(from: url.path)
            }
        }
    }

    @Test("a missing file")
    func missing() throws {
        #expect(try refusal("bad/does-not-exist.h5").kind == .unreadable)
    }

    @Test("no model_config")
    func noModelConfig() throws {
        let error = try refusal("bad/no_model_config.h5")
        #expect(error.kind == .missingModelConfig)
        #expect(error.detail.contains("model_config"))
    }

    @Test("model_config that is not valid JSON")
    func badJSON() throws {
        let error = try refusal("bad/bad_json.h5")
        #expect(error.kind == .invalidConfig)
        #expect(error.detail.contains("not valid JSON"))
    }

    @Test("files once refused for their layers or graphs now load and predict (Bidirectional, Embedding, stateful, Functional graphs)")
    func nowSupported() throws {
        let manifest = try #require(Fixtures.manifest)
        let entries = manifest.bad.filter { $0.nowSupported != nil }
        #expect(entries.map(\.file).sorted() == [
            "bad/bidirectional.h5", "bad/embedding.h5", "bad/functional_branches.h5", "bad/functional_branches.keras",
            "bad/functional_shared_layer.h5", "bad/functional_two_inputs.h5", "bad/functional_two_outputs.h5", "bad/stateful.h5",
        ])
        for entry in entries {
            let model = try KerasModel.load(from: Fixtures.path(entry.file))
            // Shapes first; the numbers are checked against Keras by the sequence-layer and functional fixtures.
            let batch = model.network.fixedBatchSize ?? 3
            let inputs = try model.network.inputShapes.map { shape in
                let sample = shape.map { $0 ?? 4 }
                return try Tensor(shape: [batch] + sample, scalars: [Float](repeating: 1, count: batch * sample.reduce(1, *)))
            }
            let outputs = try model.predict(inputs)
            #expect(outputs.count == model.network.outputShapes.count, "\(entry.file)")
            for output in outputs {
                #expect(output.shape[0] == batch && output.scalars.allSatisfy(\.isFinite), "\(entry.file)")
            }
        }
    }

    @Test("several unsupported layer classes are all named, with the supported ones")
    func severalUnsupported() throws {
        let config = #"{"class_name": "Sequential", "config": {"name": "s", "layers": ["#
            + #"{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 2]}},"#
            + #"{"class_name": "Conv3D", "config": {"name": "conv"}}, {"class_name": "LSTM", "config": {"units": 2}},"#
            + #"{"class_name": "Conv2D", "config": {"name": "flat"}}]}}"#
        let error = try #require(throws: KerasIOError.self) {
            _ = try ModelConfig.decode(json: config, generation: .keras3, file: "m.h5")
        }
        #expect(error.kind == .unsupportedLayer)
        #expect(error.detail.hasPrefix("unsupported layer classes Conv3D (layer 'conv', layers[1]), Conv2D (layer 'flat', layers[3])"))
        #expect(error.detail.hasSuffix("kerasio supports \(LayerConfig.supportedClasses.count) layer classes (`kerasio layers` lists them)"))
        #expect(!error.detail.contains("\n"))
    }

    @Test("a weight listed in weight_names whose dataset is missing")
    func missingWeight() throws {
        let error = try refusal("bad/missing_weight.h5")
        #expect(error.kind == .missingWeight)
        #expect(error.detail.contains("recurrent_kernel"))
    }

    @Test("a weight missing from weight_names too: the count disagrees with the config")
    func missingWeightName() throws {
        let error = try refusal("bad/missing_weight_name.h5")
        #expect(error.kind == .weightMismatch)
        #expect(error.detail.contains("2 weights in the file"))
    }

    @Test("a weight whose shape disagrees with the config names both shapes")
    func wrongShape() throws {
        let error = try refusal("bad/wrong_shape.h5")
        #expect(error.kind == .weightMismatch)
        #expect(error.detail.contains("(1, 3)"))
        #expect(error.detail.contains("(3, 1)"))
    }

    @Test("a config that does not match the stored weights")
    func configMismatch() throws {
        let error = try refusal("bad/weights_only_config_mismatch.h5")
        #expect(error.kind == .weightMismatch)
    }

    @Test("every bad model file in the manifest is refused")
    func everyBadModel() throws {
        let manifest = try #require(Fixtures.manifest)
        let models = manifest.bad.filter { $0.file.hasSuffix(".h5") && $0.nowSupported == nil }
        #expect(models.count >= 10)
        for entry in models {
            #expect(throws: KerasIOError.self, "\(entry.file): \(entry.problem)") {
                _ = try KerasModel.load(from: Fixtures.path(entry.file))
            }
        }
    }
}

/// Inputs that do not fit the model, or are not arrays at all.
@Suite("Bad inputs are refused cleanly")
struct BadInputTests {
    let model: KerasModel

    init() throws {
        model = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
    }

    @Test("wrong number of features per step")
    func wrongFeatures() throws {
        let input = try Fixtures.array("bad/input_wrong_features.npy")
        do {
            _ = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: "x.npy")
            Issue.record("accepted")
        } catch let error as KerasIOError {
            #expect(error.kind == .inputMismatch)
            #expect(error.file == "x.npy")
            #expect(error.detail.contains("3 features per step, the model takes 1"))
        }
    }

    @Test("wrong number of steps")
    func wrongSteps() throws {
        #expect(throws: KerasIOError.self) {
            _ = try ModelInput.batch(fromArray: [2, 10, 1], values: [Float](repeating: 0, count: 20), for: model, file: "x.npy")
        }
        do {
            _ = try ModelInput.batch(fromRows: 1, columns: 10, values: [Float](repeating: 0, count: 10), for: model, file: "x.csv")
            Issue.record("accepted")
        } catch let error as KerasIOError {
            #expect(error.detail.contains("each row has 10 numbers, but the model takes 12 steps × 1 features = 12"))
        }
    }

    @Test("a variable-length model takes any whole number of steps from a CSV row")
    func variableStepsFromCSV() throws {
        let variable = try KerasModel.load(from: Fixtures.path("keras3/variable_steps.h5"))
        let batch = try ModelInput.batch(fromRows: 1, columns: 8, values: [Float](repeating: 0.5, count: 8), for: variable, file: "x.csv")
        #expect(batch.shape == [1, 4, 2])
        #expect(throws: KerasIOError.self) {
            _ = try ModelInput.batch(fromRows: 1, columns: 7, values: [Float](repeating: 0, count: 7), for: variable, file: "x.csv")
        }
    }

    @Test("a file that is not a valid .npy")
    func invalidNumpy() throws {
        #expect(throws: (any Error).self) { _ = try Fixtures.array("bad/input_bad.npy") }
    }
}
