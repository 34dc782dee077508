"""sweep.png and boundaries.png drawn as pixels (nnctl/plots/raster/sweep.py): the lines, bands
and legends of sweep.png, the panels of boundaries.png in reading order, one run at a time, their
words and sizes, and no matplotlib."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from plot_helpers import DPI
from test_plots_sweep import boundary_panels, random_search_rows

from nnctl.files import made_by
from nnctl.plots import plot_boundaries, plot_sweep
from nnctl.plots.common import CLASS_COLORS, class_colors, save
from nnctl.plots.common import two_class_band_colors as two_class_bands
from nnctl.plots.raster import sweep as raster_sweep
from nnctl.plots.raster.canvas import MAX_N_STEPS, Canvas, blend, nice_ticks
from nnctl.plots.sweep import _boundaries_figure, _runs_picture, _sweep_picture

SHOWN = 110  # dpi of the pictures a sweep writes: lines and points as wide as they are drawn (DPI is 40)


@pytest.fixture
def texts(monkeypatch):
    """Every text the canvases draw, in order."""
    drawn = []
    text = Canvas.text

    def spy(self, x, y, words, **style):
        drawn.append(words)
        return text(self, x, y, words, **style)

    monkeypatch.setattr(Canvas, "text", spy)
    return drawn


def lr_rows(hidden=((4,),)):
    """Learning rates 0.001, 0.01, 0.1 (two decades: a log axis) x the widths x seeds 0 and 1;
    the accuracy is 0.8 (seed 0) and 0.9 (seed 1) everywhere."""
    return [{"model.hidden": list(h), "optimizer.lr": lr, "seed": seed, "status": "completed",
             "final.val_accuracy": 0.8 + 0.1 * seed} for h in hidden for lr in (0.001, 0.01, 0.1) for seed in (0, 1)]


def frame_box(pixels):
    """(x0, y0, x1, y1) of the one panel's frame: the columns and rows that are dark most of their length."""
    dark = pixels.mean(axis=2) < 180  # a 0.8-pt frame covers a pixel column partly: grey
    columns = np.flatnonzero(dark.sum(axis=0) > 0.5 * pixels.shape[0])
    rows = np.flatnonzero(dark.sum(axis=1) > 0.6 * pixels.shape[1])
    return columns.min(), rows.min(), columns.max(), rows.max()


# ---------------------------------------------------------------- sweep.png


def test_sweep_line_is_the_seed_mean_over_a_band_from_lowest_to_highest_seed():
    picture = _sweep_picture(lr_rows(), ["optimizer.lr"], metric="final.val_accuracy", title="lr")
    pixels = raster_sweep.sweep_canvas(picture, dpi=SHOWN).pixels().astype(float)
    assert pixels.shape == (round(4.1 * SHOWN), round(5.6 * SHOWN), 3)  # one panel of 5.6 x 4.1 inches
    x0, y0, x1, y1 = frame_box(pixels)
    # the log axis is symmetric around 0.01, the y axis (0.8 - 5%, 0.9 + 5%) around the mean 0.85
    middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
    line = 255 * np.array([int(CLASS_COLORS[0][i : i + 2], 16) / 255 for i in (1, 3, 5)])
    column = pixels[round(middle_y) - 3 : round(middle_y) + 4, round(middle_x) + 12]
    assert np.abs(column - line).sum(axis=1).min() < 30  # the line, flat, 1.8 pt wide
    band_y = y1 - (0.81 - 0.795) / (0.905 - 0.795) * (y1 - y0)  # 0.81: inside the band (0.8 to 0.9), off the grid
    np.testing.assert_allclose(pixels[round(band_y), round(middle_x) + 12], blend(CLASS_COLORS[0], 0.16), atol=6)
    above = y0 + (0.905 - 0.903) / 0.11 * (y1 - y0) + 3  # over 0.9: no band
    np.testing.assert_allclose(pixels[round(above), round(middle_x) + 12], 255, atol=3)


def test_sweep_legends_ticks_and_caption_say_what_the_figure_says(texts):
    rows = lr_rows(hidden=((4,), (16,)))
    rows[0] |= {"status": "failed", "final.val_accuracy": None}
    picture = _sweep_picture(rows, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="widths")
    canvas = raster_sweep.sweep_canvas(picture, dpi=DPI)
    assert (canvas.width, canvas.height) == (round(2 * 5.6 * DPI), round(4.1 * DPI))
    # the legend of each panel: its title, then one entry per value of the other setting, in order
    legend = texts.index("optimizer.lr")
    assert texts[legend : legend + 4] == ["optimizer.lr", "0.001", "0.01", "0.1"]
    assert texts[texts.index("model.hidden") :][:3] == ["model.hidden", "[4]", "[16]"]
    assert {"4", "16", "model.hidden (width)", "final.val_accuracy", "widths"} <= set(texts)
    assert any(t.endswith("%") for t in texts)  # accuracies in percent
    assert texts[1] == ("line: mean over 2 seeds · band: lowest to highest seed · "
                        "1 run without a value (1 failed), not drawn")


