import Foundation

/// Everything the runtime refuses, each with a one-line description.
public enum RuntimeError: Error, LocalizedError, Sendable, Equatable {
    /// A shape and element count that disagree.
    case invalidTensor(String)
    /// An input whose shape the model cannot take.
    case inputShapeMismatch(expected: [Int?], actual: [Int], detail: String)
    /// A weight whose shape disagrees with what the layer needs.
    case parameterShapeMismatch(layer: String, parameter: String, expected: [Int], actual: [Int])
    /// A weight list of the wrong length.
    case parameterCountMismatch(layer: String, expected: [String], actualCount: Int)
    /// Layers that cannot follow each other.
    case incompatibleLayer(layer: String, detail: String)
    /// Input values a layer cannot take (an Embedding id out of range).
    case invalidInput(String)

    public var errorDescription: String? {
        switch self {
        case .invalidTensor(let detail):
            return "invalid tensor: \(detail)"
        case .inputShapeMismatch(let expected, let actual, let detail):
            let wanted = Tensor.describe([nil] + expected)
            return "input has shape \(Tensor.describe(actual)) but the model expects \(wanted): \(detail)"
        case .parameterShapeMismatch(let layer, let parameter, let expected, let actual):
            return "layer '\(layer)': weight '\(parameter)' has shape \(Tensor.describe(actual)), "
                + "expected \(Tensor.describe(expected))"
        case .parameterCountMismatch(let layer, let expected, let actualCount):
            return "layer '\(layer)': expected \(expected.count) weights (\(expected.joined(separator: ", "))), "
                + "got \(actualCount)"
        case .incompatibleLayer(let layer, let detail):
            return "layer '\(layer)': \(detail)"
        case .invalidInput(let detail):
            return detail
        }
    }
}
