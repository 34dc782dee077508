"""boundary.png, fit.png, neurons.png, hidden.png and confusion.png (nnctl/plots/model.py):
the grid the boundary is drawn from, what each panel shows, and that every picture is a real
image with content (not blank, several colours)."""

import numpy as np
import pytest
from plot_helpers import DPI, assert_real_picture, blobs, bump, drawn, linear_classifier, regression, softmax

from nnctl.plots import (
    DIVERGING_CMAP,
    MAX_POINTS_ON_SURFACE,
    MAX_UNITS_DRAWN,
    SEQUENTIAL_CMAP,
    PlotData,
    confusion_counts,
    decision_grid,
    plot_boundary,
    plot_confusion,
    plot_fit,
    plot_hidden,
    plot_neurons,
)
from nnctl.plots.common import plane_grid
from nnctl.plots.model import _boundary_figure, _confusion_figure, _fit_figure, _hidden_figure, _neurons_figure

# ---------------------------------------------------------------- decision_grid


def test_decision_grid_is_predict_scores_at_the_grid_points():
    W, b = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.1, -0.2])
    X = np.array([[-1.0, 0.0], [2.0, 3.0]])
    xx, yy, scores = decision_grid(linear_classifier(W, b), X, resolution=7, pad=0.5)
    assert xx.shape == yy.shape == (7, 7) and scores.shape == (7, 7, 2)
    assert (xx.min(), xx.max(), yy.min(), yy.max()) == (-1.5, 2.5, -0.5, 3.5)
    expected = softmax(np.column_stack([xx.ravel(), yy.ravel()]) @ W + b).reshape(7, 7, 2)
    np.testing.assert_allclose(scores, expected)
    i, j = 2, 5  # a single point, evaluated on its own, matches its cell
    np.testing.assert_allclose(scores[i, j], softmax(np.array([[xx[i, j], yy[i, j]]]) @ W + b)[0])


# ---------------------------------------------------------------- boundary


@pytest.mark.parametrize(("n_classes", "n_val"), [(2, 20), (3, 20), (3, 0), (5, 10)])
def test_plot_boundary_writes_a_real_png(tmp_path, n_classes, n_val):
    data, predict_scores = blobs(np.random.default_rng(n_classes), n_classes, n_val)
    path = plot_boundary(predict_scores, data, tmp_path / "boundary.png", title="b", dpi=DPI, resolution=40)
    assert_real_picture(path)


def test_boundary_reports_accuracy_and_explains_markers():
    data, predict_scores = blobs(np.random.default_rng(0), 3, 20)
    fig = _boundary_figure(predict_scores, data, title="b", resolution=30)
    ax = fig.axes[0]
    expected = {split: np.mean(predict_scores(X).argmax(axis=1) == y) for split, X, y in data.splits()}
    assert ax.get_title() == (
        f"accuracy: train {100 * expected['train']:.1f}% (n=80) · validation {100 * expected['validation']:.1f}% (n=20)"
    )
    assert ax.get_aspect() == 1.0 and (ax.get_xlabel(), ax.get_ylabel()) == ("x₀", "x₁")
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert {"class 0", "class 1", "class 2", "train", "validation", "misclassified"} <= set(legend)


def test_boundary_two_classes_has_a_probability_colour_bar():
    data, predict_scores = blobs(np.random.default_rng(0), 2, 0)
    fig = _boundary_figure(predict_scores, data, title="b", resolution=30)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "P(class 1)"


def test_boundary_colour_bar_takes_the_callers_score_label(tmp_path):
    """A hinge output is a margin, not a probability: the caller names it."""
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    margin = lambda X: X[:, :1] - X[:, 1:]  # noqa: E731 - one column outside [0, 1]
    fig = _boundary_figure(margin, data, title="b", resolution=20, score_label="hinge margin (squashed)")
    assert fig.axes[1].get_ylabel() == "hinge margin (squashed)"
    path = plot_boundary(margin, data, tmp_path / "b.png", title="b", dpi=DPI, resolution=20, score_label="m")
    assert_real_picture(path)


