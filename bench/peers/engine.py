"""One engine's half of bench/run's peer benchmark, each call its own process.

  engine.py convert ENGINE WORK MODELS
      ENGINE tflite | ort | ort-native: converts WORK/M.h5 for each model M
      (comma-separated) into WORK/peers/ENGINE/..., and writes
      WORK/peers/ENGINE/convert.json ({model: "ok" | "FAILED: reason" |
      "unsupported: reason"}, plus "version")
  engine.py time ENGINE THREADS WORK MODELS REPS
      ENGINE keras | tflite | ort | ort-native: times each model in this
      process (median of REPS repetitions after a warm-up) at THREADS threads:
      one-sample latency on WORK/M_one.npy and, for the 50-step models,
      4096 samples of WORK/x50.npy at batch 256; saves the predictions as
      WORK/peers/ENGINE/t<THREADS>_M_one.npy / _batch.npy and the timings as
      WORK/peers/ENGINE/t<THREADS>.json.

Models: t (tutorial, 12x1), s (SimpleRNN 128), l (LSTM 128), g (GRU 128),
k (stacked LSTM 64); inputs are batch x steps x features float32. x (issue
14's text model, Embedding + Bidirectional(LSTM(64)), 200 int32 token ids:
WORK/x_one.npy, 4096 samples of WORK/x_ids.npy) takes int32 inputs (not for
keras2c). c (issue 15's Conv1D(64, 5) + MaxPooling1D + LSTM(64) + Dense(1) on
200 x 8: WORK/c_one.npy, the 2048 samples of WORK/c_x.npy).
The harness (bench/run) treats a failed process as FAILED cells, not as an
error, except for Keras.
"""
import json
import os
import statistics
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

BATCH = 256
LATENCY_SECONDS = 0.1  # calls per latency repetition: at least this long
HERE = os.path.dirname(os.path.abspath(__file__))


def log(message):
    print("engine: " + message, file=sys.stderr, flush=True)


def short(exc):
    text = "%s: %s" % (type(exc).__name__, exc)
    text = " ".join(text.split())
    return text[:200]


def median_seconds(reps, body):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def latency_ns(reps, call):
    """Median ns per call() over reps repetitions of enough calls for LATENCY_SECONDS."""
    start = time.perf_counter()
    for _ in range(20):  # warm-up: 20 calls or half a second, whichever comes first
        call()
        if time.perf_counter() - start > 0.5:
            break
    calls, elapsed = 1, 0.0
    while elapsed < LATENCY_SECONDS:
        calls *= 2
        start = time.perf_counter()
        for _ in range(calls):
            call()
        elapsed = time.perf_counter() - start

    def many():
        for _ in range(calls):
            call()
    med, times = median_seconds(reps, many)
    return med / calls * 1e9, [t / calls * 1e9 for t in times], calls


def quick_latency_ns(call):
    """A rough ns per call() to pick the fastest way to call: one warm-up call,
    then doubling runs of calls until one takes 50 ms (a slow way costs 2 calls)."""
    call()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05:
            return elapsed / calls * 1e9
        calls *= 2


def matches_keras(np, work, reference, got, tolerance=1e-5):
    """Whether `got` is within the report's tolerance of Keras's WORK/reference
    (|got - Keras| / max(1, |Keras|)); used only to choose among a peer's own variants."""
    try:
        want = np.load(os.path.join(work, reference)).astype(np.float64)
        got = np.asarray(got, dtype=np.float64)
        return got.shape == want.shape and bool(np.all(np.abs(got - want) / np.maximum(1, np.abs(want)) <= tolerance))
    except OSError:
        return True


def batch_rate(reps, run_all, samples):
    """(samples/s, outputs) of run_all() (which returns all predictions), median of reps after a warm-up."""
    out = run_all()
    med, times = median_seconds(reps, run_all)
    return samples / med, out, [samples / t for t in times]


def model_path(work, m):
    return os.path.join(work, m + ".h5")


def load_inputs(np, work, m):
    one = np.load(os.path.join(work, m + "_one.npy"))
    if m == "t":
        full = None
    elif m == "x":  # issue 14's text model: 4096 x 200 int32 token ids
        full = np.load(os.path.join(work, "x_ids.npy"))
    elif m == "c":  # issue 15's convolutional model: 200 x 8 float32
        full = np.load(os.path.join(work, "c_x.npy"))
    else:
        full = np.load(os.path.join(work, "x50.npy"))
    return one, full


