import Foundation
import Testing
@testable import RNNRuntime

/// Every backward pass against central finite differences of its forward
/// pass: each layer's input and weight gradients, and each loss's gradient
/// (from probabilities and from logits), so a gradient of the wrong scale,
/// sign or layout fails here as well as against Keras's training fixtures.
///
/// The runtime computes in float32 only, so the forward passes here are
/// float32; the objective (Σ upstream·output) and the difference quotients
/// are accumulated in float64, and the step h = 1e-2 balances float32
/// rounding (about 1e-4 after dividing by 2h) against the O(h²) truncation
/// of central differences. Hence the tolerance 2e-3 (relative above 1): a
/// gradient off by a factor of 2, or one transposed, misses it by far.
@Suite("Gradients match finite differences")
struct GradientCheckTests {
    static let step: Double = 1e-2
    static let tolerance: Double = 2e-3

    /// Deterministic values in [low, high) of both signs.
    static func values(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in low + (high - low) * random.uniform() }
    }

    static func close(_ analytic: Float, _ numeric: Double) -> Bool {
        abs(Double(analytic) - numeric) <= tolerance * max(1, abs(numeric))
    }

    /// Σ upstream·f(x) for a layer, with a fresh training context of a fixed
    /// seed each time (so dropout masks are the same in every evaluation).
    static func objective<L: TrainableLayer>(_ layer: L, _ input: Tensor, _ upstream: [Float], training: Bool) throws -> Double {
        var context = TrainingContext(training: training, random: RandomSource(seed: 42))
        let (output, _) = try layer.forwardForTraining(input, context: &context)
        #expect(output.scalars.count == upstream.count)
        return zip(output.scalars, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks dL/dx and every dL/dθ of `layer` at `input`; returns how many
    /// partial derivatives were compared.
    @discardableResult
    static func checkLayer<L: TrainableLayer>(_ layer: L, input: Tensor, training: Bool = false, label: String) throws -> Int {
        var context = TrainingContext(training: training, random: RandomSource(seed: 42))
        let (output, cache) = try layer.forwardForTraining(input, context: &context)
        let upstream = values(output.scalars.count, seed: 9)
        let (inputGradient, parameterGradients) = try layer.backward(
            Tensor(uncheckedShape: output.shape, scalars: upstream), cache: cache)
        #expect(inputGradient.shape == input.shape, "\(label): input gradient shape")
        #expect(parameterGradients.map(\.shape) == layer.parameters.map(\.shape), "\(label): weight gradient shapes")
        var compared = 0
        for i in input.scalars.indices {
            var plus = input, minus = input
            plus.scalars[i] += Float(step)
            minus.scalars[i] -= Float(step)
            let numeric = (try objective(layer, plus, upstream, training: training)
                - objective(layer, minus, upstream, training: training)) / (2 * step)
            #expect(close(inputGradient.scalars[i], numeric), "\(label): dL/dx[\(i)] = \(inputGradient.scalars[i]), numeric \(numeric)")
            compared += 1
        }
        for (p, parameter) in layer.parameters.enumerated() where p < parameterGradients.count {
            for i in parameter.scalars.indices {
                var plus = layer, minus = layer
                plus.updateParameters { index, values in if index == p { values[i] += Float(step) } }
                minus.updateParameters { index, values in if index == p { values[i] -= Float(step) } }
                let numeric = (try objective(plus, input, upstream, training: training)
                    - objective(minus, input, upstream, training: training)) / (2 * step)
                #expect(close(parameterGradients[p].scalars[i], numeric),
                        "\(label): dL/dθ\(p)[\(i)] = \(parameterGradients[p].scalars[i]), numeric \(numeric)")
                compared += 1
            }
        }
        return compared
    }

    static func dense(inputSize: Int, units: Int, activation: Activation, useBias: Bool = true, seed: UInt64) throws -> Dense {
        var layer = Dense(inputSize: inputSize, units: units, activation: activation, useBias: useBias)
        try layer.setParameters(layer.parameterSpecs.enumerated().map { index, spec in
            try Tensor(shape: spec.shape, scalars: values(spec.shape.reduce(1, *), seed: seed + UInt64(index), low: -0.8, high: 0.8))
        })
        return layer
    }

    static func simpleRNN(
        features: Int, units: Int, activation: Activation = .tanh, useBias: Bool = true, returnSequences: Bool,
        goBackwards: Bool, dropout: Float = 0, recurrentDropout: Float = 0, seed: UInt64
    ) throws -> SimpleRNN {
        var layer = SimpleRNN(
            inputSize: features, units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
            goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout)
        try layer.setParameters(layer.parameterSpecs.enumerated().map { index, spec in
            try Tensor(shape: spec.shape, scalars: values(spec.shape.reduce(1, *), seed: seed + UInt64(index), low: -0.7, high: 0.7))
        })
        return layer
    }

    @Test("Dense: square and non-square kernels, 2-D and 3-D inputs, with and without bias",
          arguments: [(3, 3, Activation.tanh, true), (4, 2, .linear, true), (2, 5, .sigmoid, false), (3, 3, .softplus, true)])
    func denseGradients(_ inputSize: Int, _ units: Int, _ activation: Activation, _ useBias: Bool) throws {
        let layer = try Self.dense(inputSize: inputSize, units: units, activation: activation, useBias: useBias, seed: 3)
        let flat = try Tensor(shape: [2, inputSize], scalars: Self.values(2 * inputSize, seed: 5))
        let sequence = try Tensor(shape: [2, 3, inputSize], scalars: Self.values(6 * inputSize, seed: 6))
        #expect(try Self.checkLayer(layer, input: flat, label: "Dense 2-D") > 0)
        #expect(try Self.checkLayer(layer, input: sequence, label: "Dense 3-D") > 0)
    }

    @Test("SimpleRNN through time: last state or every state, forwards or backwards, with or without bias",
          arguments: [(false, false, true), (true, false, true), (false, true, true), (true, true, false)])
    func simpleRNNGradients(_ returnSequences: Bool, _ goBackwards: Bool, _ useBias: Bool) throws {
        let layer = try Self.simpleRNN(
            features: 2, units: 3, useBias: useBias, returnSequences: returnSequences, goBackwards: goBackwards, seed: 11)
        let input = try Tensor(shape: [2, 4, 2], scalars: Self.values(16, seed: 12))
        #expect(try Self.checkLayer(
            layer, input: input, label: "SimpleRNN(sequences: \(returnSequences), backwards: \(goBackwards))") > 0)
    }

    @Test("SimpleRNN with one unit, one step and relu; and with dropout masks held fixed")
    func simpleRNNEdgeGradients() throws {
        let one = try Self.simpleRNN(features: 1, units: 1, activation: .relu, returnSequences: false, goBackwards: false, seed: 21)
        try Self.checkLayer(one, input: try Tensor(shape: [3, 1, 1], scalars: [0.3, -0.6, 0.9]), label: "SimpleRNN(1), 1 step")
        let dropped = try Self.simpleRNN(
            features: 3, units: 2, returnSequences: true, goBackwards: false, dropout: 0.3, recurrentDropout: 0.4, seed: 22)
        try Self.checkLayer(
            dropped, input: try Tensor(shape: [2, 3, 3], scalars: Self.values(18, seed: 23)), training: true,
            label: "SimpleRNN with dropout")
    }

    /// Any recurrent layer with seeded weights in [-0.7, 0.7).
    static func seeded<Cell: RecurrentCell>(_ layer: RNN<Cell>, seed: UInt64) throws -> RNN<Cell> {
        var layer = layer
        try layer.setParameters(layer.parameterSpecs.enumerated().map { index, spec in
            try Tensor(shape: spec.shape, scalars: values(spec.shape.reduce(1, *), seed: seed + UInt64(index), low: -0.7, high: 0.7))
        })
        return layer
    }

    @Test("LSTM through time: last state or every state, forwards or backwards, with or without bias, each activation pair",
          arguments: [(false, false, true, Activation.tanh, Activation.sigmoid), (true, false, true, .tanh, .sigmoid),
                      (false, true, false, .relu, .sigmoid), (true, true, true, .tanh, .hardSigmoid),
                      (false, false, true, .softsign, .hardSigmoidKeras2), (true, false, true, .softmax, .sigmoid)])
    func lstmGradients(_ returnSequences: Bool, _ goBackwards: Bool, _ useBias: Bool, _ activation: Activation, _ gate: Activation) throws {
        let layer = try Self.seeded(LSTM(
            inputSize: 2, units: 3, activation: activation, recurrentActivation: gate, useBias: useBias,
            returnSequences: returnSequences, goBackwards: goBackwards), seed: 41)
        let input = try Tensor(shape: [2, 4, 2], scalars: Self.values(16, seed: 42))
        #expect(try Self.checkLayer(
            layer, input: input,
            label: "LSTM(sequences: \(returnSequences), backwards: \(goBackwards), bias: \(useBias), \(activation)/\(gate))") > 0)
    }

    @Test("GRU, reset_after true and false, through time, with or without bias",
          arguments: [(true, false, false, true), (true, true, true, true), (false, false, false, true),
                      (false, true, true, false), (true, false, true, false)])
    func gruGradients(_ resetAfter: Bool, _ returnSequences: Bool, _ goBackwards: Bool, _ useBias: Bool) throws {
        let layer = try Self.seeded(GRU(
            inputSize: 2, units: 3, useBias: useBias, resetAfter: resetAfter,
            returnSequences: returnSequences, goBackwards: goBackwards), seed: 51)
        let input = try Tensor(shape: [2, 4, 2], scalars: Self.values(16, seed: 52))
        #expect(try Self.checkLayer(
            layer, input: input,
            label: "GRU(reset_after: \(resetAfter), sequences: \(returnSequences), backwards: \(goBackwards), bias: \(useBias))") > 0)
    }

    @Test("LSTM and GRU with one unit and one step, relu; and with the input dropout mask held fixed")
    func lstmAndGRUEdgeGradients() throws {
        let one = try Tensor(shape: [3, 1, 1], scalars: [0.3, -0.6, 0.9])
        try Self.checkLayer(try Self.seeded(LSTM(inputSize: 1, units: 1, activation: .relu), seed: 61), input: one, label: "LSTM(1)")
        try Self.checkLayer(try Self.seeded(GRU(inputSize: 1, units: 1, activation: .relu), seed: 62), input: one, label: "GRU(1)")
        try Self.checkLayer(
            try Self.seeded(GRU(inputSize: 1, units: 1, resetAfter: false), seed: 63), input: one, label: "GRU(1, reset before)")
        let input = try Tensor(shape: [2, 3, 3], scalars: Self.values(18, seed: 64))
        try Self.checkLayer(
            try Self.seeded(LSTM(inputSize: 3, units: 2, returnSequences: true, dropout: 0.3), seed: 65), input: input,
            training: true, label: "LSTM with dropout")
        try Self.checkLayer(
            try Self.seeded(GRU(inputSize: 3, units: 2, resetAfter: false, dropout: 0.3), seed: 66), input: input,
            training: true, label: "GRU with dropout")
    }

    @Test("training refuses what Keras would do differently: recurrent dropout on LSTM and GRU")
    func recurrentDropoutRefused() throws {
        var context = TrainingContext(training: true, random: RandomSource(seed: 1))
        let input = try Tensor(shape: [1, 2, 1], scalars: [0.1, 0.2])
        #expect(throws: RuntimeError.self) {
            _ = try LSTM(inputSize: 1, units: 2, recurrentDropout: 0.2).forwardForTraining(input, context: &context)
        }
        #expect(throws: RuntimeError.self) {
            _ = try GRU(inputSize: 1, units: 2, implementation: 1, dropout: 0.2).forwardForTraining(input, context: &context)
        }
        // Inference ignores both rates.
        #expect(try LSTM(inputSize: 1, units: 2, recurrentDropout: 0.2).forward(input).shape == [1, 2])
    }

    @Test("Dropout: the gradient goes back through the same mask, scaled")
    func dropoutGradient() throws {
        try Self.checkLayer(
            Dropout(rate: 0.4), input: try Tensor(shape: [3, 4], scalars: Self.values(12, seed: 31)), training: true,
            label: "Dropout")
    }

    /// (loss, predictions, targets), away from the kinks of MAE and Huber.
    static let lossCases: [(Loss, [Float], [Float])] = [
        (.meanSquaredError, [0.3, -1.2, 2.5, 0.1, 0.7, -0.4], [1, 0, 2, -1, 0.5, 0.5]),
        (.meanAbsoluteError, [0.3, -1.2, 2.5, 0.1, 0.7, -0.4], [1, 0, 2, -1, 0.5, 0.5]),
        (.huber, [0.3, -1.2, 2.5, 0.1, 0.7, -0.4], [1, 0, 0.5, -1, 0.5, 0.2]),
        (.binaryCrossentropy, [0.3, 0.8, 0.55, 0.1, 0.7, 0.4], [1, 0, 1, 0, 0.5, 1]),
        (.categoricalCrossentropy, [0.2, 0.5, 0.3, 0.6, 0.1, 0.3], [0, 1, 0, 1, 0, 0]),
    ]

    @Test("each loss's gradient with respect to the predictions", arguments: 0..<lossCases.count)
    func lossGradient(_ index: Int) throws {
        let (loss, predicted, target) = Self.lossCases[index]
        let p = try Tensor(shape: [2, 3], scalars: predicted), y = try Tensor(shape: [2, 3], scalars: target)
        let (_, gradient) = try loss.evaluate(predicted: p, target: y)
        #expect(gradient.shape == p.shape)
        let h: Float = 1e-3  // the predictions are O(1) and some losses are steep near 0 and 1
        for i in predicted.indices {
            var plus = p, minus = p
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (Double(try loss.evaluate(predicted: plus, target: y).value)
                - Double(try loss.evaluate(predicted: minus, target: y).value)) / (2 * Double(h))
            #expect(Self.close(gradient.scalars[i], numeric), "\(loss): dL/dp[\(i)] = \(gradient.scalars[i]), numeric \(numeric)")
        }
    }

    @Test("binary and categorical cross-entropy from logits: the gradient with respect to the logits",
          arguments: [Loss.binaryCrossentropy, .categoricalCrossentropy])
    func logitsGradient(_ loss: Loss) throws {
        let z = try Tensor(shape: [2, 3], scalars: [0.4, -1.3, 2.1, -0.2, 0.9, -2.4])
        let y = try Tensor(shape: [2, 3], scalars: loss == .binaryCrossentropy ? [1, 0, 1, 0, 0.5, 1] : [0, 1, 0, 0, 0, 1])
        let (_, gradient) = try loss.evaluateFromLogits(z, target: y)
        #expect(gradient.shape == z.shape)
        for i in z.scalars.indices {
            var plus = z, minus = z
            plus.scalars[i] += Float(Self.step)
            minus.scalars[i] -= Float(Self.step)
            let numeric = (Double(try loss.evaluateFromLogits(plus, target: y).value)
                - Double(try loss.evaluateFromLogits(minus, target: y).value)) / (2 * Self.step)
            #expect(Self.close(gradient.scalars[i], numeric), "\(loss) from logits: dL/dz[\(i)] = \(gradient.scalars[i]), numeric \(numeric)")
        }
        // The logits path computes the same loss as the probabilities path.
        let probabilities = try Tensor(
            shape: [2, 3],
            scalars: loss == .binaryCrossentropy ? z.scalars.map(Activation.logistic)
                : (0..<2).flatMap { r -> [Float] in
                    let row = z.scalars[r * 3..<(r + 1) * 3], largest = row.max() ?? 0
                    let e = row.map { Foundation.exp($0 - largest) }, total = e.reduce(0, +)
                    return e.map { $0 / total }
                })
        let fromLogits = try loss.evaluateFromLogits(z, target: y).value
        let fromProbabilities = try loss.evaluate(predicted: probabilities, target: y).value
        #expect(abs(fromLogits - fromProbabilities) <= 1e-5 * max(1, abs(fromLogits)))
    }
}
