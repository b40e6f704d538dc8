"""Mutation operators for fuzz/campaign.py.

Every operator takes the bytes of a file (and a random.Random) and returns
(new_bytes, description). Operators never touch the seed on disk: the HDF5
ones work on a copy in a scratch directory. Only numpy and h5py are needed.

Operator families:
  byte   - format-blind: bit flips, boundary bytes/ints, truncation, chunk
           duplication/deletion, random insertion/overwrite, HDF5 signature
           targeted edits (GCOL/OHDR/HEAP/TREE/SNOD...).
  json   - model_config / config.json / --config edits (values, classes,
           nesting, long names, deleted keys, duplicate keys, text damage).
  hdf5   - h5py edits: model_config/training_config attributes, layer_names,
           weight_names, keras_version, backend with wrong types/lengths,
           vlen vs fixed strings; dataset shape/dtype/filters/huge declared
           shapes; external links (/etc/passwd, absolute paths), soft links
           outside the tree and link cycles; deletions and renames.
  zip    - .keras archives rebuilt by a hand-written zip writer: entry edits,
           replace/duplicate/drop, zip bombs with lying sizes, huge declared
           sizes, wrong methods and flags, nested and '../' names, symlinks.
  npy    - header dict edits (descr, shape, fortran_order, nesting, header
           length and version lies), data truncation.
  csv    - control bytes, huge lines, many rows, non-numbers, 1e999, ragged
           rows, odd line endings and encodings.
"""

import io
import json
import os
import random
import re
import struct
import zlib

import numpy as np

# ----------------------------------------------------------------------------
# Shared constants
# ----------------------------------------------------------------------------

BOUNDARY_BYTES = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE]
BOUNDARY_INTS = [
    0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
    2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
    -(2**31), -(2**63),
]
HUGE_INTS = [2**31, 2**31 - 1, 2**32, 2**40, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64, 10**12, 10**30]
EVIL_PREFIX = "kerasio-campaign-evil"
EVIL_NAME = EVIL_PREFIX + ".txt"  # set per mutant by campaign.py; such a file appearing anywhere is an outside write
HDF5_SIGNATURES = [b"\x89HDF\r\n\x1a\n", b"OHDR", b"OCHK", b"GCOL", b"HEAP", b"TREE", b"SNOD",
                   b"BTHD", b"BTIN", b"BTLF", b"FRHP", b"FHDB", b"FHIB", b"FSHD", b"FSSE", b"SMTB"]


def _choice_weighted(rng, pairs):
    total = sum(w for w, _ in pairs)
    r = rng.random() * total
    for w, v in pairs:
        r -= w
        if r < 0:
            return v
    return pairs[-1][1]


# ----------------------------------------------------------------------------
# Byte-level
# ----------------------------------------------------------------------------

def _pos(rng, n, hot=None):
    """A position in [0, n): uniform, or biased to the first `hot` bytes."""
    if n <= 0:
        return 0
    if hot and rng.random() < 0.4:
        return rng.randrange(min(n, hot))
    return rng.randrange(n)


