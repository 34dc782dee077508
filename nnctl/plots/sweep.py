"""The pictures of a sweep: sweep.png and boundaries.png (layer 1: numpy, nnctl.files).

Drawn from results.csv rows as dicts and from one (label, predict, data) per run; gathering
them from a sweep folder is the sweep code's job. matplotlib is imported inside the functions
that draw (heavy: runs without plots must not pay for it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.files import figure_bytes
from nnctl.plots.animation import ANIMATION_RESOLUTION, AnimationFrame, model_panel
from nnctl.plots.common import (
    BOUNDARY,
    CLASS_COLORS,
    DPI,
    EDGE,
    MAX_POINTS_DRAWN,
    NEUTRAL_DARK,
    SEQUENTIAL_CMAP,
    SPLIT_COLORS,
    Array,
    PlotData,
    all_X,
    as_probabilities,
    banded_two_classes,
    class_colors,
    class_handles,
    class_indices,
    column_range,
    count_classes,
    draw_boundaries,
    grid_points,
    is_png,
    log_axis,
    new_figure,
    padded_box,
    percent,
    percent_formatter,
    plane_grid,
    predicted_classes,
    sample_rows,
    save,
    scatter_split,
    shade_many_classes,
    split_handles,
    split_quotas,
    target_column,
    text_inches,
    use_log_scale,
)
from nnctl.plots.model import confusion_counts
from nnctl.plots.raster import sweep as raster_sweep
from nnctl.plots.raster.canvas import png_bytes
from nnctl.plots.raster.regions import regions_thumbnail
from nnctl.plots.raster.sweep import RunsPicture, SweepLine, SweepPanel, SweepPicture
from nnctl.plots.raster.thumbnails import loss_pixels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ---------------------------------------------------------------- sweep.png

MAX_SWEEP_LINES = 8  # more combinations of the other settings than this: one line averaged over them
MAX_VALUE_TICKS = 10  # up to this many distinct values of a setting, a tick at each value


@dataclass
class _SweepAxis:
    """How one swept setting is laid out along x.

    kind: "numeric" (values are numbers, or one-element lists of numbers such as [16]) or
    "categorical" (anything else: strings, bools, None, longer lists); scale: "linear", "log"
    or "symlog" (numeric only); values: the distinct values in drawing order (sorted numbers or
    the categories in order of first appearance), as numbers or texts; label: the axis label;
    sampled: numeric values drawn at random (`is_sampled`), not listed by a person."""

    key: str
    kind: str
    scale: str
    values: list
    label: str
    sampled: bool = False

    def position(self, value: Any) -> float:
        """The x coordinate of a run's raw setting value."""
        if self.kind == "numeric":
            return float(_as_number(value))  # type: ignore[arg-type]
        return float(self.values.index(_value_text(value)))


def plot_sweep(rows: list[dict], settings: list[str], path: Path, *, metric: str, title: str, dpi: int = DPI) -> Path:
    """A metric against each swept setting: sweep.png.

    - rows: results.csv rows as dicts: each setting's value (a number, a string, a list such as
      [16]), "seed", "status", and the metric (a float, or None/NaN/absent for a failed or
      diverged run: such runs are skipped and counted in the subtitle).
    - settings: the swept keys without "seed", e.g. ["model.hidden", "optimizer.lr"]; none (a
      sweep over seeds only) draws the metric against the seed.
    - metric: a column such as "final.val_accuracy" (shown as %) or "final.val_loss" (log
      scale when it spans decades), which labels the y axis as it is spelled everywhere.
    One panel per setting. x: the setting's values, on a log axis when they are positive and span
    two decades or are spaced geometrically (learning rates, widths 1 … 50), categorical for text
    (a one-element list [16] is the number 16: a layer width).
    A grid (values a person listed): y is the mean over seeds as a line, the lowest to highest
    seed as a band, one line per value of the other settings (up to MAX_SWEEP_LINES lines;
    beyond, one line averaged over them too), a tick at each value.
    A random search (a setting `is_sampled`): one point per run, the setting's axis with ordinary
    ticks, the points coloured by a sampled other setting (with a colour bar) or by the values
    of the listed ones (a legend of at most MAX_SWEEP_LINES entries). Returns `path`.
    """
    if is_png(path):
        picture = _sweep_picture(rows, settings, metric=metric, title=title)
        if picture is not None:
            return raster_sweep.plot_sweep(picture, path, dpi=dpi)
    return save(_sweep_figure(rows, settings, metric=metric, title=title), path, dpi)


def _sweep_figure(rows: list[dict], settings: list[str], *, metric: str, title: str) -> Figure:
    """The figure of `plot_sweep`, unsaved, so tests can inspect its axes."""
    settings = list(settings) or ["seed"]
    values = np.array([_metric_value(row.get(metric)) for row in rows], dtype=float)
    have = np.isfinite(values)
    kept = [row for row, ok in zip(rows, have, strict=True) if ok]
    finite = values[have]
    is_accuracy = "accuracy" in metric
    log_y = not is_accuracy and use_log_scale(finite)
    axes_of = {key: _sweep_axis(key, [row.get(key) for row in rows]) for key in settings}
    by_run = any(axis.sampled for axis in axes_of.values())

    fig, axes = new_figure(len(settings), panel=(5.6, 4.1))
    kinds: list[str] = []
    for ax, key in zip(axes, settings, strict=True):
        axis = axes_of[key]
        kind = "run" if by_run else "band" if axis.kind == "numeric" else "bar"
        kinds += [kind] if kind not in kinds else []
        others = [k for k in settings if k != key and k != "seed"]
        if by_run:
            _draw_runs_panel(fig, ax, axis, kept, [axes_of[k] for k in others], metric)
        else:
            _draw_sweep_panel(ax, axis, kept, others, metric)
        _sweep_x_axis(ax, axis)
        ax.set_ylabel(metric)  # final.val_accuracy: as results.csv, report.html and `nnctl runs` spell it
        if is_accuracy:
            ax.yaxis.set_major_formatter(percent_formatter())
        elif log_y:
            log_axis(ax, finite)
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(title, fontweight="bold")
    fig.supxlabel(_sweep_caption(rows, kept, values, settings, kinds), fontsize=9, color=NEUTRAL_DARK)
    return fig


