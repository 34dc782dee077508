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

The four backprop equations, as they appear in the code:
  BP1  delta_L = dL/dA_L ⊙ σ'(Z_L)      (or, fused with softmax/sigmoid: (P - Y) / n)
  BP2  delta_l = (delta_{l+1} @ W_{l+1}.T) ⊙ σ'(Z_l)
  BP3  db_l = delta_l summed over the batch
  BP4  dW_l = A_{l-1}.T @ delta_l

Nothing in this package imports yaml, pydantic, typer, matplotlib or the rest of nnctl.
"""
