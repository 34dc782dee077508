"""data.features (issue 16): computed inputs, their values against NumPy, their gradient back to
the raw columns, the round trip through data.npz, prediction and pictures in the raw plane, and
the feature-engineering-vs-depth lesson of configs/circles-features.yaml and circles-raw.yaml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import nnctl.sweeps.pictures
import nnctl.sweeps.report
from nnctl import pictures
from nnctl.cli import app
from nnctl.config import load_config
from nnctl.data import Preprocessing, read_dataset, save_dataset, split_dataset
from nnctl.errors import NnctlError
from nnctl.features import feature_map, feature_vjp, parse_features
from nnctl.runs import load_run as read_run  # the run directory as pictures read it
from nnctl.trained import load_run
from nnctl.training import train

CONFIGS = Path(__file__).parents[1] / "configs"
B = np.array([[0.5, -2.0, 3.0], [-1.5, 0.25, 0.0], [2.0, 1.0, -0.75]])  # columns a, b, c


@pytest.mark.parametrize(("item", "expected"), [
    ("a", B[:, 0]), (" b ", B[:, 1]), ("a^2", B[:, 0] ** 2), ("b^3", B[:, 1] ** 3), ("c ^ 2", B[:, 2] ** 2),
    ("a*b", B[:, 0] * B[:, 1]), ("c * c", B[:, 2] ** 2), ("sin(a)", np.sin(B[:, 0])), ("cos(c)", np.cos(B[:, 2])),
    ("sin( b )", np.sin(B[:, 1])),
])
def test_each_transform_is_its_numpy_expression(item, expected):
    features = parse_features([item], ["a", "b", "c"], [None, None, None])
    assert [f.name for f in features] == [item.strip()]
    np.testing.assert_array_equal(feature_map(B, features)[:, 0], expected)


def test_a_listed_text_column_is_its_one_hot_inputs_and_odd_column_names_are_names():
    # base inputs: price, color=blue, color=red, a*b (a column whose name has a star)
    features = parse_features(["color", "price^2", "a*b", "price*a*b"], ["price", "color", "a*b"],
                              [None, ["blue", "red"], None])
    assert [(f.name, f.op, f.at, f.k) for f in features] == [
        ("color=blue", "column", (1,), 1), ("color=red", "column", (2,), 1), ("price^2", "power", (0,), 2),
        ("a*b", "column", (3,), 1), ("price*a*b", "product", (0, 3), 1)]


@pytest.mark.parametrize(("items", "message"), [
    (["x0^4"], "data.features[0]: 'x0^4': the power must be 2 or 3, not '4' (the forms: a column, name^2, "
               "name^3, a*b, sin(name), cos(name))"),
    (["x0", "x2^2"], "data.features[1]: 'x2^2': no column 'x2' (the columns: 'x0', 'x1', 'color')"),
    (["exp(x0)"], "data.features[0]: 'exp(x0)' is neither a column nor a feature (the forms: a column, name^2, "
                  "name^3, a*b, sin(name), cos(name); the columns: 'x0', 'x1', 'color')"),
    (["x0*x9"], "data.features[0]: 'x0*x9': no column 'x9' (the columns: 'x0', 'x1', 'color')"),
    (["sin(color)"], "data.features[0]: 'sin(color)': 'color' is a text column (one-hot inputs), which no "
                     "transform takes (list it alone: color)"),
    (["x0", "x0 "], "data.features[1]: 'x0' is listed twice (list it once)"),
    ([], "data.features: an empty list (list at least one feature, or leave the key out for the raw columns)"),
])
def test_what_is_not_a_feature_is_refused_naming_the_item(items, message):
    with pytest.raises(NnctlError) as e:
        parse_features(items, ["x0", "x1", "color"], [None, None, ["red", "blue"]])
    assert str(e.value) == message


def test_the_vector_jacobian_product_is_the_central_differences(rng):
    """dL/dB of L = Σ G ⊙ F(B), and Preprocessing.raw_gradient through the standardisation too."""
    items = ["x0", "x1", "x0^2", "x1^3", "x0*x1", "x1*x1", "sin(x0)", "cos(x1)"]
    features = parse_features(items, ["x0", "x1"], [None, None])
    R, G = rng.normal(size=(5, 2)), rng.normal(size=(5, len(items)))
    mean, std = rng.normal(size=len(items)), rng.uniform(0.5, 2.0, len(items))
    pre = Preprocessing(items, "classification", [0, 1], mean, std, column_names=["x0", "x1"],
                        categories=[None, None], features=items)
    loss = {"map": lambda X: np.sum(G * feature_map(X, features)), "run": lambda X: np.sum(G * pre.encode(X))}
    analytic = {"map": feature_vjp(R, features, G), "run": pre.raw_gradient(R, G)}
    eps = 1e-6
    for name, L in loss.items():
        numeric = np.zeros_like(R)
        for i, j in np.ndindex(*R.shape):
            step = np.zeros_like(R)
            step[i, j] = eps
            numeric[i, j] = (L(R + step) - L(R - step)) / (2 * eps)
        error = np.linalg.norm(analytic[name] - numeric) / (np.linalg.norm(analytic[name]) + np.linalg.norm(numeric))
        assert error < 1e-8, name
    # without features and standardisation the network's inputs are the raw columns
    assert np.array_equal(Preprocessing(["x0", "x1"], "classification", [0, 1]).raw_gradient(R, G[:, :2]), G[:, :2])


def test_features_are_computed_before_standardisation_and_read_back_from_data_npz(tmp_path, rng):
    X = rng.normal(size=(40, 2)) * [3.0, 0.5] + [1.0, -2.0]
    y = (X[:, 0] > 1).astype(int)
    items = ["x1", "x0^2", "x0*x1", "sin(x1)"]
    ds = split_dataset(X, y, ["x0", "x1"], standardize=True, seed_rng=np.random.default_rng(0), features=items)
    F = np.column_stack([ds.raw_train[:, 1], ds.raw_train[:, 0] ** 2, ds.raw_train[:, 0] * ds.raw_train[:, 1],
                         np.sin(ds.raw_train[:, 1])])
    np.testing.assert_allclose(ds.mean, F.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ds.X_train, (F - F.mean(axis=0)) / F.std(axis=0), rtol=1e-12, atol=1e-12)
    assert ds.feature_names == items and ds.raw_columns == ["x0", "x1"] and not ds.has_text
    back = read_dataset(save_dataset(tmp_path / "data.npz", ds))
    for key in ("X_train", "X_val", "raw_train", "raw_val", "mean", "std"):
        assert np.array_equal(getattr(back, key), getattr(ds, key)), key
    assert (back.features, back.feature_names, back.column_names) == (items, items, ["x0", "x1"])
    pre = Preprocessing.of(back)
    assert np.array_equal(pre.encode(ds.raw_val), ds.X_val)  # prediction's route is training's, bit for bit
    assert np.array_equal(pre.encode({"x1": ds.raw_val[:, 1], "x0": ds.raw_val[:, 0]}), ds.X_val)
    plain = split_dataset(X, y, ["x0", "x1"], seed_rng=np.random.default_rng(0))  # before data.features
    old = read_dataset(save_dataset(tmp_path / "old.npz", plain))
    assert old.features is None and old.raw_train is None and np.array_equal(old.raw_parts[0], plain.X_train)
    assert np.array_equal(Preprocessing.of(old).columns(X), X)


def test_a_damaged_feature_list_in_data_npz_is_named(tmp_path, rng):
    ds = split_dataset(rng.normal(size=(20, 2)), np.arange(20) % 2, ["x0", "x1"], seed_rng=np.random.default_rng(0),
                       features=["x0^2"])
    path = save_dataset(tmp_path / "data.npz", ds)
    arrays = dict(np.load(path))
    np.savez(path, **{**arrays, "features": np.array(["x0^5"])})
    with pytest.raises(NnctlError) as e:
        read_dataset(path)
    assert str(e.value) == (f"{path}: features[0]: 'x0^5': the power must be 2 or 3, not '5' (the forms: a column, "
                            "name^2, name^3, a*b, sin(name), cos(name)) (the file is damaged; train the run again)")


@pytest.mark.parametrize(("name", "low", "high"), [("circles-features", 0.98, 1.0), ("circles-raw", 0.0, 0.7)])
def test_the_lesson_features_beat_depth_without_a_hidden_layer(name, low, high):
    result = train(load_config(CONFIGS / f"{name}.yaml"))
    assert result.config.model.hidden == []
    assert low <= result.summary["final"]["val_accuracy"] <= high


@pytest.fixture(scope="module")
def circles_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("features")
    config = load_config(CONFIGS / "circles-seven.yaml", ["data.n_samples=200", "train.epochs=20",
                                                          "data.standardize=true", "output.plots=[]"])
    train(config, folder / "run")
    return folder / "run"


def test_a_run_predicts_from_raw_rows_as_it_trained(circles_run):
    run = load_run(circles_run)
    d = run.dataset
    assert d.feature_names == ["x0", "x1", "x0^2", "x1^2", "x0*x1", "sin(x0)", "sin(x1)"]
    expected = run.model.loss.scores(run.model.logits(d.X_val))
    np.testing.assert_allclose(run.predict_proba(d.raw_val), expected / expected.sum(axis=1, keepdims=True),
                               rtol=1e-12)
    assert run.evaluate(d.raw_val, d.y_val)["loss"] == pytest.approx(run.evaluate()["loss"], rel=1e-12)


def test_pictures_draw_over_the_raw_plane(circles_run):
    """boundary.png's plane is x0-x1 (the raw columns), its points the raw rows, and its scores
    those of run.predict_proba at the same raw points."""
    run, trained = read_run(circles_run), load_run(circles_run)
    shown = pictures.plot_data(run)
    assert shown.feature_names == ["x0", "x1"] and np.array_equal(shown.X_train, run.dataset.raw_train)
    grid = np.array([[0.0, 0.0], [1.0, 0.0], [-0.3, 0.8]])
    scores = pictures.predict_scores(run)(grid)
    np.testing.assert_allclose(scores / scores.sum(axis=1, keepdims=True), trained.predict_proba(grid), rtol=1e-12)
    assert pictures.applicable(run.dataset, run.config)[:3] == ["loss", "boundary", "neurons"]


def test_nnctl_predict_and_evaluate_repeat_the_features(circles_run, tmp_path):
    run, runner = load_run(circles_run), CliRunner()
    d = run.dataset
    rows = "x0,x1,label\n" + "".join(f"{a!r},{b!r},{k}\n" for (a, b), k in zip(d.raw_val.tolist(), d.y_val.tolist(),
                                                                               strict=True))
    (tmp_path / "new.csv").write_text(rows)
    predicted = runner.invoke(app, ["predict", str(circles_run), str(tmp_path / "new.csv"), "--proba"])
    assert predicted.exit_code == 0, predicted.output
    lines = predicted.stdout.splitlines()
    assert lines[0] == "x0,x1,label,prediction,p_0,p_1"
    P = np.array([[float(v) for v in line.split(",")[-2:]] for line in lines[1:]])
    np.testing.assert_allclose(P, run.predict_proba(d.raw_val), rtol=1e-12)
    scored = runner.invoke(app, ["evaluate", str(circles_run), str(tmp_path / "new.csv"), "--json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["loss"] == pytest.approx(run.evaluate()["loss"], rel=1e-12)


def test_a_config_yaml_whose_features_are_not_the_data_npz_ones_is_named(circles_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(circles_run, copy)
    text = (copy / "config.yaml").read_text()
    assert "x0*x1" in text
    (copy / "config.yaml").write_text(text.replace("x0*x1", "x1*x0"))
    with pytest.raises(NnctlError) as e:
        load_run(copy)
    assert str(e.value) == (f"{copy / 'data.npz'}: computed from features ['x0', 'x1', 'x0^2', 'x1^2', 'x0*x1', "
                            "'sin(x0)', 'sin(x1)'], but config.yaml's data.features is ['x0', 'x1', 'x0^2', 'x1^2', "
                            "'x1*x0', 'sin(x0)', 'sin(x1)'] (the files come from different runs)")


def test_a_sweep_over_features_draws_every_boundary_in_the_raw_plane(tmp_path, monkeypatch):
    """Three computed inputs from two raw columns still make a plane: boundaries.png has a panel
    per run, each over x0-x1 (the drawing itself is plots' own test; skipped here for time)."""
    panels = []
    monkeypatch.setattr(nnctl.sweeps.pictures, "plot_boundaries", lambda got, path, **kw: panels.extend(got) or path)
    monkeypatch.setattr(nnctl.sweeps.pictures, "plot_sweep", lambda *args, **kw: args[2])
    monkeypatch.setattr(nnctl.sweeps.report, "write_report", lambda folder, *drawing: folder / "report.html")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({
        "name": "lesson", "config": str(CONFIGS / "circles-raw.yaml"),
        "set": ["data.n_samples=60", "train.epochs=2", "output.plots=[]"],
        "grid": {"data.features": [["x0", "x1"], ["x0^2", "x1^2", "x0*x1"]]}}))
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), "--jobs", "1",
                                      "-q"])
    assert result.exit_code == 0, result.output
    assert [(label, data.feature_names) for label, _, data in panels] == [
        ("features=[x0, x1]", ["x0", "x1"]), ("features=[x0^2, x1^2, x0*x1]", ["x0", "x1"])]
