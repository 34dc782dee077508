"""The pictures of a search (layer 1: numpy, nnctl.files): search.png, four panels a searcher
reads, from a `SearchData` of arrays (gathering it from a sweep folder is `sweeps.study`'s job).

    history      the metric of each trial against its number, and the best so far (a step line)
    curves       each trial's metric per epoch: pruned trials' curves stop short, an x where
    importance   how much each setting explains of the metric (permutation importance)
    parallel     parallel coordinates: one line per trial through its settings, coloured by the
                 metric, best on top; a setting drawn on a log scale when it spans decades

matplotlib is imported inside the functions that draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnctl.plots.common import (
    CLASS_COLORS,
    NEUTRAL,
    SEQUENTIAL_CMAP,
    Array,
    constrained_figure,
    epoch_axis,
    figure_title,
    log_axis,
    save,
    use_log_scale,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PRUNED_COLOR = CLASS_COLORS[5]  # vermillion: a run stopped
DONE_COLOR = CLASS_COLORS[0]  # blue: a run that ran its course
AXIS_TICKS = 4  # value labels on a parallel-coordinates axis of numbers


@dataclass(frozen=True)
class SearchData:
    """A search's trials, in the order they were asked (n of them).

    numbers: (n,) trial numbers. values: (n,) the metric the study was told (NaN for a trial
    pruned or failed). pruned: (n,) bool. last: (n,) each trial's metric at its last epoch (a
    pruned trial's where it stopped). params: name -> (n,) values (floats, or str for a choice;
    None where a trial has none). log: name -> drawn on a log scale. choices: name -> the
    choice's values in order (str). curves: per trial, (epochs (k,), metric (k,)).
    importance: name -> share of the explained metric (empty with too few trials)."""

    metric: str
    direction: str
    numbers: Array
    values: Array
    pruned: Array
    last: Array
    params: dict[str, list]
    log: dict[str, bool] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    curves: list[tuple[Array, Array]] = field(default_factory=list)
    importance: dict[str, float] = field(default_factory=dict)

    def best_so_far(self) -> Array:
        """(n,) the best value told up to each trial (NaN before the first)."""
        worst = np.inf if self.direction == "minimize" else -np.inf
        told = np.where(np.isfinite(self.values), self.values, worst)
        best = np.minimum.accumulate(told) if self.direction == "minimize" else np.maximum.accumulate(told)
        return np.where(np.isfinite(best), best, np.nan)


def search_figure(data: SearchData, *, title: str) -> Figure:
    """search.png's figure: history, curves and importance above, parallel coordinates below."""
    fig = constrained_figure((16.0, 9.5))
    grid = fig.add_gridspec(2, 3, height_ratios=(1.0, 1.15))
    history, curves, importance = (fig.add_subplot(grid[0, i]) for i in range(3))
    draw_history(history, data)
    draw_curves(curves, data)
    draw_importance(importance, data)
    draw_parallel(fig, fig.add_subplot(grid[1, :]), data)
    done = int(np.isfinite(data.values).sum())
    figure_title(fig, f"{title} · {len(data.numbers)} trials · {done} told · {int(data.pruned.sum())} pruned")
    return fig


def plot_search(data: SearchData, path: Path, *, title: str, dpi: int = 110) -> Path:
    """search.png (see `search_figure`); returns the path."""
    return save(search_figure(data, title=title), path, dpi)


def _worse_is_up(data: SearchData) -> str:
    return "lower is better" if data.direction == "minimize" else "higher is better"


def draw_history(ax: Axes, data: SearchData) -> None:
    """The metric of each trial told (dots) and of each pruned one where it stopped (x), the best
    so far as a step line."""
    told = np.isfinite(data.values)
    ax.scatter(data.numbers[told], data.values[told], s=22, color=DONE_COLOR, label="trial's value", zorder=3)
    stopped = data.pruned & np.isfinite(data.last)
    ax.scatter(data.numbers[stopped], data.last[stopped], s=26, marker="x", color=PRUNED_COLOR,
               label="pruned (where it stopped)", zorder=2)
    ax.step(data.numbers, data.best_so_far(), where="post", color="black", lw=1.6, label="best so far", zorder=4)
    shown = np.concatenate([data.values[told], data.last[stopped]])
    if shown.size and use_log_scale(shown):
        log_axis(ax, shown)
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{data.metric} ({_worse_is_up(data)})")
    ax.set_title("optimization history")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)


