"""scikit-learn estimators over nnctl's training (layer 5): `NNClassifier` and `NNRegressor`.

    from nnctl.sklearn import NNClassifier
    from sklearn.model_selection import GridSearchCV
    search = GridSearchCV(NNClassifier(epochs=50), {"hidden": [(8,), (16, 16)], "lr": [0.03, 0.1]}, n_jobs=2)
    search.fit(X, y)                        # X: (n, d) numbers and text, y: (n,) labels (strings stay strings)
    search.best_estimator_.save("runs/best")  # a run directory: nnctl plot, nnctl predict, load_run

X is what `nnctl train` reads from a CSV, as an array (n, d) or a pandas DataFrame (pandas is
never imported): number columns and text columns, one-hot encoded with the training part's
sorted categories ("color=red"), kept in the run as `nnctl train` keeps them. A float array
takes the fast path and never pays for text.

The constructor's parameters are the YAML settings (`PARAMETERS` maps each to its dotted key),
stored as given; `fit` builds a Config from them, so the defaults, the validation and the error
messages are nnctl's (an `EstimatorError`: both an NnctlError and the ValueError scikit-learn's
tools expect). Then the rows are split, encoded, standardised, initialised and trained exactly
as `nnctl train` does it (`training.prepare` with the rows, `training.fit`): the same settings,
seed and rows give bit-identical weights to a run of `data: {name: csv}` over a CSV of them.

scikit-learn is imported at module top (this module exists for it); `import nnctl` and
`nnctl train` never import this module.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from nnctl import runs, training
from nnctl.assemble import Streams, build_model
from nnctl.config import Config, load_config
from nnctl.data import far_target_std, feature_column, raw_rows, text_cells
from nnctl.errors import NnctlError
from nnctl.trained import TrainedRun

Array = np.ndarray

# constructor parameter -> the config's dotted key; a parameter left None takes nnctl's default
PARAMETERS: dict[str, str] = {
    "hidden": "model.hidden", "activation": "model.activation", "output_activation": "model.output_activation",
    "init": "model.init", "init_scale": "model.init_scale",
    "loss": "loss.name", "l2": "loss.l2",
    "optimizer": "optimizer.name", "lr": "optimizer.lr", "momentum": "optimizer.momentum",
    "nesterov": "optimizer.nesterov", "betas": "optimizer.betas", "eps": "optimizer.eps",
    "rmsprop_alpha": "optimizer.alpha",  # `alpha` is scikit-learn's L2 penalty (MLPClassifier, Ridge, its checks)
    "schedule": "optimizer.schedule",
    "epochs": "train.epochs", "batch_size": "train.batch_size", "shuffle": "train.shuffle",
    "patience": "train.early_stopping.patience", "min_delta": "train.early_stopping.min_delta",
    "monitor": "train.early_stopping.monitor",
    "validation_fraction": "data.validation_fraction", "standardize": "data.standardize", "columns": "data.columns",
    "standardize_target": "data.standardize_target",
    "random_state": "seed", "dtype": "dtype",
}
EARLY_STOPPING_FRACTION = 0.1  # validation_fraction=None with early stopping on: MLPClassifier's


class EstimatorError(NnctlError, ValueError):
    """A mistake in an estimator's settings or data: nnctl's message, naming the parameter. A
    ValueError too, as scikit-learn's checks and GridSearchCV's error_score expect."""


class CellTypeError(EstimatorError, TypeError):
    """A cell of X that is neither a number nor text (a dict, None): a TypeError too, as
    scikit-learn's check_dtype_object expects of an estimator taking numbers and categories."""


def _numeric(X) -> bool:
    """Whether X is an array of numbers: the fast path, which never looks at cells one by one."""
    return isinstance(X, np.ndarray) and X.dtype.kind in "biuf"


