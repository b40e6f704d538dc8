import Foundation
import Testing
import KerasIO
@testable import KerasIOCommand
import RNNRuntime

/// The tutorial's data preparation, checked against the facts TUTORIAL.md states.
@Suite("The tutorial's sunspots data")
struct TimeSeriesTests {
    @Test("2820 values, scaled to [0, 1], 2256 for training, 187 and 46 windows of 12")
    func tutorialShapes() throws {
        let path = CLI.packageRoot.appendingPathComponent("data/monthly-sunspots.csv").path
        let series = try TimeSeries.readColumn(path, column: "Sunspots")
        #expect(series.values.count == 2820)
        let scaled = TimeSeries.minMaxScaled(series.values)
        #expect(scaled.min() == 0 && scaled.max() == 1)
        let cut = Int(Double(scaled.count) * 0.8)
        #expect(cut == 2256)
        let train = TimeSeries.windows(Array(scaled[..<cut]), timeSteps: 12)
        let test = TimeSeries.windows(Array(scaled[cut...]), timeSteps: 12)
        #expect(train.x.shape == [187, 12, 1] && train.y.shape == [187, 1])
        #expect(test.x.shape == [46, 12, 1] && test.y.shape == [46, 1])
        // Row i is data[12i ..< 12(i+1)], its target data[12(i+1)].
        #expect(Array(train.x.scalars[12..<24]) == Array(scaled[12..<24]))
        #expect(train.y.scalars[0] == scaled[12] && train.y.scalars[1] == scaled[24])
        #expect(test.y.scalars[0] == scaled[cut + 12])
    }

    @Test("a missing column or a non-numeric value is one clear error")
    func badColumns() throws {
        let path = CLI.packageRoot.appendingPathComponent("data/monthly-sunspots.csv").path
        #expect(throws: KerasIOError.self) { _ = try TimeSeries.readColumn(path, column: "Nope") }
        #expect(throws: KerasIOError.self) { _ = try TimeSeries.readColumn(path, column: "Month") }
    }
}
