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

    /// Keras 3 (TensorFlow backend) keeps the table's gradient as
    /// `IndexedSlices`, one slice per lookup, and its `ops.square` squares
    /// each slice before the slices of one id are summed
    /// (`backend/tensorflow/sparse.py`): Adam's, RMSprop's and Adagrad's
    /// second moments get Σ g² over the lookups, not (Σ g)². tf.keras sums
    /// duplicate ids first, so there the dense square is right.
    public func parameterGradientSquares(_ outputGradient: Tensor, cache rows: [Int]) -> [Tensor?]? {
        guard sparseGradients, outputGradient.count == rows.count * outputDim else { return nil }
        var squares = [Float](repeating: 0, count: inputDim * outputDim)
        outputGradient.scalars.withUnsafeBufferPointer { g in
            for (position, row) in rows.enumerated() {
                for j in 0..<outputDim {
                    let value = g[position * outputDim + j]
                    squares[row * outputDim + j] += value * value
                }
            }
        }
        return [Tensor(uncheckedShape: [inputDim, outputDim], scalars: squares)]
    }
}
