"""nn.functional losses and their module forms (nn.losses).

* one table of losses drives the forward check (each reduction against a numpy formula) and the
  gradient check (gradcheck, float64) over shapes (N,), (N, 1), (2, 3) and 0-d where it applies;
* worked numbers by hand; the closed-form gradients softmax - target and σ(x) - t;
* stability at logits ±1000 and probabilities 0 / 1, with every warning an error;
* the Value-list versions against hand numbers, against the Tensor versions, and against the
  micrograd demo's own loss expression (bit for bit);
* error messages; the module forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor, Value, grad, gradcheck
from autograd import functional as AF
from nn import functional as F
from nn import losses

from conftest import strict, t64

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# The table: (loss on Tensors, per-element numpy reference, samplers that avoid kinks)
# ----------------------------------------------------------------------------------------------

def _grid(rng, shape):              # multiples of 0.5 ...
    return rng.integers(-6, 7, shape) / 2.0


def _grid_offset(rng, shape):       # ... and multiples of 0.5 shifted by 0.25: never equal
    return rng.integers(-6, 6, shape) / 2.0 + 0.25


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _logits_with_zero(rng, shape):
    """Real logits, the first one exactly 0 (where σ(0) - t must still be the gradient)."""
    x = rng.uniform(-3.0, 3.0, shape)
    x.reshape(-1)[:1] = 0.0
    return x


def _labels(rng, shape):
    return rng.integers(0, shape[1], shape[0])


def _simplex(rng, shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


POS_WEIGHT = np.array([0.5, 3.0, 1.0])


def _bce_logits_ref(x, t, w=1.0):
    lw = 1 + (w - 1) * t
    return (1 - t) * x + lw * np.log1p(np.exp(-x))


@dataclass(frozen=True)
class LossCase:
    name: str
    loss: Callable                  # loss(pred, target, reduction) on Tensors
    ref: Callable                   # ref(pred, target): per-element (per-row) losses, numpy
    pred: Callable                  # sampler(rng, shape) for predictions
    target: Callable                # sampler(rng, shape) for targets
    shapes: tuple


ELEMENTWISE_SHAPES = ((), (5,), (5, 1), (2, 3))

LOSSES = [
    LossCase("mse", F.mse_loss, lambda p, t: (p - t) ** 2,
             lambda r, s: r.uniform(-2, 2, s), lambda r, s: r.uniform(-2, 2, s),
             ELEMENTWISE_SHAPES),
    LossCase("l1", F.l1_loss, lambda p, t: np.abs(p - t), _grid_offset, _grid, ELEMENTWISE_SHAPES),
    LossCase("hinge", F.hinge_loss, lambda s, y: np.maximum(0, 1 - y * s), _grid_offset, _signs,
             ELEMENTWISE_SHAPES),
    LossCase("bce", F.binary_cross_entropy,
             lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
             lambda r, s: r.uniform(0.05, 0.95, s), lambda r, s: r.uniform(0, 1, s),
             ELEMENTWISE_SHAPES),
    LossCase("bce_hard_targets", F.binary_cross_entropy,
             lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
             lambda r, s: r.uniform(0.05, 0.95, s), lambda r, s: (r.random(s) < 0.5) * 1.0,
             ((6,),)),
    LossCase("bce_logits", F.binary_cross_entropy_with_logits, _bce_logits_ref,
             _logits_with_zero, lambda r, s: r.uniform(0, 1, s), ELEMENTWISE_SHAPES),
    LossCase("bce_logits_pos_weight",
             lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, r, pos_weight=POS_WEIGHT),
             lambda x, t: _bce_logits_ref(x, t, POS_WEIGHT),
             _logits_with_zero, lambda r, s: r.uniform(0, 1, s), ((3,), (4, 3))),
    LossCase("cross_entropy_labels", F.cross_entropy,
             lambda z, y: -_log_softmax(z)[np.arange(len(z)), y],
             lambda r, s: r.uniform(-2, 2, s), _labels, ((4, 3), (1, 2), (5, 1))),
    LossCase("cross_entropy_probs", F.cross_entropy, lambda z, t: -(t * _log_softmax(z)).sum(1),
             lambda r, s: r.uniform(-2, 2, s), _simplex, ((4, 3),)),
    LossCase("nll", F.nll_loss, lambda lp, y: -lp[np.arange(len(lp)), y],
             lambda r, s: r.uniform(-3, 0, s), _labels, ((4, 3), (2, 5))),
]

CASES = [pytest.param(case, shape, id=f"{case.name}-{'x'.join(map(str, shape)) or '0d'}")
         for case in LOSSES for shape in case.shapes]


def _data(case, shape, seed=0):
    rng = np.random.default_rng(seed)
    return case.pred(rng, shape), case.target(rng, shape)


@pytest.mark.parametrize("case, shape", CASES)
def test_forward_matches_numpy_for_every_reduction(case, shape):
    """mean, sum and none equal the numpy formula, with the right shape, in float64."""
    pred, target = _data(case, shape)
    per_element = case.ref(pred, target)
    for reduction in REDUCTIONS:
        out = case.loss(t64(pred), target, reduction)
        expected = _reduce(per_element, reduction)
        assert out.shape == np.shape(expected) and out.dtype == np.float64
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case, shape", CASES)
def test_gradient_matches_finite_differences(case, shape):
    """Backprop equals central finite differences (float64), for every reduction."""
    pred, target = _data(case, shape, seed=1)
    for reduction in REDUCTIONS:
        assert gradcheck(lambda p: case.loss(p, target, reduction), t64(pred))


@pytest.mark.parametrize("case", LOSSES, ids=[c.name for c in LOSSES])
def test_float32_in_float32_out(case):
    """A float32 prediction gives a float32 loss and gradient, whatever the target's dtype."""
    pred, target = _data(case, case.shapes[-1])
    p = Tensor(pred.astype(np.float32), requires_grad=True)
    loss = case.loss(p, target, "mean")
    loss.backward()
    assert loss.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(loss.item(), np.mean(case.ref(pred, target)), rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target", [[1, 0], [[0.5, 0.5], [1.0, 0.0]]], ids=["labels", "probs"])
def test_cross_entropy_takes_integer_logits_as_the_default_float_dtype(target, reduction):
    """Integer scores (a list of ints is int64) are the default float dtype first, as in the
    binary losses: numpy would make the sum float64, and the mean's division failed."""
    target = np.array(target)
    got = AF.cross_entropy(Tensor([[1, 2], [3, 0]]), target, reduction)
    expected = AF.cross_entropy(Tensor([[1.0, 2.0], [3.0, 0.0]]), target, reduction)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target", [np.eye(3)[[0, 2]], np.full((2, 3), 1 / 3)],
                         ids=["one-hot ints", "float64 probs"])
