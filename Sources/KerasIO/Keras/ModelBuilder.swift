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
                if index > 1, type(of: layerConfig.mapping).inputDType != nil {
                    throw ConfigProblem(
                        .unsupportedOption, at: place,
                        "takes integer ids, so kerasio runs it only as the model's first layer, on the model input")
                }
                // `plan` has checked that the features are fixed where the layer needs them.
                let features = shape.last.flatMap { $0 } ?? 0
                layers.append(try layerConfig.mapping.makeLayer(features: features, generation: generation, at: place))
                shape = planned.outputShape
            }
            if let stateful = layers.firstIndex(where: { $0.isStateful }) {
                guard let batch = config.inputBatchSize else {
                    throw ConfigProblem(
                        .invalidConfig, at: config.place(ofComputingLayer: stateful),
                        "stateful=True needs the batch size fixed in the input shape (batch_shape), as Keras requires")
                }
                // The carried state is per batch row: bounded like everything a file can make kerasio allocate.
                guard batch <= ConfigLimits.maximumStatefulBatch else {
                    throw ConfigProblem(
                        .unsupportedOption, at: config.place(ofComputingLayer: stateful),
                        "a stateful batch of \(batch) is more than kerasio's limit of \(ConfigLimits.maximumStatefulBatch)")
                }
            }
            return try Sequential(
                name: config.name, inputShape: config.inputShape, layers: layers, fixedBatchSize: config.inputBatchSize)
        } catch let problem as ConfigProblem {
            throw problem.error(file: file)
        } catch let error as RuntimeError {
            // Not expected after the checks above; kept one line and bounded all the same.
            throw KerasIOError(
                .invalidConfig, file: file, PrintableText.oneLine(error.localizedDescription, limit: ConfigProblem.maximumDetail))
        }
    }

    /// The layer's per-sample output shape and weight count for `inputShape`
    /// (from its mapping), or why it cannot take that input or is too large.
    static func plan(_ config: LayerConfig, inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan {
        let planned = try config.mapping.plan(inputShape: inputShape, at: place)
        let output = planned.outputShape
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
        return planned
    }
}
