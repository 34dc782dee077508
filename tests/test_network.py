"""Whole networks: gradient checks over every activation × loss (and random architectures),
a planted bug that the check must catch, the L2 penalty, build_model's wiring of each loss, and
build_network's shapes, init statistics, dtypes and determinism."""

import numpy as np
import pytest
from helpers import LOSS_SETUPS, assert_layers_in_theta, make_model, make_targets
from hypothesis import given, settings
from hypothesis import strategies as st

from nnctl.gradcheck import check_gradients
from nnctl.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, Activation
from nnctl.nn.layers import ActivationLayer, Dense
from nnctl.nn.losses import LOSSES
from nnctl.nn.network import build_model, build_network
from nnctl.nn.optimizers import OPTIMIZERS

TOLERANCE = 1e-6


def width_for(loss_name: str, k: int) -> int:
    return 1 if LOSSES[loss_name].max_classes == 2 else k


def assert_all_pass(checks):
    """Every tensor's relative error ≤ 1e-6, or (a gradient that is exactly zero, where the
    relative error of rounding noise is 1) an absolute difference at the noise level."""
    for c in checks:
        assert c.passed, f"{c.name}: error {c.error:.2e}, max |diff| {c.max_abs_diff:.2e}"
        assert c.error <= TOLERANCE or c.max_abs_diff <= 1e-9, c


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize(("loss_name", "output"), LOSS_SETUPS)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_whole_model_gradients(activation, loss_name, output, l2, rng):
    width = width_for(loss_name, 3)
    model = make_model([3, 4, 5, width], [activation, activation], loss_name, rng, output=output, l2=l2)
    X, T = rng.normal(size=(4, 3)), make_targets(loss_name, 4, width, rng)
    checks = check_gradients(model, X, T)
    assert [c.name for c in checks] == ["W0", "b0", "W1", "b1", "W2", "b2", "X"]
    assert_all_pass(checks)


@st.composite
def architectures(draw):
    depth = draw(st.integers(0, 3))
    hidden = draw(st.lists(st.integers(1, 6), min_size=depth, max_size=depth))
    activations = draw(st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=depth, max_size=depth))
    loss_name, output = draw(st.sampled_from(LOSS_SETUPS))
    n_features, k, n = draw(st.integers(1, 4)), draw(st.integers(2, 4)), draw(st.integers(1, 5))
    l2 = draw(st.sampled_from([0.0, 0.1]))
    return hidden, activations, loss_name, output, n_features, k, n, l2, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=25, deadline=None)
@given(architectures())
def test_random_architectures_pass_gradcheck(arch):
    hidden, activations, loss_name, output, n_features, k, n, l2, seed = arch
    rng = np.random.default_rng(seed)
    width = width_for(loss_name, k)
    model = make_model([n_features, *hidden, width], activations, loss_name, rng, output=output, l2=l2)
    X, T = rng.normal(size=(n, n_features)), make_targets(loss_name, n, width, rng)
    assert_all_pass(check_gradients(model, X, T))


def test_exactly_zero_gradient_passes_despite_rounding_noise(rng):
    # hinge, all four margins below 1, targets +1 −1 +1 −1: db = −Σt/n = 0 exactly, while the
    # central difference of b is rounding noise (~1e-10), a relative error of 1
    model = make_model([2, 1], [], "hinge", rng)
    model.network.set_params({"W0": np.array([[0.3], [-0.2]]), "b0": np.array([0.1])})
    T = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    checks = {c.name: c for c in check_gradients(model, rng.normal(size=(4, 2)), T)}
    assert np.array_equal(model.network.dense[0].db, [0.0])
    assert checks["b0"].error == 1.0 and 0 < checks["b0"].max_abs_diff < 1e-9
    assert checks["b0"].passed
    assert_all_pass(checks.values())


BAD_TANH = Activation(np.tanh, lambda z, a: 1.0 - a, init="xavier")  # forgot to square a


