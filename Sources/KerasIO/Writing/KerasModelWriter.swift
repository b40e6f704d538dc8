import Foundation
import RNNRuntime
import ZIPFoundation

extension KerasFileFormat {
    /// The format a file name asks for: `.keras` an archive, `.weights.h5` Keras 3
    /// weights, other `.h5`/`.hdf5`/`.keras.h5` a legacy full model.
    public init?(writingPath path: String) {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".keras") {
            self = .kerasArchive
        } else if name.hasSuffix(".weights.h5") {
            self = .kerasWeightsH5
        } else if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") {
            self = .legacyH5
        } else {
            return nil
        }
    }
}

/// Writes models as files Keras loads: legacy full-model `.h5` for Keras 3
/// or tf.keras 2, Keras 3 `.keras` archives and `.weights.h5`, and tf.keras
/// `save_weights` `.h5`. Every write is atomic: the file is built at a
/// temporary path in the destination directory and renamed into place, so
/// on any error no partial file exists and an existing one is untouched.
public enum KerasModelWriter {
    /// The Keras versions whose conventions the written files follow.
    static let keras3Version = "3.15.1"
    static let keras2Version = "2.21.0"
    /// Recorded in every file kerasio writes.
    static let writerVersion = "kerasio 0.1.0"

    /// Saves `network` at `path`.
    ///
    /// - Parameters:
    ///   - format: the file format; `legacyWeightsH5` is tf.keras `save_weights`.
    ///   - keras: the Keras generation that will read the file.
    ///   - trainingConfig: a `training_config` JSON to record in a legacy `.h5`.
    /// - Throws: `KerasIOError` naming `path`.
    public static func write(
        _ network: Sequential, to path: String, format: KerasFileFormat,
        keras: KerasGeneration = .keras3, trainingConfig: String? = nil
    ) throws {
        try write(.sequential(network), to: path, format: format, keras: keras, trainingConfig: trainingConfig)
    }

    /// Saves a chain as Sequential, a graph as Functional, at `path` (see above).
    public static func write(
        _ network: Network, to path: String, format: KerasFileFormat,
        keras: KerasGeneration = .keras3, trainingConfig: String? = nil
    ) throws {
        do {
            try AtomicFileWriter.write(to: path) { temporary in
                switch format {
                case .legacyH5:
                    try writeLegacyH5(network, to: temporary, keras: keras, trainingConfig: trainingConfig, weightsOnly: false)
                case .legacyWeightsH5:
                    try writeLegacyH5(network, to: temporary, keras: keras, trainingConfig: nil, weightsOnly: true)
                case .kerasWeightsH5:
                    try requireKeras3(keras, format)
                    let file = try HDF5File(creatingAt: temporary)
                    try writeKeras3Weights(network, into: file.root)
                    try file.flush()
                case .kerasArchive:
                    try requireKeras3(keras, format)
                    try writeArchive(network, to: temporary)
                }
            }
        } catch let error as KerasWriteError {
            guard case .unsupported(let detail) = error else { throw error }
            throw KerasIOError(.unsupportedOption, file: path, "cannot write: \(detail)")
        } catch let error as HDF5Error {
            throw KerasIOError(.hdf5, file: path, "cannot write: \(error.reason)")
        } catch let error as ArrayFileError {
            throw KerasIOError(writing: error, file: path)
        }
    }

    private static func requireKeras3(_ keras: KerasGeneration, _ format: KerasFileFormat) throws {
        if keras != .keras3 {
            throw KerasWriteError.unsupported("\(format) is a Keras 3 format; for tf.keras 2 write a legacy .h5")
        }
    }

    // MARK: Legacy .h5

