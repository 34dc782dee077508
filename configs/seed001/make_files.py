"""Regenerate seed 001's exact data and initial weights (the files beside this script).

The notebook draws make_moons(200, noise=0.20) after np.random.seed(0), and its build_model
draws W1 = randn(2, 3) / sqrt(2), W2 = randn(3, 2) / sqrt(3) after np.random.seed(0) again,
with zero biases. Run: python configs/seed001/make_files.py
"""

from pathlib import Path

import numpy as np
import sklearn.datasets

here = Path(__file__).parent
np.random.seed(0)
X, y = sklearn.datasets.make_moons(200, noise=0.20)
rows = "\n".join(f"{float(a)!r},{float(b)!r},{int(c)}" for (a, b), c in zip(X, y))
(here / "moons.csv").write_text("x0,x1,label\n" + rows + "\n")

np.random.seed(0)
nn_input_dim, nn_hdim, nn_output_dim = 2, 3, 2
W1 = np.random.randn(nn_input_dim, nn_hdim) / np.sqrt(nn_input_dim)
W2 = np.random.randn(nn_hdim, nn_output_dim) / np.sqrt(nn_hdim)
np.savez(here / "init.npz", W0=W1, b0=np.zeros(nn_hdim), W1=W2, b1=np.zeros(nn_output_dim))
