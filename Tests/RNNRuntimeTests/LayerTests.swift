import Foundation
import Testing
@testable import RNNRuntime
import TestSupport

/// Hand-computed forward passes; Keras agreement is tested in KerasIOTests.
@Suite("Layers and models")
struct LayerTests {
    let tolerance: Float = 1e-6

    func tensor(_ shape: [Int], _ values: [Float]) throws -> Tensor {
        try Tensor(shape: shape, scalars: values)
    }

    @Test("a tensor refuses a shape that disagrees with its element count")
    func tensorValidation() {
        #expect(throws: RuntimeError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: RuntimeError.self) { try Tensor(shape: [-1], scalars: []) }
        #expect(Tensor.describe([2, 12, 1]) == "(2, 12, 1)")
        #expect(Tensor.describe([5]) == "(5,)")
        #expect(Tensor.describe([nil, 3]) == "(None, 3)")
    }

    @Test("Dense on (batch, features) computes x·W + b then the activation")
    func dense2D() throws {
        var dense = Dense(inputSize: 2, units: 2, activation: .relu)
        try dense.setParameters([try tensor([2, 2], [1, -1, 2, 0.5]), try tensor([2], [0.5, -3])])
        let y = try dense(try tensor([1, 2], [1, 2]))
        // [1·1 + 2·2 + 0.5, 1·-1 + 2·0.5 - 3] = [5.5, -3] -> relu -> [5.5, 0]
        #expect(y.shape == [1, 2])
        #expect(y.scalars == [5.5, 0])
    }

    @Test("Dense on (batch, steps, features) applies the kernel to every step")
    func dense3D() throws {
        var dense = Dense(inputSize: 1, units: 2, useBias: false)
        try dense.setParameters([try tensor([1, 2], [2, 3])])
        let y = try dense(try tensor([1, 3, 1], [1, 2, 3]))
        #expect(y.shape == [1, 3, 2])
        #expect(y.scalars == [2, 3, 4, 6, 6, 9])
    }

