/// A stack of layers, each feeding the next, like Keras's `Sequential`.
///
/// `inputShape` is the per-sample shape, without the batch: `[steps,
/// features]` for sequences (`steps` may be `nil` for any length) or
/// `[features]` for vectors. Building checks that every layer accepts what
/// the previous one gives, so a model that exists can run.
///
/// ```swift
/// let model = try Sequential(inputShape: [3, 1], layers: [
///     SimpleRNN(inputSize: 1, units: 2, activation: .linear),
///     Dense(inputSize: 2, units: 1),
/// ])
/// let y = try model.predict(Tensor(shape: [1, 3, 1], scalars: [1, 2, 3]))
/// ```
public struct Sequential: Sendable {
    public var name: String
    public let inputShape: [Int?]
    public internal(set) var layers: [any Layer]
    /// Each layer's per-sample output shape, in layer order.
    public let layerOutputShapes: [[Int?]]
    /// `parameterCount`, kept: layers' weights change but their shapes never do.
    private let weightCount: Int
    /// Identifies these layer shapes to a `PredictionWorkspace`.
    let shapeToken = ShapeToken()
    /// How masks and carried state flow through each layer.
    let flow: [LayerFlow]
    /// The batch size a stateful model is built for (Keras's fixed
    /// `batch_shape[0]`), or nil for a model that takes any batch.
    public let fixedBatchSize: Int?
    /// The name of the model's input (Keras's InputLayer), kept for writers; nil when unnamed.
    public var inputName: String?
    /// True for a chain read from a Functional model, which writers write back as Functional.
    public var isFunctional = false

