import Foundation
import KerasIO
import RNNRuntime

/// `kerasio explain` found that its own numbers and the runtime's prediction
/// disagree: reported after the explanation, with exit status 1.
struct ExplainMismatch: LocalizedError {
    let difference: Double
    var errorDescription: String? {
        "the explained result differs from the runtime's prediction by \(String(format: "%.3g", difference)) (more than 1e-5)"
    }
}

/// A recurrent layer (SimpleRNN, LSTM or GRU) as `explain` computes it: its
/// weights in Double, straight from the file, and the Keras formulas written
/// out here, independent of the runtime's cells, so that agreeing with the
/// runtime's prediction means something.
struct ExplainedRecurrent {
    enum Kind { case simple, lstm, gruResetAfter, gruResetBefore }

    let kind: Kind
    let name: String
    let inputSize: Int
    let units: Int
    /// a: the activation of the candidate (and of c_t for LSTM).
    let activation: Activation
    /// σ: the gates' activation (unused by SimpleRNN).
    let recurrentActivation: Activation
    /// W, (inputSize, width) row-major; the gates are column blocks of `units`.
    let kernel: [Double]
    /// U, (units, width) row-major.
    let recurrentKernel: [Double]
    /// b, (width), or (2, width) for GRU with reset_after: [b_in; b_rec].
    let bias: [Double]?
    let goBackwards: Bool
    let returnSequences: Bool

    init?(_ layer: any Layer) {
        if let rnn = layer as? SimpleRNN {
            self.init(.simple, rnn, activation: rnn.cell.activation, recurrentActivation: .linear)
        } else if let rnn = layer as? LSTM {
            self.init(.lstm, rnn, activation: rnn.cell.activation, recurrentActivation: rnn.cell.recurrentActivation)
        } else if let rnn = layer as? GRU {
            self.init(rnn.cell.resetAfter ? .gruResetAfter : .gruResetBefore, rnn,
                      activation: rnn.cell.activation, recurrentActivation: rnn.cell.recurrentActivation)
        } else {
            return nil
        }
    }

    private init<Cell: RecurrentCell>(_ kind: Kind, _ rnn: RNN<Cell>, activation: Activation, recurrentActivation: Activation) {
        self.kind = kind
        name = rnn.name
        inputSize = rnn.cell.inputSize
        units = rnn.cell.units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        kernel = rnn.cell.kernel.scalars.map(Double.init)
        recurrentKernel = rnn.cell.recurrentKernel.scalars.map(Double.init)
        bias = rnn.cell.bias.map { $0.scalars.map(Double.init) }
        goBackwards = rnn.goBackwards
        returnSequences = rnn.returnSequences
    }

    var typeName: String {
        switch kind {
        case .simple: return "SimpleRNN"
        case .lstm: return "LSTM"
        case .gruResetAfter, .gruResetBefore: return "GRU"
        }
    }

    /// The column blocks of W, U and b, in Keras's order.
    var gates: [String] {
        switch kind {
        case .simple: return [""]
        case .lstm: return ["i", "f", "c", "o"]
        case .gruResetAfter, .gruResetBefore: return ["z", "r", "h"]
        }
    }

    var width: Int { gates.count * units }

    // MARK: Weights and formulas

    func weightLines() -> [String] {
        let a = activation.kerasName, s = recurrentActivation.kerasName
        if kind == .simple {
            return ["Weights of '\(name)' (SimpleRNN, \(units) units, activation \(a))",
                    "  W \(inputSize)×\(units) = \(ExplainFormat.matrix(kernel, columns: units))",
                    "  U \(units)×\(units) = \(ExplainFormat.matrix(recurrentKernel, columns: units))",
                    "  b \(units) = \(bias.map { ExplainFormat.vector($0) } ?? "none (use_bias=False)")"]
        }
        let reset = kind == .gruResetAfter ? ", reset_after=True" : kind == .gruResetBefore ? ", reset_after=False" : ""
        var biasShape = "bias b \(width)"
        if kind == .gruResetAfter { biasShape = "bias 2×\(width) (row 0 b_in for the inputs, row 1 b_rec for the recurrent part)" }
        if bias == nil { biasShape = "no bias (use_bias=False)" }
        var out = [
            "Weights of '\(name)' (\(typeName), \(units) units\(reset), activation a = \(a), recurrent activation σ = \(s))",
            "  kernel W \(inputSize)×\(width), recurrent kernel U \(units)×\(width), \(biasShape);",
            "  columns in Keras's gate order \(gates.joined(separator: ", ")), \(units) each:",
        ]
        for (g, gate) in gates.enumerated() {
            out.append("  W_\(gate) \(inputSize)×\(units) = \(ExplainFormat.matrix(block(kernel, rows: inputSize, g), columns: units))")
        }
        for (g, gate) in gates.enumerated() {
            out.append("  U_\(gate) \(units)×\(units) = \(ExplainFormat.matrix(block(recurrentKernel, rows: units, g), columns: units))")
        }
        if let bias {
            let rows = kind == .gruResetAfter ? [("b_in,", 0), ("b_rec,", 1)] : [("b_", 0)]
            for (prefix, row) in rows {
                for (g, gate) in gates.enumerated() {
                    out.append("  \(prefix)\(gate) \(units) = \(ExplainFormat.vector(Array(bias[(row * width + g * units)..<(row * width + (g + 1) * units)])))")
                }
            }
        }
        return out
    }

