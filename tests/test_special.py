"""autograd.ops.special and the small math beside it: lgamma, digamma, polygamma(n), erfinv,
mvlgamma, sinc, copysign; deg2rad rad2deg logaddexp2 float_power fmax fmin nan_to_num; the
constants heaviside nextafter signbit isposinf isneginf; true_divide floor_divide; and
`torch.var_mean`/`std_mean`/`polygamma` after `import autograd as torch`.

Values, gradients and second derivatives equal PyTorch 2.13's, written out below (float64, an
upstream gradient of ones; the numbers are few, so they are literals rather than a recorded
file); the edges of each domain are PyTorch's (lgamma at its poles inf, ψ(±0) ∓inf); every
differentiable one is gradchecked in float64 on 0-d, batch-1 and broadcast shapes, its second
derivative against finite differences of its first.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad, gradcheck
from autograd.ops import special
from autograd.ops.special import erfinv, lgamma, polygamma

from conftest import sample, strict, t64

INF, NAN = math.inf, math.nan
POINTS = [-2.5, -0.3, 0.5, 1.5, 3.7, 12.3, 150.0]

# name -> (the function; x; PyTorch's y, dy/dx and d²y/dx², in float64)
PYTORCH = {
    "lgamma": (lambda x: x.lgamma(), [-2.5, -0.5, 0.5, 1.5, 3.7, 12.3, 150.0],
               [-0.05624371649767405, 1.2655121234846454, 0.5723649429247001,
                -0.12078223763524522, 1.428072326665388, 18.238983407092245, 600.0094705553274],
               [1.1031566406452433, 0.03648997397857639, -1.9635100260214229,
                0.036489973978576194, 1.1671535393615111, 2.4683984003011386, 5.007298257075679],
               [9.53924664493752, 8.934802200117687, 4.934802202073678, 0.9348022009716718,
                0.3100378577128614, 0.08469517024606024, 0.006688938271165995]),
    "digamma": (lambda x: x.digamma(), POINTS,
                [1.1031566406452433, 2.1133097796353986, -1.9635100260214229,
                 0.036489973978576194, 1.1671535393615111, 2.4683984003011386,
                 5.007298257075679],
                [9.53924664493752, 13.945160267262267, 4.934802202073678, 0.9348022009716718,
                 0.3100378577128614, 0.08469517024606024, 0.006688938271165995],
                [-0.1082040516417282, 67.63908119988314, -16.828796644234316,
                 -0.8287966442343201, -0.09539530872855405, -0.007169003173038323,
                 -4.4741728380430464e-05]),
    "polygamma2": (lambda x: x.polygamma(2), POINTS,
                   [-0.1082040516417282, 67.63908119988314, -16.828796644234316,
                    -0.8287966442343201, -0.09539530872855405, -0.007169003173038323,
                    -4.4741728380430464e-05],
                   [194.74787621918756, 766.6198904191684, 97.40909103400242,
                    1.4090910340024367, 0.05827921795656364, 0.0012129178351298368,
                    5.985448553818361e-07],
                   [-0.06799599950675606, 9731.834956233522, -771.474249826668,
                    -3.4742498266672253, -0.05303861110795397, -0.000307637244490023,
                    -1.2010754430851038e-08]),
    "erfinv": (lambda x: x.erfinv(), [-0.999, -0.3, 1e-05, 0.5, 0.9, 0.999999],
               [-2.3267537655135246, -0.2724627147267543, 8.862269254759594e-06,
                0.4769362762044699, 1.1630871536766743, 3.458910737275499],
               [198.93951776442498, 0.9545203588405493, 0.886226925522362, 1.1125848189719496,
                3.4280428114518418, 139146.31032670863],
               [-184171.5498527827, -0.4964865260107429, 1.392081999463039e-05,
                1.1807463499933994, 27.33598507382705, 133940754141.7846]),
    "sinc": (lambda x: x.sinc(), [-2.3, -0.5, 0.001, 0.25, 1.7],
             [0.11196439452184424, 0.6366197723675814, 0.999998355066745, 0.9003163161571061,
              -0.15148123964720117],
             [-0.2068786338133173, 1.2732395447351625, -0.0032898648867414845,
              -0.7728381398822339, 0.4348626423174554],
             [-1.2849387451235925, -1.190227128238936, -3.2898583928568996,
              -2.7030607572588607, 0.9834568008957175]),
    "mvlgamma3": (lambda x: x.mvlgamma(3), [1.2, 2.5, 7.0],
                  [3.4166518077332357, 1.8809954616117743, 18.74639984342339],
                  [-6.798103346882313, 1.1624309497222862, 5.3718133339302],
                  [30.36880356830112, 2.0700940242996824, 0.5011526694602837]),
}


def _first_and_second(f, x):
    slope = grad(lambda t: f(t).sum())
    return slope(x), grad(lambda t: slope(t).sum())(x)


@pytest.mark.parametrize("name", PYTORCH)
def test_values_slopes_and_second_derivatives_are_pytorchs(name):
    f, x, y, dy, d2y = PYTORCH[name]
    x = np.array(x)
    with strict():
        ours = f(Tensor(x)).data
        first, second = _first_and_second(f, x)
    np.testing.assert_allclose(ours, y, rtol=1e-13)
    # PyTorch's slopes are less accurate than ours in places (its trigamma at 0.5 gives
    # 4.934802202073678 for π²/2 = 4.934802200544679; its sinc' at 0.001 loses 4e-12 to
    # cancellation): test_closed_forms_to_the_last_digits checks ours more tightly
    np.testing.assert_allclose(first, dy, rtol=1e-9)
    np.testing.assert_allclose(second, d2y, rtol=1e-9)


def test_closed_forms_to_the_last_digits():
    """ψ(1) = -γ, ψ(1/2) = -γ - 2 ln 2, ψ'(1/2) = π²/2, ψ'(3/2) = π²/2 - 4, ψ'(-1/2) = π²/2 + 4
    (the reflection), ψ''(1) = -2 ζ(3), ln Γ(1/2) = ln √π, sinc'(x) near 0: -π²x/3 + π⁴x³/30
    - π⁶x⁵/840 (to 1e-22 at x = 0.001), all within a few ulps."""
    gamma, zeta3 = 0.5772156649015329, 1.2020569031595942
    np.testing.assert_allclose(polygamma(0, [1.0, 0.5]), [-gamma, -gamma - 2 * math.log(2)],
                               rtol=2e-15)
    np.testing.assert_allclose(polygamma(1, [0.5, 1.5, -0.5]),
                               np.array([0, -4, 4]) + math.pi ** 2 / 2, rtol=1e-15)
    np.testing.assert_allclose(polygamma(2, [1.0]), [-2 * zeta3], rtol=1e-15)
    np.testing.assert_allclose(lgamma([0.5]), [math.log(math.pi) / 2], rtol=1e-15)
    x = t64([0.001])
    x.sinc().backward(np.ones(1))
    series = -math.pi ** 2 * 1e-3 / 3 + math.pi ** 4 * 1e-9 / 30 - math.pi ** 6 * 1e-15 / 840
    np.testing.assert_allclose(x.grad, series, rtol=1e-15)


UNARY = {"lgamma": (lambda x: x.lgamma(), (0.3, 4.0)),
         "lgamma_negative": (lambda x: x.lgamma(), (-2.9, -2.1)),
         "lgamma_far": (lambda x: x.lgamma(), (6.0, 40.0)),
         "digamma": (lambda x: x.digamma(), (0.3, 4.0)),
         "digamma_negative": (lambda x: x.digamma(), (-2.9, -2.1)),
         "polygamma1": (lambda x: x.polygamma(1), (0.3, 4.0)),
         "polygamma3_negative": (lambda x: x.polygamma(3), (-0.9, -0.1)),
         "erfinv": (lambda x: x.erfinv(), (-0.95, 0.95)),
         "sinc": (lambda x: x.sinc(), (-2.0, 2.0)),
         "mvlgamma": (lambda x: x.mvlgamma(2), (0.7, 3.0)),
         "deg2rad": (lambda x: x.deg2rad(), (-200.0, 200.0)),
         "rad2deg": (lambda x: x.rad2deg(), (-4.0, 4.0)),
         "nan_to_num": (lambda x: x.nan_to_num(), (-2.0, 2.0)),
         "float_power": (lambda x: x.float_power(2.5), (0.3, 2.0))}


@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_gradcheck_and_so_do_their_slopes(name, shape, rng):
    f, (low, high) = UNARY[name]
    x = t64(rng.uniform(low, high, shape))
    assert gradcheck(f, x)
    slope = grad(lambda t: f(t).sum())
    assert gradcheck(slope, x)


# name -> (the function, the domains of a and b: away from copysign's kink at b = 0 and from
# fmax's and fmin's where a = b, a grid and a grid offset)
BINARY = {"copysign": (lambda a, b: a.copysign(b), ("nonzero", "nonzero")),
          "logaddexp2": (lambda a, b: a.logaddexp2(b), ("real", "real")),
          "fmax": (lambda a, b: a.fmax(b), ("grid", "grid_offset")),
          "fmin": (lambda a, b: a.fmin(b), ("grid", "grid_offset"))}


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((), ()), ((), (1, 3)), ((1, 3), (1,))],
                         ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_gradcheck_when_they_broadcast(name, shapes, rng):
    """Broadcast, 0-d and batch-1 shapes."""
    f, domains = BINARY[name]
    a, b = (sample(domain, shape, rng) for domain, shape in zip(domains, shapes))
    assert gradcheck(f, t64(a), t64(b))


def test_poles_and_edges_are_pytorchs():
    x = Tensor(np.array([0.0, -0.0, -1.0, 1.0, INF, -INF, NAN]))
    with strict():
        lg, dg, pg1, pg2 = x.lgamma(), x.digamma(), x.polygamma(1), x.polygamma(2)
        ei = Tensor(np.array([1.0, -1.0, 1.5, 0.0, -0.0, NAN])).erfinv()
    np.testing.assert_array_equal(lg.data, [INF, INF, INF, 0.0, INF, INF, NAN])
    np.testing.assert_array_equal(dg.data[[0, 1, 2, 4, 5, 6]], [-INF, INF, NAN, INF, NAN, NAN])
    # (PyTorch: polygamma(1, -1) 6.6e32, a pole missed; polygamma(2, inf) NaN, not the limit 0)
    np.testing.assert_array_equal(pg1.data[[0, 1, 2, 4, 5]], [INF, INF, INF, 0.0, NAN])
    np.testing.assert_array_equal(pg2.data[[0, 1, 2, 5]], [-INF, -INF, -INF, NAN])
    np.testing.assert_array_equal(ei.data, [INF, -INF, NAN, 0.0, -0.0, NAN])
    assert np.signbit(ei.data[4])


def test_the_gamma_family_keeps_its_digits_far_out():
    """Tiny x, large x, and far left of 0 (the reflection takes cot of x less its whole part),
    against the exact values (mpmath, 30 digits; PyTorch's polygamma(1) at -502380.97... is
    5e-9 off)."""
    np.testing.assert_allclose(polygamma(0, [1e-300, 1e8, -1e6 - 0.5]),
                               [-1e300, 18.420680738952365, 13.815511557963816], rtol=1e-15)
    np.testing.assert_allclose(polygamma(1, [-502380.9787973438]), [2227.7264415902997],
                               rtol=1e-15)
    np.testing.assert_allclose(lgamma([1e-300, 1e10, -1e6 - 0.5]),
                               [690.7755278982137, 220258509288.81058, -12815524.147683938],
                               rtol=1e-15)


def _ulps(ours, exact):
    return np.abs(ours - exact) / np.maximum(np.abs(exact) * 2.0 ** -52, 2.0 ** -1074)


def test_lgamma_is_within_a_few_ulps_of_mpmath():
    """A grid of [-30, 30], values from 1e-300 to 1e300 and to -1e15, and the hard points: next
    to the roots 1 and 2 (relatively: math.lgamma(1 + 2⁻⁵²) is wrong in its first digit), either
    side of the poles, where the recurrence meets Stirling's series (7.5). Left of 0 the
    reflection's two terms cancel near lgamma's roots there (-2.457..., -2.747...), as in any
    float64 lgamma: there the bound is absolute, a few ulp of lgamma(1 - x)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(5)
    tiny = 2.0 ** -np.arange(1, 53)
    x = np.concatenate([np.linspace(-30, 30, 6001), 10.0 ** rng.uniform(-300, 300, 300),
                        -(10.0 ** rng.uniform(-300, 15, 300)), 1 + tiny, 1 - tiny, 2 + tiny,
                        2 - tiny, np.arange(-8, 9) + 1e-9, np.arange(-8, 9) - 1e-9,
                        [7.5, np.nextafter(7.5, 0), 0.5, -0.5, 2.5, 1e-320]])
    x = x[(x > 0) | (np.floor(x) != x)]
    exact = np.array([float(mp.re(mp.loggamma(mp.mpf(v)))) for v in x])
    with strict():
        ours = lgamma(x)
    assert _ulps(ours[x > 0], exact[x > 0]).max() < 3
    left = x < 0
    reflected = np.abs([float(mp.re(mp.loggamma(1 - mp.mpf(v)))) for v in x[left]])
    away = np.abs(exact[left]) > reflected / 2           # away from the roots left of 0
    assert _ulps(ours[left][away], exact[left][away]).max() < 5
    scale = np.abs(exact[left]) + 2 * reflected        # lgamma(x) + lgamma(1 - x) is a log
    assert (np.abs(ours[left] - exact[left]) / scale).max() < 4 * 2.0 ** -52
    assert lgamma([1.0, 2.0]).tolist() == [0.0, 0.0]


