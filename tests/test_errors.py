"""Every mistake a user can make ends with exit code 2 and one line that names it and what is
allowed, never a traceback. One table of cases, each run through the real CLI; each case lists
what its error line must contain: the file, the dotted key, the bad value, the line or column,
the allowed names or the closest one.

In the table, `{dir}` stands for the case's own folder; `c.yaml` there is TINY unless the case
writes another one, and `run` can be a copy of a real run directory with one file damaged.
"""

from __future__ import annotations

import shlex
import shutil
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml
from processes import run_process
from typer.testing import CliRunner

from nnctl.cli import app, main
from nnctl.data import DATASETS, feature_count

runner = CliRunner()
TINY = {
    "name": "tiny",
    "data": {"name": "moons", "n_samples": 60},
    "model": {"hidden": [3]},
    "train": {"epochs": 2},
    "output": {"plots": []},
}
CSV = "x0,x1,label\n0.1,0.2,a\n0.3,0.4,b\n0.5,0.6,a\n0.7,0.8,b\n"
TABLE = {"name": "csv", "path": "d.csv"}
WIDE_CSV = ",".join([*(f"x{j}" for j in range(300)), "label"]) + "\n" + "".join(
    ",".join(["0.5"] * 300 + [label]) + "\n" for label in "abab")
ACTIVATIONS = "(choose from: elu, leaky-relu, linear, relu, sigmoid, softplus, tanh)"
Writer = Callable[[Path, Path], None]  # (the file to write, a trained run directory to copy from)


@dataclass(frozen=True)
class Case:
    """argv: the command line; expected: what the error line must contain; files: name -> a
    mapping (written as YAML), text, bytes or a Writer; absent: a file that must not appear."""

    argv: str
    expected: tuple[str, ...]
    files: dict = field(default_factory=dict)
    absent: str | None = None

    def args(self, folder: Path) -> list[str]:
        return [_here(arg, folder) for arg in shlex.split(self.argv)]


def _here(text: str, folder: Path) -> str:
    return text.replace("{dir}", str(folder))


def _short(text: str, folder: Path) -> str:
    return text.replace(str(folder), "{dir}")


def case(id: str, argv: str, *expected: str, absent: str | None = None, **files):
    """One row of the table; keyword arguments are files (dots in names as '_': d_csv)."""
    files = {name.replace("_", ".", 1): content for name, content in files.items()}
    return pytest.param(Case(argv, expected, files, absent), id=id)


def config(**sections) -> dict:
    """TINY with these sections replaced."""
    return {**TINY, **sections}


def npz(**arrays) -> Writer:
    return lambda path, run: np.savez(path, **arrays)


def damaged_run(damage: Callable[[Path], None]) -> Writer:
    """A copy of the trained run with `damage(copy)` applied."""

    def write(path: Path, run: Path) -> None:
        shutil.copytree(run, path)
        damage(path)

    return write


def _edit_config(run: Path, **model) -> None:
    raw = yaml.safe_load((run / "config.yaml").read_text())
    raw["model"].update(model)
    (run / "config.yaml").write_text(yaml.safe_dump(raw))


