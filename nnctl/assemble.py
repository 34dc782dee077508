"""From a validated Config (and its data) to the core's objects: Model, targets, Optimizer.
Layer 3: imports config, data, files and nn, never runs (runs.load_run builds its model here).

This is the one place that knows both the config and the core, so training, gradient checking,
`explain` and run loading all build networks the same way: `build_for` makes a config's data and
initial model, `trained_model` the model of a config and data with saved weights. Mismatches a
user can cause (hinge with three classes, cross-entropy on a real-valued target, init weights of
the wrong shape) are NnctlErrors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnctl.config import Config, blame, rows_per_pass, size_problem
from nnctl.data import Dataset, load_dataset, split_dataset
from nnctl.errors import NnctlError
from nnctl.files import load_npz
from nnctl.nn import network
from nnctl.nn.losses import LOSSES, Loss
from nnctl.nn.network import Model
from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES, Optimizer

Array = np.ndarray


def output_width(loss: Loss, dataset: Dataset) -> int:
    """How many output units the loss needs for this data set."""
    if dataset.task == "regression":
        if loss.classification_only:
            raise NnctlError(
                f"loss.name: {loss.name} needs class labels, but the data set is a regression "
                "(use loss: mse, or data.task: classification)"
            )
        return dataset.n_outputs
    if loss.max_classes is not None and dataset.n_classes > loss.max_classes:
        raise NnctlError(
            f"loss.name: {loss.name} takes {loss.max_classes} classes, the data set has "
            f"{dataset.n_classes} (use cross-entropy)"
        )
    return loss.width(dataset.n_classes)


def output_activation(config: Config, loss: Loss) -> str:
    """The output activation's name: the loss's own one for `auto`."""
    name = config.model.output_activation
    name = loss.output if name == "auto" else name
    if loss.fused and name != loss.output:
        raise NnctlError(
            f"model.output_activation: {loss.name} needs {loss.output} outputs, not {name} "
            "(use auto, or loss: mse for other outputs)"
        )
    return name


@dataclass
class Streams:
    """Independent random streams from one seed, so e.g. the batch size never changes the data."""

    data: np.random.Generator
    init: np.random.Generator
    shuffle: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        return cls(*(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)))


def build_for(config: Config, rows: tuple[Array, Array, list[str]] | None = None) -> tuple[Model, Dataset, Streams]:
    """The data set and the initialised model of a config, from its seed's streams. rows:
    (X (n, d), y (n,) or (n, k), the d feature names) given instead of the rows config.data
    makes (the scikit-learn estimators): split, encoded and standardised as `load_dataset`
    does its own, from the same data stream, so the same rows give the same Dataset and model."""
    streams = Streams.from_seed(config.seed)
    data = config.data
    with blame(config):
        if rows is None:
            dataset = load_dataset(
                {**data.params, "name": data.name, "task": data.task, "validation_fraction": data.validation_fraction,
                 "standardize": data.standardize, "standardize_target": data.standardize_target,
                 "features": data.features},
                seed_rng=streams.data, base_dir=config.base_dir, dtype=np.dtype(config.dtype),
            )
        else:
            dataset = split_dataset(
                *rows, task=data.task, validation_fraction=data.validation_fraction, standardize=data.standardize,
                standardize_target=data.standardize_target, seed_rng=streams.data, where="fit",
                dtype=np.dtype(config.dtype), features=data.features,
            )
        return build_model(config, dataset, streams.init), dataset, streams


def trained_model(config: Config, dataset: Dataset, weights: Path, *, dtype=None, source: str = "") -> Model:
    """The network of this config and data holding the weights saved in `weights` (an npz, checked
    against it; errors name the network as `source` describes it), in `dtype` (default: the
    config's). model.init_from is not read: the starting weights need not exist any more."""
    model = network_of(config, dataset, dtype=dtype)
    # set_params copies (and casts) into the model's own θ: every layer stays a view of it
    model.network.set_params(load_matching_weights(weights, model.network.params(), source))
    return model


def network_of(config: Config, dataset: Dataset, *, dtype=None) -> Model:
    """The network of this config and data with weights to be replaced (seed 0's; model.init_from
    is not read): what saved or live weights are copied into."""
    without_start = config.model_copy(update={"model": config.model.model_copy(update={"init_from": None})})
    with blame(config):
        return build_model(without_start, dataset, np.random.default_rng(0), dtype=dtype)


def build_model(config: Config, dataset: Dataset, rng: np.random.Generator, *, dtype=None) -> Model:
    """The network for this config and data, initialised from rng (or model.init_from), in
    `dtype` (default: the config's)."""
    loss = LOSSES[config.loss.name]
    out_name = output_activation(config, loss)
    sizes = [dataset.n_features, *config.model.hidden, output_width(loss, dataset)]
    problem = size_problem(sizes, rows_per_pass(len(dataset.X_train), config.train.batch_size))
    if problem:
        raise NnctlError(f"model.hidden: {problem}")
    model = network.build_model(
        sizes, config.model.activations, loss.name, rng, output=out_name, init=config.model.init,
        init_scale=config.model.init_scale, l2=config.loss.l2, l1=config.loss.l1, l1_clip=config.loss.l1_clip,
        dropout=config.model.dropout_rates, dtype=np.dtype(config.dtype if dtype is None else dtype),
    )
    if config.model.init_from:
        try:
            model.network.set_params(load_matching_weights(Path(config.model.init_from), model.network.params()))
        except NnctlError as e:
            raise NnctlError(f"model.init_from: {e}") from None
    return model


def load_matching_weights(path: Path, expected: dict[str, Array], source: str = "") -> dict[str, Array]:
    """Weights from an npz whose keys and shapes match `expected` (W0, b0, …); errors name the
    layer, and the network as `source` describes it ("of config.yaml and data.npz")."""
    weights = load_npz(path)
    dense = [expected[k] for k in expected if k.startswith("W")]
    widths = "-".join(map(str, [dense[0].shape[0], *(W.shape[1] for W in dense)]))
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    if missing or extra:
        raise NnctlError(
            f"{path}: keys {sorted(weights)} do not fit the {widths} network{source}, which has {list(expected)}"
            + (f" (missing {missing})" if missing else "") + (f" (unexpected {extra})" if extra else "")
        )
    for key, array in expected.items():
        if weights[key].shape != array.shape:
            raise NnctlError(
                f"{path}: {key} has shape {weights[key].shape}, the network's layer {key[1:]} "
                f"needs {array.shape} (the {widths} network{source})"
            )
        if not np.issubdtype(weights[key].dtype, np.number) or not np.isfinite(weights[key]).all():
            raise NnctlError(f"{path}: {key} holds values that are not finite numbers")
    return weights


def encode_targets(model: Model, dataset: Dataset, y: Array) -> Array:
    """Class indices or regression targets (n, k) in their units -> what the model's loss takes:
    (y - target_mean) / target_std when the run standardised the target."""
    if dataset.task == "regression":
        return y if dataset.target_mean is None else (y - dataset.target_mean) / dataset.target_std
    return model.loss.encode(y, dataset.n_classes, model.network.dense[0].W.dtype)


def make_optimizer(config: Config) -> Optimizer:
    """The update rule and its hyper-parameters; optimizer.lr is not one of them (see `learning_rate`)."""
    hyper = {key: value for key, value in config.optimizer.params.items() if key != "lr"}
    return OPTIMIZERS[config.optimizer.name](**hyper)


def learning_rate(config: Config) -> Callable[[int], float]:
    """epoch (counting from 0) -> the learning rate during that epoch, which the training loop
    hands to every optimizer step: the one path optimizer.lr takes, through the schedule."""
    schedule = config.optimizer.schedule
    fn, lr0, params = SCHEDULES[schedule.name].fn, config.optimizer.params["lr"], schedule.params
    return lambda epoch: fn(lr0, epoch, **params)
