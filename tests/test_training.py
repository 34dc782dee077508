"""Training end to end through the library: quality on real sets, early stopping, schedules,
dtypes, determinism, and the mismatches a user can cause."""

import os
from pathlib import Path

import numpy as np
import pytest

from nnctl import load_config, train
from nnctl.errors import NnctlError
from nnctl.files import save_npz

CONFIGS = Path(__file__).parents[1] / "configs"


def test_moons_reaches_95_percent_validation_accuracy():
    config = load_config(CONFIGS / "moons.yaml")
    assert (config.data.params["n_samples"], config.data.params["noise"]) == (1000, 0.2)
    assert (config.model.hidden, config.model.activation, config.optimizer.name) == ([16, 16], "tanh", "adam")
    assert train(config).summary["final"]["val_accuracy"] >= 0.95


def test_digits_with_one_hidden_layer_of_64_reaches_95_percent():
    config = load_config(CONFIGS / "digits.yaml")
    assert config.model.hidden == [64]
    assert train(config).summary["final"]["val_accuracy"] >= 0.95


def test_train_without_run_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = train({"train": {"epochs": 2}, "output": {"plots": []}})
    assert os.listdir(tmp_path) == [] and result.run_dir is None
    assert [row["epoch"] for row in result.history] == [0, 1, 2]


def test_history_rows_carry_the_schedule_and_measured_metrics():
    result = train({
        "data": {"name": "moons", "n_samples": 200},
        "optimizer": {"name": "sgd", "lr": 0.4, "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}},
        "train": {"epochs": 5},
    })
    assert [row["lr"] for row in result.history] == [None, 0.4, 0.4, 0.2, 0.2, 0.1]
    first = result.history[0]
    assert first["train_loss"] == pytest.approx(np.log(2), abs=0.15)  # near-uniform softmax at start
    assert all(0.0 <= row["val_accuracy"] <= 1.0 for row in result.history)


def test_early_stopping_keeps_the_best_weights():
    config = load_config({
        "data": {"name": "moons", "n_samples": 200, "noise": 0.3},
        "model": {"hidden": [32]},
        "optimizer": {"name": "adam", "lr": 0.1},
        "train": {"epochs": 300, "early_stopping": {"patience": 5}},
    })
    result = train(config)
    summary = result.summary
    assert summary["status"] == "early_stopped" and summary["epochs"] < 300
    best = result.history[summary["best_epoch"]]
    assert best["val_loss"] == min(row["val_loss"] for row in result.history)
    assert summary["epochs"] == summary["best_epoch"] + 5
    d = result.dataset
    T = result.model.loss.encode(d.y_val, d.n_classes, np.float64)
    assert result.model.objective(d.X_val, T) == pytest.approx(best["val_loss"], rel=1e-12)


def test_float32_runs_in_float32_and_still_learns():
    result = train({
        "dtype": "float32", "optimizer": {"name": "adam", "lr": 0.01}, "train": {"epochs": 30}, "loss": {"l2": 1e-4},
    })
    assert all(p.dtype == np.float32 for p in result.model.network.params().values())
    assert result.dataset.X_train.dtype == np.float32
    assert result.summary["final"]["val_accuracy"] > 0.85


def test_the_batch_size_does_not_change_the_data_or_the_initial_weights():
    a = train({"train": {"epochs": 0, "batch_size": 8}})
    b = train({"train": {"epochs": 0, "batch_size": "full"}})
    np.testing.assert_array_equal(a.dataset.X_train, b.dataset.X_train)
    for key, value in a.model.network.params().items():
        np.testing.assert_array_equal(value, b.model.network.params()[key])


def test_init_from_loads_weights_and_names_a_mismatched_layer(tmp_path):
    good = {"W0": np.full((2, 3), 0.5), "b0": np.zeros(3), "W1": np.ones((3, 2)), "b1": np.zeros(2)}
    save_npz(tmp_path / "good.npz", good)
    result = train({"model": {"hidden": [3], "init_from": str(tmp_path / "good.npz")}, "train": {"epochs": 0}})
    np.testing.assert_array_equal(result.model.network.params()["W0"], good["W0"])
    save_npz(tmp_path / "bad.npz", {**good, "W1": np.ones((4, 2))})
    with pytest.raises(NnctlError, match=r"W1 has shape \(4, 2\), the network's layer 1 needs \(3, 2\)"):
        train({"model": {"hidden": [3], "init_from": str(tmp_path / "bad.npz")}})
    with pytest.raises(NnctlError, match="no such file"):
        train({"model": {"init_from": str(tmp_path / "missing.npz")}})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"data": {"name": "blobs", "centers": 3}, "loss": "hinge"}, "hinge takes 2 classes, the data set has 3"),
        ({"data": {"name": "bump"}, "loss": "cross-entropy"}, "cross-entropy needs class labels"),
        ({"model": {"output_activation": "tanh"}, "loss": "binary-cross-entropy"}, "needs sigmoid outputs"),
        ({"data": {"validation_fraction": 0}, "train": {"early_stopping": {"patience": 3}}}, "needs validation data"),
        ({"data": {"validation_fraction": 0}, "optimizer": {"schedule": "plateau"}},
         "optimizer.schedule.monitor: val_loss needs validation data"),
        ({"data": {"name": "bump"}, "loss": "mse",
          "optimizer": {"schedule": {"name": "plateau", "monitor": "val_accuracy"}}},
         "optimizer.schedule.monitor: val_accuracy needs a classification data set"),
    ],
)
def test_a_loss_or_setting_that_does_not_fit_the_data_is_a_user_error(raw, message):
    with pytest.raises(NnctlError, match=message):
        train(raw)


