/// Training a `RearrangingLayer`: the forward pass keeps only the input's
/// shape, and the backward pass sends each output value's gradient back to
/// where the value came from (`RearrangingLayer.inputGradient`). No weights.
extension RearrangingLayer {
    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: [Int]) {
        (try forward(input), input.shape)
    }

    public func backward(_ outputGradient: Tensor, cache inputShape: [Int]) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        (try inputGradient(outputGradient, inputShape: inputShape), [])
    }

    public mutating func updateParameters(_ update: (_ index: Int, _ values: inout [Float]) -> Void) {}
}

extension Flatten: TrainableLayer { public typealias TrainingCache = [Int] }
extension Reshape: TrainableLayer { public typealias TrainingCache = [Int] }
extension Permute: TrainableLayer { public typealias TrainingCache = [Int] }
extension RepeatVector: TrainableLayer { public typealias TrainingCache = [Int] }
extension Cropping1D: TrainableLayer { public typealias TrainingCache = [Int] }
extension ZeroPadding1D: TrainableLayer { public typealias TrainingCache = [Int] }
extension UpSampling1D: TrainableLayer { public typealias TrainingCache = [Int] }
