import Foundation
import Testing
@testable import RNNRuntime

/// Conv1D, the 1D pooling layers and global pooling: backward passes against
/// float64 finite differences of a float64 restatement of each layer (TF's
/// convolution and pooling as Keras calls them: "SAME" padding split with
/// the odd step on the right, causal padding on the left, padded positions
/// left out of max and average pooling), with `Float64GradientCheckTests`'
/// step and tolerance.
@Suite("Conv1D and pooling gradients match float64 finite differences")
struct ConvLayerGradientTests {
    typealias Check = Float64GradientCheckTests

    /// A plain restatement of Conv1D: for every output step and filter, the
    /// sum over taps and the group's channels, then bias and activation.
    static func conv1D(_ layer: Conv1D, batch: Int, steps: Int, weights: [[Double]], input: [Double]) -> [Double] {
        let channels = layer.inputChannels, perGroup = channels / layer.groups, filtersPerGroup = layer.filters / layer.groups
        let span = (layer.kernelSize - 1) * layer.dilationRate + 1
        let out: Int, left: Int
        switch layer.padding {
        case .valid: out = (steps - span) / layer.strides + 1; left = 0
        case .causal: out = (steps + layer.strides - 1) / layer.strides; left = span - 1
        case .same:
            out = (steps + layer.strides - 1) / layer.strides
            left = max((out - 1) * layer.strides + span - steps, 0) / 2
        }
        var output: [Double] = []
        for b in 0..<batch {
            for t in 0..<out {
                for f in 0..<layer.filters {
                    let g = f / filtersPerGroup
                    var sum = layer.useBias ? weights[1][f] : 0
                    for k in 0..<layer.kernelSize {
                        let step = t * layer.strides - left + k * layer.dilationRate
                        guard step >= 0 && step < steps else { continue }
                        for c in 0..<perGroup {
                            sum += input[(b * steps + step) * channels + g * perGroup + c]
                                * weights[0][(k * perGroup + c) * layer.filters + f]
                        }
                    }
                    output.append(Check.f(layer.activation, sum))
                }
            }
        }
        return output
    }

    static let convolutions: [(String, Conv1D, steps: Int)] = [
        ("valid, tanh", Conv1D(inputChannels: 3, filters: 2, kernelSize: 3, activation: .tanh), 6),
        ("same, strides 2, no bias", Conv1D(inputChannels: 2, filters: 3, kernelSize: 3, strides: 2, padding: .same, useBias: false), 7),
        ("same, even kernel", Conv1D(inputChannels: 2, filters: 2, kernelSize: 4, padding: .same, activation: .sigmoid), 5),
        ("causal, dilation 2", Conv1D(inputChannels: 2, filters: 3, kernelSize: 3, padding: .causal, dilationRate: 2, activation: .tanh), 6),
        ("valid, strides 3", Conv1D(inputChannels: 3, filters: 2, kernelSize: 2, strides: 3), 8),
        ("groups 2, same, dilation 2", Conv1D(inputChannels: 4, filters: 4, kernelSize: 2, padding: .same, dilationRate: 2, groups: 2, activation: .tanh), 5),
        ("groups 3, causal, strides 2", Conv1D(inputChannels: 3, filters: 6, kernelSize: 3, strides: 2, padding: .causal, groups: 3), 7),
    ]

    @Test("Conv1D: input, kernel and bias gradients", arguments: 0..<convolutions.count)
    func conv1D(_ index: Int) throws {
        let (label, layer, steps) = Self.convolutions[index]
        let batch = 2
        try Check.checkLayer(layer, inputShape: [batch, steps, layer.inputChannels], label: "Conv1D \(label)") { weights, input in
            Self.conv1D(layer, batch: batch, steps: steps, weights: weights, input: input)
        }
    }

    /// Pooling restated: windows over real steps only.
    static func pool(_ layer: Pooling1D, batch: Int, sample: [Int], input: [Double]) -> [Double] {
        let first = layer.dataFormat == .channelsFirst
        let (steps, channels) = first ? (sample[1], sample[0]) : (sample[0], sample[1])
        let out = layer.padding == .valid ? (steps - layer.poolSize) / layer.strides + 1 : (steps + layer.strides - 1) / layer.strides
        let left = layer.padding == .valid ? 0 : max((out - 1) * layer.strides + layer.poolSize - steps, 0) / 2
        func at(_ b: Int, _ t: Int, _ c: Int) -> Double {
            input[b * steps * channels + (first ? c * steps + t : t * channels + c)]
        }
        var output = [Double](repeating: 0, count: batch * out * channels)
        for b in 0..<batch {
            for t in 0..<out {
                let lo = max(t * layer.strides - left, 0), hi = min(t * layer.strides - left + layer.poolSize, steps)
                for c in 0..<channels {
                    let values = (lo..<hi).map { at(b, $0, c) }
                    let value = layer.mode == .max ? values.max()! : values.reduce(0, +) / Double(values.count)
                    output[b * out * channels + (first ? c * out + t : t * channels + c)] = value
                }
            }
        }
        return output
    }

