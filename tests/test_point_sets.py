"""The sets course's trial, part 1: point clouds and sets, written as PyTorch code with
`import autograd as torch` and glassgrad's `nn`. Seeded clouds sampled from spheres, cube
surfaces, tori and cylinders, each turned by a random rotation (QR of a Gaussian matrix);
PointNet with a T-Net (shared MLP as Conv1d(3, 64, 1) over (B, 3, N), or Linear over
(B, N, 3)), a max-pool over points and the orthogonality regulariser; DeepSets with sum and
mean pooling; a Set Transformer block on padded sets of different sizes; the chamfer distance.
Gradients against float64 central differences, outputs and gradients against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import Tensor, gradcheck


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while PointNet trains (see test_diffusion.py): with two on
    this suite's busy 2-core machine its 60 steps took 6.5-8.5 s, with one 1.0-1.6 s. The
    numbers do not depend on it beyond the last bits."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ----------------------------------------------------------------------------------------------
# Data: four kinds of surface, each cloud turned by its own random rotation
# ----------------------------------------------------------------------------------------------

def random_rotation(dtype=None) -> Tensor:
    """A random rotation: Q of a Gaussian matrix's QR, its columns' signs fixed by R's
    diagonal, and one column flipped if that made a reflection."""
    q, r = torch.linalg.qr(torch.randn(3, 3, dtype=dtype))
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    if torch.det(q).item() < 0:
        q = q * torch.tensor([1.0, 1.0, -1.0], dtype=q.dtype)
    return q


def surface(kind: int, n: int) -> Tensor:
    """n points on a sphere (0), a cube's surface (1), a torus (2) or a cylinder (3)."""
    if kind == 0:
        p = F.normalize(torch.randn(n, 3), dim=1)
    elif kind == 1:
        p = torch.rand(n, 3) * 2 - 1
        face = torch.randint(0, 3, (n,))
        p[torch.arange(n), face] = (torch.randint(0, 2, (n,)) * 2 - 1).float()
    else:
        u = torch.rand(n) * 2 * math.pi
        if kind == 2:
            v = torch.rand(n) * 2 * math.pi
            ring = 1.0 + 0.35 * torch.cos(v)
            p = torch.stack([ring * torch.cos(u), ring * torch.sin(u), 0.35 * torch.sin(v)], dim=1)
        else:
            p = torch.stack([torch.cos(u), torch.sin(u), torch.rand(n) * 2 - 1], dim=1)
    return p @ random_rotation().T


