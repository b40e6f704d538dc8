import Foundation
import Testing
@testable import RNNRuntime

/// The activation layers (`ActivationLayer`, `PReLU`) and the layers that
/// are the identity at inference (`NoiseLayer`): Keras's formulas at chosen
/// points, the allocation-free forward pass against the tensor one, the
/// backward passes against float64 finite differences (as in
/// `Float64GradientCheckTests`: each forward restated in Double, h = 1e-6,
/// tolerance 1e-4), and the training noise checked by its statistics, since
/// TensorFlow's random streams cannot be repeated.
@Suite("Activation and noise layers")
struct ActivationLayerTests {
    static let step = 1e-6
    static let tolerance = 1e-4

    // MARK: Formulas

    @Test("ReLU follows Keras's steps: threshold, relu6, clip to max_value, then the slope below the threshold")
    func reluFormula() {
        func relu(_ x: Float, _ maxValue: Float?, _ slope: Float, _ threshold: Float) -> Float {
            ActivationLayer.relu(x, maxValue: maxValue, negativeSlope: slope, threshold: threshold)
        }
        // The research notes' example: max_value=6, negative_slope=0.1, threshold=0.5.
        #expect(abs(relu(0.3, 6, 0.1, 0.5) - -0.02) < 1e-7)
        #expect(relu(7, 6, 0.1, 0.5) == 6)
        #expect(relu(3, 6, 0.1, 0.5) == 3)
        #expect(abs(relu(-1, 6, 0.1, 0.5) - -0.15) < 1e-7)
        // A threshold alone: x above it passes, the rest is 0.
        #expect(relu(0.4, nil, 0, 0.5) == 0 && relu(0.6, nil, 0, 0.5) == 0.6 && relu(0.5, nil, 0, 0.5) == 0)
        // A slope alone is leaky_relu; max_value 6 alone is relu6; max_value alone clips.
        #expect(relu(-2, nil, 0.25, 0) == -0.5 && relu(2, nil, 0.25, 0) == 2)
        #expect(relu(7, 6, 0, 0) == 6 && relu(-1, 6, 0, 0) == 0)
        #expect(relu(0.7, 0.5, 0, 0) == 0.5 && relu(-0.7, 0.5, 0, 0) == 0)
        // A slope with max_value: the negative part is still slope·x.
        #expect(relu(-2, 0.5, 0.1, 0) == -0.2)
        // Defaults are plain relu, NaN passes.
        #expect(relu(-1, nil, 0, 0) == 0 && relu(1.5, nil, 0, 0) == 1.5 && relu(.nan, nil, 0, 0).isNaN)
    }

    @Test("the functions that are runtime activations use them; the others use Keras's ReLU")
    func elementwiseCases() {
        func function(_ f: ActivationLayer.Function) -> Activation? { ActivationLayer(function: f).elementwise }
        #expect(function(.relu(maxValue: nil, negativeSlope: 0, threshold: 0)) == .relu)
        #expect(function(.relu(maxValue: 6, negativeSlope: 0, threshold: 0)) == .relu6)
        #expect(function(.relu(maxValue: nil, negativeSlope: 0.3, threshold: 0)) == .leakyReLU(negativeSlope: 0.3))
        #expect(function(.relu(maxValue: 0.4, negativeSlope: 0.1, threshold: 0.15)) == nil)
        #expect(function(.relu(maxValue: nil, negativeSlope: 0, threshold: 0.2)) == nil)
        #expect(function(.leakyReLU(negativeSlope: 0.3)) == .leakyReLU(negativeSlope: 0.3))
        #expect(function(.elu(alpha: 0.5)) == .elu(alpha: 0.5))
        #expect(function(.softmax(axis: -1)) == .softmax)
    }

    @Test("Softmax over another axis than the last is refused; PReLU checks its input against alpha")
    func shapeChecks() throws {
        #expect(try ActivationLayer(function: .softmax(axis: 2)).outputShape(forInputShape: [5, 3]) == [5, 3])
        #expect(throws: RuntimeError.self) { try ActivationLayer(function: .softmax(axis: 1)).outputShape(forInputShape: [5, 3]) }
        let prelu = PReLU(sampleShape: [5, 3], sharedAxes: [1])
        #expect(prelu.alphaShape == [1, 3])
        #expect(try prelu.outputShape(forInputShape: [nil, 3]) == [nil, 3])
        #expect(throws: RuntimeError.self) { try prelu.outputShape(forInputShape: [5, 4]) }
        #expect(throws: RuntimeError.self) { try PReLU(sampleShape: [5, 3]).outputShape(forInputShape: [4, 3]) }
        #expect(throws: RuntimeError.self) { try NoiseLayer(name: "s", kind: .spatialDropout1D(rate: 0.1)).outputShape(forInputShape: [3]) }
    }

