"""The training loop (layer 4): epochs of shuffled mini-batches, forward, loss, backward, step.

`train(config, run_dir=None)` is the library's entry point: `prepare` (config → a `Loop`, every
refusal before a file is written), then `fit` (train it to its end). It neither prints nor
plots: the caller passes `on_epoch` to report progress, and with a `run_dir` the files of the
run are written as training goes (see nnctl.runs). `Loop` runs the epochs and batches; where a
run stands is its `TrainingState`, which `snapshot` and `restore` carry through resume.npz;
`summarize` gives summary.json. The learning rate of an epoch comes from the schedule
(`assemble.learning_rate`), or for `plateau`, which reads each epoch's metrics, from its rule
(`TrainingState.plateau`, part of the resume state), and goes to every `optimizer.step`: its
one path.

Metrics per epoch, as Keras and scikit-learn report them: `train_loss` and `train_accuracy`
are means over the epoch's mini-batches (free: the forward pass computed them already);
`val_loss` and `val_accuracy` are measured on the validation set after the epoch. Row 0 holds
the initial weights' metrics, all measured. Losses include the L2 and L1 penalties (also with
loss.l1_clip, whose step is not part of the gradient). With model.dropout, the train_ metrics
of an epoch are those of its dropped-out batches (as Keras reports them); every measurement
(val_, the summary's final, evaluation, prediction) uses the whole network. The summary's
`final` metrics are measured on the whole training set with the final weights.

Divergence (status `diverged`, exit code 1 at the command line): a mini-batch whose loss or
gradient is not finite, or an epoch whose training loss exceeds `train.divergence_factor` ×
max(epoch 0's training loss, 1e-8) (default 1e4, `null`: never; Lightning's
`divergence_threshold` in relative form), stops training and puts back the weights the epoch
started from, the last ones known good. `summary.diverged_at` says where: {epoch, batch}, and
for a loss that grew, `train_loss` and the `limit` it passed.
"""

from __future__ import annotations

import contextlib
import math
import platform
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnctl.assemble import build_for, encode_targets, learning_rate, make_optimizer
from nnctl.config import SOLVERS, Config, blame, evaluation_rows, load_config
from nnctl.data import Dataset
from nnctl.errors import NnctlError
from nnctl.lbfgs import FullBatch, solve
from nnctl.nn.layers import with_ones
from nnctl.nn.network import Model, Sequential
from nnctl.nn.optimizers import SCHEDULES, Optimizer, Plateau
from nnctl.runs import RunWriter
from nnctl.version import __version__
from nnctl.vocabulary import SUMMARY_METRICS

Array = np.ndarray
EpochCallback = Callable[[dict[str, Any]], None]


@dataclass
class TrainResult:
    """What `train` returns: the trained model, one row per epoch (metrics.csv), the summary."""

    model: Model
    history: list[dict[str, Any]]
    summary: dict[str, Any]
    dataset: Dataset
    config: Config
    run_dir: Path | None = None


def evaluate(model: Model, X: Array, T: Array, labels: Array | None,
             target_std: Array | None = None) -> tuple[float, float | None]:
    """(objective, accuracy) of the model on a whole set; accuracy None for regression.

    With `target_std` (k,) (data.standardize_target), T holds standardised targets and the loss
    is measured in the target's units: the mse of outputs × std against T × std, which is that of
    the de-standardised predictions against the raw targets (the means cancel); the L2 penalty is
    added as it is. So val_loss means the same with the option and without it.

    The set goes through the network `evaluation_rows` rows at a time, so measuring it never
    holds more activations than about a batch of a wide network (a 20 000-row set through
    1024-wide layers would otherwise take hundreds of MB); the loss is the row-weighted mean.
    """
    n, step = X.shape[0], evaluation_rows(model.network.sizes)
    values, rows, correct = [], [], 0
    for start in range(0, n, step):
        chunk = slice(start, start + step)
        out, T_chunk = model.logits(X[chunk]), T[chunk]
        if target_std is not None:
            out, T_chunk = out * target_std, T_chunk * target_std
        values.append(model.loss.value(out, T_chunk))
        rows.append(out.shape[0])
        if labels is not None:
            correct += int(np.count_nonzero(model.loss.decode(out) == labels[chunk]))
    value = values[0] if len(values) == 1 else float(np.average(values, weights=rows))
    return value + model.penalty(), None if labels is None else correct / n


