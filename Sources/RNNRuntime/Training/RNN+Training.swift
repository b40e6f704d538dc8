extension RNN: TrainableLayer {
    public var drawsRandomNumbers: Bool { cell.dropout > 0 || cell.recurrentDropout > 0 }

    /// The forward pass, keeping every step's state and what the cell's
    /// backward step needs. In training, `dropout` masks the inputs and
    /// `recurrentDropout` the carried state (for the cells that take a
    /// recurrent mask), each with one mask per sequence reused at every step
    /// (Keras's `get_dropout_mask`), scaled by 1 / (1 - rate).
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: RecurrentTrainingCache) {
        guard input.rank == 3, input.shape[2] == cell.inputSize, input.shape[1] >= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "takes (batch, steps >= 1, \(cell.inputSize)), got \(Tensor.describe(input.shape))")
        }
        if context.training, let refusal = cell.trainingRefusal {
            throw RuntimeError.incompatibleLayer(layer: name, detail: refusal)
        }
        let batch = input.shape[0], steps = input.shape[1], features = cell.inputSize, units = cell.units
        func mask(_ rate: Float, _ count: Int) -> [Float]? {
            guard context.training, rate > 0 else { return nil }
            return (0..<count).map { _ in context.random.uniform() < 1 - rate ? 1 / (1 - rate) : 0 }
        }
        let inputMask = mask(cell.dropout, batch * features)
        let recurrentMask = mask(cell.recurrentDropout, batch * units)
        // The timestep mask in processing order, (steps, batch).
        var stepMask: [Float]?
        if let timestepMask = context.mask {
            guard timestepMask.shape == [batch, steps] else {
                throw RuntimeError.incompatibleLayer(
                    layer: name, detail: "got a mask shaped \(Tensor.describe(timestepMask.shape)) for input \(Tensor.describe(input.shape))")
            }
            var ordered = [Float](repeating: 0, count: steps * batch)
            for position in 0..<steps {
                let s = goBackwards ? steps - 1 - position : position
                for b in 0..<batch { ordered[position * batch + b] = timestepMask.scalars[b * steps + s] }
            }
            stepMask = ordered
        }

        // Inputs in processing order, time-major, through the input mask.
        var xs = [Float](repeating: 0, count: steps * batch * features)
        input.scalars.withUnsafeBufferPointer { x in
            xs.withUnsafeMutableBufferPointer { xs in
                for position in 0..<steps {
                    let s = goBackwards ? steps - 1 - position : position
                    for b in 0..<batch {
                        let from = (b * steps + s) * features, to = (position * batch + b) * features
                        for f in 0..<features { xs[to + f] = x[from + f] * (inputMask?[b * features + f] ?? 1) }
                    }
                }
            }
        }
        let width = cell.projectionSize, stateCount = batch * cell.stateSize, recordCount = batch * cell.recordSize
        // Written before they are read (projections by projectInputs, each
        // step's state and record by that step), so not zeroed first.
        var projections = [Float].uninitialized(steps * batch * width)
        // states[t] is the state before processed step t; states[steps] the last.
        var states = [Float].uninitialized((steps + 1) * stateCount)
        // A stateful layer starts from the state the previous batch left (Keras's state variables).
        if let initial = context.initialState, initial.count == stateCount {
            // A graph's initial_state tensors (gradients flow back into them).
            for i in 0..<stateCount { states[i] = initial[i] }
        } else if stateful, let carried = context.carriedState, carried.count == stateCount {
            for i in 0..<stateCount { states[i] = carried[i] }
        } else {
            states.withUnsafeMutableBufferPointer { $0.baseAddress?.update(repeating: 0, count: stateCount) }
        }
        var records = [Float].uninitialized(max(steps * recordCount, 1))
        var scratch = [Float](repeating: 0, count: max(batch * cell.scratchSize, 1))
        xs.withUnsafeBufferPointer { x in
            projections.withUnsafeMutableBufferPointer { p in
                states.withUnsafeMutableBufferPointer { h in
                    records.withUnsafeMutableBufferPointer { r in
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            guard let x = x.baseAddress, let p = p.baseAddress, let h = h.baseAddress,
                                  let r = r.baseAddress, let scratch = scratch.baseAddress else { return }
                            cell.projectInputs(x, rows: steps * batch, into: p)
                            recurrentMask.withUnsafeBufferPointer { m in
                                for position in 0..<steps {
                                    let state = h + (position + 1) * stateCount
                                    state.update(from: h + position * stateCount, count: stateCount)
                                    cell.step(
                                        projection: p + position * batch * width, state: state, scratch: scratch, batch: batch,
                                        recurrentMask: m?.baseAddress, record: r + position * recordCount)
                                    // A masked sample keeps its state: the step did not happen for it.
                                    if let stepMask {
                                        for b in 0..<batch where stepMask[position * batch + b] == 0 {
                                            restoreSample(b, batch: batch, in: state, from: h + position * stateCount)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var output: [Float]
        if let stepMask {
            output = maskedOutputs(states: states, stepMask: stepMask, batch: batch, steps: steps)
        } else if returnSequences {
            output = [Float](repeating: 0, count: batch * steps * units)
            for position in 0..<steps {
                let state = (position + 1) * stateCount
                for b in 0..<batch {
                    let from = state + b * units, to = (b * steps + position) * units
                    for j in 0..<units { output[to + j] = states[from + j] }
                }
            }
        } else {
            let last = steps * stateCount
            output = Array(states[last..<last + batch * units])
        }
        let shape = returnSequences ? [batch, steps, units] : [batch, units]
        // The state for the next batch; no gradient flows back into it (Keras: a non-trainable variable).
        if stateful { context.carriedState = Array(states[steps * stateCount..<(steps + 1) * stateCount]) }
        let cache = RecurrentTrainingCache(
            batch: batch, steps: steps, inputs: xs, states: states, records: records,
            inputMask: inputMask, recurrentMask: recurrentMask, stepMask: stepMask)
        return (Tensor(uncheckedShape: shape, scalars: output), cache)
    }

    /// The outputs under a mask, as the forward pass emits them: `h` at kept
    /// steps; at masked ones the last output again (zeros before any), or
    /// zeros with `zeroOutputForMask`.
    private func maskedOutputs(states: [Float], stepMask: [Float], batch: Int, steps: Int) -> [Float] {
        let units = cell.units, stateCount = batch * cell.stateSize
        var emitted = [Float](repeating: 0, count: batch * units)
        var output = [Float](repeating: 0, count: batch * units * (returnSequences ? steps : 1))
        for position in 0..<steps {
            for b in 0..<batch {
                if stepMask[position * batch + b] != 0 {
                    let from = (position + 1) * stateCount + b * units
                    for j in 0..<units { emitted[b * units + j] = states[from + j] }
                } else if zeroOutputForMask {
                    for j in 0..<units { emitted[b * units + j] = 0 }
                }
                if returnSequences {
                    let to = (b * steps + position) * units
                    for j in 0..<units { output[to + j] = emitted[b * units + j] }
                }
            }
        }
        if !returnSequences { output = emitted }
        return output
    }

    /// Backpropagation through time, last processed step first: the cell's
    /// backward step turns dL/d(state after) into dL/d(state before), the
    /// step's projection gradient dP_t and its share of dU. The input side
    /// is then one product each over all steps: dW = Xᵀ·dP, b_in's gradient
    /// Σ dP, dX = dP·Wᵀ.
    public func backward(_ outputGradient: Tensor, cache: RecurrentTrainingCache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        let result = try backward(outputGradient, finalStateGradient: nil, cache: cache)
        return (result.inputGradient, result.parameterGradients)
    }

    /// The backward pass with dL/d(final state) added at the last step (a
    /// graph's `return_state` outputs), giving also dL/d(initial state).
    func backward(
        _ outputGradient: Tensor, finalStateGradient: [Float]?, cache: RecurrentTrainingCache
    ) throws -> (inputGradient: Tensor, parameterGradients: [Tensor], initialStateGradient: [Float]) {
        let batch = cache.batch, steps = cache.steps, features = cell.inputSize, units = cell.units
        guard outputGradient.count == batch * units * (returnSequences ? steps : 1) else {
            throw RuntimeError.missingCache(name)
        }
        let width = cell.projectionSize, stateCount = batch * cell.stateSize, recordCount = batch * cell.recordSize
        var dP = [Float].uninitialized(steps * batch * width)  // each step writes its own
        var dState = finalStateGradient ?? [Float](repeating: 0, count: stateCount)
        guard dState.count == stateCount else { throw RuntimeError.missingCache(name) }
        var dU = [Float](repeating: 0, count: cell.recurrentKernel.count)
        var db = [Float](repeating: 0, count: cell.bias?.count ?? 0)
        var scratch = [Float](repeating: 0, count: max(batch * cell.scratchSize, 1))
        let hasBias = cell.bias != nil
        dP.withUnsafeMutableBufferPointer { dP in
            dState.withUnsafeMutableBufferPointer { dh in
                dU.withUnsafeMutableBufferPointer { dU in
                    db.withUnsafeMutableBufferPointer { db in
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            cache.states.withUnsafeBufferPointer { h in
                                cache.records.withUnsafeBufferPointer { r in
                                    outputGradient.scalars.withUnsafeBufferPointer { dy in
                                        cache.recurrentMask.withUnsafeBufferPointer { m in
                                            guard let dP = dP.baseAddress, let dh = dh.baseAddress, let dU = dU.baseAddress,
                                                  let scratch = scratch.baseAddress, let h = h.baseAddress,
                                                  let r = r.baseAddress, let dy = dy.baseAddress else { return }
                                            if let stepMask = cache.stepMask {
                                                maskedBackward(
                                                    cache: cache, stepMask: stepMask, dy: dy, dh: dh, dP: dP, dU: dU,
                                                    db: hasBias ? db.baseAddress : nil, h: h, r: r, m: m?.baseAddress, scratch: scratch)
                                                return
                                            }
                                            for position in stride(from: steps - 1, through: 0, by: -1) {
                                                if returnSequences {
                                                    for b in 0..<batch {
                                                        let from = dy + (b * steps + position) * units, to = dh + b * units
                                                        for j in 0..<units { to[j] += from[j] }
                                                    }
                                                } else if position == steps - 1 {
                                                    for i in 0..<batch * units { dh[i] += dy[i] }
                                                }
                                                cell.backwardStep(
                                                    record: r + position * recordCount, previousState: h + position * stateCount,
                                                    state: h + (position + 1) * stateCount, recurrentMask: m?.baseAddress,
                                                    stateGradient: dh, projectionGradient: dP + position * batch * width,
                                                    recurrentKernelGradient: dU, biasGradient: hasBias ? db.baseAddress : nil,
                                                    scratch: scratch, batch: batch)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var dW = [Float](repeating: 0, count: features * width)
        var dXs = [Float](repeating: 0, count: steps * batch * features)
        dP.withUnsafeBufferPointer { g in
            cache.inputs.withUnsafeBufferPointer { x in
                cell.kernel.scalars.withUnsafeBufferPointer { w in
                    guard let g = g.baseAddress, let x = x.baseAddress, let w = w.baseAddress else { return }
                    let rows = steps * batch
                    dW.withUnsafeMutableBufferPointer { dW in
                        LinearAlgebra.gemm(transposeA: true, transposeB: false, m: features, n: width, k: rows,
                                           a: x, lda: features, b: g, ldb: width, c: dW.baseAddress!, ldc: width, accumulate: false)
                    }
                    if hasBias {
                        db.withUnsafeMutableBufferPointer { db in
                            LinearAlgebra.addColumnSums(of: g, rows: rows, cols: width, into: db.baseAddress!)
                        }
                    }
                    dXs.withUnsafeMutableBufferPointer { dX in
                        LinearAlgebra.gemm(transposeA: false, transposeB: true, m: rows, n: features, k: width,
                                           a: g, lda: width, b: w, ldb: width, c: dX.baseAddress!, ldc: features, accumulate: false)
                    }
                }
            }
        }
        // Back to (batch, steps, features) in the input's own step order, through the input mask.
        var dx = [Float](repeating: 0, count: batch * steps * features)
        for position in 0..<steps {
            let s = goBackwards ? steps - 1 - position : position
            for b in 0..<batch {
                let from = (position * batch + b) * features, to = (b * steps + s) * features
                for f in 0..<features { dx[to + f] = dXs[from + f] * (cache.inputMask?[b * features + f] ?? 1) }
            }
        }
        var gradients = [Tensor(uncheckedShape: cell.kernel.shape, scalars: dW),
                         Tensor(uncheckedShape: cell.recurrentKernel.shape, scalars: dU)]
        if let bias = cell.bias { gradients.append(Tensor(uncheckedShape: bias.shape, scalars: db)) }
        return (Tensor(uncheckedShape: [batch, steps, features], scalars: dx), gradients, dState)
    }
}

extension RNN {
    /// Backpropagation through time under a mask. The output gradient goes
    /// where each output came from: a kept step's `h`, or for a masked step
    /// the last output emitted before it (none for zeros). A masked step
    /// passes the state gradient through unchanged and adds nothing to the
    /// weights: the cell's backward step, linear in its incoming gradient,
    /// runs on zeros for those samples.
    fileprivate func maskedBackward(
        cache: RecurrentTrainingCache, stepMask: [Float], dy: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>,
        dP: UnsafeMutablePointer<Float>, dU: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
        h: UnsafePointer<Float>, r: UnsafePointer<Float>, m: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>
    ) {
        let batch = cache.batch, steps = cache.steps, units = cell.units
        let width = cell.projectionSize, stateCount = batch * cell.stateSize, recordCount = batch * cell.recordSize
        let blocks = cell.stateSize / units
        // dL/d(the output emitted last up to here), per sample.
        var pending = [Float](repeating: 0, count: batch * units)
        var held = [Float](repeating: 0, count: stateCount)
        for position in stride(from: steps - 1, through: 0, by: -1) {
            if returnSequences {
                for b in 0..<batch {
                    for j in 0..<units { pending[b * units + j] += dy[(b * steps + position) * units + j] }
                }
            } else if position == steps - 1 {
                for i in 0..<batch * units { pending[i] += dy[i] }
            }
            for b in 0..<batch {
                if stepMask[position * batch + b] != 0 {
                    for j in 0..<units {
                        dh[b * units + j] += pending[b * units + j]
                        pending[b * units + j] = 0
                    }
                } else {
                    // Zeros were emitted here: nothing flows back. Else the
                    // output was the previous one's: its gradient waits for it.
                    if zeroOutputForMask { for j in 0..<units { pending[b * units + j] = 0 } }
                    for block in 0..<blocks {
                        let offset = block * batch * units + b * units
                        for j in 0..<units {
                            held[offset + j] = dh[offset + j]
                            dh[offset + j] = 0
                        }
                    }
                }
            }
            cell.backwardStep(
                record: r + position * recordCount, previousState: h + position * stateCount,
                state: h + (position + 1) * stateCount, recurrentMask: m,
                stateGradient: dh, projectionGradient: dP + position * batch * width,
                recurrentKernelGradient: dU, biasGradient: db, scratch: scratch, batch: batch)
            for b in 0..<batch where stepMask[position * batch + b] == 0 {
                for block in 0..<blocks {
                    let offset = block * batch * units + b * units
                    for j in 0..<units { dh[offset + j] = held[offset + j] }
                }
            }
        }
    }
}

/// What the backward pass needs from the forward pass, for any cell. Every
/// buffer is time-major, in the order the steps were processed, so each
/// step's rows are contiguous for the matrix products.
/// (Not nested in the generic `RNN`: a nested type's metadata is looked up
/// at run time on every cast, which showed in the tutorial's profile.)
public struct RecurrentTrainingCache {
    let batch: Int, steps: Int
    /// x_t after input dropout: (steps, batch, features).
    let inputs: [Float]
    /// The state before each step and after the last: (steps + 1, batch · stateSize).
    let states: [Float]
    /// What each step kept for its backward: (steps, batch · recordSize).
    let records: [Float]
    /// Dropout masks (one per sequence, as Keras draws them), nil when inactive.
    let inputMask: [Float]?
    let recurrentMask: [Float]?
    /// The timestep mask in processing order, (steps, batch), or nil.
    var stepMask: [Float]? = nil
}

extension Array where Element == Float {
    /// `count` floats left for the caller to write before reading.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's storage when there is an array, else nil: for masks that may be absent.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0) }
        case .none: return body(nil)
        }
    }
}
