"""Loads files kerasio wrote with one Keras generation and compares Keras's
predictions with kerasio's and, when the case has one, with Keras's own
prediction of the original fixture ("expected"). Run in its own process per
generation:
    keras_check.py --keras 3 CASES.json RESULTS.json   (import keras)
    keras_check.py --keras 2 CASES.json RESULTS.json   (import tf_keras)
Each case: {"id", "keras": 3|2, "file", "architecture" (or null), "input", "kerasio", "expected" (optional),
"stateful_batch" (optional: a stateful model's batch size)}.
Agreement: same shape, finite, |a - b| <= 1e-5 * max(1, |b|).

Keras's prediction is the loaded model called on the whole input with
training=False, the computation `predict` runs batch by batch: `predict`
traces a new tf.function for every freshly loaded model, which made it
about five times slower here (40 fixtures: 24.6 s against 5.2 s) and this
check the longest part of the test command."""
import argparse
import json
import os
import sys

TOLERANCE = 1e-5


def disagreement(ours, reference):
    """(worst scaled difference, reason or None): shape first, NaN never agrees."""
    if ours.shape != reference.shape:
        return float("inf"), "shape %s vs %s" % (ours.shape, reference.shape)
    if ours.size == 0:
        return float("inf"), "no values"
    scaled = np.abs(ours.astype(np.float64) - reference) / np.maximum(1.0, np.abs(reference))
    scaled[~np.isfinite(scaled)] = np.inf
    worst = float(scaled.max())
    return worst, (None if worst <= TOLERANCE else "max difference %.3g" % worst)

parser = argparse.ArgumentParser()
parser.add_argument("--keras", choices=["2", "3"], required=True)
parser.add_argument("cases")
parser.add_argument("results")
args = parser.parse_args()

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if args.keras == "3":
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras as K
else:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tf_keras as K
import numpy as np  # noqa: E402

results = []
for case in json.load(open(args.cases)):
    if str(case["keras"]) != args.keras:
        continue
    result = {"id": case["id"]}
    try:
        if case.get("architecture"):
            model = K.models.load_model(case["architecture"], compile=False)
            model.load_weights(case["file"])
        else:
            model = K.models.load_model(case["file"], compile=False)
        if isinstance(case["input"], list):
            # A Functional model: a list of inputs, a list of outputs, each compared.
            keras_outputs = model([np.load(path) for path in case["input"]], training=False)
            if not isinstance(keras_outputs, (list, tuple)):
                keras_outputs = [keras_outputs]
            worst, whys, worst_original, original_whys = 0.0, [], 0.0, []
            if len(keras_outputs) != len(case["kerasio"]):
                raise ValueError("Keras gives %d outputs, kerasio %d" % (len(keras_outputs), len(case["kerasio"])))
            for k, output in enumerate(keras_outputs):
                output = np.asarray(output, dtype=np.float32)
                difference, why = disagreement(output, np.load(case["kerasio"][k]).astype(np.float64))
                worst = max(worst, difference)
                if why:
                    whys.append("output %d vs kerasio: %s" % (k, why))
                difference, why = disagreement(output, np.load(case["expected"][k]).astype(np.float64))
                worst_original = max(worst_original, difference)
                if why:
                    original_whys.append("output %d vs Keras's prediction of the original: %s" % (k, why))
            result.update(ok=not whys and not original_whys, difference=worst, original_difference=worst_original,
                          why="; ".join(whys + original_whys) or None)
            results.append(result)
            continue
        x = np.load(case["input"])
        batch = case.get("stateful_batch")
        if batch:
            # A stateful model: consecutive batches from zero states, called
            # directly (tf.keras's predict fails on a stateful masked model).
            keras_prediction = np.concatenate(
                [np.asarray(model(x[i:i + batch], training=False), dtype=np.float32) for i in range(0, len(x), batch)])
        else:
            keras_prediction = np.asarray(model(x, training=False), dtype=np.float32)
        kerasio_prediction = np.load(case["kerasio"])
        difference, why = disagreement(keras_prediction, kerasio_prediction.astype(np.float64))
        result.update(ok=why is None, difference=difference, why=None if why is None else "vs kerasio: " + why)
        if case.get("expected"):
            original = np.load(case["expected"]).astype(np.float64)
            original_difference, original_why = disagreement(keras_prediction, original)
            result["original_difference"] = original_difference
            if original_why is not None:
                result.update(ok=False, why="vs Keras's prediction of the original: " + original_why
                              + ("" if why is None else "; " + result["why"]))
    except Exception as error:  # a file Keras cannot load is a failure, with Keras's reason
        result.update(ok=False, why="%s: %s" % (type(error).__name__, str(error).splitlines()[0][:300] if str(error) else ""))
    results.append(result)
json.dump(results, open(args.results, "w"), indent=1)
print("keras %s checked %d files" % (args.keras, len(results)), file=sys.stderr)
