"""Helpers for the core's tests: kink-free inputs, small models and targets for every loss."""

from __future__ import annotations

import numpy as np

from nnctl.config import Config
from nnctl.nn.activations import OUTPUT_ACTIVATIONS
from nnctl.nn.losses import LOSSES
from nnctl.nn.network import Model, build_model
from nnctl.nn.optimizers import SGD
from nnctl.training import TrainResult, train

KINK_MARGIN = 1e-3  # ≫ the gradcheck step 1e-6, so no central difference straddles a kink

# (loss, output activation): every loss with its auto output, plus mse after every other output
# activation (sigmoid + mse is Nielsen's network; softmax + mse exercises the softmax Jacobian).
LOSS_SETUPS = [(name, "auto") for name in sorted(LOSSES)] + [
    ("mse", out) for out in sorted(OUTPUT_ACTIVATIONS) if out != LOSSES["mse"].output
]


def away_from_kinks(z: np.ndarray, margin: float = KINK_MARGIN) -> np.ndarray:
    """z with every entry of |z| < margin moved out to ±margin (relu, leaky-relu, elu bend at 0)."""
    return np.where(np.abs(z) < margin, np.where(z < 0, -margin, margin), z)


def make_model(
    sizes: list[int],
    activations: list[str],
    loss_name: str,
    rng: np.random.Generator,
    *,
    output: str = "auto",
    l2: float = 0.0,
) -> Model:
    """The core's `build_model` (fused losses end at the logits, as in training) with weights and
    biases ~ N(0, 0.5²), so biases are nonzero and their gradients are exercised."""
    return build_model(sizes, activations, loss_name, rng, output=output, init="normal", init_scale=0.5, l2=l2)


def make_targets(loss_name: str, n: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Targets of the kind `LOSSES[loss_name]` takes, for an output of `width` columns."""
    if loss_name == "cross-entropy":
        return np.eye(width)[rng.integers(0, width, size=n)]
    if loss_name == "binary-cross-entropy":
        return rng.integers(0, 2, size=(n, width)).astype(np.float64)
    if loss_name == "hinge":
        return rng.choice([-1.0, 1.0], size=(n, width))
    return rng.normal(size=(n, width))


def away_from_hinge_kink(Yhat: np.ndarray, T: np.ndarray, margin: float = KINK_MARGIN) -> np.ndarray:
    """Yhat moved so that no margin t·ŷ lies within `margin` of hinge's kink at 1."""
    return T * (1.0 + away_from_kinks(T * Yhat - 1.0, margin))


def assert_layers_in_theta(model: Model) -> None:
    """Every dense layer's W and b are views into the network's θ and its dW, db into ∇θ, and a
    step of θ moves W and b (so training changes what the layers compute)."""
    net = model.network
    for i, layer in enumerate(net.dense):
        assert np.shares_memory(layer.W, net.theta) and np.shares_memory(layer.b, net.theta), f"layer {i} left θ"
        assert np.shares_memory(layer.dW, net.grad) and np.shares_memory(layer.db, net.grad), f"layer {i} left ∇θ"
        assert np.shares_memory(layer.Wb, net.theta), f"layer {i} computes with weights outside θ"
    before = [(layer.W.copy(), layer.b.copy()) for layer in net.dense]
    grad = net.grad.copy()
    net.grad[...] = 1.0
    SGD().step(net.theta, net.grad, 0.5)
    net.grad[...] = grad
    for layer, (W, b) in zip(net.dense, before, strict=True):
        np.testing.assert_array_equal(layer.W, W - layer.W.dtype.type(0.5))
        np.testing.assert_array_equal(layer.b, b - layer.b.dtype.type(0.5))


_TRAINED: dict[str, TrainResult] = {}


def trained_once(config: Config) -> TrainResult:
    """`train(config)` (no run directory), computed once per test session for equal configs
    (training is deterministic: the same resolved config gives the same result), for tests that
    only read the result: seed 001's 20 000 passes are measured by docs/make_docs.py's check and
    by test_seed001 alike."""
    key = config.to_yaml()
    if key not in _TRAINED:
        _TRAINED[key] = train(config)
    return _TRAINED[key]


_TRAJECTORIES: dict[tuple, list] = {}


def trajectory_once(trajectory, X: np.ndarray, y: np.ndarray, init: dict[str, np.ndarray], passes: int) -> list:
    """list(trajectory(X, y, init, passes)) of configs/seed001/notebook.py, computed once per
    test session for equal inputs (the notebook's loop is deterministic): the weights after
    0 … passes passes, (passes + 1) tuples (W1, b1, W2, b2), which readers must not change."""
    key = (X.tobytes(), y.tobytes(), tuple((k, init[k].tobytes()) for k in sorted(init)), passes)
    if key not in _TRAJECTORIES:
        _TRAJECTORIES[key] = list(trajectory(X, y, init, passes))
    return _TRAJECTORIES[key]
