"""Flat vectors aligned to 64-byte cache lines (core, layer 0: NumPy only).

NumPy aligns large arrays to 16 bytes only. An element-wise ufunc whose output starts inside a
cache line runs at about half speed when its inputs are other arrays (measured, see
benchmarks/README.md), and θ, ∇θ and the optimizers' buffers go through a dozen such passes per
batch.
"""

from __future__ import annotations

import numpy as np

CACHE_LINE = 64  # bytes


def aligned_zeros(size: int, dtype) -> np.ndarray:
    """Zeros (size,) of `dtype` whose first element starts a cache line."""
    dtype = np.dtype(dtype)
    base = np.zeros(size + CACHE_LINE // dtype.itemsize, dtype)
    skip = (-base.ctypes.data % CACHE_LINE) // dtype.itemsize
    return base[skip : skip + size]


def aligned_copy(a: np.ndarray) -> np.ndarray:
    """A copy of `a` (same shape, dtype and values) whose first element starts a cache line."""
    out = aligned_zeros(a.size, a.dtype).reshape(a.shape)
    out[...] = a
    return out