def test_boundary_accepts_one_sigmoid_column(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    sigmoid = lambda X: 1 / (1 + np.exp(-X[:, :1]))
    assert_real_picture(plot_boundary(sigmoid, data, tmp_path / "b.png", title="b", dpi=DPI, resolution=30))


def test_boundary_rejects_data_that_is_not_2d_classification():
    data, predict = regression(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="2-D classification"):
        _boundary_figure(predict, data, title="b", resolution=10)


def test_misclassified_marks_are_drawn_above_every_point():
    data, predict_scores = blobs(np.random.default_rng(1), 3, 20)
    ax = _boundary_figure(predict_scores, data, title="b", resolution=20).axes[0]
    n_wrong = sum(int(np.sum(predict_scores(X).argmax(axis=1) != y)) for _, X, y in data.splits())
    assert n_wrong > 0
    marks = ax.collections[-1]
    assert len(marks.get_offsets()) == n_wrong
    assert marks.get_zorder() > max(c.get_zorder() for c in ax.collections[:-1])
    assert marks.get_path_effects()  # the white halo that keeps them visible on dark points


# ---------------------------------------------------------------- fit


@pytest.mark.parametrize(("d", "n_axes"), [(1, 1), (2, 5), (5, 1)])  # 2-D: 3 panels + 2 colour bars
def test_plot_fit_draws_by_input_dimension(tmp_path, d, n_axes):
    data, predict = regression(np.random.default_rng(d), d)
    path = plot_fit(predict, data, tmp_path / "fit.png", title="f", dpi=DPI, resolution=30)
    assert_real_picture(path)
    assert len(_fit_figure(predict, data, title="f", resolution=30).axes) == n_axes


def test_fit_curve_spans_the_data_in_sorted_order():
    data, predict = regression(np.random.default_rng(0), 1)
    ax = _fit_figure(predict, data, title="f", resolution=30).axes[0]
    (curve,) = [line for line in ax.get_lines() if line.get_label() == "prediction"]
    x = curve.get_xdata()
    assert np.all(np.diff(x) > 0)
    assert x[0] <= data.X_train.min() and x[-1] >= data.X_train.max()
    np.testing.assert_allclose(curve.get_ydata(), predict(x[:, None])[:, 0])


def test_fit_surface_layout_shares_one_colour_bar_and_leaves_the_surface_visible():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(1500, 2))
    data = PlotData(X[300:], bump(X[300:]), X[:300], bump(X[:300]), "regression")
    fig = drawn(_fit_figure(lambda Z: 0.9 * bump(Z), data, title="a long suptitle " * 4, resolution=20))
    ax_fit, ax_data, ax_res, shared_bar, residual_bar = fig.axes
    # the prediction panel draws a sample of the points, small; the data panel draws them all
    assert sum(len(c.get_offsets()) for c in ax_fit.collections) == MAX_POINTS_ON_SURFACE
    assert sum(len(c.get_offsets()) for c in ax_data.collections) == 1500
    assert f"{MAX_POINTS_ON_SURFACE} of 1500" in ax_fit.get_title()
    assert max(c.get_sizes().max() for c in ax_fit.collections) < 15
    # one colour bar below the two panels it serves, plainly labelled
    assert shared_bar.get_xlabel() == "y (prediction and target)"
    bar, left, middle = (a.get_position() for a in (shared_bar, ax_fit, ax_data))
    assert bar.y1 < min(left.y0, middle.y0) and bar.x0 < middle.x0 and bar.x1 > left.x1
    # the suptitle sits clear above every panel title: at least 1/8 inch between them
    # (constrained layout's default pad left about 1/12 inch, which read as touching)
    renderer = fig.canvas.get_renderer()
    suptitle = fig._suptitle.get_window_extent(renderer)
    for ax in (ax_fit, ax_data, ax_res):
        assert suptitle.y0 - ax.title.get_window_extent(renderer).y1 >= fig.dpi / 8


def test_fit_residual_scale_is_centred_at_zero():
    data, predict = regression(np.random.default_rng(0), 2, n_val=0)
    fig = _fit_figure(predict, data, title="f", resolution=20)
    residual_bar = fig.axes[-1]
    assert residual_bar.get_xlabel() == "prediction − target"
    low, high = residual_bar.get_xlim()
    assert low == pytest.approx(-high)


# ---------------------------------------------------------------- neurons