MAX_LGAMMA_BAND = 1.7955951755681237e+308     # lgamma(2.557e305), mpmath


def test_lgamma_overflows_to_inf_as_pytorch():
    """Only where lgamma itself passes the largest float64 (from 2.55998e305; math.lgamma
    raised OverflowError for the whole array), not where z ln z does (2.55635e305)."""
    with strict():
        y = Tensor(np.array([1e308, 2e305, 2.557e305, 3.0])).lgamma().data
    assert y[0] == INF and y[3] == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_allclose(y[1:3], [2e305 * (math.log(2e305) - 1), MAX_LGAMMA_BAND],
                               rtol=1e-15)


def test_lgammas_pade_coefficients_are_rederived():
    """lgamma(2 + e) = e (1 - γ + e P(e)/Q(e)): P/Q the [7/6] Padé approximant of
    Σₖ (-1)ᵏ (ζ(k) - 1)/k eᵏ⁻² (k >= 2)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    series = [(-1) ** k * (mp.zeta(k) - 1) / k for k in range(2, 40)]
    p, q = mp.pade(series, 7, 6)
    assert [float(v) for v in p] == special.PADE_P and [float(v) for v in q] == special.PADE_Q
    assert float(1 - mp.euler) == special.ONE_MINUS_EULER


@pytest.mark.parametrize("f", [Tensor.lgamma, Tensor.digamma, lambda t: t.polygamma(1),
                               lambda t: t.polygamma(3)], ids=["lgamma", "digamma", "1", "3"])
def test_float32_stays_float32_and_agrees_with_float64(f):
    x = np.array([-2.5, -0.3, 0.2, 1.0, 1.7, 2.0, 9.0, 300.0], np.float32)
    t = Tensor(x, requires_grad=True)
    y = f(t)
    y.sum().backward()
    assert y.dtype == t.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, f(Tensor(x.astype(np.float64))).data, rtol=2e-7)


def test_the_gamma_family_on_a_mixed_array_matches_each_number_alone():
    """One array of all kinds (poles, ±0, ±inf, NaN, tiny, large, negative) gives what each
    number gives by itself: no mask misroutes a number."""
    x = np.array([-3.5, 0.0, -0.0, -2.0, 1e-310, 0.7, 1.0, 2.0, 7.5, 1e17, np.inf, -np.inf,
                  np.nan, -1e6 - 0.5, 2.0 - 2 ** -40])
    for f in (lgamma, lambda v: polygamma(0, v), lambda v: polygamma(2, v)):
        with np.errstate(all="ignore"):
            together = f(x)
            alone = np.array([f(np.array(v)) for v in x])
        np.testing.assert_array_equal(together, alone)


def test_erfinv_inverts_erf_to_the_last_digits_at_both_ends():
    y = np.concatenate([np.linspace(-0.999, 0.999, 2001), 1 - np.logspace(-16, -1, 50),
                        np.logspace(-300, -1, 50)])
    with strict():
        x = erfinv(y)
    near_one = 1 - y[y > 0.5]
    # erfc(x) = 1 - y where erf(x) = y rounds: the tail keeps its relative accuracy
    np.testing.assert_allclose(autograd.ops.erf.erfc(x[y > 0.5]), near_one, rtol=1e-14)
    np.testing.assert_allclose(autograd.ops.erf.erf(x), y, rtol=1e-15, atol=0)


def test_integer_tensors_give_the_default_float_dtype():
    ints = Tensor([1, 2, 3])
    for f in (Tensor.lgamma, Tensor.digamma, Tensor.erfinv, Tensor.sinc, Tensor.deg2rad):
        assert f(ints).dtype == np.float32
    assert ints.polygamma(1).dtype == ints.copysign(-1).dtype == np.float32
    assert ints.float_power(2).dtype == np.float64
    assert ints.true_divide(2).tolist() == [0.5, 1.0, 1.5]
    assert ints.floor_divide(2).tolist() == [0, 1, 1]
    np.testing.assert_allclose(ints.lgamma().data, [0.0, 0.0, math.log(2)], atol=1e-7)


def test_copysign_passes_plus_or_minus_one_and_zero_at_zero_as_pytorch():
    x, sign = t64([0.0, 2.0, -3.0]), t64([-1.0])
    y = x.copysign(sign)
    y.sum().backward()
    assert y.tolist() == [-0.0, -2.0, -3.0] and np.signbit(y.data[0])
    assert x.grad.tolist() == [0.0, -1.0, 1.0] and sign.grad.tolist() == [0.0]


def test_fmax_fmin_ignore_nan_and_send_the_gradient_as_pytorch():
    a, b = t64([NAN, 1.0, NAN, 2.0]), t64([2.0, NAN, NAN, 2.0])
    y = a.fmax(b)
    y.backward(np.ones(4))
    np.testing.assert_array_equal(y.data, [2.0, 1.0, NAN, 2.0])
    assert a.grad.tolist() == [0.0, 1.0, 1.0, 1.0] and b.grad.tolist() == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_array_equal(a.detach().fmin(b.detach()).data, [2.0, 1.0, NAN, 2.0])


def test_nan_to_num_replaces_as_pytorch_and_passes_the_gradient_where_finite():
    x = t64([NAN, INF, -INF, 1.5])
    y = x.nan_to_num()
    y.backward(np.ones(4))
    big = np.finfo(np.float64).max
    assert y.tolist() == [0.0, big, -big, 1.5] and x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert Tensor([NAN], dtype=np.float32).nan_to_num(nan=-1.0).dtype == np.float32
    assert Tensor([np.inf]).nan_to_num().item() == np.finfo(np.float32).max


def test_the_constants_are_pytorchs():
    x = Tensor(np.array([-INF, -1.0, -0.0, 0.0, 2.0, INF, NAN]))
    assert x.signbit().tolist() == [True, True, True, False, False, False, False]
    assert x.isposinf().tolist() == [False] * 5 + [True, False]
    assert x.isneginf().tolist() == [True] + [False] * 6
    assert Tensor([-1.0, 0.0, 2.0]).heaviside(Tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    step = Tensor(np.array([1.0]), requires_grad=True).heaviside(0.0)
    assert not step.requires_grad
    assert Tensor(np.array([1.0])).nextafter(2.0).item() == 1 + 2.0 ** -52
    assert Tensor(np.array([1.0], np.float32)).nextafter(0.0).item() == 1 - 2.0 ** -24


def test_degrees_and_logaddexp2():
    assert Tensor(np.array([180.0])).deg2rad().item() == math.pi
    assert Tensor(np.array([math.pi])).rad2deg().item() == 180.0
    np.testing.assert_allclose(Tensor(np.array([1000.0, 1.0])).logaddexp2(
        Tensor(np.array([1000.0, 3.0]))).data, [1001.0, math.log2(10)], rtol=1e-15)


def test_pytorchs_module_functions():
    torch = autograd
    x = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    var, mean = torch.var_mean(x, 1, True, True)             # dim, unbiased, keepdim
    assert var.tolist() == [[0.5], [2.0]] and mean.tolist() == [[1.5], [4.0]]
    std, mean = torch.std_mean(x, dim=1, unbiased=False)
    assert std.tolist() == [0.5, 1.0] and mean.tolist() == [1.5, 4.0]
    var, mean = torch.var_mean(x, correction=0)
    assert var.shape == mean.shape == () and mean.item() == 2.75
    assert torch.polygamma(1, torch.tensor([1.0])).item() == pytest.approx(math.pi ** 2 / 6)
    for name in ("lgamma", "digamma", "erfinv", "sinc", "signbit", "nan_to_num"):
        assert getattr(torch, name)(x).shape == (2, 2)
    assert torch.copysign(x, -1.0).tolist() == [[-1.0, -2.0], [-3.0, -5.0]]


@pytest.mark.parametrize("call, error, match", [
    (lambda: Tensor([1.0]).polygamma(-1), ValueError, r"polygamma: n .* >= 0, got -1"),
    (lambda: Tensor([1.0]).polygamma(1.5), ValueError, r"polygamma: .* got 1.5"),
    (lambda: Tensor([0.4]).mvlgamma(2), ValueError, r"mvlgamma: every element must be > "
                                                     r"\(p - 1\)/2 = 0.5 for p=2"),
    (lambda: Tensor([3.0]).mvlgamma(0), ValueError, r"mvlgamma: p .* got 0"),
    (lambda: Tensor([1.0], requires_grad=True).erfinv_(), RuntimeError,
     r"erfinv_ on a tensor that requires grad .*no_grad"),
])
def test_mistakes_are_refused_naming_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()
