"""Layer 5: a sweep that searches (issue 19). A sweep file's `search:` asks an Optuna study (TPE
or random sampling) for `trials` points of its `random:` space instead of drawing them all at
once, and `pruning:` lets the study stop hopeless runs after an epoch (status `pruned`).

Only the parent process holds the study (ask-and-tell): the trials run as any sweep's points do,
on worker processes (`sweeps.trials`) or a Dask cluster; a worker hands each epoch's metric to
the parent and asks it whether to go on. The study is kept in the sweep folder (study.journal,
Optuna's journal file, written by the parent alone) or in the database `--storage URL` names;
running the same command again loads it: finished trials are kept, trials cut off go on from
their runs' saved state under their own numbers, and new ones are asked only up to `trials`.

Each ask seeds the sampler from the search's seed and the trial's number, so with `--jobs 1` a
search makes the same trials and the same pruning decisions whether it ran in one go or was
resumed. With more jobs, which trials finish first (and so what the sampler and the pruner have
seen when they decide) depends on timing.

Optuna is optional (nnctl[search]) and imported here alone, when a search runs.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnctl.config import load_config
from nnctl.errors import NnctlError
from nnctl.files import append_bytes, flow, read_text, write_text
from nnctl.sweeps.folder import Sweep
from nnctl.sweeps.results import BEST, RUNS, STUDY
from nnctl.sweeps.spec import SHAPE, Point, SweepSpec, distribution
from nnctl.vocabulary import FINISHED

MAX_CONFIG_BYTES = 1_000_000  # a run's config.yaml, copied into best.yaml
MAX_JOURNAL_BYTES = 1_000_000_000  # about 200 bytes a line: 5 million reports
STUDY_NAME = "nnctl-search"  # the study's name in study.journal (one study a folder)
# said once when a search runs on more than one job
MANY_JOBS = ("note: with more than one job, which trials finish first varies from run to run, and with it what "
             "the sampler and the pruner have seen when they decide; --jobs 1 repeats a search exactly")


def import_optuna():
    """The optuna module, quiet; one line saying how to install it when it is missing."""
    try:  # optional (nnctl[search]) and half a second to import: only when a search runs
        import optuna
    except ImportError:
        raise NnctlError("search: needs Optuna, which is not installed: pip install 'nnctl[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


# -- the space, as Optuna's parameters and back ---------------------------------------------------


def parameters(trial, random: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ask `trial` for a value of each random: entry, by Optuna's parameter names: the dotted key,
    or for a shape `model.hidden.depth` and `model.hidden.width`; a choice as its YAML text."""
    params = {}
    for key, space in random.items():
        for name, part in _parts(key, space):
            kind, args, log = distribution(part)
            if kind == "choice":
                params[name] = trial.suggest_categorical(name, [flow(a) for a in args])
            elif kind == "int":
                params[name] = trial.suggest_int(name, args[0], args[1], log=log)
            else:
                params[name] = trial.suggest_float(name, float(args[0]), float(args[1]), log=log)
    return params


