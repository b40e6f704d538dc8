import Foundation
import KerasIO
import Testing

/// `kerasio predict` on models with masks, integer ids and carried state,
/// checked against the numbers Keras recorded for the same inputs.
@Suite("kerasio predict runs masked, Embedding and stateful models as Keras does")
struct SequenceLayerCommandTests {
    static func fixture(_ name: String) -> (model: String, input: String, expected: String) {
        let base = CLI.fixture("sequence_layers/keras3/\(name)")
        return ("\(base).h5", "\(base).input.npy", "\(base).expected.npy")
    }

    /// The largest difference between the predictions written at `path` and Keras's.
    static func difference(_ path: String, _ expected: String) throws -> Float {
        let ours = try NumpyArrayFile.read(from: path), keras = try NumpyArrayFile.read(from: expected)
        #expect(ours.shape == keras.shape)
        return zip(ours.values, keras.values).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test("a masked model streamed one sample per chunk predicts Keras's numbers",
          arguments: ["masking_lstm_sequences", "bidirectional_lstm_masking", "timedistributed_dense_masking", "embedding_mask_zero_true_lstm_sequences"])
    func maskedStreamed(_ name: String) throws {
        let (model, input, expected) = Self.fixture(name)
        let directory = try CLI.temporaryDirectory()
        let output = directory.appendingPathComponent("y.npy").path
        // One sample per chunk: every block is one sample, so masks must flow within each.
        let result = try CLI.run(["predict", model, "--input", input, "--output", output], environment: ["KERASIO_PREDICT_CHUNK_SAMPLES": "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.difference(output, expected) <= 1e-5)
    }

    @Test("a stateful model carries its state over the batches of one predict, as Keras's predict does")
    func stateful() throws {
        let (model, input, expected) = Self.fixture("stateful_lstm_masking")
        let directory = try CLI.temporaryDirectory()
        let output = directory.appendingPathComponent("y.npy").path
        let result = try CLI.run(["predict", model, "--input", input, "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.difference(output, expected) <= 1e-5)

        // 4 samples are not whole batches of 3: one line, and nothing written.
        let x = try NumpyArrayFile.read(from: input)
        let length = x.values.count / x.shape[0]
        let four = directory.appendingPathComponent("four.npy").path
        try NumpyArrayFile.write(NumpyArray(shape: [4] + x.shape.dropFirst(), values: Array(x.values.prefix(4 * length))), to: four)
        let refused = try CLI.run(["predict", model, "--input", four, "--output", directory.appendingPathComponent("z.npy").path])
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("error: ") && refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.contains("stateful with batch size 3"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("z.npy").path))
    }

    @Test("integer ids from a CSV predict Keras's numbers; an id out of range names the sample and position")
    func integerIDs() throws {
        let (model, input, expected) = Self.fixture("embedding_mask_zero_true_lstm")
        let ids = try NumpyArrayFile.read(from: input)
        let directory = try CLI.temporaryDirectory()
        let csv = directory.appendingPathComponent("ids.csv").path
        let steps = ids.shape[1]
        let rows = (0..<ids.shape[0]).map { row in ids.values[row * steps..<(row + 1) * steps].map { String(Int($0)) }.joined(separator: ",") }
        try (rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("y.npy").path
        let result = try CLI.run(["predict", model, "--input", csv, "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.difference(output, expected) <= 1e-5)

        var bad = rows
        bad[2] = bad[2].split(separator: ",").enumerated().map { $0.offset == 4 ? "10" : String($0.element) }.joined(separator: ",")
        let badCSV = directory.appendingPathComponent("bad.csv").path
        try (bad.joined(separator: "\n") + "\n").write(toFile: badCSV, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["predict", model, "--input", badCSV])
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.contains("bad.csv: sample 2, position 4: id 10 is outside [-10, 10)"), "\(refused.stderr)")

        let fraction = directory.appendingPathComponent("fraction.npy").path
        var values = ids.values
        values[1] = 1.5
        try NumpyArrayFile.write(NumpyArray(shape: ids.shape, values: values), to: fraction)
        let notWhole = try CLI.run(["predict", model, "--input", fraction])
        #expect(notWhole.status != 0)
        #expect(notWhole.stderr.contains("sample 0, position 1: 1.5, not a whole number"), "\(notWhole.stderr)")
    }
}