    // MARK: Both forward passes

    static func input(_ shape: [Int], seed: UInt64) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: GradientCheckTests.values(shape.reduce(1, *), seed: seed, low: -2, high: 2))
    }

    static func withAlpha(_ layer: PReLU, seed: UInt64) throws -> PReLU {
        var layer = layer
        try layer.setParameters([Tensor(shape: layer.alphaShape, scalars: GradientCheckTests.values(layer.parameterCount, seed: seed))])
        return layer
    }

    static let functions: [ActivationLayer.Function] = [
        .activation(.tanh), .activation(.softmax), .activation(.hardSigmoidKeras2), .relu(maxValue: nil, negativeSlope: 0, threshold: 0),
        .relu(maxValue: 0.4, negativeSlope: 0.1, threshold: 0.15), .relu(maxValue: 6, negativeSlope: 0.1, threshold: 0),
        .relu(maxValue: nil, negativeSlope: 0, threshold: 0.5), .relu(maxValue: 0.5, negativeSlope: 0, threshold: 0),
        .leakyReLU(negativeSlope: 0.2), .elu(alpha: 0.5), .softmax(axis: -1),
    ]

    static func layers() throws -> [any Layer] {
        try functions.map { ActivationLayer(function: $0) as any Layer } + [
            try withAlpha(PReLU(sampleShape: [4, 3]), seed: 3), try withAlpha(PReLU(sampleShape: [4, 3], sharedAxes: [1]), seed: 4),
            try withAlpha(PReLU(sampleShape: [4, 3], sharedAxes: [1, 2]), seed: 5), try withAlpha(PReLU(sampleShape: [4, 3], sharedAxes: [2]), seed: 6),
            NoiseLayer(name: "s", kind: .spatialDropout1D(rate: 0.3)), NoiseLayer(name: "n", kind: .gaussianNoise(stddev: 0.1)),
            NoiseLayer(name: "d", kind: .gaussianDropout(rate: 0.2)), NoiseLayer(name: "a", kind: .activityRegularization(l1: 0.01, l2: 0.02)),
        ]
    }

    @Test("the allocation-free forward pass gives the tensor forward pass's numbers, bit for bit")
    func pointerForward() throws {
        let x = Self.input([2, 4, 3], seed: 11)
        for layer in try Self.layers() {
            let expected = try layer.forward(x)
            var output = [Float](repeating: .nan, count: x.count)
            var workspace = [Float](repeating: 0, count: max(layer.workspaceSize(batch: 2, sampleShape: [4, 3]), 1))
            x.scalars.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    workspace.withUnsafeMutableBufferPointer { w in
                        layer.forward(input.baseAddress!, batch: 2, sampleShape: [4, 3], into: out.baseAddress!, workspace: w.baseAddress!)
                    }
                }
            }
            #expect(output == expected.scalars, "\(layer)")
            #expect(expected.shape == x.shape)
        }
        // The identity layers are the identity at inference.
        for layer in try Self.layers() where layer is NoiseLayer { #expect(try layer.forward(x) == x) }
    }

    // MARK: Float64 gradient checks

    /// Keras's formula of each function in Double, over rows of `width`.
    static func reference(_ function: ActivationLayer.Function, _ x: [Double], width: Int) -> [Double] {
        switch function {
        case .softmax, .activation(.softmax):
            return stride(from: 0, to: x.count, by: width).flatMap { start -> [Double] in
                let row = x[start..<start + width]
                let largest = row.max()!
                let e = row.map { Foundation.exp($0 - largest) }
                let sum = e.reduce(0, +)
                return e.map { $0 / sum }
            }
        case .activation(let activation):
            return x.map { Float64GradientCheckTests.f(activation, $0) }
        case .leakyReLU(let slope):
            return x.map { $0 >= 0 ? $0 : Double(slope) * $0 }
        case .elu(let alpha):
            return x.map { $0 > 0 ? $0 : Double(alpha) * Foundation.expm1($0) }
        case .relu(let maxValue, let slope, let threshold):
            let (m, s, t) = (maxValue.map(Double.init), Double(slope), Double(threshold))
            return x.map { x in
                if s != 0, m == nil, t == 0 { return x >= 0 ? x : s * x }
                var y = t != 0 ? (x > t ? x : 0) : max(x, 0)
                if let m { y = min(max(y, 0), m) }
                return y - s * max(t - x, 0)
            }
        }
    }

    /// Checks `pullback` against central differences of `objective` (float64) at `x`.
    static func checkInputGradient(
        _ analytic: [Float], at x: [Double], objective: ([Double]) -> Double, label: String
    ) {
        for i in x.indices {
            var plus = x, minus = x
            plus[i] += step
            minus[i] -= step
            let numeric = (objective(plus) - objective(minus)) / (2 * step)
            #expect(abs(Double(analytic[i]) - numeric) <= tolerance * max(1, abs(numeric)),
                    "\(label): dL/dx[\(i)] = \(analytic[i]), float64 \(numeric)")
        }
    }

    static let gradientFunctions: [ActivationLayer.Function] = [
        .activation(.tanh), .activation(.sigmoid), .activation(.relu), .activation(.softmax),
        .relu(maxValue: 0.4, negativeSlope: 0.1, threshold: 0.15), .relu(maxValue: 6, negativeSlope: 0.1, threshold: 0.5),
        .relu(maxValue: nil, negativeSlope: 0.25, threshold: 0), .relu(maxValue: 0.5, negativeSlope: 0, threshold: 0),
        .relu(maxValue: nil, negativeSlope: 0.2, threshold: 0.3), .relu(maxValue: 6, negativeSlope: 0, threshold: 0),
        .leakyReLU(negativeSlope: 0.2), .elu(alpha: 0.5), .elu(alpha: 1), .softmax(axis: -1),
    ]

    @Test("activation layers' input gradients match float64 finite differences", arguments: 0..<gradientFunctions.count)
    func activationGradient(_ index: Int) throws {
        let function = Self.gradientFunctions[index]
        let layer = ActivationLayer(function: function)
        // Inputs from -1 to 7 so relu6's and every max_value's flat parts are reached.
        let values = GradientCheckTests.values(2 * 4 * 5, seed: 17 + UInt64(index), low: -1, high: 7)
        let x = Tensor(uncheckedShape: [2, 4, 5], scalars: values)
        var context = TrainingContext(training: true, random: RandomSource(seed: 1))
        let (output, pullback) = try layer.forwardWithPullback(x, context: &context)
        let x64 = values.map(Double.init)
        let forwardGap = zip(output.scalars, Self.reference(function, x64, width: 5)).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(forwardGap < 1e-5, "\(function): float32 forward vs float64 reference differ by \(forwardGap)")
        let upstream = GradientCheckTests.values(output.count, seed: 5).map(Double.init)
        let (gradient, parameters) = try pullback(Tensor(uncheckedShape: output.shape, scalars: upstream.map(Float.init)))
        #expect(parameters.isEmpty)
        Self.checkInputGradient(gradient.scalars, at: x64, objective: { x in
            zip(Self.reference(function, x, width: 5), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }, label: "\(function)")
    }

    @Test("PReLU's input and alpha gradients match float64 finite differences, shared axes or not",
          arguments: [[], [1], [2], [1, 2]] as [[Int]])
    func preluGradient(_ sharedAxes: [Int]) throws {
        let layer = try Self.withAlpha(PReLU(sampleShape: [4, 3], sharedAxes: sharedAxes), seed: 8)
        let shape = layer.alphaShape
        let values = GradientCheckTests.values(2 * 4 * 3, seed: 21)
        let x = Tensor(uncheckedShape: [2, 4, 3], scalars: values)
        func reference(_ alpha: [Double], _ x: [Double]) -> [Double] {
            x.indices.map { k in
                let t = (k / 3) % 4, c = k % 3
                let a = alpha[(shape[0] == 1 ? 0 : t) * shape[1] + (shape[1] == 1 ? 0 : c)]
                return max(x[k], 0) - a * max(-x[k], 0)
            }
        }
        var context = TrainingContext(training: true, random: RandomSource(seed: 1))
        let (output, pullback) = try layer.forwardWithPullback(x, context: &context)
        let alpha64 = layer.alpha.scalars.map(Double.init), x64 = values.map(Double.init)
        #expect(zip(output.scalars, reference(alpha64, x64)).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        let upstream = GradientCheckTests.values(output.count, seed: 5).map(Double.init)
        let (gradient, parameters) = try pullback(Tensor(uncheckedShape: output.shape, scalars: upstream.map(Float.init)))
        func objective(_ alpha: [Double], _ x: [Double]) -> Double {
            zip(reference(alpha, x), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
        Self.checkInputGradient(gradient.scalars, at: x64, objective: { objective(alpha64, $0) }, label: "PReLU \(sharedAxes)")
        #expect(parameters.map(\.shape) == [shape])
        Self.checkInputGradient(parameters[0].scalars, at: alpha64, objective: { objective($0, x64) }, label: "PReLU \(sharedAxes) alpha")
    }

    @Test("ActivityRegularization: identity, its loss (l1·Σ|x| + l2·Σx²)/batch, and that loss's gradient added going back")
    func activityRegularizationGradient() throws {
        let (l1, l2): (Float, Float) = (0.01, 0.02)
        let layer = NoiseLayer(name: "a", kind: .activityRegularization(l1: l1, l2: l2))
        let values = GradientCheckTests.values(3 * 4 * 2, seed: 23)
        let x = Tensor(uncheckedShape: [3, 4, 2], scalars: values)
        var context = TrainingContext(training: true, random: RandomSource(seed: 1))
        let (output, pullback) = try layer.forwardWithPullback(x, context: &context)
        #expect(output == x)
        let x64 = values.map(Double.init)
        func regularization(_ x: [Double]) -> Double {
            (Double(l1) * x.reduce(0) { $0 + abs($1) } + Double(l2) * x.reduce(0) { $0 + $1 * $1 }) / 3
        }
        #expect(abs(Double(layer.addedLoss(for: x)) - regularization(x64)) < 1e-7)
        let upstream = GradientCheckTests.values(output.count, seed: 5).map(Double.init)
        let (gradient, _) = try pullback(Tensor(uncheckedShape: output.shape, scalars: upstream.map(Float.init)))
        Self.checkInputGradient(gradient.scalars, at: x64, objective: { x in
            zip(x, upstream).reduce(0) { $0 + $1.0 * $1.1 } + regularization(x)
        }, label: "ActivityRegularization")
        #expect(layer.drawsRandomNumbers, "runs on the whole batch, whose size it divides by")
        var inference = TrainingContext(training: false, random: RandomSource(seed: 1))
        let (_, identity) = try layer.forwardWithPullback(x, context: &inference)
        #expect(try identity(output).inputGradient == output, "outside training, no loss and no gradient added")
    }

    @Test("the dropout variants and the noise pass the gradient through the factors they drew")
    func noiseGradients() throws {
        for kind in [NoiseLayer.Kind.spatialDropout1D(rate: 0.4), .gaussianDropout(rate: 0.3), .gaussianNoise(stddev: 0.5)] {
            try GradientCheckTests.checkLayer(
                NoiseLayer(name: "noise", kind: kind), input: Self.input([3, 4, 5], seed: 29), training: true, label: "\(kind)")
        }
    }

    // MARK: Training statistics

    @Test("SpatialDropout1D drops whole channels: one draw per (sample, channel) for every step, kept ones scaled by 1/(1 - rate)")
    func spatialDropoutStatistics() throws {
        let (batch, steps, channels) = (100, 6, 40)
        let layer = NoiseLayer(name: "s", kind: .spatialDropout1D(rate: 0.3))
        let x = Tensor(uncheckedShape: [batch, steps, channels], scalars: [Float](repeating: 2, count: batch * steps * channels))
        var context = TrainingContext(training: true, random: RandomSource(seed: 3))
        let (y, _) = try layer.forwardForTraining(x, context: &context)
        var dropped = 0
        for b in 0..<batch {
            for c in 0..<channels {
                let column = (0..<steps).map { y.scalars[(b * steps + $0) * channels + c] }
                #expect(Set(column).count == 1, "sample \(b), channel \(c): the same for every step")
                #expect(column[0] == 0 || abs(column[0] - 2 / 0.7) < 1e-6)
                if column[0] == 0 { dropped += 1 }
            }
        }
        // Binomial(4000, 0.3): standard deviation about 29; 5 of them is a safe bound.
        #expect(abs(dropped - 1_200) < 5 * 29)
    }

    @Test("GaussianNoise adds N(0, stddev²); GaussianDropout multiplies by N(1, rate/(1 - rate))")
    func gaussianStatistics() throws {
        let count = 100_000
        func moments(_ kind: NoiseLayer.Kind, of value: Float) throws -> (mean: Double, deviation: Double) {
            let x = Tensor(uncheckedShape: [count / 10, 10], scalars: [Float](repeating: value, count: count))
            var context = TrainingContext(training: true, random: RandomSource(seed: 5))
            let y = try NoiseLayer(name: "n", kind: kind).forwardForTraining(x, context: &context).output.scalars.map(Double.init)
            let mean = y.reduce(0, +) / Double(count)
            let variance = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
            return (mean, variance.squareRoot())
        }
        // With 100,000 draws the mean's standard error is σ/316 and the
        // deviation's about σ/447; the bounds are 5 of them.
        let noise = try moments(.gaussianNoise(stddev: 0.1), of: 1)
        #expect(abs(noise.mean - 1) < 5 * 0.1 / 316 && abs(noise.deviation - 0.1) < 5 * 0.1 / 447)
        let dropout = try moments(.gaussianDropout(rate: 0.2), of: 2)
        // 2 · N(1, 0.25): mean 2, deviation 2 · 0.5.
        #expect(abs(dropout.mean - 2) < 5 * 1 / 316 && abs(dropout.deviation - 1) < 5 * 1 / 447)
    }

    @Test("outside training, or with a rate or stddev of 0, every noise layer is the identity and draws nothing")
    func inactiveNoise() throws {
        let x = Self.input([2, 3, 4], seed: 31)
        for kind in [NoiseLayer.Kind.spatialDropout1D(rate: 0.5), .gaussianNoise(stddev: 0.5), .gaussianDropout(rate: 0.5)] {
            var context = TrainingContext(training: false, random: RandomSource(seed: 1))
            #expect(try NoiseLayer(name: "n", kind: kind).forwardForTraining(x, context: &context).output == x)
            var fresh = RandomSource(seed: 1)
            #expect(context.random.next() == fresh.next(), "\(kind): nothing drawn")
        }
        for kind in [NoiseLayer.Kind.spatialDropout1D(rate: 0), .gaussianNoise(stddev: 0), .gaussianDropout(rate: 0), .activityRegularization(l1: 0, l2: 0)] {
            let layer = NoiseLayer(name: "n", kind: kind)
            var context = TrainingContext(training: true, random: RandomSource(seed: 1))
            #expect(try layer.forwardForTraining(x, context: &context).output == x)
            #expect(!layer.drawsRandomNumbers, "\(kind)")
        }
        var context = TrainingContext(training: true, random: RandomSource(seed: 1))
        #expect(throws: RuntimeError.self) { try NoiseLayer(name: "d", kind: .gaussianDropout(rate: 1)).forwardForTraining(x, context: &context) }
    }

    @Test("a model with every one of these layers trains: fit runs, the loss falls and PReLU's alpha learns")
    func fitThroughEveryLayer() throws {
        var random = RandomSource(seed: 11)
        var lstm = LSTM(inputSize: 2, units: 4, returnSequences: true)
        lstm.initialize(random: &random)
        var dense = Dense(inputSize: 4, units: 4)
        dense.initialize(random: &random)
        var head = Dense(inputSize: 4, units: 1)
        head.initialize(random: &random)
        let layers: [any Layer] = [
            lstm, dense, ActivationLayer(name: "relu", function: .relu(maxValue: 3, negativeSlope: 0.1, threshold: 0.05)),
            PReLU(name: "prelu", sampleShape: [5, 4], sharedAxes: [1]),
            NoiseLayer(name: "spatial", kind: .spatialDropout1D(rate: 0.1)), NoiseLayer(name: "noise", kind: .gaussianNoise(stddev: 0.05)),
            NoiseLayer(name: "gaussian_dropout", kind: .gaussianDropout(rate: 0.1)),
            NoiseLayer(name: "activity", kind: .activityRegularization(l1: 0.001, l2: 0.001)),
            ActivationLayer(name: "elu", function: .elu(alpha: 0.5)), head,
        ]
        var model = try Sequential(inputShape: [5, 2], layers: layers)
        let x = Tensor(uncheckedShape: [32, 5, 2], scalars: GradientCheckTests.values(320, seed: 2))
        let y = Tensor(uncheckedShape: [32, 5, 1], scalars: (0..<160).map { i in x.scalars[2 * i] - x.scalars[2 * i + 1] })
        var optimizer: any Optimizer = Adam(learningRate: 0.01)
        let reports = try model.fit(x: x, y: y, loss: .meanSquaredError, optimizer: &optimizer, options: FitOptions(epochs: 30, batchSize: 8, seed: 4))
        #expect(reports.allSatisfy { $0.loss.isFinite })
        #expect(reports.last!.loss < reports.first!.loss * 0.8, "\(reports.first!.loss) -> \(reports.last!.loss)")
        let alpha = try #require(model.layers[3] as? PReLU).alpha.scalars
        #expect(alpha.contains { $0 != 0 }, "alpha moved from its zero start")
    }
}
