"""nn.optim: every optimizer against its update rule written again in plain numpy, convergence,
parameter groups, per-parameter state, checkpoints and argument errors.

The references below are written from the papers' / PyTorch documentation's formulas in the
textbook form (bias-corrected m̂ and v̂, products of the NAdam momentum schedule, ...), not copied
from the implementation, and run in float64. Each optimizer is fed the same fixed sequence of
gradient arrays as a float64 Tensor, a float32 Tensor and one Value per element; PyTorch's own
optimizers took the same steps (recorded in tests/reference/optim.npz).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor, Value, no_grad
from nn import Linear, Sequential, load, optim, save
from nn.optim import (ASGD, SGD, Adadelta, Adafactor, Adagrad, Adam, Adamax, AdamW, NAdam,
                      Optimizer, RAdam, RMSprop, Rprop)
from nn.optim.lr_scheduler import ExponentialLR

from reference import recorded

OPTIMIZERS = {"SGD": SGD, "ASGD": ASGD, "Adagrad": Adagrad, "Adadelta": Adadelta,
              "RMSprop": RMSprop, "Rprop": Rprop, "Adafactor": Adafactor, "Adam": Adam,
              "AdamW": AdamW, "Adamax": Adamax, "NAdam": NAdam, "RAdam": RAdam}


# ----------------------------------------------------------------------------------------------
# References: the update rules in plain numpy, float64; each returns the parameters after
# every step
# ----------------------------------------------------------------------------------------------

def ref_sgd(x, grads, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    out, buf = [], None
    for g in grads:
        g = (-g if maximize else g) + weight_decay * x
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x)
    return out


def ref_adagrad(x, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    out, total = [], np.full_like(x, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = (-g if maximize else g) + weight_decay * x
        total += g ** 2
        x = x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(total) + eps)
        out.append(x)
    return out


def ref_adadelta(x, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    out, mean_g2, mean_dx2 = [], np.zeros_like(x), np.zeros_like(x)
    for g in grads:
        g = (-g if maximize else g) + weight_decay * x
        mean_g2 = rho * mean_g2 + (1 - rho) * g ** 2
        dx = np.sqrt(mean_dx2 + eps) / np.sqrt(mean_g2 + eps) * g       # RMS[Δx] / RMS[g] · g
        mean_dx2 = rho * mean_dx2 + (1 - rho) * dx ** 2
        x = x - lr * dx
        out.append(x)
    return out


def ref_rmsprop(x, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    out, mean_g2, mean_g, buf = [], np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for g in grads:
        g = (-g if maximize else g) + weight_decay * x
        mean_g2 = alpha * mean_g2 + (1 - alpha) * g ** 2
        mean_g = alpha * mean_g + (1 - alpha) * g
        variance = mean_g2 - mean_g ** 2 if centered else mean_g2
        step = g / (np.sqrt(variance) + eps)
        if momentum:
            buf = momentum * buf + step
            step = buf
        x = x - lr * step
        out.append(x)
    return out


def ref_adam(x, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled_weight_decay=False):
    (b1, b2), out = betas, []
    m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x - lr * weight_decay * x
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(x)
    return out


def ref_adamw(x, grads, weight_decay=1e-2, **kw):
    return ref_adam(x, grads, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def ref_adamax(x, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               maximize=False):
    (b1, b2), out = betas, []
    m, u = np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        g = (-g if maximize else g) + weight_decay * x
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        x = x - lr / (1 - b1 ** t) * m / u
        out.append(x)
    return out


def ref_nadam(x, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    (b1, b2), out = betas, []
    m, v = np.zeros_like(x), np.zeros_like(x)
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) for t in range(1, len(grads) + 2)]
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x - lr * weight_decay * x
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        mu_t, mu_next = mus[t - 1], mus[t]
        x = (x - lr * (1 - mu_t) / (1 - np.prod(mus[:t])) * g / denom
             - lr * mu_next / (1 - np.prod(mus[:t + 1])) * m / denom)
        out.append(x)
    return out


def ref_radam(x, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              decoupled_weight_decay=False, maximize=False):
    (b1, b2), out = betas, []
    m, v = np.zeros_like(x), np.zeros_like(x)
    rho_inf = 2 / (1 - b2) - 1                      # the length of the SMA v approximates
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x - lr * weight_decay * x
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho > 5:
            rectifier = np.sqrt((rho - 4) * (rho - 2) * rho_inf
                                / ((rho_inf - 4) * (rho_inf - 2) * rho))
            x = x - lr * rectifier * m_hat / (np.sqrt(v_hat) + eps / np.sqrt(1 - b2 ** t))
        else:
            x = x - lr * m_hat
        out.append(x)
    return out


def ref_rprop(x, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    (eta_minus, eta_plus), out = etas, []
    previous, step_size = np.zeros_like(x), np.full_like(x, lr)
    for g in grads:
        g = -g if maximize else g
        same, flipped = g * previous > 0, g * previous < 0
        step_size = np.clip(np.where(same, step_size * eta_plus,
                                     np.where(flipped, step_size * eta_minus, step_size)),
                            *step_sizes)
        g = np.where(flipped, 0.0, g)
        x = x - step_size * np.sign(g)
        previous = g
        out.append(x)
    return out


def ref_asgd(x, grads, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
             maximize=False):
    """The iterates (ASGD's average, which t0 starts, is checked on its own)."""
    out, eta = [], lr
    for t, g in enumerate(grads, start=1):
        g = (-g if maximize else g) + weight_decay * x
        x = x * (1 - lambd * eta) - eta * g
        eta = lr / (1 + lambd * lr * t) ** alpha
        out.append(x)
    return out


def ref_adafactor(x, grads, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                  weight_decay=0.0, maximize=False):
    eps1, eps2 = np.finfo(np.float64).eps if eps[0] is None else eps[0], eps[1]
    out = []
    rows, columns = np.zeros(x.shape[:-1] + (1,)), np.zeros(x.shape[:-2] + (1,) + x.shape[-1:])
    mean_g2 = np.zeros_like(x)

    def rms(a):
        return np.sqrt(np.mean(a ** 2))

    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        weight = t ** beta2_decay
        alpha = max(eps2, rms(x)) * min(lr, 1 / np.sqrt(t))
        x = x * (1 - lr * weight_decay)
        if x.ndim >= 2:                     # factored: the outer product of row and column means
            rows = (1 - weight) * rows + weight * (g ** 2).mean(axis=-1, keepdims=True)
            columns = (1 - weight) * columns + weight * (g ** 2).mean(axis=-2, keepdims=True)
            estimate = rows * columns / np.maximum(rows.mean(axis=-2, keepdims=True), eps1)
        else:
            mean_g2 = (1 - weight) * mean_g2 + weight * g ** 2
            estimate = mean_g2
        u = g / np.sqrt(np.maximum(estimate, eps1 ** 2))
        x = x - alpha / max(1.0, rms(u) / d) * u
        out.append(x)
    return out


REFERENCES = {"SGD": ref_sgd, "ASGD": ref_asgd, "Adagrad": ref_adagrad,
              "Adadelta": ref_adadelta, "RMSprop": ref_rmsprop, "Rprop": ref_rprop,
              "Adam": ref_adam, "AdamW": ref_adamw, "Adamax": ref_adamax, "NAdam": ref_nadam,
              "RAdam": ref_radam, "Adafactor": ref_adafactor}

# every option of every optimizer, each case with gradients where the option matters
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.2)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.3)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.2, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.7, eps=1e-2)),
    ("Adadelta", dict(weight_decay=0.2, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.05, alpha=0.8, centered=True)),
    ("RMSprop", dict(lr=0.05, momentum=0.9)),
    ("RMSprop", dict(lr=0.05, alpha=0.8, momentum=0.9, centered=True, weight_decay=0.2)),
    ("RMSprop", dict(lr=0.05, eps=0.1, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, betas=(0.5, 0.8), eps=1e-3)),
    ("Adam", dict(lr=0.1, betas=(0.5, 0.8), amsgrad=True)),
    ("Adam", dict(lr=0.1, weight_decay=0.5)),
    ("Adam", dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.1, maximize=True)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.5, betas=(0.5, 0.8), amsgrad=True)),
    ("AdamW", dict(lr=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.1, betas=(0.5, 0.8), eps=1e-3)),
    ("Adamax", dict(lr=0.1, weight_decay=0.5, maximize=True)),
    ("NAdam", dict(lr=0.1)),
    ("NAdam", dict(lr=0.1, betas=(0.5, 0.8), eps=1e-3, momentum_decay=0.5)),
    ("NAdam", dict(lr=0.1, weight_decay=0.5)),
    ("NAdam", dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.1)),
    ("RAdam", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-1)),
    ("RAdam", dict(lr=0.1, weight_decay=0.5)),
    ("RAdam", dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.05, 0.2))),
    ("Rprop", dict(lr=0.05, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=0.5, alpha=0.5, weight_decay=0.2)),
    ("ASGD", dict(lr=0.1, t0=2, maximize=True)),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
            for name, kw in CASES]

