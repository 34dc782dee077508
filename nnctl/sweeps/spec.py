"""Layer 5: what a sweep asks, and its points. A `SweepSpec` holds the base config, its
overrides, a grid of values and/or a random space with a number of samples, and seeds; it comes
from a sweep file (`load_sweep_file`, every field checked as strictly as a config's) or from the
command line (`parse_grids`, `parse_seeds`). `sweep_points` turns it into `Point`s: the grid's
product × the samples × the seeds, each with its settings and a name that needs no quoting
(`sweeps.names`); `digest` names the question, so that asking it again finds the same folder.
A sweep file's `name:` names the folder and the pictures; it is not part of the question.

A sweep file with `search:` ({method: tpe|random, trials, metric, direction, timeout}) and
optionally `pruning:` ({method: asha|median|hyperband, min_epochs}) searches its `random:` space
instead (`sweeps.search`): it has no points up front. `random:` entries may be `{int: [lo, hi],
log: true}` and, for model.hidden, `{depth: <distribution>, width: <distribution>}` ([width] *
depth), in plain random sweeps too. A search's budget (trials, timeout) is not in its digest.

Each key is swept in one place: a key given twice (two --grid, a file's grid: and --grid, grid:
and random:, seeds: and a swept seed) or both swept and set is refused, never silently settled.

Imports `config` (validating values, reading YAML), `files`, `errors` and `sweeps.names`;
nothing of a sweep folder (that is `sweeps.folder`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nnctl.config import SAFE_NAME, parse_value, shown
from nnctl.errors import NnctlError
from nnctl.files import YamlTooLarge, flow, read_yaml, regular_file, yaml_error
from nnctl.sweeps.names import point_names
from nnctl.vocabulary import SUMMARY_METRICS

DISTRIBUTIONS = ("choice", "uniform", "loguniform", "int")
SHAPE = ("depth", "width")  # model.hidden's random: entry {depth: …, width: …}: [width] * depth
SPEC_KEYS = ("config", "set", "grid", "random", "samples", "seeds", "seed")  # the question: its digest's keys
# A search (issue 19): the study's settings, and its pruner's. In the digest only when given, so a
# grid sweep's digest (and folder) is what it was before; a search's budget (trials, timeout) is not
# part of the question: asking for more trials goes on with the same study.
SEARCH_KEYS = ("search", "pruning")
BUDGET_KEYS = ("trials", "timeout")
SEARCH_METHODS = ("tpe", "random")
PRUNERS = ("asha", "median", "hyperband")
SEARCH_DEFAULTS = {"method": "tpe", "trials": None, "metric": "val_loss", "direction": "minimize", "timeout": None}
PRUNING_DEFAULTS = {"method": "asha", "min_epochs": 1}
SEARCH_METRICS = SUMMARY_METRICS  # what a search may minimize or maximize: a run's final metrics
DIRECTIONS = ("minimize", "maximize")
FILE_KEYS = ("name", *SPEC_KEYS, *SEARCH_KEYS)  # a sweep file's keys
# Where a key is swept (grid, random, seeds) or set, as messages name them: in a sweep file, and
# on the command line
FILE_PLACES = ("grid", "random", "seeds", "set")
COMMAND_PLACES = ("--grid", "random", "--seeds", "--set")
# The most points one sweep may have, counted (grid values × samples × seeds) before any point is
# made; a larger study is several sweeps. Measured at 10 000 points: every point's config is
# validated before the first run (2.5 ms a point), sweep.yaml lists them all (1 MB; writing it
# takes 5 s, reading it back on a resume or `nnctl plot` 12 s): about 30 s before the first run,
# 45 s to resume. The 100 000 would make both ten times as long, past the 30 s a user
# waits before taking a command for hung: 10 000 is the limit.
MAX_POINTS = 10_000


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
    name: str | None = field(default=None, compare=False)  # names the folder and the pictures
    search: dict[str, Any] = field(default_factory=dict)  # SEARCH_DEFAULTS' keys, when the sweep is a search
    pruning: dict[str, Any] = field(default_factory=dict)  # PRUNING_DEFAULTS' keys, when a search prunes

    def to_dict(self) -> dict[str, Any]:
        """The question (SPEC_KEYS, and SEARCH_KEYS when given), as sweep.yaml holds it; the name
        is not part of it."""
        searched = {key: getattr(self, key) for key in SEARCH_KEYS if getattr(self, key)}
        return {"config": str(self.config), "set": self.overrides, "grid": self.grid, "random": self.random,
                "samples": self.samples, "seeds": self.seeds, "seed": self.seed, **searched}

    def digest(self) -> str:
        """Eight hex digits naming this sweep, so the same command finds the same folder."""
        return digest_of(self.to_dict())


def digest_of(asked: dict[str, Any]) -> str:
    """The digest of a sweep's question: `SweepSpec.to_dict()`, or the same keys of a sweep.yaml."""
    question = {key: asked.get(key) for key in SPEC_KEYS}
    for key in SEARCH_KEYS:  # a search's settings but not its budget; nothing for a grid sweep
        if isinstance(asked.get(key), dict) and asked[key]:
            question[key] = {k: v for k, v in asked[key].items() if k not in BUDGET_KEYS}
    return hashlib.sha1(json.dumps(question, sort_keys=True, default=str).encode()).hexdigest()[:8]


