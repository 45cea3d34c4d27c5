"""PyTorch's other shapes of cross_entropy and nll_loss: K-dimensional scores (N, C, d1, ..., dk)
with labels (N, d1, ..., dk) or probabilities of the scores' shape, and one sample's (C,) with
a 0-d label.

* the 2-d path, flattened by hand (class axis last, every position a row), is the reference
  for values and gradients, with every option and reduction;
* PyTorch itself, where torch is installed, for K = 1 and K = 2;
* float64 central differences (gradcheck) of the logits and of a probability target;
* the errors for targets of the wrong shape, with the hint for channels-last (B, T, C) logits.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from autograd import functional as AF
from nn import CrossEntropyLoss, NLLLoss
from nn import functional as F

from conftest import strict, t64

REDUCTIONS = ("mean", "sum", "none")
SHAPES = {"K=1": (3, 4, 5), "K=2": (2, 4, 3, 2)}        # (N, C, d1, ...), C = 4
# (weighted, ignore_index, label_smoothing): PyTorch's options, alone and together
OPTIONS = [(False, -100, 0.0), (True, -100, 0.0), (False, 1, 0.0), (False, -100, 0.2),
           (True, 2, 0.3)]


def _rows(z: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) → (N·d1·..., C): the class axis last, every position a row."""
    return np.moveaxis(z, 1, -1).reshape(-1, z.shape[1])


def _case(rng, shape, ignore_index=-100):
    """Logits, labels (N, d1, ...) with some positions ignored, class weights."""
    n, c, *rest = shape
    labels = rng.integers(0, c, (n, *rest))
    labels[rng.random(labels.shape) < 0.25] = ignore_index
    return rng.normal(size=shape) * 2, labels, rng.uniform(0.2, 2.0, c)


def _backward(loss, reduction, mix):
    """Backward from the loss, or for "none" from a fixed mix of its elements (so a wrong
    reshape of the per-element gradients cannot pass)."""
    (loss * Tensor(mix)).sum().backward() if reduction == "none" else loss.backward()


# ----------------------------------------------------------------------------------------------
# The 2-d path, flattened by hand, is the reference
# ----------------------------------------------------------------------------------------------

CASES = list(itertools.product(SHAPES, OPTIONS, REDUCTIONS))


@pytest.mark.parametrize("shape, options, reduction", CASES,
                         ids=[f"{s}-w{o[0]:d}-ign{o[1]}-eps{o[2]}-{r}" for s, o, r in CASES])