# Adafactor treats a matrix apart (its g² means by row and column), so it has its own table:
# each option on a number (a Value's path), a vector, a matrix and a batch of matrices
ADAFACTOR_OPTIONS = [dict(),
                     dict(lr=0.1, beta2_decay=-0.5, eps=(1e-3, 1e-2), d=1.5, weight_decay=0.3),
                     dict(lr=0.05, maximize=True)]
ADAFACTOR_SHAPES = {"number": (0, 0), "vector": (0,), "matrix": (), "batch": (None,)}
ADAFACTOR_CASES = [(shape, options) for shape in ADAFACTOR_SHAPES for options in
                   ADAFACTOR_OPTIONS]
ADAFACTOR_IDS = [f"Adafactor-{shape}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
                 for shape, kw in ADAFACTOR_CASES]

X0 = np.array([[0.5, -1.25, 2.0], [-0.75, 1.5, 0.25]])
# six steps of gradients: mixed signs and scales; the first row shrinks to ~0 after three steps,
# so running maxima (amsgrad, Adamax) hold on to old values and momentum outlives the gradient
GRADS = [np.array([[1.0, -2.0, 0.5], [3.0, -0.1, 1.5]]),
         np.array([[-4.0, 1.0, 2.5], [0.5, 0.3, -2.0]]),
         np.array([[2.0, -0.5, -3.0], [-1.0, 2.0, 0.7]]),
         np.array([[0.01, -0.02, 0.005], [2.5, -1.5, 0.2]]),
         np.array([[-0.01, 0.0, 0.02], [-0.5, 1.0, 3.0]]),
         np.array([[0.0, 0.01, -0.01], [1.2, -2.2, -0.4]])]


def run_tensor(name, kwargs, dtype):
    """Feed GRADS to a Tensor of `dtype`; the parameter's data after every step."""
    p = Tensor(X0.astype(dtype), requires_grad=True)
    opt = OPTIMIZERS[name]([p], **kwargs)
    data, out = p.data, []
    for g in GRADS:
        p.grad = g.astype(dtype)
        opt.step()
        assert p.data is data and p.data.dtype == dtype     # updated in place, dtype kept
        assert all(v.dtype == dtype for v in opt.state.get(p, {}).values()
                   if isinstance(v, np.ndarray))             # and so are the buffers
        out.append(p.data.copy())
    return out


def run_values(name, kwargs, x0=X0, grads=GRADS):
    """Feed the gradients to one Value per element; the values after every step."""
    ps = [Value(float(v)) for v in x0.ravel()]
    opt = OPTIMIZERS[name](ps, **kwargs)
    out = []
    for g in grads:
        for p, gi in zip(ps, g.ravel()):
            p.grad = float(gi)
        opt.step()
        assert all(type(p.data) is float for p in ps)       # a Value's data stays a float
        out.append(np.array([p.data for p in ps]).reshape(x0.shape))
    return out


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_float64_tensor_follows_the_formula(name, kwargs):
    expected = REFERENCES[name](X0, GRADS, **kwargs)
    for step, (got, want) in enumerate(zip(run_tensor(name, kwargs, np.float64), expected)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_float32_tensor_follows_the_formula(name, kwargs):
    expected = REFERENCES[name](X0.astype(np.float32).astype(np.float64),
                                [g.astype(np.float32).astype(np.float64) for g in GRADS], **kwargs)
    for step, (got, want) in enumerate(zip(run_tensor(name, kwargs, np.float32), expected)):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6, err_msg=f"step {step}")


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_values_follow_the_formula(name, kwargs):
    expected = REFERENCES[name](X0, GRADS, **kwargs)
    for step, (got, want) in enumerate(zip(run_values(name, kwargs), expected)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


def run_torch(torch, name, kwargs):
    """Feed GRADS to a float64 parameter through torch.optim; its data (and ASGD's average)
    after every step. PyTorch keeps some scalar state (NAdam's momentum product, ASGD's step
    size) in its default dtype, float32, which moves them by ~1e-9 from the float64 formula, so
    float64 is made the default here."""
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.tensor(X0, requires_grad=True)
        opt = getattr(torch.optim, name)([p], **kwargs)
        steps, averages = [], []
        for g in GRADS:
            p.grad = torch.tensor(g)
            opt.step()
            steps.append(p.detach().numpy().copy())
            if name == "ASGD":
                averages.append(opt.state[p]["ax"].numpy().copy())
        return {"steps": np.stack(steps), **({"ax": np.stack(averages)} if averages else {})}
    finally:
        torch.set_default_dtype(dtype)


def run_torch_adafactor(torch, options, x0, grads):
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adafactor([p], **options)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.stack(out)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/optim.npz: X0, GRADS and, under each case's id, the parameter after
    every step in PyTorch (and ASGD's average of the parameters, "ax")."""
    arrays = {"x0": X0, "grads": np.stack(GRADS)}
    for case_id, (name, kwargs) in zip(CASE_IDS, CASES):
        arrays.update({f"{case_id}/{key}": value
                       for key, value in run_torch(torch, name, kwargs).items()})
    for case_id, (shape, options) in zip(ADAFACTOR_IDS, ADAFACTOR_CASES):
        arrays[f"{case_id}/steps"] = run_torch_adafactor(torch, options, *adafactor_inputs(shape))
    return arrays


@pytest.mark.parametrize("case_id, case", list(zip(CASE_IDS, CASES)), ids=CASE_IDS)
def test_tensors_and_values_take_pytorchs_recorded_steps(case_id, case):
    """The formulas above are PyTorch's: its optimizers took these very steps (recorded where
    torch is installed; test_references.py checks they still do)."""
    theirs = recorded("optim")
    np.testing.assert_array_equal(theirs["x0"], X0)
    np.testing.assert_array_equal(theirs["grads"], GRADS)
    steps = theirs[f"{case_id}/steps"]
    np.testing.assert_allclose(run_tensor(*case, np.float64), steps, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run_values(*case), steps, rtol=1e-12, atol=1e-14)


def adafactor_inputs(shape):
    """X0 and GRADS cut to `shape`: a number, a row, the matrix, or a batch of one matrix."""
    index = ADAFACTOR_SHAPES[shape]
    return np.asarray(X0[index]), [np.asarray(g[index]) for g in GRADS]


def run_adafactor(options, x0, grads, dtype=np.float64):
    p = Tensor(x0.astype(dtype), requires_grad=True)
    opt = Adafactor([p], **options)
    out = []
    for g in grads:
        p.grad = g.astype(dtype)
        opt.step()
        assert p.data.dtype == dtype and p.data.shape == x0.shape
        out.append(p.data.copy())
    return out


@pytest.mark.parametrize("shape, options", ADAFACTOR_CASES, ids=ADAFACTOR_IDS)
def test_adafactor_follows_the_formula_and_takes_pytorchs_recorded_steps(shape, options):
    x0, grads = adafactor_inputs(shape)
    expected = ref_adafactor(x0, grads, **options)
    np.testing.assert_allclose(run_adafactor(options, x0, grads), expected, rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(run_adafactor(options, x0, grads, np.float32), expected,
                               rtol=2e-5, atol=2e-6)
    case_id = ADAFACTOR_IDS[ADAFACTOR_CASES.index((shape, options))]
    np.testing.assert_allclose(expected, recorded("optim")[f"{case_id}/steps"], rtol=1e-12,
                               atol=1e-14)
    if shape == "number":                   # a Value takes a number's steps
        np.testing.assert_allclose(run_values("Adafactor", options, x0, grads)[-1], expected[-1],
                                   rtol=1e-12)


def test_adafactor_keeps_a_matrixs_row_and_column_means_only():
    p = Tensor(np.ones((4, 5)), requires_grad=True)
    opt = Adafactor([p])
    p.grad = np.ones((4, 5))
    opt.step()
    assert {key: np.shape(value) for key, value in opt.state[p].items()} == {
        "step": (), "row_var": (4, 1), "col_var": (1, 5)}
    saved = opt.state_dict()
    saved["state"][0]["row_var"] = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"Adafactor.load_state_dict: state\[0\]\['row_var'\] "
                                         r"has shape \(4, 5\), expected \(4, 1\)"):
        opt.load_state_dict(saved)


ASGD_CASES = [(i, c) for i, c in zip(CASE_IDS, CASES) if c[0] == "ASGD"]


@pytest.mark.parametrize("case_id, case", ASGD_CASES, ids=[i for i, _ in ASGD_CASES])
def test_asgds_average_is_pytorchs(case_id, case):
    """The state "ax": the parameter itself until step t0 + 1, then the mean of the iterates
    since then (with t0=2: steps 4, 5, 6)."""
    _, kwargs = case
    p = Tensor(X0.copy(), requires_grad=True)
    opt = ASGD([p], **kwargs)
    iterates, averages = [], []
    for g in GRADS:
        p.grad = g.copy()
        opt.step()
        iterates.append(p.data.copy())
        averages.append(opt.state[p]["ax"].copy())
    np.testing.assert_allclose(averages, recorded("optim")[f"{case_id}/ax"], rtol=1e-12,
                               atol=1e-14)
    if kwargs.get("t0") == 2:
        np.testing.assert_allclose(averages[-1], np.mean(iterates[3:], axis=0), rtol=1e-12)
        assert not np.allclose(averages[-1], iterates[-1])
    else:
        np.testing.assert_array_equal(averages[-1], iterates[-1])


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_every_option_in_the_table_changes_the_result(name, kwargs):
    """Guard on the test data: dropping any one option of a case changes the reference, so a
    case cannot pass with the option ignored."""
    full = REFERENCES[name](X0, GRADS, **kwargs)[-1]
    for key in kwargs:
        if key in ("lr", "momentum") and name == "SGD" and "nesterov" in kwargs:
            continue                              # nesterov needs momentum
        if key == "t0":
            continue                              # it moves ASGD's average only (tested below)
        reduced = {k: v for k, v in kwargs.items() if k != key}
        assert not np.allclose(REFERENCES[name](X0, GRADS, **reduced)[-1], full, rtol=1e-9), key


def test_the_defaults_are_pytorchs():
    p = [Tensor([1.0], requires_grad=True)]
    expected = {
        SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                  maximize=False),
        Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                      eps=1e-10, maximize=False),
        Adadelta: dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
        RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                      centered=False, maximize=False),
        Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                   maximize=False, decoupled_weight_decay=False),
        AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                    maximize=False, decoupled_weight_decay=True),
        Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False),
        NAdam: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                    decoupled_weight_decay=False, maximize=False),
        RAdam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                    decoupled_weight_decay=False, maximize=False),
        Rprop: dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
        ASGD: dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False),
        Adafactor: dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
                        maximize=False),
    }
    for cls, want in expected.items():
        assert cls(p).defaults == want, cls.__name__


