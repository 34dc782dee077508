"""loss.png and norms.png (nnctl/plots/curves.py): the curves drawn, the scale choices, a
diverged run, the learning-rate panel, and that each picture is a real image."""

import numpy as np
from plot_helpers import DPI, assert_real_picture, drawn, loss_rows, visible_tick_labels

from nnctl.plots import plot_loss, plot_norms
from nnctl.plots.curves import _loss_figure, _norms_figure

# ---------------------------------------------------------------- loss


def test_loss_figure_scale_follows_the_span_of_the_loss():
    falling = _loss_figure(loss_rows(np.geomspace(1.0, 1e-3, 50)), title="t", best_epoch=None)
    flat = _loss_figure(loss_rows(np.linspace(0.5, 0.3, 50)), title="t", best_epoch=None)
    assert falling.axes[0].get_yscale() == "log"
    assert flat.axes[0].get_yscale() == "linear"


def test_loss_figure_draws_curves_accuracy_panel_and_best_epoch():
    fig = _loss_figure(loss_rows(np.linspace(1, 0.5, 20), with_accuracy=True), title="t", best_epoch=7)
    loss_ax, accuracy_ax = fig.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel(), accuracy_ax.get_ylabel()) == ("epoch", "loss", "accuracy")
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels == ["train", "validation", "best (epoch 7)"]
    best = loss_ax.get_lines()[-1]
    assert list(best.get_xdata()) == [7, 7] and best.get_linestyle() == ":"  # "--" is validation's
    # val_accuracy is all missing: accuracy panel shows train and the best line only
    assert [line.get_label() for line in accuracy_ax.get_lines()] == ["train", "best (epoch 7)"]


def test_loss_without_accuracy_has_one_panel_and_no_best_line():
    fig = _loss_figure(loss_rows(np.linspace(1, 0.5, 5)), title="t", best_epoch=None)
    assert len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train", "validation"]


def test_diverged_loss_drops_non_finite_values_and_keeps_labelled_ticks():
    """A run that blew up: the loss climbs to 1e200, then inf and NaN are recorded."""
    train = list(np.geomspace(0.7, 1e200, 40)) + [np.inf, np.nan]
    rows = [{"epoch": e, "train_loss": v, "val_loss": v} for e, v in enumerate(train)]
    ax = drawn(_loss_figure(rows, title="t", best_epoch=3)).axes[0]
    assert ax.get_yscale() == "log"
    labels = visible_tick_labels(ax)
    assert len(labels) >= 3, labels  # LogLocator with subs (1, 2, 5) gave none over 200 decades
    for line in ax.get_lines()[:2]:  # train, validation: inf is not drawn (NaN: a gap)
        assert not np.isinf(line.get_ydata()).any()
    assert np.isfinite(ax.get_ylim()).all() and ax.get_ylim()[1] < 1e230
    assert "loss inf/NaN from epoch 40" in [line.get_label() for line in ax.get_lines()]


def test_missing_loss_is_a_gap_not_a_divergence():
    rows = loss_rows([1.0, 0.5, 0.2])
    rows[1]["val_loss"] = None
    labels = [line.get_label() for line in _loss_figure(rows, title="t", best_epoch=None).axes[0].get_lines()]
    assert labels == ["train", "validation"]


def test_huge_linear_loss_keeps_labelled_ticks():
    """A zero keeps the axis linear; 1e200 must still give readable ticks."""
    ax = drawn(_loss_figure(loss_rows([0.0, 1.0, 1e200]), title="t", best_epoch=None)).axes[0]
    assert ax.get_yscale() == "linear" and len(visible_tick_labels(ax)) >= 3


def test_plot_loss_writes_a_real_png(tmp_path):
    rows = loss_rows(np.geomspace(1.0, 1e-2, 30), with_accuracy=True)
    path = plot_loss(rows, tmp_path / "loss.png", title="loss", best_epoch=12, dpi=DPI)
    assert path == tmp_path / "loss.png"
    assert_real_picture(path)


