"""Layer 5: sweeps, one base config trained at many points of a grid and/or a random space of
settings, and what reads them back.

A sweep folder holds `sweep.yaml` (what was asked, its digest, and every point), `results.csv`
(one row per point: its settings, status, metrics by their summary.json key paths such as
final.val_accuracy, seconds; rewritten atomically as runs finish), `sweep.png`,
`boundaries.png`, `report.html`, and `runs/NAME/`, one ordinary run directory per point, named
by its settings (`hidden16x16-lr0.03-seed0`). Running the same sweep again resumes it: points
whose run finished (vocabulary.FINISHED) are skipped, a run cut off after it saved a resume
state goes on from it, the others run from the start.

    names      how swept values are written: run folders' names, pictures' labels
    spec       what a sweep asks (SweepSpec, from a sweep file or --grid/--seeds) and its points
    results    the folder's inventory, results.csv's columns, the one reader of results.csv and sweep.yaml
    folder     Sweep: the folder checked, locked and written as points finish
    workers    execute: the points on a pool of worker processes or a Dask cluster
    search     a search's study (Optuna, ask-and-tell): trials asked, their epochs reported, told; best.yaml
    trials     a search's runs on workers (or Dask) that report each epoch to the parent and stop when told
    study      a search's trials read back from the folder (no Optuna): search.png's arrays, the best trial
    pictures   sweep.png, boundaries.png and report.html's thumbnails, gathered from the folder and drawn by nnctl.plots
    report     report.html

Within the package, imports go down this list's dependencies (names → spec, results → folder →
workers → search → trials; names, results → study → pictures → report) and never up. What a point does (train, resume,
draw) is the
workflow's (layer 6), handed to `workers.execute` as a function.

The package is `sweeps`, plural, so that no module is called `nnctl.sweep` and shadows a
function of that name.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SUBMODULES = ("names", "spec", "results", "folder", "workers", "search", "trials", "study", "pictures", "report")


def __getattr__(name: str) -> ModuleType:
    """`sweeps.folder` and the others load on first use (PEP 562), so that the commands that
    run no sweep (`nnctl train`, `nnctl plot RUN`) start without them and what they import."""
    if name not in SUBMODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{name}")
