"""A user trial: energy-based models, sampling with gradients and curvature, written the PyTorch
way with the imports changed (`import autograd as torch`, `import nn`, `import nn.optim as
optim`). An EBM on 2-D data trained by contrastive divergence, its negatives drawn by Langevin
dynamics from a replay buffer (the parameters frozen by `p.requires_grad = False` while the
sampler takes gradients in the input, `noise.normal_`, `random.choices` of stored chains,
`chunk`); Hamiltonian Monte Carlo on a Bayesian logistic regression (leapfrog steps with
`torch.autograd.grad`, the prior a `torch.distributions.Normal`); continual learning with EWC
(a diagonal Fisher from per-example squared gradients: a loop of backward passes, against
`torch.func.vmap(grad(...))` and a Jacobian; its quadratic penalty); Gauss-Newton /
Levenberg-Marquardt steps on a small regression (`torch.func.functional_call` of a flat θ,
`torch.autograd.functional.jacobian`, `torch.linalg.cholesky`, `torch.cholesky_solve`,
`torch.linalg.solve`; `hessian`, `hvp`, `vhp`, `jvp`, `vjp`); the Hessian's top eigenvalue by
power iteration on Hessian-vector products (a double backward), its trace by Hutchinson's
estimator and both ends of its spectrum by Lanczos (PyHessian's way); sharpness-aware
minimisation (SAM: an `optim.Optimizer` subclass that hands its parameter groups, with its own
`rho`, to a base optimizer, two backward passes per step, the parameters perturbed in place
under `no_grad`); AdaHessian (`loss.backward(create_graph=True)`, Hutchinson's diagonal kept in
the parameters' own attribute `p.hess`, `addcmul_`, `addcdiv_`) and SGLD as `optim.Optimizer`
subclasses, their states through a checkpoint; `torch.autograd.Variable`. Where PyTorch is
installed the same code runs there from the same weights and must give the same numbers.

What differs from PyTorch and is written the glassgrad way here: `p.grad` and `p.data` are
numpy arrays (`torch.as_tensor(p.grad)` makes a Tensor of a gradient; an input moved in place
is moved under `no_grad()`, `x.add_(...)`, not through `x.data.add_`), and `t.max(dim=1)[1]`
names its dim (a positional `t.max(1)` is numpy's), and `.pow_` is `.pow` (no in-place pow)."""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import pytest

import autograd
import nn
import nn.optim
from autograd import gradcheck
from nn import functional as F
from autograd.func import functional_call, grad as func_grad, vmap

