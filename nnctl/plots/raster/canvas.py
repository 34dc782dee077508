"""A picture drawn as pixels with Pillow: the surface every raster picture draws on (layer 1:
numpy, nnctl.files; Pillow, which matplotlib brings, imported on first use).

Why not matplotlib: a sweep draws three pictures a run, and matplotlib spends 0.3-0.5 s on
each (building axes and ticks, constrained layout measuring every label, Agg drawing them)
after 0.5-0.9 s of import: 85% of a 30-run sweep's wall time (issue 18). Here a picture costs
tens of milliseconds and nothing to import. The look is matplotlib's own, so that a PNG drawn
here sits beside an SVG drawn there: the same DejaVu Sans (matplotlib's font files, found
without importing matplotlib), the same sizes in points at the figure's dpi (10-pt labels,
12-pt bold titles, 0.8-pt frames, 3.5-pt ticks), lines and dots anti-aliased by drawing at
SUPERSAMPLE times the size and averaging down (text is anti-aliased by FreeType at that size).

Coordinates are the final picture's pixels (floats, y downward); sizes (line widths, fonts,
markers, dashes) are typographic points, as in matplotlib. `Canvas` holds the picture and
draws shapes, text and images on it; `Panel` is a box of it with data limits: it maps data to
pixels and draws axes (frame, ticks, grid, labels) and legends. `nice_ticks`, `log_ticks` and
`tick_labels` choose and write tick values as matplotlib's default locators would.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
import struct
import weakref
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnctl.files import atomic_write
from nnctl.plots.common import title_lines

Array = np.ndarray
Color = str | tuple[float, ...]  # '#rrggbb' or (r, g, b[, a]) floats in [0, 1]

# drawn at 2x and averaged down: 4 levels of coverage on every edge; 3x cost 20-40% more a
# picture (loss.png 39 against 27 ms) and looked the same at 110 dpi
SUPERSAMPLE = 2
NOTCH = 0.25  # supersampled pixels: a wide line's corner notch below this gets no round joint
FONT_SIZE = 10.0  # matplotlib's default: tick labels, axis labels, legends
TITLE_SIZE = 12.0  # a figure's bold title (matplotlib's "large")
FRAME_WIDTH = 0.8  # axes' frame and ticks, points
TICK_LENGTH = 3.5  # points, outward
TICK_PAD = 3.5  # points between a tick and its label
LABEL_PAD = 4.0  # points between tick labels and the axis label
GRID = ("#b0b0b0", 0.3, 0.8)  # colour, alpha, width of grid lines, as ax.grid(alpha=0.3)
DASHES = {"-": None, "--": (3.7, 1.6), ":": (1.0, 1.65), "-.": (6.4, 1.6, 1.0, 1.6)}  # x line width, matplotlib's
MINUS = "\u2212"  # tick labels write a minus sign, not a hyphen, as matplotlib does


def rgb(color: Color) -> tuple[int, int, int]:
    """'#rrggbb' or float (r, g, b[, a]) -> 8-bit (r, g, b)."""
    if isinstance(color, str):
        return _hex_rgb(color)
    return tuple(int(round(255 * float(c))) for c in tuple(color)[:3])  # type: ignore[return-value]


@functools.lru_cache(maxsize=256)
def _hex_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b): a picture names a few colours hundreds of times."""
    if not color.startswith("#") or len(color) != 7:
        raise ValueError(f"{color!r}: a raster colour is '#rrggbb' or an RGB tuple")
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def blend(color: Color, alpha: float, ground: Color = "#ffffff") -> tuple[int, int, int]:
    """`color` at opacity `alpha` over `ground`, as one opaque colour."""
    if alpha == 1.0:
        return rgb(color)
    top, bottom = np.array(rgb(color), float), np.array(rgb(ground), float)
    return tuple(int(round(v)) for v in alpha * top + (1 - alpha) * bottom)  # type: ignore[return-value]


def font_file(bold: bool = False) -> str:
    """matplotlib's DejaVu Sans (its default font), found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: its fonts draw nnctl's pictures")
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return str(folder / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"))


@functools.lru_cache(maxsize=4096)
def _length(font, text: str) -> float:
    """The advance of `text` in `font`, supersampled pixels: layouts measure the same labels
    again and again (legends, ticks, wrapped titles)."""
    return font.getlength(text)


KEPT_TEXT = 24  # characters: lines up to this long keep their rendered glyphs (`_glyphs`)


@functools.lru_cache(maxsize=1024)
def _glyphs(font, line: str, anchor: str, start: tuple[float, float]):
    """(mask, offset) of one line of text as ImageDraw.text renders it (FreeType, from the
    fraction of a pixel it starts at): a worker drawing a sweep's pictures writes the same
    tick labels at the same places run after run, and rendering was a tenth of a picture.
    Only short lines are kept (KEPT_TEXT): a run's title is its own, and a thousand titles'
    masks grew a 300-run sweep's workers from 74 to 109 MB."""
    return font.getmask2(line, "L", anchor=anchor, start=start)  # as ImageDraw.text asks (no stroke)


@functools.lru_cache(maxsize=64)
def _font(pixels: int, bold: bool):
    from PIL import ImageFont

    return ImageFont.truetype(font_file(bold), size=max(pixels, 1))


