/// A recurrent layer: runs a `RecurrentCell` over the steps of each sequence.
///
/// Input `(batch, steps, inputSize)`. Output `(batch, units)`, the last
/// step's `h`, or with `returnSequences` `(batch, steps, units)`, every
/// step's `h` in the order the steps were processed. With `goBackwards` the
/// steps are processed last to first and, as in Keras, the returned sequence
/// is not reversed back. The initial state is zeros, or with `stateful`
/// the state the previous batch ended in (see `SequenceContext`).
///
/// Masked steps (Keras's `rnn` loop, the same in Keras 3 and tf.keras):
/// the state is carried unchanged through a masked step, and the output
/// there repeats the last output emitted (zeros before any step was kept),
/// or is zeros with `zeroOutputForMask`. Without `returnSequences` the
/// output is the last one emitted.
public struct RNN<Cell: RecurrentCell>: RecurrentLayer, WeightHolding {
    public var name: String
    public var cell: Cell
    public var returnSequences: Bool
    public var goBackwards: Bool
    /// Keras's `stateful`: the state carries over from one batch to the next.
    public let stateful: Bool
    /// Keras's `zero_output_for_mask` (which `Bidirectional` sets to `return_sequences`).
    public var zeroOutputForMask: Bool
    /// Keras's `return_state`: in a graph, the final states follow the output
    /// (see `StateExposingLayer`); a `Sequential` refuses it.
    public var returnState = false

    public init(
        name: String, cell: Cell, returnSequences: Bool = false, goBackwards: Bool = false,
        stateful: Bool = false, zeroOutputForMask: Bool = false
    ) {
        self.name = name
        self.cell = cell
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.stateful = stateful
        self.zeroOutputForMask = zeroOutputForMask
    }

    public var passesMask: Bool { returnSequences }
    public var carriedStateSize: Int { cell.stateSize }
    public var isStateful: Bool { stateful }