    /// The formulas, once, before the steps.
    func formulaLines(steps: Int) -> [String] {
        let a = activation.kerasName, s = recurrentActivation.kerasName
        let b = bias == nil ? "" : " + b"
        var out: [String]
        switch kind {
        case .simple:
            out = ["Steps of '\(name)' (sample 0), h_0 = 0:", "  h_t = \(a)(x_t·W\(b) + h_{t-1}·U)"]
        case .lstm:
            out = ["Steps of '\(name)' (sample 0), h_0 = c_0 = 0; ⊙ multiplies element by element; σ = \(s), a = \(a):",
                   "  z = x_t·W\(b) + h_{t-1}·U, split into z_i, z_f, z_c, z_o (\(units) each)",
                   "  i = σ(z_i)   f = σ(z_f)   c̃ = a(z_c)   o = σ(z_o)",
                   "  c_t = f ⊙ c_{t-1} + i ⊙ c̃   h_t = o ⊙ a(c_t)"]
        case .gruResetAfter:
            let bi = bias == nil ? "" : " + b_in", br = bias == nil ? "" : " + b_rec"
            out = ["Steps of '\(name)' (sample 0), h_0 = 0; ⊙ multiplies element by element; σ = \(s), a = \(a):",
                   "  x = x_t·W\(bi), split into x_z, x_r, x_h;   u = h_{t-1}·U\(br), split into u_z, u_r, u_h (\(units) each)",
                   "  z = σ(x_z + u_z)   r = σ(x_r + u_r)   h̃ = a(x_h + r ⊙ u_h) = a(x_h + r ⊙ (h_{t-1}·U_h\(bias == nil ? "" : " + b_rec,h")))",
                   "  h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃"]
        case .gruResetBefore:
            out = ["Steps of '\(name)' (sample 0), h_0 = 0; ⊙ multiplies element by element; σ = \(s), a = \(a):",
                   "  x = x_t·W\(b), split into x_z, x_r, x_h (\(units) each)",
                   "  z = σ(x_z + h_{t-1}·U_z)   r = σ(x_r + h_{t-1}·U_r)   h̃ = a(x_h + (r ⊙ h_{t-1})·U_h)",
                   "  h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃"]
        }
        if goBackwards {
            let order = steps > 3 ? "x_\(steps), x_\(steps - 1), …, x_1" : (1...steps).reversed().map { "x_\($0)" }.joined(separator: ", ")
            out.append("  go_backwards: the steps take the input from the last step to the first (\(order))")
        }
        return out
    }

    // MARK: The computation

