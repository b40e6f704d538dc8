/// A model fed its input as it arrives: each call advances every recurrent
/// layer by the steps of one chunk from the state the previous call left,
/// so chunk after chunk gives what one call on the whole sequence would.
///
/// This is Keras's `stateful=True` for any model (a model saved stateful
/// gets its fixed batch size; others take the batch size given here).
/// After the first call of a chunk size, calls allocate nothing.
///
/// ```swift
/// let session = try StreamingSession(model: model.network)
/// var y = [Float](repeating: 0, count: session.outputCount(steps: 1))
/// for reading in sensor {                     // one step of `features` numbers
///     try reading.withUnsafeBufferPointer { x in
///         try y.withUnsafeMutableBufferPointer { try session.advance(x, steps: 1, into: $0) }
///     }
/// }
/// session.resetStates()                      // a new sequence starts
/// ```
///
/// Not thread-safe: one session per stream.
public final class StreamingSession {
    /// The model, with any number of steps per chunk.
    public let model: Sequential
    /// Sequences advanced together, one state each.
    public let batchSize: Int
    private let workspace = PredictionWorkspace()
    private var states: [Float]
    /// `(batchSize, steps, features...)` of the last chunk, kept so an
    /// unchanged chunk size costs no allocation.
    private var chunkShape: [Int]
    private var chunkSampleShape: [Int]

    /// - Parameter batchSize: sequences per chunk; a stateful model's must
    ///   be its fixed batch size (the default), others default to 1.
    /// - Throws: when a layer cannot be streamed (a Bidirectional that is
    ///   not stateful) or the batch size disagrees with the model's.
    /// A session over a chain; a Functional graph cannot stream (its
    /// branches would each need their own carried state).
    public convenience init(model: Network, batchSize: Int? = nil) throws {
        guard let chain = model.sequential else {
            throw RuntimeError.incompatibleLayer(
                layer: model.name, detail: "a Functional graph cannot advance chunk by chunk; StreamingSession runs chains")
        }
        try self.init(model: chain, batchSize: batchSize)
    }

    public init(model: Sequential, batchSize: Int? = nil) throws {
        if let refusing = model.layers.first(where: { $0.streamingRefusal != nil }) {
            throw RuntimeError.incompatibleLayer(layer: refusing.name, detail: refusing.streamingRefusal!)
        }
        let size = batchSize ?? model.fixedBatchSize ?? 1
        if let fixed = model.fixedBatchSize, fixed != size {
            throw RuntimeError.inputShapeMismatch(
                expected: model.inputShape, actual: [size],
                detail: "the model is stateful with batch size \(fixed), so its session advances \(fixed) sequences at a time")
        }
        guard size >= 1 else {
            throw RuntimeError.inputShapeMismatch(expected: model.inputShape, actual: [size], detail: "the batch is empty")
        }
        var inputShape = model.inputShape
        if !inputShape.isEmpty { inputShape[0] = nil }
        self.model = try Sequential(
            name: model.name, inputShape: inputShape, layers: model.layers, fixedBatchSize: model.fixedBatchSize)
        self.batchSize = size
        self.states = [Float](repeating: 0, count: size * model.carriedStatePerSample)
        self.chunkShape = [size] + model.inputShape.map { $0 ?? 1 }
        self.chunkSampleShape = Array(chunkShape.dropFirst())
    }

    /// Starts every sequence again from zero states (Keras's `reset_states()`).
    public func resetStates() {
        for index in states.indices { states[index] = 0 }
    }

    /// Numbers one call's output holds for a chunk of `steps` steps.
    public func outputCount(steps: Int) throws -> Int {
        var sample = Array(chunkShape.dropFirst())
        if !sample.isEmpty { sample[0] = steps }
        return try batchSize * model.concreteOutputCount(forSampleShape: sample)
    }

    /// Advances every sequence by the `steps` steps in `chunk`
    /// (`(batchSize, steps, features)`, C order) and writes the model's
    /// output for them to `output` (its count is `outputCount(steps:)`).
    public func advance(_ chunk: UnsafeBufferPointer<Float>, steps: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
        if chunkShape.count > 1, chunkShape[1] != steps {
            chunkShape[1] = steps
            chunkSampleShape[0] = steps
        }
        try model.checkInputShape(chunkShape)
        try workspace.prepare(for: model, inputShape: chunkShape)
        guard chunk.count == workspace.inputCount, output.count == workspace.outputCount,
              let source = chunk.baseAddress, let destination = output.baseAddress
        else {
            throw RuntimeError.inputShapeMismatch(
                expected: model.inputShape, actual: chunkShape,
                detail: "the chunk holds \(chunk.count) numbers and the output room for \(output.count); "
                    + "\(steps) steps need \(workspace.inputCount) and \(workspace.outputCount)")
        }
        try model.layers.first?.checkInput(chunk, sampleShape: chunkSampleShape)
        states.withUnsafeMutableBufferPointer { carried in
            model.run(source, batch: batchSize, into: destination, workspace: workspace, states: carried.baseAddress)
        }
    }

    /// `advance` on a tensor shaped `(batchSize, steps, features)`.
    public func advance(_ chunk: Tensor) throws -> Tensor {
        guard chunk.rank == chunkShape.count else {
            throw RuntimeError.inputShapeMismatch(
                expected: model.inputShape, actual: chunk.shape, detail: "a chunk is (batch, steps, features...)")
        }
        let steps = chunk.rank > 1 ? chunk.shape[1] : 1
        var output = [Float](repeating: 0, count: try outputCount(steps: steps))
        try chunk.scalars.withUnsafeBufferPointer { x in
            try output.withUnsafeMutableBufferPointer { try advance(x, steps: steps, into: $0) }
        }
        var shape = Array(chunkShape.dropFirst())
        if !shape.isEmpty { shape[0] = steps }
        return Tensor(uncheckedShape: [batchSize] + (try model.concreteOutputShape(forSampleShape: shape)), scalars: output)
    }
}
