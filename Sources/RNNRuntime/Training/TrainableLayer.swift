/// Where a training step gets its randomness (dropout masks) and whether
/// dropout is active.
public struct TrainingContext {
    public var training: Bool
    public var random: RandomSource

    public init(training: Bool, random: RandomSource) {
        self.training = training
        self.random = random
    }
}

/// A layer that can be trained: a forward pass that keeps what the backward
/// pass needs, and the backward pass itself.
///
/// `backward` takes `dL/d(output)` and returns `dL/d(input)` and `dL/dθ` for
/// each parameter, in `parameterSpecs` order.
public protocol TrainableLayer: Layer {
    func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Any)
    func backward(_ outputGradient: Tensor, cache: Any) throws -> (inputGradient: Tensor, parameterGradients: [Tensor])
    /// Passes each weight's storage, in `parameterSpecs` order, to `update`
    /// to change in place: an optimizer step without copying any weight.
    mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void)
}

extension RuntimeError {
    static func missingCache(_ layer: String) -> RuntimeError {
        .incompatibleLayer(layer: layer, detail: "backward pass without a matching forward pass")
    }
}
