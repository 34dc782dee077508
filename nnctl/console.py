"""Terminal output (layer 1): progress while training (on stderr), the summary, the gradcheck
table, the explanation tree, a sweep's progress.

On a terminal, a rich progress bar with the live loss; elsewhere (a pipe, a log file, a sweep),
one plain line every tenth of the run; nothing with --quiet or --json. rich is imported only
when something is shown.

It imports nothing of nnctl: what it prints (a training result, gradient checks, an
explanation, a sweep) it reads by attribute, so the layers above can all use it.
"""

from __future__ import annotations

import html
import math
import sys
import time
from typing import Any

MAX_DECIMALS = 12  # a loss below 1e-12 shows as 0.000000000000, not as three hundred zeros


def _fmt(value: Any, digits: int = 4) -> str:
    """A number as progress shows it, in one format whatever its size, so that a loss keeps its
    look as it crosses 1e4 or 1e-3 mid-run: `digits` significant digits, never an exponent
    (11530, 9222, 0.6931, 0.0001234); nan and inf as they are, None as '-'."""
    if value is None:
        return "-"
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value) or value == 0:
        return str(value) if value else "0"
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(value)))))
    return f"{value:.{decimals}f}"


def _percent(value: float) -> str:
    """An accuracy as every table and line of nnctl shows it: 0.9125 -> '91.2%'."""
    return f"{value:.1%}"


def _fraction(value: float) -> str:
    """An accuracy, a fraction in [0, 1], to 3 decimals: 0.912, 1.000."""
    return f"{value:.3f}"


def describe(row: dict[str, Any]) -> str:
    """'loss 0.3120  val_loss 0.3301  acc 91.2%  val_acc 90.5%' from a metrics row: accuracies as
    percentages, as `nnctl runs` and report.html show them."""
    parts = [f"loss {_fmt(row['train_loss'])}"]
    if row.get("val_loss") is not None:
        parts.append(f"val_loss {_fmt(row['val_loss'])}")
    if row.get("train_accuracy") is not None:
        parts.append(f"acc {_percent(row['train_accuracy'])}")
    if row.get("val_accuracy") is not None:
        parts.append(f"val_acc {_percent(row['val_accuracy'])}")
    return "  ".join(parts)


class EpochReporter:
    """The `on_epoch` callback of `nnctl train`; use it as a context manager."""

    def __init__(self, epochs: int, *, quiet: bool = False, stream=None):
        self.epochs, self.quiet = epochs, quiet
        self.stream = stream or sys.stderr
        self.every = max(1, epochs // 10)
        self.progress = None
        self.last_redraw = 0.0

    def __enter__(self) -> EpochReporter:
        if not self.quiet and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[metrics]}"), console=Console(file=self.stream), transient=False,
                auto_refresh=False,  # redrawn from __call__ only: no thread competing with training
            )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.epochs, metrics="")
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, row: dict[str, Any]) -> None:
        if self.quiet:
            return
        epoch = row["epoch"]
        if self.progress is not None:
            now = time.monotonic()
            # redraw at most 20 times a second: short epochs would spend their time drawing
            if now - self.last_redraw > 0.05 or epoch == self.epochs:
                self.progress.update(self.task, completed=epoch, metrics=describe(row), refresh=True)
                self.last_redraw = now
        elif epoch % self.every == 0 or epoch == self.epochs:
            print(f"epoch {epoch}/{self.epochs}  {describe(row)}", file=self.stream, flush=True)


def shown(key: str, value: Any) -> str:
    """A metric as every table of nnctl shows it: an accuracy as a percentage, a loss by `_fmt`."""
    return _percent(value) if "accuracy" in key and value is not None else _fmt(value)


def in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel (rich's own test: IPython's ZMQ shell), where a cell
    shows HTML and a terminal's escape codes would print as text."""
    from rich.console import Console

    return Console().is_jupyter


