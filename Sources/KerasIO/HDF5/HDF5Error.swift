import CHDF5
import Foundation

/// A failed HDF5 operation: what kerasio was doing, in which file, on which
/// object, and what HDF5 said about it.
public struct HDF5Error: Error, LocalizedError, Sendable, Equatable {
    /// What failed, in words: `"open"`, `"read attribute 'model_config'"`.
    public let operation: String
    /// The path of the HDF5 file on disk.
    public let file: String
    /// The absolute path of the object inside the file, e.g.
    /// `/model_weights/dense`; `/` for the file itself.
    public let objectPath: String
    /// The messages of HDF5's error stack, outermost call first. For a
    /// problem kerasio detects itself (an attribute that holds numbers where
    /// strings were expected), a single message describing it.
    public let stack: [String]

    public init(operation: String, file: String, objectPath: String, stack: [String]) {
        self.operation = operation
        self.file = file
        self.objectPath = objectPath
        self.stack = stack
    }

    /// The most specific message: the innermost non-empty entry of the stack,
    /// which is where HDF5 names the actual cause ("truncated file: eof =
    /// 1000, ..."); the outer entries only repeat "unable to open file".
    public var reason: String {
        stack.last(where: { !$0.isEmpty }) ?? "HDF5 gave no details"
    }

    /// One line: `<file>: HDF5 <operation> failed at <objectPath>: <reason>`.
    public var errorDescription: String? {
        "\(file): HDF5 \(operation) failed at \(objectPath): \(reason)"
    }
}

/// Where an HDF5 call happens, so that a failure can say so.
struct HDF5Location: Sendable {
    let file: String
    let objectPath: String
    /// True in files opened for reading: each object's attributes are
    /// checked (``HDF5AttributeCheck``) before libhdf5 may decode them.
    /// Files being written are libhdf5's own work and are not re-read.
    var checksStructure = false

    /// The location of `name` relative to this one; `name` may hold several
    /// components (`"dense/kernel:0"`) or be absolute (`"/model_weights"`).
    func appending(_ name: String) -> HDF5Location {
        HDF5Location(file: file, objectPath: HDF5Path.join(objectPath, name), checksStructure: checksStructure)
    }

    /// The error for an HDF5 call that just failed, carrying HDF5's error
    /// stack. Call with the lock held.
    func failure(_ operation: String) -> HDF5Error {
        HDF5Error(operation: operation, file: file, objectPath: objectPath, stack: HDF5Library.takeErrorStack())
    }

    /// The error for a problem kerasio found itself; HDF5 reported none.
    func problem(_ operation: String, _ message: String) -> HDF5Error {
        HDF5Error(operation: operation, file: file, objectPath: objectPath, stack: [message])
    }

    /// Returns `result`, or throws ``failure(_:)`` if it is negative: HDF5's
    /// convention for failure in `hid_t`, `herr_t`, `htri_t` and `ssize_t`.
    /// Call with the lock held.
    @discardableResult
    func check<Result: BinaryInteger>(_ result: Result, _ operation: String) throws -> Result {
        guard result >= 0 else { throw failure(operation) }
        return result
    }
}

/// Paths inside an HDF5 file: components separated by `/`, absolute from `/`.
enum HDF5Path {
    /// The non-empty components of `path`: `"/a//b/"` gives `["a", "b"]`.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// `name` resolved against the absolute path `base`.
    static func join(_ base: String, _ name: String) -> String {
        let resolved = name.hasPrefix("/") ? components(name) : components(base) + components(name)
        return "/" + resolved.joined(separator: "/")
    }
}
