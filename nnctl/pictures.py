"""Which pictures a run has, and how each is drawn from a run directory read back (`runs.Run`).

`PICTURES` is the registry behind `output.plots`, `nnctl plot --only` and their error texts.
Drawing is `nnctl.plots`' job; this module turns a Run into its arrays, callables and titles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def title(run) -> str:
    """'moons · 2-16-16-2 tanh · adam lr 0.01 · epoch 100' — what run a picture shows."""
    c = run.config
    sizes = "-".join(map(str, run.model.network.sizes))
    activations = sorted(set(c.model.activations)) or ["linear"]
    epoch = run.summary.get("epochs", run.metrics[-1]["epoch"] if run.metrics else 0)
    lr = c.optimizer.params["lr"]
    return f"{c.name} · {sizes} {'/'.join(activations)} · {c.optimizer.name} lr {lr:g} · epoch {epoch}"


def plot_data(run):
    from nnctl.plots import PlotData

    d = run.dataset
    return PlotData(
        X_train=d.X_train, y_train=d.y_train, X_val=d.X_val, y_val=d.y_val, task=d.task,
        class_names=[str(c) for c in d.classes], feature_names=list(d.feature_names),
    )


def draw_loss(run, path: Path, *, dpi: int) -> Path:
    from nnctl.plots import plot_loss

    best = run.summary.get("best_epoch") if run.summary.get("status") == "early_stopped" else None
    return plot_loss(run.metrics, path, title=title(run), best_epoch=best, dpi=dpi)


def draw_boundary(run, path: Path, *, dpi: int) -> Path:
    from nnctl.errors import NnctlError
    from nnctl.plots import plot_boundary

    d = run.dataset
    if d.task != "classification" or d.n_features != 2:
        raise NnctlError(f"{run.path}: boundary needs a classification set with 2 inputs (try --only loss)")
    dtype = run.model.network.dense[0].W.dtype
    scores = lambda X: run.model.loss.scores(run.model.raw(X.astype(dtype)))
    return plot_boundary(scores, plot_data(run), path, title=title(run), dpi=dpi,
                         score_label=run.model.loss.score_label)


def draw_fit(run, path: Path, *, dpi: int) -> Path:
    from nnctl.errors import NnctlError
    from nnctl.plots import plot_fit

    if run.dataset.task != "regression":
        raise NnctlError(f"{run.path}: fit needs a regression set (try --only loss,boundary)")
    dtype = run.model.network.dense[0].W.dtype
    predict = lambda X: run.model.output(X.astype(dtype))
    return plot_fit(predict, plot_data(run), path, title=title(run), dpi=dpi)


PICTURES: dict[str, Callable[..., Path]] = {"loss": draw_loss, "boundary": draw_boundary, "fit": draw_fit}
