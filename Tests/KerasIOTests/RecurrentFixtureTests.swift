import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// LSTM and GRU (both variants) as Keras made them, read through the real
/// loader in every format the generator wrote, predicting what Keras did.
@Suite("LSTM and GRU predictions match Keras on the recurrent fixtures")
struct RecurrentFixtureTests {
    @Test("the recurrent manifest lists LSTM and both GRU variants from both generations")
    func coverage() {
        let entries = Fixtures.recurrent
        #expect(entries.count >= 200)
        for dir in ["recurrent/keras2", "recurrent/keras3"] {
            let mine = entries.filter { $0.dir == dir }
            for prefix in ["lstm_", "gru_", "gru_reset_before_"] {
                #expect(mine.contains { $0.name.hasPrefix(prefix) }, "\(dir)/\(prefix)*")
            }
            // Every format each generation writes, and both string encodings.
            let formats = dir.hasSuffix("keras3") ? ["legacy-h5", "keras", "keras-weights-h5"] : ["legacy-h5", "keras", "legacy-weights-h5"]
            for format in formats {
                #expect(mine.contains { $0.format == format && $0.name.hasPrefix("lstm_") }, "\(dir): an LSTM in \(format)")
                #expect(mine.contains { $0.format == format && $0.name.hasPrefix("gru_reset_before_") }, "\(dir): a reset-before GRU in \(format)")
            }
            #expect(mine.contains { $0.stringEncoding == "fixed" } && mine.contains { $0.stringEncoding == "variable" }, "\(dir): both string encodings")
        }
        #expect(entries.contains { $0.name == "lstm_keras22_style" } && entries.contains { $0.name == "gru_reset_before_keras22_style" })
    }

    @Test("prediction within 1e-5 of Keras", arguments: Fixtures.recurrent)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.generation.rawValue == (fixture.kerasVersion.hasPrefix("2.") ? 2 : 3))
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
    }

    @Test("a GRU's reset_after and an LSTM's gates come from the config, as Keras reads them")
    func optionsDecoded() throws {
        let before = try KerasModel.load(from: Fixtures.path("recurrent/keras3/gru_reset_before_default.h5"))
        let after = try KerasModel.load(from: Fixtures.path("recurrent/keras3/gru_default.h5"))
        let gruBefore = try #require(before.network.layers.first as? GRU)
        let gruAfter = try #require(after.network.layers.first as? GRU)
        #expect(!gruBefore.cell.resetAfter && gruBefore.cell.bias?.shape == [3 * gruBefore.cell.units])
        #expect(gruAfter.cell.resetAfter && gruAfter.cell.bias?.shape == [2, 3 * gruAfter.cell.units])
        let hard2 = try KerasModel.load(from: Fixtures.path("recurrent/keras2/lstm_act_tanh_rec_hard_sigmoid.h5"))
        let hard3 = try KerasModel.load(from: Fixtures.path("recurrent/keras3/lstm_act_tanh_rec_hard_sigmoid.h5"))
        #expect((hard2.network.layers.first as? LSTM)?.cell.recurrentActivation == .hardSigmoidKeras2)
        #expect((hard3.network.layers.first as? LSTM)?.cell.recurrentActivation == .hardSigmoid)
    }
}

@Suite("Legacy .h5 weights are matched to a layer's weights by name")
struct WeightNameMatchingTests {
    let specs = [ParameterSpec(name: "kernel", shape: [2, 8]), ParameterSpec(name: "recurrent_kernel", shape: [2, 8]),
                 ParameterSpec(name: "bias", shape: [8])]

    @Test("names in another order are put in the layer's order")
    func reordered() {
        let names = ["lstm/lstm_cell/bias:0", "lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0"]
        #expect(LegacyH5ModelReader.matchedByName(names, specs: specs)
                == ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0"])
        let keras3 = ["sequential/lstm/lstm_cell/recurrent_kernel", "sequential/lstm/lstm_cell/kernel", "sequential/lstm/lstm_cell/bias"]
        #expect(LegacyH5ModelReader.matchedByName(keras3, specs: specs)
                == ["sequential/lstm/lstm_cell/kernel", "sequential/lstm/lstm_cell/recurrent_kernel", "sequential/lstm/lstm_cell/bias"])
    }

    @Test("names that do not say which weight they are keep the file's order, as Keras loads them")
    func unrecognisedNamesKeepOrder() {
        let keras1 = ["lstm_1_W", "lstm_1_U", "lstm_1_b"]
        #expect(LegacyH5ModelReader.matchedByName(keras1, specs: specs) == keras1)
        let duplicated = ["a/kernel:0", "b/kernel:0", "bias:0"]
        #expect(LegacyH5ModelReader.matchedByName(duplicated, specs: specs) == duplicated)
    }
}
