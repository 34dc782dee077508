"""Sweeps: points and their names, results.csv, resuming, failures recorded, and dask."""

import ast
import csv
import datetime
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from nnctl.console import SweepReporter
from nnctl.errors import NnctlError
from nnctl.files import flow, parse_yaml
from nnctl.sweeps import pictures as sweep_pictures
from nnctl.sweeps.folder import Sweep
from nnctl.sweeps.folder import _describe as describe_sweep
from nnctl.sweeps.names import point_names, setting_labels
from nnctl.sweeps.results import results_table
from nnctl.sweeps.spec import SweepSpec, parse_grid, split_values, sweep_points
from nnctl.sweeps.workers import execute
from nnctl.workflow import draw_sweep, run_point, run_sweep

BASE = {
    "data": {"name": "moons", "n_samples": 100},
    "model": {"hidden": [3]},
    "optimizer": {"name": "adam", "lr": 0.05},
    "train": {"epochs": 3},
    "output": {"plots": []},
}


def base_config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump({**BASE, **changes}))
    return path


def read_rows(folder: Path) -> list[dict]:
    with open(folder / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_grid_values_parse_as_yaml_and_split_outside_brackets():
    assert split_values("[4],[16, 16],0.1,'a,b'") == ["[4]", "[16, 16]", "0.1", "'a,b'"]
    assert parse_grid("model.hidden=[4],[16,16]") == ("model.hidden", [[4], [16, 16]])
    assert parse_grid("optimizer.lr=1e-3,0.1") == ("optimizer.lr", [1e-3, 0.1])
    with pytest.raises(NnctlError, match="expected KEY=V1,V2"):
        parse_grid("optimizer.lr")


def test_sweep_code_is_one_package_and_shadows_no_name():
    """nnctl/sweeps/ holds the sweep code; no module `nnctl.sweep` (a function may take the name)
    nor a `nnctl.report` three letters from the terminal's output."""
    package = Path(__file__).resolve().parent.parent / "nnctl"
    # by file, not importlib.util.find_spec: an editable install finds a name its own tree still has
    assert not [p.name for p in package.iterdir() if p.stem in ("sweep", "report")]
    modules = {p.stem for p in (package / "sweeps").glob("*.py")}
    assert {"spec", "results", "folder", "workers", "pictures", "report"} <= modules


def test_flow_tells_apart_what_yaml_does_and_reads_back():
    values = [1, 1.0, True, "1", "true", None, [16, 16], {1: "a"}, {"1": "a"}, 1e-05, "tanh",
              datetime.date(2020, 1, 1), "2020-01-01", {"loguniform": [0.0001, 0.1]}]
    texts = [flow(v) for v in values]
    assert [flow(v) for v in values] == texts  # again, from the cache
    assert len(set(texts)) == len(values) and all("\n" not in t for t in texts)
    assert [parse_yaml(t) for t in texts] == values
    assert texts[6] == "[16, 16]" and texts[3] == "'1'" and texts[10] == "tanh"


def test_one_flow_in_the_package():
    """`files.flow` is the one way a value becomes one line of YAML: no module defines another."""
    package = Path(__file__).resolve().parent.parent / "nnctl"
    copies = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            flown = isinstance(node, ast.Call) and any(k.arg == "default_flow_style" for k in node.keywords)
            if (isinstance(node, ast.FunctionDef) and node.name == "flow") or flown:
                copies.append(f"{path.name}:{node.lineno}")
    assert copies == ["files.py:" + str(_line_of(package / "files.py", "def flow(")),
                      "files.py:" + str(_line_of(package / "files.py", "default_flow_style=True"))]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_points_are_the_product_with_readable_unique_safe_names(tmp_path):
    grid = {"model.hidden": [[4], [16, 16]], "data.name": ["moons", "a/b"]}
    spec = SweepSpec(config=base_config(tmp_path), grid=grid, seeds=[0, 1])
    points = sweep_points(spec)
    assert len(points) == 8
    assert [p.name for p in points] == [
        "hidden4-data_moons-seed0", "hidden4-data_moons-seed1", "hidden4-data_a_b-seed0", "hidden4-data_a_b-seed1",
        "hidden16x16-data_moons-seed0", "hidden16x16-data_moons-seed1", "hidden16x16-data_a_b-seed0",
        "hidden16x16-data_a_b-seed1"]  # a '/' cannot stand in a file name
    assert points[0].overrides == ["model.hidden=[4]", "data.name=moons", "seed=0"]


def test_random_space_is_seeded_and_in_range(tmp_path):
    spec = SweepSpec(config=base_config(tmp_path), samples=6, seed=3,
                     random={"optimizer.lr": {"loguniform": [1e-4, 1e-1]}, "model.hidden": {"choice": [[2], [8]]}})
    first, again = sweep_points(spec), sweep_points(spec)
    assert [p.settings for p in first] == [p.settings for p in again]
    assert all(1e-4 <= p.settings["optimizer.lr"] <= 1e-1 for p in first)
    assert {tuple(p.settings["model.hidden"]) for p in first} <= {(2,), (8,)}


def test_a_typo_in_a_grid_key_stops_the_sweep_before_any_run(tmp_path):
    sweep = Sweep(SweepSpec(config=base_config(tmp_path), grid={"optimizer.lrr": [0.1, 0.2]}), tmp_path / "sw")
    with pytest.raises(NnctlError, match="optimizer: unknown key 'lrr'"):
        sweep.prepare()
    assert not (tmp_path / "sw" / "runs").exists()


def test_local_sweep_records_every_run_and_resumes(tmp_path):
    config = base_config(tmp_path, optimizer={"name": "sgd", "lr": 0.1})
    spec = SweepSpec(config=config, grid={"optimizer.lr": [0.1, 1e30], "loss.name": ["mse", "hinge"]},
                     overrides=["data.name=spiral", "data.n_samples=90"])
    sweep = Sweep(spec, tmp_path / "sw")
    todo = sweep.prepare()
    assert len(todo) == 4 and {r["status"] for r in read_rows(sweep.folder)} == {"pending"}
    execute(sweep, todo, run_point, jobs=2)
    rows = read_rows(sweep.folder)
    status = {(r["optimizer.lr"], r["loss.name"]): r["status"] for r in rows}
    assert status == {("0.1", "mse"): "completed", ("1e+30", "mse"): "diverged",
                      ("0.1", "hinge"): "failed", ("1e+30", "hinge"): "failed"}
    # hinge on 3 classes: recorded with its reason, and the sweep went on
    assert all("hinge takes 2 classes" in r["error"] for r in rows if r["status"] == "failed")
    finished = sweep.folder / "runs" / "lr0.1-loss_mse" / "model.npz"
    stamp = finished.stat().st_mtime_ns
    sweep.close()  # let go of the folder's lock: another Sweep on it would be refused
    again = Sweep(spec, sweep.folder)
    assert [p.name for p in again.prepare()] == ["lr0.1-loss_hinge", "lr1e30-loss_hinge"]  # failed: retried
    assert finished.stat().st_mtime_ns == stamp
    assert {r["name"]: r["status"] for r in read_rows(sweep.folder)}["lr0.1-loss_mse"] == "completed"


def test_another_sweep_in_the_same_folder_is_refused(tmp_path):
    Sweep(SweepSpec(config=base_config(tmp_path), seeds=[0, 1]), tmp_path / "sw").prepare()
    with pytest.raises(NnctlError, match="holds a different sweep"):
        Sweep(SweepSpec(config=base_config(tmp_path), seeds=[0, 1, 2]), tmp_path / "sw").prepare()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_killed_sweep_resumes_without_redoing_finished_runs(stop, tmp_path):
    # runs long enough (1500 epochs, about half a second) that the signal lands while two are
    # training: at 150 epochs, once the sweep's pictures no longer took a second to import and
    # draw, all six and the drawing could end between the third run and the signal (under load)
    config = base_config(tmp_path, train={"epochs": 1500})
    folder = tmp_path / "sw"
    # six points: three finish before the signal, two workers are cut mid-run, one never starts
    # (fewer points, fewer pictures for the resumed sweep to draw: its boundaries.png and report)
    cmd = [sys.executable, "-m", "nnctl.cli", "sweep", str(config), "--grid", "model.hidden=[2],[3],[4]",
           "--seeds", "0,1", "--jobs", "2", "--out", str(folder), "-q"]
    # Ctrl-C as a terminal delivers it, even where this test runs with SIGINT ignored (a script's
    # background job: Python then never turns SIGINT into KeyboardInterrupt), as test_watch does
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (folder / "results.csv").is_file() and sum(r["status"] == "completed" for r in read_rows(folder)) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(stop)
    assert process.wait(timeout=30) == 130
    assert "Traceback" not in process.stderr.read().decode()
    models = lambda: sorted(folder.glob("runs/*/model.npz"))
    written = models()
    time.sleep(1.0)  # no worker outlives the sweep and goes on writing runs
    assert models() == written
    done = {r["name"] for r in read_rows(folder) if r["status"] == "completed"}
    assert 3 <= len(done) < 6
    started = {p.name for p in (folder / "runs").iterdir()}
    cut = {r["name"]: r["status"] for r in read_rows(folder) if r["name"] not in done}
    assert cut == {n: "interrupted" if n in started else "pending" for n in cut}  # not `pending` for all
    stamps = {n: (folder / "runs" / n / "model.npz").stat().st_mtime_ns for n in done}
    finished = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    rows = read_rows(folder)
    assert len(rows) == 6 and {r["status"] for r in rows} == {"completed"}
    assert stamps == {n: (folder / "runs" / n / "model.npz").stat().st_mtime_ns for n in done}


def test_dask_cluster_gives_the_same_results_as_local_workers(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    spec = SweepSpec(config=base_config(tmp_path), grid={"model.hidden": [[2], [4]]}, seeds=[0, 1])
    local = Sweep(spec, tmp_path / "local")
    execute(local, local.prepare(), run_point, jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = Sweep(spec, tmp_path / "dask")
        execute(remote, remote.prepare(), run_point, jobs=2, scheduler=cluster.scheduler_address)
    drop = lambda rows: sorted({k: v for k, v in r.items() if k != "seconds"}.items() for r in rows)
    assert drop(read_rows(local.folder)) == drop(read_rows(remote.folder))
    assert {r["status"] for r in read_rows(remote.folder)} == {"completed"}


# ---------------------------------------------------------------- issue 14: what a newcomer reads


SHELL_SAFE = re.compile(r"[A-Za-z0-9._+-]+")  # no quoting in bash, zsh, fish, cmd or PowerShell


def test_run_folder_names_need_no_quoting_in_any_shell(tmp_path):
    """[ is a glob in zsh, , and = separate arguments in cmd and PowerShell: names use none of them."""
    grid = {"model.hidden": [[16], [16, 16], []], "optimizer.lr": [0.03, 1e-05], "model.activation": ["tanh", "a/b"],
            "optimizer.name": ["adam"], "optimizer.nesterov": [True]}
    points = sweep_points(SweepSpec(config=base_config(tmp_path), grid=grid, seeds=[0]))
    names = [p.name for p in points]
    assert names[:3] == ["hidden16-lr0.03-activation_tanh-optimizer_adam-nesterov_true-seed0",
                         "hidden16-lr0.03-activation_a_b-optimizer_adam-nesterov_true-seed0",
                         "hidden16-lr1e-5-activation_tanh-optimizer_adam-nesterov_true-seed0"]
    assert names[4].startswith("hidden16x16-lr0.03-") and names[8].startswith("hidden_none-lr0.03-")
    assert all(SHELL_SAFE.fullmatch(n) for n in names) and len(set(names)) == len(names) == 12


def test_sampled_values_read_with_4_significant_digits_and_stay_distinct(tmp_path):
    """A random sweep's draws are 17-digit floats; names and picture labels round them to 4
    significant digits, more only for two that would read the same."""
    spec = SweepSpec(config=base_config(tmp_path), samples=40, seed=1,
                     random={"optimizer.lr": {"loguniform": [1e-4, 1e-1]}})
    points = sweep_points(spec)
    texts = [p.name.removeprefix("lr") for p in points]
    digits = [len(re.sub(r"e.*", "", t).replace(".", "").lstrip("0")) for t in texts]
    assert max(digits) == 4, texts  # 0.0001234 or 0.05588: no 17-digit floats
    lrs = [p.settings["optimizer.lr"] for p in points]
    assert all(float(t) == pytest.approx(lr, rel=1e-3) for t, lr in zip(texts, lrs, strict=True))
    assert len(set(texts)) == 40
    close = [{"optimizer.lr": 0.012345678}, {"optimizer.lr": 0.0123456}, {"optimizer.lr": 0.5}]
    assert point_names(close) == ["lr0.0123457", "lr0.0123456", "lr0.5"]  # 6 digits where fewer read the same
    rows = [{**p.settings, "seed": 0} for p in points[:2]]
    assert setting_labels(rows, ["optimizer.lr", "seed"]) == [f"lr={t} · seed=0" for t in texts[:2]]


def test_sweep_yaml_lists_one_point_per_item_in_block_style(tmp_path):
    spec = SweepSpec(config=base_config(tmp_path), grid={"model.hidden": [[4], [16, 16]]}, seeds=[0])
    with Sweep(spec, tmp_path / "sw") as sweep:
        sweep.prepare()
    text = (tmp_path / "sw" / "sweep.yaml").read_text()
    assert "points:\n- name: hidden4-seed0\n  settings:\n    model.hidden: [4]\n    seed: 0\n" \
           "- name: hidden16x16-seed0\n  settings:\n    model.hidden: [16, 16]\n    seed: 0\n" in text
    assert "grid:\n  model.hidden: [[4], [16, 16]]\n" in text
    asked = yaml.safe_load(text)
    assert asked["digest"] == spec.digest() and [p["name"] for p in asked["points"]] == ["hidden4-seed0",
                                                                                         "hidden16x16-seed0"]


def test_the_digest_of_an_unchanged_question_is_the_one_sweeps_had_before():
    """Folders made before are found again (and not refused as another sweep's) only if the
    question's digest is unchanged: a sweep's name is not part of it. a2c29922: computed by
    the code of c2cc8d3."""
    spec = SweepSpec(config=Path("/sweeps/c.yaml"), overrides=["train.epochs=3"],
                     grid={"optimizer.lr": [0.1, 0.2], "model.hidden": [[4], [16, 16]]},
                     random={"model.activation": {"choice": ["tanh", "relu"]}}, samples=2, seeds=[0, 1], seed=5)
    assert spec.digest() == "a2c29922"
    spec.name = "widths"
    assert spec.digest() == "a2c29922"


def test_results_csv_names_metrics_by_their_summary_key_paths(tmp_path):
    spec = SweepSpec(config=base_config(tmp_path), grid={"optimizer.lr": [0.05]})
    with Sweep(spec, tmp_path / "sw") as sweep:
        execute(sweep, sweep.prepare(), run_point, jobs=1)
    with open(tmp_path / "sw" / "results.csv", newline="") as f:
        header, row = list(csv.reader(f))
    assert header == ["name", "optimizer.lr", "status", "epochs", "final.train_loss", "final.val_loss",
                      "final.train_accuracy", "final.val_accuracy", "best_epoch", "seconds", "error", "run_dir"]
    summary = json.loads((tmp_path / "sw" / "runs" / "lr0.05" / "summary.json").read_text())
    assert float(row[header.index("final.val_accuracy")]) == summary["final"]["val_accuracy"]


def test_a_results_csv_of_before_reads_under_todays_names(tmp_path):
    (tmp_path / "results.csv").write_text("name,optimizer.lr,status,final_train_loss,final_val_accuracy,run_dir\n"
                                          "lr=0.1,0.1,completed,0.25,0.9,runs/lr=0.1\n")
    columns, rows = results_table(tmp_path)
    assert columns == ["name", "optimizer.lr", "status", "final.train_loss", "final.val_accuracy", "run_dir"]
    assert rows[0]["final.val_accuracy"] == "0.9"


def test_a_run_cut_off_says_interrupted_and_one_never_started_pending(tmp_path):
    spec = SweepSpec(config=base_config(tmp_path), grid={"optimizer.lr": [0.1, 0.2, 0.3]})
    with Sweep(spec, tmp_path / "sw") as sweep:
        todo = sweep.prepare()
        (tmp_path / "sw" / "runs" / "lr0.1").mkdir(parents=True)  # started when Ctrl-C came
        sweep.interrupted(todo)
    assert [r["status"] for r in read_rows(tmp_path / "sw")] == ["interrupted", "pending", "pending"]
    # and so it says when the sweep is asked again (a kill left no word at all)
    (tmp_path / "sw" / "runs" / "lr0.2").mkdir()
    with Sweep(spec, tmp_path / "sw") as sweep:
        assert len(sweep.prepare()) == 3
    assert [r["status"] for r in read_rows(tmp_path / "sw")] == ["interrupted", "interrupted", "pending"]


def test_sweep_progress_counts_out_of_the_whole_sweep():
    stream = io.StringIO()
    reporter = SweepReporter(stream=stream)
    reporter.start(SimpleNamespace(folder=Path("sw"), points=[1, 2, 3]), 2)
    reporter.done(SimpleNamespace(name="lr0.1"), {"status": "completed", "final.train_loss": 0.5,
                                                  "final.val_accuracy": 0.95})
    reporter.done(SimpleNamespace(name="lr0.2"), {"status": "failed", "error": "boom"})
    assert stream.getvalue().splitlines() == ["sweep sw: 3 runs, 1 already finished, 2 to run",
                                              "[2/3] lr0.1: completed  loss 0.5000  val_acc 95.0%",
                                              "[3/3] lr0.2: failed  boom"]
    stream = io.StringIO()
    SweepReporter(stream=stream).start(SimpleNamespace(folder=Path("sw"), points=[1]), 1)
    assert stream.getvalue() == "sweep sw: 1 run, 0 already finished, 1 to run\n"
    assert describe_sweep({"points": [{}], "config": "/a/c.yaml"}, "1a2b3c4d") == "sweep 1a2b3c4d: 1 point of c.yaml"


def test_a_sweep_files_name_names_its_folder_and_pictures(tmp_path, monkeypatch):
    base_config(tmp_path, output={"plots": [], "dir": str(tmp_path / "runs")})
    (tmp_path / "s.yaml").write_text("name: widths\nconfig: base.yaml\ngrid: {model.hidden: [[2], [3]]}\n")
    titles = {}
    for name in ("plot_sweep", "plot_boundaries"):
        monkeypatch.setattr(sweep_pictures, name, lambda *a, title, name=name, **k: titles.setdefault(name, title))
    sweep = run_sweep(tmp_path / "s.yaml", [], None, [], jobs=1)
    assert sweep.folder == tmp_path / "runs" / f"widths-sweep-{sweep.spec.digest()}"
    assert yaml.safe_load((sweep.folder / "sweep.yaml").read_text())["name"] == "widths"
    assert titles == {"plot_sweep": "widths", "plot_boundaries": "widths"}
    assert "<title>widths · nnctl sweep report</title>" in (sweep.folder / "report.html").read_text()


# A sweep folder as the code before issue 14 (c2cc8d3) left it when cut off: sweep.yaml in flow
# style, runs named `hidden=[3,3],lr=0.1`, results.csv saying final_val_accuracy and `pending`;
# two runs finished, one killed in its first epoch, one never started. Made by
# tests/data/make_old_sweep.py; its question names the base config as c.yaml, relative, so that
# the copy under tmp_path is the same sweep.
OLD_SWEEP = Path(__file__).resolve().parent / "data" / "sweep-of-c2cc8d3"
OLD_NAMES = ["hidden=[2],lr=0.1", "hidden=[2],lr=0.3", "hidden=[3,3],lr=0.1", "hidden=[3,3],lr=0.3"]


def old_sweep(tmp_path: Path, monkeypatch) -> tuple[Path, SweepSpec]:
    shutil.copytree(OLD_SWEEP, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    grid = {"model.hidden": [[2], [3, 3]], "optimizer.lr": [0.1, 0.3]}
    return Path("sw"), SweepSpec(config=Path("c.yaml"), grid=grid)


def test_a_sweep_folder_made_before_resumes_in_its_own_run_directories(tmp_path, monkeypatch):
    folder, spec = old_sweep(tmp_path, monkeypatch)
    assert "points: [{name:" in (folder / "sweep.yaml").read_text()  # the old flow style
    stamp = (folder / "runs" / OLD_NAMES[0] / "model.npz").stat().st_mtime_ns
    with Sweep(spec, folder) as sweep:
        todo = sweep.prepare()
        assert [p.name for p in todo] == OLD_NAMES[2:]
        assert [r["status"] for r in read_rows(folder)] == ["completed", "completed", "interrupted", "pending"]
        execute(sweep, todo, run_point, jobs=1)
    rows = read_rows(folder)
    assert [r["name"] for r in rows] == OLD_NAMES and {r["status"] for r in rows} == {"completed"}
    assert "final.val_accuracy" in rows[0] and "final_val_accuracy" not in rows[0]
    assert sorted(p.name for p in (folder / "runs").iterdir()) == sorted(OLD_NAMES)  # no second set of runs
    assert (folder / "runs" / OLD_NAMES[0] / "model.npz").stat().st_mtime_ns == stamp
    asked = yaml.safe_load((folder / "sweep.yaml").read_text())
    assert asked["digest"] == spec.digest() and [p["name"] for p in asked["points"]] == OLD_NAMES


def test_a_sweep_folder_made_before_is_drawn_under_todays_names(tmp_path, monkeypatch):
    folder, _ = old_sweep(tmp_path, monkeypatch)
    real, seen = sweep_pictures.plot_sweep, {}
    monkeypatch.setattr(sweep_pictures, "plot_sweep", lambda *a, **k: seen.update(k) or real(*a, **k))
    written = draw_sweep(folder)
    assert [p.name for p in written] == ["sweep.png", "boundaries.png", "report.html"]
    assert seen["metric"] == "final.val_accuracy" and seen["title"] == "sw"
    page = (folder / "report.html").read_text()
    assert 'data-col="final.val_accuracy"' in page and "final_val_accuracy" not in page
    assert re.search(r'data-v="0\.[0-9]+"[^>]*>[0-9.]+%</td>', page)  # accuracies as percentages


def test_forked_imap_gives_each_result_in_order_from_other_processes() -> None:
    """`workers.forked_imap`: f(0) … f(n - 1) in order, computed by forked processes that have f
    without pickling it (a closure over what the parent read); below two items, here."""
    import os
    import threading

    from nnctl.sweeps.workers import forked_imap, forking

    lock = threading.Lock()  # not picklable: the closure below could not be sent to a process
    squares = lambda i: (i * i, os.getpid(), lock is not None)  # noqa: E731
    got = list(forked_imap(squares, 7))
    assert [value for value, _, _ in got] == [i * i for i in range(7)] and all(ok for _, _, ok in got)
    assert ({pid for _, pid, _ in got} & {os.getpid()}) == (set() if forking() else {os.getpid()})
    assert [pid for _, pid, _ in forked_imap(squares, 1)] == [os.getpid()]
    # two at once (report.html's thumbnails while boundaries.png's panels): each its own f
    first, second = forked_imap(lambda i: ("a", i), 5), forked_imap(lambda i: ("b", i), 5)
    assert list(second) == [("b", i) for i in range(5)] and list(first) == [("a", i) for i in range(5)]


def test_a_sweep_runs_its_longest_points_first(tmp_path: Path) -> None:
    """The pool gets the points by their work (epochs × hidden weights), the most first: a pool
    whose last run is its longest leaves the other cores idle until it ends (issue 18). With one
    worker the runs end in that order; results.csv keeps the points' own."""
    from nnctl import load_config
    from nnctl.sweeps.folder import work
    from nnctl.workflow import run_sweep

    config = Path(__file__).parents[1] / "configs" / "moons.yaml"
    sweep = run_sweep(config, ["model.hidden=[2],[16],[4, 4]"], None, ["data.n_samples=60", "train.epochs=3",
                      "output.plots=[]"], jobs=1, out=tmp_path / "s")
    assert [round(sweep.work[p.name]) for p in sweep.points] == [3 * 4, 3 * 32, 3 * 24]
    ended = sorted(sweep.points, key=lambda p: (sweep.run_dir(p) / "summary.json").stat().st_mtime_ns)
    assert [p.settings["model.hidden"] for p in ended] == [[16], [4, 4], [2]]
    rows = (sweep.folder / "results.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == [p.name for p in sweep.points]
    assert work(load_config(config, ["model.hidden=[16]", "train.epochs=3"])) == 3 * 32


def test_forked_imap_survives_a_process_that_dies_and_ends_its_processes_when_closed(tmp_path: Path) -> None:
    """A forked process that dies (killed, out of memory) broke `multiprocessing.Pool.imap` for
    good: the sweep's end waited forever, the folder locked. `forked_imap` leaves what is left
    to the calling process; and a caller that stops reading ends the processes at once."""
    code = """
import os, time
from nnctl.sweeps.workers import forked_imap, _FORKED
parent = os.getpid()
def f(i):
    if i == 3 and os.getpid() != parent:
        os._exit(1)  # this process dies mid-task
    return i * i
print(list(forked_imap(f, 8)) == [i * i for i in range(8)], _FORKED == [])
slow = forked_imap(lambda i: time.sleep(0.2) or i, 6)
next(slow)
slow.close()
print(_FORKED == [])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]


def test_a_forked_process_keeps_no_copy_of_its_parents_folder_lock(tmp_path: Path) -> None:
    """A process forked while a folder is locked (a sweep's worker, a process drawing its
    panels) closes its copy of the lock's descriptor: flock holds while any copy is open, and one
    still finishing its item after the parent let go kept the folder locked, so `nnctl plot` of
    the sweep just made was refused ("another nnctl sweep is writing")."""
    from nnctl.files import FolderLock
    from nnctl.sweeps.workers import forked_imap, forking

    if not forking():
        pytest.skip("forked_imap runs in this process on one core")
    started = tmp_path / "started"

    def item(i: int) -> int:
        """Item 1 sleeps on; item 0 ends once item 1 has begun, in the other process (a process
        not yet scheduled when the lock was let go still held its copy: the test's own race)."""
        if i == 1:
            started.touch()
            time.sleep(1.5)
        deadline = time.monotonic() + 30
        while i == 0 and not started.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        return i

    with FolderLock(tmp_path, "here", ".lock") as lock:
        assert lock in FolderLock.held
        drawn = forked_imap(item, 2)
        assert next(drawn) == 0 and started.exists()
    try:
        FolderLock(tmp_path, "here", ".lock").release()  # taken at once: the sleeper holds no copy
    finally:
        drawn.close()
    assert lock not in FolderLock.held


def test_a_folder_lock_dropped_without_release_is_released_as_before(tmp_path: Path) -> None:
    """FolderLock.held must not keep a lock alive: one that is only dropped (a Sweep object let go
    in a notebook) is released when it is collected, as its __del__ always did."""
    import gc

    from nnctl.files import FolderLock

    FolderLock(tmp_path, "here", ".lock")  # dropped at once
    gc.collect()
    FolderLock(tmp_path, "here", ".lock").release()  # not "another nnctl sweep is writing"


def test_a_worker_that_dies_fails_its_own_run_and_the_sweep_goes_on(tmp_path: Path) -> None:
    """A worker killed mid-run (out of memory, kill -9) fails that run alone, "the worker process
    died", and is replaced: multiprocessing.Pool lost the run's task and the sweep waited for it
    forever, its folder locked. Run in a process of its own, with a timeout, in case it hangs."""
    code = f"""
import csv, os, signal
from pathlib import Path
from nnctl import workflow
real = workflow.run_point
def dies_on_three(config_path, overrides, run_dir, on_epoch=None):
    if "model.hidden=[3]" in overrides:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(config_path, overrides, run_dir, on_epoch=on_epoch)
workflow.run_point = dies_on_three
sweep = workflow.run_sweep({str(Path(__file__).parents[1] / "configs" / "moons.yaml")!r}, ["model.hidden=[2],[3],[4]"],
                           "0,1", ["data.n_samples=60", "train.epochs=2", "output.plots=[]"], jobs=2,
                           out=Path({str(tmp_path / "s")!r}))
with open(sweep.folder / "results.csv") as f:
    for row in csv.DictReader(f):
        print(row["model.hidden"], row["seed"], row["status"], row.get("error", ""), sep="|")
print((sweep.folder / "report.html").is_file())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sorted(lines[:-1]) == ["[2]|0|completed|", "[2]|1|completed|", "[3]|0|failed|the worker process died",
                                  "[3]|1|failed|the worker process died", "[4]|0|completed|", "[4]|1|completed|"]
    assert lines[-1] == "True"
