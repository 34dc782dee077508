"""The config (layer 2): one validated schema, YAML loading, `--set key=value` overrides, defaults.

`load_config(path_or_dict, overrides)` returns a `Config` with every default filled in and every
relative path made absolute, so `config.to_dict()` written as YAML repeats the run exactly.
Every mistake becomes an `NnctlError` whose message starts with the file and the dotted key:

    configs/moons.yaml: optimizer.name: unknown 'adamw' (choose from: adagrad, adam, lbfgs, rmsprop, sgd)

Allowed names come from the registries (ACTIVATIONS, LOSSES, …): there is no second list.
"""

from __future__ import annotations

import contextlib
import copy
import decimal
import difflib
import math
import os
import re
import reprlib
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from nnctl.data import COLUMN_KINDS, DATASETS, feature_count
from nnctl.errors import NnctlError
from nnctl.features import FORMS
from nnctl.files import YamlTooLarge, parse_yaml, read_yaml
from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnctl.nn.initializers import INITIALIZERS
from nnctl.nn.losses import LOSSES
from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES
from nnctl.vocabulary import PICTURE_NAMES, SUMMARY_METRICS

MAX_SAMPLES = 10_000_000  # refuse absurd sizes before any memory is taken
MAX_WIDTH = 100_000
MAX_VALUES = 100_000_000  # in one array: the data, or one layer's activations in one forward pass (800 MB)
EVALUATION_VALUES = 262_144  # one layer's outputs in one pass when a set is measured: 256 rows × 1024 units
MAX_WEIGHTS = 20_000_000  # in the whole network (160 MB, four times that with gradients and Adam's moments)
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")  # run names become folder names


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 60, 60, 8, 4, 3


def shown(value: Any) -> str:
    """A user's value as an error message quotes it: repr, cut short (a value may be huge)."""
    return _SHORT.repr(value)


def choose_from(names) -> str:
    return f"(choose from: {', '.join(sorted(names))})"


