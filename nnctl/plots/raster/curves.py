"""Curves over the epochs of a run drawn as pixels: loss.png and report.html's loss thumbnails
(layer 1: numpy; see `nnctl.plots.raster`).

What they show is `nnctl.plots.curves`' loss picture: the loss per epoch of each split (train
solid, validation dashed, as `split_line` styles them), accuracy beside it when the rows have it,
the learning rate when a schedule changed it, the best epoch as a dotted line, a log axis when
the loss spans decades. A run that diverged or recorded a loss that was not finite is drawn by
matplotlib (`drawn_here` says which runs are drawn here): its marks and their words need the
figure's legend machinery, and such runs are rare.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    FINE_LOG_TICKS_DECADES,
    NEUTRAL_DARK,
    SPLIT_COLORS,
    SPLIT_LINESTYLES,
    SPLIT_MARKERS,
    Array,
    epoch_label,
    finite_column,
    metric_column,
    use_log_scale,
)
from nnctl.plots.raster.canvas import (
    FONT_SIZE,
    LABEL_PAD,
    MAX_N_STEPS,
    TICK_LENGTH,
    TICK_PAD,
    Canvas,
    LegendEntry,
    log_ticks,
    nice_ticks,
    tick_labels,
    tick_space,
)

PANEL = (6.0, 4.2)  # inches a panel of loss.png, as `curves._loss_figure`
MARKERS_UP_TO = 30  # epochs drawn with a marker at each point (a 2-point line hides that there are two)
MARGIN = 0.05  # matplotlib's autoscale margin, a fraction of the data's span on each side


def drawn_here(metrics: list[dict], diverged: dict | None) -> bool:
    """Whether loss.png of these rows is drawn as pixels: every run that neither diverged nor
    recorded a loss that was not finite (those are drawn by matplotlib, with their marks)."""
    if diverged:
        return False
    return not any(value is not None and not np.isfinite(float(value))
                   for row in metrics for value in (row.get("train_loss"), row.get("val_loss")))


def loss_panels(metrics: list[dict]) -> list[str]:
    """The panels of loss.png: "loss", "accuracy" when the rows have it, "learning rate" when a
    schedule changed it."""
    panels = ["loss"]
    if any(np.isfinite(metric_column(metrics, key)).any() for key in ("train_accuracy", "val_accuracy")):
        panels.append("accuracy")
    lr = metric_column(metrics, "lr")
    if len(np.unique(lr[np.isfinite(lr)])) > 1:
        panels.append("learning rate")
    return panels


def plot_loss(metrics: list[dict], path: Path, *, title: str, best_epoch: int | None, step: str, dpi: float,
              creator: str | None = None) -> Path:
    """loss.png as pixels (see the module); the arguments as `plots.plot_loss` takes them."""
    return loss_canvas(metrics, title=title, best_epoch=best_epoch, step=step, dpi=dpi).save(path, creator=creator)


def loss_canvas(metrics: list[dict], *, title: str, best_epoch: int | None, step: str, dpi: float) -> Canvas:
    """The canvas of `plot_loss`, unsaved."""
    epochs = metric_column(metrics, "epoch")
    panels = loss_panels(metrics)
    canvas = Canvas((PANEL[0] * len(panels), PANEL[1]), dpi)
    top = canvas.title(title)
    width = canvas.width / len(panels)
    for k, quantity in enumerate(panels):
        _metric_panel(canvas, metrics, epochs, quantity, (k * width, top, (k + 1) * width, canvas.height),
                      best_epoch=best_epoch, step=step)
    return canvas


def _metric_panel(canvas: Canvas, metrics: list[dict], epochs: Array, quantity: str, cell: tuple, *,
                  best_epoch: int | None, step: str) -> None:
    """One panel of loss.png in `cell` (x0, y0, x1, y1): its curves, axes and legend."""
    if quantity == "learning rate":
        series = [("lr during the epoch", metric_column(metrics, "lr"), NEUTRAL_DARK, "-", None)]
    else:
        prefix = {"train": "train", "validation": "val"}
        series = [(split, finite_column(metrics, f"{prefix[split]}_{quantity}"), SPLIT_COLORS[split],
                   SPLIT_LINESTYLES[split], SPLIT_MARKERS[split]) for split in ("train", "validation")]
        series = [s for s in series if np.isfinite(s[1]).any()]
    values = np.concatenate([v[np.isfinite(v)] for _, v, *_ in series]) if series else np.array([0.0, 1.0])
    log = quantity == "loss" and use_log_scale(values)
    finite_epochs = epochs[np.isfinite(epochs)]
    xlim = autoscale_limits(np.append(finite_epochs, [best_epoch] if best_epoch is not None else []), log=False)
    ylim = autoscale_limits(values, log=log)
    percent = quantity == "accuracy"
    # the box: tick labels and the axis label left and below, a pad right
    if log:
        yvalues, ylabels = log_ticks(*ylim, fine_decades=FINE_LOG_TICKS_DECADES)
    else:
        scale = 100.0 if percent else 1.0
        yvalues = nice_ticks(ylim[0] * scale, ylim[1] * scale, tick_space(cell[3] - cell[1], canvas.dpi,
                                                                              vertical=True)) / scale
        ylabels = tick_labels(yvalues, percent=percent)
    label_width = max((canvas.text_width(s) for s in ylabels), default=0.0)
    left = cell[0] + canvas.pt(10) + canvas.text_height() + canvas.pt(LABEL_PAD + TICK_PAD + TICK_LENGTH) + label_width
    bottom = cell[3] - canvas.pt(6) - 2 * canvas.text_height() - canvas.pt(LABEL_PAD + TICK_PAD + TICK_LENGTH)
    box = (left, cell[1], cell[2] - canvas.pt(10), bottom)
    panel = canvas.panel(box, xlim, ylim, ylog=log)
    # epochs as `common.epoch_axis` ticks them: MaxNLocator(nbins=6, integer=True)
    xvalues = nice_ticks(*xlim, 6, integer=True, steps=MAX_N_STEPS)
    xlabels = [epoch_label(v, xlim[1] >= 10_000) for v in xvalues]
    if quantity == "learning rate" and len(finite_epochs):
        lr = series[0][1]
        x_steps, y_steps = np.repeat(epochs, 2)[1:], np.repeat(lr, 2)[:-1]  # drawstyle steps-post
        series = [(series[0][0], y_steps, NEUTRAL_DARK, "-", None)]
        line_x = {series[0][0]: x_steps}
    else:
        line_x = {}
    panel.grid(xvalues, yvalues)
    entries = []
    for label, y, color, style, marker in series:
        x = line_x.get(label, epochs)
        marker = marker if len(y) <= MARKERS_UP_TO else None
        panel.plot(x, y, color=color, width=1.8, style=style, marker=marker, marker_size=4.0)
        entries.append(LegendEntry(label, color=color, style=style, width=1.8, marker=marker, marker_size=4.0))
    if best_epoch is not None:
        panel.vline(best_epoch, color=BOUNDARY, width=1.5, style=":")
        entries.append(LegendEntry(f"best ({step} {best_epoch})", color=BOUNDARY, style=":", width=1.5))
    panel.axes(xvalues, xlabels, yvalues, ylabels, xlabel=step, ylabel=quantity, grid=False)
    if entries:
        lines = [(line_x.get(label, epochs), y) for label, y, *_ in series]
        if best_epoch is not None:  # its dotted line too: a legend over it hides both
            lines.append((np.array([best_epoch, best_epoch]), np.array(ylim)))
        panel.legend(entries, avoid=lines, size=FONT_SIZE)


def autoscale_limits(values: Array, *, log: bool) -> tuple[float, float]:
    """The data's span widened by MARGIN on each side (in decades on a log axis), as
    matplotlib's autoscale; a single value gets a span of its own."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values) & ((values > 0) if log else True)]
    if values.size == 0:
        return (0.0, 1.0) if not log else (0.1, 1.0)
    low, high = float(values.min()), float(values.max())
    if log:
        low, high = np.log10(low), np.log10(high)
    if high == low:
        pad = 0.5 if log else (abs(low) * 0.05 or 0.5)
        low, high = low - pad, high + pad
    else:
        margin = MARGIN * (high - low)
        low, high = low - margin, high + margin
    return (10.0**low, 10.0**high) if log else (low, high)

