/// Keras's `ZeroPadding1D(padding=(start, end))`: `start` steps of zeros
/// before and `end` after each sequence, `(batch, steps, features)`; with
/// `channelsFirst` (Keras 3's `data_format="channels_first"`) the input is
/// `(batch, features, steps)` and its last axis is padded.
public struct ZeroPadding1D: RearrangingLayer {
    public var name: String
    public let start: Int
    public let end: Int
    public let channelsFirst: Bool

    public init(name: String = "zero_padding1d", start: Int = 1, end: Int = 1, channelsFirst: Bool = false) {
        self.name = name
        self.start = max(start, 0)
        self.end = max(end, 0)
        self.channelsFirst = channelsFirst
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            let layout = channelsFirst ? "(batch, features, steps)" : "(batch, steps, features)"
            throw refusal("ZeroPadding1D takes \(layout), got \(Tensor.describe([nil] + shape))")
        }
        let axis = channelsFirst ? 1 : 0
        var output = shape
        if let steps = shape[axis] {
            let (padded, overflow) = steps.addingReportingOverflow(start)
            let (total, overflow2) = padded.addingReportingOverflow(end)
            guard !overflow, !overflow2 else { throw refusal("padding (\(start), \(end)) is too long") }
            output[axis] = total
        }
        return output
    }

    public func outputCount(sampleShape: [Int]) -> Int {
        sampleShape.reduce(1, *) + (start + end) * (channelsFirst ? sampleShape[0] : sampleShape[1])
    }

    public var padsWithZeros: Bool { start + end > 0 }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        if channelsFirst {
            let channels = sampleShape[0], steps = sampleShape[1], padded = steps + start + end
            for channel in 0..<channels { move(channel * steps, channel * padded + start, steps) }
        } else {
            let features = sampleShape[1]
            move(0, start * features, sampleShape[0] * features)
        }
    }
}
