"""PyTorch's options of the classification losses: `weight=`, `ignore_index=` and
`label_smoothing=` of cross_entropy (the fused op) and `weight=` / `ignore_index=` of nll_loss,
and their modules.

* a plain numpy writing of PyTorch's formulas is the reference: worked cases, every option
  combination, and a hypothesis property over random shapes and options;
* float64 central finite differences for every combination (batch 1, a batch with every target
  ignored), of the logits and of a probability target; second derivatives through the fused rule;
* PyTorch itself, asked live where torch is installed, else as recorded in
  tests/reference/loss_options.npz;
* the default path unchanged (no (N, C) target is made), the errors, the modules, and `fit`.
"""

from __future__ import annotations

import math

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, grad, manual_seed
from autograd import functional as AF
from nn import MLP, CrossEntropyLoss, NLLLoss, evaluate, fit
from nn import functional as F
from nn.optim import SGD
from nn.scoring import ignored_label

from conftest import strict, t64
from reference import assert_matches, draw, recorded

REDUCTIONS = ("mean", "sum", "none")
SMOOTHING = (0.0, 0.1, 1.0)


# ----------------------------------------------------------------------------------------------
# PyTorch's formulas in numpy (torch/nn/modules/loss.py's documentation, term by term)
# ----------------------------------------------------------------------------------------------

def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def reference_cross_entropy(z, target, weight=None, ignore_index=-100, smoothing=0.0,
                            reduction="mean"):
    """Labels: (1 - ε) w[y] (-log p_y) + (ε / C) Σ_c w_c (-log p_c), 0 for an ignored row; the
    mean divides by Σ w[y] over the counted rows. Probabilities t: -Σ_c w_c ((1 - ε) t_c + ε / C)
    log p_c, the mean divides by N."""
    n, c = z.shape
    log_p = _log_softmax(z)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=float)
    target = np.asarray(target)
    if target.ndim == 2:
        losses = -(w * ((1 - smoothing) * target + smoothing / c) * log_p).sum(axis=1)
        return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    losses, total_weight = np.zeros(n), 0.0
    for row, label in enumerate(target):
        if label == ignore_index:
            continue
        nll = -w[label] * log_p[row, label]
        uniform = -(w * log_p[row]).sum()
        losses[row] = (1 - smoothing) * nll + smoothing / c * uniform
        total_weight += w[label]
    if reduction == "none":
        return losses
    with np.errstate(invalid="ignore"):         # every row ignored: 0 / 0, NaN
        return losses.sum() if reduction == "sum" else losses.sum() / total_weight


def _labels(rng, n, c, ignored=0.0, ignore_index=-100):
    labels = rng.integers(0, c, n)
    return np.where(rng.random(n) < ignored, ignore_index, labels)


# ----------------------------------------------------------------------------------------------
# Worked numbers and the reference
# ----------------------------------------------------------------------------------------------

def test_worked_numbers():
    """Two rows of logits (2, 0) and (0, 2), the third row padding (-100)."""
    z, y = t64([[2.0, 0.0], [0.0, 2.0], [9.0, -9.0]]), [0, 1, -100]
    small, large = np.log1p(np.exp(-2.0)), np.log1p(np.exp(2.0))   # -log p of the right/wrong
    assert F.cross_entropy(z, y).item() == pytest.approx(small)     # the padding row: nothing
    assert F.cross_entropy(z, y, weight=[1.0, 3.0]).item() == pytest.approx((small + 3 * small) / 4)
    np.testing.assert_allclose(F.cross_entropy(z, y, "none", label_smoothing=0.5).data,
                               [0.5 * small + 0.25 * (small + large)] * 2 + [0.0])
    assert F.nll_loss(t64([[-1.0, -2.0], [-3.0, -4.0]]), [1, -100], "sum").item() == 2.0


