import RNNRuntime

/// An activation as a config names it: a string (`"tanh"`), null (linear),
/// or a serialized function object (`{"class_name": "function", "config": "tanh"}`);
/// read by `ConfigFields.activation(default:)`.
struct ActivationConfig: Equatable, Sendable {
    let name: String

    init(name: String) { self.name = name }

    /// The names kerasio knows, in the order `--help` and errors list them.
    static let supportedNames = [
        "linear", "tanh", "sigmoid", "hard_sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu",
        "softplus", "softsign", "swish", "silu", "gelu", "exponential", "softmax",
    ]

    /// The runtime activation for this name, as the given Keras generation defines it.
    func resolve(generation: KerasGeneration, at place: ConfigPlace) throws -> Activation {
        switch name {
        case "linear", "None", "": return .linear
        case "tanh": return .tanh
        case "sigmoid": return .sigmoid
        // Keras 2: clip(0.2x + 0.5); Keras 3: relu6(x + 3) / 6. Same name, different function.
        case "hard_sigmoid": return generation >= .keras3 ? .hardSigmoid : .hardSigmoidKeras2
        case "relu": return .relu
        case "relu6": return .relu6
        case "leaky_relu": return .leakyReLU(negativeSlope: 0.2)
        case "elu": return .elu(alpha: 1)
        case "selu": return .selu
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "swish", "silu": return .swish
        case "gelu": return .gelu
        case "exponential": return .exponential
        case "softmax": return .softmax
        default:
            throw ConfigProblem(
                .unsupportedOption, at: place,
                "activation \(ConfigText.quoted(name, limit: 30)) is not supported "
                    + "(supported: \(ActivationConfig.supportedNames.joined(separator: ", ")))")
        }
    }
}

extension Activation {
    /// The name Keras gives this activation in configs and `model.summary()`.
    public var kerasName: String {
        switch self {
        case .linear: return "linear"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .hardSigmoid, .hardSigmoidKeras2: return "hard_sigmoid"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .leakyReLU: return "leaky_relu"
        case .elu: return "elu"
        case .selu: return "selu"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        case .swish: return "silu"
        case .gelu: return "gelu"
        case .exponential: return "exponential"
        case .softmax: return "softmax"
        }
    }
}
