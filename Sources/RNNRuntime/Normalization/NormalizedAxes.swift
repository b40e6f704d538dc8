/// Where a normalization layer's axes lie in a sample: the sample seen as
/// `(before, length, after)`, `length` being the axes normalized over (a
/// LayerNormalization) or holding one statistic each (a BatchNormalization's
/// channels), which must be consecutive.
///
/// Keras counts axes with the batch as axis 0 and negative axes from the
/// end; a sample here has no batch axis, so Keras's axis `k > 0` is sample
/// axis `k - 1`.
public struct NormalizedAxes: Equatable, Sendable {
    /// Product of the sample's axes before the block.
    let before: Int
    /// Product of the block's axes (the weights' size).
    let length: Int
    /// Product of the sample's axes after the block.
    let after: Int

    /// The sample axes (0-based, sorted, without repeats) that Keras's `axes`
    /// name in an input of `sampleRank` axes after the batch, or why not:
    /// out of range, the batch axis, or not consecutive.
    public static func resolve(_ axes: [Int], sampleRank: Int) -> Result<[Int], AxesProblem> {
        let rank = sampleRank + 1
        var resolved: [Int] = []
        for axis in axes {
            guard axis >= -rank, axis < rank else { return .failure(.outOfRange(axis)) }
            let positive = axis < 0 ? axis + rank : axis
            guard positive != 0 else { return .failure(.batchAxis) }
            if !resolved.contains(positive - 1) { resolved.append(positive - 1) }
        }
        resolved.sort()
        guard let first = resolved.first else { return .failure(.none) }
        guard resolved.last! - first == resolved.count - 1 else { return .failure(.notConsecutive) }
        return .success(resolved)
    }

    /// The block of sample axes `first...last` in a sample shaped `sampleShape`.
    init(first: Int, last: Int, sampleShape: [Int]) {
        before = sampleShape[..<first].reduce(1, *)
        length = sampleShape[first...last].reduce(1, *)
        after = sampleShape[(last + 1)...].reduce(1, *)
    }

    /// Why a normalization's axes do not fit its input.
    public enum AxesProblem: Error, Equatable, CustomStringConvertible {
        case outOfRange(Int)
        case batchAxis
        case notConsecutive
        case none

        public var description: String {
            switch self {
            case .outOfRange(let axis): return "axis \(axis) is out of range"
            case .batchAxis: return "axis 0 is the batch axis"
            case .notConsecutive: return "the axes are not consecutive, which kerasio does not support"
            case .none: return "no axis is given"
            }
        }
    }
}