def test_cross_entropy_takes_a_target_tensor_in_the_logits_dtype(target, reduction):
    """A target Tensor of another dtype is cast to the logits' dtype, as an array target is:
    float32 logits give a float32 loss for every reduction (the sum was float64)."""
    z = Tensor(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], np.float32), requires_grad=True)
    target_tensor = Tensor(target.astype(int) if target.max() == 1 else target)
    got = AF.cross_entropy(z, target_tensor, reduction)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.data, AF.cross_entropy(z, target, reduction).data)
    # a float64 target that requires grad still gets its gradient (linear in t: float32 suffices;
    # checked inside [0, 1], where the differences' steps stay probabilities)
    assert gradcheck(lambda u: AF.cross_entropy(z.detach(), u, reduction),
                     t64(np.clip(target, 0.1, 0.9)), eps=1e-2, atol=1e-5)


def test_l2_penalty_on_tensors():
    """alpha Σ p² over tensors of any shape; gradient 2 alpha p."""
    a, b = t64([[1.0, -2.0], [0.5, 3.0]]), t64([4.0])
    penalty = F.l2_penalty([a, b], 0.1)
    assert penalty.item() == pytest.approx(0.1 * (1 + 4 + 0.25 + 9 + 16), rel=1e-14)
    penalty.backward()
    np.testing.assert_allclose(a.grad, 0.2 * a.data, rtol=1e-14)
    assert gradcheck(lambda x, y: F.l2_penalty([x, y], 0.3), a, b)


# ----------------------------------------------------------------------------------------------
# Worked numbers and closed-form gradients
# ----------------------------------------------------------------------------------------------

def test_worked_numbers():
    """Small examples computed by hand."""
    assert F.mse_loss(Tensor([1.0, 2.0, 4.0]), [1.0, 0.0, 1.0]).item() == pytest.approx(13 / 3)
    assert F.l1_loss(Tensor([1.0, 2.0, 4.0]), [1.0, 0.0, 1.0], "sum").item() == 5.0
    # margins 1 - y s: 1 - 2 = -1 -> 0;  1 - (-1)(0.5) = 1.5;  1 - 0 = 1
    assert F.hinge_loss(Tensor([2.0, 0.5, 0.0]), [1, -1, 1], "sum").item() == 2.5
    # -(log 0.8 + log 0.75): targets 1 and 0
    expected = -(math.log(0.8) + math.log(0.75))
    assert F.binary_cross_entropy(t64([0.8, 0.25]), [1, 0], "sum").item() == \
        pytest.approx(expected, rel=1e-14)
    # logit ln 4 is probability 0.8: the same loss from logits
    assert F.binary_cross_entropy_with_logits(t64([math.log(4), -math.log(3)]), [1, 0],
                                              reduction="sum").item() == \
        pytest.approx(expected, rel=1e-14)
    # pos_weight 3 triples the positive term only
    assert F.binary_cross_entropy_with_logits(t64([math.log(4), -math.log(3)]), [1, 0],
                                              pos_weight=3.0, reduction="sum").item() == \
        pytest.approx(-3 * math.log(0.8) - math.log(0.75), rel=1e-14)
    # logits (ln 1, ln 3) give probabilities (1/4, 3/4): -log(3/4)
    assert F.cross_entropy(t64([[0.0, math.log(3)]]), [1]).item() == \
        pytest.approx(-math.log(0.75), rel=1e-14)
    assert F.nll_loss(t64([[-0.5, -1.5], [-2.0, -0.1]]), [1, 0], "none").data.tolist() == \
        [1.5, 2.0]


