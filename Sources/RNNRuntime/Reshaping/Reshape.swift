/// Keras's `Reshape(target_shape)`: the same values in row-major order,
/// each sample shaped `targetShape`, where one axis may be -1: the length
/// that makes the count of values unchanged.
public struct Reshape: RearrangingLayer {
    public var name: String
    /// Per-sample axes, each at least 1, or -1 once.
    public let targetShape: [Int]

    /// - Throws: when an axis is below 1 (other than a single -1), as Keras refuses.
    public init(name: String = "reshape", targetShape: [Int]) throws {
        self.name = name
        self.targetShape = targetShape
        guard targetShape.allSatisfy({ $0 >= 1 || $0 == -1 }), targetShape.filter({ $0 == -1 }).count <= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "target_shape \(targetShape) must hold positive lengths and at most one -1")
        }
    }

    /// Where the input has an axis of unknown length, the -1 axis is
    /// unknown too (and a target without -1 is taken as it is, checked
    /// against each batch's real shape), as Keras's `compute_output_shape`.
    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        var known = 1
        for length in targetShape where length != -1 {
            let (product, overflow) = known.multipliedReportingOverflow(by: length)
            guard !overflow else { throw refusal("target_shape \(targetShape) has too many values") }
            known = product
        }
        guard shape.allSatisfy({ $0 != nil }) else { return targetShape.map { $0 == -1 ? nil : $0 } }
        var total = 1
        for length in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: length ?? 1)
            guard !overflow else { throw refusal("input \(Tensor.describe([nil] + shape)) has too many values") }
            total = product
        }
        let input = Tensor.describe([nil] + shape)
        guard targetShape.contains(-1) else {
            guard known == total else {
                throw refusal("cannot reshape input \(input) (\(total) values per sample) to target_shape \(targetShape) (\(known) values)")
            }
            return targetShape.map { $0 }
        }
        guard total % known == 0 else {
            throw refusal("cannot reshape input \(input) (\(total) values per sample) to target_shape \(targetShape): \(total) is not a multiple of \(known)")
        }
        return targetShape.map { $0 == -1 ? total / known : $0 }
    }

    public func outputCount(sampleShape: [Int]) -> Int { sampleShape.reduce(1, *) }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        move(0, 0, sampleShape.reduce(1, *))
    }
}
