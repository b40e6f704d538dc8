import RNNRuntime

/// Keras's `Dot(axes, normalize=False)`: `axes` one axis for both inputs
/// or a pair. The generations cap the inverse norm differently when
/// normalizing (see `Dot`), so the runtime layer is made for the file's.
struct DotConfig: KerasLayerMapping, Equatable {
    static let className = "Dot"
    static let nameBase = "dot"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let axes: [Int]
    let normalize: Bool

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        guard let value = c.value("axes") else { throw c.problem("has no axes") }
        let numbers = value.kind == .array ? value.elements.map(\.double) : [value.double]
        guard (1...2).contains(numbers.count), let first = numbers[0], let last = numbers[numbers.count - 1],
              let a = Int(exactly: first), let b = Int(exactly: last),
              [a, b].allSatisfy({ (-ConfigLimits.maximumRank...ConfigLimits.maximumRank).contains($0) }) else {
            throw c.problem("axes must be an integer or a pair of integers, found \(value.found)")
        }
        axes = [a, b]
        normalize = try c.bool("normalize", default: false)
    }

    var declaredBatchInputShape: ConfigShape? { nil }
    var activationName: String? { nil }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        LayerPlan(outputShape: inputShape, weights: 0)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Dot(name: name, axes: (axes[0], axes[1]), normalize: normalize, inverseNormLimit: generation >= .keras3 ? 1e7 : 1e6)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Dot }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let dot = layer as? Dot else { return nil }
        let axes: JSONText = dot.axes.0 == dot.axes.1 ? .int(dot.axes.0) : .array([.int(dot.axes.0), .int(dot.axes.1)])
        return [("axes", axes), ("normalize", .bool(dot.normalize))]
    }
}
