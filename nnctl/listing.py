"""`nnctl runs` (layer 5): run directories found under some folders, read back as flat records, filtered,
sorted and shown as one table (rich on a terminal, or CSV / JSON for pandas). On a terminal narrower
than the table no value is cut: headers break after '.' and '_', the least wanted default columns
are left out (and named below the table), and columns that cannot fit at all turn into a block
per run; in a pipe the table keeps every column, one line per run.

A record is one run: its config flattened to dotted keys ("model.hidden": [16, 16],
"optimizer.lr": 0.01, …) plus "name" (the run directory's name, which stands in for the config's
own `name:`), "path", "status", "epochs", "final.val_accuracy", "best.val_loss", …, "best_epoch",
"seconds", "parameters", "monitor" (and "diverged_at.epoch" when the run diverged).

Only yaml and json are read here (no numpy, pydantic, matplotlib), each file through nnctl.files'
bounded readers, so listing hundreds of runs starts fast; rich is imported by `print_table` alone.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from nnctl.errors import NnctlError
from nnctl.files import YamlTooLarge, flow, parse_yaml, read_json, read_text, read_yaml, rows_csv
from nnctl.sweeps.results import BEST, RUNS
from nnctl.vocabulary import FINAL_METRICS, STATUSES, SUMMARY_METRICS

RUN_FILES = ("config.yaml", "summary.json")
MAX_BEST_BYTES = 1_000_000  # a search's best.yaml: a run's config.yaml and two lines of comment
# config keys never shown as "differing": where the run was written says nothing about it
IGNORED_CONFIG_KEYS = frozenset({"name", "output.dir"})
# how the status column colours each of vocabulary.STATUSES (a test holds the two together)
STATUS_STYLES = dict(zip(STATUSES, ("green", "cyan", "bold red", "yellow", "red", "dim", "magenta"), strict=True))
_WHERE = re.compile(r"^\s*([^=!<>\s]+)\s*(!=|>=|<=|==|=|>|<)(.*)$", re.DOTALL)
KEYS_HINT = ("keys are the dotted config keys (model.hidden, optimizer.lr, …), name, path, status, epochs, "
             "final.*, best.*, best_epoch, seconds, parameters")


# -- finding and reading runs ------------------------------------------------------------------


def is_run_dir(path: Path) -> bool:
    return all((path / name).is_file() for name in RUN_FILES)


def find_runs(paths: list[Path]) -> list[Path]:
    """Run directories (folders holding config.yaml and summary.json) under each path, recursively,
    sorted and without duplicates. A path may itself be a run directory; files given (a shell glob
    such as `sweep/*` also matches results.csv) are skipped, hidden folders are not searched and a
    run directory is not searched further. A path that does not exist is an error; finding no
    run is not (an empty list)."""
    found: dict[Path, Path] = {}  # resolved -> as found
    for root in map(Path, paths):
        if not root.exists():
            raise NnctlError(f"{root}: no such file or folder")
        if not root.is_dir():
            if root.name in RUN_FILES and is_run_dir(root.parent):  # runs/x/summary.json means runs/x
                found.setdefault(root.parent.resolve(), root.parent)
            continue
        if is_run_dir(root):
            found.setdefault(root.resolve(), root)
            continue
        for folder, dirs, files in os.walk(root):
            if all(name in files for name in RUN_FILES):
                found.setdefault(Path(folder).resolve(), Path(folder))
                dirs.clear()
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found.values())


def _read_config(path: Path) -> dict[str, Any]:
    data = read_yaml(path)  # bounded: an alias bomb or deep nesting is refused before it is expanded
    if not isinstance(data, dict):
        raise NnctlError(f"{path}: expected a YAML mapping (the run's resolved config)")
    return data


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'model': {'hidden': [16]}} -> {'model.hidden': [16]}; lists and empty mappings are values."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def run_record(path: Path) -> dict[str, Any]:
    """One run directory as a flat record: name, path, the dotted config keys, then the summary's
    status, epochs, final.* and best.* metrics, best_epoch, monitor, parameters, seconds."""
    path = Path(path)
    config = flatten(_read_config(path / "config.yaml"))
    summary = read_json(path / "summary.json")
    record: dict[str, Any] = {"name": path.resolve().name, "path": str(path)}
    record.update((k, v) for k, v in config.items() if k not in ("name", "path"))
    record["status"] = summary.get("status")
    record["epochs"] = summary.get("epochs")
    for part in ("final", "best"):
        values = summary.get(part)
        if isinstance(values, dict):
            record.update((f"{part}.{k}", v) for k, v in values.items())
    for key in ("best_epoch", "monitor", "parameters", "seconds"):
        record[key] = summary.get(key)
    if isinstance(summary.get("diverged_at"), dict):
        record.update(flatten(summary["diverged_at"], "diverged_at."))
    if path.resolve().parent.name == RUNS and best_run(path.resolve().parent.parent) == path.resolve().name:
        record["search.best"] = True  # the run of a search's best trial, as its best.yaml names it
    return record


@functools.lru_cache(maxsize=256)
def best_run(sweep_folder: Path) -> str | None:
    """The run directory's name that a search's best.yaml names in its first line ('… run
    runs/trial0012.'), or None (no best.yaml: a grid sweep, or a folder that is no sweep's)."""
    try:
        head = read_text(sweep_folder / BEST, limit=MAX_BEST_BYTES, what="best.yaml")[:500]
    except NnctlError:
        return None
    found = re.search(rf"run {RUNS}/([^\s/]+)\.\n", head)
    return found.group(1) if found else None


def read_runs(paths: list[Path]) -> list[dict[str, Any]]:
    """`run_record` of every run directory `find_runs(paths)` finds."""
    return [run_record(p) for p in find_runs(paths)]


# -- choosing rows and columns -----------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """A value as `nnctl runs` writes it, for pandas: text as it is, None as '', floats with every
    digit (nan and inf as pandas reads them), true/false, lists and mappings as YAML (`files.flow`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    return flow(value)


def _known_keys(records: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return list(keys)


def _check_key(key: str, known: list[str], option: str) -> None:
    if key in known:
        return
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    names = [repr(c) for c in close]
    hint = f"did you mean {', '.join(names[:-1])} or {names[-1]}?" if len(names) > 1 else (
        f"did you mean {names[0]}?" if names else KEYS_HINT)
    raise NnctlError(f"{option}: unknown key {key!r}; {hint}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """Equality where true is not 1 and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def parse_where(text: str) -> tuple[str, str, Any, str]:
    """'optimizer.lr>=0.01' -> ('optimizer.lr', '>=', 0.01, '0.01'); the value parses as YAML (a
    text that is not YAML, such as '*-lr0.1', stays a string); '==' is '='."""
    match = _WHERE.match(text)
    if not match:
        raise NnctlError(f"--where {text!r}: expected KEY=VALUE (or KEY!=VALUE, KEY>VALUE, KEY<VALUE, KEY>=VALUE, "
                         f"KEY<=VALUE), e.g. --where optimizer.lr=0.01")
    key, op, raw = match.group(1), match.group(2), match.group(3).strip()
    try:
        value = parse_yaml(raw) if raw else None
    except (yaml.YAMLError, YamlTooLarge):
        value = raw
    if isinstance(value, str):
        try:
            value = float(value)  # YAML 1.1 reads 1e-3 as a string; the config holds it as 0.001
        except ValueError:
            pass
    op = "=" if op == "==" else op
    if op in (">", "<", ">=", "<=") and not _is_number(value):
        raise NnctlError(f"--where {text!r}: {op} compares numbers, got {raw!r}")
    return key, op, value, raw


def _matches(actual: Any, op: str, value: Any, raw: str) -> bool:
    if op in ("=", "!="):
        equal = _same(actual, value) or (isinstance(actual, str) and (
            actual == raw or (any(c in raw for c in "*?[") and fnmatch.fnmatchcase(actual, raw))))
        return equal if op == "=" else not equal
    if not _is_number(actual) or math.isnan(actual):
        return False
    return {">": actual > value, "<": actual < value, ">=": actual >= value, "<=": actual <= value}[op]


def _sort_key(value: Any) -> tuple:
    if _is_number(value):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, flow(value))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def sort_records(records: list[dict[str, Any]], sort: str, known: list[str] | None = None) -> list[dict[str, Any]]:
    """By KEY ascending, or -KEY descending; runs without the key (or NaN) go last either way;
    ties keep their order. The key must be one of `known` (default: the records' keys)."""
    key = sort.strip()
    descending = key.startswith("-")
    key = key.lstrip("-+").strip()
    _check_key(key, _known_keys(records) if known is None else known, f"--sort {sort!r}")
    present = [r for r in records if not _missing(r.get(key))]
    absent = [r for r in records if _missing(r.get(key))]
    return sorted(present, key=lambda r: _sort_key(r[key]), reverse=descending) + absent


def filter_records(records: list[dict[str, Any]], where: list[str],
                   known: list[str] | None = None) -> list[dict[str, Any]]:
    """The records that pass every condition (KEY=VALUE, KEY!=VALUE, KEY>VALUE, …); the keys must
    be among `known` (default: the records' keys)."""
    known = _known_keys(records) if known is None else known
    conditions = []
    for text in where:
        key, op, value, raw = parse_where(text)
        _check_key(key, known, f"--where {text!r}")
        conditions.append((key, op, value, raw))
    return [r for r in records if all(_matches(r.get(k), op, v, raw) for k, op, v, raw in conditions)]


def differing_keys(records: list[dict[str, Any]]) -> list[str]:
    """The config keys whose values are not the same in every run (a missing key counts as None),
    in config order; the config's name and output.dir are left out."""
    summary_keys = {"name", "path", "status", "epochs", "best_epoch", "monitor", "parameters", "seconds",
                    "search.best"}
    keys = [k for k in _known_keys(records)
            if k not in summary_keys and k not in IGNORED_CONFIG_KEYS
            and not k.startswith(("final.", "best.", "diverged_at."))]
    return [k for k in keys if any(not _same(r.get(k), records[0].get(k)) for r in records[1:])]


def default_columns(records: list[dict[str, Any]]) -> list[str]:
    """name, the differing config keys, status, epochs, the final metrics, best_epoch, the best
    value of each monitored metric, seconds; metrics no run has are left out."""
    present = set(_known_keys(records))
    monitors = dict.fromkeys(f"best.{r['monitor']}" for r in records if isinstance(r.get("monitor"), str))
    return ["name", *differing_keys(records), "status", "epochs",
            *[f"final.{m}" for m in SUMMARY_METRICS if f"final.{m}" in present],
            "best_epoch", *[m for m in monitors if m in present], "seconds",
            *(["search.best"] if "search.best" in present else [])]


def _expand_columns(columns: Iterable[str], known: list[str]) -> list[str]:
    chosen: dict[str, None] = {}
    for item in columns:
        for column in (c.strip() for c in item.split(",")):
            if not column:
                continue
            if any(c in column for c in "*?["):  # final.* = every final metric
                matched = [k for k in known if fnmatch.fnmatchcase(k, column)]
                if not matched:
                    raise NnctlError(f"--columns: {column!r} matches no key; {KEYS_HINT}")
                chosen.update(dict.fromkeys(matched))
            else:
                _check_key(column, known, "--columns")
                chosen[column] = None
    if not chosen:
        raise NnctlError("--columns: no column given, e.g. --columns name,optimizer.lr,final.val_accuracy")
    return list(chosen)


def table(
    records: list[dict[str, Any]],
    *,
    sort: str | None = None,
    where: list[str] | None = None,
    columns: list[str] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows to show: records filtered by every `where` condition, sorted by `sort`
    (KEY or -KEY), with `columns` (dotted keys or patterns such as final.*; default:
    `default_columns` of the runs that pass the filter). Rows hold the values themselves (lists stay lists, missing
    is None). Unknown keys are errors naming the closest keys."""
    known = _known_keys(records) or ["name", "path", "status", "epochs", "best_epoch", "seconds"]
    chosen = _expand_columns(columns, known) if columns else None
    selected = filter_records(records, where or [], known)
    if sort:
        selected = sort_records(selected, sort, known)
    chosen = chosen or default_columns(selected or records or [{}])  # what differs among the runs shown
    return chosen, [{c: r.get(c) for c in chosen} for r in selected]


# -- output ------------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def format_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV with a header row: floats with every digit, lists as YAML flow ("[16, 16]"), booleans as
    true/false, missing as an empty cell; `pandas.read_csv` reads it as is."""
    return rows_csv(rows, columns, cell=csv_cell)


def format_json(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """A JSON array of objects, keys in column order; lists stay JSON arrays and NaN or infinity
    (a diverged run's loss) become null: `pandas.DataFrame(json.loads(text))` or
    `pandas.read_json`."""
    data = [{c: _finite(row.get(c)) for c in columns} for row in rows]
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def shown_cell(column: str, value: Any) -> str:
    """A value as the terminal table shows it: losses to 4 significant digits, accuracies as
    percentages, seconds to 3; everything else as its CSV cell."""
    if value is None:
        return ""
    if column == "search.best":
        return "★" if value else ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if column.endswith("accuracy"):
            return f"{value:.1%}"
        if column == "seconds":
            return f"{value:.3g}" if value < 100 else f"{value:.0f}"
        return f"{value:.4g}"
    return csv_cell(value)


def print_table(columns: list[str], rows: list[dict[str, Any]], console=None, *, chosen: bool = False,
                hint: str = "--columns chooses, --format csv has all") -> None:
    """A rich table: numbers right-aligned, losses to 4 significant digits, accuracies as
    percentages, the status coloured. Without a console, one on stdout that, off a terminal, is as
    wide as the table (no wrapping in a pipe or a file: one line per run). Narrower than the
    table, it keeps every value whole (see `fit_columns`): of the default columns (not `chosen`
    with --columns) it leaves out those that do not fit, and says which below the table, and
    `hint` where the rest is; columns that cannot fit even so are shown a run per block
    (`print_records`)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=100_000, soft_wrap=True)
    texts = {c: [shown_cell(c, row.get(c)) for row in rows] for c in columns}
    shown, widths = fit_columns(columns, texts, console.width, spare=() if chosen else spare_columns(columns))
    if _total(widths, shown) > console.width:  # too many to fit even broken and folded: a block per run
        print_records(columns, rows, texts, console)
        return
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False, collapse_padding=True)
    for column in shown:
        values = [row.get(column) for row in rows if row.get(column) is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        grid.add_column(Text(break_key(column, widths[column])), justify="right" if numeric else "left",
                        width=widths[column], overflow="fold")
    for i, row in enumerate(rows):
        status = row.get("status")
        style = STATUS_STYLES.get(status, "") if isinstance(status, str) else ""
        grid.add_row(*[  # Text, not markup: "[16, 16]" is shown as it is
            Text(break_key(texts[c][i], widths[c]), style=style) if c == "status" else Text(texts[c][i])
            for c in shown])
    console.print(grid)
    left_out = [c for c in columns if c not in widths]
    if left_out:
        console.print(f"left out at {console.width} columns: {', '.join(_left_out(c, texts[c]) for c in left_out)}; "
                      f"{hint}", style="dim", highlight=False)


def print_records(columns: list[str], rows: list[dict[str, Any]], texts: dict[str, list[str]], console) -> None:
    """The table turned on its side, for columns too many for the terminal: a block per run, its
    name and then one line per column (`key  value`), as psql's expanded display."""
    from rich.text import Text

    keys = [c for c in columns if c != "name"]
    width = max(map(len, keys), default=0)
    for i, row in enumerate(rows):
        status = row.get("status")
        style = STATUS_STYLES.get(status, "") if isinstance(status, str) else ""
        lines = [Text(texts["name"][i] if "name" in texts else f"run {i + 1}", style="bold")]
        lines += [Text.assemble(f"  {key:<{width}}  ", (texts[key][i], style if key == "status" else ""))
                  for key in keys]
        console.print(Text("\n").join(lines) + ("\n" if i + 1 < len(rows) else ""))


def _left_out(column: str, texts: list[str]) -> str:
    """A column left out, named with its value when every run has the same: 'epochs (100 in every run)'."""
    same = len(set(texts)) == 1 and texts[0] != ""
    return f"{column} ({texts[0]} in every run)" if same and len(texts) > 1 else column


# -- fitting a table to a terminal ------------------------------------------------------------

# The default columns left out first when a table is wider than the terminal; the rest (name, the
# settings that differ, status, the final validation metrics) always show. Most wanted first: a
# column here shows when it fits beside those before it.
SPARE_COLUMNS = ("best.*", *(m for m in FINAL_METRICS if m.startswith("final.train_")), "epochs", "best_epoch",
                 "seconds")
NAME_LEAST = 12  # the name column folds down to this when the settings and metrics need the room
GAP = 2  # the spaces between two columns
_KEY_PIECES = re.compile(r"[^._]*[._]|[^._]+")  # 'final.train_loss' -> 'final.', 'train_', 'loss'


def spare_columns(columns: list[str]) -> list[str]:
    """The `columns` that may be left out on a narrow terminal, most wanted first (SPARE_COLUMNS)."""
    spare: dict[str, None] = {}
    for pattern in SPARE_COLUMNS:
        spare.update(dict.fromkeys(c for c in columns if fnmatch.fnmatchcase(c, pattern)))
    return list(spare)


def break_key(text: str, width: int) -> str:
    """A dotted key (a header, a status) in lines of at most `width` characters, broken only after
    a '.' or '_', so that it still reads as the key --sort and --columns take:
    break_key('final.train_accuracy', 9) == 'final.\ntrain_\naccuracy'."""
    lines = [""]
    for piece in _KEY_PIECES.findall(text):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(lines)


def _total(widths: dict[str, int], columns: Iterable[str]) -> int:
    columns = list(columns)
    return sum(widths[c] for c in columns) + GAP * max(len(columns) - 1, 0)


def fit_columns(columns: list[str], texts: dict[str, list[str]], width: int,
                spare: Iterable[str] = ()) -> tuple[list[str], dict[str, int]]:
    """The columns to show in `width` characters and each one's width, from `texts` (each column's
    cells as shown). All of them as wide as their widest cell or header when that fits. Else, so
    that no value is cut: headers and statuses break after '.' and '_' (`break_key`), the name
    folds down to NAME_LEAST, numbers and lists stay whole; the columns not `spare` always show
    (the name as whole as room allows), then each spare one, in order, when it still fits; what
    is left widens the columns that need the least to be whole."""
    natural = {c: max([len(c), *map(len, texts[c])]) for c in columns}
    if _total(natural, columns) <= width:
        return list(columns), natural
    least = {c: max([_least_piece(c), *(_least_cell(c, t) for t in texts[c])]) for c in columns}
    spare = [c for c in spare if c in columns and c != "name"]
    shown = [c for c in columns if c not in spare]
    if "name" in least:  # the name before any spare column: as whole as the others leave room for
        least["name"] = min(natural["name"], max(least["name"], width - _total(least, shown) + least["name"]))
    for column in spare:
        if _total(least, [*shown, column]) <= width:
            shown.append(column)
    shown = [c for c in columns if c in shown]
    widths = {c: least[c] for c in shown}
    room = width - _total(widths, shown)
    for column in sorted(shown, key=lambda c: natural[c] - least[c]):
        grow = max(0, min(room, natural[column] - widths[column]))
        widths[column] += grow
        room -= grow
    return shown, widths


def _least_piece(text: str) -> int:
    return max(map(len, _KEY_PIECES.findall(text)), default=0)


def _least_cell(column: str, text: str) -> int:
    """The narrowest a cell may be: a name folds to NAME_LEAST, a status breaks after '_'."""
    if column == "name":
        return min(len(text), NAME_LEAST)
    return _least_piece(text) if column == "status" else len(text)