class Canvas:
    """A white picture of `size` (width, height) inches at `dpi` pixels an inch.

    Draw with `line`, `polygon`, `rectangle`, `markers`, `text` and `image` in final-picture
    pixels; `panel` gives a box with data coordinates; `png` and `save` give the picture."""

    def __init__(self, size: tuple[float, float], dpi: float, *, background: Color = "#ffffff"):
        from PIL import Image, ImageDraw

        self.dpi = float(dpi)
        # whole pixels as matplotlib's Agg counts them: it truncates (5.49 in at 110 dpi is 603 px)
        self.width, self.height = (max(1, int(inches * dpi + 1e-6)) for inches in size)
        # the supersampled picture (not `image`: that is the method drawing an array on it)
        self.surface = Image.new("RGB", (self.width * SUPERSAMPLE, self.height * SUPERSAMPLE), rgb(background))
        self.draw = ImageDraw.Draw(self.surface)
        self.panels: list[Panel] = []  # every panel made, in order: what a test reads back
        self.said: dict[str, str] = {}  # the figure's own words (its title), as drawn

    # ------------------------------------------------------------ units

    def pt(self, points: float) -> float:
        """Typographic points -> pixels of the final picture."""
        return points * self.dpi / 72.0

    def _big(self, points: float) -> float:
        """Typographic points -> pixels of the supersampled canvas."""
        return points * self.dpi / 72.0 * SUPERSAMPLE

    def font(self, size: float = FONT_SIZE, bold: bool = False):
        """The Pillow font of `size` points on the supersampled canvas."""
        return _font(round(self._big(size)), bold)

    def text_width(self, text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
        """Width of one line of `text` in final pixels."""
        return _length(self.font(size, bold), text) / SUPERSAMPLE

    def line_step(self, size: float = FONT_SIZE) -> float:
        """From one line of text to the next, final pixels: 1.2 times the font size, as
        matplotlib spaces lines (its linespacing)."""
        return self.pt(1.2 * size)

    def text_height(self, size: float = FONT_SIZE) -> float:
        """Height of a line of text (ascent + descent) in final pixels."""
        ascent, descent = self.font(size).getmetrics()
        return (ascent + descent) / SUPERSAMPLE

    # ------------------------------------------------------------ shapes

    def line(self, x: Array, y: Array, *, color: Color, width: float = 1.5, style: str | tuple[float, ...] = "-",
             alpha: float = 1.0) -> None:
        """A polyline through (x[i], y[i]) (final pixels); a NaN breaks it. style: '-', '--',
        ':' or '-.' with matplotlib's dash lengths, or the lengths themselves (on, off, ...), all
        in line widths (matplotlib scales dashes by the width). width: points."""
        fill, thick = blend(color, alpha), max(1, round(self._big(width)))
        r, dashes = thick / 2, (DASHES[style] if isinstance(style, str) else tuple(style))
        if dashes is None and len(x) == 2 and all(map(math.isfinite, (*x, *y))):  # a tick, a grid line, a frame
            (u0, u1), (v0, v1) = x, y
            self.draw.line([(u0 * SUPERSAMPLE, v0 * SUPERSAMPLE), (u1 * SUPERSAMPLE, v1 * SUPERSAMPLE)], fill=fill,
                           width=thick)
            return
        x, y = np.asarray(x, float), np.asarray(y, float)
        finite = np.isfinite(x) & np.isfinite(y)
        for run in _runs(finite):
            xy = np.column_stack([x[run], y[run]]) * SUPERSAMPLE
            if len(xy) == 1:
                self.draw.ellipse((xy[0, 0] - r, xy[0, 1] - r, xy[0, 0] + r, xy[0, 1] + r), fill=fill)
                continue
            if dashes is None:
                pieces, inside = [xy], np.arange(1, len(xy) - 1)
            else:
                pieces, inside = _dashed(xy, [d * self._big(width) for d in dashes])
            for piece in pieces:
                self.draw.line([tuple(p) for p in piece.tolist()], fill=fill, width=thick)
            for u, v in xy[inside[_notched(xy, thick)[inside - 1]]].tolist() if thick > 2 and len(inside) else ():
                self.draw.ellipse((u - r, v - r, u + r, v + r), fill=fill)

    def polygon(self, x: Array, y: Array, *, fill: Color, alpha: float = 1.0) -> None:
        """A filled polygon (final pixels); alpha < 1 shows what is under it through it, as an
        alpha-blended patch does (overlapping ones darken where they cross). Blended by Pillow's
        RGBA drawing, which fills each pixel once (Pillow >= 9.2, and draws no outline unless
        asked): the same pixels as pasting the colour through a mask of the polygon's bounding
        box, which cost 6.2 ms a ribbon of network.png against 0.1 (the picture 41-64 -> 20-26 ms,
        2026-12-01 on the 2-core VM)."""
        from PIL import ImageDraw

        xy = [tuple(p) for p in (np.column_stack([np.asarray(x, float), np.asarray(y, float)]) * SUPERSAMPLE).tolist()]
        if alpha >= 1.0:
            self.draw.polygon(xy, fill=rgb(fill))
        else:
            ImageDraw.Draw(self.surface, "RGBA").polygon(xy, fill=(*rgb(fill), round(255 * alpha)))

    def rectangle(self, box: Sequence[float], *, fill: Color | None = None, edge: Color | None = None,
                  width: float = FRAME_WIDTH) -> None:
        """An axis-aligned box (x0, y0, x1, y1) in final pixels, filled and/or outlined inside
        it (Pillow's outline grows inward; its right and bottom edges are the last pixels in)."""
        x0, y0, x1, y1 = (v * SUPERSAMPLE for v in box)
        self.draw.rectangle((min(x0, x1), min(y0, y1), max(x0, x1) - 1, max(y0, y1) - 1),
                            fill=None if fill is None else rgb(fill), outline=None if edge is None else rgb(edge),
                            width=max(1, round(self._big(width))) if edge is not None else 0)

    def markers(self, x: Array, y: Array, *, shape: str = "o", size: float = 6.0,
                fill: Color | Sequence[Color] | None = "#000000", edge: Color | None = None,
                edge_width: float = 0.6) -> None:
        """One marker at each (x[i], y[i]) (final pixels): 'o' circle, 's' square, 'x' cross;
        size: the diameter in points (matplotlib's markersize; a scatter's s is its square);
        fill: one colour, one per point, or None (hollow); edge: the outline's colour."""
        x, y = np.asarray(x, float).reshape(-1), np.asarray(y, float).reshape(-1)
        if isinstance(fill, str) or fill is None or (len(fill) in (3, 4) and np.ndim(fill) == 1
                                                     and not isinstance(fill[0], (str, tuple))):
            fills = [None if fill is None else rgb(fill)] * len(x)
        elif isinstance(fill, np.ndarray) and fill.dtype.kind == "f":  # (n, 3) floats: converted at once
            fills = [tuple(c) for c in (255 * fill[:, :3]).round().astype(int).tolist()]
        else:
            known: dict = {}  # a few colours over many points: each converted once
            fills = [known.setdefault(c if isinstance(c, str) else tuple(c), rgb(c)) for c in fill]  # type: ignore[union-attr]
        outline = None if edge is None else rgb(edge)
        stroke = max(1, round(self._big(edge_width))) if edge is not None else 0
        half = self._big(size) / 2 + (stroke / 2 if edge is not None else 0)  # the edge is stroked on the outline
        # a square's side is the circle's diameter, as matplotlib draws 's' and 'o' of one size
        if shape in ("o", "s"):  # as ImageDraw.ellipse and .rectangle draw, each colour made ink once
            draw = self.draw.draw.draw_ellipse if shape == "o" else self.draw.draw.draw_rectangle
            inks: dict = {}
            edge_ink = None if outline is None else self.draw._getink(outline)[0]
            for u, v, f in zip((x * SUPERSAMPLE).tolist(), (y * SUPERSAMPLE).tolist(), fills, strict=True):
                box = (u - half, v - half, u + half, v + half)
                fill_ink = None if f is None else inks.get(f)
                if fill_ink is None and f is not None:
                    fill_ink = inks[f] = self.draw._getink(f)[0]
                if fill_ink is not None:
                    draw(box, fill_ink, 1)
                if edge_ink is not None and edge_ink != fill_ink and stroke != 0:
                    draw(box, edge_ink, 0, stroke)
            return
        for u, v, f in zip((x * SUPERSAMPLE).tolist(), (y * SUPERSAMPLE).tolist(), fills, strict=True):
            box = (u - half, v - half, u + half, v + half)
            if shape == "x":
                color = outline or f or (0, 0, 0)
                width = max(1, stroke)
                self.draw.line((box[0], box[1], box[2], box[3]), fill=color, width=width)
                self.draw.line((box[0], box[3], box[2], box[1]), fill=color, width=width)
            else:
                raise ValueError(f"unknown marker {shape!r}")

    # ------------------------------------------------------------ text and images

    def text(self, x: float, y: float, text: str, *, size: float = FONT_SIZE, bold: bool = False,
             color: Color = "#000000", anchor: str = "la", rotate: bool = False) -> None:
        """`text` at (x, y) final pixels. anchor: Pillow's two letters, horizontal l/m/r and
        vertical a (ascender, the top of the line) / m / s (baseline) / d (descender).
        rotate: turned a quarter counter-clockwise (a y-axis label), anchored as it is read."""
        from PIL import Image, ImageDraw

        font = self.font(size, bold)
        if not rotate:
            lines, ink = text.count("\n") + 1, self.draw._getink(rgb(color))[0]
            for k, line in enumerate(text.split("\n")):
                offset = _line_offset(k, lines, anchor[1]) * self.line_step(size)
                u, v = x * SUPERSAMPLE, (y + offset) * SUPERSAMPLE
                # as ImageDraw.text draws one line: its glyphs' mask placed at the whole pixel
                glyphs = _glyphs if len(line) <= KEPT_TEXT else _glyphs.__wrapped__  # a title, once
                mask, (du, dv) = glyphs(font, line, anchor, (math.modf(u)[0], math.modf(v)[0]))
                self.draw.draw.draw_bitmap((int(u) + du, int(v) + dv), mask, ink)
            return
        width = math.ceil(font.getlength(text)) + 2
        ascent, descent = font.getmetrics()
        strip = Image.new("L", (width, ascent + descent), 0)
        ImageDraw.Draw(strip).text((0, 0), text, font=font, fill=255, anchor="la")
        strip = strip.rotate(90, expand=True)  # now (ascent + descent) wide, `width` high
        # the anchor as read along the text: horizontal along the rotated text (upward), vertical across it
        along = {"l": 0.0, "m": 0.5, "r": 1.0}[anchor[0]]
        across = {"a": 0.0, "t": 0.0, "m": 0.5, "s": ascent / (ascent + descent), "b": 1.0, "d": 1.0}[anchor[1]]
        left = x * SUPERSAMPLE - across * strip.width
        top = y * SUPERSAMPLE - (1.0 - along) * strip.height
        self.surface.paste(Image.new("RGB", strip.size, rgb(color)), (round(left), round(top)), strip)

    def wrapped(self, text: str, *, width: float, size: float = FONT_SIZE, bold: bool = False,
                separator: str = " ") -> str:
        """`text` with each line wider than `width` final pixels broken after its last part
        (split at `separator`: words, or " · " parts) that fits, as matplotlib's wrap=True
        breaks a line too wide for its figure."""
        lines = []
        for line in text.split("\n"):
            parts = line.split(separator)
            current = parts[0]
            for part in parts[1:]:
                if self.text_width(current + separator + part, size, bold) <= width:
                    current += separator + part
                else:
                    lines.append(current)
                    current = part
            lines.append(current)
        return "\n".join(lines)

    def title(self, title: str) -> float:
        """The figure's bold title centred at the top, broken as every figure's is
        (`common.title_lines`, then between words where a line is still too wide); returns its
        bottom in final pixels, a pad included."""
        title = self.wrapped(title_lines(title, self.width / self.dpi), width=self.width - 2 * self.pt(6),
                             size=TITLE_SIZE, bold=True)
        self.said["title"] = title
        self.text(self.width / 2, self.pt(6), title, size=TITLE_SIZE, bold=True, anchor="ma")
        return self.pt(6) + self.text_height(TITLE_SIZE) + self.line_step(TITLE_SIZE) * title.count("\n") + self.pt(8)

    def image(self, pixels: Array, box: Sequence[float], *, smooth: bool = True) -> None:
        """An (h, w, 3) uint8 image stretched over box (x0, y0, x1, y1) in final pixels, row 0
        at the top; smooth: bilinear between pixels (matplotlib's interpolation="bilinear"),
        else each pixel a block."""
        from PIL import Image

        x0, y0, x1, y1 = (round(v * SUPERSAMPLE) for v in box)
        picture = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "RGB")
        resample = Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST
        self.surface.paste(picture.resize((max(1, x1 - x0), max(1, y1 - y0)), resample), (x0, y0))

    def panel(self, box: Sequence[float], xlim: Sequence[float], ylim: Sequence[float], *, ylog: bool = False) -> Panel:
        """A box (x0, y0, x1, y1) in final pixels whose data limits are xlim and ylim."""
        # the panel sees its canvas through a weak proxy: a cycle would keep the canvas (its
        # supersampled picture, 7-16 MB for loss.png) alive until a full collection, one more a
        # picture drawn; its box in whole pixels, so that its frame is one crisp pixel, not two grey
        panel = Panel(weakref.proxy(self), tuple(float(round(v)) for v in box), (float(xlim[0]), float(xlim[1])),
                      (float(ylim[0]), float(ylim[1])), ylog=ylog)
        self.panels.append(panel)
        return panel

    # ------------------------------------------------------------ the picture

    def pixels(self) -> Array:
        """(height, width, 3) uint8: the picture at its final size (the supersampled canvas averaged down)."""
        return np.asarray(self.surface.reduce(SUPERSAMPLE))

    def png(self, *, creator: str | None = None) -> bytes:
        """The picture as PNG bytes; creator: the Creator text chunk (as matplotlib writes it),
        which `files.made_by` reads to know the file as nnctl's own."""
        return png_bytes(self.surface.reduce(SUPERSAMPLE), dpi=self.dpi, creator=creator)

    def save(self, path: Path, *, creator: str | None = None) -> Path:
        """Write the PNG to `path` (`save_png`)."""
        return save_png(path, self.surface.reduce(SUPERSAMPLE), dpi=self.dpi, creator=creator)


