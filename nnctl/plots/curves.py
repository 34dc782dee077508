"""Curves over the epochs of a run: loss.png and norms.png (layer 1: numpy, nnctl.files).

Both take metric rows (dicts, as metrics.csv and layers.csv read back) and draw one line per
series against the epoch, on a log axis when the values span decades. matplotlib is imported
inside the functions that draw (heavy: runs without plots must not pay for it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    DPI,
    NEUTRAL,
    NEUTRAL_DARK,
    SPLIT_COLORS,
    Array,
    class_colors,
    epoch_axis,
    figure_title,
    finite_column,
    is_png,
    legend_columns,
    log_axis,
    metric_column,
    new_figure,
    percent_formatter,
    save,
    split_line,
    use_log_scale,
)
from nnctl.plots.raster import curves as raster_curves

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ---------------------------------------------------------------- loss.png


def plot_loss(
    metrics: list[dict],
    path: Path,
    *,
    title: str,
    best_epoch: int | None = None,
    diverged: dict | None = None,
    step: str = "epoch",
    dpi: int = DPI,
) -> Path:
    """Loss per epoch (train and val), accuracy beside it when the rows have it, and the
    learning rate when a schedule changed it. step: what a row is, on the x axis ("epoch", or
    "iteration" for a full-batch solver).

    - metrics: rows of metrics.csv, keys `epoch`, `train_loss` and optionally `val_loss`,
      `train_accuracy`, `val_accuracy`; a missing value may be None, NaN or absent.
    - best_epoch: drawn as a dashed vertical line on every panel.
    - diverged: where a diverged run stopped (summary.json's `diverged_at`: `epoch`, and
      `batch`, or `train_loss` and `limit` when the epoch's loss grew past the limit): the loss
      panel shows the rise to it, marks the epoch and says "diverged".
    Returns `path`. A PNG is drawn as pixels (`raster.curves`) unless the run diverged.
    """
    if is_png(path) and raster_curves.drawn_here(metrics, diverged):
        return raster_curves.plot_loss(metrics, path, title=title, best_epoch=best_epoch, step=step, dpi=dpi)
    return save(_loss_figure(metrics, title=title, best_epoch=best_epoch, diverged=diverged, step=step), path, dpi)


def _loss_figure(metrics: list[dict], *, title: str, best_epoch: int | None, diverged: dict | None = None,
                 step: str = "epoch") -> Figure:
    """The figure of `plot_loss`, unsaved, so tests can inspect its axes."""
    epochs = metric_column(metrics, "epoch")
    panels = ["loss"] + (["accuracy"] if _has_values(metrics, "train_accuracy", "val_accuracy") else [])
    lr = metric_column(metrics, "lr")
    if len(np.unique(lr[np.isfinite(lr)])) > 1:  # a schedule changed it: show how
        panels.append("learning rate")
    fig, axes = new_figure(len(panels), panel=(6.0, 4.2))
    for ax, quantity in zip(axes, panels, strict=True):
        if quantity == "learning rate":
            ax.plot(epochs, lr, color=NEUTRAL_DARK, lw=1.8, drawstyle="steps-post", label="lr during the epoch")
        else:
            values = _draw_metric(ax, metrics, epochs, quantity)
        if quantity == "loss":
            _loss_scale_and_marks(ax, metrics, epochs, values, diverged)
        if quantity == "accuracy":
            ax.yaxis.set_major_formatter(percent_formatter())
        if best_epoch is not None:
            # dotted: dashed is the validation curve's style
            ax.axvline(best_epoch, color=BOUNDARY, ls=":", lw=1.5, label=f"best ({step} {best_epoch})")
        ax.set_xlabel(step)
        ax.set_ylabel(quantity)
        epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # no rows at all: an empty panel, not a warning
            # a diverged loss rises from the lower left to the upper right: its legend goes above it
            ax.legend(frameon=False, loc="upper left" if diverged and quantity == "loss" else "best")
    figure_title(fig, title)
    return fig


def _loss_scale_and_marks(ax: Axes, metrics: list[dict], epochs: Array, values: Array, diverged: dict | None) -> None:
    """The loss panel's scale (log when the loss spans decades) and its marks: where a loss
    was recorded as inf/NaN, and where a diverged run stopped."""
    rise = _divergence_rise(metrics, epochs, diverged) if diverged else None
    if rise is not None:
        values = np.append(values, rise[1])
    if use_log_scale(values):
        log_axis(ax, values)
    non_finite = _first_non_finite_epoch(metrics, epochs)
    if non_finite is not None:
        ax.axvline(non_finite, color=NEUTRAL, ls=":", lw=1.8, label=f"loss inf/NaN from epoch {non_finite:g}")
        ax.set_xlim(right=max(ax.get_xlim()[1], non_finite + 0.5))
    if diverged:
        _mark_divergence(ax, diverged, rise)


def _divergence_rise(metrics: list[dict], epochs: Array, diverged: dict) -> tuple[Array, Array] | None:
    """(x, y), each (2,) (or (1,) with no epoch recorded): from the last recorded training loss
    to the finite one that stopped the run (summary's `diverged_at.train_loss`, an epoch's mean
    past the limit); None when the run stopped on a loss or gradient that was not finite."""
    loss = diverged.get("train_loss")
    if loss is None or "epoch" not in diverged or not np.isfinite(float(loss)):
        return None
    train = finite_column(metrics, "train_loss")
    recorded = np.flatnonzero(np.isfinite(train))[-1:]
    return np.append(epochs[recorded], float(diverged["epoch"])), np.append(train[recorded], float(loss))


def _mark_divergence(ax: Axes, diverged: dict, rise: tuple[Array, Array] | None) -> None:
    """Say "diverged" where the run stopped: a vertical line at the epoch, with the training loss
    that passed the limit at its end (an X on a dotted line from the curve) when it was finite;
    the x axis reaches the epoch."""
    epoch = float(diverged.get("epoch", ax.get_xlim()[1]))
    if rise is not None:
        x, y = rise
        limit = diverged.get("limit")
        past = f" > limit {float(limit):.3g}" if limit is not None else ""
        ax.plot(x, y, color=SPLIT_COLORS["train"], ls=":", lw=1.6, marker="X", ms=9, markevery=[len(x) - 1],
                label=f"epoch {epoch:g}: training loss {y[-1]:.3g}{past}")
        why = "the loss grew past the limit"
    else:
        batch = diverged.get("batch")
        why = "a loss or gradient not finite" + (f" in batch {batch}" if batch else "")
    ax.axvline(epoch, color=NEUTRAL, ls=":", lw=1.8, label=f"diverged in epoch {epoch:g}: {why}")
    low, high = ax.get_xlim()
    ax.set_xlim(min(low, -0.5), max(high, epoch + 0.5))


def _draw_metric(ax: Axes, metrics: list[dict], epochs: Array, quantity: str) -> Array:
    """Draw train_<quantity> and val_<quantity> against epoch; returns the finite values drawn.
    Non-finite values (inf, NaN, missing) are not drawn: they leave a gap or end the line."""
    drawn = []
    for split, prefix in (("train", "train"), ("validation", "val")):
        values = finite_column(metrics, f"{prefix}_{quantity}")
        if np.isfinite(values).any():
            drawn.append(_draw_series(ax, epochs, values, label=split, **split_line(split)))
    return np.concatenate(drawn) if drawn else np.array([])


def _draw_series(ax: Axes, epochs: Array, values: Array, *, label: str, **style: Any) -> Array:
    """One line of `values` against `epochs` (both (n,)); returns its finite values."""
    # few epochs: show the points themselves, a 2-point line hides that there are only two
    style = {"lw": 1.8, "marker": "o", "ms": 4} | style
    if len(values) > 30:
        style["marker"] = None
    ax.plot(epochs, values, label=label, **style)
    return values[np.isfinite(values)]


def _first_non_finite_epoch(metrics: list[dict], epochs: Array) -> float | None:
    """The first epoch whose train or validation loss was recorded as inf or NaN (a diverged
    run), or None. A missing value (None, absent) is a gap, not a divergence."""
    for row, epoch in zip(metrics, epochs, strict=True):
        for key in ("train_loss", "val_loss"):
            value = row.get(key)
            if value is not None and not np.isfinite(float(value)):
                return float(epoch)
    return None


def _has_values(metrics: list[dict], *keys: str) -> bool:
    return any(np.isfinite(metric_column(metrics, key)).any() for key in keys)


# ---------------------------------------------------------------- norms.png


def plot_norms(
    rows: list[dict], path: Path, *, title: str, layer_names: list[str] | None = None, dpi: int = DPI
) -> Path:
    """Per-layer weight and gradient norms over training (rows of layers.csv).

    - rows: {"epoch", "W0", "W1", ..., "dW0", "dW1", ...}: ‖W_l‖ (Frobenius) at the end of the
      epoch and the mean over its mini-batches of ‖dW_l‖; epoch 0 has no gradient (None/NaN).
      With L1 (loss.l1) the rows also hold "zeros0", "zeros1", …: the fraction of W_l's entries
      that are exactly 0; runs without it (or written before) have no such keys.
    - layer_names: what each W_l feeds, as neurons.png names the rows ("hidden 1 (tanh)", …,
      "output (softmax)"), so that "W0" reads as "into hidden 1"; default: layer numbers only.
    Two panels, one colour per layer in both, and a third for the zero fractions when the rows
    have them (in percent, from 0); the norms' y axes go log when their values span more than
    LOG_SCALE_DECADES decades (the rule of loss.png). Returns `path`.
    """
    return save(_norms_figure(rows, title=title, layer_names=layer_names), path, dpi)


def _layer_indices(rows: list[dict]) -> list[int]:
    found = {int(m.group(1)) for row in rows for key in row if (m := re.fullmatch(r"W(\d+)", key))}
    return sorted(found)


def _layer_label(layer: int, layer_names: list[str] | None) -> str:
    """'W0: into hidden 1 (tanh)', or 'layer 0 (W0)' without names."""
    if layer_names is not None and layer < len(layer_names):
        return f"W{layer}: into {layer_names[layer]}"
    return f"layer {layer} (W{layer})"


def _norms_figure(rows: list[dict], *, title: str, layer_names: list[str] | None = None) -> Figure:
    epochs = metric_column(rows, "epoch")
    layers = _layer_indices(rows)
    colors = class_colors(max(len(layers), 1))
    zeros = any(np.isfinite(finite_column(rows, f"zeros{layer}")).any() for layer in layers)
    fig, axes = new_figure(3 if zeros else 2, panel=(5.6, 4.2))
    panels = [
        (axes[0], "W", "‖W‖ (Frobenius norm)", "weight norm per layer, at the end of each epoch"),
        (axes[1], "dW", "‖dW‖ (Frobenius norm)", "gradient norm per layer, mean over the epoch's mini-batches"),
    ]
    if zeros:
        panels.append((axes[2], "zeros", "weights exactly 0", "fraction of weights exactly 0 (L1), per layer"))
    for ax, prefix, ylabel, what in panels:
        drawn = [
            _draw_series(
                ax, epochs, finite_column(rows, f"{prefix}{layer}"), color=color, label=_layer_label(layer, layer_names)
            )
            for color, layer in zip(colors, layers, strict=False)
        ]
        values = np.concatenate(drawn) if drawn else np.array([])
        if prefix == "zeros":  # a fraction: from 0, in percent, with room above the highest
            top = float(values.max()) if values.size else 0.0
            ax.set_ylim(-0.02, min(1.0, max(0.05, 1.1 * top)) + 0.02)  # a line at 0 stays visible
            ax.yaxis.set_major_formatter(percent_formatter())
        elif use_log_scale(values):
            log_axis(ax, values)
        ax.set_title(what, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
    handles = axes[0].get_legend_handles_labels()[0]
    if handles:
        ncols = legend_columns(handles, fig.get_figwidth())
        fig.legend(handles=handles, ncols=ncols, loc="outside lower center", frameon=False)
    figure_title(fig, title)
    return fig