# ----------------------------------------------------------------------------------------------
# Worked numbers and properties
# ----------------------------------------------------------------------------------------------

def test_sgd_momentum_worked_example():
    # w = 2, loss w²: g = 4 → w = 2 - 0.1*4 = 1.6; g = 3.2, b = 0.9*4 + 3.2 = 6.8 → w = 0.92
    w = Value(2.0)
    opt = SGD([w], lr=0.1, momentum=0.9)
    seen = []
    for _ in range(2):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
        seen.append(w.data)
    assert seen == pytest.approx([1.6, 0.92], abs=1e-15)
    assert opt.state[w]["momentum_buffer"] == pytest.approx(6.8, abs=1e-15)


def test_nesterov_worked_example():
    # g = 1 twice, μ = 0.5: b = 1, step g + μb = 1.5; b = 0.5 + 1 = 1.5, step 1 + 0.75 = 1.75
    w = Value(0.0)
    opt = SGD([w], lr=1.0, momentum=0.5, nesterov=True)
    w.grad = 1.0; opt.step()
    assert w.data == -1.5
    w.grad = 1.0; opt.step()
    assert w.data == -3.25


@given(seed=st.integers(0, 2 ** 32 - 1),
       shape=st.sampled_from([(), (1,), (4,), (2, 3)]),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_first_step_of_sign_based_optimizers_is_lr_times_sign(seed, shape, scale):
    """Adam, AdamW (no decay) and Adamax divide m̂ by √v̂ or u: the first step is lr·sign(g)
    at any gradient scale (eps aside); RMSprop's first is lr·sign(g)/√(1 − α)."""
    rng = np.random.default_rng(seed)
    x0 = np.asarray(rng.normal(size=shape))
    g = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape) * scale
    for make, step in [(lambda p: Adam(p, lr=0.1, eps=0.0), 0.1),
                       (lambda p: AdamW(p, lr=0.1, eps=0.0, weight_decay=0.0), 0.1),
                       (lambda p: Adamax(p, lr=0.1, eps=0.0), 0.1),
                       (lambda p: RMSprop(p, lr=0.1, eps=0.0, alpha=0.75), 0.2)]:
        p = Tensor(x0.copy(), requires_grad=True)
        p.grad = g.copy()
        make([p]).step()
        np.testing.assert_allclose(p.data, x0 - step * np.sign(g), rtol=1e-12, atol=1e-12)


@given(seed=st.integers(0, 2 ** 32 - 1), case=st.sampled_from(range(len(CASES))),
       shape=st.sampled_from([(1,), (3,), (2, 2)]), steps=st.integers(1, 6))
def test_values_and_float64_tensors_take_the_same_steps(seed, case, shape, steps):
    """One code path: the same rule on Python floats and on float64 arrays."""
    name, kwargs = CASES[case]
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=shape)
    grads = [rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 2) for _ in range(steps)]
    p = Tensor(x0.copy(), requires_grad=True)
    opt = OPTIMIZERS[name]([p], **kwargs)
    for g in grads:
        p.grad = g.copy()
        opt.step()
    values = run_values(name, kwargs, x0, grads)[-1]
    np.testing.assert_allclose(values, p.data, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name, kwargs", [c for c in CASES if "maximize" in c[1]],
                         ids=[i for c, i in zip(CASES, CASE_IDS) if "maximize" in c[1]])
def test_maximize_is_minimizing_the_negated_gradient(name, kwargs):
    plain = {k: v for k, v in kwargs.items() if k != "maximize"}
    ascent = REFERENCES[name](X0, GRADS, **kwargs)[-1]
    descent = REFERENCES[name](X0, [-g for g in GRADS], **plain)[-1]
    np.testing.assert_array_equal(ascent, descent)        # the reference agrees with itself
    np.testing.assert_allclose(run_tensor(name, kwargs, np.float64)[-1], descent, rtol=1e-12)


def test_rmsprop_centered_stays_finite_when_the_variance_rounds_below_zero():
    # a constant gradient: v - ḡ² -> 0, and rounding makes it -2e-16 at step 53 here (with the
    # defaults and g = 0.1, at step 3227); PyTorch would produce NaN there, the clamp keeps the
    # step finite (and a Value's data a float rather than a complex number)
    w, t = Value(0.0), Tensor(np.zeros(3), requires_grad=True, dtype=np.float64)
    opt = RMSprop([w, t], lr=1e-3, alpha=0.5, centered=True)
    for _ in range(100):
        w.grad, t.grad = 1.1, np.full(3, 1.1)
        opt.step()
    assert type(w.data) is float and np.isfinite(w.data) and np.all(np.isfinite(t.data))


