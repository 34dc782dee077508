"""Read-only arrays of ones made once per shape (core, layer 0: NumPy only).

A sum over a short axis is faster as a product with a ones vector (`ones(n) @ dZ`, one BLAS call)
than as NumPy's reduction, whose per-row overhead dominates batches of tens of samples.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def ones(shape: int | tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Ones of `dtype`: `ones(n) @ A` sums A's rows, `A @ ones(k)` its columns, and
    `A @ ones((k, k))` repeats each row's sum in all k columns."""
    return _frozen(np.ones(shape, dtype=dtype))


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