    static let poolings: [(String, Pooling1D, sample: [Int])] = [
        ("max, default", Pooling1D(mode: .max), [7, 3]),
        ("max, same, strides 2", Pooling1D(mode: .max, poolSize: 3, strides: 2, padding: .same), [8, 2]),
        ("average, valid, strides 1", Pooling1D(mode: .average, poolSize: 3, strides: 1), [6, 2]),
        ("average, same edges", Pooling1D(mode: .average, poolSize: 4, strides: 1, padding: .same), [5, 2]),
        ("max, channels first", Pooling1D(mode: .max, poolSize: 2, dataFormat: .channelsFirst), [3, 5]),
        ("average, same, channels first", Pooling1D(mode: .average, poolSize: 3, strides: 2, padding: .same, dataFormat: .channelsFirst), [2, 7]),
    ]

    @Test("MaxPooling1D and AveragePooling1D: input gradients", arguments: 0..<poolings.count)
    func pooling(_ index: Int) throws {
        let (label, layer, sample) = Self.poolings[index]
        try Check.checkLayer(layer, inputShape: [2] + sample, label: "Pooling1D \(label)") { _, input in
            Self.pool(layer, batch: 2, sample: sample, input: input)
        }
    }

    /// Global pooling restated; under a mask the average of the kept steps.
    static func globalPool(_ layer: GlobalPooling1D, batch: Int, sample: [Int], mask: [[Int]]?, input: [Double]) -> [Double] {
        let first = layer.dataFormat == .channelsFirst
        let (steps, channels) = first ? (sample[1], sample[0]) : (sample[0], sample[1])
        var output: [Double] = []
        for b in 0..<batch {
            for c in 0..<channels {
                let values = (0..<steps).filter { mask?[b][$0] ?? 1 == 1 }
                    .map { input[b * steps * channels + (first ? c * steps + $0 : $0 * channels + c)] }
                output.append(layer.mode == .max ? values.max()! : values.reduce(0, +) / Double(values.count))
            }
        }
        return output
    }

    @Test("GlobalMaxPooling1D and GlobalAveragePooling1D, keepdims, channels first, and the masked average")
    func globalPooling() throws {
        let mask = [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 1, 1], [1, 1, 1, 1, 1]]
        let maskTensor = Tensor(uncheckedShape: [4, 5], scalars: mask.flatMap { $0.map(Float.init) })
        let cases: [(String, GlobalPooling1D, [Int], [[Int]]?)] = [
            ("max", GlobalPooling1D(mode: .max), [5, 3], nil),
            ("average keepdims", GlobalPooling1D(mode: .average, keepDims: true), [5, 3], nil),
            ("max channels first keepdims", GlobalPooling1D(mode: .max, keepDims: true, dataFormat: .channelsFirst), [3, 5], nil),
            ("average channels first", GlobalPooling1D(mode: .average, dataFormat: .channelsFirst), [3, 5], nil),
            ("average masked", GlobalPooling1D(mode: .average), [5, 3], mask),
            ("max ignores the mask", GlobalPooling1D(mode: .max), [5, 3], mask),
        ]
        for (label, layer, sample, m) in cases {
            let referenceMask = layer.mode == .average ? m : nil
            try Check.checkLayer(layer, inputShape: [4] + sample, mask: m == nil ? nil : maskTensor, label: "GlobalPooling1D \(label)") { _, input in
                Self.globalPool(layer, batch: 4, sample: sample, mask: referenceMask, input: input)
            }
        }
    }

    @Test("the pointer forward (masked global average too) equals the training forward")
    func pointerForwardMatchesTraining() throws {
        let model = try Sequential(inputShape: [6, 3], layers: [
            Masking(), GlobalPooling1D(mode: .average),
        ])
        var x = GradientCheckTests.values(4 * 6 * 3, seed: 3)
        for i in 12..<18 { x[i] = 0 }  // sample 0, last two steps masked
        let input = try Tensor(shape: [4, 6, 3], scalars: x)
        let predicted = try model.predict(input)
        for c in 0..<3 {
            let mean = (0..<4).map { x[$0 * 3 + c] }.reduce(0, +) / 4
            #expect(abs(predicted.scalars[c] - mean) < 1e-6, "sample 0 averages its 4 kept steps")
        }
        var conv = Conv1D(inputChannels: 3, filters: 4, kernelSize: 3, strides: 2, padding: .same, activation: .tanh)
        try conv.setParameters([Tensor(shape: [3, 3, 4], scalars: GradientCheckTests.values(36, seed: 4)),
                                Tensor(shape: [4], scalars: GradientCheckTests.values(4, seed: 5))])
        var context = TrainingContext(training: false, random: RandomSource(seed: 1))
        let trained = try conv.forwardForTraining(input, context: &context).output
        #expect(try conv.forward(input) == trained)
    }
}