def test_labels_equal_the_flattened_rows(shape, options, reduction, rng):
    weighted, ignore_index, smoothing = options
    z, labels, weight = _case(rng, SHAPES[shape], ignore_index)
    kwargs = {"weight": weight if weighted else None, "ignore_index": ignore_index}
    mix = rng.normal(size=labels.shape)
    logits, rows = t64(z), t64(_rows(z))
    with strict():
        ours = F.cross_entropy(logits, labels, reduction, label_smoothing=smoothing, **kwargs)
        flat = F.cross_entropy(rows, labels.reshape(-1), reduction, label_smoothing=smoothing,
                               **kwargs)
        _backward(ours, reduction, mix)
        _backward(flat, reduction, mix.reshape(-1))
    assert ours.shape == (labels.shape if reduction == "none" else ())
    np.testing.assert_allclose(ours.data.reshape(-1), flat.data.reshape(-1), rtol=1e-13)
    np.testing.assert_allclose(_rows(logits.grad), rows.grad, rtol=1e-12, atol=1e-15)
    # nll_loss of the log-probabilities: the same numbers, the gradient on them
    if not smoothing:
        log_p, log_rows = t64(AF.log_softmax(t64(z), axis=1).data), t64(_rows(z))
        log_rows = t64(AF.log_softmax(log_rows, axis=1).data)
        with strict():
            nll = F.nll_loss(log_p, labels, reduction, **kwargs)
            flat_nll = F.nll_loss(log_rows, labels.reshape(-1), reduction, **kwargs)
            _backward(nll, reduction, mix)
            _backward(flat_nll, reduction, mix.reshape(-1))
        np.testing.assert_allclose(nll.data.reshape(-1), ours.data.reshape(-1), rtol=1e-12)
        np.testing.assert_allclose(_rows(log_p.grad), log_rows.grad, rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_probability_targets_equal_the_flattened_rows(shape, reduction, rng):
    """Probabilities of the logits' shape; a target that requires grad gets its gradient back
    in its own layout. The mean divides by the positions, N·d1·..., as in PyTorch."""
    z = rng.normal(size=SHAPES[shape])
    t = np.moveaxis(rng.dirichlet(np.ones(4), SHAPES[shape][:1] + SHAPES[shape][2:]), -1, 1)
    weight = rng.uniform(0.2, 2.0, 4)
    mix = rng.normal(size=(z.shape[0],) + z.shape[2:])
    logits, target, rows, target_rows = t64(z), t64(t), t64(_rows(z)), t64(_rows(t))
    ours = F.cross_entropy(logits, target, reduction, weight=weight, label_smoothing=0.1)
    flat = F.cross_entropy(rows, target_rows, reduction, weight=weight, label_smoothing=0.1)
    _backward(ours, reduction, mix)
    _backward(flat, reduction, mix.reshape(-1))
    np.testing.assert_allclose(ours.data.reshape(-1), flat.data.reshape(-1), rtol=1e-13)
    np.testing.assert_allclose(_rows(logits.grad), rows.grad, rtol=1e-12)
    np.testing.assert_allclose(_rows(target.grad), target_rows.grad, rtol=1e-12)
    constant = F.cross_entropy(t64(z), t, reduction, weight=weight, label_smoothing=0.1)
    np.testing.assert_allclose(constant.data, ours.data, rtol=1e-13)


def test_one_sample_takes_a_0d_label():
    """(C,) logits with a 0-d label are one row; "none" gives a 0-d loss."""
    z = np.array([1.0, -0.5, 2.0])
    expected = F.cross_entropy(t64([z]), [2], "none").data[0]
    for label in (2, np.array(2), np.int64(2), Tensor(np.array(2))):
        for reduction in REDUCTIONS:
            loss = F.cross_entropy(t64(z), label, reduction)
            assert loss.shape == () and loss.item() == pytest.approx(expected, rel=1e-15)
    log_p = AF.log_softmax(t64(z), axis=0)
    assert F.nll_loss(log_p, 2, "none").item() == pytest.approx(expected, rel=1e-14)
    probabilities = np.array([0.2, 0.0, 0.8])
    logits = t64(z)
    F.cross_entropy(logits, probabilities).backward()
    np.testing.assert_allclose(logits.grad, AF.softmax(t64(z), axis=0).data - probabilities)


def test_the_default_path_stays_the_fused_op_on_flat_labels(rng):
    """No options: the K-dim labels reach the fused op as flat picks, no (M, C) target."""
    z, labels, _ = _case(rng, SHAPES["K=2"])
    labels[labels == -100] = 0
    loss = F.cross_entropy(t64(z), labels)
    assert loss._fn.name == "cross_entropy"
    assert loss._ctx.picks is not None and loss._ctx.target is None
    assert F.cross_entropy(Tensor(z.astype(np.float32)), labels).dtype == np.float32


def test_the_modules_take_kdim_scores(rng):
    z, labels, weight = _case(rng, SHAPES["K=1"], ignore_index=0)
    criterion = CrossEntropyLoss(weight, ignore_index=0, reduction="none", label_smoothing=0.1)
    np.testing.assert_array_equal(
        criterion(t64(z), labels).data,
        F.cross_entropy(t64(z), labels, "none", weight=weight, ignore_index=0,
                        label_smoothing=0.1).data)
    log_p = AF.log_softmax(t64(z), axis=1)
    assert NLLLoss(weight, ignore_index=0)(log_p, labels).item() == pytest.approx(
        F.cross_entropy(t64(z), labels, weight=weight, ignore_index=0).item(), rel=1e-13)


def test_softmax_over_the_class_axis_still_warns():
    z = t64(np.zeros((2, 3, 4)))
    with pytest.warns(UserWarning, match="cross_entropy: its input comes from softmax"):
        F.cross_entropy(AF.softmax(z, axis=1), np.zeros((2, 4), dtype=np.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(z, np.zeros((2, 4), dtype=np.int64))


# ----------------------------------------------------------------------------------------------
# Gradients: central differences in float64
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_kdim_gradients_match_central_differences(reduction, rng):
    z, labels, weight = _case(rng, SHAPES["K=2"])
    assert gradcheck(lambda x: F.cross_entropy(x, labels, reduction, weight=weight,
                                               label_smoothing=0.2), t64(z))
    assert gradcheck(lambda x: F.nll_loss(x, labels, reduction, weight=weight),
                     AF.log_softmax(t64(z), axis=1).detach().requires_grad_())
    t = np.moveaxis(rng.dirichlet(np.ones(4), (2, 3, 2)), -1, 1)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p, reduction, weight=weight,
                                                  label_smoothing=0.1), t64(z), t64(t))
    assert gradcheck(lambda x: F.cross_entropy(x, 1, reduction), t64(z[0, :, 0, 0]))


# ----------------------------------------------------------------------------------------------
# PyTorch itself
# ----------------------------------------------------------------------------------------------

TORCH_CASES = list(itertools.product(SHAPES, OPTIONS, REDUCTIONS))


@pytest.mark.parametrize("shape, options, reduction", TORCH_CASES,
                         ids=[f"{s}-w{o[0]:d}-ign{o[1]}-eps{o[2]}-{r}" for s, o, r in TORCH_CASES])
def test_labels_match_pytorch(shape, options, reduction, rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    weighted, ignore_index, smoothing = options
    z, labels, weight = _case(rng, SHAPES[shape], ignore_index)
    w = weight if weighted else None
    mix = rng.normal(size=labels.shape)
    logits = t64(z)
    loss = F.cross_entropy(logits, labels, reduction, weight=w, ignore_index=ignore_index,
                           label_smoothing=smoothing)
    _backward(loss, reduction, mix)
    theirs = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(
        theirs, torch.tensor(labels), None if w is None else torch.tensor(w),
        ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    (expected * torch.tensor(mix)).sum().backward() if reduction == "none" else \
        expected.backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(logits.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
    if not smoothing:
        log_p = AF.log_softmax(t64(z), axis=1).detach().requires_grad_()
        nll = F.nll_loss(log_p, labels, reduction, weight=w, ignore_index=ignore_index)
        _backward(nll, reduction, mix)
        their_log_p = torch.tensor(log_p.data, requires_grad=True)
        expected = torch.nn.functional.nll_loss(
            their_log_p, torch.tensor(labels), None if w is None else torch.tensor(w),
            ignore_index=ignore_index, reduction=reduction)
        (expected * torch.tensor(mix)).sum().backward() if reduction == "none" else \
            expected.backward()
        np.testing.assert_allclose(nll.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(log_p.grad, their_log_p.grad.numpy(), rtol=1e-10,
                                   atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_probability_targets_and_one_sample_match_pytorch(shape, reduction, rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    z = rng.normal(size=SHAPES[shape])
    t = np.moveaxis(rng.dirichlet(np.ones(4), SHAPES[shape][:1] + SHAPES[shape][2:]), -1, 1)
    weight = rng.uniform(0.2, 2.0, 4)
    ours = F.cross_entropy(t64(z), t, reduction, weight=weight, label_smoothing=0.2)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(t),
                                               torch.tensor(weight), reduction=reduction,
                                               label_smoothing=0.2)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    sample = z[(0, slice(None)) + (0,) * (z.ndim - 2)]          # one position's (C,) scores
    one = F.cross_entropy(t64(sample), 3, reduction, weight=weight)
    expected = torch.nn.functional.cross_entropy(torch.tensor(sample), torch.tensor(3),
                                                 torch.tensor(weight), reduction=reduction)
    assert one.shape == tuple(expected.shape) == ()
    assert one.item() == pytest.approx(expected.item(), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

def test_targets_of_the_wrong_shape_name_both_shapes_and_the_expected_one():
    z = Tensor(np.zeros((4, 10, 5)))
    with pytest.raises(ValueError, match=r"^cross_entropy: targets must have shape \(N, d1, "
                                         r"\.\.\.\) = \(4, 5\) for logits \(4, 10, 5\) \(class "
                                         r"axis 1, as in PyTorch\), or probabilities of the "
                                         r"logits' shape \(4, 10, 5\); got shape \(4, 5, 1\)$"):
        F.cross_entropy(z, np.zeros((4, 5, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"^nll_loss: targets must have shape \(N, d1, \.\.\.\) "
                                         r"= \(4, 5\) for log_probs \(4, 10, 5\) \(class axis 1, "
                                         r"as in PyTorch\); got shape \(4, 10, 5\)$"):
        F.nll_loss(z, np.zeros((4, 10, 5)))        # nll_loss takes no probabilities
    with pytest.raises(ValueError, match=r"cross_entropy: the target of logits of shape \(C,\) "
                                         r"= \(3,\) \(one sample\) must be one class index, shape "
                                         r"\(\).*got shape \(2,\) \(for a batch, 2-d logits "
                                         r"\(N, C\) with targets \(N,\)\)"):
        F.cross_entropy(Tensor(np.zeros(3)), [0, 1])
    # a batch of labels against a one-output model's (N,) logits (LogisticRegression) was read
    # as one sample's probabilities [1, 0, 1, 1] and gave a number (PyTorch refuses it too)
    for labels in (np.array([1, 0, 1, 1]), np.array([True, False, True, True])):
        with pytest.raises(ValueError, match=r"^cross_entropy: logits of shape \(C,\) = \(4,\) "
                                             r"\(one sample\) with integer targets of that "
                                             r"shape: .*probabilities must be floating, as in "
                                             r"PyTorch\. One score per sample \(LogisticRegression"
                                             r".*binary_cross_entropy_with_logits' input"):
            F.cross_entropy(Tensor(np.array([0.5, -1.0, 2.0, 0.1])), labels)
    one_sample = F.cross_entropy(t64(np.array([0.5, -1.0])), np.array([0.0, 1.0]))
    assert one_sample.item() == pytest.approx(np.log1p(np.exp(1.5)), rel=1e-14)
    # PyTorch takes a (1,) target too; it reads like a batch of one, so both ways are shown
    with pytest.raises(ValueError, match=r"got shape \(1,\) \(a batch of one\? 2-d logits "
                                         r"\(N, C\) take targets \(N,\): "
                                         r"logits.reshape\(1, -1\); else pass the label itself\)$"):
        F.cross_entropy(Tensor(np.zeros(3)), [2])
    with pytest.raises(ValueError, match=r"cross_entropy: logits must have a class axis.*got a "
                                         r"0-d tensor"):
        F.cross_entropy(Tensor(np.float64(1.0)), 0)
    with pytest.raises(ValueError, match=r"nll_loss: the log_probs have shape \(2, 0, 3\), no "
                                         r"classes \(class axis 1\)"):
        F.nll_loss(Tensor(np.zeros((2, 0, 3))), np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="cross_entropy: class labels must be integers"):
        F.cross_entropy(z, np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 10\), got "
                                         r"values in \[0, 10\]"):
        F.cross_entropy(z, np.arange(20).reshape(4, 5) % 11)


def test_channels_last_logits_get_the_class_axis_hint():
    """The GPT lecture's (B, T, C) logits with (B, T) targets: PyTorch reads (4, 10, 5) as
    N = 4, C = 10, d1 = 5; the error says so and gives both fixes."""
    with pytest.raises(ValueError, match=r"= \(4, 5\) for logits \(4, 10, 5\).*got shape "
                                         r"\(4, 10\)\. Class scores last, as a sequence's "
                                         r"\(B, T, C\)\? PyTorch's class axis is 1: use "
                                         r"logits.reshape\(-1, 5\) with targets.reshape\(-1\), "
                                         r"or logits.transpose\(1, 2\)$"):
        F.cross_entropy(Tensor(np.zeros((4, 10, 5))), np.zeros((4, 10), dtype=np.int64))
    with pytest.raises(ValueError, match=r"as channels-last \(N, \.\.\., C\)\? .*"
                                         r"log_probs.reshape\(-1, 3\) with targets.reshape\(-1\), "
                                         r"or log_probs.permute\(0, 3, 1, 2\)$"):
        F.nll_loss(Tensor(np.zeros((2, 5, 4, 3))), np.zeros((2, 5, 4), dtype=np.int64))
    # the fix given works
    z, y = Tensor(np.zeros((4, 10, 5))), np.zeros((4, 10), dtype=np.int64)
    assert F.cross_entropy(z.transpose(1, 2), y).item() == pytest.approx(np.log(5))
    assert F.cross_entropy(z.reshape(-1, 5), y.reshape(-1)).item() == pytest.approx(np.log(5))