def _sweep_picture(rows: list[dict], settings: list[str], *, metric: str, title: str) -> SweepPicture | None:
    """What `_sweep_figure` draws, as the plain values `raster_sweep` draws as pixels; None for
    the cases matplotlib draws (`raster_sweep.drawn_here`: a random search, symlog, many lines)."""
    settings = list(settings) or ["seed"]
    values = np.array([_metric_value(row.get(metric)) for row in rows], dtype=float)
    kept = [row for row, ok in zip(rows, np.isfinite(values), strict=True) if ok]
    axes_of = {key: _sweep_axis(key, [row.get(key) for row in rows]) for key in settings}
    groups_of = {key: _sweep_groups(kept, [k for k in settings if k != key and k != "seed"]) for key in settings}
    # category names that would not sit level side by side in a panel's axes (about 3.2 in wide)
    long = any(a.kind == "categorical" and max(text_inches(str(t)) for t in a.values) > 2.9 / len(a.values)
               for a in axes_of.values())
    if not raster_sweep.drawn_here([a.scale for a in axes_of.values()], by_run=any(a.sampled for a in axes_of.values()),
                                   lines=max(len(groups) for groups, _ in groups_of.values()), long_categories=long):
        return None
    panels = [_sweep_panel(axes_of[key], *groups_of[key], metric, [k for k in settings if k not in (key, "seed")])
              for key in settings]
    kinds = list(dict.fromkeys(panel.kind for panel in panels))
    is_accuracy = "accuracy" in metric
    return SweepPicture(title, metric, is_accuracy, not is_accuracy and use_log_scale(values[np.isfinite(values)]),
                        panels, _sweep_caption(rows, kept, values, settings, kinds))


