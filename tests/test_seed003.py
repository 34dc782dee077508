"""Seed 003 replayed: nnctl's mini-batch SGD equals the book's update written out (Nielsen's
network.py: quadratic cost with its ½, sigmoid units, weights drawn N(0, 1)), weight for weight."""

import json
from pathlib import Path

import numpy as np

import nnctl
from nnctl.config import load_config

CONFIG = Path(__file__).parents[1] / "configs" / "seed003-circles.yaml"


NOTEBOOK = Path(__file__).parents[1] / "examples" / "seed003-beside-nielsen.ipynb"


def book_epoch(weights, biases, X, y, eta, m):
    """One epoch of network.py's SGD without shuffling, as the seed 003 example writes it out (the
    cell that defines `book_epoch`, read from the notebook: one copy of the book's update, the one
    its readers see): W_l (out, in), b_l (out, 1), the gradients summed per example over each
    mini-batch of m rows and a step of eta/len(mini_batch)."""
    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    source = next(c for c in cells if "def book_epoch(" in c)
    namespace = {"np": np}
    exec(source[:source.index("\n\n\nepochs")], namespace)  # the two definitions, not the cell's run
    return namespace["book_epoch"](weights, biases, X, y, eta, m)


def test_nnctl_equals_the_books_mini_batch_update_after_five_epochs(tmp_path):
    eta, epochs = 6.0, 5  # Nielsen's eta is twice nnctl's lr: his cost has the ½, nnctl's mse has not
    config = load_config(CONFIG, ["train.shuffle=false", f"train.epochs={epochs}", "train.checkpoint_every=1",
                                  f"optimizer.lr={eta / 2}", "data.n_samples=400"])
    run = nnctl.train(config, run_dir=tmp_path / "run", quiet=True)
    start = nnctl.load_run(run.path, checkpoint=0).model.network.params()
    assert np.std(start["W0"]) > 0.5  # init: normal, N(0, 1) as the book's
    weights = [start[f"W{i}"].T for i in range(3)]
    biases = [start[f"b{i}"].reshape(-1, 1) for i in range(3)]
    for _ in range(epochs):
        weights, biases = book_epoch(weights, biases, run.dataset.X_train, run.dataset.y_train, eta, 50)
    ours = run.model.network.params()
    moved = max(np.abs(ours["W0"] - start["W0"]).max(), np.abs(ours["W2"] - start["W2"]).max())
    assert moved > 0.1  # the comparison is of weights that learned, not of the start
    for i in range(3):
        np.testing.assert_allclose(ours[f"W{i}"], weights[i].T, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours[f"b{i}"], biases[i][:, 0], rtol=0, atol=1e-12)
