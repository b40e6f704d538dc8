"""Prints bench/run's markdown table from its work directory and writes the
raw results as WORK/results.json.

Inputs (all in WORK): keras.json (Keras's training timings, versions,
workloads), peers/ENGINE/tT.json (each engine's timings at T threads, from
bench/peers/engine.py or keras2c_peer.py) with their predictions
peers/ENGINE/tT_M_one.npy / _batch.npy, kerasio's `kerasio bench --json`
outputs (bench_M_tT.out), its predictions (kerasio_*.npy), the peak RSS
outputs (rss_*.out) and errors/ (failed steps). Issue 14's streaming step
(st): keras_st_tT.json / keras_st_stream_tT.npy (keras_workloads.py stream),
stream_st_tT.out (predict-latency --stream) and kerasio_st_stream.npy, all
checked against keras_st_seq.npy. Issue 15's Conv1D model (c) is a batch
row like x, against Keras's predict.

Every engine's predictions are checked against Keras's reference
predictions (keras_*.npy, made by keras_workloads.py make): max of
|engine - Keras| / max(1, |Keras|), as the tests compare; above 1e-5 the
cell says WRONG and does not count as the best peer; for kerasio the row
fails.

Usage: workloads_report.py WORKDIR
Exit status 1 when a kerasio or Keras measurement is missing, else 0 (also
when targets are missed)."""
import json
import os
import platform
import re
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-5
PEERS = ("tflite", "ort", "ort-native", "keras2c")
ENGINES = ("keras",) + PEERS
TITLES = {"keras": "Keras", "tflite": "TF Lite", "ort": "ORT (tf2onnx)", "ort-native": "ORT (native ops)",
          "keras2c": "keras2c", "kerasio": "kerasio"}
MODELS = {
    "t": "tutorial SimpleRNN(3)+Dense(1), 12×1",
    "s": "SimpleRNN(128)+Dense(1), 50×8",
    "l": "LSTM(128)+Dense(1), 50×8",
    "g": "GRU(128, reset_after)+Dense(1), 50×8",
    "k": "LSTM(64)→LSTM(64)+Dense(1), 50×8",
    "st": "issue 14: LSTM(64)+Dense(1), 8 features, streamed",
    "x": "issue 14: Embedding(20000,128,mask_zero)+Bidirectional(LSTM(64))+Dense(1,sigmoid), 200 int32 ids",
    "c": "issue 15: Conv1D(64,5)+MaxPooling1D+LSTM(64)+Dense(1), 200×8",
}
# recurrent layers (gates, input features, units) per model, for forward FLOPs per sample
LAYERS = {"t": [(1, 1, 3)], "s": [(1, 8, 128)], "l": [(4, 8, 128)], "g": [(3, 8, 128)],
          "k": [(4, 8, 64), (4, 64, 64)], "x": [(4, 128, 64), (4, 128, 64)],  # x: both directions
          "c": [(4, 64, 64)]}
STEPS = {"t": 12, "s": 50, "l": 50, "g": 50, "k": 50, "x": 200, "c": 98}  # c: the LSTM's steps after pooling
# convolutions (output steps, kernel size × input channels, filters) per model
CONVS = {"c": [(196, 5 * 8, 64)]}
BATCH_SAMPLES = {"c": 2048}  # the rest: 4096
BATCH_TARGETS = {1: 1.5, 2: 2.0}  # kerasio / fastest peer, batch throughput, SimpleRNN/LSTM/GRU
PEAK_SHARE_TARGET = 0.40
LATENCY_TARGET = 1.5
TRAIN_TARGET = 3.0
TUTORIAL_FIT_TARGET = 1000.0
MEM_GROWTH_LIMIT = 1.10
STREAM_STEP_TARGET_NS = 1000.0  # issue 14: one streamed step of LSTM(64) at most 1 µs
TEXT_TARGET = 3.0  # issue 14: text model batch throughput at least this times Keras's  # 3M-sample peak RSS at most this times the 1M one
CONV_TARGET = 3.0  # issue 15: Conv1D + LSTM model batch throughput at least this times Keras's predict


