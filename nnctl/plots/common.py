"""What every picture of nnctl.plots shares (layer 1: imports numpy and nnctl.files only).

The palette and limits, `PlotData` (the data of a run as the pictures need it), the figure and
save helpers (`save` writes through `nnctl.files.save_figure`, the one atomic write), the
metric columns and their axes (log scale, epoch ticks), the class colours and decision regions,
the input-plane grid and the views of a hidden layer. Each picture family lives in its own
module beside this one; a helper two of them use lives here, named without an underscore
because other modules import it (nnctl's interface is what `nnctl.plots` re-exports, not this).

matplotlib is imported inside the functions that draw, never at module import: it is heavy, and
`nnctl --help` and runs without plots must not pay for it.

One colour language, in every picture of a run, a sweep and the animation:

- Hue means class. Class k has the same colour wherever it appears (regions, points, legend,
  the output's maps in neurons.png), whatever the number of classes: Okabe & Ito's
  colour-blind-safe seven (`CLASS_COLORS`), then three darker hues (`MORE_CLASS_COLORS`) up to
  ten; no grey, which is the neutral. `class_colors(K)` gives them. Two classes are shaded on
  `two_class_cmap`: class 0's colour → white (unsure) → class 1's colour.
- Train and validation differ by shape, never by a class colour: points are circles and squares
  (`SPLIT_MARKERS`), lines solid and dashed (`SPLIT_LINESTYLES`), both in near-black and grey
  (`SPLIT_COLORS`), so a loss panel beside a scatter of classes never reuses a class's hue.
- Signed quantities (tanh activations, residuals) are on `DIVERGING_CMAP`, purple < 0 (white)
  < green, centred at 0; it shares no hue with classes 0 and 1. Non-negative quantities
  (relu and sigmoid activations, regression targets and predictions) are on
  `SEQUENTIAL_CMAP` (viridis), dark at the low end.
- Black (`BOUNDARY`, `EDGE`) draws boundaries, point edges and the marks on points; greys
  (`NEUTRAL`, `NEUTRAL_DARK`) draw what is neither a class nor a split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnctl.files import save_figure
from nnctl.vocabulary import PICTURE_FORMATS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ---------------------------------------------------------------- palette and limits

Array = np.ndarray

DPI = 110
FORMATS = PICTURE_FORMATS  # pdf: vector figures for slides and handouts
LOG_SCALE_DECADES = 1.5  # a loss that falls more than ~30x is read better on a log axis
FINE_LOG_TICKS_DECADES = 3.0  # up to this span, log ticks at 1, 2, 5 x 10^k; beyond, powers of ten only
TITLE_CHARACTERS_PER_INCH = 9.5  # of the bold 12-pt suptitle, measured on typical run titles
LAYOUT_PAD = 0.09  # inches between panels, titles and the suptitle (constrained layout)
MAX_POINTS_ON_SURFACE = 400  # data drawn over a predicted surface: a sample, so the surface shows
MAX_POINTS_DRAWN = 2000  # points drawn over class regions: a stratified sample of larger sets (sample_rows)

# Okabe & Ito (2008). Black is left out: it draws edges, boundaries and error marks.
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
# classes 7-9 (digits): Paul Tol's wine, indigo and olive, darker than any of the seven; no grey
MORE_CLASS_COLORS = ("#882255", "#332288", "#999933")
# train and validation differ by shape (markers, line styles), so they stay apart where colour
# encodes class; their colours are neutral, no class's hue
SPLIT_COLORS = {"train": "#1a1a1a", "validation": "#6b6b6b"}
SPLIT_MARKERS = {"train": "o", "validation": "s"}
SPLIT_LINESTYLES = {"train": "-", "validation": "--"}
EDGE = "#222222"
NEUTRAL_DARK = "#444444"  # a line that is neither split, such as the learning rate
NEUTRAL = "#8c8c8c"  # legend swatches for "train"/"validation" when colour means class or target
BOUNDARY = "#1a1a1a"
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "PRGn"  # ColorBrewer, colour-blind safe: purple < 0 (white) < green


@dataclass(frozen=True, eq=False)
class PlotData:
    """The data of a run, as the pictures need it.

    - X_train: (n, d) floats; X_val: (m, d), m may be 0
    - y_train: (n,) int class indices (classification) or (n, 1) floats (regression); y_val alike
    - task: "classification" | "regression"
    - class_names: one name per class (classification); missing names default to "0", "1", ...
    - feature_names: optional axis labels, one per input column; default x₀, x₁, ...
    """

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    task: str
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] | None = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {self.task!r}")
        X_train = np.asarray(self.X_train, dtype=float)
        d = X_train.shape[1]
        # an empty validation set may arrive as shape (0,); give it the training width
        object.__setattr__(self, "X_train", X_train)
        object.__setattr__(self, "X_val", np.asarray(self.X_val, dtype=float).reshape(-1, d))

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def splits(self) -> Iterator[tuple[str, Array, Array]]:
        """(name, X, y) for "train" and, when it has rows, "validation"."""
        yield "train", self.X_train, np.asarray(self.y_train)
        if len(self.X_val):
            yield "validation", self.X_val, np.asarray(self.y_val)

    def feature_name(self, j: int) -> str:
        if self.feature_names is not None and j < len(self.feature_names):
            return self.feature_names[j]
        return f"x{_subscript(j)}"

    def class_name(self, k: int) -> str:
        return self.class_names[k] if k < len(self.class_names) else str(k)

    def class_label(self, k: int) -> str:
        """Class k as a legend says it: "class 0" for a number (a bare "0" reads as a value),
        the name itself for a text label ("setosa")."""
        return class_label(self.class_name(k))


def class_label(name: str) -> str:
    """"class 3" for a label that is a number ("3", "-1", "0.5"), the label itself otherwise."""
    try:
        float(name)
    except ValueError:
        return name
    return f"class {name}"


# ---------------------------------------------------------------- shared figure machinery


def constrained_figure(figsize: tuple[float, float], **pads: float) -> Figure:
    """An empty figure of `figsize` inches with constrained layout (it makes room for
    colourbars, legends outside the axes and the suptitle); `pads` (h_pad, w_pad, hspace,
    wspace) replace the LAYOUT_PAD between panels."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    # the default pad (3 pt) leaves a bold suptitle touching the panel titles below it
    fig.get_layout_engine().set(**({"h_pad": LAYOUT_PAD, "w_pad": LAYOUT_PAD} | pads))
    return fig


