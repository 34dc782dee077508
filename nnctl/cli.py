"""The command line (layer 6): each command parses its options, calls one library function, prints.

User mistakes arrive as NnctlError and leave as one line, `error: …`, with exit code 2.
Exit codes: 0 success (also an early stop), 1 diverged or gradcheck failed, 2 user error (or a
file that could not be written: the run then says `failed`), 130 interrupted.

One spelling for one meaning across the commands:
- `--format` is the format of tables and data on stdout: table, csv, json (`nnctl runs`,
  `nnctl compare`; later `export`). `--image-format` is the file format of pictures: png, svg, pdf
  (`nnctl plot`). A command that writes both takes both.
- Arguments and values are named in capitals, the same everywhere: CONFIG (a YAML config), RUN_DIR
  (a run directory), FOLDER, KEY=VALUE, N. A usage line writes a required argument bare (RUN_DIR), an
  optional one in brackets ([CONFIG]), one that repeats with dots ([FOLDER]...).
- Flags take no value (`--quiet`, not `--quiet true`), and their help shows none.
- `--set KEY=VALUE` overrides a config key in every command that reads a config; a relative path
  given in it resolves from the current folder (one in the file, from the file's folder).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.exceptions import TyperException  # the public base of Click's usage errors

from nnctl.console import (
    FrameReporter,
    SweepReporter,
    counted,
    in_words,
    print_evaluation,
    print_explanation,
    print_gradcheck,
    print_summary,
)
from nnctl.errors import NnctlError
from nnctl.version import __version__

# The library is imported inside each command, not here: `nnctl --help` (and shell completion) then
# loads typer alone. Measured with python -X importtime: nnctl.workflow takes 0.3 s (numpy, pydantic,
# yaml, the config schema), nnctl.listing 0.05 s, gradcheck and explain 0.1 s or more, typer 0.13 s.


class Argument(TyperArgument):
    """A positional argument as nnctl's help shows it: by its metavar alone, in the Arguments
    panel (FOLDER..., without Typer 0.29's `<list[Path]>`) and in the usage line, where a required
    one is bare (RUN_DIR, not Typer's `{run_dir}`) and an optional one in brackets ([CONFIG])."""

    @property
    def display_name_raw(self) -> str:
        name = self.metavar or self.name.upper()
        return f"{name}..." if self.nargs != 1 else name

    def display_type_rich(self, ctx) -> None:
        return None

    def get_usage_pieces(self, ctx) -> list[str]:
        name = self.metavar or self.name.upper()
        shown = name if self.required else f"[{name}]"
        return [f"{shown}..." if self.nargs != 1 else shown]


def _as_shown(params: list) -> list:
    """`params` with nnctl's help forms: a flag shows no `<bool>` (it takes no value: `--quiet
    true` is refused), an argument is an `Argument`."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif type(param) is TyperArgument:
            param.__class__ = Argument  # Typer builds its own; only the help forms differ
    return params


BOOL_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0"}


class Command(TyperCommand):
    """Typer's command, with the help forms of `_as_shown` (its --help too), refusing a value
    after a flag (`--quiet true` would otherwise read `true` as the next argument: "true: no such
    file")."""

    def get_params(self, ctx) -> list:
        return _as_shown(super().get_params(ctx))

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        flags = {name for param in self.get_params(ctx) if isinstance(param, TyperOption) and param.is_flag
                 for name in param.opts}
        for flag, value in itertools.pairwise(args):
            if flag in flags and value.lower() in BOOL_WORDS:
                raise typer.BadParameter(f"takes no value (write {flag} alone, without {value!r})", ctx,
                                         param_hint=repr(flag))
        return super().parse_args(ctx, args)


class Group(TyperGroup):
    """Typer's group of commands, with the help forms of `_as_shown`."""

    def get_params(self, ctx) -> list:
        return _as_shown(super().get_params(ctx))


app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Train small fully connected neural networks from YAML configs.",
)

Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="Override a config key, e.g. --set model.hidden=[32,32]; "
                 "repeat for more. A relative path in it resolves from the current folder."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ConfigOrRun = Annotated[Path, typer.Argument(metavar="CONFIG|RUN_DIR", help="A YAML config or a run directory.",
                                             show_default=False)]


WatchHost = Annotated[str, typer.Option(metavar="ADDRESS", help="The address the watch page is served on "
                                         "(any but 127.0.0.1 shows the run to the network).")]
WatchPort = Annotated[int, typer.Option(metavar="N", help="The watch page's port (0: any free one).")]


def _live_watch(host: str, port: int):
    """`nnctl train --watch`'s server, listening before training starts."""
    from nnctl.watch.server import LiveWatch  # loads the run and pictures modules: only with --watch

    return LiveWatch(host, port, say=lambda line: typer.echo(line, err=True))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nnctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print nnctl's version and exit.")] = False,
) -> None:
    """nnctl's own options, before the command (the app's help above is what --help shows)."""


@contextlib.contextmanager
def user_errors():
    """Turn NnctlError into one line on stderr and exit code 2."""
    try:
        yield
    except NnctlError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=2) from None


