"""Optimizers: the first steps against torch.optim's documented algorithms, worked by hand;
state keys; exact resume from a saved state. Schedules: values at a few epochs by hand."""

import math

import numpy as np
import pytest

from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES

# one parameter vector, three gradients; every expected value below is plain arithmetic
P0 = np.array([1.0, -2.0, 0.5])
G = [np.array([0.5, -3.0, 1e-3]), np.array([-1.0, 2.0, 0.0]), np.array([2.0, 0.5, -0.25])]


def run(name, steps, lr, **hyper):
    """Parameters after each of the first `steps` steps at learning rate lr, and the optimizer."""
    opt = OPTIMIZERS[name](**hyper)
    p = P0.copy()
    history = []
    for g in G[:steps]:
        opt.step(p, g.copy(), lr)
        history.append(p.copy())
    return history, opt


def close(actual, expected):
    assert np.allclose(actual, expected, rtol=1e-13, atol=1e-15)


def test_sgd_plain():
    (p1, p2), _ = run("sgd", 2, lr=0.1)
    close(p1, P0 - 0.1 * G[0])
    close(p2, P0 - 0.1 * G[0] - 0.1 * G[1])
    close(p1, [1.0 - 0.05, -2.0 + 0.3, 0.5 - 1e-4])


def test_sgd_momentum_first_step_uses_v_equal_g():
    (p1, p2, p3), opt = run("sgd", 3, lr=0.1, momentum=0.9)
    v1 = G[0]  # not 0.9·0 + g: torch starts the buffer at g (the same here, with dampening 0)
    v2 = 0.9 * v1 + G[1]
    v3 = 0.9 * v2 + G[2]
    close(p1, P0 - 0.1 * v1)
    close(p2, P0 - 0.1 * v1 - 0.1 * v2)
    close(p3, P0 - 0.1 * (v1 + v2 + v3))
    close(p2[0], 1.0 - 0.1 * 0.5 - 0.1 * (0.9 * 0.5 - 1.0))  # = 1.005
    close(opt.state["momentum_buffer"], v3)


def test_sgd_nesterov():
    (p1, p2), _ = run("sgd", 2, lr=0.1, momentum=0.9, nesterov=True)
    v1, v2 = G[0], 0.9 * G[0] + G[1]
    close(p1, P0 - 0.1 * (G[0] + 0.9 * v1))
    close(p2, p1 - 0.1 * (G[1] + 0.9 * v2))
    close(p1[0], 1.0 - 0.1 * (0.5 + 0.45))  # = 0.905


def test_adam_first_step_moves_each_parameter_by_lr_times_sign():
    (p1, p2), opt = run("adam", 2, lr=0.1)
    # step 1: m̂ = g, v̂ = g², so Δ = −lr·g/(|g| + eps) ≈ −lr·sign(g)
    close(p1, P0 - 0.1 * G[0] / (np.abs(G[0]) + 1e-8))
    assert np.allclose(p1, P0 - 0.1 * np.sign(G[0]), rtol=0, atol=1e-6)
    # step 2
    m = 0.9 * (0.1 * G[0]) + 0.1 * G[1]
    v = 0.999 * (0.001 * G[0] ** 2) + 0.001 * G[1] ** 2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    close(p2, p1 - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8))
    close(opt.state["exp_avg"], m)
    close(opt.state["exp_avg_sq"], v)


def test_adam_betas_and_eps_are_used():
    (p1,), _ = run("adam", 1, lr=0.01, betas=(0.5, 0.9), eps=0.1)
    close(p1, P0 - 0.01 * G[0] / (np.abs(G[0]) + 0.1))


def test_rmsprop_plain():
    (p1, p2), _ = run("rmsprop", 2, lr=0.01)
    s1 = 0.01 * G[0] ** 2  # (1 − α) g², α = 0.99
    s2 = 0.99 * s1 + 0.01 * G[1] ** 2
    close(p1, P0 - 0.01 * G[0] / (np.sqrt(s1) + 1e-8))
    assert np.allclose(p1, P0 - 0.1 * np.sign(G[0]), rtol=0, atol=1e-5)  # √s1 = |g|/10
    close(p2, p1 - 0.01 * G[1] / (np.sqrt(s2) + 1e-8))


def test_rmsprop_with_momentum():
    (p1, p2), opt = run("rmsprop", 2, lr=0.01, momentum=0.9)
    s1 = 0.01 * G[0] ** 2
    s2 = 0.99 * s1 + 0.01 * G[1] ** 2
    b1 = G[0] / (np.sqrt(s1) + 1e-8)
    b2 = 0.9 * b1 + G[1] / (np.sqrt(s2) + 1e-8)
    close(p1, P0 - 0.01 * b1)
    close(p2, p1 - 0.01 * b2)
    close(opt.state["momentum_buffer"], b2)


