import Foundation
import Testing
@testable import RNNRuntime

/// Training behaviour that Keras's fixtures cannot pin down (its random
/// streams are TensorFlow's): dropout statistics, seeding, validation split.
/// Agreement with Keras's weights is tested in KerasIOTests.
@Suite("Training")
struct TrainingTests {
    @Test("Dropout in training zeroes about `rate` of the inputs and scales the rest by 1/(1 - rate)")
    func dropoutStatistics() throws {
        let dropout = Dropout(rate: 0.25)
        let input = Tensor(uncheckedShape: [100, 100], scalars: [Float](repeating: 2, count: 10_000))
        var context = TrainingContext(training: true, random: RandomSource(seed: 7))
        let (output, cache) = try dropout.forwardForTraining(input, context: &context)
        #expect(output.shape == [100, 100] && output.scalars.count == 10_000)
        let zeros = output.scalars.filter { $0 == 0 }.count
        // Binomial(10000, 0.25): standard deviation about 43; 5 of them is a safe bound.
        #expect(abs(zeros - 2_500) < 5 * 43)
        #expect(output.scalars.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-6 })
        let (gradient, _) = try dropout.backward(Tensor(uncheckedShape: [100, 100], scalars: [Float](repeating: 1, count: 10_000)), cache: cache)
        #expect(gradient.scalars.count == output.scalars.count)
        #expect(zip(gradient.scalars, output.scalars).allSatisfy { ($0 == 0) == ($1 == 0) }, "the same mask going back")
    }

    @Test("SimpleRNN dropout acts only in training; inference equals predict")
    func rnnDropoutOnlyInTraining() throws {
        var rnn = SimpleRNN(inputSize: 3, units: 4, dropout: 0.5, recurrentDropout: 0.5)
        var random = RandomSource(seed: 1)
        rnn.initialize(random: &random)
        let x = Tensor(uncheckedShape: [2, 5, 3], scalars: (0..<30).map { Float($0) / 30 - 0.5 })
        var inference = TrainingContext(training: false, random: RandomSource(seed: 2))
        #expect(try rnn.forwardForTraining(x, context: &inference).output == (try rnn(x)))
        var training = TrainingContext(training: true, random: RandomSource(seed: 2))
        #expect(try rnn.forwardForTraining(x, context: &training).output != (try rnn(x)))
    }

    @Test("a batch split over two threads trains to the weights of one piece, for every cell and a logits loss",
          arguments: [Loss.meanSquaredError, .binaryCrossentropy])
    func parallelTrainingMatchesOnePiece(_ loss: Loss) throws {
        func train(threads: Int) throws -> [[Tensor]] {
            var random = RandomSource(seed: 11)
            var lstm = LSTM(inputSize: 4, units: 24, returnSequences: true)
            lstm.initialize(random: &random)
            var gru = GRU(inputSize: 24, units: 16, resetAfter: false, returnSequences: true)
            gru.initialize(random: &random)
            var rnn = SimpleRNN(inputSize: 16, units: 8)
            rnn.initialize(random: &random)
            var dense = Dense(inputSize: 8, units: 1, activation: loss == .binaryCrossentropy ? .sigmoid : .linear)
            dense.initialize(random: &random)
            var network = try Sequential(inputShape: [12, 4], layers: [lstm, gru, rnn, dense])
            let x = Tensor(uncheckedShape: [64, 12, 4], scalars: (0..<3072).map { Float(($0 * 37) % 101) / 101 - 0.5 })
            let y = Tensor(uncheckedShape: [64, 1], scalars: (0..<64).map { Float($0 % 2) })
            var optimizer: any Optimizer = Adam(learningRate: 0.01)
            _ = try network.fit(x: x, y: y, loss: loss, optimizer: &optimizer,
                                options: FitOptions(epochs: 2, batchSize: 32, shuffle: false, threads: threads))
            return network.layers.map(\.parameters)
        }
        let one = try train(threads: 1), two = try train(threads: 2)
        #expect(one.map { $0.map(\.shape) } == two.map { $0.map(\.shape) })
        for (a, b) in zip(one.joined(), two.joined()) {
            let gap = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
            #expect(gap < 1e-5, "split and whole batches differ by \(gap)")
        }
        #expect(one.joined().contains { $0.scalars.contains { $0 != 0 } })
    }

    func model(seed: UInt64) throws -> Sequential {
        var random = RandomSource(seed: seed)
        var rnn = SimpleRNN(inputSize: 1, units: 3)
        rnn.initialize(random: &random)
        var dense = Dense(inputSize: 3, units: 1)
        dense.initialize(random: &random)
        return try Sequential(inputShape: [4, 1], layers: [rnn, dense])
    }

    let x = Tensor(uncheckedShape: [10, 4, 1], scalars: (0..<40).map { Float($0 % 7) / 7 })
    let y = Tensor(uncheckedShape: [10, 1], scalars: (0..<10).map { Float($0 % 3) / 3 })

    @Test("the same seed gives the same weights; another seed other weights")
    func seeded() throws {
        func train(_ seed: UInt64) throws -> [[Tensor]] {
            var network = try model(seed: 3)
            var optimizer: any Optimizer = Adam(learningRate: 0.01)
            _ = try network.fit(x: x, y: y, loss: .meanSquaredError, optimizer: &optimizer,
                                options: FitOptions(epochs: 3, batchSize: 2, shuffle: true, seed: seed))
            return network.layers.map(\.parameters)
        }
        #expect(try train(5) == train(5))
        #expect(try train(5) != train(6))
    }

    @Test("validation_split holds out the last samples, before shuffling, and reports their loss")
    func validationSplit() throws {
        var network = try model(seed: 4)
        var optimizer: any Optimizer = SGD(learningRate: 0.1)
        let reports = try network.fit(x: x, y: y, loss: .meanSquaredError, optimizer: &optimizer,
                                      options: FitOptions(epochs: 2, batchSize: 4, shuffle: true, seed: 1, validationSplit: 0.3))
        #expect(reports.count == 2)
        let held = [7, 8, 9]
        let expected = try Loss.meanSquaredError.evaluate(predicted: network.predict(x.gathering(held)), target: y.gathering(held)).value
        #expect(abs((reports[1].validationLoss ?? .nan) - expected) < 1e-6)
    }

    @Test("training refuses targets that do not fit the model's output")
    func badTargets() throws {
        var network = try model(seed: 4)
        var optimizer: any Optimizer = SGD()
        #expect(throws: RuntimeError.self) {
            _ = try network.fit(x: x, y: Tensor(zeros: [10, 2]), loss: .meanSquaredError, optimizer: &optimizer)
        }
        #expect(throws: RuntimeError.self) {
            _ = try network.fit(x: x, y: Tensor(zeros: [9, 1]), loss: .meanSquaredError, optimizer: &optimizer)
        }
    }

    @Test("orthogonal initial recurrent kernels are orthogonal; Glorot kernels stay within their limit")
    func initializers() {
        var random = RandomSource(seed: 9)
        let q = Initializers.orthogonal([5, 5], random: &random)
        for i in 0..<5 {
            for j in 0..<5 {
                let dot = (0..<5).reduce(Float(0)) { $0 + q.scalars[i * 5 + $1] * q.scalars[j * 5 + $1] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-5)
            }
        }
        let w = Initializers.glorotUniform([1, 3], random: &random)
        #expect(w.shape == [1, 3] && w.scalars.count == 3)
        #expect(w.scalars.allSatisfy { abs($0) <= (6.0 / 4.0 as Float).squareRoot() })
    }
}
