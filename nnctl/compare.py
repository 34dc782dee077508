"""`nnctl compare` (layer 5, beside `listing`): runs side by side, as a table and as compare.png.

The runs come from run directories, sweep folders (their runs, in the sweep's order) and globs
(`find_compared`). Each is read as `nnctl runs` reads it (`listing.run_record`), named by the
settings that differ (`listing.differing_keys`, worded by `sweeps.names.run_labels`:
'adam lr=0.01'), and sorted by the final value of one metric (`--metric`, best first).

The table is `listing`'s: CSV and JSON as `nnctl runs --format csv|json` write them, a row per
run; on a terminal (or in a pipe, at 80 columns) a column per run when that fits, else
`listing.print_table`'s row per run.

compare.png (`nnctl.plots.compare`) draws what compares: curves of runs of one task (the task
most runs have), the loss only when the runs minimise the same loss, decision boundaries for
2-D classification; every thing left out is named in one line (`Comparison.notes`). More than
MAX_RUN_LINES runs that differ by seed are drawn one line per setting, the mean over seeds with
a min–max band.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnctl import plots  # the drawing modules load when the picture is drawn
from nnctl.config import entry_defaults
from nnctl.console import counted
from nnctl.errors import NnctlError
from nnctl.files import flow, may_replace, out_folder, read_metrics
from nnctl.listing import (
    default_columns,
    differing_keys,
    find_runs,
    format_csv,
    format_json,
    print_table,
    run_record,
    shown_cell,
    sort_records,
    spare_columns,
)
from nnctl.pictures import check_picture_options, plot_data, predict_scores
from nnctl.plots.common import finite_column
from nnctl.runs import load_run
from nnctl.sweeps.names import run_labels
from nnctl.sweeps.pictures import sweep_metric
from nnctl.sweeps.results import SWEEP_YAML, read_sweep_yaml
from nnctl.vocabulary import SUMMARY_METRICS

FORMATS = ("table", "csv", "json")  # --format: of the table on stdout
X_AXES = ("epochs", "seconds")
PICTURE = "compare"  # compare.png, compare.svg, compare.pdf
CREATOR = "nnctl compare"  # in the picture's metadata: a file of that name nnctl may replace
MAX_RUN_LINES = 8  # more runs than this that differ by seed: a line per setting, mean and min–max over seeds
MAX_BOUNDARY_PANELS = 8
TABLE_WIDTH = 80  # characters a column-per-run table must fit off a terminal
MAX_HEADING_WORDS = 4  # a longer label heads its column by the run folder's name instead
GLOB = "*?["


@dataclass
class Comparison:
    """Runs read for comparing.

    - records: `listing.run_record` of each run, in the order given, each with its "label"
      (what differs, 'adam lr=0.01'; the folder's name when nothing does).
    - keys: the config keys whose values differ (dotted).
    - metric: what the table is sorted by and the second panel draws ('val_accuracy').
    - defaults: per run, the defaults of the optimizer, data set and schedule it chose
      (`config.entry_defaults`).
    - notes: one line for each thing compare.png leaves out, and why.
    """

    records: list[dict[str, Any]]
    keys: list[str]
    metric: str
    defaults: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def at_defaults(self) -> list[str]:
        """The keys that differ only by being parameters of some runs' choices alone, each at
        its default there (adam's betas, rmsprop's alpha): the terminal table names them below
        instead of giving each a line."""
        return [k for k in self.keys if all(k not in r or flow(r[k]) == flow(d.get(k))
                                            for r, d in zip(self.records, self.defaults, strict=True))]

    @property
    def descending(self) -> bool:
        """An accuracy is better larger, a loss smaller."""
        return self.metric.endswith("accuracy")


# -- finding and reading the runs -------------------------------------------------------------


def expand(paths: list[Path | str]) -> list[Path]:
    """The paths, a glob the shell left unexpanded ('runs/moons-*', quoted, or on Windows)
    replaced by what it matches; a glob that matches nothing is an error."""
    expanded = []
    for path in map(str, paths):
        if any(c in path for c in GLOB) and not Path(path).exists():
            matched = sorted(glob.glob(path))
            if not matched:
                raise NnctlError(f"{path}: matches no file or folder")
            expanded += map(Path, matched)
        else:
            expanded.append(Path(path))
    return expanded


def find_compared(paths: list[Path | str]) -> list[Path]:
    """The run directories to compare: each path a run directory, a sweep folder (its runs in
    the sweep's order) or a folder searched for runs (`listing.find_runs`), without duplicates."""
    found: dict[Path, Path] = {}
    for path in expand(paths):
        runs = find_runs([path])
        if (path / SWEEP_YAML).is_file():
            order = {p["name"]: i for i, p in enumerate(read_sweep_yaml(path)["points"])}
            runs.sort(key=lambda run: (order.get(run.name, len(order)), run.name))
        for run in runs:
            found.setdefault(run.resolve(), run)
    if not found:
        raise NnctlError(f"no run directories in {', '.join(map(str, paths))} (give run directories or sweep "
                         "folders that nnctl train or nnctl sweep wrote)")
    return list(found.values())


def read_comparison(paths: list[Path | str], metric: str | None = None) -> Comparison:
    """The runs under `paths`, labelled by what differs; `metric` checked (default: validation
    accuracy, else validation loss, else the training ones: the first the runs have)."""
    records = [run_record(p) for p in find_compared(paths)]
    keys = sorted(differing_keys(records), key=lambda k: k == "seed")  # the seed last: 'adam lr=0.01 seed=2'
    defaults = [entry_defaults(r) for r in records]
    for record, label in zip(records, run_labels(records, keys, defaults), strict=True):
        record["label"] = label or record["name"]
    return Comparison(records, keys, check_metric(records, metric), defaults)


def check_metric(records: list[dict[str, Any]], metric: str | None) -> str:
    """`--metric` as a name of SUMMARY_METRICS ('final.val_loss' is 'val_loss'), one some run has."""
    if metric is None:
        return sweep_metric(records).removeprefix("final.")
    name = metric.removeprefix("final.")
    if name not in SUMMARY_METRICS:
        raise NnctlError(f"--metric: unknown {metric!r} (choose from: {', '.join(SUMMARY_METRICS)})")
    if not any(r.get(f"final.{name}") is not None for r in records):
        have = [m for m in SUMMARY_METRICS if any(r.get(f"final.{m}") is not None for r in records)]
        raise NnctlError(f"--metric {name}: none of the runs has it (they have: {', '.join(have)})")
    return name


# -- the table -------------------------------------------------------------------------------


def comparison_table(comparison: Comparison) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of `--format csv|json`: a row per run, best `metric` first (between
    equal accuracies, the lower loss of the same split first): its label,
    folder name, the settings that differ, status, epochs, the final metrics, the best epoch and
    its monitored value, seconds, path."""
    rows = comparison.records
    if comparison.descending:  # accuracies tie often (100% of a small validation set): the loss decides
        rows = sort_records(rows, f"final.{comparison.metric.split('_')[0]}_loss")
    rows = sort_records(rows, ("-" if comparison.descending else "") + f"final.{comparison.metric}")
    columns = ["label", *(c for c in default_columns(rows) if c != "label"), "path"]
    return columns, [{c: r.get(c) for c in columns} for r in rows]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NnctlError(f"--format: unknown {fmt!r} (choose from: {', '.join(FORMATS)})")
    return fmt


def format_table(comparison: Comparison, fmt: str) -> str:
    """The table as CSV or JSON text, `listing`'s (`nnctl runs --format csv|json`)."""
    columns, rows = comparison_table(comparison)
    return {"csv": format_csv, "json": format_json}[check_format(fmt)](columns, rows)


def print_comparison(comparison: Comparison, console=None) -> None:
    """The table on a terminal, without the wall seconds (so that the same runs print the same
    table): a column per run (`print_columns`) when that fits its width (80 characters off a
    terminal), else `listing.print_table`'s row per run, fitted to the same width."""
    from rich.console import Console

    console = console or Console()
    width = console.width if console.is_terminal else TABLE_WIDTH
    columns, rows = comparison_table(comparison)
    # wall seconds differ from one run of the same config to the next: --format csv has them
    shown = [c for c in columns if c not in ("label", "name", "path", "seconds")]
    defaults = comparison.at_defaults()
    if not print_columns([c for c in shown if c not in defaults], rows, console, width):
        narrow = console if console.is_terminal else Console(file=console.file, width=width)
        print_table(["label", *shown], rows, console=narrow, hint="--format csv has all")
    elif defaults:
        console.print(f"not shown (each run's default, or not one of its settings): {', '.join(defaults)}", style="dim",
                      highlight=False, width=width)


def column_layout(keys: list[str], rows: list[dict[str, Any]], width: int
                  ) -> tuple[dict[str, list[str]], list[str], list[str], list[int]] | None:
    """The table turned: a line per key and a column per run, headed by its label broken between
    words (and after '=' when words are too wide). Keys whose cells read the same in every run
    are left out, and so are, when that is needed to fit `width`, listing's spare keys (train
    metrics, epochs, seconds, …), least wanted first. Returns (cells per key
    shown, keys the same in every run, keys left out to fit, column widths), or None when it
    cannot fit."""
    texts = {k: [shown_cell(k, r.get(k)) for r in rows] for k in keys}
    differ = [k for k in keys if len(rows) == 1 or len(set(texts[k])) > 1]
    spare = list(reversed(spare_columns(differ)))
    heads = [heading(r) for r in rows]
    for dropped in range(len(spare) + 1):
        shown = {k: texts[k] for k in differ if k not in spare[:dropped]}
        key_width = max(map(len, shown), default=0)
        for breaks in (" ", " ="):
            words = [_words(head, breaks) for head in heads]
            widths = [max([*map(len, w), *(len(t[i]) for t in shown.values())]) for i, w in enumerate(words)]
            if key_width + sum(w + 2 for w in widths) <= width:
                return shown, [k for k in keys if k not in differ], [k for k in differ if k not in shown], widths
    return None


def heading(row: dict[str, Any]) -> str:
    """A run's column heading: its label, or when that is longer than MAX_HEADING_WORDS (the
    lines below spell every setting anyway) its folder's name."""
    return row["label"] if len(row["label"].split(" ")) <= MAX_HEADING_WORDS else row["name"]


def _words(label: str, breaks: str) -> list[str]:
    """The pieces a header may break into: its words, and with '=' in `breaks` each word's
    parts after an '=' ('momentum=', '0.9')."""
    words = label.split(" ")
    return [p for w in words for p in (w.replace("=", "=\n").split("\n") if "=" in breaks else [w])]


def header(label: str, width: int) -> str:
    """`label` in lines of at most `width` characters, broken between words, and after an '='
    in a word wider than that."""
    lines: list[str] = []
    for word in label.split(" "):
        pieces = _words(word, " =") if len(word) > width else [word]
        for i, piece in enumerate(pieces):
            if lines and i == 0 and len(lines[-1]) + 1 + len(piece) <= width:
                lines[-1] += " " + piece
            else:
                lines.append(piece)
    return "\n".join(lines)


def print_columns(keys: list[str], rows: list[dict[str, Any]], console, width: int) -> bool:
    """A column per run, a line per key (`column_layout`), and below it the keys every run has
    the same value of and those left out to fit; False (nothing printed) when it does not fit
    in `width`."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    layout = column_layout(keys, rows, width)
    if layout is None:
        return False
    shown, same, left_out, widths = layout
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False, collapse_padding=True)
    grid.add_column("", no_wrap=True)
    for row, w in zip(rows, widths, strict=True):
        grid.add_column(Text(header(heading(row), w)), justify="right", width=w, overflow="fold")
    for key, cells in shown.items():
        grid.add_row(Text(key), *map(Text, cells))
    console.print(grid)
    if same and len(rows) > 1:
        console.print("every run: " + ", ".join(f"{k} {shown_cell(k, rows[0].get(k)) or '—'}" for k in same),
                      style="dim", highlight=False, width=width)
    if left_out:
        console.print(f"left out at {width} columns: {', '.join(left_out)}; --format csv has all", style="dim",
                      highlight=False, width=width)
    return True


# -- the picture -----------------------------------------------------------------------------


def draw_comparison(comparison: Comparison, out: Path | None = None, *, x: str = "epochs", fmt: str = "png",
                    dpi: int = plots.DPI, overwrite: bool = False) -> Path:
    """compare.<fmt> in `out` (default: the current folder), replacing only a picture nnctl
    compare wrote there (or anything, with `overwrite`); what it leaves out is added to
    `comparison.notes`. Returns its path."""
    if x not in X_AXES:
        raise NnctlError(f"--x: unknown {x!r} (choose from: {', '.join(X_AXES)})")
    check_picture_options(fmt, dpi)
    path = picture_path(out, fmt, overwrite)
    return plots.plot_compare(path=path, creator=CREATOR, dpi=dpi, **picture_inputs(comparison, x))


def picture_inputs(comparison: Comparison, x: str = "epochs") -> dict[str, Any]:
    """What `plots.plot_compare` (and `plots.compare_figure`) take to draw the comparison: the
    curves of the runs that compare, the panels' metrics, the boundary panels, the title, the
    caption (what a band is, and `comparison.notes`, to which what is left out is added)."""
    kept = comparable(comparison)
    metrics = panel_metrics(comparison, kept)
    groups = line_groups(comparison, kept)
    curves = [curve(label, members, x) for label, members in groups]
    boundaries, score_label = boundary_panels(comparison, groups)
    return {"curves": curves, "metrics": metrics, "title": picture_title(kept),
            "x_label": "epoch" if x == "epochs" else "seconds of training (wall time)",
            "boundaries": boundaries, "score_label": score_label or "P(class 1)",
            "caption": "\n".join([*band_caption(groups), *comparison.notes])}


def picture_path(out: Path | None, fmt: str, overwrite: bool) -> Path:
    """Where the picture goes: compare.<fmt> in `out`, made when missing. A file already there is
    replaced only when nnctl compare wrote it (its metadata says so: `files.made_by`), or
    with `overwrite`; checked before anything is drawn."""
    folder = out_folder(out if out is not None else Path("."))
    if (folder / "config.yaml").is_file() and (folder / "metrics.csv").is_file():  # compare.png is none of its files
        raise NnctlError(f"--out {folder}: is a run directory, whose files are the run's own; --out another folder")
    path = folder / f"{PICTURE}.{fmt}"
    if not overwrite and not may_replace(path, CREATOR):
        raise NnctlError(f"{path}: exists and nnctl compare did not write it (pass --overwrite to replace it, "
                         "or --out another folder)")
    return path


def task(record: dict[str, Any]) -> str | None:
    """What a run learned, from its metrics: accuracy is kept for classification alone."""
    if record.get("final.train_loss") is None and record.get("final.train_accuracy") is None:
        return None
    return "classification" if record.get("final.train_accuracy") is not None else "regression"


def comparable(comparison: Comparison) -> list[dict[str, Any]]:
    """The runs whose curves compare: those of the task most runs have (the first run's on a
    tie), with metrics; a note names the others."""
    records = comparison.records
    tasks = [task(r) for r in records]
    known = [t for t in tasks if t is not None]
    if not known:
        raise NnctlError("none of the runs has metrics to compare (did they fail before their first epoch?)")
    chosen = max(dict.fromkeys(known), key=known.count)
    left = [r for r, t in zip(records, tasks, strict=True) if t != chosen]
    if left:
        why = ("no metrics" if all(task(r) is None for r in left)
               else f"not {chosen}: their losses and metrics do not compare with the others'")
        comparison.notes.append(f"compare.png leaves out {counted(len(left), 'run')} ({_names(left)}): {why}")
    return [r for r, t in zip(records, tasks, strict=True) if t == chosen]


def _names(records: list[dict[str, Any]]) -> str:
    return _listed([r["name"] for r in records])


def _listed(names: list[str], most: int = 3) -> str:
    """'a, b, c and 4 more'."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def panel_metrics(comparison: Comparison, kept: list[dict[str, Any]]) -> list[str]:
    """The curve panels: the training loss (what every optimizer minimises) and the metric, the
    losses only when the runs minimise the same loss (a note says so otherwise)."""
    metrics = list(dict.fromkeys(["train_loss", comparison.metric]))
    losses = list(dict.fromkeys(str(r.get("loss.name")) for r in kept))
    if len(losses) > 1:
        comparison.notes.append(f"compare.png leaves out the loss curves: the runs minimise different losses "
                                f"({', '.join(losses)}), whose values do not compare")
        metrics = [m for m in metrics if not m.endswith("_loss")] or ["val_accuracy" if any(
            r.get("final.val_accuracy") is not None for r in kept) else "train_accuracy"]
    return metrics


def line_groups(comparison: Comparison, kept: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(legend label, runs) per line: a line per run; more than MAX_RUN_LINES runs that differ by
    seed, a line per setting of the other keys that differ (their runs: its seeds)."""
    if len(kept) <= MAX_RUN_LINES or "seed" not in comparison.keys:
        return [(r["label"], [r]) for r in kept]
    keys = [k for k in comparison.keys if k != "seed"]
    labels = run_labels(kept, keys, [entry_defaults(r) for r in kept])
    groups: dict[str, list[dict[str, Any]]] = {}
    for record, label in zip(kept, labels, strict=True):
        groups.setdefault(label or "every run", []).append(record)
    return list(groups.items())


def band_caption(groups: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    """What a line and its band are, when lines stand for several runs."""
    if all(len(members) == 1 for _, members in groups):
        return []
    seeds = sorted({r.get("seed") for _, members in groups for r in members}, key=str)
    return [f"each line: the mean over seeds {', '.join(map(str, seeds))}; its band: their min–max · "
            "boundaries: each line's first run"]


def curve(label: str, members: list[dict[str, Any]], x: str) -> plots.Curve:
    """A line from the runs' metrics.csv: a run's values, or over several runs (up to the epoch
    all of them reached) their mean, with the min and max as the band. x: "epochs" or "seconds"
    (each run's wall time since its start, averaged over the runs)."""
    tables = [read_metrics(Path(r["path"]) / "metrics.csv") for r in members]
    T = min(map(len, tables))
    tables = [rows[:T] for rows in tables]
    X = np.array([finite_column(rows, "epoch") if x == "epochs" else np.cumsum(np.nan_to_num(
        finite_column(rows, "seconds"))) for rows in tables])
    values = {m: np.array([finite_column(rows, m) for rows in tables]) for m in SUMMARY_METRICS}
    if len(members) == 1:
        return plots.Curve(label, X[0], {m: v[0] for m, v in values.items()})
    return plots.Curve(label, X.mean(axis=0), {m: v.mean(axis=0) for m, v in values.items()},
                       low={m: v.min(axis=0) for m, v in values.items()},
                       high={m: v.max(axis=0) for m, v in values.items()}, runs=len(members))


def boundary_panels(comparison: Comparison, groups: list[tuple[str, list[dict[str, Any]]]]
                    ) -> tuple[list[tuple[str, Any, plots.PlotData]] | None, str]:
    """(label, predict_scores, data) of each line's first finished run, for the boundary row,
    and what the colour bar means; None when the runs are not 2-D classifiers of one data set
    (a note says why when some are, or the data sets differ)."""
    if task(groups[0][1][0]) != "classification":
        return None, ""
    if len(groups) > MAX_BOUNDARY_PANELS:
        comparison.notes.append(f"compare.png leaves out the decision boundaries: {len(groups)} lines are too many "
                                "panels to read side by side")
        return None, ""
    data = list(dict.fromkeys(str(members[0].get("data.name")) for _, members in groups))
    if len(data) > 1:
        comparison.notes.append(f"compare.png leaves out the decision boundaries: the runs learn different data "
                                f"({', '.join(data)}), whose planes do not compare")
        return None, ""
    # a run with final weights: finished, or stopped short (pruned, interrupted) with model.npz all the same
    finished = [(label, next((r for r in members if (Path(r["path"]) / "model.npz").is_file()), None))
                for label, members in groups]
    runs = [(label, load_run(Path(r["path"]))) for label, r in finished if r is not None]
    flat = [run.path.name for _, run in runs if len(run.dataset.raw_columns) != 2 or run.dataset.has_text]
    if len(flat) == len(runs):
        return None, ""
    if flat:
        comparison.notes.append(f"compare.png leaves out the decision boundaries: {_listed(flat)} not 2-D")
        return None, ""
    unfinished = [members[0]["name"] for (_, r), (_, members) in zip(finished, groups, strict=True) if r is None]
    if unfinished:
        comparison.notes.append(f"compare.png leaves out the decision boundaries of {_listed(unfinished)}: "
                                "no final weights to draw (model.npz)")
    panels = [(label, predict_scores(run), plot_data(run)) for label, run in runs]
    return panels, runs[0][1].model.loss.score_label


def picture_title(kept: list[dict[str, Any]]) -> str:
    """'compare · 6 runs · moons · hidden [8, 8] · tanh · seed 0': how many, and what they all
    share of the data, the net and the seed (one seed: the same data and initial weights)."""
    parts = [f"compare · {counted(len(kept), 'run')}"]
    for key, word in (("data.name", ""), ("model.hidden", "hidden "), ("model.activation", ""), ("seed", "seed ")):
        values = {shown_cell(key, r.get(key)) for r in kept}
        if len(values) == 1 and values != {""}:
            parts.append(word + values.pop())
    return " · ".join(parts)
