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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    CLASS_COLORS,
    EDGE,
    FINE_LOG_TICKS_DECADES,
    LAYOUT_PAD,
    MAX_POINTS_DRAWN,
    NEUTRAL,
    NEUTRAL_DARK,
    SPLIT_MARKERS,
    Array,
    PlotData,
    as_probabilities,
    grid_points,
    percent,
    predicted_classes,
)
from nnctl.plots.raster.canvas import (
    FRAME_WIDTH,
    LABEL_PAD,
    MAX_N_STEPS,
    TICK_LENGTH,
    TICK_PAD,
    TITLE_SIZE,
    Bands,
    Canvas,
    Panel,
    log_ticks,
    nice_ticks,
    save_png,
    tick_labels,
    tick_space,
)
from nnctl.plots.raster.curves import autoscale_limits
from nnctl.plots.raster.regions import RegionLook, colour_bar, regions_pixels

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


# ---------------------------------------------------------------- boundaries.png


def boundaries_drawn_here(n_classes: int) -> bool:
    """Whether boundaries.png is drawn as pixels: up to ten classes (class_colors' own palette;
    more take tab20's hues from matplotlib)."""
    return n_classes <= 10


@dataclass(frozen=True)
class RunsPicture:
    """boundaries.png as `plots.sweep` lays it out. heading: the bold title (with what every
    run shares); labels: each panel's title lines, wrapped; grid: its `_RunGrid` (n, ncols,
    nrows, font, width, height, row_height in inches, is_left, is_lowest); plane: (xx, yy,
    extent) every run is evaluated on; colors: (K, 3) class colours; classes: the K classes as
    the legend names them; bar: a colour bar of P(class 1) (some run has two scores), labelled
    score_label; margins: (left, bottom, gap, title line) inches (RUNS_LEFT, RUNS_BOTTOM,
    RUNS_GAP, RUNS_TITLE_LINE)."""

    heading: str
    labels: list[str]
    grid: Any
    plane: tuple
    colors: Array
    classes: tuple[str, ...]
    bar: bool
    score_label: str
    margins: tuple[float, float, float, float]

    def size(self) -> tuple[float, float]:
        """(width, height) inches, as `_boundaries_figure` sizes its figure."""
        left, bottom, gap, _ = self.margins
        width = left + self.grid.ncols * (self.grid.width + gap) + 0.03 + (0.75 if self.bar else 0.0)
        return width, self.grid.nrows * self.grid.row_height + bottom + self.top()

    def top(self) -> float:
        """Inches above the first row: the heading's lines."""
        return 0.12 + self.margins[3] * (self.heading.count("\n") + 1)

    def axes_box(self, index: int, dpi: float) -> tuple[int, int, int, int]:
        """Panel `index`'s (x0, y0, x1, y1) whole pixels of the picture, y downward (`_run_axes`)."""
        row, column = divmod(index, self.grid.ncols)
        left, _, gap, _ = self.margins
        x0 = left + column * (self.grid.width + gap)
        y1 = self.top() + (row + 1) * self.grid.row_height - 0.04
        return (round(x0 * dpi), round((y1 - self.grid.height) * dpi), round((x0 + self.grid.width) * dpi),
                round(y1 * dpi))


RUN_LOOK = RegionLook(train_area=5.0, validation_area=7.0, edge_width=0.3, boundary_width=1.1,
                      most_points=MAX_POINTS_DRAWN, banded=True)  # boundaries.png's marks (`_run_points`)
RUN_TICK = 2.0  # points: a panel's ticks, 1 pt from their labels


Tiles = Callable[[Callable[[int], Any], int], Iterable[Any]]  # (f, n) -> f(0), …, f(n - 1), in order


def in_turn(f: Callable[[int], Any], n: int) -> Iterable[Any]:
    """The `Tiles` of one process: each panel drawn in turn."""
    return map(f, range(n))


def plot_boundaries(runs: Sequence[tuple[str, Callable[[Array], Array], PlotData]], picture: RunsPicture,
                    path: Path, *, dpi: float, creator: str | None = None, tiles: Tiles = in_turn) -> Path:
    """boundaries.png as pixels (see the module): runs as `plots.plot_boundaries` takes them.
    Written a band of rows at a time (`boundaries_bands`)."""
    return save_png(path, boundaries_bands(runs, picture, dpi=dpi, tiles=tiles), dpi=dpi, creator=creator)


