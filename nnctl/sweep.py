"""Sweeps: one base config trained at many points of a grid and/or random space of settings.

A sweep folder holds `sweep.yaml` (what was asked, and every point), `results.csv` (one row per
point: its settings, status, metrics, seconds; rewritten atomically as runs finish) and
`runs/NAME/`, one ordinary run directory per point, named by its settings. Running the same
sweep again resumes it: points whose run finished (completed, early_stopped, diverged) are
skipped, a run cut off after it saved a resume state goes on from it, the others run from the
start.

Runs go to a pool of worker processes (`jobs`), each reused for many runs, or, with a
`scheduler` address, to a dask.distributed cluster whose workers write their run directories
into the same sweep folder, which must then be on a path every worker can reach.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nnctl.errors import NnctlError

FINISHED = ("completed", "early_stopped", "diverged")
METRIC_COLUMNS = ("final_train_loss", "final_val_loss", "final_train_accuracy", "final_val_accuracy")
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "int")


def flow(value: Any) -> str:
    """A value as one line of YAML: 0.01, [16, 16], tanh."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").strip()


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
        raise NnctlError(f"--grid {option!r}: expected KEY=V1,V2,… e.g. --grid optimizer.lr=0.01,0.1")
    from nnctl.config import parse_value

    values = []
    for part in split_values(text):
        try:
            values.append(parse_value(part))
        except yaml.YAMLError:
            raise NnctlError(f"--grid {option!r}: cannot parse {part!r} as YAML") from None
    return key.strip(), values


@dataclass
class SweepSpec:
    """What a sweep asks: the base config, its overrides, the spaces and the seeds."""

    config: Path
    overrides: list[str] = field(default_factory=list)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    random: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: int = 0
    seeds: list[int] = field(default_factory=list)
    seed: int = 0  # draws the random space's samples

    def to_dict(self) -> dict[str, Any]:
        return {"config": str(self.config), "set": self.overrides, "grid": self.grid, "random": self.random,
                "samples": self.samples, "seeds": self.seeds, "seed": self.seed}

    def digest(self) -> str:
        """Eight hex digits naming this sweep, so the same command finds the same folder."""
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:8]


