"""`nnctl export`: the NumPy script and the ONNX model predict as the run does."""

from __future__ import annotations

import importlib
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.export import export_run
from nnctl.trained import load_run

runner = CliRunner()
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky-relu", "elu", "softplus", "linear")
# (loss, classes): string labels, integer labels not 0..K-1, one output (two classes) and several
CASES = (("cross-entropy", ("a", "b", "c")), ("binary-cross-entropy", (3, 7)),
         ("binary-cross-entropy", ("x", "y", "z")), ("mse", ("no", "yes")), ("mse", (0, 1, 2)),
         ("hinge", ("neg", "pos")), ("mse", None))


def table(n: int, classes, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) features on scales far from standardised, (n,) labels drawn from `classes` (or
    regression values in the hundreds when classes is None)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [10.0, 1.0, 0.1] + [50.0, -3.0, 0.0]
    if classes is None:
        return X, 200 + 3 * X[:, 0] - 20 * X[:, 1]
    directions = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])[:, :len(classes)]  # the same boundaries every seed
    k = np.argmax((X[:, :2] - [50.0, -3.0]) / [10.0, 1.0] @ directions, axis=1)
    return X, np.array(classes)[k]


def csv_text(X: np.ndarray, y: np.ndarray | None) -> str:
    header = "f0,f1,f2" + (",target" if y is not None else "")
    rows = [",".join(map(repr, x)) + (f",{y[i]}" if y is not None else "") for i, x in enumerate(X.tolist())]
    return "\n".join([header, *rows]) + "\n"


def train(folder: Path, activation: str, loss: str, classes, standardize: bool = True, dtype: str = "float64") -> Path:
    X, y = table(60, classes, 0)
    (folder / "train.csv").write_text(csv_text(X, y))
    config = {"name": "tiny", "dtype": dtype, "data": {"name": "csv", "path": "train.csv", "target": "target",
                                       "standardize": standardize},
              "model": {"hidden": [5, 4], "activation": activation}, "loss": loss,
              "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 30, "batch_size": 16},
              "output": {"plots": []}}
    (folder / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


@pytest.mark.parametrize("loss,classes", CASES, ids=[f"{loss}-{c and len(c)}" for loss, c in CASES])
def test_numpy_script_predicts_as_the_run(tmp_path, loss, classes):
    run = load_run(train(tmp_path, "elu", loss, classes))
    X, _ = table(300, classes, 1)
    (tmp_path / "new.csv").write_text(csv_text(X[:, ::-1], None).replace("f0,f1,f2", "f2,f1,f0"))  # by name
    script = export_run(run, "numpy", tmp_path / "predict.py")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "new.csv")], capture_output=True,
                          text=True, check=True, cwd=tmp_path)
    printed = done.stdout.split("\n")[:-1]
    assert len(printed) == 300
    if classes is None:
        np.testing.assert_allclose(np.array(printed, dtype=float), run.predict(X), rtol=1e-12, atol=1e-12)
    else:
        labels = run.predict(X).tolist()
        assert printed == [str(c) for c in labels] and len(set(labels)) > 1


