#!/usr/bin/env python3
"""Mutation campaign for the kerasio CLI (issue 10).

Takes the shipped fixtures as seeds, mutates them (byte-level and
structure-aware: HDF5 via h5py, .keras zips, .npy headers, CSV text, JSON
configs), runs each mutant through the CLI's commands in a fresh temporary
directory with a wall-clock limit and a memory safety net, and classifies
every run:

  ok             exit 0 (and nothing odd on stderr, nothing left behind)
  clean-error    non-zero exit < 128, stderr exactly one printable line
                 'error: ...' of at most 1000 characters naming a file
                 argument (the mutant, or another file of the run, e.g. a
                 valid input the mutated model no longer accepts; fit's
                 progress lines are ignored)
  crash          killed by a signal, exit >= 128, or stderr mentions
                 Fatal error / Backtrace / Thread 0 / AddressSanitizer /
                 HDF5-DIAG / Segmentation
  hang           still running after --timeout seconds (process group killed)
  memory         peak RSS (wait4 ru_maxrss) above --memory-mb
  bad-message    non-zero exit, stderr not one clean 'error:' line
  leftover       a temporary or unexpected file left in the output dir, the
                 working dir or TMPDIR, or an existing output altered on failure
  outside-write  anything written outside the run's directory (the run root,
                 the worker's directory, HOME, /tmp/*kerasio-campaign-evil*),
                 or an input file modified

Only numpy and h5py are needed (no Keras). Deterministic from --seed: mutant
i is made from random.Random(f"{seed}:{i}") and the seed files alone, whatever
--jobs is (the seeds are fixtures/manifest.json, fixtures/training and, when
present, fixtures/hostile: adding fixtures changes which mutants a seed makes).

Usage: fuzz/campaign.py [--kerasio PATH] [--count N | --quick] [--seed S]
       [--timeout S] [--jobs J] [--out DIR] [--formats a,b] [--commands a,b]
       [--only I,J]
The last line is 'campaign: N passed, M failed'; the exit status is 1 if
any run failed (anything but ok / clean-error), 2 if the harness could not run.
"""

import argparse
import atexit
import hashlib
import io
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_mutators as M  # noqa: E402

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "fixtures")

FORMATS = ["h5-k3", "h5-k2", "keras", "weights", "config", "npy", "csv", "train-h5", "train-npy"]
FORMAT_HELP = {
    "h5-k3": "legacy .h5 full models saved by Keras 3 (and bad/*.h5)",
    "h5-k2": "legacy .h5 full models saved by tf.keras 2",
    "keras": ".keras zip archives (and bad/*.keras)",
    "weights": "weights-only .weights.h5 / save_weights .h5, run with their valid --config",
    "config": "the --config architecture JSON of a weights-only file",
    "npy": "predict/explain/fit inputs (.npy) against a valid model",
    "csv": "predict inputs (.csv) against a valid model",
    "train-h5": "training fixtures' .h5 (with training_config and optimizer state), mostly for fit",
    "train-npy": "training x/y .npy used by fit",
}
COMMANDS = ["import", "predict", "convert", "fit", "explain"]
FORMAT_COMMANDS = {
    "h5-k3": COMMANDS, "h5-k2": COMMANDS, "keras": COMMANDS, "weights": COMMANDS, "config": COMMANDS,
    "train-h5": COMMANDS, "npy": ["predict", "explain", "fit"], "csv": ["predict", "explain"],
    "train-npy": ["fit", "predict"],
}
CLASSES = ["ok", "clean-error", "crash", "hang", "memory", "bad-message", "leftover", "outside-write"]
PASSING = {"ok", "clean-error"}
CRASH_MARKERS = ["Fatal error", "Backtrace", "Thread 0", "AddressSanitizer", "HDF5-DIAG", "Segmentation"]
# The supervised child's crash, turned into one error line by the parent
# (Sources/CLI/Supervisor.swift): clean for the user, still a bug below.
CONTAINED = re.compile(r"kerasio crashed \(|kerasio was killed")
PROGRESS_LINE = re.compile(r"^(Epoch \d+/\d+|\d+/\d+ - .*)$")
PREEXISTING = b"PRE-EXISTING OUTPUT kerasio-campaign\n"
SAVE_LIMIT = 128 << 20  # mutants larger than this are not copied into --out (rerun with --only instead)


# ----------------------------------------------------------------------------
# Seeds
# ----------------------------------------------------------------------------

def fx(rel):
    return os.path.join(FIXTURES, rel)


def derive(cache, key, array, kind):
    """Writes a derived seed (one-sample npy, csv) into the cache; returns its path."""
    path = os.path.join(cache, key)
    if os.path.exists(path):
        return path
    tmp = f"{path}.{os.getpid()}.tmp"
    if kind == "npy":
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(array))
    else:
        rows = np.asarray(array, dtype=np.float32).reshape(array.shape[0], -1)
        header = int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0
        with open(tmp, "w") as fh:
            if header:
                fh.write(",".join(f"v{i}" for i in range(rows.shape[1])) + "\n")
            for r in rows:
                fh.write(",".join(repr(float(v)) for v in r) + "\n")
    os.replace(tmp, path)
    return path


def add_hostile_seeds(seeds, sunspots, sunspots_k2):
    """fixtures/hostile/ (issue 10's reproducers, where present) as 'bad' seeds:
    mutating a known-hostile file explores next to an old bug."""
    root = os.path.join(FIXTURES, "hostile")
    if not os.path.isdir(root) or not sunspots:
        return
    weights_for = {}
    manifest = os.path.join(root, "config", "manifest.json")
    if os.path.exists(manifest):
        for entry in json.load(open(manifest)).get("reproducers", []):
            if entry.get("weights"):
                weights_for[entry["file"]] = fx(entry["weights"])
    for sub in sorted(os.listdir(root)):
        directory = os.path.join(root, sub)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            companions = sunspots_k2 if name.startswith("k2_") and sunspots_k2 else sunspots
            if name.endswith(".h5"):
                fmt = "h5-k2" if name.startswith("k2_") else "h5-k3"
                seeds[fmt]["bad"].append(dict(companions, name=name, model=path, config=None))
            elif name.endswith(".keras"):
                seeds["keras"]["bad"].append(dict(companions, name=name, model=path, config=None))
            elif name.endswith(".json") and name in weights_for:
                seeds["config"]["bad"].append(dict(companions, name=name, model=weights_for[name], config=path))
            elif name.endswith(".npy"):
                seeds["npy"]["bad"].append(dict(companions, name=name, input=path, one=path))
            elif name.endswith(".csv"):
                seeds["csv"]["bad"].append(dict(companions, name=name, csv=path))


