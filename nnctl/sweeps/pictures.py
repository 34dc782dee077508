"""Layer 5: a sweep's own pictures, gathered from its folder: sweep.png (a metric against each
swept setting, from results.csv) and boundaries.png (one small decision boundary per finished
run, from its run directory). The arrays and callables come from `results` and
`nnctl.pictures`; `nnctl.plots` draws them. Their titles name the sweep as the report does
(`results.sweep_name`), their labels write values as the run folders' names do (`names`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnctl.pictures import plot_data, predict_scores
from nnctl.plots import plot_boundaries, plot_sweep
from nnctl.runs import load_run
from nnctl.sweeps.names import setting_labels
from nnctl.sweeps.results import SWEEP_PICTURES, read_results, sweep_name
from nnctl.vocabulary import FINAL_METRICS, FINISHED, SUMMARY_METRICS


def sweep_metric(rows: list[dict[str, Any]]) -> str:
    """The metric sweep.png plots: validation accuracy, else validation loss, else training
    accuracy, else training loss (the first any row has)."""
    final = dict(zip(SUMMARY_METRICS, FINAL_METRICS, strict=True))
    preferred = sorted(SUMMARY_METRICS, key=lambda m: (m.startswith("train_"), m.endswith("_loss")))
    for metric in (final[m] for m in preferred):
        if any(row.get(metric) is not None for row in rows):
            return metric
    return final[preferred[-1]]


def draw_sweep_pictures(folder: Path, *, dpi: int = 110, metric: str | None = None) -> list[Path]:
    """sweep.png (the metric against each swept setting) and, when the runs are 2-D
    classifiers, boundaries.png (one small boundary per finished run, labelled by its settings)."""
    rows, settings, asked = read_results(folder)
    title = sweep_name(folder, asked)
    written = []
    sweep_png, boundaries_png = (folder / name for name in SWEEP_PICTURES)
    if settings:
        written.append(plot_sweep(rows, settings, sweep_png, metric=metric or sweep_metric(rows),
                                  title=title, dpi=dpi))
    panels, score_label = [], "P(class 1)"
    labels = setting_labels(rows, [k for k in [*settings, "seed"] if rows and k in rows[0]])
    for row, label in zip(rows, labels, strict=True):
        if row.get("status") not in FINISHED:
            continue
        run = load_run(folder / row["run_dir"])
        if run.dataset.task != "classification" or run.dataset.n_features != 2:
            return written
        panels.append((label, predict_scores(run), plot_data(run)))
        score_label = run.model.loss.score_label
    if panels:
        written.append(plot_boundaries(panels, boundaries_png, title=title, dpi=dpi,
                                       score_label=score_label))
    return written
