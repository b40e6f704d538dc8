import Foundation
import Testing
@testable import RNNRuntime

/// The recurrent layers' backward passes against finite differences taken
/// in float64: each layer's forward pass is restated here in Double (the
/// formulas of keras/src/layers/rnn/{simple_rnn,lstm,gru}.py), checked
/// against the runtime's float32 forward, and differentiated numerically
/// with h = 1e-6, where truncation (~h²) and Double rounding (~1e-16 / h)
/// are both below 1e-9. What remains is the float32 rounding of the
/// runtime's own gradient, hence a tolerance of 1e-4 (relative above 1):
/// twenty times tighter than the float32 check in `GradientCheckTests`.
@Suite("Recurrent gradients match float64 finite differences")
struct Float64GradientCheckTests {
    static let step = 1e-6
    static let tolerance = 1e-4

    enum Cell {
        case simple(Activation)
        case lstm(Activation, Activation)
        case gru(Activation, Activation, resetAfter: Bool)
    }

    struct Setup {
        let cell: Cell
        let features: Int, units: Int, useBias: Bool, returnSequences: Bool, goBackwards: Bool
        let batch: Int, steps: Int
        /// A timestep mask, (batch, steps) of 1 kept / 0 masked, and Keras's zero_output_for_mask.
        var mask: [[Int]]? = nil
        var zeroOutputForMask = false
    }

    static func f(_ activation: Activation, _ x: Double) -> Double {
        switch activation {
        case .linear: return x
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .hardSigmoid: return min(max(x / 6 + 0.5, 0), 1)
        case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
        case .relu: return max(x, 0)
        case .softsign: return x / (1 + abs(x))
        default: fatalError("no float64 reference for \(activation)")
        }
    }

    /// The layer's output for `input` (batch, steps, features), in Double.
    /// Weights in Keras's order and layout: kernel, recurrent kernel, bias.
    static func reference(_ s: Setup, weights: [[Double]], input: [Double]) -> [Double] {
        let u = s.units, n = s.features
        let gates: Int
        switch s.cell { case .simple: gates = 1; case .lstm: gates = 4; case .gru: gates = 3 }
        let width = gates * u
        let w = weights[0], rk = weights[1], bias = s.useBias ? weights[2] : []
        func inputBias(_ j: Int) -> Double { s.useBias ? bias[j] : 0 }
        func recurrentBias(_ j: Int) -> Double {
            if case .gru(_, _, true) = s.cell, s.useBias { return bias[width + j] }
            return 0
        }
        var output: [Double] = []
        var sequences = [Double](repeating: 0, count: s.batch * s.steps * u)
        var last = [Double](repeating: 0, count: s.batch * u)
        for b in 0..<s.batch {
            var h = [Double](repeating: 0, count: u), c = [Double](repeating: 0, count: u)
            // Keras's rnn loop under a mask: a masked step keeps h and c and
            // emits the last output again (zeros before any), or zeros.
            var emitted = [Double](repeating: 0, count: u)
            for position in 0..<s.steps {
                let t = s.goBackwards ? s.steps - 1 - position : position
                let kept = s.mask.map { $0[b][t] != 0 } ?? true
                let (hBefore, cBefore) = (h, c)
                let x = Array(input[(b * s.steps + t) * n..<(b * s.steps + t + 1) * n])
                // xw = x·W + b_in; hu = h·U + b_rec, per column.
                let xw = (0..<width).map { j in (0..<n).reduce(inputBias(j)) { $0 + x[$1] * w[$1 * width + j] } }
                func hu(_ state: [Double], _ j: Int) -> Double {
                    (0..<u).reduce(recurrentBias(j)) { $0 + state[$1] * rk[$1 * width + j] }
                }
                switch s.cell {
                case .simple(let a):
                    h = (0..<u).map { j in f(a, xw[j] + hu(h, j)) }
                case .lstm(let a, let sigma):
                    let z = (0..<width).map { xw[$0] + hu(h, $0) }
                    for j in 0..<u {
                        let i = f(sigma, z[j]), fg = f(sigma, z[u + j]), candidate = f(a, z[2 * u + j]), o = f(sigma, z[3 * u + j])
                        c[j] = fg * c[j] + i * candidate
                        h[j] = o * f(a, c[j])
                    }
                case .gru(let a, let sigma, let resetAfter):
                    let z = (0..<u).map { f(sigma, xw[$0] + hu(h, $0)) }
                    let r = (0..<u).map { f(sigma, xw[u + $0] + hu(h, u + $0)) }
                    let candidate: [Double]
                    if resetAfter {
                        candidate = (0..<u).map { j in f(a, xw[2 * u + j] + r[j] * hu(h, 2 * u + j)) }
                    } else {
                        let reset = (0..<u).map { r[$0] * h[$0] }
                        candidate = (0..<u).map { j in f(a, xw[2 * u + j] + hu(reset, 2 * u + j)) }
                    }
                    h = (0..<u).map { z[$0] * h[$0] + (1 - z[$0]) * candidate[$0] }
                }
                if kept {
                    emitted = h
                } else {
                    (h, c) = (hBefore, cBefore)
                    if s.zeroOutputForMask { emitted = [Double](repeating: 0, count: u) }
                }
                for j in 0..<u { sequences[(b * s.steps + position) * u + j] = emitted[j] }
            }
            for j in 0..<u { last[b * u + j] = emitted[j] }
        }
        output = s.returnSequences ? sequences : last
        return output
    }

