extension RNN: TrainableLayer where Cell == SimpleRNNCell {
    /// The forward pass, keeping every step's z_t and h_t. In training,
    /// `dropout` masks the inputs and `recurrentDropout` the carried state,
    /// each with one mask per sequence reused at every step (Keras's
    /// `get_dropout_mask`), scaled by 1 / (1 - rate).
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: SimpleRNNTrainingCache) {
        guard input.rank == 3, input.shape[2] == cell.inputSize, input.shape[1] >= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "takes (batch, steps >= 1, \(cell.inputSize)), got \(Tensor.describe(input.shape))")
        }
        let batch = input.shape[0], steps = input.shape[1], features = cell.inputSize, units = cell.units
        func mask(_ rate: Float, _ count: Int) -> [Float]? {
            guard context.training, rate > 0 else { return nil }
            return (0..<count).map { _ in context.random.uniform() < 1 - rate ? 1 / (1 - rate) : 0 }
        }
        let inputMask = mask(cell.dropout, batch * features)
        let recurrentMask = mask(cell.recurrentDropout, batch * units)

        var xs = [Float](repeating: 0, count: steps * batch * features)
        var zs = [Float](repeating: 0, count: steps * batch * units)
        var hs = [Float](repeating: 0, count: steps * batch * units)
        var masked = recurrentMask == nil ? [] : [Float](repeating: 0, count: batch * units)
        let stepSize = batch * units
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
        // All input projections at once: Z = X·W + b, then step by step Z_t += h_{t-1}·U.
        cell.projectInputs(xs, rows: steps * batch, into: &zs)
        cell.recurrentKernel.scalars.withUnsafeBufferPointer { u in
            zs.withUnsafeMutableBufferPointer { z in
                hs.withUnsafeMutableBufferPointer { h in
                    masked.withUnsafeMutableBufferPointer { m in
                        guard let u = u.baseAddress, let z = z.baseAddress, let h = h.baseAddress else { return }
                        for position in 0..<steps {
                            let zt = z + position * stepSize, ht = h + position * stepSize
                            if position > 0 {
                                var previous = UnsafePointer(ht - stepSize)
                                if let recurrentMask, let m = m.baseAddress {
                                    for i in 0..<stepSize { m[i] = previous[i] * recurrentMask[i] }
                                    previous = UnsafePointer(m)
                                }
                                LinearAlgebra.matmul(previous, u, into: zt, rows: batch, inner: units, cols: units, accumulate: true)
                            }
                            ht.update(from: zt, count: stepSize)
                            cell.activation.apply(ht, count: stepSize, lastAxis: units)
                        }
                    }
                }
            }
        }
        var output: [Float]
        if returnSequences {
            output = [Float](repeating: 0, count: batch * steps * units)
            for position in 0..<steps {
                for b in 0..<batch {
                    let from = (position * batch + b) * units, to = (b * steps + position) * units
                    for j in 0..<units { output[to + j] = hs[from + j] }
                }
            }
        } else {
            output = Array(hs[(steps - 1) * stepSize..<steps * stepSize])
        }
        let shape = returnSequences ? [batch, steps, units] : [batch, units]
        let cache = SimpleRNNTrainingCache(batch: batch, steps: steps, inputs: xs, preActivations: zs, states: hs,
                          inputMask: inputMask, recurrentMask: recurrentMask)
        return (Tensor(uncheckedShape: shape, scalars: output), cache)
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        cell.updateParameters(update)
    }

    /// Backpropagation through time, last processed step first:
    /// dh_t = dy_t + dh_{t+1}·Uᵀ (through the recurrent mask), dz_t = dh_t ⊙ f'(z_t).
    /// Only that recursion is sequential; the weight gradients are then one
    /// product each over all steps: dW = Xᵀ·dZ, dU = H_{t-1}ᵀ·dZ_t, db = Σ dZ,
    /// and dX = dZ·Wᵀ.
    public func backward(_ outputGradient: Tensor, cache: SimpleRNNTrainingCache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        let batch = cache.batch, steps = cache.steps, features = cell.inputSize, units = cell.units
        guard outputGradient.count == batch * units * (returnSequences ? steps : 1) else {
            throw RuntimeError.missingCache(name)
        }
        let stepSize = batch * units
        var dZ = [Float](repeating: 0, count: steps * stepSize)
        var carried = [Float](repeating: 0, count: stepSize)  // dL/dh_t arriving from step t+1
        cell.recurrentKernel.scalars.withUnsafeBufferPointer { u in
            dZ.withUnsafeMutableBufferPointer { dZ in
                carried.withUnsafeMutableBufferPointer { carried in
                    cache.preActivations.withUnsafeBufferPointer { z in
                        cache.states.withUnsafeBufferPointer { h in
                            outputGradient.scalars.withUnsafeBufferPointer { dy in
                                guard let u = u.baseAddress, let dZ = dZ.baseAddress, let carried = carried.baseAddress,
                                      let z = z.baseAddress, let h = h.baseAddress, let dy = dy.baseAddress else { return }
                                for position in stride(from: steps - 1, through: 0, by: -1) {
                                    let dz = dZ + position * stepSize
                                    dz.update(from: carried, count: stepSize)
                                    if returnSequences {
                                        for b in 0..<batch {
                                            let from = dy + (b * steps + position) * units, to = dz + b * units
                                            for j in 0..<units { to[j] += from[j] }
                                        }
                                    } else if position == steps - 1 {
                                        for i in 0..<stepSize { dz[i] += dy[i] }
                                    }
                                    cell.activation.backpropagate(
                                        preActivation: z + position * stepSize, output: h + position * stepSize,
                                        gradient: dz, count: stepSize, lastAxis: units)
                                    guard position > 0 else { break }
                                    // carried = (dz·Uᵀ) ⊙ recurrent mask
                                    LinearAlgebra.gemm(
                                        transposeA: false, transposeB: true, m: batch, n: units, k: units,
                                        a: dz, lda: units, b: u, ldb: units, c: carried, ldc: units, accumulate: false)
                                    if let mask = cache.recurrentMask {
                                        for i in 0..<stepSize { carried[i] *= mask[i] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var dW = [Float](repeating: 0, count: features * units)
        var dU = [Float](repeating: 0, count: units * units)
        var db = [Float](repeating: 0, count: units)
        var dXs = [Float](repeating: 0, count: steps * batch * features)
        // The state each step saw: h_{t-1} (masked as the forward pass used it), for t ≥ 1.
        // Its first (steps - 1) steps are read; without a mask those are the states themselves.
        var previousStates = cache.states
        if let mask = cache.recurrentMask {
            for i in 0..<(steps - 1) * stepSize { previousStates[i] *= mask[i % stepSize] }
        }
        dZ.withUnsafeBufferPointer { g in
            cache.inputs.withUnsafeBufferPointer { x in
                previousStates.withUnsafeBufferPointer { hPrevious in
                    cell.kernel.scalars.withUnsafeBufferPointer { w in
                        guard let g = g.baseAddress, let x = x.baseAddress, let w = w.baseAddress else { return }
                        let rows = steps * batch
                        dW.withUnsafeMutableBufferPointer { dW in
                            LinearAlgebra.gemm(transposeA: true, transposeB: false, m: features, n: units, k: rows,
                                               a: x, lda: features, b: g, ldb: units, c: dW.baseAddress!, ldc: units, accumulate: false)
                        }
                        if steps > 1, let hPrevious = hPrevious.baseAddress {
                            dU.withUnsafeMutableBufferPointer { dU in
                                LinearAlgebra.gemm(transposeA: true, transposeB: false, m: units, n: units, k: rows - batch,
                                                   a: hPrevious, lda: units, b: g + stepSize, ldb: units,
                                                   c: dU.baseAddress!, ldc: units, accumulate: false)
                            }
                        }
                        db.withUnsafeMutableBufferPointer { db in
                            LinearAlgebra.addColumnSums(of: g, rows: rows, cols: units, into: db.baseAddress!)
                        }
                        dXs.withUnsafeMutableBufferPointer { dX in
                            LinearAlgebra.gemm(transposeA: false, transposeB: true, m: rows, n: features, k: units,
                                               a: g, lda: units, b: w, ldb: units, c: dX.baseAddress!, ldc: features, accumulate: false)
                        }
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
        var gradients = [Tensor(uncheckedShape: [features, units], scalars: dW), Tensor(uncheckedShape: [units, units], scalars: dU)]
        if cell.useBias { gradients.append(Tensor(uncheckedShape: [units], scalars: db)) }
        return (Tensor(uncheckedShape: [batch, steps, features], scalars: dx), gradients)
    }
}

extension SimpleRNNCell {
    /// `projections = inputs·W + b` for `rows` rows, on arrays.
    func projectInputs(_ inputs: [Float], rows: Int, into projections: inout [Float]) {
        inputs.withUnsafeBufferPointer { x in
            projections.withUnsafeMutableBufferPointer { z in
                if let x = x.baseAddress, let z = z.baseAddress { projectInputs(x, rows: rows, into: z) }
            }
        }
    }
}

/// What the backward pass needs from the forward pass. Every buffer is
/// time-major, `(steps, batch, ·)`, in the order the steps were
/// processed, so each step's rows are contiguous for the matrix products.
/// (Not nested in the generic `RNN`: a nested type's metadata is looked up
/// at run time on every cast, which showed in the tutorial's profile.)
public struct SimpleRNNTrainingCache {
    let batch: Int, steps: Int
    /// x_t after input dropout: (steps, batch, features).
    let inputs: [Float]
    /// z_t = x_t·W + b + h_{t-1}·U and h_t = f(z_t): (steps, batch, units).
    let preActivations: [Float]
    let states: [Float]
    /// Dropout masks (one per sequence, as Keras draws them), nil when inactive.
    let inputMask: [Float]?
    let recurrentMask: [Float]?
}
