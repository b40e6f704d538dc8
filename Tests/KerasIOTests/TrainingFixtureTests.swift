import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Training in Swift ends on Keras's weights and reports Keras's losses: from
/// the same initial weights, data, optimizer and loss, without shuffling,
/// Keras ran the fixture's epochs (fixtures/generate_training.py) and stored
/// the weights after them and every loss it logged.
@Suite("Training matches Keras step for step")
struct TrainingFixtureTests {
    /// The project's contract for training: weights and losses within 1e-5
    /// of Keras's (relative where a value is larger than 1).
    static let tolerance: Float = 1e-5

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        struct OptimizerEntry: Decodable, Sendable {
            struct Options: Decodable, Sendable { let momentum: Double? }
            let className: String
            let config: Options?
            enum CodingKeys: String, CodingKey { case className = "class_name", config }
        }
        let name: String
        let initial: String
        let after: String
        let x: String
        let y: String
        let batchSize: Int
        let loss: String
        let optimizer: OptimizerEntry
        let epochs: Int
        /// Keras's logs['loss'] after every batch: the running mean over the
        /// epoch so far, weighted by batch size, restarting each epoch.
        let batchLosses: [Double]
        /// Keras's history['loss'], one per epoch.
        let epochLosses: [Double]?
        /// The last epoch's loss (older manifests have only this).
        let epochLoss: Double
        let validationSplit: Double?
        /// Keras's history['val_loss'], one per epoch.
        let validationLosses: [Double]?
        enum CodingKeys: String, CodingKey {
            case name, initial, after, x, y, loss, optimizer, epochs
            case batchSize = "batch_size", batchLosses = "batch_losses", epochLosses = "epoch_losses"
            case epochLoss = "epoch_loss", validationSplit = "validation_split", validationLosses = "val_losses"
        }
        /// Keras's loss for every epoch.
        var kerasEpochLosses: [Double] { epochLosses ?? [epochLoss] }
        var testDescription: String { name }
        /// The manifest the case came from.
        var manifestPath = ""
    }

    static let manifestPath = Fixtures.path("training/manifest.json")
    /// LSTM and GRU cases (`generate_recurrent_training.py`), in the same schema.
    static let recurrentManifestPath = Fixtures.path("recurrent_training/manifest.json")
    /// Bidirectional, TimeDistributed, Embedding, Masking and the activation
    /// layers (`generate_sequence_training.py`), in the same schema.
    static let sequenceManifestPath = Fixtures.path("sequence_training/manifest.json")
    /// BatchNormalization and LayerNormalization (`generate_norm_training.py`), in the same schema.
    static let normManifestPath = Fixtures.path("norm_training/manifest.json")
    /// The reshaping layers in recurrent models (`generate_shape_training.py`), in the same schema.
    static let shapeManifestPath = Fixtures.path("shape_training/manifest.json")

    static func cases(in path: String) -> [Case] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONDecoder().decode([String: [Case]].self, from: Data(Self.casesOnly(data))) else { return [] }
        return (object["cases"] ?? []).map { var entry = $0; entry.manifestPath = path; return entry }
    }

    static let simpleCases = cases(in: manifestPath)
    static let recurrentCases = cases(in: recurrentManifestPath)
    static let sequenceCases = cases(in: sequenceManifestPath)
    static let normCases = cases(in: normManifestPath)
    static let shapeCases = cases(in: shapeManifestPath)
    static let cases = simpleCases + recurrentCases + sequenceCases + normCases + shapeCases

    /// The manifest's `cases` list only (other keys are free-form).
    static func casesOnly(_ data: Data) -> Data {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = object["cases"],
              let filtered = try? JSONSerialization.data(withJSONObject: ["cases": cases]) else { return data }
        return filtered
    }

    /// The optimizer exactly as the manifest's full Keras config gives it.
    static func optimizer(for name: String, in manifestPath: String = manifestPath) throws -> any Optimizer {
        let data = try #require(FileManager.default.contents(atPath: manifestPath))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(object["cases"] as? [[String: Any]])
        let entry = try #require(entries.first { $0["name"] as? String == name })
        let optimizer = try #require(entry["optimizer"] as? [String: Any])
        return try TrainingConfig.optimizer(
            className: try #require(optimizer["class_name"] as? String),
            config: optimizer["config"] as? [String: Any] ?? [:], file: name)
    }

    @Test("the training fixtures cover every optimizer, loss and batch sizes 1 and 4")
    func coverage() {
        let names = Set(Self.cases.map(\.optimizer.className))
        #expect(names.isSuperset(of: ["SGD", "Adam", "RMSprop", "Adagrad"]))
        let losses = Set(Self.cases.map(\.loss))
        #expect(losses.isSuperset(of: ["mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy", "categorical_crossentropy"]))
        #expect(Set(Self.cases.map(\.batchSize)).isSuperset(of: [1, 4]))
        // Adam is invariant to a gradient's scale: every loss must also be
        // trained by plain SGD and by Adagrad, where a wrong scale shows.
        for loss in losses {
            let mine = Self.cases.filter { $0.loss == loss }
            #expect(mine.contains { $0.optimizer.className == "SGD" && ($0.optimizer.config?.momentum ?? 0) == 0 },
                    "\(loss) is trained with SGD without momentum")
            #expect(mine.contains { $0.optimizer.className == "Adagrad" }, "\(loss) is trained with Adagrad")
        }
    }

    @Test("the manifest was read: every case, with its recorded losses")
    func manifestRead() {
        #expect(Self.simpleCases.count >= 30, "\(Self.simpleCases.count) training cases decoded from \(Self.manifestPath)")
        #expect(Self.recurrentCases.count >= 20, "\(Self.recurrentCases.count) cases decoded from \(Self.recurrentManifestPath)")
        #expect(Self.sequenceCases.count >= 20, "\(Self.sequenceCases.count) cases decoded from \(Self.sequenceManifestPath)")
        for fixture in Self.cases {
            #expect(fixture.epochs >= 1 && fixture.kerasEpochLosses.count == fixture.epochs, "\(fixture.name)")
            #expect(!fixture.batchLosses.isEmpty, "\(fixture.name) has Keras's batch losses")
        }
        #expect(Self.cases.contains { $0.validationLosses?.isEmpty == false }, "some case has Keras's val_loss")
    }

    @Test("a stateful model trains as Keras does: its state carried from batch to batch")
    func statefulCovered() {
        #expect(Self.sequenceCases.filter { $0.name.contains("stateful") }.count >= 2)
    }

    @Test("LSTM and both GRU variants are trained by several optimizers at batch sizes 1 and more")
    func recurrentCoverage() throws {
        var optimizers: [String: Set<String>] = [:], batches: [String: Set<Int>] = [:]
        for fixture in Self.recurrentCases {
            let model = try KerasModel.load(from: Fixtures.path(fixture.initial))
            for layer in model.network.layers {
                let kind = layer is LSTM ? "LSTM" : (layer as? GRU).map { $0.cell.resetAfter ? "GRU" : "GRU(reset_after=False)" }
                guard let kind else { continue }
                optimizers[kind, default: []].insert(fixture.optimizer.className)
                batches[kind, default: []].insert(fixture.batchSize)
            }
        }
        for kind in ["LSTM", "GRU", "GRU(reset_after=False)"] {
            #expect((optimizers[kind] ?? []).count >= 3, "\(kind) trained by \(optimizers[kind] ?? [])")
            #expect((batches[kind] ?? []).contains(1) && (batches[kind] ?? []).contains { $0 > 1 }, "\(kind) batch sizes \(batches[kind] ?? [])")
        }
    }

    /// Trains the fixture's initial model as Keras did; returns the model and the epoch reports.
    static func train(_ fixture: Case) throws -> (KerasModel, [EpochReport]) {
        var model = try KerasModel.load(from: Fixtures.path(fixture.initial))
        let x = try Fixtures.array(fixture.x), y = try Fixtures.array(fixture.y)
        var optimizer = try Self.optimizer(for: fixture.name, in: fixture.manifestPath)
        let loss = try #require(Loss(kerasName: fixture.loss))
        let reports = try model.network.fit(
            x: try Tensor(shape: x.shape, scalars: x.values), y: try Tensor(shape: y.shape, scalars: y.values),
            loss: loss, optimizer: &optimizer,
            options: FitOptions(epochs: fixture.epochs, batchSize: fixture.batchSize, shuffle: false,
                                validationSplit: fixture.validationSplit ?? 0))
        return (model, reports)
    }

    @Test("weights after training within 1e-5 of Keras's", arguments: cases)
    func weightsAfterTraining(_ fixture: Case) throws {
        let (model, _) = try Self.train(fixture)
        let after = try KerasModel.load(from: Fixtures.path(fixture.after))
        let initial = try KerasModel.load(from: Fixtures.path(fixture.initial))
        #expect(model.network.layers.count == after.network.layers.count)
        var moved: Float = 0
        for (index, layer) in model.network.layers.enumerated() where index < after.network.layers.count {
            let expected = after.network.layers[index].parameters
            let start = initial.network.layers[index].parameters
            #expect(layer.parameters.count == expected.count, "\(layer.name): weight count")
            for (k, tensor) in layer.parameters.enumerated() where k < expected.count {
                let mismatch = Agreement.mismatch(
                    tensor.scalars, shape: tensor.shape, expected: expected[k].scalars, expectedShape: expected[k].shape,
                    tolerance: Self.tolerance, what: "\(layer.name) weight \(k)")
                #expect(mismatch == nil, "\(mismatch ?? "")")
                moved = max(moved, zip(start[k].scalars, expected[k].scalars).map { abs($0 - $1) }.max() ?? 0)
            }
        }
        #expect(moved > 1e-4, "the training moved the weights measurably")
    }

    @Test("every batch loss, epoch loss and validation loss within 1e-5 of what Keras logged", arguments: cases)
    func lossesAsKerasLogged(_ fixture: Case) throws {
        let (_, reports) = try Self.train(fixture)
        #expect(reports.count == fixture.epochs)
        // Keras logs, after each batch, the running mean of the epoch's batch
        // losses weighted by batch size.
        var runningMeans: [Float] = []
        for report in reports {
            #expect(report.batchLosses.count == report.batchSizes.count)
            var sum: Float = 0, samples = 0
            for (value, size) in zip(report.batchLosses, report.batchSizes) {
                sum += value * Float(size)
                samples += size
                runningMeans.append(sum / Float(samples))
            }
        }
        let batches = Agreement.mismatch(
            runningMeans, expected: fixture.batchLosses.map { Float($0) }, tolerance: Self.tolerance,
            what: "\(fixture.name) batch loss (running mean)")
        #expect(batches == nil, "\(batches ?? "")")
        let epochs = Agreement.mismatch(
            reports.map(\.loss), expected: fixture.kerasEpochLosses.map { Float($0) }, tolerance: Self.tolerance,
            what: "\(fixture.name) epoch loss")
        #expect(epochs == nil, "\(epochs ?? "")")
        if let validation = fixture.validationLosses {
            let ours = reports.compactMap(\.validationLoss)
            let mismatch = Agreement.mismatch(
                ours, expected: validation.map { Float($0) }, tolerance: Self.tolerance,
                what: "\(fixture.name) val_loss")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        } else {
            #expect(reports.allSatisfy { $0.validationLoss == nil }, "no validation split, no validation loss")
        }
    }
}
