import RNNRuntime

// What Keras's reshaping layers (Flatten, Reshape, Permute, RepeatVector,
// Cropping1D, ZeroPadding1D, UpSampling1D) share in their configs.

extension ConfigFields {
    /// `cropping` or `padding`: one integer for both ends or a list of two
    /// (`(start, end)`), each at least 0, as Keras's `standardize_tuple(...,
    /// allow_zero=True)`; absent takes `fallback`.
    func integerPair(_ key: StaticString, default fallback: (start: Int, end: Int)) throws -> (start: Int, end: Int) {
        guard let value = value(key) else {
            if has(key) { throw problem("\(key) is null; it must be an integer or a list of two integers") }
            return fallback
        }
        if value.kind == .array {
            let elements = value.elements
            guard elements.count == 2 else {
                throw problem("\(key) must be an integer or a list of two integers, found a list of \(elements.count)")
            }
            return (try boundedLength(elements[0], key), try boundedLength(elements[1], key))
        }
        let both = try boundedLength(value, key)
        return (both, both)
    }

    private func boundedLength(_ value: ConfigJSON.Value, _ key: StaticString) throws -> Int {
        let limit = ConfigLimits.maximumAxisLength
        switch value.integer {
        case .value(let length) where length >= 0 && length <= limit: return length
        case .value(let length) where length < 0: throw problem("\(key) must be at least 0, found \(length)")
        case .outOfRange where value.isNegative: throw problem("\(key) must be at least 0, found \(value.found)")
        case .value, .outOfRange: throw problem(.unsupportedOption, "\(key)=\(value.found) is more than kerasio's limit of \(limit)")
        case .notAnInteger: throw problem("\(key) must hold integers, found \(value.found)")
        }
    }

    /// A required list of integers (`target_shape`, `dims`), at most as long
    /// as a sample can have axes, each from `minimum` to `maximumAxisLength`.
    func integerList(_ key: StaticString, minimum: Int) throws -> [Int] {
        guard let value = value(key) else { throw problem(has(key) ? "\(key) is null; it must be a list of integers" : "has no \(key)") }
        guard value.kind == .array else { throw problem("\(key) must be a list of integers, found \(value.found)") }
        let elements = value.elements
        let axes = ConfigLimits.maximumRank - 1
        guard !elements.isEmpty else { throw problem("\(key) must not be empty") }
        guard elements.count <= axes else {
            throw problem(.unsupportedOption, "\(key) has \(elements.count) axes, more than kerasio's limit of \(axes)")
        }
        let limit = ConfigLimits.maximumAxisLength
        return try elements.map { element in
            switch element.integer {
            case .value(let number) where number >= minimum && number <= limit: return number
            case .value(let number) where number < minimum: throw problem("\(key) holds \(number), below \(minimum)")
            case .outOfRange where element.isNegative: throw problem("\(key) holds \(element.found), below \(minimum)")
            case .value, .outOfRange: throw problem(.unsupportedOption, "\(key) holds \(element.found), more than kerasio's limit of \(limit)")
            case .notAnInteger: throw problem("\(key) must hold integers, found \(element.found)")
            }
        }
    }

    /// `data_format`: true for `"channels_first"`; absent or null is Keras's
    /// default `image_data_format()`, `"channels_last"`.
    func channelsFirst() throws -> Bool {
        switch try string("data_format") {
        case nil, "channels_last": return false
        case "channels_first": return true
        case let other?:
            throw problem("data_format must be \"channels_last\" or \"channels_first\", found \(ConfigText.quoted(other))")
        }
    }

    /// An optional size such as `UpSampling1D`'s `size`: Keras's default
    /// when absent, else an integer from 1 to `maximumAxisLength`.
    func size(_ key: StaticString, default fallback: Int) throws -> Int {
        has(key) ? try size(key, limit: ConfigLimits.maximumAxisLength) : fallback
    }
}

/// A reshaping layer's plan: the runtime layer itself works out its output
/// shape (with overflow-checked sizes; it has no weights to allocate), and
/// an input it cannot take becomes a one-line config problem.
func reshapingPlan(_ layer: any Layer, inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
    do {
        return LayerPlan(outputShape: try layer.outputShape(forInputShape: inputShape), weights: 0)
    } catch RuntimeError.incompatibleLayer(_, let detail) {
        throw ConfigProblem(.invalidConfig, at: place, detail)
    }
}

extension JSONText {
    static func integers(_ values: [Int]) -> JSONText { .array(values.map { .int($0) }) }

    static func dataFormat(channelsFirst: Bool) -> JSONText { .string(channelsFirst ? "channels_first" : "channels_last") }
}