@dataclass
class EarlyStopping:
    """Stop after `patience` epochs without an improvement of more than `min_delta`."""

    monitor: str
    patience: int
    min_delta: float
    best: float = math.inf
    best_epoch: int = 0
    best_theta: Array | None = None  # the best epoch's weights, kept only when patience > 0
    waited: int = 0
    stopped: bool = False  # patience ran out

    def __post_init__(self) -> None:
        self.sign = -1.0 if self.monitor.endswith("accuracy") else 1.0  # accuracy: higher is better

    def update(self, epoch: int, row: dict[str, Any], theta: Array) -> None:
        """Record the epoch (theta: the flat weights after it); sets `stopped` when training
        should stop."""
        value = self.sign * row[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.waited = value, epoch, 0
            if self.patience:
                self.best_theta = theta.copy()
            return
        self.waited += 1
        self.stopped = 0 < self.patience <= self.waited and self.best_theta is not None


class Norms:
    """layers.csv: per epoch, the norm ‖W_l‖ of every weight matrix and the mean over the
    epoch's batches of its gradient's norm ‖dW_l‖ (Frobenius): one BLAS dot per matrix; with
    `zeros` (a run with loss.l1), also the fraction of W_l's entries that are exactly 0."""

    def __init__(self, network: Sequential, zeros: bool = False):
        self.zeros = zeros
        self.weights = [layer.W.reshape(-1) for layer in network.dense]  # flat views
        self.gradients = [layer.dW.reshape(-1) for layer in network.dense]
        self.sums = [0.0] * len(self.gradients)  # Σ ‖dW_l‖ over the epoch's batches so far

    def record_gradient(self) -> float:
        """Add this batch's gradient norms to the epoch's sums; return Σ_l ‖dW_l‖² (infinite or
        NaN when a gradient is)."""
        total = 0.0
        for i, g in enumerate(self.gradients):
            square = float(np.dot(g, g))
            self.sums[i] += math.sqrt(square)
            total += square
        return total

    def row(self, epoch: int, batches: int = 0) -> dict[str, Any]:
        """{"epoch", "W0": ‖W0‖, …, "dW0": mean of ‖dW0‖ over the epoch's `batches`, …, and with
        `zeros` "zeros0": the fraction of W0's entries exactly 0, …}; starts the next epoch's sums."""
        row: dict[str, Any] = {"epoch": epoch}
        for i, w in enumerate(self.weights):
            row[f"W{i}"] = math.sqrt(np.dot(w, w))
        for i, total in enumerate(self.sums):
            row[f"dW{i}"] = total / batches if batches else None
        if self.zeros:
            for i, w in enumerate(self.weights):
                row[f"zeros{i}"] = float(w.size - np.count_nonzero(w)) / w.size
        self.sums = [0.0] * len(self.gradients)
        return row


def prepare(config: Config | dict | str | Path, rows: tuple[Array, Array, list[str]] | None = None) -> Loop:
    """Everything that can refuse a config, done before any file is written: load and validate
    it, make the data (or split the given `rows`, as `assemble.build_for` takes them), build the
    model and the loop."""
    if not isinstance(config, Config):
        config = load_config(config)
    model, dataset, streams = build_for(config, rows)
    with blame(config):
        return Loop(config, model, dataset, streams.shuffle)


def train(
    config: Config | dict | str | Path,
    run_dir: Path | str | None = None,
    *,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Train the network a config describes. Writes a run directory only when `run_dir` is given
    (a new or empty folder: `nnctl.runs` chooses and claims them)."""
    return fit(prepare(config), run_dir, on_epoch=on_epoch)


class Pruned(Exception):
    """Raised by an `on_epoch` callback: a search's study stopped this run after the epoch just
    handed to it; the run ends with status `pruned` and `pruned_at` (that epoch) in summary.json."""


def fit(
    loop: Loop,
    run_dir: Path | str | None = None,
    *,
    on_epoch: EpochCallback | None = None,
    resume: bool = False,
    handle_signals: bool = False,
) -> TrainResult:
    """Train a prepared loop to its end, writing the run directory when one is given.

    resume: the run directory exists and `loop` was restored from its resume.npz; training goes
    on and the directory is completed. handle_signals: Ctrl-C and SIGTERM finish the current
    mini-batch, then stop with status `interrupted` and a resume.npz that `nnctl train --resume`
    continues bit for bit (the command line sets it; a library caller keeps its own handlers,
    and a KeyboardInterrupt then stops at once, keeping the last resume state written).
    A file that cannot be written once training has begun (a full disk) ends the run `failed`
    (see `run_failed`).
    """
    config, model, dataset = loop.config, loop.model, loop.dataset
    path = Path(run_dir) if run_dir is not None else None
    started = time.perf_counter()
    with stop_on_signals(loop, handle_signals):  # a signal while the first files are written waits too
        # a failed write here leaves the folder as it was (see RunWriter)
        writer = RunWriter(path, config, dataset, resume=resume) if path is not None else None
        try:
            # a diverging run overflows on its way to NaN (the loop detects it and says so), and so
            # may its final measurement
            with np.errstate(over="ignore", invalid="ignore"):
                try:
                    def emit(row: dict[str, Any]) -> None:
                        if writer:
                            writer.epoch(row, loop)
                        if on_epoch:
                            on_epoch(row)

                    loop.run(emit)
                    status = loop.status
                except KeyboardInterrupt:
                    status = "interrupted"
                except Pruned:
                    status = "pruned"
                summary = summarize(loop, status, loop.state.seconds_before + time.perf_counter() - started)
            if writer:
                writer.finish(loop, summary)
        except NnctlError as e:  # a file that could not be written (a full disk): the run failed
            if writer is None:
                raise
            raise run_failed(loop, writer, e, loop.state.seconds_before + time.perf_counter() - started) from None
    return TrainResult(model, loop.state.history, summary, dataset, config, path)


def run_failed(loop: Loop, writer: RunWriter, error: NnctlError, seconds: float) -> NnctlError:
    """Mark the run directory `failed` (as far as the disk lets it: see RunWriter.fail) and
    return the one line saying what failed and how to go on."""
    with np.errstate(over="ignore", invalid="ignore"):
        summary = summarize(loop, "failed", seconds) | {"error": str(error)}
    marked = "status failed" if writer.fail(summary) else "resumable"
    return NnctlError(f"{error}; the run stopped after epoch {summary['epochs']} ({marked}); once the file can be "
                      f"written, go on with: nnctl train --resume {writer.path}")


@contextlib.contextmanager
def stop_on_signals(loop: Loop, enabled: bool = True):
    """While training, SIGINT and SIGTERM ask `loop` to stop after its current mini-batch; a
    second Ctrl-C stops at once. Off the main thread (a dask worker) signals are left alone."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        if loop.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        loop.stop_requested = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def early_stopping(config: Config, has_val: bool, classification: bool) -> EarlyStopping:
    """train.early_stopping for this data: a monitor the data cannot give is an NnctlError when
    patience asks for it, and falls back to its train_/loss counterpart when only the best epoch
    is asked (patience 0)."""
    stopping = config.train.early_stopping
    check_monitor("train.early_stopping.monitor", stopping.monitor, has_val or not stopping.patience, classification)
    monitor = stopping.monitor
    if not has_val and monitor.startswith("val"):
        monitor = monitor.replace("val", "train")
    if not classification:
        monitor = monitor.replace("accuracy", "loss")
    return EarlyStopping(monitor, stopping.patience, stopping.min_delta)


def check_monitor(key: str, monitor: str, has_val: bool, classification: bool) -> None:
    """A metric the data cannot give (val_ without validation data, accuracy of a regression)
    is an NnctlError naming the config `key` that asks for it."""
    if monitor.startswith("val") and not has_val:
        raise NnctlError(f"{key}: {monitor} needs validation data (set data.validation_fraction > 0, or monitor "
                         "train_loss)")
    if monitor.endswith("accuracy") and not classification:
        raise NnctlError(f"{key}: {monitor} needs a classification data set")


def plateau(config: Config, has_val: bool, classification: bool) -> Plateau | None:
    """The rule of a schedule that reads metrics (optimizer.schedule: plateau), starting at
    optimizer.lr; None for the others, whose rate is a function of the epoch alone. Its monitor
    never falls back: a val_ metric without validation data is refused, as early stopping's."""
    schedule = config.optimizer.schedule
    rule = SCHEDULES[schedule.name].rule
    if rule is None:
        return None
    check_monitor("optimizer.schedule.monitor", schedule.params["monitor"], has_val, classification)
    return rule(config.optimizer.params["lr"], **schedule.params)


@dataclass
class TrainingState:
    """Where a run stands, all the rest of training depends on: the weights, the optimizer's
    buffers, the shuffle stream, early stopping, the rows so far and, inside an epoch, the
    batches done and their sums. `snapshot` and `restore` carry it through resume.npz, bit for
    bit. The arrays and objects are the loop's own: the loop updates them in place."""

    theta: Array  # the network's flat weights (Sequential.theta)
    optimizer: Optimizer
    rng: np.random.Generator  # the shuffle stream
    stopping: EarlyStopping
    norms: Norms
    config: Config  # what the state is trained with: a resume compares it with config.yaml
    plateau: Plateau | None = None  # optimizer.schedule: plateau, the lr rule that reads metrics
    history: list[dict[str, Any]] = field(default_factory=list)  # metrics.csv: a row per epoch, 0 first
    layers: list[dict[str, Any]] = field(default_factory=list)  # layers.csv: weight and gradient norms
    # the epoch in progress
    batch: int = 0  # its batches done
    total: float = 0.0  # its summed batch losses (× rows)
    correct: int = 0  # its correct predictions
    last_good: Array = field(init=False)  # the weights it started from
    epoch_rng: dict[str, Any] | None = None  # the shuffle generator's state when it started
    seconds_before: float = 0.0  # training time of earlier sessions, for a resumed run

    def __post_init__(self) -> None:
        self.last_good = self.theta.copy()  # the initial weights: a resume.npz of epoch 0 holds them, not noise

    def start_epoch(self) -> None:
        """Before an epoch's first batch: keep the weights to go back to, zero its sums."""
        np.copyto(self.last_good, self.theta)
        self.total, self.correct = 0.0, 0

    def end_epoch(self, epoch: int, row: dict[str, Any]) -> dict[str, Any]:
        """Record an epoch's metrics row (and return it): metrics, norms, early stopping. Done
        before the row goes out, so that a snapshot taken meanwhile (nnctl.runs) is whole."""
        self.history.append(row)
        self.layers.append(self.norms.row(epoch, batches=self.batch))
        self.batch = 0
        self.stopping.update(epoch, row, self.theta)
        if epoch and self.plateau is not None:  # as Keras: the trained epochs' metrics, not the initial one
            self.plateau.update(row[self.plateau.monitor])
        return row

    def snapshot(self, seconds: float) -> tuple[dict[str, Array], dict[str, Any]]:
        """Everything the rest of training depends on, taken between two mini-batches: arrays
        (weights, optimizer state, …) and JSON-able facts (position, generator state, metrics so
        far). `restore` continues from it to the same weights, bit for bit. seconds: the run's
        training time so far."""
        arrays = {"theta": self.theta, "last_good": self.last_good,
                  **{f"optimizer.{k}": v for k, v in self.optimizer.state.items()}}
        if self.stopping.best_theta is not None:
            arrays["best_theta"] = self.stopping.best_theta
        facts = {
            "epochs_done": len(self.history) - 1, "batch": self.batch, "total": self.total, "correct": self.correct,
            "gradient_norm_sums": list(self.norms.sums),
            # mid-epoch: the state the epoch's shuffle started from, so the same order is drawn again
            "rng": self.epoch_rng if self.batch and self.epoch_rng else self.rng.bit_generator.state,
            "stopping": {"best": self.stopping.best, "best_epoch": self.stopping.best_epoch,
                         "waited": self.stopping.waited, "stopped": self.stopping.stopped},
            "history": self.history, "layers": self.layers, "seconds": seconds,
            **({"plateau": self.plateau.state} if self.plateau is not None else {}),
            "config": self.config.to_dict(),  # see runs.changed_setting
        }
        return arrays, facts

    def restore(self, arrays: dict[str, Array], facts: dict[str, Any]) -> None:
        """Continue from a `snapshot` (as `nnctl.runs.load_state` reads it back). A state that
        does not fit is an NnctlError saying what does not (the caller names the file)."""
        missing = [key for key in ("theta", "last_good") if key not in arrays]
        if missing:
            raise NnctlError(f"not a resume state nnctl train wrote (no {', '.join(missing)})")
        if arrays["theta"].shape != self.theta.shape or arrays["last_good"].shape != self.theta.shape:
            # a state saved before configs were recorded in it (see snapshot): only the network's
            # widths can change the count, the data being checked before
            raise NnctlError(f"holds {arrays['theta'].size} parameters, but config.yaml describes a network of "
                             f"{self.theta.size} (was model.hidden or the loss edited after the run started? put it "
                             "back to resume)")
        try:
            self._restore(arrays, facts)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise NnctlError(f"not a resume state nnctl train wrote ({type(e).__name__}: {e})") from None

    def _restore(self, arrays: dict[str, Array], facts: dict[str, Any]) -> None:
        np.copyto(self.theta, arrays["theta"])
        np.copyto(self.last_good, arrays["last_good"])
        self.batch, self.total, self.correct = facts["batch"], facts["total"], facts["correct"]
        self.norms.sums = list(facts["gradient_norm_sums"])
        self.optimizer.load_state({k.removeprefix("optimizer."): v for k, v in arrays.items()
                                   if k.startswith("optimizer.")})
        self.rng.bit_generator.state = facts["rng"]
        stopping = facts["stopping"]
        self.stopping.best, self.stopping.best_epoch, self.stopping.waited, self.stopping.stopped = (
            stopping["best"], stopping["best_epoch"], stopping["waited"], stopping["stopped"])
        self.stopping.best_theta = arrays["best_theta"].copy() if "best_theta" in arrays else None
        self.history, self.layers = facts["history"], facts["layers"]
        self.seconds_before = facts["seconds"]
        if self.plateau is not None:
            self.plateau.load_state(facts["plateau"])


class Loop:
    """One run's training, epoch by epoch (`epochs()`): shuffled mini-batches through forward,
    loss, backward and an optimizer step at the epoch's learning rate; a metrics row per epoch.
    Where it stands is `state` (a TrainingState); how it ended, `status` and `diverged_at` or
    `interrupted_at`."""

    def __init__(self, config: Config, model: Model, dataset: Dataset, shuffle_rng: np.random.Generator):
        self.config, self.model, self.dataset = config, model, dataset
        self.solver = config.optimizer.name in SOLVERS  # lbfgs: `solve` instead of `epochs`, no lr
        self.learning_rate = None if self.solver else learning_rate(config)  # the only source of each step's lr
        self.grad = model.network.grad
        classification = dataset.task == "classification"
        self.train_labels = dataset.y_train if classification else None
        self.val_labels = dataset.y_val if classification else None
        self.X1_train = with_ones(dataset.X_train)  # [X, 1]: batches go into the network without a copy
        self.T_train = encode_targets(model, dataset, dataset.y_train)
        self.T_val = encode_targets(model, dataset, dataset.y_val)
        self.has_val = dataset.X_val.shape[0] > 0
        n = dataset.X_train.shape[0]
        self.batch_size = n if config.train.batch_size == "full" else min(config.train.batch_size, n)
        # a solver keeps its memory inside SciPy: the update rule's place holds one with no state
        optimizer = Optimizer() if self.solver else make_optimizer(config)
        self.state = TrainingState(model.network.theta, optimizer, shuffle_rng,
                                   early_stopping(config, self.has_val, classification),
                                   Norms(model.network, zeros=bool(model.l1)), config,
                                   plateau(config, self.has_val, classification))
        self.status = "completed"
        self.diverged_at: dict[str, Any] | None = None
        self.interrupted_at: dict[str, int] | None = None
        self.stop_requested = False  # set by a signal: stop after the current batch
        self.stop_status = "interrupted"  # how a stop requested between epochs ends (a search's pruner: pruned)
        # lbfgs: why it ended (SciPy's words) and its evaluations of the loss and gradient on the whole
        # training set (forward and backward passes: those of the line search too) in this session
        self.solver_result: dict[str, Any] | None = None

    def run(self, emit: EpochCallback) -> None:
        """Train to the end, handing each metrics row to `emit` as it is made."""
        if self.solver:
            self.solve(emit)
            return
        for row in self.epochs():
            emit(row)

    def solve(self, emit: EpochCallback) -> None:
        """optimizer.name: lbfgs. Each accepted iterate of SciPy's L-BFGS-B is an epoch: its row
        (train metrics on the whole set, lr empty) goes to `emit`, then early stopping, divergence
        (a training loss not finite or past the limit puts back the previous iterate) and a stop
        requested may end the solver there. After a resume it starts afresh from the saved θ."""
        state = self.state
        if not state.history:
            emit(state.end_epoch(0, self.measure(0, 0.0, None)))
        limit, epochs = self.divergence_limit(), self.config.train.epochs
        objective, previous = FullBatch(self.model, self.X1_train, self.T_train), [None]
        state.start_epoch()

        def iteration(theta: Array) -> bool:
            epoch = len(state.history)
            objective.at(theta)
            since = objective.started if previous[0] is None else previous[0]  # not SciPy's import
            row = self.iterate_row(epoch, objective, time.perf_counter() - since)
            state.norms.record_gradient()
            if not math.isfinite(row["train_loss"]) or row["train_loss"] > limit:
                self.diverge({"epoch": epoch, "batch": 1, "train_loss": row["train_loss"], "limit": limit})
                return True
            state.batch = 1
            emit(state.end_epoch(epoch, row))
            state.start_epoch()
            previous[0] = time.perf_counter()
            if self.stop_requested and not state.stopping.stopped:
                self.status, self.interrupted_at = "interrupted", {"epoch": epoch + 1, "batch": 0}
            return state.stopping.stopped or self.stop_requested  # the budget is SciPy's maxiter

        if len(state.history) <= epochs and not state.stopping.stopped:
            result = solve(objective, epochs - len(state.history) + 1, self.config.optimizer.params, iteration)
            # SciPy's words, unless the loop stopped it (the status says why)
            message = f"stopped by nnctl after iteration {len(state.history) - 1}" if self.status != "completed" \
                or state.stopping.stopped else str(result.message)
            self.solver_result = {"message": message, "evaluations": int(result.nfev)}
            np.copyto(state.theta, state.last_good)  # the last iterate taken, not a trial point of the search
        if state.stopping.stopped:
            np.copyto(state.theta, state.stopping.best_theta)
            self.status = "early_stopped"

    def iterate_row(self, epoch: int, objective: FullBatch, seconds: float) -> dict[str, Any]:
        """The metrics row of an L-BFGS iterate, the network holding it and its outputs on the
        training set (objective.out): the training loss and accuracy from them, validation measured."""
        d = self.dataset
        if d.target_std is not None:  # in the target's units, as every loss reported
            train = evaluate(self.model, d.X_train, self.T_train, None, d.target_std)
        else:
            labels = self.train_labels
            correct = None if labels is None else int(np.count_nonzero(self.model.loss.decode(objective.out) == labels))
            train = (objective.value, None if labels is None else correct / labels.shape[0])
        return self.measure(epoch, seconds, None, train)

    def measure(self, epoch: int, seconds: float, lr: float | None,
                train: tuple[float, float | None] | None = None) -> dict[str, Any]:
        """A metrics row; train metrics measured on the whole set unless given."""
        d = self.dataset
        train_loss, train_acc = train or evaluate(self.model, d.X_train, self.T_train, self.train_labels, d.target_std)
        row: dict[str, Any] = {"epoch": epoch, "train_loss": float(train_loss), "train_accuracy": train_acc}
        if self.has_val:
            row["val_loss"], row["val_accuracy"] = evaluate(self.model, d.X_val, self.T_val, self.val_labels,
                                                            d.target_std)
        row["lr"], row["seconds"] = lr, seconds
        return row

    def epochs(self) -> Iterator[dict[str, Any]]:
        """Yield the metrics row of epoch 0 (initial weights), then of each trained epoch. After
        `state.restore`, go on from there: the rows yielded are those still to come."""
        state = self.state
        if not state.history:
            yield state.end_epoch(0, self.measure(0, 0.0, None))
        limit = self.divergence_limit()
        for epoch in range(len(state.history), self.config.train.epochs + 1):
            started = time.perf_counter()
            lr = self.open_epoch(epoch)
            if lr is None:
                break
            if not self.train_batches(epoch, lr):
                return
            row = self.close_epoch(epoch, lr, started, limit)
            if row is None:
                return
            yield row
        self.close()

    def open_epoch(self, epoch: int) -> float | None:
        """Before an epoch's batches: its learning rate, the weights to go back to kept; None
        when training ends before it (early stopping, then `close`; or a stop requested)."""
        state = self.state
        if state.stopping.stopped:
            return None
        lr = self.learning_rate(epoch - 1) if state.plateau is None else state.plateau.lr
        if state.batch == 0:
            if self.stop_requested:
                self.status, self.interrupted_at = self.stop_status, {"epoch": epoch, "batch": 0}
                return None
            state.start_epoch()
        return lr

    def close_epoch(self, epoch: int, lr: float, started: float, limit: float, share: int = 1) -> dict[str, Any] | None:
        """After an epoch's batches: its metrics row (recorded in the state), or None when its
        training loss grew past `limit` (`divergence_limit`) and the run diverged. Its seconds:
        since `started`, divided among `share` runs trained together (`nnctl.lockstep`)."""
        state, n = self.state, self.X1_train.shape[0]
        train_loss = state.total / n
        if self.dataset.target_std is not None:  # in the target's units, as every loss reported
            train_loss = evaluate(self.model, self.dataset.X_train, self.T_train, None, self.dataset.target_std)[0]
        if train_loss > limit:  # finite, but grown far past where it started: one comparison an epoch
            self.diverge({"epoch": epoch, "batch": state.batch, "train_loss": train_loss, "limit": limit})
            return None
        accuracy = None if self.train_labels is None else state.correct / n
        seconds = (time.perf_counter() - started) / share
        return state.end_epoch(epoch, self.measure(epoch, seconds, lr, (train_loss, accuracy)))

    def close(self) -> None:
        """After the last epoch: early stopping's end (its best weights back, when asked)."""
        state = self.state
        if state.stopping.stopped:
            if self.config.train.early_stopping.restore_best:
                np.copyto(state.theta, state.stopping.best_theta)
            self.status = "early_stopped"

    def train_batches(self, epoch: int, lr: float) -> bool:
        """The epoch's mini-batches from `state.batch` on, each a forward and backward pass and
        a step at learning rate lr (then loss.l1_clip's shrink), adding to the epoch's sums;
        False when training stops in the epoch (a loss or gradient not finite, or a stop
        requested). Dropout's masks come from the shuffle stream, after the epoch's order.
        `lockstep._Stack.train_epoch` is this loop for runs stacked together: what is added
        here goes there too, or into what `lockstep.stackable` refuses."""
        state, X, T, labels, model = self.state, self.X1_train, self.T_train, self.train_labels, self.model
        n, size = X.shape[0], self.batch_size
        order = self.epoch_order()
        if order is not None:  # one gather per epoch, then contiguous slices
            X, T, labels = X[order], T[order], None if labels is None else labels[order]
        loss_and_grads, decode, step = model.loss_and_grads, model.loss.decode, state.optimizer.step
        if model.dropout:
            for b in range(state.batch):  # a resumed epoch: its done batches' masks, drawn again to go on
                model.draw_masks(state.rng, min(size, n - b * size))
            loss_and_grads = self.dropped_out(loss_and_grads)
        for b in range(state.batch, -(-n // size)):
            start, stop = b * size, min(b * size + size, n)
            value, out = loss_and_grads(X[start:stop], T[start:stop], ones=True)
            correct = None if labels is None else int(np.count_nonzero(decode(out) == labels[start:stop]))
            if not self.count_batch(epoch, b, stop - start, value, correct):
                return False
            step(state.theta, self.grad, lr)
            if not self.after_step(epoch, b, lr):
                return False
        return True

    def epoch_order(self) -> Array | None:
        """The epoch's order of the training rows (n,), drawn from the shuffle stream, whose
        state is kept first (a resume draws the same order again); None without train.shuffle."""
        state = self.state
        if self.config.train.shuffle or self.model.dropout:
            state.epoch_rng = state.rng.bit_generator.state
        return state.rng.permutation(self.X1_train.shape[0]) if self.config.train.shuffle else None

    def count_batch(self, epoch: int, b: int, rows: int, value: float, correct: int | None) -> bool:
        """Batch b's objective `value` and its `correct` predictions (None: a regression) into the
        epoch's sums, and its gradient (now in ∇θ) into the norms; False when the loss or the
        gradient is not finite: the run diverged there, back on the epoch's first weights."""
        state = self.state
        if not math.isfinite(value + state.norms.record_gradient()):  # the loss or a gradient
            self.diverge({"epoch": epoch, "batch": b + 1})
            return False
        state.total += value * rows
        if correct is not None:
            state.correct += correct
        return True

    def after_step(self, epoch: int, b: int, lr: float) -> bool:
        """After batch b's step: loss.l1_clip's shrink, the batch counted done; False when a stop
        was requested (the run is then interrupted there)."""
        self.model.shrink(lr)
        self.state.batch = b + 1
        if self.stop_requested:
            self.status, self.interrupted_at = "interrupted", {"epoch": epoch, "batch": b + 1}
            return False
        return True

    def dropped_out(self, loss_and_grads: Callable) -> Callable:
        """loss_and_grads through a fresh set of dropout masks each call, drawn from the shuffle
        stream (`Model.draw_masks`)."""
        draw, rng = self.model.draw_masks, self.state.rng
        return lambda X, T, ones=False: loss_and_grads(X, T, ones, draw(rng, X.shape[0]))

    def divergence_limit(self) -> float:
        """The training loss an epoch may not exceed: train.divergence_factor × max(epoch 0's
        training loss, 1e-8); infinite when the factor is null (or epoch 0's loss is not finite,
        which the batches' own check stops at)."""
        factor, first = self.config.train.divergence_factor, self.state.history[0]["train_loss"]
        if factor is None or not math.isfinite(first):
            return math.inf
        return factor * max(first, 1e-8)

    def diverge(self, where: dict[str, Any]) -> None:
        """Stop as diverged at `where`, with the weights the epoch started from (the last good)."""
        np.copyto(self.state.theta, self.state.last_good)
        self.status, self.diverged_at = "diverged", where


def summarize(loop: Loop, status: str, seconds: float) -> dict[str, Any]:
    """summary.json: the status, the final metrics (the final weights on the whole sets), the
    best epoch's, where a run diverged or was interrupted, the versions."""
    state = loop.state
    final = loop.measure(state.history[-1]["epoch"] if state.history else 0, 0.0, None)
    keys = SUMMARY_METRICS
    best_row = state.history[state.stopping.best_epoch] if state.history else final
    summary: dict[str, Any] = {
        "status": status,
        "epochs": state.history[-1]["epoch"] if state.history else 0,
        "final": {k: final[k] for k in keys if final.get(k) is not None},
        "best_epoch": state.stopping.best_epoch,
        "best": {k: best_row[k] for k in keys if best_row.get(k) is not None},
        "monitor": state.stopping.monitor,
        "parameters": int(state.theta.size),
        "seconds": round(seconds, 4),
        "seed": loop.config.seed,
        "versions": {"nnctl": __version__, "numpy": np.__version__, "python": platform.python_version()},
    }
    if status == "early_stopped":  # which weights model.npz holds (train.early_stopping.restore_best)
        restored = loop.config.train.early_stopping.restore_best
        summary["model_epoch"] = state.stopping.best_epoch if restored else summary["epochs"]
    if loop.diverged_at:
        summary["diverged_at"] = loop.diverged_at
    if loop.solver_result:
        summary["solver"] = loop.solver_result
    if status == "interrupted" and loop.interrupted_at:
        summary["interrupted_at"] = loop.interrupted_at
    if status == "pruned":
        summary["pruned_at"] = summary["epochs"]
    return summary
