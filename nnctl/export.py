"""`nnctl export` (layer 5): a trained run as a file that predicts without nnctl.

- numpy: one self-contained `predict.py` (NumPy only) with the weights embedded as base64 of
  their bytes (exact), runnable as `python predict.py input.csv`.
- onnx: an ONNX model (opset 17, float32) with the standardisation and the output activation
  inside; outputs `label` and `probabilities` (classification) or `prediction` (regression).
  Input: `X` (n, m) float32, the raw features in training order, when every feature column is
  numbers; with text columns, one input per column named after it, float32 (n, 1) for a number
  column and string (n, 1) for a text one, one-hot encoded by ai.onnx.ml's OneHotEncoder
  (zeros=1: a category the run never saw is an all-zero row, as in nnctl; strings are matched
  as given, where nnctl strips spaces), then concatenated in training order. Needs the optional
  `export` extra. data.features are computed inside the graph from the raw inputs (Gather,
  Pow, Mul, Sin, Cos), as in predict.py.
"""

from __future__ import annotations

import base64
import importlib
from pathlib import Path

import numpy as np

from nnctl.errors import NnctlError
from nnctl.files import atomic_write, write_text
from nnctl.nn.activations import ELU_ALPHA, LEAKY_RELU_SLOPE
from nnctl.nn.layers import Dense
from nnctl.trained import TrainedRun, load_run

Array = np.ndarray
FORMATS = ("onnx", "numpy")
OPSET = 17
EXTRA_MISSING = "nnctl export --format onnx needs the export extra: pip install 'nnctl[export]'"


def export_file(run_dir: Path | str, fmt: str, out: Path | str, *, overwrite: bool = False,
                checkpoint: int | None = None) -> Path:
    """`nnctl export`: the run directory's model (or a checkpoint's) written as `fmt` to `out`;
    the format and `out` are checked before the run is read, and nothing is written on error."""
    _check_target(fmt, Path(out), overwrite)
    return export_run(load_run(run_dir, checkpoint), fmt, out, overwrite=overwrite)


def _check_target(fmt: str, out: Path, overwrite: bool) -> None:
    if fmt not in FORMATS:
        raise NnctlError(f"--format {fmt}: not an export format (choose from: onnx, numpy)")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise NnctlError(f"--out {out}: exists (pass --overwrite to replace it)")
    if fmt == "onnx":
        _onnx()


def export_run(run: TrainedRun, fmt: str, out: Path | str, *, overwrite: bool = False) -> Path:
    """Write `run` as `fmt` ("onnx" or "numpy") to `out`; an existing `out` is refused without
    `overwrite`. Everything is checked before anything is written."""
    out = Path(out)
    _check_target(fmt, out, overwrite)
    if fmt == "numpy":
        return write_text(out, numpy_script(run))
    data = onnx_model(run).SerializeToString()
    return atomic_write(out, lambda f: f.write(data), binary=True)


def network_steps(run: TrainedRun) -> list[tuple]:
    """The network's layers in order: ("dense", W (fan_in, fan_out), b (fan_out,)) or
    ("activation", name); the network ends at what the loss sees (logits for a fused loss)."""
    return [("dense", layer.W.copy(), layer.b.copy()) if isinstance(layer, Dense) else ("activation", layer.name)
            for layer in run.model.network.layers]


# ---------------------------------------------------------------------------------------------- numpy

def _packed(A: Array) -> tuple[str, str, tuple[int, ...]]:
    """An array as (dtype name, base64 of its C-order bytes, shape): exact, and short."""
    A = np.ascontiguousarray(A)
    return A.dtype.str, base64.b64encode(A.tobytes()).decode("ascii"), A.shape


def numpy_script(run: TrainedRun) -> str:
    """The text of predict.py: the run's preprocessing, weights and decoding, NumPy only."""
    pre = run.preprocessing
    steps = [("dense", _packed(s[1]), _packed(s[2])) if s[0] == "dense" else s for s in network_steps(run)]
    model = {
        "features": pre.base_names, "columns": pre.raw_columns, "task": run.task,
        "categories": [None] * len(pre.feature_names) if pre.categories is None else list(pre.categories),
        # data.features: (op, base input indices, power) of each network input, None for the base inputs
        "computed": None if pre.computed is None else [(f.op, list(f.at), f.k) for f in pre.computed],
        "classes": [c.item() if hasattr(c, "item") else c for c in pre.classes],
        "mean": None if pre.mean is None else _packed(np.asarray(pre.mean, dtype=np.float64)),
        "std": None if pre.std is None else _packed(np.asarray(pre.std, dtype=np.float64)),
        # data.standardize_target: the network predicts (y - target_mean) / target_std
        "target": None if pre.target_std is None else (_packed(np.asarray(pre.target_mean, dtype=np.float64)),
                                                       _packed(np.asarray(pre.target_std, dtype=np.float64))),
        "threshold": float(run.model.loss.threshold), "steps": steps,
        "dtype": run.model.network.dense[0].W.dtype.str,
    }
    return SCRIPT.replace("MODEL = None", f"MODEL = {model!r}").replace(
        "SLOPE, ALPHA = None, None", f"SLOPE, ALPHA = {LEAKY_RELU_SLOPE!r}, {ELU_ALPHA!r}")