# ---------------------------------------------------------------- conversion


def tflite_batches(m):
    # Dynamic batch fails for these RNNs: one model at batch 1, one at batch 256.
    return [1] if m == "t" else [1, BATCH]


def convert_tflite_keras3(tf, model, m, sample_shape, dtype, out_dir):
    """TF Lite from the Keras 3 model: a frozen concrete function (with the
    model's resource variables the RNN's WHILE fails at invoke: READ_VARIABLE
    variable != nullptr). Writes M_b1.tflite / M_b256.tflite; "ok" or why not."""
    try:
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
        for batch in tflite_batches(m):
            fn = tf.function(lambda x: model(x, training=False),
                             input_signature=[tf.TensorSpec([batch] + sample_shape, dtype)])
            frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
            data = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
            with open(os.path.join(out_dir, "%s_b%d.tflite" % (m, batch)), "wb") as f:
                f.write(data)
        return "ok"
    except Exception as exc:
        traceback.print_exc()
        return "FAILED: " + short(exc)


def convert_tflite_tf_keras(work, m):
    """TF Lite from a tf-keras (Keras 2) copy of the model, in a child process
    with TF_USE_LEGACY_KERAS=1: the converter fuses tf-keras's LSTM into
    UNIDIRECTIONAL_SEQUENCE_LSTM (Keras 3's LSTM becomes a WHILE loop). Writes
    M_fused_b1.tflite / M_fused_b256.tflite; "ok" or why not."""
    import subprocess
    try:
        run = subprocess.run([sys.executable, os.path.abspath(__file__), "convert-tflite-tf-keras", work, m],
                             env=dict(os.environ, TF_USE_LEGACY_KERAS="1"), capture_output=True, text=True,
                             timeout=900)
    except subprocess.TimeoutExpired:
        return "FAILED: tf-keras conversion took over 900 s"
    if run.returncode != 0:
        lines = [l for l in run.stderr.splitlines() if l.strip() and not l.startswith(("WARNING", "I0000", "W0000"))]
        return "FAILED: " + short(lines[-1] if lines else "exit status %d" % run.returncode)
    return "ok"


def convert_tflite_tf_keras_child(work, m):
    import tensorflow as tf
    import tf_keras
    import keras  # Keras 3, to read the file; tf_keras to rebuild it
    k3 = keras.models.load_model(model_path(work, m), compile=False)
    layers = []
    for layer in k3.layers:
        config, kind = layer.get_config(), type(layer).__name__
        keep = {k: config[k] for k in ("units", "activation", "recurrent_activation", "return_sequences",
                                       "use_bias", "reset_after",
                                       # c's Conv1D and MaxPooling1D
                                       "filters", "kernel_size", "strides", "padding", "dilation_rate",
                                       "pool_size") if k in config}
        layers.append(getattr(tf_keras.layers, kind)(**keep))
    shape = tuple(k3.inputs[0].shape[1:])
    model = tf_keras.Sequential([tf_keras.Input(shape)] + layers)
    for new, old in zip(layers, k3.layers):
        new.set_weights(old.get_weights())
    out_dir = os.path.join(work, "peers", "tflite")
    for batch in tflite_batches(m):
        fn = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec((batch,) + shape, tf.float32)])
        data = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], model).convert()
        with open(os.path.join(out_dir, "%s_fused_b%d.tflite" % (m, batch)), "wb") as f:
            f.write(data)