# ----------------------------------------------------------------------------------------------
# Convergence
# ----------------------------------------------------------------------------------------------

QUADRATIC_RUNS = [          # (optimizer, its arguments, steps)
    ("SGD", dict(lr=0.04), 300),
    ("SGD", dict(lr=0.02, momentum=0.9, nesterov=True), 300),
    ("Adagrad", dict(lr=0.5), 300),
    ("Adadelta", dict(lr=1.0, eps=1e-3), 300),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True), 300),
    ("Adam", dict(lr=0.1, amsgrad=True), 500),
    ("AdamW", dict(lr=0.1, weight_decay=1e-4), 500),
    ("Adamax", dict(lr=0.1), 500),
    ("NAdam", dict(lr=0.1), 500),
    ("RAdam", dict(lr=0.1), 500),
    ("Rprop", dict(lr=0.1), 300),
    ("ASGD", dict(lr=0.04), 300),
]


def _run_ids(runs):
    return [r[0] + ("-nesterov" if "nesterov" in r[1] else "") for r in runs]


@pytest.mark.parametrize("name, kwargs, steps", QUADRATIC_RUNS, ids=_run_ids(QUADRATIC_RUNS))
def test_converges_on_a_quadratic(name, kwargs, steps):
    """f(w) = Σ λᵢ (wᵢ − cᵢ)², curvatures 1 to 10, float32 through the engine: |w − c| < 1e-3."""
    curvature, center = Tensor([1.0, 3.0, 10.0]), Tensor([1.0, -2.0, 0.5])
    w = Tensor([-3.0, 2.0, 4.0], requires_grad=True)
    opt = OPTIMIZERS[name]([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (curvature * (w - center) ** 2).sum().backward()
        opt.step()
    assert w.data.dtype == np.float32
    assert np.max(np.abs(w.data - center.data)) < 1e-3, w.data


ROSENBROCK_RUNS = [         # (optimizer, its arguments, lr decay factor per 100 steps, steps)
    ("SGD", dict(lr=1e-3, momentum=0.9), 1.0, 2500),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True), 1.0, 2500),
    ("Adagrad", dict(lr=1.5), 1.0, 12000),
    ("Adadelta", dict(lr=1.0, rho=0.95), 0.95, 9000),
    ("RMSprop", dict(lr=1e-3, momentum=0.9), 0.95, 2000),
    ("Adam", dict(lr=0.05), 0.95, 3000),
    ("AdamW", dict(lr=0.05, weight_decay=0.0), 0.95, 3000),
    ("Adamax", dict(lr=0.1), 0.95, 5000),
    ("NAdam", dict(lr=0.05), 0.95, 4500),
]


@pytest.mark.parametrize("name, kwargs, decay, steps", ROSENBROCK_RUNS,
                         ids=_run_ids(ROSENBROCK_RUNS))
def test_reaches_the_minimum_of_rosenbrock(name, kwargs, decay, steps):
    """f(x, y) = (1 − x)² + 100 (y − x²)² from (−1.5, 2) on Values: within 1e-3 of (1, 1).

    The adaptive methods bounce around the bottom of the curved valley at a fixed lr, so they
    decay it (ExponentialLR once per 100 steps); with a fixed lr Adadelta even drifts away
    along the valley (PyTorch's does too). AdamW runs without weight decay, which would move
    the minimum.
    """
    x, y = Value(-1.5), Value(2.0)
    opt = OPTIMIZERS[name]([x, y], **kwargs)
    schedule = ExponentialLR(opt, gamma=decay)
    for k in range(1, steps + 1):
        opt.zero_grad()
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).backward()
        opt.step()
        if k % 100 == 0:
            schedule.step()
    assert np.hypot(x.data - 1, y.data - 1) < 1e-3, (x.data, y.data)


# ----------------------------------------------------------------------------------------------
# Parameters, gradients, groups, state
# ----------------------------------------------------------------------------------------------

def test_parameters_without_a_gradient_are_skipped():
    used, unused = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    opt = Adam([used, unused], lr=0.1)
    (used * used).sum().backward()
    opt.step()
    assert unused.grad is None
    np.testing.assert_array_equal(unused.data, [3.0, 4.0])
    assert unused not in opt.state and opt.state[used]["step"] == 1


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_frozen_parameters_are_accepted_skipped_and_train_once_unfrozen(name):
    # transfer learning: freeze a layer, then hand every parameter to the optimizer
    frozen, trained = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    frozen_value = Value(5.0)
    frozen.requires_grad_(False)
    frozen_value.requires_grad = False
    decay = {} if name == "Rprop" else {"weight_decay": 0.1}       # (Rprop has none)
    opt = OPTIMIZERS[name]([frozen, trained, frozen_value], lr=0.1, **decay)
    for _ in range(2):
        opt.zero_grad()
        (frozen * trained).sum().backward()
        opt.step()                                      # weight decay would move frozen_value
    assert frozen.grad is None and frozen.data.tolist() == [1.0, 2.0]
    assert frozen_value.data == 5.0 and trained.data[0] != 3.0
    assert all(p is trained for p in opt.state)             # SGD keeps no state at all
    resumed = OPTIMIZERS[name]([frozen, trained, frozen_value], lr=0.1, **decay)
    resumed.load_state_dict(opt.state_dict())               # no state for the frozen ones
    frozen.requires_grad_(True)                             # unfrozen: it trains from now on
    opt.zero_grad()
    (frozen * trained).sum().backward()
    opt.step()
    assert frozen.data.tolist() != [1.0, 2.0]
    with pytest.raises(ValueError, match=f"{name}: none of its parameters requires grad"):
        OPTIMIZERS[name]([Tensor([1.0, 2.0]), frozen_value], lr=0.1)  # forgot requires_grad


def test_a_values_zero_gradient_is_a_real_zero():
    # a Value backward never reached has grad 0.0: weight decay still shrinks it, momentum
    # still carries it, and its step counter advances (PyTorch would see zeros too)
    w = Value(2.0)
    opt = SGD([w], lr=0.1, weight_decay=0.5)
    opt.step()
    assert w.data == pytest.approx(2.0 - 0.1 * 0.5 * 2.0, abs=1e-15)
    v = Value(1.0)
    opt = SGD([v], lr=0.1, momentum=0.5)
    v.grad = 1.0; opt.step(); v.grad = 0.0; opt.step()
    assert v.data == pytest.approx(1.0 - 0.1 - 0.05, abs=1e-15)


def test_zero_grad_uses_each_parameters_own_empty_gradient():
    v, t = Value(1.0), Tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([v, t], lr=0.1)
    (v * 3).backward()
    (t * t).sum().backward()
    assert v.grad == 3.0 and t.grad is not None
    opt.zero_grad()
    assert v.grad == 0.0 and type(v.grad) is float and t.grad is None


def test_zero_grad_set_to_none_false_keeps_zeros_as_pytorch_does():
    v, t, unused = Value(1.0), Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0],
                                                                               requires_grad=True)
    opt = SGD([v, t, unused], lr=0.1)
    (v * 3).backward()
    (t * t).sum().backward()
    held = t.grad
    opt.zero_grad(set_to_none=False)
    assert v.grad == 0.0 and t.grad.tolist() == [0.0, 0.0] and unused.grad is None
    assert t.grad is held                           # zeroed in place, as grad.zero_()
    opt.zero_grad(set_to_none=True)
    assert t.grad is None


