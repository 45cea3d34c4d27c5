"""A learner's trial of contrastive and metric learning, written as a course notebook writes it
in PyTorch after `import autograd as torch`, `import nn`, `import nn.functional as F`:
SimCLR-style InfoNCE on two noisy views of the same made-up 8x8 "digit" (`F.normalize(z,
dim=1)`, `z @ z.T / tau`, the diagonal masked with -inf by `fill_diagonal_` or `masked_fill`,
`F.cross_entropy` with the positive's index), then a linear probe on the frozen embeddings
(`.detach()`, `requires_grad_(False)`); `nn.TripletMarginLoss`, `F.triplet_margin_loss`,
`nn.CosineEmbeddingLoss`, `F.pairwise_distance`, `torch.cdist`. The gradients the losses rely
on are checked against central finite differences in float64, also where they are kinks:
`normalize` at a zero vector, `cdist` at coincident points, `masked_fill` with -inf before a
softmax; where PyTorch is installed, values and gradients are checked against it.

What the trial needed to change from PyTorch code: nothing, once `sim.fill_diagonal_(-inf)`
existed and `sim.masked_fill_(mask, -inf)` was recorded on an op's result (both were errors:
tests/test_tensor_in_place_methods.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

CLASSES = 10


def digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (count, 64) float32 in [0, 1], labels (count,) int64): class c is a fixed random
    binary pattern of its own at 0.4 over uniform noise in [0, 0.8], noisy enough that a probe
    trained on 30 labelled images of a random encoder's features is right about half the time."""
    patterns = np.random.default_rng(5).random((CLASSES, 64)) < 0.3
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, count)
    images = rng.uniform(0.0, 0.8, (count, 64)) + 0.4 * patterns[labels]
    return images.clip(0, 1).astype(np.float32), labels.astype(np.int64)


def augment(x):
    """A noisy view: a fifth of the pixels dropped, Gaussian noise added."""
    keep = (torch.rand_like(x) > 0.2).float()
    return (x * keep + 0.2 * torch.randn_like(x)).clamp(0, 1)


def info_nce(z1, z2, tau=0.2):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.T / tau
    sim.fill_diagonal_(float("-inf"))               # a view is not its own positive
    n = z1.shape[0]
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, positives)


def info_nce_masked(z1, z2, tau=0.2):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    n = z1.shape[0]
    sim = (z @ z.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(sim, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]))


def encoder():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 16))


def probe_accuracy(embed, x_train, y_train, x_test, y_test):
    """A linear classifier trained on the frozen embeddings; its held-out accuracy."""
    with torch.no_grad():
        e_train, e_test = embed(x_train).detach(), embed(x_test).detach()
    assert not e_train.requires_grad
    probe = nn.Linear(e_train.shape[1], CLASSES)
    optimizer = nn.optim.Adam(probe.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        F.cross_entropy(probe(e_train), y_train).backward()
        optimizer.step()
    return (probe(e_test).argmax(dim=1) == y_test).float().mean().item()


def test_infonce_embeddings_make_a_linear_probe_beat_chance():
    """Trained without labels, the encoder's embeddings of 30 labelled images teach a linear
    probe to be right on most held-out ones (about 0.85-0.9 over seeds), far above chance
    (0.1) and above the same probe on a random encoder of the same shape (about 0.45-0.55)."""
    torch.manual_seed(0)
    x_np, y_np = digits(512, seed=1)
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    enc, head = encoder(), nn.Sequential(nn.ReLU(), nn.Linear(16, 16))
    untrained = encoder()
    optimizer = nn.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=3e-3)
    losses = []
    for epoch in range(6):
        for batch in np.array_split(np.random.default_rng(epoch).permutation(512), 4):
            xb = x[batch]                                   # labels are never looked at
            loss = info_nce(head(enc(augment(xb))), head(enc(augment(xb))))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) - 0.5
    enc.eval()
    enc.zero_grad()
    for p in enc.parameters():
        p.requires_grad_(False)
    x_test, y_test = (torch.tensor(a) for a in digits(400, seed=2))
    accuracy = probe_accuracy(enc, x[:30], y[:30], x_test, y_test)
    assert accuracy > 0.1 + 0.6
    assert accuracy > probe_accuracy(untrained, x[:30], y[:30], x_test, y_test) + 0.15
    assert all(p.grad is None for p in enc.parameters())     # the probe trained only itself


def test_the_diagonal_filled_in_place_or_masked_gives_the_same_loss_and_gradient():
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.normal(size=(5, 4)), requires_grad=True)
    b = torch.tensor(rng.normal(size=(5, 4)), requires_grad=True)
    loss = info_nce(a, b)
    loss.backward()
    grads = a.grad.copy(), b.grad.copy()
    a.grad = b.grad = None
    masked = info_nce_masked(a, b)
    masked.backward()
    assert loss.item() == pytest.approx(masked.item(), rel=1e-14)
    np.testing.assert_allclose(grads[0], a.grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads[1], b.grad, rtol=1e-12, atol=1e-15)
    assert torch.gradcheck(info_nce, a, b)


