"""Activations: every registry entry's backward against central differences, and values at
points where the answer is known exactly."""

import math

import numpy as np
import pytest
from helpers import away_from_kinks

from nnctl.gradcheck import numerical_grad, rel_error
from nnctl.nn.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_RELU_SLOPE, OUTPUT_ACTIVATIONS
from nnctl.nn.initializers import INITIALIZERS
from nnctl.nn.layers import ActivationLayer

ALL = [(f"hidden-{name}", name, f) for name, f in sorted(ACTIVATIONS.items())] + [
    (f"output-{name}", name, f) for name, f in sorted(OUTPUT_ACTIVATIONS.items())
]
ALL_PARAMS = [pytest.param(name, f, id=id_) for id_, name, f in ALL]


def layer_for(name: str) -> ActivationLayer:
    return ActivationLayer(name, {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}[name])


@pytest.mark.parametrize(("name", "f"), ALL_PARAMS)
def test_backward_matches_central_differences(name, f, rng):
    z = away_from_kinks(rng.normal(scale=2.0, size=(7, 5)))
    dA = rng.normal(size=z.shape)
    layer = ActivationLayer(name, f)
    layer.forward(z)
    analytic = layer.backward(dA)
    numeric = numerical_grad(lambda: np.sum(layer.forward(z) * dA), z)
    assert analytic.shape == z.shape
    assert rel_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize(("name", "f"), ALL_PARAMS)
def test_backward_leaves_its_incoming_gradient_alone(name, f, rng):
    z = rng.normal(size=(4, 3))
    dA = rng.normal(size=z.shape)
    before = dA.copy()
    layer = ActivationLayer(name, f)
    layer.forward(z)
    layer.backward(dA)
    assert np.array_equal(dA, before)


@pytest.mark.parametrize(("name", "f"), ALL_PARAMS)
def test_float32_stays_float32(name, f, rng):
    z = rng.normal(size=(4, 3)).astype(np.float32)
    layer = ActivationLayer(name, f)
    assert layer.forward(z).dtype == np.float32
    assert layer.backward(np.ones_like(z)).dtype == np.float32


@pytest.mark.parametrize(("name", "f"), ALL_PARAMS)
def test_extreme_inputs_give_finite_values_without_warnings(name, f):
    z = np.array([[-1e4, -1000.0, 0.0, 1000.0, 1e4]])
    layer = ActivationLayer(name, f)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        a = layer.forward(z)
        d = layer.backward(np.ones_like(z))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_names_a_known_initializer(name):
    assert ACTIVATIONS[name].init in INITIALIZERS


def test_sigmoid_values():
    sigmoid = ACTIVATIONS["sigmoid"].fn
    assert sigmoid(np.array(0.0)) == 0.5
    assert sigmoid(np.array(math.log(3.0))) == pytest.approx(0.75, rel=1e-15)
    with np.errstate(over="raise"):
        assert np.array_equal(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_tanh_values():
    assert ACTIVATIONS["tanh"].fn(np.array(math.log(2.0))) == pytest.approx(0.6, rel=1e-15)  # (4−1)/(4+1)


def test_relu_values_and_slopes():
    relu = ACTIVATIONS["relu"]
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    a = relu.fn(z)
    assert np.array_equal(a, [0.0, 0.0, 0.5, 3.0])
    assert np.array_equal(relu.grad(z, a), [0.0, 0.0, 1.0, 1.0])


def test_leaky_relu_has_slope_001_below_zero():
    leaky = ACTIVATIONS["leaky-relu"]
    assert LEAKY_RELU_SLOPE == 0.01  # PyTorch's default negative_slope
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    a = leaky.fn(z)
    assert np.allclose(a, [-0.02, -0.005, 0.5, 3.0], rtol=1e-15, atol=0)
    assert np.array_equal(leaky.grad(z, a), [0.01, 0.01, 1.0, 1.0])


def test_elu_tends_to_minus_alpha_and_is_identity_above_zero():
    elu = ACTIVATIONS["elu"]
    assert ELU_ALPHA == 1.0
    z = np.array([-1e4, -50.0, -1.0, 0.5, 3.0])
    a = elu.fn(z)
    assert np.allclose(a, [-1.0, -1.0, math.exp(-1.0) - 1.0, 0.5, 3.0], rtol=1e-15, atol=0)
    # f'(z) = a + α below zero: exact to 1e−16 absolute; for very negative z (α e^z < 1e−16) it
    # rounds to 0 rather than α e^z, which no gradient can notice
    assert np.allclose(elu.grad(z, a), [0.0, math.exp(-50.0), math.exp(-1.0), 1.0, 1.0], rtol=1e-15, atol=1e-16)


def test_softplus_values_and_no_overflow():
    softplus = ACTIVATIONS["softplus"].fn
    assert softplus(np.array(0.0)) == pytest.approx(math.log(2.0), rel=1e-15)
    assert softplus(np.array(-math.log(3.0))) == pytest.approx(math.log(4.0 / 3.0), rel=1e-15)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        big = softplus(np.array([30.0, 800.0, 1e4, -1e4]))
    # log(1 + e^z) = z + log(1 + e^−z): at z = 30 the second term is e^−30 ≈ 9.4e−14
    assert big[0] == pytest.approx(30.0 + math.exp(-30.0), rel=1e-15)
    assert np.array_equal(big[1:], [800.0, 1e4, 0.0])


def test_linear_is_the_identity_with_slope_one():
    linear = ACTIVATIONS["linear"]
    z = np.array([[-3.0, 0.0, 2.5]])
    assert np.array_equal(linear.fn(z), z)
    assert np.array_equal(linear.grad(z, z), np.ones_like(z))


def test_softmax_values():
    softmax = OUTPUT_ACTIVATIONS["softmax"].fn
    p = softmax(np.array([[0.0, math.log(3.0)], [1.0, 1.0]]))
    assert np.allclose(p, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-15, atol=0)


def test_softmax_rows_sum_to_one_and_ignore_a_shift(rng):
    softmax = OUTPUT_ACTIVATIONS["softmax"].fn
    z = rng.normal(scale=5.0, size=(6, 4))
    p = softmax(z)
    assert np.allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.allclose(softmax(z + 123.0), p, rtol=1e-12, atol=0)
    assert np.allclose(softmax(z - rng.normal(size=(6, 1)) * 100), p, rtol=1e-12, atol=0)


def test_softmax_of_huge_logits_is_exact():
    softmax = OUTPUT_ACTIVATIONS["softmax"].fn
    with np.errstate(over="raise", invalid="raise"):
        p = softmax(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0]]))
    assert np.array_equal(p, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
