"""Computed input features (layer 1): `data.features`, TensorFlow Playground's input nodes.

An item of `data.features` is one of the FORMS: a column name; `name^k` (k = 2 or 3); `a*b`;
`sin(name)`; `cos(name)`, where the names are the data's raw columns (a generated set's x0, x1,
...; a CSV's header). Items are parsed against the columns, never evaluated. A text column may
be listed alone (its one-hot inputs, "color=red", ...), never inside a transform.

The map works on the base inputs B (n, b): the raw columns as numbers, a text column as its
one-hot inputs (`data.input_names` names them), before standardisation. `feature_map` gives the
network's inputs F (n, d) before standardisation, `feature_vjp` takes dL/dF back to dL/dB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnctl.errors import NnctlError

Array = np.ndarray
FORMS = "a column, name^2, name^3, a*b, sin(name), cos(name)"
POWERS = ("2", "3")
MAX_LISTED = 10  # column names an error lists


@dataclass(frozen=True)
class Op:
    """A transform of base inputs a (its arguments, each (n,)): value(a, k) (n,) and the partial
    derivatives grad(a, k), one (n,) (or a number) per argument."""

    value: Callable[[list[Array], int], Array]
    grad: Callable[[list[Array], int], list]


OPS: dict[str, Op] = {
    "column": Op(lambda a, k: a[0], lambda a, k: [1.0]),
    "power": Op(lambda a, k: a[0] ** k, lambda a, k: [k * a[0] ** (k - 1)]),
    "product": Op(lambda a, k: a[0] * a[1], lambda a, k: [a[1], a[0]]),
    "sin": Op(lambda a, k: np.sin(a[0]), lambda a, k: [np.cos(a[0])]),
    "cos": Op(lambda a, k: np.cos(a[0]), lambda a, k: [-np.sin(a[0])]),
}


@dataclass(frozen=True)
class Feature:
    """One network input: `name` as written (a listed text column gives one per category, named
    "column=category"), `op` a key of OPS, `at` the indices of its arguments in the base inputs,
    `k` the power (1 for the other ops)."""

    name: str
    op: str
    at: tuple[int, ...]
    k: int = 1


def parse_features(items: Sequence[str], columns: Sequence[str], categories: Sequence[list[str] | None],
                   key: str = "data.features") -> list[Feature]:
    """The items of `data.features` -> the network's inputs, in order. columns (m,) are the raw
    column names and categories (m,) None for a number column or the text column's categories.
    An item that is not one of the FORMS over these columns is refused, naming it (`key[i]`)."""
    if not items:
        raise NnctlError(f"{key}: an empty list (list at least one feature, or leave the key out for the raw columns)")
    starts = np.cumsum([0, *(1 if cats is None else len(cats) for cats in categories)])
    place = {name: (int(start), cats) for name, start, cats in zip(columns, starts, categories, strict=False)}
    features, seen = [], set()
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        text = item.strip() if isinstance(item, str) else item
        if not isinstance(text, str) or not text:
            raise NnctlError(f"{where}: expected a feature like x0^2, got {item!r} (the forms: {FORMS})")
        if text in seen:
            raise NnctlError(f"{where}: {text!r} is listed twice (list it once)")
        seen.add(text)
        op, names, k = _form(text, where, place)
        if op == "column" and place[text][1] is not None:  # a text column: its one-hot inputs
            start, cats = place[text]
            features += [Feature(f"{text}={c}", "column", (start + j,)) for j, c in enumerate(cats)]
            continue
        for name in names:
            if place[name][1] is not None:
                raise NnctlError(f"{where}: {text!r}: {name!r} is a text column (one-hot inputs), which no transform "
                                 f"takes (list it alone: {name})")
        features.append(Feature(text, op, tuple(place[name][0] for name in names), k))
    return features


def _form(text: str, where: str, place: dict) -> tuple[str, tuple[str, ...], int]:
    """(op, argument column names, k) of one stripped item, or the error naming it."""
    if text in place:
        return "column", (text,), 1
    for op in ("sin", "cos"):
        if text.startswith(op) and text[len(op):].lstrip().startswith("(") and text.endswith(")"):
            inner = text[len(op):].lstrip()[1:-1].strip()
            return op, (_column(inner, text, where, place),), 1
    base, hat, power = text.rpartition("^")
    if hat:
        if power.strip() not in POWERS:
            raise NnctlError(f"{where}: {text!r}: the power must be 2 or 3, not {power.strip()!r} (the forms: {FORMS})")
        return "power", (_column(base.strip(), text, where, place),), int(power)
    splits = [(text[:j].strip(), text[j + 1:].strip()) for j, c in enumerate(text) if c == "*"]
    for a, b in splits:
        if a in place and b in place:
            return "product", (a, b), 1
    if splits:
        a, b = splits[0]
        _column(a, text, where, place)
        _column(b, text, where, place)
    raise NnctlError(f"{where}: {text!r} is neither a column nor a feature (the forms: {FORMS}; "
                     f"the columns: {_listed(list(place))})")


def _column(name: str, text: str, where: str, place: dict) -> str:
    if name not in place:
        raise NnctlError(f"{where}: {text!r}: no column {name!r} (the columns: {_listed(list(place))})")
    return name


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:MAX_LISTED])
    return shown + (f", … ({len(names)} in all)" if len(names) > MAX_LISTED else "")


def feature_map(B: Array, features: Sequence[Feature]) -> Array:
    """Base inputs B (n, b) -> the features F (n, d) in float64, F[:, j] = op_j(B[:, at_j])."""
    B = np.asarray(B, dtype=np.float64)
    F = np.empty((len(B), len(features)))
    for j, f in enumerate(features):
        F[:, j] = OPS[f.op].value([B[:, i] for i in f.at], f.k)
    return F


def feature_vjp(B: Array, features: Sequence[Feature], dF: Array) -> Array:
    """The vector-Jacobian product of the map at B (n, b): dL/dF (n, d) -> dL/dB (n, b),
    dB[:, i] = Σ_j dF[:, j] ∂F_j/∂B_i (a product of a column with itself counts twice)."""
    B = np.asarray(B, dtype=np.float64)
    dB = np.zeros_like(B)
    for j, f in enumerate(features):
        for i, partial in zip(f.at, OPS[f.op].grad([B[:, i] for i in f.at], f.k), strict=True):
            dB[:, i] += dF[:, j] * partial
    return dB
