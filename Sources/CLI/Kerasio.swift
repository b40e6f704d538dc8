import ArgumentParser
import Foundation
import KerasIO

/// The `kerasio` command: subcommands only.
@main
struct Kerasio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kerasio",
        abstract: "Read Keras RNN model files and predict exactly as Keras does, without Python.",
        version: "0.1.0",
        subcommands: [ImportCommand.self, PredictCommand.self, ConvertCommand.self, FitCommand.self, TrainCommand.self, ExplainCommand.self, BenchCommand.self, LayersCommand.self]
    )

    /// Runs the command and reports every failure as one `error:` line on
    /// stderr with a non-zero exit: never a backtrace, never a usage dump
    /// for problems with a file.
    static func main() {
        if Supervisor.shouldSupervise { Supervisor.superviseChild() }
        if Supervisor.isChild { Supervisor.configureChild() }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version end here.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("error: \(oneLine(describe(error)))\n".utf8))
            Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
        }
    }

    private static func describe(_ error: Error) -> String {
        if let described = (error as? LocalizedError)?.errorDescription, !(error is ValidationError) {
            return described
        }
        let message = message(for: error)
        return message.isEmpty ? "\(error)" : message + " (see 'kerasio --help')"
    }

    /// Printable characters only, one line, at most 1,000 characters: the
    /// message may quote a hostile file.
    private static func oneLine(_ text: String) -> String {
        PrintableText.oneLine(text, limit: 1_000)
    }
}
