"""The Keras half of bench/run: builds each workload's model once in Keras 3
(TensorFlow backend), saves it as a legacy .h5 with its data as .npy into a
work directory, and times Keras in process (imports, start-up and file
loading are not timed): the median of REPS repetitions after a warm-up.

Usage:
  keras_workloads.py make --data data/monthly-sunspots.csv --work DIR [--reps 5]
                          [--only w1,w3,w6,w7]
      writes DIR/w1.h5, DIR/w3.h5, DIR/w6.h5, DIR/w7.h5, their data, Keras's
      reference predictions and DIR/keras.json (timings, versions and the
      workloads made); --only makes some of them (w1: W1+W2, w3: W3+W4)
  keras_workloads.py keras-predict MODEL X.npy OUT.npy
      the W5 Python process: import keras, load MODEL, predict X at batch 256
  keras_workloads.py maxrss CMD [ARGS...]
      runs CMD as a child of a fresh process and prints its peak RSS as JSON
      ({"maxrss_kb": ..., "returncode": ...}) from getrusage(RUSAGE_CHILDREN)

Workloads (the numbers are bench/run's targets):
  W1 the tutorial's fit: SimpleRNN(3, tanh) + Dense(1, tanh) on the sunspots
     train windows (187 x 12 x 1), Adam(0.001) + MSE, 20 epochs at batch 1
  W2 one-sample prediction of W1's model: model(x) on a (1, 12, 1) tensor
  W3 inference: SimpleRNN(128) + Dense(1) on 4096 x 50 x 8, predict at batch 256
  W4 training: W3's model, Adam + MSE, one epoch at batch 64
  W6 LSTM(128) + Dense(1) on W3's data (4096 x 50 x 8): inference at batch
     256, and training (Adam + MSE, one epoch at batch 64; targets W4's)
  W7 the same with GRU(128) (Keras 3's default reset_after=True)
"""
import json
import os
import statistics
import sys
import time

from sunspot_windows import sunspot_windows

SEED = 1
W3_SAMPLES, W3_STEPS, W3_FEATURES, W3_UNITS = 4096, 50, 8, 128
WORKLOADS = ("w1", "w3", "w6", "w7")


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


def make(data_path, work, reps, only=WORKLOADS):
    np, tf, keras = keras_modules()
    out = {"keras_version": keras.__version__, "tensorflow_version": tf.__version__,
           "backend": keras.backend.backend(), "reps": reps, "workloads": list(only)}

    def save(name, array):
        np.save(os.path.join(work, name), np.ascontiguousarray(array, dtype=np.float32))

    if "w1" in only:
        make_w1_w2(np, tf, keras, data_path, work, reps, out, save)
    # W3, W4, W6 and W7 share one data set: 4096 x 50 x 8 inputs and 4096 x 1 targets.
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((W3_SAMPLES, W3_STEPS, W3_FEATURES), dtype=np.float32)
    y = rng.standard_normal((W3_SAMPLES, 1), dtype=np.float32)
    if {"w3", "w6", "w7"} & set(only):
        save("w3_x.npy", x)
        save("w4_y.npy", y)
        save("w4_x256.npy", x[:256])
    if "w3" in only:
        make_w3_w4(np, keras, work, reps, out, save, x, y)
    if "w6" in only:
        make_gated("w6", keras.layers.LSTM, keras, work, reps, out, save, x, y)
    if "w7" in only:
        make_gated("w7", keras.layers.GRU, keras, work, reps, out, save, x, y)

    with open(os.path.join(work, "keras.json"), "w") as f:
        json.dump(out, f, indent=1)
    log("done")


def make_w1_w2(np, tf, keras, data_path, work, reps, out, save):
    # ---- W1 / W2: the tutorial's model -------------------------------------------------
    keras.utils.set_random_seed(SEED)
    train_x, train_y, test_x, _ = sunspot_windows(data_path)
    w1 = keras.Sequential([keras.Input((12, 1)), keras.layers.SimpleRNN(3, activation="tanh"),
                           keras.layers.Dense(1, activation="tanh")])
    w1.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.001))
    w1.save(os.path.join(work, "w1.h5"))
    initial1 = w1.get_weights()
    save("w1_x.npy", train_x)
    save("w1_y.npy", train_y)
    save("w1_test_x.npy", test_x)
    save("w2_x.npy", train_x[:1])
    out["w1_shape"] = list(train_x.shape)

    # W2 first, on the untrained (saved) weights: model(x) on one sample,
    # converted to a tensor once, outside the timing.
    log("W2: one-sample model(x)")
    one = tf.convert_to_tensor(train_x[:1])
    save("keras_w2_pred.npy", np.asarray(w1(one)))
    for _ in range(50):
        w1(one)
    calls, elapsed = 1, 0.0
    while elapsed < 0.2:  # calls per repetition: at least 0.2 s of them
        calls *= 2
        start = time.perf_counter()
        for _ in range(calls):
            w1(one)
        elapsed = time.perf_counter() - start

    def many_calls():
        for _ in range(calls):
            w1(one)
    per_rep, times = median_of(max(reps, 7), many_calls)
    out["w2_ns"] = per_rep / calls * 1e9
    out["w2_calls_per_rep"] = calls
    out["w2_reps_ns"] = [t / calls * 1e9 for t in times]

    # W1 prediction check, also the warm-up of the timed fits: 20 unshuffled
    # epochs from the saved initial weights with the saved (fresh) optimizer,
    # then predict the test windows.
    log("W1: prediction check (20 unshuffled epochs) and warm-up")
    w1.fit(train_x, train_y, epochs=20, batch_size=1, shuffle=False, verbose=0)
    save("keras_w1_pred.npy", w1.predict(test_x, verbose=0))

    log("W1: timing fit, 20 epochs at batch 1, %d repetitions" % reps)
    out["w1_seconds"], out["w1_reps_seconds"] = median_of(
        reps, lambda: w1.fit(train_x, train_y, epochs=20, batch_size=1, verbose=0),
        before=lambda: w1.set_weights(initial1))
    out["w1_samples_per_s"] = len(train_x) * 20 / out["w1_seconds"]



