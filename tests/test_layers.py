"""Dense: forward value by hand, backward against central differences, and the gradient
assignment rules (assign, never accumulate; never write into the incoming gradient)."""

import numpy as np

from nnctl.gradcheck import numerical_grad, rel_error
from nnctl.nn.layers import Dense


def test_dense_forward_by_hand():
    layer = Dense(np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.array([0.5, 0.0, -0.5]))
    Z = layer.forward(np.array([[1.0, 2.0], [0.0, -1.0]]))
    # row 0: (1 + 4 + 0.5, 0 + 2 + 0, −1 + 0 − 0.5);  row 1: (0 − 2 + 0.5, −1, −0.5)
    assert np.array_equal(Z, [[5.5, 2.0, -1.5], [-1.5, -1.0, -0.5]])
    assert (layer.fan_in, layer.fan_out) == (2, 3)


def test_dense_backward_by_hand():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    layer = Dense(np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.zeros(3))
    layer.forward(X)
    dZ = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    dX = layer.backward(dZ)
    assert np.array_equal(layer.dW, [[1.0, 0.0, 2.0], [2.0, -1.0, 5.0]])  # X.T @ dZ
    assert np.array_equal(layer.db, [1.0, 1.0, 1.0])
    assert np.array_equal(dX, [[1.0 - 2.0, 2.0], [1.0, 1.0]])  # dZ @ W.T


def test_dense_backward_matches_central_differences(rng):
    X = rng.normal(size=(6, 4))
    layer = Dense(rng.normal(size=(4, 3)), rng.normal(size=3))
    dZ = rng.normal(size=(6, 3))
    layer.forward(X)
    dX = layer.backward(dZ)
    f = lambda: np.sum(layer.forward(X) * dZ)
    for analytic, tensor in [(dX, X), (layer.dW, layer.W), (layer.db, layer.b)]:
        assert rel_error(analytic, numerical_grad(f, tensor)) < 1e-9


def test_dense_backward_assigns_rather_than_accumulates(rng):
    X = rng.normal(size=(5, 3))
    layer = Dense(rng.normal(size=(3, 2)), rng.normal(size=2))
    dZ = rng.normal(size=(5, 2))
    layer.forward(X)
    layer.backward(dZ)
    dW1, db1 = layer.dW.copy(), layer.db.copy()
    layer.backward(dZ)
    assert np.array_equal(layer.dW, dW1) and np.array_equal(layer.db, db1)
    assert np.allclose(layer.dW, X.T @ dZ, rtol=1e-15, atol=0)


def test_dense_backward_leaves_the_incoming_gradient_alone(rng):
    layer = Dense(rng.normal(size=(3, 2)), rng.normal(size=2))
    layer.forward(rng.normal(size=(4, 3)))
    dZ = rng.normal(size=(4, 2))
    before = dZ.copy()
    layer.backward(dZ)
    assert np.array_equal(dZ, before)


def test_numerical_grad_perturbs_non_contiguous_views():
    # a transposed view: x.reshape(-1) would be a copy, and perturbing it would move nothing
    x = np.arange(6.0).reshape(2, 3)
    grad = numerical_grad(lambda: float(np.sum(x**2)), x.T)
    assert np.allclose(grad, 2.0 * x.T, rtol=1e-8, atol=0)
    assert np.array_equal(x, np.arange(6.0).reshape(2, 3))  # restored exactly


def test_dense_keeps_a_few_input_buffers_and_computes_right_with_each(rng):
    from nnctl.nn.layers import CACHED_ROWS, CACHED_SIZES

    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    layer = Dense(W, b)
    small = list(range(1, CACHED_SIZES + 2))  # one size more than are kept
    for n in [*small, CACHED_ROWS + 1, CACHED_ROWS + 2]:
        X = rng.normal(size=(n, 3))
        np.testing.assert_allclose(layer.forward(X), X @ W + b, rtol=1e-13)
        assert np.array_equal(layer.X1[:, -1], np.ones(n))  # the ones column survives reuse
    # the oldest small size went first; of the large ones only the last is kept
    assert list(layer.buffers) == [*small[1:], CACHED_ROWS + 2]
    X1 = layer.buffers[2][0]
    layer.forward(rng.normal(size=(2, 3)))
    assert layer.X1 is X1  # reused, not made again
