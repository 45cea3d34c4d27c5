"""A learner's trial of adversarial examples, written as a course notebook writes it in PyTorch
after `import autograd as torch`, `import nn`, `import nn.functional as F`: a small classifier
(Linear, BatchNorm1d, Dropout) on made-up 8x8 "digits", then FGSM (`x.requires_grad_(True)`,
`loss.backward()`, `x + eps * sign(x.grad)`, `.clamp(0, 1)`, `.detach()`), PGD with its
projection onto the eps-ball (`torch.max(torch.min(x_adv, x + eps), x - eps)` and
`torch.clamp(x_adv, min=x - eps, max=x + eps)` with tensor bounds), `torch.autograd.grad(loss,
x)` instead of backward, the model in `eval()` with its parameters' `requires_grad_(False)`,
accuracy under attack, and adversarial training. Gradients the attack relies on are checked
against central finite differences in float64; where PyTorch is installed, the same attack from
the same weights gives the same numbers.

What the trial needed to change from PyTorch code: `x.grad` is a numpy array, so FGSM's
`x.grad.sign()` is `np.sign(x.grad)` (numpy's AttributeError gets a note saying so inside
`no_grad()` and a module's forward), and the PyTorch tutorial's `data.grad.data` is `data.grad`
(numpy's `.data` is a memoryview). `torch.autograd.grad` gives Tensors, so `g.sign()` works.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

CLASSES, SIDE = 4, 8


def digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (count, 64) float32 in [0, 1], labels (count,) int64): class c is a fixed random
    pattern of its own over uniform noise in [0, 0.4], at 0.6 in 8 pixels and 0.2 in the other
    56. A plain model leans on all of them, and an attack of 0.15 a pixel overturns the many
    weak ones; a model trained on attacks learns to read the 8 strong ones, which it cannot."""
    patterns = np.random.default_rng(7).random((CLASSES, SIDE * SIDE)) < 0.5
    amplitude = np.full(SIDE * SIDE, 0.2)
    amplitude[:8] = 0.6
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, count)
    images = rng.uniform(0.0, 0.4, (count, SIDE * SIDE)) + amplitude * patterns[labels]
    return images.clip(0, 1).astype(np.float32), labels.astype(np.int64)


X_TRAIN, Y_TRAIN = digits(512, seed=1)
X_TEST, Y_TEST = digits(256, seed=2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(SIDE * SIDE, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, CLASSES)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x)))))


def fgsm(model, x, y, eps):
    x = x.clone().detach()
    x.requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    x_adv = x + eps * np.sign(x.grad)               # PyTorch: x.grad.sign()
    return x_adv.clamp(0, 1).detach()


