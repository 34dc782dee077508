"""boundary.png drawn as pixels (nnctl/plots/raster/model.py): the regions, boundary, points and
rings where the data puts them, what the picture says (title, accuracy, sample, legend, colour
bar), its size and metadata, and which pictures go there rather than to matplotlib."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from plot_helpers import blobs, linear_classifier

from nnctl.files import made_by
from nnctl.plots import PlotData, plot_boundary
from nnctl.plots.common import (
    BOUNDARY,
    class_colors,
    hex_rgb,
    region_colors,
    two_class_band_colors,
)
from nnctl.plots.raster import model as raster_model
from nnctl.plots.raster.canvas import Canvas


def rgb255(color) -> np.ndarray:
    return np.round(255 * np.asarray(color, float)).astype(int)


def two_sides():
    """Class 0 left of x₀ = 0, class 1 right (P(class 1) = sigmoid(3 x₀)); one class-1 training
    point at (-1, -1.5) on the wrong side (ringed), a lone class-0 circle at (-2, 1.5) and a lone
    class-1 validation square at (2, -1.5)."""
    rng = np.random.default_rng(0)
    X0 = np.array([-2.0, 0.0]) + 0.2 * rng.normal(size=(20, 2))
    X1 = np.array([2.0, 0.0]) + 0.2 * rng.normal(size=(20, 2))
    X_train = np.vstack([X0, X1, [[-1.0, -1.5], [-2.0, 1.5]]])
    y_train = np.array([0] * 20 + [1] * 20 + [1, 0])
    data = PlotData(X_train, y_train, np.array([[2.0, -1.5]]), np.array([1]), "classification")
    predict = lambda X: np.column_stack([1 / (1 + np.exp(3 * X[:, 0])), 1 / (1 + np.exp(-3 * X[:, 0]))])  # noqa: E731
    return data, predict


def at(canvas: Canvas, x: float, y: float, panel: int = 0) -> np.ndarray:
    """The final picture's pixel (r, g, b) at data (x, y) of a panel."""
    u, v = canvas.panels[panel].px([x], [y])
    return canvas.pixels()[int(v[0]), int(u[0])].astype(int)


def test_regions_boundary_points_and_rings_are_where_the_data_puts_them():
    data, predict = two_sides()
    canvas = raster_model.boundary_canvas(predict, data, title="t", dpi=110)
    plane = canvas.panels[0]
    (x0, x1), (y0, y1) = plane.xlim, plane.ylim
    bands, colors = rgb255(two_class_band_colors(class_colors(2))), rgb255(class_colors(2))
    # the corners, far from the boundary: the first and last band of P(class 1), exactly
    np.testing.assert_array_equal(at(canvas, x0 + 0.05, y1 - 0.05), bands[0])
    np.testing.assert_array_equal(at(canvas, x1 - 0.05, y0 + 0.05), bands[-1])
    # the boundary x₀ = 0, away from every point: black
    assert np.abs(at(canvas, 0.0, y1 - 0.2 * (y1 - y0)) - rgb255(hex_rgb(BOUNDARY))).max() < 40
    # points in their true class's colour: a lone circle, a lone square, the misclassified one
    np.testing.assert_array_equal(at(canvas, -2.0, 1.5), colors[0])
    np.testing.assert_array_equal(at(canvas, 2.0, -1.5), colors[1])
    np.testing.assert_array_equal(at(canvas, -1.0, -1.5), colors[1])
    # its ring: black 5.7 pt from its centre (130 pt² across), nothing like it around the others
    ring = canvas.pt(np.sqrt(130) / 2) * (x1 - x0) / (plane.box[2] - plane.box[0])
    assert at(canvas, -1.0 + ring, -1.5).max() < 90
    assert at(canvas, -2.0 + ring, 1.5).min() > 120