def figure_title(fig: Figure, title: str) -> None:
    """The figure's bold title, broken as `title_lines` breaks it; matplotlib wraps whatever
    still does not fit, not cut off."""
    fig.suptitle(title_lines(title, fig.get_figwidth()), fontweight="bold", wrap=True)


def title_lines(title: str, width: float) -> str:
    """A figure title for a figure `width` inches wide: one longer than that breaks after the
    last " · " part that fits on the first line ("moons · 2-16-2 tanh · adam lr 0.01" / "epoch 55
    (best; early stopped at 60)"). Every picture's title, drawn by matplotlib or as pixels."""
    fits = int(width * TITLE_CHARACTERS_PER_INCH)
    parts = title.split(" · ")
    first = 1
    while first < len(parts) and len(" · ".join(parts[: first + 1])) <= fits:
        first += 1
    if len(title) > fits and first < len(parts):
        return " · ".join(parts[:first]) + "\n" + " · ".join(parts[first:])
    return title


def new_figure(ncols: int = 1, *, panel: tuple[float, float] = (6.0, 4.4)) -> tuple[Figure, list[Axes]]:
    """A constrained figure of `ncols` side-by-side panels, each `panel` inches."""
    fig = constrained_figure((panel[0] * ncols, panel[1]))
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def is_png(path: Path | str | None) -> bool:
    """Whether `path` names a PNG file: the pictures drawn as pixels (`nnctl.plots.raster`)
    write only PNG; None (a Figure for a notebook), SVG and PDF are matplotlib's."""
    return path is not None and Path(path).suffix.lower() == ".png"


def save(fig: Figure, path: Path | None, dpi: int, *, creator: str | None = None) -> Path | Figure:
    """Write `fig` in the format named by the suffix of `path` (FORMATS); returns the path.
    creator: named in the file's metadata (`files.save_figure`).
    The figure is unreferenced afterwards: without pyplot nothing else holds it. With path None
    nothing is written and the figure is returned: every plot_* function then gives its figure
    (`TrainedRun.plot`, for a notebook to show, restyle or save)."""
    if path is None:
        return fig
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unknown picture format (use one of {', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib's fastest level: a plot's PNG is 0-3% larger than at the default 6, and encoded in
    # 60% of the time (18 against 31 ms for loss.png, 12 ms a picture of a sweep's 80)
    options = {"pil_kwargs": {"compress_level": 1}} if path.suffix.lower() == ".png" else {}
    return save_figure(fig, path, dpi=dpi, creator=creator, **options)


def scatter_split(ax: Axes, X2: Array, split: str, **style: Any):
    """Points of one split, X2: (n, 2) plotting coordinates, with that split's marker shape."""
    style = {"s": 30 if split == "train" else 34, "edgecolors": EDGE, "linewidths": 0.6, "zorder": 3} | style
    return ax.scatter(X2[:, 0], X2[:, 1], marker=SPLIT_MARKERS[split], **style)


def crowd_size(n_points: int) -> float:
    """scatter() area (pt²) of a point in a panel of about 4 inches holding `n_points` points:
    30 up to 200 points, smaller beyond (1000 at 30 pt² tile the panel into a mosaic), never
    under 6."""
    return float(np.clip(6000.0 / max(n_points, 1), 6.0, 30.0))


def split_line(split: str, *, marker: bool = True) -> dict[str, Any]:
    """plot() keywords of a curve of one split (loss, accuracy): its colour, line style and (with
    `marker`) marker. The one style of train and validation lines, in every picture and film."""
    style = {"color": SPLIT_COLORS[split], "ls": SPLIT_LINESTYLES[split]}
    return {**style, "marker": SPLIT_MARKERS[split]} if marker else style


def split_handles(splits: list[str]) -> list:
    """Legend entries that explain the marker shapes, in a neutral colour."""
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [], [], ls="", marker=SPLIT_MARKERS[s], markerfacecolor=NEUTRAL, markeredgecolor=EDGE, markersize=7, label=s
        )
        for s in splits
    ]


