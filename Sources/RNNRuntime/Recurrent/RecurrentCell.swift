/// One step of a recurrent layer, the part that differs between SimpleRNN,
/// LSTM and GRU. `RNN` runs a cell over the steps of a sequence, for
/// inference and for training alike; a cell is only its step and the
/// step's backward, and its weights declared once (`WeightHolding`).
///
/// The work is split so the input-to-hidden product runs once for the whole
/// sequence (one large matrix product) and only the hidden-to-hidden part
/// runs step by step:
/// 1. `projectInputs` maps every step's input `x_t` to `projectionSize`
///    numbers per sample: `x_t · W + b_in`.
/// 2. `step` combines one step's projection with the carried state(s).
///
/// Every cell holds `kernel W (inputSize, projectionSize)`, then
/// `recurrent_kernel`, then, if it has one, a `bias` whose first
/// `projectionSize` numbers are the input bias `b_in` added by `projectInputs`
/// (a GRU with `reset_after` keeps its recurrent bias after them).
public protocol RecurrentCell: Sendable, WeightHolding {
    /// Features per input step.
    var inputSize: Int { get }
    /// Size of the output at each step.
    var units: Int { get }
    /// Numbers per sample carried from step to step: `h` (`units`) first,
    /// then any further state (an LSTM's `c`).
    var stateSize: Int { get }
    /// Numbers per sample and step produced by `projectInputs`.
    var projectionSize: Int { get }
    /// Scratch space per sample that `step` and `backwardStep` need.
    var scratchSize: Int { get }
    /// Numbers per sample and step a training step keeps for its backward.
    var recordSize: Int { get }
    /// Fraction of the inputs dropped in training.
    var dropout: Float { get }
    /// Fraction of the carried state dropped in training.
    var recurrentDropout: Float { get }
    /// Why this cell cannot be trained with its options, or nil.
    var trainingRefusal: String? { get }
    /// Multiply-adds per sample and step (for benchmarks' FLOP counts).
    var multiplyAddsPerStep: Int { get }
    /// True when, at inference, every column of a step's pre-activations is
    /// `x_t·W + b_in + h_{t-1}·U` with nothing applied between the two
    /// products (SimpleRNN, LSTM; not GRU, whose candidate scales its part of
    /// `h·U` by the reset gate): `RNN` may then form both products as one
    /// GEMM over `[x_t, h_{t-1}] · [W; U]` and call `stepFromPreActivations`.
    var preActivationsAreOneProduct: Bool { get }
    /// The rest of an inference `step` once `projection` holds the whole
    /// pre-activation `x_t·W + b_in + h_{t-1}·U`. Only called on cells whose
    /// `preActivationsAreOneProduct`.
    func stepFromPreActivations(
        _ projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int)

    /// Advances every sample of the batch by one step.
    ///
    /// - Parameters:
    ///   - projection: this step's `(batch, projectionSize)` input projection;
    ///     the cell may work in it, as it is not read again.
    ///   - state: the carried state, updated in place: `(batch, units)` of `h`
    ///     first, then any further state the cell lays out after it.
    ///   - scratch: `batch · scratchSize` floats of working space.
    ///   - recurrentMask: in training, the `(batch, units)` recurrent dropout
    ///     mask that multiplies `h_{t-1}` where Keras applies it; else nil.
    ///   - record: in training, `batch · recordSize` floats to keep what
    ///     `backwardStep` needs; nil at inference.
    func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int,
        recurrentMask: UnsafePointer<Float>?, record: UnsafeMutablePointer<Float>?)

    /// The backward pass of one `step`.
    ///
    /// - Parameters:
    ///   - record: what `step` kept.
    ///   - previousState, state: the state before and after the step.
    ///   - stateGradient: in, dL/d(state after); out, dL/d(state before).
    ///   - projectionGradient: out, dL/d(projection), `(batch, projectionSize)`.
    ///   - recurrentKernelGradient: dL/dU, added to.
    ///   - biasGradient: the whole bias's gradient, when the cell has a bias:
    ///     the cell adds to any part past `projectionSize` (the `RNN` fills
    ///     the input bias's part from `projectionGradient`).
    func backwardStep(
        record: UnsafePointer<Float>, previousState: UnsafePointer<Float>, state: UnsafePointer<Float>,
        recurrentMask: UnsafePointer<Float>?, stateGradient: UnsafeMutablePointer<Float>,
        projectionGradient: UnsafeMutablePointer<Float>, recurrentKernelGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, batch: Int)
}

