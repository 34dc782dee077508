"""`Sequential` runs layers forward and backward; `Model` adds the loss, the L2 penalty and
the output activation used for predictions; `build_model` wires the three for a loss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnctl.nn.initializers import INITIALIZERS
from nnctl.nn.layers import ActivationLayer, Dense
from nnctl.nn.losses import LOSSES, Loss
from nnctl.nn.memory import aligned_zeros

Array = np.ndarray


class Sequential:
    """Layers applied in order: Dense, activation, Dense, activation, …, Dense[, activation].

    All parameters live in one flat vector `theta` = [W0 (row by row), b0, W1, b1, …] and their
    gradients in `grad`, laid out alike; each Dense layer's W, b, dW, db are views into them.
    The optimizer steps θ with a few whole-vector operations, and checkpoints copy one array.
    W_l followed by b_l is the (fan_in + 1, fan_out) matrix [W_l; b_l] that Dense computes with.
    """

    def __init__(self, layers: Sequence[Dense | ActivationLayer]):
        self.layers = list(layers)
        self.dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        dtype = self.dense[0].W.dtype
        size = sum(layer.Wb.size for layer in self.dense)
        self.theta, self.grad = aligned_zeros(size, dtype), aligned_zeros(size, dtype)
        offset = 0
        for layer in self.dense:
            where = slice(offset, offset + layer.Wb.size)
            self.theta[where] = layer.Wb.ravel()
            layer.bind(self.theta[where].reshape(layer.Wb.shape), self.grad[where].reshape(layer.Wb.shape))
            offset = where.stop
        self._after_first = self.layers[1:]
        # backward's order; an activation before the output multiplies the fresh dX of the Dense
        # layer after it, which nothing else holds, in place
        self._backward = [(layer, isinstance(layer, ActivationLayer) and layer is not self.layers[-1])
                          for layer in self.layers[:0:-1]]

    def forward(self, X: Array, ones: bool = False) -> Array:
        """X: (n, fan_in of layer 0), or [X, 1] when `ones` (see `with_ones`) -> output: (n,
        fan_out of the last layer)."""
        X = self.layers[0].forward(X, ones)
        for layer in self._after_first:
            X = layer.forward(X)
        return X

    def backward(self, dOut: Array, input_grad: bool = True) -> Array | None:
        """dOut = dL/d(output) -> dL/dX (None unless `input_grad`). Sets dW and db on every
        Dense layer, that is, the whole of `grad`. dOut itself is left unchanged."""
        for layer, in_place in self._backward:
            dOut = layer.backward(dOut, in_place) if in_place else layer.backward(dOut)
        return self.layers[0].backward(dOut, input_grad)

    def params(self) -> dict[str, Array]:
        """{"W0": W0, "b0": b0, "W1": …}: views of the live arrays, in layer order."""
        out = {}
        for i, layer in enumerate(self.dense):
            out[f"W{i}"], out[f"b{i}"] = layer.W, layer.b
        return out

    def grads(self) -> dict[str, Array]:
        """{"W0": dW0, "b0": db0, …}, from the last backward pass."""
        out = {}
        for i, layer in enumerate(self.dense):
            out[f"W{i}"], out[f"b{i}"] = layer.dW, layer.db
        return out

    def set_params(self, params: dict[str, Array]) -> None:
        """Copy values into the live arrays (shapes must match; see `check_shapes`)."""
        for name, value in self.params().items():
            value[...] = params[name]

    @property
    def sizes(self) -> list[int]:
        """[fan_in of layer 0, fan_out of layer 0, …, fan_out of the last layer]."""
        return [self.dense[0].fan_in] + [layer.fan_out for layer in self.dense]


class Model:
    """A network trained with a loss.

    `network` ends where the loss begins: at the logits for a fused loss (softmax + cross-
    entropy, sigmoid + binary-cross-entropy), after the output activation otherwise. `link` is
    the output activation still to apply for predictions (None when the network includes it).
    """

    def __init__(self, network: Sequential, loss: Loss, link=None, l2: float = 0.0):
        self.network, self.loss, self.link, self.l2 = network, loss, link, l2

    def penalty(self) -> float:
        """λ/2 · Σ‖W‖² over weight matrices (not biases)."""
        if self.l2 == 0.0:
            return 0.0
        return 0.5 * self.l2 * sum(float(np.sum(d.W * d.W)) for d in self.network.dense)

    def objective(self, X: Array, T: Array) -> float:
        """Loss plus L2 penalty on a batch, without touching gradients."""
        return self.loss.value(self.network.forward(X), T) + self.penalty()

    def loss_and_grads(self, X: Array, T: Array, ones: bool = False) -> tuple[float, Array]:
        """Forward and backward on one batch; sets every dW, db.

        X: (n, features), or [X, 1] when `ones`; T: targets as `loss.encode` makes them. Returns
        the objective (loss plus L2 penalty) and what the loss saw (n, width), so callers can
        score the batch.
        """
        out = self.network.forward(X, ones)
        value, dOut = self.loss.value_and_grad(out, T)
        self.network.backward(dOut, input_grad=False)
        if self.l2:
            self.add_penalty_grads()
            value += self.penalty()
        return value, out

    def add_penalty_grads(self) -> None:
        """dW += λ W for every weight matrix (d/dW of λ/2 ‖W‖²), in place in ∇θ."""
        for layer in self.network.dense:
            dW = layer.dW  # a view of ∇θ: added into, as the attribute cannot be assigned
            dW += self.l2 * layer.W

    def output(self, X: Array) -> Array:
        """X: (n, features) -> the output activation's values (n, width)."""
        out = self.network.forward(X)
        return out if self.link is None else self.link.fn(out)

    def logits(self, X: Array) -> Array:
        """X: (n, features) -> what the loss sees (n, width): the logits for a fused loss, which
        `output` passes through the link; the output activation's values for any other."""
        return self.network.forward(X)

    def hidden(self, X: Array) -> list[Array]:
        """X: (n, features) -> each hidden layer's activations A_l: (n, width_l), in order."""
        self.network.forward(X)
        activations = [layer.A for layer in self.network.layers if isinstance(layer, ActivationLayer)]
        return activations[: len(self.network.dense) - 1]


