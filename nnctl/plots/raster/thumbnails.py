"""report.html's loss thumbnails drawn as pixels (layer 1: numpy; see `nnctl.plots.raster`).

A run's card in report.html shows its loss per epoch in a strip twice as wide as the model's
thumbnail: train solid, validation dashed (`split_line`'s styles, as in loss.png), on a log axis
when the loss spans decades, a few ticks in 8-pt type, no title, axis label or legend (the
page's caption says which line is which). matplotlib drew it in 30-60 ms after a 0.5-0.9 s
import; drawn here on `canvas.Canvas` in a few milliseconds with nothing to import. The look
is that figure's: the axes box at the same pixels, 1.4-pt lines, the light grid at the major
ticks, 2-pt ticks 1 pt from their labels, and ticks where its `MaxNLocator`s put them.
"""

from __future__ import annotations

import math

import numpy as np

from nnctl.plots.common import (
    FINE_LOG_TICKS_DECADES,
    SPLIT_COLORS,
    SPLIT_LINESTYLES,
    Array,
    epoch_label,
    finite_column,
    metric_column,
    use_log_scale,
)
from nnctl.plots.raster.canvas import FRAME_WIDTH, MAX_N_STEPS, Canvas, Panel, log_ticks, nice_ticks, tick_labels
from nnctl.plots.raster.curves import autoscale_limits

THUMB_DPI = 100  # a thumbnail's size in inches x 100 is its size in pixels, as `plots.sweep` draws them
MARGINS = (46, 6, 8, 18)  # pixels left, top, right, bottom of the axes box: room for the tick labels
LINE_WIDTH = 1.4  # points
TICK_SIZE = 8.0  # points, the tick labels
TICK_LENGTH = 2.0  # points, outward
TICK_PAD = 1.0  # points between a tick and its label
MINOR_TICK = (2.0, 0.6)  # length and width in points of a log axis' unlabelled ticks
X_BINS, Y_BINS = 4, 3  # at most this many intervals between ticks (MaxNLocator's nbins)


def loss_pixels(metrics: list[dict], *, width: int, height: int) -> Array | None:
    """(height, width, 3) uint8: the loss per epoch of metrics.csv's rows (see the module);
    None when no loss is finite."""
    canvas = loss_thumbnail_canvas(metrics, width=width, height=height)
    return None if canvas is None else canvas.pixels()


def loss_thumbnail_canvas(metrics: list[dict], *, width: int, height: int) -> Canvas | None:
    """The canvas of `loss_pixels`, or None when no loss is finite."""
    epochs = metric_column(metrics, "epoch")
    losses = {split: finite_column(metrics, f"{prefix}_loss") for split, prefix in (("train", "train"),
                                                                                  ("validation", "val"))}
    losses = {split: values for split, values in losses.items() if np.isfinite(values).any()}
    if not losses:
        return None
    values = np.concatenate([v[np.isfinite(v)] for v in losses.values()])
    log = use_log_scale(values)
    xlim = autoscale_limits(epochs[np.isfinite(epochs) & np.any([np.isfinite(v) for v in losses.values()], axis=0)],
                   log=False)
    ylim = autoscale_limits(values, log=log)
    canvas = Canvas((width / THUMB_DPI, height / THUMB_DPI), THUMB_DPI)
    left, top, right, bottom = MARGINS
    panel = canvas.panel((left, top, width - right, height - bottom), xlim, ylim, ylog=log)
    xvalues = nice_ticks(*xlim, X_BINS, integer=True, steps=MAX_N_STEPS)
    xlabels = [epoch_label(v, xlim[1] >= 10_000) for v in xvalues]
    minor: Array = np.array([])
    if log:
        yvalues, ylabels = log_ticks(*ylim, fine_decades=FINE_LOG_TICKS_DECADES)
        if math.log10(ylim[1] / ylim[0]) <= FINE_LOG_TICKS_DECADES:
            minor = _minor_log_ticks(*ylim, major=yvalues)
    else:
        yvalues = nice_ticks(*ylim, Y_BINS, steps=MAX_N_STEPS)
        ylabels = tick_labels(yvalues)
    panel.grid(xvalues, yvalues)
    for split, loss in losses.items():
        panel.plot(epochs, loss, color=SPLIT_COLORS[split], width=LINE_WIDTH, style=SPLIT_LINESTYLES[split])
    panel.frame()
    _ticks(panel, xvalues, xlabels, vertical=False)
    _ticks(panel, yvalues, ylabels, vertical=True)
    _ticks(panel, minor, [""] * len(minor), vertical=True, length=MINOR_TICK[0], width=MINOR_TICK[1])
    return canvas


def _minor_log_ticks(low: float, high: float, *, major: Array) -> Array:
    """The unlabelled ticks of a log axis of a few decades: 2, 3, ... 9 x 10^k inside [low,
    high] where no major tick is (matplotlib's minor LogLocator)."""
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    values = np.array([m * 10.0**k for k in decades for m in range(2, 10)])
    inside = (values >= low) & (values <= high)
    taken = np.isclose(values[:, None], np.asarray(major, float)[None, :], rtol=1e-9).any(axis=1)
    return values[inside & ~taken]


def _ticks(panel: Panel, values: Array, labels: list[str], *, vertical: bool, length: float = TICK_LENGTH,
           width: float = FRAME_WIDTH) -> None:
    """Ticks (`length` points outward) under the panel, or left of it when `vertical`, with their
    labels in TICK_SIZE type TICK_PAD points beyond (`Panel.xticks`' look, in a thumbnail's sizes)."""
    canvas, (x0, _, _, y1) = panel.canvas, panel.box
    reach, pad = canvas.pt(length), canvas.pt(TICK_PAD)
    values = np.asarray(values, float)
    if vertical:
        at = panel.px(np.full(len(values), panel.xlim[0]), values)[1]
    else:
        at = panel.px(values, np.full(len(values), panel.ylim[1]))[0]
    for position, label in zip(at.tolist(), labels, strict=True):
        if vertical:
            canvas.line([x0 - reach, x0], [position, position], color="#000000", width=width)
            if label:
                canvas.text(x0 - reach - pad, position, label, size=TICK_SIZE, anchor="rm")
        else:
            canvas.line([position, position], [y1, y1 + reach], color="#000000", width=width)
            if label:
                canvas.text(position, y1 + reach + pad, label, size=TICK_SIZE, anchor="ma")