def test_three_classes_shade_each_region_in_its_colour_without_a_colour_bar():
    data, predict = blobs(np.random.default_rng(0), 3, 20)
    canvas = raster_model.boundary_canvas(predict, data, title="t", dpi=80, resolution=60)
    assert len(canvas.panels) == 1  # the plane alone: no colour bar
    plane = canvas.panels[0]
    (x0, x1), (y0, y1) = plane.xlim, plane.ylim
    corner = np.array([[x0 + 0.02 * (x1 - x0), y0 + 0.02 * (y1 - y0)]])
    expected = rgb255(region_colors(predict(corner), class_colors(3))[0])
    assert np.abs(at(canvas, *corner[0]) - expected).max() <= 3  # bilinear between cells


def recorded(monkeypatch) -> dict[str, list]:
    """Every text a canvas writes and every batch of markers it draws (shape, count, hollow)."""
    seen: dict[str, list] = {"text": [], "markers": []}
    text, markers = Canvas.text, Canvas.markers

    def spy_text(self, x, y, s, **kw):
        seen["text"].append(s)
        return text(self, x, y, s, **kw)

    def spy_markers(self, x, y, **kw):
        seen["markers"].append((kw.get("shape", "o"), len(np.atleast_1d(x)), kw.get("fill", 1) is None))
        return markers(self, x, y, **kw)

    monkeypatch.setattr(Canvas, "text", spy_text)
    monkeypatch.setattr(Canvas, "markers", spy_markers)
    return seen


def test_the_picture_says_accuracy_sample_legend_and_colour_bar(monkeypatch):
    rng = np.random.default_rng(3)
    y = (np.arange(40_000) % 10 == 0).astype(int)
    X = rng.normal(size=(40_000, 2)) + 1.5 * y[:, None]
    data = PlotData(X[10_000:], y[10_000:], X[:10_000], y[:10_000], "classification")
    predict = linear_classifier(np.array([[-1.0, 1.0], [-1.0, 1.0]]), np.array([0.0, -1.5]))
    seen = recorded(monkeypatch)
    raster_model.boundary_canvas(predict, data, title="moons · 2-16-2 tanh", dpi=60, resolution=30,
                                 score_label="P(class 1)")
    accuracy = {s: np.mean(predict(Xs).argmax(axis=1) == ys) for s, Xs, ys in data.splits()}
    assert "moons · 2-16-2 tanh" in seen["text"]
    assert (f"accuracy: train {100 * accuracy['train']:.1f}% (n=30,000) · validation "
            f"{100 * accuracy['validation']:.1f}% (n=10,000)\na stratified sample of 2,000 of 40,000 points drawn"
            ) in seen["text"]
    assert {"class 0", "class 1", "train", "validation", "misclassified", "decision boundary", "P(class 1)", "x₀",
            "x₁", "0.0", "1.0"} <= set(seen["text"])
    # 1500 train circles and 500 validation squares drawn; rings (white halo, then black) in
    # the share of the errors, stratified
    points = [(shape, n) for shape, n, hollow in seen["markers"] if not hollow and n > 1]
    assert points == [("o", 1500), ("s", 500)]
    rings = [n for shape, n, hollow in seen["markers"] if hollow and n > 1]
    wrong = sum(np.sum(predict(Xs).argmax(axis=1) != ys) for _, Xs, ys in data.splits())
    assert len(rings) == 2 and rings[0] == rings[1] and abs(rings[0] / 2000 - wrong / 40_000) < 0.002


def test_known_accuracy_is_said_and_spares_predicting_every_point(monkeypatch):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20_000, 2)), np.arange(20_000) % 2
    data = PlotData(X, y, X[:0], y[:0], "classification")
    rows = []
    predict = lambda X: rows.append(len(X)) or np.column_stack([1 / (1 + np.exp(X[:, 0])), 1 / (1 + np.exp(-X[:, 0]))])  # noqa: E731
    seen = recorded(monkeypatch)
    raster_model.boundary_canvas(predict, data, title="t", dpi=40, resolution=20, accuracy={"train": 0.25})
    assert sum(rows) <= 20 * 20 + 2000
    assert "accuracy: train 25.0% (n=20,000)\na stratified sample of 2,000 of 20,000 points drawn" in seen["text"]


