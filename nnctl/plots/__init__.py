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
    plot_confusion(y_true, y_pred, names, path, ...)     confusion.png: true against predicted class
    render_animation(frames, data, metrics, path, ...)   animation.gif: boundary/fit, hidden layer, loss
    plot_sweep(rows, settings, path, metric=..., ...)    sweep.png: a metric against each swept setting
    plot_boundaries(panels, path, title=...)             boundaries.png: one small boundary per run of a sweep
    model_thumbnail(predict, data, width=...)            report.html: a run's model, drawn small (PNG bytes)
    loss_thumbnail(metrics, width=..., height=...)       report.html: a run's loss, drawn small (PNG bytes)

One module per family: `curves` (loss, norms), `model` (boundary, fit, neurons, hidden,
confusion), `animation`, `sweep` (sweep, boundaries); `common` holds what two of them share:
PlotData, the palette, the figure and save helpers, the input-plane grid, the hidden views.

matplotlib is imported inside the functions that draw, never at module import: `nnctl --help`
and runs without plots must not pay for it. Figures are built with the object-oriented API
(`matplotlib.figure.Figure`) instead of pyplot: no backend is switched (a notebook using nnctl
keeps its own), nothing is registered globally, so nothing leaks when drawing in a loop. PNG is
rendered by Agg, SVG and PDF by their own backends, whatever backend the user configured.

The colours mean one thing in every picture (class hues, split shapes, the diverging map of
signed values): `common`'s docstring says which.

The names below are the package's interface; the submodules' other names are its internals.
"""

from nnctl.plots.animation import ANIMATION_RESOLUTION, AnimationFrame, render_animation
from nnctl.plots.common import (
    BOUNDARY,
    CLASS_COLORS,
    DIVERGING_CMAP,
    DPI,
    EDGE,
    FINE_LOG_TICKS_DECADES,
    FORMATS,
    LAYOUT_PAD,
    LOG_SCALE_DECADES,
    MAX_POINTS_ON_SURFACE,
    MORE_CLASS_COLORS,
    NEUTRAL,
    NEUTRAL_DARK,
    SEQUENTIAL_CMAP,
    SPLIT_COLORS,
    SPLIT_LINESTYLES,
    SPLIT_MARKERS,
    Array,
    PlotData,
)
from nnctl.plots.curves import plot_loss, plot_norms
from nnctl.plots.model import (
    MAX_UNITS_DRAWN,
    confusion_counts,
    decision_grid,
    plot_boundary,
    plot_confusion,
    plot_fit,
    plot_hidden,
    plot_neurons,
)
from nnctl.plots.sweep import (
    MAX_BOUNDARY_COLUMNS,
    MAX_SWEEP_LINES,
    MAX_VALUE_TICKS,
    loss_thumbnail,
    model_thumbnail,
    plot_boundaries,
    plot_sweep,
    reading_order,
    rounded_texts,
)

# The pictures of a run, by name: what output.plots and `nnctl plot --only` take, and the files a
# run directory may hold (runs.RUN_FILES). Here, low, so the config can name them; pictures.PICTURES
# draws each, in this order.
PICTURE_NAMES = ("loss", "boundary", "fit", "neurons", "hidden", "norms", "confusion", "animation")

__all__ = [
    "PICTURE_NAMES",
    "ANIMATION_RESOLUTION",
    "BOUNDARY",
    "CLASS_COLORS",
    "DIVERGING_CMAP",
    "DPI",
    "EDGE",
    "FINE_LOG_TICKS_DECADES",
    "FORMATS",
    "LAYOUT_PAD",
    "LOG_SCALE_DECADES",
    "MAX_BOUNDARY_COLUMNS",
    "MAX_POINTS_ON_SURFACE",
    "MAX_SWEEP_LINES",
    "MAX_UNITS_DRAWN",
    "MAX_VALUE_TICKS",
    "MORE_CLASS_COLORS",
    "NEUTRAL",
    "NEUTRAL_DARK",
    "SEQUENTIAL_CMAP",
    "SPLIT_COLORS",
    "SPLIT_LINESTYLES",
    "SPLIT_MARKERS",
    "AnimationFrame",
    "Array",
    "PlotData",
    "confusion_counts",
    "loss_thumbnail",
    "model_thumbnail",
    "decision_grid",
    "plot_boundaries",
    "plot_boundary",
    "plot_confusion",
    "plot_fit",
    "plot_hidden",
    "plot_loss",
    "plot_neurons",
    "plot_norms",
    "plot_sweep",
    "reading_order",
    "render_animation",
    "rounded_texts",
]