def settings_of(params: dict[str, Any], random: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A trial's parameters as a point's settings: dotted key -> value (a shape's [width] * depth)."""
    settings = {}
    for key, space in random.items():
        values = {}
        for name, part in _parts(key, space):
            kind, args, _ = distribution(part)
            value = params[name]
            values[name] = args[[flow(a) for a in args].index(value)] if kind == "choice" else value
        settings[key] = ([values[f"{key}.width"]] * values[f"{key}.depth"] if set(space) == set(SHAPE)
                         else values[key])
    return settings


def _parts(key: str, space: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(Optuna's parameter name, its distribution) of one random: entry."""
    if set(space) == set(SHAPE):
        return [(f"{key}.{part}", space[part]) for part in SHAPE]
    return [(key, space)]


def log_scaled(random: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Each Optuna parameter name of the space: whether it is drawn on a log scale."""
    return {name: distribution(part)[2] for key, space in random.items() for name, part in _parts(key, space)}


# -- the study ------------------------------------------------------------------------------------


def open_study(optuna, spec: SweepSpec, folder: Path, storage: str | None = None):
    """The search's study: loaded from study.journal in the sweep folder (or from `storage`, an
    RDB URL such as sqlite:///search.db) when there is one, else created there."""
    if storage is None:
        store = optuna.storages.JournalStorage(ParentJournal(Path(folder) / STUDY))
    else:
        store = rdb_storage(optuna, storage)
    return optuna.create_study(storage=store, study_name=f"{STUDY_NAME}-{spec.digest()}", load_if_exists=True,
                               direction=spec.search["direction"], pruner=pruner(optuna, spec))


def rdb_storage(optuna, storage: str):
    """Optuna's RDBStorage of the URL `storage`, or one line saying why it cannot be opened."""
    try:
        return optuna.storages.RDBStorage(storage)
    except Exception as e:  # SQLAlchemy's many errors: a bad URL, a missing driver, no server
        first = (str(e).strip().splitlines() or [""])[0]  # not its "(Background on this error at: ...)"
        raise NnctlError(f"--storage {storage}: cannot open it ({type(e).__name__}: {first})") from None


def check_study_here(folder: Path, storage: str | None) -> None:
    """Refuse to start a second study in a folder whose trials a study elsewhere asked (run
    with --storage, now without): it would ask them again and overwrite their rows."""
    runs = Path(folder) / RUNS
    if storage is None and not (Path(folder) / STUDY).is_file() and runs.is_dir() and any(runs.iterdir()):
        raise NnctlError(f"{folder}: its trials were asked by a study kept elsewhere (no {STUDY} here); "
                         "give the --storage it was run with")


class ParentJournal:
    """Optuna's journal file (the lines JournalFileBackend writes and reads: the same file), kept
    by the one process that writes it, the parent, under the sweep folder's lock. Each line is
    one append (`files.append_bytes`: a killed process loses nothing) and the log is read back
    from memory. Measured on this project's 2-core machine, shared with other jobs (TPE + ASHA, 4
    parameters, 60 trials of up to 20 epochs, 310 epochs reported; the study's time a trial: ask,
    reports, should_prune, tell, persistence; mean): at load 4, Optuna in memory 5.7 ms, this
    journal 7.7-7.9 ms, SQLite (RDBStorage, a commit a report) 100 ms; at load 7 (40 trials),
    this journal 10-14 ms, Optuna's JournalFileBackend (a lock file and an fsync a line) 42-49
    ms, SQLite 315-460 ms. TPE's ask is most of it; the file adds about 2 ms a trial.
    Implements optuna.storages.journal.BaseJournalBackend (read_logs, append_logs)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.logs: list[dict[str, Any]] = []
        if self.path.exists():
            text = read_text(self.path, limit=MAX_JOURNAL_BYTES, what="study journal")
            whole, _, cut = text.rpartition("\n")
            if cut:  # a line cut short by a kill in the middle of a write: left out, and cut off the file
                write_text(self.path, whole + "\n" if whole else "")
            try:
                self.logs = [json.loads(line) for line in whole.split("\n") if line]
            except json.JSONDecodeError as e:
                raise NnctlError(f"{self.path}: not a study journal nnctl wrote ({e}); move it away to start "
                                 "the search afresh") from None

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        return self.logs[log_number_from:]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        append_bytes(self.path, text.encode())
        self.logs.extend(logs)


def pruner(optuna, spec: SweepSpec):
    """pruning: as Optuna's pruner; a study that does not prune gets NopPruner. Epochs are the
    steps: a run reports its metric after each."""
    pruning = spec.pruning
    if not pruning:
        return optuna.pruners.NopPruner()
    k = pruning["min_epochs"]
    if pruning["method"] == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=k)
    if pruning["method"] == "hyperband":
        epochs = load_config(spec.config, spec.overrides).train.epochs
        return optuna.pruners.HyperbandPruner(min_resource=k, max_resource=max(epochs, k), reduction_factor=3)
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=k, reduction_factor=3)


def sampler(optuna, spec: SweepSpec, number: int):
    """The sampler asking trial `number`, seeded by the search's seed and the number: the same
    history gives the same trial, resumed or not."""
    seed = (spec.seed * 1_000_003 + number) % 2**32
    if spec.search["method"] == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():  # constant_liar is marked experimental
        warnings.simplefilter("ignore")
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


# -- the search: trials asked, reported, told -------------------------------------------------------


@dataclass
class Task:
    """One run of a trial: its point, and whether it reports its epochs to the study (a trial's
    first seed does; the others run after it, to the end)."""

    point: Point
    number: int
    reports: bool


@dataclass
class Running:
    """A trial being run: its Optuna trial, its points (one per seed) and their metrics so far."""

    trial: Any
    points: list[Point]
    epochs: int  # its runs' train.epochs: a run that reached it is not pruned (it has run its course)
    values: list[float] = field(default_factory=list)
    reported: set[int] = field(default_factory=set)  # epochs the study holds a value of


class Search:
    """The parent's side of a search: asks the study for trials, turns each into points of the
    sweep (`Sweep.add`), answers the workers' per-epoch reports (prune or not) and tells the
    study each trial's value as its runs finish. `study_seconds` counts the time spent in the
    study (ask, report, should_prune, tell and their persistence)."""

    def __init__(self, optuna, spec: SweepSpec, sweep: Sweep, study, *, trials: int, timeout: float | None,
                 shared: bool = False):
        self.optuna, self.spec, self.sweep, self.study = optuna, spec, sweep, study
        # a study in a database (--storage) may be shared by clients each with its own folder: a
        # trial names the folder whose runs are its, and a client resumes only its own
        self.owner = str(sweep.folder.resolve()) if shared else None
        self.trials, self.timeout, self.started = trials, timeout, time.monotonic()
        self.metric = spec.search["metric"]
        self.running: dict[int, Running] = {}
        self.asked = 0  # trials asked by this process
        self.study_seconds = 0.0

    def points_of(self, number: int, params: dict[str, Any]) -> list[Point]:
        """A trial's points: its settings at each seed, named trialNNNN (and -seedS with several seeds)."""
        settings = settings_of(params, self.spec.random)
        seeds = self.spec.seeds
        if not seeds:
            return [Point(f"trial{number:04d}", settings)]
        return [Point(f"trial{number:04d}" + (f"-seed{s}" if len(seeds) > 1 else ""), {**settings, "seed": s})
                for s in seeds]

    def resume(self) -> list[Task]:
        """The study's trials so far: those finished become rows again (read from their run
        directories); those cut off (still running in the study) are the first tasks, each to go
        on from its runs' saved state."""
        tasks = []
        State = self.optuna.trial.TrialState
        for frozen in self.study.get_trials(deepcopy=False):
            if frozen.user_attrs.get("folder") != self.owner:  # another client's (in a shared database)
                continue
            points = self.points_of(frozen.number, frozen.params)
            self.sweep.add(points)
            if frozen.state == State.RUNNING:
                trial = self.optuna.trial.Trial(self.study, frozen._trial_id)
                self.running[frozen.number] = Running(trial, points, self.epochs_of(points[0]),
                                                      reported=set(frozen.intermediate_values))
                tasks.append(self.next_task(frozen.number))
        return tasks

    def epochs_of(self, point: Point) -> int:
        """The epochs a point's run trains at most (train.epochs may be searched too)."""
        return load_config(self.spec.config, [*self.spec.overrides, *point.overrides]).train.epochs

    def next_task(self, number: int) -> Task | None:
        """The trial's next run not finished yet (those finished count their value), or None."""
        running = self.running[number]
        while len(running.values) < len(running.points):
            point = running.points[len(running.values)]
            row = self.sweep.rows[point.name]
            if row["status"] == "pruned":  # pruned, then cut off before the study was told: tell it now
                self.tell(number, "pruned")
                return None
            if row["status"] not in FINISHED:
                return Task(point, number, reports=not running.values)
            running.values.append(self.value_of(row))
        self.tell(number)
        return None

    def can_ask(self) -> bool:
        """Whether to ask another trial: the study holds fewer than `trials`, and time is left."""
        if self.timeout is not None and time.monotonic() - self.started > self.timeout:
            return False
        started = time.perf_counter()
        more = len(self.study.get_trials(deepcopy=False)) < self.trials
        self.study_seconds += time.perf_counter() - started
        return more

    def ask(self) -> Task:
        """A new trial from the study: its points added to the sweep, its first run's task."""
        started = time.perf_counter()
        number = len(self.study.get_trials(deepcopy=False))
        self.study.sampler = sampler(self.optuna, self.spec, number)
        trial = self.study.ask()
        params = parameters(trial, self.spec.random)
        if self.owner is not None:
            trial.set_user_attr("folder", self.owner)
        self.study_seconds += time.perf_counter() - started
        points = self.points_of(trial.number, params)
        self.sweep.add(points)
        self.running[trial.number] = Running(trial, points, self.epochs_of(points[0]))
        self.asked += 1
        return self.next_task(trial.number)

    def report(self, number: int, epoch: int, value: float | None) -> bool:
        """A worker's metric after `epoch` of trial `number`'s first run: whether to stop it."""
        if value is None or not self.spec.pruning:
            return False
        started = time.perf_counter()
        running = self.running[number]
        if epoch not in running.reported:  # a resumed run goes over epochs reported before it was cut off
            running.trial.report(value, epoch)
            running.reported.add(epoch)
        prune = epoch < running.epochs and running.trial.should_prune()  # at the last epoch the run is done
        self.study_seconds += time.perf_counter() - started
        return prune

    def done(self, task: Task, row: dict[str, Any]) -> Task | None:
        """A run's result: recorded in the sweep; the study told when its trial is over (pruned,
        failed, or every seed's run finished). Returns the trial's next run, if any."""
        self.sweep.finish(task.point, row)
        running = self.running[task.number]
        status = row.get("status")
        if status == "pruned" or status not in FINISHED:
            self.tell(task.number, "pruned" if status == "pruned" else "failed")
            return None
        running.values.append(self.value_of(row))
        return self.next_task(task.number)

    def value_of(self, row: dict[str, Any]) -> float:
        value = row.get(f"final.{self.metric}")
        return float(value) if value is not None else math.nan

    def tell(self, number: int, outcome: str = "complete") -> None:
        """Tell the study how trial `number` ended: its value (the mean over its seeds' runs),
        pruned (at its last reported value), or failed."""
        running = self.running.pop(number)
        State = self.optuna.trial.TrialState
        started = time.perf_counter()
        if outcome == "pruned":
            self.study.tell(running.trial, state=State.PRUNED)
        elif outcome == "failed" or not all(math.isfinite(v) for v in running.values):
            self.study.tell(running.trial, state=State.FAIL)
        else:
            self.study.tell(running.trial, sum(running.values) / len(running.values))
        self.study_seconds += time.perf_counter() - started

    def write_best(self) -> Path | None:
        """best.yaml: the config of the best trial's run (its first seed's), with a comment naming
        it; `nnctl train SWEEP/best.yaml` trains it. None while no trial has completed. In a study
        shared through --storage, the best of this folder's trials (the others' runs are elsewhere)."""
        State = self.optuna.trial.TrialState
        completed = [t for t in self.study.get_trials(deepcopy=False) if t.state == State.COMPLETE
                     and t.user_attrs.get("folder") == self.owner]  # this folder's (a shared study holds others')
        if not completed:
            return None
        best = (min if self.spec.search["direction"] == "minimize" else max)(completed, key=lambda t: t.value)
        point = self.points_of(best.number, best.params)[0]
        config = read_text(self.sweep.run_dir(point) / "config.yaml", limit=MAX_CONFIG_BYTES, what="config")
        head = (f"# The best trial of this search: trial {best.number}, {self.metric} {best.value:.6g} "
                f"({self.spec.search['direction']}), run {RUNS}/{point.name}.\n"
                f"# Train it again: nnctl train {self.sweep.folder / BEST}\n")
        path = self.sweep.folder / BEST
        write_text(path, head + config)
        return path
