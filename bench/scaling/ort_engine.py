"""ONNX Runtime half of the LSTM scaling sweep (run with .venv-peers' Python).
The ONNX graphs use ONNX's native LSTM operator, built from the Keras
weights by bench/peers/onnx_native.py (build_onnx_native, ort_session).

  ort_engine.py convert WORK
      loads each WORK/<model>.h5 with Keras and writes WORK/<model>.onnx;
      WORK/onnx_convert.json holds {model: "ok" | "FAILED: ..."}.
  ort_engine.py time WORK GROUP REPS THREADS OUT.json
      times ONNX Runtime on the points of GROUP (units | steps | batch) in
      this process (no TensorFlow imported): throughput = session.run batch by
      batch over the point's samples, median of REPS passes after a one-batch
      warm-up; latency = session.run on one sample.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "peers"))

import points as P  # noqa: E402
from timing import finish_point, latency_ns, log, pass_rate, short, write_json  # noqa: E402


def convert(work):
    import keras
    from onnx_native import build_onnx_native
    status = {}
    for name in P.models():
        try:
            model = keras.models.load_model(os.path.join(work, name + ".h5"), compile=False)
            build_onnx_native(model, os.path.join(work, name + ".onnx"))
            status[name] = "ok"
        except Exception as exc:
            status[name] = "FAILED: convert: " + short(exc)
        log("ort convert", "%s: %s" % (name, status[name]))
    write_json(os.path.join(work, "onnx_convert.json"), status)


def time_group(work, group, reps, threads, out_path):
    import json
    import numpy as np
    import onnxruntime
    from onnx_native import ort_session
    status = json.load(open(os.path.join(work, "onnx_convert.json")))
    result = {"engine": "ort", "version": "ONNX Runtime %s (native LSTM operator)" % onnxruntime.__version__,
              "threads": threads, "reps": reps, "points": {}}
    sessions = {}
    for p in P.groups()[group]:
        r = result["points"].setdefault(p["key"], {})
        started = time.perf_counter()
        try:
            if status.get(p["model"]) != "ok":
                raise RuntimeError(status.get(p["model"], "not converted"))
            if p["model"] not in sessions:
                sessions.clear()
                sessions[p["model"]] = ort_session(os.path.join(work, p["model"] + ".onnx"), threads)
            session = sessions[p["model"]]
            ref = np.load(os.path.join(work, "ref_%s.npy" % p["model"]))
            x = np.load(os.path.join(work, "x_s%d.npy" % p["steps"]))
            batch, samples = p["batch"], p["samples"]
            batches = [np.ascontiguousarray(x[i:i + batch]) for i in range(0, samples, batch)]
            checks = {}

            def run(b):
                return session.run(["y"], {"x": b})[0]

            def run_all():
                return [run(b) for b in batches]
            out = run(batches[0])  # warm-up
            rate, runs = pass_rate(reps, run_all, samples)
            k = min(batch, P.CHECK_SAMPLES)
            checks["throughput"] = P.check(out[:k], ref[:k])
            r.update(throughput_samples_per_s=rate, throughput_reps=runs,
                     throughput_how="session.run per batch", samples=samples, batch=batch)
            if p["latency"]:
                one = np.ascontiguousarray(x[:1])
                run(one)
                ns, runs, calls = latency_ns(reps, lambda: run(one))
                checks["latency"] = P.check(run(one), ref[:1])
                r.update(latency_ns=ns, latency_reps_ns=runs, latency_calls=calls, latency_how="session.run")
            r["check"] = {k: {"ok": ok, "worst": worst} for k, (ok, worst) in checks.items()}
        except Exception as exc:
            import traceback
            traceback.print_exc()
            r["error"] = "FAILED: " + short(exc)
        finish_point("ort", p["key"], r, started, out_path, result)
    write_json(out_path, result)


def main(argv):
    if len(argv) == 3 and argv[1] == "convert":
        convert(argv[2])
    elif len(argv) == 7 and argv[1] == "time":
        time_group(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
