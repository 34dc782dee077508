"""Writes the five example notebooks, seed00N-*.ipynb, from the cells below, without outputs.

    python examples/make_notebooks.py

Each redoes one of the five notebooks nnctl grew from (its "seed") with nnctl: the same data, net,
loss and optimizer, in a handful of cells, and ends with a cell of asserts, one for every number
its text states, so a drifted number fails `make test` (tests/test_examples.py runs them all on a
fresh kernel). Edit the cells here, not in the .ipynb files: git holds them without outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = """\
import tempfile
from pathlib import Path

import numpy as np

import nnctl
from nnctl import load_config

configs = Path("../configs")  # the seeds' experiments, as nnctl configs
work = Path(tempfile.mkdtemp(prefix="nnctl-example-"))  # run directories go here, not into the clone"""

SEED000 = [
    new_markdown_cell("""\
# Seed 000 — backpropagation from scratch, then Adam

The seed notebook fits $F(x, y) = x/2 + y/2$ on two noisy ramps (1 000 points, uniform noise ±0.05)
with a 2-3-1 network whose hidden layer is a sigmoid, by 200 000 hand-written gradient steps; then it
trains a Keras model with Adam on the same data and says how much simpler that is.

With nnctl both are one config, `configs/seed000-noisy-linear.yaml`: plain gradient descent
(`sgd`) and Adam side by side, 100 epochs of mini-batches of 32 each."""),
    new_code_cell(SETUP),
    new_code_cell("""\
config = configs / "seed000-noisy-linear.yaml"
sgd = nnctl.train(load_config(config, ["optimizer.name=sgd", "optimizer.lr=0.1"]), quiet=True)
adam = nnctl.train(load_config(config), quiet=True)  # the config's own rule: adam, lr 0.01
sgd"""),
    new_code_cell("adam"),
    new_markdown_cell("""\\
Both learn the plane (the fit pictures above); Adam gets there about six times closer in the same 100
epochs: validation loss (mean squared error) 0.00024 with sgd at lr 0.1, 0.000039 with Adam at
lr 0.01. The loss pictures show when: Adam's validation loss first drops below 0.001 at epoch 9,
sgd's at epoch 31."""),
    new_code_cell("""\
below = {run.config.optimizer.name: next(r["epoch"] for r in run.history if r["val_loss"] < 1e-3) for run in (sgd, adam)}
below"""),
    new_markdown_cell("""\
## nnctl's Adam against PyTorch's, step for step

nnctl's optimizers follow `torch.optim`'s definitions. Train the same net full-batch for 5 steps,
keeping every step's weights, and let PyTorch take the same 5 steps from the same start: the weights
agree to 1e-12 at every step."""),
    new_code_cell("""\
steps = 5
exact = nnctl.train(load_config(config, ["train.batch_size=full", "train.shuffle=false", f"train.epochs={steps}",
                                         "train.checkpoint_every=1"]), run_dir=work / "adam-steps", quiet=True)
saved = [nnctl.load_run(exact.path, checkpoint=k).model.network.params() for k in range(steps + 1)]
try:
    import torch
except ImportError:
    torch = None
    print("skipped: PyTorch is not installed here (pip install torch to compare step for step)")
if torch is not None:
    start = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in saved[0].items()}
    X = torch.tensor(exact.dataset.X_train)
    Y = torch.tensor(exact.dataset.y_train).reshape(len(X), -1)
    optimizer = torch.optim.Adam(start.values(), lr=0.01)
    differences = []
    for k in range(1, steps + 1):
        optimizer.zero_grad()
        out = torch.sigmoid(X @ start["W0"] + start["b0"]) @ start["W1"] + start["b1"]
        torch.nn.functional.mse_loss(out, Y).backward()
        optimizer.step()
        differences.append(max(np.abs(saved[k][name] - t.detach().numpy()).max() for name, t in start.items()))
    print("largest |nnctl − torch| per step:", ", ".join(f"{d:.1e}" for d in differences))"""),
    new_code_cell("""\
assert f"{sgd.summary['final']['val_loss']:.2g}" == "0.00024"
assert f"{adam.summary['final']['val_loss']:.2g}" == "3.9e-05"
assert sgd.summary["epochs"] == adam.summary["epochs"] == 100
assert below == {"sgd": 31, "adam": 9}
assert round(sgd.summary["final"]["val_loss"] / adam.summary["final"]["val_loss"]) == 6  # "six times closer"
assert len(adam.dataset.X_train) + len(adam.dataset.X_val) == 1000 and adam.model.network.sizes == [2, 3, 1]
assert adam.config.train.batch_size == 32
if torch is not None:
    assert len(differences) == 5 and max(differences) < 1e-12"""),
]

