"""Data sets by name (layer 1): generators, CSV tables, the train/validation split, standardisation.

`DATASETS` maps each YAML name (`data.name`) to a `DatasetSpec`: the generator, its task and its
keyword parameters with their defaults (the config schema reads them to validate and fill keys).
A generator is a pure function of its parameters and a `np.random.Generator` `rng`, returning
`(X, y)`: X float64 (n, d); y int64 (n,) class labels, or float64 (n, 1) regression targets.
A table with a header (csv) returns `(X, y, feature_names)`, and y may hold strings.

`load_dataset` turns the config's data section into a `Dataset`: labels encoded to 0..K-1 in
sorted order of the original values, a stratified (classification) or plain random split, and
optional standardisation fitted on the training part. `save_dataset`/`read_dataset` write and
read the run directory's data.npz. scikit-learn is imported only by `digits`, inside it.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import sys
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from nnctl.errors import NnctlError
from nnctl.features import Feature, feature_map, feature_vjp, parse_features
from nnctl.files import MAX_ARRAY_VALUES, load_npz, read_text, save_npz

Array = np.ndarray
TASKS = ("auto", "classification", "regression")
# data keys that are not generator params
SETTINGS = ("name", "task", "validation_fraction", "standardize", "standardize_target", "features")
COLUMN_KINDS = ("number", "text")  # data.columns: a CSV feature column's kind, forced
MAX_AUTO_CLASSES = 20  # an integer target with more distinct values than this is taken as regression
N_DIGITS = 1797
# A CSV file is read whole: 1 GB holds MAX_ARRAY_VALUES (config.MAX_VALUES) numbers of up to 9
# characters each; a larger file is refused before it is read.
MAX_CSV_BYTES = 1_000_000_000
DELIMITERS = (",", ";", "\t", "|")  # the usual ones, suggested when a header lacks data.delimiter
MAX_QUOTE = 40  # characters of a cell or column name an error quotes: enough to find it, not a whole secret
MAX_LISTED = 10  # column names an error lists
# a regression target whose training std lies outside this range, unscaled, is warned about:
# the network's outputs start near 0 with unit-sized steps, so 40..420 ends flat at the mean
# (bump's 0.08 trains well, hence 0.01 below)
TARGET_SCALE = (0.01, 10.0)


# ---------------------------------------------------------------- generators


def _jitter(A: Array, noise: float, rng: np.random.Generator) -> Array:
    """A plus Gaussian noise of std `noise` (no draw at all when noise is 0, as sklearn's noise=None)."""
    return A + rng.normal(scale=noise, size=A.shape) if noise else A


def _shuffled(X: Array, y: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Rows of X and y in one random order (sklearn's generators shuffle before adding noise)."""
    order = rng.permutation(len(y))
    return X[order], y[order]


def _per_class(n: int, k: int, key: str) -> list[int]:
    """n split into k counts as evenly as possible, the first n % k one larger (sklearn's blobs)."""
    if k < 1:
        raise NnctlError(f"data.{key}: needs at least 1, got {k!r}")
    return [n // k + (i < n % k) for i in range(k)]


def _labels(counts: list[int]) -> Array:
    """(sum(counts),) int64: counts[0] zeros, then counts[1] ones, ..."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def make_moons(n_samples: int = 1000, noise: float = 0.2, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two interleaving half circles (sklearn.datasets.make_moons). X: (n, 2), y: (n,) in {0, 1}."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]])
    X, y = _shuffled(X, _labels([n_out, n_in]), rng)
    return _jitter(X, noise, rng), y


def make_circles(
    n_samples: int = 1000, noise: float = 0.1, factor: float = 0.5, *, rng: np.random.Generator
) -> tuple[Array, Array]:
    """A circle of radius 1 (class 0) around one of radius `factor` (class 1) (sklearn's make_circles).
    X: (n, 2), y: (n,) in {0, 1}."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    # endpoint=False so that the first point is not also the last
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    X, y = _shuffled(X, _labels([n_out, n_in]), rng)
    return _jitter(X, noise, rng), y


def make_blobs(
    n_samples: int = 1000,
    centers: int | list = 3,
    cluster_std: float = 1.0,
    n_features: int = 2,
    center_box: tuple[float, float] = (-10.0, 10.0),
    *,
    rng: np.random.Generator,
) -> tuple[Array, Array]:
    """Isotropic Gaussian blobs (sklearn's make_blobs) around `centers` points drawn uniformly from
    `center_box`^n_features, or around the given points when `centers` is a list (k, d) of them.
    X: (n, d), y: (n,) in 0..k-1."""
    if isinstance(centers, (list, tuple, np.ndarray)):
        try:
            means = np.asarray(centers, dtype=np.float64).reshape(len(centers), -1)
        except (TypeError, ValueError):
            raise NnctlError(f"data.centers: expected a count or a list of points, got {centers!r}") from None
        n_features = means.shape[1]
    else:
        means = rng.uniform(*center_box, size=(centers, n_features))
    counts = _per_class(n_samples, len(means), "centers")
    X = np.vstack([rng.normal(mu, cluster_std, size=(m, n_features)) for mu, m in zip(means, counts, strict=True)])
    return _shuffled(X, _labels(counts), rng)


def make_xor(n_samples: int = 1000, noise: float = 0.0, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """Uniform points of [-1, 1]^2, label 1 where x0*x1 > 0 (quadrants I and III), then noise on X.
    X: (n, 2), y: (n,) in {0, 1}."""
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _jitter(X, noise, rng), y


def make_spiral(
    n_samples: int = 1000, n_classes: int = 3, noise: float = 0.2, *, rng: np.random.Generator
) -> tuple[Array, Array]:
    """cs231n's spiral: arm j has radius linspace(0, 1) and angle linspace(4j, 4j+4) + N(0, noise^2).
    X: (n, 2), y: (n,) in 0..n_classes-1."""
    counts = _per_class(n_samples, n_classes, "n_classes")
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in counts])
    theta = _jitter(np.concatenate([np.linspace(4 * j, 4 * (j + 1), m) for j, m in enumerate(counts)]), noise, rng)
    return _shuffled(np.c_[r * np.sin(theta), r * np.cos(theta)], _labels(counts), rng)


def make_noisy_linear(n_samples: int = 1000, noise: float = 0.05, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """Seed 000: each coordinate is linspace(0, 1) + U(-noise, noise); target x0/2 + x1/2.
    X: (n, 2), y: (n, 1)."""
    X = np.linspace(0.0, 1.0, n_samples)[:, None] + rng.uniform(-noise, noise, size=(n_samples, 2))
    return X, (X[:, 0] * 0.5 + X[:, 1] * 0.5)[:, None]


def make_step(n_samples: int = 1000, noise: float = 0.0, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """Seed 003: x = linspace(-5, 5), target +1 where x > 0 else -1, plus N(0, noise^2).
    X: (n, 1), y: (n, 1) float — a regression target."""
    x = np.linspace(-5.0, 5.0, n_samples)[:, None]
    return x, _jitter(np.where(x > 0, 1.0, -1.0), noise, rng)


def make_bump(n_samples: int = 1000, noise: float = 0.0, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """Seed 004: x uniform in [-0.5, 0.5]^2, target exp(-5 r^2) |x0 + x1| plus N(0, noise^2).
    X: (n, 2), y: (n, 1)."""
    X = rng.uniform(-0.5, 0.5, size=(n_samples, 2))
    r2 = (X**2).sum(axis=1)
    return X, _jitter((np.exp(-5.0 * r2) * np.abs(X[:, 0] + X[:, 1]))[:, None], noise, rng)


def load_digits(n_samples: int | None = None, *, rng: np.random.Generator) -> tuple[Array, Array]:
    """scikit-learn's 8x8 handwritten digits; n_samples=None takes all 1797, else a random subset
    (in file order). X: (n, 64) float, pixels 0..16; y: (n,) in 0..9."""
    if n_samples is not None and not (1 <= n_samples <= N_DIGITS and n_samples == int(n_samples)):
        raise NnctlError(f"data.n_samples: digits has {N_DIGITS} images, got {n_samples!r} (use 1..{N_DIGITS})")
    from sklearn.datasets import load_digits as sklearn_digits  # 2 s to import: only when asked for

    digits = sklearn_digits()
    X, y = digits.data.astype(np.float64), digits.target.astype(np.int64)
    if n_samples is None:
        return X, y
    keep = np.sort(rng.choice(N_DIGITS, size=int(n_samples), replace=False))
    return X[keep], y[keep]


# ---------------------------------------------------------------- CSV tables


@dataclass(frozen=True)
class Table:
    """A table read from a file: header (m,) names, columns name -> (n,) values: float64 where the
    reader parsed the column as numbers (a plain CSV) or a .npy gave numbers, else the cells as
    written (str); lines (n,) the file line of each row or None (errors then say "row i"), `where`
    the file as errors name it. text: the header line and every row's line as written, when the
    file was plain (no quotes, one line a row, "," between cells), else None: `nnctl predict`
    appends its columns to them, so the input passes through byte for byte."""

    header: list[str]
    columns: dict[str, Array]
    lines: Array | None
    where: str
    text: list[str] | None = None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


# check(header cells as written, number of data rows): called once both are known, before a cell
# is converted; load_csv refuses there what is not a training table, before any array is made
HeaderCheck = Callable[[list[str], int], None]


def read_table(text: str, where: str, delimiter: str = ",", *, check: HeaderCheck | None = None,
               numbers: Collection[str] | None = None) -> Table:
    """CSV text with a header row -> a Table; every row must have the header's cell count. The one
    CSV reader: training tables (`load_csv`) and new rows (`nnctl predict`, `nnctl evaluate`).

    A plain table (no quotes, no lone carriage return, no line over the csv module's field limit)
    is parsed by NumPy's C reader (`_fast_table`): each column among `numbers` (None: none)
    whose cells are all finite numbers comes out float64, the other columns as their cells, as
    written. Any other file goes through the csv module (`_cells_table`): every column as its
    cells. Values are the same float64 bits either way (both parse with a correctly rounded
    strtod); the csv path is what names a problem's line and column."""
    text = text.lstrip("\ufeff")
    return _fast_table(text, where, delimiter, check, numbers) or _cells_table(text, where, delimiter, check)


def _fast_table(text: str, where: str, delimiter: str, check: HeaderCheck | None,
                numbers: Collection[str] | None) -> Table | None:
    """The table by np.loadtxt, or None where that might differ from `_cells_table` (quotes, lone
    carriage returns, long lines, ragged rows, a number column with a cell that is not a finite
    number: None leaves the file, and its error message, to the csv module)."""
    if len(delimiter) != 1 or delimiter in '"\r\n' or '"' in text:  # the csv module's quoting, its errors
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    first, *rows = text.split("\n")
    if rows and not rows[-1]:
        rows.pop()  # the last line's end
    lines = None
    if "" in rows:  # blank lines are no rows, as in csv.reader
        kept = [i for i, row in enumerate(rows) if row]
        lines, rows = np.array(kept, dtype=np.int64) + 2, [rows[i] for i in kept]
    if not first or not rows or max(len(first), *map(len, rows)) > csv.field_size_limit():
        return None
    header = first.split(delimiter)
    if check is not None:
        check(header, len(rows))
    header = [name.strip() for name in header]
    _check_header(header, Path(where))
    lines = np.arange(2, len(rows) + 2, dtype=np.int64) if lines is None else lines
    columns = _fast_columns(rows, header, delimiter, numbers)
    if columns is None:
        return None
    return Table(header, columns, lines, where, [first, *rows] if delimiter == "," else None)


def _fast_columns(rows: list[str], header: list[str], delimiter: str,
                  numbers: Collection[str] | None) -> dict[str, Array] | None:
    """The columns of rows (each one line of len(header) cells): one np.loadtxt over the whole
    table when every column is wanted as numbers and is; else the wanted columns whose first cell
    is a number by np.loadtxt (usecols) and the others as their cells. None: a ragged row, or a
    number column that is not all finite numbers."""
    k = len(header)
    wanted = [j for j, name in enumerate(header) if numbers is not None and name in numbers]
    if not wanted:
        return None  # cells only: the csv module's work
    if len(wanted) == k:
        table = _loadtxt(rows, delimiter, None)
        if table is not None and table.shape[1] == k:
            return {name: table[:, j] for j, name in enumerate(header)}
    if any(row.count(delimiter) != k - 1 for row in rows):
        return None
    first = rows[0].split(delimiter)
    parsed = [j for j in wanted if math.isfinite(_number(first[j]))]
    table = _loadtxt(rows, delimiter, parsed) if parsed else np.empty((len(rows), 0))
    if table is None or table.shape != (len(rows), len(parsed)):
        return None
    at = {j: i for i, j in enumerate(parsed)}
    return {name: table[:, at[j]] if j in at else _cells_of(rows, j, k - 1, delimiter)
            for j, name in enumerate(header)}


def _loadtxt(rows: list[str], delimiter: str, usecols: list[int] | None) -> Array | None:
    """np.loadtxt of the rows (every column, or `usecols`) as (n, c) float64, or None where a cell
    is not a number or not finite (nan and inf are left to the csv path, which quotes them)."""
    try:
        table = np.loadtxt(rows, dtype=np.float64, delimiter=delimiter, comments=None, ndmin=2, usecols=usecols)
    except ValueError:
        return None
    return table if np.isfinite(table).all() else None


def _cells_of(rows: list[str], j: int, k: int, delimiter: str) -> Array:
    """Cell j, as written, of every row (each with exactly k delimiters) as (n,) str: split at
    most up to cell j, from whichever end is nearer."""
    if j <= k // 2:
        cells = [row.split(delimiter, j + 1)[j] for row in rows]
    else:
        cells = [row.rsplit(delimiter, k - j + 1)[1] for row in rows]
    return np.array(cells, dtype=np.str_)


def _cells_table(text: str, where: str, delimiter: str, check: HeaderCheck | None) -> Table:
    """The table read row by row with the csv module (quotes, any line ends): every column as its
    cells; a row of another length than the header is refused, naming its line."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader, None)
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as e:  # its messages quote nothing of the file
        raise NnctlError(f"{where}: cannot read as CSV ({e})") from None
    if check is not None:
        check(header or [], len(rows))
    if not header:
        raise NnctlError(f"{where}: needs a header row naming the columns")
    header = [name.strip() for name in header]
    _check_header(header, Path(where))
    for line, row in rows:
        if len(row) != len(header):
            fix = _other_delimiter_fits(text, delimiter) or "fix the row"
            raise NnctlError(f"{where}: line {line} has {len(row)} cells, the header {len(header)} ({fix})")
    cells = np.array([row for _, row in rows], dtype=np.str_).reshape(len(rows), len(header))
    return Table(header, {name: cells[:, j] for j, name in enumerate(header)},
                 np.array([line for line, _ in rows], dtype=np.int64), where)


def load_csv(
    path: str | Path, target: str | None = None, delimiter: str = ",", columns: dict[str, str] | None = None, *,
    rng: np.random.Generator | None = None,
) -> tuple[Array, Array, list[str]]:
    """A CSV table with a header row. Returns X: (n, d) (every column but the target), y: (n,)
    float64 if every target cell is a number, else str, and the d feature names. `target` names
    the target column (None: the last one). `rng` is unused (all sets take one).

    Feature columns are numbers or text. A column is text when most of its filled cells (more
    than half) are not numbers (nan and inf count as numbers); `columns` ({name: "text" or
    "number"}, data.columns) forces a column's kind, e.g. a zip code that is really a category.
    X is float64 when every feature column is numbers; else an object array whose number columns
    hold floats and whose text columns hold the stripped cells (str), one-hot encoded later by
    `split_dataset`. An empty cell is refused in either kind, and a cell that is not a finite
    number in a number column, naming its line and column (a stray word in a mostly numeric
    column suggests data.columns).

    The file is read whole through files.read_text: a regular file only (a FIFO or a device
    would block or never end) of at most MAX_CSV_BYTES, as UTF-8 with or without Excel's
    byte-order mark, by `read_table` (NumPy's C reader for a plain table). X holds at most
    MAX_ARRAY_VALUES values. Errors quote the file sparingly (see `_quote`): nothing at all from
    a file that is not a table."""
    path = Path(path)
    try:
        text = read_text(path, limit=MAX_CSV_BYTES, what="CSV file")
    except NnctlError as e:
        raise NnctlError(f"data.path: {e}") from None
    return _table_arrays(text, path, target, delimiter, dict(columns or {}))


def _table_arrays(text: str, path: Path, target: str | None, delimiter: str, kinds: dict[str, str],
                  fast: bool = True) -> tuple[Array, Array, list[str]]:
    """load_csv after the file is read: (X, y, feature names). The first problem in row order
    (the target's cell before the features' in a row) is the one refused. `fast=False` reads
    with the csv module only (tests and benchmarks compare the two paths)."""

    def check(header: list[str], n: int) -> None:
        if not header or not n:
            raise NnctlError(f"{path}: needs a header row and at least one data row")
        t, names = _columns(header, target, path, delimiter)
        unknown = [name for name in kinds if name not in names]
        if unknown:
            raise NnctlError(f"data.columns: {path} has no feature column {_quote(unknown[0])} (its feature "
                             f"columns: {_listed(names)})")
        _check_size(n, names, path)

    texts = [name for name, kind in kinds.items() if kind == "text"]
    if fast:
        table = read_table(text, str(path), delimiter, check=check, numbers=_Without(texts))
    else:
        table = _cells_table(text.lstrip("\ufeff"), str(path), delimiter, check)
    target = table.header[-1] if target is None else str(target)
    names = [name for name in table.header if name != target]
    y, problems = _target_column(table, target)
    values = []
    for j, name in enumerate(names):
        column, problem = feature_column(table.columns[name], name, kinds.get(name), table.lines)
        values.append(column)
        problems += [(i, j + 1, message) for i, message in problem]
    if problems:
        raise NnctlError(f"{path}: {min(problems)[2]}")
    return raw_rows(values, len(y)), y, names


def raw_rows(values: list[Array], n: int) -> Array:
    """Feature columns' values, each (n,) float64 numbers or str text -> the raw rows (n, m) that
    `split_dataset` takes: float64 when every column is numbers, else objects (floats and str)."""
    if all(v.dtype.kind == "f" for v in values):
        return np.column_stack(values) if values else np.empty((n, 0))
    X = np.empty((n, len(values)), dtype=object)
    for j, v in enumerate(values):
        X[:, j] = v.tolist() if v.dtype.kind == "f" else v.astype(object)
    return X


class _Without:
    """Every column name but these (read_table's `numbers`: the columns forced to text stay cells)."""

    def __init__(self, names: list[str]):
        self.names = set(names)

    def __contains__(self, name: object) -> bool:
        return name not in self.names


def _target_column(table: Table, target: str) -> tuple[Array, list[tuple[int, int, str]]]:
    """The target's values (see `_target_values`) and the first empty cell as a problem
    (row index, 0, message)."""
    cells = table.columns[target]
    if cells.dtype.kind == "f":
        return cells, []
    cells = _strings.strip(cells)
    empty = np.flatnonzero(cells == "")
    if len(empty):
        i = int(empty[0])
        return cells, [(i, 0, f"line {table.lines[i]}, column {_quote(target)}: empty target "
                              "(fill it or remove the row)")]
    return _target_values(cells), []


def feature_column(cells: Array, name: str, kind: str | None, lines: Array, *, row: str = "line",
                   force: str = "data.columns: {{{name}: text}}") -> tuple[Array, list[tuple[int, str]]]:
    """A feature column's cells (n,) (floats, or str as written) -> (its values: float64 numbers
    or stripped str text, [the first problem as (row index, message)] or []). `kind` "text" or
    "number" as data.columns forces it, None: text when more than half of the filled cells are
    not numbers. Messages name the cell as f"{row} {lines[i]}", and a stray word in a number
    column suggests `force` (formatted with the column's name) to make it text."""
    if cells.dtype.kind == "f":
        return cells, []
    cells = _strings.strip(cells)
    values, text = _numbers(cells)
    filled = cells != ""
    if kind == "text" or (kind is None and 2 * int(text.sum()) > int(filled.sum())):
        empty = np.flatnonzero(~filled)
        return cells, [(int(empty[0]), f"{row} {lines[empty[0]]}, column {_quote(name)}: empty cell "
                                       "(fill it or remove the row)")] if len(empty) else []
    bad = np.flatnonzero(~np.isfinite(values))
    if not len(bad):
        return values, []
    i = int(bad[0])
    what = f"{_quote(str(cells[i]))} is not a finite number" if cells[i] else "empty cell"
    word = kind is None and text[i] and cells[i]  # a stray word, maybe a category: not an empty cell
    hint = f"; if the column holds categories, set {force.format(name=name)}" if word else ""
    return values, [(i, f"{row} {lines[i]}, column {_quote(name)}: {what} (fix or remove the row{hint})")]


def _numbers(cells: Array) -> tuple[Array, Array]:
    """Stripped cells (n,) -> (float64 values (n,), NaN where a cell is not a finite number;
    (n,) bool, True where a filled cell is not a number at all: text, not nan or inf)."""
    try:
        values = cells.astype(np.float64)
    except (ValueError, TypeError):
        values = np.array([_number(str(cell)) for cell in cells], dtype=np.float64).reshape(len(cells))
        return values, np.array([_is_text(str(cell)) for cell in cells], dtype=bool).reshape(len(cells))
    values[~np.isfinite(values)] = np.nan
    return values, np.zeros(len(cells), dtype=bool)


def _columns(header: list[str], target: str | None, path: Path, delimiter: str) -> tuple[int, list[str]]:
    """The header row's cells -> (the target's index t, the d feature names: every other column).
    Refuses a header that is not a table, holds unusable names, or lacks the target."""
    if len(header) < 2:  # not a table (or another delimiter): the line may be anything, even a secret
        raise NnctlError(f"{path}: not a table: its first line has no {delimiter!r} between column names "
                         f"({_other_delimiter(header[0], delimiter)})")
    header = [name.strip() for name in header]
    _check_header(header, path)
    target = header[-1] if target is None else str(target)
    if target not in header:
        raise NnctlError(f"{path}: no column {_quote(target)} (set data.target to one of: {_listed(header)})")
    t = header.index(target)
    return t, header[:t] + header[t + 1 :]


def _listed(names: list[str]) -> str:
    """Column names as an error lists them: quoted, at most MAX_LISTED, then how many in all."""
    return ", ".join(map(_quote, names[:MAX_LISTED])) + (f", … ({len(names):,} columns)"
                                                         if len(names) > MAX_LISTED else "")


def _check_size(n: int, names: list[str], path: Path) -> None:
    """n rows of these feature columns fit in MAX_ARRAY_VALUES values."""
    if n * len(names) > MAX_ARRAY_VALUES:
        raise NnctlError(f"{path}: {n:,} rows × {len(names):,} feature columns = {n * len(names):,} "
                         f"values (at most {MAX_ARRAY_VALUES:,}; use fewer rows or columns)")


def _target_values(cells: Array) -> Array:
    """The target's stripped, filled cells (n,) -> float64 if each is a finite number, else str
    (a text target: class names). Stops at the first cell that is not a number."""
    try:
        y = np.array([float(cell) for cell in cells], dtype=np.float64)
    except ValueError:
        y = None
    if y is not None and np.isfinite(y).all():
        return y
    cells = np.asarray(cells, dtype=np.str_)  # as wide as the widest label, whichever reader read it
    return cells.astype(f"<U{max(1, int(_strings.str_len(cells).max(initial=0)))}")


_strings = getattr(np, "strings", np.char)  # NumPy 2's string functions are 3× faster than np.char's


def _quote(cell: str) -> str:
    """A cell (or column name) of a user's file as an error quotes it: its repr, so that control
    characters show, cut to MAX_QUOTE characters, so that a secret in it is not echoed whole."""
    return repr(cell if len(cell) <= MAX_QUOTE else cell[: MAX_QUOTE - 1] + "…")


def _check_header(header: list[str], path: Path) -> None:
    """Column names that can name features and classes: no control characters (a terminal
    would act on them, and NUL ends a name in data.npz), and no name twice (data.target could
    not say which, and the other would feed the target to the network)."""
    seen: dict[str, int] = {}
    for j, name in enumerate(header, 1):
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise NnctlError(f"{path}: the name of column {j}, {_quote(name)}, holds a control character "
                             "(rename the column)")
        if name in seen:
            raise NnctlError(f"{path}: columns {seen[name]} and {j} are both named {_quote(name)} "
                             "(give every column its own name)")
        seen[name] = j


def _other_delimiter(line: str, delimiter: str) -> str:
    """The advice for a first line without the delimiter: another usual one it holds, if any."""
    found = [d for d in DELIMITERS if d != delimiter and d in line]
    return f"set data.delimiter: {found[0]!r}" if found else "a table needs a header of two or more columns"


def _other_delimiter_fits(text: str, delimiter: str) -> str | None:
    """The advice for rows of uneven length: another usual delimiter that splits the header and
    the first data line into the same number (two or more) of cells, if one does. A comma inside
    a column name ("price, EUR;rooms;label") makes a semicolon file look like two columns."""
    head = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n", 2)[:2]]
    for other in DELIMITERS:
        if other != delimiter and len(head) == 2:
            counts = [len(next(csv.reader([line], delimiter=other), [])) for line in head]
            if counts[0] == counts[1] >= 2:
                return f"set data.delimiter: {other!r}"
    return None


def _is_text(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _number(cell: str) -> float:
    """A CSV cell as a finite float, or NaN when it is not one (text, empty, nan, inf)."""
    try:
        value = float(cell)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry: `make(**params, rng=...)` returns (X, y) or (X, y, feature_names)."""

    make: Callable[..., tuple]
    task: str  # "classification" | "regression" | "auto" (decided from the target: csv)
    params: dict[str, Any]  # every keyword `make` accepts besides rng, with its default
    doc: str
    # the width d of X, known from the parameters before the set is made (None: read from a file)
    features: Callable[[dict[str, Any]], int | None]


def _fixed(d: int) -> Callable[[dict[str, Any]], int]:
    return lambda params: d


def _blob_features(params: dict[str, Any]) -> int:
    centers = params.get("centers")
    return len(centers[0]) if isinstance(centers, list) and centers else params.get("n_features", 2)


DATASETS: dict[str, DatasetSpec] = {
    "moons": DatasetSpec(make_moons, "classification", {"n_samples": 1000, "noise": 0.2},
                         "two interleaving half circles (scikit-learn's make_moons)", _fixed(2)),
    "circles": DatasetSpec(make_circles, "classification", {"n_samples": 1000, "noise": 0.1, "factor": 0.5},
                           "a circle inside a circle (scikit-learn's make_circles)", _fixed(2)),
    "blobs": DatasetSpec(make_blobs, "classification",
                         {"n_samples": 1000, "centers": 3, "cluster_std": 1.0, "n_features": 2,
                          "center_box": (-10.0, 10.0)},
                         "Gaussian clusters (scikit-learn's make_blobs)", _blob_features),
    "xor": DatasetSpec(make_xor, "classification", {"n_samples": 1000, "noise": 0.0},
                       "uniform square, label 1 in the quadrants where x0*x1 > 0", _fixed(2)),
    "spiral": DatasetSpec(make_spiral, "classification", {"n_samples": 1000, "n_classes": 3, "noise": 0.2},
                          "cs231n's spiral arms, one class per arm", _fixed(2)),
    "noisy-linear": DatasetSpec(make_noisy_linear, "regression", {"n_samples": 1000, "noise": 0.05},
                                "seed 000: target x0/2 + x1/2 on a noisy diagonal", _fixed(2)),
    "step": DatasetSpec(make_step, "regression", {"n_samples": 1000, "noise": 0.0},
                        "seed 003: 1-D step, target sign(x) on linspace(-5, 5)", _fixed(1)),
    "bump": DatasetSpec(make_bump, "regression", {"n_samples": 1000, "noise": 0.0},
                        "seed 004: target exp(-5 r^2)|x0 + x1| on [-0.5, 0.5]^2", _fixed(2)),
    "digits": DatasetSpec(load_digits, "classification", {"n_samples": None},
                          "scikit-learn's 8x8 handwritten digits (1797 images, 10 classes)", _fixed(64)),
    "csv": DatasetSpec(load_csv, "auto", {"path": None, "target": None, "delimiter": ",", "columns": None},
                       "a CSV file with a header row; target = a column (default: the last)", lambda params: None),
}


def feature_count(name: str, params: dict[str, Any]) -> int | None:
    """How many input features the data set `name` has with these parameters, before it is made;
    None when only its file can tell (csv) or the name is unknown."""
    spec = DATASETS.get(name)
    return spec.features(params) if spec else None


# ---------------------------------------------------------------- the data set


@dataclass(frozen=True)
class Dataset:
    """The data as trained. X_*: (n_*, d), dtype as configured; y_*: (n_*,) int64 class indices
    0..K-1 (classification) or (n_*, k) floats (regression). classes[i] is the original label of
    index i. mean, std: (d,) standardisation stats of the training part, or None.
    target_mean, target_std: (k,) the regression target's stats of the training part when
    data.standardize_target is on, or None. y_* stay in the target's units either way: the
    network trains on (y - target_mean) / target_std (assemble.encode_targets), and its outputs
    are mapped back by `Preprocessing.decode_values`.

    Text feature columns: `column_names` (m,) names the data file's feature columns and `categories`
    (m,) holds, for each, None (a number column: one input) or its sorted categories in the
    training part (a text column: one 0/1 input per category, named "column=category", in the
    column's place); both None when every column is numbers. mean and std are 0 and 1 at the
    one-hot inputs: standardisation applies to number columns only.

    Computed features (data.features): `features` holds the items as written and feature_names
    the d network inputs they make (a listed text column: its one-hot inputs); X_* are those
    inputs, standardised when asked; raw_* (n_*, b) the base inputs they were computed from (the
    raw number columns, a text column one-hot), in float64, so pictures and `move-data` work in
    the data's own plane. column_names and categories are then always set. All None without
    data.features: the network's inputs are the base inputs."""

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    task: str
    classes: list
    feature_names: list[str]
    mean: Array | None = None
    std: Array | None = None
    target_mean: Array | None = None
    target_std: Array | None = None
    column_names: list[str] | None = None
    categories: list[list[str] | None] | None = None
    features: list[str] | None = None
    raw_train: Array | None = None
    raw_val: Array | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def raw_columns(self) -> list[str]:
        """The data file's feature columns in training order (feature_names unless some are text)."""
        return list(self.feature_names) if self.column_names is None else list(self.column_names)

    @property
    def has_text(self) -> bool:
        return self.categories is not None and any(cats is not None for cats in self.categories)

    @property
    def raw_parts(self) -> tuple[Array, Array]:
        """(train, val) rows in the data's own units before the feature map: raw_* with
        data.features, else X_* with the standardisation undone."""
        if self.raw_train is not None:
            return self.raw_train, self.raw_val
        if self.mean is None:
            return self.X_train, self.X_val
        return tuple(np.asarray(X, dtype=float) * self.std + self.mean for X in (self.X_train, self.X_val))

    @property
    def n_classes(self) -> int:
        """K for classification, 0 for regression."""
        return len(self.classes)

    @property
    def n_outputs(self) -> int:
        """The regression target's width k; 0 for classification (see n_classes)."""
        return self.y_train.shape[1] if self.task == "regression" else 0


def load_dataset(data: dict, *, seed_rng: np.random.Generator, base_dir: Path, dtype=np.float64) -> Dataset:
    """The config's data section (a plain dict) -> a split, encoded, optionally standardised Dataset.
    Draws from seed_rng only: the same generator state gives a bit-identical Dataset."""
    name = data.get("name", "moons")
    if name not in DATASETS:
        raise NnctlError(f"data.name: unknown {name!r} (choose from: {', '.join(sorted(DATASETS))})")
    spec = DATASETS[name]
    task = data.get("task", "auto")
    fraction = data.get("validation_fraction", 0.2)
    if task not in TASKS:
        raise NnctlError(f"data.task: unknown {task!r} (choose from: {', '.join(TASKS)})")
    if not 0 <= fraction < 1:
        raise NnctlError(f"data.validation_fraction: must be in [0, 1), got {fraction!r}")
    if spec.task != "auto" and task not in ("auto", spec.task):
        raise NnctlError(f"data.task: {name} is a {spec.task} set, not {task} (use task: auto)")
    unknown = sorted(set(data) - set(SETTINGS) - set(spec.params))
    if unknown:
        allowed = ", ".join([*SETTINGS, *spec.params])
        raise NnctlError(f"data: unknown key {unknown[0]!r} for {name} (allowed: {allowed})")
    params = {key: data.get(key, default) for key, default in spec.params.items()}
    if name == "csv":
        if params["path"] is None:
            raise NnctlError("data.path: the csv data set needs a file (set data.path: table.csv)")
        params["path"] = Path(base_dir) / params["path"]  # config._resolve_path has expanded and checked it

    X, y, feature_names = _make(name, params, seed_rng)
    ds = split_dataset(X, y, feature_names, task=spec.task if spec.task != "auto" else task,
                       validation_fraction=fraction, standardize=bool(data.get("standardize", False)),
                       standardize_target=bool(data.get("standardize_target", False)), seed_rng=seed_rng,
                       where=params["path"] if name == "csv" else name, dtype=dtype, features=data.get("features"))
    std = far_target_std(ds)
    if std is not None:
        print(f"warning: the regression target's std on the training part is {std:.3g}, far from 1, so training "
              "may end with flat predictions (set data.standardize_target: true)", file=sys.stderr)
    return ds


def split_dataset(X: Array, y: Array, feature_names: list[str], *, task: str = "auto", validation_fraction: float = 0.2,
                  standardize: bool = False, standardize_target: bool = False, seed_rng: np.random.Generator,
                  where="data", dtype=np.float64, features: list[str] | None = None) -> Dataset:
    """Rows as made or read (X: (n, d) numbers, y: (n,) labels or numbers, or (n, k) numbers) ->
    the Dataset: the task inferred when "auto", labels encoded, the rows split (stratified for
    classes; draws from seed_rng only), standardised by the training part when asked, cast to
    `dtype`. Errors name `where` (the file or the set). `load_dataset` makes the rows from a
    config; a caller holding arrays (the scikit-learn estimators) comes here directly, so both
    give the same split and the same numbers."""
    task = task if task != "auto" else _infer_task(y)
    if task == "classification":
        classes, y = _encode(y, where)
        train, val = _stratified_split(y, validation_fraction, seed_rng)
    else:
        classes, y = [], _regression_target(y, where)
        train, val = _random_split(len(y), validation_fraction, seed_rng)

    X_train, X_val = X[train], X[val]
    columns = categories = None
    if X.dtype.kind in "OU":  # text columns, maybe: one-hot, with the training part's categories
        categories = _categories(X_train)
        if any(c is not None for c in categories):
            pre = Preprocessing(input_names(feature_names, categories), task, [], column_names=list(feature_names),
                                categories=categories)
            X_train, X_val = pre.columns(X_train, str(where)), pre.columns(X_val, str(where))
            columns, feature_names = list(feature_names), pre.feature_names
        else:
            categories = None
    target_mean, target_std = _target_stats(y[train], task, standardize_target)
    raw_train = raw_val = None
    numbers = None if categories is None else ~_one_hot_inputs(categories)
    if features is not None:
        columns = list(feature_names) if columns is None else columns
        categories = [None] * len(columns) if categories is None else categories
        computed = parse_features(features, columns, categories)
        raw_train, raw_val = (_cast(R, np.float64, [f"column {_quote(n)}" for n in input_names(columns, categories)],
                                    where) for R in (X_train, X_val))
        X_train, X_val = feature_map(raw_train, computed), feature_map(raw_val, computed)
        feature_names = [f.name for f in computed]
        hot = _one_hot_inputs(categories)
        numbers = np.array([not (f.op == "column" and hot[f.at[0]]) for f in computed], dtype=bool)
    mean = std = None
    if standardize:
        X_train, X_val, mean, std = _standardize(X_train, X_val, feature_names, where, numbers)
    column = [f"column {_quote(name)}" for name in feature_names]
    y_dtype = np.int64 if task == "classification" else dtype
    target = ["the target"] * (y.shape[1] if y.ndim == 2 else 1)
    return Dataset(_cast(X_train, dtype, column, where), _cast(y[train], y_dtype, target, where),
                   _cast(X_val, dtype, column, where), _cast(y[val], y_dtype, target, where),
                   task, classes, feature_names, mean, std, target_mean, target_std, columns, categories,
                   None if features is None else [f.strip() for f in features], raw_train, raw_val)


def _categories(X_train: Array) -> list[list[str] | None]:
    """Per column of raw rows (n, m) (objects or str): the sorted distinct stripped cells of a
    text column (every cell a str), None for a number column."""
    found = []
    for j in range(X_train.shape[1]):
        cells = X_train[:, j]
        text = cells.dtype.kind == "U" or all(isinstance(c, str) for c in cells)
        found.append(np.unique(_strings.strip(cells.astype(np.str_))).tolist() if text else None)
    return found


def input_names(columns: list[str], categories: list[list[str] | None]) -> list[str]:
    """The network's input names: a number column's own, "column=category" for each category of
    a text column, in column order."""
    return [name for column, cats in zip(columns, categories, strict=True)
            for name in ([column] if cats is None else [f"{column}={c}" for c in cats])]


def _one_hot_inputs(categories: list[list[str] | None]) -> Array:
    """(d,) bool: which of the network's inputs are one-hot (0/1) ones."""
    return np.array([flag for cats in categories for flag in ([False] if cats is None else [True] * len(cats))],
                    dtype=bool)


def _target_stats(y_train: Array, task: str, wanted: bool) -> tuple[Array | None, Array | None]:
    """The regression target's training mean and std (k,) (a constant target's std taken as
    1) when `wanted`, else (None, None). Refused for classification."""
    if task != "regression":
        if wanted:
            raise NnctlError("data.standardize_target: only a regression target can be standardised, "
                             "this data set is classification (remove the key)")
        return None, None
    if not wanted:
        return None, None
    spread = y_train.std(axis=0) if len(y_train) else np.ones(y_train.shape[1])
    return y_train.mean(axis=0), np.where(spread == 0, 1.0, spread)


def far_target_std(ds: Dataset) -> float | None:
    """The first regression target's std on the training part that is far from 1 (see
    TARGET_SCALE) when the target is not standardised, so that training may end with flat
    predictions; None otherwise. Whoever made the Dataset says so in its own words: a warning
    line naming data.standardize_target (load_dataset), or the estimator's parameter."""
    if ds.task != "regression" or ds.target_std is not None or not len(ds.y_train):
        return None
    spread = ds.y_train.std(axis=0, dtype=np.float64)
    low, high = TARGET_SCALE
    far = (spread < low) | (spread > high)
    return float(spread[far][0]) if far.any() else None


def _make(name: str, params: dict[str, Any], rng: np.random.Generator) -> tuple[Array, Array, list[str]]:
    """The set `name` made from its parameters: X (n, d), y and the d feature names. Parameters
    so large that the numbers leave float64's range (noise: 1e308) are refused, naming them."""
    try:
        with np.errstate(all="ignore"):  # overflow is refused below, in words
            X, y, *names = DATASETS[name].make(**params, rng=rng)
        finite = (X.dtype == object or np.isfinite(X).all()) and (y.dtype.kind != "f" or np.isfinite(y).all())
    except OverflowError:  # numpy's uniform(low, high) when high - low exceeds float64
        finite = False
    if not finite:
        given = ", ".join(f"{key}: {str(value)[:MAX_QUOTE]}" for key, value in params.items() if key != "n_samples")
        raise NnctlError(f"data: {name} with {given} makes numbers beyond float64's range (use smaller values)")
    return X, y, list(names[0]) if names else [f"x{j}" for j in range(X.shape[1])]


def _standardize(X_train: Array, X_val: Array, names: list[str], where,
                 numbers: Array | None = None) -> tuple[Array, Array, Array, Array]:
    """(X - mean) / std by the training part's column means and standard deviations (d,), a
    constant column's std taken as 1; where `numbers` (d,) bool is False (one-hot inputs) mean is
    0 and std 1, so those stay 0/1. Returns both parts, mean and std. A column whose mean,
    std (its squares) or standardised values leave float64's range is refused by name: values
    near 1e308 would otherwise become NaN and, later, a run that "diverged"."""
    with np.errstate(all="ignore"):  # overflow is refused below, naming the column
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        std[std == 0] = 1.0  # a constant feature stays as it is instead of becoming NaN
        if numbers is not None:
            mean[~numbers], std[~numbers] = 0.0, 1.0
        train, val = (X_train - mean) / std, (X_val - mean) / std
    finite = np.isfinite(mean) & np.isfinite(std) & np.isfinite(train).all(axis=0) & np.isfinite(val).all(axis=0)
    if not finite.all():
        j = int(np.argmin(finite))
        largest = np.abs(np.r_[X_train[:, j], X_val[:, j]]).max()
        raise NnctlError(f"{where}: column {_quote(names[j])}: values up to {largest:.3g} are too large to "
                         "standardise in float64 (scale the column down)")
    return train, val, mean, std


def _cast(A: Array, dtype, columns: list[str], where) -> Array:
    """A (n,) or (n, k) as `dtype`; a value that does not fit it (1e300 as float32) is refused,
    naming its column (`columns[j]` says "column 'x0'")."""
    with np.errstate(over="ignore"):  # checked below, in words
        cast = A.astype(dtype)
    if cast.dtype.kind == "f":
        finite = np.isfinite(cast).all(axis=0) if cast.ndim == 2 else np.isfinite(cast).all(keepdims=True)
        if not finite.all():
            j = int(np.argmin(finite))
            largest = np.abs(A[:, j] if A.ndim == 2 else A).max()
            raise NnctlError(f"{where}: {columns[j]}: values up to {largest:.3g} do not fit dtype {cast.dtype} "
                             f"(at most {np.finfo(cast.dtype).max:.3g}; use dtype: float64, or scale them down)")
    return cast


def _infer_task(y: Array) -> str:
    """Text labels, or few distinct whole numbers, mean classes; other numbers mean regression."""
    if y.dtype.kind == "U":
        return "classification"
    whole = bool(np.all(y == np.round(y)))
    return "classification" if whole and len(np.unique(y)) <= MAX_AUTO_CLASSES else "regression"


def _encode(y: Array, where) -> tuple[list, Array]:
    """Labels (n,) -> (sorted original labels as Python values, indices (n,) int64 into them)."""
    if y.dtype.kind == "f" and np.all(y == np.round(y)):
        y = y.astype(np.int64)  # whole-number labels are reported as ints: 1, not 1.0
    classes, indices = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        only = _quote(str(classes[0])) if classes.dtype.kind == "U" else classes[0]
        raise NnctlError(f"{where}: the target has one class only, [{only}] (classification needs two)")
    return classes.tolist(), indices.reshape(-1).astype(np.int64)


def _regression_target(y: Array, where) -> Array:
    """A numeric target as (n, k) float64."""
    if y.dtype.kind not in "fiu":
        raise NnctlError(f"{where}: the target column is not numeric, so it cannot be a regression target "
                         "(use data.task: classification, or another target)")
    return y.astype(np.float64).reshape(len(y), -1)


def _stratified_split(y: Array, fraction: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Train and validation row indices, each sorted: round(fraction * count) random rows of each
    class go to validation, leaving at least one of every class in training."""
    val = []
    for k in range(y.max() + 1):
        rows = rng.permutation(np.flatnonzero(y == k))
        val.append(rows[: min(round(fraction * len(rows)), len(rows) - 1)])
    return _complement(len(y), np.concatenate(val))


def _random_split(n: int, fraction: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Train and validation row indices, each sorted: round(fraction * n) random rows to validation."""
    return _complement(n, rng.permutation(n)[: min(round(fraction * n), n - 1)])


def _complement(n: int, val: Array) -> tuple[Array, Array]:
    is_val = np.zeros(n, dtype=bool)
    is_val[val] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


# ---------------------------------------------------------------- data.npz


def save_dataset(path: Path, ds: Dataset) -> Path:
    """The Dataset as plain arrays in an npz (no pickles), written atomically."""
    arrays = {"X_train": ds.X_train, "y_train": ds.y_train, "X_val": ds.X_val, "y_val": ds.y_val,
              "task": np.array(ds.task), "feature_names": np.array(ds.feature_names, dtype=np.str_),
              # an empty list would become float64; an int or text array keeps its kind
              "classes": np.array(ds.classes) if ds.classes else np.array([], dtype=np.int64)}
    if ds.mean is not None:
        arrays.update(mean=ds.mean, std=ds.std)
    if ds.target_mean is not None:
        arrays.update(target_mean=ds.target_mean, target_std=ds.target_std)
    if ds.column_names is not None:  # text columns: the raw columns, their kinds, the categories one after another
        arrays.update(columns=np.array(ds.column_names, dtype=np.str_),
                      column_kinds=np.array(["number" if c is None else "text" for c in ds.categories], dtype=np.str_),
                      categories=np.array([c for cats in ds.categories for c in cats or []], dtype=np.str_),
                      category_counts=np.array([len(cats or []) for cats in ds.categories], dtype=np.int64))
    if ds.features is not None:  # data.features: the items as written, the base inputs they were computed from
        arrays.update(features=np.array(ds.features, dtype=np.str_), raw_train=ds.raw_train, raw_val=ds.raw_val)
    return save_npz(Path(path), arrays)


TEXT_KEYS = ("columns", "column_kinds", "categories", "category_counts")  # in data.npz: all or none
FEATURE_KEYS = ("features", "raw_train", "raw_val")  # in data.npz: all or none, with TEXT_KEYS


def _raw_columns(arrays: dict[str, Array]) -> tuple[list[str] | None, list[list[str] | None] | None]:
    """(columns, categories) from a data.npz's TEXT_KEYS; (None, None) in one without them (every
    feature a number column, as every run before text columns)."""
    if "columns" not in arrays:
        return None, None
    ends = np.cumsum(arrays["category_counts"])
    categories = [None if kind == "number" else arrays["categories"][end - k:end].tolist()
                  for kind, k, end in zip(arrays["column_kinds"].tolist(), arrays["category_counts"].tolist(),
                                          ends.tolist(), strict=True)]
    return arrays["columns"].tolist(), categories


def read_dataset(path: Path) -> Dataset:
    """A Dataset from a data.npz written by save_dataset; loads with allow_pickle=False."""
    arrays = load_npz(Path(path))
    missing = [key for key in ("X_train", "y_train", "X_val", "y_val", "task", "classes", "feature_names")
               if key not in arrays]
    if missing:
        raise NnctlError(f"{path}: not an nnctl data file (missing {', '.join(missing)})")
    problem = _shape_problem(arrays)
    if problem:
        raise NnctlError(f"{path}: {problem} (the file is damaged; train the run again)")
    task = str(arrays["task"])
    y_train, y_val = (arrays[key].astype(np.int64) if task == "classification" else arrays[key]  # 1.0 -> 1
                      for key in ("y_train", "y_val"))
    return Dataset(arrays["X_train"], y_train, arrays["X_val"], y_val, task,
                   arrays["classes"].tolist(), arrays["feature_names"].tolist(), arrays.get("mean"), arrays.get("std"),
                   arrays.get("target_mean"), arrays.get("target_std"),  # None in a data.npz from before them
                   *_raw_columns(arrays), arrays["features"].tolist() if "features" in arrays else None,
                   arrays.get("raw_train"), arrays.get("raw_val"))  # None before data.features: raw columns


def _shape_problem(arrays: dict[str, Array]) -> str | None:
    """What in a data.npz's arrays does not fit together, or is not what training could have
    written (values that are not finite numbers, class labels that are not indices), or None."""
    task = str(arrays["task"])
    if task not in ("classification", "regression"):
        return f"task is {_quote(task)}, not classification or regression"
    if arrays["feature_names"].ndim != 1 or arrays["classes"].ndim != 1:
        return "feature_names and classes are not lists"
    X_train, X_val, names = arrays["X_train"], arrays["X_val"], arrays["feature_names"]
    if X_train.ndim != 2 or X_val.ndim != 2 or not X_train.shape[1] == X_val.shape[1] == len(names):
        return f"X_train {X_train.shape}, X_val {X_val.shape} and {len(names)} feature names do not fit together"
    stats = [key for key in ("mean", "std") if key in arrays]
    if stats and (len(stats) == 1 or any(arrays[key].shape != (len(names),) for key in stats)):
        return f"mean and std must both be there, each of {len(names)} values, or neither"
    targets = [key for key in ("target_mean", "target_std") if key in arrays]
    k = arrays["y_train"].shape[1] if arrays["y_train"].ndim == 2 else 0
    if targets and (len(targets) == 1 or task != "regression" or any(arrays[key].shape != (k,) for key in targets)):
        return f"target_mean and target_std must both be there, each of {k} values (a regression's), or neither"
    problem = _text_problem(arrays)
    if problem:
        return problem
    for key in ("X_train", "X_val", *stats, *targets):
        if arrays[key].dtype.kind not in "iuf" or not np.isfinite(arrays[key]).all():
            return f"{key} holds values that are not finite numbers"
    for key in ("std", "target_std"):
        if key in arrays and not (arrays[key] > 0).all():
            return f"{key} holds a value that is not positive"
    k = len(arrays["classes"])
    if task == "classification" and k < 2:
        return f"classes lists {k} label{'' if k == 1 else 's'} (a classification set has 2 or more)"
    for part in ("train", "val"):
        X, y = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if len(y) != len(X):
            return f"X_{part} has {len(X)} rows, y_{part} {len(y)}"
        if y.dtype.kind not in "iuf" or y.ndim != (1 if task == "classification" else 2):
            return f"y_{part} of shape {y.shape} and type {y.dtype} is not a {task} target"
        if task == "regression" and not np.isfinite(y).all():
            return f"y_{part} holds values that are not finite numbers"
        if task == "classification":
            wrong = ~np.isin(y, np.arange(k))  # NaN, fractions, negatives and indices ≥ k alike
            if wrong.any():
                return f"y_{part} holds {y[wrong][0]}, not a class index (a whole number from 0 to {k - 1})"
    return None


def _text_problem(arrays: dict[str, Array]) -> str | None:
    """What in a data.npz's TEXT_KEYS does not fit together or with feature_names, or None."""
    present = [key for key in TEXT_KEYS if key in arrays]
    if not present:
        return "features needs columns, column_kinds, categories and category_counts" if "features" in arrays else None
    if len(present) < len(TEXT_KEYS):
        return f"{', '.join(TEXT_KEYS)} must all be there, or none"
    columns, kinds, counts = arrays["columns"], arrays["column_kinds"], arrays["category_counts"]
    if any(arrays[key].ndim != 1 for key in TEXT_KEYS) or not len(columns) == len(kinds) == len(counts):
        return "columns, column_kinds and category_counts are not lists of one length"
    if counts.dtype.kind not in "iu" or not set(kinds.tolist()) <= {"number", "text"} or \
            counts.sum() != len(arrays["categories"]) or ((kinds == "text") != (counts > 0)).any():
        return "column_kinds and category_counts do not describe the categories"
    if "features" in arrays:
        return _features_problem(arrays)
    if input_names(*_raw_columns(arrays)) != arrays["feature_names"].tolist():
        return "feature_names are not the inputs that columns and categories make"
    return None


def _features_problem(arrays: dict[str, Array]) -> str | None:
    """What in a data.npz's FEATURE_KEYS does not fit its columns and feature_names, or None."""
    if any(key not in arrays for key in FEATURE_KEYS) or arrays["features"].ndim != 1:
        return f"{', '.join(FEATURE_KEYS)} must all be there, or none"
    columns, categories = _raw_columns(arrays)
    try:
        names = [f.name for f in parse_features(arrays["features"].tolist(), columns, categories, "features")]
    except NnctlError as e:
        return str(e)
    if names != arrays["feature_names"].tolist():
        return "feature_names are not the inputs that features make"
    b = len(input_names(columns, categories))
    for part in ("train", "val"):
        R = arrays[f"raw_{part}"]
        if R.shape != (len(arrays[f"X_{part}"]), b) or R.dtype.kind != "f" or not np.isfinite(R).all():
            return f"raw_{part} is not {len(arrays[f'X_{part}'])} rows of {b} finite numbers"
    return None


def check_fits_config(ds: Dataset, name: str, params: dict[str, Any], task: str, path: Path,
                      features: list[str] | None = None) -> None:
    """A run's data.npz against its config.yaml's data section: the same task, the same
    data.features and, where the parameters tell, the same number of raw columns."""
    if ds.features != (None if features is None else [f.strip() for f in features]):
        raise NnctlError(f"{path}: computed from features {ds.features}, but config.yaml's data.features is "
                         f"{features} (the files come from different runs)")
    spec_task = DATASETS[name].task
    expected = spec_task if spec_task != "auto" else task
    if expected != "auto" and ds.task != expected:
        raise NnctlError(f"{path}: a {ds.task} data set, but config.yaml's {name} is {expected} "
                         "(the files come from different runs)")
    d = feature_count(name, params)
    if d is not None and len(ds.raw_columns) != d:
        raise NnctlError(f"{path}: {len(ds.raw_columns)} features, but config.yaml's data set {name} has {d} "
                         "(the files come from different runs)")


# ---------------------------------------------------------------- new rows, as the run was trained


def array_table(A: Array, names: list[str], where: str) -> Table:
    """A (n, d) array of numbers as a Table whose columns take `names` (the run's features, in
    training order); a wrong column count is refused, naming the columns expected."""
    if A.ndim != 2 or A.shape[1] != len(names) or A.dtype.kind not in "iuf":
        got = f"{A.shape[1]} columns of {A.dtype}" if A.ndim == 2 else f"shape {A.shape}"
        raise NnctlError(f"{where}: {got}, the run takes (n, {len(names)}) numbers with columns "
                         f"{', '.join(map(_quote, names[:MAX_LISTED]))}")
    return Table(list(names), {name: A[:, j] for j, name in enumerate(names)}, None, where)


def _finite_numbers(cells: Array, name: str, where: str, lines: Array | None, fix: str) -> Array:
    """A column's cells (n,) (numbers, or text as written) -> (n,) finite float64; the first cell
    that is not a finite number is refused, naming the column and its line (or row) and `fix`."""
    values = cells if cells.dtype == np.float64 else _numbers(cells)[0]
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        i = int(bad[0])
        row = f"line {lines[i]}" if lines is not None else f"row {i}"
        cell = str(cells[i]).strip()
        what = f"{_quote(cell)} is not a finite number" if cell else "empty cell"
        raise NnctlError(f"{where}: {row}, column {_quote(name)}: {what} {fix}")
    return values


def text_cells(cells: Array) -> Array:
    """A text column's cells (n,) -> (n,) stripped str; None and NaN (a DataFrame's missing
    values) become empty."""
    if cells.dtype == object:
        cells = np.array(["" if c is None or (isinstance(c, float) and c != c) else str(c) for c in cells],
                         dtype=np.str_).reshape(len(cells))
    return _strings.strip(cells.astype(np.str_))


def one_hot(labels: Array, categories: list[str]) -> Array:
    """(n,) stripped text -> (n, k) float64 0/1: 1 where labels[i] is categories[j] (sorted, as
    np.unique sorts); a label that is none of them gives an all-zero row."""
    known = np.asarray(categories, dtype=np.str_)
    at = np.clip(np.searchsorted(known, labels), 0, len(known) - 1)
    hit = known[at] == labels
    out = np.zeros((len(labels), len(known)))
    out[np.flatnonzero(hit), at[hit]] = 1.0
    return out


@dataclass(frozen=True)
class Preprocessing:
    """What turns raw rows (as in the data file) into the network's inputs, and its outputs back
    into labels or values, as the run was trained: the d network inputs (`feature_names`) in
    training order, their standardisation (mean, std: (d,), or None), the task and the class
    labels, and the regression target's standardisation (target_mean, target_std: (k,), or
    None), undone in `decode_values`.

    Text columns: `column_names` (m,) are the data file's feature columns and `categories` (m,) None
    for a number column or its sorted training categories for a text one, which becomes one 0/1
    input per category ("color=red"); both None when every column is numbers (feature_names
    are then the columns). A text cell is stripped and compared with the categories as text. A
    category the run never saw gives that column an all-zero row: the network sees "none of the
    known ones", as ai.onnx.ml's OneHotEncoder (zeros=1) in the ONNX export and the NumPy
    predict.py do, so every route predicts the same; `nnctl predict` and `nnctl evaluate` warn
    once (`unseen`). An empty text cell is refused, as in training.

    Computed features (data.features): `features` (the items as written) map the base inputs
    (the raw number columns, a text column one-hot; `base_names`) to the d network inputs
    (`feature_names`, the items as written) before standardisation; column_names and categories
    are then set. `raw_gradient` takes a gradient back through both to the raw columns."""

    feature_names: list[str]
    task: str
    classes: list
    mean: Array | None = None
    std: Array | None = None
    target_mean: Array | None = None
    target_std: Array | None = None
    column_names: list[str] | None = None
    categories: list[list[str] | None] | None = None
    features: list[str] | None = None

    @classmethod
    def of(cls, ds: Dataset) -> Preprocessing:
        """The Dataset's fields of the same names: what rows need to become its inputs again."""
        return cls(**{f.name: getattr(ds, f.name) for f in fields(cls)})

    @property
    def base_names(self) -> list[str]:
        """The b base inputs' names: the number columns' own, "column=category" for a text column's."""
        return list(self.feature_names) if self.features is None else input_names(self.raw_columns, self._categories())

    @functools.cached_property
    def computed(self) -> list[Feature] | None:
        """The parsed data.features (nnctl.features.Feature, over the base inputs), or None."""
        return None if self.features is None else parse_features(self.features, self.raw_columns, self._categories(),
                                                                 "features")

    @property
    def raw_columns(self) -> list[str]:
        """The columns raw rows must have, in training order."""
        return list(self.feature_names) if self.column_names is None else list(self.column_names)

    @property
    def text_columns(self) -> list[str]:
        return [c for c, cats in zip(self.raw_columns, self._categories(), strict=True) if cats is not None]

    def _categories(self) -> list[list[str] | None]:
        return [None] * len(self.feature_names) if self.categories is None else list(self.categories)

    def columns_of(self, X, where: str = "X", lines: Array | None = None) -> tuple[list[Array], Array | None]:
        """Raw inputs -> the m raw columns in training order, each (n,), and the file lines (or None).
        X: a 2-D array of m columns in training order (objects where some are text), a dict of
        columns by name (extra ones ignored), a pandas DataFrame, or a Table."""
        if isinstance(X, Table):
            return self.columns_of(X.columns, X.where, X.lines)
        if type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "columns"):  # pandas never imported
            X = {str(name): X[name].to_numpy() for name in X.columns}
        names = self.raw_columns
        if isinstance(X, dict):
            missing = [name for name in names if name not in X]
            if missing:
                raise NnctlError(f"{where}: no column {_quote(missing[0])} (the run's features: {_listed(names)})")
            return [np.asarray(X[name]) for name in names], lines
        A = np.asarray(X)
        if A.ndim != 2 or A.shape[1] != len(names):
            got = f"{A.shape[1]} column{'' if A.shape[1] == 1 else 's'}" if A.ndim == 2 else f"shape {A.shape}"
            raise NnctlError(f"{where}: {got}, the run takes (n, {len(names)}) with columns {_listed(names)}")
        return [A[:, j] for j in range(A.shape[1])], lines

    def columns(self, X, where: str = "X", lines: Array | None = None) -> Array:
        """Raw inputs (see `columns_of`) -> (n, d) float64 network inputs in training order, not
        yet standardised: the base inputs (`base`), through data.features when the run has them."""
        B = self.base(X, where, lines)
        return B if self.computed is None else feature_map(B, self.computed)

    def base(self, X, where: str = "X", lines: Array | None = None) -> Array:
        """Raw inputs (see `columns_of`) -> (n, b) float64 base inputs in training order: number
        columns as they are, text columns one-hot. A number cell must be a finite number and a
        text cell filled; errors name the column and the row (or line)."""
        if isinstance(X, np.ndarray) and not self.text_columns:
            A = X
            if A.ndim == 2 and A.shape[1] == len(self.raw_columns) and A.dtype == np.float64 and np.isfinite(A).all():
                return A  # no copy of a large, clean array
        cells, lines = self.columns_of(X, where, lines)
        if isinstance(X, Table):
            where = X.where
        n = {len(c) for c in cells}
        if len(n) > 1:
            raise NnctlError(f"{where}: the columns have different lengths ({sorted(n)})")
        values = [self._column_values(c, name, cats, where, lines)
                  for c, name, cats in zip(cells, self.raw_columns, self._categories(), strict=True)]
        return np.column_stack(values) if values else np.empty((0, 0))

    def _column_values(self, cells: Array, name: str, categories: list[str] | None, where: str,
                       lines: Array | None) -> Array:
        """One raw column (n,) -> (n,) finite float64 (numbers), or (n, k) one-hot over its k
        categories (text; an unseen category is an all-zero row)."""
        if cells.ndim != 1:
            raise NnctlError(f"{where}: column {_quote(name)} is not a list of values (shape {cells.shape})")
        if categories is None:
            return _finite_numbers(cells, name, where, lines, "(the run's model takes numbers here)")
        labels = text_cells(cells)
        empty = np.flatnonzero(labels == "")
        if len(empty):
            row = f"line {lines[empty[0]]}" if lines is not None else f"row {empty[0]}"
            raise NnctlError(f"{where}: {row}, column {_quote(name)}: empty cell (the run's model takes one of "
                             f"its categories here: {_listed(categories)})")
        return one_hot(labels, categories)

    def unseen(self, X, where: str = "X", lines: Array | None = None) -> str | None:
        """The warning for raw rows X with a text cell the run never saw (encoded as all zeros),
        one line naming how many rows, the first such column, value and line; None if none."""
        if self.categories is None:
            return None
        cells, lines = self.columns_of(X, where, lines)
        where = X.where if isinstance(X, Table) else where
        first, rows = None, None
        for c, name, cats in zip(cells, self.raw_columns, self.categories, strict=True):
            if cats is not None:
                new = ~np.isin(text_cells(c), cats)
                rows = new if rows is None else rows | new
                if new.any() and (first is None or np.argmax(new) < first[0]):
                    i = int(np.argmax(new))
                    first = (i, name, str(text_cells(c[i:i + 1])[0]))
        if first is None:
            return None
        i, name, value = first
        row = f"line {lines[i]}" if lines is not None else f"row {i}"
        count = int(rows.sum())
        return (f"warning: {where}: {count} row{'' if count == 1 else 's'} with a category the run never saw, "
                f"encoded as all zeros (first: column {_quote(name)}, {_quote(value)} on {row})")

    def encode(self, X, dtype=np.float64, where: str = "X", lines: Array | None = None) -> Array:
        """Raw inputs (see `columns`) -> the network's inputs (n, d) in `dtype`, standardised by
        the training part's mean and std when the run was."""
        return self.standardize(self.columns(X, where, lines), dtype)

    def raw_gradient(self, raw: Array, dA: Array) -> Array:
        """The gradient of a loss with respect to the network's inputs, dA (n, d), taken back to
        the raw number rows `raw` (n, m) they were computed from: through the standardisation
        (dF = dA / std) and the feature map's vector-Jacobian product. Returns (n, m) in the
        data's own units. A run with text columns has no gradient in them: refused."""
        if self.text_columns:
            raise NnctlError(f"the run's column {_quote(self.text_columns[0])} is text (one-hot): its inputs "
                             "cannot move by a gradient")
        dF = np.asarray(dA, dtype=np.float64)
        if self.std is not None:
            dF = dF / self.std
        return dF if self.computed is None else feature_vjp(raw, self.computed, dF)

    def standardize(self, A: Array, dtype=np.float64) -> Array:
        """(n, d) raw numbers -> (A - mean) / std (when the run standardised) in `dtype`."""
        if self.mean is not None:
            A = (A - self.mean) / self.std
        return A.astype(dtype, copy=False)

    def encode_target(self, cells: Array, name: str, where: str = "y", lines: Array | None = None) -> Array:
        """Targets as in the data (n,) -> class indices (n,) int64 into `classes`, or (n, k)
        regression values (n, k) in the target's units, as Dataset.y_* hold them (a target's
        standardisation is applied by assemble.encode_targets, as in training).
        A label that is not one of the classes is refused, naming it."""
        cells = np.asarray(cells)
        if self.task == "regression":
            Y = cells.reshape(len(cells), -1)
            return np.column_stack([_finite_numbers(Y[:, j], name, where, lines, "(the run's model takes numbers here)")
                                    for j in range(Y.shape[1])])
        known = np.asarray(self.classes)
        labels = _strings.strip(cells.astype(np.str_))
        if known.dtype.kind != "U":  # number labels: "1", "1.0" and 1 are all class 1; text is none
            labels = np.array([_number(label) for label in labels])
        order = np.argsort(known)
        indices = order[np.clip(np.searchsorted(known, labels, sorter=order), 0, len(known) - 1)]
        unknown = np.flatnonzero(known[indices] != labels)
        if len(unknown):
            i = int(unknown[0])
            row = f"line {lines[i]}" if lines is not None else f"row {i}"
            listed = ", ".join(map(str, self.classes[:MAX_LISTED]))
            raise NnctlError(f"{where}: {row}, column {_quote(name)}: {_quote(str(cells[i]).strip())} is not one of "
                             f"the run's classes ({listed})")
        return indices.astype(np.int64)

    def decode_classes(self, indices: Array) -> Array:
        """(n,) class indices -> (n,) labels as in the data: strings stay strings, numbers numbers."""
        return np.asarray(self.classes)[indices]

    def decode_values(self, out: Array) -> Array:
        """(n, k) network outputs of a regression -> values in the target's units (out × target_std
        + target_mean when the run standardised the target), (n,) when k = 1."""
        if self.target_mean is not None:
            out = out * self.target_std + self.target_mean
        return out[:, 0] if out.shape[1] == 1 else out