def build_network(
    sizes: Sequence[int],
    activations: Sequence[str],
    output_activation: str | None,
    init: str | Sequence[str],
    rng: np.random.Generator,
    *,
    init_scale: float = 1.0,
    dtype=np.float64,
) -> Sequential:
    """A dense network with layer widths `sizes` = [inputs, hidden…, outputs].

    activations: one name per hidden layer. output_activation: a name, or None to end at the
    last dense layer (fused losses). init: one scheme for all layers or one per dense layer.
    Weights are drawn in float64 and then cast, so float32 and float64 runs start alike.
    """
    n_layers = len(sizes) - 1
    inits = [init] * n_layers if isinstance(init, str) else list(init)
    layers: list[Dense | ActivationLayer] = []
    for i in range(n_layers):
        W, b = INITIALIZERS[inits[i]](sizes[i], sizes[i + 1], rng, init_scale)
        layers.append(Dense(W.astype(dtype), b.astype(dtype)))
        if i < n_layers - 1:
            layers.append(ActivationLayer(activations[i], ACTIVATIONS[activations[i]]))
        elif output_activation is not None:
            layers.append(ActivationLayer(output_activation, OUTPUT_ACTIVATIONS[output_activation]))
    return Sequential(layers)


def build_model(
    sizes: Sequence[int],
    activations: Sequence[str],
    loss: str,
    rng: np.random.Generator,
    *,
    output: str = "auto",
    init: str | Sequence[str] = "auto",
    init_scale: float = 1.0,
    l2: float = 0.0,
    dtype=np.float64,
) -> Model:
    """A Model of layer widths `sizes` = [inputs, hidden…, outputs] trained with the loss named
    `loss` (a key of LOSSES), wired as the loss needs.

    output: the output activation's name, or "auto" for the loss's own. A fused loss (softmax +
    cross-entropy, sigmoid + binary-cross-entropy) takes the logits: the network ends at the
    last dense layer and the output activation becomes the model's `link`, applied only for
    predictions; any other loss gets the network with its output activation. init: "auto" picks
    for each dense layer the scheme that suits the activation after it; otherwise as in
    `build_network`, which also says how `rng`, `init_scale` and `dtype` are used.
    """
    the_loss = LOSSES[loss]
    output = the_loss.output if output == "auto" else output
    if the_loss.fused and output != the_loss.output:
        raise ValueError(f"{loss} is fused with {the_loss.output} and takes its logits, not {output} outputs")
    if init == "auto":
        init = [ACTIVATIONS[a].init for a in activations] + [OUTPUT_ACTIVATIONS[output].init]
    network = build_network(sizes, activations, None if the_loss.fused else output, init, rng,
                            init_scale=init_scale, dtype=dtype)
    return Model(network, the_loss, link=OUTPUT_ACTIVATIONS[output] if the_loss.fused else None, l2=l2)