def pgd(model, x, y, eps, alpha, steps):
    x_adv = x.clone().detach()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.max(torch.min(x_adv, x + eps), x - eps)
        x_adv = torch.clamp(x_adv, min=x - eps, max=x + eps).clamp(0, 1).detach()
    return x_adv


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(model, epochs, attack_eps=None, seed=0):
    """Adam on mini-batches of 64; with `attack_eps`, each batch is half clean and half FGSM
    examples made against the model as it is (adversarial training)."""
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    order = np.random.default_rng(seed)
    x_all, y_all = torch.tensor(X_TRAIN), torch.tensor(Y_TRAIN)
    for _ in range(epochs):
        for batch in np.array_split(order.permutation(len(X_TRAIN)), len(X_TRAIN) // 64):
            xb, yb = x_all[batch], y_all[batch]
            if attack_eps is not None:
                model.eval()
                x_adv = fgsm(model, xb, yb, attack_eps)
                xb = torch.cat([xb, x_adv], dim=0)
                yb = torch.cat([yb, yb])
            model.train()
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    return train(Net(), epochs=8)


def frozen(model):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def test_fgsm_lowers_accuracy_and_pgd_lowers_it_further_inside_the_ball(trained):
    x, y = torch.tensor(X_TEST), torch.tensor(Y_TEST)
    clean = accuracy(trained, x, y)
    assert clean > 0.95
    model = frozen(Net())
    model.load_state_dict(trained.state_dict())
    x_fgsm = fgsm(model, x, y, eps=0.15)
    assert not x_fgsm.requires_grad and x_fgsm.dtype == np.float32
    assert np.abs(x_fgsm.data - x.data).max() <= 0.15 + 1e-6
    assert x_fgsm.data.min() >= 0 and x_fgsm.data.max() <= 1
    under_fgsm = accuracy(model, x_fgsm, y)
    assert under_fgsm < clean - 0.5
    x_pgd = pgd(model, x, y, eps=0.15, alpha=0.03, steps=10)
    assert np.abs(x_pgd.data - x.data).max() <= 0.15 + 1e-6
    assert x_pgd.data.min() >= 0 and x_pgd.data.max() <= 1
    assert accuracy(model, x_pgd, y) <= under_fgsm
    assert all(p.grad is None for p in model.parameters())     # frozen: no gradient at all


def test_adversarial_training_recovers_accuracy_under_attack(trained):
    torch.manual_seed(0)
    robust = train(Net(), epochs=8, attack_eps=0.15)
    x, y = torch.tensor(X_TEST), torch.tensor(Y_TEST)
    plain = accuracy(trained, fgsm(frozen(trained), x, y, 0.15), y)
    hardened = accuracy(robust, fgsm(frozen(robust), x, y, 0.15), y)
    assert hardened > plain + 0.5
    assert accuracy(robust, x, y) > 0.9


def test_autograd_grad_gives_backward_s_input_gradient_and_leaves_grads_alone(trained):
    """With the parameters still wanting gradients, torch.autograd.grad(loss, x) fills no
    .grad: neither x's nor a parameter's. (In float64: in float32 the two passes, on nodes
    and on arrays, round a confident row's p - 1 differently, up to 0.2 % of its tiny slope.)"""
    model = Net().double()
    model.load_state_dict(trained.state_dict())
    model.eval()
    x = torch.tensor(X_TEST[:32].astype(np.float64)).requires_grad_(True)
    y = torch.tensor(Y_TEST[:32])
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    assert x.grad is None and all(p.grad is None for p in model.parameters())
    F.cross_entropy(model(x), y).backward()
    np.testing.assert_allclose(g.data, x.grad, rtol=1e-9, atol=1e-15)
    assert all(p.grad is not None for p in model.parameters())
    assert g.sign().tolist() == np.sign(x.grad).tolist()


def test_the_input_gradient_through_dropout_and_batch_norm_in_eval_mode_is_exact(trained):
    """In eval mode dropout passes its input unchanged and batch norm is an affine map of the
    running statistics: the input's gradient matches central differences in float64."""
    model = Net().double()
    model.load_state_dict(trained.state_dict())
    model = frozen(model)
    assert model.bn.running_var.data.std() > 0          # statistics learnt, not the defaults
    y = torch.tensor(Y_TEST[:5])
    x = torch.tensor(X_TEST[:5].astype(np.float64), requires_grad=True)
    assert torch.gradcheck(lambda x: F.cross_entropy(model(x), y), x)
    first = model(x)
    assert np.array_equal(first.data, model(x).data)  # eval: no dropout mask drawn


def test_sign_passes_no_gradient_and_clamp_with_tensor_bounds_is_pytorch_s_at_the_bounds():
    """sign is a constant (PyTorch: a zero gradient), so (x.sign() * x).sum() has slope sign(x);
    clamp with tensor bounds passes the gradient to x between and at the bounds, to a bound
    where x is beyond it; max(min(x, hi), lo) shares a tie half and half (PyTorch's numbers,
    checked against torch below)."""
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0, 0.3], dtype=torch.float64, requires_grad=True)
    lo = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.3], dtype=torch.float64, requires_grad=True)
    hi = torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 0.3], dtype=torch.float64, requires_grad=True)
    weights = torch.arange(1.0, 7.0, dtype=torch.float64)
    assert not x.sign().requires_grad
    (x.sign() * x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.sign(x.data))
    x.grad = None
    (torch.clamp(x, min=lo, max=hi) * weights).sum().backward()
    assert x.grad.tolist() == [0, 2, 3, 4, 0, 6]
    assert lo.grad.tolist() == [1, 0, 0, 0, 0, 0] and hi.grad.tolist() == [0, 0, 0, 0, 5, 0]
    for t in (x, lo, hi):
        t.grad = None
    (torch.max(torch.min(x, hi), lo) * weights).sum().backward()
    assert x.grad.tolist() == [0, 1, 3, 2, 0, 1.5]
    assert lo.grad.tolist() == [1, 1, 0, 0, 0, 3] and hi.grad.tolist() == [0, 0, 0, 2, 5, 1.5]
    # away from the kinks, both match central differences
    rng = np.random.default_rng(3)
    a = torch.tensor(rng.uniform(-1, 2, 12), requires_grad=True)
    low = torch.tensor(rng.uniform(-0.5, 0.2, 12), requires_grad=True)
    high = torch.tensor(rng.uniform(0.6, 1.2, 12), requires_grad=True)
    assert torch.gradcheck(lambda a, b, c: (torch.clamp(a, min=b, max=c) ** 2).sum(),
                           a, low, high)
    assert torch.gradcheck(lambda a, b, c: (torch.max(torch.min(a, c), b) ** 2).sum(),
                           a, low, high)
    assert torch.gradcheck(lambda a: (a.sign() * a * a).sum(), a)


