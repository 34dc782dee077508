"""From a validated Config and a Dataset to the core's objects: Model, targets, Optimizer.

This is the one place that knows both the config and the core, so training, gradient checking
and run loading all build networks the same way. Mismatches a user can cause (hinge with three
classes, cross-entropy on a real-valued target, init weights of the wrong shape) are NnctlErrors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnctl.config import Config, rows_per_pass, size_problem
from nnctl.data import Dataset
from nnctl.errors import NnctlError
from nnctl.files import load_npz
from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnctl.nn.losses import LOSSES, Loss
from nnctl.nn.network import Model, build_network
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


def build_model(config: Config, dataset: Dataset, rng: np.random.Generator) -> Model:
    """The network for this config and data, initialised from rng (or model.init_from)."""
    loss = LOSSES[config.loss.name]
    activations = config.model.activations
    out_name = output_activation(config, loss)
    sizes = [dataset.n_features, *config.model.hidden, output_width(loss, dataset)]
    problem = size_problem(sizes, rows_per_pass(len(dataset.X_train), config.train.batch_size))
    if problem:
        raise NnctlError(f"model.hidden: {problem}")
    init = config.model.init
    if init == "auto":  # each layer's scheme suits the nonlinearity that follows it
        init = [ACTIVATIONS[a].init for a in activations] + [OUTPUT_ACTIVATIONS[out_name].init]
    network = build_network(
        sizes, activations, None if loss.fused else out_name, init, rng,
        init_scale=config.model.init_scale, dtype=np.dtype(config.dtype),
    )
    if config.model.init_from:
        try:
            network.set_params(load_matching_weights(Path(config.model.init_from), network.params()))
        except NnctlError as e:
            raise NnctlError(f"model.init_from: {e}") from None
    link = OUTPUT_ACTIVATIONS[out_name] if loss.fused else None
    return Model(network, loss, link=link, l2=config.loss.l2)


def load_matching_weights(path: Path, expected: dict[str, Array], source: str = "") -> dict[str, Array]:
    """Weights from an npz whose keys and shapes match `expected` (W0, b0, …); errors name the
    layer, and the network as `source` describes it ("of config.yaml and data.npz")."""
    weights = load_npz(path)
    dense = [expected[k] for k in expected if k.startswith("W")]
    network = "-".join(map(str, [dense[0].shape[0], *(W.shape[1] for W in dense)]))
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    if missing or extra:
        raise NnctlError(
            f"{path}: keys {sorted(weights)} do not fit the {network} network{source}, which has {list(expected)}"
            + (f" (missing {missing})" if missing else "") + (f" (unexpected {extra})" if extra else "")
        )
    for key, array in expected.items():
        if weights[key].shape != array.shape:
            raise NnctlError(
                f"{path}: {key} has shape {weights[key].shape}, the network's layer {key[1:]} "
                f"needs {array.shape} (the {network} network{source})"
            )
        if not np.issubdtype(weights[key].dtype, np.number) or not np.isfinite(weights[key]).all():
            raise NnctlError(f"{path}: {key} holds values that are not finite numbers")
    return weights


def encode_targets(model: Model, dataset: Dataset, y: Array) -> Array:
    """Class indices or regression targets -> what the model's loss takes."""
    if dataset.task == "regression":
        return y
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