def tiny_net(rng, widths=(20, 3), n_classes=3):
    """Fixed random weights: tanh layer, relu layer, softmax output. Returns layer_maps."""
    sizes = (2, *widths, n_classes)
    W = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]

    def layer_maps(X):
        h1 = np.tanh(X @ W[0])
        h2 = np.maximum(h1 @ W[1], 0.0)
        return [h1, h2, softmax(h2 @ W[2])]

    return layer_maps


def subfigure_panels(fig):
    """Per layer row: the axes that show an image (the unit panels; colour bars hold no image)."""
    return [[ax for ax in sub.axes if ax.images] for sub in fig.subfigs]


def test_neurons_draws_one_panel_per_unit_capped_and_the_output_last():
    data, _ = blobs(np.random.default_rng(0), 3, 20)
    layer_maps = tiny_net(np.random.default_rng(1))
    names = ["hidden 1 (tanh)", "hidden 2 (relu)", "output"]
    fig = _neurons_figure(layer_maps, data, title="n", layer_names=names, resolution=12)
    rows = subfigure_panels(fig)
    assert [len(r) for r in rows] == [MAX_UNITS_DRAWN, 3, 3]  # 20 tanh units capped, 3 relu, 3 classes
    labels = [sub._suptitle.get_text() for sub in fig.subfigs]
    assert labels[0].startswith(f"hidden 1 (tanh) · the {MAX_UNITS_DRAWN} most active of 20 units")
    assert labels[1].startswith("hidden 2 (relu)") and "most active" not in labels[1]
    assert [ax.get_title() for ax in rows[2]] == ["P(class 0)", "P(class 1)", "P(class 2)"]
    # tanh takes both signs: diverging and centred at 0; relu is >= 0: sequential from 0
    tanh_image, relu_image = rows[0][0].images[0], rows[1][0].images[0]
    assert tanh_image.get_cmap().name == DIVERGING_CMAP and tanh_image.norm.vmin == -tanh_image.norm.vmax
    assert relu_image.get_cmap().name == SEQUENTIAL_CMAP and relu_image.norm.vmin == 0
    # the data is overlaid on the output panels only
    assert all(ax.collections for ax in rows[2]) and not any(ax.collections for ax in rows[0] + rows[1])


def test_neuron_panel_image_is_the_layer_map_on_the_grid():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    A = np.array([[1.0, -0.5, 2.0], [0.3, 1.5, -1.0]])
    layer_maps = lambda X: [np.tanh(X @ A), softmax(X @ A[:, :2])]  # noqa: E731
    res = 9
    fig = _neurons_figure(layer_maps, data, title="n", layer_names=["hidden 1", "output"], resolution=res)
    hidden_row, output_row = subfigure_panels(fig)
    xx, yy, extent = plane_grid(np.vstack([data.X_train, data.X_val]), res)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for j in range(3):
        image = hidden_row[j].images[0]
        np.testing.assert_allclose(image.get_array(), np.tanh(grid @ A)[:, j].reshape(res, res))
        # each pixel's centre sits on its grid point: the extent reaches half a cell beyond
        np.testing.assert_allclose(image.get_extent(), extent)
    step = xx[0, 1] - xx[0, 0]
    assert extent[0] == pytest.approx(xx.min() - step / 2) and extent[1] == pytest.approx(xx.max() + step / 2)
    # the grid covers the data with room to spare
    assert xx.min() < data.X_train[:, 0].min() and yy.max() > data.X_train[:, 1].max()
    # two classes: P(class 1) once
    (p1,) = output_row
    np.testing.assert_allclose(p1.images[0].get_array(), softmax(grid @ A[:, :2])[:, 1].reshape(res, res))


def test_plot_neurons_writes_a_real_png_and_rejects_other_inputs(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 3, 20)
    path = plot_neurons(
        tiny_net(np.random.default_rng(1), widths=(5, 4)),
        data,
        tmp_path / "neurons.png",
        title="n",
        layer_names=["h1", "h2", "output"],
        dpi=DPI,
        resolution=10,
    )
    assert_real_picture(path)
    regression_data, _ = regression(np.random.default_rng(0), 1)
    with pytest.raises(ValueError, match="2-D input"):
        _neurons_figure(lambda X: [X], regression_data, title="n", layer_names=["output"], resolution=5)


# ---------------------------------------------------------------- hidden


