"""Weight initialisers: (fan_in, fan_out, rng, scale) -> (W, b) (core, layer 0: NumPy only).

Each keeps the variance of signals roughly constant through its nonlinearity: xavier (Glorot &
Bengio 2010, uniform) for sigmoid/tanh, he (He et al. 2015, normal) for the relu family.
`normal` is Nielsen's N(0, 1) for weights and biases; `uniform` is U(−scale, scale) for both, as
in the Marquardt notebook (seed 004). xavier and he start biases at zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Array = np.ndarray
Initializer = Callable[[int, int, np.random.Generator, float], tuple[Array, Array]]


def xavier(fan_in: int, fan_out: int, rng: np.random.Generator, scale: float = 1.0):
    a = scale * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out)), np.zeros(fan_out)


def he(fan_in: int, fan_out: int, rng: np.random.Generator, scale: float = 1.0):
    return scale * np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)


def normal(fan_in: int, fan_out: int, rng: np.random.Generator, scale: float = 1.0):
    return scale * rng.standard_normal((fan_in, fan_out)), scale * rng.standard_normal(fan_out)


def uniform(fan_in: int, fan_out: int, rng: np.random.Generator, scale: float = 1.0):
    return rng.uniform(-scale, scale, size=(fan_in, fan_out)), rng.uniform(-scale, scale, size=fan_out)


INITIALIZERS: dict[str, Initializer] = {"xavier": xavier, "he": he, "normal": normal, "uniform": uniform}
