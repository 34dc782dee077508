"""sweep.png and boundaries.png (nnctl/plots/sweep.py): seed means per setting, the x scale,
categories, runs without a value, and one boundary panel per run on a shared grid."""

import re

import numpy as np
import pytest
from plot_helpers import DPI, assert_real_picture, blobs, drawn, linear_classifier

from nnctl.plots import PlotData, plot_boundaries, plot_sweep, reading_order
from nnctl.plots.common import plane_grid
from nnctl.plots.sweep import _boundaries_figure, _boundary_columns, _sweep_figure
from nnctl.sweeps.names import setting_labels

# ---------------------------------------------------------------- sweep.png


def sweep_rows():
    """3 widths x 2 learning rates x 3 seeds; accuracy grows with width and lr; two runs have
    no value (one failed, one diverged)."""
    rows = []
    for h in (4, 16, 64):
        for lr in (0.001, 0.1):
            for seed in range(3):
                acc = 0.7 + 0.05 * np.log2(h) / 2 + (0.1 if lr == 0.1 else 0.0) + 0.01 * seed
                rows.append(
                    {
                        "model.hidden": [h],
                        "optimizer.lr": lr,
                        "seed": seed,
                        "status": "finished",
                        "final.val_accuracy": acc,
                    }
                )
    rows[0] |= {"status": "failed", "final.val_accuracy": None}  # h=4, lr=0.001, seed 0
    rows[-1] |= {"status": "diverged", "final.val_accuracy": float("nan")}  # h=64, lr=0.1, seed 2
    return rows


def line(ax, label):
    (found,) = [artist for artist in ax.lines if artist.get_label() == label]
    return found


def test_sweep_draws_one_panel_per_setting_with_seed_means_and_counts_missing_runs():
    rows = sweep_rows()
    fig = drawn(_sweep_figure(rows, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="s"))
    width_ax, lr_ax = fig.axes[:2]
    assert len([ax for ax in fig.axes if ax.get_xlabel()]) == 2
    assert width_ax.get_xlabel() == "model.hidden (width)" and lr_ax.get_xlabel() == "optimizer.lr"
    assert width_ax.get_ylabel() == "final.val_accuracy"  # as results.csv and nnctl runs spell it
    assert width_ax.yaxis.get_major_formatter()(0.9, 0).endswith("%")
    # one line per value of the other setting, each point the mean over the seeds that have a value
    for lr in (0.001, 0.1):
        drawn_line = line(width_ax, f"{lr:g}")
        expected = [
            np.mean(
                [
                    r["final.val_accuracy"]
                    for r in rows
                    if r["model.hidden"] == [h]
                    and r["optimizer.lr"] == lr
                    and r["final.val_accuracy"] is not None
                    and np.isfinite(r["final.val_accuracy"])
                ]
            )
            for h in (4, 16, 64)
        ]
        np.testing.assert_allclose(drawn_line.get_xdata(), [4, 16, 64])
        np.testing.assert_allclose(drawn_line.get_ydata(), expected)
    assert width_ax.get_legend().get_title().get_text() == "optimizer.lr"
    assert [t.get_text() for t in lr_ax.get_legend().get_texts()] == ["[4]", "[16]", "[64]"]
    caption = fig.get_supxlabel()
    assert "mean over 3 seeds" in caption and "2 runs without a value (1 failed, 1 diverged)" in caption


@pytest.mark.parametrize(
    ("values", "scale"),
    [((0.001, 0.01, 0.1), "log"), ((1, 2, 3, 4, 5, 20, 50), "log"), ((0.1, 0.2, 0.3), "linear"), ((2, 4, 6), "linear")],
)
def test_sweep_x_axis_is_logarithmic_for_values_spanning_decades(values, scale):
    rows = [
        {"optimizer.lr": v, "seed": 0, "status": "finished", "final.val_loss": 1.0 / (i + 1)}
        for i, v in enumerate(values)
    ]
    ax = drawn(_sweep_figure(rows, ["optimizer.lr"], metric="final.val_loss", title="s")).axes[0]
    assert ax.get_xscale() == scale
    # a tick at every value tried, written as the sweep wrote it
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{v:g}" for v in values]