@pytest.mark.parametrize("loss,classes", CASES, ids=[f"{loss}-{c and len(c)}" for loss, c in CASES])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_model_predicts_as_the_run(tmp_path, activation, loss, classes):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    run = load_run(train(tmp_path, activation, loss, classes, standardize=activation != "linear"))
    path = export_run(run, "onnx", tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    X, _ = table(300, classes, 1)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": X.astype(np.float32)}),
                   strict=True))
    if classes is None:
        assert list(got) == ["prediction"]
        expected = run.predict(X)  # float32 near zero: absolute 1e-6 of the outputs' scale
        np.testing.assert_allclose(got["prediction"], expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
        return
    assert list(got) == ["probabilities", "label"]
    np.testing.assert_allclose(got["probabilities"], run.predict_proba(X), rtol=1e-6, atol=1e-5)
    labels = run.predict(X).tolist()
    assert got["label"].tolist() == labels and len(set(labels)) > 1  # the rows are not all one class


def test_the_cli_writes_the_file_and_refuses_to_replace_it(tmp_path):
    run = train(tmp_path, "tanh", "cross-entropy", ("a", "b", "c"))
    out = tmp_path / "predict.py"
    result = runner.invoke(app, ["export", str(run), "--format", "numpy", "--out", str(out)])
    assert result.exit_code == 0 and result.output == f"{out}\n"
    first = out.read_text()
    out.write_text("mine\n")
    refused = runner.invoke(app, ["export", str(run), "--format", "numpy", "--out", str(out)])
    assert refused.exit_code == 2 and out.read_text() == "mine\n"
    again = runner.invoke(app, ["export", str(run), "--format", "numpy", "--out", str(out), "--overwrite"])
    assert again.exit_code == 0 and out.read_text() == first


def test_onnx_without_the_extra_is_one_line_naming_it(tmp_path, monkeypatch):
    run = train(tmp_path, "tanh", "cross-entropy", ("a", "b", "c"))
    real = importlib.import_module

    def without_onnx(name, *args):
        if name == "onnx":
            raise ImportError("No module named 'onnx'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_onnx)
    result = runner.invoke(app, ["export", str(run), "--format", "onnx", "--out", str(tmp_path / "m.onnx")])
    assert result.exit_code == 2
    assert result.output == "error: nnctl export --format onnx needs the export extra: pip install 'nnctl[export]'\n"
    assert not (tmp_path / "m.onnx").exists()


def test_the_numpy_script_says_an_empty_csv_is_empty(tmp_path):
    run = load_run(train(tmp_path, "tanh", "mse", None))
    script = export_run(run, "numpy", tmp_path / "predict.py")
    (tmp_path / "empty.csv").write_text("")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "empty.csv")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr == f"error: {tmp_path / 'empty.csv'}: empty (give a CSV with a " \
        "header row naming the features)\n"


def test_a_float32_run_exports_as_it_predicts(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    run = load_run(train(tmp_path, "softplus", "cross-entropy", ("a", "b", "c"), dtype="float32"))
    X, _ = table(300, ("a", "b", "c"), 1)
    (tmp_path / "new.csv").write_text(csv_text(X, None))
    script = export_run(run, "numpy", tmp_path / "predict.py")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "new.csv")], capture_output=True,
                          text=True, check=True)
    labels = run.predict(X).tolist()
    assert done.stdout.split("\n")[:-1] == labels and len(set(labels)) > 1
    model = export_run(run, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    P, label = session.run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(P, run.predict_proba(X), rtol=1e-5, atol=1e-5)
    assert label.tolist() == labels


def test_a_run_with_a_standardised_target_exports_predictions_in_the_targets_units(tmp_path):
    """data.standardize_target: the network predicts (y - mean) / std; the script and the graph
    undo it as run.predict does (an export in standardised units would be silently wrong)."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    X, y = table(60, None, 0)
    (tmp_path / "train.csv").write_text(csv_text(X, 100 + 50 * y))
    config = {"data": {"name": "csv", "path": "train.csv", "target": "target", "standardize_target": True},
              "model": {"hidden": [4]}, "loss": "mse", "train": {"epochs": 3}, "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    trained = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert trained.exit_code == 0
    run = load_run(tmp_path / "run")
    expected = run.predict(X)
    assert np.abs(expected).mean() > 1000  # in the target's units (tens of thousands), not standardised ones
    (tmp_path / "new.csv").write_text(csv_text(X, None))
    script = export_run(run, "numpy", tmp_path / "predict.py")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "new.csv")], capture_output=True,
                          text=True, check=True, cwd=tmp_path)
    np.testing.assert_allclose(np.array(done.stdout.split(), dtype=float), np.ravel(expected), rtol=1e-12)
    model = export_run(run, "onnx", tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(model)), full_check=True)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    [got] = session.run(["prediction"], {"X": X.astype(np.float32)})
    np.testing.assert_allclose(got, np.ravel(expected), rtol=1e-6)


# ---------------------------------------------------------------- text feature columns (issue 15)

def shop(n: int, seed: int, colors=("red", "blue", "green")) -> dict[str, np.ndarray]:
    """Columns price (numbers), color and size (text), label (three classes)."""
    rng = np.random.default_rng(seed)
    price = rng.uniform(1, 90, n).round(2)
    color, size = np.array(colors)[rng.integers(0, len(colors), n)], np.array(["S", "M", "L"])[rng.integers(0, 3, n)]
    label = np.where(color == "red", "keep", np.where(price > 45, "sell", "give"))
    return {"price": price, "color": color, "size": size, "label": label}


def columns_text(columns: dict[str, np.ndarray]) -> str:
    rows = zip(*columns.values(), strict=True)
    return ",".join(columns) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)


def text_run(folder: Path) -> Path:
    (folder / "shop.csv").write_text(columns_text(shop(90, 0)))
    config = {"data": {"name": "csv", "path": "shop.csv", "standardize": True}, "model": {"hidden": [6]},
              "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 20}, "output": {"plots": []}}
    (folder / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


def assert_script_predicts(run, folder: Path, expected: np.ndarray, labels: list | None = None) -> None:
    """The exported predict.py on folder/new.csv: its probabilities equal `expected` within
    1e-12 (in this process), and run as a script it prints `labels`, one a line."""
    script = runpy.run_path(str(export_run(run, "numpy", folder / "predict.py")))
    logits = script["outputs"](script["read_features"](str(folder / "new.csv")))
    np.testing.assert_allclose(script["softmax"](logits), expected, rtol=1e-12, atol=1e-15)
    if labels is not None:
        done = subprocess.run([sys.executable, str(folder / "predict.py"), str(folder / "new.csv")],
                              capture_output=True, text=True, check=True)
        assert done.stdout.split("\n")[:-1] == labels


def test_a_text_column_run_exports_one_input_per_column_and_all_routes_agree(tmp_path):
    """ONNX (one input per column, text one-hot by ai.onnx.ml) and predict.py give
    run.predict_proba's numbers, and a category the run never saw is an all-zero row in all three."""
    run = load_run(text_run(tmp_path))
    new = shop(200, 1, colors=("red", "blue", "green", "purple"))
    del new["label"]
    (tmp_path / "new.csv").write_text(columns_text(new))
    expected, labels = run.predict_proba(new), run.predict(new).tolist()
    assert run.preprocessing.unseen(new).startswith("warning: X: ") and len(set(labels)) == 3
    purple = new["color"] == "purple"
    zeros = run.predict_proba({**new, "color": np.full(200, "unseen")})
    np.testing.assert_array_equal(expected[purple], zeros[purple])  # purple is no category: zeros as any other
    assert_script_predicts(run, tmp_path, expected, labels)
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = export_run(run, "onnx", tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in session.get_inputs()] == [
        ("price", "tensor(float)"), ("color", "tensor(string)"), ("size", "tensor(string)")]
    feed = {"price": new["price"].astype(np.float32)[:, None], "color": new["color"].astype(object)[:, None],
            "size": new["size"].astype(object)[:, None]}
    P, label = session.run(["probabilities", "label"], feed)
    np.testing.assert_allclose(P, expected, rtol=1e-6, atol=1e-5)
    assert label.tolist() == labels


FEATURES = ["f0", "f1^3", "f0*f2", "f2^2", "sin(f1)", "cos(f2)"]


def test_a_run_with_computed_features_exports_them_and_all_routes_agree(tmp_path):
    """data.features (issue 16): the ONNX graph computes them from X's raw columns (Pow, Mul, Sin,
    Cos nodes) and predict.py in NumPy, both as run.predict_proba does."""
    X, y = table(60, ("a", "b", "c"), 0)
    (tmp_path / "train.csv").write_text(csv_text(X, y))
    config = {"data": {"name": "csv", "path": "train.csv", "standardize": True, "features": FEATURES},
              "model": {"hidden": [5]}, "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 30},
              "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    run = load_run(tmp_path / "run")
    new, _ = table(300, ("a", "b", "c"), 1)
    expected, labels = run.predict_proba(new), run.predict(new).tolist()
    assert run.preprocessing.feature_names == FEATURES and len(set(labels)) == 3
    (tmp_path / "new.csv").write_text(csv_text(new, None))
    assert_script_predicts(run, tmp_path, expected, labels)
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = export_run(run, "onnx", tmp_path / "model.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert {"Pow", "Mul", "Sin", "Cos"} <= {node.op_type for node in model.graph.node}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape) for i in session.get_inputs()] == [("X", [None, 3])]
    P, label = session.run(["probabilities", "label"], {"X": new.astype(np.float32)})
    np.testing.assert_allclose(P, expected, rtol=1e-6, atol=1e-5)
    assert label.tolist() == labels


def test_features_beside_a_listed_text_column_export_as_the_run_predicts(tmp_path):
    """A text column listed in data.features keeps its one-hot inputs; a number column's features
    are computed beside them, in every route."""
    (tmp_path / "shop.csv").write_text(columns_text(shop(90, 0)))
    config = {"data": {"name": "csv", "path": "shop.csv", "standardize": True,
                       "features": ["color", "price^2", "sin(price)", "price"]},
              "model": {"hidden": [6]}, "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 20},
              "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    run = load_run(tmp_path / "run")
    assert run.preprocessing.feature_names == ["color=blue", "color=green", "color=red", "price^2", "sin(price)",
                                               "price"]
    assert run.dataset.mean[:3].tolist() == [0.0, 0.0, 0.0] and run.dataset.std[:3].tolist() == [1.0, 1.0, 1.0]
    new = shop(200, 1)
    del new["label"]
    (tmp_path / "new.csv").write_text(columns_text(new))
    expected = run.predict_proba(new)
    assert_script_predicts(run, tmp_path, expected)
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(export_run(run, "onnx", tmp_path / "model.onnx")),
                                   providers=["CPUExecutionProvider"])
    feed = {"price": new["price"].astype(np.float32)[:, None], "color": new["color"].astype(object)[:, None],
            "size": new["size"].astype(object)[:, None]}
    np.testing.assert_allclose(session.run(["probabilities"], feed)[0], expected, rtol=1e-6, atol=1e-5)