def test_cross_entropy_gradient_is_softmax_minus_target():
    """The σ - y of the lectures, for class labels and for probability targets (sum reduction:
    no 1/N), compared with the formula evaluated in numpy."""
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [0.3, 0.3, -0.2]])
    softmax = np.exp(_log_softmax(z))
    labels = np.array([1, 2, 0])
    soft = _simplex(np.random.default_rng(2), (3, 3))
    for target, onehot in ((labels, np.eye(3)[labels]), (soft, soft)):
        logits = t64(z)
        F.cross_entropy(logits, target, reduction="sum").backward()
        np.testing.assert_allclose(logits.grad, softmax - onehot, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_picks_the_target_whatever_the_memory_layout(reduction):
    """The fused loss finds each row's target logit by its flat position, row * C + label.
    Logits that are a transposed view (column-major memory) must give the same losses and
    gradients as the same numbers stored row-major, and the higher-order pass the same too."""
    rng = np.random.default_rng(8)
    z = rng.normal(size=(4, 3))
    labels = np.array([2, 0, 0, 1])
    row_major, column_major = t64(z), t64(np.asfortranarray(z))
    assert column_major.data.flags.f_contiguous and not column_major.data.flags.c_contiguous
    losses_r = F.cross_entropy(row_major, labels, reduction)
    losses_c = F.cross_entropy(column_major, labels, reduction)
    np.testing.assert_array_equal(losses_r.data, losses_c.data)
    losses_r.sum().backward()
    losses_c.sum().backward()
    np.testing.assert_array_equal(row_major.grad, column_major.grad)
    def loss_sum(logits):
        return F.cross_entropy(logits, labels, reduction).sum()
    on_nodes_r, on_nodes_c = grad(loss_sum)(t64(z)), grad(loss_sum)(t64(np.asfortranarray(z)))
    np.testing.assert_allclose(on_nodes_c.data, on_nodes_r.data, rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(on_nodes_r.data, row_major.grad, rtol=1e-15, atol=1e-17)


def test_nll_of_log_softmax_is_cross_entropy():
    """nll_loss(log_softmax(z), y) and the fused cross_entropy agree in value and gradient."""
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    a, b = t64(z), t64(z)
    la, lb = F.nll_loss(F.log_softmax(a), y), F.cross_entropy(b, y)
    la.backward(), lb.backward()
    assert la.item() == pytest.approx(lb.item(), rel=1e-13)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_nll_loss_takes_log_probabilities_also_normalised_by_hand():
    logits = t64([[1.5, -0.5], [0.25, 2.0]])
    with strict():                      # no warning, no error: log(p) may round just above 0
        F.nll_loss(F.log_softmax(logits, axis=1), [0, 1])
        probs = np.array([[0.3, 0.7], [1.0 + 1e-7, 0.0 + 1e-12]])
        F.nll_loss(np.log(probs), [1, 0])


def test_bce_with_logits_gradient_is_sigmoid_minus_target_even_at_zero():
    """dℓ/dx = σ(x) - t exactly, x = 0 included. The composition max(x,0) - x t + log1p(e^-|x|)
    from relu and abs would give -t at x = 0 (both have derivative 0 there): the reason the op
    is fused."""
    x_data = np.array([0.0, 0.0, 2.0, -1.5])
    t = np.array([1.0, 0.25, 0.0, 1.0])
    x = t64(x_data)
    F.binary_cross_entropy_with_logits(x, t, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, _sigmoid(x_data) - t, rtol=1e-14, atol=1e-16)
    assert x.grad[0] == 0.5 - 1.0
    composed = t64(x_data)
    (composed.relu() - composed * t + (1 + (-abs(composed)).exp()).log()).sum().backward()
    assert composed.grad[0] == -1.0                      # wrong: σ(0) - 1 is -0.5


def test_bce_gradient_with_respect_to_probabilities():
    """dℓ/dp = (p - t) / p(1 - p): through a sigmoid this is σ(x) - t again."""
    p_data, t = np.array([0.2, 0.5, 0.9]), np.array([1.0, 0.0, 0.3])
    p = t64(p_data)
    F.binary_cross_entropy(p, t, reduction="sum").backward()
    np.testing.assert_allclose(p.grad, (p_data - t) / (p_data * (1 - p_data)), rtol=1e-14)
    x = t64([0.4, -2.0, 1.0])
    F.binary_cross_entropy(x.sigmoid(), t, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, _sigmoid(x.data) - t, rtol=1e-12)


def test_second_derivatives_of_the_fused_binary_losses():
    """The higher-order path: d²/dx² of the logits' loss is σ(1 - σ) (pos_weight: w σ(1 - σ)
    with w = 1 + (pw - 1) t); d²/dp² of the probabilities' loss is t/p² + (1 - t)/(1 - p)²."""
    x0, t = np.array([0.0, 1.3, -0.7]), np.array([1.0, 0.2, 0.0])
    s = _sigmoid(x0)
    for pos_weight, w in ((None, 1.0), (2.5, 1 + 1.5 * t)):
        def slope_sum(x):
            return grad(lambda u: F.binary_cross_entropy_with_logits(
                u, t, "sum", pos_weight=pos_weight))(x).sum()
        np.testing.assert_allclose(grad(slope_sum)(x0), w * s * (1 - s), rtol=1e-12)
    p0 = np.array([0.2, 0.5, 0.9])
    curvature = grad(lambda p: grad(lambda q: F.binary_cross_entropy(q, t, "sum"))(p).sum())(p0)
    np.testing.assert_allclose(curvature, t / p0 ** 2 + (1 - t) / (1 - p0) ** 2, rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# Stability
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_1000(dtype):
    """Saturated logits: a right answer costs 0, a wrong one 1000 (not inf); the gradient
    σ(x) - t is exactly 0 or ±1; no warning of any kind."""
    x_data = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    with strict():
        x = Tensor(x_data, requires_grad=True)
        losses = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        losses.sum().backward()
        weighted = F.binary_cross_entropy_with_logits(Tensor(x_data), t, pos_weight=2.0,
                                                      reduction="none")
    np.testing.assert_array_equal(losses.data, [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(weighted.data, [0.0, 0.0, 1000.0, 2000.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_on_saturated_probabilities(dtype):
    """p = σ(±1000) is exactly 0 or 1: the log is clamped at -100 (loss 100, PyTorch's value),
    the gradient stays finite, and nothing warns."""
    with strict():
        x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype), requires_grad=True)
        p = x.sigmoid()
        losses = F.binary_cross_entropy(p, [1, 0, 0, 1], reduction="none")
        losses.sum().backward()
    np.testing.assert_array_equal(p.data, [1.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(losses.data, [0.0, 0.0, 100.0, 100.0])
    assert np.isfinite(x.grad).all()


def test_value_losses_at_1000():
    """The scalar versions: finite losses and gradients at logits ±1000, probabilities 0 and 1."""
    with strict():
        xs = [Value(1000.0), Value(-1000.0), Value(0.0)]
        loss = F.binary_cross_entropy_with_logits(xs, [0, 0, 1], reduction="sum")
        loss.backward()
        ps = [Value(0.0), Value(1.0)]
        clamped = F.binary_cross_entropy(ps, [1, 1], reduction="sum")
    assert loss.data == pytest.approx(1000.0 + math.log(2), rel=1e-15)
    assert [x.grad for x in xs] == [1.0, 0.0, -0.5]
    assert clamped.data == 100.0


# ----------------------------------------------------------------------------------------------
# Lists of Values (the scalar engine)
# ----------------------------------------------------------------------------------------------

def test_value_losses_by_hand():
    """Worked numbers on Values, with their gradients."""
    a, b = Value(1.0), Value(3.0)
    loss = F.mse_loss([a, b], [0.0, 1.0])                # ((1)² + (2)²) / 2
    loss.backward()
    assert (loss.data, a.grad, b.grad) == (2.5, 1.0, 2.0)
    a, b = Value(1.0), Value(-3.0)
    loss = F.l1_loss([a, b], np.array([0.0, 1.0]), reduction="sum")   # 1 + 4
    loss.backward()
    assert (loss.data, a.grad, b.grad) == (5.0, 1.0, -1.0)
    s1, s2 = Value(2.0), Value(0.25)
    loss = F.hinge_loss([s1, s2], [1, -1])                # (0 + 1.25) / 2
    loss.backward()
    assert (loss.data, s1.grad, s2.grad) == (0.625, 0.0, 0.5)
    p = Value(0.8)
    loss = F.binary_cross_entropy(p, 1.0)                 # a single Value and a number
    loss.backward()
    assert loss.data == pytest.approx(-math.log(0.8), rel=1e-15)
    assert p.grad == pytest.approx(-1 / 0.8, rel=1e-15)
    w = [Value(3.0), Value(-4.0)]
    penalty = F.l2_penalty(w, 0.01)
    penalty.backward()
    assert penalty.data == pytest.approx(0.25, rel=1e-15)
    assert [v.grad for v in w] == [0.06, -0.08]


def test_value_reduction_none_gives_a_list():
    losses = F.mse_loss([Value(1.0), Value(2.0)], [0, 0], reduction="none")
    assert isinstance(losses, list) and [v.data for v in losses] == [1.0, 4.0]


VALUE_LOSSES = [
    ("mse", F.mse_loss, lambda r, n: r.uniform(-2, 2, n), lambda r, n: r.uniform(-2, 2, n)),
    ("l1", F.l1_loss, _grid_offset, _grid),
    ("hinge", F.hinge_loss, _grid_offset, _signs),
    ("bce", F.binary_cross_entropy, lambda r, n: r.uniform(0.02, 0.98, n),
     lambda r, n: r.uniform(0, 1, n)),
    ("bce_logits", F.binary_cross_entropy_with_logits, _logits_with_zero,
     lambda r, n: r.uniform(0, 1, n)),
    ("bce_logits_pos_weight",
     lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, r, pos_weight=2.5),
     _logits_with_zero, lambda r, n: r.uniform(0, 1, n)),
]


@pytest.mark.parametrize("name, loss, pred, target", VALUE_LOSSES,
                         ids=[v[0] for v in VALUE_LOSSES])
@given(n=st.integers(1, 6), seed=st.integers(0, 2 ** 16), reduction=st.sampled_from(REDUCTIONS))
def test_value_version_equals_tensor_version(name, loss, pred, target, n, seed, reduction):
    """A list of Values and a float64 Tensor of the same numbers give the same loss and the same
    gradients (the Value graph is built from Value ops, the Tensor one mostly fused)."""
    rng = np.random.default_rng(seed)
    x, t = pred(rng, n), target(rng, n)
    values = [Value(float(v)) for v in x]
    tensor = t64(x)
    out_v, out_t = loss(values, t, reduction), loss(tensor, t, reduction)
    if reduction == "none":
        np.testing.assert_allclose([v.data for v in out_v], out_t.data, rtol=1e-12, atol=1e-15)
        total_v, total_t = sum(out_v), out_t.sum()
    else:
        assert out_v.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-15)
        total_v, total_t = out_v, out_t
    total_v.backward()
    total_t.backward()
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-10, atol=1e-14)


def _demo_model():
    """Hand-built stand-in for micrograd's demo: a tiny 2-2-1 net of Values, four points."""
    rng = np.random.default_rng(5)
    params = [Value(float(v)) for v in rng.uniform(-1, 1, 9)]
    X = rng.normal(size=(4, 2))
    yb = np.array([1, -1, -1, 1])                        # int labels, as the demo's y*2 - 1

    def model(x, p):
        h = [(p[0] * x[0] + p[1] * x[1] + p[2]).relu(), (p[3] * x[0] + p[4] * x[1] + p[5]).relu()]
        return p[6] * h[0] + p[7] * h[1] + p[8]
    return params, X, yb, model


def test_demo_loss_is_bit_identical_to_micrograds_expression():
    """hinge_loss(scores, y) + l2_penalty(parameters, 1e-4) gives the very number (and the very
    gradients) of the demo's
        losses = [(1 + -yi*scorei).relu() ...]; data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = alpha * sum((p*p for p in model.parameters())); total = data_loss + reg_loss"""
    params, X, yb, model = _demo_model()
    scores = [model(list(map(Value, row)), params) for row in X]
    ours = F.hinge_loss(scores, yb) + F.l2_penalty(params, 1e-4)
    ours.backward()
    our_grads = [p.grad for p in params]
    for p in params:
        p.zero_grad()
    scores = [model(list(map(Value, row)), params) for row in X]
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in params))
    theirs = data_loss + reg_loss
    theirs.backward()
    assert ours.data == theirs.data
    assert our_grads == [p.grad for p in params]
    assert ours.data > 0 and any(our_grads)             # a non-trivial point


def test_demo_loss_matches_the_micrograd_package():
    """The same expression on micrograd's own Value class: the same number to the last bit."""
    mg = pytest.importorskip("micrograd.engine")
    params, X, yb, model = _demo_model()
    ours = F.hinge_loss([model(list(map(Value, row)), params) for row in X], yb) + \
        F.l2_penalty(params, 1e-4)
    mg_params = [mg.Value(p.data) for p in params]
    scores = [model(list(map(mg.Value, row)), mg_params) for row in X]
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
    theirs = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in mg_params))
    assert ours.data == theirs.data
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose([p.grad for p in params], [p.grad for p in mg_params],
                               rtol=1e-13, atol=0)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.hinge_loss, F.binary_cross_entropy,
                                  F.binary_cross_entropy_with_logits])
