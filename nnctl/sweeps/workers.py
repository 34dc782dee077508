"""Layer 5: running a sweep's points on worker processes or a Dask cluster, recording each
result as it arrives.

Locally, `jobs` forked worker processes (never more than points, `Workers`), each reused for
many runs and talking to the parent through its own pipe, so that one that dies fails its own
run alone (a search's trials run on them too, `sweeps.trials`); with a `scheduler` address, a
dask.distributed cluster whose workers write their run directories into the same sweep folder,
which must then be on a path every worker can reach.

What a point does (train a run, resume it, draw its pictures) is the caller's: `execute` takes
it as `run_point(config_path, overrides, run_dir, on_epoch=None) -> results.csv row` (on_epoch:
given each metrics row, for a search's pruning), a module-level function
(Dask's workers get it by name), which never raises. The workflow, above this layer, passes its
own; so the sweep machinery needs nothing of the commands it runs. Locally it may also pass
`run_group(calls) -> (index, row), …`, which trains several points at once (`nnctl.lockstep`),
each row as its run ends: points of one kin (`lockstep.kin`: the same config but each run's own
numbers, its seed, rate, penalties, …) then go to a worker together, a few at a time
(`next_task`).
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from typing import Any

from nnctl.errors import NnctlError
from nnctl.files import FolderLock
from nnctl.sweeps.folder import Sweep
from nnctl.sweeps.spec import Point
from nnctl.training import Pruned

RunPoint = Callable[..., dict[str, Any]]  # (config path, overrides, run dir, on_epoch=None) -> a row's values
RunGroup = Callable[[list[tuple]], Iterator[tuple[int, dict[str, Any]]]]  # [run_point's args, ...] -> (index, row)s
Call = tuple[Point, tuple]  # a point and run_point's arguments for it

LOCKSTEP_MOST = 8  # points a worker trains together at most (8 train a run in about half its time alone:
# benchmarks/README.md; more would gain more, in coarser tasks)
SHARES = 2  # a task takes at most 1/(SHARES × jobs) of the points left (`next_task`)
KIN_AHEAD = 256  # how far into the queue a task looks for points of its kin


def execute(sweep: Sweep, todo: list[Point], run_point: RunPoint, *, jobs: int, scheduler: str | None = None,
            on_done: Callable[[Point, dict[str, Any]], None] | None = None, run_group: RunGroup | None = None) -> None:
    """Run the points through `run_point`, `jobs` at a time (never more workers than points) in
    worker processes, or on a dask cluster, recording each result as it arrives; locally, with
    `run_group`, points of one kin a few at a time through it (`next_task`). Ctrl-C stops the sweep:
    finished rows stay, the runs it cut off say `interrupted`, the rest stay `pending`."""
    config = str(sweep.spec.config)
    calls = [(p, (config, [*sweep.spec.overrides, *p.overrides], str(sweep.run_dir(p))))
             for p in sweep.longest_first(todo)]
    if not calls:
        return
    results = (_on_dask(run_point, calls, scheduler) if scheduler
               else _in_pool(run_point, calls, min(jobs, len(calls)), run_group, sweep.kin))
    try:
        for point, result in results:
            sweep.finish(point, result)
            if on_done:
                on_done(point, result)
    except KeyboardInterrupt:
        results.close()  # stops the workers (the generator's finally), if recording a row was cut
        sweep.interrupted(todo)
        raise


def next_task(queue: deque[Call], kin: dict[str, str], jobs: int) -> list[Call]:
    """The next task of `jobs` workers, taken from the front of `queue` (longest first): its
    first call, and with it calls of the same kin (`kin`: point name -> its `lockstep.kin`; a
    point without one goes alone) up to a share of what is left, as guided self-scheduling sizes
    its chunks: 1/(SHARES × jobs) of the queue, at most LOCKSTEP_MOST, so tasks shrink to single
    runs as the queue empties and no worker is left with a long last one. A kin's calls are
    split evenly (6 calls and a share of 5: 3 now, 3 later). Looks KIN_AHEAD calls ahead."""
    first = queue.popleft()
    key = kin.get(first[0].name)
    share = min(LOCKSTEP_MOST, -(-(len(queue) + 1) // (SHARES * jobs)))
    if key is None or share == 1:
        return [first]
    same = [k for k in range(min(len(queue), KIN_AHEAD)) if kin.get(queue[k][0].name) == key]
    parts = -(-(len(same) + 1) // share)
    taken = same[: -(-(len(same) + 1) // parts) - 1]
    task = [first, *(queue[k] for k in taken)]
    for k in reversed(taken):
        del queue[k]
    return task


def _in_pool(run_point: RunPoint, calls: list[Call], jobs: int, run_group: RunGroup | None = None,
             kin: dict[str, str] | None = None) -> Iterator[tuple[Point, dict[str, Any]]]:
    """The points' rows as their runs end, `jobs` at a time on `Workers`; with `run_group`, a
    task may hold several points of one kin (`next_task`), whose rows come one by one. A worker
    that dies (killed, out of memory) fails its task's runs still to come, "the worker process
    died", and is replaced; the sweep goes on. (multiprocessing.Pool lost such a run's task and
    waited for it forever, the folder locked.) Workers ignore Ctrl-C: the parent stops them,
    and their half-done runs restart on resume."""
    workers, queue, running = Workers(run_point, jobs, run_group), deque(calls), {}
    try:
        while queue or running:
            while queue and workers.idle():
                task = next_task(queue, kin or {}, jobs) if run_group else [queue.popleft()]
                args = [a for _, a in task]
                running[workers.submit(args[0] if len(args) == 1 else args)] = dict(enumerate(p for p, _ in task))
            for conn, message in workers.wait(list(running)):
                points = running[conn]  # by their index in the task; a group's rows come as its runs end
                if conn in workers.dead:  # every run of the task still to come failed
                    done = [points.pop(k) for k in sorted(points)]
                else:
                    done = [points.pop(message[2] if len(message) > 2 else min(points))]
                if not points:
                    del running[conn]
                    workers.release(conn)
                for point in done:
                    yield point, message[1]
    finally:
        workers.close()


class Workers:
    """`jobs` forked worker processes, each talking to the parent through its own pipe: the
    parent sends a worker `run_point`'s arguments (and the metric it reports each epoch, or
    None), or a list of them for `run_group`; the worker sends ("epoch", epoch, value) and
    waits for the answer (stop: Pruned) when it reports, and ("done", row) at the end of a run
    (("done", row, index) for each of a group's, as it ends). A worker that dies is seen on its
    pipe."""

    def __init__(self, run_point: Callable, jobs: int, run_group: RunGroup | None = None):
        self.context = multiprocessing.get_context("fork")
        self.run_point, self.run_group, self.free, self.processes, self.dead = run_point, run_group, [], {}, set()
        for _ in range(max(jobs, 1)):
            self.start()

    def start(self) -> None:
        """A new worker, free."""
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(self.run_point, self.run_group, child, os.getpid()),
                                       daemon=True)
        process.start()
        child.close()
        self.free.append(parent)
        self.processes[parent] = process

    def idle(self) -> bool:
        return bool(self.free)

    def submit(self, args: tuple | list[tuple], metric: str | None = None):
        """`run_point(*args)` on a free worker (which reports `metric` each epoch, if given), or
        `run_group(args)` for a list of them; returns the worker's end of the pipe, which `wait`
        reads."""
        conn = self.free.pop(0)
        conn.send((args, metric))
        return conn

    def wait(self, busy: list) -> list[tuple[Any, tuple]]:
        """(conn, message) of each worker in `busy` that has sent one, after waiting for the first."""
        messages = []
        for conn in wait(busy):
            try:
                messages.append((conn, conn.recv()))
            except (EOFError, OSError):  # the worker died (killed, out of memory): its run failed
                self.dead.add(conn)
                messages.append((conn, ("done", {"status": "failed", "error": "the worker process died"})))
        return messages

    def answer(self, conn, prune: bool) -> None:
        try:
            conn.send(prune)
        except OSError:  # the worker died meanwhile: the next wait reads its end
            pass

    def release(self, conn) -> None:
        """The worker on `conn` is free again; one that died (killed, out of memory) is replaced."""
        process = self.processes[conn]
        if conn not in self.dead and process.is_alive():
            self.free.append(conn)
            return
        self.dead.discard(conn)
        process.kill()  # it may not have quite ended when its pipe did
        process.join()
        conn.close()
        del self.processes[conn]
        self.start()

    def close(self) -> None:
        for process in self.processes.values():
            if process.is_alive():
                process.terminate()
        for process in self.processes.values():
            process.join()
        self.processes = {}


def _serve(run_point: Callable, run_group: RunGroup | None, conn, parent: int) -> None:
    """A worker: runs what the parent sends until it sends None (or goes away)."""
    start_worker(parent)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            break
        if task is None:
            break
        args, metric = task
        if isinstance(args, list):  # a group (`next_task`): a row a run, as each is done, with its index
            for k, row in run_group(args):
                conn.send(("done", row, k))
            continue
        on_epoch = functools.partial(_ask_parent, conn, metric) if metric else None
        conn.send(("done", run_point(*args, on_epoch=on_epoch)))
    sys.exit(0)


def _ask_parent(conn, metric: str, row: dict[str, Any]) -> None:
    """After a trained epoch: its metric to the parent, and stop if the parent says so."""
    if row["epoch"] == 0:
        return
    conn.send(("epoch", row["epoch"], row.get(metric)))
    if conn.recv():
        raise Pruned


def start_worker(parent: int) -> None:
    """A forked process (a worker, a drawing process) leaves Ctrl-C to the parent, dies of the
    SIGTERM the parent stops it with (or that Linux sends when the parent dies, even of a
    SIGKILL: no orphan goes on writing runs once the folder is unlocked), and closes its copies
    of the parent's folder locks, which would otherwise keep the folder locked while it lives on
    (after the parent died, or after it let go and returned: `nnctl plot` of the sweep just made
    found it locked)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    FolderLock.close_inherited()
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before that: nobody would send it
            os._exit(1)


def forking() -> bool:
    """Whether work is spread over forked processes (`forked_imap`): on Linux (fork), with more
    than one core."""
    return (os.cpu_count() or 1) > 1 and sys.platform == "linux"


_FORKED: list[Callable[[int], Any]] = []  # in a forked_imap process: the f it computes


def forked_imap(f: Callable[[int], Any], n: int) -> Iterator[Any]:
    """f(0), f(1), …, f(n - 1) in order, computed by forked processes, one a core (no more than
    n), which start at once: the caller may do other work before it reads the first. Each is
    given as soon as it and those before it are done. f may be any callable of this process (a
    closure over what it has read): each process gets it as it is forked, without pickling;
    only the results travel. A process that dies (killed, out of memory)
    leaves what was not done to this process. The processes end with the last result, or when
    the caller closes the iterator (on an error, Ctrl-C). Fewer than two, or no `forking`: in
    this process, as they are read."""
    if n < 2 or not forking():
        return iter(map(f, range(n)))
    return _Forked(f, n)


class _Forked:
    """`forked_imap`'s processes (a ProcessPoolExecutor: a dead process breaks it, where
    multiprocessing.Pool waited for its result forever) and their results in order."""

    def __init__(self, f: Callable[[int], Any], n: int):
        from concurrent.futures import ProcessPoolExecutor  # here: only a sweep's end draws this way

        self.f, self.n, self.next = f, n, 0
        # a forked process's initializer and its arguments are its own from the fork, not pickled
        self.pool = ProcessPoolExecutor(min(os.cpu_count() or 1, n), mp_context=multiprocessing.get_context("fork"),
                                        initializer=_start_forked, initargs=(f, os.getpid()))
        self.futures = deque(self.pool.submit(_call_forked, i) for i in range(n))

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        if self.next >= self.n:
            self.close()
            raise StopIteration
        i, self.next = self.next, self.next + 1
        if not self.futures:  # the pool broke: the rest here
            return self.f(i)
        try:
            return self.futures.popleft().result()  # each let go once read: 300 panels are 36 MB
        except BrokenProcessPool:
            self.close()
            return self.f(i)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End the processes: those running finish their item, the others start none."""
        self.futures.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _start_forked(f: Callable[[int], Any], parent: int) -> None:
    """A forked_imap process: started as the training workers are (`start_worker`), holding f."""
    start_worker(parent)
    _FORKED[:] = [f]


def _call_forked(i: int) -> Any:
    return _FORKED[0](i)


def _on_dask(run_point: RunPoint, calls, scheduler: str) -> Iterator[tuple[Point, dict[str, Any]]]:
    try:  # dask is optional (nnctl[dask]) and takes a second to import: only for --scheduler
        from dask.distributed import Client, as_completed
    except ImportError:
        raise NnctlError("--scheduler needs dask: pip install 'nnctl[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise NnctlError(f"--scheduler {scheduler}: cannot reach the scheduler ({e})") from None
    try:
        futures = {client.submit(run_point, *args, pure=False, key=f"nnctl-{point.name}"): point
                   for point, args in calls}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.close()