def test_step_with_a_closure_returns_its_loss_and_records_the_graph():
    w = Tensor([2.0], requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with no_grad():                          # the closure runs with grad mode on regardless
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.data[0] == 1.0
    assert opt.step() is None


def test_gradients_that_are_graphs_update_by_their_payload():
    # after backward(create_graph=True) .grad is a Tensor; the step uses its numbers
    w = Tensor([2.0], requires_grad=True, dtype=np.float64)
    (w ** 3).sum().backward(create_graph=True)
    assert isinstance(w.grad, Tensor)
    data = w.data
    SGD([w], lr=0.01).step()
    assert w.data is data and isinstance(w.data, np.ndarray)
    assert w.data[0] == pytest.approx(2.0 - 0.01 * 12.0, abs=1e-15)


def test_buffers_do_not_share_memory_with_the_gradient():
    w = Tensor([1.0, 1.0], requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.array([1.0, 2.0], np.float32)
    opt.step()
    w.grad *= 0                              # a user zeroing the gradient in place
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], [1.0, 2.0])


@pytest.mark.parametrize("make, names", [
    (lambda w: Adam([w], lr=0.1), ("exp_avg", "exp_avg_sq")),
    (lambda w: SGD([w], lr=0.1, momentum=0.9), ("momentum_buffer",))])
def test_buffers_are_updated_in_place_with_the_formulas_float32_numbers(make, names):
    # no new arrays per step (a fifth of Adam's step for a 784x128 layer), same numbers
    w = Tensor(np.ones((3, 4), np.float32), requires_grad=True)
    opt = make(w)
    grads = np.random.default_rng(0).normal(size=(3, 3, 4)).astype(np.float32)
    w.grad = grads[0]
    opt.step()
    buffers = [opt.state[w][name] for name in names]
    m, v, b = (opt.state[w].get(name, np.zeros((3, 4), np.float32)).copy()
               for name in ("exp_avg", "exp_avg_sq", "momentum_buffer"))
    for g in grads[1:]:
        w.grad = g
        opt.step()
        m, v, b = 0.9 * m + (1 - 0.9) * g, 0.999 * v + (1 - 0.999) * g * g, 0.9 * b + 1.0 * g
    for name, buffer in zip(names, buffers):
        assert opt.state[w][name] is buffer
        expected = {"exp_avg": m, "exp_avg_sq": v, "momentum_buffer": b}[name]
        np.testing.assert_array_equal(buffer, expected)


def test_param_groups_have_their_own_hyperparameters():
    a, b = Value(1.0), Value(1.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01, "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.5]
    assert set(opt.param_groups[0]) == {"params", "lr", "momentum", "dampening",
                                        "weight_decay", "nesterov", "maximize"}
    for _ in range(2):
        a.grad = b.grad = 1.0
        opt.step()
    assert a.data == pytest.approx(1.0 - 0.1 - 0.1, abs=1e-15)
    assert b.data == pytest.approx(1.0 - 0.01 - 0.01 * 1.5, abs=1e-15)
    assert a not in opt.state and opt.state[b]["momentum_buffer"] == 1.5


def test_add_param_group_takes_the_defaults_and_is_then_updated():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})    # a single parameter is fine
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    a.grad, b.grad = np.ones(1, np.float32), np.ones(1, np.float32)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.9], rtol=1e-6)
    with pytest.raises(ValueError, match=r"Adam: parameter 0 of the new group appears twice"):
        opt.add_param_group({"params": [a]})


def test_a_parameter_in_two_groups_is_an_error():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="appears twice"):
        SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        SGD([a, b, a], lr=0.1)


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1), lambda p: Adam(p, lr=0.1)])
def test_a_gradient_of_another_shape_set_by_hand_is_named_before_any_update(make):
    """numpy would broadcast (4,) into (3, 4) silently for SGD, or fail with its own words."""
    w, b = Tensor(np.ones((3, 4)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    opt = make([b, w])
    b.grad, w.grad = np.ones(3), np.ones(4)
    with pytest.raises(ValueError, match=r"^step: a parameter of shape \(3, 4\) has a gradient "
                                         r"of shape \(4,\); a gradient set by hand"):
        opt.step()
    np.testing.assert_array_equal(b.data, np.zeros(3))     # b, listed first, was not stepped
    assert not opt.state or all(s.get("step", 0) == 0 for s in opt.state.values())
    w.grad = np.ones((3, 4))
    opt.step()
    assert np.all(w.data < 1)


@pytest.mark.parametrize("key, value, error, message", [
    ("lr", float("nan"), ValueError, r"Adam: lr must be finite, got nan"),     # NaN weights
    ("lr", -0.1, ValueError, r"Adam: lr must be >= 0, got -0.1"),             # ascent
    ("lr", "0.1", TypeError, r"Adam: lr must be a real number, got '0.1'"),   # argparse's text
    ("lr", Tensor(0.1), TypeError, r"Adam: lr must be a real number, got Tensor\(0.1\) \(pass "
     r"a number: lr.item\(\)\)"),                                         # lrs[i] of a Tensor
])
def test_an_lr_set_by_hand_is_checked_at_step(key, value, error, message):
    w, v = Tensor(np.array([1.0, -2.0]), requires_grad=True), Value(1.0)
    opt = Adam([{"params": [w]}, {"params": [v]}], lr=0.1)
    opt.param_groups[1][key] = value                # e.g. a training loop's lr schedule
    w.grad, v.grad = np.ones(2), 1.0
    with pytest.raises(error, match=rf"^step: param_groups\[1\]: {message}"):
        opt.step()
    np.testing.assert_array_equal(w.data, [1.0, -2.0])     # nothing was stepped
    assert v.data == 1.0 and not opt.state


def test_a_numpy_lr_set_by_hand_keeps_a_values_data_a_float():
    v = Value(1.0)
    opt = SGD([v], lr=0.1)
    opt.param_groups[0]["lr"] = np.float32(0.5)             # an entry of np.linspace(...)
    v.grad = 1.0
    opt.step()
    assert type(v.data) is float and v.data == 0.5


@pytest.mark.parametrize("make, key, buffer", [
    (lambda p: RMSprop(p, lr=0.1), "momentum", "momentum_buffer"),
    (lambda p: RMSprop(p, lr=0.1), "centered", "grad_avg"),
    (lambda p: Adam(p, lr=0.1), "amsgrad", "max_exp_avg_sq"),
])
def test_an_option_switched_on_after_the_first_step_starts_its_buffer_at_zero(make, key, buffer):
    """PyTorch raises KeyError here; CyclicLR, for one, sets RMSprop's momentum after training
    may have begun. A buffer started at zero is what the option would have had from the start
    with the update rule's zero start."""
    grads = [np.array([0.5, -1.0]), np.array([0.2, 0.3]), np.array([-0.4, 0.1])]
    switched, reference = (Tensor(np.array([1.0, -2.0]), requires_grad=True) for _ in range(2))
    opt, ref = make([switched]), make([reference])
    for step, g in enumerate(grads):
        if step == 1:
            opt.param_groups[0][key] = ref.param_groups[0][key] = True if key != "momentum" \
                else 0.9
            ref.state[reference][buffer] = np.zeros(2)           # by hand, where PyTorch fails
        switched.grad, reference.grad = g.copy(), g.copy()
        opt.step()
        ref.step()
    assert buffer in opt.state[switched]
    np.testing.assert_array_equal(switched.data, reference.data)


def test_repr_lists_the_groups():
    text = repr(SGD([Value(1.0)], lr=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5" in text


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------

def _train(opt, params, grads):
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = float(gi) if isinstance(p, Value) else np.full_like(p.data, gi)
        opt.step()


ROUND_TRIP_GRADS = np.random.default_rng(7).normal(size=(8, 3))    # 8 steps, 3 parameters


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_exactly(name, kwargs):
    """Training 4 steps, saving, loading into a fresh optimizer (made with other settings) and
    training 4 more gives bit-identical parameters to 8 uninterrupted steps."""
    def params():
        return [Value(0.5), Tensor([[0.1, -0.2]], requires_grad=True),
                Tensor([-0.3], requires_grad=True)]

    first = params()
    opt = OPTIMIZERS[name]([{"params": first[:1]}, {"params": first[1:], "lr": 0.02}], **kwargs)
    _train(opt, first, ROUND_TRIP_GRADS[:4])
    saved = opt.state_dict()
    checkpoint = [copy.deepcopy(p.data) for p in first]
    _train(opt, first, ROUND_TRIP_GRADS[4:])

    second = params()
    for p, data in zip(second, checkpoint):
        p.data = data
    resumed = OPTIMIZERS[name]([{"params": second[:1]}, {"params": second[1:]}], lr=0.5)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[1]["lr"] == 0.02
    _train(resumed, second, ROUND_TRIP_GRADS[4:])
    for p, q in zip(first, second):
        np.testing.assert_array_equal(p.data, q.data)
    assert type(second[0].data) is float


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_nn_save_and_load_carry_the_state_exactly(tmp_path, name, suffix):
    """A checkpoint file in either format resumes training bit for bit (ASGD's eta and mu,
    Rprop's step sizes, RAdam's moments, ... are all in it)."""
    case = next(kwargs for n, kwargs in CASES + [("Adafactor", ADAFACTOR_OPTIONS[1])]
                if n == name and len(kwargs) > 1)

    def params():
        return [Value(0.5), Tensor([[0.1, -0.2]], requires_grad=True, dtype=np.float64)]

    first = params()
    opt = OPTIMIZERS[name](first, **case)
    _train(opt, first, ROUND_TRIP_GRADS[:4, :2])
    path = tmp_path / f"run{suffix}"
    save({"optimizer": opt, "params": [np.array(p.data) for p in first]}, path)
    _train(opt, first, ROUND_TRIP_GRADS[4:, :2])

    checkpoint = load(path)
    second = params()
    second[0].data = float(checkpoint["params"][0])
    second[1].data[...] = checkpoint["params"][1]
    resumed = OPTIMIZERS[name](second, lr=0.5)
    resumed.load_state_dict(checkpoint["optimizer"])
    _train(resumed, second, ROUND_TRIP_GRADS[4:, :2])
    for p, q in zip(first, second):
        np.testing.assert_array_equal(p.data, q.data)


def test_named_parameters_are_taken_and_their_names_kept_as_in_pytorch(tmp_path):
    """PyTorch 2.13's optimizers take model.named_parameters(); this raised a TypeError."""
    model = Linear(2, 1)
    opt = Adam(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["params"] == [model.weight, model.bias]
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    model.weight.grad, model.bias.grad = np.ones((1, 2), np.float32), np.ones(1, np.float32)
    opt.step()
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    save({"optimizer": opt}, tmp_path / "run.pt")
    resumed = Adam(model.named_parameters())
    resumed.load_state_dict(load(tmp_path / "run.pt")["optimizer"])
    assert resumed.param_groups[0]["param_names"] == ["weight", "bias"]
    assert resumed.state[model.weight]["step"] == 1


def test_state_dict_layout_and_copies():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Value(3.0)
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([1.0, -1.0], np.float32), 2.0
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1} and sd["state"][0]["step"] == 1
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    saved = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)    # a copy, not a view
    assert opt.param_groups[0]["params"] == [a]                        # groups untouched


def test_load_state_dict_replaces_the_whole_state():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    fresh = Adam([a, b])
    a.grad = np.ones(1, np.float32)
    fresh.step()                                  # b has no gradient, so no state
    trained = Adam([Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)])
    for p in trained.param_groups[0]["params"]:
        p.grad = np.ones(1, np.float32)
    trained.step()
    trained.load_state_dict(fresh.state_dict())
    assert [len(trained.state.get(p, {})) for p in trained.param_groups[0]["params"]] == [3, 0]


def test_load_state_dict_copies_and_converts_to_the_parameters_kind():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Value(3.0)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.array([0.5, 0.25])},          # float64 saved
                    1: {"momentum_buffer": np.array(1.5)}},                   # 0-d array saved
          "param_groups": [{**opt.state_dict()["param_groups"][0], "lr": 0.2}]}
    opt.load_state_dict(sd)
    assert opt.state[a]["momentum_buffer"].dtype == np.float32
    assert type(opt.state[b]["momentum_buffer"]) is float
    sd["state"][0]["momentum_buffer"][0] = 99.0
    assert opt.state[a]["momentum_buffer"][0] == 0.5
    assert opt.param_groups[0]["lr"] == 0.2 and opt.param_groups[0]["params"] == [a, b]


