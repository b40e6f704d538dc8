import Foundation
import RNNRuntime

/// The loss and optimizer a Keras file records in `training_config`
/// (`{"loss": ..., "optimizer_config": {"class_name": ..., "config": {...}}}`),
/// as `load_model` restores them, and their Keras names for writing them back.
public struct TrainingConfig {
    public var loss: Loss
    public var optimizer: any Optimizer

    public init(loss: Loss, optimizer: any Optimizer) {
        self.loss = loss
        self.optimizer = optimizer
    }

    /// Parses `training_config` JSON.
    public init(json: String, file: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw KerasIOError(.invalidConfig, file: file, "training_config is not valid JSON")
        }
        guard let lossName = object["loss"] as? String, let loss = Loss(kerasName: lossName) else {
            throw KerasIOError(
                .unsupportedOption, file: file,
                "training_config's loss \(object["loss"].map { "\(Quoted("\($0)"))" } ?? "(none)") is not one kerasio trains with "
                    + "(\(Loss.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let optimizer = object["optimizer_config"] as? [String: Any],
              let className = optimizer["class_name"] as? String else {
            throw KerasIOError(.invalidConfig, file: file, "training_config has no optimizer_config")
        }
        self.loss = loss
        self.optimizer = try Self.optimizer(className: className, config: optimizer["config"] as? [String: Any] ?? [:], file: file)
    }

    /// An optimizer from Keras's class name and `get_config()`, Keras 3's defaults for absent keys.
    public static func optimizer(className: String, config: [String: Any], file: String) throws -> any Optimizer {
        func number(_ key: String, _ fallback: Float) -> Float {
            (config[key] as? NSNumber).map { $0.floatValue } ?? fallback
        }
        func flag(_ key: String) -> Bool { (config[key] as? Bool) ?? ((config[key] as? NSNumber)?.boolValue ?? false) }
        for key in ["clipnorm", "global_clipnorm", "clipvalue", "weight_decay"] where !(config[key] is NSNull) && config[key] != nil {
            throw KerasIOError(.unsupportedOption, file: file, "the optimizer uses \(key), which kerasio does not apply yet")
        }
        if flag("use_ema") {
            throw KerasIOError(.unsupportedOption, file: file, "the optimizer uses use_ema, which kerasio does not apply yet")
        }
        switch className.lowercased() {
        case "sgd":
            return SGD(learningRate: number("learning_rate", 0.01), momentum: number("momentum", 0), nesterov: flag("nesterov"))
        case "adam":
            return Adam(learningRate: number("learning_rate", 0.001), beta1: number("beta_1", 0.9), beta2: number("beta_2", 0.999),
                        epsilon: number("epsilon", 1e-7), amsgrad: flag("amsgrad"))
        case "rmsprop":
            return RMSprop(learningRate: number("learning_rate", 0.001), rho: number("rho", 0.9), momentum: number("momentum", 0),
                           epsilon: number("epsilon", 1e-7), centered: flag("centered"))
        case "adagrad":
            return Adagrad(learningRate: number("learning_rate", 0.001),
                           initialAccumulatorValue: number("initial_accumulator_value", 0.1), epsilon: number("epsilon", 1e-7))
        default:
            throw KerasIOError(.unsupportedOption, file: file, "optimizer \(Quoted(className)) is not supported (SGD, Adam, RMSprop, Adagrad)")
        }
    }

    /// `training_config` JSON as the given Keras writes it, so `load_model`
    /// there restores this loss and optimizer.
    public func json(for keras: KerasGeneration) -> String {
        var members: [(String, JSONText)] = []
        for (key, value) in optimizer.kerasConfig {
            guard let value else { members.append((key, .null)); continue }
            let isFlag = ["nesterov", "amsgrad", "centered"].contains(key)
            members.append((key, isFlag ? .bool(value != 0) : .float(Float(value))))
        }
        let optimizerConfig: [(String, JSONText)] = [("name", .string(optimizer.kerasClassName.lowercased()))] + members
        var fields: [(String, JSONText)] = [("loss", .string(loss.rawValue))]
        if keras == .keras3 {
            fields += [("loss_weights", .null), ("metrics", .null), ("weighted_metrics", .null), ("run_eagerly", .bool(false)),
                       ("steps_per_execution", .int(1)), ("jit_compile", .bool(false))]
        } else {
            fields += [("metrics", .null), ("weighted_metrics", .null), ("loss_weights", .null)]
        }
        fields.append(("optimizer_config", .object([
            ("class_name", .string(optimizer.kerasClassName)), ("config", .object(optimizerConfig)),
        ])))
        return JSONText.object(fields).serialized
    }
}
