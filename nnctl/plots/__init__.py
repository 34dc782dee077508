"""Every picture nnctl draws, from arrays and callables only (layer 1: imports numpy and
nnctl.files; never config, runs or pictures).

Reading a run directory is someone else's job (`runs.load_run`, `pictures`); here everything
arrives as NumPy arrays, metric rows and a predict function, so every picture can be drawn and
tested without training anything.

    plot_loss(metrics, path, title=...)                  loss.png: loss (and accuracy) per epoch
    plot_norms(rows, path, title=...)                    norms.png: weight and gradient norms per layer
    plot_boundary(predict_scores, data, path, title=...) boundary.png: 2-D classifier regions
    plot_fit(predict, data, path, title=...)             fit.png: regression curve / surface / parity
    plot_neurons(layer_maps, data, path, title=...)      neurons.png: every unit over the input plane
    plot_hidden(H_train, H_val, data, path, title=...)   hidden.png: the data as the last hidden layer sees it
    plot_network(weights, data, path, title=...)         network.png: the net as Playground draws it
    plot_confusion(y_true, y_pred, names, path, ...)     confusion.png: true against predicted class
    render_animation(frames, data, metrics, path, ...)   animation.gif: boundary/fit, hidden layer, loss
    plot_moved(predict_scores, data, X0, X1, path, ...)  moved.png: seed 002's points moved to their class
    render_moving_points(predict_scores, data, ...)      moved.gif: the points moving, the model fixed
    plot_sweep(rows, settings, path, metric=..., ...)    sweep.png: a metric against each swept setting
    plot_boundaries(panels, path, title=...)             boundaries.png: one small boundary per run of a sweep
    plot_compare(curves, path, metrics=..., ...)         compare.png: runs' curves and boundaries side by side
    plot_search(data, path, title=...)                   search.png: a search, its history and settings
    model_thumbnail(predict, data, width=...)            report.html: a run's model, drawn small (PNG bytes)
    loss_thumbnail(metrics, width=..., height=...)       report.html: a run's loss, drawn small (PNG bytes)
    thumbnail_png(pixels)                                report.html: any picture's pixels in 256 colours

Every plot_* function given `path=None` writes nothing and returns its matplotlib Figure
(`common.save`): `TrainedRun.plot` and a notebook's inline pictures are this same drawing code.
Given a PNG path, plot_loss, plot_boundary, plot_network, plot_sweep and plot_boundaries (and the
report's thumbnails) draw the picture as pixels instead (`nnctl.plots.raster`: NumPy and Pillow
in matplotlib's look, tens of milliseconds, no matplotlib import), in every case their raster
module's `drawn_here` accepts; SVG, PDF and the rare cases stay matplotlib's.

One module per family: `curves` (loss, norms), `model` (boundary, fit, neurons, network,
hidden, confusion), `animation`, `sweep` (sweep, boundaries), `compare` (compare); `common` holds
what two of them share: PlotData, the palette, the figure and save helpers, the input-plane grid, the hidden views;
`network_parts` what network.png shows, drawn by `model` or as pixels (`raster.network`).

matplotlib is imported inside the functions that draw, never at module import: `nnctl --help`
and runs without plots must not pay for it. Figures are built with the object-oriented API
(`matplotlib.figure.Figure`) instead of pyplot: no backend is switched (a notebook using nnctl
keeps its own), nothing is registered globally, so nothing leaks when drawing in a loop. PNG is
rendered by Agg, SVG and PDF by their own backends, whatever backend the user configured.

The colours mean one thing in every picture (class hues, split shapes, the diverging map of
signed values): `common`'s docstring says which.

The names below are the package's interface; the submodules' other names are its internals.
They load on first use (PEP 562's module __getattr__): `import nnctl.plots` costs nothing, so a
run without pictures (and `nnctl runs`, `nnctl --help`) never executes the drawing modules,
about 70 ms of start-up on 2 cores under load (`python -X importtime`).
"""

from __future__ import annotations

import importlib
from typing import Any

from nnctl.vocabulary import PICTURE_NAMES

# the submodule that defines each public name
_NAMES: dict[str, tuple[str, ...]] = {
    "animation": (
        "ANIMATION_RESOLUTION", "AnimationFrame", "render_animation", "render_moving_points",
    ),
    "common": (
        "Array", "BOUNDARY", "CLASS_COLORS", "DIVERGING_CMAP", "DPI", "EDGE", "FINE_LOG_TICKS_DECADES",
        "FORMATS", "LAYOUT_PAD", "LOG_SCALE_DECADES", "MAX_POINTS_DRAWN", "MAX_POINTS_ON_SURFACE", "MORE_CLASS_COLORS",
        "NEUTRAL", "NEUTRAL_DARK", "PlotData", "SEQUENTIAL_CMAP", "SPLIT_COLORS", "SPLIT_LINESTYLES", "SPLIT_MARKERS",
    ),
    "compare": (
        "Curve", "compare_figure", "plot_compare", "run_colors",
    ),
    "curves": (
        "plot_loss", "plot_norms",
    ),
    "model": (
        "MAX_UNITS_DRAWN", "confusion_counts", "decision_grid", "plot_boundary", "plot_confusion", "plot_fit",
        "plot_hidden", "plot_moved", "plot_network", "plot_neurons",
    ),
    "network_parts": (
        "MAX_NODES_DRAWN", "edge_color", "strongest_units",
    ),
    "search": (
        "SearchData", "plot_search", "search_figure",
    ),
    "sweep": (
        "MAX_BOUNDARY_COLUMNS", "MAX_SWEEP_LINES", "MAX_VALUE_TICKS", "loss_thumbnail", "model_thumbnail",
        "plot_boundaries", "plot_sweep", "reading_order", "RunBoundaries", "run_boundaries", "thumbnail_png",
    ),
}
_WHERE = {name: module for module, names in _NAMES.items() for name in names}

__all__ = ["PICTURE_NAMES", *_WHERE]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # the next lookup is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
