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

from nnctl.files import written
from nnctl.plots.common import (
    BOUNDARY,
    EDGE,
    NEUTRAL,
    SEQUENTIAL_CMAP,
    SPLIT_COLORS,
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
    surface_dots,
    use_log_scale,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    """The figure of `render_animation`: its panels side by side (the model on the input space
    when d <= 2, the last hidden layer when there is one, the loss), the class legend and the
    suptitle. Each frame is handed to every panel."""

    def __init__(self, frames: Sequence[AnimationFrame], data: PlotData, metrics: list[dict], *, title: str) -> None:
        self.title = title
        colors = class_colors(count_classes(data)) if data.task == "classification" else None
        has_model_panel, has_hidden = data.n_features <= 2, frames[-1].hidden is not None
        n_panels = has_model_panel + has_hidden + 1
        fig = self.fig = constrained_figure((4.3 * n_panels, 4.6))
        grid = fig.add_gridspec(1, n_panels)
        cells = [grid[0, column] for column in range(n_panels)]
        self.model = _model_panel(fig, fig.add_subplot(cells.pop(0)), data, colors) if has_model_panel else None
        self.hidden = _HiddenPanel(fig, cells.pop(0), frames, data) if has_hidden else None
        self.loss = _LossPanel(fig.add_subplot(cells.pop(0)), metrics, frames)
        if colors is not None:
            handles = class_handles(data, colors) + split_handles([s for s, _, _ in data.splits()])
            fig.legend(
                handles=handles, ncols=min(len(handles), 7), loc="outside lower center", frameon=False, fontsize=9
            )
        self.suptitle = fig.suptitle(title, fontweight="bold")

    def update(self, i: int, frame: AnimationFrame) -> None:
        """Show frames[i]."""
        if self.model is not None:
            self.model.update(frame)
        if self.hidden is not None:
            self.hidden.update(i)
        self.loss.update(frame.epoch)
        self.suptitle.set_text(f"{self.title} · epoch {frame.epoch}")


# ---------------------------------------------------------------- panel 1: the model on the input space


def _model_panel(fig: Figure, ax: Axes, data: PlotData, colors: Array | None):
    """The first panel for d == 1 or 2 inputs: regions or a surface over the plane (d == 2),
    class probabilities or the fitted curve along the line (d == 1)."""
    panels = {
        (2, "classification"): _RegionsPanel,
        (2, "regression"): _SurfacePanel,
        (1, "classification"): _ProbabilityPanel,
        (1, "regression"): _CurvePanel,
    }
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
        ax.set_title("decision boundary", fontsize=10)
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
        self.ax.set_title("accuracy: " + " · ".join(accuracy), fontsize=9)


class _SurfacePanel:
    """2-D regression: the predicted surface under the data's targets, on one colour scale
    fixed by the targets (early wild predictions saturate instead of rescaling the film)."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: None) -> None:
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
        fig.colorbar(
            self.surface, ax=ax, location="bottom", shrink=0.8, aspect=30, label="y (surface: prediction, dots: target)"
        )
        ax.set_title("prediction ŷ", fontsize=10)
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
        ax.set_title("class probabilities", fontsize=10)
        _line_axes(ax, data, low[0], high[0])

    def update(self, frame: AnimationFrame) -> None:
        P = as_probabilities(np.asarray(frame.predict(self.x), dtype=float))
        for k, curve in enumerate(self.curves):
            curve.set_data(self.x[:, 0], P[:, k])


class _CurvePanel:
    """1-D regression: the fitted curve over the data, on y limits fixed by the targets."""

    def __init__(self, fig: Figure, ax: Axes, data: PlotData, colors: None) -> None:
        low, high = padded_box(all_X(data), 0.03)
        self.x = np.linspace(low[0], high[0], 300)[:, None]
        curve_points(ax, data, size=14)
        (self.curve,) = ax.plot([], [], color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
        targets = all_targets(data)
        pad = span_margin(targets[:, None], 0.25)
        ax.set_ylim(targets.min() - pad, targets.max() + pad)  # fixed: early wild fits go off-screen
        ax.set_ylabel("y")
        ax.set_title("fit", fontsize=10)
        ax.legend(frameon=False, fontsize=8, loc="best")
        _line_axes(ax, data, low[0], high[0])

    def update(self, frame: AnimationFrame) -> None:
        values = np.asarray(frame.predict(self.x), dtype=float)
        self.curve.set_data(self.x[:, 0], values.reshape(len(values), -1)[:, 0])


def _line_axes(ax: Axes, data: PlotData, low: float, high: float) -> None:
    """x limits and label of a panel over the one input, with a light grid."""
    ax.set_xlim(low, high)
    ax.set_xlabel(data.feature_name(0))
    ax.grid(True, alpha=0.3)


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
            ax.locator_params(nbins=4)
            ax.tick_params(labelsize=7)
        ax.set_title(f"last hidden layer: {self.view.subtitle}", fontsize=9)

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


# ---------------------------------------------------------------- panel 3: the loss so far


class _LossPanel:
    """The train and validation loss up to the frame's epoch, a dot at the tip of each line and
    a dotted line at the current epoch, on axes fixed for the whole film (the curve grows into
    a still frame)."""

    def __init__(self, ax: Axes, metrics: list[dict], frames: Sequence[AnimationFrame]) -> None:
        self.ax = ax
        self.epochs = metric_column(metrics, "epoch")
        self.losses: dict[str, Array] = {}
        self.lines, self.marks = {}, {}
        for split, prefix in (("train", "train"), ("validation", "val")):
            values = finite_column(metrics, f"{prefix}_loss")
            if not np.isfinite(values).any():
                continue
            self.losses[split] = values
            (self.lines[split],) = ax.plot([], [], color=SPLIT_COLORS[split], lw=1.8, label=split)
            (self.marks[split],) = ax.plot(
                [], [], ls="", marker="o", ms=6, color=SPLIT_COLORS[split], markeredgecolor=EDGE, zorder=5
            )
        first_epoch = self._fix_limits([f.epoch for f in frames])
        self.now = ax.axvline(first_epoch, color=NEUTRAL, ls=":", lw=1.2, label="current epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        epoch_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
        # above the panel, in place of a title: inside, the curve's tail (often at the top right
        # when validation loss climbs) ran under it
        ax.legend(frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3)

    def _fix_limits(self, frame_epochs: list[int]) -> float:
        """The y scale (log when the loss spans decades) and limits of every loss and epoch the
        film reaches; returns the first epoch."""
        ax = self.ax
        values = np.concatenate([v[np.isfinite(v)] for v in self.losses.values()]) if self.losses else np.array([])
        if use_log_scale(values):
            log_axis(ax, values)
        low = min([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        high = max([*self.epochs[np.isfinite(self.epochs)], *frame_epochs])
        ax.set_xlim(low - 0.02 * max(high - low, 1), high + 0.02 * max(high - low, 1))
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
