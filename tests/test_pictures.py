"""Run-level pictures: which apply to which run, and that they show the run's own model."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnctl import load_config
from nnctl.pictures import applicable, default_pictures, plot_data, predict_scores
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
        ({"name": "moons"}, [4], ["loss", "boundary", "neurons", "network", "hidden", "norms", "confusion"],
         ["loss", "boundary", "network"]),
        ({"name": "moons"}, [9], ["loss", "boundary", "neurons", "network", "hidden", "norms", "confusion"],
         ["loss", "boundary"]),
        ({"name": "step"}, [4], ["loss", "fit", "network", "hidden", "norms"], ["loss", "fit"]),
        ({"name": "bump"}, [], ["loss", "fit", "network", "norms"], ["loss", "fit"]),
        ({"name": "digits", "n_samples": 200}, [8], ["loss", "network", "hidden", "norms", "confusion"],
         ["loss", "confusion"]),
    ],
)
def test_which_pictures_fit_which_run(data, hidden, expected_all, expected_default):
    config = load_config({"data": data, "model": {"hidden": hidden}, "loss": "mse" if data["name"] in
                          ("step", "bump") else "cross-entropy", "train": {"epochs": 1}})
    result = train(config)
    assert applicable(result.dataset, config) == expected_all
    assert default_pictures(result.dataset, config) == expected_default


def test_network_png_draws_the_runs_weights_and_its_units_over_the_plane(tmp_path, monkeypatch):
    from nnctl import plots
    from nnctl.pictures import PICTURES

    run = load_run(tiny(tmp_path))
    seen = {}
    monkeypatch.setattr(plots, "plot_network", lambda weights, data, path, **kw: seen.update(weights=weights, **kw))
    PICTURES["network"].draw(run, tmp_path / "network.png", dpi=40)
    model = run.model
    assert [W.shape for W in seen["weights"]] == [(2, 4), (4, 2)]
    np.testing.assert_array_equal(seen["weights"][1], model.network.dense[1].W)
    X = np.random.default_rng(2).normal(size=(7, 2))
    inputs, hidden, scores = seen["node_maps"](X)
    np.testing.assert_array_equal(inputs, X)  # moons is not standardised: the plane is the inputs
    np.testing.assert_allclose(hidden, np.tanh(X @ model.network.dense[0].W + model.network.dense[0].b))
    np.testing.assert_allclose(scores, model.output(X))
    assert seen["layer_names"] == ["hidden 1 (tanh)", "output (softmax)"]


def test_network_png_names_its_inputs_by_the_features_and_maps_them_over_the_raw_plane(tmp_path, monkeypatch):
    """With data.features the input nodes are the computed features (x0^2, not x0), each mapped
    over the raw x0-x1 plane; the picture itself writes those names beside the input nodes."""
    from nnctl import plots
    from nnctl.pictures import PICTURES

    run = load_run(tiny(tmp_path, data={"features": ["x0^2", "x0*x1"]}))
    seen = {}
    monkeypatch.setattr(plots, "plot_network", lambda weights, data, path, **kw: seen.update(data=data, **kw))
    PICTURES["network"].draw(run, tmp_path / "network.png", dpi=40)
    assert seen["input_names"] == ["x0^2", "x0*x1"] and seen["data"].feature_names == ["x0", "x1"]
    X = np.array([[2.0, -3.0], [0.5, 4.0]])
    np.testing.assert_array_equal(seen["node_maps"](X)[0], np.column_stack([X[:, 0] ** 2, X[:, 0] * X[:, 1]]))
    monkeypatch.undo()
    weights = [layer.W for layer in run.model.network.dense]
    figure = plots.model._network_figure(weights, seen["data"], title="t", layer_names=seen["layer_names"],
                                         node_maps=None, input_names=seen["input_names"], resolution=8)
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert {"x0^2", "x0*x1"} <= texts and "x0" not in texts


def test_output_animation_network_gives_each_frame_its_checkpoints_weights(tmp_path, monkeypatch):
    from nnctl import plots
    from nnctl.files import load_npz
    from nnctl.pictures import PICTURES

    run = load_run(tiny(tmp_path, output={"animation": {"frames": 3, "network": True}}))
    seen = {}
    monkeypatch.setattr(plots, "render_animation", lambda frames, *a, **kw: seen.update(frames=frames, **kw))
    PICTURES["animation"].draw(run, tmp_path / "a.gif", dpi=40)
    assert seen["network_names"] == ["hidden 1 (tanh)", "output (softmax)"]
    for frame, (epoch, path) in zip(seen["frames"], run.checkpoints(), strict=True):
        saved = load_npz(path)
        assert frame.epoch == epoch
        np.testing.assert_array_equal(frame.weights[1], saved["W1"])
        X = np.array([[0.3, -0.2]])
        np.testing.assert_allclose(frame.node_maps(X)[1], np.tanh(X @ saved["W0"] + saved["b0"]))
    plain = load_run(tiny(tmp_path / "plain", output={"animation": {"frames": 3}}))
    PICTURES["animation"].draw(plain, tmp_path / "b.gif", dpi=40)
    assert seen["network_names"] is None and seen["frames"][0].weights is None  # off by default


def test_the_picture_registry_draws_exactly_the_names_the_config_and_the_inventory_know():
    from nnctl.pictures import PICTURES
    from nnctl.plots import PICTURE_NAMES
    from nnctl.runs import RUN_FILES

    assert tuple(PICTURES) == PICTURE_NAMES
    assert {f"{name}.png" for name in PICTURE_NAMES} <= RUN_FILES


# ---------------------------------------------------------------- issue 14: titles, units, pdf


def test_every_title_names_the_weights_drawn_after_early_stopping(tmp_path):
    """model.npz holds the best epoch's weights; the titles said the last epoch's number."""
    from nnctl.pictures import title

    run = load_run(tiny(tmp_path, train={"epochs": 50, "early_stopping": {"patience": 1, "min_delta": 10.0,
                                                                          "monitor": "train_loss"}}))
    assert run.summary["status"] == "early_stopped" and run.summary["epochs"] == 1
    assert title(run).endswith(" · epoch 0 (best; early stopped at 1)")
    assert " · epoch" not in title(run, weights=False)


def test_a_sampled_learning_rate_is_titled_with_4_significant_digits(tmp_path):
    """A random sweep samples lr = 0.0013598500...: the title said all 17 digits."""
    from nnctl.pictures import title

    run = load_run(tiny(tmp_path, optimizer={"lr": 0.0013598512345678}))
    assert " lr 0.00136 · " in title(run) and "0.0013598" not in title(run)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ({"status": "completed", "epochs": 100}, "epoch 100"),
        ({"status": "early_stopped", "epochs": 60, "best_epoch": 55}, "epoch 55 (best; early stopped at 60)"),
        ({"status": "diverged", "epochs": 7, "diverged_at": {"epoch": 8, "batch": 3}}, "epoch 7 (diverged in epoch 8)"),
        ({"status": "interrupted", "epochs": 12, "interrupted_at": {"epoch": 13, "batch": 5}},
         "epoch 12 + 5 batches (interrupted)"),
        ({"status": "interrupted", "epochs": 12, "interrupted_at": {"epoch": 13, "batch": 0}},
         "epoch 12 (interrupted)"),
        ({}, "epoch 3"),  # a run without summary.json: the last row of metrics.csv
    ],
)
def test_weights_drawn_says_which_epoch_model_npz_holds(summary, expected):
    from nnctl.pictures import weights_drawn
    from nnctl.runs import Run

    metrics = [{"epoch": e} for e in range(4)]
    assert weights_drawn(Run(Path("."), None, metrics, summary, None, None)) == expected


def standardised_csv_run(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A run on a CSV of two columns around 4 … 7.5 and 2 … 4.5 cm, standardised; returns the
    run directory and the table's X (n, 2)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(4.0, 7.5, 60), rng.uniform(2.0, 4.5, 60)])
    label = np.where(X[:, 0] + X[:, 1] > 9.0, "large", "small")
    lines = ["sepal_length,sepal_width,size"] + [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(X, label, strict=True)]
    (tmp_path / "flowers.csv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    train(load_config({"data": {"name": "csv", "path": str(tmp_path / "flowers.csv"), "target": "size",
                                "standardize": True},
                       "model": {"hidden": [4]}, "train": {"epochs": 3}, "output": {"plots": []}}), run)
    return run, np.round(X, 3)


def test_standardised_runs_are_drawn_in_the_datas_own_units(tmp_path):
    from nnctl.pictures import plot_data
    from nnctl.plots.model import _boundary_figure

    path, X = standardised_csv_run(tmp_path)
    run = load_run(path)
    data = plot_data(run)
    drawn_X = np.vstack([data.X_train, data.X_val])
    np.testing.assert_allclose(np.sort(drawn_X, axis=0), np.sort(X, axis=0), atol=1e-9)  # the table's values
    # the predictions at those points are the model's on the standardised inputs it trained on
    d = run.dataset
    np.testing.assert_allclose(predict_scores(run)(data.X_train), run.model.output(d.X_train), rtol=1e-9)
    ax = _boundary_figure(predict_scores(run), data, title="t", resolution=10).axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert 3.0 < x0 < 4.0 and 7.5 < x1 < 8.5 and 1.4 < y0 < 2.0 and 4.5 < y1 < 5.1  # was −2 … 2
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("sepal_length", "sepal_width")
    legend = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert legend[:2] == ["large", "small"]


def test_pictures_can_be_pdf_for_slides_and_the_inventory_knows_them(tmp_path):
    from nnctl.runs import RUN_FILES, claim_run_dir

    run = tiny(tmp_path)
    written = plot_run(run, ["loss", "boundary", "neurons"], fmt="pdf", dpi=40)
    assert [p.name for p in written] == ["loss.pdf", "boundary.pdf", "neurons.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in written)
    from nnctl.plots import PICTURE_NAMES

    assert {f"{name}.pdf" for name in PICTURE_NAMES if name != "animation"} <= RUN_FILES
    claim_run_dir(run, overwrite=True)  # --overwrite replaces a run holding pdf pictures
    assert list(run.iterdir()) == []


def drawn_neurons(run, path: Path, monkeypatch) -> list:
    """neurons.png's rows as drawn: per row (its label, [(panel title, image array, colour map name)])."""
    import nnctl.plots.model
    from nnctl.pictures import PICTURES

    figures = []
    monkeypatch.setattr(nnctl.plots.model, "save", lambda fig, path, dpi: figures.append(fig) or path)
    PICTURES["neurons"].draw(run, path, dpi=40)
    [fig] = figures
    return [(sub._suptitle.get_text(), [(ax.get_title(), np.asarray(ax.images[0].get_array()),
                                                                     ax.images[0].get_cmap().name)
                                        for ax in sub.axes if ax.images]) for sub in fig.subfigs]