from torch_helpers import needs_torch, torch


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while these small models train (see test_diffusion.py), and
    PyTorch's too: its threads, left spinning after a cross-check, slowed the next tests' numpy
    (HMC's chain: 0.6 s of CPU took 7 s)."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    torch_before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    yield
    autograd.set_num_threads(before)
    if torch is not None:
        torch.set_num_threads(torch_before)


MODES = np.array([[-0.5, 0.0], [0.5, 0.0]])


def _course(torch, nn, F, optim):
    """The course's code in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    # -- an energy-based model on 2-D points ---------------------------------------------------

    def two_gaussians(n):
        centres = torch.tensor(MODES, dtype=torch.float32)
        return centres[torch.randint(0, 2, (n,))] + 0.1 * torch.randn(n, 2)

    class EnergyNet(nn.Module):
        """model(x) is -E(x): high where the data are."""

        def __init__(self, hidden=32):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, 1))

        def forward(self, x):
            return self.net(x).squeeze(dim=-1)

    class Sampler:
        """Negatives for contrastive divergence: short Langevin runs started from a replay
        buffer of earlier samples (5 % of each batch fresh uniform noise)."""

        def __init__(self, model, shape, sample_size, max_len=1024):
            self.model, self.shape = model, shape
            self.sample_size, self.max_len = sample_size, max_len
            self.examples = [torch.rand((1,) + shape) * 2 - 1 for _ in range(sample_size)]

        def sample_new_exmps(self, steps=20, step_size=0.005):
            n_new = np.random.binomial(self.sample_size, 0.05)
            fresh = torch.rand((n_new,) + self.shape) * 2 - 1
            old = torch.cat(random.choices(self.examples, k=self.sample_size - n_new), dim=0)
            inp = torch.cat([fresh, old], dim=0).detach()
            inp = Sampler.generate_samples(self.model, inp, steps=steps, step_size=step_size)
            self.examples = list(inp.detach().chunk(self.sample_size, dim=0)) + self.examples
            self.examples = self.examples[:self.max_len]
            return inp

        @staticmethod
        def generate_samples(model, inp, steps=20, step_size=0.005, noises=None):
            """x <- x + step ∇(-E)(x) + sqrt(2 step) z, clamped to the box; `noises` replaces
            the draws (to compare engines)."""
            is_training = model.training
            model.eval()
            for p in model.parameters():
                p.requires_grad = False
            inp.requires_grad = True
            had_gradients_enabled = torch.is_grad_enabled()
            torch.set_grad_enabled(True)
            noise = torch.randn(inp.shape)
            for k in range(steps):
                if noises is None:
                    noise.normal_(0, math.sqrt(2 * step_size))
                else:
                    noise = noises[k]
                with torch.no_grad():
                    inp.add_(noise)
                    inp.clamp_(min=-1.0, max=1.0)
                out = -model(inp)
                out.sum().backward()
                with torch.no_grad():
                    inp.add_(-step_size * torch.as_tensor(inp.grad))
                    inp.grad = None
                    inp.clamp_(min=-1.0, max=1.0)
            for p in model.parameters():
                p.requires_grad = True
            model.train(is_training)
            torch.set_grad_enabled(had_gradients_enabled)
            return inp

    def langevin(model, x, steps, step_size, noises=None):
        """The same chain spelt with autograd.grad: x.requires_grad_() each step, the noise
        by torch.randn_like, the gradient step first, then the noise."""
        x = x.detach()
        for k in range(steps):
            x.requires_grad_()
            (g,) = torch.autograd.grad(-model(x).sum(), x)
            noise = torch.randn_like(x) if noises is None else noises[k]
            x = (x - step_size * g + math.sqrt(2 * step_size) * noise).clamp(-1, 1).detach()
        return x

    def cd_loss(model, real, fake, alpha=0.1):
        real_out, fake_out = model(torch.cat([real, fake], dim=0)).chunk(2, dim=0)
        reg_loss = alpha * (real_out ** 2 + fake_out ** 2).mean()
        cdiv_loss = fake_out.mean() - real_out.mean()
        return reg_loss + cdiv_loss

    # -- Hamiltonian Monte Carlo on a Bayesian logistic regression -----------------------------

    def log_joint(w, X, y, prior_std=2.0):
        prior = torch.distributions.Normal(torch.zeros_like(w), prior_std * torch.ones_like(w))
        log_lik = -F.binary_cross_entropy_with_logits(X @ w, y, reduction="sum")
        return log_lik + prior.log_prob(w).sum()

    def log_joint_bernoulli(w, X, y, prior_std=2.0):
        prior = torch.distributions.Normal(torch.zeros_like(w), prior_std * torch.ones_like(w))
        return (torch.distributions.Bernoulli(logits=X @ w).log_prob(y).sum()
                + prior.log_prob(w).sum())

    def grad_log_prob(log_prob, w):
        w = w.detach().requires_grad_(True)
        lp = log_prob(w)
        (g,) = torch.autograd.grad(lp, w)
        return lp.detach(), g

    def leapfrog(log_prob, q, p, step_size, n_steps):
        _, g = grad_log_prob(log_prob, q)
        p = p + 0.5 * step_size * g
        for i in range(n_steps):
            q = q + step_size * p
            _, g = grad_log_prob(log_prob, q)
            if i < n_steps - 1:
                p = p + step_size * g
        p = p + 0.5 * step_size * g
        return q, -p                    # (the flip makes the proposal its own inverse)

    def hamiltonian(log_prob, q, p):
        return -log_prob(q) + 0.5 * (p ** 2).sum()

    def hmc(log_prob, q, n_samples, step_size, n_steps):
        samples, accepted = [], 0
        for _ in range(n_samples):
            p0 = torch.randn_like(q)
            q_new, p_new = leapfrog(log_prob, q, p0, step_size, n_steps)
            with torch.no_grad():
                log_accept = hamiltonian(log_prob, q, p0) - hamiltonian(log_prob, q_new, p_new)
            if torch.rand(1) < torch.exp(log_accept):
                q, accepted = q_new, accepted + 1
            samples.append(q.detach().clone())
        return torch.stack(samples), accepted / n_samples

    # -- continual learning with elastic weight consolidation ----------------------------------

    class Classifier(nn.Module):
        def __init__(self, hidden=32):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(10, hidden), nn.Linear(hidden, 2)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

    def diag_fisher(model, X, n_samples):
        """E[(∂ log p(ŷ|x) / ∂θ)²] over single examples, ŷ the model's own prediction."""
        fisher = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
        model.eval()
        for i in range(n_samples):
            model.zero_grad()
            out = model(X[i:i + 1])
            label = out.max(dim=1)[1].view(-1)
            F.nll_loss(F.log_softmax(out, dim=1), label).backward()
            for n, p in model.named_parameters():
                fisher[n] += torch.as_tensor(p.grad) ** 2 / n_samples
        model.train()
        return fisher

    class EWC:
        def __init__(self, model, X, n_samples):
            self.means = {n: p.detach().clone() for n, p in model.named_parameters()}
            self.fisher = diag_fisher(model, X, n_samples)

        def penalty(self, model):
            loss = 0
            for n, p in model.named_parameters():
                loss = loss + (self.fisher[n] * (p - self.means[n]) ** 2).sum()
            return loss

    def train_task(model, X, y, epochs, ewc=None, lam=0.0, lr=0.1, batch_size=50):
        optimizer = optim.SGD(model.parameters(), lr=lr)
        for _ in range(epochs):
            order = torch.randperm(len(X))
            for i in range(0, len(X), batch_size):
                idx = order[i:i + batch_size]
                loss = F.cross_entropy(model(X[idx]), y[idx])
                if ewc is not None:
                    loss = loss + lam / 2 * ewc.penalty(model)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    def accuracy(model, X, y):
        with torch.no_grad():
            return (model(X).argmax(dim=1) == y).float().mean().item()

    # -- Gauss-Newton / Levenberg-Marquardt on a small regression ------------------------------

    def flat_model(model, x):
        """The model as a function of one flat parameter vector θ (for jacobian and hessian)."""
        names = [n for n, _ in model.named_parameters()]
        shapes = [p.shape for p in model.parameters()]
        sizes = [p.numel() for p in model.parameters()]

        def f(theta):
            params, i = {}, 0
            for n, s, k in zip(names, shapes, sizes):
                params[n] = theta[i:i + k].view(s)
                i += k
            return torch.func.functional_call(model, params, (x,)).squeeze(-1)
        return f

    def levenberg_marquardt(f, theta, y, steps, lam=1e-3, cholesky=True):
        def loss(t):
            return 0.5 * ((f(t) - y) ** 2).mean()
        history = [loss(theta).item()]
        for _ in range(steps):
            J = torch.autograd.functional.jacobian(f, theta)         # (N, P)
            r = f(theta) - y
            G = J.T @ J / len(y) + lam * torch.eye(theta.numel(), dtype=theta.dtype)
            g = J.T @ r / len(y)
            if cholesky:
                L = torch.linalg.cholesky(G)
                delta = torch.cholesky_solve(g.unsqueeze(1), L).squeeze(1)
            else:
                delta = torch.linalg.solve(G, g)
            new = theta - delta
            if loss(new) < loss(theta):
                theta, lam = new, lam / 3
            else:
                lam = lam * 5
            history.append(loss(theta).item())
        return theta, history

    # -- the Hessian by power iteration and Hutchinson's estimator -----------------------------

    def group_product(xs, ys):
        return sum((x * y).sum() for x, y in zip(xs, ys))

    def normalization(v):
        s = torch.sqrt(group_product(v, v)).item()
        return [vi / (s + 1e-6) for vi in v]

    def hessian_vector_product(grads, params, v):
        return torch.autograd.grad(grads, params, grad_outputs=v, only_inputs=True,
                                   retain_graph=True)

    def top_eigenvalue(loss, params, v, max_iter=200, tol=1e-10):
        grads = torch.autograd.grad(loss, params, create_graph=True)
        v, eigenvalue = normalization(v), None
        for _ in range(max_iter):
            Hv = hessian_vector_product(grads, params, v)
            new = group_product(Hv, v).item()
            v = normalization([h.detach() for h in Hv])
            if eigenvalue is not None and abs(new - eigenvalue) < tol * (abs(eigenvalue) + 1):
                return new, v
            eigenvalue = new
        return eigenvalue, v

    def group_add(xs, ys, alpha=1.0):
        return [x + alpha * y for x, y in zip(xs, ys)]

    def orthnormal(w, v_list):
        for v in v_list:
            w = group_add(w, v, alpha=-group_product(w, v))
        return normalization(w)

    def lanczos(loss, params, v, iters):
        """PyHessian's stochastic Lanczos quadrature, one run: the tridiagonal T of `iters`
        steps (fully reorthogonalised) and its eigenpairs, whose extremes are the Hessian's."""
        grads = torch.autograd.grad(loss, params, create_graph=True)
        v = normalization(v)
        v_list, T = [v], torch.zeros(iters, iters, dtype=torch.float64)
        w_prime = [h.detach() for h in hessian_vector_product(grads, params, v)]
        alpha = group_product(w_prime, v)
        T[0, 0] = alpha
        w = group_add(w_prime, v, alpha=-alpha)
        for i in range(1, iters):
            beta = torch.sqrt(group_product(w, w))
            v = orthnormal(w, v_list)
            v_list.append(v)
            w_prime = [h.detach() for h in hessian_vector_product(grads, params, v)]
            alpha = group_product(w_prime, v)
            T[i, i] = alpha
            T[i - 1, i] = T[i, i - 1] = beta
            w = group_add(group_add(w_prime, v, alpha=-alpha), v_list[-2], alpha=-beta)
        return torch.linalg.eigh(T)

    def hutchinson_trace(model, loss_fn, n_probes):
        """PyHessian's way: `loss.backward(create_graph=True)` leaves p.grad in the graph."""
        params = [p for p in model.parameters() if p.requires_grad]
        model.zero_grad()
        loss_fn().backward(create_graph=True)
        grads = [p.grad for p in params]
        estimates = []
        for _ in range(n_probes):
            v = [torch.randint_like(p, high=2) for p in params]
            for v_i in v:
                v_i[v_i == 0] = -1
            Hv = hessian_vector_product(grads, params, v)
            estimates.append(group_product(Hv, v).item())
        model.zero_grad()
        return sum(estimates) / n_probes

    # -- sharpness-aware minimisation ----------------------------------------------------------

    class SAM(optim.Optimizer):
        def __init__(self, params, base_optimizer, rho=0.05, adaptive=False, **kwargs):
            assert rho >= 0.0, f"Invalid rho, should be non-negative: {rho}"
            defaults = dict(rho=rho, adaptive=adaptive, **kwargs)
            super().__init__(params, defaults)
            self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
            self.param_groups = self.base_optimizer.param_groups
            self.defaults.update(self.base_optimizer.defaults)

        @torch.no_grad()
        def first_step(self, zero_grad=False):
            grad_norm = self._grad_norm()
            for group in self.param_groups:
                scale = group["rho"] / (grad_norm + 1e-12)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self.state[p]["old_p"] = p.detach().clone()
                    e_w = ((torch.pow(p, 2) if group["adaptive"] else 1.0)
                           * torch.as_tensor(p.grad) * scale.to(p))
                    p.add_(e_w)                 # climb to the local maximum "w + e(w)"
            if zero_grad:
                self.zero_grad()

        @torch.no_grad()
        def second_step(self, zero_grad=False):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.copy_(self.state[p]["old_p"])     # back to "w" from "w + e(w)"
            self.base_optimizer.step()          # the sharpness-aware update
            if zero_grad:
                self.zero_grad()

        @torch.no_grad()
        def step(self, closure=None):
            assert closure is not None, "SAM requires a closure"
            closure = torch.enable_grad()(closure)
            self.first_step(zero_grad=True)
            closure()
            self.second_step()

        def _grad_norm(self):
            return torch.norm(torch.stack([
                ((torch.abs(p) if group["adaptive"] else 1.0) * torch.as_tensor(p.grad))
                .norm(p=2)
                for group in self.param_groups for p in group["params"]
                if p.grad is not None]), p=2)

    # -- AdaHessian: Adam with Hutchinson's Hessian diagonal in place of the squared gradient -

    class AdaHessian(optim.Optimizer):
        """loss.backward(create_graph=True), then step(): each parameter's Hessian diagonal,
        estimated with Rademacher probes z as z * (H z), is kept in `p.hess`."""

        def __init__(self, params, lr=0.1, betas=(0.9, 0.999), eps=1e-4, weight_decay=0.0,
                     hessian_power=1.0, n_samples=1, seed=0):
            defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                            hessian_power=hessian_power)
            self.n_samples = n_samples
            super().__init__(params, defaults)
            for p in self.get_params():
                p.hess = 0.0
                self.state[p]["hessian step"] = 0
            self.generator = torch.Generator().manual_seed(seed)

        def get_params(self):
            return (p for group in self.param_groups for p in group["params"]
                    if p.requires_grad)

        def zero_hessian(self):
            for p in self.get_params():
                if not isinstance(p.hess, float):
                    p.hess.zero_()

        @torch.no_grad()
        def set_hessian(self):
            params = [p for p in self.get_params() if p.grad is not None]
            for p in params:
                self.state[p]["hessian step"] += 1
            grads = [p.grad for p in params]
            for i in range(self.n_samples):
                zs = [torch.randint(0, 2, p.size(), generator=self.generator) * 2.0 - 1.0
                      for p in params]
                h_zs = torch.autograd.grad(grads, params, grad_outputs=zs, only_inputs=True,
                                           retain_graph=i < self.n_samples - 1)
                for h_z, z, p in zip(h_zs, zs, params):
                    p.hess += h_z * z / self.n_samples

        @torch.no_grad()
        def step(self, closure=None):
            loss = closure() if closure is not None else None
            self.zero_hessian()
            self.set_hessian()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                    state = self.state[p]
                    if len(state) == 1:                 # only the "hessian step" so far
                        state["step"] = 0
                        state["exp_avg"] = torch.zeros_like(p)
                        state["exp_hessian_diag_sq"] = torch.zeros_like(p)
                    exp_avg, exp_hessian_diag_sq = state["exp_avg"], state["exp_hessian_diag_sq"]
                    beta1, beta2 = group["betas"]
                    state["step"] += 1
                    exp_avg.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                    exp_hessian_diag_sq.mul_(beta2).addcmul_(p.hess, p.hess, value=1 - beta2)
                    bias_correction1 = 1 - beta1 ** state["step"]
                    bias_correction2 = 1 - beta2 ** state["step"]
                    k = group["hessian_power"]
                    denom = (exp_hessian_diag_sq / bias_correction2).pow(k / 2).add_(group["eps"])
                    p.addcdiv_(exp_avg, denom, value=-group["lr"] / bias_correction1)
            return loss

    # -- stochastic gradient Langevin dynamics ---------------------------------------------------

    class SGLD(optim.Optimizer):
        """θ <- θ - lr ∇U(θ) + sqrt(2 lr) z: draws from exp(-U) for small steps."""

        def __init__(self, params, lr=1e-2):
            super().__init__(params, dict(lr=lr))

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.add_(p.grad, alpha=-group["lr"])
                    p.add_(torch.randn_like(p) * math.sqrt(2 * group["lr"]))
            return loss

    return dict(AdaHessian=AdaHessian, SGLD=SGLD, two_gaussians=two_gaussians,
                EnergyNet=EnergyNet, Sampler=Sampler, langevin=langevin, cd_loss=cd_loss,
                log_joint=log_joint,
                log_joint_bernoulli=log_joint_bernoulli,
                grad_log_prob=grad_log_prob, leapfrog=leapfrog, hamiltonian=hamiltonian,
                hmc=hmc, Classifier=Classifier, diag_fisher=diag_fisher, EWC=EWC,
                train_task=train_task, accuracy=accuracy, flat_model=flat_model,
                levenberg_marquardt=levenberg_marquardt,
                hessian_vector_product=hessian_vector_product, top_eigenvalue=top_eigenvalue,
                lanczos=lanczos,
                hutchinson_trace=hutchinson_trace, SAM=SAM)