def byte_mutate(data, rng, hot=None):
    data = bytearray(data)
    n = len(data)
    op = _choice_weighted(rng, [
        (3, "bitflip"), (2, "set-byte"), (2, "set-int"), (1.5, "truncate"), (1, "dup-chunk"),
        (1, "del-chunk"), (1, "insert-random"), (1, "overwrite-random"), (1.5, "h5-signature"),
        (0.5, "append-garbage"), (0.3, "empty"),
    ])
    if n == 0 and op not in ("insert-random", "append-garbage"):
        op = "insert-random"
    if op == "h5-signature":
        hits = [(m.start(), sig) for sig in HDF5_SIGNATURES for m in re.finditer(re.escape(sig), bytes(data))]
        if not hits:
            op = "set-int"
        else:
            start, sig = rng.choice(hits)
            gcol = [h for h in hits if h[1] == b"GCOL"]
            if gcol and rng.random() < 0.35:
                start, sig = rng.choice(gcol)
                return _gcol_mutate(data, start, rng)
            # Corrupt a field in the structure that follows the signature.
            off = start + len(sig) + rng.randrange(0, 48)
            width = rng.choice([1, 2, 4, 8])
            value = rng.choice(BOUNDARY_INTS)
            if off + width <= n:
                data[off:off + width] = (value % (1 << (8 * width))).to_bytes(width, "little")
            return bytes(data), f"byte:h5-signature({sig!r}@{start}+{off - start},w{width},{value})"
    if op == "bitflip":
        k = rng.choice([1, 1, 1, 2, 4, 8])
        spots = []
        for _ in range(k):
            p = _pos(rng, n, hot)
            b = rng.randrange(8)
            data[p] ^= 1 << b
            spots.append(f"{p}.{b}")
        return bytes(data), "byte:bitflip(" + ",".join(spots) + ")"
    if op == "set-byte":
        p = _pos(rng, n, hot)
        v = rng.choice(BOUNDARY_BYTES)
        data[p] = v
        return bytes(data), f"byte:set-byte({p}={v:#04x})"
    if op == "set-int":
        width = rng.choice([2, 4, 4, 8])
        p = _pos(rng, max(n - width, 1), hot)
        v = rng.choice(BOUNDARY_INTS)
        data[p:p + width] = (v % (1 << (8 * width))).to_bytes(width, "little")
        return bytes(data), f"byte:set-int({p},w{width}={v})"
    if op == "truncate":
        cut = rng.choice([rng.randrange(n), n // 2, max(n - 1, 0), rng.randrange(min(n, 4096) or 1)])
        return bytes(data[:cut]), f"byte:truncate({cut}/{n})"
    if op == "dup-chunk":
        a = _pos(rng, n, hot)
        length = min(rng.choice([1, 8, 64, 512, 4096]), n - a)
        dest = rng.randrange(n + 1)
        data[dest:dest] = data[a:a + length]
        return bytes(data), f"byte:dup-chunk({a}+{length}->{dest})"
    if op == "del-chunk":
        a = _pos(rng, n, hot)
        length = min(rng.choice([1, 8, 64, 512, 4096]), n - a)
        del data[a:a + length]
        return bytes(data), f"byte:del-chunk({a}+{length})"
    if op == "insert-random":
        p = rng.randrange(n + 1)
        length = rng.choice([1, 4, 16, 256, 4096])
        data[p:p] = bytes(rng.randrange(256) for _ in range(length))
        return bytes(data), f"byte:insert-random({p}+{length})"
    if op == "overwrite-random":
        p = _pos(rng, n, hot)
        length = min(rng.choice([1, 4, 16, 256]), n - p)
        data[p:p + length] = bytes(rng.randrange(256) for _ in range(length))
        return bytes(data), f"byte:overwrite-random({p}+{length})"
    if op == "append-garbage":
        length = rng.choice([1, 100, 10000])
        return bytes(data) + bytes(rng.randrange(256) for _ in range(length)), f"byte:append({length})"
    return b"", "byte:empty"


def _gcol_mutate(data, at, rng):
    """Damages an HDF5 global heap collection (where vlen strings live): the
    collection size, or one object's index, reference count or size."""
    n = len(data)
    if at + 16 > n:
        return bytes(data), "byte:gcol(short)"
    coll_size = int.from_bytes(data[at + 8:at + 16], "little")
    end = min(at + max(coll_size, 16), n)
    objects = []
    pos = at + 16
    while pos + 16 <= end and len(objects) < 512:
        index = int.from_bytes(data[pos:pos + 2], "little")
        size = int.from_bytes(data[pos + 8:pos + 16], "little")
        objects.append((pos, index, size))
        if index == 0:
            break
        pos += 16 + ((size + 7) // 8) * 8
    field = rng.choice(["collection-size", "index", "size", "size", "refcount"]) if objects else "collection-size"
    if field == "collection-size":
        value = rng.choice([0, 16, 4095, coll_size - 8, coll_size + 8, 2**32, 2**63, 2**64 - 1])
        data[at + 8:at + 16] = (value % 2**64).to_bytes(8, "little")
        return bytes(data), f"byte:gcol(collection-size={value})"
    pos, index, size = rng.choice(objects)
    if field == "index":
        value = rng.choice([0, 1, 2, index + 1, 0xFFFF])
        data[pos:pos + 2] = value.to_bytes(2, "little")
    elif field == "refcount":
        value = rng.choice([0, 0xFFFF])
        data[pos + 2:pos + 4] = value.to_bytes(2, "little")
    else:
        value = rng.choice([0, 1, max(size - 1, 0), size + 1, size + 4096, 2**31, 2**32 + size, 2**63, 2**64 - 1])
        data[pos + 8:pos + 16] = (value % 2**64).to_bytes(8, "little")
    return bytes(data), f"byte:gcol(object {index} {field}={value})"


# ----------------------------------------------------------------------------
# JSON (model configs)
# ----------------------------------------------------------------------------

INTERESTING_KEYS = {
    "units": 6, "batch_shape": 5, "batch_input_shape": 5, "input_shape": 3, "class_name": 5, "activation": 3,
    "recurrent_activation": 1, "name": 3, "layers": 4, "return_sequences": 2, "go_backwards": 2, "use_bias": 2,
    "stateful": 1, "unroll": 1, "rate": 2, "dtype": 2, "config": 2, "inbound_nodes": 2, "input_layers": 2,
    "output_layers": 2, "module": 1, "registered_name": 1, "data_format": 1, "keras_version": 2, "backend": 1,
    "loss": 3, "optimizer_config": 2, "learning_rate": 3, "momentum": 1, "beta_1": 1, "epsilon": 1, "rho": 1,
    "nesterov": 1, "amsgrad": 1, "centered": 1, "initial_accumulator_value": 1, "noise_shape": 1, "seed": 1,
    "shared_object_id": 1, "args": 1, "keras_history": 2, "build_config": 1, "compile_config": 1, "shape": 2,
    "dropout": 1, "recurrent_dropout": 1, "time_major": 1, "reset_after": 1, "trainable": 1,
}
CLASS_NAMES = ["LSTM", "GRU", "Conv1D", "Bidirectional", "Functional", "Model", "Sequential", "Dense", "SimpleRNN",
               "Dropout", "InputLayer", "TimeDistributed", "Flatten", "Reshape", "Add", "Concatenate", "", "dense",
               "Custom>Adam", "Adam", "SGD", "RMSprop", "Adagrad", "Nadam", "keras.layers.Dense", "__proto__"]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "softmax", "linear", "gelu", "swish", "hard_sigmoid", "mish", "", "TANH",
               "log_softmax", "leaky_relu", "selu", "elu", "relu6", "softplus", "softsign", "exponential", "silu"]
LOSSES = ["mse", "mean_squared_error", "mae", "huber", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy", "kl_divergence", "poisson", "", "MSE"]
NESTING_PLACEHOLDER = "\u0001NEST\u0001"
LONG_PLACEHOLDER = "\u0001LONG\u0001"


def _random_scalar(rng, key=None):
    kinds = [
        (3, lambda: rng.choice(HUGE_INTS)), (2, lambda: -rng.choice([1, 2, 3, 2**31, 2**63])), (2, lambda: 0),
        (1, lambda: rng.choice([1.5, 0.5, 3.0, 1e308, -1e308, 5e-324, -0.0])), (1, lambda: "x"), (1, lambda: ""),
        (1, lambda: None), (1, lambda: rng.choice([True, False])), (1, lambda: []), (1, lambda: {}),
        (1, lambda: [None, None]), (1, lambda: "3"), (1, lambda: ["a", 1]),
        (0.5, lambda: "\u202e\u0000\u001b[31mred\n"), (0.5, lambda: "../../etc/passwd"),
        (0.7, lambda: NESTING_PLACEHOLDER), (0.7, lambda: LONG_PLACEHOLDER),
    ]
    if key == "class_name":
        kinds.append((8, lambda: rng.choice(CLASS_NAMES)))
    if key in ("activation", "recurrent_activation"):
        kinds.append((8, lambda: rng.choice(ACTIVATIONS)))
    if key == "loss":
        kinds.append((8, lambda: rng.choice(LOSSES)))
    if key in ("batch_shape", "batch_input_shape", "input_shape", "shape"):
        kinds.append((8, lambda: rng.choice([
            [None, rng.choice(HUGE_INTS), 1], [None, -1, 1], [None, 0, 0], [None, 12], [None], [], [None, 12, 1, 1],
            [None, 2**31, 2**31], [None, 1.5, 1], [None, "12", 1], [None, None, None], [1] * 64, 12,
            [None, 12, 2**40]])))
    if key == "units":
        kinds.append((8, lambda: rng.choice(HUGE_INTS + [0, -1, -3, 1.5, "3", None, 2**31 - 1, 100000, 3.0])))
    if key == "rate":
        kinds.append((6, lambda: rng.choice([1.0, 1.5, -0.5, float("inf"), 2, "0.5"])))
    if key in ("learning_rate", "momentum", "beta_1", "epsilon", "rho", "initial_accumulator_value"):
        kinds.append((6, lambda: rng.choice([-1.0, 0.0, 1e308, float("nan"), float("inf"), "0.01", None,
                                             {"class_name": "ExponentialDecay", "config": {}}])))
    if key == "name":
        kinds.append((6, lambda: rng.choice([LONG_PLACEHOLDER, "", "a/b", "../x", "x" * 300, "simple_rnn", "dense",
                                             "\u00e9\u4e2d", "name\u0000nul"])))
    return _choice_weighted(rng, kinds)()


def _json_paths(obj, path=()):
    """Every (path) to a value in obj, where path is a tuple of keys/indices."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(path + (k,))
            out.extend(_json_paths(v, path + (k,)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append(path + (i,))
            out.extend(_json_paths(v, path + (i,)))
    return out


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _finish_json(obj, rng):
    return _fill_placeholders(json.dumps(obj, allow_nan=True), rng)


def _fill_placeholders(text, rng):
    """Replaces the placeholder strings (as json.dumps wrote them) by deep nesting / 100k-char names."""
    nest, long = json.dumps(NESTING_PLACEHOLDER), json.dumps(LONG_PLACEHOLDER)
    if nest in text:
        depth = rng.choice([1000, 100000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        text = text.replace(nest, opener * depth + "1" + closer * depth, 1)
        text = text.replace(nest, "[]")
    if long in text:
        text = text.replace(long, json.dumps("n" * 100000))
    return text


def json_mutate(text, rng):
    """Mutates JSON text (str); returns (bytes, description)."""
    try:
        obj = json.loads(text)
    except Exception:
        obj = None
    op = _choice_weighted(rng, [
        (6, "set-interesting"), (3, "set-any"), (2, "delete-key"), (1.5, "layers-edit"), (1, "duplicate-key"),
        (1, "text-damage"), (0.5, "replace-root"), (0.7, "nest"), (0.7, "long-name"), (0.5, "number-text"),
    ])
    if obj is None or not isinstance(obj, (dict, list)):
        op = "text-damage"
    if op in ("set-interesting", "set-any", "delete-key", "nest", "long-name"):
        paths = _json_paths(obj)
        if not paths:
            op = "replace-root"
    if op == "set-interesting":
        weighted = [(INTERESTING_KEYS.get(p[-1], 0), p) for p in paths if isinstance(p[-1], str)]
        weighted = [(w, p) for w, p in weighted if w > 0]
        if not weighted:
            op = "set-any"
        else:
            p = _choice_weighted(rng, weighted)
            value = _random_scalar(rng, p[-1])
            _get(obj, p[:-1])[p[-1]] = value
            return _finish_json(obj, rng).encode(), f"json:set({_pstr(p)}={_short(value)})"
    if op == "set-any":
        p = rng.choice(paths)
        value = _random_scalar(rng, p[-1] if isinstance(p[-1], str) else None)
        _get(obj, p[:-1])[p[-1]] = value
        return _finish_json(obj, rng).encode(), f"json:set({_pstr(p)}={_short(value)})"
    if op == "delete-key":
        p = rng.choice(paths)
        del _get(obj, p[:-1])[p[-1]]
        return _finish_json(obj, rng).encode(), f"json:delete({_pstr(p)})"
    if op == "nest":
        p = rng.choice(paths)
        _get(obj, p[:-1])[p[-1]] = NESTING_PLACEHOLDER
        return _finish_json(obj, rng).encode(), f"json:nest({_pstr(p)})"
    if op == "long-name":
        names = [p for p in paths if p[-1] in ("name", "class_name", "activation", "module", "dtype")] or paths
        p = rng.choice(names)
        _get(obj, p[:-1])[p[-1]] = LONG_PLACEHOLDER
        return _finish_json(obj, rng).encode(), f"json:long-string({_pstr(p)})"
    if op == "layers-edit":
        holders = [p for p in _json_paths(obj) if p and p[-1] == "layers" and isinstance(_get(obj, p), list)]
        if holders:
            p = rng.choice(holders)
            layers = _get(obj, p)
            how = rng.choice(["drop", "dup", "swap", "reverse", "empty", "many", "not-dict"])
            if how == "drop" and layers:
                del layers[rng.randrange(len(layers))]
            elif how == "dup" and layers:
                i = rng.randrange(len(layers))
                layers.insert(i, json.loads(json.dumps(layers[i])))
            elif how == "swap" and len(layers) > 1:
                i, j = rng.sample(range(len(layers)), 2)
                layers[i], layers[j] = layers[j], layers[i]
            elif how == "reverse":
                layers.reverse()
            elif how == "empty":
                layers.clear()
            elif how == "many" and layers:
                layers.extend(json.loads(json.dumps(layers[-1])) for _ in range(rng.choice([100, 5000])))
            elif how == "not-dict" and layers:
                layers[rng.randrange(len(layers))] = rng.choice([1, "Dense", None, []])
            return _finish_json(obj, rng).encode(), f"json:layers-{how}({_pstr(p)})"
        op = "duplicate-key"
    if op == "duplicate-key":
        m = list(re.finditer(r'"(units|class_name|batch_shape|batch_input_shape|activation|name|layers|config)":', text))
        if m:
            hit = rng.choice(m)
            scalar = _random_scalar(rng, hit.group(1))
            value = _fill_placeholders(json.dumps(scalar, allow_nan=True), rng)
            new = text[:hit.start()] + f'"{hit.group(1)}": {value}, ' + text[hit.start():]
            return new.encode(), f"json:duplicate-key({hit.group(1)}={_short(scalar)})"
        op = "text-damage"
    if op == "number-text":
        m = list(re.finditer(r"(?<=[:\[, ])-?\d+(\.\d+)?(?=[,\]} ])", text))
        if m:
            hit = rng.choice(m)
            value = rng.choice(["1e999", "-1e999", "123456789012345678901234567890", "1e-999", "NaN", "Infinity",
                                "-0", "0x10", "01", "1.", ".5", "+1", "1E400"])
            return (text[:hit.start()] + value + text[hit.end():]).encode(), f"json:number-text({hit.group(0)}->{value})"
        op = "text-damage"
    if op == "replace-root":
        value = rng.choice(["[]", "{}", "null", '"Sequential"', "1", "", "[" * 100000 + "]" * 100000,
                            '{"class_name": "Sequential"}', '{"class_name": "Sequential", "config": {"layers": []}}',
                            '{"class_name": "Sequential", "config": {"layers": null}}'])
        return value.encode(), f"json:replace-root({value[:30]})"
    # text-damage
    raw = text.encode("utf-8", "surrogatepass")
    how = rng.choice(["truncate", "bom", "utf16", "invalid-utf8", "nul", "trailing", "control"])
    if how == "truncate":
        cut = rng.randrange(len(raw) + 1)
        return raw[:cut], f"json:truncate({cut}/{len(raw)})"
    if how == "bom":
        return b"\xef\xbb\xbf" + raw, "json:bom"
    if how == "utf16":
        return text.encode("utf-16"), "json:utf16"
    if how == "invalid-utf8":
        p = rng.randrange(len(raw) + 1)
        return raw[:p] + b"\xff\xfe\xc0\x80" + raw[p:], f"json:invalid-utf8({p})"
    if how == "nul":
        p = rng.randrange(len(raw) + 1)
        return raw[:p] + b"\x00" + raw[p:], f"json:nul({p})"
    if how == "trailing":
        return raw + b" garbage{", "json:trailing-garbage"
    p = rng.randrange(len(raw) + 1)
    return raw[:p] + bytes([rng.choice([1, 8, 0x1b, 0x7f])]) + raw[p:], f"json:control-byte({p})"


def _pstr(path):
    return "/".join(str(p) for p in path)[-80:]


def _short(value):
    s = value if isinstance(value, str) else json.dumps(value)
    if value == NESTING_PLACEHOLDER:
        return "<deep nesting>"
    if value == LONG_PLACEHOLDER:
        return "<100k chars>"
    return s[:40]


# ----------------------------------------------------------------------------
# HDF5 (h5py on a copy)
# ----------------------------------------------------------------------------

def _h5py():
    import h5py  # imported lazily: the CSV/npy paths do not need it
    return h5py


def _attr_kind(attrs, name):
    """'vlen-str', 'fixed', 'other' for an existing attribute."""
    h5py = _h5py()
    try:
        dt = attrs.get_id(name).dtype
    except Exception:
        return "other"
    if h5py.check_string_dtype(dt) is not None:
        return "vlen-str" if h5py.check_string_dtype(dt).length is None else "fixed"
    if dt.kind == "S":
        return "fixed"
    return "other"


def _write_string_attr(attrs, name, value, rng, kind=None):
    """Writes `value` (str or list of str) as a vlen or fixed-length string attribute."""
    h5py = _h5py()
    kind = kind or rng.choice(["vlen-utf8", "vlen-ascii", "fixed", "fixed-short", "vlen-bytes"])
    if name in attrs:
        del attrs[name]
    values = value if isinstance(value, list) else [value]
    enc = [v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for v in values]
    if kind == "vlen-utf8":
        dt = h5py.string_dtype("utf-8")
        data = np.array([e.decode("utf-8", "replace") for e in enc], dtype=dt)
    elif kind == "vlen-ascii" or kind == "vlen-bytes":
        dt = h5py.string_dtype("ascii")
        data = np.array(enc, dtype=dt)
    else:
        width = max([len(e) for e in enc] + [1])
        if kind == "fixed-short":
            width = max(1, width // 2)
        data = np.array(enc, dtype=f"S{width}")
    if not isinstance(value, list):
        data = data[0] if kind.startswith("fixed") else data.reshape(())
        if kind.startswith("fixed"):
            attrs.create(name, np.bytes_(data), dtype=f"S{max(len(data), 1)}")
            return kind
    attrs.create(name, data, dtype=data.dtype if not kind.startswith("vlen") else dt)
    return kind


def _collect(f):
    h5py = _h5py()
    groups, datasets = ["/"], []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets.append("/" + name)
        elif isinstance(obj, h5py.Group):
            groups.append("/" + name)
    f.visititems(visit)
    return groups, datasets


def _string_attrs(f, groups):
    out = []
    for g in groups:
        try:
            for k in f[g].attrs.keys():
                out.append((g, k))
        except Exception:
            pass
    return out


def hdf5_mutate(path, rng, *, json_weight=1.0):
    """Edits the HDF5 file at `path` in place with h5py. Returns a description."""
    h5py = _h5py()
    with h5py.File(path, "r+") as f:
        groups, datasets = _collect(f)
        attrs = _string_attrs(f, groups)
        config_attrs = [(g, k) for g, k in attrs if k in ("model_config", "training_config")]
        op = _choice_weighted(rng, [
            (5 * json_weight if config_attrs else 0, "config-json"), (1 if config_attrs else 0, "config-type"),
            (4, "names-attr"), (1.5, "version-attr"), (4 if datasets else 0, "dataset"),
            (1.5 if datasets else 0, "external-link"), (1.5, "soft-link"), (1, "delete"), (0.7, "rename"),
            (0.5, "add-junk"), (0.6 if datasets else 0, "huge-shape"),
        ])
        if op == "config-json":
            g, k = rng.choice(config_attrs)
            a = f[g].attrs
            raw = a[k]
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            new, desc = json_mutate(text, rng)
            kind = _attr_kind(a, k)
            try:
                new_text = new.decode("utf-8")
            except UnicodeDecodeError:
                new_text = None
            if kind == "fixed" or new_text is None or "\x00" in (new_text or ""):
                del a[k]
                a.create(k, np.bytes_(new), dtype=f"S{max(len(new), 1)}")
            else:
                _write_string_attr(a, k, new_text, rng, kind="vlen-utf8")
            return f"hdf5:{k}:{desc}"
        if op == "config-type":
            g, k = rng.choice(config_attrs)
            a = f[g].attrs
            raw = a[k]
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            how = rng.choice(["int", "float-array", "string-array", "fixed", "vlen-ascii", "empty", "non-utf8",
                              "2d", "nul-inside"])
            del a[k]
            if how == "int":
                a.create(k, 7, dtype="i4")
            elif how == "float-array":
                a.create(k, np.arange(3, dtype="f8"))
            elif how == "string-array":
                a.create(k, np.array([text, text], dtype=h5py.string_dtype("utf-8")))
            elif how == "fixed":
                a.create(k, np.bytes_(text.encode()), dtype=f"S{len(text.encode())}")
            elif how == "vlen-ascii":
                a.create(k, np.array(text.encode(), dtype=h5py.string_dtype("ascii")))
            elif how == "empty":
                a.create(k, h5py.Empty("S10"))
            elif how == "non-utf8":
                raw = text.encode()[: len(text) // 2] + b"\xff\xfe\x80" + text.encode()[len(text) // 2:]
                a.create(k, np.bytes_(raw), dtype=f"S{len(raw)}")
            elif how == "2d":
                a.create(k, np.array([[text]], dtype=h5py.string_dtype("utf-8")))
            else:
                raw = text.encode()
                raw = raw[:10] + b"\x00" + raw[10:]
                a.create(k, np.bytes_(raw), dtype=f"S{len(raw)}")
            return f"hdf5:{k}:type-{how}"
        if op == "names-attr":
            cands = [(g, k) for g, k in attrs if k.startswith("layer_names") or k.startswith("weight_names")
                     or k == "name"]
            if not cands:
                cands = [(g, "layer_names") for g in groups[:2]]
            g, k = rng.choice(cands)
            a = f[g].attrs
            try:
                cur = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in np.atleast_1d(a[k])] \
                    if k in a else []
            except Exception:
                cur = []
            how = _choice_weighted(rng, [
                (2, "drop-one"), (2, "add-one"), (1, "empty-array"), (1, "many"), (2, "fixed-vs-vlen"),
                (1, "fixed-short"), (1, "int-array"), (1, "float-scalar"), (1, "scalar-string"), (1, "2d"),
                (1, "nonexistent-name"), (1, "long-name"), (1, "evil-name"), (1, "non-utf8"), (0.5, "h5-empty"),
                (1, "delete"), (1, "swap"), (0.5, "nul-name"),
            ])
            if k in a:
                del a[k]
            if how == "drop-one" and cur:
                cur.pop(rng.randrange(len(cur)))
                _write_string_attr(a, k, cur, rng)
            elif how == "add-one":
                cur.append(rng.choice(cur) if cur and rng.random() < 0.5 else "extra_layer")
                _write_string_attr(a, k, cur, rng)
            elif how == "empty-array":
                a.create(k, np.array([], dtype=h5py.string_dtype("utf-8")))
            elif how == "many":
                _write_string_attr(a, k, [f"l{i}" for i in range(rng.choice([10000, 100000]))], rng, kind="vlen-utf8")
            elif how == "fixed-vs-vlen":
                _write_string_attr(a, k, cur or ["x"], rng, kind=rng.choice(["fixed", "vlen-ascii", "vlen-utf8"]))
            elif how == "fixed-short":
                _write_string_attr(a, k, cur or ["x"], rng, kind="fixed-short")
            elif how == "int-array":
                a.create(k, np.arange(max(len(cur), 1), dtype="i8"))
            elif how == "float-scalar":
                a.create(k, 1.5)
            elif how == "scalar-string":
                _write_string_attr(a, k, (cur or ["x"])[0], rng)
            elif how == "2d":
                a.create(k, np.array([cur or ["x"]], dtype=h5py.string_dtype("utf-8")))
            elif how == "nonexistent-name":
                if cur:
                    cur[rng.randrange(len(cur))] = "does_not_exist"
                _write_string_attr(a, k, cur or ["does_not_exist"], rng)
            elif how == "long-name":
                if cur:
                    cur[rng.randrange(len(cur))] = "L" * 100000
                _write_string_attr(a, k, cur or ["L" * 100000], rng)
            elif how == "evil-name":
                evil = rng.choice(["../" * 10 + "etc/passwd", "/etc/passwd", "..", ".", "/", "a//b", "\\..\\x",
                                   "\u202eevil", "\n\x1b[2J", ""])
                if cur:
                    cur[rng.randrange(len(cur))] = evil
                _write_string_attr(a, k, cur or [evil], rng)
            elif how == "non-utf8":
                raw = [c.encode() for c in cur] or [b"x"]
                raw[rng.randrange(len(raw))] += b"\xff\xc0"
                a.create(k, np.array(raw, dtype=f"S{max(len(r) for r in raw)}"))
            elif how == "h5-empty":
                a.create(k, h5py.Empty(h5py.string_dtype("utf-8")))
            elif how == "swap" and len(cur) > 1:
                i, j = rng.sample(range(len(cur)), 2)
                cur[i], cur[j] = cur[j], cur[i]
                _write_string_attr(a, k, cur, rng)
            elif how == "nul-name":
                raw = [c.encode() for c in cur] or [b"x"]
                raw[0] = raw[0][:2] + b"\x00" + raw[0][2:]
                a.create(k, np.array(raw, dtype=f"S{max(len(r) for r in raw) + 1}"))
            else:
                how = "delete"
            return f"hdf5:attr-{how}({g}@{k})"
        if op == "version-attr":
            g = rng.choice([g for g in groups if any(k in f[g].attrs for k in ("keras_version", "backend"))] or ["/"])
            k = rng.choice(["keras_version", "backend"])
            a = f[g].attrs
            how = rng.choice(["int", "float", "empty-string", "long", "weird-version", "array", "fixed", "delete",
                              "non-utf8", "h5-empty"])
            if k in a:
                del a[k]
            if how == "int":
                a.create(k, 3)
            elif how == "float":
                a.create(k, 2.5)
            elif how == "empty-string":
                _write_string_attr(a, k, "", rng)
            elif how == "long":
                _write_string_attr(a, k, "9" * 100000, rng)
            elif how == "weird-version":
                _write_string_attr(a, k, rng.choice(["1.0.0", "2.2.4-tf", "99.0", "3", "", "jax", "torch", "theano",
                                                     "2.x", "3.15.1\x00junk", "-1"]), rng)
            elif how == "array":
                a.create(k, np.array(["3.1", "2.1"], dtype=h5py.string_dtype("utf-8")))
            elif how == "fixed":
                _write_string_attr(a, k, rng.choice(["3.15.1", "2.21.0", "tensorflow"]), rng, kind="fixed")
            elif how == "non-utf8":
                a.create(k, np.bytes_(b"3.\xff\xfe"), dtype="S4")
            elif how == "h5-empty":
                a.create(k, h5py.Empty("S4"))
            return f"hdf5:{k}-{how}({g})"
        if op == "dataset":
            d = rng.choice(datasets)
            ds = f[d]
            shape, dtype = ds.shape, ds.dtype
            try:
                values = ds[()]
            except Exception:
                values = np.zeros(shape, dtype="f4")
            how = _choice_weighted(rng, [
                (2, "dtype"), (2, "shape"), (1, "values"), (1, "scalar"), (1, "empty"), (1, "h5-empty"),
                (1, "filter"), (0.7, "strings"), (0.7, "compound"), (0.5, "to-group"), (0.5, "big-endian"),
                (0.5, "chunked-odd"),
            ])
            parent, name = d.rsplit("/", 1)
            parent = parent or "/"
            del f[d]
            g = f[parent]
            arr = np.asarray(values)
            if how == "dtype":
                dt = rng.choice(["f2", "f8", "i4", "i8", "u1", "u8", "?", "c8", "i1", "f16" if hasattr(np, "float128") else "f8"])
                try:
                    g.create_dataset(name, data=arr.astype(dt))
                except Exception:
                    g.create_dataset(name, data=arr.astype("f8"))
                    dt = "f8"
                return f"hdf5:dataset-dtype({d}:{dtype}->{dt})"
            if how == "shape":
                choices = [arr.T, arr.reshape((1,) + arr.shape), arr.reshape(-1), np.zeros(tuple(s + 1 for s in arr.shape) or (1,), "f4"),
                           np.zeros((0,) + arr.shape[1:], "f4"), np.zeros(arr.shape + (2,), "f4"), np.zeros((2, 2, 2, 2, 2), "f4")]
                new = choices[rng.randrange(len(choices))]
                g.create_dataset(name, data=new.astype(arr.dtype if arr.dtype.kind in "fiu" else "f4"))
                return f"hdf5:dataset-shape({d}:{shape}->{new.shape})"
            if how == "values":
                v = rng.choice([np.nan, np.inf, -np.inf, 3.4e38, 1e-45, -0.0])
                g.create_dataset(name, data=np.full(arr.shape, v, dtype=arr.dtype if arr.dtype.kind == "f" else "f4"))
                return f"hdf5:dataset-values({d}={v})"
            if how == "scalar":
                g.create_dataset(name, data=np.float32(1.0))
                return f"hdf5:dataset-scalar({d})"
            if how == "empty":
                g.create_dataset(name, shape=(0,), dtype="f4")
                return f"hdf5:dataset-zero-size({d})"
            if how == "h5-empty":
                g.create_dataset(name, data=h5py.Empty("f4"))
                return f"hdf5:dataset-null-dataspace({d})"
            if how == "filter":
                flt = rng.choice(["gzip", "lzf", "shuffle", "fletcher32", "scaleoffset", "szip"])
                kw = {"chunks": True}
                if flt == "gzip":
                    kw["compression"] = "gzip"
                elif flt == "lzf":
                    kw["compression"] = "lzf"
                elif flt == "shuffle":
                    kw["shuffle"] = True
                elif flt == "fletcher32":
                    kw["fletcher32"] = True
                elif flt == "scaleoffset":
                    kw["scaleoffset"] = 2
                else:
                    kw["compression"] = "szip"
                try:
                    g.create_dataset(name, data=arr.astype("f4") if arr.shape else arr.astype("f4").reshape(1), **kw)
                except Exception:
                    g.create_dataset(name, data=arr.astype("f4").reshape(-1), chunks=True, compression="gzip")
                    flt = "gzip"
                return f"hdf5:dataset-filter({d}:{flt})"
            if how == "strings":
                g.create_dataset(name, data=np.array(["1.0"] * max(arr.size, 1), dtype=h5py.string_dtype()))
                return f"hdf5:dataset-strings({d})"
            if how == "compound":
                dt = np.dtype([("a", "f4"), ("b", "i4")])
                g.create_dataset(name, shape=arr.shape, dtype=dt)
                return f"hdf5:dataset-compound({d})"
            if how == "to-group":
                g.create_group(name)
                return f"hdf5:dataset-to-group({d})"
            if how == "big-endian":
                g.create_dataset(name, data=arr.astype(">f4") if arr.dtype.kind == "f" else arr.astype(">i8"))
                return f"hdf5:dataset-big-endian({d})"
            g.create_dataset(name, data=arr.astype("f4"), chunks=tuple(1 for _ in arr.shape) or None,
                             maxshape=tuple(None for _ in arr.shape) or None)
            return f"hdf5:dataset-chunked-1({d})"
        if op == "huge-shape":
            d = rng.choice(datasets)
            parent, name = d.rsplit("/", 1)
            parent = parent or "/"
            old = f[d].shape
            del f[d]
            shape = rng.choice([(2**31, 2**31), (2**20, 2**20), (2**40,), (old[0] if old else 1, 2**33),
                                (2**32 + 1,), (65536, 65536)])
            f[parent].create_dataset(name, shape=shape, dtype="f4", chunks=tuple(1 for _ in shape),
                                     maxshape=tuple(None for _ in shape))
            return f"hdf5:dataset-huge-declared-shape({d}:{shape})"
        if op == "external-link":
            d = rng.choice(datasets)
            target = rng.choice([("/etc/passwd", "/"), ("/etc/passwd", "/x"), ("/proc/self/mem", "/"),
                                 ("/dev/zero", "/"), ("nonexistent.h5", "/x"), (os.path.abspath(path), d),
                                 ("../../" + EVIL_NAME, "/x"), ("/dev/stdin", "/")])
            del f[d]
            f[d] = h5py.ExternalLink(*target)
            return f"hdf5:external-link({d}->{target[0]}:{target[1]})"
        if op == "soft-link":
            cands = datasets + [g for g in groups if g != "/"]
            if not cands:
                cands = ["/x"]
            d = rng.choice(cands)
            parent = d.rsplit("/", 1)[0] or "/"
            target = rng.choice(["/nonexistent", "/../x", "..", "/", parent, d, "/" + "a/" * 200 + "b",
                                 rng.choice(datasets) if datasets else "/"])
            kind = rng.choice(["soft", "soft", "hard-cycle"])
            if d in f:
                del f[d]
            if kind == "hard-cycle" and target in f and isinstance(f[target], h5py.Group):
                f[d] = f[target]  # a hard link: a cycle if target is an ancestor
                return f"hdf5:hard-link({d}=>{target})"
            f[d] = h5py.SoftLink(target)
            return f"hdf5:soft-link({d}->{target[:60]})"
        if op == "delete":
            cands = datasets + [g for g in groups if g != "/"]
            if cands:
                d = rng.choice(cands)
                del f[d]
                return f"hdf5:delete({d})"
            return "hdf5:nothing-to-delete"
        if op == "rename":
            cands = datasets + [g for g in groups if g != "/"]
            if cands:
                d = rng.choice(cands)
                new = d + rng.choice(["_x", ":0", "/..", " "]).replace("/..", "_up")
                f.move(d, new)
                return f"hdf5:rename({d}->{new})"
            return "hdf5:nothing-to-rename"
        how = rng.choice(["groups", "big-attr", "attr-count"])
        g = f[rng.choice(groups)]
        if how == "groups":
            for i in range(rng.choice([100, 2000])):
                g.create_group(f"junk{i}")
        elif how == "big-attr":
            g.attrs.create("junk", np.zeros(rng.choice([16000, 60000]), dtype="u1"))
        else:
            for i in range(500):
                g.attrs[f"a{i}"] = i
        return f"hdf5:add-junk-{how}({g.name})"


# ----------------------------------------------------------------------------
# ZIP (.keras)
# ----------------------------------------------------------------------------

class ZipEntry:
    def __init__(self, name, content, method=0, level=6):
        self.name = name.encode("utf-8") if isinstance(name, str) else name
        self.usize = len(content)
        self.crc = zlib.crc32(content) & 0xFFFFFFFF
        self.method = method
        if method == 8:
            c = zlib.compressobj(level, zlib.DEFLATED, -15)
            self.data = c.compress(content) + c.flush()
        else:
            self.data = content
        self.csize = len(self.data)
        self.flags = 0
        self.external_attr = 0o100644 << 16
        self.version_made = 0x031E  # Unix, 3.0
        self.version_needed = 20
        self.local_name = None
        self.local_csize = None
        self.local_usize = None
        self.local_crc = None
        self.local_method = None
        self.extra = b""
        self.central_extra = None
        self.offset_override = None


def parse_zip(data):
    import zipfile
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            with z.open(info) as fh:  # never inflate a bomb here
                content = fh.read((64 << 20) + 1)
            if len(content) > 64 << 20:
                raise ValueError("entry too large to mutate")
            e = ZipEntry(info.filename, content, method=info.compress_type if info.compress_type in (0, 8) else 0)
            e.external_attr = info.external_attr
            out.append(e)
    return out


def build_zip(entries, *, eocd_count=None, cd_offset_delta=0, comment=b"", prefix=b"", suffix=b"",
              comment_len=None, cd_size_delta=0):
    out = bytearray(prefix)
    offsets = []
    for e in entries:
        offsets.append(len(out) if e.offset_override is None else e.offset_override)
        name = e.local_name if e.local_name is not None else e.name
        csize = e.local_csize if e.local_csize is not None else e.csize
        usize = e.local_usize if e.local_usize is not None else e.usize
        crc = e.local_crc if e.local_crc is not None else e.crc
        method = e.local_method if e.local_method is not None else e.method
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, e.version_needed, e.flags, method, 0, 0x21,
                           crc, csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(name), len(e.extra))
        out += name + e.extra + e.data
    cd_start = len(out)
    for e, off in zip(entries, offsets):
        extra = e.extra if e.central_extra is None else e.central_extra
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, e.version_made, e.version_needed, e.flags, e.method,
                           0, 0x21, e.crc, e.csize & 0xFFFFFFFF, e.usize & 0xFFFFFFFF, len(e.name), len(extra),
                           0, 0, 0, e.external_attr & 0xFFFFFFFF, off & 0xFFFFFFFF)
        out += e.name + extra
    cd_size = len(out) - cd_start
    count = len(entries) if eocd_count is None else eocd_count
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count & 0xFFFF, count & 0xFFFF,
                       (cd_size + cd_size_delta) & 0xFFFFFFFF, (cd_start + cd_offset_delta) & 0xFFFFFFFF,
                       len(comment) if comment_len is None else comment_len)
    out += comment + suffix
    return bytes(out)


def _zip64_extra(usize, csize, offset=None):
    body = struct.pack("<QQ", usize, csize) + (struct.pack("<Q", offset) if offset is not None else b"")
    return struct.pack("<HH", 1, len(body)) + body


class BombCache:
    """Raw-deflate streams of 2^k spaces / zeros, made once per campaign."""

    def __init__(self, directory):
        self.directory = directory

    def get(self, kind, log2):
        """Returns (raw_deflate_bytes_sync_flushed, crc32, size) of 2**log2 bytes of ' ' or '\\0'."""
        path = os.path.join(self.directory, f"bomb-{kind}-{log2}.deflate")
        meta = path + ".json"
        size = 1 << log2
        if os.path.exists(meta) and os.path.exists(path):
            with open(meta) as fh:
                m = json.load(fh)
            with open(path, "rb") as fh:
                return fh.read(), m["crc"], size
        byte = b" " if kind == "spaces" else b"\0"
        # One sync-flushed raw deflate stream of 16 MiB, repeated: raw deflate
        # streams that end on a sync flush can be concatenated.
        chunk = byte * (1 << 24)
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        base = c.compress(chunk) + c.flush(zlib.Z_SYNC_FLUSH)
        reps = max(size // len(chunk), 1)
        crc = 0
        for _ in range(reps):
            crc = zlib.crc32(chunk, crc)
        blob = base * reps
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
        with open(meta + f".{os.getpid()}.tmp", "w") as fh:
            json.dump({"crc": crc & 0xFFFFFFFF}, fh)
        os.replace(meta + f".{os.getpid()}.tmp", meta)
        return blob, crc & 0xFFFFFFFF, size


def bomb_entry(name, tail, bombs, kind, log2):
    """An entry whose content is 2**log2 bytes of padding followed by `tail`, deflated."""
    blob, crc, size = bombs.get(kind, log2)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = blob + c.compress(tail) + c.flush()
    e = ZipEntry(name, b"")
    e.method = 8
    e.data = data
    e.csize = len(data)
    e.usize = size + len(tail)
    e.crc = zlib.crc32(tail, crc) & 0xFFFFFFFF
    return e


def zip_mutate(data, rng, scratch, bombs, donor_weights=None):
    """Mutates a .keras archive. Returns (bytes, description)."""
    try:
        entries = parse_zip(data)
    except Exception:
        return byte_mutate(data, rng)
    names = [e.name.decode("utf-8", "replace") for e in entries]
    by_name = {n: e for n, e in zip(names, entries)}
    op = _choice_weighted(rng, [
        (4, "config-json"), (1.5, "metadata-json"), (4, "weights-h5"), (1.5, "weights-bytes"), (1.5, "drop"),
        (1.5, "duplicate"), (1.5, "replace"), (2.5, "bomb"), (1.5, "huge-size"), (1.5, "method"), (1, "flags"),
        (2, "names"), (1, "symlink"), (1, "crc"), (1, "eocd"), (0.5, "many-entries"), (1, "header-disagree"),
        (0.5, "deflate-all"), (0.7, "whole-bytes"),
    ])
    desc = None
    if op == "config-json" and "config.json" in by_name:
        e = by_name["config.json"]
        new, d = json_mutate(parse_content(e).decode("utf-8", "replace"), rng)
        entries[entries.index(e)] = _replace_content(e, new, rng)
        desc = f"zip:config.json:{d}"
    elif op == "metadata-json" and "metadata.json" in by_name:
        e = by_name["metadata.json"]
        new, d = json_mutate(parse_content(e).decode("utf-8", "replace"), rng)
        entries[entries.index(e)] = _replace_content(e, new, rng)
        desc = f"zip:metadata.json:{d}"
    elif op == "weights-h5" and "model.weights.h5" in by_name:
        e = by_name["model.weights.h5"]
        tmp = os.path.join(scratch, "inner.weights.h5")
        with open(tmp, "wb") as fh:
            fh.write(parse_content(e))
        try:
            d = hdf5_mutate(tmp, rng)
        except Exception as err:  # h5py could not do it: fall back to bytes
            d = f"(h5py failed: {type(err).__name__})"
            with open(tmp, "rb") as fh:
                raw, d2 = byte_mutate(fh.read(), rng, hot=2048)
            with open(tmp, "wb") as fh:
                fh.write(raw)
            d += d2
        with open(tmp, "rb") as fh:
            entries[entries.index(e)] = _replace_content(e, fh.read(), rng)
        desc = f"zip:model.weights.h5:{d}"
    elif op == "weights-bytes" and "model.weights.h5" in by_name:
        e = by_name["model.weights.h5"]
        new, d = byte_mutate(parse_content(e), rng, hot=2048)
        entries[entries.index(e)] = _replace_content(e, new, rng)
        desc = f"zip:model.weights.h5:{d}"
    elif op == "drop" and entries:
        i = rng.randrange(len(entries))
        desc = f"zip:drop({names[i]})"
        del entries[i]
    elif op == "duplicate" and entries:
        i = rng.randrange(len(entries))
        e = entries[i]
        other = rng.choice([b"{}", b"garbage", b"", parse_content(e)[: max(1, e.usize // 2)]])
        dup = ZipEntry(e.name, other)
        where = rng.choice(["before", "after"])
        entries.insert(i if where == "before" else i + 1, dup)
        desc = f"zip:duplicate({names[i]},{where},{len(other)}B)"
    elif op == "replace" and entries:
        i = rng.randrange(len(entries))
        content = rng.choice([b"", b"\0" * 100, b"not json", b"\x89HDF\r\n\x1a\n" + b"\0" * 100,
                              donor_weights or b"PK\x03\x04", b"[]"])
        entries[i] = ZipEntry(entries[i].name, content)
        desc = f"zip:replace({names[i]},{content[:12]!r})"
    elif op == "bomb":
        target = rng.choice(["config.json", "model.weights.h5", "metadata.json", "extra.bin"])
        log2 = rng.choice([26, 30, 30, 31])  # 64 MiB (below the limits) .. 2 GiB
        lie = rng.choice(["declared-small", "declared-truthful", "declared-zero", "declared-exact-tail"])
        kind = "spaces" if target.endswith(".json") else "zeros"
        tail = parse_content(by_name[target]) if target in by_name else b"x"
        e = bomb_entry(target, tail, bombs, kind, log2)
        if lie == "declared-small":
            e.usize = len(tail) or 64
        elif lie == "declared-zero":
            e.usize = 0
        elif lie == "declared-exact-tail":
            e.usize = len(tail)
            e.crc = zlib.crc32(tail) & 0xFFFFFFFF
        if target in by_name:
            entries[entries.index(by_name[target])] = e
        else:
            entries.append(e)
        desc = f"zip:bomb({target},2^{log2}B,{lie},declared {e.usize})"
    elif op == "huge-size" and entries:
        i = rng.randrange(len(entries))
        e = entries[i]
        how = rng.choice(["u32-max", "zip64-huge", "zip64-4g", "csize-past-end", "both-headers-max"])
        if how == "u32-max":
            e.usize = 0xFFFFFFFE
        elif how == "zip64-huge":
            e.usize = 0xFFFFFFFF
            e.csize = 0xFFFFFFFF
            e.extra = _zip64_extra(2**62, len(e.data))
            e.version_needed = 45
        elif how == "zip64-4g":
            e.usize = 0xFFFFFFFF
            e.csize = 0xFFFFFFFF
            e.extra = _zip64_extra((4 << 30) - 1, len(e.data))
            e.version_needed = 45
        elif how == "csize-past-end":
            e.csize = len(e.data) + 10**6
        else:
            e.usize = 0xFFFFFFFE
            e.local_usize = 0xFFFFFFFE
        desc = f"zip:huge-size({names[i]},{how})"
    elif op == "method" and entries:
        i = rng.randrange(len(entries))
        m = rng.choice([1, 6, 8, 9, 12, 14, 93, 95, 98, 99, 0xFFFF])
        e = entries[i]
        e.method = m
        e.local_method = m if rng.random() < 0.8 else None
        desc = f"zip:method({names[i]}={m})"
    elif op == "flags" and entries:
        i = rng.randrange(len(entries))
        fl = rng.choice([0x1, 0x8, 0x40, 0x800, 0x2000, 0xFFFF])
        entries[i].flags |= fl
        if fl == 0x8:
            entries[i].local_csize = 0
            entries[i].local_usize = 0
            entries[i].local_crc = 0
        desc = f"zip:flags({names[i]}|={fl:#x})"
    elif op == "names" and entries:
        i = rng.randrange(len(entries))
        how = rng.choice(["traversal", "absolute", "nested", "dir-entry", "backslash", "case", "nul", "drive",
                          "long", "evil-extra", "invalid-utf8", "dot-slash"])
        e = entries[i]
        base = e.name.decode("utf-8", "replace")
        if how == "traversal":
            e.name = ("../" + base).encode()
        elif how == "absolute":
            e.name = ("/tmp/" + EVIL_NAME).encode()
        elif how == "nested":
            e.name = ("a/" * rng.choice([1, 50, 2000]) + base).encode()
        elif how == "dir-entry":
            e.name = (base + "/").encode()
        elif how == "backslash":
            e.name = ("..\\" + base).encode()
        elif how == "case":
            e.name = base.upper().encode()
        elif how == "nul":
            e.name = (base + "\x00.txt").encode()
        elif how == "drive":
            e.name = ("C:" + base).encode()
        elif how == "long":
            e.name = ("n" * 65000).encode()
        elif how == "invalid-utf8":
            e.name = base.encode() + b"\xff\xfe"
            e.flags |= 0x800
        elif how == "dot-slash":
            e.name = ("./" + base).encode()
        else:
            entries.append(ZipEntry(rng.choice(["../" + EVIL_NAME, "../../" + EVIL_NAME, "/tmp/" + EVIL_NAME,
                                                "sub/../../" + EVIL_NAME]), b"evil\n"))
        desc = f"zip:name-{how}({base})"
    elif op == "symlink":
        target = rng.choice(["/etc/passwd", "../" + EVIL_NAME, "/tmp/" + EVIL_NAME])
        name = rng.choice(["link", "config.json", "model.weights.h5"])
        e = ZipEntry(name, target.encode())
        e.external_attr = (0o120777 << 16)
        if name in by_name:
            entries[entries.index(by_name[name])] = e
        else:
            entries.append(e)
        desc = f"zip:symlink({name}->{target})"
    elif op == "crc" and entries:
        i = rng.randrange(len(entries))
        entries[i].crc ^= 1 << rng.randrange(32)
        if rng.random() < 0.5:
            entries[i].local_crc = entries[i].crc
        desc = f"zip:crc({names[i]})"
    elif op == "eocd":
        how = rng.choice(["count-high", "count-zero", "cd-offset", "comment-lie", "prefix", "suffix", "two-eocd",
                          "cd-size"])
        kw = {}
        if how == "count-high":
            kw["eocd_count"] = 0xFFFF
        elif how == "count-zero":
            kw["eocd_count"] = 0
        elif how == "cd-offset":
            kw["cd_offset_delta"] = rng.choice([1, -1, 10**6, -(10**6)])
        elif how == "comment-lie":
            kw["comment_len"] = 0xFFFF
        elif how == "prefix":
            kw["prefix"] = b"#!/bin/sh\nexit 0\n" * 10
        elif how == "suffix":
            kw["suffix"] = b"trailing junk"
        elif how == "cd-size":
            kw["cd_size_delta"] = rng.choice([1, -1, 10**6])
        else:
            first = build_zip(entries[:1])
            kw["comment"] = b""
            kw["suffix"] = first[first.rfind(b"PK\x05\x06"):]
        return build_zip(entries, **kw), f"zip:eocd-{how}"
    elif op == "many-entries":
        n = rng.choice([5000, 30000])
        entries.extend(ZipEntry(f"junk/{i}", b"") for i in range(n))
        desc = f"zip:many-entries({n})"
    elif op == "header-disagree" and entries:
        i = rng.randrange(len(entries))
        e = entries[i]
        how = rng.choice(["name", "csize", "usize", "method"])
        if how == "name":
            e.local_name = b"other.json"
        elif how == "csize":
            e.local_csize = e.csize // 2
        elif how == "usize":
            e.local_usize = e.usize * 1000
        else:
            e.local_method = 8 if e.method == 0 else 0
        desc = f"zip:header-disagree({names[i]},{how})"
    elif op == "deflate-all":
        entries = [_replace_content(e, parse_content(e), rng, method=8) for e in entries]
        desc = "zip:deflate-all"
    if desc is None:
        new, d = byte_mutate(data, rng)
        return new, "zip:" + d
    return build_zip(entries), desc


def parse_content(e):
    if e.method == 8:
        try:
            return zlib.decompress(e.data, -15)
        except Exception:
            return e.data
    return e.data


def _replace_content(e, content, rng, method=None):
    n = ZipEntry(e.name, content, method=method if method is not None else rng.choice([0, 0, 8]))
    n.external_attr = e.external_attr
    return n


# ----------------------------------------------------------------------------
# .npy
# ----------------------------------------------------------------------------

def parse_npy(data):
    """(version, header_text, payload) of a well-formed .npy; None if it is not one."""
    if not data.startswith(b"\x93NUMPY") or len(data) < 10:
        return None
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12
    return (data[6], data[7]), data[start:start + hlen].decode("latin1"), data[start + hlen:]


def build_npy(header, payload, version=(1, 0), pad=True, hlen_override=None, magic=b"\x93NUMPY"):
    h = header.encode("latin1", "replace") if isinstance(header, str) else header
    major = version[0]
    prefix_len = 10 if major == 1 else 12
    if pad:
        total = prefix_len + len(h) + 1
        h = h + b" " * ((64 - total % 64) % 64) + b"\n"
    hlen = len(h) if hlen_override is None else hlen_override
    if major == 1:
        lenfield = struct.pack("<H", hlen & 0xFFFF)
    else:
        lenfield = struct.pack("<I", hlen & 0xFFFFFFFF)
    return magic + bytes(version) + lenfield + h + payload


def npy_mutate(data, rng):
    parsed = parse_npy(data)
    if parsed is None:
        return byte_mutate(data, rng, hot=128)
    version, header, payload = parsed
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception:  # an earlier step broke it: only byte-level from here
        return byte_mutate(data, rng, hot=128)
    if arr.dtype.kind not in "fiub" or arr.size == 0:
        return byte_mutate(data, rng, hot=128)
    shape = arr.shape
    op = _choice_weighted(rng, [
        (3, "descr"), (3, "shape"), (1.5, "fortran"), (1.5, "nesting"), (1.5, "keys"), (1.5, "not-a-dict"),
        (1.5, "hlen"), (1, "version"), (1, "no-pad"), (1, "non-ascii"), (1.5, "payload"), (2, "valid-variant"),
        (0.5, "magic"), (1, "header-bytes"),
    ])
    descr, fortran, shp = "'<f4'", "False", repr(tuple(shape))

    def header_of(d=None, f=None, s=None, extra=""):
        return "{'descr': %s, 'fortran_order': %s, 'shape': %s, %s}" % (
            d if d is not None else descr, f if f is not None else fortran, s if s is not None else shp, extra)

    if op == "descr":
        d = rng.choice(["'?0'", "'<f'", "'<f16'", "'|O'", "'<f2'", "'>f4'", "'<f8'", "'<i4'", "'<i8'", "'|u1'",
                        "'|b1'", "'<c8'", "'<U4'", "'|S4'", "'|V4'", "'<M8[s]'", "[('a', '<f4')]", "''", "'f4'",
                        "'<f4 '", "'<F4'", "1", "None", "'<f4\\x00'", "'" + "<" * 10000 + "f4'", "'<f4', 'descr': '<f8'"])
        return build_npy(header_of(d=d), payload, version), f"npy:descr({d[:30]})"
    if op == "shape":
        s = rng.choice(["(%d,)" % 2**62, "(%d, %d)" % (2**31, 2**31), "(-1, %d)" % (shape[-1] if shape else 1),
                        "(0, 5, 3)", "()", "(" + "1, " * 64 + ")", "(" + "1, " * 10000 + ")", "((1, 2), 3)",
                        "(1.5,)", "('a',)", "[4, 5, 3]", "(%d,)" % 2**64, "(%d, %d, %d)" % (2**32, 2**32, 2**32),
                        "(%d, %d, 4)" % (2**33, 2**33), "(4, 5, 3, 1)", "(%d,)" % (arr.size + 1),
                        "(%d,)" % max(arr.size - 1, 0), "(2**3,)", "(True,)", "(None,)", "(1,2,3", "(0x10,)",
                        "(1_0,)", "(-0,)", "(00004, 5, 3)", "(%d, 1, 1)" % 2**40])
        return build_npy(header_of(s=s), payload, version), f"npy:shape({s[:40]})"
    if op == "fortran":
        f = rng.choice(["True", "'True'", "1", "None", "true", "0"])
        return build_npy(header_of(f=f), payload, version), f"npy:fortran_order({f})"
    if op == "nesting":
        depth = rng.choice([1000, 100000])
        where = rng.choice(["shape", "descr", "extra", "dict"])
        nest = "(" * depth + ")" * depth
        if where == "shape":
            h = header_of(s=nest)
        elif where == "descr":
            h = header_of(d="[" * depth + "]" * depth)
        elif where == "extra":
            h = header_of(extra="'x': " + "{'a': " * depth + "1" + "}" * depth)
        else:
            h = "{" * depth + "}" * depth
        return build_npy(h, payload, (2, 0)), f"npy:nesting({where},{depth})"
    if op == "keys":
        how = rng.choice(["missing-descr", "missing-shape", "missing-fortran", "extra", "duplicate", "wrong-key-type",
                          "empty-dict"])
        if how == "missing-descr":
            h = "{'fortran_order': False, 'shape': %s, }" % shp
        elif how == "missing-shape":
            h = "{'descr': '<f4', 'fortran_order': False, }"
        elif how == "missing-fortran":
            h = "{'descr': '<f4', 'shape': %s, }" % shp
        elif how == "extra":
            h = header_of(extra="'extra': 1, ")
        elif how == "duplicate":
            h = header_of(extra="'shape': (%d,), " % 2**40)
        elif how == "wrong-key-type":
            h = "{b'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shp
        else:
            h = "{}"
        return build_npy(h, payload, version), f"npy:keys-{how}"
    if op == "not-a-dict":
        h = rng.choice(["[1, 2]", "", "{", "None", "__import__('os').system('touch " + EVIL_NAME + "')",
                        "1+1", "{**{}}", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,5,3)} trailing",
                        "dict(descr='<f4')", "lambda: 0"])
        return build_npy(h, payload, version), f"npy:not-a-dict({h[:30]})"
    if op == "hlen":
        raw = build_npy(header_of(), payload, version)
        hl = rng.choice([0, 1, 0xFFFF, len(raw), 2**31, 2**32 - 1])
        ver = (2, 0) if hl > 0xFFFF else version
        return build_npy(header_of(), payload, ver, hlen_override=hl), f"npy:header-len({hl})"
    if op == "version":
        v = rng.choice([(2, 0), (3, 0), (0, 0), (255, 255), (1, 1), (4, 0)])
        return build_npy(header_of(), payload, v), f"npy:version({v})"
    if op == "no-pad":
        return build_npy(header_of(), payload, version, pad=False), "npy:no-padding-newline"
    if op == "non-ascii":
        h = header_of(extra="'n\u00e9': '\u4e2d', ")
        return build_npy(h.encode("utf-8"), payload, (3, 0)), "npy:utf8-header"
    if op == "header-bytes":
        raw = bytearray(build_npy(header_of(), payload, version))
        p = rng.randrange(10, min(len(raw), 10 + len(header)))
        raw[p] = rng.choice([0, 0x7F, 0x80, 0xFF, ord("\n"), ord("'"), ord("(")])
        return bytes(raw), f"npy:header-byte({p}={raw[p]:#x})"
    if op == "payload":
        how = rng.choice(["truncate", "extend", "empty", "nan", "inf", "huge"])
        if how == "truncate":
            p = payload[: rng.randrange(len(payload) + 1)]
        elif how == "extend":
            p = payload + b"\0" * rng.choice([1, 3, 4, 1000])
        elif how == "empty":
            p = b""
        else:
            v = {"nan": np.nan, "inf": np.inf, "huge": 3.4e38}[how]
            a = arr.astype("<f4").copy()
            a.flat[rng.randrange(a.size)] = v
            p = a.tobytes()
        return build_npy(header_of(), p, version), f"npy:payload-{how}"
    if op == "valid-variant":
        how = rng.choice(["float64", "float16", "int32", "big-endian", "fortran", "2d-one", "1d", "4d", "zero-batch",
                          "bool", "v2", "v3", "int64-huge"])
        a = arr.astype("<f4")
        if how == "float64":
            b = a.astype("<f8")
        elif how == "float16":
            b = a.astype("<f2")
        elif how == "int32":
            b = (a * 10).astype("<i4")
        elif how == "big-endian":
            b = a.astype(">f4")
        elif how == "fortran":
            b = np.asfortranarray(a)
        elif how == "2d-one":
            b = a[0] if a.ndim >= 2 else a
        elif how == "1d":
            b = a.reshape(-1)
        elif how == "4d":
            b = a.reshape(a.shape + (1,))
        elif how == "zero-batch":
            b = a[:0]
        elif how == "bool":
            b = a > 0
        elif how == "int64-huge":
            b = np.full(a.shape, 2**62, dtype="<i8")
        else:
            bio = io.BytesIO()
            np.lib.format.write_array(bio, a, version=(2, 0) if how == "v2" else (3, 0))
            return bio.getvalue(), f"npy:valid-{how}"
        bio = io.BytesIO()
        np.save(bio, b)
        return bio.getvalue(), f"npy:valid-{how}"
    raw = build_npy(header_of(), payload, version, magic=rng.choice([b"\x93NUMPX", b"\x93numpy", b"PK\x03\x04\x00\x00"]))
    return raw, "npy:magic"


# ----------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------

def csv_mutate(data, rng):
    if len(data) > 32 << 20:  # already huge (an earlier step): only byte-level from here
        return byte_mutate(data, rng)
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    if not lines:
        lines = ["0"]
    op = _choice_weighted(rng, [
        (2, "control"), (1.5, "huge-line"), (1.5, "many-rows"), (3, "non-number"), (1, "ragged"), (1, "line-endings"),
        (1, "encoding"), (1, "delimiter"), (1, "empty-lines"), (0.5, "header-only"), (0.5, "empty"), (1, "quoted"),
        (1, "long-number"), (1, "many-columns"),
    ])
    row = rng.randrange(len(lines))
    if op == "control":
        ch = rng.choice(["\x00", "\x01", "\x1b", "\x7f", "\r", "\x0c", "\x0b", "\x1b[2J", "\u2028", "\ufeff"])
        line = lines[row]
        p = rng.randrange(len(line) + 1)
        lines[row] = line[:p] + ch + line[p:]
        return "\n".join(lines).encode() + b"\n", f"csv:control({ch!r}@{row}:{p})"
    if op == "huge-line":
        how = rng.choice(["numbers", "one-value", "junk"])
        if how == "numbers":
            lines[row] = ",".join(["0.5"] * rng.choice([100000, 1000000]))
        elif how == "one-value":
            lines[row] = "1" * rng.choice([100000, 10000000])
        else:
            lines[row] = "x" * 10000000
        return "\n".join(lines).encode() + b"\n", f"csv:huge-line({how})"
    if op == "many-rows":
        n = rng.choice([10000, 100000, 200000])
        body = [l for l in lines if l and not l[0].isalpha()] or lines
        n = max(1, min(n, (32 << 20) // max(1, sum(len(l) + 1 for l in body) // len(body))))  # at most ~32 MiB
        out = "\n".join((body * (n // len(body) + 1))[:n]) + "\n"
        return out.encode(), f"csv:many-rows({n})"
    if op == "non-number":
        tok = rng.choice(["nan", "NaN", "inf", "-inf", "1e999", "-1e999", "1e-999", "0x1p3", "1_000", "\uff11\uff12",
                          "abc", "", "+", "-", ".", "1e", "--1", "1.0.0", "true", "\u0661", "Infinity", "1e308",
                          "3.4e39", "-0", "1d5", " 1 ", "1,5"])
        cells = lines[row].split(",")
        c = rng.randrange(len(cells))
        cells[c] = tok
        lines[row] = ",".join(cells)
        return "\n".join(lines).encode() + b"\n", f"csv:non-number({tok!r}@{row}:{c})"
    if op == "ragged":
        cells = lines[row].split(",")
        if rng.random() < 0.5 and len(cells) > 1:
            cells.pop()
        else:
            cells.append(cells[-1])
        lines[row] = ",".join(cells)
        return "\n".join(lines).encode() + b"\n", f"csv:ragged(row {row})"
    if op == "line-endings":
        sep = rng.choice(["\r\n", "\r", "\n\n", "\u2028"])
        return sep.join(lines).encode(), f"csv:line-endings({sep!r})"
    if op == "encoding":
        how = rng.choice(["utf16", "bom", "latin1", "invalid"])
        t = "\n".join(lines) + "\n"
        if how == "utf16":
            return t.encode("utf-16"), "csv:utf16"
        if how == "bom":
            return b"\xef\xbb\xbf" + t.encode(), "csv:bom"
        if how == "latin1":
            return ("caf\u00e9," + t).encode("latin1", "replace"), "csv:latin1"
        return t.encode() + b"\xff\xfe\xc0\n", "csv:invalid-utf8"
    if op == "delimiter":
        d = rng.choice([";", "\t", " ", "|", ",,", ", "])
        return "\n".join(l.replace(",", d) for l in lines).encode() + b"\n", f"csv:delimiter({d!r})"
    if op == "empty-lines":
        lines.insert(row, rng.choice(["", " ", ",", ",,,"]))
        return "\n".join(lines).encode() + b"\n", f"csv:empty-line({row})"
    if op == "header-only":
        return b"a,b,c\n", "csv:header-only"
    if op == "empty":
        return rng.choice([b"", b"\n", b"\n\n\n"]), "csv:empty"
    if op == "quoted":
        cells = lines[row].split(",")
        c = rng.randrange(len(cells))
        cells[c] = rng.choice(['"%s"' % cells[c], '"1\n2"', '"unterminated', "'1'"])
        lines[row] = ",".join(cells)
        return "\n".join(lines).encode() + b"\n", f"csv:quoted(row {row})"
    if op == "long-number":
        cells = lines[row].split(",")
        c = rng.randrange(len(cells))
        cells[c] = rng.choice(["0." + "1" * 100000, "1" + "0" * 400, "1e" + "9" * 50, "-" + "9" * 1000 + ".5"])
        lines[row] = ",".join(cells)
        return "\n".join(lines).encode() + b"\n", f"csv:long-number(row {row})"
    n = rng.choice([1000, 100000])
    lines = [",".join(["1"] * n)] * 2
    return "\n".join(lines).encode() + b"\n", f"csv:many-columns({n})"
