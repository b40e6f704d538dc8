// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "kerasio",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "KerasIO", targets: ["KerasIO"]),
        .library(name: "RNNRuntime", targets: ["RNNRuntime"]),
        .executable(name: "kerasio", targets: ["KerasIOCommand"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // The HDF5 C library as Debian ships it; shim.h turns the macros Swift
        // cannot import into functions. Only KerasIO may import it.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev", "pkg-config"])]
        ),
        // Pure Swift tensors, layers and models; knows nothing of files.
        .target(name: "RNNRuntime"),
        // Keras file formats over HDF5, mapped onto RNNRuntime.
        .target(
            name: "KerasIO",
            dependencies: ["CHDF5", "RNNRuntime", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // The command-line tool: thin over KerasIO.
        // Its folder is Sources/CLI, not Sources/kerasio: that would differ
        // from Sources/KerasIO only in case, which breaks clones on macOS.
        // The `kerasio` executable's target: a name that does not clash with
        // KerasIO on case-insensitive file systems (macOS's default).
        .executableTarget(
            name: "KerasIOCommand",
            dependencies: [
                "KerasIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI"
        ),
        // Benchmarks (bench/), not part of the product.
        .executableTarget(name: "predict-latency", dependencies: ["KerasIO", "RNNRuntime"], path: "bench/PredictLatency"),
        // The interop check's model built in Swift code (interop/).
        .executableTarget(name: "swift-built-model", dependencies: ["KerasIO", "RNNRuntime"], path: "interop/SwiftBuiltModel"),
        // libFuzzer harness over KerasIO's in-memory readers (fuzz/, run by
        // scripts/fuzz with -sanitize=fuzzer,address); a plain build of it
        // replays files, see fuzz/KerasIOFuzz/main.swift.
        .executableTarget(name: "kerasio-fuzz", dependencies: ["KerasIO", "RNNRuntime"], path: "fuzz/KerasIOFuzz"),
        // How every test compares numbers with Keras's: counts and shapes
        // first, NaN never passes, the project's tolerance.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RNNRuntimeTests", dependencies: ["RNNRuntime", "TestSupport"]),
        .testTarget(name: "KerasIOTests", dependencies: ["CHDF5", "KerasIO", "RNNRuntime", "TestSupport"]),
        .testTarget(name: "KerasIOCommandTests", dependencies: ["KerasIOCommand", "RNNRuntime", "TestSupport"], path: "Tests/CLITests"),
    ]
)