def unknown_name(kind_value: str, names) -> ValueError:
    """The one wording for a name that is not in a registry, with the closest match."""
    close = difflib.get_close_matches(kind_value, list(names), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ValueError(f"unknown {shown(kind_value)} {choose_from(names)}{hint}")


def _check_name(value: str, registry) -> str:
    if value not in registry:
        raise unknown_name(value, registry)
    return value


class Section(BaseModel):
    """A config section: unknown keys are errors that name the closest valid key."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _reject_unknown_keys(data, cls.model_fields)
        return data


def _reject_unknown_keys(data: dict, allowed) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(f"unknown key {shown(key)} ({hint}allowed: {', '.join(allowed)})")


class Parametrised(Section):
    """A section whose extra keys are the parameters of a registry entry: a data set, an
    optimizer, a schedule. The entry's defaults fill what is missing; a parameter of the wrong
    type or range is an error. `section: name` is short for `section: {name: name}`."""

    model_config = ConfigDict(extra="allow", validate_default=True)
    registry: ClassVar[dict[str, Any]]

    @classmethod
    def defaults_of(cls, entry: Any) -> dict[str, Any]:
        return dict(entry.params)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict):
            return data
        name = data.get("name", cls.model_fields["name"].default)
        if not isinstance(name, str):
            return data  # the name field reports the type error
        if name not in cls.registry:
            raise ValueError(f"name: {unknown_name(name, cls.registry)}")
        defaults = cls.defaults_of(cls.registry[name])
        _reject_unknown_keys(data, [*cls.model_fields, *defaults])
        for key, default in defaults.items():
            data[key] = _check_param(key, data.get(key, default), default)
        return data

    @property
    def params(self) -> dict[str, Any]:
        """The entry's parameters: the keyword arguments of its function or class."""
        return dict(self.model_extra or {})


def entry_defaults(flat: dict[str, Any]) -> dict[str, Any]:
    """The parameters' defaults of the registry entries a flattened config names (dotted keys:
    optimizer.name adam gives {'optimizer.eps': 1e-08, 'optimizer.betas': [0.9, 0.999], …}; the
    same for data.name and optimizer.schedule.name); nothing for a name no registry has."""
    sections = (("data", DataConfig), ("optimizer", OptimizerConfig), ("optimizer.schedule", ScheduleConfig))
    defaults: dict[str, Any] = {}
    for section, cls in sections:
        entry = cls.registry.get(flat.get(f"{section}.name"))
        if entry is not None:
            defaults.update({f"{section}.{k}": list(v) if isinstance(v, tuple) else v
                             for k, v in cls.defaults_of(entry).items()})
    return defaults


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Parameters whose default is None take this type when given; None stays allowed.
NULLABLE_TYPES: dict[str, type] = {"T_max": int, "n_samples": int, "path": str, "target": str, "columns": dict}
# Allowed ranges beyond the rule for every other number, "≥ 0".
LIMITS: dict[str, tuple[Callable[[float], bool], str]] = {
    "n_samples": (lambda v: 1 <= v <= MAX_SAMPLES, f"between 1 and {MAX_SAMPLES:,}"),
    "n_features": (lambda v: 1 <= v <= MAX_WIDTH, f"between 1 and {MAX_WIDTH:,}"),
    "n_classes": (lambda v: 2 <= v <= 1000, "between 2 and 1,000"),
    "centers": (lambda v: 1 <= v <= 1000, "between 1 and 1,000"),
    "step_size": (lambda v: v >= 1, "≥ 1"),
    "T_max": (lambda v: v >= 1, "≥ 1"),
    "gamma": (lambda v: 0 < v <= 1, "in (0, 1]: a schedule decays the rate"),
    "alpha": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "factor": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "maxcor": (lambda v: v >= 1, "≥ 1"),
    "maxfun": (lambda v: v >= 1, "≥ 1"),
    "lr": (lambda v: v > 0, "> 0"),
}


def _check_param(key: str, value: Any, default: Any) -> Any:
    """Check a registry entry's parameter against its default's type and LIMITS."""
    kind = NULLABLE_TYPES.get(key, type(default)) if default is None else type(default)
    if value is None:
        if default is None:
            return None
        raise ValueError(f"{key}: needs a value (default {default!r})")
    if key == "betas":
        pair = isinstance(value, (list, tuple)) and len(value) == 2
        if not (pair and all(_is_number(b) and 0 <= b < 1 for b in value)):
            raise ValueError(f"betas: expected two numbers in [0, 1), got {shown(value)}")
        return [float(b) for b in value]
    if key == "center_box":
        pair = isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value)
        if not (pair and all(map(math.isfinite, value)) and value[0] < value[1]):
            raise ValueError(f"center_box: expected two numbers [low, high] with low < high, got {shown(value)}")
        return [float(v) for v in value]
    if key == "centers" and isinstance(value, list):  # blobs: a count, or the points themselves
        if not value or not all(isinstance(c, list) and c and all(_is_number(v) for v in c) for c in value):
            raise ValueError(f"{key}: expected a number or a list of points like [[0, 0], [3, 3]], got {shown(value)}")
        return value
    if key == "columns":  # csv: {name: number | text}; the names are checked against the file's header
        kinds = isinstance(value, dict) and all(isinstance(k, str) and v in COLUMN_KINDS for k, v in value.items())
        if not kinds:
            raise ValueError(f"columns: expected column names with their kind, {' or '.join(COLUMN_KINDS)}, "
                             f"like {{zip: text}}, got {shown(value)}")
        return value
    if key == "delimiter" and not (isinstance(value, str) and len(value) == 1):
        raise ValueError(f"delimiter: expected one character such as ',' or ';', got {shown(value)}")
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"{key}: expected true or false, got {shown(value)}")
    if kind in (int, float):
        if not _is_number(value) or not math.isfinite(value):
            raise ValueError(f"{key}: expected a number, got {shown(value)}")
        if kind is int and value != int(value):
            raise ValueError(f"{key}: expected a whole number, got {shown(value)}")
        allowed, words = LIMITS.get(key, (lambda v: v >= 0, "≥ 0"))
        if not allowed(value):
            raise ValueError(f"{key}: must be {words}, got {shown(value)}")
        return int(value) if kind is int else value
    if kind in (tuple, list) and not isinstance(value, (tuple, list)):
        raise ValueError(f"{key}: expected a list, got {shown(value)}")
    if kind is str and not isinstance(value, str):
        raise ValueError(f"{key}: expected text, got {shown(value)}")
    return value