SEED001 = [
    new_markdown_cell("""\
# Seed 001 — the backpropagation algorithm, on make_moons

The seed notebook builds a 2-3-2 network (tanh, softmax) for `make_moons(200, noise=0.20)` and
trains it by full-batch gradient descent with L2 on the weights, leaving the backpropagation
lines for the reader to fill in. `configs/seed001-moons.yaml` is its experiment with the
notebook's own data and initial weights (`configs/seed001/`); its comment explains the learning
rate (the notebook sums its loss, nnctl takes the mean)."""),
    new_code_cell(SETUP),
    new_markdown_cell("""\
## The numbers the seed printed

As published, the exercise was left blank: only the L2 term moved the weights, shrinking them by
(1 − ε·λ) = 0.9999 a pass, so the net faded and its loss crept up from 0.583953 after the first pass
to 0.654996 after 7 001. nnctl measures the same loss of the same shrunk weights (its epoch 0)."""),
    new_code_cell("""\
init = dict(np.load(configs / "seed001" / "init.npz"))
printed = {}
for i in range(0, 8000, 1000):
    shrunk = {k: v * 0.9999 ** (i + 1) if k.startswith("W") else v for k, v in init.items()}
    np.savez(work / "shrunk.npz", **shrunk)
    run = nnctl.train(load_config(configs / "seed001-moons.yaml",
                                  ["train.epochs=0", f"model.init_from={work / 'shrunk.npz'}"]), quiet=True)
    printed[i] = run.history[0]["train_loss"]
    print(f"Loss after iteration {i}: {printed[i]:f}")"""),
    new_markdown_cell("""\
## With backpropagation filled in

nnctl's backprop is the filled-in exercise. 1 000 full-batch passes take the loss from 0.5839 to
0.0689, with 97.5% of the points right; the boundary bends around the moons."""),
    new_code_cell("""\
moons = nnctl.train(load_config(configs / "seed001-moons.yaml", ["train.epochs=1000"]))  # its progress: one bar
moons"""),
    new_code_cell("""\
final = moons.summary["final"]
assert [f"{printed[i]:f}" for i in range(0, 8000, 1000)] == [
    "0.583953", "0.596599", "0.608673", "0.619947", "0.630269", "0.639559", "0.647793", "0.654996"]
assert f"{moons.history[0]['train_loss']:.4f}" == "0.5839"
assert len(moons.dataset.X_train) == 200 and moons.model.network.sizes == [2, 3, 2]
assert f"{final['train_loss']:.4f}" == "0.0689"
assert f"{final['train_accuracy']:.1%}" == "97.5%"
assert moons.summary["epochs"] == 1000"""),
]

