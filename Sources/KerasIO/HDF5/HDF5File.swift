import CHDF5
import Foundation

/// An open HDF5 file.
///
/// Owns its HDF5 file identifier and closes it in `deinit`. The file is
/// opened with the "weak" close degree: groups and datasets taken from it
/// keep it open on their own, so they stay usable after the `HDF5File` is
/// released; the file really closes with the last of them.
///
/// `@unchecked Sendable`: all stored properties are immutable and every HDF5
/// call goes through the process-wide lock of `HDF5Library`.
public final class HDF5File: @unchecked Sendable {
    /// The file's path on disk, as given.
    public let path: String
    /// The root group, `/`. Attributes of the file are those of this group.
    public let root: HDF5Group

    private let fileID: hid_t

    /// Opens an existing HDF5 file, read-only.
    ///
    /// - Throws: ``HDF5OpenError`` if the file is missing, unreadable, empty
    ///   or not HDF5 (the message says what it looks like instead);
    ///   ``HDF5Error`` with operation `"open"` if HDF5 cannot read it, for
    ///   example because it is truncated.
    public init(openingForReading path: String) throws {
        try FileSignature.checkHDF5(at: path)
        (fileID, root) = try Self.open(path, operation: "open", reading: true) { accessList, location in
            try location.check(H5Fopen(path, kio_H5F_ACC_RDONLY(), accessList), "open")
        }
        self.path = path
    }

    /// Opens an HDF5 file held in memory (an entry of a `.keras` zip archive),
    /// read-only, through HDF5's in-memory "core" driver; nothing touches the disk.
    ///
    /// - Parameters:
    ///   - image: the file's bytes.
    ///   - name: how errors name the file, e.g. `m.keras:model.weights.h5`.
    /// - Throws: ``HDF5OpenError`` if the bytes are empty or not HDF5;
    ///   ``HDF5Error`` with operation `"open"` if HDF5 cannot read them.
    public init(openingImage image: Data, name: String) throws {
        guard !image.isEmpty else { throw HDF5OpenError.empty(path: name) }
        guard image.starts(with: FileSignature.hdf5) else {
            throw HDF5OpenError.notHDF5(path: name, detected: FileSignature.describe([UInt8](image.prefix(512))))
        }
        (fileID, root) = try Self.open(name, operation: "open", reading: true) { accessList, location in
            try location.check(H5Pset_fapl_core(accessList, 1 << 16, false), "open")
            // HDF5 copies the image, so the Data need not outlive this call.
            try image.withUnsafeBytes { bytes in
                _ = try location.check(
                    H5Pset_file_image(accessList, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count), "open")
            }
            // The core driver tells open files apart by name alone: a second
            // image opened under the same name while the first is open gets
            // the first file back. Each image gets a name of its own.
            return try location.check(H5Fopen("\(name)#\(UUID().uuidString)", kio_H5F_ACC_RDONLY(), accessList), "open")
        }
        self.path = name
    }

    /// Creates an HDF5 file at `path`, replacing any file already there.
    ///
    /// To replace a file only once the new one is complete, create it at the
    /// temporary path of `AtomicFileWriter.write(to:_:)`.
    ///
    /// - Throws: ``HDF5Error`` with operation `"create"`.
    public init(creatingAt path: String) throws {
        (fileID, root) = try Self.open(path, operation: "create") { accessList, location in
            try location.check(H5Fcreate(path, kio_H5F_ACC_TRUNC(), kio_H5P_DEFAULT(), accessList), "create")
        }
        self.path = path
    }

    /// Makes a file-access list with the weak close degree, lets `openFile`
    /// adjust it and open or create the file, then opens the root group,
    /// closing the file again if that fails. All under the HDF5 lock.
    private static func open(
        _ name: String, operation: String, reading: Bool = false, _ openFile: (hid_t, HDF5Location) throws -> hid_t
    ) throws -> (hid_t, HDF5Group) {
        let location = HDF5Location(file: name, objectPath: "/", checksStructure: reading)
        HDF5Watchdog.reading(name)
        return try HDF5Library.withLock {
            let accessList = try location.check(H5Pcreate(kio_H5P_FILE_ACCESS()), operation)
            defer { H5Pclose(accessList) }
            try location.check(H5Pset_fclose_degree(accessList, H5F_CLOSE_WEAK), operation)
            let fileID = try openFile(accessList, location)
            do {
                return (fileID, try HDF5Group(openingRootOf: fileID, location: location))
            } catch {
                H5Fclose(fileID)
                throw error
            }
        }
    }

    deinit {
        HDF5Library.withLock {
            _ = H5Fclose(fileID)
        }
    }

    /// Writes everything buffered for this file to disk (`H5Fflush`, global
    /// scope), so the file is complete before it is renamed into place even
    /// if some of its groups are still open.
    public func flush() throws {
        let location = HDF5Location(file: path, objectPath: "/")
        try HDF5Library.withLock {
            _ = try location.check(H5Fflush(fileID, H5F_SCOPE_GLOBAL), "flush")
        }
    }
}
