"""Sweeps that search (issue 19): an Optuna study held by the parent asks the trials, prunes runs
from their per-epoch reports, resumes without asking a trial twice, writes best.yaml; the
pictures hold the study's values. Tiny nets, a few epochs, a few trials."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nnctl import workflow
from nnctl.cli import app
from nnctl.errors import NnctlError
from nnctl.sweeps import search as search_module
from nnctl.workflow import run_sweep, train_and_draw

optuna = pytest.importorskip("optuna")

TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 100, "noise": 0.25},
        "model": {"hidden": [4], "activation": "tanh"}, "optimizer": {"name": "adam", "lr": 0.01},
        "train": {"epochs": 6, "batch_size": 40}, "output": {"plots": []}}
SPACE = {"model.hidden": {"depth": {"int": [1, 2]}, "width": {"int": [2, 16], "log": True}},
         "optimizer.lr": {"loguniform": [1.0e-3, 0.3]}, "model.activation": {"choice": ["tanh", "relu"]}}


@pytest.fixture(autouse=True)
def no_sweep_pictures(monkeypatch):
    """The sweep's pictures and report take seconds to draw; the test of the pictures draws them."""
    monkeypatch.setattr(workflow, "draw_sweep", lambda folder, drawn=None: [])


def search_file(tmp_path: Path, trials: int | None = 6, pruning: dict | None = None, **search) -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(TINY))
    sweep = {"name": "tiny-search", "config": "base.yaml", "random": SPACE,
             "search": {"method": "tpe", "trials": trials, **search}, "seed": 3}
    if pruning is not None:
        sweep["pruning"] = pruning
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def load_study(folder: Path):
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    storage = JournalStorage(JournalFileBackend(str(folder / "study.journal")))
    (summary,) = optuna.get_all_study_summaries(storage)
    return optuna.load_study(study_name=summary.study_name, storage=storage)


def trials_seen(study) -> list[tuple]:
    """(number, params, state, last reported epoch) of every trial: what a search decided."""
    return [(t.number, t.params, t.state.name, max(t.intermediate_values, default=None)) for t in study.trials]


def test_pruned_runs_stop_at_the_epoch_recorded(tmp_path):
    path = search_file(tmp_path, trials=6, pruning={"method": "asha", "min_epochs": 1})
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    table = rows(folder)
    study = {t.number: t for t in load_study(folder).trials}
    statuses = [r["status"] for r in table]
    assert len(table) == 6 and "pruned" in statuses and "completed" in statuses
    for row in table:
        run = folder / row["run_dir"]
        epochs = [int(r["epoch"]) for r in csv.DictReader(open(run / "metrics.csv"))]
        summary = json.loads((run / "summary.json").read_text())
        trial = study[int(row["name"].removeprefix("trial"))]
        assert summary["status"] == row["status"] and epochs[-1] == int(row["epochs"]) == summary["epochs"]
        if row["status"] == "pruned":  # stopped right after the epoch the study last heard of
            assert summary["pruned_at"] == epochs[-1] < 6 and epochs == list(range(epochs[-1] + 1))
            assert trial.state.name == "PRUNED" and max(trial.intermediate_values) == epochs[-1]
            assert not (run / "resume.npz").exists()
        else:
            assert epochs[-1] == 6 and trial.value == pytest.approx(float(row["final.val_loss"]), rel=1e-12)


def test_the_same_seed_with_one_job_makes_the_same_trials_and_decisions(tmp_path):
    path = search_file(tmp_path, trials=5, pruning={"method": "median", "min_epochs": 2})
    first = load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "a").folder)
    again = load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "b").folder)
    assert trials_seen(first) == trials_seen(again)
    assert len({json.dumps(t.params, sort_keys=True) for t in first.trials}) == 5


