"""Losses, each a mean over the batch, with `value` and `grad`.

Outputs are (n, width); `value`, `grad`, `value_and_grad` and `decode` also take K stacked runs
(K, n, width) (see nnctl.nn): the gradient has the output's shape, and the value is then a list
of K floats, each the one the run's own (n, width) arrays give. `encode` and `scores` (targets
and pictures) are one run's.

Two pairs are fused for stability: softmax + cross-entropy and sigmoid + binary-cross-entropy
take the logits Z of the last dense layer and return dZ = (P − Y) / n directly, so no
exp() of a large logit and no division by a probability near 0 ever happens. For them the
network ends at the last dense layer and the output activation (the `link`) is applied only to
make predictions.

Targets (`encode`): cross-entropy takes one-hot rows; binary-cross-entropy 0/1 (one column for
two classes, one-hot for more); mse one column 0/1 for two classes (Nielsen's and seed 003's
single sigmoid output), one-hot for more, or the real targets of a regression; hinge ±1 with
the first class (in sorted order) as −1.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod

import numpy as np

from nnctl.nn import constants
from nnctl.nn.activations import ACTIVATIONS, Softmax

Array = np.ndarray


def _mean(x: Array) -> float | list[float]:
    """np.mean(x) as a float, bit for bit, without np.mean's Python-level bookkeeping, which
    costs more than the sum on a small batch: the same pairwise sum, divided in x's dtype. For
    stacked runs x: (K, n, w), each run's."""
    if x.ndim == 3:
        return [_mean(run) for run in x]
    return float(np.add.reduce(x, axis=None) / x.size)


def _batch_size(out: Array) -> int:
    """n, the rows of a batch's outputs (n, w) or of each run's (K, n, w)."""
    return out.shape[-2]


def _per_run_size(out: Array) -> int:
    """n · w, the outputs of a batch (n, w) or of each run's (K, n, w)."""
    return out.shape[-2] * out.shape[-1]