def load_seeds(cache):
    """{format: {"good": [seed...], "bad": [seed...]}}; a seed is a dict of paths."""
    manifest = json.load(open(fx("manifest.json")))
    # LSTM and GRU seeds: a few models of fixtures/recurrent, every format.
    recurrent_names = {"lstm_default", "gru_default", "gru_reset_before_default", "mixed_simplernn_lstm_gru",
                       "lstm_default_fixedstr", "gru_reset_before_keras22_style"}
    if os.path.exists(fx("recurrent/manifest.json")):
        for entry in json.load(open(fx("recurrent/manifest.json")))["fixtures"]:
            if entry["name"] not in recurrent_names:
                continue
            entry = dict(entry, dir="recurrent/" + entry["dir"])
            for key in ("model", "input", "expected", "config"):
                if entry.get(key):
                    entry[key] = "recurrent/" + entry[key]
            manifest["fixtures"].append(entry)
    seeds = {f: {"good": [], "bad": []} for f in FORMATS}
    by_model = {}
    for entry in manifest["fixtures"]:
        key = entry["dir"].replace("/", "_") + "__" + entry["name"]
        inp = np.load(fx(entry["input"]))
        exp = np.load(fx(entry["expected"]))
        s = {
            "name": entry["name"], "dir": entry["dir"], "model": fx(entry["model"]),
            "config": fx(entry["config"]) if entry.get("config") else None,
            "input": fx(entry["input"]), "expected": fx(entry["expected"]),
            "one": derive(cache, key + ".one.npy", inp[:1], "npy"),
            "one_y": derive(cache, key + ".one_y.npy", exp[:1], "npy"),
            "csv": derive(cache, key + ".input.csv", inp, "csv"),
            "train": False,
        }
        by_model[entry["model"]] = s
        f = entry["format"]
        if f == "legacy-h5":
            seeds["h5-k3" if entry["dir"].endswith("keras3") else "h5-k2"]["good"].append(s)
        elif f == "keras":
            seeds["keras"]["good"].append(s)
        else:
            seeds["weights"]["good"].append(s)
            seeds["config"]["good"].append(s)
        seeds["npy"]["good"].append(s)
        seeds["csv"]["good"].append(s)
    sunspots = by_model.get("keras3/sunspots.h5")
    for entry in manifest.get("bad", []):
        rel = entry["file"]
        if not (rel.endswith(".h5") or rel.endswith(".keras")):
            continue
        s = dict(sunspots, name=os.path.basename(rel), model=fx(rel), config=fx(entry["config"]) if entry.get("config") else None)
        if entry.get("config"):
            seeds["weights"]["bad"].append(s)
        elif rel.endswith(".keras"):
            seeds["keras"]["bad"].append(s)
        else:
            seeds["h5-k3"]["bad"].append(s)
    add_hostile_seeds(seeds, sunspots, by_model.get("keras2/sunspots.h5"))
    training = json.load(open(fx("training/manifest.json")))
    for case in training["cases"]:
        x, y = np.load(fx(case["x"])), np.load(fx(case["y"]))
        for stage in ("initial", "after"):
            s = {
                "name": case["name"] + "." + stage, "dir": "training", "model": fx(case[stage]), "config": None,
                "input": fx(case["x"]), "expected": fx(case["y"]),
                "one": derive(cache, "training__" + case["name"] + ".one.npy", x[:1], "npy"),
                "one_y": derive(cache, "training__" + case["name"] + ".one_y.npy", y[:1], "npy"),
                "csv": derive(cache, "training__" + case["name"] + ".input.csv", x, "csv"),
                "train": True, "batch_size": case.get("batch_size", 4),
            }
            seeds["train-h5"]["good"].append(s)
            if stage == "initial":
                seeds["train-npy"]["good"].append(s)
    return seeds


# ----------------------------------------------------------------------------
# Mutants
# ----------------------------------------------------------------------------

def read(path):
    with open(path, "rb") as fh:
        return fh.read()


def make_mutant(fmt, seed, rng, scratch, bombs):
    """Returns (role, base_path, mutant_bytes, [descriptions]).

    role says which file of the command the mutant replaces: model, config,
    input (npy/csv/one-sample), x, y.
    """
    steps = M._choice_weighted(rng, [(6, 1), (3, 2), (1, 3)])
    if fmt in ("h5-k3", "h5-k2", "weights", "train-h5"):
        role, base = "model", seed["model"]
    elif fmt == "keras":
        role, base = "model", seed["model"]
    elif fmt == "config":
        role, base = "config", seed["config"]
    elif fmt == "npy":
        role, base = rng.choice([("input", seed["input"]), ("one", seed["one"]), ("y", seed["expected"])])
    elif fmt == "csv":
        role, base = "csv", seed["csv"]
    else:  # train-npy
        role, base = rng.choice([("x", seed["input"]), ("y", seed["expected"])])
    data = read(base)
    # Structure-aware steps first (h5py and zipfile only ever see files they
    # or the seed wrote), byte-level steps after.
    kinds = sorted((rng.random() < 0.7 for _ in range(steps)), key=lambda s: not s)
    descs = []
    zip_done = False
    h5_pristine = True  # h5py only ever opens files that the seed's writer or h5py itself wrote
    for structural in kinds:
        if fmt in ("h5-k3", "h5-k2", "weights", "train-h5"):
            if structural and h5_pristine:
                path = os.path.join(scratch, "mutant.h5")
                with open(path, "wb") as fh:
                    fh.write(data)
                try:
                    descs.append(M.hdf5_mutate(path, rng, json_weight=2.0 if fmt == "train-h5" else 1.0))
                    data = read(path)
                except Exception as err:
                    data2, d = M.byte_mutate(data, rng, hot=4096)
                    descs.append(f"(h5py: {type(err).__name__}) {d}")
                    data = data2
                    h5_pristine = False
            else:
                data, d = M.byte_mutate(data, rng, hot=4096)
                descs.append(d)
                h5_pristine = False
        elif fmt == "keras":
            if structural and not zip_done:
                donor = read(fx("keras3/stacked.keras"))
                try:
                    import zipfile
                    donor = zipfile.ZipFile(io.BytesIO(donor)).read("model.weights.h5")
                except Exception:
                    donor = None
                data, d = M.zip_mutate(data, rng, scratch, bombs, donor_weights=donor)
                zip_done = True
            else:
                data, d = M.byte_mutate(data, rng, hot=512)
            descs.append(d)
        elif fmt == "config":
            if structural:
                data, d = M.json_mutate(data.decode("utf-8", "replace"), rng)
            else:
                data, d = M.byte_mutate(data, rng)
            descs.append(d)
        elif fmt in ("npy", "train-npy"):
            if structural and data.startswith(b"\x93NUMPY"):
                try:
                    data, d = M.npy_mutate(data, rng)
                except Exception as err:
                    data, d = M.byte_mutate(data, rng, hot=128)
                    d = f"(npy: {type(err).__name__}) {d}"
            else:
                data, d = M.byte_mutate(data, rng, hot=128)
            descs.append(d)
        else:  # csv
            if structural:
                data, d = M.csv_mutate(data, rng)
            else:
                data, d = M.byte_mutate(data, rng)
            descs.append(d)
    return role, base, data, descs