class DataConfig(Parametrised):
    registry = DATASETS
    name: str = "moons"
    task: Literal["auto", "classification", "regression"] = "auto"
    validation_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    standardize: bool = False
    standardize_target: bool = False  # regression: train on (y - mean) / std, report in y's units
    # the network's inputs computed from the raw columns, before standardisation (nnctl.features):
    # [x0, x0^2, x0*x1, sin(x1)]; null = the raw columns. Checked against the columns when the data is made
    features: list[str] | None = None

    @field_validator("features", mode="before")
    @classmethod
    def _feature_items(cls, value: Any) -> Any:
        if value is not None and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise ValueError(f"expected a list of features like [x0, x0^2, x0*x1, sin(x1)], got {shown(value)} "
                             f"(the forms: {FORMS})")
        return value

    @model_validator(mode="after")
    def _fits_in_memory(self) -> DataConfig:
        n, d = self.params.get("n_samples"), feature_count(self.name, self.params)
        if n and d and n * d > MAX_VALUES:
            raise ValueError(f"n_samples: {n:,} samples × {d:,} features = {n * d:,} values "
                             f"(at most {MAX_VALUES:,}; use fewer samples or features)")
        return self


def size_problem(sizes: list[int], rows: int) -> str | None:
    """Why a network with these layer widths is too big when one forward pass holds `rows`
    samples (see `rows_per_pass`), or None. Checked before any array is made: all the weights,
    and one layer's outputs in one pass."""
    weights = sum(a * b for a, b in pairwise(sizes))
    if weights > MAX_WEIGHTS:
        return (f"layers {'-'.join(map(str, sizes))} hold {weights:,} weights "
                f"(at most {MAX_WEIGHTS:,}; use narrower layers)")
    widest = max(sizes, default=0)
    if rows * widest > MAX_VALUES:
        return (f"{rows:,} samples in one pass × {widest:,} units = {rows * widest:,} values in one layer "
                f"(at most {MAX_VALUES:,}; use smaller batches or narrower layers)")
    return None


def rows_per_pass(samples: int, batch_size: int | str) -> int:
    """The most samples one forward pass of training holds: a batch. (A set being measured goes
    through in chunks of `evaluation_rows`, whose layers hold at most EVALUATION_VALUES each.)"""
    return samples if batch_size == "full" else min(samples, batch_size)


