import CHDF5
import Foundation

/// What kind of object a path inside an HDF5 file names.
public enum HDF5ObjectKind: Sendable, Equatable {
    case group
    case dataset
    /// A committed (named) datatype, or anything else HDF5 may add.
    case other
}

/// A group inside an open HDF5 file, e.g. `/model_weights/dense`.
///
/// Owns its HDF5 group identifier and closes it in `deinit`; while it is
/// alive the file stays open (see ``HDF5File``).
///
/// Names given to its methods are paths relative to the group and may hold
/// several components (`"dense/kernel:0"`); a name starting with `/` is
/// absolute in the file.
///
/// `@unchecked Sendable`: all stored properties are immutable and every HDF5
/// call goes through the process-wide lock of `HDF5Library`.
public final class HDF5Group: @unchecked Sendable {
    let groupID: hid_t
    let location: HDF5Location

    /// The path of the file on disk that holds this group.
    public var filePath: String { location.file }
    /// The absolute path of this group inside the file, `/` for the root.
    public var path: String { location.objectPath }

    /// Takes ownership of `groupID`.
    init(groupID: hid_t, location: HDF5Location) {
        self.groupID = groupID
        self.location = location
    }

    /// Opens the root group of an open file. Call with the lock held.
    convenience init(openingRootOf fileID: hid_t, location: HDF5Location) throws {
        let groupID = try location.check(H5Gopen2(fileID, "/", kio_H5P_DEFAULT()), "open root group")
        self.init(groupID: groupID, location: location)
        try HDF5AttributeCheck.verify(groupID, location: location, operation: "open root group")
    }

    deinit {
        HDF5Library.withLock {
            _ = H5Gclose(groupID)
        }
    }

    // MARK: - Reading

    /// The group at `name`, relative to this one.
    ///
    /// - Throws: ``HDF5Error`` naming the first missing component, or saying
    ///   that the object is not a group.
    public func group(_ name: String) throws -> HDF5Group {
        let target = location.appending(name)
        return try HDF5Library.withLock {
            try requireObject(name, kind: .group, operation: "open group")
            let id = try target.check(H5Gopen2(groupID, HDF5Group.hdf5Name(name), kio_H5P_DEFAULT()), "open group")
            let group = HDF5Group(groupID: id, location: target)
            try HDF5AttributeCheck.verify(id, location: target, operation: "open group")
            return group
        }
    }