def hidden_data(rng, n=30, n_val=6, n_classes=3):
    X = rng.normal(size=(n, 2))
    y = np.arange(n) % n_classes
    return PlotData(X[n_val:], y[n_val:], X[:n_val], y[:n_val], "classification", ["a", "b", "c"][:n_classes])


def points(ax):
    """{split: (n, 2) offsets} of the hidden picture's two scatters, train then validation."""
    return dict(zip(["train", "validation"], [c.get_offsets() for c in ax.collections], strict=False))


def test_hidden_projects_a_wide_layer_on_its_principal_components():
    H = np.array(
        [[2.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 3.0], [1.0, 1.0, 1.0, 1.0], [4.0, 0.0, 0.0, 2.0], [0.0, 2.0, 1.0, 0.0]]
    )
    H_val = np.array([[1.0, 0.0, 0.0, 1.0]])
    data = PlotData(np.zeros((5, 2)), np.array([0, 1, 0, 1, 0]), np.zeros((1, 2)), np.array([1]), "classification")
    ax = _hidden_figure(H, H_val, data, title="h", layer_name="hidden 2").axes[0]
    # numpy's own route: eigenvectors of the covariance of the centred training activations
    centred = H - H.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    top = eigenvectors[:, ::-1][:, :2]
    drawn = points(ax)
    expected = {"train": (H - H.mean(axis=0)) @ top, "validation": (H_val - H.mean(axis=0)) @ top}
    # a component's sign is a convention: fix it from the training points, then both splits match
    signs = np.sign(np.sum(drawn["train"] * expected["train"], axis=0))
    assert set(signs) <= {-1.0, 1.0}
    for split in ("train", "validation"):
        np.testing.assert_allclose(drawn[split], signs * expected[split], atol=1e-12)
    shares = eigenvalues[::-1] / eigenvalues.sum()
    assert ax.get_xlabel() == f"PC1 ({100 * shares[0]:.0f}% of variance)"
    assert ax.get_ylabel() == f"PC2 ({100 * shares[1]:.0f}% of variance)"
    assert "principal components" in ax.get_title()


def test_hidden_draws_two_units_directly_and_one_unit_as_a_strip():
    rng = np.random.default_rng(0)
    data = hidden_data(rng)
    H2, H2_val = rng.normal(size=(24, 2)), rng.normal(size=(6, 2))
    ax = _hidden_figure(H2, H2_val, data, title="h", layer_name="hidden 1 (tanh)").axes[0]
    np.testing.assert_allclose(points(ax)["train"], H2)
    np.testing.assert_allclose(points(ax)["validation"], H2_val)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("hidden 1 (tanh) · unit 1", "hidden 1 (tanh) · unit 2")
    strip = _hidden_figure(H2[:, :1], H2_val[:, :1], data, title="h", layer_name="h").axes[0]
    offsets = points(strip)["train"]
    np.testing.assert_allclose(offsets[:, 0], H2[:, 0])
    # y is the class, jittered less than half a row: each point stays in its class's row
    np.testing.assert_array_equal(np.round(offsets[:, 1]), np.asarray(data.y_train))
    assert [t.get_text() for t in strip.get_yticklabels()] == ["a", "b", "c"]


def test_hidden_three_units_is_a_3d_scatter_and_regression_has_a_target_bar(tmp_path):
    rng = np.random.default_rng(0)
    fig = _hidden_figure(rng.normal(size=(24, 3)), rng.normal(size=(6, 3)), hidden_data(rng), title="h", layer_name="h")
    assert fig.axes[0].name == "3d" and fig.axes[0].get_zlabel() == "h · unit 3"
    data, _ = regression(rng, 2)
    fig = _hidden_figure(rng.normal(size=(60, 5)), rng.normal(size=(20, 5)), data, title="h", layer_name="h")
    assert fig.axes[-1].get_ylabel() == "target y"
    path = plot_hidden(
        rng.normal(size=(60, 5)), rng.normal(size=(20, 5)), data, tmp_path / "h.png", title="h", layer_name="h", dpi=DPI
    )
    assert_real_picture(path)


# ---------------------------------------------------------------- confusion