def _sweep_panel(axis: _SweepAxis, groups: list[tuple[str, list[dict]]], legend_title: str, metric: str,
                 others: list[str]) -> SweepPanel:
    """One setting's panel of `_sweep_picture`: a line per group (`_sweep_groups`), the seeds'
    statistics at each value, the axis as `_sweep_x_axis` lays it out."""
    lines = []
    n = len(groups)
    for i, ((label, group_rows), color) in enumerate(zip(groups, _group_colors(n), strict=True)):
        if not group_rows:
            continue
        xs, mean, low, high, count = _seed_statistics(axis, group_rows, metric)
        if axis.kind == "categorical":  # side by side within a category, as _draw_sweep_panel dodges them
            xs = xs + (i - (n - 1) / 2) * min(0.5 / max(n, 1), 0.12)
        lines.append(SweepLine(label or "mean", color, xs, mean, low, high, bool(np.any(count > 1))))
    note = f"mean over {', '.join(others)} too (spread: all their runs)" if others and not legend_title else ""
    if axis.kind == "categorical":
        step = -(-len(axis.values) // MAX_CATEGORY_TICKS)
        ticks = np.arange(0, len(axis.values), step, dtype=float)
        return SweepPanel(axis.label, "bar", False, (-0.5, len(axis.values) - 0.5), ticks, list(axis.values[::step]),
                          lines, legend_title, note)
    xlim = None
    if axis.scale == "log" and len(axis.values) >= 2:
        low, high = min(axis.values), max(axis.values)
        pad = (high / low) ** 0.06
        xlim = (low / pad, high * pad)
    return SweepPanel(axis.label, "band", axis.scale == "log", xlim, np.array(axis.values, dtype=float),
                      [f"{v:g}" for v in axis.values], lines, legend_title, note)


def _metric_value(value: Any) -> float:
    """A results.csv metric as a float; None, '', text and non-finite values become NaN."""
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        return np.nan
    return number if np.isfinite(number) else np.nan


def _as_number(value: Any) -> float | None:
    """A setting value as a number: ints and floats, and a one-element list of one (a width such
    as [16]); None for anything else (text, bools, None, longer lists)."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return float(value) if np.isfinite(value) else None


def _value_text(value: Any, digits: int | None = None) -> str:
    """A setting value as the sweep writes it: 0.1, 1e-05, [16, 16], tanh; floats with `digits`
    significant digits when given, else with up to 6."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(v, digits) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}" if digits else f"{value:g}"
    return str(value)


def is_sampled(values: list[float]) -> bool:
    """Whether a numeric setting's distinct values were drawn at random (a sweep's random:
    space) rather than listed by a person: more than MAX_VALUE_TICKS of them, or one that takes
    more than 4 significant digits to write (a person writes 0.003; uniform draws 0.0031832…)."""
    return len(values) > MAX_VALUE_TICKS or any(float(f"{v:.4g}") != v for v in values)


def reading_order(rows: list[dict], settings: list[str]) -> list[int]:
    """The indices of `rows` in the order a grid of their pictures reads best: a grid's rows as
    they are; a random search's grouped by the listed settings (and seed) in order of first
    appearance, and within a group by the sampled settings' values, low to high."""
    axes = [_sweep_axis(key, [row.get(key) for row in rows]) for key in settings]
    sampled = [axis for axis in axes if axis.sampled]
    if not sampled:
        return list(range(len(rows)))
    listed = [key for key in [*settings, "seed"] if key not in {axis.key for axis in sampled}]
    combos = [tuple(_value_text(row.get(key)) for key in listed) for row in rows]
    group = {combo: g for g, combo in enumerate(dict.fromkeys(combos))}
    place = [(group[combo], *(axis.position(row.get(axis.key)) for axis in sampled))
             for row, combo in zip(rows, combos, strict=True)]
    return sorted(range(len(rows)), key=place.__getitem__)


def _sweep_axis(key: str, raw: list) -> _SweepAxis:
    """The layout of setting `key` given every run's value of it."""
    numbers = [_as_number(v) for v in raw]
    if raw and all(n is not None for n in numbers):
        distinct = sorted(set(numbers))  # type: ignore[type-var]
        label = key
        if any(isinstance(v, (list, tuple)) for v in raw):
            label = f"{key} (width)" if key.rsplit(".", 1)[-1] == "hidden" else f"{key} (its one value)"
        sampled = key != "seed" and is_sampled(distinct)
        label += " (sampled)" if sampled else ""
        return _SweepAxis(key, "numeric", _x_scale(np.array(distinct)), distinct, label, sampled)
    texts = list(dict.fromkeys(_value_text(v) for v in raw))
    return _SweepAxis(key, "categorical", "linear", texts, key)


def _x_scale(values: Array) -> str:
    """ "log" when the distinct values are positive and span two decades or more, or span more
    than one and sit more evenly on a log axis than on a linear one (1, 2, 5, 20, 50; 16, 64,
    256); "symlog" when a zero joins positive values that span two decades (L2 0, 1e-4 … 1e-2);
    otherwise "linear"."""
    if len(values) < 2:
        return "linear"
    positive = values[values > 0]
    if len(positive) == len(values):
        decades = np.log10(values.max() / values.min())
        if decades >= 2:
            return "log"
        if decades > 1 and _largest_gap_share(np.log10(values)) < _largest_gap_share(values):
            return "log"
        return "linear"
    if np.all(values >= 0) and len(positive) >= 2 and np.log10(positive.max() / positive.min()) >= 2:
        return "symlog"
    return "linear"


def _largest_gap_share(values: Array) -> float:
    """The largest gap between neighbouring sorted values as a share of their whole span."""
    values = np.sort(values)
    return float(np.max(np.diff(values)) / (values[-1] - values[0]))


def _sweep_groups(rows: list[dict], others: list[str]) -> tuple[list[tuple[str, list[dict]]], str]:
    """The runs split by their values of the other settings: ([(label, rows)], legend title).
    Numeric values are ordered by size, text in order of first appearance. No other settings,
    or too many combinations to tell apart: one group of everything, labelled ""."""
    if not others:
        return [("", rows)], ""
    keys = [tuple(_value_text(row.get(k)) for k in others) for row in rows]
    order = list(dict.fromkeys(keys))
    if len(order) > MAX_SWEEP_LINES:
        return [("", rows)], ""
    # per setting: numbers by size when all its values are numbers, else the order of appearance
    numeric = [all(_as_number(row.get(k)) is not None for row in rows) for k in others]
    appearance = [list(dict.fromkeys(key[j] for key in keys)) for j in range(len(others))]
    sort_keys = []
    for combo in order:
        row = rows[keys.index(combo)]
        sort_keys.append(
            tuple(
                _as_number(row.get(k)) if is_number else appearance[j].index(combo[j])
                for j, (k, is_number) in enumerate(zip(others, numeric, strict=True))
            )
        )
    order = [combo for _, combo in sorted(zip(sort_keys, order, strict=True), key=lambda pair: pair[0])]
    groups = [(" · ".join(combo), [r for r, k in zip(rows, keys, strict=True) if k == combo]) for combo in order]
    return groups, " · ".join(others)


def _group_colors(n: int) -> list:
    """One colour per line: Okabe–Ito for a few, viridis (without its pale yellow end) for more."""
    if n <= len(CLASS_COLORS) - 1:  # the palette's yellow is too pale for a thin line
        return list(CLASS_COLORS[:n])
    from matplotlib import colormaps  # only here: sweep.png drawn as pixels needs none of it

    return [colormaps[SEQUENTIAL_CMAP](t) for t in np.linspace(0.0, 0.85, n)]


def _seed_statistics(axis: _SweepAxis, rows: list[dict], metric: str) -> tuple[Array, Array, Array, Array, Array]:
    """(x, mean, low, high, count) over the runs of `rows` at each distinct x, sorted by x."""
    by_x: dict[float, list[float]] = {}
    for row in rows:
        by_x.setdefault(axis.position(row.get(axis.key)), []).append(_metric_value(row.get(metric)))
    xs = np.array(sorted(by_x), dtype=float)
    stats = np.array([[np.mean(by_x[x]), np.min(by_x[x]), np.max(by_x[x]), len(by_x[x])] for x in xs]).reshape(-1, 4)
    return xs, stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]


