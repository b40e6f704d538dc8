/// The largest sizes kerasio accepts from a model config, checked while the
/// config is read and before anything is allocated from it.
///
/// A config is text from the file, so it may claim any size: `units` of
/// 2^62 would otherwise make kerasio allocate (and abort) or overflow while
/// multiplying a shape out. Each limit is far beyond any model that runs on
/// kerasio's runtime (SimpleRNN, Dense and Dropout on the CPU) and each is
/// refused with a message naming the layer, the option and the limit. All
/// products of config numbers are computed with overflow-reporting arithmetic.
///
/// | limit | value | why this size |
/// |---|---|---|
/// | `maximumStatefulBatch` | 2^16 = 65,536 | a stateful model's fixed batch, whose state is kept per row |
/// | `maximumUnits` | 2^20 = 1,048,576 | a Dense over a million-word vocabulary; a SimpleRNN that wide could not fit `maximumLayerParameters` anyway |
/// | `maximumFeatures` | 2^20 = 1,048,576 | features per step or per sample (a one-hot million-word input) |
/// | `maximumAxisLength` | 2^24 = 16,777,216 | any other fixed axis: steps (16 M steps is over 4 hours of 1 kHz samples), a fixed batch size |
/// | `maximumSampleElements` | 2^28 = 268,435,456 | the product of a sample's fixed input axes (1 GiB of float32 per sample), so `steps × features` and the like fit any Int |
/// | `maximumRank` | 8 axes, batch included | Dense on images is rank 4; SimpleRNN needs rank 3 |
/// | `maximumLayerParameters` | 2^28 = 268,435,456 | 1 GiB of float32 for one layer (a 16,384-unit SimpleRNN has 2^28 in its recurrent kernel alone) |
/// | `maximumModelParameters` | 2^28 = 268,435,456 | the same for the whole model: weights are allocated before they are read, so this bounds what a small hostile file can make kerasio allocate |
/// | `maximumNameLength` | 256 characters | layer and model names (Keras's own are under 40); a name is printed in messages and is an HDF5 group name |
/// | `maximumConfigBytes` | 16 MiB | the config text; a real one is under 1 MB (100,000 minimal Dense layers are 7 MB) |
/// | `maximumNesting` | 512 arrays and objects | a real config nests about 12 deep; Python's `json` itself gives up near 1,000 |
///
/// Below these limits, what Keras itself refuses is refused too: units,
/// rates outside [0, 1], dimensions of zero or less, and non-unique layer names.
public enum ConfigLimits {
    public static let maximumUnits = 1 << 20
    public static let maximumFeatures = 1 << 20
    public static let maximumAxisLength = 1 << 24
    public static let maximumSampleElements = 1 << 28
    public static let maximumRank = 8
    public static let maximumLayerParameters = 1 << 28
    public static let maximumModelParameters = 1 << 28
    public static let maximumNameLength = 256
    public static let maximumStatefulBatch = 1 << 16
    public static let maximumConfigBytes = 16 << 20
    public static let maximumNesting = 512
}
