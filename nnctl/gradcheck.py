"""Central-difference gradient checking, one whole tensor at a time (layer 4).

For each parameter tensor (and the input X) the check compares the analytic gradient from
backprop with the numerical one, (f(θ + ε) − f(θ − ε)) / 2ε element by element, using

    error = ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖)

over the whole tensor. Per element the relative error of a correct gradient reaches 1e-2 on tiny
entries from rounding alone; the whole-tensor one stays near 1e-9 in float64, and planted bugs
give 1e-4 or more. The objective includes the L2 and L1 penalties, so their gradients are
checked too (L1's subgradient λ sign(W) only away from W = 0, where |W| > ε; with loss.l1_clip the
L1 term is a step of its own, not part of the gradient, and is left out). With model.dropout the
objective is that of one fixed set of masks (drawn from MASK_SEED), the same in every evaluation:
the gradient of the network training samples, for one draw.

The step ε is kept within EPSILON_RANGE. Measured on configs/moons.yaml (2-16-16-2 tanh, its
initial weights, 8 samples), the largest whole-tensor error of its correct gradients is 5e-4 at
ε = 1e-12 and 5e-5 at 1e-11 (rounding), 5e-6 at 1e-10, 5e-10 at 1e-6, 2.5e-5 at 1e-2 and 2.5e-3
at 1e-1 (truncation). Within 1e-10 … 1e-2 a correct gradient's error stays 4 to 20 times below
a planted bug's 1e-4; beyond, it reaches it. At 1e-300 the step vanishes (θ ± ε == θ), every
numeric gradient is 0 and the rounding allowance below is 1e286: everything passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnctl.assemble import encode_targets
from nnctl.errors import NnctlError
from nnctl.nn.network import Model
from nnctl.runs import load_source

Array = np.ndarray
EPSILON_RANGE = (1e-10, 1e-2)  # central-difference steps that can tell a bug from rounding (see above)
MASK_SEED = 0  # dropout's one fixed set of masks comes from default_rng(MASK_SEED)


@dataclass(frozen=True)
class TensorCheck:
    """The check of one tensor: its name ("W0", …, or "X"), shape, error and verdict."""

    name: str
    shape: tuple[int, ...]
    error: float
    max_abs_diff: float
    passed: bool


class Checks(list):
    """The TensorChecks of one gradient check, in order, and `notes`: what was checked beyond the
    plain objective (a fixed dropout mask, L1 left out), for the output to say."""

    def __init__(self, checks=(), notes=()):
        super().__init__(checks)
        self.notes = list(notes)


def fixed_masks(model: Model, n: int) -> list[Array | None] | None:
    """Dropout's masks for n samples, one fixed draw (MASK_SEED), or None without dropout: what
    gradcheck and explain run the network with."""
    return model.draw_masks(np.random.default_rng(MASK_SEED), n)


def regularizer_notes(model: Model, masks: list[Array | None] | None) -> list[str]:
    """Sentences saying how dropout and L1 enter a check or an explanation of this model."""
    notes = []
    if masks is not None:
        kept = ", ".join(f"layer {i + 1}: {np.count_nonzero(m)}/{m.size}" for i, m in enumerate(masks)
                         if m is not None)
        notes.append(f"model.dropout: one fixed mask per hidden layer (drawn from seed {MASK_SEED}; units kept, "
                     f"{kept}, scaled by 1/(1 − p)), the same in every evaluation")
    if model.l1 and model.l1_clip:
        notes.append("loss.l1_clip: the L1 term is a step of its own after the optimizer's, not part of the "
                     "gradient: left out here")
    elif model.l1:
        notes.append("loss.l1: its subgradient λ·sign(W) matches central differences only for |W| > ε")
    return notes


def rel_error(analytic: Array, numeric: Array) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), and 0 when both are exactly zero."""
    denom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if denom == 0 else float(np.linalg.norm(analytic - numeric) / denom)


def numerical_grad(f, x: Array, epsilon: float = 1e-6) -> Array:
    """dF/dx by central differences; f() reads x, which is perturbed in place and restored."""
    grad = np.zeros_like(x)
    # index x itself: x.reshape(-1) is a copy, not a view, when x is non-contiguous (x.T, a slice)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + epsilon
        f_plus = f()
        x[i] = old - epsilon
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * epsilon)
    return grad


