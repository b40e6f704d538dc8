/// Keras's `PReLU`: `y = relu(x) - alpha · relu(-x)`, that is `x` for
/// `x > 0` and `alpha · x` otherwise, with a learned `alpha` per position.
///
/// Input `(batch, d1, ..., dk)` keeps its shape. Weight: `alpha`, shaped
/// like one sample `(d1, ..., dk)` except that each axis in `sharedAxes`
/// (Keras's numbering, the batch being axis 0) has length 1 and its alpha is
/// shared along it; `shared_axes=[1]` after an RNN gives one alpha per feature.
public struct PReLU: Layer, WeightHolding {
    public var name: String
    /// Keras's `shared_axes`, each from 1 to the sample's rank, sorted.
    public let sharedAxes: [Int]
    /// `alpha` alone: the only place it is declared.
    public var weights: WeightList

    public var alpha: Tensor { weights[0] }

    /// A layer with zero alphas (Keras's default `alpha_initializer`) for
    /// samples shaped `sampleShape` (no batch axis).
    public init(name: String = "p_re_lu", sampleShape: [Int], sharedAxes: [Int] = []) {
        self.name = name
        self.sharedAxes = Array(Set(sharedAxes)).sorted()
        var alphaShape = sampleShape
        for axis in sharedAxes where axis >= 1 && axis <= alphaShape.count { alphaShape[axis - 1] = 1 }
        weights = WeightList([Weight("alpha", shape: alphaShape, initializer: .zeros)])
    }

    public var alphaShape: [Int] { alpha.shape }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        let alphaShape = alphaShape
        guard shape.count == alphaShape.count else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "PReLU's alpha has shape \(Tensor.describe(alphaShape)), input samples have rank \(shape.count)")
        }
        for (axis, (length, alphaLength)) in zip(shape, alphaShape).enumerated() where !sharedAxes.contains(axis + 1) {
            guard length == alphaLength else {
                throw RuntimeError.incompatibleLayer(
                    layer: name,
                    detail: "PReLU's alpha has shape \(Tensor.describe(alphaShape)), input is \(Tensor.describe([nil] + shape)) "
                        + "(axis \(axis + 1) is not shared)")
            }
        }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ input: Tensor) throws -> Tensor {
        _ = try outputShape(forInputShape: input.shape.dropFirst().map { $0 })
        var output = input.scalars
        let batch = input.shape.first ?? 0
        let sampleShape = Array(input.shape.dropFirst())
        input.scalars.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return }
                forward(x, batch: batch, sampleShape: sampleShape, into: y, workspace: y)
            }
        }
        return Tensor(uncheckedShape: input.shape, scalars: output)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let perSample = sampleShape.reduce(1, *)
        alpha.scalars.withUnsafeBufferPointer { alpha in
            for b in 0..<batch {
                let x = input + b * perSample, y = output + b * perSample
                for i in 0..<perSample {
                    let v = x[i]
                    // relu(x) - alpha·relu(-x): exactly alpha·x for x <= 0 (sign flips are exact).
                    y[i] = v > 0 ? v : alpha[alphaIndex(i, sampleShape: sampleShape)] * v
                }
            }
        }
    }

    /// The position in `alpha` of element `i` of one sample: every shared
    /// axis contributes index 0. Allocation-free.
    @inline(__always)
    func alphaIndex(_ i: Int, sampleShape: [Int]) -> Int {
        if sharedAxes.isEmpty { return i }
        var remainder = i, index = 0, stride = 1
        var axis = sampleShape.count - 1
        while axis >= 0 {
            let length = sampleShape[axis]
            let coordinate = remainder % length
            remainder /= length
            if !sharedAxes.contains(axis + 1) {
                index += coordinate * stride
                stride *= length
            }
            axis -= 1
        }
        return index
    }
}