def test_a_cut_search_resumes_without_asking_a_trial_twice(tmp_path, monkeypatch):
    """Ctrl-C during trial 2's run, then the same command: trials 0-2 are the study's first three
    still (trial 2 goes on under its number, from the resume state its run saved), new ones are
    asked up to `trials`, and the study ends as an uncut search's does, value for value."""
    import nnctl.runs

    path = search_file(tmp_path, trials=5, pruning={"method": "asha", "min_epochs": 1})
    uncut = load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "uncut").folder)
    report, asks, resume_run = search_module.Search.report, [], workflow.resume_run

    def cut(self, number, epoch, value):
        if number == 2 and epoch == 1:
            raise KeyboardInterrupt
        return report(self, number, epoch, value)

    monkeypatch.setattr(search_module.Search, "report", cut)
    monkeypatch.setattr(nnctl.runs, "RESUME_EVERY", 0.0)  # a resume state after every epoch
    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, [], None, [], jobs=1, out=tmp_path / "cut")
    assert [t.state.name for t in load_study(tmp_path / "cut").trials][2] == "RUNNING"
    assert {r["name"]: r["status"] for r in rows(tmp_path / "cut")}["trial0002"] == "interrupted"
    assert (tmp_path / "cut" / "runs" / "trial0002" / "resume.npz").is_file()
    monkeypatch.setattr(search_module.Search, "report", report)
    monkeypatch.setattr(workflow, "resume_run", lambda run_dir, **kw: (tmp_path / "resumed").write_text(
        str(run_dir)) and resume_run(run_dir, **kw))
    ask = search_module.Search.ask
    monkeypatch.setattr(search_module.Search, "ask", lambda self: asks.append(1) or ask(self))
    resumed = load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "cut").folder)
    assert len(asks) == 2  # trials 3 and 4; trial 2 went on from its resume state
    assert (tmp_path / "resumed").read_text() == str(tmp_path / "cut" / "runs" / "trial0002")
    assert trials_seen(resumed) == trials_seen(uncut)
    assert [r["name"] for r in rows(tmp_path / "cut")] == [f"trial{i:04d}" for i in range(5)]


def test_a_search_cut_between_a_pruning_and_its_telling_resumes_to_the_same_study(tmp_path, monkeypatch):
    """Ctrl-C after a pruned run's row is written but before the study hears of it: the rerun
    tells the study the run was pruned (its row and summary say so), not trains it on to the end
    (it did, and the study then held a COMPLETE trial where an uncut search has PRUNED; found by
    review)."""
    path = search_file(tmp_path, trials=6, pruning={"method": "asha", "min_epochs": 1})
    uncut = trials_seen(load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "uncut").folder))
    assert "PRUNED" in [state for _, _, state, _ in uncut]
    tell = search_module.Search.tell

    def cut(self, number, outcome="complete"):
        if outcome == "pruned":
            raise KeyboardInterrupt
        return tell(self, number, outcome)

    monkeypatch.setattr(search_module.Search, "tell", cut)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, [], None, [], jobs=1, out=tmp_path / "cut")
    monkeypatch.setattr(search_module.Search, "tell", tell)
    assert trials_seen(load_study(run_sweep(path, [], None, [], jobs=1, out=tmp_path / "cut").folder)) == uncut


def test_more_trials_go_on_with_the_same_study_and_folder(tmp_path):
    path = search_file(tmp_path, trials=2)
    first = run_sweep(path, [], None, [], jobs=1).folder
    more = run_sweep(path, [], None, [], jobs=1, search={"trials": 4}).folder
    assert more == first and len(load_study(first).trials) == 4 and len(rows(first)) == 4


def test_best_yaml_trains_the_best_trial_again(tmp_path):
    path = search_file(tmp_path, trials=4, direction="maximize", metric="val_accuracy")
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    best = load_study(folder).best_trial
    text = (folder / "best.yaml").read_text()
    assert text.startswith(f"# The best trial of this search: trial {best.number}, val_accuracy")
    result = train_and_draw(folder / "best.yaml", [f"output.dir={tmp_path / 'again'}"], quiet=True)
    assert result.summary["final"]["val_accuracy"] == best.value
    assert yaml.safe_load(text)["optimizer"]["lr"] == best.params["optimizer.lr"]


