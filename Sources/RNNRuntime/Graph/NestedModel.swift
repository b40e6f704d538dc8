/// A layer a `Graph` calls with its own rule for several inputs and
/// outputs and their shapes (a model used as a layer).
public protocol GraphCallableLayer: Layer {
    /// The per-sample output shapes of a call on inputs shaped `shapes`.
    func callShapes(_ shapes: [[Int?]]) throws -> [[Int?]]
    /// One call: every output, in order.
    func call(_ inputs: [Tensor]) throws -> [Tensor]
}

/// A Sequential or Functional model used as a layer of another model, as
/// Keras allows (`outer = Model(x, Dense(1)(inner(x)))`): it keeps its own
/// layers and graph, and its weights are its layers' in order.
///
/// A timestep mask does not cross into it (kerasio refuses a mask reaching
/// one), and it passes none on.
public struct NestedModel: GraphCallableLayer {
    public var name: String
    public internal(set) var network: Network

    public init(name: String, network: Network) {
        self.name = name
        self.network = network
    }

    public var parameterSpecs: [ParameterSpec] { network.layers.flatMap(\.parameterSpecs) }
    public var parameters: [Tensor] { network.layers.flatMap(\.parameters) }

    public mutating func setParameters(_ parameters: [Tensor]) throws {
        try validateParameters(parameters)
        var offset = 0
        for (index, layer) in network.layers.enumerated() {
            let count = layer.parameterSpecs.count
            try network.setParameters(Array(parameters[offset..<offset + count]), ofLayerAt: index)
            offset += count
        }
    }

    public var passesMask: Bool { false }
    public var maskRefusal: String? { "a timestep mask cannot reach a nested model in kerasio" }

    public func callShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        let expected = network.inputShapes
        guard shapes.count == expected.count else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "the nested model takes \(expected.count) inputs, got \(shapes.count)")
        }
        for (shape, wanted) in zip(shapes, expected) {
            let fits = shape.count == wanted.count && zip(shape, wanted).allSatisfy { a, b in a == nil || b == nil || a == b }
            guard fits else {
                throw RuntimeError.incompatibleLayer(
                    layer: name,
                    detail: "the nested model takes \(Tensor.describe([nil] + wanted)), got \(Tensor.describe([nil] + shape))")
            }
        }
        return network.outputShapes
    }

    public func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try network.predict(inputs)
    }

    public func outputShape(forInputShape shape: [Int?]) throws -> [Int?] {
        let shapes = try callShapes([shape])
        guard shapes.count == 1 else {
            throw RuntimeError.incompatibleLayer(layer: name, detail: "the nested model gives \(shapes.count) outputs; only a Functional model can pass them on")
        }
        return shapes[0]
    }

    public func multiplyAdds(perSample shape: [Int?]) -> Int? { nil }

    public func forward(_ input: Tensor) throws -> Tensor { try network.predict(input) }

    /// Through the nested model's own `predict` (which allocates).
    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, sampleShape: [Int],
        into output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
    ) {
        let count = batch * sampleShape.reduce(1, *)
        let tensor = Tensor(uncheckedShape: [batch] + sampleShape, scalars: Array(UnsafeBufferPointer(start: input, count: count)))
        guard let result = try? network.predict(tensor) else { return }
        result.scalars.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: $0.count) }
    }
}
