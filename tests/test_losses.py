"""Losses: values against hand computations on tiny batches, gradients against central
differences, stability at huge logits, and the target conventions."""

import math

import numpy as np
import pytest
from helpers import away_from_hinge_kink, make_targets

from nnctl.gradcheck import numerical_grad, rel_error
from nnctl.nn.activations import ACTIVATIONS, Softmax
from nnctl.nn.layers import ActivationLayer
from nnctl.nn.losses import LOSSES

LN2, LN3 = math.log(2.0), math.log(3.0)


def test_cross_entropy_value_and_grad_by_hand():
    # sample 0: p = (1/2, 1/2), true 1 -> ln 2;  sample 1: p = (3/4, 1/4), true 0 -> ln(4/3)
    Z, T = np.array([[0.0, 0.0], [LN3, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])  # classes 1, 0
    ce = LOSSES["cross-entropy"]
    assert ce.value(Z, T) == pytest.approx((LN2 + math.log(4.0 / 3.0)) / 2, rel=1e-15)
    # (P − Y) / n with n = 2
    expected = np.array([[0.5, 0.5 - 1.0], [0.75 - 1.0, 0.25]]) / 2
    assert np.allclose(ce.grad(Z, T), expected, rtol=1e-15, atol=1e-16)


def test_binary_cross_entropy_value_and_grad_by_hand():
    # σ(0) = 1/2 with t = 1 -> ln 2;  σ(ln 3) = 3/4 with t = 0 -> −ln(1/4) = ln 4
    Z, T = np.array([[0.0], [LN3]]), np.array([[1.0], [0.0]])
    bce = LOSSES["binary-cross-entropy"]
    assert bce.value(Z, T) == pytest.approx((LN2 + math.log(4.0)) / 2, rel=1e-15)
    assert np.allclose(bce.grad(Z, T), [[(0.5 - 1.0) / 2], [(0.75 - 0.0) / 2]], rtol=1e-15, atol=0)


def test_binary_cross_entropy_averages_over_every_element():
    # two columns: the mean runs over n·w = 4 terms, and the gradient carries 1/4
    Z, T = np.array([[0.0, LN3], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    bce = LOSSES["binary-cross-entropy"]
    assert bce.value(Z, T) == pytest.approx((LN2 + math.log(4.0) + LN2 + LN2) / 4, rel=1e-15)
    assert np.allclose(bce.grad(Z, T), [[-0.5 / 4, 0.75 / 4], [0.5 / 4, -0.5 / 4]], rtol=1e-15, atol=0)


def test_mse_value_and_grad_by_hand():
    # errors 1, 0, −1, −2 -> squares 1, 0, 1, 4 -> mean over all 4 elements = 6/4
    Yhat, T = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([[0.0, 2.0], [1.0, 1.0]])
    mse = LOSSES["mse"]
    assert mse.value(Yhat, T) == 1.5
    assert np.array_equal(mse.grad(Yhat, T), [[2 * 1.0 / 4, 0.0], [2 * -1.0 / 4, 2 * -2.0 / 4]])


def test_hinge_value_and_grad_by_hand():
    # margins t·ŷ = 2, −0.5, −1 -> losses 0, 1.5, 2 -> mean 3.5/3; gradient −t/n where margin < 1
    Yhat, T = np.array([[2.0], [0.5], [-1.0]]), np.array([[1.0], [-1.0], [1.0]])
    hinge = LOSSES["hinge"]
    assert hinge.value(Yhat, T) == pytest.approx(3.5 / 3, rel=1e-15)
    assert np.allclose(hinge.grad(Yhat, T), [[0.0], [1.0 / 3], [-1.0 / 3]], rtol=1e-15, atol=0)


def fits(name: str, k: int) -> bool:
    """Whether loss `name` takes k classes (or, for widths, k output columns)."""
    return LOSSES[name].max_classes is None or k <= LOSSES[name].max_classes


@pytest.mark.parametrize(("name", "width"), [(n, w) for n in sorted(LOSSES) for w in (1, 3) if fits(n, w)])
def test_grad_matches_central_differences(name, width, rng):
    loss = LOSSES[name]
    n = 5
    out = rng.normal(scale=2.0, size=(n, width))
    T = make_targets(name, n, width, rng)
    if name == "hinge":
        out = away_from_hinge_kink(out, T)
    numeric = numerical_grad(lambda: loss.value(out, T), out)
    assert rel_error(loss.grad(out, T), numeric) < 1e-7


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_and_grad_leave_their_inputs_alone(name, rng):
    loss = LOSSES[name]
    out = rng.normal(size=(4, 1 if loss.max_classes == 2 else 3))
    T = make_targets(name, 4, out.shape[1], rng)
    out0, T0 = out.copy(), T.copy()
    loss.value(out, T)
    loss.grad(out, T)
    assert np.array_equal(out, out0) and np.array_equal(T, T0)


def test_cross_entropy_is_exact_for_logits_of_1e4():
    # sample 0 is certain and right (loss 0); sample 1 is certain and wrong by 1e4 (loss 1e4)
    Z, T = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]]), np.eye(3)[[0, 0]]
    ce = LOSSES["cross-entropy"]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value, grad = ce.value(Z, T), ce.grad(Z, T)
    assert value == 5000.0
    assert np.array_equal(grad, [[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]])


