"""What a notebook shows of nnctl's objects (layer 5): a run's and a sweep's HTML, figures as
embedded PNGs, an animation inline.

Jupyter calls `_repr_html_` on the value of a cell; `trained.TrainedRun` and the sweep results
of `nnctl.run_sweep` answer with the pages made here. Every picture comes from the drawing code
of `nnctl plot` (`pictures.PICTURES`, nnctl.plots), rendered in memory: nothing is written.
IPython and pandas are optional: imported where used, never required.
"""

from __future__ import annotations

import functools
import html
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from nnctl import sweeps  # its modules load when a sweep is shown: a run's display needs none
from nnctl.console import ending, in_jupyter, shown
from nnctl.errors import NnctlError
from nnctl.files import data_uri, figure_bytes, read_bytes
from nnctl.pictures import PICTURES, applicable, title
from nnctl.vocabulary import SUMMARY_METRICS

HTML_DPI = 80  # the inline pictures: legible in a cell, about 60 kB each
MODEL_PICTURES = ("boundary", "fit")  # the one that shows what the model learned, the first that applies
MAX_PICTURE_BYTES = 64_000_000  # a boundaries.png or animation.gif read back to be shown


def figures_inline() -> None:
    """In a Jupyter kernel, have IPython show matplotlib figures as PNG (what `%matplotlib inline`
    sets up), so that `run.plot(...)` as a cell's value is the picture, not '<Figure size ...>'.
    A figure format chosen already (svg, retina, ipympl) is kept; elsewhere nothing is done."""
    if not in_jupyter():
        return
    from IPython import get_ipython  # in_jupyter: IPython runs this
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib.figure import Figure  # loaded already: a figure is being shown

    shell = get_ipython()
    formatters = [*shell.display_formatter.formatters.values(), shell.display_formatter.ipython_display_formatter]
    if not any(Figure in f.type_printers for f in formatters):
        select_figure_formats(shell, {"png"})


def figure_img(figure, alt: str, dpi: int = HTML_DPI) -> str:
    """A matplotlib figure as an <img> holding its PNG."""
    return f'<img src="{data_uri(figure_bytes(figure, fmt="png", dpi=dpi))}" alt="{html.escape(alt)}">'


def metrics_table(final: dict[str, Any]) -> str:
    """The final metrics {train_loss, val_loss, train_accuracy, val_accuracy} as a small table:
    a row per split, a column for loss and (classification) accuracy."""
    splits = [s for s in ("train", "val") if final.get(f"{s}_loss") is not None]
    kinds = [k for k in ("loss", "accuracy") if any(final.get(f"{s}_{k}") is not None for s in splits)]
    head = "".join(f"<th>{k}</th>" for k in kinds)
    body = "".join(f"<tr><th>{'validation' if s == 'val' else 'training'}</th>"
                   + "".join(f"<td>{shown(k, final.get(f'{s}_{k}'))}</td>" for k in kinds) + "</tr>"
                   for s in splits)
    return f"<table><tr><th>final</th>{head}</tr>{body}</table>"


def run_html(run, picture_run) -> str:
    """A trained run as a cell shows it: its name, network and rule (the pictures' title), how
    training ended, the final metrics, then its boundary (or fit) and loss pictures inline.
    `run` is a trained.TrainedRun, `picture_run` the runs.Run its pictures are drawn from."""
    fits = applicable(run.dataset, run.config, run.path)
    names = [*[n for n in MODEL_PICTURES if n in fits][:1], "loss"]
    images = "".join(figure_img(PICTURES[n].draw(picture_run, None, dpi=HTML_DPI), n) for n in names)
    summary = run.summary
    status = ending(summary) if {"status", "epochs", "seconds"} <= set(summary) else summary.get("status", "")
    where = f"<br><small>{html.escape(str(run.path))}</small>" if run.path is not None else ""
    return (f'<div class="nnctl-run"><b>{html.escape(title(picture_run, weights=False))}</b><br>'
            f"{html.escape(status)}{where}{metrics_table(summary.get('final', {}))}"
            f'<div style="display:flex;flex-wrap:wrap;gap:8px">{images}</div></div>')


