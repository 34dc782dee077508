"""optimizer.name: lbfgs — full-batch L-BFGS-B on the flat θ (nnctl.lbfgs): against scikit-learn's
MLPClassifier(solver="lbfgs") from the same weights on the same data, a metrics row per
iteration, train.epochs as the iteration budget, early stopping, and resume from the saved θ."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from nnctl.config import load_config
from nnctl.runs import load_state, save_state
from nnctl.training import fit, prepare

CONFIGS = Path(__file__).parents[1] / "configs"


def seed001(epochs: int, **changes) -> dict:
    """Seed 001's data and 2-3 tanh network with lbfgs; one sigmoid output and binary
    cross-entropy, as MLPClassifier has for two classes, and no L2 (alpha 0)."""
    raw = load_config(CONFIGS / "seed001-moons.yaml").to_dict()
    raw["model"].pop("init_from")
    raw["loss"] = {"name": "binary-cross-entropy", "l2": 0.0}
    raw["optimizer"] = {"name": "lbfgs"}
    raw["train"]["epochs"] = epochs
    raw["output"]["plots"] = []
    for section, values in changes.items():
        raw[section] = {**raw[section], **values}
    return raw


def sklearn_lbfgs(params: dict, X: np.ndarray, y: np.ndarray, iterations: int):
    """MLPClassifier(solver="lbfgs") trained from nnctl's initial weights `params` (W0, b0, W1, b1):
    a one-iteration fit builds it, warm_start keeps the weights preset in coefs_ and intercepts_."""
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(3,), activation="tanh", solver="lbfgs", alpha=0.0, max_iter=1,
                        warm_start=True, tol=1e-5, random_state=0)  # tol: SciPy's gtol, nnctl's default
    # one BLAS thread, as nnctl's solver: OpenBLAS's threads slow SciPy's L-BFGS-B down on busy cores
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")  # "lbfgs failed to converge": the budget is the point
        clf.fit(X, y)
        clf.coefs_, clf.intercepts_ = [params["W0"], params["W1"]], [params["b0"], params["b1"]]
        clf.max_iter = iterations
        clf.fit(X, y)
    return clf


def test_lbfgs_reaches_the_loss_of_scikit_learns_lbfgs_from_the_same_weights_and_budget():
    loop = prepare(seed001(30))
    start = {k: v.copy() for k, v in loop.model.network.params().items()}
    result = fit(loop)
    clf = sklearn_lbfgs(start, loop.dataset.X_train, loop.dataset.y_train, 30)
    assert clf.n_iter_ == 30 and result.summary["epochs"] == 30
    assert result.summary["solver"]["message"] == "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
    assert result.summary["solver"]["evaluations"] >= 30
    nnctl_loss = result.summary["final"]["train_loss"]
    # the same SciPy run on the same function: equal up to rounding, and far below the start
    assert nnctl_loss <= clf.loss_ * (1 + 1e-9)
    assert nnctl_loss == pytest.approx(clf.loss_, rel=1e-9) and nnctl_loss < 0.1 < result.history[0]["train_loss"]
    assert np.allclose(result.model.network.params()["W0"], clf.coefs_[0], rtol=1e-6, atol=1e-9)


def test_a_row_per_iteration_with_no_learning_rate_until_the_solver_converges():
    result = fit(prepare(seed001(500)))
    epochs = [row["epoch"] for row in result.history]
    assert epochs == list(range(len(epochs))) and 30 < epochs[-1] < 500  # converged before the budget
    assert result.summary["solver"]["message"] == "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"  # ftol
    assert all(row["lr"] is None for row in result.history)
    losses = [row["train_loss"] for row in result.history]
    assert all(b <= a for a, b in zip(losses, losses[1:], strict=False))  # the line search never goes up
    assert losses[-1] == result.summary["final"]["train_loss"]  # the final weights are the last iterate's


def test_train_epochs_is_the_iteration_budget_and_early_stopping_stops_the_solver():
    assert fit(prepare(seed001(7))).summary["epochs"] == 7
    stopping = seed001(200, data={"validation_fraction": 0.3},
                       train={"early_stopping": {"patience": 3, "min_delta": 0.0}})
    result = fit(prepare(stopping))
    summary = result.summary
    assert summary["status"] == "early_stopped" and summary["epochs"] == summary["best_epoch"] + 3
    assert summary["solver"]["message"] == f"stopped by nnctl after iteration {summary['epochs']}"
    assert summary["final"]["val_loss"] == pytest.approx(result.history[summary["best_epoch"]]["val_loss"],
                                                         rel=1e-12)


def test_resume_goes_on_from_the_saved_weights_with_a_fresh_memory(tmp_path):
    config = load_config(seed001(40))
    first = prepare(config)

    def stop_at_10(row):
        if row["epoch"] == 10:
            first.stop_requested = True

    stopped = fit(first, on_epoch=stop_at_10)
    assert stopped.summary["status"] == "interrupted" and stopped.summary["epochs"] == 10
    save_state(tmp_path / "state.npz", *first.state.snapshot(0.5))
    saved = first.state.theta.copy()

    second = prepare(config)
    second.state.restore(*load_state(tmp_path / "state.npz"))
    assert np.array_equal(second.state.theta, saved)
    result = fit(second)
    rows = result.history
    assert [row["epoch"] for row in rows] == list(range(41)) and result.summary["status"] == "completed"
    assert rows[:11] == stopped.history
    # it starts from epoch 10's weights (a fresh start would be back near epoch 0's loss) and goes down
    assert rows[11]["train_loss"] <= rows[10]["train_loss"] < 0.5 * rows[0]["train_loss"]
    assert rows[40]["train_loss"] < rows[10]["train_loss"]


def test_the_lesson_config_beats_seed_001s_20000_sgd_passes_in_a_few_hundred_iterations():
    """configs/lbfgs.yaml's comments: it converges by itself after 258 iterations at 0.067800,
    below SGD's final 0.071316 (configs/seed001-moons.yaml) from iteration 63 on."""
    result = fit(prepare(load_config(CONFIGS / "lbfgs.yaml")))
    summary, losses = result.summary, [row["train_loss"] for row in result.history]
    assert summary["status"] == "completed" and 200 < summary["epochs"] < 320
    assert summary["solver"]["message"] == "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"
    assert summary["final"]["train_loss"] == pytest.approx(0.067800, abs=5e-7)
    assert summary["final"]["train_accuracy"] == 0.975
    assert next(e for e, loss in enumerate(losses) if loss <= 0.071316) == 63


