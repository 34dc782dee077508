"""Seed 001 replayed: nnctl's full-batch training equals the notebook's own algorithm, step by step."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from helpers import trained_once, trajectory_once

from nnctl.assemble import build_for
from nnctl.config import load_config
from nnctl.training import Loop

CONFIG = Path(__file__).parents[1] / "configs" / "seed001-moons.yaml"


def load_notebook():
    """configs/seed001/notebook.py: the notebook's own loop (beside its data, not a package)."""
    spec = importlib.util.spec_from_file_location("seed001_notebook", CONFIG.parent / "seed001" / "notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebook = load_notebook()
notebook_step, notebook_loss = notebook.notebook_step, notebook.notebook_loss


def test_seed001_matches_the_notebook_step_for_step():
    config = load_config(CONFIG, ["train.epochs=1000"])
    model, dataset, streams = build_for(config)
    X, y = dataset.X_train, dataset.y_train
    W1, b1, W2, b2 = notebook.initial_weights(np.load(CONFIG.parent / "seed001" / "init.npz"))
    params = model.network.params()
    np.testing.assert_array_equal(params["W0"], W1)
    loop = Loop(config, model, dataset, streams.shuffle)
    steps = 0
    for row in loop.epochs():
        if row["epoch"] == 0:
            assert np.isclose(row["train_loss"], notebook_loss(X, y, W1, b1, W2, b2), rtol=1e-12)
            continue
        # nnctl's row holds the loss measured on this step's batch, before the update
        assert np.isclose(row["train_loss"], notebook_loss(X, y, W1, b1, W2, b2), rtol=1e-10)
        W1, b1, W2, b2 = notebook_step(X, y, W1, b1, W2, b2)
        steps += 1
        for mine, theirs in ((params["W0"], W1), (params["b0"], b1[0]), (params["W1"], W2), (params["b1"], b2[0])):
            np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert steps == 1000


@pytest.mark.slow  # 20 000 passes of nnctl and of the notebook's loop: ~8 s on 2 cores
def test_seed001_ends_on_a_cycle_of_two_one_pass_apart_from_the_notebook():
    # lr 2.0 is past the edge of stability: from about pass 2 300 the weights alternate between
    # two points, and so does the loss. The notebook's loop, whose rounding differs, ends on the
    # same two points one pass apart (README "The seed notebooks", the config's comment).
    config = load_config(CONFIG)
    result = trained_once(config)  # docs/make_docs.py's check reads the same 20 000 passes
    passes, losses = config.train.epochs, [row["train_loss"] for row in result.history]
    final = result.summary["final"]["train_loss"]  # after `passes` passes; row e: after e − 1
    assert abs(final - losses[-1]) > 5e-4  # the two branches, 0.071316 and 0.070758
    assert abs(final - losses[-2]) < 1e-9 and abs(losses[-1] - losses[-3]) < 1e-9  # a period of two
    assert result.summary["final"]["train_accuracy"] == result.history[-1]["train_accuracy"] == 0.975
    dataset = result.dataset
    *_, one_before, last = trajectory_once(notebook.trajectory, dataset.X_train, dataset.y_train,
                                           dict(np.load(CONFIG.parent / "seed001" / "init.npz")), passes)
    params = result.model.network.params()
    mine = (params["W0"], params["b0"], params["W1"], params["b1"])
    # nnctl after `passes` passes is where the notebook was one pass before, and vice versa
    for theirs, nnctl_loss in ((one_before, final), (last, losses[-1])):
        assert np.isclose(notebook_loss(dataset.X_train, dataset.y_train, *theirs), nnctl_loss, rtol=0, atol=1e-9)
    apart = [np.abs(w - theirs.reshape(w.shape)).max() for w, theirs in zip(mine, one_before, strict=True)]
    same_count = [np.abs(w - theirs.reshape(w.shape)).max() for w, theirs in zip(mine, last, strict=True)]
    assert max(apart) < 1e-4 < 0.05 < max(same_count)  # weights of size 5: one cycle, one pass apart


def test_seed001_is_past_the_edge_of_stability_before_its_bursts():
    # the loss's largest curvature grows past 2/lr = 1 around pass 900 (README): gradient descent
    # at lr 2.0 cannot settle there, and the loss bursts near pass 1 200
    config = load_config(CONFIG)
    _, dataset, _ = build_for(config)
    X, y, lr = dataset.X_train, dataset.y_train, config.optimizer.params["lr"]
    init = dict(np.load(CONFIG.parent / "seed001" / "init.npz"))
    curvature = {k: notebook.largest_curvature(X, y, w) for k, w in enumerate(notebook.trajectory(X, y, init, 1100))
                 if k in (500, 1100)}
    assert curvature[500] < 0.9 < 1.0 == 2 / lr < 1.03 < curvature[1100]