def test_sweep_png_is_drawn_as_pixels_only_for_the_cases_drawn_here(tmp_path):
    rows, _ = random_search_rows(4)
    assert _sweep_picture(rows, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="s") is None
    many = lr_rows(hidden=[(w,) for w in range(1, 8)])  # 7 lines a panel: viridis, matplotlib's
    assert _sweep_picture(many, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="s") is None
    symlog = [{"l2": v, "seed": 0, "final.val_accuracy": 0.9} for v in (0.0, 1e-4, 1e-3, 1e-2)]
    assert _sweep_picture(symlog, ["l2"], metric="final.val_accuracy", title="s") is None
    path = raster_sweep.plot_sweep(_sweep_picture(lr_rows(), ["optimizer.lr"], metric="final.val_accuracy",
                                                  title="s"), tmp_path / "sweep.png", dpi=DPI, creator="nnctl sweep")
    assert made_by(path, "nnctl sweep")


# ---------------------------------------------------------------- boundaries.png


def test_boundaries_one_panel_per_run_in_reading_order_with_titles_legend_and_bar(texts, tmp_path):
    panels = boundary_panels(7)
    picture = _runs_picture(panels, title="b", score_label="P(class 1)", resolution=12, ncols=None)
    image = raster_sweep.boundaries_image(panels, picture, dpi=DPI)
    titles = [t for t in texts if t.startswith("hidden=")]
    assert titles == [f"hidden=[{i}]" for i in range(1, 8)]  # reading order; "seed 0" is every run's
    assert sum(t.startswith("train ") and " · val " in t for t in texts) == 7
    assert "b\nevery run: seed 0" in texts and "P(class 1)" in texts
    assert texts[-5:] == ["class 0", "class 1", "train", "validation", "decision boundary"]
    # the size of matplotlib's PNG (whole pixels, truncated: 491.6 is 491, 431.99999999999994 is 432)
    figure = _boundaries_figure(panels, title="b", score_label="P(class 1)", resolution=12, ncols=None)
    assert image.size == Image.open(save(figure, tmp_path / "b.png", DPI)).size


def test_boundaries_panels_show_the_regions_the_boundary_and_the_points():
    panels = boundary_panels(1, n_val=0)  # class 1 where x0 < 0, sure far from the line x0 = 0
    picture = _runs_picture(panels, title="b", score_label="P(class 1)", resolution=40, ncols=None)
    pixels = np.asarray(raster_sweep.boundaries_image(panels, picture, dpi=SHOWN)).astype(float)
    x0, y0, x1, y1 = picture.axes_box(0, SHOWN)
    bands = 255 * two_class_bands(class_colors(2))
    np.testing.assert_allclose(pixels[y0 + 4, x0 + 4], bands[-1], atol=8)  # P(class 1) ~ 1: the last band
    np.testing.assert_allclose(pixels[y0 + 4, x1 - 5], bands[0], atol=8)
    extent = picture.plane[2]
    line = round(x0 + (0 - extent[0]) / (extent[1] - extent[0]) * (x1 - x0))
    assert pixels[y0 + 3 : y0 + 12, line - 3 : line + 4].min(axis=1).max() < 120  # the boundary: a 1.1-pt black line
    inside = pixels[y0:y1, x0:x1].reshape(-1, 3)
    for colour in 255 * class_colors(2):  # the points, small, in their class's colour (the regions are paler)
        assert np.abs(inside - colour).sum(axis=1).min() < 40


def test_boundaries_draws_one_run_at_a_time():
    """A panel's grid, its accuracy and its pixels, then the next run's: no run's grid waits
    for the others (300 runs' grids and figures were 570 MB)."""
    calls = []

    def watched(i, predict):
        return lambda X: calls.append((i, len(X))) or predict(X)

    panels = [(label, watched(i, predict), data) for i, (label, predict, data) in enumerate(boundary_panels(4))]
    picture = _runs_picture(panels, title="b", score_label="p", resolution=10, ncols=None)
    raster_sweep.boundaries_image(panels, picture, dpi=DPI)
    drawing = [i for i, n in calls if n > 1]
    assert drawing == sorted(drawing) and len(drawing) == 4 * 3  # the grid, train and validation per run