def test_confusion_counts_cells_and_accuracy():
    rng = np.random.default_rng(0)
    K = 10
    y_true = rng.integers(0, K, 300)
    y_pred = np.where(rng.random(300) < 0.8, y_true, rng.integers(0, K, 300))
    expected = np.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)
    np.testing.assert_array_equal(confusion_counts(y_true, y_pred, K), expected)
    names = [str(k) for k in range(K)]
    ax = _confusion_figure(y_true, y_pred, names, title="c", split="validation").axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    assert cells == {(i, j): expected[i, j] for i in range(K) for j in range(K)}  # row = true, column = predicted
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("true class", "predicted class")
    assert ax.get_title().startswith(f"validation: accuracy {100 * np.mean(y_true == y_pred):.1f}% (n=300)")
    shading = ax.images[0].get_array()
    np.testing.assert_allclose(shading.sum(axis=1), 1.0)  # each row: shares of its true class


def test_plot_confusion_writes_a_real_png(tmp_path):
    y = np.arange(40) % 10
    path = plot_confusion(
        y, (y + (y % 3 == 0)) % 10, [f"d{k}" for k in range(10)], tmp_path / "c.png", title="c", dpi=DPI
    )
    assert_real_picture(path)


# ---------------------------------------------------------------- issue 14: what a student reads


def test_misclassified_points_are_ringed_so_their_colour_and_shape_show():
    data, predict_scores = blobs(np.random.default_rng(1), 3, 20)
    ax = _boundary_figure(predict_scores, data, title="b", resolution=20).axes[0]
    marks = ax.collections[-1]
    assert len(marks.get_facecolors()) == 0  # hollow: the point inside keeps its class colour
    points = [c for c in ax.collections[:-1] if hasattr(c, "get_sizes")]
    assert marks.get_sizes()[0] > 2 * max(c.get_sizes().max() for c in points)


def test_three_class_boundary_leaves_no_empty_band_beside_the_plane():
    data, predict_scores = blobs(np.random.default_rng(0), 3, 20)
    fig = drawn(_boundary_figure(predict_scores, data, title="b", resolution=20))
    renderer = fig.canvas.get_renderer()
    plane = fig.axes[0].get_tightbbox(renderer).width / fig.dpi  # the plane with its labels
    legend = fig.legends[0].get_window_extent(renderer).width / fig.dpi
    empty = fig.get_figwidth() - max(plane, legend)
    assert empty < 0.15 * fig.get_figwidth(), (fig.get_figwidth(), plane, legend)  # was 2.9 of 7.2 inches


@pytest.mark.parametrize(
    ("names", "expected"),
    [(["0", "1"], ["class 0", "class 1"]), (["-1", "1"], ["class -1", "class 1"]),
     (["setosa", "versicolor"], ["setosa", "versicolor"])],
)
def test_boundary_legend_says_class_0_for_numbers_and_the_name_for_text(names, expected):
    data, predict_scores = blobs(np.random.default_rng(0), 2, 10)
    data = PlotData(data.X_train, data.y_train, data.X_val, data.y_val, "classification", names)
    legend = [text.get_text() for text in _boundary_figure(predict_scores, data, title="b", resolution=10)
              .legends[0].get_texts()]
    assert legend[:2] == expected


def test_ten_classes_get_ten_hues_none_of_them_grey_and_the_first_seven_as_always():
    from matplotlib.colors import rgb_to_hsv, to_rgb

    from nnctl.plots import CLASS_COLORS
    from nnctl.plots.common import class_colors

    ten = class_colors(10)
    assert len({tuple(c) for c in ten}) == 10
    assert rgb_to_hsv(ten)[:, 1].min() > 0.3  # saturated: tab10 put class 7 in grey (saturation 0)
    np.testing.assert_allclose(ten[:7], [to_rgb(c) for c in CLASS_COLORS])
    np.testing.assert_allclose(class_colors(3), ten[:3])  # class k keeps its colour whatever K is


def test_fit_curve_validation_points_are_hollow_and_under_the_training_points():
    data, predict = regression(np.random.default_rng(0), 1)
    ax = _fit_figure(predict, data, title="f", resolution=30).axes[0]
    train, validation = ax.collections[:2]
    assert len(validation.get_facecolors()) == 0 and validation.get_zorder() < train.get_zorder()


