import Foundation

/// Keras's `Dot(axes, normalize)`: per sample, the dot products of two
/// inputs along one axis of each (Keras's `batch_dot`). The output's axes are
/// the first input's others, then the second's: `(n, d)·(m, d)` along the
/// features gives `(n, m)`, two vectors give `(1,)`. Its output has no mask.
///
/// With `normalize`, each input is first L2-normalized along its axis:
/// `x · min(1/‖x‖, inverseNormLimit)`, Keras 3's `ops.normalize` (limit
/// 1/ε = 1e7) and tf.keras's `l2_normalize` (rsqrt(max(Σx², 1e-12)), limit 1e6).
public struct Dot: TrainableMultiTensorLayer {
    public var name: String
    /// Keras's axes, batch counted (may be negative), one per input.
    public let axes: (Int, Int)
    public let normalize: Bool
    public let inverseNormLimit: Float

    public init(name: String = "dot", axes: (Int, Int), normalize: Bool = false, inverseNormLimit: Float = 1e7) {
        self.name = name
        self.axes = axes
        self.normalize = normalize
        self.inverseNormLimit = inverseNormLimit
    }

    /// The contracted per-sample axis of an input of per-sample rank `rank`.
    private func sampleAxis(_ axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? ((axis % (rank + 1)) + rank + 1) % (rank + 1) : axis
        guard resolved >= 1, resolved <= rank, rank <= 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "axes \(axes) do not fit inputs of rank \(rank + 1) (kerasio's Dot takes ranks 2 and 3)")
        }
        return resolved - 1
    }

    public func outputShape(forInputShapes shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count == 2 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "Dot takes exactly 2 inputs, got \(shapes.count)")
        }
        let a = try sampleAxis(axes.0, rank: shapes[0].count), b = try sampleAxis(axes.1, rank: shapes[1].count)
        if let x = shapes[0][a], let y = shapes[1][b], x != y {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "the dot axes have lengths \(x) and \(y), which must be equal")
        }
        var output = shapes[0]
        output.remove(at: a)
        var other = shapes[1]
        other.remove(at: b)
        output += other
        return output.isEmpty ? [1] : output
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { nil }

    /// An input as a (rows, length) matrix per sample, the contracted axis last.
    private func matrix(_ x: [Float], sample: [Int], axis: Int) -> (values: [Float], rows: Int, length: Int) {
        let length = sample[axis]
        guard sample.count == 2, axis == 0 else { return (x, sample.count == 2 ? sample[0] : 1, length) }
        // (k, r) -> (r, k)
        let rows = sample[1]
        var t = [Float](repeating: 0, count: x.count)
        for k in 0..<length { for r in 0..<rows { t[r * length + k] = x[k * rows + r] } }
        return (t, rows, length)
    }

    /// Rows of `m` L2-normalized in place; returns each row's inverse norm (capped).
    private func normalizeRows(_ m: inout [Float], rows: Int, length: Int) -> [Float] {
        (0..<rows).map { r in
            var sum: Float = 0
            for k in 0..<length { sum += m[r * length + k] * m[r * length + k] }
            let inverse = Swift.min(1 / sum.squareRoot(), inverseNormLimit)
            for k in 0..<length { m[r * length + k] *= inverse }
            return inverse
        }
    }

    /// Per sample: the two inputs as matrices (normalized), their inverse norms.
    private struct Operands {
        var a: [Float], b: [Float]
        var aNorms: [Float], bNorms: [Float]
        let rowsA: Int, rowsB: Int, length: Int
    }

    private func operands(_ inputs: [Tensor], sample s: Int) throws -> Operands {
        let x = inputs[0], y = inputs[1]
        let sx = Array(x.shape.dropFirst()), sy = Array(y.shape.dropFirst())
        let ax = try sampleAxis(axes.0, rank: sx.count), ay = try sampleAxis(axes.1, rank: sy.count)
        let nx = sx.reduce(1, *), ny = sy.reduce(1, *)
        var (a, rowsA, length) = matrix(Array(x.scalars[s * nx..<(s + 1) * nx]), sample: sx, axis: ax)
        var (b, rowsB, _) = matrix(Array(y.scalars[s * ny..<(s + 1) * ny]), sample: sy, axis: ay)
        var aNorms: [Float] = [], bNorms: [Float] = []
        if normalize {
            aNorms = normalizeRows(&a, rows: rowsA, length: length)
            bNorms = normalizeRows(&b, rows: rowsB, length: length)
        }
        return Operands(a: a, b: b, aNorms: aNorms, bNorms: bNorms, rowsA: rowsA, rowsB: rowsB, length: length)
    }

    public func forward(_ inputs: [Tensor]) throws -> Tensor {
        let shape = try outputShape(forInputShapes: inputs.map { $0.shape.dropFirst().map { Optional($0) } }).map { $0 ?? 1 }
        let batch = inputs[0].shape[0]
        guard inputs[1].shape[0] == batch else { throw RuntimeError.incompatibleLayer(layer: name, detail: "inputs' batches differ") }
        var y = [Float](repeating: 0, count: batch * shape.reduce(1, *))
        var offset = 0
        for s in 0..<batch {
            let o = try operands(inputs, sample: s)
            for i in 0..<o.rowsA {
                for j in 0..<o.rowsB {
                    var sum: Float = 0
                    for k in 0..<o.length { sum += o.a[i * o.length + k] * o.b[j * o.length + k] }
                    y[offset + i * o.rowsB + j] = sum
                }
            }
            offset += o.rowsA * o.rowsB
        }
        return Tensor(uncheckedShape: [batch] + shape, scalars: y)
    }

    public func outputMask(forInputMasks masks: [Tensor?], inputs: [Tensor], output: Tensor) -> Tensor? { nil }

    public func backward(_ outputGradient: Tensor, inputs: [Tensor], output: Tensor) throws -> [Tensor] {
        let batch = inputs[0].shape[0]
        guard outputGradient.count == output.count else { throw RuntimeError.missingCache(name) }
        var dx = [Float](repeating: 0, count: inputs[0].count), dy = [Float](repeating: 0, count: inputs[1].count)
        let sx = Array(inputs[0].shape.dropFirst()), sy = Array(inputs[1].shape.dropFirst())
        let ax = try sampleAxis(axes.0, rank: sx.count), ay = try sampleAxis(axes.1, rank: sy.count)
        let nx = sx.reduce(1, *), ny = sy.reduce(1, *)
        var offset = 0
        for s in 0..<batch {
            let o = try operands(inputs, sample: s)
            var da = [Float](repeating: 0, count: o.a.count), db = [Float](repeating: 0, count: o.b.count)
            for i in 0..<o.rowsA {
                for j in 0..<o.rowsB {
                    let g = outputGradient.scalars[offset + i * o.rowsB + j]
                    for k in 0..<o.length {
                        da[i * o.length + k] += g * o.b[j * o.length + k]
                        db[j * o.length + k] += g * o.a[i * o.length + k]
                    }
                }
            }
            offset += o.rowsA * o.rowsB
            if normalize {
                through(normalizedRows: o.a, norms: o.aNorms, gradient: &da, length: o.length)
                through(normalizedRows: o.b, norms: o.bNorms, gradient: &db, length: o.length)
            }
            scatter(da, into: &dx, at: s * nx, sample: sx, axis: ax)
            scatter(db, into: &dy, at: s * ny, sample: sy, axis: ay)
        }
        return [Tensor(uncheckedShape: inputs[0].shape, scalars: dx), Tensor(uncheckedShape: inputs[1].shape, scalars: dy)]
    }

    /// dL/dx from dL/d(x̂) for rows x̂ = x·r, r = 1/‖x‖ (uncapped): r·(g − x̂ (x̂·g)); capped: r·g.
    private func through(normalizedRows xhat: [Float], norms: [Float], gradient g: inout [Float], length: Int) {
        for (r, inverse) in norms.enumerated() {
            let range = r * length..<(r + 1) * length
            if inverse >= inverseNormLimit {
                for k in range { g[k] *= inverse }
                continue
            }
            var dot: Float = 0
            for k in range { dot += xhat[k] * g[k] }
            for k in range { g[k] = inverse * (g[k] - xhat[k] * dot) }
        }
    }

    /// A per-sample matrix gradient back into the input's own layout.
    private func scatter(_ m: [Float], into d: inout [Float], at start: Int, sample: [Int], axis: Int) {
        if sample.count == 2, axis == 0 {
            let length = sample[0], rows = sample[1]
            for k in 0..<length { for r in 0..<rows { d[start + k * rows + r] = m[r * length + k] } }
        } else {
            for i in m.indices { d[start + i] = m[i] }
        }
    }
}

