"""optimizer.name: lbfgs — full-batch training with SciPy's L-BFGS-B on the flat θ (layer 4,
beside the training loop, which calls `solve` instead of its epochs of mini-batches).

L-BFGS is not an update rule with a learning rate (torch.optim's LBFGS re-evaluates the loss
inside its step): it needs the objective and its gradient at any θ it chooses, and its line
search picks each step's length. `FullBatch` gives it nnctl's fused loss and gradient on the
whole training set (L2 included), the same function every other optimizer descends one batch at
a time; `solve` runs `scipy.optimize.minimize(method="L-BFGS-B", jac=True)` as scikit-learn's
MLPClassifier(solver="lbfgs") does, and hands each accepted iterate to the loop (an iteration is
an epoch: a metrics row, early stopping, divergence, checkpoints). The solver's memory (its last
`maxcor` steps) lives inside SciPy: a resumed run restarts it from the saved θ.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nnctl.nn.network import Model

Array = np.ndarray
# SciPy keeps its iteration counts in C ints: a larger budget (train.epochs may be 1e30) means "no limit"
MAX_ITERATIONS = 2**31 - 1


class FullBatch:
    """The objective L-BFGS minimises: θ (p,) -> (loss + penalty on the whole training set, ∇θ
    (p,) float64), evaluated by the model itself. After a call the network holds that θ, its
    gradients, `value` and `out`, the outputs on the set (n, width), until the next call."""

    def __init__(self, model: Model, X1: Array, T: Array):
        self.model, self.X1, self.T = model, X1, T  # X1: [X, 1] (n, features + 1)
        self.theta = model.network.theta
        self.out: Array | None = None
        self.value = float("nan")
        self.started: float | None = None  # when SciPy first asked (it is imported by then)

    def __call__(self, theta: Array) -> tuple[float, Array]:
        if self.started is None:
            self.started = time.perf_counter()
        np.copyto(self.theta, theta, casting="same_kind")  # float32 networks take SciPy's float64 θ rounded
        value, self.out = self.model.loss_and_grads(self.X1, self.T, ones=True)
        self.value = float(value)
        return self.value, self.model.network.grad.astype(np.float64)

    def at(self, theta: Array) -> None:
        """Make sure the network holds θ and what was computed at it (the last call may have been
        a trial point of the line search)."""
        if self.out is None or not np.array_equal(theta, self.theta):
            self(theta)


def solve(objective: FullBatch, iterations: int, options: dict[str, Any],
          on_iteration: Callable[[Array], bool]) -> Any:
    """Minimise `objective` from the network's θ for at most `iterations` iterations (and
    options["maxfun"] evaluations, line searches included); on_iteration(θ (p,)) is called with
    each accepted iterate and returns True to stop there. Returns SciPy's OptimizeResult."""
    # lazy: SciPy (and threadpoolctl, which scikit-learn brings) load only when a run trains with lbfgs
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    def callback(intermediate_result) -> None:
        if on_iteration(intermediate_result.x):
            raise StopIteration  # SciPy ends the minimisation at this iterate

    start = objective.theta.astype(np.float64)
    # one BLAS thread: L-BFGS-B's own algebra is on maxcor × maxcor matrices, where OpenBLAS's
    # threads cost more than they give (measured on 2 busy cores: 3.5 ms a call of its step
    # instead of 0.6 ms, 6 s instead of 0.3 s for 100 iterations of seed 001's net); lbfgs is
    # for small problems, whose full-batch passes gain little from threads either
    with threadpool_limits(limits=1, user_api="blas"):
        return minimize(objective, start, method="L-BFGS-B", jac=True, callback=callback,
                        options={**options, "maxiter": min(iterations, MAX_ITERATIONS)})
