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
    finite_column,
    log_axis,
    metric_column,
    new_figure,
    percent_formatter,
    save,
    use_log_scale,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ---------------------------------------------------------------- loss.png


def plot_loss(metrics: list[dict], path: Path, *, title: str, best_epoch: int | None = None, dpi: int = DPI) -> Path:
    """Loss per epoch (train and val), accuracy beside it when the rows have it, and the
    learning rate when a schedule changed it.

    - metrics: rows of metrics.csv, keys `epoch`, `train_loss` and optionally `val_loss`,
      `train_accuracy`, `val_accuracy`; a missing value may be None, NaN or absent.
    - best_epoch: drawn as a dashed vertical line on every panel.
    Returns `path`.
    """
    return save(_loss_figure(metrics, title=title, best_epoch=best_epoch), path, dpi)


def _loss_figure(metrics: list[dict], *, title: str, best_epoch: int | None) -> Figure:
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
            values = lr[np.isfinite(lr)]
        else:
            values = _draw_metric(ax, metrics, epochs, quantity)
        if quantity == "loss":
            if use_log_scale(values):
                log_axis(ax, values)
            diverged = _first_non_finite_epoch(metrics, epochs)
            if diverged is not None:
                ax.axvline(diverged, color=NEUTRAL, ls=":", lw=1.8, label=f"loss inf/NaN from epoch {diverged:g}")
                ax.set_xlim(right=max(ax.get_xlim()[1], diverged + 0.5))
        if quantity == "accuracy":
            ax.yaxis.set_major_formatter(percent_formatter())
        if best_epoch is not None:
            ax.axvline(best_epoch, color=BOUNDARY, ls="--", lw=1.1, label=f"best (epoch {best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(quantity)
        epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # no rows at all: an empty panel, not a warning
            ax.legend(frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig


def _draw_metric(ax: Axes, metrics: list[dict], epochs: Array, quantity: str) -> Array:
    """Draw train_<quantity> and val_<quantity> against epoch; returns the finite values drawn.
    Non-finite values (inf, NaN, missing) are not drawn: they leave a gap or end the line."""
    drawn = []
    for split, prefix in (("train", "train"), ("validation", "val")):
        values = finite_column(metrics, f"{prefix}_{quantity}")
        if np.isfinite(values).any():
            drawn.append(_draw_series(ax, epochs, values, color=SPLIT_COLORS[split], label=split))
    return np.concatenate(drawn) if drawn else np.array([])


def _draw_series(ax: Axes, epochs: Array, values: Array, *, color: Any, label: str) -> Array:
    """One line of `values` against `epochs` (both (n,)); returns its finite values."""
    # few epochs: show the points themselves, a 2-point line hides that there are only two
    marker = "o" if len(values) <= 30 else None
    ax.plot(epochs, values, color=color, lw=1.8, marker=marker, ms=4, label=label)
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


def plot_norms(rows: list[dict], path: Path, *, title: str, dpi: int = DPI) -> Path:
    """Per-layer weight and gradient norms over training (rows of layers.csv).

    - rows: {"epoch", "W0", "W1", ..., "dW0", "dW1", ...}: ‖W_l‖ (Frobenius) at the end of the
      epoch and the mean over its mini-batches of ‖dW_l‖; epoch 0 has no gradient (None/NaN).
    Two panels, one colour per layer in both; each y axis goes log when its values span more
    than LOG_SCALE_DECADES decades (the rule of loss.png). Returns `path`.
    """
    return save(_norms_figure(rows, title=title), path, dpi)


def _layer_indices(rows: list[dict]) -> list[int]:
    found = {int(m.group(1)) for row in rows for key in row if (m := re.fullmatch(r"W(\d+)", key))}
    return sorted(found)


def _norms_figure(rows: list[dict], *, title: str) -> Figure:
    epochs = metric_column(rows, "epoch")
    layers = _layer_indices(rows)
    colors = class_colors(max(len(layers), 1))
    fig, (ax_w, ax_g) = new_figure(2, panel=(5.6, 4.2))
    panels = (
        (ax_w, "W", "‖W‖ (Frobenius norm)", "weight norm per layer, at the end of each epoch"),
        (ax_g, "dW", "‖dW‖ (Frobenius norm)", "gradient norm per layer, mean over the epoch's mini-batches"),
    )
    for ax, prefix, ylabel, what in panels:
        drawn = [
            _draw_series(
                ax, epochs, finite_column(rows, f"{prefix}{layer}"), color=color, label=f"layer {layer} (W{layer})"
            )
            for color, layer in zip(colors, layers, strict=False)
        ]
        values = np.concatenate(drawn) if drawn else np.array([])
        if use_log_scale(values):
            log_axis(ax, values)
        ax.set_title(what, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
    handles = ax_w.get_legend_handles_labels()[0]
    if handles:
        fig.legend(handles=handles, ncols=min(len(handles), 6), loc="outside lower center", frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig
