"""network.png drawn as pixels (nnctl/plots/raster/network.py): read back from the picture, an
edge's colour is its weight's sign and its thickness |w| in proportion, an exact zero is dashed
grey, a node is its map over the plane in the figure's colours, the note is the figure's note;
plot_network sends the PNGs of the nets it draws here and leaves the rest to matplotlib."""

import subprocess
import sys

import numpy as np
from plot_helpers import blobs, softmax

from nnctl.files import made_by
from nnctl.plots import PlotData, plot_network
from nnctl.plots.common import DIVERGING_CMAP, EDGE, hex_rgb, plane_grid
from nnctl.plots.model import _network_figure
from nnctl.plots.network_parts import (
    COLUMN_GAP,
    EDGE_ALPHA,
    MAX_NODES_DRAWN,
    NODE,
    edge_color,
    network_inches,
    node_rows,
    strongest_units,
)
from nnctl.plots.raster import network as raster_network
from nnctl.plots.raster.canvas import blend
from nnctl.plots.raster.colormaps import apply, lut

DPI = 110
W0 = np.array([[2.0, 0.5], [0.0, -1.0]])  # x0 -> unit 1: +2 (widest); x1 -> unit 2: -1; x1 -> unit 1: 0
W1 = np.array([[1.5, -0.5], [-1.0, 1.0]])
NAMES = ["hidden 1 (tanh)", "output (softmax)"]


def maps_of(W0, W1):
    return lambda X: [X, np.tanh(X @ W0), softmax(np.tanh(X @ W0) @ W1)]


def drawing(weights=(W0, W1), resolution=9, dpi=DPI):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    canvas, to_px, note = raster_network.network_drawing(list(weights), data, title="a net", layer_names=NAMES,
                                                         node_maps=maps_of(*weights), dpi=dpi, resolution=resolution)
    return data, canvas.pixels().astype(int), to_px, note


def at_px(to_px, u, v):
    x, y = to_px([u], [v])
    return int(round(float(x[0]) - 0.5)), int(round(float(y[0]) - 0.5))  # pixel (column, row) whose centre is there


def edge_middle(layer, a, b, chosen):
    """(u, v) of the middle of an edge (t = 1/2 of its Bézier curve: the mean of its four points)."""
    at = node_rows(chosen)
    y0 = at[layer][a]
    y1 = at[layer + 1][b] + (a - (len(chosen[layer]) - 1) / 2) / len(chosen[layer]) * 0.4 * NODE
    return COLUMN_GAP * (layer + 0.5), (y0 + y1) / 2


def test_edges_are_green_and_purple_by_sign_and_as_thick_as_abs_w():
    _, pixels, to_px, _ = drawing()
    chosen = strongest_units([W0, W1])
    thickness = {}
    for (a, b), w in (((0, 0), 2.0), ((1, 1), -1.0)):  # the two nearly level edges, far from the others
        x, y = at_px(to_px, *edge_middle(0, a, b, chosen))
        expected = blend(edge_color(w)[:3], EDGE_ALPHA)
        assert np.abs(pixels[y, x] - expected).max() <= 3
        green, red = pixels[y, x, 1], pixels[y, x, 0]
        assert (green > red) if w > 0 else (red > green)
        column = pixels[y - 20 : y + 20, x]
        thickness[w] = int((np.abs(column - expected).max(axis=1) <= 40).sum())
    points = lambda w: 7.0 * abs(w) / 2.0 * DPI / 72  # MAX_EDGE_POINTS at the widest |w| (2), in pixels
    assert abs(thickness[2.0] - points(2.0)) <= 2 and abs(thickness[-1.0] - points(-1.0)) <= 2


def test_an_exact_zero_is_dashed_grey():
    _, pixels, to_px, note = drawing()
    chosen = strongest_units([W0, W1])
    at = node_rows(chosen)
    # along the zero edge x1 -> unit 1 before it crosses x0 -> unit 2: grey dashes and white gaps
    t = np.linspace(0.15, 0.35, 40)[:, None]  # clear of x1 -> unit 2, which leaves from the same point
    start, end = np.array([NODE / 2, at[0][1]]), np.array([COLUMN_GAP - NODE / 2, at[1][0] + 0.5 / 2 * 0.4 * NODE])
    middle = (start[0] + end[0]) / 2
    control = np.array([start, (middle, start[1]), (middle, end[1]), end])
    curve = ((1 - t) ** 3 * control[0] + 3 * (1 - t) ** 2 * t * control[1] + 3 * (1 - t) * t**2 * control[2]
             + t**3 * control[3])
    seen = np.array([pixels[at_px(to_px, u, v)[::-1]] for u, v in curve])
    grey = np.array(blend("#8c8c8c", 0.7))
    assert (np.abs(seen - grey).max(axis=1) <= 25).sum() >= 5  # dashes
    assert (seen.min(axis=1) >= 235).sum() >= 5  # gaps
    assert (np.abs(seen[:, 1] - seen[:, 0]) <= 12).all()  # neither green nor purple
    assert "dashed grey: w = 0 (1 of 8 weights)" in note