def _draw_sweep_panel(ax: Axes, axis: _SweepAxis, rows: list[dict], others: list[str], metric: str) -> None:
    """The lines (numeric x) or dodged points with min–max bars (categorical x) of one setting."""
    groups, legend_title = _sweep_groups(rows, others)
    colors = _group_colors(len(groups))
    n = len(groups)
    for i, ((label, group_rows), color) in enumerate(zip(groups, colors, strict=True)):
        xs, mean, low, high, count = _seed_statistics(axis, group_rows, metric)
        name = label or "mean"
        if axis.kind == "numeric":
            # (a random search's scattered values are drawn by _draw_runs_panel)
            ax.plot(xs, mean, color=color, lw=1.8, marker="o", ms=5, label=name, zorder=3)
            if np.any(count > 1):
                ax.fill_between(xs, low, high, color=color, alpha=0.16, lw=0, zorder=1)
        else:
            # side by side within a category, so lines of equal value do not hide each other
            shift = (i - (n - 1) / 2) * min(0.5 / max(n, 1), 0.12)
            ax.errorbar(
                xs + shift,
                mean,
                yerr=[mean - low, high - mean],
                color=color,
                ls="",
                marker="o",
                ms=6,
                capsize=3,
                lw=1.4,
                label=name,
                zorder=3,
            )
    if legend_title:
        # beside the panel, never over the points
        ax.legend(
            title=legend_title,
            frameon=False,
            fontsize=8,
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    elif others:  # too many combinations for one line each
        ax.set_title(f"mean over {', '.join(others)} too (spread: all their runs)", fontsize=9)
    if not rows:
        ax.text(0.5, 0.5, "no run has a value", transform=ax.transAxes, ha="center", color=NEUTRAL_DARK)


def _draw_runs_panel(
    fig: Figure, ax: Axes, axis: _SweepAxis, rows: list[dict], others: list[_SweepAxis], metric: str
) -> None:
    """One point per run (a random search): the metric against this setting, coloured by the
    first sampled other setting (a colour bar), else by the other settings' values (a legend of
    at most MAX_SWEEP_LINES entries; more combinations: one colour)."""
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.ticker import FuncFormatter

    x = lambda group: [axis.position(row.get(axis.key)) for row in group]
    y = lambda group: [_metric_value(row.get(metric)) for row in group]
    style = {"s": 34, "edgecolors": EDGE, "linewidths": 0.5, "alpha": 0.9, "zorder": 3}
    colour_by = next((other for other in others if other.sampled), None)
    if colour_by is not None:
        shade = [colour_by.position(row.get(colour_by.key)) for row in rows]
        low, high = (min(colour_by.values), max(colour_by.values)) if colour_by.values else (0.0, 1.0)
        norm = LogNorm(low, high) if colour_by.scale == "log" else Normalize(low, high)
        points = ax.scatter(x(rows), y(rows), c=shade, cmap=SEQUENTIAL_CMAP, norm=norm, **style)
        bar = fig.colorbar(points, ax=ax, label=colour_by.label, shrink=0.9)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    else:
        groups, legend_title = _sweep_groups(rows, [other.key for other in others])
        for (label, group), color in zip(groups, _group_colors(len(groups)), strict=True):
            ax.scatter(x(group), y(group), color=color, label=label or None, **style)
        if legend_title:
            ax.legend(title=legend_title, frameon=False, fontsize=8, title_fontsize=8, loc="upper left",
                      bbox_to_anchor=(1.01, 1.0))
        elif others:
            ax.set_title(f"all values of {', '.join(o.key for o in others)} in one colour", fontsize=9)
    if not rows:
        ax.text(0.5, 0.5, "no run has a value", transform=ax.transAxes, ha="center", color=NEUTRAL_DARK)


MAX_CATEGORY_TICKS = 8  # labelled categories on one axis of sweep.png


def _sweep_x_axis(ax: Axes, axis: _SweepAxis) -> None:
    """Scale, ticks and the label of one setting's axis: a tick at each value a person listed
    (when few), ordinary ticks for sampled values (one tick per sample ran their labels into
    one another)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xlabel(axis.label)
    if axis.kind == "categorical":
        # at most MAX_CATEGORY_TICKS labels (a search samples a new hidden=[w, w] a trial: 60 labels
        # on one axis were a black smudge): every k-th category, the first among them
        step = -(-len(axis.values) // MAX_CATEGORY_TICKS)
        ax.set_xticks(range(0, len(axis.values), step), axis.values[::step])
        ax.set_xlim(-0.5, len(axis.values) - 0.5)
        if sum(len(t) for t in axis.values) > 40:  # long texts would run into each other
            ax.tick_params(axis="x", labelrotation=30)
        return
    if axis.scale == "log":
        ax.set_xscale("log")
    elif axis.scale == "symlog":
        positive = [v for v in axis.values if v > 0]
        ax.set_xscale("symlog", linthresh=min(positive), linscale=0.5)
    if not axis.sampled:  # a tick at each value the sweep tried, as it was written
        ax.xaxis.set_major_locator(FixedLocator(axis.values))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
    elif axis.scale == "log":
        _sampled_log_ticks(ax, axis.values)
    if axis.scale == "log" and len(axis.values) >= 2:
        low, high = min(axis.values), max(axis.values)
        pad = (high / low) ** 0.06
        ax.set_xlim(low / pad, high * pad)


def _sampled_log_ticks(ax: Axes, values: list[float]) -> None:
    """Ticks of a log axis over sampled values: 1, 2, 5 × 10^k over a few decades, powers of ten
    beyond, written in 3 significant digits at most (0.002, 0.05, 1e-05)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    decades = np.log10(max(values) / min(values))
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,), numticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _sweep_caption(rows: list[dict], kept: list[dict], values: Array, settings: list[str], kinds: list[str]) -> str:
    """What a line and a band (numeric x) or bar (categorical x) are, over how many seeds, and how
    many runs have no value."""
    seeds = {_value_text(row.get("seed")) for row in rows if row.get("seed") is not None}
    if settings == ["seed"]:
        parts = [f"one point per seed ({len(rows)} runs)"]
    elif "run" in kinds:
        parts = ["random search: one point per run" + (f" ({len(seeds)} seeds each)" if len(seeds) > 1 else "")]
    elif len(seeds) > 1:
        spread = " or ".join(kinds)
        mean = "line" if "band" in kinds else "point"
        parts = [f"{mean}: mean over {len(seeds)} seeds · {spread}: lowest to highest seed"]
    else:
        parts = [f"seed {seeds.pop()} only" if seeds else "mean over the runs at each value"]
    missing = len(rows) - len(kept)
    if missing:
        failed = [row for row, v in zip(rows, values, strict=True) if not np.isfinite(v)]
        statuses = [str(row.get("status") or "no status") for row in failed]
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        parts.append(f"{missing} run{'s' if missing != 1 else ''} without a value ({counts}), not drawn")
    return " · ".join(parts)


# ---------------------------------------------------------------- boundaries.png

MAX_BOUNDARY_COLUMNS = 6