@contextlib.contextmanager
def interruptions():
    """Ctrl-C or SIGTERM before or after training (which handles its own): one line saying what
    it stopped, exit code 130."""
    try:
        yield
    except KeyboardInterrupt as e:
        # workflow.Interrupted says what it stopped (read by attribute: workflow loads lazily)
        typer.echo(f"interrupted while {getattr(e, 'during', 'starting')}", err=True)
        raise typer.Exit(130) from None


def _print_json(data: dict) -> None:
    """Strict JSON: a NaN or infinity (a diverged run's loss) becomes null."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n")


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


@app.command(cls=Command)
def train(
    config: Annotated[Path | None, typer.Argument(metavar="CONFIG", help="A YAML config (see configs/).",
                                                  show_default=False)] = None,
    set_: Overrides = None,
    run_dir: Annotated[Path | None, typer.Option(
        metavar="RUN_DIR", help="Write the run here instead of output.dir/NAME-TIME.")] = None,
    name: Annotated[str | None, typer.Option(
        metavar="NAME", help="Run-name prefix (default: the config's name).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing non-empty --run-dir.")] = False,
    resume: Annotated[Path | None, typer.Option(
        metavar="RUN_DIR",
        help="Go on with an interrupted run directory from its last saved state (no CONFIG).")] = None,
    quiet: Quiet = False,
    json_: JsonOut = False,
    watch: Annotated[bool, typer.Option("--watch", help="Show the run in the browser as it trains (a local page; "
                                        "it keeps serving the finished run until Ctrl-C).")] = False,
    host: WatchHost = "127.0.0.1",
    port: WatchPort = 0,
) -> None:
    """Train a network from CONFIG and write a run directory (or go on with one: --resume)."""
    with user_errors(), interruptions():
        from nnctl.workflow import train_and_draw  # 0.55 s of imports: a signal there says "starting"

        if not watch and (host, port) != ("127.0.0.1", 0):
            raise NnctlError(f"{'--host' if host != '127.0.0.1' else '--port'}: applies to the watch page; add --watch")
        live = _live_watch(host, port) if watch else None
        result = train_and_draw(config, set_ or [], run_dir=run_dir, name=name, overwrite=overwrite, resume=resume,
                                quiet=quiet or json_, watch=live)
    if json_:
        _print_json({"run_dir": str(result.run_dir), **result.summary})
    elif not quiet:
        print_summary(result)
    status = result.summary["status"]
    if live is not None:
        live.serve_until_interrupted(status)
    raise typer.Exit(1 if status == "diverged" else 130 if status == "interrupted" else 0)


@app.command(cls=Command)
def gradcheck(
    source: ConfigOrRun,
    set_: Overrides = None,
    epsilon: Annotated[float, typer.Option(metavar="EPS", help="Central-difference step, from 1e-10 to 1e-2.")] = 1e-6,
    tolerance: Annotated[float, typer.Option(
        metavar="TOL", help="Largest whole-tensor relative error that passes.")] = 1e-6,
    batch: Annotated[int, typer.Option(metavar="N", help="How many training samples to check on.")] = 8,
    json_: JsonOut = False,
) -> None:
    """Compare backprop's gradients with central differences, tensor by tensor, in float64."""
    from nnctl.gradcheck import check_source

    with user_errors():
        checks = check_source(source, set_ or [], epsilon=epsilon, tolerance=tolerance, batch=batch)
    passed = all(c.passed for c in checks)
    if json_:
        _print_json({"passed": passed, "epsilon": epsilon, "tolerance": tolerance,
                     "tensors": [c.__dict__ | {"shape": list(c.shape)} for c in checks], "notes": checks.notes})
    else:
        print_gradcheck(checks, tolerance)
    raise typer.Exit(0 if passed else 1)


