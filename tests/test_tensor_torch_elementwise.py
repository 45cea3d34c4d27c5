"""PyTorch's elementwise Tensor methods: clamp (and clamp_min, clamp_max), neg, reciprocal,
rsqrt, square, log1p, expm1, log2; the constants sign, floor, ceil, round, isnan, isinf,
isfinite; the comparisons and logical ops by name, equal; and PyTorch's matrix products for
fixed dims (dot, mm, mv, bmm, outer). Differentiable ones are gradchecked in float64 (0-d,
batch-1 and broadcast shapes) and compared with live PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradcheck, no_grad
from conftest import sample, t64
from torch_helpers import needs_torch, same_as_torch, torch

SHAPES = [(), (1,), (5,), (2, 3), (1, 2, 3)]


FUNCTIONS = [("neg", "real"), ("reciprocal", "nonzero"), ("rsqrt", "pos"), ("square", "real"),
             ("log1p", "pos"), ("expm1", "real"), ("log2", "pos")]
REFERENCES = {"neg": np.negative, "reciprocal": np.reciprocal, "rsqrt": lambda a: a ** -0.5,
              "square": np.square, "log1p": np.log1p, "expm1": np.expm1, "log2": np.log2}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, domain", FUNCTIONS)
def test_elementwise_functions_match_numpy_and_gradcheck(name, domain, shape, rng):
    x = sample(domain, shape, rng)
    np.testing.assert_allclose(getattr(Tensor(x), name)().data, REFERENCES[name](x),
                               rtol=1e-14)
    assert gradcheck(lambda t: getattr(t, name)(), t64(x))


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, domain", FUNCTIONS)
def test_elementwise_functions_match_pytorch(name, domain, shape, rng):
    same_as_torch(lambda t: getattr(t, name)(), sample(domain, shape, rng), rng=rng,
                  rtol=1e-11)


def test_minus_infinity_to_a_fractional_power_is_nan_as_any_negative_base():
    """rsqrt(-inf) was 0 (slope -0) and (-inf) ** 2.5 inf: numpy's power follows C's pow
    there, though every finite negative base gives NaN. PyTorch's rsqrt gives NaN."""
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([-np.inf, -4.0, np.inf, 4.0, 0.0], dtype), requires_grad=True)
        with np.errstate(invalid="ignore", divide="ignore"):    # (numpy warns for x < 0)
            y, z, whole = x.rsqrt(), x ** 2.5, x ** 3
            (y + z).backward(np.ones(5, dtype))
        np.testing.assert_array_equal(y.data, [np.nan, np.nan, 0.0, 0.5, np.inf])
        np.testing.assert_array_equal(z.data, [np.nan, np.nan, np.inf, 32.0, 0.0])
        np.testing.assert_array_equal(x.grad[:2], [np.nan, np.nan])
        assert whole.data.tolist() == [-np.inf, -64.0, np.inf, 64.0, 0.0]


def test_log1p_and_expm1_are_accurate_where_x_is_tiny():
    x = Tensor(np.array([1e-12, -1e-15]))
    np.testing.assert_array_equal(x.log1p().data, np.log1p(x.data))
    np.testing.assert_array_equal(x.expm1().data, np.expm1(x.data))
    assert x.log1p().data[0] != (1 + x).log().data[0]           # the naive form rounds


def test_integer_tensors_give_fractions_where_pytorch_does():
    ints = Tensor([1, 2, 4])
    assert ints.reciprocal().dtype == ints.rsqrt().dtype == ints.log2().dtype == np.float32
    assert ints.square().dtype == np.int64 and ints.neg().dtype == np.int64
    np.testing.assert_array_equal(ints.log2().data, [0.0, 1.0, 2.0])


# -- clamp -------------------------------------------------------------------------------------

CLAMPS = [dict(min=-0.5, max=0.8), dict(min=-0.5), dict(max=0.8)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", CLAMPS)
def test_clamp_gradchecks(shape, kwargs, rng):
    x = sample("clip", shape, rng)
    np.testing.assert_array_equal(Tensor(x).clamp(**kwargs).data,
                                  np.clip(x, kwargs.get("min"), kwargs.get("max")))
    assert gradcheck(lambda t: t.clamp(**kwargs), t64(x))


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", CLAMPS)
def test_clamp_matches_pytorch(shape, kwargs, rng):
    same_as_torch(lambda t: t.clamp(**kwargs), sample("clip", shape, rng), rng=rng)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_clamp_at_a_number_near_the_dtype_s_limits_keeps_the_dtype(dtype):
    """numpy 1.x's value-based casting took a float32 tensor clamped at a Python float such as
    float(np.finfo(np.float32).min) to float64 (numpy 2 and PyTorch keep float32)."""
    x = Tensor(np.array([1.0, -5.0], dtype))
    lowest, highest = float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    for y in (x.clamp(min=lowest), x.clamp(max=highest), x.clamp(lowest, highest),
              x.clamp_min(lowest), x.clamp_max(highest)):
        assert y.dtype == dtype
        np.testing.assert_array_equal(y.data, x.data)


def test_clamp_gradient_passes_at_the_bounds():
    """min <= x <= max, both ends included: x equal to a bound gets the gradient."""
    x = t64([-1.0, -0.5, 0.0, 0.8, 2.0])
    x.clamp(-0.5, 0.8).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    x.grad = None                       # (clamp_min and clamp_max were checked with torch only)
    (x.clamp_min(-0.5) * 2.0 + x.clamp_max(0.8)).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 3.0, 3.0, 3.0, 2.0])


