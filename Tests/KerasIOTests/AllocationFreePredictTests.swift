import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// The prediction into caller-owned memory with a reusable workspace: the
/// same numbers as Keras on every fixture, and a clear refusal of memory
/// that does not fit.
@Suite("Predicting into caller-owned memory matches Keras")
struct AllocationFreePredictTests {
    /// One workspace for every model and shape in turn, so re-planning on
    /// a change of model or shape is exercised as well as the numbers.
    @Test("one reused workspace predicts every fixture within 1e-5 of Keras")
    func everyFixture() throws {
        let workspace = PredictionWorkspace()
        // The sequence layers too: masks and carried state on the same path.
        let entries = Fixtures.all + Fixtures.recurrent + Fixtures.sequenceLayers
        #expect(entries.count >= 350)
        var checked = 0
        for fixture in entries {
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
                output, expected: expected.values, tolerance: FixturePredictionTests.tolerance,
                what: "\(fixture.dir)/\(fixture.name)")
            #expect(mismatch == nil, "\(mismatch ?? "")")
            checked += 1
        }
        #expect(checked == entries.count)
    }

    @Test("input or output memory of the wrong size, or a wrong shape, is refused")
    func wrongSizes() throws {
        let model = try KerasModel.load(from: Fixtures.path("recurrent/keras3/lstm_default.h5"))
        let steps = model.inputShape[0] ?? 5, features = model.inputShape[1] ?? 1
        let units = model.outputShape.reduce(1) { $0 * ($1 ?? 1) }
        let workspace = PredictionWorkspace()
        let input = [Float](repeating: 0.5, count: 2 * steps * features)
        var output = [Float](repeating: 0, count: 2 * units)
        func attempt(_ inputCount: Int, _ outputCount: Int, shape: [Int]) throws {
            try input.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { y in
                    try model.predict(
                        UnsafeBufferPointer(rebasing: x[0..<inputCount]), shape: shape,
                        into: UnsafeMutableBufferPointer(rebasing: y[0..<outputCount]), workspace: workspace)
                }
            }
        }
        try attempt(input.count, output.count, shape: [2, steps, features])
        #expect(throws: RuntimeError.self) { try attempt(input.count - 1, output.count, shape: [2, steps, features]) }
        #expect(throws: RuntimeError.self) { try attempt(input.count, output.count - 1, shape: [2, steps, features]) }
        #expect(throws: RuntimeError.self) { try attempt(input.count, output.count, shape: [2, steps, features + 1]) }
        #expect(throws: RuntimeError.self) { try attempt(input.count, output.count, shape: [0, steps, features]) }
        // The workspace still works after the refusals.
        try attempt(input.count / 2, output.count / 2, shape: [1, steps, features])
        #expect(output[0].isFinite)
    }
}

/// Large batches project each step's inputs just before the step instead of
/// all steps at once: the fixtures' inputs repeated until that path is taken
/// must still give Keras's predictions, repeated.
@Suite("Large batches predict what Keras did")
struct LargeBatchPredictionTests {
    @Test("every recurrent fixture's input, repeated past the whole-sequence projection limit", arguments: Fixtures.recurrent.filter { $0.format == "legacy-h5" })
    func repeatedBatch(_ fixture: Fixtures.Entry) throws {
        let model = try KerasModel.load(from: Fixtures.path(fixture.model))
        let input = try Fixtures.array(fixture.input)
        let expected = try Fixtures.array(fixture.expected)
        let batch = try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: fixture.input)
        let samples = batch.shape[0], steps = batch.shape[1]
        let widest = model.network.layers.compactMap { ($0 as? any RecurrentLayer)?.cell.projectionSize }.max() ?? 1
        let copies = SimpleRNN.wholeSequenceProjectionLimit / (steps * samples * widest) + 2
        #expect(steps * samples * copies * widest > SimpleRNN.wholeSequenceProjectionLimit)
        let repeated = try Tensor(shape: [samples * copies] + batch.shape.dropFirst(), scalars: Array([[Float]](repeating: batch.scalars, count: copies).joined()))
        let output = try model.predict(repeated)
        let mismatch = Agreement.mismatch(
            output.scalars, expected: Array([[Float]](repeating: expected.values, count: copies).joined()),
            tolerance: FixturePredictionTests.tolerance, what: "\(fixture.name) x\(copies)")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
