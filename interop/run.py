"""The interop check: every fixture converted by kerasio to every format it
writes, for Keras 3 and for tf.keras 2, plus a model built in Swift code, is
loaded by that Keras, whose predictions must match within 1e-5 (relative
above 1) both kerasio's prediction on the written file and, for a fixture,
Keras's own prediction of the original file (the fixture's expected output):
an error kerasio writes and reads back consistently fails the second.
    run.py KERASIO SWIFT_BUILT_MODEL WORKDIR
Prints one line per failure and a closing 'interop: N passed, N failed' line;
exits non-zero on any failure or if nothing was checked."""
import concurrent.futures
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
kerasio, swift_built_model, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)

# (target Keras, extension) for every format kerasio writes.
TARGETS = [(3, "k3.h5"), (3, "keras"), (3, "weights.h5"), (2, "k2.h5")]

manifest = {"fixtures": []}
for name in ("manifest.json", "formats_manifest.json"):
    if os.path.exists(os.path.join(FIXTURES, name)):
        manifest["fixtures"] += json.load(open(os.path.join(FIXTURES, name))).get("fixtures", [])
# LSTM and GRU (generate_recurrent.py; paths relative to fixtures/recurrent):
# every Keras 3 .h5 (each option once), from tf.keras 2 the defaults, stacks,
# the mixed stack and hard_sigmoid gates, and the other formats of two models
# (the readers of those formats are shared with SimpleRNN; all 211 entries
# would add a quarter of an hour to the test command).
RECURRENT_KERAS2 = ("lstm_default", "gru_default", "gru_reset_before_default", "lstm_stacked", "gru_stacked",
                    "gru_reset_before_stacked", "mixed_simplernn_lstm_gru", "lstm_act_tanh_rec_hard_sigmoid")
RECURRENT_FORMATS = ("lstm_default", "gru_reset_before_default", "lstm_keras22_style", "gru_reset_before_keras22_style")
recurrent_manifest = os.path.join(FIXTURES, "recurrent", "manifest.json")
if os.path.exists(recurrent_manifest):
    for entry in json.load(open(recurrent_manifest)).get("fixtures", []):
        legacy = entry.get("format", "legacy-h5") == "legacy-h5" and entry.get("string_encoding") != "fixed"
        if legacy and entry["dir"].endswith("keras2") and entry["name"] not in RECURRENT_KERAS2:
            continue
        if not legacy and not any(entry["name"].startswith(name) for name in RECURRENT_FORMATS):
            continue
        entry = dict(entry)
        for key in ("model", "input", "expected", "config"):
            if entry.get(key):
                entry[key] = "recurrent/" + entry[key]
        entry["dir"] = "recurrent/" + entry["dir"]
        manifest["fixtures"].append(entry)
# The layer families with their own generators (each with its own manifest,
# paths relative to its directory), legacy .h5 files only (the other formats'
# readers and writers are shared with the layers above):
# - sequence_layers: every case of both generations;
# - functional (several inputs and outputs): every Keras 3 case, each graph
#   shape once (tf.keras's cases are the same graphs);
# - conv_layers, shape_layers, norm_layers: one Keras 3 case per combination
#   of layer classes, so that each class's config is loaded by both Kerases
#   (every option's round trip is checked by the Swift tests); all of them
#   would add several minutes to the test command.
LAYER_FAMILIES = ("sequence_layers", "conv_layers", "shape_layers", "norm_layers", "functional")
for family in LAYER_FAMILIES:
    family_manifest = os.path.join(FIXTURES, family, "manifest.json")
    if not os.path.exists(family_manifest):
        continue
    seen_classes = set()
    for entry in json.load(open(family_manifest)).get("fixtures", []):
        if entry.get("format", "legacy-h5") != "legacy-h5":
            continue
        if family != "sequence_layers":
            # Keras 3 cannot reload its own legacy .h5 of some models (mask
            # operation nodes; LayerNormalization over two axes): kerasio's
            # Functional files leave the mask nodes out, so those still count.
            if entry["dir"] != "keras3" or (entry.get("keras_cannot_reload_h5") and family != "functional"):
                continue
            classes = tuple(entry.get("layers", []))
            if family != "functional" and classes in seen_classes:
                continue
            seen_classes.add(classes)
        entry = dict(entry)
        for key in ("model", "input", "expected", "config"):
            if entry.get(key):
                entry[key] = family + "/" + entry[key]
        for key in ("inputs", "outputs"):
            if entry.get(key):
                entry[key] = [dict(item, file=family + "/" + item["file"]) for item in entry[key]]
        entry["dir"] = family + "/" + entry["dir"]
        if family in ("conv_layers", "shape_layers", "norm_layers"):
            # The legacy .h5 of each Keras: the archive and weights-only writers are the same for every layer.
            entry["targets"] = [(3, "k3.h5"), (2, "k2.h5")]
        manifest["fixtures"].append(entry)