    static func layer(_ s: Setup) -> any TrainableLayer & RecurrentLayer {
        var layer: any TrainableLayer & RecurrentLayer
        switch s.cell {
        case .simple(let a):
            layer = SimpleRNN(inputSize: s.features, units: s.units, activation: a, useBias: s.useBias,
                              returnSequences: s.returnSequences, goBackwards: s.goBackwards)
        case .lstm(let a, let sigma):
            layer = LSTM(inputSize: s.features, units: s.units, activation: a, recurrentActivation: sigma, useBias: s.useBias,
                         returnSequences: s.returnSequences, goBackwards: s.goBackwards)
        case .gru(let a, let sigma, let resetAfter):
            layer = GRU(inputSize: s.features, units: s.units, activation: a, recurrentActivation: sigma, useBias: s.useBias,
                        resetAfter: resetAfter, returnSequences: s.returnSequences, goBackwards: s.goBackwards)
        }
        layer.zeroOutputForMask = s.zeroOutputForMask
        return layer
    }

    /// The setup's mask as the model passes it, or nil.
    static func maskTensor(_ s: Setup) -> Tensor? {
        s.mask.map { Tensor(uncheckedShape: [s.batch, s.steps], scalars: $0.flatMap { $0.map(Float.init) }) }
    }

    static func check(_ s: Setup, label: String) throws {
        try checkLayer(
            layer(s), inputShape: [s.batch, s.steps, s.features], mask: maskTensor(s), label: label
        ) { weights, input in reference(s, weights: weights, input: input) }
    }