def test_mismatched_shapes_are_an_error_naming_loss_and_shapes(loss):
    """(N, 1) predictions against (N,) targets would broadcast to (N, N): refused, clearly."""
    pred = Tensor(np.full((4, 1), 0.5))
    with pytest.raises(ValueError, match=rf"{loss.__name__}.*\(4, 1\).*\(4,\)"):
        loss(pred, np.ones(4))


@pytest.mark.parametrize("loss, args", [
    (F.mse_loss, (Tensor([1.0]), [1.0])), (F.l1_loss, ([Value(1.0)], [1.0])),
    (F.hinge_loss, (Tensor([1.0]), [1.0])), (F.binary_cross_entropy, (Tensor([0.5]), [1.0])),
    (F.binary_cross_entropy_with_logits, ([Value(0.5)], [1.0])),
    (F.cross_entropy, (Tensor([[1.0, 2.0]]), [0])), (F.nll_loss, (Tensor([[-1.0, -2.0]]), [0])),
])
def test_unknown_reduction_is_an_error_naming_it(loss, args):
    with pytest.raises(ValueError, match=r"reduction.*'avg'"):
        loss(*args, reduction="avg")


def test_label_and_range_errors():
    """The classic mix-ups: 0/1 labels for the hinge loss, ±1 labels or logits for BCE."""
    with pytest.raises(ValueError, match=r"hinge_loss: labels must be -1 or \+1.*\{0.0, 1.0\}"):
        F.hinge_loss(Tensor([0.5, -0.5]), [0, 1])
    with pytest.raises(ValueError, match="hinge_loss: labels must be -1 or"):
        F.hinge_loss([Value(0.5), Value(1.0)], [1, 0])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target must be in \[0, 1\]"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [-1, 1])
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\]"):
        F.binary_cross_entropy_with_logits([Value(0.5)], [-1])
    with pytest.raises(ValueError, match=r"probs must be in \[0, 1\].*with_logits"):
        F.binary_cross_entropy(Tensor([2.5, 0.5]), [1, 0])
    with pytest.raises(ValueError, match=r"probs must be in \[0, 1\]"):
        F.binary_cross_entropy([Value(-0.1)], [1])
    with pytest.raises(ValueError, match="NaN"):
        F.binary_cross_entropy(Tensor([np.nan, 0.5]), [1, 0])


def test_class_label_errors():
    z = t64(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"nll_loss: labels must be in \[0, 3\)"):
        F.nll_loss(z, [0, 3])
    for negative in ([0, -1], np.array([0, -1], np.int8), np.array([-2**40, 0])):
        with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 3\), got "
                                             r"values in \[-"):
            F.cross_entropy(z, negative)            # never wrapped around to the last class
    F.cross_entropy(z, np.array([2, 0], np.uint8))  # unsigned labels in range are fine
    with pytest.raises(ValueError, match="nll_loss: 3 labels for 2 rows"):
        F.nll_loss(z, [0, 1, 2])
    with pytest.raises(TypeError, match="cross_entropy: class labels must be integers.*float64"):
        F.cross_entropy(z, np.array([0.0, 1.0]))
    # class names (a dataset's labels as read): numbering them is the fix, not astype(int)
    with pytest.raises(TypeError, match=r"cross_entropy: class labels must be integers, got "
                                        r"dtype <U2 \(class names: number them, classes, labels "
                                        r"= np.unique\(names, return_inverse=True\)\)$"):
        F.cross_entropy(z, ["en", "fr"])
    # a regression target is no set of labels: astype(int) would cut 2.7 into class 2 silently
    with pytest.raises(TypeError, match=r"cross_entropy: class labels must be integers, got "
                                        r"dtype float64 \(values such as 2.7 are not class "
                                        r"labels: a regression target\? use mse_loss on one "
                                        r"output per sample\)$"):
        F.cross_entropy(z, np.array([1.0, 2.7]))
    with pytest.raises(TypeError, match=r"\(convert with labels.astype\(int\)\)$"):
        F.cross_entropy(z, np.array([np.nan, 1.0]))     # a missing label, not a fraction
    with pytest.raises(ValueError, match=r"labels.reshape\(-1\)"):
        F.cross_entropy(z, np.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"nll_loss: labels of shape \(2, 1\) for 2 rows of "
                                         r"scores: it needs one class index per row, shape "
                                         r"\(2,\) \(labels as a column: use labels.reshape\(-1\)\)"):
        F.nll_loss(z, np.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"nll_loss: labels of shape \(\) for 2 rows of scores: "
                                         r"it needs one class index per row, shape \(2,\)$"):
        F.nll_loss(z, 1)
    with pytest.raises(ValueError, match=r"nll_loss: the target of log_probs of shape \(C,\) "
                                         r"= \(3,\) \(one sample\) must be one class index"):
        F.nll_loss(t64(np.zeros(3)), [0])
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        F.cross_entropy(t64(np.zeros(3)), [0])


