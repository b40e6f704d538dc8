"""keras2c's half of bench/run: converts each model with keras2c, compiles
its C with gcc -O3 -march=native and bench/peers/keras2c_driver.c, and runs
the driver (its own process; one sample per call, one thread).

  keras2c_peer.py WORK MODELS REPS
      writes WORK/peers/keras2c/t1.json ({"models": {M: {latency_ns,
      batch_samples_per_s, ...} or {"error": ...}}, "version": ...}) and the
      predictions t1_M_one.npy / t1_M_batch.npy, as engine.py does
  keras2c_peer.py generate MODEL.h5 DIR NAME
      (internal) the keras2c conversion, run in a child process with a time
      limit because keras2c can loop forever

keras2c's C library (include/k2c_*.c) is not in its PyPI package (2.0 ships
only the Python converter): KERAS2C_INCLUDE must name a keras2c checkout's
include/ directory, else every cell says FAILED with that reason (issue 15's
c also needs its k2c_convolution_layers.c and k2c_pooling_layers.c). keras2c
loops forever on a Keras 3 Sequential model, so it is given a Functional
copy with the same layers (same weights). Weights are heap arrays
(malloc=True): with malloc=False keras2c re-initialises every weight array
on the stack at each call.
"""
import json
import os
import shutil
import subprocess
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
HERE = os.path.dirname(os.path.abspath(__file__))
GENERATE_SECONDS = 600
RUN_SECONDS = 900
LIBRARY = ("k2c_activations.c", "k2c_core_layers.c", "k2c_helper_functions.c", "k2c_recurrent_layers.c")
# issue 15's c (Conv1D + MaxPooling1D + LSTM) also needs these two
CONV_LIBRARY = ("k2c_convolution_layers.c", "k2c_pooling_layers.c")
# each model's batch input (t has none)
FULL_INPUT = {"s": "x50.npy", "l": "x50.npy", "g": "x50.npy", "k": "x50.npy", "c": "c_x.npy"}


def short(text):
    return " ".join(str(text).split())[:200]


def generate(model_path, out_dir, name):
    """keras2c on a Functional copy of MODEL; prints the malloc'd arrays' names (JSON)."""
    import keras
    from keras2c.check_model import check_model
    from keras2c.keras2c_main import model2c
    model = keras.models.load_model(model_path, compile=False)
    # fresh layers (from each layer's config, then its weights): layers already
    # called in the Sequential model have two graph nodes, and keras2c's
    # name-matching loop then never ends
    inp = keras.Input(shape=tuple(model.inputs[0].shape[1:]), name="x")
    x, fresh = inp, []
    for layer in model.layers:
        copy = type(layer).from_config(layer.get_config())
        x = copy(x)
        fresh.append((copy, layer))
    functional = keras.Model(inp, x)
    for copy, layer in fresh:
        copy.set_weights(layer.get_weights())
    os.chdir(out_dir)
    check_model(functional, name)
    with open(os.devnull, "w") as quiet:
        saved, sys.stdout = sys.stdout, quiet
        try:
            malloc_vars, stateful = model2c(functional, name, malloc=True, verbose=False)
        finally:
            sys.stdout = saved
    print(json.dumps({"malloc_vars": list(malloc_vars), "stateful": bool(stateful),
                      "input": "x", "output": functional.layers[-1].name,
                      "in_shape": list(model.inputs[0].shape[1:]), "out_size": int(model.outputs[0].shape[-1])}))


def wrapper_source(name, info):
    steps, features = info["in_shape"]
    ws = info["malloc_vars"]
    decls = "".join("static float *w%d;\n" % i for i in range(len(ws)))
    init_args = ", ".join("&w%d" % i for i in range(len(ws)))
    call_args = "".join(", w%d" % i for i in range(len(ws)))
    term_args = ", ".join("w%d" % i for i in range(len(ws)))
    return """#include "%(name)s.h"
const size_t bench_in_size = %(size)d, bench_out_size = %(out)d;
%(decls)s
void bench_initialize(void) { %(name)s_initialize(%(init)s); }
void bench_predict(float *input, float *output) {
    k2c_tensor in = { input, 2, %(size)d, { %(steps)d, %(features)d, 1, 1, 1 } };
    k2c_tensor out = { output, 1, %(out)d, { %(out)d, 1, 1, 1, 1 } };
    %(name)s(&in, &out%(call)s);
}
void bench_terminate(void) { %(name)s_terminate(%(term)s); }
""" % {"name": name, "size": steps * features, "out": info["out_size"], "decls": decls, "init": init_args,
       "call": call_args, "term": term_args, "steps": steps, "features": features}


def library(m):
    """The C files of keras2c's library that model m's code calls."""
    return LIBRARY + (CONV_LIBRARY if m == "c" else ())


