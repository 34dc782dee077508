"""report.html's loss thumbnails drawn as pixels (nnctl/plots/raster/thumbnails.py): the lines
where their values are, the log axis, matplotlib's tick places, and no matplotlib imported."""

import io
import subprocess
import sys

import numpy as np
import pytest

from nnctl.plots.raster.canvas import MAX_N_STEPS, nice_ticks
from nnctl.plots.raster.thumbnails import MARGINS, loss_pixels

WIDTH, HEIGHT = 520, 156  # report.html's: twice the model's 260 px, 0.6 x 260 high


def rows(train, val=None):
    """metrics.csv rows, epochs from 1."""
    return [{"epoch": k + 1, "train_loss": float(t), **({} if val is None else {"val_loss": val[k]})}
            for k, t in enumerate(train)]


def row_at(value, low, high, *, log=False):
    """The pixel row of `value` on an axis whose data span is [low, high] (5% margins, as matplotlib's)."""
    if log:
        value, low, high = np.log10(value), np.log10(low), np.log10(high)
    bottom, top = low - 0.05 * (high - low), high + 0.05 * (high - low)
    y0, y1 = MARGINS[1], HEIGHT - MARGINS[3]
    return round(y1 - (value - bottom) / (top - bottom) * (y1 - y0))


def test_train_is_a_dark_solid_line_and_validation_a_grey_dashed_one_where_their_values_are():
    pixels = loss_pixels(rows([1.0] * 20, [2.0] * 20), width=WIDTH, height=HEIGHT).astype(int)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    inside = slice(MARGINS[0] + 30, WIDTH - MARGINS[2] - 30)
    train = pixels[row_at(1.0, 1.0, 2.0) - 1 : row_at(1.0, 1.0, 2.0) + 2, inside].min(axis=0)
    assert train.max() < 60  # #1a1a1a all along: solid
    val = pixels[row_at(2.0, 1.0, 2.0) - 1 : row_at(2.0, 1.0, 2.0) + 2, inside].min(axis=0)[:, 0]
    assert 90 < np.median(val[val < 200]) < 130  # #6b6b6b where drawn
    assert (val > 230).sum() > 0.15 * len(val) and (val < 130).sum() > 0.4 * len(val)  # dashes and gaps
    between = pixels[row_at(1.5, 1.0, 2.0) + 5, inside]  # white between them, but for the grid
    assert (between > 220).all()  # the grid: #b0b0b0 at 30% over white


def test_a_loss_falling_by_decades_is_a_straight_line_on_a_log_axis():
    loss = 10.0 ** (-np.arange(31) / 10)  # 1 -> 0.001
    pixels = loss_pixels(rows(loss), width=WIDTH, height=HEIGHT).astype(int)
    x0, x1 = MARGINS[0], WIDTH - MARGINS[2]
    middle = round(x0 + (x1 - x0) / 2)  # epoch 16 of 1..31: loss 10^-1.5
    top, bottom = MARGINS[1] + 2, HEIGHT - MARGINS[3] - 2  # inside the frame: its top edge is dark too
    column = pixels[top:bottom, middle - 1 : middle + 2, 0].min(axis=1)
    dark = top + np.flatnonzero(column < 80)
    assert abs(np.median(dark) - row_at(10**-1.5, 1e-3, 1.0, log=True)) <= 2
    # on a linear axis it would be near the bottom: 0.03 of a span of 1
    assert row_at(10**-1.5, 1e-3, 1.0) - np.median(dark) > 40


def test_no_finite_loss_no_thumbnail_and_gaps_stay_gaps():
    assert loss_pixels(rows([np.nan] * 5), width=WIDTH, height=HEIGHT) is None
    assert loss_pixels([], width=WIDTH, height=HEIGHT) is None
    val = [None] * 10 + [2.0] * 10  # validation rows start at epoch 11
    pixels = loss_pixels(rows([1.0] * 20, val), width=WIDTH, height=HEIGHT).astype(int)
    y = row_at(2.0, 1.0, 2.0)
    band = pixels[y - 1 : y + 2, :, 0].min(axis=0)
    first = MARGINS[0] + round((11 - 0.05) / 20.9 * (WIDTH - MARGINS[0] - MARGINS[2]))  # epoch 11's x
    assert (band[MARGINS[0] + 40 : first - 5] > 230).all() and (band[first : first + 40] < 150).any()


@pytest.mark.parametrize(
    ("low", "high", "bins", "integer"),
    [(-1.95, 62.95, 4, True), (-999.95, 20999.95, 4, True), (0.13, 0.82, 3, False), (0.28, 0.75, 3, False),
     (0.6999, 0.7201, 3, False), (0.95, 1.05, 4, True), (-4.5, 104.5, 4, True), (2.1e-5, 9.7e-5, 3, False),
     (1.0, 3.0, 4, True)],
)
def test_ticks_are_where_matplotlibs_max_n_locator_puts_them(low, high, bins, integer):
    from matplotlib.ticker import MaxNLocator

    theirs = MaxNLocator(nbins=bins, integer=integer).tick_values(low, high)
    theirs = theirs[(theirs >= low) & (theirs <= high)]
    ours = nice_ticks(low, high, bins, integer=integer, steps=MAX_N_STEPS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_report_thumbnails_of_a_2d_classifier_import_no_matplotlib():
    code = """
import sys
import numpy as np
from nnctl.plots import PlotData, loss_thumbnail, model_thumbnail
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
data = PlotData(X[:50], y[:50], X[50:], y[50:], "classification")
predict = lambda Z: np.column_stack([-Z[:, 0], Z[:, 0]])
model, label = model_thumbnail(predict, data, width=260)
loss = loss_thumbnail([{"epoch": k, "train_loss": 1 / (k + 1), "val_loss": 1.2 / (k + 1)} for k in range(30)],
                      width=520, height=156, by_class=True)
sys.stdout.buffer.write(loss)
print("matplotlib" in sys.modules, label, file=sys.stderr)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert done.stderr.decode().split() == ["False", "decision", "boundary"]
    from PIL import Image

    assert Image.open(io.BytesIO(done.stdout)).size == (WIDTH, HEIGHT)


def test_a_dropped_thumbnail_canvas_is_freed_at_once_not_at_the_next_full_collection():
    """A reference cycle through the canvas (a panel holding it, it holding its panels) keeps its
    3x picture (2 MB here, 16 MB for loss.png) until Python's cyclic collector runs a full pass:
    a sweep's worker grew by a picture a run (loss.png alone: 78 -> 246 MB over 15 runs)."""
    import gc
    import weakref

    from nnctl.plots.raster.thumbnails import loss_thumbnail_canvas

    gc.disable()
    try:
        canvas = loss_thumbnail_canvas(rows([1.0, 0.5, 0.3]), width=WIDTH, height=HEIGHT)
        dropped = weakref.ref(canvas)
        del canvas
        assert dropped() is None
    finally:
        gc.enable()
