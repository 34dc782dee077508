"""Prediction with a trained run against scikit-learn and onnxruntime on the same weights, and
the whole `nnctl predict` process on a CSV (issue 15).

    .venv/bin/python benchmarks/predict.py [--rows 1000000] [--runs 7] [--csv-rows 100000]
    .venv/bin/python benchmarks/predict.py --only proba      # or --only cli

Trains the 2-16-16-2 tanh moons run (cross-entropy, Adam, 30 epochs, raw inputs) twice, in
float64 and float32, in a temporary folder, then:

- **predict_proba**: `run.predict_proba(X)` (nnctl.load_run) on X, `--rows` rows of 2 float64
  features, against scikit-learn's `MLPClassifier.predict_proba` with the same weights put into
  `coefs_` / `intercepts_` (its fitted attributes set by hand: it predicts without `fit`; its
  probabilities are checked against nnctl's to 1e-12 in float64), and against onnxruntime on the
  model `nnctl export --format onnx` writes (a float32 graph, whichever the run's dtype; with
  onnxruntime's default threads, two on this machine, and with one). Every tool is given the
  same float64 X and casts what it needs inside the timed call (X to float32 for onnxruntime
  and the float32 twins). Rounds are interleaved (every tool once, then again ...) so that a
  busy neighbour slows all alike; medians and bests of `--runs` rounds, with ratios.
  Then the peak memory of `run.predict_proba(X)` above X itself (tracemalloc, which sees
  NumPy's arrays), against the bound of 3× X's size.
- **nnctl predict**: the whole process `nnctl predict RUN input.csv --out out.csv` on a CSV of
  `--csv-rows` rows (x0, x1 as `repr` writes floats), median of `--runs` runs, next to
  `python -c pass` and `nnctl --help` (wall time, and the CPU time of the process, which a busy
  machine inflates less); then, in this process, what its steps cost: reading the CSV
  (workflow.read_input: files.read_text + data.read_table), predicting
  (trained.predicted_columns) and making the output text (trained.predictions_csv).

Not part of the test run: timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from timing import timed

from nnctl.trained import TrainedRun, load_run, predicted_columns, predictions_csv
from nnctl.workflow import read_input

MOONS = """\
name: moons
seed: 0
dtype: {dtype}
data: {{name: moons, n_samples: 1000, noise: 0.2}}
model: {{hidden: [16, 16], activation: tanh}}
loss: cross-entropy
optimizer: {{name: adam, lr: 0.01}}
train: {{epochs: 30, batch_size: 32}}
output: {{plots: []}}
"""
DTYPES = ("float64", "float32")
MEMORY_BOUND = 3.0  # the issue's: peak under 3× the input's size


def nnctl_command() -> str:
    return shutil.which("nnctl", path=str(Path(sys.executable).parent)) or "nnctl"


def train_runs(folder: Path) -> dict[str, Path]:
    """The moons run in each dtype, trained by `nnctl train` into `folder`."""
    paths = {}
    for dtype in DTYPES:
        config = folder / f"moons-{dtype}.yaml"
        config.write_text(MOONS.format(dtype=dtype))
        paths[dtype] = folder / f"run-{dtype}"
        subprocess.run([nnctl_command(), "train", str(config), "-q", "--run-dir", str(paths[dtype])], check=True)
    return paths


def sklearn_twin(run: TrainedRun):
    """An MLPClassifier holding `run`'s weights (in the run's dtype), ready to predict without
    fit: the attributes fit would set, set by hand."""
    from sklearn.neural_network import MLPClassifier  # optional, and a second to import
    from sklearn.preprocessing import LabelBinarizer

    params = run.model.network.params()
    layers = len(run.model.network.dense)
    hidden = tuple(run.model.network.sizes[1:-1])
    twin = MLPClassifier(hidden_layer_sizes=hidden, activation=run.config.model.activation)
    twin.coefs_ = [params[f"W{i}"].copy() for i in range(layers)]
    twin.intercepts_ = [params[f"b{i}"].copy() for i in range(layers)]
    twin.n_layers_, twin.n_outputs_, twin.out_activation_ = layers + 1, len(run.classes), "softmax"
    twin.classes_, twin.n_features_in_ = np.array(run.classes), run.model.network.sizes[0]
    twin._label_binarizer = LabelBinarizer().fit(run.classes)
    return twin


def onnx_session(run_dir: Path, out: Path, threads: int | None = None):
    """An onnxruntime session on the model `nnctl export --format onnx` writes for `run_dir`."""
    import onnxruntime  # optional (the export extra)

    if not out.exists():
        subprocess.run([nnctl_command(), "export", str(run_dir), "--format", "onnx", "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])



def proba_tools(paths: dict[str, Path], folder: Path, X: np.ndarray) -> dict[str, Callable[[], object]]:
    """The timed calls, each checked first against nnctl's float64 probabilities."""
    import onnxruntime  # optional: the versions compared
    import sklearn

    print(f"scikit-learn {sklearn.__version__}, onnxruntime {onnxruntime.__version__}")
    runs = {dtype: load_run(paths[dtype]) for dtype in DTYPES}
    check = X[:20_000]
    reference = runs["float64"].predict_proba(check)
    tools: dict[str, Callable[[], object]] = {}
    for dtype in DTYPES:
        run, twin = runs[dtype], sklearn_twin(runs[dtype])
        ours = run.predict_proba(check)
        theirs = twin.predict_proba(check.astype(dtype))
        gap = float(np.abs(theirs - ours).max())
        print(f"scikit-learn {dtype} vs nnctl {dtype}: max |Δp| = {gap:.1e}")
        assert gap <= (1e-12 if dtype == "float64" else 1e-5), gap
        tools[f"nnctl {dtype}"] = lambda run=run: run.predict_proba(X)
        tools[f"scikit-learn {dtype}"] = lambda twin=twin, dtype=dtype: twin.predict_proba(X.astype(dtype, copy=False))
    for threads, label in ((None, "onnxruntime (float32 graph)"), (1, "onnxruntime, 1 thread")):
        session = onnx_session(paths["float64"], folder / "moons.onnx", threads)
        got = session.run(["probabilities"], {"X": check.astype(np.float32)})[0]
        gap = float(np.abs(got - reference).max())
        print(f"{label} vs nnctl float64: max |Δp| = {gap:.1e}")
        assert gap <= 1e-5, gap
        tools[label] = lambda s=session: s.run(["probabilities"], {"X": X.astype(np.float32)})
    return tools


