"""animation.gif (nnctl/plots/animation.py): one distinct frame per checkpoint, each showing the
model at its epoch and the loss so far, in every layout (2-D, 1-D, more inputs)."""

import numpy as np
import pytest
from plot_helpers import blobs, regression, softmax

from nnctl.plots import CLASS_COLORS, SPLIT_COLORS, AnimationFrame, PlotData, render_animation
from nnctl.plots.animation import BOX_ASPECT, LAST_FRAME_SECONDS
from nnctl.plots.common import spread_view


def training_frames(rng, n_frames, hidden_width=2, d=2, n_classes=2):
    """Frames of a net whose weights grow with the epoch, so each frame is different."""
    W1, W2 = rng.normal(size=(d, hidden_width)), rng.normal(size=(hidden_width, n_classes))

    def frame(epoch):
        scale = 0.2 + epoch / 5
        hidden = lambda X: np.tanh(scale * X @ W1)  # noqa: E731
        return AnimationFrame(epoch, lambda X: softmax(scale * hidden(X) @ W2), hidden)

    return [frame(e) for e in np.linspace(0, 20, n_frames).astype(int)]


def gif_frames(path):
    from PIL import Image

    with Image.open(path) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB"), dtype=float))
        return image.n_frames, frames


@pytest.mark.parametrize(
    ("case", "hidden_width"), [("2-D classification", 5), ("1-D regression", 3), ("digits-like", 2)]
)
def test_animation_has_one_distinct_frame_per_checkpoint(tmp_path, case, hidden_width):
    rng = np.random.default_rng(0)
    if case == "2-D classification":
        data, _ = blobs(rng, 2, 10)
        frames = training_frames(rng, 4, hidden_width)
    elif case == "1-D regression":
        data, _ = regression(rng, 1)
        frames = [
            AnimationFrame(f.epoch, (lambda X, f=f: f.predict(X)[:, :1]), f.hidden)
            for f in training_frames(rng, 4, hidden_width, d=1)
        ]
    else:  # more than two inputs: no boundary panel, hidden and loss only
        X = rng.normal(size=(60, 6))
        data = PlotData(X[10:], np.arange(50) % 3, X[:10], np.arange(10) % 3, "classification")
        frames = training_frames(rng, 4, hidden_width, d=6, n_classes=3)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(1, 21)]
    called = []
    path = render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=30, progress=called.append)
    assert called == [0, 1, 2, 3]
    n_frames, images = gif_frames(path)
    assert n_frames == len(frames) == 4
    for before, after in zip(images, images[1:], strict=False):
        assert np.abs(before - after).mean() > 0.5  # each frame shows something new
    for image in images:
        assert image.std() > 10 and len(np.unique(image.reshape(-1, 3), axis=0)) > 20  # not blank


def test_animation_frame_shows_the_model_at_its_epoch_and_the_loss_so_far(tmp_path, monkeypatch):
    """Look inside the figure at the last frame: suptitle, loss drawn up to the epoch, fixed x range."""
    import nnctl.plots.animation as plots

    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    frames = training_frames(rng, 3, 2)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(1, 21)]
    seen = []
    original = plots._Animation.update

    def spy(self, i, frame):
        original(self, i, frame)
        loss_ax = self.loss.ax
        train_line = self.loss.lines["train"]
        seen.append((self.suptitle.get_text(), loss_ax.get_xlim(), np.max(train_line.get_xdata(), initial=0)))

    monkeypatch.setattr(plots._Animation, "update", spy)
    render_animation(frames, data, metrics, tmp_path / "a.gif", title="moons", dpi=20)
    assert [text for text, _, _ in seen] == ["moons · epoch 0", "moons · epoch 10", "moons · epoch 20"]
    assert len({xlim for _, xlim, _ in seen}) == 1  # one x range for the whole animation
    assert [last for _, _, last in seen] == [0, 10, 20]


def test_animation_refuses_other_formats(tmp_path):
    data, _ = blobs(np.random.default_rng(0), 2, 10)
    with pytest.raises(ValueError, match="gif"):
        render_animation(training_frames(np.random.default_rng(0), 2), data, [], tmp_path / "a.png", title="t")


def gif_durations(path):
    from PIL import Image

    with Image.open(path) as image:
        durations = []
        for k in range(image.n_frames):
            image.seek(k)
            durations.append(image.info["duration"])
        return durations


