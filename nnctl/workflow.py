"""What each command does (layer 6), composed from the library: train into a run directory, or
go on with one, and draw its pictures; redraw a run's pictures; run a sweep. Importable, so
scripts get the CLI's behaviour without it; the CLI parses, calls one of these, prints."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from nnctl import (
    lockstep,
    notebook,
    sweeps,  # its modules load when a sweep is asked for: `nnctl train` starts without them
)
from nnctl.config import blame, load_config, shown
from nnctl.console import EpochReporter, FrameReporter, SweepReporter, in_words
from nnctl.data import MAX_CSV_BYTES, Dataset, Table, array_table, read_dataset, read_table
from nnctl.errors import NnctlError
from nnctl.files import FolderLock, out_folder, read_json, read_text, read_yaml, regular_file, write_text
from nnctl.pictures import PICTURES, Progress, applicable, check_picture_options, default_pictures
from nnctl.runs import RESUME_FILE, changed_setting, claim_run_dir, load_run, load_state, new_run_dir, written_run
from nnctl.trained import TrainedRun, draw_evaluation, predicted_columns, predictions_csv
from nnctl.trained import load_run as load_trained
from nnctl.training import EpochCallback, Loop, Pruned, TrainResult, fit, prepare
from nnctl.vocabulary import FINISHED


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM that ended a command where training's own handling does not reach
    (which stops after a batch, resumably); `during` says what it stopped and what is left, to
    print after "interrupted while": "loading the data; nothing was written", "training", …"""

    def __init__(self, during: str):
        super().__init__(during)
        self.during = during


@contextlib.contextmanager
def stage(during: str):
    """Label a KeyboardInterrupt raised inside with what it stopped (see Interrupted)."""
    try:
        yield
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(during) from None


LOADING = "loading the data; nothing was written"


def train_and_draw(
    config: Path | None,
    overrides: list[str],
    *,
    run_dir: Path | None = None,
    name: str | None = None,
    overwrite: bool = False,
    resume: Path | None = None,
    quiet: bool = False,
    watch: Callable[[Loop, Path], Any] | None = None,
) -> TrainResult:
    """`nnctl train`: train CONFIG (with its --set overrides and --name) into a new run directory
    (`run_dir`, or one under output.dir), or go on with the run directory `resume`; then draw
    the pictures output.plots asks for. Progress goes to stderr unless quiet; Ctrl-C and SIGTERM
    stop training after the current batch, resumably. watch (--watch): given the loop and the
    run directory, returns a publisher (nnctl.watch.LiveWatch): called with every metrics row,
    then `finish(summary)`."""
    if resume is not None:
        given = [flag for flag, value in (("CONFIG", config), ("--set", overrides), ("--run-dir", run_dir),
                                          ("--name", name), ("--overwrite", overwrite)) if value]
        if given:
            raise NnctlError(f"--resume goes on with the run's own config and folder; drop {', '.join(given)}")
        loop, path = prepare_resume(resume)
    elif config is None:
        raise NnctlError("give a config (nnctl train configs/moons.yaml) or --resume RUN_DIR")
    else:
        named = load_config(config, overrides, name=name)
        loop, path = prepare_new(named, run_dir=run_dir, overwrite=overwrite)
    publisher = watch(loop, path) if watch is not None else None
    with stage("training"), EpochReporter(loop.config.train.epochs, quiet=quiet) as reporter:
        on_epoch = reporter if publisher is None else (lambda row: (reporter(row), publisher(row)))
        result = fit(loop, path, on_epoch=on_epoch, resume=resume is not None, handle_signals=True)
    if publisher is not None:
        publisher.finish(result.summary)
    with FrameReporter(quiet=quiet) as frames:
        draw_pictures(trained_run(result, resumed=resume is not None), progress=frames)
    return result


