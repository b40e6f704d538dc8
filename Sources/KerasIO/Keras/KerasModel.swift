import Foundation
import RNNRuntime

/// A Keras model read from a file: where it came from, its architecture as
/// Keras wrote it, and the runtime network with its weights.
public struct KerasModel: Sendable {
    /// The path it was read from.
    public let file: String
    public let format: KerasFileFormat
    /// `keras_version` as the file records it (nil in very old files).
    public let kerasVersion: String?
    /// `backend` as the file records it ("tensorflow", "jax", ...).
    public let backend: String?
    /// The Keras generation whose definitions apply (from `kerasVersion`).
    public let generation: KerasGeneration
    public let config: ModelConfig
    /// The runnable model.
    public var network: Network

    /// The architecture file used for a weights-only file (`--config`), else nil.
    public let configSource: String?
    /// A legacy `.h5` file's `training_config` JSON (loss and optimizer), if any.
    public var trainingConfig: String? = nil

    /// Reads any model file kerasio supports, telling its format by content
    /// (not by extension): a `.keras` zip archive, a legacy full-model `.h5`,
    /// or a weights-only file (tf.keras `save_weights` `.h5` or Keras 3
    /// `.weights.h5`), whose architecture then comes from `architecture`.
    ///
    /// - Parameters:
    ///   - path: the model or weights file.
    ///   - architecture: for weights-only files, a file holding the
    ///     architecture: `model.to_json()` output, or a `.keras`/`.h5` model.
    /// - Throws: `KerasIOError`, one line naming the file and the problem.
    public static func load(from path: String, architecture: String? = nil) throws -> KerasModel {
        if ArchitectureSource.isZip(path) {
            try refuseArchitecture(architecture, for: path, format: .kerasArchive)
            return try read(KerasArchive(readingFrom: path))
        }
        return try withHDF5Errors(file: path) {
            try read(HDF5File(openingForReading: path), architecture: architecture)
        }
    }

    /// Loads a model from the bytes of a file held in memory, told apart by
    /// content as ``load(from:architecture:)`` does; nothing touches the
    /// disk but `architecture`, if given.
    ///
    /// - Parameters:
    ///   - image: the bytes of a `.keras` archive or an HDF5 model or weights file.
    ///   - name: how messages name the file.
    ///   - architecture: for weights-only files, as in ``load(from:architecture:)``.
    /// - Throws: `KerasIOError`, one line naming `name` and the problem.
    public static func load(image: Data, name: String, architecture: String? = nil) throws -> KerasModel {
        if KerasArchive.isZip(signature: [UInt8](image.prefix(4))) {
            try refuseArchitecture(architecture, for: name, format: .kerasArchive)
            return try read(KerasArchive(image: image, path: name))
        }
        return try withHDF5Errors(file: name) {
            try read(HDF5File(openingImage: image, name: name), architecture: architecture)
        }
    }

