extension Bidirectional: TrainableLayer {
    /// Both directions' backward passes and what the merge needs.
    public struct TrainingCache {
        let forwardPullback: Pullback
        let backwardPullback: Pullback
        /// The two outputs before merging (for `mul`), the backward one in its processing order.
        let forwardOutput: Tensor
        let backwardOutput: Tensor
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: TrainingCache) {
        guard let forwardTrainable = forwardLayer as? any TrainableLayer, let backwardTrainable = backwardLayer as? any TrainableLayer else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "its layers cannot be trained")
        }
        if isStateful {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "training a stateful Bidirectional layer is not supported")
        }
        let (f, fPullback) = try forwardTrainable.forwardWithPullback(input, context: &context)
        let (r, rPullback) = try backwardTrainable.forwardWithPullback(input, context: &context)
        let batch = input.shape[0], rows = returnSequences ? input.shape[1] : 1, width = units
        var output = [Float](repeating: 0, count: batch * rows * width)
        f.scalars.withUnsafeBufferPointer { fp in
            r.scalars.withUnsafeBufferPointer { rp in
                output.withUnsafeMutableBufferPointer { y in
                    merge(fp.baseAddress!, rp.baseAddress!, into: y.baseAddress!, batch: batch, rows: rows)
                }
            }
        }
        let shape = returnSequences ? [batch, rows, width] : [batch, width]
        return (Tensor(uncheckedShape: shape, scalars: output),
                TrainingCache(forwardPullback: fPullback, backwardPullback: rPullback, forwardOutput: f, backwardOutput: r))
    }

    /// The merged gradient split back into each direction's (the backward
    /// one flipped to its processing order), through both layers; the input
    /// gradients add up.
    public func backward(_ outputGradient: Tensor, cache: TrainingCache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        let f = cache.forwardOutput, r = cache.backwardOutput
        let fUnits = forwardLayer.cell.units, rUnits = backwardLayer.cell.units, width = units
        let batch = f.shape[0], rows = returnSequences ? f.shape[1] : 1
        guard outputGradient.count == batch * rows * width else { throw RuntimeError.missingCache(name) }
        var df = [Float](repeating: 0, count: f.count), dr = [Float](repeating: 0, count: r.count)
        let g = outputGradient.scalars
        for b in 0..<batch {
            for row in 0..<rows {
                let fi = (b * rows + row) * fUnits, ri = (b * rows + (rows - 1 - row)) * rUnits, yi = (b * rows + row) * width
                for j in 0..<width {
                    switch mergeMode {
                    case .concat, .separate:
                        if j < fUnits { df[fi + j] = g[yi + j] } else { dr[ri + j - fUnits] = g[yi + j] }
                    case .sum:
                        df[fi + j] = g[yi + j]
                        dr[ri + j] = g[yi + j]
                    case .mul:
                        df[fi + j] = g[yi + j] * r.scalars[ri + j]
                        dr[ri + j] = g[yi + j] * f.scalars[fi + j]
                    case .ave:
                        df[fi + j] = g[yi + j] / 2
                        dr[ri + j] = g[yi + j] / 2
                    }
                }
            }
        }
        let (fx, fGradients) = try cache.forwardPullback(Tensor(uncheckedShape: f.shape, scalars: df))
        let (rx, rGradients) = try cache.backwardPullback(Tensor(uncheckedShape: r.shape, scalars: dr))
        let dx = zip(fx.scalars, rx.scalars).map { $0 + $1 }
        return (Tensor(uncheckedShape: fx.shape, scalars: dx), fGradients + rGradients)
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        guard var f = forwardLayer as? any TrainableLayer, var r = backwardLayer as? any TrainableLayer else { return }
        let split = forwardLayer.parameterSpecs.count
        f.updateParameters(update)
        r.updateParameters { index, values in update(split + index, &values) }
        if let f = f as? any RecurrentLayer { forwardLayer = f }
        if let r = r as? any RecurrentLayer { backwardLayer = r }
    }

    public var drawsRandomNumbers: Bool {
        ((forwardLayer as? any TrainableLayer)?.drawsRandomNumbers ?? false)
            || ((backwardLayer as? any TrainableLayer)?.drawsRandomNumbers ?? false)
    }
}