def test_other_misuse():
    with pytest.raises(ValueError, match="mse_loss: 2 predictions but 3 targets"):
        F.mse_loss([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="l1_loss: targets must be numbers"):
        F.l1_loss([Value(1.0)], ["a"])
    with pytest.raises(ValueError, match="target requires grad.*detach"):
        F.binary_cross_entropy_with_logits(Tensor([0.5]), Tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\).*\(4, 3\)"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((4, 3))), np.zeros((4, 3)),
                                           pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="pos_weight must be >= 0"):
        F.binary_cross_entropy_with_logits(Tensor([0.0]), [1.0], pos_weight=-1.0)
    with pytest.raises(ValueError, match="pos_weight must be a number"):
        F.binary_cross_entropy_with_logits([Value(0.0)], [1.0], pos_weight=[2.0])
    with pytest.raises(ValueError, match="mse_loss: the mean of no elements"):
        F.mse_loss(Tensor(np.zeros(0)), np.zeros(0))
    with pytest.raises(ValueError, match="cross_entropy: the mean over 0 rows"):
        F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    for target in (np.zeros((2, 0)), np.zeros(2, dtype=int)):      # not numpy's reduction error
        with pytest.raises(ValueError, match=r"cross_entropy: the logits have shape \(2, 0\), no "
                                             r"classes"):
            F.cross_entropy(Tensor(np.zeros((2, 0))), target)
    with pytest.raises(ValueError, match="l2_penalty: alpha must be a number >= 0"):
        F.l2_penalty([Value(1.0)], -1e-4)
    with pytest.raises(ValueError, match="l2_penalty: got no parameters"):
        F.l2_penalty(iter([]), 1e-4)


def test_l2_penalty_names_a_module_or_swapped_arguments():
    """l2_penalty(model, alpha) and l2_penalty(alpha, params): not Python's 'not iterable'."""
    from nn import Linear
    model = Linear(2, 1)
    with pytest.raises(TypeError, match=r"l2_penalty: got the module Linear; pass its "
                                        r"parameters: l2_penalty\(model.parameters\(\), alpha\)"):
        F.l2_penalty(model, 1e-4)
    with pytest.raises(TypeError, match=r"l2_penalty: the parameters come first, then alpha"):
        F.l2_penalty(1e-4, model.parameters())
    with pytest.raises(TypeError, match="l2_penalty: parameters must be Values or Tensors"):
        F.l2_penalty([1.0], 1e-4)


@pytest.mark.parametrize("penalty", [F.l2_penalty, F.l1_penalty])
def test_penalties_name_an_uncalled_parameters_method_and_named_pairs(penalty):
    """l2_penalty(model.parameters, lam), the method not called, was Python's "'method' object
    is not iterable" from inside the library; named_parameters()'s (name, p) pairs were "got
    tuple" and a state_dict's names "got str", neither saying what to pass."""
    from nn import MLP
    model = MLP(2, [3], 1)
    name = penalty.__name__
    with pytest.raises(TypeError, match=rf"^{name}: got the method parameters itself; call it: "
                                        rf"{name}\(model.parameters\(\), alpha\)"):
        penalty(model.parameters, 1e-4)
    with pytest.raises(TypeError, match=rf"^{name}: got \(name, parameter\) pairs \('0.weight', "
                                        rf"Parameter .*\); pass the parameters: \[p for name, p in "
                                        rf"model.named_parameters\(\) if name.endswith\('weight'\)\]"):
        penalty(model.named_parameters(), 1e-4)
    with pytest.raises(TypeError, match=rf"^{name}: got the name '0.weight'.*model.state_dict"):
        penalty(model.state_dict(), 1e-4)


def test_nll_loss_of_logits_is_refused():
    """Logits (raw scores, some > 0) into nll_loss give a meaningless loss, silently in
    PyTorch: here an error naming the fix. Log-probabilities, even rounded just above 0, pass."""
    logits = t64([[2.0, -1.0], [0.5, 0.25]])
    with pytest.raises(ValueError, match=r"nll_loss: log_probs must be log-probabilities "
                                         r"\(<= 0\), got values in \[-1, 2\], logits\?; pass "
                                         r"nll_loss\(log_softmax\(logits\), labels\)"):
        F.nll_loss(logits, [0, 1])
    with pytest.raises(ValueError, match=r"got values in \[0.04743, 0.9526\], probabilities "
                                         r"\(softmax's output\?\)"):
        F.nll_loss(F.softmax(logits), [0, 1])
    assert np.isfinite(F.nll_loss(t64([[1e-7, -20.0]]), [0]).data)
    assert F.nll_loss(F.log_softmax(logits), [0, 1]).data == F.cross_entropy(logits, [0, 1]).data


def test_a_loss_given_the_target_first_says_the_arguments_are_swapped_not_detach():
    """loss(y, model(X)): the model's output, which requires grad, lands in the target's place
    and the labels in the input's. 'pass target.detach()' sent the learner to cut their model
    off; with an input that does not require grad the error asks about the order instead."""
    from nn.margin_losses import hinge_embedding_loss, multilabel_soft_margin_loss
    out = Tensor(np.array([[0.2, 0.7], [0.9, 0.4]]), requires_grad=True)
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    for loss, labels in ((F.binary_cross_entropy, y), (F.binary_cross_entropy_with_logits, y),
                         (multilabel_soft_margin_loss, y), (F.poisson_nll_loss, y),
                         (hinge_embedding_loss, 2 * y - 1)):
        name = loss.__name__
        with pytest.raises(ValueError, match=rf"^{name}: the target requires grad but the "
                                             rf"input does not: are the arguments swapped\? "
                                             rf"The input \(the model's output\) comes first: "
                                             rf"{name}\(input, target\)"):
            loss(labels, out)
        # both learned (a target computed by another model): detach it, as before
        with pytest.raises(ValueError, match=rf"^{name}: the target requires grad, but this "
                                             rf"loss treats it as a constant \(pass "
                                             rf"target.detach\(\)\)$"):
            loss(Tensor(labels, requires_grad=True), out)


