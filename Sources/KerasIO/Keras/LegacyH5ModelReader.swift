import RNNRuntime

/// Reads a full model saved by `model.save("m.h5")` in Keras 2 or Keras 3.
///
/// Layout (see KERAS-FORMATS.md): root attributes `keras_version`,
/// `backend`, `model_config` (JSON); group `model_weights` with
/// `layer_names`, and per layer a group whose `weight_names` lists the
/// datasets in `get_weights()` order. Weights are matched to layers by
/// name and read strictly: a missing weight, an extra weight or a shape that
/// disagrees with the config is an error naming the layer and the path.
enum LegacyH5ModelReader {
    static func read(_ file: HDF5File, format: KerasFileFormat = .legacyH5) throws -> KerasModel {
        let path = file.path
        let root = file.root
        guard root.hasAttribute("model_config") else {
            throw KerasIOError(.missingModelConfig, file: path, missingConfigExplanation(root))
        }
        let kerasVersion = try optionalString(root, "keras_version")
        let backend = try optionalString(root, "backend")
        let json = try root.stringAttribute("model_config")
        let generation = KerasGeneration(version: kerasVersion ?? "") ?? KerasGeneration.guess(fromConfig: json)
        let config = try ModelConfig.decode(json: json, generation: generation, file: path)
        var network = try ModelBuilder.build(config, generation: generation, file: path)
        let weightsRoot = root.contains("model_weights") ? try root.group("model_weights") : root
        try loadWeights(into: &network, from: weightsRoot, file: path)
        var model = KerasModel(
            file: path, format: format, kerasVersion: kerasVersion, backend: backend,
            generation: generation, config: config, network: network, configSource: nil)
        model.trainingConfig = try optionalString(root, "training_config")
        return model
    }

    /// Fills every layer that has weights from `group/<layer name>`, in
    /// `weight_names` order, and refuses weights the model has no place for.
    static func loadWeights(into network: inout Network, from group: HDF5Group, file: String) throws {
        let layerNames = try group.kerasStringList("layer_names")
        var used: Set<String> = []
        for (index, layer) in network.layers.enumerated() {
            let specs = layer.parameterSpecs
            if specs.isEmpty { continue }
            guard group.contains(layer.name) else {
                throw KerasIOError(
                    .missingWeight, file: file,
                    "no weights for layer \(Quoted(layer.name)) (expected group \(Quoted((group.path == "/" ? "" : group.path) + "/" + layer.name)))")
            }
            used.insert(layer.name)
            let layerGroup = try group.group(layer.name)
            let names = try layerGroup.kerasStringList("weight_names") ?? []
            guard names.count == specs.count else {
                throw KerasIOError(
                    .weightMismatch, file: file,
                    "layer \(Quoted(layer.name)) has \(names.count) weights in the file (\(Quoted(names.joined(separator: ", ")))), "
                        + "the config needs \(specs.count) (\(specs.map(\.name).joined(separator: ", ")))")
            }
            var tensors: [Tensor] = []
            for (name, spec) in zip(Self.matchedByName(names, specs: specs), specs) {
                guard layerGroup.contains(name) else {
                    throw KerasIOError(
                        .missingWeight, file: file,
                        "weight '\(spec.name)' of layer \(Quoted(layer.name)) is listed as \(Quoted(layerGroup.path + "/" + name)) but that dataset is missing")
                }
                let dataset = try layerGroup.dataset(name)
                tensors.append(try dataset.readWeight(spec, layer: layer.name, file: file))
            }
            try network.setParameters(tensors, ofLayerAt: index)
        }
        // Strict: weights in the file that no layer takes mean the config and weights disagree.
        for name in layerNames ?? [] where !used.contains(name) && group.contains(name) {
            let names = try group.group(name).kerasStringList("weight_names") ?? []
            if !names.isEmpty {
                throw KerasIOError(
                    .weightMismatch, file: file,
                    "the file has weights for layer \(Quoted(name)), which the model config does not have")
            }
        }
    }

    /// The file's weight names in the order of `specs`: each spec takes the
    /// name whose last component is the spec's (`lstm/lstm_cell/kernel:0`
    /// is `kernel`), so weights are matched by name, not position. Files
    /// whose names do not all match (Keras 1's `lstm_1_W_i`) keep their order,
    /// which is how Keras itself loads them.
    static func matchedByName(_ names: [String], specs: [ParameterSpec]) -> [String] {
        func leaf(_ name: String) -> Substring {
            var last = name.split(separator: "/").last ?? Substring(name)
            if let colon = last.lastIndex(of: ":") { last = last[..<colon] }
            return last
        }
        var byLeaf: [Substring: String] = [:]
        for name in names where byLeaf.updateValue(name, forKey: leaf(name)) != nil { return names }
        let matched = specs.compactMap { byLeaf[Substring($0.name)] }
        return matched.count == specs.count ? matched : names
    }

    private static func optionalString(_ group: HDF5Group, _ name: String) throws -> String? {
        group.hasAttribute(name) ? try group.stringAttribute(name) : nil
    }

    static func missingConfigExplanation(_ root: HDF5Group) -> String {
        if root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
            return "has no model_config: it holds only weights (tf.keras save_weights); "
                + "give the architecture with --config (to_json() output or a model file)"
        }
        if root.contains("layers") || root.contains("vars") {
            return "has no model_config: it is a Keras 3 weights file (.weights.h5); "
                + "give the architecture with --config (to_json() output or a model file)"
        }
        return "has no model_config attribute: not a Keras model saved with model.save()"
    }
}
