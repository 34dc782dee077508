"""network.png (nnctl/plots/model.py, plot_network): the network as TensorFlow Playground draws
it. Read back from the artists: each edge's width is |w| in proportion and its colour the sign,
an exact zero is dashed, a node's heatmap is the unit's activation over the plane, a wide layer
shows its strongest units and the note says which."""

import numpy as np
from plot_helpers import DPI, assert_real_picture, blobs, drawn, softmax

from nnctl.plots import MAX_NODES_DRAWN, PlotData, edge_color, plot_network, strongest_units
from nnctl.plots.common import plane_grid
from nnctl.plots.model import _network_figure
from nnctl.plots.network_parts import MAX_EDGE_POINTS

W0 = np.array([[1.0, -0.5, 0.0], [0.25, 2.0, -1.0]])
W1 = np.array([[0.5, -0.5], [-4.0, 0.0], [1.0, 3.0]])


def edges(fig) -> dict:
    """{"W0[i,j]": PathPatch} of every edge drawn."""
    return {p.get_gid(): p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("W")}


def images(fig) -> dict:
    """{"node column:unit": AxesImage} of every node map drawn."""
    return {im.get_gid(): im for im in fig.axes[0].images}


def maps_of(W0, W1):
    return lambda X: [X, np.tanh(X @ W0), softmax(np.tanh(X @ W0) @ W1)]


def test_edge_widths_are_proportional_to_abs_w_and_colours_follow_the_sign():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    fig = _network_figure([W0, W1], data, title="t", layer_names=["hidden 1 (tanh)", "output"],
                          node_maps=maps_of(W0, W1), resolution=8)
    drawn_edges = edges(fig)
    assert len(drawn_edges) == W0.size + W1.size  # every weight, nothing else
    for layer, W in enumerate((W0, W1)):
        for (i, j), w in np.ndenumerate(W):
            patch = drawn_edges[f"W{layer}[{i},{j}]"]
            if w == 0:
                continue
            # the largest |w| of the picture (4.0, in W1) is MAX_EDGE_POINTS wide, the rest in proportion
            assert patch.get_linewidth() == np.float64(MAX_EDGE_POINTS * abs(w) / 4.0)
            r, g, b, _ = patch.get_edgecolor()
            assert (g > r) if w > 0 else (r > g)  # PRGn: green for w > 0, purple for w < 0
            np.testing.assert_allclose(patch.get_edgecolor()[:3], edge_color(w)[:3])
    assert drawn_edges["W1[1,0]"].get_linewidth() == MAX_EDGE_POINTS
    assert drawn_edges["W0[0,0]"].get_linewidth() == MAX_EDGE_POINTS / 4  # |w| = 1 of 4


def test_zero_weights_are_dashed_and_the_note_counts_them():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    fig = drawn(_network_figure([W0, W1], data, title="t", layer_names=["hidden 1", "output"], node_maps=None,
                                resolution=8))
    drawn_edges = edges(fig)
    for name in ("W0[0,2]", "W1[1,1]"):  # the two exact zeros
        offset, dashes = drawn_edges[name]._dash_pattern
        assert dashes is not None and len(dashes) == 2 and drawn_edges[name].get_linewidth() > 0
    solid = [p for n, p in drawn_edges.items() if n not in ("W0[0,2]", "W1[1,1]")]
    assert all(p._dash_pattern[1] is None for p in solid)
    note = fig._supxlabel.get_text()
    assert "dashed grey: w = 0 (2 of 12 weights)" in note and "widest |w| = 4" in note


def test_a_node_map_is_the_units_activation_over_the_plane():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    res = 9
    fig = _network_figure([W0, W1], data, title="t", layer_names=["hidden 1 (tanh)", "output"],
                          node_maps=maps_of(W0, W1), resolution=res)
    xx, yy, _ = plane_grid(np.vstack([data.X_train, data.X_val]), res)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    shown = images(fig)
    assert set(shown) == {"node 0:0", "node 0:1", "node 1:0", "node 1:1", "node 1:2", "node 2:0", "node 2:1"}
    for j in range(3):
        np.testing.assert_allclose(shown[f"node 1:{j}"].get_array(), np.tanh(grid @ W0)[:, j].reshape(res, res))
    np.testing.assert_allclose(shown["node 0:1"].get_array(), grid[:, 1].reshape(res, res))  # the input x1
    P = softmax(np.tanh(grid @ W0) @ W1)
    np.testing.assert_allclose(shown["node 2:1"].get_array(), P[:, 1].reshape(res, res))
    # tanh takes both signs: the hidden maps share one diverging scale centred at 0
    norm = shown["node 1:0"].norm
    assert norm.vmin == -norm.vmax == -np.abs(np.tanh(grid @ W0)).max()


def test_a_wide_layer_shows_its_strongest_units_by_abs_w_in_and_out():
    rng = np.random.default_rng(3)
    width = MAX_NODES_DRAWN + 4
    A = rng.uniform(-0.1, 0.1, size=(2, width))
    B = rng.uniform(-0.1, 0.1, size=(width, 2))
    strong = np.array([1, 3, 4, 6, 7, 9, 10, 11])
    A[0, strong[:4]] = 5.0  # strong by the weights in
    B[strong[4:], 1] = -5.0  # strong by the weights out
    chosen = strongest_units([A, B])
    np.testing.assert_array_equal(chosen[1], strong)
    np.testing.assert_array_equal(chosen[0], [0, 1])
    np.testing.assert_array_equal(chosen[2], [0, 1])
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    fig = _network_figure([A, B], data, title="t", layer_names=["hidden 1", "output"], node_maps=None, resolution=8)
    assert {n for n in edges(fig) if n.startswith("W1")} == {f"W1[{j},{k}]" for j in strong for k in (0, 1)}
    assert f"hidden 1: {MAX_NODES_DRAWN} of {width}" in fig._supxlabel.get_text()
    assert "largest Σ|w| in and out" in fig._supxlabel.get_text()


def test_other_inputs_are_plain_nodes_and_the_png_is_real(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    data = PlotData(X, (X[:, 0] > 0).astype(int), X[:0], np.zeros(0, int), "classification", ["a", "b"],
                    feature_names=["age", "income", "height"])
    Ws = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    fig = drawn(_network_figure(Ws, data, title="t", layer_names=["hidden 1", "output"], node_maps=None,
                                resolution=8))
    assert images(fig) == {}
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"age", "income", "height", "P(a)", "P(b)"} <= texts
    path = plot_network(Ws, data, tmp_path / "network.png", title="t", layer_names=["hidden 1", "output"], dpi=DPI)
    assert_real_picture(path)
