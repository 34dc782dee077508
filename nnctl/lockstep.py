"""Layer 4: runs of one shape trained together, in lockstep (`fit_together`), as a sweep's worker
trains a group of its points.

A small network's training step is NumPy's overhead per call, not arithmetic: a step of a
2-8-2 tanh net on 32 rows is some 36 calls of 0.5-1 µs on arrays of a few hundred numbers. K
runs that differ only in their numbers (seed, learning rate, penalties, …) are stacked on a
leading axis (`Sequential.stacked`: θ (K, P), a batch (K, n, features)), so each call of the
forward and backward passes and of the optimizer's step serves all K, each run at its own
learning rate. All the rest stays each run's own `Loop`'s, bound to its row of the stack: its
shuffle, loss and accuracy, gradient norms, validation metrics, early stopping, divergence,
its run directory. A run that ends (early stopping, divergence, a file that cannot be written)
leaves the stack with its weights; the others go on.

Every run reaches the bits it reaches alone (`nnctl train` of its config): element-wise
operations do not see their neighbours, a stacked matmul is one BLAS call per run's matrix, and
each run's loss is reduced from its own rows (tests/test_lockstep.py holds this for every loss,
optimizer and penalty). Its files are the same but for the seconds, which are its share of
the group's work (each stretch's time divided among the runs training in it). What cannot be
stacked (`stackable`, `partition`) trains alone: L-BFGS, dropout, float32, a resumed run, runs
whose shapes, loss, optimizer's hyper-parameters, batches or epochs differ, and training sets
too large for K copies (`fits`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from nnctl.assemble import make_optimizer
from nnctl.config import Config
from nnctl.errors import NnctlError
from nnctl.nn.layers import Dense
from nnctl.nn.memory import aligned_copy
from nnctl.nn.network import Sequential
from nnctl.runs import RunWriter
from nnctl.training import Loop, Norms, TrainResult, run_failed, summarize

Array = np.ndarray


# what runs of one kin may differ in: each run's own numbers, which a stack keeps per run (its
# seed, its rate, its penalties and schedule, when it stops, what it writes), as dotted keys
KIN_FREE = ("name", "seed", "optimizer.lr", "optimizer.schedule", "loss.l2", "loss.l1", "loss.l1_clip",
            "train.early_stopping", "train.divergence_factor", "train.checkpoint_every", "output")


def kin(config: Config) -> str:
    """What runs must share to be trained together, as far as their configs tell (a key: equal
    for runs that may be `stackable`): the whole config but KIN_FREE. A sweep groups its points
    by it; whether they stack is known once they are prepared."""
    raw = config.to_dict()
    for key in KIN_FREE:
        *path, last = key.split(".")
        section = raw
        for part in path:
            section = section[part]
        section.pop(last, None)
    return json.dumps(raw, sort_keys=True, default=str)


STACK_BYTES = 64 * 2**20  # the most the runs' shuffled training sets may take, stacked, an epoch


def fits(loop: Loop, k: int) -> bool:
    """Whether k shuffled copies of `loop`'s training set (inputs, targets, labels) take
    STACK_BYTES at most: what a stack of k such runs holds an epoch. A large data set's step
    is arithmetic, not overhead: nothing to gain from stacking, and k copies to hold."""
    labels = 0 if loop.train_labels is None else loop.train_labels.nbytes
    return k * (loop.X1_train.nbytes + loop.T_train.nbytes + labels) <= STACK_BYTES


def stackable(loops: Sequence[Loop]) -> bool:
    """Whether prepared loops can be trained together, all of them: two or more that `partition`
    puts in one stack (none `alone_only`, alike in all a stacked step shares, `_signature`: the
    layers' shapes and activations, the loss, the update rule and its hyper-parameters but the
    rate, the batch size, shuffling, the epochs, the training set's shape; and they `fit`)."""
    return len(loops) >= 2 and partition(loops) == [list(range(len(loops)))]


def alone_only(loop: Loop) -> bool:
    """A loop no stack takes: L-BFGS, dropout, a resumed (or trained) one, float32 (whose steps
    round a rate given as a Python float, which a stacked step's column of rates cannot)."""
    return bool(loop.solver or loop.model.dropout or loop.state.history or loop.state.batch
                or loop.model.network.theta.dtype != np.float64)


def partition(loops: Sequence[Loop]) -> list[list[int]]:
    """The loops' indices in stacks (alike by `_signature`, as many as `fits` allows, none
    `alone_only`) and, for the rest, one by one: the one rule of what trains together, so that a
    group of a sweep's points mostly alike trains what it can together."""
    kinds: dict[tuple, list[int]] = {}
    alone = []
    for k, loop in enumerate(loops):
        if alone_only(loop):
            alone.append([k])
        else:
            kinds.setdefault(_signature(loop), []).append(k)
    stacks = []
    for members in kinds.values():
        most = next((k for k in range(len(members), 1, -1) if fits(loops[members[0]], k)), 1)
        stacks += [members[i : i + most] for i in range(0, len(members), most)]
    return stacks + alone


def _signature(loop: Loop) -> tuple:
    network, optimizer, train = loop.model.network, loop.state.optimizer, loop.config.train
    layers = tuple(layer.Wb.shape if isinstance(layer, Dense) else (layer.name, id(layer.f))
                   for layer in network.layers)
    hyper = tuple(sorted((k, repr(v)) for k, v in vars(optimizer).items() if not k.startswith("_") and k != "t"))
    return (layers, network.theta.dtype.str, id(loop.model.loss), type(optimizer), hyper, loop.batch_size,
            train.shuffle, train.epochs, loop.X1_train.shape, loop.T_train.shape, loop.train_labels is None)


class _Clock:
    """Each run's seconds: its share of the group's time, a stretch of work divided among the
    runs training in it, and nothing of the time `fit_together` waits at a yield (while the
    caller draws a run that ended)."""

    def __init__(self, runs: Sequence[int]):
        self.spent = dict.fromkeys(runs, 0.0)
        self.started, self.among = 0.0, ()

    def start(self, among: Sequence[int]) -> None:
        self.started, self.among = time.perf_counter(), tuple(among)

    def stop(self) -> None:
        for i in self.among:
            self.spent[i] = self(i)
        self.among = ()

    def __call__(self, i: int) -> float:
        running = (time.perf_counter() - self.started) / len(self.among) if i in self.among else 0.0
        return self.spent[i] + running


def fit_together(loops: Sequence[Loop], paths: Sequence[Path]) -> Iterator[tuple[int, TrainResult | NnctlError]]:
    """Train `stackable` loops together, writing each run directory (a new or empty folder) as
    `training.fit` does. Yields (index, outcome) as runs end (those ending in one epoch after
    it, in no set order), so that each can be drawn at once, as after a run alone: its
    TrainResult, or the NnctlError that ended it (a file that could not be written: before
    training, the folder is left as it was; after, the run is marked `failed`, as
    `training.run_failed` says; or a bug, which marks every run still training failed). The
    others train on when asked for the next. A run's seconds are its share of the work (`_Clock`)."""
    clock, results = _Clock(range(len(loops))), {}
    writers: dict[int, RunWriter] = {}
    stack: _Stack | None = None

    def end(i: int) -> None:
        """Run i's training is over: out of the stack, its summary and last files written."""
        loop, writer = loops[i], writers[i]
        stack.leave(i)
        try:
            summary = summarize(loop, loop.status, clock(i))
            writer.finish(loop, summary)
            results[i] = TrainResult(loop.model, loop.state.history, summary, loop.dataset, loop.config,
                                     Path(paths[i]))
        except NnctlError as e:
            results[i] = run_failed(loop, writer, e, clock(i))

    def emit(i: int, row: dict) -> None:
        try:
            writers[i].epoch(row, loops[i])
        except NnctlError as e:
            stack.leave(i)
            results[i] = run_failed(loops[i], writers[i], e, clock(i))

    def ended() -> Iterator[tuple[int, TrainResult | NnctlError]]:
        clock.stop()
        while results:
            yield results.popitem()

    def work(step: Callable[[], None]) -> None:
        """A stretch of training between two yields, its time the runs' in the stack; a bug
        marks them failed, as far as their folders can be written."""
        clock.start(list(stack.members) if stack is not None else range(len(loops)))
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # as training.fit: a diverging run says so
                step()
        except Exception as e:  # noqa: BLE001  a bug: the runs still training end failed, and say why
            error = NnctlError(f"{type(e).__name__}: {e}")
            for i in list(stack.members if stack is not None else ()):
                stack.members.pop(i)
                results[i] = error  # its row says the bug, not run_failed's advice for a file
                try:  # its summary says so too, as a run whose file failed says it
                    run_failed(loops[i], writers[i], error, clock(i))
                except Exception:  # noqa: BLE001  not even that: the row still says it
                    pass
            if stack is None:
                raise

    def begin() -> None:
        nonlocal stack
        for i, (loop, path) in enumerate(zip(loops, paths, strict=True)):
            try:
                writers[i] = RunWriter(Path(path), loop.config, loop.dataset, clock=lambda i=i: clock(i))
            except NnctlError as e:
                results[i] = e
        stack = _Stack({i: loops[i] for i in writers})
        for i in list(stack.members):
            emit(i, loops[i].state.end_epoch(0, loops[i].measure(0, 0.0, None)))

    def epoch(number: int) -> None:
        began, rates = time.perf_counter(), {}
        for i in list(stack.members):
            lr = loops[i].open_epoch(number)
            if lr is None:  # early stopping
                loops[i].close()
                end(i)
            else:
                rates[i] = lr
        if stack.members:
            stack.train_epoch(number, rates, end)
            stack.sync()
        for i in list(stack.members):
            row = loops[i].close_epoch(number, rates[i], began, limits[i], share=len(rates))
            if row is None:  # its loss grew past the limit: diverged
                end(i)
            else:
                emit(i, row)

    def close() -> None:
        for i in list(stack.members):
            loops[i].close()
            end(i)

    work(begin)
    limits = {i: loops[i].divergence_limit() for i in stack.members}
    yield from ended()
    for number in range(1, loops[0].config.train.epochs + 1):
        if not stack.members:
            break
        work(lambda number=number: epoch(number))
        yield from ended()
    work(close)
    yield from ended()


class _Stack:
    """The members' networks stacked (`Sequential.stacked`), their θ and ∇θ rows of its (K, P)
    arrays, each member's network, state and optimizer bound to its row; one optimizer of the
    members' rule steps them all."""

    def __init__(self, members: dict[int, Loop]):
        self.members = members
        self._build()

    def _build(self) -> None:
        loops = list(self.members.values())
        if not loops:
            return
        self.network = Sequential.stacked([loop.model.network for loop in loops])
        theta, grad = self.network.theta, self.network.grad
        self.optimizer = make_optimizer(loops[0].config)
        first = loops[0].state.optimizer
        if first.t:  # rebuilt after a member left: the others' buffers carry on
            self.optimizer.load_state({"step": np.array(first.t), **{
                name: np.stack([loop.state.optimizer.state[name] for loop in loops]) for name in first.buffers}})
        for r, loop in enumerate(loops):
            grad[r] = loop.grad
            _bind(loop, theta[r], grad[r])
        self.loss, self.decode = loops[0].model.loss, loops[0].model.loss.decode

    def leave(self, i: int) -> None:
        """Member i goes on alone (or ends): its θ, ∇θ and optimizer state its own again."""
        if i not in self.members:
            return
        self.sync()
        loop = self.members.pop(i)
        optimizer = loop.state.optimizer
        optimizer.load_state({name: aligned_copy(value) for name, value in optimizer.state.items()})
        _bind(loop, aligned_copy(loop.state.theta), aligned_copy(loop.grad))
        self._build()

    def sync(self) -> None:
        """Each member's optimizer says where the shared one stands (its step count, its row of
        the buffers), for what a member writes (resume.npz) or takes away (`leave`)."""
        for r, loop in enumerate(self.members.values()):
            optimizer = loop.state.optimizer
            optimizer.t = self.optimizer.t
            optimizer._state = {name: value[r] for name, value in self.optimizer._state.items()}

    def train_epoch(self, epoch: int, rates: dict[int, float], end: Callable[[int], None]) -> None:
        """The epoch's batches, every member's at once (`Loop.train_batches`, stacked): each
        member's rows in its own shuffled order, each step at its own rate. A member that
        diverges in a batch leaves before the step; one asked to stop, after it (`end`)."""
        members = list(self.members)
        first = self.members[members[0]]
        n, size = first.X1_train.shape[0], first.batch_size
        X = np.empty((len(members), *first.X1_train.shape), first.X1_train.dtype)
        T = np.empty((len(members), *first.T_train.shape), first.T_train.dtype)
        labels = None if first.train_labels is None else np.empty((len(members), n), first.train_labels.dtype)
        for r, i in enumerate(members):
            loop = self.members[i]
            order = loop.epoch_order()
            X[r], T[r] = (loop.X1_train, loop.T_train) if order is None else (loop.X1_train[order], loop.T_train[order])
            if labels is not None:
                labels[r] = loop.train_labels if order is None else loop.train_labels[order]
        runs, lr = [self.members[i] for i in members], np.array([[rates[i]] for i in members], dtype=np.float64)
        for b in range(-(-n // size)):
            start, stop = b * size, min(b * size + size, n)
            out = self.network.forward(X[:, start:stop], ones=True)
            values, dOut = self.loss.value_and_grad(out, T[:, start:stop])
            self.network.backward(dOut, input_grad=False)
            # each run's count of correct predictions (np.count_nonzero(axis=) costs 4 µs more)
            correct = [None] * len(runs) if labels is None else \
                np.add.reduce(self.decode(out) == labels[:, start:stop], axis=-1).tolist()
            for r, loop in enumerate(runs):
                if not loop.count_batch(epoch, b, stop - start, loop.model.penalized(values[r]), correct[r]):
                    end(members[r])  # diverged: back on the epoch's first weights, it leaves before the step
            if len(self.members) < len(members):
                members, runs, lr, X, T, labels = self._kept(members, runs, lr, X, T, labels)
                if not members:
                    return
            self.optimizer.step(self.network.theta, self.network.grad, lr)  # lr: (K, 1), a rate a row of θ
            for r, loop in enumerate(runs):
                if not loop.after_step(epoch, b, rates[members[r]]):
                    end(members[r])  # a stop requested: interrupted after this batch
            if len(self.members) < len(members):
                members, runs, lr, X, T, labels = self._kept(members, runs, lr, X, T, labels)
                if not members:
                    return

    def _kept(self, members: list[int], runs: list[Loop], *rows: Array | None) -> tuple:
        """`members`, their loops and each array's rows (one per member) but those of members
        that left."""
        keep = [r for r, i in enumerate(members) if i in self.members]
        return ([members[r] for r in keep], [runs[r] for r in keep], *(None if a is None else a[keep] for a in rows))


def _bind(loop: Loop, theta: Array, grad: Array) -> None:
    """Make `loop`'s network, gradient, state and norms use theta, grad (P,) as θ, ∇θ."""
    loop.model.network.bind(theta, grad)
    loop.grad, loop.state.theta = grad, theta
    sums = loop.state.norms.sums
    loop.state.norms = Norms(loop.model.network, zeros=loop.state.norms.zeros)
    loop.state.norms.sums = sums

