import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio explain MODEL --input "1,2,3"`: the tutorial's step-by-step
/// computation for a SimpleRNN, LSTM or GRU model, with the model's own numbers.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show each step of a SimpleRNN, LSTM or GRU model's computation, with its weights and numbers.",
        discussion: """
            SimpleRNN: prints Wx, Wh, bh (and Wy, by of a Dense layer after it), then each step \
            h_t = f(x_t·Wx + h_{t-1}·Wh + bh) with its numbers and the output. LSTM and GRU (reset_after true \
            or false): prints the weights per gate and the gate formulas, then each step's gates with their \
            numbers (LSTM i, f, c̃, c, o, h; GRU z, r, h̃, h), computed in Double from the weights, and the \
            layers after it. Then checks that the result equals the runtime's prediction (exit status 1 if it \
            differs by more than 1e-5). --input is comma-separated numbers (steps × features, row by row) or a \
            .npy holding one sample (of several, sample 0 is explained).
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(help: "One sample: \"1,2,3\" (steps × features numbers) or a .npy file (sample 0 if it holds several).")
    var input: String

    func run() throws {
        let model = try options.load()
        let network = try model.chain(for: "explain")
        guard let index = network.layers.firstIndex(where: { !($0 is Dropout) }),
              network.layers[index] is SimpleRNN || network.layers[index] is LSTM || network.layers[index] is GRU else {
            let found = network.layers.first { !($0 is Dropout) }.map { " (it is '\($0.name)')" } ?? ""
            throw KerasIOError(.unsupportedLayer, file: options.model,
                               "explain needs a model whose first computing layer is a SimpleRNN, LSTM or GRU\(found)")
        }
        if let rnn = network.layers[index] as? SimpleRNN {
            try explainSimpleRNN(network, rnn, rnnIndex: index)
        } else {
            let recurrent = ExplainedRecurrent(network.layers[index])!
            let (values, note) = try sampleValues(features: recurrent.inputSize)
            let prediction = try predict(network, values, features: recurrent.inputSize)
            let explanation = ExplainGated(
                model: options.model, network: network, first: index, values: values, note: note, prediction: prediction)
            let (lines, difference) = try explanation.lines()
            print(lines.joined(separator: "\n"))
            if !(difference <= 1e-5) { throw ExplainMismatch(difference: difference) }
        }
    }

    private func predict(_ network: Sequential, _ values: [Float], features: Int) throws -> Tensor {
        let sample = try Tensor(shape: [1, values.count / features, features], scalars: values)
        do {
            return try network.predict(sample)
        } catch let error as RuntimeError {
            throw KerasIOError(error, file: input)
        }
    }

    private func explainSimpleRNN(_ network: Sequential, _ rnn: SimpleRNN, rnnIndex: Int) throws {
        let features = rnn.cell.inputSize, units = rnn.cell.units
        let (values, note) = try sampleValues(features: features)
        let steps = values.count / features
        let sample = try Tensor(shape: [1, steps, features], scalars: values)
        let prediction = try predict(network, values, features: features)
        var mismatch: Float?

        let f = rnn.cell.activation.kerasName
        let p = rnn.parameters
        var out = ["Model: \(options.model)"] + (note.map { [$0] } ?? []) + ["", "Weights of '\(rnn.name)' (SimpleRNN, \(units) units, activation \(f))"]
        out.append("  Wx \(features)×\(units) = \(matrix(p[0]))")
        out.append("  Wh \(units)×\(units) = \(matrix(p[1]))")
        out.append("  bh \(units)     = \(p.count > 2 ? vector(p[2].scalars) : "none (use_bias=False)")")
        let dense = network.layers[(rnnIndex + 1)...].first { $0 is Dense } as? Dense
        if let dense {
            out.append("Weights of '\(dense.name)' (Dense, \(dense.units) units, activation \(dense.activation.kerasName))")
            out.append("  Wy \(dense.inputSize)×\(dense.units) = \(matrix(dense.parameters[0]))")
            out.append("  by \(dense.units)     = \(dense.useBias ? vector(dense.parameters[1].scalars) : "none (use_bias=False)")")
        }
        out += ["", "Steps: h_t = \(f)(x_t·Wx + h_{t-1}·Wh + bh), h_0 = 0\(rnn.goBackwards ? "; go_backwards: the last input step comes first" : "")"]

        var h = [Float](repeating: 0, count: units)
        var hidden: [[Float]] = []
        for position in 0..<steps {
            let s = rnn.goBackwards ? steps - 1 - position : position
            let x = Array(values[s * features..<(s + 1) * features])
            let xw = product(x, p[0], units)
            let hw = product(h, p[1], units)
            var z = zip(xw, hw).map { $0 + $1 }
            if p.count > 2 { z = zip(z, p[2].scalars).map { $0 + $1 } }
            var next = z
            rnn.cell.activation.apply(&next, lastAxis: units)
            out.append("  t=\(position + 1)  x_\(position + 1) = \(vector(x))")
            out.append("       x·Wx = \(vector(xw))   h_\(position)·Wh = \(vector(hw))")
            out.append("       h_\(position + 1) = \(f)(\(vector(z))) = \(vector(next))")
            h = next
            hidden.append(h)
        }
        let runtimeHidden = try rnn(sample).scalars
        out.append("")
        if let dense, rnnIndex + 1 < network.layers.count, !rnn.returnSequences {
            var o = product(h, dense.parameters[0], dense.units)
            if dense.useBias { o = zip(o, dense.parameters[1].scalars).map { $0 + $1 } }
            var y = o
            dense.activation.apply(&y, lastAxis: dense.units)
            out.append("Output: o = \(dense.activation.kerasName)(h_\(steps)·Wy + by) = \(dense.activation.kerasName)(\(vector(o))) = \(vector(y))")
            if network.layers.count - 1 == network.layers.lastIndex(where: { $0 is Dense }) && network.layers[(rnnIndex + 1)...].filter({ $0 is Dense }).count == 1 {
                let difference = zip(y, prediction.scalars).map { abs($0 - $1) }.max() ?? 0
                out.append("Runtime prediction: \(vector(prediction.scalars))  " + (difference <= 1e-5
                    ? "(equal to the steps above; max difference \(difference))"
                    : "(DIFFERS by \(difference))"))
                if !(difference <= 1e-5) { mismatch = difference }
            } else {
                out.append("Runtime prediction of the whole model: \(vector(prediction.scalars))")
            }
        } else {
            let last = rnn.returnSequences ? Array(runtimeHidden.suffix(units)) : runtimeHidden
            let difference = zip(h, last).map { abs($0 - $1) }.max() ?? 0
            out.append("The runtime's h_\(steps): \(vector(last)) (max difference \(difference))")
            out.append("Runtime prediction of the whole model: \(vector(prediction.scalars))")
        }
        print(out.joined(separator: "\n"))
        if let mismatch { throw ExplainMismatch(difference: Double(mismatch)) }
    }

    /// The sample's numbers, and a line saying which sample of a .npy holding several is explained.
    private func sampleValues(features: Int) throws -> (values: [Float], note: String?) {
        if input.hasSuffix(".npy") || FileManager.default.fileExists(atPath: input) {
            Supervisor.reading(input)
            let array = try NumpyArrayFile.read(from: input)
            guard array.shape.count <= 3 else {
                throw KerasIOError(.inputMismatch, file: input, "explain takes samples of steps × features, got shape \(Tensor.describe(array.shape))")
            }
            var values = array.values, note: String?
            if array.shape.count == 3 && array.shape[0] > 1 {
                values = Array(values.prefix(array.shape[1] * array.shape[2]))
                note = "Input: sample 0 of the \(array.shape[0]) in \(input)"
            }
            guard !values.isEmpty, values.count % features == 0 else {
                throw KerasIOError(.inputMismatch, file: input, "\(values.count) numbers do not make whole steps of \(features) features")
            }
            return (values, note)
        }
        let parts = input.split(whereSeparator: { $0 == "," || $0 == " " })
        let numbers = parts.compactMap { Float($0) }
        guard !numbers.isEmpty, numbers.count == parts.count else {
            throw KerasIOError(.invalidArrayFile, file: "--input", "'\(input)' is not a list of numbers like \"1,2,3\"")
        }
        guard numbers.count % features == 0 else {
            throw KerasIOError(.inputMismatch, file: "--input", "\(numbers.count) numbers do not make whole steps of \(features) features")
        }
        return (numbers, nil)
    }

    private func product(_ row: [Float], _ matrix: Tensor, _ columns: Int) -> [Float] {
        (0..<columns).map { j in row.indices.reduce(Float(0)) { $0 + row[$1] * matrix.scalars[$1 * columns + j] } }
    }

    private func vector(_ values: [Float]) -> String {
        "[" + values.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]"
    }

    private func matrix(_ tensor: Tensor) -> String {
        let columns = tensor.shape.last ?? 1
        let rows = tensor.count / max(columns, 1)
        return "[" + (0..<rows).map { vector(Array(tensor.scalars[$0 * columns..<($0 + 1) * columns])) }.joined(separator: ", ") + "]"
    }
}
