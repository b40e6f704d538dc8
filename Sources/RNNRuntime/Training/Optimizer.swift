/// Keras 3's optimizers, with its formulas and defaults
/// (`keras/src/optimizers/`). State is per parameter, in the order the
/// parameters are passed; `iterations` counts applied steps, as Keras's does.
public protocol Optimizer: Sendable {
    var learningRate: Float { get set }
    /// Starts one update of all parameters (Adam counts them for its bias correction).
    mutating func beginStep()
    /// Updates the `index`-th parameter in place from its gradient; every
    /// parameter is passed once per step, in the same order each step.
    mutating func update(parameter index: Int, values: inout [Float], gradient: [Float])
    /// The same, with the squares the optimizer's second moment takes
    /// given separately (Keras 3's sparse Embedding gradients, see
    /// `TrainableLayer.parameterGradientSquares`); nil: the gradient's own.
    mutating func update(parameter index: Int, values: inout [Float], gradient: [Float], squares: [Float]?)
    /// The name Keras gives it in configs.
    var kerasClassName: String { get }
    /// Its config as Keras's `get_config()` writes it (for `training_config`).
    var kerasConfig: [(String, Double?)] { get }
}

extension Optimizer {
    /// Optimizers that square no gradient ignore the squares.
    public mutating func update(parameter index: Int, values: inout [Float], gradient: [Float], squares: [Float]?) {
        update(parameter: index, values: &values, gradient: gradient)
    }

    /// Applies one update to every parameter given its gradient.
    public mutating func apply(gradients: [Tensor], to parameters: inout [Tensor]) {
        beginStep()
        for index in parameters.indices {
            update(parameter: index, values: &parameters[index].scalars, gradient: gradients[index].scalars)
        }
    }

    public mutating func beginStep() {}
}

/// Per-parameter state buffers, created zeroed (or filled) on first use.
struct SlotStore: Sendable {
    var slots: [[Float]] = []

    /// Makes sure slot `index` exists with `count` values.
    mutating func prepare(_ index: Int, count: Int, fill: Float = 0) {
        while slots.count <= index { slots.append([]) }
        if slots[index].count != count { slots[index] = [Float](repeating: fill, count: count) }
    }
}

/// `SGD(learning_rate=0.01, momentum=0, nesterov=False)`:
/// without momentum `w -= lr·g`; with it `m = momentum·m - lr·g`, then
/// `w += m`, or with Nesterov `w += momentum·m - lr·g`.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    var velocity = SlotStore()

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float]) {
        update(parameter: index, values: &values, gradient: g, squares: nil)
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float], squares: [Float]?) {
        velocity.prepare(index, count: values.count)
        values.withUnsafeMutableBufferPointer { w in
            velocity.slots[index].withUnsafeMutableBufferPointer { velocity in
                for i in 0..<min(w.count, g.count) {
                    if momentum != 0 {
                        let m = -g[i] * learningRate + velocity[i] * momentum
                        velocity[i] = m
                        w[i] += nesterov ? -g[i] * learningRate + m * momentum : m
                    } else {
                        w[i] -= g[i] * learningRate
                    }
                }
            }
        }
    }

    public var kerasClassName: String { "SGD" }
    public var kerasConfig: [(String, Double?)] {
        [("learning_rate", Double(learningRate)), ("momentum", Double(momentum)), ("nesterov", nesterov ? 1 : 0)]
    }
}