    /// A legacy `.h5` model, or a weights-only file with its architecture.
    private static func read(_ file: HDF5File, architecture: String?) throws -> KerasModel {
        let path = file.path
        let root = file.root
        if root.hasAttribute("model_config") {
            try refuseArchitecture(architecture, for: path, format: .legacyH5)
            return try LegacyH5ModelReader.read(file)
        }
        let format: KerasFileFormat
        if root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
            format = .legacyWeightsH5
        } else if root.contains("layers") {
            format = .kerasWeightsH5
        } else {
            throw KerasIOError(.missingModelConfig, file: path, LegacyH5ModelReader.missingConfigExplanation(root))
        }
        guard let architecture else {
            throw KerasIOError(.missingModelConfig, file: path, LegacyH5ModelReader.missingConfigExplanation(root))
        }
        let source = try ArchitectureSource(path: architecture)
        var network = try ModelBuilder.build(source.config, generation: source.generation, file: architecture)
        do {
            if format == .legacyWeightsH5 {
                try LegacyH5ModelReader.loadWeights(into: &network, from: root, file: path)
            } else {
                try Keras3WeightsReader.loadWeights(
                    into: &network, classNames: source.config.computingLayers.map(\.className), from: root, file: path)
            }
        } catch let error as KerasIOError where error.kind == .missingWeight || error.kind == .weightMismatch {
            throw KerasIOError(error.kind, file: path, error.detail + " (architecture from \(architecture))")
        }
        let version = root.hasAttribute("keras_version") ? try root.stringAttribute("keras_version") : source.kerasVersion
        return KerasModel(
            file: path, format: format, kerasVersion: version,
            backend: root.hasAttribute("backend") ? try root.stringAttribute("backend") : nil,
            generation: source.generation, config: source.config, network: network, configSource: architecture)
    }

    private static func read(_ archive: KerasArchive) throws -> KerasModel {
        let path = archive.path
        let generation = KerasGeneration(version: archive.kerasVersion ?? "") ?? .keras3
        let config = try ModelConfig.decode(json: archive.configJSON, generation: generation, file: path)
        var network = try ModelBuilder.build(config, generation: generation, file: path)
        let weightsName = "\(path):\(KerasArchive.weightsEntry)"
        try withHDF5Errors(file: weightsName) {
            let weights = try HDF5File(openingImage: archive.weightsImage, name: weightsName)
            try Keras3WeightsReader.loadWeights(
                into: &network, classNames: config.computingLayers.map(\.className), from: weights.root, file: weightsName)
        }
        return KerasModel(
            file: path, format: .kerasArchive, kerasVersion: archive.kerasVersion, backend: nil,
            generation: generation, config: config, network: network, configSource: nil)
    }

    private static func refuseArchitecture(_ architecture: String?, for path: String, format: KerasFileFormat) throws {
        if let architecture {
            throw KerasIOError(
                .invalidConfig, file: path,
                "is a \(format) with its own architecture; --config \(architecture) is only for weights-only files")
        }
    }

    /// Runs the model on a batch shaped `(batch,) + inputShape`.
    public func predict(_ input: Tensor) throws -> Tensor {
        try network.predict(input)
    }

    /// Runs the model on caller-owned memory in the calling thread,
    /// allocating nothing once `workspace` has seen this model and shape:
    /// the call for apps that predict again and again (see
    /// `Sequential.predict(_:shape:into:workspace:)`).
    public func predict(
        _ input: UnsafeBufferPointer<Float>, shape: [Int], into output: UnsafeMutableBufferPointer<Float>,
        workspace: PredictionWorkspace
    ) throws {
        guard let chain = network.sequential else {
            throw KerasIOError(
                .unsupportedOption, file: file,
                "is a Functional graph; allocation-free prediction runs Sequential models and chains, use predict(_: [Tensor])")
        }
        try chain.predict(input, shape: shape, into: output, workspace: workspace)
    }

    /// The model as a chain, or the error saying `purpose` needs one (a
    /// Functional graph is not a chain).
    public func chain(for purpose: String) throws -> Sequential {
        guard let chain = network.sequential else {
            throw KerasIOError(
                .unsupportedOption, file: file,
                "is a Functional graph with \(network.inputShapes.count) input(s) and \(network.outputShapes.count) output(s); \(purpose) runs chains of layers")
        }
        return chain
    }

    /// Runs the model on one batch per input, giving every output in order.
    public func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        try network.predict(inputs)
    }

    /// The per-sample input shape (`nil` where any length goes), the first input's.
    public var inputShape: [Int?] { network.inputShape }
    /// The per-sample output shape, the first output's.
    public var outputShape: [Int?] { network.outputShape }
    /// The model's input names, in input order (Keras's `model.input_names`).
    public var inputNames: [String] { network.graph?.inputNames ?? config.inputs.map(\.name) }
    /// The model's output names, in output order (their layers' names).
    public var outputNames: [String] { network.graph?.outputNames ?? [network.layers.last?.name ?? network.name] }
}

/// Turns the HDF5 layer's errors into `KerasIOError`s: a file HDF5 cannot
/// open is reported as damaged, anything else with HDF5's own reason.
func withHDF5Errors<T>(file: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as HDF5Error {
        if error.operation == "open" {
            throw KerasIOError(
                .corrupt, file: file, "cannot be read as HDF5, it is truncated or damaged (\(error.reason))")
        }
        throw KerasIOError(.hdf5, file: file, error.localizedDescription.droppingPrefix("\(file): "))
    } catch let error as HDF5OpenError {
        let detail = error.localizedDescription.droppingPrefix("\(file): ")
        switch error {
        case .missing, .unreadable: throw KerasIOError(.unreadable, file: file, detail)
        case .empty: throw KerasIOError(.emptyFile, file: file, detail)
        case .notHDF5(_, let detected):
            // Not a zip either (archives are told apart first): say both.
            throw KerasIOError(
                .notAModelFile, file: file,
                "not a Keras model file: neither a .keras archive (zip) nor an HDF5 file"
                    + (detected.map { "; it looks like \($0)" } ?? ""))
        }
    }
}

extension String {
    func droppingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
