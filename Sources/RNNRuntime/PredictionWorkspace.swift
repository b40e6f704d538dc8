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
    var layerMemory: UnsafeMutablePointer<Float> { memory + 2 * activationCapacity }

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
        let needed = 2 * largestActivation + max(largestLayerMemory, 1)
        if needed > capacity {
            memory.deallocate()
            memory = .allocate(capacity: needed)
            capacity = needed
        }
        activationCapacity = largestActivation
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
    public func predict(
        _ input: UnsafeBufferPointer<Float>, shape: [Int], into output: UnsafeMutableBufferPointer<Float>,
        workspace: PredictionWorkspace
    ) throws {
        try checkInputShape(shape)
        try workspace.prepare(for: self, inputShape: shape)
        guard input.count == workspace.inputCount, output.count == workspace.outputCount,
              let source = input.baseAddress, let destination = output.baseAddress
        else {
            throw RuntimeError.inputShapeMismatch(
                expected: inputShape, actual: shape,
                detail: "the input holds \(input.count) numbers and the output room for \(output.count); "
                    + "the shape needs \(workspace.inputCount) and \(workspace.outputCount)")
        }
        run(source, batch: shape[0], into: destination, workspace: workspace)
    }

    /// Every layer in turn, each writing where the next reads; the last
    /// writes into `output`.
    func run(
        _ input: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>,
        workspace: PredictionWorkspace
    ) {
        var source = input
        let last = layers.count - 1
        if last < 0 {
            output.update(from: input, count: workspace.inputCount)
            return
        }
        for index in 0...last {
            let destination = index == last ? output : workspace.activations(for: index)
            layers[index].forward(
                source, batch: batch, sampleShape: workspace.layerSampleShapes[index],
                into: destination, workspace: workspace.layerMemory)
            source = UnsafePointer(destination)
        }
    }
}