@needs_torch
def test_clamp_gradient_passes_at_the_bounds_as_pytorch(rng):
    """min <= x <= max, both ends included: x equal to a bound gets the gradient."""
    x = np.array([-1.0, -0.5, 0.0, 0.8, 2.0])
    out = same_as_torch(lambda t: t.clamp(-0.5, 0.8), x, rng=rng)
    assert out.tolist() == [-0.5, -0.5, 0.0, 0.8, 0.8]
    same_as_torch(lambda t: t.clamp_min(-0.5), x, rng=rng)
    same_as_torch(lambda t: t.clamp_max(0.8), x, rng=rng)


@needs_torch
def test_clamp_takes_tensor_and_array_bounds_that_broadcast(rng):
    x = sample("real", (2, 3), rng)
    low, high = np.array([-0.5, 0.0, -1.0]), np.array([[0.5], [1.0]])
    same_as_torch(lambda t: t.clamp(Tensor(low), Tensor(high)), x, rng=rng,
                  torch_f=lambda t: t.clamp(torch.tensor(low), torch.tensor(high)))
    np.testing.assert_array_equal(Tensor(x).clamp(low, high).data, np.clip(x, low, high))


def test_clamp_refuses_what_it_cannot_do():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"clamp: give at least one of min and max"):
        x.clamp()
    with pytest.raises(ValueError, match=r"clamp: min 2 is greater than max 1"):
        x.clamp(2, 1)
    with pytest.raises(ValueError, match=r"clip: min \[0 3\] is greater than max \[1 2\]"):
        x.clip(np.array([0, 3]), np.array([1, 2]))
    bound = Tensor([3.0, 1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"clamp: min .* is greater than max"):
        x.clamp(bound, 2.0)


def test_clamp_with_crossing_bounds_names_the_spelling_of_pytorchs_result():
    """PyTorch sets an element to max where min > max; the refusal said only that min was
    greater, not how to get PyTorch's numbers, which two clamps in a row give."""
    x, low, high = Tensor([0.5, 2.0]), Tensor([1.0, 3.0]), Tensor([2.0, 2.5])
    with pytest.raises(ValueError, match=r"PyTorch would give max there, which here is "
                                         r"t\.clamp\(min=\.\.\.\)\.clamp\(max=\.\.\.\)"):
        x.clamp(low, high)
    assert x.clamp(min=low).clamp(max=high).tolist() == [1.0, 2.5]
    with pytest.raises(ValueError, match=r"t\.clip\(min=\.\.\.\)\.clip\(max=\.\.\.\)"):
        x.clip(3.0, 1.0)


def test_clamp_sends_the_gradient_to_tensor_bounds_where_they_are_chosen_as_pytorch():
    """clamp(x, lo, hi) with bounds that want gradients was refused; PyTorch's numbers: x
    gets the gradient where lo <= x <= hi (at a bound too), each bound where x crossed it,
    and nobody where x is NaN."""
    x = t64([-2.0, 0.5, 3.0, 1.0, np.nan])
    low, high = t64([-1.0, -1.0, -1.0, 1.0, 0.0]), t64([1.0])
    y = x.clamp(low, high)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [-1.0, 0.5, 1.0, 1.0, np.nan])
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert low.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0] and high.grad.tolist() == [1.0]
    a, lo = t64(np.array([-2.0, 0.5, 1.3])), t64(np.array([[-1.0], [0.6]]))
    assert a.clamp(min=lo).shape == (2, 3)
    assert gradcheck(lambda a, lo, hi: a.clamp(lo, hi), a, lo, t64(np.array([1.0, 1.1, 1.2])))
    with no_grad():
        assert Tensor([1.0, 2.0]).clamp_min(Tensor(1.5, requires_grad=True)).tolist() == [1.5, 2.0]


# -- constants ---------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name, kwargs", [("sign", {}), ("floor", {}), ("ceil", {}),
                                          ("round", {}), ("round", {"decimals": 1}),
                                          ("isnan", {}), ("isinf", {}), ("isfinite", {})])
def test_constants_match_pytorch_and_pass_no_gradient(name, kwargs):
    """Halves round to even; NaN and the infinities as PyTorch has them, but for the sign of
    NaN, which stays NaN (PyTorch's is 0)."""
    x = np.array([-2.55, -0.5, 0.0, 0.5, 1.5, 2.5, 0.25, 1.25, np.inf, -np.inf, np.nan])
    out = getattr(t64(x), name)(**kwargs)
    expected = getattr(torch.tensor(x), name)(**kwargs).numpy()
    if name == "sign":
        assert np.isnan(out.data[-1]) and expected[-1] == 0
        out, expected = out[:-1], expected[:-1]
    np.testing.assert_array_equal(out.data, expected)
    assert out.dtype == expected.dtype and not out.requires_grad


