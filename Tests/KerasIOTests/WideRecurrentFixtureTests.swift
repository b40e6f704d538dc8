import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// LSTM and SimpleRNN with units a multiple of eight, as Keras 3 and tf.keras
/// made them (`fixtures/generate_wide_recurrent.py`). Their inference takes
/// two paths no narrower fixture reaches: the LSTM's vectorised gate loop
/// (Keras's default activations, eight units at a time) and, for batches
/// large enough to project step by step, one joined product
/// `[x_t, h_{t-1}] · [W; U]` per step (`RNN+JoinedProducts.swift`).
@Suite("Wide recurrent layers match Keras, at small and large batches")
struct WideRecurrentFixtureTests {
    static let entries = Fixtures.wideRecurrent
    static let legacy = entries.filter { ($0.format ?? "legacy-h5") == "legacy-h5" }

    @Test("the manifest has every case in both generations and all three formats each Keras writes")
    func coverage() {
        for dir in ["wide_recurrent/keras2", "wide_recurrent/keras3"] {
            let mine = Self.entries.filter { $0.dir == dir }
            #expect(mine.count == 8 * 3, "\(dir)")
            #expect(Set(mine.compactMap(\.format)) == ["legacy-h5", "keras", dir.hasSuffix("3") ? "keras-weights-h5" : "legacy-weights-h5"])
        }
    }

    @Test("prediction within 1e-5 of Keras, in every format Keras wrote", arguments: entries)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    /// Each input repeated until every recurrent layer projects step by step
    /// in every thread's share of the batch (the sequence a layer sees is at
    /// least a third of the input's: the Conv1D and pooling case shortens it).
    @Test("the input repeated past the step-by-step projection limit gives Keras's predictions, repeated", arguments: legacy)
    func repeatedBatch(_ fixture: Fixtures.Entry) throws {
        let model = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input), expected = try Fixtures.array(fixture.expected)
        let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: fixture.input)
        let samples = batch.shape[0], shortestSteps = max(batch.shape[1] / 3, 1)
        let narrowest = model.network.layers.compactMap { ($0 as? any RecurrentLayer)?.cell.projectionSize }.min() ?? 1
        let limit = SimpleRNN.wholeSequenceProjectionLimit
        let copies = limit * ComputeBackend.threads / (shortestSteps * samples * narrowest) + 2
        #expect(shortestSteps * samples * copies / ComputeBackend.threads * narrowest > limit)
        let repeated = try Tensor(
            shape: [samples * copies] + batch.shape.dropFirst(),
            scalars: Array([[Float]](repeating: batch.scalars, count: copies).joined()))
        let output = try model.predict(repeated)
        let mismatch = Agreement.mismatch(
            output.scalars, expected: Array([[Float]](repeating: expected.values, count: copies).joined()),
            tolerance: FixturePredictionTests.tolerance, what: "\(fixture.name) x\(copies)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
