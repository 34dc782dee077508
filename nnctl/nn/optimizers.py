"""Update rules with PyTorch's exact definitions and defaults (torch.optim), and learning-rate
schedules.

An optimizer updates parameters in place: `step(params, grads)` with both dicts keyed by the
parameter names (W0, b0, …). Its state is a flat `dict[str, np.ndarray]` keyed "W0.exp_avg",
"step", …, so it can be saved to an npz and restored exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


class Optimizer:
    """Base: hyper-parameters as attributes, state as a dict of arrays."""

    defaults: dict[str, object] = {}

    def __init__(self, **hyper):
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown arguments {sorted(unknown)}")
        for key, value in {**self.defaults, **hyper}.items():
            setattr(self, key, value)
        self.state: dict[str, Array] = {"step": np.zeros((), dtype=np.int64)}

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        self.state["step"] += 1
        t = int(self.state["step"])
        for name, p in params.items():
            self._update(name, p, grads[name], t)

    def _buffer(self, name: str, p: Array) -> Array:
        """The state array `name`, created as zeros shaped like p on first use."""
        if name not in self.state:
            self.state[name] = np.zeros_like(p)
        return self.state[name]


class SGD(Optimizer):
    """v ← μ v + g (v = g on the first step); p ← p − lr·(g + μ v if nesterov else v).
    Dampening 0. With μ = 0: p ← p − lr·g."""

    defaults = {"lr": 0.1, "momentum": 0.0, "nesterov": False}

    def _update(self, name, p, g, t):
        if self.momentum:
            v = self._buffer(f"{name}.momentum_buffer", p)
            if t == 1:
                v[...] = g
            else:
                v *= self.momentum
                v += g
            g = g + self.momentum * v if self.nesterov else v
        p -= self.lr * g


class Adam(Optimizer):
    """m ← m + (1−β1)(g − m); v ← β2 v + (1−β2) g²;
    p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)."""

    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

    def _update(self, name, p, g, t):
        beta1, beta2 = self.betas
        m = self._buffer(f"{name}.exp_avg", p)
        v = self._buffer(f"{name}.exp_avg_sq", p)
        m += (1.0 - beta1) * (g - m)
        v *= beta2
        v += (1.0 - beta2) * g * g
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2**t) + self.eps
        p -= step_size * (m / denom)


class RMSprop(Optimizer):
    """s ← α s + (1−α) g²; with momentum μ: b ← μ b + g/(√s + eps), p ← p − lr·b;
    else p ← p − lr·g/(√s + eps)."""

    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0}

    def _update(self, name, p, g, t):
        s = self._buffer(f"{name}.square_avg", p)
        s *= self.alpha
        s += (1.0 - self.alpha) * g * g
        direction = g / (np.sqrt(s) + self.eps)
        if self.momentum > 0:
            b = self._buffer(f"{name}.momentum_buffer", p)
            b *= self.momentum
            b += direction
            direction = b
        p -= self.lr * direction


class Adagrad(Optimizer):
    """s ← s + g²; p ← p − lr·g/(√s + eps)."""

    defaults = {"lr": 1e-2, "eps": 1e-10}

    def _update(self, name, p, g, t):
        s = self._buffer(f"{name}.sum", p)
        s += g * g
        p -= self.lr * (g / (np.sqrt(s) + self.eps))


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


@dataclass(frozen=True)
class Schedule:
    """lr(epoch) = fn(lr0, epoch, **params); epoch counts from 0. `params` holds the defaults."""

    fn: Callable[..., float]
    params: dict[str, object] = field(default_factory=dict)


def _cosine(lr0: float, epoch: int, T_max: int, eta_min: float = 0.0) -> float:
    # PyTorch's CosineAnnealingLR in closed form; held at eta_min after T_max
    e = min(epoch, T_max)
    return eta_min + (lr0 - eta_min) * (1.0 + math.cos(math.pi * e / T_max)) / 2.0


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule(lambda lr0, epoch: lr0),
    "step": Schedule(lambda lr0, epoch, step_size, gamma: lr0 * gamma ** (epoch // step_size),
                     {"step_size": 50, "gamma": 0.5}),
    "exponential": Schedule(lambda lr0, epoch, gamma: lr0 * gamma**epoch, {"gamma": 0.99}),
    "cosine": Schedule(_cosine, {"T_max": None, "eta_min": 0.0}),  # T_max None: the run's epochs
    "inverse-time": Schedule(lambda lr0, epoch, decay: lr0 / (1.0 + decay * epoch), {"decay": 0.01}),
}
