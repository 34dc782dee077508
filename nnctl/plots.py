"""The pictures of a run, drawn from arrays and callables only.

Reading a run directory is someone else's job (`runs.load_run`); here everything arrives as NumPy
arrays, metric rows and a predict function, so every picture can be drawn and tested without
training anything.

    plot_loss(metrics, path, title=...)                  loss.png: loss (and accuracy) per epoch
    plot_boundary(predict_scores, data, path, title=...) boundary.png: 2-D classifier regions
    plot_fit(predict, data, path, title=...)             fit.png: regression curve / surface / parity
    plot_neurons(layer_maps, data, path, title=...)      neurons.png: every unit over the input plane
    plot_hidden(H_train, H_val, data, path, title=...)   hidden.png: the data as the last hidden layer sees it
    plot_norms(rows, path, title=...)                    norms.png: weight and gradient norms per layer
    plot_confusion(y_true, y_pred, names, path, ...)     confusion.png: true against predicted class
    render_animation(frames, data, metrics, path, ...)   animation.gif: boundary/fit, hidden layer, loss
    plot_sweep(rows, settings, path, metric=..., ...)    sweep.png: a metric against each swept setting
    plot_boundaries(panels, path, title=...)             boundaries.png: one small boundary per run of a sweep

matplotlib is imported inside the functions that draw, never at module import: `nnctl --help`
and runs without plots must not pay for it. Figures are built with the object-oriented API
(`matplotlib.figure.Figure`) instead of pyplot: no backend is switched (a notebook using nnctl
keeps its own), nothing is registered globally, so nothing leaks when drawing in a loop. PNG is
rendered by Agg and SVG by the SVG backend, whatever backend the user configured.

Colours are Okabe & Ito's colour-blind-safe palette; class k has the same colour in every
picture (region, points, legend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.files import save_figure, written

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Array = np.ndarray

DPI = 110
FORMATS = (".png", ".svg")
LOG_SCALE_DECADES = 1.5  # a loss that falls more than ~30x is read better on a log axis
FINE_LOG_TICKS_DECADES = 3.0  # up to this span, log ticks at 1, 2, 5 x 10^k; beyond, powers of ten only
LAYOUT_PAD = 0.09  # inches between panels, titles and the suptitle (constrained layout)
MAX_POINTS_ON_SURFACE = 400  # data drawn over a predicted surface: a sample, so the surface shows

# Okabe & Ito (2008). Black is left out: it draws edges, boundaries and error marks.
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
SPLIT_COLORS = {"train": "#0072B2", "validation": "#D55E00"}
# train and validation differ by shape, so they stay apart even where colour encodes something else
SPLIT_MARKERS = {"train": "o", "validation": "s"}
EDGE = "#222222"
NEUTRAL_DARK = "#444444"  # a line that is neither split, such as the learning rate
NEUTRAL = "#8c8c8c"  # legend swatches for "train"/"validation" when colour means class or target
BOUNDARY = "#1a1a1a"
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"  # ColorBrewer, colour-blind safe; red = prediction too high


@dataclass(frozen=True, eq=False)
class PlotData:
    """The data of a run, as the pictures need it.

    - X_train: (n, d) floats; X_val: (m, d), m may be 0
    - y_train: (n,) int class indices (classification) or (n, 1) floats (regression); y_val alike
    - task: "classification" | "regression"
    - class_names: one name per class (classification); missing names default to "0", "1", ...
    - feature_names: optional axis labels, one per input column; default x₀, x₁, ...
    """

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    task: str
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {self.task!r}")
        X_train = np.asarray(self.X_train, dtype=float)
        d = X_train.shape[1]
        # an empty validation set may arrive as shape (0,); give it the training width
        object.__setattr__(self, "X_train", X_train)
        object.__setattr__(self, "X_val", np.asarray(self.X_val, dtype=float).reshape(-1, d))

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def splits(self) -> Iterator[tuple[str, Array, Array]]:
        """(name, X, y) for "train" and, when it has rows, "validation"."""
        yield "train", self.X_train, np.asarray(self.y_train)
        if len(self.X_val):
            yield "validation", self.X_val, np.asarray(self.y_val)

    def feature_name(self, j: int) -> str:
        if self.feature_names is not None and j < len(self.feature_names):
            return self.feature_names[j]
        return f"x{_subscript(j)}"

    def class_name(self, k: int) -> str:
        return self.class_names[k] if k < len(self.class_names) else str(k)


# ---------------------------------------------------------------- shared figure machinery


def _new_figure(ncols: int = 1, *, panel: tuple[float, float] = (6.0, 4.4)) -> tuple[Figure, list[Axes]]:
    """A figure of `ncols` side-by-side panels, each `panel` inches, with constrained layout
    (it makes room for colourbars, legends outside the axes and the suptitle)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(panel[0] * ncols, panel[1]), layout="constrained")
    # the default pad (3 pt) leaves a bold suptitle touching the panel titles below it
    fig.get_layout_engine().set(h_pad=LAYOUT_PAD, w_pad=LAYOUT_PAD)
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def _save(fig: Figure, path: Path, dpi: int) -> Path:
    """Write `fig` in the format named by the suffix of `path` (.png or .svg); returns the path.
    The figure is unreferenced afterwards: without pyplot nothing else holds it."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unknown picture format (use one of {', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, path, dpi=dpi)


def _scatter_split(ax: Axes, X2: Array, split: str, **style: Any):
    """Points of one split, X2: (n, 2) plotting coordinates, with that split's marker shape."""
    style = {"s": 30 if split == "train" else 34, "edgecolors": EDGE, "linewidths": 0.6, "zorder": 3} | style
    return ax.scatter(X2[:, 0], X2[:, 1], marker=SPLIT_MARKERS[split], **style)


def _split_handles(splits: list[str]) -> list:
    """Legend entries that explain the marker shapes, in a neutral colour."""
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [], [], ls="", marker=SPLIT_MARKERS[s], markerfacecolor=NEUTRAL, markeredgecolor=EDGE, markersize=7, label=s
        )
        for s in splits
    ]


def _margin(X: Array, fraction: float) -> float:
    """`fraction` of the largest column span of X: (n, d): one margin in data units for every
    axis, so equal-aspect pictures get even borders whatever the data's scale."""
    return fraction * max(float(np.max(X.max(axis=0) - X.min(axis=0))), 1e-12)


def _padded_box(X: Array, fraction: float) -> tuple[Array, Array]:
    """(low, high), each (d,): the bounding box of X: (n, d) widened by `_margin` on every side."""
    pad = _margin(X, fraction)
    return X.min(axis=0) - pad, X.max(axis=0) + pad


def _subscript(j: int) -> str:
    return str(j).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


# ---------------------------------------------------------------- loss.png


def plot_loss(metrics: list[dict], path: Path, *, title: str, best_epoch: int | None = None, dpi: int = DPI) -> Path:
    """Loss per epoch (train and val), accuracy beside it when the rows have it, and the
    learning rate when a schedule changed it.

    - metrics: rows of metrics.csv, keys `epoch`, `train_loss` and optionally `val_loss`,
      `train_accuracy`, `val_accuracy`; a missing value may be None, NaN or absent.
    - best_epoch: drawn as a dashed vertical line on every panel.
    Returns `path`.
    """
    return _save(_loss_figure(metrics, title=title, best_epoch=best_epoch), path, dpi)


def _loss_figure(metrics: list[dict], *, title: str, best_epoch: int | None) -> Figure:
    """The figure of `plot_loss`, unsaved, so tests can inspect its axes."""
    from matplotlib.ticker import PercentFormatter

    epochs = _column(metrics, "epoch")
    panels = ["loss"] + (["accuracy"] if _has_values(metrics, "train_accuracy", "val_accuracy") else [])
    lr = _column(metrics, "lr")
    if len(np.unique(lr[np.isfinite(lr)])) > 1:  # a schedule changed it: show how
        panels.append("learning rate")
    fig, axes = _new_figure(len(panels), panel=(6.0, 4.2))
    for ax, quantity in zip(axes, panels, strict=True):
        if quantity == "learning rate":
            ax.plot(epochs, lr, color=NEUTRAL_DARK, lw=1.8, drawstyle="steps-post", label="lr during the epoch")
            values = lr[np.isfinite(lr)]
        else:
            values = _draw_metric(ax, metrics, epochs, quantity)
        if quantity == "loss":
            if _use_log_scale(values):
                _log_axis(ax, values)
            diverged = _first_non_finite_epoch(metrics, epochs)
            if diverged is not None:
                ax.axvline(diverged, color=NEUTRAL, ls=":", lw=1.8, label=f"loss inf/NaN from epoch {diverged:g}")
                ax.set_xlim(right=max(ax.get_xlim()[1], diverged + 0.5))
        if quantity == "accuracy":
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        if best_epoch is not None:
            ax.axvline(best_epoch, color=BOUNDARY, ls="--", lw=1.1, label=f"best (epoch {best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(quantity)
        _epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # no rows at all: an empty panel, not a warning
            ax.legend(frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig


def _log_axis(ax: Axes, values: Array) -> None:
    """A log y axis with labelled major ticks whatever the span of the (positive) values.

    Up to FINE_LOG_TICKS_DECADES: ticks at 1, 2, 5 x 10^k in plain numbers (two decades with
    two labels are hard to read off). Wider (a diverging run, 1e-3 … 1e200): powers of ten as
    10^k, thinned to a handful; LogLocator with several subs would give no ticks at all there."""
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogFormatterSciNotation,
        LogLocator,
        NullFormatter,
        NullLocator,
    )

    ax.set_yscale("log")
    finite = values[np.isfinite(values)]
    if np.log10(finite.max()) - np.log10(finite.min()) <= FINE_LOG_TICKS_DECADES:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    else:
        ax.yaxis.set_major_locator(FixedLocator(_decade_ticks(finite.min(), finite.max())))
        ax.yaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
        ax.yaxis.set_minor_locator(NullLocator())  # minor ticks at every decade would be a smear
    ax.yaxis.set_minor_formatter(NullFormatter())


def _decade_ticks(low: float, high: float, most: int = 7) -> Array:
    """Powers of ten at a round stride (1, 2, 5, 10, 20, 25, 50, 100 decades) covering
    [low, high] with at most about `most` ticks; only those a float can hold."""
    first, last = np.floor(np.log10(low)), np.ceil(np.log10(high))
    stride = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (last - first) / s <= most - 1), 200)
    exponents = np.arange(np.floor(first / stride) * stride, last + stride, stride)
    with np.errstate(over="ignore"):
        ticks = 10.0**exponents
    return ticks[np.isfinite(ticks) & (ticks > 0)]


