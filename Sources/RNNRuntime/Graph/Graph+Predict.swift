extension Graph {
    /// Runs the model on one batch per input (each `(batch,) + inputShapes[i]`,
    /// the same batch for all) and returns every output, in output order.
    ///
    /// Large batches are split over the cores and each core works in blocks
    /// of `Sequential.blockSize` samples, as `Sequential.predict` does: the
    /// samples never interact, so the result is the same as in one piece.
    public func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        try checkInputShapes(inputs.map(\.shape))
        let batch = inputs[0].shape[0]
        let steps = inputs.map { $0.rank >= 3 ? $0.shape[1] : 1 }.max() ?? 1
        let (perSample, overflow1) = (2 * steps).multipliedReportingOverflow(by: max(parameterCount, 1))
        let (work, overflow2) = perSample.multipliedReportingOverflow(by: batch)
        let parts = Parallel.partCount(samples: batch, work: overflow1 || overflow2 ? .max : work)
        let pieces = Parallel.map(parts: parts) { part -> Result<[[Tensor]], Error> in
            Result {
                try Sequential.predictionBlocks(part: part, of: parts, samples: batch).map { block in
                    try run(inputs.map { $0.rows(block) })
                }
            }
        }
        let blocks = try pieces.flatMap { try $0.get() }
        if blocks.count == 1 { return blocks[0] }
        return outputTensors.indices.map { output in Tensor(concatenatingRows: blocks.map { $0[output] }) }
    }

    /// Throws unless there is one input per model input, each `(batch,) +
    /// its per-sample shape`, all with the same batch of at least one.
    public func checkInputShapes(_ shapes: [[Int]]) throws {
        guard shapes.count == inputShapes.count else {
            throw RuntimeError.invalidInput(
                "the model takes \(inputShapes.count) inputs (\(inputNames.joined(separator: ", "))), got \(shapes.count)")
        }
        for (index, shape) in shapes.enumerated() {
            do {
                try Sequential.checkShape(shape, against: inputShapes[index])
            } catch let RuntimeError.inputShapeMismatch(expected, actual, detail) {
                throw RuntimeError.inputShapeMismatch(
                    expected: expected, actual: actual, detail: "input '\(inputNames[index])': \(detail)")
            }
        }
        if let first = shapes.first, let other = shapes.first(where: { $0[0] != first[0] }) {
            throw RuntimeError.invalidInput(
                "the inputs' batches differ: \(first[0]) samples for '\(inputNames[0])', \(other[0]) for another input")
        }
    }

    /// Every node in order on one block of samples.
    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        var values = [Tensor?](repeating: nil, count: tensorShapes.count)
        var masks = [Tensor?](repeating: nil, count: tensorShapes.count)
        for (index, input) in inputs.enumerated() { values[index] = input }
        for node in nodes {
            let layer = layers[node.layer]
            let arguments = node.inputs.map { values[$0]! }
            if node.inputs[0] < inputs.count {
                try arguments[0].scalars.withUnsafeBufferPointer {
                    try layer.checkInput($0, sampleShape: Array(arguments[0].shape.dropFirst()))
                }
            }
            let (outputs, outputMasks) = try Self.call(layer, inputs: arguments, masks: node.inputs.map { masks[$0] })
            for (position, tensor) in node.outputs.enumerated() {
                values[tensor] = outputs[position]
                masks[tensor] = tensorMasked[tensor] ? outputMasks[position] : nil
            }
        }
        return outputTensors.map { values[$0]! }
    }

    /// One node's forward pass: its outputs and the masks they carry.
    static func call(_ layer: any Layer, inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        if let callable = layer as? any GraphCallableLayer {
            let outputs = try callable.call(inputs)
            return (outputs, outputs.map { _ in nil })
        }
        if let merge = layer as? any MultiTensorLayer {
            let output = try merge.forward(inputs)
            return ([output], [merge.outputMask(forInputMasks: masks, inputs: inputs, output: output)])
        }
        let x = inputs[0], batch = x.shape[0]
        let recurrent = layer as? any StateExposingLayer
        let carriesState = recurrent.map { inputs.count > 1 || $0.returnState } ?? false
        // The carried-state layout is the state tensors' blocks one after another.
        var state: [Float] = []
        if carriesState {
            state = [Float](repeating: 0, count: batch * layer.carriedStateSize)
            if inputs.count > 1 { state = inputs.dropFirst().flatMap(\.scalars) }
            guard state.count == batch * layer.carriedStateSize else {
                throw RuntimeError.incompatibleLayer(layer: layer.name, detail: "initial states do not match its state size")
            }
        }
        let output = try state.withUnsafeMutableBufferPointer { carried in
            try pointerForward(layer, x, mask: masks[0], carriedState: carriesState ? carried.baseAddress : nil)
        }
        let outputMask = Sequential.mask(after: layer, input: x, output: output, incoming: masks[0])
        var outputs = [output]
        var outputMasks = [outputMask]
        if let split = recurrent?.outputSplit {
            outputs = output.splitLastAxis(split)
            outputMasks = outputs.map { _ in outputMask }
        }
        if let recurrent, recurrent.returnState {
            var offset = 0
            for width in recurrent.stateWidths {
                outputs.append(Tensor(uncheckedShape: [batch, width], scalars: Array(state[offset..<offset + batch * width])))
                outputMasks.append(nil)
                offset += batch * width
            }
        }
        return (outputs, outputMasks)
    }

    /// A layer's pointer forward on fresh memory, with a mask and carried state.
    static func pointerForward(
        _ layer: any Layer, _ input: Tensor, mask: Tensor?, carriedState: UnsafeMutablePointer<Float>?
    ) throws -> Tensor {
        let batch = input.shape[0], sample = Array(input.shape.dropFirst())
        let outputSample = try layer.outputShape(forInputShape: sample.map { Optional($0) }).map { $0 ?? 1 }
        var output = [Float](repeating: 0, count: batch * outputSample.reduce(1, *))
        var workspace = [Float](repeating: 0, count: max(layer.workspaceSize(batch: batch, sampleShape: sample), 1))
        let maskValues = mask?.scalars ?? []
        input.scalars.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                workspace.withUnsafeMutableBufferPointer { w in
                    maskValues.withUnsafeBufferPointer { m in
                        let context = SequenceContext(mask: mask == nil ? nil : m.baseAddress, carriedState: carriedState)
                        layer.forward(
                            x.baseAddress!, batch: batch, sampleShape: sample, context: context, into: y.baseAddress!,
                            workspace: w.baseAddress!)
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [batch] + outputSample, scalars: output)
    }
}

extension Tensor {
    /// Pieces of the last axis, `widths` wide each, in order.
    func splitLastAxis(_ widths: [Int]) -> [Tensor] {
        let width = shape.last ?? 0, rows = count / max(width, 1)
        var offset = 0
        return widths.map { piece in
            var values = [Float](repeating: 0, count: rows * piece)
            for r in 0..<rows {
                for j in 0..<piece { values[r * piece + j] = scalars[r * width + offset + j] }
            }
            offset += piece
            return Tensor(uncheckedShape: shape.dropLast() + [piece], scalars: values)
        }
    }
}
