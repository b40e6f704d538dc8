/// Keras's `Permute(dims)`: reorders a sample's axes. `dims` counts axes
/// from 1 (the batch is axis 0 and stays): output axis `i` is input axis
/// `dims[i]`, so `Permute((2, 1))` turns `(batch, steps, features)` into
/// `(batch, features, steps)`.
public struct Permute: RearrangingLayer {
    public var name: String
    /// A permutation of `1...dims.count`.
    public let dims: [Int]

    /// - Throws: unless `dims` is a permutation of 1 through its length, as Keras refuses.
    public init(name: String = "permute", dims: [Int]) throws {
        self.name = name
        self.dims = dims
        guard !dims.isEmpty, dims.sorted() == Array(1...dims.count) else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "dims \(dims) must hold each of 1 through \(dims.count) once")
        }
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == dims.count else {
            throw refusal("dims \(dims) reorders \(dims.count) axes, but the input \(Tensor.describe([nil] + shape)) has \(shape.count) besides the batch")
        }
        return dims.map { shape[$0 - 1] }
    }

    public func outputCount(sampleShape: [Int]) -> Int { sampleShape.reduce(1, *) }

    public func forEachRun(sampleShape: [Int], _ move: (_ from: Int, _ to: Int, _ count: Int) -> Void) {
        let rank = sampleShape.count, count = sampleShape.reduce(1, *)
        guard count > 0 else { return }
        // When the last axis stays last, whole rows move together.
        let rowsStay = dims[rank - 1] == rank
        let axes = rowsStay ? rank - 1 : rank, run = rowsStay ? sampleShape[rank - 1] : 1
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(3 * rank, 1)) { buffer in
            let inputStride = buffer.baseAddress!, length = inputStride + rank, index = length + rank
            var stride = 1
            for axis in (0..<rank).reversed() {
                inputStride[axis] = stride
                stride *= sampleShape[axis]
            }
            // The output's axes in order: each one's length and its step through the input.
            for axis in 0..<axes {
                length[axis] = sampleShape[dims[axis] - 1]
                index[axis] = 0
            }
            var from = 0, to = 0
            for _ in 0..<count / run {
                move(from, to, run)
                to += run
                var axis = axes - 1
                while axis >= 0 {
                    let step = inputStride[dims[axis] - 1]
                    index[axis] += 1
                    from += step
                    if index[axis] < length[axis] { break }
                    from -= step * length[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
