import RNNRuntime

/// Keras's `Conv1D` (`keras/src/layers/convolutional/base_conv.py`, tf.keras's
/// `base_conv.py`; both write the same keys): filters, kernel_size, strides,
/// padding valid/same/causal, dilation_rate, groups, activation, use_bias.
/// `data_format="channels_first"` is refused: neither Keras runs it on the
/// CPU, and kerasio has no fixture to check it against.
struct Conv1DConfig: KerasLayerMapping, Equatable {
    static let className = "Conv1D"
    static let nameBase = "conv1d"
    static let weightOwner = KerasWeightOwner.layer

    let name: String
    let filters: Int
    let kernelSize: Int
    let strides: Int
    let padding: WindowPadding
    let dilationRate: Int
    let groups: Int
    let activation: ActivationConfig
    let useBias: Bool
    let dtype: DTypePolicy
    let batchInputShape: ConfigShape?

    init(_ c: ConfigFields) throws {
        name = c.place.name ?? Self.nameBase
        filters = try c.size("filters", limit: ConfigLimits.maximumUnits)
        kernelSize = try c.stepsSize("kernel_size", default: nil)
        strides = try c.stepsSize("strides", default: 1)
        padding = try c.windowPadding(allowCausal: true)
        dilationRate = try c.stepsSize("dilation_rate", default: 1)
        // Written by Keras 3 and tf.keras 2.x; older files have none (null is 1 in tf.keras).
        groups = c.value("groups") == nil ? 1 : try c.size("groups", limit: ConfigLimits.maximumUnits)
        activation = try c.activation(default: "linear")
        useBias = try c.bool("use_bias", default: true)
        dtype = try c.dtype()
        batchInputShape = try declaredShape(c, preferring: "batch_input_shape", then: "batch_shape")
        if try c.dataFormat() == .channelsFirst {
            throw c.problem(.unsupportedOption, "data_format=\"channels_first\" is not supported (TensorFlow cannot run it on the CPU); use channels_last")
        }
        // What Keras's constructor refuses.
        guard filters % groups == 0 else {
            throw c.problem("filters=\(filters) must be divisible by groups=\(groups)")
        }
        guard strides == 1 || dilationRate == 1 else {
            throw c.problem("strides=\(strides) with dilation_rate=\(dilationRate): Keras refuses strides > 1 with dilation_rate > 1")
        }
        if let rank = try c.optionalInteger("lora_rank"), rank > 0 {
            throw c.problem(.unsupportedOption, "LoRA is enabled (lora_rank=\(rank)); merge it into the kernel before saving")
        }
    }

    var declaredBatchInputShape: ConfigShape? { batchInputShape }
    var activationName: String? { activation.name }

    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let (steps, channels) = try place.stepsAndChannels(inputShape, .channelsLast)
        guard let channels else {
            throw ConfigProblem(.invalidConfig, at: place, "gets input \(ConfigText.shape([nil] + inputShape)) whose channels are not fixed")
        }
        guard channels % groups == 0 else {
            throw ConfigProblem(.invalidConfig, at: place, "the input's \(channels) channels must be divisible by groups=\(groups)")
        }
        // kernel (kernel_size, channels / groups, filters), bias (filters).
        let (rowLength, overflow) = kernelSize.multipliedReportingOverflow(by: channels / groups)
        let count = try place.weightCount(rows: overflow ? Int.max : rowLength + (useBias ? 1 : 0), units: filters)
        let window = SlidingWindow(span: (kernelSize - 1) * dilationRate + 1, stride: strides, padding: padding)
        guard let steps else { return LayerPlan(outputShape: [nil, filters], weights: count) }
        let out = window.outputSteps(steps)
        guard out >= 1 else {
            throw ConfigProblem(
                .invalidConfig, at: place,
                "its window spans \(window.span) steps (kernel_size=\(kernelSize), dilation_rate=\(dilationRate)) with padding \"valid\", the input has \(steps)")
        }
        // The im2col matrix a sample needs: one row of kernel_size · channels / groups per output step.
        let (columns, tooMany) = out.multipliedReportingOverflow(by: rowLength)
        guard !tooMany, columns <= ConfigLimits.maximumSampleElements else {
            throw ConfigProblem(
                .unsupportedOption, at: place,
                "needs more than kerasio's limit of \(ConfigLimits.maximumSampleElements) working values per sample (kernel_size=\(kernelSize) over \(out) output steps)")
        }
        return LayerPlan(outputShape: [out, filters], weights: count)
    }

    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer {
        Conv1D(
            name: name, inputChannels: features, filters: filters, kernelSize: kernelSize, strides: strides,
            padding: padding, dilationRate: dilationRate, groups: groups,
            activation: try activation.resolve(generation: generation, at: place), useBias: useBias)
    }

    static func describes(_ layer: any Layer) -> Bool { layer is Conv1D }

    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]? {
        guard let conv = layer as? Conv1D else { return nil }
        return [
            ("filters", .int(conv.filters)),
            ("kernel_size", .tuple(conv.kernelSize)),
            ("strides", .tuple(conv.strides)),
            ("padding", .string(conv.padding.rawValue)),
            ("data_format", .string(DataFormat.channelsLast.rawValue)),
            ("dilation_rate", .tuple(conv.dilationRate)),
            ("groups", .int(conv.groups)),
            try RecurrentOptions.activation("activation", conv.activation, layer: conv.name, dialect: dialect),
            ("use_bias", .bool(conv.useBias)),
        ]
    }
}
