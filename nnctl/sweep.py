"""Sweeps: one base config trained at many points of a grid and/or random space of settings.

A sweep folder holds `sweep.yaml` (what was asked, its digest, and every point), `results.csv`
(one row per point: its settings, status, metrics, seconds; rewritten atomically as runs finish)
and `runs/NAME/`, one ordinary run directory per point, named by its settings. Running the same
sweep again resumes it: points whose run finished (completed, early_stopped, diverged) are
skipped, a run cut off after it saved a resume state goes on from it, the others run from the
start.

A sweep writes only into a folder that is new, empty, or a sweep folder of the same question
(the same digest); it holds the folder's lock while it runs, so a second sweep (or `nnctl plot`)
on the same folder is refused rather than interleaved. Every entry nnctl writes there is listed
once, in SWEEP_FILES and RUNS.

Runs go to a pool of worker processes (`jobs`, at most one per point), each reused for many
runs, or, with a `scheduler` address, to a dask.distributed cluster whose workers write their
run directories into the same sweep folder, which must then be on a path every worker can reach.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from nnctl.config import dump_yaml, load_config, parse_value, shown
from nnctl.errors import NnctlError
from nnctl.files import (
    FolderLock,
    YamlTooLarge,
    flow,
    os_reason,
    parse_yaml,
    read_json,
    read_text,
    read_yaml,
    regular_file,
    rows_csv,
    temporary_of,
    write_text,
    yaml_error,
)
from nnctl.runs import foreign_entry as foreign_run_entry
from nnctl.vocabulary import FINISHED, SUMMARY_METRICS

METRIC_COLUMNS = tuple(f"final_{name}" for name in SUMMARY_METRICS)  # results.csv's; summary.json's final.NAME
NUMERIC_COLUMNS = frozenset({*METRIC_COLUMNS, "epochs", "best_epoch", "seconds"})
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "int")
SPEC_KEYS = ("config", "set", "grid", "random", "samples", "seeds", "seed")  # a sweep file's keys
# The most points one sweep may have, counted (grid values × samples × seeds) before any point is
# made; a larger study is several sweeps. Measured at 10 000 points: every point's config is
# validated before the first run (2.5 ms a point), sweep.yaml lists them all (1 MB; writing it
# takes 5 s, reading it back on a resume or `nnctl plot` 12 s): about 30 s before the first run,
# 45 s to resume. The 100 000 would make both ten times as long, past the 30 s a user
# waits before taking a command for hung: 10 000 is the limit.
MAX_POINTS = 10_000
MAX_RESULTS_BYTES = 200_000_000  # results.csv: 2 kB a row at MAX_POINTS (a failed run's row holds its error)
MAX_SWEEP_YAML_BYTES = 64_000_000  # sweep.yaml lists every point: about 100 bytes each, names cut at 120 characters

# The inventory of a sweep folder: every entry nnctl writes in one. `--out` takes a folder that
# is new, empty, or holds these alone (see `foreign_entry`) with the sweep.yaml of the same sweep.
SWEEP_YAML = "sweep.yaml"
RESULTS = "results.csv"
REPORT = "report.html"
SWEEP_PICTURES = ("sweep.png", "boundaries.png")
LOCK = ".sweep.lock"  # empty; locked while a sweep or `nnctl plot` writes in the folder, left in place after
SWEEP_FILES = frozenset({SWEEP_YAML, RESULTS, REPORT, *SWEEP_PICTURES, LOCK})
RUNS = "runs"  # a folder of run directories, one per point, each holding run files alone (runs.foreign_entry)


def split_values(text: str) -> list[str]:
    """'[4],[16],0.1' -> ['[4]', '[16]', '0.1']: commas split only outside brackets and quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def parse_grid(option: str) -> tuple[str, list[Any]]:
    """--grid 'model.hidden=[4],[16]' -> ('model.hidden', [[4], [16]]); values parse as YAML."""
    key, sep, text = option.partition("=")
    if not sep or not key.strip() or not text.strip():
        raise NnctlError(f"--grid {shown(option)}: expected KEY=V1,V2,… e.g. --grid optimizer.lr=0.01,0.1")
    values = []
    for part in split_values(text):
        try:
            values.append(parse_value(part))
        except (yaml.YAMLError, YamlTooLarge) as e:
            problem = f" ({e})" if isinstance(e, YamlTooLarge) else ""
            raise NnctlError(f"--grid {shown(option)}: cannot parse {shown(part)} as YAML{problem}") from None
    return key.strip(), _distinct(f"--grid {shown(option)}", values)


