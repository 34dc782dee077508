"""`nnctl move-data`: seed 002's last experiment, move the data, not the weights (layer 5).

With a trained run's weights fixed, gradient descent on the raw inputs of its training points:

    x_i ← x_i − η · ∂l_i/∂x_i

where l_i is the loss of point i alone (a batch of one, as the seed's `optimize_data` takes it),
so η means the same whether every point steps at once (full batch, the default) or one random
point per step (`per_sample`, the seed's way). The objective of the full batch is L(X) = Σ l_i,
n × the mean loss the network reports (its L2 penalty does not depend on X).

∂l/∂x comes from the network's backward (gradcheck checks it: nnctl/gradcheck.py) and goes back
through the run's preprocessing to the data's own units (`raw_gradient`, the one place that
knows the map), so the points move in the plane the user sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnctl import plots
from nnctl.assemble import encode_targets
from nnctl.data import Preprocessing
from nnctl.errors import NnctlError
from nnctl.files import out_folder, save_npz
from nnctl.pictures import plot_data, predict_scores, title
from nnctl.runs import MOVED_FILES, frame_epochs, load_run

Array = np.ndarray
DEFAULT_STEPS = 1000
DEFAULT_LR = 0.05  # seed 002's η for optimize_data
MAX_FRAMES = 40  # of moved.gif, log-spaced over the steps as a run's checkpoints are


@dataclass(frozen=True)
class Moved:
    """The result of `move_points`. X_start, X_end: (n, d) in the data's units; y: (n,) class
    indices; steps taken; objective: Σ l_i before each check (one per step in full batch, one per
    pass of n steps and at the end with per_sample); frames: (F, n, d) the points at frame_steps
    (F,); correct_before, correct_after: (n,) bool, the model's verdict on each point."""

    X_start: Array
    X_end: Array
    y: Array
    steps: int
    objective: Array
    frames: Array
    frame_steps: Array
    correct_before: Array
    correct_after: Array
    rose: bool = False  # the descent stopped where Σ l_i rose (a step too large), at the last check before

    @property
    def changed_class(self) -> int:
        return int((self.correct_before != self.correct_after).sum())


RISE_TOLERANCE = 1e-9  # Σ l_i may grow by rounding alone; more than this relative rise stops the descent


def network_inputs(preprocessing: Preprocessing, X_raw: Array, dtype) -> Array:
    """X_raw (n, m) number columns in the data's units -> the network's inputs (n, d) in `dtype`:
    the run's features computed (data.features) and standardised, as in training."""
    return preprocessing.encode(np.asarray(X_raw, dtype=float), dtype)


def raw_gradient(preprocessing: Preprocessing, X_raw: Array, grad_inputs: Array) -> Array:
    """∂L/∂(network inputs) (n, d) -> ∂L/∂X_raw (n, m), the data's own units: back through the
    standardisation and the feature map (`Preprocessing.raw_gradient`)."""
    return preprocessing.raw_gradient(np.asarray(X_raw, dtype=float), grad_inputs)


def point_gradients(model, preprocessing: Preprocessing, X_raw: Array, T: Array) -> tuple[float, Array, Array]:
    """(Σ l_i, ∂(Σ l_i)/∂X_raw (n, d), predicted classes (n,)) at the points X_raw: (n, d)."""
    A = network_inputs(preprocessing, X_raw, model.network.dense[0].W.dtype)
    out = model.network.forward(A)
    predicted = model.loss.decode(out)
    value, dOut = model.loss.value_and_grad(out, T)
    n = len(A)  # the loss is a mean over the batch: × n gives each point its own loss's gradient
    dA = np.array(model.network.backward(dOut), dtype=float) * n
    return float(value) * n, raw_gradient(preprocessing, X_raw, dA), predicted


def move_points(model, preprocessing: Preprocessing, X: Array, y: Array, T: Array, *, steps: int, lr: float,
                until_correct: bool = False, per_sample: bool = False, rng: np.random.Generator | None = None) -> Moved:
    """Descend Σ l_i in X: (n, d) raw points, of class indices y: (n,) and loss targets T, for
    `steps` steps of size `lr`; with `until_correct`, stop once every point is classified
    correctly (checked before each step, or after each pass of n steps with `per_sample`)."""
    X = np.array(X, dtype=float)
    marks = set(frame_epochs(steps, MAX_FRAMES))
    frames, frame_steps, objective = [X.copy()], [0], []
    value, _, predicted = point_gradients(model, preprocessing, X, T)
    before = predicted == y
    step = 0
    check_every = len(X) if per_sample else 1
    rng = rng if rng is not None else np.random.default_rng(0)
    checked, checked_step, rose = X.copy(), 0, False
    while True:
        if step % check_every == 0 or step == steps:
            with np.errstate(over="ignore", invalid="ignore"):  # a step too large: refused below, in words
                value, gradient, predicted = point_gradients(model, preprocessing, X, T)
            if objective and not value <= objective[-1] * (1 + RISE_TOLERANCE):  # also NaN: back to the last check
                X, rose, step = checked, True, checked_step
                value, gradient, predicted = point_gradients(model, preprocessing, X, T)
                break
            objective.append(value)
            checked, checked_step = X.copy(), step
            if step == steps or (until_correct and (predicted == y).all()):
                break
        if per_sample:  # the seed's optimize_data: one random point per step
            i = int(rng.integers(len(X)))
            X[i] -= lr * point_gradients(model, preprocessing, X[i:i + 1], T[i:i + 1])[1][0]
        else:
            X -= lr * gradient
        step += 1
        if step in marks:
            frames.append(X.copy())
            frame_steps.append(step)
    while frame_steps[-1] > step:  # frames past a rise are not where the points stay
        frames.pop()
        frame_steps.pop()
    if frame_steps[-1] != step:
        frames.append(X.copy())
        frame_steps.append(step)
    return Moved(np.array(frames[0]), X, np.asarray(y), step, np.array(objective), np.array(frames),
                 np.array(frame_steps), before, predicted == y, rose)


