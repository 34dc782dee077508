"""Layer 5: report.html, one self-contained page for a sweep folder.

The page holds a header (the sweep's name, base config, counts by status, the grid), the
results table of `results.csv` (sortable by clicking a header, or on load by a link such as
`report.html#sort=final.val_accuracy:desc`), and one card per run with its settings, its
model (boundary, fit, …) and its loss curve as thumbnails drawn at the size they are shown
(`sweeps.pictures.run_thumbnails`: no text to squint at), embedded as base64 PNG. CSS and
JavaScript are inline and nothing is fetched, so the file can be mailed or archived alone.

Only `results.csv` is required; `sweep.yaml` (when there, one nnctl wrote) and the runs are
shown when they are there: a run directory that does not read back shows its own pictures
shrunk, when it has them. Every cell keeps its exact `results.csv`
text in a `data-v` attribute (the shown text is rounded), which is what tests and scripts should
read back. Accuracies are shown as percentages, as `nnctl runs` shows them; every metric goes
by its one name, summary.json's key path (final.val_accuracy).
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nnctl import plots
from nnctl.errors import NnctlError
from nnctl.files import atomic_write, data_uri, flow
from nnctl.sweeps.pictures import Thumbnails, run_thumbnails
from nnctl.sweeps.results import (
    BEST,
    REPORT,
    RUNS,
    SEARCH_PICTURE,
    SWEEP_YAML,
    read_sweep_yaml,
    results_table,
    sweep_name,
)
from nnctl.sweeps.study import best_trial, is_search, trial_groups
from nnctl.sweeps.workers import forked_imap, forking
from nnctl.vocabulary import FINAL_METRICS, STATUSES, SUMMARY_METRICS

THUMB_WIDTH = 260  # the model's thumbnail; the loss curve's is twice as wide
SEARCH_WIDTH = 1400  # search.png, as wide as the page
TEXT_COLUMNS = frozenset({"name", "status", "error", "run_dir"})
# the run's main picture, in order of preference; the loss curve is shown beside it
MAIN_PICTURES = (("boundary.png", "decision boundary"), ("fit.png", "fit"), ("confusion.png", "confusion matrix"))


def write_report(sweep_dir: Path, drawing: Callable[[], dict[Path, Thumbnails]] | None = None) -> Path:
    """Write SWEEP_DIR/report.html atomically and return its path. drawing: the runs' thumbnails
    being drawn already (`drawing_thumbnails`); those it has not are drawn here."""
    sweep_dir = Path(sweep_dir)
    columns, rows = results_table(sweep_dir)
    spec = read_sweep_yaml(sweep_dir) if (sweep_dir / SWEEP_YAML).exists() else {}
    pieces = render(sweep_dir, columns, rows, spec, drawing() if drawing else {})
    return atomic_write(sweep_dir / REPORT, lambda f: f.writelines(f"{piece}\n" for piece in pieces))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric_columns(columns: list[str], rows: list[dict[str, str]]) -> set[str]:
    """Columns whose every non-empty cell is a number (nan and inf included)."""
    numeric = set()
    for c in columns:
        cells = [row[c].strip() for row in rows if row[c].strip()]
        if c not in TEXT_COLUMNS and cells and all(_number(v) is not None for v in cells):
            numeric.add(c)
    return numeric


FINAL = dict(zip(SUMMARY_METRICS, FINAL_METRICS, strict=True))  # val_accuracy -> final.val_accuracy


def format_number(text: str, column: str = "") -> str:
    """Rounded for reading: integers as they are, accuracies as percentages (95.0%), other
    floats to 4 significant digits."""
    value = _number(text)
    if value is None or not math.isfinite(value):
        return text
    if column.endswith("accuracy"):
        return f"{value:.1%}"
    if value.is_integer() and not any(ch in text.lower() for ch in ".e"):
        return str(int(value))
    return f"{value:.4g}"


def _sort_key(text: str) -> str:
    """A cell's number as JavaScript's Number() reads it; '' (sorted last) for empty and nan."""
    value = _number(text)
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _status_class(status: str) -> str:
    return f"st-{status}" if status in STATUSES else "st-other"


def _thumbnail(path: Path, width: int = THUMB_WIDTH) -> str | None:
    """A picture downscaled to `width` px as a data: URI, or None when it is missing or unreadable."""
    if not path.is_file():
        return None
    from PIL import Image  # matplotlib's dependency, heavy: only when a page is written

    try:
        with Image.open(path) as image:
            image.load()
            rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")  # matplotlib's PNGs are RGBA on white anyway
        flat.paste(rgba, mask=rgba.getchannel("A"))
        if flat.width > width:
            flat = flat.resize((width, max(1, round(flat.height * width / flat.width))), Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return data_uri(plots.thumbnail_png(flat))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _breakable(name: str) -> str:
    """A column name that may wrap after its _ and . (the text itself is unchanged)."""
    out = _e(name)
    for sep in ("_", "."):
        out = out.replace(sep, sep + "<wbr>")
    return out


def render(sweep_dir: Path, columns: list[str], rows: list[dict[str, str]], spec: dict[str, Any],
           drawn: dict[Path, Thumbnails] | None = None) -> Iterator[str]:
    """The page's lines; drawn: thumbnails already drawn, by run folder (the others are drawn
    here). Each run's card is made as it is asked for: a 300-run page (about 20 MB with its
    thumbnails) is written as it is made, never held whole."""
    shown = [c for c in columns if c != "run_dir"]
    numeric = _numeric_columns(shown, rows)
    points = {p.get("name"): p.get("settings") for p in spec.get("points") or [] if isinstance(p, dict)}
    setting_keys = _setting_keys(columns, spec)
    title = sweep_name(sweep_dir, spec)
    yield from [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} · nnctl sweep report</title>",
        f"<style>{CSS}</style></head><body>",
        _header(title, rows, spec),
        _search_section(sweep_dir, rows, spec),
        _table(shown, numeric, rows, _best_names(rows, spec)),
        '<h2 id="runs">Runs</h2>',
        '<div class="cards">',
    ]
    yield from (_card(i, row, points.get(row.get("name", "")), setting_keys, sweep_dir, thumbnails)
                for i, (row, thumbnails) in enumerate(zip(rows, _thumbnails(sweep_dir, rows, drawn or {}),
                                                          strict=True)))
    yield from ["</div>", f"<script>{JS}</script>", "</body></html>"]


def _setting_keys(columns: list[str], spec: dict[str, Any]) -> list[str]:
    """The swept settings: results.csv's columns between name and status, else sweep.yaml's keys."""
    if "name" in columns and "status" in columns and columns.index("name") < columns.index("status"):
        return columns[columns.index("name") + 1:columns.index("status")]
    keys: dict[str, None] = {}
    for point in spec.get("points") or []:
        if isinstance(point, dict) and isinstance(point.get("settings"), dict):
            keys.update(dict.fromkeys(point["settings"]))
    return list(keys)


def _header(title: str, rows: list[dict[str, str]], spec: dict[str, Any]) -> str:
    statuses = [row.get("status", "") or "unknown" for row in rows]
    order = [s for s in STATUSES if s in statuses] + [s for s in dict.fromkeys(statuses) if s not in STATUSES]
    counts = " ".join(f'<span class="badge {_status_class(s)}">{_e(s.replace("_", " "))} '
                      f"<b>{statuses.count(s)}</b></span>" for s in order)
    facts = [("base config", f"<code>{_e(spec.get('config', '?'))}</code>" if spec else "<i>no sweep.yaml</i>"),
             ("runs", f"{len(rows)} {counts}")]
    grid = spec.get("grid") or {}
    if isinstance(grid, dict) and grid:
        items = "".join(f"<tr><th>{_e(k)}</th><td>{_values(v)}</td></tr>" for k, v in grid.items())
        facts.append(("grid", f'<table class="grid">{items}</table>'))
    random = spec.get("random") or {}
    if isinstance(random, dict) and random:
        items = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(flow(v))}</code></td></tr>" for k, v in random.items())
        drawn = "searched (see Search)" if is_search(spec) else f"{_e(spec.get('samples', 0))} samples"
        facts.append(("random", f'<table class="grid">{items}</table> {drawn}'))
    overrides = spec.get("set") or spec.get("overrides")
    if isinstance(overrides, list) and overrides:  # KEY=VALUE texts, shown as they were written
        facts.append(("set", " ".join(f"<code>{_e(o)}</code>" for o in overrides)))
    if spec.get("seeds"):
        facts.append(("seeds", _values(spec["seeds"])))
    best = "" if is_search(spec) else _best(rows)  # a search's is the study's, in its own section
    if best:
        facts.append(("best", best))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts)
    return f'<header><h1>Sweep <span class="name">{_e(title)}</span></h1><dl class="facts">{dl}</dl></header>'


def _values(values: Any) -> str:
    if not isinstance(values, list):
        return f"<code>{_e(flow(values))}</code>"
    return " ".join(f"<code>{_e(flow(v))}</code>" for v in values)


def _best(rows: list[dict[str, str]]) -> str:
    """The run with the best final validation accuracy (else loss), linked to its card."""
    for column, pick in ((FINAL["val_accuracy"], max), (FINAL["val_loss"], min)):
        scored = [(v, i) for i, row in enumerate(rows)
                  if (v := _number(row.get(column, ""))) is not None and math.isfinite(v)]
        if scored:
            value, i = pick(scored, key=lambda s: s[0])
            return (f'<a href="#run-{i}">{_e(rows[i].get("name") or f"run {i + 1}")}</a> '
                    f"({_e(column)} {_e(format_number(rows[i][column], column))})")
    return ""


def _best_names(rows: list[dict[str, str]], spec: dict[str, Any]) -> set[str]:
    """The runs of a search's best trial (marked ★ in the table), none for another sweep."""
    best = best_trial(rows, spec) if is_search(spec) else None
    return {row["name"] for row in trial_groups(rows).get(best[0], [])} if best else set()


