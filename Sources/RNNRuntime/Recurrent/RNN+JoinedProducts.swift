/// The inference loop for large batches of cells whose pre-activations are
/// one sum, `x_t·W + b_in + h_{t-1}·U` (`RecurrentCell.preActivationsAreOneProduct`).
///
/// When a batch's projections are made step by step (`projectsEachStep`),
/// the per-step path costs two GEMMs of depth `inputSize` and `units`, a
/// pass that zeroes the first one's output, and a pass that adds the bias.
/// Here each step is one GEMM of depth `inputSize + units`:
///
///     z = [x_t, h_{t-1}] · [W; U]   accumulated onto rows of b_in
///
/// which reads and writes z once, packs one left-hand matrix instead of two,
/// and gives the GEMM kernel a deeper product to amortise its packing over.
/// The sums are the same; only the order floating-point adds them in differs.
extension RNN {
    /// Steps whose `[x_t, ·]` rows are laid down together: each sample's
    /// inputs for them are one contiguous run read in one pass, not one row
    /// per sample a whole sequence apart. An input larger than the cache
    /// still misses on those reads (about 9% of the benchmark model's time
    /// at batch 256, before and after this chunking alike).
    static var joinedChunkSteps: Int { 8 }

    /// Floats the joined loop needs past the rest of `forward`'s workspace:
    /// the `[x_t, h_{t-1}]` rows of a chunk of steps and the stacked `[W; U]`.
    func joinedProductsWorkspace(batch: Int) -> Int {
        guard cell.preActivationsAreOneProduct else { return 0 }
        let depth = cell.inputSize + cell.units
        return Self.joinedChunkSteps * batch * depth + depth * cell.projectionSize
    }

    /// Runs every step; the state in `state` is the initial one on entry and
    /// the final one on exit. `workspace` holds `joinedProductsWorkspace(batch:)`
    /// floats, and `projection` and `scratch` the per-step path's.
    func forwardJoiningProducts(
        _ x: UnsafePointer<Float>, batch: Int, steps: Int, projection: UnsafeMutablePointer<Float>,
        state: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let features = cell.inputSize, units = cell.units, width = cell.projectionSize
        let depth = features + units, chunk = Self.joinedChunkSteps
        let joined = workspace, stacked = workspace + chunk * batch * depth
        // [W; U]: the kernel's rows, then the recurrent kernel's.
        cell.kernel.scalars.withUnsafeBufferPointer { stacked.update(from: $0.baseAddress!, count: features * width) }
        cell.recurrentKernel.scalars.withUnsafeBufferPointer {
            (stacked + features * width).update(from: $0.baseAddress!, count: units * width)
        }
        let bias = cell.bias
        var first = 0
        while first < steps {
            let count = min(chunk, steps - first)
            // x_t of the chunk's steps, in processing order: rows (i, b).
            for b in 0..<batch {
                for i in 0..<count {
                    let position = first + i, s = goBackwards ? steps - 1 - position : position
                    LinearAlgebra.copy(x + (b * steps + s) * features, to: joined + (i * batch + b) * depth, count: features)
                }
            }
            for i in 0..<count {
                let rows = joined + i * batch * depth
                for b in 0..<batch {
                    LinearAlgebra.copy(state + b * units, to: rows + b * depth + features, count: units)
                }
                if let bias {
                    bias.scalars.withUnsafeBufferPointer { b in
                        LinearAlgebra.fillRows(with: b.baseAddress!, projection, rows: batch, cols: width)
                    }
                }
                LinearAlgebra.gemm(
                    transposeA: false, transposeB: false, m: batch, n: width, k: depth,
                    a: rows, lda: depth, b: stacked, ldb: width, c: projection, ldc: width, accumulate: bias != nil)
                cell.stepFromPreActivations(projection, state: state, scratch: scratch, batch: batch)
                if returnSequences {
                    let position = first + i
                    for b in 0..<batch {
                        LinearAlgebra.copy(state + b * units, to: out + (b * steps + position) * units, count: units)
                    }
                }
            }
            first += count
        }
    }
}