def test_labels_given_before_the_scores_are_named_as_swapped_arguments():
    """cross_entropy(labels, logits): the integer labels were made floating and read as one
    sample's scores, and the error was about a (C,) sample's target shape."""
    logits = Tensor(np.array([[1.2, -0.7, 0.3], [-2.3, 0.4, 1.37]]), requires_grad=True)
    labels = np.array([0, 2])
    for loss, what, scores in ((F.cross_entropy, "logits", logits),
                               (F.nll_loss, "log_probs", F.log_softmax(logits)),
                               (F.multi_margin_loss, "input", logits)):
        name = loss.__name__
        hold, come = ("hold", "come") if what.endswith("s") else ("holds", "comes")
        for first in (labels, Tensor(labels), labels.tolist()):
            with pytest.raises(ValueError, match=rf"^{name}: the {what} {hold} integers \(dtype "
                                                 rf"int64, shape \(2,\)\) and the target is "
                                                 rf"floating \(shape \(2, 3\)\): are the "
                                                 rf"arguments swapped\? The {what} {come} "
                                                 rf"first: {name}\({what}, labels\)$"):
                loss(first, scores)
        assert np.isfinite(loss(scores, labels).item())             # the right order


def test_pytorchs_old_size_average_and_reduce_name_the_module_and_the_reduction():
    """MSELoss(size_average=False), from older PyTorch code: Python's error named
    `_Loss.__init__` and an unexpected keyword; it names the module and its reduction now."""
    for kwargs, meant in ((dict(size_average=False), "sum"), (dict(reduce=False), "none"),
                          (dict(size_average=True, reduce=True), "mean")):
        given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        with pytest.raises(TypeError, match=rf"^MSELoss\({given}\): size_average and reduce "
                                            rf"are PyTorch's old options, replaced by "
                                            rf"reduction; here that is "
                                            rf"MSELoss\(reduction='{meant}'\)$"):
            losses.MSELoss(**kwargs)
    with pytest.raises(TypeError, match=r"^CrossEntropyLoss\(size_average=False\): .* "
                                        r"CrossEntropyLoss\(reduction='sum'\)$"):
        losses.CrossEntropyLoss(None, size_average=False)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                  "kl_div", "soft_margin_loss", "hinge_embedding_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_pytorchs_old_size_average_names_the_functions_reduction(name):
    """F.mse_loss(pred, y, size_average=False), older PyTorch code (VAE examples' binary
    cross-entropy): Python's error said only "unexpected keyword argument"."""
    pred, target = Tensor([-0.25, -1.5]), Tensor([1.0, 1.0])
    if name == "binary_cross_entropy":
        pred = pred.sigmoid()
    loss = getattr(F, name)
    with pytest.raises(TypeError, match=rf"^{name}\(size_average=False\): size_average and "
                                        rf"reduce are PyTorch's old options, replaced by "
                                        rf"reduction; here that is {name}\(reduction='sum'\)$"):
        loss(pred, target, size_average=False)
    with pytest.raises(TypeError, match=rf"{name}\(reduction='none'\)$"):
        loss(pred, target, reduce=False)
    summed = loss(pred, target, reduction="sum")                # the loss itself unchanged
    assert np.isclose(summed.item(), loss(pred, target, reduction="none").sum().item())


def test_pytorchs_old_size_average_names_cross_entropy_s_reduction():
    logits, labels = Tensor([[0.5, -1.0, 2.0]]), np.array([2])
    for loss in (F.cross_entropy, AF.cross_entropy, F.nll_loss):
        with pytest.raises(TypeError, match=rf"^{loss.__name__}\(size_average=False, "
                                            rf"reduce=True\): .*here that is {loss.__name__}"
                                            rf"\(reduction='sum'\)$"):
            loss(logits, labels, size_average=False, reduce=True)


def test_cross_entropy_refuses_targets_that_are_not_probabilities():
    """cross_entropy(one_hot, logits), the arguments swapped, read the logits as probability
    targets and returned a number (negative here: -0.2751) that training went on with."""
    logits = Tensor(np.array([[1.2, -0.7, 0.3], [-2.3, 0.4, 1.37]], np.float32),
                    requires_grad=True)
    one_hot = Tensor(np.eye(3, dtype=np.float32)[[0, 2]])
    with pytest.raises(ValueError, match=r"cross_entropy: probability targets must be in "
                                         r"\[0, 1\], got values in \[-2.3, 1.37\]; the logits "
                                         r"come first: cross_entropy\(logits, target\)"):
        F.cross_entropy(one_hot, logits)
    with pytest.raises(ValueError, match=r"got values in \[-2.3, 1.37\]"):   # (N, C, d1) too
        F.cross_entropy(Tensor(one_hot.data[:, :, None]), logits.data[:, :, None])
    # probabilities, soft or one-hot, still pass; so does the right order
    assert F.cross_entropy(logits, one_hot).item() == pytest.approx(
        F.cross_entropy(logits, [0, 2]).item())
    assert np.isfinite(F.cross_entropy(logits, np.full((2, 3), 1 / 3)).item())


def test_nll_loss_of_nan_log_probabilities_is_nan_not_a_logits_error():
    """A model whose training diverged gives NaN log-probabilities: the loss is NaN (which
    `fit` reports as divergence), not 'got values in [nan, nan], logits?'."""
    for log_probs in ([[np.nan, np.nan]], [[np.nan, 3.0]]):
        assert np.isnan(F.nll_loss(t64(log_probs), [0]).data)


def test_cross_entropy_of_nan_probability_targets_is_nan_not_a_range_error():
    """A target of probabilities that holds NaN (a diverged teacher's softmax): the loss is NaN,
    as PyTorch's, not 'probability targets must be in [0, 1], got values in [nan, nan]; the
    logits come first'. Outside [0, 1] beside a NaN, the range named is the numbers'."""
    logits = t64([[0.2, -0.4, 1.0], [0.0, 0.3, -0.1]])
    target = np.array([[0.5, 0.5, 0.0], [np.nan, 0.0, 1.0]])
    assert np.isnan(F.cross_entropy(logits, target).data)
    with pytest.raises(ValueError, match=r"got values in \[-2, 1\]"):
        F.cross_entropy(logits, np.array([[0.5, 0.5, -2.0], [np.nan, 0.0, 1.0]]))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "cross_entropy"])
def test_each_engine_loss_has_one_home(name):
    """nn.functional and autograd.functional give the same function (Values and Tensors)."""
    assert getattr(F, name) is getattr(AF, name)


