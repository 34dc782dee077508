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
    NEUTRAL,
    NEUTRAL_DARK,
    SEQUENTIAL_CMAP,
    Array,
    DrawnSplit,
    HiddenView,
    PlotData,
    accuracy_subtitle,
    all_targets,
    all_X,
    as_probabilities,
    banded_two_classes,
    boundary_inches,
    box_grid,
    class_colors,
    class_handles,
    class_indices,
    column_range,
    constrained_figure,
    count_classes,
    crowd_size,
    curve_points,
    draw_boundaries,
    drawn_points,
    figure_title,
    grid_points,
    halo,
    is_png,
    legend_blocks,
    legend_columns,
    neutral_points,
    new_figure,
    one_class_cmap,
    padded_box,
    percent,
    percent_formatter,
    plane_axes,
    plane_grid,
    predicted_classes,
    sample_note,
    save,
    scatter_split,
    shade_many_classes,
    span_margin,
    split_handles,
    surface_dots,
    target_column,
    two_class_cmap,
)
from nnctl.plots.network_parts import (
    CAPTION_FONT,
    COLUMN_GAP,
    EDGE_ALPHA,
    LABEL_GAP,
    NETWORK_FONT,
    NETWORK_RESOLUTION,
    NODE,
    ZERO_EDGE_ALPHA,
    ZERO_EDGE_DASHES,
    NodeMap,
    activation_scale,
    edge_color,
    edge_curve,
    edge_width,
    layer_title,
    network_inches,
    network_limits,
    network_note,
    network_units,
    node_label,
    node_maps_over_plane,
    strongest_units,
    widest_weight,
)
from nnctl.plots.raster import model as raster_model
from nnctl.plots.raster import network as raster_network

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

# ---------------------------------------------------------------- boundary.png


def _misclassified_style() -> dict[str, Any]:
    """scatter() keywords of the misclassified mark: a black ring with a white halo around the
    point, which stays visible inside it with its class colour and its split's shape."""
    return {"marker": "o", "facecolors": "none", "edgecolors": BOUNDARY, "s": 130, "linewidths": 1.5,
            "path_effects": halo(3.5)}


