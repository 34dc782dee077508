"""Interruption and resume: a run stopped between any two mini-batches, saved, read back and
continued ends with the weights and metrics of an uninterrupted run, bit for bit; real
`nnctl train` processes killed at random moments (SIGTERM, SIGINT, SIGKILL) resume to the same.
"""

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.config import load_config
from nnctl.runs import load_state, save_state
from nnctl.training import fit, prepare

SMALL = {
    "name": "small",
    "data": {"name": "moons", "n_samples": 90, "validation_fraction": 0.2},
    "model": {"hidden": [5], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.05},
    "train": {"epochs": 4, "batch_size": 16, "early_stopping": {"patience": 3}},
    "output": {"plots": []},
}
VARIANTS = {
    "adam-shuffled-early-stopping": {},
    "sgd-nesterov-unshuffled": {"optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
                                "train": {"epochs": 4, "batch_size": 16, "shuffle": False}},
    "rmsprop-cosine-full-batch": {"optimizer": {"name": "rmsprop", "lr": 0.01, "momentum": 0.5,
                                                "schedule": {"name": "cosine"}},
                                  "train": {"epochs": 5, "batch_size": "full"}},
    # dropout's masks come from the shuffle stream after the epoch's order: a resumed epoch draws
    # its done batches' masks again; with l1_clip's step after each update
    "adam-dropout-l1-clip-shuffled": {"model": {"hidden": [5, 4], "activation": "tanh", "dropout": [0.3, 0.5]},
                                      "loss": {"name": "cross-entropy", "l1": 0.01, "l1_clip": True}},
    "sgd-dropout-unshuffled": {"model": {"hidden": [5], "activation": "tanh", "dropout": 0.5},
                               "optimizer": {"name": "sgd", "lr": 0.1},
                               "train": {"epochs": 4, "batch_size": 16, "shuffle": False}},
    # the rate halves after epoch 4 (its val_loss 0.217 misses the best, 0.171): stops before, in and after
    # that epoch resume to the same cut (plateau's state is part of resume.npz)
    "sgd-plateau-cut": {"optimizer": {"name": "sgd", "lr": 0.5, "momentum": 0.5,
                                      "schedule": {"name": "plateau", "patience": 0, "factor": 0.5, "min_delta": 0.02}},
                        "train": {"epochs": 5, "batch_size": 16}},
}


def without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def stop_after(loop, batches: int) -> None:
    """Train `loop` until `batches` mini-batches are done, as a signal would stop it."""
    done = 0
    original = loop.state.optimizer.step

    def step(theta, grad, lr):
        nonlocal done
        original(theta, grad, lr)
        done += 1
        if done == batches:
            loop.stop_requested = True

    loop.state.optimizer.step = step
    fit(loop)
    loop.state.optimizer.step = original


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_stopping_between_any_two_batches_and_resuming_is_bit_identical(variant, tmp_path):
    config = load_config({**SMALL, **VARIANTS[variant]})
    reference = prepare(config)
    expected = fit(reference)
    assert expected.summary["status"] in ("completed", "early_stopped")
    if "plateau" in variant:
        assert [row["lr"] for row in expected.history] == [None, 0.5, 0.5, 0.5, 0.5, 0.25]
    total_batches = len(range(0, reference.dataset.X_train.shape[0], reference.batch_size)) * expected.summary["epochs"]
    for batches in range(1, total_batches + 1):
        first = prepare(config)
        stop_after(first, batches)
        save_state(tmp_path / "state.npz", *first.state.snapshot(1.5))

        second = prepare(config)
        second.state.restore(*load_state(tmp_path / "state.npz"))
        assert second.state.seconds_before == 1.5
        result = fit(second)
        for name, value in expected.model.network.params().items():
            assert np.array_equal(result.model.network.params()[name], value), (batches, name)
        assert without_seconds(result.history) == without_seconds(expected.history), batches
        assert second.state.layers == reference.state.layers, batches
        for key in ("status", "epochs", "best_epoch", "best", "final"):
            assert result.summary[key] == expected.summary[key], (batches, key)


STOPPING = {**SMALL, "optimizer": {"name": "adam", "lr": 0.2},
            "train": {"epochs": 15, "batch_size": 16, "early_stopping": {"patience": 2}}}


@pytest.mark.parametrize("at_epoch", range(0, 9))
def test_a_state_saved_as_an_epoch_ends_resumes_bit_identical(at_epoch, tmp_path):
    """The periodic resume state is written while an epoch's row goes out (RunWriter.epoch):
    early stopping has already counted that epoch, even the one it stops at."""
    config = load_config(STOPPING)
    reference = prepare(config)
    expected = fit(reference)
    assert expected.summary["status"] == "early_stopped" and expected.summary["epochs"] == 8

    first = prepare(config)
    for row in first.epochs():
        if row["epoch"] == at_epoch:
            save_state(tmp_path / "state.npz", *first.state.snapshot(0.0))
            break
    second = prepare(config)
    second.state.restore(*load_state(tmp_path / "state.npz"))
    result = fit(second)
    for name, value in expected.model.network.params().items():
        assert np.array_equal(result.model.network.params()[name], value), name
    assert without_seconds(result.history) == without_seconds(expected.history)
    for key in ("status", "epochs", "best_epoch", "best", "final"):
        assert result.summary[key] == expected.summary[key], key


