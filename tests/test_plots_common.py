"""What every picture shares (nnctl/plots/common.py): class scores read as probabilities, the
log-axis rule and its ticks, the formats written, and that matplotlib loads only when drawing
and leaves no figure behind."""

import subprocess
import sys

import numpy as np
import pytest
from plot_helpers import DPI, blobs, loss_rows, softmax

from nnctl.plots import plot_boundary, plot_loss
from nnctl.plots.common import _decade_ticks, as_probabilities, use_log_scale

# ---------------------------------------------------------------- class scores


def test_as_probabilities_keeps_the_argmax_of_any_scores():
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, 4.0, 0.0]])
    P = as_probabilities(logits)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (P.argmax(axis=1) == logits.argmax(axis=1)).all()
    np.testing.assert_array_equal(as_probabilities(softmax(logits)), softmax(logits))
    # one sigmoid column is P(class 1); a hinge margin is squashed around 0
    np.testing.assert_allclose(as_probabilities(np.array([[0.2], [0.9]])), [[0.8, 0.2], [0.1, 0.9]])
    assert (as_probabilities(np.array([[-2.0], [3.0]])).argmax(axis=1) == [0, 1]).all()


# ---------------------------------------------------------------- the log axis


@pytest.mark.parametrize(
    ("values", "log"),
    [
        ([2.0, 0.5, 0.01], True),  # 2.3 decades
        ([0.7, 0.3, 0.1], False),  # under one decade
        ([1.0, 0.04], False),  # 1.4 decades: just under the threshold
        ([1.0, 0.0, 1e-4], False),  # a zero cannot sit on a log axis
        ([np.nan, 1.0, 1e-3, np.inf], True),  # non-finite values are ignored
        ([], False),
    ],
)
def test_log_scale_only_when_a_positive_loss_spans_decades(values, log):
    assert use_log_scale(np.array(values)) is log


def test_decade_ticks_are_round_powers_of_ten():
    ticks = _decade_ticks(0.7, 1e200)
    exponents = np.log10(ticks)
    assert len(ticks) <= 8 and ticks[0] <= 0.7 and ticks[-1] >= 1e200
    assert np.all(np.diff(exponents) == 50)
    assert np.isfinite(_decade_ticks(1e-300, 1.7e308)).all()
    np.testing.assert_allclose(_decade_ticks(1e-3, 2.0), [1e-3, 1e-2, 1e-1, 1.0, 10.0])


# ---------------------------------------------------------------- files


def test_svg_output(tmp_path):
    data, predict_scores = blobs(np.random.default_rng(0), 3, 10)
    path = plot_boundary(predict_scores, data, tmp_path / "b.svg", title="b", resolution=20)
    assert path.read_text().lstrip().startswith("<?xml") and "<svg" in path.read_text()


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown picture format"):
        plot_loss(loss_rows([1.0, 0.5]), tmp_path / "loss.jpg", title="t")


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys, nnctl.plots; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_in_a_loop_leaves_no_open_figures(tmp_path):
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    for i in range(3):
        plot_loss(loss_rows([1.0, 0.5, 0.2]), tmp_path / f"loss{i}.png", title="t", dpi=DPI)
    assert len(plt.get_fignums()) == before