def decision_grid(
    predict_scores: Callable[[Array], Array], X: Array, resolution: int = 200, pad: float = 0.5
) -> tuple[Array, Array, Array]:
    """Class scores on a regular grid covering X: (n, 2), widened by `pad` on every side.

    Returns xx, yy: (resolution, resolution) grid coordinates (rows follow x₁, columns x₀, as
    np.meshgrid gives them) and scores: (resolution, resolution, K) with
    scores[i, j] = predict_scores([[xx[i, j], yy[i, j]]])[0].
    """
    low, high = column_range(np.asarray(X, dtype=float))
    xx, yy = box_grid(low - pad, high + pad, resolution)
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
    accuracy: dict[str, float] | None = None,
    creator: str | None = None,
    grid_scores: Callable[[Array], Array] | None = None,
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
    Training points are circles, validation points squares, misclassified points are ringed
    (black with a white halo, drawn above every point, so it shows on any colour, and the point
    keeps its colour and shape inside). More than MAX_POINTS_DRAWN points: a stratified sample of
    that many is drawn (class, split, right and wrong in their shares), and the title says so.
    - accuracy: {split: accuracy} of these predictions on all of a split's points when the caller
      knows them (a run's summary): a split too large to draw whole is then predicted only where
      it is drawn (a million points: a second less), its sample stratified by class alone.
    - creator: named in the file's metadata (`files.made_by`).
    - grid_scores: predict_scores for the grid of the plane alone (the regions and boundary),
      when the caller has a cheaper one as good to the eye (`pictures.grid_scores`: float32).
    Returns `path`. A PNG is drawn as pixels (`raster.model`) when that draws the data (up to
    ten classes); None (a Figure), SVG and PDF by matplotlib.
    """
    if is_png(path) and raster_model.drawn_here(data):
        return raster_model.plot_boundary(predict_scores, data, Path(path), title=title, dpi=dpi,
                                          resolution=resolution, score_label=score_label, accuracy=accuracy,
                                          creator=creator, grid_scores=grid_scores)
    figure = _boundary_figure(predict_scores, data, title=title, resolution=resolution, score_label=score_label,
                              accuracy=accuracy, grid_scores=grid_scores)
    return save(figure, path, dpi, creator=creator)


def _boundary_figure(
    predict_scores: Callable[[Array], Array],
    data: PlotData,
    *,
    title: str,
    resolution: int,
    score_label: str = "P(class 1)",
    accuracy: dict[str, float] | None = None,
    grid_scores: Callable[[Array], Array] | None = None,
) -> Figure:
    """The figure of `plot_boundary`, unsaved: regions, boundary lines, points, legend."""
    if data.n_features != 2 or data.task != "classification":
        raise ValueError(f"boundary needs 2-D classification data, got {data.n_features}-D {data.task}")
    X_all = all_X(data)
    xx, yy, raw = decision_grid(grid_scores or predict_scores, X_all, resolution, pad=span_margin(X_all, 0.12))
    low, high = (xx[0, 0], yy[0, 0]), (xx[-1, -1], yy[-1, -1])
    P = as_probabilities(raw.reshape(resolution * resolution, -1)).reshape(resolution, resolution, -1)
    n_classes = max(P.shape[-1], int(max(np.max(y, initial=0) for _, _, y in data.splits())) + 1)
    colors = class_colors(n_classes)

    extent = (low[0], high[0], low[1], high[1])
    handles, ncols = _boundary_legend(data, colors, [split for split, _, _ in data.splits()])
    note = sample_note(data)
    size = boundary_inches(extent, data, [h.get_label() for h in handles], ncols, colour_bar=P.shape[-1] == 2,
                           title=title, note=note)
    fig, (ax,) = new_figure(panel=size)
    if P.shape[-1] == 2:
        _shade_two_classes(fig, ax, xx, yy, P[..., 1], colors, score_label)
    else:
        shade_many_classes(ax, P, colors, extent)
    draw_boundaries(ax, xx, yy, P)
    drawn = drawn_points(predict_scores, data, accuracy)
    _draw_labelled_points(ax, drawn, colors)

    plane_axes(ax, data, extent)
    ax.set_title(accuracy_subtitle(drawn, note), fontsize=10)
    fig.legend(handles=handles, ncols=ncols, loc="outside lower center", frameon=False)
    figure_title(fig, title)
    return fig


def _draw_labelled_points(ax: Axes, drawn: list[DrawnSplit], colors: Array) -> None:
    """Each split's points (`drawn_points`) in their true class's colour, a ring around those
    the model gets wrong. The rings are drawn after every split's points (validation squares
    would cover training rings otherwise), wider than a point and black with a white halo:
    visible on any class colour and on dense clusters, and the meaning does not rest on hue."""
    for split in drawn:
        scatter_split(ax, split.X, split.name, c=colors[split.y])
    wrong_X = np.vstack([split.X[split.wrong] for split in drawn])
    ax.scatter(wrong_X[:, 0], wrong_X[:, 1], zorder=5, label="_misclassified", **_misclassified_style())


def _shade_two_classes(fig: Figure, ax: Axes, xx: Array, yy: Array, p1: Array, colors: Array, label: str) -> None:
    """Bands of P(class 1) on a class-0 colour → white → class-1 colour scale, with a colour bar
    labelled `label`."""
    cmap, norm = banded_two_classes(colors)
    half = 0.5 * (xx[0, 1] - xx[0, 0]), 0.5 * (yy[1, 0] - yy[0, 0])  # each pixel's centre on its grid point
    extent = (xx[0, 0] - half[0], xx[0, -1] + half[0], yy[0, 0] - half[1], yy[-1, 0] + half[1])
    # an image of the bands, not contourf's polygons: the same colours, a third of the time
    bands = ax.imshow(p1, origin="lower", extent=extent, cmap=cmap, norm=norm, aspect="auto", zorder=0)
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
            marker="o",
            markerfacecolor="none",
            markeredgecolor=BOUNDARY,
            markersize=11,
            markeredgewidth=1.5,
            path_effects=halo(3.5),
            label="misclassified",
        ),
        Line2D([], [], color=BOUNDARY, lw=1.6, label="decision boundary"),
    ]
    return legend_blocks([classes, split_handles(splits), marks], Line2D([], [], ls="", label=" "))


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
    figure_title(fig, title)
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
    size = min(18.0, crowd_size(len(all_X(data))))  # 1000 points on one line: small, or a bar
    curve_points(ax, data, size=size)
    ax.plot(grid[:, 0], _predict_column(predict, grid), color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
    ax.set_xlim(low[0], high[0])
    ax.set_xlabel(data.feature_name(0))
    ax.set_ylabel("y")
    ax.set_title(_rmse_text(predict, data), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, markerscale=np.sqrt(18.0 / size))  # the legend's markers at full size
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
    size = crowd_size(len(targets))
    for split, X, y in data.splits():
        scatter_split(ax_data, X, split, c=target_column(y), cmap=SEQUENTIAL_CMAP, norm=norm, s=size, linewidths=0.3)
        residual_points = scatter_split(
            ax_res, X, split, c=residuals[split], cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit, s=size, linewidths=0.3
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
        scatter_split(ax, np.column_stack([target, predicted]), split, label=split, **neutral_points(split, 18))
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

MAX_UNITS_DRAWN = 16  # per layer row: a wider layer shows its 16 most active units
UNITS_PER_LINE = 8  # a row of 16 units wraps into two lines, so the figure stays ~10 inches wide
OUTPUTS_PER_LINE = 4
UNIT_PANEL = 0.95  # inches, the longer side of a hidden unit's panel
OUTPUT_PANEL = 2.8  # inches: the output's map, the one that matters most, is drawn largest


def plot_neurons(
    layer_maps: Callable[[Array], list[Array]],
    data: PlotData,
    path: Path,
    *,
    title: str,
    layer_names: list[str],
    input_names: list[str] | None = None,
    dpi: int = DPI,
    resolution: int = 80,
) -> Path:
    """Every unit's activation over the input plane, one row per layer, as in TensorFlow Playground.

    - layer_maps: X (n, 2) -> one array per layer: each hidden layer's activations (n, width),
      and last the output: (n, K) class scores in [0, 1] (classification) or (n, 1) (regression).
    - layer_names: one row label per array, e.g. ["hidden 1 (tanh)", "output"].
    - input_names: given (the network's inputs are computed from the plane, data.features), the
      first array of layer_maps is the inputs (n, d) and is drawn first, one panel per input
      titled by its name (x0^2, sin(x1), ...), on the hidden units' colour rule; layer_names
      then name the arrays after it.
    A row whose values take both signs is drawn on a diverging scale centred at 0 (tanh), a
    non-negative one on a sequential scale from 0 (relu, sigmoid); one colour bar per row.
    A layer wider than MAX_UNITS_DRAWN shows its most active units (the largest spread of
    activation over the plane), in index order, each titled with its unit number.
    Output, in large panels: P(class 1) for two classes on boundary.png's colours, one panel per
    class for more (white to the class's colour), ŷ for regression, with the data as dots.
    Returns `path`.
    """
    figure = _neurons_figure(layer_maps, data, title=title, layer_names=layer_names, input_names=input_names,
                             resolution=resolution)
    return save(figure, path, dpi)


def _neurons_figure(
    layer_maps: Callable[[Array], list[Array]], data: PlotData, *, title: str, layer_names: list[str],
    resolution: int, input_names: list[str] | None = None,
) -> Figure:
    """The figure of `plot_neurons`, unsaved: one subfigure per layer (the inputs' first when
    input_names is given), top to bottom."""
    if data.n_features != 2:
        raise ValueError(f"neurons needs 2-D input, got {data.n_features}-D")
    xx, yy, extent = plane_grid(all_X(data), resolution)
    maps = [np.asarray(m, dtype=float).reshape(resolution, resolution, -1) for m in layer_maps(grid_points(xx, yy))]
    inputs = [] if input_names is None else [_input_row(maps.pop(0), input_names)]
    if len(layer_names) != len(maps):
        raise ValueError(f"{len(maps)} layer maps but {len(layer_names)} layer names")
    rows = [*inputs, *(_hidden_row(m, name) for m, name in zip(maps[:-1], layer_names[:-1], strict=True))]
    rows.append(_output_row(maps[-1], layer_names[-1], data))
    layouts = [_row_layout(row, extent) for row in rows]
    width = max(6.5, *(per_line * (w + 0.12) + 1.5 for _, per_line, w, _ in layouts))
    heights = [
        lines * (h + (0.45 if row["is_output"] else 0.28)) + 0.4
        for row, (lines, _, _, h) in zip(rows, layouts, strict=True)
    ]
    fig = constrained_figure((width, sum(heights) + 0.4), w_pad=0.03, hspace=0.0, wspace=0.02)
    subfigs = np.atleast_1d(fig.subfigures(len(rows), 1, height_ratios=heights))
    for subfig, row, layout in zip(subfigs, rows, layouts, strict=True):
        _draw_neuron_row(subfig, row, layout, width, extent, data)
    figure_title(fig, title)
    return fig


def _row_layout(row: dict[str, Any], extent: tuple) -> tuple[int, int, float, float]:
    """(lines, panels per line, panel width, panel height), sizes in inches, of one layer's row:
    hidden units small and eight to a line, the output large and four to a line."""
    n = len(row["panels"])
    per_line = min(n, OUTPUTS_PER_LINE if row["is_output"] else UNITS_PER_LINE)
    side = OUTPUT_PANEL if row["is_output"] else UNIT_PANEL
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])  # the longer side gets `side`
    return -(-n // per_line), per_line, side * min(1.0 / aspect, 1.0), side * min(aspect, 1.0)


def _draw_neuron_row(
    subfig: SubFigure, row: dict[str, Any], layout: tuple, width: float, extent: tuple, data: PlotData
) -> None:
    """One layer's panels on one colour scale, its colour bar right after them (spanning the
    row's lines), then blank space up to the figure's width; the row's label as its title."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    lines, per_line, panel_width, _ = layout
    blank = max(width - per_line * (panel_width + 0.12) - 1.5, 0.01)
    grid = subfig.add_gridspec(lines, per_line + 2, width_ratios=[panel_width] * per_line + [0.13, blank])
    norm = Normalize(*row["range"])
    big = row["is_output"]
    # the large panels are smoothed (their 80 cells a side would show as blocks), not the small
    smooth = "bilinear" if big else "nearest"
    for j, (label, image) in enumerate(row["panels"]):
        ax = subfig.add_subplot(grid[j // per_line, j % per_line])
        cmap = row["cmaps"][j] if "cmaps" in row else row["cmap"]
        ax.imshow(image, origin="lower", extent=extent, cmap=cmap, norm=norm, interpolation=smooth, aspect="equal")
        ax.set_title(label, fontsize=9 if big else 7, pad=2)
        if big:  # large enough for ticks: they read the plane in the data's units
            ax.tick_params(labelsize=7, length=2, pad=1)
            if data.task == "classification":
                _class_dots(ax, data)
            else:  # a sample in the target's colour, as over fit.png's surface
                surface_dots(ax, data, norm)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        if j == 0:  # one pair of axis labels per row
            ax.set_xlabel(data.feature_name(0), fontsize=8 if big else 7, labelpad=1)
            ax.set_ylabel(data.feature_name(1), fontsize=8 if big else 7, labelpad=1)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
    bar = subfig.colorbar(ScalarMappable(norm, row["cmap"]), cax=subfig.add_subplot(grid[:, per_line]))
    bar.set_label(row["bar_label"], fontsize=8 if big else 7)
    bar.ax.tick_params(labelsize=6 if not big else 7)
    subfig.suptitle(row["label"], fontsize=9, x=0.01, ha="left", wrap=True)


def _hidden_row(values: Array, name: str) -> dict[str, Any]:
    """The panels of one hidden layer, values: (r, r, width): every unit, or the
    MAX_UNITS_DRAWN most active (largest standard deviation over the plane), in index order,
    titled with their 1-based unit numbers; one colour scale for the row."""
    width = values.shape[-1]
    spread = values.reshape(-1, width).std(axis=0)
    chosen = np.sort(np.argsort(-spread, kind="stable")[:MAX_UNITS_DRAWN])
    cmap, value_range, scale_note = activation_scale(values[..., chosen])
    scale = value_range[1]
    constant = spread <= 1e-9 * max(float(np.abs(values).max()), 1e-12)
    label = name
    if width > MAX_UNITS_DRAWN:
        label += f" · the {MAX_UNITS_DRAWN} most active of {width} units (largest spread over the plane)"
        label += f"; {int(constant.sum())} are constant" if constant.any() else ""
    label += f" · activation: {scale_note}"
    panels = []
    for j in chosen:
        unit = values[..., j]
        note = (" (all 0)" if abs(float(unit.mean())) <= 1e-9 * scale else " (constant)") if constant[j] else ""
        panels.append((f"unit {j + 1}{note}", unit))
    return {"label": label, "panels": panels, "cmap": cmap, "range": value_range, "bar_label": "activation",
            "is_output": False}


def _input_row(values: Array, names: list[str]) -> dict[str, Any]:
    """The panels of the network's inputs, values: (r, r, d) as the network takes them (computed
    by data.features, standardised when the run was), one per input titled by its name, on one
    colour scale as a hidden layer's (`activation_scale`)."""
    if len(names) != values.shape[-1]:
        raise ValueError(f"{values.shape[-1]} input maps but {len(names)} input names")
    cmap, value_range, scale_note = activation_scale(values)
    return {"label": f"inputs (data.features, as the network takes them) · value: {scale_note}",
            "panels": [(name, values[..., j]) for j, name in enumerate(names)], "cmap": cmap, "range": value_range,
            "bar_label": "input", "is_output": False}


def _output_row(values: Array, name: str, data: PlotData) -> dict[str, Any]:
    """The output's panels, in the colours of boundary.png and fit.png: P(class 1) once for two
    classes (or one sigmoid column) on class 0's colour → white → class 1's colour, one panel per
    class for more, each white → its class's colour; ŷ for regression on viridis over its own
    range and the targets'."""
    if data.task == "regression":
        y = values[..., 0]
        targets = all_targets(data)
        low, high = min(float(y.min()), float(targets.min())), max(float(y.max()), float(targets.max()))
        return {"label": f"{name} · prediction ŷ (dots: the targets, same colour = same value)", "panels": [("ŷ", y)],
                "cmap": SEQUENTIAL_CMAP, "range": (low, high if high > low else low + 1e-12), "bar_label": "y",
                "is_output": True}
    colors = class_colors(count_classes(data, values.shape[-1]))
    if values.shape[-1] <= 2:
        first, second = data.class_label(0), data.class_label(1)
        return {"label": f"{name} · P({second}) as in boundary.png: {first}'s colour (0) → white (0.5) → "
                         f"{second}'s colour (1) · dots: the data",
                "panels": [(f"P({second})", values[..., -1])], "cmap": two_class_cmap(colors), "range": (0.0, 1.0),
                "bar_label": f"P({second})", "is_output": True}
    return {"label": f"{name} · probability of each class: white (0) → the class's colour (1) · dots: the data",
            "panels": [(f"P({data.class_label(k)})", values[..., k]) for k in range(values.shape[-1])],
            "cmaps": [one_class_cmap(color) for color in colors], "cmap": one_class_cmap(NEUTRAL_DARK),
            "range": (0.0, 1.0), "bar_label": "probability", "is_output": True}


def _class_dots(ax: Axes, data: PlotData) -> None:
    """The data as small dots in their class's colour over an output map."""
    colors = class_colors(count_classes(data))
    for split, X, y in data.splits():
        scatter_split(ax, X, split, c=colors[class_indices(y)], s=9, linewidths=0.35, edgecolors="white", alpha=0.85)


# ---------------------------------------------------------------- network.png


def plot_network(
    weights: list[Array],
    data: PlotData,
    path: Path | None,
    *,
    title: str,
    layer_names: list[str],
    node_maps: Callable[[Array], list[Array]] | None = None,
    input_names: list[str] | None = None,
    dpi: int = DPI,
    resolution: int = NETWORK_RESOLUTION,
    creator: str | None = None,
) -> Path:
    """The network as TensorFlow Playground draws it: a column of nodes per layer, inputs at the
    left (named by `input_names`, the network's inputs, e.g. x0^2 when features were computed
    from data's plane; default: data's feature names), outputs at the right, an edge for every
    weight drawn.

    - weights: [W0 (d, h1), ..., W_L (h_L, K)], the dense layers' weights in order.
    - layer_names: one per column after the inputs, e.g. ["hidden 1 (tanh)", "output (softmax)"].
    - node_maps: X (n, 2) -> [inputs (n, d), hidden_1 (n, h1), ..., output scores (n, K)], each
      node's value over the input plane; given (2-D inputs), every node is a small heatmap of it
      (hidden layers on activation_scale, outputs as neurons.png's output), else a plain box.
    Edges: line width ∝ |w| over the whole picture (the largest drawn is MAX_EDGE_POINTS),
    green w > 0, purple w < 0 (`edge_color`), an exact 0 thin, dashed and grey. A column wider
    than MAX_NODES_DRAWN shows its strongest nodes (`strongest_units`), and the note says so.
    A PNG of the nets `raster.network` draws (every node a map, none left out) is drawn there
    as pixels, in tens of milliseconds instead of a third of a second. Returns `path`.
    """
    if is_png(path) and raster_network.drawn_here(weights, data,
                                                                                              node_maps):
        return raster_network.plot_network(weights, data, path, title=title, layer_names=layer_names,
                                           node_maps=node_maps, input_names=input_names, dpi=dpi,
                                           resolution=resolution, creator=creator)
    figure = _network_figure(weights, data, title=title, layer_names=layer_names, node_maps=node_maps,
                             input_names=input_names, resolution=resolution)
    return save(figure, path, dpi, creator=creator)


def _network_figure(weights: list[Array], data: PlotData, *, title: str, layer_names: list[str],
                    node_maps: Callable[[Array], list[Array]] | None, resolution: int,
                    input_names: list[str] | None = None) -> Figure:
    """The figure of `plot_network`, unsaved: one axes (`draw_network`), the note below it."""
    fig = constrained_figure(network_inches(strongest_units([np.asarray(W) for W in weights])))
    note = draw_network(fig.add_subplot(), weights, data, layer_names=layer_names, node_maps=node_maps,
                        input_names=input_names, resolution=resolution)
    # below the nodes: above them it ran into the layers' names
    fig.supxlabel(note, fontsize=CAPTION_FONT, wrap=True)
    figure_title(fig, title)
    return fig


def draw_network(ax: Axes, weights: list[Array], data: PlotData, *, layer_names: list[str],
                 node_maps: Callable[[Array], list[Array]] | None, input_names: list[str] | None = None,
                 resolution: int = NETWORK_RESOLUTION, fontsize: float = NETWORK_FONT) -> str:
    """The network of `plot_network` on `ax` in picture units, nodes centred on (COLUMN_GAP ·
    column, row), each column centred; returns the note that says what the picture shows (the
    animation's network panel draws each frame with this)."""
    weights, chosen, at = network_units(weights, layer_names)
    widest = _draw_edges(ax, weights, chosen, at)
    maps = node_maps_over_plane(node_maps, data, chosen, resolution) if node_maps is not None else None
    for column, units in enumerate(chosen):
        _draw_column(ax, column, units, at[column], maps[column] if maps else None, data,
                     ["inputs", *layer_names][column], len(chosen), fontsize, input_names)
    xlim, ylim = network_limits(chosen)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return network_note(weights, chosen, widest, maps is not None)


def _draw_edges(ax: Axes, weights: list[Array], chosen: list[Array], at: list[Array]) -> float:
    """One curve per weight between drawn nodes (`edge_curve`: Playground's S-shaped links),
    width ∝ |w| (`edge_width`); returns the largest |w| drawn (0 when every one is 0). gid
    "W{layer}[i,j]" names each edge."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as CurvePath

    widest = widest_weight(weights, chosen)
    for layer, W in enumerate(weights):
        for a, i in enumerate(chosen[layer]):
            for b, j in enumerate(chosen[layer + 1]):
                w = float(W[i, j])
                curve = CurvePath(edge_curve(layer, a, b, chosen, at),
                                  [CurvePath.MOVETO, CurvePath.CURVE4, CurvePath.CURVE4, CurvePath.CURVE4])
                style = ({"linestyle": "-", "alpha": EDGE_ALPHA} if w != 0
                         else {"linestyle": (0, ZERO_EDGE_DASHES), "alpha": ZERO_EDGE_ALPHA})
                ax.add_patch(PathPatch(curve, facecolor="none", edgecolor=edge_color(w), capstyle="butt",
                                       linewidth=edge_width(w, widest), zorder=1, gid=f"W{layer}[{i},{j}]", **style))
    return widest


def _draw_column(ax: Axes, column: int, units: Array, at: Array, maps: list[NodeMap] | None, data: PlotData,
                 name: str, n_columns: int, fontsize: float, input_names: list[str] | None = None) -> None:
    """One layer's nodes: a heatmap framed in black (or a plain grey box), the inputs named at
    the left, hidden units numbered above, outputs named at the right; the layer's name on top."""
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.patches import Rectangle

    x = COLUMN_GAP * column
    for a, (k, y) in enumerate(zip(units, at, strict=True)):
        box = (x - NODE / 2, x + NODE / 2, y - NODE / 2, y + NODE / 2)
        if maps is not None and a < len(maps):
            node = maps[a]
            cmap = node.cmap if isinstance(node.cmap, str) else LinearSegmentedColormap.from_list("node", node.cmap)
            ax.imshow(node.values, origin="lower", extent=box, cmap=cmap, norm=Normalize(node.low, node.high),
                      interpolation="bilinear", zorder=3, gid=f"node {column}:{k}")
        face = "none" if maps is not None else "#e8e8e8"
        ax.add_patch(Rectangle((box[0], box[2]), NODE, NODE, facecolor=face, edgecolor=EDGE, lw=0.8, zorder=4))
        label = node_label(data, column, int(k), len(units), n_columns, input_names)
        if column == 0:
            ax.text(box[0] - LABEL_GAP, y, label, ha="right", va="center", fontsize=fontsize)
        elif column == n_columns - 1:
            ax.text(box[1] + LABEL_GAP, y, label, ha="left", va="center", fontsize=fontsize)
        else:
            ax.text(x, box[3] + 0.03, label, ha="center", va="bottom", fontsize=0.72 * fontsize, color=NEUTRAL_DARK)
    ax.text(x, max(at) + NODE / 2 + 0.3, layer_title(name), ha="center", va="bottom", fontsize=fontsize)


# ---------------------------------------------------------------- moved.png


def plot_moved(
    predict_scores: Callable[[Array], Array],
    data: PlotData,
    X_start: Array,
    X_end: Array,
    path: Path,
    *,
    title: str,
    dpi: int = DPI,
    resolution: int = 200,
    score_label: str = "P(class 1)",
) -> Path:
    """Seed 002's moved data: the model's class regions (as boundary.png) under the training
    points, each drawn where it ended in its true class's colour, with an arrow from where it
    started (a faint dot). Points the model got wrong before they moved are ringed at their
    start (boundary.png's mark); the subtitle counts the points that changed class.

    - predict_scores: X (n, 2) -> (n, K) class scores; data: 2-D classification, its training
      split's labels y_train; X_start, X_end: (n, 2) the training points before and after.
    Returns `path`.
    """
    return save(_moved_figure(predict_scores, data, X_start, X_end, title=title, resolution=resolution,
                              score_label=score_label), path, dpi)


def _moved_figure(predict_scores: Callable[[Array], Array], data: PlotData, X_start: Array, X_end: Array, *,
                  title: str, resolution: int, score_label: str) -> Figure:
    from matplotlib.lines import Line2D

    X_start, X_end = np.asarray(X_start, dtype=float), np.asarray(X_end, dtype=float)
    both = np.vstack([X_start, X_end])
    xx, yy, raw = decision_grid(predict_scores, both, resolution, pad=span_margin(both, 0.12))
    P = as_probabilities(raw.reshape(resolution * resolution, -1)).reshape(resolution, resolution, -1)
    y = class_indices(data.y_train)
    colors = class_colors(count_classes(data, P.shape[-1]))
    extent = (xx[0, 0], xx[-1, -1], yy[0, 0], yy[-1, -1])
    fig, (ax,) = new_figure(panel=(7.2, 6.4))
    if P.shape[-1] == 2:
        _shade_two_classes(fig, ax, xx, yy, P[..., 1], colors, score_label)
    else:
        shade_many_classes(ax, P, colors, extent)
    draw_boundaries(ax, xx, yy, P)
    before = predicted_classes(predict_scores, X_start) == y
    after = predicted_classes(predict_scores, X_end) == y
    ax.scatter(X_start[:, 0], X_start[:, 1], c=colors[y], s=8, alpha=0.35, linewidths=0, zorder=2)
    moved = np.flatnonzero(np.linalg.norm(X_end - X_start, axis=1) > 1e-9 * max(span_margin(both, 1.0), 1e-12))
    # hundreds of arrows (cross-entropy moves every point) are drawn lighter, so the regions show through
    ax.quiver(X_start[moved, 0], X_start[moved, 1], *(X_end[moved] - X_start[moved]).T, angles="xy",
              scale_units="xy", scale=1, color=BOUNDARY, width=0.003, headwidth=4,
              alpha=0.9 if len(moved) <= 100 else 0.4, zorder=3)
    scatter_split(ax, X_end, "train", c=colors[y], s=22, linewidths=0.5, zorder=4)
    ax.scatter(X_start[~before, 0], X_start[~before, 1], zorder=5, label="_wrong", **_misclassified_style())
    plane_axes(ax, data, extent)
    changed = int((before != after).sum())
    ax.set_title(f"{len(y)} training points · {changed} changed class · right before {int(before.sum())}, "
                 f"after {int(after.sum())}", fontsize=10)
    handles = class_handles(data, colors) + [
        Line2D([], [], ls="", marker="o", color=NEUTRAL, alpha=0.5, markersize=4, label="start"),
        Line2D([], [], ls="", marker="o", color=NEUTRAL, markeredgecolor=EDGE, markersize=6, label="end"),
        Line2D([], [], ls="", marker="o", markerfacecolor="none", markeredgecolor=BOUNDARY, markersize=11,
               markeredgewidth=1.5, path_effects=halo(3.5), label="wrong before moving")]
    fig.legend(handles=handles, ncols=legend_columns(handles, 7.2), loc="outside lower center", frameon=False)
    figure_title(fig, title)
    return fig


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
    coordinates = {split: view.project(H[split], split) for split, _, _ in data.splits()}
    artists = view.scatter(ax, coordinates)
    if view.kind == "3d":
        view.fit_3d(ax, coordinates)
    if view.kind in ("plane", "pca"):
        ax.set_aspect("equal", adjustable="datalim")  # distances mean the same in both directions
    ax.set_title(view.subtitle, fontsize=10)
    _hidden_legend(fig, view, artists, [ax])
    figure_title(fig, title)
    return fig


def _hidden_legend(fig: Figure, view: HiddenView, artists: dict, axes: list) -> None:
    """Class colours and marker shapes below the figure (classification), or a target colour bar."""
    splits = list(artists)
    if view.classification:
        handles = class_handles(view.data, class_colors(count_classes(view.data))) + split_handles(splits)
        ncols = legend_columns(handles, fig.get_figwidth())
        fig.legend(handles=handles, ncols=ncols, loc="outside lower center", frameon=False)
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
    bar.set_label("share of the true class (row)\non a square-root scale")
    bar.ax.yaxis.set_major_formatter(percent_formatter())
    figure_title(fig, title)
    return fig
