"""The Keras half of bench/run: builds each workload's model once in Keras 3
(TensorFlow backend), saves it as a legacy .h5 with its data as .npy into a
work directory, writes Keras's reference predictions (what every engine's
predictions are checked against) and times Keras's training in process
(imports, start-up and file loading are not timed): the median of REPS
repetitions after a warm-up. Keras's inference is timed like every other
engine's, in its own process per thread count (bench/peers/engine.py).

Usage:
  keras_workloads.py make --data data/monthly-sunspots.csv --work DIR [--reps 5]
                          [--only t,s,l,g,k,st,x,c,mem]
      writes DIR/M.h5 for each model M, M_one.npy (the one-sample latency
      input), x50.npy / y50.npy (4096 x 50 x 8 inputs, 4096 x 1 targets),
      keras_M_one.npy / keras_M_pred.npy (Keras's predictions), the fit
      checks and DIR/keras.json (training timings, versions, workloads)
  keras_workloads.py stream WORK THREADS REPS
      workload st in Keras: st.h5's LSTM(64)+Dense(1) rebuilt stateful with
      batch_shape (1, 1, 8) and the same weights, advanced one time step per
      call; each way to call (eager model(x, training=False), tf.function,
      tf.function(jit_compile=True), predict_on_batch) first feeds
      st_one.npy's steps one by one from zero states and must give
      keras_st_seq.npy (Keras predicting the whole sequence) within 1e-5;
      the fastest correct one is timed per step (median of REPS after a
      warm-up) at THREADS threads. Writes WORK/keras_st_tTHREADS.json and
      the step outputs WORK/keras_st_stream_tTHREADS.npy
  keras_workloads.py keras-predict MODEL X.npy OUT.npy
      a Python process: import keras, load MODEL, predict X at batch 256
  keras_workloads.py maxrss CMD [ARGS...]
      runs CMD as a child of a fresh process and prints its peak RSS as JSON
      ({"maxrss_kb": ..., "returncode": ...}) from getrusage(RUSAGE_CHILDREN)

Workloads (short names as BENCH_ONLY takes them):
  t   the tutorial's model: SimpleRNN(3, tanh) + Dense(1, tanh) on 12 x 1;
      its fit (sunspots train windows 187 x 12 x 1, Adam(0.001) + MSE,
      20 epochs at batch 1) is timed here
  s   SimpleRNN(128) + Dense(1) on 4096 x 50 x 8 (the old W3/W4)
  l   LSTM(128) + Dense(1) (the old W6)
  g   GRU(128) + Dense(1), Keras 3's default reset_after=True (the old W7)
  k   stacked LSTM(64, return_sequences=True) + LSTM(64) + Dense(1)
      s, l, g, k: one epoch of training at batch 64 (Adam + MSE) timed here
  st  issue 14's streaming step: LSTM(64) + Dense(1) on 8 features (st.h5,
      input 50 x 8), one time step of one sample per call with the state
      carried; st_one.npy (1 x 50 x 8) gives the steps; keras_st_seq.npy is
      Keras's output after each step, predicted on the whole sequence (the
      same weights with return_sequences=True, Dense on every step)
  x   issue 14's text model: Embedding(20000, 128, mask_zero=True) +
      Bidirectional(LSTM(64)) + Dense(1, sigmoid) on 200 int32 token ids;
      x_ids.npy: 4096 x 200 random ids in [1, 20000), each row right-padded
      with 0s after a random length in [20, 200] (a quarter full length);
      x_one.npy its first row; keras_x_one.npy / keras_x_pred.npy
  c   issue 15's convolutional model: Conv1D(64, 5) + MaxPooling1D +
      LSTM(64) + Dense(1) on 200 x 8 (valid padding: 196 conv steps, 98
      LSTM steps); c_x.npy: CONV_SAMPLES x 200 x 8 standard normal inputs,
      c_one.npy its first row; keras_c_one.npy / keras_c_pred.npy
  mem the tutorial's model (t.h5, untrained) on 100,000 and 1,000,000
      random 12 x 1 samples (mem_1m.npy, mem_3m.npy); Keras predicts the
      first MEM_CHECK rows of the 1M file (keras_mem_pred.npy)
"""
import json
import os
import statistics
import sys
import time

