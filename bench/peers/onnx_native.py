"""ONNX graphs built by hand with ONNX's native RNN / LSTM / GRU operators
from a Keras 3 model's weights (what an expert who converts by hand does),
and an ONNX Runtime session set up the way bench/run times it.

  build_onnx_native(keras_model, path)
      keras_model: a loaded Keras 3 Sequential/Functional model that is a
      chain of SimpleRNN / LSTM / GRU layers (every one but the last with
      return_sequences=True) followed by Dense layers. Writes an ONNX file
      whose input "x" is [batch, steps, features] (batch and steps dynamic)
      and whose output "y" is [batch, out].
  ort_session(path, threads)
      an onnxruntime.InferenceSession: intra_op_num_threads=threads,
      inter_op_num_threads=1, ORT_ENABLE_ALL, sequential execution.

Layout: ORT's CPU kernels run RNN/LSTM/GRU with layout=0 only (X as
[steps, batch, features]), so the graph transposes x once at its start
(inside the graph, so the transpose is timed with it). Gate orders: Keras
LSTM kernels are [i, f, c, o], ONNX LSTM [i, o, f, c]; Keras GRU and ONNX
GRU are both [z, r, h] (reset_after=True -> linear_before_reset=1, the
bias's two rows -> Wb and Rb); SimpleRNN -> RNN. ONNX wants W as
[directions, gates*units, input], the transpose of Keras's kernel.

  python bench/peers/onnx_native.py      # self-test against Keras
"""
import numpy as np

OPSET = 17
_ACT = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def _act_name(fn):
    name = getattr(fn, "__name__", str(fn))
    return name


def _onnx_act(fn, what):
    name = _act_name(fn)
    if name not in _ACT:
        raise ValueError("%s activation %r has no ONNX RNN equivalent here" % (what, name))
    return _ACT[name]


def _layers(keras_model):
    layers = []
    for layer in keras_model.layers:
        kind = type(layer).__name__
        if kind in ("InputLayer",):
            continue
        layers.append(layer)
    return layers


