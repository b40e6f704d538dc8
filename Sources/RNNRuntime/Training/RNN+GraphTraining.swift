/// A recurrent layer trained as a graph node with `initial_state` inputs or
/// `return_state` outputs: its final states are outputs whose gradients
/// enter BPTT at the last step, and its initial states' gradients leave it.
protocol StateTrainableLayer: TrainableLayer {
    func forwardWithStates(
        _ input: Tensor, initialState: [Float]?, context: inout TrainingContext
    ) throws -> (output: Tensor, finalState: [Float], pullback: StatePullback)
}

/// The backward pass of a node with states: dL/d(output) (nil for none) and
/// dL/d(final state) in, dL/d(input), the weights' gradients and dL/d(initial state) out.
struct StatePullback {
    let run: (Tensor?, [Float]?) throws -> (inputGradient: Tensor, parameterGradients: [Tensor], initialStateGradient: [Float])
}

extension RNN: StateTrainableLayer {
    func forwardWithStates(
        _ input: Tensor, initialState: [Float]?, context: inout TrainingContext
    ) throws -> (output: Tensor, finalState: [Float], pullback: StatePullback) {
        let saved = context.initialState
        context.initialState = initialState
        defer { context.initialState = saved }
        let (output, cache) = try forwardForTraining(input, context: &context)
        let stateCount = cache.batch * cell.stateSize
        let finalState = Array(cache.states[cache.steps * stateCount..<(cache.steps + 1) * stateCount])
        let shape = output.shape
        return (output, finalState, StatePullback { outputGradient, stateGradient in
            let gradient = outputGradient ?? Tensor(zeros: shape)
            return try self.backward(gradient, finalStateGradient: stateGradient, cache: cache)
        })
    }
}