def _edit_npz(path: Path, edit: Callable[[dict], object]) -> None:
    with np.load(path, allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    edit(arrays)
    np.savez(path, **arrays)


def _third_feature(arrays: dict) -> None:
    """data.npz as another data set would write it: three features, consistent in itself."""
    for key in ("X_train", "X_val"):
        arrays[key] = np.c_[arrays[key], np.zeros(len(arrays[key]))]
    arrays["feature_names"] = np.array(["x0", "x1", "x2"])


def _regression(arrays: dict) -> None:
    arrays["task"] = np.array("regression")
    for key in ("y_train", "y_val"):
        arrays[key] = arrays[key].astype(np.float64)[:, None]
    arrays["classes"] = np.array([], dtype=np.int64)


def _checkpoints(run: Path) -> None:
    """A good first checkpoint, a stray file that is not one, and one of a wider network."""
    (run / "checkpoints").mkdir()
    shutil.copy(run / "model.npz", run / "checkpoints" / "epoch-0000.npz")
    (run / "checkpoints" / "epoch-final.npz").write_text("not a checkpoint")
    np.savez(run / "checkpoints" / "epoch-0002.npz", W0=np.zeros((2, 5)), b0=np.zeros(5), W1=np.zeros((5, 2)),
             b1=np.zeros(2))


OBJECTS = npz(W0=np.array([{"a": 1}], dtype=object))

YAML_AND_FILES = [
    case("yaml-syntax-names-line-and-column", "train {dir}/c.yaml",
         "{dir}/c.yaml: invalid YAML at line 3, column 5", "expected ',' or ']'",
         c_yaml="model:\n  hidden: [4\nloss: mse\n"),
    case("yaml-mapping-in-a-value", "train {dir}/c.yaml", "c.yaml: invalid YAML at line 2, column 11",
         c_yaml="seed: 1\nname: moon: s\n"),
    case("yaml-tab-indent", "train {dir}/c.yaml", "c.yaml: invalid YAML at line 2, column 1", "'\\t'",
         c_yaml="model:\n\thidden: [4]\n"),
    case("yaml-duplicate-key", "train {dir}/c.yaml", "c.yaml: duplicate key 'model' at line 3 (the first is at line 1)",
         c_yaml="model: {hidden: [4]}\nseed: 1\nmodel: {hidden: [8]}\n"),
    case("yaml-unhashable-key", "train {dir}/c.yaml", "c.yaml: invalid YAML at line 1", "[1, 2]",
         c_yaml="? [1, 2]\n: 3\n"),
    case("yaml-python-tag-is-refused-not-run", "train {dir}/c.yaml",
         "c.yaml: invalid YAML at line 1", "tag 'python/object/apply:os.system'", "plain YAML",
         c_yaml="name: !!python/object/apply:os.system ['touch {dir}/pwned']\n", absent="pwned"),
    case("yaml-python-name-tag", "train {dir}/c.yaml", "c.yaml: invalid YAML at line 2", "python/name:os.system",
         c_yaml="seed: 1\nname: !!python/name:os.system\n"),
    case("config-is-a-list", "train {dir}/c.yaml", "c.yaml: expected a mapping of keys", "got list",
         c_yaml="- data\n- model\n"),
    case("config-is-text", "train {dir}/c.yaml", "c.yaml: expected a mapping of keys", "got str", c_yaml="moons\n"),
    case("config-empty", "train {dir}/c.yaml", "c.yaml: the file is empty", c_yaml=""),
    case("config-only-comments", "train {dir}/c.yaml", "c.yaml: the file is empty", c_yaml="# to do\n"),
    case("config-missing", "train {dir}/nope.yaml", "{dir}/nope.yaml: no such file"),
    case("config-is-a-folder", "train {dir}", "{dir}: is a folder, not a YAML file"),
    case("config-not-text", "train {dir}/c.yaml", "c.yaml: cannot read", "utf-8", c_yaml=b"\xff\xfe\x00"),
]

UNKNOWN_KEYS = [
    case("key-top-level", "train {dir}/c.yaml", "c.yaml: unknown key 'modle'", "did you mean 'model'?",
         c_yaml=config(modle={"hidden": [3]})),
    case("key-data", "train {dir}/c.yaml", "data: unknown key 'nosie'", "did you mean 'noise'?",
         c_yaml=config(data={"name": "moons", "nosie": 0.1})),
    case("key-model", "train {dir}/c.yaml", "model: unknown key 'activaton'", "did you mean 'activation'?",
         c_yaml=config(model={"activaton": "relu"})),
    case("key-loss", "train {dir}/c.yaml", "loss: unknown key 'l_2'", "did you mean 'l2'?", "allowed: name, l2",
         c_yaml=config(loss={"name": "mse", "l_2": 0.1})),
    case("key-optimizer", "train {dir}/c.yaml", "optimizer: unknown key 'momentun'", "did you mean 'momentum'?",
         c_yaml=config(optimizer={"name": "sgd", "momentun": 0.9})),
    case("key-schedule", "train {dir}/c.yaml", "optimizer.schedule: unknown key 'gama'", "did you mean 'gamma'?",
         c_yaml=config(optimizer={"schedule": {"name": "step", "gama": 0.5}})),
    case("key-train", "train {dir}/c.yaml", "train: unknown key 'epoch'", "did you mean 'epochs'?",
         c_yaml=config(train={"epoch": 3})),
    case("key-early-stopping", "train {dir}/c.yaml", "train.early_stopping: unknown key 'patiense'",
         "did you mean 'patience'?", c_yaml=config(train={"early_stopping": {"patiense": 3}})),
    case("key-output", "train {dir}/c.yaml", "output: unknown key 'plot'", "did you mean 'plots'?",
         c_yaml=config(output={"plot": []})),
    case("key-animation", "train {dir}/c.yaml", "output.animation: unknown key 'frame'", "did you mean 'frames'?",
         c_yaml=config(output={"plots": [], "animation": {"frame": 3}})),
]

WRONG_TYPES = [
    case("type-hidden-text", "train {dir}/c.yaml", "model.hidden: expected a list, got 'wide'",
         c_yaml=config(model={"hidden": "wide"})),
    case("type-epochs-text", "train {dir}/c.yaml", "train.epochs: expected a whole number, got 'ten'",
         c_yaml=config(train={"epochs": "ten"})),
    case("type-lr-text", "train {dir}/c.yaml", "optimizer.lr: expected a number, got 'fast'",
         c_yaml=config(optimizer={"name": "adam", "lr": "fast"})),
    case("type-shuffle-text", "train {dir}/c.yaml", "train.shuffle: expected true or false, got 'maybe'",
         c_yaml=config(train={"shuffle": "maybe"})),
    case("type-section-is-a-list", "train {dir}/c.yaml", "data: expected a mapping of keys, got [1, 2]",
         c_yaml=config(data=[1, 2])),
    case("type-seed-fraction", "train {dir}/c.yaml", "seed: expected a whole number, got 1.5",
         c_yaml=config(seed=1.5)),
    case("type-center-box-text", "train {dir}/c.yaml",
         "data.center_box: expected two numbers [low, high] with low < high, got ['a', 'b']",
         c_yaml=config(data={"name": "blobs", "center_box": ["a", "b"]})),
    case("type-long-value-is-shortened", "train {dir}/c.yaml", "model.hidden: expected a list, got 'xxxxx", "...",
         c_yaml=config(model={"hidden": "x" * 5000})),
]

OUT_OF_RANGE = [
    case("range-lr-zero", "train {dir}/c.yaml", "optimizer.lr: must be > 0, got 0",
         c_yaml=config(optimizer={"name": "sgd", "lr": 0})),
    case("range-lr-negative", "train {dir}/c.yaml", "optimizer.lr: must be > 0, got -0.01",
         c_yaml=config(optimizer={"name": "adam", "lr": -0.01})),
    case("range-batch-size-zero", "train {dir}/c.yaml",
         "train.batch_size: expected a whole number ≥ 1 or 'full', got 0",
         c_yaml=config(train={"batch_size": 0})),
    case("range-width-zero", "train {dir}/c.yaml", "model.hidden: widths must be between 1 and 100,000, got 0",
         c_yaml=config(model={"hidden": [4, 0]})),
    case("range-width-negative", "train {dir}/c.yaml", "model.hidden: widths must be between 1 and 100,000, got -3",
         c_yaml=config(model={"hidden": [-3]})),
    case("range-epochs-negative", "train {dir}/c.yaml", "train.epochs: must be ≥ 0, got -1",
         c_yaml=config(train={"epochs": -1})),
    case("range-fraction-one", "train {dir}/c.yaml", "data.validation_fraction: must be < 1.0, got 1.0",
         c_yaml=config(data={"name": "moons", "validation_fraction": 1.0})),
    case("range-fraction-negative", "train {dir}/c.yaml", "data.validation_fraction: must be ≥ 0.0, got -0.1",
         c_yaml=config(data={"name": "moons", "validation_fraction": -0.1})),
    case("range-n-samples-zero", "train {dir}/c.yaml", "data.n_samples: must be between 1 and 10,000,000, got 0",
         c_yaml=config(data={"name": "moons", "n_samples": 0})),
    case("range-l2-negative", "train {dir}/c.yaml", "loss.l2: must be ≥ 0.0, got -1",
         c_yaml=config(loss={"name": "cross-entropy", "l2": -1})),
    case("range-center-box-reversed", "train {dir}/c.yaml",
         "data.center_box: expected two numbers [low, high] with low < high, got [5, -5]",
         c_yaml=config(data={"name": "blobs", "center_box": [5, -5]})),
    case("range-gamma", "train {dir}/c.yaml", "optimizer.schedule.gamma: must be in (0, 1]", "got 2",
         c_yaml=config(optimizer={"schedule": {"name": "exponential", "gamma": 2}})),
]

UNKNOWN_NAMES = [
    case("name-dataset", "train {dir}/c.yaml",
         "data.name: unknown 'moon' (choose from: blobs, bump, circles, csv, digits, moons, noisy-linear, spiral, "
         "step, xor); did you mean 'moons'?", c_yaml=config(data={"name": "moon"})),
    case("name-activation", "train {dir}/c.yaml", f"model.activation: unknown 'tanhh' {ACTIVATIONS}",
         "did you mean 'tanh'?", c_yaml=config(model={"activation": "tanhh"})),
    case("name-activation-per-layer", "train {dir}/c.yaml", f"model.activation: unknown 'rel' {ACTIVATIONS}",
         c_yaml=config(model={"hidden": [3, 3], "activation": ["tanh", "rel"]})),
    case("name-loss", "train {dir}/c.yaml",
         "loss.name: unknown 'hinj' (choose from: binary-cross-entropy, cross-entropy, hinge, mse); "
         "did you mean 'hinge'?", c_yaml=config(loss="hinj")),
    case("name-optimizer", "train {dir}/c.yaml",
         "optimizer.name: unknown 'adamw' (choose from: adagrad, adam, lbfgs, rmsprop, sgd); did you mean 'adam'?",
         c_yaml=config(optimizer="adamw")),
    case("name-schedule", "train {dir}/c.yaml",
         "optimizer.schedule.name: unknown 'cosin' (choose from: constant, cosine, exponential, inverse-time, plateau, "
         "step)",
         "did you mean 'cosine'?", c_yaml=config(optimizer={"schedule": "cosin"})),
    case("name-output-activation", "train {dir}/c.yaml",
         "model.output_activation: unknown 'softmaxx' (choose from: auto, linear, sigmoid, softmax, tanh)",
         c_yaml=config(model={"output_activation": "softmaxx"})),
    case("name-init", "train {dir}/c.yaml",
         "model.init: unknown 'xavierr' (choose from: auto, he, normal, uniform, xavier)", "did you mean 'xavier'?",
         c_yaml=config(model={"init": "xavierr"})),
    case("name-picture", "train {dir}/c.yaml", "output.plots: unknown 'los' (choose from: animation, boundary",
         "did you mean 'loss'?", c_yaml=config(output={"plots": ["los"]})),
    case("picture-that-does-not-fit-the-run", "train {dir}/c.yaml",
         "output.plots: no fit picture for this run (the fitted curve or surface (regression); it can have: loss",
         c_yaml=config(output={"plots": ["loss", "fit"]})),
    case("name-task", "train {dir}/c.yaml",
         "data.task: unknown 'clasification' (choose from: auto, classification, regression)",
         c_yaml=config(data={"name": "moons", "task": "clasification"})),
]

SET_OPTIONS = [
    case("set-without-equals", "train {dir}/c.yaml --set model.hidden",
         "--set 'model.hidden': expected KEY=VALUE, e.g. --set optimizer.lr=0.01"),
    case("set-without-key", "train {dir}/c.yaml --set =3", "--set '=3': expected KEY=VALUE"),
    case("set-unknown-key", "train {dir}/c.yaml --set modle.hidden=[4]", "unknown key 'modle'",
         "did you mean 'model'?"),
    case("set-unknown-nested-key", "train {dir}/c.yaml --set optimizer.lrr=0.1", "optimizer: unknown key 'lrr'",
         "did you mean 'lr'?"),
    case("set-unparsable-value", "train {dir}/c.yaml --set 'model.hidden=[1,'",
         "--set 'model.hidden=[1,': cannot parse the value '[1,' as YAML"),
    case("set-unhashable-key-in-value", "train {dir}/c.yaml --set 'model={[1]: 2}'",
         "--set 'model={[1]: 2}': cannot parse the value"),
    case("set-wrong-type", "train {dir}/c.yaml --set train.epochs=many",
         "train.epochs: expected a whole number, got 'many'"),
    case("set-into-a-value", "train {dir}/c.yaml --set seed.x=1", "seed: expected a whole number, got {'x': 1}"),
    case("set-python-tag", "train {dir}/c.yaml --set 'name=!!python/object/apply:os.getcwd []'",
         "cannot parse the value"),
]

MISSING_FILES = [
    case("csv-missing-relative-to-the-config", "train {dir}/c.yaml",
         "data.path: {dir}/missing.csv: no such file",
         c_yaml=config(data={"name": "csv", "path": "missing.csv"})),
    case("csv-path-is-not-a-shell-command", "train {dir}/c.yaml", "data.path: ", ": no such file",
         c_yaml=config(data={"name": "csv", "path": "$(touch {dir}/pwned).csv"}), absent="pwned"),
    case("csv-path-is-a-folder", "train {dir}/c.yaml", "data.path: {dir}: is a folder, not a CSV file",
         c_yaml=config(data={"name": "csv", "path": "."})),
    case("init-weights-missing", "train {dir}/c.yaml", "model.init_from: {dir}/start.npz: no such file",
         c_yaml=config(model={"hidden": [3], "init_from": "start.npz"})),
    case("gradcheck-config-missing", "gradcheck {dir}/nope.yaml", "{dir}/nope.yaml: no such file"),
    case("explain-config-missing", "explain {dir}/nope.yaml", "{dir}/nope.yaml: no such file"),
]

CSV_PROBLEMS = [
    case("csv-text-cell", "train {dir}/c.yaml", "d.csv: line 3, column 'x1': 'abc' is not a finite number",
         c_yaml=config(data=TABLE), d_csv=CSV.replace("0.4", "abc")),
    case("csv-empty-cell", "train {dir}/c.yaml", "d.csv: line 4, column 'x0': empty cell",
         c_yaml=config(data=TABLE), d_csv=CSV.replace("0.5", "")),
    case("csv-nan-cell", "train {dir}/c.yaml", "d.csv: line 2, column 'x1': 'NaN' is not a finite number",
         c_yaml=config(data=TABLE), d_csv=CSV.replace("0.2", "NaN")),
    case("csv-infinite-cell", "train {dir}/c.yaml", "d.csv: line 5, column 'x0': 'inf' is not a finite number",
         c_yaml=config(data=TABLE), d_csv=CSV.replace("0.7", "inf")),
    case("csv-empty-target", "train {dir}/c.yaml", "d.csv: line 3, column 'label': empty target",
         c_yaml=config(data=TABLE), d_csv=CSV.replace(",b\n0.5", ",\n0.5")),
    case("csv-missing-target-column", "train {dir}/c.yaml",
         "d.csv: no column 'class' (set data.target to one of: 'x0', 'x1', 'label')",
         c_yaml=config(data={**TABLE, "target": "class"}), d_csv=CSV),
    case("csv-single-class", "train {dir}/c.yaml", "d.csv: the target has one class only, ['a']",
         c_yaml=config(data=TABLE), d_csv=CSV.replace(",b", ",a")),
    case("csv-short-row", "train {dir}/c.yaml", "d.csv: line 3 has 2 cells, the header 3",
         c_yaml=config(data=TABLE), d_csv=CSV.replace("0.3,0.4,b", "0.3,b")),
    case("csv-header-only", "train {dir}/c.yaml", "d.csv: needs a header row and at least one data row",
         c_yaml=config(data=TABLE), d_csv="x0,x1,label\n"),
    case("csv-target-only", "train {dir}/c.yaml", "d.csv: not a table: its first line has no ','",
         c_yaml=config(data=TABLE), d_csv="label\na\nb\n"),
    case("csv-text-column-with-an-empty-cell", "train {dir}/c.yaml",  # text columns are one-hot now (issue 15)
         "d.csv: line 5, column 'color': empty cell (fill it or remove the row)",
         c_yaml=config(data=TABLE), d_csv="x0,color,label\n0.1,red,a\n0.3,blue,b\n0.5,red,a\n0.7,,b\n"),
    case("csv-semicolons-with-a-comma-in-a-name", "train {dir}/c.yaml",
         "d.csv: line 2 has 1 cells, the header 2 (set data.delimiter: ';')",
         c_yaml=config(data=TABLE), d_csv="x0;x1, cm;label\n0.1;0.2;a\n0.3;0.4;b\n0.5;0.6;a\n0.7;0.8;b\n"),
]

LOSS_AND_DATA = [
    case("lbfgs-with-a-learning-rate", "train {dir}/c.yaml",
         "c.yaml: optimizer.lr: lbfgs takes no learning rate: its line search sets each step's length (remove "
         "optimizer.lr)", c_yaml=config(optimizer={"name": "lbfgs", "lr": 0.1}, train={"batch_size": "full"})),
    case("lbfgs-with-momentum", "train {dir}/c.yaml",
         "c.yaml: optimizer.momentum: lbfgs takes no momentum: it builds its own curvature from its last maxcor "
         "steps (remove optimizer.momentum)",
         c_yaml=config(optimizer={"name": "lbfgs", "momentum": 0.9}, train={"batch_size": "full"})),
    case("lbfgs-with-a-schedule", "train {dir}/c.yaml",
         "c.yaml: optimizer.schedule: lbfgs takes no learning-rate schedule: its line search sets each step's "
         "length (remove optimizer.schedule)",
         c_yaml=config(optimizer={"name": "lbfgs", "schedule": {"name": "plateau"}}, train={"batch_size": "full"})),
    case("lbfgs-with-mini-batches", "train {dir}/c.yaml --set optimizer.name=lbfgs",
         "train.batch_size: lbfgs trains on the whole training set at once (set train.batch_size: full, not 32)",
         c_yaml=config(optimizer={"name": "sgd"})),
    case("lbfgs-with-dropout", "train {dir}/c.yaml",
         "c.yaml: model.dropout: lbfgs's line search needs one fixed objective, and dropout draws a new one every "
         "step (remove model.dropout, or use sgd or adam)",
         c_yaml=config(optimizer={"name": "lbfgs"}, model={"hidden": [3], "dropout": 0.2},
                       train={"batch_size": "full"})),
    case("lbfgs-with-l1-clip", "train {dir}/c.yaml",
         "c.yaml: loss.l1_clip: the clip is a step after each update, which lbfgs's line search would not see "
         "(use loss.l1 without l1_clip)",
         c_yaml=config(optimizer={"name": "lbfgs"}, loss={"name": "cross-entropy", "l1": 0.01, "l1_clip": True},
                       train={"batch_size": "full"})),
    case("plateau-monitor-without-validation", "train {dir}/c.yaml",
         "c.yaml: optimizer.schedule.monitor: val_loss needs validation data (set data.validation_fraction > 0, "
         "or monitor train_loss)",
         c_yaml=config(data={"name": "moons", "n_samples": 60, "validation_fraction": 0},
                       optimizer={"schedule": "plateau"})),
    case("plateau-monitor-unknown", "train {dir}/c.yaml",
         "optimizer.schedule.monitor: unknown 'val_acc' (choose from: train_accuracy, train_loss, val_accuracy, "
         "val_loss); did you mean 'val_accuracy'?",
         c_yaml=config(optimizer={"schedule": {"name": "plateau", "monitor": "val_acc"}})),
    case("hinge-with-three-classes", "train {dir}/c.yaml",
         "loss.name: hinge takes 2 classes, the data set has 3 (use cross-entropy)",
         c_yaml=config(data={"name": "spiral", "n_samples": 60}, loss="hinge")),
    case("cross-entropy-on-a-real-target", "train {dir}/c.yaml",
         "loss.name: cross-entropy needs class labels, but the data set is a regression", "use loss: mse",
         c_yaml=config(data={"name": "noisy-linear", "n_samples": 60})),
    case("cross-entropy-on-a-real-csv-column", "train {dir}/c.yaml", "loss.name: cross-entropy needs class labels",
         c_yaml=config(data=TABLE), d_csv="x0,y\n0.1,0.25\n0.2,1.5\n0.3,-2.5\n"),
    case("fused-loss-with-another-output", "train {dir}/c.yaml",
         "model.output_activation: cross-entropy needs softmax outputs, not sigmoid",
         c_yaml=config(model={"output_activation": "sigmoid"})),
    case("task-that-the-set-is-not", "train {dir}/c.yaml", "data.task: moons is a classification set, not regression",
         c_yaml=config(data={"name": "moons", "task": "regression"})),
    case("text-target-as-regression", "train {dir}/c.yaml", "the target column is not numeric",
         c_yaml=config(data={**TABLE, "task": "regression"}, loss="mse"), d_csv=CSV),
]

INIT_WEIGHTS = [
    case("init-wrong-keys", "train {dir}/c.yaml",
         "model.init_from: {dir}/w.npz: keys ['A', 'B'] do not fit the 2-3-2 network, "
         "which has ['W0', 'b0', 'W1', 'b1']",
         c_yaml=config(model={"hidden": [3], "init_from": "w.npz"}), w_npz=npz(A=np.zeros(2), B=np.zeros(2))),
    case("init-wrong-shape", "train {dir}/c.yaml",
         "model.init_from: {dir}/w.npz: W0 has shape (2, 4), the network's layer 0 needs (2, 3) (the 2-3-2 network)",
         c_yaml=config(model={"hidden": [3], "init_from": "w.npz"}),
         w_npz=npz(W0=np.zeros((2, 4)), b0=np.zeros(3), W1=np.zeros((3, 2)), b1=np.zeros(2))),
    case("init-object-array", "train {dir}/c.yaml", "{dir}/w.npz: holds Python objects, not plain arrays; refused",
         c_yaml=config(model={"hidden": [3], "init_from": "w.npz"}), w_npz=OBJECTS),
    case("init-not-an-npz", "train {dir}/c.yaml", "{dir}/w.npz: not an .npz file of named arrays",
         c_yaml=config(model={"hidden": [3], "init_from": "w.npz"}), w_npz="W0: [1, 2]\n"),
    case("init-not-finite", "train {dir}/c.yaml", "{dir}/w.npz: W1 holds values that are not finite numbers",
         c_yaml=config(model={"hidden": [3], "init_from": "w.npz"}),
         w_npz=npz(W0=np.zeros((2, 3)), b0=np.zeros(3), W1=np.full((3, 2), np.nan), b1=np.zeros(2))),
]

RUN_DIRECTORIES = [
    case("plot-an-empty-folder", "plot {dir}",
         "{dir}: not a run directory (missing config.yaml, data.npz, model.npz)"),
    case("plot-a-config-file", "plot {dir}/c.yaml", "{dir}/c.yaml: is a file, not a run directory"),
    case("plot-a-missing-folder", "plot {dir}/nope", "{dir}/nope: not a run directory (no such folder)"),
    case("gradcheck-an-empty-folder", "gradcheck {dir}", "{dir}: not a run directory (missing config.yaml"),
    case("gradcheck-a-csv-file", "gradcheck {dir}/d.csv", "d.csv: expected a mapping of keys", d_csv=CSV),
    case("gradcheck-set-on-a-run", "gradcheck {dir}/run --set seed=1", "--set: applies to a config",
         run=damaged_run(lambda run: None)),
    case("run-model-object-array", "plot {dir}/run", "{dir}/run/model.npz: holds Python objects",
         run=damaged_run(lambda run: OBJECTS(run / "model.npz", run))),
    case("gradcheck-run-model-object-array", "gradcheck {dir}/run", "{dir}/run/model.npz: holds Python objects",
         run=damaged_run(lambda run: OBJECTS(run / "model.npz", run))),
    case("run-data-object-array", "plot {dir}/run", "{dir}/run/data.npz: holds Python objects",
         run=damaged_run(lambda run: OBJECTS(run / "data.npz", run))),
    case("run-model-has-other-widths", "plot {dir}/run",
         "{dir}/run/model.npz: W0 has shape (2, 3), the network's layer 0 needs (2, 7) "
         "(the 2-7-2 network of config.yaml and data.npz)",
         run=damaged_run(lambda run: _edit_config(run, hidden=[7]))),
    case("run-model-lacks-a-layer", "gradcheck {dir}/run",
         "{dir}/run/model.npz: keys ['W0', 'W1', 'b0'] do not fit the 2-3-2 network of config.yaml and data.npz",
         "missing ['b1']", run=damaged_run(lambda run: _edit_npz(run / "model.npz", lambda a: a.pop("b1")))),
    case("run-data-from-another-set", "plot {dir}/run",
         "{dir}/run/data.npz: 3 features, but config.yaml's data set moons has 2",
         run=damaged_run(lambda run: _edit_npz(run / "data.npz", _third_feature))),
    case("run-data-of-another-task", "plot {dir}/run",
         "{dir}/run/data.npz: a regression data set, but config.yaml's moons is classification",
         run=damaged_run(lambda run: _edit_npz(run / "data.npz", _regression))),
    case("run-data-rows-disagree", "plot {dir}/run",
         "{dir}/run/data.npz: X_train has 48 rows, y_train 47",
         run=damaged_run(lambda run: _edit_npz(run / "data.npz", lambda a: a.update(y_train=a["y_train"][1:])))),
    case("run-checkpoint-of-another-network", "plot {dir}/run --only animation",
         "{dir}/run/checkpoints/epoch-0002.npz: W0 has shape (2, 5), the network's layer 0 needs (2, 3)",
         run=damaged_run(_checkpoints)),
    case("run-config-broken", "plot {dir}/run", "{dir}/run/config.yaml: invalid YAML at line 2",
         run=damaged_run(lambda run: (run / "config.yaml").write_text("model: [\n"))),
    case("train-into-a-used-run-dir", "train {dir}/c.yaml --run-dir {dir}/run",
         "{dir}/run: run directory exists and is not empty (pass --overwrite to replace it)",
         run=damaged_run(lambda run: None)),
    case("overwrite-a-folder-that-is-not-a-run", "train {dir}/c.yaml --run-dir {dir}/notes --overwrite",
         "{dir}/notes: not a run directory (it holds todo.txt); --overwrite only replaces run directories",
         notes=lambda path, run: (path.mkdir(), (path / "todo.txt").write_text("keep me"))),
    case("run-dir-is-a-file", "train {dir}/c.yaml --run-dir {dir}/d.csv", "{dir}/d.csv: exists and is not a folder",
         d_csv=CSV),
]

ABSURD_SIZES = [
    case("absurd-n-samples", "train {dir}/c.yaml",
         "data.n_samples: must be between 1 and 10,000,000, got 1000000000000.0",
         c_yaml=config(data={"name": "moons", "n_samples": 1e12})),
    case("absurd-n-samples-by-set", "train {dir}/c.yaml --set data.n_samples=1e12",
         "data.n_samples: must be between 1 and 10,000,000"),
    case("absurd-width", "train {dir}/c.yaml", "model.hidden: widths must be between 1 and 100,000, got 1000000000",
         c_yaml=config(model={"hidden": [10**9]})),
    case("absurd-weights", "train {dir}/c.yaml",
         "model.hidden: layers 2-100000-100000 hold 10,000,200,000 weights (at most 20,000,000", "narrower",
         c_yaml=config(model={"hidden": [100_000, 100_000]})),
    case("absurd-data", "train {dir}/c.yaml",
         "data.n_samples: 10,000,000 samples × 100,000 features = 1,000,000,000,000 values (at most 100,000,000",
         c_yaml=config(data={"name": "blobs", "n_samples": 10_000_000, "n_features": 100_000})),
    case("absurd-layer-on-a-full-batch", "train {dir}/c.yaml",
         "model.hidden: 5,000,000 samples in one pass × 50,000 units = 250,000,000,000 values in one layer "
         "(at most 100,000,000", c_yaml=config(data={"name": "moons", "n_samples": 5_000_000},
                                                model={"hidden": [50_000]}, train={"batch_size": "full"})),
    case("absurd-layer-on-a-csv-table", "train {dir}/c.yaml",
         "model.hidden: layers 100000-100000 hold 10,000,000,000 weights",
         c_yaml=config(data=TABLE, model={"hidden": [100_000, 100_000]}), d_csv=CSV),
    case("absurd-layer-after-a-wide-csv-table", "train {dir}/c.yaml",
         "model.hidden: layers 300-100000-2 hold 30,200,000 weights (at most 20,000,000",
         c_yaml=config(data=TABLE, model={"hidden": [100_000]}), d_csv=WIDE_CSV),
]

PREDICT = "predict {dir}/run {dir}/new.csv --out {dir}/p.csv"  # the run's features: x0, x1; classes 0, 1
RUN = damaged_run(lambda run: None)
PREDICTIONS = [
    case("predict-missing-column", PREDICT, "error: {dir}/new.csv: no column 'x1' (the run's features: 'x0', 'x1')",
         run=RUN, new_csv="x0,label\n0.1,0\n", absent="p.csv"),
    case("predict-text-in-a-column", PREDICT, "error: {dir}/new.csv: line 3, column 'x1': 'abc' is not a finite "
         "number (the run's model takes numbers here)", run=RUN, new_csv="x0,x1\n0.1,0.2\n0.3,abc\n", absent="p.csv"),
    case("predict-nan", PREDICT, "error: {dir}/new.csv: line 2, column 'x0': 'nan' is not a finite number "
         "(the run's model takes numbers here)",
         run=RUN, new_csv="x0,x1\nnan,0.2\n", absent="p.csv"),
    case("predict-empty-cell", PREDICT,
         "error: {dir}/new.csv: line 2, column 'x1': empty cell (the run's model takes numbers here)",
         run=RUN, new_csv="x1,x0\n,0.2\n", absent="p.csv"),
    case("predict-uneven-row", PREDICT, "error: {dir}/new.csv: line 2 has 3 cells, the header 2 (fix the row)",
         run=RUN, new_csv="x0,x1\n0.1,0.2,0.3\n", absent="p.csv"),
    case("predict-npy-column-count", "predict {dir}/run {dir}/new.npy", "error: {dir}/new.npy: 3 columns of "
         "float64, the run takes (n, 2) numbers with columns 'x0', 'x1'", run=RUN,
         new_npy=lambda path, run: np.save(path, np.zeros((4, 3)))),
    case("predict-npy-objects", "predict {dir}/run {dir}/new.npy",
         "error: {dir}/new.npy: cannot read as a .npy array of numbers (save one with numpy.save)",
         run=RUN, new_npy=lambda path, run: np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)),
    case("predict-missing-input", "predict {dir}/run {dir}/nope.csv", "error: {dir}/nope.csv: no such file", run=RUN),
    case("predict-prediction-column-taken", PREDICT, "error: {dir}/new.csv: already has a column 'prediction', "
         "which the predictions would take (rename or remove it)", run=RUN, new_csv="x0,x1,prediction\n0,0,1\n",
         absent="p.csv"),
    case("predict-out-exists", PREDICT, "error: --out {dir}/p.csv: exists (pass --overwrite to replace it)",
         run=RUN, new_csv="x0,x1\n0.1,0.2\n", p_csv="mine\n"),
    case("predict-checkpoint-not-saved", "predict {dir}/run {dir}/new.csv --checkpoint 5",
         "error: --checkpoint 5: {dir}/run has no checkpoint of epoch 5 (it saved none: train.checkpoint_every was 0)",
         run=RUN, new_csv="x0,x1\n0.1,0.2\n"),
    case("predict-not-a-run", "predict {dir} {dir}/new.csv",
         "error: {dir}: not a run directory (missing config.yaml, data.npz, model.npz)", new_csv="x0,x1\n0.1,0.2\n"),
]