def test_masked_fill_with_minus_inf_before_softmax_passes_no_gradient_there():
    """The masked places get exactly 0; a row masked whole is NaN, as in PyTorch."""
    rng = np.random.default_rng(1)
    s = torch.tensor(rng.normal(size=(4, 4)), requires_grad=True)
    eye = torch.eye(4, dtype=torch.bool)
    weights = torch.tensor(rng.normal(size=(4, 4)))
    (F.softmax(s.masked_fill(eye, float("-inf")), dim=1) * weights).sum().backward()
    assert (np.diag(s.grad) == 0).all() and np.isfinite(s.grad).all()
    assert torch.gradcheck(lambda t: (F.softmax(t.masked_fill(eye, float("-inf")), dim=1)
                                      * weights).sum(), s)
    assert torch.gradcheck(lambda t: F.cross_entropy(t.masked_fill(eye, -np.inf),
                                                     torch.tensor([1, 0, 3, 2])), s)
    whole_row = np.zeros((4, 4), bool)
    whole_row[2] = True
    out = F.softmax(s.masked_fill(torch.tensor(whole_row), float("-inf")), dim=1)
    assert np.isnan(out.data[2]).all() and np.isfinite(out.data[[0, 1, 3]]).all()


def test_normalize_at_a_zero_vector_divides_by_eps_as_pytorch_does():
    """x / max(‖x‖, eps): a zero row stays 0 and its gradient is g / eps (1e12 · g by default:
    PyTorch's too). Central differences agree where ‖x‖ < eps by more than the step, with a
    large eps; elsewhere, at an ordinary point."""
    x = torch.tensor([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]], dtype=torch.float64,
                     requires_grad=True)
    g = torch.tensor([[1.0, -2.0, 0.5], [1.0, 1.0, 1.0]], dtype=torch.float64)
    out = F.normalize(x, dim=1)
    assert out.tolist()[0] == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(out.data[1], [0.6, 0.0, 0.8])
    (out * g).sum().backward()
    np.testing.assert_allclose(x.grad[0], g.data[0] / 1e-12)
    small = torch.tensor([[0.05, -0.02, 0.06], [0.3, -1.2, 0.4]], dtype=torch.float64,
                         requires_grad=True)
    assert torch.gradcheck(lambda t: (F.normalize(t, dim=1, eps=0.5) * g).sum(), small)
    assert torch.gradcheck(lambda t: (F.normalize(t, p=1, dim=1) * g).sum(), small)
    assert torch.gradcheck(lambda t: (F.normalize(t, dim=0) * g).sum(), small)


def test_cdist_and_pairwise_distance_at_coincident_points_have_slope_zero():
    """‖a - b‖ has a kink where a = b: there the gradient is 0 (PyTorch's choice), which is
    also what a central difference gives (the kink is symmetric)."""
    rng = np.random.default_rng(2)
    a = torch.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    b_np = rng.normal(size=(5, 3))
    b_np[1] = a.data[2]                                # a coincident pair
    b = torch.tensor(b_np, requires_grad=True)
    weights = torch.tensor(rng.normal(size=(4, 5)))
    d = torch.cdist(a, b)
    assert d.data[2, 1] == 0
    np.testing.assert_allclose(d.data, np.linalg.norm(a.data[:, None] - b_np[None], axis=-1))
    only_that_pair = np.zeros((4, 5))
    only_that_pair[2, 1] = 1.0
    (torch.cdist(a, b) * torch.tensor(only_that_pair)).sum().backward()
    assert (a.grad == 0).all() and (b.grad == 0).all()
    assert torch.gradcheck(lambda s, t: (torch.cdist(s, t) * weights).sum(), a, b)
    assert torch.gradcheck(lambda s, t: (torch.cdist(s, t, p=1) * weights).sum(), a, b)
    same = torch.tensor(a.data.copy(), requires_grad=True)
    assert torch.gradcheck(lambda s: (torch.cdist(s, s) * weights[:, :4]).sum(), same)
    assert torch.gradcheck(lambda s, t: F.pairwise_distance(s, t[:4]).sum(), a, b)


