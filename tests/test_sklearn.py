"""nnctl.sklearn: NNClassifier and NNRegressor pass scikit-learn's estimator checks, work in
Pipeline, GridSearchCV and cross_val_score, train the same weights as `nnctl train`, and save
ordinary run directories. Nets are tiny and epochs few: the file takes a few seconds."""

from __future__ import annotations

import pickle
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.data import make_blobs, make_moons, read_table
from nnctl.errors import NnctlError
from nnctl.files import load_npz
from nnctl.sklearn import EstimatorError, NNClassifier, NNRegressor
from nnctl.trained import load_run

runner = CliRunner()


@pytest.mark.filterwarnings("ignore:NNRegressor. the target's std:UserWarning")  # the checks' targets: std ~100
@parametrize_with_checks([NNClassifier(hidden=(8,), epochs=30), NNRegressor(hidden=(8,), epochs=30, lr=0.05)])
def test_sklearn_checks(estimator, check):
    check(estimator)


def moons(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return make_moons(n, 0.2, rng=np.random.default_rng(seed))


def weights(estimator) -> dict[str, np.ndarray]:
    return estimator._loop.model.network.params()


def csv_text(X: np.ndarray, Y: np.ndarray) -> str:
    """X (n, d) and targets (n,) or (n, k) as a CSV whose numbers read back exactly (repr)."""
    Y = Y.reshape(len(Y), -1)
    header = [f"x{j}" for j in range(X.shape[1])] + [f"t{j}" for j in range(Y.shape[1])]
    rows = [[*map(repr, x.tolist()), *map(str, y.tolist())] for x, y in zip(X, Y, strict=True)]
    return "\n".join(",".join(row) for row in [header, *rows]) + "\n"


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_fit_gives_the_weights_of_nnctl_train(kind, tmp_path):
    """The same settings, seed and rows as a CSV run: bit-identical weights, history and split."""
    X, labels = moons(120)
    if kind == "classifier":  # text labels, a validation part, standardised inputs, early stopping
        y = np.array(["left", "right"])[labels]
        estimator = NNClassifier(hidden=(6,), optimizer="adam", lr=0.02, epochs=15, batch_size=16, patience=3,
                                 validation_fraction=0.25, standardize=True, random_state=7)
        settings = {"data": {"validation_fraction": 0.25, "standardize": True},
                    "optimizer": {"name": "adam", "lr": 0.02},
                    "train": {"epochs": 15, "batch_size": 16, "early_stopping": {"patience": 3}}}
    else:  # a target far from standardised, every row trained on
        y = 3 * X[:, 0] + 40
        estimator = NNRegressor(hidden=(6,), lr=0.05, epochs=8, momentum=0.5, standardize_target=True,
                                random_state=7)
        settings = {"data": {"validation_fraction": 0.0, "standardize_target": True}, "loss": "mse",
                    "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.5}, "train": {"epochs": 8}}
    estimator.fit(X, y)
    (tmp_path / "rows.csv").write_text(csv_text(X, y))
    config = {"seed": 7, "model": {"hidden": [6]}, "output": {"plots": []}, **settings}
    config["data"] |= {"name": "csv", "path": "rows.csv", "target": "t0"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    saved, mine = load_npz(tmp_path / "run" / "model.npz"), weights(estimator)
    assert list(saved) == list(mine)
    for key in saved:
        assert np.array_equal(saved[key], mine[key]), key
    run = load_run(tmp_path / "run")
    assert [row["train_loss"] for row in run.history[1:]] == estimator.loss_curve_
    assert np.array_equal(run.dataset.X_val, estimator._loop.dataset.X_val)
    assert run.summary["best_epoch"] == estimator.best_epoch_
    if kind == "classifier":
        assert estimator.validation_scores_ == [row["val_accuracy"] for row in run.history[1:]]
        assert len(run.dataset.X_val) == 30


def test_default_validation_fraction_uses_every_row_unless_early_stopping():
    X, y = moons(100)
    plain = NNClassifier(hidden=(4,), epochs=2).fit(X, y)
    assert len(plain._loop.dataset.X_train) == 100 and plain.validation_scores_ is None
    stopping = NNClassifier(hidden=(4,), epochs=2, patience=5).fit(X, y)
    assert len(stopping._loop.dataset.X_val) == 10 and len(stopping.validation_scores_) == 2
    assert plain.config_.data.validation_fraction == 0.0 and stopping.config_.data.validation_fraction == 0.1


def test_string_labels_three_classes():
    X, k = make_blobs(150, centers=3, rng=np.random.default_rng(1))
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = NNClassifier(hidden=(8,), epochs=20, optimizer="adam", lr=0.03).fit(X, names[k])
    assert clf.classes_.tolist() == names.tolist()
    predicted = clf.predict(X)
    assert predicted.dtype.kind == "U" and set(predicted) <= set(names)
    P = clf.predict_proba(X)
    assert P.shape == (150, 3) and np.allclose(P.sum(axis=1), 1.0)
    assert np.array_equal(names[P.argmax(axis=1)], predicted)
    assert clf.score(X, names[k]) > 0.9


def test_regression_with_two_targets():
    X, _ = moons(200)
    Y = np.c_[X[:, 0] + X[:, 1], X[:, 0] - 0.5 * X[:, 1]]
    reg = NNRegressor(hidden=(8,), epochs=30, optimizer="adam", lr=0.02).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.95
    one = NNRegressor(hidden=(8,), epochs=2).fit(X, Y[:, 0])
    assert one.predict(X).shape == (200,)
    assert NNRegressor(hidden=(8,), epochs=2).fit(X, Y[:, :1]).predict(X).shape == (200, 1)


def test_pipeline_and_cross_val_score():
    """Inputs in the hundreds: a scaler in front is what lets the net learn."""
    X, y = moons(200)
    X = 100 * X + 500
    net = NNClassifier(hidden=(16,), optimizer="adam", lr=0.05, epochs=40)
    assert Pipeline([("scale", StandardScaler()), ("net", net)]).fit(X, y).score(X, y) > 0.95
    scores = cross_val_score(make_pipeline(StandardScaler(), net), X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    assert clone(net).fit(X, y).score(X, y) == 0.5  # saturated tanh units: one class everywhere


def test_grid_search_in_two_processes():
    """Worker processes train what this one would: the best score is repeated here exactly."""
    X, y = moons(150)
    pipe = Pipeline([("scale", StandardScaler()), ("net", NNClassifier(epochs=15, optimizer="adam"))])
    grid = {"net__hidden": [(2,), (8,)], "net__lr": [0.001, 0.05]}
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_params_ == {"net__hidden": (8,), "net__lr": 0.05}
    here = cross_val_score(clone(pipe).set_params(**search.best_params_), X, y, cv=2)
    assert here.mean() == search.best_score_
    assert search.best_estimator_.score(X, y) > 0.85


def test_partial_fit_epochs_add_up_to_fit():
    """k calls of partial_fit on the same rows train the weights of fit with epochs=k."""
    X, y = moons(100)
    stepped = NNClassifier(hidden=(5,), optimizer="adam", lr=0.01, standardize=True)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=[0, 1])
    whole = NNClassifier(hidden=(5,), optimizer="adam", lr=0.01, standardize=True, epochs=3).fit(X, y)
    assert stepped.n_iter_ == 3 and stepped.loss_curve_ == whole.loss_curve_
    for key, W in weights(whole).items():
        assert np.array_equal(weights(stepped)[key], W), key
    reg = NNRegressor(hidden=(5,))
    reg.partial_fit(X, y.astype(float)).partial_fit(X, y.astype(float))
    assert reg.n_iter_ == 2 and len(reg.loss_curve_) == 2


def test_partial_fit_classes_and_continuing_a_fit():
    X, k = make_blobs(90, centers=3, rng=np.random.default_rng(2))
    clf = NNClassifier(hidden=(5,))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, k)
    with pytest.raises(EstimatorError, match=r"^NNClassifier: partial_fit: label 2 is not in classes$"):
        clf.partial_fit(X, k, classes=[0, 1])
    clf = NNClassifier(hidden=(5,))
    first = k < 2
    clf.partial_fit(X[first], k[first], classes=[0, 1, 2])  # class 2 comes later
    assert clf.predict_proba(X).shape == (90, 3) and clf.classes_.tolist() == [0, 1, 2]
    clf.partial_fit(X, k)
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match="'x' is not one of the run's classes"):
        clf.partial_fit(X[:3], np.array(["x", "x", "x"], dtype=object))
    fitted = NNClassifier(hidden=(5,), epochs=4, patience=2).fit(X, k)
    before = weights(fitted)["W0"].copy()
    fitted.partial_fit(X, k)
    assert fitted.n_iter_ == 5 and not np.array_equal(weights(fitted)["W0"], before)


def test_save_writes_a_run_that_nnctl_reads(tmp_path):
    X, labels = moons(120)
    y = np.array(["no", "yes"])[labels]
    clf = NNClassifier(hidden=(6,), epochs=10, patience=3, standardize=True).fit(X, y)
    run_dir = clf.save(tmp_path / "run")
    run = load_run(run_dir)
    assert np.array_equal(run.predict(X), clf.predict(X))
    assert np.array_equal(run.predict_proba(X), clf.predict_proba(X))
    assert run.summary["epochs"] == clf.n_iter_ and len(run.history) == clf.n_iter_ + 1
    assert run.config.to_dict() == clf.config_.to_dict()
    (tmp_path / "new.csv").write_text("x0,x1\n" + "".join(f"{a!r},{b!r}\n" for a, b in X[:5].tolist()))
    predicted = runner.invoke(app, ["predict", str(run_dir), str(tmp_path / "new.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert [line.split(",")[-1] for line in predicted.output.splitlines()[1:]] == clf.predict(X[:5]).tolist()
    plotted = runner.invoke(app, ["plot", str(run_dir), "--only", "loss,boundary"])
    assert plotted.exit_code == 0, plotted.output
    assert sorted(p.name for p in run_dir.glob("*.png")) == ["boundary.png", "loss.png"]
    with pytest.raises(NnctlError, match="run directory exists and is not empty"):
        clf.save(run_dir)
    clf.save(run_dir, overwrite=True)


def test_pickled_estimator_goes_on_training_as_the_original():
    X, y = moons(80)
    clf = NNClassifier(hidden=(4,), optimizer="adam", epochs=3).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    copy.partial_fit(X, y)
    for key, W in weights(clf).items():
        assert np.array_equal(weights(copy)[key], W), key


@pytest.mark.parametrize("estimator, message", [
    (NNClassifier(lr=-1), "NNClassifier(lr=-1): optimizer.lr: must be > 0, got -1"),
    (NNClassifier(optimizer="sgd", betas=(0.9, 0.99)),
     "NNClassifier(betas=(0.9, 0.99)): optimizer: unknown key 'betas' (allowed: name, schedule, lr, momentum, "
     "nesterov)"),
    (NNClassifier(hidden={4, 8}), "NNClassifier(hidden={8, 4}): model.hidden: a set cannot be a setting (use numbers, "
                                  "text, and tuples or lists of them)"),
    (NNClassifier(hidden=(0,)), "NNClassifier(hidden=(0,)): model.hidden: widths must be between 1 and 100,000, "
                                "got 0"),
    (NNClassifier(loss="hinge"), "NNClassifier(loss='hinge'): loss.name: hinge takes 2 classes, the data set has 3 "
                                 "(use cross-entropy)"),
    (NNClassifier(patience=2, validation_fraction=0.0),
     "NNClassifier(monitor='val_loss'): train.early_stopping.monitor: val_loss needs validation data (set "
     "data.validation_fraction > 0, or monitor train_loss)"),
    (NNRegressor(loss="cross-entropy"), "NNRegressor(loss='cross-entropy'): loss.name: cross-entropy needs class "
                                        "labels, but the data set is a regression (use loss: mse, or data.task: "
                                        "classification)"),
])
def test_errors_name_the_parameter(estimator, message):
    X, k = make_blobs(30, centers=3, rng=np.random.default_rng(0))
    with pytest.raises(EstimatorError) as caught:
        estimator.fit(X, k.astype(float) if isinstance(estimator, NNRegressor) else k)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, NnctlError)


def test_numpy_values_are_settings_as_a_grid_gives_them():
    X, y = moons(40)
    clf = NNClassifier(hidden=np.array([4, 3]), epochs=np.int64(2), lr=np.float64(0.05)).fit(X, y)
    assert clf.config_.model.hidden == [4, 3] and clf.n_iter_ == 2 and clf.config_.optimizer.params["lr"] == 0.05


def test_predict_refuses_other_widths():
    X, y = moons(50)
    clf = NNClassifier(hidden=(3,), epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but NNClassifier is expecting 2 features as input"):
        clf.predict(np.c_[X, X[:, :1]])


def test_divergence_warns_and_keeps_finite_weights():
    X, _ = moons(60)
    reg = NNRegressor(hidden=(4,), lr=50.0, epochs=5)
    with pytest.warns(UserWarning) as caught:
        reg.fit(X, 1000 * X[:, 0])
    assert "set standardize_target=True" in str(caught[0].message)  # the target's scale, then the divergence
    caught = [w for w in caught if w.category is ConvergenceWarning]
    assert str(caught[0].message) == ("NNRegressor: training diverged in epoch 2; the weights are those of epoch 1, "
                                      "the last good (try a lower lr)")
    assert reg.summary_["status"] == "diverged" and reg.n_iter_ == 1 and np.isfinite(reg.predict(X)).all()


def test_random_state_none_draws_a_seed_and_records_it():
    X, y = moons(40)
    a, b = (NNClassifier(hidden=(3,), epochs=1, random_state=None).fit(X, y) for _ in range(2))
    assert a.config_.seed != b.config_.seed
    again = NNClassifier(hidden=(3,), epochs=1, random_state=a.config_.seed).fit(X, y)
    assert np.array_equal(weights(again)["W0"], weights(a)["W0"])


def test_dataframe_columns_become_the_runs_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = moons(60)
    frame = pd.DataFrame(X, columns=["width", "height"])
    clf = NNClassifier(hidden=(3,), epochs=2).fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["width", "height"]
    run = load_run(clf.save(tmp_path / "run"))
    assert run.dataset.feature_names == ["width", "height"]
    assert np.array_equal(run.predict({"height": X[:, 1], "width": X[:, 0]}), clf.predict(frame))


# ---------------------------------------------------------------- text feature columns

SHOP = Path(__file__).parent.parent / "configs" / "shop"
SHOP_SETTINGS = {"hidden": (8,), "activation": "tanh", "loss": "cross-entropy", "optimizer": "adam", "lr": 0.02,
                 "epochs": 60, "batch_size": 16, "standardize": True, "validation_fraction": 0.2}  # configs/shop.yaml


def shop_rows(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A shop table as people without pandas hold it: X (n, 3) objects (price, rating: str cells
    as written; color: text), y (n,) string labels."""
    table = read_table((SHOP / name).read_text(), name)
    X = np.array([table.columns[c] for c in ["price", "rating", "color"]], dtype=object).T
    return X, table.columns["label"]


def test_text_column_trains_as_nnctl_train_on_the_shop_csv(tmp_path):
    """configs/shop.yaml's settings and rows: bit-identical weights and split; predictions on the
    held-out rows agree with load_run of the CLI's run, and with load_run of the saved run."""
    config = yaml.safe_load((SHOP.parent / "shop.yaml").read_text())
    config["data"]["path"] = str(SHOP / "train.csv")
    config["output"] = {"plots": []}
    (tmp_path / "shop.yaml").write_text(yaml.safe_dump(config))
    trained = runner.invoke(app, ["train", str(tmp_path / "shop.yaml"), "--run-dir", str(tmp_path / "cli"), "-q"])
    assert trained.exit_code == 0, trained.output
    X, y = shop_rows("train.csv")
    clf = NNClassifier(**SHOP_SETTINGS).fit(X, y)
    saved, mine = load_npz(tmp_path / "cli" / "model.npz"), weights(clf)
    assert list(saved) == list(mine)
    for key in saved:
        assert np.array_equal(saved[key], mine[key]), key
    cli = load_run(tmp_path / "cli")
    assert clf._loop.dataset.feature_names == ["x0", "x1", "x2=black", "x2=blue", "x2=green", "x2=red"]
    assert cli.dataset.feature_names == ["price", "rating", "color=black", "color=blue", "color=green", "color=red"]
    assert np.array_equal(cli.dataset.X_val, clf._loop.dataset.X_val)
    X_new, y_new = shop_rows("held-out.csv")
    assert np.array_equal(clf.predict(X_new), cli.predict(X_new))
    assert np.array_equal(clf.predict_proba(X_new), cli.predict_proba(X_new))
    assert clf.score(X_new, y_new) > 0.85
    run = load_run(clf.save(tmp_path / "sk"))  # the categories are saved: the run encodes the text column
    assert run.dataset.categories == [None, None, ["black", "blue", "green", "red"]]
    assert np.array_equal(run.predict_proba(X_new), clf.predict_proba(X_new))
    (tmp_path / "new.csv").write_text("x0,x1,x2\n" + "".join(f"{a},{b},{c}\n" for a, b, c in X_new[:5].tolist()))
    predicted = runner.invoke(app, ["predict", str(tmp_path / "sk"), str(tmp_path / "new.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert [line.split(",")[-1] for line in predicted.output.splitlines()[1:]] == clf.predict(X_new[:5]).tolist()
    exported = runner.invoke(app, ["export", str(tmp_path / "sk"), "--format", "numpy", "--out",
                                   str(tmp_path / "predict.py")])
    assert exported.exit_code == 0, exported.output
    script = runpy.run_path(str(tmp_path / "predict.py"))
    logits = script["outputs"](script["read_features"](str(tmp_path / "new.csv")))
    np.testing.assert_allclose(script["softmax"](logits), clf.predict_proba(X_new[:5]), rtol=1e-12, atol=1e-15)


def test_grid_search_over_a_text_column_in_two_processes():
    X, y = shop_rows("train.csv")
    net = NNClassifier(optimizer="adam", epochs=4, batch_size=32, standardize=True)
    search = GridSearchCV(net, {"hidden": [(2,), (8,)], "lr": [0.001, 0.05]}, cv=2, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 4 and np.isfinite(search.cv_results_["mean_test_score"]).all()
    here = cross_val_score(clone(net).set_params(**search.best_params_), X, y, cv=2)
    assert here.mean() == search.best_score_
    assert search.best_estimator_._loop.dataset.categories[2] == ["black", "blue", "green", "red"]


def test_text_cells_of_every_kind_give_the_same_encoding():
    """str cells as written, Python floats and a str array: the same raw rows, the same weights;
    a float array pays nothing for the text path (no object rows)."""
    X, y = shop_rows("train.csv")
    floats = X.copy()
    floats[:, :2] = X[:, :2].astype(float)
    fits = [NNClassifier(hidden=(3,), epochs=2).fit(rows, y) for rows in (X, floats, X.astype(str))]
    for fit in fits[1:]:
        for key, W in weights(fits[0]).items():
            assert np.array_equal(weights(fit)[key], W), key
    numbers = X[:, :2].astype(float)
    assert NNClassifier(hidden=(3,), epochs=1)._rows(numbers, y, reset=True)[0] is numbers


def test_columns_forces_a_kind():
    X, y = shop_rows("train.csv")
    clf = NNClassifier(hidden=(3,), epochs=1, columns={"x1": "text"}).fit(X, y)
    assert clf._run.preprocessing.categories[1] == sorted(set(X[:, 1].tolist()))
    assert clf.config_.data.params["columns"] == {"x1": "text"}
    zips = np.c_[np.arange(300) % 7, np.arange(300) % 3 + 10115]  # ints, the second column categories
    forced = NNClassifier(hidden=(3,), epochs=1, columns={"x1": "text"}).fit(zips, y)
    assert forced._loop.dataset.feature_names == ["x0", "x1=10115", "x1=10116", "x1=10117"]
    assert np.array_equal(forced.predict(zips), forced._run.predict(zips.astype(object)))


@pytest.mark.parametrize("change, message", [
    ({"columns": {"x2": "number"}}, "NNClassifier: X: row 0, column 'x2': 'red' is not a finite number (fix or "
                                    "remove the row)"),
    ({"columns": {"colour": "text"}}, "NNClassifier(columns={'colour': 'text'}): X has no column 'colour' (its "
                                      "columns: x0, x1, x2; arrays name them x0, x1, ...)"),
    ({"columns": {"x2": "words"}}, "NNClassifier(columns={'x2': 'words'}): data.columns: expected column names "
                                   "with their kind, number or text, like {zip: text}, got {'x2': 'words'}"),
    ({"cell": (3, 0, "cheap")}, "NNClassifier: X: row 3, column 'x0': 'cheap' is not a finite number (fix or "
                                "remove the row; if the column holds categories, set columns={'x0': 'text'})"),
    ({"cell": (5, 2, " ")}, "NNClassifier: X: row 5, column 'x2': empty cell (fill it or remove the row)"),
    ({"cell": (7, 1, None)}, "NNClassifier: X: row 7, column 'x1': empty cell (fix or remove the row)"),  # pandas' gap
    ({"cell": (8, 1, {"a": 1})}, "NNClassifier: X: row 8, column 'x1': {'a': 1} is neither a number nor text (float() "
                                 "argument must be a string or a real number, not 'dict')"),
])
def test_text_column_errors_name_the_column(change, message):
    X, y = shop_rows("train.csv")
    X[:, :2] = X[:, :2].astype(float)
    if "cell" in change:
        i, j, value = change["cell"]
        X[i, j] = value
    with pytest.raises(EstimatorError) as caught:
        NNClassifier(hidden=(3,), epochs=1, columns=change.get("columns")).fit(X, y)
    assert str(caught.value) == message
    if "colour" in str(change):  # checked on the fast path too
        with pytest.raises(EstimatorError, match="X has no column 'colour'"):
            NNClassifier(hidden=(3,), epochs=1, columns={"colour": "number"}).fit(X[:, :2].astype(float), y)


def test_predict_refuses_text_in_a_number_column():
    X, y = shop_rows("train.csv")
    clf = NNClassifier(hidden=(3,), epochs=1).fit(X, y)
    X[4, 1] = "good"
    with pytest.raises(EstimatorError) as caught:
        clf.predict(X)
    assert str(caught.value) == ("NNClassifier: X: row 4, column 'x1': 'good' is not a finite number (the run's model "
                                 "takes numbers here)")
    X[4, 1], X[6, 2] = "3.5", "purple"  # an unseen category: an all-zero row, as load_run does
    assert clf.predict_proba(X).shape == (300, 2)


def test_partial_fit_goes_on_with_text_rows():
    X, y = shop_rows("train.csv")
    stepped = NNClassifier(hidden=(4,), optimizer="adam", lr=0.01, standardize=True)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=["bought", "skipped"])
    whole = NNClassifier(hidden=(4,), optimizer="adam", lr=0.01, standardize=True, epochs=3).fit(X, y)
    for key, W in weights(whole).items():
        assert np.array_equal(weights(stepped)[key], W), key


def test_target_scale_warning_names_the_parameter(capfd):
    """nnctl train prints a line naming data.standardize_target; the estimator warns, naming its
    parameter, and prints nothing."""
    X, _ = moons(60)
    with pytest.warns(UserWarning) as caught:
        NNRegressor(hidden=(3,), epochs=1).fit(X, 100 * X[:, 0])
    std = (100 * X[:, 0]).std()
    assert [str(w.message) for w in caught] == [
        f"NNRegressor: the target's std on the training part is {std:.3g}, far from 1, so training may end with "
        "flat predictions (set standardize_target=True)"]
    assert capfd.readouterr().err == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NNRegressor(hidden=(3,), epochs=1, standardize_target=True).fit(X, 100 * X[:, 0])


def test_regressor_takes_a_text_column_and_pickles_with_it(tmp_path):
    X, _ = shop_rows("train.csv")
    price = X[:, 0].astype(float)
    reg = NNRegressor(hidden=(4,), optimizer="adam", lr=0.05, epochs=3, standardize=True,
                      standardize_target=True).fit(X[:, 1:], price)
    assert reg._loop.dataset.feature_names == ["x0", "x1=black", "x1=blue", "x1=green", "x1=red"]
    predicted = reg.predict(X[:, 1:])
    assert predicted.shape == (300,) and 5 < predicted.mean() < 95  # in the target's units
    assert np.array_equal(pickle.loads(pickle.dumps(reg)).predict(X[:, 1:]), predicted)
    assert np.array_equal(load_run(reg.save(tmp_path / "run")).predict(X[:, 1:]), predicted)
