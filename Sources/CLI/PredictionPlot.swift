import Foundation

/// The tutorial's figure as SVG: actual and predicted values over the
/// observation number, a red vertical line at the train/test boundary,
/// a legend, axis labels and the tutorial's title.
enum PredictionPlot {
    static let title = "Actual and Predicted Values. The Red Line Separates The Training And Test Examples"

    static func svg(actual: [Float], predicted: [Float], boundary: Int) -> String {
        let width = 900.0, height = 420.0, left = 70.0, right = 20.0, top = 50.0, bottom = 60.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = (actual + predicted).map(Double.init)
        let low = min(all.min() ?? 0, 0), high = max(all.max() ?? 1, low + 1e-6)
        let count = max(actual.count, predicted.count, 2)
        func px(_ i: Int) -> Double { left + Double(i) / Double(count - 1) * plotWidth }
        func py(_ v: Double) -> Double { top + (1 - (v - low) / (high - low)) * plotHeight }
        func path(_ values: [Float], _ color: String) -> String {
            let points = values.enumerated().map { String(format: "%.2f,%.2f", px($0.offset), py(Double($0.element))) }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(width / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">\(title)</text>",
            String(format: "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#444\"/>", left, top, plotWidth, plotHeight),
        ]
        for tick in 0...5 {
            let value = low + (high - low) * Double(tick) / 5
            svg.append(String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.2f</text>", left - 6, py(value) + 4, value))
            let index = (count - 1) * tick / 5
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"11\">%d</text>", px(index), top + plotHeight + 16, index))
        }
        svg.append(path(actual, "#1f77b4"))
        svg.append(path(predicted, "#ff7f0e"))
        svg.append(String(format: "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" stroke=\"red\" stroke-width=\"2\"/>", px(boundary), top, px(boundary), top + plotHeight))
        svg += [
            "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 14)\" text-anchor=\"middle\" font-size=\"13\">Observation number after given time steps</text>",
            "<text x=\"18\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 \(top + plotHeight / 2))\">Sunspots scaled</text>",
            "<rect x=\"\(left + 12)\" y=\"\(top + 10)\" width=\"130\" height=\"46\" fill=\"white\" stroke=\"#bbb\"/>",
            "<line x1=\"\(left + 20)\" y1=\"\(top + 24)\" x2=\"\(left + 44)\" y2=\"\(top + 24)\" stroke=\"#1f77b4\" stroke-width=\"2\"/>",
            "<text x=\"\(left + 50)\" y=\"\(top + 28)\" font-size=\"12\">Actual</text>",
            "<line x1=\"\(left + 20)\" y1=\"\(top + 44)\" x2=\"\(left + 44)\" y2=\"\(top + 44)\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>",
            "<text x=\"\(left + 50)\" y=\"\(top + 48)\" font-size=\"12\">Predictions</text>",
            "</svg>",
        ]
        return svg.joined(separator: "\n") + "\n"
    }
}
