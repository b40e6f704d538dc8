import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// `StreamingSession`: a model advanced chunk by chunk (or step by step)
/// from the state the previous chunk left, against Keras's numbers.
@Suite("A streaming session advances a model as Keras's stateful layers do")
struct StreamingSessionTests {
    static func load(_ fixture: Fixtures.Entry) throws -> (KerasModel, NumpyArray, NumpyArray) {
        (try KerasModel.load(from: Fixtures.path(fixture.model), architecture: fixture.config.map(Fixtures.path)),
         try Fixtures.array(fixture.input), try Fixtures.array(fixture.expected))
    }

    /// Rows `range` of a C-order array whose first axis has `shape[0]` rows.
    static func rows(_ array: NumpyArray, _ range: Range<Int>) -> [Float] {
        let length = array.values.count / array.shape[0]
        return Array(array.values[range.lowerBound * length..<range.upperBound * length])
    }

    @Test("a stateful model fed its batches one call at a time gives Keras's consecutive predictions",
          arguments: Fixtures.sequenceLayers.filter { $0.stateful == true })
    func statefulBatches(_ fixture: Fixtures.Entry) throws {
        let (model, input, expected) = try Self.load(fixture)
        let batch = try #require(fixture.fixedBatchSize)
        let session = try StreamingSession(model: model.network)
        #expect(session.batchSize == batch)
        var outputs: [Float] = []
        for start in stride(from: 0, to: input.shape[0], by: batch) {
            let chunk = try Tensor(shape: [batch] + input.shape.dropFirst(), scalars: Self.rows(input, start..<start + batch))
            outputs += try session.advance(chunk).scalars
        }
        let mismatch = Agreement.mismatch(outputs, expected: expected.values, tolerance: FixturePredictionTests.tolerance, what: fixture.name)
        #expect(mismatch == nil, "\(mismatch ?? "")")

        // After resetStates the first batch gives the first batch's output again.
        session.resetStates()
        let first = try Tensor(shape: [batch] + input.shape.dropFirst(), scalars: Self.rows(input, 0..<batch))
        let again = try session.advance(first).scalars
        #expect(again == Array(outputs.prefix(again.count)))
    }

    /// Unmasked recurrent models returning sequences: one step per call
    /// gives, at each step, what Keras gave at that step of the whole sequence.
    static let stepwise = Fixtures.recurrent.filter {
        ($0.format ?? "legacy-h5") == "legacy-h5" && $0.dir.hasSuffix("keras3")
            && ["lstm_return_sequences", "gru_return_sequences", "lstm_stacked", "gru_reset_before_stacked"].contains($0.name)
    }

    @Test("one step per call matches Keras's output at every step of the whole sequence", arguments: stepwise)
    func stepByStep(_ fixture: Fixtures.Entry) throws {
        let (model, input, expected) = try Self.load(fixture)
        let samples = input.shape[0], steps = input.shape[1], features = input.shape[2]
        let session = try StreamingSession(model: model.network, batchSize: samples)
        let width = try session.outputCount(steps: 1) / samples
        let sequences = expected.shape.count == 3
        var output = [Float](repeating: .nan, count: samples * width)
        var step = [Float](repeating: 0, count: samples * features)
        for t in 0..<steps {
            for b in 0..<samples {
                for f in 0..<features { step[b * features + f] = input.values[(b * steps + t) * features + f] }
            }
            try step.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { try session.advance(x, steps: 1, into: $0) }
            }
            guard sequences || t == steps - 1 else { continue }
            var want: [Float] = []
            for b in 0..<samples {
                want += sequences ? Array(expected.values[(b * steps + t) * width..<(b * steps + t + 1) * width])
                                  : Array(expected.values[b * width..<(b + 1) * width])
            }
            let mismatch = Agreement.mismatch(output, expected: want, tolerance: FixturePredictionTests.tolerance, what: "\(fixture.name) step \(t)")
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test("the cases above exist")
    func coverage() {
        #expect(Self.stepwise.count == 4)
        #expect(Fixtures.sequenceLayers.filter { $0.stateful == true }.count >= 6)
    }

    @Test("a session refuses what it cannot stream, and chunks that do not fit")
    func refusals() throws {
        let bidirectional = try #require(Fixtures.sequenceLayers.first { $0.name == "bidirectional_lstm_concat" })
        #expect(throws: RuntimeError.self) { _ = try StreamingSession(model: try KerasModel.load(from: Fixtures.path(bidirectional.model)).network) }
        let stateful = try #require(Fixtures.sequenceLayers.first { $0.stateful == true })
        let model = try KerasModel.load(from: Fixtures.path(stateful.model))
        #expect(throws: RuntimeError.self) { _ = try StreamingSession(model: model.network, batchSize: 1) }
        let session = try StreamingSession(model: model.network)
        var output = [Float](repeating: 0, count: 1)
        let chunk = [Float](repeating: 0, count: 5)
        #expect(throws: RuntimeError.self) {
            try chunk.withUnsafeBufferPointer { x in try output.withUnsafeMutableBufferPointer { try session.advance(x, steps: 1, into: $0) } }
        }
    }
}