def class_handles(data: PlotData, colors: Array) -> list:
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markerfacecolor=colors[k],
            markeredgecolor=EDGE,
            markersize=8,
            label=data.class_label(k),
        )
        for k in range(len(colors))
    ]


def text_inches(text: str, fontsize: float = 10.0) -> float:
    """About how wide `text` is in DejaVu Sans at `fontsize` points: 0.55 em a character."""
    return 0.55 * fontsize / 72 * len(text)


def legend_inches(handles: list, ncols: int, fontsize: float = 10.0) -> float:
    """About how wide a legend of `handles` in `ncols` columns is (filled column by column, as
    matplotlib does): per column a marker, the longest label and the gap between columns."""
    return labels_inches([h.get_label() for h in handles], ncols, fontsize)


def labels_inches(labels: list[str], ncols: int, fontsize: float = 10.0) -> float:
    """`legend_inches` of a legend whose entries say `labels`."""
    rows = -(-len(labels) // ncols)
    columns = [labels[c * rows : (c + 1) * rows] for c in range(ncols)]
    return sum(0.6 + text_inches(max(column, key=len), fontsize) for column in columns if column)


def legend_blocks(groups: list[list], blank: Any) -> tuple[list, int]:
    """(entries, ncols) of a legend below a picture with one group per block of columns (classes,
    then marker shapes, then marks), rows as many as the first group has (2 to 4). Legends fill
    column by column, so each group is padded with `blank` entries to whole columns and groups
    never share a column."""
    rows = min(max(len(groups[0]), 2), 4)
    entries: list = []
    for group in groups:
        entries += list(group) + [blank] * (-len(group) % rows)
    return entries, len(entries) // rows


def legend_columns(handles: list, width: float, most: int = 6) -> int:
    """The most columns (up to `most`) in which a legend of `handles` fits a figure `width`
    inches wide: a legend wider than the figure is cut off at both sides."""
    fitting = [n for n in range(1, min(most, len(handles)) + 1) if legend_inches(handles, n) <= width - 0.3]
    return max(fitting, default=1)


def column_range(X: Array) -> tuple[Array, Array]:
    """(low, high), each (d,): the least and largest value of each column of X: (n, d), a column
    at a time (a million rows: 5 ms; X.min(axis=0) over two columns takes 35)."""
    X = np.asarray(X)
    return (np.array([X[:, j].min() for j in range(X.shape[1])]),
            np.array([X[:, j].max() for j in range(X.shape[1])]))


def span_margin(X: Array, fraction: float) -> float:
    """`fraction` of the largest column span of X: (n, d): one margin in data units for every
    axis, so equal-aspect pictures get even borders whatever the data's scale."""
    low, high = column_range(X)
    return fraction * max(float(np.max(high - low)), 1e-12)


def padded_box(X: Array, fraction: float) -> tuple[Array, Array]:
    """(low, high), each (d,): the bounding box of X: (n, d) widened by `span_margin` on every side."""
    low, high = column_range(X)
    pad = fraction * max(float(np.max(high - low)), 1e-12)
    return low - pad, high + pad


def _subscript(j: int) -> str:
    return str(j).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


# ---------------------------------------------------------------- metric columns and their axes


def metric_column(metrics: list[dict], key: str) -> Array:
    """One metric over the rows as floats; None and absent become NaN (a gap in the line)."""
    return np.array([np.nan if row.get(key) is None else float(row[key]) for row in metrics], dtype=float)


def finite_column(metrics: list[dict], key: str) -> Array:
    """`metric_column` with inf as NaN too, as a line draws it: inf would stretch the autoscale
    or vanish unevenly, NaN leaves a gap (or ends the line)."""
    values = metric_column(metrics, key)
    values[~np.isfinite(values)] = np.nan
    return values


def use_log_scale(values: Array) -> bool:
    """True when the finite values are all positive and span more than LOG_SCALE_DECADES decades.
    A zero (hinge, a perfect fit) would vanish from a log axis, so it keeps the axis linear."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0 or np.any(values <= 0):
        return False
    # a difference of logs: max / min overflows for a diverged run (1e200 / 1e-200)
    return bool(np.log10(values.max()) - np.log10(values.min()) > LOG_SCALE_DECADES)


def log_axis(ax: Axes, values: Array) -> None:
    """A log y axis with labelled major ticks whatever the span of the (positive) values.

    Up to FINE_LOG_TICKS_DECADES: ticks at 1, 2, 5 x 10^k in plain numbers (two decades with
    two labels are hard to read off). Wider (a diverging run, 1e-3 … 1e200): powers of ten as
    10^k, thinned to a handful; LogLocator with several subs would give no ticks at all there."""
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogFormatterSciNotation,
        LogLocator,
        NullFormatter,
        NullLocator,
    )

    finite = values[np.isfinite(values)]
    # limits first, matplotlib's 5% margin taken in decades and kept under 1e308, so that the
    # axis' edge maps back to a float64: its own autoscale on switching to log, and lines that
    # span the axes (axvline), overflow there (a RuntimeWarning on stderr) for a loss near 1e308
    low, high = np.log10(finite.min()), np.log10(finite.max())
    margin = 0.05 * max(high - low, 1e-3)
    ax.set_ylim(10.0 ** float(low - margin), 10.0 ** float(min(high + margin, 308.0)))
    ax.set_yscale("log")
    if high - low <= FINE_LOG_TICKS_DECADES:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    else:
        ax.yaxis.set_major_locator(FixedLocator(_decade_ticks(finite.min(), finite.max())))
        ax.yaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
        ax.yaxis.set_minor_locator(NullLocator())  # minor ticks at every decade would be a smear
    ax.yaxis.set_minor_formatter(NullFormatter())


def _decade_ticks(low: float, high: float, most: int = 7) -> Array:
    """Powers of ten at a round stride (1, 2, 5, 10, 20, 25, 50, 100 decades) covering
    [low, high] with at most about `most` ticks; only those a float can hold."""
    first, last = np.floor(np.log10(low)), np.ceil(np.log10(high))
    stride = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (last - first) / s <= most - 1), 200)
    exponents = np.arange(np.floor(first / stride) * stride, last + stride, stride)
    with np.errstate(over="ignore"):
        ticks = 10.0**exponents
    return ticks[np.isfinite(ticks) & (ticks > 0)]


def epoch_axis(ax: Axes) -> None:
    """Whole epochs, at most six ticks, thousands as '5k' so long runs' labels do not collide."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    in_thousands = lambda: ax.get_xlim()[1] >= 10_000
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: epoch_label(v, in_thousands())))


