import Foundation
import ZIPFoundation

/// The parts of a Keras 3 `.keras` archive kerasio uses, read into memory.
///
/// The archive is a zip holding `metadata.json` (`keras_version`,
/// `date_saved`), `config.json` (the model config) and `model.weights.h5`.
/// Nothing is ever extracted to disk; and since a hostile archive is the
/// usual way to write outside a target directory, an archive with any entry
/// whose name is absolute or climbs with `..`, or that is a symbolic link,
/// is refused as a whole.
///
/// A zip header's sizes are the writer's word, not a fact: an entry that
/// declares 100 bytes can inflate to gigabytes (a zip bomb). So every entry
/// is bounded twice while it inflates, never only by its header: it may not
/// grow past the size it declares, and that size may not pass the entry's
/// limit (``limit(for:)``). Inflation stops at the first byte over.
struct KerasArchive {
    let path: String
    let configJSON: String
    let kerasVersion: String?
    let weightsImage: Data

    static let configEntry = "config.json"
    static let metadataEntry = "metadata.json"
    static let weightsEntry = "model.weights.h5"

    /// The most entries an archive may list. Keras writes three; the bound
    /// keeps a central directory of millions of tiny entries from costing
    /// seconds and memory before anything is refused.
    static let mostEntries = 1_000
    /// `config.json`: no larger than the config decoder takes.
    static let largestConfig = UInt64(ConfigLimits.maximumConfigBytes)
    /// `metadata.json` holds three short strings.
    static let largestMetadata: UInt64 = 1 << 20
    /// The weights of any recurrent model kerasio runs fit in 2 GiB
    /// (500 million float32 parameters).
    static let largestWeights: UInt64 = 2 << 30

    /// Entries up to this size may inflate at any ratio.
    static let freelyInflated: UInt64 = 64 << 20
    /// Past it, at most this compression ratio.
    static let largestRatio: UInt64 = 50

    static func limit(for name: String) -> UInt64 {
        switch name {
        case configEntry: return largestConfig
        case metadataEntry: return largestMetadata
        default: return largestWeights
        }
    }

    /// True for the first bytes of a zip file: a local file header, or the
    /// end record of an empty archive.
    static func isZip(signature: [UInt8]) -> Bool {
        signature == [0x50, 0x4B, 0x03, 0x04] || signature == [0x50, 0x4B, 0x05, 0x06]
    }

    /// The largest archive read: its weights plus room for the rest.
    static let largestArchive = Int(largestWeights) + Int(largestConfig) + (64 << 20)

    /// Reads the archive at `path` (mapped into memory, not copied).
    init(readingFrom path: String) throws {
        let image: Data
        do {
            image = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw KerasIOError(.unreadable, file: path, "cannot be read (\(Quoted(error.localizedDescription)))")
        }
        try self.init(image: image, path: path)
    }

    /// Reads an archive held in memory; `path` names it in messages.
    init(image: Data, path: String) throws {
        guard image.count <= Self.largestArchive else {
            throw KerasIOError(.corrupt, file: path, "the archive is \(image.count) bytes, more than kerasio reads (\(Self.largestArchive >> 20) MiB)")
        }
        do {
            try image.withUnsafeBytes { try ZipStructureCheck.verify($0) }
        } catch let damage as ZipStructureCheck.Damaged {
            throw KerasIOError(.corrupt, file: path, "is not a readable zip archive: \(damage.reason)")
        }
        let archive: Archive
        do {
            archive = try Archive(data: image, accessMode: .read)
        } catch {
            throw KerasIOError(.corrupt, file: path, "is not a readable zip archive (truncated or damaged?)")
        }
        try self.init(archive, path: path)
    }

