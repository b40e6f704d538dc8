import Foundation

/// Where a weights-only file's architecture comes from (`--config FILE`):
/// the JSON of `model.to_json()`, a `config.json` from a `.keras` archive, or
/// any model file kerasio reads whose architecture matches the weights.
struct ArchitectureSource {
    let path: String
    let config: ModelConfig
    let generation: KerasGeneration
    let kerasVersion: String?

    init(path: String) throws {
        if Self.isZip(path) {
            let archive = try KerasArchive(readingFrom: path)
            try self.init(path: path, json: archive.configJSON, kerasVersion: archive.kerasVersion)
            return
        }
        if (try? FileSignature.checkHDF5(at: path)) != nil {
            let file = try withHDF5Errors(file: path) { try HDF5File(openingForReading: path) }
            let root = file.root
            guard root.hasAttribute("model_config") else {
                throw KerasIOError(.missingModelConfig, file: path, "has no model_config, so it cannot serve as --config")
            }
            let (json, version) = try withHDF5Errors(file: path) {
                (try root.stringAttribute("model_config"),
                 root.hasAttribute("keras_version") ? try root.stringAttribute("keras_version") : nil)
            }
            try self.init(path: path, json: json, kerasVersion: version)
            return
        }
        // A JSON file (to_json() output): its size is checked before it is read.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.uint64Value > UInt64(ConfigLimits.maximumConfigBytes) {
            throw KerasIOError(
                .unsupportedOption, file: path,
                "is \(size) bytes, more than kerasio's limit of \(ConfigLimits.maximumConfigBytes) for a model config")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KerasIOError(.unreadable, file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KerasIOError(.invalidConfig, file: path, "is neither a model file nor JSON text")
        }
        // Parsed once: to_json() records the Keras version at the top level,
        // next to the architecture itself.
        let document = try ModelConfig.parse(json: text, file: path)
        try self.init(path: path, document: document, json: text, kerasVersion: document.root.member("keras_version")?.string)
    }

    private init(path: String, json: String, kerasVersion: String?) throws {
        try self.init(path: path, document: ModelConfig.parse(json: json, file: path), json: json, kerasVersion: kerasVersion)
    }

    private init(path: String, document: ConfigJSON, json: String, kerasVersion: String?) throws {
        self.path = path
        self.kerasVersion = kerasVersion
        generation = KerasGeneration(version: kerasVersion ?? "") ?? KerasGeneration.guess(fromConfig: json)
        config = try ModelConfig.decode(document: document, file: path)
    }

    static func isZip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        return head == [0x50, 0x4B, 0x03, 0x04] || head == [0x50, 0x4B, 0x05, 0x06]
    }
}

extension KerasGeneration {
    /// Files from before `keras_version` was recorded are Keras 2; Keras 3
    /// configs carry `module` keys and DTypePolicy objects. C's `memchr`
    /// and `memcmp` keep this fast on configs of any size, even unoptimized.
    static func guess(fromConfig json: String) -> KerasGeneration {
        var text = json
        return text.withUTF8 { bytes in
            func holds(_ needle: StaticString) -> Bool {
                guard let base = bytes.baseAddress else { return false }
                let first = Int32(needle.utf8Start[0]), length = needle.utf8CodeUnitCount
                var offset = 0
                while offset + length <= bytes.count, let hit = memchr(base + offset, first, bytes.count - offset) {
                    let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                    if at + length <= bytes.count, memcmp(hit, needle.utf8Start, length) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
            return holds("\"module\"") || holds("DTypePolicy") ? .keras3 : .keras2
        }
    }
}
