/// Reusable working memory for `Sequential.predict(_:shape:into:workspace:)`,
/// the prediction that allocates nothing once its workspace is sized.
///
/// A workspace is sized for one model and one input shape on first use and
/// only grows again when a call brings a larger shape or another model, so
/// an app that predicts the same shape over and over allocates only once.
/// It is not thread-safe: give each thread its own.
///
/// ```swift
/// let workspace = PredictionWorkspace()
/// var output = [Float](repeating: 0, count: 1)
/// try input.withUnsafeBufferPointer { x in
///     try output.withUnsafeMutableBufferPointer { y in
///         try model.predict(x, shape: [1, 12, 1], into: y, workspace: workspace)
///     }
/// }
/// ```
public final class PredictionWorkspace {
    /// The model and input shape the plan below is for.
    private var plannedModel: Sequential.ShapeToken?
    private var plannedShape: [Int] = []
    /// Each layer's per-sample input shape at the planned steps.
    private(set) var layerSampleShapes: [[Int]] = []
    private(set) var inputCount = 0
    private(set) var outputCount = 0
    /// Two activation buffers between layers, then the layers' own working memory.
    private var memory: UnsafeMutablePointer<Float>
    private var capacity: Int
    private var activationCapacity = 0

    public init() {
        memory = .allocate(capacity: 1)
        capacity = 1
    }

    deinit { memory.deallocate() }

    /// Where layer `index`'s output goes when it is not the model's last layer.
    func activations(for index: Int) -> UnsafeMutablePointer<Float> {
        memory + (index % 2) * activationCapacity
    }

    /// The working memory every layer shares (one runs at a time).
    var layerMemory: UnsafeMutablePointer<Float> { memory + 2 * activationCapacity + maskCapacity + stateCapacity }

    /// A stateful model's carried state, `(batch, carriedStatePerSample)`.
    var states: UnsafeMutablePointer<Float> { memory + 2 * activationCapacity + maskCapacity }
    private var stateCapacity = 0

    /// The timestep mask, `(batch, steps)`, for models whose layers make one.
    var mask: UnsafeMutablePointer<Float> { memory + 2 * activationCapacity }
    private var maskCapacity = 0

    /// Plans for `model` on inputs shaped `shape` (checked by the caller):
    /// a no-op when nothing changed since the last call.
    func prepare(for model: Sequential, inputShape shape: [Int]) throws {
        if plannedModel === model.shapeToken && plannedShape == shape { return }
        let batch = shape[0]
        var sample = Array(shape.dropFirst())
        var shapes: [[Int]] = []
        var largestActivation = 0, largestLayerMemory = 0
        for layer in model.layers {
            shapes.append(sample)
            largestLayerMemory = max(largestLayerMemory, layer.workspaceSize(batch: batch, sampleShape: sample))
            let next = try layer.outputShape(forInputShape: sample.map { Optional($0) })
            sample = next.map { $0 ?? 1 }
            largestActivation = max(largestActivation, batch * sample.reduce(1, *))
        }
        // Masks are per step of the input; every layer keeps the steps.
        let maskCount = model.makesMasks ? batch * (shape.count > 1 ? shape[1] : 1) : 0
        let stateCount = model.isStateful ? batch * model.carriedStatePerSample : 0
        let needed = 2 * largestActivation + maskCount + stateCount + max(largestLayerMemory, 1)
        if needed > capacity {
            memory.deallocate()
            memory = .allocate(capacity: needed)
            capacity = needed
        }
        activationCapacity = largestActivation
        maskCapacity = maskCount
        stateCapacity = stateCount
        layerSampleShapes = shapes
        inputCount = shape.reduce(1, *)
        outputCount = batch * sample.reduce(1, *)
        plannedModel = model.shapeToken
        plannedShape = shape
    }
}

extension Sequential {
    /// Identifies a model's layer shapes for `PredictionWorkspace`: copies of
    /// a model share it, and shapes never change once a model is built.
    final class ShapeToken: Sendable {}