@pytest.mark.parametrize("mutate, message", [
    (lambda sd: sd["param_groups"].append({"params": []}),
     r"the state dict has 3 parameter group\(s\), this optimizer has 2"),
    (lambda sd: sd["param_groups"][1]["params"].append(9),
     r"group 1 has 2 parameter\(s\) in the state dict and 1"),
    (lambda sd: sd["state"][0].update(momentum_buffer=np.zeros(3)),
     r"state\[0\]\['momentum_buffer'\] has shape \(3,\).*shape \(2,\)"),
    (lambda sd: sd["state"][0].update(velocity=np.zeros(2)), r"unknown state entry 'velocity'"),
    (lambda sd: sd["state"].update({5: {}}), r"state for parameter 5, which no group lists"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), r"SGD: lr must be >= 0, got -1.0"),
    (lambda sd: sd["param_groups"][0].update(learning_rate=1.0),
     r"unknown hyperparameter\(s\) \['learning_rate'\]"),
    (lambda sd: sd.pop("state"), r"expected a dict with keys 'state' and 'param_groups'"),
    (lambda sd: sd["param_groups"][0].update(foreach=None, differentiable=True),
     r"group 0 has differentiable=True \(backpropagating through the update\), which is not "
     r"supported"),
    (lambda sd: sd["param_groups"][0].update(max_lr=0.1, base_momentum=0.85),
     r"\['base_momentum', 'max_lr'\]; PyTorch's OneCycleLR and CyclicLR keep their bounds"),
    (lambda sd: sd["param_groups"].__setitem__(0, [0]),
     r"group 0 is not a dict with a 'params' list"),
    # a damaged file: these raised TypeError and AttributeError from inside load_state_dict
    (lambda sd: sd["param_groups"][0].update(params=5), r"group 0 is not a dict with a 'params' "
                                                        r"list"),
    (lambda sd: sd["param_groups"][1].update(params=[0]), r"group 1 lists the parameters \[0\]; "
                                                          r"expected numbers, each once"),
    (lambda sd: sd["param_groups"][1].update(params=[[1]]), r"group 1 lists the parameters"),
    (lambda sd: sd.update(param_groups=3), r"expected 'param_groups' to be a list of dicts and "
                                           r"'state' a dict of dicts"),
    (lambda sd: sd.update(state=[]), r"'state' a dict of dicts"),
    (lambda sd: sd["state"].update({0: [1.0]}), r"'state' a dict of dicts"),
    (lambda sd: sd["param_groups"][0].update(lr=10 ** 400), r"SGD: lr must be finite, got inf"),
    # a scheduler's starting lr, taken before: StepLR(..., last_epoch=3) then scheduled NaN
    (lambda sd: sd["param_groups"][1].update(initial_lr=float("nan")),
     r"SGD: initial_lr must be finite, got nan"),
])
def test_load_state_dict_checks_before_changing_anything(mutate, message):
    a, b = Tensor([1.0, 2.0], requires_grad=True), Value(3.0)
    opt = SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.9)
    _train(opt, [a, b], [[1.0, 1.0]])
    sd = opt.state_dict()
    mutate(sd)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"],
                                  before["state"][0]["momentum_buffer"])


def test_load_state_dict_takes_a_torch_optim_state_dict():
    """torch.optim's groups also hold its switches of how the update runs (as torch 2.13 writes
    them for Adam); they change nothing here, as in the constructor, so a run trained in PyTorch
    resumes here. They were refused ("only model weights move between the two"), though a
    state saved here resumes in PyTorch."""
    def trained(steps):
        w = Tensor(np.array([0.5, -1.0], np.float32), requires_grad=True)
        optimizer = Adam([w], lr=0.1, amsgrad=True)
        for _ in range(steps):
            w.grad = np.array([1.0, -2.0], np.float32) * w.data
            optimizer.step()
        return w, optimizer
    w, optimizer = trained(3)
    saved = optimizer.state_dict()
    saved["param_groups"][0].update(foreach=None, capturable=False, differentiable=False,
                                    fused=None)
    saved["state"][0]["step"] = np.array(3.0, np.float32)       # PyTorch's 0-d tensor
    w2, resumed = trained(0)
    w2.data[...] = w.data
    resumed.load_state_dict(saved)
    for v in (w, w2):                                   # one more step each: the same numbers
        v.grad = np.array([1.0, -2.0], np.float32) * v.data
    optimizer.step()
    resumed.step()
    np.testing.assert_array_equal(w2.data, w.data)
    assert "foreach" not in resumed.param_groups[0]



