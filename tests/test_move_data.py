"""nnctl move-data (nnctl/move_data.py): seed 002's last experiment, gradient descent on the
data with the weights fixed. Each step is x − η·∂l/∂x with ∂l/∂x checked against central
differences in the data's own units (through the standardisation), the objective never rises
for a small η, and seed 002's own setup reaches its goal: every training point classified
correctly."""

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nnctl import load_config
from nnctl.assemble import encode_targets
from nnctl.cli import app
from nnctl.data import Preprocessing
from nnctl.errors import NnctlError
from nnctl.gradcheck import numerical_grad, rel_error
from nnctl.move_data import move_points, move_run, point_gradients, raw_gradient
from nnctl.pictures import plot_data
from nnctl.runs import RUN_FILES, load_run
from nnctl.training import train

ROOT = Path(__file__).parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def standardized_run(tmp_path_factory) -> Path:
    """2-4-2 tanh on 60 moons, standardised inputs: the gradient must go back through (x − mean)/std."""
    run = tmp_path_factory.mktemp("move") / "run"
    train(load_config({"data": {"name": "moons", "n_samples": 60, "standardize": True}, "model": {"hidden": [4]},
                       "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 5, "batch_size": 16},
                       "output": {"plots": []}}), run)
    return run


def parts(run_dir: Path):
    run = load_run(run_dir, dtype=np.float64)
    d = run.dataset
    return run.model, Preprocessing.of(d), plot_data(run).X_train, d.y_train, encode_targets(run.model, d, d.y_train)


def summed_loss(model, preprocessing, T):
    """X_raw -> Σ l_i: n × the mean loss of the points, standardised as the run was."""
    return lambda X: len(X) * model.loss.value(model.network.forward(preprocessing.standardize(X)), T)


