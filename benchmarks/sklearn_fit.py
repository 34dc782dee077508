"""NNClassifier.fit against MLPClassifier.fit on the same problem (issue 15).

    .venv/bin/python benchmarks/sklearn_fit.py [--workloads W1,W2] [--dtypes float32,float64] [--runs 5]

Workloads W1 and W2 of `peers.py` (same data, net, optimizer, lr, batch size and epochs). Every
timed run is a fresh subprocess (`peers.spawn`: OMP/OPENBLAS/MKL_NUM_THREADS set, the run
repeated when other processes kept the machine busy) that makes the data, fits once untimed
(one epoch, a warm-up), then times `fit(X, y)` as a user calls it (up to three times while under
a second in all, keeping the fastest: `peers.best_of`). Rounds are interleaved (nnctl, sklearn,
nnctl, ...). What is timed is the whole of `fit`, each tool with its own initialisation:

- nnctl: `NNClassifier(hidden, activation, optimizer, lr, epochs, batch_size, dtype).fit(X, y)`,
  every row trained on (validation_fraction None and no early stopping: no validation part): the
  settings' Config, the split and encoding, the loop with its per-epoch metrics, and what
  `nnctl train` measures besides (the initial weights' metrics, epoch 0 of metrics.csv, and the
  final ones of summary.json: two forward passes over the training set that peers.py does not
  time), the summary.
- sklearn: `MLPClassifier(...).fit(X, y)` with `alpha=0`, `momentum=0, nesterovs_momentum=False`
  (sgd) or adam, `tol=0`, `n_iter_no_change=10**9`, `early_stopping=False`, so that it runs every
  one of the epochs (as peers.py), on X in the same dtype (it trains in X's). For two classes it
  has one logistic output unit where nnctl has two softmax ones (benchmarks/README.md, "Peers",
  explains why that is the same function).

Prints the median and best seconds per fit of each, their ratio (sklearn / nnctl) and the
machine's load average while it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]  # this tree's nnctl, and peers.py

import numpy as np  # noqa: E402
from peers import WORKLOADS, best_of, make_data, spawn  # noqa: E402

TOOLS = ("nnctl", "sklearn")


def estimator(tool: str, w, epochs: int, dtype: str):
    """The tool's classifier for workload w, running exactly `epochs` epochs over every row."""
    if tool == "nnctl":
        from nnctl.sklearn import NNClassifier

        return NNClassifier(hidden=w.hidden, activation=w.activation, optimizer=w.optimizer, lr=w.lr, epochs=epochs,
                            batch_size="full" if w.batch is None else w.batch, shuffle=w.shuffle, random_state=0,
                            dtype=dtype)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    return MLPClassifier(hidden_layer_sizes=w.hidden, activation=w.activation, solver=w.optimizer, alpha=0.0,
                         batch_size=w.batch or "auto", learning_rate="constant", learning_rate_init=w.lr,
                         max_iter=epochs, shuffle=w.shuffle, random_state=0, tol=0.0, momentum=0.0,
                         nesterovs_momentum=False, early_stopping=False, n_iter_no_change=10**9)


def work(tool: str, workload: str, dtype: str) -> dict:
    w = WORKLOADS[workload]
    X, y = make_data(w)
    X = X.astype(dtype)
    estimator(tool, w, 1, dtype).fit(X, y)  # warm-up: imports, BLAS threads, first-call caches

    def once() -> tuple[float, float]:
        model = estimator(tool, w, w.epochs, dtype)
        started = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - started
        assert model.n_iter_ == w.epochs, (tool, model.n_iter_)
        return seconds, float(model.score(X, y))

    return best_of(once)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker, args.workload, args.dtype)))
        return
    loads = [os.getloadavg()[0]]
    print(f"{'workload':<32} {'nnctl s/fit':>12} {'sklearn s/fit':>14} {'ratio':>6}   (median, best; "
          f"{args.runs} runs each, {args.threads} threads)")
    for name in args.workloads.split(","):
        w = WORKLOADS[name.strip().upper()]
        for dtype in args.dtypes.split(","):
            seconds: dict[str, list[float]] = {tool: [] for tool in TOOLS}
            for _ in range(args.runs):  # interleaved: a busy neighbour slows both alike
                for tool in TOOLS:
                    out = spawn(args.threads, tool, "--workload", w.id, "--dtype", dtype, attempts=args.attempts,
                                script=HERE)
                    seconds[tool].append(out["seconds"])
                loads.append(os.getloadavg()[0])
            nn, sk = (statistics.median(seconds[tool]) for tool in TOOLS)
            label = f"{w.id} {w.optimizer} {'-'.join(map(str, w.hidden))} {w.activation} {dtype}"
            print(f"{label:<32} {nn:8.3f} ({min(seconds['nnctl']):.3f}) {sk:8.3f} ({min(seconds['sklearn']):.3f}) "
                  f"{sk / nn:5.1f}x", flush=True)
    print(f"load average (1 min) while running: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores; "
          f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
