import Dispatch
import RNNRuntime

/// Runs a model over a batch too long to hold, a chunk of samples at a
/// time, with exactly the numbers of one `predict` call on the whole batch.
///
/// Why not just call `predict` on each chunk: the samples are independent,
/// but the bits of a sample's result can depend on the block of samples it
/// is computed with (one row goes to `sgemv`, one or two to the few-rows
/// kernel, more to a blocked `sgemm`, whose edge tiles differ). So this
/// runs the forward pass over exactly the blocks `Sequential.predict`
/// cuts the whole batch into (``blocks(samples:steps:weights:threads:)``)
/// and groups whole blocks into chunks. Which thread runs a block does not
/// matter: each block is one call through the layers, as there.
public struct ChunkedPrediction: Sendable {
    /// The per-sample input shape.
    public let sampleShape: [Int]
    /// The samples of the whole batch.
    public let samples: Int
    /// Elements per sample.
    public var sampleLength: Int { sampleShape.reduce(1, *) }

    private let network: Sequential
    private let parts: Int
    /// Output Floats per sample (a free steps axis taken as the input's).
    private let outputLength: Int

    /// A plan for `model` over an array shaped `arrayShape`: a batch
    /// `(samples,) + inputShape`, or `inputShape` alone for one sample, as
    /// ``ModelInput/batch(fromArray:values:for:file:)`` takes it, checked
    /// as `predict` checks it.
    ///
    /// - Throws: ``KerasIOError`` naming `file` if the shape does not fit
    ///   the model, with ``ModelInput``'s message.
    public init(model: KerasModel, arrayShape: [Int], file: String) throws {
        let batchShape = arrayShape.count == model.inputShape.count ? [1] + arrayShape : arrayShape
        guard let chain = model.network.sequential else {
            throw KerasIOError(.unsupportedOption, file: model.file, "is a Functional graph; chunked prediction runs chains")
        }
        do {
            try chain.checkInputShape(batchShape)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: file)
        }
        samples = batchShape[0]
        sampleShape = Array(batchShape.dropFirst())
        network = chain
        let steps = batchShape.count == 3 ? batchShape[1] : 1
        // The concrete shape: a free axis is not always the steps (Flatten's is steps × features).
        do {
            outputLength = try chain.concreteOutputCount(forSampleShape: sampleShape)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: file)
        }
        parts = chain.predictionPartCount(samples: samples, steps: steps)
    }

    // MARK: - The blocks of Sequential.predict

    /// The blocks `Sequential.predict` runs one forward pass each on, in
    /// order (`Sequential.predictionBlocks`).
    public static func blocks(samples: Int, parts: Int) -> some Sequence<Range<Int>> {
        Sequential.predictionBlocks(samples: samples, parts: parts)
    }

    /// The chunks of the batch: consecutive whole blocks, as many as fit in
    /// `maxSamples` samples (at least one block each), covering the batch
    /// in order.
    public func chunks(maxSamples: Int) -> some Sequence<Chunk> {
        var blocks = Self.blocks(samples: samples, parts: parts).makeIterator()
        var pending = blocks.next()
        return AnyIterator<Chunk> {
            guard let first = pending else { return nil }
            var chunk = [first]
            pending = blocks.next()
            while let block = pending, block.upperBound - first.lowerBound <= maxSamples {
                chunk.append(block)
                pending = blocks.next()
            }
            return Chunk(blocks: chunk)
        }.lazy
    }

    /// Consecutive blocks of samples.
    public struct Chunk: Sendable, Equatable {
        /// The blocks, in order, each a range of sample indices.
        public let blocks: [Range<Int>]
        /// All the samples of the chunk.
        public var samples: Range<Int> { blocks[0].lowerBound..<blocks[blocks.count - 1].upperBound }
    }

    /// The samples of a chunk of at most `maxBytes` of input Floats, and of
    /// output Floats (a sequence-returning model's output can be much
    /// larger than its input); at least one.
    public func samplesPerChunk(maxBytes: Int) -> Int {
        Self.samplesPerChunk(maxBytes: maxBytes, inputLength: sampleLength, outputLength: outputLength)
    }

    static func samplesPerChunk(maxBytes: Int, inputLength: Int, outputLength: Int) -> Int {
        let (bytes, overflow) = max(inputLength, outputLength, 1).multipliedReportingOverflow(by: 4)
        return overflow ? 1 : max(1, maxBytes / bytes)
    }

    // MARK: - Predicting

    /// The model's output for `chunk`, whose input `values` are the
    /// chunk's samples back to back; shaped `(chunk samples,) + output`.
    ///
    /// - Throws: ``KerasIOError`` naming `file` if a layer fails.
    public func predict(_ chunk: Chunk, values: [Float], file: String) throws -> Tensor {
        let length = sampleLength
        precondition(values.count == chunk.samples.count * length, "predict: the values do not fill the chunk")
        let origin = chunk.samples.lowerBound
        let blocks = chunk.blocks
        let network = self.network
        let sampleShape = self.sampleShape, outputLength = self.outputLength
        // Each block is one forward pass of the whole model (masks flow
        // between its layers), as `Sequential.predict` runs it.
        @Sendable func forward(_ index: Int) -> Result<Tensor, Error> {
            Result {
                let block = blocks[index]
                let shape = [block.count] + sampleShape
                var output = [Float](repeating: 0, count: block.count * outputLength)
                try values.withUnsafeBufferPointer { x in
                    try output.withUnsafeMutableBufferPointer { y in
                        let rows = UnsafeBufferPointer(rebasing: x[(block.lowerBound - origin) * length..<(block.upperBound - origin) * length])
                        try WorkspacePool.shared.with { try network.predict(rows, shape: shape, into: y, workspace: $0) }
                    }
                }
                let outputShape = [block.count] + (try network.concreteOutputShape(forSampleShape: sampleShape))
                return try Tensor(shape: outputShape, scalars: output)
            }
        }
        var outputs: [Result<Tensor, Error>]
        let workers = parts == 1 ? 1 : min(parts, blocks.count)
        if workers == 1 {
            outputs = blocks.indices.map(forward)
        } else {
            // Each worker takes every workers-th block and writes only its
            // slots; concurrentPerform returns once all are done.
            outputs = [Result<Tensor, Error>](repeating: .failure(CancellationError()), count: blocks.count)
            outputs.withUnsafeMutableBufferPointer { slots in
                let slots = UnsafeSlots(slots)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for index in stride(from: worker, to: slots.buffer.count, by: workers) {
                        slots.buffer[index] = forward(index)
                    }
                }
            }
        }
        var scalars: [Float] = []
        var shape: [Int] = []
        do {
            for output in outputs {
                let block = try output.get()
                if scalars.isEmpty { scalars.reserveCapacity(block.count / max(block.shape[0], 1) * chunk.samples.count) }
                scalars += block.scalars
                shape = block.shape
            }
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: file)
        }
        shape[0] = chunk.samples.count
        return try Tensor(shape: shape, scalars: scalars)
    }
}

/// A buffer whose disjoint slots different threads write.
private struct UnsafeSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