SCRIPT = '''"""Predictions of an nnctl run, exported by `nnctl export --format numpy` (needs only NumPy).

    python predict.py input.csv     # a CSV with a header holding the run's feature columns

prints one prediction per row: a class label as in the training data, or the regression value(s).
A text column is one-hot encoded over the run's categories (a category the run never saw: all
zeros). A problem with the input is one line on stderr, `error: ...`, and exit code 2.
"""

import base64
import csv
import sys

import numpy as np

MODEL = None
SLOPE, ALPHA = None, None


def unpacked(packed):
    dtype, data, shape = packed
    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
    "leaky-relu": lambda z: np.where(z > 0, z, SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, ALPHA * np.expm1(np.minimum(z, 0.0))),
    "softplus": lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
    "linear": lambda z: z, "softmax": softmax,
}


FEATURES = {
    "column": lambda a, k: a[0], "power": lambda a, k: a[0] ** k, "product": lambda a, k: a[0] * a[1],
    "sin": lambda a, k: np.sin(a[0]), "cos": lambda a, k: np.cos(a[0]),
}


def computed(X):
    """X: (n, b) raw inputs -> the run's data.features (n, d), or X itself when it had none."""
    if MODEL["computed"] is None:
        return X
    return np.column_stack([FEATURES[op]([X[:, i] for i in at], k) for op, at, k in MODEL["computed"]])


def outputs(X):
    """X: (n, b) raw features in training order -> the network's outputs (n, width)."""
    X = computed(X)
    if MODEL["mean"] is not None:
        X = (X - unpacked(MODEL["mean"])) / unpacked(MODEL["std"])
    A = X.astype(MODEL["dtype"])
    for step in MODEL["steps"]:
        if step[0] == "dense":
            A = A @ unpacked(step[1]) + unpacked(step[2])
        else:
            A = ACTIVATIONS[step[1]](A)
    return A


def predict(X):
    """X: (n, d) raw features -> (n,) class labels, or (n, k) regression values."""
    out = outputs(X)
    if MODEL["task"] != "classification":
        if MODEL["target"] is None:
            return out
        return out * unpacked(MODEL["target"][1]) + unpacked(MODEL["target"][0])
    if out.shape[1] == 1:
        k = (out[:, 0] > MODEL["threshold"]).astype(np.int64)
    else:
        k = out.argmax(axis=1)
    return [MODEL["classes"][i] for i in k]


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def number(cell, where):
    """A number column's cell as a finite float; anything else ends the script, naming `where`."""
    try:
        value = float(cell)
    except ValueError:
        fail(f"{where}: {cell.strip()!r} is not a number")
    if not np.isfinite(value):
        fail(f"{where}: {cell.strip()!r} is not a finite number")
    return value


def inputs_of(row, at, path, line):
    """One row's cells -> the network's raw inputs: numbers as they are, a text column one 0/1
    per category of the run (all zeros for one it never saw)."""
    x = []
    for j, name, categories in zip(at, MODEL["columns"], MODEL["categories"]):
        where = f"{path}: line {line}, column {name!r}"
        if categories is None:
            x.append(number(row[j], where))
            continue
        cell = row[j].strip()
        if not cell:
            fail(f"{where}: empty cell (give one of the run's categories)")
        x.extend(1.0 if cell == category else 0.0 for category in categories)
    return x


def read_features(path):
    """The CSV's feature columns, by name -> the network's raw inputs, (n, d) float64."""
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            rows = [(reader.line_num, row) for row in reader if row]
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    except (UnicodeDecodeError, csv.Error) as e:
        fail(f"{path}: cannot read as CSV ({e})")
    if not rows:
        fail(f"{path}: empty (give a CSV with a header row naming the features)")
    header, rows = [h.strip() for h in rows[0][1]], rows[1:]
    missing = [name for name in MODEL["columns"] if name not in header]
    if missing:
        fail(f"{path}: no column {missing[0]!r} (the run's features: {', '.join(MODEL['columns'])})")
    at = [header.index(name) for name in MODEL["columns"]]
    for line, row in rows:
        if len(row) != len(header):
            fail(f"{path}: line {line} has {len(row)} cells, the header {len(header)} (fix the row)")
    X = [inputs_of(row, at, path, line) for line, row in rows]
    return np.array(X, dtype=np.float64).reshape(len(rows), len(MODEL["features"]))


def main(argv):
    if len(argv) != 2:
        fail("usage: python predict.py input.csv")
    for p in predict(read_features(argv[1])):
        if isinstance(p, np.ndarray):
            print(",".join(repr(float(v)) for v in p))
        else:
            print(p)


if __name__ == "__main__":
    main(sys.argv)
'''