def plot_boundaries(
    panels: list[tuple[str, Callable[[Array], Array], PlotData]],
    path: Path,
    *,
    title: str,
    score_label: str = "P(class 1)",
    dpi: int = DPI,
    resolution: int = 100,
    ncols: int | None = None,
    sketches: Sequence[RunSketch] | None = None,
    tiles: raster_sweep.Tiles = raster_sweep.in_turn,
) -> Path:
    """A grid of small decision-boundary pictures, one per run: boundaries.png (seed 001's
    "hidden layer size 1, 2, 3, 4, 5, 20, 50" figure).

    - panels: (label, predict_scores, data) per run, in reading order. label names the run's
      settings ("hidden=[3] · lr=0.1 · seed 0"); predict_scores and data as `plot_boundary`.
    - ncols: columns of the grid; default about square, at most MAX_BOUNDARY_COLUMNS.
    - sketches: each panel's `RunSketch`, when the caller has them (a sweep's workers sent
      them): a PNG's layout is then made without touching `panels`, which may read each run
      only when its own panel is drawn.
    - tiles: how a PNG's panels are drawn: in turn, or by other processes (`raster.sweep.Tiles`).
    Every panel covers the same region (the union of the runs' data, padded as boundary.png),
    so panels compare at a glance; each title carries the run's accuracy. One colour bar
    (`score_label`, two classes) and one legend serve the whole figure. Returns `path`.
    """
    if is_png(path):
        picture = _runs_picture(panels, title=title, score_label=score_label, resolution=resolution, ncols=ncols,
                                sketches=sketches)
        if picture is not None:
            return raster_sweep.plot_boundaries(panels, picture, path, dpi=dpi, tiles=tiles)
    panels = list(panels)  # each panel read once: the figure goes through them several times
    figure = _boundaries_figure(panels, title=title, score_label=score_label, resolution=resolution, ncols=ncols)
    return save(figure, path, dpi)


@dataclass(frozen=True)
class RunSketch:
    """What boundaries.png's layout needs of one run, its model and data aside: its panel's label;
    low, high: (2,) the box of its data (train and validation); scores: how many class scores
    its model gives; n_classes: its classes as `count_classes` counts them with those scores;
    classes: those n_classes as a legend names them (`PlotData.class_label`)."""

    label: str
    low: Array
    high: Array
    scores: int
    n_classes: int
    classes: tuple[str, ...]


def run_sketch(label: str, predict: Callable[[Array], Array], data: PlotData) -> RunSketch:
    """The `RunSketch` of a run, a panel as `plot_boundaries` takes it: its model scores one
    point of its data, to count its classes."""
    _check_runs([(label, predict, data)])
    X = all_X(data)
    low, high = column_range(X)
    scores = as_probabilities(np.asarray(predict(X[:1]), dtype=float)).shape[-1]
    n_classes = count_classes(data, scores)
    return RunSketch(label, low, high, scores, n_classes, tuple(data.class_label(k) for k in range(n_classes)))


def _runs_picture(panels: Sequence[tuple[str, Callable[[Array], Array], PlotData]], *, title: str,
                  score_label: str, resolution: int, ncols: int | None,
                  sketches: Sequence[RunSketch] | None = None) -> RunsPicture | None:
    """boundaries.png's layout as `raster_sweep` draws it, as `_boundaries_figure` lays it out
    (the same grid, plane, titles and colours), from the runs' sketches (given, or made here:
    each model scores one point), without predicting any run's grid. The plane is the padded
    box of every run's box, which is that of all their points. None where matplotlib draws
    (many classes)."""
    if sketches is None:
        sketches = [run_sketch(*panel) for panel in panels]
    if not sketches:
        raise ValueError("boundaries needs at least one run")
    labels, shared = _split_common_parts([s.label for s in sketches])
    corners = np.array([corner for s in sketches for corner in (s.low, s.high)])
    plane = plane_grid(corners, resolution)
    n_classes = max(s.n_classes for s in sketches)
    if not raster_sweep.boundaries_drawn_here(n_classes):
        return None
    grid, wrapped = _run_grid(labels, ncols, plane[2])
    classes = max(sketches, key=lambda s: s.n_classes).classes  # named by a run that has them all
    return RunsPicture(_boundaries_heading(title, shared), wrapped, grid, plane, class_colors(n_classes), classes,
                       any(s.scores == 2 for s in sketches), score_label,
                       (RUNS_LEFT, RUNS_BOTTOM, RUNS_GAP, RUNS_TITLE_LINE))


def _boundaries_heading(title: str, shared: str) -> str:
    """boundaries.png's bold title: the sweep's, and what every run shares ("seed 0")."""
    return title + (f"\nevery run: {shared}" if shared else "")


def _boundary_columns(n: int) -> int:
    """About square, at most MAX_BOUNDARY_COLUMNS; of two close column counts, the one that
    leaves fewer empty cells (7 panels: 4 + 3, not 3 + 3 + 1)."""
    if n <= 1:
        return 1
    first = min(int(np.ceil(np.sqrt(n))), MAX_BOUNDARY_COLUMNS)
    candidates = [c for c in (first, first + 1) if c <= MAX_BOUNDARY_COLUMNS]
    return min(candidates, key=lambda c: (-n % c, c))


def _wrap_label(label: str, width: int) -> str:
    """Break a " · "-separated label into lines of about `width` characters, between its parts."""
    lines: list[str] = []
    for part in label.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "\n".join(lines)


@dataclass(frozen=True)
class _RunGrid:
    """How boundaries.png lays out n panels: ncols x nrows, each panel width x height inches
    under its title lines (row_height in all), titles at `font` points."""

    n: int
    ncols: int
    nrows: int
    font: float
    width: float
    height: float
    row_height: float

    def is_left(self, index: int) -> bool:
        return index % self.ncols == 0

    def is_lowest(self, index: int) -> bool:
        """No panel below this one (the last row may be short)."""
        return index + self.ncols >= self.n