    /// Any trainable layer against its float64 `reference(weights, input)`:
    /// the forward pass first, then every input and weight gradient of
    /// `Σ upstream · output` by central differences.
    static func checkLayer(
        _ layer: any TrainableLayer, inputShape: [Int], mask: Tensor? = nil, inputValues: [Float]? = nil, checkInput: Bool = true,
        label: String, reference: ([[Double]], [Double]) -> [Double]
    ) throws {
        var layer = layer
        // Weights exactly representable in float32, so both sides use the same numbers.
        var seed: UInt64 = 7
        let weights: [[Float]] = layer.parameterSpecs.map { spec in
            seed += 1
            return GradientCheckTests.values(spec.shape.reduce(1, *), seed: seed, low: -0.7, high: 0.7)
        }
        try layer.setParameters(zip(layer.parameterSpecs, weights).map { try Tensor(shape: $0.shape, scalars: $1) })
        let inputValues = inputValues ?? GradientCheckTests.values(inputShape.reduce(1, *), seed: 99)
        let input = try Tensor(shape: inputShape, scalars: inputValues)
        var context = TrainingContext(training: false, random: RandomSource(seed: 1), mask: mask)
        let (output, pullback) = try layer.forwardWithPullback(input, context: &context)

        let weights64 = weights.map { $0.map(Double.init) }, input64 = inputValues.map(Double.init)
        let expected = reference(weights64, input64)
        #expect(output.count == expected.count, "\(label): output size")
        let forwardGap = zip(output.scalars, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(forwardGap < 1e-5, "\(label): float32 forward vs float64 reference differ by \(forwardGap)")

        let upstream = GradientCheckTests.values(output.count, seed: 5).map(Double.init)
        let (inputGradient, parameterGradients) = try pullback(
            Tensor(uncheckedShape: output.shape, scalars: upstream.map(Float.init)))
        func objective(_ w: [[Double]], _ x: [Double]) -> Double {
            zip(reference(w, x), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
        func agree(_ analytic: Float, _ numeric: Double) -> Bool {
            abs(Double(analytic) - numeric) <= tolerance * max(1, abs(numeric))
        }
        if checkInput {
            for i in input64.indices {
                var plus = input64, minus = input64
                plus[i] += step
                minus[i] -= step
                let numeric = (objective(weights64, plus) - objective(weights64, minus)) / (2 * step)
                #expect(agree(inputGradient.scalars[i], numeric), "\(label): dL/dx[\(i)] = \(inputGradient.scalars[i]), float64 \(numeric)")
            }
        }
        #expect(parameterGradients.map(\.shape) == layer.parameterSpecs.map(\.shape), "\(label): gradient shapes")
        for (p, tensor) in weights64.enumerated() where p < parameterGradients.count {
            for i in tensor.indices {
                var plus = weights64, minus = weights64
                plus[p][i] += step
                minus[p][i] -= step
                let numeric = (objective(plus, input64) - objective(minus, input64)) / (2 * step)
                #expect(agree(parameterGradients[p].scalars[i], numeric),
                        "\(label): dL/d\(layer.parameterSpecs[p].name)[\(i)] = \(parameterGradients[p].scalars[i]), float64 \(numeric)")
            }
        }
    }

    static let setups: [(String, Setup)] = [
        ("SimpleRNN tanh", Setup(cell: .simple(.tanh), features: 2, units: 3, useBias: true, returnSequences: false, goBackwards: false, batch: 2, steps: 4)),
        ("SimpleRNN relu, sequences, backwards, no bias", Setup(cell: .simple(.relu), features: 2, units: 3, useBias: false, returnSequences: true, goBackwards: true, batch: 2, steps: 3)),
        ("LSTM tanh/sigmoid", Setup(cell: .lstm(.tanh, .sigmoid), features: 2, units: 3, useBias: true, returnSequences: false, goBackwards: false, batch: 2, steps: 4)),
        ("LSTM sequences, backwards, no bias", Setup(cell: .lstm(.tanh, .sigmoid), features: 3, units: 2, useBias: false, returnSequences: true, goBackwards: true, batch: 2, steps: 3)),
        ("LSTM relu / Keras 2 hard_sigmoid", Setup(cell: .lstm(.relu, .hardSigmoidKeras2), features: 2, units: 3, useBias: true, returnSequences: true, goBackwards: false, batch: 2, steps: 3)),
        ("GRU reset_after", Setup(cell: .gru(.tanh, .sigmoid, resetAfter: true), features: 2, units: 3, useBias: true, returnSequences: false, goBackwards: false, batch: 2, steps: 4)),
        ("GRU reset_after, sequences, backwards, Keras 3 hard_sigmoid", Setup(cell: .gru(.softsign, .hardSigmoid, resetAfter: true), features: 3, units: 2, useBias: true, returnSequences: true, goBackwards: true, batch: 2, steps: 3)),
        ("GRU reset_before", Setup(cell: .gru(.tanh, .sigmoid, resetAfter: false), features: 2, units: 3, useBias: true, returnSequences: false, goBackwards: false, batch: 2, steps: 4)),
        ("GRU reset_before, sequences, no bias", Setup(cell: .gru(.tanh, .sigmoid, resetAfter: false), features: 2, units: 3, useBias: false, returnSequences: true, goBackwards: false, batch: 2, steps: 3)),
    ]

    /// Right padding, left padding, a gap in the middle, and a sequence masked throughout.
    static let mask = [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 1, 1], [0, 0, 0, 0, 0]]

    static let maskedSetups: [(String, Setup)] = [
        ("SimpleRNN masked", Setup(cell: .simple(.tanh), features: 2, units: 3, useBias: true, returnSequences: false, goBackwards: false, batch: 4, steps: 5, mask: mask)),
        ("SimpleRNN masked, sequences, backwards", Setup(cell: .simple(.tanh), features: 2, units: 2, useBias: true, returnSequences: true, goBackwards: true, batch: 4, steps: 5, mask: mask)),
        ("LSTM masked, sequences", Setup(cell: .lstm(.tanh, .sigmoid), features: 2, units: 2, useBias: true, returnSequences: true, goBackwards: false, batch: 4, steps: 5, mask: mask)),
        ("LSTM masked, zero output, backwards", Setup(cell: .lstm(.tanh, .sigmoid), features: 2, units: 2, useBias: true, returnSequences: false, goBackwards: true, batch: 4, steps: 5, mask: mask, zeroOutputForMask: true)),
        ("GRU masked, sequences, zero output", Setup(cell: .gru(.tanh, .sigmoid, resetAfter: true), features: 2, units: 2, useBias: true, returnSequences: true, goBackwards: false, batch: 4, steps: 5, mask: mask, zeroOutputForMask: true)),
        ("GRU reset_before masked", Setup(cell: .gru(.tanh, .sigmoid, resetAfter: false), features: 2, units: 2, useBias: true, returnSequences: false, goBackwards: false, batch: 4, steps: 5, mask: mask)),
    ]

    @Test("under a timestep mask (Keras's rnn loop), against float64 finite differences", arguments: 0..<maskedSetups.count)
    func maskedRecurrentLayer(_ index: Int) throws {
        let (label, setup) = Self.maskedSetups[index]
        try Self.check(setup, label: label)
    }

    @Test("every recurrent cell, each option, against float64 finite differences", arguments: 0..<setups.count)
    func recurrentLayer(_ index: Int) throws {
        let (label, setup) = Self.setups[index]
        try Self.check(setup, label: label)
    }
}
