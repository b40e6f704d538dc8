// kerasio-fuzz: coverage-guided fuzzing of KerasIO's in-memory readers
// (issue 10: no file makes kerasio crash, hang or exhaust memory).
//
//     kerasio-fuzz TARGET [libFuzzer flags] [corpus dirs or files]
//
// TARGET is npy, csv or model (or set KERASIO_FUZZ_TARGET); scripts/fuzz
// builds this and runs it, see there. The npy target runs each input
// through both .npy readers: NumpyArrayFile.parse (whole) and
// NumpyChunkReader (predict's streaming reader), which must agree.
//
// How it is built. `scripts/fuzz` builds with
// `-Xswiftc -sanitize=fuzzer,address`: the Swift code (KerasIO,
// RNNRuntime, ZIPFoundation and this file) gets libFuzzer's edge-coverage
// and comparison instrumentation plus AddressSanitizer, and swiftc links
// libclang_rt.fuzzer, libFuzzer's runtime. That archive brings its own
// `main`, but SwiftPM links every executable with
// `--defsym main=kerasio_fuzz_main` (the entry point of this file, renamed
// so tests can link executables), which takes precedence, so *this* file's
// top-level code runs. It takes the target name off the command line and
// hands the rest to libFuzzer through `LLVMFuzzerRunDriver`, which
// libFuzzer provides for exactly this (a program with its own main).
//
// `LLVMFuzzerRunDriver` is looked up with dlsym rather than declared:
// built without the sanitizer flags (plain `swift build`, which builds
// every target) the symbol is absent and the binary still links; it then
// runs each file given on the command line through the target once, which
// makes it a reproducer for findings that needs no special build. The
// fuzz build links with `-Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver`
// so that dlsym sees it (linked in, it is not otherwise exported).
//
// Run it through scripts/fuzz, or set what that sets: SWIFT_BACKTRACE=
// enable=no (Swift's crash backtracer and ASan do not mix: ASan reports a
// stack overflow in the backtracer instead of the real trap) and
// KERASIO_HDF5_STALL_SECONDS=0 (so a hang in libhdf5 is libFuzzer's
// timeout rather than kerasio's watchdog exiting the process).
//
// Only crashes, hangs, runaway memory and ASan reports are findings: a
// thrown error is what a bad file should produce, so errors are ignored.

import Foundation
import KerasIO
import RNNRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FuzzTarget: String, CaseIterable {
    case npy, csv, model
}

enum Harness {
    /// The target of this process; set once, before libFuzzer starts.
    nonisolated(unsafe) static var target: FuzzTarget = .model

    /// Architecture files (`model.to_json()` output) tried for weights-only
    /// inputs of the model target: KERASIO_FUZZ_ARCHITECTURES, colon-separated.
    static let weightsArchitectures: [String] = (ProcessInfo.processInfo.environment["KERASIO_FUZZ_ARCHITECTURES"] ?? "")
        .split(separator: ":").map(String.init)

    /// Inputs to `predict` are skipped above this many elements, so that a
    /// model that loaded is run cheaply (its weights are bounded by the input
    /// size, so one step of it is too).
    static let maxPredictElements = 4096
}

/// Runs one input through `target`; errors are normal outcomes.
func runOne(_ target: FuzzTarget, _ data: Data) {
    switch target {
    case .npy:
        let whole = Result { try NumpyArrayFile.parse(data, path: "fuzz.npy") }
        if case .success(let array) = whole {
            // The values must agree with the shape (a zero dimension lets the
            // others be anything, so multiply without trapping).
            precondition(elementCount(array.shape) == array.values.count, "npy: \(array.shape) vs \(array.values.count) values")
        }
        checkChunkedRead(data, whole: whole)
    case .csv:
        if let table = try? CSVArrayFile.parse(data, path: "fuzz.csv") {
            precondition(elementCount([table.rows, table.columns]) == table.values.count, "csv: \(table.rows)x\(table.columns) vs \(table.values.count) values")
        }
    case .model:
        let model: KerasModel
        do {
            model = try KerasModel.load(image: data, name: "fuzz.model")
        } catch let error as KerasIOError where error.kind == .missingModelConfig && !Harness.weightsArchitectures.isEmpty {
            // Weights only (or no config at all): load the weights into each
            // architecture given; one of them may fit.
            var loaded: KerasModel?
            for architecture in Harness.weightsArchitectures {
                if let model = try? KerasModel.load(image: data, name: "fuzz.model", architecture: architecture) {
                    loaded = model
                    break
                }
            }
            guard let loaded else { return }
            model = loaded
        } catch {
            return
        }
        _ = ModelSummary(model)
        // One sample of zeros (a stateful model's fixed batch), free dimensions (the time steps) set to 2.
        let shape = [model.network.fixedBatchSize ?? 1] + model.inputShape.map { $0 ?? 2 }
        guard shape.allSatisfy({ $0 >= 0 }), let elements = elementCount(shape),
              elements <= Harness.maxPredictElements else { return }
        _ = try? model.predict(Tensor(zeros: shape))
    }
}