def test_two_class_cross_entropy_is_exact_for_logits_of_1e4():
    # two classes take the row max another way (columns swapped); right and certain: 0, wrong: 2e4
    Z, T = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]]), np.eye(2)[[0, 0, 1]]
    ce = LOSSES["cross-entropy"]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value, grad = ce.value(Z, T), ce.grad(Z, T)
    assert value == pytest.approx((0.0 + 2e4 + math.log(2.0)) / 3, rel=1e-15)
    assert np.array_equal(grad, np.array([[0.0, 0.0], [-1.0, 1.0], [0.5, -0.5]]) / 3)


def test_binary_cross_entropy_is_exact_for_logits_of_1e4():
    # right and certain: 0, 0; wrong and certain: 1e4, 1e4
    Z, T = np.array([[1e4], [-1e4], [1e4], [-1e4]]), np.array([[1.0], [0.0], [0.0], [1.0]])
    bce = LOSSES["binary-cross-entropy"]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value, grad = bce.value(Z, T), bce.grad(Z, T)
    assert value == 5000.0
    assert np.array_equal(grad, [[0.0], [0.0], [0.25], [-0.25]])


def test_fused_cross_entropy_grad_is_softmax_minus_one_hot_over_n(rng):
    n, k = 6, 4
    Z, T = rng.normal(size=(n, k)), np.eye(k)[rng.integers(0, k, size=n)]
    expected = (Softmax.fn(Z) - T) / n
    assert np.allclose(LOSSES["cross-entropy"].grad(Z, T), expected, rtol=1e-14, atol=1e-17)


def test_fused_cross_entropy_grad_equals_the_unfused_chain(rng):
    # −log p[T] averaged, backpropagated through a softmax layer, gives the fused (P − Y)/n
    n, k = 5, 3
    Z, labels = rng.normal(size=(n, k)), rng.integers(0, k, size=n)
    layer = ActivationLayer("softmax", Softmax())
    P = layer.forward(Z)
    dP = np.zeros_like(P)
    dP[np.arange(n), labels] = -1.0 / (n * P[np.arange(n), labels])
    grad = LOSSES["cross-entropy"].grad(Z, np.eye(k)[labels])
    assert np.allclose(layer.backward(dP), grad, rtol=1e-12, atol=1e-16)


def test_fused_bce_grad_equals_the_unfused_chain(rng):
    Z, T = rng.normal(size=(5, 1)), rng.integers(0, 2, size=(5, 1)).astype(float)
    sigmoid = ACTIVATIONS["sigmoid"]
    P = sigmoid.fn(Z)
    dP = -(T / P - (1 - T) / (1 - P)) / Z.size
    assert np.allclose(sigmoid.backward(Z, P, dP), LOSSES["binary-cross-entropy"].grad(Z, T), rtol=1e-12, atol=0)


# ---- target conventions: width, encode, decode, scores ----


