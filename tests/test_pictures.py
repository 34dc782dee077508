"""Run-level pictures: which apply to which run, and that they show the run's own model."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnctl import load_config
from nnctl.pictures import applicable, default_pictures, predict_scores
from nnctl.runs import frame_epochs, load_run
from nnctl.training import train
from nnctl.workflow import plot_run


def tiny(tmp_path: Path, **sections) -> Path:
    base = {
        "data": {"name": "moons", "n_samples": 120},
        "model": {"hidden": [4]},
        "optimizer": {"name": "adam", "lr": 0.05},
        "train": {"epochs": 12, "batch_size": 16},
        "output": {"plots": []},
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value}
    run = tmp_path / "run"
    train(load_config(base), run)
    return run


def test_animation_has_the_asked_frames_from_the_kept_checkpoints(tmp_path):
    run = tiny(tmp_path, output={"animation": {"frames": 5}})
    epochs = sorted(int(p.stem.split("-")[1]) for p in (run / "checkpoints").iterdir())
    assert epochs == frame_epochs(12, 5) == frame_epochs(12, 5, "log") == [0, 1, 3, 6, 12]
    [gif] = plot_run(run, ["animation"], dpi=40)
    with Image.open(gif) as image:
        assert image.n_frames == 5
        image.seek(0)
        first = np.asarray(image.convert("RGB"), dtype=float)
        image.seek(4)
        last = np.asarray(image.convert("RGB"), dtype=float)
    assert first.std() > 10 and np.abs(first - last).mean() > 1  # real pictures, and they change


def test_checkpoints_are_ordered_by_epoch_number_past_9999(tmp_path):
    from nnctl.files import save_npz
    from nnctl.runs import Run, checkpoint_path

    (tmp_path / "checkpoints").mkdir()
    for epoch in (12465, 0, 9363, 20000):
        save_npz(checkpoint_path(tmp_path, epoch), {"W0": np.zeros(1)})
    run = Run(tmp_path, None, [], {}, None, None)
    assert [epoch for epoch, _ in run.checkpoints()] == [0, 9363, 12465, 20000]


def test_frame_epochs_are_distinct_and_span_the_run():
    for epochs, frames, spacing in [(100, 60, "early"), (1000, 60, "early"), (7, 60, "even"), (50, 2, "even")]:
        chosen = frame_epochs(epochs, frames, spacing)
        assert chosen[0] == 0 and chosen[-1] == epochs
        assert len(chosen) == min(frames, epochs + 1) and chosen == sorted(set(chosen))
    early = frame_epochs(1000, 20, "early")
    assert early[5] < 1000 * 5 / 19  # denser at the start than even spacing


def test_log_spaced_frames_follow_the_change_of_a_long_run():
    """Seed 001: 20 frames of 20 000 epochs. Quadratic spacing put frame 10 at epoch 5 540, long
    after the boundary stopped moving (17 frames looked alike); log spacing keeps a constant
    ratio between neighbours, half the frames in the first 1 % of the run."""
    assert frame_epochs(20000, 20, "early")[10] == 5540
    log = frame_epochs(20000, 20)
    assert log[:6] == [0, 1, 2, 4, 7, 13] and log[-1] == 20000
    assert log[10] < 200
    ratios = np.array(log[6:]) / np.array(log[5:-1])
    assert np.allclose(ratios, (20001 ** (1 / 19)), rtol=0.05)


def test_the_boundary_scores_are_the_models_predictions(tmp_path):
    run = load_run(tiny(tmp_path))
    X = np.random.default_rng(1).normal(size=(50, 2))
    scores = predict_scores(run)(X)
    model = run.model
    np.testing.assert_allclose(scores, model.output(X), rtol=1e-12)  # softmax probabilities
    assert (scores.argmax(axis=1) == model.loss.decode(model.logits(X))).all()


@pytest.mark.parametrize(
    ("data", "hidden", "expected_all", "expected_default"),
    [
        ({"name": "moons"}, [4], ["loss", "boundary", "neurons", "hidden", "norms", "confusion"],
         ["loss", "boundary"]),
        ({"name": "step"}, [4], ["loss", "fit", "hidden", "norms"], ["loss", "fit"]),
        ({"name": "bump"}, [], ["loss", "fit", "norms"], ["loss", "fit"]),
        ({"name": "digits", "n_samples": 200}, [8], ["loss", "hidden", "norms", "confusion"], ["loss", "confusion"]),
    ],
)
def test_which_pictures_fit_which_run(data, hidden, expected_all, expected_default):
    config = load_config({"data": data, "model": {"hidden": hidden}, "loss": "mse" if data["name"] in
                          ("step", "bump") else "cross-entropy", "train": {"epochs": 1}})
    result = train(config)
    assert applicable(result.dataset, config) == expected_all
    assert default_pictures(result.dataset, config) == expected_default


def test_the_picture_registry_draws_exactly_the_names_the_config_and_the_inventory_know():
    from nnctl.pictures import PICTURES
    from nnctl.plots import PICTURE_NAMES
    from nnctl.runs import RUN_FILES

    assert tuple(PICTURES) == PICTURE_NAMES
    assert {f"{name}.png" for name in PICTURE_NAMES} <= RUN_FILES