class TorchLikeTensor:
    """Stands in for a torch.Tensor in a state dict that was never saved to a file: what
    `torch_optimizer.state_dict()` holds (its buffers, and "step" as a 0-d float32 tensor)."""

    def __init__(self, array):
        self._array = np.array(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._array

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)

    def __repr__(self):
        return f"tensor({self._array})"


@pytest.mark.parametrize("cls, options", [(Adam, {"amsgrad": True}), (NAdam, {}),
                                          (RMSprop, {"momentum": 0.9, "centered": True}),
                                          (Rprop, {}), (ASGD, {"t0": 1})])
def test_load_state_dict_takes_torchs_state_dict_in_memory(cls, options):
    """`resumed.load_state_dict(torch_optimizer.state_dict())`, without a file between: the
    buffers (tensors) were taken, but the 0-d tensor of "step" (and NAdam's "mu_product") was
    refused: "state[0]['step'] must be a number, got tensor(3.)"."""
    def trained(steps):
        w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        optimizer = cls([w], lr=0.1, **options)
        for k in range(steps):
            w.grad = np.array([1.0, -2.0, 0.5]) * w.data + k
            optimizer.step()
        return w, optimizer
    w, optimizer = trained(3)
    saved = optimizer.state_dict()
    saved["state"] = {index: {key: TorchLikeTensor(value) for key, value in entries.items()}
                      for index, entries in saved["state"].items()}
    w2, resumed = trained(0)
    w2.data[...] = w.data
    resumed.load_state_dict(saved)
    assert type(resumed.state[w2]["step"]) is int
    for v, opt in ((w, optimizer), (w2, resumed)):  # one more step each: the same numbers
        v.grad = np.array([1.0, -2.0, 0.5]) * v.data + 3
        opt.step()
    np.testing.assert_array_equal(w2.data, w.data)

