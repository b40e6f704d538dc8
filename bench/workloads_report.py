"""Prints bench/run's markdown table from its work directory: Keras's
timings (keras.json), kerasio's (`kerasio bench --json` outputs), the peak
RSS of both predict processes, and the prediction checks (max difference of
kerasio's predictions from Keras's, absolute, or relative to Keras's value
where that is larger than 1, as the tests compare; above 1e-5 the row fails,
since a fast wrong answer counts as a failure). Only the workloads keras.json
lists (its "workloads", from `keras_workloads.py make --only`) get rows.

Usage: workloads_report.py WORKDIR
Exit status 1 when a measurement is missing (a step failed), else 0, also
when targets are missed."""
import json
import os
import platform
import sys

import numpy as np

TOLERANCE = 1e-5
W3_FLOPS = 2 * 50 * (8 * 128 + 128 * 128) + 2 * 128  # forward FLOPs per W3 sample
# W6 / W7: (layer, gates); forward FLOPs per sample 2·50·(8·g·128 + 128·g·128) + 2·128
GATED = {"w6": ("LSTM", 4), "w7": ("GRU", 3)}


def gated_flops(gates, steps=50, features=8, units=128):
    return 2 * steps * (features * gates * units + units * gates * units) + 2 * units


def load_json(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1]) if not path.endswith("keras.json") else json.loads(text)
    except (OSError, ValueError, IndexError):
        return None


def max_diff(work, ours, theirs):
    """(max difference, note) of two prediction files, the tests' measure:
    |ours - theirs| / max(1, |theirs|); (None, why) when it cannot be computed."""
    a_path, b_path = os.path.join(work, ours), os.path.join(work, theirs)
    if not os.path.exists(a_path):
        return None, "no kerasio predictions"
    if not os.path.exists(b_path):
        return None, "no Keras predictions"
    a, b = np.load(a_path).astype(np.float64), np.load(b_path).astype(np.float64)
    if a.shape != b.shape:
        return None, "shape %s vs Keras %s" % (a.shape, b.shape)
    if not np.all(np.isfinite(a)):
        return None, "kerasio predicted NaN/inf"
    if a.size == 0:
        return None, "no values"
    return float(np.max(np.abs(a - b) / np.maximum(1, np.abs(b)))), "%d value%s" % (a.size, "" if a.size == 1 else "s")


def cpu_info():
    model, mhz, flags = platform.processor() or "unknown CPU", None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model in ("unknown CPU", platform.processor()):
                    model = value
                elif key == "cpu MHz" and mhz is None:
                    mhz = float(value)
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, mhz, flags


def peak(cores, mhz, flags):
    """(GFLOP/s, assumption) for all cores, or (None, why)."""
    if mhz is None:
        return None, "no cpu MHz in /proc/cpuinfo"
    if "avx512f" in flags:
        per_cycle, why = 2 * 16 * 2, "avx512f: assumed 2 FMA units x 16 floats x 2 FLOP per cycle per core"
    elif "avx2" in flags and "fma" in flags:
        per_cycle, why = 2 * 8 * 2, "avx2+fma: assumed 2 FMA units x 8 floats x 2 FLOP per cycle per core"
    else:
        return None, "no avx2/fma flags"
    return cores * mhz * 1e6 * per_cycle / 1e9, "%d cores x %.0f MHz x %d FLOP/cycle (%s)" % (
        cores, mhz, per_cycle, why)


def seconds_text(s):
    if s is None:
        return "-"
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.1f ms" % (s * 1e3)
    if s >= 1e-6:
        return "%.2f µs" % (s * 1e6)
    return "%.0f ns" % (s * 1e9)


def rate_text(samples_per_s, gflops=None):
    if samples_per_s is None:
        return "-"
    text = "{:,.0f} samples/s".format(samples_per_s)
    return text + (" (%.2f GFLOP/s)" % gflops if gflops is not None else "")