PLATEAU = {"data": {"name": "moons", "n_samples": 90}, "model": {"hidden": [5]},
           "optimizer": {"name": "sgd", "lr": 0.5, "schedule": {"name": "plateau", "patience": 1, "min_delta": 0.01,
                                                               "factor": 0.5, "min_lr": 0.1}},
           "train": {"epochs": 12, "batch_size": 16}, "output": {"plots": []}}


def test_plateau_cuts_the_rate_after_the_epochs_whose_val_loss_did_not_improve_down_to_min_lr():
    history = train(PLATEAU).history
    lrs = [row["lr"] for row in history]
    # epochs 4, 7 and 8 missed the best val_loss by more than min_delta: the rate halves after each,
    # the last time to the floor 0.1 (not 0.0625), and stays there
    assert lrs == [None, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.1, 0.1, 0.1, 0.1]
    best, missed = float("inf"), []
    for row in history[1:]:
        if row["val_loss"] < best - 0.01:
            best = row["val_loss"]
        else:
            missed.append(row["epoch"])
    assert missed[:3] == [4, 7, 8]
    # loss.png draws the rate on its own axis, as steps, when it changes: each cut is a step down
    from nnctl.plots.curves import _loss_figure

    lr_axis = _loss_figure(history, title="t", best_epoch=None).axes[-1]
    epochs, drawn = lr_axis.lines[0].get_data()
    assert lr_axis.get_ylabel() == "learning rate" and list(drawn[4:10]) == [0.5, 0.25, 0.25, 0.25, 0.125, 0.1]


def test_every_optimizer_and_schedule_learns_moons():
    from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES

    lrs = {"sgd": 0.3, "adam": 0.02, "rmsprop": 0.01, "adagrad": 0.1}
    for name in OPTIMIZERS:
        for schedule in SCHEDULES:
            result = train({
                "data": {"name": "moons", "n_samples": 300},
                "optimizer": {"name": name, "lr": lrs[name], "schedule": schedule},
                "train": {"epochs": 40},
            })
            assert result.summary["final"]["train_accuracy"] > 0.84, (name, schedule)


def test_an_infinite_gradient_stops_training_at_once_with_the_epochs_starting_weights():
    """The loss can stay finite while a gradient overflows: that is divergence too."""
    from nnctl.training import fit, prepare

    loop = prepare(load_config({"data": {"name": "moons", "n_samples": 64}, "model": {"hidden": [4]},
                                "train": {"epochs": 3, "batch_size": 16}, "output": {"plots": []}}))
    real, calls = loop.model.loss_and_grads, []

    def overflowing(X, T, ones=False):
        value, out = real(X, T, ones)
        calls.append(value)
        if len(calls) == 7:  # epoch 2, batch 3
            loop.model.network.dense[1].dW[0, 0] = np.inf
        return value, out

    loop.model.loss_and_grads = overflowing
    result = fit(loop)
    assert all(np.isfinite(v) for v in calls)
    assert result.summary["status"] == "diverged" and result.summary["diverged_at"] == {"epoch": 2, "batch": 3}
    assert len(result.history) == 2  # epochs 0 and 1: the weights after epoch 1 are kept
    np.testing.assert_array_equal(loop.state.theta, loop.state.last_good)


def test_a_set_is_measured_in_chunks_that_hold_a_wide_batchs_worth(rng):
    from nnctl.config import EVALUATION_VALUES, evaluation_rows
    from nnctl.nn.losses import LOSSES
    from nnctl.nn.network import build_model
    from nnctl.training import evaluate

    assert evaluation_rows([100, 1024, 1024, 10]) == 256  # W4: chunks of its batch size
    assert evaluation_rows([2, 16, 16, 2]) == EVALUATION_VALUES // 16  # a tiny network: whole sets
    model = build_model([3, 600, 2], ["tanh"], "cross-entropy", rng, init="xavier")
    network = model.network
    labels = rng.integers(0, 2, size=1000)
    X, T = rng.normal(size=(1000, 3)), np.eye(2)[labels]
    assert evaluation_rows(network.sizes) == 436  # 1000 rows go in three chunks
    loss, accuracy = evaluate(model, X, T, labels)
    assert sorted(network.dense[1].buffers) == [128, 436]  # the passes held 436, 436 and 128 rows
    out = model.logits(X)  # the whole set in one pass
    assert loss == pytest.approx(LOSSES["cross-entropy"].value(out, T), rel=1e-14)
    assert accuracy == np.mean(out.argmax(axis=1) == labels)
