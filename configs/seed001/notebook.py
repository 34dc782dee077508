"""Seed 001's own training loop, as the notebook runs it (its exercise filled in with the
solution), in float64. tests/test_seed001.py replays it against nnctl step for step, and
docs/make_docs.py draws both for the README.

The notebook's loss is summed over the N samples and divided by N at the end; its learning rate
epsilon = 0.01 on the summed loss is nnctl's lr = 2.0 on the mean, its reg_lambda = 0.01 is
nnctl's l2 = 5e-5 (see configs/seed001-moons.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

Array = np.ndarray


def notebook_step(X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, epsilon: float = 0.01,
                  reg_lambda: float = 0.01) -> tuple[Array, Array, Array, Array]:
    """One pass of build_model's loop. X: (N, 2), y: (N,) class indices, W1: (2, h), b1: (1, h),
    W2: (h, 2), b2: (1, 2); returns the updated (W1, b1, W2, b2)."""
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


def notebook_loss(X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, reg_lambda: float = 0.01) -> float:
    """The notebook's calculate_loss: mean cross-entropy plus reg_lambda/2 · Σ‖W‖² / N."""
    a1 = np.tanh(X.dot(W1) + b1)
    exp_scores = np.exp(a1.dot(W2) + b2)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    data_loss = np.sum(-np.log(probs[range(len(X)), y]))
    data_loss += reg_lambda / 2 * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
    return float(data_loss / len(X))


def initial_weights(init: dict[str, Array]) -> tuple[Array, Array, Array, Array]:
    """seed001/init.npz's W0, b0, W1, b1 as the notebook holds them: biases as (1, h) rows."""
    return init["W0"], init["b0"].reshape(1, -1), init["W1"], init["b1"].reshape(1, -1)


def trajectory(X: Array, y: Array, init: dict[str, Array], passes: int) -> Iterator[tuple[Array, Array, Array, Array]]:
    """The weights (W1, b1, W2, b2) after 0, 1, …, passes passes of the notebook's loop, from
    seed001/init.npz's `init`. (Its own `print_loss` prints, at pass i % 1000 == 0, the loss after
    i + 1 passes; build_model returns the weights after `passes` passes, 20 000 by default.)"""
    weights = initial_weights(init)
    yield weights
    for _ in range(passes):
        weights = notebook_step(X, y, *weights)
        yield weights


def gradient(X: Array, y: Array, weights: tuple[Array, ...]) -> Array:
    """The gradient of the notebook's mean loss (its L2 term included) at `weights`, flattened:
    (17,) for the 2-3-2 network. One pass of its loop at epsilon = 1 moves by the summed gradient."""
    stepped = notebook_step(X, y, *weights, epsilon=1.0)
    return np.concatenate([(w - s).ravel() for w, s in zip(weights, stepped, strict=True)]) / len(X)


def largest_curvature(X: Array, y: Array, weights: tuple[Array, ...], h: float = 1e-5) -> float:
    """The largest eigenvalue of the mean loss's Hessian at `weights`, by central differences of
    `gradient`. Gradient descent at learning rate lr can settle only where it is below 2 / lr."""
    flat = np.concatenate([w.ravel() for w in weights])
    ends = np.cumsum([w.size for w in weights])[:-1]

    def at(v: Array) -> tuple[Array, ...]:
        return tuple(part.reshape(w.shape) for part, w in zip(np.split(v, ends), weights, strict=True))

    hessian = np.array([(gradient(X, y, at(flat + h * e)) - gradient(X, y, at(flat - h * e))) / (2 * h)
                        for e in np.eye(flat.size)])
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])
