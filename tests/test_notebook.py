"""nnctl in a notebook: the run users hold after `nnctl.train` shows itself (_repr_html_, a plain
repr), draws figures with `nnctl plot`'s code (`run.plot`), plays its animation, and
`nnctl.run_sweep` returns records that show their table and boundaries picture."""

from __future__ import annotations

import base64
import csv
import os
import re

import numpy as np
import pytest

import nnctl
from nnctl.console import NotebookProgress, ProgressView, live_progress
from nnctl.errors import NnctlError
from nnctl.trained import TrainedRun, load_run

TINY = {"name": "tiny", "data": {"name": "moons", "n_samples": 120, "noise": 0.2},
        "model": {"hidden": [4]}, "optimizer": {"name": "adam", "lr": 0.05},
        "train": {"epochs": 20, "checkpoint_every": 10}, "output": {"plots": []}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> TrainedRun:
    """A 2-4-2 moons run of 20 epochs with checkpoints 0, 10, 20, trained through the front door."""
    return nnctl.train(TINY, run_dir=tmp_path_factory.mktemp("nb") / "run", quiet=True)


def pngs(page: str) -> list[bytes]:
    """The PNGs embedded in an HTML page as data: URIs."""
    return [base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_the_front_door_returns_the_run_users_hold(trained):
    assert isinstance(trained, TrainedRun) and trained.run_dir == trained.path
    assert [row["epoch"] for row in trained.history][-1] == 20 and trained.summary["status"] == "completed"
    again = load_run(trained.path)
    X = np.array([[0.0, 0.5], [1.0, -0.5]])
    np.testing.assert_array_equal(again.predict(X), trained.predict(X))


def test_html_holds_the_final_metrics_and_two_embedded_pictures(trained):
    page = trained._repr_html_()
    final = trained.summary["final"]
    assert f"{final['val_loss']:.4f}" in page and f"{final['val_accuracy']:.1%}" in page
    assert "tiny · 2-4-2 tanh · adam lr 0.05" in page and "completed after 20 epochs" in page
    images = pngs(page)
    assert len(images) == 2 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in images)
    assert re.findall(r'alt="(\w+)"', page) == ["boundary", "loss"]


def test_repr_is_plain_text_naming_the_run_its_end_and_how_to_load_it(trained):
    text = repr(trained)
    assert text.splitlines() == [
        "tiny · 2-4-2 tanh · adam lr 0.05", "completed after 20 epochs",
        f"final: loss {trained.summary['final']['train_loss']:.4f}  val_loss "
        f"{trained.summary['final']['val_loss']:.4f}  acc {trained.summary['final']['train_accuracy']:.1%}  "
        f"val_acc {trained.summary['final']['val_accuracy']:.1%}",
        f"load_run({str(trained.path)!r})"]
    assert "<" not in text


def test_plot_loss_draws_metrics_csv_and_writes_no_file(trained):
    before = sorted(os.listdir(trained.path))
    figure = trained.plot("loss")
    assert sorted(os.listdir(trained.path)) == before  # nothing written without path=
    with open(trained.path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    train = lines["train"]
    np.testing.assert_array_equal(train.get_xdata(), [float(r["epoch"]) for r in rows])
    np.testing.assert_allclose(train.get_ydata(), [float(r["train_loss"]) for r in rows], rtol=1e-12)


def test_plot_boundary_covers_the_data_range(trained):
    figure = trained.plot("boundary")
    X = np.vstack([trained.dataset.X_train, trained.dataset.X_val])
    margin = 0.12 * np.max(X.max(axis=0) - X.min(axis=0))  # boundary.png's padding, in data units
    ax = figure.axes[0]
    np.testing.assert_allclose(ax.get_xlim(), (X[:, 0].min() - margin, X[:, 0].max() + margin), rtol=1e-9)
    np.testing.assert_allclose(ax.get_ylim(), (X[:, 1].min() - margin, X[:, 1].max() + margin), rtol=1e-9)


def test_plot_at_an_epoch_draws_that_checkpoint_and_says_so(trained, tmp_path):
    figure = trained.plot("neurons", epoch=10, path=tmp_path / "neurons.svg")
    assert figure._suptitle.get_text().endswith("· epoch 10")
    assert (tmp_path / "neurons.svg").read_bytes().lstrip().startswith(b"<?xml")
    at_ten = load_run(trained.path, checkpoint=10)
    loss = trained.plot("loss", epoch=10).axes[0].get_lines()[0]
    assert loss.get_xdata()[-1] == 10  # the metrics up to the checkpoint
    assert at_ten.plot("neurons")._suptitle.get_text() == figure._suptitle.get_text()


@pytest.mark.parametrize(("name", "message"), [
    ("bogus", "plot('bogus'): unknown picture (choose from: loss, boundary, fit, neurons, network, hidden, norms, "
              "confusion)"),
    ("fit", "plot('fit'): no such picture for this run (the fitted curve or surface (regression); this run has: "
            "loss, boundary, neurons, network, hidden, norms, confusion)"),
    ("animation", "plot('animation'): the animation is a film, not a figure (use run.animation())"),
])
def test_an_unknown_picture_is_one_line_naming_the_pictures(trained, name, message):
    with pytest.raises(NnctlError) as e:
        trained.plot(name)
    assert str(e.value) == message


def test_an_epoch_without_a_checkpoint_names_those_saved(trained):
    with pytest.raises(NnctlError, match=r"^epoch=5: .* has no checkpoint of epoch 5 \(saved: 0, 10, 20\)$"):
        trained.plot("boundary", epoch=5)


def test_animation_is_the_gif_inline_drawn_from_checkpoints_without_a_file(trained):
    from IPython.display import Image

    shown = trained.animation()
    assert isinstance(shown, Image) and shown.data.startswith(b"GIF89a")
    assert not (trained.path / "animation.gif").exists()


def test_video_needs_ffmpeg_and_says_so(trained, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(NnctlError, match=r"^video=True: an HTML5 video needs ffmpeg on PATH"):
        trained.animation(video=True)


def test_video_is_the_gif_converted_by_ffmpeg(trained, tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"  # a stand-in: keeps the GIF's first 6 bytes as the "video" it writes
    fake.write_text('#!/bin/sh\nfor last; do :; done\nhead -c 6 > "$last"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"]))
    monkeypatch.setattr(TrainedRun, "animation_gif", lambda self, dpi: b"GIF89a and frames")  # drawn above
    video = trained.animation(video=True)
    assert video.data == b"GIF89a" and video.mimetype == "video/mp4" and video.embed


def test_a_run_in_memory_shows_itself_and_has_no_animation():
    run = nnctl.train({**TINY, "train": {"epochs": 3}}, quiet=True)
    assert run.path is None and repr(run).endswith("in memory (no run directory)")
    assert "norms" not in run.picture_names()  # no layers.csv to draw it from
    with pytest.raises(NnctlError, match="trained without a run directory"):
        run.animation()


def test_train_shows_progress_unless_quiet(capfd):
    nnctl.train({**TINY, "train": {"epochs": 3}})
    assert "epoch 3/3  loss" in capfd.readouterr().err
    nnctl.train({**TINY, "train": {"epochs": 3}}, quiet=True)
    assert capfd.readouterr().err == ""


def test_notebook_progress_redraws_one_display_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, view):
            shown.append(view)

    monkeypatch.setattr("IPython.display.display", lambda view, display_id: shown.append(view) or Handle())
    monkeypatch.setattr("nnctl.console.in_jupyter", lambda: True)
    with live_progress(2) as progress:
        assert isinstance(progress, NotebookProgress)
        for epoch in range(3):
            progress({"epoch": epoch, "train_loss": 0.5 / (epoch + 1)})
    assert all(isinstance(v, ProgressView) for v in shown)
    assert repr(shown[-1]) == "epoch 2/2  loss 0.1667"
    assert '<progress value="2" max="2"' in shown[-1]._repr_html_() and "\x1b[" not in shown[-1]._repr_html_()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A two-run sweep of TINY's width, run from Python."""
    import yaml

    folder = tmp_path_factory.mktemp("sweep")
    config = folder / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "train": {"epochs": 5}}))
    return nnctl.run_sweep(config, {"model.hidden": [[2], [4]]}, jobs=1, out=folder / "sweep", quiet=True)


def test_run_sweep_takes_a_single_value_as_a_list_of_one(monkeypatch):
    """{"optimizer.lr": 0.05} was a TypeError (found by review): it is the grid's one value."""
    from nnctl import workflow

    asked = []
    monkeypatch.setattr(workflow, "run_sweep", lambda config, grid, *args, **kw: asked.append(grid) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        nnctl.run_sweep("c.yaml", {"model.hidden": [[2], [4]], "optimizer.lr": 0.05}, quiet=True)
    assert asked == [["model.hidden=[2],[4]", "optimizer.lr=0.05"]]


def test_run_sweep_returns_records_that_show_their_table_and_boundaries(sweep):
    assert [(r["name"], r["model.hidden"], r["status"]) for r in sweep] == [
        ("hidden2", [2], "completed"), ("hidden4", [4], "completed")]
    page = sweep._repr_html_()
    assert "<td>hidden4</td><td>[4]</td><td>completed</td>" in page
    assert f"{sweep[1]['final.val_loss']:.4f}" in page
    assert len(pngs(page)) == 1 and (sweep.folder / "boundaries.png").is_file()


def test_run_sweep_gives_a_dataframe_with_the_picture_when_pandas_is_there(sweep, monkeypatch):
    import sys
    import types

    from nnctl.notebook import sweep_results

    class DataFrame:  # the little of pandas.DataFrame that sweep_results relies on
        def __init__(self, records):
            self.records = records

        def _repr_html_(self):
            return "<table>pandas' own table</table>"

    pandas = types.ModuleType("pandas")
    pandas.DataFrame = DataFrame
    monkeypatch.setitem(sys.modules, "pandas", pandas)
    frame = sweep_results(sweep.folder)
    assert isinstance(frame, DataFrame) and frame.records == list(sweep) and frame.folder == sweep.folder
    page = frame._repr_html_()
    assert "<table>pandas' own table</table>" in page and len(pngs(page)) == 1


def test_plot_replaces_only_its_own_picture_unless_told(trained, tmp_path):
    """run.plot(path=) writes a picture that says in its metadata who wrote it; a user's file of
    that name is refused (one line), and replaced only with overwrite=True."""
    mine = tmp_path / "loss.png"
    mine.write_text("my notes")
    with pytest.raises(NnctlError, match=r"^path='.*loss\.png': exists and run\.plot did not write it; pass "
                                         r"overwrite=True"):
        trained.plot("loss", path=mine)
    assert mine.read_text() == "my notes"
    trained.plot("loss", path=mine, overwrite=True)
    first = mine.read_bytes()
    assert first.startswith(b"\x89PNG") and b"nnctl run.plot" in first
    trained.plot("boundary", path=mine)  # its own picture: replaced without asking
    assert mine.read_bytes() != first


def test_train_writes_no_run_into_a_folder_of_the_users(tmp_path):
    """nnctl.train(run_dir=) wrote its files beside a user's in a folder `nnctl train --run-dir`
    refuses (found by review); with overwrite=True it replaces an earlier run, as --overwrite."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(NnctlError, match="is not empty"):
        nnctl.train(TINY, run_dir=mine, quiet=True)
    assert sorted(os.listdir(mine)) == ["notes.txt"]
    run = nnctl.train(TINY, run_dir=tmp_path / "run", quiet=True)
    again = nnctl.train(TINY, run_dir=run.path, quiet=True, overwrite=True)
    assert again.summary["status"] == "completed"
