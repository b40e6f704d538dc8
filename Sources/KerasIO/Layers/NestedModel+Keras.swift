import RNNRuntime

/// A Sequential or Functional model used as a layer of another model. Its
/// config is a whole model config, read like a file's (to any depth the
/// config's own nesting limit allows); its weights are its layers' in
/// order: in a legacy `.h5` all in the nested model's group (named
/// `inner_layer/kernel`), in Keras 3's layout under `layers/<key>/layers/`.
///
/// tf.keras counts a nested model's construction as its node 0, so calls
/// of it are nodes 1, 2, ... in the outer config (`GraphTopology.nodeOffsets`).
struct NestedModelConfig<Kind: NestedModelKind>: KerasLayerMapping, Equatable {
    static var className: String { Kind.className }
    static var nameBase: String { Kind.nameBase }
    static var weightOwner: KerasWeightOwner { .layer }
    static var kerasModule: String { Kind.kerasModule }

    let name: String
    let model: ModelConfig

    /// Models inside models inside models...: each level is built while
    /// its parent is planned, so the depth is bounded.
    static var maximumDepth: Int { 8 }

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        if Self.nestingDepth(c.object) > Self.maximumDepth {
            throw c.problem(.unsupportedOption, "nests models more than \(Self.maximumDepth) deep, kerasio's limit")
        }
        do {
            model = try ModelConfig(className: Kind.className, body: c.object, buildConfig: nil, keepsGraph: Kind.isFunctional)
        } catch let problem as ConfigProblem {
            throw ConfigProblem(kind: problem.kind, detail: "in nested model \(ConfigText.quoted(name)): \(problem.detail)")
        }
    }

    /// How many levels of models a model config's body holds (1: none inside).
    private static func nestingDepth(_ body: ConfigJSON.Value, level: Int = 1) -> Int {
        guard level <= maximumDepth else { return level }
        var deepest = level
        for layer in body.member("layers")?.elements ?? [] {
            let className = layer.member("class_name")?.string ?? ""
            guard ["Functional", "Sequential", "Model"].contains(className), let inner = layer.member("config") else { continue }
            deepest = max(deepest, nestingDepth(inner, level: level + 1))
            if deepest > maximumDepth { break }
        }
        return deepest
    }

    /// A first layer's input shape, when a Sequential starts with a nested model.
    var declaredBatchInputShape: ConfigShape? { [nil] + model.inputShape }
    var activationName: String? { nil }

    /// Builds the nested model (its own weight limit applies as it is made).
    private func build(generation: KerasGeneration) throws -> Network {
        do {
            return try ModelBuilder.build(model, generation: generation, file: name)
        } catch let error as KerasIOError {
            throw ConfigProblem(kind: error.kind, detail: "in nested model \(ConfigText.quoted(name)): \(error.detail)")
        }
    }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let network = try build(generation: .keras3)
        return LayerPlan(outputShape: network.outputShape, weights: network.parameterCount)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        NestedModel(name: name, network: try build(generation: generation))
    }

    static func describes(_ layer: any Layer) -> Bool {
        guard let nested = layer as? NestedModel else { return false }
        return (nested.network.graph != nil) == Kind.isFunctional
    }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let nested = layer as? NestedModel, case .object(let members) = try KerasConfigWriter.modelConfig(nested.network, dialect: dialect),
              let body = members.first(where: { $0.0 == "config" })?.1, case .object(let bodyMembers) = body else { return nil }
        return bodyMembers
    }

    /// The nested model's own config body is the whole config.
    static func configMembers(
        standard: [(String, JSONText)], own: [(String, JSONText)], dialect: KerasConfigWriter.Dialect
    ) -> [(String, JSONText)] {
        own
    }

    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        guard let nested = layer as? NestedModel else { return weightOwner.groups(layer: layer.name, count: 0) }
        var used: [String: Int] = [:]
        var groups = [KerasWeightGroup(keras3Path: "vars", keras3Name: nested.name, legacyOwner: "", count: 0)]
        for inner in nested.network.layers {
            guard let mapping = try? KerasLayerRegistry.mapping(for: inner) else { continue }
            let key = Keras3WeightsReader.uniqueName(Keras3WeightsReader.snakeCase(mapping.className), &used)
            groups += mapping.weightGroups(of: inner).map {
                $0.nested(keras3Prefix: "layers/\(key)", legacyPrefix: inner.name)
            }
        }
        return groups
    }
}

protocol NestedModelKind: Sendable {
    static var className: String { get }
    static var nameBase: String { get }
    static var kerasModule: String { get }
    static var isFunctional: Bool { get }
}

enum FunctionalModelKind: NestedModelKind {
    static let className = "Functional", nameBase = "functional", kerasModule = "keras.src.models.functional"
    static let isFunctional = true
}

/// tf.keras's older name for a Functional model; read, written back as Functional.
enum ModelClassKind: NestedModelKind {
    static let className = "Model", nameBase = "model", kerasModule = "keras.src.models.functional"
    static let isFunctional = true
}

enum SequentialModelKind: NestedModelKind {
    static let className = "Sequential", nameBase = "sequential", kerasModule = "keras"
    static let isFunctional = false
}