# ----------------------------------------------------------------------------
# Command lines
# ----------------------------------------------------------------------------

def plan(cmd, fmt, seed, role, base, rng):
    """The run: argv (paths relative to the run's working dir), the input
    files to place under in/ ({relpath: source path or None for the
    mutant}), the output file if any and whether it exists beforehand.
    Returns None when the command does not apply to this mutant."""
    files = {}

    def place(path, mutant=False):
        rel = "in/" + os.path.basename(path)
        files[rel] = None if mutant else path
        return rel

    model_path, config_path = seed["model"], seed["config"]
    if role == "model":
        model = place(base, mutant=True)
        config = place(config_path) if config_path else None
    elif role == "config":
        model = place(model_path)
        config = place(base, mutant=True)
    else:
        model = place(model_path)
        config = place(config_path) if config_path else None
    margs = [model] + (["--config", config] if config else [])

    if role in ("input", "one", "csv", "x"):
        inp = place(base, mutant=True)
    else:
        inp = None
    if cmd == "import":
        if role not in ("model", "config"):
            return None
        return dict(argv=["import"] + margs + (["--json"] if rng.random() < 0.5 else []), files=files,
                    output=None, pre=False)
    if cmd == "predict":
        if role == "y":
            return None
        if inp is None:
            inp = place(rng.choice([seed["input"], seed["input"], seed["csv"], seed["one"]]))
        out = rng.choice(["out/prediction.npy", "out/prediction.csv", None])
        argv = ["predict"] + margs + ["--input", inp] + (["--output", out] if out else [])
        return dict(argv=argv, files=files, output=out, pre=bool(out) and rng.random() < 0.4)
    if cmd == "convert":
        if role not in ("model", "config"):
            return None
        out = "out/converted" + rng.choice([".h5", ".h5", ".keras", ".weights.h5"])
        # --keras 2 only for .h5: the other formats are Keras 3's (a usage error, not a file problem)
        argv = ["convert"] + margs + [out, "--keras", "2" if out.endswith(".h5") and not out.endswith(".weights.h5")
                                      and rng.random() < 0.4 else "3"]
        return dict(argv=argv, files=files, output=out, pre=rng.random() < 0.4)
    if cmd == "fit":
        if role in ("csv",):
            return None
        if role == "one":
            x, y = inp, place(seed["one_y"])
        elif role == "y":
            x, y = place(seed["input"]), place(base, mutant=True)
        elif role in ("input", "x"):
            x, y = inp, place(seed["expected"])
        else:
            x, y = place(seed["input"]), place(seed["expected"])
        out = "out/trained" + rng.choice([".h5", ".h5", ".keras", ".weights.h5"])
        argv = ["fit"] + margs + ["--x", x, "--y", y, "--output", out, "--epochs", "1",
                                  "--batch-size", str(seed.get("batch_size", 4)), "--no-shuffle"]
        if not seed["train"] or rng.random() < 0.2:
            argv += ["--loss", rng.choice(["mse", "mae"]), "--optimizer", rng.choice(["adam", "sgd", "rmsprop", "adagrad"])]
        if out == "out/trained.h5" and rng.random() < 0.25:
            argv += ["--keras", "2"]
        return dict(argv=argv, files=files, output=out, pre=rng.random() < 0.3)
    if cmd == "explain":
        if role in ("x", "y"):
            return None
        if inp is None:
            inp = place(seed["one"])
        return dict(argv=["explain"] + margs + ["--input", inp], files=files, output=None, pre=False)
    raise ValueError(cmd)


# ----------------------------------------------------------------------------
# Running and classifying
# ----------------------------------------------------------------------------

G = {}  # per-worker state, set by worker_init


def worker_init(opts, seeds, campaign_root):
    G["opts"] = opts
    G["seeds"] = seeds
    G["root"] = campaign_root
    G["base"] = tempfile.mkdtemp(prefix="w", dir=campaign_root)
    G["scratch"] = tempfile.mkdtemp(prefix="s", dir=campaign_root)
    G["bombs"] = M.BombCache(opts["cache"])
    # The safety net for the children (inherited): address space stays free
    # (the Swift runtime reserves a lot of it), data segment capped.
    limit = opts["data_limit_mb"] << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 30, 2 << 30))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_terminated)


def _worker_terminated(signum, frame):
    """The pool is being torn down (Ctrl-C, an error): the spawner notices
    that its parent is gone and kills the running kerasio."""
    os._exit(1)


def tree_state(root, skip=()):
    """{relpath: sha1} of every file (and 'dir'/'link' markers) under root."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for d in list(dirnames):
            rel = os.path.normpath(os.path.join(rel_dir, d))
            if rel in skip:
                dirnames.remove(d)
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                state[rel] = "link"
            else:
                state[rel] = "dir"
        for f in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, f))
            if rel in skip:
                continue
            p = os.path.join(dirpath, f)
            if os.path.islink(p):
                state[rel] = "link:" + os.readlink(p)
                continue
            h = hashlib.sha1()
            try:
                with open(p, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
            except OSError:
                pass
            state[rel] = h.hexdigest()
    return state


def evil_hits(extra_dirs, idx):
    """Files named by this mutant's outside-write bait, anywhere we can think of; removed once seen."""
    hits = []
    mine = f"{M.EVIL_PREFIX}-{idx}."
    for d in ["/tmp", "/", os.path.expanduser("~"), os.environ.get("HOME", "/root")] + extra_dirs:
        try:
            for name in os.listdir(d):
                if name.startswith(mine):
                    path = os.path.join(d, name)
                    if path not in hits:
                        hits.append(path)
        except OSError:
            pass
    for path in hits:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            pass
    return hits


