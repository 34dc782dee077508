"""Layer 5: a sweep's own pictures, gathered from its folder: sweep.png (a metric against each
swept setting, from results.csv), boundaries.png (one small decision boundary per finished
run, from its run directory) and report.html's thumbnails (`run_thumbnails`). The arrays and
callables come from `results` and `nnctl.pictures`; `nnctl.plots` draws them. Their titles name
the sweep as the report does (`results.sweep_name`), their labels write values as the run
folders' names do (`names`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nnctl import plots
from nnctl.errors import NnctlError
from nnctl.files import read_metrics
from nnctl.pictures import PICTURES, grid_scores, plot_data, predict_scores
from nnctl.plots import (
    loss_thumbnail,
    model_thumbnail,
    plot_boundaries,
    plot_search,
    plot_sweep,
    reading_order,
)
from nnctl.plots.raster.sweep import in_turn
from nnctl.plots.sweep import RunSketch, run_sketch
from nnctl.runs import load_run
from nnctl.sweeps.names import setting_labels
from nnctl.sweeps.results import SEARCH_PICTURE, SWEEP_PICTURES, read_results, sweep_name
from nnctl.sweeps.study import search_data
from nnctl.sweeps.workers import forked_imap
from nnctl.vocabulary import FINAL_METRICS, FINISHED, SUMMARY_METRICS


def sweep_metric(rows: list[dict[str, Any]]) -> str:
    """The metric sweep.png plots: validation accuracy, else validation loss, else training
    accuracy, else training loss (the first any row has)."""
    final = dict(zip(SUMMARY_METRICS, FINAL_METRICS, strict=True))
    preferred = sorted(SUMMARY_METRICS, key=lambda m: (m.startswith("train_"), m.endswith("_loss")))
    for metric in (final[m] for m in preferred):
        if any(row.get(metric) is not None for row in rows):
            return metric
    return final[preferred[-1]]


def draw_sweep_pictures(folder: Path, *, dpi: int = 110, metric: str | None = None,
                        drawn: dict[Path, Drawn] | None = None, forked: bool = False) -> list[Path]:
    """sweep.png (the metric against each swept setting) and, when the runs are 2-D
    classifiers, boundaries.png (one small boundary per finished run, labelled by its settings).
    drawn: what the sweep's workers sent of their runs ({run folder: Drawn}): those runs are
    read back only to draw their own panels. forked: the panels are drawn by a forked process a
    core (`workers.forked_imap`), which read their runs, while this one pastes them in."""
    rows, settings, asked = read_results(folder)
    title = sweep_name(folder, asked)
    written = []
    sweep_png, boundaries_png = (folder / name for name in SWEEP_PICTURES)
    if settings:
        written.append(plot_sweep(rows, settings, sweep_png, metric=metric or sweep_metric(rows),
                                  title=title, dpi=dpi))
    panels, sketches, score_label = _Panels(), [], "P(class 1)"
    labels = setting_labels(rows, [k for k in [*settings, "seed"] if rows and k in rows[0]])
    for i in reading_order(rows, settings):  # a random search's samples from low to high
        row, label = rows[i], labels[i]
        if row.get("status") not in FINISHED:
            continue
        sent = (drawn or {}).get(folder / row["run_dir"])
        if sent is None:
            sent = drawn_of(panels.read(folder / row["run_dir"]))
        if sent.sketch is None:  # not a 2-D classifier: no run's boundary is drawn
            return written
        panels.add(label, folder / row["run_dir"])
        sketches.append(replace(sent.sketch, label=label))
        score_label = sent.score_label
    if sketches:
        written.append(plot_boundaries(panels, boundaries_png, title=title, dpi=dpi, score_label=score_label,
                                       sketches=sketches, tiles=forked_imap if forked else in_turn))
    return written


class _Panels(Sequence):
    """boundaries.png's panels, (label, predict_scores, data) each, as `plot_boundaries` takes
    them, each run read from its folder only when its panel is asked for (by the process that
    draws it), unless it was read already (`read`)."""

    def __init__(self):
        self.labels: list[str] = []
        self.folders: list[Path] = []
        self.runs: dict[Path, Any] = {}

    def read(self, folder: Path) -> Any:
        self.runs[folder] = load_run(folder)
        return self.runs[folder]

    def add(self, label: str, folder: Path) -> None:
        self.labels.append(label)
        self.folders.append(folder)

    def __len__(self) -> int:
        return len(self.folders)

    def __getitem__(self, index: int):
        folder = self.folders[index]
        run = self.runs.get(folder) or load_run(folder)
        return self.labels[index], _forgetful_scores(run), plot_data(run)


def _forgetful_scores(run: Any) -> Callable[[Any], Any]:
    """`predict_scores` of `run`, each call on a copy of its model (0.2 ms for a small network)
    dropped after it: a network keeps the buffers and activations of what it last predicted,
    and boundaries.png is given every finished run at once (300 runs kept ~0.5 MB each after
    their panels were drawn: 150 MB of the picture's 350)."""
    return lambda X: predict_scores(replace(run, model=copy.deepcopy(run.model)))(X)


def draw_search_picture(folder: Path, *, dpi: int = 110) -> list[Path]:
    """search.png, for a search's sweep folder with trials (`sweeps.study`); [] for any other."""
    data = search_data(folder)
    if data is None:
        return []
    _, _, asked = read_results(folder)
    return [plot_search(data, folder / SEARCH_PICTURE, title=sweep_name(folder, asked), dpi=dpi)]
def preload_drawing() -> None:
    """Load the drawing modules and Pillow now: in a sweep's parent, before its workers fork, each
    worker starts with them (0.2-0.3 s of imports a worker saved), and the parent draws its own
    pictures and report.html with them anyway. Not matplotlib (0.5-0.9 s): a default sweep draws
    every picture as pixels (`nnctl.plots.raster`), and a process that draws one as a figure
    (a rare case, a regression's fit) imports it then, each worker in parallel with the others.
    Nor Pillow's file formats (`Image.preinit`, 30 ms): nnctl writes its PNGs itself; a worker
    that writes an animation's GIF loads them then."""
    import contourpy  # noqa: F401  (heavy: only for a sweep) the boundary lines
    import numpy.ma  # noqa: F401  which contourpy loads on its first grid
    from PIL import Image, ImageDraw, ImageFile, ImageFont, ImagePalette  # noqa: F401  (pixels read, palettes)

    for name in ("plot_loss", "plot_boundary", "plot_boundaries", "plot_network"):
        getattr(plots, name)  # loads its module (nnctl.plots' names load on first use)


@dataclass(frozen=True)
class Thumbnails:
    """A run's pictures for report.html, drawn at the size they are shown (PNG bytes, None
    where the run has none): its model (`model_thumbnail`), what that shows ("decision
    boundary", "fit", …), its loss per epoch."""

    model: bytes | None
    model_label: str
    loss: bytes | None


def run_thumbnails(run_dir: Path, width: int) -> Thumbnails:
    """The thumbnails of the run in `run_dir`: the model `width` px wide, the loss 2 × width by
    0.6 × width. A run that does not read back (failed, or cut off before its weights) has no
    model thumbnail, and a loss one when its metrics.csv reads."""
    try:
        run = load_run(run_dir)
    except NnctlError:
        return Thumbnails(None, "", _loss(_metrics_of(Path(run_dir)), width, by_class=True))
    return thumbnails_of(run, width)


@dataclass(frozen=True)
class Drawn:
    """What a sweep's worker sends back of the run it trained, so that the sweep's end reads no
    run for it: report.html's thumbnails, boundaries.png's sketch of the run (None when it is
    not a 2-D classifier: the sweep then has no boundaries.png) and its score's name."""

    thumbnails: Thumbnails | None
    sketch: RunSketch | None
    score_label: str


def drawn_of(run: Any, width: int | None = None) -> Drawn:
    """The `Drawn` of a `runs.Run` at hand; its thumbnails `width` px wide (None: none drawn)."""
    boundary = PICTURES["boundary"].applies(run.dataset, run.config, run.path)  # a 2-D classifier
    sketch = run_sketch("", predict_scores(run), plot_data(run)) if boundary else None
    return Drawn(None if width is None else thumbnails_of(run, width), sketch, run.model.loss.score_label)


def thumbnails_of(run: Any, width: int) -> Thumbnails:
    """`run_thumbnails` of a `runs.Run` at hand: a sweep's worker draws them from the run it
    just trained, so that the sweep's end has no run to read back for report.html."""
    data = plot_data(run)
    model, label = model_thumbnail(predict_scores(run), data, width=width, grid_scores=grid_scores(run))
    return Thumbnails(model, label, _loss(run.metrics, width, by_class=data.task == "classification"))


def _metrics_of(run_dir: Path) -> list[dict[str, Any]]:
    try:
        return read_metrics(run_dir / "metrics.csv") if (run_dir / "metrics.csv").is_file() else []
    except NnctlError:
        return []


def _loss(metrics: list[dict[str, Any]], width: int, *, by_class: bool) -> bytes | None:
    return loss_thumbnail(metrics, width=2 * width, height=round(0.6 * width), by_class=by_class) if metrics else None