def _one_hot(labels: Array, k: int, dtype) -> Array:
    """labels: (n,) ints in [0, k) -> (n, k)."""
    Y = np.zeros((labels.shape[0], k), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


class Loss(ABC):
    """Base: `output` is the output activation chosen by `output_activation: auto`.

    `fused` losses take logits when the output activation is their own `output`.
    `width(k)` is the output width for k classes; `encode` turns class indices (n,) into targets
    T; `decode` turns outputs back into class indices; `scores` into (n, k) class confidences
    in [0, 1] for pictures.
    """

    name: str
    output: str
    fused: bool = False
    classification_only: bool = False
    max_classes: int | None = None

    threshold = 0.5  # between the 0/1 targets of a single output
    score_label = "output, clipped to [0, 1]"  # what `scores` means, for a picture's colour bar

    def width(self, k: int) -> int:
        return 1 if k == 2 else k

    def encode(self, labels: Array, k: int, dtype) -> Array:
        if k == 2:
            return labels.reshape(-1, 1).astype(dtype)
        return _one_hot(labels, k, dtype)

    def decode(self, out: Array) -> Array:
        """out: (n, width) -> (n,) class indices (or (K, n, width) -> (K, n))."""
        if out.shape[-1] == 1:
            return (out[..., 0] > self.threshold).astype(np.int64)
        return out.argmax(axis=-1)

    def scores(self, out: Array) -> Array:
        """out: (n, width) -> (n, k) confidences in [0, 1]."""
        if out.shape[1] == 1:
            p = np.clip(out, 0.0, 1.0)
            return np.hstack([1.0 - p, p])
        return np.clip(out, 0.0, 1.0)

    @abstractmethod
    def value(self, out: Array, T: Array) -> float | list[float]:
        """The loss, a mean over the batch (each subclass names its reduction)."""

    @abstractmethod
    def grad(self, out: Array, T: Array) -> Array:
        """dL/d(out), same shape as out."""

    def value_and_grad(self, out: Array, T: Array) -> tuple[float | list[float], Array]:
        """(value, grad) in one go: what a training step needs (losses share work here)."""
        return self.value(out, T), self.grad(out, T)


class CrossEntropy(Loss):
    """L = mean over samples of −log softmax(Z)[true class] = mean of log Σ_j exp(z_j) − z·y.
    Z: (n, k) logits, T = Y: (n, k) one-hot."""

    name = "cross-entropy"
    output = "softmax"
    score_label = "P(class 1)"
    fused = True
    classification_only = True

    def width(self, k: int) -> int:
        return k

    def encode(self, labels: Array, k: int, dtype) -> Array:
        return _one_hot(labels, k, dtype)

    def decode(self, out: Array) -> Array:
        return out.argmax(axis=-1)

    def scores(self, out: Array) -> Array:
        return Softmax.fn(out)

    @staticmethod
    def _exp_shifted(Z: Array, repeat_sums: bool = False) -> tuple[Array, Array, Array]:
        """D = Z − each row's max (n, k), all ≤ 0, E = exp(D), and E's row sums s (n,), or with
        `repeat_sums` S (n, k), each row's sum in every column, ready to divide E by.

        With the max taken out, large logits cannot overflow. For speed on small batches: the
        max is taken column by column and the sums are products with ones, because NumPy's
        reductions and broadcasts along a short last axis pay per row; with two classes,
        max(Z, Z with its columns swapped) is each row's max in both columns in one call
        (figures in benchmarks/README.md)."""
        k = Z.shape[-1]
        if k == 2:
            D = Z - np.maximum(Z, Z[..., ::-1])
        else:
            D = Z - functools.reduce(np.maximum, np.moveaxis(Z, -1, 0))[..., None]
        E = np.exp(D)
        return D, E, E @ constants.ones((k, k) if repeat_sums else k, Z.dtype)

    @staticmethod
    def _mean_nll(D: Array, Y: Array, s: Array) -> float | list[float]:
        """The mean over rows of log-sum-exp(z) − z·y, as (Σ log s − D·Y) / n with D = Z − row
        max and s = Σ exp(D) per row: the same per row, and both sums are ≥ 0, so their
        difference loses no digits (unlike Σ log-sum-exp(z) − Σ z·y, which cancels when the
        model is confident). D·Y, the true classes' shifted logits, is one dot product. For
        stacked runs (D, Y: (K, n, k), s: (K, n)), each run's."""
        if D.ndim == 3:  # each run's log sum is its own row's pairwise sum, as alone
            logs = np.add.reduce(np.log(s), axis=-1)
            return [float((log - np.vdot(d, y)) / D.shape[1]) for log, d, y in zip(logs, D, Y, strict=True)]
        return float((np.add.reduce(np.log(s)) - np.vdot(D, Y)) / D.shape[0])

    def value(self, Z: Array, T: Array) -> float | list[float]:
        D, _, s = self._exp_shifted(Z)
        return self._mean_nll(D, T, s)

    def grad(self, Z: Array, T: Array) -> Array:
        """dZ = (softmax(Z) − Y) / n."""
        return self.value_and_grad(Z, T)[1]

    def value_and_grad(self, Z: Array, T: Array) -> tuple[float | list[float], Array]:
        D, P, S = self._exp_shifted(Z, repeat_sums=True)
        value = self._mean_nll(D, T, S[..., 0])
        P /= S  # softmax(Z)
        P -= T  # BP1, fused: delta_L = (P − Y) / n, computed in E's array
        P /= _batch_size(Z)
        return value, P


class BinaryCrossEntropy(Loss):
    """L = mean over all elements of −[t log σ(z) + (1 − t) log(1 − σ(z))].  Z, T: (n, w)."""

    name = "binary-cross-entropy"
    output = "sigmoid"
    score_label = "P(class 1)"
    fused = True
    classification_only = True
    threshold = 0.0  # on logits: σ(z) > 0.5 ⇔ z > 0

    def scores(self, Z: Array) -> Array:
        return super().scores(ACTIVATIONS["sigmoid"].fn(Z))

    def value(self, Z: Array, T: Array) -> float | list[float]:
        # −log σ(z)·t − log(1−σ(z))·(1−t) = softplus(z) − t z, with softplus written overflow-free
        return _mean(np.maximum(Z, 0.0) - T * Z + np.log1p(np.exp(-np.abs(Z))))

    def grad(self, Z: Array, T: Array) -> Array:
        """dZ = (σ(Z) − T) / (n·w): BP1, fused (no σ'(Z) and no division by a probability)."""
        return (ACTIVATIONS["sigmoid"].fn(Z) - T) / _per_run_size(Z)


class MeanSquaredError(Loss):
    """L = mean over all elements of (ŷ − y)², as PyTorch's MSELoss and Keras.  Ŷ, T: (n, w).

    Nielsen's quadratic cost (1/2n) Σ‖a − y‖² is this times w/2.
    """

    name = "mse"
    output = "linear"

    def value(self, Yhat: Array, T: Array) -> float | list[float]:
        return self.value_and_grad(Yhat, T)[0]

    def grad(self, Yhat: Array, T: Array) -> Array:
        """dŶ = 2 (Ŷ − T) / (n·w)."""
        return self.value_and_grad(Yhat, T)[1]

    def value_and_grad(self, Yhat: Array, T: Array) -> tuple[float | list[float], Array]:
        D = Yhat - T
        value = _mean(D * D)
        D *= 2.0 / _per_run_size(Yhat)
        return value, D


class Hinge(Loss):
    """L = mean over samples of max(0, 1 − t·ŷ), t = ±1.  Ŷ, T: (n, 1).  Two classes only."""

    name = "hinge"
    output = "linear"
    score_label = "(margin + 1) / 2, clipped to [0, 1]"
    classification_only = True
    max_classes = 2
    threshold = 0.0

    def encode(self, labels: Array, k: int, dtype) -> Array:
        return (2.0 * labels - 1.0).reshape(-1, 1).astype(dtype)

    def scores(self, out: Array) -> Array:
        return super().scores((np.clip(out, -1.0, 1.0) + 1.0) / 2.0)

    def value(self, Yhat: Array, T: Array) -> float | list[float]:
        return _mean(np.maximum(0.0, 1.0 - T * Yhat))

    def grad(self, Yhat: Array, T: Array) -> Array:
        """dŶ = −t / n where the margin t·ŷ < 1, else 0 (the subgradient 0 at the kink)."""
        return np.where(T * Yhat < 1.0, -T, 0.0).astype(Yhat.dtype) / _batch_size(Yhat)


LOSSES: dict[str, Loss] = {
    loss.name: loss for loss in (CrossEntropy(), BinaryCrossEntropy(), MeanSquaredError(), Hinge())
}
