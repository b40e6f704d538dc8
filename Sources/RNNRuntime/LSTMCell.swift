/// The cell of Keras's `LSTM` (keras/src/layers/rnn/lstm.py, `LSTMCell.call`):
///
///     z = x_t · W + b + h_{t-1} · U            (batch, 4·units), blocks i, f, c, o
///     i = σ(z_i)  f = σ(z_f)  o = σ(z_o)       σ = recurrentActivation
///     c_t = f ⊙ c_{t-1} + i ⊙ a(z_c)           a = activation
///     h_t = o ⊙ a(c_t)
///
/// Weights, as Keras stores them: `kernel W (inputSize, 4·units)`,
/// `recurrent_kernel U (units, 4·units)`, then `bias b (4·units)` if
/// `useBias`; the four column blocks are in Keras's order i, f, c, o.
/// `implementation`, `unroll` and `use_cudnn` do not change these numbers.
/// The carried state is h then c: `(batch, units)` each.
public struct LSTMCell: RecurrentCell {
    public let inputSize: Int
    public let units: Int
    public var activation: Activation
    public var recurrentActivation: Activation
    public let useBias: Bool
    /// Fraction of the inputs dropped in training.
    public var dropout: Float
    /// Fraction of the recurrent state dropped in training.
    public var recurrentDropout: Float
    public private(set) var kernel: Tensor
    public private(set) var recurrentKernel: Tensor
    public private(set) var bias: Tensor?

    /// A cell with zero weights; load real ones through the layer's `setParameters`.
    public init(
        inputSize: Int, units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        useBias: Bool = true, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.kernel = Tensor(zeros: [inputSize, 4 * units])
        self.recurrentKernel = Tensor(zeros: [units, 4 * units])
        self.bias = useBias ? Tensor(zeros: [4 * units]) : nil
    }

    public var stateSize: Int { 2 * units }
    public var projectionSize: Int { 4 * units }
    /// a(c_t), before it is multiplied by o.
    public var scratchSize: Int { units }

    public var parameterSpecs: [ParameterSpec] {
        var specs = [
            ParameterSpec(name: "kernel", shape: [inputSize, 4 * units]),
            ParameterSpec(name: "recurrent_kernel", shape: [units, 4 * units]),
        ]
        if useBias { specs.append(ParameterSpec(name: "bias", shape: [4 * units])) }
        return specs
    }

    public var parameters: [Tensor] {
        [kernel, recurrentKernel] + (bias.map { [$0] } ?? [])
    }

    public mutating func replaceParameters(_ parameters: [Tensor]) {
        kernel = parameters[0]
        recurrentKernel = parameters[1]
        bias = useBias ? parameters[2] : nil
    }

    public func projectInputs(_ inputs: UnsafePointer<Float>, rows: Int, into projections: UnsafeMutablePointer<Float>) {
        let width = 4 * units
        kernel.scalars.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            LinearAlgebra.matmul(inputs, w, into: projections, rows: rows, inner: inputSize, cols: width, accumulate: false)
        }
        if let bias {
            bias.scalars.withUnsafeBufferPointer { b in
                if let b = b.baseAddress { LinearAlgebra.addRowVector(b, to: projections, rows: rows, cols: width) }
            }
        }
    }

    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let width = 4 * units
        let hidden = state, carry = state + batch * units
        // projection += h_{t-1}·U: all four gates' pre-activations.
        recurrentKernel.scalars.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            LinearAlgebra.matmul(hidden, u, into: projection, rows: batch, inner: units, cols: width, accumulate: true)
        }
        for b in 0..<batch {
            let z = projection + b * width
            recurrentActivation.apply(z, count: 2 * units, lastAxis: units)          // i, f
            activation.apply(z + 2 * units, count: units, lastAxis: units)           // c̃
            recurrentActivation.apply(z + 3 * units, count: units, lastAxis: units)  // o
            let c = carry + b * units, squashed = scratch + b * units
            for j in 0..<units {
                c[j] = z[units + j] * c[j] + z[j] * z[2 * units + j]
                squashed[j] = c[j]
            }
            activation.apply(squashed, count: units, lastAxis: units)
            let h = hidden + b * units
            for j in 0..<units { h[j] = z[3 * units + j] * squashed[j] }
        }
    }
}

/// Keras's `LSTM`: `RNN` over an `LSTMCell`.
public typealias LSTM = RNN<LSTMCell>

extension RNN where Cell == LSTMCell {
    /// An LSTM layer with zero weights; load real ones with `setParameters`.
    public init(
        name: String = "lstm", inputSize: Int, units: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, useBias: Bool = true, returnSequences: Bool = false,
        goBackwards: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.init(
            name: name,
            cell: LSTMCell(
                inputSize: inputSize, units: units, activation: activation, recurrentActivation: recurrentActivation,
                useBias: useBias, dropout: dropout, recurrentDropout: recurrentDropout),
            returnSequences: returnSequences, goBackwards: goBackwards)
    }
}
