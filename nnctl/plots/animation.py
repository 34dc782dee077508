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
    LAYOUT_PAD,
    NEUTRAL,
    SEQUENTIAL_CMAP,
    SPLIT_COLORS,
    Array,
    HiddenView,
    PlotData,
    all_X,
    as_probabilities,
    class_colors,
    class_handles,
    count_classes,
    curve_points,
    draw_boundaries,
    epoch_axis,
    log_axis,
    metric_column,
    padded_box,
    percent,
    plane_grid,
    scatter_split,
    span_margin,
    split_handles,
    surface_dots,
    target_column,
    tint,
    use_log_scale,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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
        self.colors = class_colors(count_classes(data)) if self.classification else None
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
            handles = class_handles(data, self.colors) + split_handles([s for s, _, _ in data.splits()])
            self.fig.legend(
                handles=handles, ncols=min(len(handles), 7), loc="outside lower center", frameon=False, fontsize=9
            )
        self.suptitle = self.fig.suptitle(title, fontweight="bold")

    # -- panel 1: the model on the input space

    def _setup_model_panel(self, ax: Axes) -> None:
        data = self.data
        self.model_ax = ax
        X_all = all_X(data)
        self.contours: list = []
        if data.n_features == 2:
            self.xx, self.yy, extent = plane_grid(X_all, ANIMATION_RESOLUTION)
            self.grid_points = np.column_stack([self.xx.ravel(), self.yy.ravel()])
            blank = np.ones(self.xx.shape + (3,))
            if self.classification:
                self.regions = ax.imshow(
                    blank, origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0
                )
                for split, X, y in data.splits():
                    scatter_split(
                        ax, X, split, c=self.colors[np.asarray(y).reshape(-1).astype(int)], s=16, linewidths=0.4
                    )
                ax.set_title("decision boundary", fontsize=10)
            else:
                from matplotlib.colors import Normalize

                targets = np.concatenate([target_column(y) for _, _, y in data.splits()])
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
                surface_dots(ax, data, self.norm)
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
        low, high = padded_box(X_all, 0.03)
        self.line_x = np.linspace(low[0], high[0], 300)[:, None]
        if self.classification:
            # probabilities of each class along x, the points on a rug at their class's colour
            self.curves = [
                ax.plot([], [], color=c, lw=2.0, label=f"P({data.class_name(k)})")[0] for k, c in enumerate(self.colors)
            ]
            for split, X, y in data.splits():
                yk = np.asarray(y).reshape(-1).astype(int)
                scatter_split(
                    ax, np.column_stack([X[:, 0], -0.06 - 0.04 * yk]), split, c=self.colors[yk], s=14, linewidths=0.3
                )
            ax.set_ylim(-0.06 - 0.04 * len(self.colors), 1.05)
            ax.set_ylabel("probability")
            ax.set_title("class probabilities", fontsize=10)
        else:
            curve_points(ax, data, size=14)
            (self.curve,) = ax.plot([], [], color=BOUNDARY, lw=2.2, zorder=4, label="prediction")
            targets = np.concatenate([target_column(y) for _, _, y in data.splits()])
            pad = span_margin(targets[:, None], 0.25)
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
                P = as_probabilities(values).reshape(self.xx.shape + (-1,))
                n = P.shape[-1]
                confidence = np.clip((P.max(axis=-1) - 1.0 / n) / (1.0 - 1.0 / n), 0.0, 1.0)
                self.regions.set_data(tint(self.colors[np.argmax(P, axis=-1)], 0.08 + 0.37 * confidence))
                for contour in self.contours:
                    contour.remove()
                self.contours = draw_boundaries(ax, self.xx, self.yy, P)
                accuracy = []
                for split, X, y in self.data.splits():
                    predicted = np.argmax(as_probabilities(frame.predict(X)), axis=1)
                    accuracy.append(f"{split} {percent(np.mean(predicted == np.asarray(y).reshape(-1)))}")
                ax.set_title("accuracy: " + " · ".join(accuracy), fontsize=9)
            else:
                self.regions.set_data(values.reshape(len(values), -1)[:, 0].reshape(self.xx.shape))
            return
        values = np.asarray(frame.predict(self.line_x), dtype=float)
        if self.classification:
            P = as_probabilities(values)
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
        self.view = HiddenView(H_last, self.data, "", basis_note=f" at epoch {last.epoch}")
        for frame in frames:
            if frame.hidden is None:
                self.hidden_coordinates.append(None)
                continue
            self.hidden_coordinates.append({s: self.view.project(frame.hidden(X), s) for s, X in splits})
        ax = self.view.new_axes(self.fig, spec)
        self.hidden_ax = ax
        self.hidden_artists = self.view.scatter(ax, next(c for c in self.hidden_coordinates if c is not None), s=14)
        everything = np.vstack([C for coords in self.hidden_coordinates if coords for C in coords.values()])
        low, high = padded_box(everything, 0.05)
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
        self.epochs = metric_column(metrics, "epoch")
        self.losses = {}
        self.loss_lines, self.loss_marks = {}, {}
        for split, prefix in (("train", "train"), ("validation", "val")):
            values = metric_column(metrics, f"{prefix}_loss")
            values[~np.isfinite(values)] = np.nan
            if not np.isfinite(values).any():
                continue
            self.losses[split] = values
            (self.loss_lines[split],) = ax.plot([], [], color=SPLIT_COLORS[split], lw=1.8, label=split)
            (self.loss_marks[split],) = ax.plot(
                [], [], ls="", marker="o", ms=6, color=SPLIT_COLORS[split], markeredgecolor=EDGE, zorder=5
            )
        values = np.concatenate([v[np.isfinite(v)] for v in self.losses.values()]) if self.losses else np.array([])
        if use_log_scale(values):
            log_axis(ax, values)
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
        epoch_axis(ax)
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
