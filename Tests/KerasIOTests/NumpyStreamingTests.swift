import Foundation
import Testing
@testable import KerasIO
import RNNRuntime

/// `.npy` bytes by hand: any descr and order, data as given.
private func npyBytes(descr: String, fortran: Bool = false, shape: [Int], data: [UInt8]) -> Data {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(NumpyArrayFile.shapeText(shape)), }"
    header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    return Data(bytes + Array(header.utf8) + data)
}

/// Values that every dtype below holds exactly or rounds, some negative.
private func sampleValues(_ count: Int) -> [Double] {
    (0..<count).map { index -> Double in
        let base = Double((index * 37) % 101) - 50
        return index % 3 == 0 ? base + 0.25 : base
    }
}

/// The data bytes of `values` as `descr` (`<f4`, `>f8`, `>i2`, `|u1`, `|b1`).
private func encode(_ values: [Double], descr: String) -> [UInt8] {
    let big = descr.hasPrefix(">")
    func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: big ? value.bigEndian : value.littleEndian) { Array($0) }
    }
    return values.flatMap { value -> [UInt8] in
        switch descr.dropFirst() {
        case "f4": return bytes(Float(value).bitPattern)
        case "f8": return bytes(value.bitPattern)
        case "i2": return bytes(Int16(value.rounded(.down)))
        case "u1": return [UInt8(abs(value.rounded(.down)))]
        case "b1": return [value > 0 ? 1 : 0]
        default: preconditionFailure("encode: \(descr)")
        }
    }
}

private func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-stream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// All rows of `reader`, `rowsPerChunk` at a time.
private func readInChunks(_ reader: NumpyChunkReader, rowsPerChunk: Int) throws -> [Float] {
    let rows = reader.shape.first ?? 1
    var values: [Float] = []
    var start = 0
    repeat {
        let end = min(start + rowsPerChunk, rows)
        values += try reader.read(rows: start..<end)
        start = end
    } while start < rows
    return values
}

@Suite("Reading .npy files in chunks")
struct NumpyChunkReaderTests {
    static let descrs = ["<f4", ">f4", "<f8", ">f8", "<i2", ">i2", "|u1", "|b1"]

