"""What a trained model does, drawn as pixels: boundary.png of a 2-D classifier (layer 1: numpy;
see `nnctl.plots.raster`).

What it shows is `nnctl.plots.model`'s boundary figure: the bold title, the accuracy of each
split with its size (and how many points of a large set are drawn) above the plane, the
predicted class regions (two classes: P(class 1) in ten bands of `two_class_cmap`'s colours with
a colour bar; more: each class its colour, paler where the model is unsure), the decision
boundary black over a white halo, train circles and validation squares in their class's colour
with dark edges, misclassified points ringed, the axes with the features' names, and the legend
below. The sizes in points and the figure's inches are the figure's own (`boundary_inches`), so
a PNG drawn here and an SVG drawn there have the same size and say the same. Drawn in tens of
milliseconds where the figure took half a second (its constrained layout measuring every label).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    CLASS_COLORS,
    EDGE,
    LAYOUT_PAD,
    MORE_CLASS_COLORS,
    NEUTRAL,
    SPLIT_MARKERS,
    Array,
    DrawnSplit,
    PlotData,
    accuracy_subtitle,
    all_X,
    as_probabilities,
    boundary_inches,
    class_colors,
    count_classes,
    drawn_points,
    grid_points,
    legend_blocks,
    plane_grid,
    sample_note,
    title_lines,
)
from nnctl.plots.raster.canvas import (
    FONT_SIZE,
    LABEL_PAD,
    SUPERSAMPLE,
    TICK_LENGTH,
    TICK_PAD,
    TITLE_SIZE,
    Canvas,
    Panel,
    nice_ticks,
    tick_labels,
    tick_space,
)
from nnctl.plots.raster.regions import colour_bar, draw_boundary, draw_points, shaded_regions

POINT_AREA = {"train": 30.0, "validation": 34.0}  # pt², scatter_split's sizes
POINT_EDGE = 0.6  # pt, scatter_split's edge
RING = (130.0, 1.5, 3.5)  # the misclassified mark: area pt², black width and white halo width (pt)
LINE = (2.2, 5.5)  # the decision boundary: black width over a white halo's (pt), as draw_boundaries


def drawn_here(data: PlotData) -> bool:
    """Whether boundary.png of `data` is drawn as pixels: a 2-D classification of at most ten
    classes (the palette's own colours: more take tab20's from matplotlib). Any other data is
    not a boundary picture, and the matplotlib figure says why."""
    return (data.n_features == 2 and data.task == "classification"
            and count_classes(data) <= len(CLASS_COLORS + MORE_CLASS_COLORS))


def plot_boundary(predict_scores: Callable[[Array], Array], data: PlotData, path: Path, *, title: str, dpi: float,
                  resolution: int = 200, score_label: str = "P(class 1)", accuracy: dict[str, float] | None = None,
                  creator: str | None = None, grid_scores: Callable[[Array], Array] | None = None) -> Path:
    """boundary.png as pixels (see the module); the arguments as `plots.plot_boundary` takes them;
    creator: the PNG's Creator (`files.made_by`)."""
    canvas = boundary_canvas(predict_scores, data, title=title, dpi=dpi, resolution=resolution,
                             score_label=score_label, accuracy=accuracy, grid_scores=grid_scores)
    return canvas.save(path, creator=creator)


def boundary_canvas(predict_scores: Callable[[Array], Array], data: PlotData, *, title: str, dpi: float,
                    resolution: int = 200, score_label: str = "P(class 1)",
                    accuracy: dict[str, float] | None = None,
                    grid_scores: Callable[[Array], Array] | None = None) -> Canvas:
    """The canvas of `plot_boundary`, unsaved. predict_scores: X (n, 2) -> (n, K) class scores
    (one column: P(class 1) or a margin); accuracy: {split: accuracy} when the caller knows it;
    grid_scores: the same scores for the plane's grid alone (default predict_scores)."""
    if data.n_features != 2 or data.task != "classification":
        raise ValueError(f"boundary needs 2-D classification data, got {data.n_features}-D {data.task}")
    xx, yy, _ = plane_grid(all_X(data), resolution)
    P = as_probabilities(np.asarray((grid_scores or predict_scores)(grid_points(xx, yy)), dtype=float))
    P = P.reshape(resolution, resolution, -1)
    n_classes = max(P.shape[-1], int(max(np.max(y, initial=0) for _, _, y in data.splits())) + 1)
    colors = class_colors(n_classes)
    extent = (float(xx[0, 0]), float(xx[-1, -1]), float(yy[0, 0]), float(yy[-1, -1]))
    two = P.shape[-1] == 2
    keys, ncols = _legend_keys(data, colors)
    note = sample_note(data)
    size = boundary_inches(extent, data, [k.label for k in keys], ncols, colour_bar=two, title=title, note=note)
    canvas = Canvas(size, dpi)
    drawn = drawn_points(predict_scores, data, accuracy)
    title = canvas.wrapped(title_lines(title, size[0]), width=canvas.width - 2 * LAYOUT_PAD * canvas.dpi,
                           size=TITLE_SIZE, bold=True)
    subtitle = accuracy_subtitle(drawn, note)
    layout = _layout(canvas, extent, title, subtitle, keys, ncols, colour_bar=two)
    panel = canvas.panel(layout.plane, extent[:2], extent[2:])
    x0, y0, x1, y1 = panel.box
    canvas.image(shaded_regions(P, colors, (max(1, round(x1 - x0)), max(1, round(y1 - y0)))), panel.box,
                 smooth=not two)
    _draw_points(panel, drawn, colors)
    draw_boundary(panel, xx, yy, P, width=LINE[0], halo=LINE[1])
    _draw_rings(panel, drawn)
    _clear_around(canvas, panel.box)
    _plane_axes(panel, data, layout.yticks)
    if two:
        colour_bar(canvas, layout.bar, colors, score_label)
    _draw_titles(canvas, layout, title, subtitle)
    _draw_legend(canvas, keys, ncols, layout.legend_top)
    return canvas