def _draw_metric(ax: Axes, metrics: list[dict], epochs: Array, quantity: str) -> Array:
    """Draw train_<quantity> and val_<quantity> against epoch; returns the finite values drawn.
    Non-finite values (inf, NaN, missing) are not drawn: they leave a gap or end the line."""
    drawn = []
    for split, prefix in (("train", "train"), ("validation", "val")):
        values = _column(metrics, f"{prefix}_{quantity}")
        values[~np.isfinite(values)] = np.nan  # inf would stretch the autoscale or vanish unevenly
        if not np.isfinite(values).any():
            continue
        # few epochs: show the points themselves, a 2-point line hides that there are only two
        marker = "o" if len(values) <= 30 else None
        ax.plot(epochs, values, color=SPLIT_COLORS[split], lw=1.8, marker=marker, ms=4, label=split)
        drawn.append(values[np.isfinite(values)])
    return np.concatenate(drawn) if drawn else np.array([])


def _first_non_finite_epoch(metrics: list[dict], epochs: Array) -> float | None:
    """The first epoch whose train or validation loss was recorded as inf or NaN (a diverged
    run), or None. A missing value (None, absent) is a gap, not a divergence."""
    for row, epoch in zip(metrics, epochs, strict=True):
        for key in ("train_loss", "val_loss"):
            value = row.get(key)
            if value is not None and not np.isfinite(float(value)):
                return float(epoch)
    return None


def _column(metrics: list[dict], key: str) -> Array:
    """One metric over the rows as floats; None and absent become NaN (a gap in the line)."""
    return np.array([np.nan if row.get(key) is None else float(row[key]) for row in metrics], dtype=float)


def _has_values(metrics: list[dict], *keys: str) -> bool:
    return any(np.isfinite(_column(metrics, key)).any() for key in keys)


def _epoch_axis(ax: Axes) -> None:
    """Whole epochs, at most six ticks, thousands as '5k' so long runs' labels do not collide."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    in_thousands = lambda: ax.get_xlim()[1] >= 10_000
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if in_thousands() and v else f"{v:g}"))


def _use_log_scale(values: Array) -> bool:
    """True when the finite values are all positive and span more than LOG_SCALE_DECADES decades.
    A zero (hinge, a perfect fit) would vanish from a log axis, so it keeps the axis linear."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0 or np.any(values <= 0):
        return False
    # a difference of logs: max / min overflows for a diverged run (1e200 / 1e-200)
    return bool(np.log10(values.max()) - np.log10(values.min()) > LOG_SCALE_DECADES)


# ---------------------------------------------------------------- boundary.png


def _halo(width: float = 4.0) -> list:
    """A white outline under a line or marker, so it reads on dark and light ground alike."""
    from matplotlib.patheffects import Normal, Stroke

    return [Stroke(linewidth=width, foreground="white"), Normal()]


def _misclassified_style() -> dict[str, Any]:
    """scatter() keywords of the misclassified x mark."""
    return {"marker": "x", "c": BOUNDARY, "s": 60, "linewidths": 2.0, "path_effects": _halo()}


def decision_grid(
    predict_scores: Callable[[Array], Array], X: Array, resolution: int = 200, pad: float = 0.5
) -> tuple[Array, Array, Array]:
    """Class scores on a regular grid covering X: (n, 2), widened by `pad` on every side.

    Returns xx, yy: (resolution, resolution) grid coordinates (rows follow x₁, columns x₀, as
    np.meshgrid gives them) and scores: (resolution, resolution, K) with
    scores[i, j] = predict_scores([[xx[i, j], yy[i, j]]])[0].
    """
    X = np.asarray(X, dtype=float)
    low, high = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    # one call for the whole grid: predict functions are vectorised over rows
    scores = np.asarray(predict_scores(np.column_stack([xx.ravel(), yy.ravel()])), dtype=float)
    return xx, yy, scores.reshape(resolution, resolution, -1)


def plot_boundary(
    predict_scores: Callable[[Array], Array],
    data: PlotData,
    path: Path,
    *,
    title: str,
    dpi: int = DPI,
    resolution: int = 200,
    score_label: str = "P(class 1)",
) -> Path:
    """Predicted class regions of a 2-D classifier, with the data on top.

    - predict_scores: X (n, 2) -> (n, K) class scores, K >= 2; the predicted class is the argmax.
      Probabilities shade the regions by confidence; other scores (logits) are softmaxed for the
      shading. One column (n, 1) is read as P(class 1), or as a margin when outside [0, 1].
    - data: 2 features, classification.
    - score_label: the label of that colour bar (K == 2). The default suits probabilities; a
      caller whose scores are not probabilities (hinge margins) passes what they are.
    K == 2: shaded by P(class 1) with a diverging colour bar, the boundary is the 0.5 contour.
    K > 2: each class its own colour, paler where the model is less sure.
    Training points are circles, validation points squares, misclassified points carry an x
    (black with a white halo, drawn above every point, so it shows on any colour).
    Returns `path`.
    """
    figure = _boundary_figure(predict_scores, data, title=title, resolution=resolution, score_label=score_label)
    return _save(figure, path, dpi)


def _boundary_figure(
    predict_scores: Callable[[Array], Array],
    data: PlotData,
    *,
    title: str,
    resolution: int,
    score_label: str = "P(class 1)",
) -> Figure:
    """The figure of `plot_boundary`, unsaved: regions, boundary lines, points, legend."""
    if data.n_features != 2 or data.task != "classification":
        raise ValueError(f"boundary needs 2-D classification data, got {data.n_features}-D {data.task}")
    X_all = np.vstack([X for _, X, _ in data.splits()])
    xx, yy, raw = decision_grid(predict_scores, X_all, resolution, pad=_margin(X_all, 0.12))
    low, high = (xx[0, 0], yy[0, 0]), (xx[-1, -1], yy[-1, -1])
    P = _as_probabilities(raw.reshape(resolution * resolution, -1)).reshape(resolution, resolution, -1)
    n_classes = max(P.shape[-1], int(max(np.max(y, initial=0) for _, _, y in data.splits())) + 1)
    colors = _class_colors(n_classes)

    fig, (ax,) = _new_figure(panel=(7.2, 5.6))
    extent = (low[0], high[0], low[1], high[1])
    if P.shape[-1] == 2:
        _shade_two_classes(fig, ax, xx, yy, P[..., 1], colors, score_label)
    else:
        _shade_many_classes(ax, P, colors, extent)
    _draw_boundaries(ax, xx, yy, P)
    accuracy = _draw_labelled_points(ax, predict_scores, data, colors)

    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal")
    ax.set_xlabel(data.feature_name(0))
    ax.set_ylabel(data.feature_name(1))
    ax.set_title("accuracy: " + " · ".join(f"{s} {_percent(a)} (n={n})" for s, (a, n) in accuracy.items()), fontsize=10)
    handles, ncols = _boundary_legend(data, colors, list(accuracy))
    fig.legend(handles=handles, ncols=ncols, loc="outside lower center", frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig


def _draw_labelled_points(
    ax: Axes, predict_scores: Callable[[Array], Array], data: PlotData, colors: Array
) -> dict[str, tuple[float, int]]:
    """Each split's points in their true class's colour, an x on those the model gets wrong;
    returns {split: (accuracy, number of points)}.

    The x marks are drawn after every split's points (validation squares would cover training
    x marks otherwise), larger than a point and black with a white halo: visible on any class
    colour and on dense clusters, and the meaning does not rest on hue."""
    accuracy = {}
    wrong_points = []
    for split, X, y in data.splits():
        predicted = np.argmax(_as_probabilities(predict_scores(X)), axis=1)
        y = np.asarray(y).reshape(-1).astype(int)
        _scatter_split(ax, X, split, c=colors[y])
        wrong = predicted != y
        wrong_points.append(X[wrong])
        accuracy[split] = (float(np.mean(~wrong)), len(y))
    wrong_X = np.vstack(wrong_points)
    ax.scatter(wrong_X[:, 0], wrong_X[:, 1], zorder=5, label="_misclassified", **_misclassified_style())
    return accuracy


def _as_probabilities(scores: Array) -> Array:
    """(n, K) scores -> (n, K) rows of probabilities with the same argmax.

    Rows that already are probabilities pass unchanged; logits are softmaxed; one column is read
    as P(class 1) (sigmoid output) or, outside [0, 1], as a margin (hinge) and squashed."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1 or scores.shape[1] == 1:
        p = scores.reshape(-1)
        if p.min(initial=0.0) < 0 or p.max(initial=1.0) > 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * p))  # sigmoid without overflow
        return np.column_stack([1.0 - p, p])
    is_probability = np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-6)
    if is_probability:
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))  # row max first: exp cannot overflow
    return shifted / shifted.sum(axis=1, keepdims=True)


def _class_colors(n_classes: int) -> Array:
    """(n_classes, 3) RGB; Okabe–Ito while it lasts, then tab10 (digits: ten distinct hues; tab20
    comes in light/dark pairs of one hue, so 0 and 1 looked alike), then tab20. Neither tab map
    is fully colour-blind safe."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    if n_classes <= len(CLASS_COLORS):
        return np.array([to_rgb(c) for c in CLASS_COLORS[:n_classes]])
    if n_classes <= 10:
        return np.array([to_rgb(colormaps["tab10"](k)) for k in range(n_classes)])
    tab20 = colormaps["tab20"]
    return np.array([to_rgb(tab20(k % 20)) for k in range(n_classes)])


def _tint(rgb: Array, strength: Array | float) -> Array:
    """Blend RGB colours toward white: strength 1 keeps the colour, 0 gives white."""
    strength = np.asarray(strength, dtype=float)[..., None] if np.ndim(strength) else strength
    return 1.0 - (1.0 - np.asarray(rgb)) * strength


def _shade_two_classes(fig: Figure, ax: Axes, xx: Array, yy: Array, p1: Array, colors: Array, label: str) -> None:
    """Bands of P(class 1) on a class-0 colour → white → class-1 colour scale, with a colour bar
    labelled `label`."""
    from matplotlib.colors import LinearSegmentedColormap

    # the ends are tinted, not full colour, so that full-colour points stand out on their own region
    cmap = LinearSegmentedColormap.from_list("two-classes", [_tint(colors[0], 0.45), (1, 1, 1), _tint(colors[1], 0.45)])
    bands = ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap=cmap, vmin=0, vmax=1, zorder=0)
    bar = fig.colorbar(bands, ax=ax, shrink=0.8, ticks=np.linspace(0, 1, 6))
    bar.set_label(label)


