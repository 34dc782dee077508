"""The docs show what the commands print. docs/make_docs.py (`make docs`) writes every command
output, generated table and number of README.md, docs/*.md and the comments of configs/*.yaml;
here it makes them again, in a temporary folder, and each must equal what is written, timings
aside (they say where and when they were measured). Also: docs/config.md's keys are the
schema's, with its defaults, and every nnctl option the README shows exists."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from helpers import trained_once, trajectory_once

from nnctl.cli import app
from nnctl.config import Config
from nnctl.data import DATASETS
from nnctl.nn.activations import ACTIVATIONS
from nnctl.nn.losses import LOSSES
from nnctl.nn.optimizers import OPTIMIZERS
from nnctl.plots import PICTURE_NAMES
from nnctl.runs import PICTURE_EXTENSIONS, RUN_FILES

ROOT = Path(__file__).resolve().parents[1]


def load_make_docs():
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "docs" / "make_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_docs"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


make_docs = load_make_docs()


class _NotebookOnce:
    """configs/seed001/notebook.py, whose 20 000-pass trajectory is computed once per session."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def trajectory(self, X, y, init, passes):
        return iter(trajectory_once(self._module.trajectory, X, y, init, passes))


@pytest.fixture(scope="module", autouse=True)
def _train_once():
    """make_docs trains seed 001 (20 000 passes, by nnctl and by the notebook's loop),
    noisy-linear and more; these tests and test_seed001 read the same results: each is computed
    once per session."""
    real_train, real_notebook = make_docs.train, make_docs.notebook_module

    def train(config, *args, **kwargs):
        return trained_once(config) if not args and not kwargs else real_train(config, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(make_docs, "train", train)
        patch.setattr(make_docs, "notebook_module", lambda: _NotebookOnce(real_notebook()))
        yield


@pytest.mark.slow  # every command the docs show, and seed 001's 20 000 passes twice: ~20 s on 2 cores
def test_every_block_and_number_of_the_docs_is_what_the_commands_print_now(tmp_path):
    problems = make_docs.check(tmp_path)
    assert not problems, "out of date (run `make docs`, then look at the diff):\n\n" + "\n\n".join(problems)


def test_check_finds_a_number_that_no_longer_matches(tmp_path, monkeypatch):
    # a fact written one way and measured another is a difference, named with its file
    monkeypatch.setattr(make_docs, "FACTS", [make_docs.Fact("docs/config.md", r"at most ([0-9 ]+) samples",
                                                            lambda m: "12 345")])
    monkeypatch.setattr(make_docs, "documents", lambda: ["docs/config.md"])
    monkeypatch.setattr(make_docs, "GENERATED", {**make_docs.GENERATED, "data-sets": lambda: "| changed |\n"})
    [problem] = make_docs.check(tmp_path)
    assert "-layer, at most" not in problem
    assert "+Sizes are checked before any memory is taken: at most 12 345 samples" in problem
    assert "+| changed |" in problem and problem.startswith("--- docs/config.md (written)")


def config_md_keys() -> dict:
    text = (ROOT / "docs" / "config.md").read_text()
    [block] = re.findall(r"<!-- docs: make config-keys -->\n```yaml\n(.*?)```", text, re.DOTALL)
    return yaml.safe_load(block)


def test_config_md_lists_every_schema_key_with_its_default():
    # the block reads as YAML, comments aside: the whole default config, keys and values,
    # output.animation.frames, .spacing and .network included
    assert config_md_keys() == Config.model_validate({}).model_dump(mode="json")
    assert config_md_keys()["output"]["animation"] == {"frames": 0, "spacing": "log", "network": False}


def shown_commands() -> list[str]:
    """Every nnctl command line the README shows: in code blocks (after `$ ` or alone, with
    backslash continuations joined) and in inline code."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```(?:sh|)\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("nnctl "):
                lines.append(line)
    lines += re.findall(r"`(nnctl [^`]+)`", text)
    return lines


def options_of(command) -> set[str]:
    return {opt for param in command.params for opt in [*param.opts, *param.secondary_opts] if opt.startswith("-")}


def test_every_option_the_readme_shows_exists():
    cli = typer.main.get_command(app)
    commands = shown_commands()
    assert len(commands) > 20
    unknown = []
    for line in commands:
        words = [w for w in shlex.split(line.replace("$lr", "0.1").replace("$w", "4"), comments=True)]
        sub = cli.commands.get(words[1]) if len(words) > 1 else None
        allowed = options_of(sub) if sub else options_of(cli)
        unknown += [f"{line}: {w}" for w in words[1:] if w.startswith("-") and w.split("=")[0] not in
                    allowed | {"--help", "-h"}]
        if sub is None and len(words) > 1 and not words[1].startswith("-"):
            unknown.append(f"{line}: no command {words[1]}")
    assert not unknown, "\n".join(unknown)


def comment_lists(path: Path) -> list[list[str]]:
    """The `a | b | c` lists in a YAML file's comments, each as its names."""
    lists = []
    for line in path.read_text().splitlines():
        comment = line.partition("#")[2]
        if "|" in comment:
            lists.append([name.strip().split(",")[0].split(" ")[0] for name in comment.split("|")])
    return lists


@pytest.mark.parametrize("registry", [DATASETS, ACTIVATIONS, LOSSES, OPTIMIZERS],
                         ids=["data sets", "activations", "losses", "optimizers"])
def test_the_names_configs_moons_yaml_lists_are_the_registrys(registry):
    # the README shows configs/moons.yaml as the first config a newcomer reads: its comments
    # list every name one may write there
    assert sorted(registry) in [sorted(names) for names in comment_lists(ROOT / "configs" / "moons.yaml")]


def test_noisy_linear_fits_well_with_other_weights_than_least_squares_until_momentum_crosses_the_valley(tmp_path):
    # configs/noisy-linear.yaml's lesson: x0 and x1 are nearly collinear, so SGD settles
    # w0 + w1 = 1 at once and barely moves along w0 − w1; least squares (the target exactly)
    # gives [0.5, 0.5]; the momentum the comment suggests gets there
    measured = make_docs.Measured(make_docs.Workspace(tmp_path))
    fit = measured.noisy_linear()
    np.testing.assert_allclose(fit.lstsq, [0.5, 0.5], atol=1e-9)
    assert abs(fit.weights.sum() - 1) < 0.01 and fit.weights[0] - fit.weights[1] > 0.9
    assert fit.val_loss < 1e-3
    np.testing.assert_allclose(measured.noisy_linear(*make_docs.NOISY_LINEAR_ACROSS).weights, [0.5, 0.5], atol=1e-3)


def test_the_readme_tables_name_every_file_a_run_writes_and_every_picture():
    # "What a run writes" lists the run directory's inventory (nnctl.runs.RUN_FILES), "Pictures"
    # every picture nnctl draws
    text = (ROOT / "README.md").read_text()
    files_table = text[text.index("## What a run writes"):text.index("`make demo` ends with")]
    data_files = {name for name in RUN_FILES if name.rsplit(".", 1)[1] not in PICTURE_EXTENSIONS}
    assert {name for name in data_files if f"| `{name}` |" not in files_table} == set()
    pictures_table = text[text.index("## Pictures"):text.index("The animation needs checkpoints")]
    drawn = {f"{name}.gif" if name == "animation" else f"{name}.png" for name in PICTURE_NAMES}
    assert {name for name in drawn if f"| `{name}` |" not in pictures_table} == set()