SEED002 = [
    new_markdown_cell("""\
# Seed 002 — model, loss, optimizer; then move the data

The seed notebook designs a model, a loss and an optimizer as three objects, and trains a linear
model $f(x) = w^T x + b$ by stochastic gradient descent, one random sample per step, on two Gaussian
clouds of 1 000 points each around (0, 0) and (3, 3): first with least squares, then with the hinge
loss $\\max(0, 1 - t \\cdot f(x))$. Its last experiment keeps the trained line fixed and moves the
*data* down the gradient until every point is on its class's side.

`configs/seed002-hinge.yaml` is that setup: no hidden layer, `batch_size: 1`, sgd at lr 0.01."""),
    new_code_cell(SETUP),
    new_code_cell("""\
config = configs / "seed002-hinge.yaml"
squares = nnctl.train(load_config(config, ["loss.name=mse"]), quiet=True)
hinge = nnctl.train(load_config(config), quiet=True)
hinge"""),
    new_markdown_cell("""\
Least squares and the hinge both find a line between the clouds: 97.8% of the validation points on
the right side either way (the clouds overlap). The least-squares line:"""),
    new_code_cell('squares.plot("boundary")'),
    new_markdown_cell("""\
## Move the data, not the weights

With the line fixed, every training point steps by $x \\leftarrow x - 0.05\\,\\partial l/\\partial x$
until the model classifies each one correctly (`nnctl move-data RUN --until-correct` on the command
line). Only the points inside the margin move, straight across the line: the hinge's gradient is
0 beyond it. 23 steps; 24 of the 1 600 training points change class, 1 576 → 1 600 right."""),
    new_code_cell("""\
from nnctl import plots
from nnctl.assemble import encode_targets
from nnctl.move_data import move_points, summary_line
from nnctl.pictures import plot_data, predict_scores

d = hinge.dataset
moved = move_points(hinge.model, hinge.preprocessing, d.X_train, d.y_train,
                    encode_targets(hinge.model, d, d.y_train), steps=1000, lr=0.05, until_correct=True)
print(summary_line(moved, 0.05))
plots.plot_moved(predict_scores(hinge), plot_data(hinge), moved.X_start, moved.X_end, None,
                 title="seed002-hinge · moved the data, not the weights", score_label=hinge.model.loss.score_label)"""),
    new_code_cell("""\
assert f"{squares.summary['final']['val_accuracy']:.1%}" == "97.8%"
assert f"{hinge.summary['final']['val_accuracy']:.1%}" == "97.8%"
assert moved.steps == 23
assert moved.changed_class == 24 and len(moved.y) == 1600
assert (int(moved.correct_before.sum()), int(moved.correct_after.sum())) == (1576, 1600)
assert len(d.X_train) + len(d.X_val) == 2000 and hinge.config.train.batch_size == 1"""),
]

SEED003 = [
    new_markdown_cell("""\
# Seed 003 — from one neuron to vectorised mini-batches, and Nielsen's network.py

The seed notebook derives the four backpropagation equations, vectorises them over a mini-batch,
and trains a 2-3-3-1 sigmoid network with the quadratic cost on
`make_circles(1000, factor=0.3, noise=0.1)` in mini-batches of 50, weights drawn N(0, 1). Then it
trains Nielsen's `network.py` beside its vectorised version from the same start and shows the
weights are identical.

`configs/seed003-circles.yaml` is the experiment. Nielsen's cost is $\\frac{1}{2n}\\sum (a - y)^2$,
half of nnctl's mean squared error, so his η is twice nnctl's lr."""),
    new_code_cell(SETUP),
    new_markdown_cell("""\
The seed's η = 0.01 (lr 0.005) for 10 epochs barely moves: 50.0% validation accuracy, chance. η = 6
(lr 3) for 300 epochs learns the ring: 100.0%."""),
    new_code_cell("""\
config = configs / "seed003-circles.yaml"
timid = nnctl.train(load_config(config, ["optimizer.lr=0.005", "train.epochs=10"]), quiet=True)
ring = nnctl.train(load_config(config), run_dir=work / "ring", quiet=True)
print(f"lr 0.005, 10 epochs: {timid.summary['final']['val_accuracy']:.1%}")
ring"""),
    new_markdown_cell("""\
What each unit computes at the end, over the input plane (and, with `epoch=`, any checkpoint's):"""),
    new_code_cell('ring.plot("neurons")'),
    new_markdown_cell("""\
## nnctl against the book's update, written out

Nielsen's `update_mini_batch`: for each example, backprop with column vectors, sum the gradients
over the mini-batch, step by η/m. From nnctl's initial weights, five epochs of it against five of
nnctl (`shuffle: false`, so both take the batches in the same order)."""),
    new_code_cell("""\
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_epoch(weights, biases, X, y, eta, m):
    \"\"\"One epoch of network.py's SGD without shuffling: W_l (out, in), b_l (out, 1).\"\"\"
    for k in range(0, len(X), m):
        nabla_w = [np.zeros_like(w) for w in weights]
        nabla_b = [np.zeros_like(b) for b in biases]
        for x, t in zip(X[k:k + m], y[k:k + m]):
            activations = [x.reshape(-1, 1)]
            for w, b in zip(weights, biases):
                activations.append(sigmoid(w @ activations[-1] + b))
            a = activations[-1]
            delta = (a - t) * a * (1 - a)  # BP1, quadratic cost ½(a − y)²
            for l in range(1, len(weights) + 1):
                if l > 1:
                    a = activations[-l]
                    delta = (weights[-l + 1].T @ delta) * a * (1 - a)  # BP2
                nabla_b[-l] += delta  # BP3
                nabla_w[-l] += delta @ activations[-l - 1].T  # BP4
        weights = [w - eta / len(X[k:k + m]) * nw for w, nw in zip(weights, nabla_w)]
        biases = [b - eta / len(X[k:k + m]) * nb for b, nb in zip(biases, nabla_b)]
    return weights, biases


epochs, eta = 5, 6.0
mine = nnctl.train(load_config(config, ["train.shuffle=false", f"train.epochs={epochs}", "train.checkpoint_every=1",
                                        f"optimizer.lr={eta / 2}"]), run_dir=work / "beside-the-book", quiet=True)
start = nnctl.load_run(mine.path, checkpoint=0).model.network.params()
weights = [start[f"W{i}"].T for i in range(3)]
biases = [start[f"b{i}"].reshape(-1, 1) for i in range(3)]
for _ in range(epochs):
    weights, biases = book_epoch(weights, biases, mine.dataset.X_train, mine.dataset.y_train, eta, 50)
ours = mine.model.network.params()
gap = max(max(np.abs(ours[f"W{i}"].T - weights[i]).max(), np.abs(ours[f"b{i}"] - biases[i][:, 0]).max())
          for i in range(3))
print(f"after {epochs} epochs, largest |nnctl − book| over every weight and bias: {gap:.1e}")"""),
    new_code_cell("""\
assert f"{timid.summary['final']['val_accuracy']:.1%}" == "50.0%"
assert f"{ring.summary['final']['val_accuracy']:.1%}" == "100.0%"
assert ring.summary["epochs"] == 300
assert gap < 1e-12
assert len(ring.dataset.X_train) + len(ring.dataset.X_val) == 1000 and ring.model.network.sizes == [2, 3, 3, 1]
assert ring.config.train.batch_size == 50 and epochs == 5"""),
]