def _search_section(sweep_dir: Path, rows: list[dict[str, str]], spec: dict[str, Any]) -> str:
    """A search's: its study's settings, the best trial and best.yaml, and search.png."""
    if not is_search(spec):
        return ""
    search, pruning = spec["search"], spec.get("pruning") or {}
    facts = (f"{_e(search.get('method'))} · {_e(search.get('trials'))} trials · {_e(search.get('direction'))} "
             f"<code>{_e(search.get('metric'))}</code>"
             + (f" · pruning {_e(pruning.get('method'))} after {_e(pruning.get('min_epochs'))} epochs" if pruning
                else " · no pruning"))
    best = best_trial(rows, spec)
    if best:
        index = next(i for i, row in enumerate(rows) if row.get("name") in _best_names(rows, spec))
        facts += (f'<br>best: <a href="#run-{index}">trial {best[0]}</a> ({_e(search.get("metric"))} '
                  f"{best[1]:.6g}); its config: <code>{_e(BEST)}</code> "
                  f"(<code>nnctl train {_e(sweep_dir.name)}/{_e(BEST)}</code>)")
    picture = sweep_dir / SEARCH_PICTURE
    image = _thumbnail(picture, SEARCH_WIDTH) if picture.is_file() else None
    figure = (f'<figure><a href="{SEARCH_PICTURE}"><img src="{image}" alt="the search: history, curves, '
              f'importance, parallel coordinates" style="max-width: 100%"></a></figure>' if image else "")
    return f'<h2 id="search">Search</h2><p>{facts}</p>{figure}'


