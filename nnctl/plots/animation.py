"""animation.gif: training as a film, one frame per checkpoint (layer 1: numpy, nnctl.files).

Each frame shows, side by side, the model on the input space (as boundary.png or fit.png), the
last hidden layer (as hidden.png) and the loss up to the frame's epoch. One figure is built and
its artists are moved frame by frame. matplotlib is imported inside the functions that draw
(heavy: runs without plots must not pay for it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnctl.files import figure_bytes, written
from nnctl.plots.common import (
    BOUNDARY,
    EDGE,
    NEUTRAL,
    SEQUENTIAL_CMAP,
    SPLIT_MARKERS,
    Array,
    HiddenView,
    PlotData,
    all_targets,
    all_X,
    as_probabilities,
    class_colors,
    class_handles,
    class_indices,
    constrained_figure,
    count_classes,
    curve_points,
    draw_boundaries,
    epoch_axis,
    figure_title,
    finite_column,
    grid_points,
    log_axis,
    metric_column,
    padded_box,
    percent,
    plane_axes,
    plane_grid,
    predicted_classes,
    region_colors,
    scatter_split,
    span_margin,
    split_handles,
    split_line,
    spread_view,
    surface_dots,
    use_log_scale,
)
from nnctl.plots.model import draw_network  # network.png's own drawing, for its panel

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class AnimationFrame:
    """One checkpoint of training, as the animation draws it.

    - predict: X (n, d) -> class scores (n, K) (classification) or the output (n, 1) (regression)
    - hidden: X -> activations (n, w) of the last hidden layer; None without a hidden layer
    - weights: [W0, W1, ...] of the frame, for the network panel (see render_animation), and
      node_maps: X (n, 2) -> each node's value as plot_network takes them (2-D inputs), or None
    """

    epoch: int
    predict: Callable[[Array], Array]
    hidden: Callable[[Array], Array] | None
    weights: list[Array] | None = None
    node_maps: Callable[[Array], list[Array]] | None = None


ANIMATION_RESOLUTION = 90  # grid side of the moving boundary / surface: enough at GIF sizes
# A frame is about 960 x 350 px at the default 80 dpi: each panel 4 inches wide, text at 10-13
# pt (11-14 px), so titles and ticks read without zooming; a README column shows it at ~90%.
PANEL_INCHES = (4.0, 4.3)
FONT_SIZES = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
              "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 13}
LAST_FRAME_SECONDS = 2.5  # the film rests on its end before it loops: the result, read at leisure


def render_animation(
    frames: Sequence[AnimationFrame],
    data: PlotData,
    metrics: list[dict],
    path: Path,
    *,
    title: str,
    fps: int = 6,
    dpi: int = 80,
    progress: Callable[[int], None] | None = None,
    network_names: list[str] | None = None,
    network_inputs: list[str] | None = None,
) -> Path:
    """A GIF of training: per frame, side by side, the decision boundary (2-D classification) or
    the fit (1-D / 2-D regression), the hidden representation (as hidden.png), and the loss up
    to the frame's epoch; "epoch N" in the suptitle. Inputs with d > 2 have no first panel.
    With network_names (one per layer after the inputs, as plot_network's layer_names) and
    frames that carry their weights, a network panel after the first: network.png at each frame
    (its inputs named network_inputs, as plot_network's input_names).
    Each frame lasts 1/fps s, the last LAST_FRAME_SECONDS.

    One figure is built and its artists updated frame by frame (no figure per frame); each frame
    is rendered to pixels, kept as a 256-colour image, and Pillow writes the GIF with one
    duration per frame. progress(i) is called after frame i (0-based) is drawn. Returns `path`.
    """
    from matplotlib import rc_context

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"{path}: an animation is written as .gif")
    if not frames:
        raise ValueError("an animation needs at least one frame")
    path.parent.mkdir(parents=True, exist_ok=True)
    images = []
    with rc_context(FONT_SIZES):
        animation = _Animation(frames, data, metrics, title=title, network_names=network_names,
                               network_inputs=network_inputs)
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
            images.append(_frame_image(animation.fig, dpi))
            if progress is not None:
                progress(i)
    return _write_gif(images, path, fps)


def _write_gif(images: list, path: Path, fps: int) -> Path:
    """The frames (PIL images) as a looping GIF at `path`, each 1/fps s, the last
    LAST_FRAME_SECONDS; written atomically. Returns `path`."""
    step = 10 * max(1, round(100 / fps))  # GIF durations are whole hundredths of a second
    durations = [step] * (len(images) - 1) + [max(step, round(1000 * LAST_FRAME_SECONDS))]
    with written(path, keep_suffix=True) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


def render_moving_points(
    predict_scores: Callable[[Array], Array],
    data: PlotData,
    frames: Array,
    frame_steps: Sequence[int],
    path: Path,
    *,
    title: str,
    fps: int = 6,
    dpi: int = 80,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """moved.gif: a fixed 2-D classifier's regions (as the animation's first panel) and its
    training points moving, frames: (F, n, 2) the points at frame_steps (F,), each in its true
    class's colour (data.y_train) over a faint dot where it started; "step N" and how many the
    model gets right in the title. Written as render_animation writes its GIF. Returns `path`."""
    from matplotlib import rc_context

    frames = np.asarray(frames, dtype=float)
    path = Path(path)
    if path.suffix.lower() != ".gif" or not len(frames):
        raise ValueError(f"{path}: the moving points need at least one frame and a .gif")
    path.parent.mkdir(parents=True, exist_ok=True)
    y = class_indices(data.y_train)
    colors = class_colors(count_classes(data))
    with rc_context(FONT_SIZES):
        fig = constrained_figure((PANEL_INCHES[0] * 1.6, PANEL_INCHES[1] * 1.45))
        ax = fig.add_subplot()
        xx, yy, extent = plane_grid(frames.reshape(-1, 2), ANIMATION_RESOLUTION)
        P = as_probabilities(np.asarray(predict_scores(grid_points(xx, yy)), dtype=float)).reshape(xx.shape + (-1,))
        ax.imshow(region_colors(P, colors), origin="lower", extent=extent, interpolation="bilinear", aspect="auto")
        draw_boundaries(ax, xx, yy, P)
        ax.scatter(frames[0][:, 0], frames[0][:, 1], c=colors[y], s=6, alpha=0.3, linewidths=0)
        points = scatter_split(ax, frames[0], "train", c=colors[y], s=16, linewidths=0.4)
        plane_axes(ax, data, extent)
        fig.legend(handles=class_handles(data, colors), ncols=min(len(colors), 7), loc="outside lower center",
                   frameon=False)
        figure_title(fig, title)  # broken over two lines when long, not cut off
        images = []
        for i, (X, step) in enumerate(zip(frames, frame_steps, strict=True)):
            points.set_offsets(X)
            right = int((predicted_classes(predict_scores, X) == y).sum())
            ax.set_title(f"step {step} · {right} of {len(y)} classified correctly")
            if i == 0:  # lay out once, then freeze (as render_animation does)
                fig.draw_without_rendering()
                fig.set_layout_engine(None)
            images.append(_frame_image(fig, dpi))
            if progress is not None:
                progress(i)
    return _write_gif(images, path, fps)


def _frame_image(fig: Figure, dpi: int):
    """The figure rendered at `dpi`, as a 256-colour PIL image (what a GIF frame holds; a
    third of the memory of RGB while the film is gathered)."""
    from PIL import Image

    width, height = (int(inches * dpi) for inches in fig.get_size_inches())  # as Agg sizes its canvas
    pixels = figure_bytes(fig, fmt="rgba", dpi=dpi)
    rgba = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
    return rgba.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)


class _Animation:
    """The figure of `render_animation`: its panels side by side (the model on the input space
    when d <= 2, the last hidden layer when there is one, the loss), the class legend and the
    suptitle. Each frame is handed to every panel."""

    def __init__(self, frames: Sequence[AnimationFrame], data: PlotData, metrics: list[dict], *, title: str,
                 network_names: list[str] | None = None, network_inputs: list[str] | None = None) -> None:
        self.title = title
        colors = class_colors(count_classes(data)) if data.task == "classification" else None
        has_model_panel, has_hidden = data.n_features <= 2, frames[-1].hidden is not None
        has_network = network_names is not None and frames[-1].weights is not None
        n_panels = has_model_panel + has_network + has_hidden + 1
        # the network is wider than high (Playground's columns): its panel gets half a panel more
        ratios = [1.0] * has_model_panel + [NETWORK_PANEL_WIDTH] * has_network + [1.0] * (has_hidden + 1)
        fig = self.fig = constrained_figure((PANEL_INCHES[0] * sum(ratios), PANEL_INCHES[1]))
        grid = fig.add_gridspec(1, n_panels, width_ratios=ratios)
        cells = [grid[0, column] for column in range(n_panels)]
        self.model = model_panel(fig, fig.add_subplot(cells.pop(0)), data, colors) if has_model_panel else None
        self.network = (_NetworkPanel(fig.add_subplot(cells.pop(0)), data, network_names, network_inputs)
                        if has_network else None)
        self.hidden = _HiddenPanel(fig, cells.pop(0), frames, data) if has_hidden else None
        self.loss = _LossPanel(fig.add_subplot(cells.pop(0)), metrics, frames, by_class=colors is not None)
        # one legend, below the panels, in the same place in every frame: what colour and shape mean
        splits = split_handles([s for s, _, _ in data.splits()])
        curve = isinstance(self.model, _CurvePanel)
        if colors is not None:
            handles = class_handles(data, colors) + splits
        elif curve:
            handles = self.model.handles()
        else:  # colour is the target (colour bars), shape the split
            handles = splits
        if handles:
            fig.legend(handles=handles, ncols=min(len(handles), 7), loc="outside lower center", frameon=False,
                       markerscale=2.0 if curve else 1.0)  # the fit's data points are small: their swatches need not be
        self.suptitle = fig.suptitle(title, fontweight="bold")

    def update(self, i: int, frame: AnimationFrame) -> None:
        """Show frames[i]."""
        if self.model is not None:
            self.model.update(frame)
        if self.network is not None:
            self.network.update(frame)
        if self.hidden is not None:
            self.hidden.update(i)
        self.loss.update(frame.epoch)
        self.suptitle.set_text(f"{self.title} · epoch {frame.epoch}")


# ---------------------------------------------------------------- panel 1: the model on the input space


def model_panel(fig: Figure, ax: Axes, data: PlotData, colors: Array | None, *, colorbar: bool = True):
    """The first panel for d == 1 or 2 inputs: regions or a surface over the plane (d == 2),
    class probabilities or the fitted curve along the line (d == 1). Its `update(frame)` draws
    the model of one frame. colorbar=False: the surface without its colour bar (a thumbnail)."""
    if data.n_features == 2 and data.task == "regression":
        return _SurfacePanel(fig, ax, data, colors, colorbar=colorbar)
    panels = {(2, "classification"): _RegionsPanel, (1, "classification"): _ProbabilityPanel,
              (1, "regression"): _CurvePanel}
    return panels[data.n_features, data.task](fig, ax, data, colors)


class _RegionsPanel:
    """2-D classification: each grid cell in its predicted class's colour (paler where the model
    is unsure, as boundary.png with many classes), the boundary lines, the points in their
    true class's colour, and the accuracy at the frame's epoch as the title."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: Array) -> None:
        self.ax, self.data, self.colors = ax, data, colors
        self.xx, self.yy, extent = plane_grid(all_X(data), ANIMATION_RESOLUTION)
        self.grid_points = grid_points(self.xx, self.yy)
        blank = np.ones(self.xx.shape + (3,))
        self.regions = ax.imshow(
            blank, origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0
        )
        for split, X, y in data.splits():
            scatter_split(ax, X, split, c=colors[class_indices(y)], s=16, linewidths=0.4)
        ax.set_title("decision boundary")
        plane_axes(ax, data, extent)
        self.contours: list = []

    def update(self, frame: AnimationFrame) -> None:
        values = np.asarray(frame.predict(self.grid_points), dtype=float)
        P = as_probabilities(values).reshape(self.xx.shape + (-1,))
        self.regions.set_data(region_colors(P, self.colors))
        for contour in self.contours:
            contour.remove()
        self.contours = draw_boundaries(self.ax, self.xx, self.yy, P)
        accuracy = [
            f"{split} {percent(np.mean(predicted_classes(frame.predict, X) == class_indices(y)))}"
            for split, X, y in self.data.splits()
        ]
        self.ax.set_title("accuracy: " + " · ".join(accuracy))