def clouds(count: int, n: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    torch.manual_seed(seed)
    labels = torch.arange(count) % 4
    return torch.stack([surface(int(k), n) for k in labels]), labels


def test_rotations_are_rotations_and_the_surfaces_are_where_they_should_be():
    torch.manual_seed(1)
    q = random_rotation(torch.float64)
    assert torch.allclose(q @ q.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
    assert abs(torch.det(q).item() - 1) < 1e-12
    X, y = clouds(8, 200)
    assert X.shape == (8, 200, 3) and X.dtype == np.float32 and y.dtype == np.int64
    radius = X.norm(dim=2)
    assert torch.allclose(radius[0], torch.ones(200), atol=1e-5)          # the sphere
    assert radius[1].max().item() <= math.sqrt(3) + 1e-5                  # the cube
    assert (radius[2].min().item() >= 0.65 - 1e-5 and radius[2].max().item() <= 1.35 + 1e-5)


# ----------------------------------------------------------------------------------------------
# PointNet
# ----------------------------------------------------------------------------------------------

def build_pointnet(lib, conv: bool = True, widths=(32, 64, 128), classes: int = 4):
    """PointNet in PyTorch's words, for `lib` = (torch, torch.nn, torch.nn.functional), either
    library's."""
    torch_, nn_, F_ = lib
    a, b, c = widths

    class TNet(nn_.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn_.Conv1d(3, a, 1)
            self.conv2 = nn_.Conv1d(a, b, 1)
            self.fc = nn_.Linear(b, 9)

        def forward(self, x):                       # (B, 3, N) -> (B, 3, 3)
            batch = x.shape[0]
            h = F_.relu(self.conv2(F_.relu(self.conv1(x))))
            h = h.max(dim=2)[0]
            eye = torch_.eye(3, dtype=x.dtype).expand(batch, 3, 3)
            return self.fc(h).view(batch, 3, 3) + eye

    class PointNet(nn_.Module):
        def __init__(self):
            super().__init__()
            self.tnet = TNet()
            if conv:
                self.mlp = nn_.Sequential(nn_.Conv1d(3, a, 1), nn_.BatchNorm1d(a), nn_.ReLU(),
                                          nn_.Conv1d(a, b, 1), nn_.ReLU(), nn_.Conv1d(b, c, 1))
            else:
                self.mlp = nn_.Sequential(nn_.Linear(3, a), nn_.ReLU(), nn_.Linear(a, b),
                                          nn_.ReLU(), nn_.Linear(b, c))
            self.head = nn_.Sequential(nn_.Linear(c, 32), nn_.ReLU(), nn_.Linear(32, classes))

        def forward(self, points):                  # (B, N, 3)
            A = self.tnet(points.transpose(1, 2))
            x = torch_.bmm(points, A)
            if conv:
                features = torch_.amax(self.mlp(x.transpose(1, 2)), dim=2)
            else:
                features = self.mlp(x).max(dim=1)[0]
            return self.head(features), A

    return PointNet()


def orthogonality(lib, A):
    """||I - A Aᵀ||_F², averaged over the batch."""
    torch_ = lib[0]
    eye = torch_.eye(3, dtype=A.dtype).expand(A.shape[0], 3, 3)
    return ((eye - torch_.bmm(A, A.transpose(1, 2))) ** 2).sum(dim=(1, 2)).mean()


GG = (torch, nn, F)


def test_pointnet_learns_the_four_surfaces():
    X, y = clouds(64, 64, seed=0)
    torch.manual_seed(0)
    model = build_pointnet(GG)
    opt = nn.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        logits, A = model(X)
        loss = F.cross_entropy(logits, y) + 1e-3 * orthogonality(GG, A)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    X_test, y_test = clouds(64, 64, seed=1)
    with torch.no_grad():
        accuracy = (model(X_test)[0].argmax(dim=1) == y_test).float().mean().item()
    assert losses[-1] < 0.5 * losses[0], losses
    assert accuracy >= 0.7, accuracy                           # chance is 0.25


def test_pointnet_is_invariant_to_the_order_of_the_points():
    X, _ = clouds(4, 50)
    for conv in (True, False):
        torch.manual_seed(0)
        model = build_pointnet(GG, conv).eval()
        perm = torch.randperm(50)
        a, b = model(X)[0], model(X[:, perm])[0]
        assert torch.allclose(a, b, atol=1e-5), conv


def test_the_shared_mlp_as_conv1d_and_as_linear_are_one_function():
    torch.manual_seed(0)
    conv, linear = nn.Conv1d(3, 16, 1), nn.Linear(3, 16)
    linear.load_state_dict({"weight": conv.weight.detach()[:, :, 0], "bias": conv.bias.detach()})
    x = torch.randn(2, 20, 3)
    assert torch.allclose(conv(x.transpose(1, 2)).transpose(1, 2), linear(x), atol=1e-6)


def test_the_orthogonality_regulariser_is_zero_for_a_rotation_and_checks_out():
    torch.manual_seed(2)
    R = torch.stack([random_rotation(torch.float64) for _ in range(3)])
    assert orthogonality(GG, R).item() < 1e-24
    A = Tensor(np.random.default_rng(0).normal(size=(2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda a: orthogonality(GG, a), A)


def test_the_max_pool_over_points_checks_out_against_finite_differences():
    rng = np.random.default_rng(3)
    # distinct values, so no two points tie for a feature's maximum
    x = Tensor(rng.permutation(2 * 5 * 7).reshape(2, 5, 7) * 0.1, requires_grad=True)
    assert gradcheck(lambda t: t.max(dim=2)[0], x)
    assert gradcheck(lambda t: torch.amax(t, dim=2), x)
    conv = nn.Conv1d(5, 6, 1).double()
    assert gradcheck(lambda t: conv(t).max(dim=2).values, x)


def test_the_max_pools_gradient_is_laid_out_as_the_conv1d_output_it_pools():
    # a conv1d's output is stored length-major; the max-pool's gradient comes back in that
    # layout (a C-ordered one was copied into it before the convolution's rule ran)
    torch.manual_seed(0)
    conv = nn.Conv1d(3, 8, 1)
    x = torch.randn(4, 3, 300)
    h = conv(x)
    assert not h.data.flags.c_contiguous
    h.max(dim=2)[0].sum().backward()
    assert h.grad.strides == h.data.strides
    assert np.array_equal(h.grad.sum(axis=2), np.ones((4, 8), np.float32))
    picked = h.data.argmax(axis=2)
    assert np.all(np.take_along_axis(h.grad, picked[..., None], 2) == 1)


@pytest.mark.parametrize("largest", [True, False])
def test_max_and_min_along_a_non_innermost_axis_find_the_first_extreme(largest):
    # the places numpy's argmax gives: the first of tied elements, the first NaN
    rng = np.random.default_rng(4)
    data = rng.integers(0, 5, (6, 40, 30)).astype(np.float32)    # many ties
    data[2, 7, 3] = np.nan
    for layout in (data, np.ascontiguousarray(data.transpose(2, 0, 1)).transpose(1, 2, 0)):
        x = Tensor(layout)
        for dim in (0, 1, 2, -1):
            pair = x.max(dim=dim) if largest else x.min(dim=dim)
            want = layout.argmax(dim) if largest else layout.argmin(dim)
            assert np.array_equal(pair.indices.numpy(), want), dim
            picked = np.take_along_axis(layout, np.expand_dims(want, dim), dim).squeeze(dim)
            assert np.array_equal(pair.values.numpy(), picked, equal_nan=True)


def test_amax_splits_a_tie_as_g_over_the_count():
    # g / 3 rounded once, PyTorch's number (g * (1/3) rounds twice: 0.10000001 here)
    x = Tensor(np.array([[2.0, 2.0, 2.0, 1.0]], np.float32), requires_grad=True)
    g = np.array([0.3], np.float32)
    torch.amax(x, dim=1).backward(g)
    assert x.grad[0, 0] == np.float32(0.3) / np.float32(3) == np.float32(0.1)
    assert x.grad[0, 3] == 0 and x.grad.sum(dtype=np.float64) == pytest.approx(0.3, rel=1e-6)


# ----------------------------------------------------------------------------------------------
# DeepSets and a Set Transformer block, on sets of different sizes
# ----------------------------------------------------------------------------------------------

def build_set_models(lib):
    torch_, nn_, F_ = lib

    class DeepSets(nn_.Module):
        def __init__(self, pool):
            super().__init__()
            self.pool = pool
            self.phi = nn_.Sequential(nn_.Linear(1, 32), nn_.ReLU(), nn_.Linear(32, 32))
            self.rho = nn_.Sequential(nn_.Linear(32, 32), nn_.ReLU(), nn_.Linear(32, 1))

        def forward(self, x, keep=None):            # x (B, N, 1), keep (B, N): True = element
            h = self.phi(x)
            if keep is None:
                g = h.sum(dim=1) if self.pool == "sum" else h.mean(dim=1)
            else:
                m = keep.unsqueeze(-1).to(h.dtype)
                g = (h * m).sum(dim=1)
                if self.pool == "mean":
                    g = g / m.sum(dim=1).clamp(min=1)
            return self.rho(g).squeeze(-1)

    class SetBlock(nn_.Module):
        def __init__(self, d=16, heads=4):
            super().__init__()
            self.embed = nn_.Linear(2, d)
            self.attn = nn_.MultiheadAttention(d, heads, batch_first=True)
            self.norm1, self.norm2 = nn_.LayerNorm(d), nn_.LayerNorm(d)
            self.ff = nn_.Sequential(nn_.Linear(d, 2 * d), nn_.GELU(), nn_.Linear(2 * d, d))
            self.out = nn_.Linear(d, 1)

        def forward(self, x, pad):                  # pad (B, N): True where padding
            h = self.embed(x)
            a, weights = self.attn(h, h, h, key_padding_mask=pad)
            h = self.norm1(h + a)
            h = self.norm2(h + self.ff(h))
            pooled = h.masked_fill(pad.unsqueeze(-1), float("-inf")).max(dim=1).values
            return self.out(pooled).squeeze(-1), weights

    return DeepSets("sum"), DeepSets("mean"), SetBlock()


def padded_batch(lib, sets, dtype):
    torch_, nn_, _ = lib
    xs = [torch_.tensor(s.astype(dtype), requires_grad=True) for s in sets]
    padded = nn_.utils.rnn.pad_sequence(xs, batch_first=True)
    lengths = torch_.tensor([len(s) for s in sets])
    pad = torch_.arange(padded.shape[1])[None, :] >= lengths[:, None]
    return xs, padded, pad


SETS = [np.random.default_rng(5).normal(size=(n, 2)) for n in (5, 3, 7, 2)]


def test_deepsets_and_the_set_block_are_permutation_invariant():
    torch.manual_seed(0)
    total, mean, block = build_set_models(GG)
    x = torch.randn(4, 10, 2)
    perm = torch.randperm(10)
    for model in (total, mean):
        assert torch.allclose(model(x[..., :1]), model(x[:, perm][..., :1]), atol=1e-5)
    no_pad = torch.zeros(4, 10, dtype=torch.bool)
    assert torch.allclose(block(x, no_pad)[0], block(x[:, perm], no_pad)[0], atol=1e-5)


def test_padding_changes_nothing_for_the_sets_it_pads():
    torch.manual_seed(0)
    models = build_set_models(GG)
    _, padded, pad = padded_batch(GG, SETS, np.float64)
    for m in models:
        m.double()
    total, mean, block = models
    batch = (total(padded[..., :1], ~pad), mean(padded[..., :1], ~pad), block(padded, pad)[0])
    for i, s in enumerate(SETS):
        alone = torch.tensor(s)[None]
        one = (total(alone[..., :1]), mean(alone[..., :1]),
               block(alone, torch.zeros(1, len(s), dtype=torch.bool))[0])
        for got, want in zip(batch, one):
            assert abs(got[i].item() - want.item()) < 1e-10, i
    weights = block(padded, pad)[1]
    assert np.all(weights.numpy()[pad.numpy()[:, None, :].repeat(7, 1)] == 0)


def test_sum_and_mean_pooling_learn_set_sums_and_maxima():
    torch.manual_seed(0)
    total, mean, _ = build_set_models(GG)
    opt = nn.optim.Adam(total.parameters(), lr=1e-2)
    for _ in range(150):
        x = torch.rand(32, 8, 1)
        loss = F.mse_loss(total(x), x.sum(dim=(1, 2)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = torch.rand(64, 8, 1)
    target = x.sum(dim=(1, 2))
    assert F.mse_loss(total(x), target).item() < 0.05 * target.var(ddof=1).item()


# ----------------------------------------------------------------------------------------------
# Chamfer distance
# ----------------------------------------------------------------------------------------------

def chamfer(lib, a, b):
    d = lib[0].cdist(a, b) ** 2
    return d.min(dim=2)[0].mean(dim=1) + d.min(dim=1).values.mean(dim=1)


def test_chamfer_is_zero_on_itself_symmetric_and_checks_out():
    rng = np.random.default_rng(6)
    A, B = rng.normal(size=(2, 9, 3)), rng.normal(size=(2, 11, 3))
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    assert np.all(chamfer(GG, a, a).numpy() < 1e-20)
    assert torch.allclose(chamfer(GG, a, b), chamfer(GG, b, a), atol=1e-12)
    assert gradcheck(lambda p, q: chamfer(GG, p, q), (a, b))
    # by hand: a point gets 2 (p - q) / n for its own nearest q, and 2 (p - q) / m from each
    # point q of the other cloud whose nearest it is
    chamfer(GG, a, b).sum().backward()
    d = ((A[0][:, None] - B[0][None]) ** 2).sum(-1)
    want = 2 * (A[0] - B[0][d.argmin(1)]) / 9
    np.add.at(want, d.argmin(0), 2 * (A[0][d.argmin(0)] - B[0]) / 11)
    assert np.allclose(a.grad[0], want, atol=1e-14)


# ----------------------------------------------------------------------------------------------
# PyTorch from the same weights and data
# ----------------------------------------------------------------------------------------------

def _numbers(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, tol):
    a, b = np.asarray(_numbers(a), np.float64), np.asarray(_numbers(b), np.float64)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b) / (1 + np.abs(b))) < tol


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
@pytest.mark.parametrize("conv", [True, False])
def test_pointnet_matches_pytorch(dtype, tol, conv):
    tt = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    TT = (tt, tt.nn, tt.nn.functional)
    torch.manual_seed(0)
    ours, theirs = build_pointnet(GG, conv), build_pointnet(TT, conv)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    theirs.load_state_dict({k: tt.as_tensor(v.numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(7)
    points, labels = rng.normal(size=(6, 40, 3)).astype(dtype), rng.integers(0, 4, 6)
    results = []
    for lib, model in ((GG, ours), (TT, theirs)):
        x = lib[0].tensor(points, requires_grad=True)
        logits, A = model(x)
        loss = lib[2].cross_entropy(logits, lib[0].tensor(labels)) + 0.01 * orthogonality(lib, A)
        loss.backward()
        grads = {k: p.grad for k, p in model.named_parameters()}
        results.append((logits, loss, x.grad, grads))
    (a_logits, a_loss, a_dx, a_grads), (b_logits, b_loss, b_dx, b_grads) = results
    _close(a_logits, b_logits, tol)
    _close(a_loss, b_loss, tol)
    _close(a_dx, b_dx, tol)
    assert a_grads.keys() == b_grads.keys()
    for k in a_grads:
        _close(a_grads[k], b_grads[k], tol)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
def test_set_models_and_chamfer_match_pytorch(dtype, tol):
    tt = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    TT = (tt, tt.nn, tt.nn.functional)
    torch.manual_seed(0)
    ours, theirs = build_set_models(GG), build_set_models(TT)
    for a, b in zip(ours, theirs):
        if dtype == np.float64:
            a.double()
            b.double()
        b.load_state_dict({k: tt.as_tensor(v.numpy()) for k, v in a.state_dict().items()})
    rng = np.random.default_rng(8)
    A, B = rng.normal(size=(2, 9, 3)).astype(dtype), rng.normal(size=(2, 11, 3)).astype(dtype)
    results = []
    for lib, (total, mean, block) in ((GG, ours), (TT, theirs)):
        xs, padded, pad = padded_batch(lib, SETS, dtype)
        outs = [total(padded[..., :1], ~pad), mean(padded[..., :1], ~pad), *block(padded, pad)]
        a, b = lib[0].tensor(A, requires_grad=True), lib[0].tensor(B, requires_grad=True)
        outs.append(chamfer(lib, a, b))
        (outs[0].sum() + outs[1].pow(2).sum() + outs[2].pow(2).sum() + outs[4].sum()).backward()
        results.append(outs + [x.grad for x in xs] + [a.grad, b.grad])
    for a, b in zip(*results):
        _close(a, b, tol)
