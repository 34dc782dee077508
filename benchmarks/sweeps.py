"""A sweep's whole wall time with its pictures against peers' bare loops, and what pictures cost
a single run and a large one (issue 18).

    .venv/bin/python benchmarks/sweeps.py                 # everything, 3 rounds: ~4 min on 2 cores
    .venv/bin/python benchmarks/sweeps.py --only grid --runs 5
    .venv/bin/python benchmarks/sweeps.py --only scale    # the 300-run grid beside the 30-run one
    .venv/bin/python benchmarks/sweeps.py --only train,large

Every measurement is a whole process (interpreter start and imports included: what a person
who types the command waits for), started fresh, in the environment this script runs in, with
the measured tree's bytecode compiled first, as `make` compiles it (see the Makefile's
`bytecode`: the 2-core VM sets PYTHONDONTWRITEBYTECODE, and without it every process compiled
nnctl anew, 0.3 s of its start; scikit-learn and PyTorch are installed compiled).

- **grid**: `configs/sweeps/moons-width-lr.yaml` (5 widths × 2 learning rates × 3 seeds = 30
  runs of a one-hidden-layer tanh net, Adam, batch 32, 60 epochs on 1000 moons) as
  `nnctl sweep ... --jobs 2` with every default picture (each run's output.plots: loss.png,
  boundary.png and, for widths up to 8, network.png; the folder's sweep.png, boundaries.png
  and report.html), checked present when the command returns; against the same 30 fits as a
  scikit-learn loop (`MLPClassifier`, adam, `batch_size=32`, `max_iter=60`, `alpha=0`, `tol=0`,
  every epoch run) and a PyTorch loop (`nn.Sequential`, Adam, batches of 32 by `randperm`, one
  thread a worker), each in 2 joblib workers, drawing nothing (they read the validation
  accuracy, that is all). Also `nnctl sweep` with `--set output.plots=[]` (the sweep's own
  pictures and report still drawn). Rounds are interleaved (every tool once, then again), so a
  busy neighbour slows all alike; medians over the rounds.
- **scale**: the same grid over 30 seeds (300 runs), interleaved with the 30-run sweep: the
  per-run cost of each, and the peak resident memory of the sweep process (the parent, which
  draws the sweep's pictures and report) and of its largest worker.
- **train**: `nnctl train configs/moons.yaml` (2-16-16-2, 100 epochs, 1000 points) with its
  default pictures (loss.png, boundary.png), the same with `output.plots=[]`, and
  `python -c "import matplotlib..."` (the floor any matplotlib picture pays).
- **large**: `configs/moons.yaml` with 1 000 000 samples, 2 epochs, batch 256: wall time and
  peak memory (ru_maxrss) with the default pictures and with `output.plots=[]`.

Timings belong here, not in the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
GRID = ROOT / "configs" / "sweeps" / "moons-width-lr.yaml"
MOONS = ROOT / "configs" / "moons.yaml"
WIDTHS, RATES, EPOCHS = (2, 4, 8, 16, 32), (0.003, 0.03), 60
SWEEP_FILES = ("sweep.png", "boundaries.png", "report.html", "results.csv")

# a child that runs the nnctl CLI and, on the way out, writes its own peak memory and its
# largest child's (ru_maxrss, KiB on Linux) as JSON to the file named in NNCTL_BENCH_MEMORY
CLI = """
import json, os, resource, sys
from nnctl.cli import app
try:
    app(sys.argv[1:], prog_name="nnctl")
