"""What the commands do, composed from the library: train into a run directory and draw its
pictures; redraw a run's pictures. Importable, so scripts get the CLI's behaviour without it."""

from __future__ import annotations

from pathlib import Path

from nnctl.errors import NnctlError
from nnctl.pictures import Progress
from nnctl.training import EpochCallback, TrainResult


def train_run(
    config,
    *,
    run_dir: Path | None = None,
    overwrite: bool = False,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """`nnctl train` up to the pictures: validate, pick the run directory, train."""
    from nnctl.runs import claim_run_dir, new_run_dir
    from nnctl.training import prepare, run

    loop = prepare(config)  # every refusal happens here, before a folder is made
    config = loop.config
    if run_dir is not None:
        path = claim_run_dir(Path(run_dir), overwrite=overwrite)
    else:
        path = new_run_dir(Path(config.output.dir), config.name)
    return run(loop, path, on_epoch=on_epoch)


def draw_pictures(result: TrainResult, progress: Progress | None = None) -> list[Path]:
    """The pictures `output.plots` asks of a finished run."""
    names = picture_names(result.config, result.dataset)
    return plot_run(result.run_dir, names, progress=progress) if names else []


def picture_names(config, dataset) -> list[str]:
    """output.plots, with `auto` meaning the defaults of `pictures.default_pictures`."""
    from nnctl.pictures import default_pictures

    if config.output.plots != "auto":
        return list(config.output.plots)
    return default_pictures(dataset, config)


def plot_run(
    run_dir: Path | str, only: list[str] | None = None, *, fmt: str = "png", dpi: int = 110,
    out: Path | None = None, progress: Progress | None = None,
) -> list[Path]:
    """Draw a run's pictures from its files (by default every one that fits the run); returns
    the paths written. The animation is always a GIF."""
    from nnctl.pictures import PICTURES, applicable
    from nnctl.runs import load_run

    if fmt not in ("png", "svg"):
        raise NnctlError(f"--format: unknown {fmt!r} (choose from: png, svg)")
    if (Path(run_dir) / "sweep.yaml").is_file():
        return draw_sweep(Path(run_dir))
    run = load_run(Path(run_dir))
    fits = applicable(run.dataset, run.config, run.path)
    names = fits if only is None else only
    for name in names:
        if name not in PICTURES:
            raise NnctlError(f"--only: unknown {name!r} (choose from: {', '.join(PICTURES)})")
        if name not in fits:
            raise NnctlError(f"{run.path}: no {name} picture for this run ({PICTURES[name].doc}; "
                             f"this run has: {', '.join(fits)})")
    folder = Path(out) if out is not None else run.path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NnctlError(f"--out {folder}: exists and is not a folder") from None
    except OSError as e:
        raise NnctlError(f"--out {folder}: cannot create it ({e.strerror or e})") from None
    return [
        PICTURES[name].draw(run, folder / f"{name}.{'gif' if name == 'animation' else fmt}", dpi=dpi,
                            progress=progress)
        for name in names
    ]


def run_sweep(source, grid: list[str], seeds: str | None, overrides: list[str], *, jobs: int | None = None,
              out: Path | None = None, scheduler: str | None = None, reporter=None):
    """`nnctl sweep`: build the spec (a sweep file, or a config with --grid/--seeds), prepare
    the folder (skipping finished points), run the rest, then draw the sweep's pictures and
    report.html."""
    import os

    from nnctl.config import read_yaml
    from nnctl.sweep import Sweep, SweepSpec, default_folder, execute, load_sweep_file, parse_grid

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()] if seeds else []
    except ValueError:
        raise NnctlError(f"--seeds {seeds!r}: expected whole numbers separated by commas, e.g. 0,1,2") from None
    if jobs is not None and jobs < 1:
        raise NnctlError(f"--jobs: must be ≥ 1, got {jobs}")
    source = Path(source)
    given = SweepSpec(config=source.resolve(), overrides=list(overrides), grid=dict(map(parse_grid, grid)),
                      seeds=seed_list)
    raw = read_yaml(source)
    is_sweep_file = isinstance(raw, dict) and ("grid" in raw or "random" in raw) and "config" in raw
    spec = load_sweep_file(source, given) if is_sweep_file else given
    sweep = Sweep(spec, Path(out) if out is not None else default_folder(spec))
    todo = sweep.prepare()
    if reporter is not None:
        reporter.start(sweep, len(todo))
    execute(sweep, todo, jobs=jobs or os.cpu_count() or 1, scheduler=scheduler,
            on_done=None if reporter is None else reporter.done)
    if reporter is not None:
        reporter.stop()
    draw_sweep(sweep.folder)
    return sweep


def draw_sweep(folder: Path) -> list[Path]:
    """sweep.png, boundaries.png (when the runs have boundaries) and report.html."""
    from nnctl.pictures import draw_sweep_pictures
    from nnctl.report import write_report

    return [*draw_sweep_pictures(folder), write_report(folder)]
