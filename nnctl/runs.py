"""Run directories: creating them without collisions, writing their files atomically, and
reading them back.

A run directory holds config.yaml, metrics.csv, summary.json, model.npz, data.npz and
checkpoints/epoch-NNNN.npz (see DESIGN.md). Every file is written to a temporary name in the
same folder and renamed into place, so a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from nnctl.errors import NnctlError
from nnctl.pictures import PICTURES

Array = np.ndarray
METRICS = ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "seconds")
# what a run directory may hold: --overwrite refuses to delete a folder with anything else
RUN_ENTRIES = frozenset(
    {"config.yaml", "metrics.csv", "layers.csv", "summary.json", "model.npz", "data.npz", "checkpoints", "resume.npz"}
    | {f"{name}.{fmt}" for name in PICTURES for fmt in ("png", "svg", "gif")}
)
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: mkstemp creates files 0600, the renamed file should get the usual mode


def atomic_write(path: Path, write: Callable[[IO], None], *, binary: bool = False, exclusive: bool = False) -> Path:
    """Write through `write(file)` to a temporary file beside `path`, then rename it into place.
    exclusive: never replace an existing `path` (FileExistsError), even one another process
    creates at the same instant: the name is claimed with O_EXCL before the rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temporary_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", newline=None if binary else "") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_UMASK)
        if exclusive:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text))


def save_weights(path: Path, params: dict[str, Array]) -> Path:
    """Arrays W0, b0, … (or any named arrays) to an npz, atomically."""
    return atomic_write(path, lambda f: np.savez(f, **params), binary=True)


def load_weights(path: Path) -> dict[str, Array]:
    """Named arrays from an npz, never unpickling; errors name the file."""
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":  # an npz is a zip archive
                raise NnctlError(f"{path}: not an .npz file of named arrays (W0, b0, …)")
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise NnctlError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnctlError(f"{path}: is a folder, not an .npz file") from None
    except ValueError as e:
        if "pickle" in str(e):  # object arrays would need pickle, which is never used
            raise NnctlError(f"{path}: holds Python objects, not plain arrays; refused") from None
        raise NnctlError(f"{path}: not a readable .npz file") from None
    except (OSError, EOFError, KeyError):
        raise NnctlError(f"{path}: not a readable .npz file") from None