def epoch_label(epoch: float, in_thousands: bool) -> str:
    """An epoch tick's label: '5k' on an axis that reaches 10 000 (0 stays '0'), else '250'."""
    return f"{epoch / 1000:g}k" if in_thousands and epoch else f"{epoch:g}"


# ---------------------------------------------------------------- classes: colours, probabilities, regions, boundaries


def halo(width: float = 4.0) -> list:
    """A white outline under a line or marker, so it reads on dark and light ground alike."""
    from matplotlib.patheffects import Normal, Stroke

    return [Stroke(linewidth=width, foreground="white"), Normal()]


def class_indices(y: Array) -> Array:
    """(n,) ints: class labels of any shape ((n,), (n, 1)) as indices into a colour table."""
    return np.asarray(y).reshape(-1).astype(int)


PREDICT_CHUNK = 16_384  # rows a picture predicts at once: a million points cost no more memory than this


def predicted_classes(predict_scores: Callable[[Array], Array], X: Array) -> Array:
    """(n,) ints: the argmax of the model's scores for X: (n, d), whatever form they take;
    PREDICT_CHUNK rows at a time, so the network's activations of a large set never exist whole."""
    if len(X) == 0:
        return np.argmax(as_probabilities(predict_scores(X)), axis=1)
    return np.concatenate([np.argmax(as_probabilities(predict_scores(X[i : i + PREDICT_CHUNK])), axis=1)
                           for i in range(0, len(X), PREDICT_CHUNK)])


def as_probabilities(scores: Array) -> Array:
    """(n, K) scores -> (n, K) rows of probabilities with the same argmax.

    Rows that already are probabilities pass unchanged; logits are softmaxed; one column is read
    as P(class 1) (sigmoid output) or, outside [0, 1], as a margin (hinge) and squashed."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1 or scores.shape[1] == 1:
        p = scores.reshape(-1)
        if p.min(initial=0.0) < 0 or p.max(initial=1.0) > 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * p))  # sigmoid without overflow
        return np.column_stack([1.0 - p, p])
    is_probability = np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-6)
    if is_probability:
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))  # row max first: exp cannot overflow
    return shifted / shifted.sum(axis=1, keepdims=True)


def class_colors(n_classes: int) -> Array:
    """(n_classes, 3) RGB: class k's colour, the same whatever n_classes is (see the module's
    colour language): CLASS_COLORS, then MORE_CLASS_COLORS up to ten classes, beyond that
    tab20's hues without its greys (grey is the neutral; not colour-blind safe)."""
    palette = [hex_rgb(c) for c in CLASS_COLORS + MORE_CLASS_COLORS]
    if n_classes > len(palette):  # matplotlib only here: the pictures drawn as pixels need none of it
        from matplotlib import colormaps
        from matplotlib.colors import to_rgb

        tab20 = [to_rgb(colormaps["tab20"](k)) for k in range(20) if k not in (14, 15)]  # 14, 15: greys
        palette += [tab20[k % len(tab20)] for k in range(n_classes - len(palette))]
    return np.array(palette[:n_classes]).reshape(n_classes, 3)


def hex_rgb(color: str) -> tuple[float, float, float]:
    """'#rrggbb' -> (r, g, b) floats in [0, 1], as matplotlib's to_rgb reads it."""
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def tint(rgb: Array, strength: Array | float) -> Array:
    """Blend RGB colours toward white: strength 1 keeps the colour, 0 gives white."""
    strength = np.asarray(strength, dtype=float)[..., None] if np.ndim(strength) else strength
    return 1.0 - (1.0 - np.asarray(rgb)) * strength


def two_class_colors(colors: Array) -> Array:
    """(3, 3): the colours `two_class_cmap` runs through, class 0's tinted, white, class 1's
    tinted (a picture drawn as pixels takes them without matplotlib)."""
    return np.array([tint(colors[0], 0.45), (1.0, 1.0, 1.0), tint(colors[1], 0.45)], dtype=float)