def run_model(np, work, m, reps, out_dir, include, result, save):
    model_dir = os.path.join(out_dir, m)
    shutil.rmtree(model_dir, ignore_errors=True)
    os.makedirs(model_dir)
    name = "k2c_" + m
    # 1. keras2c, in a child process with a time limit
    try:
        gen = subprocess.run([sys.executable, os.path.abspath(__file__), "generate",
                              os.path.join(work, m + ".h5"), model_dir, name],
                             capture_output=True, text=True, timeout=GENERATE_SECONDS)
    except subprocess.TimeoutExpired:
        return "FAILED: keras2c conversion did not finish in %d s" % GENERATE_SECONDS
    if gen.returncode != 0:
        lines = [l for l in gen.stderr.splitlines() if l.strip() and not l.startswith(("WARNING", "I0000", "W0000"))]
        reason = lines[-1] if lines else "exit status %d" % gen.returncode
        if "not supported" in gen.stderr:
            found = [l for l in gen.stderr.splitlines() if "not supported" in l]
            return "unsupported: " + short(found[0])
        return "FAILED: keras2c: " + short(reason)
    info = json.loads(gen.stdout.strip().splitlines()[-1])
    if info["stateful"]:
        return "unsupported: keras2c made a stateful model"
    # 2. gcc
    with open(os.path.join(model_dir, "bench_wrapper.c"), "w") as f:
        f.write(wrapper_source(name, info))
    os.symlink(include, os.path.join(model_dir, "include"))
    command = ["gcc", "-O3", "-march=native", "-std=gnu99", "-fcommon", "-I" + model_dir, "-o",
               os.path.join(model_dir, "driver"), os.path.join(model_dir, name + ".c"),
               os.path.join(model_dir, "bench_wrapper.c"), os.path.join(HERE, "keras2c_driver.c")] + \
        [os.path.join(include, c) for c in library(m)] + ["-lm"]
    cc = subprocess.run(command, capture_output=True, text=True, cwd=model_dir)
    if cc.returncode != 0:
        errors = [l for l in cc.stderr.splitlines() if "error" in l]
        return "FAILED: gcc: " + short(errors[0] if errors else cc.stderr.strip().splitlines()[-1:])
    # 3. the driver
    one = np.load(os.path.join(work, m + "_one.npy")).astype(np.float32)
    one.tofile(os.path.join(model_dir, "one.raw"))
    n = 0
    if m in FULL_INPUT:
        full = np.load(os.path.join(work, FULL_INPUT[m])).astype(np.float32)
        full.tofile(os.path.join(model_dir, "full.raw"))
        n = len(full)
    try:
        run = subprocess.run([os.path.join(model_dir, "driver"), "one.raw", "full.raw", str(n), str(reps),
                              "out_one.raw", "out_full.raw"], capture_output=True, text=True, cwd=model_dir,
                             timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        return "FAILED: the keras2c driver did not finish in %d s" % RUN_SECONDS
    if run.returncode != 0:
        return "FAILED: driver: " + short(run.stderr.strip().splitlines()[-1:] or run.returncode)
    result.update(json.loads(run.stdout.strip().splitlines()[-1]))
    result["latency_how"] = "one call (gcc -O3 -march=native, malloc=True weights)"
    out_size = info["out_size"]
    save(m, "one", np.fromfile(os.path.join(model_dir, "out_one.raw"), np.float32).reshape(1, out_size))
    if n:
        result["batch_how"] = "one call per sample, 1 thread"
        save(m, "batch", np.fromfile(os.path.join(model_dir, "out_full.raw"), np.float32).reshape(n, out_size))
    return None


def main(argv):
    if len(argv) == 5 and argv[1] == "generate":
        generate(argv[2], argv[3], argv[4])
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    import numpy as np
    work, models, reps = argv[1], [m for m in argv[2].split(",") if m], int(argv[3])
    out_dir = os.path.join(work, "peers", "keras2c")
    os.makedirs(out_dir, exist_ok=True)
    try:
        from importlib.metadata import version
        k2c_version = version("keras2c")
    except Exception:
        k2c_version = "?"
    gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip() or "?"
    result = {"engine": "keras2c", "threads": 1, "reps": reps, "models": {},
              "version": "keras2c %s (gcc %s -O3 -march=native)" % (k2c_version, gcc)}

    def save(m, kind, array):
        np.save(os.path.join(out_dir, "t1_%s_%s.npy" % (m, kind)), np.ascontiguousarray(array, dtype=np.float32))

    include = os.environ.get("KERAS2C_INCLUDE", "")
    for m in models:
        r = result["models"].setdefault(m, {})
        missing = [c for c in ("k2c_include.h", "k2c_tensor_include.h") + library(m)
                   if not os.path.exists(os.path.join(include, c))] if include else ["KERAS2C_INCLUDE"]
        if missing:
            r["error"] = ("FAILED: no C library (PyPI's keras2c has none; KERAS2C_INCLUDE unset)" if include == "" else
                          "FAILED: KERAS2C_INCLUDE lacks %s" % ", ".join(missing))
            continue
        try:
            error = run_model(np, work, m, reps, out_dir, os.path.abspath(include), r, save)
        except Exception as exc:
            traceback.print_exc()
            error = "FAILED: " + short("%s: %s" % (type(exc).__name__, exc))
        if error:
            r["error"] = error
        print("keras2c %s: %s" % (m, r.get("error") or (r.get("latency_ns"), r.get("batch_samples_per_s"))),
              file=sys.stderr, flush=True)
    with open(os.path.join(out_dir, "t1.json"), "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