def live_progress(epochs: int, *, quiet: bool = False):
    """The progress of training where the call is (the Python front door's train): a bar redrawn
    in place in a Jupyter cell, else `EpochReporter`'s (rich's bar on a terminal, a line every
    tenth elsewhere); nothing when quiet. A context manager that is the `on_epoch` callback."""
    if not quiet and in_jupyter():
        return NotebookProgress(epochs)
    return EpochReporter(epochs, quiet=quiet)


class ProgressView:
    """One state of a progress bar for IPython's display: HTML (a <progress> element and the
    metrics) in a notebook, a line of text elsewhere. No escape codes either way."""

    def __init__(self, epoch: int, epochs: int, metrics: str):
        self.epoch, self.epochs, self.metrics = epoch, epochs, metrics

    def __repr__(self) -> str:
        return f"epoch {self.epoch}/{self.epochs}  {self.metrics}".rstrip()

    def _repr_html_(self) -> str:
        return (f'<div style="font-family:monospace"><progress value="{self.epoch}" max="{self.epochs}" '
                f'style="width:16em;vertical-align:middle"></progress> '
                f"{html.escape(repr(self))}</div>")


class NotebookProgress:
    """The `on_epoch` callback of training in a Jupyter cell: one bar, redrawn in place through
    an IPython display handle (at most 10 times a second, and at the last epoch). Use it as a
    context manager."""

    def __init__(self, epochs: int):
        self.epochs, self.handle, self.row, self.last_redraw = epochs, None, None, 0.0

    def __enter__(self) -> NotebookProgress:
        from IPython.display import display  # only in a kernel: in_jupyter() said IPython runs this

        self.handle = display(ProgressView(0, self.epochs, ""), display_id=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.row is not None:  # where training ended, whatever the redraw limit skipped
            self._draw()

    def __call__(self, row: dict[str, Any]) -> None:
        self.row = row
        now = time.monotonic()
        if now - self.last_redraw > 0.1 or row["epoch"] == self.epochs:
            self._draw()
            self.last_redraw = now

    def _draw(self) -> None:
        self.handle.update(ProgressView(self.row["epoch"], self.epochs, describe(self.row)))


class FrameReporter:
    """The `progress(done, total)` callback of an animation: a rich bar on a terminal, else a
    line when it is done. Use it as a context manager."""

    def __init__(self, *, quiet: bool = False, stream=None):
        self.quiet, self.stream = quiet, stream or sys.stderr
        self.progress = self.task = None

    def __enter__(self) -> FrameReporter:
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if not self.stream.isatty():
            if done == total:
                print(f"animation: {total} frames", file=self.stream, flush=True)
            return
        if self.progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("[bold]animation frames"), MofNCompleteColumn(), BarColumn(),
                                     TimeRemainingColumn(), console=Console(file=self.stream))
            self.progress.start()
            self.task = self.progress.add_task("frames", total=total)
        self.progress.update(self.task, completed=done)


def counted(n: int, noun: str) -> str:
    """'1 run', '30 runs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


class SweepReporter:
    """Progress of a sweep: one bar with live done/failed counts on a terminal, else a line per
    finished run, `[12/30] NAME: STATUS  metrics` (runs finished of all, those finished earlier
    included). `start(sweep, todo)`, `done(point, result)` per run, `stop()`."""

    def __init__(self, *, quiet: bool = False, stream=None):
        self.quiet, self.stream = quiet, stream or sys.stderr
        self.progress = self.task = None
        self.finished = self.failed = self.total = 0

    def __enter__(self) -> SweepReporter:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, sweep, todo: int) -> None:
        total, skipped = len(sweep.points), len(sweep.points) - todo
        self.total = total
        if self.quiet:
            return
        print(f"sweep {sweep.folder}: {counted(total, 'run')}, {skipped} already finished, {todo} to run",
              file=self.stream, flush=True)
        self.finished = skipped
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("[bold]runs"), MofNCompleteColumn(), BarColumn(),
                                     TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                                     console=Console(file=self.stream))
            self.progress.start()
            self.task = self.progress.add_task("sweep", total=total, completed=skipped, counts="")

    def done(self, point, result: dict) -> None:
        self.finished += 1
        self.failed += result.get("status") == "failed"
        if self.quiet:
            return
        if self.progress is not None:
            self.progress.update(self.task, completed=self.finished,
                                 counts=f"[green]{self.finished - self.failed} done[/] [red]{self.failed} failed[/]")
        else:
            detail = result.get("error") or describe_final(result)
            print(f"[{self.finished}/{self.total}] {point.name}: {result.get('status')}  {detail}",
                  file=self.stream, flush=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def describe_final(row: dict) -> str:
    """'loss 0.1  val_acc 95.0%' from a results row's final.* columns."""
    final = {k.removeprefix("final."): v for k, v in row.items() if k.startswith("final.")}
    return describe(final) if final.get("train_loss") is not None else ""


