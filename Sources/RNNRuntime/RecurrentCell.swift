/// One step of a recurrent layer, the part that differs between SimpleRNN,
/// LSTM and GRU. `RNN` runs a cell over the steps of a sequence.
///
/// The work is split so the input-to-hidden product runs once for the whole
/// sequence (one large matrix product) and only the hidden-to-hidden part
/// runs step by step:
/// 1. `projectInputs` maps every step's input `x_t` to `projectionSize`
///    numbers per sample (SimpleRNN: `x_t · W + b`; LSTM would use 4·units).
/// 2. `step` combines one step's projection with the carried state(s).
/// The first state is the cell's output `h_t`.
public protocol RecurrentCell: Sendable {
    /// Features per input step.
    var inputSize: Int { get }
    /// Size of the output at each step.
    var units: Int { get }
    /// Numbers per sample carried from step to step. The first `units` of
    /// them are the output `h`; an LSTM would keep its `c` after them.
    var stateSize: Int { get }
    /// Numbers per sample and step produced by `projectInputs`.
    var projectionSize: Int { get }
    /// Scratch space per sample that `step` needs.
    var scratchSize: Int { get }
    /// The weights, in Keras's `get_weights()` order.
    var parameterSpecs: [ParameterSpec] { get }
    var parameters: [Tensor] { get }
    /// Replaces the weights; the caller has validated count and shapes.
    mutating func replaceParameters(_ parameters: [Tensor])

    /// `projections[rows, projectionSize] = f(inputs[rows, inputSize])`.
    func projectInputs(_ inputs: UnsafePointer<Float>, rows: Int, into projections: UnsafeMutablePointer<Float>)

    /// Advances every sample of the batch by one step.
    ///
    /// - Parameters:
    ///   - projection: this step's `(batch, projectionSize)` input projection;
    ///     the cell may work in it, as it is not read again.
    ///   - state: the carried state, updated in place: `(batch, units)` of `h`
    ///     first, then any further state the cell lays out after it.
    ///   - scratch: `batch · scratchSize` floats of working space.
    func step(
        projection: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, batch: Int)
}