# ---------------------------------------------------------------- where things go


@dataclass(frozen=True)
class _Layout:
    """Final-picture pixels: plane and bar boxes (x0, y0, x1, y1; bar None without a colour
    bar), the y ticks (values, labels) the plane's height gave, the top of the legend's block."""

    plane: tuple[float, float, float, float]
    bar: tuple[float, float, float, float] | None
    yticks: tuple[Array, list[str]]
    legend_top: float


def _layout(canvas: Canvas, extent: tuple, title: str, subtitle: str, keys: list[_Key], ncols: int, *,
            colour_bar: bool) -> _Layout:
    """Where the plane goes: as large as it fits at equal scales between the titles above, the
    x axis and legend below, the y axis left and the colour bar right, centred in what is left
    (as constrained layout places an equal-aspect axes)."""
    c, pad, em, th = canvas, LAYOUT_PAD * canvas.dpi, canvas.pt(FONT_SIZE), canvas.text_height()
    ascent = c.font(FONT_SIZE).getmetrics()[0] / SUPERSAMPLE
    ticks = c.pt(TICK_LENGTH + TICK_PAD)
    title_bottom = pad + c.text_height(TITLE_SIZE) * (1 + 1.2 * title.count("\n"))
    top = title_bottom + 2 * pad + ascent + 1.2 * th * subtitle.count("\n") + c.pt(6)
    rows = len(keys) // ncols
    legend_top = c.height - pad - (1.5 * rows - 0.5 + 0.8) * em
    bottom = legend_top - 2 * pad - (ticks + th + c.pt(LABEL_PAD) + th)
    aspect = (extent[1] - extent[0]) / max(extent[3] - extent[2], 1e-12)

    def y_ticks(height: float) -> tuple[Array, list[str]]:
        values = nice_ticks(extent[2], extent[3], tick_space(height, c.dpi, vertical=True))
        return values, tick_labels(values)

    def left_of(labels: list[str]) -> float:  # the y axis' label, tick labels and ticks
        return pad + th + c.pt(LABEL_PAD) + max((c.text_width(s) for s in labels), default=0.0) + ticks

    # matplotlib's colour bar: 0.8 of the axes' whole cell high (its titles and labels too), aspect 20
    bar_height = 0.8 * (legend_top - title_bottom - 4 * pad)
    bar_width = bar_height / 20 if colour_bar else 0.0
    right = pad + (bar_width + ticks + c.text_width("0.0") + c.pt(LABEL_PAD) + th if colour_bar else 0.0)
    left = left_of(y_ticks(bottom - top)[1])
    width = min((c.width - left - right) / (1.05 if colour_bar else 1.0), (bottom - top) * aspect)
    height = width / aspect
    yticks = y_ticks(height)
    left = left_of(yticks[1])
    gap = 0.05 * width if colour_bar else 0.0  # matplotlib's colour bar pad: 5% of the axes' width
    x0 = max(0.0, (c.width - (left + width + gap + right)) / 2) + left
    y0 = top + (bottom - top - height) / 2
    plane = (x0, y0, x0 + width, y0 + height)
    bar = None
    if colour_bar:
        bar_height = min(bar_height, height)
        middle = y0 + height / 2
        bar = (x0 + width + gap, middle - bar_height / 2, x0 + width + gap + bar_width, middle + bar_height / 2)
    return _Layout(plane, bar, yticks, legend_top)


# ---------------------------------------------------------------- the plane


def _draw_points(panel: Panel, drawn: list[DrawnSplit], colors: Array) -> None:
    """Each split's points (`draw_points`) at scatter_split's sizes."""
    for split in drawn:
        draw_points(panel, split.X, split.y, split.name, colors, area=POINT_AREA[split.name], edge_width=POINT_EDGE)


