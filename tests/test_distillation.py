"""A learner's trial of knowledge distillation, written as a course notebook writes it in
PyTorch after `import autograd as torch`, `import nn`, `import nn.functional as F`: a teacher
MLP and a smaller student on made-up data, the student trained on the teacher's soft targets,
`F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean') * T * T`,
mixed with `F.cross_entropy(s, y, label_smoothing=0.1)`, the teacher in `eval()` under
`torch.no_grad()`; soft targets given to `F.cross_entropy(logits, probs)` as probabilities;
`log_target=True`, the reductions and PyTorch's warning about 'mean'. Each loss's gradient is
checked against central finite differences in float64; where PyTorch is installed, the numbers
are checked against it from the same logits.

Nothing needed changing from PyTorch code. Where glassgrad differs on purpose: kl_div's input
must be log-probabilities (probabilities are refused, with what to pass), and a target
probability that is exactly 0 gives its own gradient slope 0 where PyTorch's is NaN (0 · log 0
counts 0 in the loss in both).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

T = 4.0


def blobs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(points (count, 10) float32, labels (count,) int64): 5 classes, each a Gaussian blob
    around a fixed random centre; near enough to overlap, so the teacher's soft targets carry
    which classes resemble which."""
    centres = np.random.default_rng(11).normal(0, 1.2, (5, 10))
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, count)
    return (centres[labels] + rng.normal(0, 1, (count, 10))).astype(np.float32), labels


X, Y = blobs(600, seed=1)


def kd_loss(student_logits, teacher_logits, labels, alpha=0.7):
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=1),
                    F.softmax(teacher_logits / T, dim=1), reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels,
                                                        label_smoothing=0.1)


def train(model, loss_of_batch, epochs, seed=0):
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    order = np.random.default_rng(seed)
    x_all, y_all = torch.tensor(X), torch.tensor(Y)
    for _ in range(epochs):
        model.train()
        for batch in np.array_split(order.permutation(len(X)), len(X) // 50):
            optimizer.zero_grad()
            loss = loss_of_batch(model, x_all[batch], y_all[batch])
            loss.backward()
            optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 5))
    return train(model, lambda m, xb, yb: F.cross_entropy(m(xb), yb, label_smoothing=0.1), 15)


def student():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(10, 4), nn.ReLU(), nn.Linear(4, 5))


def test_the_distilled_student_matches_the_teacher_s_soft_targets_better(teacher):
    """KL(teacher_T ‖ student_T) on held-out points: the distilled student is closer to the
    teacher than the same student (same initial weights, batches) trained on hard labels."""
    teacher.eval()
    teacher.zero_grad()

    def distil(m, xb, yb):
        with torch.no_grad():
            t = teacher(xb)
        assert not t.requires_grad
        return kd_loss(m(xb), t, yb)

    distilled = train(student(), distil, 10)
    hard = train(student(), lambda m, xb, yb: F.cross_entropy(m(xb), yb), 10)
    assert all(p.grad is None for p in teacher.parameters())        # the teacher stays put
    x_test, y_test = blobs(400, seed=2)
    x_test = torch.tensor(x_test)
    with torch.no_grad():
        target = F.softmax(teacher(x_test) / T, dim=1)

        def kl(m):
            return F.kl_div(F.log_softmax(m(x_test) / T, dim=1), target,
                            reduction="batchmean").item()

        def accuracy(m):
            return (m(x_test).argmax(1) == torch.tensor(y_test)).float().mean().item()
        assert accuracy(teacher) > 0.8
        assert kl(distilled) < 0.5 * kl(hard)
        assert accuracy(distilled) > 0.7


def test_soft_targets_as_probabilities_in_cross_entropy(teacher):
    """F.cross_entropy(logits, probs) with a teacher's softmax: -Σ p log q, averaged, and with
    label_smoothing the target mixed with the uniform distribution, as in PyTorch."""
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=(6, 5)) * 2, requires_grad=True)
    probs = F.softmax(torch.tensor(rng.normal(size=(6, 5))), dim=1)
    log_q = logits.data - np.log(np.exp(logits.data).sum(1, keepdims=True))
    expected = -(probs.data * log_q).sum(1).mean()
    assert F.cross_entropy(logits, probs).item() == pytest.approx(expected, rel=1e-13)
    smoothed = probs.data * 0.9 + 0.1 / 5
    assert F.cross_entropy(logits, probs, label_smoothing=0.1).item() == pytest.approx(
        -(smoothed * log_q).sum(1).mean(), rel=1e-13)
    assert torch.gradcheck(lambda z: F.cross_entropy(z, probs, label_smoothing=0.1), logits)
    assert torch.gradcheck(lambda z, p: F.cross_entropy(z, F.softmax(p, dim=1)),
                           logits, torch.tensor(rng.normal(size=(6, 5)), requires_grad=True))
    # and one training step on the teacher's soft targets runs
    m = student()
    x = torch.tensor(X[:32])
    loss = F.cross_entropy(m(x), F.softmax(teacher(x).detach() / T, dim=1))
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in m.parameters())