def _shade_many_classes(ax: Axes, P: Array, colors: Array, extent: tuple) -> None:
    """Each grid cell in its predicted class's colour, paler as the winning probability
    falls from 1 toward chance (1/K): unsure regions fade to white."""
    n_classes = P.shape[-1]
    confidence = (P.max(axis=-1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    rgb = _tint(colors[np.argmax(P, axis=-1)], 0.08 + 0.37 * np.clip(confidence, 0.0, 1.0))
    ax.imshow(rgb, origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0)


def _draw_boundaries(ax: Axes, xx: Array, yy: Array, P: Array) -> list:
    """The lines where the argmax changes: for each class, where its probability equals the best
    of the others. For K == 2 this is the P = 0.5 contour. Returns the contour sets drawn."""
    drawn = []
    for k in range(P.shape[-1]):
        margin = P[..., k] - np.delete(P, k, axis=-1).max(axis=-1)
        if margin.min() < 0 < margin.max():  # a class that wins nowhere (or everywhere) has no line
            # above the points (a boundary runs through the densest data), under the × marks
            line = ax.contour(xx, yy, margin, levels=[0.0], colors=BOUNDARY, linewidths=2.2, zorder=4)
            line.set_path_effects(_halo(5.5))
            drawn.append(line)
    return drawn


def _boundary_legend(data: PlotData, colors: Array, splits: list[str]) -> tuple[list, int]:
    """(handles, ncols) for a legend below the plot with one group per column block: classes,
    then marker shapes, then marks. Legends fill column by column, so each group is padded with
    blank entries to a whole number of columns and groups never share a column."""
    from matplotlib.lines import Line2D

    classes = _class_handles(data, colors)
    marks = [
        Line2D(
            [],
            [],
            ls="",
            marker="x",
            color=BOUNDARY,
            markersize=8,
            markeredgewidth=2.0,
            path_effects=_halo(),
            label="misclassified",
        ),
        Line2D([], [], color=BOUNDARY, lw=1.6, label="decision boundary"),
    ]
    rows = min(max(len(classes), 2), 4)
    handles: list = []
    for group in (classes, _split_handles(splits), marks):
        blanks = -len(group) % rows
        handles += group + [Line2D([], [], ls="", label=" ")] * blanks
    return handles, len(handles) // rows


# ---------------------------------------------------------------- fit.png


def plot_fit(
    predict: Callable[[Array], Array],
    data: PlotData,
    path: Path,
    *,
    title: str,
    dpi: int = DPI,
    resolution: int = 150,
) -> Path:
    """What a regression net learned, by input dimension d.

    - predict: X (n, d) -> (n, 1); with several outputs only output 0 is drawn for d <= 2.
    d == 1: the data (train circles, validation squares) and the fitted curve.
    d == 2: predicted surface with the data as small dots (a sample of at most
            MAX_POINTS_ON_SURFACE) | the data alone | the residuals (prediction − target) on a
            diverging scale centred at 0. The first two panels share one colour scale, shown
            by one colour bar below both; the residuals have their own below theirs.
    d > 2:  prediction against target, with the line y = x.
    Returns `path`.
    """
    return _save(_fit_figure(predict, data, title=title, resolution=resolution), path, dpi)


def _fit_figure(predict: Callable[[Array], Array], data: PlotData, *, title: str, resolution: int) -> Figure:
    if data.task != "regression":
        raise ValueError(f"fit needs regression data, got {data.task}")
    draw = {1: _fit_curve, 2: _fit_surface}.get(data.n_features, _fit_parity)
    fig = draw(predict, data, resolution)
    fig.suptitle(title, fontweight="bold")
    return fig


def _predict_column(predict: Callable[[Array], Array], X: Array) -> Array:
    """predict(X) as (n,): output 0, the one the 1-D and 2-D pictures can show."""
    return np.asarray(predict(X), dtype=float).reshape(len(X), -1)[:, 0]


def _target_column(y: Array) -> Array:
    return np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]


def _rmse_text(predict: Callable[[Array], Array], data: PlotData) -> str:
    """'RMSE: train 0.031 · validation 0.040' over every output."""
    parts = []
    for split, X, y in data.splits():
        error = np.asarray(predict(X), dtype=float).reshape(len(X), -1) - np.asarray(y, dtype=float).reshape(len(X), -1)
        parts.append(f"{split} {np.sqrt(np.mean(error**2)):.3g}")
    return "RMSE: " + " · ".join(parts)


def _curve_points(ax: Axes, data: PlotData, *, size: float) -> None:
    """1-D regression data as (x, y) points, train and validation in their own colours."""
    for split, X, y in data.splits():
        _scatter_split(
            ax,
            np.column_stack([X[:, 0], _target_column(y)]),
            split,
            c=SPLIT_COLORS[split],
            s=size,
            alpha=0.7,
            linewidths=0.4,
            label=f"{split} data",
        )


def _fit_curve(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d == 1: data points and the prediction on a dense sorted grid spanning them."""
    X_all = np.vstack([X for _, X, _ in data.splits()])
    low, high = _padded_box(X_all, 0.03)
    # a curve needs more points than a surface's side to show kinks (relu) and steps
    grid = np.linspace(low[0], high[0], 4 * resolution)[:, None]
    fig, (ax,) = _new_figure(panel=(7.0, 4.6))
    _curve_points(ax, data, size=18)
    ax.plot(grid[:, 0], _predict_column(predict, grid), color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
    ax.set_xlim(low[0], high[0])
    ax.set_xlabel(data.feature_name(0))
    ax.set_ylabel("y")
    ax.set_title(_rmse_text(predict, data), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    return fig


def _fit_surface(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d == 2: prediction surface with data | data alone | residuals, all over the same box."""
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    X_all = np.vstack([X for _, X, _ in data.splits()])
    low, high = _padded_box(X_all, 0.05)
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    surface = _predict_column(predict, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    targets = np.concatenate([_target_column(y) for _, _, y in data.splits()])
    # one scale for surface and targets, so equal colours mean equal values across panels
    norm = Normalize(min(surface.min(), targets.min()), max(surface.max(), targets.max()))
    residuals = {s: _predict_column(predict, X) - _target_column(y) for s, X, y in data.splits()}
    limit = max(float(np.abs(np.concatenate(list(residuals.values()))).max()), 1e-12)

    fig, (ax_fit, ax_data, ax_res) = _new_figure(3, panel=(5.0, 5.4))
    surface_image = ax_fit.imshow(
        surface,
        origin="lower",
        extent=(low[0], high[0], low[1], high[1]),
        cmap=SEQUENTIAL_CMAP,
        norm=norm,
        aspect="auto",
        zorder=0,
    )
    sample = _surface_dots(ax_fit, data, norm)
    for split, X, y in data.splits():
        _scatter_split(ax_data, X, split, c=_target_column(y), cmap=SEQUENTIAL_CMAP, norm=norm)
        residual_points = _scatter_split(
            ax_res, X, split, c=residuals[split], cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit
        )
    # one bar under the two panels it serves; beside the middle panel it read as that panel's alone
    fig.colorbar(
        surface_image,
        ax=[ax_fit, ax_data],
        location="bottom",
        shrink=0.55,
        aspect=45,
        label="y (prediction and target)",
    )
    bar = fig.colorbar(
        residual_points, ax=ax_res, location="bottom", shrink=0.7, aspect=22, label="prediction − target"
    )
    bar.locator = MaxNLocator(5, symmetric=True)  # the bar is short: seven labels run together

    ax_fit.set_title(f"prediction (surface) · targets (dots{sample})", fontsize=10)
    ax_data.set_title("targets", fontsize=10)
    ax_res.set_title(f"residuals · {_rmse_text(predict, data)}", fontsize=10)
    for ax in (ax_fit, ax_data, ax_res):
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
        ax.set_xlabel(data.feature_name(0))
        ax.set_ylabel(data.feature_name(1))
    ax_res.set_facecolor("#f2f2f2")  # near-zero residuals are white points; grey keeps them visible
    # below the panels: inside one it would cover data
    fig.legend(
        handles=_split_handles([s for s, _, _ in data.splits()]), ncols=2, loc="outside lower center", frameon=False
    )
    return fig


def _surface_dots(ax: Axes, data: PlotData, norm) -> str:
    """The data over a predicted surface: a fixed sample of small dots in the target's colour
    with a thin light rim, so the surface shows between them and a dot stands out only where
    target and prediction differ. Returns ", 400 of 2000" when it sampled, else ""."""
    n_points = sum(len(X) for _, X, _ in data.splits())
    shown_all = _sample_mask(n_points, MAX_POINTS_ON_SURFACE)
    offset = 0
    for split, X, y in data.splits():
        shown, offset = shown_all[offset : offset + len(X)], offset + len(X)
        _scatter_split(
            ax,
            X[shown],
            split,
            c=_target_column(y)[shown],
            cmap=SEQUENTIAL_CMAP,
            norm=norm,
            s=9,
            linewidths=0.35,
            edgecolors="white",
        )
    return "" if shown_all.all() else f", {shown_all.sum()} of {n_points}"


def _sample_mask(n: int, most: int) -> Array:
    """(n,) bool: all True when n <= most, else exactly `most` True, the same ones every time."""
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(0).permutation(n)[:most]] = True
    return mask


def _fit_parity(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d > 2: prediction against target for every output; perfect predictions lie on y = x."""
    fig, (ax,) = _new_figure(panel=(5.8, 5.4))
    seen = []
    for split, X, y in data.splits():
        target = np.asarray(y, dtype=float).reshape(-1)
        predicted = np.asarray(predict(X), dtype=float).reshape(-1)
        _scatter_split(
            ax,
            np.column_stack([target, predicted]),
            split,
            c=SPLIT_COLORS[split],
            s=18,
            alpha=0.7,
            linewidths=0.4,
            label=split,
        )
        seen.append(np.concatenate([target, predicted]))
    low, high = _padded_box(np.concatenate(seen)[:, None], 0.05)
    ax.plot([low[0], high[0]], [low[0], high[0]], color=BOUNDARY, ls="--", lw=1.2, zorder=2, label="y = x (perfect)")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[0], high[0])
    ax.set_aspect("equal")
    ax.set_xlabel("target y")
    ax.set_ylabel("prediction ŷ")
    ax.set_title(_rmse_text(predict, data), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, loc="upper left")
    return fig


# ---------------------------------------------------------------- shared: the input plane, hidden views


def _all_X(data: PlotData) -> Array:
    return np.vstack([X for _, X, _ in data.splits()])


def _plane_grid(X: Array, resolution: int, fraction: float = 0.12) -> tuple[Array, Array, tuple]:
    """A resolution x resolution grid over the box of X: (n, 2), widened by `fraction` of its span
    on every side (as boundary.png). Returns xx, yy (rows follow x₁, as np.meshgrid) and the
    imshow extent that puts each pixel's centre on its grid point."""
    low, high = _padded_box(X, fraction)
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    half = 0.5 * (high - low) / max(resolution - 1, 1)
    extent = (low[0] - half[0], high[0] + half[0], low[1] - half[1], high[1] + half[1])
    return xx, yy, extent


def _class_labels(data: PlotData) -> Array:
    """All class indices (train then validation) as ints."""
    return np.concatenate([np.asarray(y).reshape(-1).astype(int) for _, _, y in data.splits()])


def _n_classes(data: PlotData, n_scores: int = 0) -> int:
    return max(n_scores, len(data.class_names), int(_class_labels(data).max(initial=-1)) + 1)


def _pca_basis(H: Array) -> tuple[Array, Array, Array]:
    """(mean (w,), components (w, 2), explained (2,)) of the rows of H: (n, w) by SVD of the
    centred matrix. A component's sign is arbitrary; it is fixed so that its largest loading is
    positive, so the same data always gives the same picture."""
    H = np.asarray(H, dtype=float)
    mean = H.mean(axis=0)
    _, s, Vt = np.linalg.svd(H - mean, full_matrices=False)
    components = Vt[:2].T.copy()
    signs = np.sign(components[np.argmax(np.abs(components), axis=0), [0, 1]])
    components *= np.where(signs == 0, 1.0, signs)
    variance = s**2
    explained = variance[:2] / max(float(variance.sum()), 1e-300)
    return mean, components, explained


class _HiddenView:
    """How the activations H: (n, w) of one hidden layer become plotting coordinates.

    w == 1: (activation, class + jitter) for classification, (activation, target) for
            regression; w == 2: the two units; w == 3: the three units (a 3-D axes);
    w > 3:  the first two principal components of `H_basis` (centred), labelled with the
            share of the variance each explains."""

    def __init__(self, H_basis: Array, data: PlotData, layer_name: str, basis_note: str = "") -> None:
        H_basis = np.asarray(H_basis, dtype=float).reshape(len(H_basis), -1)
        self.width = H_basis.shape[1]
        self.kind = {1: "strip", 2: "plane", 3: "3d"}.get(self.width, "pca")
        self.data = data
        self.classification = data.task == "classification"
        if self.kind == "pca":
            self.mean, self.components, explained = _pca_basis(H_basis)
            self.labels = [f"PC{i + 1} ({100 * e:.0f}% of variance{basis_note})" for i, e in enumerate(explained)]
            self.subtitle = f"{self.width} units, seen along their first 2 principal components"
            self.subtitle = f"{layer_name}: {self.subtitle}" if layer_name else self.subtitle
        else:
            units = [f"{layer_name} · unit {j + 1}" if layer_name else f"unit {j + 1}" for j in range(self.width)]
            self.labels = units if self.kind != "strip" else [units[0], "class" if self.classification else "target y"]
            shown = {"strip": "its activation on the x axis", "plane": "as the axes", "3d": "as 3-D axes"}[self.kind]
            units_text = f"{self.width} unit{'s' if self.width > 1 else ''}"
            self.subtitle = f"{layer_name}: {units_text}, {shown}" if layer_name else f"{units_text}, {shown}"
        # the strip's second coordinate: fixed jitter around each class row, or the target
        rng = np.random.default_rng(0)
        self.strip_y = {}
        for split, _, y in data.splits():
            if self.classification:
                self.strip_y[split] = np.asarray(y).reshape(-1).astype(float) + rng.uniform(-0.25, 0.25, len(y))
            else:
                self.strip_y[split] = _target_column(y)

    def project(self, H: Array, split: str) -> Array:
        """(n, 2) or (n, 3) plotting coordinates of the activations H of `split`'s points."""
        H = np.asarray(H, dtype=float).reshape(len(H), -1)
        if self.kind == "pca":
            return (H - self.mean) @ self.components
        if self.kind == "strip":
            return np.column_stack([H[:, 0], self.strip_y[split]])
        return H

    def new_axes(self, fig: Figure, spec) -> Axes:
        ax = fig.add_subplot(spec, projection="3d" if self.kind == "3d" else None)
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        if self.kind == "3d":
            ax.set_zlabel(self.labels[2])
        elif self.kind == "strip" and self.classification:
            n = _n_classes(self.data)
            ax.set_yticks(range(n), [self.data.class_name(k) for k in range(n)])
            ax.set_ylim(-0.6, n - 0.4)
        if self.kind != "3d":
            ax.grid(True, alpha=0.3)
        return ax

    def scatter(self, ax: Axes, coordinates: dict[str, Array], **style: Any) -> dict[str, Any]:
        """One scatter per split (circles / squares), coloured by class or by target; returns them."""
        artists = {}
        classification = self.classification
        colors = _class_colors(_n_classes(self.data)) if classification else None
        targets = np.concatenate([_target_column(y) for _, _, y in self.data.splits()]) if not classification else None
        for split, _, y in self.data.splits():
            C = coordinates[split]
            if classification:
                color = {"c": colors[np.asarray(y).reshape(-1).astype(int)]}
            else:
                color = {"c": _target_column(y), "cmap": SEQUENTIAL_CMAP, "vmin": targets.min(), "vmax": targets.max()}
            point_style = {"s": 22 if split == "train" else 26, "linewidths": 0.5} | color | style
            if self.kind == "3d":
                artists[split] = ax.scatter(
                    C[:, 0],
                    C[:, 1],
                    C[:, 2],
                    marker=SPLIT_MARKERS[split],
                    edgecolors=EDGE,
                    depthshade=False,
                    **point_style,
                )
            else:
                artists[split] = _scatter_split(ax, C, split, **point_style)
        return artists


def _class_handles(data: PlotData, colors: Array) -> list:
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markerfacecolor=colors[k],
            markeredgecolor=EDGE,
            markersize=8,
            label=data.class_name(k),
        )
        for k in range(len(colors))
    ]


def _hidden_legend(fig: Figure, view: _HiddenView, artists: dict, axes: list) -> None:
    """Class colours and marker shapes below the figure (classification), or a target colour bar."""
    splits = list(artists)
    if view.classification:
        handles = _class_handles(view.data, _class_colors(_n_classes(view.data))) + _split_handles(splits)
        fig.legend(handles=handles, ncols=min(len(handles), 6), loc="outside lower center", frameon=False)
    else:
        fig.colorbar(artists["train"], ax=axes, shrink=0.8, label="target y")
        fig.legend(handles=_split_handles(splits), ncols=2, loc="outside lower center", frameon=False)


# ---------------------------------------------------------------- neurons.png

MAX_UNITS_DRAWN = 16  # per layer row: a wider layer shows its first 16 units


def plot_neurons(
    layer_maps: Callable[[Array], list[Array]],
    data: PlotData,
    path: Path,
    *,
    title: str,
    layer_names: list[str],
    dpi: int = DPI,
    resolution: int = 80,
) -> Path:
    """Every unit's activation over the input plane, one row per layer, as in TensorFlow Playground.

    - layer_maps: X (n, 2) -> one array per layer: each hidden layer's activations (n, width),
      and last the output: (n, K) class scores in [0, 1] (classification) or (n, 1) (regression).
    - layer_names: one row label per array, e.g. ["hidden 1 (tanh)", "output"].
    A row whose values take both signs is drawn on a diverging scale centred at 0 (tanh), a
    non-negative one on a sequential scale from 0 (relu, sigmoid); one colour bar per row.
    At most MAX_UNITS_DRAWN units per row. Output: P(class 1) for two classes, one panel per
    class for more, ŷ for regression, with the data as faint dots. Returns `path`.
    """
    figure = _neurons_figure(layer_maps, data, title=title, layer_names=layer_names, resolution=resolution)
    return _save(figure, path, dpi)


def _neurons_figure(
    layer_maps: Callable[[Array], list[Array]], data: PlotData, *, title: str, layer_names: list[str], resolution: int
) -> Figure:
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    if data.n_features != 2:
        raise ValueError(f"neurons needs 2-D input, got {data.n_features}-D")
    xx, yy, extent = _plane_grid(_all_X(data), resolution)
    maps = [
        np.asarray(m, dtype=float).reshape(resolution, resolution, -1)
        for m in layer_maps(np.column_stack([xx.ravel(), yy.ravel()]))
    ]
    if len(layer_names) != len(maps):
        raise ValueError(f"{len(maps)} layer maps but {len(layer_names)} layer names")
    rows = [_hidden_row(m, name) for m, name in zip(maps[:-1], layer_names[:-1], strict=True)]
    rows.append(_output_row(maps[-1], layer_names[-1], data))
    ncols = max(len(row["panels"]) for row in rows)

    panel = 0.95  # inches per panel side (the wider one when the data's box is not square)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    panel_width, panel_height = panel * min(1.0 / aspect, 1.0), panel * min(aspect, 1.0)
    fig = Figure(
        figsize=(max(ncols * (panel_width + 0.08) + 1.2, 6.5), len(rows) * (panel_height + 0.62) + 0.45),
        layout="constrained",
    )
    fig.get_layout_engine().set(h_pad=LAYOUT_PAD, w_pad=0.03, hspace=0.0, wspace=0.02)
    subfigures = np.atleast_1d(fig.subfigures(len(rows), 1))
    for subfig, row in zip(subfigures, rows, strict=True):
        # the row's panels, its colour bar right after them, then blank space up to the widest row
        n_panels = len(row["panels"])
        blank = [ncols - n_panels + 0.01] if n_panels < ncols else []
        grid = subfig.add_gridspec(1, n_panels + 1 + len(blank), width_ratios=[1.0] * n_panels + [0.08] + blank)
        low, high = row["range"]
        norm = Normalize(low, high)
        axes = []
        for j, (label, image) in enumerate(row["panels"]):
            ax = subfig.add_subplot(grid[0, j])
            drawn_image = ax.imshow(
                image,
                origin="lower",
                extent=extent,
                cmap=row["cmap"],
                norm=norm,
                interpolation="nearest",
                aspect="equal",
            )
            ax.set_title(label, fontsize=7, pad=2)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:  # one pair of axis labels per row: the panels are too small for ticks
                ax.set_xlabel(data.feature_name(0), fontsize=7, labelpad=1)
                ax.set_ylabel(data.feature_name(1), fontsize=7, labelpad=1)
            if row["is_output"]:
                _faint_points(ax, data, norm)
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
            axes.append(ax)
        bar = subfig.colorbar(drawn_image, cax=subfig.add_subplot(grid[0, n_panels]))
        bar.set_label(row["bar_label"], fontsize=7)
        bar.ax.tick_params(labelsize=6)
        subfig.suptitle(row["label"], fontsize=9, x=0.01, ha="left")
    fig.suptitle(title, fontweight="bold")
    return fig


def _hidden_row(values: Array, name: str) -> dict[str, Any]:
    """The panels of one hidden layer: its first MAX_UNITS_DRAWN units on one colour scale."""
    width = values.shape[-1]
    shown = values[..., :MAX_UNITS_DRAWN]
    low, high = float(shown.min()), float(shown.max())
    scale = max(abs(low), abs(high), 1e-12)
    if low < -1e-9 * scale:  # takes both signs (tanh): white is 0, blue negative, red positive
        cmap, value_range, scale_note = DIVERGING_CMAP, (-scale, scale), "blue < 0 (white) < red"
    else:  # non-negative (relu, sigmoid): dark is 0
        cmap, value_range, scale_note = SEQUENTIAL_CMAP, (0.0, scale), "0 (dark) to high (yellow)"
    label = name if width <= MAX_UNITS_DRAWN else f"{name} · first {MAX_UNITS_DRAWN} of {width} units"
    label += f" · activation over the input plane: {scale_note}"
    panels = []
    for j in range(shown.shape[-1]):
        unit = shown[..., j]
        dead = np.ptp(unit) < 1e-9 * scale and abs(float(unit.mean())) < 1e-9 * scale
        panels.append((f"unit {j + 1}" + (" (all 0)" if dead else ""), unit))
    return {
        "label": label,
        "panels": panels,
        "cmap": cmap,
        "range": value_range,
        "bar_label": "activation",
        "is_output": False,
    }


def _output_row(values: Array, name: str, data: PlotData) -> dict[str, Any]:
    """The output's panels: P(class 1) once for two classes (or one sigmoid column), one per
    class for more; ŷ for regression on viridis over its own range, as fit.png."""
    if data.task == "regression":
        y = values[..., 0]
        targets = np.concatenate([_target_column(t) for _, _, t in data.splits()])
        low, high = min(float(y.min()), float(targets.min())), max(float(y.max()), float(targets.max()))
        return {
            "label": f"{name} · prediction ŷ (dots: data, same colours = same value)",
            "panels": [("ŷ", y)],
            "cmap": SEQUENTIAL_CMAP,
            "range": (low, high if high > low else low + 1e-12),
            "bar_label": "y",
            "is_output": True,
        }
    if values.shape[-1] <= 2:
        p1 = values[..., -1]
        panels = [(f"P({data.class_name(1)})", p1)]
        label = f"{name} · probability of class {data.class_name(1)!r}"
    else:
        panels = [(f"P({data.class_name(k)})", values[..., k]) for k in range(values.shape[-1])]
        label = f"{name} · probability of each class"
    return {
        "label": label + " (dots: data, coloured by class)",
        "panels": panels,
        "cmap": SEQUENTIAL_CMAP,
        "range": (0.0, 1.0),
        "bar_label": "probability",
        "is_output": True,
    }


def _faint_points(ax: Axes, data: PlotData, norm) -> None:
    """The data as small dots over an output map: class colour, or target on the map's scale."""
    colors = _class_colors(_n_classes(data)) if data.task == "classification" else None
    for split, X, y in data.splits():
        if colors is not None:
            color = {"c": colors[np.asarray(y).reshape(-1).astype(int)]}
        else:
            color = {"c": _target_column(y), "cmap": SEQUENTIAL_CMAP, "norm": norm}
        _scatter_split(ax, X, split, s=4, linewidths=0.25, edgecolors="white", alpha=0.75, **color)


# ---------------------------------------------------------------- hidden.png


def plot_hidden(
    H_train: Array, H_val: Array, data: PlotData, path: Path, *, title: str, layer_name: str, dpi: int = DPI
) -> Path:
    """The data as the last hidden layer sees it (seed 003's "hidden representation").

    - H_train: (n, w), H_val: (m, w) activations of that layer for data's points.
    w == 1: activation against class (jittered) or target; w == 2: the two units as axes;
    w == 3: a 3-D scatter; w > 3: the first two principal components of H_train (centred),
    with the share of variance in the axis labels. Classes by colour (train circles, validation
    squares); regression coloured by target on viridis with a colour bar. Returns `path`.
    """
    return _save(_hidden_figure(H_train, H_val, data, title=title, layer_name=layer_name), path, dpi)


def _hidden_figure(H_train: Array, H_val: Array, data: PlotData, *, title: str, layer_name: str) -> Figure:
    from matplotlib.figure import Figure

    view = _HiddenView(H_train, data, layer_name)
    H = {"train": H_train, "validation": H_val}
    fig = Figure(figsize=(6.6, 5.8), layout="constrained")
    fig.get_layout_engine().set(h_pad=LAYOUT_PAD, w_pad=LAYOUT_PAD)
    ax = view.new_axes(fig, 111)
    artists = view.scatter(ax, {split: view.project(H[split], split) for split, _, _ in data.splits()})
    if view.kind in ("plane", "pca"):
        ax.set_aspect("equal", adjustable="datalim")  # distances mean the same in both directions
    ax.set_title(view.subtitle, fontsize=10)
    _hidden_legend(fig, view, artists, [ax])
    fig.suptitle(title, fontweight="bold")
    return fig


# ---------------------------------------------------------------- norms.png


def plot_norms(rows: list[dict], path: Path, *, title: str, dpi: int = DPI) -> Path:
    """Per-layer weight and gradient norms over training (rows of layers.csv).

    - rows: {"epoch", "W0", "W1", ..., "dW0", "dW1", ...}: ‖W_l‖ (Frobenius) at the end of the
      epoch and the mean over its mini-batches of ‖dW_l‖; epoch 0 has no gradient (None/NaN).
    Two panels, one colour per layer in both; each y axis goes log when its values span more
    than LOG_SCALE_DECADES decades (the rule of loss.png). Returns `path`.
    """
    return _save(_norms_figure(rows, title=title), path, dpi)


def _layer_indices(rows: list[dict]) -> list[int]:
    import re

    found = {int(m.group(1)) for row in rows for key in row if (m := re.fullmatch(r"W(\d+)", key))}
    return sorted(found)


def _norms_figure(rows: list[dict], *, title: str) -> Figure:

    epochs = _column(rows, "epoch")
    layers = _layer_indices(rows)
    colors = _class_colors(max(len(layers), 1))
    fig, (ax_w, ax_g) = _new_figure(2, panel=(5.6, 4.2))
    panels = (
        (ax_w, "W", "‖W‖ (Frobenius norm)", "weight norm per layer, at the end of each epoch"),
        (ax_g, "dW", "‖dW‖ (Frobenius norm)", "gradient norm per layer, mean over the epoch's mini-batches"),
    )
    for ax, prefix, ylabel, what in panels:
        drawn = []
        for color, layer in zip(colors, layers, strict=False):
            values = _column(rows, f"{prefix}{layer}")
            values[~np.isfinite(values)] = np.nan
            marker = "o" if len(values) <= 30 else None
            ax.plot(epochs, values, color=color, lw=1.8, marker=marker, ms=4, label=f"layer {layer} (W{layer})")
            drawn.append(values[np.isfinite(values)])
        values = np.concatenate(drawn) if drawn else np.array([])
        if _use_log_scale(values):
            _log_axis(ax, values)
        ax.set_title(what, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        _epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
    handles = ax_w.get_legend_handles_labels()[0]
    if handles:
        fig.legend(handles=handles, ncols=min(len(handles), 6), loc="outside lower center", frameon=False)
    fig.suptitle(title, fontweight="bold")
    return fig


# ---------------------------------------------------------------- confusion.png


def confusion_counts(y_true: Array, y_pred: Array, n_classes: int) -> Array:
    """(K, K) ints: counts[i, j] = how many points of true class i were predicted as j."""
    y_true = np.asarray(y_true).reshape(-1).astype(int)
    y_pred = np.asarray(y_pred).reshape(-1).astype(int)
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion(
    y_true: Array,
    y_pred: Array,
    class_names: list[str],
    path: Path,
    *,
    title: str,
    split: str = "validation",
    dpi: int = DPI,
) -> Path:
    """Confusion matrix of one split: rows the true class, columns the predicted one, counts in
    the cells, shaded by the share of the true class (row-normalised); accuracy in the subtitle.
    Returns `path`."""
    return _save(_confusion_figure(y_true, y_pred, class_names, title=title, split=split), path, dpi)


def _confusion_figure(y_true: Array, y_pred: Array, class_names: list[str], *, title: str, split: str) -> Figure:
    from matplotlib.colors import PowerNorm

    y_true = np.asarray(y_true).reshape(-1).astype(int)
    y_pred = np.asarray(y_pred).reshape(-1).astype(int)
    n = max(len(class_names), int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1, 1)
    names = [class_names[k] if k < len(class_names) else str(k) for k in range(n)]
    counts = confusion_counts(y_true, y_pred, n)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)

    side = min(max(4.6, 0.55 * n + 2.4), 9.0)
    fig, (ax,) = _new_figure(panel=(side + 1.2, side))
    # square-root shading: one mistake in forty (2.5%) still tints its cell (16%) and can be spotted
    image = ax.imshow(share, cmap="Blues", norm=PowerNorm(0.5, vmin=0, vmax=1), aspect="equal")
    fontsize = 10 if n <= 6 else 8
    for i in range(n):
        for j in range(n):
            dark = share[i, j] > 0.3
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if dark else (EDGE if counts[i, j] else "#b0b0b0"),
                fontweight="bold" if i == j else "normal",
            )
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="center")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(length=0)
    accuracy = np.trace(counts) / max(len(y_true), 1)
    ax.set_title(f"{split}: accuracy {_percent(accuracy)} (n={len(y_true)}) · diagonal = correct", fontsize=10)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("share of the true class (row)")
    bar.ax.yaxis.set_major_formatter(_percent_formatter())
    fig.suptitle(title, fontweight="bold")
    return fig


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


