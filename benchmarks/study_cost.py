"""A search's own cost a trial (issue 19): the time the parent spends in the study (ask, the
per-epoch reports and should_prune, tell, and their persistence), by storage.

    .venv/bin/python benchmarks/study_cost.py [--trials 60]

A TPE + ASHA search (from 2 epochs) of a tiny moons net (4 parameters: depth, width, lr,
activation; at most 20 epochs) with one job, through `nnctl sweep`'s own code, the study kept
in memory (Optuna's InMemoryStorage), in the sweep folder's journal (nnctl's ParentJournal) and
in SQLite (RDBStorage). `Search.study_seconds` counts the study's time; printed per trial: the
mean, the median of each trial's share (the first pays Optuna's lazy imports) and the mean of
the last ten (TPE's ask grows with the trials before it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent.parent)]  # this tree's nnctl

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from nnctl import workflow  # noqa: E402
from nnctl.sweeps import search  # noqa: E402

BASE = {"name": "cost", "data": {"name": "moons", "n_samples": 100}, "model": {"hidden": [4]},
        "optimizer": {"name": "adam", "lr": 0.01}, "train": {"epochs": 20, "batch_size": 100},
        "output": {"plots": []}}
SPACE = {"optimizer.lr": {"loguniform": [1e-3, 0.3]}, "model.activation": {"choice": ["tanh", "relu"]},
         "model.hidden": {"depth": {"int": [1, 2]}, "width": {"int": [2, 32], "log": True}}}


def measure(folder: Path, trials: int, storage: str) -> np.ndarray:
    """The study's seconds of each trial (between two trials' ends)."""
    (folder / "base.yaml").write_text(yaml.safe_dump(BASE))
    (folder / "s.yaml").write_text(yaml.safe_dump({"config": "base.yaml", "search": {"trials": trials},
                                                   "pruning": {"method": "asha", "min_epochs": 2},
                                                   "random": SPACE}))
    marks, done, open_study = [], search.Search.done, search.open_study

    def counted(self, task, row):
        follow = done(self, task, row)
        marks.append(self.study_seconds)
        return follow

    def in_memory(optuna, spec, where, url=None):
        return optuna.create_study(direction=spec.search["direction"], pruner=search.pruner(optuna, spec))

    search.Search.done = counted
    search.open_study = in_memory if storage == "memory" else open_study
    try:
        url = f"sqlite:///{folder / 'study.db'}" if storage == "sqlite" else None
        workflow.run_sweep(folder / "s.yaml", [], None, [], jobs=1, out=folder / storage, storage=url)
    finally:
        search.Search.done, search.open_study = done, open_study
    return np.diff([0.0, *marks]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    workflow.draw_sweep = lambda folder: []
    print(f"study ms a trial, TPE + ASHA, {args.trials} trials, load {os.getloadavg()[0]:.1f}")
    for storage in ("memory", "journal", "sqlite"):
        folder = Path(tempfile.mkdtemp())
        try:
            ms = measure(folder, args.trials, storage)
        finally:
            shutil.rmtree(folder)
        print(f"  {storage:8} mean {ms.mean():6.1f}  median {np.median(ms):6.1f}  last ten {ms[-10:].mean():6.1f}")


if __name__ == "__main__":
    main()