@app.command(cls=Command)
def sweep(
    source: Annotated[Path, typer.Argument(metavar="CONFIG|SWEEP_FILE",
                                           help="A config, or a sweep file (config:, grid:, random:).",
                                           show_default=False)],
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", metavar="KEY=V1,V2",
        help="A swept setting; values parse as YAML, e.g. model.hidden=[4],[16].")] = None,
    seeds: Annotated[str | None, typer.Option(
        metavar="S1,S2,...", help="Seeds to repeat every point with, e.g. 0,1,2.")] = None,
    set_: Overrides = None,
    jobs: Annotated[int | None, typer.Option(
        metavar="N", help="Runs at a time (default: the number of cores).")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="FOLDER",
        help="The sweep folder (default: output.dir/NAME-sweep-ID, NAME: the sweep file's name, else the config's).",
    )] = None,
    scheduler: Annotated[str | None, typer.Option(
        metavar="ADDRESS",
        help="A dask.distributed scheduler, e.g. tcp://HOST:8786; the sweep folder must be shared.")] = None,
    search: Annotated[str | None, typer.Option(
        metavar="tpe|random", help="Search the sweep file's random: space with an Optuna study (the search extra).",
        )] = None,
    trials: Annotated[int | None, typer.Option(
        metavar="N", help="Trials the search's study holds in the end (search.trials).")] = None,
    timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS", help="Ask no new trial after this long (search.timeout).")] = None,
    pruning: Annotated[str | None, typer.Option(
        metavar="asha|median|hyperband", help="Stop hopeless runs early (pruning.method).",
        )] = None,
    storage: Annotated[str | None, typer.Option(
        metavar="URL", help="The study's database (Optuna RDB, e.g. sqlite:///search.db) instead of the "
        "sweep folder's study.journal; several machines may share one.")] = None,
    quiet: Quiet = False,
) -> None:
    """Train a config at every point of a grid or random space, or search it (search: in a sweep
    file); re-run the same command to resume."""
    from nnctl.workflow import run_sweep

    options = {"search": search, "trials": trials, "timeout": timeout, "pruning": pruning}
    with user_errors():
        try:
            with SweepReporter(quiet=quiet) as reporter:
                sweep = run_sweep(source, grid or [], seeds, set_ or [], jobs=jobs, out=out, scheduler=scheduler,
                                  reporter=reporter, search=options, storage=storage)
        except KeyboardInterrupt:
            typer.echo("interrupted: finished runs are kept; run the same command again to resume", err=True)
            raise typer.Exit(130) from None
    counts = sweep.counts()
    if not quiet:
        typer.echo(", ".join(f"{n} {in_words(status)}" for status, n in counts.items()), err=True)
    typer.echo(str(sweep.folder))
    raise typer.Exit(0)