def make_w3_w4(np, keras, work, reps, out, save, x, y):
    # ---- W3 / W4: SimpleRNN(128) + Dense(1) on 4096 x 50 x 8 ------------------------------
    keras.utils.set_random_seed(SEED)
    w3 = keras.Sequential([keras.Input((W3_STEPS, W3_FEATURES)), keras.layers.SimpleRNN(W3_UNITS),
                           keras.layers.Dense(1)])
    w3.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam())
    w3.save(os.path.join(work, "w3.h5"))
    initial3 = w3.get_weights()

    log("W3: predict 4096 samples at batch 256, %d repetitions" % reps)
    save("keras_w3_pred.npy", w3.predict(x, batch_size=256, verbose=0))  # also the warm-up
    out["w3_seconds"], out["w3_reps_seconds"] = median_of(
        reps, lambda: w3.predict(x, batch_size=256, verbose=0))
    out["w3_samples_per_s"] = W3_SAMPLES / out["w3_seconds"]

    # W4 prediction check, also the warm-up epoch: one unshuffled epoch from
    # the saved weights with the fresh optimizer, then the first 256 samples.
    log("W4: prediction check (one unshuffled epoch) and warm-up")
    w3.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    save("keras_w4_pred.npy", w3.predict(x[:256], batch_size=256, verbose=0))
    log("W4: timing fit, one epoch at batch 64, %d repetitions" % reps)
    out["w4_seconds"], out["w4_reps_seconds"] = median_of(
        reps, lambda: w3.fit(x, y, epochs=1, batch_size=64, verbose=0),
        before=lambda: w3.set_weights(initial3))
    out["w4_samples_per_s"] = W3_SAMPLES / out["w4_seconds"]


def make_gated(name, layer, keras, work, reps, out, save, x, y):
    """W6 (LSTM) / W7 (GRU): `layer`(128) + Dense(1) on W3's data, timed as W3
    (inference) and W4 (training). Writes NAME.h5, keras_NAME_pred.npy (all of
    x) and keras_NAME_fit_pred.npy (first 256 samples after one unshuffled
    epoch from the saved weights); keys NAME_seconds, NAME_samples_per_s,
    NAME_fit_seconds, NAME_fit_samples_per_s."""
    upper = name.upper()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((W3_STEPS, W3_FEATURES)), layer(W3_UNITS), keras.layers.Dense(1)])
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam())
    model.save(os.path.join(work, name + ".h5"))
    initial = model.get_weights()

    log("%s inference: %s predict 4096 samples at batch 256, %d repetitions" % (upper, layer.__name__, reps))
    save("keras_%s_pred.npy" % name, model.predict(x, batch_size=256, verbose=0))  # also the warm-up
    out[name + "_seconds"], out[name + "_reps_seconds"] = median_of(
        reps, lambda: model.predict(x, batch_size=256, verbose=0))
    out[name + "_samples_per_s"] = W3_SAMPLES / out[name + "_seconds"]

    log("%s training: prediction check (one unshuffled epoch) and warm-up" % upper)
    model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0)
    save("keras_%s_fit_pred.npy" % name, model.predict(x[:256], batch_size=256, verbose=0))
    log("%s training: timing fit, one epoch at batch 64, %d repetitions" % (upper, reps))
    out[name + "_fit_seconds"], out[name + "_fit_reps_seconds"] = median_of(
        reps, lambda: model.fit(x, y, epochs=1, batch_size=64, verbose=0),
        before=lambda: model.set_weights(initial))
    out[name + "_fit_samples_per_s"] = W3_SAMPLES / out[name + "_fit_seconds"]


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
        only = tuple(w.strip().lower() for w in args.only.split(",") if w.strip())
        unknown = [w for w in only if w not in WORKLOADS]
        if unknown or not only:
            parser.error("--only takes some of %s, got %r" % (",".join(WORKLOADS), args.only))
        make(args.data, args.work, args.reps, only)
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
