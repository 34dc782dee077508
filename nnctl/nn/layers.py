"""Layers: `forward` caches exactly what `backward` needs; `backward` returns the input gradient
and assigns (never accumulates) the parameter gradients."""

from __future__ import annotations

import numpy as np

from nnctl.nn.activations import Activation, Softmax

Array = np.ndarray


class Dense:
    """Affine map Z = X @ W + b.  W: (fan_in, fan_out), b: (fan_out,)."""

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
        return X @ self.W + self.b

    def backward(self, dZ: Array) -> Array:
        """dZ: (n, fan_out) -> dX: (n, fan_in). Sets self.dW, self.db."""
        self.dW = self.X.T @ dZ  # BP4
        self.db = dZ.sum(axis=0)  # BP3
        return dZ @ self.W.T  # BP2, before the previous activation's ⊙ σ'(z)


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