def check_settings(epsilon: float, tolerance: float, batch: int = 1) -> None:
    """Refuse a step outside EPSILON_RANGE, a tolerance that would pass every gradient (outside
    0 ≤ tolerance < 1: the error is at most 1) and a batch of no samples, naming the option."""
    low, high = EPSILON_RANGE
    if not low <= epsilon <= high:
        raise NnctlError(f"--epsilon {epsilon:g}: outside {low:g} … {high:g} (smaller steps drown in rounding, "
                         "larger ones in truncation; the default is 1e-6)")
    if not 0 <= tolerance < 1:
        raise NnctlError(f"--tolerance {tolerance:g}: must be ≥ 0 and < 1 (the relative error is at most 1, "
                         "so 1 would pass any gradient; the default is 1e-6)")
    if batch < 1:
        raise NnctlError(f"--batch: must be ≥ 1, got {batch}")


def check_gradients(
    model: Model, X: Array, T: Array, *, epsilon: float = 1e-6, tolerance: float = 1e-6
) -> Checks:
    """Check dL/dθ for every parameter tensor and dL/dX, in the model's current state.

    X: (n, features); T: targets as the model's loss encodes them. Run it in float64: in
    float32 central differences lose most of their digits. A tensor passes when its error is
    at most `tolerance`, or when analytic and numeric differ only by rounding noise (see below).
    With dropout, through one fixed set of masks (`fixed_masks`); the result's notes say so.
    """
    check_settings(epsilon, tolerance)
    X = X.copy()
    masks = fixed_masks(model, X.shape[0])
    objective = lambda: model.objective(X, T, masks, differentiated=True)
    value, _ = model.loss_and_grads(X, T, masks=masks)
    # A gradient that is exactly zero (hinge's db when the ±1 margins cancel) meets the numeric
    # one's rounding noise, about eps·|f|/ε, and its relative error is 1: accept differences
    # within that noise. An error of 1 means the two point in opposite directions (or one is
    # zero), so |a − n| = |a| + |n| element by element: it passes only when both gradients are
    # zero within the noise, which EPSILON_RANGE keeps small (at ε = 1e-300 it was 1e286).
    noise = 100 * np.finfo(np.float64).eps * max(1.0, abs(value)) / epsilon
    analytic = {name: g.copy() for name, g in model.network.grads().items()}
    # dL/dX: backward already returned it once; recompute to keep loss_and_grads's signature lean
    out = model.network.forward(X, masks=masks)
    analytic["X"] = model.network.backward(model.loss.grad(out, T))
    targets = {**model.network.params(), "X": X}
    checks = []
    for name, tensor in targets.items():
        numeric = numerical_grad(objective, tensor, epsilon)
        error = rel_error(analytic[name], numeric)
        max_abs_diff = float(np.max(np.abs(analytic[name] - numeric))) if numeric.size else 0.0
        checks.append(TensorCheck(name, tuple(tensor.shape), error, max_abs_diff,
                                  bool(error <= tolerance or max_abs_diff <= noise)))
    return Checks(checks, regularizer_notes(model, masks))


def check_source(
    source, overrides=(), *, epsilon: float = 1e-6, tolerance: float = 1e-6, batch: int = 8
) -> Checks:
    """`nnctl gradcheck`: a config (its initial weights) or a run directory (its trained
    weights), the first `batch` training samples, everything in float64 (a run trained in
    float32 is copied into a float64 model)."""
    check_settings(epsilon, tolerance, batch)
    model, dataset = load_source(source, overrides, dtype=np.float64)
    X = dataset.X_train[:batch].astype(np.float64)
    T = encode_targets(model, dataset, dataset.y_train[:batch])
    if dataset.task == "regression":
        T = T.astype(np.float64)
    with np.errstate(all="ignore"):  # a diverged run's weights: the table says what failed
        return check_gradients(model, X, T, epsilon=epsilon, tolerance=tolerance)