/// `predict`'s streaming reader on the same bytes: it must refuse exactly
/// what the whole read refuses, with the same error, and read in chunks
/// (of a size taken from the input's length, so the fuzzer varies it) the
/// values the whole read gives.
func checkChunkedRead(_ data: Data, whole: Result<NumpyArray, Error>) {
    let reader: NumpyChunkReader
    do {
        reader = try NumpyChunkReader(data: data, path: "fuzz.npy")
    } catch {
        guard case .failure(let wholeError) = whole else { preconditionFailure("npy chunks: refused what parse read: \(error)") }
        precondition("\(error)" == "\(wholeError)", "npy chunks: \(error) vs \(wholeError)")
        return
    }
    guard case .success(let array) = whole else { preconditionFailure("npy chunks: read what parse refused") }
    precondition(reader.shape == array.shape && reader.count == array.values.count, "npy chunks: shape")
    guard !reader.isFortranOrder else { return }
    let chunk = 1 + data.count % 7
    var start = 0
    while start < reader.count {
        let end = min(start + chunk, reader.count)
        guard let values = try? reader.read(elements: start..<end) else { preconditionFailure("npy chunks: a read failed") }
        precondition(values.map(\.bitPattern) == array.values[start..<end].map(\.bitPattern), "npy chunks: values differ")
        start = end
    }
}

/// The product of `shape`, nil if negative or beyond `Int`.
func elementCount(_ shape: [Int]) -> Int? {
    if shape.contains(0) { return 0 }
    var count = 1
    for dimension in shape {
        guard dimension > 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}

/// libFuzzer's callback: one input, as bytes. It is also exported under
/// the C name libFuzzer's own `main` calls: -sanitize=fuzzer links all of
/// libclang_rt.fuzzer, FuzzerMain.o included, and although SwiftPM's
/// `--defsym main=kerasio_fuzz_main` wins over that `main`, its reference to
/// LLVMFuzzerTestOneInput must still resolve (undefined, the link fails, and
/// ld.gold crashes with "internal error in format_file_lineno" reporting it).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    runOne(Harness.target, data)
    return 0
}

typealias FuzzerDriver = @convention(c) (
    UnsafeMutablePointer<Int32>,
    UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

func usage() -> Never {
    let targets = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("usage: kerasio-fuzz \(targets) [libFuzzer flags] [corpus or files]\n".utf8))
    exit(2)
}

// The target: the first argument, else KERASIO_FUZZ_TARGET.
var arguments = CommandLine.arguments
if arguments.count > 1, let target = FuzzTarget(rawValue: arguments[1]) {
    Harness.target = target
    arguments.remove(at: 1)
} else if let name = ProcessInfo.processInfo.environment["KERASIO_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) {
    Harness.target = target
} else {
    usage()
}
// libFuzzer's -fork/-jobs modes re-run this binary with the flags only;
// the environment tells those children the target.
setenv("KERASIO_FUZZ_TARGET", Harness.target.rawValue, 1)

if let symbol = dlsym(dlopen(nil, RTLD_NOW), "LLVMFuzzerRunDriver") {
    let driver = unsafeBitCast(symbol, to: FuzzerDriver.self)
    // libFuzzer keeps argv for the process's life: strdup'ed, never freed.
    var argc = Int32(arguments.count)
    var argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
    for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
    argv[arguments.count] = nil
    exit(driver(&argc, &argv, testOneInput))
}

// Not built with -sanitize=fuzzer: replay the files given (or the files in
// the directories given) once each.
var files: [String] = []
for argument in arguments.dropFirst() where !argument.hasPrefix("-") {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
        FileHandle.standardError.write(Data("kerasio-fuzz: no such file: \(argument)\n".utf8))
        exit(2)
    }
    if isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
        files += names.sorted().map { (argument as NSString).appendingPathComponent($0) }
    } else {
        files.append(argument)
    }
}
if files.isEmpty {
    FileHandle.standardError.write(Data(
        "kerasio-fuzz: built without -sanitize=fuzzer (scripts/fuzz builds it with); give files to replay\n".utf8))
    exit(2)
}
func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else { continue }
    note("kerasio-fuzz \(Harness.target.rawValue): \(file) (\(data.count) bytes)")
    runOne(Harness.target, data)
}
note("kerasio-fuzz \(Harness.target.rawValue): \(files.count) file(s) ran without a crash")
