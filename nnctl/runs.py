"""Run directories (layer 3): creating them without collisions, writing their files atomically, and
reading them back.

A run directory holds config.yaml, metrics.csv, summary.json, model.npz, data.npz and
checkpoints/epoch-NNNN.npz (see DESIGN.md). Every file is written to a temporary name in the
same folder and renamed into place, so a crash leaves the old file or the new one, never half.
The words those files use (statuses, metric names) are defined in `nnctl.vocabulary`.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from nnctl.assemble import build_for, trained_model
from nnctl.config import load_config
from nnctl.data import Dataset, check_fits_config, read_dataset, save_dataset
from nnctl.errors import NnctlError
from nnctl.files import (
    atomic_write,
    inventoried,
    load_npz,
    os_reason,
    read_json,
    read_metrics,
    rows_csv,
    save_npz,
    temporary_of,
    write_json,
    write_text,
)
from nnctl.nn.network import Model
from nnctl.vocabulary import METRICS, PICTURE_FORMATS, PICTURE_NAMES

Array = np.ndarray

# The inventory: every entry nnctl may write in a run directory. `--overwrite` removes these and
# nothing else, and refuses a folder holding anything not listed (hidden entries and links too).
PICTURE_EXTENSIONS = (*(suffix.lstrip(".") for suffix in PICTURE_FORMATS), "gif")  # png, svg, pdf; the animation's gif
MOVED_FILES = ("moved.npz", "moved.png", "moved.gif")  # `nnctl move-data` (nnctl.move_data)
LIVE_FILE = "live.json"  # `nnctl train --watch`: what the watch page shows, rewritten about once a second (nnctl.watch)
RUN_FILES = frozenset(
    {"config.yaml", "metrics.csv", "layers.csv", "summary.json", "model.npz", "data.npz", "resume.npz", LIVE_FILE}
    | {f"{name}.{fmt}" for name in PICTURE_NAMES for fmt in PICTURE_EXTENSIONS}
    | set(MOVED_FILES)
)
CHECKPOINTS = "checkpoints"  # a folder of epoch-NNNN.npz files only
_CHECKPOINT = re.compile(r"epoch-[0-9]{4,}\.npz")


def metrics_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text; columns are METRICS' order, those with no value in any row dropped."""
    return rows_csv(rows, [c for c in METRICS if any(row.get(c) is not None for row in rows)])