@pytest.mark.parametrize(("n_classes", "dpi"), [(2, 60), (3, 110), (3, 200)])
def test_the_png_has_the_figures_size_and_names_its_creator(tmp_path, n_classes, dpi):
    from PIL import Image

    from nnctl.plots.common import save
    from nnctl.plots.model import _boundary_figure

    data, predict = blobs(np.random.default_rng(n_classes), n_classes, 20)
    path = plot_boundary(predict, data, tmp_path / "boundary.png", title="b", dpi=dpi, resolution=30,
                         creator="nnctl test")
    assert made_by(path, "nnctl test") and not made_by(path, "someone else")
    figure = save(_boundary_figure(predict, data, title="b", resolution=30), tmp_path / "figure.png", dpi)
    with Image.open(path) as image, Image.open(figure) as drawn_by_matplotlib:
        assert image.info["Software"] == "nnctl"  # drawn as pixels, not by matplotlib
        assert image.size == drawn_by_matplotlib.size  # the figure's inches at that dpi, as Agg counts pixels
        assert round(image.info["dpi"][0]) == dpi


def test_other_formats_and_more_than_ten_classes_stay_with_matplotlib(tmp_path):
    from PIL import Image

    data, predict = blobs(np.random.default_rng(0), 3, 20)
    svg = plot_boundary(predict, data, tmp_path / "b.svg", title="b", dpi=40, resolution=10)
    assert b"<svg" in svg.read_bytes()[:400]
    rng = np.random.default_rng(0)
    y = np.arange(110) % 11
    eleven = PlotData(rng.normal(size=(110, 2)), y, np.zeros((0, 2)), y[:0], "classification")
    assert not raster_model.drawn_here(eleven) and raster_model.drawn_here(data)
    png = plot_boundary(lambda X: np.ones((len(X), 11)) / 11, eleven, tmp_path / "b.png", title="b", dpi=40,
                        resolution=10)
    with Image.open(png) as image:
        assert image.info["Software"].startswith("Matplotlib")


def test_drawing_imports_no_matplotlib(tmp_path):
    """A run's boundary.png costs no import of matplotlib (0.5-0.9 s a process)."""
    script = f"""
import sys
import numpy as np
from pathlib import Path
from nnctl.plots import PlotData, plot_boundary
X = np.random.default_rng(0).normal(size=(300, 2)); y = (X[:, 0] > 0).astype(int)
data = PlotData(X[:240], y[:240], X[240:], y[240:], "classification")
plot_boundary(lambda X: np.column_stack([X[:, 1], X[:, 0]]), data, Path({str(tmp_path / 'b.png')!r}), title="t",
              dpi=50, resolution=30)
assert "matplotlib" not in sys.modules, sorted(m for m in sys.modules if m.startswith("matplotlib"))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_the_bands_are_matplotlibs_colour_map_read_at_their_middles():
    from nnctl.plots.common import two_class_cmap

    for colors in (class_colors(2), class_colors(3)[1:]):
        middles = np.linspace(0.05, 0.95, 10)
        np.testing.assert_allclose(two_class_band_colors(colors), two_class_cmap(colors)(middles)[:, :3], atol=1e-12)


def test_scores_that_are_not_numbers_leave_the_plane_white():
    """A diverged model's NaN scores: white regions (imshow's bad pixels), no boundary, no crash."""
    data, _ = two_sides()
    for columns in (2, 3):
        nan = lambda X, k=columns: np.full((len(X), k), np.nan)  # noqa: E731
        canvas = raster_model.boundary_canvas(nan, data, title="t", dpi=50, resolution=20)
        (x0, _), (_, y1) = canvas.panels[0].xlim, canvas.panels[0].ylim
        np.testing.assert_array_equal(at(canvas, x0 + 0.05, y1 - 0.05), [255, 255, 255])
