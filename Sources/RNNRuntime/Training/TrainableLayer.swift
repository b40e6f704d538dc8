/// Where a training step gets its randomness (dropout masks) and whether
/// dropout is active.
public struct TrainingContext {
    public var training: Bool
    public var random: RandomSource
    /// The timestep mask `(batch, steps)` that comes with the layer's input
    /// (1 kept, 0 masked), or nil; set by the model before each layer.
    public var mask: Tensor?
    /// For a stateful recurrent layer in training: the state it starts from
    /// (`batch · carriedStateSize` floats, nil for zeros), replaced by the
    /// state it ends in; set by the model around each layer.
    public var carriedState: [Float]?
    /// For a recurrent layer in a graph: the `initial_state` tensors it
    /// starts from, in its carried-state layout (nil: zeros or `carriedState`).
    public var initialState: [Float]?

    public init(training: Bool, random: RandomSource, mask: Tensor? = nil) {
        self.training = training
        self.random = random
        self.mask = mask
    }
}

/// A layer that can be trained: a forward pass that keeps what the backward
/// pass needs, and the backward pass itself.
///
/// `backward` takes `dL/d(output)` and returns `dL/d(input)` and `dL/dθ` for
/// each parameter, in `parameterSpecs` order. What the forward pass keeps for
/// it is the layer's own typed `TrainingCache`, so no cast can fail at run time.
public protocol TrainableLayer: Layer {
    associatedtype TrainingCache
    func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: TrainingCache)
    func backward(_ outputGradient: Tensor, cache: TrainingCache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor])
    /// Passes each weight's storage, in `parameterSpecs` order, to `update`
    /// to change in place: an optimizer step without copying any weight.
    mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void)
    /// Whether training draws random numbers (dropout masks); such models
    /// train in one piece so a seed gives the same result on any machine.
    var drawsRandomNumbers: Bool { get }
    /// For weights whose gradient Keras keeps sparse (an Embedding's table
    /// under Keras 3): per weight, the sum over the batch's lookups of each
    /// lookup's squared gradient, which Keras 3's optimizers square instead
    /// of squaring the summed gradient; nil entries (and a nil list) for
    /// ordinary dense gradients.
    func parameterGradientSquares(_ outputGradient: Tensor, cache: TrainingCache) -> [Tensor?]?
    /// Whether the training forward pass couples the samples of a batch
    /// (batch statistics), so `fit` must not split a batch over threads.
    var needsWholeBatch: Bool { get }
    /// Weights the training forward pass sets itself instead of the
    /// optimizer (Keras's non-trainable weights, such as a
    /// BatchNormalization's moving statistics): parameter index, in
    /// `parameterSpecs` order, to its new values. The optimizer skips them.
    func assignedParameters(cache: TrainingCache) -> [Int: [Float]]
}

extension TrainableLayer {
    public var drawsRandomNumbers: Bool { false }

    public func parameterGradientSquares(_ outputGradient: Tensor, cache: TrainingCache) -> [Tensor?]? { nil }

    public var needsWholeBatch: Bool { false }

    public func assignedParameters(cache: TrainingCache) -> [Int: [Float]] { [:] }
}

/// A layer's backward pass bound to what its forward pass kept: how a model
/// holds layers of different types (and cache types) between the passes.
public struct Pullback {
    let run: (Tensor) throws -> (inputGradient: Tensor, parameterGradients: [Tensor])
    /// `parameterGradientSquares` for the same output gradient, when the layer has sparse gradients.
    var squares: ((Tensor) -> [Tensor?]?)? = nil
    /// The layer's `assignedParameters` from this forward pass: weights the
    /// step sets to these values instead of passing them to the optimizer.
    public var assigned: [Int: [Float]] = [:]

    public func callAsFunction(_ outputGradient: Tensor) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        try run(outputGradient)
    }
}

extension TrainableLayer {
    /// The forward pass and, bound to its cache, the backward pass.
    public func forwardWithPullback(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, pullback: Pullback) {
        let (output, cache) = try forwardForTraining(input, context: &context)
        return (output, Pullback(run: { try self.backward($0, cache: cache) },
                                 squares: { self.parameterGradientSquares($0, cache: cache) },
                                 assigned: assignedParameters(cache: cache)))
    }
}

extension RuntimeError {
    static func missingCache(_ layer: String) -> RuntimeError {
        .incompatibleLayer(layer: layer, detail: "backward pass without a matching forward pass")
    }
}