def test_triplet_and_cosine_embedding_losses_train_and_differentiate():
    rng = np.random.default_rng(3)
    anchor, positive, negative = (torch.tensor(rng.normal(size=(6, 4)), requires_grad=True)
                                  for _ in range(3))
    triplet = nn.TripletMarginLoss(margin=1.0, p=2)
    expected = np.maximum(
        np.linalg.norm(anchor.data - positive.data + 1e-6, axis=1)
        - np.linalg.norm(anchor.data - negative.data + 1e-6, axis=1) + 1.0, 0).mean()
    assert triplet(anchor, positive, negative).item() == pytest.approx(expected, rel=1e-12)
    assert F.triplet_margin_loss(anchor, positive, negative).item() == pytest.approx(expected)
    assert torch.gradcheck(lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=0.5, swap=True),
                           anchor, positive, negative)
    target = torch.tensor([1, -1, 1, -1, 1, -1])
    cosine = nn.CosineEmbeddingLoss(margin=0.2)
    cos = (anchor.data * positive.data).sum(1) / np.linalg.norm(anchor.data, axis=1) \
        / np.linalg.norm(positive.data, axis=1)
    expected = np.where(target.data == 1, 1 - cos, np.maximum(cos - 0.2, 0)).mean()
    assert cosine(anchor, positive, target).item() == pytest.approx(expected, rel=1e-12)
    assert torch.gradcheck(lambda a, p: F.cosine_embedding_loss(a, p, target, margin=0.2),
                           anchor, positive)
    # a few steps of the triplet loss pull the positives in and push the negatives out
    torch.manual_seed(0)
    x_np, y_np = digits(60, seed=4)
    enc = encoder()
    optimizer = nn.optim.Adam(enc.parameters(), lr=1e-2)
    x = torch.tensor(x_np)
    same = np.array([np.flatnonzero(y_np == c)[(np.flatnonzero(y_np == c) != i).argmax()]
                     for i, c in enumerate(y_np)])
    other = np.array([np.flatnonzero(y_np != c)[0] for c in y_np])
    first = None
    for _ in range(30):
        loss = triplet(enc(x), enc(x[same]), enc(x[other]))
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


@needs_torch
def test_the_losses_match_pytorch_s_from_the_same_numbers():
    rng = np.random.default_rng(4)
    z0, z1 = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    z0[2] = 0.0                                        # a zero vector for normalize's eps
    z1[3] = z0[3]                                      # a coincident pair for the distances
    TF = real_torch.nn.functional

    def both(ours_f, theirs_f, rtol=1e-13):
        a, b = torch.tensor(z0, requires_grad=True), torch.tensor(z1, requires_grad=True)
        ta = real_torch.tensor(z0, requires_grad=True)
        tb = real_torch.tensor(z1, requires_grad=True)
        ours, theirs = ours_f(a, b), theirs_f(ta, tb)
        ours.backward()
        theirs.backward()
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
        for mine, their in ((a.grad, ta.grad), (b.grad, tb.grad)):
            if their is None:
                assert mine is None or not mine.any()
                continue
            scale = np.abs(their.numpy()).max()        # (g / eps is 1e12-sized at the zero row)
            np.testing.assert_allclose(mine, their.numpy(), rtol=0, atol=rtol * scale)

    def their_nce(a, b, tau=0.2):
        z = TF.normalize(real_torch.cat([a, b], dim=0), dim=1)
        sim = z @ z.T / tau
        sim.fill_diagonal_(float("-inf"))
        targets = real_torch.cat([real_torch.arange(6, 12), real_torch.arange(6)])
        return TF.cross_entropy(sim, targets)
    both(info_nce, their_nce)
    both(info_nce_masked, their_nce)
    weights = rng.normal(size=(6, 6))
    both(lambda a, b: (torch.cdist(a, b) * torch.tensor(weights)).sum(),
         lambda a, b: (real_torch.cdist(a, b) * real_torch.tensor(weights)).sum())
    both(lambda a, b: (torch.cdist(a, a) * torch.tensor(weights)).sum(),
         lambda a, b: (real_torch.cdist(a, a) * real_torch.tensor(weights)).sum())
    both(lambda a, b: F.pairwise_distance(a, b, p=1).sum(),
         lambda a, b: TF.pairwise_distance(a, b, p=1).sum())
    both(lambda a, b: nn.TripletMarginLoss(margin=0.5)(a, b, b.roll(1, 0)),
         lambda a, b: real_torch.nn.TripletMarginLoss(margin=0.5)(a, b, b.roll(1, 0)))
    both(lambda a, b: F.triplet_margin_loss(a, b, a.flip(0), swap=True),
         lambda a, b: TF.triplet_margin_loss(a, b, a.flip(0), swap=True))
    labels = [1, -1, 1, -1, 1, -1]
    # (at the zero row PyTorch's slope is 2e-9 off: its ε is float32's 1e-12, 1 - 4e-9 of it)
    both(lambda a, b: nn.CosineEmbeddingLoss(margin=0.2)(a, b, torch.tensor(labels)),
         lambda a, b: real_torch.nn.CosineEmbeddingLoss(margin=0.2)(a, b,
                                                                   real_torch.tensor(labels)),
         rtol=1e-8)