def boundaries_bands(runs: Sequence[tuple[str, Callable[[Array], Array], PlotData]], picture: RunsPicture, *,
                     dpi: float, tiles: Tiles = in_turn) -> Bands:
    """boundaries.png as `Bands`. One run at a time: its grid predicted, its panel drawn on a
    canvas of its own and pasted in, nothing of it kept. tiles: how the panels are drawn, each a
    function of its index alone, pasted in order as they come: in this process, or by others
    (`sweeps.workers.forked_imap`), each reading its run from `runs` (a sequence that may read a
    run only when asked for it). The rows are given as soon as no panel to come can reach them
    (above the tallest title of the next row of panels), the heading and colour bar painted over
    them then and the legend at the end, over the panels. A 300-run picture (35 MB of pixels)
    is never held whole: about two rows of panels are."""
    size = tuple(max(1, int(v * dpi + 1e-6)) for v in picture.size())  # as Agg sizes a figure: truncated
    return Bands(size, _bands(runs, picture, dpi, tiles, size))


def _bands(runs, picture: RunsPicture, dpi: float, tiles: Tiles, size: tuple[int, int]) -> Iterator[Array]:
    from PIL import Image

    width, height = size
    window, low = Image.new("RGB", (width, 1), (255, 255, 255)), 0  # rows low .. low + window.height
    overlays = [(_heading(picture, width, dpi), (0, 0))] + ([_colour_bar(picture, dpi)] if picture.bar else [])
    legend_top = height - Canvas((width / dpi, picture.margins[1]), dpi).height

    def reach(bottom: int) -> None:
        nonlocal window
        if low + window.height < bottom:
            taller = Image.new("RGB", (width, bottom - low), (255, 255, 255))
            taller.paste(window, (0, 0))
            window = taller

    def flush(until: int) -> Array:
        """Rows low .. until, finished: the overlays painted over their part of them."""
        nonlocal window, low
        reach(until)
        for pixels, (x, y) in overlays:
            a, b = max(low, y) - y, min(until, y + pixels.shape[0]) - y
            if a < b:
                _paste(window, pixels[a:b], (x, y + a - low))
        band = np.asarray(window.crop((0, 0, width, until - low)))
        window = (window.crop((0, until - low, width, window.height)) if window.height > until - low
                  else Image.new("RGB", (width, 1), (255, 255, 255)))  # (a crop past the end would be black)
        low = until
        return band

    splits: list[str] = []
    drawn = tiles(lambda index: _run_tile(index, *runs[index][1:], picture, dpi), len(runs))
    try:
        for index, (tile, (x, y), shown) in enumerate(drawn):
            row, column = divmod(index, picture.grid.ncols)
            if column == 0 and row > 0:
                until = min(_row_top(picture, row, dpi), legend_top)
                if until > low:
                    yield flush(until)
            if y < low:
                raise AssertionError(f"panel {index} reaches row {y}, above the rows written ({low})")
            reach(y + tile.shape[0])
            _paste(window, tile, (x, y - low))
            splits += [split for split in shown if split not in splits]
    finally:
        getattr(drawn, "close", lambda: None)()  # the processes drawing panels end now, on any error
    overlays.append(_runs_legend(picture, splits, (width, height), dpi))
    yield flush(height)


def _row_top(picture: RunsPicture, row: int, dpi: float) -> int:
    """The highest pixel row any panel of grid row `row` reaches: its frame's top less the
    tallest title a panel can have (`_run_tile`: the longest label and the accuracy line)."""
    lines = max((label.count("\n") + 1 if label else 0) for label in picture.labels) + 1
    return picture.axes_box(row * picture.grid.ncols, dpi)[1] - _title_room(picture.grid.font, lines, dpi)


def _title_room(font: float, lines: int, dpi: float) -> int:
    """Whole pixels above a panel's frame for its title of `lines` lines in `font` points: 2 pt
    to the last baseline, 1.2 lines each, and a descent's 0.3."""
    return math.ceil((2.0 + 1.2 * font * (lines + 0.3)) * dpi / 72)


def _heading(picture: RunsPicture, width: int, dpi: float) -> Array:
    """The bold title over the panels, its pixels from the picture's top."""
    heading = Canvas((width / dpi, picture.top()), dpi)
    heading.text(width / 2, 0.06 * dpi, picture.heading, size=12.0 if picture.grid.n <= 12 else 11.0, bold=True,
                 anchor="ma")
    return heading.pixels()