def test_the_film_rests_on_its_last_frame_before_it_loops(tmp_path):
    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e)} for e in range(21)]
    path = render_animation(training_frames(rng, 4), data, metrics, tmp_path / "a.gif", title="t", dpi=20, fps=5)
    assert gif_durations(path) == [200, 200, 200, 1000 * LAST_FRAME_SECONDS]


def spy_on_frames(monkeypatch, look):
    """Call look(animation) after each frame is drawn and laid out; returns what it gave."""
    import nnctl.plots.animation as plots

    seen = []
    original = plots._frame_image

    def spy(fig, dpi):
        image = original(fig, dpi)
        seen.append(look(fig, dpi))
        return image

    monkeypatch.setattr(plots, "_frame_image", spy)
    return seen


def test_loss_lines_are_not_in_class_colours_and_differ_by_style(tmp_path, monkeypatch):
    """Blue and orange are class 0 and 1 in the boundary and hidden panels: in the same frame
    they must not also mean train and validation."""
    from matplotlib.colors import to_hex

    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(21)]
    seen = spy_on_frames(monkeypatch, lambda fig, dpi: fig.axes[-1].get_lines())
    render_animation(training_frames(rng, 2), data, metrics, tmp_path / "a.gif", title="t", dpi=20)
    loss_lines = [line for line in seen[-1] if len(set(line.get_xdata())) > 1]
    assert len(loss_lines) == 2
    class_hex = {to_hex(c) for c in CLASS_COLORS}
    assert not {to_hex(line.get_color()) for line in loss_lines} & class_hex
    assert {line.get_linestyle() for line in loss_lines} == {"-", "--"}  # train solid, validation dashed


def test_regression_loss_lines_keep_the_splits_colours_of_the_data_points(tmp_path, monkeypatch):
    from matplotlib.colors import to_hex

    rng = np.random.default_rng(0)
    data, _ = regression(rng, 1)
    frames = [AnimationFrame(e, lambda X, e=e: 0.1 * e * X[:, :1], None) for e in (0, 5, 10)]
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(11)]
    seen = spy_on_frames(monkeypatch, lambda fig, dpi: fig.axes[-1].get_lines())
    render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=20)
    colours = [to_hex(line.get_color()) for line in seen[-1] if len(set(line.get_xdata())) > 1]
    assert colours == [to_hex(SPLIT_COLORS["train"]), to_hex(SPLIT_COLORS["validation"])]


def test_the_1d_fit_legend_stays_in_one_place(tmp_path, monkeypatch):
    """The curve sweeps from the top of the panel to the bottom: a legend placed 'best' inside
    the panel jumped from corner to corner between frames."""
    rng = np.random.default_rng(0)
    data, _ = regression(rng, 1)
    frames = [AnimationFrame(e, lambda X, e=e: np.full((len(X), 1), 1.0 - 0.1 * e), None) for e in (0, 5, 10)]
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e)} for e in range(11)]

    def legend_box(fig, dpi):
        legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
        return [tuple(np.round(legend.get_window_extent().bounds, 1)) for legend in legends]

    seen = spy_on_frames(monkeypatch, legend_box)
    render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=40)
    assert len(seen[0]) == 2 and seen[0] == seen[1] == seen[2]  # the fit's legend and the loss panel's


def test_every_text_of_a_frame_reads_at_the_default_size(tmp_path, monkeypatch):
    """At the default dpi a frame is about 960 px wide and no text is under 11 px (9 pt at 80
    dpi was 10 px; the gallery's 45 dpi made titles 6 px)."""
    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e), "val_loss": 1.2 / (1 + e)} for e in range(21)]

    def text_pixels(fig, dpi):
        texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
                 if t.get_visible() and t.get_text().strip()]
        return fig.get_figwidth() * dpi, min(t.get_fontsize() * dpi / 72 for t in texts)

    for hidden_width in (3, 5):  # a 3-D hidden panel and a PCA one
        seen = spy_on_frames(monkeypatch, text_pixels)
        path = render_animation(training_frames(rng, 2, hidden_width), data, metrics, tmp_path / "a.gif", title="t")
        width, smallest = seen[-1]
        assert width >= 900 and smallest >= 11
        assert gif_frames(path)[1][0].shape[1] >= 900