def build_onnx_native(keras_model, path):
    """Writes `path`, an ONNX model equal to keras_model (see the module doc)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return "%s_%d" % (prefix, counter[0])

    def const(prefix, array):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), n))
        return n

    layers = _layers(keras_model)
    if not layers:
        raise ValueError("the model has no layers")
    features = keras_model.inputs[0].shape[-1] if getattr(keras_model, "inputs", None) else None

    # x [batch, steps, features] -> [steps, batch, features]
    current = name("x_seq_major")
    nodes.append(helper.make_node("Transpose", ["x"], [current], perm=[1, 0, 2]))
    state = "sequence"  # current is [steps, batch, units]; "vector" once [batch, units]
    out_units = None
    for layer in layers:
        kind = type(layer).__name__
        config = layer.get_config()
        if kind in ("SimpleRNN", "LSTM", "GRU"):
            if state != "sequence":
                raise ValueError("%s after a layer that returned no sequence" % kind)
            for flag in ("go_backwards", "return_state", "stateful"):
                if config.get(flag):
                    raise ValueError("%s with %s=True is not supported" % (kind, flag))
            weights = [np.asarray(w, dtype=np.float32) for w in layer.get_weights()]
            units = int(config["units"])
            use_bias = config.get("use_bias", True)
            kernel, recurrent = weights[0], weights[1]
            bias = weights[2] if use_bias else None
            attrs = {"hidden_size": units}
            if kind == "SimpleRNN":
                W, R = kernel.T[None], recurrent.T[None]
                wb = bias if bias is not None else np.zeros(units, np.float32)
                B = np.concatenate([wb, np.zeros(units, np.float32)])[None]
                op = "RNN"
                attrs["activations"] = [_onnx_act(layer.activation, "SimpleRNN")]
            elif kind == "LSTM":
                def reorder(m):  # last axis [i, f, c, o] -> [i, o, f, c]
                    i, f, c, o = np.split(m, 4, axis=-1)
                    return np.concatenate([i, o, f, c], axis=-1)
                W, R = reorder(kernel).T[None], reorder(recurrent).T[None]
                wb = reorder(bias) if bias is not None else np.zeros(4 * units, np.float32)
                B = np.concatenate([wb, np.zeros(4 * units, np.float32)])[None]
                op = "LSTM"
                rec = _onnx_act(layer.recurrent_activation, "LSTM recurrent")
                act = _onnx_act(layer.activation, "LSTM")
                attrs["activations"] = [rec, act, act]
            else:  # GRU: Keras [z, r, h] = ONNX [z, r, h]
                W, R = kernel.T[None], recurrent.T[None]
                reset_after = config.get("reset_after", True)
                if bias is None:
                    B = np.zeros((1, 6 * units), np.float32)
                elif reset_after:
                    B = np.concatenate([bias[0], bias[1]])[None]
                else:
                    B = np.concatenate([bias, np.zeros(3 * units, np.float32)])[None]
                op = "GRU"
                attrs["linear_before_reset"] = 1 if reset_after else 0
                rec = _onnx_act(layer.recurrent_activation, "GRU recurrent")
                act = _onnx_act(layer.activation, "GRU")
                attrs["activations"] = [rec, act]
            ins = [current, const(op + "_W", W.astype(np.float32)), const(op + "_R", R.astype(np.float32)),
                   const(op + "_B", B.astype(np.float32))]
            y_seq, y_last = name(op + "_Y"), name(op + "_Yh")
            if config.get("return_sequences"):
                nodes.append(helper.make_node(op, ins, [y_seq], **attrs))
                # Y [steps, 1, batch, units] -> [steps, batch, units]
                current = name("seq")
                nodes.append(helper.make_node("Squeeze", [y_seq, const("axes", np.array([1], np.int64))],
                                              [current]))
            else:
                nodes.append(helper.make_node(op, ins, ["", y_last], **attrs))
                # Y_h [1, batch, units] -> [batch, units]
                current = name("last")
                nodes.append(helper.make_node("Squeeze", [y_last, const("axes", np.array([0], np.int64))],
                                              [current]))
                state = "vector"
            out_units = units
        elif kind == "Dense":
            if state != "vector":
                raise ValueError("Dense on a sequence is not supported here")
            weights = [np.asarray(w, dtype=np.float32) for w in layer.get_weights()]
            mm = name("dense_mm")
            nodes.append(helper.make_node("MatMul", [current, const("dense_W", weights[0])], [mm]))
            current = mm
            if config.get("use_bias", True):
                added = name("dense_add")
                nodes.append(helper.make_node("Add", [current, const("dense_b", weights[1])], [added]))
                current = added
            act = _act_name(layer.activation)
            if act != "linear":
                if act not in _ACT:
                    raise ValueError("Dense activation %r is not supported here" % act)
                activated = name("dense_act")
                nodes.append(helper.make_node(_ACT[act], [current], [activated]))
                current = activated
            out_units = int(config["units"])
        else:
            raise ValueError("layer %s (%s) is not supported by the ONNX-native builder" % (layer.name, kind))
    if state != "vector":
        raise ValueError("the model's output is a sequence (last recurrent layer has return_sequences=True)")
    nodes.append(helper.make_node("Identity", [current], ["y"]))
    graph = helper.make_graph(
        nodes, "kerasio_onnx_native",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "steps", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", out_units])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="kerasio-bench-onnx-native")
    model.ir_version = min(model.ir_version, 8)  # readable by older onnxruntime builds too
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def ort_session(path, threads):
    """An InferenceSession on `path`: intra-op `threads`, inter-op 1,
    ORT_ENABLE_ALL, sequential execution."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def _self_test():
    import os
    import tempfile
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    L = keras.layers
    rng = np.random.default_rng(0)
    cases = {
        "tutorial": ((12, 1), [L.SimpleRNN(3, activation="tanh"), L.Dense(1, activation="tanh")]),
        "simplernn": ((50, 8), [L.SimpleRNN(128), L.Dense(1)]),
        "lstm": ((50, 8), [L.LSTM(128), L.Dense(1)]),
        "gru": ((50, 8), [L.GRU(128), L.Dense(1)]),
        "gru_reset_before": ((50, 8), [L.GRU(16, reset_after=False), L.Dense(1)]),
        "stacked": ((50, 8), [L.LSTM(64, return_sequences=True), L.LSTM(64), L.Dense(1)]),
    }
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, (shape, layers) in cases.items():
            keras.utils.set_random_seed(1)
            model = keras.Sequential([keras.Input(shape)] + layers)
            # non-zero biases so a bias mix-up shows
            for layer in model.layers:
                ws = layer.get_weights()
                if ws:
                    layer.set_weights([w + rng.normal(0, 0.1, w.shape).astype(np.float32) for w in ws])
            x = rng.standard_normal((7,) + shape).astype(np.float32)
            want = np.asarray(model(x))
            path = os.path.join(tmp, label + ".onnx")
            build_onnx_native(model, path)
            for threads in (1, 2):
                got = ort_session(path, threads).run(None, {"x": x})[0]
                diff = float(np.max(np.abs(got - want) / np.maximum(1, np.abs(want))))
                worst = max(worst, diff)
                print("%-18s threads=%d shape=%s max diff %.2g" % (label, threads, got.shape, diff))
    print("worst %.2g: %s" % (worst, "ok" if worst <= 1e-5 else "MISMATCH"))
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    import sys
    sys.exit(_self_test())