def _table(columns: list[str], numeric: set[str], rows: list[dict[str, str]], best: frozenset | set = frozenset()
           ) -> str:
    heads = "".join(
        f'<th data-col="{_e(c)}" data-type="{"num" if c in numeric else "text"}" tabindex="0" '
        f'title="sort by {_e(c)}"><span class="label">{_breakable(c)}</span><span class="arrow">↕</span></th>'
        for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for c in columns:
            raw = row.get(c, "")
            attrs = f' data-v="{_e(raw)}"'
            if c in numeric:
                cells.append(f'<td class="num"{attrs} data-n="{_sort_key(raw)}" title="{_e(raw)}">'
                             f"{_e(format_number(raw, c))}</td>")
            elif c == "status":
                at = f" at epoch {row['epochs']}" if raw == "pruned" and row.get("epochs") else ""
                cells.append(f'<td{attrs}><span class="badge {_status_class(raw)}">{_e(raw + at)}</span></td>')
            elif c == "name":
                # may wrap after its commas when the table is tight
                link = _e(raw).replace(",", ",<wbr>") + (' <span title="the search\'s best trial">★ best</span>'
                                                         if raw in best else "")
                cells.append(f'<td class="runname"{attrs}><a href="#run-{i}">{link}</a></td>')
            elif c == "error":
                cells.append(f'<td class="error"{attrs} title="{_e(raw)}">{_e(raw)}</td>')
            else:
                cells.append(f"<td{attrs}>{_e(raw)}</td>")
        body.append(f'<tr data-row="{i}">{"".join(cells)}</tr>')
    empty = "" if rows else f'<tr><td colspan="{len(columns)}">no runs yet</td></tr>'
    return (f'<h2>Results</h2><p class="hint">Click a column header to sort; click again to reverse. '
            f'Numbers are rounded; hover a cell for its exact value.</p>'
            f'<div class="tablewrap"><table id="results"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}{empty}</tbody></table></div>')


def _run_dir(i: int, row: dict[str, str]) -> str:
    """The run's folder in the sweep folder: results.csv's run_dir, else runs/NAME."""
    return row.get("run_dir", "") or f"{RUNS}/{row.get('name', '') or f'run {i + 1}'}"


PARALLEL_FROM = 8  # runs: from this many, the thumbnails are drawn by one process a core


def _thumbnails(sweep_dir: Path, rows: list[dict[str, str]], drawn: dict[Path, Thumbnails]) -> list[Thumbnails]:
    """Every run's thumbnails (`run_thumbnails`), in the order of `rows`: those in `drawn` (by run
    folder: the workers', `drawing_thumbnails`'), the few others drawn now, in turn."""
    folders = _folders(sweep_dir, rows)
    drawn = drawn | {folder: _draw(folder) for folder in dict.fromkeys(folders) if folder not in drawn}
    return [drawn[folder] for folder in folders]


@contextlib.contextmanager
def drawing_thumbnails(sweep_dir: Path, drawn: dict[Path, Thumbnails] | None = None
                       ) -> Iterator[tuple[Callable[[], dict[Path, Thumbnails]], bool]]:
    """report.html's thumbnails of the folder's runs: those `drawn` already (by the workers that
    trained them: {run folder: Thumbnails}), the others drawn by forked processes, one a core,
    while the caller draws the sweep's other pictures and then the page
    (`write_report(sweep_dir, drawing)`). Gives (drawing, busy): drawing() waits for them; busy
    says whether those processes take the cores meanwhile. Fewer than PARALLEL_FROM left, one
    core, or no results.csv to read: none are drawn ahead."""
    drawn = dict(drawn or {})
    try:
        _, rows = results_table(sweep_dir)
    except NnctlError:  # write_report says so, in its turn
        rows = []
    missing = [folder for folder in dict.fromkeys(_folders(Path(sweep_dir), rows)) if folder not in drawn]
    if len(missing) < PARALLEL_FROM or not forking():
        yield (lambda: drawn), False
        return
    pending = forked_imap(lambda i: _draw(missing[i]), len(missing))  # they start now
    try:
        yield functools.cache(lambda: drawn | dict(zip(missing, pending, strict=True))), True
    finally:
        pending.close()  # ended, if the caller never asked for them


def _folders(sweep_dir: Path, rows: list[dict[str, str]]) -> list[Path]:
    return [sweep_dir / _run_dir(i, row) for i, row in enumerate(rows)]


def _draw(folder: Path) -> Thumbnails:
    return run_thumbnails(folder, width=THUMB_WIDTH)


def _card(i: int, row: dict[str, str], settings: Any, keys: list[str], sweep_dir: Path, drawn: Thumbnails) -> str:
    name = row.get("name", "") or f"run {i + 1}"
    status = row.get("status", "")
    if isinstance(settings, dict) and settings:
        pairs = [(k, flow(v)) for k, v in settings.items()]
    else:
        pairs = [(k, row.get(k, "")) for k in keys]
    settings_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs)
    metrics = [(c, row.get(c, "")) for c in (FINAL["val_accuracy"], FINAL["val_loss"], "epochs")]
    metrics_html = " · ".join(f"{_e(c)} <b>{_e(format_number(v, c))}</b>" for c, v in metrics if v)
    run_dir = _run_dir(i, row)
    folder = sweep_dir / run_dir
    main_file, main_label = next(((file, label) for file, label in MAIN_PICTURES if (folder / file).is_file()),
                                 ("boundary.png, fit.png", "decision boundary or fit"))
    main_html = _figure(folder, run_dir, main_file, drawn.model_label or main_label, THUMB_WIDTH, drawn.model)
    loss_label = "loss per epoch: train solid, validation dashed" if drawn.loss else "loss and accuracy per epoch"
    loss_html = _figure(folder, run_dir, "loss.png", loss_label, 2 * THUMB_WIDTH, drawn.loss)
    error = row.get("error", "")
    error_html = f'<p class="error">{_e(error)}</p>' if error else ""
    badge = f'<span class="badge {_status_class(status)}">{_e(status)}</span>' if status else ""
    return (f'<section class="card" id="run-{i}"><h3><span class="runname">{_e(name)}</span> {badge}</h3>'
            f'<div class="top">{main_html}<div class="about"><dl class="settings">{settings_html}</dl>'
            f'<p class="metrics">{metrics_html}</p>{error_html}</div></div>{loss_html}</section>')


