/// How a fresh Keras layer fills a weight (Keras's default initializers).
public enum WeightInitializer: Sendable, Equatable {
    case zeros
    /// Keras's `Ones` (a normalization's gamma and moving variance).
    case ones
    case glorotUniform
    case orthogonal
    /// LSTM's `unit_forget_bias=True`: zeros, with ones over the forget
    /// gate's block (the second of the four blocks i, f, c, o).
    case unitForgetBias(units: Int)
    /// Uniform in `[-limit, limit)` (Keras's `RandomUniform(-limit, limit)`,
    /// an `Embedding`'s default with limit 0.05).
    case uniform(limit: Float)

    func make(_ shape: [Int], random: inout RandomSource) -> Tensor {
        switch self {
        case .zeros:
            return Tensor(zeros: shape)
        case .ones:
            return Tensor(uncheckedShape: shape, scalars: [Float](repeating: 1, count: shape.reduce(1, *)))
        case .glorotUniform:
            return Initializers.glorotUniform(shape, random: &random)
        case .orthogonal:
            return Initializers.orthogonal(shape, random: &random)
        case .uniform(let limit):
            let values = (0..<shape.reduce(1, *)).map { _ in (random.uniform() * 2 - 1) * limit }
            return Tensor(uncheckedShape: shape, scalars: values)
        case .unitForgetBias(let units):
            var bias = Tensor(zeros: shape)
            for j in units..<min(2 * units, bias.count) { bias.scalars[j] = 1 }
            return bias
        }
    }
}

/// One weight of a layer: Keras's name for it, how a fresh layer fills it,
/// and its values (whose shape never changes after the layer is made).
public struct Weight: Sendable {
    public let name: String
    public let initializer: WeightInitializer
    public internal(set) var value: Tensor

    /// A weight of zeros; `initializer` says how `initialize(random:)` fills it.
    public init(_ name: String, shape: [Int], initializer: WeightInitializer) {
        self.name = name
        self.initializer = initializer
        self.value = Tensor(zeros: shape)
    }

    public var spec: ParameterSpec { ParameterSpec(name: name, shape: value.shape) }
}

/// A layer's weights, declared once, in Keras's `get_weights()` order.
/// The spec list, the getter, the setter, the optimizer's in-place update
/// and the seeded initialization all derive from this one list.
public struct WeightList: Sendable {
    public private(set) var items: [Weight]

    /// The declared weights; `nil` entries (a bias the layer does not use) are left out.
    public init(_ items: [Weight?]) {
        self.items = items.compactMap { $0 }
    }

    public var specs: [ParameterSpec] { items.map(\.spec) }
    public var tensors: [Tensor] { items.map(\.value) }

    /// The weight called `name`, if the layer has one.
    public subscript(name: String) -> Tensor? {
        items.first { $0.name == name }?.value
    }

    /// The weight at `index`, in declaration order.
    public subscript(index: Int) -> Tensor { items[index].value }

    /// Replaces every weight; the caller has checked count and shapes.
    mutating func replace(_ tensors: [Tensor]) {
        for index in items.indices { items[index].value = tensors[index] }
    }

    /// Passes each weight's storage to `update`, in order, to change in place.
    mutating func update(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        for index in items.indices { update(index, &items[index].value.scalars) }
    }

    /// Fills every weight as a fresh Keras layer would, drawing in declaration order.
    mutating func initialize(random: inout RandomSource) {
        for index in items.indices {
            items[index].value = items[index].initializer.make(items[index].value.shape, random: &random)
        }
    }
}

/// A layer or cell whose weights are one `WeightList`.
public protocol WeightHolding {
    var weights: WeightList { get set }
}

extension WeightHolding {
    public var parameterSpecs: [ParameterSpec] { weights.specs }
    public var parameters: [Tensor] { weights.tensors }

    /// Seeded Keras-style initial weights (glorot-uniform kernels, orthogonal
    /// recurrent kernels, zero or unit-forget biases), drawn in weight order.
    public mutating func initialize(random: inout RandomSource) {
        weights.initialize(random: &random)
    }

    /// Each weight's storage in turn, for in-place optimizer steps.
    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        weights.update(update)
    }
}

extension Layer where Self: WeightHolding {
    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
        weights.replace(parameters)
    }
}
