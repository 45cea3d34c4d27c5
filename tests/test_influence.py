"""A user trial: influence functions and data attribution as an explainability course writes
them in PyTorch, with `import autograd as torch`, `import nn`, `import nn.functional as F`, on
a small L2-regularised logistic regression of tabular data made here with a fixed seed (three
labels flipped): the Hessian-vector product of the training loss by double backward
(`torch.autograd.grad(loss, params, create_graph=True)`, then the gradient of (g * v).sum()),
H^-1 g by conjugate gradients and by LiSSA against the exact Hessian of
`torch.autograd.functional.hessian`, the influence of each training point on a test loss
against retraining without it, TracIn (gradient dot products summed over checkpoints), and
per-example gradients (a loop, PyTorch's `torch.func.vmap(grad(...))` and the Jacobian of the
unreduced losses, which give the same rows). Where PyTorch is
installed the same code runs there and must give the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import gradcheck

try:
    import torch as real_torch
except ImportError:                             # optional: the cross-checks skip without it
    real_torch = None

needs_torch = pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")

LAM = 1e-2                  # the L2 penalty's weight
FLIPPED = (0, 1, 2)         # training points whose labels are wrong


def numbers(t) -> np.ndarray:
    return np.array(t if isinstance(t, np.ndarray) else t.detach().numpy())


def tabular(seed: int = 0):
    """60 training rows of 4 features with labels from a noisy linear rule (the first three
    flipped), and 10 test rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 4))
    y = (X @ np.array([1.5, -2.0, 0.5, 0.0]) + 0.5 * rng.normal(size=60) > 0).astype(float)
    y[list(FLIPPED)] = 1 - y[list(FLIPPED)]
    Xq = rng.normal(size=(10, 4))
    yq = (Xq @ np.array([1.5, -2.0, 0.5, 0.0]) > 0).astype(float)
    return X, y, Xq, yq


def influence_parts(torch, nn, F, optim):
    """The course's code, written once for either engine."""
    X, y, Xq, yq = (torch.tensor(a) for a in tabular())

    def make_model():
        model = nn.Linear(4, 1).double()
        with torch.no_grad():
            model.weight.copy_(torch.tensor([[0.1, -0.2, 0.3, 0.05]], dtype=torch.float64))
            model.bias.fill_(0.0)
        return model

    def flat(tensors):
        return torch.cat([t.reshape(-1) for t in tensors])

    def train_loss(model, weights=None):
        per_row = F.binary_cross_entropy_with_logits(model(X).squeeze(-1), y, reduction="none")
        mean = per_row.mean() if weights is None else (per_row * weights).sum() / len(y)
        return mean + LAM / 2 * sum((p ** 2).sum() for p in model.parameters())

    def hvp(model, v):
        params = list(model.parameters())
        grads = torch.autograd.grad(train_loss(model), params, create_graph=True)
        return flat(torch.autograd.grad((flat(grads) * v).sum(), params))

    def exact_hessian(model):
        def f(theta):
            z = X @ theta[:4] + theta[4]
            return (F.binary_cross_entropy_with_logits(z, y) + LAM / 2 * (theta ** 2).sum())
        theta = flat([p.detach() for p in model.parameters()])
        return torch.autograd.functional.hessian(f, theta)

    def fit(model, weights=None, steps=8):
        """Newton's method to the optimum (the loss is convex)."""
        params = list(model.parameters())
        for _ in range(steps):
            g = flat(torch.autograd.grad(train_loss(model, weights), params))
            H = torch.stack([hvp_weighted(model, e, weights) for e in torch.eye(5,
                                                                            dtype=g.dtype)])
            step = torch.linalg.solve(H, g)
            with torch.no_grad():
                model.weight -= step[:4].view(1, 4)
                model.bias -= step[4:]
        return model

    def hvp_weighted(model, v, weights):
        params = list(model.parameters())
        grads = torch.autograd.grad(train_loss(model, weights), params, create_graph=True)
        return flat(torch.autograd.grad((flat(grads) * v).sum(), params))

    def example_loss(model, i, test=False):
        xs, ys = (Xq, yq) if test else (X, y)
        z = model(xs[i:i + 1]).squeeze(-1)
        return F.binary_cross_entropy_with_logits(z, ys[i:i + 1])

    def example_grad(model, i, test=False):
        return flat(torch.autograd.grad(example_loss(model, i, test), list(model.parameters())))

    def per_example_by_loop(model):
        rows = []
        for i in range(len(y)):
            model.zero_grad()
            example_loss(model, i).backward()
            rows.append(torch.cat([torch.tensor(p.grad).flatten() for p in model.parameters()]))
        return torch.stack(rows)

    def conjugate_gradients(model, b, iterations=20):
        x = torch.zeros_like(b)
        r, p = b.clone(), b.clone()
        for _ in range(iterations):
            Ap = hvp(model, p)
            alpha = (r @ r) / (p @ Ap)
            x = x + alpha * p
            r_new = r - alpha * Ap
            if r_new.norm() < 1e-12:
                break
            p = r_new + (r_new @ r_new) / (r @ r) * p
            r = r_new
        return x

    def lissa(model, b, scale=0.25, iterations=200):
        """H^-1 b as the series sum_k (I - H / scale)^k b / scale: it converges when scale is
        above H's largest eigenvalue (0.2 here), as fast as 1 - smallest / scale (0.87)."""
        estimate = b.clone()
        for _ in range(iterations):
            estimate = b + estimate - hvp(model, estimate) / scale
        return estimate / scale

    def tracin(model, test_index, lr=0.5, steps=200, every=50):
        """Plain gradient descent from the start, a checkpoint every 50 steps; the score of
        training point i is the sum over checkpoints of lr * g_i . g_test."""
        opt = optim.SGD(model.parameters(), lr=lr)
        scores = torch.zeros(len(y), dtype=torch.float64)
        self_scores = torch.zeros(len(y), dtype=torch.float64)
        for step in range(steps):
            opt.zero_grad()
            train_loss(model).backward()
            opt.step()
            if step % every == every - 1:
                G = torch.stack([example_grad(model, i) for i in range(len(y))])
                scores = scores + lr * G @ example_grad(model, test_index, test=True)
                self_scores = self_scores + lr * (G * G).sum(1)
        return scores, self_scores

    return dict(make_model=make_model, flat=flat, train_loss=train_loss, hvp=hvp,
                exact_hessian=exact_hessian, fit=fit, example_loss=example_loss,
                example_grad=example_grad, per_example_by_loop=per_example_by_loop,
                conjugate_gradients=conjugate_gradients, lissa=lissa, tracin=tracin)