def _figure(folder: Path, run_dir: str, file: str, label: str, width: int, drawn: bytes | None) -> str:
    """A thumbnail: `drawn` (PNG bytes drawn at this size) when there, else the run's own `file`
    shrunk to `width` px (a run that does not read back, a folder from elsewhere); linked to
    `file` at full size when the run has it."""
    uri = data_uri(drawn) if drawn is not None else _thumbnail(folder / file, width)
    if uri is None:
        missing = "unreadable" if (folder / file).is_file() else "not in the run folder"
        return (f'<figure class="missing" style="width: {width}px"><div>no picture: {_e(file)} {missing}</div>'
                f"<figcaption>{_e(label)}</figcaption></figure>")
    image = f'<img src="{uri}" alt="{_e(label)}">'
    if (folder / file).is_file():
        href = quote(f"{run_dir.rstrip('/')}/{file}", safe="/")
        image = f'<a href="{_e(href)}" title="full size">{image}</a>'
    return f'<figure style="width: {width}px">{image}<figcaption>{_e(label)}</figcaption></figure>'


CSS = """
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; padding: 20px 24px 60px; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 8px; } h1 .name { font-family: ui-monospace, Menlo, monospace; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; background: var(--bg); padding: 1px 4px;
       border-radius: 3px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
table.grid { border-collapse: collapse; } table.grid th { text-align: left; font-weight: 600; padding: 1px 12px 1px 0; }
table.grid td { padding: 1px 0; } table.grid code { margin-right: 4px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12.5px; white-space: nowrap;
         border: 1px solid transparent; }
.st-completed { background: #dcf5e3; color: #12622f; border-color: #a6dcb5; }
.st-early_stopped { background: #dceefc; color: #1b4f80; border-color: #a9cdee; }
.st-diverged { background: #ffe9d1; color: #8a4300; border-color: #f3c28e; }
.st-interrupted { background: #fff6c7; color: #6b5800; border-color: #e8d77a; }
.st-failed { background: #fde0e0; color: #9b1c1c; border-color: #f0a9a9; }
.st-pruned { background: #f1e4fb; color: #5e2a84; border-color: #d5b5ec; }
.st-pending, .st-other { background: #eceef2; color: #4a5263; border-color: #cfd4dc; }
.hint { color: var(--muted); margin: 0 0 6px; font-size: 12.5px; }
.tablewrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
#results { border-collapse: collapse; width: 100%; font-size: 13px; }
#results th { position: sticky; top: 0; background: #eef1f5; text-align: left; vertical-align: bottom;
              padding: 6px 6px; cursor: pointer; user-select: none; border-bottom: 1px solid var(--line);
              font-weight: 600; min-width: 4em; }
#results th[data-type="num"] { text-align: right; }
#results th:hover { background: #e2e7ee; }
#results th .arrow { color: #b0b7c3; margin-left: 3px; font-size: 11px; }
#results th[aria-sort] .arrow { color: var(--fg); }
#results th[aria-sort] { background: #dde4ee; }
#results td { padding: 4px 6px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
#results td.num { text-align: right; font-variant-numeric: tabular-nums; }
#results td.error { min-width: 11em; white-space: normal; overflow-wrap: anywhere; color: #9b1c1c; font-size: 12px; }
#results td.runname { white-space: normal; min-width: 12em; }
#results tbody tr:hover { background: #f4f7fb; }
.runname { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
a { color: #1d5fbf; text-decoration: none; } a:hover { text-decoration: underline; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(550px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card:target { outline: 3px solid #7aa7e6; }
.card h3 { margin: 0 0 6px; font-size: 14px; word-break: break-all; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 0 10px; margin: 0 0 4px;
              font-size: 12.5px; }
dl.settings dt { color: var(--muted); } dl.settings dd { margin: 0; font-family: ui-monospace, Menlo, monospace; }
.metrics { margin: 2px 0 6px; font-size: 12.5px; color: var(--muted); } .metrics b { color: var(--fg); }
p.error { color: #9b1c1c; background: #fdf0f0; padding: 4px 6px; border-radius: 4px; margin: 4px 0;
          font-size: 12.5px; word-break: break-word; }
.card .top { display: flex; gap: 14px; align-items: flex-start; margin-bottom: 6px; }
.card .about { flex: 1; min-width: 0; }
figure { margin: 0; max-width: 100%; }
figure img { display: block; width: 100%; height: auto; border: 1px solid #eef0f3; }
figcaption { font-size: 12px; color: var(--muted); text-align: center; }
figure.missing div { height: 64px; display: flex; align-items: center; justify-content: center; padding: 8px;
                     background: var(--bg); color: var(--muted); border: 1px dashed var(--line); font-size: 12.5px; }
"""

