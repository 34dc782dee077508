"""Trust in what nnctl writes and reads (issue 12): --overwrite and --out touch only what is
provably nnctl's own, every file is written atomically, and every YAML nnctl reads is bounded.

Each case runs the real CLI and checks the exit code, the one error line naming the culprit,
that every file of the user's is byte-identical afterwards and that no temporary file is left.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.files import MAX_YAML_BYTES, MAX_YAML_DEPTH, YamlTooLarge, parse_yaml, temporary_name, temporary_of

runner = CliRunner()
TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
        "train": {"epochs": 2}, "output": {"plots": ["loss"]}}
BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] + [
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(9)]) + "\n"


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below `folder` (hidden ones too, links as their targets' names): its bytes."""
    out: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            out[key] = f"-> {os.readlink(path)}" if path.is_symlink() else (
                path.read_bytes() if path.is_file() else "dir")
    return out


def invoke(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line(result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if temporary_of(p.name)]


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    (folder / "c.yaml").write_text(yaml.safe_dump(TINY))
    result = invoke("train", folder / "c.yaml", "--run-dir", folder / "run", "-q")
    assert result.exit_code == 0, result.output
    return folder / "run"


@pytest.fixture
def trained(tmp_path, config, trained_once) -> Path:
    """TINY trained into tmp_path/run: a copy of one run trained once (its files name no path),
    so each test may damage its own."""
    return Path(shutil.copytree(trained_once, tmp_path / "run", symlinks=True))


# ---------------------------------------------------------------- --overwrite of a run directory


def _project(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.yaml").write_text("mine: true\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / ".env").write_text("TOKEN=secret\n")


def _other_tool(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(TINY))  # even a config nnctl could read
    (folder / "metrics.csv").write_text("epoch,loss\n0,1.0\n")
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "model.pt").write_bytes(b"\x80\x02torch")


