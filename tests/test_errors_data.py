"""Issue 12, the data a user gives and the config values that become paths: every hostile or
unlucky input ends with exit code 2 and one line naming the culprit (the file, the key, the
column), never a traceback, a hang, a wrong answer or an echoed secret; the user's files are
byte-identical afterwards and nothing is left behind.

Each case runs the real CLI: in a subprocess with a time limit where the danger is a hang,
in process (typer's CliRunner) otherwise.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import nnctl.data
from nnctl.cli import app

runner = CliRunner()
TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
        "train": {"epochs": 2}, "output": {"plots": []}}
CSV = "x0,x1,label\n0.1,0.2,a\n0.3,0.4,b\n0.5,0.6,a\n0.7,0.8,b\n"
SHADOW = ("root:$6$Zq8sT2vB$Hk3lP9xQwE7rY5uI1oA4sD6fG8hJ0kL2zX4cV6bN8mQ1wE3rT5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5mQ7w"
          ":19000:0:99999:7:::\n"
          "daemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")
HASH = SHADOW.split(":")[1]
LONG = "x" * 300  # a name over every file system's limit of 255 bytes


def config(**sections) -> dict:
    """TINY with these sections replaced."""
    return {**TINY, **sections}


def table(**data) -> dict:
    """A config training on the csv file d.csv beside it."""
    return config(data={"name": "csv", "path": "d.csv", **data})


def write(folder: Path, files: dict) -> None:
    """name -> a mapping (written as YAML), text or bytes."""
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True))


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry under folder: a regular file's bytes, otherwise its kind (a FIFO is not opened)."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                entries[rel] = ("link", os.readlink(path))
            elif path.is_file():
                entries[rel] = path.read_bytes()
            else:
                entries[rel] = "folder" if path.is_dir() else "other"
    return entries


def assert_one_line(code: int, stdout: str, stderr: str, expected: list[str], folder: Path) -> str:
    """Exit 2, nothing on stdout, one `error: …` line holding every expected text, of at most 250
    characters with the test's folder written {dir}; returns the line."""
    assert code == 2, (code, stdout, stderr)
    assert stdout == "" and "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert len(stderr.replace(str(folder), "{dir}")) <= 250, stderr
    for text in expected:
        assert text in stderr, f"{text!r} not in {stderr!r}"
    return stderr


