import RNNRuntime

/// Keras's element-wise merge layers, `Add`, `Subtract`, `Multiply`,
/// `Average`, `Maximum` and `Minimum`: no options beyond the common ones in
/// either generation, so one mapping serves all six, told apart by `Kind`.
struct ElementwiseMergeConfig<Kind: ElementwiseMergeKind>: KerasLayerMapping, Equatable {
    static var className: String { Kind.className }
    static var nameBase: String { Kind.nameBase }
    static var weightOwner: KerasWeightOwner { .layer }

    let name: String

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
    }

    var declaredBatchInputShape: ConfigShape? { nil }
    var activationName: String? { nil }

    /// The graph works out the output shape from all inputs (`ElementwiseMerge`).
    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        LayerPlan(outputShape: inputShape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        ElementwiseMerge(name: name, operation: Kind.operation)
    }

    static func describes(_ layer: any Layer) -> Bool {
        (layer as? ElementwiseMerge)?.operation == Kind.operation
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        describes(layer) ? [] : nil
    }
}

protocol ElementwiseMergeKind: Sendable {
    static var className: String { get }
    static var nameBase: String { get }
    static var operation: ElementwiseMerge.Operation { get }
}

enum AddMerge: ElementwiseMergeKind {
    static let className = "Add", nameBase = "add", operation = ElementwiseMerge.Operation.add
}
enum SubtractMerge: ElementwiseMergeKind {
    static let className = "Subtract", nameBase = "subtract", operation = ElementwiseMerge.Operation.subtract
}
enum MultiplyMerge: ElementwiseMergeKind {
    static let className = "Multiply", nameBase = "multiply", operation = ElementwiseMerge.Operation.multiply
}
enum AverageMerge: ElementwiseMergeKind {
    static let className = "Average", nameBase = "average", operation = ElementwiseMerge.Operation.average
}
enum MaximumMerge: ElementwiseMergeKind {
    static let className = "Maximum", nameBase = "maximum", operation = ElementwiseMerge.Operation.maximum
}
enum MinimumMerge: ElementwiseMergeKind {
    static let className = "Minimum", nameBase = "minimum", operation = ElementwiseMerge.Operation.minimum
}
