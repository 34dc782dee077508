"""nnctl's optimizer lbfgs against scikit-learn's MLPClassifier(solver="lbfgs") (issue 16).

    .venv/bin/python benchmarks/lbfgs.py [--runs 5]

Both run SciPy's L-BFGS-B on the same training rows, from the same initial weights (nnctl's,
preset in MLPClassifier's coefs_/intercepts_ after a one-iteration fit, kept by warm_start),
with the same iteration budget (train.epochs = max_iter), gtol = tol = 1e-5 and no L2 (alpha 0).
For two classes MLPClassifier has one logistic output: nnctl runs the same network with
loss: binary-cross-entropy (one sigmoid unit); for ten, both have softmax and cross-entropy.

- seed001: seed 001's data (configs/seed001-moons.yaml: 200 moons, noise 0.2), 2-3-1 tanh,
  budget 200 iterations (both converge before it).
- digits: the 1797 8×8 digits, standardised, all of them training rows, 64-64-10
  tanh, budget 200 iterations.

Timed, in one process, `runs` interleaved rounds after an untimed warm-up (imports):
nnctl's `fit(loop)` on a prepared loop (the data made and the model initialised, as
MLPClassifier's are before `fit`), which includes a metrics row per iteration (the training
loss and accuracy of the iterate, its gradient norms); MLPClassifier's `fit(X, y)`, as is (its
BLAS threads as the environment sets them) and under `threadpool_limits(1)`, which nnctl's
solver sets for itself (nnctl/lbfgs.py says why). Prints median and best seconds, the final
training loss and the iterations each ran, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]  # this tree's nnctl, and timing.py

from threadpoolctl import threadpool_limits  # noqa: E402
from timing import timed  # noqa: E402

from nnctl.config import load_config  # noqa: E402
from nnctl.training import fit, prepare  # noqa: E402

SEED001 = HERE.parent.parent / "configs" / "seed001-moons.yaml"
BUDGET = 200


def seed001() -> dict:
    raw = load_config(SEED001).to_dict()
    raw["model"].pop("init_from")  # nnctl's own initial weights, given to both
    raw["loss"] = {"name": "binary-cross-entropy", "l2": 0.0}
    return raw


def digits() -> dict:
    return {"name": "digits", "data": {"name": "digits", "standardize": True, "validation_fraction": 0.0},
            "model": {"hidden": [64], "activation": "tanh"}, "loss": {"name": "cross-entropy", "l2": 0.0}}


PROBLEMS = {"seed001 (200 moons, 2-3-1 tanh)": seed001, "digits (1797 rows, 64-64-10 tanh)": digits}


def lbfgs_config(raw: dict) -> dict:
    return {**raw, "optimizer": {"name": "lbfgs", "gtol": 1e-5},
            "train": {"epochs": BUDGET, "batch_size": "full", "shuffle": False}, "output": {"plots": []}}


def sklearn_model(params: dict, hidden: list[int], X, y):
    """MLPClassifier from nnctl's initial weights (W0, b0, W1, b1), ready for a timed fit."""
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(hidden), activation="tanh", solver="lbfgs", alpha=0.0, max_iter=1,
                        warm_start=True, tol=1e-5, random_state=0)
    clf.fit(X, y)
    clf.max_iter = BUDGET
    clf.coefs_ = [params[f"W{i}"].copy() for i in range(len(hidden) + 1)]
    clf.intercepts_ = [params[f"b{i}"].copy() for i in range(len(hidden) + 1)]
    return clf


def measure(make, runs: int) -> dict:
    """{tool: median and best seconds of its fit, final training loss, iterations run}."""
    config = load_config(lbfgs_config(make()))
    first = prepare(config)
    params = {k: v.copy() for k, v in first.model.network.params().items()}
    X, y, hidden = first.dataset.X_train, first.dataset.y_train, config.model.hidden
    results: dict[str, tuple[float, int]] = {}
    # set-up, not training, is left out of the times: prepare() (data and initial model) and the
    # one-iteration fit that builds MLPClassifier; made anew before every round
    ready: dict[str, object] = {}

    def nnctl() -> None:
        summary = fit(ready["nnctl"]).summary
        results["nnctl"] = (summary["final"]["train_loss"], summary["epochs"])

    def sklearn(key: str, limit: int | None) -> None:
        with threadpool_limits(limits=limit, user_api="blas"):
            ready[key].fit(X, y)
        results[key] = (ready[key].loss_, ready[key].n_iter_)

    tools = {"nnctl": nnctl, "sklearn": lambda: sklearn("sklearn", None),
             "sklearn 1 thread": lambda: sklearn("sklearn 1 thread", 1)}
    times: dict[str, list[float]] = {key: [] for key in tools}
    for round_ in range(runs + 1):  # round 0: the warm-up (imports, first calls), not counted
        ready.update({"nnctl": prepare(config), **{key: sklearn_model(params, hidden, X, y) for key in tools
                                                   if key != "nnctl"}})
        for key, seconds in timed(tools, 1).items():
            if round_:
                times[key] += seconds
    return {key: {"median": statistics.median(t), "best": min(t), "loss": results[key][0],
                  "iterations": results[key][1]} for key, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # ConvergenceWarning of the one-iteration fits
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'problem':<36}{'tool':<18}{'final loss':>14}{'iterations':>12}{'median s':>10}{'best s':>10}")
    for name, make in PROBLEMS.items():
        for tool, r in measure(make, args.runs).items():
            print(f"{name:<36}{tool:<18}{r['loss']:>14.8f}{r['iterations']:>12}{r['median']:>10.4f}{r['best']:>10.4f}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