def cli(folder: Path, *args: str, expected: list[str]) -> str:
    """Run the CLI in process on the files in folder: one line, exit 2, every file untouched."""
    before = snapshot(folder)
    result = runner.invoke(app, [a.replace("{dir}", str(folder)) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    line = assert_one_line(result.exit_code, result.stdout, result.stderr,
                           [text.replace("{dir}", str(folder)) for text in expected], folder)
    assert snapshot(folder) == before  # byte-identical, nothing made, no temporary file left
    return line


def process(folder: Path, *args: str, timeout: float = 20) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of one real nnctl process; a hang fails the test."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from nnctl.cli import main; main()", *args], cwd=folder,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - started


@pytest.fixture(autouse=True)
def in_the_test_folder(tmp_path, monkeypatch):
    """Run every case from its own folder: output.dir (default runs/) is relative to the current one."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    write(folder, {"c.yaml": TINY})
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


# ---------------------------------------------------------------- 1. hangs: only regular files are read


@pytest.mark.parametrize(("files", "args", "expected"), [
    ({"c.yaml": table(path="ff")}, ["train", "c.yaml"], ["c.yaml: data.path: ", "/ff: not a regular file"]),
    ({"c.yaml": table(path="/dev/zero")}, ["train", "c.yaml"], ["c.yaml: data.path: /dev/zero: not a regular file"]),
    ({"c.yaml": table(path="ff")}, ["gradcheck", "c.yaml"], ["c.yaml: data.path: ", "/ff: not a regular file"]),
    ({}, ["train", "ff"], ["ff: not a regular file"]),
    ({}, ["train", "/dev/zero"], ["/dev/zero: not a regular file"]),
    ({"c.yaml": config(model={"hidden": [3], "init_from": "ff"})}, ["train", "c.yaml"],
     ["c.yaml: model.init_from: ", "/ff: not a regular file"]),
], ids=["data-path-fifo", "data-path-dev-zero", "gradcheck-data-path-fifo", "config-fifo", "config-dev-zero",
        "init-from-fifo"])
def test_a_fifo_or_a_device_is_refused_at_once_not_read(files, args, expected, tmp_path):
    os.mkfifo(tmp_path / "ff")
    write(tmp_path, files)
    before = snapshot(tmp_path)
    code, stdout, stderr, seconds = process(tmp_path, *args, timeout=10)
    assert_one_line(code, stdout, stderr, expected, tmp_path)
    assert seconds < 5
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- 2. Excel's byte-order mark


def test_an_excel_csv_with_a_byte_order_mark_reads_its_first_column_by_name(tmp_path):
    write(tmp_path, {"c.yaml": table(target="label"), "d.csv": b"\xef\xbb\xbflabel,x0,x1\na,1,2\nb,3,4\na,5,6\nb,7,8\n",
                     "e.yaml": table(path="e.csv"), "e.csv": b"\xef\xbb\xbfx0,x1,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n"})
    for name in ("c", "e"):
        result = runner.invoke(app, ["train", str(tmp_path / f"{name}.yaml"), "--run-dir", str(tmp_path / name), "-q"])
        assert result.exit_code == 0, result.output
        with np.load(tmp_path / name / "data.npz") as data:
            assert data["feature_names"].tolist() == ["x0", "x1"] and data["classes"].tolist() == ["a", "b"]


# ---------------------------------------------------------------- 3. numbers that overflow


NEAR_MAX = "x0,x1,label\n1e308,1,a\n-1e308,2,b\n1.5e308,3,a\n-1.7e308,4,b\n1e308,5,a\n"
SQUARES = "x0,x1,label\n1,1e200,a\n2,-1e200,b\n3,1e200,a\n4,-1e200,b\n"  # a finite mean, an infinite variance


@pytest.mark.parametrize(("files", "expected"), [
    ({"c.yaml": table(standardize=True), "d.csv": NEAR_MAX},
     ["c.yaml: {dir}/d.csv: column 'x0': values up to 1.7e+308 are too large to standardise"]),
    ({"c.yaml": table(standardize=True, validation_fraction=0), "d.csv": NEAR_MAX},
     ["{dir}/d.csv: column 'x0': values up to 1.7e+308 are too large to standardise"]),
    ({"c.yaml": table(standardize=True), "d.csv": SQUARES},
     ["{dir}/d.csv: column 'x1': values up to 1e+200 are too large to standardise"]),
    ({"c.yaml": {**table(), "dtype": "float32"}, "d.csv": CSV.replace("0.4", "1e300")},
     ["{dir}/d.csv: column 'x1': values up to 1e+300 do not fit dtype float32"]),
    ({"c.yaml": {**table(task="regression"), "loss": "mse", "dtype": "float32"},
      "d.csv": "x0,y\n1,0.5\n2,1e300\n3,2.5\n4,1.5\n"},
     ["{dir}/d.csv: the target: values up to 1e+300 do not fit dtype float32"]),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "noise": 1e308})},
     ["c.yaml: data: moons with noise: 1e+308 makes numbers beyond float64's range"]),
    ({"c.yaml": config(data={"name": "noisy-linear", "n_samples": 60, "noise": 1e308}, loss="mse")},
     ["c.yaml: data: noisy-linear with noise: 1e+308 makes numbers beyond float64's range"]),
    ({"c.yaml": config(data={"name": "blobs", "n_samples": 60, "center_box": [-1e308, 1e308]})},
     ["c.yaml: data: blobs with ", "center_box: [-1e+308, 1e+308] makes numbers beyond float64's range"]),
    ({"c.yaml": config(data={"name": "blobs", "n_samples": 60, "centers": [[1e308, 0], [-1e308, 0]],
                             "standardize": True})},
     ["c.yaml: blobs: column 'x0': values up to 1e+308 are too large to standardise"]),
], ids=["standardise-near-max", "standardise-near-max-all-training", "standardise-squares-overflow",
        "float32-feature", "float32-target", "moons-noise", "noisy-linear-noise", "blobs-center-box",
        "standardise-generated-blobs"])
def test_numbers_that_overflow_are_refused_naming_the_column(files, expected, tmp_path):
    write(tmp_path, files)
    cli(tmp_path, "train", "{dir}/c.yaml", expected=expected)


# ---------------------------------------------------------------- 4. secrets in files


@pytest.mark.parametrize("data", [{}, {"target": "password"}, {"delimiter": ";"}], ids=str)
def test_a_file_that_is_not_a_table_is_quoted_nowhere(data, tmp_path):
    """/etc/shadow as data.path: its first line holds a password hash."""
    write(tmp_path, {"c.yaml": table(path="shadow", **data), "shadow": SHADOW})
    line = cli(tmp_path, "train", "{dir}/c.yaml", expected=["{dir}/shadow: not a table: its first line has no "])
    for secret in {part for part in SHADOW.replace("\n", ":").split(":") if len(part) >= 3}:
        assert secret not in line.replace(str(tmp_path), "{dir}")


def test_a_table_is_quoted_at_most_40_characters_a_cell(tmp_path):
    """The shadow file read with ':' as delimiter does parse as a table: its hash, a column name, is never shown
    whole; nor is a long cell or a long target name."""
    secret = "s3cr3t-" + "k" * 100
    write(tmp_path, {"c.yaml": table(target="label"), "d.csv": f"x0,x1,label\n0.1,0.2,a\n0.3,{secret},b\n",
                     "s.yaml": table(path="shadow", delimiter=":", target="pw"), "shadow": SHADOW,
                     "t.yaml": table(target="t" * 100), "h.yaml": table(path="h.csv"),
                     "h.csv": f"x0,{HASH},label\n1,2,a\n3,4,b\n"})
    line = cli(tmp_path, "train", "{dir}/c.yaml",
               expected=[f"d.csv: line 3, column 'x1': '{secret[:39]}…' is not a finite number"])
    assert secret not in line
    line = cli(tmp_path, "train", "{dir}/s.yaml", expected=["shadow: columns 7 and 8 are both named ''"])
    assert HASH[:20] not in line
    line = cli(tmp_path, "train", "{dir}/t.yaml", expected=[f"d.csv: no column '{'t' * 39}…'"])
    assert "t" * 41 not in line
    line = cli(tmp_path, "train", "{dir}/h.yaml", "--set", "data.target=pw",
               expected=[f"h.csv: no column 'pw' (set data.target to one of: 'x0', '{HASH[:39]}…', 'label')"])
    assert HASH[:40] not in line


# ---------------------------------------------------------------- 5. data.npz read back


def _edit(key: str, value) -> callable:
    def edit(arrays: dict) -> None:
        arrays[key] = value(arrays[key]) if callable(value) else value
    return edit


def _set(index, value):
    def change(array):
        array = array.astype(np.float64)
        array[index] = value
        return array
    return change


def _regression_with_infinity(arrays: dict) -> None:
    """data.npz as a regression set would write it, but with an infinite target."""
    arrays["task"], arrays["classes"] = np.array("regression"), np.array([], dtype=np.int64)
    for key in ("y_train", "y_val"):
        arrays[key] = arrays[key].astype(np.float64)[:, None]
    arrays["y_val"][3, 0] = -np.inf


@pytest.mark.parametrize(("command", "edit", "expected"), [
    ("plot", _edit("X_train", _set((0, 0), np.nan)), "data.npz: X_train holds values that are not finite numbers"),
    ("gradcheck", _edit("X_val", _set((1, 1), np.inf)), "data.npz: X_val holds values that are not finite numbers"),
    ("plot", _edit("y_train", _set(0, 0.5)),
     "data.npz: y_train holds 0.5, not a class index (a whole number from 0 to 1)"),
    ("gradcheck", _edit("y_train", _set(0, 0.5)), "data.npz: y_train holds 0.5, not a class index"),
    ("plot", _edit("y_val", _set(2, -1)), "data.npz: y_val holds -1.0, not a class index"),
    ("gradcheck", _edit("y_val", _set(0, np.nan)), "data.npz: y_val holds nan, not a class index"),
    ("plot", _edit("X_train", lambda X: X.astype(str)), "data.npz: X_train holds values that are not finite numbers"),
    ("gradcheck", _edit("classes", np.array([0])),
     "data.npz: classes lists 1 label (a classification set has 2 or more)"),
    ("plot", _regression_with_infinity, "data.npz: y_val holds values that are not finite numbers"),
], ids=["plot-nan-X", "gradcheck-inf-X", "plot-fractional-label", "gradcheck-fractional-label",
        "plot-negative-label", "gradcheck-nan-label", "plot-text-X", "gradcheck-one-class", "plot-infinite-target"])
def test_a_damaged_data_npz_is_one_line_naming_it(command, edit, expected, tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    with np.load(run / "data.npz", allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    edit(arrays)
    np.savez(run / "data.npz", **arrays)
    cli(tmp_path, command, "{dir}/run", expected=[f"{{dir}}/run/{expected}", "(the file is damaged"])


def test_whole_float_labels_in_data_npz_are_read_as_indices(tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    with np.load(run / "data.npz", allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    arrays["y_train"] = arrays["y_train"].astype(np.float64)
    np.savez(run / "data.npz", **arrays)
    assert nnctl.data.read_dataset(run / "data.npz").y_train.dtype == np.int64
    result = runner.invoke(app, ["gradcheck", str(run)])
    assert result.exit_code == 0, result.output


def test_a_standardised_data_npz_with_damaged_statistics_is_refused(tmp_path):
    write(tmp_path, {"c.yaml": table(standardize=True), "d.csv": CSV})
    result = runner.invoke(app, ["train", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "-q"])
    assert result.exit_code == 0, result.output
    for key, value, expected in [("std", np.array([1.0, 0.0]), "std holds a value that is not positive"),
                                 ("mean", np.array([np.nan, 0.0]), "mean holds values that are not finite numbers"),
                                 ("mean", np.zeros(3), "mean and std must both be there, each of 2 values")]:
        with np.load(tmp_path / "run" / "data.npz", allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        saved = dict(arrays)
        arrays[key] = value
        np.savez(tmp_path / "run" / "data.npz", **arrays)
        cli(tmp_path, "plot", "{dir}/run", expected=[f"{{dir}}/run/data.npz: {expected}"])
        np.savez(tmp_path / "run" / "data.npz", **saved)


# ---------------------------------------------------------------- 6. config values that become paths


def _path_config(key: str, value: str) -> dict:
    if key == "data.path":
        return table(path=value)
    if key == "model.init_from":
        return config(model={"hidden": [3], "init_from": value})
    return config(output={"plots": [], "dir": value})


PATH_CASES = [
    ("nul-byte", "a\0b", "'a\\x00b': holds a NUL byte, which no file name can"),
    ("no-such-user", "~nosuchuser-nnctl/x", "'~nosuchuser-nnctl/x': no user 'nosuchuser-nnctl' on this system"),
    ("name-too-long", f"{LONG}/x", "a name in it is 300 bytes long, more than file systems allow (255"),
    ("path-too-long", "/" + "/".join(["y" * 200] * 25), "is 5,025 bytes long, more than file systems allow (4,095"),
]


@pytest.mark.parametrize("key", ["data.path", "model.init_from", "output.dir"])
@pytest.mark.parametrize(("value", "expected"), [pytest.param(v, e, id=i) for i, v, e in PATH_CASES])
def test_a_path_the_system_cannot_take_is_one_line_naming_the_key(key, value, expected, tmp_path):
    write(tmp_path, {"c.yaml": _path_config(key, value), "d.csv": CSV})
    cli(tmp_path, "train", "{dir}/c.yaml", expected=[f"{{dir}}/c.yaml: {key}: ", expected])


UNDER_A_FILE = "a part of the path is a file, not a folder"


@pytest.mark.parametrize(("key", "expected"), [
    ("data.path", f"c.yaml: data.path: {{dir}}/afile/x: cannot read ({UNDER_A_FILE})"),
    ("model.init_from", f"c.yaml: model.init_from: {{dir}}/afile/x: cannot read ({UNDER_A_FILE})"),
    ("output.dir", f"c.yaml: output.dir: afile/x: cannot create the run directory ({UNDER_A_FILE})"),
])
def test_a_path_under_a_file_is_one_line_naming_the_key(key, expected, tmp_path):
    write(tmp_path, {"c.yaml": _path_config(key, "afile/x"), "d.csv": CSV, "afile": "not a folder\n"})
    cli(tmp_path, "train", "{dir}/c.yaml", expected=[expected])


def test_an_output_dir_that_cannot_be_made_is_one_line_naming_the_key(tmp_path, monkeypatch):
    """Root writes anywhere, so a folder the kernel refuses (/sys) stands for a read-only one,
    and a patched mkdir for a folder without permission."""
    write(tmp_path, {"c.yaml": _path_config("output.dir", "/sys/nnctl-test/runs")})
    cli(tmp_path, "train", "{dir}/c.yaml",
        expected=["c.yaml: output.dir: /sys/nnctl-test/runs: cannot create the run directory ("])

    def refused(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    write(tmp_path, {"c.yaml": _path_config("output.dir", str(tmp_path / "locked" / "runs"))})
    monkeypatch.setattr(Path, "mkdir", refused)
    cli(tmp_path, "train", "{dir}/c.yaml",
        expected=["c.yaml: output.dir: {dir}/locked/runs: cannot create the run directory (permission denied)"])


def test_output_dir_expands_the_home_folder_like_the_other_paths(tmp_path, monkeypatch):
    """`output.dir: ~/runs` made a folder named '~' in the current folder."""
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    write(tmp_path / "work", {"c.yaml": config(output={"plots": [], "dir": "~/runs"})})
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    result = runner.invoke(app, ["train", "c.yaml", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "work")) == ["c.yaml"]
    assert len(list((tmp_path / "home" / "runs").iterdir())) == 1


def test_a_loop_of_symbolic_links_as_data_path_is_one_line(tmp_path):
    os.symlink("loop", tmp_path / "loop")
    write(tmp_path, {"c.yaml": table(path="loop")})
    cli(tmp_path, "train", "{dir}/c.yaml", expected=["c.yaml: data.path: {dir}/loop: cannot read ("])


# ---------------------------------------------------------------- 7. more of the same kind in CSV tables


@pytest.mark.parametrize(("files", "expected"), [
    ({"c.yaml": table(), "d.csv": CSV.replace(",", ";")},
     ["d.csv: not a table: its first line has no ',' between column names (set data.delimiter: ';')"]),
    ({"c.yaml": table(delimiter="\t"), "d.csv": CSV},
     ["d.csv: not a table: its first line has no '\\t' between column names (set data.delimiter: ',')"]),
    ({"c.yaml": table(), "d.csv": CSV.replace("x1,label", "x1,la\x1b[2Jbel")},
     ["d.csv: the name of column 3, 'la\\x1b[2Jbel', holds a control character (rename the column)"]),
    ({"c.yaml": table(), "d.csv": CSV.replace("x0,x1", "x0\x00,x1")},
     ["d.csv: the name of column 1, 'x0\\x00', holds a control character"]),
    ({"c.yaml": table(target="label"), "d.csv": "label,x0,label\na,1,a\nb,2,b\na,3,a\nb,4,b\n"},
     ["d.csv: columns 1 and 3 are both named 'label' (give every column its own name)"]),
    ({"c.yaml": table(target="y"), "d.csv": ",".join(f"x{j}" for j in range(1000)) + "\n" + "1," * 999 + "1\n"},
     ["d.csv: no column 'y' (set data.target to one of: 'x0', 'x1', ", "'x9', … (1,000 columns))"]),
], ids=["semicolons-read-with-commas", "tab-delimiter-on-commas", "escape-in-a-column-name",
        "nul-in-a-column-name", "target-name-twice", "a-thousand-columns-listed-briefly"])
def test_more_csv_tables_that_cannot_be_trained_on(files, expected, tmp_path):
    write(tmp_path, files)
    line = cli(tmp_path, "train", "{dir}/c.yaml", expected=expected)
    assert "\x1b" not in line and "\x00" not in line


def test_a_csv_beyond_the_size_limits_is_refused_before_it_is_read(tmp_path, monkeypatch):
    write(tmp_path, {"c.yaml": table(), "d.csv": CSV})
    monkeypatch.setattr(nnctl.data, "MAX_CSV_BYTES", len(CSV) - 1)
    cli(tmp_path, "train", "{dir}/c.yaml", expected=[
        f"c.yaml: data.path: {{dir}}/d.csv: larger than a CSV file may be ({len(CSV) - 1} bytes)"])
    monkeypatch.setattr(nnctl.data, "MAX_CSV_BYTES", len(CSV))
    monkeypatch.setattr(nnctl.data, "MAX_ARRAY_VALUES", 7)
    cli(tmp_path, "train", "{dir}/c.yaml", expected=[
        "d.csv: 4 rows × 2 feature columns = 8 values (at most 7; use fewer rows or columns)"])


# ---------------------------------------------------------------- text feature columns (issue 15)

TEXT_CSV = "x0,color,label\n0.1,red,a\n0.3,blue,b\n0.5,red,a\n0.7,green,b\n0.2,red,a\n0.9,blue,b\n"


@pytest.mark.parametrize(("files", "expected"), [
    ({"c.yaml": table(columns={"color": "txt"}), "d.csv": TEXT_CSV},
     "error: {dir}/c.yaml: data.columns: expected column names with their kind, number or text, like {zip: text}, "
     "got {'color': 'txt'}"),
    ({"c.yaml": table(columns={"colour": "text"}), "d.csv": TEXT_CSV},
     "error: {dir}/c.yaml: data.columns: {dir}/d.csv has no feature column 'colour' (its feature columns: 'x0', "
     "'color')"),
    ({"c.yaml": config(data={"name": "moons", "columns": {"color": "text"}})},
     "error: {dir}/c.yaml: data: unknown key 'columns' (allowed: name, task, validation_fraction, standardize, "
     "standardize_target, features, n_samples, noise)"),
    ({"c.yaml": table(), "d.csv": CSV.replace("0.4", "abc")},
     "error: {dir}/c.yaml: {dir}/d.csv: line 3, column 'x1': 'abc' is not a finite number (fix or remove the row; "
     "if the column holds categories, set data.columns: {x1: text})"),
    ({"c.yaml": table(columns={"color": "number"}), "d.csv": TEXT_CSV},
     "error: {dir}/c.yaml: {dir}/d.csv: line 2, column 'color': 'red' is not a finite number (fix or remove the row)"),
    ({"c.yaml": table(), "d.csv": TEXT_CSV.replace("green", " ")},
     "error: {dir}/c.yaml: {dir}/d.csv: line 5, column 'color': empty cell (fill it or remove the row)"),
], ids=["unknown-kind", "unknown-column", "columns-not-for-moons", "a-stray-word-suggests-data-columns",
        "forced-number-on-text", "empty-text-cell"])
def test_text_column_config_errors_are_one_line(tmp_path, files, expected):
    write(tmp_path, files)
    line = cli(tmp_path, "train", "{dir}/c.yaml", expected=[])
    assert line == expected.replace("{dir}", str(tmp_path)) + "\n"


# ---------------------------------------------------------------- data.features (issue 16)

FORMS = "(the forms: a column, name^2, name^3, a*b, sin(name), cos(name)"


@pytest.mark.parametrize(("files", "args", "expected"), [
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "features": ["x0", "x0^4"]})}, (),
     "error: {dir}/c.yaml: data.features[1]: 'x0^4': the power must be 2 or 3, not '4' " + FORMS + ")"),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "features": ["x2^2"]})}, (),
     "error: {dir}/c.yaml: data.features[0]: 'x2^2': no column 'x2' (the columns: 'x0', 'x1')"),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "features": ["log(x0)"]})}, (),
     "error: {dir}/c.yaml: data.features[0]: 'log(x0)' is neither a column nor a feature " + FORMS +
     "; the columns: 'x0', 'x1')"),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60})}, ("--set", "data.features=[x0, 'x0*x3']"),
     "error: --set \"data.features=[x0, 'x0*x3']\": data.features[1]: 'x0*x3': no column 'x3' (the columns: 'x0', "
     "'x1')"),
    ({"c.yaml": table(features=["x0", "cos(color)"]), "d.csv": TEXT_CSV}, (),
     "error: {dir}/c.yaml: data.features[1]: 'cos(color)': 'color' is a text column (one-hot inputs), which no "
     "transform takes (list it alone: color)"),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "features": "x0^2"})}, (),
     "error: {dir}/c.yaml: data.features: expected a list of features like [x0, x0^2, x0*x1, sin(x1)], got 'x0^2' "
     + FORMS + ")"),
    ({"c.yaml": config(data={"name": "moons", "n_samples": 60, "features": ["x0", 2]})}, (),
     "error: {dir}/c.yaml: data.features: expected a list of features like [x0, x0^2, x0*x1, sin(x1)], got "
     "['x0', 2] " + FORMS + ")"),
], ids=["power-4", "unknown-column", "unknown-form", "unknown-column-in-an-override", "text-in-a-transform",
        "not-a-list", "not-text"])
def test_feature_errors_name_the_item_and_the_forms(tmp_path, files, args, expected):
    write(tmp_path, files)
    line = cli(tmp_path, "train", "{dir}/c.yaml", *args, expected=[])
    assert line == expected.replace("{dir}", str(tmp_path)) + "\n"


@pytest.fixture(scope="module")
def text_run(tmp_path_factory) -> Path:
    """A run on TEXT_CSV (x0 a number column, color a text one) and its exported predict.py."""
    folder = tmp_path_factory.mktemp("text")
    write(folder, {"c.yaml": table(), "d.csv": TEXT_CSV})
    assert runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run")]).exit_code == 0
    assert runner.invoke(app, ["export", str(folder / "run"), "--format", "numpy", "--out",
                               str(folder / "predict.py")]).exit_code == 0
    return folder


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("new.npy", np.zeros((2, 2)),
     "error: {dir}/new.npy: a .npy array holds numbers, but the run's column 'color' is text (give a CSV with a "
     "header)"),
    ("new.csv", "x0,color,label\n0.1,red,a\n0.2, ,b\n",
     "error: {dir}/new.csv: line 3, column 'color': empty cell (the run's model takes one of its categories here: "
     "'blue', 'red')"),
    ("new.csv", "x0,colour,label\n0.1,red,a\n",
     "error: {dir}/new.csv: no column 'color' (the run's features: 'x0', 'color')"),
], ids=["npy-for-a-text-run", "empty-text-cell", "missing-text-column"])
def test_predicting_a_text_run_refuses_bad_input_in_one_line(tmp_path, text_run, name, content, expected):
    shutil.copytree(text_run / "run", tmp_path / "run")
    if name.endswith(".npy"):
        np.save(tmp_path / name, content)
    else:
        (tmp_path / name).write_text(content)
    for command in (["predict", "{dir}/run", f"{{dir}}/{name}", "--out", "{dir}/p.csv"],
                    ["evaluate", "{dir}/run", f"{{dir}}/{name}", "--out", "{dir}/pictures"]):
        line = cli(tmp_path, *command, expected=[])
        assert line == expected.replace("{dir}", str(tmp_path)) + "\n"


@pytest.mark.parametrize(("content", "expected"), [
    ("x0,color\n0.1,red\nabc,blue\n", "error: {dir}/in.csv: line 3, column 'x0': 'abc' is not a number"),
    ("x0,color\n0.1,red\nnan,blue\n", "error: {dir}/in.csv: line 3, column 'x0': 'nan' is not a finite number"),
    ("x0,colour\n0.1,red\n", "error: {dir}/in.csv: no column 'color' (the run's features: x0, color)"),
    ("x0,color\n0.1,red\n0.2,\n", "error: {dir}/in.csv: line 3, column 'color': empty cell (give one of the run's "
                                  "categories)"),
    ("x0,color\n0.1,red\n0.2\n", "error: {dir}/in.csv: line 3 has 1 cells, the header 2 (fix the row)"),
    (None, "error: {dir}/in.csv: cannot read (No such file or directory)"),
], ids=["text-in-a-number-column", "nan", "missing-column", "empty-text-cell", "short-row", "missing-file"])
def test_the_exported_numpy_script_refuses_bad_input_in_one_line(tmp_path, text_run, content, expected):
    if content is not None:
        (tmp_path / "in.csv").write_text(content)
    before = snapshot(tmp_path)
    done = subprocess.run([sys.executable, str(text_run / "predict.py"), str(tmp_path / "in.csv")],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "") and snapshot(tmp_path) == before
    assert done.stderr == expected.replace("{dir}", str(tmp_path)) + "\n"