def evaluation_rows(sizes: list[int]) -> int:
    """Rows per forward pass when a whole set is measured (nnctl.training.evaluate): as many as
    keep every layer's outputs within EVALUATION_VALUES. A wide network measures in chunks of
    about a batch (W4: 256 rows; Dense keeps a buffer per chunk size, and 1024-row chunks added
    48 MB to W4's process instead of 27), a tiny one takes a whole set in one pass."""
    return max(1, EVALUATION_VALUES // max(sizes))


class ModelConfig(Section):
    hidden: list[int] = Field(default_factory=lambda: [16, 16])
    activation: str | list[str] = "tanh"
    output_activation: str = "auto"
    init: str = "auto"
    init_scale: float = Field(1.0, gt=0.0)
    init_from: str | None = None
    # inverted dropout on the hidden activations, in training only: one rate, or one per hidden layer
    dropout: float | list[float] = 0.0

    @field_validator("hidden")
    @classmethod
    def _widths(cls, hidden: list[int]) -> list[int]:
        for width in hidden:
            if not 1 <= width <= MAX_WIDTH:
                raise ValueError(f"widths must be between 1 and {MAX_WIDTH:,}, got {width}")
        return hidden

    @field_validator("activation")
    @classmethod
    def _activation(cls, value: str | list[str]) -> str | list[str]:
        for name in [value] if isinstance(value, str) else value:
            _check_name(name, ACTIVATIONS)
        return value

    @field_validator("output_activation")
    @classmethod
    def _output(cls, value: str) -> str:
        return _check_name(value, ["auto", *OUTPUT_ACTIVATIONS])

    @field_validator("init")
    @classmethod
    def _init(cls, value: str) -> str:
        return _check_name(value, ["auto", *INITIALIZERS])

    @field_validator("dropout", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        for p in value if isinstance(value, list) else [value]:
            if not (_is_number(p) and 0 <= p < 1):
                raise ValueError(f"expected a rate p with 0 ≤ p < 1 (the fraction of units dropped), or a "
                                 f"list of one per hidden layer; got {shown(value)}")
        return value

    @model_validator(mode="after")
    def _one_activation_per_layer(self) -> ModelConfig:
        if isinstance(self.activation, list) and len(self.activation) != len(self.hidden):
            raise ValueError(
                f"activation: {len(self.activation)} names for {len(self.hidden)} hidden layers "
                "(give one name, or one per hidden layer)"
            )
        if isinstance(self.dropout, list) and len(self.dropout) != len(self.hidden):
            raise ValueError(
                f"dropout: {len(self.dropout)} rates for {len(self.hidden)} hidden layers "
                "(give one rate, or one per hidden layer)"
            )
        return self

    @property
    def dropout_rates(self) -> list[float]:
        """One dropout rate per hidden layer."""
        p = self.dropout
        return [float(p)] * len(self.hidden) if not isinstance(p, list) else [float(r) for r in p]

    @property
    def activations(self) -> list[str]:
        """One activation name per hidden layer."""
        a = self.activation
        return [a] * len(self.hidden) if isinstance(a, str) else list(a)


class LossConfig(Section):
    name: str = "cross-entropy"
    l2: float = Field(0.0, ge=0.0)
    l1: float = Field(0.0, ge=0.0)
    l1_clip: bool = False  # apply l1 as its own step after the optimizer's, weights crossing 0 set to 0

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name(value, LOSSES)


class ScheduleConfig(Parametrised):
    registry = SCHEDULES
    name: str = "constant"

    @model_validator(mode="after")
    def _monitor(self) -> ScheduleConfig:
        if "monitor" in self.params and self.params["monitor"] not in SUMMARY_METRICS:  # plateau's metric
            raise ValueError(f"monitor: {unknown_name(str(self.params['monitor']), SUMMARY_METRICS).args[0]}")
        return self


class FullBatchSolver:
    """A solver that is not an update rule (nnctl.lbfgs trains with it, beside the training loop):
    its parameters with their defaults, SciPy's names."""

    def __init__(self, defaults: dict[str, Any]):
        self.defaults = defaults


# SciPy's L-BFGS-B defaults (scipy.optimize.minimize): gradient and relative-decrease tolerances,
# the steps remembered, the evaluations allowed (line searches included) in the epochs' iterations
SOLVERS = {"lbfgs": FullBatchSolver({"gtol": 1e-5, "ftol": 2.220446049250313e-09, "maxcor": 10, "maxfun": 15000})}
# what lbfgs refuses, and why: its line search sets each step
NOT_FOR_SOLVERS = {"lr": "no learning rate: its line search sets each step's length",
                   "momentum": "no momentum: it builds its own curvature from its last maxcor steps",
                   "nesterov": "no momentum: it builds its own curvature from its last maxcor steps"}


class OptimizerConfig(Parametrised):
    """The optimizer's name and its hyper-parameters; those not given take PyTorch's defaults.
    lbfgs, a full-batch solver (SOLVERS), takes SciPy's parameters instead."""

    registry = {**OPTIMIZERS, **SOLVERS}
    name: str = "sgd"
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)

    @classmethod
    def defaults_of(cls, entry: Any) -> dict[str, Any]:
        return dict(entry.defaults)

    @model_validator(mode="before")
    @classmethod
    def _solver_keys(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and data.get("name") in SOLVERS):
            return data
        for key, why in NOT_FOR_SOLVERS.items():
            if key in data:
                raise ValueError(f"{key}: {data['name']} takes {why} (remove optimizer.{key})")
        schedule = data.get("schedule", "constant")
        if schedule not in ("constant", {"name": "constant"}):
            raise ValueError(f"schedule: {data['name']} takes no learning-rate schedule: its line search sets each "
                             "step's length (remove optimizer.schedule)")
        return data

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> OptimizerConfig:
        if self.params.get("nesterov") and not self.params.get("momentum"):
            raise ValueError("nesterov: needs momentum > 0 (as torch.optim.SGD)")
        return self


class EarlyStoppingConfig(Section):
    patience: int = Field(0, ge=0)
    min_delta: float = Field(0.0, ge=0.0)
    monitor: Literal[SUMMARY_METRICS] = "val_loss"  # a metric summary.json keeps (best.NAME)
    restore_best: bool = True  # on an early stop, model.npz holds the best epoch's weights; false: the last's


class TrainConfig(Section):
    epochs: int = Field(100, ge=0)  # any whole number: Ctrl-C ends a run of 1e30 epochs, resumably
    batch_size: int | Literal["full"] = 32
    shuffle: bool = True
    checkpoint_every: int = Field(0, ge=0)
    # stop as diverged when an epoch's training loss exceeds this × max(epoch 0's, 1e-8); null: never
    divergence_factor: float | None = 1e4
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)

    @field_validator("epochs", "checkpoint_every", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        # YAML reads 1e30 as a float: take the whole number written (10**30), not the float's
        # binary neighbour, and never let pydantic refuse it for not fitting in 64 bits
        if isinstance(value, float):
            if not (math.isfinite(value) and value == int(value)):
                raise ValueError(f"expected a whole number, got {shown(value)}")
            return int(decimal.Decimal(repr(value)))
        return value

    @field_validator("divergence_factor", mode="before")
    @classmethod
    def _factor(cls, value: Any) -> Any:
        if value is None or (_is_number(value) and math.isfinite(value) and value > 1):
            return value
        raise ValueError(f"expected a number > 1, or null to never stop a run whose loss grows; got {shown(value)}")

    @field_validator("batch_size", mode="before")
    @classmethod
    def _batch(cls, value: Any) -> int | str:
        if value == "full" or (_is_number(value) and value == int(value) and value >= 1):
            return value if value == "full" else int(value)
        raise ValueError(f"expected a whole number ≥ 1 or 'full', got {shown(value)}")


class AnimationConfig(Section):
    frames: int = Field(0, ge=0, le=1000)  # 0 = no animation; training keeps these checkpoints
    # log: a constant ratio between frames' epochs (0, 1, 2, 4, 7, …), dense where most changes;
    # early: quadratic; even: equal steps
    spacing: Literal["log", "early", "even"] = "log"
    # a panel of network.png (the weights as edges, each unit's map) beside the others, per frame
    network: bool = False


class OutputConfig(Section):
    dir: str = "runs"
    plots: Literal["auto"] | list[str] = "auto"
    animation: AnimationConfig = Field(default_factory=AnimationConfig)

    @field_validator("plots", mode="before")
    @classmethod
    def _plots(cls, value: Any) -> str | list[str]:
        if value == "auto":
            return value
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise ValueError(
                f"expected auto or a list of pictures {choose_from(PICTURE_NAMES)}, [] for none; got {shown(value)}")
        for name in value:
            _check_name(name, PICTURE_NAMES)
        return value


class Config(Section):
    """The whole config; `base_dir` is the folder relative paths were resolved from."""

    name: str = "run"
    seed: int = Field(0, ge=0)
    dtype: Literal["float64", "float32"] = "float64"
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="config")
    _given: list[tuple[str, str]] = PrivateAttr(default_factory=list)  # (label, dotted key) of each override

    @model_validator(mode="after")
    def _fits_in_memory(self) -> Config:
        # what is known before the data is made; nnctl.assemble checks the exact sizes again
        features = feature_count(self.data.name, self.data.params)
        rows = rows_per_pass(self.data.params.get("n_samples") or 0, self.train.batch_size)
        problem = size_problem([*([features] if features else []), *self.model.hidden], rows)
        if problem:
            raise ValueError(f"model.hidden: {problem}")
        return self

    @model_validator(mode="after")
    def _solver_takes_the_whole_set(self) -> Config:
        if self.optimizer.name in SOLVERS and self.train.batch_size != "full":
            raise ValueError(f"train.batch_size: {self.optimizer.name} trains on the whole training set at once "
                             f"(set train.batch_size: full, not {self.train.batch_size})")
        rates = self.model.dropout if isinstance(self.model.dropout, list) else [self.model.dropout]
        if self.optimizer.name in SOLVERS and any(rates):
            raise ValueError(f"model.dropout: {self.optimizer.name}'s line search needs one fixed objective, and "
                             "dropout draws a new one every step (remove model.dropout, or use sgd or adam)")
        if self.optimizer.name in SOLVERS and self.loss.l1_clip:
            raise ValueError(f"loss.l1_clip: the clip is a step after each update, which {self.optimizer.name}'s "
                             "line search would not see (use loss.l1 without l1_clip)")
        return self

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not SAFE_NAME.fullmatch(value):
            raise ValueError(f"{shown(value)} cannot name a folder (use letters, digits, '.', '_' and '-')")
        return value

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def source(self) -> str:
        """Where the config came from, as error messages name it: a path, or "config"."""
        return self._source

    def culprit(self, key: str) -> str:
        """Whom an error about the dotted `key` names: the override that set it (`--set 'k=v'`,
        `--name 'x'`), or where the config came from."""
        return _setter(self._given, key) or self._source

    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML: every default filled in, relative paths already absolute.
        A section's registry parameters follow its name, as one would write them."""
        raw = self.model_dump(mode="json", exclude_none=True)
        if self.train.divergence_factor is None:  # null is not the default: config.yaml must say it
            raw["train"]["divergence_factor"] = None
        raw["data"] = _name_first(raw["data"], self.data.params)
        raw["optimizer"] = _name_first(raw["optimizer"], self.optimizer.params)
        return raw

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())