@pytest.mark.parametrize("step, message", [
    (-5, r"state\[0\]\['step'\] counts steps \(0, 1, 2, ...\), got -5"),
    (2.5, r"state\[0\]\['step'\] counts steps \(0, 1, 2, ...\), got 2.5"),
    (float("nan"), r"state\[0\]\['step'\] must be finite, got nan"),
    (10 ** 400, r"state\[0\]\['step'\] must be finite"),
    (True, r"state\[0\]\['step'\] must be a number, got True"),
])
def test_a_saved_step_that_is_no_count_is_refused(step, message):
    """A negative step was taken as it was: Adam's bias correction 1 - beta ** step then
    scales the next update wrongly; NaN raised "cannot convert float NaN to integer"."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = Adam([w], lr=0.1)
    _train(opt, [w], [[1.0, 1.0]])
    sd = opt.state_dict()
    sd["state"][0]["step"] = step
    with pytest.raises(ValueError, match=r"Adam\.load_state_dict: " + message):
        opt.load_state_dict(sd)


def test_loading_into_parameters_listed_in_another_order_says_states_go_by_position():
    weight, bias = Tensor(np.ones((2, 3)), requires_grad=True), Tensor([0.0], requires_grad=True)
    opt = Adam([weight, bias])
    _train(opt, [weight, bias], [[1.0, 1.0]])
    with pytest.raises(ValueError, match=r"state\[0\]\['exp_avg'\] has shape \(2, 3\) .* shape "
                                         r"\(1,\); saved states go to the parameters by position"):
        Adam([bias, weight]).load_state_dict(opt.state_dict())


# ----------------------------------------------------------------------------------------------
# Argument errors: raised where the mistake is made, naming the optimizer and the value
# ----------------------------------------------------------------------------------------------

def _w():
    return [Tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize("make, error, message", [
    (lambda: SGD(_w(), lr=-0.1), ValueError, r"SGD: lr must be >= 0, got -0.1"),
    (lambda: Adam(_w(), lr=-1), ValueError, r"Adam: lr must be >= 0, got -1.0"),
    (lambda: Adam(_w(), eps=-1e-8), ValueError, r"Adam: eps must be >= 0, got -1e-08"),
    (lambda: RMSprop(_w(), eps=-1.0), ValueError, r"RMSprop: eps must be >= 0"),
    (lambda: Adam(_w(), betas=(1.0, 0.999)), ValueError,
     r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda: NAdam(_w(), betas=(0.9, -0.1)), ValueError,
     r"NAdam: betas\[1\] must be in \[0, 1\), got -0.1"),
    (lambda: Adamax(_w(), betas=(0.9,)), ValueError, r"Adamax: betas must be a pair"),
    (lambda: SGD(_w(), momentum=-0.5), ValueError, r"SGD: momentum must be >= 0, got -0.5"),
    (lambda: RMSprop(_w(), momentum=-0.5), ValueError, r"RMSprop: momentum must be >= 0"),
    (lambda: SGD(_w(), nesterov=True), ValueError,
     r"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0"),
    (lambda: SGD(_w(), momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening=0.1"),
    (lambda: SGD(_w(), weight_decay=-1), ValueError, r"SGD: weight_decay must be >= 0"),
    (lambda: Adagrad(_w(), lr_decay=-1), ValueError, r"Adagrad: lr_decay must be >= 0"),
    (lambda: Adadelta(_w(), rho=1.5), ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
    (lambda: RMSprop(_w(), alpha=1.5), ValueError, r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
    (lambda: NAdam(_w(), momentum_decay=-1), ValueError, r"NAdam: momentum_decay must be >= 0"),
    (lambda: RAdam(_w(), betas=(0.9, 1.0)), ValueError, r"RAdam: betas\[1\] must be in \[0, 1\)"),
    (lambda: RAdam(_w(), decoupled_weight_decay=1), TypeError,
     r"RAdam: decoupled_weight_decay must be True or False"),
    (lambda: Rprop(_w(), etas=(1.2, 0.5)), ValueError,
     r"Rprop: etas must be \(η−, η\+\) with 0 < η− < 1 < η\+, got \(1.2, 0.5\)"),
    (lambda: Rprop(_w(), etas=0.5), ValueError, r"Rprop: etas must be a pair of numbers, got 0.5"),
    (lambda: Rprop(_w(), step_sizes=(50, 1e-6)), ValueError,
     r"Rprop: step_sizes must be \(smallest, largest\) with 0 <= smallest <= largest, got "
     r"\(50.0, 1e-06\)"),
    (lambda: Rprop(_w(), step_sizes=(0, "50")), TypeError,
     r"Rprop: step_sizes\[1\] must be a real number, got '50'"),
    (lambda: Rprop(_w(), weight_decay=0.1), TypeError, r"unexpected keyword argument "
                                                       r"'weight_decay'"),
    (lambda: ASGD(_w(), lambd=-1e-4), ValueError, r"ASGD: lambd must be >= 0, got -0.0001"),
    (lambda: Adafactor(_w(), beta2_decay=0.8), ValueError, r"Adafactor: beta2_decay must be <= 0"),
    (lambda: Adafactor(_w(), d=0.5), ValueError, r"Adafactor: d must be >= 1, got 0.5"),
    (lambda: Adafactor(_w(), eps=(-1e-30, 1e-3)), ValueError, r"Adafactor: eps1 must be >= 0"),
    (lambda: Adafactor(_w(), eps=1e-3), ValueError,
     r"Adafactor: eps must be a pair \(eps1 or None, eps2\), got 0.001"),
    (lambda: ASGD(_w(), t0=float("inf")), ValueError, r"ASGD: t0 must be finite"),
    (lambda: SGD(_w(), lr=float("nan")), ValueError, r"SGD: lr must be finite"),
    (lambda: SGD(_w(), lr="0.1"), TypeError, r"SGD: lr must be a real number, got '0.1'"),
    (lambda: Adam(_w(), amsgrad="yes"), TypeError, r"Adam: amsgrad must be True or False"),
    (lambda: AdamW([{"params": _w(), "decoupled_weight_decay": False}]), ValueError,
     r"AdamW: decoupled_weight_decay is always True"),
    (lambda: SGD([], lr=0.1), ValueError, r"SGD: got an empty parameter list"),
    (lambda: Adam(iter([])), ValueError, r"Adam: got an empty parameter list .*\(an iterator, "
                                         r"such as a generator, is used up after one pass"),
    (lambda: SGD([("weight", _w()[0]), _w()[0]], lr=0.1), ValueError,
     r"SGD: a parameter group mixes \(name, parameter\) pairs and bare parameters"),
    (lambda: SGD([{"params": [("w", _w()[0])]}, {"params": _w()}], lr=0.1), ValueError,
     r"SGD: every parameter group gives its parameters with names"),
    (lambda: SGD([{"params": _w(), "param_names": ["a", "b"]}], lr=0.1), ValueError,
     r"SGD: param_names must list one name \(a string\) per parameter of the group"),
    (lambda: SGD([{"params": []}], lr=0.1), ValueError,
     r"SGD: parameter group 0 has an empty parameter list"),
    (lambda: SGD(Tensor([1.0], requires_grad=True)), TypeError,
     r"SGD: params must be an iterable .* got a single Tensor"),
    (lambda: SGD(5), TypeError, r"SGD: params must be an iterable .* got int"),
    (lambda: SGD(Linear(2, 1), lr=0.1), TypeError,
     r"SGD: params .* got Linear \(a model: pass its parameters, model.parameters\(\)\)"),
    (lambda: SGD(Linear(2, 1).parameters, lr=0.1), TypeError,
     r"SGD: params .* got method \(the method itself: call it, model.parameters\(\)\)"),
    (lambda: SGD(Sequential(Linear(2, 1)), lr=0.1), TypeError,
     r"SGD: parameter 0 is a Linear; .* a model's layers, not its parameters: pass "
     r"model.parameters\(\)"),
    (lambda: SGD([Value(1.0), 2.0]), TypeError,
     r"SGD: parameter 1 is a float; an optimizer updates Values and Tensors"),
    (lambda: SGD([np.zeros(3)]), TypeError, r"SGD: parameter 0 is a ndarray"),
    (lambda: SGD([Value(1.0) * 2]), ValueError,
     r"SGD: parameter 0 is not a leaf \(it is the result of 'mul'\)"),
    (lambda: SGD([Tensor([1, 2])]), TypeError,
     r"SGD: parameter 0 has dtype int64; only floating-point"),
    (lambda: SGD([{"lr": 0.1}]), ValueError, r"SGD: parameter group has no 'params' entry"),
    (lambda: SGD(set(_w())), TypeError, r"SGD: parameters must come in a fixed order"),
    (lambda: SGD([{"params": set(_w())}]), TypeError, r"SGD: parameters must come in a fixed"),
    (lambda: SGD([{"params": _w(), "learning_rate": 0.1}]), ValueError,
     r"SGD: unknown hyperparameter\(s\) \['learning_rate'\]"),
    (lambda: SGD([{"params": _w(), "lr": -2.0}], lr=0.1), ValueError,
     r"SGD: lr must be >= 0, got -2.0"),
])
def test_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_package_exports_every_optimizer():
    assert set(optim.__all__) >= set(OPTIMIZERS) | {"Optimizer", "lr_scheduler"}
    for name, cls in OPTIMIZERS.items():
        assert getattr(optim, name) is cls and issubclass(cls, Optimizer)
        assert "←" in cls.__doc__, f"{name} has no update formula in its docstring"


@pytest.mark.parametrize("cls", [SGD, ASGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Rprop,
                                 Adafactor, Adagrad, Adadelta])
def test_pytorchs_implementation_switches_are_accepted_and_change_nothing(cls):
    """nanoGPT writes AdamW(..., fused=True); PyTorch scripts pass foreach=False. numpy has one
    way to run an update, so they change nothing: the same numbers as without them."""
    def run(**switches):
        w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        optimizer = cls([w], lr=0.1, **switches)
        for _ in range(3):
            optimizer.zero_grad()
            (w * w * np.array([1.0, 3.0])).sum().backward()
            optimizer.step()
        return w.data.copy()
    np.testing.assert_array_equal(
        run(foreach=False, fused=True, capturable=False, differentiable=False), run())
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: differentiable=True "
                                         r"\(backpropagating through the optimizer's update\) "
                                         r"is not supported"):
        cls([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, differentiable=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        cls([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, bogus=1)


def test_a_missing_optimizer_is_a_plain_attribute_error():
    """(SparseAdam, which this refused, is tests/test_recsys_trial.py's now.)"""
    with pytest.raises(AttributeError, match=r"^module 'nn.optim' has no attribute 'Adamm'$"):
        optim.Adamm


# -- s32: Adam's update computed in place -------------------------------------------------------

def _adam_as_written_before(p, g, state, group):
    """Adam's update of a Tensor as nn.optim.Adam wrote it before s32 (new arrays for every
    temporary): the in-place update must give these numbers bit for bit."""
    lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    if group["amsgrad"]:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    denom = v ** 0.5
    denom /= (1 - beta2 ** t) ** 0.5
    denom += eps
    p.data -= lr / (1 - beta1 ** t) * m / denom


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, {"amsgrad": True}, {"weight_decay": 0.1},
                                     {"maximize": True, "betas": (0.5, 0.8)}],
                         ids=["plain", "amsgrad", "l2", "maximize"])
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_in_place_takes_the_same_steps_bit_for_bit(cls, options, dtype):
    """Parameters of several shapes (0-d, batch-1, a matrix) share the optimizer's scratch
    arrays; a larger one joins later (the scratch grows); gradients of another dtype take the
    allocating path. Every step's numbers are those of the update as written before."""
    rng = np.random.default_rng(5)

    def make():
        return [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                for s in [(3, 4), (), (1, 5), (7,)]]
    ours = make()
    before = [Tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt = cls(ours, lr=0.05, **options)
    written_before = staticmethod(_adam_as_written_before)
    ref = type("Before", (cls,), {"update": written_before})(before, lr=0.05, **options)
    for step in range(6):
        if step == 3:                                   # a larger parameter joins
            big = rng.standard_normal((5, 6)).astype(dtype)
            ours.append(Tensor(big.copy(), requires_grad=True))
            before.append(Tensor(big.copy(), requires_grad=True))
            opt.add_param_group({"params": [ours[-1]]})
            ref.add_param_group({"params": [before[-1]]})
        for a, b in zip(ours, before):
            g = rng.standard_normal(a.shape)
            g = g.astype(dtype) if step != 4 else g.astype(np.float64)     # float64 once
            a.grad, b.grad = g.copy(), g.copy()
        opt.step()
        ref.step()
        for a, b in zip(ours, before):
            assert a.dtype == dtype
            np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(ours, before):
        for key, value in opt.state[a].items():
            np.testing.assert_array_equal(value, ref.state[b][key])
    assert set(opt.state_dict()["state"][0]) == set(ref.state_dict()["state"][0])


def test_adam_keeps_no_temporary_per_parameter():
    """The scratch arrays are two, as large as the largest parameter, whatever the number of
    parameters (the update's temporaries were new arrays for each)."""
    params = [Tensor(np.ones((n, 3), np.float32), requires_grad=True) for n in (2, 10, 4)]
    opt = Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape, np.float32)
    opt.step()
    opt.step()
    (flat,) = opt._scratch_buffers.values()
    assert [b.size for b in flat] == [30, 30]
    assert all(np.shares_memory(view, buffer) for views in opt._scratch_views.values()
               for view, buffer in zip(views, flat))
