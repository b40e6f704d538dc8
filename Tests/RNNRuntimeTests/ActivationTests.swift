import Foundation
import Testing
@testable import RNNRuntime

/// Formula checks at chosen points; agreement with Keras itself is tested on
/// the Keras-made fixtures in KerasIOTests.
@Suite("Activations")
struct ActivationTests {
    /// Float32 evaluation of these closed forms is good to a few ulps.
    let tolerance: Float = 1e-6

    @Test("each activation gives its textbook value at chosen points")
    func knownValues() {
        let cases: [(Activation, Float, Float)] = [
            (.linear, -3, -3),
            (.tanh, 0.5, Foundation.tanh(0.5)),
            (.sigmoid, 0, 0.5),
            (.sigmoid, 2, 1 / (1 + Foundation.exp(-2))),
            (.hardSigmoid, 1.5, 0.75),  // Keras 3: x/6 + 1/2
            (.hardSigmoid, 3, 1),
            (.hardSigmoid, -3, 0),
            (.hardSigmoidKeras2, 1.5, 0.8),  // Keras 2: 0.2x + 1/2
            (.hardSigmoidKeras2, 2.5, 1),
            (.hardSigmoidKeras2, -2.5, 0),
            (.relu, -1, 0), (.relu, 2, 2),
            (.relu6, 7, 6), (.relu6, -1, 0), (.relu6, 3, 3),
            (.leakyReLU(negativeSlope: 0.2), -2, -0.4),
            (.leakyReLU(negativeSlope: 0.2), 2, 2),
            (.elu(alpha: 1), -1, Foundation.exp(-1) - 1),
            (.elu(alpha: 1), 2, 2),
            (.selu, 1, 1.05070098),
            (.selu, -1, 1.05070098 * 1.67326324 * (Foundation.exp(-1) - 1)),
            (.softplus, 0, Foundation.log(2)),
            (.softplus, 100, 100),
            (.softplus, -20, Foundation.exp(-20)),
            (.softplus, -100, Foundation.exp(-100)),
            (.softsign, 1, 0.5), (.softsign, -3, -0.75),
            (.swish, 1, 1 / (1 + Foundation.exp(-1))),
            (.gelu, 1, 0.841344746),
            (.gelu, -1, -0.158655254),
            (.exponential, 1, Foundation.exp(1)),
        ]
        for (activation, x, expected) in cases {
            let value = activation(x)
            if expected != 0 && abs(expected) < 1e-3 {
                // Tiny values: relative, plus one subnormal ulp (exp(-100) is
                // a subnormal float), so that 0 does not pass for exp(-100).
                #expect(abs(value - expected) <= 1e-5 * abs(expected) + Float.leastNonzeroMagnitude,
                        "\(activation) at \(x): \(value), expected \(expected)")
            } else {
                #expect(abs(value - expected) <= tolerance * max(1, abs(expected)), "\(activation) at \(x): \(value)")
            }
        }
    }

    @Test("zero maps where Keras maps it")
    func atZero() {
        let atZero: [(Activation, Float)] = [
            (.linear, 0), (.tanh, 0), (.sigmoid, 0.5), (.hardSigmoid, 0.5), (.hardSigmoidKeras2, 0.5),
            (.relu, 0), (.relu6, 0), (.leakyReLU(negativeSlope: 0.2), 0), (.elu(alpha: 1), 0),
            (.selu, 0), (.softsign, 0), (.swish, 0), (.gelu, 0), (.exponential, 1),
        ]
        for (activation, expected) in atZero { #expect(activation(0) == expected, "\(activation)") }
    }

    @Test("NaN propagates and infinities saturate without NaN")
    func nanAndInfinity() {
        let all: [Activation] = [
            .linear, .tanh, .sigmoid, .hardSigmoid, .hardSigmoidKeras2, .relu, .relu6,
            .leakyReLU(negativeSlope: 0.2), .elu(alpha: 1), .selu, .softplus, .softsign, .swish, .gelu, .exponential,
        ]
        for activation in all { #expect(activation(.nan).isNaN, "\(activation)") }
        #expect(Activation.sigmoid.callAsFunction(.infinity) == 1)
        #expect(Activation.sigmoid.callAsFunction(-.infinity) == 0)
        #expect(Activation.tanh.callAsFunction(-.infinity) == -1)
        #expect(Activation.softplus.callAsFunction(.infinity) == .infinity)
        #expect(Activation.softplus(-.infinity) == 0)
        #expect(Activation.relu6.callAsFunction(.infinity) == 6)
        #expect(Activation.exponential.callAsFunction(-.infinity) == 0)
        #expect(Activation.sigmoid.callAsFunction(-100) > 0, "no underflow to exactly zero this early")
    }

    @Test("softmax normalises each row of the last axis and is shift-invariant")
    func softmaxRows() {
        var values: [Float] = [1, 2, 3, 1000, 1000, 1000]
        Activation.softmax.apply(&values, lastAxis: 3)
        let e = [Foundation.exp(Float(-2)), Foundation.exp(Float(-1)), 1]
        let total = e.reduce(0, +)
        for j in 0..<3 { #expect(abs(values[j] - e[j] / total) <= tolerance) }
        for j in 3..<6 { #expect(abs(values[j] - 1.0 / 3.0) <= tolerance) }
    }

    @Test("softmax of a single-unit row is one")
    func softmaxSingle() {
        var values: [Float] = [-5, 7]
        Activation.softmax.apply(&values, lastAxis: 1)
        #expect(values == [1, 1])
    }

    @Test("an empty buffer is left alone")
    func empty() {
        var values: [Float] = []
        Activation.softmax.apply(&values, lastAxis: 4)
        Activation.tanh.apply(&values, lastAxis: 4)
        #expect(values.isEmpty)
    }
}