    private init(_ archive: Archive, path: String) throws {
        self.path = path
        var entries: [String: Entry] = [:]
        var count = 0
        for entry in archive {
            count += 1
            guard count <= Self.mostEntries else {
                throw KerasIOError(.corrupt, file: path, "the archive lists more than \(Self.mostEntries) entries; a Keras archive has three")
            }
            let name = entry.path
            try Self.checkEntryName(name, type: entry.type, archive: path)
            entries[name] = entry
        }
        func read(_ name: String) throws -> Data? {
            guard let entry = entries[name] else { return nil }
            return try Self.inflate(entry, named: name, from: archive, path: path)
        }
        guard let config = try read(Self.configEntry) else {
            throw KerasIOError(.missingModelConfig, file: path, "the archive has no \(Self.configEntry), so no model architecture")
        }
        guard let configText = String(data: config, encoding: .utf8) else {
            throw KerasIOError(.invalidConfig, file: path, "\(Self.configEntry) is not UTF-8 text")
        }
        guard let weights = try read(Self.weightsEntry) else {
            if entries.keys.contains("model.weights.npz") {
                throw KerasIOError(.unsupportedOption, file: path, "the archive stores its weights as model.weights.npz; kerasio reads model.weights.h5")
            }
            if entries.keys.contains(where: { $0.hasPrefix("model.weights") }) {
                throw KerasIOError(.unsupportedOption, file: path, "the archive's weights are sharded; kerasio reads a single model.weights.h5")
            }
            throw KerasIOError(.missingWeight, file: path, "the archive has no \(Self.weightsEntry), so no weights")
        }
        configJSON = configText
        weightsImage = weights
        if let metadata = try read(Self.metadataEntry),
           let object = try? JSONSerialization.jsonObject(with: metadata) as? [String: Any] {
            kerasVersion = object["keras_version"] as? String
        } else {
            kerasVersion = nil
        }
    }

    /// Inflates one entry into memory, stopping at the first byte beyond
    /// what it declares or beyond its limit, and checking its CRC.
    private static func inflate(_ entry: Entry, named name: String, from archive: Archive, path: String) throws -> Data {
        let quoted = Quoted(name)
        let limit = limit(for: name)
        let declared = entry.uncompressedSize
        guard declared <= limit else {
            throw KerasIOError(
                .corrupt, file: path,
                "archive entry \(quoted) declares \(declared) bytes, more than the \(limit >> 20) MiB kerasio allows for it")
        }
        // Model weights are float arrays, which barely compress: an entry
        // that claims to inflate past 64 MiB at more than 50:1 is a bomb
        // with an honest header, not a model.
        let (ratioBound, overflow) = UInt64(entry.compressedSize).multipliedReportingOverflow(by: Self.largestRatio)
        guard declared <= Self.freelyInflated || (!overflow && declared <= ratioBound) else {
            throw KerasIOError(
                .corrupt, file: path,
                "archive entry \(quoted) would inflate \(entry.compressedSize) bytes to \(declared), "
                    + "more than \(Self.largestRatio):1; refusing it as a zip bomb")
        }
        guard entry.type == .file else {
            throw KerasIOError(.corrupt, file: path, "archive entry \(quoted) is not a file")
        }
        struct Overflow: Error {}
        var data = Data()
        data.reserveCapacity(Int(min(declared, 64 << 20)))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard UInt64(data.count) + UInt64(chunk.count) <= declared else { throw Overflow() }
                data.append(chunk)
            }
        } catch is Overflow {
            throw KerasIOError(
                .corrupt, file: path,
                "archive entry \(quoted) inflates to more than the \(declared) bytes it declares (a zip bomb or a damaged archive)")
        } catch {
            throw KerasIOError(.corrupt, file: path, "archive entry \(quoted) cannot be read (\(Quoted(error.localizedDescription)))")
        }
        guard UInt64(data.count) == declared else {
            throw KerasIOError(
                .corrupt, file: path,
                "archive entry \(quoted) inflates to \(data.count) bytes but declares \(declared) (a damaged archive)")
        }
        return data
    }

    /// Entry names must stay inside the archive: no absolute paths, no `..`,
    /// no drive letters or backslash tricks, no links.
    static func checkEntryName(_ name: String, type: Entry.EntryType, archive: String) throws {
        let parts = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        let absolute = name.hasPrefix("/") || name.hasPrefix("\\") || (name.count >= 2 && name.dropFirst().first == ":")
        if absolute || parts.contains("..") {
            throw KerasIOError(
                .notAModelFile, file: archive,
                "archive entry \(Quoted(name)) points outside the archive; refusing the whole file")
        }
        if type == .symlink {
            throw KerasIOError(.notAModelFile, file: archive, "archive entry \(Quoted(name)) is a symbolic link; refusing the whole file")
        }
    }
}
