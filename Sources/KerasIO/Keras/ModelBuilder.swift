import RNNRuntime

/// Turns a decoded `ModelConfig` into a runtime `Sequential` whose layers
/// have the config's names and options and zero weights, ready for the
/// file's weights.
///
/// The runtime layers allocate their weights when made, so every size is
/// checked here first: each layer's shapes and weight count are worked out
/// with overflow-reporting arithmetic and held to `ConfigLimits` (per layer,
/// and for the model so far) before that layer is made. A config therefore
/// cannot make kerasio allocate more than `ConfigLimits.maximumModelParameters`
/// floats, nor trap on an overflowing product.
enum ModelBuilder {
    static func build(_ config: ModelConfig, generation: KerasGeneration, file: String) throws -> Sequential {
        var shape = config.inputShape
        var layers: [any Layer] = []
        layers.reserveCapacity(config.computingLayers.count)
        var total = 0
        do {
            var index = 0
            while index < config.computingLayers.count {
                let layerConfig = config.computingLayers[index]
                index += 1
                let place = config.place(ofComputingLayer: index - 1)
                let planned = try plan(layerConfig, inputShape: shape, at: place)
                let (sum, overflow) = total.addingReportingOverflow(planned.weights)
                guard !overflow, sum <= ConfigLimits.maximumModelParameters else {
                    throw ConfigProblem(
                        .unsupportedOption, at: place,
                        "with this layer the model has more than kerasio's limit of \(ConfigLimits.maximumModelParameters) weights")
                }
                total = sum
                // `plan` has checked that the features are fixed where the layer needs them.
                let features = shape.last.flatMap { $0 } ?? 0
                layers.append(try makeLayer(layerConfig, features: features, generation: generation, at: place))
                shape = planned.outputShape
            }
            return try Sequential(name: config.name, inputShape: config.inputShape, layers: layers)
        } catch let problem as ConfigProblem {
            throw problem.error(file: file)
        } catch let error as RuntimeError {
            // Not expected after the checks above; kept one line and bounded all the same.
            throw KerasIOError(
                .invalidConfig, file: file, PrintableText.oneLine(error.localizedDescription, limit: ConfigProblem.maximumDetail))
        }
    }

    /// The layer's per-sample output shape and weight count for `inputShape`,
    /// or why it cannot take that input or is too large.
    /// What `plan` works out for one layer (a struct, not a tuple: unoptimized
    /// builds look tuple types up at run time on every call).
    struct Plan {
        let outputShape: [Int?]
        let weights: Int
    }

    static func plan(_ config: LayerConfig, inputShape: [Int?], at place: ConfigPlace) throws -> Plan {
        func features() throws -> Int {
            guard let last = inputShape.last, let features = last else {
                throw ConfigProblem(
                    .invalidConfig, at: place,
                    "gets input \(ConfigText.shape([nil] + inputShape)) whose last axis (features) is not fixed")
            }
            return features
        }
        /// `rows * units`: a kernel (and recurrent kernel) plus a bias row.
        func weights(rows: Int, units: Int) throws -> Int {
            let (product, overflow) = rows.multipliedReportingOverflow(by: units)
            guard !overflow, product <= ConfigLimits.maximumLayerParameters else {
                throw ConfigProblem(
                    .unsupportedOption, at: place,
                    "units=\(units) on its input needs more than kerasio's limit of \(ConfigLimits.maximumLayerParameters) weights per layer")
            }
            return product
        }
        let output: [Int?]
        let count: Int
        switch config {
        case .input:
            throw ConfigProblem(.invalidConfig, at: place, "an InputLayer must be the first layer")
        case .simpleRNN(let c):
            guard inputShape.count == 2 else {
                throw ConfigProblem(
                    .invalidConfig, at: place,
                    "needs (batch, steps, features) input, gets \(ConfigText.shape([nil] + inputShape))")
            }
            // kernel (features, units), recurrent_kernel (units, units), bias (units).
            count = try weights(rows: features() + c.units + (c.useBias ? 1 : 0), units: c.units)
            output = c.returnSequences ? [inputShape[0], c.units] : [c.units]
        case .dense(let c):
            // kernel (features, units), bias (units); applied to the last axis.
            count = try weights(rows: features() + (c.useBias ? 1 : 0), units: c.units)
            var shape = inputShape
            shape[shape.count - 1] = c.units
            output = shape
        case .dropout:
            count = 0
            output = inputShape
        }
        // The output of one sample, where fixed, is bounded like the input's.
        var elements = 1, axis = 0
        while axis < output.count {
            defer { axis += 1 }
            guard let length = output[axis] else { continue }
            let (product, overflow) = elements.multipliedReportingOverflow(by: length)
            guard !overflow, product <= ConfigLimits.maximumSampleElements else {
                throw ConfigProblem(
                    .unsupportedOption, at: place,
                    "its output \(ConfigText.shape([nil] + output)) has more than kerasio's limit of "
                        + "\(ConfigLimits.maximumSampleElements) values per sample")
            }
            elements = product
        }
        return Plan(outputShape: output, weights: count)
    }

    /// The runtime layer, with zero weights; `plan` has checked its sizes.
    private static func makeLayer(
        _ config: LayerConfig, features: Int, generation: KerasGeneration, at place: ConfigPlace
    ) throws -> any Layer {
        switch config {
        case .input:
            throw ConfigProblem(.invalidConfig, at: place, "an InputLayer must be the first layer")
        case .simpleRNN(let c):
            return SimpleRNN(
                name: c.name, inputSize: features, units: c.units,
                activation: try ActivationConfig(name: c.activationName).resolve(generation: generation, at: place),
                useBias: c.useBias, returnSequences: c.returnSequences, goBackwards: c.goBackwards,
                dropout: c.dropout, recurrentDropout: c.recurrentDropout)
        case .dense(let c):
            return Dense(
                name: c.name, inputSize: features, units: c.units,
                activation: try ActivationConfig(name: c.activationName).resolve(generation: generation, at: place),
                useBias: c.useBias)
        case .dropout(let c):
            return Dropout(name: c.name, rate: c.rate)
        }
    }
}