def test_neurons_png_draws_the_computed_inputs_first_over_the_raw_plane(tmp_path, monkeypatch):
    """With data.features the first row is each input as the network takes it (x0^2 and x0*x1
    of the raw plane's grid, standardised with the training data's mean and std), titled by its
    name, on the hidden units' signed scale; then the hidden layer and the output as before."""
    from nnctl.plots.common import DIVERGING_CMAP, all_X, grid_points, plane_grid

    run = load_run(tiny(tmp_path, data={"features": ["x0^2", "x0*x1"], "standardize": True}))
    rows = drawn_neurons(run, tmp_path / "neurons.png", monkeypatch)
    (label, inputs), (hidden_label, hidden), (output_label, _) = rows
    assert label.startswith("inputs (data.features") and hidden_label.startswith("hidden 1 (tanh)")
    assert output_label.startswith("output (softmax)")
    assert [name for name, _, _ in inputs] == ["x0^2", "x0*x1"] and len(hidden) == 4
    assert {cmap for _, _, cmap in inputs} == {DIVERGING_CMAP}
    d = run.dataset
    xx, yy, _ = plane_grid(all_X(plot_data(run)), 80)  # the raw x0-x1 plane, 80 cells a side
    x0, x1 = grid_points(xx, yy).T
    F = (np.column_stack([x0**2, x0 * x1]) - d.mean) / d.std
    for j, (_, image, _) in enumerate(inputs):
        np.testing.assert_allclose(image, F[:, j].reshape(80, 80), rtol=1e-6, atol=1e-6)
    assert F.min() < 0 < F.max()


