/// Keras's `UpSampling1D(size)`: each step repeated `size` times in place,
/// `(batch, steps, features)` to `(batch, steps · size, features)`.
public struct UpSampling1D: RearrangingLayer {
    public var name: String
    /// Copies of each step, at least 1.
    public let size: Int

    public init(name: String = "up_sampling1d", size: Int = 2) {
        self.name = name
        self.size = max(size, 1)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw refusal("UpSampling1D takes (batch, steps, features), got \(Tensor.describe([nil] + shape))")
        }
        guard let steps = shape[0] else { return [nil, shape[1]] }
        let (total, overflow) = steps.multipliedReportingOverflow(by: size)
        guard !overflow else { throw refusal("size=\(size) makes too many steps of a \(steps)-step input") }
        return [total, shape[1]]
    }

    public func outputCount(sampleShape: [Int]) -> Int { size * sampleShape.reduce(1, *) }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        let steps = sampleShape[0], features = sampleShape[1]
        for step in 0..<steps {
            for copy in 0..<size { move(step * features, (step * size + copy) * features, features) }
        }
    }
}
