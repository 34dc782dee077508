"""Sweeps and what reads their files (issue 12): `--out` never takes a folder that is not a sweep
folder of the same question, one sweep at a time per folder (a lock), the points counted before
any is made, every field of a sweep file checked, every YAML read bounded (sweep files,
sweep.yaml, results.csv's cells, the config.yaml of every run `nnctl runs` lists), no more
workers than points, and results.csv read back cell by cell. Each mistake is one line, exit 2,
with the user's files byte-identical afterwards; each hang case runs the real CLI under a time
limit."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nnctl import workflow
from nnctl.cli import app
from nnctl.errors import NnctlError
from nnctl.sweeps.folder import foreign_entry
from nnctl.sweeps.results import LOCK, RUNS, SWEEP_FILES
from nnctl.sweeps.spec import MAX_POINTS
from nnctl.workflow import run_sweep

runner = CliRunner()
TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
        "train": {"epochs": 2}, "output": {"plots": []}}
GRID = ["--grid", "optimizer.lr=0.1,0.2"]
# a billion laughs: 9 levels of 9 aliases each, 387 million strings once expanded
BOMB = "".join(f"  - &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
BOMB = '  - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BOMB
FLOW_BOMB = "[" + ", ".join(BOMB.strip().removeprefix("- ").split("\n  - ")) + "]"  # the same, on one line
DEEP = "[" * 20_000 + "]" * 20_000
EXPANDS = "refused: its aliases (*name) expand it to more than"  # files.parse_yaml's words for an alias bomb


def nnctl(args: list[str], cwd: Path, timeout: float = 60) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of the real console entry point in a new process."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from nnctl.cli import main; main()", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def in_process(args: list[str], cwd: Path, monkeypatch) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of the same command run in this process from `cwd`:
    for mistakes that cannot hang (those run in a real process, under a time limit)."""
    monkeypatch.chdir(cwd)
    started = time.monotonic()
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr, time.monotonic() - started


def assert_one_line(code: int, stdout: str, stderr: str, *expected: str) -> None:
    """Exit 2, nothing on stdout, one `error: …` line holding every expected text, no traceback."""
    assert code == 2, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and len(stderr) < 400, stderr
    for text in expected:
        assert text in stderr, f"{text!r} not in {stderr!r}"