@dataclass
class Bands:
    """A picture given as bands of rows, top to bottom: size (width, height) pixels; bands:
    (rows, width, 3) uint8 arrays, `height` rows in all. `write_png` encodes each as it comes,
    so a tall picture is never held whole (a 300-run boundaries.png is 35 MB of pixels)."""

    size: tuple[int, int]
    bands: Iterator[Array]


def save_png(path: Path, pixels, *, dpi: float, creator: str | None = None) -> Path:
    """Pixels as a PNG (`write_png`) written into `path`'s temporary file and renamed into place
    (`files.atomic_write`), its folder made first as `common.save` makes a figure's."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: write_png(f, pixels, dpi=dpi, creator=creator), binary=True)


def png_bytes(pixels, *, dpi: float, creator: str | None = None) -> bytes:
    """`write_png`'s PNG in memory (report.html embeds its thumbnails)."""
    buffer = io.BytesIO()
    write_png(buffer, pixels, dpi=dpi, creator=creator)
    return buffer.getvalue()


def write_png(file, pixels, *, dpi: float, creator: str | None = None) -> None:
    """(h, w, 3) uint8 (or an RGB Pillow image, or `Bands`, or a palette "P" Pillow image as
    `Image.quantize` makes it: RGB entries, no transparency) as a PNG into the binary `file`, with
    its dpi and the text chunks Software (nnctl) and, given, Creator (as matplotlib writes it,
    which `files.made_by` reads to know the file as nnctl's own). Encoded here, not by Pillow:
    rows unfiltered and zlib at level 1 take 5.7 ms for loss.png where Pillow's adaptive row
    filters take 23.8 ms (at its fastest level), and the file is no larger (63 against 64 KB):
    flat colours and white compress without filters (measured 2026-12-01 on the 2-core VM). A
    report's 256-colour thumbnail: 1.8 ms against Pillow's 2.2, and smaller (`_compressed_rows`);
    and the default pictures need none of Pillow's savers, whose import (its GIF plugin alone:
    20 ms) each sweep paid before its workers forked."""
    width, height = (pixels.size if hasattr(pixels, "size") and not isinstance(pixels, np.ndarray)
                     else (pixels.shape[1], pixels.shape[0]))  # Bands and Pillow images say their size
    palette = _used_palette(pixels) if getattr(pixels, "mode", None) == "P" else None
    per_metre = round(dpi / 0.0254)
    texts = [b"Software\x00nnctl"] + ([b"Creator\x00" + creator.encode("latin-1", "replace")] if creator else [])
    file.write(b"\x89PNG\r\n\x1a\n")
    for kind, data in [(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if palette is None else 3, 0, 0, 0)),
                       *([] if palette is None else [(b"PLTE", palette)]),
                       (b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
                       *((b"tEXt", text) for text in texts),
                       (b"IDAT", _compressed_rows(pixels, width, height, *((3, 1) if palette is None else (1, 6)))),
                       (b"IEND", b"")]:
        file.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))


