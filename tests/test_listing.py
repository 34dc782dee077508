"""`nnctl runs`: finding run directories, reading them as records, filtering, sorting, and the
CSV / JSON / rich outputs, on a few tiny real runs."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnctl.errors import NnctlError
from nnctl.listing import (
    GAP,
    break_key,
    csv_cell,
    find_runs,
    fit_columns,
    format_csv,
    format_json,
    print_table,
    read_runs,
    run_record,
    shown_cell,
    sort_records,
    spare_columns,
    table,
)

TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]},
        "train": {"epochs": 2}, "output": {"plots": []}}
# run folder (under the root) -> overrides; only optimizer.lr and model.hidden differ
RUNS = {
    "a": ["optimizer.lr=0.1"],
    "sweep/runs/b": ["optimizer.lr=0.5", "model.hidden=[4,4]"],
    "sweep/runs/c": ["optimizer.lr=0.01"],
    "deep/x/y/d": ["optimizer.lr=0.01", "model.hidden=[4,4]"],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    from nnctl import load_config
    from nnctl.training import train

    root = tmp_path_factory.mktemp("runs")
    for folder, overrides in RUNS.items():
        train(load_config(TINY, overrides), run_dir=root / folder)
    train(load_config(TINY), run_dir=root / ".hidden" / "e")  # hidden folders are not searched
    (root / "sweep" / "results.csv").write_text("not a run\n")
    (root / "sweep" / "runs" / "empty").mkdir()  # an unfinished run: no summary.json
    (root / "sweep" / "runs" / "empty" / "config.yaml").write_text("name: x\n")
    return root


@pytest.fixture(scope="module")
def records(root) -> list[dict]:
    return read_runs([root])


def by_name(rows: list[dict]) -> list[str]:
    return [r["name"] for r in rows]


def test_find_runs_recursively_sorted_and_deduplicated(root):
    expected = sorted(root / f for f in RUNS)
    assert find_runs([root]) == expected
    # overlapping paths, a run dir given itself, a file (a shell glob's results.csv) and a file in a run
    again = find_runs([root / "sweep", root, root / "a", root / "sweep" / "results.csv", root / "a" / "summary.json"])
    assert again == expected
    assert find_runs([root / "deep" / "x" / "y" / "d"]) == [root / "deep" / "x" / "y" / "d"]
    assert find_runs([root / ".hidden"]) == [root / ".hidden" / "e"]  # asked for by name, it is searched
    assert find_runs([root / "sweep" / "runs" / "empty"]) == []


def test_find_runs_missing_path_is_an_error(tmp_path):
    with pytest.raises(NnctlError, match="nowhere: no such file or folder"):
        find_runs([tmp_path, tmp_path / "nowhere"])
    assert find_runs([tmp_path]) == []


def test_run_record_flattens_config_and_summary(root):
    record = run_record(root / "sweep" / "runs" / "b")
    summary = json.loads((root / "sweep" / "runs" / "b" / "summary.json").read_text())
    assert record["name"] == "b"  # the run directory's name, not the config's `name: tiny`
    assert record["path"] == str(root / "sweep" / "runs" / "b")
    assert record["model.hidden"] == [4, 4]
    assert record["optimizer.lr"] == 0.5
    assert record["data.name"] == "moons"
    assert record["train.early_stopping.monitor"] == "val_loss"
    assert record["status"] == "completed"
    assert record["epochs"] == 2
    assert record["final.val_accuracy"] == summary["final"]["val_accuracy"]
    assert record["best.val_loss"] == summary["best"]["val_loss"]
    assert record["best_epoch"] == summary["best_epoch"]
    assert record["seconds"] == summary["seconds"]
    assert record["parameters"] == summary["parameters"]


def test_default_columns_show_exactly_the_differing_config_keys(records):
    columns, rows = table(records, sort=None, where=[], columns=None)
    assert columns == ["name", "model.hidden", "optimizer.lr", "status", "epochs", "final.train_loss",
                       "final.val_loss", "final.train_accuracy", "final.val_accuracy", "best_epoch",
                       "best.val_loss", "seconds"]
    assert by_name(rows) == ["a", "d", "b", "c"]  # find_runs' order: sorted paths
    assert {r["optimizer.lr"] for r in rows} == {0.1, 0.5, 0.01}


def test_single_run_has_no_differing_columns(records):
    columns, _ = table(records[:1], sort=None, where=[], columns=None)
    assert columns[:3] == ["name", "status", "epochs"]


@pytest.mark.parametrize(
    ("where", "names"),
    [
        (["optimizer.lr=0.01"], ["d", "c"]),
        (["optimizer.lr=1e-2"], ["d", "c"]),  # YAML 1.1 reads 1e-2 as a string; still a number here
        (["model.hidden=[4,4]"], ["d", "b"]),
        (["model.hidden=[4, 4]", "optimizer.lr=0.01"], ["d"]),  # several conditions: all must hold
        (["model.hidden=[3]"], ["a", "c"]),
        (["status=completed"], ["a", "d", "b", "c"]),
        (["data.name=moons"], ["a", "d", "b", "c"]),
        (["name=c"], ["c"]),
        (["name=[bc]"], ["b", "c"]),  # a glob on a text value
        (["optimizer.lr!=0.01"], ["a", "b"]),
        (["model.hidden!=[3]"], ["d", "b"]),
        (["optimizer.lr>0.05"], ["a", "b"]),
        (["optimizer.lr<0.05"], ["d", "c"]),
        (["optimizer.lr>=0.1"], ["a", "b"]),
        (["optimizer.lr==0.5"], ["b"]),
        (["train.batch_size=32", "data.noise=0.2"], ["a", "d", "b", "c"]),
        (["epochs=3"], []),
    ],
)
def test_where_filters(records, where, names):
    _, rows = table(records, sort=None, where=where, columns=["name"])
    assert by_name(rows) == names


def test_where_errors(records):
    with pytest.raises(NnctlError, match=r"--where 'optimizer\.lrr=0\.1': unknown key 'optimizer\.lrr'; "
                                         r"did you mean 'optimizer\.lr'"):
        table(records, sort=None, where=["optimizer.lrr=0.1"], columns=None)
    with pytest.raises(NnctlError, match="expected KEY=VALUE"):
        table(records, sort=None, where=["optimizer.lr"], columns=None)
    with pytest.raises(NnctlError, match="> compares numbers"):
        table(records, sort=None, where=["status>done"], columns=None)


def test_sort_ascending_and_descending(records):
    _, rows = table(records, sort="optimizer.lr", where=[], columns=None)
    assert [r["optimizer.lr"] for r in rows] == [0.01, 0.01, 0.1, 0.5]
    assert by_name(rows)[:2] == ["d", "c"]  # ties keep find_runs' order
    _, rows = table(records, sort="-optimizer.lr", where=[], columns=None)
    assert [r["optimizer.lr"] for r in rows] == [0.5, 0.1, 0.01, 0.01]
    _, rows = table(records, sort="-final.val_loss", where=[], columns=None)
    losses = [r["final.val_loss"] for r in rows]
    assert losses == sorted(losses, reverse=True)


def test_sort_puts_missing_values_last_both_ways():
    records = [{"name": "x", "v": None}, {"name": "y", "v": 2.0}, {"name": "z"}, {"name": "w", "v": math.nan},
               {"name": "u", "v": 1}]
    assert by_name(sort_records(records, "v")) == ["u", "y", "x", "z", "w"]
    assert by_name(sort_records(records, "-v")) == ["y", "u", "x", "z", "w"]
    with pytest.raises(NnctlError, match=r"--sort '-vv': unknown key 'vv'; did you mean 'v'"):
        sort_records(records, "-vv")


def test_sort_after_a_filter_that_keeps_nothing_is_no_error(records):
    assert table(records, sort="optimizer.lr", where=["epochs=99"], columns=None)[1] == []


def test_columns_chosen_patterns_and_unknown(records):
    columns, rows = table(records, sort=None, where=[], columns=["name,optimizer.lr", "final.*"])
    assert columns == ["name", "optimizer.lr", "final.train_loss", "final.val_loss", "final.train_accuracy",
                       "final.val_accuracy"]
    assert all(list(r) == columns for r in rows)
    with pytest.raises(NnctlError, match=r"--columns: unknown key 'model\.hiden'; did you mean 'model\.hidden'"):
        table(records, sort=None, where=[], columns=["name", "model.hiden"])
    with pytest.raises(NnctlError, match="matches no key"):
        table(records, sort=None, where=[], columns=["nothing.*"])


def test_csv_reads_back(records):
    columns, rows = table(records, sort="optimizer.lr", where=[], columns=None)
    read = list(csv.DictReader(io.StringIO(format_csv(columns, rows))))
    assert len(read) == len(rows)
    for row, back in zip(rows, read, strict=True):
        assert list(back) == columns
        assert back["model.hidden"] == csv_cell(row["model.hidden"]) and back["model.hidden"] in ("[3]", "[4, 4]")
        for column in columns:
            if isinstance(row[column], float):
                assert float(back[column]) == row[column]  # every digit kept
            else:
                assert back[column] == csv_cell(row[column])


def test_json_reads_back(records):
    columns, rows = table(records, sort=None, where=[], columns=None)
    back = json.loads(format_json(columns, rows))
    assert back == rows
    assert [list(r) for r in back] == [columns] * len(rows)


def test_outputs_of_missing_and_non_finite_values():
    columns, rows = ["name", "final.val_loss", "flag", "hidden"], [
        {"name": "x", "final.val_loss": math.nan, "flag": True, "hidden": []},
        {"name": "y", "final.val_loss": None, "flag": False, "hidden": [2]},
    ]
    assert json.loads(format_json(columns, rows))[0]["final.val_loss"] is None  # strict JSON: NaN -> null
    assert format_csv(columns, rows) == "name,final.val_loss,flag,hidden\nx,nan,true,[]\ny,,false,[2]\n"


def test_print_table(records):
    from rich.console import Console

    columns, rows = table(records, sort="name", where=[], columns=None)
    console = Console(record=True, width=250, color_system=None)
    print_table(columns, rows, console)
    text = console.export_text()
    assert "model.hidden" in text and "final.val_accuracy" in text
    assert "[4, 4]" in text  # a list, not rich markup
    accuracy = rows[0]["final.val_accuracy"]
    assert f"{accuracy:.1%}" in text
    assert f"{rows[0]['final.val_loss']:.4g}" in text
    assert text.count("completed") == 4


def test_damaged_files_are_named(root, tmp_path):
    run = tmp_path / "broken"
    shutil.copytree(root / "a", run)
    (run / "summary.json").write_text('{"status": "comp')
    with pytest.raises(NnctlError, match=r"broken/summary\.json: not valid JSON"):
        read_runs([tmp_path])
    (run / "summary.json").write_text("[1, 2]")
    with pytest.raises(NnctlError, match=r"summary\.json: expected a JSON object"):
        run_record(run)
    shutil.copy(root / "a" / "summary.json", run / "summary.json")
    (run / "config.yaml").write_text("model: {hidden: [3\n")
    with pytest.raises(NnctlError, match=r"broken/config\.yaml: invalid YAML"):
        run_record(run)


def test_listing_imports_nothing_heavy():
    probe = ("import sys, nnctl.listing; "
             "print(sorted(m for m in ('numpy', 'pydantic', 'matplotlib', 'sklearn', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_default_columns_follow_the_filter(records):
    columns, rows = table(records, sort=None, where=["optimizer.lr=0.01"], columns=None)
    assert by_name(rows) == ["d", "c"]
    assert "model.hidden" in columns and "optimizer.lr" not in columns  # the same in both runs shown


# The README's shell loop: six runs in folders named by `nnctl train` (NAME-TIME), what `nnctl runs`
# shows by default for them (issue 14: at 80 columns every name was `lr0.…`, `completed` was `compl…`)
WIDE_COLUMNS = ["name", "model.hidden", "optimizer.lr", "status", "epochs", "final.train_loss", "final.val_loss",
                "final.train_accuracy", "final.val_accuracy", "best_epoch", "best.val_loss", "seconds"]
WIDE_ROWS = [{"name": f"lr{lr}-w{w}-20261201-101500", "model.hidden": [w, w], "optimizer.lr": lr,
              "status": "early_stopped" if (lr, w) == (0.3, 4) else "completed", "epochs": 100,
              "final.train_loss": 0.1023 / k, "final.val_loss": 0.08099 * k, "final.train_accuracy": 0.978,
              "final.val_accuracy": 0.93, "best_epoch": 97, "best.val_loss": 0.08099 * k, "seconds": 0.301}
             for k, (lr, w) in enumerate([(lr, w) for lr in (0.01, 0.1, 0.3) for w in (16, 4)], 1)]


def rendered(width: int, chosen: bool = False) -> list[str]:
    from rich.console import Console

    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    print_table(WIDE_COLUMNS, WIDE_ROWS, console, **({"chosen": True} if chosen else {}))
    return console.export_text().splitlines()


def test_the_table_is_readable_at_80_columns():
    lines = rendered(80)
    assert max(map(len, lines)) <= 80 and not any("…" in line for line in lines)
    text = "\n".join(lines)
    for row in WIDE_ROWS:  # every name whole, on its row's first line
        assert any(line.startswith(row["name"] + " ") for line in lines), row["name"]
    assert text.count("completed") == 5
    early = next(i for i, line in enumerate(lines) if line.startswith("lr0.3-w4-"))
    assert "early_" in lines[early] and "stopped" in lines[early + 1]  # broken after '_', not cut
    header = lines[: lines.index(next(line for line in lines if line.startswith("─")))]
    # the headers shown, each broken only after '.' or '_': its pieces stacked in one column
    for key in ("name", "model.hidden", "optimizer.lr", "final.val_loss", "final.val_accuracy"):
        assert all(piece in "\n".join(header) for piece in key.replace(".", ".\n").replace("_", "_\n").split("\n"))
    footer = " ".join(line.strip() for line in lines[next(i for i, line in enumerate(lines)
                                                            if line.startswith("left out")):])
    assert footer == ("left out at 80 columns: epochs (100 in every run), final.train_loss, final.train_accuracy "
                      "(97.8% in every run), best_epoch (97 in every run), best.val_loss, seconds (0.301 in every "
                      "run); --columns chooses, --format csv has all")


def test_fit_columns_keeps_names_settings_status_and_validation_metrics():
    texts = {c: [shown_cell(c, r[c]) for r in WIDE_ROWS] for c in WIDE_COLUMNS}  # as print_table shows them
    shown, widths = fit_columns(WIDE_COLUMNS, texts, 80, spare=spare_columns(WIDE_COLUMNS))
    assert shown == ["name", "model.hidden", "optimizer.lr", "status", "final.val_loss", "final.val_accuracy"]
    assert widths["name"] == len("lr0.01-w16-20261201-101500")  # whole: the name before any spare column
    assert sum(widths.values()) + GAP * (len(shown) - 1) <= 80
    everything, natural = fit_columns(WIDE_COLUMNS, texts, 1000, spare=spare_columns(WIDE_COLUMNS))
    assert everything == WIDE_COLUMNS and natural["final.train_accuracy"] == len("final.train_accuracy")


def test_at_120_columns_headers_break_between_words_not_inside_them():
    lines = rendered(120)
    assert max(map(len, lines)) <= 120 and not any("…" in line for line in lines)
    header = "\n".join(lines[:4])
    for piece in ("optimizer.lr", "final.", "train_", "accuracy", "val_", "loss"):
        assert piece in header
    assert "optimi " not in header and "accurac " not in header


def test_columns_asked_for_are_never_left_out():
    """Twelve columns asked for cannot fit 80 columns: each run becomes a block, key and value per line."""
    lines = rendered(80, chosen=True)
    assert not any(line.startswith("left out") or "…" in line for line in lines)
    blocks = "\n".join(lines).split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [row["name"] for row in WIDE_ROWS]
    assert [line.split()[0] for line in blocks[-1].splitlines()[1:]] == WIDE_COLUMNS[1:]
    assert blocks[-1].splitlines()[3].split() == ["status", "early_stopped"]


def test_break_key():
    assert break_key("final.train_accuracy", 9) == "final.\ntrain_\naccuracy"
    assert break_key("final.train_accuracy", 12) == "final.train_\naccuracy"
    assert break_key("final.val_loss", 99) == "final.val_loss"
    assert break_key("early_stopped", 9) == "early_\nstopped"


def test_off_a_terminal_the_table_is_one_line_per_run(capsys):
    print_table(WIDE_COLUMNS, WIDE_ROWS)  # stdout is captured: not a terminal
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(WIDE_ROWS)
    assert lines[0].split() == WIDE_COLUMNS
    assert [line.split()[0] for line in lines[2:]] == [r["name"] for r in WIDE_ROWS]


def test_no_match_counts_the_runs_found_in_words(root):
    """'(1 runs found)' read badly: one run is '1 run'."""
    from typer.testing import CliRunner

    from nnctl.cli import app

    one = CliRunner().invoke(app, ["runs", str(root / "deep"), "--where", "optimizer.lr>1"])
    assert one.exit_code == 0 and "(1 run found)" in one.stderr
    many = CliRunner().invoke(app, ["runs", str(root / "sweep"), "--where", "optimizer.lr>1"])
    assert "(2 runs found)" in many.stderr
