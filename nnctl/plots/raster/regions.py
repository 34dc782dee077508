"""Pictures without text drawn as pixels with NumPy and Pillow (layer 1: numpy; Pillow, which
matplotlib brings, imported where it draws).

A thumbnail of a 2-D classifier (report.html's card of a run) is an image already: the class
regions are the colour-mapped prediction grid, the boundary is the grid's level line, the
points are dots. Drawn here in a few milliseconds what a matplotlib figure shrunk to 260 px
took a tenth of a second for (a figure, axes, artists and Agg's whole pipeline per run). The
look is matplotlib's: the same colours (`region_colors`, `class_colors`), the same bilinear
regions, the boundary black over a white halo, train circles and validation squares with dark
edges, all in the sizes the figure gave them at THUMB_DPI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    EDGE,
    SPLIT_MARKERS,
    TWO_CLASS_BANDS,
    Array,
    PlotData,
    as_probabilities,
    boundary_margins,
    class_indices,
    grid_points,
    plane_grid,
    region_colors,
    sample_rows,
    split_quotas,
    two_class_band_colors,
)
from nnctl.plots.raster.canvas import FONT_SIZE, LABEL_PAD, SUPERSAMPLE, Canvas, Panel, tick_labels

BAR_TICKS = np.linspace(0.0, 1.0, 6)  # a colour bar's labelled ticks; its bands' other edges get minor ones

THUMB_POINTS = 1500  # a 260-px thumbnail shows no more dots than this apart (a sample beyond)


@dataclass(frozen=True)
class RegionLook:
    """How `regions_pixels` draws its marks: the points' areas (pt², as scatter's s) of train
    (circles) and validation (squares), their dark edge (pt), the boundary's width (pt, over a
    5.5-pt white halo), at most how many points (a stratified sample, each split its share), and
    two classes shaded in ten bands of P(class 1) (`shaded_regions`, boundaries.png's colour
    bar) instead of `region_colors`."""

    train_area: float
    validation_area: float
    edge_width: float = 0.4
    boundary_width: float = 2.2
    most_points: int = THUMB_POINTS
    banded: bool = False


def regions_thumbnail(predict, data: PlotData, colors: Array, size: tuple[int, int], *, resolution: int,
                      point_area: float, dpi: float) -> Array:
    """(h, w, 3) uint8: a 2-D classifier over the padded box of its data (as `plane_grid`),
    `size` = (w, h) pixels: each grid cell in its predicted class's colour (`region_colors`,
    bilinear between cells), the level lines where the predicted class changes (black, 2.2 pt
    over a 5.5-pt white halo), the points in their true class's colour (circles: train, squares:
    validation; `point_area` in pt² as scatter's s, a dark 0.4-pt edge) at `dpi` pixels an inch.
    predict: X (n, 2) -> (n, K) scores, as `plot_boundary` takes it."""
    xx, yy, extent = plane_grid(np.vstack([X for _, X, _ in data.splits()]), resolution)
    P = as_probabilities(np.asarray(predict(grid_points(xx, yy)), dtype=float)).reshape(resolution, resolution, -1)
    return regions_pixels(P, (xx, yy, extent), data, colors, size, dpi=dpi,
                          look=RegionLook(point_area, point_area))


def regions_pixels(P: Array, plane: tuple, data: PlotData, colors: Array, size: tuple[int, int], *, dpi: float,
                   look: RegionLook) -> Array:
    """(h, w, 3) uint8, `size` = (w, h) pixels: the class probabilities P: (r, r, K) on `plane`
    (xx, yy, extent, as `plane_grid` gives them) as regions, their boundary and the points of
    `data`, drawn as `look` says (see `regions_thumbnail`), on a canvas of their own."""
    width, height = size
    xx, yy, extent = plane
    canvas = Canvas((width / dpi, height / dpi), dpi)
    panel = canvas.panel((0, 0, width, height), extent[:2], extent[2:])
    canvas.image(shaded_regions(P, colors, (width * SUPERSAMPLE, height * SUPERSAMPLE), banded=look.banded),
                 (0, 0, width, height), smooth=False)
    quotas = split_quotas(data, look.most_points)  # each split its share
    for split, X, y in data.splits():
        keep = sample_rows(class_indices(y), quotas[split])
        area = look.train_area if split == "train" else look.validation_area
        draw_points(panel, X[keep], class_indices(y)[keep], split, colors, area=area, edge_width=look.edge_width)
    draw_boundary(panel, xx, yy, P, width=look.boundary_width)
    return canvas.pixels()


def draw_points(panel: Panel, X: Array, classes: Array, split: str, colors: Array, *, area: float,
                edge_width: float) -> None:
    """Points X: (n, 2) of one split in their classes' colours (classes: (n,) indices into
    colors), circles (train) or squares (validation), `area` pt² as scatter's s, a dark edge."""
    u, v = panel.px(X[:, 0], X[:, 1])
    panel.canvas.markers(u, v, shape=SPLIT_MARKERS[split], size=float(np.sqrt(area)), fill=colors[classes],
                         edge=EDGE, edge_width=edge_width)