def test_neurons_png_without_features_has_no_inputs_row(tmp_path, monkeypatch):
    run = load_run(tiny(tmp_path))
    rows = drawn_neurons(run, tmp_path / "neurons.png", monkeypatch)
    assert [label.split(" · ")[0] for label, _ in rows] == ["hidden 1 (tanh)", "output (softmax)"]
    assert [title for title, _, _ in rows[0][1]] == ["unit 1", "unit 2", "unit 3", "unit 4"]


def test_titles_name_dropout_and_l1_which_shape_the_weights_drawn(tmp_path):
    from nnctl.pictures import title

    run = load_run(tiny(tmp_path, model={"hidden": [4, 3], "dropout": [0.5, 0.25]},
                        loss={"name": "cross-entropy", "l1": 0.01, "l1_clip": True}))
    assert title(run, weights=False) == "run · 2-4-3-2 tanh · adam lr 0.05 · dropout 0.5/0.25 · L1 0.01 (clip)"
    plain = load_run(tiny(tmp_path / "plain"))
    assert title(plain, weights=False) == "run · 2-4-2 tanh · adam lr 0.05"


def test_an_lbfgs_run_counts_iterations_not_epochs(tmp_path, monkeypatch):
    """A row of an lbfgs run's metrics.csv is one iteration: its titles and loss.png's axis say so."""
    from nnctl import plots
    from nnctl.pictures import PICTURES, weights_drawn
    from nnctl.plots import curves  # a submodule: not an attribute of plots until imported

    train(load_config({"data": {"name": "moons", "n_samples": 120}, "model": {"hidden": [4]},
                       "optimizer": {"name": "lbfgs"}, "train": {"epochs": 5, "batch_size": "full"},
                       "output": {"plots": []}}), tmp_path / "run")
    run = load_run(tmp_path / "run")
    assert weights_drawn(run) == f"iteration {run.summary['epochs']}"
    figure = curves._loss_figure(run.metrics, title="t", best_epoch=2, step="iteration")
    assert {ax.get_xlabel() for ax in figure.axes} == {"iteration"}
    assert "best (iteration 2)" in figure.axes[0].get_legend_handles_labels()[1]
    seen = {}
    monkeypatch.setattr(plots, "plot_loss", lambda metrics, path, **kw: seen.update(kw))
    PICTURES["loss"].draw(run, tmp_path / "loss.png", dpi=40)
    assert seen["step"] == "iteration"