def test_sweep_text_settings_are_categories_in_order_of_appearance():
    rows = [
        {"model.activation": act, "model.hidden": hidden, "seed": seed, "status": "finished", "final.val_loss": loss}
        for act, loss in (("tanh", 0.2), ("relu", 0.3))
        for hidden in ([4], [4, 4])
        for seed in (0, 1)
    ]
    fig = drawn(_sweep_figure(rows, ["model.activation", "model.hidden"], metric="final.val_loss", title="s"))
    act_ax, hidden_ax = fig.axes[:2]
    assert [t.get_text() for t in act_ax.get_xticklabels()] == ["tanh", "relu"]
    # [4] and [4, 4] are not both numbers: categories, with the values' text
    assert [t.get_text() for t in hidden_ax.get_xticklabels()] == ["[4]", "[4, 4]"]
    assert hidden_ax.get_xlabel() == "model.hidden" and act_ax.get_yscale() == "linear"
    assert "without a value" not in fig.get_supxlabel()


def test_plot_sweep_writes_a_real_png(tmp_path):
    path = plot_sweep(
        sweep_rows(),
        ["model.hidden", "optimizer.lr"],
        tmp_path / "sweep.png",
        metric="final.val_accuracy",
        title="s",
        dpi=DPI,
    )
    assert_real_picture(path)


def random_search_rows(n_samples=8):
    """2 listed widths x 8 learning rates drawn log-uniformly from [1e-4, 0.1], as a sweep's
    random: space draws them (17 significant digits); accuracy grows with lr and width."""
    lrs = np.exp(np.random.default_rng(3).uniform(np.log(1e-4), np.log(0.1), n_samples))
    rows = [
        {"model.hidden": [h], "optimizer.lr": float(lr), "seed": 0, "status": "completed",
         "final.val_accuracy": 0.6 + 0.1 * np.log10(lr / 1e-4) + 0.01 * h / 16}
        for h in (4, 16) for lr in lrs
    ]
    return rows, lrs


def visible_x_tick_labels(ax):
    low, high = sorted(ax.get_xlim())
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text() and low <= t.get_position()[0] <= high]


def test_random_search_is_one_point_per_run_with_ordinary_ticks_and_a_short_legend():
    """Sampled learning rates once got a tick each (0.000135985, 0.00103162, … on top of each
    other) and the width panel a legend entry per sampled value."""
    rows, lrs = random_search_rows()
    fig = drawn(_sweep_figure(rows, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="s"))
    hidden_ax, lr_ax = fig.axes[:2]
    labels = visible_x_tick_labels(lr_ax)
    assert 2 <= len(labels) <= 8 and not set(labels) & {f"{lr:g}" for lr in lrs}
    assert lr_ax.get_xscale() == "log" and lr_ax.get_xlabel() == "optimizer.lr (sampled)"
    # one point per run, at its own lr and accuracy
    points = np.vstack([c.get_offsets() for c in lr_ax.collections])
    expected = np.array([[r["optimizer.lr"], r["final.val_accuracy"]] for r in rows])
    np.testing.assert_allclose(points[np.lexsort(points.T[::-1])], expected[np.lexsort(expected.T[::-1])])
    # colours: the lr panel by width (a legend of the two widths), the width panel by lr (a colour bar)
    assert [t.get_text() for t in lr_ax.get_legend().get_texts()] == ["[4]", "[16]"]
    assert hidden_ax.get_legend() is None
    assert [ax.get_ylabel() for ax in fig.axes[2:]] == ["optimizer.lr (sampled)"]
    assert visible_x_tick_labels(hidden_ax) == ["4", "16"]
    assert "random search: one point per run" in fig.get_supxlabel()


def test_no_text_of_a_random_search_picture_has_more_than_4_significant_digits():
    rows, _ = random_search_rows(3)
    fig = drawn(_sweep_figure(rows, ["model.hidden", "optimizer.lr"], metric="final.val_accuracy", title="s"))
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))]
    numbers = [n for text in texts for n in re.findall(r"[0-9]+(?:\.[0-9]+)?", text)]
    assert numbers and max(len(n.replace(".", "").lstrip("0")) for n in numbers) <= 4


