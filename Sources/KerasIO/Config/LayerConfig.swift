/// One entry of a model's `layers` list, read in two steps: `class_name`
/// first, then that class's own typed config, by the class's mapping in
/// `KerasLayerRegistry`.
public struct LayerConfig: Sendable, Equatable {
    /// The decoded config, a value of the class's mapping type.
    let mapping: any KerasLayerMapping

    /// The classes kerasio reads, as Keras names them.
    public static var supportedClasses: [String] { KerasLayerRegistry.classNames }

    /// Reads the entry at `layers[index]`. Layers without a name get
    /// `defaultName(base)`, which the caller makes unique, as Keras does.
    init(_ entry: ConfigJSON.Value, index: Int, defaultName: (String) -> String) throws {
        var place = ConfigPlace.layer(index)
        guard entry.kind == .object else {
            throw ConfigProblem(.invalidConfig, at: place, "must be an object with class_name and config, found \(entry.found)")
        }
        let outer = ConfigFields(object: entry, place: place)
        guard let className = try outer.string("class_name") else {
            throw ConfigProblem(.invalidConfig, at: place, "has no class_name")
        }
        place.className = className
        let configValue = outer.value("config")
        if let configValue, configValue.kind != .object {
            throw ConfigProblem(.invalidConfig, at: place, "config must be an object, found \(configValue.found)")
        }
        /// The layer's config, its place naming the layer: by its own name, or
        /// for an unnamed layer by the one Keras would give it (`dense_1`).
        func fields(base: String) throws -> ConfigFields {
            guard let configValue else { throw ConfigProblem(.invalidConfig, at: place, "has no config") }
            var fields = ConfigFields(object: configValue, place: place)
            fields.place.name = try fields.name() ?? defaultName(base)
            return fields
        }
        guard let type = KerasLayerRegistry.mapping(forClass: className) else {
            place.name = (try? configValue.map { try ConfigFields(object: $0, place: place).name() }) ?? nil
            place.className = nil  // named in the sentence itself
            // A Lambda holds a Python function (marshalled bytecode): nothing outside Python can run it.
            let why = className == "Lambda"
                ? "a Lambda layer holds Python code, which kerasio cannot run; rebuild the model with built-in layers"
                : "unsupported layer class \(ConfigText.identifier(className))\(ConfigProblem.supportedClassesNote)"
            var problem = ConfigProblem(.unsupportedLayer, at: place, why)
            problem.unsupportedClass = (className, (place.name.map { "layer \(ConfigText.quoted($0)), " } ?? "") + "layers[\(index)]")
            throw problem
        }
        mapping = try type.init(try fields(base: type.nameBase))
    }

    /// Keras's class name.
    public var className: String { type(of: mapping).className }

    /// The layer's name.
    public var name: String { mapping.name }

    /// The input shape a first layer carries itself (Keras 2.2 style
    /// `batch_input_shape`), including the batch dimension.
    var declaredBatchInputShape: ConfigShape? { mapping.declaredBatchInputShape }

    /// True for the `InputLayer`, which computes nothing.
    var isInputLayer: Bool { mapping is InputLayerConfig }

    /// The layer's config as its class's mapping type, if it is of that class.
    func decoded<T: KerasLayerMapping>(as type: T.Type) -> T? { mapping as? T }

    public static func == (lhs: LayerConfig, rhs: LayerConfig) -> Bool {
        lhs.mapping.isEqual(to: rhs.mapping)
    }
}
