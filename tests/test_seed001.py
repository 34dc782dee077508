"""Seed 001 replayed: nnctl's full-batch training equals the notebook's own algorithm, step by step."""

from pathlib import Path

import numpy as np

from nnctl.assemble import build_for
from nnctl.config import load_config
from nnctl.training import Loop

CONFIG = Path(__file__).parents[1] / "configs" / "seed001-moons.yaml"


def notebook_step(X, y, W1, b1, W2, b2, epsilon=0.01, reg_lambda=0.01):
    """One pass of seed 001's build_model loop, with the exercise filled in as its solution."""
    n = len(X)
    a1 = np.tanh(X.dot(W1) + b1)
    exp_scores = np.exp(a1.dot(W2) + b2)
    delta3 = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    delta3[range(n), y] -= 1
    dW2 = a1.T.dot(delta3)
    db2 = np.sum(delta3, axis=0, keepdims=True)
    delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
    dW1 = np.dot(X.T, delta2)
    db1 = np.sum(delta2, axis=0)
    dW2 += reg_lambda * W2
    dW1 += reg_lambda * W1
    return W1 - epsilon * dW1, b1 - epsilon * db1, W2 - epsilon * dW2, b2 - epsilon * db2


def notebook_loss(X, y, W1, b1, W2, b2, reg_lambda=0.01):
    """Seed 001's calculate_loss."""
    a1 = np.tanh(X.dot(W1) + b1)
    exp_scores = np.exp(a1.dot(W2) + b2)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    data_loss = np.sum(-np.log(probs[range(len(X)), y]))
    data_loss += reg_lambda / 2 * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
    return data_loss / len(X)


def test_seed001_matches_the_notebook_step_for_step():
    config = load_config(CONFIG, ["train.epochs=1000"])
    model, dataset, streams = build_for(config)
    X, y = dataset.X_train, dataset.y_train
    init = np.load(CONFIG.parent / "seed001" / "init.npz")
    W1, b1, W2, b2 = init["W0"], init["b0"].reshape(1, -1), init["W1"], init["b1"].reshape(1, -1)
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
