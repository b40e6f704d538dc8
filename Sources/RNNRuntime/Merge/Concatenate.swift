/// Keras's `Concatenate(axis)`: the inputs side by side along one axis.
/// `axis` counts the batch as Keras does (-1 the last, 1 the first per-sample axis).
///
/// Its mask (Keras's `Concatenate.compute_mask`): inputs without a mask
/// count as all kept; along the steps each input's steps keep their own
/// mask, along the features see `keepsStepAnyInputKeeps`.
public struct Concatenate: TrainableMultiTensorLayer {
    public var name: String
    public let axis: Int
    /// How masks combine along the features: Keras 3 keeps a step if any
    /// input keeps it, tf.keras if every input does (their `compute_mask`s differ).
    public let keepsStepAnyInputKeeps: Bool

    public init(name: String = "concatenate", axis: Int = -1, keepsStepAnyInputKeeps: Bool = true) {
        self.name = name
        self.axis = axis
        self.keepsStepAnyInputKeeps = keepsStepAnyInputKeeps
    }

    /// The per-sample axis (0-based, batch left out) for per-sample rank `rank`.
    func sampleAxis(rank: Int) throws -> Int {
        let resolved = axis < 0 ? rank + 1 + axis : axis
        guard resolved >= 1, resolved <= rank else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "axis \(axis) is the batch axis or outside inputs of rank \(rank + 1)")
        }
        return resolved - 1
    }

    public func outputShape(forInputShapes shapes: [[Int?]]) throws -> [Int?] {
        guard let first = shapes.first, shapes.count >= 1 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "takes at least one input")
        }
        let along = try sampleAxis(rank: first.count)
        var output = first
        for shape in shapes.dropFirst() {
            guard shape.count == first.count else {
                throw RuntimeError.incompatibleLayer(
                    layer: name, detail: "inputs of different ranks: \(Tensor.describe([nil] + first)) and \(Tensor.describe([nil] + shape))")
            }
            for a in shape.indices where a != along {
                if let x = shape[a], let y = output[a], x != y {
                    throw RuntimeError.incompatibleLayer(
                        layer: name,
                        detail: "inputs \(Tensor.describe([nil] + first)) and \(Tensor.describe([nil] + shape)) differ off the concatenation axis")
                }
                output[a] = output[a] ?? shape[a]
            }
            if let x = output[along], let y = shape[along] { output[along] = x + y } else { output[along] = nil }
        }
        return output
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ inputs: [Tensor]) throws -> Tensor {
        let rank = inputs[0].rank - 1
        let along = try sampleAxis(rank: rank) + 1
        let outer = inputs[0].shape[..<along].reduce(1, *)
        let inner = inputs[0].shape[(along + 1)...].reduce(1, *)
        let lengths = inputs.map { $0.shape[along] }
        let total = lengths.reduce(0, +)
        var y = [Float](repeating: 0, count: outer * total * inner)
        var offset = 0
        for (input, length) in zip(inputs, lengths) {
            let block = length * inner
            for o in 0..<outer {
                for i in 0..<block { y[(o * total + offset) * inner + i] = input.scalars[o * block + i] }
            }
            offset += length
        }
        var shape = inputs[0].shape
        shape[along] = total
        return Tensor(uncheckedShape: shape, scalars: y)
    }

    public func outputMask(forInputMasks masks: [Tensor?], inputs: [Tensor], output: Tensor) -> Tensor? {
        guard let present = masks.first(where: { $0 != nil }) ?? nil, output.rank >= 3 else { return nil }
        let batch = output.shape[0]
        if (try? sampleAxis(rank: output.rank - 1)) == 0 {
            // Along the steps: each input's steps keep their own mask (all kept without one).
            let total = output.shape[1]
            var values = [Float](repeating: 1, count: batch * total)
            var offset = 0
            for (mask, input) in zip(masks, inputs) {
                let steps = input.shape[1]
                if let mask {
                    for b in 0..<batch {
                        for s in 0..<steps { values[b * total + offset + s] = mask.scalars[b * steps + s] }
                    }
                }
                offset += steps
            }
            return Tensor(uncheckedShape: [batch, total], scalars: values)
        }
        // Along features: Keras 3 keeps a step any input keeps (`ops.any`, an
        // unmasked input keeping every step), tf.keras one every masked input
        // keeps (`all`, unmasked inputs keeping every step).
        var combined = present
        for mask in masks {
            guard let mask else {
                if keepsStepAnyInputKeeps {
                    return Tensor(uncheckedShape: present.shape, scalars: [Float](repeating: 1, count: present.count))
                }
                continue
            }
            for i in 0..<min(combined.count, mask.count) {
                let a = combined.scalars[i] != 0, b = mask.scalars[i] != 0
                combined.scalars[i] = (keepsStepAnyInputKeeps ? a || b : a && b) ? 1 : 0
            }
        }
        return combined
    }

    public func backward(_ outputGradient: Tensor, inputs: [Tensor], output: Tensor) throws -> [Tensor] {
        let along = try sampleAxis(rank: inputs[0].rank - 1) + 1
        let outer = inputs[0].shape[..<along].reduce(1, *)
        let inner = inputs[0].shape[(along + 1)...].reduce(1, *)
        let total = output.shape[along]
        guard outputGradient.count == output.count else { throw RuntimeError.missingCache(name) }
        var offset = 0
        return inputs.map { input in
            let length = input.shape[along], block = length * inner
            var d = [Float](repeating: 0, count: input.count)
            for o in 0..<outer {
                for i in 0..<block { d[o * block + i] = outputGradient.scalars[(o * total + offset) * inner + i] }
            }
            offset += length
            return Tensor(uncheckedShape: input.shape, scalars: d)
        }
    }
}