/// `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`:
/// `m += (g - m)(1 - β1)`; `v += (g² - v)(1 - β2)`; with amsgrad `v̂ = max(v̂, v)`;
/// `α = lr·√(1 - β2ᵗ)/(1 - β1ᵗ)` with t = iterations + 1; `w -= α·m / (√v + ε)`.
/// Note ε is added to √v unscaled, after the bias correction moved into α.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var amsgrad: Bool
    public private(set) var iterations = 0
    var m = SlotStore(), v = SlotStore(), vHat = SlotStore()
    /// α of the current step.
    var stepSize: Float = 0

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7, amsgrad: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
    }

    public mutating func beginStep() {
        let t = Float(iterations + 1)
        stepSize = learningRate * (1 - Float.pow(beta2, t)).squareRoot() / (1 - Float.pow(beta1, t))
        iterations += 1
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float]) {
        update(parameter: index, values: &values, gradient: g, squares: nil)
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float], squares: [Float]?) {
        m.prepare(index, count: values.count)
        v.prepare(index, count: values.count)
        if amsgrad { vHat.prepare(index, count: values.count) }
        let alpha = stepSize
        values.withUnsafeMutableBufferPointer { w in
            m.slots[index].withUnsafeMutableBufferPointer { m in
                v.slots[index].withUnsafeMutableBufferPointer { v in
                    for i in 0..<min(w.count, g.count) {
                        m[i] += (g[i] - m[i]) * (1 - beta1)
                        v[i] += ((squares?[i] ?? g[i] * g[i]) - v[i]) * (1 - beta2)
                        var second = v[i]
                        if amsgrad {
                            vHat.slots[index][i] = max(vHat.slots[index][i], second)
                            second = vHat.slots[index][i]
                        }
                        w[i] -= (m[i] * alpha) / (second.squareRoot() + epsilon)
                    }
                }
            }
        }
    }

    public var kerasClassName: String { "Adam" }
    public var kerasConfig: [(String, Double?)] {
        [("learning_rate", Double(learningRate)), ("beta_1", Double(beta1)), ("beta_2", Double(beta2)),
         ("epsilon", Double(epsilon)), ("amsgrad", amsgrad ? 1 : 0)]
    }
}

/// `RMSprop(learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-7, centered=False)`:
/// `s = ρs + (1 - ρ)g²`; centered: `ḡ = ρḡ + (1 - ρ)g`, denominator `s - ḡ² + ε`,
/// else `s + ε`; `Δ = lr·g / √denominator`; with momentum `m = momentum·m + Δ`,
/// `w -= m`, else `w -= Δ`.
public struct RMSprop: Optimizer {
    public var learningRate: Float
    public var rho: Float
    public var momentum: Float
    public var epsilon: Float
    public var centered: Bool
    var velocity = SlotStore(), average = SlotStore(), momentums = SlotStore()

    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7, centered: Bool = false) {
        self.learningRate = learningRate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float]) {
        update(parameter: index, values: &values, gradient: g, squares: nil)
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float], squares: [Float]?) {
        velocity.prepare(index, count: values.count)
        average.prepare(index, count: values.count)
        momentums.prepare(index, count: values.count)
        for i in 0..<min(values.count, g.count) {
            velocity.slots[index][i] = rho * velocity.slots[index][i] + (1 - rho) * (squares?[i] ?? g[i] * g[i])
            var denominator = velocity.slots[index][i]
            if centered {
                average.slots[index][i] = rho * average.slots[index][i] + (1 - rho) * g[i]
                denominator -= average.slots[index][i] * average.slots[index][i]
            }
            let increment = learningRate * g[i] / (denominator + epsilon).squareRoot()
            if momentum > 0 {
                momentums.slots[index][i] = momentum * momentums.slots[index][i] + increment
                values[i] -= momentums.slots[index][i]
            } else {
                values[i] -= increment
            }
        }
    }

    public var kerasClassName: String { "RMSprop" }
    public var kerasConfig: [(String, Double?)] {
        [("learning_rate", Double(learningRate)), ("rho", Double(rho)), ("momentum", Double(momentum)),
         ("epsilon", Double(epsilon)), ("centered", centered ? 1 : 0)]
    }
}

/// `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`:
/// `a += g²`; `w -= lr·g / √(a + ε)`.
public struct Adagrad: Optimizer {
    public var learningRate: Float
    public var initialAccumulatorValue: Float
    public var epsilon: Float
    var accumulators = SlotStore()

    public init(learningRate: Float = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float]) {
        update(parameter: index, values: &values, gradient: g, squares: nil)
    }

    public mutating func update(parameter index: Int, values: inout [Float], gradient g: [Float], squares: [Float]?) {
        accumulators.prepare(index, count: values.count, fill: initialAccumulatorValue)
        for i in 0..<min(values.count, g.count) {
            accumulators.slots[index][i] += squares?[i] ?? g[i] * g[i]
            values[i] -= learningRate * g[i] / (accumulators.slots[index][i] + epsilon).squareRoot()
        }
    }

    public var kerasClassName: String { "Adagrad" }
    public var kerasConfig: [(String, Double?)] {
        [("learning_rate", Double(learningRate)), ("initial_accumulator_value", Double(initialAccumulatorValue)),
         ("epsilon", Double(epsilon))]
    }
}

extension Float {
    static func pow(_ base: Float, _ exponent: Float) -> Float { Float(Foundation.pow(Double(base), Double(exponent))) }
}

import Foundation
