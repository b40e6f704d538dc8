import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// Masking, Embedding, Bidirectional, TimeDistributed, stateful and the
/// identity and activation layers as Keras made them
/// (`fixtures/generate_sequence_layers.py`), read in every format the
/// generator wrote and predicting what Keras did.
@Suite("Sequence layers predict what Keras does")
struct SequenceLayerFixtureTests {
    @Test("prediction within 1e-5 of Keras", arguments: Fixtures.sequenceLayers)
    func prediction(_ fixture: Fixtures.Entry) throws {
        let (model, mismatch) = try Fixtures.predictAndCompare(fixture, tolerance: FixturePredictionTests.tolerance)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(model.config.computingLayers.map(\.className) == fixture.layers.filter { $0 != "InputLayer" })
        if fixture.stateful == true {
            #expect(model.network.isStateful && model.network.fixedBatchSize == fixture.fixedBatchSize)
        }
    }
}