def test_adagrad():
    (p1, p2, p3), opt = run("adagrad", 3, lr=0.1)
    s1, s2, s3 = G[0] ** 2, G[0] ** 2 + G[1] ** 2, G[0] ** 2 + G[1] ** 2 + G[2] ** 2
    close(p1, P0 - 0.1 * G[0] / (np.sqrt(s1) + 1e-10))
    close(p2, p1 - 0.1 * G[1] / (np.sqrt(s2) + 1e-10))
    close(p3, p2 - 0.1 * G[2] / (np.sqrt(s3) + 1e-10))
    close(opt.state["sum"], s3)


def test_defaults_are_pytorchs():
    # the learning rate's default is the schedule's starting value (the config's optimizer.lr)
    assert [OPTIMIZERS[name].defaults["lr"] for name in ("adam", "rmsprop", "adagrad")] == [1e-3, 1e-2, 1e-2]
    assert OPTIMIZERS["adam"]().betas == (0.9, 0.999)
    assert OPTIMIZERS["adam"]().eps == 1e-8
    rms = OPTIMIZERS["rmsprop"]()
    assert (rms.alpha, rms.eps, rms.momentum) == (0.99, 1e-8, 0.0)
    ada = OPTIMIZERS["adagrad"]()
    assert ada.eps == 1e-10
    sgd = OPTIMIZERS["sgd"]()
    assert (sgd.momentum, sgd.nesterov) == (0.0, False)


def test_unknown_hyper_parameter_is_an_error():
    with pytest.raises(TypeError, match="weight_decay"):
        OPTIMIZERS["sgd"](momentum=0.9, weight_decay=0.1)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_learning_rate_has_one_path_each_steps_argument(name):
    """No lr attribute that a constructor sets and a schedule would have to write over."""
    with pytest.raises(TypeError, match=r"step\(theta, grad, lr\)"):
        OPTIMIZERS[name](lr=0.1)
    assert not hasattr(OPTIMIZERS[name](), "lr")
    slow, fast = P0.copy(), P0.copy()
    OPTIMIZERS[name]().step(slow, G[0], 0.01)
    OPTIMIZERS[name]().step(fast, G[0], 0.1)
    np.testing.assert_allclose(P0 - fast, 10 * (P0 - slow), rtol=1e-9)  # every rule is linear in lr on step 1


SETUPS = {  # (learning rate, hyper-parameters, buffers)
    "sgd": (0.1, {}, set()),
    "sgd-momentum": (0.1, {"momentum": 0.9}, {"momentum_buffer"}),
    "sgd-nesterov": (0.1, {"momentum": 0.9, "nesterov": True}, {"momentum_buffer"}),
    "adam": (0.01, {}, {"exp_avg", "exp_avg_sq"}),
    "rmsprop": (0.01, {}, {"square_avg"}),
    "rmsprop-momentum": (0.01, {"momentum": 0.5}, {"square_avg", "momentum_buffer"}),
    "adagrad": (0.1, {}, {"sum"}),
}


def theta(rng):
    """A flat parameter vector, as nnctl trains them (a 3-4-2 network's 26 numbers)."""
    return rng.normal(size=26)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_state_keys(setup, rng):
    lr, hyper, buffers = SETUPS[setup]
    opt = OPTIMIZERS[setup.split("-")[0]](**hyper)
    p = theta(rng)
    opt.step(p, rng.normal(size=p.shape), lr)
    assert set(opt.state) == {"step"} | buffers
    assert int(opt.state["step"]) == 1
    assert all(value.shape == p.shape for key, value in opt.state.items() if key != "step")


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("saved_after", [0, 3])
def test_restored_state_continues_bit_for_bit(setup, saved_after, rng, tmp_path):
    lr, hyper, _ = SETUPS[setup]
    name = setup.split("-")[0]
    p = theta(rng)
    grads = [rng.normal(size=p.shape) for _ in range(6)]
    opt = OPTIMIZERS[name](**hyper)
    for g in grads[:saved_after]:
        opt.step(p, g, lr)
    np.savez(tmp_path / "opt.npz", theta=p, **opt.state)

    fresh = OPTIMIZERS[name](**hyper)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        fresh.load_state({k: f[k] for k in f.files})
        resumed = f["theta"]
    for g in grads[saved_after:]:
        opt.step(p, g, lr)
        fresh.step(resumed, g, lr)
        assert np.array_equal(p, resumed)
    assert int(fresh.state["step"]) == 6
    assert set(fresh.state) == set(opt.state)
    assert all(np.array_equal(opt.state[k], fresh.state[k]) for k in opt.state)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_step_updates_in_place_and_leaves_gradients_alone(setup, rng):
    lr, hyper, _ = SETUPS[setup]
    opt = OPTIMIZERS[setup.split("-")[0]](**hyper)
    p = theta(rng)
    before = p.copy()
    for _ in range(2):
        g = rng.normal(size=p.shape)
        g_before = g.copy()
        opt.step(p, g, lr)
        assert np.array_equal(g, g_before)
    assert np.all(p != before)


def test_float32_params_stay_float32(rng):
    for name in OPTIMIZERS:
        p = rng.normal(size=(2, 2)).astype(np.float32)
        opt = OPTIMIZERS[name](momentum=0.9) if name in ("sgd", "rmsprop") else OPTIMIZERS[name]()
        opt.step(p, np.ones((2, 2), dtype=np.float32), OPTIMIZERS[name].defaults["lr"])
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for k, v in opt.state.items() if k != "step")


