/// Keras's `Flatten`: each sample's values as one vector, `(batch, ...)`
/// to `(batch, product of the other axes)`.
///
/// With `channelsFirst` (Keras's `data_format="channels_first"`) Keras
/// first moves the sample's first axis (the channels) to the end, so the
/// vector holds each position's channels together: `(batch, c, s)` becomes
/// the values of `(batch, s, c)` in order.
public struct Flatten: RearrangingLayer {
    public var name: String
    public let channelsFirst: Bool

    public init(name: String = "flatten", channelsFirst: Bool = false) {
        self.name = name
        self.channelsFirst = channelsFirst
    }

    /// A sample without axes becomes one value, as Keras's `(batch,)` to
    /// `(batch, 1)`; an axis of unknown length (variable steps) leaves the
    /// vector's length unknown, as in Keras, so a layer that needs a fixed
    /// feature count after it refuses the model.
    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        var count = 1
        for length in shape {
            guard let length else { return [nil] }
            let (product, overflow) = count.multipliedReportingOverflow(by: length)
            guard !overflow else { throw refusal("\(Tensor.describe([nil] + shape)) has too many values to flatten") }
            count = product
        }
        return [count]
    }

    public func outputCount(sampleShape: [Int]) -> Int { sampleShape.reduce(1, *) }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        let count = sampleShape.reduce(1, *)
        guard channelsFirst, sampleShape.count >= 2, count > 0 else {
            move(0, 0, count)
            return
        }
        // (channels, positions) read as (positions, channels): a transpose.
        let channels = sampleShape[0], positions = count / channels
        for position in 0..<positions {
            for channel in 0..<channels {
                move(channel * positions + position, position * channels + channel, 1)
            }
        }
    }
}
