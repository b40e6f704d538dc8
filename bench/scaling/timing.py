"""Timing loops shared by the Keras and ONNX Runtime workers, shaped like
`kerasio bench`'s: latency is the median over repetitions of the mean time of
as many 1-sample calls as fill LATENCY_SECONDS (at least one call), after a
warm-up; throughput is the median over repetitions of samples / seconds for
one pass over all the point's samples in batches."""
import json
import os
import statistics
import sys
import time

LATENCY_SECONDS = 0.05


def log(who, message):
    print("%s: %s" % (who, message), file=sys.stderr, flush=True)


def latency_ns(reps, call):
    """(median ns per call, [ns per call of each repetition], calls per repetition)."""
    start = time.perf_counter()
    call()  # warm-up (callers have already made a first call)
    one = time.perf_counter() - start
    calls = max(1, int(LATENCY_SECONDS / max(one, 1e-9)))
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        runs.append((time.perf_counter() - start) / calls * 1e9)
    return statistics.median(runs), runs, calls


def pass_rate(reps, run_all, samples):
    """(median samples/s, [samples/s of each repetition]) of run_all()."""
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        run_all()
        runs.append(samples / (time.perf_counter() - start))
    return statistics.median(runs), runs


def short(exc):
    return " ".join(("%s: %s" % (type(exc).__name__, exc)).split())[:200]


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def finish_point(engine, key, r, started, out_path, result, hidden=("reps", "reps_ns", "bench")):
    """Stamps a point's seconds, logs it without its per-repetition lists and
    saves the results so far (a later failure keeps the points already timed)."""
    r["seconds"] = time.perf_counter() - started
    log(engine, "%s: %s" % (key, {k: v for k, v in r.items() if not any(k == h or k.endswith(h) for h in hidden)}))
    write_json(out_path, result)
