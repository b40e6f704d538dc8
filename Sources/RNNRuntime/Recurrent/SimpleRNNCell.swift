/// The cell of Keras's `SimpleRNN`: `h_t = f(x_t · W + b + h_{t-1} · U)`.
///
/// Weights, as Keras stores them: `kernel W (inputSize, units)`,
/// `recurrent_kernel U (units, units)`, then `bias b (units)` if `useBias`.
/// `dropout` and `recurrentDropout` are kept for training; inference ignores them.
public struct SimpleRNNCell: RecurrentCell {
    public let inputSize: Int
    public let units: Int
    public var activation: Activation
    public let useBias: Bool
    /// Fraction of the inputs dropped in training.
    public var dropout: Float
    /// Fraction of the recurrent state dropped in training.
    public var recurrentDropout: Float
    public var weights: WeightList

    /// A cell with zero weights; load real ones through the layer's `setParameters`.
    public init(
        inputSize: Int, units: Int, activation: Activation = .tanh, useBias: Bool = true,
        dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.weights = WeightList([
            Weight("kernel", shape: [inputSize, units], initializer: .glorotUniform),
            Weight("recurrent_kernel", shape: [units, units], initializer: .orthogonal),
            useBias ? Weight("bias", shape: [units], initializer: .zeros) : nil,
        ])
    }

    public var stateSize: Int { units }
    public var projectionSize: Int { units }
    /// h_{t-1} ⊙ recurrent mask, in training with recurrent dropout.
    public var scratchSize: Int { units }
    /// z_t = x_t·W + b + h_{t-1}·U (h_t itself is the state).
    public var recordSize: Int { units }
    public var multiplyAddsPerStep: Int { units * (inputSize + units) }

    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int,
        recurrentMask: UnsafePointer<Float>?, record: UnsafeMutablePointer<Float>?
    ) {
        let count = batch * units
        var hidden = UnsafePointer(state)
        if let recurrentMask {
            for i in 0..<count { scratch[i] = state[i] * recurrentMask[i] }
            hidden = UnsafePointer(scratch)
        }
        // projection += h_{t-1}·U, giving x_t·W + b + h_{t-1}·U; then h_t = f(that).
        recurrentProduct(hidden, batch: batch, columns: units, into: projection, ldc: units, accumulate: true)
        record?.update(from: projection, count: count)
        activation.apply(projection, count: count, lastAxis: units)
        state.update(from: projection, count: count)
    }

    public var preActivationsAreOneProduct: Bool { true }

    /// h_t = f(z) from z = x_t·W + b + h_{t-1}·U, at inference.
    public func stepFromPreActivations(
        _ projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        activation.apply(projection, count: batch * units, lastAxis: units)
        state.update(from: projection, count: batch * units)
    }

    /// dz = dh ⊙ f'(z); dU += (h_{t-1} ⊙ m)ᵀ·dz; dh_{t-1} = (dz·Uᵀ) ⊙ m.
    public func backwardStep(
        record: UnsafePointer<Float>, previousState: UnsafePointer<Float>, state: UnsafePointer<Float>,
        recurrentMask: UnsafePointer<Float>?, stateGradient: UnsafeMutablePointer<Float>,
        projectionGradient: UnsafeMutablePointer<Float>, recurrentKernelGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let count = batch * units
        projectionGradient.update(from: stateGradient, count: count)
        activation.backpropagate(preActivation: record, output: state, gradient: projectionGradient, count: count, lastAxis: units)
        var hidden = previousState
        if let recurrentMask {
            for i in 0..<count { scratch[i] = previousState[i] * recurrentMask[i] }
            hidden = UnsafePointer(scratch)
        }
        accumulateRecurrentKernelGradient(
            input: hidden, gradient: projectionGradient, ldg: units, batch: batch, columns: units, into: recurrentKernelGradient)
        recurrentBackward(projectionGradient, ldg: units, batch: batch, columns: units, into: stateGradient, accumulate: false)
        if let recurrentMask {
            for i in 0..<count { stateGradient[i] *= recurrentMask[i] }
        }
    }
}
