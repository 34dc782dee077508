"""What training runs together (`nnctl.lockstep`) saves against training them one by one.

    .venv/bin/python benchmarks/lockstep.py               # widths 2, 8, 32; K 1, 2, 3, 6; 5 rounds
    .venv/bin/python benchmarks/lockstep.py --widths 8 --groups 3 --rounds 3

A small network's step is NumPy's overhead per call: a step of a 2-8-2 tanh net on 32 rows is
some 36 calls of 0.5-1 µs on arrays of a few hundred numbers, so a run of 1 500 steps costs
about the same whatever its width up to ~16. `nnctl sweep` trains the points of one kin (the
same config but seed and learning rate) together: their networks stacked, each NumPy call of
the forward and backward passes and of the step serving K runs.

For each width of `configs/sweeps/moons-width-lr.yaml` (one hidden tanh layer, Adam, 60 epochs
of 32-row batches on 800 moons), K of its points (seeds 0, 1, …, learning rates 0.003 and 0.03
in turn) are `training.prepare`d, then trained into run directories of their own, interleaved
in each round:

- one by one, each by `training.fit` (what `nnctl train` and a sweep's single runs do), and
- together, by `lockstep.fit_together` (what a sweep's worker does with a group).

Both write every file of the run but the pictures. Printed: milliseconds a run (medians over
the rounds), and the ratio. Before timing, every run's model.npz is checked equal, bit for bit,
between the two ways (tests/test_lockstep.py checks every file, for every loss and optimizer).
"""

from __future__ import annotations

import argparse
import functools
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from timing import timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnctl.config import load_config  # noqa: E402
from nnctl.lockstep import fit_together  # noqa: E402
from nnctl.training import fit, prepare  # noqa: E402

MOONS = ROOT / "configs" / "moons.yaml"
RATES = (0.003, 0.03)


def loops(width: int, k: int) -> list:
    """K of the grid's points of one width, prepared as `nnctl sweep` prepares them."""
    return [prepare(load_config(str(MOONS), ["train.epochs=60", f"model.hidden=[{width}]",
                                             f"optimizer.lr={RATES[i % 2]}", f"seed={i // 2}"]))
            for i in range(k)]


def one_by_one(runs: list, folder: Path) -> None:
    for i, loop in enumerate(runs):
        fit(loop, folder / f"r{i}")


def together(runs: list, folder: Path) -> None:
    for _ in fit_together(runs, [folder / f"r{i}" for i in range(len(runs))]):  # (index, outcome) as runs end
        pass


def check(width: int, k: int, folder: Path) -> None:
    """Every run's weights, trained together, equal to its weights trained alone."""
    one_by_one(loops(width, k), folder / "alone")
    together(loops(width, k), folder / "together")
    for i in range(k):
        with np.load(folder / "alone" / f"r{i}" / "model.npz") as a, \
                np.load(folder / "together" / f"r{i}" / "model.npz") as b:
            if a.files != b.files or not all(np.array_equal(a[key], b[key]) for key in a.files):
                sys.exit(f"width {width}, K {k}: run {i}'s weights differ")
    shutil.rmtree(folder / "alone")
    shutil.rmtree(folder / "together")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="2,8,32")
    parser.add_argument("--groups", default="2,3,6", help="group sizes K to time")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    widths, groups = [int(w) for w in args.widths.split(",")], [int(k) for k in args.groups.split(",")]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{now}, {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}; "
          f"60 epochs, {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for width in widths:
            for k in groups:
                check(width, k, folder)
        print("bit for bit: every run's model.npz trained together equals its model.npz trained alone")
        print(f"\n{'width':>5s} {'K':>3s} {'one by one ms/run':>18s} {'together ms/run':>16s} {'ratio':>6s}")
        for width in widths:
            for k in groups:
                seconds: dict[str, list[float]] = {"one by one": [], "together": []}
                for r in range(args.rounds):
                    ways = {"one by one": (one_by_one, loops(width, k)), "together": (together, loops(width, k))}
                    times = timed({name: functools.partial(train, runs, folder / f"{name}-{r}")
                                   for name, (train, runs) in ways.items()}, 1)  # prepared untimed
                    for name, values in times.items():
                        seconds[name] += values
                        shutil.rmtree(folder / f"{name}-{r}")
                alone, joint = (1000 * statistics.median(seconds[name]) / k for name in seconds)
                print(f"{width:5d} {k:3d} {alone:18.1f} {joint:16.1f} {alone / joint:5.2f}x")


if __name__ == "__main__":
    main()
