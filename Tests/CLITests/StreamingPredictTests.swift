import Foundation
import KerasIO
import Testing

/// `kerasio predict` on a `.npy` input reads, predicts and writes it a chunk
/// at a time (`KERASIO_PREDICT_CHUNK_SAMPLES` makes the chunks small here);
/// CSV and Fortran-order inputs are read whole and predicted in one call.
/// Both must give the same bytes.
@Suite("kerasio predict streams .npy input")
struct StreamingPredictTests {
    static let model = CLI.fixture("keras3/sunspots.h5")
    /// An LSTM returning sequences: input (5, 3), output (5, 4) per sample.
    /// Its numbers depend, in the last bit, on the block of samples they are
    /// computed in (one row takes sgemv, a few the few-rows kernel), so the
    /// chunks must be the blocks `predict` uses on the whole batch.
    static let lstm = CLI.fixture("recurrent/keras3/lstm_return_sequences.h5")

    /// `samples` random samples shaped `sampleShape`, as a C-order .npy, a
    /// Fortran-order .npy and a CSV (9 significant digits: the same Floats)
    /// in `directory`.
    static func inputs(samples: Int, sampleShape: [Int], in directory: URL) throws -> (npy: String, fortran: String, csv: String) {
        var random = SystemRandomNumberGenerator()
        let length = sampleShape.reduce(1, *)
        let values = (0..<samples * length).map { _ in Float.random(in: -1...1, using: &random) }
        let shape = [samples] + sampleShape
        let npy = directory.appendingPathComponent("x.npy").path
        try NumpyArrayFile.write(NumpyArray(shape: shape, values: values), to: npy)
        let csv = directory.appendingPathComponent("x.csv").path
        try CSVArrayFile.write(values: values, columns: length, to: csv)
        // Fortran order: the same array stored column-major, the first index
        // varying fastest.
        var header = "{'descr': '<f4', 'fortran_order': True, 'shape': (\(shape.map(String.init).joined(separator: ", "))), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for element in 0..<length {
            for sample in 0..<samples {
                withUnsafeBytes(of: values[sample * length + element].bitPattern.littleEndian) { bytes += $0 }
            }
        }
        let fortran = directory.appendingPathComponent("xf.npy").path
        if sampleShape.count == 1 || sampleShape.dropFirst().allSatisfy({ $0 == 1 }) {
            try Data(bytes).write(to: URL(fileURLWithPath: fortran))
        } else {
            // Column-major over all axes: element (i, j, k) at i + n·(j + d₁·k).
            var reordered: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
            reordered += Array(header.utf8)
            let (steps, features) = (sampleShape[0], sampleShape[1])
            for feature in 0..<features {
                for step in 0..<steps {
                    for sample in 0..<samples {
                        let value = values[sample * length + step * features + feature]
                        withUnsafeBytes(of: value.bitPattern.littleEndian) { reordered += $0 }
                    }
                }
            }
            try Data(reordered).write(to: URL(fileURLWithPath: fortran))
        }
        return (npy, fortran, csv)
    }

    static func contents(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Enough work that predict splits the batch over the threads (when
    /// there are several: 2·5·138·3,001 operations are over its 4·10⁶), so
    /// the chunks must follow its blocks. (ChunkedPredictionTests covers
    /// more models and sizes in-process.)
    static let sameBytesCases: [(model: String, samples: Int, sampleShape: [Int], threads: String)] = [
        (lstm, 3_001, [5, 3], ""), (lstm, 3_001, [5, 3], "3"),
    ]

    @Test("Streamed in chunks of any size, the .npy, CSV and stdout outputs are byte for byte the whole-array path's",
          arguments: 0..<sameBytesCases.count)
    func sameBytes(_ index: Int) throws {
        let (model, samples, sampleShape, threads) = Self.sameBytesCases[index]
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.inputs(samples: samples, sampleShape: sampleShape, in: directory)
        let base = threads.isEmpty ? [:] : ["KERASIO_THREADS": threads]

        // The whole-array path: a CSV input is read whole and predicted in one call.
        let wholeNpy = directory.appendingPathComponent("whole.npy").path
        let wholeCSV = directory.appendingPathComponent("whole.csv").path
        for output in [wholeNpy, wholeCSV] {
            let result = try CLI.run(["predict", model, "--input", input.csv, "--output", output], environment: base)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let wholeStdout = try CLI.run(["predict", model, "--input", input.csv], environment: base)
        #expect(wholeStdout.status == 0)
        #expect(wholeStdout.stdout == String(decoding: try Self.contents(wholeCSV), as: UTF8.self))
        #expect(try CLI.readNumpy(wholeNpy).shape.first == samples)

        for chunk in ["", "1", "300"] {
            var environment = base
            if !chunk.isEmpty { environment["KERASIO_PREDICT_CHUNK_SAMPLES"] = chunk }
            // Fortran order is read whole whatever the chunk size: once is enough.
            for source in chunk.isEmpty ? [input.npy, input.fortran] : [input.npy] {
                let label = "\(URL(fileURLWithPath: source).lastPathComponent), threads '\(threads)', chunks '\(chunk)'"
                let npy = directory.appendingPathComponent("y.npy").path
                let csv = directory.appendingPathComponent("y.csv").path
                for output in [npy, csv] {
                    let result = try CLI.run(["predict", model, "--input", source, "--output", output], environment: environment)
                    #expect(result.status == 0, "\(label): \(result.stderr)")
                    #expect(result.stdout.isEmpty && result.stderr.isEmpty)
                }
                #expect(try Self.contents(npy) == Self.contents(wholeNpy), "\(label): .npy")
                #expect(try Self.contents(csv) == Self.contents(wholeCSV), "\(label): .csv")
                let stdout = try CLI.run(["predict", model, "--input", source], environment: environment)
                #expect(stdout.status == 0)
                #expect(stdout.stdout == wholeStdout.stdout, "\(label): stdout")
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(leftovers == ["whole.csv", "whole.npy", "x.csv", "x.npy", "xf.npy", "y.csv", "y.npy"])
    }

    @Test("One sample, with or without the batch axis, streams like the rest")
    func oneSample() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let values = (0..<12).map { Float($0) / 12 }
        let batched = directory.appendingPathComponent("one.npy").path
        let bare = directory.appendingPathComponent("bare.npy").path
        try NumpyArrayFile.write(NumpyArray(shape: [1, 12, 1], values: values), to: batched)
        try NumpyArrayFile.write(NumpyArray(shape: [12, 1], values: values), to: bare)
        let first = try CLI.run(["predict", Self.model, "--input", batched])
        let second = try CLI.run(["predict", Self.model, "--input", bare])
        #expect(first.status == 0 && second.status == 0)
        #expect(first.stdout == second.stdout && first.stdout.split(separator: "\n").count == 1)
    }

    /// The file names the header's 1,000 samples, the data holds 999 and a bit.
    static func truncatedInput(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("short.npy").path
        try NumpyArrayFile.write(NumpyArray(shape: [1000, 12, 1], values: [Float](repeating: 0.5, count: 12_000)), to: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 20)
        try handle.close()
        return path
    }

    @Test("A truncated input is one error line naming it; an existing output stays as it was, nothing is left behind",
          arguments: ["keep.npy", "keep.csv", ""])
    func truncated(output: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.truncatedInput(in: directory)
        var arguments = ["predict", Self.model, "--input", input]
        if !output.isEmpty {
            try Data("precious".utf8).write(to: directory.appendingPathComponent(output))
            arguments += ["--output", directory.appendingPathComponent(output).path]
        }
        let result = try CLI.run(arguments, environment: ["KERASIO_PREDICT_CHUNK_SAMPLES": "1"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "error: \(input): truncated data: shape (1000, 12, 1) of '<f4' needs 48000 bytes of data, the file has 47980\n")
        if !output.isEmpty {
            #expect(try Self.contents(directory.appendingPathComponent(output).path) == Data("precious".utf8))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(leftovers == (["short.npy"] + (output.isEmpty ? [] : [output])).sorted())
    }

    @Test("A header claiming 10^15 samples fails at once with one line, allocating nothing")
    func hugeClaim() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge.npy").path
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000000, 12, 1), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
            + [UInt8](repeating: 0, count: 4096)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["predict", Self.model, "--input", path, "--output", directory.appendingPathComponent("y.npy").path],
                                 environment: ["KERASIO_MEMORY_LIMIT_MB": "256"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: \(path): truncated data: shape (1000000000000000, 12, 1)"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("A bad input is reported before a bad output; a good input with an unwritable output names the output")
    func errorOrder() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missingDirectory = directory.appendingPathComponent("no/such/dir/y.npy").path
        let input = try Self.truncatedInput(in: directory)
        let bad = try CLI.run(["predict", Self.model, "--input", input, "--output", missingDirectory])
        #expect(bad.stderr.hasPrefix("error: \(input): truncated data"))
        let good = try CLI.run(["predict", Self.model, "--input", CLI.fixture("keras3/sunspots.input.npy"), "--output", missingDirectory])
        #expect(good.status != 0)
        #expect(good.stderr.hasPrefix("error: \(missingDirectory): cannot write"), "\(good.stderr)")
        #expect(good.stderr.split(separator: "\n").count == 1)
    }
}
