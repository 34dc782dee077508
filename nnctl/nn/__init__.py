"""The backprop core: layers, activations, losses, optimizers, initialisers. NumPy only.

Conventions (read these once, they hold everywhere below):

- Row vectors, as in NumPy and scikit-learn: a batch X has shape (n, features). A dense layer
  computes Z = X @ W + b with W: (fan_in, fan_out) and b: (fan_out,). Nielsen's book and some seed
  notebooks use column vectors (z = W x + b with W: (fan_out, fan_in)); transpose to compare.
- dQ means dL/dQ and has Q's shape. Z is a pre-activation, A an activation, n the batch size.
  delta (Nielsen's δ) is dZ.
- Layers are indexed 0..L-1, the same as the weight keys W0, b0, W1, b1, ... in model.npz.
- Losses are means over the batch, so the dZ that the loss hands to the last layer already
  carries the factor 1/n.
- Stacked runs: every array may carry a leading axis of K runs of one shape (a batch (K, n,
  features), a layer's [W; b] (K, fan_in + 1, fan_out), θ (K, P): `Sequential.stacked`), which
  `nnctl.lockstep` trains together, one NumPy call serving all K. So the core transposes the
  last two axes (`swapaxes(-1, -2)`, which is `.T` on a matrix), reduces the last one, and a
  loss's value is one float per run. Each run's numbers are those it gets alone, bit for bit:
  element-wise operations do not see their neighbours, a stacked matmul is one BLAS call per
  run's matrix, and a run's value is reduced from its own rows as the lone run's is.

The four backprop equations, and where each is computed:
  BP1  delta_L = dL/dA_L ⊙ σ'(Z_L)      the output layer's delta
       fused with softmax or sigmoid: (P - Y) / n in one go, in losses.py
       CrossEntropy.value_and_grad and BinaryCrossEntropy.grad; otherwise dL/dA_L is the
       loss's `value_and_grad` (losses.py) and ⊙ σ'(Z_L) is ActivationLayer.backward
       (layers.py), which calls Activation.backward (Softmax.backward for a softmax output) in
       activations.py
  BP2  delta_l = (delta_{l+1} @ W_{l+1}.T) ⊙ σ'(Z_l)
       the product is the return line of Dense.backward (layers.py), the ⊙ σ'(Z_l) again
       ActivationLayer.backward
  BP3  db_l = delta_l summed over the batch
  BP4  dW_l = A_{l-1}.T @ delta_l
       both in Dense.backward (layers.py), as one product [A_{l-1}, 1].T @ delta_l = [dW_l; db_l]
The chain from layer to layer is Sequential.backward (network.py); Model.loss_and_grads
(network.py) runs forward (with dropout's masks in training), the loss, the chain and the L2
and L1 terms (Model.add_penalty_grads; Model.shrink for L1 as its own step).
build_model (network.py) wires a network to its loss: a fused loss takes the logits.

Layer 0 of nnctl: nothing in this package imports yaml, pydantic, typer, matplotlib or the rest
of nnctl.
"""