def test_frames_that_crowd_the_start_get_a_log_epoch_axis(tmp_path, monkeypatch):
    """Log-spaced frames (0, 1, 2, 4, 7, … 20 000): on a linear axis the current-epoch line sat at
    x = 0 for most of the film; on a log axis it moves at an even pace."""
    from nnctl.runs import frame_epochs

    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e)} for e in range(2001)]
    for spacing, scale in (("log", "symlog"), ("even", "linear")):
        epochs = frame_epochs(2000, 4, spacing)
        frames = [AnimationFrame(e, training_frames(rng, 1)[0].predict, None) for e in epochs]
        seen = spy_on_frames(monkeypatch, lambda fig, dpi: (fig.axes[-1].get_xscale(), fig.axes[-1].get_xlabel()))
        render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=20)
        assert seen[-1] == (scale, "epoch (log scale)" if scale == "symlog" else "epoch")


def test_a_3d_hidden_panel_looks_across_the_points_not_along_them():
    """Points near the line (0.1, 0.9, 0) -> (0.9, 0.1, 0.9), seed 003's last hidden layer: the
    default view looks almost along it and drew a blob; the chosen view shows most of its length."""
    t = np.linspace(0, 1, 200)[:, None]
    points = np.array([0.1, 0.9, 0.0]) + t * np.array([0.8, -0.8, 0.9])

    def spread_on_screen(view):
        elev, azim = np.radians(view)
        eye = np.array([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)])
        scaled = points * BOX_ASPECT
        return 1 - np.var(scaled @ eye) / np.var(scaled, axis=0).sum()

    assert spread_on_screen((30, -60)) < 0.2
    assert spread_on_screen(spread_view(points * BOX_ASPECT)) > 0.95  # the points in the box's units, as drawn
    blob = np.random.default_rng(0).normal(size=(500, 3))
    in_box = (blob - blob.min(axis=0)) / (blob.max(axis=0) - blob.min(axis=0))
    assert spread_view(in_box) == (30.0, -60.0)  # no reason to turn


def test_a_2d_regression_film_says_which_shape_is_which_split(tmp_path, monkeypatch):
    """Colour is the target there (colour bars); circles and squares had no legend."""
    rng = np.random.default_rng(0)
    data, predict = regression(rng, 2)
    frames = [AnimationFrame(e, predict, None) for e in (0, 1)]
    seen = spy_on_frames(monkeypatch, lambda fig, dpi: [t.get_text() for t in fig.legends[0].get_texts()])
    render_animation(frames, data, [{"epoch": 0, "train_loss": 1.0}], tmp_path / "a.gif", title="t", dpi=20)
    assert seen[-1] == ["train", "validation"]


def test_the_network_panel_draws_each_frames_weights(tmp_path, monkeypatch):
    """output.animation.network: a panel of network.png per frame, its edges the frame's weights."""
    import nnctl.plots.animation as plots
    from nnctl.plots.network_parts import MAX_EDGE_POINTS

    rng = np.random.default_rng(0)
    data, _ = blobs(rng, 2, 10)
    weights = [[rng.normal(size=(2, 3)), rng.normal(size=(3, 2))] for _ in range(2)]
    frames = [AnimationFrame(e, lambda X, W=W: softmax(np.tanh(X @ W[0]) @ W[1]), None, W,
                             lambda X, W=W: [X, np.tanh(X @ W[0]), softmax(np.tanh(X @ W[0]) @ W[1])])
              for e, W in zip((0, 5), weights, strict=True)]
    metrics = [{"epoch": e, "train_loss": 1 / (1 + e)} for e in range(6)]
    seen = []
    original = plots._Animation.update

    def spy(self, i, frame):
        original(self, i, frame)
        patches = self.network.ax.patches if self.network else []
        edges = {p.get_gid(): p.get_linewidth() for p in patches if (p.get_gid() or "")[:1] == "W"}
        seen.append((len(self.fig.axes), edges, len(self.network.ax.images) if self.network else 0))

    monkeypatch.setattr(plots._Animation, "update", spy)
    render_animation(frames, data, metrics, tmp_path / "a.gif", title="t", dpi=20, network_names=["h", "out"])
    for (n_axes, edges, n_images), W in zip(seen, weights, strict=True):
        widest = max(np.abs(w).max() for w in W)
        assert n_axes == 3 and n_images == 2 + 3 + 2  # model, network, loss; a map per node
        assert edges["W1[2,0]"] == pytest.approx(MAX_EDGE_POINTS * abs(W[1][2, 0]) / widest)
        assert edges["W0[1,2]"] == pytest.approx(MAX_EDGE_POINTS * abs(W[0][1, 2]) / widest)
    without = render_animation(frames, data, metrics, tmp_path / "b.gif", title="t", dpi=20)
    assert without.exists() and len(seen) == 4 and seen[-1][0] == 2  # no panel unless asked