@app.command(cls=Command)
def runs(
    dirs: Annotated[list[Path] | None, typer.Argument(
        metavar="FOLDER", help="Folders to search for run directories, recursively (default: runs).",
        show_default=False)] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="table|csv|json",
        help="The table, or CSV or JSON for pandas (every column, every digit).")] = "table",
    sort: Annotated[str | None, typer.Option(
        metavar="KEY", help="Sort by this key, e.g. final.val_loss; -KEY sorts descending.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", "-w", metavar="KEY=VALUE",
        help="Keep runs where KEY=VALUE (also !=, >, <, >=, <=); values are YAML. Repeat to AND.")] = None,
    columns: Annotated[str | None, typer.Option(
        metavar="KEYS", help="Comma-separated keys, e.g. name,optimizer.lr,final.* (default: the settings that "
                             "differ, status, metrics; on a narrow terminal, those that fit).")] = None,
) -> None:
    """List run directories as one table: the settings that differ between them, status and metrics."""
    from nnctl.listing import find_runs, format_csv, format_json, print_table, run_record, table

    with user_errors():
        if format not in ("table", "csv", "json"):
            raise NnctlError(f"--format: unknown {format!r} (choose from: table, csv, json)")
        paths = dirs or [Path("runs")]
        found = find_runs(paths)
        if not found:
            typer.echo(f"no run directories under {', '.join(map(str, paths))}", err=True)
            raise typer.Exit(0)
        cols, rows = table([run_record(p) for p in found], sort=sort, where=where or [],
                           columns=[columns] if columns else None)
    if not rows:
        typer.echo(f"no run matches {' and '.join(where or [])} ({counted(len(found), 'run')} found)", err=True)
    if format == "csv":
        sys.stdout.write(format_csv(cols, rows))
    elif format == "json":
        sys.stdout.write(format_json(cols, rows))
    elif rows:
        print_table(cols, rows, chosen=columns is not None)


@app.command(cls=Command)
def compare(
    dirs: Annotated[list[Path], typer.Argument(
        metavar="RUN_DIR", help="Run directories, sweep folders (their runs) or globs such as 'runs/moons-*'.",
        show_default=False)],
    out: Annotated[Path | None, typer.Option(
        metavar="FOLDER", help="Write compare.png here (default: the current folder; with --format csv or json, "
                               "no picture unless --out is given).")] = None,
    metric: Annotated[str | None, typer.Option(
        metavar="NAME", help="The second panel's curve and the table's order: val_accuracy, val_loss, train_accuracy "
                             "or train_loss (default: the first of these the runs have).")] = None,
    x: Annotated[str, typer.Option("--x", metavar="epochs|seconds", help="The curves' x axis.")] = "epochs",
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="table|csv|json", help="The table, or CSV or JSON for pandas.")] = "table",
    image_format: Annotated[str, typer.Option(
        "--image-format", metavar="png|svg|pdf", help="The picture's file format.")] = "png",
    dpi: Annotated[int, typer.Option(metavar="N", help="Resolution of a PNG, in dots per inch.")] = 110,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace a compare picture in --out that nnctl did not write.")] = False,
) -> None:
    """Put runs side by side: a table of what differs and their metrics, and compare.png (curves, boundaries)."""
    from nnctl.compare import check_format, draw_comparison, format_table, print_comparison, read_comparison

    with user_errors():
        check_format(format)  # before anything is read or drawn
        comparison = read_comparison(dirs, metric)
        text = None if format == "table" else format_table(comparison, format)
        # data for pandas is not a picture: one only where asked for (--out)
        drawn = text is None or out is not None
        picture = draw_comparison(comparison, out, x=x, fmt=image_format, dpi=dpi, overwrite=overwrite) \
            if drawn else None
    for note in comparison.notes:
        typer.echo(f"note: {note}", err=True)
    if text is None:
        print_comparison(comparison)
    else:
        sys.stdout.write(text)
    if picture is not None:
        typer.echo(f"wrote {picture}", err=True)


@app.command(cls=Command)
def explain(
    source: ConfigOrRun,
    set_: Overrides = None,
    samples: Annotated[int, typer.Option(metavar="N", help="How many training samples to push through.")] = 1,
    max_values: Annotated[int, typer.Option(metavar="N", help="Print the values of arrays up to this size.")] = 64,
    json_: JsonOut = False,
) -> None:
    """Show one forward and backward pass layer by layer: a, z, δ, dW, db, as BP1–BP4 compute them."""
    from nnctl.explain import explain_source

    with user_errors():
        explanation = explain_source(source, set_ or [], samples=samples)
    if json_:
        _print_json(explanation.to_dict(max_values))
    else:
        print_explanation(explanation, max_values=max_values)


