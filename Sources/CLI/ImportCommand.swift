import ArgumentParser
import Foundation
import KerasIO

/// `kerasio import MODEL [--json]`: what is in a model file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Show what a Keras model file holds, like Keras's model.summary().",
        discussion: "Prints the file's format (told by content), Keras version and backend, for weights-only files the architecture file used, then one row per layer: name, class, output shape, parameter count and activation."
    )

    @OptionGroup var options: ModelOptions

    @Flag(help: "Print the summary as one JSON document instead of a table.")
    var json = false

    func run() throws {
        let summary = ModelSummary(try options.load())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
    }
}