EVALUATE = "evaluate {dir}/run {dir}/new.csv"


def _no_validation_split(run: Path) -> None:
    _edit_npz(run / "data.npz", lambda a: a.update(X_val=a["X_val"][:0], y_val=a["y_val"][:0]))


EVALUATIONS = [
    case("evaluate-no-target-column", EVALUATE, "error: {dir}/new.csv: has no target column, only the run's "
         "features (add the targets as a last column)", run=RUN, new_csv="x0,x1\n0.1,0.2\n"),
    case("evaluate-unknown-class", EVALUATE, "error: {dir}/new.csv: line 3, column 'label': '7' is not one of the "
         "run's classes (0, 1)", run=RUN, new_csv="x0,x1,label\n0.1,0.2,1\n0.1,0.2,7\n"),
    case("evaluate-text-label", EVALUATE, "error: {dir}/new.csv: line 2, column 'label': 'cat' is not one of the "
         "run's classes (0, 1)", run=RUN, new_csv="x0,x1,label\n0.1,0.2,cat\n"),
    case("evaluate-text-feature", EVALUATE, "error: {dir}/new.csv: line 2, column 'x0': 'big' is not a finite number "
         "(the run's model takes numbers here)", run=RUN, new_csv="x0,x1,label\nbig,0.2,1\n"),
    case("evaluate-no-validation-split", "evaluate {dir}/run", "error: {dir}/run: has no validation split "
         "(data.validation_fraction was 0); give data to evaluate on", run=damaged_run(_no_validation_split)),
    case("evaluate-out-exists", "evaluate {dir}/run --out {dir}", "error: --out {dir}: confusion.png exists "
         "(pass --overwrite to replace it)", run=RUN, confusion_png=b"mine"),
]

