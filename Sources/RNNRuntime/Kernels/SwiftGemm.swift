/// Single-precision matrix multiply in pure Swift, fast on baseline x86-64.
///
/// The package is built without `-march` flags, so the compiler may only use
/// SSE2: sixteen 4-wide registers and no fused multiply-add. Speed therefore
/// comes from structure rather than instructions, in the GotoBLAS/BLIS way:
/// - op(B) is packed into `kc × nr` column panels and op(A) into `mr × kc`
///   row panels, contiguous in exactly the order the micro-kernel reads them,
///   which also turns every transpose case into the same plain layout;
/// - the micro-kernel keeps an `mr × nr` block of C in registers for the whole
///   `kc` depth, so each loaded vector of B is used `mr` times and each
///   element of A `nr` times;
/// - `kc` keeps a B panel in L1 while A panels stream from L2.
///
/// Small products, and those with too few rows to fill the micro-kernel, skip
/// all of that: packing costs more than it saves there, and they must not
/// allocate. They run plain loops in whichever order walks memory contiguously.
enum SwiftGemm {
    /// C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], all row-major.
    /// op(A) = A (stored m×k, row stride lda) or, when transposeA, Aᵀ where A is stored k×m with row stride lda.
    /// op(B) = B (stored k×n, row stride ldb) or, when transposeB, Bᵀ where B is stored n×k with row stride ldb.
    /// C has row stride ldc.
    ///
    /// Every product of A and B is added, zeros included: 0 · NaN must stay
    /// NaN, as in Keras. The order of summation differs from the naive loop.
    /// C must not overlap A or B.
    static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "SwiftGemm: negative dimension")
        guard m > 0, n > 0 else { return }
        let opA = StridedMatrix(a, leadingDimension: lda, transposed: transposeA)
        let opB = StridedMatrix(b, leadingDimension: ldb, transposed: transposeB)
        if m * n * k <= simpleWorkLimit || m < simpleRowLimit || n == 1 {
            simpleMultiply(m: m, n: n, k: k, opA, opB, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            blockedMultiply(m: m, n: n, k: k, opA, opB, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    // MARK: Sizes

    /// Rows and columns of the C block the micro-kernel holds: 6 rows of two
    /// SSE registers each are 12 accumulators, leaving 4 of the 16 registers
    /// for the two B vectors, the A element and the product.
    static let mr = 6, nr = 8
    /// Floats per packed element of A: each is stored splat across a whole
    /// SSE register (see `packA`).
    static let aLanes = SIMD4<Float>.scalarCount
    /// Depth of one packed block: a `kc × nr` B panel (8 KB) stays in L1.
    static let kcMax = 256
    /// Rows of A packed at a time: a `mc × kc` block (480 KB with its splat
    /// lanes) stays in L2.
    static let mcMax = 20 * mr
    /// Columns of B packed at a time: a `kc × nc` block (2 MB at most) is
    /// read from L2 or L3 once per `mc` rows.
    static let ncMax = 256 * nr
    /// Below this many multiply-adds, packing costs more than it saves.
    static let simpleWorkLimit = 8 * 1024
    /// With fewer rows than this, each packed element of B is reused too few
    /// times to repay its packing, and padding to `mr` rows wastes too much.
    /// (A single column, n = 1, is a matrix–vector product: the simple path's
    /// dot products beat padding it to `nr` columns.)
    static let simpleRowLimit = 2 * mr

    // MARK: Simple path

    /// Small products without packing or allocation, in whichever loop order
    /// walks memory contiguously.
    private static func simpleMultiply(
        m: Int, n: Int, k: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        // i-k-j runs its inner loop along rows of B and C, and the compiler
        // vectorises it; but for Bᵀ, whose columns are rows of the stored B,
        // and for a single column, whose i-k-j loop would chain every update
        // through one memory slot, dot products are better.
        let dotProducts = b.columnStride != 1 || n == 1
        for i in 0..<m {
            let cRow = c + i * ldc
            if dotProducts {
                let aRow = a.base + i * a.rowStride
                for j in 0..<n {
                    let sum = dot(aRow, a.columnStride, b.base + j * b.columnStride, b.rowStride, count: k)
                    cRow[j] = accumulate ? cRow[j] + sum : sum
                }
            } else {
                // Unless accumulating, the first product initialises the row:
                // for tiny products a separate zeroing pass (a memset call per
                // row) would cost as much as the arithmetic.
                var first = 0
                if !accumulate {
                    guard k > 0 else {
                        cRow.update(repeating: 0, count: n)
                        continue
                    }
                    let scale = a[i, 0]
                    for j in 0..<n { cRow[j] = scale * b.base[j] }
                    first = 1
                }
                // Four rows of B per pass over the C row: a quarter of the C
                // loads and stores, and still the naive loop's order of sums.
                var p = first
                while p + 4 <= k {
                    let a0 = a[i, p], a1 = a[i, p + 1], a2 = a[i, p + 2], a3 = a[i, p + 3]
                    let b0 = b.base + p * b.rowStride, b1 = b0 + b.rowStride
                    let b2 = b1 + b.rowStride, b3 = b2 + b.rowStride
                    for j in 0..<n { cRow[j] = cRow[j] + a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j] }
                    p += 4
                }
                while p < k {
                    let scale = a[i, p]
                    let bRow = b.base + p * b.rowStride
                    for j in 0..<n { cRow[j] += scale * bRow[j] }
                    p += 1
                }
            }
        }
    }

    /// Σ x[p · xStride] · y[p · yStride] for p in 0..<count.
    ///
    /// Strict floating point forbids the compiler from reassociating a
    /// reduction, so for contiguous vectors the SIMD partial sums are spelled out.
    @inline(__always)
    private static func dot(
        _ x: UnsafePointer<Float>, _ xStride: Int, _ y: UnsafePointer<Float>, _ yStride: Int, count: Int
    ) -> Float {
        var p = 0
        var sum: Float = 0
        if xStride == 1 && yStride == 1 {
            var sum0 = SIMD4<Float>(), sum1 = SIMD4<Float>()
            let x = UnsafeRawPointer(x), y = UnsafeRawPointer(y)
            let size = MemoryLayout<Float>.stride
            while p + 8 <= count {
                sum0 += x.loadUnaligned(fromByteOffset: p * size, as: SIMD4<Float>.self)
                    * y.loadUnaligned(fromByteOffset: p * size, as: SIMD4<Float>.self)
                sum1 += x.loadUnaligned(fromByteOffset: (p + 4) * size, as: SIMD4<Float>.self)
                    * y.loadUnaligned(fromByteOffset: (p + 4) * size, as: SIMD4<Float>.self)
                p += 8
            }
            sum = (sum0 + sum1).sum()
        }
        while p < count {
            sum += x[p * xStride] * y[p * yStride]
            p += 1
        }
        return sum
    }

    // MARK: Blocked path

    /// The GotoBLAS loop nest: B is packed once per `nc` column block and `kc`
    /// depth block, A once per `mc` row block of that, and then each B panel,
    /// held in L1, meets every A panel of the block, streamed from L2.
    private static func blockedMultiply(
        m: Int, n: Int, k: Int, _ a: StridedMatrix, _ b: StridedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        // Even blocks: k = 300 is better as 150 + 150 than as 256 + 44.
        let kc = evenBlock(k, max: kcMax)
        let mc = roundUp(evenBlock(m, max: mcMax), to: mr)
        let nc = roundUp(evenBlock(n, max: ncMax), to: nr)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: mc * kc * aLanes)
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: kc * nc)
        defer {
            packedA.deallocate()
            packedB.deallocate()
        }
        for j0 in stride(from: 0, to: n, by: nc) {
            let columns = min(nc, n - j0)
            for p0 in stride(from: 0, to: k, by: kc) {
                let depth = min(kc, k - p0)
                packB(b, rows: p0, depth, columns: j0, columns, into: packedB)
                let overwrite = p0 == 0 && !accumulate
                for i0 in stride(from: 0, to: m, by: mc) {
                    let rows = min(mc, m - i0)
                    packA(a, rows: i0, rows, columns: p0, depth, into: packedA)
                    for jr in stride(from: 0, to: columns, by: nr) {
                        let bPanel = UnsafePointer(packedB + jr * depth)
                        for ir in stride(from: 0, to: rows, by: mr) {
                            microKernel(
                                depth: depth, a: UnsafePointer(packedA + ir * depth * aLanes), b: bPanel,
                                c: c + (i0 + ir) * ldc + j0 + jr, ldc: ldc,
                                rows: min(mr, rows - ir), columns: min(nr, columns - jr), overwrite: overwrite)
                        }
                    }
                }
            }
        }
    }

    /// Copies op(A)[i0 ..< i0+rows, p0 ..< p0+depth] as `mr`-row panels,
    /// each element repeated in `aLanes` lanes.
    ///
    /// SSE2 has no broadcast load: splatting A in the micro-kernel costs a
    /// shuffle per element on the ports the adds need (about 15% of the
    /// kernel's time). Done here, once per element, it is amortised over
    /// all `n` columns, and the micro-kernel reads A with plain vector loads.
    @inline(__always)
    private static func packA(
        _ a: StridedMatrix, rows i0: Int, _ rows: Int, columns p0: Int, _ depth: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        packPanels(a, rows: i0, rows, columns: p0, depth, width: mr, lanes: aLanes, into: packed)
    }

    /// Copies op(B)[p0 ..< p0+depth, j0 ..< j0+columns] as `nr`-column panels.
    @inline(__always)
    private static func packB(
        _ b: StridedMatrix, rows p0: Int, _ depth: Int, columns j0: Int, _ columns: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        packPanels(b.transposed, rows: j0, columns, columns: p0, depth, width: nr, lanes: 1, into: packed)
    }

    /// Copies x[x0 ..< x0+count, p0 ..< p0+depth] as panels of `width` rows,
    /// each stored column by column and zero-padded to `width` rows: element
    /// (x, p) of a panel fills the `lanes` floats from `(p * width + x) * lanes`.
    @inline(__always)
    private static func packPanels(
        _ x: StridedMatrix, rows x0: Int, _ count: Int, columns p0: Int, _ depth: Int, width: Int, lanes: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        let panelSize = width * depth * lanes
        for panelStart in stride(from: 0, to: count, by: width) {
            let panel = packed + panelStart * depth * lanes
            let panelRows = min(width, count - panelStart)
            let source = x.base + (x0 + panelStart) * x.rowStride + p0 * x.columnStride
            @inline(__always)
            func put(_ value: Float, row: Int, column p: Int) {
                let slot = panel + (p * width + row) * lanes
                if lanes == aLanes {
                    UnsafeMutableRawPointer(slot).storeBytes(of: SIMD4(repeating: value), as: SIMD4<Float>.self)
                } else {
                    slot.pointee = value
                }
            }
            if panelRows < width {
                panel.update(repeating: 0, count: panelSize)
                for r in 0..<panelRows {
                    for p in 0..<depth { put(x[x0 + panelStart + r, p0 + p], row: r, column: p) }
                }
            } else {
                // Column by column, so the writes are contiguous; `width` is a
                // constant, so the inner loop unrolls into `width` streams that
                // each read the source in order whichever stride is 1.
                for p in 0..<depth {
                    let column = source + p * x.columnStride
                    for r in 0..<width { put(column[r * x.rowStride], row: r, column: p) }
                }
            }
        }
    }

    /// C[rows × columns] (+)= the packed A panel · the packed B panel.
    ///
    /// Always computes the full `mr × nr` block (the panels are zero-padded);
    /// only the `rows × columns` corner is written back.
    @inline(__always)
    private static func microKernel(
        depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool
    ) {
        // Twelve accumulators: row r of the block is (cr0, cr1). The loop
        // compiles to 8 loads, 12 mulps and 12 addps per step of p, with no spills.
        var c00 = SIMD4<Float>(), c01 = SIMD4<Float>(), c10 = SIMD4<Float>(), c11 = SIMD4<Float>()
        var c20 = SIMD4<Float>(), c21 = SIMD4<Float>(), c30 = SIMD4<Float>(), c31 = SIMD4<Float>()
        var c40 = SIMD4<Float>(), c41 = SIMD4<Float>(), c50 = SIMD4<Float>(), c51 = SIMD4<Float>()
        var a = UnsafeRawPointer(a), b = UnsafeRawPointer(b)
        let vector = MemoryLayout<SIMD4<Float>>.stride
        for _ in 0..<depth {
            let b0 = b.loadUnaligned(as: SIMD4<Float>.self)
            let b1 = b.loadUnaligned(fromByteOffset: vector, as: SIMD4<Float>.self)
            var splat = a.loadUnaligned(as: SIMD4<Float>.self)
            c00 += splat * b0
            c01 += splat * b1
            splat = a.loadUnaligned(fromByteOffset: vector, as: SIMD4<Float>.self)
            c10 += splat * b0
            c11 += splat * b1
            splat = a.loadUnaligned(fromByteOffset: 2 * vector, as: SIMD4<Float>.self)
            c20 += splat * b0
            c21 += splat * b1
            splat = a.loadUnaligned(fromByteOffset: 3 * vector, as: SIMD4<Float>.self)
            c30 += splat * b0
            c31 += splat * b1
            splat = a.loadUnaligned(fromByteOffset: 4 * vector, as: SIMD4<Float>.self)
            c40 += splat * b0
            c41 += splat * b1
            splat = a.loadUnaligned(fromByteOffset: 5 * vector, as: SIMD4<Float>.self)
            c50 += splat * b0
            c51 += splat * b1
            a += mr * vector
            b += nr * MemoryLayout<Float>.stride
        }
        let c0 = SIMD8(lowHalf: c00, highHalf: c01), c1 = SIMD8(lowHalf: c10, highHalf: c11)
        let c2 = SIMD8(lowHalf: c20, highHalf: c21), c3 = SIMD8(lowHalf: c30, highHalf: c31)
        let c4 = SIMD8(lowHalf: c40, highHalf: c41), c5 = SIMD8(lowHalf: c50, highHalf: c51)
        if rows == mr && columns == nr {
            store(c0, to: c, overwrite: overwrite)
            store(c1, to: c + ldc, overwrite: overwrite)
            store(c2, to: c + 2 * ldc, overwrite: overwrite)
            store(c3, to: c + 3 * ldc, overwrite: overwrite)
            store(c4, to: c + 4 * ldc, overwrite: overwrite)
            store(c5, to: c + 5 * ldc, overwrite: overwrite)
            return
        }
        let block = (c0, c1, c2, c3, c4, c5)
        withUnsafeBytes(of: block) { raw in
            let block = raw.assumingMemoryBound(to: Float.self)
            for r in 0..<rows {
                let cRow = c + r * ldc
                for j in 0..<columns {
                    cRow[j] = overwrite ? block[r * nr + j] : cRow[j] + block[r * nr + j]
                }
            }
        }
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, to c: UnsafeMutablePointer<Float>, overwrite: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        let sum = overwrite ? value : value + raw.loadUnaligned(as: SIMD8<Float>.self)
        raw.storeBytes(of: sum, as: SIMD8<Float>.self)
    }

    /// The block size at most `max` that splits `count` (> 0) into equal-ish blocks.
    private static func evenBlock(_ count: Int, max: Int) -> Int {
        let blocks = (count + max - 1) / max
        return (count + blocks - 1) / blocks
    }

    private static func roundUp(_ value: Int, to multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }
}

/// op(X) of a row-major matrix as a base pointer and two strides, so the
/// transposed and plain cases share one indexing rule.
private struct StridedMatrix {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let columnStride: Int

    init(_ base: UnsafePointer<Float>, leadingDimension: Int, transposed: Bool) {
        self.base = base
        rowStride = transposed ? 1 : leadingDimension
        columnStride = transposed ? leadingDimension : 1
    }

    private init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    var transposed: StridedMatrix { StridedMatrix(base: base, rowStride: columnStride, columnStride: rowStride) }

    @inline(__always)
    subscript(row: Int, column: Int) -> Float { base[row * rowStride + column * columnStride] }
}
