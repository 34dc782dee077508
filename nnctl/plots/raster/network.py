"""network.png drawn as pixels (layer 1: numpy; see `nnctl.plots.raster`).

What it shows is `model.plot_network`'s figure, every choice taken from `network_parts`: the
bold title; a column of nodes per layer (inputs, each hidden layer titled with its activation,
the output), each node its small map over the input plane in the figure's colours (PRGn or
viridis on its column's scale, the output in its classes' colours), inputs and outputs named
beside their nodes, hidden units numbered above; an S-shaped edge (a cubic Bézier, sampled) for
every weight, its width ∝ |w|, green w > 0, purple w < 0, an exact zero thin, dashed and grey;
the note under the picture. The layout is the figure's constrained layout: the title and the
note at LAYOUT_PAD from the picture's edges, the network's units scaled equally both ways to fit
between them, centred. Nets whose nodes are not all maps (inputs that are not a plane) or that
leave nodes out (a column wider than MAX_NODES_DRAWN) are drawn by matplotlib (`drawn_here`):
`nnctl train` does not draw those by default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnctl.plots.common import EDGE, LAYOUT_PAD, NEUTRAL_DARK, Array, PlotData, title_lines
from nnctl.plots.network_parts import (
    CAPTION_FONT,
    COLUMN_GAP,
    EDGE_ALPHA,
    LABEL_GAP,
    MAX_NODES_DRAWN,
    NETWORK_FONT,
    NETWORK_RESOLUTION,
    NODE,
    ZERO_EDGE_ALPHA,
    ZERO_EDGE_DASHES,
    NodeMap,
    edge_color,
    edge_curve,
    edge_width,
    layer_title,
    network_inches,
    network_limits,
    network_note,
    network_units,
    node_label,
    node_maps_over_plane,
    widest_weight,
)
from nnctl.plots.raster.canvas import SUPERSAMPLE, TITLE_SIZE, Canvas
from nnctl.plots.raster.colormaps import apply, lut

CURVE_POINTS = 20  # points sampled along an edge's Bézier curve: smooth at 7 pt wide
LINE_SPACING = 1.2  # matplotlib's, between the lines of one text


def drawn_here(weights: list[Array], data: PlotData, node_maps: Callable | None) -> bool:
    """Whether network.png of this net is drawn as pixels: every node is a map over the input
    plane (node_maps given, 2-D inputs), every node is drawn (no column but the output wider
    than MAX_NODES_DRAWN) and every weight is finite (a diverged run's are matplotlib's): the
    nets `nnctl train` draws by default."""
    sizes = [np.shape(weights[0])[0], *(np.shape(W)[1] for W in weights[:-1])]
    return (node_maps is not None and data.n_features == 2 and max(sizes) <= MAX_NODES_DRAWN
            and all(np.isfinite(W).all() for W in weights))


def plot_network(weights: list[Array], data: PlotData, path: Path, *, title: str, layer_names: list[str],
                 node_maps: Callable[[Array], list[Array]], input_names: list[str] | None = None, dpi: float,
                 resolution: int = NETWORK_RESOLUTION, creator: str | None = None) -> Path:
    """network.png as pixels (see the module); the arguments as `plots.plot_network` takes them."""
    return network_canvas(weights, data, title=title, layer_names=layer_names, node_maps=node_maps,
                          input_names=input_names, dpi=dpi, resolution=resolution).save(path, creator=creator)


def network_canvas(weights: list[Array], data: PlotData, *, title: str, layer_names: list[str],
                   node_maps: Callable[[Array], list[Array]], input_names: list[str] | None = None, dpi: float,
                   resolution: int = NETWORK_RESOLUTION) -> Canvas:
    """The canvas of `plot_network`, unsaved."""
    return network_drawing(weights, data, title=title, layer_names=layer_names, node_maps=node_maps,
                           input_names=input_names, dpi=dpi, resolution=resolution)[0]


def network_drawing(weights: list[Array], data: PlotData, *, title: str, layer_names: list[str],
                    node_maps: Callable[[Array], list[Array]], input_names: list[str] | None = None, dpi: float,
                    resolution: int = NETWORK_RESOLUTION) -> tuple[Canvas, Callable, str]:
    """(canvas, to_px, note): the picture of `plot_network`, the map of its units (u, v) to
    pixels (x, y) and the note written under it (for tests to find what is drawn where)."""
    weights, chosen, at = network_units(weights, layer_names)
    maps = node_maps_over_plane(node_maps, data, chosen, resolution)
    widest = widest_weight(weights, chosen)
    inches = network_inches(chosen)
    canvas = Canvas(inches, dpi)
    pad = LAYOUT_PAD * dpi
    title = title_lines(title, inches[0])
    canvas.text(canvas.width / 2, pad, title, size=TITLE_SIZE, bold=True, anchor="ma")
    note = canvas.wrapped(network_note(weights, chosen, widest, True), width=canvas.width - 2 * pad, size=CAPTION_FONT,
                          separator=" · ")
    canvas.text(canvas.width / 2, canvas.height - pad, note, size=CAPTION_FONT, anchor="md")
    labels = [[node_label(data, column, int(k), len(units), len(chosen), input_names) for k in units]
              for column, units in enumerate(chosen)]
    top = pad + _text_block(canvas, title, TITLE_SIZE) + pad
    bottom = canvas.height - pad - _text_block(canvas, note, CAPTION_FONT) - pad
    to_px = _picture_scale(canvas, chosen, labels, (pad, top, canvas.width - pad, bottom))
    _draw_edges(canvas, weights, chosen, at, widest, to_px)
    for column in range(len(chosen)):
        _draw_column(canvas, column, at[column], maps[column], labels[column], ["inputs", *layer_names][column],
                     len(chosen), to_px)
    return canvas, to_px, note


def _text_block(canvas: Canvas, text: str, size: float) -> float:
    """Height in pixels of `text`'s lines as matplotlib lays them out: a line of the font's size,
    LINE_SPACING apart."""
    return canvas.pt(size) * (1 + LINE_SPACING * text.count("\n"))


def _picture_scale(canvas: Canvas, chosen: list[Array], labels: list[list[str]], box: tuple) -> Callable:
    """(u, v) picture units -> (x, y) pixels: `network_limits` scaled equally both ways to fit
    `box` (x0, y0, x1, y1) and centred in it, as an equal-aspect axes in constrained layout;
    names that reach past the limits (long input names) first take their room from the box."""
    (u0, u1), (v0, v1) = network_limits(chosen)
    x0, y0, x1, y1 = box
    left_text = max(canvas.text_width(s, NETWORK_FONT) for s in labels[0])
    right_text = max(canvas.text_width(s, NETWORK_FONT) for s in labels[-1])
    left_room, right_room = -NODE / 2 - LABEL_GAP - u0, u1 - (COLUMN_GAP * (len(chosen) - 1) + NODE / 2 + LABEL_GAP)
    over_left = over_right = 0.0
    for _ in range(8):  # the overhangs grow as the scale shrinks: a few rounds settle them
        scale = min((x1 - x0 - over_left - over_right) / (u1 - u0), (y1 - y0) / (v1 - v0))
        over_left = max(0.0, left_text - left_room * scale)
        over_right = max(0.0, right_text - right_room * scale)
    left = (x0 + over_left + x1 - over_right) / 2 - scale * (u1 - u0) / 2
    top = (y0 + y1) / 2 - scale * (v1 - v0) / 2

    def to_px(u: Array, v: Array) -> tuple[Array, Array]:
        return left + (np.asarray(u, float) - u0) * scale, top + (v1 - np.asarray(v, float)) * scale

    return to_px


_T = np.linspace(0.0, 1.0, CURVE_POINTS)[:, None]
BERNSTEIN = np.hstack([(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T**2, _T**3])  # (CURVE_POINTS, 4)


def _bezier(control: Array) -> Array:
    """(CURVE_POINTS, 2) points along the cubic Bézier curve of `control` (4, 2), evenly in t."""
    return BERNSTEIN @ control


def _draw_edges(canvas: Canvas, weights: list[Array], chosen: list[Array], at: list[Array], widest: float,
                to_px: Callable) -> None:
    """One curve per weight between drawn nodes (`edge_curve`), width ∝ |w| (`edge_width`), in
    `edge_color` at the figure's opacity over white; exact zeros dashed."""
    for layer, W in enumerate(weights):
        for a, i in enumerate(chosen[layer]):
            for b, j in enumerate(chosen[layer + 1]):
                w = float(W[i, j])
                points = _bezier(edge_curve(layer, a, b, chosen, at))
                x, y = to_px(points[:, 0], points[:, 1])
                width = edge_width(w, widest)
                if w == 0:
                    canvas.line(x, y, color=edge_color(w)[:3], width=width, style=ZERO_EDGE_DASHES,
                                alpha=ZERO_EDGE_ALPHA)
                    continue
                # a line thinner than a pixel of the supersampled canvas fades, as Agg's coverage fades it
                faded = min(1.0, canvas.pt(width) * SUPERSAMPLE)
                u, v = _ribbon(x, y, max(canvas.pt(width), 1.0 / SUPERSAMPLE))
                canvas.polygon(u, v, fill=edge_color(w)[:3], alpha=EDGE_ALPHA * faded)  # crossings darken


