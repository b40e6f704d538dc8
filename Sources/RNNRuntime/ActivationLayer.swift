import Foundation

/// Keras's parameter-free activation layers: `Activation`, `ReLU`,
/// `LeakyReLU`, `ELU` and `Softmax`. Each acts on any input shape
/// `(batch, ...)` and keeps it; softmax normalises over the last axis.
public struct ActivationLayer: Layer {
    /// Which Keras layer, with its options; each case states Keras's formula.
    public enum Function: Sendable, Equatable, Hashable {
        /// `Activation(name)`: the named activation, element-wise (softmax over the last axis).
        case activation(Activation)
        /// `ReLU(max_value, negative_slope, threshold)`, Keras's `relu`
        /// (`keras/src/activations/activations.py`, tf-keras `backend.relu`, the same steps):
        /// with a slope, no maximum and no threshold it is leaky_relu; otherwise
        /// `y = x` where `x > threshold` (or relu, or relu6 when `max_value == 6`
        /// and no threshold), clipped to `[0, max_value]`, minus
        /// `negative_slope · max(threshold - x, 0)`.
        case relu(maxValue: Float?, negativeSlope: Float, threshold: Float)
        /// `LeakyReLU(negative_slope)`: `x` for `x >= 0`, else `negative_slope · x`.
        case leakyReLU(negativeSlope: Float)
        /// `ELU(alpha)`: `x` for `x > 0`, else `alpha · (e^x - 1)`.
        case elu(alpha: Float)
        /// `Softmax(axis)`: only the last axis (`-1`, or its positive index
        /// counting the batch axis) is supported; `axis` is kept to write it back.
        case softmax(axis: Int)
    }

    public var name: String
    public let function: Function

    public init(name: String = "activation", function: Function) {
        self.name = name
        self.function = function
    }

    /// Keras's Softmax layer applies an incoming timestep mask along the
    /// feature axis (`softmax.py`, both generations): with as many steps as
    /// features it silently masks features, else it fails. kerasio refuses.
    public var maskRefusal: String? {
        guard case .softmax = function else { return nil }
        return "a Softmax layer after a timestep mask: Keras applies the (batch, steps) mask along the feature axis, "
            + "which masks features or fails; kerasio refuses such a model (use Activation('softmax'), which ignores the mask)"
    }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        if case .softmax(let axis) = function, axis != -1, axis != shape.count {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "Softmax over axis \(axis) of a rank-\(shape.count + 1) input; only the last axis (-1) is supported")
        }
        return shape
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    /// The same function as one of the runtime's `Activation` cases, where
    /// there is one (every case but a ReLU with a threshold, a maximum other
    /// than 6, or a slope together with either).
    public var elementwise: Activation? {
        switch function {
        case .activation(let activation): return activation
        case .leakyReLU(let slope): return .leakyReLU(negativeSlope: slope)
        case .elu(let alpha): return .elu(alpha: alpha)
        case .softmax: return .softmax
        case .relu(let maxValue, let slope, let threshold):
            switch (maxValue, slope, threshold) {
            case (nil, 0, 0): return .relu
            case (6, 0, 0): return .relu6
            case (nil, _, 0): return .leakyReLU(negativeSlope: slope)
            default: return nil
            }
        }
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        var values = input.scalars
        let count = values.count
        let width = input.shape.count > 1 ? input.shape[input.shape.count - 1] : 1
        values.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { apply(base, count: count, lastAxis: width) }
        }
        return Tensor(uncheckedShape: input.shape, scalars: values)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let count = batch * sampleShape.reduce(1, *)
        output.update(from: input, count: count)
        apply(output, count: count, lastAxis: sampleShape.last ?? 1)
    }

    /// Applies the function in place to `count` values in rows of `lastAxis`.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, lastAxis: Int) {
        if let elementwise {
            elementwise.apply(values, count: count, lastAxis: lastAxis)
        } else if case .relu(let maxValue, let slope, let threshold) = function {
            for i in 0..<count { values[i] = Self.relu(values[i], maxValue: maxValue, negativeSlope: slope, threshold: threshold) }
        }
    }

    /// Keras's `relu(x, negative_slope, max_value, threshold)` in float32, step by step as Keras computes it.
    @inline(__always)
    static func relu(_ x: Float, maxValue: Float?, negativeSlope: Float, threshold: Float) -> Float {
        if negativeSlope != 0, maxValue == nil, threshold == 0 { return x >= 0 ? x : negativeSlope * x }
        var y: Float
        var clip = maxValue != nil
        if threshold != 0 {
            y = x > threshold ? x : 0
        } else if maxValue == 6 {
            y = x.isNaN ? x : min(max(x, 0), 6)
            clip = false
        } else {
            y = x > 0 ? x : (x.isNaN ? x : 0)
        }
        if clip, let maxValue { y = min(max(y, 0), maxValue) }
        if negativeSlope != 0 { y -= negativeSlope * max(threshold - x, 0) }
        return y
    }

    /// The derivative of `relu` as TensorFlow's gradients compose it: the
    /// identity part passes where `x > threshold` (relu6: `0 < x < 6`) and the
    /// clip keeps it up to and including `max_value`; the slope adds where `x < threshold`.
    @inline(__always)
    static func reluDerivative(_ x: Float, maxValue: Float?, negativeSlope: Float, threshold: Float) -> Float {
        if negativeSlope != 0, maxValue == nil, threshold == 0 { return x > 0 ? 1 : negativeSlope }
        var d: Float
        if threshold != 0 {
            d = x > threshold ? 1 : 0
            if let maxValue, x > maxValue { d = 0 }
        } else if maxValue == 6 {
            d = x > 0 && x < 6 ? 1 : 0
        } else {
            d = x > 0 ? 1 : 0
            if let maxValue, x > maxValue { d = 0 }
        }
        if negativeSlope != 0, x < threshold { d += negativeSlope }
        return d
    }
}