def boundaries_image(runs: Sequence[tuple[str, Callable[[Array], Array], PlotData]], picture: RunsPicture, *,
                     dpi: float, tiles: Tiles = in_turn):
    """The Pillow RGB image of `plot_boundaries` (np.asarray of it: (h, w, 3) uint8), its
    `boundaries_bands` stacked: for a caller that wants the whole picture at once."""
    from PIL import Image

    return Image.fromarray(np.vstack(list(boundaries_bands(runs, picture, dpi=dpi, tiles=tiles).bands)), "RGB")


def _paste(image, pixels: Array, origin: tuple[int, int]) -> None:
    """`pixels` into the Pillow `image` at `origin` (x, y), their white left out: tiles overlap
    in their margins, and what one drew there stays."""
    from PIL import Image

    ink = Image.fromarray(np.ascontiguousarray(255 * (pixels.min(axis=2) < 255), dtype=np.uint8), "L")
    image.paste(Image.fromarray(np.ascontiguousarray(pixels), "RGB"), origin, ink)


def _run_tile(index: int, predict: Callable[[Array], Array], data: PlotData, picture: RunsPicture,
              dpi: float) -> tuple[Array, tuple[int, int], list[str]]:
    """(pixels, their (x, y) in the picture, the splits drawn) of run `index`'s panel: its
    regions, boundary and points (`regions_pixels`), frame, ticks (labelled on the left column
    and under the lowest panels), axis names there, and its title: the label and the accuracy."""
    grid, (xx, yy, extent) = picture.grid, picture.plane
    box = picture.axes_box(index, dpi)
    font, pt = grid.font, dpi / 72
    lines = picture.labels[index].split("\n") if picture.labels[index] else []
    accuracy = {split: float(np.mean(predicted_classes(predict, X) == np.asarray(y).reshape(-1).astype(int)))
                for split, X, y in data.splits()}
    lines.append(" · ".join(f"{'val' if s == 'validation' else s} {percent(a)}" for s, a in accuracy.items()))
    left = box[0] - (round(picture.margins[0] * dpi) if grid.is_left(index) else round(RUN_TICK * pt) + 2)
    top = box[1] - _title_room(font, len(lines), dpi)
    below = (RUN_TICK + 2.0 + 2.4 * font) * pt if grid.is_lowest(index) else RUN_TICK * pt
    right = box[2] + (round(0.15 * dpi) if grid.is_lowest(index) else 2)  # half a tick label past the frame
    canvas = Canvas(((right - left) / dpi, (box[3] + math.ceil(below) + 2 - top) / dpi), dpi)
    inner = (box[0] - left, box[1] - top, box[2] - left, box[3] - top)
    P = as_probabilities(np.asarray(predict(grid_points(xx, yy)), dtype=float)).reshape(*xx.shape, -1)
    regions = regions_pixels(P, picture.plane, data, picture.colors, (box[2] - box[0], box[3] - box[1]), dpi=dpi,
                             look=RUN_LOOK)
    canvas.image(regions, inner, smooth=False)
    panel = canvas.panel(inner, extent[:2], extent[2:])
    panel.frame()
    _run_ticks(panel, index, grid, data)
    for k, line in enumerate(reversed(lines)):  # the last line's baseline 2 pt above the frame
        canvas.text((inner[0] + inner[2]) / 2, inner[1] - 2.0 * pt - k * 1.2 * font * pt, line, size=font,
                    anchor="ms")
    return canvas.pixels(), (left, top), list(accuracy)


