"""Layer 5: a search's trials run on worker processes or a Dask cluster, while the parent alone
holds the study (`sweeps.search.Search`).

Locally, `jobs` worker processes, each with its own pipe to the parent: the parent sends a
worker a run (`run_point`'s arguments); the worker trains it and, after each epoch, sends the
epoch's metric and waits for the answer (go on, or stop: `training.Pruned`); at the end it sends
the run's results.csv row. The parent waits on every pipe at once and hands out a new run, asked
of the study, as soon as a worker is free: with one worker, the order of asks, reports and tells
is fixed, and so is the search.

On Dask, runs go to the cluster as a grid sweep's do, `jobs` at a time; a run that reports
sends each epoch's metric through a distributed Queue and waits on its own for the answer
(a scheduler round trip or three an epoch, a few ms).

`run_point(config_path, overrides, run_dir, on_epoch=None) -> row` is the workflow's, as for
`sweeps.workers.execute`; `on_epoch(row)` gets each metrics row and may raise `Pruned`.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnctl.errors import NnctlError
from nnctl.sweeps.search import Search, Task
from nnctl.sweeps.workers import Workers
from nnctl.training import Pruned

REPLY_TIMEOUT = 600  # seconds a run on Dask waits for the parent's answer (a parent gone: the run fails)


def run_search(search: Search, run_point: Callable, *, jobs: int, scheduler: str | None = None,
               on_done: Callable | None = None) -> None:
    """Ask, run and tell trials until the study holds `search.trials` (or the time is up), `jobs`
    runs at a time. Ctrl-C stops the workers: finished rows stay, the runs cut off say
    `interrupted` and their trials stay running in the study, to go on when the command is run
    again."""
    workers = _Dask(run_point, scheduler, jobs) if scheduler else _Pool(run_point, jobs)
    queue: deque[Task] = deque(search.resume())
    running: dict[Any, Task] = {}  # the worker (or future) running each task
    try:
        while True:
            while workers.idle() and (queue or search.can_ask()):
                task = queue.popleft() if queue else search.ask()
                if task is not None:
                    running[workers.submit(search, task)] = task
            if not running:
                break
            for worker, message in workers.wait(list(running)):
                if message[0] == "epoch":
                    workers.answer(worker, search.report(running[worker].number, *message[1:]))
                    continue
                task = running.pop(worker)
                workers.release(worker)
                follow = search.done(task, message[1])
                if on_done is not None:
                    on_done(task.point, message[1])
                if follow is not None:
                    queue.appendleft(follow)
    except KeyboardInterrupt:
        workers.close()
        search.sweep.interrupted([task.point for task in running.values()])
        raise
    finally:
        workers.close()


class _Pool(Workers):
    """The local workers (`workers.Workers`), given a search's tasks."""

    def submit(self, search: Search, task: Task):  # type: ignore[override]
        spec = search.sweep.spec
        metric = search.metric if task.reports and spec.pruning else None
        return super().submit(
            (str(spec.config), [*spec.overrides, *task.point.overrides], str(search.sweep.run_dir(task.point))), metric)


class _Dask:
    """A dask.distributed cluster running `jobs` runs at a time. A run that reports its epochs
    puts each on the cluster's queue `nnctl-epochs-ID` and waits on its own queue for the answer
    (`_DaskReport`): the parent alone still holds the study."""

    def __init__(self, run_point: Callable, scheduler: str, jobs: int):
        try:  # dask is optional (nnctl[dask]) and takes a second to import: only for --scheduler
            from dask.distributed import Client, Queue
        except ImportError:
            raise NnctlError("--scheduler needs dask: pip install 'nnctl[dask]'") from None
        try:
            self.client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise NnctlError(f"--scheduler {scheduler}: cannot reach the scheduler ({e})") from None
        self.run_point, self.jobs, self.busy = run_point, max(jobs, 1), 0
        self.prefix = f"nnctl-{uuid.uuid4().hex[:12]}"
        self.inbox = Queue(f"{self.prefix}-epochs", client=self.client)
        self.futures: dict[str, Any] = {}  # each run's future by its point's name

    def idle(self) -> bool:
        return self.busy < self.jobs

    def submit(self, search: Search, task: Task):
        spec = search.sweep.spec
        self.busy += 1
        metric = search.metric if task.reports and spec.pruning else None
        report = _DaskReport(self.prefix, task.point.name, metric) if metric else None
        future = self.client.submit(self.run_point, str(spec.config), [*spec.overrides, *task.point.overrides],
                                    str(search.sweep.run_dir(task.point)), on_epoch=report, pure=False,
                                    key=f"{self.prefix}-{task.point.name}")
        self.futures[task.point.name] = future
        return future

    def wait(self, busy: list) -> list[tuple[Any, tuple]]:
        from dask.distributed import wait as dask_wait  # imported in __init__ already

        while True:
            if self.inbox.qsize():
                return [(self.futures[name], ("epoch", epoch, value))
                        for name, epoch, value in self.inbox.get(batch=True)]
            try:
                done = dask_wait(busy, timeout=0.01, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                continue
            if done:
                return [(future, ("done", future.result())) for future in done]

    def answer(self, future, prune: bool) -> None:
        from dask.distributed import Queue  # imported in __init__ already

        name = next(n for n, f in self.futures.items() if f is future)
        Queue(f"{self.prefix}-{name}", client=self.client).put(prune)

    def release(self, future) -> None:
        self.busy -= 1
        self.futures = {n: f for n, f in self.futures.items() if f is not future}

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


@dataclass(frozen=True)
class _DaskReport:
    """A run's on_epoch on a Dask worker: its metric to the parent's queue, then the parent's
    answer from the run's own queue (stop: Pruned)."""

    prefix: str
    name: str
    metric: str

    def __call__(self, row: dict[str, Any]) -> None:
        if row["epoch"] == 0:
            return
        from dask.distributed import Queue  # on a Dask worker: dask is there

        Queue(f"{self.prefix}-epochs").put((self.name, row["epoch"], row.get(self.metric)))
        if Queue(f"{self.prefix}-{self.name}").get(timeout=REPLY_TIMEOUT):
            raise Pruned