def test_a_study_in_a_sqlite_database(tmp_path):
    path = search_file(tmp_path, trials=3)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out", storage=url).folder
    assert not (folder / "study.journal").exists()
    (summary,) = optuna.get_all_study_summaries(url)
    study = optuna.load_study(study_name=summary.study_name, storage=url)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    assert {t.user_attrs["folder"] for t in study.trials} == {str(folder.resolve())}
    run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out", storage=url, search={"trials": 4})
    assert len(optuna.load_study(study_name=summary.study_name, storage=url).trials) == 4
    # a second client, its own folder, the same database: 2 more trials, its best.yaml of its own
    study = optuna.load_study(study_name=summary.study_name, storage=url)
    study.tell(study.ask({"optimizer.lr": optuna.distributions.FloatDistribution(1e-3, 0.3, log=True)}), -1.0)
    other = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "other", storage=url, search={"trials": 7}).folder
    assert [r["name"] for r in rows(other)] == ["trial0005", "trial0006"]
    assert "trial 5," in (other / "best.yaml").read_text() or "trial 6," in (other / "best.yaml").read_text()
    # the folder again without --storage: refused, not a second study over its rows (found by review)
    before = (folder / "results.csv").read_bytes()
    with pytest.raises(NnctlError, match=r"its trials were asked by a study kept elsewhere \(no study\.journal "
                                         r"here\); give the --storage it was run with$"):
        run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out")
    assert (folder / "results.csv").read_bytes() == before and not (folder / "study.journal").exists()


def test_a_bad_storage_is_one_line_and_leaves_no_folder(tmp_path):
    path = search_file(tmp_path, trials=2)
    for url in ("bogus://x", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"):
        result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--storage", url, "-q"])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"error: --storage {url}: cannot open it (")
        assert not (tmp_path / "out").exists()


def test_without_optuna_a_search_is_one_line(tmp_path, monkeypatch):
    path = search_file(tmp_path)
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2
    assert result.stderr == "error: search: needs Optuna, which is not installed: pip install 'nnctl[search]'\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"search": {"method": "bayes", "trials": 3}}, "search.method: unknown 'bayes' (choose from: tpe, random)"),
    ({"search": {"trials": 3}, "samples": 4}, "samples: has no place in a search"),
    ({"pruning": {"method": "asha"}, "samples": 2}, "pruning: needs search:"),
    ({"random": {"model.hidden": {"depth": {"int": [1, 2]}, "width": {"int": [0, 8], "log": True}}},
      "samples": 2}, "random.model.hidden.width: int needs log: true (or false) and, on a log scale, 0 < low"),
    ({"search": {"trials": 3}, "pruning": {"method": "asha", "min_epochs": 6}},  # TINY trains 6 epochs
     "pruning.min_epochs: 6 is not below train.epochs (6), so no run could be pruned; lower it, or leave pruning out"),
])
def test_search_keys_are_checked(tmp_path, change, message):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(TINY))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"config": "base.yaml", "random": SPACE, **change}))
    with pytest.raises(NnctlError, match="^" + re.escape(f"{path}: {message}")):
        run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out")


def test_the_study_journal_survives_a_line_cut_by_a_kill(tmp_path):
    """A kill in the middle of an append leaves half a line: the search goes on from the whole
    lines (Optuna's own JournalFileBackend reads the same file)."""
    path = search_file(tmp_path, trials=2)
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    journal = folder / "study.journal"
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"op_code":4,"worker_id":"x","stu')
    backend = search_module.ParentJournal(journal)
    assert journal.read_bytes() == whole and len(backend.logs) == whole.count(b"\n")
    run_sweep(path, [], None, [], jobs=1, out=folder, search={"trials": 3})
    assert [t.state.name for t in load_study(folder).trials] == ["COMPLETE"] * 3


