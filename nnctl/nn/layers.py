"""Layers: `forward` caches exactly what `backward` needs; `backward` returns the input gradient
and assigns (never accumulates) the parameter gradients."""

from __future__ import annotations

import math

import numpy as np

from nnctl.nn.activations import Activation, Softmax

Array = np.ndarray

CACHED_ROWS = 1024  # Dense keeps an [X, 1] buffer for each batch size up to this many rows
CACHED_SIZES = 8  # … for this many distinct sizes (batch, last batch, evaluation chunks)


def with_ones(X: Array) -> Array:
    """X: (n, d) -> [X, 1]: (n, d + 1), a new array: the input form Dense computes with. The
    training loop keeps its data so, and each batch, a slice of it, goes in without a copy."""
    X1 = np.empty((X.shape[0], X.shape[1] + 1), X.dtype)
    X1[:, :-1] = X
    X1[:, -1] = 1.0
    return X1


class InputBuffers(dict):
    """n -> (X1, X1's first fan_in columns): an (n, fan_in + 1) array whose last column is 1,
    made on the first input of n rows and reused, so Dense's forward copies X in and allocates
    nothing. Kept: the CACHED_SIZES sizes of at most CACHED_ROWS rows seen last (the oldest
    goes first), and of larger ones (a full batch, a picture's grid) only the last. Stacked
    runs' inputs (K, n, fan_in) are keyed (K, n): K·n rows."""

    def __init__(self, fan_in: int, dtype):
        super().__init__()
        self.fan_in, self.dtype = fan_in, dtype
        self.large: int | tuple[int, int] | None = None  # the one size above CACHED_ROWS held

    def __missing__(self, n: int | tuple[int, int]) -> tuple[Array, Array]:
        shape = (n,) if isinstance(n, int) else n
        if math.prod(shape) > CACHED_ROWS:
            self.pop(self.large, None)
            self.large = n
        elif len(self) - (self.large is not None) == CACHED_SIZES:
            del self[next(size for size in self if size != self.large)]  # the oldest
        X1 = np.ones((*shape, self.fan_in + 1), self.dtype)
        self[n] = found = X1, X1[..., :-1]
        return found


class Dense:
    """Affine map Z = X @ W + b = [X, 1] @ [W; b].  W: (fan_in, fan_out), b: (fan_out,).

    W and b are the rows of one (fan_in + 1, fan_out) matrix Wb = [W; b] (the bias-as-extra-row
    form), and dW, db those of dWb. The input goes into a buffer X1 = [X, 1] (n, fan_in + 1)
    whose last column is ones (one per batch size, in `buffers`), so forward is one matmul, and
    BP4 and BP3 are one matmul too: X1.T @ dZ = [X.T @ dZ; Σ over the batch of dZ] = [dW; db].
    In a network, Wb and dWb are views into its flat vectors θ and ∇θ (see `Sequential`):
    backward writes the gradients in place. W, b, dW and db are views of Wb and dWb that cannot
    be assigned, so no layer leaves θ.
    """

    def __init__(self, W: Array, b: Array):
        self.X1: Array | None = None
        Wb = np.vstack([W, b])
        self.bind(Wb, np.zeros_like(Wb))

    def bind(self, Wb: Array, dWb: Array) -> None:
        """Use Wb, dWb (fan_in + 1, fan_out) as [W; b] and [dW; db] from now on; stacked runs'
        (K, fan_in + 1, fan_out) (see nnctl.nn)."""
        self.Wb, self.dWb = Wb, dWb
        self._W, self._b, self._dW, self._db = Wb[..., :-1, :], Wb[..., -1, :], dWb[..., :-1, :], dWb[..., -1, :]
        self.buffers = InputBuffers(Wb.shape[-2] - 1, Wb.dtype)

    # Views, written into (W[...] = …), never assigned: a new array would leave θ and ∇θ
    W = property(lambda self: self._W, doc="(fan_in, fan_out): the rows of Wb but its last")
    b = property(lambda self: self._b, doc="(fan_out,): the last row of Wb")
    dW = property(lambda self: self._dW, doc="(fan_in, fan_out): the rows of dWb but its last")
    db = property(lambda self: self._db, doc="(fan_out,): the last row of dWb")

    @property
    def fan_in(self) -> int:
        return self._W.shape[-2]

    @property
    def fan_out(self) -> int:
        return self._W.shape[-1]

    def forward(self, X: Array, ones: bool = False) -> Array:
        """X: (n, fan_in) -> Z: (n, fan_out), or X = [X, 1] (n, fan_in + 1) when `ones` (used
        as it is). Caches [X, 1] for backward."""
        if ones:
            X1 = X
        else:
            X1, X_part = self.buffers[X.shape[0] if X.ndim == 2 else X.shape[:-1]]
            np.copyto(X_part, X)
        self.X1 = X1
        return X1 @ self.Wb

    def backward(self, dZ: Array, input_grad: bool = True) -> Array | None:
        """dZ: (n, fan_out) -> dX: (n, fan_in), or None when not `input_grad` (the first layer
        of a network in training: nothing uses dL/dX there). Sets self.dW, self.db."""
        # BP4  dW = X.T @ dZ  and  BP3  db = Σ over the batch of dZ, as one product (one BLAS
        # call instead of a product and a reduction): [X, 1].T @ dZ = [X.T @ dZ; 1.T @ dZ] = [dW; db]
        np.matmul(self.X1.swapaxes(-1, -2), dZ, out=self.dWb)
        return dZ @ self._W.swapaxes(-1, -2) if input_grad else None  # BP2, before the previous activation's ⊙ σ'(z)


class ActivationLayer:
    """A = f(Z), element-wise (or softmax, row-wise), times a dropout mask M when one is given.
    No parameters."""

    def __init__(self, name: str, f: Activation | Softmax):
        self.name = name
        self.f = f
        self.Z: Array | None = None
        self.A: Array | None = None  # f(Z), before any mask: the derivatives read it
        self.mask: Array | None = None  # the mask of the last forward pass, or None

    def forward(self, Z: Array, mask: Array | None = None) -> Array:
        """Z: (n, k) -> A: (n, k), or A ⊙ M with a dropout mask M: (n, k) (see `dropout_mask`).
        Caches Z, A and M: derivatives use them."""
        self.Z, self.mask = Z, mask
        self.A = self.f.fn(Z)
        return self.A if mask is None else self.A * mask

    def backward(self, dA: Array, in_place: bool = False) -> Array:
        """dA: (n, k) -> dZ: (n, k), written over dA when `in_place` (for a caller that owns dA
        and needs it no more: no new (n, k) array, the larger part of relu's backward on a wide
        layer; figures in benchmarks/README.md). With a mask M: dZ = (dA ⊙ M) ⊙ f'(Z)."""
        if self.mask is not None:
            dA = np.multiply(dA, self.mask, out=dA if in_place else None)
            in_place = True  # dA is now an array of its own
        return self.f.backward(self.Z, self.A, dA, out=dA if in_place else None)


def dropout_mask(rng: np.random.Generator, shape: tuple[int, int], p: float, dtype) -> Array:
    """Inverted dropout's mask M: (n, k): each entry 1/(1 − p) with probability 1 − p, else 0
    (kept where a uniform draw u ≥ p), so E[A ⊙ M] = A and evaluation needs no rescaling.
    Draws n·k float64 uniforms from rng whatever the dtype, so float32 and float64 runs drop the
    same units."""
    keep = rng.random(shape) >= p
    dtype = np.dtype(dtype)
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))