OURS = _course(autograd, nn, F, nn.optim)


def _theirs():
    return _course(torch, torch.nn, torch.nn.functional, torch.optim)


def _twin(ours, theirs):
    """theirs (a torch module) given our module's weights."""
    theirs.load_state_dict({k: torch.as_tensor(np.array(v.numpy()))
                            for k, v in ours.state_dict().items()})
    return theirs


def _numbers(t) -> np.ndarray:
    return np.array(t.detach().numpy() if hasattr(t, "detach") else t)


# -- the energy-based model --------------------------------------------------------------------

def _train_ebm(seed: int, iters: int = 300):
    # 300 steps: from seeds 0-4, 100 Langevin steps from uniform noise then end within 0.25
    # of a mode 0.78-0.80 of the time, the buffer's chains 0.81-0.87, each mode holding
    # 0.47-0.53 of them (after 200 steps, or with Langevin steps of 0.01, about 0.45: the two
    # modes along x not yet apart)
    autograd.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    model = OURS["EnergyNet"](hidden=32)
    optimizer = nn.optim.Adam(model.parameters(), lr=2e-2, betas=(0.0, 0.999))
    sampler = OURS["Sampler"](model, (2,), sample_size=128)
    losses = []
    for _ in range(iters):
        real = OURS["two_gaussians"](128)
        real += autograd.randn_like(real) * 0.005
        real.clamp_(min=-1.0, max=1.0)
        fake = sampler.sample_new_exmps(steps=20, step_size=0.005)
        loss = OURS["cd_loss"](model, real, fake)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, sampler, np.array(losses)


@pytest.fixture(scope="module")
def trained_ebm():
    return _train_ebm(0)


def _near_a_mode(x: np.ndarray) -> tuple[float, float]:
    """The share of points within 0.25 of a mode, and the left mode's share of those."""
    d = np.linalg.norm(x[:, None] - MODES[None], axis=-1)
    near = d.min(1) < 0.25
    return float(near.mean()), float((d.argmin(1) == 0)[near].mean())


def test_contrastive_divergence_learns_both_modes(trained_ebm):
    model, sampler, losses = trained_ebm
    autograd.manual_seed(1)
    start = autograd.rand(500, 2) * 2 - 1
    assert _near_a_mode(start.numpy())[0] < 0.15              # (2π 0.25² / 4 ≈ 0.1)
    samples = OURS["Sampler"].generate_samples(model, start, steps=100, step_size=0.005)
    near, left = _near_a_mode(samples.detach().numpy())
    assert near > 0.65 and 0.3 < left < 0.7, (near, left)
    with autograd.no_grad():
        gap = (model(OURS["two_gaussians"](500)).mean()
               - model(autograd.rand(500, 2) * 2 - 1).mean()).item()
    assert gap > 2, gap                                       # -E is high on the data
    assert len(sampler.examples) == 1024 and sampler.examples[0].shape == (1, 2)
    # the buffer's chains have reached the data too
    near, _ = _near_a_mode(autograd.cat(sampler.examples[:512], dim=0).numpy())
    assert near > 0.65, near