# a status as a sentence says it, where the token of files and tables does not read as words
STATUS_WORDS = {"early_stopped": "stopped early"}


def in_words(status: str) -> str:
    """'stopped early' for early_stopped; the other statuses are words already."""
    return STATUS_WORDS.get(status, str(status).replace("_", " "))


def ending(summary: dict) -> str:
    """'stopped early after 60 epochs in 1.20 s; kept the weights of epoch 55 (best val_loss)'."""
    epochs = f"{summary['epochs']} epoch{'' if summary['epochs'] == 1 else 's'}"
    status = summary["status"]
    words = f"{in_words(status)} after {epochs} in {summary['seconds']:.2f} s"
    if status == "early_stopped":
        best, monitor = summary["best_epoch"], summary.get("monitor", "val_loss")
        kept = summary.get("model_epoch", best)  # absent in runs written before restore_best
        words += (f"; kept the weights of epoch {best} (best {monitor})" if kept == best else
                  f"; kept the last epoch's weights, epoch {kept} (the best, by {monitor}, was epoch {best}; "
                  "train.early_stopping.restore_best is false)")
    return words


def print_summary(result) -> None:
    """Status, final metrics and the run directory, on stderr; the run directory on stdout."""
    s = result.summary
    print(ending(s), file=sys.stderr)
    print(f"final weights, whole sets: {describe(s['final'])}", file=sys.stderr)
    if s["status"] == "diverged":
        where = s.get("diverged_at", {})
        what = (f"the training loss of epoch {where.get('epoch')} was {where['train_loss']:.4g}, more than "
                f"{where.get('limit', math.nan):.4g} (train.divergence_factor × epoch 0's)"
                if "train_loss" in where else
                f"the loss became NaN or infinite at epoch {where.get('epoch')}, batch {where.get('batch')}")
        print(f"diverged: {what}; kept the weights from before epoch {where.get('epoch')}. "
              "Try a smaller optimizer.lr.", file=sys.stderr)
    if s["status"] == "interrupted" and result.run_dir is not None:
        where = s.get("interrupted_at", {})
        print(f"interrupted at epoch {where.get('epoch', '?')}, batch {where.get('batch', '?')}; go on with: "
              f"nnctl train --resume {result.run_dir}", file=sys.stderr)
    if result.run_dir is not None:
        print(result.run_dir)