    @Test("Chunks of any size, from disk and from memory, give the values of reading the file whole",
          arguments: descrs)
    func chunksEqualWhole(_ descr: String) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for shape in [[0, 3, 2], [1, 3, 2], [7, 3, 2], [10], [5, 4]] {
            let count = shape.reduce(1, *)
            let data = npyBytes(descr: descr, shape: shape, data: encode(sampleValues(count), descr: descr))
            let path = directory.appendingPathComponent("a.npy").path
            try data.write(to: URL(fileURLWithPath: path))
            let whole = try NumpyArrayFile.read(from: path)
            let fromDisk = try #require(try NumpyChunkReader.open(path))
            // Pieces of the file of one byte to a few elements: never a whole element or row.
            let inPieces = try [1, 5, 13].map { try #require(try NumpyChunkReader.open(path, pieceBytes: $0)) }
            let fromMemory = try NumpyChunkReader(data: data, path: path)
            for reader in [fromDisk, fromMemory] + inPieces {
                #expect(reader.shape == whole.shape)
                #expect(reader.count == whole.values.count)
                #expect(!reader.isFortranOrder)
                for rowsPerChunk in [1, 2, 3, 4, 6, 7, 100] {
                    let values = try readInChunks(reader, rowsPerChunk: rowsPerChunk)
                    #expect(values.map(\.bitPattern) == whole.values.map(\.bitPattern),
                            "\(descr) \(shape) in chunks of \(rowsPerChunk)")
                }
                // Arbitrary element ranges too, not just whole rows.
                if count >= 5 {
                    #expect(try reader.read(elements: 1..<4) == Array(whole.values[1..<4]))
                }
                #expect(try reader.read(elements: 0..<0) == [])
            }
        }
    }

    @Test("A Fortran-order file opens and says so (callers read it whole)")
    func fortranOrder() throws {
        let data = npyBytes(descr: "<f4", fortran: true, shape: [2, 3], data: encode(sampleValues(6), descr: "<f4"))
        let reader = try NumpyChunkReader(data: data, path: "f.npy")
        #expect(reader.isFortranOrder)
        #expect(reader.shape == [2, 3])
    }

    @Test("Every hostile .npy reproducer is refused on opening with the message of a whole read",
          arguments: HostileArrays.refused.filter { $0.hasSuffix(".npy") })
    func hostileRefusedAlike(_ name: String) throws {
        let path = HostileArrays.path(name)
        let whole = try #require(throws: ArrayFileError.self) { try NumpyArrayFile.read(from: path) }
        let chunked = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader.open(path) }
        #expect(chunked == whole)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let inMemory = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader(data: data, path: path) }
        #expect(inMemory == whole)
    }

    @Test("The accepted hostile .npy files read alike in chunks (C order) or open as Fortran order",
          arguments: HostileArrays.accepted.filter { $0.hasSuffix(".npy") })
    func hostileAccepted(_ name: String) throws {
        let path = HostileArrays.path(name)
        let whole = try NumpyArrayFile.read(from: path)
        let reader = try #require(try NumpyChunkReader.open(path))
        #expect(reader.shape == whole.shape)
        if !reader.isFortranOrder {
            #expect(try readInChunks(reader, rowsPerChunk: 3).map(\.bitPattern) == whole.values.map(\.bitPattern))
        }
    }

    @Test("A file shorter than its header says is refused on opening, naming the file, as a whole read does")
    func truncated() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("short.npy").path
        // 10 samples declared, 9 and a half present.
        var data = npyBytes(descr: "<f4", shape: [10, 12, 1], data: encode(sampleValues(120), descr: "<f4"))
        data.removeLast(24)
        try data.write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader.open(path) }
        #expect(error.file == path)
        #expect(error.problem == "truncated data: shape (10, 12, 1) of '<f4' needs 480 bytes of data, the file has 456")
        #expect(error == (try #require(throws: ArrayFileError.self) { try NumpyArrayFile.read(from: path) }))
    }

    @Test("A header claiming 10^15 samples fails at once, allocating nothing")
    func hugeClaim() throws {
        let data = npyBytes(descr: "<f4", shape: [1_000_000_000_000_000, 12, 1], data: encode(sampleValues(12), descr: "<f4"))
        let error = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader(data: data, path: "huge.npy") }
        #expect(error.problem.hasPrefix("truncated data: shape (1000000000000000, 12, 1)"))
    }

    @Test("A file cut short after it was opened gives an error naming it, not short values")
    func shrinksWhileRead() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("shrinks.npy").path
        try npyBytes(descr: "<f4", shape: [8, 2], data: encode(sampleValues(16), descr: "<f4"))
            .write(to: URL(fileURLWithPath: path))
        let reader = try #require(try NumpyChunkReader.open(path))
        #expect(try reader.read(rows: 0..<2).count == 4)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 8)) == 0)
        let error = try #require(throws: ArrayFileError.self) { try reader.read(rows: 6..<8) }
        #expect(error.file == path)
        #expect(error.problem.hasPrefix("truncated data"))
    }

    @Test("Not a regular file: nil (read whole); missing or a directory: the whole read's errors")
    func notRegular() throws {
        #expect(try NumpyChunkReader.open("/dev/null") == nil)
        let missing = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader.open("/nonexistent/x.npy") }
        #expect(missing == (try #require(throws: ArrayFileError.self) { try NumpyArrayFile.read(from: "/nonexistent/x.npy") }))
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let isDirectory = try #require(throws: ArrayFileError.self) { _ = try NumpyChunkReader.open(directory.path) }
        #expect(isDirectory.problem == "is a directory, not a file")
    }
}