def parse_grids(options: list[str]) -> dict[str, list[Any]]:
    """Every --grid, each key at most once."""
    grid: dict[str, list[Any]] = {}
    for option in options:
        key, values = parse_grid(option)
        if key in grid:
            raise NnctlError(f"--grid {key}: given twice; give all its values in one --grid, e.g. --grid {key}=V1,V2")
        grid[key] = values
    return grid


def parse_seeds(text: str) -> list[int]:
    """--seeds '0,1,2' -> [0, 1, 2]: whole numbers ≥ 0, each once."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(re.fullmatch(r"[0-9]{1,30}", p) for p in parts):
        raise NnctlError(f"--seeds {shown(text)}: expected whole numbers ≥ 0 separated by commas, e.g. 0,1,2")
    return _distinct(f"--seeds {shown(text)}", [int(p) for p in parts])


def _distinct(where: str, values: list[Any]) -> list[Any]:
    """`values`, refused when one is given twice (two points would be the same run)."""
    counts = Counter(flow(v) for v in values)  # the same text is the same override, the same run
    twice = next((i for i, v in enumerate(values) if counts[flow(v)] > 1), None)
    if twice is not None:
        raise NnctlError(f"{where}: {flow(values[twice])} is given twice")
    return values


@dataclass
class SweepSpec:
    """What a sweep asks: the base config, its overrides, the spaces and the seeds. `where` names
    it in messages (the sweep file, or the options that made it); it is not part of the question."""

    config: Path
    overrides: list[str] = field(default_factory=list)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    random: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: int = 0
    seeds: list[int] = field(default_factory=list)
    seed: int = 0  # draws the random space's samples
    where: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"config": str(self.config), "set": self.overrides, "grid": self.grid, "random": self.random,
                "samples": self.samples, "seeds": self.seeds, "seed": self.seed}

    def digest(self) -> str:
        """Eight hex digits naming this sweep, so the same command finds the same folder."""
        return digest_of(self.to_dict())


def digest_of(asked: dict[str, Any]) -> str:
    """The digest of a sweep's question: `SweepSpec.to_dict()`, or the same keys of a sweep.yaml."""
    question = {key: asked.get(key) for key in SPEC_KEYS}
    return hashlib.sha1(json.dumps(question, sort_keys=True, default=str).encode()).hexdigest()[:8]


# -- the sweep file: every field checked as strictly as a config's -----------------------------


def is_sweep_file(raw: Any) -> bool:
    """Whether a YAML file's content is a sweep file rather than a config: a mapping with a key
    only sweep files have (`seed` is a config's key too)."""
    return isinstance(raw, dict) and any(key in raw for key in SPEC_KEYS if key != "seed")


