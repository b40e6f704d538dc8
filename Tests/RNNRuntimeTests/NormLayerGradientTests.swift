import Foundation
import Testing
@testable import RNNRuntime

/// BatchNormalization and LayerNormalization backward passes against
/// float64 finite differences of float64 restatements of Keras's formulas
/// (keras/src/layers/normalization/batch_normalization.py `_moments` and
/// ops.nn `_layer_normalization`), with `Float64GradientCheckTests`' step
/// and tolerance; and the moving-statistics update and `fit`'s handling of
/// a layer that needs the whole batch.
@Suite("Normalization layers' gradients match float64 finite differences")
struct NormLayerGradientTests {
    typealias Check = Float64GradientCheckTests

    /// `Check.checkLayer` with the training flag chosen and weights made by
    /// `weights` (a moving variance must stay positive).
    static func checkLayer(
        _ layer: any TrainableLayer, inputShape: [Int], training: Bool, mask: Tensor? = nil, label: String,
        reference: ([[Double]], [Double]) -> [Double]
    ) throws {
        var layer = layer
        var seed: UInt64 = 11
        let weights: [[Float]] = layer.parameterSpecs.map { spec in
            seed += 1
            let values = GradientCheckTests.values(spec.shape.reduce(1, *), seed: seed, low: -0.7, high: 0.7)
            return spec.name == "moving_variance" ? values.map { abs($0) + 0.3 } : values
        }
        try layer.setParameters(zip(layer.parameterSpecs, weights).map { try Tensor(shape: $0.shape, scalars: $1) })
        let inputValues = GradientCheckTests.values(inputShape.reduce(1, *), seed: 99, low: -1.5, high: 1.5)
        let input = try Tensor(shape: inputShape, scalars: inputValues)
        var context = TrainingContext(training: training, random: RandomSource(seed: 1), mask: mask)
        let (output, pullback) = try layer.forwardWithPullback(input, context: &context)
        let weights64 = weights.map { $0.map(Double.init) }, input64 = inputValues.map(Double.init)
        let expected = reference(weights64, input64)
        #expect(output.count == expected.count, "\(label): output size")
        let forwardGap = zip(output.scalars, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(forwardGap < 1e-5, "\(label): float32 forward vs float64 reference differ by \(forwardGap)")
        let upstream = GradientCheckTests.values(output.count, seed: 5).map(Double.init)
        let (inputGradient, parameterGradients) = try pullback(Tensor(uncheckedShape: output.shape, scalars: upstream.map(Float.init)))
        func objective(_ w: [[Double]], _ x: [Double]) -> Double {
            zip(reference(w, x), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
        func agree(_ analytic: Float, _ numeric: Double) -> Bool {
            abs(Double(analytic) - numeric) <= Check.tolerance * max(1, abs(numeric))
        }
        let h = Check.step
        for i in input64.indices {
            var plus = input64, minus = input64
            plus[i] += h
            minus[i] -= h
            let numeric = (objective(weights64, plus) - objective(weights64, minus)) / (2 * h)
            #expect(agree(inputGradient.scalars[i], numeric), "\(label): dL/dx[\(i)] = \(inputGradient.scalars[i]), float64 \(numeric)")
        }
        #expect(parameterGradients.map(\.shape) == layer.parameterSpecs.map(\.shape), "\(label): gradient shapes")
        for (p, tensor) in weights64.enumerated() where p < parameterGradients.count {
            for i in tensor.indices {
                var plus = weights64, minus = weights64
                plus[p][i] += h
                minus[p][i] -= h
                let numeric = (objective(plus, input64) - objective(minus, input64)) / (2 * h)
                #expect(agree(parameterGradients[p].scalars[i], numeric),
                        "\(label): dL/d\(layer.parameterSpecs[p].name)[\(i)] = \(parameterGradients[p].scalars[i]), float64 \(numeric)")
            }
        }
    }

    // MARK: BatchNormalization

    /// Keras's BatchNormalization in float64 over `shape` (batch first) with
    /// the channel axis `axis` (sample-relative, 0-based): batch statistics
    /// (weighted by `mask` per (batch, step), plus `countEpsilon` under a
    /// mask) when `training`, else the moving ones.
    static func batchNormReference(
        _ w: [[Double]], _ x: [Double], shape: [Int], axis: Int, center: Bool, scale: Bool, epsilon: Double,
        training: Bool, mask: [Double]?, countEpsilon: Double
    ) -> [Double] {
        let sample = Array(shape.dropFirst())
        let before = sample[..<axis].reduce(1, *), channels = sample[axis], after = sample[(axis + 1)...].reduce(1, *)
        let sampleSize = sample.reduce(1, *), steps = sample[0], stepSize = sampleSize / steps
        var k = 0
        let gamma = scale ? w[k] : nil
        if scale { k += 1 }
        let beta = center ? w[k] : nil
        if center { k += 1 }
        var mean = w[k], variance = w[k + 1]
        func weight(_ index: Int) -> Double {
            guard let mask else { return 1 }
            return mask[(index / sampleSize) * steps + (index % sampleSize) / stepSize]
        }
        func channel(_ index: Int) -> Int { (index / after) % channels }
        _ = before
        if training {
            var sums = [Double](repeating: 0, count: channels), counts = sums, squares = sums
            for i in x.indices { counts[channel(i)] += weight(i); sums[channel(i)] += weight(i) * x[i] }
            if mask != nil { counts = counts.map { $0 + countEpsilon } }
            mean = zip(sums, counts).map { $0 / $1 }
            for i in x.indices { squares[channel(i)] += weight(i) * (x[i] - mean[channel(i)]) * (x[i] - mean[channel(i)]) }
            variance = zip(squares, counts).map { $0 / $1 }
        }
        return x.indices.map { i in
            let c = channel(i)
            return (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * (gamma?[c] ?? 1) + (beta?[c] ?? 0)
        }
    }

    struct BatchNormCase: Sendable, CustomTestStringConvertible {
        let label: String
        let shape: [Int]
        let axis: Int
        var center = true, scale = true
        var training = true
        var masked = false
        var countEpsilon: Float = 1e-7
        var testDescription: String { label }
    }

    static let batchNormCases: [BatchNormCase] = [
        BatchNormCase(label: "sequence, axis -1, training", shape: [3, 4, 3], axis: -1),
        BatchNormCase(label: "vector input, training", shape: [5, 3], axis: -1),
        BatchNormCase(label: "axis 1 (per step), training", shape: [3, 4, 2], axis: 1),
        BatchNormCase(label: "no center, no scale, training", shape: [3, 4, 2], axis: -1, center: false, scale: false),
        BatchNormCase(label: "scale only, training", shape: [3, 4, 2], axis: -1, center: false),
        BatchNormCase(label: "masked, Keras 3's count + 1e-7", shape: [4, 5, 2], axis: -1, masked: true),
        BatchNormCase(label: "masked, tf.keras's weighted moments", shape: [4, 5, 2], axis: -1, masked: true, countEpsilon: 0),
        BatchNormCase(label: "inference: the moving statistics", shape: [3, 4, 3], axis: -1, training: false),
        BatchNormCase(label: "inference, axis 1, no center", shape: [3, 4, 2], axis: 1, center: false, training: false),
    ]

    @Test("BatchNormalization: input and every weight gradient", arguments: batchNormCases)
    func batchNormalization(_ c: BatchNormCase) throws {
        let rank = c.shape.count - 1
        let sampleAxis = c.axis < 0 ? c.axis + rank : c.axis - 1
        let layer = BatchNormalization(
            channels: c.shape[sampleAxis + 1], axis: c.axis, inputRank: rank, epsilon: 1e-3, center: c.center, scale: c.scale,
            maskedCountEpsilon: c.countEpsilon)
        let mask: [[Int]]? = c.masked ? Check.mask.map { Array($0.prefix(c.shape[1])) }.prefix(c.shape[0]).map { $0 } : nil
        let maskTensor = mask.map { Tensor(uncheckedShape: [c.shape[0], c.shape[1]], scalars: $0.flatMap { $0.map(Float.init) }) }
        try Self.checkLayer(layer, inputShape: c.shape, training: c.training, mask: maskTensor, label: c.label) { w, x in
            Self.batchNormReference(
                w, x, shape: c.shape, axis: sampleAxis, center: c.center, scale: c.scale, epsilon: 1e-3, training: c.training,
                mask: mask.map { $0.flatMap { $0.map(Double.init) } }, countEpsilon: Double(c.countEpsilon))
        }
    }

    @Test("BatchNormalization in training assigns moving · momentum + batch · (1 - momentum), the biased variance")
    func movingStatistics() throws {
        var layer = BatchNormalization(channels: 2, inputRank: 2, momentum: 0.9)
        try layer.setParameters([
            Tensor(shape: [2], scalars: [1, 2]), Tensor(shape: [2], scalars: [0, 0]),
            Tensor(shape: [2], scalars: [0.5, -1]), Tensor(shape: [2], scalars: [2, 3]),
        ])
        // Channel 0 takes 1, 2, 3, 4 (mean 2.5, biased variance 1.25), channel 1 is 0 throughout.
        let input = try Tensor(shape: [2, 2, 2], scalars: [1, 0, 2, 0, 3, 0, 4, 0])
        var context = TrainingContext(training: true, random: RandomSource(seed: 0))
        let (_, pullback) = try layer.forwardWithPullback(input, context: &context)
        #expect(pullback.assigned.keys.sorted() == [2, 3])
        let mean = try #require(pullback.assigned[2]), variance = try #require(pullback.assigned[3])
        #expect(abs(mean[0] - (0.5 * 0.9 + 2.5 * 0.1)) < 1e-6 && abs(mean[1] - (-1 * 0.9)) < 1e-6)
        #expect(abs(variance[0] - (2 * 0.9 + 1.25 * 0.1)) < 1e-6 && abs(variance[1] - 3 * 0.9) < 1e-6)
        var inference = TrainingContext(training: false, random: RandomSource(seed: 0))
        #expect(try layer.forwardWithPullback(input, context: &inference).pullback.assigned.isEmpty)
        #expect(layer.needsWholeBatch)
    }

    @Test("fit with a BatchNormalization: one piece whatever the threads, moving statistics assigned, not optimized")
    func fitKeepsTheBatchWhole() throws {
        var random = RandomSource(seed: 3)
        // Large enough that fit would split the batch over threads (Parallel.minimumParallelWork).
        var dense = Dense(inputSize: 8, units: 32)
        dense.initialize(random: &random)
        var head = Dense(inputSize: 32, units: 1)
        head.initialize(random: &random)
        let norm = BatchNormalization(channels: 32, inputRank: 2)
        let start = try Sequential(inputShape: [10, 8], layers: [dense, norm, head])
        let x = try Tensor(shape: [256, 10, 8], scalars: GradientCheckTests.values(256 * 80, seed: 4))
        let y = try Tensor(shape: [256, 10, 1], scalars: GradientCheckTests.values(2560, seed: 6))
        #expect(Parallel.partCount(samples: 256, work: 6 * 256 * 10 * start.layers.reduce(0) { $0 + $1.parameterCount }, threads: 4) > 1)
        var results: [[Tensor]] = []
        for threads in [1, 4] {
            var model = start
            var optimizer: any Optimizer = Adam(learningRate: 0.01)
            _ = try model.fit(x: x, y: y, loss: .meanSquaredError, optimizer: &optimizer,
                              options: FitOptions(epochs: 2, batchSize: 256, shuffle: false, threads: threads))
            results.append(model.layers.flatMap(\.parameters))
        }
        #expect(results[0].map(\.scalars) == results[1].map(\.scalars), "the same weights on 1 and 4 threads")
        let trained = results[0]
        #expect(trained[5].scalars.allSatisfy { $0 > 0 }, "the moving variance stays positive")
        #expect(trained[4].scalars.contains { $0 != 0 }, "the moving mean moved")
    }

    // MARK: LayerNormalization

    /// Keras's LayerNormalization in float64 over `shape`, normalizing over
    /// the consecutive sample axes `first...last` (0-based).
    static func layerNormReference(
        _ w: [[Double]], _ x: [Double], shape: [Int], first: Int, last: Int, center: Bool, scale: Bool, rms: Bool,
        epsilon: Double
    ) -> [Double] {
        let sample = Array(shape.dropFirst())
        let n = sample[first...last].reduce(1, *), after = sample[(last + 1)...].reduce(1, *)
        let groups = x.count / (n * after)
        let gamma = scale || rms ? w[0] : nil
        let beta = center && !rms ? w[w.count - 1] : nil
        var y = [Double](repeating: 0, count: x.count)
        for group in 0..<groups {
            for inner in 0..<after {
                let indices = (0..<n).map { group * n * after + $0 * after + inner }
                let mean = indices.reduce(0) { $0 + x[$1] } / Double(n)
                let variance = indices.reduce(0) { $0 + (x[$1] - mean) * (x[$1] - mean) } / Double(n)
                for (k, i) in indices.enumerated() {
                    let r = 1 / (variance + epsilon).squareRoot()
                    y[i] = (rms ? x[i] : x[i] - mean) * r * (gamma?[k] ?? 1) + (beta?[k] ?? 0)
                }
            }
        }
        return y
    }

    struct LayerNormCase: Sendable, CustomTestStringConvertible {
        let label: String
        let shape: [Int]
        let axes: [Int]
        var center = true, scale = true, rms = false
        var testDescription: String { label }
    }

    static let layerNormCases: [LayerNormCase] = [
        LayerNormCase(label: "per step (axis -1)", shape: [2, 3, 4], axes: [-1]),
        LayerNormCase(label: "vector input", shape: [3, 5], axes: [-1]),
        LayerNormCase(label: "axis [1, 2]: the whole sample", shape: [2, 3, 2], axes: [1, 2]),
        LayerNormCase(label: "axis 1: over the steps", shape: [2, 3, 2], axes: [1]),
        LayerNormCase(label: "no center", shape: [2, 3, 4], axes: [-1], center: false),
        LayerNormCase(label: "no scale", shape: [2, 3, 4], axes: [-1], scale: false),
        LayerNormCase(label: "rms_scaling", shape: [2, 3, 4], axes: [-1], rms: true),
        LayerNormCase(label: "rms_scaling, no scale (gamma kept)", shape: [2, 3, 4], axes: [-1], scale: false, rms: true),
    ]

    @Test("LayerNormalization: input and every weight gradient", arguments: layerNormCases)
    func layerNormalization(_ c: LayerNormCase) throws {
        let rank = c.shape.count - 1
        let sampleAxes = try NormalizedAxes.resolve(c.axes, sampleRank: rank).get()
        let layer = LayerNormalization(
            parameterShape: sampleAxes.map { c.shape[$0 + 1] }, axes: c.axes, inputRank: rank, epsilon: 1e-3,
            center: c.center, scale: c.scale, rmsScaling: c.rms)
        for training in [true, false] {
            try Self.checkLayer(layer, inputShape: c.shape, training: training, label: "\(c.label) training=\(training)") { w, x in
                Self.layerNormReference(
                    w, x, shape: c.shape, first: sampleAxes.first!, last: sampleAxes.last!, center: c.center, scale: c.scale,
                    rms: c.rms, epsilon: 1e-3)
            }
        }
    }

    @Test("axes that do not fit are refused: out of range, the batch axis, not consecutive")
    func axesRefused() {
        #expect(NormalizedAxes.resolve([3], sampleRank: 2) == .failure(.outOfRange(3)))
        #expect(NormalizedAxes.resolve([0], sampleRank: 2) == .failure(.batchAxis))
        #expect(NormalizedAxes.resolve([-3], sampleRank: 2) == .failure(.batchAxis))
        #expect(NormalizedAxes.resolve([1, 3], sampleRank: 3) == .failure(.notConsecutive))
        #expect(NormalizedAxes.resolve([2, -1], sampleRank: 2) == .success([1]))
        let layer = LayerNormalization(parameterShape: [4], axes: [1, 3], inputRank: 3)
        #expect(throws: RuntimeError.self) { try layer.outputShape(forInputShape: [2, 3, 4]) }
    }
}
