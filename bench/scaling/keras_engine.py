"""Keras 3 (TensorFlow backend) half of the LSTM scaling sweep.

  keras_engine.py make WORK
      builds every model of the sweep (seed 1) and saves WORK/<model>.h5,
      the inputs WORK/x_s<steps>.npy (seeded standard normal, float32) and
      Keras's reference predictions WORK/ref_<model>.npy = model(x[:8]).
  keras_engine.py time WORK GROUP REPS THREADS OUT.json
      times Keras on the points of GROUP (units | steps | batch) in this
      process, TensorFlow intra- and inter-op threads THREADS.
      Throughput: the fastest of model.predict(x, batch_size=B), a
      tf.function wrapping model(x) called batch by batch, and eager model(x)
      batch by batch (picked on a short pass of up to 4 batches; eager is
      skipped when one 1-sample call already takes longer than the best
      candidate's batch), then REPS passes over the point's samples.
      Latency: eager model(x) on one sample and the tf.function on one
      sample; the faster is reported (latency_how says which; both quick
      figures are kept in throughput_quick / latency_quick_ns).
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import points as P  # noqa: E402
from timing import finish_point, latency_ns, log, pass_rate, short, write_json  # noqa: E402


def make(work):
    import numpy as np
    import keras
    L = keras.layers
    for steps in sorted({s for _, s in P.models().values()}):
        rng = np.random.default_rng(P.SEED + steps)
        x = rng.standard_normal((P.input_samples(steps), steps, P.FEATURES), dtype=np.float32)
        np.save(os.path.join(work, "x_s%d.npy" % steps), x)
    for name, (units, steps) in P.models().items():
        keras.utils.set_random_seed(P.SEED)
        model = keras.Sequential([keras.Input((steps, P.FEATURES)), L.LSTM(units), L.Dense(1)])
        # non-zero biases, so a bias mix-up in any engine shows
        rng = np.random.default_rng(P.SEED)
        for layer in model.layers:
            ws = layer.get_weights()
            if len(ws) > 1:
                ws[-1] = ws[-1] + rng.normal(0, 0.1, ws[-1].shape).astype(np.float32)
                layer.set_weights(ws)
        model.save(os.path.join(work, name + ".h5"))
        x = np.load(os.path.join(work, "x_s%d.npy" % steps), mmap_mode="r")
        np.save(os.path.join(work, "ref_%s.npy" % name), np.asarray(model(np.array(x[:P.CHECK_SAMPLES]))))
        log("keras make", "%s (%d units, %d steps)" % (name, units, steps))


def time_group(work, group, reps, threads, out_path):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import numpy as np
    import keras
    result = {"engine": "keras", "version": "Keras %s, TensorFlow %s" % (keras.__version__, tf.__version__),
              "threads": threads, "reps": reps, "points": {}}
    loaded = {}
    for p in P.groups()[group]:
        r = result["points"].setdefault(p["key"], {})
        started = time.perf_counter()
        try:
            if p["model"] not in loaded:
                loaded.clear()
                loaded[p["model"]] = keras.models.load_model(os.path.join(work, p["model"] + ".h5"), compile=False)
            model = loaded[p["model"]]
            ref = np.load(os.path.join(work, "ref_%s.npy" % p["model"]))
            x_all = np.load(os.path.join(work, "x_s%d.npy" % p["steps"]))
            batch, samples = p["batch"], p["samples"]
            x = x_all[:samples]
            checks = {}

            one = tf.convert_to_tensor(x[:1])
            fn = tf.function(lambda t: model(t, training=False))

            def eager_once():
                """Seconds of one eager model(x) call on one sample (a second call when the first was quick)."""
                t0 = time.perf_counter()
                model(one)
                took = time.perf_counter() - t0
                if took < 1.0:
                    t0 = time.perf_counter()
                    model(one)
                    took = time.perf_counter() - t0
                return took

            # ---- latency (first: its eager figure bounds the eager batch cost) --
            eager_one = None
            if p["latency"]:
                candidates = {"model(x)": lambda: model(one), "tf.function(model)": lambda: fn(one)}
                lat_quick = {}
                fn(one)  # traces the tf.function
                t0 = time.perf_counter()
                fn(one)
                lat_quick["tf.function(model)"] = (time.perf_counter() - t0) * 1e9
                eager_one = eager_once()
                lat_quick["model(x)"] = eager_one * 1e9
                label = min(lat_quick, key=lat_quick.get)
                ns, runs, calls = latency_ns(reps, candidates[label])
                checks["latency"] = P.check(np.asarray(candidates[label]()), ref[:1])
                r.update(latency_ns=ns, latency_reps_ns=runs, latency_calls=calls, latency_how=label,
                         latency_quick_ns=lat_quick)

            # ---- throughput --------------------------------------------------
            batches = [tf.convert_to_tensor(x[i:i + batch]) for i in range(0, samples, batch)]

            def by_predict(n=samples):
                return model.predict(x[:n], batch_size=batch, verbose=0)

            def by_call(k=len(batches)):
                return np.concatenate([np.asarray(model(b)) for b in batches[:k]])

            def by_function(k=len(batches)):
                return np.concatenate([np.asarray(fn(b)) for b in batches[:k]])

            runners = {"predict(batch_size=B)": by_predict, "tf.function(model) per batch": by_function,
                       "model(x) per batch": by_call}
            quick = {}
            q_batches = min(len(batches), 4)
            by_predict(batch)  # warm-up: traces the predict function
            t0 = time.perf_counter()
            by_predict(q_batches * batch)
            quick["predict(batch_size=B)"] = q_batches * batch / (time.perf_counter() - t0)
            by_function(1)  # warm-up: traces fn for this batch shape
            t0 = time.perf_counter()
            by_function(q_batches)
            quick["tf.function(model) per batch"] = q_batches * batch / (time.perf_counter() - t0)
            # eager model(x): one batch costs at least one 1-sample call, so it
            # is tried only when that bound could beat the best so far
            if eager_one is None:
                eager_one = eager_once()
            best = max(quick.values())
            if batch / eager_one > best / 1.5:
                by_call(1)
                t0 = time.perf_counter()
                by_call(q_batches)
                quick["model(x) per batch"] = q_batches * batch / (time.perf_counter() - t0)
            else:
                quick["model(x) per batch (bound from one 1-sample call; not run)"] = batch / eager_one
            how = max((k for k in quick if k in runners), key=quick.get)
            run_all = runners[how]
            rate, runs = pass_rate(reps, run_all, samples)
            out = by_predict(batch) if how.startswith("predict") else run_all(1)
            k = min(batch, P.CHECK_SAMPLES)
            checks["throughput"] = P.check(out[:k], ref[:k])
            r.update(throughput_samples_per_s=rate, throughput_reps=runs, throughput_how=how,
                     throughput_quick=quick, samples=samples, batch=batch)
            r["check"] = {k: {"ok": ok, "worst": worst} for k, (ok, worst) in checks.items()}
        except Exception as exc:  # a failed point is a FAILED cell, the others still run
            import traceback
            traceback.print_exc()
            r["error"] = "FAILED: " + short(exc)
        finish_point("keras", p["key"], r, started, out_path, result)
    write_json(out_path, result)


def main(argv):
    if len(argv) == 3 and argv[1] == "make":
        make(argv[2])
    elif len(argv) == 7 and argv[1] == "time":
        time_group(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
