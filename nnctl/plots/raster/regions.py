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
    Array,
    PlotData,
    as_probabilities,
    boundary_margins,
    class_indices,
    grid_points,
    plane_grid,
    region_colors,
    sample_rows,
    tint,
)

SUPERSAMPLE = 3  # lines and dots drawn at 3x and averaged down: their edges anti-aliased
THUMB_POINTS = 1500  # a 260-px thumbnail shows no more dots than this apart (a sample beyond)


def _rgb(color) -> tuple[int, int, int]:
    """'#222222' or (r, g, b) floats in [0, 1] -> 8-bit RGB."""
    if isinstance(color, str):
        return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    return tuple(int(round(255 * float(c))) for c in color[:3])  # type: ignore[return-value]


@dataclass(frozen=True)
class RegionLook:
    """How `regions_pixels` draws its marks: the points' areas (pt², as scatter's s) of train
    (circles) and validation (squares), their dark edge (pt), the boundary's width (pt, over a
    5.5-pt white halo), at most how many points (a stratified sample, each split its share), and
    two classes shaded in ten bands of P(class 1) (`two_class_bands`, boundaries.png's colour
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
    `data`, drawn as `look` says (see `regions_thumbnail`)."""
    from PIL import Image, ImageDraw

    width, height = size
    xx, yy, extent = plane
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    image = _shading(P, colors, big, banded=look.banded)
    draw = ImageDraw.Draw(image)
    per_point = dpi / 72 * SUPERSAMPLE  # pixels of the big canvas per typographic point

    def to_pixels(xy: Array) -> Array:
        """Data coordinates (n, 2) -> pixel coordinates of the big canvas, y downward."""
        return np.column_stack([(xy[:, 0] - extent[0]) / (extent[1] - extent[0]) * big[0],
                                (extent[3] - xy[:, 1]) / (extent[3] - extent[2]) * big[1]])

    edge = max(1, round(look.edge_width * per_point))
    total = sum(len(y) for _, _, y in data.splits())
    fills, outline = [_rgb(c) for c in colors], _rgb(EDGE)
    for split, X, y in data.splits():
        keep = sample_rows(class_indices(y), -(-look.most_points * len(y) // total))  # each split its share
        area = look.train_area if split == "train" else look.validation_area
        radius = 0.5 * (np.sqrt(area) + look.edge_width) * per_point  # the edge is stroked on the outline
        shape = draw.ellipse if split == "train" else draw.rectangle
        half = radius if split == "train" else 0.886 * radius  # a square of the circle's area
        for (u, v), k in zip(to_pixels(X[keep]).tolist(), class_indices(y)[keep].tolist(), strict=True):
            shape((u - half, v - half, u + half, v + half), fill=fills[k], outline=outline, width=edge)
    for line in _boundary_lines(xx, yy, P):
        points = [tuple(p) for p in to_pixels(line).tolist()]
        draw.line(points, fill=(255, 255, 255), width=round(5.5 * per_point))
        draw.line(points, fill=_rgb(BOUNDARY), width=round(look.boundary_width * per_point))
    return np.asarray(image.resize(size, Image.Resampling.BOX))


BANDS = 10  # two classes: P(class 1) in ten bands, each its middle's colour (`banded_two_classes`)


def two_class_bands(colors: Array) -> Array:
    """(BANDS, 3) floats: the colour of each band of P(class 1), class 0's colour tinted to 0.45
    → white at 0.5 → class 1's, at each band's middle: `banded_two_classes` without matplotlib."""
    middles = (np.arange(BANDS) + 0.5) / BANDS
    strength = 0.45 * np.abs(2 * middles - 1)
    return np.where((middles < 0.5)[:, None], tint(colors[0], strength), tint(colors[1], strength))


def _shading(P: Array, colors: Array, big: tuple[int, int], *, banded: bool):
    """The regions of P: (r, r, K) as a Pillow image of `big` (w, h) pixels, row 0 on top:
    two classes in bands of P(class 1) bilinearly resampled first (band edges crisp, as imshow
    colours the resampled data), else `region_colors` resampled bilinearly."""
    from PIL import Image

    if banded and P.shape[-1] == 2:
        p1 = Image.fromarray(np.ascontiguousarray(P[::-1, :, 1], dtype=np.float32), "F")
        p1 = np.asarray(p1.resize(big, Image.Resampling.BILINEAR))
        band = Image.fromarray(np.minimum((p1 * BANDS).astype(np.uint8), BANDS - 1), "L")
        band.putpalette((255 * two_class_bands(colors)).round().astype(np.uint8).tobytes())  # now "P"
        return band.convert("RGB")
    cells = np.ascontiguousarray((255 * region_colors(P, colors)[::-1]).round().astype(np.uint8))  # row 0 on top
    return Image.fromarray(cells, "RGB").resize(big, Image.Resampling.BILINEAR)


def _boundary_lines(xx: Array, yy: Array, P: Array) -> list[Array]:
    """The level lines (each (m, 2) in data units) where a class's probability equals the best
    of the others' (`draw_boundaries`' lines), by contourpy, matplotlib's own contouring."""
    import contourpy

    lines = [np.asarray(line) for margin in boundary_margins(P)
             for line in contourpy.contour_generator(xx, yy, margin).lines(0.0)]
    return [line for line in lines if len(line) > 1]