def test_an_iterate_past_the_divergence_limit_stops_the_solver_with_the_previous_weights():
    # L-BFGS-B only takes steps that lower the loss, so the limit is lowered here to reach it: the
    # first iterate's loss is above it, and the initial weights are kept
    loop = prepare(seed001(20))
    initial = {k: v.copy() for k, v in loop.model.network.params().items()}
    first = fit(prepare(seed001(1))).history[1]["train_loss"]
    loop.divergence_limit = lambda: first / 2
    result = fit(loop)
    assert result.summary["status"] == "diverged" and result.summary["epochs"] == 0
    assert result.summary["diverged_at"] == {"epoch": 1, "batch": 1, "train_loss": first, "limit": first / 2}
    assert all(np.array_equal(result.model.network.params()[k], v) for k, v in initial.items())


def test_an_interrupted_lbfgs_run_directory_resumes_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from nnctl.cli import app

    loop = prepare(seed001(25))

    def stop_at_5(row):
        if row["epoch"] == 5:
            loop.stop_requested = True

    assert fit(loop, tmp_path / "run", on_epoch=stop_at_5).summary["status"] == "interrupted"
    result = CliRunner().invoke(app, ["train", "--resume", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 25
    epochs = [line.split(",")[0] for line in (tmp_path / "run" / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs == [str(e) for e in range(26)]