finally:
    me, kids = (resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with open(os.environ["NNCTL_BENCH_MEMORY"], "w") as f:
        json.dump({"self_mb": me / 1024, "children_mb": kids / 1024}, f)
"""

SKLEARN = """
import sys, warnings
from joblib import Parallel, delayed

def fit(width, lr, seed):
    from sklearn.datasets import make_moons
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    X, y = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    model = MLPClassifier(hidden_layer_sizes=(width,), activation="tanh", solver="adam", learning_rate_init=lr,
                          batch_size=32, max_iter=EPOCHS, alpha=0.0, tol=0.0, n_iter_no_change=10**9,
                          random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model.score(X_val, y_val)

scores = Parallel(n_jobs=2)(delayed(fit)(w, lr, s) for w in WIDTHS for lr in RATES for s in SEEDS)
print(len(scores), sum(scores) / len(scores))
"""

TORCH = """
import sys
from joblib import Parallel, delayed

def fit(width, lr, seed):
    import torch
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    X, y = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    X_train, X_val = torch.tensor(X_train, dtype=torch.float64), torch.tensor(X_val, dtype=torch.float64)
    y_train, y_val = torch.tensor(y_train), torch.tensor(y_val)
    net = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.Tanh(), torch.nn.Linear(width, 2)).double()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss = torch.nn.CrossEntropyLoss()
    n = len(X_train)
    for _ in range(EPOCHS):
        order = torch.randperm(n)
        Xs, ys = X_train[order], y_train[order]
        for i in range(0, n, 32):
            optimizer.zero_grad()
            loss(net(Xs[i:i + 32]), ys[i:i + 32]).backward()
            optimizer.step()
    with torch.no_grad():
        return float((net(X_val).argmax(1) == y_val).double().mean())

scores = Parallel(n_jobs=2)(delayed(fit)(w, lr, s) for w in WIDTHS for lr in RATES for s in SEEDS)
print(len(scores), sum(scores) / len(scores))
"""


TREE = [ROOT]  # the nnctl measured: this checkout, or another one's (--tree, for a before/after)


def env() -> dict[str, str]:
    """This environment, with the tree measured first on the path."""
    path = os.environ.get("PYTHONPATH", "")
    return os.environ | {"PYTHONPATH": f"{TREE[0]}{os.pathsep}{path}" if path else str(TREE[0])}


def peer_script(template: str, seeds: list[int]) -> str:
    head = f"WIDTHS, RATES, EPOCHS, SEEDS = {WIDTHS!r}, {RATES!r}, {EPOCHS}, {seeds!r}\n"
    return head + template


class Measured:
    """Wall times (s) and, for nnctl, peak memory (MB) of each named command, round by round."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self.memory: dict[str, list[dict[str, float]]] = {}

    def run(self, name: str, command: list[str], folder: Path, check=None) -> None:
        memory = folder / "memory.json"
        start = time.perf_counter()
        done = subprocess.run(command, env=env() | {"NNCTL_BENCH_MEMORY": str(memory)}, cwd=folder,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        if check is not None:
            check()
        self.seconds.setdefault(name, []).append(seconds)
        if memory.is_file():
            self.memory.setdefault(name, []).append(json.loads(memory.read_text()))
            memory.unlink()

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])

    def table(self, title: str, per: dict[str, int] | None = None) -> None:
        print(f"\n{title}")
        print(f"{'':46s} {'median s':>9s} {'min':>7s} {'max':>7s}" + ("  per run s" if per else "")
              + "  peak MB (process / largest worker)")
        for name, values in self.seconds.items():
            line = f"{name:46s} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}"
            if per:
                line += f"  {statistics.median(values) / per[name]:9.3f}" if name in per else " " * 11
            if name in self.memory:
                self_mb = max(m["self_mb"] for m in self.memory[name])
                kids = max(m["children_mb"] for m in self.memory[name])
                line += f"  {self_mb:6.0f} / {kids:.0f}"
            print(line)