def invoke(args: list[str], *expected: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert_one_line(result.exit_code, result.stdout, result.stderr, *expected)
    return result


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` (hidden ones too), without following links: what must not change."""
    entries: dict[str, bytes | str] = {}
    for here, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(here, name)
            key = str(path.relative_to(folder))
            entries[key] = (f"link to {os.readlink(path)}" if path.is_symlink() else "folder" if path.is_dir()
                            else path.read_bytes())
    return entries


def config(tmp_path: Path, **sections) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**TINY, **sections}))
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A sweep folder nnctl wrote (two points, with pictures), its base config beside it."""
    root = tmp_path_factory.mktemp("finished")
    base = config(root, output={"plots": ["loss", "boundary"]})
    result = runner.invoke(app, ["sweep", str(base), *GRID, "--out", str(root / "sw"), "--jobs", "2", "-q"])
    assert result.exit_code == 0, result.output
    return root


def copy_sweep(finished: Path, tmp_path: Path) -> Path:
    """A copy of the finished sweep folder, at tmp_path/sw. Its question names the base config
    by its absolute path: the same sweep is asked with `finished / "c.yaml"`."""
    shutil.copytree(finished / "sw", tmp_path / "sw", symlinks=True)
    return tmp_path / "sw"


def no_temporary_files(folder: Path) -> bool:
    return not any(".tmp" in name for _, _, files in os.walk(folder) for name in files)


# ---------------------------------------------------------------- --out: the inventory


def test_every_entry_nnctl_writes_in_a_sweep_folder_is_in_its_inventory(finished, tmp_path, monkeypatch):
    folder = finished / "sw"
    written = {p.name for p in folder.iterdir()}
    assert written == {"sweep.yaml", "results.csv", "report.html", "sweep.png", "boundaries.png", LOCK, RUNS}
    assert written - {RUNS} <= SWEEP_FILES
    assert {p.name for p in (folder / RUNS).iterdir()} == {"lr0.1", "lr0.2"}
    assert foreign_entry(folder) is None
    # so the same sweep asked again takes its folder, and finds nothing left to run
    folder = copy_sweep(finished, tmp_path)
    before = snapshot(folder / RUNS)
    code, stdout, stderr, _ = in_process(["sweep", finished / "c.yaml", *GRID, "--out", "sw", "-q"], tmp_path,
                                         monkeypatch)
    assert code == 0 and stdout.strip() == "sw", stderr
    assert snapshot(folder / RUNS) == before


def _user_results(folder: Path) -> None:
    folder.mkdir()
    (folder / "results.csv").write_text("experiment,accuracy\nmine,0.99\n")


def _user_report(folder: Path) -> None:
    folder.mkdir()
    (folder / "report.html").write_text("<h1>my report</h1>\n")
    (folder / "sweep.png").write_bytes(b"\x89PNG my picture")


def _user_runs(folder: Path) -> None:
    (folder / RUNS / "exp1").mkdir(parents=True)
    (folder / RUNS / "exp1" / "config.yaml").write_text("lr: 0.1\n")


@pytest.mark.parametrize(("make", "expected"), [
    (_user_results, ["--out ", "holds results.csv and no sweep.yaml", "choose another --out"]),
    (_user_report, ["holds report.html and no sweep.yaml"]),
    (_user_runs, ["holds runs and no sweep.yaml"]),
    (lambda f: (f.mkdir(), (f / "sweep.yaml").write_text("config: c.yaml\ngrid: {optimizer.lr: [0.1]}\n")),
     ["sw/sweep.yaml: not a sweep.yaml nnctl wrote", "choose another --out"]),
], ids=["own-results-csv", "own-report-and-picture", "own-runs-folder", "own-sweep-file-named-sweep-yaml"])
def test_a_folder_that_is_not_a_sweep_folder_is_refused_and_left_as_it_was(make, expected, tmp_path, monkeypatch):
    make(tmp_path / "sw")
    before = snapshot(tmp_path / "sw")
    config(tmp_path)
    code, stdout, stderr, _ = in_process(["sweep", "c.yaml", *GRID, "--out", "sw"], tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, *expected)
    assert snapshot(tmp_path / "sw") == before  # not even a lock file added


def _hidden(folder: Path) -> None:
    (folder / ".env").write_text("SECRET=1\n")


def _in_a_run(folder: Path) -> None:
    (folder / RUNS / "lr0.1" / "checkpoints").mkdir()
    (folder / RUNS / "lr0.1" / "checkpoints" / "model.pt").write_bytes(b"torch")


def _file_in_runs(folder: Path) -> None:
    (folder / RUNS / "notes.txt").write_text("my notes\n")


def _link(folder: Path) -> None:
    (folder / "data").symlink_to(folder.parent)


@pytest.mark.parametrize(("add", "named"), [
    (_hidden, ".env"), (_in_a_run, "runs/lr0.1/checkpoints/model.pt"), (_file_in_runs, "runs/notes.txt"),
    (_link, "data"),
], ids=["hidden-file", "inside-a-run-directory", "file-in-runs", "symbolic-link"])
def test_a_sweep_folder_holding_anything_else_is_refused_naming_it(add, named, finished, tmp_path, monkeypatch):
    folder = copy_sweep(finished, tmp_path)
    add(folder)
    before = snapshot(folder)
    code, stdout, stderr, _ = in_process(["sweep", finished / "c.yaml", *GRID, "--out", "sw"], tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, f"--out sw: holds {named}, which is not a file nnctl writes")
    assert snapshot(folder) == before


def test_a_different_sweep_in_the_folder_is_refused_naming_both(finished, tmp_path, monkeypatch):
    folder = copy_sweep(finished, tmp_path)
    before = snapshot(folder)
    theirs = yaml.safe_load((folder / "sweep.yaml").read_text())["digest"]
    code, stdout, stderr, _ = in_process(["sweep", finished / "c.yaml", "--grid", "optimizer.lr=0.1,0.3", "--out",
                                          "sw"], tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, "--out sw: holds a different sweep", f"sweep {theirs}: 2 points of c.yaml",
                    "than this one (sweep ")
    assert stderr.count("sweep ") >= 3 and stderr.split("than this one (sweep ")[1][:8] != theirs
    assert snapshot(folder) == before


@pytest.mark.parametrize(("text", "expected", "hangs"), [
    ("points: [1, 2\n", "sw/sweep.yaml: invalid YAML at line 2", False),
    ("- a\n- b\n", "sw/sweep.yaml: not a sweep.yaml nnctl wrote (expected a mapping", False),
    ("points: {a: 1}\n", "sw/sweep.yaml: not a sweep.yaml nnctl wrote", False),
    ("points:\n" + BOMB, "sw/sweep.yaml: " + EXPANDS, True),
    (f"points: {DEEP}\n", "sw/sweep.yaml: refused: nested more than 50 levels deep", True),
], ids=["broken", "a-list", "points-not-a-list", "alias-bomb", "deep"])
def test_a_damaged_sweep_yaml_in_the_out_folder_is_one_line(text, expected, hangs, finished, tmp_path, monkeypatch):
    folder = copy_sweep(finished, tmp_path)
    (folder / "sweep.yaml").write_text(text)
    before = snapshot(folder)
    args = ["sweep", str(finished / "c.yaml"), *GRID, "--out", "sw"]
    code, stdout, stderr, seconds = nnctl(args, tmp_path, timeout=30) if hangs else in_process(args, tmp_path,
                                                                                              monkeypatch)
    assert_one_line(code, stdout, stderr, expected, "choose another --out")
    assert seconds < 10 and snapshot(folder) == before


# ---------------------------------------------------------------- --out: paths


def test_out_where_a_file_stands_is_refused_and_the_file_kept(tmp_path):
    (tmp_path / "taken").write_text("my file\n")
    invoke(["sweep", config(tmp_path), *GRID, "--out", tmp_path / "taken"], f"--out {tmp_path}/taken: exists and is "
           "not a folder")
    assert (tmp_path / "taken").read_text() == "my file\n"


@pytest.mark.parametrize(("out", "expected"), [
    ("taken/sw", "cannot use it as the sweep folder (a part of the path is a file, not a folder)"),
    ("x" * 300, "cannot use it as the sweep folder (the name is too long for the file system)"),
], ids=["under-a-file", "name-too-long"])
def test_an_out_path_that_cannot_be_a_folder_is_one_line_naming_out(out, expected, tmp_path):
    (tmp_path / "taken").write_text("my file\n")
    invoke(["sweep", config(tmp_path), *GRID, "--out", tmp_path / out], "--out ", expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "taken"]


def test_an_out_path_with_a_nul_byte_is_one_line_naming_out(tmp_path):
    """A command line cannot hold a NUL byte (and Typer's Path refuses one): a script can."""
    with pytest.raises(NnctlError, match=r"^--out .*a\x00b: cannot use it as the sweep folder \(the name holds a NUL "):
        run_sweep(config(tmp_path), GRID[1:], None, [], out=tmp_path / "a\0b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
def test_out_where_no_folder_can_be_made_is_one_line_naming_out(tmp_path, monkeypatch):
    """sysfs refuses every mkdir, even root's: a read-only parent that chmod cannot fake for root."""
    code, stdout, stderr, _ = in_process(["sweep", config(tmp_path), *GRID, "--out", "/sys/kernel/nnctl-sweep"],
                                         tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, "--out /sys/kernel/nnctl-sweep: cannot create the sweep folder (")


@pytest.mark.parametrize(("code", "words"), [(errno.EACCES, "permission denied"),
                                             (errno.EROFS, "the file system is read-only")])
def test_out_under_a_read_only_folder_is_one_line_naming_out(code, words, tmp_path, monkeypatch):
    """What mkdir says under a folder without write permission (root writes anyway, so the
    refusal is injected) or on a read-only mount."""
    def refuse(path, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(os, "mkdir", refuse)
    invoke(["sweep", config(tmp_path), *GRID, "--out", tmp_path / "ro" / "sw"],
           f"--out {tmp_path}/ro/sw: cannot create the sweep folder ({words})")


# ---------------------------------------------------------------- one sweep at a time


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_sweep_on_the_same_folder_is_refused_at_once_and_the_first_finishes(tmp_path):
    config(tmp_path, data={"name": "moons", "n_samples": 200}, train={"epochs": 1500})
    args = ["sweep", "c.yaml", "--grid", "model.hidden=[2],[3],[4],[5]", "--jobs", "2", "--out", "sw", "-q"]
    first = subprocess.Popen([sys.executable, "-c", "from nnctl.cli import main; main()", *args], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (tmp_path / "sw" / "sweep.yaml").is_file())
        code, stdout, stderr, seconds = nnctl(args, tmp_path)
        assert_one_line(code, stdout, stderr, "--out sw: another nnctl sweep (or nnctl plot) is writing in this "
                        "folder now; wait until it ends")
        assert seconds < 20
        code, stdout, stderr, _ = nnctl(["plot", "sw"], tmp_path)
        assert_one_line(code, stdout, stderr, "sw: another nnctl sweep")
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        first.kill()
    rows = (tmp_path / "sw" / "results.csv").read_text().splitlines()
    assert len(rows) == 5 and all(",completed," in row for row in rows[1:])
    assert no_temporary_files(tmp_path / "sw")


def _children(pid: int) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]


def _gone(pid: int) -> bool:
    """Ended (a zombie no one has reaped yet counts: it runs no more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_the_lock_goes_with_a_killed_sweep_and_so_do_its_workers(tmp_path):
    config(tmp_path, data={"name": "moons", "n_samples": 200}, train={"epochs": 100_000})  # minutes of training
    args = ["sweep", "c.yaml", "--grid", "model.hidden=[2],[3]", "--jobs", "2", "--out", "sw", "-q"]
    first = subprocess.Popen([sys.executable, "-c", "from nnctl.cli import main; main()", *args], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(lambda: len(list((tmp_path / "sw").glob("runs/*/config.yaml"))) == 2)  # both workers training
        workers = _children(first.pid)
        assert len(workers) == 2
        first.kill()  # SIGKILL: no cleanup of its own
        first.wait()
        # the workers die with it at once, rather than train on into a folder no longer locked
        _wait_for(lambda: all(_gone(pid) for pid in workers), 3)
    finally:
        try:
            os.killpg(first.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    fd = os.open(tmp_path / "sw" / LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: BlockingIOError otherwise
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the number of points


def test_a_million_points_are_refused_at_once(tmp_path):
    config(tmp_path)
    lrs = ", ".join(str(round(0.001 * (i + 1), 3)) for i in range(1000))
    (tmp_path / "s.yaml").write_text(f"config: c.yaml\ngrid:\n  optimizer.lr: [{lrs}]\n"
                                     f"  train.epochs: [{', '.join(str(i + 1) for i in range(1000))}]\n")
    code, stdout, stderr, seconds = nnctl(["sweep", "s.yaml", "--out", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "s.yaml: the sweep has 1,000,000 points (1,000 optimizer.lr × 1,000 "
                    f"train.epochs), more than the {MAX_POINTS:,} a sweep may have")
    assert seconds < 10 and not (tmp_path / "sw").exists()


@pytest.mark.parametrize(("sweep_file", "args", "expected"), [
    ("grid: {optimizer.lr: [0.1, 0.2]}\nrandom: {model.hidden: {int: [1, 9]}}\nsamples: 1000\nseeds: SEEDS\n",
     [], "s.yaml: the sweep has 102,000 points (2 optimizer.lr × 1,000 samples × 51 seeds)"),
    (None, ["--seeds", ",".join(map(str, range(MAX_POINTS + 1)))],
     f"--grid/--seeds: the sweep has {MAX_POINTS + 1:,} points"),
    (None, [*GRID, "--grid", f"train.epochs={','.join(map(str, range(1, 1001)))}", "--seeds",
            ",".join(map(str, range(51)))], "102,000 points (2 optimizer.lr × 1,000 train.epochs × 51 seeds)"),
], ids=["grid-random-seeds", "seeds", "two-grids-and-seeds"])
def test_points_are_counted_before_any_is_made(sweep_file, args, expected, tmp_path):
    config(tmp_path)
    if sweep_file is not None:
        seeds = f"[{', '.join(map(str, range(51)))}]"
        (tmp_path / "s.yaml").write_text("config: c.yaml\n" + sweep_file.replace("SEEDS", seeds))
    started = time.monotonic()
    invoke(["sweep", tmp_path / ("s.yaml" if sweep_file else "c.yaml"), *args, "--out", tmp_path / "sw"], expected,
           f"more than the {MAX_POINTS:,} a sweep may have")
    assert time.monotonic() - started < 5 and not (tmp_path / "sw").exists()


# ---------------------------------------------------------------- every field of a sweep file


FIELDS = [
    ("seeds: [a, b]", "s.yaml: seeds.0: expected a whole number ≥ 0, got 'a'"),
    ("seeds: [0, -1]", "s.yaml: seeds.1: expected a whole number ≥ 0, got -1"),
    ("seeds: [0, true]", "s.yaml: seeds.1: expected a whole number ≥ 0, got True"),
    ("seeds: 3", "s.yaml: seeds: expected a list of whole numbers ≥ 0, e.g. [0, 1, 2], got 3"),
    ("seeds: [1, 2, 1]", "s.yaml: seeds: 1 is given twice"),
    ("grid: [optimizer.lr, 0.1]", "s.yaml: grid: expected a mapping of dotted keys to lists of values"),
    ("grid: {optimizer.lr: []}", "s.yaml: grid.optimizer.lr: needs at least one value, got []"),
    ("grid: {optimizer.lr: [0.1, 0.1]}", "s.yaml: grid.optimizer.lr: 0.1 is given twice"),
    ("grid: {optimizer: {lr: [0.1, 0.2]}}", "s.yaml: grid.optimizer: expected a list of values, got a mapping"),
    ("grid: {1: [0.1]}", "s.yaml: grid: 1 is not a dotted config key"),
    ("random: {optimizer.lr: {loguniform: [0, 1]}}\nsamples: 2",
     "s.yaml: random.optimizer.lr: loguniform needs 0 < low < high, got [0, 1]"),
    ("random: {optimizer.lr: {loguniform: [0.1, 0.01]}}\nsamples: 2", "loguniform needs 0 < low < high"),
    ("random: {optimizer.lr: {uniform: [1, 1]}}\nsamples: 2",
     "s.yaml: random.optimizer.lr: uniform needs numbers [low, high] with low < high, got [1, 1]"),
    ("random: {optimizer.lr: {uniform: [0, .inf]}}\nsamples: 2", "uniform needs numbers [low, high]"),
    ("random: {optimizer.lr: {uniform: 0.1}}\nsamples: 2", "uniform needs numbers [low, high] with low < high, "
     "got 0.1"),
    ("random: {train.epochs: {int: [1.5, 3]}}\nsamples: 2",
     "s.yaml: random.train.epochs: int needs whole numbers [low, high] with low ≤ high"),
    ("random: {train.epochs: {int: [5, 3]}}\nsamples: 2", "int needs whole numbers [low, high] with low ≤ high"),
    ("random: {train.epochs: {int: [1, 100000000000000000000]}}\nsamples: 2", "(each under 2^62)"),
    ("random: {model.activation: {choice: []}}\nsamples: 2",
     "s.yaml: random.model.activation: choice needs a list of at least one value, got []"),
    ("random: {model.activation: {normal: [0, 1]}}\nsamples: 2",
     "s.yaml: random.model.activation: expected one of {choice: …, uniform: …, loguniform: …, int: …}"),
    ("random: [optimizer.lr]\nsamples: 2", "s.yaml: random: expected a mapping of dotted keys to distributions"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}", "s.yaml: samples: is required with random:"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: 0", "s.yaml: samples: expected a whole number ≥ 1, got 0"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: 2.5", "samples: expected a whole number ≥ 1, got 2.5"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: true", "samples: expected a whole number ≥ 1, got True"),
    ("grid: {optimizer.lr: [0.1]}\nsamples: 4", "s.yaml: samples: given without random:"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: 2\nseed: -1",
     "s.yaml: seed: expected a whole number ≥ 0, got -1"),
    ("grid: {optimizer.lr: [0.1]}\nseed: x", "s.yaml: seed: expected a whole number ≥ 0, got 'x'"),
    ("grid: {optimizer.lr: [0.1]}\nset: optimizer.lr=0.1", "s.yaml: set: expected a list of KEY=VALUE"),
    ("grid: {optimizer.lr: [0.1]}\nset: [[1, 2]]", "s.yaml: set.0: expected KEY=VALUE text, e.g. optimizer.lr=0.01, "
     "got [1, 2]"),
    ("grid: {optimizer.lr: [0.1]}\nset:\n  - model.hidden=[4]\n  - noequals", "s.yaml: set.1: expected KEY=VALUE text"),
    ("grid: {optimizer.lr: [0.1]}\nset: ['model.hidden=[4']", "s.yaml: set.0: invalid YAML"),
    ("grid: {optimizer.lr: [0.1]}\nset: [\"model.hidden=!!python/name:os.system ''\"]", "s.yaml: set.0: invalid YAML"),
]
WHOLE_FILES = [
    ("config: nothere.yaml\ngrid: {optimizer.lr: [0.1]}", "s.yaml: config: {dir}/nothere.yaml: no such file"),
    ("config: [c.yaml]\ngrid: {optimizer.lr: [0.1]}", "s.yaml: config: expected the base config's path"),
    ("config: .\ngrid: {optimizer.lr: [0.1]}", "s.yaml: config: {dir}: is a folder, not a config"),
    ("grid: {optimizer.lr: [0.1]}", "s.yaml: config: is required"),
]
CASES = [("config: c.yaml\n" + text, expected) for text, expected in FIELDS] + WHOLE_FILES


@pytest.mark.parametrize(("text", "expected"), CASES,
                         ids=[f"{i}-{t.splitlines()[-1][:24]}" for i, (t, _) in enumerate(CASES)])
def test_every_field_of_a_sweep_file_is_checked(text, expected, tmp_path):
    config(tmp_path)
    (tmp_path / "s.yaml").write_text(text + "\n")
    invoke(["sweep", tmp_path / "s.yaml", "--out", tmp_path / "sw"], expected.replace("{dir}", str(tmp_path)))
    assert not (tmp_path / "sw").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["--seeds", "a,b"], "--seeds 'a,b': expected whole numbers ≥ 0 separated by commas, e.g. 0,1,2"),
    (["--seeds", "0,-1"], "--seeds '0,-1': expected whole numbers ≥ 0"),
    (["--seeds", "1.5"], "--seeds '1.5': expected whole numbers ≥ 0"),
    (["--seeds", "0,1,0"], "--seeds '0,1,0': 0 is given twice"),
    (["--seeds", "9" * 5000], "expected whole numbers ≥ 0 separated by commas"),
    (["--grid", "optimizer.lr=0.1", "--grid", "optimizer.lr=0.2"], "--grid optimizer.lr: given twice"),
    (["--grid", "optimizer.lr=0.1,0.1"], "--grid 'optimizer.lr=0.1,0.1': 0.1 is given twice"),
    (["--grid", "model.hidden=" + DEEP], "cannot parse '[[[[[[[["),
], ids=["seeds-text", "seeds-negative", "seeds-fraction", "seeds-twice", "seeds-huge", "grid-key-twice",
        "grid-value-twice", "grid-deep"])
def test_command_line_seeds_and_grids_are_checked(args, expected, tmp_path):
    invoke(["sweep", config(tmp_path), *args, "--out", tmp_path / "sw"], expected)
    assert not (tmp_path / "sw").exists()


# ---------------------------------------------------------------- each key swept in one place (issue 14)


@pytest.mark.parametrize(("sweep_file", "args", "expected"), [
    ("grid: {optimizer.lr: [0.1, 0.2]}", ["--grid", "optimizer.lr=0.3"],
     "--grid optimizer.lr: {dir}/s.yaml sweeps it already (grid.optimizer.lr); give its values in one place, "
     "the file or --grid"),
    ("random: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: 2", ["--grid", "optimizer.lr=0.3"],
     "--grid optimizer.lr: {dir}/s.yaml sweeps it already (random.optimizer.lr)"),
    ("grid: {optimizer.lr: [0.1, 0.2]}\nseeds: [0, 1]", ["--seeds", "2,3"],
     "--seeds: {dir}/s.yaml gives seeds: already; give the seeds in one place, the file or --seeds"),
    ("grid: {optimizer.lr: [0.1, 0.2]}\nrandom: {optimizer.lr: {uniform: [0.1, 1]}}\nsamples: 2", [],
     "{dir}/s.yaml: optimizer.lr: swept by both grid and random; sweep it in one of them"),
    ("grid: {seed: [1, 2]}\nseeds: [0, 1]", [], "{dir}/s.yaml: seed: swept by both grid and seeds"),
    ("grid: {optimizer.lr: [0.1, 0.2]}\nset: [optimizer.lr=0.5]", [],
     "{dir}/s.yaml: set optimizer.lr=0.5: optimizer.lr is swept (grid), and every point's value would replace "
     "this one; drop it from set"),
    ("grid: {optimizer.lr: [0.1, 0.2]}", ["--set", "optimizer.lr=0.5"],
     "{dir}/s.yaml: --set optimizer.lr=0.5: optimizer.lr is swept (grid)"),
    (None, ["--grid", "optimizer.lr=0.1,0.2", "--set", "optimizer.lr=0.5"],
     "error: --set optimizer.lr=0.5: optimizer.lr is swept (--grid), and every point's value would replace this "
     "one; drop it from --set"),
    (None, ["--grid", "optimizer={name: adam},{name: sgd}", "--set", "optimizer.lr=0.5"],
     "error: --set optimizer.lr=0.5: optimizer is swept (--grid)"),
    (None, ["--grid", "seed=1,2", "--seeds", "0,1"], "error: seed: swept by both --grid and --seeds; sweep it in one"),
], ids=["file-grid-and-grid", "file-random-and-grid", "file-seeds-and-seeds", "grid-and-random", "seed-and-seeds",
        "file-set-and-grid", "set-and-file-grid", "set-and-grid", "set-inside-a-swept-section", "grid-seed-and-seeds"])
def test_a_key_swept_twice_or_swept_and_set_is_one_line(sweep_file, args, expected, tmp_path):
    """A second place for a swept key would silently win over the first (the file's grid over
    --grid, random over grid, every point's value over set): refused, naming both."""
    config(tmp_path)
    if sweep_file is not None:
        (tmp_path / "s.yaml").write_text("config: c.yaml\n" + sweep_file + "\n")
    source = tmp_path / ("s.yaml" if sweep_file else "c.yaml")
    invoke(["sweep", source, *args, "--out", tmp_path / "sw"], expected.replace("{dir}", str(tmp_path)))
    assert not (tmp_path / "sw").exists()


def test_a_sweep_files_name_must_name_a_folder(tmp_path):
    config(tmp_path)
    (tmp_path / "s.yaml").write_text("name: my sweep\nconfig: c.yaml\ngrid: {optimizer.lr: [0.1, 0.2]}\n")
    invoke(["sweep", tmp_path / "s.yaml"], f"{tmp_path}/s.yaml: name: 'my sweep' cannot name a folder "
           "(use letters, digits, '.', '_' and '-')")


# ---------------------------------------------------------------- bounded YAML everywhere


def test_an_alias_bomb_in_a_sweep_files_set_ends_at_once(tmp_path):
    config(tmp_path)
    (tmp_path / "s.yaml").write_text("config: c.yaml\ngrid: {optimizer.lr: [0.1]}\nset:\n" + BOMB)
    code, stdout, stderr, seconds = nnctl(["sweep", "s.yaml", "--out", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "s.yaml: " + EXPANDS)
    assert seconds < 10


def test_an_alias_bomb_in_a_set_value_ends_at_once(tmp_path):
    config(tmp_path)
    override = json.dumps("model.hidden=" + FLOW_BOMB)  # the bomb in the text of a KEY=VALUE, quoted
    (tmp_path / "s.yaml").write_text(f"config: c.yaml\ngrid: {{optimizer.lr: [0.1]}}\nset:\n  - {override}\n")
    code, stdout, stderr, seconds = nnctl(["sweep", "s.yaml", "--out", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "s.yaml: set.0: " + EXPANDS)
    assert seconds < 10


def test_deep_nesting_in_a_sweep_file_is_one_line(tmp_path):
    config(tmp_path)
    (tmp_path / "s.yaml").write_text(f"config: c.yaml\ngrid: {{optimizer.lr: [0.1]}}\nset: {DEEP}\n")
    code, stdout, stderr, seconds = nnctl(["sweep", "s.yaml", "--out", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "s.yaml: refused: nested more than 50 levels deep")
    assert "RecursionError" not in stderr and seconds < 10


def test_an_alias_bomb_in_the_config_of_two_runs_ends_nnctl_runs_at_once(finished, tmp_path):
    folder = copy_sweep(finished, tmp_path)
    for run in ("lr0.1", "lr0.2"):
        (folder / RUNS / run / "config.yaml").write_text("name: x\ndata: {name: moons}\nmodel:\n  hidden:\n" + BOMB)
    code, stdout, stderr, seconds = nnctl(["runs", "sw"], tmp_path, timeout=30)
    # as for any damaged config.yaml: the listing stops at it, naming it
    assert_one_line(code, stdout, stderr, "sw/runs/lr0.1/config.yaml: " + EXPANDS)
    assert seconds < 10


def test_deep_nesting_in_a_runs_config_is_one_line_for_nnctl_runs(finished, tmp_path):
    folder = copy_sweep(finished, tmp_path)
    (folder / RUNS / "lr0.2" / "config.yaml").write_text(f"name: x\nmodel: {DEEP}\n")
    code, stdout, stderr, _ = nnctl(["runs", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "sw/runs/lr0.2/config.yaml: refused: nested more than 50 levels deep")


def test_an_alias_bomb_in_sweep_yaml_ends_nnctl_plot_at_once(finished, tmp_path):
    folder = copy_sweep(finished, tmp_path)
    text = (folder / "sweep.yaml").read_text().replace("grid:\n", "grid:\n  bomb:\n" + BOMB, 1)
    (folder / "sweep.yaml").write_text(text)
    before = snapshot(folder)
    code, stdout, stderr, seconds = nnctl(["plot", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "sw/sweep.yaml: " + EXPANDS)
    assert seconds < 10 and snapshot(folder) == before


# ---------------------------------------------------------------- --jobs


@pytest.mark.parametrize(("args", "workers"), [(["--seeds", "0", "--jobs", "1000"], [1]),
                                               ([*GRID, "--jobs", "1000"], [2]),
                                               ([*GRID, "--seeds", "0,1,2"], [min(6, os.cpu_count() or 1)])],
                         ids=["one-point", "two-points", "default-cores"])
def test_the_pool_has_no_more_workers_than_points(args, workers, tmp_path, monkeypatch):
    from nnctl.sweeps import workers as workers_module

    started = []
    real = workers_module.Workers.__init__

    def counted(self, run_point, jobs, run_group=None):
        started.append(jobs)
        real(self, run_point, jobs, run_group)

    monkeypatch.setattr(workers_module.Workers, "__init__", counted)
    result = runner.invoke(app, ["sweep", str(config(tmp_path)), *args, "--out", str(tmp_path / "sw"), "-q"])
    assert result.exit_code == 0, result.output
    assert started == workers, started  # the training workers (boundaries.png's panels: forked_imap's own)
    started.clear()
    # the pictures and report were drawn above; drawn again they would only cost time here
    monkeypatch.setattr(workflow, "draw_sweep", lambda folder, drawn=None: [])
    again = runner.invoke(app, ["sweep", str(config(tmp_path)), *args, "--out", str(tmp_path / "sw"), "-q"])
    assert again.exit_code == 0, again.output
    assert started == []  # every point finished: no pool at all


# ---------------------------------------------------------------- results.csv read back


def _edit_cell(folder: Path, column: str, value: str, row: int = 0) -> None:
    import csv

    with open(folder / "results.csv", newline="") as f:
        rows = list(csv.reader(f))
    rows[row + 1][rows[0].index(column)] = value
    with open(folder / "results.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


# hangs: a YAML cell that would take unbounded time or memory, read by a real process under a limit
@pytest.mark.parametrize(("column", "value", "expected", "hangs"), [
    ("final.val_loss", "abc", "sw/results.csv: row 1, final.val_loss: not a number: 'abc'", False),
    ("epochs", "x" * 100, "sw/results.csv: row 1, epochs: not a number: '" + "x" * 40 + "…'", False),
    ("optimizer.lr", "!!python/object/apply:os.system ['touch pwned']",
     "sw/results.csv: row 1, optimizer.lr: invalid YAML at line 1: tag 'python/object/apply:os.system' is not allowed",
     False),
    ("optimizer.lr", "[0.1", "sw/results.csv: row 1, optimizer.lr: invalid YAML", False),
    ("optimizer.lr", DEEP, "sw/results.csv: row 1, optimizer.lr: refused: nested more than 50 levels deep", True),
    ("optimizer.lr", FLOW_BOMB, "sw/results.csv: row 1, optimizer.lr: " + EXPANDS, True),
    ("run_dir", "../../..", "sw/results.csv: row 1, run_dir: '../../..' is not a folder under runs/", False),
], ids=["text-in-a-metric", "long-text-cut-at-40", "yaml-python-tag", "broken-yaml", "deep", "alias-bomb",
        "run-dir-outside"])
def test_a_damaged_results_csv_is_one_line_naming_file_row_and_column(column, value, expected, hangs, finished,
                                                                     tmp_path, monkeypatch):
    folder = copy_sweep(finished, tmp_path)
    _edit_cell(folder, column, value)
    before = snapshot(folder)
    if hangs:
        code, stdout, stderr, seconds = nnctl(["plot", "sw"], tmp_path, timeout=30)
    else:
        code, stdout, stderr, seconds = in_process(["plot", "sw"], tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, expected)
    assert seconds < 15 and snapshot(folder) == before and not (tmp_path / "pwned").exists()


def test_results_csv_of_another_tool_is_one_line(finished, tmp_path, monkeypatch):
    folder = copy_sweep(finished, tmp_path)
    (folder / "results.csv").write_text("experiment,accuracy\nmine,0.99\n")
    code, stdout, stderr, _ = in_process(["plot", "sw"], tmp_path, monkeypatch)
    assert_one_line(code, stdout, stderr, "sw/results.csv: not a results.csv nnctl wrote (no name column)")


def test_a_fifo_as_results_csv_is_refused_not_waited_on(finished, tmp_path):
    folder = copy_sweep(finished, tmp_path)
    (folder / "results.csv").unlink()
    os.mkfifo(folder / "results.csv")
    code, stdout, stderr, seconds = nnctl(["plot", "sw"], tmp_path, timeout=30)
    assert_one_line(code, stdout, stderr, "sw/results.csv: not a regular file")
    assert seconds < 10