def flops(m):
    """Forward FLOPs per sample (multiply-adds × 2; activations not counted)."""
    total = sum(2 * STEPS[m] * (f * g * u + u * g * u) for g, f, u in LAYERS[m])
    total += sum(2 * steps * window * filters for steps, window, filters in CONVS.get(m, []))
    return total + 2 * LAYERS[m][-1][2]


def load_json(path, last_line=False):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1] if last_line else text)
    except (OSError, ValueError, IndexError):
        return None


def max_diff(ours_path, theirs_path, rows=None):
    """(max difference, note) or (None, why)."""
    if not os.path.exists(ours_path):
        return None, "no predictions"
    if not os.path.exists(theirs_path):
        return None, "no Keras predictions"
    a, b = np.load(ours_path).astype(np.float64), np.load(theirs_path).astype(np.float64)
    if rows is not None:
        a = a[:rows]
    if a.shape != b.shape:
        return None, "shape %s vs Keras %s" % (a.shape, b.shape)
    if a.size == 0:
        return None, "no values"
    if not np.all(np.isfinite(a)):
        return None, "NaN/inf"
    return float(np.max(np.abs(a - b) / np.maximum(1, np.abs(b)))), "%d values" % a.size


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
    source = "cpu MHz in /proc/cpuinfo"
    ghz_in_name = re.search(r"@\s*([0-9.]+)\s*GHz", model)
    if ghz_in_name:
        mhz, source = float(ghz_in_name.group(1)) * 1000, "the CPU model name"
    else:
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
            found = re.search(r"CPU max MHz:\s*([0-9.]+)", out)
            if found and float(found.group(1)) > 0:
                mhz, source = float(found.group(1)), "lscpu's CPU max MHz"
        except OSError:
            pass
    return model, mhz, flags, source


def flops_per_cycle(flags):
    if "avx512f" in flags:
        return 64, "AVX-512F: 2 FMA units × 16 floats × 2 FLOP"
    if "avx2" in flags and "fma" in flags:
        return 32, "AVX2+FMA: 2 FMA units × 8 floats × 2 FLOP"
    return None, "no AVX2/FMA flags"


def seconds_text(s):
    if s is None:
        return "—"
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.1f ms" % (s * 1e3)
    if s >= 1e-6:
        return "%.2f µs" % (s * 1e6)
    return "%.0f ns" % (s * 1e9)


def rate_text(r):
    return "—" if r is None else "{:,.0f}/s".format(r)


def ratio_text(r):
    if r is None:
        return "—"
    return "%.0f×" % r if r >= 100 else "%.2f×" % r


