"""L1 (subgradient and Playground's clip step), dropout (masks, scaling, training only, fixed
masks in gradcheck and explain), early stopping's restore_best, and layers.csv's zero fractions:
values against hand computations and against runs without the option."""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import LOSS_SETUPS, make_targets
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.config import load_config
from nnctl.errors import NnctlError
from nnctl.explain import explain
from nnctl.gradcheck import check_gradients, fixed_masks
from nnctl.nn.layers import dropout_mask
from nnctl.nn.losses import LOSSES
from nnctl.nn.network import build_model
from nnctl.training import fit, prepare

W0 = np.array([[0.3, -0.05], [0.0, 0.02]])
W1 = np.array([[-1.0], [0.04]])


def by_hand_model(**options):
    """A 2-2-1 tanh/mse model with the weights above (one exactly 0) and biases 0.5."""
    model = build_model([2, 2, 1], ["tanh"], "mse", np.random.default_rng(0), **options)
    model.network.set_params({"W0": W0, "b0": np.full(2, 0.5), "W1": W1, "b1": np.full(1, 0.5)})
    return model


def width_for(loss_name: str) -> int:
    return 1 if LOSSES[loss_name].max_classes == 2 else 3


# ---------------------------------------------------------------- L1


def test_l1_penalty_and_subgradient_by_hand(rng):
    X, T = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    plain, l1 = by_hand_model(), by_hand_model(l1=0.1)
    # λ Σ|W| over the weights only: 0.1 · (0.3 + 0.05 + 0 + 0.02 + 1 + 0.04); biases do not count
    assert l1.penalty() == pytest.approx(0.1 * 1.41, rel=1e-14)
    v0, _ = plain.loss_and_grads(X, T)
    v1, _ = l1.loss_and_grads(X, T)
    assert v1 == pytest.approx(v0 + 0.141, rel=1e-14)
    g0, g1 = plain.network.grads(), l1.network.grads()
    # sign(W) by hand, 0 where W is exactly 0
    np.testing.assert_allclose(g1["W0"] - g0["W0"], [[0.1, -0.1], [0.0, 0.1]], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g1["W1"] - g0["W1"], [[-0.1], [0.1]], rtol=1e-12)
    assert (g1["W0"] - g0["W0"])[1, 0] == 0.0
    for name in ("b0", "b1"):
        np.testing.assert_array_equal(g1[name], g0[name])


def test_l1_clip_moves_each_weight_toward_zero_and_stops_it_at_zero():
    model = by_hand_model(l1=0.5, l1_clip=True)
    model.shrink(lr=0.1)  # a step of lr·λ = 0.05 toward 0
    W = model.network.params()
    # 0.3 → 0.25; −0.05 → exactly 0 (reaches it); 0 stays 0; 0.02 would cross to −0.03: 0
    np.testing.assert_array_equal(W["W0"], [[0.25, 0.0], [0.0, 0.0]])
    # −1 → −0.95; 0.04 would cross to −0.01: 0
    np.testing.assert_array_equal(W["W1"], [[-1.0 + 0.05], [0.0]])
    np.testing.assert_array_equal(W["b0"], [0.5, 0.5])  # biases are not regularised
    np.testing.assert_array_equal(W["b1"], [0.5])
    assert not np.signbit(W["W0"]).any()  # zeros are +0: no −0 from a crossing


