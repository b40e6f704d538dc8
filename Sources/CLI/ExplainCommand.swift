import ArgumentParser
import Foundation
import KerasIO
import RNNRuntime

/// `kerasio explain MODEL --input "1,2,3"`: the tutorial's step-by-step
/// computation for any SimpleRNN model, with the model's own numbers.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show each step of a SimpleRNN model's computation, with its weights and numbers.",
        discussion: """
            Prints Wx, Wh, bh (and Wy, by of a Dense layer after it), then each step \
            h_t = f(x_t·Wx + h_{t-1}·Wh + bh) with its numbers, the output, and checks that it equals the \
            runtime's prediction. --input is comma-separated numbers (steps × features, row by row) or a .npy \
            holding one sample.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(help: "One sample: \"1,2,3\" (steps × features numbers) or a .npy file.")
    var input: String

    func run() throws {
        let model = try options.load()
        let network = model.network
        guard let rnnIndex = network.layers.firstIndex(where: { $0 is SimpleRNN }),
              let rnn = network.layers[rnnIndex] as? SimpleRNN,
              network.layers[..<rnnIndex].allSatisfy({ $0 is Dropout }) else {
            throw KerasIOError(.unsupportedLayer, file: options.model, "explain needs a model whose first computing layer is a SimpleRNN")
        }
        let features = rnn.cell.inputSize, units = rnn.cell.units
        let values = try sampleValues(features: features)
        let steps = values.count / features
        let sample = try Tensor(shape: [1, steps, features], scalars: values)
        let prediction: Tensor
        do {
            prediction = try network.predict(sample)
        } catch let error as RuntimeError {
            throw KerasIOError(.inputMismatch, file: input, error.localizedDescription)
        }

        let f = rnn.cell.activation.kerasName
        let p = rnn.parameters
        var out = ["Model: \(options.model)", "", "Weights of '\(rnn.name)' (SimpleRNN, \(units) units, activation \(f))"]
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
    }

    private func sampleValues(features: Int) throws -> [Float] {
        if input.hasSuffix(".npy") || FileManager.default.fileExists(atPath: input) {
            Supervisor.reading(input)
            let array = try NumpyArrayFile.read(from: input)
            guard array.shape.count <= 2 || array.shape[0] == 1 else {
                throw KerasIOError(.inputMismatch, file: input, "explain takes one sample, got shape \(Tensor.describe(array.shape))")
            }
            return array.values
        }
        let parts = input.split(whereSeparator: { $0 == "," || $0 == " " })
        let numbers = parts.compactMap { Float($0) }
        guard !numbers.isEmpty, numbers.count == parts.count else {
            throw KerasIOError(.invalidArrayFile, file: "--input", "'\(input)' is not a list of numbers like \"1,2,3\"")
        }
        guard numbers.count % features == 0 else {
            throw KerasIOError(.inputMismatch, file: "--input", "\(numbers.count) numbers do not make whole steps of \(features) features")
        }
        return numbers
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