    /// - Parameter fixedBatchSize: required when a layer carries state
    ///   between calls (a stateful recurrent layer): its state is per batch row.
    public init(name: String = "sequential", inputShape: [Int?], layers: [any Layer], fixedBatchSize: Int? = nil) throws {
        var shape = inputShape
        var shapes: [[Int?]] = []
        var flow: [LayerFlow] = []
        var masked = false, stateOffset = 0, stateful: (any Layer)? = nil
        for layer in layers {
            if let recurrent = layer as? any StateExposingLayer, recurrent.returnState || recurrent.outputSplit != nil {
                throw RuntimeError.incompatibleLayer(
                    layer: layer.name,
                    detail: recurrent.returnState
                        ? "return_state=True gives several outputs, which only a Functional model can pass on"
                        : "merge_mode=None gives two outputs, which only a Functional model can pass on")
            }
            if layer.isStateful, stateful == nil { stateful = layer }
            if masked, let refusal = layer.maskRefusal {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: refusal)
            }
            shape = try layer.outputShape(forInputShape: shape)
            shapes.append(shape)
            flow.append(LayerFlow(receivesMask: masked, createsMask: layer.createsMask, stateOffset: stateOffset))
            // A mask lives on a steps axis: it ends where the output has none.
            masked = (layer.createsMask || (masked && layer.passesMask)) && shape.count >= 2
            stateOffset += layer.carriedStateSize
        }
        if let stateful {
            guard let fixedBatchSize, fixedBatchSize >= 1 else {
                throw RuntimeError.incompatibleLayer(
                    layer: stateful.name, detail: "a stateful layer needs the model's fixed batch size (its state is kept per batch row)")
            }
        }
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
        self.layerOutputShapes = shapes
        self.weightCount = layers.reduce(0) { $0 + $1.parameterCount }
        self.flow = flow
        self.carriedStatePerSample = stateOffset
        self.isStateful = stateful != nil
        self.fixedBatchSize = stateful != nil ? fixedBatchSize : nil
    }

    /// One layer's place in the flow of masks and state.
    struct LayerFlow {
        /// A mask reaches the layer with its input.
        let receivesMask: Bool
        /// The layer writes a new mask from its input.
        let createsMask: Bool
        /// Where the layer's carried state starts, in floats per sample of
        /// the model's state (`carriedStatePerSample` in all).
        let stateOffset: Int
    }

    /// Floats per sample of state the layers can carry from one call to the
    /// next (what a `StreamingSession` keeps).
    public let carriedStatePerSample: Int

    /// True when a layer keeps state from one batch to the next (Keras's
    /// `stateful=True`): `predict` then runs batches of `fixedBatchSize` in
    /// order, each starting from the state the one before left.
    public let isStateful: Bool

    /// True when a layer makes a timestep mask.
    var makesMasks: Bool { flow.contains { $0.createsMask } }

    /// The per-sample shape of the model's output.
    public var outputShape: [Int?] { layerOutputShapes.last ?? inputShape }

    /// Total number of weights (scalars) over all layers.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Replaces the weights of the layer at `index`; strict about count and shapes.
    public mutating func setParameters(_ parameters: [Tensor], ofLayerAt index: Int) throws {
        try layers[index].setParameters(parameters)
    }

    /// Runs the model on a batch shaped `(batch,) + inputShape`.
    ///
    /// Large batches are split over the cores (`ComputeBackend.threads`),
    /// and each core works through its share in blocks of at most
    /// `blockSize` samples so memory stays bounded for any batch. The
    /// samples never interact, so the result is the same as in one piece.
    ///
    /// - Throws: `RuntimeError.inputShapeMismatch` naming the dimension that
    ///   disagrees (steps or features) when the input does not fit.
    public func predict(_ input: Tensor) throws -> Tensor {
        try checkInputShape(input.shape)
        let batch = input.shape[0]
        let sampleShape = Array(input.shape.dropFirst())
        let outputSampleShape = try concreteOutputShape(forSampleShape: sampleShape)
        if isStateful {
            // Batches in order, each from the state the one before left: one thread.
            var output = [Float](repeating: 0, count: batch * outputSampleShape.reduce(1, *))
            try input.scalars.withUnsafeBufferPointer { x in
                try output.withUnsafeMutableBufferPointer { y in
                    try WorkspacePool.shared.with { try predict(x, shape: input.shape, into: y, workspace: $0) }
                }
            }
            return Tensor(uncheckedShape: [batch] + outputSampleShape, scalars: output)
        }
        try input.scalars.withUnsafeBufferPointer { try layers.first?.checkInput($0, sampleShape: sampleShape) }
        let steps = input.rank == 3 ? input.shape[1] : 1
        let parts = predictionPartCount(samples: batch, steps: steps)
        let perSample = input.count / batch, perOutput = outputSampleShape.reduce(1, *)
        var output = [Float](repeating: 0, count: batch * perOutput)
        let failures = input.scalars.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { out in
                let x = UncheckedSendable(x.baseAddress!), out = UncheckedSendable(out.baseAddress!)
                return Parallel.map(parts: parts) { part -> Error? in
                    let workspace = WorkspacePool.shared.take()
                    defer { WorkspacePool.shared.give(workspace) }
                    do {
                        for block in Self.predictionBlocks(part: part, of: parts, samples: batch) {
                            try workspace.prepare(for: self, inputShape: [block.count] + sampleShape)
                            run(x.value + block.lowerBound * perSample, batch: block.count,
                                into: out.value + block.lowerBound * perOutput, workspace: workspace)
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return Tensor(uncheckedShape: [batch] + outputSampleShape, scalars: output)
    }

    /// The most samples one forward pass takes at a time.
    public static let blockSize = 256

    /// How many parts, one per thread, `predict` splits `samples` samples of
    /// `steps` steps into: one below the work that pays for waking threads
    /// (about two operations per weight, step and sample).
    public func predictionPartCount(samples: Int, steps: Int) -> Int {
        let (perSample, overflow1) = (2 * max(steps, 1)).multipliedReportingOverflow(by: weightCount)
        let (work, overflow2) = perSample.multipliedReportingOverflow(by: samples)
        return Parallel.partCount(samples: samples, work: overflow1 || overflow2 ? .max : work)
    }

    /// The blocks of part `part` of `parts` that `predict` runs one forward
    /// pass each on: the part's samples in blocks of `blockSize` from its start.
    ///
    /// The bits of a sample's prediction can depend on the block it is
    /// computed in (one row goes to a matrix-vector kernel, more to a
    /// blocked matrix product), so code that must reproduce `predict` over a
    /// batch piece by piece (streaming a file) runs these same blocks.
    public static func predictionBlocks(part: Int, of parts: Int, samples: Int) -> some Sequence<Range<Int>> {
        let range = Parallel.range(part: part, of: parts, count: samples)
        return stride(from: range.lowerBound, to: range.upperBound, by: blockSize).lazy
            .map { $0..<min($0 + blockSize, range.upperBound) }
    }

    /// Every block of a batch of `samples` split into `parts`, in order.
    public static func predictionBlocks(samples: Int, parts: Int) -> some Sequence<Range<Int>> {
        (0..<max(parts, 0)).lazy.flatMap { predictionBlocks(part: $0, of: parts, samples: samples) }
    }

    /// Numbers per sample of the output for a per-sample input shape
    /// (steps given): the room one sample's `predict(_:shape:into:workspace:)` needs.
    public func concreteOutputCount(forSampleShape sampleShape: [Int]) throws -> Int {
        try concreteOutputShape(forSampleShape: sampleShape).reduce(1, *)
    }

    /// The per-sample output shape for a concrete per-sample input shape.
    public func concreteOutputShape(forSampleShape sampleShape: [Int]) throws -> [Int] {
        var shape: [Int?] = sampleShape.map { Optional($0) }
        for layer in layers { shape = try layer.outputShape(forInputShape: shape) }
        return shape.map { $0 ?? 1 }
    }

    /// The same as `predict`.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try predict(input)
    }

    /// Throws unless `shape` is `(batch,) + inputShape` with a batch of at least one.
    public func checkInputShape(_ shape: [Int]) throws {
        try Self.checkShape(shape, against: inputShape)
    }

    /// Throws unless `shape` is `(batch,) + inputShape` with a batch of at least one.
    public static func checkShape(_ shape: [Int], against inputShape: [Int?]) throws {
        // The fast path allocates nothing; messages are built only on failure.
        var fits = shape.count == inputShape.count + 1 && shape[0] >= 1
        if fits {
            for axis in 0..<inputShape.count {
                let actual = shape[axis + 1]
                if let expected = inputShape[axis] { fits = fits && expected == actual } else { fits = fits && actual >= 1 }
            }
        }
        if fits { return }
        throw inputShapeError(shape, inputShape: inputShape)
    }

    private static func inputShapeError(_ shape: [Int], inputShape: [Int?]) -> RuntimeError {
        let names = inputShape.count == 2 ? ["steps", "features per step"] : inputShape.count == 1 ? ["features"] : []
        guard shape.count == inputShape.count + 1 else {
            let layout = (["batch"] + names).joined(separator: ", ")
            return .inputShapeMismatch(
                expected: inputShape, actual: shape,
                detail: "rank \(shape.count), the model takes rank \(inputShape.count + 1) (\(layout))")
        }
        if shape[0] < 1 {
            return .inputShapeMismatch(expected: inputShape, actual: shape, detail: "the batch is empty")
        }
        for (axis, (expected, actual)) in zip(inputShape, shape.dropFirst()).enumerated() {
            let label = axis < names.count ? names[axis] : "dimension \(axis + 1)"
            if let expected, expected != actual {
                return .inputShapeMismatch(
                    expected: inputShape, actual: shape, detail: "\(actual) \(label), the model takes \(expected)")
            }
            if expected == nil, actual < 1 {
                return .inputShapeMismatch(expected: inputShape, actual: shape, detail: "no \(label)")
            }
        }
        return .inputShapeMismatch(expected: inputShape, actual: shape, detail: "unexpected shape")
    }
}
