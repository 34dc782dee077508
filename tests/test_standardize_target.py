"""data.standardize_target: a regression trains on (y - mean) / std of the training part, and
every loss, prediction and picture is in the target's units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.data import read_dataset, save_dataset
from nnctl.errors import NnctlError
from nnctl.trained import load_run

runner = CliRunner()
WARNING = ("warning: the regression target's std on the training part is {std}, far from 1, so training may end "
           "with flat predictions (set data.standardize_target: true)\n")


def house_csv(n: int = 400, seed: int = 0) -> str:
    """House prices from area, rooms and age, clipped to 40..420 (std about 90), noise std 8."""
    rng = np.random.default_rng(seed)
    area, rooms, age = rng.uniform(40, 250, n), rng.integers(1, 7, n), rng.uniform(0, 80, n)
    price = np.clip(20 + 1.4 * area + 12 * rooms - 0.8 * age + rng.normal(0, 8, n), 40, 420)
    rows = [f"{a:.1f},{r},{g:.1f},{p:.2f}" for a, r, g, p in zip(area, rooms, age, price, strict=True)]
    return "\n".join(["area,rooms,age,price", *rows]) + "\n"


def train_houses(folder: Path, standardize_target: bool, **data) -> tuple[Path, str]:
    """A run on house.csv (features standardised, adam, 100 epochs); its directory and stderr."""
    (folder / "house.csv").write_text(house_csv())
    config = {"data": {"name": "csv", "path": "house.csv", "target": "price", "standardize": True,
                       "standardize_target": standardize_target, **data},
              "model": {"hidden": [16]}, "loss": "mse", "optimizer": {"name": "adam", "lr": 0.01},
              "train": {"epochs": 100, "batch_size": 32}, "output": {"plots": []}, "seed": 0}
    (folder / "c.yaml").write_text(yaml.safe_dump(config))
    run_dir = folder / f"run-{standardize_target}"
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(run_dir), "-q"])
    assert result.exit_code == 0, result.output
    return run_dir, result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[bool, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("houses")
    return {option: train_houses(folder, option) for option in (False, True)}


def raw_validation(run) -> tuple[np.ndarray, np.ndarray]:
    """The validation rows as in the CSV (features unstandardised) and their prices (n,)."""
    d = run.dataset
    return d.X_val * d.std + d.mean, d.y_val[:, 0]


def rmse(run) -> float:
    X, y = raw_validation(run)
    return float(np.sqrt(np.mean((run.predict(X) - y) ** 2)))


def test_without_the_option_a_house_price_target_trains_poorly_and_is_warned_about(runs):
    run_dir, stderr = runs[False]
    assert stderr == WARNING.format(std="90")
    assert rmse(load_run(run_dir)) > 80  # measured 109: predictions near the mean, std 21 against the prices' 90


def test_with_the_option_the_rmse_is_that_of_the_noise_and_nothing_is_warned(runs):
    run_dir, stderr = runs[True]
    assert stderr == ""
    assert rmse(load_run(run_dir)) < 12  # measured 7.9 (the noise's std is 8)


def test_losses_are_in_the_targets_units(runs):
    run = load_run(runs[True][0])
    X, y = raw_validation(run)
    mse = np.mean((run.predict(X) - y) ** 2)
    assert run.summary["final"]["val_loss"] == pytest.approx(mse, rel=1e-9)  # l2 is 0: no penalty
    assert run.history[-1]["val_loss"] == run.summary["final"]["val_loss"]
    X_train = run.dataset.X_train * run.dataset.std + run.dataset.mean
    train_mse = np.mean((run.predict(X_train) - run.dataset.y_train[:, 0]) ** 2)
    assert run.history[-1]["train_loss"] == pytest.approx(train_mse, rel=1e-9)
    assert run.evaluate()["loss"] == pytest.approx(mse, rel=1e-9)
    assert run.evaluate()["mse"] == pytest.approx(mse, rel=1e-9)


def test_predict_undoes_the_target_standardisation(runs, tmp_path):
    run_dir = runs[True][0]
    run = load_run(run_dir)
    with np.load(run_dir / "data.npz") as d:
        mean, std, t_mean, t_std, y_train = d["mean"], d["std"], d["target_mean"], d["target_std"], d["y_train"]
    assert t_mean == pytest.approx([y_train.mean()], rel=1e-12) and t_std == pytest.approx([y_train.std()], rel=1e-12)
    X, _ = raw_validation(run)
    with np.load(run_dir / "model.npz") as w:  # tanh hidden layer, linear output, by hand
        out = np.tanh(((X - mean) / std) @ w["W0"] + w["b0"]) @ w["W1"] + w["b1"]
    expected = out[:, 0] * t_std[0] + t_mean[0]
    assert np.allclose(run.predict(X), expected, rtol=1e-12, atol=0)
    assert 40 < expected.mean() < 420
    np.save(tmp_path / "x.npy", X)
    done = runner.invoke(app, ["predict", str(run_dir), str(tmp_path / "x.npy")])
    assert done.exit_code == 0, done.output
    printed = [float(line.split(",")[-1]) for line in done.stdout.splitlines()[1:]]  # the last column
    assert np.allclose(printed, expected, rtol=1e-12, atol=0)


def test_a_data_npz_without_target_stats_still_reads_and_predicts(runs, tmp_path):
    old = read_dataset(runs[False][0] / "data.npz")
    assert old.target_mean is None and old.target_std is None
    with np.load(runs[False][0] / "data.npz") as d:
        assert "target_mean" not in d.files
    run = load_run(runs[False][0])
    X, _ = raw_validation(run)
    assert run.predict(X).shape == (len(X),)
    save_dataset(tmp_path / "data.npz", read_dataset(runs[True][0] / "data.npz"))  # the stats round-trip
    assert read_dataset(tmp_path / "data.npz").target_std == pytest.approx(load_run(runs[True][0]).dataset.target_std)


def test_the_fit_picture_is_drawn_in_the_targets_units(runs, tmp_path):
    run = load_run(runs[True][0])
    from nnctl.pictures import predict_scores  # noqa: PLC0415  (a test, not an nnctl module)
    X, _ = raw_validation(run)
    assert np.allclose(predict_scores(run)(X)[:, 0], run.predict(X), rtol=1e-12, atol=0)


def test_the_option_is_refused_for_classification(tmp_path):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"data": {"name": "moons", "standardize_target": True}}))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'c.yaml'}: data.standardize_target: only a regression target can "
                             "be standardised, this data set is classification (remove the key)\n")
    assert not (tmp_path / "run").exists()


def test_a_target_of_unit_scale_is_not_warned_about(tmp_path):
    config = {"data": {"name": "bump", "n_samples": 100}, "model": {"hidden": [4]}, "loss": "mse",
              "train": {"epochs": 1}, "output": {"plots": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0 and result.stderr == ""


def test_a_bad_target_std_in_data_npz_is_refused(runs, tmp_path):
    with np.load(runs[True][0] / "data.npz") as d:
        arrays = dict(d)
    np.savez(tmp_path / "data.npz", **{**arrays, "target_std": np.array([0.0])})
    with pytest.raises(NnctlError, match="target_std holds a value that is not positive"):
        read_dataset(tmp_path / "data.npz")


def test_evaluate_draws_fit_png_in_the_targets_units(runs, tmp_path, monkeypatch):
    import nnctl.trained  # noqa: PLC0415  (a test, not an nnctl module)
    from nnctl.trained import draw_evaluation  # noqa: PLC0415
    drawn = {}
    monkeypatch.setattr(nnctl.trained.plots, "plot_fit", lambda predict, shown, path, **kw: drawn.update(
        predict=predict, shown=shown) or path)
    run = load_run(runs[True][0])
    draw_evaluation(run, run.evaluation_data(), "validation", tmp_path)
    X, y = raw_validation(run)
    assert np.allclose(drawn["predict"](X)[:, 0], run.predict(X), rtol=1e-12, atol=0)
    assert np.array_equal(drawn["shown"].y_val[:, 0], y)  # the points, in the target's units too
