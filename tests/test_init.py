"""nn.init: fills in place, keeps dtype, builds no graph, draws from the seeded generator;
the statistics of each initialiser; and why zero initialisation is a mistake."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value
from nn import init

BIG = (100, 400)        # (out, in): fan_out 100, fan_in 400, a different number for each mode
FAN_OUT, FAN_IN = BIG

RANDOM_INITS = [
    ("uniform_", lambda t, rng=None: init.uniform_(t, -0.5, 0.5, rng=rng)),
    ("normal_", lambda t, rng=None: init.normal_(t, 0.0, 2.0, rng=rng)),
    ("xavier_uniform_", lambda t, rng=None: init.xavier_uniform_(t, rng=rng)),
    ("xavier_normal_", lambda t, rng=None: init.xavier_normal_(t, rng=rng)),
    ("kaiming_uniform_", lambda t, rng=None: init.kaiming_uniform_(t, rng=rng)),
    ("kaiming_normal_", lambda t, rng=None: init.kaiming_normal_(t, rng=rng)),
]
ALL_INITS = RANDOM_INITS + [
    ("zeros_", lambda t, rng=None: init.zeros_(t)),
    ("ones_", lambda t, rng=None: init.ones_(t)),
    ("constant_", lambda t, rng=None: init.constant_(t, 0.25)),
]


def _sample_std_tolerance(std, n):
    """5 standard errors of a sample standard deviation (≈ std / √(2n) for these shapes)."""
    return 5 * std / math.sqrt(2 * n)


@pytest.mark.parametrize("name, fill", ALL_INITS, ids=[n for n, _ in ALL_INITS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fills_in_place_keeps_dtype_and_records_nothing(name, fill, dtype):
    """The same Tensor (and the same array) comes back, with its dtype, shape, leaf status and
    gradient untouched, and every element overwritten."""
    t = Tensor(np.full((3, 4), np.nan, dtype=dtype), requires_grad=True)
    data = t.data
    out = fill(t)
    assert out is t and t.data is data
    assert t.dtype == dtype and t.shape == (3, 4)
    assert t.is_leaf and t.requires_grad and t.grad is None
    assert np.isfinite(t.data).all()


def test_xavier_uniform_limit_and_spread():
    limit = math.sqrt(6 / sum(BIG))
    w = init.xavier_uniform_(Tensor(np.zeros(BIG)), rng=np.random.default_rng(0)).data
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit                # and it uses the whole range
    assert abs(w.std() - limit / math.sqrt(3)) < _sample_std_tolerance(limit / 3 ** .5, w.size)
    w32 = init.xavier_uniform_(Tensor(np.zeros(BIG, np.float32)), gain=2.0).data
    assert np.abs(w32).max() <= np.float32(2 * limit)


@pytest.mark.parametrize("fill, std", [
    (lambda t: init.xavier_normal_(t, gain=1.5), 1.5 * math.sqrt(2 / sum(BIG))),
    (lambda t: init.kaiming_normal_(t), math.sqrt(2) / math.sqrt(FAN_IN)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out"), math.sqrt(2) / math.sqrt(FAN_OUT)),
    (lambda t: init.kaiming_normal_(t, a=0.2, nonlinearity="leaky_relu"),
     math.sqrt(2 / 1.04) / math.sqrt(FAN_IN)),
    (lambda t: init.kaiming_normal_(t, nonlinearity="tanh"), (5 / 3) / math.sqrt(FAN_IN)),
    (lambda t: init.normal_(t, 3.0, 0.5), 0.5),
], ids=["xavier_normal_gain", "kaiming_fan_in", "kaiming_fan_out", "kaiming_leaky",
        "kaiming_tanh", "normal"])
def test_normal_inits_have_the_documented_std(fill, std):
    """Fan-in is shape[1] and fan-out shape[0] (weights are (out, in), as in PyTorch): the two
    modes give different spreads on a 100 x 400 weight, each the formula's."""
    autograd.manual_seed(1)
    w = fill(Tensor(np.zeros(BIG))).data
    assert abs(w.std() - std) < _sample_std_tolerance(std, w.size)


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
def test_kaiming_uniform_bound(mode, fan):
    bound = math.sqrt(3) * math.sqrt(2) / math.sqrt(fan)
    w = init.kaiming_uniform_(Tensor(np.zeros(BIG)), mode=mode, rng=np.random.default_rng(2)).data
    assert bound * 0.99 < np.abs(w).max() <= bound


