extension Embedding: TrainableLayer {
    /// The rows each position looked up.
    public typealias TrainingCache = [Int]

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: [Int]) {
        let output = try forward(input)  // checks every id first
        return (output, input.scalars.map { row(for: $0) ?? 0 })
    }

    /// The embeddings' gradient adds each position's output gradient to the
    /// row it looked up (a sparse update, as Keras's gather gradient is,
    /// applied densely). Ids get no gradient: the input gradient is zeros.
    public func backward(_ outputGradient: Tensor, cache rows: [Int]) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == rows.count * outputDim else { throw RuntimeError.missingCache(name) }
        var gradient = [Float](repeating: 0, count: inputDim * outputDim)
        outputGradient.scalars.withUnsafeBufferPointer { g in
            for (position, row) in rows.enumerated() {
                for j in 0..<outputDim { gradient[row * outputDim + j] += g[position * outputDim + j] }
            }
        }
        let inputShape = Array(outputGradient.shape.dropLast())
        return (Tensor(zeros: inputShape), [Tensor(uncheckedShape: [inputDim, outputDim], scalars: gradient)])
    }
}
