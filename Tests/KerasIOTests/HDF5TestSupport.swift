import CHDF5
import Foundation
@testable import KerasIO

// Writers for encodings kerasio reads but never writes, so that tests can
// build files the way h5py 2 and NumPy did without a Python dependency.
// Test-only: kept in the test target, reaching KerasIO through `@testable import`.

/// How a fixed-length string fills the bytes its type reserves.
enum _FixedLengthStringPadding {
    /// Padded with NULs, no terminator needed: NumPy's 'S' dtype, h5py 2.
    case nullPadded
    /// Terminated by a NUL, then anything.
    case nullTerminated
    /// Padded with spaces, Fortran style.
    case spacePadded

    var hdf5Value: H5T_str_t {
        switch self {
        case .nullPadded: return H5T_STR_NULLPAD
        case .nullTerminated: return H5T_STR_NULLTERM
        case .spacePadded: return H5T_STR_SPACEPAD
        }
    }
}

/// Writes `values` as fixed-length ASCII strings of the longest value's
/// length (at least 1, plus 1 if NUL-terminated), as h5py 2 wrote a NumPy
/// 'S' array: a scalar attribute if `shape` is `[]`, else an array.
func _writeFixedLengthStringAttributeForTesting(
    on group: HDF5Group, name: String, values: [String], shape: [Int],
    padding: _FixedLengthStringPadding = .nullPadded
) throws {
    let operation = "write attribute '\(name)'"
    let longest = values.map { $0.utf8.count }.max() ?? 0
    let size = max(1, longest + (padding == .nullTerminated ? 1 : 0))
    let fill: UInt8 = padding == .spacePadded ? 0x20 : 0
    var bytes: [UInt8] = []
    for value in values {
        bytes += Array(value.utf8) + [UInt8](repeating: fill, count: size - value.utf8.count)
    }
    let location = group.location
    try HDF5Library.withLock {
        let type = try location.check(H5Tcopy(kio_H5T_C_S1()), operation)
        defer { H5Tclose(type) }
        try location.check(H5Tset_size(type, size), operation)
        try location.check(H5Tset_strpad(type, padding.hdf5Value), operation)
        try group.attributeTable.write(name, type: type, shape: shape, operation: operation) { attribute in
            H5Awrite(attribute, type, bytes)
        }
    }
}

/// Writes an integer attribute (64-bit little-endian), scalar.
func _writeIntAttributeForTesting(on group: HDF5Group, name: String, value: Int) throws {
    var stored = Int64(value)
    try HDF5Library.withLock {
        try group.attributeTable.write(name, type: kio_H5T_STD_I64LE(), shape: [], operation: "write attribute") { attribute in
            H5Awrite(attribute, kio_H5T_NATIVE_LLONG(), &stored)
        }
    }
}

/// Writes a one-dimensional float64 attribute, as h5py stores
/// `np.asarray([])` (Keras's `weight_names` of a layer without weights).
func _writeDoubleArrayAttributeForTesting(on group: HDF5Group, name: String, values: [Double]) throws {
    try HDF5Library.withLock {
        try group.attributeTable.write(name, type: kio_H5T_IEEE_F64LE(), shape: [values.count], operation: "write attribute") { attribute in
            values.isEmpty ? 0 : values.withUnsafeBytes { H5Awrite(attribute, kio_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
        }
    }
}

/// Creates a float64 dataset, to test conversion on reading.
@discardableResult
func _createDoubleDatasetForTesting(in group: HDF5Group, name: String, shape: [Int], values: [Double]) throws -> HDF5Dataset {
    try group.createDataset(name, shape: shape, values: values,
                            fileType: { kio_H5T_IEEE_F64LE() }, memoryType: { kio_H5T_NATIVE_DOUBLE() })
}

/// Creates a 32-bit integer dataset, to test conversion on reading.
@discardableResult
func _createIntDatasetForTesting(in group: HDF5Group, name: String, shape: [Int], values: [Int32]) throws -> HDF5Dataset {
    try group.createDataset(name, shape: shape, values: values,
                            fileType: { kio_H5T_STD_I32LE() }, memoryType: { kio_H5T_NATIVE_INT() })
}

/// Creates a dataset of fixed-length strings, which `readFloats` must refuse.
func _createStringDatasetForTesting(in group: HDF5Group, name: String, values: [String]) throws {
    let location = group.location.appending(name)
    let operation = "create dataset"
    let size = max(1, values.map { $0.utf8.count }.max() ?? 0)
    let bytes = values.flatMap { Array($0.utf8) + [UInt8](repeating: 0, count: size - $0.utf8.count) }
    try HDF5Library.withLock {
        let type = try location.check(H5Tcopy(kio_H5T_C_S1()), operation)
        defer { H5Tclose(type) }
        try location.check(H5Tset_size(type, size), operation)
        let space = try HDF5Dataspace.create(shape: [values.count], location: location, operation: operation)
        defer { H5Sclose(space) }
        let dataset = try location.check(
            H5Dcreate2(group.groupID, name, type, space, kio_H5P_DEFAULT(), kio_H5P_DEFAULT(), kio_H5P_DEFAULT()),
            operation)
        defer { H5Dclose(dataset) }
        try location.check(H5Dwrite(dataset, type, kio_H5S_ALL(), kio_H5S_ALL(), kio_H5P_DEFAULT(), bytes), operation)
    }
}