def test_a_state_of_another_network_is_refused(tmp_path):
    loop = prepare(load_config(SMALL))
    stop_after(loop, 2)
    save_state(tmp_path / "state.npz", *loop.state.snapshot(0.0))
    other = prepare(load_config({**SMALL, "model": {"hidden": [6], "activation": "tanh"}}))
    with pytest.raises(Exception, match="parameters"):
        other.state.restore(*load_state(tmp_path / "state.npz"))


# ---------------------------------------------------------------- real processes, killed

NNCTL = [sys.executable, "-c", "from nnctl.cli import main; main()"]  # what the console script runs
LONG = {
    "name": "long",
    "data": {"name": "moons", "n_samples": 1500},  # ~2.5 s of training alone, ~40 000 mini-batches
    "model": {"hidden": [16], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "train": {"epochs": 200, "batch_size": 8},
    "output": {"plots": []},
}


def start(*args, cwd):
    return subprocess.Popen([*NNCTL, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def weights(run_dir: Path) -> dict:
    with np.load(run_dir / "model.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


class Progress:
    """The epochs a training process has reported on stderr ("epoch 40/200 ...", a line per tenth
    of the run in a pipe), read as they come by a thread; `text` is all it printed."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(process.stderr), daemon=True)
        self.thread.start()

    @property
    def epoch(self) -> int:
        reached = [int(m[1]) for line in list(self.lines) if (m := re.match(r"epoch (\d+)/", line))]
        return max(reached, default=-1)

    @property
    def text(self) -> str:
        self.thread.join(timeout=10)
        return "".join(self.lines)


def test_killed_at_random_moments_and_resumed_ends_bit_identical(tmp_path):
    """Four signals land at random batches after four random tenths of the run: each waits for
    its tenth's progress line, then a random part of a tenth's time more (measured by the epochs
    themselves, not the wall clock, which a busy machine or a slow start-up would skew)."""
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(LONG))
    whole = start("train", "c.yaml", "--run-dir", "whole", "-q", cwd=tmp_path)
    assert whole.wait(timeout=120) == 0, whole.stderr.read()
    expected = weights(tmp_path / "whole")
    expected_metrics = (tmp_path / "whole" / "metrics.csv").read_text().splitlines()
    epochs = LONG["train"]["epochs"]
    tenth = epochs // 10 * float(np.median([float(row.rsplit(",", 1)[1]) for row in expected_metrics[2:]]))

    rng = random.Random(20261123)
    kills = [signal.SIGTERM, signal.SIGINT, signal.SIGKILL, signal.SIGTERM]
    at = sorted(rng.sample(range(1, 9), len(kills)))  # tenths: the last signal lands before 9/10
    process = start("train", "c.yaml", "--run-dir", "cut", cwd=tmp_path)
    stops = []
    for sig, tenths in zip(kills, at, strict=True):
        progress = Progress(process)
        while progress.epoch < tenths * epochs // 10:
            assert process.poll() is None, progress.text
            time.sleep(0.005)
        time.sleep(rng.uniform(0, tenth))
        process.send_signal(sig)
        code = process.wait(timeout=60)
        stops.append((sig, code))
        assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 130), progress.text
        if sig != signal.SIGKILL:
            summary = json.loads((tmp_path / "cut" / "summary.json").read_text())
            assert summary["status"] == "interrupted" and summary["interrupted_at"]["batch"] >= 0
            assert (tmp_path / "cut" / "resume.npz").is_file()
        process = start("train", "--resume", "cut", cwd=tmp_path)
    assert process.wait(timeout=120) == 0, Progress(process).text
    assert len(stops) == len(kills)

    got = weights(tmp_path / "cut")
    assert got.keys() == expected.keys()
    assert all(np.array_equal(got[k], expected[k]) for k in expected)
    rows = (tmp_path / "cut" / "metrics.csv").read_text().splitlines()
    strip = lambda lines: [line.rsplit(",", 1)[0] for line in lines]  # seconds is the last column
    assert strip(rows) == strip(expected_metrics)
    summary = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert summary["status"] == "completed" and not (tmp_path / "cut" / "resume.npz").exists()


def test_resume_refuses_finished_runs_and_extra_arguments(tmp_path, monkeypatch):
    """User errors, not signals: the commands run in this process."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({**LONG, "train": {"epochs": 1, "batch_size": 64}}))
    runner = CliRunner()
    done = runner.invoke(app, ["train", "c.yaml", "--run-dir", "r", "-q"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["train", "--resume", "r"])
    assert again.exit_code == 2 and again.stderr.strip() == "error: r: this run has already completed; there is " \
                                                            "nothing to resume"
    extra = runner.invoke(app, ["train", "c.yaml", "--resume", "r"])
    assert extra.exit_code == 2 and "drop CONFIG" in extra.stderr
