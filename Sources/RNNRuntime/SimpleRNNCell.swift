/// The cell of Keras's `SimpleRNN`: `h_t = f(x_t · W + b + h_{t-1} · U)`.
///
/// Weights, as Keras stores them: `kernel W (inputSize, units)`,
/// `recurrent_kernel U (units, units)`, then `bias b (units)` if `useBias`.
/// `dropout` and `recurrentDropout` are kept for training; inference ignores them.
public struct SimpleRNNCell: RecurrentCell {
    public let inputSize: Int
    public let units: Int
    public var activation: Activation
    public let useBias: Bool
    /// Fraction of the inputs dropped in training.
    public var dropout: Float
    /// Fraction of the recurrent state dropped in training.
    public var recurrentDropout: Float
    public private(set) var kernel: Tensor
    public private(set) var recurrentKernel: Tensor
    public private(set) var bias: Tensor?

    /// A cell with zero weights; load real ones through the layer's `setParameters`.
    public init(
        inputSize: Int, units: Int, activation: Activation = .tanh, useBias: Bool = true,
        dropout: Float = 0, recurrentDropout: Float = 0
    ) {
        self.inputSize = inputSize
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.kernel = Tensor(zeros: [inputSize, units])
        self.recurrentKernel = Tensor(zeros: [units, units])
        self.bias = useBias ? Tensor(zeros: [units]) : nil
    }

    public var stateSize: Int { units }
    public var projectionSize: Int { units }
    public var scratchSize: Int { 0 }

    public var parameterSpecs: [ParameterSpec] {
        var specs = [
            ParameterSpec(name: "kernel", shape: [inputSize, units]),
            ParameterSpec(name: "recurrent_kernel", shape: [units, units]),
        ]
        if useBias { specs.append(ParameterSpec(name: "bias", shape: [units])) }
        return specs
    }

    public var parameters: [Tensor] {
        [kernel, recurrentKernel] + (bias.map { [$0] } ?? [])
    }

    public mutating func replaceParameters(_ parameters: [Tensor]) {
        kernel = parameters[0]
        recurrentKernel = parameters[1]
        bias = useBias ? parameters[2] : nil
    }

    /// Each weight's storage in turn, for in-place optimizer steps.
    mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {
        update(0, &kernel.scalars)
        update(1, &recurrentKernel.scalars)
        if bias != nil { update(2, &bias!.scalars) }
    }

    public func projectInputs(_ inputs: UnsafePointer<Float>, rows: Int, into projections: UnsafeMutablePointer<Float>) {
        kernel.scalars.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            LinearAlgebra.matmul(inputs, w, into: projections, rows: rows, inner: inputSize, cols: units, accumulate: false)
        }
        if let bias {
            bias.scalars.withUnsafeBufferPointer { b in
                if let b = b.baseAddress { LinearAlgebra.addRowVector(b, to: projections, rows: rows, cols: units) }
            }
        }
    }

    public func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let hidden = state
        let count = batch * units
        // projection += h_{t-1}·U, giving x_t·W + b + h_{t-1}·U; then h_t = f(that).
        recurrentKernel.scalars.withUnsafeBufferPointer { u in
            guard let u = u.baseAddress else { return }
            LinearAlgebra.matmul(hidden, u, into: projection, rows: batch, inner: units, cols: units, accumulate: true)
        }
        activation.apply(projection, count: count, lastAxis: units)
        hidden.update(from: projection, count: count)
    }
}