def _name_first(section: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    head = {"name": section["name"], **{k: section[k] for k in params if k in section}}
    return {**head, **{k: v for k, v in section.items() if k not in head}}


class _FlowListDumper(yaml.SafeDumper):
    """Block mappings, but lists of values inline (`hidden: [16, 16]`), as people write
    configs; a list of mappings (a sweep.yaml's points) in block style, one item a mapping of
    its own lines. A value used twice is written twice, not as an &anchor."""

    def ignore_aliases(self, data):
        return True


def dump_yaml(data: Any) -> str:
    """YAML as nnctl writes it: block mappings, inline lists of values, in the given key order."""
    return yaml.dump(data, Dumper=_FlowListDumper, sort_keys=False, allow_unicode=True)


_FlowListDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=not any(isinstance(item, dict) for item in data))
)


def parse_value(text: str) -> Any:
    """A --set or --grid value, read as YAML the way config files are read (and as bounded)."""
    return parse_yaml(text) if text.strip() else None


def apply_override(raw: dict, override: str) -> str:
    """Apply one `key.path=value` to a raw config mapping; the value is parsed as YAML. Returns
    the dotted key set."""
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise NnctlError(f"--set {shown(override)}: expected KEY=VALUE, e.g. --set optimizer.lr=0.01")
    try:
        value = parse_value(text)
    except (yaml.YAMLError, YamlTooLarge) as e:
        problem = f" ({e})" if isinstance(e, YamlTooLarge) else ""
        raise NnctlError(f"--set {shown(override)}: cannot parse the value {shown(text)} as YAML{problem}") from None
    parts = key.strip().split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if isinstance(child, str) and part in ("loss", "optimizer", "schedule"):
            child = {"name": child}  # expand the shorthand so a sub-key can be set
        if child is None:
            child = {}
        if not isinstance(child, dict):
            dotted = ".".join(parts[: i + 1])
            raise NnctlError(f"--set {shown(override)}: {dotted} is not a section")
        node[part] = child
        node = child
    node[parts[-1]] = value
    return ".".join(parts)