ours = influence_parts(autograd, nn, F, nn.optim)


@pytest.fixture(scope="module")
def fitted():
    return ours["fit"](ours["make_model"]())


def test_hvp_by_double_backward_is_the_hessian_times_v_and_differences_of_the_gradient(fitted):
    model = fitted
    H = ours["exact_hessian"](model)
    v = autograd.tensor(np.linspace(-1, 1, 5))
    Hv = ours["hvp"](model, v)
    np.testing.assert_allclose(Hv.data, H.data @ v.data, rtol=1e-12, atol=1e-15)
    params = list(model.parameters())
    eps, gradients = 1e-6, []
    for sign in (1, -1):
        with autograd.no_grad():
            model.weight += sign * eps * v[:4].view(1, 4)
            model.bias += sign * eps * v[4:]
        gradients.append(ours["flat"](autograd.autograd.grad(ours["train_loss"](model),
                                                             params)).data)
        with autograd.no_grad():
            model.weight -= sign * eps * v[:4].view(1, 4)
            model.bias -= sign * eps * v[4:]
    np.testing.assert_allclose(Hv.data, (gradients[0] - gradients[1]) / (2 * eps), atol=1e-8)


def test_the_exact_hessian_is_the_closed_form(fitted):
    """X1ᵀ diag(p (1 - p)) X1 / n + λ I for the rows X1 = [x, 1]: a positive definite
    matrix, so H^-1 g exists."""
    X, y, _, _ = tabular()
    X1 = np.hstack([X, np.ones((len(X), 1))])
    theta = np.append(fitted.weight.data.ravel(), fitted.bias.data)
    p = 1 / (1 + np.exp(-X1 @ theta))
    expected = X1.T @ (X1 * (p * (1 - p))[:, None]) / len(X) + LAM * np.eye(5)
    H = ours["exact_hessian"](fitted)
    np.testing.assert_allclose(H.data, expected, rtol=1e-12)
    assert autograd.linalg.eigvalsh(H).data.min() > LAM / 2


def test_conjugate_gradients_and_lissa_solve_the_exact_system(fitted):
    g = ours["example_grad"](fitted, 0, test=True)
    exact = autograd.linalg.solve(ours["exact_hessian"](fitted), g).data
    np.testing.assert_allclose(ours["conjugate_gradients"](fitted, g).data, exact, rtol=1e-9)
    errors = [np.abs(ours["lissa"](fitted, g, iterations=k).data - exact).max()
              for k in (20, 200)]
    assert errors[1] < 1e-3 * errors[0] and errors[1] < 1e-9 * np.abs(exact).max()


