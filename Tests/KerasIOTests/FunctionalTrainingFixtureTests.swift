import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Training through graphs ends on Keras's weights
/// (`fixtures/generate_functional_training.py`): two inputs, two outputs
/// with a loss each and loss_weights, a shared layer, and a Conv1D +
/// BatchNormalization + LSTM chain, one epoch from the same initial
/// weights, data and optimizer as Keras 3 and tf.keras.
@Suite("Training through graphs matches Keras")
struct FunctionalTrainingFixtureTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let initial: String
        let after: String
        let x: Paths
        let y: Paths
        let loss: Paths
        let lossWeights: [Float]?
        let batchSize: Int
        let epochs: Int
        let batchLosses: [Double]
        enum CodingKeys: String, CodingKey {
            case name, initial, after, x, y, loss, epochs
            case lossWeights = "loss_weights", batchSize = "batch_size", batchLosses = "batch_losses"
        }
        var testDescription: String { name }
    }

    /// One path or name, or a list of them (one per input or output).
    struct Paths: Decodable, Sendable {
        let values: [String]
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) { values = [one] } else { values = try container.decode([String].self) }
        }
    }

    static let manifestPath = Fixtures.path("functional_training/manifest.json")
    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return [] }
        return (try? JSONDecoder().decode([String: [Case]].self, from: TrainingFixtureTests.casesOnly(data)))?["cases"] ?? []
    }()

    @Test("the cases the issue names, in both generations")
    func coverage() {
        let names = Set(Self.cases.map(\.name))
        for name in ["two_inputs", "two_outputs", "shared_layer", "conv_bn_lstm"] {
            #expect(names.contains("keras3/\(name)") && names.contains("keras2/\(name)"), "\(name)")
        }
        #expect(Self.cases.contains { $0.lossWeights != nil && $0.loss.values.count == 2 })
    }

    static func train(_ fixture: Case) throws -> (KerasModel, [EpochReport]) {
        var model = try KerasModel.load(from: Fixtures.path(fixture.initial))
        func tensors(_ paths: Paths) throws -> [Tensor] {
            try paths.values.map { path in
                let array = try Fixtures.array(path)
                return try Tensor(shape: array.shape, scalars: array.values)
            }
        }
        var optimizer = try TrainingFixtureTests.optimizer(for: fixture.name, in: Self.manifestPath)
        let losses = try fixture.loss.values.map { try #require(Loss(kerasName: $0)) }
        let reports = try model.network.fit(
            x: try tensors(fixture.x), y: try tensors(fixture.y), losses: losses, lossWeights: fixture.lossWeights,
            optimizer: &optimizer, options: FitOptions(epochs: fixture.epochs, batchSize: fixture.batchSize, shuffle: false))
        return (model, reports)
    }

    @Test("weights (moving statistics included) and every logged loss within 1e-5 of Keras's", arguments: cases)
    func training(_ fixture: Case) throws {
        let (model, reports) = try Self.train(fixture)
        let after = try KerasModel.load(from: Fixtures.path(fixture.after))
        #expect(model.network.layers.map(\.name) == after.network.layers.map(\.name))
        for (layer, expected) in zip(model.network.layers, after.network.layers) {
            #expect(layer.parameters.count == expected.parameters.count, "\(layer.name): weight count")
            for (k, (tensor, reference)) in zip(layer.parameters, expected.parameters).enumerated() {
                let mismatch = Agreement.mismatch(
                    tensor.scalars, shape: tensor.shape, expected: reference.scalars, expectedShape: reference.shape,
                    tolerance: TrainingFixtureTests.tolerance, what: "\(layer.name) weight \(k)")
                #expect(mismatch == nil, "\(mismatch ?? "")")
            }
        }
        var running: [Float] = [], sum: Float = 0, samples = 0
        for report in reports {
            for (value, size) in zip(report.batchLosses, report.batchSizes) {
                sum += value * Float(size)
                samples += size
                running.append(sum / Float(samples))
            }
        }
        let mismatch = Agreement.mismatch(
            running, shape: [running.count], expected: fixture.batchLosses.map(Float.init), expectedShape: [fixture.batchLosses.count],
            tolerance: TrainingFixtureTests.tolerance, what: "batch losses")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