    /// Runs the layer over `inputs` (steps × inputSize) in Double: the hidden
    /// state after each step, in the order the steps run, and (if `explain`)
    /// each step's gates with their numbers.
    func run(_ inputs: [[Double]], explain: Bool) -> (hidden: [[Double]], lines: [String]) {
        let u = units, steps = inputs.count
        var h = [Double](repeating: 0, count: u), c = h
        var hidden: [[Double]] = [], out: [String] = []
        let v: ([Double]) -> String = { ExplainFormat.vector($0) }
        let a = activation.kerasName, s = recurrentActivation.kerasName
        for position in 0..<steps {
            let step = goBackwards ? steps - 1 - position : position
            let x = inputs[step], t = position + 1
            var lines = ["  t=\(t)  x_\(step + 1) = \(v(x))"]
            // x·W (+ b, or + b_in): every gate's input part.
            var xw = ExplainMath.product(x, kernel, columns: width)
            if let bias { xw = ExplainMath.add(xw, Array(bias[0..<width])) }
            let hu = ExplainMath.product(h, recurrentKernel, columns: width)
            func part(_ values: [Double], _ g: Int) -> [Double] { Array(values[(g * u)..<((g + 1) * u)]) }
            switch kind {
            case .simple:
                let pre = ExplainMath.add(xw, hu)
                let next = ExplainMath.apply(activation, pre)
                lines.append("       h_\(t) = \(a)(x_\(step + 1)·W\(bias == nil ? "" : " + b") + h_\(t - 1)·U) = \(a)(\(v(pre))) = \(v(next))")
                h = next
            case .lstm:
                let z = ExplainMath.add(xw, hu)
                let i = ExplainMath.apply(recurrentActivation, part(z, 0))
                let f = ExplainMath.apply(recurrentActivation, part(z, 1))
                let candidate = ExplainMath.apply(activation, part(z, 2))
                let o = ExplainMath.apply(recurrentActivation, part(z, 3))
                let carry = (0..<u).map { f[$0] * c[$0] + i[$0] * candidate[$0] }
                let squashed = ExplainMath.apply(activation, carry)
                let next = (0..<u).map { o[$0] * squashed[$0] }
                lines += [
                    "       z = x_\(step + 1)·W\(bias == nil ? "" : " + b") + h_\(t - 1)·U = [z_i | z_f | z_c | z_o]",
                    "       i   = \(s)(z_i) = \(s)(\(v(part(z, 0)))) = \(v(i))",
                    "       f   = \(s)(z_f) = \(s)(\(v(part(z, 1)))) = \(v(f))",
                    "       c̃   = \(a)(z_c) = \(a)(\(v(part(z, 2)))) = \(v(candidate))",
                    "       c_\(t) = f ⊙ c_\(t - 1) + i ⊙ c̃ = \(v(carry))",
                    "       o   = \(s)(z_o) = \(s)(\(v(part(z, 3)))) = \(v(o))",
                    "       h_\(t) = o ⊙ \(a)(c_\(t)) = o ⊙ \(v(squashed)) = \(v(next))",
                ]
                h = next
                c = carry
            case .gruResetAfter:
                var recurrent = hu
                if let bias { recurrent = ExplainMath.add(recurrent, Array(bias[width..<(2 * width)])) }
                let zPre = ExplainMath.add(part(xw, 0), part(recurrent, 0))
                let rPre = ExplainMath.add(part(xw, 1), part(recurrent, 1))
                let z = ExplainMath.apply(recurrentActivation, zPre)
                let r = ExplainMath.apply(recurrentActivation, rPre)
                let hPre = (0..<u).map { part(xw, 2)[$0] + r[$0] * part(recurrent, 2)[$0] }
                let candidate = ExplainMath.apply(activation, hPre)
                let next = (0..<u).map { z[$0] * h[$0] + (1 - z[$0]) * candidate[$0] }
                lines += [
                    "       x = x_\(step + 1)·W\(bias == nil ? "" : " + b_in"): x_z = \(v(part(xw, 0)))  x_r = \(v(part(xw, 1)))  x_h = \(v(part(xw, 2)))",
                    "       u = h_\(t - 1)·U\(bias == nil ? "" : " + b_rec"): u_z = \(v(part(recurrent, 0)))  u_r = \(v(part(recurrent, 1)))  u_h = \(v(part(recurrent, 2)))",
                    "       z   = \(s)(x_z + u_z) = \(s)(\(v(zPre))) = \(v(z))",
                    "       r   = \(s)(x_r + u_r) = \(s)(\(v(rPre))) = \(v(r))",
                    "       h̃   = \(a)(x_h + r ⊙ u_h) = \(a)(\(v(hPre))) = \(v(candidate))",
                    "       h_\(t) = z ⊙ h_\(t - 1) + (1 − z) ⊙ h̃ = \(v(next))",
                ]
                h = next
            case .gruResetBefore:
                let zPre = ExplainMath.add(part(xw, 0), part(hu, 0))
                let rPre = ExplainMath.add(part(xw, 1), part(hu, 1))
                let z = ExplainMath.apply(recurrentActivation, zPre)
                let r = ExplainMath.apply(recurrentActivation, rPre)
                let resetState = (0..<u).map { r[$0] * h[$0] }
                let resetProduct = ExplainMath.product(resetState, block(recurrentKernel, rows: u, 2), columns: u)
                let hPre = ExplainMath.add(part(xw, 2), resetProduct)
                let candidate = ExplainMath.apply(activation, hPre)
                let next = (0..<u).map { z[$0] * h[$0] + (1 - z[$0]) * candidate[$0] }
                lines += [
                    "       x = x_\(step + 1)·W\(bias == nil ? "" : " + b"): x_z = \(v(part(xw, 0)))  x_r = \(v(part(xw, 1)))  x_h = \(v(part(xw, 2)))",
                    "       z   = \(s)(x_z + h_\(t - 1)·U_z) = \(s)(\(v(zPre))) = \(v(z))",
                    "       r   = \(s)(x_r + h_\(t - 1)·U_r) = \(s)(\(v(rPre))) = \(v(r))",
                    "       r ⊙ h_\(t - 1) = \(v(resetState))   (r ⊙ h_\(t - 1))·U_h = \(v(resetProduct))",
                    "       h̃   = \(a)(x_h + (r ⊙ h_\(t - 1))·U_h) = \(a)(\(v(hPre))) = \(v(candidate))",
                    "       h_\(t) = z ⊙ h_\(t - 1) + (1 − z) ⊙ h̃ = \(v(next))",
                ]
                h = next
            }
            hidden.append(h)
            if explain { out += lines }
        }
        return (hidden, out)
    }