def test_influence_predicts_the_test_loss_after_retraining_without_each_point(fitted):
    """Removing training point i changes the test loss by about (1/n) g_testᵀ H⁻¹ g_i (Koh and
    Liang); retraining without it (weight 0, Newton to the new optimum) tells."""
    n = 60
    g_test = ours["example_grad"](fitted, 0, test=True)
    h_inv_g = ours["conjugate_gradients"](fitted, g_test)
    before = ours["example_loss"](fitted, 0, test=True).item()
    predicted, actual = [], []
    for i in range(0, 60, 4):
        predicted.append((ours["example_grad"](fitted, i) @ h_inv_g).item() / n)
        weights = autograd.ones(n, dtype=autograd.float64)
        weights[i] = 0.0
        model = ours["make_model"]()
        model.load_state_dict(fitted.state_dict())
        ours["fit"](model, weights, steps=4)
        actual.append(ours["example_loss"](model, 0, test=True).item() - before)
    predicted, actual = np.array(predicted), np.array(actual)
    assert np.corrcoef(predicted, actual)[0, 1] > 0.99
    big = np.abs(actual) > 0.2 * np.abs(actual).max()
    np.testing.assert_allclose(predicted[big], actual[big], rtol=0.3)


def test_tracin_sums_gradient_products_and_its_self_influence_finds_the_flipped_labels():
    scores, self_scores = ours["tracin"](ours["make_model"](), 0)
    assert scores.shape == self_scores.shape == (60,)
    assert set(np.argsort(-self_scores.data)[:2]) <= set(FLIPPED)
    assert self_scores.data[list(FLIPPED)].min() > 5 * np.median(self_scores.data)
    model = ours["make_model"]()
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    by_hand = np.zeros(60)
    for step in range(200):                     # the same run, each product written out
        opt.zero_grad()
        ours["train_loss"](model).backward()
        opt.step()
        if step % 50 == 49:
            g_test = ours["example_grad"](model, 0, test=True).data
            by_hand += [0.5 * ours["example_grad"](model, i).data @ g_test for i in range(60)]
    np.testing.assert_allclose(scores.data, by_hand, rtol=1e-12, atol=1e-15)


def test_per_example_gradients_by_a_loop_are_the_closed_form(fitted):
    """(σ(z_i) - y_i) [x_i, 1] for a logistic regression; the loop reads each parameter's
    .grad (a numpy array here: PyTorch's p.grad.view(-1) is p.grad.reshape(-1))."""
    X, y, _, _ = tabular()
    X1 = np.hstack([X, np.ones((60, 1))])
    theta = np.append(fitted.weight.data.ravel(), fitted.bias.data)
    expected = (1 / (1 + np.exp(-X1 @ theta)) - y)[:, None] * X1
    loop = ours["per_example_by_loop"](fitted)
    np.testing.assert_allclose(loop.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours["example_grad"](fitted, 7).data, expected[7], rtol=1e-12)


def test_torch_func_vmap_of_grad_and_the_jacobian_give_the_loops_rows(fitted):
    """`torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))`, the per-example
    gradients of PyTorch 2, runs as written; so does the Jacobian of the losses with
    reduction='none' (one forward pass, a backward pass per row). Both give the loop's rows."""
    import autograd as torch
    X, y, _, _ = tabular()
    X, y = torch.tensor(X), torch.tensor(y)
    params = {n: p.detach() for n, p in fitted.named_parameters()}

    def one(params, x, t):
        z = torch.func.functional_call(fitted, params, (x[None],)).squeeze(-1)
        return F.binary_cross_entropy_with_logits(z, t[None])

    rows = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0, 0))(params, X, y)
    loop = ours["per_example_by_loop"](fitted).data
    assert rows["weight"].shape == (60, 1, 4) and rows["bias"].shape == (60, 1)
    np.testing.assert_allclose(rows["weight"].data.reshape(60, 4), loop[:, :4], rtol=1e-12)
    np.testing.assert_allclose(rows["bias"].data.reshape(60), loop[:, 4], rtol=1e-12)
    names = list(params)
    blocks = torch.autograd.functional.jacobian(lambda *ps: F.binary_cross_entropy_with_logits(
        torch.func.functional_call(fitted, dict(zip(names, ps)), (X,)).squeeze(-1), y,
        reduction="none"), tuple(params.values()))
    np.testing.assert_allclose(blocks[0].data, rows["weight"].data, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(blocks[1].data, rows["bias"].data, rtol=1e-12, atol=1e-15)


def test_hvp_through_a_small_cnn_is_differences_of_its_gradient():
    """Double backward through a convolution, tanh and average pooling (smooth, so central
    differences of the gradient hold), and gradcheck of the Hessian-vector product itself."""
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(3 * 3 * 3, 2)).double()
    rng = np.random.default_rng(0)
    X = autograd.tensor(rng.random((6, 1, 8, 8)))
    y = autograd.tensor(np.arange(6) % 2)
    params = list(model.parameters())
    v = [autograd.tensor(rng.normal(size=p.shape)) for p in params]

    def gradient():
        return autograd.autograd.grad(F.cross_entropy(model(X), y), params, create_graph=True)

    Hv = autograd.autograd.grad(sum((g * w).sum() for g, w in zip(gradient(), v)), params)
    eps, ends = 1e-6, []
    for sign in (1, -1):
        with autograd.no_grad():
            for p, w in zip(params, v):
                p += sign * eps * w
        ends.append([g.data.copy() for g in gradient()])
        with autograd.no_grad():
            for p, w in zip(params, v):
                p -= sign * eps * w
    for h, plus, minus in zip(Hv, *ends):
        np.testing.assert_allclose(h.data, (plus - minus) / (2 * eps), atol=1e-7)
    weight = params[0]

    def first_layer_hvp(w):
        out = F.linear(autograd.flatten(F.avg_pool2d(F.conv2d(X, w, params[1]).tanh(), 2), 1),
                       params[2], params[3])
        g, = autograd.autograd.grad(F.cross_entropy(out, y), w, create_graph=True)
        return (g * v[0]).sum()

    assert gradcheck(first_layer_hvp, autograd.tensor(weight.data.copy(), requires_grad=True))


