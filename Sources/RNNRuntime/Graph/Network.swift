/// A runnable model of either kind: a chain of layers (`Sequential`) or a
/// graph (`Graph`, Keras's Functional models that are not chains). What
/// both can do is here; what only a chain can do (streaming, allocation-free
/// prediction, stateful batches) is reached through `sequential`.
public enum Network: Sendable {
    case sequential(Sequential)
    case graph(Graph)

    /// The chain, if the model is one.
    public var sequential: Sequential? {
        if case .sequential(let model) = self { return model }
        return nil
    }

    /// The graph, if the model is one.
    public var graph: Graph? {
        if case .graph(let model) = self { return model }
        return nil
    }

    public var name: String {
        switch self {
        case .sequential(let model): return model.name
        case .graph(let model): return model.name
        }
    }

    /// Every layer once, in the model's order.
    public var layers: [any Layer] {
        switch self {
        case .sequential(let model): return model.layers
        case .graph(let model): return model.layers
        }
    }

    public var parameterCount: Int {
        switch self {
        case .sequential(let model): return model.parameterCount
        case .graph(let model): return model.parameterCount
        }
    }

    public mutating func setParameters(_ parameters: [Tensor], ofLayerAt index: Int) throws {
        switch self {
        case .sequential(var model):
            try model.setParameters(parameters, ofLayerAt: index)
            self = .sequential(model)
        case .graph(var model):
            try model.setParameters(parameters, ofLayerAt: index)
            self = .graph(model)
        }
    }

    /// Per-sample input shapes, in input order.
    public var inputShapes: [[Int?]] {
        switch self {
        case .sequential(let model): return [model.inputShape]
        case .graph(let model): return model.inputShapes
        }
    }

    /// Per-sample output shapes, in output order.
    public var outputShapes: [[Int?]] {
        switch self {
        case .sequential(let model): return [model.outputShape]
        case .graph(let model): return model.outputShapes
        }
    }

    /// The first input's per-sample shape.
    public var inputShape: [Int?] { inputShapes[0] }
    /// The first output's per-sample shape.
    public var outputShape: [Int?] { outputShapes[0] }

    /// The batch size a stateful chain is built for; nil otherwise.
    public var fixedBatchSize: Int? { sequential?.fixedBatchSize }
    /// True for a chain with a stateful layer.
    public var isStateful: Bool { sequential?.isStateful ?? false }

    /// Runs the model: one batch per input, one result per output.
    public func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        switch self {
        case .sequential(let model):
            guard inputs.count == 1 else {
                throw RuntimeError.invalidInput("the model takes 1 input, got \(inputs.count)")
            }
            return [try model.predict(inputs[0])]
        case .graph(let model):
            return try model.predict(inputs)
        }
    }

    /// Runs a one-input, one-output model.
    public func predict(_ input: Tensor) throws -> Tensor {
        let outputs = try predict([input])
        guard outputs.count == 1 else {
            throw RuntimeError.invalidInput("the model gives \(outputs.count) outputs; use predict(_: [Tensor])")
        }
        return outputs[0]
    }
}