def test_search_png_holds_the_study_values(tmp_path, monkeypatch):
    """search.png's panels, read back from the figure: the history's dots and best-so-far line
    are the study's values, the parallel coordinates' lines are coloured by them and their lr
    axis spans the trials' lr (labelled in data units on a log axis), the curves of pruned trials
    end at the epoch they were pruned, the importance bars name every setting."""
    from nnctl.plots.search import search_figure
    from nnctl.sweeps.pictures import draw_search_picture
    from nnctl.sweeps.study import search_data

    path = search_file(tmp_path, trials=8, pruning={"method": "median", "min_epochs": 3})
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    study = load_study(folder)
    data = search_data(folder)
    fig = search_figure(data, title="tiny")
    history, curves, importance, parallel = fig.axes[:4]
    told = [(t.number, t.value) for t in study.trials if t.state.name == "COMPLETE"]
    assert len(told) >= 5
    dots = history.collections[0].get_offsets()
    assert dots[:, 0].tolist() == [n for n, _ in told] and dots[:, 1].tolist() == [v for _, v in told]
    best = history.lines[0].get_ydata()
    running, expected = float("inf"), []
    for t in study.trials:
        running = min(running, t.value) if t.state.name == "COMPLETE" else running
        expected.append(running)
    assert best.tolist() == expected
    colored = parallel.collections[1].get_array()
    assert sorted(colored.tolist()) == sorted(v for _, v in told)
    lrs = [t.params["optimizer.lr"] for t in study.trials]
    labels = [t.get_text() for t in parallel.texts]
    assert f"{min(lrs):.3g}" in labels and f"{max(lrs):.3g}" in labels
    assert [t.get_text() for t in parallel.get_xticklabels()] == [
        "model.hidden.depth", "model.hidden.width\n(log)", "optimizer.lr\n(log)", "model.activation", "val_loss"]
    pruned = [t for t in study.trials if t.state.name == "PRUNED"]
    for t in pruned:
        epochs, _ = data.curves[t.number]
        assert epochs[-1] == max(t.intermediate_values)
    assert {t.get_text() for t in importance.get_yticklabels()} == set(data.params)
    assert sum(data.importance.values()) == pytest.approx(1.0)
    from nnctl.sweeps import pictures

    drawn = []
    monkeypatch.setattr(pictures, "plot_search", lambda data, path, **kw: drawn.append((data.numbers, path)) or path)
    monkeypatch.setattr(pictures, "search_data", lambda folder: data)
    assert draw_search_picture(folder) == [folder / "search.png"] and drawn[0][0].tolist() == list(range(8))


def test_a_random_sweep_draws_shapes_and_log_ints():
    """model.hidden: {depth, width} is [width] * depth in a plain random sweep too, and int with
    log: true stays in its range, drawn evenly in log (about as many below 16 as above)."""
    import numpy as np

    from nnctl.sweeps.spec import _draw, check_distribution

    space = {"depth": {"int": [1, 3]}, "width": {"int": [1, 255], "log": True}}
    check_distribution("random.model.hidden", space)
    rng = np.random.default_rng(1)
    hidden = [_draw(space, rng) for _ in range(400)]
    assert all(1 <= len(h) <= 3 and len(set(h)) == 1 and 1 <= h[0] <= 255 for h in hidden)
    assert {len(h) for h in hidden} == {1, 2, 3}
    assert 0.4 < sum(h[0] < 16 for h in hidden) / len(hidden) < 0.6


def test_runs_and_the_report_mark_the_best_trial_and_the_pruned_epoch(tmp_path):
    from nnctl.listing import default_columns, read_runs
    from nnctl.sweeps.report import write_report

    path = search_file(tmp_path, trials=4, pruning={"method": "asha", "min_epochs": 1})
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    best = f"trial{load_study(folder).best_trial.number:04d}"
    records = read_runs([folder])
    assert [r["name"] for r in records if r.get("search.best")] == [best]
    assert default_columns(records)[-1] == "search.best"
    html = write_report(folder).read_text()
    assert f'data-v="{best}"><a href="#run-{int(best[5:])}">{best} <span title="the search' in html
    pruned = [r for r in rows(folder) if r["status"] == "pruned"]
    assert pruned and all(f'data-v="pruned"><span class="badge st-pruned">pruned at epoch {r["epochs"]}</span>'
                          in html for r in pruned)