@Suite("Writing .npy and CSV files as a stream")
struct NumpyStreamWriterTests {
    @Test("A .npy written in pieces is byte for byte the file written whole",
          arguments: [[0], [1], [5, 1], [7, 3, 2], [3, 0], [1000, 4], []] as [[Int]])
    func npyEqualsWhole(_ shape: [Int]) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let count = shape.reduce(1, *)
        let values = sampleValues(count).map { Float($0) / 7 }
        let whole = directory.appendingPathComponent("whole.npy").path
        try NumpyArrayFile.write(NumpyArray(shape: shape, values: values), to: whole)
        for piece in [1, 3, 64, max(count, 1)] {
            let streamed = directory.appendingPathComponent("streamed-\(piece).npy").path
            try NumpyStreamWriter.write(shape: shape, to: streamed) { file in
                for start in stride(from: 0, to: count, by: piece) {
                    try file.append(values[start..<min(start + piece, count)])
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: streamed)) == Data(contentsOf: URL(fileURLWithPath: whole)),
                    "\(shape) in pieces of \(piece)")
        }
    }

    @Test("A stream that fails part way leaves an existing file as it was and no temporary file")
    func failureKeepsExisting() throws {
        struct Stop: Error {}
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keep.npy").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        // Fails after more than the write buffer has gone to the temporary file.
        let big = [Float](repeating: 1.5, count: 3 * StreamingFile.bufferSize / 4)
        #expect(throws: Stop.self) {
            try NumpyStreamWriter.write(shape: [2 * big.count], to: path) { file in
                try file.append(big)
                throw Stop()
            }
        }
        // Fewer values than the shape holds: an error of its own.
        let short = try #require(throws: ArrayFileError.self) {
            try NumpyStreamWriter.write(shape: [4], to: path) { try $0.append([1, 2, 3]) }
        }
        #expect(short.file == path && short.problem.contains("3 were written"))
        let tooMany = try #require(throws: ArrayFileError.self) {
            try NumpyStreamWriter.write(shape: [2], to: path) { try $0.append([1, 2, 3]) }
        }
        #expect(tooMany.file == path)
        let csv = try #require(throws: Stop.self) {
            try AtomicFileWriter.stream(to: path) { file in
                try file.write("1,2\n")
                throw Stop()
            }
        }
        _ = csv
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("precious".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep.npy"])
    }

    @Test("A stream to a missing directory fails before its body runs")
    func missingDirectory() throws {
        var ran = false
        let error = try #require(throws: ArrayFileError.self) {
            try AtomicFileWriter.stream(to: "/nonexistent/dir/y.csv") { _ in ran = true }
        }
        #expect(!ran)
        #expect(error.problem.contains("does not exist"))
    }

    @Test("CSV text of a table formatted a few rows at a time joins to the table's text")
    func csvPieces() {
        let columns = 3
        let values: [Float] = sampleValues(30).map { Float($0) / 3 } + [.nan, .infinity, -.infinity]
        let rows = values.count / columns
        let table = (0..<rows).map { Array(values[$0 * columns..<($0 + 1) * columns]) }
        for piece in [1, 2, 4, rows] {
            var text = ""
            for start in stride(from: 0, to: rows, by: piece) {
                let end = min(start + piece, rows)
                text += CSVArrayFile.format(values: values[start * columns..<end * columns], rows: end - start)
            }
            #expect(text == CSVArrayFile.format(table))
        }
        #expect(CSVArrayFile.format(values: [Float](), rows: 3) == CSVArrayFile.format([[], [], []]))
    }
}

@Suite("Predicting in chunks")
struct ChunkedPredictionTests {
    @Test("The blocks are Sequential.predict's: parts of the batch, cut into 256 from each part's start")
    func blocks() throws {
        func blocks(_ samples: Int, _ parts: Int) -> [Range<Int>] {
            Array(ChunkedPrediction.blocks(samples: samples, parts: parts))
        }
        #expect(blocks(1, 1) == [0..<1])
        #expect(blocks(200, 1) == [0..<200])
        #expect(blocks(600, 1) == [0..<256, 256..<512, 512..<600])
        #expect(blocks(1000, 2) == [0..<256, 256..<500, 500..<756, 756..<1000])
        #expect(blocks(5, 3) == [0..<1, 1..<3, 3..<5])
        // The sunspots model's 19 weights: 2·12·19·10,000 ≥ 4·10⁶ operations split, 8,000 samples do not.
        let sunspots = try #require(try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5")).network.sequential)
        let threads = ComputeBackend.threads
        #expect(sunspots.predictionPartCount(samples: 10_000, steps: 12) == threads)
        #expect(sunspots.predictionPartCount(samples: 8_000, steps: 12) == 1)
        #expect(sunspots.predictionPartCount(samples: 3, steps: .max / 2) == min(threads, 3))
    }