def nnctl(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def sweep_file(folder: Path, seeds: int) -> Path:
    """The grid file with `seeds` seeds (its config path made absolute)."""
    text = GRID.read_text().replace("config: ../moons.yaml", f"config: {MOONS}")
    text = text.replace("seeds: [0, 1, 2]", f"seeds: {list(range(seeds))}")
    path = folder / f"grid-{seeds}.yaml"
    path.write_text(text)
    return path


def check_sweep(folder: Path, runs: int, plots: bool):
    """A check that the sweep left every picture it owes, then a clean folder for the next round."""

    def check() -> None:
        missing = [name for name in SWEEP_FILES if not (folder / name).is_file()]
        run_dirs = sorted((folder / "runs").iterdir())
        if len(run_dirs) != runs:
            missing.append(f"{runs} runs (found {len(run_dirs)})")
        for run in run_dirs if plots else []:
            widest = max(yaml.safe_load((run / "config.yaml").read_text())["model"]["hidden"])
            owed = ["loss.png", "boundary.png"] + (["network.png"] if widest <= 8 else [])  # plots.MAX_NODES_DRAWN
            missing += [f"{run.name}/{name}" for name in owed if not (run / name).is_file()]
        if missing:
            sys.exit(f"the sweep returned without: {', '.join(missing[:5])}")
        shutil.rmtree(folder)

    return check


def sweep_command(grid: Path, out: Path, *extra: str) -> list[str]:
    return nnctl("sweep", str(grid), "--jobs", "2", "--out", str(out), *extra)


def bench_grid(tmp: Path, rounds: int) -> Measured:
    grid, m = sweep_file(tmp, 3), Measured()
    seeds = [0, 1, 2]
    for _ in range(rounds):
        out = tmp / "sweep"
        m.run("nnctl sweep, every picture and report.html", sweep_command(grid, out), tmp, check_sweep(out, 30, True))
        m.run("scikit-learn loop, 2 joblib workers, no pictures",
              [sys.executable, "-c", peer_script(SKLEARN, seeds)], tmp)
        m.run("PyTorch loop, 2 joblib workers, no pictures", [sys.executable, "-c", peer_script(TORCH, seeds)], tmp)
        m.run("nnctl sweep --set output.plots=[]", sweep_command(grid, out, "--set", "output.plots=[]"), tmp,
              check_sweep(out, 30, False))
    m.table(f"the 30-run grid ({GRID.relative_to(ROOT)}), {rounds} rounds interleaved")
    nnctl_s = m.median("nnctl sweep, every picture and report.html")
    for name in list(m.seconds)[1:3]:
        print(f"  nnctl sweep is {m.median(name) / nnctl_s:.2f}x as fast as the {name.split(',')[0]}"
              + ("   (target >= 2x)" if "scikit" in name else ""))
    return m


def bench_scale(tmp: Path, rounds: int) -> Measured:
    small, large, m = sweep_file(tmp, 3), sweep_file(tmp, 30), Measured()
    for _ in range(rounds):
        out = tmp / "sweep"
        m.run("nnctl sweep, 30 runs", sweep_command(small, out), tmp, check_sweep(out, 30, True))
        m.run("nnctl sweep, 300 runs", sweep_command(large, out), tmp, check_sweep(out, 300, True))
    m.table(f"the grid over 3 and 30 seeds, {rounds} rounds interleaved",
            per={"nnctl sweep, 30 runs": 30, "nnctl sweep, 300 runs": 300})
    ratio = (m.median("nnctl sweep, 300 runs") / 300) / (m.median("nnctl sweep, 30 runs") / 30)
    print(f"  per-run cost of 300 runs / of 30 runs: {ratio:.2f}   (target <= 1.10)")
    return m


def bench_train(tmp: Path, rounds: int) -> Measured:
    m = Measured()
    floor = "import matplotlib; from matplotlib.figure import Figure; from matplotlib.backends import backend_agg"
    for i in range(rounds):
        m.run("python -c pass", [sys.executable, "-c", "pass"], tmp)
        m.run("python -c 'import matplotlib, Figure, Agg'", [sys.executable, "-c", floor], tmp)
        m.run("nnctl train moons.yaml, output.plots=[]",
              nnctl("train", str(MOONS), "--run-dir", str(tmp / f"bare-{i}"), "--set", "output.plots=[]"), tmp)
        m.run("nnctl train moons.yaml, default pictures",
              nnctl("train", str(MOONS), "--run-dir", str(tmp / f"drawn-{i}")), tmp)
    m.table(f"one run, whole process ({rounds} rounds interleaved)")
    floors(tmp / "drawn-0", rounds)
    drawn = m.median("nnctl train moons.yaml, default pictures")
    bare = m.median("nnctl train moons.yaml, output.plots=[]")
    print(f"  default pictures add {drawn - bare:.2f} s; the whole process {drawn:.2f} s   (target < 1.0 s)")
    return m


FLOORS = """
import io, statistics, sys, time
from pathlib import Path
from nnctl.pictures import PICTURES
from nnctl.runs import load_run
run, out, rounds = load_run(Path(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3])

def best(f):
    f()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

for name in ("loss", "boundary"):
    seconds = best(lambda: PICTURES[name].draw(run, out / f"{name}.png", dpi=110))
    print(f"  {name}.png of this run as nnctl draws it (pixels): {seconds:.3f} s")
print(f"  matplotlib loaded by those: {'matplotlib' in sys.modules}")
start = time.perf_counter()
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
print(f"  importing matplotlib's Figure and Agg: {time.perf_counter() - start:.3f} s (in this process, first)")

def empty():
    fig = Figure(figsize=(12, 4.2))
    fig.subplots(1, 2)
    fig.savefig(io.BytesIO(), format="png", dpi=110)

print(f"  an empty matplotlib figure of two panels as loss.png's PNG: {best(empty):.3f} s")
for name in ("loss", "boundary"):
    figure = lambda: PICTURES[name].draw(run, None, dpi=110).savefig(io.BytesIO(), format="png", dpi=110)
    print(f"  {name}.png of this run as a matplotlib figure (notebooks, SVG, PDF): {best(figure):.3f} s")
"""


def floors(run: Path, rounds: int) -> None:
    """What one run's default pictures cost in a process that has them loaded: loss.png and
    boundary.png as nnctl draws them (pixels), then the same as matplotlib figures, after
    matplotlib's import and an empty figure's PNG (the floor of any matplotlib picture)."""
    print("\nits pictures, drawn again in one process (medians):")
    out = run.parent / "floors"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", FLOORS, str(run), str(out), str(rounds)], env=env(),
                          capture_output=True, text=True)
    print(done.stdout.rstrip() or done.stderr[-2000:])


