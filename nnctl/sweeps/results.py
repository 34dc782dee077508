"""Layer 5: a sweep folder's files, and reading them back. The inventory (every entry nnctl
writes in a sweep folder), results.csv's columns and how a run's summary.json becomes a row,
and the one reader of results.csv (`results_table`: text, as the report shows it;
`read_results`: values parsed, as the pictures need them) and of sweep.yaml.

Imports only `files`, `errors` and `vocabulary`: the report reads a folder through it without
the model code.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from nnctl.errors import NnctlError
from nnctl.files import YamlTooLarge, parse_yaml, read_text, read_yaml, yaml_error
from nnctl.vocabulary import FINAL_METRICS

MAX_RESULTS_BYTES = 200_000_000  # results.csv: 2 kB a row at spec.MAX_POINTS (a failed run's row holds its error)
MAX_SWEEP_YAML_BYTES = 64_000_000  # sweep.yaml lists every point: about 100 bytes each, names cut at 120 characters

# The inventory of a sweep folder: every entry nnctl writes in one. `--out` takes a folder that
# is new, empty, or holds these alone (see `sweeps.folder.foreign_entry`) with the sweep.yaml of the same sweep.
SWEEP_YAML = "sweep.yaml"
RESULTS = "results.csv"
REPORT = "report.html"
SWEEP_PICTURES = ("sweep.png", "boundaries.png")
LOCK = ".sweep.lock"  # empty; locked while a sweep or `nnctl plot` writes in the folder, left in place after
# a search's (sweeps.search): its study (Optuna's journal, and the lock file Optuna takes while it
# appends to it), the best trial's config, and its pictures
STUDY = "study.journal"
BEST = "best.yaml"
SEARCH_PICTURE = "search.png"
SEARCH_FILES = (STUDY, f"{STUDY}.lock", BEST, SEARCH_PICTURE)
SWEEP_FILES = frozenset({SWEEP_YAML, RESULTS, REPORT, *SWEEP_PICTURES, LOCK, *SEARCH_FILES})
DRAWN = "drawn"  # a row's key, never a column: what the run's worker drew of it (sweeps.pictures.Drawn)
RUNS = "runs"  # a folder of run directories, one per point, each holding run files alone (runs.foreign_entry)

METRIC_COLUMNS = FINAL_METRICS  # final.val_accuracy: summary.json's key path
# results.csv written before issue 14 spelled them final_val_accuracy: read under today's names
OLD_COLUMNS = {column.replace(".", "_", 1): column for column in METRIC_COLUMNS}
NUMERIC_COLUMNS = frozenset({*METRIC_COLUMNS, "epochs", "best_epoch", "seconds"})


def result_columns(keys: list[str]) -> list[str]:
    """results.csv's header for a sweep whose points set `keys`: the point's name, its settings,
    then how its run went."""
    return ["name", *keys, "status", "epochs", *METRIC_COLUMNS, "best_epoch", "seconds", "error", "run_dir"]


def record(summary: dict[str, Any]) -> dict[str, Any]:
    """A results.csv row's metric part from a run's summary.json."""
    row = {"status": summary.get("status"), "epochs": summary.get("epochs")}
    for key in METRIC_COLUMNS:
        row[key] = summary.get("final", {}).get(key.removeprefix("final."))
    row["best_epoch"] = summary.get("best_epoch")
    row["seconds"] = summary.get("seconds")
    row["error"] = summary.get("error")  # a run that failed while training says why
    return row



# -- reading a sweep folder back -----------------------------------------------------------------


def read_sweep_yaml(folder: Path) -> dict[str, Any]:
    """A sweep folder's sweep.yaml: a mapping with config: and points: (each a name and its
    settings). Anything else is one line naming the file."""
    path = Path(folder) / SWEEP_YAML
    data = read_yaml(path, limit=MAX_SWEEP_YAML_BYTES)
    points = data.get("points") if isinstance(data, dict) else None
    if not (isinstance(points, list) and all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("settings"), dict)
            for p in points)):
        raise NnctlError(f"{path}: not a sweep.yaml nnctl wrote (expected a mapping with config: and points:, "
                         "each point a name and its settings)")
    return data


def sweep_name(folder: Path, asked: dict[str, Any]) -> str:
    """How the pictures and the report title a sweep: its sweep file's name:, else its folder's."""
    name = asked.get("name")
    return name if isinstance(name, str) and name else (Path(folder).resolve().name or str(folder))


def results_table(folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    """results.csv's columns and rows as text (a missing cell is '', blank rows are skipped); a
    header of before issue 14 (final_val_accuracy) is read as today's (final.val_accuracy)."""
    path = Path(folder) / RESULTS
    if not path.exists():
        raise NnctlError(f"{folder}: no {RESULTS} (not a sweep folder, or the sweep has not started)")
    text = read_text(path, limit=MAX_RESULTS_BYTES, what="results file")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [OLD_COLUMNS.get(c, c) for c in next(reader, [])]
        body = list(reader)
    except csv.Error as e:
        raise NnctlError(f"{path}: not a readable CSV file ({e})") from None
    columns = [c for c in dict.fromkeys(header) if c]
    rows = []
    for cells in body:
        if not any(cell.strip() for cell in cells):
            continue
        values = dict(zip(header, cells, strict=False))
        rows.append({c: values.get(c, "") for c in columns})
    return columns, rows


def read_results(folder: Path) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    """A sweep's results.csv with values parsed (settings as YAML, metrics as floats), the swept
    keys (seed left out), and its sweep.yaml (read once: it lists every point). A cell that does
    not read back is one line naming the file, the row and the column, quoting at most 40
    characters of it."""
    folder = Path(folder)
    path = folder / RESULTS
    asked = read_sweep_yaml(folder)
    points = asked["points"]
    columns, table = results_table(folder)
    keys = list(dict.fromkeys(k for p in points for k in p["settings"]))
    missing = next((c for c in ("name", *keys, "status", "run_dir") if c not in columns), None)
    if missing is not None:
        raise NnctlError(f"{path}: not a results.csv nnctl wrote (no {missing} column)")
    rows = []
    for i, row in enumerate(table, start=1):
        parsed: dict[str, Any] = dict(row)
        for key in keys:
            try:
                parsed[key] = parse_yaml(row[key]) if row[key] != "" else None
            except (yaml.YAMLError, YamlTooLarge) as e:
                raise yaml_error(f"{path}: row {i}, {key}", e) from None
        for key in NUMERIC_COLUMNS & set(row):
            try:
                parsed[key] = float(row[key]) if row[key] != "" else None
            except ValueError:
                raise NnctlError(f"{path}: row {i}, {key}: not a number: {_quote(row[key])}") from None
        run_dir = PurePosixPath(row["run_dir"])
        if run_dir.is_absolute() or run_dir.parts[:1] != (RUNS,) or ".." in run_dir.parts:
            raise NnctlError(f"{path}: row {i}, run_dir: {_quote(row['run_dir'])} is not a folder under {RUNS}/")
        rows.append(parsed)
    return rows, [k for k in keys if k != "seed"], asked


def _quote(cell: str) -> str:
    """A cell as a message quotes it: at most 40 characters (it may hold anything)."""
    return repr(cell if len(cell) <= 40 else cell[:40] + "…")