def print_gradcheck(checks, tolerance: float) -> None:
    """A table: tensor, shape, relative error, max |difference|, pass/fail."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"gradient check (whole-tensor relative error, tolerance {tolerance:g})")
    for column in ("tensor", "shape", "relative error", "max |analytic − numeric|", "result"):
        table.add_column(column, justify="right" if "error" in column or "max" in column else "left")
    for c in checks:
        verdict = "[bold red]FAIL[/]" if not c.passed else "[green]pass[/]" if c.error <= tolerance else (
            "[green]pass[/] ≈0")
        table.add_row(c.name, "×".join(map(str, c.shape)), f"{c.error:.2e}", f"{c.max_abs_diff:.2e}", verdict)
    console = Console()
    console.print(table)
    if any(c.passed and c.error > tolerance for c in checks):
        console.print("≈0: a zero gradient; the numeric one differs only by rounding noise (100·eps·|L|/ε)")
    for note in getattr(checks, "notes", ()):  # how dropout and L1 entered the check
        console.print(note, markup=False, highlight=False)
    failed = [c.name for c in checks if not c.passed]
    console.print("[bold red]failed:[/] " + ", ".join(failed) if failed else "[green]all gradients agree[/]")


GUIDE = 4  # characters a rich Tree indents each level by ("├── ", "│   ")


def print_explanation(explanation, *, max_values: int = 64, console=None) -> None:
    """The forward and backward passes as a rich tree: each step's formula, then each array's
    shape and, when it is small, its values, wrapped by whole numbers at the width left beside
    the tree's guides (a terminal's, else rich's 80 columns, or COLUMNS), with numpy's
    indented continuation lines, so that a row never breaks inside a number."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    console = console or Console()

    def add_step(parent, step, depth: int) -> None:
        node = parent.add(Text.assemble((step.title, "bold"), "\n", (step.formula, "cyan")))
        for name, array in step.arrays.items():
            node.add(array_text(name, array, max_values=max_values, width=console.width - GUIDE * (depth + 1)))

    root = Tree("[bold]one step of backprop[/]")
    forward = root.add("[bold green]forward pass[/]")
    for step in explanation.forward:
        add_step(forward, step, 2)
    add_step(root, explanation.loss, 1)
    backward = root.add("[bold magenta]backward pass[/] (BP1–BP4)")
    for step in explanation.backward:
        add_step(backward, step, 2)
    console.print(root)


def array_text(name: str, array, *, max_values: int, width: int):
    """A rich Text: the array's name and shape, then its values (up to `max_values` of them) in
    lines of at most `width` characters (numpy wraps by whole values); as Text, so that a value
    such as [nan] is not read as markup."""
    import numpy as np  # only here: progress and summaries need none (see the module's docstring on rich)
    from rich.text import Text

    a = np.asarray(array)
    shape = "scalar" if a.ndim == 0 else "×".join(map(str, a.shape))
    label = Text.assemble((name, "bold"), " ", (shape, "dim"))
    if a.size > max_values:
        return label.append(f" (values hidden: {a.size} entries; --max-values to show)", style="dim")
    return label.append("\n" + np.array2string(a, precision=4, suppress_small=True, max_line_width=max(width, 20)))


def print_evaluation(report: dict[str, Any]) -> None:
    """`nnctl evaluate`'s tables: the scores, then per class precision, recall, F1 and support
    and the confusion matrix (rows the true class), for a classification."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    # a line of its own: a table's title wider than the table would wrap mid-name
    console.print(f"{report['data'].rsplit('/', 1)[-1]}, {report['rows']:,} rows", markup=False, highlight=False)
    scores = Table()
    keys = [k for k in ("loss", "accuracy", "mse", "mae", "r2") if k in report]
    for key in keys:
        scores.add_column(key, justify="right")
    scores.add_row(*(_fmt(report[k]) if k != "accuracy" else _percent(report[k]) for k in keys))
    console.print(scores)
    if "per_class" not in report:
        return
    per_class = Table(title="per class")
    for column in ("class", "precision", "recall", "F1", "support"):
        per_class.add_column(column, justify="left" if column == "class" else "right")
    for row in report["per_class"]:
        per_class.add_row(str(row["class"]), *(_fraction(row[k]) for k in ("precision", "recall", "f1")),
                          str(row["support"]))
    console.print(per_class)
    confusion = Table(title="confusion matrix")
    confusion.add_column("true \\ predicted")
    for label in report["classes"]:
        confusion.add_column(str(label), justify="right")
    for label, counts in zip(report["classes"], report["confusion"], strict=True):
        confusion.add_row(str(label), *map(str, counts))
    console.print(confusion)