def test_the_engine_binary_losses_take_values_too():
    p, z = [Value(0.9), Value(0.2)], [Value(2.0), Value(-1.0)]
    assert AF.binary_cross_entropy(p, [1, 0]).data == pytest.approx(
        AF.binary_cross_entropy(Tensor([0.9, 0.2], dtype=np.float64), [1, 0]).item())
    assert AF.binary_cross_entropy_with_logits(z, [1, 0]).data == pytest.approx(
        AF.binary_cross_entropy_with_logits(Tensor([2.0, -1.0], dtype=np.float64),
                                            [1, 0]).item())


def test_targets_may_be_lists_arrays_or_tensors():
    pred = t64([0.5, -1.0, 2.0])
    expected = F.mse_loss(pred, np.array([1.0, 0.0, 2.0])).item()
    assert F.mse_loss(pred, [1, 0, 2]).item() == expected
    assert F.mse_loss(pred, Tensor([1.0, 0.0, 2.0], dtype=np.float64)).item() == expected
    assert F.hinge_loss(pred, Tensor(np.array([1, -1, 1]))).item() == pytest.approx(
        (0.5 + 0.0 + 0.0) / 3)


TARGET_GRADIENT_CASES = [
    pytest.param(F.mse_loss, lambda r, s: r.uniform(-2, 2, s), lambda r, s: r.uniform(-2, 2, s),
                 shape, id=f"mse-{'x'.join(map(str, shape)) or '0d'}")
    for shape in ((), (5,), (2, 3))
] + [
    pytest.param(F.l1_loss, _grid_offset, _grid, shape,
                 id=f"l1-{'x'.join(map(str, shape)) or '0d'}")
    for shape in ((), (5,), (2, 3))
] + [
    pytest.param(F.cross_entropy, lambda r, s: r.uniform(-2, 2, s), _simplex, shape,
                 id=f"cross_entropy_probs-{'x'.join(map(str, shape))}")
    for shape in ((4, 3), (1, 3))
]


@pytest.mark.parametrize("loss, pred_sampler, target_sampler, shape", TARGET_GRADIENT_CASES)
def test_a_target_that_requires_grad_matches_finite_differences(loss, pred_sampler,
                                                                target_sampler, shape):
    """The losses that differentiate their target too: both inputs against finite differences
    (float64), for every reduction, 0-d and batch 1 included."""
    rng = np.random.default_rng(2)
    pred, target = pred_sampler(rng, shape), target_sampler(rng, shape)
    for reduction in REDUCTIONS:
        assert gradcheck(lambda p, t: loss(p, t, reduction), t64(pred), t64(target))


def test_mse_target_that_requires_grad_gets_a_gradient():
    """Composed losses differentiate both sides (e.g. matching two models' outputs)."""
    a, b = t64([1.0, 2.0]), t64([0.0, 4.0])
    F.mse_loss(a, b).backward()
    np.testing.assert_allclose(b.grad, -a.grad)
    np.testing.assert_allclose(a.grad, [1.0, -2.0])


# ----------------------------------------------------------------------------------------------
# Module forms
# ----------------------------------------------------------------------------------------------

MODULES = [
    (losses.MSELoss, F.mse_loss, [0.5, -1.0, 2.0], [1.0, 0.0, 2.5]),
    (losses.L1Loss, F.l1_loss, [0.5, -1.0, 2.0], [1.0, 0.0, 2.5]),
    (losses.BCELoss, F.binary_cross_entropy, [0.5, 0.1, 0.8], [1.0, 0.0, 0.3]),
    (losses.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, [0.5, -1.0, 2.0],
     [1.0, 0.0, 0.3]),
    (losses.CrossEntropyLoss, F.cross_entropy, [[0.5, -1.0, 2.0]], [2]),
    (losses.NLLLoss, F.nll_loss, [[-0.5, -1.0, -2.0]], [1]),
    (losses.HingeLoss, F.hinge_loss, [0.5, -1.0, 2.0], [1, 1, -1]),
]


@pytest.mark.parametrize("module, function, pred, target", MODULES,
                         ids=[m[0].__name__ for m in MODULES])
def test_module_form_calls_the_function(module, function, pred, target):
    """Same numbers as the functional form for every reduction; no parameters; a repr that
    shows the reduction; a bad reduction refused when the module is made."""
    for reduction in REDUCTIONS:
        criterion = module(reduction=reduction)
        expected = function(t64(pred), target, reduction)
        np.testing.assert_array_equal(criterion(t64(pred), target).data, expected.data)
        assert repr(criterion) == f"{module.__name__}(reduction={reduction!r})"
        assert criterion.parameters() == []
    assert module()(t64(pred), target).item() == function(t64(pred), target).item()
    with pytest.raises(ValueError, match=rf"{module.__name__}: reduction.*'avg'"):
        module(reduction="avg")


def test_loss_modules_are_modules_and_take_values():
    from nn.module import Module
    assert isinstance(losses.HingeLoss(), Module)
    scores = [Value(2.0), Value(0.25)]
    assert losses.HingeLoss()(scores, [1, -1]).data == F.hinge_loss(scores, [1, -1]).data
    with pytest.raises(TypeError):
        losses.MSELoss("sum")                       # keyword-only, as the functions' order differs


def test_a_loss_module_given_the_data_says_to_make_it_then_call_it():
    """`nn.MSELoss(pred, y)` for `nn.MSELoss()(pred, y)`: Python's error named
    `_Loss.__init__`, and `CrossEntropyLoss(logits)` took the logits for its weight."""
    pred = Tensor(np.zeros((4, 3), np.float32), requires_grad=True)
    y = np.array([0, 2, 1, 0])
    with pytest.raises(TypeError, match=r"^MSELoss\(shape \(4, 3\), shape \(4,\)\): a loss module "
                                        r"is made first, then called on the outputs and the "
                                        r"targets: criterion = MSELoss\(\); loss = "
                                        r"criterion\(outputs, targets\)$"):
        losses.MSELoss(pred, y)
    with pytest.raises(TypeError, match=r"^CrossEntropyLoss\(shape \(4, 3\)\): a loss module .* "
                                        r"\(a weight is a constant: pass weight.detach\(\)\)$"):
        losses.CrossEntropyLoss(pred)
    with pytest.raises(TypeError, match=r"^HuberLoss\('mean', 0.5\): HuberLoss takes its options "
                                        r"as keywords \(reduction=, delta=\)"):
        losses.HuberLoss("mean", 0.5)
    with pytest.raises(TypeError, match=r"CrossEntropyLoss takes weight by position and its "
                                        r"other options as keywords \(ignore_index=, reduction=, "
                                        r"label_smoothing=\)"):
        losses.CrossEntropyLoss([1.0, 2.0, 1.0], "sum")
    # a class weight by position is PyTorch's, and still works
    criterion = losses.CrossEntropyLoss(np.array([1.0, 2.0, 1.0]))
    assert criterion(pred, y).item() == pytest.approx(math.log(3))


