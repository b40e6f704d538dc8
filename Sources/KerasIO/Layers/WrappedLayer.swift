import RNNRuntime

/// A layer config nested in a wrapper's (`TimeDistributed`'s `layer`,
/// `Bidirectional`'s `layer` and `backward_layer`), read by its class's
/// mapping like any layer, its messages naming the wrapper.
struct WrappedLayerConfig: Equatable, Sendable {
    let layer: LayerConfig

    init(_ value: ConfigJSON.Value, key: String, in wrapper: ConfigFields) throws {
        let index = wrapper.place.index ?? 0
        let owner = wrapper.place
        do {
            layer = try LayerConfig(value, index: index, defaultName: { $0 })
        } catch let problem as ConfigProblem {
            throw ConfigProblem(kind: problem.kind, detail: "\(owner), its \(key): \(problem.detail)")
        }
        if layer.isInputLayer {
            throw wrapper.problem("its \(key) is an InputLayer, which computes nothing")
        }
    }

    var mapping: any KerasLayerMapping { layer.mapping }

    /// The wrapped layer's weight groups below the wrapper's attribute
    /// `attribute` (Keras 3) and its name (legacy `.h5`).
    static func groups(of inner: any Layer, attribute: String, legacyPrefix: String, legacyPrefixKeras2: String? = nil) -> [KerasWeightGroup] {
        let mapping = (try? KerasLayerRegistry.mapping(for: inner))
        let groups = mapping?.weightGroups(of: inner) ?? KerasWeightOwner.layer.groups(layer: inner.name, count: inner.parameterSpecs.count)
        return groups.map { $0.nested(keras3Prefix: attribute, legacyPrefix: legacyPrefix, legacyPrefixKeras2: legacyPrefixKeras2) }
    }
}

extension JSONText {
    /// A serialized layer (`{class_name, config: {name, ...}}`) with its name replaced.
    func renamingLayer(to name: String) -> JSONText {
        guard case .object(let members) = self else { return self }
        return .object(members.map { key, value in
            guard key == "config", case .object(let config) = value else { return (key, value) }
            return (key, .object(config.map { $0.0 == "name" ? ("name", .string(name)) : $0 }))
        })
    }
}
