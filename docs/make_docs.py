"""Regenerate what the docs show from the commands that produce it (`make docs`).

README.md and docs/*.md mark each generated block, and this script writes what is between:

    <!-- docs: $ nnctl train configs/moons.yaml --set optimizer.name=adamw -->
    ```
    $ nnctl train configs/moons.yaml --set optimizer.name=adamw
    error: ...
    ```
    <!-- /docs -->

The head after "docs:" says what the block is:

    $ COMMAND   COMMAND and what it prints (stdout and stderr, as a terminal shows both)
    run NAME    the ```sh block that opens the region, kept as written, and what it prints below
                it (it must exit 0); NAME times it for the timings quoted in prose
    pycon       the >>> statements of the ```pycon block, each with what Python prints for it
    file PATH   the file PATH as it is
    make NAME   a block this script makes (GENERATED): docs/config.md's keys and tables, from the
                schema and the registries

Commands run in a temporary folder set up as a fresh clone would be (configs/ linked, an empty
runs/, `nnctl` on PATH running this tree's code, an 80-column pipe), never in the user's runs/.

Numbers in prose (README.md, docs/*.md, the comments of configs/*.yaml) are FACTS: a pattern that
finds the number in its file, and the measurement it comes from. Timings are facts marked
`timing`: `make docs` writes them with where and when they were measured, and nothing checks
them. tests/test_docs.py runs the rest (`check`) and fails when a block or a number differs from
what the commands print now. The README's pictures are drawn here too (moons' boundary and loss,
the hidden-size sweep, seed 001's cycle); `make gallery` draws the gallery.

    .venv/bin/python docs/make_docs.py           rewrite the docs (make docs)
    .venv/bin/python docs/make_docs.py --check   say what is out of date, rewrite nothing (exit 1)
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this tree's nnctl, also when another one is installed

from nnctl import config as schema  # noqa: E402
from nnctl import data, files, gradcheck, pictures, runs  # noqa: E402
from nnctl.config import Config, load_config  # noqa: E402
from nnctl.data import DATASETS  # noqa: E402
from nnctl.files import atomic_write, flow, save_figure, write_text  # noqa: E402
from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS  # noqa: E402
from nnctl.nn.initializers import INITIALIZERS  # noqa: E402
from nnctl.nn.layers import CACHED_ROWS  # noqa: E402
from nnctl.nn.losses import LOSSES  # noqa: E402
from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES  # noqa: E402
from nnctl.plots import PICTURE_NAMES  # noqa: E402
from nnctl.plots.common import MAX_POINTS_DRAWN  # noqa: E402
from nnctl.sweeps import spec as sweep_spec  # noqa: E402
from nnctl.training import train  # noqa: E402

DOCUMENTS = ("README.md", "docs/config.md")
COLUMNS = 80  # the terminal width the docs show, the width a table must stay readable at
REGION = re.compile(r"<!-- docs: (?P<head>[^\n]*?) -->\n(?P<body>.*?)<!-- /docs -->", re.DOTALL)
FENCE = re.compile(r"```(?P<info>[^\n]*)\n(?P<code>.*?)```\n", re.DOTALL)
SEED001 = ROOT / "configs" / "seed001-moons.yaml"


class DocsError(Exception):
    """A block or fact that cannot be made: the message names the file and what to change."""


# ---------------------------------------------------------------- where commands run


class Workspace:
    """A temporary folder that looks like a fresh clone to the commands run in it: `configs`
    links to this tree's, runs/ starts empty, and `nnctl` runs this tree's code."""

    def __init__(self, path: Path):
        self.path = Path(path)
        (self.path / "configs").symlink_to(ROOT / "configs")
        tools = self.path / ".bin"
        tools.mkdir()
        (tools / "nnctl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nnctl "$@"\n')
        (tools / "nnctl").chmod(0o755)
        self.env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
                    "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
                    "COLUMNS": str(COLUMNS), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
        for key in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
            self.env.pop(key, None)
        self.timings: dict[str, float] = {}

    def run(self, script: str, *, name: str | None = None, check: bool = False) -> str:
        """What `bash -c script` prints (stdout and stderr in one stream, as a terminal shows
        them), lines stripped of trailing blanks and of the workspace's path; `name` records its
        wall time in `timings`; `check` refuses an exit code other than 0."""
        return self.output(["bash", "-c", script], name=name, check=check)

    def output(self, argv: list[str], *, name: str | None = None, check: bool = False, stdin: str | None = None) -> str:
        """What the process `argv` prints, as `run` says."""
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=self.path, env=self.env, input=stdin, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=900)
        if name:
            self.timings[name] = time.perf_counter() - started
        text = done.stdout.replace(f"{self.path}/", "").replace(str(self.path), ".")
        if check and done.returncode != 0:
            raise DocsError(f"`{' '.join(argv[2:] if argv[0] == 'bash' else argv)}` exited {done.returncode}:\n{text}")
        return "".join(line.rstrip() + "\n" for line in text.splitlines())


# ---------------------------------------------------------------- generated blocks


def fence(info: str, text: str) -> str:
    return f"```{info}\n{text.rstrip()}\n```\n"


def first_fence(body: str, info: str, head: str) -> str:
    for match in FENCE.finditer(body):
        if match["info"].strip() == info:
            return match["code"]
    raise DocsError(f"the block `docs: {head}` needs a ```{info} block to run")


PYCON_DRIVER = """
import contextlib, io, json, sys
out, namespace = [], {"__name__": "__main__"}
for source in json.load(sys.stdin):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source + "\\n", "<docs>", "single"), namespace)
    out.append(buffer.getvalue())
