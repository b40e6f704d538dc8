/// Keras's `GlobalMaxPooling1D` and `GlobalAveragePooling1D`: each channel's
/// maximum or mean over all steps, `(batch, steps, channels)` to
/// `(batch, channels)`, or `(batch, 1, channels)` with `keepdims`.
///
/// Masks, as each Keras does: `GlobalAveragePooling1D` averages over the
/// kept steps only (`sum(x · mask) / sum(mask)`: a sample whose every step
/// is masked gives 0/0 = NaN, as in Keras); `GlobalMaxPooling1D` does not
/// support masking and takes the max over every step. Both end the mask.
public struct GlobalPooling1D: Layer {
    public var name: String
    public let mode: Pooling1D.Mode
    public let keepDims: Bool
    public let dataFormat: DataFormat

    public init(name: String = "global_pooling1d", mode: Pooling1D.Mode, keepDims: Bool = false, dataFormat: DataFormat = .channelsLast) {
        self.name = name
        self.mode = mode
        self.keepDims = keepDims
        self.dataFormat = dataFormat
    }

    public var parameterSpecs: [ParameterSpec] { [] }
    public var parameters: [Tensor] { [] }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "global pooling needs (batch, steps, channels) input, got \(Tensor.describe([nil] + shape))")
        }
        let channels = dataFormat.stepsAndChannels(shape).channels
        return keepDims ? dataFormat.shape(steps: 1, channels: channels) : [channels]
    }

    public var passesMask: Bool { false }

    /// With channels first the steps are the last axis, but a mask runs
    /// along the second: Keras cannot apply one there either.
    public var maskRefusal: String? {
        mode == .average && dataFormat == .channelsFirst
            ? "GlobalAveragePooling1D(data_format=\"channels_first\") cannot take a timestep mask: its steps are the last axis, the mask's the second"
            : nil
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { 0 }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        forward(input, batch: batch, sampleShape: sampleShape, context: .none, into: output, workspace: workspace)
    }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int], context: SequenceContext,
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let mask = mode == .average ? context.mask : nil
        guard dataFormat == .channelsLast else {
            pool(input, batch: batch, sampleShape: sampleShape, mask: mask, into: output) { _, _ in }
            return
        }
        // Channels last: steps are contiguous rows of channels, so the inner
        // loop runs over channels and vectorizes.
        let steps = sampleShape[0], channels = sampleShape[1]
        for sample in 0..<batch {
            let x = input + sample * steps * channels, y = output + sample * channels
            switch mode {
            case .max:
                y.update(from: x, count: channels)
                for step in 1..<max(steps, 1) {
                    let row = x + step * channels
                    Pooling1D.maximum(row, into: y, count: channels)
                }
            case .average:
                y.update(repeating: 0, count: channels)
                var kept: Float = 0
                for step in 0..<steps where mask.map({ $0[sample * steps + step] != 0 }) ?? true {
                    let row = x + step * channels
                    for c in 0..<channels { y[c] += row[c] }
                    kept += 1
                }
                // 0/0 = NaN for a sample masked throughout, as in Keras.
                let count = mask == nil ? Float(steps) : kept
                for c in 0..<channels { y[c] /= count }
            }
        }
    }

    /// The pass; `mask` is `(batch, steps)` (average only); `chosen(output,
    /// input)` is told which input each max came from.
    func pool(
        _ x: UnsafePointer<Float>, batch: Int, sampleShape: [Int], mask: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, chosen: (Int, Int) -> Void
    ) {
        let (steps, channels) = dataFormat.stepsAndChannels(sampleShape)
        let stride = dataFormat.strides(steps: steps, channels: channels)
        for sample in 0..<batch {
            let base = sample * steps * channels
            let kept = mask.map { m in (0..<steps).reduce(Float(0)) { $0 + (m[sample * steps + $1] != 0 ? 1 : 0) } }
            for c in 0..<channels {
                let i0 = base + c * stride.channel, o = sample * channels + c
                switch mode {
                case .max:
                    var best = i0, value = x[i0]
                    for step in 1..<max(steps, 1) {
                        let i = i0 + step * stride.step
                        if x[i] > value || (x[i].isNaN && !value.isNaN) {
                            value = x[i]
                            best = i
                        }
                    }
                    y[o] = value
                    chosen(o, best)
                case .average:
                    var sum: Float = 0
                    if let mask {
                        // Keras 3: where(mask, x, 0); a masked step adds nothing.
                        for step in 0..<steps where mask[sample * steps + step] != 0 { sum += x[i0 + step * stride.step] }
                        y[o] = sum / (kept ?? 0)
                    } else {
                        for step in 0..<steps { sum += x[i0 + step * stride.step] }
                        y[o] = sum / Float(steps)
                    }
                }
            }
        }
    }
}
