"""PyTorch's `weight=` of the binary cross-entropies (F.binary_cross_entropy,
F.binary_cross_entropy_with_logits) and of their modules BCELoss and BCEWithLogitsLoss: a
constant that broadcasts to the input's shape and rescales each element's loss before the
reduction ("mean" still divides by the number of elements).

* a numpy writing of the formula, for every reduction and weight shape (full, per column, one
  number, 0-d input), with and without pos_weight;
* float64 central finite differences through the weight;
* the list-of-Values versions against the Tensor versions;
* PyTorch itself, asked live where torch is installed;
* the modules (weight first, as in PyTorch; a buffer in the state_dict) and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck
from nn import functional as F
from nn.losses import BCELoss, BCEWithLogitsLoss

from conftest import t64

REDUCTIONS = ("mean", "sum", "none")

# (input shape, weight shape): the weight broadcasts to the input's shape
SHAPES = [((4, 3), (4, 3)), ((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), ()), ((5,), (5,)),
          ((), ()), ((1, 2), (1, 2))]


def _reduce(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def bce_ref(p, t, w):
    return -w * (t * np.log(p) + (1 - t) * np.log(1 - p))


def bce_logits_ref(x, t, w, pos_weight=1.0):
    log_s, log_q = -np.log1p(np.exp(-x)), -np.log1p(np.exp(x))      # log σ(x), log(1 - σ(x))
    return -w * (pos_weight * t * log_s + (1 - t) * log_q)


def _data(shape, weight_shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.05, 0.95, shape), rng.uniform(-3, 3, shape), rng.uniform(0, 1, shape),
            rng.uniform(0.2, 2.0, weight_shape))


@pytest.mark.parametrize("shape, weight_shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weight_rescales_each_element_before_the_reduction(shape, weight_shape, reduction):
    p, x, t, w = _data(shape, weight_shape)
    ours = F.binary_cross_entropy(t64(p), t, reduction, weight=w)
    np.testing.assert_allclose(ours.data, _reduce(bce_ref(p, t, w), reduction), rtol=1e-12)
    assert ours.shape == np.shape(_reduce(bce_ref(p, t, w), reduction))
    ours = F.binary_cross_entropy_with_logits(t64(x), t, reduction, weight=w)
    np.testing.assert_allclose(ours.data, _reduce(bce_logits_ref(x, t, w), reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weight_and_pos_weight_together(reduction):
    _, x, t, w = _data((4, 3), (4, 1))
    pos_weight = np.array([0.5, 3.0, 1.0])
    ours = F.binary_cross_entropy_with_logits(t64(x), t, reduction, weight=w,
                                              pos_weight=pos_weight)
    np.testing.assert_allclose(ours.data, _reduce(bce_logits_ref(x, t, w, pos_weight),
                                                  reduction), rtol=1e-12)


@pytest.mark.parametrize("shape, weight_shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradients_through_the_weight_match_finite_differences(shape, weight_shape, reduction):
    p, x, t, w = _data(shape, weight_shape, seed=1)
    assert gradcheck(lambda u: F.binary_cross_entropy(u, t, reduction, weight=w), t64(p))
    assert gradcheck(lambda u: F.binary_cross_entropy_with_logits(
        u, t, reduction, weight=w, pos_weight=2.5), t64(x))


def test_the_gradient_is_the_weighted_closed_form():
    """d/dx of Σ w ℓ is w (σ(x) - t); a weight of 0 leaves an element out entirely."""
    x, t, w = t64([0.0, 1.5, -2.0]), np.array([1.0, 0.3, 0.0]), np.array([2.0, 0.0, 0.5])
    F.binary_cross_entropy_with_logits(x, t, "sum", weight=w).backward()
    np.testing.assert_allclose(x.grad, w * (1 / (1 + np.exp(-x.data)) - t), rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_value_lists_take_a_weight_too(reduction):
    """A list of Values with a weight (one number, or one per Value) equals the Tensor version,
    gradients included."""
    p, x, t, w = _data((4,), (4,), seed=2)
    for loss, pred in ((F.binary_cross_entropy, p), (F.binary_cross_entropy_with_logits, x)):
        for weight in (w, 0.7):
            values, tensor = [Value(float(v)) for v in pred], t64(pred)
            out_v = loss(values, t, reduction, weight=weight)
            out_t = loss(tensor, t, reduction, weight=weight)
            if reduction == "none":
                out_v, out_t = sum(out_v), out_t.sum()
            assert out_v.data == pytest.approx(out_t.item(), rel=1e-12)
            out_v.backward()
            out_t.backward()
            np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12)


def test_float32_stays_float32():
    p = Tensor(np.array([0.2, 0.7], dtype=np.float32), requires_grad=True)
    assert F.binary_cross_entropy(p, [0, 1], weight=np.array([1.0, 2.0])).dtype == np.float32
    loss = F.binary_cross_entropy_with_logits(p, [0, 1], "none", weight=[1.0, 2.0])
    assert loss.dtype == np.float32


def test_the_weights_match_pytorch():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    p, x, t, _ = _data((4, 3), ())
    for weight_shape in ((4, 3), (3,), (4, 1), ()):
        w = np.random.default_rng(3).uniform(0.2, 2.0, weight_shape)
        for reduction in REDUCTIONS:
            pairs = ((F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, p, {}),
                     (F.binary_cross_entropy_with_logits,
                      torch.nn.functional.binary_cross_entropy_with_logits, x,
                      {"pos_weight": np.array([0.5, 3.0, 1.0])}))
            for ours, theirs, pred, extra in pairs:
                for options in ({}, extra):
                    mine = t64(pred)
                    loss = ours(mine, t, reduction, weight=w, **options)
                    loss.backward(np.ones(loss.shape))
                    tp = torch.tensor(pred, requires_grad=True)
                    torch_options = {k: torch.tensor(v) for k, v in options.items()}
                    expected = theirs(tp, torch.tensor(t), weight=torch.tensor(w),
                                      reduction=reduction, **torch_options)
                    expected.backward(torch.ones_like(expected))
                    np.testing.assert_allclose(loss.data, expected.detach().numpy(),
                                               rtol=1e-12, atol=1e-15)
                    np.testing.assert_allclose(mine.grad, tp.grad.numpy(), rtol=1e-10,
                                               atol=1e-15)


def test_modules_take_the_weight_first_as_pytorchs():
    _, x, t, w = _data((4, 3), (3,))
    p = 1 / (1 + np.exp(-x))
    criterion = BCELoss(w, reduction="sum")
    assert criterion(t64(p), t).item() == F.binary_cross_entropy(t64(p), t, "sum",
                                                                 weight=w).item()
    np.testing.assert_array_equal(criterion.state_dict()["weight"], w)
    assert repr(criterion) == f"BCELoss(reduction='sum', weight={w.tolist()})"
    criterion = BCEWithLogitsLoss(weight=w, pos_weight=[2.0, 1.0, 0.5])
    assert criterion(t64(x), t).item() == F.binary_cross_entropy_with_logits(
        t64(x), t, weight=w, pos_weight=[2.0, 1.0, 0.5]).item()
    # both are buffers, in the state_dict under PyTorch's names (a model holding its loss
    # loads into PyTorch); PyTorch's strict load missed pos_weight
    assert list(criterion.state_dict()) == ["weight", "pos_weight"]
    assert criterion.parameters() == []
    values = [Value(0.3), Value(-1.2)]                  # the scalar engine's pos_weight: a number
    assert BCEWithLogitsLoss(pos_weight=2.0)(values, [1.0, 0.0]).data == \
        F.binary_cross_entropy_with_logits(values, [1.0, 0.0], pos_weight=2.0).data == \
        F.binary_cross_entropy_with_logits(values, [1.0, 0.0], pos_weight=Tensor(2.0)).data
    # buffers are constant Tensors, as PyTorch's (they were ndarrays): criterion.weight.sum()
    assert type(criterion.weight) is Tensor and type(criterion.pos_weight) is Tensor
    assert criterion.pos_weight.size(0) == 3 and criterion.weight.clone().sum().item() == w.sum()
    assert list(BCELoss().state_dict()) == [] and repr(BCELoss()) == "BCELoss(reduction='mean')"
    with pytest.raises(TypeError, match=r"BCEWithLogitsLoss: the first argument is weight, got "
                                        r"'sum'; pass reduction='sum'"):
        BCEWithLogitsLoss("sum")


def test_bad_weights_are_errors_naming_the_function_and_shapes():
    z, t = t64(np.zeros((4, 3))), np.zeros((4, 3))
    for loss in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        name = loss.__name__
        pred = z + 0.5
        with pytest.raises(ValueError, match=rf"{name}: weight of shape \(4,\) does not "
                                             rf"broadcast to the input's shape \(4, 3\)"):
            loss(pred, t, weight=np.ones(4))
        with pytest.raises(ValueError, match=rf"{name}: weight must be >= 0 and finite, got "
                                             rf"values in \[-1.0, 1.0\]"):
            loss(pred, t, weight=[1.0, -1.0, 1.0])
        with pytest.raises(ValueError, match=rf"{name}: the weight requires grad.*detach"):
            loss(pred, t, weight=t64([1.0, 2.0, 3.0]))
        with pytest.raises(ValueError, match=rf"{name}: with Values, weight must be one number "
                                             rf"or one per Value \(2\), got shape \(3,\)"):
            loss([Value(0.5), Value(0.5)], [0, 1], weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"BCELoss: weight must be >= 0 and finite"):
        BCELoss([1.0, float("nan")])
    # pos_weight too is checked when the loss is made, not at its first call (it was accepted,
    # -1 and 'a' alike, and shown in the repr)
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: pos_weight must be >= 0 and "
                                         r"finite, got values in \[-1.0, -1.0\]"):
        BCEWithLogitsLoss(pos_weight=-1.0)
    with pytest.raises(TypeError, match=r"BCEWithLogitsLoss: pos_weight must be numbers, got "
                                        r"dtype <U1"):
        BCEWithLogitsLoss(pos_weight="a")
