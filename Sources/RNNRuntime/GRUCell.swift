/// The cell of Keras's `GRU` (keras/src/layers/rnn/gru.py, `GRUCell.call`),
/// column blocks z (update), r (reset), h (candidate), σ the recurrent
/// activation and a the activation:
///
/// `resetAfter` (Keras 3's and tf.keras's default; bias `(2, 3·units)`, row 0
/// for the inputs, row 1 for the recurrent part):
///
///     x = x_t · W + b_in     r_h = h_{t-1} · U + b_rec
///     z = σ(x_z + r_z)   r = σ(x_r + r_r)   h̃ = a(x_h + r ⊙ r_h)
///
/// without it (the Keras 2.0-era form; bias `(3·units)`, inputs only):
///
///     x = x_t · W + b
///     z = σ(x_z + h_{t-1}·U_z)   r = σ(x_r + h_{t-1}·U_r)   h̃ = a(x_h + (r ⊙ h_{t-1})·U_h)
///
/// and in both `h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃`.
public struct GRUCell: RecurrentCell {
    public let inputSize: Int
    public let units: Int
    public var activation: Activation
    public var recurrentActivation: Activation
    public let useBias: Bool
    public let resetAfter: Bool
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
        useBias: Bool = true, resetAfter: Bool = true, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.resetAfter = resetAfter
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.kernel = Tensor(zeros: [inputSize, 3 * units])
        self.recurrentKernel = Tensor(zeros: [units, 3 * units])
        self.bias = useBias ? Tensor(zeros: Self.biasShape(units: units, resetAfter: resetAfter)) : nil
    }

    static func biasShape(units: Int, resetAfter: Bool) -> [Int] {
        resetAfter ? [2, 3 * units] : [3 * units]
    }

    public var stateSize: Int { units }
    public var projectionSize: Int { 3 * units }
    /// The recurrent product h_{t-1}·U (+ b_rec) for all three blocks; without
    /// `resetAfter`, its last block holds r ⊙ h_{t-1} first.
    public var scratchSize: Int { 3 * units }

    public var parameterSpecs: [ParameterSpec] {
        var specs = [
            ParameterSpec(name: "kernel", shape: [inputSize, 3 * units]),
            ParameterSpec(name: "recurrent_kernel", shape: [units, 3 * units]),
        ]
        if useBias { specs.append(ParameterSpec(name: "bias", shape: Self.biasShape(units: units, resetAfter: resetAfter))) }
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

    /// x_t·W plus the input bias (the first row of a `resetAfter` bias).
    public func projectInputs(_ inputs: UnsafePointer<Float>, rows: Int, into projections: UnsafeMutablePointer<Float>) {
        let width = 3 * units
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
        let width = 3 * units
        let hidden = state
        recurrentKernel.scalars.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            if resetAfter {
                // scratch = h·U + b_rec, all three blocks.
                LinearAlgebra.matmul(hidden, u, into: scratch, rows: batch, inner: units, cols: width, accumulate: false)
                if let bias {
                    bias.scalars.withUnsafeBufferPointer { b in
                        if let b = b.baseAddress {
                            LinearAlgebra.addRowVector(b + width, to: scratch, rows: batch, cols: width)
                        }
                    }
                }
                for b in 0..<batch {
                    let x = projection + b * width, r = scratch + b * width
                    for j in 0..<(2 * units) { x[j] += r[j] }
                    recurrentActivation.apply(x, count: 2 * units, lastAxis: units)  // z, r
                    for j in 0..<units { x[2 * units + j] += x[units + j] * r[2 * units + j] }
                }
            } else {
                // The z and r blocks: x_{z,r} += h·U_{z,r}.
                LinearAlgebra.gemm(
                    transposeA: false, transposeB: false, m: batch, n: 2 * units, k: units,
                    a: hidden, lda: units, b: u, ldb: width, c: projection, ldc: width, accumulate: true)
                for b in 0..<batch {
                    let x = projection + b * width, h = hidden + b * units, resetState = scratch + b * units
                    recurrentActivation.apply(x, count: 2 * units, lastAxis: units)  // z, r
                    for j in 0..<units { resetState[j] = x[units + j] * h[j] }
                }
                // x_h += (r ⊙ h)·U_h; the rows of r ⊙ h lie `units` apart in scratch.
                LinearAlgebra.gemm(
                    transposeA: false, transposeB: false, m: batch, n: units, k: units,
                    a: scratch, lda: units, b: u + 2 * units, ldb: width,
                    c: projection + 2 * units, ldc: width, accumulate: true)
            }
        }
        for b in 0..<batch {
            let x = projection + b * width, h = hidden + b * units
            activation.apply(x + 2 * units, count: units, lastAxis: units)
            for j in 0..<units {
                let z = x[j]
                h[j] = z * h[j] + (1 - z) * x[2 * units + j]
            }
        }
    }
}

/// Keras's `GRU`: `RNN` over a `GRUCell`.
public typealias GRU = RNN<GRUCell>

extension RNN where Cell == GRUCell {
    /// A GRU layer with zero weights; load real ones with `setParameters`.
    public init(
        name: String = "gru", inputSize: Int, units: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, useBias: Bool = true, resetAfter: Bool = true,
        returnSequences: Bool = false, goBackwards: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.init(
            name: name,
            cell: GRUCell(
                inputSize: inputSize, units: units, activation: activation, recurrentActivation: recurrentActivation,
                useBias: useBias, resetAfter: resetAfter, dropout: dropout, recurrentDropout: recurrentDropout),
            returnSequences: returnSequences, goBackwards: goBackwards)
    }
}