from sunspot_windows import sunspot_windows

SEED = 1
SAMPLES, STEPS, FEATURES, UNITS = 4096, 50, 8, 128
WORKLOADS = ("t", "s", "l", "g", "k", "st", "x", "c", "mem")
ST_STEPS, ST_UNITS = 50, 64
TEXT_SAMPLES, TEXT_STEPS, TEXT_VOCAB, TEXT_DIM, TEXT_UNITS = 4096, 200, 20000, 128, 64
# c: 2048 samples (8 batches of 256) keep its Keras and keras2c timings short
CONV_SAMPLES, CONV_STEPS, CONV_FILTERS, CONV_KERNEL, CONV_UNITS = 2048, 200, 64, 5, 64
ALIASES = {"w1": "t", "w2": "t", "w3": "s", "w4": "s", "w6": "l", "w7": "g"}
MEM_SIZES = {"mem_1m.npy": 1_000_000, "mem_3m.npy": 3_000_000}
MEM_CHECK = 1000


def keras_modules():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import keras
    return np, tf, keras


def log(message):
    print("keras_workloads: " + message, file=sys.stderr, flush=True)


def median_of(reps, body, before=None):
    """Median seconds of `reps` timed calls of body(); before() runs untimed first."""
    times = []
    for _ in range(reps):
        if before is not None:
            before()
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def recurrent_layers(keras, name):
    """The layers (after the Input) of workload s, l, g or k."""
    L = keras.layers
    return {
        "s": lambda: [L.SimpleRNN(UNITS), L.Dense(1)],
        "l": lambda: [L.LSTM(UNITS), L.Dense(1)],
        "g": lambda: [L.GRU(UNITS), L.Dense(1)],
        "k": lambda: [L.LSTM(64, return_sequences=True), L.LSTM(64), L.Dense(1)],
    }[name]()


def make(data_path, work, reps, only=WORKLOADS):
    np, tf, keras = keras_modules()
    out = {"keras_version": keras.__version__, "tensorflow_version": tf.__version__,
           "backend": keras.backend.backend(), "reps": reps, "workloads": list(only),
           "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
           "cpu_count": os.cpu_count()}

    def save(name, array):
        np.save(os.path.join(work, name), np.ascontiguousarray(array, dtype=np.float32))

    if "t" in only or "mem" in only:
        make_tutorial(np, tf, keras, data_path, work, reps, out, save, fit="t" in only)
    if "mem" in only:
        make_mem(np, keras, work, out, save)
    # s, l, g and k share one data set: 4096 x 50 x 8 inputs and 4096 x 1 targets.
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((SAMPLES, STEPS, FEATURES), dtype=np.float32)
    y = rng.standard_normal((SAMPLES, 1), dtype=np.float32)
    if {"s", "l", "g", "k"} & set(only):
        save("x50.npy", x)
        save("y50.npy", y)
        save("x50_256.npy", x[:256])
    for name in ("s", "l", "g", "k"):
        if name in only:
            make_recurrent(name, np, keras, work, reps, out, save, x, y)
    if "st" in only:
        make_stream(np, keras, work, out, save, x)
    if "x" in only:
        make_text(np, keras, work, out, save)
    if "c" in only:
        make_conv(np, keras, work, out, save)

    with open(os.path.join(work, "keras.json"), "w") as f:
        json.dump(out, f, indent=1)
    log("done")


