import RNNRuntime

/// Every Keras layer class kerasio reads and writes. Adding a layer is a
/// runtime file, a mapping file (`KerasLayerMapping`) and one line here.
enum KerasLayerRegistry {
    static let mappings: [any KerasLayerMapping.Type] = [
        InputLayerConfig.self,
        SimpleRNNConfig.self,
        LSTMConfig.self,
        GRUConfig.self,
        DenseConfig.self,
        DropoutConfig.self,
        MaskingConfig.self,
        EmbeddingConfig.self,
        TimeDistributedConfig.self,
        BidirectionalConfig.self,
        RNNConfig.self,
        ActivationLayerConfig.self,
        ReLUConfig.self,
        LeakyReLUConfig.self,
        ELUConfig.self,
        SoftmaxConfig.self,
        PReLUConfig.self,
        SpatialDropout1DConfig.self,
        GaussianNoiseConfig.self,
        GaussianDropoutConfig.self,
        ActivityRegularizationConfig.self,
        ConcatenateConfig.self,
        ElementwiseMergeConfig<AddMerge>.self,
        ElementwiseMergeConfig<SubtractMerge>.self,
        ElementwiseMergeConfig<MultiplyMerge>.self,
        ElementwiseMergeConfig<AverageMerge>.self,
        ElementwiseMergeConfig<MaximumMerge>.self,
        ElementwiseMergeConfig<MinimumMerge>.self,
        DotConfig.self,
        NestedModelConfig<FunctionalModelKind>.self,
        NestedModelConfig<SequentialModelKind>.self,
        NestedModelConfig<ModelClassKind>.self,
        BatchNormalizationConfig.self,
        LayerNormalizationConfig.self,
        Conv1DConfig.self,
        MaxPooling1DConfig.self,
        AveragePooling1DConfig.self,
        GlobalMaxPooling1DConfig.self,
        GlobalAveragePooling1DConfig.self,
        FlattenConfig.self,
        ReshapeConfig.self,
        PermuteConfig.self,
        RepeatVectorConfig.self,
        Cropping1DConfig.self,
        ZeroPadding1DConfig.self,
        UpSampling1DConfig.self,
    ]

    private static let byClassName: [String: any KerasLayerMapping.Type] =
        Dictionary(uniqueKeysWithValues: mappings.map { ($0.className, $0) })

    /// The mapping for a Keras class name, if kerasio knows the class.
    static func mapping(forClass className: String) -> (any KerasLayerMapping.Type)? {
        byClassName[className]
    }

    /// The mapping of a runtime layer's Keras class, or the error saying it has none.
    static func mapping(for layer: any Layer) throws -> any KerasLayerMapping.Type {
        guard let type = mappings.first(where: { $0.describes(layer) }) else {
            throw KerasWriteError.unsupported("layer '\(layer.name)' (\(Swift.type(of: layer))) has no Keras equivalent kerasio can write")
        }
        return type
    }

    /// The class names, as Keras spells them, in the order errors list them.
    static var classNames: [String] { mappings.map { $0.className } }
}