# -- the sweep file: every field checked as strictly as a config's -----------------------------


def is_sweep_file(raw: Any) -> bool:
    """Whether a YAML file's content is a sweep file rather than a config: a mapping with a key
    only sweep files have (`seed` and `name` are a config's keys too)."""
    return isinstance(raw, dict) and any(key in raw for key in SPEC_KEYS if key != "seed")


def load_sweep_file(path: Path, extra: SweepSpec | None = None) -> SweepSpec:
    """A sweep YAML: `name:` (of the folder and the pictures), `config:` (the base config,
    relative to this file), `grid:`, `random:` with `samples:`, `seeds:`, `seed:` and `set:`
    (overrides of the base). A field left empty is not given; any other problem is one line
    naming the file and the dotted field. `extra`: the command line's --grid, --seeds and --set,
    which add to the file's (a key or the seeds in both is refused)."""
    path = Path(path)
    where = str(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise NnctlError(f"{where}: expected a mapping with config:, grid: and/or random:, got {shown(raw)}")
    for key in raw:
        if key not in FILE_KEYS:
            raise NnctlError(f"{where}: unknown key {shown(key)} (allowed: {', '.join(FILE_KEYS)})")
    if raw.get("config") is None:
        raise NnctlError(f"{where}: config: is required (the base config's path, relative to this file)")
    random = _random(where, raw.get("random"))
    search = _search(where, raw.get("search"), raw)
    spec = SweepSpec(
        config=_base_config(where, path, raw["config"]),
        overrides=_overrides(where, raw.get("set")),
        grid=_grid(where, raw.get("grid")),
        random=random,
        samples=0 if search else _samples(where, raw.get("samples"), random),
        seeds=_seeds(f"{where}: seeds", raw.get("seeds")),
        seed=_whole(f"{where}: seed", 0 if raw.get("seed") is None else raw["seed"]),
        where=where,
        name=_name(where, raw.get("name")),
        search=search,
        pruning=_pruning(where, raw.get("pruning"), search),
    )
    if extra is not None:
        _add(spec, extra)
    return spec


def _add(spec: SweepSpec, extra: SweepSpec) -> None:
    """The command line's --grid, --seeds and --set added to a sweep file's spec; a key the file
    sweeps, or seeds it gives, given again is refused (which one should win?)."""
    for key in extra.grid:
        if key in spec.grid or key in spec.random:
            section = "grid" if key in spec.grid else "random"
            raise NnctlError(f"--grid {key}: {spec.where} sweeps it already ({section}.{key}); "
                             "give its values in one place, the file or --grid")
    if extra.seeds and spec.seeds:
        raise NnctlError(f"--seeds: {spec.where} gives seeds: already; "
                         "give the seeds in one place, the file or --seeds")
    spec.grid.update(extra.grid)
    spec.seeds = extra.seeds or spec.seeds
    swept = SweepSpec(config=spec.config, overrides=extra.overrides, grid=spec.grid, random=spec.random,
                      seeds=spec.seeds)
    swept_once(f"{spec.where}: ", swept, (*FILE_PLACES[:3], "--set"))
    spec.overrides += extra.overrides


def _name(where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value):
        raise NnctlError(f"{where}: name: {shown(value)} cannot name a folder (use letters, digits, '.', '_' and '-')")
    return value


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
    {loguniform: [low, high]} (0 < low < high), {int: [low, high]} (whole, low ≤ high, both ends
    in; with `log: true`, 0 < low, drawn on a log scale) or, for model.hidden, a shape
    {depth: <one of those>, width: <one of those>}, meaning [width] * depth."""
    if isinstance(space, dict) and set(space) == set(SHAPE):
        for part in SHAPE:
            check_distribution(f"{where}.{part}", space[part])
        return
    kinds = [k for k in space if k in DISTRIBUTIONS] if isinstance(space, dict) else []
    extra = set(space) - {*kinds, "log"} if isinstance(space, dict) else set()
    if len(kinds) != 1 or extra or ("log" in space and kinds != ["int"]):
        raise NnctlError(f"{where}: expected one of {{{', '.join(d + ': …' for d in DISTRIBUTIONS)}}} "
                         f"({{int: …, log: true}} for a log scale, {{depth: …, width: …}} for model.hidden), "
                         f"got {shown(space)}")
    kind, args = kinds[0], space[kinds[0]]
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
        if ok and space.get("log", False) is not False:
            ok, need = space["log"] is True and args[0] > 0, "log: true (or false) and, on a log scale, 0 < low"
    elif kind == "uniform":
        ok, need = pair and args[0] < args[1], "numbers [low, high] with low < high"
    else:
        ok, need = pair and 0 < args[0] < args[1], "0 < low < high"
    if not ok:
        raise NnctlError(f"{where}: {kind} needs {need}, got {shown(args)}")


def distribution(space: dict[str, Any]) -> tuple[str, Any, bool]:
    """A checked random: entry (not a shape) as (kind, its arguments, on a log scale)."""
    kind = next(k for k in space if k in DISTRIBUTIONS)
    return kind, space[kind], kind == "loguniform" or space.get("log") is True


def _samples(where: str, value: Any, random: dict) -> int:
    if not random:
        if value not in (None, 0) or isinstance(value, bool):
            raise NnctlError(f"{where}: samples: given without random: (it is how many points random: draws), "
                             f"got {shown(value)}")
        return 0
    if value is None:
        raise NnctlError(f"{where}: samples: is required with random: (how many points to draw), e.g. samples: 20")
    return _whole(f"{where}: samples", value, low=1)


def _search(where: str, value: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """search: {method, trials, metric, direction, timeout} with SEARCH_DEFAULTS filled in, over
    the file's random: space (a grid has no place in a search: write it as {choice: [...]})."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NnctlError(f"{where}: search: expected a mapping, e.g. {{method: tpe, trials: 60}}, got {shown(value)}")
    for key in value:
        if key not in SEARCH_DEFAULTS:
            raise NnctlError(f"{where}: search: unknown key {shown(key)} (allowed: {', '.join(SEARCH_DEFAULTS)})")
    search = {**SEARCH_DEFAULTS, **{k: v for k, v in value.items() if v is not None}}
    if value.get("direction") is None:  # an accuracy is maximized, a loss minimized
        search["direction"] = "maximize" if str(search["metric"]).endswith("accuracy") else "minimize"
    for key, allowed in (("method", SEARCH_METHODS), ("metric", SEARCH_METRICS), ("direction", DIRECTIONS)):
        if search[key] not in allowed:
            raise NnctlError(f"{where}: search.{key}: unknown {shown(search[key])} (choose from: {', '.join(allowed)})")
    if search["trials"] is not None:
        _whole(f"{where}: search.trials", search["trials"], low=1)
    if search["timeout"] is not None and not (_number(search["timeout"]) and search["timeout"] > 0):
        raise NnctlError(f"{where}: search.timeout: expected seconds > 0, got {shown(search['timeout'])}")
    if not raw.get("random"):
        raise NnctlError(f"{where}: search: needs random: (the space to search), e.g. "
                         "random: {optimizer.lr: {loguniform: [1.0e-4, 0.1]}}")
    for key in ("grid", "samples"):
        if raw.get(key) is not None:
            raise NnctlError(f"{where}: {key}: has no place in a search (search.trials says how many points; "
                             "a grid's values go in random: as {choice: [...]}); drop it")
    return search


def _pruning(where: str, value: Any, search: dict[str, Any]) -> dict[str, Any]:
    """pruning: {method: asha|median|hyperband, min_epochs: k}, PRUNING_DEFAULTS filled in; only with search:."""
    if value is None:
        return {}
    if not search:
        raise NnctlError(f"{where}: pruning: needs search: (only a search's study decides which runs to stop)")
    if not isinstance(value, dict) or any(key not in PRUNING_DEFAULTS for key in value):
        raise NnctlError(f"{where}: pruning: expected a mapping of {', '.join(PRUNING_DEFAULTS)}, "
                         f"e.g. {{method: asha, min_epochs: 5}}, got {shown(value)}")
    pruning = {**PRUNING_DEFAULTS, **{k: v for k, v in value.items() if v is not None}}
    if pruning["method"] not in PRUNERS:
        raise NnctlError(f"{where}: pruning.method: unknown {shown(pruning['method'])} "
                         f"(choose from: {', '.join(PRUNERS)})")
    _whole(f"{where}: pruning.min_epochs", pruning["min_epochs"], low=1)
    return pruning


def with_search_options(spec: SweepSpec, options: dict[str, Any]) -> SweepSpec:
    """The command line's --search METHOD, --trials N, --timeout SECONDS and --pruning METHOD
    (`options`, by those names, None when not given) over a sweep file's search: and pruning:
    (a search needs the file's random: space)."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return spec
    if not spec.random:
        flags = ", ".join(f"--{k}" for k in given)
        raise NnctlError(f"{flags}: a search needs a sweep file with random: (the space to search)")
    if spec.grid:
        raise NnctlError(f"--search: {spec.where} has grid: (or --grid), which has no place in a search; "
                         "write its values in random: as {choice: [...]}")
    if "search" in given and given["search"] not in SEARCH_METHODS:
        raise NnctlError(f"--search: unknown {shown(given['search'])} (choose from: {', '.join(SEARCH_METHODS)})")
    if "pruning" in given and given["pruning"] not in PRUNERS:
        raise NnctlError(f"--pruning: unknown {shown(given['pruning'])} (choose from: {', '.join(PRUNERS)})")
    for key in ("trials", "timeout"):
        if key in given and not (_number(given[key]) and given[key] > 0):
            raise NnctlError(f"--{key}: must be > 0, got {given[key]}")
    search = {**(spec.search or SEARCH_DEFAULTS)}
    search.update({k: given[k] for k in ("trials", "timeout") if k in given})
    search["method"] = given.get("search", search["method"])
    pruning = spec.pruning if "pruning" not in given else {**PRUNING_DEFAULTS, **spec.pruning,
                                                           "method": given["pruning"]}
    return SweepSpec(config=spec.config, overrides=spec.overrides, grid=spec.grid, random=spec.random,
                     seeds=spec.seeds, seed=spec.seed, where=spec.where, name=spec.name, search=search,
                     pruning=pruning)


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
    if set(space) == set(SHAPE):
        depth, width = (_draw(space[part], rng) for part in SHAPE)
        return [width] * depth
    kind, args, log = distribution(space)
    if kind == "choice":
        return args[int(rng.integers(len(args)))]
    low, high = args
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "loguniform":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    if log:  # log-uniform over [low, high + 1), floored: k drawn with probability ∝ log((k + 1) / k)
        return int(min(math.floor(math.exp(rng.uniform(math.log(low), math.log(high + 1)))), high))
    return int(rng.integers(low, high + 1))


def count_points(spec: SweepSpec) -> int:
    """How many points `sweep_points` makes, counted without making them."""
    samples = (spec.search["trials"] or 1) if spec.search else max(spec.samples, 1)
    return math.prod(len(values) for values in spec.grid.values()) * samples * max(len(spec.seeds), 1)


def swept_once(where: str, spec: SweepSpec, places: tuple[str, str, str, str] = FILE_PLACES) -> None:
    """Each key swept in one place (grid, random, or for the seed seeds), and none also set: a
    point's value of a swept key replaces what a set gives it (or gives the section holding
    it), so the set value would be lost without a word. `places` names the four as the message
    should (FILE_PLACES or COMMAND_PLACES)."""
    grid, random, seeds, option = places
    swept: dict[str, str] = {}
    for place, keys in ((grid, list(spec.grid)), (random, list(spec.random)), (seeds, ["seed"] * bool(spec.seeds))):
        for key in keys:
            if key in swept:
                raise NnctlError(f"{where}{key}: swept by both {swept[key]} and {place}; sweep it in one of them")
            swept[key] = place
    for override in spec.overrides:
        key = override.partition("=")[0].strip()
        section = next((k for k in swept if key == k or key.startswith(k + ".")), None)
        if section is not None:
            raise NnctlError(f"{where}{option} {override}: {section} is swept ({swept[section]}), and every point's "
                             f"value would replace this one; drop it from {option}")


def sweep_points(spec: SweepSpec) -> list[Point]:
    """Every point: the grid's product, times the random space's samples, times the seeds; at
    most MAX_POINTS of them, refused before any is made."""
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
    swept_once(where, spec)
    if spec.search:  # a search's points are the study's trials, asked as it goes (sweeps.search)
        return []
    rng = np.random.default_rng(spec.seed)
    draws = [{k: _draw(space, rng) for k, space in spec.random.items()} for _ in range(spec.samples)]
    grid = [dict(zip(spec.grid, values, strict=True)) for values in itertools.product(*spec.grid.values())]
    seeds = [{"seed": s} for s in spec.seeds] or [{}]
    settings = [{**g, **d, **s} for g in grid for d in (draws or [{}]) for s in seeds]
    if not settings or settings == [{}]:
        raise NnctlError("nothing to sweep: give --grid KEY=V1,V2 (or grid:/random: in a sweep file) or --seeds")
    names = point_names(settings)
    return [Point(n, s) for n, s in zip(names, settings, strict=True)]