def make_tutorial(np, tf, keras, data_path, work, reps, out, save, fit=True):
    # ---- t: the tutorial's model -------------------------------------------------------
    keras.utils.set_random_seed(SEED)
    train_x, train_y, test_x, _ = sunspot_windows(data_path)
    model = keras.Sequential([keras.Input((12, 1)), keras.layers.SimpleRNN(3, activation="tanh"),
                              keras.layers.Dense(1, activation="tanh")])
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.001))
    model.save(os.path.join(work, "t.h5"))
    initial = model.get_weights()
    save("t_fit_x.npy", train_x)
    save("t_fit_y.npy", train_y)
    save("t_test_x.npy", test_x)
    save("t_one.npy", train_x[:1])
    out["t_shape"] = list(train_x.shape)
    save("keras_t_one.npy", np.asarray(model(tf.convert_to_tensor(train_x[:1]))))
    if not fit:
        return

    # Fit check, also the warm-up of the timed fits: 20 unshuffled epochs from
    # the saved initial weights with the saved (fresh) optimizer, then predict
    # the test windows.
    log("t: fit check (20 unshuffled epochs) and warm-up")
    model.fit(train_x, train_y, epochs=20, batch_size=1, shuffle=False, verbose=0)
    save("keras_t_fit_pred.npy", model.predict(test_x, verbose=0))

    log("t: timing fit, 20 epochs at batch 1, %d repetitions" % reps)
    out["t_fit_seconds"], out["t_fit_reps_seconds"] = median_of(
        reps, lambda: model.fit(train_x, train_y, epochs=20, batch_size=1, verbose=0),
        before=lambda: model.set_weights(initial))
    out["t_fit_samples_per_s"] = len(train_x) * 20 / out["t_fit_seconds"]


def make_mem(np, keras, work, out, save):
    # ---- mem: long inputs for the tutorial model's `kerasio predict` ---------------------
    rng = np.random.default_rng(SEED + 1)
    for file, rows in MEM_SIZES.items():
        # random values in the tutorial's scaled range [0, 1)
        save(file, rng.random((rows, 12, 1), dtype=np.float32))
    model = keras.models.load_model(os.path.join(work, "t.h5"), compile=False)
    first = np.load(os.path.join(work, "mem_1m.npy"), mmap_mode="r")[:MEM_CHECK]
    save("keras_mem_pred.npy", model.predict(np.asarray(first), batch_size=256, verbose=0))
    out["mem_sizes"] = MEM_SIZES
    out["mem_check_rows"] = MEM_CHECK


def make_recurrent(name, np, keras, work, reps, out, save, x, y):
    """Workload s, l, g or k: builds and saves NAME.h5 (seed SEED), Keras's
    reference predictions (NAME_one.npy's sample with model(x), all of x
    with predict at batch 256), then one epoch of training at batch 64:
    keras_NAME_fit_pred.npy (first 256 samples after one unshuffled epoch
    from the saved weights) and the timing (NAME_fit_seconds, median of reps
    shuffled epochs from the saved weights)."""
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((STEPS, FEATURES))] + recurrent_layers(keras, name))
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam())
    model.save(os.path.join(work, name + ".h5"))
    initial = model.get_weights()
    save(name + "_one.npy", x[:1])
    save("keras_%s_one.npy" % name, np.asarray(model(x[:1])))
    save("keras_%s_pred.npy" % name, model.predict(x, batch_size=256, verbose=0))

    log("%s training: fit check (one unshuffled epoch) and warm-up" % name)
    model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    save("keras_%s_fit_pred.npy" % name, model.predict(x[:256], batch_size=256, verbose=0))
    log("%s training: timing fit, one epoch at batch 64, %d repetitions" % (name, reps))
    out[name + "_fit_seconds"], out[name + "_fit_reps_seconds"] = median_of(
        reps, lambda: model.fit(x, y, epochs=1, batch_size=64, verbose=0),
        before=lambda: model.set_weights(initial))
    out[name + "_fit_samples_per_s"] = SAMPLES / out[name + "_fit_seconds"]


def make_stream(np, keras, work, out, save, x):
    """Workload st: st.h5 (LSTM(64) + Dense(1) on 50 x 8, seed SEED),
    st_one.npy (x's first sample) and keras_st_seq.npy (50 x 1: the output
    after each step, Keras predicting the whole sequence)."""
    keras.utils.set_random_seed(SEED)
    L = keras.layers
    model = keras.Sequential([keras.Input((ST_STEPS, FEATURES)), L.LSTM(ST_UNITS), L.Dense(1)])
    model.save(os.path.join(work, "st.h5"))
    one = x[:1, :ST_STEPS]
    save("st_one.npy", one)
    every = keras.Sequential([keras.Input((ST_STEPS, FEATURES)), L.LSTM(ST_UNITS, return_sequences=True), L.Dense(1)])
    every.set_weights(model.get_weights())
    seq = every.predict(one, verbose=0)[0]  # (steps, 1)
    last = model.predict(one, verbose=0)
    # the per-step reference's last step is the plain model's prediction
    assert np.allclose(seq[-1], last[0], atol=1e-6), (seq[-1], last[0])
    save("keras_st_seq.npy", seq)
    out["st_shape"] = [1, ST_STEPS, FEATURES]


