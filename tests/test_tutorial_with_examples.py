"""A learner's trial of PyTorch's "Learning PyTorch with Examples": y = sin(x) on [-π, π] fitted
by a cubic, first in numpy, then with tensors and hand-written gradients, with autograd, with a
custom autograd Function (a Legendre polynomial), with nn, with an optimizer, with a custom
nn.Module, and with a dynamic net that reuses one weight a random number of times. Written from
memory after `import autograd as torch` and `import nn`, on 200 points instead of 2000 (so each
learning rate is 10 times the tutorial's, for the same steps). Each test asserts what the learner
checks: the loss falls and the coefficients approach those of the least-squares cubic, which for
sin on [-π, π] is 0.855 x - 0.0928 x³. Where PyTorch is installed, one forward and backward (and
the optimizer's steps) are checked against it from the same start.

What the trial needed to change from the tutorial's code, and why:
- `torch.autograd.Function` is `autograd.Function` (`torch.Function` after the import), and its
  backward receives the output and the inputs: `backward(ctx, grad_output, out, input)`, with no
  `ctx.save_for_backward` in forward nor `ctx.saved_tensors` in backward (the error at class
  definition writes that line with the learner's names);
- `torch.optim.RMSprop` is `nn.optim.RMSprop`.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import autograd as torch
import nn
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

POINTS = 200
X = np.linspace(-math.pi, math.pi, POINTS)
BEST = np.linalg.lstsq(np.stack([X ** 0, X, X ** 2, X ** 3], 1), np.sin(X), rcond=None)[0]


def close_to_sin(a, b, c, d, tol=(0.02, 0.03, 0.01, 0.004)):
    """The cubic a + b x + c x² + d x³ is near the least-squares fit of sin (BEST)."""
    return all(abs(got - want) < t for got, want, t in zip((a, b, c, d), BEST, tol))


def numpy_fit(a, b, c, d, steps=2000, learning_rate=1e-5):
    x, y = X, np.sin(X)
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = np.square(y_pred - y).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return loss, (a, b, c, d)


def test_warm_up_numpy_then_tensors_with_gradients_by_hand():
    start = np.random.default_rng(0).standard_normal(4)
    numpy_loss, numpy_coefficients = numpy_fit(*start)
    assert close_to_sin(*numpy_coefficients)

    dtype = torch.float64                       # (float64: to compare with numpy's numbers)
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, POINTS, device=device, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, device=device, dtype=dtype) for v in start)
    learning_rate = 1e-5
    for t in range(2000):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
    assert loss == pytest.approx(numpy_loss, rel=1e-9)
    np.testing.assert_allclose([v.item() for v in (a, b, c, d)], numpy_coefficients, rtol=1e-9)


def test_autograd_gives_the_gradients_written_by_hand():
    start = np.random.default_rng(0).standard_normal(4)
    _, by_hand = numpy_fit(*start)
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, POINTS, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in start)
    learning_rate, first = 1e-5, None
    for t in range(2000):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        first = loss.item() if first is None else first
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    assert a.is_leaf and a.requires_grad                    # still the parameters
    assert loss.item() < first / 100
    np.testing.assert_allclose([v.item() for v in (a, b, c, d)], by_hand, rtol=1e-9)


# -- a custom autograd Function ----------------------------------------------------------------

class LegendrePolynomial3(torch.Function):
    """P3(x) = ½ (5x³ - 3x); P3'(x) = 1.5 (5x² - 1)."""

    @staticmethod
    def forward(ctx, input):
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output, out, input):
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_pytorch_s_form_of_the_function_is_told_what_to_write():
    with pytest.raises(TypeError, match=r"write def backward\(ctx, grad_output, out, input\) "
                                        r"and use those names, without ctx.saved_tensors; leave "
                                        r"ctx.save_for_backward out of forward"):
        class AsInPyTorch(torch.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_a_custom_function_trains_the_legendre_fit():
    assert torch.gradcheck(LegendrePolynomial3.apply,
                           torch.tensor([-0.9, -0.2, 0.4, 1.3], dtype=torch.float64,
                                        requires_grad=True))
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, POINTS, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate, losses = 5e-5, []
    for t in range(1000):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    assert losses[-1] < losses[0] / 4 and losses[-1] < 20
    # b P3(d x) = b/2 (5 d³ x³ - 3 d x): its x and x³ terms near the least-squares cubic's
    assert abs(c.item()) < 0.05
    assert -1.5 * b.item() * d.item() == pytest.approx(BEST[1], abs=0.1)
    assert 2.5 * b.item() * d.item() ** 3 == pytest.approx(BEST[3], abs=0.01)


@needs_torch
def test_the_legendre_function_matches_pytorch_s_autograd():
    x = np.linspace(-1.2, 1.4, 7)
    ours = torch.tensor(x, requires_grad=True)
    theirs = real_torch.tensor(x, requires_grad=True)
    out = LegendrePolynomial3.apply(ours * 0.7)
    expected = 0.5 * (5 * (theirs * 0.7) ** 3 - 3 * (theirs * 0.7))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


# -- nn, optim, a custom Module, a dynamic net -------------------------------------------------

def features():
    x = torch.linspace(-math.pi, math.pi, POINTS)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    return x, y, xx


def test_the_nn_version():
    torch.manual_seed(0)
    x, y, xx = features()
    assert xx.shape == (POINTS, 3) and xx.dtype == torch.float32
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction='sum')
    learning_rate, losses = 1e-5, []
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
          f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    assert y_pred.shape == (POINTS,) and losses[-1] < losses[0] / 10
    assert close_to_sin(linear_layer.bias.item(), *linear_layer.weight[0].tolist())


