"""Update rules with PyTorch's exact definitions and defaults (torch.optim), and learning-rate
schedules (core, layer 0: NumPy only).

An optimizer updates one parameter array in place: `step(theta, grad, lr)`. nnctl trains the
whole network as one flat vector θ (every W and b, see `Sequential`), so a step is a handful of
NumPy calls whatever the depth; the update rules are element-wise, so this is the same arithmetic
as updating tensor by tensor. The state is a flat `dict[str, np.ndarray]` ("step", "exp_avg", …)
that `np.savez` can store and `load_state` restore exactly.

The learning rate is the one hyper-parameter an optimizer does not keep: a schedule (`SCHEDULES`)
gives it per epoch and the caller hands it to every `step`, so it has one path and no attribute
to go stale. `defaults` still lists PyTorch's `lr`, the starting value a schedule begins from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnctl.nn.memory import aligned_copy, aligned_zeros

Array = np.ndarray


class Optimizer:
    """Base: hyper-parameters (all but lr) as attributes; the step count t and buffers shaped like θ."""

    defaults: dict[str, object] = {}  # PyTorch's names and defaults; "lr" is the schedule's start, not an argument
    buffers: tuple[str, ...] = ()  # torch's names for the state this rule keeps

    def __init__(self, **hyper):
        if "lr" in hyper:
            raise TypeError(f"{type(self).__name__}: the learning rate goes to each step(theta, grad, lr), not here")
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown arguments {sorted(unknown)}")
        for key, value in {**self.defaults, **hyper}.items():
            if key != "lr":
                setattr(self, key, value)
        self.t = 0
        self._state: dict[str, Array] = {}
        self._scratch: Array | None = None  # room for the step's intermediate values

    def step(self, theta: Array, grad: Array, lr: float) -> None:
        """One update of theta in place from grad (same shape; grad is left unchanged) with
        learning rate lr."""
        if self._scratch is None:
            self._scratch = aligned_zeros(theta.size, theta.dtype).reshape(theta.shape)
            self._state = {name: aligned_copy(self._state.get(name, self._scratch)) for name in self.buffers}
        self.t += 1
        self._update(theta, grad, lr, self.t, self._scratch, *self._state.values())

    @property
    def state(self) -> dict[str, Array]:
        """{"step": t, buffer name: array shaped like θ}: everything the next step depends on."""
        return {"step": np.array(self.t, dtype=np.int64), **self._state}

    def load_state(self, state: dict[str, Array]) -> None:
        """Continue from a saved `state` (as `np.load` returns it)."""
        self.t = int(state["step"])
        self._state = {name: np.array(state[name]) for name in self.buffers if name in state}
        self._scratch = None


class SGD(Optimizer):
    """v ← μ v + g (v = g on the first step); p ← p − lr·(g + μ v if nesterov else v).
    Dampening 0. With μ = 0: p ← p − lr·g."""

    defaults = {"lr": 0.1, "momentum": 0.0, "nesterov": False}

    def __init__(self, **hyper):
        super().__init__(**hyper)
        self.buffers = ("momentum_buffer",) if self.momentum else ()

    def _update(self, p, g, lr, t, scratch, v=None):
        if self.momentum:
            if t == 1:
                v[...] = g
            else:
                v *= self.momentum
                v += g
            if self.nesterov:
                np.multiply(v, self.momentum, out=scratch)
                g = np.add(g, scratch, out=scratch)
            else:
                g = v
        p -= np.multiply(g, lr, out=scratch)


class Adam(Optimizer):
    """m ← m + (1−β1)(g − m); v ← β2 v + (1−β2) g²;
    p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)."""

    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}
    buffers = ("exp_avg", "exp_avg_sq")

    def _update(self, p, g, lr, t, scratch, m, v):
        beta1, beta2 = self.betas
        m += np.multiply(np.subtract(g, m, out=scratch), 1.0 - beta1, out=scratch)
        v *= beta2
        v += np.multiply(np.multiply(g, 1.0 - beta2, out=scratch), g, out=scratch)
        # lr/c1 · m / (√v/c2 + eps) as k · m / (√v + eps·c2), k = lr·c2/c1 (c2 = √(1−β2ᵗ)): the
        # bias corrections folded into two scalars, 11 passes over θ-sized arrays instead of 13
        # (faster: benchmarks/README.md). k is tiny, never huge, for a tiny lr, and 0 for lr 0.
        # torch divides in the first order, so the two round differently in the last bit.
        c1, c2 = 1.0 - beta1**t, math.sqrt(1.0 - beta2**t)
        denom = np.sqrt(v, out=scratch)
        denom += self.eps * c2
        step = np.divide(m, denom, out=scratch)
        step *= lr * c2 / c1
        p -= step


class RMSprop(Optimizer):
    """s ← α s + (1−α) g²; with momentum μ: b ← μ b + g/(√s + eps), p ← p − lr·b;
    else p ← p − lr·g/(√s + eps)."""

    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0}

    def __init__(self, **hyper):
        super().__init__(**hyper)
        self.buffers = ("square_avg", "momentum_buffer") if self.momentum > 0 else ("square_avg",)

    def _update(self, p, g, lr, t, scratch, s, b=None):
        s *= self.alpha
        s += np.multiply(np.multiply(g, 1.0 - self.alpha, out=scratch), g, out=scratch)
        direction = np.sqrt(s, out=scratch)
        direction += self.eps
        np.divide(g, direction, out=direction)
        if b is not None:
            b *= self.momentum
            b += direction
            direction = b
        p -= np.multiply(direction, lr, out=scratch)


class Adagrad(Optimizer):
    """s ← s + g²; p ← p − lr·g/(√s + eps)."""

    defaults = {"lr": 1e-2, "eps": 1e-10}
    buffers = ("sum",)

    def _update(self, p, g, lr, t, scratch, s):
        s += np.multiply(g, g, out=scratch)
        direction = np.sqrt(s, out=scratch)
        direction += self.eps
        p -= np.multiply(np.divide(g, direction, out=direction), lr, out=scratch)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


@dataclass(frozen=True)
class Schedule:
    """lr(epoch) = fn(lr0, epoch, **params); epoch counts from 0. `params` holds the defaults.
    A schedule that reads metrics has a `rule` (Plateau): the training loop keeps one, asks it
    for each epoch's rate and tells it each epoch's metrics; `fn` is then its rate before any cut."""

    fn: Callable[..., float]
    params: dict[str, object] = field(default_factory=dict)
    rule: type | None = None


@dataclass
class Plateau:
    """Keras's ReduceLROnPlateau: after `patience` epochs in a row whose monitored metric did not
    improve on the best so far by more than `min_delta` (a loss must fall below best − min_delta,
    an accuracy rise above best + min_delta), lr ← max(lr·factor, min_lr), then `cooldown` epochs
    in which no epoch counts as waiting. `update` takes each trained epoch's metric (epoch 0, the
    initial weights, is not one) and returns the rate of the next epoch. Its whole state is
    `state`: five numbers that a resume puts back with `load_state`."""

    lr: float  # the rate of the epoch to come
    monitor: str = "val_loss"
    factor: float = 0.1
    patience: int = 10
    min_lr: float = 0.0
    min_delta: float = 1e-4
    cooldown: int = 0
    best: float = math.inf  # the best metric so far, times `sign`: lower is better
    wait: int = 0  # epochs since the best, outside cooldowns
    cooling: int = 0  # cooldown epochs left

    @property
    def sign(self) -> float:
        return -1.0 if self.monitor.endswith("accuracy") else 1.0  # accuracy: higher is better

    def update(self, value: float) -> float:
        """Record one trained epoch's metric `value`; return the next epoch's rate."""
        if self.cooling:
            self.cooling -= 1
            self.wait = 0
        if self.sign * value < self.best - self.min_delta:
            self.best, self.wait = self.sign * value, 0
        elif not self.cooling:
            self.wait += 1
            if self.wait >= self.patience and self.lr > self.min_lr:
                self.lr = max(self.lr * self.factor, self.min_lr)
                self.cooling, self.wait = self.cooldown, 0
        return self.lr

    @property
    def state(self) -> dict[str, float]:
        return {"lr": self.lr, "best": self.best, "wait": self.wait, "cooling": self.cooling}

    def load_state(self, state: dict[str, float]) -> None:
        self.lr, self.best, self.wait, self.cooling = state["lr"], state["best"], state["wait"], state["cooling"]


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
    # Keras's defaults; monitor: one of vocabulary.SUMMARY_METRICS
    "plateau": Schedule(lambda lr0, epoch, **rule: lr0,
                        {"factor": 0.1, "patience": 10, "min_lr": 0.0, "min_delta": 1e-4, "cooldown": 0,
                         "monitor": "val_loss"}, Plateau),
}
