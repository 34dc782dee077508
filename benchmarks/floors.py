"""The floors under the two targets of issue 5 that nnctl does not reach on this machine: W4
level with PyTorch, and W5 at 6× PyTorch and 2.5× scikit-learn (float32, 2 threads).

    .venv/bin/python benchmarks/floors.py             # both, 5 rounds
    .venv/bin/python benchmarks/floors.py --only W5 --rounds 3

W4: every operation of one training batch of 256 rows, timed alone at its best (the fastest of
30 single calls, warm), as nnctl calls it in NumPy and as PyTorch calls it; then PyTorch's whole
batch as `peers.py` times its training loop (an epoch over 256-row batches). If NumPy's best
times add up to more than PyTorch's whole batch, no arrangement of NumPy calls is level with it.

W5: µs per step (every epoch is one full-batch step) of nnctl's `train()` as `peers.py` times
it; of a loop written inline with only the per-epoch metrics nnctl records (the loss, the
accuracy by one comparison of the two columns, which is 0.7 µs cheaper than nnctl's argmax,
‖W_l‖ and ‖dW_l‖ by one BLAS dot each, the rows of metrics.csv and layers.csv as dicts) and
none of train()'s structure; and of the bare core
(`loss_and_grads` and the SGD step). Interleaved in one process, medians over the rounds; against
PyTorch's and scikit-learn's step from `peers.py`'s own workers. Each measurement is a fresh
subprocess (`peers.spawn`), with OMP/OPENBLAS/MKL_NUM_THREADS set to the thread count.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import peers

HERE = Path(__file__).resolve()
DTYPE = "float32"
CALLS = 30  # single calls per operation; the fastest is its floor


def fastest(call: Callable[[], object], calls: int = CALLS) -> float:
    """The fastest of `calls` timed single calls (after three untimed ones), in seconds."""
    for _ in range(3):
        call()
    best = math.inf
    for _ in range(calls):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def prepared_loop(w: peers.Workload, folder: Path, epochs: int):
    from nnctl import load_config
    from nnctl.training import prepare

    return prepare(load_config(peers.nnctl_config(w, folder, DTYPE, epochs)))


# ---------------------------------------------------------------- W4: one batch, operation by operation


def w4_numpy(folder: Path) -> dict:
    """nnctl's own calls for one W4 batch, each at its best: {operation: seconds}."""
    from nnctl.nn.layers import ActivationLayer

    w = peers.WORKLOADS["W4"]
    loop = prepared_loop(w, folder, 1)
    model, n = loop.model, w.batch
    X1, T = loop.X1_train[:n], loop.T_train[:n]
    out = model.network.forward(X1, ones=True)  # every layer's buffers now hold a real batch
    dense = model.network.dense
    hidden = [layer for layer in model.network.layers if isinstance(layer, ActivationLayer)]
    rng = np.random.default_rng(0)
    ops: dict[str, Callable[[], object]] = {}
    for i, layer in enumerate(dense):
        Z = np.empty((n, layer.fan_out), X1.dtype)
        dZ = (1e-3 * rng.standard_normal(Z.shape)).astype(X1.dtype)
        dX = np.empty((n, layer.fan_in), X1.dtype)
        ops[f"product: layer {i} forward"] = lambda X=layer.X1, L=layer, Z=Z: np.matmul(X, L.Wb, out=Z)
        ops[f"product: layer {i} dW, db"] = lambda X=layer.X1, L=layer, dZ=dZ: np.matmul(X.T, dZ, out=L.dWb)
        if i:  # the first layer's dX is never computed in training
            ops[f"product: layer {i} dX"] = lambda L=layer, dZ=dZ, dX=dX: np.matmul(dZ, L.W.T, out=dX)
            ops[f"copy into layer {i}'s [X, 1]"] = lambda X=layer.X1, A=hidden[i - 1].A: np.copyto(X[:, :-1], A)
    for i, act in enumerate(hidden):
        dA = (1e-3 * rng.standard_normal(act.Z.shape)).astype(X1.dtype)
        ops[f"relu {i} forward"] = lambda a=act: a.f.fn(a.Z)
        ops[f"relu {i} backward"] = lambda a=act, dA=dA: a.f.backward(a.Z, a.A, dA, out=dA)
    ops["loss and its gradient"] = lambda: model.loss.value_and_grad(out, T)
    ops["SGD step over θ"] = lambda: loop.state.optimizer.step(loop.state.theta, loop.grad, w.lr)
    ops["gradient norms (a metric)"] = loop.state.norms.record_gradient
    return {name: fastest(call) for name, call in ops.items()}