def convert(engine, work, models):
    out_dir = os.path.join(work, "peers", engine)
    os.makedirs(out_dir, exist_ok=True)
    import numpy as np
    import tensorflow as tf
    import keras
    status = {}
    if engine == "tflite":
        status["version"] = ("tf.lite.TFLiteConverter (TensorFlow %s) at batch 1 and 256, the faster of the Keras 3 "
                             "model (frozen) and a tf-keras copy (fused LSTM)" % tf.__version__)
    elif engine == "ort":
        import tf2onnx
        import onnxruntime
        status["version"] = "tf2onnx %s, onnxruntime %s" % (tf2onnx.__version__, onnxruntime.__version__)
    elif engine == "ort-native":
        import onnx
        import onnxruntime
        status["version"] = "onnx %s (hand-built graph), onnxruntime %s" % (onnx.__version__, onnxruntime.__version__)
    for m in models:
        try:
            model = keras.models.load_model(model_path(work, m), compile=False)
            # (steps, features) float32, or x's (steps,) int32 token ids
            sample_shape, dtype = list(model.inputs[0].shape[1:]), tf.as_dtype(model.inputs[0].dtype)
            if engine == "tflite":
                variants = {"keras3": convert_tflite_keras3(tf, model, m, sample_shape, dtype, out_dir),
                            "tf_keras": convert_tflite_tf_keras(work, m)}
                status.setdefault("variants", {})[m] = variants
                if not any(v == "ok" for v in variants.values()):
                    raise RuntimeError("; ".join("%s: %s" % kv for kv in variants.items()))
            elif engine == "ort":
                import tf2onnx
                fn = tf.function(lambda x: model(x, training=False))
                spec = [tf.TensorSpec([None] + sample_shape, dtype, name="x")]
                tf2onnx.convert.from_function(fn, input_signature=spec, opset=17,
                                              output_path=os.path.join(out_dir, m + ".onnx"))
            elif engine == "ort-native":
                sys.path.insert(0, HERE)
                from onnx_native import build_onnx_native
                build_onnx_native(model, os.path.join(out_dir, m + ".onnx"))
            else:
                raise SystemExit("convert: unknown engine %r" % engine)
            status[m] = "ok"
        except Exception as exc:  # a peer that fails marks its cells FAILED
            traceback.print_exc()
            status[m] = "FAILED: convert: " + short(exc)
        log("%s convert %s: %s" % (engine, m, status[m]))
    with open(os.path.join(out_dir, "convert.json"), "w") as f:
        json.dump(status, f, indent=1)


# ---------------------------------------------------------------- timing


def time_keras(threads, work, models, reps, result, save):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import numpy as np
    import keras
    result["version"] = "Keras %s, TensorFlow %s" % (keras.__version__, tf.__version__)
    for m in models:
        r = result["models"].setdefault(m, {})
        try:
            model = keras.models.load_model(model_path(work, m), compile=False)
            one, full = load_inputs(np, work, m)
            one_t = tf.convert_to_tensor(one)
            fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
            candidates = {"model(x)": lambda: model(one_t), "tf.function": lambda: fn(one_t)}
            try:
                xla = tf.function(lambda x: model(x, training=False), jit_compile=True)
                xla(one_t)
                candidates["tf.function(jit_compile=True)"] = lambda: xla(one_t)
            except Exception as exc:
                r["xla_note"] = short(exc)
            # a quick pass over the candidates picks the fastest; only that one gets the repetitions
            quick = {label: quick_latency_ns(call) for label, call in candidates.items()}
            r["latency_candidates_ns"] = quick
            label = min(quick, key=quick.get)
            ns, runs, _ = latency_ns(reps, candidates[label])
            best = (label, ns, runs, None, candidates[label])
            r["latency_ns"], r["latency_how"], r["latency_reps_ns"] = best[1], best[0], best[2]
            save(m, "one", np.asarray(best[4]()))
            if full is not None:
                batches = [full[i:i + BATCH] for i in range(0, len(full), BATCH)]
                # (eager model(x) per batch is left out: 5-10x slower than the
                # tf.function in trials, and 15 s a pass)
                candidates = {
                    "predict(batch_size=256)": lambda: model.predict(full, batch_size=BATCH, verbose=0),
                    "tf.function per batch": lambda: np.concatenate([np.asarray(fn(b)) for b in batches]),
                }
                if "tf.function(jit_compile=True)" in r.get("latency_candidates_ns", {}):
                    candidates["tf.function(jit_compile=True) per batch"] = \
                        lambda: np.concatenate([np.asarray(xla(b)) for b in batches])
                quick = {}
                for label, run_all in candidates.items():
                    try:
                        run_all()  # warm-up
                        start = time.perf_counter()
                        run_all()
                        quick[label] = len(full) / (time.perf_counter() - start)
                    except Exception as exc:
                        r.setdefault("batch_candidate_errors", {})[label] = short(exc)
                r["batch_candidates_samples_per_s"] = quick
                label = max(quick, key=quick.get)
                rate, out, runs = batch_rate(reps, candidates[label], len(full))
                best = (label, rate, runs, out)
                r["batch_samples_per_s"], r["batch_how"], r["batch_reps_samples_per_s"] = best[1], best[0], best[2]
                save(m, "batch", best[3])
        except Exception as exc:
            traceback.print_exc()
            r["error"] = "FAILED: " + short(exc)
        log("keras t%d %s: %s" % (threads, m, {k: v for k, v in r.items() if not k.endswith("reps_ns")
                                                and not k.startswith("batch_reps")}))


