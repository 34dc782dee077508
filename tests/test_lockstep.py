"""Runs trained together (nnctl.lockstep) reach, file for file, what each reaches alone.

Every test here compares bits: a run trained in lockstep with others must write the run
directory `nnctl train` writes for its config (the same weights, metrics, norms, checkpoints and
summary; only the seconds differ), for every loss, update rule, penalty and way a run can end.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nnctl import workflow
from nnctl.config import load_config
from nnctl.errors import NnctlError
from nnctl.lockstep import fit_together, kin, stackable
from nnctl.nn.network import Sequential, build_network
from nnctl.sweeps.workers import next_task
from nnctl.training import TrainResult, fit, prepare

CONFIGS = Path(__file__).parents[1] / "configs"
SMALL = ["train.epochs=6", "data.n_samples=120", "output.plots=[]"]


def run_files(folder: Path) -> dict[str, object]:
    """A run directory's content as comparable values: arrays of every npz (resume facts aside),
    metrics and summary without their seconds, every other file's bytes."""
    content: dict[str, object] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        if path.suffix == ".npz":
            with np.load(path) as arrays:
                content[name] = {k: arrays[k].tobytes() + str(arrays[k].dtype).encode() for k in arrays.files
                                 if k != "facts"}
                if "facts" in arrays.files:  # a resume state's facts, but the seconds
                    facts = json.loads(str(arrays["facts"]))
                    facts.pop("seconds")
                    facts["history"] = [{k: v for k, v in row.items() if k != "seconds"} for row in facts["history"]]
                    content[name]["facts"] = facts
        elif name == "metrics.csv":
            with open(path) as f:
                content[name] = [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
        elif name == "summary.json":
            content[name] = {k: v for k, v in json.loads(path.read_text()).items() if k != "seconds"}
        else:
            content[name] = path.read_bytes()
    return content


def together(loops: list, paths: list[Path]) -> list:
    """`fit_together`'s outcomes in the runs' order (it yields each as its run ends)."""
    return [outcome for _, outcome in sorted(fit_together(loops, paths), key=lambda pair: pair[0])]


def alone_and_together(tmp_path: Path, base: str, points: list[list[str]]) -> tuple[list, list]:
    """Each point's config trained alone (`training.fit`) and all of them together
    (`lockstep.fit_together`), into folders of their own; the two lists of results."""
    configs = [load_config(CONFIGS / base, [*SMALL, *point]) for point in points]
    alone = [fit(prepare(c), tmp_path / f"alone{k}") for k, c in enumerate(configs)]
    loops = [prepare(c) for c in configs]
    assert stackable(loops)
    outcomes = together(loops, [tmp_path / f"together{k}" for k in range(len(configs))])
    for k in range(len(configs)):
        assert run_files(tmp_path / f"together{k}") == run_files(tmp_path / f"alone{k}"), points[k]
    return alone, outcomes


CASES = {
    # the sweep benchmark's kin: widths alike, learning rates and seeds not
    "adam-rates-seeds": ("moons.yaml", [["model.hidden=[5]", f"optimizer.lr={lr}", f"seed={s}"]
                                        for lr in (0.003, 0.03) for s in (0, 1)]),
    "three-classes": ("blobs.yaml", [[f"seed={s}"] for s in (0, 1, 2)]),
    "binary-cross-entropy": ("moons.yaml", [["loss=binary-cross-entropy", f"seed={s}"] for s in (0, 1)]),
    "mse-sigmoid": ("seed003-circles.yaml", [[f"seed={s}"] for s in (0, 1)]),
    "mse-softmax-output": ("moons.yaml", [["loss=mse", "model.output_activation=softmax", f"seed={s}"]
                                          for s in (0, 1)]),
    "hinge": ("seed002-hinge.yaml", [[f"seed={s}", "data.n_samples=120"] for s in (0, 1)]),
    "regression-standardised": ("noisy-linear.yaml", [["data.standardize_target=true", f"seed={s}"]
                                                     for s in (0, 1)]),
    "sgd-nesterov-l2": ("moons.yaml", [["optimizer.name=sgd", "optimizer.momentum=0.9", "optimizer.nesterov=true",
                                        "loss.l2=0.001", f"optimizer.lr={lr}"] for lr in (0.01, 0.1)]),
    "rmsprop-momentum-l1": ("moons.yaml", [["optimizer.name=rmsprop", "optimizer.momentum=0.5", "loss.l1=0.001",
                                            f"seed={s}"] for s in (0, 1)]),
    "adagrad-l1-clip-cosine": ("moons.yaml", [["optimizer.name=adagrad", "loss.l1=0.01", "loss.l1_clip=true",
                                               "optimizer.schedule.name=cosine", f"seed={s}"] for s in (0, 1)]),
    "relu-checkpoints-full-batch": ("moons.yaml", [["model.activation=relu", "train.checkpoint_every=2",
                                                    "train.batch_size=full", f"seed={s}"] for s in (0, 1)]),
    "unshuffled-sigmoid": ("moons.yaml", [["train.shuffle=false", "model.activation=sigmoid", f"seed={s}"]
                                          for s in (0, 1)]),
    # one kin, each run with its own penalties, schedule, stopping and checkpoints (KIN_FREE)
    "each-its-own": ("moons.yaml", [["loss.l2=0.01", "optimizer.schedule.name=cosine"],
                                    ["loss.l1=0.001", "loss.l1_clip=true", "train.checkpoint_every=3", "seed=1"],
                                    ["loss.l2=0.001", "loss.l1=0.002", "optimizer.schedule.name=step",
                                     "optimizer.schedule.step_size=2", "optimizer.lr=0.05", "seed=2"],
                                    ["train.early_stopping.patience=1", "train.divergence_factor=null", "seed=3"]]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_runs_trained_together_write_what_they_write_alone(case: str, tmp_path: Path) -> None:
    base, points = CASES[case]
    _, together = alone_and_together(tmp_path, base, points)
    assert all(isinstance(r, TrainResult) and r.summary["status"] == "completed" for r in together)


def test_runs_that_end_early_leave_and_the_others_go_on(tmp_path: Path) -> None:
    """Early stopping at different epochs, a plateau's cuts, one run diverging mid-epoch (a
    learning rate of 1e6): each leaves the stack where it would stop alone, with its weights."""
    stopping = ["train.epochs=40", "train.early_stopping.patience=2", "optimizer.schedule.name=plateau",
                "optimizer.schedule.patience=1", "optimizer.name=rmsprop"]
    _, together = alone_and_together(tmp_path, "moons.yaml", [[*stopping, f"optimizer.lr={lr}"]
                                                               for lr in (0.0003, 0.05, 0.5)])
    statuses = [r.summary["status"] for r in together]
    assert statuses.count("early_stopped") >= 2, statuses
    assert len({r.summary["epochs"] for r in together}) > 1  # they did leave at different epochs
    # a loss not finite in a batch: the run leaves the stack mid-epoch, before the step (400
    # points: 10 batches an epoch, so the others go on in the epoch without its rows)
    diverging = ["optimizer.name=sgd", "model.activation=relu", "loss=mse", "model.hidden=[32]"]
    _, together = alone_and_together(tmp_path / "batch", "moons.yaml", [
        [*diverging, "data.n_samples=400", f"optimizer.lr={lr}"] for lr in (0.01, 1e30, 0.02)])
    assert [r.summary["status"] for r in together] == ["completed", "diverged", "completed"]
    assert "limit" not in together[1].summary["diverged_at"] and together[1].summary["diverged_at"]["batch"] < 10
    # an epoch's loss past the limit (120 points): it leaves at the epoch's end
    _, together = alone_and_together(tmp_path / "epoch", "moons.yaml",
                                     [[*diverging, f"optimizer.lr={lr}"] for lr in (0.01, 1e6)])
    assert [r.summary["status"] for r in together] == ["completed", "diverged"]
    assert "limit" in together[1].summary["diverged_at"]


def stop_at(loop, epoch: int, batch: int):
    """`loop`, asked to stop (as by Ctrl-C) once it has counted batch `batch` of epoch `epoch`."""
    count = loop.count_batch

    def counted(e, b, rows, value, correct):
        done = count(e, b, rows, value, correct)
        loop.stop_requested = loop.stop_requested or (e, b + 1) == (epoch, batch)
        return done
    loop.count_batch = counted
    return loop


def test_a_run_asked_to_stop_leaves_with_its_resume_state(tmp_path: Path) -> None:
    """A run stopped mid-epoch (interrupted) leaves the stack after that batch's step with the
    resume.npz it writes alone: its weights, its rows of the shared optimizer's buffers and step
    count, where it stands; the others train on to the end."""
    configs = [load_config(CONFIGS / "moons.yaml", [*SMALL, "optimizer.name=rmsprop", "optimizer.momentum=0.5",
                                                    f"seed={s}"]) for s in (0, 1, 2)]
    fit(stop_at(prepare(configs[1]), 3, 2), tmp_path / "alone1")
    for k in (0, 2):
        fit(prepare(configs[k]), tmp_path / f"alone{k}")
    loops = [prepare(c) for c in configs]
    results = together([loops[0], stop_at(loops[1], 3, 2), loops[2]], [tmp_path / f"t{k}" for k in range(3)])
    assert [r.summary["status"] for r in results] == ["completed", "interrupted", "completed"]
    assert results[1].summary["interrupted_at"] == {"epoch": 3, "batch": 2}
    assert (tmp_path / "t1" / "resume.npz").is_file()
    for k in range(3):
        assert run_files(tmp_path / f"t{k}") == run_files(tmp_path / f"alone{k}")


def test_a_run_whose_folder_is_taken_fails_alone(tmp_path: Path) -> None:
    """A run directory that cannot be claimed (another run's files in it) fails that run before
    training, its folder left as it was; the others train as they would alone."""
    configs = [load_config(CONFIGS / "moons.yaml", [*SMALL, f"seed={s}"]) for s in (0, 1, 2)]
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "config.yaml").write_text("someone else's\n")
    results = together([prepare(c) for c in configs], [tmp_path / f"t{k}" for k in range(3)])
    assert isinstance(results[1], NnctlError) and "not empty" in str(results[1])
    assert (tmp_path / "t1" / "config.yaml").read_text() == "someone else's\n"
    for k in (0, 2):
        fit(prepare(configs[k]), tmp_path / f"alone{k}")
        assert run_files(tmp_path / f"t{k}") == run_files(tmp_path / f"alone{k}")


def test_what_cannot_train_together_is_refused() -> None:
    def loops(*points: list[str]) -> list:
        return [prepare(load_config(CONFIGS / "moons.yaml", [*SMALL, *p])) for p in points]

    assert stackable(loops(["seed=0"], ["seed=1", "optimizer.lr=0.5"]))
    assert not stackable(loops(["seed=0"]))  # one run: nothing to stack
    assert not stackable(loops(["model.hidden=[3]"], ["model.hidden=[4]"]))  # shapes
    assert not stackable(loops(["train.batch_size=16"], ["train.batch_size=32"]))
    assert not stackable(loops(["train.epochs=3"], ["train.epochs=4"]))
    assert not stackable(loops(["loss=mse"], ["loss=hinge"]))
    assert not stackable(loops(["optimizer.betas=[0.8, 0.999]"], []))  # hyper-parameters but the rate
    assert not stackable(loops(["model.dropout=0.2"], ["model.dropout=0.2", "seed=1"]))
    lbfgs = ["optimizer={name: lbfgs}", "train.batch_size=full"]
    assert not stackable(loops(lbfgs, [*lbfgs, "seed=1"]))
    assert not stackable(loops(["dtype=float32"], ["dtype=float32", "seed=1"]))  # a rate rounds in float32
    trained = loops([], ["seed=1"])
    trained[0].run(lambda row: None)
    assert not stackable(trained)  # not fresh


def test_training_sets_too_large_to_stack_train_alone(monkeypatch) -> None:
    """K shuffled copies of the training set (and targets) are held an epoch: past STACK_BYTES
    (64 MB) the runs train alone. 120 points: 96 rows of [x0, x1, 1] and 2 one-hot columns."""
    from nnctl import lockstep

    two = [prepare(load_config(CONFIGS / "moons.yaml", [*SMALL, f"seed={s}"])) for s in (0, 1)]
    each = 96 * 3 * 8 + 96 * 2 * 8 + 96 * 8  # and the labels, int64
    monkeypatch.setattr(lockstep, "STACK_BYTES", 2 * each)
    assert stackable(two)
    monkeypatch.setattr(lockstep, "STACK_BYTES", 2 * each - 1)
    assert not stackable(two)
    assert lockstep.partition(two) == [[0], [1]]
    monkeypatch.setattr(lockstep, "STACK_BYTES", 1)  # not even one fits: each alone all the same
    assert lockstep.partition(two) == [[0], [1]]


def test_a_group_mostly_alike_stacks_what_it_can() -> None:
    """`partition`: stacks of the loops that stack, the rest alone (dropout; another width)."""
    from nnctl.lockstep import partition

    points = [["seed=0"], ["model.dropout=0.2"], ["seed=1", "optimizer.lr=0.1"], ["model.hidden=[3]"], ["seed=2"]]
    loops = [prepare(load_config(CONFIGS / "moons.yaml", [*SMALL, *p])) for p in points]
    assert sorted(partition(loops)) == [[0, 2, 4], [1], [3]]


def test_a_run_s_seconds_are_its_share_of_the_work_not_of_the_waiting(monkeypatch) -> None:
    """lockstep._Clock: a stretch of work divided among the runs in it; the time between two
    stretches (the caller drawing a run that ended) is nobody's."""
    from nnctl import lockstep

    now = [0.0]
    monkeypatch.setattr(lockstep.time, "perf_counter", lambda: now[0])
    clock = lockstep._Clock([0, 1, 2])
    clock.start([0, 1, 2])
    now[0] = 3.0
    assert clock(0) == 1.0
    clock.stop()
    now[0] = 100.0  # waiting at a yield
    clock.start([1, 2])  # run 0 ended
    now[0] = 104.0
    assert (clock(0), clock(1), clock(2)) == (1.0, 3.0, 3.0)


def test_a_bug_mid_group_fails_the_runs_still_training_and_keeps_those_that_ended(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """An exception inside the stacked training (a bug): the runs that had ended keep their
    outcome (and are drawn), those still training end `failed` with the error, folder and row."""
    from nnctl import training

    config = str(CONFIGS / "moons.yaml")
    points = ["optimizer.name=sgd", "model.activation=relu", "loss=mse", "model.hidden=[32]", "train.epochs=30",
              "data.n_samples=120"]
    calls = [(config, [*points, f"optimizer.lr={lr}"], str(tmp_path / f"g{k}"))
             for k, lr in enumerate((0.01, 1e30, 0.02))]
    real = training.Loop.close_epoch

    def broken(self, epoch, *args, **kwargs):
        if epoch == 3:
            raise ZeroDivisionError("planted")
        return real(self, epoch, *args, **kwargs)
    monkeypatch.setattr(training.Loop, "close_epoch", broken)
    rows = dict(workflow.run_points(calls))
    assert rows[1]["status"] == "diverged" and (tmp_path / "g1" / "loss.png").is_file()
    for k in (0, 2):
        assert rows[k]["status"] == "failed" and rows[k]["error"] == "ZeroDivisionError: planted"
        summary = json.loads((tmp_path / f"g{k}" / "summary.json").read_text())
        assert summary["status"] == "failed" and summary["epochs"] == 2


def test_kin_ignores_what_each_run_keeps_its_own() -> None:
    def key(*overrides: str) -> str:
        return kin(load_config(CONFIGS / "moons.yaml", list(overrides)))

    assert key("seed=1", "optimizer.lr=0.5", "name=other", "loss.l2=0.1", "loss.l1=0.01", "loss.l1_clip=true",
               "optimizer.schedule.name=cosine", "train.early_stopping.patience=3", "train.checkpoint_every=5",
               "train.divergence_factor=null", "output.plots=[]") == key()
    for shared in ("model.hidden=[3]", "model.activation=relu", "loss=mse", "optimizer.name=sgd",
                   "optimizer.betas=[0.8, 0.999]", "train.batch_size=16", "train.epochs=7", "data.n_samples=50",
                   "dtype=float32", "model.dropout=0.1"):
        assert key(shared) != key(), shared


def test_a_stacked_network_gives_each_run_its_own_numbers() -> None:
    """Sequential.stacked: forward and backward on (K, n, features) give row k what network k
    gives alone, bit for bit, and its θ rows are copies of the networks' θ."""
    rng = np.random.default_rng(0)
    networks = [build_network([3, 7, 5, 2], ["tanh", "relu"], "softmax", "xavier", rng) for _ in range(3)]
    stacked = Sequential.stacked(networks)
    assert stacked.theta.shape == (3, networks[0].theta.size)
    X, dOut = rng.normal(size=(3, 11, 3)), rng.normal(size=(3, 11, 2))
    out = stacked.forward(X)
    dX = stacked.backward(dOut)
    for k, network in enumerate(networks):
        assert np.array_equal(stacked.theta[k], network.theta)
        assert np.array_equal(out[k], network.forward(X[k]))
        assert np.array_equal(dX[k], network.backward(dOut[k]))
        assert np.array_equal(stacked.grad[k], network.grad)


def names(task: list) -> list[str]:
    return [point.name for point, _ in task]


def test_tasks_shrink_as_the_queue_empties_and_split_kins_evenly() -> None:
    """Guided self-scheduling: a task takes at most 1/(2 × jobs) of what is left (at most 8),
    points of its first point's kin only; so the last tasks are single runs."""
    calls = [(SimpleNamespace(name=f"w{w}-{i}"), ()) for w in (32, 16, 8, 4, 2) for i in range(6)]
    kins = {point.name: point.name.split("-")[0] for point, _ in calls}
    queue, sizes = deque(calls), []
    while queue:
        task = next_task(queue, kins, 2)
        assert len({kins[n] for n in names(task)}) == 1
        sizes.append((names(task)[0].split("-")[0], len(task)))
    assert sizes == [("w32", 6), ("w16", 6), ("w8", 3), ("w8", 3), ("w4", 3), ("w4", 3), ("w2", 2),
                     ("w2", 1), ("w2", 1), ("w2", 1), ("w2", 1)]
    queue = deque(calls[:4])
    assert names(next_task(queue, {}, 1)) == ["w32-0"]  # no kin known: alone
    many = deque((SimpleNamespace(name=f"p{i}"), ()) for i in range(100))
    assert len(next_task(many, {f"p{i}": "k" for i in range(100)}, 1)) == 8  # LOCKSTEP_MOST


def test_run_points_trains_a_group_together_and_draws_each(tmp_path: Path) -> None:
    """A sweep worker's group (`workflow.run_points`): each run as `nnctl train` writes it, its
    pictures drawn, its results.csv values with its index; a point that cannot be prepared fails
    alone."""
    config = str(CONFIGS / "moons.yaml")
    calls = [(config, [*SMALL[:2], f"seed={s}"], str(tmp_path / f"g{s}")) for s in (0, 1)]
    rows = dict(workflow.run_points(calls))
    assert [rows[k]["status"] for k in (0, 1)] == ["completed", "completed"]
    for s in (0, 1):
        workflow.train_run(load_config(config, [*SMALL[:2], f"seed={s}"]), run_dir=tmp_path / f"a{s}")
        assert (tmp_path / f"g{s}" / "boundary.png").is_file()
        ours = {k: v for k, v in run_files(tmp_path / f"g{s}").items() if not k.endswith(".png")}
        assert ours == run_files(tmp_path / f"a{s}")
    bad = [*calls[:1], (config, [*SMALL[:2], "model.activation=nope"], str(tmp_path / "bad"))]
    rows = dict(workflow.run_points([(c, o, d + "2") for c, o, d in bad]))
    assert rows[0]["status"] == "completed"
    assert rows[1]["status"] == "failed" and "nope" in rows[1]["error"]


def test_a_run_that_ends_first_is_drawn_while_the_others_train(tmp_path: Path) -> None:
    """A group's run that ends early (here it diverges in its first epoch) comes out of
    `run_points` at once, its pictures drawn, while the others still train: a sweep cut off
    then finds it finished and whole, as after a lone run (it was skipped, undrawn, when the
    group's pictures waited for the group's end)."""
    config = str(CONFIGS / "moons.yaml")
    points = ["optimizer.name=sgd", "model.activation=relu", "loss=mse", "model.hidden=[32]", "train.epochs=30",
              "data.n_samples=120"]
    calls = [(config, [*points, f"optimizer.lr={lr}"], str(tmp_path / f"g{k}")) for k, lr in enumerate((0.01, 1e30))]
    rows = workflow.run_points(calls)
    k, row = next(rows)
    assert (k, row["status"]) == (1, "diverged")
    assert {"loss.png", "boundary.png"} <= {p.name for p in (tmp_path / "g1").iterdir()}
    assert not (tmp_path / "g0" / "summary.json").exists()  # still training
    assert [(k, r["status"]) for k, r in rows] == [(0, "completed")]


def test_a_sweep_trains_kin_together_and_matches_nnctl_train(tmp_path: Path) -> None:
    """`nnctl sweep` of 2 widths × 4 seeds on 2 workers: groups of one width (next_task), every
    run's files those of `nnctl train` of its point."""
    sweep = workflow.run_sweep(str(CONFIGS / "moons.yaml"), ["model.hidden=[2],[3]"], "0,1,2,3", SMALL, jobs=2,
                               out=tmp_path / "s")
    with open(sweep.folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["completed"] * 8
    for row in rows[::3]:
        ours, alone = sweep.folder / row["run_dir"], tmp_path / f"alone-{row['name']}"
        workflow.train_run(load_config(CONFIGS / "moons.yaml", [*SMALL, f"model.hidden={row['model.hidden']}",
                                                                f"seed={row['seed']}"]), run_dir=alone)
        assert {k: v for k, v in run_files(ours).items() if k != "config.yaml"} == {
            k: v for k, v in run_files(alone).items() if k != "config.yaml"}
        # the same config but the run's name, which the sweep gives each point
        assert load_config(ours / "config.yaml").to_dict() | {"name": None} == \
            load_config(alone / "config.yaml").to_dict() | {"name": None}


def test_a_worker_that_dies_in_a_group_fails_the_group_runs_still_to_come(tmp_path: Path) -> None:
    """A worker killed while training a group fails the group's runs it had not finished, "the
    worker process died", and the sweep goes on. In a process of its own, with a timeout."""
    code = f"""
import csv, os, signal
from pathlib import Path
from nnctl import workflow
real = workflow.run_points
def dies_after_one(calls):
    rows = real(calls)
    yield next(rows)
    if any("model.hidden=[3]" in overrides for _, overrides, _ in calls):
        os.kill(os.getpid(), signal.SIGKILL)
    yield from rows
workflow.run_points = dies_after_one
sweep = workflow.run_sweep({str(CONFIGS / "moons.yaml")!r}, ["model.hidden=[3],[2]"], "0,1,2,3",
                           ["data.n_samples=60", "train.epochs=2", "output.plots=[]"], jobs=1,
                           out=Path({str(tmp_path / "s")!r}))
with open(sweep.folder / "results.csv") as f:
    for row in csv.DictReader(f):
        print(row["model.hidden"], row["seed"], row["status"], row.get("error", ""), sep="|")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    hidden3 = sorted(line for line in lines if line.startswith("[3]"))
    assert sum("completed" in line for line in hidden3) == 1, lines  # the first of its group
    assert sum("the worker process died" in line for line in hidden3) == 3, lines
    assert sorted(line for line in lines if line.startswith("[2]")) == [f"[2]|{s}|completed|" for s in range(4)]