    /// The dataset at `path`, relative to this group.
    ///
    /// - Throws: ``HDF5Error`` whose ``HDF5Error/objectPath`` is the full
    ///   path asked for and whose message names the first missing component.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        let target = location.appending(path)
        return try HDF5Library.withLock {
            try requireObject(path, kind: .dataset, operation: "open dataset")
            let id = try target.check(H5Dopen2(groupID, HDF5Group.hdf5Name(path), kio_H5P_DEFAULT()), "open dataset")
            let dataset = HDF5Dataset(datasetID: id, location: target)
            try HDF5AttributeCheck.verify(id, location: target, operation: "open dataset")
            return dataset
        }
    }

    /// True if an object exists at `path`, relative to this group.
    ///
    /// Checks each component in turn with `H5Lexists`, because asking HDF5
    /// about `a/b/c` directly fails (rather than answering false) when `a`
    /// is missing. A dangling soft link does not count.
    public func contains(_ path: String) -> Bool {
        HDF5Library.withLock {
            guard let problem = missingComponent(in: path) else {
                return H5Oexists_by_name(groupID, HDF5Group.hdf5Name(path), kio_H5P_DEFAULT()) > 0
            }
            // A link kerasio will not follow is there all the same: say so
            // when the caller opens it, rather than call it missing.
            return problem.isRefusedLink
        }
    }

    /// What kind of object is at `path`, relative to this group, or nil if
    /// there is none.
    public func kind(of path: String) -> HDF5ObjectKind? {
        HDF5Library.withLock {
            guard missingComponent(in: path) == nil else { return nil }
            let objectID = H5Oopen(groupID, HDF5Group.hdf5Name(path), kio_H5P_DEFAULT())
            guard objectID >= 0 else {
                _ = HDF5Library.takeErrorStack()
                return nil
            }
            defer { H5Oclose(objectID) }
            switch H5Iget_type(objectID) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// The names of the group's members (groups, datasets, links), sorted
    /// by name in byte order (`H5Literate` over the name index).
    public func childNames() throws -> [String] {
        try HDF5Library.withLock {
            var names: [String] = []
            var index: hsize_t = 0
            let status = withUnsafeMutablePointer(to: &names) { namesPointer in
                H5Literate(groupID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, clientData in
                    guard let name, let clientData else { return -1 }
                    clientData.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                    return 0
                }, namesPointer)
            }
            try location.check(status, "list members")
            return names
        }
    }

    // MARK: - Writing

    /// Creates the group `name` below this one, with any missing
    /// intermediate groups.
    ///
    /// - Throws: ``HDF5Error`` if it exists already or the file is read-only.
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let target = location.appending(name)
        return try HDF5Library.withLock {
            let linkList = try HDF5Group.intermediateGroupsLinkList(target, operation: "create group")
            defer { H5Pclose(linkList) }
            let id = try target.check(
                H5Gcreate2(groupID, HDF5Group.hdf5Name(name), linkList, kio_H5P_DEFAULT(), kio_H5P_DEFAULT()),
                "create group")
            return HDF5Group(groupID: id, location: target)
        }
    }

    /// Creates a float32 dataset (little-endian IEEE, contiguous) holding
    /// `floats` in row-major order, with any missing intermediate groups.
    /// An empty `shape` makes a scalar dataset of one value.
    ///
    /// - Throws: ``HDF5Error`` if `floats.count` is not the product of
    ///   `shape`, the name exists already, or the file is read-only.
    @discardableResult
    public func createDataset(_ name: String, shape: [Int], floats: [Float]) throws -> HDF5Dataset {
        try createDataset(
            name, shape: shape, values: floats,
            fileType: { kio_H5T_IEEE_F32LE() }, memoryType: { kio_H5T_NATIVE_FLOAT() })
    }

    /// Creates a dataset of `values` stored as `fileType`, converting from
    /// `memoryType`, which must describe `Element`. The types are closures
    /// because HDF5's predefined type identifiers are only valid once the
    /// library is initialised, inside the lock.
    func createDataset<Element>(
        _ name: String, shape: [Int], values: [Element],
        fileType: () -> hid_t, memoryType: () -> hid_t
    ) throws -> HDF5Dataset {
        let target = location.appending(name)
        let operation = "create dataset"
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw target.problem(operation, "shape \(shape) has a negative dimension")
        }
        let count = shape.reduce(1, *)
        guard count == values.count else {
            throw target.problem(operation, "shape \(shape) holds \(count) values but \(values.count) were given")
        }
        return try HDF5Library.withLock {
            let space = try HDF5Dataspace.create(shape: shape, location: target, operation: operation)
            defer { H5Sclose(space) }
            let linkList = try HDF5Group.intermediateGroupsLinkList(target, operation: operation)
            defer { H5Pclose(linkList) }
            let id = try target.check(
                H5Dcreate2(groupID, HDF5Group.hdf5Name(name), fileType(), space, linkList,
                           kio_H5P_DEFAULT(), kio_H5P_DEFAULT()),
                operation)
            let dataset = HDF5Dataset(datasetID: id, location: target)
            if count > 0 {
                let status = values.withUnsafeBytes { buffer in
                    H5Dwrite(id, memoryType(), kio_H5S_ALL(), kio_H5S_ALL(), kio_H5P_DEFAULT(), buffer.baseAddress)
                }
                try target.check(status, "write dataset")
            }
            return dataset
        }
    }

    // MARK: - Paths

    /// `name` as HDF5 should see it: empty components removed, `.` (this
    /// group) for an empty relative name.
    static func hdf5Name(_ name: String) -> String {
        let components = HDF5Path.components(name)
        if name.hasPrefix("/") { return "/" + components.joined(separator: "/") }
        return components.isEmpty ? "." : components.joined(separator: "/")
    }

    /// A link-creation property list that creates missing intermediate
    /// groups, as h5py does. The caller closes it. Call with the lock held.
    private static func intermediateGroupsLinkList(_ target: HDF5Location, operation: String) throws -> hid_t {
        let linkList = try target.check(H5Pcreate(kio_H5P_LINK_CREATE()), operation)
        do {
            try target.check(H5Pset_create_intermediate_group(linkList, 1), operation)
        } catch {
            H5Pclose(linkList)
            throw error
        }
        return linkList
    }

    /// Why a path cannot be opened: a component is missing, or is a link
    /// kerasio does not follow.
    private struct PathProblem {
        let message: String
        var isRefusedLink = false
    }

    /// Describes the first component of `path` that does not exist, e.g.
    /// `"'/model_weights' has no member 'dense'"`, or is a link kerasio does
    /// not follow; nil if all exist. Call with the lock held.
    private func missingComponent(in path: String) -> PathProblem? {
        let components = HDF5Path.components(path)
        let isAbsolute = path.hasPrefix("/")
        var parentPath = isAbsolute ? "/" : location.objectPath
        for index in components.indices {
            let prefix = components[...index].joined(separator: "/")
            let exists = H5Lexists(groupID, isAbsolute ? "/" + prefix : prefix, kio_H5P_DEFAULT())
            if exists < 0 {
                // H5Lexists fails, rather than answering, when the parent
                // is not a group.
                _ = HDF5Library.takeErrorStack()
                return PathProblem(message: "'\(parentPath)' is not a group")
            }
            if exists == 0 {
                return PathProblem(message: "'\(parentPath)' has no member \(Quoted(components[index]))")
            }
            // Keras files hold hard links only. An external link would make
            // kerasio open another file the model names (any path at all),
            // and a soft link can point anywhere in the tree or nowhere:
            // neither is followed.
            let linkType = kio_link_type(groupID, isAbsolute ? "/" + prefix : prefix)
            if linkType != H5L_TYPE_HARD.rawValue {
                _ = HDF5Library.takeErrorStack()
                let member = HDF5Path.join(parentPath, components[index])
                let what: String
                switch linkType {
                case H5L_TYPE_EXTERNAL.rawValue: what = "an external link to another file; kerasio follows no links out of a file"
                case H5L_TYPE_SOFT.rawValue: what = "a soft link; Keras files hold none and kerasio follows none"
                default: what = "a link of a kind kerasio does not follow"
                }
                return PathProblem(message: "\(Quoted(member)) is \(what)", isRefusedLink: true)
            }
            parentPath = HDF5Path.join(parentPath, components[index])
        }
        return nil
    }

    /// Throws a clear error unless an object of `kind` exists at `path`.
    /// Call with the lock held.
    private func requireObject(_ path: String, kind: HDF5ObjectKind, operation: String) throws {
        let target = location.appending(path)
        if let missing = missingComponent(in: path) {
            throw target.problem(operation, missing.message)
        }
        if let actual = self.kind(of: path), actual != kind {
            let described = actual == .group ? "a group" : actual == .dataset ? "a dataset" : "a named datatype"
            throw target.problem(operation, "the object is \(described), not a \(kind == .group ? "group" : "dataset")")
        }
    }
}