def train_run(
    config,
    *,
    run_dir: Path | None = None,
    overwrite: bool = False,
    on_epoch: EpochCallback | None = None,
    handle_signals: bool = False,
) -> TrainResult:
    """`nnctl train` up to the pictures: validate, pick the run directory, train.
    handle_signals: Ctrl-C and SIGTERM stop after the current batch (see `training.fit`)."""
    loop, path = prepare_new(config, run_dir=run_dir, overwrite=overwrite)
    with stage("training"):
        return fit(loop, path, on_epoch=on_epoch, handle_signals=handle_signals)


def resume_run(run_dir: Path, *, on_epoch: EpochCallback | None = None, handle_signals: bool = False) -> TrainResult:
    """`nnctl train --resume RUN_DIR` up to the pictures (see `prepare_resume`). on_epoch gets
    the saved state's last row first, when it ended an epoch: a search's study may not have
    heard it (a run cut while the parent was deciding), and may stop the run there (Pruned)."""
    loop, path = prepare_resume(run_dir)
    if on_epoch is not None and loop.state.history and loop.state.batch == 0:
        try:
            on_epoch(loop.state.history[-1])
        except Pruned:
            loop.stop_requested, loop.stop_status = True, "pruned"  # ends before the next epoch starts
    with stage("training"):
        return fit(loop, path, on_epoch=on_epoch, resume=True, handle_signals=handle_signals)


def prepare_new(config, *, run_dir: Path | None = None, overwrite: bool = False) -> tuple[Loop, Path]:
    """A loop ready to train a config (a Config, a dict or a YAML path) and the run directory
    claimed for it: `run_dir`, or a new one under output.dir. Every refusal comes before a
    folder is made."""
    with stage(LOADING):
        loop = prepare(config)
    check_pictures(loop.config, loop.dataset)
    with stage("training"):
        if run_dir is not None:
            return loop, claim_run_dir(Path(run_dir), overwrite=overwrite)
        with blame(loop.config):
            return loop, new_run_dir(Path(loop.config.output.dir), loop.config.name)


def prepare_resume(run_dir: Path) -> tuple[Loop, Path]:
    """A loop that goes on with an interrupted (or killed) run from its last resume state (from
    the start when it has none), with the config and data it was started with, to the weights
    an uninterrupted run would have reached; and the run directory."""

    path = Path(run_dir)
    if not (path / "config.yaml").is_file() or not (path / "data.npz").is_file():
        raise NnctlError(f"{path}: not a run directory to resume (it needs config.yaml and data.npz)")
    status = read_json(path / "summary.json").get("status") if (path / "summary.json").is_file() else None
    if status in FINISHED:
        raise NnctlError(f"{path}: this run has already {in_words(status)}; there is nothing to resume")
    with stage(LOADING):
        loop = prepare(load_config(path / "config.yaml"))
        try:
            state = load_state(path / RESUME_FILE) if (path / RESUME_FILE).is_file() else None
        except NnctlError as e:
            raise NnctlError(f"{e}; delete it to resume from the run's start") from None
        saved = read_dataset(path / "data.npz")
    check_unchanged(path, loop, state[1] if state else None, saved)
    if state:
        try:
            loop.state.restore(*state)
        except NnctlError as e:
            raise NnctlError(f"{path / RESUME_FILE}: {e}") from None
    return loop, path


def check_unchanged(path: Path, loop: Loop, facts: dict | None, saved: Dataset) -> None:
    """Refuse to resume when config.yaml was edited since the resume state was saved (facts: the
    state's, which record the config since issue 12) or the config now makes other data than
    the run's data.npz (`saved`) holds."""
    if facts and isinstance(facts.get("config"), dict):
        # the current config as the facts hold it: through JSON
        change = changed_setting(facts["config"], json.loads(json.dumps(loop.config.to_dict())))
        if change:
            key, before, now = change
            raise NnctlError(f"{path / 'config.yaml'}: {key} is {shown(now)}, but {path / RESUME_FILE} was saved "
                             f"with {shown(before)} (config.yaml was edited after the run started; put it back "
                             "to resume)")
    made = loop.dataset
    if any(not np.array_equal(getattr(saved, k), getattr(made, k)) for k in ("X_train", "y_train", "X_val", "y_val")):
        raise NnctlError(f"{path / 'data.npz'}: the config now makes other data than the run trained on "
                         "(a CSV file changed?); it cannot be resumed")