# ---- schedules ----


def lr_at(name, epoch, lr0=0.1, **params):
    schedule = SCHEDULES[name]
    return schedule.fn(lr0, epoch, **{**schedule.params, **params})


def test_constant():
    assert [lr_at("constant", e) for e in (0, 1, 500)] == [0.1, 0.1, 0.1]


def test_step_halves_every_step_size_epochs():
    # lr0 · γ^(e // s)
    values = [lr_at("step", e, step_size=10, gamma=0.5) for e in (0, 9, 10, 19, 25)]
    assert values == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15)
    assert lr_at("step", 100) == pytest.approx(0.1 * 0.5**2, rel=1e-15)  # defaults: 50, 0.5


def test_exponential():
    assert lr_at("exponential", 3, gamma=0.9) == pytest.approx(0.1 * 0.729, rel=1e-15)
    assert lr_at("exponential", 100) == pytest.approx(0.1 * 0.99**100, rel=1e-15)


def test_cosine_reaches_eta_min_at_t_max_and_stays():
    values = [lr_at("cosine", e, T_max=10, eta_min=0.001) for e in (0, 5, 10, 15)]
    assert values == pytest.approx([0.1, 0.001 + 0.099 / 2, 0.001, 0.001], rel=1e-14)
    # one quarter of the way: (1 + cos(π/4)) / 2
    assert lr_at("cosine", 25, T_max=100) == pytest.approx(0.1 * (1 + math.sqrt(0.5)) / 2, rel=1e-14)


def test_inverse_time():
    values = [lr_at("inverse-time", e, decay=0.5) for e in (0, 2, 6)]
    assert values == pytest.approx([0.1, 0.05, 0.025], rel=1e-15)
    assert lr_at("inverse-time", 100) == pytest.approx(0.1 / 2, rel=1e-15)  # default decay 0.01


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_starts_at_lr0_and_never_grows(name):
    params = {"T_max": 30} if SCHEDULES[name].params.get("T_max", 0) is None else {}
    values = [lr_at(name, e, lr0=0.3, **params) for e in range(60)]
    assert values[0] == pytest.approx(0.3, rel=1e-15)
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))
    assert all(v >= 0 for v in values)  # cosine reaches eta_min = 0


# ---- plateau (Keras's ReduceLROnPlateau), the schedule that reads metrics ----


def plateau_rates(values, **params):
    """The rate of each epoch after the one whose metric is values[i], for lr0 = 1."""
    rule = SCHEDULES["plateau"].rule(1.0, **{**SCHEDULES["plateau"].params, **params})
    return [rule.update(v) for v in values]


def test_plateau_cuts_after_patience_epochs_without_an_improvement_of_more_than_min_delta():
    # best 1.0 (epoch 1); 0.95 is not below 1.0 − 0.1: epochs 2, 3 wait, the cut comes after epoch 3;
    # 0.85 improves (wait 0), then two more flat epochs cut again after epoch 6
    values = [1.0, 0.95, 0.99, 0.85, 0.9, 0.86, 0.7]
    assert plateau_rates(values, patience=2, factor=0.5, min_delta=0.1) == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    # patience 0: every epoch that does not improve cuts
    assert plateau_rates([1.0, 1.0, 0.5, 0.6], patience=0, factor=0.5, min_delta=0.0) == [1.0, 0.5, 0.5, 0.25]


def test_plateau_on_an_accuracy_waits_for_a_rise_and_cooldown_pauses_the_count():
    # accuracy: higher is better. Cut after epoch 3 (epochs 2, 3 wait); cooldown 3, counted down as
    # Keras does (the epoch that ends it counts again): epochs 4, 5 do not wait, 6 and 7 do; cut
    values = [0.5] * 8
    assert plateau_rates(values, monitor="val_accuracy", patience=2, factor=0.1, cooldown=3) == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01], rel=1e-15)
    assert plateau_rates([0.5, 0.6, 0.7, 0.8], monitor="train_accuracy", patience=1) == [1.0] * 4


def test_plateau_never_goes_below_min_lr_and_stops_cutting_there():
    rates = plateau_rates([1.0] * 8, patience=1, factor=0.5, min_lr=0.2)
    assert rates == [1.0, 0.5, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]  # 0.125 would be below the floor


def test_plateau_state_round_trips_mid_wait():
    params = {**SCHEDULES["plateau"].params, "patience": 3, "factor": 0.5, "cooldown": 1}
    one = SCHEDULES["plateau"].rule(1.0, **params)
    for v in [1.0, 2.0, 2.0, 2.0, 2.0]:
        one.update(v)
    two = SCHEDULES["plateau"].rule(1.0, **params)
    two.load_state(dict(one.state))
    assert [one.update(v) for v in [3.0] * 6] == [two.update(v) for v in [3.0] * 6]
    assert one.state == two.state and one.lr == 0.125