    /// Column block `g` of a (rows, width) matrix: (rows, units).
    private func block(_ matrix: [Double], rows: Int, _ g: Int) -> [Double] {
        var out: [Double] = []
        for row in 0..<rows {
            let start = row * width + g * units
            out += matrix[start..<(start + units)]
        }
        return out
    }
}

/// The LSTM or GRU explanation of a whole model: the first recurrent layer
/// step by step, then every layer after it, all in Double, and the
/// comparison with the runtime's prediction.
struct ExplainGated {
    let model: String
    let network: Sequential
    /// Index of the first computing layer (a LSTM or GRU).
    let first: Int
    let values: [Float]
    let note: String?
    let prediction: Tensor

    /// The lines to print and the largest difference from the runtime's prediction.
    func lines() throws -> (lines: [String], difference: Double) {
        let v: ([Double]) -> String = { ExplainFormat.vector($0) }
        guard let recurrent = ExplainedRecurrent(network.layers[first]) else {
            throw KerasIOError(.unsupportedLayer, file: model, "explain needs a model whose first computing layer is a SimpleRNN, LSTM or GRU")
        }
        let features = recurrent.inputSize, steps = values.count / features
        let inputs = (0..<steps).map { s in values[(s * features)..<((s + 1) * features)].map(Double.init) }

        var out = ["Model: \(model)"] + (note.map { [$0] } ?? []) + [""]
        out += recurrent.weightLines()
        let later = Array(network.layers[(first + 1)...])
        let denseCount = later.filter { $0 is Dense }.count
        var denseNumber = 0
        for layer in later {
            if let dense = layer as? Dense {
                denseNumber += 1
                let tag = denseCount > 1 ? "\(denseNumber)" : ""
                out.append("Weights of '\(dense.name)' (Dense, \(dense.units) units, activation \(dense.activation.kerasName))")
                out.append("  Wy\(tag) \(dense.inputSize)×\(dense.units) = \(ExplainFormat.matrix(dense.kernel.scalars.map(Double.init), columns: dense.units))")
                out.append("  by\(tag) \(dense.units) = \(dense.bias.map { v($0.scalars.map(Double.init)) } ?? "none (use_bias=False)")")
            } else if let next = ExplainedRecurrent(layer) {
                out += next.weightLines()
            }
        }
        out.append("")
        out += recurrent.formulaLines(steps: steps)
        let (hidden, stepLines) = recurrent.run(inputs, explain: true)
        out += stepLines
        out.append("")

        // The rest of the model, one layer at a time; `rows` is the current
        // output of sample 0 (one row, or one per step for sequences).
        var rows = recurrent.returnSequences ? hidden : [hidden[hidden.count - 1]]
        var isSequence = recurrent.returnSequences
        // What the current rows are called: h_5, or h_1 … h_5 for a sequence.
        var symbol = "h", primes = ""
        func label(_ name: String, _ index: Int) -> String {
            isSequence ? "\(name)_\(index + 1)" : name.hasPrefix("h") ? "\(name)_\(steps)" : name
        }
        denseNumber = 0
        for layer in later {
            if layer is Dropout {
                out.append("'\(layer.name)' (Dropout): passes its input on unchanged at prediction time")
            } else if let dense = layer as? Dense {
                denseNumber += 1
                let tag = denseCount > 1 ? "\(denseNumber)" : ""
                let name = denseCount > 1 ? "y\(denseNumber)" : "y"
                let kernel = dense.kernel.scalars.map(Double.init), bias = dense.bias.map { $0.scalars.map(Double.init) }
                let f = dense.activation.kerasName, b = bias == nil ? "" : " + by\(tag)"
                out.append("Output of '\(dense.name)' (Dense)\(isSequence ? ", at every step t" : ""):")
                var next: [[Double]] = []
                for (index, row) in rows.enumerated() {
                    var pre = ExplainMath.product(row, kernel, columns: dense.units)
                    if let bias { pre = ExplainMath.add(pre, bias) }
                    let y = ExplainMath.apply(dense.activation, pre)
                    out.append("  \(isSequence ? "\(name)_\(index + 1)" : name) = \(f)(\(label(symbol, index))·Wy\(tag)\(b)) = \(f)(\(v(pre))) = \(v(y))")
                    next.append(y)
                }
                rows = next
                symbol = name
            } else if let more = ExplainedRecurrent(layer) {
                guard isSequence else {
                    throw KerasIOError(.unsupportedLayer, file: model, "explain: '\(layer.name)' needs a sequence as its input")
                }
                primes += "′"
                let (h, _) = more.run(rows, explain: false)
                out.append("'\(more.name)' (\(more.typeName)) runs its own formulas and weights over the \(rows.count) steps of \(symbol)_t; its h\(primes) after each step:")
                for (t, state) in h.enumerated() { out.append("  h\(primes)_\(t + 1) = \(v(state))") }
                rows = more.returnSequences ? h : [h[h.count - 1]]
                isSequence = more.returnSequences
                symbol = "h\(primes)"
            } else {
                throw KerasIOError(.unsupportedLayer, file: model, "explain cannot show the layer '\(layer.name)' after '\(recurrent.name)'")
            }
        }

        let explained = rows.flatMap { $0 }
        let runtime = prediction.scalars.map(Double.init)
        let shape = ([1] + (isSequence ? [rows.count] : []) + [rows[0].count]).map(String.init).joined(separator: "×")
        out.append("Model output \(shape) (explained above, in Double): \(ExplainFormat.vector(explained, digits: 8))")
        var difference = Double.infinity
        if explained.count == runtime.count {
            difference = zip(explained, runtime).map { abs($0 - $1) }.max() ?? 0
        }
        let verdict = difference <= 1e-5
            ? "(equal to the explanation above; max difference \(String(format: "%.3g", difference)))"
            : explained.count == runtime.count
                ? "(DIFFERS by \(String(format: "%.3g", difference)))"
                : "(DIFFERS: \(runtime.count) numbers, the explanation has \(explained.count))"
        out.append("Runtime prediction (model.predict): \(ExplainFormat.vector(runtime, digits: 8))  \(verdict)")
        return (out, difference)
    }
}