EXPORT = "export {dir}/run --format numpy --out {dir}/predict.py"
EXPORTS = [
    case("export-unknown-format", "export {dir}/run --format tflite --out {dir}/m.tflite",
         "error: --format tflite: not an export format (choose from: onnx, numpy)", run=RUN, absent="m.tflite"),
    case("export-out-exists", EXPORT, "error: --out {dir}/predict.py: exists (pass --overwrite to replace it)",
         run=RUN, predict_py="mine\n"),
    case("export-not-a-run", "export {dir} --format numpy --out {dir}/predict.py",
         "error: {dir}: not a run directory (missing config.yaml, data.npz, model.npz)", absent="predict.py"),
    case("export-checkpoint-not-saved", EXPORT + " --checkpoint 3", "error: --checkpoint 3: {dir}/run has no "
         "checkpoint of epoch 3 (it saved none: train.checkpoint_every was 0)", run=RUN, absent="predict.py"),
    case("export-out-folder-missing", "export {dir}/run --format numpy --out {dir}/nope/predict.py",
         "error: {dir}/nope/predict.py: could not be written (its folder does not exist)", run=RUN),
]

MOVE = "move-data {dir}/run --out {dir}/moved"
MOVE_DATA = [
    case("move-data-no-steps", MOVE + " --steps 0", "error: --steps: must be ≥ 1, got 0", run=RUN, absent="moved"),
    case("move-data-negative-lr", MOVE + " --lr -0.1", "error: --lr: must be a number > 0, got -0.1 (seed 002 "
         "takes 0.05)", run=RUN, absent="moved"),
    case("move-data-nan-lr", MOVE + " --lr nan", "error: --lr: must be a number > 0, got nan", run=RUN,
         absent="moved"),
    case("move-data-not-a-run", "move-data {dir} --out {dir}/moved",
         "error: {dir}: not a run directory (missing config.yaml, data.npz, model.npz)", absent="moved"),
    case("move-data-out-is-a-file", "move-data {dir}/run --steps 1 --out {dir}/c.yaml",
         "error: --out {dir}/c.yaml: exists and is not a folder", run=RUN),
    case("move-data-out-exists", MOVE, "error: --out {dir}/moved: moved.png exists (pass --overwrite to replace it)",
         run=RUN, moved=lambda path, run: (path.mkdir(), (path / "moved.png").write_bytes(b"mine"))),
    case("move-data-damaged-model", MOVE, "{dir}/run/model.npz: holds Python objects",
         run=damaged_run(lambda run: OBJECTS(run / "model.npz", run)), absent="moved"),
]

