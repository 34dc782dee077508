"""The public run object (layer 5): a trained run directory, ready to be used on new rows.

    from nnctl import load_run
    run = load_run("runs/iris")
    run.predict({"sepal_length": [5.1], "sepal_width": [3.5], "petal_length": [1.4], "petal_width": [0.2]})

It wraps what `runs.load_run` reads (config, summary, metrics, data, model) and applies the run's
`data.Preprocessing` to raw inputs, so predictions repeat the training's encodings and
standardisation. Above `pictures`, so it draws: `run.plot("boundary")` is a matplotlib figure
from `nnctl plot`'s own code, `run.animation()` the film of training, and in a notebook the run
shows itself (`_repr_html_`: nnctl.notebook).

The Python front door's `nnctl.train` is `train` here, not `training.train`: it returns this
object (which holds what TrainResult held: model, history, summary, dataset, config, run_dir), so
what a user holds after training can predict, draw and display itself, and the training loop
(layer 4) stays free of pictures and notebooks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from nnctl import notebook, plots, runs
from nnctl.assemble import encode_targets, trained_model
from nnctl.console import describe, live_progress
from nnctl.data import Preprocessing, Table
from nnctl.errors import NnctlError
from nnctl.files import may_replace, read_bytes, save_figure
from nnctl.nn.activations import row_sum
from nnctl.nn.layers import CACHED_ROWS
from nnctl.pictures import PICTURES, applicable, title
from nnctl.training import EpochCallback, TrainResult, evaluate, fit, prepare
from nnctl.vocabulary import PICTURE_FORMATS

Array = np.ndarray
# Rows per forward pass: Dense keeps its [X, 1] buffers for batches up to CACHED_ROWS rows, so
# chunks of that size allocate none, and their products are small enough for OpenBLAS to run on
# one thread: larger ones start its second thread, which on a busy 2-core machine made 1 000 000
# rows of a 2-16-16-2 net 3× slower in the median (chunks of 2 048-16 384 rows; benchmarks/README.md)
CHUNK_ROWS = CACHED_ROWS
PLOT_CREATOR = "nnctl run.plot"  # the pictures plot(path=) writes say so in their metadata (files.made_by)


class TrainedRun:
    """A run directory read back for use. `config` (nnctl.config.Config), `summary` (dict from
    summary.json), `history` (metrics rows, one dict per epoch), `model` (nnctl.nn Model with the
    chosen weights), `dataset` (the data as trained), `preprocessing`, `path`, `checkpoint`."""

    def __init__(self, run: runs.Run, model, checkpoint: int | None = None):
        self._run = run
        self.path, self.config, self.summary, self.dataset = run.path, run.config, run.summary, run.dataset
        self.history: list[dict[str, Any]] = run.metrics
        self.model = model
        self.checkpoint = checkpoint
        self.preprocessing = Preprocessing.of(run.dataset)
        self._html: str | None = None  # the weights never change: the page is drawn once

    @classmethod
    def of(cls, result: TrainResult) -> TrainedRun:
        """The run `training.fit` has just trained, as held in memory (`path` is its run
        directory, None when it wrote none)."""
        run = runs.Run(result.run_dir, result.config, result.history, result.summary, result.dataset, result.model)
        return cls(run, result.model)

    @property
    def run_dir(self) -> Path | None:
        """`path`, by the name TrainResult gave it."""
        return self.path

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def task(self) -> str:
        return self.dataset.task

    @property
    def classes(self) -> list:
        """The class labels as in the data, in the order of predict_proba's columns ([] for a regression)."""
        return list(self.dataset.classes)

    def __repr__(self) -> str:
        """Plain text, where no HTML is shown: what the run is, how it ended, its final metrics,
        and how to load it again ('in memory' when it has no run directory)."""
        at = "" if self.checkpoint is None else f", checkpoint={self.checkpoint}"
        s = self.summary
        ended = f"{s.get('status', '?')} after {s.get('epochs', '?')} epochs"
        final = f"final: {describe(s['final'])}" if s.get("final", {}).get("train_loss") is not None else ""
        where = f"load_run({str(self.path)!r}{at})" if self.path is not None else "in memory (no run directory)"
        return "\n".join(part for part in (title(self._picture_run(), weights=False), ended, final, where) if part)

    def _repr_html_(self) -> str:
        """The run in a notebook cell: name, network, status, final metrics, its boundary (or fit)
        and loss pictures (nnctl.notebook.run_html)."""
        if self._html is None:
            self._html = notebook.run_html(self, self._picture_run())
        return self._html

    def picture_names(self) -> list[str]:
        """The pictures `plot` draws for this run: those `nnctl plot` would (pictures.applicable),
        but the animation (`animation()`), and norms only with a run directory's layers.csv."""
        return [n for n in applicable(self.dataset, self.config, self.path)
                if n != "animation" and (n != "norms" or self.path is not None)]

    def plot(self, name: str, *, epoch: int | None = None, path: str | Path | None = None, dpi: int | None = None,
             overwrite: bool = False):
        """The picture `name` as a matplotlib Figure, drawn by `nnctl plot`'s code (one of
        `picture_names()`: loss, boundary, fit, neurons, network, hidden, norms, confusion).
        epoch: the weights of checkpoints/epoch-N.npz, titled 'epoch N', the metrics up to it.
        path: also written there, in the format its suffix names (.png, .svg, .pdf); without
        it, nothing is written; a file already there is replaced only when an earlier plot(path=)
        wrote it (its metadata says so), or with `overwrite`. dpi: of the saved file (default:
        `nnctl plot`'s)."""
        dpi = dpi or plots.DPI  # looked up here: nnctl.plots loads its drawing modules on first use
        names = self.picture_names()
        if name not in names:
            if name == "animation":
                raise NnctlError("plot('animation'): the animation is a film, not a figure (use run.animation())")
            known = [n for n in PICTURES if n != "animation"]
            what = (f"unknown picture (choose from: {', '.join(known)})" if name not in known else
                    f"no such picture for this run ({PICTURES[name].doc}; this run has: {', '.join(names)})")
            raise NnctlError(f"plot({name!r}): {what}")
        if path is not None and Path(path).suffix.lower() not in PICTURE_FORMATS:
            raise NnctlError(f"path={str(path)!r}: unknown picture format (use one of {', '.join(PICTURE_FORMATS)})")
        if path is not None and not overwrite and not may_replace(path, PLOT_CREATOR):
            raise NnctlError(f"path={str(path)!r}: exists and run.plot did not write it; pass overwrite=True "
                             "to replace it, or choose another path")
        figure = PICTURES[name].draw(self._picture_run(epoch), None, dpi=dpi)
        if path is not None:
            save_figure(figure, Path(path), dpi=dpi, creator=PLOT_CREATOR)
        notebook.figures_inline()
        return figure

    def animation(self, *, video: bool = False, dpi: int = 80):
        """Training as a film, for a notebook cell: the run's animation.gif, or one drawn from its
        checkpoints when it has none (no file is left behind), as IPython's Image; with `video`, an
        HTML5 video (ffmpeg must be on PATH). Without IPython, the GIF's bytes."""
        if video:
            notebook.find_ffmpeg()
        return notebook.show_gif(self.animation_gif(dpi=dpi), video=video)

    def animation_gif(self, *, dpi: int = 80) -> bytes:
        """The GIF of `animation`: animation.gif as written, else drawn from the checkpoints."""
        if self.path is None:
            raise NnctlError(f"{self.name}: no animation: it is drawn from checkpoints, and this run was trained "
                             "without a run directory (train it with run_dir=... and train.checkpoint_every)")
        saved = self.path / "animation.gif"
        if saved.is_file():
            return read_bytes(saved, limit=notebook.MAX_PICTURE_BYTES, what="picture")
        if len(self._run.checkpoints()) < 2:
            raise NnctlError(f"{self.path}: no animation: it is drawn from checkpoints, and this run saved "
                             f"{len(self._run.checkpoints())} (train with train.checkpoint_every, or "
                             "output.animation.frames)")
        with tempfile.TemporaryDirectory(prefix="nnctl-animation-") as folder:
            gif = PICTURES["animation"].draw(self._picture_run(), Path(folder) / "animation.gif", dpi=dpi)
            return gif.read_bytes()

    def _picture_run(self, epoch: int | None = None) -> runs.Run:
        """The runs.Run the pictures draw: this run's weights as held, or with `epoch` (or when
        loaded at a checkpoint) those of checkpoints/epoch-N.npz, with the metrics up to that
        epoch and a summary that says it (pictures.title: 'epoch N')."""
        epoch = self.checkpoint if epoch is None else epoch
        if epoch is None:
            return runs.Run(self.path, self.config, self.history, self.summary, self.dataset, self.model)
        model = self.model if epoch == self.checkpoint else checkpoint_model(self._run, epoch, f"epoch={epoch}")
        metrics = [row for row in self.history if row["epoch"] <= epoch]
        return runs.Run(self.path, self.config, metrics, {"epochs": epoch}, self.dataset, model)

    def outputs(self, X, where: str = "X") -> Array:
        """Raw inputs (a 2-D array in training column order, a dict of columns by name, a pandas
        DataFrame, a data.Table) -> what the loss sees (n, width)."""
        return self._chunked(self.preprocessing.columns(X, where), self.model.logits, self.model.network.sizes[-1])

    def predict(self, X, where: str = "X") -> Array:
        """Raw inputs -> (n,) class labels as in the data (strings stay strings), or regression
        values in the target's units ((n,), or (n, k) for k targets)."""
        return self._decode(self._predicted(self.preprocessing.columns(X, where)))

    def predict_proba(self, X, where: str = "X") -> Array:
        """Raw inputs -> (n, K) class probabilities, rows summing to 1, columns in `classes` order."""
        if self.task != "classification":
            raise NnctlError(f"{self.path}: a regression run has no class probabilities (use predict)")
        return self._proba(self.preprocessing.columns(X, where))

    def evaluate(self, X=None, y=None, where: str = "X", target: str = "y") -> dict[str, Any]:
        """Scores on raw inputs X with targets y as in the data (labels or values), or, without
        X, on the run's own validation split: rows, loss (as val_loss: with the L2 penalty),
        then accuracy, per-class precision/recall/F1/support and the confusion matrix (rows the
        true class), or mse, mae and r2 (mean over targets) in the target's units."""
        return self.scores(*self.evaluation_data(X, y, where, target))

    def evaluation_data(self, X=None, y=None, where: str = "X", target: str = "y") -> tuple[Array, Array, bool]:
        """(A (n, d), targets, standardized) to evaluate on: the validation split as trained
        (standardized), or X's raw columns with y as class indices (n,) or values (n, k)."""
        if X is None:
            if not len(self.dataset.X_val):
                raise NnctlError(f"{self.path}: has no validation split (data.validation_fraction was 0); "
                                 "give data to evaluate on")
            return self.dataset.X_val, self.dataset.y_val, True
        A = self.preprocessing.columns(X, where)
        return A, self.preprocessing.encode_target(y, target, where, getattr(X, "lines", None)), False

    def target_column(self, table: Table) -> str:
        """The column of `table` holding the targets: the run's data.target, else (as training
        took it) the last column that is not a feature."""
        name = self.config.data.params.get("target")
        if name is None:
            others = [c for c in table.header if c not in self.preprocessing.raw_columns]
            if not others:
                raise NnctlError(f"{table.where}: has no target column, only the run's features (add the "
                                 "targets as a last column)")
            return others[-1]
        if name not in table.columns:
            raise NnctlError(f"{table.where}: no column {name!r}, the run's target (add it to evaluate)")
        return name

    def scores(self, A: Array, y: Array, standardized: bool = False) -> dict[str, Any]:
        """Scores of the network on inputs A (n, d), raw or `standardized`, against class indices
        (n,) or regression targets (n, k)."""
        network_inputs = A if standardized else self.preprocessing.standardize(A, self.model.network.dense[0].W.dtype)
        loss, accuracy = evaluate(self.model, network_inputs, encode_targets(self.model, self.dataset, y),
                                  y if self.task == "classification" else None, self.dataset.target_std)
        predicted = self._predicted(A, standardized=standardized)
        scores = {"rows": len(A), "loss": loss}
        if self.task == "classification":
            return {**scores, "accuracy": accuracy, **class_scores(y, predicted, self.classes)}
        values = self.preprocessing.decode_values(predicted).reshape(len(A), -1)  # the target's units
        return {**scores, **regression_scores(y, values)}

    def _predicted(self, A: Array, *, standardized: bool = False) -> Array:
        """Class indices (n,) or regression outputs (n, k) for inputs A (n, d)."""
        if self.task == "classification":
            decode = lambda A: self.model.loss.decode(self.model.logits(A))[:, None]  # noqa: E731
            return self._chunked(A, decode, 1, np.int64, standardized=standardized)[:, 0]
        return self._chunked(A, self.model.output, self.model.network.sizes[-1], standardized=standardized)

    def _proba(self, A: Array) -> Array:
        """(n, K) class probabilities for raw inputs A (n, d)."""
        proba = lambda A: probabilities(self.model.loss.scores(self.model.logits(A)))  # noqa: E731
        return self._chunked(A, proba, len(self.classes))

    def _decode(self, predicted: Array) -> Array:
        if self.task == "classification":
            return self.preprocessing.decode_classes(predicted)
        return self.preprocessing.decode_values(predicted)

    def _chunked(self, A: Array, f, width: int, dtype=None, *, standardized: bool = False) -> Array:
        """f applied to the network's inputs for A (n, d) (raw columns, or already `standardized`),
        CHUNK_ROWS rows at a time, into one (n, width) array: memory beyond the input and the
        result stays that of one chunk."""
        inputs = self.model.network.dense[0].W.dtype
        out = np.empty((len(A), width), dtype=dtype or inputs)
        for start in range(0, len(A), CHUNK_ROWS):
            chunk = A[start:start + CHUNK_ROWS]
            out[start:start + CHUNK_ROWS] = f(chunk if standardized else self.preprocessing.standardize(chunk, inputs))
        return out