def _dotted(loc: tuple) -> str:
    # pydantic puts union branches ("int", "literal['full']") and validator names in loc
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in ("int", "str", "list[str]"))))


class Invalid(Exception):
    """A config that does not validate: `key`, the dotted key at fault ('' when none can be
    told), and the message, `dotted.key: what is wrong, got VALUE`."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key, self.problem = key, problem


def _invalid(error: ValidationError) -> Invalid:
    """The first problem of a failed validation as an Invalid."""
    first = error.errors()[0]
    key, msg = _dotted(first["loc"]), _plain(first)
    # a "key: ..." message from a section validator names a key below the section
    head, sep, rest = msg.partition(": ")
    if sep and all(part.isidentifier() for part in head.split(".")) and head != "unknown":
        key, msg = (f"{key}.{head}" if key else head), rest
    more = error.error_count() - 1
    tail = f" (and {more} more {'problem' if more == 1 else 'problems'})" if more else ""
    return Invalid(key, f"{msg}{tail}")


_UNKNOWN_KEY = re.compile(r"unknown key '([^'.]+)'")


def _culprit_key(problem: Invalid) -> str:
    """The dotted key a problem is about: the key itself, or for an unknown key the one named
    ('optimizer' + "unknown key 'lrr'" is optimizer.lrr)."""
    unknown = _UNKNOWN_KEY.match(problem.problem)
    if unknown:
        return f"{problem.key}.{unknown[1]}" if problem.key else unknown[1]
    return problem.key


# pydantic's wording for the common mistakes, in this tool's voice
_PLAIN = {
    "int_parsing": "expected a whole number", "int_type": "expected a whole number",
    "int_from_float": "expected a whole number", "float_parsing": "expected a number",
    "float_type": "expected a number", "bool_parsing": "expected true or false", "bool_type": "expected true or false",
    "string_type": "expected text", "list_type": "expected a list", "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys", "missing": "is required",
}


def _plain(err: dict) -> str:
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in _PLAIN:
        return _PLAIN[kind] + ("" if kind == "missing" else f", got {shown(got)}")
    bounds = {"greater_than": "> {gt}", "greater_than_equal": "≥ {ge}", "less_than": "< {lt}",
              "less_than_equal": "≤ {le}"}
    if kind in bounds:
        return f"must be {bounds[kind].format(**ctx)}, got {shown(got)}"
    if kind == "literal_error":
        expected = ctx.get("expected", "").replace(" or ", ", ").replace("'", "")
        return f"unknown {shown(got)} (choose from: {expected})"
    return f"{err['msg']}, got {shown(got)}"


NAME_MAX = 255  # bytes in one name of a path: the limit of ext4, XFS, Btrfs, APFS and NTFS
PATH_MAX = 4095  # bytes in a whole path (Linux's 4096 with the closing NUL)


def _resolve_path(value: str | None, base_dir: Path | None) -> str | None:
    """A config value that names a file or folder (data.path, model.init_from, output.dir), made
    usable: `~` and `~user` expanded, a relative path made absolute from base_dir (None: left
    relative, to the current folder). Only what the text alone tells is checked here, so that
    every reader and writer after it sees a name the system can take; whether the file exists
    or its folder can be written is for them to say. Raises ValueError saying what is wrong."""
    if value is None:
        return None
    if "\0" in value:
        raise ValueError("holds a NUL byte, which no file name can")
    expanded = os.path.expanduser(value)
    if expanded.startswith("~"):  # os.path leaves ~name of no user (and pathlib raises RuntimeError)
        user = value[1:].split("/", 1)[0]
        raise ValueError(f"no user {shown(user)} on this system (write the path in full)" if user
                         else "no home folder to expand ~ to (write the path in full)")
    try:
        encoded = os.fsencode(expanded)
    except UnicodeEncodeError:
        raise ValueError("holds characters that this system cannot put in a file name") from None
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        raise ValueError(f"a name in it is {len(longest):,} bytes long, more than file systems allow "
                         f"({NAME_MAX}; use a shorter name)")
    path = Path(expanded)
    # realpath, not Path.resolve: a loop of symbolic links is for the reader to report, not a RuntimeError
    resolved = path if path.is_absolute() or base_dir is None else Path(os.path.realpath(base_dir / path))
    if len(os.fsencode(resolved)) > PATH_MAX:
        raise ValueError(f"is {len(os.fsencode(resolved)):,} bytes long, more than file systems allow "
                         f"({PATH_MAX:,}; use a shorter path)")
    return str(resolved)


def load_config(
    source: str | Path | dict, overrides: list[str] | tuple[str, ...] = (), *, name: str | None = None
) -> Config:
    """Load, override, validate and resolve a config.

    source: a YAML file's path, or a mapping (then relative paths resolve from the current
    folder and the name defaults to "run"). overrides: "key.path=value" strings (`--set`), values
    parsed as YAML. name: the run-name prefix (`--name`), taken as it is. A relative path
    resolves from where it was written: one in the file from the file's folder, one in an
    override from the current folder. A mistake is blamed on where it was made: the file, or
    the override (`--set 'model.hidden=3': model.hidden: expected a list, got 3`). Raises
    NnctlError for every user mistake.
    """
    if isinstance(source, dict):
        raw, where, base_dir, stem = _copy(source), "config", Path.cwd(), "run"
    else:
        path = Path(source)
        raw = read_yaml(path)
        where, base_dir, stem = str(path), path.resolve().parent, path.stem
        if raw is None:
            raise NnctlError(f"{path}: the file is empty (start from one in configs/)")
    if not isinstance(raw, dict):
        raise NnctlError(f"{where}: expected a mapping of keys (data:, model:, …), got {type(raw).__name__}")
    # raw is plain YAML data already (read, or `_copy`'s round trip): a deep copy is that round trip
    # in 0.05 ms instead of 7 (a sweep resolves every point's config twice)
    edited = copy.deepcopy(raw) if overrides or name is not None else raw
    given = [(f"--set {shown(override)}", apply_override(edited, override)) for override in overrides]
    if name is not None:
        edited["name"] = name
        given.append((f"--name {shown(name)}", "name"))
    edited.setdefault("name", stem)
    try:
        config = _validate(edited)
    except Invalid as problem:
        raise NnctlError(f"{_blamed(problem, {'name': stem, **raw}, where, given)}: {problem}") from None
    config._base_dir, config._source, config._given = base_dir, where, given
    _resolve(config)
    return config


def _validate(raw: dict) -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as e:
        raise _invalid(e) from None
    except (ValueError, TypeError) as e:  # raised by a before-validator outside pydantic's wrapping
        raise Invalid("", str(e)) from None


def _setter(given: list[tuple[str, str]], key: str) -> str | None:
    """The label of the last override in `given` ((label, dotted key) pairs) that set `key`, its
    section, or a key inside it (an item of it: `data.features[1]`); None when none did."""
    for label, set_key in reversed(given):
        if key and (key == set_key or key.startswith((f"{set_key}.", f"{set_key}[")) or set_key.startswith(f"{key}.")):
            return label
    return None


def _blamed(problem: Invalid, file_alone: dict, where: str, given: list[tuple[str, str]]) -> str:
    """Whom a config's problem names: the file when the file alone has it too, else the override
    that set its key (see `_setter`), else the file with every override."""
    if not given:
        return where
    try:
        _validate(file_alone)
    except Invalid as alone:
        if str(alone) == str(problem):
            return where
    return _setter(given, _culprit_key(problem)) or " ".join([f"{where} with", *(label for label, _ in given)])


@contextlib.contextmanager
def blame(config: Config):
    """Name where a config's mistake was made in user errors raised while using it (data, model,
    training): the override that set the key the error starts with, or the config file."""
    try:
        yield
    except NnctlError as e:
        text = str(e)
        if any(text.startswith(f"{label}: ") for label in [config.source, *(label for label, _ in config._given)]):
            raise
        raise NnctlError(f"{config.culprit(text.partition(': ')[0])}: {text}") from None


def _copy(raw: dict) -> dict:
    return yaml.safe_load(yaml.safe_dump(raw))


def _resolve(config: Config) -> None:
    """Fill what depends on other keys; check every value that becomes a path and make the
    relative ones absolute: from the config file's folder, or for a value an override gave,
    from the current folder, where it was typed (output.dir stays relative to the current folder)."""
    data = config.data.model_extra or {}
    paths = {"data.path": data.get("path"), "model.init_from": config.model.init_from, "output.dir": config.output.dir}
    resolved = {}
    for key, value in paths.items():
        typed = _setter(config._given, key) is not None
        base_dir = None if key == "output.dir" else Path.cwd() if typed else config.base_dir
        try:
            resolved[key] = _resolve_path(value, base_dir)
        except ValueError as e:
            raise NnctlError(f"{config.culprit(key)}: {key}: {shown(value)}: {e}") from None
    if data.get("path") is not None:
        data["path"] = resolved["data.path"]
    config.model.init_from, config.output.dir = resolved["model.init_from"], resolved["output.dir"]
    schedule = config.optimizer.schedule.model_extra or {}
    if config.optimizer.schedule.name == "cosine" and schedule.get("T_max") is None:
        schedule["T_max"] = max(config.train.epochs, 1)
