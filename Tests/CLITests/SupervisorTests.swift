import Foundation
import Testing

/// The supervised child process (Sources/CLI/Supervisor.swift): a crash
/// in the process that reads the file still ends in one `error:` line.
@Suite("kerasio supervises its work: a crash or a memory blow-up is one error line")
struct SupervisorTests {
    let model = CLI.fixture("keras3/sunspots.h5")

    @Test("A crash while reading (SIGSEGV) is one line naming the file, exit 1", arguments: ["segv", "abort"])
    func crashIsOneLine(fault: String) throws {
        let result = try CLI.run(["import", model], environment: ["KERASIO_TEST_FAULT": fault])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix("error: \(model): kerasio crashed (SIG"))
        #expect(!result.stderr.contains("malloc()"), "the dying process's own words are dropped")
        #expect(result.stdout.isEmpty)
    }

    @Test("An allocation past the memory limit fails instead of taking the machine")
    func memoryLimit() throws {
        let result = try CLI.run(
            ["import", model], environment: ["KERASIO_TEST_FAULT": "oom", "KERASIO_MEMORY_LIMIT_MB": "1024"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
    }

    @Test("Without a fault, output and exit status pass through the parent unchanged")
    func passThrough() throws {
        let good = try CLI.run(["import", model])
        #expect(good.status == 0)
        #expect(good.stdout.contains("simple_rnn (SimpleRNN)"))
        #expect(good.stderr.isEmpty)
        let bad = try CLI.run(["import", CLI.fixture("bad/not_hdf5.h5")])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: \(CLI.fixture("bad/not_hdf5.h5")): "))
        #expect(bad.stderr.split(separator: "\n").count == 1)
    }

    @Test("KERASIO_SUPERVISE=0 runs in one process with the same results")
    func unsupervised() throws {
        let result = try CLI.run(["import", model], environment: ["KERASIO_SUPERVISE": "0"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("simple_rnn (SimpleRNN)"))
    }
}