def format_metric(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def metrics_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text; columns are METRICS' order, those with no value in any row dropped."""
    return rows_csv(rows, [c for c in METRICS if any(row.get(c) is not None for row in rows)])


def rows_csv(rows: list[dict[str, Any]], columns: list[str], cell: Callable[[Any], Any] | None = None) -> str:
    """Rows as CSV text with these columns, each value written as `cell` makes it (by default
    `format_metric`: None is an empty cell, floats keep every digit)."""
    cell = cell or format_metric
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """metrics.csv (or layers.csv) back into rows: epoch as int, the rest as floats (None where
    empty)."""
    try:
        with open(path, newline="") as f:
            return [
                {k: (int(v) if k == "epoch" else float(v) if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(f)
            ]
    except (ValueError, TypeError, csv.Error, UnicodeDecodeError):
        raise NnctlError(f"{path}: not a metrics file nnctl wrote (a row does not read as numbers)") from None


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise NnctlError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict):
        raise NnctlError(f"{path}: expected a JSON object")
    return data


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
    except OSError as e:
        raise NnctlError(f"{output_dir}: cannot create the run directory ({e.strerror or e})") from None
    raise NnctlError(f"{output_dir}: could not find a free run name for {stem}")


def claim_run_dir(path: Path, *, overwrite: bool) -> Path:
    """Use `path` as a run directory: it must be new or empty, or, with overwrite, a run
    directory, whose files are then removed. Nothing else is ever deleted."""
    if path.exists() and not path.is_dir():
        raise NnctlError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise NnctlError(f"{path}: run directory exists and is not empty (pass --overwrite to replace it)")
        _check_replaceable(path)
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NnctlError(f"{path}: cannot create the run directory ({e.strerror or e})") from None
    return path


def _check_replaceable(path: Path) -> None:
    """--overwrite replaces a run directory, never a folder that holds anything else."""
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise NnctlError(f"{path}: is the current folder or contains it; --overwrite will not remove it")
    entries = list(path.iterdir())
    foreign = sorted(p.name for p in entries if p.name not in RUN_ENTRIES and not p.name.startswith("."))
    # a run killed while writing its first file leaves only a temporary .config.yaml.*.tmp
    leftovers = all(_temporary(p.name) for p in entries)
    if not ((path / "config.yaml").is_file() or leftovers) or foreign:
        what = f"it holds {', '.join(foreign[:3])}" if foreign else "it has no config.yaml"
        raise NnctlError(f"{path}: not a run directory ({what}); --overwrite only replaces run directories")


def _temporary_prefix(name: str) -> str:
    """How atomic_write's temporary file for `name` begins: `.NAME.`, then a random part, `.tmp`."""
    return f".{name}."


def _temporary(name: str) -> bool:
    """Whether `name` is atomic_write's temporary file for one of a run directory's files."""
    return name.endswith(".tmp") and any(name.startswith(_temporary_prefix(entry)) for entry in RUN_ENTRIES)


def write_json(path: Path, data: dict) -> Path:
    return write_text(path, json.dumps(data, indent=2) + "\n")


def frame_epochs(epochs: int, frames: int, spacing: str = "early") -> list[int]:
    """The epochs an animation of `frames` frames shows, from 0 to `epochs`, all different.

    even: equally spaced. early: quadratically spaced, so the first epochs, where the boundary
    moves most, get most frames. Fewer than `frames` when the run has fewer epochs.
    """
    if frames <= 0:
        return []
    if frames >= epochs + 1:
        return list(range(epochs + 1))
    u = np.linspace(0.0, 1.0, frames)
    raw = np.rint(epochs * (u * u if spacing == "early" else u)).astype(int)
    # rounding merges neighbours near 0: push each up to one past the previous, keeping the last
    out = np.maximum(raw, np.arange(frames))
    for i in range(frames - 2, -1, -1):
        out[i] = min(out[i], out[i + 1] - 1)
    return [int(e) for e in out]


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


def load_run(path: Path) -> Run:
    """Read a run directory; a missing file, or one that does not agree with the others, is an
    NnctlError naming it. config.yaml is the reference: data.npz must hold the data set it
    describes, model.npz the network it and data.npz describe."""
    from nnctl.assemble import build_model, load_matching_weights
    from nnctl.config import blame, load_config
    from nnctl.data import check_fits_config, read_dataset

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
    check_fits_config(dataset, config.data.name, config.data.params, config.data.task, path / "data.npz")
    # the weights come from model.npz: the starting weights need not exist any more
    with blame(config):
        model = build_model(config.model_copy(update={"model": config.model.model_copy(update={"init_from": None})}),
                            dataset, np.random.default_rng(0))
    model.network.set_params(load_matching_weights(path / "model.npz", model.network.params(),
                                                   " of config.yaml and data.npz"))
    metrics = read_metrics(path / "metrics.csv") if (path / "metrics.csv").is_file() else []
    summary = read_json(path / "summary.json") if (path / "summary.json").is_file() else {}
    return Run(path, config, metrics, summary, dataset, model)


class RunWriter:
    """Writes a run directory as training goes: config and data first, checkpoints on their
    epochs and resume.npz every RESUME_EVERY seconds, then weights, metrics and summary at the
    end (and resume.npz, when the run was interrupted, for `nnctl train --resume`)."""

    def __init__(self, path: Path, config, dataset, *, resume: bool = False):
        from nnctl.data import save_dataset

        self.path = path
        self.every = config.train.checkpoint_every
        animation = config.output.animation
        self.frames = set(frame_epochs(config.train.epochs, animation.frames, animation.spacing))
        self.started = self.saved = time.monotonic()  # when training started, resume.npz was last written
        if not resume:
            path.mkdir(parents=True, exist_ok=True)
            try:  # config.yaml first and exclusively: of two processes given one folder, one writes it
                atomic_write(path / "config.yaml", lambda f: f.write(config.to_yaml()), exclusive=True)
            except FileExistsError:
                raise NnctlError(f"{path}: run directory exists and is not empty (another run is writing into "
                                 "it, or pass --overwrite to replace it)") from None
            save_dataset(path / "data.npz", dataset)
        if self.every or self.frames:
            (path / "checkpoints").mkdir(exist_ok=True)

    def epoch(self, row: dict[str, Any], loop) -> None:
        """After each epoch: its checkpoint if one is due, and now and then the resume state."""
        epoch = row["epoch"]
        if (self.every and epoch % self.every == 0) or epoch in self.frames:
            save_weights(checkpoint_path(self.path, epoch), loop.model.network.params())
        if time.monotonic() - self.saved >= RESUME_EVERY:
            self.save_resume_state(loop)

    def save_resume_state(self, loop) -> None:
        save_state(self.path / RESUME_FILE, *loop.snapshot(loop.seconds_before + time.monotonic() - self.started))
        self.saved = time.monotonic()

    def finish(self, loop, summary: dict[str, Any]) -> None:
        """The final files. An interrupted run that stopped between two batches (on a signal)
        leaves its resume state; a finished one removes it."""
        if summary["status"] == "interrupted" and loop.interrupted_at:
            save_state(self.path / RESUME_FILE, *loop.snapshot(summary["seconds"]))
        elif summary["status"] != "interrupted":
            (self.path / RESUME_FILE).unlink(missing_ok=True)
        save_weights(self.path / "model.npz", loop.model.network.params())
        write_text(self.path / "metrics.csv", metrics_csv(loop.history))
        layers = loop.layers
        write_text(self.path / "layers.csv", rows_csv(layers, list(layers[0]) if layers else ["epoch"]))
        write_json(self.path / "summary.json", summary)


RESUME_FILE = "resume.npz"
RESUME_EVERY = 2.0  # seconds between resume states written during training (a kill loses at most this)


def save_state(path: Path, arrays: dict[str, Array], facts: dict[str, Any]) -> Path:
    """A training state: named arrays plus JSON facts (as a string array), one npz, atomically."""
    return save_weights(path, {**arrays, "facts": np.array(json.dumps(facts))})


def load_state(path: Path) -> tuple[dict[str, Array], dict[str, Any]]:
    """What `save_state` wrote; a damaged file is an NnctlError naming it."""
    arrays = load_weights(path)
    try:
        facts = json.loads(str(arrays.pop("facts")))
    except (KeyError, ValueError):
        raise NnctlError(f"{path}: not a resume state written by nnctl train") from None
    return arrays, facts
