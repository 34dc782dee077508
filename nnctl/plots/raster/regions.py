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
)
from nnctl.plots.raster.canvas import rgb

SUPERSAMPLE = 3  # lines and dots drawn at 3x and averaged down: their edges anti-aliased
THUMB_POINTS = 1500  # a 260-px thumbnail shows no more dots than this apart (a sample beyond)


def regions_thumbnail(predict, data: PlotData, colors: Array, size: tuple[int, int], *, resolution: int,
                      point_area: float, dpi: float) -> Array:
    """(h, w, 3) uint8: a 2-D classifier over the padded box of its data (as `plane_grid`),
    `size` = (w, h) pixels: each grid cell in its predicted class's colour (`region_colors`,
    bilinear between cells), the level lines where the predicted class changes (black, 2.2 pt
    over a 5.5-pt white halo), the points in their true class's colour (circles: train, squares:
    validation; `point_area` in pt² as scatter's s, a dark 0.4-pt edge) at `dpi` pixels an inch.
    predict: X (n, 2) -> (n, K) scores, as `plot_boundary` takes it."""
    from PIL import Image, ImageDraw

    width, height = size
    xx, yy, extent = plane_grid(np.vstack([X for _, X, _ in data.splits()]), resolution)
    P = as_probabilities(np.asarray(predict(grid_points(xx, yy)), dtype=float)).reshape(resolution, resolution, -1)
    cells = np.ascontiguousarray((255 * region_colors(P, colors)[::-1]).round().astype(np.uint8))  # row 0 on top
    big = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    image = Image.fromarray(cells, "RGB").resize(big, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    per_point = dpi / 72 * SUPERSAMPLE  # pixels of the big canvas per typographic point

    def to_pixels(xy: Array) -> Array:
        """Data coordinates (n, 2) -> pixel coordinates of the big canvas, y downward."""
        return np.column_stack([(xy[:, 0] - extent[0]) / (extent[1] - extent[0]) * big[0],
                                (extent[3] - xy[:, 1]) / (extent[3] - extent[2]) * big[1]])

    radius = 0.5 * (np.sqrt(point_area) + 0.4) * per_point  # the edge is stroked on the outline, half outside
    edge = max(1, round(0.4 * per_point))
    total = sum(len(y) for _, _, y in data.splits())
    for split, X, y in data.splits():
        keep = sample_rows(class_indices(y), -(-THUMB_POINTS * len(y) // total))  # each split its share
        shape = draw.ellipse if split == "train" else draw.rectangle
        fills, outline = [rgb(c) for c in colors], rgb(EDGE)
        # a square's side is the circle's diameter, as matplotlib's scatter draws them
        for (u, v), k in zip(to_pixels(X[keep]).tolist(), class_indices(y)[keep].tolist(), strict=True):
            shape((u - radius, v - radius, u + radius, v + radius), fill=fills[k], outline=outline, width=edge)
    for line in (line for lines in boundary_lines(xx, yy, P) for line in lines):
        points = [tuple(p) for p in to_pixels(line).tolist()]
        draw.line(points, fill=(255, 255, 255), width=round(5.5 * per_point))
        draw.line(points, fill=rgb(BOUNDARY), width=round(2.2 * per_point))
    return np.asarray(image.resize(size, Image.Resampling.BOX))


def boundary_lines(xx: Array, yy: Array, P: Array) -> list[list[Array]]:
    """The lines where the predicted class changes (`draw_boundaries`' lines), one list per
    field of `boundary_margins` (each line (m, 2) in data units): its zero level lines, by
    contourpy, matplotlib's own contouring. xx, yy: (r, r) the grid (as np.meshgrid); P: (r, r, K)."""
    import contourpy

    groups = [[np.asarray(line) for line in contourpy.contour_generator(xx, yy, margin).lines(0.0)]
              for margin in boundary_margins(P)]
    return [[line for line in lines if len(line) > 1] for lines in groups]
