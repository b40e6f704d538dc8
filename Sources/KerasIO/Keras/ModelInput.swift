import RNNRuntime

/// Shapes a user's input array for a model, naming the input file when it
/// does not fit.
///
/// From a `.npy`: `(batch,) + inputShape`, or `inputShape` alone for one
/// sample. From a CSV: one sample per row, each row the sample's elements
/// flattened (`steps · features` numbers); a variable-length model takes
/// any multiple of `features`.
public enum ModelInput {
    /// - Parameter input: which of the model's inputs the array is for.
    public static func batch(fromArray shape: [Int], values: [Float], for model: KerasModel, file: String, input: Int = 0) throws -> Tensor {
        let shapes = model.network.inputShapes
        guard shapes.indices.contains(input) else {
            throw KerasIOError(.inputMismatch, file: file, "the model has \(shapes.count) inputs, not \(input + 1)")
        }
        let expected = shapes[input]
        let batchShape: [Int]
        if shape.count == expected.count {
            batchShape = [1] + shape
        } else {
            batchShape = shape
        }
        do {
            try Sequential.checkShape(batchShape, against: expected)
            return try Tensor(shape: batchShape, scalars: values)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: file)
        }
    }

    public static func batch(
        fromRows rows: Int, columns: Int, values: [Float], for model: KerasModel, file: String, input: Int = 0
    ) throws -> Tensor {
        let shapes = model.network.inputShapes
        guard shapes.indices.contains(input) else {
            throw KerasIOError(.inputMismatch, file: file, "the model has \(shapes.count) inputs, not \(input + 1)")
        }
        let expected = shapes[input]
        let known = expected.compactMap { $0 }.reduce(1, *)
        var sampleShape: [Int]
        if expected.contains(where: { $0 == nil }) {
            // Only the steps axis may be open: infer it from the row length.
            guard expected.filter({ $0 == nil }).count == 1, columns % max(known, 1) == 0, columns > 0 else {
                throw KerasIOError(
                    .inputMismatch, file: file,
                    "each row has \(columns) numbers, but the model takes a multiple of \(known) "
                        + "(input \(Tensor.describe([nil] + expected)))")
            }
            sampleShape = expected.map { $0 ?? columns / max(known, 1) }
        } else {
            guard columns == known else {
                let layout = expected.count == 2
                    ? "\(expected[0] ?? 0) steps × \(expected[1] ?? 0) features = \(known)" : "\(known)"
                throw KerasIOError(
                    .inputMismatch, file: file, "each row has \(columns) numbers, but the model takes \(layout)")
            }
            sampleShape = expected.map { $0 ?? 0 }
        }
        return try batch(fromArray: [rows] + sampleShape, values: values, for: model, file: file, input: input)
    }
}