def load_sweep_file(path: Path, extra: SweepSpec | None = None) -> SweepSpec:
    """A sweep YAML: `config:` (the base config, relative to this file), `grid:`, `random:` with
    `samples:`, `seeds:`, `seed:` and `set:` (overrides of the base). A field left empty is not
    given; any other problem is one line naming the file and the dotted field."""
    path = Path(path)
    where = str(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise NnctlError(f"{where}: expected a mapping with config:, grid: and/or random:, got {shown(raw)}")
    for key in raw:
        if key not in SPEC_KEYS:
            raise NnctlError(f"{where}: unknown key {shown(key)} (allowed: {', '.join(SPEC_KEYS)})")
    if raw.get("config") is None:
        raise NnctlError(f"{where}: config: is required (the base config's path, relative to this file)")
    random = _random(where, raw.get("random"))
    spec = SweepSpec(
        config=_base_config(where, path, raw["config"]),
        overrides=_overrides(where, raw.get("set")),
        grid=_grid(where, raw.get("grid")),
        random=random,
        samples=_samples(where, raw.get("samples"), random),
        seeds=_seeds(f"{where}: seeds", raw.get("seeds")),
        seed=_whole(f"{where}: seed", 0 if raw.get("seed") is None else raw["seed"]),
        where=where,
    )
    if extra is not None:  # command-line --grid, --seeds and --set add to the file's
        spec.grid.update(extra.grid)
        spec.seeds = extra.seeds or spec.seeds
        spec.overrides += extra.overrides
    return spec


def _whole(where: str, value: Any, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise NnctlError(f"{where}: expected a whole number ≥ {low}, got {shown(value)}")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _key(where: str, section: str, key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise NnctlError(f"{where}: {section}: {shown(key)} is not a dotted config key (e.g. optimizer.lr)")
    return key.strip()


def _base_config(where: str, path: Path, value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise NnctlError(f"{where}: config: expected the base config's path, relative to this file, got {shown(value)}")
    try:
        config = (path.parent / value).resolve()
        return regular_file(config, "config")
    except NnctlError as e:
        raise NnctlError(f"{where}: config: {e}") from None
    except (OSError, ValueError, RuntimeError):  # ValueError: a NUL byte; RuntimeError: a loop of links
        raise NnctlError(f"{where}: config: {shown(value)} is not a path that can be read") from None


def _overrides(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NnctlError(f"{where}: set: expected a list of KEY=VALUE, e.g. [optimizer.lr=0.01], got {shown(value)}")
    for i, item in enumerate(value):
        key, sep, text = item.partition("=") if isinstance(item, str) else ("", "", "")
        if not sep or not key.strip():
            raise NnctlError(f"{where}: set.{i}: expected KEY=VALUE text, e.g. optimizer.lr=0.01, got {shown(item)}")
        try:
            parse_value(text)
        except (yaml.YAMLError, YamlTooLarge) as e:
            raise yaml_error(f"{where}: set.{i}", e) from None
    return list(value)


def _grid(where: str, value: Any) -> dict[str, list[Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NnctlError(f"{where}: grid: expected a mapping of dotted keys to lists of values, "
                         f"e.g. {{optimizer.lr: [0.01, 0.1]}}, got {shown(value)}")
    grid = {}
    for key, values in value.items():
        dotted = _key(where, "grid", key)
        if isinstance(values, dict):
            raise NnctlError(f"{where}: grid.{dotted}: expected a list of values, got a mapping "
                             "(write nested keys dotted, e.g. optimizer.lr: [0.01, 0.1])")
        values = values if isinstance(values, list) else [values]
        if not values:
            raise NnctlError(f"{where}: grid.{dotted}: needs at least one value, got []")
        grid[dotted] = _distinct(f"{where}: grid.{dotted}", values)
    return grid


def _random(where: str, value: Any) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NnctlError(f"{where}: random: expected a mapping of dotted keys to distributions, "
                         f"e.g. {{optimizer.lr: {{loguniform: [1.0e-4, 0.1]}}}}, got {shown(value)}")
    random = {}
    for key, space in value.items():
        dotted = _key(where, "random", key)
        check_distribution(f"{where}: random.{dotted}", space)
        random[dotted] = space
    return random


def check_distribution(where: str, space: Any) -> None:
    """One random: entry: {choice: [values]}, {uniform: [low, high]} (low < high),
    {loguniform: [low, high]} (0 < low < high) or {int: [low, high]} (whole, low ≤ high, both ends in)."""
    if not isinstance(space, dict) or len(space) != 1 or next(iter(space)) not in DISTRIBUTIONS:
        raise NnctlError(f"{where}: expected one of {{{', '.join(d + ': …' for d in DISTRIBUTIONS)}}}, "
                         f"got {shown(space)}")
    kind, args = next(iter(space.items()))
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise NnctlError(f"{where}: choice needs a list of at least one value, got {shown(args)}")
        _distinct(f"{where}: choice", args)
        return
    pair = isinstance(args, list) and len(args) == 2 and all(_number(a) for a in args)
    if kind == "int":
        # both ends fit numpy's int64 (the draw is rng.integers(low, high + 1))
        ok = pair and all(isinstance(a, int) and abs(a) < 2**62 for a in args) and args[0] <= args[1]
        need = "whole numbers [low, high] with low ≤ high (each under 2^62)"
    elif kind == "uniform":
        ok, need = pair and args[0] < args[1], "numbers [low, high] with low < high"
    else:
        ok, need = pair and 0 < args[0] < args[1], "0 < low < high"
    if not ok:
        raise NnctlError(f"{where}: {kind} needs {need}, got {shown(args)}")


def _samples(where: str, value: Any, random: dict) -> int:
    if not random:
        if value not in (None, 0) or isinstance(value, bool):
            raise NnctlError(f"{where}: samples: given without random: (it is how many points random: draws), "
                             f"got {shown(value)}")
        return 0
    if value is None:
        raise NnctlError(f"{where}: samples: is required with random: (how many points to draw), e.g. samples: 20")
    return _whole(f"{where}: samples", value, low=1)


def _seeds(where: str, value: Any) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NnctlError(f"{where}: expected a list of whole numbers ≥ 0, e.g. [0, 1, 2], got {shown(value)}")
    return _distinct(where, [_whole(f"{where}.{i}", seed) for i, seed in enumerate(value)])


# -- points ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One run of the sweep: its settings (dotted key -> value, seed included) and its name."""

    name: str
    settings: dict[str, Any]

    @property
    def overrides(self) -> list[str]:
        return [f"{key}={flow(value)}" for key, value in self.settings.items()]


def _draw(space: dict[str, Any], rng) -> Any:
    """One value of a distribution checked by `check_distribution`."""
    kind, args = next(iter(space.items()))
    if kind == "choice":
        return args[int(rng.integers(len(args)))]
    low, high = args
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return int(rng.integers(low, high + 1))


def count_points(spec: SweepSpec) -> int:
    """How many points `sweep_points` makes, counted without making them."""
    return math.prod(len(values) for values in spec.grid.values()) * max(spec.samples, 1) * max(len(spec.seeds), 1)


def sweep_points(spec: SweepSpec) -> list[Point]:
    """Every point: the grid's product, times the random space's samples, times the seeds; at
    most MAX_POINTS of them, refused before any is made."""
    import numpy as np

    where = f"{spec.where}: " if spec.where else ""
    count = count_points(spec)
    if count > MAX_POINTS:
        factors = [*(f"{len(v):,} {k}" for k, v in spec.grid.items()),
                   *([f"{spec.samples:,} samples"] * bool(spec.samples)),
                   *([f"{len(spec.seeds):,} seeds"] * bool(spec.seeds))]
        raise NnctlError(f"{where}the sweep has {count:,} points ({' × '.join(factors)}), more than the "
                         f"{MAX_POINTS:,} a sweep may have; sweep fewer values, or split it into several sweeps")
    for key, space in spec.random.items():
        check_distribution(f"{where}random.{key}", space)
    rng = np.random.default_rng(spec.seed)
    draws = [{k: _draw(space, rng) for k, space in spec.random.items()} for _ in range(spec.samples)]
    grid = [dict(zip(spec.grid, values, strict=True)) for values in itertools.product(*spec.grid.values())]
    seeds = [{"seed": s} for s in spec.seeds] or [{}]
    settings = [{**g, **d, **s} for g in grid for d in (draws or [{}]) for s in seeds]
    if not settings or settings == [{}]:
        raise NnctlError("nothing to sweep: give --grid KEY=V1,V2 (or grid:/random: in a sweep file) or --seeds")
    names = point_names(settings)
    return [Point(n, s) for n, s in zip(names, settings, strict=True)]


UNSAFE = re.compile(r"[^A-Za-z0-9._=,+\-\[\]]")


def point_names(settings: list[dict[str, Any]]) -> list[str]:
    """'hidden=[4],lr=0.01,seed=0': each key by its last part (its full path where two share
    one), values as flow YAML without spaces, anything else unsafe in a file name replaced by _."""
    keys = list(dict.fromkeys(k for s in settings for k in s))
    short = {k: k.rsplit(".", 1)[-1] for k in keys}
    clash = {v for v in short.values() if list(short.values()).count(v) > 1}
    label = {k: (k if short[k] in clash else short[k]) for k in keys}
    names = []
    for s in settings:
        text = ",".join(f"{label[k]}={flow(v).replace(' ', '')}" for k, v in s.items())
        text = UNSAFE.sub("_", text)
        if len(text) > 120:  # file names have limits; keep the start readable and the end unique
            text = text[:110] + "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
        names.append(text)
    twice = next((name for name, n in Counter(names).items() if n > 1), None)
    if twice is not None:
        raise NnctlError(f"two points of the sweep are the same: {twice} (a repeated grid value?)")
    return names


# -- running ---------------------------------------------------------------------------------


def run_point(config_path: str, overrides: list[str], run_dir: str) -> dict[str, Any]:
    """Train one point into run_dir and draw its pictures; never raises, so a sweep goes on.
    Runs in a worker process (local pool or dask)."""
    from nnctl.runs import RESUME_FILE
    from nnctl.workflow import draw_pictures, resume_run, train_run

    try:
        if (Path(run_dir) / RESUME_FILE).is_file():  # cut off in an earlier sweep: go on from its state
            result = resume_run(Path(run_dir))
        else:
            result = train_run(load_config(config_path, overrides), run_dir=Path(run_dir), overwrite=True)
        draw_pictures(result)
        return record(result.summary)
    except NnctlError as e:
        return {"status": "failed", "error": str(e)}
    except Exception as e:  # a bug must not stop the other 299 runs; the row says what happened
        return {"status": "failed", "error": f"{type(e).__name__}: {e}"}


def record(summary: dict[str, Any]) -> dict[str, Any]:
    """A results.csv row's metric part from a run's summary.json."""
    row = {"status": summary.get("status"), "epochs": summary.get("epochs")}
    for key in METRIC_COLUMNS:
        row[key] = summary.get("final", {}).get(key.removeprefix("final_"))
    row["best_epoch"] = summary.get("best_epoch")
    row["seconds"] = summary.get("seconds")
    row["error"] = None
    return row


def named(option: str, path: Path | str) -> str:
    """'--out PATH' as messages name a folder, a very long PATH cut in the middle."""
    text = str(path)
    return f"{option} {text if len(text) <= 100 else text[:70] + '…' + text[-20:]}"


def foreign_entry(folder: Path) -> str | None:
    """The first entry of the sweep folder `folder` (sorted; hidden ones included, and inside
    runs/ every run directory's entries) that nnctl does not write in a sweep folder, or None:
    a regular file of SWEEP_FILES or a temporary file of one, and runs/ holding run directories
    whose entries are all run files (`runs.foreign_entry`). A link is never nnctl's."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_symlink():
            return entry.name
        if entry.name == RUNS and entry.is_dir(follow_symlinks=False):
            for run in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if run.is_symlink() or not run.is_dir(follow_symlinks=False):
                    return f"{RUNS}/{run.name}"
                inner = foreign_run_entry(Path(run.path))
                if inner is not None:
                    return f"{RUNS}/{run.name}/{inner}"
        elif not (entry.is_file(follow_symlinks=False)
                  and (entry.name in SWEEP_FILES or temporary_of(entry.name) in SWEEP_FILES)):
            return entry.name
    return None


class Sweep:
    """A sweep folder: its points, their rows, and the files that record them. `prepare` takes
    the folder's lock, held until `close` (or the end of a `with` block, or of the process)."""

    def __init__(self, spec: SweepSpec, folder: Path, *, where: str | None = None):
        self.spec, self.folder = spec, Path(folder)
        self.where = where or str(folder)  # how messages name the folder: "--out PATH"
        self.points = sweep_points(spec)
        self.keys = list(dict.fromkeys(k for p in self.points for k in p.settings))
        self.rows: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, str] = {}  # each row as results.csv holds it: only a changed row is formatted again
        for point in self.points:
            self._set(point.name, {"name": point.name, **point.settings, "status": "pending",
                                   "run_dir": f"{RUNS}/{point.name}"})
        self.lock: FolderLock | None = None
        self.checked: tuple[int, int, int] | None = None  # the sweep.yaml found to be this sweep's (inode, time, size)

    def __enter__(self) -> Sweep:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder's lock."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def run_dir(self, point: Point) -> Path:
        return self.folder / RUNS / point.name

    def validate(self) -> None:
        """Every point's config, checked before anything runs: a typo in a --grid key is one
        error now, not three hundred failed runs."""
        for point in self.points:
            try:
                load_config(self.spec.config, [*self.spec.overrides, *point.overrides])
            except NnctlError as e:
                raise NnctlError(f"sweep point {point.name}: {e}") from None

    def prepare(self) -> list[Point]:
        """Check the folder (new, empty, or this sweep's), validate every point, create the
        folder and take its lock, write sweep.yaml, and return the points still to run."""
        self.check_folder()
        self.validate()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as e:
            raise NnctlError(f"{self.where}: cannot create the sweep folder ({os_reason(e)})") from None
        if self.lock is None:
            self.lock = FolderLock(self.folder, self.where, LOCK)
        self.check_same_sweep()  # again, now that no other sweep can write here
        asked = {"digest": self.spec.digest(), **self.spec.to_dict(),
                 "points": [{"name": p.name, "settings": p.settings} for p in self.points]}
        write_text(self.folder / SWEEP_YAML, dump_yaml(asked))
        todo = []
        for point in self.points:
            summary_path = self.run_dir(point) / "summary.json"
            summary = read_json(summary_path) if summary_path.is_file() else {}
            if summary.get("status") in FINISHED:
                self._set(point.name, record(summary))
            else:
                todo.append(point)
        self.save()
        return todo

    def check_folder(self) -> None:
        """The folder is new, empty, or a sweep folder of this same sweep holding nothing but
        what nnctl writes there (SWEEP_FILES, RUNS); anything else is refused, naming it."""
        try:
            info = self.folder.stat()
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            raise NnctlError(f"{self.where}: cannot use it as the sweep folder ({os_reason(e)})") from None
        if not stat.S_ISDIR(info.st_mode):
            raise NnctlError(f"{self.where}: exists and is not a folder; choose another --out")
        try:
            names = sorted(os.listdir(self.folder))
        except OSError as e:
            raise NnctlError(f"{self.where}: cannot read the sweep folder ({os_reason(e)})") from None
        if SWEEP_YAML in names:
            self.check_same_sweep()
        else:  # what nnctl writes before sweep.yaml: the lock, and sweep.yaml's temporary file
            other = next((n for n in names if n != LOCK and temporary_of(n) not in SWEEP_FILES), None)
            if other is not None:
                raise NnctlError(f"{self.where}: holds {other} and no {SWEEP_YAML}, so it is not a sweep folder; "
                                 "choose another --out (a new or empty folder)")
        try:
            foreign = foreign_entry(self.folder)
        except OSError as e:  # a run directory that cannot be listed
            raise NnctlError(f"{self.where}: cannot read the sweep folder ({os_reason(e)})") from None
        if foreign is not None:
            raise NnctlError(f"{self.where}: holds {foreign}, which is not a file nnctl writes in a sweep folder; "
                             "choose another --out")

    def check_same_sweep(self) -> None:
        """The folder's sweep.yaml, if any, is of this sweep (the same digest)."""
        try:
            info = os.lstat(self.folder / SWEEP_YAML)
        except FileNotFoundError:
            return
        seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        if seen == self.checked:  # read a moment ago (a sweep.yaml of 10 000 points takes seconds)
            return
        try:
            previous = read_sweep_yaml(self.folder)
        except NnctlError as e:
            raise NnctlError(f"{e}; choose another --out") from None
        theirs = previous["digest"] if isinstance(previous.get("digest"), str) else digest_of(previous)
        if theirs != self.spec.digest():
            ours = {**self.spec.to_dict(), "points": self.points}
            raise NnctlError(f"{self.where}: holds a different sweep ({_describe(previous, theirs)}) than this one "
                             f"({_describe(ours, self.spec.digest())}); choose another --out")
        self.checked = seen

    def _set(self, name: str, values: dict[str, Any]) -> None:
        row = self.rows.setdefault(name, {})
        row.update(values)
        cells = {k: (flow(v) if isinstance(v, (list, dict)) else v) for k, v in row.items()}
        self.lines[name] = rows_csv([cells], self.columns(), header=False)

    def finish(self, point: Point, result: dict[str, Any]) -> None:
        self._set(point.name, result)
        self.save()

    def columns(self) -> list[str]:
        return ["name", *self.keys, "status", "epochs", *METRIC_COLUMNS, "best_epoch", "seconds", "error",
                "run_dir"]

    def save(self) -> None:
        """results.csv, rewritten whole and atomically: readers never see half a file."""
        write_text(self.folder / RESULTS, rows_csv([], self.columns()) + "".join(self.lines.values()))

    def counts(self) -> dict[str, int]:
        statuses = [row["status"] for row in self.rows.values()]
        return {s: statuses.count(s) for s in dict.fromkeys(statuses)}


def _describe(asked: dict[str, Any], digest: str) -> str:
    """'sweep 1a2b3c4d: 6 points of moons.yaml'."""
    points = asked.get("points")
    count = f"{len(points)} points of " if isinstance(points, list) else ""
    return f"sweep {digest}: {count}{Path(str(asked.get('config', '?'))).name}"


def execute(sweep: Sweep, todo: list[Point], *, jobs: int, scheduler: str | None = None,
            on_done: Callable[[Point, dict[str, Any]], None] | None = None) -> None:
    """Run the points, `jobs` at a time (never more workers than points) in worker processes, or
    on a dask cluster, recording each result as it arrives. Ctrl-C stops the sweep: finished
    rows stay, the rest stay pending."""
    config = str(sweep.spec.config)
    calls = [(p, (config, [*sweep.spec.overrides, *p.overrides], str(sweep.run_dir(p)))) for p in todo]
    if not calls:
        return
    lock = sweep.lock.fd if sweep.lock is not None else None
    results = _on_dask(calls, scheduler) if scheduler else _in_pool(calls, min(jobs, len(calls)), lock)
    for point, result in results:
        sweep.finish(point, result)
        if on_done:
            on_done(point, result)


def _in_pool(calls, jobs: int, lock: int | None) -> Iterator[tuple[Point, dict[str, Any]]]:
    import multiprocessing

    # workers ignore Ctrl-C: the parent stops them, and their half-done runs restart on resume
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(lock, os.getpid()))
    try:
        for i, result in pool.imap_unordered(_call, enumerate(args for _, args in calls)):
            yield calls[i][0], result
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _start_worker(lock: int | None, parent: int) -> None:
    """A worker leaves Ctrl-C to the parent, dies of the SIGTERM the parent stops it with (or
    that Linux sends when the parent dies, even of a SIGKILL: no orphan goes on writing runs
    once the folder is unlocked), and closes its copy of the folder's lock, which would
    otherwise keep the folder locked after the parent died."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if lock is not None:
        os.close(lock)
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before that: nobody would send it
            os._exit(1)


def _call(indexed: tuple[int, tuple]) -> tuple[int, dict[str, Any]]:
    i, args = indexed
    return i, run_point(*args)


def _on_dask(calls, scheduler: str) -> Iterator[tuple[Point, dict[str, Any]]]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise NnctlError("--scheduler needs dask: pip install 'nnctl[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise NnctlError(f"--scheduler {scheduler}: cannot reach the scheduler ({e})") from None
    try:
        futures = {client.submit(run_point, *args, pure=False, key=f"nnctl-{point.name}"): point
                   for point, args in calls}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.close()


def default_folder(spec: SweepSpec) -> Path:
    """output.dir/NAME-sweep-DIGEST: the same sweep asked again lands in the same folder."""
    config = load_config(spec.config, spec.overrides)
    return Path(config.output.dir) / f"{config.name}-sweep-{spec.digest()}"


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


def results_table(folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    """results.csv's columns and rows as text (a missing cell is '', blank rows are skipped)."""
    import csv
    import io

    path = Path(folder) / RESULTS
    if not path.exists():
        raise NnctlError(f"{folder}: no {RESULTS} (not a sweep folder, or the sweep has not started)")
    text = read_text(path, limit=MAX_RESULTS_BYTES, what="results file")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
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


def read_results(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """A sweep's results.csv with values parsed (settings as YAML, metrics as floats), and the
    swept keys (seed left out). A cell that does not read back is one line naming the file, the
    row and the column, quoting at most 40 characters of it."""
    folder = Path(folder)
    path = folder / RESULTS
    points = read_sweep_yaml(folder)["points"]
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
    return rows, [k for k in keys if k != "seed"]


def _quote(cell: str) -> str:
    """A cell as a message quotes it: at most 40 characters (it may hold anything)."""
    return repr(cell if len(cell) <= 40 else cell[:40] + "…")