def test_a_search_on_a_two_worker_dask_cluster_gives_a_valid_study(tmp_path):
    """Dask runs the trials, which report their epochs to the parent through distributed
    Queues and stop when it says so. Workers in threads of this process: a cluster of processes
    takes 8 s to start on 2 cores (tests/test_sweep.py runs one for grid sweeps)."""
    distributed = pytest.importorskip("distributed")
    path = search_file(tmp_path, trials=4, pruning={"method": "asha", "min_epochs": 1})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        folder = run_sweep(path, [], None, [], jobs=2, out=tmp_path / "out",
                           scheduler=cluster.scheduler_address).folder
    study = load_study(folder)
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    table = rows(folder)
    assert {t.state.name for t in study.trials} == {"COMPLETE", "PRUNED"}
    for trial, row in zip(study.trials, table, strict=True):
        run = folder / row["run_dir"]
        epochs = [int(r["epoch"]) for r in csv.DictReader(open(run / "metrics.csv"))]
        assert row["status"] == trial.state.name.lower().replace("complete", "completed")
        assert epochs[-1] == int(row["epochs"]) == max(trial.intermediate_values)
        if trial.state.name == "COMPLETE":
            assert trial.value == float(row["final.val_loss"])
    assert (folder / "best.yaml").is_file()


def test_a_trial_with_several_seeds_is_told_their_mean(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(TINY))
    path = tmp_path / "seeds.yaml"
    path.write_text(yaml.safe_dump({"config": "base.yaml", "random": {"optimizer.lr": {"loguniform": [1e-3, 0.3]}},
                                    "search": {"trials": 2}, "seeds": [0, 1]}))
    folder = run_sweep(path, [], None, [], jobs=2, out=tmp_path / "out").folder
    table = rows(folder)
    assert [r["name"] for r in table] == ["trial0000-seed0", "trial0000-seed1", "trial0001-seed0", "trial0001-seed1"]
    for trial in load_study(folder).trials:
        runs = table[2 * trial.number: 2 * trial.number + 2]
        assert trial.value == pytest.approx(sum(float(r["final.val_loss"]) for r in runs) / 2, rel=1e-12)
        assert {r["seed"] for r in runs} == {"0", "1"} and len({r["optimizer.lr"] for r in runs}) == 1


def test_the_shipped_search_file_reads(tmp_path):
    from nnctl.sweeps.spec import load_sweep_file

    spec = load_sweep_file(Path(__file__).parent.parent / "configs" / "sweeps" / "search-digits.yaml")
    assert spec.search == {"method": "tpe", "trials": 60, "metric": "val_loss", "direction": "minimize",
                           "timeout": None}
    assert spec.pruning == {"method": "asha", "min_epochs": 3}
    assert spec.random["model.hidden"] == {"depth": {"int": [1, 3]}, "width": {"int": [16, 512], "log": True}}


@pytest.mark.parametrize(("args", "message"), [
    (["--storage", "sqlite:///x.db"], "error: --storage: holds a search's study; give a sweep file with search: "
                                      "(or --search tpe)\n"),
    (["--search", "tpe"], "error: --search: a search needs a sweep file with random: (the space to search)\n"),
    (["--pruning", "often"], "error: --pruning: a search needs a sweep file with random: (the space to search)\n"),
])
def test_search_options_on_a_config_are_one_line(tmp_path, args, message):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(TINY))
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "base.yaml"), "--seeds", "0,1", *args, "--quiet",
                                      "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.stderr) == (2, message)
    assert not (tmp_path / "out").exists()


