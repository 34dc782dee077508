"""The pictures of a run, drawn from arrays and callables only.

Reading a run directory is someone else's job (`runs.load_run`); here everything arrives as NumPy
arrays, metric rows and a predict function, so every picture can be drawn and tested without
training anything.

    plot_loss(metrics, path, title=...)                  loss.png: loss (and accuracy) per epoch
    plot_boundary(predict_scores, data, path, title=...) boundary.png: 2-D classifier regions
    plot_fit(predict, data, path, title=...)             fit.png: regression curve / surface / parity

matplotlib is imported inside the functions that draw, never at module import: `nnctl --help`
and runs without plots must not pay for it. Figures are built with the object-oriented API
(`matplotlib.figure.Figure`) instead of pyplot: no backend is switched (a notebook using nnctl
keeps its own), nothing is registered globally, so nothing leaks when drawing in a loop. PNG is
rendered by Agg and SVG by the SVG backend, whatever backend the user configured.

Colours are Okabe & Ito's colour-blind-safe palette; class k has the same colour in every
picture (region, points, legend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

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
    fig.savefig(path, dpi=dpi)
    return path


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
    """Loss per epoch (train and val), and accuracy beside it when the rows have it.

    - metrics: rows of metrics.csv, keys `epoch`, `train_loss` and optionally `val_loss`,
      `train_accuracy`, `val_accuracy`; a missing value may be None, NaN or absent.
    - best_epoch: drawn as a dashed vertical line on every panel.
    Returns `path`.
    """
    return _save(_loss_figure(metrics, title=title, best_epoch=best_epoch), path, dpi)


def _loss_figure(metrics: list[dict], *, title: str, best_epoch: int | None) -> Figure:
    """The figure of `plot_loss`, unsaved, so tests can inspect its axes."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    epochs = _column(metrics, "epoch")
    panels = ["loss"] + (["accuracy"] if _has_values(metrics, "train_accuracy", "val_accuracy") else [])
    fig, axes = _new_figure(len(panels), panel=(6.0, 4.2))
    for ax, quantity in zip(axes, panels, strict=True):
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
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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
    """(n_classes, 3) RGB; Okabe–Ito while it lasts, then tab20 (not all colour-blind safe)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    if n_classes <= len(CLASS_COLORS):
        return np.array([to_rgb(c) for c in CLASS_COLORS[:n_classes]])
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


def _draw_boundaries(ax: Axes, xx: Array, yy: Array, P: Array) -> None:
    """The lines where the argmax changes: for each class, where its probability equals the best
    of the others. For K == 2 this is the P = 0.5 contour."""
    for k in range(P.shape[-1]):
        margin = P[..., k] - np.delete(P, k, axis=-1).max(axis=-1)
        if margin.min() < 0 < margin.max():  # a class that wins nowhere (or everywhere) has no line
            ax.contour(xx, yy, margin, levels=[0.0], colors=BOUNDARY, linewidths=1.6, zorder=2)


def _boundary_legend(data: PlotData, colors: Array, splits: list[str]) -> tuple[list, int]:
    """(handles, ncols) for a legend below the plot with one group per column block: classes,
    then marker shapes, then marks. Legends fill column by column, so each group is padded with
    blank entries to a whole number of columns and groups never share a column."""
    from matplotlib.lines import Line2D

    classes = [
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


def _fit_curve(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d == 1: data points and the prediction on a dense sorted grid spanning them."""
    X_all = np.vstack([X for _, X, _ in data.splits()])
    low, high = _padded_box(X_all, 0.03)
    # a curve needs more points than a surface's side to show kinks (relu) and steps
    grid = np.linspace(low[0], high[0], 4 * resolution)[:, None]
    fig, (ax,) = _new_figure(panel=(7.0, 4.6))
    for split, X, y in data.splits():
        _scatter_split(
            ax,
            np.column_stack([X[:, 0], _target_column(y)]),
            split,
            c=SPLIT_COLORS[split],
            s=18,
            alpha=0.7,
            linewidths=0.4,
            label=f"{split} data",
        )
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
    n_points = sum(len(X) for _, X, _ in data.splits())
    shown_all = _sample_mask(n_points, MAX_POINTS_ON_SURFACE)
    offset = 0
    for split, X, y in data.splits():
        # over the surface: small dots in the target's colour with a thin light rim, so the
        # surface shows between them and a dot stands out only where target and prediction differ
        shown, offset = shown_all[offset : offset + len(X)], offset + len(X)
        _scatter_split(
            ax_fit,
            X[shown],
            split,
            c=_target_column(y)[shown],
            cmap=SEQUENTIAL_CMAP,
            norm=norm,
            s=9,
            linewidths=0.35,
            edgecolors="white",
        )
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

    sample = "" if shown_all.all() else f", {shown_all.sum()} of {n_points}"
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