    /// Runs the model on a batch shaped `shape` (`(batch,) + inputShape`)
    /// read from `input`, writing `(batch,) + outputShape` to `output`, in the
    /// calling thread, as one forward pass. Once `workspace` has seen this
    /// model and shape, the call allocates nothing. The results are
    /// `predict(_ input: Tensor)`'s, bit for bit where that runs the batch
    /// as one block (see `predictionBlocks`), else within float rounding.
    ///
    /// - Throws: `RuntimeError.inputShapeMismatch` when `shape` does not fit
    ///   the model, or `input` or `output` do not hold exactly its count.
    ///
    /// A stateful model runs its batches of `fixedBatchSize` in order from
    /// zero states, each starting where the one before ended, as Keras's
    /// `predict` does on a freshly loaded model (a `StreamingSession` keeps
    /// the state from call to call).
    public func predict(
        _ input: UnsafeBufferPointer<Float>, shape: [Int], into output: UnsafeMutableBufferPointer<Float>,
        workspace: PredictionWorkspace
    ) throws {
        try checkInputShape(shape)
        let blockShape = try statefulBlockShape(shape) ?? shape
        try workspace.prepare(for: self, inputShape: blockShape)
        let blocks = shape[0] / blockShape[0]
        guard input.count == workspace.inputCount * blocks, output.count == workspace.outputCount * blocks,
              let source = input.baseAddress, let destination = output.baseAddress
        else {
            throw RuntimeError.inputShapeMismatch(
                expected: inputShape, actual: shape,
                detail: "the input holds \(input.count) numbers and the output room for \(output.count); "
                    + "the shape needs \(workspace.inputCount * blocks) and \(workspace.outputCount * blocks)")
        }
        try layers.first?.checkInput(input, sampleShape: Array(shape.dropFirst()))
        if !isStateful {
            run(source, batch: shape[0], into: destination, workspace: workspace)
            return
        }
        workspace.states.initialize(repeating: 0, count: blockShape[0] * carriedStatePerSample)
        for block in 0..<blocks {
            run(source + block * workspace.inputCount, batch: blockShape[0],
                into: destination + block * workspace.outputCount, workspace: workspace, states: workspace.states)
        }
    }

    /// For a stateful model, the shape of one of the batches `shape` is run
    /// in (`fixedBatchSize` samples), or why it cannot be split into them;
    /// nil for other models.
    func statefulBlockShape(_ shape: [Int]) throws -> [Int]? {
        guard isStateful, let size = fixedBatchSize else { return nil }
        guard shape[0] % size == 0 else {
            throw RuntimeError.inputShapeMismatch(
                expected: inputShape, actual: shape,
                detail: "the model is stateful with batch size \(size) (its state is kept per batch row), "
                    + "and \(shape[0]) samples are not a whole number of batches of \(size)")
        }
        return [size] + shape.dropFirst()
    }

    /// Every layer in turn, each writing where the next reads; the last
    /// writes into `output`. Masks go from the layers that make them to the
    /// layers they reach; with `states` (`batch · carriedStatePerSample`
    /// floats) every layer that carries state starts from and updates its
    /// part, else recurrent layers start from zeros.
    func run(
        _ input: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>,
        workspace: PredictionWorkspace, states: UnsafeMutablePointer<Float>? = nil
    ) {
        var source = input
        let last = layers.count - 1
        if last < 0 {
            output.update(from: input, count: workspace.inputCount)
            return
        }
        let mask = workspace.mask
        for index in 0...last {
            let destination = index == last ? output : workspace.activations(for: index)
            let layer = layers[index], shape = workspace.layerSampleShapes[index], flow = self.flow[index]
            var context = SequenceContext()
            if flow.receivesMask { context.mask = UnsafePointer(mask) }
            if let states, layer.carriedStateSize > 0 { context.carriedState = states + batch * flow.stateOffset }
            layer.forward(
                source, batch: batch, sampleShape: shape, context: context,
                into: destination, workspace: workspace.layerMemory)
            // Written after the layer ran, as the mask of its output: the
            // layer itself does not read the mask it makes.
            if flow.createsMask { layer.writeMask(source, batch: batch, sampleShape: shape, into: mask) }
            source = UnsafePointer(destination)
        }
    }
}
