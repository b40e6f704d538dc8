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

    /// The legacy `.h5` dataset name of a weight.
    func legacyWeightName(layer: String, model: String, parameter: String, keras: KerasGeneration) -> String {
        var owner = layer
        if case .cell(let cellName) = self { owner = "\(layer)/\(cellName)" }
        return keras == .keras3 ? "\(model)/\(owner)/\(parameter)" : "\(owner)/\(parameter):0"
    }

    /// The Keras 3 weights-file group holding the variables, below `layers/<key>`.
    var keras3VarsPath: String {
        switch self {
        case .layer: return "vars"
        case .cell: return "cell/vars"
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