def _ribbon(x: Array, y: Array, width: float) -> tuple[Array, Array]:
    """The outline (2n,) x and y of a stroke `width` pixels wide along the polyline (x, y),
    each (n,), with butt ends: its points moved half the width along the normals, out one side
    and back the other (one filled polygon draws a curve much faster than its segments and joins)."""
    dx, dy = np.gradient(x), np.gradient(y)
    length = np.hypot(dx, dy)
    length[length == 0] = 1.0
    nx, ny = -dy / length * width / 2, dx / length * width / 2
    return np.concatenate([x + nx, (x - nx)[::-1]]), np.concatenate([y + ny, (y - ny)[::-1]])


def _draw_column(canvas: Canvas, column: int, at: Array, maps: list[NodeMap], labels: list[str], name: str,
                 n_columns: int, to_px: Callable) -> None:
    """One layer's nodes: each its map framed in black, named at the left (inputs) or right
    (outputs) or numbered above (hidden units); the layer's title on top."""
    x = COLUMN_GAP * column
    for node, label, y in zip(maps, labels, at, strict=True):
        (left, right), (top, bottom) = to_px([x - NODE / 2, x + NODE / 2], [y + NODE / 2, y - NODE / 2])
        colors = apply(lut(node.cmap), node.values[::-1], node.low, node.high)  # row 0 on top
        canvas.image((255 * colors).round().astype(np.uint8), (left, top, right, bottom))
        canvas.rectangle((left, top, right, bottom), edge=EDGE, width=0.8)
        middle = (top + bottom) / 2
        gap = to_px([LABEL_GAP], [0.0])[0][0] - to_px([0.0], [0.0])[0][0]
        if column == 0:
            canvas.text(left - gap, middle, label, size=NETWORK_FONT, anchor="rm")
        elif column == n_columns - 1:
            canvas.text(right + gap, middle, label, size=NETWORK_FONT, anchor="lm")
        else:
            above = to_px([x], [y + NODE / 2 + 0.03])[1][0]
            canvas.text((left + right) / 2, above, label, size=0.72 * NETWORK_FONT, color=NEUTRAL_DARK, anchor="md")
    u, v = to_px([x], [max(at) + NODE / 2 + 0.3])
    canvas.text(u[0], v[0], layer_title(name), size=NETWORK_FONT, anchor="md")