# ---------------------------------------------------------------- animation.gif


@dataclass(frozen=True)
class AnimationFrame:
    """One checkpoint of training, as the animation draws it.

    - predict: X (n, d) -> class scores (n, K) (classification) or the output (n, 1) (regression)
    - hidden: X -> activations (n, w) of the last hidden layer; None without a hidden layer
    """

    epoch: int
    predict: Callable[[Array], Array]
    hidden: Callable[[Array], Array] | None


ANIMATION_RESOLUTION = 90  # grid side of the moving boundary / surface: enough at GIF sizes


def render_animation(
    frames: Sequence[AnimationFrame],
    data: PlotData,
    metrics: list[dict],
    path: Path,
    *,
    title: str,
    fps: int = 8,
    dpi: int = 80,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """A GIF of training: per frame, side by side, the decision boundary (2-D classification) or
    the fit (1-D / 2-D regression), the hidden representation (as hidden.png), and the loss up
    to the frame's epoch; "epoch N" in the suptitle. Inputs with d > 2 have no first panel.

    One figure is built and its artists updated frame by frame (no figure per frame), written
    by matplotlib's PillowWriter. progress(i) is called after frame i (0-based) is written.
    Returns `path`.
    """
    from matplotlib import rc_context
    from matplotlib.animation import PillowWriter

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"{path}: an animation is written as .gif")
    if not frames:
        raise ValueError("an animation needs at least one frame")
    path.parent.mkdir(parents=True, exist_ok=True)
    animation = _Animation(frames, data, metrics, title=title)
    writer = PillowWriter(fps=fps)
    with written(path, keep_suffix=True) as tmp, writer.saving(animation.fig, tmp, dpi):
        for i, frame in enumerate(frames):
            animation.update(i, frame)
            if i == 0:
                # lay out once, on the first frame, then freeze: re-running constrained layout on
                # every frame costs time and lets the panels shift as titles change length
                # (no engine at all, not the "none" placeholder: with any engine set, savefig draws
                # every frame twice)
                animation.fig.draw_without_rendering()
                with rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
                    animation.fig.set_layout_engine(None)
            writer.grab_frame()
            if progress is not None:
                progress(i)
    return path