def test_pictures_predict_in_chunks_so_a_network_keeps_no_buffer_of_a_whole_grid(tmp_path):
    """boundaries.png holds every run's network at once: a 200 x 200 grid predicted in one call
    left ~4 MB of buffers in each (a 300-run sweep's parent grew to 1.3 GB); issue 18."""
    from nnctl.nn.layers import CACHED_ROWS
    from nnctl.pictures import model_inputs

    path = tiny(tmp_path)
    X = np.random.default_rng(0).normal(size=(5000, 2))
    whole = load_run(path)
    expected = whole.model.loss.scores(whole.model.logits(model_inputs(whole, X)))
    run = load_run(path)
    np.testing.assert_allclose(predict_scores(run)(X), expected, rtol=1e-12, atol=1e-15)
    assert max(max(layer.buffers) for layer in run.model.network.dense) <= CACHED_ROWS


@pytest.mark.parametrize("name, overrides", [
    ("moons", []),  # standardised inputs, two classes: loss, boundary, network
    ("circles-features", []),  # data.features: the plane of the raw columns
    ("blobs", ["dtype=float32"]),  # three classes, a float32 network
    ("noisy-linear", []),  # a regression: fit.png
    ("csv", []),  # a CSV table, its own class names
])
def test_the_pictures_a_run_draws_from_memory_are_those_nnctl_plot_draws_from_its_files(tmp_path, name, overrides):
    """`nnctl train` and a sweep's workers draw a run's pictures from the model and data still in
    memory (`workflow.trained_run`); a redraw reads them from the run directory. Every byte agrees."""
    from nnctl import workflow
    from nnctl.training import train as train_loop

    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "configs" / f"{name}.yaml", ["train.epochs=6", "output.plots=[]", *overrides])
    result = train_loop(config, tmp_path / "run")
    names = [n for n in applicable(result.dataset, result.config, tmp_path / "run")
             if n in ("loss", "boundary", "fit", "network")]  # the pictures runs draw by default
    drawn = workflow.draw_run(workflow.trained_run(result), names, dpi=40)
    kept = {p.name: p.read_bytes() for p in drawn}
    redrawn = plot_run(tmp_path / "run", names, dpi=40)
    assert [p.name for p in redrawn] == list(kept) and len(kept) >= 2
    assert {p.name: p.read_bytes() for p in redrawn} == kept


