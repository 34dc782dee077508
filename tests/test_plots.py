"""Pictures: the grid the boundary is drawn from, the scale choices, and that every picture
is a real image with content (not blank, several colours), in PNG and SVG."""

import subprocess
import sys

import numpy as np
import pytest

from nnctl.plots import (
    DIVERGING_CMAP,
    MAX_POINTS_ON_SURFACE,
    MAX_UNITS_DRAWN,
    SEQUENTIAL_CMAP,
    AnimationFrame,
    PlotData,
    confusion_counts,
    decision_grid,
    plot_boundaries,
    plot_boundary,
    plot_confusion,
    plot_fit,
    plot_hidden,
    plot_loss,
    plot_neurons,
    plot_norms,
    plot_sweep,
    render_animation,
)
from nnctl.plots.common import _as_probabilities, _decade_ticks, _plane_grid, _use_log_scale
from nnctl.plots.curves import _loss_figure, _norms_figure
from nnctl.plots.model import _boundary_figure, _confusion_figure, _fit_figure, _hidden_figure, _neurons_figure
from nnctl.plots.sweep import _boundaries_figure, _boundary_columns, _sweep_figure

DPI = 40  # small pictures keep the file fast; content checks do not need detail


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def linear_classifier(W, b):
    """X (n, 2) -> softmax(X @ W + b): (n, K)."""
    return lambda X: softmax(X @ W + b)