def test_the_chain_by_autograd_grad_is_the_samplers_and_also_finds_the_modes(trained_ebm):
    model = trained_ebm[0]
    model.zero_grad(set_to_none=True)
    x = autograd.rand(64, 2) * 2 - 1
    zeros = [autograd.zeros(64, 2)] * 30            # without noise both are gradient ascent
    by_backward = OURS["Sampler"].generate_samples(model, x.clone(), steps=30, noises=zeros)
    by_grad = OURS["langevin"](model, x, steps=30, step_size=0.005, noises=zeros)
    np.testing.assert_allclose(by_grad.numpy(), by_backward.detach().numpy(), rtol=1e-6,
                               atol=1e-7)
    # autograd.grad leaves every .grad alone (the weights' too, though they require grad)
    assert not by_grad.requires_grad and all(p.grad is None for p in model.parameters())
    autograd.manual_seed(2)
    drawn = OURS["langevin"](model, autograd.rand(500, 2) * 2 - 1, steps=100, step_size=0.005)
    assert _near_a_mode(drawn.numpy())[0] > 0.65


def test_the_sampler_freezes_the_weights_and_restores_the_modes(trained_ebm):
    model = trained_ebm[0]
    model.zero_grad(set_to_none=True)
    x = autograd.rand(16, 2) * 2 - 1
    with autograd.no_grad():                # the sampler switches gradients on for itself
        out = OURS["Sampler"].generate_samples(model, x, steps=3)
        assert not autograd.is_grad_enabled()
    assert out is x and x.requires_grad and x.grad is None
    assert model.training
    for p in model.parameters():
        assert p.requires_grad and p.grad is None               # frozen: no gradient made
    # a step moves each point by -step ∇E plus its noise: with the noise given, exactly that
    noises = [autograd.tensor(np.random.default_rng(2).normal(0, 0.1, (16, 2)), dtype="float32")]
    x = autograd.tensor([[0.1, 0.2]] * 16)
    y = x.detach().clone().requires_grad_()
    model(y + noises[0]).sum().backward()
    want = np.clip(y.numpy() + noises[0].numpy() + 0.005 * y.grad, -1, 1)
    got = OURS["Sampler"].generate_samples(model, x, steps=1, noises=noises)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-6)


def test_the_energy_and_its_input_gradient_are_the_finite_differences():
    autograd.manual_seed(0)
    model = OURS["EnergyNet"](hidden=8).double()
    x = autograd.randn(5, 2, dtype=autograd.float64, requires_grad=True)
    assert gradcheck(model, (x,))
    # the sampler's gradient, d/dx of sum(-E), taken again in the weights (second order)
    assert autograd.gradgradcheck(lambda xx: model(xx).sum(), (x,))


@needs_torch
def test_langevin_chains_and_the_cd_step_are_pytorchs():
    """From the same weights, start and noise: the same chains after 10 steps, and the same
    CD loss and weight gradients (float64)."""
    theirs = _theirs()
    autograd.manual_seed(3)
    ours = OURS["EnergyNet"](hidden=16).double()
    twin = _twin(ours, theirs["EnergyNet"](hidden=16).double())
    rng = np.random.default_rng(0)
    start = rng.uniform(-1, 1, (32, 2))
    noises = rng.normal(0, 0.1, (10, 32, 2))
    real = rng.normal(0, 0.3, (32, 2))
    chains = []
    for lib, course, model in ((autograd, OURS, ours), (torch, theirs, twin)):
        fake = course["Sampler"].generate_samples(model, lib.tensor(start), steps=10,
                                                  step_size=0.01,
                                                  noises=[lib.tensor(z) for z in noises])
        chains.append(_numbers(fake))
        loss = course["cd_loss"](model, lib.tensor(real), fake.detach())
        model.zero_grad()
        loss.backward()
        chains.append(loss.item())
    np.testing.assert_allclose(chains[0], chains[2], rtol=1e-12, atol=1e-12)
    assert abs(chains[1] - chains[3]) < 1e-12
    reference = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


# -- Hamiltonian Monte Carlo -------------------------------------------------------------------

def _logistic_data(seed: int = 0, n: int = 100):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ np.array([1.5, -2.0, 0.5])))).astype(float)
    return X, y


def _posterior_by_importance_sampling(X, y, prior_std=2.0, draws=40_000):
    """The posterior's mean and standard deviations, by importance sampling from a wide normal
    around the MAP (numpy alone: an independent reference for the sampler)."""
    w = np.zeros(3)
    for _ in range(20):                     # Newton's method for the MAP
        p = 1 / (1 + np.exp(-X @ w))
        g = X.T @ (y - p) - w / prior_std ** 2
        H = -(X.T * (p * (1 - p))) @ X - np.eye(3) / prior_std ** 2
        w = w - np.linalg.solve(H, g)
    cov = np.linalg.inv(-H) * 1.5 ** 2
    rng = np.random.default_rng(1)
    ws = rng.multivariate_normal(w, cov, draws)
    z = ws @ X.T
    log_post = (y * z - np.logaddexp(0, z)).sum(1) - (ws ** 2).sum(1) / (2 * prior_std ** 2)
    log_q = -0.5 * ((np.linalg.solve(np.linalg.cholesky(cov), (ws - w).T)) ** 2).sum(0)
    weights = np.exp(log_post - log_q - (log_post - log_q).max())
    weights /= weights.sum()
    mean = weights @ ws
    return mean, np.sqrt(weights @ (ws - mean) ** 2)


def test_hmc_draws_the_logistic_regressions_posterior():
    X, y = (autograd.tensor(a) for a in _logistic_data())
    autograd.manual_seed(0)
    samples, acceptance = OURS["hmc"](lambda w: OURS["log_joint"](w, X, y),
                                      autograd.zeros(3, dtype=autograd.float64),
                                      n_samples=200, step_size=0.1, n_steps=10)
    assert samples.shape == (200, 3) and samples.dtype == np.float64
    assert 0.7 < acceptance <= 1.0, acceptance
    mean, std = _posterior_by_importance_sampling(X.numpy(), y.numpy())
    kept = samples[40:].numpy()
    # seeds 0-3: the means within 0.08 standard deviations, the deviations within 0.7-1.3x
    np.testing.assert_allclose(kept.mean(0), mean, atol=0.25 * std.min())
    np.testing.assert_allclose(kept.std(0), std, rtol=0.35)


def test_leapfrog_keeps_the_energy_and_runs_back():
    X, y = (autograd.tensor(a) for a in _logistic_data())

    def log_prob(w):
        return OURS["log_joint"](w, X, y)

    q = autograd.tensor([1.0, -1.5, 0.2], dtype=autograd.float64)
    p = autograd.tensor([0.3, -0.7, 1.1], dtype=autograd.float64)
    H0 = OURS["hamiltonian"](log_prob, q, p).item()
    errors = []
    for step in (0.04, 0.02):
        q1, p1 = OURS["leapfrog"](log_prob, q, p, step, int(0.4 / step))
        errors.append(abs(OURS["hamiltonian"](log_prob, q1, p1).item() - H0))
        q2, p2 = OURS["leapfrog"](log_prob, q1, p1, step, int(0.4 / step))
        # reversible: from the end, with the momentum flipped, back to the start
        np.testing.assert_allclose(q2.numpy(), q.numpy(), atol=1e-12)
        np.testing.assert_allclose(p2.numpy(), p.numpy(), atol=1e-12)
    assert 3 < errors[0] / errors[1] < 5, errors            # second order: h² -> h²/4
    assert errors[0] < 0.05


def test_the_log_joint_in_its_two_spellings_and_its_gradient():
    X, y = (autograd.tensor(a) for a in _logistic_data())
    w = autograd.tensor([0.4, -0.3, 1.2], dtype=autograd.float64, requires_grad=True)
    a = OURS["log_joint"](w, X, y)
    b = OURS["log_joint_bernoulli"](w, X, y)
    assert abs(a.item() - b.item()) < 1e-10
    z = X.numpy() @ w.numpy()
    want = (y.numpy() * z - np.logaddexp(0, z)).sum() - (w.numpy() ** 2).sum() / 8 \
        - 3 * math.log(2.0 * math.sqrt(2 * math.pi))
    assert abs(a.item() - want) < 1e-10
    lp, g = OURS["grad_log_prob"](lambda v: OURS["log_joint"](v, X, y), w)
    assert lp.requires_grad is False and g.requires_grad is False
    np.testing.assert_allclose(g.numpy(), X.numpy().T @ (y.numpy() - 1 / (1 + np.exp(-z)))
                               - w.numpy() / 4, rtol=1e-12)
    assert gradcheck(lambda v: OURS["log_joint_bernoulli"](v, X, y), (w,))


