"""`Sequential` runs layers forward and backward; `Model` adds the loss, the L2 and L1
penalties, dropout's masks and the output activation used for predictions; `build_model` wires
them for a loss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnctl.nn.initializers import INITIALIZERS
from nnctl.nn.layers import ActivationLayer, Dense, dropout_mask
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
        theta = aligned_zeros(size, dtype)
        offset = 0
        for layer in self.dense:
            theta[offset : offset + layer.Wb.size] = layer.Wb.ravel()
            offset += layer.Wb.size
        self.bind(theta, aligned_zeros(size, dtype))
        self._after_first = self.layers[1:]
        # the activations of the hidden layers, which dropout masks: all but one after the last Dense
        self.hidden_activations = [layer for layer in self.layers[:-1] if isinstance(layer, ActivationLayer)]
        # backward's order; an activation before the output multiplies the fresh dX of the Dense
        # layer after it, which nothing else holds, in place
        self._backward = [(layer, isinstance(layer, ActivationLayer) and layer is not self.layers[-1])
                          for layer in self.layers[:0:-1]]

    def bind(self, theta: Array, grad: Array) -> None:
        """Use theta and grad, (P,) (or stacked runs' (K, P)), as θ and ∇θ from now on: every
        Dense layer's [W; b] and [dW; db] become views of them, in layer order. Their values
        are the network's weights; nothing is copied."""
        self.theta, self.grad, offset = theta, grad, 0
        for layer in self.dense:
            shape = layer.Wb.shape[-2:]
            where = slice(offset, offset + shape[0] * shape[1])
            layer.bind(theta[..., where].reshape(*theta.shape[:-1], *shape),
                       grad[..., where].reshape(*grad.shape[:-1], *shape))
            offset = where.stop

    @classmethod
    def stacked(cls, networks: Sequence[Sequential]) -> Sequential:
        """K networks of one shape as one network of K stacked runs (see nnctl.nn): θ and ∇θ
        (K, P), row i a copy of network i's; its layers take inputs (K, n, fan_in). One call of
        forward or backward serves all K, and gives each run the numbers its own network would."""
        first = networks[0]
        layers = [Dense(layer.W, layer.b) if isinstance(layer, Dense) else ActivationLayer(layer.name, layer.f)
                  for layer in first.layers]
        network = cls(layers)
        K, P = len(networks), first.theta.size
        theta = aligned_zeros(K * P, first.theta.dtype).reshape(K, P)
        for row, other in zip(theta, networks, strict=True):
            row[...] = other.theta
        network.bind(theta, aligned_zeros(K * P, first.theta.dtype).reshape(K, P))
        return network

    def forward(self, X: Array, ones: bool = False, masks: Sequence[Array | None] | None = None) -> Array:
        """X: (n, fan_in of layer 0), or [X, 1] when `ones` (see `with_ones`) -> output: (n,
        fan_out of the last layer). masks: dropout's, one (n, width_l) array or None per hidden
        layer, multiplied into its activations (training only); backward uses the same ones."""
        X = self.layers[0].forward(X, ones)
        if masks is None:
            for layer in self._after_first:
                X = layer.forward(X)
            return X
        mask_of = {id(layer): mask for layer, mask in zip(self.hidden_activations, masks, strict=True)}
        for layer in self._after_first:
            X = layer.forward(X, mask_of[id(layer)]) if id(layer) in mask_of else layer.forward(X)
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

    Regularisers, on weight matrices only (not biases): `l2` adds λ₂/2 · Σ‖W‖² to the objective
    and λ₂ W to dW; `l1` adds λ₁ Σ|W| and its subgradient λ₁ sign(W) (0 at W = 0), or, with
    `l1_clip`, leaves the gradient alone and is applied by `shrink` after each optimizer step
    (the reported objective still includes λ₁ Σ|W|). `dropout`: a rate p_l per hidden layer;
    masks are drawn (`draw_masks`) and given to `loss_and_grads` by the training loop only, so
    evaluation and prediction never drop.
    """

    def __init__(self, network: Sequential, loss: Loss, link=None, l2: float = 0.0, *, l1: float = 0.0,
                 l1_clip: bool = False, dropout: Sequence[float] = ()):
        self.network, self.loss, self.link, self.l2 = network, loss, link, l2
        self.l1, self.l1_clip = l1, l1_clip
        self.dropout = tuple(dropout) if any(dropout) else ()  # () when nothing drops
        self._penalty_grads = bool(l2 or (l1 and not l1_clip))  # whether loss_and_grads adds any

    def penalty_terms(self) -> dict[str, float]:
        """{"L2": λ₂/2 · Σ‖W‖², "L1": λ₁ Σ|W|}, sums over weight matrices (not biases), each
        present when its λ is above 0."""
        terms = {}
        if self.l2:
            terms["L2"] = 0.5 * self.l2 * sum(float(np.sum(d.W * d.W)) for d in self.network.dense)
        if self.l1:
            terms["L1"] = self.l1 * sum(float(np.sum(np.abs(d.W))) for d in self.network.dense)
        return terms

    def penalty(self, differentiated: bool = False) -> float:
        """The penalty the objective reports, the sum of `penalty_terms` (0.0 without). differentiated:
        only the terms whose gradient `loss_and_grads` adds (no L1 term when `l1_clip` applies it
        as its own step)."""
        if not (self.l2 or self.l1):
            return 0.0
        terms = self.penalty_terms()
        if differentiated and self.l1_clip:
            terms.pop("L1", None)
        return sum(terms.values(), 0.0)

    def objective(self, X: Array, T: Array, masks: Sequence[Array | None] | None = None,
                  differentiated: bool = False) -> float:
        """Loss plus penalties on a batch (dropout masks as in `loss_and_grads`), without
        touching gradients; `differentiated` as in `penalty`."""
        return self.loss.value(self.network.forward(X, masks=masks), T) + self.penalty(differentiated)

    def loss_and_grads(self, X: Array, T: Array, ones: bool = False,
                       masks: Sequence[Array | None] | None = None) -> tuple[float, Array]:
        """Forward and backward on one batch; sets every dW, db.

        X: (n, features), or [X, 1] when `ones`; T: targets as `loss.encode` makes them; masks:
        dropout's, one (n, width_l) array or None per hidden layer (see `draw_masks`), or None.
        Returns the objective (loss plus penalties) and what the loss saw (n, width), so
        callers can score the batch.
        """
        out = self.network.forward(X, ones, masks)
        value, dOut = self.loss.value_and_grad(out, T)
        self.network.backward(dOut, input_grad=False)
        return self.penalized(value), out

    def penalized(self, value: float) -> float:
        """The rest of a training step after the loss's backward pass: the penalties' gradients
        added into ∇θ, and `value` (the batch's loss) plus the penalties."""
        if self._penalty_grads:
            self.add_penalty_grads()
        if self.l2 or self.l1:
            value += self.penalty()
        return value

    def add_penalty_grads(self) -> None:
        """dW += λ₂ W + λ₁ sign(W) for every weight matrix (d/dW of λ₂/2 ‖W‖², a subgradient of
        λ₁ Σ|W| that is 0 at 0; no L1 term with `l1_clip`), in place in ∇θ."""
        for layer in self.network.dense:
            dW = layer.dW  # a view of ∇θ: added into, as the attribute cannot be assigned
            if self.l2:
                dW += self.l2 * layer.W
            if self.l1 and not self.l1_clip:
                dW += self.l1 * np.sign(layer.W)

    def shrink(self, lr: float) -> None:
        """loss.l1_clip's step, after the optimizer's: W ← W − lr·λ₁·sign(W) for every weight
        matrix, and a weight this would move across zero becomes exactly 0 (TensorFlow
        Playground's rule; with sign(W) taken after the optimizer's step it is soft-thresholding,
        the proximal step of λ₁ Σ|W|). Playground takes the sign from before the gradient step
        and never updates a zeroed weight again; here a zero weight comes back when one step's
        gradient moves it further than lr·λ₁. Nothing without `l1_clip`."""
        if not (self.l1 and self.l1_clip):
            return
        step = lr * self.l1
        for layer in self.network.dense:
            W = layer.W
            shrunk = W - step * np.sign(W)
            shrunk[W * shrunk < 0] = 0.0  # crossed zero
            W[...] = shrunk

    def draw_masks(self, rng: np.random.Generator, n: int) -> list[Array | None] | None:
        """Dropout masks for a batch of n rows: one (n, width_l) `dropout_mask` per hidden layer
        whose rate is above 0 (None for the others), drawn from rng in layer order; None when
        nothing drops (no draw at all)."""
        if not self.dropout:
            return None
        dtype = self.network.theta.dtype
        return [dropout_mask(rng, (n, layer.fan_out), p, dtype) if p else None
                for p, layer in zip(self.dropout, self.network.dense, strict=False)]

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
    l1: float = 0.0,
    l1_clip: bool = False,
    dropout: Sequence[float] = (),
    dtype=np.float64,
) -> Model:
    """A Model of layer widths `sizes` = [inputs, hidden…, outputs] trained with the loss named
    `loss` (a key of LOSSES), wired as the loss needs.

    output: the output activation's name, or "auto" for the loss's own. A fused loss (softmax +
    cross-entropy, sigmoid + binary-cross-entropy) takes the logits: the network ends at the
    last dense layer and the output activation becomes the model's `link`, applied only for
    predictions; any other loss gets the network with its output activation. init: "auto" picks
    for each dense layer the scheme that suits the activation after it; otherwise as in
    `build_network`, which also says how `rng`, `init_scale` and `dtype` are used. l2, l1,
    l1_clip, dropout (a rate per hidden layer): see `Model`.
    """
    the_loss = LOSSES[loss]
    output = the_loss.output if output == "auto" else output
    if the_loss.fused and output != the_loss.output:
        raise ValueError(f"{loss} is fused with {the_loss.output} and takes its logits, not {output} outputs")
    if init == "auto":
        init = [ACTIVATIONS[a].init for a in activations] + [OUTPUT_ACTIVATIONS[output].init]
    network = build_network(sizes, activations, None if the_loss.fused else output, init, rng,
                            init_scale=init_scale, dtype=dtype)
    return Model(network, the_loss, link=OUTPUT_ACTIVATIONS[output] if the_loss.fused else None, l2=l2,
                 l1=l1, l1_clip=l1_clip, dropout=dropout)