def new_run_dir(output_dir: Path, name: str) -> Path:
    """output_dir/NAME-YYYYmmdd-HHMMSS, with -2, -3, … appended until the name is free.

    mkdir is atomic, so two processes started in the same second get different folders.
    """
    stem = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for k in range(1, 10_000):
            path = output_dir / (stem if k == 1 else f"{stem}-{k}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except (OSError, ValueError) as e:
        raise NnctlError(f"output.dir: {output_dir}: cannot create the run directory ({os_reason(e)})") from None
    raise NnctlError(f"output.dir: {output_dir}: could not find a free run name for {stem}")


def claim_run_dir(path: Path, *, overwrite: bool) -> Path:
    """Use `path` as a run directory: it must be new or empty, or, with overwrite, a run
    directory, whose inventoried files are then removed one by one (see `foreign_entry`).
    Nothing else is ever deleted, and no link is followed."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as e:
        raise NnctlError(f"--run-dir {path}: cannot use it ({os_reason(e)})") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise NnctlError(f"--run-dir {path}: is a symbolic link; give the folder itself")
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise NnctlError(f"{path}: exists and is not a folder")
    if info is not None and any(path.iterdir()):
        if not overwrite:
            raise NnctlError(f"{path}: run directory exists and is not empty (pass --overwrite to replace it)")
        _check_replaceable(path)
        _remove_run_files(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:
        raise NnctlError(f"--run-dir {path}: cannot create the run directory ({os_reason(e)})") from None
    return path


def foreign_entry(path: Path) -> str | None:
    """The first entry of the folder `path` (sorted; hidden ones and those inside checkpoints/
    included) that nnctl does not write in a run directory, or None when every one is its own:
    a regular file of RUN_FILES, the folder checkpoints/ of epoch-NNNN.npz files, or a temporary
    file of one of them. A link is never nnctl's."""
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if entry.is_symlink():
            return entry.name
        if entry.name == CHECKPOINTS and entry.is_dir(follow_symlinks=False):
            for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if not (inner.is_file(follow_symlinks=False) and (_CHECKPOINT.fullmatch(inner.name)
                        or _CHECKPOINT.fullmatch(temporary_of(inner.name) or ""))):
                    return f"{CHECKPOINTS}/{inner.name}"
        elif not inventoried(entry, RUN_FILES):
            return entry.name
    return None


def _check_replaceable(path: Path) -> None:
    """--overwrite replaces a run directory, never a folder that holds anything else."""
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise NnctlError(f"{path}: is the current folder or contains it; --overwrite will not remove it")
    foreign = foreign_entry(path)
    if foreign is not None:
        raise NnctlError(f"{path}: not a run directory (it holds {foreign}); --overwrite only replaces run directories")
    if not _killed_claiming(path) and not _is_nnctl_config(path / "config.yaml"):
        raise NnctlError(f"{path}: not a run directory (its config.yaml is not an nnctl config); "
                         "--overwrite only replaces run directories")


def _killed_claiming(path: Path) -> bool:
    """Whether the run directory `path` is one a run was killed in while writing its config.yaml:
    temporary files alone, or with the empty config.yaml the exclusive write claims the name
    with before it renames its temporary file onto it (`files.atomic_write`)."""
    names = os.listdir(path)
    claimed = path / "config.yaml"
    return all(temporary_of(name) for name in names if name != "config.yaml") and (
        "config.yaml" not in names or (claimed.stat().st_size == 0 and "config.yaml" in map(temporary_of, names)))


def _is_nnctl_config(path: Path) -> bool:
    """Whether `path` is a config nnctl reads: what makes a folder of run files provably a run's."""
    try:
        load_config(path)
    except NnctlError:
        return False
    return True


def _remove_run_files(path: Path) -> None:
    """Unlink the run's files one by one (checked by `foreign_entry` just before), then the
    emptied checkpoints/; never a recursive delete."""
    checkpoints = path / CHECKPOINTS
    if checkpoints.is_dir() and not checkpoints.is_symlink():
        for entry in os.scandir(checkpoints):
            os.unlink(entry.path)
        checkpoints.rmdir()
    for entry in os.scandir(path):
        os.unlink(entry.path)


def frame_epochs(epochs: int, frames: int, spacing: str = "log") -> list[int]:
    """The epochs an animation of `frames` frames shows, from 0 to `epochs`, all different.

    log: frame i at (epochs + 1)^(i / (frames - 1)) - 1, a constant ratio between neighbours
    (0, 1, 2, 4, 7, 12, 21, ... for 20 frames of 20 000 epochs), so each frame shows about as
    much change as the next when the loss falls like a power of the epoch, as it mostly does;
    early: quadratically spaced (frame 10 of 20 is already epoch 5 540 of 20 000); even: equally
    spaced. Fewer than `frames` when the run has fewer epochs. In exact arithmetic (integers;
    decimals as long as the epoch count for log), so that any whole number of epochs, 10**30
    too, gets its frames.
    """
    if frames <= 0:
        return []
    if frames >= epochs + 1:
        return list(range(epochs + 1))
    if frames == 1:
        return [0]
    last = frames - 1
    if spacing == "log":
        raw = _log_spaced(epochs, frames)
    else:  # frame i at epochs·(i/last)² (early) or epochs·i/last (even), rounded
        raw = [round(Fraction(epochs * (i * i if spacing == "early" else i * last), last * last))
               for i in range(frames)]
    # rounding merges neighbours near 0: push each up to one past the previous, keeping the last
    out = [max(e, i) for i, e in enumerate(raw)]
    for i in range(frames - 2, -1, -1):
        out[i] = min(out[i], out[i + 1] - 1)
    return out


def _log_spaced(epochs: int, frames: int) -> list[int]:
    """round((epochs + 1)^(i / (frames - 1))) - 1 for i = 0 … frames - 1, the last exactly
    `epochs`: in decimals with as many digits as `epochs` has, and more, so 10**30 epochs
    neither overflows a float nor loses its last frames to rounding."""
    with localcontext() as context:
        context.prec = len(str(epochs)) + 12
        log_span = Decimal(epochs + 1).ln()
        raw = [int((log_span * i / (frames - 1)).exp().to_integral_value()) - 1 for i in range(frames)]
    return [*raw[:-1], epochs]


def checkpoint_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / "checkpoints" / f"epoch-{epoch:04d}.npz"


@dataclass
class Run:
    """A run directory read back: everything the pictures and `gradcheck` need."""

    path: Path
    config: Any  # nnctl.config.Config
    metrics: list[dict[str, Any]]
    summary: dict[str, Any]
    dataset: Any  # nnctl.data.Dataset
    model: Any  # nnctl.nn.network.Model

    def checkpoints(self) -> list[tuple[int, Path]]:
        """(epoch, path) of every checkpoint, oldest first; other files in checkpoints/ are not."""
        folder = self.path / "checkpoints"
        found = folder.glob("epoch-*.npz") if folder.is_dir() else []
        # by number: epoch-10000 comes after epoch-9999, which a sort by name gets wrong
        return sorted((int(p.stem[len("epoch-"):]), p) for p in found if p.stem[len("epoch-"):].isdecimal())


def load_run(path: Path, *, dtype=None) -> Run:
    """Read a run directory; a missing file, or one that does not agree with the others, is an
    NnctlError naming it. config.yaml is the reference: data.npz must hold the data set it
    describes, model.npz the network it and data.npz describe. The model is built in `dtype`
    (default: as trained) and the saved weights are copied into it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NnctlError(f"{path}: is a file, not a run directory (give the folder `nnctl train` wrote)")
    if not path.is_dir():
        raise NnctlError(f"{path}: not a run directory (no such folder)")
    missing = [name for name in ("config.yaml", "data.npz", "model.npz") if not (path / name).is_file()]
    if missing:
        raise NnctlError(f"{path}: not a run directory (missing {', '.join(missing)})")
    config = load_config(path / "config.yaml")
    dataset = read_dataset(path / "data.npz")
    check_fits_config(dataset, config.data.name, config.data.params, config.data.task, path / "data.npz",
                      config.data.features)
    model = trained_model(config, dataset, path / "model.npz", dtype=dtype, source=" of config.yaml and data.npz")
    return written_run(path, config, dataset, model)


def written_run(path: Path, config, dataset, model) -> Run:
    """The run just trained into `path`, as `load_run` reads it back, without reading back what
    is still in memory: its config, data and model as trained (config.yaml, data.npz and
    model.npz hold them), its metrics.csv and summary.json read (a millisecond; every picture
    then draws from the very values a redraw reads). Parsing the config and loading the arrays
    again cost a sweep's worker 7 ms a run. Not for a resumed run: its data were made again from
    the config, and data.npz may describe them otherwise (the units of standardised columns)."""
    path = Path(path)
    metrics = read_metrics(path / "metrics.csv") if (path / "metrics.csv").is_file() else []
    summary = read_json(path / "summary.json") if (path / "summary.json").is_file() else {}
    return Run(path, config, metrics, summary, dataset, model)


def load_source(source: Path | str, overrides=(), *, dtype=None) -> tuple[Model, Dataset]:
    """(model, dataset) of a config (its initial weights, `overrides` applied) or of a run
    directory (its trained weights; no overrides), the model in `dtype` (default: the config's,
    or as trained): what `nnctl gradcheck` and `nnctl explain` start from.

    Here and not in assemble, which builds both models: reading a run directory is this
    module's job, and assemble sits below it (load_run builds with it)."""
    source = Path(source)
    if source.is_dir():
        if overrides:
            raise NnctlError("--set: applies to a config, not to a run directory")
        run = load_run(source, dtype=dtype)
        return run.model, run.dataset
    extra = [] if dtype is None else [f"dtype={np.dtype(dtype).name}"]
    model, dataset, _ = build_for(load_config(source, [*overrides, *extra]))
    return model, dataset


class RunWriter:
    """Writes a run directory as training goes: config and data first, checkpoints on their
    epochs and resume.npz every RESUME_EVERY seconds, then weights, metrics and summary at the
    end (and resume.npz, when the run was interrupted, for `nnctl train --resume`).

    A write that fails (a full disk) is an NnctlError naming the file. Before training the
    writer takes back what it wrote, leaving the folder as it found it; during and after
    training `failed` marks the run (see `fail`), which keeps its last resume.npz."""

    def __init__(self, path: Path, config, dataset, *, resume: bool = False, clock: Callable[[], float] | None = None):
        # clock: the run's training seconds so far, for a run timed by another (nnctl.lockstep: its share)
        self.path, self.clock = path, clock
        self.every = config.train.checkpoint_every
        animation = config.output.animation
        self.frames = set(frame_epochs(config.train.epochs, animation.frames, animation.spacing))
        self.started = self.saved = time.monotonic()  # when training started, resume.npz was last written
        if not resume:
            _make_folder(path)
            try:  # config.yaml first and exclusively: of two processes given one folder, one writes it
                atomic_write(path / "config.yaml", lambda f: f.write(config.to_yaml()), exclusive=True)
            except FileExistsError:
                raise NnctlError(f"{path}: run directory exists and is not empty (another run is writing into "
                                 "it, or pass --overwrite to replace it)") from None
            try:
                save_dataset(path / "data.npz", dataset)
            except NnctlError:
                (path / "config.yaml").unlink(missing_ok=True)  # ours, a moment ago: no half a run is left
                raise
        if self.every or self.frames:
            _make_folder(path / CHECKPOINTS)

    def epoch(self, row: dict[str, Any], loop) -> None:
        """After each epoch: its checkpoint if one is due, and now and then the resume state."""
        epoch = row["epoch"]
        if (self.every and epoch % self.every == 0) or epoch in self.frames:
            save_npz(checkpoint_path(self.path, epoch), loop.model.network.params())
        if time.monotonic() - self.saved >= RESUME_EVERY:
            self.save_resume_state(loop)

    def save_resume_state(self, loop) -> None:
        seconds = loop.state.seconds_before + (self.clock() if self.clock else time.monotonic() - self.started)
        save_state(self.path / RESUME_FILE, *loop.state.snapshot(seconds))
        self.saved = time.monotonic()

    def finish(self, loop, summary: dict[str, Any]) -> None:
        """The final files. An interrupted run that stopped between two batches (on a signal)
        leaves its resume state; a finished one removes it, last: until summary.json says the
        run is finished, it can be resumed."""
        if summary["status"] == "interrupted" and loop.interrupted_at:
            save_state(self.path / RESUME_FILE, *loop.state.snapshot(summary["seconds"]))
        save_npz(self.path / "model.npz", loop.model.network.params())
        write_text(self.path / "metrics.csv", metrics_csv(loop.state.history))
        layers = loop.state.layers
        write_text(self.path / "layers.csv", rows_csv(layers, list(layers[0]) if layers else ["epoch"]))
        write_json(self.path / "summary.json", summary)
        if summary["status"] != "interrupted":
            (self.path / RESUME_FILE).unlink(missing_ok=True)

    def fail(self, summary: dict[str, Any]) -> bool:
        """Mark the run failed (summary: status `failed` and the `error`) when summary.json can
        still be written; whether it could. resume.npz is left as it is: `nnctl train --resume`
        goes on from it (or from the start) once the cause is gone."""
        try:
            write_json(self.path / "summary.json", summary)
        except NnctlError:
            return False
        return True


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NnctlError(f"{path}: could not be created ({os_reason(e)})") from None


RESUME_FILE = "resume.npz"
RESUME_EVERY = 2.0  # seconds between resume states written during training (a kill loses at most this)


def save_state(path: Path, arrays: dict[str, Array], facts: dict[str, Any]) -> Path:
    """A training state: named arrays plus JSON facts (as a string array), one npz, atomically."""
    return save_npz(path, {**arrays, "facts": np.array(json.dumps(facts))})


def load_state(path: Path) -> tuple[dict[str, Array], dict[str, Any]]:
    """What `save_state` wrote; a damaged file is an NnctlError naming it."""
    arrays = load_npz(path)
    try:
        facts = json.loads(str(arrays.pop("facts")))
    except (KeyError, ValueError, RecursionError):
        facts = None
    if not isinstance(facts, dict):
        raise NnctlError(f"{path}: not a resume state written by nnctl train")
    return arrays, facts


# config keys that do not change the weights a run reaches: editing them does not stop a resume
UNTRAINED_KEYS = ("name", "output")


def changed_setting(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> tuple[str, Any, Any] | None:
    """(dotted key, saved value, current value) of the first setting that differs between two
    configs as `Config.to_dict` gives them (after a JSON round trip), or None; a key missing on
    one side has the value None. Top-level UNTRAINED_KEYS are not compared."""
    for key in dict.fromkeys([*current, *saved]):
        if not prefix and key in UNTRAINED_KEYS:
            continue
        before, now = saved.get(key), current.get(key)
        if isinstance(before, dict) and isinstance(now, dict):
            inner = changed_setting(before, now, f"{prefix}{key}.")
            if inner:
                return inner
        elif before != now:
            return f"{prefix}{key}", before, now
    return None