def make_text(np, keras, work, out, save):
    """Workload x: x.h5 (Embedding(mask_zero=True) + Bidirectional(LSTM(64)) +
    Dense(1, sigmoid), seed SEED), x_ids.npy / x_one.npy (int32) and Keras's
    predictions keras_x_one.npy (model(x)) and keras_x_pred.npy (predict, batch 256)."""
    keras.utils.set_random_seed(SEED)
    L = keras.layers
    model = keras.Sequential([keras.Input((TEXT_STEPS,), dtype="int32"),
                              L.Embedding(TEXT_VOCAB, TEXT_DIM, mask_zero=True),
                              L.Bidirectional(L.LSTM(TEXT_UNITS)), L.Dense(1, activation="sigmoid")])
    model.save(os.path.join(work, "x.h5"))
    rng = np.random.default_rng(SEED + 2)
    ids = rng.integers(1, TEXT_VOCAB, size=(TEXT_SAMPLES, TEXT_STEPS), dtype=np.int32)
    lengths = rng.integers(20, TEXT_STEPS + 1, size=TEXT_SAMPLES)
    lengths[rng.random(TEXT_SAMPLES) < 0.25] = TEXT_STEPS
    ids[np.arange(TEXT_STEPS)[None, :] >= lengths[:, None]] = 0
    np.save(os.path.join(work, "x_ids.npy"), ids)
    np.save(os.path.join(work, "x_one.npy"), ids[:1])
    save("keras_x_one.npy", np.asarray(model(ids[:1], training=False)))
    save("keras_x_pred.npy", model.predict(ids, batch_size=256, verbose=0))
    out["x_shape"] = list(ids.shape)
    out["x_mean_length"] = float(lengths.mean())


def make_conv(np, keras, work, out, save):
    """Workload c: c.h5 (Conv1D(64, 5) + MaxPooling1D + LSTM(64) + Dense(1),
    Keras's defaults otherwise, seed SEED), c_x.npy / c_one.npy and Keras's
    predictions keras_c_one.npy (model(x)) and keras_c_pred.npy (predict, batch 256)."""
    keras.utils.set_random_seed(SEED)
    L = keras.layers
    model = keras.Sequential([keras.Input((CONV_STEPS, FEATURES)), L.Conv1D(CONV_FILTERS, CONV_KERNEL),
                              L.MaxPooling1D(), L.LSTM(CONV_UNITS), L.Dense(1)])
    model.save(os.path.join(work, "c.h5"))
    rng = np.random.default_rng(SEED + 3)
    x = rng.standard_normal((CONV_SAMPLES, CONV_STEPS, FEATURES), dtype=np.float32)
    save("c_x.npy", x)
    save("c_one.npy", x[:1])
    save("keras_c_one.npy", np.asarray(model(x[:1], training=False)))
    save("keras_c_pred.npy", model.predict(x, batch_size=256, verbose=0))
    out["c_shape"] = list(x.shape)


