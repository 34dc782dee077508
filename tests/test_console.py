"""What the terminal shows: progress numbers in one format, the words a run ends with, and the
explanation's arrays wrapped by whole values."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import numpy as np
import yaml
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.console import describe, print_summary


def test_progress_numbers_keep_one_format_as_a_loss_crosses_1e4_and_1e_3():
    """Issue 14: `1.153e+04` then `9221.9463` in one run. Four significant digits, never an exponent."""
    losses = [11530.2, 9221.9463, 2.302585, 0.693147, 0.0712, 0.00012346, 0.0]
    shown = [describe({"train_loss": v}).removeprefix("loss ") for v in losses]
    assert shown == ["11530", "9222", "2.303", "0.6931", "0.07120", "0.0001235", "0"]
    assert describe({"train_loss": float("nan"), "val_loss": float("inf")}) == "loss nan  val_loss inf"
    assert describe({"train_loss": 0.5, "train_accuracy": 1.0, "val_accuracy": 0.9125}) == (
        "loss 0.5000  acc 100.0%  val_acc 91.2%")  # accuracies as percentages, as nnctl runs and report.html show them


def test_an_early_stop_is_said_in_words(capsys):
    summary = {"status": "early_stopped", "epochs": 60, "seconds": 1.234, "best_epoch": 55, "monitor": "val_loss",
               "final": {"train_loss": 0.25}}
    print_summary(SimpleNamespace(summary=summary, run_dir=None))
    assert capsys.readouterr().err.splitlines() == [
        "stopped early after 60 epochs in 1.23 s; kept the weights of epoch 55 (best val_loss)",
        "final weights, whole sets: loss 0.2500",
    ]
    print_summary(SimpleNamespace(summary={**summary, "status": "completed", "epochs": 1}, run_dir=None))
    assert capsys.readouterr().err.splitlines()[0] == "completed after 1 epoch in 1.23 s"


def _array_block(lines: list[str], name: str) -> list[str]:
    """The lines of one array in `nnctl explain`'s tree, the tree's guides cut off: from the line
    after `name SHAPE` to the closing ']]'."""
    start = next(i for i, line in enumerate(lines) if re.search(rf"── {name} \d", line))
    column = lines[start].index(name)
    block = []
    for line in lines[start + 1:]:
        block.append(line[column:])
        if line.rstrip().endswith("]]"):
            return block
    raise AssertionError(f"{name}: no closing ]]")


def test_explain_wraps_array_rows_by_whole_values_in_an_80_column_pipe(tmp_path):
    """Issue 14: rows broke at random places. Every line fits 80 columns, every value is whole,
    continuation lines are indented under their row, as numpy writes them at the width left."""
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": {"name": "moons", "n_samples": 40}, "model": {"hidden": [16]},
                                      "output": {"plots": []}}))
    runner = CliRunner()
    shown = runner.invoke(app, ["explain", str(config), "--max-values", "200"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    W0 = np.array(json.loads(runner.invoke(app, ["explain", str(config), "--max-values", "200", "--json"]).stdout)
                  ["forward"][0]["arrays"]["W0"]["values"])
    block = _array_block(lines, "W0")
    expected = np.array2string(W0, precision=4, suppress_small=True, max_line_width=80 - 12).splitlines()
    assert [line.rstrip() for line in block] == expected
    assert len(block) > W0.shape[0]  # the rows did wrap, each continuation indented under its row
    assert all(line.startswith("  ") for line in block if not line.startswith(("[[", " [")))


def test_explain_takes_a_console(tmp_path):
    """Arrays are Text, not markup: a value such as [nan] is shown, not read as a style."""
    from rich.console import Console

    from nnctl.console import print_explanation

    step = SimpleNamespace(title="loss", formula="L = mse(output, y)", arrays={"L": np.array([np.nan])})
    console = Console(width=60, file=io.StringIO(), record=True, color_system=None)
    print_explanation(SimpleNamespace(forward=[], loss=step, backward=[]), console=console)
    assert "[nan]" in console.export_text()


def test_evaluate_shows_accuracy_as_a_percentage_like_every_other_table(capsys):
    """`nnctl evaluate` printed 0.975 where progress lines, `nnctl runs` and report.html say 97.5%."""
    from nnctl.console import print_evaluation

    print_evaluation({"data": "runs/x/data.npz", "rows": 40, "loss": 0.0853, "accuracy": 0.975})
    out = capsys.readouterr().out
    assert "97.5%" in out and "0.975" not in out and "0.0853" in out