def load_sweep_file(path: Path, extra: SweepSpec | None = None) -> SweepSpec:
    """A sweep YAML: `config:` (the base config, relative to this file), `grid:`, `random:` with
    `samples:`, `seeds:`, `seed:` and `set:` (overrides of the base)."""
    from nnctl.files import read_yaml

    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise NnctlError(f"{path}: expected a mapping with config:, grid: and/or random:")
    allowed = ("config", "set", "grid", "random", "samples", "seeds", "seed")
    for key in raw:
        if key not in allowed:
            raise NnctlError(f"{path}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    if "config" not in raw:
        raise NnctlError(f"{path}: config: is required (the base config's path, relative to this file)")
    spec = SweepSpec(
        config=(path.parent / str(raw["config"])).resolve(),
        overrides=[str(s) for s in raw.get("set") or []],
        grid={str(k): (v if isinstance(v, list) else [v]) for k, v in (raw.get("grid") or {}).items()},
        random=dict(raw.get("random") or {}),
        samples=int(raw.get("samples") or 0),
        seeds=[int(s) for s in raw.get("seeds") or []],
        seed=int(raw.get("seed") or 0),
    )
    if extra is not None:  # command-line --grid, --seeds and --set add to the file's
        spec.grid.update(extra.grid)
        spec.seeds = extra.seeds or spec.seeds
        spec.overrides += extra.overrides
    return spec


@dataclass(frozen=True)
class Point:
    """One run of the sweep: its settings (dotted key -> value, seed included) and its name."""

    name: str
    settings: dict[str, Any]

    @property
    def overrides(self) -> list[str]:
        return [f"{key}={flow(value)}" for key, value in self.settings.items()]


def _draw(key: str, space: dict[str, Any], rng) -> Any:
    if not isinstance(space, dict) or len(space) != 1 or next(iter(space)) not in DISTRIBUTIONS:
        raise NnctlError(f"random.{key}: expected one of {{{', '.join(d + ': …' for d in DISTRIBUTIONS)}}}")
    kind, args = next(iter(space.items()))
    if kind == "choice":
        return args[int(rng.integers(len(args)))]
    low, high = args
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return int(rng.integers(low, high + 1))


def sweep_points(spec: SweepSpec) -> list[Point]:
    """Every point: the grid's product, times the random space's samples, times the seeds."""
    import numpy as np

    rng = np.random.default_rng(spec.seed)
    draws = [{k: _draw(k, space, rng) for k, space in spec.random.items()} for _ in range(spec.samples)]
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
    for name in names:
        if names.count(name) > 1:
            raise NnctlError(f"two points of the sweep are the same: {name} (a repeated grid value?)")
    return names


def run_point(config_path: str, overrides: list[str], run_dir: str) -> dict[str, Any]:
    """Train one point into run_dir and draw its pictures; never raises, so a sweep goes on.
    Runs in a worker process (local pool or dask)."""
    from nnctl.config import load_config
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


class Sweep:
    """A sweep folder: its points, their rows, and the files that record them."""

    def __init__(self, spec: SweepSpec, folder: Path):
        self.spec, self.folder = spec, folder
        self.points = sweep_points(spec)
        self.keys = list(dict.fromkeys(k for p in self.points for k in p.settings))
        self.rows: dict[str, dict[str, Any]] = {p.name: self._pending(p) for p in self.points}

    def _pending(self, point: Point) -> dict[str, Any]:
        return {"name": point.name, **point.settings, "status": "pending",
                "run_dir": f"runs/{point.name}"}

    def run_dir(self, point: Point) -> Path:
        return self.folder / "runs" / point.name

    def validate(self) -> None:
        """Every point's config, checked before anything runs: a typo in a --grid key is one
        error now, not three hundred failed runs."""
        from nnctl.config import load_config

        for point in self.points:
            try:
                load_config(self.spec.config, [*self.spec.overrides, *point.overrides])
            except NnctlError as e:
                raise NnctlError(f"sweep point {point.name}: {e}") from None

    def prepare(self) -> list[Point]:
        """Create or check the folder, write sweep.yaml, and return the points still to run."""
        from nnctl.config import dump_yaml
        from nnctl.files import read_json, write_text

        self.validate()
        self.folder.mkdir(parents=True, exist_ok=True)
        asked = {**self.spec.to_dict(), "points": [{"name": p.name, "settings": p.settings} for p in self.points]}
        sweep_yaml = self.folder / "sweep.yaml"
        if sweep_yaml.is_file():
            previous = yaml.safe_load(sweep_yaml.read_text()) or {}
            if [p.get("name") for p in previous.get("points", [])] != [p.name for p in self.points]:
                raise NnctlError(f"{self.folder}: holds a different sweep (choose another --out)")
        write_text(sweep_yaml, dump_yaml(asked))
        todo = []
        for point in self.points:
            summary_path = self.run_dir(point) / "summary.json"
            summary = read_json(summary_path) if summary_path.is_file() else {}
            if summary.get("status") in FINISHED:
                self.rows[point.name].update(record(summary))
            else:
                todo.append(point)
        self.save()
        return todo

    def finish(self, point: Point, result: dict[str, Any]) -> None:
        self.rows[point.name].update(result)
        self.save()

    def columns(self) -> list[str]:
        return ["name", *self.keys, "status", "epochs", *METRIC_COLUMNS, "best_epoch", "seconds", "error",
                "run_dir"]

    def save(self) -> None:
        """results.csv, rewritten whole and atomically: readers never see half a file."""
        from nnctl.files import write_text
        from nnctl.runs import rows_csv

        rows = [{k: (flow(v) if isinstance(v, (list, dict)) else v) for k, v in row.items()}
                for row in self.rows.values()]
        write_text(self.folder / "results.csv", rows_csv(rows, self.columns()))

    def counts(self) -> dict[str, int]:
        statuses = [row["status"] for row in self.rows.values()]
        return {s: statuses.count(s) for s in dict.fromkeys(statuses)}


def execute(sweep: Sweep, todo: list[Point], *, jobs: int, scheduler: str | None = None,
            on_done: Callable[[Point, dict[str, Any]], None] | None = None) -> None:
    """Run the points, `jobs` at a time in worker processes (or on a dask cluster), recording
    each result as it arrives. Ctrl-C stops the sweep: finished rows stay, the rest stay pending."""
    config = str(sweep.spec.config)
    calls = [(p, (config, [*sweep.spec.overrides, *p.overrides], str(sweep.run_dir(p)))) for p in todo]
    for point, result in (_on_dask(calls, scheduler) if scheduler else _in_pool(calls, jobs)):
        sweep.finish(point, result)
        if on_done:
            on_done(point, result)


def _in_pool(calls, jobs: int) -> Iterator[tuple[Point, dict[str, Any]]]:
    import multiprocessing

    # workers ignore Ctrl-C: the parent stops them, and their half-done runs restart on resume
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_interrupts)
    try:
        for i, result in pool.imap_unordered(_call, enumerate(args for _, args in calls)):
            yield calls[i][0], result
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to the parent, and dies of the SIGTERM the parent stops it with."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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
    from nnctl.config import load_config

    config = load_config(spec.config, spec.overrides)
    return Path(config.output.dir) / f"{config.name}-sweep-{spec.digest()}"