def bench_large(tmp: Path, rounds: int) -> Measured:
    m = Measured()
    big = ["--set", "data.n_samples=1000000", "--set", "train.epochs=2", "--set", "train.batch_size=256"]
    for i in range(rounds):
        m.run("1 000 000 samples, output.plots=[]",
              nnctl("train", str(MOONS), "--run-dir", str(tmp / f"big-bare-{i}"), *big, "--set", "output.plots=[]"),
              tmp)
        m.run("1 000 000 samples, default pictures",
              nnctl("train", str(MOONS), "--run-dir", str(tmp / f"big-drawn-{i}"), *big), tmp)
        for run in tmp.glob("big-*"):
            shutil.rmtree(run)
    m.table(f"one large run, whole process ({rounds} rounds interleaved)")
    drawn, bare = "1 000 000 samples, default pictures", "1 000 000 samples, output.plots=[]"
    memory = max(x["self_mb"] for x in m.memory[drawn]) - max(x["self_mb"] for x in m.memory[bare])
    print(f"  pictures add {m.median(drawn) - m.median(bare):.2f} s and {memory:.0f} MB of peak memory"
          "   (target < 1 s, < 100 MB)")
    return m


def where() -> str:
    commit = subprocess.run(["git", "-C", str(TREE[0]), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(TREE[0]), "status", "--porcelain", "nnctl"], capture_output=True,
                           text=True)
    import matplotlib
    import numpy

    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, nnctl at {commit.stdout.strip()}"
            f"{' (+ uncommitted changes)' if dirty.stdout.strip() else ''} ({TREE[0]}), {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {numpy.__version__}, "
            f"matplotlib {matplotlib.__version__}, load average {os.getloadavg()[0]:.2f}")


BENCHES = {"grid": bench_grid, "scale": bench_scale, "train": bench_train, "large": bench_large}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (medians over them)")
    parser.add_argument("--only", default="grid,train,large", help=f"comma-separated: {', '.join(BENCHES)}")
    parser.add_argument("--tree", type=Path, default=ROOT, help="measure the nnctl of this checkout (default: here)")
    args = parser.parse_args()
    TREE[0] = args.tree.resolve()
    # the tree's bytecode compiled, as `make` compiles it before its commands (Makefile: bytecode):
    # with PYTHONDONTWRITEBYTECODE set, as on the 2-core VM, each process would compile nnctl anew
    compileall.compile_dir(TREE[0] / "nnctl", quiet=1)
    print(where())
    for name in args.only.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            BENCHES[name](Path(tmp), args.runs)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
