"""From a config or a run directory to a model and its data: assemble.build_for,
assemble.trained_model and runs.load_source, the one path that gradcheck and explain take; and
that every model they and training hand out computes with its network's θ."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import assert_layers_in_theta

import nnctl.gradcheck
from nnctl import load_config
from nnctl.assemble import build_for
from nnctl.errors import NnctlError
from nnctl.explain import explain_source
from nnctl.files import load_npz
from nnctl.gradcheck import check_source
from nnctl.runs import load_run, load_source
from nnctl.training import prepare, train

TINY = {
    "data": {"name": "moons", "n_samples": 120},
    "model": {"hidden": [4, 3]},
    "loss": {"name": "cross-entropy", "l2": 0.01},
    "optimizer": {"name": "adam", "lr": 0.05},
    "train": {"epochs": 3, "batch_size": 16},
    "output": {"plots": []},
}


def tiny_run(tmp_path: Path, dtype: str = "float32") -> Path:
    run = tmp_path / f"run-{dtype}"
    train(load_config({**TINY, "dtype": dtype}), run)
    return run


def test_gradcheck_of_a_float32_run_checks_a_float64_copy_that_is_its_own_theta(tmp_path, monkeypatch):
    run = tiny_run(tmp_path)
    seen, check = [], nnctl.gradcheck.check_gradients

    def spy(model, *args, **kwargs):
        seen.append(model)
        return check(model, *args, **kwargs)

    monkeypatch.setattr(nnctl.gradcheck, "check_gradients", spy)
    assert all(c.passed for c in check_source(run))
    (model,) = seen
    assert model.network.theta.dtype == np.float64
    saved = load_npz(run / "model.npz")
    for name, array in model.network.params().items():
        assert saved[name].dtype == np.float32
        np.testing.assert_array_equal(array, saved[name].astype(np.float64))
    assert_layers_in_theta(model)


def test_a_run_directory_gives_its_trained_weights_in_the_asked_dtype(tmp_path):
    run = tiny_run(tmp_path)
    saved = load_npz(run / "model.npz")
    as_trained, dataset = load_source(run)
    wider, _ = load_source(run, dtype=np.float64)
    assert as_trained.network.theta.dtype == np.float32 and wider.network.theta.dtype == np.float64
    for name in saved:
        np.testing.assert_array_equal(as_trained.network.params()[name], saved[name])
        np.testing.assert_array_equal(wider.network.params()[name], saved[name].astype(np.float64))
    np.testing.assert_array_equal(dataset.X_train, load_run(run).dataset.X_train)
    assert_layers_in_theta(as_trained)
    assert_layers_in_theta(wider)


def test_a_config_gives_its_initial_weights_and_data_with_overrides_applied(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    model, dataset = load_source(path, ["seed=3"], dtype=np.float32)
    expected, expected_data, _ = build_for(load_config(path, ["seed=3", "dtype=float32"]))
    assert model.network.theta.dtype == np.float32
    np.testing.assert_array_equal(model.network.theta, expected.network.theta)
    np.testing.assert_array_equal(dataset.X_train, expected_data.X_train)
    assert_layers_in_theta(model)


def test_overrides_do_not_apply_to_a_run_directory(tmp_path):
    with pytest.raises(NnctlError, match=r"^--set: applies to a config, not to a run directory$"):
        load_source(tiny_run(tmp_path), ["seed=1"])


def test_explain_and_gradcheck_start_from_the_same_model(tmp_path):
    run = tiny_run(tmp_path, "float64")
    explained = explain_source(run)
    model, _ = load_source(run)
    np.testing.assert_array_equal(explained.forward[0].arrays["W0"], model.network.params()["W0"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_and_loading_keep_every_layer_in_theta(dtype, tmp_path):
    loop = prepare(load_config({**TINY, "dtype": dtype}))
    assert_layers_in_theta(loop.model)
    result = train(load_config({**TINY, "dtype": dtype}), tmp_path / "run")
    assert_layers_in_theta(result.model)
    assert_layers_in_theta(load_run(tmp_path / "run").model)