def _draw_rings(panel: Panel, drawn: list[DrawnSplit]) -> None:
    """A hollow black ring over a white halo around every misclassified point, above all points."""
    area, black, white = RING
    wrong = np.vstack([split.X[split.wrong] for split in drawn])
    u, v = panel.px(wrong[:, 0], wrong[:, 1])
    for color, width in (("#ffffff", white), (BOUNDARY, black)):
        panel.canvas.markers(u, v, shape="o", size=float(np.sqrt(area)), fill=None, edge=color, edge_width=width)


def _clear_around(canvas: Canvas, box: tuple) -> None:
    """White around the plane: what the axes clip in the figure (the boundary's halo where it
    leaves the plane) does not show beside it."""
    x0, y0, x1, y1 = box
    m = canvas.pt(8)
    for strip in ((x0 - m, y0 - m, x0, y1 + m), (x1, y0 - m, x1 + m, y1 + m), (x0, y0 - m, x1, y0),
                  (x0, y1, x1, y1 + m)):
        canvas.rectangle(strip, fill="#ffffff")


def _plane_axes(panel: Panel, data: PlotData, yticks: tuple[Array, list[str]]) -> None:
    """Frame, ticks (as AutoLocator places them) and the features' names."""
    (x0, _, x1, _), (lo, hi) = panel.box, panel.xlim
    xvalues = nice_ticks(lo, hi, tick_space(x1 - x0, panel.canvas.dpi, vertical=False))
    panel.axes(xvalues, tick_labels(xvalues), *yticks, xlabel=data.feature_name(0), ylabel=data.feature_name(1),
               grid=False)


def _draw_titles(canvas: Canvas, layout: _Layout, title: str, subtitle: str) -> None:
    """The bold title at the top, the accuracy line 6 pt above the plane, centred on it (kept
    inside the picture)."""
    pad = LAYOUT_PAD * canvas.dpi
    canvas.text(canvas.width / 2, pad, title, size=TITLE_SIZE, bold=True, anchor="ma")
    x0, y0, x1, _ = layout.plane
    half = max(canvas.text_width(line) for line in subtitle.split("\n")) / 2
    middle = min(max((x0 + x1) / 2, pad + half), canvas.width - pad - half)
    canvas.text(middle, y0 - canvas.pt(6), subtitle, anchor="ms")


# ---------------------------------------------------------------- the legend below


@dataclass(frozen=True)
class _Key:
    """One legend entry: a marker (shape, diameter and edge in points, fill; None: hollow) or a
    line (width in points), and the label; neither for a blank."""

    label: str
    marker: str | None = None
    size: float = 0.0
    fill: tuple | str | None = None
    edge: str = EDGE
    edge_width: float = 1.0
    line: float = 0.0


def _legend_keys(data: PlotData, colors: Array) -> tuple[list[_Key], int]:
    """The figure's legend (`_boundary_legend`): classes, train/validation shapes, the marks;
    (keys, ncols), each group its own columns."""
    classes = [_Key(data.class_label(k), "o", 8.0, tuple(colors[k])) for k in range(len(colors))]
    splits = [_Key(split, SPLIT_MARKERS[split], 7.0, NEUTRAL) for split, _, _ in data.splits()]
    marks = [_Key("misclassified", "o", 11.0, None, BOUNDARY, RING[1]), _Key("decision boundary", line=1.6)]
    return legend_blocks([classes, splits, marks], _Key(" "))


def _draw_legend(canvas: Canvas, keys: list[_Key], ncols: int, top: float) -> None:
    """The legend filled column by column, centred across the picture, its block from `top`:
    matplotlib's spacing (a 2-em handle, 0.8 em to the label, 2 em between columns, rows 1.5 em
    apart, 0.4 em border)."""
    em = canvas.pt(FONT_SIZE)
    rows = len(keys) // ncols
    columns = [keys[c * rows : (c + 1) * rows] for c in range(ncols)]
    widths = [2.8 * em + max(canvas.text_width(k.label) for k in column) for column in columns]
    left = (canvas.width - sum(widths) - 2 * em * (ncols - 1)) / 2
    for column, width in zip(columns, widths, strict=True):
        for row, key in enumerate(column):
            middle = top + 0.4 * em + 1.5 * em * row + 0.5 * em
            if key.line:
                canvas.line([left, left + 2 * em], [middle, middle], color=BOUNDARY, width=key.line)
            if key.marker:
                canvas.markers([left + em], [middle], shape=key.marker, size=key.size, fill=key.fill, edge=key.edge,
                               edge_width=key.edge_width)
            canvas.text(left + 2.8 * em, middle, key.label, anchor="lm")
        left += width + 2 * em

