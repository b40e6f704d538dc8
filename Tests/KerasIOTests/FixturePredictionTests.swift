import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Every model Keras made for the fixtures predicts what Keras predicted.
@Suite("Predictions match Keras on every fixture")
struct FixturePredictionTests {
    /// The project's contract: float32 predictions within 1e-5 of Keras
    /// (absolute, relative where |y| > 1).
    static let tolerance: Float = 1e-5

    @Test("the manifest covers both Keras generations, both string encodings and every activation")
    func manifestCoverage() throws {
        let manifest = try #require(Fixtures.manifest, "fixtures/manifest.json is readable")
        let all = manifest.fixtures
        #expect(all.count >= 50)
        for dir in ["keras2", "keras3"] {
            let mine = all.filter { $0.dir == dir }
            #expect(mine.contains { $0.stringEncoding == "fixed" }, "\(dir) has fixed-length string fixtures")
            #expect(mine.contains { $0.stringEncoding == "variable" }, "\(dir) has variable-length string fixtures")
            for option in ["no_bias", "return_sequences", "go_backwards", "go_backwards_sequences", "stacked", "dropout",
                           "dense_2d", "dense_3d_first", "many_features", "variable_steps", "tutorial_linear",
                           "tutorial_linear_multifeature", "sunspots", "square_dense", "edge_one_step", "edge_one_unit",
                           "edge_one_feature", "edge_batch_one", "edge_all_minimal"] {
                #expect(mine.contains { $0.name == option }, "\(dir)/\(option) exists")
            }
        }
        let activations = Set(all.flatMap { $0.activations ?? [] })
        for name in ActivationConfig.supportedNames where name != "swish" && name != "silu" {
            #expect(activations.contains(name), "some fixture uses \(name)")
        }
        #expect(activations.contains("silu") || activations.contains("swish"))
        #expect(all.contains { $0.name == "keras22_style" })
    }

    @Test("no fixture keeps Keras's initial weights: no all-zero bias, and a square Dense kernel that is not symmetric")
    func weightsMovedOffInitialValues() throws {
        var biases = 0, squareKernels = 0
        for fixture in Fixtures.all {
            let model = try KerasModel.load(from: Fixtures.path(fixture.model), architecture: fixture.config.map(Fixtures.path))
            for layer in model.network.layers {
                for (spec, tensor) in zip(layer.parameterSpecs, layer.parameters) where spec.name == "bias" {
                    biases += 1
                    #expect(tensor.scalars.contains { $0 != 0 }, "\(fixture.testDescription): \(layer.name)'s bias is all zero")
                }
                if let dense = layer as? Dense, dense.inputSize == dense.units, dense.units > 1 {
                    squareKernels += 1
                    let n = dense.units, w = dense.kernel.scalars
                    #expect((0..<n).contains { i in (0..<n).contains { j in w[i * n + j] != w[j * n + i] } },
                            "\(fixture.testDescription): square kernel of \(layer.name) is symmetric")
                }
            }
        }
        #expect(biases > 100)
        #expect(squareKernels >= 2)
    }

    @Test("prediction within 1e-5 of Keras", arguments: Fixtures.all)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: Self.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        if model.configSource == nil || model.kerasVersion != nil {
            #expect(model.kerasVersion == fixture.kerasVersion)
        }
        #expect(model.generation.rawValue == (fixture.kerasVersion.hasPrefix("2.") ? 2 : 3))
    }

    @Test("the file's Keras version decides what hard_sigmoid means")
    func hardSigmoidByGeneration() throws {
        let keras2 = try KerasModel.load(from: Fixtures.path("keras2/activation_hard_sigmoid.h5"))
        let keras3 = try KerasModel.load(from: Fixtures.path("keras3/activation_hard_sigmoid.h5"))
        #expect(keras2.generation == .keras2)
        #expect(keras3.generation == .keras3)
        let dense2 = try #require(keras2.network.layers.last as? Dense)
        let dense3 = try #require(keras3.network.layers.last as? Dense)
        #expect(dense2.activation == .hardSigmoidKeras2)
        #expect(dense3.activation == .hardSigmoid)
    }

    @Test("fixed-length byte-string attributes read the same as variable-length ones",
          arguments: ["keras2", "keras3"])
    func fixedLengthStrings(_ dir: String) throws {
        let variable = try KerasModel.load(from: Fixtures.path("\(dir)/sunspots.h5"))
        let fixed = try KerasModel.load(from: Fixtures.path("\(dir)/sunspots_fixedstr.h5"))
        #expect(fixed.config == variable.config)
        #expect(fixed.kerasVersion == variable.kerasVersion)
        #expect(fixed.network.layers.map(\.parameters) == variable.network.layers.map(\.parameters))
    }

    @Test("a Keras 2.2 file without an InputLayer takes its input shape from the first layer")
    func keras22Layout() throws {
        let model = try KerasModel.load(from: Fixtures.path("keras2/keras22_style.h5"))
        #expect(model.kerasVersion == "2.2.4")
        #expect(!model.config.layers.contains { $0.className == "InputLayer" })
        #expect(model.inputShape == [12, 1])
    }

    @Test("one sample without a batch axis, float64 and Fortran-order inputs all give Keras's numbers")
    func inputVariants() throws {
        let model = try KerasModel.load(from: Fixtures.path("keras3/sunspots.h5"))
        let expected = try Fixtures.array("keras3/sunspots.expected.npy")
        for variant in ["bad/input_float64.npy", "bad/input_fortran.npy"] {
            let input = try Fixtures.array(variant)
            let output = try model.predict(
                try ModelInput.batch(fromArray: input.shape, values: input.values, for: model, file: variant))
            let mismatch = Agreement.mismatch(
                output.scalars, shape: output.shape, expected: expected.values, expectedShape: expected.shape,
                tolerance: Self.tolerance, what: variant)
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
        let one = try Fixtures.array("bad/input_one_sample.npy")
        #expect(one.shape == [12, 1])
        let output = try model.predict(try ModelInput.batch(fromArray: one.shape, values: one.values, for: model, file: "one"))
        #expect(output.shape == [1, 1])
        let oneExpected = try Fixtures.array("bad/input_one_sample.expected.npy")
        let mismatch = Agreement.mismatch(output.scalars, expected: oneExpected.values, tolerance: Self.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
