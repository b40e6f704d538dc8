import Foundation

/// Every problem KerasIO reports about a file, as one line naming the file.
///
/// `kind` lets callers and tests tell problems apart without parsing text;
/// `detail` is the human-readable rest of the line.
public struct KerasIOError: Error, LocalizedError, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The file does not exist or cannot be read.
        case unreadable
        /// The file is empty.
        case emptyFile
        /// The file is not of a kind kerasio reads (not HDF5, not a zip archive).
        case notAModelFile
        /// HDF5 could not read the file: truncated or damaged.
        case corrupt
        /// The file has no model architecture (`model_config`).
        case missingModelConfig
        /// The architecture is not valid JSON or not what Keras writes.
        case invalidConfig
        /// A layer class kerasio does not support.
        case unsupportedLayer
        /// A supported layer with an option kerasio cannot honour.
        case unsupportedOption
        /// A weight named by the config or `weight_names` is not in the file.
        case missingWeight
        /// A weight whose shape or count disagrees with the config.
        case weightMismatch
        /// An input array the model cannot take.
        case inputMismatch
        /// An input or output file that is not a valid array file.
        case invalidArrayFile
        /// A failure inside the HDF5 library not covered above.
        case hdf5
        /// An output file could not be written (the destination is left as it was).
        case writeFailed
    }

    public let kind: Kind
    public let file: String
    public let detail: String

    public init(_ kind: Kind, file: String, _ detail: String) {
        self.kind = kind
        self.file = file
        self.detail = detail
    }

    public var errorDescription: String? { "\(file): \(detail)" }
}