def test_l1_clip_reports_the_l1_term_but_leaves_the_gradient_alone(rng):
    X, T = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    plain, clipped = by_hand_model(), by_hand_model(l1=0.1, l1_clip=True)
    v0, _ = plain.loss_and_grads(X, T)
    v1, _ = clipped.loss_and_grads(X, T)
    assert v1 == pytest.approx(v0 + 0.141, rel=1e-14)
    for name, g in plain.network.grads().items():
        np.testing.assert_array_equal(clipped.network.grads()[name], g)
    unclipped = by_hand_model(l1=0.1)
    unclipped.shrink(0.1)
    np.testing.assert_array_equal(unclipped.network.params()["W0"], W0)  # without l1_clip: no step


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize(("loss_name", "output"), LOSS_SETUPS)
def test_gradcheck_passes_with_l1_away_from_zero_for_every_loss(loss_name, output, clip, rng):
    width = width_for(loss_name)
    model = build_model([3, 4, width], ["tanh"], loss_name, rng, output=output, init="normal", init_scale=0.5,
                        l2=0.05, l1=0.2, l1_clip=clip)
    assert min(np.abs(d.W).min() for d in model.network.dense) > 1e-3  # away from L1's kink
    X, T = rng.normal(size=(4, 3)), make_targets(loss_name, 4, width, rng)
    checks = check_gradients(model, X, T)
    assert all(c.passed and (c.error <= 1e-6 or c.max_abs_diff <= 1e-9) for c in checks), checks
    assert any(("left out" in n) == clip and "loss.l1" in n for n in checks.notes), checks.notes


