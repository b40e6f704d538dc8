/// Keras's `RepeatVector(n)`: a vector per sample, `(batch, features)`,
/// repeated as `n` steps, `(batch, n, features)`: how a Sequential
/// encoder-decoder feeds an encoder's last output to a decoder at every step.
public struct RepeatVector: RearrangingLayer {
    public var name: String
    /// How many steps the output has, at least 1.
    public let n: Int

    public init(name: String = "repeat_vector", n: Int) {
        self.name = name
        self.n = max(n, 1)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 1 else {
            throw refusal("RepeatVector takes (batch, features), got \(Tensor.describe([nil] + shape))")
        }
        if let features = shape[0], features.multipliedReportingOverflow(by: n).overflow {
            throw refusal("n=\(n) repeats of \(features) features are too many values")
        }
        return [n, shape[0]]
    }

    public func outputCount(sampleShape: [Int]) -> Int { n * sampleShape.reduce(1, *) }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        let features = sampleShape.reduce(1, *)
        for step in 0..<n { move(0, step * features, features) }
    }
}
