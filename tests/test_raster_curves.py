"""The raster canvas (nnctl/plots/raster/canvas.py) and loss.png drawn on it
(nnctl/plots/raster/curves.py): ticks where matplotlib's locators put them, dashes of the
right lengths, the words and pixels of the picture, and which runs matplotlib still draws."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nnctl.files import made_by
from nnctl.plots import plot_loss
from nnctl.plots.common import SPLIT_COLORS
from nnctl.plots.raster.canvas import Canvas, _dashed, log_ticks, nice_ticks, rgb, tick_labels
from nnctl.plots.raster.curves import drawn_here, loss_canvas

# ---------------------------------------------------------------- ticks


@pytest.mark.parametrize(
    ("low", "high", "most", "integer", "expected"),
    [
        (-3.0, 63.0, 6, True, [0, 20, 40, 60]),  # an epoch axis of 60 epochs: a step of at least 11
        (0.03, 0.72, 9, False, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),  # 0.05 would give 14
        (0.58, 1.02, 9, False, [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]),
        (-0.4, 7.4, 6, True, [0, 2, 4, 6]),  # whole epochs only, never 2.5
        (-1.3, 2.1, 9, False, [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]),
    ],
)
def test_nice_ticks_take_the_smallest_round_step_of_at_least_the_span_over_most(low, high, most, integer, expected):
    assert np.allclose(nice_ticks(low, high, most, integer=integer), expected)


def test_tick_labels_carry_the_decimals_their_step_needs():
    assert tick_labels(np.array([0.05, 0.10, 0.15])) == ["0.05", "0.10", "0.15"]
    assert tick_labels(np.array([-1.0, 0.0, 1.0])) == ["\u22121", "0", "1"]  # a true minus, and 0 unsigned
    assert tick_labels(np.array([0.6, 0.65, 0.7]), percent=True) == ["60%", "65%", "70%"]
    assert tick_labels(np.array([0.95, 0.975, 1.0]), percent=True) == ["95.0%", "97.5%", "100.0%"]


def test_ticks_of_large_or_tiny_values_never_read_alike():
    """Three significant digits wrote 9.98e4, 9.99e4, 1e5, 1e5, 1e5 (a map's eastings; a loss
    near 1.23e8): plain numbers up to 1e9, beyond as many digits as the step needs."""
    assert tick_labels(nice_ticks(99800, 100300, 6)) == ["99800", "99900", "100000", "100100", "100200", "100300"]
    labels = tick_labels(np.array([1.2345678e9, 1.23456785e9, 1.2345679e9]))
    assert labels == ["1.2345678e9", "1.23456785e9", "1.2345679e9"]
    assert tick_labels(np.array([1e-4, 2e-4, 3e-4])) == ["1e\u22124", "2e\u22124", "3e\u22124"]


def test_log_ticks_are_1_2_5_over_few_decades_and_powers_of_ten_over_many():
    values, labels = log_ticks(0.03, 0.9, fine_decades=3.0)
    assert labels == ["0.05", "0.1", "0.2", "0.5"] and np.allclose(values, [0.05, 0.1, 0.2, 0.5])
    values, labels = log_ticks(1e-3, 1e200, fine_decades=3.0)
    assert labels == ["10⁰", "10⁵⁰", "10¹⁰⁰", "10¹⁵⁰", "10²⁰⁰"]
    assert np.allclose(np.log10(values), [0, 50, 100, 150, 200])  # a stride of 50 decades: five ticks


def test_a_dashed_line_is_cut_into_dashes_of_the_pattern():
    pieces, inside = _dashed(np.array([[0.0, 0.0], [100.0, 0.0]]), [10.0, 5.0])
    assert len(pieces) == 7  # 0-10, 15-25, ..., 90-100
    assert [round(p[0, 0]) for p in pieces] == [0, 15, 30, 45, 60, 75, 90]
    assert all(np.isclose(p[-1, 0] - p[0, 0], 10.0) for p in pieces)
    assert len(inside) == 0  # no vertex but the ends


def test_a_dashed_line_knows_which_of_its_vertices_fall_inside_a_dash():
    """Vertices 12, 22 and 33 along a bent line of 40 (dashes 0-10, 15-25, 30-40): 12 falls in a
    gap, 22 and 33 inside dashes, where the drawn line turns, each the same point in its piece."""
    xy = np.array([[0.0, 0.0], [12.0, 0.0], [22.0, 0.0], [22.0, 11.0], [22.0, 18.0]])  # lengths 12, 10, 11, 7
    pieces, inside = _dashed(xy, [10.0, 5.0])
    assert inside.tolist() == [2, 3]
    assert np.array_equal(pieces[1], [[15.0, 0.0], [22.0, 0.0], [22.0, 3.0]])
    assert np.array_equal(pieces[2], [[22.0, 8.0], [22.0, 11.0], [22.0, 18.0]])
    solid_pieces, everything = _dashed(xy, [1000.0, 1.0])
    assert len(solid_pieces) == 1 and everything.tolist() == [1, 2, 3]
    corner = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [10.0, 30.0]])  # the first dash ends on a turn
    assert _dashed(corner, [10.0, 5.0])[1].tolist() == [2]  # 10 ends a dash: no joint there; 20 is inside 15-25


def test_a_wide_dashed_line_gets_a_round_joint_where_it_turns_inside_a_dash_only():
    """A 6-pt right-angle turn inside a dash is filled round (the corner pixel outside the two
    straight strokes is drawn); the same turn in a gap leaves the canvas white there."""
    def corner(dash_start: float) -> int:
        canvas = Canvas((1.0, 1.0), 100)
        # down the left edge then right: the turn at (20, 80) is `dash_start` px from the start
        x, y = [20.0, 20.0, 80.0], [80.0 - dash_start, 80.0, 80.0]
        canvas.line(x, y, color="#000000", width=6.0, style=(4.0, 2.0))  # 8.3 px wide: dashes 33 px, gaps 17
        return int(canvas.pixels()[82, 18].min())  # outside the corner: covered only by a round joint
    assert corner(10.0) < 128  # the turn 10 px into the first dash: a joint
    assert corner(40.0) == 255  # 40 px in: inside the first gap (33-50): nothing drawn


def test_the_canvas_is_inches_times_dpi_and_averages_its_edges():
    canvas = Canvas((2.0, 1.0), 50)
    canvas.rectangle((10, 10, 30, 30), fill="#0072b2")
    pixels = canvas.pixels()
    assert pixels.shape == (50, 100, 3)
    assert tuple(pixels[20, 20]) == rgb("#0072b2") and tuple(pixels[40, 60]) == (255, 255, 255)
    canvas.line([0, 99], [45.5, 45.5], color="#000000", width=0.36)  # a third of a pixel wide: grey, not black
    assert 0 < canvas.pixels()[45:47, 50].min() < 255


# ---------------------------------------------------------------- loss.png


def loss_rows(n, accuracy=True):
    return [{"epoch": e, "train_loss": 1.0 / (e + 1), "val_loss": 1.2 / (e + 1),
             **({"train_accuracy": 0.5 + e / (2 * n), "val_accuracy": 0.5 + e / (2.2 * n)} if accuracy else {})}
            for e in range(n)]


def test_loss_picture_says_what_the_figure_says():
    canvas = loss_canvas(loss_rows(40), title="moons · 2-4-2 tanh", best_epoch=7, step="epoch", dpi=80)
    assert canvas.said["title"] == "moons · 2-4-2 tanh"
    loss, accuracy = canvas.panels
    assert (loss.said["ylabel"], accuracy.said["ylabel"]) == (["loss"], ["accuracy"])
    assert loss.said["legend"] == ["train", "validation", "best (epoch 7)"]
    assert loss.ylog  # 1 -> 0.025: more than 1.5 decades
    assert all(label.endswith("%") for label in accuracy.said["yticks"])
    assert (canvas.width, canvas.height) == (round(12.0 * 80), round(4.2 * 80))


def test_loss_picture_draws_the_train_curve_where_its_values_are():
    canvas = loss_canvas(loss_rows(50, accuracy=False), title="t", best_epoch=None, step="epoch", dpi=100)
    (panel,) = canvas.panels
    assert panel.ylog  # 1 -> 0.02 spans 1.7 decades: the pixel of a value is found on the log axis
    pixels = canvas.pixels().astype(int)
    u, v = panel.px(np.array([20.0]), np.array([1.0 / 21]))  # the train curve at epoch 20
    patch = pixels[int(v[0]) - 1 : int(v[0]) + 2, int(u[0]) - 1 : int(u[0]) + 2]
    assert patch.sum(axis=2).min() < 3 * 80  # near-black: train's colour is SPLIT_COLORS["train"]
    u, v = panel.px(np.array([25.0]), np.array([0.7]))  # nothing was drawn there (no grid line either)
    assert tuple(pixels[int(v[0]), int(u[0])]) == (255, 255, 255)
    assert SPLIT_COLORS["train"] == "#1a1a1a"


def test_plot_loss_draws_png_as_pixels_and_svg_with_matplotlib(tmp_path):
    png = plot_loss(loss_rows(10), tmp_path / "loss.png", title="t", dpi=60)
    with Image.open(png) as image:
        assert image.size == (round(12 * 60), round(4.2 * 60)) and image.info.get("Software") == "nnctl"
    svg = plot_loss(loss_rows(10), tmp_path / "loss.svg", title="t", dpi=60)
    assert svg.read_text().lstrip().startswith("<?xml")


def test_the_legend_keeps_off_the_best_epochs_line_and_the_curves():
    """An early-stopped run: the best epoch is `patience` epochs before the end, inside the
    upper-right box where the legend went; it goes where neither the falling curves nor the
    dotted line run, as matplotlib's loc='best' puts it."""
    rows = [{"epoch": e, "train_loss": 0.7 - 0.5 * e / 40, "val_loss": 0.72 - 0.5 * e / 40} for e in range(41)]
    (panel,) = loss_canvas(rows, title="t", best_epoch=35, step="epoch", dpi=60).panels
    assert panel.said["legend place"] == ["lower left"]
    (panel,) = loss_canvas(rows, title="t", best_epoch=None, step="epoch", dpi=60).panels
    assert panel.said["legend place"] == ["upper right"]
    rising = [{**row, "val_loss": 0.22 + 0.5 * row["epoch"] / 40} for row in rows]  # an X: over-fitting
    (panel,) = loss_canvas(rising, title="t", best_epoch=None, step="epoch", dpi=60).panels
    assert panel.said["legend place"] == ["right"]  # matplotlib's fifth place, the first free one


