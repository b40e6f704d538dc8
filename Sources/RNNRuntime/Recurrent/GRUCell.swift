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
        useBias: Bool = true, resetAfter: Bool = true, implementation: Int = 2,
        dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.resetAfter = resetAfter
        self.implementation = implementation
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.weights = WeightList([
            Weight("kernel", shape: [inputSize, 3 * units], initializer: .glorotUniform),
            Weight("recurrent_kernel", shape: [units, 3 * units], initializer: .orthogonal),
            useBias ? Weight("bias", shape: resetAfter ? [2, 3 * units] : [3 * units], initializer: .zeros) : nil,
        ])
    }

    public var stateSize: Int { units }
    public var projectionSize: Int { 3 * units }
    /// The recurrent product h_{t-1}·U (+ b_rec) for all three blocks; without
    /// `resetAfter`, its first block holds r ⊙ h_{t-1}. The backward step
    /// uses it for dh̃·U_hᵀ.
    public var scratchSize: Int { 3 * units }
    /// Per sample: pre-activations of z, r, h̃; z, r, h̃; and the recurrent
    /// input of the h̃ block (h_{t-1}·U_h + b_rec,h with `resetAfter`, else r ⊙ h_{t-1}).
    public var recordSize: Int { 7 * units }
    public var multiplyAddsPerStep: Int { 3 * units * (inputSize + units) }

    public var trainingRefusal: String? {
        if recurrentDropout > 0 {
            return "GRU training with recurrent_dropout is not supported yet (Keras draws a separate mask per gate)"
        }
        if dropout > 0 && implementation == 1 {
            return "GRU training with dropout and implementation=1 is not supported yet (Keras draws a separate mask per gate)"
        }
        return nil
    }

    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int,
        recurrentMask: UnsafePointer<Float>?, record: UnsafeMutablePointer<Float>?
    ) {
        let width = 3 * units
        let hidden = state
        let preRecord = record, postRecord = record.map { $0 + batch * width }
        let inputRecord = record.map { $0 + 2 * batch * width }
        if resetAfter {
            // scratch = b_rec + h·U, all three blocks: the bias is laid down
            // first and the product added to it, one pass instead of three.
            if let bias {
                bias.scalars.withUnsafeBufferPointer { b in
                    guard let b = b.baseAddress else { return }
                    for row in 0..<batch { (scratch + row * width).update(from: b + width, count: width) }
                }
            }
            recurrentProduct(hidden, batch: batch, columns: width, into: scratch, ldc: width, accumulate: bias != nil)
            for b in 0..<batch {
                let x = projection + b * width, r = scratch + b * width
                for j in 0..<(2 * units) { x[j] += r[j] }
                if let preRecord { (preRecord + b * width).update(from: x, count: 2 * units) }
                recurrentActivation.apply(x, count: 2 * units, lastAxis: units)  // z, r
                if let inputRecord { (inputRecord + b * units).update(from: r + 2 * units, count: units) }
                for j in 0..<units { x[2 * units + j] += x[units + j] * r[2 * units + j] }
            }
        } else {
            // The z and r blocks: x_{z,r} += h·U_{z,r}.
            recurrentProduct(hidden, batch: batch, columns: 2 * units, into: projection, ldc: width, accumulate: true)
            for b in 0..<batch {
                let x = projection + b * width, h = hidden + b * units, resetState = scratch + b * units
                if let preRecord { (preRecord + b * width).update(from: x, count: 2 * units) }
                recurrentActivation.apply(x, count: 2 * units, lastAxis: units)  // z, r
                for j in 0..<units { resetState[j] = x[units + j] * h[j] }
                if let inputRecord { (inputRecord + b * units).update(from: resetState, count: units) }
            }
            // x_h += (r ⊙ h)·U_h; the rows of r ⊙ h lie `units` apart in scratch.
            recurrentProduct(
                scratch, batch: batch, firstColumn: 2 * units, columns: units, into: projection + 2 * units,
                ldc: width, accumulate: true)
        }
        for b in 0..<batch {
            let x = projection + b * width, h = hidden + b * units
            if let preRecord { (preRecord + b * width + 2 * units).update(from: x + 2 * units, count: units) }
            activation.apply(x + 2 * units, count: units, lastAxis: units)
            if let postRecord { (postRecord + b * width).update(from: x, count: width) }
            for j in 0..<units {
                let z = x[j]
                h[j] = z * h[j] + (1 - z) * x[2 * units + j]
            }
        }
    }

    /// dz = dh ⊙ (h_{t-1} - h̃); dh̃ = dh ⊙ (1 - z); dh_{t-1} = dh ⊙ z + ...;
    /// with `resetAfter`: dr = dĥ ⊙ (h·U_h + b), d(h·U_h + b) = dĥ ⊙ r, and the
    /// recurrent product's gradient [dẑ, dr̂, dĥ ⊙ r] goes to dU, b_rec and dh_{t-1};
    /// without: d(r ⊙ h) = dĥ·U_hᵀ, dr = that ⊙ h_{t-1}, dh_{t-1} += that ⊙ r,
    /// dU_h += (r ⊙ h)ᵀ·dĥ and dU_{z,r} += h_{t-1}ᵀ·[dẑ, dr̂] (hats: pre-activations).
    public func backwardStep(
        record: UnsafePointer<Float>, previousState: UnsafePointer<Float>, state: UnsafePointer<Float>,
        recurrentMask: UnsafePointer<Float>?, stateGradient: UnsafeMutablePointer<Float>,
        projectionGradient: UnsafeMutablePointer<Float>, recurrentKernelGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let width = 3 * units
        let pre = record, post = record + batch * width, recurrentInputs = record + 2 * batch * width
        for b in 0..<batch {
            let z = pre + b * width, g = post + b * width, dx = projectionGradient + b * width
            let hPrevious = previousState + b * units, dh = stateGradient + b * units
            for j in 0..<units {
                dx[j] = dh[j] * (hPrevious[j] - g[2 * units + j])   // d z
                dx[2 * units + j] = dh[j] * (1 - g[j])             // d h̃
                dh[j] *= g[j]                                      // through z ⊙ h_{t-1}
            }
            activation.backpropagate(
                preActivation: z + 2 * units, output: g + 2 * units, gradient: dx + 2 * units, count: units, lastAxis: units)
        }
        if resetAfter {
            // scratch = the recurrent product's gradient, (batch, 3·units).
            for b in 0..<batch {
                let g = post + b * width, dx = projectionGradient + b * width, ds = scratch + b * width
                let recurrentH = recurrentInputs + b * units
                for j in 0..<units {
                    dx[units + j] = dx[2 * units + j] * recurrentH[j]   // d r
                    ds[2 * units + j] = dx[2 * units + j] * g[units + j]
                }
                recurrentActivation.backpropagate(
                    preActivation: pre + b * width, output: g, gradient: dx, count: 2 * units, lastAxis: units)
                ds.update(from: dx, count: 2 * units)
            }
            accumulateRecurrentKernelGradient(
                input: previousState, gradient: scratch, ldg: width, batch: batch, columns: width, into: recurrentKernelGradient)
            if let biasGradient {
                LinearAlgebra.addColumnSums(of: scratch, rows: batch, cols: width, into: biasGradient + width)
            }
            recurrentBackward(scratch, ldg: width, batch: batch, columns: width, into: stateGradient, accumulate: true)
        } else {
            // scratch = d(r ⊙ h_{t-1}) = dĥ·U_hᵀ, (batch, units).
            recurrentKernel.scalars.withUnsafeBufferPointer { u in
                guard let u = u.baseAddress else { return }
                LinearAlgebra.gemm(
                    transposeA: false, transposeB: true, m: batch, n: units, k: units,
                    a: projectionGradient + 2 * units, lda: width, b: u + 2 * units, ldb: width,
                    c: scratch, ldc: units, accumulate: false)
            }
            for b in 0..<batch {
                let g = post + b * width, dx = projectionGradient + b * width, dReset = scratch + b * units
                let hPrevious = previousState + b * units, dh = stateGradient + b * units
                for j in 0..<units {
                    dx[units + j] = dReset[j] * hPrevious[j]   // d r
                    dh[j] += dReset[j] * g[units + j]
                }
                recurrentActivation.backpropagate(
                    preActivation: pre + b * width, output: g, gradient: dx, count: 2 * units, lastAxis: units)
            }
            accumulateRecurrentKernelGradient(
                input: recurrentInputs, gradient: projectionGradient + 2 * units, ldg: width, batch: batch,
                firstColumn: 2 * units, columns: units, into: recurrentKernelGradient)
            accumulateRecurrentKernelGradient(
                input: previousState, gradient: projectionGradient, ldg: width, batch: batch, columns: 2 * units,
                into: recurrentKernelGradient)
            recurrentBackward(projectionGradient, ldg: width, batch: batch, columns: 2 * units, into: stateGradient, accumulate: true)
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
        implementation: Int = 2, returnSequences: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.init(
            name: name,
            cell: GRUCell(
                inputSize: inputSize, units: units, activation: activation, recurrentActivation: recurrentActivation,
                useBias: useBias, resetAfter: resetAfter, implementation: implementation,
                dropout: dropout, recurrentDropout: recurrentDropout),
            returnSequences: returnSequences, goBackwards: goBackwards, stateful: stateful)
    }
}