def draw_boundary(panel: Panel, xx: Array, yy: Array, P: Array, *, width: float, halo: float = 5.5) -> None:
    """The decision boundary (`boundary_lines`): each line black, `width` pt, over a white halo
    `halo` pt wide, as `common.draw_boundaries` draws it."""
    for lines in boundary_lines(xx, yy, P):
        for line in lines:
            u, v = panel.px(line[:, 0], line[:, 1])
            panel.canvas.line(u, v, color="#ffffff", width=halo)
            panel.canvas.line(u, v, color=BOUNDARY, width=width)


def colour_bar(canvas: Canvas, box: tuple, colors: Array, label: str, *, size: float = FONT_SIZE,
               label_size: float | None = None) -> None:
    """The ten bands of P(class 1) bottom to top in `box` (x0, y0, x1, y1 final pixels), framed,
    ticks at 0, 0.2, ... 1 labelled (`size` pt), minor ones at the bands' other edges, `label`
    (`label_size` pt, default `size`) read upward at the right: boundary.png's and boundaries.png's."""
    bar = canvas.panel(box, (0.0, 1.0), (0.0, 1.0))
    edges = np.linspace(0.0, 1.0, TWO_CLASS_BANDS + 1)
    for low, high, color in zip(edges[:-1], edges[1:], two_class_band_colors(colors), strict=True):
        _, (bottom, top) = bar.px([0.0, 0.0], [low, high])
        canvas.rectangle((bar.box[0], top, bar.box[2], bottom), fill=tuple(color))
    bar.frame()
    minor = edges[~np.isclose(edges[:, None], BAR_TICKS).any(axis=1)]
    for v in bar.px(np.zeros(len(minor)), minor)[1]:
        canvas.line([bar.box[2], bar.box[2] + canvas.pt(2.0)], [v, v], color="#000000", width=0.6)
    right = bar.yticks(BAR_TICKS, tick_labels(BAR_TICKS), size=size, right=True)
    canvas.text(right + canvas.pt(LABEL_PAD), (bar.box[1] + bar.box[3]) / 2, label, size=label_size or size,
                anchor="ma", rotate=True)


def shaded_regions(P: Array, colors: Array, size: tuple[int, int], *, banded: bool = True) -> Array:
    """(h, w, 3) uint8 of `size` = (w, h) pixels: the regions of P: (r, r, K) (the grid, row 0 at
    the bottom) over the plane. Two classes and `banded`: each pixel in its band of P(class 1)
    (`two_class_band_colors`, as BoundaryNorm bands an image), P read bilinearly between the grid
    points, which are the centres of the figure's image pixels; a P that is not a number (a
    diverged model) white, as imshow leaves its "bad" pixels. Otherwise the cells' `region_colors`,
    bilinear between them (imshow's interpolation="bilinear")."""
    from PIL import Image

    r = P.shape[0]
    centres = (0.5, 0.5, r - 0.5, r - 0.5)
    if banded and P.shape[-1] == 2:
        field = Image.fromarray(np.ascontiguousarray(P[::-1, :, 1], dtype=np.float32), "F")
        p1 = np.asarray(field.resize(size, Image.Resampling.BILINEAR, box=centres))
        band = np.where(np.isfinite(p1), np.minimum((np.nan_to_num(p1) * TWO_CLASS_BANDS).astype(np.uint8),
                                                    TWO_CLASS_BANDS - 1), TWO_CLASS_BANDS).astype(np.uint8)
        table = (255 * np.vstack([two_class_band_colors(colors), [1.0, 1.0, 1.0]])).round().astype(np.uint8)
        # the bands through a palette: Pillow maps the indices (8.8 -> 1.6 ms a sweep's panel)
        image = Image.fromarray(band, "L")
        image.putpalette(table.tobytes())  # now "P"
        return np.asarray(image.convert("RGB"))
    cells = region_colors(P, colors)[::-1]  # row 0 on top
    cells = np.ascontiguousarray((255 * np.where(np.isfinite(cells), cells, 1.0)).round().astype(np.uint8))
    return np.asarray(Image.fromarray(cells, "RGB").resize(size, Image.Resampling.BILINEAR))


def boundary_lines(xx: Array, yy: Array, P: Array) -> list[list[Array]]:
    """The lines where the predicted class changes (`draw_boundaries`' lines), one list per
    field of `boundary_margins` (each line (m, 2) in data units): its zero level lines, by
    contourpy, matplotlib's own contouring. xx, yy: (r, r) the grid (as np.meshgrid); P: (r, r, K)."""
    import contourpy

    groups = [[np.asarray(line) for line in contourpy.contour_generator(xx, yy, margin).lines(0.0)]
              for margin in boundary_margins(P)]
    return [[line for line in lines if len(line) > 1] for lines in groups]
