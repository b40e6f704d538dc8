import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// The LSTM and GRU cells against Keras, before the Keras mapping exists
/// (issue 12 adds it, one file per layer): each legacy .h5 fixture in
/// `fixtures/recurrent/` is rebuilt here from its model_config by a small
/// test-only decoder, its weights read in `weight_names` order, and its
/// prediction compared with Keras's.
@Suite("LSTM and GRU cells match Keras on the recurrent fixtures")
struct RecurrentCellFixtureTests {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        let name: String, dir: String, model: String, input: String, expected: String
        var testDescription: String { "\(dir)/\(name)" }
    }

    static let entries: [Entry] = {
        guard let data = FileManager.default.contents(atPath: Fixtures.path("recurrent/manifest.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = object["fixtures"],
              let listData = try? JSONSerialization.data(withJSONObject: list) else { return [] }
        return (try? JSONDecoder().decode([Entry].self, from: listData)) ?? []
    }()

    @Test("the recurrent manifest lists LSTM and both GRU variants from both generations")
    func coverage() {
        #expect(Self.entries.count >= 100)
        for dir in ["keras2", "keras3"] {
            for prefix in ["lstm_", "gru_", "gru_reset_before_"] {
                #expect(Self.entries.contains { $0.dir == dir && $0.name.hasPrefix(prefix) }, "\(dir)/\(prefix)*")
            }
        }
    }

    static func activation(_ config: [String: Any], _ key: String, generation: KerasGeneration) throws -> Activation {
        let name = config[key] as? String ?? "linear"
        return try ActivationConfig(name: name).resolve(generation: generation, at: .model)
    }

    /// The layers of a Sequential model_config, built for the runtime.
    static func layers(_ modelConfig: [String: Any], features: Int, generation: KerasGeneration) throws -> [any Layer] {
        let layerConfigs = try #require((modelConfig["config"] as? [String: Any])?["layers"] as? [[String: Any]])
        var size = features
        var layers: [any Layer] = []
        for entry in layerConfigs {
            let className = try #require(entry["class_name"] as? String)
            let config = try #require(entry["config"] as? [String: Any])
            let name = try #require(config["name"] as? String)
            let units = config["units"] as? Int ?? 0
            let useBias = config["use_bias"] as? Bool ?? true
            let sequences = config["return_sequences"] as? Bool ?? false
            let backwards = config["go_backwards"] as? Bool ?? false
            switch className {
            case "InputLayer", "Dropout":
                continue
            case "Dense":
                layers.append(Dense(name: name, inputSize: size, units: units,
                                    activation: try activation(config, "activation", generation: generation), useBias: useBias))
            case "SimpleRNN":
                layers.append(SimpleRNN(name: name, inputSize: size, units: units,
                                        activation: try activation(config, "activation", generation: generation),
                                        useBias: useBias, returnSequences: sequences, goBackwards: backwards))
            case "LSTM":
                layers.append(LSTM(name: name, inputSize: size, units: units,
                                   activation: try activation(config, "activation", generation: generation),
                                   recurrentActivation: try activation(config, "recurrent_activation", generation: generation),
                                   useBias: useBias, returnSequences: sequences, goBackwards: backwards))
            case "GRU":
                layers.append(GRU(name: name, inputSize: size, units: units,
                                  activation: try activation(config, "activation", generation: generation),
                                  recurrentActivation: try activation(config, "recurrent_activation", generation: generation),
                                  useBias: useBias, resetAfter: config["reset_after"] as? Bool ?? true,
                                  returnSequences: sequences, goBackwards: backwards))
            default:
                Issue.record("unexpected layer class \(className)")
            }
            if units > 0 { size = units }
        }
        return layers
    }

    @Test("prediction within 1e-5 of Keras (relative above 1)", arguments: entries)
    func prediction(_ entry: Entry) throws {
        let file = try HDF5File(openingForReading: Fixtures.path("recurrent/" + entry.model))
        let modelConfig = try #require(
            try JSONSerialization.jsonObject(with: Data(try file.root.stringAttribute("model_config").utf8)) as? [String: Any])
        let generation: KerasGeneration = entry.dir == "keras2" ? .keras2 : .keras3
        let input = try NumpyArrayFile.read(from: Fixtures.path("recurrent/" + entry.input))
        let expected = try NumpyArrayFile.read(from: Fixtures.path("recurrent/" + entry.expected))
        var layers = try Self.layers(modelConfig, features: input.shape.last ?? 0, generation: generation)
        let weights = try file.root.group("model_weights")
        for index in layers.indices {
            let group = try weights.group(layers[index].name)
            let names = try group.kerasStringList("weight_names") ?? []
            #expect(names.count == layers[index].parameterSpecs.count, "\(layers[index].name): weight count")
            let tensors = try zip(names, layers[index].parameterSpecs).map { name, spec in
                let dataset = try group.dataset(name)
                let shape = try dataset.shape
                #expect(shape == spec.shape, "\(layers[index].name)/\(name): shape \(shape), runtime \(spec.shape)")
                return try Tensor(shape: spec.shape, scalars: try dataset.readFloats())
            }
            try layers[index].setParameters(tensors)
        }
        var activations = try Tensor(shape: input.shape, scalars: input.values)
        for layer in layers { activations = try layer.forward(activations) }
        let mismatch = Agreement.mismatch(
            activations.scalars, shape: activations.shape, expected: expected.values, expectedShape: expected.shape,
            tolerance: 1e-5, what: "prediction")
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