CASES = [*YAML_AND_FILES, *UNKNOWN_KEYS, *WRONG_TYPES, *OUT_OF_RANGE, *UNKNOWN_NAMES, *SET_OPTIONS,
         *MISSING_FILES, *CSV_PROBLEMS, *LOSS_AND_DATA, *INIT_WEIGHTS, *RUN_DIRECTORIES, *ABSURD_SIZES, *PREDICTIONS,
         *EVALUATIONS, *EXPORTS, *MOVE_DATA]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    (folder / "c.yaml").write_text(yaml.safe_dump(TINY))
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--run-dir", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.output
    return folder / "run"


def write_files(case: Case, folder: Path, run: Path) -> None:
    files = {"c.yaml": TINY, **case.files}
    for name, content in files.items():
        path = folder / name
        if callable(content):
            content(path, run)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(_here(content if isinstance(content, str) else yaml.safe_dump(content), folder))


def assert_one_line_user_error(result, expected: list[str], folder: Path) -> None:
    """Exit code 2, nothing on stdout, `error: …` on at most two short lines holding every expected text."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("error: ") and len(lines) <= 2, result.stderr
    assert all(len(_short(line, folder)) <= 250 for line in lines), result.stderr
    for text in expected:
        assert text in result.stderr, f"{text!r} not in {result.stderr!r}"


def test_the_corpus_covers_every_kind_of_mistake():
    ids = [param.id for param in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 45
    kinds = [YAML_AND_FILES, UNKNOWN_KEYS, WRONG_TYPES, OUT_OF_RANGE, UNKNOWN_NAMES, SET_OPTIONS, MISSING_FILES,
             CSV_PROBLEMS, LOSS_AND_DATA, INIT_WEIGHTS, RUN_DIRECTORIES, ABSURD_SIZES, PREDICTIONS, EVALUATIONS,
             EXPORTS, MOVE_DATA]
    assert all(len(kind) >= 5 for kind in kinds)


@pytest.mark.parametrize("case", CASES)
def test_a_user_mistake_is_one_line_and_exit_2(case: Case, tmp_path, trained_run):
    write_files(case, tmp_path, trained_run)
    result = runner.invoke(app, case.args(tmp_path))
    assert_one_line_user_error(result, [_here(text, tmp_path) for text in case.expected], tmp_path)
    if case.absent:
        assert not (tmp_path / case.absent).exists()


@pytest.mark.parametrize("case", ABSURD_SIZES)
def test_absurd_sizes_are_refused_before_memory_is_taken(case: Case, tmp_path, trained_run):
    write_files(case, tmp_path, trained_run)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = runner.invoke(app, case.args(tmp_path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 2, result.output
    assert time.perf_counter() - started < 1.0
    assert peak < 20e6  # bytes: the refused arrays would have taken gigabytes


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_the_feature_count_a_config_promises_is_what_the_data_set_has(name, tmp_path):
    """load_run names data.npz as wrong when its width differs from this count."""
    params = {**DATASETS[name].params, "centers": [[0, 0, 0], [1, 1, 1]]} if name == "blobs" else DATASETS[name].params
    if name == "csv":
        (tmp_path / "d.csv").write_text(CSV)
        params = {**params, "path": tmp_path / "d.csv"}
    X, *_ = DATASETS[name].make(**params, rng=np.random.default_rng(0))
    assert feature_count(name, params) == (None if name == "csv" else X.shape[1])
    assert feature_count("blobs", {"n_features": 5, "centers": 3}) == 5


@pytest.mark.parametrize("name", ["yaml-python-tag-is-refused-not-run", "absurd-data", "config-missing"])
def test_a_real_process_prints_one_line_and_exits_2(name, tmp_path, trained_run):
    case = next(param.values[0] for param in CASES if param.id == name)
    write_files(case, tmp_path, trained_run)
    code, stdout, stderr, peak_kb = run_process(case.args(tmp_path), cwd=tmp_path)
    assert code == 2 and stdout == "" and "Traceback" not in stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: ")
    assert all(_here(text, tmp_path) in stderr for text in case.expected), stderr
    assert peak_kb < 150_000  # an interpreter with numpy (about 50 MB), not gigabytes of refused arrays
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("args", "expected"), [
    # an option like no other (Click suggests a close one: --bogus gets "(Possible options: --host)")
    (["train", "c.yaml", "--xyzzy"], "error: No such option: --xyzzy (see nnctl train --help)"),
    (["sweep", "c.yaml", "--jobs", "abc"], "error: Invalid value for '--jobs'"),
    (["plot"], "error: Missing argument"),
    (["trian"], "error: No such command 'trian'."),
    (["train", "--quiet", "true"], "error: Invalid value for '--quiet': takes no value (write --quiet alone, "
                                   "without 'true') (see nnctl train --help)"),
], ids=["unknown-option", "not-an-integer", "missing-argument", "unknown-command", "value-after-a-flag"])
def test_typer_usage_errors_are_one_line_too(args, expected, tmp_path, monkeypatch, capsys):
    """Mistakes Typer itself catches, through the console script's entry point (`main`, in this
    process: Typer refuses these before any command runs; real processes are tested above)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["nnctl", *args])
    sigterm = signal.getsignal(signal.SIGTERM)  # main() makes SIGTERM interrupt like Ctrl-C
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    stdout, stderr = capsys.readouterr()
    assert done.value.code == 2 and stdout == ""
    assert len(stderr.splitlines()) == 1 and stderr.startswith(expected), stderr