def w4_torch(folder: Path, threads: int) -> dict:
    """PyTorch's calls for one W4 batch, each at its best, and its whole batch in training."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    w = peers.WORKLOADS["W4"]
    X, _, Ws, bs = peers.load_npz(folder, DTYPE)
    n = w.batch
    weights = [torch.from_numpy(np.ascontiguousarray(W.T)) for W in Ws]  # nn.Linear's (out, in)
    biases = [torch.from_numpy(b) for b in bs]
    params = [p.clone() for p in weights + biases]
    for p in params:
        p.grad = 1e-3 * torch.randn_like(p)
    step = torch.optim.SGD(params, lr=w.lr).step
    ops: dict[str, Callable[[], object]] = {}
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        h = torch.from_numpy(X[:n])
        for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
            z = F.linear(h, W, b)
            dz = 1e-3 * torch.randn(z.shape, generator=g)
            ops[f"product: layer {i} forward"] = lambda h=h, W=W, b=b: F.linear(h, W, b)
            ops[f"product: layer {i} dW, db"] = lambda h=h, dz=dz: (dz.t().mm(h), dz.sum(0))
            if i:
                ops[f"product: layer {i} dX"] = lambda W=W, dz=dz: dz.mm(W)
            if i < len(weights) - 1:
                ops[f"relu {i} forward"] = lambda z=z: torch.relu(z)
                ops[f"relu {i} backward"] = lambda z=z, dz=dz: torch.ops.aten.threshold_backward(dz, z, 0)
                h = torch.relu(z)
        ops["SGD step over θ"] = step
        floors = {name: fastest(call) for name, call in ops.items()}
    epochs = 2
    whole = peers.work_torch(w, folder, DTYPE, epochs, 1, threads)["seconds"] / epochs / (X.shape[0] / n)
    return {**floors, "whole batch": whole}


# ---------------------------------------------------------------- W5: train() against its own floors


def w5_nnctl(folder: Path, rounds: int) -> dict:
    """µs per step of train(), of an inline loop with nnctl's per-epoch metrics, of the bare core."""
    from nnctl.training import fit

    w = peers.WORKLOADS["W5"]
    steps = w.epochs

    def train() -> float:
        loop, stamps = prepared_loop(w, folder, steps), []
        fit(loop, on_epoch=lambda row: stamps.append(time.perf_counter()))
        return (stamps[-1] - stamps[0]) / steps

    def inline_metrics() -> float:
        loop = prepared_loop(w, folder, steps)
        X1, T, labels, n = loop.X1_train, loop.T_train, loop.train_labels, loop.X1_train.shape[0]
        loss_and_grads, grad, state = loop.model.loss_and_grads, loop.grad, loop.state
        step, theta = state.optimizer.step, state.theta
        weights, gradients, lr = state.norms.weights, state.norms.gradients, w.lr  # W5: a constant lr
        names = [f"W{i}" for i in range(len(weights))]
        history, layers, last_good = [], [], np.empty_like(theta)
        started = time.perf_counter()
        for epoch in range(1, steps + 1):
            begun = time.perf_counter()
            np.copyto(last_good, theta)  # what a divergence would go back to
            value, out = loss_and_grads(X1, T, ones=True)
            squares = [float(np.dot(g, g)) for g in gradients]
            if not math.isfinite(value + sum(squares)):
                raise RuntimeError("W5 diverged")
            correct = int(np.count_nonzero(np.greater(out[:, 1], out[:, 0]) == labels))
            step(theta, grad, lr)
            history.append({"epoch": epoch, "train_loss": value, "train_accuracy": correct / n, "lr": lr,
                             "seconds": time.perf_counter() - begun})
            row = {"epoch": epoch}
            for name, W, square in zip(names, weights, squares, strict=True):
                row[name], row["d" + name] = math.sqrt(np.dot(W, W)), math.sqrt(square)
            layers.append(row)
        return (time.perf_counter() - started) / steps

    def bare() -> float:
        loop = prepared_loop(w, folder, steps)
        X1, T, loss_and_grads = loop.X1_train, loop.T_train, loop.model.loss_and_grads
        step, theta, grad = loop.state.optimizer.step, loop.state.theta, loop.grad
        started = time.perf_counter()
        for _ in range(steps):
            loss_and_grads(X1, T, ones=True)
            step(theta, grad, w.lr)
        return (time.perf_counter() - started) / steps

    kinds = {"train()": train, "inline loop, nnctl's metrics": inline_metrics, "bare core": bare}
    for measure in kinds.values():
        measure()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(rounds):  # interleaved
        for name, measure in kinds.items():
            times[name].append(measure())
    return {name: statistics.median(values) for name, values in times.items()}


# ---------------------------------------------------------------- the parent