def test_a_search_without_trials_is_one_line_before_any_folder(tmp_path):
    path = search_file(tmp_path, trials=None)
    result = CliRunner().invoke(app, ["sweep", str(path), "--quiet", "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.stderr) == (2, f"error: {path}: search.trials: is required (how many trials "
                                                    "the study asks), e.g. trials: 60, or --trials 60\n")
    assert not (tmp_path / "out").exists()


def test_a_run_that_reached_its_last_epoch_is_not_pruned(tmp_path, monkeypatch):
    """A pruner asked after the last epoch may say stop (ASHA's rung at 9 of 9 epochs): the run
    has run its course by then, and is told as completed."""
    path = search_file(tmp_path, trials=3, pruning={"method": "asha", "min_epochs": 1})
    monkeypatch.setattr(optuna.trial.Trial, "should_prune", lambda self: True)
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    assert [(r["status"], r["epochs"]) for r in rows(folder)] == [("pruned", "1")] * 3
    monkeypatch.setattr(optuna.trial.Trial, "should_prune", lambda self: self.number != 1 or
                        max(self.study.trials[self.number].intermediate_values) >= 6)
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "again").folder
    assert [(r["status"], r["epochs"]) for r in rows(folder)] == [("pruned", "1"), ("completed", "6"), ("pruned", "1")]


def test_a_worker_that_dies_fails_its_run_and_is_replaced(tmp_path, monkeypatch):
    """A worker killed in the middle of a run (out of memory, kill -9): its run is failed, its
    trial too, and a new worker takes the next trials."""
    import os
    import signal

    report = search_module.Search.report

    def kill_worker(self, number, epoch, value):
        if number == 1 and epoch == 2:
            os.kill(self.worker_pid, signal.SIGKILL)
        return report(self, number, epoch, value)

    path = search_file(tmp_path, trials=4, pruning={"method": "median", "min_epochs": 1})
    from nnctl.sweeps import trials as trials_module

    submit = trials_module._Pool.submit

    def remember(self, search, task):
        conn = submit(self, search, task)
        search.worker_pid = self.processes[conn].pid
        return conn

    monkeypatch.setattr(trials_module._Pool, "submit", remember)
    monkeypatch.setattr(search_module.Search, "report", kill_worker)
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    assert [r["status"] for r in rows(folder)] == ["completed", "failed", "completed", "completed"]
    assert [t.state.name for t in load_study(folder).trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]


def test_a_timeout_stops_asking(tmp_path):
    path = search_file(tmp_path, trials=500, timeout=0.3)
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    assert 1 <= len(load_study(folder).trials) < 500


def test_hyperband_prunes_too(tmp_path):
    path = search_file(tmp_path, trials=6, pruning={"method": "hyperband", "min_epochs": 1})
    folder = run_sweep(path, [], None, [], jobs=1, out=tmp_path / "out").folder
    states = [t.state.name for t in load_study(folder).trials]
    assert len(states) == 6 and set(states) <= {"COMPLETE", "PRUNED"} and "PRUNED" in states


def test_a_search_on_several_jobs_says_what_can_vary(tmp_path):
    path = search_file(tmp_path, trials=2)
    result = CliRunner().invoke(app, ["sweep", str(path), "--jobs", "2", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert result.stderr.splitlines().count(search_module.MANY_JOBS) == 1
    result = CliRunner().invoke(app, ["sweep", str(path), "--jobs", "1", "--trials", "3",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0 and search_module.MANY_JOBS not in result.stderr


def test_an_accuracy_is_maximized_unless_told_otherwise(tmp_path):
    from nnctl.sweeps.spec import load_sweep_file

    assert load_sweep_file(search_file(tmp_path, metric="val_accuracy")).search["direction"] == "maximize"
    assert load_sweep_file(search_file(tmp_path)).search["direction"] == "minimize"
    path = search_file(tmp_path, metric="train_accuracy", direction="minimize")
    assert load_sweep_file(path).search["direction"] == "minimize"


def test_a_validation_metric_without_validation_data_is_one_line(tmp_path):
    path = search_file(tmp_path)
    result = CliRunner().invoke(app, ["sweep", str(path), "--set", "data.validation_fraction=0", "--quiet",
                                      "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.stderr) == (2, f"error: {path}: search.metric: val_loss needs validation data, "
                                                    "and the config holds none out (data.validation_fraction: 0); "
                                                    "hold some out, or search a train_ metric\n")
    assert not (tmp_path / "out").exists()