def _plain(value: Any) -> Any:
    """A parameter as the config reads it: tuples and arrays as lists, NumPy scalars (from a grid
    of np.arange) as Python numbers, mappings (a schedule) likewise inside. Raises TypeError for
    a value no YAML config could hold (a set, an object)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(type(value).__name__)


def _nest(raw: dict, dotted: str, value: Any) -> None:
    *sections, key = dotted.split(".")
    for section in sections:
        raw = raw.setdefault(section, {})
    raw[key] = value


def _keep_parameters(estimator: BaseEstimator, given: dict[str, Any]) -> None:
    """Set each of `__init__`'s parameters as given, as scikit-learn asks (no logic in
    __init__): one line for both estimators instead of two copies of the same assignments."""
    for name, value in given.items():
        if name != "self":
            setattr(estimator, name, value)


class _NNEstimator(BaseEstimator):
    """What both estimators share: settings -> Config, fit, partial_fit, predict, save, pickling.
    Fitted state: `_loop` (training.Loop: config, model, dataset, TrainingState) and `_run` (the
    trained.TrainedRun that predicts as `load_run` of the saved run would)."""

    _task: str  # "classification" | "regression"

    # ---------------------------------------------------------------- settings -> Config

    def _config(self, **fixed: Any) -> Config:
        """The Config of the current parameters (`fixed` overriding some, by parameter name)."""
        params = {**self.get_params(), **fixed}
        if params["validation_fraction"] is None:
            stopping = isinstance(params["patience"], int) and params["patience"] > 0
            early = stopping and str(params["monitor"]).startswith("val")
            params["validation_fraction"] = EARLY_STOPPING_FRACTION if early else 0.0
        if params["random_state"] is None:  # scikit-learn's meaning: fresh randomness (saved in config_)
            params["random_state"] = int(np.random.SeedSequence().entropy)
        raw: dict[str, Any] = {"name": type(self).__name__, "data": {"name": "csv", "task": self._task},
                               "output": {"plots": "auto"}}
        for name, value in params.items():
            try:
                plain = _plain(value)
            except TypeError as e:
                raise EstimatorError(f"{type(self).__name__}({name}={value!r}): {PARAMETERS[name]}: a {e} cannot be "
                                     "a setting (use numbers, text, and tuples or lists of them)") from None
            if plain is not None:
                _nest(raw, PARAMETERS[name], plain)
        with self._errors():
            return load_config(raw)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """NnctlErrors as EstimatorErrors naming the estimator (and the parameter of the key)."""
        try:
            yield
        except EstimatorError:
            raise
        except NnctlError as e:
            text = str(e).removeprefix("config: ")
            key, _, rest = text.partition(": ")
            unknown = re.match(r"unknown key '([^'.]+)'", rest)  # optimizer: unknown key 'betas'
            key = f"{key}.{unknown[1]}" if unknown else key
            param = next((p for p, k in PARAMETERS.items() if k == key), None)
            given = f"({param}={getattr(self, param)!r})" if param else ""
            raise EstimatorError(f"{type(self).__name__}{given}: {text}") from None

    # ---------------------------------------------------------------- training

    def _rows(self, X, y, *, reset: bool) -> tuple[Array, Array]:
        """X and y checked by scikit-learn: y as given (labels) or (n,)/(n, k) floats; X (n, d)
        float64 when it is an array of numbers and no column is forced to text, else raw rows as
        `nnctl train` reads a CSV's (see `_raw`; on `reset`, else as given, for `encode`)."""
        regression = self._task == "regression"
        numeric = self._floats(X, fitted=not reset)
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float64 if numeric else None, y_numeric=regression,
                             multi_output=regression)
        if not regression:
            check_classification_targets(y)
        if not reset:
            return X, y
        kinds = self._kinds()
        return X if numeric else self._raw(X, kinds), y

    def _kinds(self) -> dict[str, str]:
        """`columns` as {feature name: kind}, every name one of X's (after validate_data)."""
        names = self._feature_names()
        kinds = {str(name): kind for name, kind in (self.columns or {}).items()}
        unknown = [name for name in kinds if name not in names]
        if unknown:
            raise EstimatorError(f"{type(self).__name__}(columns={self.columns!r}): X has no column {unknown[0]!r} "
                                 f"(its columns: {', '.join(names)}; arrays name them x0, x1, ...)")
        return kinds

    def _floats(self, X, *, fitted: bool) -> bool:
        """Whether X takes the fast path, as float64 (never looking at cells one by one): an array
        of numbers, and no text column (in the fitted run, or forced by `columns` for a fit)."""
        if not _numeric(X):
            return False
        if fitted:
            return self._run.preprocessing.categories is None
        return "text" not in (self.columns or {}).values()

    def _raw(self, X: Array, kinds: dict[str, str]) -> Array:
        """Rows (n, m) of numbers and text -> the raw rows `split_dataset` one-hot encodes, as
        load_csv gives them: float64 numbers if every column is one, else objects (floats in
        number columns, stripped str in text ones). A column's kind is that of a CSV column
        (text when more than half of its filled cells are not numbers; str cells that are
        numbers count as numbers) unless `kinds` (see `_kinds`) forces it."""
        names = self._feature_names()
        if X.dtype.kind in "biuf" and "text" not in kinds.values():
            return X.astype(np.float64)
        return raw_rows([self._column(X[:, j], name, kinds.get(name)) for j, name in enumerate(names)], len(X))

    def _column(self, cells: Array, name: str, kind: str | None) -> Array:
        """One column's cells (n,) -> (n,) float64 numbers or stripped str text (see `_raw`)."""
        if kind != "text" and not any(isinstance(c, str) for c in cells):
            try:
                values = cells.astype(np.float64)
            except TypeError as e:  # a dict, a list, None
                i = next((i for i, c in enumerate(cells) if not isinstance(c, numbers.Real)), 0)
                raise CellTypeError(f"{type(self).__name__}: X: row {i}, column {name!r}: {cells[i]!r} is neither a "
                                    f"number nor text ({e})") from None
            if np.isfinite(values).all():
                return values
        values, problem = feature_column(text_cells(cells), name, kind, np.arange(len(cells)), row="row",
                                         force="columns={{{name!r}: 'text'}}")
        if problem:
            raise EstimatorError(f"{type(self).__name__}: X: {problem[0][1]}")
        return values

    def _feature_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        return [str(n) for n in names] if names is not None else [f"x{j}" for j in range(self.n_features_in_)]

    def fit(self, X, y) -> _NNEstimator:
        """Train from fresh weights on X (n, d) and y, as `nnctl train` does with these settings:
        the rows split off validation_fraction (stratified for classes) from the seed's data
        stream, the model initialised and the batches shuffled from its own streams. Early
        stopping (patience > 0) keeps the best epoch's weights."""
        config = self._config()
        X, y = self._rows(X, y, reset=True)
        with self._errors():
            loop = self._prepare(config, X, y)
            result = training.fit(loop)
        return self._fitted(loop, result.summary, y)

    def _prepare(self, config: Config, X: Array, y: Array) -> training.Loop:
        """training.prepare on the rows, warning (as nnctl train does, naming the parameter) when
        the regression target's scale may keep training from learning."""
        loop = training.prepare(config, (X, y, self._feature_names()))
        std = far_target_std(loop.dataset)
        if std is not None:
            warnings.warn(f"{type(self).__name__}: the target's std on the training part is {std:.3g}, far from 1, so "
                          "training may end with flat predictions (set standardize_target=True)", stacklevel=4)
        return loop

    def _partial_fit(self, X, y, classes=None) -> _NNEstimator:
        """One epoch over X, y (all of them: no validation part, no early stopping), from the
        current weights, optimizer state and shuffle stream; the first call (on an unfitted
        estimator) starts from fresh weights as `fit` with epochs=1 and validation_fraction=0
        would, and fixes the standardisation from its rows. So k calls on the same rows give the
        weights of `fit` with epochs=k (and no validation part)."""
        first = not hasattr(self, "_loop")
        X, y = self._rows(X, y, reset=first)
        if self._task == "classification" and _check_partial_fit_first_call(self, classes):
            first = True
        if first:
            config = self._config(epochs=1, validation_fraction=0.0, patience=0)
            with self._errors():
                loop = self._first_loop(config, X, y)
        else:
            loop = self._next_loop(X, y)
        with self._errors():
            result = training.fit(loop)
        return self._fitted(loop, result.summary, y)

    def _first_loop(self, config: Config, X: Array, y: Array) -> training.Loop:
        loop = self._prepare(config, X, y)
        known = getattr(self, "classes_", None)
        if known is None:
            return loop
        unseen = np.setdiff1d(np.unique(y), known)
        if len(unseen):
            raise EstimatorError(f"{type(self).__name__}: partial_fit: label {unseen[0].item()!r} is not in classes")
        if len(known) == len(loop.dataset.classes):
            return loop
        # classes that the first rows do not show: the output layer is as wide as `classes`
        dataset = dataclasses.replace(loop.dataset, classes=np.asarray(known).tolist(),
                                      y_train=np.searchsorted(known, y).astype(np.int64))
        model = build_model(config, dataset, Streams.from_seed(config.seed).init)
        return training.Loop(config, model, dataset, Streams.from_seed(config.seed).shuffle)

    def _next_loop(self, X: Array, y: Array) -> training.Loop:
        """The fitted loop, on the rows X, y, for one more epoch."""
        old, pre = self._loop, self._run.preprocessing
        with self._errors():
            T = pre.encode_target(y, "y", "partial_fit")
            A = pre.encode(X, old.dataset.X_train.dtype)
        dataset = dataclasses.replace(old.dataset, X_train=A, y_train=T, X_val=A[:0], y_val=T[:0])
        train = old.config.train  # one more epoch; early stopping off, as there is no validation part
        off = train.early_stopping.model_copy(update={"patience": 0})
        config = old.config.model_copy(update={"train": train.model_copy(
            update={"epochs": self.n_iter_ + 1, "early_stopping": off})})
        loop = training.Loop(config, old.model, dataset, old.state.rng)
        # carry on: weights (the same model), optimizer state, shuffle stream, history
        loop.state = dataclasses.replace(old.state, config=config, stopping=loop.state.stopping)
        return loop

    def _fitted(self, loop: training.Loop, summary: dict[str, Any], y: Array) -> _NNEstimator:
        """Set the fitted attributes from a trained loop and its summary."""
        history = loop.state.history
        self._loop, self.config_, self.summary_, self.history_ = loop, loop.config, summary, history
        self.n_iter_ = history[-1]["epoch"]
        self.loss_curve_ = [row["train_loss"] for row in history[1:]]
        score = "val_accuracy" if self._task == "classification" else "val_loss"
        self.validation_scores_ = [row[score] for row in history[1:]] if loop.has_val else None
        self.best_epoch_ = summary["best_epoch"]
        self._targets_2d = self._task == "regression" and np.ndim(y) == 2
        self._run = TrainedRun(runs.Run(None, loop.config, history, summary, loop.dataset, loop.model), loop.model)
        if self._task == "classification":
            self.classes_ = np.asarray(loop.dataset.classes)
        if summary["status"] == "diverged":
            warnings.warn(f"{type(self).__name__}: training diverged in epoch {summary['diverged_at']['epoch']}; "
                          f"the weights are those of epoch {self.n_iter_}, the last good (try a lower lr)",
                          ConvergenceWarning, stacklevel=3)
        return self

    # ---------------------------------------------------------------- use

    def _inputs(self, X) -> Array:
        """X checked by scikit-learn: float64 if an array of numbers, else as given (objects), for
        the run's Preprocessing to encode and, where a cell does not fit its column, to refuse."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64 if self._floats(X, fitted=True) else None)

    def predict(self, X) -> Array:
        """X (n, d) -> (n,) class labels as in y, or regression values in y's units ((n, k) for
        k targets, or when y was 2-D)."""
        X = self._inputs(X)
        with self._errors():
            predicted = self._run.predict(X)
        return predicted.reshape(len(predicted), -1) if getattr(self, "_targets_2d", False) else predicted

    def save(self, run_dir: str | Path, *, overwrite: bool = False) -> Path:
        """Write the fitted estimator as an ordinary run directory (config.yaml, data.npz with
        the training and validation rows, model.npz, metrics.csv, layers.csv, summary.json), so
        `nnctl plot`, `nnctl predict`, `nnctl evaluate` and `load_run` work on it. A folder that
        is not empty is refused unless `overwrite` (and then only a run directory is replaced).
        No pictures (matplotlib stays unimported): `nnctl plot RUN` draws them. config.yaml names
        `data: csv` without a path, the rows having come from Python: `nnctl train` cannot repeat
        it until a data.path is added."""
        check_is_fitted(self)
        path = Path(run_dir)
        with self._errors():
            runs.claim_run_dir(path, overwrite=overwrite)
            writer = runs.RunWriter(path, self._loop.config, self._loop.dataset)
            writer.finish(self._loop, self.summary_)
        return path

    def __sklearn_tags__(self):
        """categorical: text columns are one-hot encoded (as OneHotEncoder, which sets the same
        tag). Not `string`: a cell that is neither text nor a number is refused (CellTypeError),
        which scikit-learn's checks expect only of estimators without that tag."""
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        return tags

    # ---------------------------------------------------------------- pickling

    def __getstate__(self) -> dict[str, Any]:
        """The Loop holds closures (the schedule, activations): pickle the data and the training
        state (`TrainingState.snapshot`, as resume.npz keeps it) instead, to rebuild them."""
        state = dict(super().__getstate__())
        loop = state.pop("_loop", None)
        state.pop("_run", None)
        if loop is not None:
            state["_saved"] = (loop.dataset, *loop.state.snapshot(0.0))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_saved", None)
        super().__setstate__(state)
        if saved is not None:
            dataset, arrays, facts = saved
            config = self.config_
            model = build_model(config, dataset, np.random.default_rng(0))
            loop = training.Loop(config, model, dataset, np.random.default_rng(0))
            loop.state.restore(arrays, facts)  # weights, optimizer, shuffle stream, history
            self._loop = loop
            self._run = TrainedRun(runs.Run(None, config, loop.state.history, self.summary_, dataset, model), model)