def time_tflite(threads, work, models, reps, result, save):
    import numpy as np
    interpreter_cls, how = None, None
    try:
        from ai_edge_litert.interpreter import Interpreter as interpreter_cls
        from importlib.metadata import version
        how = "LiteRT interpreter (ai-edge-litert %s)" % version("ai-edge-litert")
    except ImportError:
        import tensorflow as tf
        interpreter_cls, how = tf.lite.Interpreter, "tf.lite.Interpreter (TensorFlow %s)" % tf.__version__
    conv = json.load(open(os.path.join(work, "peers", "tflite", "convert.json")))
    converted = conv.get("version", "")
    result["version"] = how + ("; converted with " + converted if converted else "")
    for m in models:
        r = result["models"].setdefault(m, {})
        if conv.get(m) != "ok":
            r["error"] = conv.get(m, "FAILED: not converted")
            continue
        try:
            one, full = load_inputs(np, work, m)

            variants = [v for v in ("", "fused_") if os.path.exists(
                os.path.join(work, "peers", "tflite", "%s_%sb1.tflite" % (m, v)))]
            label = {"": "Keras 3 model, WHILE loop", "fused_": "tf-keras copy, fused ops"}

            def interpreter(variant, batch):
                it = interpreter_cls(model_path=os.path.join(work, "peers", "tflite", "%s_%sb%d.tflite" % (
                    m, variant, batch)), num_threads=threads)
                it.allocate_tensors()
                return it, it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]

            def latency_call(variant):
                it, i, o = interpreter(variant, 1)

                def call():
                    it.set_tensor(i, one)
                    it.invoke()
                return call, lambda: it.get_tensor(o).copy()
            calls = {v: latency_call(v) for v in variants}
            quick = {v: quick_latency_ns(calls[v][0]) for v in variants}
            # the fastest variant whose predictions match Keras's (a fused kernel can be off by
            # more than the harness's 1e-5); the fastest of all when none does
            wrong = {v for v in variants if not matches_keras(np, work, "keras_%s_one.npy" % m, calls[v][1]())}
            best = min(quick, key=lambda v: (v in wrong, quick[v]))
            if wrong:
                r["latency_variants_wrong"] = [label[v] for v in wrong]
            ns, runs, _ = latency_ns(reps, calls[best][0])
            r["latency_ns"], r["latency_reps_ns"] = ns, runs
            r["latency_how"] = "set_tensor+invoke (batch-1 model, %s)" % label[best]
            r["latency_candidates_ns"] = {label[v]: quick[v] for v in variants}
            calls[best][0]()
            save(m, "one", calls[best][1]())
            if full is not None:
                batches = [np.ascontiguousarray(full[i:i + BATCH]) for i in range(0, len(full), BATCH)]

                def batch_call(variant):
                    it, i, o = interpreter(variant, BATCH)

                    def run_all():
                        outs = []
                        for b in batches:
                            it.set_tensor(i, b)
                            it.invoke()
                            outs.append(it.get_tensor(o).copy())
                        return np.concatenate(outs)
                    return run_all
                runners = {v: batch_call(v) for v in variants}
                quick, wrong = {}, set()
                for v, run_all in runners.items():
                    if not matches_keras(np, work, "keras_%s_pred.npy" % m, run_all()):
                        wrong.add(v)
                    start = time.perf_counter()
                    run_all()
                    quick[v] = len(full) / (time.perf_counter() - start)
                best = max(quick, key=lambda v: (v not in wrong, quick[v]))
                if wrong:
                    r["batch_variants_wrong"] = [label[v] for v in wrong]
                rate, out, runs = batch_rate(reps, runners[best], len(full))
                r["batch_samples_per_s"], r["batch_reps_samples_per_s"] = rate, runs
                r["batch_how"] = "set_tensor+invoke+get_tensor per batch of 256 (batch-256 model, %s)" % label[best]
                r["batch_candidates_samples_per_s"] = {label[v]: quick[v] for v in variants}
                save(m, "batch", out)
        except Exception as exc:
            traceback.print_exc()
            r["error"] = "FAILED: " + short(exc)
        log("tflite t%d %s: %s" % (threads, m, r.get("error") or (r.get("latency_ns"), r.get("batch_samples_per_s"))))


