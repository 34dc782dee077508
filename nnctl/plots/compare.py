"""compare.png (layer 1: numpy, nnctl.files): runs side by side, `nnctl compare`'s picture.

On top, one panel per metric (the training loss, and the metric asked for), a line per run or
group of runs against epochs or wall seconds, one colour per line, one legend naming the lines
by what differs ('adam lr=0.01'); a group (runs that differ only by seed) is drawn as its mean
with a min–max band. Below, for 2-D classification, the runs' decision boundaries side by side
on one shared plane (`sweep.run_boundaries`, the drawing of boundaries.png), each panel framed in
its line's colour.

Colours: hue means class wherever classes are drawn (`common`'s colour language), so when the
boundaries are shown the lines take the palette's hues that no class there uses.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.plots.common import (
    CLASS_COLORS,
    DPI,
    MORE_CLASS_COLORS,
    NEUTRAL_DARK,
    SEQUENTIAL_CMAP,
    Array,
    PlotData,
    constrained_figure,
    epoch_axis,
    figure_title,
    legend_columns,
    log_axis,
    percent_formatter,
    save,
    text_inches,
    use_log_scale,
)
from nnctl.plots.sweep import RUNS_BOTTOM, RunBoundaries, run_boundaries

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

METRIC_WORDS = {"train_loss": "training loss", "val_loss": "validation loss",
                "train_accuracy": "training accuracy", "val_accuracy": "validation accuracy"}
CURVES_HEIGHT = 3.6  # inches of the curve panels, their titles and axis labels
LEAST_WIDTH = 10.0  # inches: two curve panels and a legend of six runs side by side
BAND_ALPHA = 0.2
CAPTION_POINTS = 8.5
FRAME_POINTS = 2.5  # the line width of a boundary panel's frame in its run's colour


@dataclass(frozen=True)
class Curve:
    """One line of compare.png: a run, or a group of runs drawn as their mean.

    - label: the legend's words, 'adam lr=0.01'.
    - x: (T,) epochs, or wall seconds since the run started.
    - values: metric name ('train_loss', 'val_accuracy', …) -> (T,) values; NaN leaves a gap.
    - low, high: for a group, metric name -> (T,) the least and largest value over its runs
      (the band); None for one run.
    - runs: how many runs the line stands for.
    """

    label: str
    x: Array
    values: dict[str, Array]
    low: dict[str, Array] | None = None
    high: dict[str, Array] | None = None
    runs: int = 1


def plot_compare(curves: list[Curve], path: Path, *, creator: str | None = None, dpi: int = DPI,
                 **drawing: Any) -> Path:
    """Draw compare.png (or .svg, .pdf: `path`'s suffix) and return `path`: `compare_figure`
    of `curves` and the `drawing` keywords (metrics, title, x_label, boundaries, score_label,
    caption), saved. creator: written in the file's metadata (PNG text, SVG and PDF Creator), so
    that nnctl can tell its own file from another of the same name."""
    return save(compare_figure(curves, **drawing), path, dpi, creator=creator)


def compare_figure(
    curves: list[Curve],
    *,
    metrics: list[str],
    title: str,
    x_label: str = "epoch",
    boundaries: list[tuple[str, Callable[[Array], Array], PlotData]] | None = None,
    score_label: str = "P(class 1)",
    caption: str = "",
) -> Figure:
    """The figure of `plot_compare`, unsaved, in rows (subfigures): the curve panels (axes named
    by their metric in `ax.get_label()`) and their legend; the boundary row when there is one;
    the caption, wrapped to the figure's width.

    - curves: the lines, in legend order; metrics: one panel per metric name, left to right.
    - x_label: "epoch" (whole-number ticks) or what the seconds are.
    - boundaries: (label, predict_scores, data) per panel, as `plot_boundaries` takes them, or
      None: no boundary row. Each panel is framed in the colour of the curve of the same label.
    - caption: a line under the figure (what is left out, what a band is).
    """
    runs = _boundary_row(boundaries)
    colors = run_colors(len(curves), len(runs.colors) if runs is not None else 0)
    width = max(LEAST_WIDTH, runs.width if runs is not None else 0.0, 4.2 * len(metrics))
    handles = _line_handles(curves, colors)
    ncols = _legend_columns(handles, width)
    lines = _wrapped(caption, width)
    heights = [CURVES_HEIGHT + 0.28 * -(-len(handles) // ncols) + 0.2]
    heights += [runs.height + RUNS_BOTTOM + 0.1] if runs is not None else []  # the panels, their legend below
    heights += [0.18 * len(lines) + 0.1] if lines else []
    fig = constrained_figure((width, sum(heights) + 0.45))
    rows = list(fig.subfigures(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0])
    _curve_panels(rows[0], curves, metrics, colors, x_label)
    rows[0].legend(handles=_row_major(handles, ncols), loc="outside lower center", frameon=False, fontsize=9,
                   ncols=ncols)
    if runs is not None:
        by_label = dict(zip((c.label for c in curves), colors, strict=True))
        for ax, (label, _, _) in zip(runs.draw(rows[1], score_label), runs.panels, strict=True):
            _frame(ax, by_label.get(label))
    if lines:
        rows[-1].text(0.5, 0.5, "\n".join(lines), ha="center", va="center", fontsize=CAPTION_POINTS,
                      color=NEUTRAL_DARK)
    figure_title(fig, title)
    return fig


def _wrapped(caption: str, width: float) -> list[str]:
    """The caption's lines, each broken between words to fit `width` inches at CAPTION_POINTS."""
    fits = max(20, int((width - 0.4) / text_inches("x", CAPTION_POINTS)))
    return [part for line in caption.splitlines() for part in textwrap.wrap(line, fits)]


def _boundary_row(boundaries: list[tuple[str, Callable[[Array], Array], PlotData]] | None) -> RunBoundaries | None:
    """The boundary panels laid out in one row up to four runs, else in two rows."""
    if not boundaries:
        return None
    n = len(boundaries)
    return run_boundaries(boundaries, [label for label, _, _ in boundaries], ncols=n if n <= 4 else -(-n // 2))


def run_colors(n: int, n_classes: int = 0) -> list:
    """A colour per line: Okabe–Ito's hues (without the pale yellow) and then Tol's indigo,
    olive and wine, less the first `n_classes` class colours (those the boundaries below use);
    viridis when more lines than that."""
    indigo, olive, wine = MORE_CLASS_COLORS[1], MORE_CLASS_COLORS[2], MORE_CLASS_COLORS[0]
    taken = set((*CLASS_COLORS, *MORE_CLASS_COLORS)[:n_classes])
    palette = [c for c in (*CLASS_COLORS[:-1], indigo, olive, wine) if c not in taken]
    if n <= len(palette):
        return palette[:n]
    from matplotlib import colormaps

    return [colormaps[SEQUENTIAL_CMAP](t) for t in np.linspace(0.0, 0.85, n)]


def _curve_panels(fig: Figure | SubFigure, curves: list[Curve], metrics: list[str], colors: list,
                  x_label: str) -> list[Axes]:
    """One panel per metric, a line per curve (and its band)."""
    axes = list(fig.subplots(1, len(metrics), squeeze=False)[0])
    for ax, metric in zip(axes, metrics, strict=True):
        _draw_metric(ax, curves, metric, colors)
        ax.set_xlabel(x_label)
        if x_label == "epoch":
            epoch_axis(ax)
    return axes


def _line_handles(curves: list[Curve], colors: list) -> list:
    from matplotlib.lines import Line2D

    return [Line2D([], [], color=color, lw=2.2, label=curve.label) for curve, color in zip(curves, colors, strict=True)]


def _legend_columns(handles: list, width: float) -> int:
    """As many columns as fit `width` inches, at most four; fewer when that fills every row."""
    most = legend_columns(handles, width, most=4)
    return next((c for c in range(most, 1, -1) if len(handles) % c == 0 and c * 2 > most), most)


def _row_major(items: list, ncols: int) -> list:
    """`items` ordered so that a legend in `ncols` columns, which matplotlib fills column by
    column, reads them row by row; the order as it is when the last row is not full."""
    nrows = -(-len(items) // ncols)
    if len(items) != nrows * ncols:
        return items
    return [items[r * ncols + c] for c in range(ncols) for r in range(nrows)]


def _draw_metric(ax: Axes, curves: list[Curve], metric: str, colors: list) -> None:
    """The curves' `metric` (and each group's band) on `ax`: a log axis for a loss that falls
    more than LOG_SCALE_DECADES, percentages for an accuracy."""
    drawn = []
    for curve, color in zip(curves, colors, strict=True):
        y = curve.values.get(metric)
        if y is None or not np.isfinite(y).any():
            continue
        if curve.low is not None and curve.high is not None:
            ax.fill_between(curve.x, curve.low[metric], curve.high[metric], color=color, alpha=BAND_ALPHA, lw=0)
            drawn += [curve.low[metric], curve.high[metric]]
        ax.plot(curve.x, y, color=color, lw=1.8, label=curve.label)
        drawn.append(y)
    ax.set_label(metric)
    ax.set_title(METRIC_WORDS.get(metric, metric))
    ax.grid(alpha=0.3)
    values = np.concatenate(drawn) if drawn else np.array([])
    values = values[np.isfinite(values)]
    if metric.endswith("accuracy"):
        ax.yaxis.set_major_formatter(percent_formatter())
    elif use_log_scale(values):
        log_axis(ax, values)


def _frame(ax: Axes, color) -> None:
    """Frame a boundary panel in its run's line colour, so the panel is found among the curves."""
    if color is None:
        return
    for spine in ax.spines.values():
        spine.set_edgecolor(color)
        spine.set_linewidth(FRAME_POINTS)