@needs_torch
def test_a_leapfrog_trajectory_is_pytorchs():
    theirs = _theirs()
    Xn, yn = _logistic_data()
    q0, p0 = np.array([0.2, 0.1, -0.3]), np.array([1.0, -0.5, 0.25])
    ends = []
    for lib, course in ((autograd, OURS), (torch, theirs)):
        X, y = lib.tensor(Xn), lib.tensor(yn)
        q, p = course["leapfrog"](lambda w: course["log_joint"](w, X, y), lib.tensor(q0),
                                  lib.tensor(p0), 0.05, 20)
        ends += [_numbers(q), _numbers(p)]
    np.testing.assert_allclose(ends[0], ends[2], rtol=1e-12)
    np.testing.assert_allclose(ends[1], ends[3], rtol=1e-12)


# -- elastic weight consolidation --------------------------------------------------------------

RULE_A = np.linspace(-1, 1, 10)
RULE_B = RULE_A[::-1] * np.array([1, -1] * 5)


def _task(rng: np.random.Generator, n: int, shift: float = 1.0, rule: np.ndarray = RULE_A):
    """Labels from a noisy linear rule of 10 features around `shift` (the second task's points
    lie elsewhere, so that one network can learn both, and its rule differs)."""
    X = rng.normal(size=(n, 10)).astype(np.float32)
    y = (X @ rule + 0.3 * np.sin(3 * X[:, 0]) > 0).astype(np.int64)
    return autograd.tensor(X + shift), autograd.tensor(y)


def test_ewc_keeps_the_first_task_where_plain_training_forgets_it():
    # seeds 0-2: plain training on B leaves 0.85-0.89 of A, EWC (λ = 100) 0.95-0.96, and
    # both reach 0.93 or more on B
    rng = np.random.default_rng(0)
    XA, yA = _task(rng, 400)
    XB, yB = _task(rng, 400, -1.0, RULE_B)
    autograd.manual_seed(0)
    model = OURS["Classifier"]()
    OURS["train_task"](model, XA, yA, epochs=15)
    after_a = OURS["accuracy"](model, XA, yA)
    assert after_a > 0.93, after_a
    ewc = OURS["EWC"](model, XA, n_samples=200)
    assert set(ewc.fisher) == {n for n, _ in model.named_parameters()}
    assert all((f.numpy() >= 0).all() and not f.requires_grad for f in ewc.fisher.values())
    plain = OURS["Classifier"]()
    plain.load_state_dict(model.state_dict())
    OURS["train_task"](plain, XB, yB, epochs=15)
    OURS["train_task"](model, XB, yB, epochs=15, ewc=ewc, lam=100.0)
    forgot = OURS["accuracy"](plain, XA, yA)
    kept = OURS["accuracy"](model, XA, yA)
    assert OURS["accuracy"](plain, XB, yB) > 0.9 and OURS["accuracy"](model, XB, yB) > 0.9
    assert kept > 0.93 and kept > forgot + 0.05, (kept, forgot)
    # the penalty is what it says: zero at the means, F (Δθ)² summed
    moved = {n: p.detach() - ewc.means[n] for n, p in model.named_parameters()}
    assert abs(ewc.penalty(model).item() - sum((ewc.fisher[n] * d ** 2).sum().item()
                                               for n, d in moved.items())) < 1e-4
    assert ewc.penalty(plain).item() > ewc.penalty(model).item()


def test_the_fisher_is_the_per_example_gradients_squared_by_vmap_and_by_the_jacobian():
    """The loop of single-example backward passes against torch.func's per-example gradients,
    vmap(grad(...)) over the rows, and one Jacobian of the unreduced losses (float64)."""
    rng = np.random.default_rng(1)
    X, _ = _task(rng, 30)
    X = X.double()
    autograd.manual_seed(1)
    model = OURS["Classifier"](hidden=6).double()
    fisher = OURS["diag_fisher"](model, X, n_samples=30)
    params = {n: p.detach() for n, p in model.named_parameters()}
    with autograd.no_grad():
        labels = model(X).argmax(dim=1)

    def loss_one(params, x, y):
        out = functional_call(model, params, (x.unsqueeze(0),))
        return F.nll_loss(F.log_softmax(out, dim=1), y.unsqueeze(0))
    per_example = vmap(func_grad(loss_one), in_dims=(None, 0, 0))(params, X, labels)

    def losses(*values):
        out = functional_call(model, dict(zip(params, values)), (X,))
        return F.nll_loss(F.log_softmax(out, dim=1), labels, reduction="none")
    rows = autograd.jacobian(losses, tuple(params.values()))
    for name, block in zip(params, rows):
        assert per_example[name].shape == (30,) + params[name].shape
        for squares in ((per_example[name].numpy() ** 2).mean(0), (block.numpy() ** 2).mean(0)):
            np.testing.assert_allclose(fisher[name].numpy(), squares, rtol=1e-10, atol=1e-15,
                                       err_msg=name)


@needs_torch
def test_the_fisher_and_the_ewc_loss_are_pytorchs():
    theirs = _theirs()
    rng = np.random.default_rng(2)
    Xn, yn = (a.numpy() for a in _task(rng, 40))
    autograd.manual_seed(2)
    ours = OURS["Classifier"](hidden=8).double()
    twin = _twin(ours, theirs["Classifier"](hidden=8).double())
    fishers, grads = [], []
    for lib, course, model in ((autograd, OURS, ours), (torch, theirs, twin)):
        X, y = lib.tensor(Xn.astype(np.float64)), lib.tensor(yn)
        ewc = course["EWC"](model, X, n_samples=40)
        fishers.append({n: _numbers(f) for n, f in ewc.fisher.items()})
        with lib.no_grad():
            for p in model.parameters():
                p.add_(0.05)
        loss = F_of(lib).cross_entropy(model(X), y) + 50.0 * ewc.penalty(model)
        model.zero_grad()
        loss.backward()
        grads.append({n: _numbers(p.grad) for n, p in model.named_parameters()})
    for name in fishers[1]:
        np.testing.assert_allclose(fishers[0][name], fishers[1][name], rtol=1e-10,
                                   atol=1e-15, err_msg=name)
        np.testing.assert_allclose(grads[0][name], grads[1][name], rtol=1e-10, atol=1e-14,
                                   err_msg=name)


def F_of(lib):
    return F if lib is autograd else torch.nn.functional


# -- Gauss-Newton / Levenberg-Marquardt --------------------------------------------------------

def _sine(lib):
    x = lib.linspace(-2, 2, 40, dtype=lib.float64).unsqueeze(1)
    noise = np.random.default_rng(0).normal(0, 0.05, 40)
    return x, lib.sin(2 * x).squeeze(-1) + lib.tensor(noise)


def _sine_fit(seed: int, hidden: int):
    """A 1-hidden-1 tanh network for the sine, its data, and it as a function of flat θ."""
    autograd.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1)).double()
    x, y = _sine(autograd)
    theta = nn.utils.parameters_to_vector(model.parameters()).detach()
    return model, x, y, OURS["flat_model"](model, x), theta


def test_levenberg_marquardt_fits_the_sine_and_its_two_solves_agree():
    model, x, y, f, theta0 = _sine_fit(0, 16)
    assert theta0.shape == (49,)
    theta, history = OURS["levenberg_marquardt"](f, theta0, y, steps=25)
    assert history[-1] < 1e-3 < history[0] and all(np.diff(history) <= 0), history
    _, by_solve = OURS["levenberg_marquardt"](f, theta0, y, steps=25, cholesky=False)
    np.testing.assert_allclose(by_solve, history, rtol=1e-8)
    nn.utils.vector_to_parameters(theta, model.parameters())
    assert F.mse_loss(model(x).squeeze(-1), y).item() < 2e-3  # 0.0025 is the noise's variance
    # the Jacobian in θ: a row per point, against central differences
    J = autograd.autograd.functional.jacobian(f, theta0)
    assert J.shape == (40, 49)
    assert gradcheck(f, (theta0.clone().requires_grad_(),))


