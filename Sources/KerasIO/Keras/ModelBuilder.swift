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
    static func build(_ config: ModelConfig, generation: KerasGeneration, file: String) throws -> Network {
        if config.graph != nil { return .graph(try buildGraph(config, generation: generation, file: file)) }
        return .sequential(try buildSequential(config, generation: generation, file: file))
    }

    static func buildSequential(_ config: ModelConfig, generation: KerasGeneration, file: String) throws -> Sequential {
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
                try count(planned.weights, into: &total, at: place)
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
            var chain = try Sequential(
                name: config.name, inputShape: config.inputShape, layers: layers, fixedBatchSize: config.inputBatchSize)
            chain.isFunctional = config.className != "Sequential"
            chain.inputName = config.layers.first?.isInputLayer == true ? config.layers[0].name : nil
            return chain
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
        // The output of one sample, where fixed, is bounded like the input's.
        try boundElements(planned.outputShape, at: place)
        return planned
    }

    /// Adds a layer's weights to the model's count, refusing more than kerasio's limit.
    private static func count(_ weights: Int, into total: inout Int, at place: ConfigPlace) throws {
        let (sum, overflow) = total.addingReportingOverflow(weights)
        guard !overflow, sum <= ConfigLimits.maximumModelParameters else {
            throw ConfigProblem(
                .unsupportedOption, at: place,
                "with this layer the model has more than kerasio's limit of \(ConfigLimits.maximumModelParameters) weights")
        }
        total = sum
    }

    /// A Functional model's graph: one runtime layer per config layer (made
    /// at its first call, from that call's first input), each call a node.
    /// Every output shape is bounded as a chain's is.
    static func buildGraph(_ config: ModelConfig, generation: KerasGeneration, file: String) throws -> Graph {
        guard let topology = config.graph else { throw KerasIOError(.invalidConfig, file: file, "not a graph") }
        do {
            // Runtime layer index of each config layer (nil: InputLayer or not made yet).
            var runtimeIndex = [Int?](repeating: nil, count: config.layers.count)
            var layers: [any Layer] = []
            var tensorShapes: [[Int?]] = []
            var tensorOf: [TensorReference: Int] = [:]
            var inputs: [(name: String, shape: [Int?])] = []
            for (position, spec) in zip(topology.inputLayers, config.inputs) {
                tensorOf[TensorReference(layer: config.layers[position].name, node: 0, tensor: 0)] = inputs.count
                inputs.append((spec.name, spec.shape))
                tensorShapes.append(spec.shape)
            }
            var calls: [Graph.Call] = []
            var total = 0
            for call in topology.calls {
                let layerConfig = config.layers[call.layer]
                let place = ConfigPlace.layer(call.layer, className: layerConfig.className, name: layerConfig.name)
                var arguments: [Int] = []
                for reference in call.inputs {
                    guard let tensor = tensorOf[reference] else {
                        throw ConfigProblem(
                            .invalidConfig, at: place,
                            "reads tensor \(reference.tensor) of \(ConfigText.quoted(reference.layer)) call \(reference.node), which that call does not give")
                    }
                    arguments.append(tensor)
                }
                let inputShape = tensorShapes[arguments[0]]
                if runtimeIndex[call.layer] == nil {
                    if layerConfig.isInputLayer {
                        throw ConfigProblem(.invalidConfig, at: place, "an InputLayer cannot be called on a tensor")
                    }
                    let planned = try plan(layerConfig, inputShape: inputShape, at: place)
                    try count(planned.weights, into: &total, at: place)
                    let features = inputShape.last.flatMap { $0 } ?? 0
                    runtimeIndex[call.layer] = layers.count
                    layers.append(try layerConfig.mapping.makeLayer(features: features, generation: generation, at: place))
                }
                let layerIndex = runtimeIndex[call.layer]!
                let outputShapes: [[Int?]]
                do {
                    outputShapes = try Graph.nodeOutputShapes(of: layers[layerIndex], inputShapes: arguments.map { tensorShapes[$0] })
                } catch let error as RuntimeError {
                    throw ConfigProblem(.invalidConfig, at: place, PrintableText.oneLine(error.localizedDescription, limit: ConfigProblem.maximumDetail))
                }
                for shape in outputShapes { try boundElements(shape, at: place) }
                for (index, shape) in outputShapes.enumerated() {
                    let node = call.node + topology.nodeOffsets[call.layer]
                    tensorOf[TensorReference(layer: layerConfig.name, node: node, tensor: index)] = tensorShapes.count
                    tensorShapes.append(shape)
                }
                calls.append(Graph.Call(layer: layerIndex, inputs: arguments))
            }
            var outputs: [Int] = []
            for reference in topology.outputs {
                guard let tensor = tensorOf[reference] else {
                    throw ConfigProblem(
                        .invalidConfig, at: .model,
                        "Functional model: output \(ConfigText.quoted(reference.layer)) call \(reference.node) tensor \(reference.tensor) is never made")
                }
                outputs.append(tensor)
            }
            // Layers in config order (Keras 3 stores weights in that order).
            let order = runtimeIndex.enumerated().compactMap { position, index in index.map { (position, $0) } }
            var remap = [Int](repeating: 0, count: layers.count)
            for (rank, (_, index)) in order.enumerated() { remap[index] = rank }
            let orderedLayers = order.map { layers[$0.1] }
            let orderedCalls = calls.map { Graph.Call(layer: remap[$0.layer], inputs: $0.inputs) }
            return try Graph(
                name: config.name, inputs: inputs, layers: orderedLayers, calls: orderedCalls, outputs: outputs,
                outputNames: topology.outputs.map(\.layer))
        } catch let problem as ConfigProblem {
            throw problem.error(file: file)
        } catch let error as RuntimeError {
            throw KerasIOError(
                .invalidConfig, file: file, PrintableText.oneLine(error.localizedDescription, limit: ConfigProblem.maximumDetail))
        }
    }

    /// Refuses a per-sample shape with more values than kerasio's limit.
    static func boundElements(_ output: [Int?], at place: ConfigPlace) throws {
        var elements = 1
        for length in output {
            guard let length else { continue }
            let (product, overflow) = elements.multipliedReportingOverflow(by: length)
            guard !overflow, product <= ConfigLimits.maximumSampleElements else {
                throw ConfigProblem(
                    .unsupportedOption, at: place,
                    "its output \(ConfigText.shape([nil] + output)) has more than kerasio's limit of "
                        + "\(ConfigLimits.maximumSampleElements) values per sample")
            }
            elements = product
        }
    }
}
