import Foundation
import Testing
@testable import RNNRuntime

/// Keras's reshaping layers (Flatten, Reshape, Permute, RepeatVector,
/// Cropping1D, ZeroPadding1D, UpSampling1D): forward passes against float64
/// restatements of Keras's `call` written with plain index arithmetic (not
/// the layers' own run descriptions), and backward passes against float64
/// finite differences with `Float64GradientCheckTests`' step and tolerance.
@Suite("Reshaping layers' forward and gradients match float64 restatements of Keras")
struct ShapeLayerGradientTests {
    typealias Check = Float64GradientCheckTests

    /// Row-major offset of `index` in `shape`.
    static func offset(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// Every index of `shape` in row-major order.
    static func indices(_ shape: [Int]) -> [[Int]] {
        shape.reduce([[]]) { partial, length in partial.flatMap { prefix in (0..<length).map { prefix + [$0] } } }
    }

    /// `np.transpose(x, axes)` of a batch shaped `shape`.
    static func transpose(_ x: [Double], shape: [Int], axes: [Int]) -> [Double] {
        let outputShape = axes.map { shape[$0] }
        return indices(outputShape).map { index in
            var source = [Int](repeating: 0, count: shape.count)
            for (k, axis) in axes.enumerated() { source[axis] = index[k] }
            return x[offset(source, shape)]
        }
    }

    @Test("Flatten: channels_last keeps the order; channels_first moves axis 1 last first (ranks 2 and 3)")
    func flatten() throws {
        try Check.checkLayer(Flatten(), inputShape: [2, 3, 4], label: "Flatten") { _, x in x }
        try Check.checkLayer(Flatten(channelsFirst: true), inputShape: [2, 3, 4], label: "Flatten channels_first") { _, x in
            Self.transpose(x, shape: [2, 3, 4], axes: [0, 2, 1])
        }
        try Check.checkLayer(Flatten(channelsFirst: true), inputShape: [2, 2, 3, 2], label: "Flatten channels_first rank 3") { _, x in
            Self.transpose(x, shape: [2, 2, 3, 2], axes: [0, 2, 3, 1])
        }
        // A sample with one axis: Keras's transpose (0, 1) changes nothing.
        try Check.checkLayer(Flatten(channelsFirst: true), inputShape: [3, 4], label: "Flatten channels_first rank 1") { _, x in x }
    }

    @Test("Reshape keeps the values in order")
    func reshape() throws {
        try Check.checkLayer(try Reshape(targetShape: [-1, 2]), inputShape: [2, 3, 4], label: "Reshape") { _, x in x }
    }

    @Test("Permute is np.transpose with the batch axis kept first", arguments: [[2, 1], [3, 1, 2], [2, 1, 3], [1, 3, 2]])
    func permute(_ dims: [Int]) throws {
        let shape = dims.count == 2 ? [2, 3, 4] : [2, 2, 3, 4]
        try Check.checkLayer(try Permute(dims: dims), inputShape: shape, label: "Permute \(dims)") { _, x in
            Self.transpose(x, shape: shape, axes: [0] + dims)
        }
    }

    @Test("RepeatVector: each step a copy of the vector; the copies' gradients add up")
    func repeatVector() throws {
        try Check.checkLayer(RepeatVector(n: 3), inputShape: [2, 4], label: "RepeatVector") { _, x in
            var output: [Double] = []
            for b in 0..<2 {
                for _ in 0..<3 { output += x[b * 4..<(b + 1) * 4] }
            }
            return output
        }
    }

    @Test("Cropping1D drops steps at both ends, at one, or none")
    func cropping() throws {
        for (start, end) in [(1, 2), (0, 3), (2, 0), (0, 0)] {
            try Check.checkLayer(Cropping1D(start: start, end: end), inputShape: [2, 6, 3], label: "Cropping1D (\(start), \(end))") { _, x in
                var output: [Double] = []
                for b in 0..<2 {
                    for t in start..<6 - end { output += x[(b * 6 + t) * 3..<(b * 6 + t + 1) * 3] }
                }
                return output
            }
        }
    }

    @Test("ZeroPadding1D pads the steps axis with zeros, channels_last and channels_first")
    func zeroPadding() throws {
        for (start, end) in [(2, 1), (0, 2), (0, 0)] {
            try Check.checkLayer(ZeroPadding1D(start: start, end: end), inputShape: [2, 4, 3], label: "ZeroPadding1D (\(start), \(end))") { _, x in
                var output: [Double] = []
                for b in 0..<2 {
                    for t in -start..<4 + end {
                        for f in 0..<3 { output.append((0..<4).contains(t) ? x[(b * 4 + t) * 3 + f] : 0) }
                    }
                }
                return output
            }
            try Check.checkLayer(
                ZeroPadding1D(start: start, end: end, channelsFirst: true), inputShape: [2, 3, 4],
                label: "ZeroPadding1D channels_first (\(start), \(end))"
            ) { _, x in
                var output: [Double] = []
                for b in 0..<2 {
                    for c in 0..<3 {
                        for t in -start..<4 + end { output.append((0..<4).contains(t) ? x[(b * 3 + c) * 4 + t] : 0) }
                    }
                }
                return output
            }
        }
    }

    @Test("UpSampling1D repeats each step in place; the repeats' gradients add up")
    func upSampling() throws {
        for size in [1, 3] {
            try Check.checkLayer(UpSampling1D(size: size), inputShape: [2, 3, 2], label: "UpSampling1D \(size)") { _, x in
                var output: [Double] = []
                for b in 0..<2 {
                    for t in 0..<3 * size {
                        let source = b * 3 + t / size
                        output += x[source * 2..<(source + 1) * 2]
                    }
                }
                return output
            }
        }
    }

    @Test("output shapes as Keras's compute_output_shape, variable steps included")
    func outputShapes() throws {
        #expect(try Flatten().outputShape(forInputShape: [5, 3]) == [15])
        #expect(try Flatten().outputShape(forInputShape: [nil, 3]) == [nil])
        #expect(try Flatten().outputShape(forInputShape: []) == [1])
        #expect(try Reshape(targetShape: [-1, 2]).outputShape(forInputShape: [3, 4]) == [6, 2])
        #expect(try Reshape(targetShape: [-1, 2]).outputShape(forInputShape: [nil, 4]) == [nil, 2])
        #expect(try Reshape(targetShape: [4, 3]).outputShape(forInputShape: [12]) == [4, 3])
        #expect(try Permute(dims: [2, 1]).outputShape(forInputShape: [nil, 4]) == [4, nil])
        #expect(try RepeatVector(n: 3).outputShape(forInputShape: [4]) == [3, 4])
        #expect(try Cropping1D(start: 1, end: 2).outputShape(forInputShape: [6, 3]) == [3, 3])
        #expect(try Cropping1D(start: 1, end: 2).outputShape(forInputShape: [nil, 3]) == [nil, 3])
        #expect(try ZeroPadding1D(start: 1, end: 2).outputShape(forInputShape: [nil, 3]) == [nil, 3])
        #expect(try ZeroPadding1D(start: 1, end: 2).outputShape(forInputShape: [4, 3]) == [7, 3])
        #expect(try ZeroPadding1D(start: 1, end: 2, channelsFirst: true).outputShape(forInputShape: [4, 3]) == [4, 6])
        #expect(try UpSampling1D(size: 3).outputShape(forInputShape: [4, 2]) == [12, 2])
    }

    @Test("inputs a reshaping layer cannot take are refused in one line naming the option")
    func refusals() throws {
        func detail(_ body: () throws -> Any) -> String {
            do {
                _ = try body()
                return "accepted"
            } catch {
                return error.localizedDescription
            }
        }
        let cases: [(String, String)] = [
            (detail { try Cropping1D(start: 2, end: 2).outputShape(forInputShape: [4, 3]) }, "cropping (2, 2) leaves no step of a 4-step input"),
            (detail { try Reshape(targetShape: [5, 2]).outputShape(forInputShape: [3, 4]) }, "target_shape [5, 2]"),
            (detail { try Reshape(targetShape: [-1, 5]).outputShape(forInputShape: [3, 4]) }, "not a multiple of 5"),
            (detail { try Reshape(targetShape: [-1, -1]) }, "at most one -1"),
            (detail { try Permute(dims: [1, 3]) }, "dims [1, 3]"),
            (detail { try Permute(dims: [2, 1]).outputShape(forInputShape: [2, 3, 4]) }, "dims [2, 1] reorders 2 axes"),
            (detail { try RepeatVector(n: 2).outputShape(forInputShape: [2, 3]) }, "RepeatVector takes (batch, features)"),
            (detail { try UpSampling1D().outputShape(forInputShape: [6]) }, "UpSampling1D takes (batch, steps, features)"),
            (detail { try ZeroPadding1D().outputShape(forInputShape: [2, 3, 4]) }, "ZeroPadding1D takes (batch, steps, features)"),
        ]
        for (message, expected) in cases {
            #expect(message.contains(expected) && !message.contains("\n"), "\(message)")
        }
    }

    @Test("a mask ends at each reshaping layer, as in both Kerases; none refuses one")
    func masksEnd() throws {
        let layers: [any Layer] = [
            Flatten(), try Reshape(targetShape: [-1]), try Permute(dims: [2, 1]), RepeatVector(n: 2),
            Cropping1D(), ZeroPadding1D(), UpSampling1D(),
        ]
        for layer in layers {
            #expect(!layer.passesMask && layer.maskRefusal == nil && !layer.createsMask, "\(layer.name)")
            #expect(layer.streamingRefusal != nil, "\(layer.name)")
            #expect(layer.parameterSpecs.isEmpty && layer.multiplyAdds(perSample: [3, 2]) == 0, "\(layer.name)")
        }
        // Masking -> Cropping1D -> Dense: the Dense gets no mask.
        let model = try Sequential(inputShape: [4, 2], layers: [Masking(), Cropping1D(), Dense(inputSize: 2, units: 1)])
        #expect(model.flow.map(\.receivesMask) == [false, true, false])
    }

    @Test("the pointer forward over a batch gives the tensor forward's numbers, bit for bit")
    func pointerForward() throws {
        let layer = try Permute(dims: [3, 1, 2])
        let input = try Tensor(shape: [3, 2, 3, 4], scalars: GradientCheckTests.values(72, seed: 4))
        let output = try layer.forward(input)
        var pointerOutput = [Float](repeating: .nan, count: output.count), workspace: [Float] = [0]
        input.scalars.withUnsafeBufferPointer { x in
            pointerOutput.withUnsafeMutableBufferPointer { y in
                layer.forward(x.baseAddress!, batch: 3, sampleShape: [2, 3, 4], into: y.baseAddress!, workspace: &workspace)
            }
        }
        #expect(pointerOutput == output.scalars)
        // Padding writes its zeros over whatever the output memory held.
        let padding = ZeroPadding1D(start: 1, end: 1)
        var padded = [Float](repeating: .nan, count: 2 * 4 * 1)
        [Float](arrayLiteral: 1, 2, 3, 4).withUnsafeBufferPointer { x in
            padded.withUnsafeMutableBufferPointer { y in
                padding.forward(x.baseAddress!, batch: 2, sampleShape: [2, 1], into: y.baseAddress!, workspace: &workspace)
            }
        }
        #expect(padded == [0, 1, 2, 0, 0, 3, 4, 0])
    }
}