def _used_palette(image) -> bytes:
    """A "P" image's PLTE chunk: the RGB entries up to the highest index its pixels use (an
    octree's palette has 256 entries for the three colours of a loss curve)."""
    if "transparency" in image.info or image.palette is None or image.palette.mode != "RGB":
        raise ValueError("write_png: a palette image of opaque RGB colours only")
    used = image.getextrema()[1] + 1
    palette = image.getpalette("RGB") or []
    if len(palette) < 3 * used:
        raise ValueError(f"write_png: pixels use palette entry {used - 1}, the palette has {len(palette) // 3}")
    return bytes(palette[: 3 * used])


def _compressed_rows(pixels, width: int, height: int, channels: int = 3, level: int = 1) -> bytes:
    """The zlib stream of the rows, each its filter byte (0) and its pixels (`channels` bytes
    each), a band at a time (`_bands_of`): a 300-run boundaries.png (35 MB of pixels) is never
    copied whole. zlib's stream is the same however its input is cut. level: zlib's, 1 for a
    picture (its speed), 6 for a palette thumbnail, which report.html carries (12.3 KB against
    14.5 at level 1 and Pillow's 13.2, in 1.8 ms against 0.6 and 2.2)."""
    compressor, parts = zlib.compressobj(level), []
    bands = _bands_of(pixels, width, height)
    try:
        for band in bands:
            rows = np.zeros((band.shape[0], 1 + channels * width), dtype=np.uint8)
            rows[:, 1:] = np.asarray(band, dtype=np.uint8).reshape(band.shape[0], -1)
            parts.append(compressor.compress(rows.tobytes()))
    finally:
        getattr(bands, "close", lambda: None)()  # what makes the bands stops on an error here
    parts.append(compressor.flush())
    return b"".join(parts)


