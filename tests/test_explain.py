"""nnctl explain: the step-by-step passes are the real ones, with the right shapes and values."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.explain import explain
from nnctl.nn.network import Model, build_model


def model_for(loss_name: str, output: str, rng, l2=0.0) -> Model:
    return build_model([2, 4, 3, 2], ["tanh", "relu"], loss_name, rng, output=output, init="xavier", l2=l2)


@pytest.mark.parametrize(("loss_name", "output"), [("cross-entropy", "softmax"), ("mse", "sigmoid")])
def test_recorded_gradients_equal_backprop(loss_name, output, rng):
    model = model_for(loss_name, output, rng, l2=0.1)
    X = rng.normal(size=(3, 2))
    T = np.eye(2)[[0, 1, 1]] if loss_name == "cross-entropy" else rng.uniform(size=(3, 2))
    e = explain(model, X, T)
    expected_loss, _ = model.loss_and_grads(X, T)
    grads = {k: v.copy() for k, v in model.network.grads().items()}
    # the recorded dW before L2 plus λW is backprop's dW
    recorded = {k: v for step in e.backward[:-1] for k, v in step.arrays.items() if k.startswith("d")}
    for i, layer in enumerate(model.network.dense):
        np.testing.assert_allclose(recorded[f"dW{i}"] + 0.1 * layer.W, grads[f"W{i}"], rtol=1e-12)
        np.testing.assert_allclose(recorded[f"db{i}"], grads[f"b{i}"], rtol=1e-12)
    l2_step = e.backward[-1]
    assert l2_step.title == "L2"
    np.testing.assert_allclose(l2_step.arrays["dW0"], grads["W0"], rtol=1e-12)
    # L is the objective that is differentiated: the data term plus the L2 term (issue 14)
    assert float(e.loss.arrays["L"]) == pytest.approx(expected_loss, rel=1e-12)
    assert float(e.loss.arrays["L2 term"]) == pytest.approx(model.penalty(), rel=1e-12) and model.penalty() > 0
    assert float(e.loss.arrays["data term"]) + model.penalty() == pytest.approx(expected_loss, rel=1e-12)


def test_forward_steps_follow_the_equations(rng):
    model = model_for("cross-entropy", "softmax", rng)
    X = rng.normal(size=(1, 2))
    e = explain(model, X, np.array([[0.0, 1.0]]))  # class 1
    first = e.forward[0].arrays
    np.testing.assert_allclose(first["z1"], X @ first["W0"] + first["b0"])
    np.testing.assert_allclose(first["a1"], np.tanh(first["z1"]))
    assert [s.title for s in e.forward] == ["layer 1", "layer 2", "layer 3"]
    assert [s.title for s in e.backward] == ["layer 3", "layer 2", "layer 1"]
    assert e.backward[0].formula.startswith("BP1") and e.backward[1].formula.startswith("BP2")
    p = e.loss.arrays["p"]
    np.testing.assert_allclose(e.loss.arrays["δ3"], p - np.array([[0, 1]]))


def test_cli_explain_json_and_tree(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("data: {name: moons, n_samples: 50}\nmodel: {hidden: [3]}\n")
    runner = CliRunner()
    result = runner.invoke(app, ["explain", str(config), "--samples", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["forward"][0]["arrays"]["z1"]["shape"] == [2, 3]
    assert data["backward"][-1]["arrays"]["dW0"]["shape"] == [2, 3]
    assert len(data["backward"][-1]["arrays"]["dW0"]["values"]) == 2
    tree = runner.invoke(app, ["explain", str(config)])
    assert tree.exit_code == 0 and "BP4" in tree.stdout and "δ1" in tree.stdout
    bad = runner.invoke(app, ["explain", str(config), "--samples", "0"])
    assert bad.exit_code == 2 and "--samples: must be ≥ 1" in bad.stderr