def cell_text(text, limit=90):
    """A table cell: one line, pipes escaped, long failure reasons cut (results.json has them whole)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def main(work):
    keras = load_json(os.path.join(work, "keras.json")) or {}
    workloads = keras.get("workloads") or []
    models = [m for m in MODELS if m in workloads]
    errors_dir = os.path.join(work, "errors")
    errors = {name: open(os.path.join(errors_dir, name)).read().strip()
              for name in sorted(os.listdir(errors_dir))} if os.path.isdir(errors_dir) else {}
    selected_text = open(os.path.join(work, "peers", "selected")).read() if os.path.exists(
        os.path.join(work, "peers", "selected")) else " ".join(PEERS)
    selected = [p for p in PEERS if p in selected_text.split()]
    setup_error = None
    if os.path.exists(os.path.join(work, "peers", "setup_error")):
        setup_error = open(os.path.join(work, "peers", "setup_error")).read().strip()

    engines = {}  # (engine, threads) -> result json or None
    for e in ENGINES:
        for t in (1, 2):
            engines[(e, t)] = load_json(os.path.join(work, "peers", e, "t%d.json" % t))
    kerasio = {(m, t): load_json(os.path.join(work, "bench_%s_t%d.out" % (m, t)), last_line=True) or {}
               for m in models for t in (1, 2)}

    model_name, mhz, flags, mhz_source = cpu_info()
    cores = os.cpu_count() or 1
    per_cycle, simd = flops_per_cycle(flags)
    peak = {t: (t * mhz * 1e-3 * per_cycle if mhz and per_cycle else None) for t in (1, 2)}

    missing = []
    rows, results_rows = [], []

    def engine_failure(e, t):
        """Why engine e has no result at t threads (text), or None if it has one."""
        if e != "keras" and e not in selected:
            return "not run" if not setup_error else setup_error
        res = engines[(e, t)]
        if res is None:
            step = "%s_t%d" % (e, t) if e != "keras2c" else "keras2c"
            why = errors.get(step) or errors.get("convert_" + e)
            lines = [l for l in (why or "").splitlines()[1:] if l.strip()]
            return "FAILED: " + (lines[-1][:160] if lines else "no result")
        return None

    def engine_cell(e, m, t, kind, reference):
        """(text, value or None if it does not count, detail dict)."""
        if e == "keras2c" and t == 2:
            return "—", None, {"status": "n/a", "why": "single-threaded"}
        failure = engine_failure(e, t)
        if failure:
            return failure, None, {"status": "failed", "why": failure}
        r = (engines[(e, t)].get("models") or {}).get(m) or {}
        if "error" in r:
            status = "unsupported" if r["error"].startswith("unsupported") else "failed"
            return r["error"], None, {"status": status, "why": r["error"]}
        key = "latency_ns" if kind == "one" else "batch_samples_per_s"
        value = r.get(key)
        if not isinstance(value, (int, float)):
            return "FAILED: no %s" % key, None, {"status": "failed", "why": "no " + key}
        diff, note = max_diff(os.path.join(work, "peers", e, "t%d_%s_%s.npy" % (t, m, kind)),
                              os.path.join(work, reference))
        text = seconds_text(value / 1e9) if kind == "one" else rate_text(value)
        detail = {"status": "ok", "value": value, "max_diff": diff, "how": r.get(key.replace("_ns", "_how")
                  .replace("_samples_per_s", "_how"))}
        if diff is None:
            detail.update(status="unchecked", why=note)
            return "%s UNCHECKED (%s)" % (text, note), None, detail
        if diff > TOLERANCE:
            detail.update(status="wrong")
            return "%s WRONG (diff %.1g)" % (text, diff), None, detail
        return text, value, detail

    def add_row(workload, measurement, cells, kerasio_text, kerasio_value, kerasio_check, best, vs_best, vs_keras,
                target, met, extra=None):
        verdict = met
        if kerasio_value is None:
            verdict = "ERROR (no kerasio measurement)"
        elif kerasio_check is not None:
            diff, note = kerasio_check
            if diff is None or diff > TOLERANCE:
                verdict = "FAILED (kerasio predictions: %s)" % (note if diff is None else "diff %.1g" % diff)
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            workload, measurement, " | ".join(cell_text(c[0]) for c in cells), kerasio_text, best, ratio_text(vs_best),
            ratio_text(vs_keras), target, verdict))
        results_rows.append({"workload": workload, "measurement": measurement,
                             "engines": {e: c[2] for e, c in zip(ENGINES, cells)},
                             "kerasio": {"value": kerasio_value, "text": kerasio_text,
                                         "max_diff": None if kerasio_check is None else kerasio_check[0]},
                             "best_peer": best, "kerasio_vs_best_peer": vs_best, "kerasio_vs_keras": vs_keras,
                             "target": target, "met": verdict, **(extra or {})})

    def no_cells(text="—"):
        return [(text, None, {"status": "n/a"}) for _ in ENGINES]

    # ---- latency rows ------------------------------------------------------------------
    for m in models:
        if m in ("st", "x", "c"):
            continue
        cells = []
        for e in ENGINES:
            options = [engine_cell(e, m, t, "one", "keras_%s_one.npy" % m) for t in ((1,) if e == "keras2c" else (1, 2))]
            counted = [c for c in options if c[1] is not None]
            cells.append(min(counted, key=lambda c: c[1]) if counted else options[0])
        lat = [kerasio[(m, t)].get("latency_ns") for t in (1, 2)]
        lat = [v for v in lat if isinstance(v, (int, float))]
        ours = min(lat) if lat else None
        if ours is None:
            missing.append("kerasio latency %s" % m)
        if cells[0][1] is None:
            missing.append("Keras latency %s" % m)
        peers = [(c[1], TITLES[e]) for e, c in zip(ENGINES, cells) if e != "keras" and c[1] is not None]
        best = min(peers) if peers else None
        vs_best = best[0] / ours if best and ours else None
        vs_keras = cells[0][1] / ours if cells[0][1] and ours else None
        target = "≥ %.1f× best peer" % LATENCY_TARGET + ("; ≤ 1 µs" if m == "t" else "")
        if ours is None:
            met = "ERROR"
        else:
            ok = vs_best is None or vs_best >= LATENCY_TARGET
            ok = ok and (m != "t" or ours <= 1000)
            met = ("MET" if ok else "MISSED") + (" (no peer)" if vs_best is None else "")
        add_row(MODELS[m], "1-sample latency", cells, seconds_text(ours and ours / 1e9), ours,
                max_diff(os.path.join(work, "kerasio_%s_one.npy" % m), os.path.join(work, "keras_%s_one.npy" % m)),
                "%s (%s)" % (best[1], seconds_text(best[0] / 1e9)) if best else "—", vs_best, vs_keras, target, met)

    # ---- batch throughput rows -----------------------------------------------------------
    for m in models:
        if m in ("t", "st"):
            continue
        for t in (1, 2):
            cells = [engine_cell(e, m, t, "batch", "keras_%s_pred.npy" % m) if e != "keras2c" or m != "x"
                     else ("not run", None, {"status": "n/a", "why": "keras2c is not run on x"}) for e in ENGINES]
            b = kerasio[(m, t)]
            ours = b.get("throughput_samples_per_s")
            ours = ours if isinstance(ours, (int, float)) else None
            gflops = b.get("gflops") if isinstance(b.get("gflops"), (int, float)) else (
                ours * flops(m) / 1e9 if ours else None)
            share = gflops / peak[t] if gflops and peak[t] else None
            if ours is None:
                missing.append("kerasio batch %s t%d" % (m, t))
            if cells[0][1] is None:
                missing.append("Keras batch %s t%d" % (m, t))
            peers = [(c[1], TITLES[e]) for e, c in zip(ENGINES, cells) if e != "keras" and c[1] is not None]
            best = max(peers) if peers else None
            vs_best = ours / best[0] if best and ours else None
            vs_keras = ours / cells[0][1] if cells[0][1] and ours else None
            ours_text = rate_text(ours)
            if gflops:
                ours_text += " (%.1f GFLOP/s%s)" % (gflops, ", %.0f%% of peak" % (100 * share) if share else "")
            if m == "k":
                target, met = "— (none set)", "—" if ours else "ERROR"
            elif m in ("x", "c"):
                wanted = TEXT_TARGET if m == "x" else CONV_TARGET
                target = "≥ %.0f× Keras" % wanted
                met = ("ERROR" if ours is None else "MISSED (no Keras)" if vs_keras is None
                       else "MET" if vs_keras >= wanted else "MISSED")
                if m == "c" and ours:
                    # The issue words c's target against Keras's predict(); the verdict takes Keras's
                    # fastest batch call (as x's does), and this shows predict() itself too (its one
                    # candidate-picking pass, not the median of repetitions).
                    keras_result = ((engines[("keras", t)] or {}).get("models") or {}).get(m) or {}
                    predict_rate = (keras_result.get("batch_candidates_samples_per_s") or {}).get(
                        "predict(batch_size=256)")
                    if isinstance(predict_rate, (int, float)) and predict_rate > 0:
                        met += "; vs Keras predict() alone (one pass): %.2f× %s" % (
                            ours / predict_rate, "MET" if ours / predict_rate >= wanted else "MISSED")
            else:
                target = "≥ %.1f× best peer; ≥ %.0f%% of peak" % (BATCH_TARGETS[t], 100 * PEAK_SHARE_TARGET)
                if ours is None:
                    met = "ERROR"
                else:
                    why = []
                    if vs_best is not None and vs_best < BATCH_TARGETS[t]:
                        why.append("peer ratio")
                    if share is None or share < PEAK_SHARE_TARGET:
                        why.append("peak share")
                    met = "MET" if not why else "MISSED (%s)" % ", ".join(why)
            add_row(MODELS[m], "{:,} samples%s, batch 256, %d thread%s".format(BATCH_SAMPLES.get(m, 4096)) % (
                    " (right-padded, mask)" if m == "x" else "", t, "" if t == 1 else "s"), cells,
                    ours_text, ours,
                    max_diff(os.path.join(work, "kerasio_%s_pred.npy" % m), os.path.join(work, "keras_%s_pred.npy" % m)),
                    "%s (%s)" % (best[1], rate_text(best[0])) if best else "—", vs_best, vs_keras, target, met,
                    {"threads": t, "kerasio_gflops": gflops, "kerasio_peak_share": share, "peak_gflops": peak[t]})

    # ---- issue 14's streaming step ----------------------------------------------------------
    if "st" in models:
        options = []
        for t in (1, 2):
            res = load_json(os.path.join(work, "keras_st_t%d.json" % t))
            if not res or not isinstance(res.get("step_ns"), (int, float)):
                why = (res or {}).get("error") or errors.get("keras_st_t%d" % t) or "no result"
                options.append(("FAILED: " + why.splitlines()[-1][:160], None, {"status": "failed", "why": why}))
                continue
            diff, note = max_diff(os.path.join(work, "keras_st_stream_t%d.npy" % t), os.path.join(work, "keras_st_seq.npy"))
            detail = {"status": "ok", "value": res["step_ns"], "max_diff": diff, "how": res.get("how"), "threads": t,
                      "candidates": res.get("candidates")}
            text = "%s (%s)" % (seconds_text(res["step_ns"] / 1e9), res.get("how"))
            if diff is None or diff > TOLERANCE:
                detail["status"] = "wrong"
                options.append(("%s WRONG (%s)" % (text, note if diff is None else "diff %.1g" % diff), None, detail))
            else:
                options.append((text, res["step_ns"], detail))
        counted = [c for c in options if c[1] is not None]
        keras_cell = min(counted, key=lambda c: c[1]) if counted else options[0]
        cells = [keras_cell] + [("—", None, {"status": "n/a"}) for _ in PEERS]
        steps_ns = []
        for t in (1, 2):
            try:
                found = re.search(r"kerasio_stream_step_ns\s+([0-9.]+)", open(os.path.join(work, "stream_st_t%d.out" % t)).read())
            except OSError:
                found = None
            if found:
                steps_ns.append(float(found.group(1)))
        ours = min(steps_ns) if steps_ns else None
        if ours is None:
            missing.append("kerasio streaming step")
        if keras_cell[1] is None:
            missing.append("Keras streaming step")
        vs_keras = keras_cell[1] / ours if keras_cell[1] and ours else None
        met = "ERROR" if ours is None else "MET" if ours <= STREAM_STEP_TARGET_NS else "MISSED"
        add_row(MODELS["st"], "1 step of 1 sample, state carried (fastest of 1 and 2 threads)", cells,
                seconds_text(ours and ours / 1e9), ours,
                max_diff(os.path.join(work, "kerasio_st_stream.npy"), os.path.join(work, "keras_st_seq.npy")),
                "—", None, vs_keras, "≤ 1 µs per step", met)

    # ---- training rows -------------------------------------------------------------------
    for m in models:
        if m in ("st", "x", "c"):
            continue
        b = kerasio[(m, 2)]
        if m == "t":
            k = keras.get("t_fit_seconds")
            o = b.get("fit_seconds")
            k = k if isinstance(k, (int, float)) else None
            o = o if isinstance(o, (int, float)) else None
            ratio = k / o if k and o else None
            cells = no_cells()
            cells[0] = (seconds_text(k), k, {"status": "ok" if k else "failed", "value": k})
            if k is None:
                missing.append("Keras tutorial fit")
            if o is None:
                missing.append("kerasio tutorial fit")
            add_row(MODELS[m], "fit: 187 samples, 20 epochs, batch 1, Adam+MSE (both cores)", cells,
                    seconds_text(o), o,
                    max_diff(os.path.join(work, "kerasio_t_fit_pred.npy"), os.path.join(work, "keras_t_fit_pred.npy")),
                    "—", None, ratio, "≥ %.0f× Keras" % TUTORIAL_FIT_TARGET,
                    "ERROR" if ratio is None else "MET" if ratio >= TUTORIAL_FIT_TARGET else "MISSED")
            continue
        k = keras.get(m + "_fit_samples_per_s")
        o = b.get("fit_samples_per_s")
        k = k if isinstance(k, (int, float)) else None
        o = o if isinstance(o, (int, float)) else None
        ratio = o / k if k and o else None
        cells = no_cells()
        cells[0] = (rate_text(k), k, {"status": "ok" if k else "failed", "value": k})
        if k is None:
            missing.append("Keras fit %s" % m)
        if o is None:
            missing.append("kerasio fit %s" % m)
        add_row(MODELS[m], "fit: 4096 samples, 1 epoch, batch 64, Adam+MSE (both cores)", cells, rate_text(o), o,
                max_diff(os.path.join(work, "kerasio_%s_fit_pred.npy" % m), os.path.join(work, "keras_%s_fit_pred.npy" % m)),
                "—", None, ratio, "≥ %.0f× Keras" % TRAIN_TARGET,
                "ERROR" if ratio is None else "MET" if ratio >= TRAIN_TARGET else "MISSED")

    # ---- memory rows -------------------------------------------------------------------
    if "mem" in workloads:
        rss = {}
        for size in ("1m", "3m"):
            r = load_json(os.path.join(work, "rss_%s.out" % size), last_line=True) or {}
            rss[size] = r.get("maxrss_kb") if r.get("returncode") == 0 else None
            if r and r.get("returncode") != 0 and "rss_" + size not in errors:
                errors["rss_" + size] = "kerasio predict exited with status %s" % r.get("returncode")
        for size, label in (("1m", "1,000,000"), ("3m", "3,000,000")):
            kb = rss[size]
            if kb is None:
                missing.append("kerasio peak RSS %s" % size)
            check = None
            target, met = "—", "—" if kb else "ERROR"
            if size == "1m":
                check = max_diff(os.path.join(work, "kerasio_mem_1m.npy"), os.path.join(work, "keras_mem_pred.npy"),
                                 rows=keras.get("mem_check_rows", 1000))
            else:
                target = "peak independent of input length (≤ %.2f× the 1M peak)" % MEM_GROWTH_LIMIT
                if kb and rss["1m"]:
                    met = "MET (%.2f× the 1M peak)" % (kb / rss["1m"]) if kb <= MEM_GROWTH_LIMIT * rss["1m"] else "MISSED (%.2f× the 1M peak)" % (
                        kb / rss["1m"])
                else:
                    met = "ERROR"
            add_row(MODELS["t"], "`kerasio predict` peak RSS, %s samples → .npy" % label, no_cells(),
                    "%.1f MB" % (kb / 1024) if kb else "—", kb, check, "—", None, None, target, met)

    # ---- print -------------------------------------------------------------------------------
    version = lambda e: next((engines[(e, t)].get("version") for t in (1, 2) if engines[(e, t)]), None)
    kerasio_version = (open(os.path.join(work, "kerasio_version")).read().strip()
                       if os.path.exists(os.path.join(work, "kerasio_version")) else "?")
    backend = next((b.get("backend") for b in kerasio.values() if b.get("backend")), "?")
    isa = "AVX-512F" if "avx512f" in flags else "AVX2+FMA" if {"avx2", "fma"} <= flags else "no AVX2"
    print("## kerasio vs Keras and peers\n")
    print("- machine: %s, %d cores, %s%s" % (model_name, cores, isa, ", %.0f MHz (%s)" % (mhz, mhz_source) if mhz else ""))
    print("- peak (assumed): threads × %.2f GHz × %s FLOP/cycle (%s): %s" % (
        (mhz or 0) / 1000, per_cycle, simd, ", ".join("%d thread%s %.1f GFLOP/s" % (t, "" if t == 1 else "s", peak[t])
                                                       for t in (1, 2) if peak[t])))
    print("- kerasio: %s (ComputeBackend %s); KERASIO_THREADS=1/2" % (kerasio_version, re.sub(r", \d+ threads?$", "", backend)))
    for e in ENGINES:
        if e == "keras":
            print("- Keras: Keras %s, TensorFlow %s (%s backend)" % (
                keras.get("keras_version", "?"), keras.get("tensorflow_version", "?"), keras.get("backend", "?")))
        elif not [m for m in models if m in ("t", "s", "l", "g", "k", "c") + (() if e == "keras2c" else ("x",))]:
            print("- %s: not run (no peer workloads)" % TITLES[e])
        elif e in selected:
            print("- %s: %s" % (TITLES[e], version(e) or engine_failure(e, 1) or "?"))
        else:
            print("- %s: not run%s" % (TITLES[e], " (%s)" % setup_error if setup_error else " (BENCH_PEERS)"))
    print("- each engine in its own process per thread count; fastest in-process call; median of %s repetitions "
          "after a warm-up; latency = the fastest over 1 and 2 threads; speed-up = how many times kerasio is "
          "faster (time ratio for latency, samples/s ratio for throughput); best peer = fastest of TF Lite, ORT "
          "(tf2onnx), ORT (native ops), keras2c whose predictions match Keras's within 1e-5 (WRONG cells do not "
          "count); training and fit: both cores, Keras in one process (keras_workloads.py)" % keras.get("reps", "?"))
    print("- calls timed: Keras the fastest of model(x), tf.function and tf.function(jit_compile=True) "
          "(latency) and of predict(batch_size=256), tf.function and XLA per batch of 256 (throughput); TF Lite "
          "set_tensor+invoke on a batch-1 model, set_tensor+invoke+get_tensor per batch on a batch-256 model "
          "(default XNNPACK delegate); ORT the fastest of run, run_with_ort_values and IOBinding (latency), run "
          "per batch of 256 (throughput); keras2c one call per sample, 1 thread; kerasio `kerasio bench --json` "
          "latency_ns and throughput_samples_per_s")
    if "st" in models or "x" in models:
        print("- issue 14: streaming step (st): Keras a stateful copy (batch_shape (1, 1, 8), same weights), the "
              "fastest of model(x, training=False), tf.function, tf.function(jit_compile=True) and predict_on_batch "
              "whose step-by-step outputs match Keras predicting the whole sequence within 1e-5; kerasio "
              "StreamingSession.advance(steps: 1) (bench/PredictLatency --stream), its step outputs checked the "
              "same way, no peers. Text model (x): every engine as in the batch rows (int32 ids), keras2c not run")
    if "c" in models:
        print("- issue 15: Conv1D model (c): every engine as in the batch rows, 2048 samples of 200 × 8; target "
              "against Keras's fastest batch call (predict or tf.function per batch) in the same run")
    if os.path.exists(os.path.join(work, "elapsed_seconds")):
        print("- bench/run took %s s up to this report" % open(os.path.join(work, "elapsed_seconds")).read().strip())
    print()
    print("| workload | measurement | %s | kerasio | best peer | kerasio vs best peer | kerasio vs Keras | target | met |"
          % " | ".join(TITLES[e] for e in ENGINES))
    print("|" + "---|" * (len(ENGINES) + 8))
    print("\n".join(rows))
    if models:
        print("\nFLOPs per sample (forward, 2 per multiply-add, activations not counted): %s" % ", ".join(
            "%s %s" % (m, "{:,}".format(flops(m))) for m in models if m in LAYERS))
    if errors:
        print("\nFailed steps:")
        for name, text in errors.items():
            print("- %s: %s" % (name, " | ".join(l for l in text.splitlines() if l.strip())[:400]))
    if missing:
        print("\nMissing kerasio/Keras measurements: " + ", ".join(missing))
    step_seconds = {}
    if os.path.exists(os.path.join(work, "step_seconds")):
        for line in open(os.path.join(work, "step_seconds")):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                step_seconds[parts[0]] = int(parts[1])
    if step_seconds:
        print("\nSeconds per step: " + ", ".join("%s %d" % kv for kv in step_seconds.items()))

    results = {"machine": {"cpu": model_name, "cores": cores, "isa": isa, "mhz": mhz, "mhz_source": mhz_source,
                           "flops_per_cycle": per_cycle, "peak_gflops": peak},
               "versions": {e: version(e) for e in ENGINES} | {"kerasio": kerasio_version},
               "reps": keras.get("reps"), "workloads": workloads, "peers": selected, "rows": results_rows,
               "keras_training": {k: v for k, v in keras.items() if "fit" in k},
               "engines_raw": {"%s_t%d" % k: v for k, v in engines.items() if v},
               "kerasio_raw": {"%s_t%d" % k: v for k, v in kerasio.items() if v},
               "errors": errors, "missing": missing, "step_seconds": step_seconds}
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
