import RNNRuntime

/// Keras splits a string-list attribute larger than HDF5's 64 KB attribute
/// limit into `name0`, `name1`, ...; these read either form back as one list
/// (as Keras's `load_attributes_from_hdf5_group` does).
extension HDF5Group {
    func kerasStringList(_ name: String) throws -> [String]? {
        if hasAttribute(name) { return try stringArrayAttribute(name) }
        var values: [String] = []
        var chunk = 0
        while hasAttribute("\(name)\(chunk)") {
            values += try stringArrayAttribute("\(name)\(chunk)")
            chunk += 1
        }
        return chunk > 0 ? values : nil
    }
}

extension HDF5Dataset {
    /// Reads one weight, strictly: its shape must be the one the config needs.
    func readWeight(_ spec: ParameterSpec, layer: String, file: String) throws -> Tensor {
        let shape = try self.shape
        guard shape == spec.shape else {
            throw KerasIOError(
                .weightMismatch, file: file,
                "weight '\(spec.name)' of layer \(Quoted(layer)) (\(Quoted(path))) has shape "
                    + "\(Tensor.describe(shape)), the config needs \(Tensor.describe(spec.shape))")
        }
        return try Tensor(shape: shape, scalars: try readFloats())
    }
}