def _run_grid(labels: list[str], ncols: int | None, extent: tuple) -> tuple[_RunGrid, list[str]]:
    """The layout for one panel per label, and the labels wrapped to the panel's width."""
    n = len(labels)
    ncols = max(1, min(ncols or _boundary_columns(n), n))
    # smaller panels and type as the grid fills up, so 30 runs still fit a page
    side = 2.3 if n <= 12 else 1.9 if n <= 20 else 1.65
    font = 8.0 if n <= 12 else 7.0 if n <= 20 else 6.0
    wrap = int(side * 72 / (0.62 * font))  # characters per title line at this font size
    labels = [_wrap_label(label, wrap) for label in labels]
    title_lines = max(label.count("\n") + 1 for label in labels) + 1  # + the accuracy line
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    width, height = side * min(1.0 / aspect, 1.0), side * min(aspect, 1.0)
    row_height = height + title_lines * font * 1.25 / 72 + 0.12
    return _RunGrid(n, ncols, -(-n // ncols), font, width, height, row_height), labels


def _boundaries_figure(
    panels: list[tuple[str, Callable[[Array], Array], PlotData]],
    *,
    title: str,
    score_label: str,
    resolution: int,
    ncols: int | None,
) -> Figure:
    """The figure of `plot_boundaries`, unsaved: the panels, in rows, then the shared colour bar
    and legend, placed by their known sizes (no layout engine)."""
    from matplotlib.figure import Figure

    labels, shared = _split_common_parts([label for label, _, _ in panels])
    runs = run_boundaries(panels, labels, resolution=resolution, ncols=ncols)
    heading = _boundaries_heading(title, shared)
    top = 0.12 + RUNS_TITLE_LINE * (heading.count("\n") + 1)
    fig = Figure(figsize=(runs.width, runs.height + RUNS_BOTTOM + top))
    runs.draw(fig, score_label, top=top)
    fig.suptitle(heading, fontweight="bold", fontsize=12 if runs.grid.n <= 12 else 11,
                 y=1 - 0.06 / fig.get_figheight(), va="top")
    return fig


# boundaries.png's margins, inches: the y tick labels and name; the x tick labels, name and the
# legend; the gap between panels; the bold title's line
RUNS_LEFT, RUNS_BOTTOM, RUNS_GAP, RUNS_TITLE_LINE = 0.42, 0.62, 0.1, 0.22


@dataclass(frozen=True)
class RunBoundaries:
    """Runs' decision regions on one shared plane, laid out as a grid of small panels: what
    boundaries.png draws, and compare.png below its curves.

    - panels: (label, predict_scores, data) per run; labels: the panels' titles, wrapped.
    - plane: (xx, yy, extent), the grid every run is evaluated on (the union of their data,
      padded as boundary.png); probabilities: (r, r, K) per run; colors: (K', 3) class colours.
    """

    panels: list[tuple[str, Callable[[Array], Array], PlotData]]
    labels: list[str]
    grid: _RunGrid
    plane: tuple
    probabilities: list[Array]
    colors: Array

    @property
    def has_bar(self) -> bool:
        return any(P.shape[-1] == 2 for P in self.probabilities)

    @property
    def width(self) -> float:
        """Inches the panels, their colour bar and margins take across."""
        return RUNS_LEFT + self.grid.ncols * (self.grid.width + RUNS_GAP) + 0.03 + (0.75 if self.has_bar else 0.0)

    @property
    def height(self) -> float:
        return self.grid.nrows * self.grid.row_height

    def draw(self, fig: Figure, score_label: str, *, top: float = 0.0) -> list[Axes]:
        """The panels in `fig` (a figure or subfigure), `top` inches below its top edge, sharing x
        and y limits, with one colour bar beside them and one legend (classes, splits, the
        boundary line) below, in RUNS_BOTTOM inches; centred across when `fig` is wider than the
        panels; returns the axes."""
        grid, extent = self.grid, self.plane[2]
        axes = _run_axes(fig, grid, top=top, left=RUNS_LEFT + (figure_inches(fig)[0] - self.width) / 2)
        banded = banded_two_classes(self.colors)
        shading, splits = None, []
        for index, (ax, (_, predict, data), label, P) in enumerate(
                zip(axes, self.panels, self.labels, self.probabilities, strict=True)):
            image = _shade_run(ax, P, self.plane, self.colors, banded)
            shading = image if image is not None else shading
            accuracy = _run_points(ax, predict, data, self.colors)
            splits += [split for split in accuracy if split not in splits]
            _run_panel_axes(ax, index, grid, data, label, accuracy, extent)
        if shading is not None:
            _runs_colour_bar(fig, shading, grid, score_label, axes)
        _runs_legend(fig, self.panels[0][2], self.colors, splits, grid.font)
        return axes


def run_boundaries(
    panels: list[tuple[str, Callable[[Array], Array], PlotData]],
    labels: list[str],
    *,
    resolution: int = 100,
    ncols: int | None = None,
) -> RunBoundaries:
    """Every run of `panels` evaluated on one plane covering all their data, laid out in
    `ncols` columns (default: about square) under `labels`, ready to draw."""
    _check_runs(panels)
    xx, yy, extent = plane_grid(np.vstack([all_X(data) for _, _, data in panels]), resolution)
    points = grid_points(xx, yy)
    probabilities = [
        as_probabilities(np.asarray(predict(points), dtype=float)).reshape(resolution, resolution, -1)
        for _, predict, _ in panels
    ]
    n_classes = max(count_classes(data, P.shape[-1]) for (_, _, data), P in zip(panels, probabilities, strict=True))
    grid, wrapped = _run_grid(labels, ncols, extent)
    return RunBoundaries(panels, wrapped, grid, (xx, yy, extent), probabilities, class_colors(n_classes))


def _check_runs(panels: list[tuple[str, Callable[[Array], Array], PlotData]]) -> None:
    if not panels:
        raise ValueError("boundaries needs at least one run")
    for label, _, data in panels:
        if data.n_features != 2 or data.task != "classification":
            raise ValueError(f"{label}: boundaries need 2-D classification data, got {data.n_features}-D {data.task}")


def figure_inches(fig: Figure) -> tuple[float, float]:
    """(width, height) in inches of a figure or a subfigure (which has no size of its own)."""
    return fig.bbox.width / fig.figure.dpi, fig.bbox.height / fig.figure.dpi


def _run_axes(fig: Figure, grid: _RunGrid, *, top: float, left: float) -> list[Axes]:
    """One axes per run in reading order, placed in `fig` where the grid's sizes put them, the
    first row `top` inches below its top and the first column `left` inches from its left edge
    (every size is known here: a layout engine measured every tick label of every panel, more
    than half the picture's time with 30 runs)."""
    width, height = figure_inches(fig)
    axes = []
    for index in range(grid.n):
        row, column = divmod(index, grid.ncols)
        x = left + column * (grid.width + RUNS_GAP)
        y = height - top - (row + 1) * grid.row_height + 0.04  # the row's title above the panel
        axes.append(fig.add_axes((x / width, y / height, grid.width / width, grid.height / height)))
    return axes


def _shade_run(ax: Axes, P: Array, plane: tuple, colors: Array, banded: tuple[Any, Any]) -> Any:
    """One run's regions (P: (r, r, K) on the plane (xx, yy, extent)) and thin boundary lines;
    returns the image when it is shaded by P(class 1) (two classes), else None."""
    xx, yy, extent = plane
    shading = None
    if P.shape[-1] == 2:
        cmap, norm = banded
        shading = ax.imshow(P[..., 1], origin="lower", extent=extent, cmap=cmap, norm=norm, zorder=0)
    else:
        shade_many_classes(ax, P, colors, extent)
    for contours in draw_boundaries(ax, xx, yy, P):
        contours.set_linewidth(1.1)
    return shading


def _run_points(ax: Axes, predict: Callable[[Array], Array], data: PlotData, colors: Array) -> dict[str, float]:
    """One run's points, small, in their class's colour; returns {split: accuracy}."""
    accuracy = {}
    quotas = split_quotas(data, MAX_POINTS_DRAWN)  # a large set: a stratified sample (boundary.png's)
    for split, X, y in data.splits():
        y = class_indices(y)
        size = 5 if split == "train" else 7
        shown = sample_rows(y, quotas[split])
        scatter_split(ax, X[shown], split, c=colors[y[shown]], s=size, linewidths=0.3, zorder=3)
        accuracy[split] = float(np.mean(predicted_classes(predict, X) == y))
    return accuracy


def _run_panel_axes(
    ax: Axes, index: int, grid: _RunGrid, data: PlotData, label: str, accuracy: dict[str, float], extent: tuple
) -> None:
    """Title (the run's label and accuracy), limits, and tick labels on the left column and
    under the lowest panel of each column only."""
    from matplotlib.ticker import MaxNLocator

    font = grid.font
    scores = " · ".join(f"{'val' if s == 'validation' else s} {percent(a)}" for s, a in accuracy.items())
    # y given: matplotlib leaves the title where it is instead of measuring every tick label
    # above the axes (there are none) for each panel: a third of the picture's time with 30 runs
    ax.set_title(f"{label}\n{scores}" if label else scores, fontsize=font, pad=2, linespacing=1.15, y=1.0)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    # at most five ticks a side (seven half-steps at 5-pt were a crowd): every tick is a
    # matplotlib object of its own, made anew in each of 30 panels
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.tick_params(labelsize=font - 1, length=2, pad=1)
    ax.tick_params(labelleft=grid.is_left(index), labelbottom=grid.is_lowest(index))
    if grid.is_left(index):
        ax.set_ylabel(data.feature_name(1), fontsize=font, labelpad=1)
    if grid.is_lowest(index):
        ax.set_xlabel(data.feature_name(0), fontsize=font, labelpad=1)


def _runs_colour_bar(fig: Figure, shading: Any, grid: _RunGrid, score_label: str, axes: list[Axes]) -> None:
    """One colour bar of P(class 1) for every panel, right of the grid (`axes`), beside its
    middle: at most 3.2 inches, however tall the grid."""
    width, height = figure_inches(fig)
    first, last = axes[0].get_position(), axes[min(grid.ncols, grid.n) - 1].get_position()  # the first row
    span = grid.nrows * grid.row_height
    bar = min(0.8 * span, 3.2)
    left = last.x1 * width + RUNS_GAP + 0.12
    middle = first.y0 * height - 0.04 + grid.row_height - span / 2  # the rows' top (titles too), less half of them
    cax = fig.add_axes((left / width, (middle - bar / 2) / height, 0.12 / width, bar / height))
    colour_bar = fig.colorbar(shading, cax=cax, ticks=np.linspace(0, 1, 6))
    colour_bar.set_label(score_label, fontsize=grid.font + 1)
    colour_bar.ax.tick_params(labelsize=grid.font)


def _runs_legend(fig: Figure, data: PlotData, colors: Array, splits: list[str], font: float) -> None:
    """One legend below the grid: classes, marker shapes, the boundary line."""
    from matplotlib.lines import Line2D

    boundary = Line2D([], [], color=BOUNDARY, lw=1.1, label="decision boundary")
    handles = class_handles(data, colors) + split_handles(splits) + [boundary]
    fig.legend(handles=handles, ncols=min(len(handles), 7), loc="lower center", bbox_to_anchor=(0.5, 0.0),
               frameon=False, fontsize=font + 1)


def _split_common_parts(labels: list[str]) -> tuple[list[str], str]:
    """Labels without the " · "-separated parts that all of them share, and those parts: the
    panels say what differs, the figure's title what is the same ("seed 0")."""
    parts = [label.split(" · ") for label in labels]
    common = [p for p in parts[0] if all(p in other for other in parts[1:])] if len(labels) > 1 else []
    return [" · ".join(p for p in label if p not in common) for label in parts], " · ".join(common)


# ---------------------------------------------------------------- report.html's thumbnails

THUMB_DPI = 100  # a thumbnail's size in inches × 100 is its size in pixels


def model_thumbnail(predict: Callable[[Array], Array], data: PlotData, *, width: int,
                    grid_scores: Callable[[Array], Array] | None = None) -> tuple[bytes, str]:
    """(PNG bytes, what they show) of a run's model, drawn `width` px wide to be seen that size,
    without title, labels, ticks or colour bar (the page's caption says what it is):
    1 or 2 inputs: the animation's first panel (class regions and boundary, class probabilities,
    predicted surface, or curve) over the whole picture, the plane in its own aspect (height 0.5
    to 1.2 × width); more inputs: the confusion matrix as colours (classification) or predicted
    against true targets (regression). predict, data and grid_scores (a 2-D classifier's regions)
    as `plot_boundary` / `plot_fit` take them."""
    if data.n_features <= 2:
        low, high = padded_box(all_X(data), 0.12)
        aspect = (high[1] - low[1]) / (high[0] - low[0]) if data.n_features == 2 else 0.75
    else:
        aspect = 1.0
    height = round(width * min(max(aspect, 0.5), 1.2))
    if (data.n_features, data.task) == (2, "classification"):  # an image already: drawn as pixels (plots.raster)
        pixels = regions_thumbnail(grid_scores or predict, data, class_colors(count_classes(data)), (width, height),
                                   resolution=ANIMATION_RESOLUTION, point_area=16 / 3, dpi=THUMB_DPI)
        return thumbnail_png(pixels), "decision boundary"
    from matplotlib.collections import PathCollection  # heavy: only for the cases drawn as figures
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / THUMB_DPI, height / THUMB_DPI))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    if data.n_features > 2:
        label = _outcome_thumbnail(ax, predict, data)
    else:
        colors = class_colors(count_classes(data)) if data.task == "classification" else None
        model_panel(fig, ax, data, colors, colorbar=False).update(AnimationFrame(0, predict, None))
        ax.set_title("")
        for points in ax.collections:  # the animation's points, a third the area: the regions show between them
            if isinstance(points, PathCollection):
                points.set_sizes(points.get_sizes() / 3)
        label = {(2, "classification"): "decision boundary", (1, "classification"): "class probabilities"}.get(
            (data.n_features, data.task), "fit")
    ax.set_axis_off()
    return _png_bytes(fig), label


