import Foundation
import Testing
import TestSupport

@Suite("kerasio with every format")
struct FormatCommandTests {
    @Test("import reports the format it detected and, for weights-only files, the config used")
    func importFormats() throws {
        let archive = try CLI.run(["import", CLI.fixture("keras3/sunspots.keras")])
        #expect(archive.status == 0, "\(archive.stderr)")
        #expect(archive.stdout.contains("Keras 3 archive (.keras)"))

        let config = CLI.fixture("keras3/sunspots.json")
        let weights = try CLI.run(["import", CLI.fixture("keras3/sunspots.weights.h5"), "--config", config])
        #expect(weights.status == 0, "\(weights.stderr)")
        #expect(weights.stdout.contains("Keras 3 weights (.weights.h5)"))
        #expect(weights.stdout.contains("Config:  \(config)"))

        let json = try CLI.run(["import", CLI.fixture("keras2/sunspots_weights.h5"), "--config", CLI.fixture("keras2/sunspots.json"), "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "legacy-weights-h5")
        #expect(object["config_source"] as? String == CLI.fixture("keras2/sunspots.json"))
    }

    @Test("predict from a .keras archive and from weights plus config matches Keras")
    func predictFormats() throws {
        let keras = try CLI.readNumpy(CLI.fixture("keras3/sunspots.expected.npy")).values
        for arguments in [
            ["predict", CLI.fixture("keras3/sunspots.keras")],
            ["predict", CLI.fixture("keras3/sunspots.weights.h5"), "--config", CLI.fixture("keras3/sunspots.json")],
        ] {
            let result = try CLI.run(arguments + ["--input", CLI.fixture("keras3/sunspots.input.npy")])
            #expect(result.status == 0, "\(result.stderr)")
            let mismatch = CLI.mismatch(CLI.csvColumn(result.stdout), keras: keras)
            #expect(mismatch == nil, "\(arguments[1]): \(mismatch ?? "")")
        }
    }

    @Test("bad archives and mismatched --config give one error line",
          arguments: [
            ["import", CLI.fixture("bad/archive_traversal.keras")],
            ["import", CLI.fixture("bad/archive_no_config.keras")],
            ["import", CLI.fixture("bad/not_a_zip.keras")],
            ["import", CLI.fixture("keras3/sunspots.weights.h5")],
            ["import", CLI.fixture("keras3/sunspots.h5"), "--config", CLI.fixture("keras3/sunspots.json")],
            ["import", CLI.fixture("functional/keras3/lambda.h5")],
          ])
    func oneLineErrors(_ arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}

@Suite("kerasio convert")
struct ConvertCommandTests {
    @Test("converting a tf.keras file for Keras 3 and back predicts the same")
    func convertAndPredict() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keras3 = directory.appendingPathComponent("s.keras").path
        let result = try CLI.run(["convert", CLI.fixture("keras2/sunspots.h5"), keras3])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        let predicted = try CLI.run(["predict", keras3, "--input", CLI.fixture("keras2/sunspots.input.npy")])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        // Keras's own prediction of the original file, not kerasio's of it.
        let keras = try CLI.readNumpy(CLI.fixture("keras2/sunspots.expected.npy")).values
        let mismatch = CLI.mismatch(CLI.csvColumn(predicted.stdout), keras: keras)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test("a refused conversion prints one error line and leaves OUT as it was")
    func refused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("old.h5")
        try Data("old".utf8).write(to: out)
        for arguments in [["convert", CLI.fixture("keras2/activation_hard_sigmoid.h5"), out.path],
                          ["convert", CLI.fixture("bad/truncated.h5"), out.path],
                          ["convert", CLI.fixture("keras3/sunspots.h5"), directory.appendingPathComponent("x.txt").path],
                          ["convert", CLI.fixture("keras3/sunspots.h5"), directory.appendingPathComponent("x.keras").path, "--keras", "2"]] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        #expect(try Data(contentsOf: out) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["old.h5"])
    }
}
