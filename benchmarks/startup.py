"""Whole-process time of the commands a shell sweep runs hundreds of times.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Times `nnctl --help` and `nnctl train` of a tiny config (moons 1 000 samples, 2-16-16-2,
20 epochs, no plots) as separate processes, the way a shell loop starts them, and prints the
median and the range. Not part of the test run: timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The same run as a PyTorch user would script it: moons (scikit-learn's, as such a script would
# import it), 2-16-16-2 tanh, SGD lr 0.1, batches of 32, 20 epochs.
TORCH_SCRIPT = """
import torch
from sklearn.datasets import make_moons
X, y = make_moons(1000, noise=0.2, random_state=0)
X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Tanh(),
                          torch.nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(20):
    order = torch.randperm(len(X))
    for i in range(0, len(X), 32):
        idx = order[i:i + 32]
        opt.zero_grad()
        loss = loss_fn(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
"""

TINY = """\
data: {name: moons, n_samples: 1000}
model: {hidden: [16, 16], activation: tanh}
optimizer: {name: sgd, lr: 0.1}
train: {epochs: 20, batch_size: 32}
output: {plots: []}
"""


def timed(cmd: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    nnctl = shutil.which("nnctl", path=str(Path(sys.executable).parent)) or "nnctl"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "tiny.yaml"
        config.write_text(TINY)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "nnctl --help": [nnctl, "--help"],
            "nnctl train tiny (20 epochs, no plots)": [nnctl, "train", str(config), "-q", "--run-dir", f"{tmp}/run",
                                                        "--overwrite"],
        }
        try:
            import torch  # noqa: F401  (only to know whether the comparison can run)

            cases["same run as a PyTorch script"] = [sys.executable, "-c", TORCH_SCRIPT]
        except ImportError:
            print("(torch not installed: the PyTorch script is skipped)")
        print(f"{'command':42} {'median':>8} {'min':>8} {'max':>8}   ({args.runs} runs)")
        for name, cmd in cases.items():
            t = timed(cmd, args.runs)
            print(f"{name:42} {statistics.median(t):8.3f} {min(t):8.3f} {max(t):8.3f}")


if __name__ == "__main__":
    main()
