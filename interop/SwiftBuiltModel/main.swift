// Builds a model in Swift code (no Keras file involved), saves it in every
// format kerasio writes, and records its input and kerasio's prediction, so
// the interop check can load those files in Keras and compare.
// Usage: swift-built-model OUTPUT_DIRECTORY
import Foundation
import KerasIO
import RNNRuntime

/// Deterministic weights in [-0.5, 0.5) from a linear congruential sequence.
struct Sequence {
    var state: UInt64 = 20_261_124
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    mutating func tensor(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in next() })
    }
}

do {
    let arguments = CommandLine.arguments
    guard arguments.count == 2 else {
        FileHandle.standardError.write(Data("usage: swift-built-model OUTPUT_DIRECTORY\n".utf8))
        exit(2)
    }
    let directory = URL(fileURLWithPath: arguments[1])
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var random = Sequence()

    var first = SimpleRNN(name: "encoder", inputSize: 3, units: 5, activation: .tanh, returnSequences: true)
    try first.setParameters([try random.tensor([3, 5]), try random.tensor([5, 5]), try random.tensor([5])])
    // LSTM and both GRUs: Keras-style seeded initial weights, then the
    // biases set off zero so a bias in the wrong place shows.
    var seeded = RandomSource(seed: 2026)
    var lstm = LSTM(name: "memory", inputSize: 5, units: 6, returnSequences: true)
    lstm.initialize(random: &seeded)
    try lstm.setParameters([lstm.parameters[0], lstm.parameters[1], try random.tensor([24])])
    var gruAfter = GRU(name: "gate_after", inputSize: 6, units: 4, returnSequences: true)
    gruAfter.initialize(random: &seeded)
    try gruAfter.setParameters([gruAfter.parameters[0], gruAfter.parameters[1], try random.tensor([2, 12])])
    var gruBefore = GRU(
        name: "gate_before", inputSize: 4, units: 5, activation: .relu, resetAfter: false, returnSequences: true,
        goBackwards: true)
    try gruBefore.setParameters([try random.tensor([4, 15]), try random.tensor([5, 15]), try random.tensor([15])])
    var second = SimpleRNN(name: "summary", inputSize: 5, units: 4, activation: .gelu, useBias: false, goBackwards: true)
    try second.setParameters([try random.tensor([5, 4]), try random.tensor([4, 4])])
    var head = Dense(name: "head", inputSize: 4, units: 2, activation: .sigmoid)
    try head.setParameters([try random.tensor([4, 2]), try random.tensor([2])])
    let model = try Sequential(
        name: "built_in_swift", inputShape: [7, 3],
        layers: [first, Dropout(name: "regularise", rate: 0.25), lstm, gruAfter, gruBefore, second, head])

    let input = try random.tensor([4, 7, 3])
    try NumpyArrayFile.write(NumpyArray(shape: input.shape, values: input.scalars), to: directory.appendingPathComponent("input.npy").path)
    let prediction = try model.predict(input)
    try NumpyArrayFile.write(
        NumpyArray(shape: prediction.shape, values: prediction.scalars),
        to: directory.appendingPathComponent("prediction.npy").path)

    for (name, format, keras) in [
        ("k3.h5", KerasFileFormat.legacyH5, KerasGeneration.keras3), ("k2.h5", .legacyH5, .keras2),
        ("keras", .kerasArchive, .keras3), ("weights.h5", .kerasWeightsH5, .keras3),
    ] {
        try KerasModelWriter.write(model, to: directory.appendingPathComponent("model.\(name)").path, format: format, keras: keras)
    }
    print("wrote \(directory.path)")
} catch {
    FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
    exit(1)
}
