import RNNRuntime

/// The options Conv1D and the 1D pooling layers share, read as both Keras
/// generations write them: sizes as one-element lists (`"kernel_size": [3]`,
/// a Python tuple) or plain integers, `padding` and `data_format` strings.
extension ConfigFields {
    /// A size along the steps axis (`kernel_size`, `strides`,
    /// `dilation_rate`, `pool_size`): `n` or `[n]`, from 1 to
    /// `ConfigLimits.maximumAxisLength`; absent or null is `fallback`.
    func stepsSize(_ key: StaticString, default fallback: Int?) throws -> Int {
        guard var value = value(key) else {
            guard let fallback else { throw problem("has no \(key)") }
            return fallback
        }
        if value.kind == .array {
            guard value.count == 1 else {
                throw problem(.unsupportedOption, "\(key) has \(value.count) values; a 1D layer takes one")
            }
            value = value.elements[0]
        }
        let limit = ConfigLimits.maximumAxisLength
        switch value.integer {
        case .value(let size) where size >= 1 && size <= limit:
            return size
        case .value(let size) where size < 1:
            throw problem("\(key) must be at least 1, found \(size)")
        case .outOfRange where value.isNegative:
            throw problem("\(key) must be at least 1, found \(value.found)")
        case .value, .outOfRange:
            throw problem(.unsupportedOption, "\(key)=\(value.found) is more than kerasio's limit of \(limit)")
        case .notAnInteger:
            throw problem("\(key) must be a positive integer, found \(value.found)")
        }
    }

    /// `padding`: "valid" (the default), "same", and for Conv1D "causal";
    /// any case, as Keras lower-cases it.
    func windowPadding(allowCausal: Bool) throws -> WindowPadding {
        guard let text = try string("padding") else { return .valid }
        guard let padding = WindowPadding(rawValue: text.lowercased()), padding != .causal || allowCausal else {
            let choices = allowCausal ? "\"valid\", \"same\" or \"causal\"" : "\"valid\" or \"same\""
            throw problem("padding must be \(choices), found \(ConfigText.quoted(text))")
        }
        return padding
    }

    /// `data_format`: "channels_last" or "channels_first"; absent or null is
    /// Keras's default image data format, channels_last.
    func dataFormat() throws -> DataFormat {
        guard let text = try string("data_format") else { return .channelsLast }
        guard let format = DataFormat(rawValue: text.lowercased()) else {
            throw problem("data_format must be \"channels_last\" or \"channels_first\", found \(ConfigText.quoted(text))")
        }
        return format
    }
}

extension ConfigPlace {
    /// A `(steps, channels)` input shape in the layer's data format, or why
    /// the input is not one.
    func stepsAndChannels(_ inputShape: [Int?], _ format: DataFormat) throws -> (steps: Int?, channels: Int?) {
        guard inputShape.count == 2 else {
            let expected = format == .channelsLast ? "(batch, steps, channels)" : "(batch, channels, steps)"
            throw ConfigProblem(.invalidConfig, at: self, "needs \(expected) input, gets \(ConfigText.shape([nil] + inputShape))")
        }
        return format == .channelsLast ? (inputShape[0], inputShape[1]) : (inputShape[1], inputShape[0])
    }
}

extension JSONText {
    /// A size as Keras writes a 1D tuple: `[n]`.
    static func tuple(_ value: Int) -> JSONText { .array([.int(value)]) }
}
