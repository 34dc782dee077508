"""nnctl against PyTorch itself, in float64: optimizers step by step, schedules, losses, and a
whole network's loss and gradients against autograd. Skipped when torch is not installed."""

import numpy as np
import pytest

from nnctl.gradcheck import rel_error
from nnctl.nn.losses import LOSSES
from nnctl.nn.network import build_model
from nnctl.nn.optimizers import OPTIMIZERS, SCHEDULES

torch = pytest.importorskip("torch")

SHAPES = {"W0": (3, 4), "b0": (4,), "W1": (4, 2), "b1": (2,)}

# (nnctl name, torch class name, hyper-parameters under the same names in both)
CASES = {
    "sgd": ("sgd", "SGD", {"lr": 0.1}),
    "sgd-momentum": ("sgd", "SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd-nesterov": ("sgd", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    "adam": ("adam", "Adam", {"lr": 0.01}),
    "adam-betas-eps": ("adam", "Adam", {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-4}),
    "rmsprop": ("rmsprop", "RMSprop", {"lr": 0.01}),
    "rmsprop-momentum": ("rmsprop", "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9}),
    "adagrad": ("adagrad", "Adagrad", {"lr": 0.1}),
    "adagrad-eps": ("adagrad", "Adagrad", {"lr": 0.1, "eps": 1e-3}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_matches_torch_step_by_step(case, rng):
    name, torch_name, hyper = CASES[case]
    params = {k: rng.normal(size=s) for k, s in SHAPES.items()}
    grads = [{k: rng.normal(size=s) for k, s in SHAPES.items()} for _ in range(5)]
    grads[2]["b0"][:] = 0.0  # a zero gradient among them

    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    torch_opt = getattr(torch.optim, torch_name)(list(tensors.values()), **hyper)
    lr = hyper["lr"]  # torch keeps it in the optimizer; nnctl hands it to every step
    opt = OPTIMIZERS[name](**{k: v for k, v in hyper.items() if k != "lr"})
    flat = lambda arrays: np.concatenate([a.ravel() for a in arrays])  # nnctl steps one vector θ
    theta = flat(params.values())
    for g in grads:
        for k, t in tensors.items():
            t.grad = torch.tensor(g[k], dtype=torch.float64)
        torch_opt.step()
        opt.step(theta, flat(g.values()), lr)
        np.testing.assert_allclose(theta, flat(t.detach().numpy() for t in tensors.values()), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("dtype", "lrs"), [
    ("float64", (0.01, 0.0, 0.0, 0.01)),  # a schedule may reach 0: the moments move, θ stays
    ("float32", (1e-40, 1e-40)),  # a long decay: lr/c2 would overflow float32, √v·(…) be 0·inf
    ("float64", (1e-310, 0.01)),
])
def test_adam_at_extreme_learning_rates_matches_torch(dtype, lrs, rng):
    theta = rng.normal(size=7).astype(dtype)
    tensor = torch.tensor(theta, requires_grad=True)
    torch_opt, opt = torch.optim.Adam([tensor], lr=lrs[0]), OPTIMIZERS["adam"]()
    for lr in lrs:
        torch_opt.param_groups[0]["lr"] = lr
        g = rng.normal(size=7).astype(dtype)
        g[3] = 0.0  # v = 0 there
        tensor.grad = torch.tensor(g)
        torch_opt.step()
        opt.step(theta, g, lr)
        assert np.all(np.isfinite(theta))
        rtol = 1e-12 if dtype == "float64" else 1e-6
        np.testing.assert_allclose(theta, tensor.detach().numpy(), rtol=rtol, atol=0)
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(opt.state[name], torch_opt.state[tensor][name].numpy(), rtol=rtol)


@pytest.mark.parametrize(("name", "torch_name"), [("sgd", "SGD"), ("adam", "Adam"), ("rmsprop", "RMSprop"),
                                                  ("adagrad", "Adagrad")])
def test_default_hyper_parameters_match_torch(name, torch_name):
    torch_defaults = getattr(torch.optim, torch_name)([torch.zeros(1)]).defaults
    for key in OPTIMIZERS[name].defaults:
        if key != "lr" or name != "sgd":  # sgd's lr is nnctl's config default, 0.1
            assert tuple(np.atleast_1d(OPTIMIZERS[name].defaults[key])) == tuple(
                np.atleast_1d(torch_defaults[key])), key


def torch_lrs(scheduler_cls, epochs, **kwargs):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = scheduler_cls(opt, **kwargs)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize(("name", "params", "torch_cls", "torch_kwargs"), [
    ("step", {"step_size": 7, "gamma": 0.3}, "StepLR", {"step_size": 7, "gamma": 0.3}),
    ("exponential", {"gamma": 0.95}, "ExponentialLR", {"gamma": 0.95}),
    ("cosine", {"T_max": 20, "eta_min": 0.002}, "CosineAnnealingLR", {"T_max": 20, "eta_min": 0.002}),
])
def test_schedule_matches_torch(name, params, torch_cls, torch_kwargs):
    epochs = 21  # cosine: nnctl holds eta_min after T_max where torch climbs again, so stop there
    expected = torch_lrs(getattr(torch.optim.lr_scheduler, torch_cls), epochs, **torch_kwargs)
    ours = [SCHEDULES[name].fn(0.1, e, **params) for e in range(epochs)]
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "torch_loss"), [
    ("cross-entropy", lambda z, t: torch.nn.CrossEntropyLoss()(z, t)),
    ("binary-cross-entropy", lambda z, t: torch.nn.BCEWithLogitsLoss()(z, t)),
    ("mse", lambda y, t: torch.nn.MSELoss()(y, t)),
    ("hinge", lambda y, t: torch.clamp(1 - t * y, min=0).mean()),
])
def test_loss_value_and_grad_match_torch(name, torch_loss, rng):
    n, width = 6, (1 if name == "hinge" else 3)
    out = rng.normal(scale=3.0, size=(n, width))
    if name == "cross-entropy":
        T = np.eye(width)[rng.integers(0, width, size=n)]  # torch takes these as class probabilities
    elif name == "hinge":
        T = rng.choice([-1.0, 1.0], size=(n, 1))
    else:
        T = rng.integers(0, 2, size=(n, width)).astype(np.float64) if name != "mse" else rng.normal(size=(n, width))
    z = torch.tensor(out, requires_grad=True)
    value = torch_loss(z, torch.tensor(T))
    value.backward()
    loss = LOSSES[name]
    assert loss.value(out, T) == pytest.approx(value.item(), rel=1e-13)
    np.testing.assert_allclose(loss.grad(out, T), z.grad.numpy(), rtol=1e-12, atol=1e-17)


def test_tanh_softmax_network_matches_autograd(rng):
    # a 2-5-3 tanh network with fused softmax + cross-entropy (mean), and L2 on the weights
    n, l2 = 8, 0.01
    X, labels = rng.normal(size=(n, 2)), rng.integers(0, 3, size=n)
    model = build_model([2, 5, 3], ["tanh"], "cross-entropy", rng, init="normal", init_scale=0.7, l2=l2)
    network = model.network
    value, _ = model.loss_and_grads(X, np.eye(3)[labels])

    p = {k: torch.tensor(v, requires_grad=True) for k, v in network.params().items()}
    Z1 = torch.tensor(X) @ p["W0"] + p["b0"]
    Z2 = torch.tanh(Z1) @ p["W1"] + p["b1"]
    loss = torch.nn.CrossEntropyLoss()(Z2, torch.tensor(labels))
    loss = loss + l2 / 2 * (p["W0"].pow(2).sum() + p["W1"].pow(2).sum())
    loss.backward()

    assert value == pytest.approx(loss.item(), rel=1e-12)
    for name, grad in network.grads().items():
        assert rel_error(grad, p[name].grad.numpy()) <= 1e-12, name
        np.testing.assert_allclose(grad, p[name].grad.numpy(), rtol=1e-10, atol=1e-15)
