"""Layer 5: a sweep folder being written. `Sweep` holds the points and their rows: `prepare`
checks the folder (new, empty, or this same sweep's, holding nothing nnctl did not write),
validates every point's config, takes the folder's lock, writes sweep.yaml and returns the
points still to run (a finished run is not run again); `finish` records a point's result and
rewrites results.csv; `interrupted` marks the points Ctrl-C cut off. Running the points is
`sweeps.workers`' job.

A point's row says `pending` until its run starts, then how it ended; a run that started and
did not end (Ctrl-C, a kill) says `interrupted`. The points of a folder made earlier keep the
names its sweep.yaml gives them (before issue 14: `lr=0.03,hidden=[16],seed=0`), so that they
resume in their own run directories.

A sweep writes only into a folder that is new, empty, or a sweep folder of the same question
(the same digest); it holds the folder's lock while it runs, so a second sweep (or `nnctl plot`)
on the same folder is refused rather than interleaved.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from nnctl.config import dump_yaml, load_config
from nnctl.errors import NnctlError
from nnctl.files import FolderLock, flow, inventoried, os_reason, read_json, rows_csv, temporary_of, write_text
from nnctl.lockstep import kin
from nnctl.runs import foreign_entry as foreign_run_entry
from nnctl.sweeps.names import KNOWN_NAME
from nnctl.sweeps.results import (
    DRAWN,
    LOCK,
    RESULTS,
    RUNS,
    SWEEP_FILES,
    SWEEP_YAML,
    read_sweep_yaml,
    record,
    result_columns,
)
from nnctl.sweeps.spec import Point, SweepSpec, digest_of, sweep_points
from nnctl.vocabulary import FINISHED, STATUSES


def work(config) -> float:
    """About what training a config costs, to order a sweep's runs: epochs × the weights of its
    hidden layers, with one input and one output (the data set those, alike across a sweep)."""
    sizes = [1, *config.model.hidden, 1]
    return float(config.train.epochs) * sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))


class Sweep:
    """A sweep folder: its points, their rows, and the files that record them. `prepare` takes
    the folder's lock, held until `close` (or the end of a `with` block, or of the process)."""

    def __init__(self, spec: SweepSpec, folder: Path, *, where: str | None = None):
        self.spec, self.folder = spec, Path(folder)
        self.where = where or str(folder)  # how messages name the folder: "--out PATH"
        self.points = sweep_points(spec)
        self.keys = list(dict.fromkeys(k for p in self.points for k in p.settings))
        if spec.search:  # a search's points come as it asks them (`add`): its columns are known before
            self.keys = [*spec.random, *(["seed"] if spec.seeds else [])]
        self._start_rows()
        self.lock: FolderLock | None = None
        self.checked: tuple[int, int, int] | None = None  # the sweep.yaml found to be this sweep's (inode, time, size)
        self.drawn: dict[Path, Any] = {}  # what the workers drew of each run (sweeps.pictures.Drawn), by run folder
        self.work: dict[str, float] = {}  # each point's `work`, noted by validate
        self.kin: dict[str, str] = {}  # each point's `lockstep.kin`: who it may train with, noted by validate

    def __enter__(self) -> Sweep:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder's lock."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _start_rows(self) -> None:
        """Every point's row, `pending`."""
        self.rows: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, str] = {}  # each row as results.csv holds it: only a changed row is formatted again
        for point in self.points:
            self._set(point.name, {"name": point.name, **point.settings, "status": "pending",
                                   "run_dir": f"{RUNS}/{point.name}"})

    def run_dir(self, point: Point) -> Path:
        return self.folder / RUNS / point.name

    def validate(self) -> None:
        """Every point's config, checked before anything runs: a typo in a --grid key is one
        error now, not three hundred failed runs. Each point's `work` is noted."""
        for point in self.points:
            try:
                config = load_config(self.spec.config, [*self.spec.overrides, *point.overrides])
            except NnctlError as e:
                raise NnctlError(f"sweep point {point.name}: {e}") from None
            self.work[point.name] = work(config)
            self.kin[point.name] = kin(config)

    def longest_first(self, points: list[Point]) -> list[Point]:
        """`points` by their `work`, the most first (a point not validated here, last): a pool
        whose last run is a long one leaves its other cores idle until it ends."""
        return sorted(points, key=lambda p: -self.work.get(p.name, 0.0))

    def prepare(self) -> list[Point]:
        """Check the folder (new, empty, or this sweep's), validate every point, create the
        folder and take its lock, write sweep.yaml, and return the points still to run."""
        self.check_folder()
        self.validate()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as e:
            raise NnctlError(f"{self.where}: cannot create the sweep folder ({os_reason(e)})") from None
        if self.lock is None:
            self.lock = FolderLock(self.folder, self.where, LOCK)
        self.check_same_sweep()  # again, now that no other sweep can write here
        self.write_asked()
        todo = self._pick_up(self.points)
        self.save()
        return todo

    def write_asked(self) -> None:
        """sweep.yaml: the question, its digest and every point."""
        named = {"name": self.spec.name} if self.spec.name else {}
        asked = {**named, "digest": self.spec.digest(), **self.spec.to_dict(),
                 "points": [{"name": p.name, "settings": p.settings} for p in self.points]}
        write_text(self.folder / SWEEP_YAML, dump_yaml(asked))

    def _pick_up(self, points: list[Point]) -> list[Point]:
        """Of `points`, those not finished: rows set from what their run directories say."""
        todo = []
        for point in points:
            found = self._found(point)
            if found is not None:
                self._set(point.name, found)
            if found is None or found["status"] not in FINISHED:
                todo.append(point)
        return todo

    def add(self, points: list[Point]) -> None:
        """Points a search has asked (sweeps.search), after `prepare`: their rows (`pending`, or
        what their run directories say) and sweep.yaml listing them."""
        for point in points:
            self.points.append(point)
            self._set(point.name, {"name": point.name, **point.settings, "status": "pending",
                                   "run_dir": f"{RUNS}/{point.name}"})
        self._pick_up(points)
        self.write_asked()
        self.save()

    def _found(self, point: Point) -> dict[str, Any] | None:
        """What a point's run directory says of it: its summary's row (finished, or cut off with
        its metrics so far), `interrupted` for a run killed before it wrote one, None for a run
        never started."""
        path = self.run_dir(point)
        summary = read_json(path / "summary.json") if (path / "summary.json").is_file() else {}
        if summary.get("status") in STATUSES:
            return record(summary)
        return {"status": "interrupted"} if path.exists() else None

    def check_folder(self) -> None:
        """The folder is new, empty, or a sweep folder of this same sweep holding nothing but
        what nnctl writes there (SWEEP_FILES, RUNS); anything else is refused, naming it."""
        try:
            info = self.folder.stat()
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            raise NnctlError(f"{self.where}: cannot use it as the sweep folder ({os_reason(e)})") from None
        if not stat.S_ISDIR(info.st_mode):
            raise NnctlError(f"{self.where}: exists and is not a folder; choose another --out")
        try:
            names = sorted(os.listdir(self.folder))
        except OSError as e:
            raise NnctlError(f"{self.where}: cannot read the sweep folder ({os_reason(e)})") from None
        if SWEEP_YAML in names:
            self.check_same_sweep()
        else:  # what nnctl writes before sweep.yaml: the lock, and sweep.yaml's temporary file
            other = next((n for n in names if n != LOCK and temporary_of(n) not in SWEEP_FILES), None)
            if other is not None:
                raise NnctlError(f"{self.where}: holds {other} and no {SWEEP_YAML}, so it is not a sweep folder; "
                                 "choose another --out (a new or empty folder)")
        try:
            foreign = foreign_entry(self.folder)
        except OSError as e:  # a run directory that cannot be listed
            raise NnctlError(f"{self.where}: cannot read the sweep folder ({os_reason(e)})") from None
        if foreign is not None:
            raise NnctlError(f"{self.where}: holds {foreign}, which is not a file nnctl writes in a sweep folder; "
                             "choose another --out")

    def check_same_sweep(self) -> None:
        """The folder's sweep.yaml, if any, is of this sweep (the same digest)."""
        try:
            info = os.lstat(self.folder / SWEEP_YAML)
        except FileNotFoundError:
            return
        seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        if seen == self.checked:  # read a moment ago (a sweep.yaml of 10 000 points takes seconds)
            return
        try:
            previous = read_sweep_yaml(self.folder)
        except NnctlError as e:
            raise NnctlError(f"{e}; choose another --out") from None
        theirs = previous["digest"] if isinstance(previous.get("digest"), str) else digest_of(previous)
        if theirs != self.spec.digest():
            ours = {**self.spec.to_dict(), "points": self.points}
            raise NnctlError(f"{self.where}: holds a different sweep ({_describe(previous, theirs)}) than this one "
                             f"({_describe(ours, self.spec.digest())}); choose another --out")
        self._keep_names(previous["points"])
        self.checked = seen

    def _keep_names(self, points: list[dict[str, Any]]) -> None:
        """The names the folder's sweep.yaml gives this sweep's points, where they are names some
        nnctl wrote (those of before issue 14 too) and distinct: the runs are there."""
        theirs = {_question(p["settings"]): p["name"] for p in points}
        names = [theirs.get(_question(p.settings), p.name) for p in self.points]
        if names == [p.name for p in self.points] or len(set(names)) < len(names):
            return
        if all(KNOWN_NAME.fullmatch(n) and n not in (".", "..") for n in names):
            self.points = [Point(n, p.settings) for n, p in zip(names, self.points, strict=True)]
            self._start_rows()

    def _set(self, name: str, values: dict[str, Any]) -> None:
        row = self.rows.setdefault(name, {})
        row.update(values)
        cells = {k: (flow(v) if isinstance(v, (list, dict)) else v) for k, v in row.items()}
        self.lines[name] = rows_csv([cells], self.columns(), header=False)

    def finish(self, point: Point, result: dict[str, Any]) -> None:
        """Record a run's row; what its worker drew of it (`DRAWN`: report.html's thumbnails,
        boundaries.png's sketch) is kept for the sweep's end, never written to results.csv."""
        if DRAWN in result:
            self.drawn[self.run_dir(point)] = result.pop(DRAWN)
        self._set(point.name, result)
        self.save()

    def interrupted(self, points: list[Point]) -> None:
        """After Ctrl-C, with the workers stopped: of `points`, those not heard back from say
        what their run directory says (`interrupted` for a run cut off); those that never
        started stay `pending`."""
        for point in points:
            found = self._found(point) if self.rows[point.name]["status"] == "pending" else None
            if found is not None:
                self._set(point.name, found)
        self.save()

    def columns(self) -> list[str]:
        return result_columns(self.keys)

    def save(self) -> None:
        """results.csv, rewritten whole and atomically: readers never see half a file."""
        write_text(self.folder / RESULTS, rows_csv([], self.columns()) + "".join(self.lines.values()))

    def counts(self) -> dict[str, int]:
        statuses = [row["status"] for row in self.rows.values()]
        return {s: statuses.count(s) for s in dict.fromkeys(statuses)}