def _outcome_thumbnail(ax: Axes, predict: Callable[[Array], Array], data: PlotData) -> str:
    """Predictions on the validation split (else the training one) of a model with more than 2
    inputs: the confusion matrix, each row's shares as colours (classification), or the
    prediction against the target with the line of perfect ones (regression). Returns what it shows."""
    split, X, y = list(data.splits())[-1]
    if data.task == "classification":
        n_classes = count_classes(data)
        counts = confusion_counts(y, predicted_classes(predict, X), n_classes)
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap=SEQUENTIAL_CMAP, vmin=0.0, vmax=1.0, interpolation="nearest")
        return f"confusion matrix, {split} (rows: true class; bright: most)"
    target, predicted = target_column(y), target_column(np.asarray(predict(X), dtype=float))
    low, high = padded_box(np.concatenate([target, predicted])[:, None], 0.05)
    ax.plot([low[0], high[0]], [low[0], high[0]], color=NEUTRAL_DARK, lw=1.0)
    ax.scatter(target, predicted, s=8, color=SPLIT_COLORS[split], edgecolors="none", alpha=0.6)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[0], high[0])
    return f"prediction against target, {split} (line: perfect)"


def loss_thumbnail(metrics: list[dict], *, width: int, height: int, by_class: bool) -> bytes | None:
    """PNG bytes of the loss per epoch, `width` x `height` px: train solid, validation dashed
    (`split_line`: as in loss.png and the animation), on a log axis when it spans decades,
    with a few ticks in 8-pt type and no title, axis label or legend (the page's caption says
    which line is which). None when no loss is finite. metrics: metrics.csv's rows. Drawn as
    pixels (`raster.thumbnails`): no matplotlib."""
    pixels = loss_pixels(metrics, width=width, height=height)
    return None if pixels is None else thumbnail_png(pixels, quantize="fast")