# Runs the kerasio processes for a worker. Linux keeps ru_maxrss across
# fork and execve, so a child forked from the worker (tens or hundreds of MiB
# of mutants and h5py) would report at least the worker's peak. The spawner
# is a fresh `python3 -S` of ~10 MiB that forks the runs, so wait4's
# ru_maxrss is kerasio's own peak (parent and its supervised child, which it
# waits for) plus that small floor. One JSON request per line on stdin, one
# JSON reply per line on stdout.
SPAWNER = r"""
import json, os, signal, sys, time
parent = os.getppid()
for line in sys.stdin:
    req = json.loads(line)
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.chdir(req["cwd"])
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(req["argv"][0], req["argv"], req["env"])
        finally:
            os._exit(127)
    os.close(out)
    os.close(err)
    timed_out = False
    delay = 0.001
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > req["timeout"] or os.getppid() != parent:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            done, status, usage = os.wait4(pid, 0)
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.02)
    seconds = time.monotonic() - start
    try:
        os.killpg(pid, signal.SIGKILL)  # a supervised child or anything left behind
    except OSError:
        pass
    if os.getppid() != parent:
        sys.exit(1)
    print(json.dumps({"status": status, "timed_out": timed_out, "seconds": seconds,
                      "maxrss": usage.ru_maxrss * 1024}), flush=True)
"""


