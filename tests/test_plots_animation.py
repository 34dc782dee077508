"""animation.gif (nnctl/plots/animation.py): one distinct frame per checkpoint, each showing the
model at its epoch and the loss so far, in every layout (2-D, 1-D, more inputs)."""

import numpy as np
import pytest
from plot_helpers import blobs, regression, softmax

from nnctl.plots import AnimationFrame, PlotData, render_animation


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