def two_class_cmap(colors: Array):
    """The colour map of P(class 1): class-0 colour → white → class-1 colour. The ends are
    tinted, not full colour, so that full-colour points stand out on their own region."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("two-classes", two_class_colors(colors))


TWO_CLASS_BANDS = 10  # bands of P(class 1) in boundary.png and boundaries.png


def two_class_band_colors(colors: Array) -> Array:
    """(TWO_CLASS_BANDS, 3) RGB: each band of P(class 1) in `two_class_cmap`'s colour at its
    middle (as contourf colours its bands), exactly as matplotlib reads it (the nearest of its
    256 table entries below), computed without matplotlib (the pictures drawn as pixels)."""
    levels = np.linspace(0, 1, TWO_CLASS_BANDS + 1)
    entry = np.minimum((0.5 * (levels[:-1] + levels[1:]) * 256).astype(int), 255)  # Colormap.__call__'s lookup
    ends = two_class_colors(colors)
    return np.column_stack([np.interp(entry / 255, [0.0, 0.5, 1.0], ends[:, c]) for c in range(3)])


def banded_two_classes(colors: Array) -> tuple[Any, Any]:
    """(cmap, norm): `two_class_band_colors` for an image of P(class 1): boundary.png's regions
    and boundaries.png's."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(two_class_band_colors(colors))
    return cmap, BoundaryNorm(np.linspace(0, 1, TWO_CLASS_BANDS + 1), cmap.N)


def one_class_colors(color) -> Array:
    """(2, 3): the colours `one_class_cmap` runs through, white and the class's tinted;
    color: '#rrggbb' or (r, g, b)."""
    rgb = hex_rgb(color) if isinstance(color, str) else tuple(color)[:3]
    return np.array([(1.0, 1.0, 1.0), tint(rgb, 0.55)], dtype=float)


def one_class_cmap(color):
    """The colour map of one class's probability: white (0) → the class's colour (1), tinted as
    two_class_cmap's ends are, so that the class's own full-colour points stand out on it."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("one-class", one_class_colors(color))


def region_colors(P: Array, colors: Array) -> Array:
    """(..., 3) RGB of grid cells with class probabilities P: (..., K): each cell in its
    predicted class's colour, paler as the winning probability falls from 1 toward chance
    (1/K), so unsure regions fade to white."""
    n_classes = P.shape[-1]
    confidence = (P.max(axis=-1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    return tint(colors[np.argmax(P, axis=-1)], 0.08 + 0.37 * np.clip(confidence, 0.0, 1.0))


def shade_many_classes(ax: Axes, P: Array, colors: Array, extent: tuple) -> None:
    """The `region_colors` of P: (r, r, K) as an image over `extent`."""
    ax.imshow(
        region_colors(P, colors), origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0
    )


def draw_boundaries(ax: Axes, xx: Array, yy: Array, P: Array) -> list:
    """The lines where the argmax changes: for each class, where its probability equals the best
    of the others. For K == 2 this is the P = 0.5 contour. Returns the contour sets drawn."""
    drawn = []
    for margin in boundary_margins(P):
        # above the points (a boundary runs through the densest data), under the rings of mistakes
        line = ax.contour(xx, yy, margin, levels=[0.0], colors=BOUNDARY, linewidths=2.2, zorder=4)
        line.set_path_effects(halo(5.5))
        drawn.append(line)
    return drawn


def boundary_margins(P: Array) -> list[Array]:
    """The fields whose zero level lines are the boundaries of P: (..., K): for each class that
    wins somewhere but not everywhere, its probability minus the best of the others. Two
    classes have one line: class 0's field is class 1's negated, so it is given once."""
    margins = []
    for k in range(1 if P.shape[-1] == 2 else 0, P.shape[-1]):
        margin = P[..., k] - np.delete(P, k, axis=-1).max(axis=-1)
        if margin.min() < 0 < margin.max():  # a class that wins nowhere (or everywhere) has no line
            margins.append(margin)
    return margins


# ---------------------------------------------------------------- regression targets over a picture


def target_column(y: Array) -> Array:
    """(n,) floats: the first target column of y: (n,) or (n, outputs)."""
    return np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]


def all_targets(data: PlotData) -> Array:
    """Every point's first target (train then validation): the range a colour scale must cover."""
    return np.concatenate([target_column(y) for _, _, y in data.splits()])


def neutral_points(split: str, size: float) -> dict[str, Any]:
    """scatter() keywords for data points that carry no class colour (a regression's (x, y),
    prediction against target): training points filled grey, validation points hollow dark
    squares, larger and under them, so neither hides the other where they coincide."""
    if split == "train":
        return {"c": NEUTRAL, "s": size, "alpha": 0.75, "linewidths": 0.0, "zorder": 3.5}
    return {"facecolors": "none", "edgecolors": NEUTRAL_DARK, "s": 2.2 * size, "linewidths": 0.9, "zorder": 3}


def curve_points(ax: Axes, data: PlotData, *, size: float) -> None:
    """1-D regression data as (x, y) points: train and validation by shape (`neutral_points`)."""
    for split, X, y in data.splits():
        xy = np.column_stack([X[:, 0], target_column(y)])
        scatter_split(ax, xy, split, label=f"{split} data", **neutral_points(split, size))


