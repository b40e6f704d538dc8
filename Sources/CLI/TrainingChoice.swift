import KerasIO
import RNNRuntime

extension FitCommand.OptimizerName {
    /// The loss and optimizer a training command uses: the flags where given,
    /// else the file's training_config, as Keras's `load_model` restores it.
    /// `kerasio fit` and `kerasio bench` both choose this way.
    static func lossAndOptimizer(
        loss: String?, optimizer: Self?, learningRate: Float?, model: KerasModel, file: String
    ) throws -> (Loss, any Optimizer) {
        // Read only when it is needed: a Functional model's may name a loss per output.
        let stored = loss == nil || optimizer == nil ? try model.trainingConfig.map { try TrainingConfig(json: $0, file: file) } : nil
        guard let chosenLoss = loss.flatMap(Loss.init(kerasName:)) ?? stored?.loss else {
            throw KerasIOError(.missingModelConfig, file: file, "has no training_config; pass --loss and --optimizer")
        }
        var chosen: any Optimizer
        switch optimizer {
        case .adam?: chosen = Adam()
        case .sgd?: chosen = SGD()
        case .rmsprop?: chosen = RMSprop()
        case .adagrad?: chosen = Adagrad()
        case nil:
            guard let fromFile = stored?.optimizer else {
                throw KerasIOError(.missingModelConfig, file: file, "has no training_config; pass --optimizer and --loss")
            }
            chosen = fromFile
        }
        if let learningRate { chosen.learningRate = learningRate }
        return (chosenLoss, chosen)
    }
}