@app.command(cls=Command)
def plot(
    run_dir: Annotated[Path, typer.Argument(
        metavar="RUN_DIR", help="A run directory written by `nnctl train` (or a sweep folder: its sweep pictures "
                                "and report).", show_default=False)],
    only: Annotated[str | None, typer.Option(
        metavar="NAMES", help="Comma-separated pictures, e.g. loss,boundary.")] = None,
    image_format: Annotated[str, typer.Option(
        "--image-format", metavar="png|svg|pdf", help="The pictures' file format (the animation is a GIF).")] = "png",
    dpi: Annotated[int, typer.Option(metavar="N", help="Resolution of PNG pictures, in dots per inch.")] = 110,
    out: Annotated[Path | None, typer.Option(
        metavar="FOLDER", help="Write the pictures here (default: the run directory).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace pictures of the same names already in --out.")] = False,
    table_format: Annotated[str | None, typer.Option("--format", hidden=True)] = None,
) -> None:
    """Redraw a run's pictures from its files alone."""
    from nnctl.workflow import plot_run

    with user_errors():
        if table_format is not None:  # the spelling before --format came to mean tables and data only
            raise NnctlError(f"--format {table_format}: pictures take --image-format (png, svg or pdf); --format is "
                             "for tables and data")
        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        with FrameReporter() as frames:
            written = plot_run(run_dir, names, fmt=image_format, dpi=dpi, out=out, overwrite=overwrite,
                               progress=frames)
    for path in written:
        typer.echo(str(path))


@app.command(name="move-data", cls=Command)
def move_data(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run directory written by `nnctl train` "
                                            "(classification, number inputs).", show_default=False)],
    steps: Annotated[int, typer.Option(metavar="N", help="Gradient steps on the inputs (at most).")] = 1000,
    lr: Annotated[float, typer.Option(metavar="ETA", help="Step size, in the data's units per unit of gradient.")]
    = 0.05,
    until_correct: Annotated[bool, typer.Option(
        "--until-correct", help="Stop once every training point is classified correctly.")] = False,
    per_sample: Annotated[bool, typer.Option(
        "--per-sample", help="One random point per step (seed 002's optimize_data), not every point.")] = False,
    out: Annotated[Path | None, typer.Option(
        metavar="FOLDER", help="Write moved.npz, moved.png, moved.gif here (default: the run directory).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace files of the same names already in --out.")] = False,
) -> None:
    """Move the training points, not the weights: gradient descent on the inputs (seed 002)."""
    from nnctl.move_data import move_run, summary_line

    with user_errors(), FrameReporter() as frames:
        moved, written = move_run(run_dir, steps=steps, lr=lr, until_correct=until_correct, per_sample=per_sample,
                                  out=out, overwrite=overwrite, progress=frames)
    typer.echo(summary_line(moved, lr))
    for path in written:
        typer.echo(str(path))
    raise typer.Exit(1 if until_correct and not moved.correct_after.all() else 0)


@app.command(cls=Command)
def predict(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run directory written by `nnctl train`.",
                                            show_default=False)],
    source: Annotated[str, typer.Argument(
        metavar="INPUT", help="A CSV with a header (the run's feature columns; others pass through), a .npy array, "
                              "or - (a CSV on stdin).", show_default=False)],
    out: Annotated[Path | None, typer.Option(metavar="FILE", help="Write the CSV here (default: stdout).")] = None,
    proba: Annotated[bool, typer.Option("--proba", help="Add p_<class>, each class's probability.")] = False,
    checkpoint: Annotated[int | None, typer.Option(
        metavar="N", help="Use checkpoints/epoch-N.npz's weights instead of model.npz.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out if it exists.")] = False,
) -> None:
    """Predict INPUT's rows with a trained run: its rows plus a prediction column, as CSV."""
    from nnctl.workflow import predict_file

    with user_errors():
        text = predict_file(run_dir, source, out=out, proba=proba, checkpoint=checkpoint, overwrite=overwrite,
                            stdin=sys.stdin)
    sys.stdout.write(text)


