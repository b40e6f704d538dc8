extension Pooling1D: TrainableLayer {
    public struct Cache {
        let inputShape: [Int]
        /// Max pooling: for each output, the input it came from.
        let chosen: [Int]
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let sample = Array(input.shape.dropFirst())
        let outputSample = try outputShape(forInputShape: sample.map { Optional($0) }).map { $0 ?? 1 }
        let batch = input.shape[0]
        var y = [Float](repeating: 0, count: batch * outputSample.reduce(1, *))
        var chosen = [Int](repeating: 0, count: mode == .max ? y.count : 0)
        input.scalars.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                pool(x.baseAddress!, batch: batch, sampleShape: sample, into: y.baseAddress!) { chosen[$0] = $1 }
            }
        }
        return (Tensor(uncheckedShape: [batch] + outputSample, scalars: y), Cache(inputShape: input.shape, chosen: chosen))
    }

    /// Max: each output's gradient goes to the input it came from. Average:
    /// shared equally by the window's real (unpadded) steps.
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        var dx = [Float](repeating: 0, count: cache.inputShape.reduce(1, *))
        let dy = outputGradient.scalars
        switch mode {
        case .max:
            guard dy.count == cache.chosen.count else { throw RuntimeError.missingCache(name) }
            for (o, i) in cache.chosen.enumerated() { dx[i] += dy[o] }
        case .average:
            let batch = cache.inputShape[0]
            let (steps, channels) = dataFormat.stepsAndChannels(Array(cache.inputShape.dropFirst()))
            let out = window.outputSteps(steps), left = window.leftPadding(steps)
            guard dy.count == batch * out * channels else { throw RuntimeError.missingCache(name) }
            let inStride = dataFormat.strides(steps: steps, channels: channels)
            let outStride = dataFormat.strides(steps: out, channels: channels)
            for sample in 0..<batch {
                for t in 0..<out {
                    let first = max(t * strides - left, 0), last = min(t * strides - left + poolSize, steps)
                    let share = 1 / Float(last - first)
                    for c in 0..<channels {
                        let g = dy[sample * out * channels + t * outStride.step + c * outStride.channel] * share
                        let i0 = sample * steps * channels + c * inStride.channel
                        for step in first..<last { dx[i0 + step * inStride.step] += g }
                    }
                }
            }
        }
        return (Tensor(uncheckedShape: cache.inputShape, scalars: dx), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}
