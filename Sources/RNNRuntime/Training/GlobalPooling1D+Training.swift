extension GlobalPooling1D: TrainableLayer {
    public struct Cache {
        let inputShape: [Int]
        /// Max: for each output, the input it came from.
        let chosen: [Int]
        /// Average under a mask: `(batch, steps)` of 1 kept and 0 masked.
        let mask: [Float]?
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let sample = Array(input.shape.dropFirst())
        let outputSample = try outputShape(forInputShape: sample.map { Optional($0) }).map { $0 ?? 1 }
        let batch = input.shape[0]
        let mask = mode == .average ? context.mask?.scalars : nil
        var y = [Float](repeating: 0, count: batch * outputSample.reduce(1, *))
        var chosen = [Int](repeating: 0, count: mode == .max ? y.count : 0)
        input.scalars.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                if let mask {
                    mask.withUnsafeBufferPointer { m in
                        pool(x.baseAddress!, batch: batch, sampleShape: sample, mask: m.baseAddress!, into: y.baseAddress!) { _, _ in }
                    }
                } else {
                    pool(x.baseAddress!, batch: batch, sampleShape: sample, mask: nil, into: y.baseAddress!) { chosen[$0] = $1 }
                }
            }
        }
        return (Tensor(uncheckedShape: [batch] + outputSample, scalars: y),
                Cache(inputShape: input.shape, chosen: chosen, mask: mask))
    }

    /// Max: each output's gradient to the step it came from. Average: shared
    /// equally by the steps averaged (the kept ones under a mask).
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        var dx = [Float](repeating: 0, count: cache.inputShape.reduce(1, *))
        let dy = outputGradient.scalars
        let batch = cache.inputShape[0]
        let (steps, channels) = dataFormat.stepsAndChannels(Array(cache.inputShape.dropFirst()))
        guard dy.count == batch * channels else { throw RuntimeError.missingCache(name) }
        switch mode {
        case .max:
            for (o, i) in cache.chosen.enumerated() { dx[i] += dy[o] }
        case .average:
            let stride = dataFormat.strides(steps: steps, channels: channels)
            for sample in 0..<batch {
                let kept: (Int) -> Bool = { step in cache.mask.map { $0[sample * steps + step] != 0 } ?? true }
                let count = Float((0..<steps).filter(kept).count)
                for c in 0..<channels {
                    let g = dy[sample * channels + c] / count
                    let i0 = sample * steps * channels + c * stride.channel
                    for step in 0..<steps where kept(step) { dx[i0 + step * stride.step] = g }
                }
            }
        }
        return (Tensor(uncheckedShape: cache.inputShape, scalars: dx), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}
