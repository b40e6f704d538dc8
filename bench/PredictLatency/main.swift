// Times one in-process prediction of a model file, the way a Swift app
// would call kerasio: the model is loaded once, then each call is timed.
//
// Usage: predict-latency MODEL INPUT.npy [repetitions]
//   prints kerasio_predict_ns (KerasModel.predict(Tensor), which allocates
//   its result) and kerasio_workspace_ns (predict into caller-owned memory
//   with a reusable PredictionWorkspace, which allocates nothing)
// Usage: predict-latency MODEL INPUT.npy --stream [repetitions]
//   prints kerasio_stream_step_ns: one time step of one sample advanced
//   through a StreamingSession (state carried, allocation-free), the call
//   an app makes per sensor reading; INPUT's first sample gives the steps fed
//   in turn. With --calls N after --stream, N untimed steps (for valgrind).
//   With --outputs OUT.npy after --stream: no timing; the first sample's
//   steps fed one per call from zero states, each call's output saved as
//   one row of OUT.npy (steps x outputs), for checking against Keras.
// Usage: predict-latency MODEL INPUT.npy --calls N
//   makes one workspace call, then N more, untimed: run under
//   `valgrind` with two values of N, the heap's allocation counts must not
//   differ (bench/run-predict-latency does this).
import Foundation
import KerasIO
import RNNRuntime

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: predict-latency MODEL INPUT.npy [repetitions | --calls N]\n".utf8))
    exit(2)
}

/// Median nanoseconds per call of `body` over `repetitions` runs of `calls` calls.
func medianNanoseconds(repetitions: Int, calls: Int, _ body: () throws -> Float) rethrows -> Double {
    var sink: Float = 0
    for _ in 0..<max(calls / 10, 100) { sink += try body() }  // warm-up
    var perCall: [Double] = []
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { sink += try body() }
        perCall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(calls))
    }
    if sink.isNaN { print("(NaN seen)") }
    return perCall.sorted()[perCall.count / 2]
}

do {
    let model = try KerasModel.load(from: arguments[1])
    guard let network = model.network.sequential else {
        throw KerasIOError(.unsupportedOption, file: arguments[1], "is a Functional graph; predict-latency measures chains")
    }
    let array = try NumpyArrayFile.read(from: arguments[2])
    let perSample = array.values.count / max(array.shape[0], 1)
    // One sample, as an app predicting one sequence at a time would.
    let shape = [1] + Array(array.shape.dropFirst())
    let values = Array(array.values.prefix(perSample))
    let sample = try Tensor(shape: shape, scalars: values)
    let workspace = PredictionWorkspace()
    var output = [Float](repeating: 0, count: try network.concreteOutputCount(forSampleShape: Array(shape.dropFirst())))

    if arguments.count > 3, arguments[3] == "--stream" {
        let session = try StreamingSession(model: network, batchSize: 1)
        let steps = shape.count > 1 ? shape[1] : 1, features = perSample / max(steps, 1)
        var stepOutput = [Float](repeating: 0, count: try session.outputCount(steps: 1))
        var position = 0
        func advance() throws -> Float {
            try values.withUnsafeBufferPointer { x in
                try stepOutput.withUnsafeMutableBufferPointer { y in
                    let step = UnsafeBufferPointer(rebasing: x[position * features..<(position + 1) * features])
                    try session.advance(step, steps: 1, into: y)
                    position = (position + 1) % steps
                    return y[0]
                }
            }
        }
        if arguments.count > 5, arguments[4] == "--outputs" {
            var rows: [Float] = []
            for _ in 0..<steps {
                _ = try advance()
                rows += stepOutput
            }
            try NumpyArrayFile.write(NumpyArray(shape: [steps, stepOutput.count], values: rows), to: arguments[5])
            exit(0)
        }
        if arguments.count > 5, arguments[4] == "--calls", let calls = Int(arguments[5]) {
            for _ in 0...calls { _ = try advance() }
            print(String(format: "output %.7g", stepOutput[0]))
            exit(0)
        }
        let repetitions = arguments.count > 4 ? Int(arguments[4]) ?? 7 : 7
        let streamNs = try medianNanoseconds(repetitions: repetitions, calls: 200_000) { try advance() }
        print(String(format: "kerasio_stream_step_ns %.1f", streamNs))
        exit(0)
    }

    if arguments.count > 4, arguments[3] == "--calls", let calls = Int(arguments[4]) {
        try values.withUnsafeBufferPointer { x in
            try output.withUnsafeMutableBufferPointer { y in
                for _ in 0...calls { try model.predict(x, shape: shape, into: y, workspace: workspace) }
            }
        }
        print(String(format: "output %.7g", output[0]))
        exit(0)
    }

    let repetitions = arguments.count > 3 ? Int(arguments[3]) ?? 7 : 7
    // About 0.05-0.2 s per repetition for models from the tutorial's to LSTM(128)'s size.
    let probe = try medianNanoseconds(repetitions: 1, calls: 100) { try model.predict(sample).scalars[0] }
    let calls = max(20, min(200_000, Int(1e8 / max(probe, 1))))
    let tensorNs = try medianNanoseconds(repetitions: repetitions, calls: calls) { try model.predict(sample).scalars[0] }
    let workspaceNs = try values.withUnsafeBufferPointer { x in
        try output.withUnsafeMutableBufferPointer { y in
            try medianNanoseconds(repetitions: repetitions, calls: calls) {
                try model.predict(x, shape: shape, into: y, workspace: workspace)
                return y[0]
            }
        }
    }
    print(String(format: "kerasio_predict_ns %.1f", tensorNs))
    print(String(format: "kerasio_workspace_ns %.1f", workspaceNs))
} catch {
    FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
    exit(1)
}