def test_boundary_titles_of_a_random_search_round_the_sampled_values():
    rows, _ = random_search_rows(2)
    labels = setting_labels(rows, ["model.hidden", "optimizer.lr", "seed"])  # as boundaries.png titles its panels
    assert labels[0] == f"hidden=[4] · lr={rows[0]['optimizer.lr']:.4g} · seed=0"
    assert len(set(labels)) == len(rows)


# ---------------------------------------------------------------- boundaries.png


def boundary_panels(n, n_val=10):
    """n runs on the same two blobs; run i is the linear classifier whose boundary turns by i."""
    data, _ = blobs(np.random.default_rng(0), 2, n_val)
    panels = []
    for i in range(n):
        angle = 0.4 * i
        W = np.array([[np.cos(angle), -np.cos(angle)], [np.sin(angle), -np.sin(angle)]])
        panels.append((f"hidden=[{i + 1}] · seed 0", linear_classifier(W, np.zeros(2)), data))
    return panels


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_boundaries_one_panel_per_run_showing_its_predictions_on_a_shared_grid():
    panels = boundary_panels(7)
    res = 11
    fig = _boundaries_figure(panels, title="b", score_label="P(class 1)", resolution=res, ncols=None)
    axes = image_axes(fig)
    assert len(axes) == 7
    xx, yy, extent = plane_grid(np.vstack([np.vstack([d.X_train, d.X_val]) for _, _, d in panels]), res)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    for ax, (_, predict, data) in zip(axes, panels, strict=True):
        np.testing.assert_allclose(ax.images[0].get_array(), predict(grid)[:, 1].reshape(res, res))
        np.testing.assert_allclose(ax.images[0].get_extent(), extent)
        assert (ax.get_xlim(), ax.get_ylim()) == (axes[0].get_xlim(), axes[0].get_ylim())  # panels compare
        accuracy = {s: np.mean(predict(X).argmax(axis=1) == y) for s, X, y in data.splits()}
        assert ax.get_title().endswith(
            f"train {100 * accuracy['train']:.1f}% · val {100 * accuracy['validation']:.1f}%"
        )
    # what every run shares goes to the figure's title; each panel names what differs
    assert axes[2].get_title().startswith("hidden=[3]\n") and "seed 0" in fig._suptitle.get_text()
    # one colour bar and one legend for the whole figure
    assert sum(ax.get_ylabel() == "P(class 1)" for ax in fig.axes) == 1 and len(fig.legends) == 1


def test_boundaries_shared_limits_cover_every_runs_data():
    near, far = boundary_panels(1)[0], boundary_panels(1)[0]
    shifted = type(far[2])(far[2].X_train + 10.0, far[2].y_train, far[2].X_val, far[2].y_val, "classification")
    fig = _boundaries_figure([near, ("far", far[1], shifted)], title="b", score_label="p", resolution=8, ncols=None)
    for ax in image_axes(fig):
        low, high = ax.get_xlim()
        assert low < near[2].X_train[:, 0].min() and high > shifted.X_train[:, 0].max()


@pytest.mark.parametrize(("n", "ncols"), [(1, 1), (3, 3), (4, 2), (7, 4), (10, 5), (30, 6), (50, 6)])
def test_boundary_columns_are_about_square_and_at_most_six(n, ncols):
    assert _boundary_columns(n) == ncols


def test_plot_boundaries_writes_a_real_png_for_many_runs_and_three_classes(tmp_path):
    # 7 runs: two rows of four with one empty cell, as 14 (three rows of five) would have, at half the panels
    path = plot_boundaries(boundary_panels(7), tmp_path / "b.png", title="b", dpi=DPI, resolution=16)
    assert_real_picture(path)
    data, predict = blobs(np.random.default_rng(1), 3, 10)
    path = plot_boundaries(
        [("a", predict, data), ("b", predict, data)], tmp_path / "c.png", title="c", dpi=DPI, resolution=16
    )
    assert_real_picture(path)


def test_a_random_search_reads_from_low_to_high_samples_and_a_grid_as_listed():
    rows, lrs = random_search_rows(4)
    order = reading_order(rows, ["model.hidden", "optimizer.lr"])
    assert [rows[i]["model.hidden"] for i in order] == [[4]] * 4 + [[16]] * 4
    assert [rows[i]["optimizer.lr"] for i in order] == sorted(lrs.tolist()) * 2
    grid = sweep_rows()
    assert reading_order(grid, ["model.hidden", "optimizer.lr"]) == list(range(len(grid)))