sys.stdout.write("\\x00" + json.dumps(out))
"""


def pycon_statements(code: str) -> list[str]:
    """The statements of a >>> session (continuation lines start with '... ')."""
    statements: list[str] = []
    for line in code.splitlines():
        if line.startswith(">>> "):
            statements.append(line[4:])
        elif (line.startswith("... ") or line == "...") and statements:
            statements[-1] += "\n" + line[4:]
    return statements


def render_pycon(body: str, ws: Workspace) -> str:
    """The session of the ```pycon block, each statement followed by what Python prints."""
    statements = pycon_statements(first_fence(body, "pycon", "pycon"))
    printed = ws.output([sys.executable, "-c", PYCON_DRIVER], stdin=json.dumps(statements))
    marker = printed.rfind("\x00")
    if marker < 0:
        raise DocsError(f"the ```pycon block failed:\n{printed}")
    lines = []
    for source, out in zip(statements, json.loads(printed[marker + 1:]), strict=True):
        first, *rest = source.split("\n")
        lines += [f">>> {first}", *(f"... {line}".rstrip() for line in rest)]
        lines += [line.rstrip() for line in out.splitlines()]
    return fence("pycon", "\n".join(lines))


def render_region(head: str, body: str, ws: Workspace) -> str:
    """The new content of one `<!-- docs: HEAD -->` region."""
    kind, _, arg = head.partition(" ")
    if kind == "$":
        return fence("", f"$ {arg}\n{ws.run(arg)}")
    if kind == "run":
        script = first_fence(body, "sh", head)
        return fence("sh", script) + fence("", ws.run(script, name=arg or None, check=True))
    if kind == "pycon":
        return render_pycon(body, ws)
    if kind == "file":
        text = (ROOT / arg).read_text()
        return fence(Path(arg).suffix.lstrip("."), f"# {arg}\n{text}")
    if kind == "make" and arg in GENERATED:
        return GENERATED[arg]()
    raise DocsError(f"unknown block `docs: {head}` (heads: $ COMMAND, run NAME, pycon, file PATH, "
                    f"make {'|'.join(GENERATED)})")


def render_regions(text: str, ws: Workspace) -> str:
    return REGION.sub(lambda m: f"<!-- docs: {m['head']} -->\n{render_region(m['head'], m['body'], ws)}"
                                "<!-- /docs -->", text)


# ---------------------------------------------------------------- docs/config.md, from the schema


def choices(names) -> str:
    return " | ".join(names)


def literal_choices(section: type, key: str) -> str:
    """A Literal field's allowed values, as 'a | b' (the schema is their one list)."""
    found: list[str] = []

    def walk(annotation):
        if get_origin(annotation) is Literal:
            found.extend(map(str, get_args(annotation)))
        for arg in get_args(annotation) if get_origin(annotation) is not Literal else ():
            walk(arg)
    walk(section.model_fields[key].annotation)
    return choices(found)


KEY_NOTES: dict[str, str] = {
    "name": "the run's name, its folder's prefix (in a file: the file's stem unless given)",
    "seed": "one seed drives data, initialisation and shuffling, as independent streams",
    "dtype": literal_choices(Config, "dtype"),
    "data": "",
    "data.name": f"{choices(DATASETS)} (table below)",
    "data.n_samples": "the data set's own parameters follow its name: moons' here, all in the table below",
    "data.noise": "",
    "data.task": f"{literal_choices(schema.DataConfig, 'task')} (csv: auto decides from the target)",
    "data.validation_fraction": "stratified for classification; 0 = no validation set",
    "data.standardize": "mean/std from the training part only, applied to both parts",
    "data.standardize_target": "regression: fit on (y - mean)/std, reported in y's units",
    "data.features": "null = the raw columns; or the network's inputs computed from them before "
                     "standardisation: a column, name^2, name^3, a*b, sin(name), cos(name), like "
                     "[x0, x1, x0^2, x0*x1, sin(x1)] (a text column listed alone: its one-hot inputs)",
    "model": "",
    "model.hidden": "hidden widths; [] = a linear (or logistic) model",
    "model.activation": f"{choices(ACTIVATIONS)}, or a list: one per hidden layer",
    "model.output_activation": f"auto (the loss's own) | {choices(OUTPUT_ACTIVATIONS)}",
    "model.init": f"auto (xavier before sigmoid/tanh/linear, he before the relu family) | {choices(INITIALIZERS)}",
    "model.init_scale": "normal: N(0, scale²) weights and biases (Nielsen); uniform: U(−scale, scale) (Marquardt)",
    "model.init_from": "an npz of weights to start from, keys W0, b0, W1, b1, ... of matching shapes",
    "model.dropout": "inverted dropout on the hidden activations, in training only (masks from the seed's shuffle "
                     "stream, scaled by 1/(1 − p)); one rate p in [0, 1), or a list: one per hidden layer",
    "loss": "loss: NAME is short for loss: {name: NAME}",
    "loss.name": choices(LOSSES),
    "loss.l2": "adds l2/2 · Σ‖W‖² over weight matrices (not biases)",
    "loss.l1": "adds l1 · Σ|W| over weight matrices (not biases); its subgradient l1 · sign(W) is 0 at 0",
    "loss.l1_clip": "true: l1 is applied as its own step after the optimizer's, W ← W − lr · l1 · sign(W), a weight "
                    "crossing 0 set to exactly 0 (TensorFlow Playground's rule); the reported loss still includes "
                    "l1 · Σ|W|",
    "optimizer": "optimizer: NAME is short for optimizer: {name: NAME}",
    "optimizer.name": f"{choices(OPTIMIZERS)}: torch.optim's update rules and defaults; "
                      f"{choices(schema.SOLVERS)}: SciPy's L-BFGS-B on the whole training set (train.batch_size: "
                      "full; no lr, momentum or schedule; train.epochs = its iterations, a metrics row each; "
                      "a resume restarts its memory from the saved weights)",
    "optimizer.lr": "the optimizer's own parameters follow its name: sgd's here, the others' below",
    "optimizer.momentum": "",
    "optimizer.nesterov": "",
    "optimizer.schedule": "schedule: NAME is short for schedule: {name: NAME}",
    "optimizer.schedule.name": f"{choices(SCHEDULES)}: the learning rate of epoch e (table below)",
    "train": "",
    "train.epochs": "0 = measure the initial weights only",
    "train.batch_size": "a whole number, or full",
    "train.shuffle": "reshuffle the training set every epoch",
    "train.checkpoint_every": "epochs; N > 0 writes checkpoints/epoch-0000.npz (initial) and every N epochs",
    "train.divergence_factor": "stop as diverged when an epoch's training loss exceeds this × max(epoch 0's, "
                               "1e-8); null = never",
    "train.early_stopping": "",
    "train.early_stopping.patience": "0 = off; else stop after this many epochs without improvement, keep the "
                                     "best weights",
    "train.early_stopping.min_delta": "an improvement must exceed this",
    "train.early_stopping.monitor": literal_choices(schema.EarlyStoppingConfig, "monitor"),
    "train.early_stopping.restore_best": "on an early stop, model.npz holds the best epoch's weights (Keras's "
                                         "restore_best_weights); false: the last epoch's",
    "output": "",
    "output.dir": "runs go to DIR/NAME-YYYYmmdd-HHMMSS unless --run-dir is given (from the current folder)",
    "output.plots": f"auto = loss, and boundary (2-D classification), fit (regression) or confusion (other "
                    f"classification), network (2 inputs, hidden layers at most 8 wide), and animation with "
                    f"frames; [] = none; or a list of: "
                    f"{choices(PICTURE_NAMES)}",
    "output.animation": "",
    "output.animation.frames": "0 = no animation; else training keeps this many checkpoints to draw",
    "output.animation.spacing": f"{literal_choices(schema.AnimationConfig, 'spacing')}: early spaces the frames "
                                "densely at the start, where most changes",
    "output.animation.network": "true: a panel of network.png in every frame (the edges' widths and colours, "
                                "each unit's map, as training changes them)",
}


