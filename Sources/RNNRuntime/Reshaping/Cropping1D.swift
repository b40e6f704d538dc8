/// Keras's `Cropping1D(cropping=(start, end))`: drops `start` steps at the
/// beginning and `end` at the end of `(batch, steps, features)`.
public struct Cropping1D: RearrangingLayer {
    public var name: String
    public let start: Int
    public let end: Int

    public init(name: String = "cropping1d", start: Int = 1, end: Int = 1) {
        self.name = name
        self.start = max(start, 0)
        self.end = max(end, 0)
    }

    /// Keras refuses a cropping that leaves no step; with variable steps
    /// that is checked on each batch's real length.
    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw refusal("Cropping1D takes (batch, steps, features), got \(Tensor.describe([nil] + shape))")
        }
        guard let steps = shape[0] else { return [nil, shape[1]] }
        guard steps > start, steps - start > end else {
            throw refusal("cropping (\(start), \(end)) leaves no step of a \(steps)-step input")
        }
        return [steps - start - end, shape[1]]
    }

    public func outputCount(sampleShape: [Int]) -> Int { (sampleShape[0] - start - end) * sampleShape[1] }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        let features = sampleShape[1]
        move(start * features, 0, (sampleShape[0] - start - end) * features)
    }
}