def stream(work, threads, reps):
    """Keras's side of workload st (see the module docstring)."""
    np, tf, keras = keras_modules()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    L = keras.layers
    plain = keras.models.load_model(os.path.join(work, "st.h5"), compile=False)
    features = plain.inputs[0].shape[-1]
    model = keras.Sequential([keras.Input(batch_shape=(1, 1, features)),
                              L.LSTM(plain.layers[0].units, stateful=True), L.Dense(1)])
    model.set_weights(plain.get_weights())
    one = np.load(os.path.join(work, "st_one.npy"))
    reference = np.load(os.path.join(work, "keras_st_seq.npy")).astype(np.float64)
    steps = [tf.convert_to_tensor(one[:, i:i + 1]) for i in range(one.shape[1])]
    steps_np = [np.ascontiguousarray(one[:, i:i + 1]) for i in range(one.shape[1])]

    def reset():
        for layer in model.layers:
            if hasattr(layer, "reset_state"):
                layer.reset_state()

    fn = tf.function(lambda x: model(x, training=False))
    xla = tf.function(lambda x: model(x, training=False), jit_compile=True)
    candidates = {
        "model(x, training=False)": (lambda i: model(steps[i], training=False)),
        "tf.function": (lambda i: fn(steps[i])),
        "tf.function(jit_compile=True)": (lambda i: xla(steps[i])),
        "predict_on_batch": (lambda i: model.predict_on_batch(steps_np[i])),
    }
    result = {"threads": threads, "reps": reps, "version": "Keras %s, TensorFlow %s" % (keras.__version__, tf.__version__),
              "candidates": {}}
    outputs = {}
    for label, call in candidates.items():
        info = result["candidates"][label] = {}
        try:
            reset()
            got = np.array([np.asarray(call(i)).reshape(-1) for i in range(len(steps))], dtype=np.float64)
            diff = float(np.max(np.abs(got - reference) / np.maximum(1, np.abs(reference))))
            info["max_diff"] = diff
            info["correct"] = diff <= 1e-5
            outputs[label] = got
            # a rough time per step: doubling runs until one takes 50 ms
            calls = 1
            while True:
                start = time.perf_counter()
                for k in range(calls):
                    call(k % len(steps))
                elapsed = time.perf_counter() - start
                if elapsed >= 0.05:
                    break
                calls *= 2
            info["quick_ns"] = elapsed / calls * 1e9
        except Exception as exc:
            info["error"] = ("%s: %s" % (type(exc).__name__, " ".join(str(exc).split())))[:200]
    usable = {l: i["quick_ns"] for l, i in result["candidates"].items() if i.get("correct") and "quick_ns" in i}
    if not usable:
        result["error"] = "no way to call gave the whole-sequence outputs: " + json.dumps(result["candidates"])
    else:
        label = min(usable, key=usable.get)
        call = candidates[label]
        calls = max(50, int(0.2e9 / usable[label]))  # about 0.2 s per repetition
        for k in range(min(calls, 200)):  # warm-up
            call(k % len(steps))
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            for k in range(calls):
                call(k % len(steps))
            times.append((time.perf_counter() - start) / calls * 1e9)
        result.update(step_ns=statistics.median(times), step_reps_ns=times, how=label, calls_per_rep=calls)
        np.save(os.path.join(work, "keras_st_stream_t%d.npy" % threads), outputs[label].astype(np.float32))
    with open(os.path.join(work, "keras_st_t%d.json" % threads), "w") as f:
        json.dump(result, f, indent=1)
    log("st t%d: %s" % (threads, {k: v for k, v in result.items() if k != "step_reps_ns"}))
    return 0 if "error" not in result else 1


def keras_predict(model_path, x_path, out_path):
    np, _, keras = keras_modules()
    model = keras.models.load_model(model_path, compile=False)
    np.save(out_path, model.predict(np.load(x_path), batch_size=256, verbose=0))


def maxrss(command):
    import resource
    import subprocess
    with open(os.devnull, "w") as quiet:
        code = subprocess.run(command, stdout=quiet).returncode
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"maxrss_kb": kb, "returncode": code}))


def main(argv):
    if len(argv) >= 2 and argv[1] == "make":
        import argparse
        parser = argparse.ArgumentParser(prog="keras_workloads.py make")
        parser.add_argument("--data", required=True)
        parser.add_argument("--work", required=True)
        parser.add_argument("--reps", type=int, default=5)
        parser.add_argument("--only", default=",".join(WORKLOADS),
                            help="comma-separated workloads to make (default: %(default)s)")
        args = parser.parse_args(argv[2:])
        if args.reps < 3:
            parser.error("--reps must be at least 3")
        only = tuple(dict.fromkeys(ALIASES.get(w, w) for w in
                                   (w.strip().lower() for w in args.only.split(",")) if w))
        unknown = [w for w in only if w not in WORKLOADS]
        if unknown or not only:
            parser.error("--only takes some of %s, got %r" % (",".join(WORKLOADS), args.only))
        make(args.data, args.work, args.reps, only)
    elif len(argv) == 5 and argv[1] == "stream":
        return stream(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 5 and argv[1] == "keras-predict":
        keras_predict(argv[2], argv[3], argv[4])
    elif len(argv) >= 3 and argv[1] == "maxrss":
        maxrss(argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
