import Foundation
import Testing
import TestSupport

@Suite("kerasio fit, train and explain")
struct TrainingCommandTests {
    /// Reads a legacy .h5's weights through kerasio itself: `convert` to
    /// .weights.h5 would need HDF5 here, so compare predictions instead.
    func predictions(_ model: String, _ input: String) throws -> [Float] {
        let result = try CLI.run(["predict", model, "--input", input])
        #expect(result.status == 0, "\(result.stderr)")
        return CLI.csvValues(result.stdout).flatMap { $0 }
    }

    @Test("fit with the file's training_config reproduces Keras's epoch (predictions of the result)")
    func fitFromTrainingConfig() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("after.keras").path
        let fixture = "training/opt_adam_b4"
        let result = try CLI.run([
            "fit", CLI.fixture("\(fixture).initial.h5"), "--x", CLI.fixture("\(fixture).x.npy"),
            "--y", CLI.fixture("\(fixture).y.npy"), "--output", out, "--batch-size", "4", "--no-shuffle",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Epoch 1/1"))
        #expect(result.stderr.contains("loss: "))
        let ours = try predictions(out, CLI.fixture("\(fixture).x.npy"))
        let keras = try predictions(CLI.fixture("\(fixture).after.h5"), CLI.fixture("\(fixture).x.npy"))
        let mismatch = CLI.mismatch(ours, keras: keras)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("fit without a training_config and without --optimizer/--loss says what to pass")
    func fitNeedsConfig() throws {
        let result = try CLI.run([
            // A .keras archive carries no training_config kerasio reads.
            "fit", CLI.fixture("keras3/sunspots.keras"), "--x", CLI.fixture("keras3/sunspots.input.npy"),
            "--y", CLI.fixture("keras3/sunspots.expected.npy"), "--output", "/tmp/kerasio-never.h5",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("--loss"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kerasio-never.h5"))
    }

    @Test("train runs the tutorial: RMSE lines, a Keras file that kerasio reads back, and an SVG plot")
    func train() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("sunspots.h5").path
        let plot = directory.appendingPathComponent("sunspots.svg").path
        let result = try CLI.run([
            "train", "--data", CLI.packageRoot.appendingPathComponent("data/monthly-sunspots.csv").path,
            "--epochs", "2", "--output", model, "--plot", plot, "--seed", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("Train RMSE: 0.") && $0.hasSuffix(" RMSE") })
        #expect(lines.contains { $0.hasPrefix("Test RMSE: 0.") && $0.hasSuffix(" RMSE") })
        #expect(result.stderr.contains("Epoch 2/2"))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        for text in ["<svg", "Actual", "Predictions", "Sunspots scaled", "stroke=\"red\"", "The Red Line Separates"] {
            #expect(svg.contains(text), "plot has \(text)")
        }
        let summary = try CLI.run(["import", model])
        #expect(summary.status == 0)
        #expect(summary.stdout.contains("Total params: 19"))
    }

    @Test("explain shows every step of the tutorial's model and confirms the runtime's prediction")
    func explain() throws {
        let result = try CLI.run(["explain", CLI.fixture("keras3/tutorial_linear.h5"), "--input", "1,2,3"])
        #expect(result.status == 0, "\(result.stderr)")
        for text in ["Wx 1×2", "Wh 2×2", "bh 2", "Wy 2×1", "by 1", "h_1 = linear(", "h_2 = linear(", "h_3 = linear(",
                     "equal to the steps above"] {
            #expect(result.stdout.contains(text), "explain shows \(text)")
        }
        let multi = try CLI.run(["explain", CLI.fixture("keras2/tutorial_linear_multifeature.h5"), "--input", "1,2,3,4,5,6"])
        #expect(multi.status == 0)
        #expect(multi.stdout.contains("x_3 = [5, 6]"))
        let bad = try CLI.run(["explain", CLI.fixture("keras3/tutorial_linear.h5"), "--input", "1,x"])
        #expect(bad.status != 0 && bad.stderr.hasPrefix("error: "))
    }
}