def test_planted_wrong_derivative_fails_gradcheck(rng):
    model = make_model([3, 4, 4, 3], ["tanh", "tanh"], "cross-entropy", rng)
    X, T = rng.normal(size=(5, 3)), make_targets("cross-entropy", 5, 3, rng)
    assert_all_pass(check_gradients(model, X, T))  # the same model, before the bug
    for layer in model.network.layers:
        if isinstance(layer, ActivationLayer) and layer.name == "tanh":
            layer.f = BAD_TANH
    checks = {c.name: c for c in check_gradients(model, X, T)}
    # the last dense layer sits after the bug, so its gradient stays right; everything before fails
    assert checks["W2"].passed and checks["b2"].passed
    for name in ["W0", "b0", "W1", "b1", "X"]:
        assert not checks[name].passed and checks[name].error >= 1e-4


def test_planted_bug_in_the_registry_fails_gradcheck(rng, monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "tanh", BAD_TANH)
    model = make_model([2, 5, 1], ["tanh"], "mse", rng)
    checks = check_gradients(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    assert max(c.error for c in checks) >= 1e-4
    assert not all(c.passed for c in checks)


def test_planted_missing_factor_in_a_loss_fails_gradcheck(rng, monkeypatch):
    # Nielsen's ½ fudge: dropping the 2 of d/dŷ (ŷ − y)²
    mse = LOSSES["mse"]
    halved = lambda self, Yhat, T: (float(np.mean((Yhat - T) ** 2)), (Yhat - T) / Yhat.size)
    monkeypatch.setattr(type(mse), "value_and_grad", halved)
    model = make_model([2, 3, 2], ["sigmoid"], "mse", rng)
    checks = check_gradients(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 2)))
    assert all(not c.passed and c.error >= 1e-4 for c in checks)


def test_l2_penalty_by_hand():
    network = build_network([2, 2, 1], ["tanh"], None, "xavier", np.random.default_rng(0))
    network.set_params({
        "W0": np.array([[1.0, -2.0], [0.5, 0.0]]), "b0": np.array([10.0, 10.0]),
        "W1": np.array([[3.0], [-1.0]]), "b1": np.array([100.0]),
    })
    model = make_model([2, 2, 1], ["tanh"], "mse", np.random.default_rng(0), l2=0.1)
    model.network = network
    # λ/2 · (1 + 4 + 0.25 + 0 + 9 + 1); biases do not count
    assert model.penalty() == pytest.approx(0.05 * 15.25, rel=1e-15)
    model.l2 = 0.0
    assert model.penalty() == 0.0


def test_l2_adds_lambda_w_to_weight_gradients_only(rng):
    X, T = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    plain = make_model([3, 4, 2], ["tanh"], "mse", np.random.default_rng(1))
    decayed = make_model([3, 4, 2], ["tanh"], "mse", np.random.default_rng(1), l2=0.5)
    v0, _ = plain.loss_and_grads(X, T)
    v1, _ = decayed.loss_and_grads(X, T)
    assert v1 == pytest.approx(v0 + decayed.penalty(), rel=1e-15)
    g0, g1, params = plain.network.grads(), decayed.network.grads(), decayed.network.params()
    for name in ["W0", "W1"]:
        assert np.allclose(g1[name], g0[name] + 0.5 * params[name], rtol=1e-14, atol=0)
    for name in ["b0", "b1"]:
        assert np.array_equal(g1[name], g0[name])