extension RecurrentCell {
    /// The weights, in Keras's order: kernel, recurrent kernel, bias.
    public var kernel: Tensor { weights[0] }
    public var recurrentKernel: Tensor { weights[1] }
    public var bias: Tensor? { weights.items.count > 2 ? weights[2] : nil }

    /// Advances every sample by one step, at inference.
    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        step(projection: projection, state: state, scratch: scratch, batch: batch, recurrentMask: nil, record: nil)
    }

    /// `projections[rows, projectionSize] = inputs[rows, inputSize] · W + b_in`,
    /// the input rows `inputStride` floats apart (default: contiguous).
    public func projectInputs(
        _ inputs: UnsafePointer<Float>, rows: Int, inputStride: Int? = nil, into projections: UnsafeMutablePointer<Float>
    ) {
        let width = projectionSize
        let bias = bias
        if let bias {
            bias.scalars.withUnsafeBufferPointer { b in
                if let b = b.baseAddress { LinearAlgebra.fillRows(with: b, projections, rows: rows, cols: width) }
            }
        }
        kernel.scalars.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            LinearAlgebra.gemm(
                transposeA: false, transposeB: false, m: rows, n: width, k: inputSize,
                a: inputs, lda: inputStride ?? inputSize, b: w, ldb: width, c: projections, ldc: width,
                accumulate: bias != nil)
        }
    }

    public var trainingRefusal: String? { nil }

    public var preActivationsAreOneProduct: Bool { false }

    public func stepFromPreActivations(
        _ projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        preconditionFailure("RNN calls stepFromPreActivations only on cells whose preActivationsAreOneProduct")
    }

    /// `h·U` for the recurrent kernel's `columns` starting at `firstColumn`,
    /// added to (or written into) `into`, whose rows are `ldc` apart.
    func recurrentProduct(
        _ hidden: UnsafePointer<Float>, batch: Int, firstColumn: Int = 0, columns: Int,
        into: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        let width = recurrentKernel.shape[1]
        recurrentKernel.scalars.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            LinearAlgebra.gemm(
                transposeA: false, transposeB: false, m: batch, n: columns, k: units,
                a: hidden, lda: units, b: u + firstColumn, ldb: width, c: into, ldc: ldc, accumulate: accumulate)
        }
    }

    /// `into += gradient · U[:, columns]ᵀ`: the gradient reaching `h` through
    /// those columns of the recurrent kernel.
    func recurrentBackward(
        _ gradient: UnsafePointer<Float>, ldg: Int, batch: Int, firstColumn: Int = 0, columns: Int,
        into: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        let width = recurrentKernel.shape[1]
        recurrentKernel.scalars.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            LinearAlgebra.gemm(
                transposeA: false, transposeB: true, m: batch, n: units, k: columns,
                a: gradient, lda: ldg, b: u + firstColumn, ldb: width, c: into, ldc: units, accumulate: accumulate)
        }
    }

    /// `dU[:, columns] += inputᵀ · gradient`: one step's recurrent-kernel gradient.
    func accumulateRecurrentKernelGradient(
        input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, ldg: Int, batch: Int,
        firstColumn: Int = 0, columns: Int, into dU: UnsafeMutablePointer<Float>
    ) {
        let width = recurrentKernel.shape[1]
        LinearAlgebra.gemm(
            transposeA: true, transposeB: false, m: units, n: columns, k: batch,
            a: input, lda: units, b: gradient, ldb: ldg, c: dU + firstColumn, ldc: width, accumulate: true)
    }
}
