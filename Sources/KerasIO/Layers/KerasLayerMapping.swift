import RNNRuntime

/// One Keras layer class, all in one place: its config read for both Keras
/// generations with Keras's defaults, the runtime layer it becomes, the
/// config written back for Keras 3 and tf.keras 2, and where its weights
/// live in every file layout. A value of a conforming type is one decoded
/// layer config; `KerasLayerRegistry` lists the types. Nothing else in
/// kerasio switches on layer classes: summary, writers and benchmarks ask
/// the mapping (or the runtime layer).
protocol KerasLayerMapping: Sendable {
    /// Keras's class name (`LSTM`).
    static var className: String { get }
    /// The base of the name Keras gives an unnamed layer of this class (`lstm`).
    static var nameBase: String { get }
    /// Where this class keeps its weights in files.
    static var weightOwner: KerasWeightOwner { get }

    /// Reads the layer's config; absent keys take Keras's defaults.
    init(_ fields: ConfigFields) throws

    var name: String { get }
    /// The input shape a first layer carries itself (Keras 2.2 style
    /// `batch_input_shape`, or Keras 3's `batch_shape`), batch included.
    var declaredBatchInputShape: ConfigShape? { get }
    /// The activation `import` shows, if the layer has one.
    var activationName: String? { get }

    /// The per-sample output shape and weight count for a per-sample input
    /// shape, or why the layer cannot take it. Runs before anything is
    /// allocated, with overflow-checked sizes.
    func plan(inputShape: [Int?], at place: ConfigPlace) throws -> LayerPlan

    /// The runtime layer with this config's options and zero weights.
    func makeLayer(features: Int, generation: KerasGeneration, at place: ConfigPlace) throws -> any Layer

    /// Whether `layer` is a runtime layer of this class.
    static func describes(_ layer: any Layer) -> Bool

    /// The config members (after name, trainable and dtype) that write
    /// `layer` for the given Keras, or nil when `layer` is not of this class.
    static func encode(_ layer: any Layer, dialect: KerasConfigWriter.Dialect) throws -> [(String, JSONText)]?

    /// The whole config object: by default `standard` (name, trainable and
    /// dtype, as most layers write them) then `own` (from `encode`). A class
    /// whose Keras writes other common members says so here (Keras 3's
    /// SpatialDropout1D writes no `trainable`, which its constructor refuses).
    static func configMembers(
        standard: [(String, JSONText)], own: [(String, JSONText)], dialect: KerasConfigWriter.Dialect
    ) -> [(String, JSONText)]

    /// Whether two decoded configs are the same (for `LayerConfig`'s `==`).
    func isEqual(to other: any KerasLayerMapping) -> Bool

    /// Where `layer`'s weights live in files, in order (the default follows
    /// `weightOwner`; wrappers list their inner layers' groups).
    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup]

    /// The dtype of the model input when this is the first layer
    /// (`Embedding` takes int32 ids); nil for float32.
    static var inputDType: String? { get }

    /// Whether a call gives several tensors (`return_state`, Bidirectional's
    /// merge_mode None), so the model runs as a graph even when chain-shaped.
    var givesSeveralOutputs: Bool { get }

    /// The `module` a `.keras` archive names for the class.
    static var kerasModule: String { get }
}

extension KerasLayerMapping {
    static func weightGroups(of layer: any Layer) -> [KerasWeightGroup] {
        weightOwner.groups(layer: layer.name, count: layer.parameterSpecs.count)
    }

    static var inputDType: String? { nil }

    var givesSeveralOutputs: Bool { false }

    static var kerasModule: String { "keras.layers" }
}

/// One group of a layer's consecutive weights and where it lives in each
/// file layout. Groups without weights stand for the empty `vars` groups
/// Keras 3 writes for every object it tracks.
struct KerasWeightGroup: Sendable, Equatable {
    /// Below `layers/<key>/` in Keras 3 files: `vars`, `cell/vars`,
    /// `forward_layer/cell/vars`, `layer/vars`.
    let keras3Path: String
    /// The `name` attribute Keras 3 gives that group (the object's name).
    let keras3Name: String
    /// What stands between the layer's name and the weight's in legacy
    /// `.h5` weight names, per generation: `lstm_cell` in
    /// `lstm/lstm_cell/kernel:0`; empty for none.
    let legacyOwner: String
    let legacyOwnerKeras2: String
    /// How many of the layer's weights, in order, the group holds.
    let count: Int

