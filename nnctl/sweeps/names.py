"""Layer 5: how a sweep writes the values it swept, in its run folders' names (`point_names`),
in its pictures' labels (`setting_labels`) and in `nnctl compare`'s legend (`run_labels`).

A run folder is named by its settings, each its key and value, parted by '-':
`hidden16x16-lr0.03-seed0`, `optimizer_adam-lr1e-4-seed2`. Only letters, digits and `. _ - +`
stand in a name, so it needs no quoting in bash, zsh, fish, cmd or PowerShell: no `[ ]` (zsh's
globs), no `,` or `=` (cmd's and PowerShell's separators), no spaces. A float shows 4
significant digits, more only where two values of the same key would otherwise read the same
(a random sweep's 0.012345678 becomes 0.01235), in names and labels alike.

Imports `files` and `errors` alone: the pictures and the report use it without the config code.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from nnctl.errors import NnctlError
from nnctl.files import flow

SIGNIFICANT = 4  # digits a float shows; more only to tell two values of one key apart
MAX_NAME = 120  # characters: file names have limits; a longer name keeps its start and a digest
UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")  # anything else in a text value becomes one '_'
# A name some sweep folder holds: today's, or one made before issue 14 (`lr=0.03,hidden=[16],seed=0`)
KNOWN_NAME = re.compile(r"[A-Za-z0-9._=,+\[\]-]{1,130}")


def _significant(value: float, digits: int) -> str:
    """0.012345678 at 4 digits -> '0.01235'; 1e-05 -> '1e-5' and 2.5e+30 -> '2.5e30' (the
    exponent without its '+' and leading zeros)."""
    text = f"{value:.{digits}g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def _floats(value: Any) -> Iterator[float]:
    """The floats in a setting's value, inside lists and mappings too."""
    if isinstance(value, float):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _floats(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _floats(item)


def float_texts(values: list[Any]) -> dict[float, str]:
    """Every finite float among a key's values -> its text: SIGNIFICANT digits, or the fewest
    more that tell it from the other values. Rounding keeps order, so two values that read
    the same at some digits have every value between them reading the same too: comparing each
    with its neighbours in sorted order is enough."""
    ordered = sorted({v for value in values for v in _floats(value) if math.isfinite(v)})
    texts = {}
    for i, v in enumerate(ordered):
        near = ordered[max(i - 1, 0):i] + ordered[i + 1:i + 2]
        digits = SIGNIFICANT
        while digits < 17 and any(_significant(v, digits) == _significant(u, digits) for u in near):
            digits += 1  # 17 digits tell any two doubles apart
        texts[v] = _significant(v, digits)
    return texts


def _label_text(value: Any, floats: dict[float, str]) -> str:
    """A value as a picture's label shows it: flow YAML, its floats rounded as `float_texts` says."""
    if isinstance(value, float) and value in floats:
        return floats[value]
    if isinstance(value, list) and any(isinstance(v, float) for v in value):
        return "[" + ", ".join(_label_text(v, floats) for v in value) + "]"
    return flow(value)


def _name_text(value: Any, floats: dict[float, str]) -> str:
    """A value as a run folder's name holds it: 0.03, 1e-5, 16 (a width [16]), 16x16, tanh,
    tanh+relu (a list of texts), true, none (an empty list); anything else as flow YAML with
    each run of other characters made one '_'."""
    if isinstance(value, bool) or value is None:
        return flow(value)
    if isinstance(value, float):
        return floats.get(value, str(value))  # nan, inf
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and value and all(not isinstance(v, (list, dict)) for v in value):
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        return ("x" if numbers else "+").join(_name_text(v, floats) for v in value)
    if value == []:
        return "none"
    text = value if isinstance(value, str) else flow(value)
    return UNSAFE.sub("_", text).strip("_") or "_"


def _labels(keys: list[str]) -> dict[str, str]:
    """Each dotted key's short label: its last part, its section for a `name` (optimizer.name ->
    optimizer), the whole key where two would share one."""
    short = {k: (k.rsplit(".", 2)[-2] if k.endswith(".name") else k.rsplit(".", 1)[-1]) for k in keys}
    clash = {label for label, n in Counter(short.values()).items() if n > 1}
    return {k: (k if short[k] in clash else short[k]) for k in keys}


def setting_labels(rows: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """'hidden=[16] · lr=0.01235 · seed=0' for each row: its values of `keys` (those it has),
    each under its short label, floats rounded as in the run folders' names."""
    label = _labels(keys)
    floats = {k: float_texts([row.get(k) for row in rows]) for k in keys}
    return [" · ".join(f"{label[k]}={_label_text(row[k], floats[k])}" for k in keys if k in row) for row in rows]


def run_labels(rows: list[dict[str, Any]], keys: list[str], defaults: list[dict[str, Any]] | None = None) -> list[str]:
    """'adam lr=0.01' for each row, its values of `keys` in a legend's few words: a `.name` key
    (optimizer.name, data.name) by its value alone, a true one by its label alone ('nesterov'),
    others as `label=value`, floats as `setting_labels` rounds them. A key a row does not have is
    left out, and so is a value equal to the row's `defaults` (dotted key -> default) of a key
    that not every row has (adam's eps, rmsprop's alpha: parameters of one choice), unless
    leaving it out makes two distinct rows read alike."""
    label = _labels(keys)
    floats = {k: float_texts([row.get(k) for row in rows]) for k in keys}
    partial = {k for k in keys if any(k not in row for row in rows)}

    def words(row: dict[str, Any], default: dict[str, Any], terse: bool) -> str:
        parts = []
        for k in (k for k in keys if k in row):
            value = row[k]
            if terse and k in partial and k in default and flow(default[k]) == flow(value):
                continue
            if k.endswith(".name") and isinstance(value, str):
                parts.append(value)
            else:
                parts.append(label[k] if value is True else f"{label[k]}={_label_text(value, floats[k])}")
        return " ".join(parts)

    defaults = defaults or [{} for _ in rows]
    full = [words(row, d, terse=False) for row, d in zip(rows, defaults, strict=True)]
    terse = [words(row, d, terse=True) for row, d in zip(rows, defaults, strict=True)]
    return terse if len(set(terse)) == len(set(full)) else full


def point_names(settings: list[dict[str, Any]]) -> list[str]:
    """'hidden16x16-lr0.03-seed0' for each point's settings (dotted key -> value): distinct for
    distinct points (two that would read the same get a digest of their settings added)."""
    keys = list(dict.fromkeys(k for s in settings for k in s))
    label = _labels(keys)
    floats = {k: float_texts([s.get(k) for s in settings]) for k in keys}
    names = []
    for s in settings:
        parts = []
        for k, v in s.items():
            text = _name_text(v, floats[k])
            parts.append(label[k] + ("" if text[0] in "0123456789-." else "_") + text)
        names.append(_bounded("-".join(parts)))
    return _distinct(names, settings)


def _bounded(name: str) -> str:
    if len(name) <= MAX_NAME:
        return name
    return name[:MAX_NAME - 10] + "-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _distinct(names: list[str], settings: list[dict[str, Any]]) -> list[str]:
    """`names`, where two points share one each with a digest of its settings added; two points
    with the same settings are one run asked twice, refused."""
    counts = Counter(names)
    if len(counts) == len(names):
        return names
    question = [json.dumps(s, sort_keys=True, default=str) for s in settings]
    asked = Counter(question)
    twice = next((names[i] for i, q in enumerate(question) if asked[q] > 1), None)
    if twice is not None:
        raise NnctlError(f"two points of the sweep are the same: {twice} (a repeated grid value?)")
    return [_bounded(f"{n}-{hashlib.sha1(q.encode()).hexdigest()[:6]}") if counts[n] > 1 else n
            for n, q in zip(names, question, strict=True)]
