"""Which pictures a run has, and how each is drawn from a run directory read back (`runs.Run`).

`PICTURES` is the registry behind `output.plots`, `nnctl plot --only` and their error texts:
each entry knows when it applies to a run and how to draw it. Drawing is `nnctl.plots`' job;
this module turns a Run into the arrays, callables and titles those functions take. A sweep's
own pictures (sweep.png, boundaries.png) are gathered a layer up, in `sweeps.pictures`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nnctl import plots  # the drawing modules load when a picture is drawn (nnctl.plots)
from nnctl.assemble import load_matching_weights, network_of
from nnctl.config import SOLVERS
from nnctl.data import Preprocessing
from nnctl.errors import NnctlError
from nnctl.files import read_metrics
from nnctl.nn.layers import CACHED_ROWS
from nnctl.vocabulary import FINISHED, PICTURE_FORMATS

Progress = Callable[[int, int], None]  # (frames done, frames in all)
MAX_DPI = 600  # print quality is 300; memory grows with dpi², and 100 000 asked for terabytes
MIN_DPI = 10  # below, a 5-pt caption is under a pixel high and FreeType refuses to draw it (a traceback at 1-3)
IMAGE_FORMATS = tuple(suffix.lstrip(".") for suffix in PICTURE_FORMATS)  # --image-format: png, svg, pdf


def check_picture_options(fmt: str, dpi: int) -> None:
    """--image-format and --dpi as `nnctl plot` and `nnctl compare` take them: one line when wrong."""
    if fmt not in IMAGE_FORMATS:
        raise NnctlError(f"--image-format: unknown {fmt!r} (choose from: {', '.join(IMAGE_FORMATS)})")
    if not MIN_DPI <= dpi <= MAX_DPI:  # a picture's pixels grow with dpi²: 600 already makes 3600 × 2640 per panel
        raise NnctlError(f"--dpi: must be between {MIN_DPI} and {MAX_DPI}, got {dpi}")


def title(run, *, weights: bool = True) -> str:
    """'moons · 2-16-16-2 tanh · adam lr 0.01 · epoch 100': what run a picture shows and, with
    `weights`, which of its weights are drawn (see `weights_drawn`)."""
    c = run.config
    sizes = "-".join(map(str, run.model.network.sizes))
    activations = sorted(set(c.model.activations)) or ["linear"]
    lr = c.optimizer.params.get("lr")  # lbfgs has none: its line search sets each step
    rule = c.optimizer.name if lr is None else f"{c.optimizer.name} lr {lr:.4g}"
    run_title = f"{c.name} · {sizes} {'/'.join(activations)} · {rule}{regularizers(c)}"
    return f"{run_title} · {weights_drawn(run)}" if weights else run_title


def regularizers(c) -> str:
    """' · dropout 0.5 · L1 0.03 (clip)' for the lessons' pictures: what besides the net and the
    rule shapes the weights drawn; '' when neither is on (L2 is in every seed's config, unnamed)."""
    rates = c.model.dropout if isinstance(c.model.dropout, list) else [c.model.dropout]
    parts = [f"dropout {'/'.join(f'{p:g}' for p in rates)}"] if any(rates) else []
    if c.loss.l1:
        parts.append(f"L1 {c.loss.l1:g}{' (clip)' if c.loss.l1_clip else ''}")
    return "".join(f" · {part}" for part in parts)


def step_name(run) -> str:
    """What one row of metrics.csv is: an "epoch", or for a full-batch solver (lbfgs) an
    "iteration"."""
    return "iteration" if run.config is not None and run.config.optimizer.name in SOLVERS else "epoch"


def weights_drawn(run) -> str:
    """The epoch of the weights in model.npz, which every picture of the model draws, and why it
    is not the last epoch when it is not: 'epoch 55 (best; early stopped at 60)', 'epoch 7
    (diverged in epoch 8)', 'epoch 12 + 5 batches (interrupted)', 'epoch 100' ('iteration 258'
    for lbfgs)."""
    summary, step = run.summary, step_name(run)
    last = summary.get("epochs", run.metrics[-1]["epoch"] if run.metrics else 0)
    status = summary.get("status")
    if status == "early_stopped" and summary.get("best_epoch") is not None:
        return f"{step} {summary['best_epoch']} (best; early stopped at {last})"
    stopped = summary.get("diverged_at") if status == "diverged" else summary.get("interrupted_at")
    if status == "diverged" and stopped:
        return f"{step} {last} (diverged in {step} {stopped.get('epoch', last + 1)})"
    if status == "interrupted" and stopped and stopped.get("batch"):
        return f"{step} {last} + {stopped['batch']} batches (interrupted)"
    return f"{step} {last}" + (f" ({status})" if status and status not in FINISHED else "")  # interrupted, failed


def plot_data(run) -> plots.PlotData:
    """The run's data in its own units: standardised inputs are drawn as they were in the file
    (X * std + mean), so axes read 4 … 7.5 cm, not −3 … 3; with data.features, the raw columns
    the features were computed from (the x0-x1 plane of [x0^2, x1^2]); `model_inputs` maps back."""
    d = run.dataset
    X_train, X_val = d.raw_parts
    names = d.raw_columns if d.features is not None else d.feature_names
    return plots.PlotData(
        X_train=X_train, y_train=d.y_train, X_val=X_val, y_val=d.y_val, task=d.task,
        class_names=[str(c) for c in d.classes], feature_names=list(names),
    )


def model_inputs(run, X):
    """Points X: (n, m) in the data's own units (as plot_data draws them) -> what the network
    takes: through data.features, standardised like the training data when the run was, in its dtype."""
    pre = Preprocessing.of(run.dataset)
    A = pre.columns(np.asarray(X, dtype=float)) if pre.features is not None else X
    return pre.standardize(A, run.model.network.dense[0].W.dtype)


def predict_scores(run) -> Callable:
    """X in the data's units -> (n, K) class scores in [0, 1], or (n, outputs) for a regression
    in the target's units (a standardised target's outputs × target_std + target_mean); in
    chunks of CACHED_ROWS rows (`in_chunks`)."""
    model, d = run.model, run.dataset
    if d.task == "regression":
        if d.target_mean is None:
            return in_chunks(lambda X: model.output(model_inputs(run, X)))
        return in_chunks(lambda X: model.output(model_inputs(run, X)) * d.target_std + d.target_mean)
    return in_chunks(lambda X: model.loss.scores(model.logits(model_inputs(run, X))))


def grid_scores(run) -> Callable:
    """`predict_scores` of a plane's grid of points, the regions a picture shades and the
    boundary it traces, by a float32 copy of a float64 network (made at the first call): NumPy's
    float64 tanh and exp take 14 and 6 ns a value on the 2-core VM against 3 and 2 in float32,
    and boundary.png's 200 x 200 grid took 18-32 ms of a 16-32-wide tanh net where float32 takes
    9-11 (2026-12-01). The scores differ by 1e-7 to 1e-5 (tanh, dropout, hinge, sigmoid with
    mse; the most for a 64-64 relu net whose logits reach 100), which changed 9 of a sweep's 13.7
    million boundary.png pixels, by at most 5 levels of 255: a shade's colour has 8 bits. Points
    keep their float64 classes and accuracies (`predict_scores`)."""
    network = run.model.network
    if network.dense[0].W.dtype == np.float32:
        return predict_scores(run)
    made: list[Callable] = []

    def scores(X):
        if not made:
            model = network_of(run.config, run.dataset, dtype=np.float32)
            model.network.set_params(network.params())  # cast into the float32 network's own θ
            made.append(predict_scores(replace(run, model=model)))
        return made[0](X)
    return scores


def in_chunks(f: Callable) -> Callable:
    """f, X (n, d) -> (n, k), applied CACHED_ROWS rows at a time: a network keeps the buffers and
    activations of the largest input it saw, and a sweep's boundaries.png holds 300 runs' networks
    at once (a 200 x 200 grid left ~4 MB in each, 1.1 GB of 1.3 in all)."""
    def chunked(X):
        if len(X) <= CACHED_ROWS:
            return f(X)
        return np.concatenate([f(X[i : i + CACHED_ROWS]) for i in range(0, len(X), CACHED_ROWS)])
    return chunked


def _layer_names(run) -> list[str]:
    c = run.config
    names = [f"hidden {i + 1} ({a})" for i, a in enumerate(c.model.activations)]
    loss = run.model.loss
    output = loss.output if c.model.output_activation == "auto" else c.model.output_activation
    return [*names, f"output ({output})"]


layer_names = _layer_names  # public for the watch page, which names its network's columns alike


def draw_loss(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    status = run.summary.get("status")
    best = run.summary.get("best_epoch") if status == "early_stopped" else None
    diverged = run.summary.get("diverged_at") if status == "diverged" else None
    return plots.plot_loss(run.metrics, path, title=title(run), best_epoch=best, diverged=diverged or None,
                           step=step_name(run), dpi=dpi)


def draw_boundary(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    return plots.plot_boundary(predict_scores(run), plot_data(run), path, title=title(run), dpi=dpi,
                               score_label=run.model.loss.score_label, accuracy=measured_accuracy(run),
                               grid_scores=grid_scores(run))


def measured_accuracy(run) -> dict[str, float] | None:
    """{split: accuracy} of model.npz's weights on all the training and validation points, as
    summary.json's final metrics measured them when the run ended, or None when model.npz may
    hold other weights than those (a run restored to its best epoch, diverged, interrupted): a
    picture of a million points then need not predict them all again to say it."""
    summary = run.summary
    final = summary.get("final", {})
    if summary.get("status") != "completed" or "train_accuracy" not in final:
        return None
    measured = {"train": final["train_accuracy"]}
    if "val_accuracy" in final:
        measured["validation"] = final["val_accuracy"]
    return measured


def draw_fit(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    return plots.plot_fit(predict_scores(run), plot_data(run), path, title=title(run), dpi=dpi)


def draw_neurons(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    """neurons.png: each hidden unit and the output over the plane; with data.features, first a
    row of the computed inputs (x0^2, sin(x1), ...) as the network takes them."""
    if run.dataset.features is not None:  # the same maps as network.png's nodes
        layer_maps, input_names = node_maps(run), list(run.dataset.feature_names)
    else:
        scores = predict_scores(run)
        layer_maps, input_names = (lambda X: [*run.model.hidden(model_inputs(run, X)), scores(X)]), None
    return plots.plot_neurons(layer_maps, plot_data(run), path, title=title(run), layer_names=_layer_names(run),
                              input_names=input_names, dpi=dpi)


def draw_network(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    """network.png: the weights of model.npz; with 2-D inputs every node is a map over the plane
    (the inputs as the network takes them, each hidden layer, the output's scores)."""
    return plots.plot_network([layer.W for layer in run.model.network.dense], plot_data(run), path, title=title(run),
                              layer_names=_layer_names(run), node_maps=node_maps(run),
                              input_names=list(run.dataset.feature_names), dpi=dpi)


def node_maps(run) -> Callable | None:
    """X (n, 2) in the data's units -> every node's value as network.png draws it: the inputs as
    the network takes them, each hidden layer's activations, the output's class scores (or ŷ);
    None when the inputs are not a plane."""
    if not _two_d(run.dataset):
        return None
    scores = predict_scores(run)
    return lambda X: [model_inputs(run, X), *run.model.hidden(model_inputs(run, X)), scores(X)]


def draw_hidden(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    d = run.dataset
    last = lambda X: run.model.hidden(X)[-1]
    return plots.plot_hidden(last(d.X_train), last(d.X_val), plot_data(run), path, title=title(run),
                             layer_name=_layer_names(run)[-2], dpi=dpi)


def draw_norms(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    return plots.plot_norms(read_metrics(run.path / "layers.csv"), path, title=title(run),
                            layer_names=_layer_names(run), dpi=dpi)


def draw_confusion(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    d = run.dataset
    has_val = d.X_val.shape[0] > 0
    X, y = (d.X_val, d.y_val) if has_val else (d.X_train, d.y_train)
    predicted = run.model.loss.decode(run.model.logits(X))
    return plots.plot_confusion(y, predicted, [str(c) for c in d.classes], path, title=title(run),
                                split="validation" if has_val else "training", dpi=dpi)


def draw_animation(run, path: Path, *, dpi: int, progress: Progress | None = None) -> Path:
    """A GIF from the run's checkpoints: one frame per checkpoint (all of them, oldest first)."""

    model, scores = run.model, predict_scores(run)
    # every checkpoint must fit the run's network; a damaged one is named before drawing starts
    checkpoints = [(epoch, load_matching_weights(p, model.network.params(), " of config.yaml and data.npz"))
                   for epoch, p in run.checkpoints()]
    final = {k: v.copy() for k, v in model.network.params().items()}

    def at(weights: dict, f: Callable) -> Callable:
        # frames are drawn one after another: load the frame's weights, then evaluate
        def evaluate(X):
            model.network.set_params(weights)
            return f(X)
        return evaluate

    hidden = (lambda X: model.hidden(model_inputs(run, X))[-1]) if run.config.model.hidden else None
    network = run.config.output.animation.network
    maps = node_maps(run) if network else None
    frames = [plots.AnimationFrame(epoch, at(weights, scores), None if hidden is None else at(weights, hidden),
                                   [weights[f"W{i}"] for i in range(len(model.network.dense))] if network else None,
                                   None if maps is None else at(weights, maps))
              for epoch, weights in checkpoints]
    total = len(frames)
    try:
        return plots.render_animation(
            frames, plot_data(run), run.metrics, path, title=title(run, weights=False), dpi=min(dpi, 80),
            progress=None if progress is None else (lambda i: progress(i + 1, total)),
            network_names=_layer_names(run) if network else None,
            network_inputs=list(run.dataset.feature_names) if network else None,
        )
    finally:
        model.network.set_params(final)


@dataclass(frozen=True)
class Picture:
    """A picture: when it applies to a run (`applies(dataset, config, run_path)`), how it is drawn."""

    draw: Callable[..., Path]
    applies: Callable[[Any, Any, Path | None], bool]
    doc: str


def _two_d(d) -> bool:
    """Two inputs that span a plane: two number columns (a one-hot input takes 0 or 1 only); with
    data.features, two raw number columns, whatever the features computed from them."""
    return len(d.raw_columns) == 2 and not d.has_text


PICTURES: dict[str, Picture] = {
    "loss": Picture(draw_loss, lambda d, c, p: True, "loss (and accuracy) per epoch"),
    "boundary": Picture(draw_boundary, lambda d, c, p: d.task == "classification" and _two_d(d),
                        "predicted class regions and the data (2 inputs)"),
    "fit": Picture(draw_fit, lambda d, c, p: d.task == "regression", "the fitted curve or surface (regression)"),
    "neurons": Picture(draw_neurons, lambda d, c, p: _two_d(d) and bool(c.model.hidden),
                       "every hidden unit's activation over the input plane (2 inputs)"),
    "network": Picture(draw_network, lambda d, c, p: True,
                       "the network: weights as edges, each unit's map over the input plane (2 inputs)"),
    "hidden": Picture(draw_hidden, lambda d, c, p: bool(c.model.hidden), "the data as the last hidden layer sees it"),
    "norms": Picture(draw_norms, lambda d, c, p: p is None or (p / "layers.csv").is_file(),
                     "weight and gradient norms per layer and epoch"),
    "confusion": Picture(draw_confusion, lambda d, c, p: d.task == "classification",
                         "the confusion matrix (classification)"),
    "animation": Picture(draw_animation,
                         lambda d, c, p: (c.output.animation.frames > 1 if p is None
                                          else len(list((p / "checkpoints").glob("epoch-*.npz"))) > 1),
                         "the boundary or fit, the hidden representation and the loss, through training"),
}


def applicable(dataset, config, run_path: Path | None = None) -> list[str]:
    """Every picture that fits this run (run_path None: judged from the config alone)."""
    return [name for name, picture in PICTURES.items() if picture.applies(dataset, config, run_path)]


def default_pictures(dataset, config) -> list[str]:
    """What `nnctl train` draws with `output.plots: auto`: the loss; the boundary (2-D
    classification) or the fit (regression); the confusion matrix where no boundary can be
    drawn; the network when it is drawn whole with its maps (2 inputs, hidden layers, none wider
    than plots.MAX_NODES_DRAWN: Playground's nets); the animation when output.animation asks for
    frames. `nnctl plot` draws them all."""
    names = ["loss"]
    if dataset.task == "regression":
        names.append("fit")
    elif _two_d(dataset):
        names.append("boundary")
    else:
        names.append("confusion")
    if _two_d(dataset) and config.model.hidden and max(config.model.hidden) <= plots.MAX_NODES_DRAWN:
        names.append("network")
    if config.output.animation.frames > 1:
        names.append("animation")
    return names