SPAWN_KEYS = ("foreign", "attempts")  # what peers.spawn adds to a worker's numbers


def report_w4(numpy_runs: list[dict], torch_runs: list[dict]) -> None:
    def median(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"\nW4 {DTYPE}, one batch of 256 rows: each operation's fastest of {CALLS} calls, ms "
          f"(medians over {len(numpy_runs)} rounds of fresh processes)")
    print(f"{'operation':<34} {'NumPy (nnctl)':>13} {'PyTorch':>9}")
    total = 0.0
    for name in (k for k in numpy_runs[0] if k not in SPAWN_KEYS):
        mine = median(numpy_runs, name)
        theirs = f"{1e3 * median(torch_runs, name):9.3f}" if name in torch_runs[0] else f"{'':9}"
        counted = "metric" not in name
        total += mine if counted else 0.0
        print(f"{name:<34} {1e3 * mine:13.3f} {theirs}")
    whole = median(torch_runs, "whole batch")
    print(f"{'NumPy: the sum of its floors':<34} {1e3 * total:13.3f}   (the gradient norms, a metric, left out)")
    print(f"{'PyTorch: its whole training batch':<34} {'':13} {1e3 * whole:9.3f}   (peers.py's loop, per 256 rows "
          "of its epochs)")
    verdict = "above" if total > whole else "below"
    print(f"NumPy's floors are {total / whole:.2f}× PyTorch's whole batch: {verdict} it")


def report_w5(nnctl_runs: list[dict], torch_runs: list[dict], sklearn_runs: list[dict], steps: int) -> None:
    mine = {name: statistics.median(r[name] for r in nnctl_runs) for name in nnctl_runs[0] if name not in SPAWN_KEYS}
    torch_step = statistics.median(r["seconds"] for r in torch_runs) / steps
    sklearn_step = statistics.median(r["seconds"] for r in sklearn_runs) / steps
    allowed = min(torch_step / 6, sklearn_step / 2.5)
    print(f"\nW5 {DTYPE}, µs per step (medians over {len(nnctl_runs)} processes of as many rounds)")
    print(f"PyTorch {1e6 * torch_step:.1f}, scikit-learn {1e6 * sklearn_step:.1f}: 6× and 2.5× faster allow "
          f"{1e6 * torch_step / 6:.1f} and {1e6 * sklearn_step / 2.5:.1f} µs")
    for name, seconds in mine.items():
        print(f"  nnctl {name:<30} {1e6 * seconds:6.1f} µs  {torch_step / seconds:5.2f}× torch, "
              f"{sklearn_step / seconds:5.2f}× sklearn  {'within' if seconds <= allowed else 'over'} the target")


def main() -> None:
    parser = argparse.ArgumentParser(description="What issue 5's W4 and W5 targets would take: NumPy's and "
                                     "torch's floors, and train() against its own metrics written inline.")
    parser.add_argument("--only", choices=("W4", "W5"), help="one of the two (default both)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="fresh processes per measurement, and W5's rounds inside each (default 5)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("rounds", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.worker:
        folder = Path(args.folder)
        out = {"w4-numpy": lambda: w4_numpy(folder), "w4-torch": lambda: w4_torch(folder, args.threads),
               "w5-nnctl": lambda: w5_nnctl(folder, args.rounds)}[args.worker]()
        print(json.dumps(out))
        return

    spawn = lambda *worker_args, script=HERE: peers.spawn(args.threads, *worker_args, script=script)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "W4"):
            folder = Path(tmp) / "W4"
            peers.prepare_workload(peers.WORKLOADS["W4"], folder)
            numpy_runs, torch_runs = [], []
            for _ in range(args.rounds):
                numpy_runs.append(spawn("w4-numpy", "--folder", str(folder)))
                torch_runs.append(spawn("w4-torch", "--folder", str(folder)))
            report_w4(numpy_runs, torch_runs)
        if args.only in (None, "W5"):
            w = peers.WORKLOADS["W5"]
            folder = Path(tmp) / "W5"
            peers.prepare_workload(w, folder)
            runs: dict[str, list[dict]] = {"nnctl": [], "torch": [], "sklearn": []}
            common = ("--workload", "W5", "--folder", str(folder), "--dtype", DTYPE, "--epochs", str(w.epochs))
            for _ in range(args.rounds):
                runs["nnctl"].append(spawn("w5-nnctl", "--folder", str(folder), "--rounds", str(args.rounds)))
                for tool in ("torch", "sklearn"):
                    runs[tool].append(spawn(tool, *common, script=peers.HERE))
            report_w5(runs["nnctl"], runs["torch"], runs["sklearn"], w.epochs)


if __name__ == "__main__":
    main()
