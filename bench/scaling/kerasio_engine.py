"""kerasio half of the LSTM scaling sweep: one `kerasio` process per point.

  kerasio_engine.py time WORK GROUP REPS THREADS KERASIO OUT.json
      for each point of GROUP (units | steps | batch):
        KERASIO_THREADS=THREADS kerasio bench <model>.h5 --input x_s<steps>.npy
            --batch B --samples N --repetitions REPS --json
        (latency: the first sample of the input; throughput: N samples at
        batch B), and checks `kerasio predict` on the first B samples (one
        batch of B, compared on the first 8) and on the first sample against
        Keras's model(x).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import points as P  # noqa: E402
from timing import finish_point, short, write_json  # noqa: E402


def time_group(work, group, reps, threads, kerasio, out_path):
    import numpy as np
    env = dict(os.environ, KERASIO_THREADS=str(threads))
    version = subprocess.run([kerasio, "--version"], capture_output=True, text=True).stdout.strip()
    result = {"engine": "kerasio", "version": "kerasio %s" % version, "threads": threads, "reps": reps,
              "points": {}}
    for p in P.groups()[group]:
        r = result["points"].setdefault(p["key"], {})
        started = time.perf_counter()
        try:
            model = os.path.join(work, p["model"] + ".h5")
            x_path = os.path.join(work, "x_s%d.npy" % p["steps"])
            command = [kerasio, "bench", model, "--input", x_path, "--batch", str(p["batch"]),
                       "--samples", str(p["samples"]), "--repetitions", str(reps), "--json"]
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise RuntimeError("kerasio bench: " + (done.stderr.strip().splitlines() or ["exit %d" % done.returncode])[-1])
            bench = json.loads(done.stdout.strip().splitlines()[-1])
            r["bench"] = bench
            r.update(throughput_samples_per_s=bench["throughput_samples_per_s"], samples=p["samples"],
                     batch=p["batch"], throughput_how="kerasio bench --batch B --samples N")
            if p["latency"]:
                r.update(latency_ns=bench["latency_ns"], latency_how="kerasio bench (1 sample)")
            # checks: kerasio predict on one batch of B and on one sample
            ref = np.load(os.path.join(work, "ref_%s.npy" % p["model"]))
            x = np.load(x_path, mmap_mode="r")
            checks = {}
            for label, n in (("throughput", p["batch"]), ("latency", 1)):
                if label == "latency" and not p["latency"]:
                    continue
                inp = os.path.join(work, "kerasio_check_in.npy")
                outp = os.path.join(work, "kerasio_check_out.npy")
                np.save(inp, np.ascontiguousarray(x[:n]))
                done = subprocess.run([kerasio, "predict", model, "--input", inp, "--output", outp],
                                      capture_output=True, text=True, env=env)
                if done.returncode != 0:
                    raise RuntimeError("kerasio predict: " + (done.stderr.strip().splitlines() or ["failed"])[-1])
                k = min(n, P.CHECK_SAMPLES)
                checks[label] = P.check(np.load(outp)[:k], ref[:k])
            r["check"] = {k: {"ok": ok, "worst": worst} for k, (ok, worst) in checks.items()}
        except Exception as exc:
            r["error"] = "FAILED: " + short(exc)
        finish_point("kerasio", p["key"], r, started, out_path, result)
    write_json(out_path, result)


def main(argv):
    if len(argv) == 8 and argv[1] == "time":
        time_group(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6], argv[7])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