@pytest.mark.parametrize(("n", "long_labels"), [(1, False), (7, False), (13, True), (30, False)])
def test_boundaries_written_a_band_at_a_time_are_the_whole_picture(n, long_labels):
    """boundaries.png is encoded a band of rows at a time (`boundaries_bands`, issue 18: a
    300-run picture was 35 MB of pixels in the sweep's parent): every band ends above the
    highest title the next row of panels can have, and the rows are the whole picture's."""
    import io

    from nnctl.plots.raster.canvas import write_png

    panels = [(label + (" · a much longer label, which wraps onto lines of its own" * (i % 3) if long_labels else ""),
               predict, data) for i, (label, predict, data) in enumerate(boundary_panels(n))]
    picture = _runs_picture(panels, title="b", score_label="P(class 1)", resolution=12, ncols=None)
    # the whole picture, every panel pasted, then the heading, colour bar and legend over them
    size = tuple(int(v * SHOWN + 1e-6) for v in picture.size())
    image, splits = Image.new("RGB", size, (255, 255, 255)), []
    for index, (_, predict, data) in enumerate(panels):
        tile, origin, shown = raster_sweep._run_tile(index, predict, data, picture, SHOWN)
        raster_sweep._paste(image, tile, origin)
        splits += [split for split in shown if split not in splits]
    raster_sweep._paste(image, raster_sweep._heading(picture, size[0], SHOWN), (0, 0))
    raster_sweep._paste(image, *raster_sweep._colour_bar(picture, SHOWN))
    raster_sweep._paste(image, *raster_sweep._runs_legend(picture, splits, size, SHOWN))
    whole = np.asarray(image)
    drawn = raster_sweep.boundaries_bands(panels, picture, dpi=SHOWN)
    bands = list(drawn.bands)
    assert drawn.size == (whole.shape[1], whole.shape[0]) and len(bands) == picture.grid.nrows
    assert np.array_equal(np.vstack(bands), whole)
    assert max(band.shape[0] for band in bands) <= 2 * picture.grid.row_height * SHOWN  # about a row of panels
    a, b = io.BytesIO(), io.BytesIO()
    write_png(a, whole, dpi=SHOWN)
    write_png(b, raster_sweep.boundaries_bands(panels, picture, dpi=SHOWN), dpi=SHOWN)
    assert a.getvalue() == b.getvalue()


def test_max_n_ticks_are_matplotlibs():
    from matplotlib.ticker import MaxNLocator

    for low, high in [(-1.8, 3.05), (-1.45, 2.0), (-6.1, 6.3), (0.013, 0.021), (-3.9, 5.2)]:
        expected = MaxNLocator(nbins=4).tick_values(low, high)
        expected = expected[(expected >= low) & (expected <= high)]
        np.testing.assert_allclose(nice_ticks(low, high, 4, steps=MAX_N_STEPS), expected)


def test_two_class_bands_are_the_colour_bars():
    from nnctl.plots.common import banded_two_classes

    colors = class_colors(2)
    cmap, _ = banded_two_classes(colors)
    np.testing.assert_allclose(two_class_bands(colors), [cmap(k)[:3] for k in range(10)], atol=0.004)


def test_sweep_pictures_as_pixels_need_no_matplotlib(tmp_path):
    script = f"""
import sys
sys.path.insert(0, {str(__file__.rsplit("/", 1)[0])!r})
from test_raster_sweep import lr_rows
from test_plots_sweep import boundary_panels
from nnctl.plots import plot_boundaries, plot_sweep
plot_sweep(lr_rows(), ["optimizer.lr"], {str(tmp_path / "s.png")!r}, metric="final.val_accuracy", title="s")
plot_boundaries(boundary_panels(3), {str(tmp_path / "b.png")!r}, title="b", resolution=10)
print("matplotlib" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert (tmp_path / "s.png").stat().st_size > 1000 and (tmp_path / "b.png").stat().st_size > 1000


def test_plot_boundaries_sends_png_here_and_svg_to_matplotlib(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(raster_sweep, "plot_boundaries", lambda *a, **k: drawn.append("raster"))
    plot_boundaries(boundary_panels(2), tmp_path / "b.png", title="b", dpi=DPI, resolution=8)
    plot_boundaries(boundary_panels(2), tmp_path / "b.svg", title="b", dpi=DPI, resolution=8)
    assert drawn == ["raster"] and (tmp_path / "b.svg").read_text().startswith("<?xml")
    monkeypatch.setattr(raster_sweep, "plot_sweep", lambda *a, **k: drawn.append("sweep"))
    plot_sweep(lr_rows(), ["optimizer.lr"], tmp_path / "s.png", metric="final.val_accuracy", title="s", dpi=DPI)
    assert drawn == ["raster", "sweep"]