def surface_dots(ax: Axes, data: PlotData, norm) -> str:
    """The data over a predicted surface: a fixed sample of small dots in the target's colour
    with a thin light rim, so the surface shows between them and a dot stands out only where
    target and prediction differ. Returns ", 400 of 2000" when it sampled, else ""."""
    n_points = sum(len(X) for _, X, _ in data.splits())
    shown_all = _sample_mask(n_points, MAX_POINTS_ON_SURFACE)
    offset = 0
    for split, X, y in data.splits():
        shown, offset = shown_all[offset : offset + len(X)], offset + len(X)
        scatter_split(
            ax,
            X[shown],
            split,
            c=target_column(y)[shown],
            cmap=SEQUENTIAL_CMAP,
            norm=norm,
            s=9,
            linewidths=0.35,
            edgecolors="white",
        )
    return "" if shown_all.all() else f", {shown_all.sum()} of {n_points}"


def sample_rows(labels: Array, most: int) -> Array:
    """(min(n, most),) sorted row indices: every row when there are no more than `most`, else
    exactly `most` of them, stratified by label (each label's rows in their share, rounded by
    largest remainder), the same rows every time (seed 0), so a picture of a million points is
    reproducible. labels: (n,) ints."""
    labels = np.asarray(labels).reshape(-1)
    if len(labels) <= most:
        return np.arange(len(labels))
    rng = np.random.default_rng(0)
    classes, counts = np.unique(labels, return_counts=True)
    shares = most * counts / len(labels)
    quotas = np.floor(shares).astype(int)
    quotas[np.argsort(quotas - shares, kind="stable")[: most - quotas.sum()]] += 1
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), q, replace=False)
                                   for c, q in zip(classes, quotas, strict=True)]))


def split_quotas(data: PlotData, most: int) -> dict[str, int]:
    """How many points of each split a picture drawing at most `most` draws: all of a small
    set, else each split its share, rounded by largest remainder so that they add up to `most`
    (rounding each up drew 2,001 of 20,000)."""
    sizes = {split: len(y) for split, _, y in data.splits()}
    total = sum(sizes.values())
    if total <= most:
        return sizes
    shares = {split: most * n / total for split, n in sizes.items()}
    quotas = {split: int(share) for split, share in shares.items()}
    by_remainder = sorted(shares, key=lambda split: quotas[split] - shares[split])  # largest remainder first
    for split in by_remainder[: most - sum(quotas.values())]:
        quotas[split] += 1
    return quotas


def sample_note(data: PlotData) -> str:
    """'' when every point is drawn, else how many are: 'a stratified sample of 2,000 of
    1,000,000 points drawn'."""
    total, drawn = sum(len(y) for _, _, y in data.splits()), sum(split_quotas(data, MAX_POINTS_DRAWN).values())
    return "" if drawn == total else f"a stratified sample of {drawn:,} of {total:,} points drawn"


@dataclass(frozen=True, eq=False)
class DrawnSplit:
    """One split's points as boundary.png draws them. name: "train" | "validation"; X: (m, 2)
    the points drawn; y: (m,) their class indices; wrong: (m,) bool, misclassified; accuracy:
    of all n points of the split."""

    name: str
    X: Array
    y: Array
    wrong: Array
    accuracy: float
    n: int


def drawn_points(predict_scores: Callable[[Array], Array], data: PlotData,
                 known: dict[str, float] | None = None) -> list[DrawnSplit]:
    """Each split's points to draw over the class regions, and its accuracy. A split larger than
    its share of MAX_POINTS_DRAWN is drawn as a stratified sample (`sample_rows`); its accuracy
    is `known`'s when given (then only the sample is predicted), else that of every point,
    predicted in chunks (`predicted_classes`), and the sample keeps the split's proportions of
    class and of right and wrong (the rings' share is still the error rate)."""
    drawn = []
    quotas = split_quotas(data, MAX_POINTS_DRAWN)
    for split, X, y in data.splits():
        y = class_indices(y)
        if known is not None and split in known and quotas[split] < len(y):
            shown = sample_rows(y, quotas[split])
            wrong_shown = predicted_classes(predict_scores, X[shown]) != y[shown]
            accuracy = float(known[split])
        else:
            wrong = predicted_classes(predict_scores, X) != y  # every point: the accuracy is the whole set's
            accuracy = float(np.mean(~wrong))
            shown = sample_rows(2 * y + wrong, quotas[split])
            wrong_shown = wrong[shown]
        drawn.append(DrawnSplit(split, X[shown], y[shown], wrong_shown, accuracy, len(y)))
    return drawn


def accuracy_subtitle(drawn: list[DrawnSplit], note: str = "") -> str:
    """boundary.png's line above the plane: 'accuracy: train 95.5% (n=800) · validation 96.5%
    (n=200)', and `note` (`sample_note`) on a second line when it says something."""
    line = "accuracy: " + " · ".join(f"{s.name} {percent(s.accuracy)} (n={s.n:,})" for s in drawn)
    return line + (f"\n{note}" if note else "")


