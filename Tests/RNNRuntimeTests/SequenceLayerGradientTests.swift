import Foundation
import Testing
@testable import RNNRuntime

/// Bidirectional, TimeDistributed, Embedding and Masking backward passes
/// against float64 finite differences of a float64 restatement of each
/// layer (Keras's `bidirectional.py`, `time_distributed.py`, `embedding.py`,
/// `masking.py`), with `Float64GradientCheckTests`' step and tolerance.
@Suite("Sequence layers' gradients match float64 finite differences")
struct SequenceLayerGradientTests {
    typealias Check = Float64GradientCheckTests

    static func bidirectional(merge: Bidirectional.MergeMode, returnSequences: Bool, mask: [[Int]]?) throws {
        let forward = Check.Setup(
            cell: .lstm(.tanh, .sigmoid), features: 2, units: 2, useBias: true, returnSequences: returnSequences,
            goBackwards: false, batch: 4, steps: 5, mask: mask, zeroOutputForMask: returnSequences)
        var backward = forward
        backward = Check.Setup(
            cell: .gru(.tanh, .sigmoid, resetAfter: true), features: 2, units: 2, useBias: true, returnSequences: returnSequences,
            goBackwards: true, batch: 4, steps: 5, mask: mask, zeroOutputForMask: returnSequences)
        let layer = try Bidirectional(forward: Check.layer(forward), backward: Check.layer(backward), mergeMode: merge)
        let split = 3  // the LSTM's kernel, recurrent kernel, bias
        let rows = returnSequences ? 5 : 1
        try Check.checkLayer(layer, inputShape: [4, 5, 2], mask: Check.maskTensor(forward),
                             label: "Bidirectional \(merge) sequences=\(returnSequences) masked=\(mask != nil)") { weights, input in
            let f = Check.reference(forward, weights: Array(weights[..<split]), input: input)
            let r = Check.reference(backward, weights: Array(weights[split...]), input: input)
            var output: [Double] = []
            for b in 0..<4 {
                for row in 0..<rows {
                    let fv = Array(f[(b * rows + row) * 2..<(b * rows + row + 1) * 2])
                    let rv = Array(r[(b * rows + rows - 1 - row) * 2..<(b * rows + rows - row) * 2])
                    switch merge {
                    case .concat, .separate: output += fv + rv
                    case .sum: output += zip(fv, rv).map { $0 + $1 }
                    case .mul: output += zip(fv, rv).map { $0 * $1 }
                    case .ave: output += zip(fv, rv).map { ($0 + $1) / 2 }
                    }
                }
            }
            return output
        }
    }

    @Test("Bidirectional in every merge mode, with and without a mask", arguments: Bidirectional.MergeMode.allCases)
    func bidirectionalModes(_ merge: Bidirectional.MergeMode) throws {
        try Self.bidirectional(merge: merge, returnSequences: true, mask: Float64GradientCheckTests.mask)
        try Self.bidirectional(merge: merge, returnSequences: false, mask: Float64GradientCheckTests.mask)
        try Self.bidirectional(merge: merge, returnSequences: true, mask: nil)
    }

    @Test("RNN(StackedRNNCells) reading backwards under a mask: the cells in turn at every step")
    func stackedCells() throws {
        let mask = Float64GradientCheckTests.mask
        for returnSequences in [false, true] {
            let first = Check.Setup(
                cell: .lstm(.tanh, .sigmoid), features: 2, units: 3, useBias: true, returnSequences: true,
                goBackwards: true, batch: 4, steps: 5, mask: mask)
            // The second cell reads the first's outputs, which come in processing order: so does its mask.
            let reversedMask = mask.map { Array($0.reversed()) }
            let second = Check.Setup(
                cell: .gru(.tanh, .sigmoid, resetAfter: true), features: 3, units: 2, useBias: true,
                returnSequences: returnSequences, goBackwards: false, batch: 4, steps: 5, mask: reversedMask)
            let stack = try StackedRNN(layers: [Check.layer(first), Check.layer(second)])
            try Check.checkLayer(stack, inputShape: [4, 5, 2], mask: Check.maskTensor(first),
                                 label: "StackedRNN sequences=\(returnSequences)") { weights, input in
                let h = Check.reference(first, weights: Array(weights[..<3]), input: input)
                return Check.reference(second, weights: Array(weights[3...]), input: h)
            }
        }
    }

    @Test("TimeDistributed(Dense) is the Dense at every step")
    func timeDistributed() throws {
        let layer = TimeDistributed(inner: Dense(inputSize: 3, units: 2, activation: .tanh))
        try Check.checkLayer(layer, inputShape: [2, 4, 3], label: "TimeDistributed(Dense)") { weights, input in
            var output: [Double] = []
            for row in 0..<8 {
                for j in 0..<2 {
                    output.append(Foundation.tanh((0..<3).reduce(weights[1][j]) { $0 + input[row * 3 + $1] * weights[0][$1 * 2 + j] }))
                }
            }
            return output
        }
    }

    @Test("Embedding: each id's row; the rows' gradients add up")
    func embedding() throws {
        let ids: [Float] = [3, 0, 1, 3, 4, 4, 0, 2]
        let layer = Embedding(inputDim: 5, outputDim: 3, maskZero: true)
        try Check.checkLayer(layer, inputShape: [2, 4], inputValues: ids, checkInput: false, label: "Embedding") { weights, input in
            input.flatMap { id in (0..<3).map { weights[0][Int(id) * 3 + $0] } }
        }
    }

    @Test("Masking: the input at kept steps, zeros at masked ones")
    func masking() throws {
        var values = GradientCheckTests.values(2 * 4 * 3, seed: 3)
        for i in 3..<6 { values[i] = 0.5 }  // sample 0, step 1: every feature is the mask value
        for i in 21..<24 { values[i] = 0.5 }
        let layer = Masking(maskValue: 0.5)
        // The mask is not differentiable: it is held at the unperturbed input's, as TensorFlow's gradient does.
        let masked = (0..<8).filter { row in (0..<3).allSatisfy { values[row * 3 + $0] == 0.5 } }
        #expect(masked == [1, 7])
        try Check.checkLayer(layer, inputShape: [2, 4, 3], inputValues: values, label: "Masking") { _, input in
            var output = input
            for row in masked {
                for i in row * 3..<row * 3 + 3 { output[i] = 0 }
            }
            return output
        }
    }
}
