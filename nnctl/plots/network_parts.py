"""What network.png shows, whoever draws it (layer 1: numpy): its matplotlib figure
(`model.plot_network`, `draw_network`) and its pixels (`raster.network`) take every choice from
here, so that the two cannot drift apart: which nodes a column shows (`strongest_units`), where
they sit and how big the picture is, each edge's curve, width and colour, each node's map over
the input plane and its colour scale (`node_maps_over_plane`), the nodes' labels and the note
under the picture (`network_note`). Nothing here imports matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnctl.plots.common import (
    DIVERGING_CMAP,
    NEUTRAL,
    SEQUENTIAL_CMAP,
    Array,
    PlotData,
    all_X,
    as_probabilities,
    class_colors,
    count_classes,
    grid_points,
    hex_rgb,
    one_class_colors,
    plane_grid,
    two_class_colors,
)
from nnctl.plots.raster.colormaps import lut

MAX_NODES_DRAWN = 8  # per column, Playground's own limit: a wider layer shows its strongest units
MAX_EDGE_POINTS = 7.0  # the line width of the largest |w| drawn; every other edge in proportion
ZERO_EDGE_POINTS = 0.7  # an exact zero (L1) is drawn thin, dashed and grey, not left out
EDGE_ALPHA = 0.85  # an edge's opacity (0.7 for an exact zero): crossings stay readable
ZERO_EDGE_ALPHA = 0.7
ZERO_EDGE_DASHES = (3.0, 2.0)  # on, off, in line widths (matplotlib scales dashes by the width)
NODE = 0.72  # a node's side, in the picture's units (a row is 1 apart, a column COLUMN_GAP)
COLUMN_GAP = 2.6
NETWORK_INCHES = 0.78  # inches per picture unit
NETWORK_RESOLUTION = 40  # grid side of a node's map: enough at 0.56 inches
LABEL_GAP = 0.12  # picture units between a node and its input or output name
NETWORK_FONT = 9.0  # points: the nodes' and layers' names; unit numbers at 0.72 of it
CAPTION_FONT = 8.0  # points: the note under the picture


def edge_color(w: float) -> tuple[float, float, float, float]:
    """The colour (r, g, b, a) of an edge of weight w, from the diverging map of signed values:
    green for w > 0, purple for w < 0 (the ends of DIVERGING_CMAP at 0.88 and 0.12, so they read
    on white), grey (NEUTRAL) for 0."""
    if w == 0:
        return (*hex_rgb(NEUTRAL), 1.0)
    table = lut(DIVERGING_CMAP)
    return (*(float(c) for c in table[int((0.88 if w > 0 else 0.12) * len(table))]), 1.0)


def strongest_units(weights: list[Array], most: int = MAX_NODES_DRAWN) -> list[Array]:
    """The nodes drawn in each column (inputs, each hidden layer, outputs), sorted indices.

    weights: [W0 (d, h1), W1 (h1, h2), ..., W_L (h_L, K)]. A column of at most `most` nodes is
    drawn whole, and so is the output; a wider one keeps the `most` nodes of largest strength,
    Σ|w| over the edges into and out of the node (all of them, drawn or not)."""
    sizes = [weights[0].shape[0], *(W.shape[1] for W in weights)]
    chosen = []
    for layer, size in enumerate(sizes):
        if size <= most or layer == len(sizes) - 1:
            chosen.append(np.arange(size))
            continue
        strength = np.abs(weights[layer]).sum(axis=1) if layer < len(weights) else 0.0
        strength = strength + (np.abs(weights[layer - 1]).sum(axis=0) if layer > 0 else 0.0)
        chosen.append(np.sort(np.argsort(-strength, kind="stable")[:most]))
    return chosen


def network_inches(chosen: list[Array]) -> tuple[float, float]:
    """(width, height) inches of network.png with these columns of nodes."""
    rows = max(len(c) for c in chosen)
    return (max(6.0, NETWORK_INCHES * (COLUMN_GAP * (len(chosen) - 1) + 3.2)),
            NETWORK_INCHES * (rows + 0.9) + 1.4)


def network_limits(chosen: list[Array]) -> tuple[tuple[float, float], tuple[float, float]]:
    """(xlim, ylim) of the picture's units: every column, its names and the layers' titles."""
    rows = max(len(c) for c in chosen)
    return (-1.9, COLUMN_GAP * (len(chosen) - 1) + 1.3), (-(rows - 1) / 2 - 0.5, (rows - 1) / 2 + 1.0)


def network_units(weights: list[Array], layer_names: list[str]) -> tuple[list[Array], list, list]:
    """(weights as float arrays, the units drawn of each column (`strongest_units`), their rows
    (`node_rows`)): what both drawings of network.png start from; one layer name a matrix."""
    weights = [np.asarray(W, dtype=float) for W in weights]
    if len(layer_names) != len(weights):
        raise ValueError(f"{len(weights)} weight matrices but {len(layer_names)} layer names")
    chosen = strongest_units(weights)
    return weights, chosen, node_rows(chosen)


def node_rows(chosen: list[Array]) -> list[Array]:
    """Each column's nodes' heights in picture units, top down, the column centred on 0."""
    return [(len(c) - 1) / 2 - np.arange(len(c)) for c in chosen]


def widest_weight(weights: list[Array], chosen: list[Array]) -> float:
    """The largest |w| among the edges drawn (0 when every one is 0): MAX_EDGE_POINTS wide."""
    return max(float(np.abs(W[np.ix_(chosen[layer], chosen[layer + 1])]).max(initial=0.0))
               for layer, W in enumerate(weights))


def edge_curve(layer: int, a: int, b: int, chosen: list[Array], at: list[Array]) -> Array:
    """(4, 2): the cubic Bézier control points, in picture units, of the edge from node a of
    column `layer` to node b of the next (Playground's S-shaped link). Edges arrive spread over
    the middle of the node's side, in their sources' order, as Playground's do: a fan-in of
    eight reads as eight lines, not one knot."""
    x0, x1 = COLUMN_GAP * layer + NODE / 2, COLUMN_GAP * (layer + 1) - NODE / 2
    middle = (x0 + x1) / 2
    y0 = at[layer][a]
    y1 = at[layer + 1][b] + (a - (len(chosen[layer]) - 1) / 2) / len(chosen[layer]) * 0.4 * NODE
    return np.array([(x0, y0), (middle, y0), (middle, y1), (x1, y1)])


def edge_width(w: float, widest: float) -> float:
    """An edge's line width in points: ∝ |w|, MAX_EDGE_POINTS at the widest; ZERO_EDGE_POINTS at 0."""
    return MAX_EDGE_POINTS * abs(w) / widest if w != 0 else ZERO_EDGE_POINTS


def activation_scale(values: Array) -> tuple[str, tuple[float, float], str]:
    """(colour map, (low, high), what the colours mean) of one layer's activations, any shape:
    a diverging scale centred at 0 when they take both signs (tanh), a sequential one from 0
    when they do not (relu, sigmoid)."""
    low, high = float(values.min()), float(values.max())
    scale = max(abs(low), abs(high), 1e-12)
    if low < -1e-9 * scale:  # takes both signs (tanh): white is 0
        return DIVERGING_CMAP, (-scale, scale), "purple < 0 (white) < green"
    return SEQUENTIAL_CMAP, (0.0, scale), "0 (dark) to high (yellow)"  # non-negative: dark is 0


@dataclass(frozen=True)
class NodeMap:
    """A node's value over the input plane and its colour scale. values: (r, r), row 0 at the
    plane's bottom (imshow's origin="lower"); cmap: a map's name (DIVERGING_CMAP,
    SEQUENTIAL_CMAP) or the (m, 3) colours it runs through; (low, high): Normalize's range."""

    values: Array
    cmap: str | Array
    low: float
    high: float


def node_maps_over_plane(node_maps: Callable[[Array], list[Array]], data: PlotData, chosen: list[Array],
                         resolution: int) -> list[list[NodeMap]]:
    """Per column, per drawn node, its map over the input plane (`plane_grid`, r = resolution):
    inputs and hidden layers on one `activation_scale` per column, a classifier's outputs as
    neurons.png's (P(class 1) from class 0's colour to class 1's through white for one score
    column, else each P(class k) white to its colour), a regression's on its own scale.
    node_maps: X (n, 2) -> [inputs (n, d), hidden_1 (n, h1), ..., output scores (n, K)]."""
    if data.n_features != 2:
        raise ValueError(f"node maps need 2-D input, got {data.n_features}-D")
    xx, yy, _ = plane_grid(all_X(data), resolution)
    values = [np.asarray(m, dtype=float).reshape(resolution, resolution, -1) for m in node_maps(grid_points(xx, yy))]
    if len(values) != len(chosen):
        raise ValueError(f"{len(values)} node maps but {len(chosen)} columns of nodes")
    columns = []
    for column, (units, V) in enumerate(zip(chosen, values, strict=True)):
        if column == len(chosen) - 1 and data.task == "classification":
            P = as_probabilities(V.reshape(resolution * resolution, -1)).reshape(resolution, resolution, -1)
            colors = class_colors(count_classes(data, P.shape[-1]))
            if V.shape[-1] == 1:  # one score column: P(class 1) on class 0's colour → class 1's
                columns.append([NodeMap(P[..., 1], two_class_colors(colors), 0.0, 1.0)])
            else:
                columns.append([NodeMap(P[..., k], one_class_colors(colors[k]), 0.0, 1.0) for k in units])
            continue
        cmap, (low, high), _ = activation_scale(V[..., units])
        columns.append([NodeMap(V[..., k], cmap, low, high) for k in units])
    return columns


def node_label(data: PlotData, column: int, unit: int, n_units: int, n_columns: int,
               input_names: list[str] | None) -> str:
    """A node's name: an input's (`input_names`, default data's feature names) at the left, an
    output's at the right (P(class) for a classifier, ŷ or ŷk for regression), a hidden unit's
    1-based number above it."""
    if column == 0:
        return input_names[unit] if input_names is not None else data.feature_name(unit)
    if column == n_columns - 1:
        if data.task == "classification":
            return f"P({data.class_label(unit if n_units > 1 else 1)})"
        return "ŷ" if n_units == 1 else f"ŷ{unit + 1}"
    return f"{unit + 1}"


def layer_title(name: str) -> str:
    """A column's title: the layer's name, its activation on a line of its own."""
    return name.replace(" (", "\n(")


def network_note(weights: list[Array], chosen: list[Array], widest: float, maps: bool) -> str:
    """What the edges and nodes mean, and which nodes a wide layer shows: the lines under the picture."""
    sizes = [weights[0].shape[0], *(W.shape[1] for W in weights)]
    parts = [f"edge width ∝ |w| (widest |w| = {widest:.3g}) · green w > 0 · purple w < 0 · dashed grey: w = 0"]
    zeros = sum(int((W == 0).sum()) for W in weights)
    if zeros:
        parts[0] += f" ({zeros} of {sum(W.size for W in weights)} weights)"
    cut = [f"{'inputs' if layer == 0 else f'hidden {layer}'}: {len(c)} of {n}"
           for layer, (c, n) in enumerate(zip(chosen, sizes, strict=True)) if len(c) < n]
    if cut:
        parts.append("shown: the strongest nodes (largest Σ|w| in and out) · " + ", ".join(cut))
    if maps:
        parts.append("each node: its value over the input plane (hidden: purple < 0 < green, or dark 0 to yellow)")
    return "\n".join(parts)
