/// Keras's element-wise merge layers: `Add`, `Subtract`, `Multiply`,
/// `Average`, `Maximum`, `Minimum`, over inputs of one shape.
///
/// `Maximum` and `Minimum` fold left to right (`maximum(maximum(x0, x1), x2)`,
/// Keras's `_merge_function`), so on a tie the gradient goes to the earlier
/// input, as TensorFlow's gradient of `maximum` (x ≥ y) and `minimum` (x ≤ y) does.
public struct ElementwiseMerge: TrainableMultiTensorLayer {
    public enum Operation: String, Sendable, CaseIterable {
        case add, subtract, multiply, average, maximum, minimum
    }

    public var name: String
    public let operation: Operation

    public init(name: String, operation: Operation) {
        self.name = name
        self.operation = operation
    }

    public func outputShape(forInputShapes shapes: [[Int?]]) throws -> [Int?] {
        if operation == .subtract, shapes.count != 2 {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "Subtract takes exactly 2 inputs, got \(shapes.count)")
        }
        guard shapes.count >= 2 || operation != .subtract, let first = shapes.first, shapes.count >= 1 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "takes at least one input")
        }
        for shape in shapes.dropFirst() where shape.count != first.count || zip(shape, first).contains(where: { a, b in
            a != nil && b != nil && a != b
        }) {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "merges inputs of one shape; got \(Tensor.describe([nil] + first)) and \(Tensor.describe([nil] + shape)) "
                    + "(kerasio does not broadcast)")
        }
        return first
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ inputs: [Tensor]) throws -> Tensor {
        _ = try outputShape(forInputShapes: inputs.map { $0.shape.dropFirst().map { Optional($0) } })
        guard inputs.allSatisfy({ $0.shape == inputs[0].shape }) else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "inputs of different shapes at run time")
        }
        var y = inputs[0].scalars
        for input in inputs.dropFirst() {
            let x = input.scalars
            switch operation {
            case .add, .average: for i in y.indices { y[i] += x[i] }
            case .subtract: for i in y.indices { y[i] -= x[i] }
            case .multiply: for i in y.indices { y[i] *= x[i] }
            case .maximum: for i in y.indices { y[i] = Swift.max(y[i], x[i]) }
            case .minimum: for i in y.indices { y[i] = Swift.min(y[i], x[i]) }
            }
        }
        if operation == .average {
            let n = Float(inputs.count)
            for i in y.indices { y[i] /= n }
        }
        return Tensor(uncheckedShape: inputs[0].shape, scalars: y)
    }

    public func backward(_ outputGradient: Tensor, inputs: [Tensor], output: Tensor) throws -> [Tensor] {
        let g = outputGradient.scalars, shape = inputs[0].shape
        guard g.count == inputs[0].count else { throw RuntimeError.missingCache(name) }
        switch operation {
        case .add:
            return inputs.map { _ in outputGradient }
        case .subtract:
            return [outputGradient, Tensor(uncheckedShape: shape, scalars: g.map { -$0 })]
        case .average:
            let n = Float(inputs.count)
            return inputs.map { _ in Tensor(uncheckedShape: shape, scalars: g.map { $0 / n }) }
        case .multiply:
            return inputs.indices.map { k in
                var d = g
                for (j, other) in inputs.enumerated() where j != k {
                    for i in d.indices { d[i] *= other.scalars[i] }
                }
                return Tensor(uncheckedShape: shape, scalars: d)
            }
        case .maximum, .minimum:
            // Which input the fold's result came from: the earlier one on ties.
            var winner = [Int](repeating: 0, count: g.count)
            var best = inputs[0].scalars
            for (k, input) in inputs.enumerated().dropFirst() {
                for i in best.indices {
                    let x = input.scalars[i]
                    let replaces = operation == .maximum ? !(best[i] >= x) : !(best[i] <= x)
                    if replaces {
                        best[i] = x
                        winner[i] = k
                    }
                }
            }
            return inputs.indices.map { k in
                Tensor(uncheckedShape: shape, scalars: g.indices.map { winner[$0] == k ? g[$0] : 0 })
            }
        }
    }
}