def test_a_loss_module_given_values_says_to_make_it_then_call_it():
    """micrograd's outputs, a Value or a list of Values, by position: the error said the module
    takes its options as keywords (reduction=), as if a Value were an option."""
    pred, y = [Value(0.3), Value(-0.2)], [Value(1.0), Value(0.0)]
    with pytest.raises(TypeError, match=r"^MSELoss\(a list of Values, a list of Values\): a "
                                        r"loss module is made first, then called"):
        losses.MSELoss(pred, y)
    with pytest.raises(TypeError, match=r"^MSELoss\(Value, float\): a loss module is made "
                                        r"first"):
        losses.MSELoss(pred[0], 1.0)
    assert losses.MSELoss()(pred[0], y[0]).data == pytest.approx(0.49)


def test_a_loss_module_shows_its_options_as_its_signature():
    """help(nn.MSELoss) and a notebook's Shift-Tab read inspect.signature: the check of
    positional arguments (in _Loss.__new__) made it (*args, **kwargs)."""
    import inspect
    assert str(inspect.signature(losses.MSELoss)) == "(*, reduction: 'str' = 'mean') -> 'None'"
    assert list(inspect.signature(losses.CrossEntropyLoss).parameters)[:2] == [
        "weight", "ignore_index"]
    assert list(inspect.signature(losses.HuberLoss).parameters) == ["reduction", "delta"]
    from nn import Linear                           # a loss module's call: as any module's
    assert inspect.signature(losses.MSELoss()) == inspect.signature(Linear(1, 1))


def test_a_loss_subclass_may_take_a_parameter_by_position():
    """A learner's loss with a learnable temperature, TempCE(Parameter(...)), was refused as
    'a loss module is made first, then called': only glassgrad's own losses are judged so."""
    from nn import Parameter

    class TempCE(losses.CrossEntropyLoss):
        def __init__(self, temperature):
            super().__init__()
            self.temperature = temperature

        def forward(self, logits, target):
            return super().forward(logits / self.temperature, target)
    temperature = Parameter(np.array(2.0))
    criterion = TempCE(temperature)
    assert list(criterion.parameters()) == [temperature]
    assert criterion(t64([[0.0, 2.0]]), [1]).item() == pytest.approx(math.log(1 + math.exp(-1)))
    with pytest.raises(TypeError, match=r"^TempCE\(shape \(1, 2\), shape \(1,\)\): a loss module "
                                        r"is made first"):
        TempCE(t64([[0.0, 2.0]]), np.array([1]))


def test_bce_with_logits_module_pos_weight():
    criterion = losses.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0]))
    x, t = t64([[0.3, -0.2], [1.0, 0.5]]), np.array([[1.0, 0.0], [0.5, 1.0]])
    expected = F.binary_cross_entropy_with_logits(x, t, pos_weight=np.array([2.0, 1.0]))
    assert criterion(x, t).item() == expected.item()
    assert repr(criterion) == "BCEWithLogitsLoss(reduction='mean', pos_weight=[2.0, 1.0])"


def test_cross_entropy_on_sequence_logits_says_how_to_flatten_them():
    """The GPT lecture's (B, T, C) logits: PyTorch's class axis is 1, so (2, 4, 3) is N = 2,
    C = 4, d1 = 3; with (B, T) targets the error gives the views that fit (tests/test_loss_kdim.py
    has the K-dimensional losses themselves)."""
    from autograd import Tensor
    with pytest.raises(ValueError, match=r"cross_entropy: targets must have shape .* = \(2, 3\) "
                                         r"for logits \(2, 4, 3\) .*got shape \(2, 4\)\. .*"
                                         r"logits.reshape\(-1, 3\) with targets.reshape\(-1\), "
                                         r"or logits.transpose\(1, 2\)$"):
        F.cross_entropy(Tensor(np.zeros((2, 4, 3))), np.zeros((2, 4), dtype=np.int64))


def test_l1_penalty_on_tensors_and_values():
    """alpha Σ |p| over tensors of any shape; gradient alpha sign(p), 0 at 0 (a subgradient)."""
    a, b = t64([[1.0, -2.0], [0.0, 3.0]]), t64([-4.0])
    penalty = F.l1_penalty([a, b], 0.1)
    assert penalty.item() == pytest.approx(0.1 * (1 + 2 + 0 + 3 + 4), rel=1e-14)
    penalty.backward()
    np.testing.assert_array_equal(a.grad, 0.1 * np.sign(a.data))
    np.testing.assert_array_equal(b.grad, [-0.1])
    w = [Value(3.0), Value(-4.0), Value(0.0)]
    penalty = F.l1_penalty(w, 0.01)
    penalty.backward()
    assert penalty.data == pytest.approx(0.07, rel=1e-15)
    assert [v.grad for v in w] == [0.01, -0.01, 0.0]
    # and against finite differences, at points away from the kink at 0
    assert gradcheck(lambda x, y: F.l1_penalty([x, y], 0.3), t64([[1.5, -0.7], [0.4, -2.0]]),
                     t64([0.9]))


def test_l1_penalty_of_a_model_s_weights_shrinks_them_and_leaves_biases_alone():
    """Weights only, as the l2_penalty examples pass them: the biases get no gradient from it;
    with plain gradient descent the weights end hovering within lr·alpha of 0, not at 0."""
    from nn import Linear
    from nn.optim import SGD
    layer = Linear(3, 2, dtype=np.float64)
    weights = [p for name, p in layer.named_parameters() if name.endswith("weight")]
    F.l1_penalty(weights, 0.5).backward()
    assert layer.bias.grad is None
    np.testing.assert_array_equal(layer.weight.grad, 0.5 * np.sign(layer.weight.data))
    optimizer = SGD(weights, lr=0.01)
    for _ in range(300):
        optimizer.zero_grad()
        F.l1_penalty(weights, 0.5).backward()
        optimizer.step()
    assert np.abs(layer.weight.data).max() <= 0.005 + 1e-12       # lr · alpha
    assert np.count_nonzero(layer.weight.data) > 0                 # but not exactly 0


def test_l1_penalty_errors_are_l2_penalty_s_with_its_name():
    from nn import Linear
    with pytest.raises(TypeError, match=r"l1_penalty: got the module Linear; pass its "
                                        r"parameters: l1_penalty\(model.parameters\(\), alpha\)"):
        F.l1_penalty(Linear(2, 1), 1e-4)
    with pytest.raises(TypeError, match=r"l1_penalty: the parameters come first, then alpha"):
        F.l1_penalty(1e-4, [Value(1.0)])
    with pytest.raises(ValueError, match="l1_penalty: alpha must be a number >= 0, got -1"):
        F.l1_penalty([Value(1.0)], -1)
    with pytest.raises(ValueError, match="l1_penalty: got no parameters"):
        F.l1_penalty([], 1e-4)
    with pytest.raises(TypeError, match="l1_penalty: parameters must be Values or Tensors, got "
                                        "float"):
        F.l1_penalty([1.0], 1e-4)
