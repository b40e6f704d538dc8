import Foundation
import Testing
import TestSupport

/// `kerasio explain` on LSTM and GRU models: the gates of every step with
/// their numbers, and a result that is Keras's own (the fixture's
/// expected.npy), for sample 0 of the fixture's input.
@Suite("kerasio explain on LSTM and GRU")
struct ExplainCommandTests {
    struct Case: Sendable, CustomStringConvertible {
        let fixture: String
        /// Lines (or parts of lines) the explanation must show.
        let shows: [String]
        var description: String { fixture }
    }

    static let gates = ["Steps of '", "h_0 = c_0 = 0", "i = σ(z_i)   f = σ(z_f)   c̃ = a(z_c)   o = σ(z_o)",
                        "c_t = f ⊙ c_{t-1} + i ⊙ c̃   h_t = o ⊙ a(c_t)",
                        "W_i 3×4 = ", "W_o 3×4 = ", "U_c 4×4 = ", "b_f 4 = ", "Wy 4×2 = ", "by 2 = ",
                        "i   = sigmoid(z_i) = sigmoid(", "f   = sigmoid(z_f) = ", "c̃   = tanh(z_c) = ",
                        "c_1 = f ⊙ c_0 + i ⊙ c̃ = ", "o   = sigmoid(z_o) = ", "h_1 = o ⊙ tanh(c_1) = ",
                        "c_5 = ", "h_5 = ", "y = linear(h_5·Wy + by) = "]
    static let gru = ["h_0 = 0", "h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃", "W_z 3×4 = ", "U_h 4×4 = ",
                      "z   = sigmoid(", "r   = sigmoid(", "h̃   = tanh(", "h_1 = z ⊙ h_0 + (1 − z) ⊙ h̃ = ", "h_5 = "]

    static let cases = [
        Case(fixture: "recurrent/keras3/lstm_default", shows: gates + ["(LSTM, 4 units, activation a = tanh, recurrent activation σ = sigmoid)"]),
        Case(fixture: "recurrent/keras2/lstm_default", shows: gates),
        Case(fixture: "recurrent/keras3/gru_default", shows: gru + [
            "(GRU, 4 units, reset_after=True", "bias 2×12 (row 0 b_in for the inputs, row 1 b_rec for the recurrent part)",
            "b_in,z 4 = ", "b_rec,h 4 = ", "h̃ = a(x_h + r ⊙ u_h) = a(x_h + r ⊙ (h_{t-1}·U_h + b_rec,h))",
            "u = h_0·U + b_rec: u_z = ", "z   = sigmoid(x_z + u_z) = ", "h̃   = tanh(x_h + r ⊙ u_h) = ",
        ]),
        Case(fixture: "recurrent/keras3/gru_reset_before_default", shows: gru + [
            "(GRU, 4 units, reset_after=False", "bias b 12;", "b_h 4 = ",
            "z = σ(x_z + h_{t-1}·U_z)   r = σ(x_r + h_{t-1}·U_r)   h̃ = a(x_h + (r ⊙ h_{t-1})·U_h)",
            "z   = sigmoid(x_z + h_0·U_z) = ", "r ⊙ h_1 = ", "h̃   = tanh(x_h + (r ⊙ h_1)·U_h) = ",
        ]),
    ]

    /// The numbers of the line that starts with `prefix`, between its last `[` and `]`.
    static func numbers(in text: String, line prefix: String) -> [Float]? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else { return nil }
        return line[line.index(after: open)..<close].split(separator: ",").compactMap {
            Float($0.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test("explain shows each step's gates and ends at Keras's numbers for sample 0", arguments: cases)
    func explainsGates(_ test: Case) throws {
        let result = try CLI.run(["explain", CLI.fixture("\(test.fixture).h5"), "--input", CLI.fixture("\(test.fixture).input.npy")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        for text in test.shows + ["Input: sample 0 of the 4 in", "t=5  x_5 = ", "equal to the explanation above"] {
            #expect(result.stdout.contains(text), "explain shows \(text)")
        }
        let expected = try CLI.readNumpy(CLI.fixture("\(test.fixture).expected.npy"))
        let perSample = expected.values.count / expected.shape[0]
        let keras = Array(expected.values.prefix(perSample))
        let explained = try #require(Self.numbers(in: result.stdout, line: "Model output 1×2 (explained above, in Double): "))
        let mismatch = CLI.mismatch(explained, keras: keras)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        let runtime = try #require(Self.numbers(in: result.stdout, line: "Runtime prediction (model.predict): "))
        #expect(CLI.mismatch(runtime, keras: keras) == nil)
    }

    @Test("go_backwards: the steps take the input last to first, and the result is still Keras's")
    func goBackwards() throws {
        for fixture in ["recurrent/keras3/lstm_go_backwards", "recurrent/keras3/gru_reset_before_go_backwards"] {
            let result = try CLI.run(["explain", CLI.fixture("\(fixture).h5"), "--input", CLI.fixture("\(fixture).input.npy")])
            #expect(result.status == 0, "\(result.stderr)")
            for text in ["go_backwards: the steps take the input from the last step to the first (x_5, x_4, …, x_1)",
                         "t=1  x_5 = ", "t=5  x_1 = ", "equal to the explanation above"] {
                #expect(result.stdout.contains(text), "\(fixture): explain shows \(text)")
            }
            let expected = try CLI.readNumpy(CLI.fixture("\(fixture).expected.npy"))
            let explained = try #require(Self.numbers(in: result.stdout, line: "Model output 1×1 (explained above, in Double): "))
            #expect(CLI.mismatch(explained, keras: [expected.values[0]]) == nil)
        }
    }

    @Test("stacked and sequence-returning layers: explained through every layer to Keras's numbers")
    func stackedAndSequences() throws {
        for (fixture, shape) in [("recurrent/keras3/lstm_stacked", "1×1"), ("recurrent/keras3/gru_return_sequences", "1×5×2")] {
            let result = try CLI.run(["explain", CLI.fixture("\(fixture).h5"), "--input", CLI.fixture("\(fixture).input.npy")])
            #expect(result.status == 0, "\(result.stderr)")
            let expected = try CLI.readNumpy(CLI.fixture("\(fixture).expected.npy"))
            let keras = Array(expected.values.prefix(expected.values.count / expected.shape[0]))
            let explained = try #require(Self.numbers(in: result.stdout, line: "Model output \(shape) (explained above, in Double): "))
            #expect(CLI.mismatch(explained, keras: keras) == nil, "\(fixture)")
        }
    }

    @Test("a model whose first computing layer is not recurrent gets one error line naming the three it explains")
    func notRecurrent() throws {
        let result = try CLI.run(["explain", CLI.fixture("training/option_dense_first_b1.initial.h5"), "--input", "1,2"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("SimpleRNN, LSTM or GRU"), "\(result.stderr)")
    }
}
