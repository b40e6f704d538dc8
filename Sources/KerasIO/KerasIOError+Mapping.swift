import RNNRuntime

/// The one way errors from the runtime and from file writing become a
/// `KerasIOError` naming a file, each with the kind the error itself tells
/// (a shape mismatch is the input's fault, a refused option the model's, a
/// failed write is not "unreadable").
extension KerasIOError {
    /// A runtime error met while working on `file`.
    public init(_ error: RuntimeError, file: String) {
        let kind: Kind
        switch error {
        case .inputShapeMismatch, .invalidInput: kind = .inputMismatch
        case .invalidTensor: kind = .invalidArrayFile
        case .parameterShapeMismatch, .parameterCountMismatch: kind = .weightMismatch
        case .incompatibleLayer: kind = .unsupportedOption
        }
        self.init(kind, file: file, PrintableText.oneLine(error.localizedDescription, limit: ConfigProblem.maximumDetail))
    }

    /// A failure writing `file`: nothing was written there.
    public init(writing error: ArrayFileError, file: String) {
        self.init(.writeFailed, file: file, error.problem)
    }
}
