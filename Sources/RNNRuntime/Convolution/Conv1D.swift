/// Keras's `Conv1D` on `(batch, steps, channels)` input (channels last):
/// `filters` kernels of `kernelSize` steps slide along the steps axis,
/// `strides` steps at a time, reading every `dilationRate`-th step;
/// `y = f(conv(x, kernel) + bias)`.
///
/// With `groups > 1` the channels split into `groups` equal parts and the
/// filters likewise: the filters of group g read only channel part g.
/// Weights as Keras stores them: `kernel (kernelSize, channels / groups,
/// filters)`, then `bias (filters)` if `useBias`.
///
/// The pass is a GEMM over an im2col matrix: one row per output step of
/// every sample holding the `kernelSize · channels / groups` inputs its
/// window reads (zeros in the padding), times the kernel seen as a
/// `(kernelSize · channels / groups, filters)` matrix, so a whole batch is
/// one call to the same kernels `Dense` uses.
public struct Conv1D: Layer, WeightHolding {
    public var name: String
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: WindowPadding
    public let dilationRate: Int
    public let groups: Int
    public var activation: Activation
    public let useBias: Bool
    public var weights: WeightList

    public var kernel: Tensor { weights[0] }
    public var bias: Tensor? { useBias ? weights[1] : nil }

    /// A layer with zero weights; load real ones with `setParameters`.
    /// The caller has checked what Keras checks: `groups` divides both
    /// `inputChannels` and `filters`, every size is at least 1, and
    /// `strides` and `dilationRate` are not both above 1.
    public init(
        name: String = "conv1d", inputChannels: Int, filters: Int, kernelSize: Int, strides: Int = 1,
        padding: WindowPadding = .valid, dilationRate: Int = 1, groups: Int = 1,
        activation: Activation = .linear, useBias: Bool = true
    ) {
        self.name = name
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
        self.groups = groups
        self.activation = activation
        self.useBias = useBias
        self.weights = WeightList([
            Weight("kernel", shape: [kernelSize, inputChannels / max(groups, 1), filters], initializer: .glorotUniform),
            useBias ? Weight("bias", shape: [filters], initializer: .zeros) : nil,
        ])
    }

    /// The window one output step reads: the dilated kernel's span.
    public var window: SlidingWindow {
        SlidingWindow(span: (kernelSize - 1) * dilationRate + 1, stride: strides, padding: padding)
    }

    /// Channels each group reads, and filters each group writes.
    var groupChannels: Int { inputChannels / groups }
    var groupFilters: Int { filters / groups }
    /// The length of one im2col row: what one output step of one group reads.
    var rowLength: Int { kernelSize * groupChannels }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        guard shape.count == 2 else {
            throw RuntimeError.incompatibleLayer(
                layer: name, detail: "Conv1D needs (batch, steps, channels) input, got \(Tensor.describe([nil] + shape))")
        }
        if let channels = shape[1], channels != inputChannels {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "Conv1D takes \(inputChannels) channels, input has \(channels)")
        }
        guard let steps = shape[0] else { return [nil, filters] }
        let out = window.outputSteps(steps)
        guard out >= 1 else {
            throw RuntimeError.incompatibleLayer(
                layer: name,
                detail: "Conv1D's window spans \(window.span) steps with padding \"valid\", the input has only \(steps)")
        }
        return [out, filters]
    }

    /// Both Keras generations: Conv1D does not support masking, convolves
    /// a masked step's values like any other and ends the mask (Keras 3
    /// warns that it "will destroy the mask information").
    public var passesMask: Bool { false }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? {
        guard let steps = shape.first else { return nil }
        return window.outputSteps(steps ?? 1) * rowLength * filters
    }

    public func workspaceSize(batch: Int, sampleShape: [Int]) -> Int {
        batch * window.outputSteps(sampleShape[0]) * rowLength
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forwardThroughPointer(input) }

    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let rows = batch * window.outputSteps(sampleShape[0])
        writePreActivation(input, batch: batch, steps: sampleShape[0], into: output, columns: workspace, keepColumns: false)
        activation.apply(output, count: rows * filters, lastAxis: filters)
    }

    /// `output[rows, filters] = im2col(x) · kernel + bias`, group by group.
    /// `columns` holds one group's im2col matrix at a time, or, when
    /// `keepColumns`, every group's one after the other (for training).
    func writePreActivation(
        _ x: UnsafePointer<Float>, batch: Int, steps: Int, into y: UnsafeMutablePointer<Float>,
        columns: UnsafeMutablePointer<Float>, keepColumns: Bool
    ) {
        let rows = batch * window.outputSteps(steps)
        if let bias {
            bias.scalars.withUnsafeBufferPointer { b in
                if let b = b.baseAddress { LinearAlgebra.fillRows(with: b, y, rows: rows, cols: filters) }
            }
        }
        kernel.scalars.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            for group in 0..<groups {
                let matrix = keepColumns ? columns + group * rows * rowLength : columns
                writeColumns(x, batch: batch, steps: steps, group: group, into: matrix)
                LinearAlgebra.gemm(
                    transposeA: false, transposeB: false, m: rows, n: groupFilters, k: rowLength,
                    a: matrix, lda: rowLength, b: w + group * groupFilters, ldb: filters,
                    c: y + group * groupFilters, ldc: filters, accumulate: useBias)
            }
        }
    }

    /// The im2col matrix of one group: row `(sample, t)` holds, tap by tap,
    /// the group's channels at input step `t · strides − leftPadding + tap ·
    /// dilationRate`, or zeros where that step is padding.
    func writeColumns(
        _ x: UnsafePointer<Float>, batch: Int, steps: Int, group: Int, into columns: UnsafeMutablePointer<Float>
    ) {
        let out = window.outputSteps(steps), left = window.leftPadding(steps)
        let width = groupChannels, channelOffset = group * width
        let contiguous = dilationRate == 1 && groups == 1
        var row = columns
        for sample in 0..<batch {
            let source = x + sample * steps * inputChannels + channelOffset
            for t in 0..<out {
                let first = t * strides - left
                // Undilated and ungrouped, a window inside the input is one contiguous run.
                if contiguous && first >= 0 && first + kernelSize <= steps {
                    LinearAlgebra.copy(source + first * inputChannels, to: row, count: rowLength)
                    row += rowLength
                    continue
                }
                for tap in 0..<kernelSize {
                    let step = first + tap * dilationRate
                    let target = row + tap * width
                    if step >= 0 && step < steps {
                        target.update(from: source + step * inputChannels, count: width)
                    } else {
                        target.update(repeating: 0, count: width)
                    }
                }
                row += rowLength
            }
        }
    }

    /// Adds an im2col-shaped gradient back onto the input positions each
    /// entry was read from (the transpose of `writeColumns`).
    func addColumns(
        _ columns: UnsafePointer<Float>, batch: Int, steps: Int, group: Int, into dx: UnsafeMutablePointer<Float>
    ) {
        let out = window.outputSteps(steps), left = window.leftPadding(steps)
        let width = groupChannels, channelOffset = group * width
        var row = columns
        for sample in 0..<batch {
            let target = dx + sample * steps * inputChannels + channelOffset
            for t in 0..<out {
                let first = t * strides - left
                for tap in 0..<kernelSize {
                    let step = first + tap * dilationRate
                    guard step >= 0 && step < steps else { continue }
                    let source = row + tap * width, into = target + step * inputChannels
                    for c in 0..<width { into[c] += source[c] }
                }
                row += rowLength
            }
        }
    }
}
