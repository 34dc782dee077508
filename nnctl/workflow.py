"""What the commands do, composed from the library: train into a run directory and draw its
pictures; redraw a run's pictures. Importable, so scripts get the CLI's behaviour without it."""

from __future__ import annotations

from pathlib import Path

from nnctl.errors import NnctlError
from nnctl.training import EpochCallback, TrainResult


def train_run(
    config,
    *,
    run_dir: Path | None = None,
    overwrite: bool = False,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """`nnctl train`: load and validate, pick the run directory, train, draw the pictures."""
    from nnctl.runs import claim_run_dir, new_run_dir
    from nnctl.training import prepare, run

    loop = prepare(config)  # every refusal happens here, before a folder is made
    config = loop.config
    if run_dir is not None:
        path = claim_run_dir(Path(run_dir), overwrite=overwrite)
    else:
        path = new_run_dir(Path(config.output.dir), config.name)
    result = run(loop, path, on_epoch=on_epoch)
    if picture_names(config, result.dataset):
        plot_run(path)
    return result


def picture_names(config, dataset) -> list[str]:
    """output.plots, with `auto` meaning every picture that fits the data."""
    if config.output.plots != "auto":
        return list(config.output.plots)
    return applicable_pictures(dataset)


def applicable_pictures(dataset) -> list[str]:
    """The loss curve always; a boundary for 2-D classification; a fit for regression."""
    if dataset.task == "regression":
        return ["loss", "fit"]
    return ["loss", "boundary"] if dataset.n_features == 2 else ["loss"]


def plot_run(
    run_dir: Path | str, only: list[str] | None = None, *, fmt: str = "png", dpi: int = 110,
    out: Path | None = None,
) -> list[Path]:
    """Draw a run's pictures from its files; returns the paths written."""
    from nnctl.pictures import PICTURES
    from nnctl.runs import load_run

    if fmt not in ("png", "svg"):
        raise NnctlError(f"--format: unknown {fmt!r} (choose from: png, svg)")
    run = load_run(Path(run_dir))
    names = only if only is not None else applicable_pictures(run.dataset)
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        raise NnctlError(f"--only: unknown {unknown[0]!r} (choose from: {', '.join(PICTURES)})")
    folder = Path(out) if out is not None else run.path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NnctlError(f"--out {folder}: exists and is not a folder") from None
    except OSError as e:
        raise NnctlError(f"--out {folder}: cannot create it ({e.strerror or e})") from None
    return [PICTURES[name](run, folder / f"{name}.{fmt}", dpi=dpi) for name in names]
