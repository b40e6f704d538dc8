extension Network {
    /// Trains a one-input, one-output model in place (`Sequential.fit`, or
    /// `Graph.fit` with one loss).
    public mutating func fit(
        x: Tensor, y: Tensor, loss: Loss, optimizer: inout any Optimizer, options: FitOptions = FitOptions(),
        progress: (EpochReport) -> Void = { _ in }
    ) throws -> [EpochReport] {
        try fit(x: [x], y: [y], losses: [loss], lossWeights: nil, optimizer: &optimizer, options: options, progress: progress)
    }

    /// Trains the model in place: one array per input, one per output, one
    /// loss per output, weighted by `lossWeights` (1 each when nil), as
    /// Keras's `compile(loss=[...], loss_weights=[...])`.
    public mutating func fit(
        x: [Tensor], y: [Tensor], losses: [Loss], lossWeights: [Float]?, optimizer: inout any Optimizer,
        options: FitOptions = FitOptions(), progress: (EpochReport) -> Void = { _ in }
    ) throws -> [EpochReport] {
        switch self {
        case .sequential(var model):
            guard x.count == 1, y.count == 1, losses.count == 1 else {
                throw RuntimeError.invalidInput("the model takes 1 input and gives 1 output; got \(x.count) x and \(y.count) y arrays")
            }
            defer { self = .sequential(model) }
            return try model.fit(x: x[0], y: y[0], loss: losses[0], optimizer: &optimizer, options: options, progress: progress)
        case .graph(var model):
            defer { self = .graph(model) }
            return try model.fit(
                x: x, y: y, losses: losses, lossWeights: lossWeights, optimizer: &optimizer, options: options, progress: progress)
        }
    }
}