def test_a_diverged_run_is_left_to_matplotlib(tmp_path):
    rows = loss_rows(5)
    assert drawn_here(rows, None)
    assert not drawn_here(rows, {"epoch": 5, "train_loss": 1e9, "limit": 1e4})
    rows[3]["train_loss"] = float("inf")
    assert not drawn_here(rows, None)
    path = plot_loss(rows, tmp_path / "loss.png", title="t", dpi=40)
    with Image.open(path) as image:
        assert image.info.get("Software", "").startswith("Matplotlib")


def test_canvas_save_names_its_creator(tmp_path):
    canvas = Canvas((1.0, 1.0), 30)
    path = canvas.save(tmp_path / "p.png", creator="nnctl test")
    assert made_by(path, "nnctl test") and not made_by(path, "nnctl other")


def test_drawing_loss_png_never_imports_matplotlib(tmp_path):
    code = ("import sys; from nnctl.plots import plot_loss; "
            "rows = [{'epoch': e, 'train_loss': 1 / (e + 1), 'train_accuracy': 0.5} for e in range(30)]; "
            f"plot_loss(rows, {str(tmp_path / 'loss.png')!r}, title='t', dpi=50); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_the_canvas_draws_text_markers_and_segments_as_pillow_does_from_its_caches() -> None:
    """Canvas.text reuses each line's rendered glyphs (`_glyphs`), markers make each colour ink
    once and call Pillow's core, a two-point line skips the polyline's work (issue 18: a
    worker's pictures went faster); every pixel is the one ImageDraw's own calls draw."""
    from PIL import Image, ImageDraw

    from nnctl.plots.raster.canvas import SUPERSAMPLE, Canvas, _font, rgb

    canvas = Canvas((2.0, 1.5), 110)
    theirs = Image.new("RGB", canvas.surface.size, (255, 255, 255))
    draw = ImageDraw.Draw(theirs)
    rng = np.random.default_rng(3)
    points = rng.uniform(-5, 230, size=(200, 2))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    for shape, fill in (("o", [colors[i % 3] for i in range(200)]), ("s", None)):
        canvas.markers(points[:, 0], points[:, 1], shape=shape, size=5.0, fill=fill, edge="#222222", edge_width=0.6)
        stroke = max(1, round(canvas._big(0.6)))
        half = canvas._big(5.0) / 2 + stroke / 2
        for k, (u, v) in enumerate((points * SUPERSAMPLE).tolist()):
            box = (u - half, v - half, u + half, v + half)
            shaped = draw.ellipse if shape == "o" else draw.rectangle
            shaped(box, fill=None if fill is None else rgb(fill[k]), outline=rgb("#222222"), width=stroke)
    for k in range(3):  # the same words twice at each of three places: drawn again from the cache
        for text, (x, y) in (("0.25", (20.3 + k, 30.7)), ("epoch", (100.05, 80.5 + k / 3))):
            canvas.text(x, y, text, anchor="ma")
            draw.text((x * SUPERSAMPLE, y * SUPERSAMPLE), text, font=_font(round(canvas._big(10.0)), False),
                      fill=(0, 0, 0), anchor="ma")
    canvas.line([3.2, 150.7], [9.9, 120.4], color="#b0b0b0", width=0.8)
    draw.line([(6.4, 19.8), (301.4, 240.8)], fill=rgb("#b0b0b0"), width=max(1, round(canvas._big(0.8))))
    assert np.array_equal(np.asarray(canvas.surface), np.asarray(theirs))


def test_a_palette_picture_is_written_with_the_entries_its_pixels_use_and_reads_back_the_same():
    """Report thumbnails: 256-colour images as PNG colour type 3, PLTE cut to the entries used
    (an octree's palette has 256 for a three-colour curve); anything else is refused, not
    written wrong."""
    import io

    from PIL import Image

    from nnctl.plots.raster.canvas import png_bytes

    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), "RGB")
    three = np.array([[0, 114, 178], [230, 159, 0], [255, 255, 255]], np.uint8)
    flat = Image.fromarray(three[rng.integers(0, 3, (9, 7))], "RGB")
    for image, colours in ((noisy, 256), (flat, 3)):
        for method in (Image.Quantize.MEDIANCUT, Image.Quantize.FASTOCTREE):
            quantized = image.quantize(256, method=method)
            data = png_bytes(quantized, dpi=100)
            assert data[25] == 3  # IHDR's colour type: palette
            back = Image.open(io.BytesIO(data))
            back.load()
            assert back.mode == "P" and len(back.getpalette("RGB")) // 3 == int(np.asarray(quantized).max()) + 1
            assert np.array_equal(np.asarray(back.convert("RGB")), np.asarray(quantized.convert("RGB")))
            assert len(np.unique(np.asarray(back.convert("RGB")).reshape(-1, 3), axis=0)) <= colours
    with pytest.raises(ValueError, match="the palette has 0"):
        png_bytes(Image.new("P", (4, 4)), dpi=100)
    see_through = flat.quantize(256)
    see_through.info["transparency"] = 0
    with pytest.raises(ValueError, match="opaque RGB"):
        png_bytes(see_through, dpi=100)


def test_a_translucent_polygon_blends_each_pixel_once_and_crossings_darken():
    """network.png's ribbons: a half-opaque square over white is one colour to its edges (a
    pixel drawn twice, as fill then outline, would be darker there), and where a second one
    crosses it the two blend: 1/4 of white shows through."""
    canvas = Canvas((1.0, 1.0), 100)
    canvas.polygon([10, 90, 90, 10], [10, 10, 90, 90], fill="#0000ff", alpha=0.5)
    canvas.polygon([50, 99, 99, 50], [50, 50, 99, 99], fill="#0000ff", alpha=0.5)
    pixels = canvas.pixels().astype(int)
    once = pixels[10:50, 10:50].reshape(-1, 3)
    assert (once == once[0]).all() and abs(once[0, 0] - 128) <= 1 and once[0, 2] == 255  # edges included
    twice = pixels[50:90, 50:90].reshape(-1, 3)
    assert (twice == twice[0]).all() and abs(twice[0, 0] - 64) <= 1
    assert tuple(pixels[5, 5]) == (255, 255, 255)