# Sorting: a click on a header sorts by it (again: reversed); numeric columns by value, others as
# text with numbers inside compared by value ([4] < [16]); empty cells last either way; ties keep
# results.csv's order. `#sort=COLUMN:asc|desc` in the URL sorts on load, and clicks update it.
JS = """
(function () {
  var table = document.getElementById("results");
  if (!table) return;
  var tbody = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var original = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-row]"));
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var current = null;

  function key(row, i, numeric) {
    var cell = row.cells[i];
    var text = numeric ? cell.getAttribute("data-n") : cell.getAttribute("data-v");
    if (text === null || text === "") return null;
    return numeric ? Number(text) : text;
  }

  function sortBy(column, dir) {
    var i = -1;
    heads.forEach(function (h, j) { if (h.getAttribute("data-col") === column) i = j; });
    if (i < 0) return false;
    var numeric = heads[i].getAttribute("data-type") === "num";
    var sign = dir === "desc" ? -1 : 1;
    var items = original.map(function (row, j) { return {row: row, j: j, k: key(row, i, numeric)}; });
    items.sort(function (a, b) {
      if (a.k === null || b.k === null) {
        if (a.k === b.k) return a.j - b.j;
        return a.k === null ? 1 : -1;
      }
      var c = numeric ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : collator.compare(a.k, b.k);
      return c !== 0 ? sign * c : a.j - b.j;
    });
    items.forEach(function (item) { tbody.appendChild(item.row); });
    heads.forEach(function (h) {
      h.removeAttribute("aria-sort");
      h.querySelector(".arrow").textContent = "\\u2195";
    });
    heads[i].setAttribute("aria-sort", dir === "desc" ? "descending" : "ascending");
    heads[i].querySelector(".arrow").textContent = dir === "desc" ? "\\u25BC" : "\\u25B2";
    table.setAttribute("data-sort", column + ":" + dir);
    current = {column: column, dir: dir};
    return true;
  }

  function fromHash() {
    var m = /^#sort=([^:]*):(asc|desc)$/.exec(location.hash);
    if (m) sortBy(decodeURIComponent(m[1]), m[2]);
  }

  function clicked(h) {
    var column = h.getAttribute("data-col");
    var dir = current && current.column === column && current.dir === "asc" ? "desc" : "asc";
    if (sortBy(column, dir)) {
      try { history.replaceState(null, "", "#sort=" + encodeURIComponent(column) + ":" + dir); } catch (e) {}
    }
  }

  heads.forEach(function (h) {
    h.addEventListener("click", function () { clicked(h); });
    h.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); clicked(h); }
    });
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""
