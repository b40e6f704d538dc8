/// A fully connected layer: `y = f(x · kernel + bias)`.
///
/// Input `(batch, inputSize)` gives `(batch, units)`; like Keras, any rank
/// of at least two works and the kernel applies to the last axis, so
/// `(batch, steps, inputSize)` gives `(batch, steps, units)`.
/// Weights: `kernel (inputSize, units)`, then `bias (units)` if `useBias`.
public struct Dense: Layer, WeightHolding {
    public var name: String
    public let inputSize: Int
    public let units: Int
    public var activation: Activation
    public let useBias: Bool
    /// `kernel`, then `bias` if `useBias`: the only place they are declared.
    public var weights: WeightList

    public var kernel: Tensor { weights[0] }
    public var bias: Tensor? { useBias ? weights[1] : nil }

    /// A layer with zero weights; load real ones with `setParameters`.
    public init(name: String = "dense", inputSize: Int, units: Int, activation: Activation = .linear, useBias: Bool = true) {
        self.name = name
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.weights = WeightList([
            Weight("kernel", shape: [inputSize, units], initializer: .glorotUniform),
            useBias ? Weight("bias", shape: [units], initializer: .zeros) : nil,
        ])
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard let last = shape.last else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "Dense needs at least one feature axis")
        }
        if let last, last != inputSize {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "Dense takes \(inputSize) features, input has \(last)")
        }
        return shape.dropLast() + [units]
    }

    /// inputSize · units per row; every axis but the last is a row.
    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        shape.dropLast().reduce(1) { $0 * ($1 ?? 1) } * inputSize * units
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        var y = try preActivation(input)
        activation.apply(&y, lastAxis: units)
        var shape = input.shape
        shape[shape.count - 1] = units
        return Tensor(uncheckedShape: shape, scalars: y)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let rows = batch * sampleShape.dropLast().reduce(1, *)
        writePreActivation(input, rows: rows, into: output)
        activation.apply(output, count: rows * units, lastAxis: units)
    }

    /// `x · kernel + bias`, before the activation.
    func preActivation(_ input: Tensor) throws -> [Float] {
        guard input.rank >= 2, input.shape.last == inputSize else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "Dense takes (batch, ..., \(inputSize)), got \(Tensor.describe(input.shape))")
        }
        let rows = input.count / max(inputSize, 1)
        var output = [Float](repeating: 0, count: rows * units)
        input.scalars.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return }
                writePreActivation(x, rows: rows, into: y)
            }
        }
        return output
    }

    /// `output[rows, units] = x[rows, inputSize] · kernel + bias`.
    private func writePreActivation(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        if let bias {
            bias.scalars.withUnsafeBufferPointer { b in
                if let b = b.baseAddress { LinearAlgebra.fillRows(with: b, y, rows: rows, cols: units) }
            }
        }
        kernel.scalars.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            LinearAlgebra.matmul(x, w, into: y, rows: rows, inner: inputSize, cols: units, accumulate: bias != nil)
        }
    }
}
