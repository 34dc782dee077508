"""The command line (layer 6): each command parses its options, calls one library function, prints.

User mistakes arrive as NnctlError and leave as one line, `error: …`, with exit code 2.
Exit codes: 0 success (also an early stop), 1 diverged or gradcheck failed, 2 user error (or a
file that could not be written: the run then says `failed`), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException  # the public base of Click's usage errors

from nnctl.console import FrameReporter, SweepReporter, print_explanation, print_gradcheck, print_summary
from nnctl.errors import NnctlError

# The library is imported inside each command, not here: `nnctl --help` (and shell completion) then
# loads typer alone. Measured with python -X importtime: nnctl.workflow takes 0.3 s (numpy, pydantic,
# yaml, the config schema), nnctl.listing 0.05 s, gradcheck and explain 0.1 s or more, typer 0.13 s.

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    help="Train small fully connected neural networks from YAML configs.",
)

Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="Override a config key, e.g. --set model.hidden=[32,32]."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")]


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


@app.command()
def train(
    config: Annotated[Path | None, typer.Argument(help="A YAML config (see configs/).", show_default=False)] = None,
    set_: Overrides = None,
    run_dir: Annotated[Path | None, typer.Option(help="Write the run here instead of output.dir/NAME-TIME.")] = None,
    name: Annotated[str | None, typer.Option(help="Run-name prefix (default: the config's name).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing non-empty --run-dir.")] = False,
    resume: Annotated[Path | None, typer.Option(
        help="Go on with an interrupted run directory from its last saved state (no CONFIG).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    json_: JsonOut = False,
) -> None:
    """Train a network from CONFIG and write a run directory (or go on with one: --resume)."""
    with user_errors(), interruptions():
        from nnctl.workflow import train_and_draw  # 0.55 s of imports: a signal there says "starting"

        result = train_and_draw(config, set_ or [], run_dir=run_dir, name=name, overwrite=overwrite, resume=resume,
                                quiet=quiet or json_)
    if json_:
        _print_json({"run_dir": str(result.run_dir), **result.summary})
    elif not quiet:
        print_summary(result)
    status = result.summary["status"]
    raise typer.Exit(1 if status == "diverged" else 130 if status == "interrupted" else 0)


@app.command()
def gradcheck(
    source: Annotated[Path, typer.Argument(help="A YAML config or a run directory.", show_default=False)],
    set_: Overrides = None,
    epsilon: Annotated[float, typer.Option(help="Central-difference step, from 1e-10 to 1e-2.")] = 1e-6,
    tolerance: Annotated[float, typer.Option(help="Largest whole-tensor relative error that passes.")] = 1e-6,
    batch: Annotated[int, typer.Option(help="How many training samples to check on.")] = 8,
    json_: JsonOut = False,
) -> None:
    """Compare backprop's gradients with central differences, tensor by tensor, in float64."""
    from nnctl.gradcheck import check_source

    with user_errors():
        checks = check_source(source, set_ or [], epsilon=epsilon, tolerance=tolerance, batch=batch)
    passed = all(c.passed for c in checks)
    if json_:
        _print_json({"passed": passed, "epsilon": epsilon, "tolerance": tolerance,
                     "tensors": [c.__dict__ | {"shape": list(c.shape)} for c in checks]})
    else:
        print_gradcheck(checks, tolerance)
    raise typer.Exit(0 if passed else 1)


@app.command()
def sweep(
    source: Annotated[Path, typer.Argument(help="A config, or a sweep file (config:, grid:, random:).",
                                           show_default=False)],
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", metavar="KEY=V1,V2",
        help="A swept setting; values parse as YAML, e.g. model.hidden=[4],[16].")] = None,
    seeds: Annotated[str | None, typer.Option(help="Seeds to repeat every point with, e.g. 0,1,2.")] = None,
    set_: Overrides = None,
    jobs: Annotated[int | None, typer.Option(help="Runs at a time (default: the number of cores).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="The sweep folder (default: output.dir/NAME-sweep-ID, NAME: the sweep file's name, else the config's).",
    )] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="A dask.distributed scheduler, e.g. tcp://HOST:8786; the sweep folder must be shared.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Train a config at every point of a grid or random space; re-run the same command to resume."""
    from nnctl.workflow import run_sweep

    with user_errors():
        try:
            with SweepReporter(quiet=quiet) as reporter:
                sweep = run_sweep(source, grid or [], seeds, set_ or [], jobs=jobs, out=out, scheduler=scheduler,
                                  reporter=reporter)
        except KeyboardInterrupt:
            typer.echo("interrupted: finished runs are kept; run the same command again to resume", err=True)
            raise typer.Exit(130) from None
    counts = sweep.counts()
    if not quiet:
        typer.echo(", ".join(f"{n} {status}" for status, n in counts.items()), err=True)
    typer.echo(str(sweep.folder))
    raise typer.Exit(0)


@app.command()
def runs(
    dirs: Annotated[list[Path] | None, typer.Argument(
        help="Folders to search for run directories, recursively (default: runs).", show_default=False)] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="table, csv or json (csv and json are ready for pandas).")] = "table",
    sort: Annotated[str | None, typer.Option(
        help="Sort by this key, e.g. final.val_loss; -KEY sorts descending.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", "-w", metavar="KEY=VALUE",
        help="Keep runs where KEY=VALUE (also !=, >, <, >=, <=); values are YAML. Repeat to AND.")] = None,
    columns: Annotated[str | None, typer.Option(
        help="Comma-separated keys, e.g. name,optimizer.lr,final.* (default: the settings that differ, "
             "status, metrics).")] = None,
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
        typer.echo(f"no run matches {' and '.join(where or [])} ({len(found)} runs found)", err=True)
    if format == "csv":
        sys.stdout.write(format_csv(cols, rows))
    elif format == "json":
        sys.stdout.write(format_json(cols, rows))
    elif rows:
        print_table(cols, rows)


@app.command()
def explain(
    source: Annotated[Path, typer.Argument(help="A YAML config or a run directory.", show_default=False)],
    set_: Overrides = None,
    samples: Annotated[int, typer.Option(help="How many training samples to push through.")] = 1,
    max_values: Annotated[int, typer.Option(help="Print the values of arrays up to this size.")] = 64,
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


@app.command()
def plot(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `nnctl train`.", show_default=False)],
    only: Annotated[str | None, typer.Option(help="Comma-separated pictures, e.g. loss,boundary.")] = None,
    format: Annotated[str, typer.Option(help="png or svg.")] = "png",
    dpi: Annotated[int, typer.Option(help="Resolution of PNG pictures.")] = 110,
    out: Annotated[Path | None, typer.Option(help="Write the pictures here (default: the run directory).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace pictures of the same names already in --out.")] = False,
) -> None:
    """Redraw a run's pictures from its files alone."""
    from nnctl.workflow import plot_run

    with user_errors():
        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        with FrameReporter() as frames:
            written = plot_run(run_dir, names, fmt=format, dpi=dpi, out=out, overwrite=overwrite,
                               progress=frames)
    for path in written:
        typer.echo(str(path))


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