# ---------------------------------------------------------------- report.html's thumbnails


@pytest.mark.parametrize(
    ("case", "shows"),
    [("2-D classification", "decision boundary"), ("1-D regression", "fit"),
     ("3-D classification", "confusion matrix, validation (rows: true class; bright: most)"),
     ("3-D regression", "prediction against target, validation (line: perfect)")],
)
def test_model_thumbnail_is_drawn_at_its_width_and_says_what_it_shows(case, shows):
    import io

    from PIL import Image
    from plot_helpers import regression

    from nnctl.plots import model_thumbnail

    rng = np.random.default_rng(0)
    if case == "2-D classification":
        data, predict = blobs(rng, 2, 10)
    elif case.endswith("regression"):
        data, predict = regression(rng, int(case[0]))
    else:
        X = rng.normal(size=(60, 3))
        y = (X[:, 0] > 0).astype(int)
        data = PlotData(X[10:], y[10:], X[:10], y[:10], "classification")
        predict = linear_classifier(np.array([[-1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]), np.zeros(2))
    png, label = model_thumbnail(predict, data, width=200)
    image = Image.open(io.BytesIO(png))
    assert image.width == 200 and 100 <= image.height <= 240 and label == shows
    assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) >= 2  # drawn, not blank


# ---------------------------------------------------------------- issue 18: drawn as pixels, laid out by their sizes


def test_a_boundary_thumbnail_drawn_as_pixels_shows_regions_line_and_points_where_they_are():
    import io

    from PIL import Image

    from nnctl.plots import model_thumbnail
    from nnctl.plots.common import class_colors, region_colors, tint

    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    X = np.column_stack([np.where(y == 1, 2.0, -2.0), np.zeros(40)]) + 0.2 * rng.normal(size=(40, 2))
    data = PlotData(X, y, X[:0], y[:0], "classification")
    predict = linear_classifier(np.array([[-4.0, 4.0], [0.0, 0.0]]), np.zeros(2))  # x0 > 0: class 1, sure
    png, label = model_thumbnail(predict, data, width=200)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)
    height, width, _ = pixels.shape
    colors = class_colors(2)
    sure = 255 * region_colors(np.array([[1.0, 0.0], [0.0, 1.0]]), colors)  # each region far from the line
    np.testing.assert_allclose(pixels[3, 3], sure[0], atol=12)
    np.testing.assert_allclose(pixels[3, -4], sure[1], atol=12)
    # the boundary: a dark column where x0 = 0, the middle of the data's padded box
    middle = pixels[3 : height // 4, width // 2 - 3 : width // 2 + 4].min(axis=1)
    assert middle.max() < 80 and label == "decision boundary"
    # the points: class 0's colour around (-2, 0), left of the middle at mid height
    left = pixels[height // 2 - 4 : height // 2 + 4, : width // 2 - 10].reshape(-1, 3)
    assert np.min(np.abs(left - 255 * np.asarray(colors[0])).sum(axis=1)) < 40
    assert not np.allclose(left, tint(colors[0], 0.45) * 255, atol=12)  # points, not only region


def test_boundaries_panels_bar_and_legend_do_not_overlap():
    fig = drawn(_boundaries_figure(boundary_panels(7), title="b", score_label="p", resolution=8, ncols=None))
    renderer = fig.canvas.get_renderer()
    panels = image_axes(fig)
    boxes = [ax.get_tightbbox(renderer) for ax in panels]  # with titles and tick labels
    for i, a in enumerate(boxes):
        assert all(a.x1 <= b.x0 + 1 or b.x1 <= a.x0 + 1 or a.y1 <= b.y0 + 1 or b.y1 <= a.y0 + 1
                   for b in boxes[i + 1 :])
    bar = next(ax for ax in fig.axes if ax not in panels).get_tightbbox(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    assert bar.x0 >= max(b.x1 for b in boxes) and legend.y1 <= min(b.y0 for b in boxes)
    width, height = fig.get_size_inches() * fig.dpi
    assert 0 <= min(b.x0 for b in boxes) and bar.x1 <= width and legend.y0 >= 0
    assert fig._suptitle.get_window_extent(renderer).y0 >= max(b.y1 for b in boxes)