    /// `model.save("m.h5")` / `save_weights("w.h5")`: root attributes, then one
    /// group per layer with `weight_names` and the datasets at those names.
    private static func writeLegacyH5(
        _ network: Network, to path: String, keras: KerasGeneration, trainingConfig: String?, weightsOnly: Bool
    ) throws {
        let file = try HDF5File(creatingAt: path)
        let root = file.root
        let version = keras == .keras3 ? keras3Version : keras2Version
        let weights: HDF5Group
        if weightsOnly {
            weights = root
        } else {
            let dialect: KerasConfigWriter.Dialect = keras == .keras3 ? .keras3H5 : .keras2H5
            try root.writeStringAttribute("keras_version", version)
            try root.writeStringAttribute("backend", "tensorflow")
            try root.writeStringAttribute("model_config", try KerasConfigWriter.modelConfig(network, dialect: dialect).serialized)
            if let trainingConfig { try root.writeStringAttribute("training_config", trainingConfig) }
            try root.writeStringAttribute("kerasio_writer", writerVersion)
            weights = try root.createGroup("model_weights")
        }
        try weights.writeStringAttribute("keras_version", version)
        try weights.writeStringAttribute("backend", "tensorflow")
        try weights.writeStringArrayAttribute("layer_names", network.layers.map(\.name))
        for layer in network.layers {
            let group = try weights.createGroup(layer.name)
            let groups = try KerasLayerRegistry.mapping(for: layer).weightGroups(of: layer)
            var names: [String] = []
            var specs = layer.parameterSpecs[...]
            for group in groups where group.count > 0 {
                names += specs.prefix(group.count).map {
                    group.legacyWeightName(layer: layer.name, model: network.name, parameter: $0.name, keras: keras)
                }
                specs = specs.dropFirst(group.count)
            }
            try group.writeStringArrayAttribute("weight_names", names)
            for (name, tensor) in zip(names, layer.parameters) {
                try group.createDataset(name, shape: tensor.shape, floats: tensor.scalars)
            }
        }
        try file.flush()
    }

    // MARK: Keras 3 weights

    /// `layers/<snake_case class>[_n]/vars/<i>`, RNN weights under `cell/vars`,
    /// each `vars` group naming its owner, as `saving_lib` writes them.
    private static func writeKeras3Weights(_ network: Network, into root: HDF5Group) throws {
        var used: [String: Int] = [:]
        for layer in network.layers {
            let mapping = try KerasLayerRegistry.mapping(for: layer)
            let key = Keras3WeightsReader.uniqueName(Keras3WeightsReader.snakeCase(mapping.className), &used)
            var tensors = layer.parameters[...]
            for group in mapping.weightGroups(of: layer) {
                let target = try root.createGroup("layers/\(key)/\(group.keras3Path)")
                try target.writeStringAttribute("name", group.keras3Name)
                for (index, tensor) in tensors.prefix(group.count).enumerated() {
                    try target.createDataset(String(index), shape: tensor.shape, floats: tensor.scalars)
                }
                tensors = tensors.dropFirst(group.count)
            }
        }
        let modelVars = try root.createGroup("vars")
        try modelVars.writeStringAttribute("name", network.name)
    }

    // MARK: .keras archive

    private static func writeArchive(_ network: Network, to path: String) throws {
        let config = try KerasConfigWriter.modelConfig(network, dialect: .keras3Archive).serialized
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let metadata = JSONText.object([
            ("keras_version", .string(keras3Version)), ("date_saved", .string(formatter.string(from: Date()))),
            ("kerasio_writer", .string(writerVersion)),
        ]).serialized

        // The weights file is built in a private temporary directory, read
        // back and removed; only the archive reaches the destination.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kerasio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let weightsPath = scratch.appendingPathComponent(KerasArchive.weightsEntry).path
        do {
            let file = try HDF5File(creatingAt: weightsPath)
            try writeKeras3Weights(network, into: file.root)
            try file.flush()
        }
        let weights = try Data(contentsOf: URL(fileURLWithPath: weightsPath))

        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, data) in [(KerasArchive.metadataEntry, Data(metadata.utf8)), (KerasArchive.configEntry, Data(config.utf8)),
                             (KerasArchive.weightsEntry, weights)] {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
                position, size in data.subdata(in: Data.Index(position)..<Data.Index(position) + size)
            }
        }
    }
}

extension KerasModel {
    /// Saves this model at `path` in `format` (by default the one `path`'s
    /// extension names) for the given Keras generation. The file's
    /// `training_config` is kept when writing a legacy `.h5` for the
    /// generation that wrote it.
    public func save(to path: String, format: KerasFileFormat? = nil, keras: KerasGeneration = .keras3) throws {
        guard let format = format ?? KerasFileFormat(writingPath: path) else {
            throw KerasIOError(.unsupportedOption, file: path, "cannot tell the format from the name; use .keras, .weights.h5 or .h5")
        }
        try KerasModelWriter.write(
            network, to: path, format: format, keras: keras,
            trainingConfig: keras == generation ? trainingConfig : nil)
    }
}
