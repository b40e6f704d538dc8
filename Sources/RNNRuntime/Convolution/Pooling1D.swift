/// Keras's `MaxPooling1D` and `AveragePooling1D`: a window of `poolSize`
/// steps slides along the steps axis `strides` steps at a time, and each
/// channel's output is the window's maximum or mean.
///
/// With padding "same" the padded positions take no part (TensorFlow's
/// `max_pool` / `avg_pool`): a window at the edge is the max, or the mean,
/// of its real steps only. No weights.
public struct Pooling1D: Layer {
    public enum Mode: String, Sendable, Equatable {
        case max, average
    }

    public var name: String
    public let mode: Mode
    public let poolSize: Int
    public let strides: Int
    /// `.valid` or `.same` (Keras has no causal pooling).
    public let padding: WindowPadding
    public let dataFormat: DataFormat

    public init(
        name: String = "pooling1d", mode: Mode, poolSize: Int = 2, strides: Int? = nil,
        padding: WindowPadding = .valid, dataFormat: DataFormat = .channelsLast
    ) {
        self.name = name
        self.mode = mode
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.dataFormat = dataFormat
    }

    public var window: SlidingWindow { SlidingWindow(span: poolSize, stride: strides, padding: padding) }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "pooling needs (batch, steps, channels) input, got \(Tensor.describe([nil] + shape))")
        }
        let (steps, channels) = dataFormat.stepsAndChannels(shape)
        guard let steps else { return dataFormat.shape(steps: nil, channels: channels) }
        let out = window.outputSteps(steps)
        guard out >= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "pool_size \(poolSize) with padding \"valid\" needs at least \(poolSize) steps, the input has \(steps)")
        }
        return dataFormat.shape(steps: out, channels: channels)
    }

    /// Both Keras generations: pooling does not support masking, pools
    /// masked steps like any other and ends the mask.
    public var passesMask: Bool { false }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        guard dataFormat == .channelsLast else {
            pool(input, batch: batch, sampleShape: sampleShape, into: output) { _, _ in }
            return
        }
        // Channels last: each window step is a contiguous row of channels,
        // so the inner loop runs over channels and vectorizes.
        let steps = sampleShape[0], channels = sampleShape[1]
        let out = window.outputSteps(steps), left = window.leftPadding(steps)
        for sample in 0..<batch {
            let x = input + sample * steps * channels
            for t in 0..<out {
                let first = max(t * strides - left, 0), last = min(t * strides - left + poolSize, steps)
                let y = output + (sample * out + t) * channels
                y.update(from: x + first * channels, count: channels)
                for step in first + 1..<max(last, first + 1) {
                    let row = x + step * channels
                    if mode == .max {
                        Self.maximum(row, into: y, count: channels)
                    } else {
                        for c in 0..<channels { y[c] += row[c] }
                    }
                }
                if mode == .average {
                    let scale = 1 / Float(last - first)
                    for c in 0..<channels { y[c] *= scale }
                }
            }
        }
    }

    /// `y = max(y, row)` element by element, a NaN winning (as in the
    /// tracking pass below); a select, not a branch, so it vectorizes.
    @inline(__always)
    static func maximum(_ row: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for c in 0..<count {
            let value = row[c], current = y[c]
            y[c] = value > current || value != value ? value : current
        }
    }

    /// The pass for any data format, slower; `chosen(outputIndex, inputIndex)` is told, for max
    /// pooling, which input each output came from (the first of equal maxima,
    /// as TensorFlow's gradient picks one).
    func pool(
        _ x: UnsafePointer<Float>, batch: Int, sampleShape: [Int], into y: UnsafeMutablePointer<Float>,
        chosen: (Int, Int) -> Void
    ) {
        let (steps, channels) = dataFormat.stepsAndChannels(sampleShape)
        let out = window.outputSteps(steps), left = window.leftPadding(steps)
        let inStride = dataFormat.strides(steps: steps, channels: channels)
        let outStride = dataFormat.strides(steps: out, channels: channels)
        for sample in 0..<batch {
            let inBase = sample * steps * channels, outBase = sample * out * channels
            for t in 0..<out {
                let first = max(t * strides - left, 0), last = min(t * strides - left + poolSize, steps)
                for c in 0..<channels {
                    let o = outBase + t * outStride.step + c * outStride.channel
                    let i0 = inBase + c * inStride.channel
                    switch mode {
                    case .max:
                        var best = i0 + first * inStride.step
                        var value = x[best]
                        for step in first + 1..<max(last, first + 1) {
                            let i = i0 + step * inStride.step
                            // `>` keeps the first maximum; a NaN wins, as TensorFlow's max propagates it.
                            if x[i] > value || (x[i].isNaN && !value.isNaN) {
                                value = x[i]
                                best = i
                            }
                        }
                        y[o] = value
                        chosen(o, best)
                    case .average:
                        var sum: Float = 0
                        for step in first..<last { sum += x[i0 + step * inStride.step] }
                        y[o] = sum / Float(last - first)
                    }
                }
            }
        }
    }
}