def draw_pictures(run, progress: Progress | None = None) -> list[Path]:
    """The pictures `output.plots` asks of a run just trained (a `runs.Run`, as `trained_run`
    gives it), those it can have: a run that stopped early (early stopping, divergence, a
    signal) may have too few checkpoints for the animation."""
    fits = applicable(run.dataset, run.config, run.path)
    names = [name for name in picture_names(run.config, run.dataset) if name in fits]
    with stage(f"drawing the pictures; `nnctl plot {run.path}` draws them"):
        return draw_run(run, names, progress=progress) if names else []


def trained_run(result: TrainResult, *, resumed: bool = False):
    """The run `result` wrote, as `load_run` reads it: from memory (`runs.written_run`), or,
    when it was resumed, read back: its data were made again from its config, and data.npz may
    describe them otherwise (the units of standardised columns)."""
    if resumed:
        return load_run(result.run_dir)
    return written_run(result.run_dir, result.config, result.dataset, result.model)


def draw_run(run, names: list[str], *, fmt: str = "png", dpi: int = 110, folder: Path | None = None,
             progress: Progress | None = None) -> list[Path]:
    """The pictures `names` of a `runs.Run`, into `folder` (default: its directory); the
    animation is always a GIF. Returns the paths written."""
    paths = picture_paths(names, fmt, run.path if folder is None else folder)
    return [PICTURES[name].draw(run, path, dpi=dpi, progress=progress) for name, path in zip(names, paths, strict=True)]


def picture_paths(names: list[str], fmt: str, folder: Path) -> list[Path]:
    """Where the pictures `names` go in `folder`: NAME.fmt, the animation NAME.gif."""
    return [folder / f"{name}.{'gif' if name == 'animation' else fmt}" for name in names]


def check_pictures(config, dataset) -> None:
    """Refuse, before training, an output.plots picture this run cannot have."""
    fits = applicable(dataset, config)
    for name in picture_names(config, dataset):
        if name not in fits:
            raise NnctlError(f"output.plots: no {name} picture for this run ({PICTURES[name].doc}; "
                             f"it can have: {', '.join(fits)})")


def picture_names(config, dataset) -> list[str]:
    """output.plots, with `auto` meaning the defaults of `pictures.default_pictures`."""
    if config.output.plots != "auto":
        return list(config.output.plots)
    return default_pictures(dataset, config)


def plot_run(
    run_dir: Path | str, only: list[str] | None = None, *, fmt: str = "png", dpi: int = 110,
    out: Path | None = None, overwrite: bool = False, progress: Progress | None = None,
) -> list[Path]:
    """Draw a run's pictures from its files (by default every one that fits the run); returns
    the paths written. The animation is always a GIF. In the run directory the pictures replace
    its own; in another folder (`out`) an existing file of the same name is replaced only with
    `overwrite`."""

    check_picture_options(fmt, dpi)
    if (Path(run_dir) / sweeps.results.SWEEP_YAML).is_file():
        if out is not None or only is not None or fmt != "png":
            raise NnctlError(f"{run_dir}: is a sweep folder, whose pictures are drawn in it as PNG; "
                             "--out, --only and --image-format apply to a run directory")
        with FolderLock(Path(run_dir), str(run_dir), sweeps.results.LOCK):  # not while a sweep writes there
            return draw_sweep(Path(run_dir))
    run = load_run(Path(run_dir))
    fits = applicable(run.dataset, run.config, run.path)
    names = fits if only is None else only
    for name in names:
        if name not in PICTURES:
            raise NnctlError(f"--only: unknown {name!r} (choose from: {', '.join(PICTURES)})")
        if name not in fits:
            raise NnctlError(f"{run.path}: no {name} picture for this run ({PICTURES[name].doc}; "
                             f"this run has: {', '.join(fits)})")
    folder = out_folder(out if out is not None else run.path)
    if out is not None and not overwrite and folder.resolve() != run.path.resolve():
        taken = [p for p in picture_paths(names, fmt, folder) if p.exists() or p.is_symlink()]
        if taken:  # checked before any is drawn: all or nothing
            raise NnctlError(f"--out {folder}: {taken[0].name} exists (pass --overwrite to replace it)")
    return draw_run(run, names, fmt=fmt, dpi=dpi, folder=folder, progress=progress)


