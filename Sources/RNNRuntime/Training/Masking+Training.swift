extension Masking: TrainableLayer {
    /// Which steps were kept, `(batch · steps)` of 1 and 0: the output is the
    /// input there and zeros elsewhere, so the gradient passes only there.
    public typealias TrainingCache = [Float]

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: [Float]) {
        let output = try forward(input)
        let batch = input.shape[0], steps = input.shape[1]
        var kept = [Float](repeating: 0, count: batch * steps)
        input.scalars.withUnsafeBufferPointer { x in
            kept.withUnsafeMutableBufferPointer { m in
                writeMask(x.baseAddress!, batch: batch, sampleShape: Array(input.shape.dropFirst()), into: m.baseAddress!)
            }
        }
        return (output, kept)
    }

    public func backward(_ outputGradient: Tensor, cache kept: [Float]) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard !kept.isEmpty, outputGradient.count % kept.count == 0 else { throw RuntimeError.missingCache(name) }
        let perStep = outputGradient.count / kept.count
        var gradient = outputGradient.scalars
        for (row, keep) in kept.enumerated() where keep == 0 {
            for i in row * perStep..<(row + 1) * perStep { gradient[i] = 0 }
        }
        return (Tensor(uncheckedShape: outputGradient.shape, scalars: gradient), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}