# KERASIO_INTEROP_ONLY=<dir prefix> checks only those fixtures (for working on one family).
only = os.environ.get("KERASIO_INTEROP_ONLY")
if only:
    manifest["fixtures"] = [f for f in manifest["fixtures"] if f["dir"].startswith(only)]
cases, failures, skipped = [], [], []


def run(arguments):
    return subprocess.run([kerasio] + arguments, capture_output=True, text=True)


def fixture_path(relative):
    return os.path.join(FIXTURES, relative)


def convert(fixture):
    """Writes one fixture in every target format and predicts each written
    file with kerasio: (cases for the Keras check, failures, skipped)."""
    cases, failures, skipped = [], [], []
    source = fixture_path(fixture["model"])
    config = ["--config", fixture_path(fixture["config"])] if fixture.get("config") else []
    generation = int(fixture["keras_version"].split(".")[0]) if fixture.get("keras_version") else 3
    generation = 3 if generation >= 3 else 2
    stem = os.path.join(work, "%s__%s" % (fixture["dir"].replace("/", "_"), fixture["name"]))
    for keras, extension in [tuple(t) for t in fixture.get("targets", TARGETS)]:
        out = "%s.%s" % (stem, extension)
        written = run(["convert", source, out, "--keras", str(keras)] + config)
        case_id = "%s/%s -> %s (Keras %d)" % (fixture["dir"], fixture["name"], extension, keras)
        if written.returncode != 0:
            # Keras 2 and 3 define hard_sigmoid differently: kerasio refuses rather than change the numbers.
            # tf.keras has no LayerNormalization(rms_scaling=True): refused, not changed.
            # nor ZeroPadding1D(data_format="channels_first").
            refused_for_keras2 = "rms_scaling" in written.stderr or "has no data_format" in written.stderr
            if "hard_sigmoid" in written.stderr and keras != generation or refused_for_keras2 and keras == 2:
                skipped.append(case_id)
                continue
            failures.append("%s: kerasio convert failed: %s" % (case_id, written.stderr.strip()))
            continue
        architecture = None
        predict_config = []
        if extension == "weights.h5":
            architecture = "%s.keras" % stem
            if not os.path.exists(architecture):
                # Weights carry no activation; its architecture was refused above.
                skipped.append(case_id)
                continue
            predict_config = ["--config", architecture]
        # A Functional fixture has a list of inputs and of outputs; the others one each.
        inputs = [fixture_path(item["file"]) for item in fixture["inputs"]] if fixture.get("inputs") else [fixture_path(fixture["input"])]
        expected = [fixture_path(item["file"]) for item in fixture["outputs"]] if fixture.get("outputs") else [fixture_path(fixture["expected"])]
        predictions = ["%s.%s.kerasio%d.npy" % (stem, extension, k) for k in range(len(expected))]
        arguments = ["predict", out]
        for path in inputs:
            arguments += ["--input", path]
        for path in predictions:
            arguments += ["--output", path]
        predicted = run(arguments + predict_config)
        if predicted.returncode != 0:
            failures.append("%s: kerasio predict on the written file failed: %s" % (case_id, predicted.stderr.strip()))
            continue
        several = bool(fixture.get("inputs"))
        cases.append({"id": case_id, "keras": keras, "file": out, "architecture": architecture,
                      "input": inputs if several else inputs[0], "kerasio": predictions if several else predictions[0],
                      "expected": expected if several else expected[0],
                      "stateful_batch": fixture.get("fixed_batch_size") if fixture.get("stateful") else None})
    return cases, failures, skipped