def boundary_inches(extent: tuple, data: PlotData, legend_labels: list[str], ncols: int, *, colour_bar: bool,
                    title: str, note: str = "") -> tuple[float, float]:
    """(width, height) inches of boundary.png: one equal-aspect plane over `extent` (x0, x1, y0,
    y1) with its labels, the titles, a legend saying `legend_labels` in `ncols` columns below
    and, with `colour_bar`, a colour bar: no empty band beside the plane (a fixed 7.2 inches left
    a quarter of three classes' width blank) nor above it. A plane taller than wide (data in its
    own units) gets up to 5 inches. The figure's size and the pixels' alike."""
    # as wide as the legend below and the accuracy line above need (100.0% is the longest)
    subtitle = "accuracy: " + " · ".join(f"{split} 100.0% (n={len(y):,})" for split, _, y in data.splits())
    least = max(labels_inches(legend_labels, ncols) + 0.3, text_inches(subtitle) + 0.8, text_inches(note) + 0.8)
    aspect = (extent[1] - extent[0]) / max(extent[3] - extent[2], 1e-12)
    plane_width = min(min(max(3.6, 3.6 / aspect), 5.0) * aspect, 9.0)
    width = max(least, plane_width + 0.6 + (1.2 if colour_bar else 0.0))
    rows = -(-len(legend_labels) // ncols)
    lines = 2 if len(title) > width * TITLE_CHARACTERS_PER_INCH else 1
    return width, plane_width / aspect + 1.15 + 0.22 * rows + 0.3 * lines + (0.2 if note else 0.0)


def _sample_mask(n: int, most: int) -> Array:
    """(n,) bool: all True when n <= most, else exactly `most` True, the same ones every time."""
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(0).permutation(n)[:most]] = True
    return mask


# ---------------------------------------------------------------- the input plane, hidden views


def all_X(data: PlotData) -> Array:
    """Every point's inputs (train then validation): (n + m, d)."""
    return np.vstack([X for _, X, _ in data.splits()])


def box_grid(low: Array, high: Array, resolution: int) -> tuple[Array, Array]:
    """xx, yy: (resolution, resolution), a regular grid from `low` to `high` (each (2,)) with
    rows following x₁ and columns x₀, as np.meshgrid gives them."""
    return np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))


def grid_points(xx: Array, yy: Array) -> Array:
    """(r * r, 2): the grid's points as rows, so a predict function takes them in one call."""
    return np.column_stack([xx.ravel(), yy.ravel()])


def plane_grid(X: Array, resolution: int, fraction: float = 0.12) -> tuple[Array, Array, tuple]:
    """A resolution x resolution grid over the box of X: (n, 2), widened by `fraction` of its span
    on every side (as boundary.png). Returns xx, yy (rows follow x₁, as np.meshgrid) and the
    imshow extent that puts each pixel's centre on its grid point."""
    low, high = padded_box(X, fraction)
    xx, yy = box_grid(low, high, resolution)
    half = 0.5 * (high - low) / max(resolution - 1, 1)
    extent = (low[0] - half[0], high[0] + half[0], low[1] - half[1], high[1] + half[1])
    return xx, yy, extent


def plane_axes(ax: Axes, data: PlotData, extent: tuple) -> None:
    """Axes over the input plane: limits `extent` (x0, x1, y0, y1), equal scales (a distance
    looks the same both ways), the features' names."""
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel(data.feature_name(0))
    ax.set_ylabel(data.feature_name(1))


def _class_labels(data: PlotData) -> Array:
    """All class indices (train then validation) as ints."""
    return np.concatenate([class_indices(y) for _, _, y in data.splits()])


def count_classes(data: PlotData, n_scores: int = 0) -> int:
    return max(n_scores, len(data.class_names), int(_class_labels(data).max(initial=-1)) + 1)


def _pca_basis(H: Array) -> tuple[Array, Array, Array]:
    """(mean (w,), components (w, 2), explained (2,)) of the rows of H: (n, w) by SVD of the
    centred matrix. A component's sign is arbitrary; it is fixed so that its largest loading is
    positive, so the same data always gives the same picture."""
    H = np.asarray(H, dtype=float)
    mean = H.mean(axis=0)
    _, s, Vt = np.linalg.svd(H - mean, full_matrices=False)
    components = Vt[:2].T.copy()
    signs = np.sign(components[np.argmax(np.abs(components), axis=0), [0, 1]])
    components *= np.where(signs == 0, 1.0, signs)
    variance = s**2
    explained = variance[:2] / max(float(variance.sum()), 1e-300)
    return mean, components, explained


def spread_view(P: Array) -> tuple[float, float]:
    """(elevation, azimuth) in degrees of the 3-D view in which the points P: (n, 3), in the
    axes' box units (0 … 1 each, times the box's aspect), spread most on the screen: the least
    variance along the line of sight, among elevations 15° and 30° and azimuths every 15°, so a
    view is never tilted oddly. matplotlib's familiar default (30°, −60°) unless another shows the
    points at least 20% more spread (a round cloud never turns for its noise; seed 003's line,
    which the default looks along, does).
    hidden.png and the animation's hidden panel both take their view from here."""
    centred = P - P.mean(axis=0)
    covariance = centred.T @ centred / max(len(P), 1)

    def along_sight(view: tuple[float, float]) -> float:
        e, a = np.radians(view)
        sight = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        return float(sight @ covariance @ sight)

    default, total = (30.0, -60.0), float(np.trace(covariance))
    best = min(((e, float(a)) for e in (30.0, 15.0) for a in np.arange(-180.0, 180.0, 15.0)), key=along_sight)
    return best if total - along_sight(best) > 1.2 * (total - along_sight(default)) else default