class _SurfacePanel:
    """2-D regression: the predicted surface under the data's targets, on one colour scale
    fixed by the targets (early wild predictions saturate instead of rescaling the film)."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: None, *, colorbar: bool = True) -> None:
        from matplotlib.colors import Normalize

        self.xx, self.yy, extent = plane_grid(all_X(data), ANIMATION_RESOLUTION)
        self.grid_points = grid_points(self.xx, self.yy)
        targets = all_targets(data)
        norm = Normalize(float(targets.min()), float(targets.max()))
        blank = np.ones(self.xx.shape)
        self.surface = ax.imshow(
            blank, origin="lower", extent=extent, cmap=SEQUENTIAL_CMAP, norm=norm, aspect="auto", zorder=0
        )
        surface_dots(ax, data, norm)
        if colorbar:
            label = "y (surface: prediction, dots: target)"
            fig.colorbar(self.surface, ax=ax, location="bottom", shrink=0.8, aspect=30, label=label)
        ax.set_title("prediction ŷ")
        plane_axes(ax, data, extent)

    def update(self, frame: AnimationFrame) -> None:
        values = np.asarray(frame.predict(self.grid_points), dtype=float)
        self.surface.set_data(values.reshape(len(values), -1)[:, 0].reshape(self.xx.shape))


class _ProbabilityPanel:
    """1-D classification: the probability of each class along x, the points on a rug below
    the curves in their class's colour, one row per class."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: Array) -> None:
        low, high = padded_box(all_X(data), 0.03)
        self.x = np.linspace(low[0], high[0], 300)[:, None]
        self.curves = [
            ax.plot([], [], color=c, lw=2.0, label=f"P({data.class_name(k)})")[0] for k, c in enumerate(colors)
        ]
        for split, X, y in data.splits():
            yk = class_indices(y)
            rug = np.column_stack([X[:, 0], -0.06 - 0.04 * yk])
            scatter_split(ax, rug, split, c=colors[yk], s=14, linewidths=0.3)
        ax.set_ylim(-0.06 - 0.04 * len(colors), 1.05)
        ax.set_ylabel("probability")
        ax.set_title("class probabilities")
        _line_axes(ax, data, low[0], high[0])

    def update(self, frame: AnimationFrame) -> None:
        P = as_probabilities(np.asarray(frame.predict(self.x), dtype=float))
        for k, curve in enumerate(self.curves):
            curve.set_data(self.x[:, 0], P[:, k])