/// Double arithmetic for `explain`, written out so the explanation does not
/// depend on the runtime's kernels.
enum ExplainMath {
    /// row · matrix, matrix (row.count, columns) row-major.
    static func product(_ row: [Double], _ matrix: [Double], columns: Int) -> [Double] {
        var out = [Double](repeating: 0, count: columns)
        for (k, x) in row.enumerated() where x != 0 {
            for j in 0..<columns { out[j] += x * matrix[k * columns + j] }
        }
        return out
    }

    static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// Keras's activations in Double (softmax over the whole vector).
    static func apply(_ activation: Activation, _ values: [Double]) -> [Double] {
        switch activation {
        case .softmax:
            let largest = values.max() ?? 0
            let e = values.map { Foundation.exp($0 - largest) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        default:
            return values.map { apply(activation, $0) }
        }
    }

    static func apply(_ activation: Activation, _ x: Double) -> Double {
        switch activation {
        case .linear: return x
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return sigmoid(x)
        case .hardSigmoid: return min(max(x / 6 + 0.5, 0), 1)
        case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        case .leakyReLU(let slope): return x >= 0 ? x : Double(slope) * x
        case .elu(let alpha): return x > 0 ? x : Double(alpha) * Foundation.expm1(x)
        case .selu: return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Foundation.expm1(x))
        case .softplus: return max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
        case .softsign: return x / (1 + abs(x))
        case .swish: return x * sigmoid(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .exponential: return Foundation.exp(x)
        case .softmax: return 1
        }
    }
}

enum ExplainFormat {
    static func vector(_ values: [Double], digits: Int = 6) -> String {
        "[" + values.map { String(format: "%.\(digits)g", $0) }.joined(separator: ", ") + "]"
    }

    static func matrix(_ values: [Double], columns: Int) -> String {
        let rows = values.count / max(columns, 1)
        return "[" + (0..<rows).map { vector(Array(values[($0 * columns)..<(($0 + 1) * columns)])) }.joined(separator: ", ") + "]"
    }
}