def test_a_node_is_its_map_over_the_plane_in_the_figures_colours():
    data, pixels, to_px, _ = drawing(resolution=9)
    xx, yy, _ = plane_grid(np.vstack([data.X_train, data.X_val]), 9)
    scale = max(np.abs(xx).max(), np.abs(yy).max())  # the inputs' column: one diverging scale, centred at 0
    expected = 255 * apply(lut(DIVERGING_CMAP), xx[4, 4], -scale, scale)  # x0 at the plane's middle (r odd)
    x, y = at_px(to_px, 0.0, 0.5)  # x0's node's centre
    assert np.abs(pixels[y, x] - expected).max() <= 3
    # the input x0 rises left to right: purple at its node's left, green at its right; a black frame
    x_left, y0 = at_px(to_px, -NODE / 2 + 0.06, 0.5)
    x_right, _ = at_px(to_px, NODE / 2 - 0.06, 0.5)
    assert pixels[y0, x_left, 0] > pixels[y0, x_left, 1] and pixels[y0, x_right, 1] > pixels[y0, x_right, 0]
    x_frame, _ = at_px(to_px, -NODE / 2, 0.5)
    assert np.abs(pixels[y0, x_frame - 1 : x_frame + 2] - np.array(hex_rgb(EDGE)) * 255).max(axis=1).min() <= 60
    # the output P(class 1): class 1's colour (tinted) where class 1's blob is, white toward class 0's
    u1, v1 = at_px(to_px, 2 * COLUMN_GAP, -0.5)
    corner = pixels[v1 - 20 : v1 + 20, u1 - 20 : u1 + 20].reshape(-1, 3)
    assert corner.min() < 230 and corner.max() >= 250


def test_the_note_and_the_size_are_the_figures():
    data, pixels, _, note = drawing()
    fig = _network_figure([W0, W1], data, title="a net", layer_names=NAMES, node_maps=maps_of(W0, W1), resolution=9)
    assert note == fig._supxlabel.get_text()
    assert "widest |w| = 2)" in note and "each node: its value over the input plane" in note
    width, height = network_inches(strongest_units([W0, W1]))
    fig.set_size_inches(width, height)
    fig.set_dpi(DPI)
    assert pixels.shape[1::-1] == fig.canvas.get_width_height()  # Agg's whole pixels: it truncates


def test_plot_network_draws_png_as_pixels_and_the_rest_with_matplotlib(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    drawn = plot_network([W0, W1], data, tmp_path / "network.png", title="t", layer_names=NAMES,
                         node_maps=maps_of(W0, W1), dpi=40, creator="nnctl test")
    assert made_by(drawn, "nnctl test")
    assert b"Software\x00nnctl" in drawn.read_bytes()  # the canvas's PNG, not matplotlib's
    svg = plot_network([W0, W1], data, tmp_path / "network.svg", title="t", layer_names=NAMES,
                       node_maps=maps_of(W0, W1), dpi=40)
    assert b"<svg" in svg.read_bytes()[:400]
    assert raster_network.drawn_here([W0, W1], data, maps_of(W0, W1))
    assert not raster_network.drawn_here([W0, W1], data, None)  # no maps: plain boxes, matplotlib's
    wide = [np.ones((2, MAX_NODES_DRAWN + 1)), np.ones((MAX_NODES_DRAWN + 1, 2))]
    assert not raster_network.drawn_here(wide, data, maps_of(*wide))  # nodes left out: the note says which
    assert not raster_network.drawn_here([W0, W1 * np.nan], data, maps_of(W0, W1))  # a diverged run's
    X = np.zeros((5, 3))
    three = PlotData(X, np.zeros(5, int), X[:0], np.zeros(0, int), "classification", ["a", "b"])
    assert not raster_network.drawn_here([np.ones((3, 2)), np.ones((2, 2))], three, lambda X: [])


def test_drawing_as_pixels_imports_no_matplotlib(tmp_path):
    script = f"""
import sys
import numpy as np
from nnctl.plots import PlotData
from nnctl.plots.raster.network import plot_network
X = np.random.default_rng(0).normal(size=(40, 2))
data = PlotData(X, (X[:, 0] > 0).astype(int), X[:0], np.zeros(0, int), "classification", ["a", "b"])
W0, W1 = np.ones((2, 3)), np.ones((3, 2))
maps = lambda X: [X, np.tanh(X @ W0), np.tanh(X @ W0) @ W1]
from pathlib import Path
path = Path({str(tmp_path / "n.png")!r})
plot_network([W0, W1], data, path, title="t", layer_names=["h", "o"], node_maps=maps, dpi=40)
print("matplotlib" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False" and (tmp_path / "n.png").stat().st_size > 1000
