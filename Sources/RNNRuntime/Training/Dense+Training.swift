extension Dense: TrainableLayer {
    public struct Cache {
        let input: Tensor
        let preActivation: [Float]
        let output: [Float]
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let z = try preActivation(input)
        var y = z
        activation.apply(&y, lastAxis: units)
        var shape = input.shape
        shape[shape.count - 1] = units
        let output = Tensor(uncheckedShape: shape, scalars: y)
        return (output, Cache(input: input, preActivation: z, output: y))
    }

    /// dz = dy ⊙ f'(z); dW = xᵀ·dz; db = Σ_rows dz; dx = dz·Wᵀ.
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == cache.output.count else { throw RuntimeError.missingCache(name) }
        let rows = cache.output.count / max(units, 1)
        var dz = outputGradient.scalars
        cache.preActivation.withUnsafeBufferPointer { z in
            cache.output.withUnsafeBufferPointer { y in
                dz.withUnsafeMutableBufferPointer { g in
                    guard let z = z.baseAddress, let y = y.baseAddress, let g = g.baseAddress else { return }
                    activation.backpropagate(preActivation: z, output: y, gradient: g, count: rows * units, lastAxis: units)
                }
            }
        }
        return backward(preActivationGradient: dz, cache: cache)
    }

    /// The backward pass from `dL/dz` (the gradient before the activation),
    /// for losses Keras computes from logits.
    func backward(preActivationGradient dz: [Float], cache: Cache) -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        let rows = cache.output.count / max(units, 1)
        var dW = [Float](repeating: 0, count: inputSize * units)
        var db = [Float](repeating: 0, count: units)
        var dx = [Float](repeating: 0, count: rows * inputSize)
        cache.input.scalars.withUnsafeBufferPointer { x in
            kernel.scalars.withUnsafeBufferPointer { w in
                dz.withUnsafeBufferPointer { g in
                    guard let x = x.baseAddress, let w = w.baseAddress, let g = g.baseAddress else { return }
                    dW.withUnsafeMutableBufferPointer { dW in
                        // dW = xᵀ·dz
                        LinearAlgebra.gemm(transposeA: true, transposeB: false, m: inputSize, n: units, k: rows,
                                           a: x, lda: inputSize, b: g, ldb: units, c: dW.baseAddress!, ldc: units, accumulate: false)
                    }
                    dx.withUnsafeMutableBufferPointer { dx in
                        // dx = dz·Wᵀ
                        LinearAlgebra.gemm(transposeA: false, transposeB: true, m: rows, n: inputSize, k: units,
                                           a: g, lda: units, b: w, ldb: units, c: dx.baseAddress!, ldc: inputSize, accumulate: false)
                    }
                    if useBias {
                        db.withUnsafeMutableBufferPointer { db in
                            LinearAlgebra.addColumnSums(of: g, rows: rows, cols: units, into: db.baseAddress!)
                        }
                    }
                }
            }
        }
        var gradients = [Tensor(uncheckedShape: [inputSize, units], scalars: dW)]
        if useBias { gradients.append(Tensor(uncheckedShape: [units], scalars: db)) }
        return (Tensor(uncheckedShape: cache.input.shape, scalars: dx), gradients)
    }
}