def test_kl_div_s_reductions_log_target_and_the_warning_for_mean():
    rng = np.random.default_rng(1)
    s = torch.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    t = rng.normal(size=(4, 3))
    log_q, p = F.log_softmax(s, dim=1), F.softmax(torch.tensor(t), dim=1)
    per_element = p.data * (np.log(p.data) - log_q.data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # batchmean, sum, none: no warning
        batchmean = F.kl_div(log_q, p, reduction="batchmean")
        assert batchmean.item() == pytest.approx(per_element.sum() / 4, rel=1e-13)
        assert F.kl_div(log_q, p, reduction="sum").item() == pytest.approx(per_element.sum())
        np.testing.assert_allclose(F.kl_div(log_q, p, reduction="none").data, per_element)
        assert F.kl_div(log_q, p.log(), reduction="batchmean",
                        log_target=True).item() == pytest.approx(batchmean.item(), rel=1e-13)
        assert nn.KLDivLoss(reduction="batchmean")(log_q, p).item() == batchmean.item()
    for call in (lambda: F.kl_div(log_q, p, reduction="mean"), lambda: F.kl_div(log_q, p)):
        with pytest.warns(UserWarning, match=r"reduction='mean' divides the sum by every "
                                             r"element's count.*reduction='batchmean'"):
            assert call().item() == pytest.approx(per_element.mean(), rel=1e-13)
    with pytest.raises(ValueError, match=r"kl_div: input must be log-probabilities.*pass "
                                         r"log_softmax\(logits\)"):
        F.kl_div(F.softmax(s, dim=1), p, reduction="batchmean")
    for log_target in (False, True):
        assert torch.gradcheck(
            lambda a, b: F.kl_div(F.log_softmax(a / T, dim=1),
                                  (F.log_softmax if log_target else F.softmax)(b / T, dim=1),
                                  reduction="batchmean", log_target=log_target) * T * T,
            s, torch.tensor(t, requires_grad=True))


def test_kl_div_with_zeros_in_the_target_counts_zero_log_zero_as_zero():
    """A target probability of exactly 0 contributes 0 (PyTorch's 0 · log 0 = 0), and the
    input's gradient there is 0, checked by finite differences; with log_target=True the same
    place is -inf. The target's own slope there is finite here, p log p counted with slope 0
(PyTorch's is NaN)."""
    s = torch.tensor([[0.3, -1.2, 0.5], [1.0, 0.2, -0.3]], dtype=torch.float64,
                     requires_grad=True)
    p = torch.tensor([[0.0, 0.4, 0.6], [0.2, 0.3, 0.5]], dtype=torch.float64,
                     requires_grad=True)
    log_q = F.log_softmax(s, dim=1)
    loss = F.kl_div(log_q, p, reduction="sum")
    expected = sum(pi * (np.log(pi) - qi) for pi, qi in zip(p.data.ravel(), log_q.data.ravel())
                   if pi > 0)
    assert loss.item() == pytest.approx(expected, rel=1e-13)
    with np.errstate(divide="ignore"):
        log_p = torch.tensor(np.log(p.data))
    assert F.kl_div(log_q, log_p, reduction="sum", log_target=True).item() == pytest.approx(
        expected, rel=1e-13)
    assert torch.gradcheck(lambda a: F.kl_div(F.log_softmax(a, dim=1), p.detach(),
                                              reduction="batchmean"), s)
    q = torch.tensor(log_q.data, requires_grad=True)
    F.kl_div(q, p, reduction="sum").backward()
    assert q.grad[0, 0] == 0 and np.isfinite(p.grad).all()
    assert p.grad[0, 0] == -q.data[0, 0]        # d/dp of p log p - p q at p = 0: log p taken as 0


@needs_torch
def test_the_distillation_loss_matches_pytorch_s():
    rng = np.random.default_rng(2)
    s, t = rng.normal(size=(8, 5)) * 2, rng.normal(size=(8, 5)) * 2
    labels = rng.integers(0, 5, 8)
    ours_s, ours_t = torch.tensor(s, requires_grad=True), torch.tensor(t, requires_grad=True)
    loss = kd_loss(ours_s, ours_t, torch.tensor(labels))
    loss.backward()
    TF = real_torch.nn.functional
    their_s = real_torch.tensor(s, requires_grad=True)
    their_t = real_torch.tensor(t, requires_grad=True)
    soft = TF.kl_div(TF.log_softmax(their_s / T, dim=1), TF.softmax(their_t / T, dim=1),
                     reduction="batchmean") * T * T
    theirs = 0.7 * soft + 0.3 * TF.cross_entropy(their_s, real_torch.tensor(labels),
                                                 label_smoothing=0.1)
    theirs.backward()
    assert loss.item() == pytest.approx(theirs.item(), rel=1e-13)
    np.testing.assert_allclose(ours_s.grad, their_s.grad.numpy(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(ours_t.grad, their_t.grad.numpy(), rtol=1e-12, atol=1e-16)
    for reduction in ("sum", "none"):
        ours = F.kl_div(F.log_softmax(ours_s, dim=1), F.log_softmax(ours_t, dim=1),
                        reduction=reduction, log_target=True)
        expected = TF.kl_div(TF.log_softmax(their_s, dim=1), TF.log_softmax(their_t, dim=1),
                             reduction=reduction, log_target=True)
        np.testing.assert_allclose(ours.data, expected.detach().numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        expected = TF.kl_div(TF.log_softmax(their_s, dim=1), TF.softmax(their_t, dim=1),
                             reduction="mean")
    with pytest.warns(UserWarning):
        ours = F.kl_div(F.log_softmax(ours_s, dim=1), F.softmax(ours_t, dim=1),
                        reduction="mean")
    assert ours.item() == pytest.approx(expected.item(), rel=1e-13)
    soft_ce = F.cross_entropy(ours_s, F.softmax(ours_t, dim=1), label_smoothing=0.1)
    expected = TF.cross_entropy(their_s, TF.softmax(their_t, dim=1), label_smoothing=0.1)
    assert soft_ce.item() == pytest.approx(expected.item(), rel=1e-13)