def drawn(fig):
    """Lay out and render `fig` (Agg, in memory) so positions and tick labels are final."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig


def visible_tick_labels(ax):
    """The y tick labels inside the axis limits that have text."""
    low, high = sorted(ax.get_ylim())
    return [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]


def assert_real_picture(path):
    """The PNG has visible content: pixel values vary and many colours appear."""
    import matplotlib.image

    pixels = matplotlib.image.imread(path)[..., :3]
    assert pixels.std() > 0.05
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 20


def blobs(rng, n_classes, n_val):
    centers = 3.0 * np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, n_classes, endpoint=False)])
    y = np.arange(100) % n_classes
    X = centers[y] + rng.normal(size=(100, 2))
    names = [f"class {k}" for k in range(n_classes)]
    data = PlotData(X[n_val:], y[n_val:], X[:n_val], y[:n_val], "classification", names)
    return data, linear_classifier(centers.T, -0.5 * (centers**2).sum(axis=1))


def bump(X):
    """A d-dimensional bump: (n, d) -> (n, 1)."""
    return np.exp(-(X**2).sum(axis=1, keepdims=True))


def regression(rng, d, n_val=20):
    """Bump data in d dimensions and a slightly wrong model of it, so residuals are not zero."""
    X = rng.uniform(-2, 2, size=(80, d))
    data = PlotData(X[n_val:], bump(X[n_val:]), X[:n_val], bump(X[:n_val]), "regression")
    return data, lambda Z: 0.9 * bump(Z)


def loss_rows(train_loss, with_accuracy=False):
    rows = [{"epoch": e, "train_loss": v, "val_loss": 1.1 * v} for e, v in enumerate(train_loss)]
    if with_accuracy:
        for row in rows:
            row |= {"train_accuracy": 0.9, "val_accuracy": None}  # a missing value is a gap, not an error
    return rows


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


def test_as_probabilities_keeps_the_argmax_of_any_scores():
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, 4.0, 0.0]])
    P = _as_probabilities(logits)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (P.argmax(axis=1) == logits.argmax(axis=1)).all()
    np.testing.assert_array_equal(_as_probabilities(softmax(logits)), softmax(logits))
    # one sigmoid column is P(class 1); a hinge margin is squashed around 0
    np.testing.assert_allclose(_as_probabilities(np.array([[0.2], [0.9]])), [[0.8, 0.2], [0.1, 0.9]])
    assert (_as_probabilities(np.array([[-2.0], [3.0]])).argmax(axis=1) == [0, 1]).all()


# ---------------------------------------------------------------- loss


@pytest.mark.parametrize(
    ("values", "log"),
    [
        ([2.0, 0.5, 0.01], True),  # 2.3 decades
        ([0.7, 0.3, 0.1], False),  # under one decade
        ([1.0, 0.04], False),  # 1.4 decades: just under the threshold
        ([1.0, 0.0, 1e-4], False),  # a zero cannot sit on a log axis
        ([np.nan, 1.0, 1e-3, np.inf], True),  # non-finite values are ignored
        ([], False),
    ],
)
def test_log_scale_only_when_a_positive_loss_spans_decades(values, log):
    assert _use_log_scale(np.array(values)) is log


def test_loss_figure_scale_follows_the_span_of_the_loss():
    falling = _loss_figure(loss_rows(np.geomspace(1.0, 1e-3, 50)), title="t", best_epoch=None)
    flat = _loss_figure(loss_rows(np.linspace(0.5, 0.3, 50)), title="t", best_epoch=None)
    assert falling.axes[0].get_yscale() == "log"
    assert flat.axes[0].get_yscale() == "linear"


def test_loss_figure_draws_curves_accuracy_panel_and_best_epoch():
    fig = _loss_figure(loss_rows(np.linspace(1, 0.5, 20), with_accuracy=True), title="t", best_epoch=7)
    loss_ax, accuracy_ax = fig.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel(), accuracy_ax.get_ylabel()) == ("epoch", "loss", "accuracy")
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels == ["train", "validation", "best (epoch 7)"]
    best = loss_ax.get_lines()[-1]
    assert list(best.get_xdata()) == [7, 7] and best.get_linestyle() == "--"
    # val_accuracy is all missing: accuracy panel shows train and the best line only
    assert [line.get_label() for line in accuracy_ax.get_lines()] == ["train", "best (epoch 7)"]


def test_loss_without_accuracy_has_one_panel_and_no_best_line():
    fig = _loss_figure(loss_rows(np.linspace(1, 0.5, 5)), title="t", best_epoch=None)
    assert len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train", "validation"]


def test_diverged_loss_drops_non_finite_values_and_keeps_labelled_ticks():
    """A run that blew up: the loss climbs to 1e200, then inf and NaN are recorded."""
    train = list(np.geomspace(0.7, 1e200, 40)) + [np.inf, np.nan]
    rows = [{"epoch": e, "train_loss": v, "val_loss": v} for e, v in enumerate(train)]
    ax = drawn(_loss_figure(rows, title="t", best_epoch=3)).axes[0]
    assert ax.get_yscale() == "log"
    labels = visible_tick_labels(ax)
    assert len(labels) >= 3, labels  # LogLocator with subs (1, 2, 5) gave none over 200 decades
    for line in ax.get_lines()[:2]:  # train, validation: inf is not drawn (NaN: a gap)
        assert not np.isinf(line.get_ydata()).any()
    assert np.isfinite(ax.get_ylim()).all() and ax.get_ylim()[1] < 1e230
    assert "loss inf/NaN from epoch 40" in [line.get_label() for line in ax.get_lines()]


def test_missing_loss_is_a_gap_not_a_divergence():
    rows = loss_rows([1.0, 0.5, 0.2])
    rows[1]["val_loss"] = None
    labels = [line.get_label() for line in _loss_figure(rows, title="t", best_epoch=None).axes[0].get_lines()]
    assert labels == ["train", "validation"]


def test_huge_linear_loss_keeps_labelled_ticks():
    """A zero keeps the axis linear; 1e200 must still give readable ticks."""
    ax = drawn(_loss_figure(loss_rows([0.0, 1.0, 1e200]), title="t", best_epoch=None)).axes[0]
    assert ax.get_yscale() == "linear" and len(visible_tick_labels(ax)) >= 3


def test_decade_ticks_are_round_powers_of_ten():
    ticks = _decade_ticks(0.7, 1e200)
    exponents = np.log10(ticks)
    assert len(ticks) <= 8 and ticks[0] <= 0.7 and ticks[-1] >= 1e200
    assert np.all(np.diff(exponents) == 50)
    assert np.isfinite(_decade_ticks(1e-300, 1.7e308)).all()
    np.testing.assert_allclose(_decade_ticks(1e-3, 2.0), [1e-3, 1e-2, 1e-1, 1.0, 10.0])


def test_plot_loss_writes_a_real_png(tmp_path):
    rows = loss_rows(np.geomspace(1.0, 1e-2, 30), with_accuracy=True)
    path = plot_loss(rows, tmp_path / "loss.png", title="loss", best_epoch=12, dpi=DPI)
    assert path == tmp_path / "loss.png"
    assert_real_picture(path)


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


def test_misclassified_marks_are_drawn_above_every_point():
    data, predict_scores = blobs(np.random.default_rng(1), 3, 20)
    ax = _boundary_figure(predict_scores, data, title="b", resolution=20).axes[0]
    n_wrong = sum(int(np.sum(predict_scores(X).argmax(axis=1) != y)) for _, X, y in data.splits())
    assert n_wrong > 0
    marks = ax.collections[-1]
    assert len(marks.get_offsets()) == n_wrong
    assert marks.get_zorder() > max(c.get_zorder() for c in ax.collections[:-1])
    assert marks.get_path_effects()  # the white halo that keeps them visible on dark points


def test_boundary_accepts_one_sigmoid_column(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    sigmoid = lambda X: 1 / (1 + np.exp(-X[:, :1]))
    assert_real_picture(plot_boundary(sigmoid, data, tmp_path / "b.png", title="b", dpi=DPI, resolution=30))


def test_boundary_rejects_data_that_is_not_2d_classification():
    data, predict = regression(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="2-D classification"):
        _boundary_figure(predict, data, title="b", resolution=10)


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


# ---------------------------------------------------------------- files


def test_svg_output(tmp_path):
    data, predict_scores = blobs(np.random.default_rng(0), 3, 10)
    path = plot_boundary(predict_scores, data, tmp_path / "b.svg", title="b", resolution=20)
    assert path.read_text().lstrip().startswith("<?xml") and "<svg" in path.read_text()


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown picture format"):
        plot_loss(loss_rows([1.0, 0.5]), tmp_path / "loss.jpg", title="t")


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys, nnctl.plots; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_in_a_loop_leaves_no_open_figures(tmp_path):
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    for i in range(3):
        plot_loss(loss_rows([1.0, 0.5, 0.2]), tmp_path / f"loss{i}.png", title="t", dpi=DPI)
    assert len(plt.get_fignums()) == before


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
    assert labels[0].startswith(f"hidden 1 (tanh) · first {MAX_UNITS_DRAWN} of 20 units")
    assert labels[1].startswith("hidden 2 (relu)") and "first" not in labels[1]
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
    xx, yy, extent = _plane_grid(np.vstack([data.X_train, data.X_val]), res)
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


# ---------------------------------------------------------------- norms


def norm_rows(n_epochs=20):
    rows = [{"epoch": 0, "W0": 2.0, "W1": 1.0, "dW0": None, "dW1": float("nan")}]
    for e in range(1, n_epochs + 1):
        # weights grow a little (under one decade), gradients fall three decades
        rows.append(
            {
                "epoch": e,
                "W0": 2.0 + 0.1 * e,
                "W1": 1.0 + 0.05 * e,
                "dW0": 10.0 ** (-3 * e / n_epochs),
                "dW1": 0.5 * 10.0 ** (-3 * e / n_epochs),
            }
        )
    return rows


def test_norms_legend_colours_and_log_rule():
    fig = _norms_figure(norm_rows(), title="t")
    ax_w, ax_g = fig.axes
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["layer 0 (W0)", "layer 1 (W1)"]
    assert ax_w.get_yscale() == "linear" and ax_g.get_yscale() == "log"  # the rule of the loss picture
    from matplotlib.colors import to_hex

    colours = [[to_hex(line.get_color()) for line in ax.get_lines()] for ax in (ax_w, ax_g)]
    assert colours[0] == colours[1] and len(set(colours[0])) == 2  # one colour per layer, the same in both panels
    np.testing.assert_allclose(ax_w.get_lines()[1].get_ydata(), [r["W1"] for r in norm_rows()])
    gradient = ax_g.get_lines()[0].get_ydata()
    assert np.isnan(gradient[0]) and np.isfinite(gradient[1:]).all()  # epoch 0 has no gradient
    assert ax_w.get_xlabel() == ax_g.get_xlabel() == "epoch" and "‖dW‖" in ax_g.get_ylabel()


def test_plot_norms_writes_a_real_png(tmp_path):
    assert_real_picture(plot_norms(norm_rows(), tmp_path / "norms.png", title="t", dpi=DPI))


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


# ---------------------------------------------------------------- animation


def training_frames(rng, n_frames, hidden_width=2, d=2, n_classes=2):
    """Frames of a net whose weights grow with the epoch, so each frame is different."""
    W1, W2 = rng.normal(size=(d, hidden_width)), rng.normal(size=(hidden_width, n_classes))

    def frame(epoch):
        scale = 0.2 + epoch / 5
        hidden = lambda X: np.tanh(scale * X @ W1)  # noqa: E731
        return AnimationFrame(epoch, lambda X: softmax(scale * hidden(X) @ W2), hidden)

    return [frame(e) for e in np.linspace(0, 20, n_frames).astype(int)]


def gif_frames(path):
    from PIL import Image

    with Image.open(path) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB"), dtype=float))
        return image.n_frames, frames


@pytest.mark.parametrize(
    ("case", "hidden_width"), [("2-D classification", 5), ("1-D regression", 3), ("digits-like", 2)]
)
def test_animation_has_one_distinct_frame_per_checkpoint(tmp_path, case, hidden_width):
    rng = np.random.default_rng(0)
    if case == "2-D classification":
        data, _ = blobs(rng, 2, 10)
        frames = training_frames(rng, 4, hidden_width)
    elif case == "1-D regression":
        data, _ = regression(rng, 1)
        frames = [
            AnimationFrame(f.epoch, (lambda X, f=f: f.predict(X)[:, :1]), f.hidden)
            for f in training_frames(rng, 4, hidden_width, d=1)
        ]
    else:  # more than two inputs: no boundary panel, hidden and loss only
        X = rng.normal(size=(60, 6))
        data = PlotData(X[10:], np.arange(50) % 3, X[:10], np.arange(10) % 3, "classification")
        frames = training_frames(rng, 4, hidden_width, d=6, n_classes=3)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(1, 21)]
    called = []
    path = render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=30, progress=called.append)
    assert called == [0, 1, 2, 3]
    n_frames, images = gif_frames(path)
    assert n_frames == len(frames) == 4
    for before, after in zip(images, images[1:], strict=False):
        assert np.abs(before - after).mean() > 0.5  # each frame shows something new
    for image in images:
        assert image.std() > 10 and len(np.unique(image.reshape(-1, 3), axis=0)) > 20  # not blank


def test_animation_frame_shows_the_model_at_its_epoch_and_the_loss_so_far(tmp_path, monkeypatch):
    """Look inside the figure at the last frame: suptitle, loss drawn up to the epoch, fixed x range."""
    import nnctl.plots.animation as plots

    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    frames = training_frames(rng, 3, 2)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(1, 21)]
    seen = []
    original = plots._Animation.update

    def spy(self, i, frame):
        original(self, i, frame)
        loss_ax = self.loss_ax
        train_line = self.loss_lines["train"]
        seen.append((self.suptitle.get_text(), loss_ax.get_xlim(), np.max(train_line.get_xdata(), initial=0)))

    monkeypatch.setattr(plots._Animation, "update", spy)
    render_animation(frames, data, metrics, tmp_path / "a.gif", title="moons", dpi=20)
    assert [text for text, _, _ in seen] == ["moons · epoch 0", "moons · epoch 10", "moons · epoch 20"]
    assert len({xlim for _, xlim, _ in seen}) == 1  # one x range for the whole animation
    assert [last for _, _, last in seen] == [0, 10, 20]


def test_animation_refuses_other_formats(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    with pytest.raises(ValueError, match="gif"):
        render_animation(training_frames(np.random.default_rng(0), 2), data, [], tmp_path / "a.png", title="t")


def test_loss_plot_shows_the_learning_rate_only_when_a_schedule_changes_it():
    rows = [
        {"epoch": e, "train_loss": 1.0 / (e + 1), "lr": None if e == 0 else 0.1 * 0.5 ** ((e - 1) // 3)}
        for e in range(10)
    ]
    fig = _loss_figure(rows, title="t", best_epoch=None)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "learning rate"]
    x, y = fig.axes[1].lines[0].get_data()
    assert list(y[1:4]) == [0.1, 0.1, 0.1] and y[4] == 0.05
    constant = [{**row, "lr": 0.1 if row["epoch"] else None} for row in rows]
    assert [ax.get_ylabel() for ax in _loss_figure(constant, title="t", best_epoch=None).axes] == ["loss"]


# ---------------------------------------------------------------- sweep.png


def sweep_rows():
    """3 widths x 2 learning rates x 3 seeds; accuracy grows with width and lr; two runs have
    no value (one failed, one diverged)."""
    rows = []
    for h in (4, 16, 64):
        for lr in (0.001, 0.1):
            for seed in range(3):
                acc = 0.7 + 0.05 * np.log2(h) / 2 + (0.1 if lr == 0.1 else 0.0) + 0.01 * seed
                rows.append(
                    {
                        "model.hidden": [h],
                        "optimizer.lr": lr,
                        "seed": seed,
                        "status": "finished",
                        "final_val_accuracy": acc,
                    }
                )
    rows[0] |= {"status": "failed", "final_val_accuracy": None}  # h=4, lr=0.001, seed 0
    rows[-1] |= {"status": "diverged", "final_val_accuracy": float("nan")}  # h=64, lr=0.1, seed 2
    return rows


def line(ax, label):
    (found,) = [artist for artist in ax.lines if artist.get_label() == label]
    return found


def test_sweep_draws_one_panel_per_setting_with_seed_means_and_counts_missing_runs():
    rows = sweep_rows()
    fig = drawn(_sweep_figure(rows, ["model.hidden", "optimizer.lr"], metric="final_val_accuracy", title="s"))
    width_ax, lr_ax = fig.axes[:2]
    assert len([ax for ax in fig.axes if ax.get_xlabel()]) == 2
    assert width_ax.get_xlabel() == "model.hidden (width)" and lr_ax.get_xlabel() == "optimizer.lr"
    assert width_ax.get_ylabel() == "final validation accuracy"
    assert width_ax.yaxis.get_major_formatter()(0.9, 0).endswith("%")
    # one line per value of the other setting, each point the mean over the seeds that have a value
    for lr in (0.001, 0.1):
        drawn_line = line(width_ax, f"{lr:g}")
        expected = [
            np.mean(
                [
                    r["final_val_accuracy"]
                    for r in rows
                    if r["model.hidden"] == [h]
                    and r["optimizer.lr"] == lr
                    and r["final_val_accuracy"] is not None
                    and np.isfinite(r["final_val_accuracy"])
                ]
            )
            for h in (4, 16, 64)
        ]
        np.testing.assert_allclose(drawn_line.get_xdata(), [4, 16, 64])
        np.testing.assert_allclose(drawn_line.get_ydata(), expected)
    assert width_ax.get_legend().get_title().get_text() == "optimizer.lr"
    assert [t.get_text() for t in lr_ax.get_legend().get_texts()] == ["[4]", "[16]", "[64]"]
    caption = fig.get_supxlabel()
    assert "mean over 3 seeds" in caption and "2 runs without a value (1 failed, 1 diverged)" in caption


@pytest.mark.parametrize(
    ("values", "scale"),
    [((0.001, 0.01, 0.1), "log"), ((1, 2, 3, 4, 5, 20, 50), "log"), ((0.1, 0.2, 0.3), "linear"), ((2, 4, 6), "linear")],
)
def test_sweep_x_axis_is_logarithmic_for_values_spanning_decades(values, scale):
    rows = [
        {"optimizer.lr": v, "seed": 0, "status": "finished", "final_val_loss": 1.0 / (i + 1)}
        for i, v in enumerate(values)
    ]
    ax = drawn(_sweep_figure(rows, ["optimizer.lr"], metric="final_val_loss", title="s")).axes[0]
    assert ax.get_xscale() == scale
    # a tick at every value tried, written as the sweep wrote it
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{v:g}" for v in values]


def test_sweep_text_settings_are_categories_in_order_of_appearance():
    rows = [
        {"model.activation": act, "model.hidden": hidden, "seed": seed, "status": "finished", "final_val_loss": loss}
        for act, loss in (("tanh", 0.2), ("relu", 0.3))
        for hidden in ([4], [4, 4])
        for seed in (0, 1)
    ]
    fig = drawn(_sweep_figure(rows, ["model.activation", "model.hidden"], metric="final_val_loss", title="s"))
    act_ax, hidden_ax = fig.axes[:2]
    assert [t.get_text() for t in act_ax.get_xticklabels()] == ["tanh", "relu"]
    # [4] and [4, 4] are not both numbers: categories, with the values' text
    assert [t.get_text() for t in hidden_ax.get_xticklabels()] == ["[4]", "[4, 4]"]
    assert hidden_ax.get_xlabel() == "model.hidden" and act_ax.get_yscale() == "linear"
    assert "without a value" not in fig.get_supxlabel()


def test_plot_sweep_writes_a_real_png(tmp_path):
    path = plot_sweep(
        sweep_rows(),
        ["model.hidden", "optimizer.lr"],
        tmp_path / "sweep.png",
        metric="final_val_accuracy",
        title="s",
        dpi=DPI,
    )
    assert_real_picture(path)


# ---------------------------------------------------------------- boundaries.png


def boundary_panels(n, n_val=10):
    """n runs on the same two blobs; run i is the linear classifier whose boundary turns by i."""
    data, _ = blobs(np.random.default_rng(0), 2, n_val)
    panels = []
    for i in range(n):
        angle = 0.4 * i
        W = np.array([[np.cos(angle), -np.cos(angle)], [np.sin(angle), -np.sin(angle)]])
        panels.append((f"hidden=[{i + 1}] · seed 0", linear_classifier(W, np.zeros(2)), data))
    return panels


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_boundaries_one_panel_per_run_showing_its_predictions_on_a_shared_grid():
    panels = boundary_panels(7)
    res = 11
    fig = _boundaries_figure(panels, title="b", score_label="P(class 1)", resolution=res, ncols=None)
    axes = image_axes(fig)
    assert len(axes) == 7
    xx, yy, extent = _plane_grid(np.vstack([np.vstack([d.X_train, d.X_val]) for _, _, d in panels]), res)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for ax, (_, predict, data) in zip(axes, panels, strict=True):
        np.testing.assert_allclose(ax.images[0].get_array(), predict(grid)[:, 1].reshape(res, res))
        np.testing.assert_allclose(ax.images[0].get_extent(), extent)
        assert (ax.get_xlim(), ax.get_ylim()) == (axes[0].get_xlim(), axes[0].get_ylim())  # panels compare
        accuracy = {s: np.mean(predict(X).argmax(axis=1) == y) for s, X, y in data.splits()}
        assert ax.get_title().endswith(
            f"train {100 * accuracy['train']:.1f}% · val {100 * accuracy['validation']:.1f}%"
        )
    # what every run shares goes to the figure's title; each panel names what differs
    assert axes[2].get_title().startswith("hidden=[3]\n") and "seed 0" in fig._suptitle.get_text()
    # one colour bar and one legend for the whole figure
    assert sum(ax.get_ylabel() == "P(class 1)" for ax in fig.axes) == 1 and len(fig.legends) == 1


def test_boundaries_shared_limits_cover_every_runs_data():
    near, far = boundary_panels(1)[0], boundary_panels(1)[0]
    shifted = type(far[2])(far[2].X_train + 10.0, far[2].y_train, far[2].X_val, far[2].y_val, "classification")
    fig = _boundaries_figure([near, ("far", far[1], shifted)], title="b", score_label="p", resolution=8, ncols=None)
    for ax in image_axes(fig):
        low, high = ax.get_xlim()
        assert low < near[2].X_train[:, 0].min() and high > shifted.X_train[:, 0].max()


@pytest.mark.parametrize(("n", "ncols"), [(1, 1), (3, 3), (4, 2), (7, 4), (10, 5), (30, 6), (50, 6)])
def test_boundary_columns_are_about_square_and_at_most_six(n, ncols):
    assert _boundary_columns(n) == ncols


def test_plot_boundaries_writes_a_real_png_for_many_runs_and_three_classes(tmp_path):
    path = plot_boundaries(boundary_panels(14), tmp_path / "b.png", title="b", dpi=DPI, resolution=16)
    assert_real_picture(path)
    data, predict = blobs(np.random.default_rng(1), 3, 10)
    path = plot_boundaries(
        [("a", predict, data), ("b", predict, data)], tmp_path / "c.png", title="c", dpi=DPI, resolution=16
    )
    assert_real_picture(path)
