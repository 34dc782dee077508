"""Using a trained run: data.Preprocessing, nnctl.trained.load_run (predict, predict_proba,
checkpoints), and the `nnctl predict` / `nnctl evaluate` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import nnctl
from nnctl.cli import app
from nnctl.errors import NnctlError
from nnctl.pictures import applicable
from nnctl.trained import load_run

runner = CliRunner()
SPECIES = ("setosa", "versicolor", "virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def flowers(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) flower-like measurements on scales far from standardised, (n,) species names."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 3, n)
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]]) * 10
    return centers[k] + rng.normal(scale=2.0, size=(n, 4)), np.array(SPECIES)[k]


def flower_csv(X: np.ndarray, y: np.ndarray | None, extra: bool = False) -> str:
    header = [*FEATURES, *(["species"] if y is not None else []), *(["id"] if extra else [])]
    rows = [[*map(repr, x), *([y[i]] if y is not None else []), *([f"r{i}"] if extra else [])]
            for i, x in enumerate(X.tolist())]
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@pytest.fixture(scope="module")
def flower_run(tmp_path_factory) -> Path:
    """A 3-class string-label CSV run, standardised, with checkpoints."""
    folder = tmp_path_factory.mktemp("flowers")
    X, y = flowers(150, 0)
    (folder / "flowers.csv").write_text(flower_csv(X, y))
    config = {"name": "flowers", "data": {"name": "csv", "path": "flowers.csv", "target": "species",
                                          "standardize": True},
              "model": {"hidden": [8]}, "optimizer": {"name": "adam", "lr": 0.01},
              "train": {"epochs": 20, "checkpoint_every": 10}, "output": {"plots": []}}
    (folder / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


def by_hand(run_dir: Path, X: np.ndarray, weights: str = "model.npz") -> np.ndarray:
    """Labels computed without nnctl.trained: standardise, forward through the saved weights
    (tanh hidden layer, softmax), argmax, decode with data.npz's classes."""
    with np.load(run_dir / "data.npz") as d:
        mean, std, classes = d["mean"], d["std"], d["classes"]
    with np.load(run_dir / weights) as w:
        A = np.tanh(((X - mean) / std) @ w["W0"] + w["b0"])
        Z = A @ w["W1"] + w["b1"]
    return classes[Z.argmax(axis=1)]


# ---------------------------------------------------------------- load_run


def test_predict_gives_the_labels_of_an_independent_computation(flower_run):
    X, _ = flowers(40, 1)
    run = nnctl.load_run(flower_run)
    labels = run.predict(X)
    assert labels.dtype.kind == "U" and set(labels) <= set(SPECIES)
    assert labels.tolist() == by_hand(flower_run, X).tolist()
    assert run.history == run._run.metrics and [row["epoch"] for row in run.history] == list(range(21))
    assert run.summary["status"] == "completed" and run.config.data.standardize
    assert run.classes == list(SPECIES)


def test_predict_proba_rows_sum_to_one_and_agree_with_predict(flower_run):
    X, _ = flowers(40, 2)
    run = load_run(flower_run)
    P = run.predict_proba(X)
    assert P.shape == (40, 3)
    assert np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12) and (P >= 0).all()
    assert np.array(SPECIES)[P.argmax(axis=1)].tolist() == run.predict(X).tolist()


def test_dict_and_array_inputs_agree(flower_run):
    X, _ = flowers(30, 3)
    run = load_run(flower_run)
    columns = {name: X[:, j].tolist() for j, name in enumerate(FEATURES)}
    assert np.array_equal(run.predict_proba(columns), run.predict_proba(X))


def test_checkpoint_0_predicts_with_the_initial_weights(flower_run):
    X, _ = flowers(50, 4)
    initial = load_run(flower_run, checkpoint=0)
    assert initial.predict(X).tolist() == by_hand(flower_run, X, "checkpoints/epoch-0000.npz").tolist()
    assert not np.array_equal(initial.predict_proba(X), load_run(flower_run).predict_proba(X))
    with pytest.raises(NnctlError, match=r"^--checkpoint 7: .* has no checkpoint of epoch 7 \(saved: 0, 10, 20\)$"):
        load_run(flower_run, checkpoint=7)