def test_loss_plot_shows_the_learning_rate_only_when_a_schedule_changes_it():
    rows = [
        {"epoch": e, "train_loss": 1.0 / (e + 1), "lr": None if e == 0 else 0.1 * 0.5 ** ((e - 1) // 3)}
        for e in range(10)
    ]
    fig = _loss_figure(rows, title="t", best_epoch=None)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "learning rate"]
    x, y = fig.axes[1].lines[0].get_data()
    assert list(y[1:4]) == [0.1, 0.1, 0.1] and y[4] == 0.05
    constant = [{**row, "lr": 0.1 if row["epoch"] else None} for row in rows]
    assert [ax.get_ylabel() for ax in _loss_figure(constant, title="t", best_epoch=None).axes] == ["loss"]


# ---------------------------------------------------------------- norms


def norm_rows(n_epochs=20):
    rows = [{"epoch": 0, "W0": 2.0, "W1": 1.0, "dW0": None, "dW1": float("nan")}]
    for e in range(1, n_epochs + 1):
        # weights grow a little (under one decade), gradients fall three decades
        rows.append(
            {
                "epoch": e,
                "W0": 2.0 + 0.1 * e,
                "W1": 1.0 + 0.05 * e,
                "dW0": 10.0 ** (-3 * e / n_epochs),
                "dW1": 0.5 * 10.0 ** (-3 * e / n_epochs),
            }
        )
    return rows


def test_norms_legend_colours_and_log_rule():
    fig = _norms_figure(norm_rows(), title="t")
    ax_w, ax_g = fig.axes
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["layer 0 (W0)", "layer 1 (W1)"]
    assert ax_w.get_yscale() == "linear" and ax_g.get_yscale() == "log"  # the rule of the loss picture
    from matplotlib.colors import to_hex

    colours = [[to_hex(line.get_color()) for line in ax.get_lines()] for ax in (ax_w, ax_g)]
    assert colours[0] == colours[1] and len(set(colours[0])) == 2  # one colour per layer, the same in both panels
    np.testing.assert_allclose(ax_w.get_lines()[1].get_ydata(), [r["W1"] for r in norm_rows()])
    gradient = ax_g.get_lines()[0].get_ydata()
    assert np.isnan(gradient[0]) and np.isfinite(gradient[1:]).all()  # epoch 0 has no gradient
    assert ax_w.get_xlabel() == ax_g.get_xlabel() == "epoch" and "‖dW‖" in ax_g.get_ylabel()


def test_plot_norms_writes_a_real_png(tmp_path):
    assert_real_picture(plot_norms(norm_rows(), tmp_path / "norms.png", title="t", dpi=DPI))


# ---------------------------------------------------------------- a diverged run, the splits' styles


def test_a_run_that_diverged_in_epoch_1_shows_the_rise_and_says_diverged():
    """`--set optimizer.lr=10`: epoch 1's loss passed the limit, so metrics.csv holds epoch 0
    alone; the picture drew one point on one tick. Now: the rise to the loss that stopped it."""
    rows = [{"epoch": 0, "train_loss": 0.31, "val_loss": 0.3}]
    diverged = {"epoch": 1, "batch": 25, "train_loss": 4.2e37, "limit": 3.1e3}
    ax = drawn(_loss_figure(rows, title="t", best_epoch=None, diverged=diverged)).axes[0]
    assert ax.get_yscale() == "log"  # 0.31 … 4e37 spans decades
    (rise,) = [line for line in ax.get_lines() if line.get_label().startswith("epoch 1: training loss")]
    np.testing.assert_allclose(rise.get_xdata(), [0, 1])
    np.testing.assert_allclose(rise.get_ydata(), [0.31, 4.2e37])
    assert rise.get_label() == "epoch 1: training loss 4.2e+37 > limit 3.1e+03"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "diverged in epoch 1: the loss grew past the limit" in labels
    low, high = ax.get_xlim()
    assert low < 0 and high > 1
    assert [t.get_text() for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high] == ["0", "1"]
    assert len(visible_tick_labels(ax)) >= 3


def test_a_run_stopped_by_a_loss_that_was_not_finite_says_where():
    rows = loss_rows([0.7, 0.5, 0.6])
    ax = _loss_figure(rows, title="t", best_epoch=None, diverged={"epoch": 3, "batch": 5}).axes[0]
    (mark,) = [line for line in ax.get_lines() if line.get_label().startswith("diverged")]
    assert mark.get_label() == "diverged in epoch 3: a loss or gradient not finite in batch 5"
    assert list(mark.get_xdata()) == [3, 3] and ax.get_xlim()[1] > 3


def test_drawing_a_diverged_loss_warns_nothing(tmp_path):
    """A loss near float64's end must not send numpy's RuntimeWarning to stderr (--json)."""
    import warnings

    rows = [{"epoch": e, "train_loss": v, "val_loss": v} for e, v in enumerate(np.geomspace(0.5, 1e300, 30))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = plot_loss(rows, tmp_path / "loss.png", title="t", diverged={"epoch": 30, "train_loss": 1.7e308}, dpi=DPI)
    assert_real_picture(path)


def test_train_and_validation_differ_by_line_style_not_by_a_class_colour():
    from matplotlib.colors import to_hex

    from nnctl.plots.common import class_colors

    ax = _loss_figure(loss_rows(np.linspace(1, 0.5, 50)), title="t", best_epoch=None).axes[0]
    train, validation = ax.get_lines()[:2]
    assert (train.get_linestyle(), validation.get_linestyle()) == ("-", "--")
    hues = {to_hex(c) for c in class_colors(10)}
    assert to_hex(train.get_color()) not in hues and to_hex(validation.get_color()) not in hues


def test_norms_legend_says_which_layer_each_weight_matrix_feeds():
    """neurons.png and hidden.png say "hidden 1"; norms.png said "layer 0 (W0)" for the same layer."""
    fig = _norms_figure(norm_rows(), title="t", layer_names=["hidden 1 (tanh)", "output (softmax)"])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["W0: into hidden 1 (tanh)", "W1: into output (softmax)"]
