/// Keras's `Embedding`: each integer id of a `(batch, steps)` input picks a
/// row of `embeddings (inputDim, outputDim)`, giving `(batch, steps, outputDim)`.
/// With `maskZero`, id 0 is padding: it still looks up row 0, and the
/// layers after it see those steps masked.
///
/// Ids travel as `Float`, exact for whole numbers up to 2^24, so `inputDim`
/// is at most 2^24 (16,777,216). `checkIDs` says which id is out of range
/// before anything runs; the forward pass itself reads only valid rows.
public struct Embedding: Layer, WeightHolding {
    public var name: String
    public let inputDim: Int
    public let outputDim: Int
    public let maskZero: Bool
    /// Keras 3 reads a negative id `-k` as `inputDim - k` (NumPy style);
    /// tf.keras refuses it.
    public let wrapsNegativeIDs: Bool
    /// Keras 3's sparse table gradient in training (see
    /// `parameterGradientSquares`); tf.keras's is dense.
    public let sparseGradients: Bool
    public var weights: WeightList

    /// The largest `inputDim`: every id below it is exact as a `Float`.
    public static let maximumInputDim = 1 << 24

    public var embeddings: Tensor { weights[0] }

    public init(
        name: String = "embedding", inputDim: Int, outputDim: Int, maskZero: Bool = false, wrapsNegativeIDs: Bool = true,
        sparseGradients: Bool = true
    ) {
        self.sparseGradients = sparseGradients
        self.name = name
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        self.wrapsNegativeIDs = wrapsNegativeIDs
        self.weights = WeightList([Weight("embeddings", shape: [inputDim, outputDim], initializer: .uniform(limit: 0.05))])
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "Embedding takes (batch, steps) integer ids, got \(Tensor.describe([nil] + shape))")
        }
        return shape + [outputDim]
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    /// The row an id picks, or nil when the id is not a whole number in range.
    @inline(__always)
    func row(for id: Float) -> Int? {
        guard id == id.rounded(.towardZero), abs(id) < Float(Self.maximumInputDim) * 2 else { return nil }
        var index = Int(id)
        if index < 0, wrapsNegativeIDs { index += inputDim }
        return index >= 0 && index < inputDim ? index : nil
    }

    /// Throws, naming the sample and position, unless every id of the
    /// `(batch, steps)` input is a whole number in `[0, inputDim)` (or, where
    /// negative ids wrap, `[-inputDim, inputDim)`).
    public func checkIDs(_ ids: UnsafeBufferPointer<Float>, steps: Int) throws {
        guard steps > 0 else { return }
        for (position, id) in ids.enumerated() where row(for: id) == nil {
            let range = wrapsNegativeIDs ? "[-\(inputDim), \(inputDim))" : "[0, \(inputDim))"
            let what = id == id.rounded(.towardZero) ? "id \(Int(exactly: id).map(String.init) ?? "\(id)")" : "\(id), not a whole number,"
            throw RuntimeError.invalidInput(
                "sample \(position / steps), position \(position % steps): \(what) is outside \(range), "
                    + "the ids layer '\(name)' (input_dim=\(inputDim)) takes")
        }
    }

    public func checkInput(_ input: UnsafeBufferPointer<Float>, sampleShape: [Int]) throws {
        try checkIDs(input, steps: sampleShape.first ?? 1)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        _ = try outputShape(forInputShape: input.shape.dropFirst().map { $0 })
        try input.scalars.withUnsafeBufferPointer { try checkIDs($0, steps: input.shape[1]) }
        return try forwardThroughPointer(input)
    }

    /// Ids that are not valid rows (which `checkIDs` refuses first) give zeros.
    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let count = batch * sampleShape[0], width = outputDim
        embeddings.scalars.withUnsafeBufferPointer { table in
            for position in 0..<count {
                let y = output + position * width
                if let row = row(for: input[position]) {
                    y.update(from: table.baseAddress! + row * width, count: width)
                } else {
                    y.initialize(repeating: 0, count: width)
                }
            }
        }
    }

    public var createsMask: Bool { maskZero }

    public func writeMask(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], into mask: UnsafeMutablePointer<Float>
    ) {
        for position in 0..<batch * sampleShape[0] { mask[position] = input[position] != 0 ? 1 : 0 }
    }
}
