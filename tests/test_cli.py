"""The command line: exit codes, one-line errors, files written, --json, determinism."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nnctl.cli import app

runner = CliRunner()
TINY = {
    "name": "tiny",
    "data": {"name": "moons", "n_samples": 120},
    "model": {"hidden": [5], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.05},
    "train": {"epochs": 6, "batch_size": 16, "checkpoint_every": 2},
    "output": {"plots": []},
}


def write_config(tmp_path: Path, **sections) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **sections}))
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


COMMANDS = ["train", "gradcheck", "sweep", "runs", "compare", "explain", "plot", "config", "predict", "evaluate",
            "move-data", "watch"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout
    assert invoke(*command, "-h").stdout == result.stdout
    # a flag takes no value (--quiet true is refused): its help shows none; no Python types either
    assert "<bool>" not in result.stdout and "list[" not in result.stdout and "<path>" not in result.stdout


@pytest.mark.parametrize(("command", "usage"), [
    ("train", "nnctl train [OPTIONS] [CONFIG]"),
    ("gradcheck", "nnctl gradcheck [OPTIONS] CONFIG|RUN_DIR"),
    ("sweep", "nnctl sweep [OPTIONS] CONFIG|SWEEP_FILE"),
    ("runs", "nnctl runs [OPTIONS] [FOLDER]..."),
    ("explain", "nnctl explain [OPTIONS] CONFIG|RUN_DIR"),
    ("plot", "nnctl plot [OPTIONS] RUN_DIR"),
    ("config", "nnctl config [OPTIONS] CONFIG"),
    ("predict", "nnctl predict [OPTIONS] RUN_DIR INPUT"),
    ("evaluate", "nnctl evaluate [OPTIONS] RUN_DIR [INPUT]"),
    ("move-data", "nnctl move-data [OPTIONS] RUN_DIR"),
    ("watch", "nnctl watch [OPTIONS] RUN_DIR"),
])
def test_usage_lines_name_arguments_one_way(command, usage):
    """Required bare, optional in brackets, repeated with dots, in capitals (not Typer's {run_dir})."""
    assert f"Usage: {usage} " in runner.invoke(app, [command, "--help"], prog_name="nnctl").stdout


def test_version():
    from nnctl import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"nnctl {__version__}\n"


def test_train_writes_a_complete_run_directory(tmp_path):
    run = tmp_path / "run"
    result = invoke("train", write_config(tmp_path), "--run-dir", run, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for name in ("config.yaml", "metrics.csv", "summary.json", "model.npz", "data.npz"):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch-0000.npz", "epoch-0002.npz", "epoch-0004.npz", "epoch-0006.npz"]
    lines = (run / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,val_loss,train_accuracy,val_accuracy,lr,seconds"
    assert len(lines) == 1 + 7  # epoch 0 and six trained epochs
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs"] == 6
    assert summary["parameters"] == 2 * 5 + 5 + 5 * 2 + 2
    with np.load(run / "model.npz", allow_pickle=False) as weights:
        assert sorted(weights.files) == ["W0", "W1", "b0", "b1"]
        assert weights["W0"].shape == (2, 5) and weights["b1"].shape == (2,)
    with np.load(run / "checkpoints" / "epoch-0006.npz") as last, np.load(run / "model.npz") as final:
        np.testing.assert_array_equal(last["W0"], final["W0"])


def test_same_config_gives_bit_identical_weights(tmp_path):
    config = write_config(tmp_path)
    for name in ("a", "b"):
        assert invoke("train", config, "--run-dir", tmp_path / name, "--quiet").exit_code == 0
    assert (tmp_path / "a" / "model.npz").read_bytes() == (tmp_path / "b" / "model.npz").read_bytes()


def test_resolved_config_repeats_the_run(tmp_path):
    assert invoke("train", write_config(tmp_path), "--set", "seed=3", "--run-dir", tmp_path / "a", "-q").exit_code == 0
    assert invoke("train", tmp_path / "a" / "config.yaml", "--run-dir", tmp_path / "b", "-q").exit_code == 0
    assert (tmp_path / "a" / "model.npz").read_bytes() == (tmp_path / "b" / "model.npz").read_bytes()


def test_json_prints_only_the_summary_on_stdout(tmp_path):
    result = invoke("train", write_config(tmp_path), "--run-dir", tmp_path / "run", "--json")
    data = json.loads(result.stdout)
    assert data["run_dir"] == str(tmp_path / "run") and data["status"] == "completed"
    assert 0.0 <= data["final"]["val_accuracy"] <= 1.0


def test_runs_never_collide_and_existing_dirs_are_refused(tmp_path):
    config = write_config(tmp_path, output={"dir": str(tmp_path / "out"), "plots": []})
    for _ in range(2):
        assert invoke("train", config, "-q").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2 and all(n.startswith("tiny-") for n in names)
    run = tmp_path / "out" / names[0]
    result = invoke("train", config, "--run-dir", run)
    assert result.exit_code == 2
    assert result.stderr == f"error: {run}: run directory exists and is not empty (pass --overwrite to replace it)\n"
    assert invoke("train", config, "--run-dir", run, "--overwrite", "-q").exit_code == 0


def test_unknown_activation_is_one_line_and_exit_2(tmp_path):
    result = invoke("train", write_config(tmp_path, model={"activation": "tanhh"}))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "model.activation: unknown 'tanhh'" in result.stderr


def test_missing_config_is_one_line_and_exit_2(tmp_path):
    result = invoke("train", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and result.stderr == f"error: {tmp_path / 'nope.yaml'}: no such file\n"


def test_diverging_run_exits_1_and_keeps_finite_weights(tmp_path):
    config = write_config(tmp_path, optimizer={"name": "sgd", "lr": 1e6}, loss={"name": "mse"},
                          data={"name": "noisy-linear", "n_samples": 100})
    result = invoke("train", config, "--run-dir", tmp_path / "run", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "diverged" and summary["diverged_at"]["epoch"] >= 1
    with np.load(tmp_path / "run" / "model.npz") as weights:
        assert all(np.isfinite(weights[k]).all() for k in weights.files)


def test_gradcheck_passes_on_a_config_and_a_run(tmp_path):
    config = write_config(tmp_path, loss={"name": "cross-entropy", "l2": 0.01})
    result = invoke("gradcheck", config, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] and [t["name"] for t in data["tensors"]] == ["W0", "b0", "W1", "b1", "X"]
    assert all(t["error"] < 1e-7 for t in data["tensors"])
    assert invoke("train", config, "--run-dir", tmp_path / "run", "-q").exit_code == 0
    table = invoke("gradcheck", tmp_path / "run")
    assert table.exit_code == 0 and "all gradients agree" in table.stdout


def test_gradcheck_of_something_else_is_a_user_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("gradcheck", tmp_path / "empty")
    assert result.exit_code == 2 and "not a run directory" in result.stderr


def test_plot_redraws_the_pictures_from_the_files(tmp_path):
    run = tmp_path / "run"
    assert invoke("train", write_config(tmp_path), "--run-dir", run, "-q").exit_code == 0
    result = invoke("plot", run, "--out", tmp_path / "pics")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "pics").iterdir()) == [
        "animation.gif", "boundary.png", "confusion.png", "hidden.png", "loss.png", "network.png", "neurons.png",
        "norms.png"]
    only = invoke("plot", run, "--only", "loss", "--image-format", "svg", "--out", tmp_path / "svg")
    assert only.exit_code == 0 and [p.name for p in (tmp_path / "svg").iterdir()] == ["loss.svg"]
    old = invoke("plot", run, "--only", "loss", "--format", "svg", "--out", tmp_path / "old")
    assert old.exit_code == 2 and not (tmp_path / "old").exists()
    assert old.stderr == ("error: --format svg: pictures take --image-format (png, svg or pdf); --format is for "
                          "tables and data\n")
    wrong = invoke("plot", run, "--only", "fit")
    assert wrong.exit_code == 2 and "no fit picture for this run" in wrong.stderr
    bad = invoke("plot", run, "--only", "loss,nope")
    assert bad.exit_code == 2 and "unknown 'nope'" in bad.stderr


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    assert invoke("train", write_config(tmp_path), "--run-dir", run, "-q").exit_code == 0
    return run


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["train", "CONFIG", "--set", "optimizer.lr="], "optimizer.lr: needs a value"),
        (["train", "CONFIG", "--name", "a/b"], "name: 'a/b' cannot name a folder"),
        (["train", "CONFIG", "--run-dir", "/proc/nope/run"], "cannot create the run directory"),
        (["train", "CONFIG", "--set", "loss=hinge", "--set", "data.name=spiral"], "hinge takes 2 classes"),
        (["gradcheck", "CONFIG", "--epsilon", "0"], "--epsilon 0: outside 1e-10 … 0.01"),
        (["plot", "RUN", "--dpi", "0"], "--dpi: must be between 10 and 600"),
        (["plot", "RUN", "--dpi", "3"], "--dpi: must be between 10 and 600"),  # FreeType's traceback at 1-3
        (["plot", "RUN", "--out", "FILE"], "exists and is not a folder"),
        (["plot", "RUN", "--image-format", "jpg"], "--image-format: unknown 'jpg'"),
        (["plot", "CONFIG"], "not a run directory"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path, args, expected):
    config, run = write_config(tmp_path), _run_dir(tmp_path)
    (tmp_path / "file").write_text("x")
    swap = {"CONFIG": config, "RUN": run, "FILE": tmp_path / "file"}
    result = invoke(*[swap.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr


def test_a_refused_config_leaves_no_run_directory_behind(tmp_path):
    config = write_config(tmp_path, loss="hinge", data={"name": "spiral"},
                          output={"dir": str(tmp_path / "out"), "plots": []})
    result = invoke("train", config)
    assert result.exit_code == 2 and str(config) in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(("damage", "expected"), [
    ("rm model.npz", "missing model.npz"),
    ("metrics", "metrics.csv: not a metrics file"),
    ("summary", "summary.json: not valid JSON"),
])
def test_a_damaged_run_directory_is_named_not_drawn(tmp_path, damage, expected):
    run = _run_dir(tmp_path)
    if damage == "rm model.npz":
        (run / "model.npz").unlink()
    elif damage == "metrics":
        with open(run / "metrics.csv", "a") as f:
            f.write("garbage,,x\n")
    else:
        (run / "summary.json").write_text("{")
    result = invoke("plot", run)
    assert result.exit_code == 2 and expected in result.stderr


def test_diverged_json_is_strict_json(tmp_path):
    config = write_config(tmp_path, optimizer={"name": "sgd", "lr": 1e6}, loss={"name": "mse"},
                          data={"name": "noisy-linear", "n_samples": 100})
    result = invoke("train", config, "--run-dir", tmp_path / "run", "--json")
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_python_m_nnctl_is_the_console_script(tmp_path):
    """`python -m nnctl` (nnctl/__main__.py) runs the same commands, output and exit codes."""
    import subprocess
    import sys

    module = [sys.executable, "-m", "nnctl"]
    helped = subprocess.run([*module, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "Usage: nnctl" in helped.stdout, helped.stderr
    config, run = write_config(tmp_path), tmp_path / "run"
    trained = subprocess.run([*module, "train", config, "--run-dir", run, "--json"], capture_output=True, text=True,
                             timeout=120)
    assert trained.returncode == 0 and trained.stderr == "", trained.stderr
    assert json.loads(trained.stdout)["run_dir"] == str(run) and (run / "model.npz").is_file()
    refused = subprocess.run([*module, "train", tmp_path / "nothere.yaml"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == f"error: {tmp_path / 'nothere.yaml'}: no such file\n"


def test_config_prints_the_resolved_config_without_training(tmp_path):
    from nnctl.config import load_config

    config = write_config(tmp_path, output={"dir": str(tmp_path / "out"), "plots": []})
    result = invoke("config", config, "--set", "optimizer.lr=0.5", "--set", "model.hidden=[7]")
    assert result.exit_code == 0 and result.stderr == ""
    printed = yaml.safe_load(result.stdout)
    assert printed["optimizer"]["lr"] == 0.5 and printed["model"]["hidden"] == [7]
    assert printed["train"]["early_stopping"] == {"patience": 0, "min_delta": 0.0, "monitor": "val_loss",
                                                  "restore_best": True}  # defaults
    assert printed["name"] == "tiny" and not (tmp_path / "out").exists()  # nothing trained, nothing written
    (tmp_path / "printed.yaml").write_text(result.stdout)
    assert load_config(tmp_path / "printed.yaml").to_dict() == load_config(
        config, ["optimizer.lr=0.5", "model.hidden=[7]"]).to_dict()  # it trains the same run
    wrong = invoke("config", config, "--set", "model.hidden=3")
    assert wrong.exit_code == 2 and wrong.stdout == ""
    assert wrong.stderr == "error: --set 'model.hidden=3': model.hidden: expected a list, got 3\n"


def test_an_error_in_a_set_value_names_the_set_not_the_file(tmp_path, monkeypatch):
    """--set data.path=missing.csv: the path resolves from where it was typed, and the error at
    training time names the --set."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    config = write_config(tmp_path / "configs")
    result = invoke("train", config, "--set", "data={name: csv, path: mine/missing.csv}", "--run-dir", "run")
    assert result.exit_code == 2
    assert result.stderr == (f"error: --set 'data={{name: csv, path: mine/missing.csv}}': data.path: "
                             f"{tmp_path / 'mine' / 'missing.csv'}: no such file\n")


def test_resuming_a_run_that_stopped_early_says_so_in_words(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    for name in ("config.yaml", "data.npz"):
        (run / name).write_text("")
    (run / "summary.json").write_text(json.dumps({"status": "early_stopped"}))
    result = invoke("train", "--resume", run)
    assert result.exit_code == 2
    assert result.stderr == f"error: {run}: this run has already stopped early; there is nothing to resume\n"