@app.command(cls=Command)
def export(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run directory written by `nnctl train`.",
                                            show_default=False)],
    fmt: Annotated[str, typer.Option("--format", metavar="onnx|numpy", help="onnx: an ONNX model (needs the export "
                                     "extra); numpy: a predict.py needing only NumPy.", show_default=False)],
    out: Annotated[Path, typer.Option(metavar="FILE", help="The file to write.", show_default=False)],
    checkpoint: Annotated[int | None, typer.Option(
        metavar="N", help="Use checkpoints/epoch-N.npz's weights instead of model.npz.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out if it exists.")] = False,
) -> None:
    """Write a trained run as a model that predicts without nnctl: ONNX, or a NumPy script."""
    from nnctl.export import export_file

    with user_errors():
        path = export_file(run_dir, fmt, out, overwrite=overwrite, checkpoint=checkpoint)
    typer.echo(str(path))


@app.command(cls=Command)
def evaluate(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run directory written by `nnctl train`.",
                                            show_default=False)],
    source: Annotated[str | None, typer.Argument(
        metavar="INPUT", help="A CSV with a header holding the run's features and its target, or - (on stdin) "
                              "(default: the run's validation split).", show_default=False)] = None,
    json_: JsonOut = False,
    out: Annotated[Path | None, typer.Option(
        metavar="FOLDER", help="Draw confusion.png (classification) or fit.png (regression) of it here.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace that picture in --out.")] = False,
) -> None:
    """Score a trained run on INPUT: loss, accuracy, per-class precision/recall/F1 and the confusion
    matrix, or MSE, MAE and R²."""
    from nnctl.workflow import evaluate_file

    with user_errors():
        report, written = evaluate_file(run_dir, source, out=out, overwrite=overwrite, stdin=sys.stdin)
    if json_:
        _print_json(report)
    else:
        print_evaluation(report)
        for path in written:
            typer.echo(str(path))


@app.command(cls=Command)
def watch(
    folder: Annotated[Path, typer.Argument(
        metavar="RUN_DIR", help="A run directory (live or finished) or a sweep folder.", show_default=False)],
    host: WatchHost = "127.0.0.1",
    port: WatchPort = 0,
) -> None:
    """Watch a run in the browser: live while it trains, a replay of its checkpoints once finished,
    a sweep's runs as they finish. Prints the page's address; Ctrl-C stops."""
    from nnctl.watch.server import open_folder, serve_until_interrupted

    with user_errors():
        server = open_folder(folder, host, port)
    typer.echo(server.url)
    if server.exposure:
        typer.echo(server.exposure, err=True)
    typer.echo(f"serving {folder} read-only; Ctrl-C to stop", err=True)
    serve_until_interrupted(server)
    typer.echo("stopped", err=True)


@app.command("config", cls=Command)
def show_config(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="A YAML config (see configs/).", show_default=False)],
    set_: Overrides = None,
) -> None:
    """Print CONFIG as training would use it, without training.

    Every default filled in, every --set applied, relative paths made absolute: it trains the same run.
    """
    from nnctl.config import load_config

    with user_errors():
        resolved = load_config(config, set_ or [])
    sys.stdout.write(resolved.to_yaml())


def main() -> None:
    """The console script. Typer's own usage errors (an unknown option, a value of the wrong
    type, a missing argument) end like every other user error: one line, exit code 2."""
    # SIGTERM interrupts like Ctrl-C, also before training starts (training then takes over:
    # it finishes the batch first) and in a sweep's parent (which stops its workers)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code = app(prog_name="nnctl", standalone_mode=False)
    except TyperException as e:
        message = e.format_message()
        if message:  # empty: `nnctl` alone, which has printed the help already
            command = getattr(getattr(e, "ctx", None), "command_path", None) or "nnctl"
            typer.echo(f"error: {message} (see {command} --help)", err=True)
        sys.exit(getattr(e, "exit_code", 2))
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C before a command's own handling: while starting
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except RuntimeError as e:
        # a signal that lands in a class definition (a lazy import) comes back as the RuntimeError
        # Python wraps __set_name__'s errors in
        if not isinstance(e.__cause__, KeyboardInterrupt):
            raise
        typer.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
