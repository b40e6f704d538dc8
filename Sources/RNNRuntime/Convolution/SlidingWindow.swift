/// How Keras pads the steps axis for a window that slides along it
/// (`Conv1D`, `MaxPooling1D`, `AveragePooling1D`).
public enum WindowPadding: String, Sendable, Equatable, CaseIterable {
    /// No padding: only windows that fit inside the input.
    case valid
    /// TensorFlow's "SAME": `ceil(steps / strides)` outputs, the padding
    /// split with the odd one on the right.
    case same
    /// Conv1D only: all padding on the left, so an output never sees a
    /// later step.
    case causal
}

/// The geometry of a window of `span` steps (for a dilated kernel,
/// `(kernelSize - 1) · dilation + 1`) moving `stride` steps at a time.
/// The formulas are TensorFlow's (`conv_utils.conv_output_length` and the
/// "SAME" padding of `tf.nn.convolution` / `tf.nn.pool`), which both Keras
/// generations use on the TensorFlow backend.
public struct SlidingWindow: Sendable, Equatable {
    public let span: Int
    public let stride: Int
    public let padding: WindowPadding

    public init(span: Int, stride: Int, padding: WindowPadding) {
        self.span = span
        self.stride = stride
        self.padding = padding
    }

    /// Output steps for `steps` input steps; 0 when no valid window fits.
    public func outputSteps(_ steps: Int) -> Int {
        switch padding {
        case .valid:
            return steps < span ? 0 : (steps - span) / stride + 1
        case .same, .causal:
            return (steps + stride - 1) / stride
        }
    }

    /// Steps of padding before the first input step.
    public func leftPadding(_ steps: Int) -> Int {
        switch padding {
        case .valid:
            return 0
        case .causal:
            return span - 1
        case .same:
            let total = max((outputSteps(steps) - 1) * stride + span - steps, 0)
            return total / 2
        }
    }
}

/// Where a `(steps, channels)` sample keeps its channels (Keras's
/// `data_format`): `channelsLast` is `(steps, channels)`, `channelsFirst`
/// is `(channels, steps)`.
public enum DataFormat: String, Sendable, Equatable {
    case channelsLast = "channels_last"
    case channelsFirst = "channels_first"

    /// `(steps, channels)` of a per-sample shape of two axes.
    func stepsAndChannels<T>(_ shape: [T]) -> (steps: T, channels: T) {
        self == .channelsLast ? (shape[0], shape[1]) : (shape[1], shape[0])
    }

    /// The per-sample shape of `steps` steps of `channels` channels.
    func shape<T>(steps: T, channels: T) -> [T] {
        self == .channelsLast ? [steps, channels] : [channels, steps]
    }

    /// Floats between consecutive steps and between consecutive channels of
    /// a sample with `steps` steps and `channels` channels.
    func strides(steps: Int, channels: Int) -> (step: Int, channel: Int) {
        self == .channelsLast ? (channels, 1) : (1, steps)
    }
}
