"""The config schema: defaults, shorthands, overrides, paths, and one-line errors with dotted keys."""

from pathlib import Path

import pytest
import yaml

from nnctl.config import load_config
from nnctl.errors import NnctlError


def write(tmp_path: Path, data, name="c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def error_of(source, overrides=()) -> str:
    with pytest.raises(NnctlError) as info:
        load_config(source, list(overrides))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_are_filled_in_and_the_name_is_the_file_stem(tmp_path):
    config = load_config(write(tmp_path, {"data": {"name": "circles"}}, "rings.yaml"))
    assert config.name == "rings"
    assert config.model.hidden == [16, 16] and config.model.activation == "tanh"
    assert config.train.batch_size == 32 and config.train.epochs == 100
    assert config.data.params == {"n_samples": 1000, "noise": 0.1, "factor": 0.5}
    assert config.optimizer.params == {"lr": 0.1, "momentum": 0.0, "nesterov": False}


def test_shorthands_for_loss_and_optimizer_take_pytorch_defaults():
    config = load_config({"loss": "mse", "optimizer": "adam"})
    assert config.loss.name == "mse" and config.loss.l2 == 0.0
    assert config.optimizer.params == {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8}


def test_set_values_are_parsed_as_yaml_and_expand_shorthands():
    config = load_config(
        {"loss": "mse", "optimizer": "adam"},
        ["model.hidden=[32, 8]", "loss.l2=1e-3", "optimizer.lr=0.05", "train.batch_size=full", "seed=7"],
    )
    assert config.model.hidden == [32, 8]
    assert config.loss.l2 == 1e-3 and config.loss.name == "mse"
    assert config.optimizer.params["lr"] == 0.05
    assert config.train.batch_size == "full" and config.seed == 7


def test_resolved_config_round_trips_exactly(tmp_path):
    config = load_config({"optimizer": {"name": "sgd", "schedule": "cosine"}, "train": {"epochs": 40}})
    assert config.optimizer.schedule.params == {"T_max": 40, "eta_min": 0.0}
    again = load_config(write(tmp_path, config.to_yaml(), "run.yaml"))
    assert again.to_dict() == config.to_dict()


def test_relative_paths_resolve_from_the_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub", {"data": {"name": "csv", "path": "d.csv"}, "model": {"init_from": "w.npz"}})
    config = load_config(path)
    assert config.data.params["path"] == str(tmp_path / "sub" / "d.csv")
    assert config.model.init_from == str(tmp_path / "sub" / "w.npz")


@pytest.mark.parametrize(
    ("raw", "overrides", "expected"),
    [
        (
            {"optimizer": {"name": "adamw"}}, [],
            "optimizer.name: unknown 'adamw' (choose from: adagrad, adam, lbfgs, rmsprop, sgd); did you mean 'adam'?",
        ),
        ({"model": {"activation": "tanhh"}}, [], "model.activation: unknown 'tanhh'"),
        ({"model": {"activaton": "tanh"}}, [], "model: unknown key 'activaton' (did you mean 'activation'?"),
        ({"data": {"name": "moons", "nosie": 0.1}}, [], "data: unknown key 'nosie' (did you mean 'noise'?"),
        ({"data": {"name": "moon"}}, [], "data.name: unknown 'moon' (choose from: blobs, bump, circles"),
        ({"loss": "hinj"}, [], "loss.name: unknown 'hinj'"),
        ({"optimizer": {"name": "sgd", "lr": 0}}, [], "optimizer.lr: must be > 0"),
        ({"optimizer": {"name": "sgd", "betas": [0.9, 0.99]}}, [], "optimizer: unknown key 'betas'"),
        ({"train": {"batch_size": 0}}, [], "train.batch_size: expected a whole number ≥ 1 or 'full', got 0"),
        ({"train": {"epochs": -1}}, [], "train.epochs: must be ≥ 0, got -1"),
        ({"model": {"hidden": [4, 0]}}, [], "model.hidden: widths must be between 1 and 100,000, got 0"),
        ({"data": {"name": "moons", "n_samples": 0}}, [], "data.n_samples: must be between 1"),
        ({"data": {"validation_fraction": 1.0}}, [], "data.validation_fraction: must be < 1.0, got 1.0"),
        ({"model": {"hidden": "wide"}}, [], "model.hidden: expected a list, got 'wide'"),
        ({"optimizer": {"schedule": {"name": "step", "gama": 0.5}}}, [], "optimizer.schedule: unknown key 'gama'"),
        ({"train": {"batch_size": "half"}}, [], "train.batch_size: expected a whole number ≥ 1 or 'full', got 'half'"),
        ({"output": {"plots": "none"}}, [], "output.plots: expected auto or a list of pictures"),
        ({"optimizer": {"name": "sgd", "nesterov": True}}, [], "optimizer.nesterov: needs momentum > 0"),
        ({"optimizer": {"name": "sgd", "lr": None}}, [], "optimizer.lr: needs a value (default 0.1)"),
        ({"optimizer": {"schedule": {"name": "step", "step_size": 0}}}, [], "schedule.step_size: must be ≥ 1"),
        ({"optimizer": {"schedule": {"name": "cosine", "T_max": "abc"}}}, [], "schedule.T_max: expected a number"),
        ({"optimizer": {"schedule": {"name": "exponential", "gamma": 5}}}, [], "gamma: must be in (0, 1]"),
        ({"data": {"name": "csv", "path": "x.csv", "delimiter": ";;"}}, [], "data.delimiter: expected one character"),
        ({"data": {"name": "moons", "n_samples": None}}, [], "data.n_samples: needs a value (default 1000)"),
        ({"data": {"name": "moons", "n_samples": 1e12}}, [], "data.n_samples: must be between 1 and 10,000,000"),
        ({"model": {"hidden": [10**9]}}, [], "model.hidden: widths must be between 1 and 100,000"),
        ({"name": "a/b"}, [], "name: 'a/b' cannot name a folder (use letters, digits, '.', '_' and '-')"),
        ({}, ["model.hidden"], "--set 'model.hidden': expected KEY=VALUE"),
        ({}, ["model.hidden=[1,"], "--set 'model.hidden=[1,': cannot parse the value"),
        ({}, ["modle.hidden=[4]"], ": unknown key 'modle' (did you mean 'model'?"),
    ],
)
def test_user_errors_name_the_dotted_key_and_what_is_allowed(raw, overrides, expected):
    assert expected in error_of(raw, overrides)


def test_file_errors(tmp_path):
    assert error_of(tmp_path / "nope.yaml").endswith("nope.yaml: no such file")
    assert "the file is empty" in error_of(write(tmp_path, ""))
    assert "expected a mapping" in error_of(write(tmp_path, "- a\n- b\n"))
    message = error_of(write(tmp_path, "model:\n  hidden: [4\nloss: mse\n"))
    assert "invalid YAML at line" in message


def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    message = error_of(write(tmp_path, "model:\n  hidden: [4]\nseed: 1\nmodel:\n  hidden: [8]\n"))
    assert message.endswith("c.yaml: duplicate key 'model' at line 4 (the first is at line 1)")


def test_python_tags_are_refused_not_executed(tmp_path):
    message = error_of(write(tmp_path, "name: !!python/object/apply:os.system ['echo hacked']\n"))
    assert "invalid YAML" in message


def test_exponent_numbers_without_a_dot_are_numbers(tmp_path):
    config = load_config(write(tmp_path, "optimizer: {name: adam, lr: 1e-3}\nloss: {l2: 5E-5}\n"), ["seed=1e0"])
    assert config.optimizer.params["lr"] == 0.001 and config.loss.l2 == 5e-5
    assert load_config({}, ["optimizer.lr=2e-2"]).optimizer.params["lr"] == 0.02


def test_paths_resolve_from_where_they_were_written(tmp_path, monkeypatch):
    """A path in the file from the file's folder; one given with --set from the current folder,
    where the user typed it (issue 14: both resolved from the file's folder)."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    config = write(tmp_path / "configs", {"data": {"name": "csv", "path": "d.csv"}, "model": {"init_from": "w.npz"}})
    from_file = load_config(config)
    assert from_file.data.params["path"] == str(tmp_path / "configs" / "d.csv")
    assert from_file.model.init_from == str(tmp_path / "configs" / "w.npz")
    typed = load_config(config, ["data.path=mydata/x.csv", "model.init_from=runs/mine/model.npz"])
    assert typed.data.params["path"] == str(tmp_path / "work" / "mydata" / "x.csv")
    assert typed.model.init_from == str(tmp_path / "work" / "runs" / "mine" / "model.npz")
    section = load_config(config, ["data={name: csv, path: x.csv}"])  # a whole section given on the command line
    assert section.data.params["path"] == str(tmp_path / "work" / "x.csv")
    assert section.model.init_from == str(tmp_path / "configs" / "w.npz")


@pytest.mark.parametrize(("file", "overrides", "name", "expected"), [
    ({}, ["model.hidden=3"], None, "--set 'model.hidden=3': model.hidden: expected a list, got 3"),
    ({}, ["seed=1", "optimizer.lrr=0.1"], None,
     "--set 'optimizer.lrr=0.1': optimizer: unknown key 'lrr' (did you mean 'lr'?"),
    ({}, ["loss={name: mse, l2: -1}"], None, "--set 'loss={name: mse, l2: -1}': loss.l2: must be ≥ 0.0, got -1"),
    ({}, ["data.n_samples=1e12"], None, "--set 'data.n_samples=1e12': data.n_samples: must be between 1 and"),
    ({}, [], "a/b", "--name 'a/b': name: 'a/b' cannot name a folder"),
    # the file's own mistake is the file's, whatever else is set
    ({"model": {"hidden": 3}}, ["seed=1"], None, "c.yaml: model.hidden: expected a list, got 3"),
    ({"optimizer": {"lrr": 1}}, ["optimizer.lr=0.5"], None, "c.yaml: optimizer: unknown key 'lrr'"),
], ids=["value", "unknown-key", "section", "size", "name", "file-with-set", "file-unknown-key-with-set"])
def test_errors_name_where_the_mistake_was_made(tmp_path, file, overrides, name, expected):
    with pytest.raises(NnctlError) as info:
        load_config(write(tmp_path, file), overrides, name=name)
    message = str(info.value)
    assert message.startswith(expected) if expected.startswith("--") else message.startswith(str(tmp_path / expected))
