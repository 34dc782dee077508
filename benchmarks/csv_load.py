"""nnctl's CSV loader against np.loadtxt on the same file, in one process (issue 15).

    .venv/bin/python benchmarks/csv_load.py [--rows 200000] [--runs 5] [--row-by-row]

Writes two tables to a temporary folder: 200 000 rows of 10 numeric columns (9 features and a
numeric target, cells as `%.4g` writes them (the first column as `repr`), negatives and exponents included), and the
same 9 features with a text label (three class names). Then, for `--runs` rounds, times each tool
once per round, interleaved (nnctl, NumPy, nnctl, NumPy, ...), so that a busy neighbour slows
both alike, and prints the best and the median of each and their ratio:

- nnctl: `nnctl.data.load_csv(path)`: the bounded read of the file, the header and target checks,
  X (n, 9) float64 and y (float64, or the labels as str);
- NumPy: `np.loadtxt(path, delimiter=",", skiprows=1)`, every column as float64; on the labelled
  table `usecols=range(9)`, the numeric columns only (loadtxt cannot read a label as a float);
- `--row-by-row` adds nnctl's csv-module reader (`_table_arrays(..., fast=False)`: what every
  file took before the NumPy path, and what a file with quotes or a bad cell still takes) on the
  same text.

Not part of the test run: timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from timing import timed

from nnctl.data import _table_arrays, load_csv
from nnctl.files import read_text

N_FEATURES = 9
CLASSES = np.array(["setosa", "versicolor", "virginica"])


def write_tables(folder: Path, n: int) -> dict[str, Path]:
    """The numeric table and the labelled one, both (n, 10) with a header row."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, N_FEATURES)) * 10.0 ** rng.integers(-3, 4, size=(n, N_FEATURES))
    y = X[:, 0] - 2 * X[:, 1]
    names = ",".join(f"x{j}" for j in range(N_FEATURES))
    cell = [repr, *["{:.4g}".format] * 9]  # the first column 17 digits, the others 4 significant ones
    numeric = [",".join(cell[j](float(v)) for j, v in enumerate(row)) for row in np.c_[X, y]]
    labels = CLASSES[rng.integers(len(CLASSES), size=n)]
    paths = {"numeric": folder / "numeric.csv", "labelled": folder / "labelled.csv"}
    paths["numeric"].write_text(f"{names},y\n" + "\n".join(numeric) + "\n")
    paths["labelled"].write_text(f"{names},label\n" + "".join(f"{row.rsplit(',', 1)[0]},{label}\n"
                                                               for row, label in zip(numeric, labels, strict=True)))
    return paths



def tools_for(kind: str, path: Path, row_by_row: bool) -> dict[str, Callable[[], object]]:
    usecols = range(N_FEATURES) if kind == "labelled" else None
    tools = {"nnctl load_csv": lambda: load_csv(path),
             "np.loadtxt": lambda: np.loadtxt(path, delimiter=",", skiprows=1, usecols=usecols)}
    if row_by_row:
        tools["nnctl row by row"] = lambda: _table_arrays(read_text(path, limit=10**10), path, None, ",", {},
                                                          fast=False)
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--row-by-row", action="store_true", help="also time the cell-by-cell reader")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        paths = write_tables(Path(folder), args.rows)
        for kind, path in paths.items():
            times = timed(tools_for(kind, path, args.row_by_row), args.runs)
            base = times["np.loadtxt"]
            print(f"\n{kind} table, {args.rows:,} rows × 10 columns, {path.stat().st_size / 1e6:.1f} MB, "
                  f"{args.runs} runs interleaved")
            print(f"{'':18} {'best s':>8} {'median s':>9} {'best ratio':>11} {'median ratio':>13}")
            for name, seconds in times.items():
                best, median = min(seconds), statistics.median(seconds)
                print(f"{name:18} {best:8.3f} {median:9.3f} {best / min(base):10.2f}x "
                      f"{median / statistics.median(base):12.2f}x")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