def _other_tool_config(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.yaml").write_text("trainer: {max_epochs: 3}\n")
    (folder / "metrics.csv").write_text("epoch,loss\n0,1.0\n")


def _hidden_file_only(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(TINY))
    (folder / ".notes").write_text("keep")


@pytest.mark.parametrize(("make", "culprit"), [
    (_project, "it holds .env"),
    (_other_tool, "it holds checkpoints/model.pt"),
    (_other_tool_config, "its config.yaml is not an nnctl config"),
    (_hidden_file_only, "it holds .notes"),
], ids=["git-and-env", "another-tools-checkpoints", "another-tools-config", "a-hidden-file"])
def test_overwrite_refuses_a_folder_that_is_not_provably_a_run(tmp_path, config, make, culprit):
    folder = tmp_path / "proj"
    make(folder)
    before = snapshot(folder)
    result = invoke("train", config, "--run-dir", folder, "--overwrite", "-q")
    assert_one_line(result, f"{folder}: not a run directory", culprit, "--overwrite only replaces run directories")
    assert snapshot(folder) == before


def test_overwrite_never_follows_a_link(tmp_path, config, trained):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    (trained / "checkpoints").symlink_to(precious, target_is_directory=True)
    before, kept = snapshot(trained), snapshot(precious)
    assert_one_line(invoke("train", config, "--run-dir", trained, "--overwrite", "-q"), "it holds checkpoints")
    assert snapshot(trained) == before and snapshot(precious) == kept
    (trained / "checkpoints").unlink()
    (trained / "model.npz").unlink()
    (trained / "model.npz").symlink_to(precious / "thesis.tex")
    assert_one_line(invoke("train", config, "--run-dir", trained, "--overwrite", "-q"), "it holds model.npz")
    assert snapshot(precious) == kept
    link = tmp_path / "link"
    link.symlink_to(precious, target_is_directory=True)
    assert_one_line(invoke("train", config, "--run-dir", link, "--overwrite", "-q"),
                    f"--run-dir {link}: is a symbolic link")
    assert snapshot(precious) == kept


def test_overwrite_replaces_a_run_file_by_file_without_a_recursive_delete(tmp_path, config, monkeypatch):
    import shutil

    run = tmp_path / "run"
    first = invoke("train", config, "--run-dir", run, "--set", "train.checkpoint_every=1", "-q")
    assert first.exit_code == 0 and (run / "checkpoints" / "epoch-0002.npz").is_file()
    (run / temporary_name("model.npz")).write_bytes(b"a write cut off by a kill")

    def refuse(*args, **kwargs):
        raise AssertionError("a recursive delete")

    monkeypatch.setattr(shutil, "rmtree", refuse)
    again = invoke("train", config, "--run-dir", run, "--overwrite", "--set", "seed=1", "-q")
    assert again.exit_code == 0, again.output
    assert yaml.safe_load((run / "config.yaml").read_text())["seed"] == 1
    assert not (run / "checkpoints").exists() and no_temporaries(run)


def test_overwrite_takes_a_run_killed_while_claiming_its_config_yaml(tmp_path, config):
    """config.yaml is written exclusively: the name is claimed with an empty file, then the
    temporary file renamed onto it. A kill between the two (a sweep's worker stopped by Ctrl-C)
    leaves both; that folder is a run's, and --overwrite (a resumed sweep) replaces it. An empty
    config.yaml with no temporary file of it is not."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("")
    (run / temporary_name("config.yaml")).write_text(yaml.safe_dump(TINY))
    again = invoke("train", config, "--run-dir", run, "--overwrite", "-q")
    assert again.exit_code == 0, again.output
    assert yaml.safe_load((run / "config.yaml").read_text())["name"] == "tiny" and no_temporaries(run)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.yaml").write_text("")
    assert_one_line(invoke("train", config, "--run-dir", other, "--overwrite", "-q"),
                    "its config.yaml is not an nnctl config")


def test_an_inventory_file_of_the_wrong_kind_is_foreign(tmp_path, config, trained):
    (trained / "model.npz").unlink()
    (trained / "model.npz").mkdir()  # a folder where nnctl writes a file
    (trained / "model.npz" / "mine.txt").write_text("keep")
    assert_one_line(invoke("train", config, "--run-dir", trained, "--overwrite", "-q"), "it holds model.npz")
    assert (trained / "model.npz" / "mine.txt").read_text() == "keep"


# ---------------------------------------------------------------- values that become a run directory


@pytest.mark.parametrize(("run_dir", "expected"), [
    ("x" * 300, "the name is too long"),
    ("c.yaml/run", "a part of the path is a file, not a folder"),
    ("/proc/nope/run", "cannot create the run directory"),
], ids=["name-too-long", "parent-is-a-file", "parent-cannot-be-made"])
def test_a_run_dir_that_cannot_be_one_is_one_line(tmp_path, config, monkeypatch, run_dir, expected):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = invoke("train", config, "--run-dir", run_dir, "-q")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    line = result.stderr.strip()
    assert line.startswith("error: --run-dir") and "\n" not in line and expected.lower() in line.lower(), line
    assert snapshot(tmp_path) == before


def test_a_nul_byte_in_a_run_dir_is_one_error():
    """A shell cannot pass one, but a script calling the library can."""
    from nnctl.errors import NnctlError
    from nnctl.runs import claim_run_dir

    with pytest.raises(NnctlError, match="--run-dir bad.name: cannot use it \\(the name holds a NUL byte\\)"):
        claim_run_dir(Path("bad\0name"), overwrite=False)


# ---------------------------------------------------------------- nnctl plot --out, --dpi


def test_plot_out_never_replaces_a_users_file_without_overwrite(tmp_path, trained):
    out = tmp_path / "figures"
    out.mkdir()
    (out / "loss.png").write_bytes(b"my own picture")
    assert_one_line(invoke("plot", trained, "--out", out, "--only", "boundary,loss"),
                    f"--out {out}: loss.png exists (pass --overwrite to replace it)")
    assert snapshot(out) == {"loss.png": b"my own picture"}  # nothing drawn: all or nothing
    done = invoke("plot", trained, "--out", out, "--only", "boundary,loss", "--overwrite")
    assert done.exit_code == 0, done.output
    assert (out / "loss.png").read_bytes().startswith(b"\x89PNG") and (out / "boundary.png").is_file()


def test_redrawing_in_the_run_directory_replaces_its_own_pictures(trained):
    old = (trained / "loss.png").read_bytes()
    done = invoke("plot", trained, "--only", "loss", "--dpi", "60")
    assert done.exit_code == 0, done.output
    assert (trained / "loss.png").read_bytes() != old


def test_an_absurd_dpi_is_refused_before_memory_is_taken(trained):
    started = time.perf_counter()
    assert_one_line(invoke("plot", trained, "--dpi", "100000"), "--dpi: must be between 10 and 600, got 100000")
    assert time.perf_counter() - started < 2.0


def test_plot_options_of_a_run_are_refused_on_a_sweep_folder(tmp_path):
    (tmp_path / "sweep.yaml").write_text("config: c.yaml\n")
    assert_one_line(invoke("plot", tmp_path, "--out", tmp_path / "elsewhere"), "is a sweep folder")
    assert not (tmp_path / "elsewhere").exists()


# ---------------------------------------------------------------- pictures are written atomically


@pytest.mark.parametrize("drawn_by", ["pixels", "matplotlib"])
def test_a_picture_that_cannot_be_written_leaves_the_old_one_and_no_temporary(trained, monkeypatch, drawn_by):
    """loss.png is drawn as pixels (canvas.write_png encodes it into the temporary file),
    loss.svg by matplotlib: a disk that fills halfway through either leaves the old picture whole."""
    from matplotlib.figure import Figure

    from nnctl.plots.raster import canvas

    name = "loss.png" if drawn_by == "pixels" else "loss.svg"
    if drawn_by == "matplotlib":
        assert invoke("plot", trained, "--only", "loss", "--image-format", "svg").exit_code == 0
    old = (trained / name).read_bytes()

    def disk_full(*args, **kwargs):  # write_png(file, pixels, ...) and Figure.savefig(self, file, ...)
        file = args[0] if drawn_by == "pixels" else args[1]
        file.write(b"\x89PNG half a picture")
        raise OSError(errno.ENOSPC, "No space left on device")

    if drawn_by == "pixels":
        monkeypatch.setattr(canvas, "write_png", disk_full)
    else:
        monkeypatch.setattr(Figure, "savefig", disk_full)
    result = invoke("plot", trained, "--only", "loss", "--overwrite",
                    *(["--image-format", "svg"] if drawn_by == "matplotlib" else []))
    assert_one_line(result, f"{trained / name}: could not be written", "the disk is full")
    assert (trained / name).read_bytes() == old and no_temporaries(trained)


def test_an_animation_cut_off_leaves_the_old_gif(tmp_path, config):
    run = tmp_path / "run"
    done = invoke("train", config, "--run-dir", run, "--set", "output.plots=[]",
                  "--set", "output.animation.frames=3", "-q")  # the checkpoints of three frames
    assert done.exit_code == 0, done.output
    (run / "animation.gif").write_bytes(b"GIF89a the film drawn before")
    old = (run / "animation.gif").read_bytes()
    from PIL import Image

    def cut(self, *args, **kwargs):  # Pillow writes the GIF's frames, each with its duration
        raise OSError(errno.EFBIG, "File too large")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Image.Image, "save", cut)
        result = invoke("plot", run, "--only", "animation")
    assert result.exit_code == 2 and "Traceback" not in result.output
    *progress, last = result.stderr.splitlines()  # "animation: N frames" lines, then the error
    assert last == f"error: {run / 'animation.gif'}: could not be written (the file is larger than this system allows)"
    assert (run / "animation.gif").read_bytes() == old and no_temporaries(run)


# a process killed (SIGKILL) while it writes loss.png: half the bytes written, then the kill
KILLED_WHILE_SAVING = """
import os, signal, sys
from nnctl.plots.raster import canvas
def half_then_killed(file, *args, **kwargs):
    file.write(b"\\x89PNG half")
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)
canvas.write_png = half_then_killed  # loss.png is encoded straight into its temporary file
from nnctl.cli import main
main()
"""


def test_a_kill_while_a_picture_is_written_leaves_the_good_one(trained):
    old = (trained / "loss.png").read_bytes()
    done = subprocess.run([sys.executable, "-c", KILLED_WHILE_SAVING, "plot", str(trained), "--only", "loss"],
                          capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert (trained / "loss.png").read_bytes() == old
    # the kill leaves its temporary file; it is nnctl's own, so --overwrite may remove it
    assert [temporary_of(p.name) for p in trained.iterdir() if temporary_of(p.name)] == ["loss.png"]


# ---------------------------------------------------------------- every YAML nnctl reads is bounded


def _deep(levels: int) -> str:
    return "model: " + "[" * levels + "]" * levels + "\n"


@pytest.mark.parametrize(("text", "expected"), [
    (BOMB, "its aliases (*name) expand it to more than"),
    (_deep(20_000), f"nested more than {MAX_YAML_DEPTH} levels deep"),
    ("name: x\n" + "#" * (MAX_YAML_BYTES + 10) + "\n", "larger than a YAML file may be (1,000,000 bytes)"),
], ids=["alias-bomb", "nesting-20000-deep", "over-a-megabyte"])
def test_a_config_that_would_expand_or_nest_without_bound_is_refused_quickly(tmp_path, text, expected):
    (tmp_path / "c.yaml").write_text(text)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from nnctl.cli import main; main()", "train", "c.yaml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert time.perf_counter() - started < 10
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: c.yaml: "), done.stderr
    assert expected in done.stderr


def test_a_set_value_is_bounded_too(config):
    levels = [f"&{c} [" + ", ".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefg", "bcdefgh", strict=True)]
    result = invoke("train", config, "--set", f"name=[&a [1, 1, 1, 1, 1, 1, 1, 1, 1], {', '.join(levels)}]")
    assert_one_line(result, "--set", "cannot parse the value", "expand it to more than")


def test_aliases_within_the_texts_size_still_load():
    """The bound refuses expansion beyond what the text could hold, not aliases as such."""
    text = "base: &base {name: adam, lr: 0.01}\na: *base\nb: *base\n"
    assert parse_yaml(text) == {"base": {"name": "adam", "lr": 0.01}, "a": {"name": "adam", "lr": 0.01},
                                "b": {"name": "adam", "lr": 0.01}}
    levels = MAX_YAML_DEPTH - 1  # under the top mapping
    assert parse_yaml("model: " + "[" * levels + "]" * levels) is not None


def test_an_alias_inside_its_own_anchor_is_refused_not_counted_forever(config, tmp_path):
    """`&a [*a]` holds itself: the alias bound counted its size forever (a hang, memory growing)."""
    for text in ("&a [*a]", "a: &x {b: [1, *x]}"):
        with pytest.raises(YamlTooLarge, match="holds itself"):
            parse_yaml(text)
    assert_one_line(invoke("train", config, "--set", "name=&a [*a]"), "--set", "holds itself")
    looped = tmp_path / "looped.yaml"
    looped.write_text("data: &d {name: moons, again: *d}\n")
    assert_one_line(invoke("train", looped), str(looped), "refused", "holds itself")


def test_a_text_read_again_is_not_parsed_again_and_each_reader_gets_its_own_copy():
    """parse_yaml remembers short texts (a sweep's points read one config file and the same
    overrides dozens of times), and hands out copies: changing what one caller got does not
    change the next answer (and an alias is one object within one answer, as a parse gives it)."""
    from nnctl import files

    text = "base: &base {name: adam, lr: 0.01}\na: *base\nhidden: [16, 16]\n"
    first = parse_yaml(text)
    parses = files._parsed.cache_info().misses
    second = parse_yaml(text)
    assert files._parsed.cache_info().misses == parses  # not parsed again
    assert second == first and second is not first and second["hidden"] is not first["hidden"]
    first["hidden"].append(8)
    first["base"]["lr"] = 1.0
    assert parse_yaml(text) == {"base": {"name": "adam", "lr": 0.01}, "a": {"name": "adam", "lr": 0.01},
                                "hidden": [16, 16]}
    assert first["a"]["lr"] == 1.0  # the alias is still one object within one answer, as a parse gives it
    with pytest.raises(yaml.YAMLError):  # a text that does not parse raises every time
        parse_yaml("a: [1, 2")
    with pytest.raises(yaml.YAMLError):
        parse_yaml("a: [1, 2")

def test_npz_files_are_checked_before_they_are_loaded(tmp_path, trained):
    """Complex weights would be cut to their real part; an object array would need pickle."""
    np.savez(trained / "model.npz", **{k: v.astype(complex) for k, v in np.load(trained / "model.npz").items()})
    assert_one_line(invoke("plot", trained), f"{trained / 'model.npz'}: W0 holds complex numbers")


def test_every_file_nnctl_writes_goes_through_the_one_atomic_write():
    """Writing calls appear in nnctl/files.py only; everything else calls its atomic writers."""
    import re

    writes = re.compile(r"\.savefig\(|np\.savez\w*\(|\.write_text\(|\.write_bytes\(|json\.dump\(|\.to_csv\("
                        r"|open\([^)]*['\"][wax]b?['\"]|os\.open\(")
    package = Path(__file__).parent.parent / "nnctl"
    found = [f"{path.relative_to(package)}:{n}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if path.name != "files.py"
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if writes.search(line.split("#")[0])]
    assert found == []
