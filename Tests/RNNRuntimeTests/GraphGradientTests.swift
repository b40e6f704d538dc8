import Foundation
import Testing
@testable import RNNRuntime

/// Merge layers, recurrent states in and out, and whole-graph training
/// against float64 finite differences of float64 restatements (Keras's
/// `merging/*.py`, the LSTM cell, and the graph's loss), with
/// `Float64GradientCheckTests`' step and tolerance.
@Suite("Graph gradients match float64 finite differences")
struct GraphGradientTests {
    typealias Check = Float64GradientCheckTests

    static func agree(_ analytic: Float, _ numeric: Double) -> Bool {
        abs(Double(analytic) - numeric) <= Check.tolerance * max(1, abs(numeric))
    }

    /// A merge's forward against `reference` and its input gradients against finite differences of it.
    static func checkMerge(
        _ layer: any TrainableMultiTensorLayer, shapes: [[Int]], label: String, reference: ([[Double]]) -> [Double]
    ) throws {
        let inputs = try shapes.enumerated().map { index, shape in
            try Tensor(shape: shape, scalars: GradientCheckTests.values(shape.reduce(1, *), seed: 40 + UInt64(index)))
        }
        let output = try layer.forward(inputs)
        let x64 = inputs.map { $0.scalars.map(Double.init) }
        let expected = reference(x64)
        #expect(output.count == expected.count, "\(label): output size")
        let gap = zip(output.scalars, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(gap < 1e-5, "\(label): forward differs by \(gap)")
        let upstream = GradientCheckTests.values(output.count, seed: 5)
        let gradients = try layer.backward(Tensor(uncheckedShape: output.shape, scalars: upstream), inputs: inputs, output: output)
        func objective(_ x: [[Double]]) -> Double { zip(reference(x), upstream).reduce(0) { $0 + $1.0 * Double($1.1) } }
        for k in x64.indices {
            for i in x64[k].indices {
                var plus = x64, minus = x64
                plus[k][i] += Check.step
                minus[k][i] -= Check.step
                let numeric = (objective(plus) - objective(minus)) / (2 * Check.step)
                #expect(agree(gradients[k].scalars[i], numeric), "\(label): dL/dx\(k)[\(i)] = \(gradients[k].scalars[i]), float64 \(numeric)")
            }
        }
    }

    @Test("element-wise merges of three inputs (Subtract of two)", arguments: ElementwiseMerge.Operation.allCases)
    func elementwise(_ operation: ElementwiseMerge.Operation) throws {
        let count = operation == .subtract ? 2 : 3
        try Self.checkMerge(ElementwiseMerge(name: "m", operation: operation), shapes: Array(repeating: [2, 3, 2], count: count),
                            label: operation.rawValue) { x in
            x[0].indices.map { i in
                let values = x.map { $0[i] }
                switch operation {
                case .add: return values.reduce(0, +)
                case .subtract: return values[0] - values[1]
                case .multiply: return values.reduce(1, *)
                case .average: return values.reduce(0, +) / Double(values.count)
                case .maximum: return values.max()!
                case .minimum: return values.min()!
                }
            }
        }
    }

    @Test("Concatenate along the features and along the steps")
    func concatenate() throws {
        try Self.checkMerge(Concatenate(name: "c", axis: -1), shapes: [[2, 3, 2], [2, 3, 1]], label: "axis -1") { (x: [[Double]]) -> [Double] in
            var out: [Double] = []
            for row in 0..<6 { out += Array(x[0][row * 2..<row * 2 + 2]); out.append(x[1][row]) }
            return out
        }
        try Self.checkMerge(Concatenate(name: "c", axis: 1), shapes: [[2, 3, 2], [2, 1, 2]], label: "axis 1") { (x: [[Double]]) -> [Double] in
            var out: [Double] = []
            for b in 0..<2 { out += Array(x[0][b * 6..<b * 6 + 6]); out += Array(x[1][b * 2..<b * 2 + 2]) }
            return out
        }
    }

    @Test("Dot along the features and along the steps, with and without normalize")
    func dot() throws {
        func normalized(_ rows: [[Double]], _ normalize: Bool) -> [[Double]] {
            guard normalize else { return rows }
            return rows.map { row in
                let inverse = min(1 / row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e7)
                return row.map { $0 * inverse }
            }
        }
        for normalize in [false, true] {
            // (2, 3, 2)·(2, 4, 2) along the features: (2, 3, 4).
            try Self.checkMerge(Dot(name: "d", axes: (-1, -1), normalize: normalize), shapes: [[2, 3, 2], [2, 4, 2]],
                                label: "Dot features normalize=\(normalize)") { x in
                (0..<2).flatMap { b -> [Double] in
                    let a = normalized((0..<3).map { Array(x[0][(b * 3 + $0) * 2..<(b * 3 + $0) * 2 + 2]) }, normalize)
                    let c = normalized((0..<4).map { Array(x[1][(b * 4 + $0) * 2..<(b * 4 + $0) * 2 + 2]) }, normalize)
                    return a.flatMap { r in c.map { s in zip(r, s).reduce(0) { $0 + $1.0 * $1.1 } } }
                }
            }
            // (2, 3, 2)·(2, 3, 4) along the steps: (2, 2, 4).
            try Self.checkMerge(Dot(name: "d", axes: (1, 1), normalize: normalize), shapes: [[2, 3, 2], [2, 3, 4]],
                                label: "Dot steps normalize=\(normalize)") { x in
                (0..<2).flatMap { b -> [Double] in
                    let a = normalized((0..<2).map { j in (0..<3).map { x[0][(b * 3 + $0) * 2 + j] } }, normalize)
                    let c = normalized((0..<4).map { j in (0..<3).map { x[1][(b * 3 + $0) * 4 + j] } }, normalize)
                    return a.flatMap { r in c.map { s in zip(r, s).reduce(0) { $0 + $1.0 * $1.1 } } }
                }
            }
        }
    }

    /// A float64 LSTM (Keras's gate order i, f, c, o; sigmoid and tanh) from
    /// `h0`, `c0`: every step's h, and the final h and c, per sample.
    static func lstm(_ w: [[Double]], x: [Double], h0: [Double], c0: [Double], batch: Int, steps: Int, features: Int, units: Int)
        -> (sequence: [Double], h: [Double], c: [Double]) {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        var sequence: [Double] = [], hs: [Double] = [], cs: [Double] = []
        for b in 0..<batch {
            var h = Array(h0[b * units..<(b + 1) * units]), c = Array(c0[b * units..<(b + 1) * units])
            for s in 0..<steps {
                let xt = Array(x[(b * steps + s) * features..<(b * steps + s + 1) * features])
                var z = w[2]
                for j in 0..<4 * units {
                    for f in 0..<features { z[j] += xt[f] * w[0][f * 4 * units + j] }
                    for k in 0..<units { z[j] += h[k] * w[1][k * 4 * units + j] }
                }
                for j in 0..<units {
                    c[j] = sigmoid(z[units + j]) * c[j] + sigmoid(z[j]) * Foundation.tanh(z[2 * units + j])
                    h[j] = sigmoid(z[3 * units + j]) * Foundation.tanh(c[j])
                }
                sequence += h
            }
            hs += h
            cs += c
        }
        return (sequence, hs, cs)
    }

    @Test("LSTM with initial_state and return_state: gradients into the initial states and from the final ones")
    func lstmStates() throws {
        let batch = 2, steps = 3, features = 2, units = 3
        var layer = LSTM(name: "lstm", inputSize: features, units: units, returnSequences: true)
        layer.returnState = true
        var seed: UInt64 = 11
        let weights: [[Float]] = layer.parameterSpecs.map { spec in
            seed += 1
            return GradientCheckTests.values(spec.shape.reduce(1, *), seed: seed, low: -0.7, high: 0.7)
        }
        try layer.setParameters(zip(layer.parameterSpecs, weights).map { try Tensor(shape: $0.shape, scalars: $1) })
        let x = GradientCheckTests.values(batch * steps * features, seed: 1)
        let h0 = GradientCheckTests.values(batch * units, seed: 2), c0 = GradientCheckTests.values(batch * units, seed: 3)
        var context = TrainingContext(training: false, random: RandomSource(seed: 0))
        let (output, final, pullback) = try layer.forwardWithStates(
            try Tensor(shape: [batch, steps, features], scalars: x), initialState: h0 + c0, context: &context)
        let w64 = weights.map { $0.map(Double.init) }
        let reference = Self.lstm(w64, x: x.map(Double.init), h0: h0.map(Double.init), c0: c0.map(Double.init),
                                  batch: batch, steps: steps, features: features, units: units)
        let forwardGap = zip(output.scalars + final, reference.sequence + reference.h + reference.c).map { abs(Double($0) - $1) }.max()!
        #expect(forwardGap < 1e-5, "forward and final states differ by \(forwardGap)")
        let dy = GradientCheckTests.values(output.count, seed: 7), dState = GradientCheckTests.values(final.count, seed: 8)
        let (dx, dW, dInitial) = try pullback.run(Tensor(uncheckedShape: output.shape, scalars: dy), dState)
        func objective(_ w: [[Double]], _ x: [Double], _ h0: [Double], _ c0: [Double]) -> Double {
            let r = Self.lstm(w, x: x, h0: h0, c0: c0, batch: batch, steps: steps, features: features, units: units)
            return zip(r.sequence, dy).reduce(0) { $0 + $1.0 * Double($1.1) } + zip(r.h + r.c, dState).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let x64 = x.map(Double.init), h64 = h0.map(Double.init), c64 = c0.map(Double.init)
        func numeric(_ change: (inout [[Double]], inout [Double], inout [Double], inout [Double], Double) -> Void) -> Double {
            var w1 = w64, x1 = x64, h1 = h64, c1 = c64, w2 = w64, x2 = x64, h2 = h64, c2 = c64
            change(&w1, &x1, &h1, &c1, Check.step)
            change(&w2, &x2, &h2, &c2, -Check.step)
            return (objective(w1, x1, h1, c1) - objective(w2, x2, h2, c2)) / (2 * Check.step)
        }
        for i in x64.indices {
            let n = numeric { _, x, _, _, d in x[i] += d }
            #expect(Self.agree(dx.scalars[i], n), "dL/dx[\(i)] \(dx.scalars[i]) vs \(n)")
        }
        for i in h64.indices {
            let nh = numeric { _, _, h, _, d in h[i] += d }, nc = numeric { _, _, _, c, d in c[i] += d }
            #expect(Self.agree(dInitial[i], nh), "dL/dh0[\(i)] \(dInitial[i]) vs \(nh)")
            #expect(Self.agree(dInitial[h64.count + i], nc), "dL/dc0[\(i)] \(dInitial[h64.count + i]) vs \(nc)")
        }
        for p in w64.indices {
            for i in w64[p].indices {
                let n = numeric { w, _, _, _, d in w[p][i] += d }
                #expect(Self.agree(dW[p].scalars[i], n), "dL/dW\(p)[\(i)] \(dW[p].scalars[i]) vs \(n)")
            }
        }
    }

    /// A graph with a fan-out, a shared layer called twice and two outputs:
    /// one SGD step (learning rate 1) moves each weight by its gradient,
    /// which must be float64's finite difference of the summed, weighted losses.
    @Test("graph training: gradients summed at fan-out and over a shared layer's calls, losses weighted per output")
    func graphStep() throws {
        let shared = Dense(name: "shared", inputSize: 3, units: 3, activation: .tanh)
        let head = Dense(name: "head", inputSize: 3, units: 2, activation: .linear)
        let side = Dense(name: "side", inputSize: 3, units: 1, activation: .linear)
        // x -> shared -> shared (again) -> add(with first shared output) -> head ; first shared output -> side
        var graph = try Graph(
            inputs: [("x", [3])], layers: [shared, ElementwiseMerge(name: "add", operation: .add), head, side],
            calls: [.init(layer: 0, inputs: [0]), .init(layer: 0, inputs: [1]), .init(layer: 1, inputs: [1, 2]),
                    .init(layer: 2, inputs: [3]), .init(layer: 3, inputs: [1])],
            outputs: [4, 5], outputNames: ["head", "side"])
        var seed: UInt64 = 20
        var weights: [[[Float]]] = []
        for index in graph.layers.indices {
            let values = graph.layers[index].parameterSpecs.map { spec -> [Float] in
                seed += 1
                return GradientCheckTests.values(spec.shape.reduce(1, *), seed: seed, low: -0.7, high: 0.7)
            }
            try graph.setParameters(zip(graph.layers[index].parameterSpecs, values).map { try Tensor(shape: $0.shape, scalars: $1) }, ofLayerAt: index)
            weights.append(values)
        }
        let x = GradientCheckTests.values(4 * 3, seed: 3), y0 = GradientCheckTests.values(4 * 2, seed: 4), y1 = GradientCheckTests.values(4, seed: 5)
        let lossWeights: [Float] = [1, 0.5]
        func dense(_ w: [Double], _ b: [Double], _ input: [Double], rows: Int, inSize: Int, outSize: Int, tanh: Bool) -> [Double] {
            (0..<rows).flatMap { r in (0..<outSize).map { j in
                let z = (0..<inSize).reduce(b[j]) { $0 + input[r * inSize + $1] * w[$1 * outSize + j] }
                return tanh ? Foundation.tanh(z) : z
            } }
        }
        func loss(_ w: [[[Double]]]) -> Double {
            let x64 = x.map(Double.init)
            let a = dense(w[0][0], w[0][1], x64, rows: 4, inSize: 3, outSize: 3, tanh: true)
            let b = dense(w[0][0], w[0][1], a, rows: 4, inSize: 3, outSize: 3, tanh: true)
            let sum = zip(a, b).map { $0 + $1 }
            let p0 = dense(w[2][0], w[2][1], sum, rows: 4, inSize: 3, outSize: 2, tanh: false)
            let p1 = dense(w[3][0], w[3][1], a, rows: 4, inSize: 3, outSize: 1, tanh: false)
            let mse0 = zip(p0, y0).reduce(0) { $0 + pow($1.0 - Double($1.1), 2) } / 8
            let mse1 = zip(p1, y1).reduce(0) { $0 + pow($1.0 - Double($1.1), 2) } / 4
            return Double(lossWeights[0]) * mse0 + Double(lossWeights[1]) * mse1
        }
        var optimizer: any Optimizer = SGD(learningRate: 1)
        var context = TrainingContext(training: true, random: RandomSource(seed: 0))
        let reported = try graph.trainStep(
            x: [try Tensor(shape: [4, 3], scalars: x)], y: [try Tensor(shape: [4, 2], scalars: y0), try Tensor(shape: [4, 1], scalars: y1)],
            losses: [.meanSquaredError, .meanSquaredError], weights: lossWeights, optimizer: &optimizer, context: &context)
        let w64 = weights.map { $0.map { $0.map(Double.init) } }
        #expect(abs(Double(reported) - loss(w64)) < 1e-5, "loss \(reported) vs float64 \(loss(w64))")
        for (l, layer) in graph.layers.enumerated() {
            for (p, values) in layer.parameters.enumerated() {
                for i in values.scalars.indices {
                    let analytic = weights[l][p][i] - values.scalars[i]
                    var plus = w64, minus = w64
                    plus[l][p][i] += Check.step
                    minus[l][p][i] -= Check.step
                    let numeric = (loss(plus) - loss(minus)) / (2 * Check.step)
                    #expect(Self.agree(analytic, numeric), "\(layer.name) weight \(p)[\(i)]: \(analytic) vs \(numeric)")
                }
            }
        }
    }
}
