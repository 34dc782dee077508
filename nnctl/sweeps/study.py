"""Layer 5: a search's trials read back from its sweep folder, for search.png, report.html and
`nnctl runs`: from results.csv, sweep.yaml (its search: and random: space) and the runs'
metrics.csv, never from the study itself, so that the pictures are redrawn without Optuna.

A trial's runs are named trialNNNN (trialNNNN-seedS with several seeds); its value is the mean
over its runs of the final metric the search asked for, as the search told the study; a trial
with a run pruned, failed or not finished has none. Setting importance is scikit-learn's
permutation importance on a random forest fitted to the trials told (Optuna's fANOVA, which
needs Optuna, does the same kind of thing with a forest's variance).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from nnctl.errors import NnctlError
from nnctl.files import flow, read_metrics
from nnctl.plots.search import SearchData
from nnctl.sweeps.results import read_results
from nnctl.sweeps.spec import SHAPE, distribution
from nnctl.vocabulary import FINISHED

TRIAL_NAME = re.compile(r"trial(\d+)(?:-seed\d+)?")
MIN_TRIALS_FOR_IMPORTANCE = 5  # a forest on fewer trials says nothing
REPEATS = 5  # shuffles of each setting's column


def is_search(asked: dict[str, Any]) -> bool:
    """Whether a sweep.yaml is a search's."""
    return isinstance(asked.get("search"), dict) and bool(asked["search"])


def trial_groups(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """results.csv's rows by trial number, in the order of the numbers."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        match = TRIAL_NAME.fullmatch(str(row.get("name", "")))
        if match:
            groups.setdefault(int(match.group(1)), []).append(row)
    return dict(sorted(groups.items()))


def trial_value(runs: list[dict[str, Any]], metric: str) -> float:
    """A trial's value: the mean final metric of its runs, NaN unless every run finished."""
    values = [run.get(f"final.{metric}") for run in runs]
    if any(run.get("status") not in FINISHED for run in runs) or any(v is None for v in values):
        return math.nan
    return float(np.mean(values))


def best_trial(rows: list[dict[str, Any]], asked: dict[str, Any]) -> tuple[int, float] | None:
    """(number, value) of the search's best trial, or None while none is told. `rows` may hold
    text (results_table) or parsed values (read_results)."""
    search = asked["search"]
    told = []
    for number, runs in trial_groups(rows).items():
        value = trial_value([{**r, f"final.{search['metric']}": _float(r.get(f"final.{search['metric']}"))}
                             for r in runs], search["metric"])
        if math.isfinite(value):
            told.append((value, number))
    if not told:
        return None
    value, number = (min if search["direction"] == "minimize" else max)(told)
    return number, value


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def search_data(folder: Path) -> SearchData | None:
    """The arrays search.png draws, gathered from a search's sweep folder (None for a sweep
    that does not search, or a search with no trial yet)."""
    rows, _, asked = read_results(folder)
    if not is_search(asked):
        return None
    groups = trial_groups(rows)
    if not groups:
        return None
    metric, random = asked["search"]["metric"], asked.get("random") or {}
    names, log, choices = _axes(random)
    params: dict[str, list] = {name: [] for name in names}
    values, pruned, last, curves = [], [], [], []
    for runs in groups.values():
        first = runs[0]
        for name, value in _params(first, random).items():
            params[name].append(value)
        values.append(trial_value(runs, metric))
        pruned.append(any(run.get("status") == "pruned" for run in runs))
        curve = _curve(Path(folder) / first["run_dir"], metric)
        curves.append(curve)
        last.append(curve[1][-1] if curve[1].size else math.nan)
    data = SearchData(metric=metric, direction=asked["search"]["direction"], numbers=np.array(list(groups)),
                      values=np.array(values, dtype=float), pruned=np.array(pruned, dtype=bool),
                      last=np.array(last, dtype=float), params=params, log=log, choices=choices, curves=curves)
    return SearchData(**{**data.__dict__, "importance": importance(data)})


def _axes(random: dict[str, Any]) -> tuple[list[str], dict[str, bool], dict[str, list[str]]]:
    """The parameters of the space (a shape's depth and width apart), whether each is on a log
    scale, and each choice's values as text."""
    names, log, choices = [], {}, {}
    for key, space in random.items():
        parts = [(f"{key}.{p}", space[p]) for p in SHAPE] if set(space) == set(SHAPE) else [(key, space)]
        for name, part in parts:
            kind, args, scaled = distribution(part)
            names.append(name)
            log[name] = scaled
            if kind == "choice":
                choices[name] = [flow(a) for a in args]
    return names, log, choices


def _params(row: dict[str, Any], random: dict[str, Any]) -> dict[str, Any]:
    """A run's settings as the space's parameters: a shape's [width] * depth as depth and width."""
    params = {}
    for key, space in random.items():
        value = row.get(key)
        if set(space) == set(SHAPE):
            hidden = value if isinstance(value, list) else []
            params[f"{key}.depth"] = len(hidden)
            params[f"{key}.width"] = hidden[0] if hidden else None
        elif "choice" in space:
            params[key] = flow(value)
        else:
            params[key] = value
    return params


def _curve(run_dir: Path, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, metric) of a run's trained epochs, empty when its metrics.csv is not there."""
    try:
        metrics = read_metrics(run_dir / "metrics.csv") if (run_dir / "metrics.csv").is_file() else []
    except NnctlError:
        metrics = []
    rows = [m for m in metrics if m.get("epoch") and m.get(metric) is not None]
    return (np.array([m["epoch"] for m in rows], dtype=float), np.array([m[metric] for m in rows], dtype=float))


def importance(data: SearchData) -> dict[str, float]:
    """Each parameter's share of the permutation importance of a random forest fitted to the
    trials told (log-scaled parameters in log10, choices as their index); {} with fewer than
    MIN_TRIALS_FOR_IMPORTANCE trials told or a single parameter."""
    told = np.isfinite(data.values)
    if told.sum() < MIN_TRIALS_FOR_IMPORTANCE or len(data.params) < 2:
        return {}
    columns = []
    for name, values in data.params.items():
        if name in data.choices:
            column = np.array([data.choices[name].index(v) if v in data.choices[name] else -1 for v in values])
        else:
            column = np.array([np.nan if v is None else float(v) for v in values])
            column = np.log10(column) if data.log.get(name) else column
        columns.append(np.nan_to_num(column, nan=0.0))
    X, y = np.column_stack(columns)[told], data.values[told]
    from sklearn.ensemble import RandomForestRegressor  # heavy: only when a search's picture is drawn

    forest = RandomForestRegressor(n_estimators=32, min_samples_leaf=2, random_state=0).fit(X, y)
    # permutation importance: how much the forest's squared error grows when one setting's column is
    # shuffled (REPEATS times), all the shuffled copies predicted at once (sklearn's
    # permutation_importance predicts each on its own: 6 s for 8 trials on the shared machine)
    rng = np.random.default_rng(0)
    copies = [X]
    for j in range(X.shape[1]):
        for _ in range(REPEATS):
            shuffled = X.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            copies.append(shuffled)
    errors = ((forest.predict(np.vstack(copies)).reshape(len(copies), -1) - y) ** 2).mean(axis=1)
    scores = np.clip((errors[1:].reshape(X.shape[1], REPEATS) - errors[0]).mean(axis=1), 0, None)
    total = scores.sum()
    return {name: float(s / total) if total > 0 else 0.0 for name, s in zip(data.params, scores, strict=True)}
