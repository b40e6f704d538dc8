import Foundation
import Testing
@testable import KerasIO

/// The HDF5 reproducers of issue 10 (fixtures/hostile/make_hdf5_reproducers.py):
/// each crashed, hung, allocated gigabytes in, or silently read another file
/// through libhdf5 1.10.8 before kerasio checked the structures itself.
@Suite("Hostile HDF5 files are refused before libhdf5 trips on them")
struct HostileHDF5Tests {
    /// Reproducer -> words the refusal must contain.
    static let cases: [(String, String)] = [
        ("vlen_heap_index.h5", "global heap object that does not exist"),
        ("vlen_length_short.h5", "declares 1 bytes but its heap object holds 6"),
        ("vlen_length_huge.h5", "declares 3221225472 bytes"),
        ("vlen_heap_address.h5", "not a global heap collection"),
        ("gcol_huge_size.h5", "more than the file holds"),
        ("gcol_zero_free_space.h5", "free space is malformed"),
        ("gcol_object_overrun.h5", "larger than its collection"),
        ("external_link.h5", "is an external link to another file"),
        ("external_link_hdf5.h5", "is an external link to another file"),
        ("soft_link.h5", "is a soft link"),
        // Found by fuzzing: H5Aread read past the attribute's data.
        ("fuzz_vlen_size_field.h5", "variable-length type declares 11-byte elements, not 16"),
    ]

    static func check(_ error: KerasIOError, name: String, expected: String) {
        let message = error.localizedDescription
        #expect(message.contains(expected), "\(message)")
        #expect(message.hasPrefix(name))
        #expect(!message.contains("\n"))
        #expect(message.count <= 400)
    }

    @Test("Each reproducer on disk is refused with the damage named", arguments: cases)
    func onDisk(reproducer: (String, String)) throws {
        let path = Fixtures.path("hostile/hdf5/\(reproducer.0)")
        let error = try #require(throws: KerasIOError.self) { try KerasModel.load(from: path) }
        Self.check(error, name: path, expected: reproducer.1)
    }

    @Test("Each reproducer held in memory (core driver) is refused the same way", arguments: cases)
    func inMemory(reproducer: (String, String)) throws {
        let image = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hostile/hdf5/\(reproducer.0)")))
        let error = try #require(throws: KerasIOError.self) { try KerasModel.load(image: image, name: "image.h5") }
        Self.check(error, name: "image.h5", expected: reproducer.1)
    }

    @Test("Weights files the fuzzer found with a damaged group index (libhdf5 copied into a null pointer)",
          arguments: ["fuzz_group_btree_1.weights.h5", "fuzz_group_btree_2.weights.h5"])
    func damagedGroupIndex(reproducer: String) throws {
        let path = Fixtures.path("hostile/hdf5/\(reproducer)")
        let architecture = Fixtures.path("keras3/sunspots.json")
        let error = try #require(throws: KerasIOError.self) { try KerasModel.load(from: path, architecture: architecture) }
        Self.check(error, name: path, expected: "member index (B-tree) is missing or damaged")
        let image = try Data(contentsOf: URL(fileURLWithPath: path))
        let fromMemory = try #require(throws: KerasIOError.self) {
            try KerasModel.load(image: image, name: "w.weights.h5", architecture: architecture)
        }
        Self.check(fromMemory, name: "w.weights.h5", expected: "member index (B-tree) is missing or damaged")
    }

    @Test("The original of the reproducers loads: the checks refuse damage, not Keras files")
    func originalLoads() throws {
        let path = Fixtures.path("keras3/sunspots.h5")
        #expect(try KerasModel.load(from: path).kerasVersion == "3.15.1")
        let image = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try KerasModel.load(image: image, name: "image.h5").kerasVersion == "3.15.1")
    }

    @Test("A stalled HDF5 region is reported to the stall handler, naming a file")
    func watchdogSeesStall() throws {
        let seen = StallBox()
        let (savedLimit, savedHandler) = (HDF5Watchdog.stallLimit, HDF5Watchdog.onStall)
        defer {
            HDF5Watchdog.stallLimit = savedLimit
            HDF5Watchdog.onStall = savedHandler
        }
        HDF5Watchdog.stallLimit = 0.3
        HDF5Watchdog.onStall = { seen.record($0) }
        _ = try HDF5File(openingForReading: Fixtures.path("keras3/sunspots.h5"))
        HDF5Library.withLock { Thread.sleep(forTimeInterval: 1.0) }
        let stall = try #require(seen.stall)
        // The last file opened: this one, or one a test running beside
        // this one opened since.
        #expect(stall.file.hasSuffix(".h5") || stall.file.contains(".keras"))
        #expect(stall.seconds > 0.3)
    }
}

final class StallBox: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: HDF5Watchdog.Stall?
    var stall: HDF5Watchdog.Stall? { lock.lock(); defer { lock.unlock() }; return recorded }
    func record(_ stall: HDF5Watchdog.Stall) { lock.lock(); recorded = stall; lock.unlock() }
}