    /// (model, samples): both sunspots sizes split over threads when there
    /// are several (2·12·19·10,000 ≥ 4·10⁶ operations), and the LSTM's does.
    static let cases: [(String, Int)] = [
        ("keras3/sunspots.h5", 1), ("keras3/sunspots.h5", 7), ("keras3/sunspots.h5", 300),
        ("keras3/sunspots.h5", 10_000), ("recurrent/keras3/lstm_return_sequences.h5", 3_001),
    ]

    @Test("Chunk by chunk, bit for bit the numbers of one predict call on the whole batch", arguments: 0..<cases.count)
    func equalsWhole(_ index: Int) throws {
        let (name, samples) = Self.cases[index]
        let model = try KerasModel.load(from: Fixtures.path(name))
        let sampleShape = model.inputShape.map { $0 ?? 4 }
        let length = sampleShape.reduce(1, *)
        var random = SystemRandomNumberGenerator()
        let values = (0..<samples * length).map { _ in Float.random(in: -2...2, using: &random) }
        let whole = try model.predict(Tensor(shape: [samples] + sampleShape, scalars: values))
        let plan = try ChunkedPrediction(model: model, arrayShape: [samples] + sampleShape, file: "x.npy")
        for maxSamples in [1, 255, 300, 777, samples] {
            var scalars: [Float] = []
            var covered = 0
            for chunk in plan.chunks(maxSamples: maxSamples) {
                #expect(chunk.samples.lowerBound == covered)
                #expect(chunk.samples.count <= max(maxSamples, chunk.blocks[0].count))
                covered = chunk.samples.upperBound
                let output = try plan.predict(
                    chunk, values: Array(values[chunk.samples.lowerBound * length..<chunk.samples.upperBound * length]),
                    file: "x.npy")
                #expect(output.shape == [chunk.samples.count] + whole.shape.dropFirst())
                scalars += output.scalars
            }
            #expect(covered == samples)
            #expect(scalars.map(\.bitPattern) == whole.scalars.map(\.bitPattern), "\(name) × \(samples), chunks of \(maxSamples)")
        }
    }

    @Test("One sample without the batch axis is a batch of one, as ModelInput takes it")
    func oneSample() throws {
        let model = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
        let plan = try ChunkedPrediction(model: model, arrayShape: [12, 1], file: "in.npy")
        #expect(plan.samples == 1 && plan.sampleShape == [12, 1])
    }

    @Test("Chunks hold at most the bytes asked for, of input and of output")
    func chunkSize() throws {
        let sunspots = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
        let plan = try ChunkedPrediction(model: sunspots, arrayShape: [1_000_000, 12, 1], file: "x.npy")
        #expect(plan.samplesPerChunk(maxBytes: 8 << 20) == (8 << 20) / 48)
        #expect(plan.samplesPerChunk(maxBytes: 1) == 1)
        // Input (5, 3) = 15 Floats, output (5, 2) = 10: the input decides.
        let lstm = try KerasModel.load(from: Fixtures.path("recurrent/keras3/lstm_return_sequences.h5"))
        let sequences = try ChunkedPrediction(model: lstm, arrayShape: [100, 5, 3], file: "x.npy")
        #expect(sequences.samplesPerChunk(maxBytes: 6000) == 100)
        // A larger output decides (no fixture has one); overflow gives one sample.
        #expect(ChunkedPrediction.samplesPerChunk(maxBytes: 8000, inputLength: 15, outputLength: 20) == 100)
        #expect(ChunkedPrediction.samplesPerChunk(maxBytes: 8000, inputLength: 15, outputLength: .max) == 1)
        #expect(ChunkedPrediction.samplesPerChunk(maxBytes: 8000, inputLength: 0, outputLength: 0) == 2000)
    }

    @Test("A batch the model does not take is refused as predict refuses it, naming the file")
    func badShape() throws {
        let model = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
        for shape in [[0, 12, 1], [4, 12, 2], [4, 12], [12, 2], [], [3]] {
            let error = try #require(throws: KerasIOError.self) {
                _ = try ChunkedPrediction(model: model, arrayShape: shape, file: "in.npy")
            }
            #expect(error.file == "in.npy")
            let whole = try #require(throws: KerasIOError.self) {
                _ = try ModelInput.batch(fromArray: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)),
                                         for: model, file: "in.npy")
            }
            #expect(error.localizedDescription == whole.localizedDescription)
        }
    }
}
