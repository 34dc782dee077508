"""The teaching view: one forward and one backward pass, step by step, as BP1–BP4 compute them.

`explain(model, X, T)` runs the real layers (no second implementation of the math) and records
every intermediate array: for each layer l, the input a_{l-1}, z_l = a_{l-1} W_l + b_l and
a_l = σ(z_l) going forward; the loss; then δ_l = dL/dz_l, dW_l, db_l and dL/da_{l-1} going
backward. Layers are numbered 1..L here, as in Nielsen's book and the notebooks, while the
weight keys stay W0..W{L-1} as in model.npz.

With model.dropout the pass is a training one with one fixed set of masks (gradcheck's, drawn
from its MASK_SEED): a_l = σ(z_l) ⊙ m_l, and the steps show m_l. The L1 term is shown as the L2
one is: in the objective and as its own step after the layers' (or, with loss.l1_clip, as the
step after the optimizer's that it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnctl.assemble import encode_targets
from nnctl.errors import NnctlError
from nnctl.gradcheck import MASK_SEED, fixed_masks
from nnctl.nn.layers import ActivationLayer, Dense
from nnctl.nn.network import Model
from nnctl.runs import load_source

Array = np.ndarray


@dataclass
class Step:
    """One equation evaluated: its name, the formula, and the arrays it produced (copies: the
    layers reuse their buffers)."""

    title: str
    formula: str
    arrays: dict[str, Array] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.arrays = {name: np.array(a, copy=True) for name, a in self.arrays.items()}


@dataclass
class Explanation:
    forward: list[Step]
    loss: Step
    backward: list[Step]

    def to_dict(self, max_values: int = 64) -> dict[str, Any]:
        """JSON-ready: shapes always, values for arrays of at most `max_values` entries."""
        def step(s: Step) -> dict[str, Any]:
            arrays = {
                name: {"shape": list(a.shape), **({"values": a.tolist()} if a.size <= max_values else {})}
                for name, a in s.arrays.items()
            }
            return {"title": s.title, "formula": s.formula, "arrays": arrays}

        return {"forward": [step(s) for s in self.forward], "loss": step(self.loss),
                "backward": [step(s) for s in self.backward]}


def explain(model: Model, X: Array, T: Array) -> Explanation:
    """Run one forward and one backward pass of `model` on X (n, features), T (targets as the
    loss encodes them), recording each step. Parameter gradients are left set, as after
    `loss_and_grads`."""
    forward, out = _forward_steps(model, X, fixed_masks(model, X.shape[0]))
    loss_step, dOut = _loss_step(model, out, T, layers=len(forward))
    return Explanation(forward, loss_step, _backward_steps(model, dOut, layers=len(forward)))


def _forward_steps(model: Model, X: Array, masks: list[Array | None] | None = None) -> tuple[list[Step], Array]:
    """Layer by layer: z_l = a_{l-1} W_l + b_l and a_l = σ(z_l), times dropout's mask m_l (n,
    width_l) when `masks` gives one; the steps and the output (n, k)."""
    forward: list[Step] = []
    a, layers, loss = X, model.network.layers, model.loss
    masks = list(masks or []) + [None] * len(layers)  # the output layer's activation has none
    for i, layer in enumerate(layers):
        if not isinstance(layer, Dense):
            continue
        l = len(forward) + 1
        z = layer.forward(a)
        act = _activation_after(layers, i)
        arrays = {f"a{l - 1}": a, f"W{l - 1}": layer.W, f"b{l - 1}": layer.b, f"z{l}": z}
        if act is not None and masks[l - 1] is not None:
            a = act.forward(z, masks[l - 1])
            arrays[f"m{l}"], arrays[f"a{l}"] = masks[l - 1], a
            formula = (f"z{l} = a{l - 1} W{l - 1} + b{l - 1}\na{l} = {act.name}(z{l}) ⊙ m{l}  (dropout p = "
                       f"{model.dropout[l - 1]:g}: one fixed mask, seed {MASK_SEED}, kept units × 1/(1 − p); "
                       "training only)")
        elif act is not None:
            a = act.forward(z)
            arrays[f"a{l}"] = a
            formula = f"z{l} = a{l - 1} W{l - 1} + b{l - 1}\na{l} = {act.name}(z{l})"
        else:
            a = z
            formula = f"z{l} = a{l - 1} W{l - 1} + b{l - 1}  (logits: {loss.name} applies {loss.output} itself)"
        forward.append(Step(f"layer {l}", formula, arrays))
    return forward, a


def _loss_step(model: Model, out: Array, T: Array, layers: int) -> tuple[Step, Array]:
    """The objective (the loss, plus the L2 and L1 penalties when there are) and
    dL/d(output), (n, k): δ_L itself when the loss is fused with the output activation."""
    loss, L = model.loss, layers
    value, dOut = loss.value(out, T), loss.grad(out, T)
    arrays = {"y": np.asarray(T)}
    if loss.fused:
        arrays["p"] = model.link.fn(out)
    formula = f"L = {loss.name}(output, y), a mean over the batch"
    terms = model.penalty_terms()
    if terms:
        arrays["data term"] = np.asarray(value)
        arrays.update({f"{name} term": np.asarray(term) for name, term in terms.items()})
        value += model.penalty()
    if model.l2:
        formula += f"\n  + λ/2 Σ‖W‖², the L2 penalty (λ = {model.l2:g})"
    if model.l1:
        formula += f"\n  + λ Σ|W|, the L1 penalty (λ = {model.l1:g})"
        if model.l1_clip:
            formula += ", reported, not differentiated (loss.l1_clip: a step of its own)"
    if terms and not model.l1_clip:
        formula += ": the objective differentiated below"
    arrays["L"] = np.asarray(value)
    arrays[f"δ{L}" if loss.fused else f"dL/da{L}"] = dOut
    formula += (f"\nfused with {loss.output}: p = {loss.output}(z{L}), δ{L} = (p − y)/n" if loss.fused
                else f"\ndL/da{L} = ∂L/∂output")
    return Step("loss", formula, arrays), dOut


def _backward_steps(model: Model, dOut: Array, layers: int) -> list[Step]:
    """From the last layer down: δ_l by BP1/BP2, then BP3, BP4 and dL/da_{l-1}; the L2 step last."""
    backward: list[Step] = []
    grad, L, fused, net = dOut, layers, model.loss.fused, model.network
    for i in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[i]
        if isinstance(layer, ActivationLayer):
            continue
        l = sum(isinstance(x, Dense) for x in net.layers[: i + 1])
        act = _activation_after(net.layers, i)
        arrays: dict[str, Array] = {}
        if act is not None:  # the activation after this dense layer: BP1 (last layer) or BP2's ⊙ σ'(z)
            delta = act.backward(grad)  # with the mask of the forward pass, if any
            dropped = f" ⊙ m{l}" if act.mask is not None else ""
            formula = f"{'BP1' if l == L else 'BP2'}  δ{l} = dL/da{l}{dropped} ⊙ {act.name}'(z{l})"
            arrays[f"dL/da{l}"] = grad
        else:
            delta = grad
            formula = f"BP1  δ{l} = (p − y)/n  (fused)" if fused and l == L else f"δ{l} = dL/dz{l}"
        arrays[f"δ{l}"] = delta
        grad = layer.backward(delta)
        arrays[f"dW{l - 1}"], arrays[f"db{l - 1}"] = layer.dW, layer.db
        formula += f"\nBP4  dW{l - 1} = a{l - 1}ᵀ δ{l}\nBP3  db{l - 1} = Σ over the batch of δ{l}"
        if l > 1:
            arrays[f"dL/da{l - 1}"] = grad
            formula += f"\n     dL/da{l - 1} = δ{l} W{l - 1}ᵀ  (carried to BP2 of layer {l - 1})"
        backward.append(Step(f"layer {l}", formula, arrays))
    return backward + _penalty_steps(model)


def _penalty_steps(model: Model) -> list[Step]:
    """The L2 and L1 terms' step after the layers' (`Model.add_penalty_grads`), titled by the
    terms it adds; with loss.l1_clip, the shrink step that follows the optimizer's."""
    net, added = model.network, []
    if model.l2:
        added.append(("L2", f"dW += λ W for every weight matrix (λ = {model.l2:g})"))
    if model.l1 and not model.l1_clip:
        added.append(("L1", f"dW += λ sign(W) for every weight matrix (λ = {model.l1:g}; 0 where W = 0)"))
    steps = []
    if added:
        model.add_penalty_grads()
        steps.append(Step(" + ".join(t for t, _ in added), "\n".join(f for _, f in added),
                          {f"dW{i}": d.dW for i, d in enumerate(net.dense)}))
    if model.l1 and model.l1_clip:
        steps.append(Step("L1 (clip)", f"after the optimizer's step (loss.l1_clip, λ = {model.l1:g}): "
                          "W ← W − lr λ sign(W), and a weight that crosses 0 becomes exactly 0",
                          {f"sign(W{i})": np.sign(d.W) for i, d in enumerate(net.dense)}))
    return steps


def _activation_after(layers, i: int) -> ActivationLayer | None:
    """The activation applied to dense layer i's output, if any (none before a fused loss)."""
    after = layers[i + 1] if i + 1 < len(layers) else None
    return after if isinstance(after, ActivationLayer) else None


def explain_source(source, overrides=(), *, samples: int = 1):
    """`nnctl explain`: a config (initial weights) or a run directory (trained weights), on the
    first `samples` training samples."""
    if samples < 1:
        raise NnctlError(f"--samples: must be ≥ 1, got {samples}")
    model, dataset = load_source(source, overrides)
    X = dataset.X_train[:samples]
    T = encode_targets(model, dataset, dataset.y_train[:samples])
    return explain(model, X, T)
