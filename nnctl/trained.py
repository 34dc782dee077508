"""The public run object (layer 5): a trained run directory, ready to be used on new rows.

    from nnctl import load_run
    run = load_run("runs/iris")
    run.predict({"sepal_length": [5.1], "sepal_width": [3.5], "petal_length": [1.4], "petal_width": [0.2]})

It wraps what `runs.load_run` reads (config, summary, metrics, data, model) and applies the run's
`data.Preprocessing` to raw inputs, so predictions repeat the training's encodings and
standardisation. Above `pictures`, so that it may later draw (`run.plot(...)`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from nnctl import runs
from nnctl.assemble import trained_model
from nnctl.data import Preprocessing, Table
from nnctl.errors import NnctlError

Array = np.ndarray
CHUNK_ROWS = 16_384  # rows per forward pass: a 2-16-16-2 net's activations stay about 2 MB a layer


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

    @property
    def task(self) -> str:
        return self.dataset.task

    @property
    def classes(self) -> list:
        """The class labels as in the data, in the order of predict_proba's columns ([] for a regression)."""
        return list(self.dataset.classes)

    def __repr__(self) -> str:
        at = "" if self.checkpoint is None else f", checkpoint={self.checkpoint}"
        return f"load_run({str(self.path)!r}{at})"

    def outputs(self, X, where: str = "X") -> Array:
        """Raw inputs (a 2-D array in training column order, a dict of columns by name, a pandas
        DataFrame, a data.Table) -> what the loss sees (n, width)."""
        return self._chunked(X, where, self.model.logits, self.model.network.sizes[-1])

    def predict(self, X, where: str = "X") -> Array:
        """Raw inputs -> (n,) class labels as in the data (strings stay strings), or regression
        values in the target's units ((n,), or (n, k) for k targets)."""
        if self.task == "classification":
            decode = lambda A: self.model.loss.decode(self.model.logits(A))[:, None]  # noqa: E731
            indices = self._chunked(X, where, decode, 1, np.int64)[:, 0]
            return self.preprocessing.decode_classes(indices)
        return self.preprocessing.decode_values(self._chunked(X, where, self.model.output,
                                                              self.model.network.sizes[-1]))

    def predict_proba(self, X, where: str = "X") -> Array:
        """Raw inputs -> (n, K) class probabilities, rows summing to 1, columns in `classes` order."""
        if self.task != "classification":
            raise NnctlError(f"{self.path}: a regression run has no class probabilities (use predict)")
        proba = lambda A: probabilities(self.model.loss.scores(self.model.logits(A)))  # noqa: E731
        return self._chunked(X, where, proba, len(self.classes))

    def _chunked(self, X, where: str, f, width: int, dtype=None) -> Array:
        """f applied to the network's inputs for X, CHUNK_ROWS rows at a time, into one (n, width)
        array: memory beyond the input and the result stays that of one chunk."""
        A = self.preprocessing.columns(X, where)
        inputs = self.model.network.dense[0].W.dtype
        out = np.empty((len(A), width), dtype=dtype or inputs)
        for start in range(0, len(A), CHUNK_ROWS):
            out[start:start + CHUNK_ROWS] = f(self.preprocessing.standardize(A[start:start + CHUNK_ROWS], inputs))
        return out


def probabilities(scores: Array) -> Array:
    """(n, K) class confidences in [0, 1] (the loss's `scores`) -> rows that sum to 1; a row of
    zeros (an mse output clipped everywhere) becomes uniform."""
    total = scores.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.where(total > 0, scores / total, 1.0 / scores.shape[1])
    return P


def load_run(path: str | Path, checkpoint: int | None = None) -> TrainedRun:
    """The run directory `path`, with model.npz's weights (the kept ones after an early stop or a
    divergence) or those of checkpoints/epoch-NNNN.npz for `checkpoint=N`. Weights that are not
    finite numbers are refused, naming the file."""
    run = runs.load_run(Path(path))
    if checkpoint is None:
        return TrainedRun(run, run.model)
    saved = dict(run.checkpoints())
    if checkpoint not in saved:
        have = f"saved: {', '.join(map(str, saved))}" if saved else "it saved none: train.checkpoint_every was 0"
        raise NnctlError(f"--checkpoint {checkpoint}: {run.path} has no checkpoint of epoch {checkpoint} ({have})")
    model = trained_model(run.config, run.dataset, saved[checkpoint], source=" of config.yaml and data.npz")
    return TrainedRun(run, model, checkpoint)


def prediction_columns(run: TrainedRun, table: Table, *, proba: bool = False) -> dict[str, Array]:
    """The table's columns (passed through as they are) plus `prediction` (one column per
    target, prediction_j, for a regression of k > 1 targets) and, with `proba`, p_<class> for
    every class. A column of the table with one of these names is refused."""
    if proba and run.task != "classification":
        raise NnctlError("--proba: a regression run has no class probabilities (leave --proba out)")
    predicted = run.predict(table, table.where)
    added = {"prediction": predicted} if predicted.ndim == 1 else {
        f"prediction_{j}": predicted[:, j] for j in range(predicted.shape[1])}
    if proba:
        P = run.predict_proba(table, table.where)
        added.update({f"p_{label}": P[:, k] for k, label in enumerate(run.classes)})
    taken = [name for name in added if name in table.columns]
    if taken:
        raise NnctlError(f"{table.where}: already has a column {taken[0]!r}, which the predictions would take "
                         "(rename or remove it)")
    return {**table.columns, **added}


def columns_csv(columns: dict[str, Array]) -> str:
    """Columns (each (n,)) as CSV text with a header; floats keep every digit (repr)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    cells = [c.tolist() for c in columns.values()]  # Python floats: repr gives the shortest exact text
    writer.writerows(zip(*cells, strict=True))
    return out.getvalue()