def test_cross_entropy_takes_one_hot_rows_and_one_logit_per_class():
    ce = LOSSES["cross-entropy"]
    assert (ce.width(2), ce.width(3)) == (2, 3)
    T = ce.encode(np.array([2, 0, 1]), 3, np.float32)
    assert T.dtype == np.float32 and np.array_equal(T, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert np.array_equal(ce.decode(np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]])), [1, 0])


def test_binary_cross_entropy_one_column_for_two_classes_one_hot_for_more():
    bce = LOSSES["binary-cross-entropy"]
    assert (bce.width(2), bce.width(3)) == (1, 3)
    assert np.array_equal(bce.encode(np.array([0, 1, 1]), 2, np.float64), [[0.0], [1.0], [1.0]])
    assert np.array_equal(bce.encode(np.array([2, 0]), 3, np.float64), [[0, 0, 1], [1, 0, 0]])
    # decode reads logits: σ(z) > 1/2 ⇔ z > 0
    assert np.array_equal(bce.decode(np.array([[-0.1], [0.1]])), [0, 1])


def test_mse_one_column_for_two_classes_one_hot_for_three():
    mse = LOSSES["mse"]
    assert (mse.width(2), mse.width(3)) == (1, 3)
    T2 = mse.encode(np.array([0, 1, 0]), 2, np.float32)
    assert T2.dtype == np.float32 and np.array_equal(T2, [[0.0], [1.0], [0.0]])
    assert np.array_equal(mse.encode(np.array([1, 2, 0]), 3, np.float64), np.eye(3)[[1, 2, 0]])
    assert np.array_equal(mse.decode(np.array([[0.4], [0.6]])), [0, 1])
    assert np.array_equal(mse.decode(np.array([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]])), [1, 0])


def test_hinge_maps_the_first_class_to_minus_one():
    hinge = LOSSES["hinge"]
    assert hinge.width(2) == 1 and hinge.max_classes == 2
    assert np.array_equal(hinge.encode(np.array([0, 1, 1, 0]), 2, np.float64), [[-1.0], [1.0], [1.0], [-1.0]])
    assert np.array_equal(hinge.decode(np.array([[-0.3], [0.2]])), [0, 1])


@pytest.mark.parametrize(("name", "k"), [(n, k) for n in sorted(LOSSES) for k in (2, 3) if fits(n, k)])
def test_encode_then_decode_round_trips_and_scores_agree(name, k, rng):
    loss = LOSSES[name]
    labels = rng.integers(0, k, size=20)
    T = loss.encode(labels, k, np.float64)
    # a confident output for the encoded targets: logits ±5 (fused) or the targets themselves
    if name in ("cross-entropy", "binary-cross-entropy"):
        out = 10.0 * T - 5.0
    else:
        out = T.astype(np.float64)
    assert out.shape == (20, loss.width(k))
    assert np.array_equal(loss.decode(out), labels)
    scores = loss.scores(rng.normal(scale=3.0, size=out.shape))
    assert scores.shape == (20, k) and np.all((scores >= 0) & (scores <= 1))
    # scores clip linear outputs to [0, 1] (mse) or [−1, 1] (hinge), which can tie, so compare
    # the argmax with decode inside that range; logits of fused losses are never clipped
    low = {"mse": 0.01, "hinge": -0.99}.get(name)
    noisy = rng.normal(scale=3.0, size=out.shape) if low is None else rng.uniform(low, 0.99, size=out.shape)
    assert np.array_equal(loss.scores(noisy).argmax(axis=1), loss.decode(noisy))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_keeps_its_digits_when_logits_share_a_large_offset(dtype, rng):
    # softmax ignores a common offset; with logits near 1000 a sum of log-sum-exps minus a sum
    # of true logits would cancel three digits of the loss (≈ 0.7 per row), so it must not be
    # computed that way
    n, k = 500, 3
    labels = rng.integers(0, k, size=n)
    Z = (rng.normal(size=(n, k)) + 1000.0).astype(dtype)
    rows = zip(Z.astype(np.float64), labels, strict=True)
    exact = math.fsum(float(np.logaddexp.reduce(z) - z[t]) for z, t in rows) / n
    value = LOSSES["cross-entropy"].value(Z, np.eye(k, dtype=dtype)[labels])
    assert value == pytest.approx(exact, rel=20 * float(np.finfo(dtype).eps))