@pytest.mark.parametrize("model", [{"hidden": [16]}, {"hidden": [64, 64], "activation": "relu"},
                                   {"hidden": [32], "dropout": 0.3}])
def test_grid_scores_are_the_runs_own_scores_computed_in_float32(tmp_path, model):
    """The regions and boundary of boundary.png and the report's thumbnails come from a float32
    copy of the network (`grid_scores`, issue 18: a third the time of a 200 x 200 grid): within
    1e-5 of the float64 scores; the run's own network and a float32 run's scores untouched."""
    from nnctl.pictures import grid_scores

    run = load_run(tiny(tmp_path, model=model, optimizer={"lr": 0.2}))
    X = np.random.default_rng(0).uniform(-3, 3, size=(5000, 2))
    exact, fast = predict_scores(run)(X), grid_scores(run)(X)
    assert fast.dtype == np.float32 and exact.dtype == np.float64
    assert 0 < np.abs(fast - exact).max() < 2e-5  # 7e-6 for the relu net, whose logits reach ~100
    assert run.model.network.dense[0].W.dtype == np.float64
    single = load_run(tmp_path / "run", dtype=np.float32)
    assert np.array_equal(grid_scores(single)(X), predict_scores(single)(X))


def test_a_resumed_runs_pictures_read_its_folder_and_a_new_ones_its_memory(tmp_path):
    """`workflow.trained_run`: a run trained now is drawn from what is in memory; a resumed run's
    data were made again from its config (data.npz may describe them otherwise: the units of
    standardised columns), so its pictures read the run directory, as `nnctl plot` does."""
    from nnctl import workflow
    from nnctl.training import train as train_loop

    result = train_loop(load_config({"data": {"name": "moons", "n_samples": 80}, "model": {"hidden": [3]},
                                     "train": {"epochs": 2}, "output": {"plots": []}}), tmp_path / "run")
    fresh, resumed = workflow.trained_run(result), workflow.trained_run(result, resumed=True)
    assert fresh.dataset is result.dataset and fresh.model is result.model
    assert resumed.dataset is not result.dataset and resumed.model is not result.model
    assert np.array_equal(resumed.dataset.X_train, result.dataset.X_train)
    assert resumed.metrics == fresh.metrics and resumed.summary == fresh.summary
