import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Functional models as Keras 3 and tf.keras made them
/// (`fixtures/generate_functional.py`): several inputs and outputs, merges,
/// shared layers, nested models, recurrent states passed between layers,
/// read in every format the generator wrote and predicting what Keras did.
@Suite("Functional graphs predict what Keras does")
struct FunctionalFixtureTests {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        struct Array: Decodable, Sendable {
            let name: String
            let file: String
            let shape: [Int]
        }

        let name: String
        let dir: String
        let model: String
        let format: String
        let config: String?
        let layers: [String]
        let inputs: [Array]
        let outputs: [Array]

        var testDescription: String { "\(dir)/\(name)" }
        func path(_ relative: String) -> String { Fixtures.path("functional/\(relative)") }
    }

    struct Manifest: Decodable {
        let fixtures: [Entry]
        let refusals: [Refusal]?
    }

    struct Refusal: Decodable, Sendable {
        let file: String
        let why: String
    }

    static let manifest: Manifest? = {
        guard let data = FileManager.default.contents(atPath: Fixtures.path("functional/manifest.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }()

    static let entries = manifest?.fixtures ?? []
    static let writable = entries.filter { $0.format == "legacy-h5" }

    /// The model's predictions for the entry's inputs against Keras's, output by output.
    static func mismatches(_ model: KerasModel, _ fixture: Entry, what: String) throws -> [String] {
        var inputs: [Tensor] = []
        for (index, input) in fixture.inputs.enumerated() {
            let array = try NumpyArrayFile.read(from: fixture.path(input.file))
            inputs.append(try ModelInput.batch(fromArray: array.shape, values: array.values, for: model, file: input.file, input: index))
        }
        let outputs = try model.predict(inputs)
        #expect(outputs.count == fixture.outputs.count, "\(what): output count")
        var found: [String] = []
        for (output, expected) in zip(outputs, fixture.outputs) {
            let reference = try NumpyArrayFile.read(from: fixture.path(expected.file))
            if let mismatch = Agreement.mismatch(
                output.scalars, shape: output.shape, expected: reference.values, expectedShape: reference.shape,
                tolerance: FixturePredictionTests.tolerance, what: "\(what) output '\(expected.name)'") {
                found.append(mismatch)
            }
        }
        return found
    }

    @Test("the manifest lists the cases the issue names, in both generations")
    func coverage() throws {
        let names = Set(Self.entries.map(\.name))
        for required in ["two_inputs_concat", "two_outputs", "residual_add", "seq2seq_lstm_states", "shared_lstm",
                         "nested_sequential", "nested_functional", "bidirectional_merge_none", "merge_vectors", "merge_sequences"] {
            #expect(names.contains(required), "\(required)")
        }
        #expect(Set(Self.entries.map(\.dir)) == ["keras3", "keras2"])
    }

    @Test("prediction within 1e-5 of Keras, every output, inputs and outputs in the model's order and names", arguments: entries)
    func prediction(_ fixture: Entry) throws {
        let model = try KerasModel.load(from: fixture.path(fixture.model), architecture: fixture.config.map(fixture.path))
        #expect(model.inputNames == fixture.inputs.map(\.name))
        #expect(model.outputNames == fixture.outputs.map(\.name))
        #expect(model.network.inputShapes.map { $0.count } == fixture.inputs.map { $0.shape.count - 1 })
        let mismatches = try Self.mismatches(model, fixture, what: fixture.model)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "; "))")
    }

    @Test("written in every format and read back as the same graph, predicting what Keras did", arguments: writable)
    func roundTrip(_ fixture: Entry) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-functional-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try KerasModel.load(from: fixture.path(fixture.model))
        for output in ActivationLayerFixtureTests.outputs {
            let path = directory.appendingPathComponent(output.file).path
            try KerasModelWriter.write(original.network, to: path, format: output.format, keras: output.keras)
            let copy = try KerasModel.load(from: path, architecture: output.architecture.map { directory.appendingPathComponent($0).path })
            #expect(copy.inputNames == original.inputNames && copy.outputNames == original.outputNames, "\(output.file)")
            #expect(copy.network.layers.map(\.name) == original.network.layers.map(\.name), "\(output.file)")
            #expect(copy.network.layers.map(\.parameters) == original.network.layers.map(\.parameters), "\(output.file)")
            #expect(copy.network.graph?.nodes == original.network.graph?.nodes, "\(output.file): the same calls")
            let mismatches = try Self.mismatches(copy, fixture, what: output.file)
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "; "))")
        }
    }

    @Test("Lambda layers are refused in one line naming the layer")
    func lambdaRefused() throws {
        let refusals = Self.manifest?.refusals ?? []
        #expect(!refusals.isEmpty)
        for refusal in refusals {
            let error = try #require(throws: KerasIOError.self, "\(refusal.file)") {
                _ = try KerasModel.load(from: Fixtures.path("functional/\(refusal.file)"))
            }
            #expect(error.detail.contains("Lambda") && !error.detail.contains("\n"), "\(error.detail)")
        }
    }
}