# The fixtures are independent: one kerasio process per core at a time.
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    for fixture_cases, fixture_failures, fixture_skipped in pool.map(convert, manifest["fixtures"]):
        cases += fixture_cases
        failures += fixture_failures
        skipped += fixture_skipped

swift_dir = os.path.join(work, "swift-built")
built = subprocess.run([swift_built_model, swift_dir], capture_output=True, text=True)
if built.returncode != 0:
    failures.append("swift-built model: %s" % built.stderr.strip())
else:
    for keras, extension in TARGETS:
        cases.append({
            "id": "model built in Swift -> %s (Keras %d)" % (extension, keras), "keras": keras,
            "file": os.path.join(swift_dir, "model.%s" % extension),
            "architecture": os.path.join(swift_dir, "model.keras") if extension == "weights.h5" else None,
            "input": os.path.join(swift_dir, "input.npy"), "kerasio": os.path.join(swift_dir, "prediction.npy")})

# A model trained by `kerasio train` (a short run of the tutorial) must load in Keras too.
trained = os.path.join(work, "trained-sunspots.h5")
ran = run(["train", "--data", os.path.join(ROOT, "data", "monthly-sunspots.csv"), "--epochs", "2", "--seed", "7",
           "--output", trained, "--plot", os.path.join(work, "trained.svg"), "--quiet"])
if ran.returncode != 0:
    failures.append("kerasio train: %s" % ran.stderr.strip())
else:
    import numpy as np
    window = np.linspace(0.1, 0.6, 36, dtype=np.float32).reshape(3, 12, 1)
    np.save(os.path.join(work, "trained-input.npy"), window)
    prediction = os.path.join(work, "trained.kerasio.npy")
    if run(["predict", trained, "--input", os.path.join(work, "trained-input.npy"), "--output", prediction]).returncode == 0:
        for keras in (3,):
            cases.append({"id": "model trained by kerasio train -> .h5 (Keras 3)", "keras": keras, "file": trained,
                          "architecture": None, "input": os.path.join(work, "trained-input.npy"), "kerasio": prediction})
    else:
        failures.append("kerasio predict on the trained model failed")

# Keras 3 has three of the four targets: its cases are checked in two
# processes, tf.keras's in a third, all at the same time (the Keras 3 half
# was the long pole once Functional models, slow to trace, joined).
keras3_cases = [c for c in cases if str(c["keras"]) == "3"]
groups = {"2": [c for c in cases if str(c["keras"]) == "2"], "3a": keras3_cases[0::2], "3b": keras3_cases[1::2]}
results = []
checks = {}
for group, group_cases in groups.items():
    cases_file = os.path.join(work, "cases-%s.json" % group)
    json.dump(group_cases, open(cases_file, "w"), indent=1)
    results_file = os.path.join(work, "results-%s.json" % group)
    checks[group] = (results_file, subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "interop", "keras_check.py"), "--keras", group[0], cases_file, results_file],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
for group, (results_file, process) in checks.items():
    _, stderr = process.communicate()
    if process.returncode != 0 or not os.path.exists(results_file):
        failures.append("the Keras %s check (%s) did not run: %s" % (group[0], group, stderr.strip()[-500:]))
        continue
    results += json.load(open(results_file))

passed = [r for r in results if r["ok"]]
failures += ["%s: %s" % (r["id"], r["why"]) for r in results if not r["ok"]]
fixture_ids = {c["id"] for c in cases if c.get("expected")}
unchecked = [r["id"] for r in passed if r["id"] in fixture_ids and "original_difference" not in r]
failures += ["%s: not compared with Keras's prediction of the original" % case_id for case_id in unchecked]
for line in failures:
    print("FAILED " + line)
worst = max([r.get("difference", 0.0) for r in passed] or [0.0])
against_original = [r for r in passed if "original_difference" in r]
worst_original = max([r["original_difference"] for r in against_original] or [0.0])
print("interop: %d files loaded by Keras 3 and tf.keras 2 matched kerasio (largest difference %.2g); "
      "%d of them also matched Keras's prediction of the original fixture (largest difference %.2g); "
      "%d refused on purpose (hard_sigmoid across generations)"
      % (len(passed), worst, len(against_original), worst_original, len(skipped)))
print("interop: %d passed, %d failed" % (len(passed), len(failures)))
sys.exit(1 if failures or not passed or not against_original else 0)
