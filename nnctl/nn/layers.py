"""Layers: `forward` caches exactly what `backward` needs; `backward` returns the input gradient
and assigns (never accumulates) the parameter gradients."""

from __future__ import annotations

import numpy as np

from nnctl.nn import constants
from nnctl.nn.activations import Activation, Softmax

Array = np.ndarray


class Dense:
    """Affine map Z = X @ W + b.  W: (fan_in, fan_out), b: (fan_out,).

    In a network, W, b and their gradients dW, db are views into its flat vectors θ and ∇θ
    (see `Sequential`): backward writes the gradients in place.
    """

    def __init__(self, W: Array, b: Array):
        self.W = W
        self.b = b
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b)
        self.X: Array | None = None

    @property
    def fan_in(self) -> int:
        return self.W.shape[0]

    @property
    def fan_out(self) -> int:
        return self.W.shape[1]

    def forward(self, X: Array) -> Array:
        """X: (n, fan_in) -> Z: (n, fan_out). Caches X for backward."""
        self.X = X
        Z = X @ self.W
        Z += self.b
        return Z

    def backward(self, dZ: Array, input_grad: bool = True) -> Array | None:
        """dZ: (n, fan_out) -> dX: (n, fan_in), or None when not `input_grad` (the first layer
        of a network in training: nothing uses dL/dX there). Sets self.dW, self.db."""
        np.matmul(self.X.T, dZ, out=self.dW)  # BP4
        np.dot(constants.ones(dZ.shape[0], dZ.dtype), dZ, out=self.db)  # BP3: Σ over the batch
        return dZ @ self.W.T if input_grad else None  # BP2, before the previous activation's ⊙ σ'(z)


class ActivationLayer:
    """A = f(Z), element-wise (or softmax, row-wise). No parameters."""

    def __init__(self, name: str, f: Activation | Softmax):
        self.name = name
        self.f = f
        self.Z: Array | None = None
        self.A: Array | None = None

    def forward(self, Z: Array) -> Array:
        """Z: (n, k) -> A: (n, k). Caches Z and A: derivatives use either."""
        self.Z = Z
        self.A = self.f.fn(Z)
        return self.A

    def backward(self, dA: Array) -> Array:
        """dA: (n, k) -> dZ: (n, k)."""
        return self.f.backward(self.Z, self.A, dA)
