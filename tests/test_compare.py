"""`nnctl compare`: runs found in folders, sweeps and globs; the table (terminal, CSV, JSON) read
back against summary.json; compare.png's data (lines equal to metrics.csv, legend labels, the
boundary panels' shared axes, groups' mean and band over seeds); what is left out and said;
user errors in one line. Tiny runs (60 moons, 3 epochs), trained once per module."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from plot_helpers import drawn
from typer.testing import CliRunner

from nnctl import load_config
from nnctl.cli import app
from nnctl.compare import (
    CREATOR,
    MAX_RUN_LINES,
    comparison_table,
    draw_comparison,
    find_compared,
    format_table,
    picture_inputs,
    print_comparison,
    read_comparison,
)
from nnctl.errors import NnctlError
from nnctl.files import made_by, read_json, read_metrics
from nnctl.plots import compare_figure
from nnctl.sweeps.names import run_labels
from nnctl.training import train

TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
        "train": {"epochs": 3}, "output": {"plots": []}}
# the optimizer race in small: folder -> its optimizer entry
RACE = {
    "sgd": {"name": "sgd", "lr": 0.1},
    "momentum": {"name": "sgd", "lr": 0.1, "momentum": 0.9},
    "adam": {"name": "adam", "lr": 0.01},
}
LABELS = {"sgd": "sgd lr=0.1", "momentum": "sgd lr=0.1 momentum=0.9", "adam": "adam lr=0.01"}
LRS, SEEDS = (0.1, 0.5), range(5)  # 10 runs, more than MAX_RUN_LINES: a line per lr
runner = CliRunner()


def tiny(overrides: list[str] | None = None, **sections):
    return load_config({**TINY, **sections}, overrides or [])


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("compare")
    for folder, optimizer in RACE.items():
        train(tiny(optimizer=optimizer), run_dir=root / "race" / folder)
    for lr in LRS:
        for seed in SEEDS:
            train(tiny([f"optimizer.lr={lr}", f"seed={seed}"]), run_dir=root / "seeds" / f"lr{lr}-seed{seed}")
    train(tiny(data={"name": "noisy-linear", "n_samples": 60}, loss="mse"), run_dir=root / "mixed" / "line")
    train(tiny(data={"name": "circles", "n_samples": 60}), run_dir=root / "circles")
    return root


def race(root: Path) -> list[Path]:
    return [root / "race" / folder for folder in RACE]


def summary(row: dict) -> dict:
    return read_json(Path(row["path"]) / "summary.json")


# -- finding runs ------------------------------------------------------------------------------


def test_runs_from_folders_globs_and_sweep_folders_in_the_sweep_order(root, tmp_path):
    assert find_compared(race(root)) == race(root)
    assert find_compared([root / "race" / "*m*"]) == [root / "race" / "adam", root / "race" / "momentum"]
    # a sweep folder: its runs in sweep.yaml's order, not by name
    sweep = tmp_path / "sweep"
    points = [{"name": name, "settings": {"optimizer": RACE[name]}} for name in ("sgd", "momentum", "adam")]
    (sweep / "runs").mkdir(parents=True)
    (sweep / "sweep.yaml").write_text(yaml.safe_dump({"config": "x.yaml", "points": points}))
    for name in RACE:
        shutil.copytree(root / "race" / name, sweep / "runs" / name)
    assert [p.name for p in find_compared([sweep])] == ["sgd", "momentum", "adam"]
    with pytest.raises(NnctlError, match=r"race/\*zz\*: matches no file or folder"):
        find_compared([root / "race" / "*zz*"])


# -- the table -----------------------------------------------------------------------------------


def test_the_differing_keys_are_exactly_those_that_differ_and_name_the_runs(root):
    comparison = read_comparison(race(root))
    # sgd's momentum and nesterov, adam's betas and eps: absent from the others' configs
    assert comparison.keys == ["optimizer.name", "optimizer.lr", "optimizer.momentum", "optimizer.nesterov",
                               "optimizer.betas", "optimizer.eps"]
    assert [r["label"] for r in comparison.records] == list(LABELS.values())
    assert comparison.metric == "val_accuracy"


def test_table_values_read_back_equal_summary_json_sorted_by_the_metric(root):
    for metric, descending in (("val_loss", False), ("train_accuracy", True), (None, True)):
        comparison = read_comparison(race(root), metric)
        columns, rows = comparison_table(comparison)
        key = f"final.{comparison.metric}"
        values = [summary(r)["final"][comparison.metric] for r in rows]
        assert values == sorted(values, reverse=descending)
        for row in rows:
            s = summary(row)
            assert {m: row[f"final.{m}"] for m in s["final"]} == s["final"]
            assert (row["best_epoch"], row["best.val_loss"], row["seconds"]) == (
                s["best_epoch"], s["best"]["val_loss"], s["seconds"])
        assert columns[:2] == ["label", "name"] and key in columns and columns[-1] == "path"


def test_equal_accuracies_are_ordered_by_the_loss_of_the_same_split():
    from nnctl.compare import Comparison

    records = [{"name": n, "label": n, "final.val_accuracy": a, "final.val_loss": loss, "final.train_loss": 0.1}
               for n, a, loss in (("a", 1.0, 0.3), ("b", 0.9, 0.01), ("c", 1.0, 0.1), ("d", 1.0, 0.2))]
    _, rows = comparison_table(Comparison(records, [], "val_accuracy", [{}] * 4))
    assert [r["name"] for r in rows] == ["c", "d", "a", "b"]


def test_csv_and_json_are_listings_with_every_digit(root):
    comparison = read_comparison(race(root), "val_loss")
    columns, rows = comparison_table(comparison)
    from_csv = list(csv.DictReader(io.StringIO(format_table(comparison, "csv"))))
    from_json = json.loads(format_table(comparison, "json"))
    assert list(from_csv[0]) == columns and list(from_json[0]) == columns
    for row, c, j in zip(rows, from_csv, from_json, strict=True):
        s = summary(row)
        assert float(c["final.val_loss"]) == s["final"]["val_loss"] == j["final.val_loss"]
        assert c["label"] == j["label"] == row["label"]
    assert from_json[[r["label"] for r in from_json].index("adam lr=0.01")]["optimizer.betas"] == [0.9, 0.999]


def test_the_terminal_table_is_a_column_per_run_within_80_characters(root):
    from rich.console import Console

    out = io.StringIO()
    comparison = read_comparison(race(root), "val_loss")
    print_comparison(comparison, Console(file=out, width=200))  # not a terminal: 80 columns
    lines = out.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    body = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("optimizer.", "final."))}
    _, rows = comparison_table(comparison)
    assert body["optimizer.name"] == [r["optimizer.name"] for r in rows]
    assert body["final.val_loss"] == [f"{summary(r)['final']['val_loss']:.4g}" for r in rows]
    assert "every run: status completed, epochs 3" in out.getvalue()
    # parameters of one choice at its defaults (sgd's nesterov, adam's betas and eps): named once
    # below, not a line each; no wall seconds
    assert "optimizer.betas" not in body and not any(line.startswith("seconds") for line in lines)
    assert ("not shown (each run's default, or not one of its settings): optimizer.nesterov, optimizer.betas, "
            "optimizer.eps") in " ".join(" ".join(lines).split())


def test_many_runs_are_a_row_each_within_80_characters(root):
    from rich.console import Console

    out = io.StringIO()
    comparison = read_comparison([root / "seeds"], "val_loss")
    print_comparison(comparison, Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    labels = [line.split("  ")[0].strip() for line in lines if line.startswith("lr=")]
    assert labels == [r["label"] for r in comparison_table(comparison)[1]] and len(labels) == 10
    assert "--format csv has all" in out.getvalue() and "--columns" not in out.getvalue()  # compare has none


def test_run_labels_leave_out_defaults_of_one_choice_unless_that_merges_two():
    rows = [{"optimizer.name": "sgd", "optimizer.lr": 0.1, "optimizer.nesterov": False},
            {"optimizer.name": "sgd", "optimizer.lr": 0.1, "optimizer.nesterov": True},
            {"optimizer.name": "adam", "optimizer.lr": 0.01, "optimizer.eps": 1e-8}]
    keys = ["optimizer.name", "optimizer.lr", "optimizer.nesterov", "optimizer.eps"]
    defaults = [{"optimizer.nesterov": False}, {"optimizer.nesterov": False}, {"optimizer.eps": 1e-8}]
    assert run_labels(rows, keys, defaults) == ["sgd lr=0.1", "sgd lr=0.1 nesterov", "adam lr=0.01"]
    assert run_labels(rows[:1] * 2, keys[:1], defaults[:1] * 2) == ["sgd", "sgd"]
    same = [{"loss.l1": 0.0, "optimizer.eps": 1e-8}, {"loss.l1": 0.0}]
    assert run_labels(same, ["optimizer.eps"], [{"optimizer.eps": 1e-8}, {}]) == ["eps=1e-8", ""]


# -- the picture -----------------------------------------------------------------------------------


def test_picture_lines_are_metrics_csv_legend_names_what_differs_boundaries_share_axes(root):
    comparison = read_comparison(race(root))
    fig = compare_figure(**picture_inputs(comparison))
    panels = {ax.get_label(): ax for ax in fig.get_axes() if ax.get_label() in ("train_loss", "val_accuracy")}
    assert list(panels) == ["train_loss", "val_accuracy"]
    for metric, ax in panels.items():
        assert [line.get_label() for line in ax.get_lines()] == list(LABELS.values())
        for line, run in zip(ax.get_lines(), race(root), strict=True):
            rows = read_metrics(run / "metrics.csv")
            assert np.array_equal(line.get_xdata(), [r["epoch"] for r in rows])
            assert np.array_equal(line.get_ydata(), [r[metric] for r in rows])
    legend = fig.subfigs[0].legends[0]
    assert sorted(t.get_text() for t in legend.get_texts()) == sorted(LABELS.values())
    boundaries = [ax for ax in fig.subfigs[1].get_axes() if ax.get_aspect() == 1.0]
    assert len(boundaries) == 3
    limits = {(ax.get_xlim(), ax.get_ylim()) for ax in boundaries}
    assert len(limits) == 1  # one shared range, in data units, covering every run's data
    (x0, x1), (y0, y1) = limits.pop()
    X = np.vstack([np.load(run / "data.npz")[k] for run in race(root) for k in ("X_train", "X_val")])
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1
    colors = {line.get_label(): line.get_color() for line in panels["train_loss"].get_lines()}
    for ax, label in zip(boundaries, LABELS.values(), strict=True):  # framed in its line's colour
        assert label in ax.get_title()
        assert ax.spines["left"].get_edgecolor()[:3] == pytest.approx(_rgb(colors[label]))


def _rgb(color):
    from matplotlib.colors import to_rgb

    return to_rgb(color)


def test_x_seconds_is_wall_time_since_the_start(root):
    comparison = read_comparison(race(root), "val_loss")
    curve = picture_inputs(comparison, x="seconds")["curves"][0]
    rows = read_metrics(race(root)[0] / "metrics.csv")
    assert np.allclose(curve.x, np.cumsum([r["seconds"] for r in rows]))


def test_more_than_eight_runs_are_a_line_per_setting_with_mean_and_min_max_over_seeds(root):
    comparison = read_comparison([root / "seeds"], "val_loss")
    assert len(comparison.records) > MAX_RUN_LINES
    inputs = picture_inputs(comparison)
    assert [c.label for c in inputs["curves"]] == [f"lr={lr}" for lr in LRS]
    assert inputs["caption"].startswith("each line: the mean over seeds 0, 1, 2, 3, 4; its band: their min–max")
    fig = compare_figure(**inputs)
    ax = next(ax for ax in fig.get_axes() if ax.get_label() == "val_loss")
    for lr, curve, line in zip(LRS, inputs["curves"], ax.get_lines(), strict=True):
        Y = np.array([[r["val_loss"] for r in read_metrics(root / "seeds" / f"lr{lr}-seed{s}" / "metrics.csv")]
                      for s in SEEDS])
        assert curve.runs == 5
        assert np.allclose(line.get_ydata(), Y.mean(axis=0))
        assert np.allclose(curve.low["val_loss"], Y.min(axis=0)) and np.allclose(curve.high["val_loss"], Y.max(0))
    band = ax.collections[0].get_paths()[0].vertices  # fill_between: the low edge then the high edge back
    Y0 = np.array([[r["val_loss"] for r in read_metrics(root / "seeds" / f"lr{LRS[0]}-seed{s}" / "metrics.csv")]
                   for s in SEEDS])
    assert np.allclose(np.sort(np.unique(band[:, 1])), np.sort(np.unique(np.r_[Y0.min(0), Y0.max(0)])))


def test_runs_of_another_task_are_left_out_of_the_picture_in_one_line(root):
    comparison = read_comparison([*race(root), root / "mixed"], "val_loss")
    inputs = picture_inputs(comparison)
    assert [c.label for c in inputs["curves"]] == [r["label"] for r in comparison.records[:3]]
    assert comparison.notes == ["compare.png leaves out 1 run (line): not "
                                "classification: their losses and metrics do not compare with the others'"]
    assert len(comparison_table(comparison)[1]) == 4  # the table has every run
    assert comparison.notes[0] in inputs["caption"]  # and the picture says it too


def test_boundaries_of_different_data_sets_are_left_out_in_one_line(root):
    comparison = read_comparison([*race(root)[:1], root / "circles"], "val_loss")
    inputs = picture_inputs(comparison)
    assert inputs["boundaries"] is None and len(inputs["curves"]) == 2  # the curves of one task compare
    assert comparison.notes == ["compare.png leaves out the decision boundaries: the runs learn different data "
                                "(moons, circles), whose planes do not compare"]


def test_a_long_label_heads_its_column_by_the_folder_name(root):
    from rich.console import Console

    out = io.StringIO()
    comparison = read_comparison([*race(root), root / "mixed"], "val_loss")
    print_comparison(comparison, Console(file=out, width=200))
    lines = out.getvalue().splitlines()
    heading = " ".join(lines[:next(i for i, line in enumerate(lines) if line.startswith("─"))]).split()
    assert len(comparison.records[3]["label"].split()) > 4
    assert "line" in heading and "noisy-linear" not in heading and "adam" in heading


# -- the command -----------------------------------------------------------------------------------


def invoke(*args, cwd: Path | None = None):
    return runner.invoke(app, ["compare", *map(str, args)])


def test_the_command_prints_the_table_and_writes_its_own_picture_again(root, tmp_path):
    out = tmp_path / "out"
    result = invoke(root / "race", root / "mixed", "--out", out, "--format", "csv", "--dpi", 30)
    assert result.exit_code == 0, result.output
    line = "noisy-linear noise=0.05 mse sgd lr=0.1"  # what differs from the race: data, loss, optimizer
    assert [r["label"] for r in csv.DictReader(io.StringIO(result.stdout))][-1] == line
    assert "note: compare.png leaves out 1 run (line): not classification" in result.stderr
    assert result.stderr.splitlines()[-1] == f"wrote {out / 'compare.png'}"
    assert made_by(out / "compare.png", CREATOR)
    again = invoke(root / "mixed", "--out", out, "--dpi", 30, "--format", "json")  # its own picture: replaced
    assert again.exit_code == 0 and [r["name"] for r in json.loads(again.stdout)] == ["line"]


def test_a_file_nnctl_did_not_write_is_not_replaced(root, tmp_path):
    (tmp_path / "compare.png").write_bytes(b"my picture")
    result = invoke(root / "race", "--out", tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"error: {tmp_path / 'compare.png'}: exists and nnctl compare did not write it (pass "
                             "--overwrite to replace it, or --out another folder)\n")
    assert (tmp_path / "compare.png").read_bytes() == b"my picture"
    with pytest.raises(NnctlError):  # nothing drawn before the check
        draw_comparison(read_comparison(race(root)), tmp_path, dpi=20)


def test_data_for_pandas_draws_no_picture_unless_out_and_out_is_never_a_run(root, tmp_path, monkeypatch):
    """--format csv|json gives the data, and writes compare.png only with --out (it wrote one in
    the current folder, and a user's compare.png there refused the data); --out into a run
    directory is refused, as compare.png is none of its files (found by review)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compare.png").write_bytes(b"my picture")
    result = invoke(root / "race", "--format", "json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == len(race(root))
    assert "wrote" not in result.stderr and (tmp_path / "compare.png").read_bytes() == b"my picture"
    run = race(root)[0]
    refused = invoke(root / "race", "--out", run)
    assert refused.exit_code == 2 and refused.stderr == (
        f"error: --out {run}: is a run directory, whose files are the run's own; --out another folder\n")
    assert not (run / "compare.png").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["{empty}"], "error: no run directories in {empty} (give run directories or sweep folders that nnctl train "
                  "or nnctl sweep wrote)"),
    (["{race}", "--metric", "val_acc"], "error: --metric: unknown 'val_acc' (choose from: train_loss, val_loss, "
                                        "train_accuracy, val_accuracy)"),
    (["{line}", "--metric", "val_accuracy"], "error: --metric val_accuracy: none of the runs has it (they have: "
                                             "train_loss, val_loss)"),
    (["{race}", "--format", "png"], "error: --format: unknown 'png' (choose from: table, csv, json)"),
    (["{race}", "--x", "steps"], "error: --x: unknown 'steps' (choose from: epochs, seconds)"),
])
def test_user_errors_are_one_line_exit_2(root, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    places = {"empty": tmp_path / "empty", "race": root / "race", "line": root / "mixed" / "line"}
    result = invoke(*[a.format(**places) for a in args], "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == message.format(**places) + "\n"
    assert not (tmp_path / "out" / "compare.png").exists()


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_a_picture_names_its_creator_in_every_format(tmp_path, fmt):
    from matplotlib.figure import Figure

    from nnctl.files import save_figure

    fig = Figure(figsize=(1, 1))
    fig.subplots().plot([0, 1])
    ours, other = tmp_path / f"ours.{fmt}", tmp_path / f"other.{fmt}"
    save_figure(fig, ours, dpi=20, creator=CREATOR)
    save_figure(fig, other, dpi=20)
    assert made_by(ours, CREATOR) and not made_by(other, CREATOR)
    other.unlink()
    other.symlink_to(ours)  # a link is never provably nnctl's own: it may point anywhere
    assert not made_by(other, CREATOR)


def test_the_optimizer_race_finishes_in_the_order_its_comment_says():
    """configs/sweeps/optimizers.yaml's numbers: the epoch each rule's validation accuracy first
    reaches 95%, and 98.8-100% for all six after 100 epochs."""
    from nnctl.sweeps.spec import load_sweep_file, sweep_points

    spec = load_sweep_file(Path(__file__).parent.parent / "configs" / "sweeps" / "optimizers.yaml")
    first, final = [], []
    for point in sweep_points(spec):
        rows = []
        train(load_config(spec.config, [*spec.overrides, *point.overrides]),
              on_epoch=lambda row, *_, rows=rows: rows.append(row))
        first.append(next(r["epoch"] for r in rows if r["val_accuracy"] >= 0.95))
        final.append(rows[-1]["val_accuracy"])
    assert first == [85, 34, 34, 50, 10, 10]  # sgd, momentum, nesterov, adam, rmsprop, adagrad
    assert min(final) == 0.9875 and max(final) == 1.0


def test_the_caption_sits_under_the_legend_not_over_it(root):
    """supxlabel drew the notes over a legend placed outside the panels: the caption has its row."""
    comparison = read_comparison([*race(root), root / "mixed"], "val_loss")
    inputs = picture_inputs(comparison) | {"boundaries": None}
    fig = drawn(compare_figure(**inputs))
    renderer = fig.canvas.get_renderer()
    legend = fig.subfigs[0].legends[0].get_window_extent(renderer)
    caption = next(t for sub in fig.subfigs for t in sub.texts if comparison.notes[0][:30] in t.get_text())
    assert caption.get_window_extent(renderer).y1 < legend.y0


def test_a_run_stopped_short_with_final_weights_has_its_boundary_drawn(root, tmp_path):
    """A pruned or interrupted run has model.npz: its boundary is drawn (compare said 'not
    finished (no final weights to draw)' of it; found by review); one without model.npz is the
    note's."""
    runs = race(root)[:2]
    stopped, bare = tmp_path / "stopped", tmp_path / "bare"
    for copy_to, source in ((stopped, runs[0]), (bare, runs[1])):
        shutil.copytree(source, copy_to)
        summary = read_json(copy_to / "summary.json")
        (copy_to / "summary.json").write_text(json.dumps({**summary, "status": "pruned"}))
    (bare / "model.npz").unlink()
    comparison = read_comparison([stopped, bare])
    inputs = picture_inputs(comparison)
    assert [label for label, _, _ in inputs["boundaries"]] == [inputs["curves"][0].label]
    assert comparison.notes[-1] == ("compare.png leaves out the decision boundaries of bare: no final weights to "
                                    "draw (model.npz)")