def main(work):
    keras = load_json(os.path.join(work, "keras.json")) or {}
    b1 = load_json(os.path.join(work, "bench_w1.out")) or {}
    b3 = load_json(os.path.join(work, "bench_w3.out")) or {}
    gated_bench = {name: load_json(os.path.join(work, "bench_%s.out" % name)) or {} for name in GATED}
    workloads = keras.get("workloads") or ["w1", "w3"]
    rss_ours = load_json(os.path.join(work, "rss_kerasio.out")) or {}
    rss_keras = load_json(os.path.join(work, "rss_keras.out")) or {}
    errors_dir = os.path.join(work, "errors")
    errors = {name: open(os.path.join(errors_dir, name)).read().strip()
              for name in sorted(os.listdir(errors_dir))} if os.path.isdir(errors_dir) else {}
    for name, rss in (("rss_kerasio", rss_ours), ("rss_keras", rss_keras)):
        if rss and rss.get("returncode") != 0 and name not in errors:
            errors[name] = "the measured process exited with status %s" % rss.get("returncode")
    missing = False

    def get(d, key):
        value = d.get(key)
        return value if isinstance(value, (int, float)) else None

    rows = []

    def row(name, keras_text, ours_text, ratio, target_text, met, check):
        nonlocal missing
        diff, note = check if check else (None, None)
        if check is None:
            pred = "-"
        elif diff is None:
            pred = "ERROR: " + note
        else:
            pred = "%.2g (%s)%s" % (diff, note, "" if diff <= TOLERANCE else " MISMATCH > 1e-5")
        if met is None:
            verdict = "ERROR"
            missing = True
        elif check is not None and (diff is None or diff > TOLERANCE):
            verdict = "FAILED (predictions)"
        else:
            verdict = "yes" if met else "MISSED"
        ratio_text = "-" if ratio is None else ("%.0f×" % ratio if ratio >= 100 else "%.2f×" % ratio)
        rows.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, keras_text, ours_text, ratio_text, target_text, verdict, pred))

    gflops_rows = []  # (workload, Keras GFLOP/s, kerasio GFLOP/s, kerasio's computed here)
    if "w1" in workloads:
        w1_w2_rows(keras, b1, work, row, get)
    if "w3" in workloads:
        k3g, o3g, k4g, o4g = w3_w5_rows(keras, b3, rss_keras, rss_ours, work, row, get)
        gflops_rows += [("W3 inference", k3g, o3g, False), ("W4 training", k4g, o4g, False)]
    for name, (layer, gates) in GATED.items():
        if name in workloads:
            gflops_rows += gated_rows(name, layer, gates, keras, gated_bench[name], work, row, get)

    model, mhz, flags = cpu_info()
    cores = os.cpu_count() or 1
    peak_gflops, assumption = peak(cores, mhz, flags)
    benches = [b3, b1] + list(gated_bench.values())
    backend = next((b["backend"] for b in benches if b.get("backend")), "unknown (kerasio bench did not run)")
    threads = next((b["threads"] for b in benches if b.get("threads") is not None), None)
    kerasio_reps = next((b["repetitions"] for b in benches if b.get("repetitions") is not None), "?")
    print("## kerasio vs Keras\n")
    print("- machine: %s, %d cores%s, %s" % (
        model, cores, ", %.0f MHz" % mhz if mhz else "",
        "avx512f" if "avx512f" in flags else "avx2+fma" if {"avx2", "fma"} <= flags else "no avx2"))
    thread_text = "" if "thread" in backend else ", %s thread(s)" % (threads if threads is not None else "?")
    print("- kerasio ComputeBackend: %s%s" % (backend, thread_text))
    print("- Keras %s on TensorFlow %s (%s backend); each side in process (imports, start-up and file loading "
          "not timed), median of %s (Keras) and %s (kerasio) repetitions after a warm-up" % (
              keras.get("keras_version", "?"), keras.get("tensorflow_version", "?"), keras.get("backend", "?"),
              keras.get("reps", "?"), kerasio_reps))
    print("- ratio = how many times kerasio is faster (W1, W3, W4, W6, W7: time or samples/s; W2: Keras ns / "
          "kerasio ns; W5: Python RSS / kerasio RSS); predictions = max |kerasio - Keras| (relative where "
          "|Keras| > 1; W1: after 20 unshuffled epochs from the same initial weights, on the test windows; "
          "W4, W6/W7 training: after one unshuffled epoch, first 256 samples); above 1e-5 the row fails\n")
    print("| workload | Keras | kerasio | ratio | target | met | predictions (max diff) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    print("\nGFLOP/s (forward FLOPs per sample: W3 2·50·(8·128+128·128) + 2·128 = {:,}; W6 LSTM "
          "2·50·(8·4·128+128·4·128) + 2·128 = {:,}; W7 GRU 2·50·(8·3·128+128·3·128) + 2·128 = {:,}; training "
          "taken as 3×; activations not counted):\n".format(W3_FLOPS, gated_flops(4), gated_flops(3)))
    print("| workload | Keras | kerasio | peak |")
    print("|---|---|---|---|")
    peak_text = "%.1f" % peak_gflops if peak_gflops else "-"
    computed_any = False
    for name, k, o, computed in gflops_rows:
        cells = []
        for value, star in ((k, False), (o, computed)):
            if value is None:
                cells.append("-")
            else:
                share = " (%.1f%% of peak)" % (100 * value / peak_gflops) if peak_gflops else ""
                cells.append("%.2f%s%s" % (value, share, "*" if star else ""))
        computed_any = computed_any or (computed and o is not None)
        print("| %s | %s | %s | %s |" % (name, cells[0], cells[1], peak_text))
    print("\nKeras's GFLOP/s: its samples/s × the FLOPs above; kerasio's: `kerasio bench --json` gflops / "
          "fit_gflops" + ("; * = kerasio bench reported none, so its samples/s × the FLOPs above" if computed_any
                          else ""))
    print("peak: %s" % (("%.1f GFLOP/s = " % peak_gflops) + assumption if peak_gflops else assumption))

    if errors:
        print("\nFailed steps:")
        for name, text in errors.items():
            print("- %s: %s" % (name, " | ".join(line for line in text.splitlines() if line.strip())))
    return 1 if missing else 0


def w1_w2_rows(keras, b1, work, row, get):
    # W1: the tutorial's fit, seconds (Keras / kerasio).
    k1, o1 = get(keras, "w1_seconds"), get(b1, "fit_seconds")
    r1 = k1 / o1 if k1 and o1 else None
    row("W1 tutorial fit: 187×12×1, 20 epochs, batch 1, Adam+MSE", seconds_text(k1), seconds_text(o1), r1,
        "≥ 500× faster", None if r1 is None else r1 >= 500,
        max_diff(work, "kerasio_w1_pred.npy", "keras_w1_pred.npy"))
    # W2: one-sample latency.
    k2, o2 = get(keras, "w2_ns"), get(b1, "latency_ns")
    r2 = k2 / o2 if k2 and o2 else None
    row("W2 one-sample predict (W1's model, 1×12×1): Keras model(x)", seconds_text(k2 and k2 / 1e9),
        seconds_text(o2 and o2 / 1e9), r2, "kerasio ≤ 1 µs", None if o2 is None or k2 is None else o2 <= 1000,
        max_diff(work, "kerasio_w2_pred.npy", "keras_w2_pred.npy"))


def w3_w5_rows(keras, b3, rss_keras, rss_ours, work, row, get):
    # W3: inference throughput.
    k3, o3 = get(keras, "w3_samples_per_s"), get(b3, "throughput_samples_per_s")
    r3 = o3 / k3 if k3 and o3 else None
    k3g = k3 * W3_FLOPS / 1e9 if k3 else None
    o3g = get(b3, "gflops")
    row("W3 inference: SimpleRNN(128)+Dense(1), 4096×50×8, batch 256", rate_text(k3, k3g), rate_text(o3, o3g), r3,
        "≥ 2× Keras", None if r3 is None else r3 >= 2,
        max_diff(work, "kerasio_w3_pred.npy", "keras_w3_pred.npy"))
    # W4: training throughput.
    k4, o4 = get(keras, "w4_samples_per_s"), get(b3, "fit_samples_per_s")
    r4 = o4 / k4 if k4 and o4 else None
    k4g = 3 * k4 * W3_FLOPS / 1e9 if k4 else None
    o4g = get(b3, "fit_gflops")
    row("W4 training: W3's model, 1 epoch, batch 64, Adam+MSE", rate_text(k4, k4g), rate_text(o4, o4g), r4,
        "≥ 1.5× Keras", None if r4 is None else r4 >= 1.5,
        max_diff(work, "kerasio_w4_pred.npy", "keras_w4_pred.npy"))
    # W5: peak RSS of a predict process.
    k5 = get(rss_keras, "maxrss_kb") if rss_keras.get("returncode") == 0 else None
    o5 = get(rss_ours, "maxrss_kb") if rss_ours.get("returncode") == 0 else None
    r5 = k5 / o5 if k5 and o5 else None
    row("W5 peak RSS: predict W3's 4096 samples in a fresh process (Python: import keras, load, predict)",
        "%.0f MB" % (k5 / 1024) if k5 else "-", "%.1f MB" % (o5 / 1024) if o5 else "-", r5,
        "kerasio ≤ 1/10 of Python", None if r5 is None else r5 >= 10,
        max_diff(work, "kerasio_w3_pred.npy", "keras_w3_pred.npy"))
    return k3g, o3g, k4g, o4g


def gated_rows(name, layer, gates, keras, bench, work, row, get):
    """W6 / W7's inference and training rows; their GFLOP/s rows."""
    label = name.upper()
    flops = gated_flops(gates)
    ki, oi = get(keras, name + "_samples_per_s"), get(bench, "throughput_samples_per_s")
    kt, ot = get(keras, name + "_fit_samples_per_s"), get(bench, "fit_samples_per_s")
    kig = ki * flops / 1e9 if ki else None
    ktg = 3 * kt * flops / 1e9 if kt else None
    # kerasio's own count where `kerasio bench --json` has one, else the same formula as Keras's.
    oig, oi_computed = get(bench, "gflops"), False
    if oig is None and oi:
        oig, oi_computed = oi * flops / 1e9, True
    otg, ot_computed = get(bench, "fit_gflops"), False
    if otg is None and ot:
        otg, ot_computed = 3 * ot * flops / 1e9, True
    ri = oi / ki if ki and oi else None
    rt = ot / kt if kt and ot else None
    extra = " (reset_after)" if layer == "GRU" else ""
    row("%s inference: %s(128)%s+Dense(1), 4096×50×8, batch 256" % (label, layer, extra),
        rate_text(ki, kig), rate_text(oi, oig), ri, "≥ 3× Keras", None if ri is None else ri >= 3,
        max_diff(work, "kerasio_%s_pred.npy" % name, "keras_%s_pred.npy" % name))
    row("%s training: %s's model, 1 epoch, batch 64, Adam+MSE" % (label, label),
        rate_text(kt, ktg), rate_text(ot, otg), rt, "≥ 2× Keras", None if rt is None else rt >= 2,
        max_diff(work, "kerasio_%s_fit_pred.npy" % name, "keras_%s_fit_pred.npy" % name))
    return [("%s inference" % label, kig, oig, oi_computed), ("%s training" % label, ktg, otg, ot_computed)]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
