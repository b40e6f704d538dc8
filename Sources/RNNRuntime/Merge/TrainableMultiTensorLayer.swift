/// A merge layer's backward pass: the layers have no weights and their
/// forward pass keeps nothing, so the backward pass reads the inputs and
/// output the graph already holds.
public protocol TrainableMultiTensorLayer: MultiTensorLayer {
    /// dL/d(each input), in input order, for dL/d(output).
    func backward(_ outputGradient: Tensor, inputs: [Tensor], output: Tensor) throws -> [Tensor]
}