def spawner():
    p = G.get("spawner")
    if p is None or p.poll() is not None:
        p = subprocess.Popen([sys.executable, "-S", "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1)
        G["spawner"] = p
    return p


def run_command(argv, cwd, env, timeout, stdout_path, stderr_path):
    """Runs argv in its own process group (through the spawner); returns
    (status, timed_out, seconds, maxrss_bytes)."""
    request = {"argv": argv, "cwd": cwd, "env": env, "timeout": timeout, "stdout": stdout_path, "stderr": stderr_path}
    p = spawner()
    p.stdin.write(json.dumps(request) + "\n")
    p.stdin.flush()
    reply = p.stdout.readline()
    if not reply:
        raise RuntimeError("the spawner died")
    r = json.loads(reply)
    return r["status"], r["timed_out"], r["seconds"], r["maxrss"]


def check_message(stderr, file_args, mutant_rel, command):
    """Reasons why stderr is not one clean error line ([] if it is), and what it names."""
    reasons = []
    try:
        text = stderr.decode("utf-8")
    except UnicodeDecodeError:
        return ["not UTF-8"], None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if command == "fit":
        lines = [l for l in lines if not PROGRESS_LINE.match(l)]
    if not lines:
        return ["empty stderr"], None
    if len(lines) > 1:
        reasons.append(f"{len(lines)} lines")
    line = lines[0] if len(lines) == 1 else "\n".join(lines)
    first = lines[0]
    if not first.startswith("error: "):
        reasons.append("no 'error: ' prefix")
    if not all(c.isprintable() for c in first):
        reasons.append("non-printable characters")
    if len(first) > 1000:
        reasons.append(f"{len(first)} characters")
    names = None
    mutant_names = {mutant_rel, os.path.basename(mutant_rel)}
    other_names = set()
    for a in file_args:
        other_names |= {a, os.path.basename(a)}
    if any(n and n in line for n in mutant_names):
        names = "mutant"
    elif any(n and n in line for n in other_names):
        names = "other-file"
    else:
        reasons.append("names no file")
    return reasons, names


def seed_name(path):
    path = os.path.abspath(path)
    return os.path.relpath(path, FIXTURES) if path.startswith(FIXTURES + os.sep) else "derived/" + os.path.basename(path)


def execute(idx, fmt, seed, role, base, mutant_rel, mutant_bytes, spec, descs, save=True):
    opts = G["opts"]
    run_root = os.path.join(G["base"], f"r{idx}")
    work = os.path.join(run_root, "work")
    for d in ("work/in", "work/out", "tmp", "home"):
        os.makedirs(os.path.join(run_root, d), exist_ok=True)
    for rel, src in spec["files"].items():
        dest = os.path.join(work, rel)
        if src is None:
            with open(dest, "wb") as fh:
                fh.write(mutant_bytes)
        else:
            shutil.copyfile(src, dest)
    if spec["pre"]:
        with open(os.path.join(work, spec["output"]), "wb") as fh:
            fh.write(PREEXISTING)
    before_in = tree_state(os.path.join(work, "in"))
    before_out = tree_state(os.path.join(work, "out"))
    env = dict(os.environ)
    env["TMPDIR"] = os.path.join(run_root, "tmp")
    env["HOME"] = os.path.join(run_root, "home")
    if opts.get("unsupervised"):
        env["KERASIO_SUPERVISE"] = "0"
    argv = [opts["kerasio"]] + spec["argv"]
    status, timed_out, seconds, maxrss = run_command(
        argv, work, env, opts["timeout"], os.path.join(run_root, "stdout"), os.path.join(run_root, "stderr"))
    with open(os.path.join(run_root, "stderr"), "rb") as fh:
        stderr = fh.read(1 << 20)
    stdout_size = os.path.getsize(os.path.join(run_root, "stdout"))
    code = os.waitstatus_to_exitcode(status)

    reasons = {}
    # outside writes
    outside = []
    root_entries = set(os.listdir(run_root)) - {"work", "tmp", "home", "stdout", "stderr"}
    outside += [f"wrote {os.path.join('..', e)}" for e in sorted(root_entries)]
    base_entries = set(os.listdir(G["base"])) - {f"r{idx}"}
    outside += [f"wrote worker dir entry {e}" for e in sorted(base_entries)]
    home = tree_state(os.path.join(run_root, "home"))
    outside += [f"wrote $HOME/{e}" for e in sorted(home)]
    hits = evil_hits([G["root"], G["base"], run_root, os.path.dirname(G["root"]), REPO, FIXTURES], idx)
    outside += [f"wrote {h}" for h in hits]
    after_in = tree_state(os.path.join(work, "in"))
    if after_in != before_in:
        changed = sorted(k for k in set(after_in) | set(before_in) if after_in.get(k) != before_in.get(k))
        outside += ["changed input " + ", ".join(changed)[:300]]
    if outside:
        reasons["outside-write"] = outside
    # leftovers
    left = []
    work_entries = set(os.listdir(work)) - {"in", "out"}
    left += [f"unexpected {e} in the working dir" for e in sorted(work_entries)]
    tmp_left = tree_state(os.path.join(run_root, "tmp"))
    left += [f"left $TMPDIR/{e}" for e in sorted(tmp_left)]
    after_out = tree_state(os.path.join(work, "out"))
    expected_out = dict(before_out)
    if code == 0 and not timed_out and spec["output"]:
        rel = os.path.relpath(spec["output"], "out")
        if rel in after_out:
            expected_out[rel] = after_out[rel]
        else:
            left.append(f"exit 0 but no {spec['output']}")
    for k in sorted(set(after_out) | set(expected_out)):
        if after_out.get(k) != expected_out.get(k):
            if k not in after_out:
                left.append(f"removed out/{k}")
            elif k not in expected_out:
                left.append(f"left out/{k}")
            else:
                left.append(f"altered existing out/{k} on failure")
    if left and not timed_out:
        reasons["leftover"] = left
    # crash / hang / memory
    text = stderr.decode("utf-8", "replace")
    markers = [m for m in CRASH_MARKERS if m in text]
    if timed_out:
        reasons["hang"] = [f"still running after {opts['timeout']} s"]
    elif code < 0 or code >= 128 or markers:
        why = []
        if code < 0:
            why.append("signal " + signal.Signals(-code).name)
        elif code >= 128:
            why.append(f"exit {code}")
        why += [f"stderr has '{m}'" for m in markers]
        reasons["crash"] = why
    if maxrss > opts["memory_mb"] << 20:
        reasons["memory"] = [f"peak RSS {maxrss >> 20} MiB"]
    names = None
    if code > 0 and not timed_out and "crash" not in reasons:
        file_args = [a for a in spec["argv"] if a.startswith("in/") or a.startswith("out/")]
        problems, names = check_message(stderr, file_args, mutant_rel, spec["argv"][0])
        if problems:
            reasons["bad-message"] = problems
    for cls in ("outside-write", "hang", "memory", "crash", "leftover", "bad-message"):
        if cls in reasons:
            primary = cls
            break
    else:
        primary = "ok" if code == 0 else "clean-error"
    result = {
        "idx": idx, "format": fmt, "seed": seed_name(base), "model": seed_name(seed["model"]),
        "role": role, "mutant": mutant_rel, "mutation": descs, "command": spec["argv"][0],
        "argv": spec["argv"], "exit": code, "timed_out": timed_out, "seconds": round(seconds, 3),
        "maxrss_mb": round(maxrss / 2**20, 1), "class": primary, "reasons": reasons, "names": names,
        "stdout_bytes": stdout_size, "contained_crash": bool(CONTAINED.search(text)),
        "stderr": text[:8000] if primary not in PASSING else text[:300],
    }
    if primary not in PASSING and opts.get("out") and save:
        save_finding(result, run_root, spec, mutant_rel, mutant_bytes)
    shutil.rmtree(run_root, ignore_errors=True)
    return result


def shell_quote(a):
    if re.fullmatch(r"[A-Za-z0-9_./=:,+-]+", a):
        return a
    return "'" + a.replace("'", "'\\''") + "'"


def save_finding(result, run_root, spec, mutant_rel, mutant_bytes):
    opts = G["opts"]
    name = f"{result['idx']:05d}-{result['format']}-{result['command']}-{result['class']}"
    dest = os.path.join(opts["out"], "findings", name)
    os.makedirs(os.path.join(dest, "in"), exist_ok=True)
    os.makedirs(os.path.join(dest, "out"), exist_ok=True)
    for rel, src in spec["files"].items():
        if src is None:
            if len(mutant_bytes) <= SAVE_LIMIT:
                with open(os.path.join(dest, rel), "wb") as fh:
                    fh.write(mutant_bytes)
            else:
                with open(os.path.join(dest, rel + ".TOO-BIG.txt"), "w") as fh:
                    fh.write(f"{len(mutant_bytes)} bytes; regenerate with: fuzz/campaign.py --seed {opts['seed']} "
                             f"--formats {','.join(opts['formats'])} --only {result['idx']} --dump-mutants DIR\n")
        else:
            shutil.copyfile(src, os.path.join(dest, rel))
    if spec["pre"]:
        with open(os.path.join(dest, spec["output"]), "wb") as fh:
            fh.write(PREEXISTING)
    cmdline = " ".join(shell_quote(a) for a in spec["argv"])

    def comment(text):  # mutation descriptions hold newlines and escapes: keep them inert
        return json.dumps(text, ensure_ascii=True)[1:-1][:400]
    with open(os.path.join(dest, "cmd.sh"), "w") as fh:
        fh.write("#!/bin/sh\n")
        fh.write(f"# {result['class']}: {comment(json.dumps(result['reasons']))}\n")
        fh.write(f"# format {result['format']}, seed {comment(result['seed'])}, "
                 f"mutation: {comment('; '.join(result['mutation']))}\n")
        fh.write("# run from anywhere; KERASIO=path/to/kerasio overrides the binary\n")
        fh.write(f'cd "$(dirname "$0")" && exec timeout {int(opts["timeout"]) + 5} "${{KERASIO:-kerasio}}" {cmdline}\n')
    os.chmod(os.path.join(dest, "cmd.sh"), 0o755)
    with open(os.path.join(dest, "stderr.txt"), "wb") as fh:
        fh.write(read(os.path.join(run_root, "stderr"))[: 1 << 20])
    with open(os.path.join(dest, "stdout-head.txt"), "wb") as fh:
        with open(os.path.join(run_root, "stdout"), "rb") as src:
            fh.write(src.read(64 << 10))
    with open(os.path.join(dest, "result.json"), "w") as fh:
        json.dump(result, fh, indent=1)


def work_item(idx):
    opts = G["opts"]
    rng = random.Random(f"{opts['seed']}:{idx}")
    formats = opts["formats"]
    fmt = formats[idx % len(formats)]
    pool = G["seeds"][fmt]
    group = "bad" if pool["bad"] and rng.random() < 0.15 else "good"
    M.EVIL_NAME = f"{M.EVIL_PREFIX}-{idx}.txt"  # so a stray file names the mutant that wrote it
    seed = rng.choice(pool[group])
    t0 = time.monotonic()
    try:
        role, base, data, descs = make_mutant(fmt, seed, rng, G["scratch"], G["bombs"])
    except Exception as err:  # a harness bug: report, do not stop the campaign
        return {"idx": idx, "harness_error": f"{type(err).__name__}: {err}", "format": fmt}, []
    mutate_seconds = time.monotonic() - t0
    if opts.get("dump"):
        with open(os.path.join(opts["dump"], f"{idx:05d}-{os.path.basename(base)}"), "wb") as fh:
            fh.write(data)
    results = []
    mutant_rel = "in/" + os.path.basename(base)
    for cmd in FORMAT_COMMANDS[fmt]:
        if cmd not in opts["commands"]:
            continue
        crng = random.Random(f"{opts['seed']}:{idx}:{cmd}")
        spec = plan(cmd, fmt, seed, role, base, crng)
        if spec is None:
            continue
        results.append(execute(idx, fmt, seed, role, base, mutant_rel, data, spec, descs))
    return {"idx": idx, "format": fmt, "mutate_seconds": mutate_seconds, "bytes": len(data)}, results


# ----------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------

def normalize(text, words=None):
    """A message with its variable parts blanked, for grouping failures by cause."""
    text = "".join(c if c.isprintable() and ord(c) < 0x2000 else "?" for c in text)
    text = re.sub(r"in/[^\s:,'\"]+|out/[^\s:,'\"]+|/[\w./-]+", "PATH", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\"[^\"]*\"", "\"…\"", text)
    text = re.sub(r"0x[0-9a-fA-F]+", "N", text)
    text = re.sub(r"\d+", "N", text)
    text = re.sub(r"(.)\1{5,}", r"\1\1\1…", text)
    if words:
        text = " ".join(text.split()[:words])
    return text[:150]


FRAME = re.compile(r"^\s*\d+\s+(?:\[[^\]]*\]\s+)*0x[0-9a-f]+\s+(.+?)(?:\s+\+\s+\d+)?\s+in\s+(\S+)(?:\s+at\s+(\S+))?")


def crash_site(stderr):
    """Where a crash happened, from a Swift backtrace or a runtime message."""
    lines = stderr.splitlines()
    for l in lines:
        if "Fatal error" in l:
            return normalize(l[l.index("Fatal error"):])
    kind = next((l.strip("* ") for l in lines if l.startswith("*** Program crashed")), "")
    kind = re.sub(r" at 0x[0-9a-f]+", "", kind)
    frames = []
    for l in lines:
        m = FRAME.match(l)
        if m:
            func, module, where = m.groups()
            if func.startswith("<unknown>") and "hdf5" not in module:
                continue
            frames.append(f"{func.strip()} in {module}" + (f" ({os.path.basename(where).split(':')[0]})" if where else ""))
    names = [f.split(" (")[0].replace("specialized ", "") for f in frames]
    top = max((names.count(n) for n in set(names)), default=0)
    if top >= 6:
        cycle = sorted(n.split(" in ")[0] for n in set(names)
                       if names.count(n) >= max(top // 2, 3) and not n.startswith("closure"))
        return f"{kind}: stack overflow, recursion in {' / '.join(cycle)}"[:200]
    raw = [int(m.group(1), 16) for m in (re.match(r"^\s*\d+ \[ra\]\s+0x([0-9a-f]{16})\s*$", l) for l in lines) if m]
    if any(all(0x20 <= b < 0x7F for b in v.to_bytes(8, "little")) for v in raw):
        return f"{kind}: stack smashed (a return address is text) under {frames[0] if frames else '?'}"[:200]
    # the first frame in kerasio's code or libhdf5, else the first frame
    pick = next((f for f in frames if " in kerasio" in f or "hdf5" in f), frames[0] if frames else "")
    if not pick:
        markers = [l for l in lines if any(m in l for m in CRASH_MARKERS)]
        pick = normalize(markers[0]) if markers else ""
    return f"{kind}: {pick}"[:200] if kind else pick[:200]


def family(descs):
    out = []
    for d in descs:
        m = re.match(r"[\w.]+:[\w.-]+(?::[\w-]+)?", d.replace("(h5py: ", "").lstrip("("))
        out.append(m.group(0) if m else d[:20])
    return "+".join(sorted(set(out)))


def signature(r):
    cls = r["class"]
    reasons = r["reasons"]
    if cls == "crash":
        return f"crash [{'; '.join(reasons['crash'][:1])}] {crash_site(r['stderr'])}"
    if cls in ("hang", "memory"):
        return f"{cls} [{r['format']}] {family(r['mutation'])}"
    if cls == "bad-message":
        first = r["stderr"].splitlines()[0] if r["stderr"] else ""
        why = ", ".join(re.sub(r"\d+ (characters|lines)", r"long \1" if "char" in x else r"many \1", x)
                        for x in reasons["bad-message"])
        return f"bad-message [{why}] {normalize(first, words=8)}"
    return f"{cls} {normalize('; '.join(reasons[cls])[:200])}"


def print_table(results, formats, commands, file=sys.stdout):
    cells = {}
    for r in results:
        cells.setdefault((r["format"], r["command"]), {c: 0 for c in CLASSES})[r["class"]] += 1
    short = {"ok": "ok", "clean-error": "clean", "crash": "crash", "hang": "hang", "memory": "mem",
             "bad-message": "badmsg", "leftover": "left", "outside-write": "outside"}
    header = f"{'format':<10} {'command':<8} {'runs':>6} " + " ".join(f"{short[c]:>7}" for c in CLASSES)
    print(header, file=file)
    print("-" * len(header), file=file)
    totals = {c: 0 for c in CLASSES}
    for f in formats:
        for c in commands:
            if (f, c) not in cells:
                continue
            row = cells[(f, c)]
            for k in CLASSES:
                totals[k] += row[k]
            print(f"{f:<10} {c:<8} {sum(row.values()):>6} " + " ".join(f"{row[k]:>7}" for k in CLASSES), file=file)
    print("-" * len(header), file=file)
    print(f"{'total':<19} {sum(totals.values()):>6} " + " ".join(f"{totals[k]:>7}" for k in CLASSES), file=file)
    return totals


def report(results, meta, out, causes_shown=40, write_runs=True):
    """Prints the outcome table, the distinct failure causes and statistics;
    writes runs.jsonl and summary.json into out. Returns (passed, failed)."""
    formats, commands = meta["formats"], meta["commands"]
    print()
    totals = print_table(results, formats, commands)
    causes = {}
    for r in results:
        if r["class"] in PASSING:
            continue
        sig = signature(r)
        c = causes.setdefault(sig, {"count": 0, "class": r["class"], "examples": [], "commands": [], "formats": []})
        c["count"] += 1
        for key, value in (("commands", r["command"]), ("formats", r["format"])):
            if value not in c[key]:
                c[key].append(value)
        if len(c["examples"]) < 3:
            c["examples"].append(f"{r['idx']:05d}-{r['format']}-{r['command']}-{r['class']}")
    ordered = sorted(causes.items(), key=lambda kv: (CLASSES.index(kv[1]["class"]), -kv[1]["count"]))
    if ordered:
        print(f"\ndistinct failure causes ({len(ordered)}; finding dirs under {out + '/findings' if out else '--out'}):")
        for sig, c in ordered[: causes_shown]:
            print(f"  {c['count']:>5}  {sig}\n         {','.join(c['formats'])} x {','.join(c['commands'])}; e.g. {c['examples'][0]}")
        if len(ordered) > causes_shown:
            print(f"  ... {len(ordered) - causes_shown} more in summary.json")
    passed = totals["ok"] + totals["clean-error"]
    failed = len(results) - passed
    named_other = sum(1 for r in results if r["class"] == "clean-error" and r["names"] == "other-file")
    rss = sorted(r["maxrss_mb"] for r in results)
    secs = sorted(r["seconds"] for r in results)
    contained = {}
    for r in results:
        if r["class"] in PASSING and r.get("contained_crash"):
            c = contained.setdefault(normalize(r["stderr"].splitlines()[0] if r["stderr"] else "", words=12),
                                     {"count": 0, "examples": [], "formats": []})
            c["count"] += 1
            if r["format"] not in c["formats"]:
                c["formats"].append(r["format"])
            if len(c["examples"]) < 3:
                c["examples"].append(f"{r['idx']:05d} {r['format']} {r['command']} ({'; '.join(r['mutation'])[:120]})")
    if contained:
        print(f"\ncrashes contained by kerasio's supervisor (counted as clean errors; rerun with --unsupervised "
              f"to see them as crashes): {sum(c['count'] for c in contained.values())}")
        for sig, c in sorted(contained.items(), key=lambda kv: -kv[1]["count"])[: causes_shown]:
            print(f"  {c['count']:>5}  {sig}\n         {','.join(c['formats'])}; e.g. {c['examples'][0]}")
    slow = [r for r in results if r["class"] in PASSING and r["seconds"] > 2]
    if slow:
        print(f"\nslow but passing runs (> 2 s): {len(slow)}; slowest: " + ", ".join(
            f"{r['idx']:05d} {r['format']} {r['command']} {r['seconds']:.1f} s ({family(r['mutation'])})"
            for r in sorted(slow, key=lambda r: -r["seconds"])[:5]))
    print(f"\nruns: {len(results)} from {meta['mutants']} mutants in {meta['seconds']:.0f} s; "
          f"run time median {secs[len(secs) // 2] if secs else 0:.3f} s, max {secs[-1] if secs else 0:.1f} s; "
          f"peak RSS median {rss[len(rss) // 2] if rss else 0:.0f} MiB, max {rss[-1] if rss else 0:.0f} MiB; "
          f"clean errors naming a companion file rather than the mutant: {named_other}")
    for h in meta["harness_errors"][:10]:
        print(f"campaign: harness error in mutant {h['idx']} ({h['format']}): {h['harness_error']}")
    if out:
        if write_runs:
            with open(os.path.join(out, "runs.jsonl"), "w") as fh:
                for r in results:
                    fh.write(json.dumps(r) + "\n")
        summary = dict(meta)
        summary.update({
            "runs": len(results), "totals": totals, "passed": passed, "failed": failed,
            "per_cell": {f"{f}/{c}": {k: sum(1 for r in results if r["format"] == f and r["command"] == c
                                             and r["class"] == k) for k in CLASSES}
                         for f in formats for c in commands if c in FORMAT_COMMANDS[f]},
            "causes": [{"signature": s, **c} for s, c in ordered],
            "contained_crashes": [{"signature": s, **c} for s, c in contained.items()],
        })
        with open(os.path.join(out, "summary.json"), "w") as fh:
            json.dump(summary, fh, indent=1)
    return passed, failed


def main():
    classes = __doc__[__doc__.index("  ok "):__doc__.index("Only numpy")].rstrip()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="formats:\n" + "\n".join(f"  {k:<10} {v}" for k, v in FORMAT_HELP.items())
                                 + "\n\noutcomes:\n" + classes)
    ap.add_argument("--kerasio", default=None, help="the binary (default: .build/debug/kerasio, then PATH)")
    ap.add_argument("--count", type=int, default=None, help="number of mutants (default 2000; --quick: 300)")
    ap.add_argument("--seed", type=int, default=1, help="campaign seed (default 1)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="wall-clock limit per run in seconds (default 10; with --quick 5)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    ap.add_argument("--out", default=None, help="keep every non-clean mutant, its command and stderr, runs.jsonl and summary.json here")
    ap.add_argument("--quick", action="store_true", help="a short mix for CI: 300 mutants, 5 s limit unless --timeout")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of: " + ",".join(FORMATS))
    ap.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated subset of: " + ",".join(COMMANDS))
    ap.add_argument("--only", default=None, help="run only these mutant indices (comma-separated), e.g. to reproduce")
    ap.add_argument("--dump-mutants", default=None, help="write every mutant file here (any size), named IDX-BASENAME")
    ap.add_argument("--unsupervised", action="store_true",
                    help="run kerasio with KERASIO_SUPERVISE=0, so crashes its supervisor would contain show as crashes")
    ap.add_argument("--memory-mb", type=int, default=1024, help="peak RSS above this is a 'memory' failure (default 1024)")
    ap.add_argument("--data-limit-mb", type=int, default=2048, help="RLIMIT_DATA for the children (default 2048)")
    ap.add_argument("--causes", type=int, default=40, help="distinct failure causes to list (default 40)")
    ap.add_argument("--report", metavar="DIR", default=None,
                    help="only print the report again from DIR/runs.jsonl and DIR/summary.json (of an earlier --out DIR)")
    args = ap.parse_args()
    if args.report:
        with open(os.path.join(args.report, "runs.jsonl")) as fh:
            results = [json.loads(line) for line in fh]
        with open(os.path.join(args.report, "summary.json")) as fh:
            meta = json.load(fh)
        keep = ("kerasio", "seed", "mutants", "timeout", "jobs", "seconds", "formats", "commands", "controls",
                "harness_errors")
        meta = {k: meta.get(k) for k in keep}
        meta["harness_errors"] = meta["harness_errors"] or []
        passed, failed = report(results, meta, os.path.abspath(args.report), args.causes, write_runs=False)
        print(f"campaign: {passed} passed, {failed} failed")
        return 1 if failed else 0

    formats = [f for f in args.formats.split(",") if f]
    commands = [c for c in args.commands.split(",") if c]
    for f in formats:
        if f not in FORMATS:
            ap.error(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    for c in commands:
        if c not in COMMANDS:
            ap.error(f"unknown command {c!r}; known: {', '.join(COMMANDS)}")
    count = args.count if args.count is not None else (300 if args.quick else 2000)
    timeout = args.timeout if args.timeout is not None else (5.0 if args.quick else 10.0)
    kerasio = args.kerasio
    if kerasio is None:
        candidate = os.path.join(REPO, ".build", "debug", "kerasio")
        kerasio = candidate if os.path.exists(candidate) else shutil.which("kerasio")
    if not kerasio or not os.access(kerasio, os.X_OK):
        print(f"campaign: no kerasio binary ({kerasio}); pass --kerasio PATH", file=sys.stderr)
        return 2
    kerasio = os.path.abspath(kerasio)

    started = time.monotonic()
    campaign_root = tempfile.mkdtemp(prefix="kerasio-campaign-")
    atexit.register(shutil.rmtree, campaign_root, True)  # also when stdout is closed early (| head) or on errors
    cache = os.path.join(tempfile.gettempdir(), "kerasio-campaign-cache")
    os.makedirs(cache, exist_ok=True)
    out = os.path.abspath(args.out) if args.out else None
    if out:
        os.makedirs(os.path.join(out, "findings"), exist_ok=True)
    if args.dump_mutants:
        os.makedirs(args.dump_mutants, exist_ok=True)
    seeds = load_seeds(cache)
    if "keras" in formats:  # the zip bomb payloads, made once
        bombs = M.BombCache(cache)
        for kind in ("spaces", "zeros"):
            for log2 in (26, 30, 31):
                bombs.get(kind, log2)
    fixtures_before = tree_state(FIXTURES)
    opts = {"kerasio": kerasio, "timeout": timeout, "seed": args.seed, "formats": formats, "commands": commands,
            "out": out, "dump": os.path.abspath(args.dump_mutants) if args.dump_mutants else None, "memory_mb": args.memory_mb, "unsupervised": args.unsupervised, "data_limit_mb": args.data_limit_mb, "cache": cache}
    indices = [int(i) for i in args.only.split(",")] if args.only else list(range(count))

    print(f"campaign: {len(indices)} mutants, seed {args.seed}, formats {','.join(formats)}, "
          f"commands {','.join(commands)}, timeout {timeout:g} s, {args.jobs} jobs, {kerasio}", flush=True)
    # Controls: the unmutated seeds must pass, or the harness is wrong.
    ctx = multiprocessing.get_context("fork")
    results, mutants, harness_errors = [], [], []
    pool = ctx.Pool(args.jobs, initializer=worker_init, initargs=(opts, seeds, campaign_root))
    try:
        controls = pool.map(control_item, [(f, c) for f in formats for c in commands if c in FORMAT_COMMANDS[f]])
        bad_controls = [r for rs in controls for r in rs if r["class"] not in PASSING]
        n_controls = sum(len(rs) for rs in controls)
        print(f"campaign: controls (unmutated seeds): {n_controls - len(bad_controls)}/{n_controls} pass", flush=True)
        for r in bad_controls:
            print(f"  control {r['format']} {r['command']} -> {r['class']}: {json.dumps(r['reasons'])[:300]} "
                  f"{r['stderr'][:200]!r}", flush=True)
        done = 0
        step = max(len(indices) // 10, 1)
        it = pool.imap_unordered(work_item, indices, chunksize=1)
        while done < len(indices):
            try:  # a worker that died (not a kerasio run: those are children of it) loses its task
                info, rs = it.next(timeout=max(600.0, 12 * timeout * len(COMMANDS)))
            except multiprocessing.TimeoutError:
                harness_errors.append({"idx": -1, "format": "-", "harness_error":
                                       f"no result for a long time; {len(indices) - done} mutants not run"})
                pool.terminate()
                break
            done += 1
            if "harness_error" in info:
                harness_errors.append(info)
            mutants.append(info)
            results.extend(rs)
            if done % step == 0 or done == len(indices):
                failed = sum(r["class"] not in PASSING for r in results)
                print(f"campaign: {done}/{len(indices)} mutants, {len(results)} runs, {failed} failed, "
                      f"{time.monotonic() - started:.0f} s", flush=True)
        pool.close()
        pool.join()
    except KeyboardInterrupt:
        print("campaign: interrupted", file=sys.stderr)
        pool.terminate()
        pool.join()
        shutil.rmtree(campaign_root, ignore_errors=True)
        return 130
    shutil.rmtree(campaign_root, ignore_errors=True)
    results.sort(key=lambda r: (r["idx"], COMMANDS.index(r["command"])))
    fixtures_after = tree_state(FIXTURES)
    elapsed = time.monotonic() - started

    if fixtures_after != fixtures_before:
        changed = sorted(k for k in set(fixtures_after) | set(fixtures_before)
                         if fixtures_after.get(k) != fixtures_before.get(k))
        print(f"campaign: WARNING: fixtures/ changed during the campaign (another process, or an outside write): "
              f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
    meta = {"kerasio": kerasio, "seed": args.seed, "mutants": len(mutants), "timeout": timeout, "jobs": args.jobs,
            "seconds": round(elapsed, 1), "formats": formats, "commands": commands,
            "controls": {"runs": n_controls, "failed": bad_controls}, "harness_errors": harness_errors}
    passed, failed = report(results, meta, out, args.causes)
    print(f"campaign: {passed} passed, {failed} failed")
    return 1 if failed or harness_errors else 0


def control_item(pair):
    fmt, cmd = pair
    opts = G["opts"]
    pool = G["seeds"][fmt]["good"]
    preferred = [s for s in pool if s["name"].startswith("sunspots") or s["name"].startswith("opt_adam_b4")]
    seed = (preferred or pool)[0]
    rng = random.Random(f"control:{fmt}:{cmd}")
    role, base = {"config": ("config", seed["config"]), "npy": ("input", seed["input"]), "csv": ("csv", seed["csv"]),
                  "train-npy": ("x", seed["input"])}.get(fmt, ("model", seed["model"]))
    spec = plan(cmd, fmt, seed, role, base, rng)
    if spec is None:
        return []
    r = execute(-1, fmt, seed, role, base, "in/" + os.path.basename(base), read(base), spec, ["none"], save=False)
    return [r]


if __name__ == "__main__":
    sys.exit(main())
