import Foundation
import Testing
import TestSupport
@testable import KerasIO
import RNNRuntime

/// The tutorial's Part 1, as a test: from the weights read out of a Keras
/// file, compute h1, h2, h3 and o3 by hand and compare with the runtime and
/// with Keras's own prediction.
@Suite("The tutorial's walkthrough")
struct TutorialWalkthroughTests {
    let tolerance: Float = 1e-5

    /// wx (features×units), wh (units×units), bh (units), wy (units×1), by (1) as row-major arrays.
    struct Weights {
        let features: Int, units: Int
        let wx: [Float], wh: [Float], bh: [Float], wy: [Float], by: [Float]
    }

    func weights(of model: KerasModel) throws -> Weights {
        let rnn = try #require(model.network.layers.first as? SimpleRNN)
        let dense = try #require(model.network.layers.last as? Dense)
        let p = rnn.parameters, q = dense.parameters
        try #require(p.count == 3 && q.count == 2)
        return Weights(features: rnn.cell.inputSize, units: rnn.cell.units,
                       wx: p[0].scalars, wh: p[1].scalars, bh: p[2].scalars, wy: q[0].scalars, by: q[1].scalars)
    }

    /// h_t = x_t·wx + h_{t-1}·wh + bh (linear activation), o3 = h3·wy + by.
    func byHand(_ w: Weights, x: [[Float]]) -> (hidden: [[Float]], output: Float) {
        var h = [Float](repeating: 0, count: w.units)  // h0
        var hidden: [[Float]] = []
        for xt in x {
            var next = w.bh
            for j in 0..<w.units {
                for i in 0..<w.features { next[j] += xt[i] * w.wx[i * w.units + j] }
                for k in 0..<w.units { next[j] += h[k] * w.wh[k * w.units + j] }
            }
            h = next
            hidden.append(h)
        }
        var o = w.by[0]
        for k in 0..<w.units { o += h[k] * w.wy[k] }
        return (hidden, o)
    }

    @Test("h1, h2, h3 and o3 by hand equal the runtime and Keras for input [1, 2, 3]",
          arguments: ["keras2", "keras3"])
    func singleFeature(_ dir: String) throws {
        let model = try KerasModel.load(from: Fixtures.path("\(dir)/tutorial_linear.h5"))
        let w = try weights(of: model)
        #expect(w.features == 1 && w.units == 2)
        let input = try Fixtures.array("\(dir)/tutorial_linear.input.npy")
        #expect(input.values == [1, 2, 3])
        let (hidden, o3) = byHand(w, x: [[1], [2], [3]])
        #expect(hidden.count == 3)

        var sequenceRNN = try #require(model.network.layers.first as? SimpleRNN)
        sequenceRNN = SimpleRNN(name: "h", inputSize: 1, units: 2, activation: .linear, returnSequences: true)
        try sequenceRNN.setParameters(try #require(model.network.layers.first as? SimpleRNN).parameters)
        let states = try sequenceRNN(try Tensor(shape: [1, 3, 1], scalars: [1, 2, 3]))
        let mismatch = Agreement.mismatch(states.scalars, expected: hidden.flatMap { $0 }, tolerance: tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")

        let runtime = try model.predict(try Tensor(shape: [1, 3, 1], scalars: [1, 2, 3]))
        let keras = try Fixtures.array("\(dir)/tutorial_linear.expected.npy")
        #expect(abs(runtime.scalars[0] - o3) <= tolerance)
        #expect(abs(keras.values[0] - o3) <= tolerance, "Keras's predict equals the hand computation")
    }

    @Test("the walkthrough with two features per step: x_t is a row, wx is features×units",
          arguments: ["keras2", "keras3"])
    func multiFeature(_ dir: String) throws {
        let model = try KerasModel.load(from: Fixtures.path("\(dir)/tutorial_linear_multifeature.h5"))
        let w = try weights(of: model)
        #expect(w.features == 2)
        let input = try Fixtures.array("\(dir)/tutorial_linear_multifeature.input.npy")
        let keras = try Fixtures.array("\(dir)/tutorial_linear_multifeature.expected.npy")
        let samples = input.shape[0], steps = input.shape[1]
        let runtime = try model.predict(try Tensor(shape: input.shape, scalars: input.values))
        for s in 0..<samples {
            let x = (0..<steps).map { t in Array(input.values[(s * steps + t) * 2..<(s * steps + t) * 2 + 2]) }
            let o3 = byHand(w, x: x).output
            #expect(abs(runtime.scalars[s] - o3) <= tolerance)
            #expect(abs(keras.values[s] - o3) <= tolerance)
        }
    }
}