class _Animation:
    """The figure of `render_animation` and how each frame updates it."""

    def __init__(self, frames: Sequence[AnimationFrame], data: PlotData, metrics: list[dict], *, title: str) -> None:
        from matplotlib.figure import Figure

        self.data, self.title = data, title
        self.classification = data.task == "classification"
        self.has_model_panel = data.n_features <= 2
        self.has_hidden = frames[-1].hidden is not None
        self.colors = _class_colors(_n_classes(data)) if self.classification else None
        n_panels = self.has_model_panel + self.has_hidden + 1
        self.fig = Figure(figsize=(4.3 * n_panels, 4.6), layout="constrained")
        self.fig.get_layout_engine().set(h_pad=LAYOUT_PAD, w_pad=LAYOUT_PAD)
        grid = self.fig.add_gridspec(1, n_panels)
        column = 0
        if self.has_model_panel:
            self._setup_model_panel(self.fig.add_subplot(grid[0, column]))
            column += 1
        if self.has_hidden:
            self._setup_hidden_panel(grid[0, column], frames)
            column += 1
        self._setup_loss_panel(self.fig.add_subplot(grid[0, column]), metrics, frames)
        if self.classification:
            handles = _class_handles(data, self.colors) + _split_handles([s for s, _, _ in data.splits()])
            self.fig.legend(
                handles=handles, ncols=min(len(handles), 7), loc="outside lower center", frameon=False, fontsize=9
            )
        self.suptitle = self.fig.suptitle(title, fontweight="bold")

    # -- panel 1: the model on the input space

    def _setup_model_panel(self, ax: Axes) -> None:
        data = self.data
        self.model_ax = ax
        X_all = _all_X(data)
        self.contours: list = []
        if data.n_features == 2:
            self.xx, self.yy, extent = _plane_grid(X_all, ANIMATION_RESOLUTION)
            self.grid_points = np.column_stack([self.xx.ravel(), self.yy.ravel()])
            blank = np.ones(self.xx.shape + (3,))
            if self.classification:
                self.regions = ax.imshow(
                    blank, origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0
                )
                for split, X, y in data.splits():
                    _scatter_split(
                        ax, X, split, c=self.colors[np.asarray(y).reshape(-1).astype(int)], s=16, linewidths=0.4
                    )
                ax.set_title("decision boundary", fontsize=10)
            else:
                from matplotlib.colors import Normalize

                targets = np.concatenate([_target_column(y) for _, _, y in data.splits()])
                self.norm = Normalize(float(targets.min()), float(targets.max()))
                self.regions = ax.imshow(
                    blank[..., 0],
                    origin="lower",
                    extent=extent,
                    cmap=SEQUENTIAL_CMAP,
                    norm=self.norm,
                    aspect="auto",
                    zorder=0,
                )
                _surface_dots(ax, data, self.norm)
                self.fig.colorbar(
                    self.regions,
                    ax=ax,
                    location="bottom",
                    shrink=0.8,
                    aspect=30,
                    label="y (surface: prediction, dots: target)",
                )
                ax.set_title("prediction ŷ", fontsize=10)
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
            ax.set_aspect("equal")
            ax.set_xlabel(data.feature_name(0))
            ax.set_ylabel(data.feature_name(1))
            return
        # d == 1
        low, high = _padded_box(X_all, 0.03)
        self.line_x = np.linspace(low[0], high[0], 300)[:, None]
        if self.classification:
            # probabilities of each class along x, the points on a rug at their class's colour
            self.curves = [
                ax.plot([], [], color=c, lw=2.0, label=f"P({data.class_name(k)})")[0] for k, c in enumerate(self.colors)
            ]
            for split, X, y in data.splits():
                yk = np.asarray(y).reshape(-1).astype(int)
                _scatter_split(
                    ax, np.column_stack([X[:, 0], -0.06 - 0.04 * yk]), split, c=self.colors[yk], s=14, linewidths=0.3
                )
            ax.set_ylim(-0.06 - 0.04 * len(self.colors), 1.05)
            ax.set_ylabel("probability")
            ax.set_title("class probabilities", fontsize=10)
        else:
            _curve_points(ax, data, size=14)
            (self.curve,) = ax.plot([], [], color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
            targets = np.concatenate([_target_column(y) for _, _, y in data.splits()])
            pad = _margin(targets[:, None], 0.25)
            ax.set_ylim(targets.min() - pad, targets.max() + pad)  # fixed: early wild fits go off-screen
            ax.set_ylabel("y")
            ax.set_title("fit", fontsize=10)
            ax.legend(frameon=False, fontsize=8, loc="best")
        ax.set_xlim(low[0], high[0])
        ax.set_xlabel(data.feature_name(0))
        ax.grid(True, alpha=0.3)

    def _update_model_panel(self, frame: AnimationFrame) -> None:
        ax = self.model_ax
        if self.data.n_features == 2:
            values = np.asarray(frame.predict(self.grid_points), dtype=float)
            if self.classification:
                P = _as_probabilities(values).reshape(self.xx.shape + (-1,))
                n = P.shape[-1]
                confidence = np.clip((P.max(axis=-1) - 1.0 / n) / (1.0 - 1.0 / n), 0.0, 1.0)
                self.regions.set_data(_tint(self.colors[np.argmax(P, axis=-1)], 0.08 + 0.37 * confidence))
                for contour in self.contours:
                    contour.remove()
                self.contours = _draw_boundaries(ax, self.xx, self.yy, P)
                accuracy = []
                for split, X, y in self.data.splits():
                    predicted = np.argmax(_as_probabilities(frame.predict(X)), axis=1)
                    accuracy.append(f"{split} {_percent(np.mean(predicted == np.asarray(y).reshape(-1)))}")
                ax.set_title("accuracy: " + " · ".join(accuracy), fontsize=9)
            else:
                self.regions.set_data(values.reshape(len(values), -1)[:, 0].reshape(self.xx.shape))
            return
        values = np.asarray(frame.predict(self.line_x), dtype=float)
        if self.classification:
            P = _as_probabilities(values)
            for k, curve in enumerate(self.curves):
                curve.set_data(self.line_x[:, 0], P[:, k])
        else:
            self.curve.set_data(self.line_x[:, 0], values.reshape(len(values), -1)[:, 0])

    # -- panel 2: the hidden representation

    def _setup_hidden_panel(self, spec, frames: Sequence[AnimationFrame]) -> None:
        # All frames' activations are computed up front: cheap (one forward pass per frame over
        # the data), and it gives the panel fixed limits, so movement on screen is movement of
        # the data, not of the axes.
        # w > 3: ONE PCA basis for the whole animation, from the LAST frame's training
        # activations. Per-frame PCA (even with signs aligned) rotates the axes under the
        # viewer, and components swap places whenever two eigenvalues cross, which reads as
        # jumps that are not in the network. With a fixed basis the points visibly move into
        # the final arrangement: the "untangling" the picture is there to show. The cost: early
        # frames may spread along directions the last frame's PCs do not show, which the axis
        # labels say ("PCs of epoch N").
        last = frames[-1]
        splits = [(s, X) for s, X, _ in self.data.splits()]
        self.hidden_coordinates = []
        H_last = np.asarray(last.hidden(self.data.X_train), dtype=float)
        self.view = _HiddenView(H_last, self.data, "", basis_note=f" at epoch {last.epoch}")
        for frame in frames:
            if frame.hidden is None:
                self.hidden_coordinates.append(None)
                continue
            self.hidden_coordinates.append({s: self.view.project(frame.hidden(X), s) for s, X in splits})
        ax = self.view.new_axes(self.fig, spec)
        self.hidden_ax = ax
        self.hidden_artists = self.view.scatter(ax, next(c for c in self.hidden_coordinates if c is not None), s=14)
        everything = np.vstack([C for coords in self.hidden_coordinates if coords for C in coords.values()])
        low, high = _padded_box(everything, 0.05)
        if self.view.kind != "strip" or not self.classification:
            ax.set_xlim(low[0], high[0])
            ax.set_ylim(low[1], high[1])
        else:
            ax.set_xlim(low[0], high[0])
        if self.view.kind == "3d":
            ax.set_zlim(low[2], high[2])
        if not self.classification:
            self.fig.colorbar(
                self.hidden_artists["train"], ax=ax, location="bottom", shrink=0.8, aspect=30, label="target y"
            )
        if self.view.kind == "3d":
            ax.locator_params(nbins=4)
            ax.tick_params(labelsize=7)
        ax.set_title(f"last hidden layer: {self.view.subtitle}", fontsize=9)

    def _update_hidden_panel(self, i: int) -> None:
        coordinates = self.hidden_coordinates[i]
        if coordinates is None:
            return
        for split, artist in self.hidden_artists.items():
            C = coordinates[split]
            if self.view.kind == "3d":
                artist._offsets3d = (C[:, 0], C[:, 1], C[:, 2])
            else:
                artist.set_offsets(C)

    # -- panel 3: the loss so far

    def _setup_loss_panel(self, ax: Axes, metrics: list[dict], frames: Sequence[AnimationFrame]) -> None:

        self.loss_ax = ax
        self.epochs = _column(metrics, "epoch")
        self.losses = {}
        self.loss_lines, self.loss_marks = {}, {}
        for split, prefix in (("train", "train"), ("validation", "val")):
            values = _column(metrics, f"{prefix}_loss")
            values[~np.isfinite(values)] = np.nan
            if not np.isfinite(values).any():
                continue
            self.losses[split] = values
            (self.loss_lines[split],) = ax.plot([], [], color=SPLIT_COLORS[split], lw=1.8, label=split)
            (self.loss_marks[split],) = ax.plot(
                [], [], ls="", marker="o", ms=6, color=SPLIT_COLORS[split], markeredgecolor=EDGE, zorder=5
            )
        values = np.concatenate([v[np.isfinite(v)] for v in self.losses.values()]) if self.losses else np.array([])
        if _use_log_scale(values):
            _log_axis(ax, values)
        frame_epochs = [f.epoch for f in frames]
        low = min([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        high = max([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        ax.set_xlim(low - 0.02 * max(high - low, 1), high + 0.02 * max(high - low, 1))
        if values.size:  # fixed for the whole animation: the curve grows into a still frame
            if ax.get_yscale() == "log":
                ax.set_ylim(values.min() / 1.25, values.max() * 1.25)
            else:
                pad = 0.05 * max(float(np.ptp(values)), 1e-12)
                ax.set_ylim(values.min() - pad, values.max() + pad)
        self.now = ax.axvline(low, color=NEUTRAL, ls=":", lw=1.2, label="current epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        _epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
        # above the panel, in place of a title: inside, the curve's tail (often at the top right
        # when validation loss climbs) ran under it
        ax.legend(frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3)

    def _update_loss_panel(self, epoch: int) -> None:
        so_far = self.epochs <= epoch
        for split, values in self.losses.items():
            self.loss_lines[split].set_data(self.epochs[so_far], values[so_far])
            at = np.flatnonzero(so_far & np.isfinite(values))
            if at.size:
                self.loss_marks[split].set_data([self.epochs[at[-1]]], [values[at[-1]]])
            else:
                self.loss_marks[split].set_data([], [])
        self.now.set_xdata([epoch, epoch])

    def update(self, i: int, frame: AnimationFrame) -> None:
        if self.has_model_panel:
            self._update_model_panel(frame)
        if self.has_hidden:
            self._update_hidden_panel(i)
        self._update_loss_panel(frame.epoch)
        self.suptitle.set_text(f"{self.title} · epoch {frame.epoch}")


# ---------------------------------------------------------------- sweep.png

MAX_SWEEP_LINES = 8  # more combinations of the other settings than this: one line averaged over them
MAX_VALUE_TICKS = 10  # up to this many distinct values of a setting, a tick at each value


@dataclass
class _SweepAxis:
    """How one swept setting is laid out along x.

    kind: "numeric" (values are numbers, or one-element lists of numbers such as [16]) or
    "categorical" (anything else: strings, bools, None, longer lists); scale: "linear", "log"
    or "symlog" (numeric only); values: the distinct values in drawing order (sorted numbers or
    the categories in order of first appearance), as numbers or texts; label: the axis label."""

    key: str
    kind: str
    scale: str
    values: list
    label: str

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
    - metric: a column such as "final_val_accuracy" (shown as %) or "final_val_loss" (log
      scale when it spans decades).
    One panel per setting. x: the setting's values, on a log axis when they are positive and span
    two decades or are spaced geometrically (learning rates, widths 1 … 50), categorical for text
    (a one-element list [16] is the number 16: a layer width). y: the mean over seeds as a line,
    the lowest to highest seed as a band, one line per value of the other settings (up to
    MAX_SWEEP_LINES lines; beyond, one line averaged over them too). Returns `path`.
    """
    return _save(_sweep_figure(rows, settings, metric=metric, title=title), path, dpi)


def _sweep_figure(rows: list[dict], settings: list[str], *, metric: str, title: str) -> Figure:
    """The figure of `plot_sweep`, unsaved, so tests can inspect its axes."""
    settings = list(settings) or ["seed"]
    values = np.array([_metric_value(row.get(metric)) for row in rows], dtype=float)
    have = np.isfinite(values)
    kept = [row for row, ok in zip(rows, have, strict=True) if ok]
    finite = values[have]
    is_accuracy = "accuracy" in metric
    log_y = not is_accuracy and _use_log_scale(finite)

    fig, axes = _new_figure(len(settings), panel=(5.6, 4.1))
    kinds: list[str] = []
    for ax, key in zip(axes, settings, strict=True):
        axis = _sweep_axis(key, [row.get(key) for row in rows])
        kind = "band" if axis.kind == "numeric" else "bar"
        kinds += [kind] if kind not in kinds else []
        others = [k for k in settings if k != key and k != "seed"]
        _draw_sweep_panel(ax, axis, kept, others, metric)
        _sweep_x_axis(ax, axis)
        ax.set_ylabel(_metric_label(metric))
        if is_accuracy:
            ax.yaxis.set_major_formatter(_percent_formatter())
        elif log_y:
            _log_axis(ax, finite)
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(title, fontweight="bold")
    fig.supxlabel(_sweep_caption(rows, kept, values, settings, kinds), fontsize=9, color=NEUTRAL_DARK)
    return fig


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


def _value_text(value: Any) -> str:
    """A setting value as the sweep writes it: 0.1, 1e-05, [16, 16], tanh."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def _sweep_axis(key: str, raw: list) -> _SweepAxis:
    """The layout of setting `key` given every run's value of it."""
    numbers = [_as_number(v) for v in raw]
    if raw and all(n is not None for n in numbers):
        distinct = sorted(set(numbers))  # type: ignore[type-var]
        label = key
        if any(isinstance(v, (list, tuple)) for v in raw):
            label = f"{key} (width)" if key.rsplit(".", 1)[-1] == "hidden" else f"{key} (its one value)"
        return _SweepAxis(key, "numeric", _x_scale(np.array(distinct)), distinct, label)
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
    from matplotlib import colormaps

    if n <= len(CLASS_COLORS) - 1:  # the palette's yellow is too pale for a thin line
        return list(CLASS_COLORS[:n])
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
            # random search: scattered values with one run each; a line through them would
            # suggest a trend from one run to the next
            scattered = len(xs) > MAX_VALUE_TICKS and np.median(count) <= 1
            ax.plot(xs, mean, color=color, lw=1.8, ls="" if scattered else "-", marker="o", ms=5, label=name, zorder=3)
            several = count > 1
            if scattered and np.any(several):  # a band between scattered points means nothing: bars
                bars = [mean[several] - low[several], high[several] - mean[several]]
                ax.errorbar(xs[several], mean[several], yerr=bars, color=color, ls="", capsize=2, lw=1.0, zorder=2)
            elif np.any(several):
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


def _sweep_x_axis(ax: Axes, axis: _SweepAxis) -> None:
    """Scale, ticks at the swept values (when few) and the label of one setting's axis."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xlabel(axis.label)
    if axis.kind == "categorical":
        ax.set_xticks(range(len(axis.values)), axis.values)
        ax.set_xlim(-0.5, len(axis.values) - 0.5)
        if sum(len(t) for t in axis.values) > 40:  # long texts would run into each other
            ax.tick_params(axis="x", labelrotation=30)
        return
    if axis.scale == "log":
        ax.set_xscale("log")
    elif axis.scale == "symlog":
        positive = [v for v in axis.values if v > 0]
        ax.set_xscale("symlog", linthresh=min(positive), linscale=0.5)
    if len(axis.values) <= MAX_VALUE_TICKS:  # a tick at each value the sweep tried, as it was written
        ax.xaxis.set_major_locator(FixedLocator(axis.values))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
    if axis.scale == "log" and len(axis.values) >= 2:
        low, high = min(axis.values), max(axis.values)
        pad = (high / low) ** 0.06
        ax.set_xlim(low / pad, high * pad)


def _metric_label(metric: str) -> str:
    """final_val_accuracy -> "final validation accuracy"."""
    words = ["validation" if w == "val" else w for w in metric.split("_")]
    return " ".join(words)


def _sweep_caption(rows: list[dict], kept: list[dict], values: Array, settings: list[str], kinds: list[str]) -> str:
    """What a line and a band (numeric x) or bar (categorical x) are, over how many seeds, and how
    many runs have no value."""
    seeds = {_value_text(row.get("seed")) for row in rows if row.get("seed") is not None}
    if settings == ["seed"]:
        parts = [f"one point per seed ({len(rows)} runs)"]
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
) -> Path:
    """A grid of small decision-boundary pictures, one per run: boundaries.png (seed 001's
    "hidden layer size 1, 2, 3, 4, 5, 20, 50" figure).

    - panels: (label, predict_scores, data) per run, in reading order. label names the run's
      settings ("hidden=[3] · lr=0.1 · seed 0"); predict_scores and data as `plot_boundary`.
    - ncols: columns of the grid; default about square, at most MAX_BOUNDARY_COLUMNS.
    Every panel covers the same region (the union of the runs' data, padded as boundary.png),
    so panels compare at a glance; each title carries the run's accuracy. One colour bar
    (`score_label`, two classes) and one legend serve the whole figure. Returns `path`.
    """
    figure = _boundaries_figure(panels, title=title, score_label=score_label, resolution=resolution, ncols=ncols)
    return _save(figure, path, dpi)


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


def _boundaries_figure(
    panels: list[tuple[str, Callable[[Array], Array], PlotData]],
    *,
    title: str,
    score_label: str,
    resolution: int,
    ncols: int | None,
) -> Figure:
    """The figure of `plot_boundaries`, unsaved: the panels, in rows, then the shared colour bar
    and legend. Empty cells of the last row are removed."""
    from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("boundaries needs at least one run")
    for label, _, data in panels:
        if data.n_features != 2 or data.task != "classification":
            raise ValueError(f"{label}: boundaries need 2-D classification data, got {data.n_features}-D {data.task}")
    n = len(panels)
    ncols = max(1, min(ncols or _boundary_columns(n), n))
    nrows = -(-n // ncols)
    xx, yy, extent = _plane_grid(np.vstack([_all_X(data) for _, _, data in panels]), resolution)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    probabilities = [
        _as_probabilities(np.asarray(predict(grid), dtype=float)).reshape(resolution, resolution, -1)
        for _, predict, _ in panels
    ]
    n_classes = max(_n_classes(data, P.shape[-1]) for (_, _, data), P in zip(panels, probabilities, strict=True))
    colors = _class_colors(n_classes)

    labels, shared = _split_common_parts([label for label, _, _ in panels])
    # smaller panels and type as the grid fills up, so 30 runs still fit a page
    side = 2.3 if n <= 12 else 1.9 if n <= 20 else 1.65
    font = 8.0 if n <= 12 else 7.0 if n <= 20 else 6.0
    wrap = int(side * 72 / (0.62 * font))  # characters per title line at this font size
    labels = [_wrap_label(label, wrap) for label in labels]
    title_lines = max(label.count("\n") + 1 for label in labels) + 1  # + the accuracy line
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    width, height = side * min(1.0 / aspect, 1.0), side * min(aspect, 1.0)
    has_bar = any(P.shape[-1] == 2 for P in probabilities)
    row_height = height + title_lines * font * 1.25 / 72 + 0.12
    fig = Figure(
        figsize=(ncols * (width + 0.1) + 0.45 + (0.75 if has_bar else 0.0), nrows * row_height + 0.95),
        layout="constrained",
    )
    fig.get_layout_engine().set(h_pad=LAYOUT_PAD, w_pad=0.04, hspace=0.02, wspace=0.02)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    axes = axes[:n]

    # the look of boundary.png: class-0 colour → white → class-1 colour in ten bands of P(class 1)
    two = LinearSegmentedColormap.from_list("two-classes", [_tint(colors[0], 0.45), (1, 1, 1), _tint(colors[1], 0.45)])
    levels = np.linspace(0, 1, 11)
    cmap = ListedColormap(two(0.5 * (levels[:-1] + levels[1:])))
    norm = BoundaryNorm(levels, cmap.N)
    shading = None
    splits: list[str] = []
    for index, (ax, (_, predict, data), label, P) in enumerate(zip(axes, panels, labels, probabilities, strict=True)):
        if P.shape[-1] == 2:
            shading = ax.imshow(P[..., 1], origin="lower", extent=extent, cmap=cmap, norm=norm, zorder=0)
        else:
            _shade_many_classes(ax, P, colors, extent)
        for contours in _draw_boundaries(ax, xx, yy, P):
            contours.set_linewidth(1.1)
        accuracy = {}
        for split, X, y in data.splits():
            y = np.asarray(y).reshape(-1).astype(int)
            size = 5 if split == "train" else 7
            _scatter_split(ax, X, split, c=colors[y], s=size, linewidths=0.3, zorder=3)
            accuracy[split] = float(np.mean(np.argmax(_as_probabilities(predict(X)), axis=1) == y))
            splits += [split] if split not in splits else []
        scores = " · ".join(f"{'val' if s == 'validation' else s} {_percent(a)}" for s, a in accuracy.items())
        ax.set_title(f"{label}\n{scores}" if label else scores, fontsize=font, pad=2, linespacing=1.15)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal")
        ax.tick_params(labelsize=font - 1, length=2, pad=1)
        # tick labels on the left column and under the lowest panel of each column only
        ax.tick_params(labelleft=index % ncols == 0, labelbottom=index + ncols >= n)
        if index % ncols == 0:
            ax.set_ylabel(data.feature_name(1), fontsize=font, labelpad=1)
        if index + ncols >= n:
            ax.set_xlabel(data.feature_name(0), fontsize=font, labelpad=1)

    if shading is not None:
        bar_inches = min(0.8 * nrows * row_height, 3.2)
        bar = fig.colorbar(
            shading,
            ax=list(axes),
            shrink=bar_inches / (nrows * row_height),
            aspect=20 * bar_inches / 3.2,
            fraction=0.3 / fig.get_figwidth(),
            ticks=np.linspace(0, 1, 6),
        )
        bar.set_label(score_label, fontsize=font + 1)
        bar.ax.tick_params(labelsize=font)
    from matplotlib.lines import Line2D

    boundary = Line2D([], [], color=BOUNDARY, lw=1.1, label="decision boundary")
    classes = _class_handles(panels[0][2], colors)
    for handle in classes:  # "0" alone in a legend reads as a number, not a class
        handle.set_label(f"class {handle.get_label()}" if handle.get_label().isdigit() else handle.get_label())
    handles = classes + _split_handles(splits) + [boundary]
    fig.legend(
        handles=handles, ncols=min(len(handles), 7), loc="outside lower center", frameon=False, fontsize=font + 1
    )
    heading = title + (f"\nevery run: {shared}" if shared else "")
    fig.suptitle(heading, fontweight="bold", fontsize=12 if n <= 12 else 11)
    return fig


def _split_common_parts(labels: list[str]) -> tuple[list[str], str]:
    """Labels without the " · "-separated parts that all of them share, and those parts: the
    panels say what differs, the figure's title what is the same ("seed 0")."""
    parts = [label.split(" · ") for label in labels]
    common = [p for p in parts[0] if all(p in other for other in parts[1:])] if len(labels) > 1 else []
    return [" · ".join(p for p in label if p not in common) for label in parts], " · ".join(common)