@pytest.mark.parametrize("weighted", [False, True], ids=["no_weight", "weight"])
@pytest.mark.parametrize("ignored", [0.0, 0.4, 1.0], ids=["none_ignored", "some", "all"])
@pytest.mark.parametrize("smoothing", SMOOTHING)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [1, 6])
def test_labels_match_pytorchs_formula(n, reduction, smoothing, ignored, weighted, rng):
    z, c = rng.normal(size=(n, 4)) * 2, 4
    weight = rng.uniform(0.2, 2.0, c) if weighted else None
    labels = _labels(rng, n, c, ignored)
    with strict():                              # no numpy warning, even for 0 / 0
        ours = F.cross_entropy(t64(z), labels, reduction, weight=weight,
                               label_smoothing=smoothing)
    expected = reference_cross_entropy(z, labels, weight, -100, smoothing, reduction)
    np.testing.assert_allclose(ours.data, expected, rtol=1e-12, atol=1e-12)
    assert ours.dtype == np.float64


def test_every_target_ignored_gives_nan_for_the_mean_and_zero_gradients():
    """PyTorch's 0 / 0: the mean is NaN, the sum 0, each row 0; the gradient is zero."""
    for kwargs in ({}, {"weight": [1.0, 2.0, 3.0]}, {"label_smoothing": 0.1}):
        for reduction in REDUCTIONS:
            z = t64(np.arange(6.0).reshape(2, 3))
            with strict():
                loss = F.cross_entropy(z, [-100, -100], reduction, **kwargs)
                (loss.sum() if reduction == "none" else loss).backward()
            expected = {"mean": np.nan, "sum": 0.0, "none": [0.0, 0.0]}[reduction]
            np.testing.assert_array_equal(loss.data, expected)
            np.testing.assert_array_equal(z.grad, np.zeros((2, 3)))
        x = t64(np.log(np.full((2, 3), 1 / 3)))
        with strict():
            loss = F.nll_loss(x, [-100, -100], weight=kwargs.get("weight"))
            loss.backward()
        assert np.isnan(loss.item()) and (x.grad == 0).all()


def test_an_ignore_index_inside_the_classes_leaves_that_class_out():
    z, labels = np.random.default_rng(3).normal(size=(5, 3)), np.array([0, 2, 1, 2, 0])
    kept = labels != 2
    np.testing.assert_allclose(F.cross_entropy(t64(z), labels, ignore_index=2).item(),
                               F.cross_entropy(t64(z[kept]), labels[kept]).item(), rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(t64(_log_softmax(z)), labels, ignore_index=2).item(),
                               F.cross_entropy(t64(z[kept]), labels[kept]).item(), rtol=1e-12)


@pytest.mark.parametrize("smoothing", SMOOTHING)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_probability_targets_match_pytorchs_formula(reduction, smoothing, rng):
    z, t = rng.normal(size=(5, 3)), rng.dirichlet(np.ones(3), 5)
    for weight in (None, rng.uniform(0.2, 2.0, 3)):
        for target in (t, t64(t)):              # a constant, and a Tensor that requires grad
            ours = F.cross_entropy(t64(z), target, reduction, weight=weight,
                                   label_smoothing=smoothing, ignore_index=-1)
            np.testing.assert_allclose(
                ours.data, reference_cross_entropy(z, t, weight, -100, smoothing, reduction),
                rtol=1e-12)


def test_a_masked_logit_costs_nothing_where_the_target_does_not_count_it():
    """A class masked with -inf in a row that does not count it: finite, as PyTorch's NLL, also
    with weight= and ignored rows."""
    z = t64([[1.0, -np.inf, 0.5], [0.0, 2.0, -np.inf], [-np.inf, 1.0, 1.0]])
    with strict():
        loss = F.cross_entropy(z, [0, 1, -100], weight=[1.0, 2.0, 0.5])
        loss.backward()
    expected = reference_cross_entropy(np.nan_to_num(z.data, neginf=-1e300), [0, 1, -100],
                                       [1.0, 2.0, 0.5])
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(z.grad).all()