def section_keys(section) -> list[str]:
    """A section's keys in the order one writes them: a registry section's name, then the
    chosen entry's parameters, then the rest of its fields."""
    fields = list(type(section).model_fields)
    params = list(section.model_extra or {}) if isinstance(section, schema.Parametrised) else []
    return ["name", *params, *(f for f in fields if f != "name")] if params or "name" in fields else fields


def key_lines(section, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """(`key: default` indented, note) for every key of a config section and those below it."""
    lines = []
    for key in section_keys(section):
        value = getattr(section, key) if key in type(section).model_fields else section.model_extra[key]
        dotted, indent = f"{prefix}{key}", "  " * depth
        if dotted not in KEY_NOTES:
            raise DocsError(f"docs/make_docs.py: KEY_NOTES has no note for the config key {dotted}: add one")
        if isinstance(value, schema.Section):
            lines.append((f"{indent}{key}:", KEY_NOTES[dotted]))
            lines += key_lines(value, f"{dotted}.", depth + 1)
        else:
            lines.append((f"{indent}{key}: {flow(list(value) if isinstance(value, tuple) else value)}",
                          KEY_NOTES[dotted]))
        if dotted == "optimizer.nesterov":
            lines += [(f"{indent}# {name}: {params_text(OPTIMIZERS[name].defaults)}", "")
                      for name in OPTIMIZERS if name != "sgd"]
            lines += [(f"{indent}# {name}: {params_text(solver.defaults)}", "")
                      for name, solver in schema.SOLVERS.items()]
    return lines


def param_texts(params: dict[str, Any]) -> list[str]:
    """A registry entry's parameters as YAML: ['lr: 0.001', 'betas: [0.9, 0.999]', ...]."""
    return [f"{key}: {flow(list(v) if isinstance(v, tuple) else v)}" for key, v in params.items()]


def params_text(params: dict[str, Any]) -> str:
    return ", ".join(param_texts(params))


NOTE_WIDTH = 100  # characters of a commented line; a longer note goes on below, aligned


def config_keys() -> str:
    """docs/config.md's list of every key with its default: the schema's defaults, KEY_NOTES' notes."""
    lines = key_lines(Config.model_validate({}))
    width = max(len(text) for text, note in lines if note) + 2
    out = []
    for text, note in lines:
        wrapped = textwrap.wrap(note, NOTE_WIDTH - width - 2) or [""]
        out.append(f"{text:<{width}}# {wrapped[0]}" if note else text)
        out += [f"{'':<{width}}# {more}" for more in wrapped[1:]]
    return fence("yaml", "\n".join(out))


DATASET_NOTES = {
    "moons": "two interleaving half circles (scikit-learn's make_moons, in NumPy)",
    "circles": "a circle inside a circle (make_circles)",
    "blobs": "Gaussian blobs (make_blobs); `centers` may also be a list of points",
    "xor": "uniform points in [−1, 1]², class 1 where x0·x1 > 0",
    "spiral": "cs231n's spiral arms, one class per arm",
    "digits": "scikit-learn's 8×8 handwritten digits (all 1797 when n_samples is null)",
    "noisy-linear": "seed 000: two noisy copies of one ramp, target x0/2 + x1/2",
    "step": "seed 003: x in [−5, 5], target ±1 (a step at 0)",
    "bump": "seed 004: x in [−0.5, 0.5]², target exp(−5r²)·\\|x0 + x1\\|",
    "csv": "your own data: a header row, number and text (one-hot) features; `target` null = the last column; "
           "`columns: {zip: text}` forces a column's kind",
}


def parameters(params: dict[str, Any]) -> str:
    return ", ".join(f"`{one}`" for one in param_texts(params))


def registry_table(header: list[str], registry: dict, notes: dict[str, str], what: str,
                   cells: Callable[[str, Any, str], list[str]]) -> str:
    """A markdown table of a registry, one row per name: `cells(name, entry, note)`. A name
    without a note in `notes` (the docs' words for it) stops make docs, naming `what` it is."""
    rows = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for name, entry in registry.items():
        if name not in notes:
            raise DocsError(f"docs/make_docs.py: there are no words for the {what} {name}: add them")
        rows.append("| " + " | ".join(cells(name, entry, notes[name])) + " |")
    return "\n".join(rows) + "\n"


def data_sets() -> str:
    """The table of data sets: DATASETS' names, tasks and parameters with their defaults."""
    return registry_table(["name", "task", "parameters (defaults)", "what it is"], DATASETS, DATASET_NOTES,
                          "data set", lambda name, spec, note: [f"`{name}`", spec.task, parameters(spec.params), note])


SCHEDULE_NOTES = {
    "constant": "lr",
    "step": "lr · gamma^⌊e / step_size⌋",
    "exponential": "lr · gamma^e",
    "cosine": "eta_min + (lr − eta_min)(1 + cos(π e / T_max))/2, then eta_min after T_max (`T_max` null: the "
              "run's epochs)",
    "inverse-time": "lr / (1 + decay · e)",
    "plateau": "Keras's ReduceLROnPlateau: lr, times `factor` (not below `min_lr`) after `patience` epochs whose "
               "`monitor` (a metric of metrics.csv; a loss must fall, an accuracy rise, by more than `min_delta`) "
               "did not improve on its best, then `cooldown` epochs without counting; a val_ monitor needs "
               "validation data (else say monitor: train_loss); its state is saved for resume",
}


def schedules() -> str:
    """The table of schedules: SCHEDULES' names and parameters with their defaults."""
    return registry_table(["name", "lr during epoch e (from 0)", "parameters (defaults)"], SCHEDULES, SCHEDULE_NOTES,
                          "schedule", lambda name, entry, note: [f"`{name}`", note, parameters(entry.params)])


GENERATED: dict[str, Callable[[], str]] = {"config-keys": config_keys, "data-sets": data_sets,
                                           "schedules": schedules}


# ---------------------------------------------------------------- measurements the prose quotes


def notebook_module():
    """configs/seed001/notebook.py: seed 001's own loop (not a package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("seed001_notebook", ROOT / "configs" / "seed001" / "notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Seed001Cycle:
    """Seed 001 trained for its passes by nnctl and by the notebook's own loop. nnctl, notebook:
    the full-batch loss (with the L2 term) after k passes, k = 0..passes: (passes + 1,)."""

    nnctl: np.ndarray
    notebook: np.ndarray
    accuracy: float
    lr: float
    curvature: dict[int, float]  # pass -> the loss's largest curvature there (the notebook's weights)

    @property
    def passes(self) -> int:
        return len(self.nnctl) - 1

    @property
    def branches(self) -> tuple[float, float]:
        """The cycle's two losses, lower and upper: those of the last two passes."""
        low, high = sorted(self.nnctl[-2:])
        return float(low), float(high)

    @property
    def last_printed(self) -> int:
        """How many passes the notebook's last `Loss after iteration i` line comes after: it
        prints at i % 1000 == 0, after pass i + 1."""
        return (self.passes - 1) // 1000 * 1000 + 1

    @property
    def apart(self) -> int:
        """The first pass after which the two runs differ by more than 1e-12 (before it, they
        agree to the last bits)."""
        return int(np.argmax(np.abs(self.nnctl - self.notebook) > 1e-12))

    @property
    def growth(self) -> float:
        """How many times larger the two runs' difference grows each pass, from 1e-12 to 1e-6."""
        difference = np.abs(self.nnctl - self.notebook)
        passes = np.argmax(difference > 1e-6) - np.argmax(difference > 1e-12)
        return 10 ** (6 / passes)

    @property
    def cycle_from(self) -> int:
        """The pass from which the loss repeats every two passes, to 1e-6."""
        L = self.nnctl
        return int(np.nonzero(np.abs(L[2:] - L[:-2]) > 1e-6)[0][-1]) + 3

    @staticmethod
    def burst(losses: np.ndarray) -> int:
        """The pass of the first burst's peak: the loss, past its first descent, grows to 1.5 times
        the lowest it had reached, and peaks within 50 passes."""
        k = 100 + int(np.argmax(losses[100:] > 1.5 * np.minimum.accumulate(losses)[100:]))
        return k + int(np.argmax(losses[k:k + 50]))

    @property
    def lowest(self) -> float:
        """nnctl's lowest loss before the first burst."""
        return float(self.nnctl[:self.burst(self.nnctl)].min())

    @property
    def unstable_from(self) -> int:
        """The pass from which the loss's largest curvature stays above 2 / lr until the first
        burst (of those measured): gradient descent can no longer settle there."""
        before = sorted(k for k in self.curvature if k < self.burst(self.nnctl))
        below = [k for k in before if self.curvature[k] <= 2 / self.lr]
        return min(k for k in before if k > max(below, default=-1))

    @property
    def late(self) -> int:
        """How many passes after nnctl's first burst the notebook's comes."""
        return self.burst(self.notebook) - self.burst(self.nnctl)


CURVATURE_EVERY, CURVATURE_UNTIL = 100, 2000  # passes at which seed 001's curvature is measured


def seed001_cycle() -> Seed001Cycle:
    """Train configs/seed001-moons.yaml with nnctl and replay the notebook's loop on the same data."""
    config = load_config(SEED001)
    result = train(config)
    # full batch: row e ≥ 1 of metrics.csv is the loss before step e, after e − 1 passes; the
    # summary's final loss is measured after the last one
    nnctl = np.array([row["train_loss"] for row in result.history[1:]] + [result.summary["final"]["train_loss"]])
    X, y, notebook = result.dataset.X_train, result.dataset.y_train, notebook_module()
    init = dict(np.load(ROOT / "configs" / "seed001" / "init.npz"))
    losses, curvature = [], {}
    for k, weights in enumerate(notebook.trajectory(X, y, init, config.train.epochs)):
        losses.append(notebook.notebook_loss(X, y, *weights))
        if k % CURVATURE_EVERY == 0 and k <= CURVATURE_UNTIL:
            curvature[k] = notebook.largest_curvature(X, y, weights)
    return Seed001Cycle(nnctl, np.array(losses), result.summary["final"]["train_accuracy"],
                        config.optimizer.params["lr"], curvature)


@dataclass(frozen=True)
class LinearFit:
    """configs/noisy-linear.yaml trained: its weights and loss, and least squares' on the same data."""

    weights: np.ndarray  # (2,)
    val_loss: float
    lstsq: np.ndarray  # (2,)


NOISY_LINEAR_ACROSS = ("optimizer.momentum=0.9", "train.epochs=500")  # what configs/noisy-linear.yaml suggests


def weights(w: np.ndarray) -> str:
    return ", ".join(f"{v:.3f}" for v in w)


class Measured:
    """The measurements facts quote, each made once, when first asked for."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.timings = ws.timings  # name -> seconds, from `run NAME` blocks and draw_pictures
        self._trained: dict[tuple[str, ...], Any] = {}

    @cached_property
    def seed001(self) -> Seed001Cycle:
        return seed001_cycle()

    @cached_property
    def run_dir(self) -> Path:
        """A run directory `nnctl train` wrote, in the workspace."""
        self.ws.run("nnctl train configs/moons.yaml --set train.epochs=2 --set output.plots=[] --run-dir runs/files -q",
                    check=True)
        return self.ws.path / "runs" / "files"

    @cached_property
    def sweep_run_name(self) -> str:
        """The folder name `nnctl sweep` gives the run of lr 0.03, hidden [16], seed 2."""
        self.ws.run("nnctl sweep configs/moons.yaml --grid optimizer.lr=0.03 --grid model.hidden=[16] --seeds 2 "
                    "--set train.epochs=1 --set output.plots=[] --out runs/names --jobs 1 -q", check=True)
        [run] = (self.ws.path / "runs" / "names" / "runs").iterdir()
        return run.name

    def trained(self, name: str, *overrides: str):
        """configs/NAME.yaml trained with these overrides (no files): a TrainResult."""
        key = (name, *overrides)
        if key not in self._trained:
            self._trained[key] = train(load_config(ROOT / "configs" / f"{name}.yaml", list(overrides)))
        return self._trained[key]

    def noisy_linear(self, *overrides: str) -> LinearFit:
        """configs/noisy-linear.yaml's trained weights, and least squares' on its training data."""
        result = self.trained("noisy-linear", *overrides)
        d = result.dataset
        X1 = np.hstack([d.X_train, np.ones((len(d.X_train), 1))])
        solution = np.linalg.lstsq(X1, d.y_train, rcond=None)[0][:2, 0]
        w = result.model.network.params()["W0"][:, 0]
        return LinearFit(w.copy(), result.summary["final"]["val_loss"], solution)


def machine() -> str:
    """This machine in a few words: cores and processor."""
    cpu = platform.processor()
    with open("/proc/cpuinfo") if Path("/proc/cpuinfo").is_file() else open(os.devnull) as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    return f"{os.cpu_count()} cores{f', {cpu}' if cpu else ''}"


def busy() -> float | None:
    """The load average when it is over half the cores (timings then run slow), else None."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return load if load > (os.cpu_count() or 1) / 2 else None


def measured(seconds: float) -> str:
    """A timing with where and when it was measured (and how busy the machine was, if it was)."""
    load = busy()
    return f"{seconds:.1f} s (`make docs`, {datetime.date.today()}, {machine()}{f', load {load:.1f}' if load else ''})"


def g(value: float, digits: int) -> str:
    """value to `digits` significant digits, as the prose writes it."""
    return f"{value:.{digits}g}"


def power_of_ten(value: float) -> str:
    """10000.0 as the prose writes it: 1e4."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


@dataclass(frozen=True)
class Fact:
    """A number in prose: `pattern` finds it in the file `path` (group 1 is the number's place),
    `value` makes it from the measurements. A timing is written by `make docs`, never checked."""

    path: str
    pattern: str
    value: Callable[[Measured], str]
    timing: bool = False


def spaced(n: int) -> str:
    """A whole number as the prose writes it: 20 000."""
    return f"{n:,}".replace(",", " ")


def about(n: int) -> str:
    """A pass count to the nearest hundred, for "about"."""
    return spaced(round(n, -2))


def before(n: int) -> str:
    """A pass count to the hundred below, for "the first N passes"."""
    return spaced(n // 100 * 100)


SEED001_COUNT = r"(\d(?:[\d ]*\d)?)"  # a pass count: 20 000
# seed 001's numbers, in the README and in the config's comment (the same sentences); in the
# patterns, ~ stands for the space between words
SEED001_FACTS: dict[str, Callable[[Measured], str]] = {
    f"from~about~pass~{SEED001_COUNT}~the~loss's~largest~curvature": lambda m: spaced(m.seed001.unstable_from),
    r"is~above~2/lr~=~(\d+(?:\.\d+)?)": lambda m: f"{2 / m.seed001.lr:g}",
    r"The~loss~falls~to~(\d+(?:\.\d+)?),": lambda m: g(m.seed001.lowest, 3),
    f"then~near~pass~{SEED001_COUNT},": lambda m: about(m.seed001.burst(m.seed001.nnctl)),
    r"bursts~up~to~(\d+(?:\.\d+)?)~and": lambda m: g(m.seed001.nnctl[m.seed001.burst(m.seed001.nnctl)], 2),
    f"from~about~pass~{SEED001_COUNT}~on,": lambda m: about(m.seed001.cycle_from),
    r"alternates~every~pass~between~(\d+(?:\.\d+)?)~and": lambda m: f"{m.seed001.branches[0]:.6f}",
    r"every~pass~between~\d+(?:\.\d+)?~and~(\d+(?:\.\d+)?)": lambda m: f"{m.seed001.branches[1]:.6f}",
    f"agree~to~the~last~bits~for~the~first~{SEED001_COUNT}~passes": lambda m: before(m.seed001.apart),
    r"grows~(\d+(?:\.\d+)?)×~a~pass": lambda m: f"{m.seed001.growth:.2f}",
    r"first~burst~comes~(\d+)~passes~after": lambda m: str(m.seed001.late),
    r"passes~after~nnctl's,~an~(odd|even)~number": lambda m: "odd" if m.seed001.late % 2 else "even",
    f"After~{SEED001_COUNT}~passes~nnctl's~summary~says": lambda m: spaced(m.seed001.passes),
    r"nnctl's~summary~says~(\d+(?:\.\d+)?)": lambda m: f"{m.seed001.nnctl[-1]:.6f}",
    r"the~notebook's~model~gives~(\d+(?:\.\d+)?)": lambda m: f"{m.seed001.notebook[-1]:.6f}",
}
# only in the README
SEED001_README_FACTS: dict[str, Callable[[Measured], str]] = {
    r"It~ends~at~(\d+(?:\.\d+)?%)~training~accuracy": lambda m: percent(m.seed001.accuracy),
    r"ends~with~(\d+(?:\.\d+)?)~\(its~last~row": lambda m: f"{m.seed001.nnctl[-2]:.6f}",
    r"iteration~(\d+)`": lambda m: str(m.seed001.last_printed - 1),
    f"after~{SEED001_COUNT}~passes\\)": lambda m: spaced(m.seed001.last_printed),
    r"passes\),~with~(\d+(?:\.\d+)?)": lambda m: f"{m.seed001.notebook[m.seed001.last_printed]:.6f}",
    r"classify~(\d+(?:\.\d+)?%)~of": lambda m: percent(m.seed001.accuracy),
}


def facts_of(path: str, facts: dict[str, Callable[[Measured], str]], gap: str) -> list[Fact]:
    """Facts whose patterns write the space between words as ~: `gap` is what it may be there
    (white space, or in a comment also a line break and #)."""
    return [Fact(path, pattern.replace("~", gap), value) for pattern, value in facts.items()]


COMMENT_GAP = r"\s+(?:#\s*)?"  # between two words of a YAML comment: a space, or a line break and #


def final(m: Measured, name: str, metric: str, *overrides: str) -> float:
    return m.trained(name, *overrides).summary["final"][metric]


def val_accuracy(m: Measured, name: str, *overrides: str) -> str:
    return percent(final(m, name, "val_accuracy", *overrides))


FACTS: list[Fact] = [
    *facts_of("README.md", {**SEED001_FACTS, **SEED001_README_FACTS}, r"\s+"),
    *facts_of("configs/seed001-moons.yaml", {**SEED001_FACTS, r"with~(\d+(?:\.\d+)?%)~training": lambda m: percent(
        m.seed001.accuracy)}, COMMENT_GAP),
    # configs/noisy-linear.yaml: what its epochs of SGD find, where least squares finds [0.5, 0.5]
    *facts_of("configs/noisy-linear.yaml", {
        r"least~squares~on~the~same~points~gives~w~=~\[([-\d., ]+)\]": lambda m: weights(m.noisy_linear().lstsq),
        r"After~(\d+)~epochs~w": lambda m: str(m.trained("noisy-linear").config.train.epochs),
        r"epochs~w~=~\[([-\d., ]+)\]": lambda m: weights(m.noisy_linear().weights),
        r"validation~loss~(\d+(?:\.\d+)?)\)": lambda m: f"{m.noisy_linear().val_loss:.2g}",
        r"(--set~\S+(?:~--set~\S+)*)~reaches": lambda m: " ".join(f"--set {o}" for o in NOISY_LINEAR_ACROSS),
        r"reaches~w~=~\[([-\d., ]+)\]": lambda m: weights(m.noisy_linear(*NOISY_LINEAR_ACROSS).weights),
    }, COMMENT_GAP),
    # what the other configs' comments say they learn
    *facts_of("configs/xor.yaml", {r"units~does~\((\d+(?:\.\d+)?%)": lambda m: val_accuracy(m, "xor")}, COMMENT_GAP),
    *facts_of("configs/seed003-circles.yaml", {
        r"barely~moves~\((\d+(?:\.\d+)?%)": lambda m: val_accuracy(m, "seed003-circles", "optimizer.lr=0.005",
                                                               "train.epochs=10"),
        r"learns~the~ring~\((\d+(?:\.\d+)?%)\)": lambda m: val_accuracy(m, "seed003-circles"),
    }, COMMENT_GAP),
    *facts_of("configs/seed000-noisy-linear.yaml", {
        r"in~100~epochs~\(validation~loss~([\d.e+-]+)\)":
            lambda m: f"{final(m, 'seed000-noisy-linear', 'val_loss'):.0e}",
    }, COMMENT_GAP),
    # timings, with where and when
    *(Fact("README.md", pattern, lambda m, name=name: measured(m.timings[name]), timing=True) for pattern, name in (
        (r"The six runs\s+above took (\S+ s \([^)]*\)) in all", "lr-loop"),
        (r"hidden-size\.yaml`, which takes (\S+ s \([^)]*\))", "hidden-size"),
        (r"60 frames render\s+in (\S+ s \([^)]*\))", "animation"))),
    # what a run writes
    Fact("README.md", r"from epoch 0 \(the initial weights\): `([^`]+)`",
         lambda m: (m.run_dir / "metrics.csv").read_text().splitlines()[0]),
    Fact("README.md", r"folders\s+named\s+the\s+old\s+way\s+keep\s+their\s+names\),\s+such\s+as\s+`([^`]+)`",
         lambda m: m.sweep_run_name),
    # limits, as the code holds them
    *facts_of("docs/config.md", {
        r"at~most~([\d ]+)~samples": lambda m: spaced(schema.MAX_SAMPLES),
        r"samples~and~([\d ]+)~units~in~a~layer": lambda m: spaced(schema.MAX_WIDTH),
        r"under~([\d ]+)~values": lambda m: spaced(schema.EVALUATION_VALUES),
    }, r"\s+"),
    *facts_of("README.md", {
        r"sweep~file\)~of~at~most~(\d+)~MB": lambda m: str(files.MAX_YAML_BYTES // 10**6),
        r"nested~at~most~(\d+)~levels": lambda m: str(files.MAX_YAML_DEPTH),
        r"a~CSV~file~of~at~most~(\d+)~GB": lambda m: str(data.MAX_CSV_BYTES // 10**9),
        r"at~most~(\d+)~million~values~in~one~array": lambda m: str(files.MAX_ARRAY_VALUES // 10**6),
        r"at~most~([\d ]+)~points~in~one~sweep": lambda m: spaced(sweep_spec.MAX_POINTS),
        r"`--dpi`~at~most~(\d+)": lambda m: str(pictures.MAX_DPI),
        r"`gradcheck~--epsilon`~within~(\S+~…~\S+)~\(": lambda m: " … ".join(f"{e:.0e}".replace("e-0", "e-")
                                                                           for e in gradcheck.EPSILON_RANGE),
        r"saves~`resume.npz`~every~(\d+)~seconds": lambda m: f"{runs.RESUME_EVERY:g}",
        r"of~a~set~larger~than~([\d ]+)~points": lambda m: spaced(MAX_POINTS_DRAWN),
        r"draw~a~seeded~sample~of~([\d ]+),": lambda m: spaced(MAX_POINTS_DRAWN),
        r"predicted~([\d ]+)~rows~at~a~time": lambda m: spaced(CACHED_ROWS),
        r"quotes~at~most~(\d+)~characters~of~a~cell": lambda m: str(data.MAX_QUOTE),
        r"\(default~(\S+);~`null`~turns~it~off\)": lambda m: power_of_ten(
            schema.TrainConfig.model_fields["divergence_factor"].default),
    }, r"\s+"),
]


def apply_facts(path: str, text: str, measured_: Measured, *, timings: bool) -> str:
    """`text` of the file `path` with each of its facts' numbers made anew (timings only when asked)."""
    for fact in FACTS:
        if fact.path != path or (fact.timing and not timings):
            continue
        pattern = re.compile(fact.pattern)
        if not pattern.search(text):
            raise DocsError(f"{path}: no text matches the fact {fact.pattern!r} any more: change it in "
                            "docs/make_docs.py's FACTS together with the prose")
        value = fact.value(measured_)
        text = pattern.sub(lambda m, value=value: m[0][:m.start(1) - m.start(0)] + value + m[0][m.end(1) - m.start(0):],
                           text)
    return text


# ---------------------------------------------------------------- pictures


def draw_seed001(cycle: Seed001Cycle, path: Path) -> Path:
    """Seed 001's loss per pass, nnctl's and the notebook's: the whole run on log axes, the first
    burst, and the last passes, one by one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    runs = {"nnctl": (cycle.nnctl, "#0072B2", "o", "-"), "the notebook's loop": (cycle.notebook, "#E69F00", "X", "--")}
    fig, (whole, burst, end) = plt.subplots(1, 3, figsize=(13, 4.2), dpi=110, layout="constrained",
                                            gridspec_kw={"width_ratios": [4, 3, 3]})
    passes = np.arange(1, cycle.passes + 1)
    for name, (losses, color, _, style) in runs.items():
        whole.plot(passes, losses[1:], color=color, lw=1.0, ls=style, label=name)
    whole.set(xscale="log", yscale="log", xlim=(1, cycle.passes), xlabel="passes (log scale)",
              ylabel="loss with the L2 term (log scale)", title="the whole run\n")
    whole.legend(frameon=False)
    first = cycle.burst(cycle.nnctl)
    windows = ((burst, np.arange(first - 30, first + cycle.late + 16), "the first burst:\nthe notebook's comes "
                f"{cycle.late} passes later"), (end, np.arange(cycle.passes - 9, cycle.passes + 1),
                                                 "the last 10 passes:\none cycle, one pass apart"))
    for ax, k, title in windows:
        for name, (losses, color, marker, style) in runs.items():
            ax.plot(k, losses[k], color=color, lw=0.8, ls=style, marker=marker, ms=5, label=name)
        ax.set(xlabel="passes", title=title)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: spaced(int(x))))
    for value in cycle.branches:
        end.annotate(f"{value:.6f}", (cycle.passes - 9, value), xytext=(0, 6 if value == max(cycle.branches) else -12),
                     textcoords="offset points", fontsize=9)
    end.set_ylim(cycle.branches[0] - 0.0001, cycle.branches[1] + 0.0001)
    fig.suptitle(f"seed 001, lr 2.0: bursts near pass {about(first)}, then from about pass "
                 f"{about(cycle.cycle_from)} the loss alternates every pass")
    try:
        return save_figure(fig, path, dpi=110)
    finally:
        plt.close(fig)


def copy(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    return atomic_write(target, lambda f: f.write(data), binary=True)


def draw_pictures(ws: Workspace, measured_: Measured) -> None:
    """The README's pictures, drawn by the commands a user would type, and their timings."""
    docs = ROOT / "docs"
    if busy():
        print(f"warning: the machine is busy (load {busy():.1f} on {os.cpu_count()} cores): the timings "
              "written will be slower than usual, and say so", file=sys.stderr)
    ws.run("nnctl train configs/moons.yaml --run-dir runs/demo -q", check=True)
    for name in ("boundary", "loss"):
        copy(ws.path / "runs" / "demo" / f"{name}.png", docs / f"moons-{name}.png")
    ws.run("nnctl sweep configs/sweeps/hidden-size.yaml --out runs/hidden-size -q", name="hidden-size", check=True)
    copy(ws.path / "runs" / "hidden-size" / "boundaries.png", docs / "hidden-size.png")
    ws.run("nnctl sweep configs/sweeps/optimizers.yaml --out runs/optimizers -q", name="optimizers", check=True)
    ws.run("nnctl compare runs/optimizers --out runs/optimizers-compare", check=True)
    copy(ws.path / "runs" / "optimizers-compare" / "compare.png", docs / "optimizers-compare.png")
    ws.run("nnctl sweep configs/sweeps/search-digits.yaml --jobs 2 --trials 30 --set train.epochs=20 "
           "--out runs/search -q", check=True)
    copy(ws.path / "runs" / "search" / "search.png", docs / "search-digits.png")
    ws.run("nnctl train configs/moons.yaml --run-dir runs/frames --set output.animation.frames=60 "
           "--set output.plots=[] -q", check=True)
    ws.run("nnctl plot runs/frames --only animation", name="animation", check=True)
    watch_screenshot(ws.path / "runs" / "frames", docs / "watch.png")  # `nnctl watch runs/frames`, replay and all
    draw_seed001(measured_.seed001, docs / "seed001-cycle.png")
    # "In a notebook": the cell run on a fresh Jupyter kernel, the PNG it displays and its text
    ws.output([sys.executable, str(docs / "notebook_figure.py")], check=True)


def watch_screenshot(run_dir: Path, out: Path) -> Path:
    """docs/watch_screenshot.py's picture of the watch page on `run_dir` (headless chromium)."""
    spec = importlib.util.spec_from_file_location("watch_screenshot", ROOT / "docs" / "watch_screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.watch_screenshot(run_dir, out)


# ---------------------------------------------------------------- the whole


def documents() -> list[str]:
    """Every file whose text this script makes or checks, relative to ROOT."""
    configs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml"))
    return [*DOCUMENTS, *configs]


def build(ws: Workspace, *, timings: bool) -> dict[str, str]:
    """Every document's text made anew: its blocks and facts (timings and pictures only when
    `timings`: `make docs`)."""
    measured_ = Measured(ws)
    if timings:
        draw_pictures(ws, measured_)
    made = {}
    for path in documents():
        text = (ROOT / path).read_text()
        new = render_regions(text, ws) if path.endswith(".md") else text
        made[path] = apply_facts(path, new, measured_, timings=timings)
    return made


def differences(path: str, old: str, new: str, context: int = 2) -> str:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), f"{path} (written)", f"{path} (made now)",
                                n=context, lineterm="")
    return "\n".join(diff)


def check(workspace: Path) -> list[str]:
    """What is out of date: one unified diff per document whose blocks or facts (timings aside)
    differ from what the commands print now; [] when none."""
    made = build(Workspace(workspace), timings=False)
    return [differences(path, (ROOT / path).read_text(), new) for path, new in made.items()
            if new != (ROOT / path).read_text()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="say what is out of date, rewrite nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnctl-docs-") as tmp:
        if args.check:
            problems = check(Path(tmp))
            print("\n\n".join(problems) or "the docs show what the commands print")
            return 1 if problems else 0
        for path, text in build(Workspace(Path(tmp)), timings=True).items():
            if text != (ROOT / path).read_text():
                write_text(ROOT / path, text)
                print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DocsError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
