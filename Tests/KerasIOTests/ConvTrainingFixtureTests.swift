import Foundation
import Testing
@testable import KerasIO
import RNNRuntime
import TestSupport

/// One epoch of Keras training of Conv1D (causal, dilated, strided, grouped)
/// and the 1D pooling layers around recurrent layers, by Keras 3 and by
/// tf.keras (`fixtures/generate_conv_training.py`, in the schema of
/// `TrainingFixtureTests`): kerasio trains the same initial model on the same
/// data and ends within 1e-5 of Keras's weights and logged losses.
@Suite("Conv1D and pooling models train as Keras does")
struct ConvTrainingFixtureTests {
    static let manifestPath = Fixtures.path("conv_training/manifest.json")
    static let cases = TrainingFixtureTests.cases(in: manifestPath)

    @Test("the manifest has every case for both generations, and every new class trains")
    func coverage() throws {
        #expect(Self.cases.filter { $0.name.hasPrefix("keras3/") }.count >= 5)
        #expect(Self.cases.filter { $0.name.hasPrefix("keras2/") }.count >= 5)
        var classes: Set<String> = []
        for fixture in Self.cases {
            classes.formUnion(try KerasModel.load(from: Fixtures.path(fixture.initial)).config.computingLayers.map(\.className))
        }
        #expect(classes.isSuperset(of: ConvLayerFixtureTests.classes), "\(classes)")
    }

    @Test("weights after training within 1e-5 of Keras's", arguments: cases)
    func weightsAfterTraining(_ fixture: TrainingFixtureTests.Case) throws {
        try TrainingFixtureTests().weightsAfterTraining(fixture)
    }

    @Test("every batch loss and the epoch loss within 1e-5 of what Keras logged", arguments: cases)
    func lossesAsKerasLogged(_ fixture: TrainingFixtureTests.Case) throws {
        try TrainingFixtureTests().lossesAsKerasLogged(fixture)
    }
}
