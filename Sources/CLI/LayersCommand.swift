import ArgumentParser
import KerasIO

/// `kerasio layers`: the Keras layer classes kerasio reads, runs, trains and writes.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List the Keras layer classes kerasio supports, one per line.")

    func run() throws {
        print(LayerConfig.supportedClasses.joined(separator: "\n"))
    }
}