@needs_torch
def test_fgsm_and_pgd_match_pytorch_from_the_same_weights(trained):
    model = frozen(Net().double())
    model.load_state_dict(trained.state_dict())
    theirs = real_torch.nn.Sequential()
    theirs.fc1 = real_torch.nn.Linear(SIDE * SIDE, 32)
    theirs.bn = real_torch.nn.BatchNorm1d(32)
    theirs.relu = real_torch.nn.ReLU()
    theirs.drop = real_torch.nn.Dropout(0.2)
    theirs.fc2 = real_torch.nn.Linear(32, CLASSES)
    theirs.load_state_dict({k: real_torch.as_tensor(np.array(v.data))
                            for k, v in model.state_dict().items()})
    theirs.double().eval().requires_grad_(False)
    x_np, y_np = X_TEST[:64].astype(np.float64), Y_TEST[:64]
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    tx, ty = real_torch.tensor(x_np, requires_grad=True), real_torch.tensor(y_np)
    TF = real_torch.nn.functional
    loss = TF.cross_entropy(theirs(tx), ty)
    loss.backward()
    ours = x.clone().requires_grad_(True)
    our_loss = F.cross_entropy(model(ours), y)
    our_loss.backward()
    assert our_loss.item() == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-15)
    expected = (tx + 0.1 * tx.grad.sign()).clamp(0, 1).detach()
    np.testing.assert_array_equal(fgsm(model, x, y, 0.1).data, expected.numpy())

    x_adv = tx.detach().clone()
    for _ in range(5):
        x_adv.requires_grad_(True)
        (g,) = real_torch.autograd.grad(TF.cross_entropy(theirs(x_adv), ty), x_adv)
        x_adv = x_adv.detach() + 0.02 * g.sign()
        x_adv = real_torch.max(real_torch.min(x_adv, tx.detach() + 0.1), tx.detach() - 0.1)
        x_adv = real_torch.clamp(x_adv, min=tx.detach() - 0.1,
                                 max=tx.detach() + 0.1).clamp(0, 1).detach()
    np.testing.assert_array_equal(pgd(model, x, y, 0.1, 0.02, 5).data, x_adv.numpy())
