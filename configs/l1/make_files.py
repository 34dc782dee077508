"""Regenerate circles-seven.csv (beside this script): configs/circles.yaml's data, 1 000 points of
one circle inside another (nnctl's circles set, noise 0.1, factor 0.5, from seed 0's data
stream), with TensorFlow Playground's seven input features computed from the two coordinates:
x0, x1, x0^2, x1^2, x0*x1, sin(x0), sin(x1), and the class as `label`.
Run: python configs/l1/make_files.py

Only x0^2 + x1^2 (the squared radius) tells the classes apart: the other five are useless.
"""

from pathlib import Path

import numpy as np

from nnctl.assemble import Streams
from nnctl.data import make_circles

here = Path(__file__).parent
X, y = make_circles(1000, noise=0.1, factor=0.5, rng=Streams.from_seed(0).data)
x0, x1 = X[:, 0], X[:, 1]
columns = {"x0": x0, "x1": x1, "x0^2": x0**2, "x1^2": x1**2, "x0*x1": x0 * x1, "sin(x0)": np.sin(x0),
           "sin(x1)": np.sin(x1)}
rows = np.column_stack(list(columns.values()))
lines = [",".join([*columns, "label"])]
lines += [",".join([*(f"{v:.6f}" for v in row), str(label)]) for row, label in zip(rows, y, strict=True)]
(here / "circles-seven.csv").write_text("\n".join(lines) + "\n")