def report(times: dict[str, list[float]], title: str, pairs: list[tuple[str, str, str]],
           cpu: dict[str, list[float]] | None = None) -> None:
    """The table of medians and bests (and with `cpu` the median CPU seconds, user + system, which a
    busy machine inflates less than wall time), then the ratios of `pairs` against their targets."""
    print(f"\n{title}")
    print(f"{'':38s} {'median s':>9s} {'best s':>8s} {'min..max s':>15s}" + ("   median CPU s" if cpu else ""))
    for name, seconds in times.items():
        print(f"{name:38s} {statistics.median(seconds):9.3f} {min(seconds):8.3f} "
              f"{min(seconds):7.3f}..{max(seconds):.3f}" + (f" {statistics.median(cpu[name]):15.3f}" if cpu else ""))
    print()
    for ours, theirs, target in pairs:
        if ours in times and theirs in times:
            median = statistics.median(times[ours]) / statistics.median(times[theirs])
            best = min(times[ours]) / min(times[theirs])
            print(f"{ours} / {theirs}: {median:.2f}× (medians), {best:.2f}× (bests)   target: {target}")


def peak_memory(paths: dict[str, Path], X: np.ndarray) -> None:
    """Peak memory of run.predict_proba(X) beyond X, as tracemalloc counts it (NumPy's arrays
    included), against MEMORY_BOUND × X's size."""
    print(f"\npeak memory of run.predict_proba on X ({X.shape[0]:,} × {X.shape[1]} float64, "
          f"{X.nbytes / 2**20:.1f} MiB), the result included")
    for dtype in DTYPES:
        run = load_run(paths[dtype])
        run.predict_proba(X[:1000])
        tracemalloc.start()
        run.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ratio = peak / X.nbytes
        print(f"nnctl {dtype}: {peak / 2**20:6.1f} MiB = {ratio:.2f}× X   "
              f"({'under' if ratio < MEMORY_BOUND else 'OVER'} the bound of {MEMORY_BOUND:g}×)")


def write_csv(path: Path, rows: int) -> None:
    """`rows` rows of the run's features x0, x1 (floats as repr writes them) under a header."""
    X = np.random.default_rng(1).normal(size=(rows, 2))
    path.write_text("x0,x1\n" + "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))


def cli_times(run_dir: Path, folder: Path, rows: int, runs: int) -> None:
    """The whole `nnctl predict` process on a CSV of `rows` rows, and what its steps cost here."""
    csv = folder / "input.csv"
    write_csv(csv, rows)
    out = folder / "predicted.csv"
    nnctl = nnctl_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "nnctl --help": [nnctl, "--help"],
        f"nnctl predict ({rows:,} rows)": [nnctl, "predict", str(run_dir), str(csv), "--out", str(out), "--overwrite"],
        f"nnctl predict --proba ({rows:,} rows)": [nnctl, "predict", str(run_dir), str(csv), "--proba", "--out",
                                                   str(out), "--overwrite"],
    }
    cpu: dict[str, list[float]] = {name: [] for name in commands}

    def run(name: str) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(commands[name], check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    times = timed({name: (lambda name=name: run(name)) for name in commands}, runs)
    report(times, f"whole process, {runs} runs interleaved, CSV {csv.stat().st_size / 2**20:.1f} MiB", [], cpu)
    trained = load_run(run_dir)
    table = read_input(str(csv), trained)
    plain, with_proba = predicted_columns(trained, table), predicted_columns(trained, table, proba=True)
    steps = {
        "read_input (read_text, read_table)": lambda: read_input(str(csv), trained),
        "predicted_columns": lambda: predicted_columns(trained, table),
        "predicted_columns --proba": lambda: predicted_columns(trained, table, proba=True),
        "predictions_csv": lambda: predictions_csv(table, plain),
        "predictions_csv --proba": lambda: predictions_csv(table, with_proba),
        "np.loadtxt (for scale)": lambda: np.loadtxt(csv, delimiter=",", skiprows=1),
    }
    report(timed(steps, runs), f"its steps in one process ({rows:,} rows)", [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=("proba", "cli"))
    args = parser.parse_args()

    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = train_runs(folder)
        if args.only != "cli":
            X = np.random.default_rng(0).normal(size=(args.rows, 2))
            tools = proba_tools(paths, folder, X)
            report(timed(tools, args.runs), f"predict_proba on {args.rows:,} rows, {args.runs} rounds interleaved", [
                ("nnctl float64", "scikit-learn float64", "≤ 1"),
                ("nnctl float32", "scikit-learn float32", "≤ 1"),
                ("nnctl float32", "onnxruntime (float32 graph)", "≤ 1.5"),
                ("nnctl float64", "onnxruntime (float32 graph)", "≤ 1.5"),
                ("nnctl float32", "onnxruntime, 1 thread", "(same threads)"),
            ])
            peak_memory(paths, X)
        if args.only != "proba":
            cli_times(paths["float64"], folder, args.csv_rows, args.runs)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