class NNClassifier(ClassifierMixin, _NNEstimator):
    """A classifier trained by nnctl. Parameters are the YAML settings (PARAMETERS gives each one's
    dotted key; None: nnctl's default, as when the key is left out of a config):

    hidden (widths, default (16, 16)), activation (a name, or one per hidden layer),
    output_activation, init, init_scale; loss ("cross-entropy", "binary-cross-entropy", "mse",
    "hinge"), l2; optimizer ("sgd", "adam", "rmsprop", "adagrad") and its hyper-parameters lr,
    momentum, nesterov, betas, eps, rmsprop_alpha (optimizer.alpha: `alpha` is scikit-learn's
    name for the L2 penalty; None: PyTorch's default for that optimizer; one the optimizer does
    not take is an error); schedule (a name or a mapping as in YAML, e.g.
    {"name": "step", "step_size": 50, "gamma": 0.5}); epochs, batch_size (or "full"), shuffle;
    early stopping: patience (0: off), min_delta, monitor; standardize (number inputs only: the
    one-hot ones stay 0/1); dtype.

    Text columns: X may be an object or str array (n, d) or a DataFrame whose columns hold text,
    read as `nnctl train` reads a CSV's: a column is text when more than half of its filled
    cells are not numbers (str cells that are numbers, as csv.reader or np.loadtxt(dtype=str)
    give them, count as numbers), else numbers; a text column becomes one 0/1 input per sorted
    category of the training part, and a category that predict meets and fit never saw an
    all-zero row. columns (data.columns): {name: "text" or "number"} forces a column's kind,
    e.g. {"zip": "text"}; names are feature_names_in_ (a DataFrame's) or x0, x1, ... for an
    array (a number in a text column is its str(): 10115 -> "10115", 10115.0 -> "10115.0"). A
    cell that is no finite number in a number column, an empty text cell (None, NaN) or a cell
    that is neither (a dict: CellTypeError) is an EstimatorError naming the row and column.

    validation_fraction: None (default) holds out 10% (stratified) only when early stopping
    watches a validation metric (patience > 0, monitor val_*), else trains on every row, as a
    scikit-learn user expects of fit and as MLPClassifier(early_stopping=True) does; a number
    holds out that fraction either way (nnctl train's default is 0.2).

    random_state: nnctl's `seed`, named as scikit-learn's tools (GridSearchCV, check_estimator,
    set_random_state) look for it. 0 by default, so fit is deterministic like nnctl train; None
    draws a fresh seed, recorded in config_ (and config.yaml by save).

    Fitted: classes_, n_features_in_, feature_names_in_ (DataFrame input), n_iter_ (epochs
    trained), loss_curve_ (training loss per epoch, as metrics.csv), validation_scores_
    (validation accuracy per epoch, None without a validation part), best_epoch_ (the epoch
    early stopping kept, or the best by the monitor), history_ (metrics.csv's rows, epoch 0
    first), summary_ (summary.json), config_ (the nnctl Config trained).
    """

    _task = "classification"

    def __init__(self, hidden=(16, 16), activation="tanh", output_activation="auto", init="auto", init_scale=1.0,
                 loss="cross-entropy", l2=0.0, optimizer="sgd", lr=None, momentum=None, nesterov=None, betas=None,
                 eps=None, rmsprop_alpha=None, schedule=None, epochs=100, batch_size=32, shuffle=True, patience=0,
                 min_delta=0.0, monitor="val_loss", validation_fraction=None, standardize=False, columns=None,
                 random_state=0, dtype="float64"):
        _keep_parameters(self, locals())

    def partial_fit(self, X, y, classes=None) -> NNClassifier:
        """One more epoch on X, y (see `_NNEstimator._partial_fit`); `classes` (every label that
        will come) on the first call, as MLPClassifier. The first call's rows need two classes."""
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X) -> Array:
        """X (n, d) -> (n, K) class probabilities, columns in classes_ order, rows summing to 1."""
        X = self._inputs(X)
        with self._errors():
            return self._run.predict_proba(X)


class NNRegressor(RegressorMixin, _NNEstimator):
    """A regressor trained by nnctl: NNClassifier's parameters (loss "mse" by default), plus
    standardize_target (train on (y - mean) / std of the training part, predict in y's units).
    y may be (n,) or (n, k) for k targets. validation_scores_ holds the validation mse (in y's
    units) per epoch."""

    _task = "regression"

    def __init__(self, hidden=(16, 16), activation="tanh", output_activation="auto", init="auto", init_scale=1.0,
                 loss="mse", l2=0.0, optimizer="sgd", lr=None, momentum=None, nesterov=None, betas=None,
                 eps=None, rmsprop_alpha=None, schedule=None, epochs=100, batch_size=32, shuffle=True, patience=0,
                 min_delta=0.0, monitor="val_loss", validation_fraction=None, standardize=False,
                 standardize_target=False, columns=None, random_state=0, dtype="float64"):
        _keep_parameters(self, locals())

    def partial_fit(self, X, y) -> NNRegressor:
        """One more epoch on X, y (see `_NNEstimator._partial_fit`)."""
        return self._partial_fit(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