def draw_curves(ax: Axes, data: SearchData) -> None:
    """Each trial's metric per epoch: those that ran their course thin and blue, pruned ones
    vermillion, ending in an x at the epoch they were stopped."""
    for (epochs, values), pruned in zip(data.curves, data.pruned, strict=True):
        if epochs.size == 0:
            continue
        color = PRUNED_COLOR if pruned else DONE_COLOR
        ax.plot(epochs, values, color=color, lw=0.9, alpha=0.8 if pruned else 0.45)
        if pruned:
            ax.plot(epochs[-1:], values[-1:], "x", color=color, ms=6)
    values = np.concatenate([v for _, v in data.curves]) if data.curves else np.array([])
    finite = values[np.isfinite(values)]
    if finite.size and use_log_scale(finite):
        log_axis(ax, finite)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color=DONE_COLOR, label="ran its course"),
                       Line2D([], [], color=PRUNED_COLOR, marker="x", label="pruned")], fontsize=8)
    epoch_axis(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel(data.metric)
    ax.set_title("learning curves (pruned ones stop short)")
    ax.grid(alpha=0.3)


def draw_importance(ax: Axes, data: SearchData) -> None:
    """Horizontal bars, the most important setting on top; a note when there are too few trials."""
    ax.set_title("setting importance (permutation, random forest)")
    if not data.importance:
        ax.text(0.5, 0.5, "too few trials told to say", ha="center", va="center", transform=ax.transAxes,
                color=NEUTRAL)
        ax.set_axis_off()
        return
    names = sorted(data.importance, key=data.importance.get)
    shares = [data.importance[n] for n in names]
    ax.barh(names, shares, color=DONE_COLOR)
    for y, share in enumerate(shares):
        ax.text(share, y, f" {share:.0%}", va="center", fontsize=9)
    ax.set_xlim(0, max(max(shares), 1e-9) * 1.2)
    ax.set_xlabel(f"share of {data.metric} explained")


def axis_position(values: list, log: bool, choices: list[str] | None) -> tuple[Array, list[tuple[float, str]]]:
    """A setting's values on a parallel-coordinates axis of [0, 1] (NaN where missing), and its
    tick labels as (position, text): choices evenly spaced; numbers linear or in log10."""
    if choices is not None:
        spots = np.linspace(0, 1, len(choices)) if len(choices) > 1 else np.array([0.5])
        where = {c: s for c, s in zip(choices, spots, strict=True)}
        return np.array([where.get(v, np.nan) for v in values]), list(zip(spots, choices, strict=True))
    x = np.array([np.nan if v is None else float(v) for v in values])
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return x, []
    scaled = np.log10(x) if log else x
    low, high = np.nanmin(scaled), np.nanmax(scaled)
    span = high - low if high > low else 1.0
    ticks = np.linspace(low, high, AXIS_TICKS) if high > low else np.array([low])
    values = 10.0**ticks if log else ticks
    if np.all(finite == np.round(finite)):  # whole numbers (a depth, a width): whole ticks only
        values = np.unique(np.round(values))
        ticks = np.log10(values) if log else values
    labels = [(float((t - low) / span), f"{v:.3g}") for t, v in zip(ticks, values, strict=True)]
    return (scaled - low) / span, labels


def draw_parallel(fig: Figure, ax: Axes, data: SearchData) -> None:
    """One line per trial told through its settings and its metric (the last axis), coloured by
    the metric, the best drawn last; pruned trials grey beneath. Log axes say so in their name."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm, Normalize

    names = list(data.params)
    columns, labels = [], []
    for name in names:
        position, ticks = axis_position(data.params[name], data.log.get(name, False), data.choices.get(name))
        columns.append(position)
        labels.append(ticks)
    metric_values = np.where(np.isfinite(data.values), data.values, data.last)
    metric_log = use_log_scale(metric_values)
    position, ticks = axis_position(list(metric_values), metric_log, None)
    columns.append(position)
    labels.append(ticks)
    Y = np.column_stack(columns) if columns else np.zeros((0, 1))
    xs = np.arange(Y.shape[1], dtype=float)
    told = np.isfinite(data.values)
    ax.add_collection(LineCollection([np.column_stack([xs, y]) for y in Y[~told]], colors=NEUTRAL, lw=0.8,
                                     alpha=0.5, label="pruned / failed"))
    order = np.argsort(data.values[told])
    if data.direction == "minimize":
        order = order[::-1]  # the best (lowest) last, on top
    limits = (np.nanmin(data.values[told]), np.nanmax(data.values[told])) if told.any() else (0, 1)
    # the colours on the metric's own axis scale: on a linear one, two diverged trials at 15 would
    # paint every good trial (0.1-0.5) the same colour
    norm = LogNorm(*limits) if metric_log else Normalize(*limits)
    cmap = SEQUENTIAL_CMAP + ("_r" if data.direction == "minimize" else "")  # the best bright
    lines = LineCollection([np.column_stack([xs, y]) for y in Y[told][order]], cmap=cmap, norm=norm, lw=1.6)
    lines.set_array(data.values[told][order])
    ax.add_collection(lines)
    for x, ticks in zip(xs, labels, strict=True):
        ax.axvline(x, color="black", lw=0.8)
        for spot, text in ticks:
            ax.text(x + 0.02, spot, text, fontsize=8, va="center", ha="left",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
    axis_names = [f"{n}\n(log)" if data.log.get(n) else n for n in names] + [data.metric + "\n(log)" * metric_log]
    ax.set_xticks(xs, axis_names, fontsize=9)
    ax.set_xlim(-0.1, xs[-1] + 0.5 if xs.size else 1)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("parallel coordinates: each trial's settings, coloured by its value")
    fig.colorbar(lines, ax=ax, label=f"{data.metric} ({_worse_is_up(data)})", pad=0.01)
