import Foundation
import KerasIO
import RNNRuntime

/// The tutorial's data preparation (`../shared/reference/TUTORIAL.md`, part 2).
enum TimeSeries {
    /// One numeric column of a CSV with a header row (e.g. `Month,Sunspots`).
    /// Without `column`, the last column is used.
    static func readColumn(_ path: String, column: String?) throws -> (name: String, values: [Float]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KerasIOError(.unreadable, file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KerasIOError(.invalidArrayFile, file: path, "is not UTF-8 text")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let header = lines.first else { throw KerasIOError(.invalidArrayFile, file: path, "is empty") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
        let index: Int
        if let column {
            guard let found = names.firstIndex(of: column) else {
                throw KerasIOError(.invalidArrayFile, file: path, "has no column '\(column)' (columns: \(names.joined(separator: ", ")))")
            }
            index = found
        } else {
            index = names.count - 1
        }
        var values: [Float] = []
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard index < fields.count, let value = Double(fields[index].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))),
                  value.isFinite else {
                throw KerasIOError(.invalidArrayFile, file: path, "row \(number + 2): column '\(names[index])' is not a number")
            }
            values.append(Float(value))
        }
        guard values.count >= 2 else { throw KerasIOError(.invalidArrayFile, file: path, "has fewer than two values") }
        return (names[index], values)
    }

    /// scikit-learn's `MinMaxScaler` fitted on the whole series: (x - min) / (max - min), as float32.
    static func minMaxScaled(_ values: [Float]) -> [Float] {
        let low = Double(values.min() ?? 0), high = Double(values.max() ?? 1)
        let range = high - low == 0 ? 1 : high - low
        return values.map { Float((Double($0) - low) / range) }
    }

    /// The tutorial's `get_XY`: targets at indices timeSteps, 2·timeSteps, ...
    /// (below the end); row i of X is data[i·timeSteps ..< (i+1)·timeSteps];
    /// X shaped (rows, timeSteps, 1), Y (rows, 1).
    static func windows(_ data: [Float], timeSteps: Int) -> (x: Tensor, y: Tensor) {
        let targets = Array(stride(from: timeSteps, to: data.count, by: timeSteps))
        let rows = targets.count
        let x = Array(data.prefix(rows * timeSteps))
        let y = targets.map { data[$0] }
        return ((try? Tensor(shape: [rows, timeSteps, 1], scalars: x)) ?? Tensor(zeros: [0, timeSteps, 1]),
                (try? Tensor(shape: [rows, 1], scalars: y)) ?? Tensor(zeros: [0, 1]))
    }

    /// √(mean((a - b)²)), in double precision like scikit-learn.
    static func rootMeanSquaredError(_ a: [Float], _ b: [Float]) -> Double {
        guard !a.isEmpty else { return 0 }
        let sum = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
        return (sum / Double(a.count)).squareRoot()
    }
}
