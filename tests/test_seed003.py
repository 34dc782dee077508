"""Seed 003 replayed: nnctl's mini-batch SGD equals the book's update written out (Nielsen's
network.py: quadratic cost with its ½, sigmoid units, weights drawn N(0, 1)), weight for weight."""

from pathlib import Path

import numpy as np

import nnctl
from nnctl.config import load_config

CONFIG = Path(__file__).parents[1] / "configs" / "seed003-circles.yaml"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_epoch(weights, biases, X, y, eta, m):
    """One epoch of network.py's SGD without shuffling, column vectors: W_l (out, in), b_l (out, 1);
    per example backprop, the gradients summed over each mini-batch (m rows, the last may have
    fewer), a step of eta/len(mini_batch) as the book's."""
    for k in range(0, len(X), m):
        nabla_w = [np.zeros_like(w) for w in weights]
        nabla_b = [np.zeros_like(b) for b in biases]
        for x, t in zip(X[k:k + m], y[k:k + m], strict=True):
            activations = [x.reshape(-1, 1)]
            for w, b in zip(weights, biases, strict=True):
                activations.append(sigmoid(w @ activations[-1] + b))
            a = activations[-1]
            delta = (a - t) * a * (1 - a)  # BP1, C = ½(a − y)²
            for l in range(1, len(weights) + 1):
                if l > 1:
                    a = activations[-l]
                    delta = (weights[-l + 1].T @ delta) * a * (1 - a)  # BP2
                nabla_b[-l] += delta  # BP3
                nabla_w[-l] += delta @ activations[-l - 1].T  # BP4
        weights = [w - eta / len(X[k:k + m]) * nw for w, nw in zip(weights, nabla_w, strict=True)]
        biases = [b - eta / len(X[k:k + m]) * nb for b, nb in zip(biases, nabla_b, strict=True)]
    return weights, biases


def test_nnctl_equals_the_books_mini_batch_update_after_five_epochs(tmp_path):
    eta, epochs = 6.0, 5  # Nielsen's eta is twice nnctl's lr: his cost has the ½, nnctl's mse has not
    config = load_config(CONFIG, ["train.shuffle=false", f"train.epochs={epochs}", "train.checkpoint_every=1",
                                  f"optimizer.lr={eta / 2}", "data.n_samples=400"])
    run = nnctl.train(config, run_dir=tmp_path / "run", quiet=True)
    start = nnctl.load_run(run.path, checkpoint=0).model.network.params()
    assert np.std(start["W0"]) > 0.5  # init: normal, N(0, 1) as the book's
    weights = [start[f"W{i}"].T for i in range(3)]
    biases = [start[f"b{i}"].reshape(-1, 1) for i in range(3)]
    for _ in range(epochs):
        weights, biases = book_epoch(weights, biases, run.dataset.X_train, run.dataset.y_train, eta, 50)
    ours = run.model.network.params()
    moved = max(np.abs(ours["W0"] - start["W0"]).max(), np.abs(ours["W2"] - start["W2"]).max())
    assert moved > 0.1  # the comparison is of weights that learned, not of the start
    for i in range(3):
        np.testing.assert_allclose(ours[f"W{i}"], weights[i].T, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours[f"b{i}"], biases[i][:, 0], rtol=0, atol=1e-12)
