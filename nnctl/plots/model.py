"""What a trained model does, drawn from a predict function and the data (layer 1: numpy,
nnctl.files): boundary.png, fit.png, neurons.png, hidden.png, confusion.png.

The model arrives as callables (X -> class scores, X -> each layer's activations) or as arrays
already computed (activations, predictions), never as a network object. matplotlib is imported
inside the functions that draw (heavy: runs without plots must not pay for it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.plots.common import (
    BOUNDARY,
    DIVERGING_CMAP,
    DPI,
    EDGE,
    SEQUENTIAL_CMAP,
    SPLIT_COLORS,
    Array,
    HiddenView,
    PlotData,
    all_targets,
    all_X,
    as_probabilities,
    box_grid,
    class_colors,
    class_handles,
    class_indices,
    constrained_figure,
    count_classes,
    curve_points,
    draw_boundaries,
    grid_points,
    halo,
    new_figure,
    padded_box,
    percent,
    percent_formatter,
    plane_axes,
    plane_grid,
    predicted_classes,
    save,
    scatter_split,
    shade_many_classes,
    span_margin,
    split_handles,
    surface_dots,
    target_column,
    two_class_cmap,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

# ---------------------------------------------------------------- boundary.png


def _misclassified_style() -> dict[str, Any]:
    """scatter() keywords of the misclassified x mark."""
    return {"marker": "x", "c": BOUNDARY, "s": 60, "linewidths": 2.0, "path_effects": halo()}


def decision_grid(
    predict_scores: Callable[[Array], Array], X: Array, resolution: int = 200, pad: float = 0.5
) -> tuple[Array, Array, Array]:
    """Class scores on a regular grid covering X: (n, 2), widened by `pad` on every side.

    Returns xx, yy: (resolution, resolution) grid coordinates (rows follow x₁, columns x₀, as
    np.meshgrid gives them) and scores: (resolution, resolution, K) with
    scores[i, j] = predict_scores([[xx[i, j], yy[i, j]]])[0].
    """
    X = np.asarray(X, dtype=float)
    xx, yy = box_grid(X.min(axis=0) - pad, X.max(axis=0) + pad, resolution)
    # one call for the whole grid: predict functions are vectorised over rows
    scores = np.asarray(predict_scores(grid_points(xx, yy)), dtype=float)
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
    return save(figure, path, dpi)


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
    X_all = all_X(data)
    xx, yy, raw = decision_grid(predict_scores, X_all, resolution, pad=span_margin(X_all, 0.12))
    low, high = (xx[0, 0], yy[0, 0]), (xx[-1, -1], yy[-1, -1])
    P = as_probabilities(raw.reshape(resolution * resolution, -1)).reshape(resolution, resolution, -1)
    n_classes = max(P.shape[-1], int(max(np.max(y, initial=0) for _, _, y in data.splits())) + 1)
    colors = class_colors(n_classes)

    fig, (ax,) = new_figure(panel=(7.2, 5.6))
    extent = (low[0], high[0], low[1], high[1])
    if P.shape[-1] == 2:
        _shade_two_classes(fig, ax, xx, yy, P[..., 1], colors, score_label)
    else:
        shade_many_classes(ax, P, colors, extent)
    draw_boundaries(ax, xx, yy, P)
    accuracy = _draw_labelled_points(ax, predict_scores, data, colors)

    plane_axes(ax, data, extent)
    ax.set_title("accuracy: " + " · ".join(f"{s} {percent(a)} (n={n})" for s, (a, n) in accuracy.items()), fontsize=10)
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
        predicted = predicted_classes(predict_scores, X)
        y = class_indices(y)
        scatter_split(ax, X, split, c=colors[y])
        wrong = predicted != y
        wrong_points.append(X[wrong])
        accuracy[split] = (float(np.mean(~wrong)), len(y))
    wrong_X = np.vstack(wrong_points)
    ax.scatter(wrong_X[:, 0], wrong_X[:, 1], zorder=5, label="_misclassified", **_misclassified_style())
    return accuracy


def _shade_two_classes(fig: Figure, ax: Axes, xx: Array, yy: Array, p1: Array, colors: Array, label: str) -> None:
    """Bands of P(class 1) on a class-0 colour → white → class-1 colour scale, with a colour bar
    labelled `label`."""
    cmap = two_class_cmap(colors)
    bands = ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap=cmap, vmin=0, vmax=1, zorder=0)
    bar = fig.colorbar(bands, ax=ax, shrink=0.8, ticks=np.linspace(0, 1, 6))
    bar.set_label(label)


def _boundary_legend(data: PlotData, colors: Array, splits: list[str]) -> tuple[list, int]:
    """(handles, ncols) for a legend below the plot with one group per column block: classes,
    then marker shapes, then marks. Legends fill column by column, so each group is padded with
    blank entries to a whole number of columns and groups never share a column."""
    from matplotlib.lines import Line2D

    classes = class_handles(data, colors)
    marks = [
        Line2D(
            [],
            [],
            ls="",
            marker="x",
            color=BOUNDARY,
            markersize=8,
            markeredgewidth=2.0,
            path_effects=halo(),
            label="misclassified",
        ),
        Line2D([], [], color=BOUNDARY, lw=1.6, label="decision boundary"),
    ]
    rows = min(max(len(classes), 2), 4)
    handles: list = []
    for group in (classes, split_handles(splits), marks):
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
    return save(_fit_figure(predict, data, title=title, resolution=resolution), path, dpi)


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


def _rmse_text(predict: Callable[[Array], Array], data: PlotData) -> str:
    """'RMSE: train 0.031 · validation 0.040' over every output."""
    parts = []
    for split, X, y in data.splits():
        error = np.asarray(predict(X), dtype=float).reshape(len(X), -1) - np.asarray(y, dtype=float).reshape(len(X), -1)
        parts.append(f"{split} {np.sqrt(np.mean(error**2)):.3g}")
    return "RMSE: " + " · ".join(parts)


def _fit_curve(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d == 1: data points and the prediction on a dense sorted grid spanning them."""
    low, high = padded_box(all_X(data), 0.03)
    # a curve needs more points than a surface's side to show kinks (relu) and steps
    grid = np.linspace(low[0], high[0], 4 * resolution)[:, None]
    fig, (ax,) = new_figure(panel=(7.0, 4.6))
    curve_points(ax, data, size=18)
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

    low, high = padded_box(all_X(data), 0.05)
    extent = (low[0], high[0], low[1], high[1])
    xx, yy = box_grid(low, high, resolution)
    surface = _predict_column(predict, grid_points(xx, yy)).reshape(xx.shape)
    targets = all_targets(data)
    # one scale for surface and targets, so equal colours mean equal values across panels
    norm = Normalize(min(surface.min(), targets.min()), max(surface.max(), targets.max()))
    residuals = {s: _predict_column(predict, X) - target_column(y) for s, X, y in data.splits()}
    limit = max(float(np.abs(np.concatenate(list(residuals.values()))).max()), 1e-12)

    fig, (ax_fit, ax_data, ax_res) = new_figure(3, panel=(5.0, 5.4))
    surface_image = ax_fit.imshow(
        surface,
        origin="lower",
        extent=extent,
        cmap=SEQUENTIAL_CMAP,
        norm=norm,
        aspect="auto",
        zorder=0,
    )
    sample = surface_dots(ax_fit, data, norm)
    for split, X, y in data.splits():
        scatter_split(ax_data, X, split, c=target_column(y), cmap=SEQUENTIAL_CMAP, norm=norm)
        residual_points = scatter_split(
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
        plane_axes(ax, data, extent)
    ax_res.set_facecolor("#f2f2f2")  # near-zero residuals are white points; grey keeps them visible
    # below the panels: inside one it would cover data
    fig.legend(
        handles=split_handles([s for s, _, _ in data.splits()]), ncols=2, loc="outside lower center", frameon=False
    )
    return fig


def _fit_parity(predict: Callable[[Array], Array], data: PlotData, resolution: int) -> Figure:
    """d > 2: prediction against target for every output; perfect predictions lie on y = x."""
    fig, (ax,) = new_figure(panel=(5.8, 5.4))
    seen = []
    for split, X, y in data.splits():
        target = np.asarray(y, dtype=float).reshape(-1)
        predicted = np.asarray(predict(X), dtype=float).reshape(-1)
        scatter_split(
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
    low, high = padded_box(np.concatenate(seen)[:, None], 0.05)
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
    return save(figure, path, dpi)


def _neurons_figure(
    layer_maps: Callable[[Array], list[Array]], data: PlotData, *, title: str, layer_names: list[str], resolution: int
) -> Figure:
    """The figure of `plot_neurons`, unsaved: one subfigure per layer, top to bottom."""
    if data.n_features != 2:
        raise ValueError(f"neurons needs 2-D input, got {data.n_features}-D")
    xx, yy, extent = plane_grid(all_X(data), resolution)
    maps = [np.asarray(m, dtype=float).reshape(resolution, resolution, -1) for m in layer_maps(grid_points(xx, yy))]
    if len(layer_names) != len(maps):
        raise ValueError(f"{len(maps)} layer maps but {len(layer_names)} layer names")
    rows = [_hidden_row(m, name) for m, name in zip(maps[:-1], layer_names[:-1], strict=True)]
    rows.append(_output_row(maps[-1], layer_names[-1], data))
    ncols = max(len(row["panels"]) for row in rows)
    fig = _neurons_canvas(len(rows), ncols, extent)
    for subfig, row in zip(np.atleast_1d(fig.subfigures(len(rows), 1)), rows, strict=True):
        _draw_neuron_row(subfig, row, ncols, extent, data)
    fig.suptitle(title, fontweight="bold")
    return fig


def _neurons_canvas(n_rows: int, ncols: int, extent: tuple) -> Figure:
    """An empty figure for `n_rows` rows of up to `ncols` small panels over the plane `extent`."""
    panel = 0.95  # inches per panel side (the wider one when the data's box is not square)
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])
    panel_width, panel_height = panel * min(1.0 / aspect, 1.0), panel * min(aspect, 1.0)
    return constrained_figure(
        (max(ncols * (panel_width + 0.08) + 1.2, 6.5), n_rows * (panel_height + 0.62) + 0.45),
        w_pad=0.03,
        hspace=0.0,
        wspace=0.02,
    )