def test_hvp_vhp_jvp_and_vjp_are_products_with_the_whole_matrices():
    _, _, y, f, theta = _sine_fit(1, 6)

    def loss(t):
        return 0.5 * ((f(t) - y) ** 2).mean()
    functional = autograd.autograd.functional
    H, J = functional.hessian(loss, theta), functional.jacobian(f, theta)
    np.testing.assert_allclose(H.numpy(), H.numpy().T, atol=1e-14)
    v = autograd.tensor(np.random.default_rng(0).normal(size=theta.shape))
    u = autograd.tensor(np.random.default_rng(1).normal(size=40))
    products = {"hvp": (functional.hvp(loss, theta, v)[1], H @ v),
                "vhp": (functional.vhp(loss, theta, v)[1], v @ H),
                "jvp": (functional.jvp(f, theta, v)[1], J @ v),
                "vjp": (functional.vjp(f, theta, u)[1], u @ J)}
    for name, (product, whole) in products.items():
        np.testing.assert_allclose(product.numpy(), whole.numpy(), rtol=1e-10, atol=1e-13,
                                   err_msg=name)
    # Gauss-Newton is the Hessian without the residuals' curvature: Jᵀ J / N + Σ r ∇²f / N
    assert np.linalg.eigvalsh((J.T @ J).numpy()).min() > -1e-12


@needs_torch
def test_the_jacobian_the_hessian_and_a_damped_step_are_pytorchs():
    theirs = _theirs()
    autograd.manual_seed(2)
    ours = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    twin = _twin(ours, torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(),
                                           torch.nn.Linear(8, 1)).double())
    results = []
    for lib, course, model, utils in ((autograd, OURS, ours, nn.utils),
                                      (torch, theirs, twin, torch.nn.utils)):
        x, y = _sine(lib)
        f = course["flat_model"](model, x)
        theta = utils.parameters_to_vector(model.parameters()).detach()
        functional = lib.autograd.functional
        results.append((functional.jacobian(f, theta),
                        functional.hessian(lambda t: 0.5 * ((f(t) - y) ** 2).mean(), theta),
                        course["levenberg_marquardt"](f, theta, y, steps=3)[0]))
    for name, a, b in zip(("jacobian", "hessian", "3 steps"), *results):
        np.testing.assert_allclose(_numbers(a), _numbers(b), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


# -- the Hessian's spectrum by Hessian-vector products -----------------------------------------

def _xor_like(lib, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 5))
    return lib.tensor(X), lib.tensor((X[:, 0] * X[:, 1] > 0).astype(np.int64))


def _small_net(seed: int = 0):
    autograd.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).double()


def _exact_hessian(model, X, y):
    """The cross-entropy's Hessian in the weights, (P, P), by autograd.hessian in a flat θ."""
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())

    def loss(theta):
        d, i = {}, 0
        for n, p in zip(names, params):
            d[n] = theta[i:i + p.numel()].view_as(p)
            i += p.numel()
        return F.cross_entropy(functional_call(model, d, (X,)), y)
    theta = nn.utils.parameters_to_vector(params).detach()
    return autograd.hessian(loss, theta).numpy()


def test_power_iteration_finds_the_top_eigenvalue_and_hutchinson_the_trace():
    model = _small_net()
    X, y = _xor_like(autograd)
    params = [p for p in model.parameters() if p.requires_grad]
    autograd.manual_seed(5)
    v = [autograd.randn_like(p) for p in params]
    top, vector = OURS["top_eigenvalue"](F.cross_entropy(model(X), y), params, v)
    H = _exact_hessian(model, X, y)
    eigenvalues = np.linalg.eigvalsh(H)
    assert eigenvalues[-1] > abs(eigenvalues[0])       # the largest is the largest in size
    # (to 1e-5: PyHessian's normalisation divides by |v| + 1e-6, so vᵀHv is λ(1 - 2e-6))
    assert abs(top - eigenvalues[-1]) < 1e-5 * eigenvalues[-1], (top, eigenvalues[-1])
    flat = np.concatenate([t.numpy().ravel() for t in vector])
    np.testing.assert_allclose(H @ flat, top * flat, atol=1e-4)     # H v = λ v
    # the trace: Rademacher probes, 300 of them (each one a Hessian-vector product)
    autograd.manual_seed(6)
    trace = OURS["hutchinson_trace"](model, lambda: F.cross_entropy(model(X), y), 300)
    assert abs(trace - np.trace(H)) < 0.1 * np.trace(H), (trace, np.trace(H))
    assert all(p.grad is None for p in model.parameters())


def test_lanczos_ritz_values_reach_both_ends_of_the_spectrum():
    model = _small_net(7)
    X, y = _xor_like(autograd, 7)
    params = list(model.parameters())
    autograd.manual_seed(7)
    ritz, vectors = OURS["lanczos"](F.cross_entropy(model(X), y), params,
                                    [autograd.randn_like(p) for p in params], iters=30)
    assert ritz.shape == (30,) and vectors.shape == (30, 30)
    eigenvalues = np.linalg.eigvalsh(_exact_hessian(model, X, y))
    # (to 1e-5 of the largest: the normalisation by |v| + 1e-6 leaves each v 1e-6 short)
    assert abs(ritz[-1].item() - eigenvalues[-1]) < 1e-5 * eigenvalues[-1]
    assert abs(ritz[0].item() - eigenvalues[0]) < 1e-5 * eigenvalues[-1]
    # the Ritz values lie within the spectrum, and the weights (first components) sum to 1
    assert eigenvalues[0] - 1e-5 <= ritz.numpy().min() and ritz.numpy().max() <= \
        eigenvalues[-1] + 1e-5
    assert abs((vectors[0] ** 2).sum().item() - 1) < 1e-10


def test_hessian_vector_products_of_a_recorded_gradient_are_the_finite_differences():
    model = _small_net(1)
    X, y = _xor_like(autograd, 1)
    params = list(model.parameters())
    model.zero_grad()
    F.cross_entropy(model(X), y).backward(create_graph=True)
    grads = [p.grad for p in params]
    assert all(isinstance(g, autograd.Tensor) and g.requires_grad for g in grads)
    rng = np.random.default_rng(0)
    v = [autograd.tensor(rng.normal(size=p.shape)) for p in params]
    Hv = OURS["hessian_vector_product"](grads, params, v)
    # against differences of the gradient along v
    eps = 1e-6
    moved = []
    for sign in (1, -1):
        with autograd.no_grad():
            for p, vi in zip(params, v):
                p.add_(sign * eps * vi)
        moved.append(autograd.grad(F.cross_entropy(model(X), y), params))
        with autograd.no_grad():
            for p, vi in zip(params, v):
                p.sub_(sign * eps * vi)
    for h, up, down in zip(Hv, *moved):
        np.testing.assert_allclose(h.numpy(), (up.numpy() - down.numpy()) / (2 * eps),
                                   atol=1e-7)


@needs_torch
def test_the_top_eigenvalue_and_the_hessian_vector_products_are_pytorchs():
    theirs = _theirs()
    ours = _small_net(2)
    twin = _twin(ours, torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                           torch.nn.Linear(8, 2)).double())
    v0 = [np.random.default_rng(i).normal(size=p.shape) for i, p in enumerate(ours.parameters())]
    found = []
    for lib, course, model in ((autograd, OURS, ours), (torch, theirs, twin)):
        X, y = _xor_like(lib, 2)
        params = list(model.parameters())
        loss = F_of(lib).cross_entropy(model(X), y)
        grads = lib.autograd.grad(loss, params, create_graph=True)
        Hv = course["hessian_vector_product"](grads, params, [lib.tensor(a) for a in v0])
        top, _ = course["top_eigenvalue"](loss, params, [lib.tensor(a) for a in v0])
        found.append(([_numbers(h) for h in Hv], top))
    for a, b in zip(found[0][0], found[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert abs(found[0][1] - found[1][1]) < 1e-9 * abs(found[1][1])


# -- sharpness-aware minimisation --------------------------------------------------------------

def _disc(lib, seed: int = 0, n: int = 256):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return lib.tensor(X), lib.tensor(((X ** 2).sum(1) < 1.2).astype(np.int64))


def _disc_net():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))


