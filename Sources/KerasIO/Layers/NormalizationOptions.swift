import Foundation
import RNNRuntime

/// What BatchNormalization and LayerNormalization configs share: the
/// `axis` key, the initializer, regularizer and constraint keys, and the
/// input shape `plan` saw (their weights depend on more than the features).
enum NormalizationOptions {
    /// Keras's `axis`: an integer or a list of integers (tf.keras writes a
    /// list of positive axes after building, Keras 3 what it was given).
    static func axes(_ c: ConfigFields, allowList: Bool = true) throws -> [Int] {
        guard let value = c.value("axis") else { return [-1] }
        let items = value.kind == .array ? value.elements : [value]
        guard !items.isEmpty, items.count <= ConfigLimits.maximumRank else {
            throw c.problem("axis must name from 1 to \(ConfigLimits.maximumRank) axes, found \(value.found)")
        }
        var axes: [Int] = []
        for item in items {
            guard case .value(let axis) = item.integer, abs(axis) <= ConfigLimits.maximumRank else {
                throw c.problem("axis must be an integer or a list of integers, found \(item.found)")
            }
            axes.append(axis)
        }
        return axes
    }

    /// Initializers only fill a fresh layer's weights and are read as any
    /// value; regularizers and constraints change training, which kerasio
    /// does not model for these layers: refused when set.
    static func refuseRegularizersAndConstraints(_ c: ConfigFields) throws {
        for key: StaticString in ["gamma_regularizer", "beta_regularizer", "gamma_constraint", "beta_constraint"]
        where c.value(key) != nil {
            throw c.problem(.unsupportedOption, "\(key) is set; kerasio supports these layers without weight regularizers or constraints")
        }
    }

    /// A number that must be finite and at least `minimum` (`epsilon`, `momentum`).
    static func number(_ c: ConfigFields, _ key: StaticString, default fallback: Float, minimum: Float) throws -> Float {
        let value = try c.floatValue(key, default: fallback)
        guard value.isFinite, value >= minimum else {
            throw c.problem("\(key) must be a finite number of at least \(minimum), found \(value)")
        }
        return value
    }

    /// A default initializer as both Kerases serialize it.
    static func initializer(_ className: String) -> JSONText {
        .object([
            ("module", .string("keras.initializers")), ("class_name", .string(className)), ("config", .object([])),
            ("registered_name", .null),
        ])
    }

    /// Keras's axis written back: Keras 3 as it was given, tf.keras as its
    /// `build` leaves it, a list of positive axes (the batch being axis 0).
    static func positiveAxes(_ axes: [Int], inputRank: Int) -> [Int] {
        axes.map { $0 < 0 ? $0 + inputRank + 1 : $0 }
    }

    /// The same refusal for an input the axes do not fit, in one line.
    static func axesProblem(_ axes: [Int], inputShape: [Int?], at place: ConfigPlace) -> ConfigProblem? {
        switch NormalizedAxes.resolve(axes, sampleRank: inputShape.count) {
        case .success: return nil
        case .failure(let why):
            return ConfigProblem(
                .unsupportedOption, at: place,
                "axis=\(axes.count == 1 ? "\(axes[0])" : "\(axes)") does not fit input \(ConfigText.shape([nil] + inputShape)): \(why)")
        }
    }
}

/// The input shape `plan` was given, kept for `makeLayer`, which
/// `ModelBuilder` gives only the feature count (as `PReLU+Keras.swift`
/// does, until `makeLayer` receives the input shape).
final class PlannedNormalizationInput: @unchecked Sendable {
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