def _bands_of(pixels, width: int, height: int, block: int = 256) -> Iterator[Array]:
    """`write_png`'s pixels as bands of rows: `Bands` as they come; an array or a Pillow image
    `block` rows at a time."""
    if isinstance(pixels, Bands):
        return pixels.bands
    if isinstance(pixels, np.ndarray):
        return (pixels[top:top + block] for top in range(0, height, block))
    return (np.asarray(pixels.crop((0, top, width, min(top + block, height)))) for top in range(0, height, block))


def _line_offset(k: int, lines: int, vertical: str) -> float:
    """Line k of `lines` stacked lines, in line heights from the anchor line."""
    if vertical in "at":
        return float(k)
    if vertical == "m":
        return k - (lines - 1) / 2
    return float(k - (lines - 1))


def _runs(mask: Array) -> list[slice]:
    """The maximal runs of True in a (n,) bool mask, as slices."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _notched(xy: Array, width: float) -> Array:
    """(n - 2,) bool: whether each interior vertex of the polyline xy: (n, 2) is where a line
    `width` wide (pixels) turns enough that its two segments leave a notch deeper than NOTCH on
    the outside of the turn: a round joint is drawn there. Pillow's joint="curve" draws a pie
    slice at every vertex, and a contour of a 200-point grid has hundreds (50-200 ms a
    boundary.png), nearly all straight."""
    a, b = np.diff(xy[:-1], axis=0), np.diff(xy[1:], axis=0)
    turn = np.abs(np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], np.einsum("ij,ij->i", a, b)))
    return width / 2 * (1 - np.cos(turn / 2)) > NOTCH


def _dashed(xy: Array, pattern: list[float]) -> tuple[list[Array], Array]:
    """The drawn pieces of a dashed polyline xy: (n, 2): dash, gap, dash, ... lengths in pixels
    along it, the pattern continuing across vertices (as a dashed path in Agg); and the indices
    of the vertices of xy strictly inside a piece, where the drawn line turns (a dash's cut ends
    lie on xy's segments, so such a vertex turns as much in its piece as in xy: `line` tests
    the turns of xy once, not of each of a curve's hundred dashes)."""
    pieces, current, period, inside = [], [xy[0]], len(pattern), []
    phase, left, on = 0, pattern[0], True
    for i, (a, b) in enumerate(zip(xy[:-1], xy[1:], strict=True), start=1):
        length = float(np.hypot(*(b - a)))
        done = 0.0
        while length - done > left:
            done += left
            point = a + (b - a) * (done / length)
            if on:
                current.append(point)
                pieces.append(np.array(current))
            else:
                current = [point]
            phase = (phase + 1) % period
            left, on = pattern[phase], not on
        left -= length - done
        if on:
            current.append(b)
            if left > 0:  # not where the dash ends (the next segment cuts there, at no length)
                inside.append(i)
    if on and len(current) > 1:
        pieces.append(np.array(current))
    return pieces, np.array([i for i in inside if i < len(xy) - 1], dtype=int)


# ---------------------------------------------------------------- panels: data to pixels, axes, legends


@dataclass
class Panel:
    """A box of a canvas with data limits. box: (x0, y0, x1, y1) final pixels, y downward;
    xlim, ylim: the data at the box's left/right and bottom/top; ylog: y on a log scale."""

    canvas: Canvas
    box: tuple[float, float, float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    ylog: bool = False
    # what the panel says, as drawn (for tests to read back): tick labels, axis labels, legend
    said: dict[str, list[str]] = field(default_factory=dict)

    def px(self, x: Array, y: Array) -> tuple[Array, Array]:
        """Data -> final pixels, each (n,)."""
        x0, y0, x1, y1 = self.box
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        (lo, hi), (bottom, top) = self.xlim, self.ylim
        if self.ylog:
            with np.errstate(divide="ignore", invalid="ignore"):
                y, bottom, top = np.log10(y), math.log10(bottom), math.log10(top)
        return x0 + (x - lo) / (hi - lo) * (x1 - x0), y1 - (y - bottom) / (top - bottom) * (y1 - y0)

    def plot(self, x: Array, y: Array, *, color: Color, width: float = 1.5, style: str = "-",
             marker: str | None = None, marker_size: float = 4.0, alpha: float = 1.0) -> None:
        """A line of data (x, y), each (n,); NaN breaks it; `marker` at every finite point, edged
        in its own colour (matplotlib's 1-pt marker edge)."""
        u, v = self.px(x, y)
        self.canvas.line(u, v, color=color, width=width, style=style, alpha=alpha)
        if marker:
            finite = np.isfinite(u) & np.isfinite(v)
            self.canvas.markers(u[finite], v[finite], shape=marker, size=marker_size, fill=color, edge=color,
                                edge_width=1.0)

    def vline(self, x: float, *, color: Color, width: float = 1.5, style: str = "-") -> None:
        """A vertical line across the whole panel at data x."""
        u, _ = self.px([x], [self.ylim[0]])
        self.canvas.line([u[0], u[0]], [self.box[1], self.box[3]], color=color, width=width, style=style)

    def band(self, x: Array, low: Array, high: Array, *, fill: Color, alpha: float) -> None:
        """The area between two curves over x (fill_between)."""
        u, lo = self.px(x, low)
        _, hi = self.px(x, high)
        self.canvas.polygon(np.concatenate([u, u[::-1]]), np.concatenate([lo, hi[::-1]]), fill=fill, alpha=alpha)

    def grid(self, xticks: Array = (), yticks: Array = ()) -> None:
        """Light lines across the panel at the ticks (ax.grid(alpha=0.3))."""
        color, alpha, width = GRID
        x0, y0, x1, y1 = self.box
        for u in self.px(np.asarray(xticks, float), np.full(len(xticks), self._y_inside()))[0]:
            self.canvas.line([u, u], [y0, y1], color=color, alpha=alpha, width=width)
        for v in self.px(np.full(len(yticks), self.xlim[0]), np.asarray(yticks, float))[1]:
            self.canvas.line([x0, x1], [v, v], color=color, alpha=alpha, width=width)

    def _y_inside(self) -> float:
        return self.ylim[0] if not self.ylog else max(self.ylim[0], 1e-300)

    def frame(self, color: Color = "#000000") -> None:
        self.canvas.rectangle(self.box, edge=color, width=FRAME_WIDTH)

    def xticks(self, values: Array, labels: Sequence[str], *, size: float = FONT_SIZE) -> float:
        """Ticks under the panel with their labels; returns the labels' bottom (final pixels)."""
        c, y1 = self.canvas, self.box[3]
        length, pad = c.pt(TICK_LENGTH), c.pt(TICK_PAD)
        self.said["xticks"] = list(labels)
        for u, label in zip(self.px(np.asarray(values, float), np.full(len(values), self._y_inside()))[0], labels,
                            strict=True):
            c.line([u, u], [y1, y1 + length], color="#000000", width=FRAME_WIDTH)
            c.text(u, y1 + length + pad, label, size=size, anchor="ma")
        return y1 + length + pad + c.text_height(size)

    def yticks(self, values: Array, labels: Sequence[str], *, size: float = FONT_SIZE, right: bool = False) -> float:
        """Ticks left (or right) of the panel with their labels; returns the labels' far edge."""
        c, (x0, _, x1, _) = self.canvas, self.box
        length, pad = c.pt(TICK_LENGTH), c.pt(TICK_PAD)
        edge, sign = (x1, 1) if right else (x0, -1)
        far = edge
        self.said["yticks"] = list(labels)
        for v, label in zip(self.px(np.full(len(values), self.xlim[0]), np.asarray(values, float))[1], labels,
                            strict=True):
            c.line([edge, edge + sign * length], [v, v], color="#000000", width=FRAME_WIDTH)
            c.text(edge + sign * (length + pad), v, label, size=size, anchor="lm" if right else "rm")
            far = (max if right else min)(far, edge + sign * (length + pad + c.text_width(label, size)))
        return far

    def xlabel(self, text: str, top: float, *, size: float = FONT_SIZE) -> None:
        """The x-axis label, its top at `top` (under the tick labels: `xticks`' return) + LABEL_PAD."""
        self.said["xlabel"] = [text]
        self.canvas.text((self.box[0] + self.box[2]) / 2, top + self.canvas.pt(LABEL_PAD), text, size=size, anchor="ma")

    def ylabel(self, text: str, left: float, *, size: float = FONT_SIZE) -> None:
        """The y-axis label, read upward, its right edge LABEL_PAD left of `left` (`yticks`' return)."""
        self.said["ylabel"] = [text]
        self.canvas.text(left - self.canvas.pt(LABEL_PAD), (self.box[1] + self.box[3]) / 2, text, size=size,
                         anchor="md", rotate=True)

    def title(self, text: str, *, size: float = FONT_SIZE, bold: bool = False) -> None:
        """A title centred above the panel (ax.set_title: 6 pt above the frame)."""
        self.canvas.text((self.box[0] + self.box[2]) / 2, self.box[1] - self.canvas.pt(6.0), text, size=size,
                         bold=bold, anchor="md")

    def axes(self, xticks: Array, xlabels: Sequence[str], yticks: Array, ylabels: Sequence[str], *,
             xlabel: str = "", ylabel: str = "", grid: bool = True) -> None:
        """Grid, frame, ticks and axis labels, as matplotlib draws an axes."""
        if grid:
            self.grid(xticks, yticks)
        self.frame()
        bottom = self.xticks(xticks, xlabels)
        left = self.yticks(yticks, ylabels)
        if xlabel:
            self.xlabel(xlabel, bottom)
        if ylabel:
            self.ylabel(ylabel, left)

    def legend(self, entries: Sequence[LegendEntry], *, where: str = "best", avoid: Sequence[tuple[Array, Array]] = (),
               size: float = FONT_SIZE) -> None:
        """A legend inside the panel without a frame (legend(frameon=False)): each entry's line
        and/or marker, then its label. where: one of LEGEND_PLACES, or 'best': the first place
        whose box the lines of `avoid` cross least (data (x, y) pairs, each (n,), taken as
        polylines: a vertical line is two points), as matplotlib's loc='best' does."""
        c = self.canvas
        self.said["legend"] = [e.label for e in entries]
        row, handle, gap, border = c.pt(size) * 1.25, c.pt(size * 2.0), c.pt(size * 0.8), c.pt(size * 0.5)
        width = border + handle + gap + max(c.text_width(e.label, size) for e in entries)
        height = 2 * border + row * len(entries)
        x0, y0, x1, y1 = self.box
        lefts = {"left": x0 + border, "center": (x0 + x1 - width) / 2, "right": x1 - width - border}
        tops = {"upper": y0, "center": (y0 + y1 - height) / 2, "lower": y1 - height}
        places = {name: (lefts[h], tops[v]) for name, (v, h) in LEGEND_PLACES.items()}
        if where == "best":
            points = [_densified(*self.px(x, y), step=2.0) for x, y in avoid]

            def covered(corner: tuple[float, float]) -> int:
                left, top = corner
                return sum(int(np.sum((u >= left) & (u <= left + width) & (v >= top) & (v <= top + height)))
                           for u, v in points)

            where = min(places, key=lambda name: covered(places[name]))  # ties: the first, upper right
        left, top = places[where]
        self.said["legend place"] = [where]
        for k, entry in enumerate(entries):
            middle = top + border + row * (k + 0.5)
            a, b = left + border, left + border + handle
            if entry.style is not None:
                c.line([a, b], [middle, middle], color=entry.color, width=entry.width, style=entry.style)
            if entry.marker is not None:
                c.markers([(a + b) / 2], [middle], shape=entry.marker, size=entry.marker_size,
                          fill=entry.fill if entry.fill is not None else entry.color, edge=entry.edge or entry.color,
                          edge_width=1.0)
            c.text(b + gap, middle, entry.label, size=size, anchor="lm")


# matplotlib's legend places, in the order loc="best" tries them: (vertical, horizontal)
LEGEND_PLACES = {
    "upper right": ("upper", "right"), "upper left": ("upper", "left"), "lower left": ("lower", "left"),
    "lower right": ("lower", "right"), "right": ("center", "right"), "center left": ("center", "left"),
    "center right": ("center", "right"),
    "lower center": ("lower", "center"), "upper center": ("upper", "center"), "center": ("center", "center"),
}


def _densified(u: Array, v: Array, *, step: float) -> tuple[Array, Array]:
    """The polyline through (u[i], v[i]) (pixels; NaN breaks it) as points at most about `step`
    pixels apart: a legend placed between two points of a steep line still covers the line."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    length = np.hypot(np.diff(u), np.diff(v))
    inner = np.where(np.isfinite(length), np.ceil(np.nan_to_num(length) / step) - 1, 0).clip(0).astype(int)
    segment = np.repeat(np.arange(len(length)), inner)
    t = (np.arange(len(segment)) - np.repeat(np.cumsum(inner) - inner, inner) + 1) / (inner[segment] + 1)
    new_u, new_v = u[segment] + t * (u[segment + 1] - u[segment]), v[segment] + t * (v[segment + 1] - v[segment])
    finite = np.isfinite(u) & np.isfinite(v)
    return np.concatenate([u[finite], new_u]), np.concatenate([v[finite], new_v])


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a line sample (style None: none) and/or a marker, and the label."""

    label: str
    color: Color = "#000000"
    style: str | None = "-"
    width: float = 1.5
    marker: str | None = None
    marker_size: float = 7.0
    fill: Color | None = None
    edge: Color | None = None


# ---------------------------------------------------------------- ticks: where, and what they say


AUTO_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # matplotlib's AutoLocator (an axis' default ticks)
MAX_N_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # MaxNLocator's when none are given


def nice_ticks(low: float, high: float, most: int, *, integer: bool = False,
               steps: Sequence[float] = AUTO_STEPS) -> Array:
    """Tick values inside [low, high] as matplotlib's MaxNLocator(nbins=most, steps=steps)
    places them: the smallest step of its staircase (a tenth of `steps` below, 10 x the second
    above, x 10^k; whole numbers when `integer`) at least (high - low) / most, a smaller one
    only while fewer than two ticks fall inside. AUTO_STEPS are an axis' default ticks."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return np.array([low]) if np.isfinite(low) else np.array([])
    base = np.asarray(steps, float)
    staircase = np.concatenate([0.1 * base[:-1], base, [10 * base[1]]])
    scaled = staircase * 10.0 ** math.floor(math.log10((high - low) / most))
    if integer:
        scaled = scaled[(scaled < 1) | (np.abs(scaled - np.round(scaled)) < 0.001)]
    large = np.flatnonzero(scaled >= (high - low) / most)
    ticks = np.array([])
    for step in scaled[: (large[0] if len(large) else len(scaled) - 1) + 1][::-1]:
        if integer and math.floor(high) - math.ceil(low) >= 1:
            step = max(1.0, step)
        ticks = np.arange(math.ceil(low / step - 1e-10), math.floor(high / step + 1e-10) + 1) * step
        if len(ticks) >= 2:
            break
    return ticks


def tick_space(length_px: float, dpi: float, *, vertical: bool, size: float = FONT_SIZE) -> int:
    """How many intervals an axis of `length_px` can label: matplotlib's AutoLocator, the
    length over 3 font sizes along x, 2 along y (get_tick_space), between 3 and 9."""
    length_pt = length_px * 72.0 / dpi
    return min(9, max(3, int(length_pt // (size * (2 if vertical else 3)))))


def tick_labels(values: Array, *, percent: bool = False) -> list[str]:
    """Labels of evenly spaced ticks with the decimals their step needs (0.5, 1.0, 1.5; 95%,
    97.5%), a true minus sign; `percent`: fractions as percents. Beyond what plain numbers
    write readably (1e9 and more, or all under 1e-3), scientific notation with as many digits
    as the step needs, so that no two ticks read alike (9.998e4 where 3 digits gave 1e5 twice)."""
    values = np.asarray(values, float) * (100.0 if percent else 1.0)
    steps = np.abs(np.diff(values))
    step = float(np.min(steps)) if len(steps) else (abs(float(values[0])) if len(values) else 1.0)
    suffix = "%" if percent else ""
    big = float(np.max(np.abs(values), initial=0.0))
    if not percent and (big >= 1e9 or 0 < big < 1e-3):
        digits = max(1, math.ceil(math.log10(big / step)) + 1) if step > 0 else 3
        return [_scientific(v, digits) for v in values]
    decimals = 0
    while decimals < 12 and step and abs(round(step, decimals) - step) > 1e-9 * max(1.0, abs(step)):
        decimals += 1
    return [f"{v:.{decimals}f}".replace("-", MINUS) + suffix if round(v, decimals) != 0 else f"{0:.{decimals}f}{suffix}"
            for v in values]


def _scientific(value: float, digits: int) -> str:
    """`value` in scientific notation with `digits` significant digits, trailing zeros dropped."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}".replace("-", MINUS)


def log_ticks(low: float, high: float, *, fine_decades: float) -> tuple[Array, list[str]]:
    """(values, labels) of a log axis over [low, high] (positive): up to `fine_decades`
    decades at 1, 2, 5 x 10^k written as plain numbers; wider, powers of ten as 10^k at a round
    stride (as `common.log_axis`)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if math.log10(high) - math.log10(low) <= fine_decades:
        values = np.array([m * 10.0**k for k in range(first, last + 1) for m in (1.0, 2.0, 5.0)])
        values = values[(values >= low * (1 - 1e-9)) & (values <= high * (1 + 1e-9))]
        return values, [f"{v:g}" for v in values]
    stride = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (last - first) / s <= 6), 200)
    exponents = np.arange(math.floor(first / stride) * stride, last + stride, stride)
    exponents = exponents[(exponents >= math.log10(low) - 1e-9) & (exponents <= math.log10(high) + 1e-9)]
    superscript = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return 10.0 ** exponents.astype(float), [f"10{str(int(e)).translate(superscript)}" for e in exponents]
