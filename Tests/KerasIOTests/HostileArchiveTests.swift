import Foundation
import Testing
@testable import KerasIO

/// The .keras reproducers of issue 10 (fixtures/hostile/make_archive_reproducers.py):
/// zip headers that lie about sizes. The bomb took 20 s and 460 MB before.
@Suite("Hostile .keras archives are refused while inflating, not after")
struct HostileArchiveTests {
    static let cases: [(String, String)] = [
        ("zip_bomb_config.keras", "'config.json' inflates to more than the 100 bytes it declares"),
        ("huge_declared_metadata.keras", "'metadata.json' declares 4294967280 bytes, more than the 1 MiB"),
        ("weights_size_lie.keras", "'model.weights.h5' inflates to more than the"),
        ("many_entries.keras", "lists more than 1000 entries"),
        ("honest_bomb_weights.keras", "more than 50:1; refusing it as a zip bomb"),
        // Found by fuzzing: ZIPFoundation trapped reading it from memory.
        ("fuzz_memory_seek.keras", "is not a readable zip archive: "),
    ]

    @Test("Each reproducer is refused naming the entry and the lie", arguments: cases)
    func refused(reproducer: (String, String)) throws {
        let path = Fixtures.path("hostile/archive/\(reproducer.0)")
        let error = try #require(throws: KerasIOError.self) { try KerasModel.load(from: path) }
        #expect(error.localizedDescription.contains(reproducer.1), "\(error.localizedDescription)")
        #expect(error.localizedDescription.hasPrefix(path))
        let image = try Data(contentsOf: URL(fileURLWithPath: path))
        let fromMemory = try #require(throws: KerasIOError.self) { try KerasModel.load(image: image, name: "m.keras") }
        #expect(fromMemory.localizedDescription.contains(reproducer.1))
    }

    @Test("The archive they were made from loads, from disk and from memory")
    func originalLoads() throws {
        let path = Fixtures.path("keras3/sunspots.keras")
        #expect(try KerasModel.load(from: path).format == .kerasArchive)
        let image = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try KerasModel.load(image: image, name: "m.keras").format == .kerasArchive)
    }
}
