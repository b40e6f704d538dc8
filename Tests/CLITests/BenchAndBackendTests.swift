import Foundation
import Testing
import TestSupport

@Suite("kerasio bench, and the pure-Swift and single-thread paths")
struct BenchAndBackendTests {
    /// The fixture large enough for BLAS products, the thread split and 256-sample blocks.
    let wide = "keras3/wide_batch"

    @Test("predictions match Keras with OpenBLAS, with the pure-Swift kernels, and on one thread",
          arguments: [[:], ["KERASIO_BLAS": "off"], ["KERASIO_THREADS": "1"], ["KERASIO_BLAS": "off", "KERASIO_THREADS": "1"]])
    func everyBackendMatchesKeras(environment: [String: String]) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("p.npy").path
        let result = try CLI.run(
            ["predict", CLI.fixture("\(wide).h5"), "--input", CLI.fixture("\(wide).input.npy"), "--output", out],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try CLI.readNumpy(out), keras = try CLI.readNumpy(CLI.fixture("\(wide).expected.npy"))
        #expect(ours.shape == [600, 2])
        let mismatch = CLI.mismatch(ours.values, shape: ours.shape, keras: keras.values, kerasShape: keras.shape)
        #expect(mismatch == nil, "\(environment): \(mismatch ?? "")")
    }

    @Test("bench --json reports latency, throughput and fit figures for a model file")
    func benchJSON() throws {
        let result = try CLI.run([
            "bench", CLI.fixture("keras3/sunspots.h5"), "--repetitions", "5", "--samples", "64", "--json",
            "--fit-x", CLI.fixture("keras3/sunspots.input.npy"), "--fit-y", CLI.fixture("keras3/sunspots.expected.npy"),
            "--optimizer", "adam", "--loss", "mse",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let figures = try #require(object)
        for key in ["latency_ns", "throughput_samples_per_s", "fit_seconds", "fit_samples_per_s"] {
            #expect((figures[key] as? Double ?? 0) > 0, "\(key): \(figures[key] ?? "missing")")
        }
        #expect((figures["backend"] as? String)?.isEmpty == false)
    }

    @Test("bench refuses fewer than five repetitions with one error line")
    func benchNeedsRepetitions() throws {
        let result = try CLI.run(["bench", CLI.fixture("keras3/sunspots.h5"), "--repetitions", "2"])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error:") && lines[0].contains("repetitions"))
    }
}
