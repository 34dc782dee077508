"""Helpers the picture tests (tests/test_plots_*.py) import by name: small data sets and
predict functions, and checks that a figure or a PNG has real content."""

import numpy as np

from nnctl.plots import PlotData

DPI = 40  # small pictures keep the file fast; content checks do not need detail


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def linear_classifier(W, b):
    """X (n, 2) -> softmax(X @ W + b): (n, K)."""
    return lambda X: softmax(X @ W + b)


def drawn(fig):
    """Lay out and render `fig` (Agg, in memory) so positions and tick labels are final."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig


def visible_tick_labels(ax):
    """The y tick labels inside the axis limits that have text."""
    low, high = sorted(ax.get_ylim())
    return [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]


def assert_real_picture(path):
    """The PNG has visible content: pixel values vary and many colours appear."""
    import matplotlib.image

    pixels = matplotlib.image.imread(path)[..., :3]
    assert pixels.std() > 0.05
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 20


def blobs(rng, n_classes, n_val):
    centers = 3.0 * np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, n_classes, endpoint=False)])
    y = np.arange(100) % n_classes
    X = centers[y] + rng.normal(size=(100, 2))
    names = [f"class {k}" for k in range(n_classes)]
    data = PlotData(X[n_val:], y[n_val:], X[:n_val], y[:n_val], "classification", names)
    return data, linear_classifier(centers.T, -0.5 * (centers**2).sum(axis=1))


def bump(X):
    """A d-dimensional bump: (n, d) -> (n, 1)."""
    return np.exp(-(X**2).sum(axis=1, keepdims=True))


def regression(rng, d, n_val=20):
    """Bump data in d dimensions and a slightly wrong model of it, so residuals are not zero."""
    X = rng.uniform(-2, 2, size=(80, d))
    data = PlotData(X[n_val:], bump(X[n_val:]), X[:n_val], bump(X[:n_val]), "regression")
    return data, lambda Z: 0.9 * bump(Z)


def loss_rows(train_loss, with_accuracy=False):
    rows = [{"epoch": e, "train_loss": v, "val_loss": 1.1 * v} for e, v in enumerate(train_loss)]
    if with_accuracy:
        for row in rows:
            row |= {"train_accuracy": 0.9, "val_accuracy": None}  # a missing value is a gap, not an error
    return rows