def test_uniform_with_equal_bounds_fills_with_that_value():
    # PyTorch's rule; the notes' rand * 2 * eps - eps reaches it with eps = 0
    assert init.uniform_(Tensor(np.ones((2, 3))), 0.0, 0.0).data.tolist() == [[0.0] * 3] * 2
    assert init.uniform_(Tensor(np.zeros(4)), -0.5, -0.5).data.tolist() == [-0.5] * 4
    scalars = init.uniform_([Value(1.0), Value(2.0)], 0.25, 0.25)
    assert [v.data for v in scalars] == [0.25, 0.25]


@pytest.mark.parametrize("a, b, message", [
    (float("nan"), 1.0, "needs finite bounds, got a=nan, b=1.0"),
    (0.0, float("inf"), "needs finite bounds, got a=0.0, b=inf"),
    (-1e308, 1e308, "the width b - a overflows"),
])
def test_uniform_refuses_bounds_it_cannot_draw_from(a, b, message):
    with pytest.raises(ValueError, match=f"uniform_: {message}"):
        init.uniform_(Tensor(np.zeros(3)), a, b)


def test_uniform_statistics():
    w = init.uniform_(Tensor(np.zeros(100_000)), 2.0, 5.0, rng=np.random.default_rng(3)).data
    assert 2.0 <= w.min() and w.max() < 5.0
    assert abs(w.mean() - 3.5) < 5 * (3 / math.sqrt(12)) / math.sqrt(w.size)


def test_calculate_gain():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("conv2d") == init.calculate_gain("conv_transpose1d") == 1.0


@pytest.mark.parametrize("name, fill", RANDOM_INITS, ids=[n for n, _ in RANDOM_INITS])
def test_manual_seed_makes_runs_reproducible(name, fill):
    """Same seed, same numbers; another seed, others; rng= bypasses the shared generator."""
    autograd.manual_seed(42)
    a = fill(Tensor(np.zeros((5, 3)))).data.copy()
    autograd.manual_seed(42)
    b = fill(Tensor(np.zeros((5, 3)))).data.copy()
    autograd.manual_seed(43)
    c = fill(Tensor(np.zeros((5, 3)))).data.copy()
    assert (a == b).all() and not (a == c).all()
    autograd.manual_seed(42)
    own = fill(Tensor(np.zeros((5, 3))), np.random.default_rng(42)).data
    assert (fill(Tensor(np.zeros((5, 3)))).data == a).all()     # shared generator untouched
    assert (own == a).all()                         # a generator seeded alike gives the same


def test_lists_of_values():
    """The scalar engine's parameters: filled in place, seeded like tensors."""
    vs = [Value(0.0) for _ in range(50)]
    autograd.manual_seed(0)
    assert init.uniform_(vs, -0.1, 0.1) is vs
    first = [v.data for v in vs]
    assert all(-0.1 <= x < 0.1 for x in first) and len(set(first)) == 50
    assert all(isinstance(x, float) for x in first)
    autograd.manual_seed(0)
    assert [v.data for v in init.uniform_(vs, -0.1, 0.1)] == first
    init.normal_(vs, rng=np.random.default_rng(0))
    assert len({v.data for v in vs}) == 50
    assert {v.data for v in init.constant_(vs, 2)} == {2.0}
    assert {v.data for v in init.zeros_(vs)} == {0.0}
    assert {v.data for v in init.ones_(vs)} == {1.0}


