"""Activation functions and their derivatives, keyed by their YAML names (core, layer 0: NumPy only).

Each derivative takes both the pre-activation z and the activation a = f(z): sigmoid and tanh
are cheapest from a (no second exp), relu, elu and softplus from z. Softmax is not element-wise;
its backward is a vector-Jacobian product and it is only offered as an output activation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

LEAKY_RELU_SLOPE = 0.01  # PyTorch's default negative_slope
ELU_ALPHA = 1.0  # PyTorch's default alpha


@dataclass(frozen=True)
class Activation:
    """An activation f applied element-wise, with f'(z) given (z, a = f(z)).

    - fn: z (n, k) -> a (n, k)
    - grad: (z, a) -> f'(z) (n, k); relu's is boolean (z > 0), which multiplies in one pass
    - init: the initialiser that keeps signals at unit scale through this nonlinearity
    """

    fn: Callable[[Array], Array]
    grad: Callable[[Array, Array], Array]
    init: str

    def backward(self, z: Array, a: Array, da: Array, out: Array | None = None) -> Array:
        """dL/dz = dL/da ⊙ f'(z)  (the ⊙ σ'(z) of BP1 and BP2), into `out` when given (may be da)."""
        return np.multiply(da, self.grad(z, a), out=out)


def _sigmoid(z: Array) -> Array:
    # tanh form: exact, and no overflow warning for large |z| as 1 / (1 + exp(-z)) gives
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softplus(z: Array) -> Array:
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|), which cannot overflow
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _elu(z: Array) -> Array:
    return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(_sigmoid, lambda z, a: a * (1.0 - a), init="xavier"),
    "tanh": Activation(np.tanh, lambda z, a: 1.0 - a * a, init="xavier"),
    "relu": Activation(lambda z: np.maximum(z, 0.0), lambda z, a: z > 0, init="he"),
    "leaky-relu": Activation(
        lambda z: np.where(z > 0, z, LEAKY_RELU_SLOPE * z),
        lambda z, a: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype),
        init="he",
    ),
    "elu": Activation(_elu, lambda z, a: np.where(z > 0, 1.0, a + ELU_ALPHA).astype(z.dtype), init="he"),
    "softplus": Activation(_softplus, lambda z, a: _sigmoid(z), init="he"),
    "linear": Activation(lambda z: z, lambda z, a: np.ones_like(z), init="xavier"),
}


# NumPy's reductions along a short last axis pay per row (z.max(axis=1) on 1024 × 2: ~25 µs, the
# same column by column: ~3); below 8 columns its row sum adds the columns in order (its pairwise
# sum starts at 8), so these give the same bits as z.max(axis=1) and z.sum(axis=1)
SHORT_ROW = 8


def row_max(z: Array) -> Array:
    """z: (n, k) -> (n,) each row's max, as z.max(axis=1) (or stacked (K, n, k) -> (K, n))."""
    return functools.reduce(np.maximum, np.moveaxis(z, -1, 0)) if z.shape[-1] < SHORT_ROW else z.max(axis=-1)


def row_sum(z: Array) -> Array:
    """z: (n, k) -> (n,) each row's sum, bit for bit as z.sum(axis=1) (or stacked (K, n, k) -> (K, n))."""
    return functools.reduce(np.add, np.moveaxis(z, -1, 0)) if z.shape[-1] < SHORT_ROW else z.sum(axis=-1)


class Softmax:
    """Row-wise softmax, an output activation. Not element-wise, so it has no `grad`."""

    init = "xavier"

    @staticmethod
    def fn(z: Array) -> Array:
        """z: (n, k) -> p: (n, k), rows summing to 1."""
        # shift by the row max so exp() cannot overflow; the result is unchanged
        e = np.exp(z - row_max(z)[..., None])
        e /= row_sum(e)[..., None]
        return e

    @staticmethod
    def backward(z: Array, a: Array, da: Array, out: Array | None = None) -> Array:
        """dL/dz = a ⊙ (da − Σ_j da_j a_j), the softmax Jacobian-vector product, row by row, into
        `out` when given (may be da)."""
        return np.multiply(a, da - (da * a).sum(axis=-1, keepdims=True), out=out)


OUTPUT_ACTIVATIONS: dict[str, Activation | Softmax] = {
    "softmax": Softmax(),
    "sigmoid": ACTIVATIONS["sigmoid"],
    "tanh": ACTIVATIONS["tanh"],
    "linear": ACTIVATIONS["linear"],
}
