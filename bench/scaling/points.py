"""The LSTM scaling sweep's points and sample counts, shared by the driver and
the engine workers (plain Python, no third-party imports).

Model: Input(steps, 8) -> LSTM(units) -> Dense(1), seeded. One axis at a
time around the base point units 128, steps 50, batch 256.
"""
import os

FEATURES = 8
SEED = 1
BASE = {"units": 128, "steps": 50, "batch": 256}
AXES = {
    "units": [16, 32, 64, 128, 256, 512],
    "steps": [10, 50, 200, 1000],
    "batch": [1, 16, 256, 4096],
}
LATENCY_AXES = ("units", "steps")  # 1-sample latency against these
MAX_SAMPLES = 4096
CHECK_SAMPLES = 8  # samples checked against Keras at each point (fewer when batch is smaller)
TOLERANCE = 1e-5   # |engine - Keras| <= TOLERANCE * max(1, |Keras|)

# Throughput samples per point: 4096, fewer when one pass over them would
# cost more than GFLOP_PER_REP (LSTM forward FLOPs), at most 256 x batch,
# never fewer than one batch; always a whole number of batches.
GFLOP_PER_REP = float(os.environ.get("SCALING_GFLOP_PER_REP", "30"))


def lstm_flops(units, steps):
    """Forward FLOPs per sample, counted as kerasio bench counts them:
    LSTM 4 * 2 * steps * (features + units) * units, Dense 2 * units."""
    return 8 * steps * (FEATURES + units) * units + 2 * units


def samples_for(units, steps, batch):
    by_flops = int(GFLOP_PER_REP * 1e9 // lstm_flops(units, steps))
    n = min(MAX_SAMPLES, 256 * batch, by_flops)
    n = max(batch, n // batch * batch)
    return n


def model_name(units, steps):
    return "lstm_u%d_s%d" % (units, steps)


def point_key(units, steps, batch):
    return "u%d_s%d_b%d" % (units, steps, batch)


def points():
    """The unique points, in sweep order: dicts with units, steps, batch,
    samples, latency (bool), axes (the axes the point belongs to), key, model."""
    seen = {}
    for axis, values in AXES.items():
        for v in values:
            p = dict(BASE)
            p[axis] = v
            key = point_key(p["units"], p["steps"], p["batch"])
            if key not in seen:
                seen[key] = dict(p, key=key, model=model_name(p["units"], p["steps"]),
                                 samples=samples_for(p["units"], p["steps"], p["batch"]),
                                 latency=False, axes=[])
            seen[key]["axes"].append(axis)
            if axis in LATENCY_AXES:
                seen[key]["latency"] = True
    return list(seen.values())


def groups():
    """Points grouped for one process per engine per group: each point in the
    first axis it belongs to."""
    out = {axis: [] for axis in AXES}
    for p in points():
        out[p["axes"][0]].append(p)
    return out


def models():
    """{model name: (units, steps)} of every point."""
    return {p["model"]: (p["units"], p["steps"]) for p in points()}


def input_samples(steps):
    """Samples in x_s<steps>.npy: the most any point with those steps needs."""
    return max(max(p["samples"], p["batch"]) for p in points() if p["steps"] == steps)


def check(got, want):
    """(ok, worst) with worst = max |got - want| / max(1, |want|)."""
    import numpy as np
    got = np.asarray(got, dtype=np.float64).reshape(want.shape)
    want = np.asarray(want, dtype=np.float64)
    worst = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))
    return bool(worst <= TOLERANCE), worst