def _describe(asked: dict[str, Any], digest: str) -> str:
    """'sweep 1a2b3c4d: 6 points of moons.yaml'."""
    points = asked.get("points")
    count = f"{len(points)} point{'' if len(points) == 1 else 's'} of " if isinstance(points, list) else ""
    return f"sweep {digest}: {count}{Path(str(asked.get('config', '?'))).name}"


def named(option: str, path: Path | str) -> str:
    """'--out PATH' as messages name a folder, a very long PATH cut in the middle."""
    text = str(path)
    return f"{option} {text if len(text) <= 100 else text[:70] + '…' + text[-20:]}"


def foreign_entry(folder: Path) -> str | None:
    """The first entry of the sweep folder `folder` (sorted; hidden ones included, and inside
    runs/ every run directory's entries) that nnctl does not write in a sweep folder, or None:
    a regular file of SWEEP_FILES or a temporary file of one, and runs/ holding run directories
    whose entries are all run files (`runs.foreign_entry`). A link is never nnctl's."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_symlink():
            return entry.name
        if entry.name == RUNS and entry.is_dir(follow_symlinks=False):
            for run in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if run.is_symlink() or not run.is_dir(follow_symlinks=False):
                    return f"{RUNS}/{run.name}"
                inner = foreign_run_entry(Path(run.path))
                if inner is not None:
                    return f"{RUNS}/{run.name}/{inner}"
        elif not inventoried(entry, SWEEP_FILES):
            return entry.name
    return None


def _question(settings: dict[str, Any]) -> str:
    """A point's settings as one text, the same for the same settings read back from sweep.yaml."""
    return json.dumps(settings, sort_keys=True, default=str)


def default_folder(spec: SweepSpec) -> Path:
    """output.dir/NAME-sweep-DIGEST, NAME the sweep file's name: or else the base config's: the
    same sweep asked again lands in the same folder."""
    config = load_config(spec.config, spec.overrides)
    return Path(config.output.dir) / f"{spec.name or config.name}-sweep-{spec.digest()}"
