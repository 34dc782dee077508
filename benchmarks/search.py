"""Searching digits (issue 19): random trials, TPE, TPE + ASHA pruning (`nnctl sweep` with
search:, configs/sweeps/search-digits.yaml) and scikit-learn's HalvingRandomSearchCV over
nnctl.sklearn.NNClassifier, each over the same space, data split and budget of trials.

    .venv/bin/python benchmarks/search.py                    # the issue's: 60 trials, 50 epochs, 3 seeds
    .venv/bin/python benchmarks/search.py --trials 8 --epochs 9 --seeds 0   # a check that it runs

The space (search-digits.yaml): width 16-512 (log) × depth 1-3, lr 1e-4-1e-1 (log), l2
1e-6-1e-2 (log), activation relu | tanh | elu; adam, batches of 64, at most `--epochs` epochs a
trial; digits standardised, 20% held out (the config's seed 0: the same split for every method).

- random, tpe: every trial runs all its epochs. tpe+asha: ASHA (min 3 epochs, reduction 3)
  stops the runs whose validation loss is not among the best third at 3, 9, 27 epochs.
- halving: HalvingRandomSearchCV(NNClassifier, n_candidates=trials, resource="epochs",
  min_resources=3, factor=3, max_resources=epochs), scored by log loss on the same held-out 20%
  (a PredefinedSplit), refit=False; widths drawn from 11 log-spaced values 16-512 (its hidden
  parameter is a tuple, drawn from a list).

BLAS runs one thread a process (OMP/OPENBLAS/MKL_NUM_THREADS=1 unless set): `--jobs` workers
share the cores. For each method and search seed (the sampler's seed; the data's stays 0): the epochs trained in
all (the sum over trials of the epochs each ran), wall time (with `--jobs` workers; pictures
not drawn) and the best validation loss found. Then the median over seeds of each. Sweep folders
go under --out (default: a temporary folder, removed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent.parent)]  # this tree's nnctl
# one BLAS thread a process (before numpy loads): --jobs workers share the cores; two threads each
# on 2 cores made a 512-512-512 epoch several times slower on the shared machine
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from nnctl import workflow  # noqa: E402
from nnctl.sweeps.results import read_results  # noqa: E402
from nnctl.sweeps.study import best_trial  # noqa: E402

SEARCH_FILE = HERE.parent.parent / "configs" / "sweeps" / "search-digits.yaml"
METHODS = ("random", "tpe", "tpe+asha", "halving")


def sweep_file(method: str, seed: int, args, folder: Path) -> Path:
    """search-digits.yaml for one method and search seed, with --trials and --epochs."""
    raw = yaml.safe_load(SEARCH_FILE.read_text())
    raw["config"] = str((SEARCH_FILE.parent / raw["config"]).resolve())
    raw["set"] = [s for s in raw["set"] if not s.startswith("train.epochs=")] + [f"train.epochs={args.epochs}"]
    raw["search"] |= {"method": "random" if method == "random" else "tpe", "trials": args.trials}
    if method != "tpe+asha":
        raw.pop("pruning")
    raw["seed"], raw["name"] = seed, f"{method.replace('+', '-')}-{seed}"
    path = folder / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def nnctl_search(method: str, seed: int, args, folder: Path) -> dict:
    path = sweep_file(method, seed, args, folder)
    started = time.perf_counter()
    sweep = workflow.run_sweep(path, [], None, [], jobs=args.jobs, out=folder / path.stem)
    seconds = time.perf_counter() - started
    rows, _, asked = read_results(sweep.folder)
    best = best_trial(rows, asked)
    return {"epochs": int(sum(r["epochs"] or 0 for r in rows)), "seconds": seconds,
            "best": best[1] if best else float("nan"), "pruned": sum(r["status"] == "pruned" for r in rows)}


def halving_search(seed: int, args) -> dict:
    from scipy.stats import loguniform
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (it enables the import below)
    from sklearn.model_selection import HalvingRandomSearchCV, PredefinedSplit

    from nnctl.config import load_config
    from nnctl.sklearn import NNClassifier
    from nnctl.training import prepare

    raw = yaml.safe_load(SEARCH_FILE.read_text())
    d = prepare(load_config(SEARCH_FILE.parent / raw["config"])).dataset  # the split every method uses
    X, y = np.vstack([d.X_train, d.X_val]), np.concatenate([d.y_train, d.y_val])
    fold = np.r_[np.full(len(d.y_train), -1), np.zeros(len(d.y_val), dtype=int)]
    widths = sorted({int(round(w)) for w in np.geomspace(16, 512, 11)})
    space = {"hidden": [(w,) * depth for w in widths for depth in (1, 2, 3)],
             "lr": loguniform(1e-4, 1e-1), "l2": loguniform(1e-6, 1e-2), "activation": ["relu", "tanh", "elu"]}
    estimator = NNClassifier(optimizer="adam", batch_size=64, validation_fraction=0.0, random_state=0)
    search = HalvingRandomSearchCV(estimator, space, n_candidates=args.trials, resource="epochs", min_resources=3,
                                   max_resources=args.epochs, factor=3, cv=PredefinedSplit(fold),
                                   scoring="neg_log_loss", refit=False, random_state=seed, n_jobs=args.jobs)
    started = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - started
    scores = search.cv_results_["mean_test_score"]
    return {"epochs": int(np.sum(search.cv_results_["n_resources"])), "seconds": seconds,
            "best": float(-np.nanmax(scores)), "pruned": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", default="0,1,2", help="search seeds, e.g. 0,1,2")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", type=Path, default=None, help="keep the sweep folders here")
    args = parser.parse_args()
    workflow.draw_sweep = lambda folder: []  # pictures are not what is measured
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    print(f"digits search: {args.trials} trials of at most {args.epochs} epochs, seeds {seeds}, {args.jobs} jobs, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, list[dict]] = {}
        for method in methods:
            for seed in seeds:
                result = halving_search(seed, args) if method == "halving" else nnctl_search(method, seed, args,
                                                                                              folder)
                results.setdefault(method, []).append(result)
                print(f"  {method:9} seed {seed}: best val_loss {result['best']:.4f}, {result['epochs']:5d} epochs, "
                      f"{result['seconds']:6.1f} s" + (f", {result['pruned']} pruned" if result["pruned"] else ""),
                      flush=True)
    print(f"\n{'method':10} {'best val_loss':>14} {'epochs':>8} {'seconds':>8}   (medians over {len(seeds)} seeds)")
    for method, found in results.items():
        median = {k: statistics.median(r[k] for r in found) for k in ("best", "epochs", "seconds")}
        print(f"{method:10} {median['best']:14.4f} {median['epochs']:8.0f} {median['seconds']:8.1f}")
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