    init(keras3Path: String, keras3Name: String, legacyOwner: String, legacyOwnerKeras2: String? = nil, count: Int) {
        self.keras3Path = keras3Path
        self.keras3Name = keras3Name
        self.legacyOwner = legacyOwner
        self.legacyOwnerKeras2 = legacyOwnerKeras2 ?? legacyOwner
        self.count = count
    }

    /// The same group one level down, under `prefix` (a wrapper's attribute
    /// name in Keras 3, the inner object's name in legacy names).
    func nested(keras3Prefix: String, legacyPrefix: String, legacyPrefixKeras2: String? = nil) -> KerasWeightGroup {
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : b.isEmpty ? a : "\(a)/\(b)" }
        return KerasWeightGroup(
            keras3Path: "\(keras3Prefix)/\(keras3Path)", keras3Name: keras3Name,
            legacyOwner: join(legacyPrefix, legacyOwner),
            legacyOwnerKeras2: join(legacyPrefixKeras2 ?? legacyPrefix, legacyOwnerKeras2), count: count)
    }

    /// The legacy `.h5` dataset name of a weight of this group.
    func legacyWeightName(layer: String, model: String, parameter: String, keras: KerasGeneration) -> String {
        let inner = keras == .keras3 ? legacyOwner : legacyOwnerKeras2
        let owner = inner.isEmpty ? layer : "\(layer)/\(inner)"
        return keras == .keras3 ? "\(model)/\(owner)/\(parameter)" : "\(owner)/\(parameter):0"
    }
}

extension KerasLayerMapping {
    static func configMembers(
        standard: [(String, JSONText)], own: [(String, JSONText)], dialect: KerasConfigWriter.Dialect
    ) -> [(String, JSONText)] {
        standard + own
    }
}

extension KerasLayerMapping where Self: Equatable {
    func isEqual(to other: any KerasLayerMapping) -> Bool {
        (other as? Self) == self
    }
}

/// Where a layer class keeps its weights in files.
enum KerasWeightOwner: Sendable {
    /// In the layer itself: `dense/kernel:0`, Keras 3 `layers/dense/vars`.
    case layer
    /// In a sublayer: an RNN's cell. `cellName` appears in legacy weight
    /// names (`lstm/lstm_cell/kernel:0`); Keras 3 stores it at `layers/<key>/cell/vars`.
    case cell(cellName: String)

    /// The groups of a layer named `layer` with `count` weights.
    func groups(layer: String, count: Int) -> [KerasWeightGroup] {
        switch self {
        case .layer:
            return [KerasWeightGroup(keras3Path: "vars", keras3Name: layer, legacyOwner: "", count: count)]
        case .cell(let cellName):
            return [KerasWeightGroup(keras3Path: "vars", keras3Name: layer, legacyOwner: "", count: 0),
                    KerasWeightGroup(keras3Path: "cell/vars", keras3Name: cellName, legacyOwner: cellName, count: count)]
        }
    }
}

/// What one layer needs and gives, worked out from the config before any
/// weight is allocated (a struct, not a tuple: unoptimized builds look tuple
/// types up at run time on every call).
struct LayerPlan {
    let outputShape: [Int?]
    let weights: Int
}

extension ConfigPlace {
    /// `rows * units` weights, refused above kerasio's per-layer limit.
    func weightCount(rows: Int, units: Int) throws -> Int {
        let (product, overflow) = rows.multipliedReportingOverflow(by: units)
        guard !overflow, product <= ConfigLimits.maximumLayerParameters else {
            throw ConfigProblem(
                .unsupportedOption, at: self,
                "units=\(units) on its input needs more than kerasio's limit of \(ConfigLimits.maximumLayerParameters) weights per layer")
        }
        return product
    }

    /// The fixed feature count (last axis) of `inputShape`, or why it is not fixed.
    func features(of inputShape: [Int?]) throws -> Int {
        guard let last = inputShape.last, let features = last else {
            throw ConfigProblem(
                .invalidConfig, at: self,
                "gets input \(ConfigText.shape([nil] + inputShape)) whose last axis (features) is not fixed")
        }
        return features
    }
}

/// A first layer's own input shape: Keras 2 writes `batch_input_shape`,
/// Keras 3 `batch_shape`; both include the batch.
func declaredShape(_ c: ConfigFields, preferring first: StaticString, then second: StaticString) throws -> ConfigShape? {
    try c.shape(first) ?? c.shape(second)
}
