"""matplotlib's colour maps as NumPy tables, for pictures drawn as pixels (layer 1: numpy only).

A picture drawn here must colour a value exactly as its matplotlib figure does, without importing
matplotlib (0.4 s): DIVERGING_CMAP (PRGn: ColorBrewer's 11 colours, interpolated over 256 steps,
as matplotlib builds it) and SEQUENTIAL_CMAP (viridis: matplotlib's 256 listed colours, here to
8 bits), and the maps nnctl builds from a list of colours (`common.two_class_colors`, ...) as
`LinearSegmentedColormap.from_list` does. `lut` gives a map's 256 colours, `apply` colours values
with them as `Normalize(low, high)` then the map would (the same index into the same table).
"""

from __future__ import annotations

import functools

import numpy as np

Array = np.ndarray

STEPS = 256  # matplotlib's colour maps are tables of 256 colours

PRGN = ("#40004b", "#762a83", "#9970ab", "#c2a5cf", "#e7d4e8", "#f7f7f7",
        "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837", "#00441b")  # ColorBrewer PRGn, purple to green

VIRIDIS = (  # matplotlib's viridis, its 256 colours as rrggbb
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769"
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a"
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b"
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d"
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e"
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d"
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81"
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74"
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d"
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32"
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725"
)


def _hex_table(text: str) -> Array:
    """'rrggbbrrggbb...' -> (n, 3) floats in [0, 1]."""
    return np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(-1, 3) / 255.0


def from_list(colors: Array) -> Array:
    """(STEPS, 3): the table of a map through `colors` (m, 3) at even spacing, linear between
    them: `LinearSegmentedColormap.from_list(name, colors)`'s table."""
    colors = np.asarray(colors, dtype=float).reshape(-1, 3)
    anchors = np.linspace(0.0, 1.0, len(colors))
    at = np.linspace(0.0, 1.0, STEPS)
    return np.column_stack([np.interp(at, anchors, colors[:, c]) for c in range(3)])


@functools.lru_cache(maxsize=4)
def _named(name: str) -> Array:
    if name == "PRGn":
        return from_list(_hex_table("".join(c[1:] for c in PRGN)))
    if name == "viridis":
        return _hex_table("".join(VIRIDIS))
    raise ValueError(f"{name!r}: no table of this colour map (PRGn, viridis)")


def lut(cmap: str | Array) -> Array:
    """(STEPS, 3) floats: the table of a named map ('PRGn', 'viridis') or of the map through a
    list of colours (m, 3)."""
    return _named(cmap).copy() if isinstance(cmap, str) else from_list(cmap)


def apply(table: Array, values: Array, low: float, high: float) -> Array:
    """(..., 3) floats: `values` (...) coloured as matplotlib colours them with
    `Normalize(low, high)` and a map of this table (STEPS, 3): the value's fraction of [low,
    high] picks entry floor(fraction · STEPS), the ends for values outside; NaN is white (the
    map's "bad" colour is transparent, over a white figure)."""
    span = high - low if high != low else 1.0
    fraction = (np.asarray(values, dtype=float) - low) / span
    missing = np.isnan(fraction)
    index = np.clip(np.floor(np.where(missing, 0.0, fraction) * len(table)), 0, len(table) - 1).astype(int)
    colors = table[index]
    colors[missing] = 1.0
    return colors
