"""What `nnctl train --watch` costs training: workload W1 of peers.py with the watch page's
publisher and server, against the same run without them (issue 17; target: < 5 %).

    .venv/bin/python benchmarks/watch.py [--runs 30] [--epochs 5,50]

W1 (peers.WORKLOADS): moons from nnctl's generator (seed 0), 10 000 points, noise 0.2, all of
them trained on; 2-16-16-2 tanh, sgd lr 0.1, batches of 32; 5 epochs as in peers.py, and 50
(about ten times as long) to see the once-a-second publishing in its steady state.

Both variants are `training.fit` into a run directory (as `nnctl train` writes one), timed from
the call to its return, in this one process, which is where `nnctl train --watch` serves the
page from; rounds are interleaved (plain then watched, watched then plain, ...), medians and
best times reported:
- plain: fit(loop, run_dir), nothing published;
- watched: fit(loop, run_dir, on_epoch=Publisher(loop, run_dir)) while the process's
  WatchServer serves that run directory and a thread asks it for /api/state once a second, as
  the open page does (each answer is the whole live.json: the page draws it).
`prepare` (data, model) is done before each timing and is not timed. Last, one publication
alone (medians of 50): the part the training thread pays, and the whole of it (the publisher's
own thread does the rest, beside training; a run publishes at epoch 0, then at most once a
second).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]  # this tree's nnctl, and peers.py

from peers import WORKLOADS  # noqa: E402

from nnctl.runs import claim_run_dir  # noqa: E402
from nnctl.training import fit, prepare  # noqa: E402
from nnctl.watch.server import WatchServer  # noqa: E402
from nnctl.watch.state import Publisher  # noqa: E402


def w1_config(epochs: int) -> dict:
    w = WORKLOADS["W1"]
    return {"name": "w1", "seed": 0,
            "data": {"name": w.data, "n_samples": w.n_samples, "noise": w.noise, "validation_fraction": 0},
            "model": {"hidden": list(w.hidden), "activation": w.activation},
            "optimizer": {"name": w.optimizer, "lr": w.lr}, "train": {"epochs": epochs, "batch_size": w.batch},
            "output": {"plots": []}}


class Page(threading.Thread):
    """The open page: GET /api/state once a second (the answer read whole), until `stop`."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.halt, self.polls = port, threading.Event(), 0

    def run(self) -> None:
        while not self.halt.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            connection.request("GET", "/api/state")
            connection.getresponse().read()
            connection.close()
            self.polls += 1
            self.halt.wait(1.0)

    def stop(self) -> None:
        self.halt.set()
        self.join()


def timed_fit(config: dict, folder: Path, server: WatchServer | None) -> float:
    """Seconds of one fit into a fresh run directory; with `server`, watched (see the docstring)."""
    loop = prepare(config)
    shutil.rmtree(folder, ignore_errors=True)
    path = claim_run_dir(folder, overwrite=False)
    page = None
    if server is not None:
        server.follow(path)
        page = Page(server.server_address[1])
        page.start()
        publisher = Publisher(loop, path)
    start = time.perf_counter()
    fit(loop, path, on_epoch=publisher if server is not None else None)
    seconds = time.perf_counter() - start
    if page is not None:
        page.stop()
        publisher.finish({"status": "completed"})  # its thread ends
    return seconds


def publication_seconds(config: dict, folder: Path, times: int = 50) -> tuple[float, float]:
    """Median seconds of one publication: what the training thread pays (the hand-over: a copy
    of the weights and of the curve's row list), and the whole of it (the forward passes over
    the grid, the JSON and the atomic write, in the publisher's thread)."""
    loop = prepare(config)
    shutil.rmtree(folder, ignore_errors=True)
    publisher = Publisher(loop, claim_run_dir(folder, overwrite=False))
    publisher.curve.add({"epoch": 0, "train_loss": 1.0, "train_accuracy": 0.5, "lr": 0.1})
    handed, whole = [], []
    for _ in range(times):
        start = time.perf_counter()
        publisher.publish("training")
        handed.append(time.perf_counter() - start)
        publisher.wait()
        whole.append(time.perf_counter() - start)
    publisher.finish({"status": "completed"})
    return statistics.median(handed), statistics.median(whole)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--epochs", default="5,50", help="comma-separated epoch counts of W1")
    args = parser.parse_args()
    server = WatchServer()
    server.start()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'workload':<16}{'plain (s)':>12}{'watched (s)':>13}{'overhead':>10}   ({args.runs} interleaved rounds)")
    with tempfile.TemporaryDirectory() as scratch:
        for epochs in (int(e) for e in args.epochs.split(",")):
            config, folder = w1_config(epochs), Path(scratch) / f"run-{epochs}"
            timed_fit(config, folder, None)  # warm-up: imports, caches
            plain, watched = [], []
            for i in range(args.runs):  # ABBA: plain first in even rounds, watched first in odd ones
                for variant in ((None, server) if i % 2 == 0 else (server, None)):
                    (plain if variant is None else watched).append(timed_fit(config, folder, variant))
            for stat in (statistics.median, min):
                a, b = stat(plain), stat(watched)
                print(f"{'W1, ' + str(epochs) + ' epochs':<16}{a:>12.4f}{b:>13.4f}{(b - a) / a:>+10.1%}   "
                      f"({stat.__name__})")
    with tempfile.TemporaryDirectory() as scratch:
        handed, whole = publication_seconds(w1_config(5), Path(scratch) / "run")
    print(f"one publication (live.json of W1), medians of 50: {1000 * handed:.3f} ms in the training thread, "
          f"{1000 * whole:.2f} ms in all")
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