def show_gif(gif: bytes, *, video: bool = False):
    """An animation for a cell: IPython's Image of the GIF (or, with `video`, an HTML5 video made
    by ffmpeg, which must be on PATH); without IPython, the GIF's bytes."""
    if video:
        return show_video(gif)
    try:
        from IPython.display import Image  # optional: a notebook has it, a script may not
    except ImportError:
        return gif
    return Image(data=gif, format="gif")


def find_ffmpeg() -> str:
    """ffmpeg's path, or one line saying it is needed (checked before a GIF is drawn for it)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise NnctlError("video=True: an HTML5 video needs ffmpeg on PATH, which was not found "
                         "(install ffmpeg, or leave video out to show the GIF)")
    return ffmpeg


def show_video(gif: bytes):
    """The GIF as an embedded MP4 (IPython's Video), converted by ffmpeg."""
    ffmpeg = find_ffmpeg()
    from IPython.display import Video  # optional, as in show_gif

    with tempfile.TemporaryDirectory(prefix="nnctl-video-") as folder:
        target = Path(folder) / "animation.mp4"  # written by ffmpeg; the GIF goes in on its stdin
        # even width and height, yuv420p: what browsers' H.264 decoders take
        subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-f", "gif", "-i", "pipe:0", "-movflags", "faststart",
                        "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", str(target)],
                       input=gif, check=True)
        return Video(data=target.read_bytes(), embed=True, mimetype="video/mp4")


# ---------------------------------------------------------------- sweeps


SWEEP_COLUMNS = ("name", "status", *(f"final.{m}" for m in SUMMARY_METRICS))


def sweep_table(rows: list[dict[str, Any]], settings: list[str]) -> str:
    """The results as an HTML table: name, the swept settings, status and the final metrics."""
    columns = [c for c in (SWEEP_COLUMNS[0], *settings, *SWEEP_COLUMNS[1:]) if any(c in r for r in rows)]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c, row.get(c)))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    return shown(column, value) if column.startswith("final.") else str(value)


def sweep_html(folder: Path, table: str | None = None) -> str:
    """A sweep as a cell shows it: its name and folder, the results table (`table`, or one made
    from results.csv) and boundaries.png (one small boundary per run) when the sweep drew it."""
    rows, settings, asked = sweeps.results.read_results(folder)
    boundaries = Path(folder) / sweeps.results.SWEEP_PICTURES[1]
    picture = ""
    if boundaries.is_file():
        png = read_bytes(boundaries, limit=MAX_PICTURE_BYTES, what="picture")
        picture = f'<img src="{data_uri(png)}" alt="boundaries" style="max-width:100%">'
    return (f'<div class="nnctl-sweep"><b>{html.escape(sweeps.results.sweep_name(folder, asked))}</b> '
            f"<small>{html.escape(str(folder))}</small>{table or sweep_table(rows, settings)}{picture}</div>")


class SweepRecords(list):
    """A sweep's results as a list of records (one dict per run: name, settings, status, final
    metrics, run_dir), which shows its table and boundaries picture in a notebook."""

    def __init__(self, rows: list[dict[str, Any]], folder: Path):
        super().__init__(rows)
        self.folder = Path(folder)

    def _repr_html_(self) -> str:
        return sweep_html(self.folder)


def sweep_results(folder: Path):
    """What `nnctl.run_sweep` returns: a pandas DataFrame of the records when pandas is
    importable (its HTML adds the boundaries picture), else `SweepRecords`."""
    rows = sweeps.results.read_results(folder)[0]
    try:
        import pandas  # optional: a DataFrame when the user has it
    except ImportError:
        return SweepRecords(rows, folder)
    frame = _frame_class(pandas)(rows)
    frame.folder = Path(folder)
    return frame


@functools.cache
def _frame_class(pandas):
    """A DataFrame that keeps its sweep folder through pandas' operations (`_metadata`) and shows
    the boundaries picture under its table."""

    class SweepFrame(pandas.DataFrame):
        _metadata = ["folder"]

        @property
        def _constructor(self):
            return SweepFrame

        def _repr_html_(self) -> str:
            return sweep_html(self.folder, super()._repr_html_())

    return SweepFrame