def test_a_masked_logit_costs_nothing_where_probabilities_do_not_count_it():
    """As with labels and weight=: a class masked with -inf that the target gives 0 costs 0
    (the probability path computed 0 · inf = NaN, with numpy's warning); one it gives a share
    costs inf. A learned target's slope there is -log p: inf."""
    z = t64([[0.0, -np.inf], [1.0, -np.inf], [0.5, 0.5]])
    target = np.array([[1.0, 0.0], [0.75, 0.25], [0.5, 0.5]])
    for t in (target, t64(target)):
        with strict():
            losses = F.cross_entropy(z, t, "none")
            loss = F.cross_entropy(z[[0, 2]], t[[0, 2]])
            loss.backward()
        assert losses.tolist() == [0.0, np.inf, math.log(2)]
        assert loss.item() == pytest.approx(math.log(2) / 2, rel=1e-15)
    assert z.grad.tolist() == [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    assert t.grad[0].tolist() == [0.0, np.inf] and t.grad[1].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(t.grad[2], [math.log(2) / 2] * 2, rtol=1e-15)


def test_the_default_path_makes_no_target_array():
    """Without options the labels stay flat indices (the fast path); with them, or with a
    -100 among the labels, the op gets a constant (N, C) target."""
    z = t64(np.zeros((3, 4)))
    assert F.cross_entropy(z, [0, 1, 3])._ctx.target is None
    assert F.cross_entropy(z, [0, 1, 3])._ctx.picks is not None
    for kwargs in ({"weight": np.ones(4)}, {"label_smoothing": 0.1}, {"ignore_index": 1}):
        assert F.cross_entropy(z, [0, 1, 3], **kwargs)._ctx.target.shape == (3, 4)
    assert F.cross_entropy(z, [0, -100, 3])._ctx.target.shape == (3, 4)
    # the defaults given explicitly are the defaults
    np.testing.assert_array_equal(
        F.cross_entropy(z, [0, 1, 3], weight=None, ignore_index=-100, label_smoothing=0.0).data,
        F.cross_entropy(z, [0, 1, 3]).data)


# ----------------------------------------------------------------------------------------------
# Gradients: central differences in float64, first and second order
# ----------------------------------------------------------------------------------------------

def _central_difference(f, x, eps=1e-6):
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return numeric


def _scalar(loss, reduction, mix):
    """A scalar of the loss: itself, or for reduction="none" a mix of its rows."""
    return loss if reduction != "none" else (loss * Tensor(mix[:loss.shape[0]])).sum()


CASES = list(itertools.product([False, True], [0.0, 0.4, 1.0], SMOOTHING, REDUCTIONS, [1, 5]))


@pytest.mark.parametrize("weighted, ignored, smoothing, reduction, n", CASES,
                         ids=[f"{'w' if w else 'nw'}-ign{i}-eps{e}-{r}-n{n}"
                              for w, i, e, r, n in CASES])
def test_logits_gradient_matches_central_differences(weighted, ignored, smoothing, reduction, n,
                                                     rng):
    c = 4
    z0 = rng.normal(size=(n, c)) * 1.5
    ignore_index = 3 if ignored == 0.4 else -100           # a class, or PyTorch's -100
    labels = _labels(rng, n, c, ignored, ignore_index)
    weight = rng.uniform(0.2, 2.0, c) if weighted else None
    mix = rng.uniform(0.5, 1.5, n)

    def value(z):
        loss = F.cross_entropy(t64(z, requires_grad=False), labels, reduction, weight=weight,
                               ignore_index=ignore_index, label_smoothing=smoothing)
        return float(_scalar(loss, reduction, mix).data)

    z = t64(z0)
    _scalar(F.cross_entropy(z, labels, reduction, weight=weight, ignore_index=ignore_index,
                            label_smoothing=smoothing), reduction, mix).backward()
    if (labels == ignore_index).all() and reduction == "mean":
        np.testing.assert_array_equal(z.grad, 0.0)           # NaN loss, zero gradient
        return
    np.testing.assert_allclose(z.grad, _central_difference(value, z0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("smoothing", SMOOTHING)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_probability_target_gradients_match_central_differences(reduction, smoothing, rng):
    """Both inputs: the logits, and a target that requires grad (through w((1 - ε) t + ε/C))."""
    z0, t0 = rng.normal(size=(3, 4)), rng.dirichlet(np.ones(4), 3)
    weight, mix = rng.uniform(0.2, 2.0, 4), rng.uniform(0.5, 1.5, 3)

    def value(z, t):
        loss = F.cross_entropy(t64(z, False), t64(t, False), reduction, weight=weight,
                               label_smoothing=smoothing)
        return float(_scalar(loss, reduction, mix).data)

    z, t = t64(z0), t64(t0)
    _scalar(F.cross_entropy(z, t, reduction, weight=weight, label_smoothing=smoothing),
            reduction, mix).backward()
    np.testing.assert_allclose(z.grad, _central_difference(lambda a: value(a, t0), z0),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(t.grad, _central_difference(lambda b: value(z0, b), t0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("options", [
    {"weight": [0.5, 2.0, 1.0], "labels": [2, -100, 0, 1]},
    {"label_smoothing": 0.1, "labels": [2, 1, 0, 1]},
    {"weight": [0.5, 2.0, 1.0], "label_smoothing": 0.2, "ignore_index": 1, "labels": [2, 1, 0, 1]},
    {"weight": [0.5, 2.0, 1.0], "label_smoothing": 0.2, "probabilities": True},
], ids=["weight_ignored", "smoothing", "all_three", "probabilities"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_second_derivative_through_the_fused_rule(options, reduction, rng):
    """H v from grad∘grad (the rule run on nodes) equals the central difference of grad."""
    options = dict(options)
    labels = options.pop("labels", None)
    target = rng.dirichlet(np.ones(3), 4) if options.pop("probabilities", False) else labels
    mix, v = rng.uniform(0.5, 1.5, 4), rng.normal(size=12)

    def f(x):
        loss = F.cross_entropy(x.reshape(4, 3), target, reduction, **options)
        return _scalar(loss, reduction, mix)

    first = grad(f)
    x0 = rng.normal(size=12)
    hv = grad(lambda x: (first(x) * Tensor(v)).sum())(x0)
    eps = 1e-5
    numeric = (first(x0 + eps * v) - first(x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradient_matches_central_differences(reduction, rng):
    x0 = _log_softmax(rng.normal(size=(5, 3)))
    labels, weight, mix = np.array([0, -100, 2, 2, 1]), [0.5, 2.0, 1.5], rng.uniform(0.5, 1.5, 5)

    def value(x):
        loss = F.nll_loss(t64(x, False), labels, reduction, weight=weight)
        return float(_scalar(loss, reduction, mix).data)

    x = t64(x0)
    _scalar(F.nll_loss(x, labels, reduction, weight=weight), reduction, mix).backward()
    np.testing.assert_allclose(x.grad, _central_difference(value, x0), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------------------------
# A property over random shapes and options
# ----------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 7), c=st.integers(1, 5), seed=st.integers(0, 2 ** 16),
       weighted=st.booleans(), ignored=st.sampled_from([0.0, 0.3, 1.0]),
       ignore_index=st.sampled_from([-100, -1, 0]), smoothing=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
       reduction=st.sampled_from(REDUCTIONS), dtype=st.sampled_from([np.float32, np.float64]))
def test_cross_entropy_and_nll_loss_follow_pytorchs_formula(n, c, seed, weighted, ignored,
                                                            ignore_index, smoothing, reduction,
                                                            dtype):
    rng = np.random.default_rng(seed)
    z = (rng.normal(size=(n, c)) * 3).astype(dtype)
    labels = _labels(rng, n, c, ignored, ignore_index)
    weight = rng.uniform(0.0, 2.0, c) if weighted else None
    tol = 1e-5 if dtype == np.float32 else 1e-11
    with strict():
        ours = F.cross_entropy(Tensor(z), labels, reduction, weight=weight,
                               ignore_index=ignore_index, label_smoothing=smoothing)
        nll = F.nll_loss(Tensor(_log_softmax(z)), labels, reduction, weight=weight,
                         ignore_index=ignore_index)
    assert ours.dtype == dtype and nll.dtype == dtype
    expected = reference_cross_entropy(z.astype(float), labels, weight, ignore_index, smoothing,
                                       reduction)
    np.testing.assert_allclose(ours.data, expected, rtol=tol, atol=tol)
    expected = reference_cross_entropy(z.astype(float), labels, weight, ignore_index, 0.0,
                                       reduction)
    np.testing.assert_allclose(nll.data, expected, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------------------------
# PyTorch itself: live, and as recorded
# ----------------------------------------------------------------------------------------------

# (key, labels or "probabilities", weight given, ignore_index, label_smoothing, reduction)
TORCH_CASES = [
    (f"{kind}-{'w' if weighted else 'nw'}-{ignore}-{eps}-{reduction}", kind, weighted, ignore,
     eps, reduction)
    for kind in ("labels", "padded", "all_ignored", "probabilities")
    for weighted in (False, True)
    for ignore, eps in ((-100, 0.0), (-100, 0.1), (2, 1.0))
    for reduction in REDUCTIONS
    if kind == "labels" or ignore < 0          # (-100 labels with ignore_index=2 are errors)
]


def loss_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Float32 logits (6, 4), class weights, label sets and probability targets."""
    labels = rng.integers(0, 4, 6)
    return {"z": rng.normal(size=(6, 4)).astype(np.float32) * 2,
            "weight": rng.uniform(0.2, 2.0, 4).astype(np.float32),
            "labels": labels, "padded": np.where(np.arange(6) % 3 == 1, -100, labels),
            "all_ignored": np.full(6, -100),
            "probabilities": rng.dirichlet(np.ones(4), 6).astype(np.float32)}


def loss_torch(torch, z, weight, **targets) -> dict[str, np.ndarray]:
    """PyTorch's loss and logits' gradient for each case; nll_loss's for the label cases."""
    results = {}
    for key, kind, weighted, ignore, eps, reduction in TORCH_CASES:
        logits = torch.tensor(z, requires_grad=True)
        target = torch.tensor(targets[kind])
        w = torch.tensor(weight) if weighted else None
        loss = torch.nn.functional.cross_entropy(logits, target, w, ignore_index=ignore,
                                                 reduction=reduction, label_smoothing=eps)
        (loss.sum() if reduction == "none" else loss).backward()
        results[f"{key}/loss"], results[f"{key}/grad"] = loss, logits.grad
        if kind != "probabilities" and eps == 0.0:
            log_p = torch.tensor(z).log_softmax(1).requires_grad_()
            nll = torch.nn.functional.nll_loss(log_p, target, w, ignore_index=ignore,
                                               reduction=reduction)
            (nll.sum() if reduction == "none" else nll).backward()
            results[f"{key}/nll"], results[f"{key}/nll_grad"] = nll, log_p.grad
    return {key: np.array(value.detach().numpy()) for key, value in results.items()}


def loss_glassgrad(z, weight, **targets) -> dict[str, np.ndarray]:
    results = {}
    for key, kind, weighted, ignore, eps, reduction in TORCH_CASES:
        w = weight if weighted else None
        logits = Tensor(z, requires_grad=True)
        with strict():
            loss = F.cross_entropy(logits, targets[kind], reduction, weight=w, ignore_index=ignore,
                                   label_smoothing=eps)
            (loss.sum() if reduction == "none" else loss).backward()
        results[f"{key}/loss"], results[f"{key}/grad"] = loss.data, logits.grad
        if kind != "probabilities" and eps == 0.0:
            log_p = Tensor(z).log_softmax(axis=1).detach().requires_grad_()
            with strict():
                nll = F.nll_loss(log_p, targets[kind], reduction, weight=w, ignore_index=ignore)
                (nll.sum() if reduction == "none" else nll).backward()
            results[f"{key}/nll"], results[f"{key}/nll_grad"] = nll.data, log_p.grad
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/loss_options.npz: the inputs and PyTorch's results."""
    inputs = loss_inputs(draw())
    return {**inputs, **loss_torch(torch, **inputs)}


def _matches(ours: dict, theirs: dict) -> None:
    """float32 both ways: the same numbers to rounding, the same dtypes, NaN where PyTorch's."""
    for name, value in ours.items():
        assert value.dtype == theirs[name].dtype == np.float32, name
    assert_matches(ours, theirs, rtol=2e-6, atol=2e-6, inputs=tuple(loss_inputs(draw())))


def test_the_options_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = loss_inputs(rng)
    _matches(loss_glassgrad(**inputs), {**inputs, **loss_torch(torch, **inputs)})


def test_the_options_match_pytorchs_recorded_numbers():
    theirs = recorded("loss_options")
    inputs = {name: theirs[name] for name in loss_inputs(draw())}
    _matches(loss_glassgrad(**inputs), theirs)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

def test_bad_options_are_errors_naming_the_function_and_value():
    z, y = t64(np.zeros((2, 3))), [0, 2]
    for loss in (F.cross_entropy, F.nll_loss):
        name = loss.__name__
        with pytest.raises(ValueError, match=rf"{name}: weight must hold one number per class, "
                                             r"shape \(3,\), got shape \(2,\)"):
            loss(z, y, weight=[1.0, 2.0])
        with pytest.raises(ValueError, match=rf"{name}: weight must be finite and >= 0, got "
                                             r"\[1.0, -2.0, 1.0\]"):
            loss(z, y, weight=[1.0, -2.0, 1.0])
        with pytest.raises(ValueError, match=rf"{name}: the weight requires grad.*detach"):
            loss(z, y, weight=t64([1.0, 2.0, 3.0]))
        with pytest.raises(TypeError, match=rf"{name}: ignore_index must be an int.*got 1.5"):
            loss(z, y, ignore_index=1.5)
        with pytest.raises(TypeError, match=rf"{name}: reduction must be .* got shape \(3,\) .*"
                                            r"weight=\.\.\."):
            loss(z, y, np.ones(3))                  # PyTorch's positional weight
        with pytest.raises(ValueError, match=rf"{name}: labels must be in \[0, 3\) or equal to "
                                             r"ignore_index=-100, got values in \[-1, -1\]$"):
            loss(z, [-100, -1], weight=[1.0, 1.0, 1.0])
    for bad in (-0.1, 1.5, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match=rf"cross_entropy: label_smoothing must be a number "
                                             rf"in \[0, 1\], got {bad!r}"):
            F.cross_entropy(z, y, label_smoothing=bad)
    with pytest.raises(ValueError, match=r"cross_entropy: ignore_index=0 needs class labels; "
                                         r"with probability targets PyTorch refuses"):
        F.cross_entropy(z, np.eye(3)[[0, 2]], ignore_index=0)
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 3\) or equal "
                                         r"to ignore_index=-100, got values in \[3, 3\] \(3 "
                                         r"columns of scores, but label 3 needs 4"):
        F.cross_entropy(z, [-100, 3])               # only -100 is ignored, not 3


# ----------------------------------------------------------------------------------------------
# Modules, and fit
# ----------------------------------------------------------------------------------------------

def test_modules_take_pytorchs_arguments():
    """CrossEntropyLoss(weight, ...) as in PyTorch: weight first, a buffer in the state_dict."""
    z, y, w = t64([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]]), [2, -100], np.array([1.0, 2.0, 0.5])
    criterion = CrossEntropyLoss(w, reduction="sum", label_smoothing=0.1)
    assert criterion(z, y).item() == F.cross_entropy(z, y, "sum", weight=w,
                                                     label_smoothing=0.1).item()
    assert repr(criterion) == ("CrossEntropyLoss(reduction='sum', weight=[1.0, 2.0, 0.5], "
                               "label_smoothing=0.1)")
    np.testing.assert_array_equal(criterion.state_dict()["weight"], w)
    assert list(CrossEntropyLoss().state_dict()) == [] and criterion.parameters() == []
    criterion = NLLLoss(weight=w, ignore_index=0)
    assert criterion(z.log_softmax(axis=1), [2, 0]).item() == F.nll_loss(
        z.log_softmax(axis=1), [2, 0], weight=w, ignore_index=0).item()
    assert repr(criterion) == "NLLLoss(reduction='mean', weight=[1.0, 2.0, 0.5], ignore_index=0)"
    with pytest.raises(TypeError, match=r"CrossEntropyLoss: the first argument is weight, got "
                                        r"'sum'; pass reduction='sum'"):
        CrossEntropyLoss("sum")
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must be"):
        CrossEntropyLoss(label_smoothing=2.0)
    with pytest.raises(ValueError, match=r"NLLLoss: weight must be finite and >= 0"):
        NLLLoss(weight=[1.0, np.inf])


def test_the_label_a_loss_ignores():
    import functools
    assert ignored_label(F.cross_entropy) == ignored_label(F.nll_loss) == -100
    assert ignored_label(CrossEntropyLoss(ignore_index=2)) == 2
    assert ignored_label(functools.partial(F.cross_entropy, ignore_index=0)) == 0
    assert ignored_label(F.mse_loss) is None and ignored_label(lambda o, y: o) is None


def test_fit_and_evaluate_leave_ignored_labels_out_of_the_metrics():
    """Samples labelled ignore_index train nothing and are not scored: accuracy counts the
    others only (PyTorch has no fit; this is glassgrad's reading of the option)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    padded = np.where(np.arange(60) % 4 == 0, -100, y)
    manual_seed(0)          # (the shared generator's weights: unseeded, ~2% of draws miss 0.9)
    model = MLP(2, [8], 2)
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), (X, padded),
                  epochs=15, batch_size=60, progress=False)
    assert np.isfinite(history["loss"]).all()
    scores = evaluate(model, F.cross_entropy, (X, padded))
    predicted = model(Tensor(X)).data.argmax(axis=1)
    kept = padded != -100
    assert scores["accuracy"] == pytest.approx((predicted[kept] == y[kept]).mean())
    assert scores["accuracy"] > 0.9


def test_fit_takes_a_batch_of_only_ignored_labels_for_no_divergence():
    """Such a batch's mean is PyTorch's 0 / 0, NaN, with a zero gradient: fit stopped with
    TrainingDiverged ("try a smaller learning rate"). Now it steps, and the mean losses count
    only the samples the loss counts."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 2)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 0, 1, -100, -100])     # the last batch of two: padding only
    model = MLP(2, [4], 2)
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
                  batch_size=2, shuffle=False, progress=False, val_data=(X, y))
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()
    assert history.steps == 8
    kept = y != -100
    scores = evaluate(model, F.cross_entropy, (X, y), batch_size=2)
    assert scores["loss"] == pytest.approx(F.cross_entropy(model(Tensor(X[kept])),
                                                           y[kept]).item(), rel=1e-6)


@pytest.mark.parametrize("make_loss", [
    lambda w: CrossEntropyLoss(w),
    lambda w: CrossEntropyLoss(w, label_smoothing=0.1),
    lambda w: __import__("functools").partial(F.cross_entropy, weight=w),
], ids=["module", "module-smoothing", "partial"])
def test_evaluate_and_fit_divide_a_weighted_mean_by_the_labels_weight_not_their_count(make_loss):
    """With a class weight the loss's mean is Σ w[y] l / Σ w[y] (PyTorch's): scored in batches,
    the whole data's mean weighs each batch by its labels' total weight. Weighed by the batch's
    count it depended on batch_size (0.9888 in batches of 10 for 0.9803 in one)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(103, 3)), rng.integers(0, 3, 103)
    y[::7] = -100                                   # ignored labels count for nothing
    manual_seed(0)
    model = MLP(3, [4], 3, dtype="float64")
    loss = make_loss(np.array([1.0, 3.0, 0.5]))
    whole = loss(model(Tensor(X)), y).item()
    for batch_size in (10, 103, 256):
        assert evaluate(model, loss, (X, y), batch_size=batch_size)["loss"] == pytest.approx(
            whole, rel=1e-12)
    history = fit(model, loss, SGD(model.parameters(), lr=0.0), (X, y), batch_size=10,
                  val_data=(X, y), progress=False)
    assert history["loss"][0] == pytest.approx(whole, rel=1e-12)
    assert history["val_loss"][0] == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize("labels, error, message", [
    ([0, 1, 5, 2], ValueError, r"cross_entropy: labels must be in \[0, 3\)"),
    ([0.0, 1.0, 2.0, 2.0], TypeError, "evaluate: CrossEntropyLoss takes integer class labels"),
    ([True, False, True, True], TypeError, "cross_entropy: class labels must be integers"),
], ids=["out-of-range", "float", "bool"])
def test_evaluate_with_a_class_weight_leaves_bad_labels_to_the_loss(labels, error, message):
    """Weighing a batch by Σ w[y] indexed the weight with the labels before the loss had
    checked them: evaluate's error was numpy's IndexError ("index 5 is out of bounds for
    axis 0 with size 3", "arrays used as indices must be of integer (or boolean) type", "boolean
    index did not match") where without a weight the loss says what is wrong."""
    X = np.ones((4, 3))
    model = MLP(3, [2], 3, dtype="float64")
    for weight in (None, [1.0, 2.0, 3.0]):
        with pytest.raises(error, match=message):
            evaluate(model, CrossEntropyLoss(weight), (X, np.array(labels)))


def test_nll_loss_module_weighted_mean_in_evaluate():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    manual_seed(0)
    model = MLP(3, [4], 3, dtype="float64", output_activation="log_softmax")
    loss = NLLLoss(weight=[2.0, 0.5, 1.0])
    whole = loss(model(Tensor(X)), y).item()
    assert evaluate(model, loss, (X, y), batch_size=7)["loss"] == pytest.approx(whole, rel=1e-12)
