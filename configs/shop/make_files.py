"""Regenerate the shop example's tables (the files beside this script): an imaginary shop's
items, each with a price (numbers), a rating (numbers), a color (text: one of four) and whether
it was bought or skipped (string labels). 300 rows to train on, 100 held out with the same
columns, both drawn from one seeded generator. Run: python configs/shop/make_files.py

Bought when 1.5 (rating - 3) - 0.06 (price - 50) + the color's pull + noise > 0: red sells
best, green worst, so the color column matters as much as the numbers.
"""

from pathlib import Path

import numpy as np

here = Path(__file__).parent
PULL = {"red": 1.5, "black": 0.5, "blue": 0.0, "green": -1.5}


def table(n: int, rng: np.random.Generator) -> str:
    price = rng.uniform(5, 95, n).round(2)
    rating = rng.uniform(1, 5, n).round(1)
    color = rng.choice(list(PULL), n)
    score = 1.5 * (rating - 3) - 0.06 * (price - 50) + np.array([PULL[c] for c in color]) + rng.normal(0, 0.5, n)
    label = np.where(score > 0, "bought", "skipped")
    rows = zip(price.tolist(), rating.tolist(), color.tolist(), label.tolist(), strict=True)
    return "price,rating,color,label\n" + "".join(f"{p},{r},{c},{b}\n" for p, r, c, b in rows)


rng = np.random.default_rng(15)
(here / "train.csv").write_text(table(300, rng))
(here / "held-out.csv").write_text(table(100, rng))