def test_gradcheck_catches_a_missing_l1_gradient(rng, monkeypatch):
    model = build_model([3, 4, 2], ["tanh"], "mse", rng, init="normal", init_scale=0.5, l1=0.2)
    monkeypatch.setattr(model, "l1_clip", True)  # the gradient leaves the term out, the objective does not
    monkeypatch.setattr(model, "penalty", lambda differentiated=False: model.penalty_terms()["L1"])
    checks = check_gradients(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert not checks[0].passed and checks[0].error > 1e-4


def test_explain_shows_the_l1_term_and_its_step(rng):
    model = build_model([2, 3, 2], ["tanh"], "cross-entropy", rng, init="normal", l1=0.1)
    X, T = rng.normal(size=(2, 2)), np.eye(2)[[0, 1]]
    e = explain(model, X, T)
    expected, _ = model.loss_and_grads(X, T)
    grads = {k: v.copy() for k, v in model.network.grads().items()}
    assert float(e.loss.arrays["L1 term"]) == pytest.approx(model.penalty(), rel=1e-14)
    assert float(e.loss.arrays["L"]) == pytest.approx(expected, rel=1e-12)
    assert "L1 penalty (λ = 0.1)" in e.loss.formula
    step = e.backward[-1]
    assert step.title == "L1" and "sign(W)" in step.formula
    recorded = {k: v for s in e.backward[:-1] for k, v in s.arrays.items()}
    for i, layer in enumerate(model.network.dense):
        np.testing.assert_allclose(recorded[f"dW{i}"] + 0.1 * np.sign(layer.W), grads[f"W{i}"], rtol=1e-12)
        np.testing.assert_allclose(step.arrays[f"dW{i}"], grads[f"W{i}"], rtol=1e-12)
    clip = explain(build_model([2, 3, 2], ["tanh"], "cross-entropy", rng, l1=0.1, l1_clip=True), X, T)
    assert clip.backward[-1].title == "L1 (clip)" and "not differentiated" in clip.loss.formula


# ---------------------------------------------------------------- dropout


def test_dropout_masks_keep_one_minus_p_and_scale_by_exactly_one_over_one_minus_p():
    rng = np.random.default_rng(1)
    masks = np.stack([dropout_mask(rng, (50, 20), 0.3, np.float64) for _ in range(100)])  # 100 000 entries
    assert set(np.unique(masks)) == {0.0, 1.0 / 0.7}
    assert np.mean(masks > 0) == pytest.approx(0.7, abs=0.005)  # 4.6 standard errors
    assert np.mean(masks) == pytest.approx(1.0, abs=0.01)  # inverted: E[mask] = 1
    assert dropout_mask(rng, (3, 4), 0.5, np.float32).dtype == np.float32


def test_a_masked_forward_multiplies_each_hidden_activation_by_its_mask(rng):
    model = build_model([2, 4, 3, 1], ["tanh", "relu"], "mse", rng, dropout=[0.5, 0.25])
    X = rng.normal(size=(5, 2))
    masks = model.draw_masks(np.random.default_rng(3), 5)
    assert [m.shape for m in masks] == [(5, 4), (5, 3)]
    out = model.network.forward(X, masks=masks)
    d0, d1, d2 = model.network.dense
    a1 = np.tanh(X @ d0.W + d0.b) * masks[0]
    a2 = np.maximum(a1 @ d1.W + d1.b, 0) * masks[1]
    np.testing.assert_allclose(out, a2 @ d2.W + d2.b, rtol=1e-14)
    np.testing.assert_allclose(model.output(X), np.maximum(np.tanh(X @ d0.W + d0.b) @ d1.W + d1.b, 0) @ d2.W + d2.b,
                               rtol=1e-14)  # the same model without masks: nothing dropped
    assert build_model([2, 4, 1], ["tanh"], "mse", rng, dropout=[0.0]).draw_masks(rng, 5) is None


@pytest.mark.parametrize(("loss_name", "output"), LOSS_SETUPS)
def test_gradcheck_through_one_fixed_dropout_mask_for_every_loss(loss_name, output, rng):
    width = width_for(loss_name)
    model = build_model([3, 5, 4, width], ["tanh", "sigmoid"], loss_name, rng, output=output, init="normal",
                        init_scale=0.5, dropout=[0.4, 0.3])
    X, T = rng.normal(size=(6, 3)), make_targets(loss_name, 6, width, rng)
    checks = check_gradients(model, X, T)
    assert all(c.passed and (c.error <= 1e-6 or c.max_abs_diff <= 1e-9) for c in checks), checks
    assert any("one fixed mask" in n for n in checks.notes)
    masks = fixed_masks(model, 6)
    assert all((m == 0).any() for m in masks)  # something is dropped: the check is through masks
    # the checked gradient is that of the masked objective, not the plain one
    model.loss_and_grads(X, T)
    plain = model.network.grads()["W0"].copy()
    model.loss_and_grads(X, T, masks=masks)
    assert not np.allclose(plain, model.network.grads()["W0"])


def test_explain_shows_the_fixed_mask(rng):
    model = build_model([2, 4, 2], ["tanh"], "cross-entropy", rng, dropout=[0.5])
    X, T = rng.normal(size=(3, 2)), np.eye(2)[[0, 1, 1]]
    e = explain(model, X, T)
    first = e.forward[0]
    np.testing.assert_array_equal(first.arrays["m1"], fixed_masks(model, 3)[0])
    np.testing.assert_allclose(first.arrays["a1"], np.tanh(first.arrays["z1"]) * first.arrays["m1"])
    assert "one fixed mask, seed 0" in first.formula and "⊙ m1" in e.backward[-1].formula
    model.loss_and_grads(X, T, masks=fixed_masks(model, 3))
    np.testing.assert_allclose(e.backward[-1].arrays["dW0"], model.network.grads()["W0"], rtol=1e-12)


TINY = {
    "data": {"name": "moons", "n_samples": 60, "noise": 0.3},
    "model": {"hidden": [6, 5], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.05},
    "train": {"epochs": 3, "batch_size": 16},
    "output": {"plots": []},
}


def test_dropout_zero_trains_bit_identical_to_no_dropout():
    base = fit(prepare(load_config(TINY)))
    for p in (0.0, [0.0, 0.0]):
        zero = fit(prepare(load_config({**TINY, "model": {**TINY["model"], "dropout": p}})))
        for name, value in base.model.network.params().items():
            np.testing.assert_array_equal(zero.model.network.params()[name], value)
        assert [r["train_loss"] for r in zero.history] == [r["train_loss"] for r in base.history]


def test_dropout_changes_training_but_never_evaluation_or_prediction(tmp_path):
    from nnctl import load_run

    config = {**TINY, "model": {**TINY["model"], "dropout": 0.5}}
    result = fit(prepare(load_config(config)), tmp_path / "run")
    base = fit(prepare(load_config(TINY)))
    assert not np.array_equal(result.model.network.theta, base.model.network.theta)
    again = fit(prepare(load_config(config)))  # the masks come from the seed: reproducible
    np.testing.assert_array_equal(again.model.network.theta, result.model.network.theta)
    run = load_run(tmp_path / "run")
    X = result.dataset.X_val
    undropped = build_model([2, 6, 5, 2], ["tanh", "tanh"], "cross-entropy", np.random.default_rng(0))
    undropped.network.set_params(result.model.network.params())
    np.testing.assert_allclose(run.predict_proba(X), undropped.output(X), rtol=1e-13)
    np.testing.assert_array_equal(run.predict(X), undropped.output(X).argmax(axis=1))
    # val_loss of the last epoch and the summary's final val_loss: measured without dropout
    from nnctl.training import evaluate
    val = evaluate(undropped, X, np.eye(2)[result.dataset.y_val], result.dataset.y_val)
    assert result.history[-1]["val_loss"] == pytest.approx(val[0], rel=1e-12)
    assert result.summary["final"]["val_loss"] == pytest.approx(val[0], rel=1e-12)


@pytest.mark.parametrize(("value", "message"), [
    (1.0, "config: model.dropout: expected a rate p with 0 ≤ p < 1 (the fraction of units dropped), or a list "
          "of one per hidden layer; got 1.0"),
    ([0.5], "config: model.dropout: 1 rates for 2 hidden layers (give one rate, or one per hidden layer)"),
])
def test_bad_dropout_is_one_line_naming_the_key(value, message):
    with pytest.raises(NnctlError) as error:
        load_config({**TINY, "model": {**TINY["model"], "dropout": value}})
    assert str(error.value) == message


# ---------------------------------------------------------------- early_stopping.restore_best

STOPPING = {"data": {"name": "moons", "n_samples": 90}, "model": {"hidden": [5]},
            "optimizer": {"name": "adam", "lr": 0.2}, "output": {"plots": []},
            "train": {"epochs": 15, "batch_size": 16, "early_stopping": {"patience": 2}}}


def with_train(**train):
    return load_config({**STOPPING, "train": {**STOPPING["train"], **train}})


@pytest.mark.parametrize("restore_best", [True, False])
def test_restore_best_keeps_the_best_or_the_last_epochs_weights(restore_best):
    from nnctl.console import ending

    stopping = {"patience": 2, "restore_best": restore_best}
    result = fit(prepare(with_train(early_stopping=stopping)))
    s = result.summary
    assert s["status"] == "early_stopped" and s["epochs"] == 8 and s["best_epoch"] == 6
    kept = 6 if restore_best else 8
    assert s["model_epoch"] == kept
    # the same training, stopped by its epoch count at the epoch whose weights were kept
    plain = fit(prepare(with_train(epochs=kept, early_stopping={"patience": 0})))
    np.testing.assert_array_equal(result.model.network.theta, plain.model.network.theta)
    assert s["final"]["val_loss"] == plain.summary["final"]["val_loss"]
    words = ending(s)
    assert words.endswith("kept the weights of epoch 6 (best val_loss)" if restore_best else
                          "kept the last epoch's weights, epoch 8 (the best, by val_loss, was epoch 6; "
                          "train.early_stopping.restore_best is false)")


# ---------------------------------------------------------------- layers.csv zeros, norms.png

L1_RUN = {"data": {"name": "moons", "n_samples": 80}, "model": {"hidden": [8]},
          "loss": {"name": "cross-entropy", "l1": 0.02, "l1_clip": True},
          "optimizer": {"name": "sgd", "lr": 0.5}, "train": {"epochs": 6, "batch_size": 16},
          "output": {"plots": ["norms"]}}


def test_layers_csv_gains_the_fraction_of_zero_weights_with_l1_only(tmp_path):
    result = fit(prepare(load_config(L1_RUN)), tmp_path / "run")
    header = (tmp_path / "run" / "layers.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch", "W0", "W1", "dW0", "dW1", "zeros0", "zeros1"]
    last = (tmp_path / "run" / "layers.csv").read_text().splitlines()[-1].split(",")
    for i, layer in enumerate(result.model.network.dense):
        assert float(last[5 + i]) == np.mean(layer.W == 0)
    assert float(last[5]) > 0  # the clip step made some of the first layer's weights exactly 0
    plain = fit(prepare(load_config({**L1_RUN, "loss": "cross-entropy", "output": {"plots": []}})),
                tmp_path / "plain")
    assert plain.summary["status"] == "completed"
    assert (tmp_path / "plain" / "layers.csv").read_text().splitlines()[0] == "epoch,W0,W1,dW0,dW1"


def test_norms_figure_draws_the_zero_fractions_only_when_the_rows_have_them():
    from nnctl.plots.curves import _norms_figure

    rows = [{"epoch": e, "W0": 1.0 + e, "W1": 2.0, "dW0": None if e == 0 else 0.5, "dW1": None if e == 0 else 0.2,
             "zeros0": e / 10, "zeros1": 0.0} for e in range(4)]
    fig = _norms_figure(rows, title="t")
    assert len(fig.axes) == 3
    zeros = fig.axes[2]
    assert zeros.get_ylim()[0] <= 0 and zeros.get_ylim()[1] >= 0.3
    lines = {line.get_label(): line.get_ydata() for line in zeros.get_lines()}
    np.testing.assert_allclose(lines["layer 0 (W0)"], [0.0, 0.1, 0.2, 0.3])
    old = [{k: v for k, v in row.items() if not k.startswith("zeros")} for row in rows]
    assert len(_norms_figure(old, title="t").axes) == 2  # a run written before: as it was


def test_cli_gradcheck_says_it_used_a_fixed_mask(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("data: {name: moons, n_samples: 40}\nmodel: {hidden: [4], dropout: 0.5}\n"
                      "loss: {name: cross-entropy, l1: 0.01}\n")
    result = CliRunner().invoke(app, ["gradcheck", str(config), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] and any("one fixed mask" in n for n in data["notes"])
    table = CliRunner().invoke(app, ["gradcheck", str(config)])
    assert "one fixed mask per hidden layer (drawn from seed 0" in " ".join(table.stdout.split())


# ---------------------------------------------------------------- the lessons

CONFIGS = Path(__file__).parents[1] / "configs"


def test_the_l1_lesson_ends_with_the_useless_features_weights_exactly_zero():
    config = load_config(CONFIGS / "l1-sparsity.yaml", ["output.plots=[]"])
    result = fit(prepare(config))
    W0 = result.model.network.dense[0].W
    features = ["x0", "x1", "x0^2", "x1^2", "x0*x1", "sin(x0)", "sin(x1)"]
    assert result.dataset.feature_names == features
    zero_rows = [name for name, row in zip(features, W0, strict=True) if not row.any()]
    assert zero_rows == ["x0", "x1", "x0*x1", "sin(x0)", "sin(x1)"]  # the config's comment says so
    assert np.count_nonzero(W0) == 2 and result.summary["final"]["val_accuracy"] == 0.99
    assert result.history[-1]["epoch"] == 300


@pytest.mark.parametrize(("rate", "val_loss", "val_accuracy"), [(0.5, 0.4497, 0.83), (0.0, 0.7343, 0.79)])
def test_the_dropout_lesson_keeps_the_validation_loss_down(rate, val_loss, val_accuracy):
    """configs/dropout.yaml as shipped (~1 s a run), the numbers its comment states: without
    dropout the validation loss climbs from its minimum of 0.433 (epoch 5) to 0.734; with it, it
    stays near its minimum (0.433, epoch 385) and ends at 0.450."""
    result = fit(prepare(load_config(CONFIGS / "dropout.yaml", [f"model.dropout={rate}", "output.plots=[]"])))
    final, best = result.summary["final"], min(result.history, key=lambda row: row["val_loss"])
    assert (final["val_loss"], final["val_accuracy"]) == (pytest.approx(val_loss, abs=5e-5), val_accuracy)
    assert (best["epoch"], best["val_loss"]) == ((385, pytest.approx(0.4325, abs=5e-5)) if rate else
                                                 (5, pytest.approx(0.4329, abs=5e-5)))
    assert result.history[-1]["epoch"] == 400