def test_fit_targets_panel_scales_its_points_to_their_number():
    rng = np.random.default_rng(0)
    X = rng.uniform(-0.5, 0.5, size=(1000, 2))
    data = PlotData(X[200:], bump(X[200:]), X[:200], bump(X[:200]), "regression")
    _, ax_data, ax_res, *_ = _fit_figure(lambda Z: 0.9 * bump(Z), data, title="f", resolution=20).axes
    for ax in (ax_data, ax_res):
        assert max(c.get_sizes().max() for c in ax.collections) <= 6.0  # was 30/34: a mosaic


def test_hidden_3d_axes_fit_the_data_not_the_unit_cube():
    rng = np.random.default_rng(0)
    H, H_val = rng.uniform(0.9, 0.98, size=(24, 3)), rng.uniform(0.9, 0.98, size=(6, 3))
    ax = drawn(_hidden_figure(H, H_val, hidden_data(rng), title="h", layer_name="h")).axes[0]
    for limits in (ax.get_xlim(), ax.get_ylim(), ax.get_zlim()):
        assert 0.85 < limits[0] < 0.9 and 0.98 < limits[1] < 1.02, limits
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # few ticks, so that their labels do not collide
        low, high = axis.get_view_interval()
        assert 3 <= sum(low <= t <= high for t in axis.get_majorticklocs()) <= 5


def test_confusion_colour_bar_says_its_scale_is_the_square_root():
    fig = _confusion_figure(np.arange(10) % 3, np.arange(10) % 3, ["a", "b", "c"], title="c", split="validation")
    assert fig.axes[1].get_ylabel() == "share of the true class (row)\non a square-root scale"


def wide_relu_net(width=100, dead=8):
    """X (n, 2) -> [relu layer of `width` units whose first `dead` are 0 everywhere, softmax of 2]."""
    W = np.tile([[1.0], [0.5]], width)  # one direction for all: units differ by scale alone
    b = np.where(np.arange(width) < dead, -1e3, 0.0)  # dead: never above zero on the plane
    scale = 1.0 + np.arange(width)  # later units vary more: the most active are the last ones

    def layer_maps(X):
        H = np.maximum(X @ W + b, 0.0) * scale
        return [H, softmax(np.column_stack([X[:, 0], -X[:, 0]]))]

    return layer_maps


def test_a_wide_layer_shows_its_most_active_units_and_says_which():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    fig = _neurons_figure(wide_relu_net(), data, title="n", layer_names=["hidden 1 (relu)", "output"], resolution=12)
    hidden, output = subfigure_panels(fig)
    assert len(hidden) == MAX_UNITS_DRAWN
    label = fig.subfigs[0]._suptitle.get_text()
    assert label.startswith(f"hidden 1 (relu) · the {MAX_UNITS_DRAWN} most active of 100 units")
    assert "8 are constant" in label
    # the most active: here the last 16, by unit number (1-based), none of the dead first 8
    assert [ax.get_title() for ax in hidden] == [f"unit {j}" for j in range(85, 101)]


def test_the_output_map_is_the_largest_and_every_colour_bar_label_is_inside_the_figure():
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    names = ["hidden 1 (relu)", "output (softmax)"]
    fig = drawn(_neurons_figure(wide_relu_net(20, 0), data, title="n", layer_names=names, resolution=12))
    hidden, (output,) = subfigure_panels(fig)
    renderer = fig.canvas.get_renderer()
    size = lambda ax: ax.get_window_extent(renderer).width  # noqa: E731
    assert size(output) > 2.4 * size(hidden[0])
    assert size(output) > 0.2 * fig.bbox.width  # was ~100 px of 1944
    figure_box = fig.bbox
    for sub in fig.subfigs:
        for ax in sub.axes:
            label = ax.yaxis.label
            if label.get_text():
                box = label.get_window_extent(renderer)
                assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 and figure_box.y0 <= box.y0, label
                if not ax.images:  # a colour bar: its label fits beside it ("probability" ran past its ends)
                    assert box.height <= ax.get_window_extent(renderer).height, label
    # two classes: the output's map is on boundary.png's colour scale, class 0 → white → class 1
    assert output.get_title() == "P(class 1)" and fig.subfigs[-1].axes[-1].get_ylabel() == "P(class 1)"