class _CurvePanel:
    """1-D regression: the fitted curve over the data, on y limits fixed by the targets."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: None) -> None:
        self.ax = ax
        low, high = padded_box(all_X(data), 0.03)
        self.x = np.linspace(low[0], high[0], 300)[:, None]
        curve_points(ax, data, size=14)
        (self.curve,) = ax.plot([], [], color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
        targets = all_targets(data)
        pad = span_margin(targets[:, None], 0.25)
        ax.set_ylim(targets.min() - pad, targets.max() + pad)  # fixed: early wild fits go off-screen
        ax.set_ylabel("y")
        ax.set_title("fit")
        _line_axes(ax, data, low[0], high[0])

    def handles(self) -> list:
        """The data and the curve, for the figure's legend: in an axes, loc="best" moved it
        from frame to frame as the curve moved."""
        return self.ax.get_legend_handles_labels()[0]

    def update(self, frame: AnimationFrame) -> None:
        values = np.asarray(frame.predict(self.x), dtype=float)
        self.curve.set_data(self.x[:, 0], values.reshape(len(values), -1)[:, 0])


def _line_axes(ax: Axes, data: PlotData, low: float, high: float) -> None:
    """x limits and label of a panel over the one input, with a light grid."""
    ax.set_xlim(low, high)
    ax.set_xlabel(data.feature_name(0))
    ax.grid(True, alpha=0.3)


# ---------------------------------------------------------------- the network panel (output.animation.network)

NETWORK_PANEL_RESOLUTION = 24  # a node's map side: its square is about 0.3 inches in a frame
NETWORK_PANEL_WIDTH = 1.5  # in panels


class _NetworkPanel:
    """network.png at each frame, drawn anew (its edges change width and colour, its nodes'
    maps change): the axes are cleared and `draw_network` draws the frame's weights."""

    def __init__(self, ax: Axes, data: PlotData, layer_names: list[str], input_names: list[str] | None) -> None:
        self.ax, self.data, self.layer_names, self.input_names = ax, data, layer_names, input_names

    def update(self, frame: AnimationFrame) -> None:
        self.ax.clear()
        draw_network(self.ax, frame.weights, self.data, layer_names=self.layer_names, node_maps=frame.node_maps,
                     input_names=self.input_names, resolution=NETWORK_PANEL_RESOLUTION, fontsize=8.0)
        # room above the layers' names, which are in points while the net shrinks to the panel:
        # without it the title ran into "hidden 1 (tanh)"
        low, high = self.ax.get_ylim()
        self.ax.set_ylim(low, high + 0.8)
        self.ax.set_title("the network · edge width ∝ |w| · green w > 0, purple w < 0")