def run_sweep(source, grid: list[str], seeds: str | None, overrides: list[str], *, jobs: int | None = None,
              out: Path | None = None, scheduler: str | None = None, reporter=None,
              search: dict[str, Any] | None = None, storage: str | None = None):
    """`nnctl sweep`: build the spec (a sweep file, or a config with --grid/--seeds), prepare
    the folder (skipping finished points), run the rest on at most `jobs` workers (default: the
    cores), never more than points, then draw the sweep's pictures and report.html, all under
    the folder's lock."""
    if jobs is not None and jobs < 1:
        raise NnctlError(f"--jobs: must be ≥ 1, got {jobs}")
    source = Path(source)
    given = sweeps.spec.SweepSpec(config=source.resolve(), overrides=list(overrides),
                                  grid=sweeps.spec.parse_grids(grid),
                                  seeds=sweeps.spec.parse_seeds(seeds) if seeds else [], where="--grid/--seeds")
    sweeps.spec.swept_once("", given, sweeps.spec.COMMAND_PLACES)
    spec = sweeps.spec.load_sweep_file(source, given) if sweeps.spec.is_sweep_file(read_yaml(source)) else given
    if out is not None:
        folder, where = Path(out), sweeps.folder.named("--out", out)
    else:
        folder, where = sweeps.folder.default_folder(spec), None
    spec = sweeps.spec.with_search_options(spec, search or {})
    optuna = check_search(spec, storage)
    if spec.search:  # before the folder is opened: opening it rewrites results.csv
        sweeps.search.check_study_here(folder, storage)
    with sweeps.folder.Sweep(spec, folder, where=where) as sweep:
        todo = sweep.prepare()
        if scheduler is None:  # local workers fork from here: they start with the drawing modules loaded
            sweeps.pictures.preload_drawing()
        if spec.search:
            search_sweep(optuna, sweep, jobs=jobs or os.cpu_count() or 1, scheduler=scheduler, storage=storage,
                         reporter=reporter)
        else:
            if reporter is not None:
                reporter.start(sweep, len(todo))
            sweeps.workers.execute(sweep, todo, run_point, jobs=jobs or os.cpu_count() or 1, scheduler=scheduler,
                                   on_done=None if reporter is None else reporter.done, run_group=run_points)
        if reporter is not None:
            reporter.stop()
        draw_sweep(sweep.folder, sweep.drawn)
    return sweep


def python_sweep(config, grid: dict[str, list] | list[str] | None = None, *, seeds: list[int] | None = None,
                 overrides: list[str] = (), jobs: int | None = None, out: Path | str | None = None,
                 quiet: bool = False):
    """`nnctl.run_sweep(...)`: `nnctl sweep` from Python. config: a config or sweep file; grid:
    {key: [values]} (or --grid texts); seeds: a list; `quiet` silences the line per finished
    run. Returns the results (notebook.sweep_results): a pandas DataFrame when pandas is
    importable, else a list of records; in a notebook either shows its table and boundaries.png."""
    if isinstance(grid, dict):  # JSON is YAML's flow style: each value reads back as it was given
        grid = [f"{key}={','.join(json.dumps(v) for v in (values if isinstance(values, list | tuple) else [values]))}"
                for key, values in grid.items()]  # a single value is a list of one
    seed_text = None if seeds is None else ",".join(map(str, seeds))
    with SweepReporter(quiet=quiet) as reporter:
        sweep = run_sweep(config, list(grid or []), seed_text, list(overrides), jobs=jobs,
                          out=None if out is None else Path(out), reporter=reporter)
    return notebook.sweep_results(sweep.folder)


