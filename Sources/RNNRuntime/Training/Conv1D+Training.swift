extension Conv1D: TrainableLayer {
    public struct Cache {
        let inputShape: [Int]
        /// Every group's im2col matrix, one after the other.
        let columns: [Float]
        let preActivation: [Float]
        let output: [Float]
    }

    public func forwardForTraining(_ input: Tensor, context: inout TrainingContext) throws -> (output: Tensor, cache: Cache) {
        let sample = Array(input.shape.dropFirst())
        let outputSample = try outputShape(forInputShape: sample.map { Optional($0) }).map { $0 ?? 1 }
        let batch = input.shape[0], steps = sample[0]
        let rows = batch * outputSample[0]
        var columns = [Float](repeating: 0, count: groups * rows * rowLength)
        var z = [Float](repeating: 0, count: rows * filters)
        input.scalars.withUnsafeBufferPointer { x in
            z.withUnsafeMutableBufferPointer { z in
                columns.withUnsafeMutableBufferPointer { columns in
                    writePreActivation(x.baseAddress!, batch: batch, steps: steps, into: z.baseAddress!,
                                       columns: columns.baseAddress!, keepColumns: true)
                }
            }
        }
        var y = z
        activation.apply(&y, lastAxis: filters)
        let output = Tensor(uncheckedShape: [batch] + outputSample, scalars: y)
        return (output, Cache(inputShape: input.shape, columns: columns, preActivation: z, output: y))
    }

    /// dz = dy ⊙ f'(z); per group g: dW_g = colsᵀ·dz_g, dcols = dz_g·W_gᵀ
    /// scattered back to the input steps each column entry was read from;
    /// db = Σ_rows dz.
    public func backward(_ outputGradient: Tensor, cache: Cache) throws -> (inputGradient: Tensor, parameterGradients: [Tensor]) {
        guard outputGradient.count == cache.output.count else { throw RuntimeError.missingCache(name) }
        let rows = cache.output.count / max(filters, 1)
        let batch = cache.inputShape[0], steps = cache.inputShape[1]
        var dz = outputGradient.scalars
        cache.preActivation.withUnsafeBufferPointer { z in
            cache.output.withUnsafeBufferPointer { y in
                dz.withUnsafeMutableBufferPointer { g in
                    activation.backpropagate(preActivation: z.baseAddress!, output: y.baseAddress!, gradient: g.baseAddress!,
                                             count: rows * filters, lastAxis: filters)
                }
            }
        }
        var dW = [Float](repeating: 0, count: kernel.count)
        var db = [Float](repeating: 0, count: filters)
        var dx = [Float](repeating: 0, count: cache.inputShape.reduce(1, *))
        var dColumns = [Float](repeating: 0, count: rows * rowLength)
        cache.columns.withUnsafeBufferPointer { columns in
            kernel.scalars.withUnsafeBufferPointer { w in
                dz.withUnsafeBufferPointer { g in
                    dW.withUnsafeMutableBufferPointer { dW in
                        dColumns.withUnsafeMutableBufferPointer { dc in
                            dx.withUnsafeMutableBufferPointer { dx in
                                let columns = columns.baseAddress!, w = w.baseAddress!, g = g.baseAddress!
                                for group in 0..<groups {
                                    let matrix = columns + group * rows * rowLength
                                    let offset = group * groupFilters
                                    LinearAlgebra.gemm(
                                        transposeA: true, transposeB: false, m: rowLength, n: groupFilters, k: rows,
                                        a: matrix, lda: rowLength, b: g + offset, ldb: filters,
                                        c: dW.baseAddress! + offset, ldc: filters, accumulate: false)
                                    LinearAlgebra.gemm(
                                        transposeA: false, transposeB: true, m: rows, n: rowLength, k: groupFilters,
                                        a: g + offset, lda: filters, b: w + offset, ldb: filters,
                                        c: dc.baseAddress!, ldc: rowLength, accumulate: false)
                                    addColumns(dc.baseAddress!, batch: batch, steps: steps, group: group, into: dx.baseAddress!)
                                }
                            }
                        }
                    }
                    if useBias {
                        db.withUnsafeMutableBufferPointer { db in
                            LinearAlgebra.addColumnSums(of: g.baseAddress!, rows: rows, cols: filters, into: db.baseAddress!)
                        }
                    }
                }
            }
        }
        var gradients = [Tensor(uncheckedShape: kernel.shape, scalars: dW)]
        if useBias { gradients.append(Tensor(uncheckedShape: [filters], scalars: db)) }
        return (Tensor(uncheckedShape: cache.inputShape, scalars: dx), gradients)
    }
}