def test_sam_perturbs_by_rho_along_the_gradient_and_steps_from_where_it_was():
    autograd.manual_seed(0)
    model = _disc_net()
    X, y = _disc(autograd)
    optimizer = OURS["SAM"](model.parameters(), nn.optim.SGD, rho=0.05, lr=0.1, momentum=0.9)
    # SAM's groups are its base optimizer's, with rho and adaptive kept in them
    assert optimizer.param_groups is optimizer.base_optimizer.param_groups
    group = optimizer.param_groups[0]
    assert (group["rho"], group["adaptive"], group["lr"], group["momentum"]) == \
        (0.05, False, 0.1, 0.9)
    before = [p.detach().clone() for p in model.parameters()]
    F.cross_entropy(model(X), y).backward()
    g = [p.grad.copy() for p in model.parameters()]
    optimizer.first_step(zero_grad=True)
    e_w = [(p.detach() - b).numpy() for p, b in zip(model.parameters(), before)]
    assert abs(math.sqrt(sum((e ** 2).sum() for e in e_w)) - 0.05) < 1e-6     # |e(w)| = rho
    norm = math.sqrt(sum((gi ** 2).sum() for gi in g))
    for e, gi in zip(e_w, g):
        np.testing.assert_allclose(e, 0.05 * gi / norm, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())
    F.cross_entropy(model(X), y).backward()             # the gradient at w + e(w)
    sharp = [p.grad.copy() for p in model.parameters()]
    optimizer.second_step(zero_grad=True)
    for p, b, s in zip(model.parameters(), before, sharp):
        np.testing.assert_allclose(p.detach().numpy(), b.numpy() - 0.1 * s, atol=1e-6)
    assert set(optimizer.state[model[0].weight]) == {"old_p"}


def test_sam_trains_with_its_closure_and_a_scheduler():
    autograd.manual_seed(1)
    model = _disc_net()
    X, y = _disc(autograd, 1)
    optimizer = OURS["SAM"](model.parameters(), nn.optim.SGD, rho=0.05, adaptive=True, lr=0.2,
                            momentum=0.9)
    scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(optimizer.base_optimizer, T_max=150)

    def closure():
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        return loss
    losses = []
    for _ in range(150):
        losses.append(closure().item())           # the first backward, at w
        optimizer.step(closure)                   # the second, at w + e(w), then the step
        optimizer.zero_grad()
        scheduler.step()
    assert losses[-1] < 0.2 < losses[0], losses[::30]
    assert (model(X).argmax(dim=1) == y).float().mean().item() > 0.95
    assert optimizer.param_groups[0]["lr"] < 1e-3         # the scheduler reached SAM's groups


@needs_torch
@pytest.mark.parametrize("adaptive", [False, True])
def test_sam_steps_are_pytorchs(adaptive):
    theirs = _theirs()
    autograd.manual_seed(2)
    ours = _disc_net().double()
    twin = _twin(ours, torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 2)).double())
    for lib, course, model, optim in ((autograd, OURS, ours, nn.optim),
                                      (torch, theirs, twin, torch.optim)):
        X, y = _disc(lib, 2, n=64)
        X = X.double()
        optimizer = course["SAM"](model.parameters(), optim.SGD, rho=0.1, adaptive=adaptive,
                                  lr=0.1, momentum=0.9)

        def closure():
            loss = F_of(lib).cross_entropy(model(X), y)
            loss.backward()
            return loss
        for _ in range(3):
            closure()
            optimizer.step(closure)
            optimizer.zero_grad()
    reference = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), reference[name].detach().numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)


# -- what the trial changed in nn.optim: PyTorch's groups and state -----------------------------

def test_a_parameter_group_keeps_entries_that_are_not_hyperparameters():
    w, b = (nn.Parameter(autograd.zeros(2)) for _ in range(2))
    optimizer = nn.optim.Adam([{"params": [w], "name": "backbone", "lr_mult": 0.1},
                               {"params": [b], "name": "head"}], lr=1e-3)
    assert [g["name"] for g in optimizer.param_groups] == ["backbone", "head"]
    assert optimizer.param_groups[0]["lr_mult"] == 0.1
    saved = optimizer.state_dict()
    fresh = nn.optim.Adam([{"params": [w], "name": "backbone", "lr_mult": 0.1},
                           {"params": [b], "name": "head"}], lr=1e-3)
    fresh.load_state_dict(saved)                    # (the tags come back with the groups)
    assert fresh.param_groups[1]["name"] == "head"
    # a hyperparameter misspelt is still refused, saying which one was meant
    with pytest.raises(ValueError, match=r"SGD: unknown hyperparameter\(s\) \['momentom'\] in a "
                       r"parameter group \(meant \['momentum'\]\?\)"):
        nn.optim.SGD([{"params": [w], "momentom": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match=r"\['learning_rate'\].*meant \['lr'\]"):
        nn.optim.Adam([{"params": [w], "learning_rate": 0.1}])
    # tags the optimizer's own groups lack are refused on load, as before (a state dict of
    # another optimizer's would fit otherwise)
    with pytest.raises(ValueError, match=r"group 0 has unknown hyperparameter\(s\) "
                       r"\['lr_mult', 'name'\]"):
        nn.optim.Adam([w], lr=1e-3).load_state_dict(
            {"state": {}, "param_groups": [{**saved["param_groups"][0], "params": [0]}]})


def test_the_optimizers_state_is_a_defaultdict_as_pytorchs():
    """A custom optimizer's step writes `self.state[p]["..."]` for a parameter it has not seen;
    a built-in one still starts its state when it finds an empty entry there."""
    w = nn.Parameter(autograd.tensor([1.0, -2.0]))
    optimizer = nn.optim.Adam([w], lr=0.1)
    assert optimizer.state[w] == {}             # read before the first step: an empty entry
    (w ** 2).sum().backward()
    optimizer.step()
    assert optimizer.state[w]["step"] == 1 and optimizer.state[w]["exp_avg"].shape == (2,)
    np.testing.assert_allclose(w.data, [0.9, -1.9], rtol=1e-6)
    optimizer.load_state_dict(optimizer.state_dict())
    assert optimizer.state[nn.Parameter(autograd.zeros(1))] == {}


# -- AdaHessian and SGLD: optimizers that keep curvature, and that sample ----------------------

def test_adahessian_keeps_hutchinsons_diagonal_in_p_hess_and_trains():
    model = _small_net(3)
    X, y = _xor_like(autograd, 3)
    optimizer = OURS["AdaHessian"](model.parameters(), n_samples=400, seed=0)
    assert all(p.hess == 0.0 for p in model.parameters())      # the user's own attribute
    model.zero_grad()
    F.cross_entropy(model(X), y).backward(create_graph=True)
    optimizer.set_hessian()
    diagonal = np.concatenate([p.hess.numpy().ravel() for p in model.parameters()])
    exact = np.diag(_exact_hessian(model, X, y))
    # 400 probes: each entry within 4 standard errors (z Hz's variance is Σ_j≠i H_ij²)
    H = _exact_hessian(model, X, y)
    spread = np.sqrt(((H ** 2).sum(1) - exact ** 2) / 400)
    assert (np.abs(diagonal - exact) < 4 * spread + 1e-12).all()
    # and it trains: the disc, 60 steps of one probe each
    autograd.manual_seed(4)
    net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
    Xd, yd = _disc(autograd, 4)
    optimizer = OURS["AdaHessian"](net.parameters(), lr=0.1)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(Xd), yd)
        loss.backward(create_graph=True)
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses[::10]
    first = net[0].weight
    assert optimizer.state[first]["step"] == 60 and optimizer.state[first]["hessian step"] == 60
    assert first.hess.shape == first.shape


@needs_torch
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_adahessian_steps_are_pytorchs_given_the_same_probes(monkeypatch):
    """One probe of ones (z = 1 everywhere, in both engines) instead of the generator's draws
    (PyTorch warns of the reference cycle p.grad makes with create_graph=True)."""
    theirs = _theirs()
    ours = _small_net(4)
    twin = _twin(ours, torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                           torch.nn.Linear(8, 2)).double())
    for lib, course, model in ((autograd, OURS, ours), (torch, theirs, twin)):
        X, y = _xor_like(lib, 4)
        optimizer = course["AdaHessian"](model.parameters(), lr=0.05)
        monkeypatch.setattr(lib, "randint", lambda low, high, size, generator=None:
                            lib.ones(size, dtype=lib.long))
        for _ in range(3):
            optimizer.zero_grad()
            F_of(lib).cross_entropy(model(X), y).backward(create_graph=True)
            optimizer.step()
        monkeypatch.undo()
    reference = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), reference[name].detach().numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(p.hess.numpy(), reference[name].hess.numpy(), rtol=1e-10,
                                   atol=1e-13, err_msg=name)