def test_a_step_is_x_minus_lr_times_the_central_difference_gradient_in_the_datas_units(standardized_run):
    model, pre, X, y, T = parts(standardized_run)
    assert pre.mean is not None and not np.allclose(pre.std, 1.0)  # the map back is not the identity
    X0 = X.copy()
    numeric = numerical_grad(lambda: summed_loss(model, pre, T)(X0), X0)
    _, analytic, _ = point_gradients(model, pre, X0, T)
    assert rel_error(analytic, numeric) < 1e-7
    moved = move_points(model, pre, X, y, T, steps=1, lr=0.3)
    np.testing.assert_allclose(moved.X_end, X - 0.3 * numeric, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(moved.X_start, X)
    # the standardisation's part, on its own: ∂L/∂x = ∂L/∂A / std
    np.testing.assert_array_equal(raw_gradient(pre, X, np.ones_like(X)), np.ones_like(X) / pre.std)


def test_one_sample_per_step_moves_one_point_by_its_own_gradient(standardized_run):
    model, pre, X, y, T = parts(standardized_run)
    moved = move_points(model, pre, X, y, T, steps=1, lr=0.3, per_sample=True, rng=np.random.default_rng(5))
    i = int(np.random.default_rng(5).integers(len(X)))
    changed = np.flatnonzero((moved.X_end != X).any(axis=1))
    assert changed.tolist() == [i]
    numeric = numerical_grad(lambda: summed_loss(model, pre, T[i:i + 1])(Xi), Xi := X[i:i + 1].copy())
    np.testing.assert_allclose(moved.X_end[i], X[i] - 0.3 * numeric[0], rtol=0, atol=1e-7)


def test_the_objective_never_rises_for_a_small_lr(standardized_run):
    model, pre, X, y, T = parts(standardized_run)
    moved = move_points(model, pre, X, y, T, steps=60, lr=0.01)
    assert moved.steps == 60 and len(moved.objective) == 61
    assert (np.diff(moved.objective) <= 1e-12).all()
    assert moved.objective[-1] < 0.9 * moved.objective[0]
    f = summed_loss(model, pre, T)
    assert moved.objective[0] == pytest.approx(f(X)) and moved.objective[-1] == pytest.approx(f(moved.X_end))
    assert moved.frame_steps[0] == 0 and moved.frame_steps[-1] == 60
    np.testing.assert_array_equal(moved.frames[-1], moved.X_end)


def test_seed_002_reaches_its_goal_every_training_point_classified_correctly(tmp_path):
    run = tmp_path / "seed002"
    train(load_config(ROOT / "configs" / "seed002-hinge.yaml", ["output.plots=[]"]), run)
    model, pre, X, y, T = parts(run)
    moved = move_points(model, pre, X, y, T, steps=1000, lr=0.05, until_correct=True)
    assert not moved.correct_before.all()  # the trained line gets some points wrong
    assert moved.correct_after.all() and moved.steps < 1000
    assert moved.changed_class == int((~moved.correct_before).sum())
    # the hinge moves only the points inside the margin: the others stay where they were
    margin = (2 * y - 1) * model.logits(pre.standardize(X))[:, 0]
    np.testing.assert_array_equal(moved.X_end[margin >= 1], X[margin >= 1])


def test_the_command_writes_its_files_in_the_run_and_says_how_many_changed_class(standardized_run, tmp_path):
    result = runner.invoke(app, ["move-data", str(standardized_run), "--steps", "3", "--lr", "0.5",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    with np.load(tmp_path / "out" / "moved.npz") as f:
        before, after = f["correct_before"], f["correct_after"]
        assert int(f["steps"]) == 3 and f["X_end"].shape == f["X_start"].shape == (48, 2)
        assert f["frame_steps"].tolist() == [0, 1, 2, 3] and f["frames"].shape == (4, 48, 2)
    changed = int((before != after).sum())
    assert first.startswith(f"moved 48 training points for 3 steps of lr 0.5: {changed} changed class")
    assert f"{int(after.sum())} of 48 now classified correctly (before: {int(before.sum())})" in first
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["moved.gif", "moved.npz", "moved.png"]
    assert {"moved.npz", "moved.png", "moved.gif"} <= RUN_FILES  # --overwrite may replace them in a run


def test_a_regression_run_is_refused_in_one_line(tmp_path):
    run = tmp_path / "bump"
    train(load_config({"data": {"name": "bump", "n_samples": 40}, "model": {"hidden": [3]}, "loss": "mse",
                       "train": {"epochs": 1}, "output": {"plots": []}}), run)
    with pytest.raises(NnctlError, match=r"a regression run; move-data moves points toward their class"):
        move_run(run)


def test_a_run_with_text_columns_is_refused_naming_them(tmp_path):
    rows = "\n".join(f"{i / 10},{'red' if i % 2 else 'blue'},{i % 2}" for i in range(20))
    (tmp_path / "d.csv").write_text("size,color,label\n" + rows + "\n")
    run = tmp_path / "run"
    train(load_config({"data": {"name": "csv", "path": str(tmp_path / "d.csv"), "target": "label"},
                       "model": {"hidden": [2]}, "train": {"epochs": 1}, "output": {"plots": []}}), run)
    with pytest.raises(NnctlError, match=r"run: has text columns \(color\); move-data moves number inputs only$"):
        move_run(run)


def test_moved_png_draws_an_arrow_from_each_start_to_its_end_and_rings_the_wrong_ones():
    from plot_helpers import linear_classifier

    from nnctl.plots import PlotData
    from nnctl.plots.model import _moved_figure

    X0 = np.array([[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0], [-2.0, 1.0]])
    y = np.array([1, 1, 0, 0])  # the model: class 1 where x0 > 0; point 0 and 2 start wrong
    X1 = X0 + np.array([[2.0, 0.0], [0.0, 0.0], [-1.0, 0.0], [0.0, 0.0]])
    predict = linear_classifier(np.array([[-5.0, 5.0], [0.0, 0.0]]), np.zeros(2))
    data = PlotData(X0, y, X0[:0], y[:0], "classification", ["0", "1"])
    fig = _moved_figure(predict, data, X0, X1, title="t", resolution=20, score_label="P")
    ax = fig.axes[0]
    (arrows,) = [c for c in ax.collections if type(c).__name__ == "Quiver"]
    np.testing.assert_array_equal(arrows.get_offsets(), X0[[0, 2]])  # only the points that moved
    np.testing.assert_array_equal(np.column_stack([arrows.U, arrows.V]), (X1 - X0)[[0, 2]])
    rings = [c for c in ax.collections if type(c).__name__ == "PathCollection" and c.get_label() == "_wrong"]
    np.testing.assert_array_equal(rings[0].get_offsets(), X0[[0, 2]])
    assert ax.get_title() == "4 training points · 2 changed class · right before 2, after 4"


def test_more_than_two_inputs_write_the_arrays_only_and_an_unreached_goal_exits_1(tmp_path):
    run = tmp_path / "run"
    train(load_config({"data": {"name": "blobs", "n_samples": 60, "centers": [[0, 0, 0], [1, 1, 1]]},
                       "model": {"hidden": [3]}, "train": {"epochs": 2}, "output": {"plots": []}}), run)
    result = runner.invoke(app, ["move-data", str(run), "--steps", "1", "--lr", "0.01", "--until-correct"])
    with np.load(run / "moved.npz") as f:
        reached = bool(f["correct_after"].all())
        assert f["X_end"].shape == (48, 3)
    assert not reached and result.exit_code == 1  # one small step cannot fix overlapping clouds
    assert result.stdout.splitlines()[1:] == [str(run / "moved.npz")]  # no plane: no moved.png, no moved.gif


@pytest.fixture(scope="module")
def features_run(tmp_path_factory) -> Path:
    """2-4-2 tanh on 80 circles through computed features, standardised: the gradient goes back
    through the standardisation and the feature map to the raw x0, x1."""
    run = tmp_path_factory.mktemp("move") / "features"
    train(load_config({"data": {"name": "circles", "n_samples": 80, "standardize": True,
                                "features": ["x0", "x1^2", "x0*x1", "sin(x1)"]},
                       "model": {"hidden": [4]}, "optimizer": {"name": "adam", "lr": 0.05},
                       "train": {"epochs": 5, "batch_size": 16}, "output": {"plots": []}}), run)
    return run


def test_a_step_goes_back_through_the_features_to_the_raw_plane(features_run):
    model, pre, X, y, T = parts(features_run)
    assert X.shape[1] == 2 and pre.computed is not None  # two raw columns, four inputs
    X0 = X.copy()
    numeric = numerical_grad(lambda: len(X0) * model.loss.value(model.network.forward(pre.encode(X0)), T), X0)
    _, analytic, _ = point_gradients(model, pre, X0, T)
    assert rel_error(analytic, numeric) < 1e-7


def test_a_step_too_large_stops_where_the_objective_would_rise(features_run):
    model, pre, X, y, T = parts(features_run)
    moved = move_points(model, pre, X, y, T, steps=200, lr=50.0)
    assert moved.rose and moved.steps < 200
    assert np.isfinite(moved.objective).all() and (np.diff(moved.objective) <= 0).all()
    assert len(moved.objective) == moved.steps + 1 and moved.frame_steps[-1] == moved.steps
    np.testing.assert_array_equal(moved.frames[-1], moved.X_end)
    loss = len(X) * model.loss.value(model.network.forward(pre.encode(moved.X_end)), T)
    assert moved.objective[-1] == pytest.approx(loss)
    result = runner.invoke(app, ["move-data", str(features_run), "--steps", "200", "--lr", "50"])
    assert result.exit_code == 0
    assert f"stopped at step {moved.steps}, where the next steps raised Σ loss" in result.stdout
