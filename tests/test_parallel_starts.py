"""Runs started at the same instant: real `nnctl train` processes racing for run directories.

With the default name (NAME-YYYYmmdd-HHMMSS) every process asks for the same folder in the same
second; each must get its own, and every one must be complete. Given one --run-dir, only the
first run writes into it, even when two found it empty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nnctl.config import load_config
from nnctl.data import load_dataset
from nnctl.errors import NnctlError
from nnctl.runs import RunWriter, claim_run_dir

PROCESSES = 6
TINY = {
    "name": "tiny",
    "data": {"name": "moons", "n_samples": 100},
    "model": {"hidden": [3]},
    "train": {"epochs": 2},
    "output": {"plots": []},
}
RUN_FILES = {"config.yaml", "metrics.csv", "layers.csv", "summary.json", "model.npz", "data.npz"}


def start_together(args: list[str], cwd: Path) -> list[tuple[int, str]]:
    """Start PROCESSES `nnctl ARGS` at once; (exit code, stderr) of each."""
    processes = [
        subprocess.Popen([sys.executable, "-m", "nnctl.cli", *args], cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    return [(p.wait(timeout=120), p.stderr.read()) for p in processes]


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, "output": {"dir": str(tmp_path / "runs"), "plots": []}}))
    return path


def test_simultaneous_runs_with_one_name_get_their_own_complete_directories(tmp_path):
    results = start_together(["train", str(write_config(tmp_path)), "-q"], tmp_path)
    assert [code for code, _ in results] == [0] * PROCESSES, results
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == PROCESSES and all(run.name.startswith("tiny-") for run in runs)
    stems = {run.name[: len("tiny-YYYYmmdd-HHMMSS")] for run in runs}
    assert len(stems) < PROCESSES  # the names did collide: some folders carry a -2, -3, … suffix
    for run in runs:
        assert {p.name for p in run.iterdir()} == RUN_FILES, run
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["epochs"] == 2
        with np.load(run / "model.npz", allow_pickle=False) as weights:
            assert weights["W0"].shape == (2, 3)
    # the same config and seed: every run holds the same weights, none a mix of two runs
    first = (runs[0] / "model.npz").read_bytes()
    assert all((run / "model.npz").read_bytes() == first for run in runs)


def test_of_two_runs_that_found_one_run_dir_empty_only_the_first_writes(tmp_path):
    """Two processes given the same --run-dir can both find it empty before either writes;
    config.yaml is then created exclusively, and the second run is refused before it writes."""
    config = load_config(TINY)
    dataset = load_dataset({"name": "moons", "n_samples": 100}, seed_rng=np.random.default_rng(0), base_dir=tmp_path)
    run = tmp_path / "run"
    first, second = claim_run_dir(run, overwrite=False), claim_run_dir(run, overwrite=False)
    RunWriter(first, config, dataset)
    written = {p.name: p.read_bytes() for p in run.iterdir()}
    with pytest.raises(NnctlError, match=f"^{run}: run directory exists and is not empty .*--overwrite"):
        RunWriter(second, config.model_copy(update={"seed": 1}), dataset)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == written  # no temporary left, nothing replaced