def test_errors():
    with pytest.raises(ValueError, match=r"xavier_uniform_: fan_in and fan_out.*2-d.*\(3,\)"):
        init.xavier_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"kaiming_normal_: .*shape \(\)"):
        init.kaiming_normal_(Tensor(0.0))
    with pytest.raises(ValueError, match=r"2-d.*\(5,\)"):
        init.xavier_normal_(Tensor(np.zeros(5)))
    with pytest.raises(TypeError, match="kaiming_uniform_: needs a 2-d weight Tensor"):
        init.kaiming_uniform_([Value(1.0)])
    with pytest.raises(ValueError, match="uniform_: needs a <= b, got a=1.0, b=-1.0"):
        init.uniform_(Tensor(np.zeros(3)), 1.0, -1.0)
    with pytest.raises(ValueError, match="normal_: std must be >= 0"):
        init.normal_(Tensor(np.zeros(3)), std=-1.0)
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(Tensor(np.zeros((2, 2))), mode="fan_avg")
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.kaiming_normal_(Tensor(np.zeros((2, 2))), nonlinearity="gelu")
    with pytest.raises(TypeError, match="normal_: needs a floating-point tensor, got dtype int"):
        init.normal_(Tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(TypeError, match="zeros_: expects a Tensor or a list of Values"):
        init.zeros_([0.5, 1.0])


def test_empty_weight_is_left_alone():
    w = Tensor(np.zeros((0, 3)))
    assert init.kaiming_uniform_(w) is w and init.xavier_normal_(w) is w


# ----------------------------------------------------------------------------------------------
# Symmetry breaking
# ----------------------------------------------------------------------------------------------

def _train_two_layer_net(fill_weights, steps=30, lr=0.3):
    """(x @ W1 + b1).tanh() @ W2 + b2 with 5 hidden units, trained by gradient descent on
    y = sin(2 x0) + x1²; returns W1 and the losses."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (32, 2))
    y = (np.sin(2 * x[:, 0]) + x[:, 1] ** 2).reshape(-1, 1)
    W1, b1 = Tensor(np.zeros((2, 5)), requires_grad=True), Tensor(np.zeros(5), requires_grad=True)
    W2, b2 = Tensor(np.zeros((5, 1)), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    fill_weights(W1, W2)
    losses = []
    for _ in range(steps):
        loss = (((Tensor(x) @ W1 + b1).tanh() @ W2 + b2 - y) ** 2).mean()
        losses.append(loss.item())
        for p in (W1, b1, W2, b2):
            p.zero_grad()
        loss.backward()
        for p in (W1, b1, W2, b2):
            p.data -= lr * p.grad
    return W1.data, W2.data, losses


def _columns_equal(w):
    return np.allclose(w, w[:, :1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("symmetric", [
    lambda W1, W2: (init.zeros_(W1), init.zeros_(W2)),
    lambda W1, W2: (init.constant_(W1, 0.3), init.constant_(W2, 0.3)),
], ids=["zeros", "constant"])
def test_symmetric_init_never_breaks_symmetry(symmetric):
    """Equal weights give every hidden unit the same output and the same gradient, so after
    any number of steps they are still equal: the network has one hidden unit, five times."""
    W1, W2, _ = _train_two_layer_net(symmetric)
    assert _columns_equal(W1) and np.allclose(W2, W2[0], rtol=0, atol=1e-12)


def test_small_random_init_breaks_symmetry_and_learns_more():
    """uniform_(-eps, eps) (the lectures' init) makes the hidden units differ, and they learn
    different features: the loss ends lower than with the symmetric net."""
    eps = 0.5
    rng = np.random.default_rng(1)
    W1, _, losses = _train_two_layer_net(
        lambda W1, W2: (init.uniform_(W1, -eps, eps, rng=rng), init.uniform_(W2, -eps, eps,
                                                                             rng=rng)), steps=300)
    _, _, symmetric_losses = _train_two_layer_net(
        lambda W1, W2: (init.constant_(W1, 0.3), init.constant_(W2, 0.3)), steps=300)
    assert not _columns_equal(W1)
    assert np.min(np.ptp(W1, axis=1)) > 0.05                  # clearly different, not rounding
    assert losses[-1] < 0.5 * symmetric_losses[-1]     # measured: 0.029 against 0.096


def test_convolution_weights_use_pytorchs_fans():
    """(out, in/groups, kh, kw): fan_in = in·kh·kw, fan_out = out·kh·kw, so kaiming_uniform_
    with a = √5 (nn.Conv2d's default) draws from U(±1/√fan_in), as PyTorch does."""
    w = init.kaiming_uniform_(Tensor(np.zeros((16, 3, 5, 5))), a=5 ** 0.5,
                              rng=np.random.default_rng(0))
    bound = 1 / (3 * 25) ** 0.5
    assert np.abs(w.data).max() <= bound < np.abs(w.data).max() * 1.05
    w = init.xavier_uniform_(Tensor(np.zeros((16, 3, 5))), rng=np.random.default_rng(0))
    assert np.abs(w.data).max() <= (6 / (3 * 5 + 16 * 5)) ** 0.5


# ----------------------------------------------------------------------------------------------
# Truncated normal and orthogonal
# ----------------------------------------------------------------------------------------------

def _truncated_normal_moments(mean, std, a, b):
    """Mean and std of N(mean, std²) conditioned on [a, b], from the textbook formula."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    z_pdf = lambda z: z * pdf(z) if math.isfinite(z) else 0.0       # its limit at ±∞
    variance = 1 + (z_pdf(alpha) - z_pdf(beta)) / mass - shift ** 2
    return mean + std * shift, std * math.sqrt(variance)


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0),          # the default: symmetric, 95 % of the mass
    (0.0, 0.02, -0.04, 0.04),       # a ViT-style weight init
    (1.0, 2.0, 0.0, 10.0),          # lopsided: the mean moves right
    (0.0, 1.0, 2.0, 4.0),           # a tail: proposed uniformly, not from the normal
    (0.0, 1.0, -0.01, 0.01),        # narrow: nearly uniform
    (0.0, 1.0, -math.inf, 0.5),     # one-sided
], ids=["default", "vit", "lopsided", "tail", "narrow", "one_sided"])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    w = init.trunc_normal_(Tensor(np.zeros(200_000)), mean, std, a, b,
                           rng=np.random.default_rng(4)).data
    assert a <= w.min() and w.max() <= b
    want_mean, want_std = _truncated_normal_moments(mean, std, a, b)
    tolerance = 5 * want_std / math.sqrt(w.size)                # 5 standard errors
    assert abs(w.mean() - want_mean) < tolerance
    assert abs(w.std() - want_std) < _sample_std_tolerance(want_std, w.size) * 1.5


def test_trunc_normal_is_seeded_and_fills_values():
    autograd.manual_seed(5)
    first = init.trunc_normal_(Tensor(np.zeros((4, 4)))).data.copy()
    autograd.manual_seed(5)
    assert (init.trunc_normal_(Tensor(np.zeros((4, 4)))).data == first).all()
    vs = init.trunc_normal_([Value(0.0) for _ in range(20)], std=3.0, a=-1.0, b=1.0)
    assert all(-1.0 <= v.data <= 1.0 for v in vs) and len({v.data for v in vs}) == 20


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (5, 5), (4, 2, 3, 3), (40, 2, 3)],
                         ids=["wide", "tall", "square", "conv_wide", "conv_tall"])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    """As PyTorch: rows = shape[0], the rest flattened into columns; W Wᵀ = gain² I when
    rows <= columns, else Wᵀ W = gain² I."""
    w = init.orthogonal_(Tensor(np.zeros(shape)), gain=gain, rng=np.random.default_rng(6)).data
    assert w.shape == shape
    matrix = w.reshape(shape[0], -1)
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    assert np.allclose(gram, gain ** 2 * np.eye(len(gram)), rtol=0, atol=1e-12)


def test_orthogonal_is_seeded_and_random():
    autograd.manual_seed(7)
    first = init.orthogonal_(Tensor(np.zeros((4, 4)))).data.copy()
    autograd.manual_seed(7)
    again = init.orthogonal_(Tensor(np.zeros((4, 4)))).data
    assert (again == first).all()
    assert not np.allclose(init.orthogonal_(Tensor(np.zeros((4, 4)))).data, first)
    w32 = init.orthogonal_(Tensor(np.zeros((6, 6), np.float32))).data
    assert w32.dtype == np.float32 and np.allclose(w32 @ w32.T, np.eye(6), atol=1e-6)
    empty = Tensor(np.zeros((0, 3)))
    assert init.orthogonal_(empty) is empty


def test_trunc_normal_and_orthogonal_errors():
    with pytest.raises(ValueError, match=r"orthogonal_: needs a tensor of 2 or more dimensions.*"
                                         r"got shape \(5,\)"):
        init.orthogonal_(Tensor(np.zeros(5)))
    with pytest.raises(TypeError, match="orthogonal_: needs a Tensor"):
        init.orthogonal_([Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match="orthogonal_: needs a floating-point tensor"):
        init.orthogonal_(Tensor(np.zeros((2, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match="trunc_normal_: needs a < b, got a=2.0, b=-2.0"):
        init.trunc_normal_(Tensor(np.zeros(3)), a=2.0, b=-2.0)
    with pytest.raises(ValueError, match="trunc_normal_: std must be > 0, got 0.0"):
        init.trunc_normal_(Tensor(np.zeros(3)), std=0.0)
    with pytest.raises(ValueError, match="trunc_normal_: the interval holds only"):
        init.trunc_normal_(Tensor(np.zeros(3)), a=40.0, b=math.inf)


# ----------------------------------------------------------------------------------------------
# eye_, dirac_ and PyTorch's _calculate_fan_in_and_fan_out
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_eye_fills_the_identity_in_place_keeping_the_dtype(shape):
    w = Tensor(np.full(shape, 7.0, dtype=np.float32), requires_grad=True)
    assert init.eye_(w) is w and w.dtype == np.float32 and w.is_leaf
    assert np.array_equal(w.data, np.eye(*shape))


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((3, 5, 2, 4), 1),
                                           ((4, 2, 3, 3, 3), 2), ((8, 1, 5, 5), 4)])
def test_dirac_matches_pytorch(shape, groups):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    w = Tensor(np.full(shape, 3.0))
    expected = torch.nn.init.dirac_(torch.empty(shape), groups=groups).numpy()
    assert init.dirac_(w, groups=groups) is w
    assert np.array_equal(w.data, expected)


def test_a_dirac_convolution_passes_its_input_through():
    from nn import Conv2d
    conv = Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = Tensor(np.random.default_rng(0).normal(size=(2, 3, 5, 5)).astype(np.float32))
    assert np.allclose(conv(x).data, x.data)


def test_eye_and_dirac_errors():
    with pytest.raises(ValueError, match=r"eye_: needs a 2-d Tensor, got shape \(2, 2, 2\)"):
        init.eye_(Tensor(np.zeros((2, 2, 2))))
    with pytest.raises(ValueError, match=r"eye_: needs a 2-d Tensor, got shape \(3,\)"):
        init.eye_(np.zeros(3))          # (an array is filled as its Tensor is)
    with pytest.raises(ValueError, match=r"dirac_: needs a convolution weight of 3, 4 or 5 "
                                         r"dimensions \(out, in, \*kernel\), got shape \(2, 2\)"):
        init.dirac_(Tensor(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="dirac_: groups must be a positive integer that divides "
                                         "the 6 output channels, got 4"):
        init.dirac_(Tensor(np.zeros((6, 2, 3))), groups=4)
    with pytest.raises(ValueError, match="got 0"):
        init.dirac_(Tensor(np.zeros((6, 2, 3))), groups=0)


@pytest.mark.parametrize("shape", [(5, 3), (16, 3, 5, 5), (8, 4, 3), (2, 3, 1, 2, 2)])
def test_calculate_fan_in_and_fan_out_is_pytorch_s(shape):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == expected


def test_calculate_fan_in_and_fan_out_in_a_custom_reset_parameters():
    """PyTorch's recipe for a layer's bias: U(±1/√fan_in)."""
    from nn import Parameter
    from nn.module import Module

    class Scaled(Module):
        def __init__(self):
            self.weight = Parameter(np.zeros((4, 50)))
            self.bias = Parameter(np.zeros(4))
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            init.uniform_(self.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))

    layer = Scaled()
    assert 0 < np.abs(layer.bias.data).max() <= 1 / math.sqrt(50)
    with pytest.raises(ValueError, match=r"_calculate_fan_in_and_fan_out: .*2-d.*\(4,\)"):
        init._calculate_fan_in_and_fan_out(layer.bias)


@pytest.mark.parametrize("call, message", [
    (lambda t: init.xavier_uniform_(t, gain=-1), "xavier_uniform_: gain must be >= 0, got -1.0"),
    (lambda t: init.xavier_normal_(t, gain=-1), "xavier_normal_: gain must be >= 0, got -1.0"),
    (lambda t: init.uniform_(t, "0", 1), "uniform_: a must be a real number, got '0'"),
    (lambda t: init.normal_(t, 0, "1"), "normal_: std must be a real number, got '1'"),
    (lambda t: init.trunc_normal_(t, 0, 1, "a", 2),
     "trunc_normal_: a must be a real number, got 'a'"),
])
def test_a_wrong_argument_is_named_by_its_initialiser(call, message):
    """These reached numpy, whose messages ('high - low < 0', "'>=' not supported ...") named
    neither the initialiser nor the argument."""
    with pytest.raises((TypeError, ValueError), match=f"^{message}$"):
        call(Tensor(np.zeros((3, 3))))


def test_a_0_d_tensor_counts_as_its_number_as_in_pytorch():
    """fast.ai's random erasing: `init.normal_(patch, mean=x.mean(), std=x.std())` was refused
    ("mean must be a real number, got Tensor(...)"); PyTorch takes a 0-d tensor as its number.
    The draws are those of the plain numbers; a tensor of several numbers is still refused."""
    x = Tensor(np.arange(12.0).reshape(3, 4))
    a, b = Tensor(np.zeros((3, 3))), Tensor(np.zeros((3, 3)))
    init.normal_(a, mean=x.mean(), std=x.std(), rng=np.random.default_rng(0))
    init.normal_(b, mean=float(x.mean().item()), std=x.std().item(),
                 rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.data, b.data)
    init.uniform_(a, Tensor(np.float32(-1.0)), Tensor(2))
    assert -1 <= a.data.min() and a.data.max() <= 2
    init.constant_(a, Tensor(0.5))
    assert (a.data == 0.5).all()
    with pytest.raises(TypeError, match=r"^normal_: std must be a real number, got Tensor\("):
        init.normal_(a, 0, Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"^uniform_: b must be a real number, got Tensor\(True"):
        init.uniform_(a, 0, Tensor(True))


@pytest.mark.parametrize("name", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                  "orthogonal_"])
def test_pytorch_s_generator_keyword_draws_as_rng_does(name):
    """PyTorch 2.13's initialisers take generator=; it was a TypeError here (rng= only)."""
    fill = getattr(init, name)
    with_rng = fill(Tensor(np.zeros((4, 5))), rng=autograd.Generator().manual_seed(3)).data
    mine = fill(Tensor(np.zeros((4, 5))), generator=autograd.Generator().manual_seed(3)).data
    np.testing.assert_array_equal(mine, with_rng)
    with pytest.raises(TypeError, match=rf"{name}: got rng= and generator=, which name the same "
                                        rf"thing; give one"):
        fill(Tensor(np.zeros((4, 5))), rng=np.random.default_rng(),
             generator=np.random.default_rng())
    with pytest.raises(TypeError, match=rf"{name}: generator must be a numpy Generator"):
        fill(Tensor(np.zeros((4, 5))), generator=3)


def test_a_computed_tensor_such_as_a_parametrized_weight_is_refused_with_what_to_do():
    from nn import Linear
    from nn.utils.parametrizations import weight_norm
    layer = weight_norm(Linear(2, 2))
    with pytest.raises(RuntimeError, match=r"xavier_uniform_: this tensor is computed \(the "
                                           r"result of mul\), not a parameter.*parametrized "
                                           r"weight"):
        init.xavier_uniform_(layer.weight)


def test_an_initialiser_given_a_model_says_what_to_pass():
    """The lectures' symmetry breaking for a whole network, uniform_(model, -eps, eps), got
    "expects a Tensor or a list of Values, got Sequential": now the loop over the parameters."""
    from nn import MLP
    model = MLP(3, [5], 2)
    with pytest.raises(TypeError, match=r"^uniform_: expects a Tensor or a list of "
                                        r"Values, got the model MLP; initialise each of its "
                                        r"parameters: for p in model.parameters\(\): "
                                        r"init.uniform_\(p, \.\.\.\)"):
        init.uniform_(model, -0.12, 0.12)


def test_an_initialiser_fills_a_parameters_data_array_in_place():
    """DCGAN's weights_init, `init.normal_(m.weight.data, 0.0, 0.02)` and
    `init.constant_(m.bias.data, 0)`, was refused ("pass the parameter itself"): `.data` is the
    parameter's own array, so it is filled in place, as PyTorch's `.data` is."""
    from nn import BatchNorm2d, Conv2d
    conv, bn = Conv2d(1, 64, 3), BatchNorm2d(8)
    weight = conv.weight.data
    assert init.normal_(weight, 0.0, 0.02, rng=np.random.default_rng(0)) is weight
    assert conv.weight.data is weight and abs(float(weight.std()) - 0.02) < 0.002
    init.constant_(bn.bias.data, 0.5)
    init.ones_(bn.weight.data)
    assert bn.bias.data.tolist() == [0.5] * 8 and bn.weight.data.tolist() == [1.0] * 8
    init.kaiming_uniform_(conv.weight.data, a=5 ** 0.5, rng=np.random.default_rng(1))
    assert np.abs(weight).max() <= 1 / 3 and weight.dtype == np.float32    # fan_in 9
    with pytest.raises(TypeError, match="normal_: needs a floating-point tensor, got dtype int64"):
        init.normal_(np.zeros(3, np.int64))