def check_search(spec, storage: str | None):
    """Before any folder is made: a search has its trials and Optuna, --storage goes with a
    search. Returns the optuna module for a search, else None."""
    if not spec.search:
        if storage is not None:
            raise NnctlError("--storage: holds a search's study; give a sweep file with search: (or --search tpe)")
        return None
    if spec.search["trials"] is None:
        raise NnctlError(f"{spec.where}: search.trials: is required (how many trials the study asks), "
                         "e.g. trials: 60, or --trials 60")
    metric, config = spec.search["metric"], load_config(spec.config, spec.overrides)
    if metric.startswith("val_") and config.data.validation_fraction == 0:
        raise NnctlError(f"{spec.where}: search.metric: {metric} needs validation data, and the config holds none "
                         "out (data.validation_fraction: 0); hold some out, or search a train_ metric")
    if spec.pruning and "train.epochs" not in spec.random and spec.pruning["min_epochs"] >= config.train.epochs:
        raise NnctlError(f"{spec.where}: pruning.min_epochs: {spec.pruning['min_epochs']} is not below train.epochs "
                         f"({config.train.epochs}), so no run could be pruned; lower it, or leave pruning out")
    optuna = sweeps.search.import_optuna()
    if storage is not None:  # opened once here, before any folder is made: a bad URL leaves nothing behind
        sweeps.search.rdb_storage(optuna, storage)
    return optuna


def search_sweep(optuna, sweep, *, jobs: int, scheduler: str | None, storage: str | None, reporter=None):
    """A sweep whose spec has search: its trials asked of the study, run `jobs` at a time, told;
    then best.yaml. Returns the `sweeps.search.Search`."""
    spec = sweep.spec
    if jobs > 1 and reporter is not None and not reporter.quiet:
        print(sweeps.search.MANY_JOBS, file=sys.stderr)
    study = sweeps.search.open_study(optuna, spec, sweep.folder, storage)
    search = sweeps.search.Search(optuna, spec, sweep, study, trials=spec.search["trials"],
                                  timeout=spec.search["timeout"], shared=storage is not None)
    if reporter is not None:  # counted in runs: a trial has one per seed (a pruned one, fewer)
        per_trial, asked = max(len(spec.seeds), 1), study.get_trials(deepcopy=False)
        ended = sum(t.state.is_finished() for t in asked)
        runs = max(spec.search["trials"], len(asked)) * per_trial
        reporter.start(SimpleNamespace(folder=sweep.folder, points=range(runs)), runs - ended * per_trial)
    try:
        sweeps.trials.run_search(search, run_point, jobs=jobs, scheduler=scheduler,
                                 on_done=None if reporter is None else reporter.done)
    finally:
        search.write_best()
    return search


def run_point(config_path: str, overrides: list[str], run_dir: str, on_epoch: EpochCallback | None = None
              ) -> dict[str, Any]:
    """One point of a sweep, in a worker process (local pool or dask; `sweeps.workers.execute`
    calls it): train it into run_dir, or go on from the resume state an earlier sweep left there,
    and draw its pictures; returns its results.csv values. Never raises, so a sweep goes on.
    on_epoch: gets every metrics row (a search's worker reports it to the study, and may stop the
    run by raising training.Pruned)."""
    def trained() -> dict[str, Any]:
        resumed = (Path(run_dir) / RESUME_FILE).is_file()
        if resumed:  # cut off in an earlier sweep: go on from its state
            result = resume_run(Path(run_dir), on_epoch=on_epoch)
        else:
            result = train_run(load_config(config_path, overrides), run_dir=Path(run_dir), overwrite=True,
                               on_epoch=on_epoch)
        return _finished(result, resumed)
    return _row(trained)


