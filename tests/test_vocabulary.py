"""One vocabulary (issue 13): run statuses and metric names are defined once, in
nnctl/vocabulary.py; every table keyed by them covers them all, and no module spells a list of
them again."""

from __future__ import annotations

import ast
import csv
import json
import typing
from pathlib import Path

import pytest
import yaml

from nnctl.config import EarlyStoppingConfig
from nnctl.listing import STATUS_STYLES
from nnctl.sweeps.report import CSS
from nnctl.vocabulary import FINAL_METRICS, FINISHED, METRICS, STATUSES, SUMMARY_METRICS

PACKAGE = Path(__file__).resolve().parent.parent / "nnctl"


def test_every_status_has_a_colour_in_nnctl_runs():
    assert list(STATUS_STYLES) == list(STATUSES)
    assert all(STATUS_STYLES.values())


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_a_badge_in_the_sweep_report(status):
    assert f".st-{status} " in CSS or f".st-{status}," in CSS


def test_finished_statuses_and_monitors_come_from_the_vocabulary():
    assert set(FINISHED) < set(STATUSES)
    assert typing.get_args(EarlyStoppingConfig.model_fields["monitor"].annotation) == SUMMARY_METRICS
    assert set(SUMMARY_METRICS) < set(METRICS)


def _spelled(node: ast.AST) -> list[str]:
    """The string constants of a tuple, list or set literal, or of a dict literal's keys."""
    items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", [])
    return [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]


def test_no_module_spells_the_vocabulary_again():
    """A literal holding two statuses (a tuple, a list, a set, a dict's keys), or a list of three
    metric names (bare, as results.csv's final.NAME, or as its final_NAME of before issue 14), is a
    second copy of the vocabulary: it must come from nnctl.vocabulary instead."""
    metrics = {*METRICS, *FINAL_METRICS, *(f"final_{m}" for m in SUMMARY_METRICS)}
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                continue
            words = set(_spelled(node))
            listed = not isinstance(node, ast.Dict)  # a dict of metric names is a row of values, not a list of names
            if len(words & set(STATUSES)) >= 2 or (listed and len(words & metrics) >= 3):
                copies.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {sorted(words)}")
    assert copies == []


def test_a_runs_files_say_what_the_vocabulary_names(tmp_path):
    """summary.json's status, final and best metrics, metrics.csv's columns: words of the vocabulary,
    in its order."""
    from nnctl.config import load_config
    from nnctl.workflow import train_run

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
                                      "train": {"epochs": 2}, "output": {"plots": []}}))
    run = train_run(load_config(config), run_dir=tmp_path / "run").run_dir
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] in STATUSES
    assert list(summary["final"]) == list(summary["best"]) == list(SUMMARY_METRICS)
    with open(run / "metrics.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == [m for m in METRICS if m in header] and len(header) == len(METRICS)