def _draw_neuron_row(subfig: SubFigure, row: dict[str, Any], ncols: int, extent: tuple, data: PlotData) -> None:
    """One layer's panels on one colour scale, its colour bar right after them, then blank space
    up to the widest row; the row's label as the subfigure's title."""
    from matplotlib.colors import Normalize

    n_panels = len(row["panels"])
    blank = [ncols - n_panels + 0.01] if n_panels < ncols else []
    grid = subfig.add_gridspec(1, n_panels + 1 + len(blank), width_ratios=[1.0] * n_panels + [0.08] + blank)
    low, high = row["range"]
    norm = Normalize(low, high)
    for j, (label, image) in enumerate(row["panels"]):
        ax = subfig.add_subplot(grid[0, j])
        drawn_image = ax.imshow(
            image, origin="lower", extent=extent, cmap=row["cmap"], norm=norm, interpolation="nearest", aspect="equal"
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
    bar = subfig.colorbar(drawn_image, cax=subfig.add_subplot(grid[0, n_panels]))
    bar.set_label(row["bar_label"], fontsize=7)
    bar.ax.tick_params(labelsize=6)
    subfig.suptitle(row["label"], fontsize=9, x=0.01, ha="left")


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
        targets = all_targets(data)
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
    colors = class_colors(count_classes(data)) if data.task == "classification" else None
    for split, X, y in data.splits():
        if colors is not None:
            color = {"c": colors[class_indices(y)]}
        else:
            color = {"c": target_column(y), "cmap": SEQUENTIAL_CMAP, "norm": norm}
        scatter_split(ax, X, split, s=4, linewidths=0.25, edgecolors="white", alpha=0.75, **color)


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
    return save(_hidden_figure(H_train, H_val, data, title=title, layer_name=layer_name), path, dpi)


def _hidden_figure(H_train: Array, H_val: Array, data: PlotData, *, title: str, layer_name: str) -> Figure:
    view = HiddenView(H_train, data, layer_name)
    H = {"train": H_train, "validation": H_val}
    fig = constrained_figure((6.6, 5.8))
    ax = view.new_axes(fig, 111)
    artists = view.scatter(ax, {split: view.project(H[split], split) for split, _, _ in data.splits()})
    if view.kind in ("plane", "pca"):
        ax.set_aspect("equal", adjustable="datalim")  # distances mean the same in both directions
    ax.set_title(view.subtitle, fontsize=10)
    _hidden_legend(fig, view, artists, [ax])
    fig.suptitle(title, fontweight="bold")
    return fig


def _hidden_legend(fig: Figure, view: HiddenView, artists: dict, axes: list) -> None:
    """Class colours and marker shapes below the figure (classification), or a target colour bar."""
    splits = list(artists)
    if view.classification:
        handles = class_handles(view.data, class_colors(count_classes(view.data))) + split_handles(splits)
        fig.legend(handles=handles, ncols=min(len(handles), 6), loc="outside lower center", frameon=False)
    else:
        fig.colorbar(artists["train"], ax=axes, shrink=0.8, label="target y")
        fig.legend(handles=split_handles(splits), ncols=2, loc="outside lower center", frameon=False)


# ---------------------------------------------------------------- confusion.png


def confusion_counts(y_true: Array, y_pred: Array, n_classes: int) -> Array:
    """(K, K) ints: counts[i, j] = how many points of true class i were predicted as j."""
    y_true = class_indices(y_true)
    y_pred = class_indices(y_pred)
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
    return save(_confusion_figure(y_true, y_pred, class_names, title=title, split=split), path, dpi)


def _confusion_figure(y_true: Array, y_pred: Array, class_names: list[str], *, title: str, split: str) -> Figure:
    from matplotlib.colors import PowerNorm

    y_true = class_indices(y_true)
    y_pred = class_indices(y_pred)
    n = max(len(class_names), int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1, 1)
    names = [class_names[k] if k < len(class_names) else str(k) for k in range(n)]
    counts = confusion_counts(y_true, y_pred, n)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)

    side = min(max(4.6, 0.55 * n + 2.4), 9.0)
    fig, (ax,) = new_figure(panel=(side + 1.2, side))
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
    ax.set_title(f"{split}: accuracy {percent(accuracy)} (n={len(y_true)}) · diagonal = correct", fontsize=10)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("share of the true class (row)")
    bar.ax.yaxis.set_major_formatter(percent_formatter())
    fig.suptitle(title, fontweight="bold")
    return fig
