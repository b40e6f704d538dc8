import KerasIO

/// Matches repeated `--input`/`--output` (or `--x`/`--y`) arguments to a
/// model's inputs or outputs: in the model's order, or `NAME=PATH` naming
/// one. A prefix before `=` counts as a name only when the model has an
/// input or output of that name, so paths with `=` still work.
enum NamedArguments {
    /// The paths in the model's order, one per name.
    static func assign(_ arguments: [String], to names: [String], what: String, option: String, model: String) throws -> [String] {
        var assigned = [String?](repeating: nil, count: names.count)
        var positional: [String] = []
        for argument in arguments {
            if let (name, path) = split(argument), let index = names.firstIndex(of: name) {
                guard assigned[index] == nil else {
                    throw KerasIOError(.inputMismatch, file: model, "\(option) names the \(what) '\(name)' twice")
                }
                assigned[index] = path
            } else {
                positional.append(argument)
            }
        }
        var next = positional.makeIterator()
        for index in assigned.indices where assigned[index] == nil { assigned[index] = next.next() }
        let filled = assigned.compactMap { $0 }
        guard filled.count == names.count, next.next() == nil else {
            let list = names.map { "'\($0)'" }.joined(separator: ", ")
            throw KerasIOError(
                .inputMismatch, file: model,
                "the model has \(names.count) \(what)\(names.count == 1 ? "" : "s") (\(list)); give one \(option) each, "
                    + "in that order or as NAME=PATH (got \(arguments.count))")
        }
        return filled
    }

    /// The path part of `NAME=PATH` (or the whole argument).
    static func path(_ argument: String) -> String {
        split(argument)?.path ?? argument
    }

    private static func split(_ argument: String) -> (name: String, path: String)? {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}
