// Times kerasio's .npy and CSV readers on one file; built and run by
// bench/array_read_speed.sh, which compiles this file together with
// Sources/KerasIO/ArrayFiles/*.swift (and the one file they use from
// HDF5/) into one optimized module, so no HDF5 or model is involved.
//
// Usage: array-read-speed (npy|csv|raw) FILE [REPETITIONS]
// Prints: kind, size in MB, best wall time and MB/s, best CPU (user +
// system) time and MB/s, peak resident memory. On a busy machine the CPU
// figure is the steadier one: wall time includes waiting for a core.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3, ["npy", "csv", "raw"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: array-read-speed (npy|csv|raw) FILE [REPETITIONS]\n".utf8))
    exit(2)
}
let kind = arguments[1]
let path = arguments[2]
let repetitions = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 3) : 3
let size = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)

/// User plus system CPU time of this process so far, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    #if canImport(Darwin)
    getrusage(RUSAGE_SELF, &usage)
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

var best = Double.infinity
var bestCPU = Double.infinity
var checksum: Float = 0
for _ in 0..<repetitions {
    let start = DispatchTime.now().uptimeNanoseconds
    let startCPU = cpuSeconds()
    do {
        switch kind {
        case "npy":
            let array = try NumpyArrayFile.read(from: path)
            checksum += array.values.last ?? 0
        case "csv":
            let table = try CSVArrayFile.read(from: path)
            checksum += table.values.last ?? 0
        default:
            let data = try ArrayFileError.contents(of: path)
            checksum += Float(data.last ?? 0)
        }
    } catch {
        FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
        exit(1)
    }
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    bestCPU = min(bestCPU, cpuSeconds() - startCPU)
}
var usage = rusage()
#if canImport(Darwin)
getrusage(RUSAGE_SELF, &usage)
let peakMB = Double(usage.ru_maxrss) / 1e6  // bytes on macOS
#else
getrusage(RUSAGE_SELF.rawValue, &usage)
let peakMB = Double(usage.ru_maxrss) / 1e3  // kilobytes on Linux
#endif
print(kind + String(format: " %.1f MB, best of %d: wall %.3f s = %.0f MB/s, CPU %.3f s = %.0f MB/s; peak RSS %.0f MB (checksum %g)",
             size / 1e6, repetitions, best, size / 1e6 / best, bestCPU, size / 1e6 / bestCPU, peakMB, Double(checksum)))