# -- the same code in PyTorch ------------------------------------------------------------------

@needs_torch
def test_influence_numbers_match_pytorch():
    theirs = influence_parts(real_torch, real_torch.nn, real_torch.nn.functional,
                             real_torch.optim)
    a, b = ours["fit"](ours["make_model"]()), theirs["fit"](theirs["make_model"]())
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_allclose(p.data, numbers(q), rtol=1e-12, err_msg=name)
    v = np.linspace(-1, 1, 5)
    pairs = {"hvp": (ours["hvp"](a, autograd.tensor(v)), theirs["hvp"](b, real_torch.tensor(v))),
             "hessian": (ours["exact_hessian"](a), theirs["exact_hessian"](b))}
    g_ours, g_theirs = (ours["example_grad"](a, 0, test=True),
                        theirs["example_grad"](b, 0, test=True))
    pairs["cg"] = (ours["conjugate_gradients"](a, g_ours),
                   theirs["conjugate_gradients"](b, g_theirs))
    pairs["lissa"] = (ours["lissa"](a, g_ours, iterations=20),
                      theirs["lissa"](b, g_theirs, iterations=20))
    pairs["per-example"] = (ours["per_example_by_loop"](a), torch_loop(theirs, b))
    pairs["tracin"] = (ours["tracin"](ours["make_model"](), 3)[0],
                       theirs["tracin"](theirs["make_model"](), 3)[0])
    for name, (x, t) in pairs.items():
        x, t = numbers(x), numbers(t)
        assert x.shape == t.shape, name
        np.testing.assert_allclose(x, t, rtol=1e-10, atol=1e-13, err_msg=name)


def torch_loop(parts, model):
    """PyTorch's per-example loop reads p.grad as a tensor (p.grad.flatten())."""
    rows = []
    for i in range(60):
        model.zero_grad()
        parts["example_loss"](model, i).backward()
        rows.append(real_torch.cat([p.grad.flatten() for p in model.parameters()]))
    return real_torch.stack(rows)


@needs_torch
def test_per_example_jacobian_matches_pytorch_s_vmap_of_grad():
    X, y, _, _ = tabular()
    model = nn.Linear(4, 2).double()
    twin = real_torch.nn.Linear(4, 2).double()
    twin.load_state_dict({k: real_torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    names = [n for n, _ in model.named_parameters()]
    from nn.utils.stateless import functional_call
    Xg, yg = autograd.tensor(X), autograd.tensor(y.astype(np.int64))
    blocks = autograd.jacobian(lambda *ps: F.cross_entropy(
        functional_call(model, dict(zip(names, ps)), (Xg,)), yg, reduction="none"),
        tuple(p.detach() for p in model.parameters()))
    func = real_torch.func

    def one(params, x, t):
        out = func.functional_call(twin, params, (x[None],))
        return real_torch.nn.functional.cross_entropy(out, t[None])

    rows = func.vmap(func.grad(one), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in twin.named_parameters()}, real_torch.tensor(X),
        real_torch.tensor(y.astype(np.int64)))
    for block, name in zip(blocks, names):
        np.testing.assert_allclose(block.data, rows[name].numpy(), rtol=1e-12, atol=1e-15)