def run_points(calls: list[tuple[str, list[str], str]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Points of one kin in a sweep's worker (`sweeps.workers.next_task`), each as `run_point`'s
    arguments: those that stack trained together (`lockstep.partition`, `lockstep.fit_together`:
    the bits each gets alone, in less time), the rest one by one; each drawn as `run_point` draws
    it as soon as its training ends, and (its index in `calls`, its results.csv values) yielded
    then. A point that cannot be prepared, or was cut off in an earlier sweep (resumed), goes
    through `run_point`; once the first point's training set shows that the group's would not
    fit in memory together (`lockstep.fits`), the rest are neither prepared nor held at once.
    Never raises."""
    prepared: dict[int, tuple[Loop, Path]] = {}
    for k, (config_path, overrides, run_dir) in enumerate(calls):
        if prepared and not lockstep.fits(next(iter(prepared.values()))[0], len(calls)):
            break
        if (Path(run_dir) / RESUME_FILE).is_file():
            continue
        try:
            prepared[k] = prepare_new(load_config(config_path, overrides), run_dir=Path(run_dir), overwrite=True)
        except Exception:  # noqa: BLE001  its run_point says what is wrong
            continue
    order = list(prepared)
    groups = [[order[j] for j in group] for group in lockstep.partition([prepared[k][0] for k in order])]
    for group in groups:
        if len(group) == 1:
            loop, path = prepared.pop(group[0])
            yield group[0], _row(lambda loop=loop, path=path: _finished(fit(loop, path)))
            continue
        loops, paths = zip(*(prepared.pop(k) for k in group), strict=True)
        ended = set()
        try:
            with stage("training"):
                for j, result in lockstep.fit_together(loops, paths):
                    ended.add(j)
                    yield group[j], _row(lambda result=result: _finished(result)) \
                        if isinstance(result, TrainResult) else _failed(result)
        except Exception as e:  # a bug before its runs could say so: their rows do
            for j in sorted(set(range(len(group))) - ended):
                yield group[j], _failed(e)
    done = {k for group in groups for k in group}
    for k, args in enumerate(calls):
        if k not in done:
            yield k, run_point(*args)


def _finished(result: TrainResult, resumed: bool = False) -> dict[str, Any]:
    """A sweep's run trained: its pictures drawn, its results.csv values (and what it drew for
    the sweep's end, `_drawn`)."""
    run = trained_run(result, resumed=resumed)
    draw_pictures(run)
    return {**sweeps.results.record(result.summary), **_drawn(run)}


def _row(make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`make()`, or the row of a run that failed, saying why: a sweep goes on."""
    try:
        return make()
    except Exception as e:  # noqa: BLE001  NnctlError, or a bug: it must not stop the other 299 runs
        return _failed(e)


def _failed(e: BaseException) -> dict[str, Any]:
    return {"status": "failed", "error": str(e) if isinstance(e, NnctlError) else f"{type(e).__name__}: {e}"}


def _drawn(run) -> dict[str, Any]:
    """What a sweep's worker draws of its run for the sweep's end, from the run at hand
    (`sweeps.pictures.Drawn`: report.html's thumbnails, boundaries.png's sketch): the end then
    reads no run back but to draw its boundaries.png panel; as the row's DRAWN. Nothing if
    drawing them fails: the run trained, and the end's own attempt will say what is wrong."""
    try:
        return {sweeps.results.DRAWN: sweeps.pictures.drawn_of(run, sweeps.report.THUMB_WIDTH)}
    except Exception:
        return {}


def draw_sweep(folder: Path, drawn: dict[Path, Any] | None = None) -> list[Path]:
    """sweep.png, boundaries.png (when the runs have boundaries), search.png (a search's) and
    report.html. What the workers drew already (`drawn`: {run folder: sweeps.pictures.Drawn})
    is not drawn again; the thumbnails they did not draw are drawn by other processes meanwhile,
    or else boundaries.png's panels are."""
    drawn = drawn or {}
    thumbnails = {folder: d.thumbnails for folder, d in drawn.items() if d.thumbnails is not None}
    with sweeps.report.drawing_thumbnails(folder, thumbnails) as (drawing, busy):
        pictures = [*sweeps.pictures.draw_sweep_pictures(folder, drawn=drawn, forked=not busy),
                    *sweeps.pictures.draw_search_picture(folder)]
        return [*pictures, sweeps.report.write_report(folder, drawing)]


def predict_file(run_dir: Path | str, source: str, *, out: Path | None = None, proba: bool = False,
                 checkpoint: int | None = None, overwrite: bool = False, stdin=None) -> str:
    """`nnctl predict`: the rows of `source` (a CSV with a header, a .npy array, or "-": a CSV on
    `stdin`) with the run's predictions added, as CSV text; with `out`, written there instead
    (and "" returned). Everything is checked before anything is written."""
    if out is not None and (Path(out).exists() or Path(out).is_symlink()) and not overwrite:
        raise NnctlError(f"--out {out}: exists (pass --overwrite to replace it)")
    run = load_trained(run_dir, checkpoint)
    table = read_input(source, run, stdin)
    text = predictions_csv(table, predicted_columns(run, table, proba=proba))
    warn_unseen(run, table)
    if out is None:
        return text
    write_text(Path(out), text)
    return ""


def read_input(source: str, run: TrainedRun, stdin=None) -> Table:
    """INPUT of `nnctl predict` and `nnctl evaluate` as a Table: "-" a CSV on stdin, *.npy an
    array of the run's features (no pickles; not for a run with text columns), anything else a
    CSV file with a header. The run's number columns are parsed as numbers (by NumPy's reader in
    a plain file); every other column keeps its cells as written."""
    pre = run.preprocessing
    numbers = [name for name in pre.raw_columns if name not in pre.text_columns]
    if source == "-":
        text = stdin.read(MAX_CSV_BYTES + 1)
        if len(text) > MAX_CSV_BYTES:
            raise NnctlError(f"stdin: more than {MAX_CSV_BYTES:,} characters (give a file)")
        return read_table(text, "stdin", numbers=numbers)
    if source.endswith(".npy"):
        if pre.text_columns:
            raise NnctlError(f"{source}: a .npy array holds numbers, but the run's column "
                             f"{pre.text_columns[0]!r} is text (give a CSV with a header)")
        try:  # mapped, not read: the rows are taken a chunk at a time
            A = np.load(regular_file(source, ".npy file"), mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError):  # ValueError: objects, or a pickle; EOFError: empty
            raise NnctlError(f"{source}: cannot read as a .npy array of numbers (save one with numpy.save)") from None
        return array_table(A, pre.raw_columns, source)
    return read_table(read_text(source, limit=MAX_CSV_BYTES, what="CSV file"), source, numbers=numbers)


def warn_unseen(run: TrainedRun, table: Table) -> None:
    """One warning line on stderr when rows of `table` hold a category the run never saw (they
    were encoded as all zeros; see data.Preprocessing)."""
    warning = run.preprocessing.unseen(table)
    if warning:
        print(warning, file=sys.stderr)


def evaluate_file(run_dir: Path | str, source: str | None = None, *, out: Path | None = None,
                  overwrite: bool = False, stdin=None) -> tuple[dict[str, Any], list[Path]]:
    """`nnctl evaluate`: the run's scores on `source` (a CSV with the target column, or "-" for
    one on stdin) or on its own validation split, and with `out` confusion.png or fit.png of
    that data drawn there. Returns (report, pictures written)."""
    run = load_trained(run_dir)
    if source is None:
        label, data = "validation split", run.evaluation_data()
    else:
        table = read_input(source, run, stdin)
        target = run.target_column(table)
        label, data = table.where, run.evaluation_data(table, table.columns[target], table.where, target)
        warn_unseen(run, table)
    report = {"run": str(run.path), "data": label, **run.scores(*data)}
    if out is None:
        return report, []
    picture = Path(out) / ("confusion.png" if run.task == "classification" else "fit.png")
    if picture.exists() and not overwrite:
        raise NnctlError(f"--out {out}: {picture.name} exists (pass --overwrite to replace it)")
    return report, draw_evaluation(run, data, label, out_folder(out))
