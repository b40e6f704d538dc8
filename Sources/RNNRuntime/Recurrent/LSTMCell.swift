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
    /// Keras's `unit_forget_bias`: how a fresh layer fills the forget gate's bias.
    public let unitForgetBias: Bool
    /// Keras's `implementation` (1 or 2): the same numbers at inference; in
    /// training, 1 draws a dropout mask per gate.
    public let implementation: Int
    /// Fraction of the inputs dropped in training.
    public var dropout: Float
    /// Fraction of the recurrent state dropped in training.
    public var recurrentDropout: Float
    public var weights: WeightList

    /// A cell with zero weights; load real ones through the layer's `setParameters`.
    public init(
        inputSize: Int, units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        useBias: Bool = true, unitForgetBias: Bool = true, implementation: Int = 2,
        dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        self.implementation = implementation
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.weights = WeightList([
            Weight("kernel", shape: [inputSize, 4 * units], initializer: .glorotUniform),
            Weight("recurrent_kernel", shape: [units, 4 * units], initializer: .orthogonal),
            useBias ? Weight("bias", shape: [4 * units], initializer: unitForgetBias ? .unitForgetBias(units: units) : .zeros) : nil,
        ])
    }

    public var stateSize: Int { 2 * units }
    public var projectionSize: Int { 4 * units }
    /// a(c_t) at inference; the gradient of c in the backward step.
    public var scratchSize: Int { units }
    /// Per sample: the four gates' pre-activations, their activations, a(c_t).
    public var recordSize: Int { 9 * units }
    public var multiplyAddsPerStep: Int { 4 * units * (inputSize + units) }

    public var trainingRefusal: String? {
        if recurrentDropout > 0 {
            return "LSTM training with recurrent_dropout is not supported yet (Keras draws a separate mask per gate)"
        }
        if dropout > 0 && implementation == 1 {
            return "LSTM training with dropout and implementation=1 is not supported yet (Keras draws a separate mask per gate)"
        }
        return nil
    }

    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int,
        recurrentMask: UnsafePointer<Float>?, record: UnsafeMutablePointer<Float>?
    ) {
        let width = 4 * units
        // projection += h_{t-1}·U: all four gates' pre-activations.
        recurrentProduct(state, batch: batch, columns: width, into: projection, ldc: width, accumulate: true)
        guard let record else {
            stepFromPreActivations(projection, state: state, scratch: scratch, batch: batch)
            return
        }
        // Training keeps the pre-activations, the gates and a(c_t) (in the record's last part).
        record.update(from: projection, count: batch * width)
        applyGates(projection, state: state, squashed: record + 8 * batch * units, batch: batch)
        (record + batch * width).update(from: projection, count: batch * width)
    }

    public var preActivationsAreOneProduct: Bool { true }

    /// The gates and the new state from z = x_t·W + b + h_{t-1}·U, at inference.
    /// Keras's default activations (tanh, sigmoid) over whole vectors of eight
    /// units go through one pass per sample that keeps every gate in registers:
    /// the same `FastSigmoid` and `FastTanh` arithmetic, in the same order, as
    /// the general loop, so both give the same bits.
    public func stepFromPreActivations(
        _ projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let width = 4 * units
        let hidden = state, carry = state + batch * units
        guard activation == .tanh && recurrentActivation == .sigmoid && units % 8 == 0 else {
            applyGates(projection, state: state, squashed: scratch, batch: batch)
            return
        }
        typealias V = SIMD8<Float>
        for b in 0..<batch {
            let z = UnsafeRawPointer(projection + b * width)
            let c = UnsafeMutableRawPointer(carry + b * units), h = UnsafeMutableRawPointer(hidden + b * units)
            let stride = MemoryLayout<Float>.stride
            var j = 0  // a while loop: a stride(from:to:by:) loop here was left calling its iterator
            while j < units {
                let i = FastSigmoid.sigmoid(z.loadUnaligned(fromByteOffset: j * stride, as: V.self))
                let f = FastSigmoid.sigmoid(z.loadUnaligned(fromByteOffset: (units + j) * stride, as: V.self))
                let g = FastTanh.tanh(z.loadUnaligned(fromByteOffset: (2 * units + j) * stride, as: V.self))
                let o = FastSigmoid.sigmoid(z.loadUnaligned(fromByteOffset: (3 * units + j) * stride, as: V.self))
                let cNew = f * c.loadUnaligned(fromByteOffset: j * stride, as: V.self) + i * g
                c.storeBytes(of: cNew, toByteOffset: j * stride, as: V.self)
                h.storeBytes(of: o * FastTanh.tanh(cNew), toByteOffset: j * stride, as: V.self)
                j += 8
            }
        }
    }

    /// The gates for any activations: each applied in place over
    /// `projection` (which then holds the gates), `c_t` and `h_t` written into
    /// the state, and a(c_t) into `squashed` (`batch · units`).
    func applyGates(
        _ projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        squashed: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let width = 4 * units
        let hidden = state, carry = state + batch * units
        for b in 0..<batch {
            let z = projection + b * width
            recurrentActivation.apply(z, count: 2 * units, lastAxis: units)          // i, f
            activation.apply(z + 2 * units, count: units, lastAxis: units)           // c̃
            recurrentActivation.apply(z + 3 * units, count: units, lastAxis: units)  // o
            let c = carry + b * units, s = squashed + b * units
            for j in 0..<units {
                c[j] = z[units + j] * c[j] + z[j] * z[2 * units + j]
                s[j] = c[j]
            }
            activation.apply(s, count: units, lastAxis: units)
            let h = hidden + b * units
            for j in 0..<units { h[j] = z[3 * units + j] * s[j] }
        }
    }

    /// With g = (i, f, c̃, o) and s = a(c_t):
    /// do = dh ⊙ s; dc = dc_in + a'(c_t) ⊙ dh ⊙ o; di = dc ⊙ c̃; df = dc ⊙ c_{t-1};
    /// dc̃ = dc ⊙ i; dc_{t-1} = dc ⊙ f; each through its activation gives dz;
    /// dU += h_{t-1}ᵀ·dz; dh_{t-1} = dz·Uᵀ.
    public func backwardStep(
        record: UnsafePointer<Float>, previousState: UnsafePointer<Float>, state: UnsafePointer<Float>,
        recurrentMask: UnsafePointer<Float>?, stateGradient: UnsafeMutablePointer<Float>,
        projectionGradient: UnsafeMutablePointer<Float>, recurrentKernelGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let width = 4 * units
        let pre = record, gates = record + batch * width, squashedAll = record + 2 * batch * width
        for b in 0..<batch {
            let g = gates + b * width, z = pre + b * width, dz = projectionGradient + b * width
            let s = squashedAll + b * units, c = state + batch * units + b * units
            let cPrevious = previousState + batch * units + b * units
            let dh = stateGradient + b * units, dcCarry = stateGradient + batch * units + b * units
            let dc = scratch + b * units
            for j in 0..<units {
                dz[3 * units + j] = dh[j] * s[j]          // do
                dc[j] = dh[j] * g[3 * units + j]          // d s
            }
            activation.backpropagate(preActivation: c, output: s, gradient: dc, count: units, lastAxis: units)
            for j in 0..<units {
                let total = dc[j] + dcCarry[j]
                dz[j] = total * g[2 * units + j]              // di
                dz[units + j] = total * cPrevious[j]          // df
                dz[2 * units + j] = total * g[j]              // dc̃
                dcCarry[j] = total * g[units + j]             // dc_{t-1}
            }
            recurrentActivation.backpropagate(preActivation: z, output: g, gradient: dz, count: 2 * units, lastAxis: units)
            activation.backpropagate(
                preActivation: z + 2 * units, output: g + 2 * units, gradient: dz + 2 * units, count: units, lastAxis: units)
            recurrentActivation.backpropagate(
                preActivation: z + 3 * units, output: g + 3 * units, gradient: dz + 3 * units, count: units, lastAxis: units)
        }
        accumulateRecurrentKernelGradient(
            input: previousState, gradient: projectionGradient, ldg: width, batch: batch, columns: width,
            into: recurrentKernelGradient)
        recurrentBackward(projectionGradient, ldg: width, batch: batch, columns: width, into: stateGradient, accumulate: false)
    }
}

/// Keras's `LSTM`: `RNN` over an `LSTMCell`.
public typealias LSTM = RNN<LSTMCell>

extension RNN where Cell == LSTMCell {
    /// An LSTM layer with zero weights; load real ones with `setParameters`.
    public init(
        name: String = "lstm", inputSize: Int, units: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, useBias: Bool = true, unitForgetBias: Bool = true,
        implementation: Int = 2, returnSequences: Bool = false, goBackwards: Bool = false,
        stateful: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.init(
            name: name,
            cell: LSTMCell(
                inputSize: inputSize, units: units, activation: activation, recurrentActivation: recurrentActivation,
                useBias: useBias, unitForgetBias: unitForgetBias, implementation: implementation,
                dropout: dropout, recurrentDropout: recurrentDropout),
            returnSequences: returnSequences, goBackwards: goBackwards, stateful: stateful)
    }
}