class HiddenView:
    """How the activations H: (n, w) of one hidden layer become plotting coordinates.

    w == 1: (activation, class + jitter) for classification, (activation, target) for
            regression; w == 2: the two units; w == 3: the three units (a 3-D axes);
    w > 3:  the first two principal components of `H_basis` (centred), labelled with the
            share of the variance each explains."""

    def __init__(self, H_basis: Array, data: PlotData, layer_name: str, basis_note: str = "") -> None:
        H_basis = np.asarray(H_basis, dtype=float).reshape(len(H_basis), -1)
        self.width = H_basis.shape[1]
        self.kind = {1: "strip", 2: "plane", 3: "3d"}.get(self.width, "pca")
        self.data = data
        self.classification = data.task == "classification"
        if self.kind == "pca":
            self.mean, self.components, explained = _pca_basis(H_basis)
            self.labels = [f"PC{i + 1} ({100 * e:.0f}% of variance{basis_note})" for i, e in enumerate(explained)]
            self.subtitle = f"{self.width} units, seen along their first 2 principal components"
            self.subtitle = f"{layer_name}: {self.subtitle}" if layer_name else self.subtitle
        else:
            units = [f"{layer_name} · unit {j + 1}" if layer_name else f"unit {j + 1}" for j in range(self.width)]
            self.labels = units if self.kind != "strip" else [units[0], "class" if self.classification else "target y"]
            shown = {"strip": "its activation on the x axis", "plane": "as the axes", "3d": "as 3-D axes"}[self.kind]
            units_text = f"{self.width} unit{'s' if self.width > 1 else ''}"
            self.subtitle = f"{layer_name}: {units_text}, {shown}" if layer_name else f"{units_text}, {shown}"
        # the strip's second coordinate: fixed jitter around each class row, or the target
        rng = np.random.default_rng(0)
        self.strip_y = {}
        for split, _, y in data.splits():
            if self.classification:
                self.strip_y[split] = class_indices(y) + rng.uniform(-0.25, 0.25, len(y))
            else:
                self.strip_y[split] = target_column(y)

    def project(self, H: Array, split: str) -> Array:
        """(n, 2) or (n, 3) plotting coordinates of the activations H of `split`'s points."""
        H = np.asarray(H, dtype=float).reshape(len(H), -1)
        if self.kind == "pca":
            return (H - self.mean) @ self.components
        if self.kind == "strip":
            return np.column_stack([H[:, 0], self.strip_y[split]])
        return H

    def new_axes(self, fig: Figure, spec) -> Axes:
        ax = fig.add_subplot(spec, projection="3d" if self.kind == "3d" else None)
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        if self.kind == "3d":
            ax.set_zlabel(self.labels[2])
        elif self.kind == "strip" and self.classification:
            n = count_classes(self.data)
            ax.set_yticks(range(n), [self.data.class_name(k) for k in range(n)])
            ax.set_ylim(-0.6, n - 0.4)
        if self.kind != "3d":
            ax.grid(True, alpha=0.3)
        return ax

    def fit_3d(self, ax: Axes, coordinates: dict[str, Array]) -> None:
        """3-D axes over the points (coordinates: {split: (n, 3)}): limits with a 5% margin,
        four ticks an axis in small print (nine ran into each other), and the view from which
        the points spread most on the screen (`spread_view`): matplotlib's default looked along
        the line seed 003's hidden layer lies on, which then filled one corner of the cube."""
        from matplotlib.ticker import MaxNLocator

        points = np.vstack(list(coordinates.values()))
        low, high = padded_box(points, 0.05)
        high = np.where(high > low, high, low + 1e-12)
        for axis, set_limits, lo, hi in zip(
            (ax.xaxis, ax.yaxis, ax.zaxis), (ax.set_xlim, ax.set_ylim, ax.set_zlim), low, high, strict=True
        ):
            set_limits(lo, hi)
            axis.set_major_locator(MaxNLocator(4))
        ax.tick_params(labelsize=7, pad=0)
        ax.view_init(*spread_view((points - low) / (high - low)))

    def scatter(self, ax: Axes, coordinates: dict[str, Array], **style: Any) -> dict[str, Any]:
        """One scatter per split (circles / squares), coloured by class or by target; returns them."""
        artists = {}
        classification = self.classification
        colors = class_colors(count_classes(self.data)) if classification else None
        targets = all_targets(self.data) if not classification else None
        size = min(22.0, crowd_size(sum(len(C) for C in coordinates.values())))  # thousands: no mosaic
        for split, _, y in self.data.splits():
            C = coordinates[split]
            if classification:
                color = {"c": colors[class_indices(y)]}
            else:
                color = {"c": target_column(y), "cmap": SEQUENTIAL_CMAP, "vmin": targets.min(), "vmax": targets.max()}
            point_style = {"s": size + (0 if split == "train" else 4), "linewidths": 0.5 if size > 15 else 0.25}
            point_style |= color | style
            if self.kind == "3d":
                artists[split] = ax.scatter(
                    C[:, 0],
                    C[:, 1],
                    C[:, 2],
                    marker=SPLIT_MARKERS[split],
                    edgecolors=EDGE,
                    depthshade=False,
                    **point_style,
                )
            else:
                artists[split] = scatter_split(ax, C, split, **point_style)
        return artists