def _png_bytes(fig: Figure, quantize: str = "median") -> bytes:
    """The figure as PNG bytes at THUMB_DPI, in 256 colours (`thumbnail_png`)."""
    width, height = (int(inches * THUMB_DPI) for inches in fig.get_size_inches())  # as Agg sizes its canvas
    rgba = np.frombuffer(figure_bytes(fig, fmt="rgba", dpi=THUMB_DPI), dtype=np.uint8).reshape(height, width, 4)
    return thumbnail_png(np.ascontiguousarray(rgba[..., :3]), quantize)


def thumbnail_png(pixels, quantize: str = "median") -> bytes:
    """(h, w, 3) uint8 pixels (or an RGB Pillow image) as report.html's PNG bytes in 256 colours
    (a plot needs no more; a third the size): by median cut for smooth shading (regions), by
    the octree, five times faster and as exact for a few flat colours and their anti-aliased
    edges (curves). Encoded by nnctl's own PNG writer (`raster.canvas.png_bytes`)."""
    from PIL import Image

    image = Image.fromarray(pixels, "RGB") if isinstance(pixels, np.ndarray) else pixels
    method = Image.Quantize.MEDIANCUT if quantize == "median" else Image.Quantize.FASTOCTREE
    return png_bytes(image.quantize(256, method=method), dpi=THUMB_DPI)