def test_rounding_integers_and_signs_of_bools_keep_their_dtype():
    ints = Tensor([-3, 0, 4])
    for name in ("floor", "ceil", "round"):
        assert getattr(ints, name)().dtype == np.int64
    assert ints.sign().tolist() == [-1, 0, 1]
    assert Tensor([True, False]).sign().tolist() == [True, False]
    assert Tensor([1, 2]).isnan().tolist() == [False, False]


# -- comparisons and logical ops -----------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and",
                                  "logical_or", "logical_xor"])
@pytest.mark.parametrize("other", [np.array([[0.0], [1.0]]), 1.0, 0])
def test_comparisons_and_logical_ops_by_name_match_pytorch(name, other):
    """(PyTorch's logical ops take tensors only; here a number works too.)"""
    x = np.array([0.0, 1.0, 2.0])
    ours = getattr(Tensor(x), name)(Tensor(other) if isinstance(other, np.ndarray) else other)
    wrap = isinstance(other, np.ndarray) or name.startswith("logical")
    theirs = getattr(torch.tensor(x), name)(torch.tensor(other) if wrap else other)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.bool_


def test_logical_not_equal_and_refusals():
    assert Tensor([0.0, 2.0, -1.0]).logical_not().tolist() == [True, False, False]
    x = Tensor([1.0, np.nan])
    assert Tensor([1.0, 2.0]).equal(Tensor([1.0, 2.0])) is True
    assert Tensor([1.0, 2.0]).equal([1.0, 3.0]) is False
    assert Tensor([1.0]).equal(Tensor([1.0, 1.0])) is False         # shapes differ
    assert x.equal(x) is False                                      # NaN equals nothing
    with pytest.raises(TypeError, match=r"eq: expected a Tensor, an array or a number, got str"):
        Tensor([1.0]).eq("one")
    with pytest.raises(ValueError, match=r"lt: shapes \(2,\) and \(3,\) cannot be broadcast"):
        Tensor([1.0, 2.0]).lt(Tensor([1.0, 2.0, 3.0]))


# -- matrix products for fixed dims ------------------------------------------------------------

PRODUCTS = [("dot", ((4,), (4,))), ("mm", ((3, 4), (4, 2))), ("mm", ((1, 4), (4, 1))),
            ("mv", ((3, 4), (4,))), ("mv", ((1, 4), (4,))), ("bmm", ((2, 3, 4), (2, 4, 5))),
            ("bmm", ((1, 3, 4), (1, 4, 2))), ("outer", ((3,), (4,))), ("outer", ((1,), (2,)))]


@pytest.mark.parametrize("name, shapes", PRODUCTS)
def test_products_match_numpy_and_gradcheck(name, shapes, rng):
    a, b = (sample("real", s, rng) for s in shapes)
    expected = np.outer(a, b) if name == "outer" else a @ b
    np.testing.assert_allclose(getattr(Tensor(a), name)(Tensor(b)).data, expected, rtol=1e-12)
    assert gradcheck(lambda x, y: getattr(x, name)(y), t64(a), t64(b))


@needs_torch
@pytest.mark.parametrize("name, shapes", PRODUCTS)
def test_products_match_pytorch(name, shapes, rng):
    a, b = (sample("real", s, rng) for s in shapes)
    same_as_torch(lambda x, y: getattr(x, name)(y), a, b, rng=rng)


@pytest.mark.parametrize("name, shapes, match", [
    ("dot", ((2, 2), (2,)), r"dot: expects 1-d and 1-d tensors, got shapes \(2, 2\) and \(2,\)"),
    ("dot", ((2,), (3,)), r"dot: the two vectors differ in length"),
    ("mm", ((2, 3), (3,)), r"mm: expects 2-d and 2-d tensors.*\(matmul, @, takes any\)"),
    ("mm", ((2, 3), (2, 3)), r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned"),
    ("mv", ((2, 3), (3, 1)), r"mv: expects 2-d and 1-d tensors"),
    ("bmm", ((2, 3, 4), (1, 4, 5)), r"bmm: the batch sizes differ.*does not broadcast"),
    ("outer", ((2, 1), (3,)), r"outer: expects 1-d and 1-d tensors"),
])
def test_products_refuse_the_dims_pytorch_refuses(name, shapes, match):
    a, b = (Tensor(np.ones(s)) for s in shapes)
    with pytest.raises(ValueError, match=match):
        getattr(a, name)(b)


def test_an_integer_tensor_clamped_to_fractions_is_in_the_default_float_dtype():
    # as PyTorch's; numpy's clip made it float64, which then spread through the model
    x = Tensor(np.array([-1, 4, 2]))
    assert x.clamp(0.5, 2.5).dtype == x.clip(0.5).dtype == x.clamp_max(2.5).dtype == np.float32
    np.testing.assert_array_equal(x.clamp(0.5, 2.5).data, [0.5, 2.5, 2.0])
    assert x.clamp(0, 3).dtype == np.int64                # integer bounds keep the integers