def test_hidden_3d_is_seen_from_where_the_points_spread_not_along_their_line():
    """Seed 003's last layer lies along (1, −1, 1); matplotlib's default view looked along it."""
    t = np.linspace(0.1, 0.9, 60)
    H = np.column_stack([t, 1 - t, t]) + np.random.default_rng(0).normal(0, 0.01, (60, 3))
    data = hidden_data(np.random.default_rng(0), n=60, n_val=0)
    ax = _hidden_figure(H, H[:0], data, title="h", layer_name="h").axes[0]
    e, a = np.radians([ax.elev, ax.azim])
    sight = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    assert abs(sight @ np.array([1.0, -1.0, 1.0]) / np.sqrt(3)) < 0.3  # the line lies across the screen


# ---------------------------------------------------------------- issue 18: a picture costs no more for more data


def many_points(n: int, n_val: int):
    """Two overlapping Gaussian classes of n points (a tenth class 1), so a linear model errs."""
    rng = np.random.default_rng(3)
    y = (np.arange(n) % 10 == 0).astype(int)
    X = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
    return PlotData(X[n_val:], y[n_val:], X[:n_val], y[:n_val], "classification"), linear_classifier(
        np.array([[-1.0, 1.0], [-1.0, 1.0]]), np.array([0.0, -1.5]))


def scattered(ax) -> list:
    """The offsets of each scatter of `ax`, in drawing order."""
    from matplotlib.collections import PathCollection

    return [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]


def test_a_large_set_is_drawn_as_a_stratified_sample_that_says_so_and_keeps_the_error_rate():
    from nnctl.plots import MAX_POINTS_DRAWN

    data, predict = many_points(40_000, 10_000)
    ax = _boundary_figure(predict, data, title="b", resolution=20).axes[0]
    train, validation, marks = scattered(ax)
    assert (len(train), len(validation)) == (1500, 500) and len(train) + len(validation) == MAX_POINTS_DRAWN
    # the accuracy of every point, the note of how many are drawn
    accuracy = {s: np.mean(predict(X).argmax(axis=1) == y) for s, X, y in data.splits()}
    assert ax.get_title() == (f"accuracy: train {100 * accuracy['train']:.1f}% (n=30,000) · validation "
                              f"{100 * accuracy['validation']:.1f}% (n=10,000)\n"
                              "a stratified sample of 2,000 of 40,000 points drawn")
    # class shares and the share of rings are the whole set's (within one point per stratum)
    drawn_y = np.concatenate([data.y_train[np.isin(data.X_train, train).all(axis=1)],
                              data.y_val[np.isin(data.X_val, validation).all(axis=1)]])
    assert abs(drawn_y.mean() - 0.1) < 0.002
    wrong = sum(np.sum(predict(X).argmax(axis=1) != y) for _, X, y in data.splits())
    assert abs(len(marks) / MAX_POINTS_DRAWN - wrong / 40_000) < 0.002 and len(marks) > 50
    # the same sample every time: pictures are reproducible
    again = _boundary_figure(predict, data, title="b", resolution=20).axes[0]
    np.testing.assert_array_equal(scattered(again)[0], train)


def test_known_accuracy_spares_predicting_every_point_of_a_large_set():
    data, predict = many_points(40_000, 10_000)
    rows = []
    counting = lambda X: rows.append(len(X)) or predict(X)  # noqa: E731
    ax = _boundary_figure(counting, data, title="b", resolution=20, accuracy={"train": 0.25, "validation": 0.5})
    assert sum(rows) <= 20 * 20 + 2000  # the grid and the points drawn, not the 40 000
    assert ax.axes[0].get_title().startswith("accuracy: train 25.0% (n=30,000) · validation 50.0% (n=10,000)\n")


def test_sample_rows_is_exact_stratified_and_the_same_every_time():
    from nnctl.plots.common import sample_rows

    labels = np.repeat([0, 1, 2], [7000, 2000, 1000])
    rows = sample_rows(labels, 1000)
    assert len(rows) == 1000 and np.all(np.diff(rows) > 0)
    assert np.bincount(labels[rows]).tolist() == [700, 200, 100]
    np.testing.assert_array_equal(rows, sample_rows(labels, 1000))
    np.testing.assert_array_equal(sample_rows(labels[:500], 1000), np.arange(500))
