import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Masking, Embedding, Bidirectional, TimeDistributed, stateful and the
/// identity and activation layers as Keras made them
/// (`fixtures/generate_sequence_layers.py`), read in every format the
/// generator wrote and predicting what Keras did.
@Suite("Sequence layers predict what Keras does")
struct SequenceLayerFixtureTests {
    @Test("prediction within 1e-5 of Keras", arguments: Fixtures.sequenceLayers)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
        if fixture.stateful == true {
            #expect(model.network.isStateful && model.network.fixedBatchSize == fixture.fixedBatchSize)
        }
    }

    /// Every format kerasio writes, with the architecture a weights-only file is read with.
    static let outputs = ActivationLayerFixtureTests.outputs

    /// The legacy .h5 entries (each case once) of the classes this suite adds.
    static let writable = Fixtures.sequenceLayers.filter { ($0.format ?? "legacy-h5") == "legacy-h5" }

    @Test("written in every format and read back: same layers, weights and Keras's predictions", arguments: writable)
    func roundTrip(_ fixture: Fixtures.Entry) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-sequence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        // RNN(cell) is written as the layer it equals (RNN(LSTMCell) as LSTM).
        let keepsClasses = !original.config.computingLayers.contains { $0.className == "RNN" }
        for output in Self.outputs {
            let path = directory.appendingPathComponent(output.file).path
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(
                from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
            if keepsClasses {
                #expect(copy.config.computingLayers.map(\.className) == original.config.computingLayers.map(\.className), "\(output.file)")
            }
            #expect(copy.network.layers.map(\.parameters) == original.network.layers.map(\.parameters), "\(output.file)")
            // Ids are written as int32 whatever the original input's dtype (Keras casts float ids the same way).
            #expect(copy.network.fixedBatchSize == original.network.fixedBatchSize, "\(output.file)")
            #expect(copy.config.inputDType == original.config.inputDType || original.config.inputDType.hasPrefix("float"), "\(output.file)")
            let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: copy, file: fixture.input)
            let predicted = try copy.predict(batch)
            let mismatch = Agreement.mismatch(
                predicted.scalars, shape: predicted.shape, expected: expected.values, expectedShape: expected.shape,
                tolerance: FixturePredictionTests.tolerance, what: "\(output.file) prediction")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    struct Refusal: Decodable {
        let file: String
        let why: String
        let input: String?
        let kerasOutputs: [String]?
        enum CodingKeys: String, CodingKey { case file, why, input, kerasOutputs = "keras_outputs" }
    }

    static let refusals: [Refusal] = {
        struct Part: Decodable { let refusals: [Refusal]? }
        guard let data = FileManager.default.contents(atPath: Fixtures.path("sequence_layers/manifest.json")),
              let part = try? JSONDecoder().decode(Part.self, from: data) else { return [] }
        return part.refusals ?? []
    }()

    /// Refused until issue 15 (graphs): now each predicts both of Keras's outputs.
    @Test("Bidirectional(merge_mode=None) models give Keras's two outputs")
    func mergeModeNone() throws {
        #expect(Self.refusals.count >= 4)
        for refusal in Self.refusals {
            let model = try KerasModel.load(from: Fixtures.path("sequence_layers/\(refusal.file)"))
            let input = try Fixtures.array("sequence_layers/\(try #require(refusal.input))")
            let outputs = try model.predict([try Tensor(shape: input.shape, scalars: input.values)])
            let expected = try #require(refusal.kerasOutputs)
            #expect(outputs.count == expected.count)
            for (output, path) in zip(outputs, expected) {
                let reference = try Fixtures.array("sequence_layers/\(path)")
                let mismatch = Agreement.mismatch(
                    output.scalars, shape: output.shape, expected: reference.values, expectedShape: reference.shape,
                    tolerance: FixturePredictionTests.tolerance, what: "\(refusal.file) \(path)")
                #expect(mismatch == nil, "\(mismatch ?? "")")
            }
        }
    }
}
