"""The config loader under random input: nested mappings built from real and junk keys with values
of every YAML type, random YAML text, random `--set` strings. The only outcomes allowed are a valid
Config (which then round-trips through its own YAML) or an NnctlError of one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnctl.config import Config, Parametrised, Section, load_config, parse_value
from nnctl.errors import NnctlError

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def schema_keys(model: type[Section] = Config, prefix: str = "") -> dict[str, list[str]]:
    """{"": top-level keys, "data": its keys, …, "optimizer.schedule": …}, read from the schema
    itself and the registries behind its Parametrised sections."""
    keys = list(model.model_fields)
    if issubclass(model, Parametrised):
        keys += sorted({p for entry in model.registry.values() for p in model.defaults_of(entry)})
    tree = {prefix: keys}
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, Section):
            tree |= schema_keys(info.annotation, f"{prefix}.{name}" if prefix else name)
    return tree


SCHEMA = schema_keys()
DOTTED = sorted(f"{section}.{key}" if section else key for section, keys in SCHEMA.items() for key in keys)
NAMES = ["moons", "circles", "blobs", "xor", "spiral", "step", "bump", "noisy-linear", "csv", "tanh", "relu",
         "sigmoid", "mse", "hinge", "cross-entropy", "adam", "sgd", "rmsprop", "cosine", "step", "auto", "full",
         "float32", "loss", "classification", "regression", "val_loss", "early"]


def test_the_schema_walk_finds_every_section_and_registry_key():
    assert set(SCHEMA) == {"", "data", "model", "loss", "optimizer", "optimizer.schedule", "train",
                           "train.early_stopping", "output", "output.animation"}
    assert {"n_samples", "noise", "centers", "path"} <= set(SCHEMA["data"])
    assert {"lr", "betas", "momentum", "nesterov"} <= set(SCHEMA["optimizer"])
    assert {"T_max", "gamma", "step_size"} <= set(SCHEMA["optimizer.schedule"])


junk_keys = st.text(min_size=1, max_size=12) | st.integers(-3, 3)
scalars = (
    st.none() | st.booleans() | st.integers(-5, 300) | st.integers() | st.floats(allow_nan=True)
    | st.floats(0, 1) | st.sampled_from(NAMES) | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(DOTTED) | junk_keys, inner, max_size=4),
    max_leaves=12,
)


def section(path: str):
    """A mapping for the config section at `path`: mostly its own keys, some junk ones."""
    own = st.sampled_from(SCHEMA[path])
    children = [key for key in SCHEMA[path] if f"{path}.{key}".lstrip(".") in SCHEMA]
    value = values
    if children:
        value = values | st.deferred(lambda: st.one_of(*(section(f"{path}.{c}".lstrip(".")) for c in children)))
    return st.dictionaries(own | junk_keys, value, max_size=5)


configs = st.fixed_dictionaries(
    {}, optional={name: section(name) | values for name in SCHEMA if name and "." not in name}
) | section("")


def outcome(source, overrides=()) -> Config | None:
    """The config, or None after checking that the refusal is one NnctlError line."""
    try:
        config = load_config(source, list(overrides))
    except NnctlError as e:
        assert str(e) and "\n" not in str(e), repr(str(e))
        return None
    assert isinstance(config, Config)
    return config


def assert_round_trips(config: Config) -> None:
    """A valid config's resolved YAML, read as a config file is read, gives the same config."""
    assert load_config(parse_value(config.to_yaml())).to_dict() == config.to_dict()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(raw=configs)
def test_random_mappings_give_a_config_or_a_user_error(folder, raw):
    config = outcome(raw)
    if config is not None:
        assert_round_trips(config)
    path = folder / "fuzz.yaml"  # the same mapping as a file: read by the YAML loader, not copied
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    outcome(path)


yaml_pieces = st.sampled_from(
    ["model:", "  hidden: [4", "]", "- a", "? [1]", ": 2", "!!python/object/apply:os.system ['true']", "&a [1]",
     "*a", "*b", "{", "}", "data: {name: csv", "\t", "'", '"', "%YAML 1.1", "---", "...", "!!binary AAAA", "!!set {a}",
     "seed: 1", "seed: 1", "loss: mse", "optimizer: adam", "name: x", "2020-01-01", "1e12", ".nan", "~", ":", "#"]
)


@FUZZ
@given(st.lists(yaml_pieces | st.text(max_size=8), max_size=8).map("\n".join))
def test_random_yaml_text_gives_a_config_or_a_user_error(folder, text):
    path = folder / "text.yaml"
    path.write_text(text)
    outcome(path)


set_values = st.sampled_from(
    ["", "0", "-1", "1e12", "0.5", "[4, 4]", "[1,", "{a: 1}", "{[1]: 2}", "full", "adam", "null", "true", "'x'",
     "!!python/name:os.system", "[[0, 0], [3, 3]]", "nan", "*a", "&a 1"]
) | st.text(max_size=12)
good_sets = st.sampled_from(
    ["model.hidden=[4]", "model.hidden=[]", "optimizer.lr=0.05", "loss=mse", "loss.l2=1e-3", "train.batch_size=full",
     "optimizer=adam", "optimizer.schedule=cosine", "optimizer.schedule.gamma=0.5", "seed=3", "data.noise=0.1",
     "data.name=blobs", "data.centers=[[0, 0], [3, 3]]", "model.activation=relu", "train.epochs=0", "name=x.y-z"]
)
set_strings = good_sets | st.builds(
    lambda key, sep, value: f"{key}{sep}{value}",
    st.sampled_from(DOTTED) | st.text(max_size=12) | st.sampled_from(DOTTED).map(lambda k: k + ".x"),
    st.sampled_from(["=", "=", "=", "", "=="]),
    set_values,
)


@FUZZ
@given(st.lists(set_strings, max_size=4))
def test_random_set_strings_give_a_config_or_a_user_error(overrides):
    config = outcome({"data": {"name": "moons", "n_samples": 50}, "loss": "mse", "optimizer": "adam"}, overrides)
    if config is not None:
        assert_round_trips(config)