SEED004 = [
    new_markdown_cell("""\
# Seed 004 — a network learns a picture (Marquardt, lecture 2)

The seed notebook (Florian Marquardt's "Machine Learning for Physicists") writes backpropagation in
pure Python and teaches a 2-100-1 relu network, weights drawn U(−0.1, 0.1), the 2-D function
$e^{-5 r^2}\\,|x_0 + x_1|$ on $[-0.5, 0.5]^2$, then animates the network's picture as it trains.

`configs/seed004-bump.yaml` is the experiment with 4 000 samples drawn once and Adam; here 100
epochs instead of 200 (the picture is already there)."""),
    new_code_cell(SETUP),
    new_code_cell("""\
bump = nnctl.train(load_config(configs / "seed004-bump.yaml", ["train.epochs=100", "output.animation.frames=4"]),
                   run_dir=work / "bump", quiet=True)
print(f"final val_loss {bump.summary['final']['val_loss']:.2g}")"""),
    new_markdown_cell("""\
The final validation loss (mean squared error) is 1.9e-05; the target's values reach about 0.3.
The seed's animation: the network's picture, its hidden layer and the loss, through training
(`bump` alone, as a cell's value, shows the run with its final picture and loss)."""),
    new_code_cell("bump.animation(dpi=60)  # small frames: drawn in a few seconds"),
    new_code_cell("""\
assert f"{bump.summary['final']['val_loss']:.2g}" == "1.9e-05"
assert bump.summary["epochs"] == 100
assert len(bump.dataset.X_train) + len(bump.dataset.X_val) == 4000 and bump.model.network.sizes == [2, 100, 1]
assert 0.25 < max(bump.dataset.y_train.max(), bump.dataset.y_val.max()) < 0.35  # reach about 0.3"""),
]

NOTEBOOKS = {
    "seed000-backprop-and-adam.ipynb": SEED000,
    "seed001-moons.ipynb": SEED001,
    "seed002-move-the-data.ipynb": SEED002,
    "seed003-beside-nielsen.ipynb": SEED003,
    "seed004-bump.ipynb": SEED004,
}
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(cells: list) -> nbformat.NotebookNode:
    """A notebook of `cells`, without outputs or execution counts, on the python3 kernel."""
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # stable ids: regenerating changes no line that did not change
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(notebook(cells), HERE / name)


if __name__ == "__main__":
    main()