def check_options(steps: int, lr: float) -> None:
    if steps < 1:
        raise NnctlError(f"--steps: must be ≥ 1, got {steps}")
    if not (np.isfinite(lr) and lr > 0):
        raise NnctlError(f"--lr: must be a number > 0, got {lr:g} (seed 002 takes 0.05)")


def movable(run) -> None:
    """Refuse a run whose points cannot move: a regression (no class to reach) or text
    columns (a category cannot move by a gradient), in one line naming the fix."""
    if run.dataset.task != "classification":
        raise NnctlError(f"{run.path}: a regression run; move-data moves points toward their class (a "
                         "classification run)")
    if run.dataset.has_text:
        text = ", ".join(Preprocessing.of(run.dataset).text_columns)
        raise NnctlError(f"{run.path}: has text columns ({text}); move-data moves number inputs only")


def move_run(run_dir: Path | str, *, steps: int = DEFAULT_STEPS, lr: float = DEFAULT_LR, until_correct: bool = False,
             per_sample: bool = False, out: Path | None = None, overwrite: bool = False, dpi: int = 110,
             progress: Callable[[int, int], None] | None = None) -> tuple[Moved, list[Path]]:
    """`nnctl move-data`: move the run's training points (see the module's docstring), then
    write moved.npz, and for 2 inputs moved.png and moved.gif, in the run directory (replacing
    its own) or in `out` (where a file of the same name is replaced only with `overwrite`)."""
    check_options(steps, lr)
    run = load_run(Path(run_dir), dtype=np.float64)
    movable(run)
    folder = out_folder(run.path if out is None else out)
    if not overwrite and folder.resolve() != run.path.resolve():
        taken = [name for name in MOVED_FILES if (folder / name).exists() or (folder / name).is_symlink()]
        if taken:  # before any is written: all or nothing
            raise NnctlError(f"--out {folder}: {taken[0]} exists (pass --overwrite to replace it)")
    d, preprocessing = run.dataset, Preprocessing.of(run.dataset)
    X_raw = plot_data(run).X_train  # in the data's units: the plane the user sees
    T = encode_targets(run.model, d, d.y_train)
    with np.errstate(over="ignore", invalid="ignore"):
        moved = move_points(run.model, preprocessing, X_raw, d.y_train, T, steps=steps, lr=lr,
                            until_correct=until_correct, per_sample=per_sample,
                            rng=np.random.default_rng(run.config.seed))
    paths = [save_npz(folder / "moved.npz", {
        "X_start": moved.X_start, "X_end": moved.X_end, "y": moved.y, "objective": moved.objective,
        "frames": moved.frames, "frame_steps": moved.frame_steps, "correct_before": moved.correct_before,
        "correct_after": moved.correct_after, "steps": np.array(moved.steps), "lr": np.array(lr),
        "per_sample": np.array(per_sample)})]
    if d.n_features == 2:
        name = title(run)
        mode = "one point per step" if per_sample else "every point each step"
        caption = f"{name} · moved the data, not the weights: {moved.steps} steps of lr {lr:g} ({mode})"
        scores, data = predict_scores(run), plot_data(run)
        paths.append(plots.plot_moved(scores, data, moved.X_start, moved.X_end, folder / "moved.png", title=caption,
                                      dpi=dpi, score_label=run.model.loss.score_label))
        paths.append(plots.render_moving_points(scores, data, moved.frames, moved.frame_steps, folder / "moved.gif",
                                                title=f"{name} · moving the data",
                                                progress=None if progress is None else (
                                                    lambda i: progress(i + 1, len(moved.frames)))))
    return moved, paths


def summary_line(moved: Moved, lr: float) -> str:
    """What the command prints: the steps, how many points changed class and which way, how
    many are right now, the objective before and after."""
    n = len(moved.y)
    fixed = int((~moved.correct_before & moved.correct_after).sum())
    broken = int((moved.correct_before & ~moved.correct_after).sum())
    steps = f"{moved.steps} step{'' if moved.steps == 1 else 's'}"
    return (f"moved {n} training points for {steps} of lr {lr:g}: {moved.changed_class} changed class "
            f"({fixed} wrong → right, {broken} right → wrong); {int(moved.correct_after.sum())} of {n} now "
            f"classified correctly (before: {int(moved.correct_before.sum())}); Σ loss {moved.objective[0]:.4g} → "
            f"{moved.objective[-1]:.4g}" + (f"; stopped at step {moved.steps}, where the next steps raised Σ loss "
                                              "(a smaller --lr goes on down)" if moved.rose else ""))
