import Foundation
import Testing
@testable import RNNRuntime

/// The fast paths: Eigen's tanh, the split of large batches over threads and
/// blocks, and the product dispatch. Agreement with Keras itself is tested on
/// the Keras-made fixtures (`wide_batch`, `option_wide_b16` exercise these paths).
@Suite("Kernels")
struct KernelTests {
    /// Eigen's approximation is worst near |x| = 7.2, where tanh is 1 - 1e-6
    /// and its error about 3.1e-7 (five ulps of 1); TensorFlow's tanh has the
    /// same error there. Near zero it is good to 2e-7 relative.
    @Test("FastTanh is within 3.5e-7 of tanh over [-12, 12], 2e-7 relative below 1, and exact at the limits")
    func fastTanhAccuracy() {
        var worst: Double = 0, worstRelative: Double = 0
        var x: Float = -12
        while x <= 12 {
            let exact = Foundation.tanh(Double(x))
            let error = abs(Double(FastTanh.tanh(x)) - exact)
            worst = max(worst, error)
            if abs(x) < 1, exact != 0 { worstRelative = max(worstRelative, error / abs(exact)) }
            x += 0.001
        }
        #expect(worst < 3.5e-7)
        #expect(worstRelative < 2e-7)
        #expect(FastTanh.tanh(Float.infinity) == 1)
        #expect(FastTanh.tanh(-Float.infinity) == -1)
        #expect(FastTanh.tanh(Float.nan).isNaN)
    }

    @Test("the vector path and its tail give exactly the scalar results, NaN included")
    func fastTanhVectorMatchesScalar() {
        for count in [1, 3, 7, 8, 9, 20] {
            var values = (0..<count).map { Float($0) * 0.77 - 5 }
            if count > 4 { values[4] = .nan }
            let expected = values.map(FastTanh.tanh)
            values.withUnsafeMutableBufferPointer { FastTanh.apply($0.baseAddress!, count: count) }
            #expect(values.count == expected.count)
            for (got, want) in zip(values, expected) {
                #expect(got == want || (got.isNaN && want.isNaN))
            }
        }
    }

    @Test("a batch split over threads and 256-sample blocks predicts what one sample at a time does")
    func splitBatchMatchesSingleSamples() throws {
        var random = RandomSource(seed: 7)
        var rnn = SimpleRNN(inputSize: 4, units: 32)
        rnn.initialize(random: &random)
        var dense = Dense(inputSize: 32, units: 2, activation: .sigmoid)
        dense.initialize(random: &random)
        let model = try Sequential(inputShape: [30, 4], layers: [rnn, dense])
        let batch = 700, perSample = 30 * 4
        let input = try Tensor(shape: [batch, 30, 4], scalars: (0..<batch * perSample).map { _ in random.normal() })
        let whole = try model.predict(input)
        #expect(whole.shape == [batch, 2])
        for sample in stride(from: 0, to: batch, by: 37) {
            let one = try model.predict(Tensor(
                shape: [1, 30, 4], scalars: Array(input.scalars[sample * perSample..<(sample + 1) * perSample])))
            for j in 0..<2 { #expect(abs(one.scalars[j] - whole.scalars[sample * 2 + j]) <= 1e-6) }
        }
    }

    @Test("the backend description names the product code and thread count")
    func backendDescription() {
        #expect(ComputeBackend.description.contains(ComputeBackend.usesOpenBLAS ? "OpenBLAS" : "pure Swift"))
        #expect(ComputeBackend.threads >= 1)
    }
}
