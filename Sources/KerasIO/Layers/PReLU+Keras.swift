import Foundation
import RNNRuntime

/// Keras's `PReLU`: one weight, `alpha`, shaped like a sample with each of
/// `shared_axes` (the batch being axis 0) of length 1. The initializer,
/// regularizer and constraint only matter to a fresh layer's training and
/// are written back as Keras's defaults.
struct PReLUConfig: KerasLayerMapping, Equatable {
    static let className = "PReLU"
    static let nameBase = "p_re_lu"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    /// Keras's `shared_axes`, sorted, without repeats; empty for None.
    let sharedAxes: [Int]
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?
    /// The input shape `plan` was given, for `makeLayer` (see `PlannedInputShape`).
    private let planned = PlannedInputShape()

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        var axes: [Int] = []
        if let value = c.value("shared_axes") {
            let items = value.kind == .array ? value.elements : [value]
            guard items.count <= ConfigLimits.maximumRank else {
                throw c.problem(.unsupportedOption, "shared_axes lists \(items.count) axes, more than kerasio's limit of \(ConfigLimits.maximumRank)")
            }
            for item in items {
                guard case .value(let axis) = item.integer, axis >= 1, axis <= ConfigLimits.maximumRank else {
                    throw c.problem("shared_axes must list axes from 1 (the axis after the batch), found \(item.found)")
                }
                axes.append(axis)
            }
        }
        sharedAxes = Array(Set(axes)).sorted()
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
    }

    static func == (lhs: PReLUConfig, rhs: PReLUConfig) -> Bool {
        lhs.name == rhs.name && lhs.sharedAxes == rhs.sharedAxes && lhs.dtype == rhs.dtype && lhs.batchInputShape == rhs.batchInputShape
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { nil }

    /// alpha is the sample's shape with the shared axes set to 1; every
    /// other axis must have a fixed length, as Keras's `build` needs.
    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        if let axis = sharedAxes.last, axis > inputShape.count {
            throw ConfigProblem(
                .invalidConfig, at: place,
                "shared_axes has axis \(axis), input \(ConfigText.shape([nil] + inputShape)) has axes 1 to \(inputShape.count)")
        }
        var count = 1
        for (index, length) in inputShape.enumerated() where !sharedAxes.contains(index + 1) {
            guard let length else {
                throw ConfigProblem(
                    .invalidConfig, at: place,
                    "alpha needs axis \(index + 1) of input \(ConfigText.shape([nil] + inputShape)) to be fixed or shared (shared_axes)")
            }
            count = try place.weightCount(rows: count, units: length)
        }
        planned.set(inputShape)
        return LayerPlan(outputShape: inputShape, weights: count)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        guard let inputShape = planned.get() else {
            throw ConfigProblem(.invalidConfig, at: place, "PReLU made before its input shape was planned")
        }
        return PReLU(name: name, sampleShape: inputShape.map { $0 ?? 1 }, sharedAxes: sharedAxes)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is PReLU }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let prelu = layer as? PReLU else { return nil }
        let zeros = JSONText.object([
            ("module", .string("keras.initializers")), ("class_name", .string("Zeros")), ("config", .object([])),
            ("registered_name", .null),
        ])
        return [
            ("alpha_initializer", zeros), ("alpha_regularizer", .null), ("alpha_constraint", .null),
            ("shared_axes", prelu.sharedAxes.isEmpty ? .null : .array(prelu.sharedAxes.map(JSONText.int))),
        ]
    }
}

/// `ModelBuilder` gives `makeLayer` only the input's feature count, but
/// PReLU's alpha is shaped like the whole sample; `plan`, which
/// `ModelBuilder` calls with the whole input shape just before `makeLayer`,
/// leaves it here. A stop-gap until `makeLayer` receives the input shape.
private final class PlannedInputShape: @unchecked Sendable {
    private let lock = NSLock()
    private var shape: [Int?]?

    func set(_ shape: [Int?]) {
        lock.lock()
        defer { lock.unlock() }
        self.shape = shape
    }

    func get() -> [Int?]? {
        lock.lock()
        defer { lock.unlock() }
        return shape
    }
}