def test_weights_that_are_not_finite_are_refused(flower_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(flower_run, copy)
    with np.load(copy / "checkpoints" / "epoch-0010.npz") as f:
        arrays = dict(f)
    arrays["W1"][0, 0] = np.nan
    np.savez(copy / "checkpoints" / "epoch-0010.npz", **arrays)
    load_run(copy, checkpoint=20)
    with pytest.raises(NnctlError, match="epoch-0010.npz: W1 holds values that are not finite numbers"):
        load_run(copy, checkpoint=10)


def test_a_regression_run_predicts_values_and_has_no_probabilities(tmp_path):
    config = {"data": {"name": "bump", "n_samples": 100}, "model": {"hidden": [4]}, "loss": "mse",
              "train": {"epochs": 2}, "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    run = load_run(tmp_path / "run")
    X = np.random.default_rng(0).normal(size=(7, run.dataset.n_features))
    assert np.array_equal(run.predict(X), run.model.output(X)[:, 0])
    with pytest.raises(NnctlError, match="a regression run has no class probabilities"):
        run.predict_proba(X)
    np.save(tmp_path / "new.npy", X)
    refused = runner.invoke(app, ["predict", str(tmp_path / "run"), str(tmp_path / "new.npy"), "--proba"])
    assert refused.exit_code == 2
    assert refused.stderr == "error: --proba: a regression run has no class probabilities (leave --proba out)\n"
    done = runner.invoke(app, ["predict", str(tmp_path / "run"), str(tmp_path / "new.npy")])
    assert [float(r["prediction"]) for r in read_csv(done.stdout)] == run.predict(X).tolist()


def test_prediction_in_chunks_equals_one_pass_and_bounds_memory(flower_run, monkeypatch):
    import tracemalloc

    import nnctl.trained

    X, _ = flowers(1000, 5)
    run = load_run(flower_run)
    whole = run.predict_proba(X)
    monkeypatch.setattr(nnctl.trained, "CHUNK_ROWS", 64)
    assert np.array_equal(run.predict_proba(X), whole)
    monkeypatch.undo()
    big = np.repeat(X, 1000, axis=0)  # 1 000 000 × 4 float64: 32 MB
    tracemalloc.start()
    run.predict_proba(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.2 * big.nbytes  # P (n, 3) is 0.75 of it, one chunk's arrays a few MB (the issue: < 3)


# ---------------------------------------------------------------- nnctl predict


def read_csv(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def test_predict_adds_labels_and_passes_other_columns_through(flower_run, tmp_path):
    X, y = flowers(25, 6)
    (tmp_path / "new.csv").write_text(flower_csv(X, y, extra=True))
    result = runner.invoke(app, ["predict", str(flower_run), str(tmp_path / "new.csv"), "--proba"])
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert list(rows[0]) == [*FEATURES, "species", "id", "prediction", *(f"p_{s}" for s in SPECIES)]
    assert [r["prediction"] for r in rows] == by_hand(flower_run, X).tolist()
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(25)] and [r["species"] for r in rows] == y.tolist()
    P = np.array([[float(r[f"p_{s}"]) for s in SPECIES] for r in rows])
    assert np.array_equal(P, load_run(flower_run).predict_proba(X))  # every digit written


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_predict_passes_the_input_through_byte_for_byte(flower_run, tmp_path, quoted):
    """Numbers keep their spelling (1.50, 2e0, 07), the header its spaces: the plain file's lines
    are appended to, the quoted one's cells written back as read."""
    names = f"{FEATURES[0]}, {','.join(FEATURES[1:])},note"
    cells = ["1.50", "2e0", "07", *(["0.5"] * (len(FEATURES) - 3)), '"a, b"' if quoted else "a b"]
    (tmp_path / "new.csv").write_text(f"{names}\n{','.join(cells)}\n")
    result = runner.invoke(app, ["predict", str(flower_run), str(tmp_path / "new.csv")])
    assert result.exit_code == 0, result.output
    X = np.array([[float(c) for c in cells[: len(FEATURES)]]])
    label = by_hand(flower_run, X)[0]
    written = ["1.50", "2e0", "07", *(["0.5"] * (len(FEATURES) - 3)), '"a, b"' if quoted else "a b", label]
    header = f"{names},prediction" if not quoted else ",".join([*FEATURES, "note", "prediction"])
    assert result.stdout == f"{header}\n{','.join(written)}\n"


def test_predict_reads_stdin_and_npy_alike(flower_run, tmp_path):
    X, _ = flowers(10, 7)
    np.save(tmp_path / "new.npy", X)
    from_npy = runner.invoke(app, ["predict", str(flower_run), str(tmp_path / "new.npy")])
    from_stdin = runner.invoke(app, ["predict", str(flower_run), "-"], input=flower_csv(X, None))
    assert from_npy.exit_code == from_stdin.exit_code == 0, from_npy.output + from_stdin.output
    assert [r["prediction"] for r in read_csv(from_npy.stdout)] == by_hand(flower_run, X).tolist()
    assert read_csv(from_npy.stdout) == read_csv(from_stdin.stdout)


def test_predict_out_refuses_an_existing_file_without_overwrite(flower_run, tmp_path):
    X, _ = flowers(5, 8)
    (tmp_path / "new.csv").write_text(flower_csv(X, None))
    out = tmp_path / "p.csv"
    out.write_text("mine\n")
    args = ["predict", str(flower_run), str(tmp_path / "new.csv"), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and refused.stderr == f"error: --out {out}: exists (pass --overwrite to replace it)\n"
    assert out.read_text() == "mine\n"
    done = runner.invoke(app, [*args, "--overwrite"])
    assert done.exit_code == 0 and done.stdout == ""
    assert [r["prediction"] for r in read_csv(out.read_text())] == by_hand(flower_run, X).tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "p.csv"]  # no temporary left


def test_predict_with_a_checkpoint_uses_its_weights(flower_run, tmp_path):
    X, _ = flowers(30, 9)
    (tmp_path / "new.csv").write_text(flower_csv(X, None))
    result = runner.invoke(app, ["predict", str(flower_run), str(tmp_path / "new.csv"), "--checkpoint", "0"])
    assert result.exit_code == 0, result.output
    expected = by_hand(flower_run, X, "checkpoints/epoch-0000.npz").tolist()
    assert [r["prediction"] for r in read_csv(result.stdout)] == expected


# ---------------------------------------------------------------- nnctl evaluate


def test_evaluate_on_the_validation_split_repeats_the_summary(flower_run):
    run = load_run(flower_run)
    report = run.evaluate()
    final = run.summary["final"]
    assert report["accuracy"] == final["val_accuracy"] and report["loss"] == final["val_loss"]
    confusion = np.array(report["confusion"])
    assert confusion.sum() == report["rows"] == len(run.dataset.X_val)
    assert np.trace(confusion) / confusion.sum() == report["accuracy"]
    assert [row["support"] for row in report["per_class"]] == confusion.sum(axis=1).tolist()


def test_evaluate_on_a_csv_equals_scikit_learns_metrics(flower_run, tmp_path):
    metrics = pytest.importorskip("sklearn.metrics")
    X, y = flowers(60, 10)
    (tmp_path / "held-out.csv").write_text(flower_csv(X, y, extra=True))
    result = runner.invoke(app, ["evaluate", str(flower_run), str(tmp_path / "held-out.csv"), "--json"])
    assert result.exit_code == 0, result.output
    report = yaml.safe_load(result.stdout)  # JSON is YAML
    predicted = by_hand(flower_run, X)
    assert report["accuracy"] == metrics.accuracy_score(y, predicted)
    assert report["confusion"] == metrics.confusion_matrix(y, predicted, labels=list(SPECIES)).tolist()
    p, r, f, s = metrics.precision_recall_fscore_support(y, predicted, labels=list(SPECIES), zero_division=0)
    assert np.allclose([[c["precision"], c["recall"], c["f1"]] for c in report["per_class"]], np.c_[p, r, f],
                       rtol=0, atol=1e-15)
    assert report["rows"] == 60 and report["data"] == str(tmp_path / "held-out.csv")


def test_evaluate_a_regression_gives_mse_mae_r2_and_draws_the_fit(tmp_path):
    config = {"data": {"name": "bump", "n_samples": 200}, "model": {"hidden": [8]}, "loss": "mse",
              "optimizer": "adam", "train": {"epochs": 30}, "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    run = load_run(tmp_path / "run")
    report = run.evaluate()
    Y, P = run.dataset.y_val, run.model.output(run.dataset.X_val)
    assert report["mse"] == pytest.approx(np.mean((P - Y) ** 2), rel=1e-12)
    assert report["mse"] == pytest.approx(report["loss"] - run.model.penalty(), rel=1e-12)
    assert report["mae"] == pytest.approx(np.mean(np.abs(P - Y)), rel=1e-12)
    assert report["r2"] == pytest.approx(1 - np.sum((P - Y) ** 2) / np.sum((Y - Y.mean()) ** 2), rel=1e-12)
    drawn = runner.invoke(app, ["evaluate", str(tmp_path / "run"), "--out", str(tmp_path / "ev")])
    assert drawn.exit_code == 0, drawn.output
    assert "mse" in drawn.stdout and drawn.stdout.rstrip().endswith(str(tmp_path / "ev" / "fit.png"))
    assert (tmp_path / "ev" / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_out_draws_the_confusion_matrix_and_keeps_an_existing_one(flower_run, tmp_path):
    args = ["evaluate", str(flower_run), "--out", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr == f"error: --out {tmp_path}: confusion.png exists (pass --overwrite to replace it)\n"
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


def test_predict_starts_without_the_heavy_libraries(flower_run, tmp_path):
    """nnctl predict is run once per file in scripts: no matplotlib, scikit-learn or drawing modules."""
    import subprocess
    import sys

    from test_startup import HEAVY, PROBE

    X, _ = flowers(5, 11)
    (tmp_path / "new.csv").write_text(flower_csv(X, None))
    args = ["predict", str(flower_run), str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out and (tmp_path / "p.csv").is_file(), out


# ---------------------------------------------------------------- text feature columns (issue 15)

def shop_csv(n: int, seed: int, colors=("red", "blue", "green")) -> str:
    """price (numbers), color (text), label bought when a red item is cheap or a blue one dear."""
    rng = np.random.default_rng(seed)
    price, color = rng.uniform(1, 9, n), np.array(colors)[rng.integers(0, len(colors), n)]
    bought = ((color == "red") & (price < 5)) | ((color == "blue") & (price > 5))
    return "price,color,label\n" + "".join(f"{p:.2f},{c},{'yes' if b else 'no'}\n"
                                           for p, c, b in zip(price, color, bought, strict=True))


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    (folder / "shop.csv").write_text(shop_csv(120, 0))
    config = {"name": "shop", "data": {"name": "csv", "path": "shop.csv", "standardize": True},
              "model": {"hidden": [8]}, "optimizer": {"name": "adam", "lr": 0.05},
              "train": {"epochs": 30}, "output": {"plots": "auto"}}
    (folder / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


def test_a_text_column_run_predicts_from_dicts_arrays_and_csv_alike(shop_run, tmp_path):
    run = load_run(shop_run)
    assert run.dataset.feature_names == ["price", "color=blue", "color=green", "color=red"]
    assert sorted(p.name for p in shop_run.glob("*.png")) == ["confusion.png", "loss.png"]  # no plane to draw
    rows = {"price": [2.0, 8.0, 8.0, 2.0], "color": ["red", "blue", "red", "purple"]}
    by_dict = run.predict(rows)
    assert by_dict[:3].tolist() == ["yes", "yes", "no"]
    assert np.array_equal(run.predict(np.array([[2.0, "red"], [8, "blue"], [8, "red"], [2, "purple"]], dtype=object)),
                          by_dict)
    purple = run.predict_proba({"price": [2.0], "color": ["purple"]})
    zeros = probabilities_by_hand(shop_run, np.array([[2.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(purple, zeros, rtol=1e-12)  # an unseen category: an all-zero one-hot row
    (tmp_path / "new.csv").write_text("color,price,id\nred,2.0,a\nblue,8,b\nred,8,c\npurple,2,d\nteal,3,e\n")
    result = runner.invoke(app, ["predict", str(shop_run), str(tmp_path / "new.csv")])
    assert result.exit_code == 0, result.output
    assert [r["prediction"] for r in read_csv(result.stdout)][:4] == by_dict.tolist()
    assert result.stderr == (f"warning: {tmp_path / 'new.csv'}: 2 rows with a category the run never saw, encoded as "
                             "all zeros (first: column 'color', 'purple' on line 5)\n")


def probabilities_by_hand(run_dir: Path, inputs: np.ndarray) -> np.ndarray:
    """Softmax probabilities of a one-hidden-layer tanh run for one-hot inputs, by hand."""
    with np.load(run_dir / "data.npz") as d:
        mean, std = d["mean"], d["std"]
    with np.load(run_dir / "model.npz") as w:
        Z = np.tanh(((inputs - mean) / std) @ w["W0"] + w["b0"]) @ w["W1"] + w["b1"]
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def test_a_text_column_run_evaluates_plots_and_resumes(shop_run, tmp_path):
    import json
    import shutil

    (tmp_path / "held-out.csv").write_text(shop_csv(60, 1))
    result = runner.invoke(app, ["evaluate", str(shop_run), str(tmp_path / "held-out.csv"), "--json"])
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert json.loads(result.stdout)["accuracy"] > 0.8
    run = load_run(shop_run)
    # no plane: no boundary, no neurons; the network as plain nodes
    assert applicable(run.dataset, run.config, shop_run) == ["loss", "network", "hidden", "norms", "confusion"]
    plotted = runner.invoke(app, ["plot", str(shop_run), "--only", "hidden", "--out", str(tmp_path / "p")])
    assert plotted.exit_code == 0 and (tmp_path / "p" / "hidden.png").read_bytes()[:4] == b"\x89PNG", plotted.output
    shutil.copytree(shop_run, tmp_path / "again")  # as if killed before its end: resumed from the start
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    (tmp_path / "again" / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    resumed = runner.invoke(app, ["train", "--resume", str(tmp_path / "again"), "-q"])
    assert resumed.exit_code == 0, resumed.output  # the CSV made the same one-hot data as data.npz holds
    assert (tmp_path / "again" / "model.npz").read_bytes() == (shop_run / "model.npz").read_bytes()