def test_sgld_draws_a_bayesian_linear_regressions_posterior():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = X @ np.array([1.0, -0.5]) + 0.5 * rng.normal(size=50)
    precision = X.T @ X / 0.25 + np.eye(2)              # noise 0.5, prior N(0, 1)
    mean = np.linalg.solve(precision, X.T @ y / 0.25)
    Xt, yt = autograd.tensor(X), autograd.tensor(y)
    autograd.manual_seed(0)
    w = autograd.zeros(2, dtype=autograd.float64, requires_grad=True)
    optimizer = OURS["SGLD"]([w], lr=2e-3)
    draws = []
    for i in range(4000):
        optimizer.zero_grad()
        U = ((yt - Xt @ w) ** 2).sum() / (2 * 0.25) + (w ** 2).sum() / 2     # -log posterior
        U.backward()
        optimizer.step()
        if i >= 500:
            draws.append(w.detach().clone())
    draws = autograd.stack(draws).numpy()
    sd = np.sqrt(np.diag(np.linalg.inv(precision)))
    np.testing.assert_allclose(draws.mean(0), mean, atol=0.3 * sd.min())
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.3)


# -- PyTorch's spellings the trial needed ------------------------------------------------------

def test_variable_is_a_new_leaf_over_the_same_numbers():
    """JEM's and older EBM code: x_k = Variable(x_k, requires_grad=True) before each step."""
    clf = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    x = autograd.randn(4, 2)
    x_k = autograd.autograd.Variable(x, requires_grad=True)
    assert x_k.is_leaf and x_k.requires_grad and isinstance(x, autograd.autograd.Variable)
    energy = -autograd.logsumexp(clf(x_k), 1)
    (g,) = autograd.autograd.grad(energy.sum(), [x_k], retain_graph=True)
    assert g.shape == (4, 2) and not x.requires_grad
    with autograd.no_grad():
        x_k.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), x_k.detach().numpy())     # shared numbers
    assert autograd.autograd.Variable(x).requires_grad is False
    with pytest.raises(TypeError, match="Variable: data has to be a Tensor, got a list"):
        autograd.autograd.Variable([1.0, 2.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        autograd.autograd.Variable(x, volatile=True)


def test_addcmul_and_addcdiv_in_place():
    t = autograd.tensor([1.0, 2.0], dtype=autograd.float64)
    a, b = np.array([2.0, 3.0]), autograd.tensor([4.0, 6.0], dtype=autograd.float64)
    assert t.addcmul_(a, b, value=0.5) is t
    np.testing.assert_allclose(t.numpy(), [5.0, 11.0])
    t.addcdiv_(a, b, value=-2)
    np.testing.assert_allclose(t.numpy(), [4.0, 10.0])
    p = nn.Parameter(autograd.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="addcmul_ on a tensor that requires grad"):
        p.addcmul_(a, a)
    with autograd.no_grad():                    # a parameter, under no_grad (an optimizer)
        p.addcdiv_(a, b.float(), value=-1.0)
    np.testing.assert_allclose(p.numpy(), [0.5, 0.5])
    # a constant that takes in a tensor wanting a gradient joins the graph, as with add_
    w = autograd.tensor([0.5, -1.0], dtype=autograd.float64, requires_grad=True)
    c = autograd.zeros(2, dtype=autograd.float64)
    c.addcmul_(w, w, value=3.0)
    c.sum().backward()
    np.testing.assert_allclose(w.grad, 6.0 * w.numpy())
    with pytest.raises(ValueError, match="addcmul_: cannot update the tensor"):
        autograd.zeros(2).addcmul_(autograd.ones(3), autograd.ones(3))


@needs_torch
def test_addcmul_and_addcdiv_are_pytorchs():
    rng = np.random.default_rng(0)
    t0, a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.uniform(1, 2, size=3)
    results = []
    for lib in (autograd, torch):
        t = lib.tensor(t0)
        t.addcmul_(lib.tensor(a), lib.tensor(b), value=0.3).addcdiv_(lib.tensor(a),
                                                                      lib.tensor(b), value=-2)
        results.append(_numbers(t))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-14)


@pytest.mark.parametrize("name, says", [
    ("lobpcg", r"autograd\.linalg\.eigh\(A\).*power iteration on Hessian-vector products"),
    ("forward_ad", r"reverse mode only.*autograd\.jvp\(f, x, v\)"),
    ("eig", r"gone from PyTorch too.*autograd\.linalg\.eigh\(A\)"),
    ("symeig", r"gone from PyTorch too.*autograd\.linalg\.eigh\(A\)"),
])
def test_what_is_not_here_says_what_to_write(name, says):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'; PyTorch's "
                       f"torch.{name} is .*{says}"):
        getattr(autograd.autograd, name)
    # and what it names exists
    assert callable(autograd.linalg.eigh) and callable(autograd.jvp)


def test_a_users_optimizers_state_comes_back_from_a_checkpoint(tmp_path):
    """AdaHessian's own entries (Tensors, its counts): saved in a .pt file and loaded into a
    fresh optimizer of a copy of the model, the next steps are the same; SAM's old_p too."""
    X, y = _xor_like(autograd, 5)
    model = _small_net(5)
    optimizer = OURS["AdaHessian"](model.parameters(), lr=0.05, seed=1)

    def step(net, opt):
        opt.zero_grad()
        F.cross_entropy(net(X), y).backward(create_graph=True)
        opt.step()
    for _ in range(3):
        step(model, optimizer)
    nn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "run.pt")
    saved = nn.load(tmp_path / "run.pt")
    twin = _small_net(6)
    twin.load_state_dict(saved["model"])
    resumed = OURS["AdaHessian"](twin.parameters(), lr=0.05, seed=1)
    resumed.load_state_dict(saved["optimizer"])
    state = resumed.state[twin[0].weight]
    assert state["step"] == 3 and state["hessian step"] == 3
    assert isinstance(state["exp_avg"], autograd.Tensor) and state["exp_avg"].dtype == np.float64
    resumed.generator = copy.deepcopy(optimizer.generator)     # (not in the state)
    for _ in range(2):
        step(model, optimizer)
        step(twin, resumed)
    for (name, a), b in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                   err_msg=name)
    # in memory: SAM's old_p comes back as the Tensor it was, a copy
    sam_model = _disc_net()
    sam = OURS["SAM"](sam_model.parameters(), nn.optim.SGD, rho=0.05, lr=0.1)
    Xd, yd = _disc(autograd)
    F.cross_entropy(sam_model(Xd), yd).backward()
    sam.first_step(zero_grad=True)
    sd = sam.state_dict()
    old = sam.state[sam_model[0].weight]["old_p"]
    assert sd["state"][0]["old_p"] is not old
    again = OURS["SAM"](sam_model.parameters(), nn.optim.SGD, rho=0.05, lr=0.1)
    again.load_state_dict(sd)
    np.testing.assert_array_equal(again.state[sam_model[0].weight]["old_p"].numpy(),
                                  old.numpy())
    # nn.optim's own optimizers still refuse an entry they do not keep
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: unknown state entry 'old_p'"):
        nn.optim.SGD([{"params": list(sam_model.parameters()), "rho": 0.05,
                       "adaptive": False}], lr=0.1).load_state_dict(sd)
