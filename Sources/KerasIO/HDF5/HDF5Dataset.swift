import CHDF5
import Foundation

/// A dataset inside an open HDF5 file, e.g.
/// `/model_weights/dense/dense/kernel:0`.
///
/// Owns its HDF5 dataset identifier and closes it in `deinit`; while it is
/// alive the file stays open (see ``HDF5File``).
///
/// `@unchecked Sendable`: all stored properties are immutable and every HDF5
/// call goes through the process-wide lock of `HDF5Library`.
public final class HDF5Dataset: @unchecked Sendable {
    let datasetID: hid_t
    let location: HDF5Location

    /// The path of the file on disk that holds this dataset.
    public var filePath: String { location.file }
    /// The absolute path of this dataset inside the file.
    public var path: String { location.objectPath }

    /// Takes ownership of `datasetID`.
    init(datasetID: hid_t, location: HDF5Location) {
        self.datasetID = datasetID
        self.location = location
    }

    deinit {
        HDF5Library.withLock {
            _ = H5Dclose(datasetID)
        }
    }

    /// The dimensions, outermost first (row-major, as h5py and NumPy show
    /// them): `[]` for a scalar dataset. Their product is the element count.
    public var shape: [Int] {
        get throws {
            try HDF5Library.withLock {
                let space = try location.check(H5Dget_space(datasetID), "read shape")
                defer { H5Sclose(space) }
                return try HDF5Dataspace.shape(of: space, location: location, operation: "read shape")
            }
        }
    }

    /// All elements in row-major order, converted by HDF5 to native
    /// `Float`: float32 as stored, float64 and float16 rounded to nearest,
    /// integers converted (exactly up to 2²⁴).
    ///
    /// - Throws: ``HDF5Error`` if the dataset holds strings, compound
    ///   records or anything else that is not plain numbers.
    public func readFloats() throws -> [Float] {
        let operation = "read dataset as floats"
        return try HDF5Library.withLock {
            let storedType = try location.check(H5Dget_type(datasetID), operation)
            defer { H5Tclose(storedType) }
            let typeClass = H5Tget_class(storedType)
            guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
                throw location.problem(operation, "the dataset holds \(HDF5Dataset.describe(typeClass)), not numbers")
            }
            let space = try location.check(H5Dget_space(datasetID), operation)
            defer { H5Sclose(space) }
            let count = try HDF5Dataspace.elementCount(of: space, location: location, operation: operation)
            guard count > 0 else { return [] }
            try checkSize(count: count, elementSize: H5Tget_size(storedType), operation: operation)
            var values = [Float](repeating: 0, count: count)
            let status = values.withUnsafeMutableBytes { buffer in
                H5Dread(datasetID, kio_H5T_NATIVE_FLOAT(), kio_H5S_ALL(), kio_H5S_ALL(), kio_H5P_DEFAULT(),
                        buffer.baseAddress)
            }
            try location.check(status, operation)
            return values
        }
    }

    /// The most elements one dataset may hold: 2 GiB of float32, past any
    /// recurrent model's largest weight.
    static let mostElements = 1 << 29

    /// Refuses, before anything is allocated, a dataset whose declared shape
    /// the file cannot hold: uncompressed data must fit in the file, and
    /// compressed data may not claim more than a 1000:1 ratio. The shape
    /// comes from the file, so without this a few damaged bytes would have
    /// kerasio allocate gigabytes. Call with the lock held.
    private func checkSize(count: Int, elementSize: Int, operation: String) throws {
        guard count <= Self.mostElements else {
            throw location.problem(operation, "it declares \(count) elements, more than the \(Self.mostElements) kerasio reads")
        }
        let fileID = H5Iget_file_id(datasetID)
        guard fileID >= 0 else { throw location.failure(operation) }
        defer { H5Fclose(fileID) }
        var fileSize: hsize_t = 0
        try location.check(H5Fget_filesize(fileID, &fileSize), operation)
        let creation = try location.check(H5Dget_create_plist(datasetID), operation)
        defer { H5Pclose(creation) }
        let filters = H5Pget_nfilters(creation)
        let bytes = UInt64(count) * UInt64(max(elementSize, 1))
        let room = filters > 0 ? UInt64(fileSize) * 1000 : UInt64(fileSize)
        guard bytes <= room else {
            throw location.problem(
                operation, "it declares \(count) elements (\(bytes) bytes), more than the \(fileSize)-byte file can hold; the file is damaged")
        }
    }

    /// A phrase naming what a type class holds, for error messages.
    static func describe(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_INTEGER: return "integers"
        case H5T_FLOAT: return "floating-point numbers"
        case H5T_STRING: return "strings"
        case H5T_COMPOUND: return "compound records (a structured array)"
        case H5T_ENUM: return "enumerated values (h5py stores booleans this way)"
        case H5T_ARRAY: return "fixed-size arrays per element"
        case H5T_VLEN: return "variable-length sequences"
        case H5T_REFERENCE: return "object references"
        case H5T_OPAQUE: return "opaque bytes"
        case H5T_BITFIELD: return "bit fields"
        case H5T_TIME: return "time values"
        default: return "values of an unknown type class"
        }
    }
}