# ---------------------------------------------------------------- panel 2: the hidden representation


class _HiddenPanel:
    """The last hidden layer as hidden.png shows it, its points moving from frame to frame over
    fixed axes.

    All frames' activations are computed up front: cheap (one forward pass per frame over the
    data), and it gives the panel fixed limits, so movement on screen is movement of the data,
    not of the axes.
    w > 3: ONE PCA basis for the whole animation, from the LAST frame's training activations.
    Per-frame PCA (even with signs aligned) rotates the axes under the viewer, and components
    swap places whenever two eigenvalues cross, which reads as jumps that are not in the
    network. With a fixed basis the points visibly move into the final arrangement: the
    "untangling" the picture is there to show. The cost: early frames may spread along
    directions the last frame's PCs do not show, which the axis labels say ("PCs of epoch N")."""

    def __init__(self, fig: Figure, spec, frames: Sequence[AnimationFrame], data: PlotData) -> None:
        last = frames[-1]
        H_last = np.asarray(last.hidden(data.X_train), dtype=float)
        self.view = HiddenView(H_last, data, "", basis_note=f" at epoch {last.epoch}")
        # per frame: {split: plotting coordinates}, or None for a frame without a hidden layer
        self.coordinates = [
            None if frame.hidden is None else {s: self.view.project(frame.hidden(X), s) for s, X, _ in data.splits()}
            for frame in frames
        ]
        self.ax = ax = self.view.new_axes(fig, spec)
        self.artists = self.view.scatter(ax, next(c for c in self.coordinates if c is not None), s=14)
        self._fix_limits()
        if not self.view.classification:
            fig.colorbar(self.artists["train"], ax=ax, location="bottom", shrink=0.8, aspect=30, label="target y")
        if self.view.kind == "3d":
            ax.locator_params(nbins=3)
            ax.tick_params(labelsize=10, pad=0)
            low, high = (np.array(limits) for limits in zip(ax.get_xlim(), ax.get_ylim(), ax.get_zlim(), strict=True))
            in_box = (self.coordinates[-1]["train"] - low) / np.maximum(high - low, 1e-12) * BOX_ASPECT
            ax.view_init(*spread_view(in_box))
        ax.set_title(f"last hidden layer: {self.view.width} unit{'s' * (self.view.width > 1)}\n"
                     + HIDDEN_SHOWN[self.view.kind], linespacing=1.2)

    def _fix_limits(self) -> None:
        """Limits that hold every frame's points; a class strip keeps its class rows as y."""
        everything = np.vstack([C for coords in self.coordinates if coords for C in coords.values()])
        low, high = padded_box(everything, 0.05)
        self.ax.set_xlim(low[0], high[0])
        if self.view.kind != "strip" or not self.view.classification:
            self.ax.set_ylim(low[1], high[1])
        if self.view.kind == "3d":
            self.ax.set_zlim(low[2], high[2])

    def update(self, i: int) -> None:
        coordinates = self.coordinates[i]
        if coordinates is None:
            return
        for split, artist in self.artists.items():
            C = coordinates[split]
            if self.view.kind == "3d":
                artist._offsets3d = (C[:, 0], C[:, 1], C[:, 2])
            else:
                artist.set_offsets(C)


