import Foundation
import RNNRuntime

/// Reads weights in Keras 3's layout (`model.save_weights("m.weights.h5")`
/// and the `model.weights.h5` inside a `.keras` archive).
///
/// Keras 3's `saving_lib` does not address layers by their names: the
/// model's layers, in order, are stored under `layers/<key>`, where `key` is
/// the snake-cased class name made unique by a counter (`simple_rnn`,
/// `simple_rnn_1`, `dense`, ...); a layer's variables are datasets `0`, `1`,
/// ... of its `vars` group, and an RNN's live in its cell:
/// `layers/simple_rnn/cell/vars/0`. This reader follows the same rule
/// (`saving_lib._save_container_state`) and is strict: a missing group,
/// a different count or shape, or weights no layer takes are errors.
enum Keras3WeightsReader {
    static func loadWeights(into network: inout Network, classNames: [String], from root: HDF5Group, file: String) throws {
        guard root.contains("layers") else {
            throw KerasIOError(.missingWeight, file: file, "has no 'layers' group, so no Keras 3 weights")
        }
        let layersGroup = try root.group("layers")
        var usedNames: [String: Int] = [:]
        var visited: Set<String> = []
        for (index, layer) in network.layers.enumerated() {
            let key = uniqueName(snakeCase(classNames[index]), &usedNames)
            visited.insert(key)
            let specs = layer.parameterSpecs
            if specs.isEmpty { continue }
            let mapping = KerasLayerRegistry.mapping(forClass: classNames[index]) ?? (try? KerasLayerRegistry.mapping(for: layer))
            let groups = (mapping?.weightGroups(of: layer) ?? KerasWeightOwner.layer.groups(layer: layer.name, count: specs.count))
                .filter { $0.count > 0 }
            var tensors: [Tensor] = []
            var position = 0
            for group in groups {
                let varsPath = "\(key)/\(group.keras3Path)"
                let groupSpecs = specs[position..<min(position + group.count, specs.count)]
                position += group.count
                guard layersGroup.contains(varsPath) else {
                    throw KerasIOError(
                        .missingWeight, file: file,
                        "no weights for layer \(Quoted(layer.name)) (expected \(Quoted("/layers/" + varsPath)))")
                }
                let vars = try layersGroup.group(varsPath)
                let stored = try vars.childNames().filter { Int($0) != nil }.sorted { Int($0)! < Int($1)! }
                guard stored.count == groupSpecs.count else {
                    throw KerasIOError(
                        .weightMismatch, file: file,
                        "layer \(Quoted(layer.name)) has \(stored.count) weights in \(Quoted("/layers/" + varsPath)), "
                            + "the config needs \(groupSpecs.count) (\(groupSpecs.map(\.name).joined(separator: ", ")))")
                }
                for (offset, spec) in groupSpecs.enumerated() {
                    let dataset = try vars.dataset(String(offset))
                    tensors.append(try dataset.readWeight(spec, layer: layer.name, file: file))
                }
            }
            try network.setParameters(tensors, ofLayerAt: index)
        }
        for key in try layersGroup.childNames() where !visited.contains(key) && key != "input_layer" {
            if try holdsWeights(try layersGroup.group(key)) {
                throw KerasIOError(
                    .weightMismatch, file: file,
                    "the file has weights under /layers/\(key), which no layer of the config takes")
            }
        }
    }

    /// True if any `vars` group below holds a dataset.
    private static func holdsWeights(_ group: HDF5Group) throws -> Bool {
        for child in try group.childNames() {
            switch group.kind(of: child) {
            case .dataset?: return true
            case .group?: if try holdsWeights(try group.group(child)) { return true }
            default: continue
            }
        }
        return false
    }

    /// `naming.to_snake_case`: drop non-word characters, then split
    /// `xAbc` -> `x_abc` and `aB` -> `a_b`, lower-cased. SimpleRNN -> simple_rnn.
    static func snakeCase(_ name: String) -> String {
        var text = name.filter { $0.isLetter || $0.isNumber || $0 == "_" }
        text = text.replacingOccurrences(of: "(.)([A-Z][a-z]+)", with: "$1_$2", options: .regularExpression)
        text = text.replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression)
        return text.lowercased()
    }

    /// `saving_lib._get_unique_name`: `name`, then `name_1`, `name_2`, ...
    static func uniqueName(_ name: String, _ used: inout [String: Int]) -> String {
        if let count = used[name] {
            used[name] = count + 1
            return "\(name)_\(count + 1)"
        }
        used[name] = 0
        return name
    }
}