    /// The cell's weights: Keras keeps a recurrent layer's weights in its cell.
    public var weights: WeightList {
        get { cell.weights }
        set { cell.weights = newValue }
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "a recurrent layer takes (batch, steps, features), got \(Tensor.describe([nil] + shape))")
        }
        if let features = shape[1], features != cell.inputSize {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "takes \(cell.inputSize) features per step, input has \(features)")
        }
        if let steps = shape[0], steps < 1 {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "needs at least one time step")
        }
        return returnSequences ? [shape[0], cell.units] : [cell.units]
    }

    /// The cell's multiply-adds per step, times the steps.
    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        (shape.first.flatMap { $0 } ?? 1) * cell.multiplyAddsPerStep
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank == 3, input.shape[2] == cell.inputSize, input.shape[1] >= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "takes (batch, steps >= 1, \(cell.inputSize)), got \(Tensor.describe(input.shape))")
        }
        let batch = input.shape[0], steps = input.shape[1]
        let sampleShape = [steps, cell.inputSize]
        var output = [Float](repeating: 0, count: batch * cell.units * (returnSequences ? steps : 1))
        // The working memory is on the stack when small, so a one-sample
        // prediction allocates only its output.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: workspaceSize(batch: batch, sampleShape: sampleShape)) { memory in
            input.scalars.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { out in
                    forward(x.baseAddress!, batch: batch, sampleShape: sampleShape, into: out.baseAddress!, workspace: memory.baseAddress!)
                }
            }
        }
        let shape = returnSequences ? [batch, steps, cell.units] : [batch, cell.units]
        return Tensor(uncheckedShape: shape, scalars: output)
    }

    /// The input projections (every step's, or one step's at a time when
    /// that would be large), the state, the cell's scratch and, when every
    /// step is projected at once for more than one sample, a time-major copy
    /// of the input.
    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int {
        let steps = sampleShape[0]
        let eachStep = projectsEachStep(batch: batch, steps: steps)
        let projections = (eachStep ? 1 : steps) * batch * cell.projectionSize
        let timeMajor = batch > 1 && !eachStep ? steps * batch * cell.inputSize : 0
        // With a mask: the state before a step, and the last output emitted.
        let masking = cell.stateSize * batch + cell.units * batch
        let joined = eachStep ? joinedProductsWorkspace(batch: batch) : 0
        return projections + cell.stateSize * batch + max(batch * cell.scratchSize, 1) + timeMajor + masking + joined
    }

    /// Above this many floats, the projections of all steps would not stay
    /// in cache between being written and read, so each step's is made just
    /// before the step (reading that step's rows of the input in place).
    public static var wholeSequenceProjectionLimit: Int { 1 << 16 }

    func projectsEachStep(batch: Int, steps: Int) -> Bool {
        steps * batch * cell.projectionSize > Self.wholeSequenceProjectionLimit
    }

    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into out: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        forward(x, batch: batch, sampleShape: sampleShape, context: .none, into: out, workspace: workspace)
    }

    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, sampleShape: [Int], context: SequenceContext,
        into out: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let steps = sampleShape[0], features = cell.inputSize
        let units = cell.units, width = cell.projectionSize
        let stateCount = cell.stateSize * batch, scratchCount = max(batch * cell.scratchSize, 1)
        let eachStep = projectsEachStep(batch: batch, steps: steps)
        let projections = workspace
        let state = projections + (eachStep ? 1 : steps) * batch * width, scratch = state + stateCount
        let timeMajorCount = batch > 1 && !eachStep ? steps * batch * features : 0
        let savedState = scratch + scratchCount + timeMajorCount, emitted = savedState + stateCount
        if let carried = context.carriedState {
            state.update(from: carried, count: stateCount)
        } else {
            state.initialize(repeating: 0, count: stateCount)
        }
        scratch.initialize(repeating: 0, count: scratchCount)
        let mask = context.mask
        if mask != nil { emitted.initialize(repeating: 0, count: batch * units) }
        if eachStep && mask == nil && cell.preActivationsAreOneProduct {
            forwardJoiningProducts(
                x, batch: batch, steps: steps, projection: projections, state: state, scratch: scratch,
                into: out, workspace: emitted + batch * units)
            if !returnSequences { out.update(from: state, count: batch * units) }
            context.carriedState?.update(from: state, count: stateCount)
            return
        }
        // Input projections for all steps at once, in time-major order so
        // each step's rows are contiguous. With one sample the layouts coincide.
        if eachStep {
            // Made step by step below.
        } else if batch == 1 {
            cell.projectInputs(x, rows: steps, into: projections)
        } else {
            let timeMajor = scratch + scratchCount
            for b in 0..<batch {
                for s in 0..<steps {
                    (timeMajor + (s * batch + b) * features).update(from: x + (b * steps + s) * features, count: features)
                }
            }
            cell.projectInputs(timeMajor, rows: steps * batch, into: projections)
        }
        for position in 0..<steps {
            let s = goBackwards ? steps - 1 - position : position
            let projection: UnsafeMutablePointer<Float>
            if eachStep {
                cell.projectInputs(x + s * features, rows: batch, inputStride: steps * features, into: projections)
                projection = projections
            } else {
                projection = projections + s * batch * width
            }
            if let mask {
                maskedStep(
                    projection: projection, state: state, scratch: scratch, savedState: savedState, emitted: emitted,
                    mask: mask + s, maskStride: steps, batch: batch)
            } else {
                cell.step(projection: projection, state: state, scratch: scratch, batch: batch)
            }
            if returnSequences {
                let source = mask == nil ? state : emitted
                for b in 0..<batch {
                    (out + (b * steps + position) * units).update(from: source + b * units, count: units)
                }
            }
        }
        if !returnSequences { out.update(from: mask == nil ? state : emitted, count: batch * units) }
        context.carriedState?.update(from: state, count: stateCount)
    }

    /// Copies sample `b`'s state from `source` into `state`: every block of
    /// the layout (`(batch, units)` of h, then of c), for a masked step.
    func restoreSample(_ b: Int, batch: Int, in state: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>) {
        let units = cell.units
        for block in 0..<cell.stateSize / units {
            let offset = block * batch * units + b * units
            (state + offset).update(from: source + offset, count: units)
        }
    }

    /// One step under a mask (`mask[b · maskStride]` for sample b): kept
    /// samples step and emit `h`; masked ones keep their state and emit the
    /// last output again, or zeros with `zeroOutputForMask`.
    private func maskedStep(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        savedState: UnsafeMutablePointer<Float>, emitted: UnsafeMutablePointer<Float>,
        mask: UnsafePointer<Float>, maskStride: Int, batch: Int
    ) {
        let units = cell.units, stateCount = cell.stateSize * batch
        var kept = 0
        for b in 0..<batch where mask[b * maskStride] != 0 { kept += 1 }
        if kept > 0 {
            if kept < batch { savedState.update(from: state, count: stateCount) }
            cell.step(projection: projection, state: state, scratch: scratch, batch: batch)
        }
        for b in 0..<batch {
            if mask[b * maskStride] != 0 {
                (emitted + b * units).update(from: state + b * units, count: units)
                continue
            }
            if kept > 0 { restoreSample(b, batch: batch, in: state, from: savedState) }
            if zeroOutputForMask { (emitted + b * units).initialize(repeating: 0, count: units) }
        }
    }
}

/// A layer that runs a recurrent cell over sequences (Keras keeps such a
/// layer's weights in its cell, which file formats reflect).
public protocol RecurrentLayer: Layer {
    associatedtype Cell: RecurrentCell
    var cell: Cell { get }
    var returnSequences: Bool { get set }
    var goBackwards: Bool { get set }
    /// The layer's name (a wrapper names its inner layers).
    var name: String { get set }
    /// Outputs zeros at masked steps instead of repeating the last output.
    var zeroOutputForMask: Bool { get set }
}

/// Keras's `SimpleRNN`: `RNN` over a `SimpleRNNCell`.
public typealias SimpleRNN = RNN<SimpleRNNCell>

extension RNN where Cell == SimpleRNNCell {
    /// A SimpleRNN layer with zero weights; load real ones with `setParameters`.
    public init(
        name: String = "simple_rnn", inputSize: Int, units: Int, activation: Activation = .tanh,
        useBias: Bool = true, returnSequences: Bool = false, goBackwards: Bool = false,
        stateful: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.init(
            name: name,
            cell: SimpleRNNCell(
                inputSize: inputSize, units: units, activation: activation, useBias: useBias,
                dropout: dropout, recurrentDropout: recurrentDropout),
            returnSequences: returnSequences, goBackwards: goBackwards, stateful: stateful)
    }
}