def _run_ticks(panel: Panel, index: int, grid: Any, data: PlotData) -> None:
    """A panel's ticks on both axes (MaxNLocator(nbins=4)), 2 pt long; their labels in font - 1
    points and the features' names only on the left column and under the lowest panels."""
    canvas, (x0, y0, x1, y1) = panel.canvas, panel.box
    font, length, pad = grid.font, canvas.pt(RUN_TICK), canvas.pt(1.0)
    xticks, yticks = nice_ticks(*panel.xlim, 4, steps=MAX_N_STEPS), nice_ticks(*panel.ylim, 4, steps=MAX_N_STEPS)
    u, _ = panel.px(xticks, np.full(len(xticks), panel.ylim[0]))
    _, v = panel.px(np.full(len(yticks), panel.xlim[0]), yticks)
    for a in u.tolist():
        canvas.line([a, a], [y1, y1 + length], color="#000000", width=FRAME_WIDTH)
    for b in v.tolist():
        canvas.line([x0 - length, x0], [b, b], color="#000000", width=FRAME_WIDTH)
    if grid.is_lowest(index):
        for a, label in zip(u.tolist(), tick_labels(xticks), strict=True):
            canvas.text(a, y1 + length + pad, label, size=font - 1, anchor="ma")
        canvas.text((x0 + x1) / 2, y1 + length + 2 * pad + canvas.text_height(font - 1), data.feature_name(0),
                    size=font, anchor="ma")
    if grid.is_left(index):
        labels = tick_labels(yticks)
        for b, label in zip(v.tolist(), labels, strict=True):
            canvas.text(x0 - length - pad, b, label, size=font - 1, anchor="rm")
        far = x0 - length - pad - max((canvas.text_width(s, font - 1) for s in labels), default=0.0)
        canvas.text(far - pad, (y0 + y1) / 2, data.feature_name(1), size=font, anchor="md", rotate=True)


def _colour_bar(picture: RunsPicture, dpi: float) -> tuple[Array, tuple[int, int]]:
    """(pixels, (x, y)) of the one colour bar of P(class 1) right of the grid's first row,
    centred on the rows, at most 3.2 inches tall: the ten bands, ticks at 0, 0.2, …, 1 and the
    score's name (`_runs_colour_bar`)."""
    grid, (left, _, gap, _) = picture.grid, picture.margins
    span = grid.nrows * grid.row_height
    bar = min(0.8 * span, 3.2)
    x0 = left + (min(grid.ncols, grid.n) - 1) * (grid.width + gap) + grid.width + gap + 0.12
    y0 = picture.top() + span / 2 - bar / 2
    origin = (math.floor((x0 - 0.05) * dpi), math.floor((y0 - 0.1) * dpi))
    canvas = Canvas((0.75, bar + 0.2), dpi)
    box = (x0 * dpi - origin[0], y0 * dpi - origin[1], (x0 + 0.12) * dpi - origin[0], (y0 + bar) * dpi - origin[1])
    colour_bar(canvas, box, picture.colors, picture.score_label, size=grid.font, label_size=grid.font + 1)
    return canvas.pixels(), origin


def _runs_legend(picture: RunsPicture, splits: list[str], size: tuple[int, int],
                 dpi: float) -> tuple[Array, tuple[int, int]]:
    """(pixels, (x, y)) of the legend centred under the grid: the classes' dots, the splits'
    shapes in grey, the boundary line; in rows of at most seven, filled column by column
    (`_runs_legend`'s fig.legend)."""
    font = picture.grid.font + 1
    entries = [(label, "o", 8.0, tuple(c)) for label, c in zip(picture.classes, picture.colors, strict=True)]
    entries += [(split, SPLIT_MARKERS[split], 7.0, NEUTRAL) for split in splits] + [("decision boundary", "", 0, "")]
    columns = min(len(entries), 7)
    rows = -(-len(entries) // columns)
    canvas = Canvas((size[0] / dpi, picture.margins[1]), dpi)
    em = canvas.pt(font)
    row_height = canvas.text_height(font) + 0.5 * em
    stacks = [entries[c * rows : (c + 1) * rows] for c in range(-(-len(entries) // rows))]
    widths = [2.8 * em + max(canvas.text_width(label, font) for label, *_ in stack) for stack in stacks]
    x = (canvas.width - sum(widths) - 2.0 * em * (len(stacks) - 1)) / 2
    for stack, width in zip(stacks, widths, strict=True):
        for k, (label, marker, marker_size, fill) in enumerate(stack):
            middle = canvas.height - 0.9 * em - row_height * (rows - k - 0.5)
            if marker:
                canvas.markers([x + em], [middle], shape=marker, size=marker_size, fill=fill, edge=EDGE, edge_width=1.0)
            else:
                canvas.line([x, x + 2 * em], [middle, middle], color=BOUNDARY, width=1.1)
            canvas.text(x + 2.8 * em, middle, label, size=font, anchor="lm")
        x += width + 2.0 * em
    return canvas.pixels(), (0, size[1] - canvas.height)