def class_scores(y: Array, predicted: Array, classes: list) -> dict[str, Any]:
    """True and predicted class indices (n,) -> the confusion matrix (K, K) (rows: true class)
    and per class precision, recall, F1 (0 where undefined, as scikit-learn's zero_division=0)
    and support."""
    K = len(classes)
    confusion = np.bincount(y * K + predicted, minlength=K * K).reshape(K, K)
    hits, support, guessed = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(guessed > 0, hits / guessed, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    per_class = [{"class": label, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for label, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)]
    return {"classes": list(classes), "per_class": per_class, "confusion": confusion.tolist()}


def regression_scores(Y: Array, P: Array) -> dict[str, Any]:
    """Targets and predictions (n, k) -> mse and mae over every value; r2 the mean over the k
    targets of 1 - SS_res / SS_tot (None where a target is constant)."""
    residual = P - Y
    total = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    r2 = None if (total == 0).any() else float(np.mean(1.0 - (residual ** 2).sum(axis=0) / total))
    return {"mse": float(np.mean(residual ** 2)), "mae": float(np.mean(np.abs(residual))), "r2": r2}


def probabilities(scores: Array) -> Array:
    """(n, K) class confidences in [0, 1] (the loss's `scores`) -> rows that sum to 1; a row of
    zeros (an mse output clipped everywhere) becomes uniform."""
    total = row_sum(scores)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.divide(scores, total)
    unscored = ~(total[:, 0] > 0)
    if unscored.any():
        P[unscored] = 1.0 / scores.shape[1]
    return P


def load_run(path: str | Path, checkpoint: int | None = None) -> TrainedRun:
    """The run directory `path`, with model.npz's weights (the kept ones after an early stop or a
    divergence) or those of checkpoints/epoch-NNNN.npz for `checkpoint=N`. Weights that are not
    finite numbers are refused, naming the file."""
    run = runs.load_run(Path(path))
    if checkpoint is None:
        return TrainedRun(run, run.model)
    return TrainedRun(run, checkpoint_model(run, checkpoint, f"--checkpoint {checkpoint}"), checkpoint)


def checkpoint_model(run: runs.Run, epoch: int, option: str):
    """The run's network with the weights of checkpoints/epoch-N.npz; `option` names what asked
    for them in the message when there is no such checkpoint."""
    if run.path is None:
        raise NnctlError(f"{option}: this run was trained without a run directory, so it kept no checkpoints "
                         "(train it with run_dir=... and train.checkpoint_every)")
    saved = dict(run.checkpoints())
    if epoch not in saved:
        have = f"saved: {', '.join(map(str, saved))}" if saved else "it saved none: train.checkpoint_every was 0"
        raise NnctlError(f"{option}: {run.path} has no checkpoint of epoch {epoch} ({have})")
    return trained_model(run.config, run.dataset, saved[epoch], source=" of config.yaml and data.npz")


def train(config, run_dir: Path | str | None = None, *, quiet: bool = False,
          on_epoch: EpochCallback | None = None, overwrite: bool = False) -> TrainedRun:
    """`nnctl.train`: train the network a config describes (a Config, a dict, or a YAML file),
    showing progress where the call is (a bar redrawn in place in a Jupyter cell, rich's bar on
    a terminal, a line every tenth elsewhere; nothing with `quiet`), and return the run as users
    hold it. Writes a run directory only when `run_dir` is given, one that is new or empty, or
    with `overwrite` an earlier run's (`runs.claim_run_dir`, as `nnctl train --run-dir`: a folder
    of the user's is never written into); `on_epoch` is called with every metrics row too."""
    loop = prepare(config)
    if run_dir is not None:
        run_dir = runs.claim_run_dir(Path(run_dir), overwrite=overwrite)
    with live_progress(loop.config.train.epochs, quiet=quiet) as progress:
        def report(row: dict[str, Any]) -> None:
            progress(row)
            if on_epoch is not None:
                on_epoch(row)

        return TrainedRun.of(fit(loop, run_dir, on_epoch=report))


def prediction_columns(run: TrainedRun, table: Table, *, proba: bool = False) -> dict[str, Array]:
    """The table's columns (passed through as they are) plus its `predicted_columns`."""
    return {**table.columns, **predicted_columns(run, table, proba=proba)}


def predicted_columns(run: TrainedRun, table: Table, *, proba: bool = False) -> dict[str, Array]:
    """What `nnctl predict` adds to the table's rows: `prediction` (one column per target,
    prediction_j, for a regression of k > 1 targets) and, with `proba`, p_<class> for every
    class. A column of the table with one of these names is refused."""
    if proba and run.task != "classification":
        raise NnctlError("--proba: a regression run has no class probabilities (leave --proba out)")
    A = run.preprocessing.columns(table, table.where)  # the cells read once, for labels and probabilities
    predicted = run._decode(run._predicted(A))
    added = {"prediction": predicted} if predicted.ndim == 1 else {
        f"prediction_{j}": predicted[:, j] for j in range(predicted.shape[1])}
    if proba:
        P = run._proba(A)
        added.update({f"p_{label}": P[:, k] for k, label in enumerate(run.classes)})
    taken = [name for name in added if name in table.columns]
    if taken:
        raise NnctlError(f"{table.where}: already has a column {taken[0]!r}, which the predictions would take "
                         "(rename or remove it)")
    return added


def predictions_csv(table: Table, added: dict[str, Array]) -> str:
    """The table's rows with the `added` columns, as CSV text: appended to each line as written
    when the reader kept them (a plain file: its cells pass through byte for byte, with no cost
    of writing numbers back), else every cell written anew (`columns_csv`)."""
    cells = [c.tolist() for c in added.values()]
    if table.text is None or not all(map(_unquoted, added.values(), cells)):
        return columns_csv({**table.columns, **added})
    texts = [column if kind == "U" else list(map(str, column))  # str of a float: its shortest exact digits
             for column, kind in zip(cells, (c.dtype.kind for c in added.values()), strict=True)]
    extra = [",".join(added), *map(",".join, zip(*texts, strict=True))]
    return "".join(f"{line},{cells}\n" for line, cells in zip(table.text, extra, strict=True))


def columns_csv(columns: dict[str, Array]) -> str:
    """Columns (each (n,)) as CSV text with a header; floats keep every digit (repr)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    cells = [c.tolist() for c in columns.values()]  # Python floats: repr gives the shortest exact text
    if len(cells) < 2 or not all(map(_unquoted, columns.values(), cells)):
        writer.writerows(zip(*cells, strict=True))
        return out.getvalue()
    # what csv.writer would write, in about half its time: str() of every cell, as it takes them, and one join
    texts = [column if kind == "U" else list(map(str, column))
             for column, kind in zip(cells, (c.dtype.kind for c in columns.values()), strict=True)]
    rows = "\n".join(map(",".join, zip(*texts, strict=True)))
    return out.getvalue() + rows + "\n" * bool(rows)


def _unquoted(column: Array, cells: list) -> bool:
    """Whether csv.writer writes each cell of `column` (its `cells` as Python objects) as str()
    gives it: numbers, and text without a delimiter, quote or line end."""
    if column.dtype.kind in "biuf":
        return True
    if column.dtype.kind != "U":
        return False
    text = "".join(cells)
    return not any(c in text for c in ',"\r\n')


def draw_evaluation(run: TrainedRun, data: tuple[Array, Array, bool], label: str, folder: Path, *,
                    dpi: int = 110) -> list[Path]:
    """confusion.png (classification) or fit.png (regression) of the evaluated `data` (as
    `evaluation_data` gives it) in `folder`. fit.png draws the training data as `train` and the
    evaluated rows as `validation` (the pictures know these two splits)."""
    A, y, standardized = data
    label = Path(label).name  # a file by its name: the title stays one line
    title = f"{run.path.name}: {label}"
    if run.task == "classification":
        predicted = run._predicted(A, standardized=standardized)
        names = [str(c) for c in run.classes]
        return [plots.plot_confusion(y, predicted, names, folder / "confusion.png", title=title, split=label, dpi=dpi)]
    pre, d = run.preprocessing, run.dataset
    unstandardize = (lambda X: X) if pre.mean is None else (lambda X: X * pre.std + pre.mean)  # noqa: E731
    predict = lambda X: run.preprocessing.decode_values(  # noqa: E731  X and the values in the data's units
        run._predicted(np.asarray(X, dtype=float))).reshape(len(X), -1)
    shown = plots.PlotData(unstandardize(d.X_train), d.y_train, unstandardize(A) if standardized else A, y,
                           "regression", feature_names=list(d.feature_names))
    return [plots.plot_fit(predict, shown, folder / "fit.png", title=title, dpi=dpi)]
