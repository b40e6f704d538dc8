"""Times one in-process Keras prediction of a model file: model(x) on one
sample, after loading and a warm-up.

Usage:
  keras_predict_latency.py MODEL INPUT.npy
      prints keras_model_call_ns, keras_predict_ns and keras_version lines
  keras_predict_latency.py make-lstm DIR INPUT.npy
      writes DIR/lstm32.h5, an LSTM(32) + Dense(1) on 12 steps x 1 feature
      (seeded initial weights), DIR/lstm32.input.npy (INPUT's first sample)
      and DIR/lstm32.expected.npy (Keras's model(x) on it)"""
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

SEED = 1


def make_lstm(work, input_path):
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((12, 1)), keras.layers.LSTM(32), keras.layers.Dense(1)])
    model.save(os.path.join(work, "lstm32.h5"))
    x = np.ascontiguousarray(np.load(input_path)[:1], dtype=np.float32)
    if x.shape != (1, 12, 1):
        sys.exit("error: %s: one sample is %s, the LSTM takes (1, 12, 1)" % (input_path, x.shape))
    np.save(os.path.join(work, "lstm32.input.npy"), x)
    np.save(os.path.join(work, "lstm32.expected.npy"), np.asarray(model(x), dtype=np.float32))


def time_model(model_path, input_path):
    model = keras.models.load_model(model_path, compile=False)
    x = np.load(input_path)[:1]
    for _ in range(20):
        model(x)
    per_call = []
    for _ in range(7):
        calls = 100
        start = time.perf_counter()
        for _ in range(calls):
            model(x)
        per_call.append((time.perf_counter() - start) / calls)
    print("keras_model_call_ns %.1f" % (statistics.median(per_call) * 1e9))
    start = time.perf_counter()
    for _ in range(20):
        model.predict(x, verbose=0)
    print("keras_predict_ns %.1f" % ((time.perf_counter() - start) / 20 * 1e9))
    print("keras_version %s backend %s" % (keras.__version__, keras.backend.backend()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make-lstm":
        make_lstm(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        time_model(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