# ---------------------------------------------------------------------------------------------- onnx

def _onnx():
    """(onnx, onnx.helper, onnx.numpy_helper), or the one-line error naming the extra."""
    try:
        onnx = importlib.import_module("onnx")
    except ImportError:
        raise NnctlError(EXTRA_MISSING) from None
    return onnx, onnx.helper, onnx.numpy_helper


ONNX_ACTIVATIONS = {"tanh": ("Tanh", {}), "sigmoid": ("Sigmoid", {}), "relu": ("Relu", {}),
                    "leaky-relu": ("LeakyRelu", {"alpha": LEAKY_RELU_SLOPE}), "elu": ("Elu", {"alpha": ELU_ALPHA}),
                    "softplus": ("Softplus", {}), "linear": ("Identity", {}), "softmax": ("Softmax", {"axis": 1})}


class _Graph:
    """Nodes and float32 constants of an ONNX graph under construction, named in order."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.constants = [], []

    def constant(self, value, name: str) -> str:
        """A named constant (float32 for floats), once: a second call with the name reuses it."""
        if any(c.name == name for c in self.constants):
            return name
        A = np.asarray(value)
        A = A.astype(np.float32) if A.dtype.kind == "f" else A
        self.constants.append(self.numpy_helper.from_array(A, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attributes) -> str:
        name = name or f"{op_type.lower()}_{len(self.nodes)}"
        self.nodes.append(self.helper.make_node(op_type, inputs, [name], name=f"node_{len(self.nodes)}",
                                                **attributes))
        return name


def _inputs(g: _Graph, run: TrainedRun, onnx) -> tuple[str, list]:
    """The graph's inputs (value infos) and the name of the (n, d) raw network inputs they make:
    `X` itself when every column is numbers; else one input per column, a text column one-hot
    by ai.onnx.ml's OneHotEncoder ((n, 1) strings -> (n, 1, k), reshaped to (n, k)), all
    concatenated in training order."""
    pre, helper = run.preprocessing, g.helper
    if not pre.text_columns:
        return "X", [helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [None, len(pre.raw_columns)])]
    parts, infos = [], []
    for name, categories in zip(pre.raw_columns, pre.categories, strict=True):
        kind = onnx.TensorProto.FLOAT if categories is None else onnx.TensorProto.STRING
        infos.append(helper.make_tensor_value_info(name, kind, [None, 1]))
        if categories is None:
            parts.append(name)
            continue
        hot = g.op("OneHotEncoder", [name], domain="ai.onnx.ml", cats_strings=list(categories), zeros=1)
        k = len(categories)
        parts.append(g.op("Reshape", [hot, g.constant(np.array([-1, k], dtype=np.int64), f"shape_{k}")]))
    return g.op("Concat", parts, axis=1), infos


ONNX_FEATURES = {"power": "Pow", "product": "Mul", "sin": "Sin", "cos": "Cos"}  # nnctl.features.OPS' nodes


def _features(g: _Graph, run: TrainedRun, B: str) -> str:
    """B (n, b) raw inputs -> the run's data.features (n, d), or B itself when it had none:
    each argument a Gather of its column (n, 1), each feature one node of ONNX_FEATURES."""
    computed = run.preprocessing.computed
    if computed is None:
        return B
    gathered: dict[int, str] = {}

    def column(i: int) -> str:  # once per base input, however many features take it
        if i not in gathered:
            gathered[i] = g.op("Gather", [B, g.constant(np.array([i], dtype=np.int64), f"at_{i}")], axis=1)
        return gathered[i]

    parts = []
    for f in computed:
        at = [column(i) for i in f.at]
        if f.op == "column":
            parts.append(at[0])
        elif f.op == "power":
            parts.append(g.op("Pow", [at[0], g.constant(float(f.k), f"power_{f.k}")]))
        else:
            parts.append(g.op(ONNX_FEATURES[f.op], at))
    return g.op("Concat", parts, "features", axis=1)


def _network(g: _Graph, run: TrainedRun, A: str) -> str:
    """A (n, b) raw inputs -> (data.features) -> (standardised) -> the network's layers; returns
    the name of what the loss sees."""
    pre = run.preprocessing
    A = _features(g, run, A)
    if pre.mean is not None:
        A = g.op("Div", [g.op("Sub", [A, g.constant(pre.mean, "mean")]), g.constant(pre.std, "std")])
    for i, step in enumerate(network_steps(run)):
        if step[0] == "dense":
            A = g.op("Gemm", [A, g.constant(step[1], f"W{i}"), g.constant(step[2], f"b{i}")])
        else:
            op_type, attributes = ONNX_ACTIVATIONS[step[1]]
            A = g.op(op_type, [A], **attributes)
    return A


def _probabilities(g: _Graph, run: TrainedRun, out: str) -> str:
    """What the loss sees (n, w) -> (n, K) probabilities as run.predict_proba: the loss's
    scores (clipped confidences; [1 - s, s] for one output) over their row sums, uniform where
    every score is 0."""
    loss, width = run.model.loss, run.model.network.sizes[-1]
    if loss.name == "cross-entropy":
        return g.op("Softmax", [out], "probabilities", axis=1)
    if loss.name == "binary-cross-entropy":
        out = g.op("Sigmoid", [out])
    elif loss.name == "hinge":
        out = g.op("Div", [g.op("Add", [g.op("Clip", [out, g.constant(-1.0, "minus_one"), g.constant(1.0, "one")]),
                                        "one"]), g.constant(2.0, "two")])
    s = g.op("Clip", [out, g.constant(0.0, "zero"), g.constant(1.0, "one")])
    if width == 1:
        s = g.op("Concat", [g.op("Sub", ["one", s]), s], axis=1)
    total = g.op("ReduceSum", [s, g.constant(np.array([1], dtype=np.int64), "axis_1")], keepdims=1)
    uniform = g.constant(1.0 / len(run.classes), "uniform")
    return g.op("Where", [g.op("Greater", [total, "zero"]), g.op("Div", [s, total]), uniform], "probabilities")


def _label(g: _Graph, run: TrainedRun, out: str) -> str:
    """What the loss sees (n, w) -> (n,) labels as run.predict: the loss's decoding (a threshold
    on one output, else the argmax), mapped to the class labels unless they are 0..K-1."""
    if run.model.network.sizes[-1] == 1:
        above = g.op("Greater", [out, g.constant(run.model.loss.threshold, "threshold")])
        index = g.op("Reshape", [g.op("Cast", [above], to=7), g.constant(np.array([-1], dtype=np.int64), "flat")])
    else:
        index = g.op("ArgMax", [out], axis=1, keepdims=0)
    classes = np.asarray(run.classes)
    if classes.dtype.kind in "iu" and (classes == np.arange(len(classes))).all():
        return g.op("Identity", [index], "label"), np.int64
    kind = classes.dtype.kind
    classes = classes.astype(object if kind in "UO" else np.int64 if kind in "iub" else np.float64)
    g.constants.append(g.numpy_helper.from_array(classes, "classes"))
    return g.op("Gather", ["classes", index], "label", axis=0), classes.dtype if kind not in "UO" else str


def onnx_model(run: TrainedRun):
    """The run as an onnx.ModelProto (opset 17, float32), checked by onnx.checker."""
    onnx, helper, numpy_helper = _onnx()
    g = _Graph(helper, numpy_helper)
    X, inputs = _inputs(g, run, onnx)
    out = _network(g, run, X)
    width, float32 = run.model.network.sizes[-1], onnx.TensorProto.FLOAT
    if run.task == "classification":
        label, label_type = _label(g, run, out)
        outputs = [helper.make_tensor_value_info(_probabilities(g, run, out), float32, [None, len(run.classes)]),
                   helper.make_tensor_value_info(label, helper.np_dtype_to_tensor_dtype(np.dtype(
                       object if label_type is str else label_type)), [None])]
    elif run.preprocessing.target_std is not None:  # back to the target's units, as decode_values does
        out = g.op("Add", [g.op("Mul", [out, g.constant(run.preprocessing.target_std, "target_std")]),
                           g.constant(run.preprocessing.target_mean, "target_mean")])
    if run.task != "classification" and width == 1:
        flat = g.op("Reshape", [out, g.constant(np.array([-1], dtype=np.int64), "flat")], "prediction")
        outputs = [helper.make_tensor_value_info(flat, float32, [None])]
    elif run.task != "classification":
        outputs = [helper.make_tensor_value_info(g.op("Identity", [out], "prediction"), float32, [None, width])]
    graph = helper.make_graph(g.nodes, f"nnctl_{run.path.name}", inputs, outputs, initializer=g.constants)
    opsets = [helper.make_opsetid("", OPSET)] + ([helper.make_opsetid("ai.onnx.ml", 1)] if X != "X" else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="nnctl")
    onnx.checker.check_model(model)
    return model