    @Test("setting weights is strict about count and shapes and names the weight")
    func strictWeights() throws {
        var dense = Dense(name: "out", inputSize: 3, units: 2)
        #expect(throws: RuntimeError.parameterCountMismatch(layer: "out", expected: ["kernel", "bias"], actualCount: 1)) {
            try dense.setParameters([Tensor(zeros: [3, 2])])
        }
        #expect(throws: RuntimeError.parameterShapeMismatch(layer: "out", parameter: "kernel", expected: [3, 2], actual: [2, 3])) {
            try dense.setParameters([Tensor(zeros: [2, 3]), Tensor(zeros: [2])])
        }
        var rnn = SimpleRNN(name: "rnn", inputSize: 1, units: 3)
        #expect(throws: RuntimeError.parameterShapeMismatch(layer: "rnn", parameter: "recurrent_kernel", expected: [3, 3], actual: [3, 2])) {
            try rnn.setParameters([Tensor(zeros: [1, 3]), Tensor(zeros: [3, 2]), Tensor(zeros: [3])])
        }
    }

    /// The tutorial's computation written out: h_t = x_t·Wx + h_{t-1}·Wh + bh.
    func handSimpleRNN(_ x: [[Float]], wx: [[Float]], wh: [[Float]], bh: [Float], f: Activation) -> [[Float]] {
        let units = bh.count
        var h = [Float](repeating: 0, count: units)
        var all: [[Float]] = []
        for xt in x {
            var next = bh
            for j in 0..<units {
                for (i, xi) in xt.enumerated() { next[j] += xi * wx[i][j] }
                for k in 0..<units { next[j] += h[k] * wh[k][j] }
                next[j] = f(next[j])
            }
            h = next
            all.append(h)
        }
        return all
    }

    func sampleRNN(returnSequences: Bool = false, goBackwards: Bool = false) throws -> SimpleRNN {
        var rnn = SimpleRNN(inputSize: 2, units: 2, activation: .tanh, returnSequences: returnSequences, goBackwards: goBackwards)
        try rnn.setParameters([
            try tensor([2, 2], [0.5, -0.25, 0.125, 1]),
            try tensor([2, 2], [0.9, 0.1, -0.3, 0.7]),
            try tensor([2], [0.05, -0.1]),
        ])
        return rnn
    }

    let wx: [[Float]] = [[0.5, -0.25], [0.125, 1]]
    let wh: [[Float]] = [[0.9, 0.1], [-0.3, 0.7]]
    let bh: [Float] = [0.05, -0.1]
    let sequence: [[Float]] = [[1, 2], [-1, 0.5], [0.25, -2]]

    @Test("SimpleRNN with several features per step matches the written-out recurrence")
    func simpleRNNLastState() throws {
        let y = try sampleRNN()(try tensor([1, 3, 2], sequence.flatMap { $0 }))
        let expected = handSimpleRNN(sequence, wx: wx, wh: wh, bh: bh, f: .tanh).last ?? []
        let mismatch = Agreement.mismatch(y.scalars, shape: y.shape, expected: expected, expectedShape: [1, 2], tolerance: tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("return_sequences gives every step's state; go_backwards runs last to first, unreversed")
    func sequencesAndBackwards() throws {
        let input = try tensor([1, 3, 2], sequence.flatMap { $0 })
        let forward = try sampleRNN(returnSequences: true)(input)
        let expected = handSimpleRNN(sequence, wx: wx, wh: wh, bh: bh, f: .tanh).flatMap { $0 }
        let forwardMismatch = Agreement.mismatch(
            forward.scalars, shape: forward.shape, expected: expected, expectedShape: [1, 3, 2], tolerance: tolerance,
            what: "forward")
        #expect(forwardMismatch == nil, "\(forwardMismatch ?? "")")

        let backward = try sampleRNN(returnSequences: true, goBackwards: true)(input)
        let expectedBackward = handSimpleRNN(sequence.reversed(), wx: wx, wh: wh, bh: bh, f: .tanh).flatMap { $0 }
        let backwardMismatch = Agreement.mismatch(
            backward.scalars, shape: backward.shape, expected: expectedBackward, expectedShape: [1, 3, 2],
            tolerance: tolerance, what: "go_backwards sequence")
        #expect(backwardMismatch == nil, "\(backwardMismatch ?? "")")

        let lastOnly = try sampleRNN(goBackwards: true)(input)
        let lastMismatch = Agreement.mismatch(
            lastOnly.scalars, shape: lastOnly.shape, expected: Array(expectedBackward.suffix(2)), expectedShape: [1, 2],
            tolerance: tolerance, what: "go_backwards last state")
        #expect(lastMismatch == nil, "\(lastMismatch ?? "")")
    }

    @Test("samples in a batch do not mix")
    func batchIndependence() throws {
        let rnn = try sampleRNN(returnSequences: true)
        let other: [[Float]] = [[0, 0], [3, -1], [0.5, 0.5]]
        let both = try rnn(try tensor([2, 3, 2], (sequence + other).flatMap { $0 }))
        let first = try rnn(try tensor([1, 3, 2], sequence.flatMap { $0 }))
        let second = try rnn(try tensor([1, 3, 2], other.flatMap { $0 }))
        #expect(both.scalars == first.scalars + second.scalars)
    }

    @Test("a model checks the input's steps and features and names the one that differs")
    func inputShapeCheck() throws {
        let model = try Sequential(inputShape: [3, 2], layers: [try sampleRNN(), Dense(inputSize: 2, units: 1)])
        #expect(model.outputShape == [1])
        #expect(throws: RuntimeError.self) { try model.predict(Tensor(zeros: [1, 3, 1])) }
        do {
            _ = try model.predict(Tensor(zeros: [2, 4, 2]))
            Issue.record("expected a shape error")
        } catch let error as RuntimeError {
            #expect(error.localizedDescription.contains("4 steps, the model takes 3"))
        }
        #expect(throws: RuntimeError.self) { try model.predict(Tensor(zeros: [3, 2])) }
        #expect(throws: RuntimeError.self) { try model.predict(Tensor(zeros: [0, 3, 2])) }
    }

    @Test("variable-length models take any number of steps")
    func variableSteps() throws {
        let model = try Sequential(inputShape: [nil, 2], layers: [try sampleRNN()])
        #expect(try model.predict(Tensor(zeros: [1, 7, 2])).shape == [1, 2])
        #expect(throws: RuntimeError.self) { try model.predict(Tensor(zeros: [1, 0, 2])) }
    }

    @Test("layers that cannot follow each other are refused when the model is built")
    func incompatibleChain() {
        #expect(throws: RuntimeError.self) {
            try Sequential(inputShape: [3, 2], layers: [Dense(inputSize: 2, units: 4), SimpleRNN(inputSize: 3, units: 1)])
        }
        #expect(throws: RuntimeError.self) {
            try Sequential(inputShape: [2], layers: [SimpleRNN(inputSize: 2, units: 1)])
        }
    }

    @Test("Dropout is the identity at inference and parameter counts add up like model.summary()")
    func dropoutAndCounts() throws {
        let rnn = try sampleRNN(returnSequences: true)
        let model = try Sequential(inputShape: [3, 2], layers: [rnn, Dropout(rate: 0.5), Dense(inputSize: 2, units: 1)])
        let input = try tensor([1, 3, 2], sequence.flatMap { $0 })
        #expect(try Dropout(rate: 0.5)(input) == input)
        #expect(model.parameterCount == (2 * 2 + 2 * 2 + 2) + 0 + (2 + 1))
        #expect(model.layerOutputShapes == [[3, 2], [3, 2], [3, 1]])
    }
}