def test_the_optim_version_with_rmsprop():
    torch.manual_seed(0)
    x, y, xx = features()
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction='sum')
    learning_rate = 1e-3
    optimizer = nn.optim.RMSprop(model.parameters(), lr=learning_rate)
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert close_to_sin(model[0].bias.item(), *model[0].weight[0].tolist())


@needs_torch
def test_the_nn_and_optim_versions_match_pytorch_from_the_same_weights():
    torch.manual_seed(3)
    x, y, xx = features()
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    theirs = real_torch.nn.Sequential(real_torch.nn.Linear(3, 1), real_torch.nn.Flatten(0, 1))
    theirs.load_state_dict({k: real_torch.as_tensor(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    optimizer = nn.optim.RMSprop(model.parameters(), lr=1e-3)
    their_optimizer = real_torch.optim.RMSprop(theirs.parameters(), lr=1e-3)
    txx, ty = real_torch.as_tensor(xx.numpy().copy()), real_torch.as_tensor(y.numpy().copy())
    for step in range(5):
        loss = nn.MSELoss(reduction='sum')(model(xx), y)
        their_loss = real_torch.nn.MSELoss(reduction='sum')(theirs(txx), ty)
        optimizer.zero_grad()
        their_optimizer.zero_grad()
        loss.backward()
        their_loss.backward()
        assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
        np.testing.assert_allclose(model[0].weight.grad, theirs[0].weight.grad.numpy(), rtol=1e-4)
        optimizer.step()
        their_optimizer.step()
    np.testing.assert_allclose(model[0].weight.data, theirs[0].weight.detach().numpy(),
                               rtol=1e-5)


class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + '
                f'{self.d.item()} x^3')


def test_a_custom_module_with_scalar_parameters():
    torch.manual_seed(0)
    x, y, _ = features()
    model = Polynomial3()
    assert [name for name, _ in model.named_parameters()] == ["a", "b", "c", "d"]
    criterion = nn.MSELoss(reduction='sum')
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-5)
    for t in range(2000):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f'Result: {model.string()}')
    assert close_to_sin(model.a.item(), model.b.item(), model.c.item(), model.d.item())


class DynamicNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))
        self.e = nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


def test_the_dynamic_net_shares_one_weight_across_a_random_number_of_layers():
    torch.manual_seed(0)
    x, y, _ = features()
    model = DynamicNet()
    criterion = nn.MSELoss(reduction='sum')
    xs, tops = x.numpy().astype(np.float64), set()
    for seed in range(8):                   # e's gradient adds up over the layers drawn
        random.seed(seed)
        top = random.randint(4, 6)          # the draw forward will make
        random.seed(seed)
        model.zero_grad()
        y_pred = model(x)
        criterion(y_pred, y).backward()
        residual = 2 * (y_pred.data - y.data).astype(np.float64)
        if top == 4:
            assert model.e.grad is None     # not used: no gradient, as in PyTorch
        else:
            want = sum((residual * xs ** k).sum() for k in range(4, top))
            assert model.e.grad == pytest.approx(want, rel=1e-4)
        tops.add(top)
    assert tops == {4, 5, 6}
    random.seed(0)
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-7, momentum=0.9)
    losses = []
    for t in range(1000):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) / 10