def time_ort(engine, threads, work, models, reps, result, save):
    import numpy as np
    import onnxruntime
    sys.path.insert(0, HERE)
    from onnx_native import ort_session
    conv = json.load(open(os.path.join(work, "peers", engine, "convert.json")))
    result["version"] = conv.get("version", "onnxruntime %s" % onnxruntime.__version__)
    for m in models:
        r = result["models"].setdefault(m, {})
        if conv.get(m) != "ok":
            r["error"] = conv.get(m, "FAILED: not converted")
            continue
        try:
            one, full = load_inputs(np, work, m)
            sess = ort_session(os.path.join(work, "peers", engine, m + ".onnx"), threads)
            name = sess.get_inputs()[0].name
            # the fastest of three ways to call: run on numpy, run_with_ort_values on an
            # OrtValue made once, and an IOBinding (input bound once, output preallocated)
            x_ort = onnxruntime.OrtValue.ortvalue_from_numpy(one)
            binding = sess.io_binding()
            binding.bind_ortvalue_input(name, x_ort)
            binding.bind_output(sess.get_outputs()[0].name)
            candidates = {
                "session.run": lambda: sess.run(None, {name: one}),
                "run_with_ort_values": lambda: sess.run_with_ort_values(None, {name: x_ort}),
                "run_with_iobinding": lambda: sess.run_with_iobinding(binding),
            }
            quick = {label: quick_latency_ns(call) for label, call in candidates.items()}
            label = min(quick, key=quick.get)
            ns, runs, _ = latency_ns(reps, candidates[label])
            r["latency_ns"], r["latency_how"], r["latency_reps_ns"] = ns, label, runs
            r["latency_candidates_ns"] = quick
            candidates[label]()
            if label == "session.run":
                out = sess.run(None, {name: one})[0]
            elif label == "run_with_ort_values":
                out = sess.run_with_ort_values(None, {name: x_ort})[0].numpy()
            else:
                out = binding.copy_outputs_to_cpu()[0]
            save(m, "one", out)
            if full is not None:
                batches = [np.ascontiguousarray(full[i:i + BATCH]) for i in range(0, len(full), BATCH)]
                rate, out, runs = batch_rate(
                    reps, lambda: np.concatenate([sess.run(None, {name: b})[0] for b in batches]), len(full))
                r["batch_samples_per_s"], r["batch_how"], r["batch_reps_samples_per_s"] = \
                    rate, "session.run per batch of 256", runs
                save(m, "batch", out)
        except Exception as exc:
            traceback.print_exc()
            r["error"] = "FAILED: " + short(exc)
        log("%s t%d %s: %s" % (engine, threads, m, r.get("error") or (r.get("latency_ns"), r.get("batch_samples_per_s"))))


def time_engine(engine, threads, work, models, reps):
    import numpy as np
    out_dir = os.path.join(work, "peers", engine)
    os.makedirs(out_dir, exist_ok=True)
    result = {"engine": engine, "threads": threads, "reps": reps, "models": {}}

    def save(m, kind, array):
        np.save(os.path.join(out_dir, "t%d_%s_%s.npy" % (threads, m, kind)),
                np.ascontiguousarray(array, dtype=np.float32))
    try:
        if engine == "keras":
            time_keras(threads, work, models, reps, result, save)
        elif engine == "tflite":
            time_tflite(threads, work, models, reps, result, save)
        elif engine in ("ort", "ort-native"):
            time_ort(engine, threads, work, models, reps, result, save)
        else:
            raise SystemExit("time: unknown engine %r" % engine)
    finally:
        with open(os.path.join(out_dir, "t%d.json" % threads), "w") as f:
            json.dump(result, f, indent=1)
    failed = [m for m in models if "error" in result["models"].get(m, {"error": 1})]
    return 1 if failed else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "convert-tflite-tf-keras":
        convert_tflite_tf_keras_child(argv[2], argv[3])
        return 0
    if len(argv) == 5 and argv[1] == "convert":
        convert(argv[2], argv[3], [m for m in argv[4].split(",") if m])
        return 0
    if len(argv) == 7 and argv[1] == "time":
        return time_engine(argv[2], int(argv[3]), argv[4], [m for m in argv[5].split(",") if m], int(argv[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
