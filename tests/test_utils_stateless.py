"""nn.utils.stateless.functional_call, PyTorch's torch.func.functional_call: a module run with
given tensors in place of its parameters and buffers, their graph kept (MAML's fast weights),
and the module's own put back."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor, gradcheck
from nn.utils.stateless import functional_call

from torch_helpers import needs_torch, torch


def small_model() -> nn.Module:
    autograd.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1)).double()


def test_the_given_tensors_are_used_and_the_parameters_put_back():
    model = small_model()
    x = autograd.randn(4, 2, dtype=autograd.float64)
    params = dict(model.named_parameters())
    doubled = {n: 2 * p for n, p in params.items()}
    out = functional_call(model, doubled, (x,))
    w1, b1, w2, b2 = doubled.values()
    expected = F.linear(F.linear(x, w1, b1).tanh(), w2, b2)
    np.testing.assert_array_equal(out.data, expected.data)
    assert all(model.get_parameter(n) is p for n, p in params.items())
    np.testing.assert_array_equal(model(x).data, functional_call(model, params, x).data)


def test_the_gradient_flows_through_the_given_tensors_to_what_they_came_from():
    """d/dθ of f(x; θ - 0.1 ∇L(θ)) through functional_call: central differences agree."""
    model = small_model()
    x = autograd.randn(6, 2, dtype=autograd.float64)
    y = autograd.randn(6, 1, dtype=autograd.float64)
    names = [n for n, _ in model.named_parameters()]

    def outer(*theta):
        params = dict(zip(names, theta))
        loss = F.mse_loss(functional_call(model, params, (x,)), y)
        grads = autograd.autograd.grad(loss, params.values(), create_graph=True)
        fast = {n: p - 0.1 * g for (n, p), g in zip(params.items(), grads)}
        return F.mse_loss(functional_call(model, fast, (x,)), y)

    theta = [p.detach().clone().requires_grad_() for p in model.parameters()]
    assert gradcheck(outer, *theta, atol=1e-9, rtol=1e-7)
    assert all(p.grad is None for p in model.parameters())      # the module's own untouched


def test_names_left_out_keep_the_modules_own_and_strict_refuses_that():
    model = small_model()
    x = autograd.ones(1, 2, dtype=autograd.float64)
    zero_bias = autograd.zeros(1, dtype=autograd.float64)
    out = functional_call(model, {"2.bias": zero_bias}, (x,))
    np.testing.assert_allclose(out.item(), model(x).item() - model[2].bias.item(), rtol=1e-12)
    with pytest.raises(KeyError, match=r"strict=True, and no tensor was given for '0\.weight'"):
        functional_call(model, {"2.bias": zero_bias}, (x,), strict=True)


def test_mistakes_are_named():
    model = small_model()
    x = autograd.ones(1, 2, dtype=autograd.float64)
    with pytest.raises(KeyError, match=r"no parameter or buffer named '0\.weights' \(its "
                                       r"names: 0\.weight, 0\.bias, 2\.weight, 2\.bias\)"):
        functional_call(model, {"0.weights": autograd.zeros(5, 2)}, (x,))
    with pytest.raises(ValueError, match=r"'0\.weight' has shape \(5, 2\) in Sequential, but "
                                         r"the tensor given has shape \(2, 5\)"):
        functional_call(model, {"0.weight": autograd.zeros(2, 5)}, (x,))
    with pytest.raises(TypeError, match="dict of name -> tensor"):
        functional_call(model, list(model.parameters()), (x,))
    with pytest.raises(ValueError, match=r"'2\.bias' given in two dicts"):
        functional_call(model, ({"2.bias": autograd.zeros(1)}, {"2.bias": autograd.zeros(1)}),
                        (x,))


def test_the_parameters_are_put_back_when_forward_raises():
    model = small_model()
    params = {n: p * 1 for n, p in model.named_parameters()}
    with pytest.raises(ValueError):
        functional_call(model, params, (autograd.ones(1, 3, dtype=autograd.float64),))
    assert all(type(p) is nn.Parameter for p in model.parameters())


def test_containers_buffers_keywords_and_tied_weights():
    class Tied(nn.Module):
        def __init__(self):
            self.encode = nn.Linear(3, 3, bias=False).double()
            self.decode = nn.Linear(3, 3, bias=False).double()
            self.decode.weight = self.encode.weight         # one parameter, two names
            self.scales = nn.ParameterList([nn.Parameter(np.ones(3))])
            self.norm = nn.BatchNorm1d(3).double()
            self.norm.eval()

        def forward(self, x, shift=0.0):
            return self.norm(self.decode(self.encode(x)) * self.scales[0]) + shift

    model = Tied()
    x = autograd.randn(2, 3, dtype=autograd.float64)
    eye = autograd.eye(3, dtype=autograd.float64)
    mean = autograd.tensor([1.0, 2.0, 3.0], dtype=autograd.float64)
    # the tied weight given under one name serves both; a buffer and a ParameterList entry too
    out = functional_call(model, ({"encode.weight": eye, "scales.0": 2 * autograd.ones(3)},
                                  {"norm.running_mean": mean}), (x,), {"shift": 1.0})
    eps = model.norm.eps
    expected = (2 * x.data - mean.data) / np.sqrt(1 + eps) + 1.0
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert model.decode.weight is model.encode.weight and model.scales[0].data.tolist() == [1] * 3
    assert model.norm.running_mean.data.tolist() == [0.0] * 3
    with pytest.raises(ValueError, match="tied to another name given a different tensor"):
        functional_call(model, {"encode.weight": eye, "decode.weight": 2 * eye}, (x,))


def test_torch_func_functional_call_is_this_one():
    """`torch.func.functional_call` after `import autograd as torch`: the same call."""
    model = small_model()
    x = Tensor(np.random.default_rng(2).normal(size=(3, 2)))
    fast = {n: p * 0.5 for n, p in model.named_parameters()}
    np.testing.assert_array_equal(autograd.func.functional_call(model, fast, (x,)).data,
                                  functional_call(model, fast, (x,)).data)
    with pytest.raises(TypeError, match="functional_call: the first argument must be an "
                                        "nn.Module, got dict"):
        autograd.func.functional_call({}, fast, (x,))


@needs_torch
def test_same_as_torch_func_functional_call():
    model = small_model()
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 1)).double()
    theirs.load_state_dict({k: torch.tensor(v.data.copy()) for k, v in
                            model.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(4, 2))
    ours = {n: p * 1.5 for n, p in model.named_parameters()}
    torch_params = {n: p * 1.5 for n, p in theirs.named_parameters()}
    out = functional_call(model, ours, (Tensor(x),))
    expected = torch.func.functional_call(theirs, torch_params, (torch.tensor(x),))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for (n, p), t in zip(model.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, err_msg=n)