def test_build_network_layer_shapes_and_order(rng):
    net = build_network([3, 5, 4, 2], ["relu", "tanh"], "softmax", "xavier", rng)
    kinds = [(type(layer).__name__, getattr(layer, "name", None)) for layer in net.layers]
    assert kinds == [
        ("Dense", None), ("ActivationLayer", "relu"), ("Dense", None),
        ("ActivationLayer", "tanh"), ("Dense", None), ("ActivationLayer", "softmax"),
    ]
    shapes = {name: p.shape for name, p in net.params().items()}
    assert shapes == {"W0": (3, 5), "b0": (5,), "W1": (5, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    assert net.sizes == [3, 5, 4, 2]
    assert net.forward(rng.normal(size=(7, 3))).shape == (7, 2)


def test_build_network_without_output_activation_ends_at_a_dense_layer(rng):
    net = build_network([2, 1], [], None, "he", rng)
    assert len(net.layers) == 1 and isinstance(net.layers[0], Dense)


@pytest.mark.parametrize(("loss_name", "link"), [("cross-entropy", "softmax"), ("binary-cross-entropy", "sigmoid")])
def test_build_model_ends_a_fused_loss_at_the_logits_and_links_its_activation(loss_name, link, rng):
    model = build_model([2, 4, 3], ["tanh"], loss_name, rng)
    assert isinstance(model.network.layers[-1], Dense) and model.link is OUTPUT_ACTIVATIONS[link]
    X = rng.normal(size=(5, 2))
    np.testing.assert_array_equal(model.output(X), OUTPUT_ACTIVATIONS[link].fn(model.network.forward(X)))
    with pytest.raises(ValueError, match=f"{loss_name} is fused with {link}"):
        build_model([2, 4, 3], ["tanh"], loss_name, rng, output="tanh")


@pytest.mark.parametrize(("loss_name", "output", "last"), [("mse", "auto", "linear"), ("mse", "sigmoid", "sigmoid"),
                                                           ("hinge", "auto", "linear")])
def test_build_model_gives_other_losses_the_output_activation_itself(loss_name, output, last, rng):
    model = build_model([2, 4, 1], ["relu"], loss_name, rng, output=output)
    assert model.network.layers[-1].name == last and model.link is None


def test_build_model_auto_init_suits_the_activation_after_each_layer():
    # relu after layer 0 (he), softmax after layer 1 (xavier): the same draws as naming them
    auto = build_model([3, 5, 2], ["relu"], "cross-entropy", np.random.default_rng(3))
    named = build_network([3, 5, 2], ["relu"], None, ["he", "xavier"], np.random.default_rng(3))
    for name, p in named.params().items():
        np.testing.assert_array_equal(auto.network.params()[name], p)


def test_xavier_is_uniform_within_its_bound_with_zero_biases(rng):
    fan_in, fan_out = 400, 300
    net = build_network([fan_in, fan_out], [], None, "xavier", rng)
    W, b = net.params()["W0"], net.params()["b0"]
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound
    assert W.std() == pytest.approx(bound / np.sqrt(3.0), rel=0.01)  # U(−a, a) has std a/√3
    assert np.array_equal(b, np.zeros(fan_out))


def test_he_has_std_sqrt_2_over_fan_in_with_zero_biases(rng):
    fan_in, fan_out = 400, 300
    net = build_network([fan_in, fan_out], [], None, "he", rng)
    W, b = net.params()["W0"], net.params()["b0"]
    assert W.std() == pytest.approx(np.sqrt(2.0 / fan_in), rel=0.01)
    assert abs(W.mean()) < 0.01 * np.sqrt(2.0 / fan_in) * 5
    assert np.array_equal(b, np.zeros(fan_out))


@pytest.mark.parametrize(("init", "std"), [("normal", 1.0), ("uniform", 1.0 / np.sqrt(3.0))])
def test_normal_and_uniform_scale_weights_and_biases(init, std, rng):
    net = build_network([300, 400], [], None, init, rng, init_scale=0.5)
    W, b = net.params()["W0"], net.params()["b0"]
    assert W.std() == pytest.approx(0.5 * std, rel=0.01)
    assert np.all(b != 0) and b.std() == pytest.approx(0.5 * std, rel=0.1)


def test_init_per_layer(rng):
    net = build_network([200, 300, 1], ["relu"], None, ["he", "xavier"], rng)
    params = net.params()
    assert params["W0"].std() == pytest.approx(np.sqrt(2.0 / 200), rel=0.02)
    assert np.abs(params["W1"]).max() <= np.sqrt(6.0 / 301)


def test_float32_build_gives_float32_params_drawn_like_float64():
    net64 = build_network([3, 4, 2], ["tanh"], "sigmoid", "normal", np.random.default_rng(7))
    net32 = build_network([3, 4, 2], ["tanh"], "sigmoid", "normal", np.random.default_rng(7), dtype=np.float32)
    for name, p in net32.params().items():
        assert p.dtype == np.float32
        assert np.array_equal(p, net64.params()[name].astype(np.float32))
    assert net32.forward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


def test_same_seed_same_weights_other_seed_other_weights():
    build = lambda seed: build_network([3, 8, 2], ["relu"], None, "he", np.random.default_rng(seed)).params()
    a, b, c = build(42), build(42), build(43)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W0"], c["W0"])


def test_params_are_live_views_and_set_params_copies_in(rng):
    net = build_network([2, 3, 1], ["tanh"], None, "xavier", rng)
    W0 = net.params()["W0"]
    assert W0 is net.dense[0].W
    new = {k: np.full_like(v, 0.25) for k, v in net.params().items()}
    net.set_params(new)
    assert np.all(W0 == 0.25)  # same array, new values
    new["W0"][0, 0] = 9.0
    assert W0[0, 0] == 0.25  # copied, not aliased


@pytest.mark.parametrize("n", [5, 1500])  # a batch, and a full batch above Dense's CACHED_ROWS
def test_a_batch_given_as_x_with_ones_trains_exactly_as_the_bare_batch(n, rng):
    from nnctl.nn.layers import with_ones

    model = make_model([3, 6, 4], ["tanh"], "cross-entropy", rng)
    X, T = rng.normal(size=(n, 3)), np.eye(4)[rng.integers(0, 4, size=n)]
    X1 = with_ones(X)
    assert np.array_equal(X1[:, :3], X) and np.array_equal(X1[:, 3], np.ones(n))
    value, out = model.loss_and_grads(X, T)
    grad = model.network.grad.copy()
    value1, out1 = model.loss_and_grads(X1, T, ones=True)
    assert value1 == value and np.array_equal(out1, out) and np.array_equal(model.network.grad, grad)
    # the hidden layer's [A, 1] buffer is made once and reused, also for a full batch of many rows
    buffer = model.network.dense[1].X1
    model.loss_and_grads(X1, T, ones=True)
    assert model.network.dense[1].X1 is buffer


def _steps(model, X, T):
    for name, rule in OPTIMIZERS.items():
        optimizer = rule(momentum=0.9) if name in ("sgd", "rmsprop") else rule()
        for _ in range(2):
            model.loss_and_grads(X, T)
            optimizer.step(model.network.theta, model.network.grad, 0.01)
        rule().load_state(optimizer.state)


# every public operation of the core on a model, after which its layers must still be θ's
OPERATIONS = {
    "build": lambda model, X, T: None,
    "set_params": lambda model, X, T: model.network.set_params(
        {k: np.full(v.shape, 0.5, np.float32) for k, v in model.network.params().items()}),
    "forward, backward": lambda model, X, T: model.network.backward(np.ones_like(model.network.forward(X))),
    "loss_and_grads with L2": lambda model, X, T: model.loss_and_grads(X, T),
    "objective": lambda model, X, T: model.objective(X, T),
    "output, logits, hidden": lambda model, X, T: (model.output(X), model.logits(X), model.hidden(X)),
    "optimizer steps": _steps,
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_layer_stays_a_view_of_theta(operation, dtype, rng):
    model = build_model([3, 5, 4, 2], ["tanh", "relu"], "cross-entropy", rng, l2=0.1, dtype=dtype)
    X, T = rng.normal(size=(6, 3)).astype(dtype), np.eye(2, dtype=dtype)[rng.integers(0, 2, size=6)]
    OPERATIONS[operation](model, X, T)
    assert_layers_in_theta(model)


@pytest.mark.parametrize("name", ["W", "b", "dW", "db"])
def test_a_layers_arrays_cannot_be_replaced_only_written_into(name, rng):
    # assigning a new array (as gradcheck once cast W and b to float64) would take the layer out
    # of θ: a later step of θ would not change what it computes
    model = build_model([3, 4, 2], ["tanh"], "cross-entropy", rng)
    layer = model.network.dense[0]
    with pytest.raises(AttributeError):
        setattr(layer, name, getattr(layer, name).astype(np.float32))
    getattr(layer, name)[...] = 0.25  # what set_params and the L2 gradient do
    arrays = model.network.params() if name in ("W", "b") else model.network.grads()
    assert np.all(arrays[name[-1] + "0"] == 0.25)
    assert_layers_in_theta(model)
