"""A sweep's pictures drawn as pixels: sweep.png and boundaries.png (layer 1: numpy; see
`nnctl.plots.raster`).

What they show is decided by `nnctl.plots.sweep` (which settings, which runs in which line, the
x axis of each setting, the grid of boundary panels and its shared plane); it hands that here as
plain values (`SweepPicture`, a `_RunGrid`), and this module draws it in matplotlib's look:

- sweep.png: a panel per swept setting, a line per value of the other settings (the mean over
  seeds, dots at each value) over a band from the lowest to the highest seed, or dodged points
  with min-max bars for categories; a legend right of each panel with its title; accuracies
  in percent; the caption line under the panels. A random search (a point per run, coloured by
  a sampled setting), a symlog axis, more lines than the palette's six colours, and category
  names too long to sit level are drawn by matplotlib (`drawn_here`): they are rare.
- boundaries.png: one small panel per run in reading order, its title, a few ticks, the regions,
  boundary and points as `regions_pixels` draws them; one colour bar and one legend. Each panel
  is drawn on a canvas of its own and pasted into the picture, then dropped: the memory of a
  300-run picture is its pixels (~30 MB), not 300 runs' grids or figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnctl.plots.common import (
    CLASS_COLORS,
    FINE_LOG_TICKS_DECADES,
    LAYOUT_PAD,
    NEUTRAL_DARK,
    Array,
)
from nnctl.plots.raster.canvas import (
    LABEL_PAD,
    TICK_LENGTH,
    TICK_PAD,
    TITLE_SIZE,
    Canvas,
    Panel,
    log_ticks,
    nice_ticks,
    tick_labels,
    tick_space,
)
from nnctl.plots.raster.curves import autoscale_limits

PANEL = (5.6, 4.1)  # inches a panel of sweep.png, as `sweep._sweep_figure`
LEGEND_SIZE = 8.0  # points, the legend beside each panel and its title
CAPTION_SIZE = 9.0  # points, the caption under the panels (supxlabel)
MOST_LINES = len(CLASS_COLORS) - 1  # the palette's colours for lines (its yellow is too pale); more: matplotlib


def drawn_here(scales: Sequence[str], *, by_run: bool, lines: int, long_categories: bool) -> bool:
    """Whether sweep.png is drawn as pixels: a grid (not a random search's point per run) whose
    axes are linear, log or categories short enough to sit level, with at most MOST_LINES lines
    a panel (beyond, matplotlib's viridis colours them)."""
    return not by_run and not long_categories and lines <= MOST_LINES and all(s in ("linear", "log") for s in scales)


@dataclass(frozen=True)
class SweepLine:
    """One line of a panel: the runs with one value of the other settings. x: (m,) positions
    (numbers, or category indices already dodged); mean, low, high: (m,) the metric's mean,
    lowest and highest over seeds at each x; spread: some x has more than one run (a band)."""

    label: str
    color: str
    x: Array
    mean: Array
    low: Array
    high: Array
    spread: bool


@dataclass(frozen=True)
class SweepPanel:
    """One setting's panel. kind: "band" (numbers: lines over bands) or "bar" (categories:
    points with min-max bars); xlog: a log x axis; xlim: given (categories, log) or None (the
    data's, widened as matplotlib's autoscale); xticks, xlabels: a tick at each value;
    legend_title: "" for no legend; note: a title above the panel ("mean over … too")."""

    xlabel: str
    kind: str
    xlog: bool
    xlim: tuple[float, float] | None
    xticks: Array
    xlabels: list[str]
    lines: list[SweepLine]
    legend_title: str
    note: str


@dataclass(frozen=True)
class SweepPicture:
    """sweep.png as `plots.sweep` decides it: title, the y axis (`ylabel`, the metric; percent
    for accuracies, ylog for a loss spanning decades), the panels, the caption."""

    title: str
    ylabel: str
    percent: bool
    ylog: bool
    panels: list[SweepPanel]
    caption: str


# ---------------------------------------------------------------- sweep.png


def plot_sweep(picture: SweepPicture, path: Path, *, dpi: float, creator: str | None = None) -> Path:
    """sweep.png as pixels (see the module)."""
    return sweep_canvas(picture, dpi=dpi).save(path, creator=creator)


def sweep_canvas(picture: SweepPicture, *, dpi: float) -> Canvas:
    """The canvas of `plot_sweep`, unsaved: the title on top, the caption at the bottom, the
    panels between them side by side, each with its legend at its right."""
    n = len(picture.panels)
    canvas = Canvas((PANEL[0] * n, PANEL[1]), dpi)
    pad = LAYOUT_PAD * dpi
    canvas.text(canvas.width / 2, pad, picture.title, size=TITLE_SIZE, bold=True, anchor="ma")
    canvas.text(canvas.width / 2, canvas.height - pad, picture.caption, size=CAPTION_SIZE, color=NEUTRAL_DARK,
                anchor="md")
    top = pad + canvas.text_height(TITLE_SIZE) * (picture.title.count("\n") + 1) + 1.5 * pad
    if any(panel.note for panel in picture.panels):
        top += canvas.text_height(9.0) + canvas.pt(6.0)
    bottom = canvas.height - pad - canvas.text_height(CAPTION_SIZE) - pad - canvas.text_height() \
        - canvas.pt(LABEL_PAD) - canvas.text_height() - canvas.pt(TICK_PAD + TICK_LENGTH)
    ylim = autoscale_limits(np.concatenate([np.concatenate([line.low, line.high, line.mean])
                                            for panel in picture.panels for line in panel.lines] or [[]]),
                            log=picture.ylog)
    yticks, ylabels = _y_ticks(picture, ylim, bottom - top, dpi)
    left = pad + canvas.text_height() + canvas.pt(LABEL_PAD + TICK_PAD + TICK_LENGTH) \
        + max((canvas.text_width(s) for s in ylabels), default=0.0)
    width = canvas.width / n
    legend = max(_legend_size(canvas, panel)[0] for panel in picture.panels)
    # the legend beside the panel at 1.01 of its width (a panel is ~3/4 of its cell), borderaxespad from there
    right = pad + (legend + 0.0075 * width + canvas.pt(0.5 * LEGEND_SIZE) if legend else 0.0)
    for k, panel in enumerate(picture.panels):
        box = (k * width + left, top, (k + 1) * width - right, bottom)
        _sweep_panel(canvas, panel, box, ylim, (yticks, ylabels), picture)
    return canvas


def _y_ticks(picture: SweepPicture, ylim: tuple[float, float], height: float, dpi: float) -> tuple[Array, list[str]]:
    """The metric's ticks on an axis `height` pixels tall: log ticks, percents (written with the
    decimals matplotlib's PercentFormatter gives the view's span), or plain numbers."""
    if picture.ylog:
        return log_ticks(*ylim, fine_decades=FINE_LOG_TICKS_DECADES)
    scale = 100.0 if picture.percent else 1.0
    values = nice_ticks(ylim[0] * scale, ylim[1] * scale, tick_space(height, dpi, vertical=True)) / scale
    if not picture.percent:
        return values, tick_labels(values)
    span = 100.0 * (ylim[1] - ylim[0])
    decimals = 0 if span <= 0 else max(0, math.ceil(2.0 - math.log10(2.0 * span)))
    return values, [f"{100 * v:.{decimals}f}%" for v in values]


def _sweep_panel(canvas: Canvas, panel: SweepPanel, box: tuple, ylim: tuple[float, float],
                 yaxis: tuple[Array, list[str]], picture: SweepPicture) -> None:
    """One setting's panel in `box` (x0, y0, x1, y1 final pixels): bands, grid, lines or bars,
    axes, its legend at its right, its note above it."""
    xticks = np.log10(panel.xticks) if panel.xlog else np.asarray(panel.xticks, float)
    position = (lambda x: np.log10(x)) if panel.xlog else (lambda x: np.asarray(x, float))
    if panel.xlim is not None:
        xlim = tuple(position(np.asarray(panel.xlim)))
    else:
        xlim = autoscale_limits(np.concatenate([line.x for line in panel.lines] or [[0.0]]), log=False)
    plot = canvas.panel(box, xlim, ylim, ylog=picture.ylog)
    for line in panel.lines:
        if panel.kind == "band" and line.spread:
            plot.band(position(line.x), line.low, line.high, fill=line.color, alpha=0.16)
    plot.grid(xticks, yaxis[0])
    for line in panel.lines:
        u, v = plot.px(position(line.x), line.mean)
        if panel.kind == "band":
            canvas.line(u, v, color=line.color, width=1.8)
            canvas.markers(u, v, size=5.0, fill=line.color, edge=line.color, edge_width=1.0)
        else:
            _error_bars(canvas, plot, position(line.x), line, u, v)
    plot.axes(xticks, panel.xlabels, *yaxis, xlabel=panel.xlabel, ylabel=picture.ylabel, grid=False)
    if panel.legend_title:
        pad = canvas.pt(0.5 * LEGEND_SIZE)  # borderaxespad
        _side_legend(canvas, panel, box[2] + 0.01 * (box[2] - box[0]) + pad, box[1] + pad)
    if panel.note:
        plot.title(panel.note, size=9.0)
    if not panel.lines:
        canvas.text((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, "no run has a value", color=NEUTRAL_DARK,
                    anchor="mm")


def _error_bars(canvas: Canvas, plot: Panel, x: Array, line: SweepLine, u: Array, v: Array) -> None:
    """Points at the means with bars from the lowest to the highest seed and 3-pt caps (errorbar)."""
    _, low = plot.px(x, line.low)
    _, high = plot.px(x, line.high)
    cap = canvas.pt(3.0)
    for a, b, c in zip(u.tolist(), low.tolist(), high.tolist(), strict=True):
        canvas.line([a, a], [b, c], color=line.color, width=1.4)
        for end in (b, c):
            canvas.line([a - cap, a + cap], [end, end], color=line.color, width=1.4)
    canvas.markers(u, v, size=6.0, fill=line.color, edge=line.color, edge_width=1.0)


def _legend_rows(canvas: Canvas) -> tuple[float, float, float, float]:
    """(row height, handle length, gap to the text, border) of a legend in LEGEND_SIZE type,
    matplotlib's labelspacing 0.5, handlelength 2, handletextpad 0.8 and borderpad 0.4 em."""
    em = canvas.pt(LEGEND_SIZE)
    return canvas.text_height(LEGEND_SIZE) + 0.5 * em, 2.0 * em, 0.8 * em, 0.4 * em


def _legend_size(canvas: Canvas, panel: SweepPanel) -> tuple[float, float]:
    """(width, height) final pixels of a panel's side legend, (0, 0) without one."""
    if not panel.legend_title:
        return 0.0, 0.0
    row, handle, gap, border = _legend_rows(canvas)
    entries = handle + gap + max(canvas.text_width(line.label, LEGEND_SIZE) for line in panel.lines)
    width = 2 * border + max(entries, canvas.text_width(panel.legend_title, LEGEND_SIZE))
    return width, 2 * border + row * (len(panel.lines) + 1)


def _side_legend(canvas: Canvas, panel: SweepPanel, left: float, top: float) -> None:
    """The legend of a panel's lines, its top-left corner at (left, top): the title centred
    over the entries, each a line sample with a dot (bands) or a dot on a bar (categories)."""
    row, handle, gap, border = _legend_rows(canvas)
    entries = handle + gap + max(canvas.text_width(line.label, LEGEND_SIZE) for line in panel.lines)
    inner = max(entries, canvas.text_width(panel.legend_title, LEGEND_SIZE))
    canvas.text(left + border + inner / 2, top + border + row / 2, panel.legend_title, size=LEGEND_SIZE, anchor="mm")
    for k, line in enumerate(panel.lines):
        middle = top + border + row * (k + 1.5)
        a, b = left + border, left + border + handle
        if panel.kind == "band":
            canvas.line([a, b], [middle, middle], color=line.color, width=1.8)
            canvas.markers([(a + b) / 2], [middle], size=5.0, fill=line.color, edge=line.color, edge_width=1.0)
        else:
            reach, cap, x = 0.55 * canvas.pt(LEGEND_SIZE), canvas.pt(3.0), (a + b) / 2
            canvas.line([x, x], [middle - reach, middle + reach], color=line.color, width=1.4)
            for end in (middle - reach, middle + reach):
                canvas.line([x - cap, x + cap], [end, end], color=line.color, width=1.4)
            canvas.markers([(a + b) / 2], [middle], size=6.0, fill=line.color, edge=line.color, edge_width=1.0)
        canvas.text(b + gap, middle, line.label, size=LEGEND_SIZE, anchor="lm")