BOX_ASPECT = np.array([4.0, 4.0, 3.0])  # matplotlib's 3-D box: z is drawn 3/4 as long as x and y


# ---------------------------------------------------------------- panel 3: the loss so far


# how the hidden panel shows its units, under its title (hidden.png's longer subtitle ran over the next panel)
HIDDEN_SHOWN = {"strip": "its activation along x", "plane": "as the two axes", "3d": "as the three axes",
                "pca": "along their first 2 principal components"}
SPLIT_LINES = {"train": "-", "validation": (0, (4, 2))}  # the loss lines: solid and dashed, whatever their colour
LOG_EPOCHS_BELOW = 0.1  # frames whose median epoch is under this share of the last crowd the start


class _LossPanel:
    """The train and validation loss up to the frame's epoch, a mark at the tip of each line and
    a thin line at the current epoch, on axes fixed for the whole film (the curve grows into a
    still frame).

    Train is a solid line tipped by a circle, validation a dashed one tipped by a square: the
    shapes of the points in the other panels. Their colours are the splits' own only when no
    colour in the frame means a class; with classes (blue and orange are class 0 and 1 there)
    both are one neutral dark. When the frames crowd the start (log spacing, the default), the
    epoch axis is logarithmic too, so the current-epoch line moves at an even pace and the first
    epochs, where the loss falls, are not a cliff at x = 0."""

    def __init__(self, ax: Axes, metrics: list[dict], frames: Sequence[AnimationFrame], *, by_class: bool) -> None:
        from matplotlib.lines import Line2D

        self.ax = ax
        self.epochs = metric_column(metrics, "epoch")
        self.losses: dict[str, Array] = {}
        self.lines, self.marks, handles = {}, {}, []
        for split, prefix in (("train", "train"), ("validation", "val")):
            values = finite_column(metrics, f"{prefix}_loss")
            if not np.isfinite(values).any():
                continue
            self.losses[split] = values
            style = split_line(split, marker=False)
            (self.lines[split],) = ax.plot([], [], lw=1.8, **style)
            tip = {"marker": SPLIT_MARKERS[split], "ms": 6, "markeredgecolor": EDGE}
            (self.marks[split],) = ax.plot([], [], ls="", zorder=5, color=style["color"], **tip)
            handles.append(Line2D([], [], lw=1.8, label=split, **style, **tip))
        first_epoch = self._fix_limits([f.epoch for f in frames])
        self.now = ax.axvline(first_epoch, color=NEUTRAL, lw=1.0, alpha=0.8)
        handles.append(Line2D([], [], color=NEUTRAL, lw=1.0, alpha=0.8, label="current epoch"))
        ax.set_ylabel("loss")
        ax.grid(True, which="major", alpha=0.3)
        # above the panel, in place of a title: inside, the curve's tail (often at the top right
        # when validation loss climbs) ran under it
        ax.legend(handles=handles, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
                  handlelength=2.2, columnspacing=1.0)

    def _fix_limits(self, frame_epochs: list[int]) -> float:
        """The y scale (log when the loss spans decades) and limits of every loss and epoch the
        film reaches, the epoch axis (log when the frames crowd the start); returns the first
        epoch."""
        ax = self.ax
        values = np.concatenate([v[np.isfinite(v)] for v in self.losses.values()]) if self.losses else np.array([])
        if use_log_scale(values):
            log_axis(ax, values)
        low = min([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        high = max([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        if low >= 0 and crowds_start(frame_epochs):
            log_epoch_axis(ax, high)
        else:
            ax.set_xlim(low - 0.02 * max(high - low, 1), high + 0.02 * max(high - low, 1))
            ax.set_xlabel("epoch")
            epoch_axis(ax)
        if values.size:
            if ax.get_yscale() == "log":
                ax.set_ylim(values.min() / 1.25, values.max() * 1.25)
            else:
                pad = 0.05 * max(float(np.ptp(values)), 1e-12)
                ax.set_ylim(values.min() - pad, values.max() + pad)
        return low

    def update(self, epoch: int) -> None:
        so_far = self.epochs <= epoch
        for split, values in self.losses.items():
            self.lines[split].set_data(self.epochs[so_far], values[so_far])
            at = np.flatnonzero(so_far & np.isfinite(values))
            if at.size:
                self.marks[split].set_data([self.epochs[at[-1]]], [values[at[-1]]])
            else:
                self.marks[split].set_data([], [])
        self.now.set_xdata([epoch, epoch])


def crowds_start(frame_epochs: Sequence[int]) -> bool:
    """Whether the frames' epochs crowd the start of a run of 50 epochs or more: their median is
    under LOG_EPOCHS_BELOW of the last (log spacing: about its square root; quadratic: a
    quarter; even: a half)."""
    epochs = np.sort(np.asarray(frame_epochs, dtype=float))
    return len(epochs) >= 3 and epochs[-1] >= 50 and float(np.median(epochs)) < LOG_EPOCHS_BELOW * epochs[-1]


def log_epoch_axis(ax: Axes, last: float) -> None:
    """A logarithmic epoch axis from 0 to `last`: linear between 0 and 1 (symlog), ticks at 0
    and the powers of ten, thousands as '10k'; the label says it is logarithmic."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("symlog", linthresh=1.0, linscale=0.4)
    ax.set_xlim(0.0, last * 1.15)
    ticks = [0.0, *(10.0**k for k in range(int(np.log10(last)) + 1))]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v >= 10_000 else f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("epoch (log scale)")
