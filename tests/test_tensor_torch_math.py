"""PyTorch's math functions on Tensor: tan asin acos atan sinh cosh asinh acosh atanh, erf
erfc, atan2 hypot logaddexp, trunc frac remainder fmod, lerp, cumprod, diagonal diag trace;
and xlogy logit exp2 (their edges written out below: the recorded file has no room left).

Their values, gradients and second derivatives (Hessian-vector products) equal PyTorch's, in
float64 at ordinary points and at the edges of each domain (asin(2) is NaN, atanh(1) inf,
atan2's slopes 0 at the origin, cumprod's at zeros), float32 values too: asked live where torch
is installed, else as recorded in tests/reference/tensor_torch_math.npz. Then dtypes, the module
functions (`autograd.atan2(y, x)`), and the errors. (Forward and gradient checks on many
shapes are rows of tests/test_tensor_ops.py; second derivatives against finite differences
rows of tests/test_higher_order.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, grad

from reference import REGENERATE, as_array, draw, recorded

# name -> (the function, on glassgrad's and PyTorch's tensors alike; the domain of each input,
# as (low, high) for uniform draws; the input shapes)
CASES = {
    "tan": (lambda x: x.tan(), [(-1.4, 1.4)], [(4,)]),
    "asin": (lambda x: x.asin(), [(-0.99, 0.99)], [(4,)]),
    "acos": (lambda x: x.acos(), [(-0.99, 0.99)], [(4,)]),
    "atan": (lambda x: x.atan(), [(-5.0, 5.0)], [(4,)]),
    "sinh": (lambda x: x.sinh(), [(-5.0, 5.0)], [(4,)]),
    "cosh": (lambda x: x.cosh(), [(-5.0, 5.0)], [(4,)]),
    "asinh": (lambda x: x.asinh(), [(-5.0, 5.0)], [(4,)]),
    "acosh": (lambda x: x.acosh(), [(1.01, 5.0)], [(4,)]),
    "atanh": (lambda x: x.atanh(), [(-0.99, 0.99)], [(4,)]),
    "erf": (lambda x: x.erf(), [(-4.0, 4.0)], [(4,)]),
    "erfc": (lambda x: x.erfc(), [(-4.0, 6.0)], [(4,)]),
    "frac": (lambda x: x.frac(), [(-4.0, 4.0)], [(4,)]),
    "atan2": (lambda y, x: y.atan2(x), [(-2.0, 2.0)] * 2, [(2, 1), (3,)]),
    "hypot": (lambda a, b: a.hypot(b), [(-2.0, 2.0)] * 2, [(2, 1), (3,)]),
    "logaddexp": (lambda a, b: a.logaddexp(b), [(-3.0, 3.0)] * 2, [(2, 1), (3,)]),
    "fmod": (lambda a, b: a.fmod(b), [(-5.0, 5.0), (0.5, 2.0)], [(2, 2), (2,)]),
    "fmod_negative_divisor": (lambda a, b: a.fmod(b), [(-5.0, 5.0), (-2.0, -0.5)], [(4,)] * 2),
    "remainder": (lambda a, b: a.remainder(b), [(-5.0, 5.0), (-2.0, -0.5)], [(4,)] * 2),
    "lerp": (lambda a, b, w: a.lerp(b, w), [(-2.0, 2.0), (-2.0, 2.0), (-0.5, 1.5)],
             [(2, 2), (2,), (2, 2)]),
    "lerp_number_weight": (lambda a, b: a.lerp(b, 0.75), [(-2.0, 2.0)] * 2, [(4,)] * 2),
    "cumprod": (lambda x: x.cumprod(1), [(-2.0, 2.0)], [(2, 3)]),
    "diagonal": (lambda x: x.diagonal(1, 0, 2), [(-2.0, 2.0)], [(2, 2, 3)]),
    "diag_of_a_matrix": (lambda x: x.diag(-1), [(-2.0, 2.0)], [(3, 2)]),
    "diag_of_a_vector": (lambda x: x.diag(2), [(-2.0, 2.0)], [(2,)]),
    "trace": (lambda x: x.trace(), [(-2.0, 2.0)], [(2, 3)]),
}

# name -> (the function, its inputs): where the domains end, where the slopes are 0/0 or
# overflow, and the zeros of cumprod (value and first gradient, upstream gradient 1)
INF, NAN = math.inf, math.nan
EDGES = {
    "tan": (lambda x: x.tan(), [[math.pi / 2, -math.pi / 2, 0.0, INF, NAN]]),
    "asin": (lambda x: x.asin(), [[2.0, 1.0, -1.0, -2.0, 0.5, NAN, INF]]),
    "acos": (lambda x: x.acos(), [[2.0, 1.0, -1.0, -2.0, 0.5, NAN, INF]]),
    "atan": (lambda x: x.atan(), [[INF, -INF, 1e200, 0.0, NAN]]),
    "sinh": (lambda x: x.sinh(), [[1000.0, -1000.0, 0.0, INF, -INF, NAN]]),
    "cosh": (lambda x: x.cosh(), [[1000.0, -1000.0, 0.0, INF, -INF, NAN]]),
    "asinh": (lambda x: x.asinh(), [[1e200, -1e200, 0.0, INF, -INF, NAN]]),
    "acosh": (lambda x: x.acosh(), [[1.0, 0.5, 2.0, INF, NAN]]),
    "atanh": (lambda x: x.atanh(), [[1.0, -1.0, 2.0, -2.0, 0.5, NAN]]),
    "erf": (lambda x: x.erf(), [[30.0, -30.0, INF, -INF, 0.0, NAN]]),
    "erfc": (lambda x: x.erfc(), [[30.0, -30.0, INF, -INF, 0.0, NAN]]),
    "frac": (lambda x: x.frac(), [[-1.5, 2.25, -0.0, 3.0, INF, -INF, NAN]]),
    "atan2": (lambda y, x: y.atan2(x), [[0.0, 0.0, -0.0, 1.0, 0.0, INF, 1.0],
                                        [0.0, -0.0, -0.0, 0.0, INF, INF, NAN]]),
    "hypot": (lambda a, b: a.hypot(b), [[0.0, 3.0, 1e200, -1e-200, INF],
                                        [0.0, 4.0, 1e200, 1e-200, 1.0]]),
    "logaddexp": (lambda a, b: a.logaddexp(b), [[-INF, INF, 1000.0, -INF, 2.0],
                                                [-INF, INF, 1000.0, 1.0, NAN]]),
    "fmod": (lambda a, b: a.fmod(b), [[-5.5, 5.5, 3.0, 0.0, INF, 4.0],
                                      [2.0, -2.0, 0.0, 0.0, 2.0, INF]]),
    "remainder": (lambda a, b: a.remainder(b), [[-5.5, 5.5, 3.0, 0.0, INF, 4.0, -3.0],
                                                [2.0, -2.0, 0.0, 0.0, 2.0, INF, INF]]),
    "cumprod_one_zero": (lambda x: x.cumprod(0), [[2.0, 0.0, 3.0, 5.0, 4.0]]),
    "cumprod_two_zeros": (lambda x: x.cumprod(0), [[2.0, 0.0, 3.0, 0.0, 4.0]]),
    "cumprod_zero_first_and_last": (lambda x: x.cumprod(-1), [[[0.0, 2.0, 3.0],
                                                                [2.0, 3.0, 0.0]]]),
}


def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each case's inputs (float64) and its upstream gradients for the first and the second
    derivative, drawn in a fixed order."""
    arrays = {}
    for name, (f, domains, shapes) in CASES.items():
        xs = [rng.uniform(low, high, shape) for (low, high), shape in zip(domains, shapes)]
        for i, x in enumerate(xs):
            arrays[f"{name}/x{i}"] = x
            arrays[f"{name}/v{i}"] = rng.normal(size=x.shape)     # for H v
        out_shape = np.broadcast_shapes(*shapes) if len(shapes) > 1 else f(Tensor(xs[0])).shape
        arrays[f"{name}/w"] = rng.uniform(0.5, 1.5, out_shape)
    for name, (f, xs) in EDGES.items():
        for i, x in enumerate(xs):
            arrays[f"edge_{name}/x{i}"] = np.array(x)
    return arrays


def _ours(f, xs, w, vs) -> dict[str, np.ndarray]:
    """y, the gradients of (y · w).sum() and the Hessian-vector products with vs."""
    n = len(xs)
    results = {"y": f(*[Tensor(x) for x in xs]).data,
               "y32": f(*[Tensor(x.astype(np.float32)) for x in xs]).data}
    first = grad(lambda *ts: (f(*ts) * Tensor(w)).sum(), argnums=tuple(range(n)))
    slopes = first(*xs)
    hv = grad(lambda *ts: sum((g * Tensor(v)).sum() for g, v in zip(first(*ts), vs)),
              argnums=tuple(range(n)))(*xs)
    for i in range(n):
        results[f"grad{i}"], results[f"second{i}"] = slopes[i], hv[i]
    return results


def _theirs(torch, f, xs, w, vs) -> dict[str, np.ndarray]:
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    y = f(*ts)
    results = {"y": as_array(y), "y32": as_array(f(*[torch.tensor(x.astype(np.float32))
                                                     for x in xs]))}
    slopes = torch.autograd.grad((y * torch.tensor(w)).sum(), ts, create_graph=True)
    slope_v = sum((g * torch.tensor(v)).sum() for g, v in zip(slopes, vs))
    hv = (torch.autograd.grad(slope_v, ts, allow_unused=True) if slope_v.requires_grad
          else [None] * len(ts))                    # (a slope that is a constant: frac's 1)
    for i, (g, h) in enumerate(zip(slopes, hv)):
        results[f"grad{i}"] = as_array(g)
        results[f"second{i}"] = np.zeros(xs[i].shape) if h is None else as_array(h)
    return results


def _edge(f, xs, tensor) -> dict[str, np.ndarray]:
    """y and the gradients for an upstream gradient of ones, with `tensor` glassgrad's or
    PyTorch's constructor."""
    ts = [tensor(x, requires_grad=True) for x in xs]
    y = f(*ts)
    y.backward(tensor(np.ones(y.shape)))
    return {"y": as_array(y), **{f"grad{i}": as_array(t.grad) for i, t in enumerate(ts)}}


def _split(arrays: dict, name: str) -> tuple[list, np.ndarray, list]:
    count = sum(key.startswith(f"{name}/x") for key in arrays)
    return ([arrays[f"{name}/x{i}"] for i in range(count)], arrays.get(f"{name}/w"),
            [arrays.get(f"{name}/v{i}") for i in range(count)])


def compute(arrays: dict, ours_or_theirs) -> dict[str, np.ndarray]:
    """Every case's and edge's results, by `ours_or_theirs(name, f, xs, w, vs, edge)`."""
    results = {}
    for name, (f, *_) in CASES.items():
        xs, w, vs = _split(arrays, name)
        for key, value in ours_or_theirs(f, xs, w, vs, False).items():
            results[f"{name}/{key}"] = value
    for name, (f, _) in EDGES.items():
        xs, _, _ = _split(arrays, f"edge_{name}")
        for key, value in ours_or_theirs(f, xs, None, None, True).items():
            results[f"edge_{name}/{key}"] = value
    return results


def glassgrad_results(arrays: dict) -> dict[str, np.ndarray]:
    def ours(f, xs, w, vs, edge):
        if edge:
            return _edge(f, xs, Tensor)
        return _ours(f, xs, w, vs)
    with np.errstate(all="ignore"):      # numpy's warnings at the edges (asin(2), 1 / 0)
        return compute(arrays, ours)


def torch_results(torch, arrays: dict) -> dict[str, np.ndarray]:
    def theirs(f, xs, w, vs, edge):
        if edge:
            return _edge(f, xs, torch.tensor)
        return _theirs(torch, f, xs, w, vs)
    return compute(arrays, theirs)


def pack(arrays: dict) -> np.ndarray:
    """The arrays' numbers, flattened and joined in order: the recorded file holds three
    arrays, not one per result (each entry of an .npz costs a few hundred bytes, and the
    files together must stay small: tests/test_references.py)."""
    return np.concatenate([np.ravel(a) for a in arrays.values()])


def unpack(numbers: np.ndarray, like: dict) -> dict[str, np.ndarray]:
    """`pack`'s inverse: the numbers cut into arrays of `like`'s keys and shapes."""
    sizes = [np.size(a) for a in like.values()]
    assert numbers.size == sum(sizes), f"the cases changed: {REGENERATE}"
    pieces = np.split(numbers, np.cumsum(sizes)[:-1])
    return {key: piece.reshape(np.shape(a)) for (key, a), piece in zip(like.items(), pieces)}


def _of_dtype(arrays: dict, dtype: type) -> dict:
    return {key: a for key, a in arrays.items() if a.dtype == dtype}


def fingerprint(arrays: dict) -> np.ndarray:
    """Two numbers that tell whether the inputs are the recorded ones: the file keeps these
    instead of the inputs (drawn again from the fixed seed), to stay small."""
    numbers = pack(arrays)
    finite = numbers[np.isfinite(numbers)]
    return np.array([finite.sum(), (finite * np.arange(finite.size)).sum()])


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/tensor_torch_math.npz: PyTorch's results, packed, and the inputs'
    fingerprint."""
    arrays = inputs(draw())
    theirs = torch_results(torch, arrays)
    return {"inputs": fingerprint(arrays), "float64": pack(_of_dtype(theirs, np.float64)),
            "float32": pack(_of_dtype(theirs, np.float32))}


#: where ours is the true number and PyTorch's is not: asinh's slope 1/√(x² + 1) at ±1e200 is
#: 1e-200 (PyTorch squares x, which overflows, and gives 0; ours is 1 / hypot(x, 1))
TRUE_VALUES = {"edge_asinh/grad0": np.array([1e-200, 1e-200, 1.0, 0.0, 0.0, np.nan])}


def _same(ours: dict, theirs: dict) -> None:
    """Every result of ours equals PyTorch's: float64 to rounding (relative 1e-12), float32
    values to float32's precision; NaN where PyTorch has NaN, inf where it has inf (but the
    true numbers of TRUE_VALUES)."""
    assert set(theirs) == set(ours), sorted(set(theirs) ^ set(ours))
    for key, value in ours.items():
        expected = TRUE_VALUES.get(key, theirs[key])
        assert value.shape == expected.shape and value.dtype == expected.dtype, key
        tight = value.dtype == np.float64
        np.testing.assert_allclose(value, expected, rtol=1e-12 if tight else 2e-6,
                                   atol=1e-300 if tight else 1e-6, err_msg=key)


def test_math_functions_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    arrays = inputs(rng)
    _same(glassgrad_results(arrays), torch_results(torch, arrays))


def test_math_functions_match_pytorchs_recorded_numbers():
    theirs = recorded("tensor_torch_math")
    arrays = inputs(draw())
    np.testing.assert_allclose(fingerprint(arrays), theirs["inputs"], rtol=1e-14,
                               err_msg="not the inputs PyTorch's numbers were recorded for")
    ours = glassgrad_results(arrays)
    _same(ours, {**unpack(theirs["float64"], _of_dtype(ours, np.float64)),
                 **unpack(theirs["float32"], _of_dtype(ours, np.float32))})


# -- xlogy and logit: PyTorch's numbers at the edges, written out ---------------------------------

def test_xlogy_is_0_where_x_is_0_and_its_slopes_are_pytorchs():
    x = Tensor(np.array([0.0, 0.0, 0.0, 2.0, 2.0, NAN, 0.0]), requires_grad=True)
    y = Tensor(np.array([0.0, 3.0, NAN, 0.0, 3.0, 1.0, INF]), requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x.xlogy(y)
        out.backward(np.ones(7))
    ln3 = math.log(3)                       # (numpy's log may be an ulp from the C library's)
    same = dict(rtol=2.3e-16, atol=0)
    np.testing.assert_allclose(out.data, [0.0, 0.0, NAN, -INF, 2 * ln3, NAN, 0.0], **same)
    np.testing.assert_allclose(x.grad, [0.0, ln3, NAN, -INF, ln3, 0.0, INF], **same)
    np.testing.assert_allclose(y.grad, [NAN, 0.0, NAN, INF, 2 / 3, NAN, 0.0], **same)


def test_an_entropy_with_xlogy_has_finite_gradients_where_a_probability_is_0():
    """-Σ p ln q with q's zeros where p has them: p * q.log() would be NaN, and its gradient
    for p too (also through where(p == 0, 0, ...)); xlogy gives 0 and ln q."""
    p = Tensor(np.array([0.0, 0.25, 0.75]), requires_grad=True)
    q = Tensor(np.array([0.0, 0.5, 0.5]))
    cross_entropy = -p.xlogy(q).sum()
    cross_entropy.backward()
    assert cross_entropy.item() == pytest.approx(math.log(2))
    np.testing.assert_array_equal(p.grad, [0.0, math.log(2), math.log(2)])


def test_logit_is_the_inverse_of_sigmoid_with_pytorchs_edges_and_eps():
    x = Tensor(np.array([0.0, 1e-8, 0.5, 1.0, 1.2]), requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x.logit()
        out.backward(np.ones(5))
    np.testing.assert_allclose(out.data, [-INF, math.log(1e-8 / (1 - 1e-8)), 0.0, INF, NAN],
                               rtol=1e-15)
    np.testing.assert_allclose(x.grad, [INF, 1 / (1e-8 * (1 - 1e-8)), 4.0, INF, NAN],
                               rtol=1e-15)
    x = Tensor(np.array([0.0, 0.1, 0.5, 0.9, 1.2]), requires_grad=True)
    out = x.logit(eps=0.1)
    out.backward(np.ones(5))
    edge = math.log(0.1 / 0.9)
    np.testing.assert_allclose(out.data, [edge, edge, 0.0, -edge, -edge], rtol=1e-15)
    np.testing.assert_allclose(x.grad, [0.0, 1 / 0.09, 4.0, 1 / 0.09, 0.0], rtol=1e-14)
    z = Tensor(np.array([-3.0, 0.5, 4.0]))
    np.testing.assert_allclose(z.sigmoid().logit().data, z.data, rtol=1e-6)


def test_xlogy_logit_and_exp2_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    from torch_helpers import same_as_torch
    a, b, p = rng.uniform(-2, 2, (3, 1)), rng.uniform(0.1, 2, 4), rng.uniform(0.05, 0.95, 5)
    same_as_torch(lambda x, y: x.xlogy(y), a, b, rng=rng)
    same_as_torch(lambda x: x.logit(), p, rng=rng)
    same_as_torch(lambda x: x.logit(eps=0.2), p, rng=rng)
    same_as_torch(lambda x: x.exp2(), a, rng=rng)


# -- dtypes, names, module functions -----------------------------------------------------------

def test_integer_tensors_give_the_default_float_dtype_as_pytorchs():
    ints = Tensor([1, 2, 3])
    with np.errstate(invalid="ignore", divide="ignore"):      # asin(2) is NaN, atanh(1) inf
        floats = {name: getattr(ints, name)() for name in (
            "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf",
            "erfc")}
    for name, out in floats.items():
        assert out.dtype == np.float32, name
    for name in ("atan2", "hypot", "logaddexp", "xlogy"):
        assert getattr(ints, name)(ints).dtype == np.float32, name
    assert ints.lerp(Tensor([3, 4, 5]), 0.5).tolist() == [2.0, 3.0, 4.0]
    assert ints.exp2().tolist() == [2.0, 4.0, 8.0] and ints.exp2().dtype == np.float32
    with np.errstate(invalid="ignore", divide="ignore"):
        assert ints.logit().dtype == np.float32
    # whole numbers stay whole, as floor and ceil keep them (and fmod, %, cumprod and trace
    # of integers are integers, as in PyTorch)
    assert ints.trunc().dtype == ints.fmod(2).dtype == ints.cumprod(0).dtype == np.int64
    assert ints.frac().tolist() == [0, 0, 0] and ints.fmod(2).tolist() == [1, 0, 1]
    assert Tensor(np.arange(4, dtype=np.int32).reshape(2, 2)).trace().dtype == np.int64
    assert Tensor(np.array([2, 3], np.uint8)).cumprod(0).dtype == np.int64
    half = Tensor(np.array([0.5], np.float16))
    assert half.erf().dtype == np.float16 and half.erf().item() == np.float16(math.erf(0.5))


def test_trunc_rounds_towards_zero_and_passes_no_gradient():
    x = Tensor([-2.7, -0.5, 0.5, 2.7, -0.0], requires_grad=True)
    for whole in (x.trunc(), x.fix()):
        np.testing.assert_array_equal(whole.data, np.trunc(x.data))
        assert not whole.requires_grad
    y = x.frac()
    y.backward(np.ones(5, np.float32))
    np.testing.assert_array_equal(x.grad, np.ones(5))      # the whole part is a constant


def test_numpys_spellings_are_the_same_methods():
    for numpy_name, name in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                             ("arcsinh", "asinh"), ("arccosh", "acosh"),
                             ("arctanh", "atanh"), ("arctan2", "atan2"), ("fix", "trunc")):
        assert getattr(Tensor, numpy_name) is getattr(Tensor, name)


def test_pytorchs_module_functions_call_the_methods():
    y, x = Tensor([1.0, -1.0]), Tensor([2.0, 0.5])
    np.testing.assert_array_equal(autograd.atan2(y, x).data, np.arctan2(y.data, x.data))
    assert autograd.atan2(1.0, x).dtype == np.float32           # the number takes x's dtype
    assert autograd.remainder(-3, Tensor([2.0, 5.0])).tolist() == [1.0, 2.0]
    assert autograd.fmod(Tensor([-3.0]), 2).tolist() == [-1.0]
    assert autograd.lerp(y, x, 0.5).tolist() == [1.5, -0.25]
    assert autograd.cumprod(x, dim=0).tolist() == [2.0, 1.0]
    assert autograd.diag(y).tolist() == [[1.0, 0.0], [0.0, -1.0]]
    assert autograd.trace(autograd.diag(x)).item() == 2.5
    for name in ("tan", "asin", "erf", "erfc", "hypot", "logaddexp", "trunc", "frac",
                 "diagonal", "sinh", "cosh", "xlogy", "logit", "exp2"):
        assert callable(getattr(autograd, name)), name


def test_in_place_forms_are_the_ops_written_into_the_tensor():
    """Once hints ("write t = t.tan(...)"), now methods (tests/test_tensor_in_place_functions.py
    tests them)."""
    t = Tensor([1.0, 2.0], dtype=np.float64)
    assert t.tan_() is t and t.tolist() == np.tan([1.0, 2.0]).tolist()
    assert Tensor([1.0, 2.0, 3.0]).cumprod_(0).tolist() == [1.0, 2.0, 6.0]


# -- numerics ----------------------------------------------------------------------------------

def test_logaddexp_slopes_keep_their_digits_where_the_result_rounds():
    """ln(e^a + e^b) at a = b = 1e7 rounds to 1e7 in float32, so slopes taken as e^(a - out)
    would be 1 each: σ(a - b) gives 1/2, as PyTorch."""
    a, b = (Tensor(np.array([1e7, -1e7], np.float32), requires_grad=True) for _ in range(2))
    a.logaddexp(b).backward(np.ones(2, np.float32))
    np.testing.assert_array_equal(a.grad, [0.5, 0.5])
    np.testing.assert_array_equal(b.grad, [0.5, 0.5])
    assert Tensor([1000.0]).logaddexp(1000.0).item() == pytest.approx(1000 + math.log(2))


@pytest.mark.filterwarnings("error")
def test_atan2_and_hypot_slopes_of_tiny_float32_numbers():
    """atan2's x / (x² + y²) underflowed to 0 / 0 below ~1e-19 in float32 (slopes 0, taken
    for the origin, where they are ~1e24), hypot's g / hypot overflowed to inf below ~3e-39
    (slopes inf, at most 1); no warning."""
    y = Tensor(np.array([1e-25, 1.0], dtype=np.float32), requires_grad=True)
    x = Tensor(np.array([2e-25, 2.0], dtype=np.float32), requires_grad=True)
    y.atan2(x).sum().backward()
    np.testing.assert_allclose(y.grad, [0.4e25, 0.4], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [-0.2e25, -0.2], rtol=1e-6)
    a = Tensor(np.array([3e-39, 3.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([4e-39, 4.0], dtype=np.float32), requires_grad=True)
    a.hypot(b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.6, 0.6], rtol=1e-5)
    np.testing.assert_allclose(b.grad, [0.8, 0.8], rtol=1e-5)


def test_the_inverse_functions_keep_their_digits_near_the_ends_of_their_domains():
    """The slopes of asin, acos, atanh and acosh take 1 - x² as (1 - x)(1 + x) (and x² - 1
    likewise): next to ±1 the product x·x would round away the digits that decide them."""
    x = Tensor(np.array([1 - 2.0 ** -40]), requires_grad=True)
    x.atanh().backward(np.ones(1))
    exact = 1 / (2.0 ** -40 * (2 - 2.0 ** -40))                   # 1 / ((1 - x)(1 + x))
    assert x.grad[0] == pytest.approx(exact, rel=1e-15)
    x = Tensor(np.array([1 + 2.0 ** -40]), requires_grad=True)
    x.acosh().backward(np.ones(1))
    assert x.grad[0] == pytest.approx((2.0 ** -40 * (2 + 2.0 ** -40)) ** -0.5, rel=1e-15)


def test_cumprod_is_exact_where_dividing_by_the_elements_would_not_be():
    """The slopes come from running products, never out / x: elements that underflow the
    running product on their way (1e-200 twice) do not make the slopes 0 (PyTorch's, which
    divides where no element is 0, are 0 here; glassgrad's prod is exact here too)."""
    x = Tensor(np.array([1e-200, 1e-200, 1e200, 3.0]), requires_grad=True)
    x.cumprod(0).backward(np.array([0.0, 0.0, 0.0, 1.0]))
    # d(x0 x1 x2 x3)/dx_i: the product of the others (x0 x1 underflows, but not with x2)
    np.testing.assert_allclose(x.grad, [3e-200 * 1e200, 3e-200 * 1e200, 0.0, 0.0],
                               rtol=1e-14)


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: Tensor([1.0, 2.0]).diagonal(), ValueError,
     r"diagonal: needs a tensor of at least 2 dimensions, got shape \(2,\)"),
    (lambda: Tensor(np.ones((2, 2))).diagonal(0, 1, -1), ValueError,
     r"diagonal: dim1 and dim2 name the same axis \(1 and -1\) of a tensor of shape \(2, 2\)"),
    (lambda: Tensor(np.ones((2, 2))).diagonal(0.5), TypeError,
     r"diagonal: offset must be an int, got 0.5"),
    (lambda: Tensor(np.ones((2, 2))).diagonal(0, 0, 2), ValueError,
     r"diagonal: axis 2 is out of range for a tensor with 2 dims \(shape \(2, 2\)\)"),
    (lambda: Tensor(np.ones((2, 2, 2))).trace(), ValueError,
     r"trace: expects a matrix \(2-d\), got shape \(2, 2, 2\)"),
    (lambda: Tensor(2.0).diag(), ValueError,
     r"diag: expects a vector \(1-d, to put on a diagonal\) or a matrix \(2-d, to take one "
     r"from\), got shape \(\)"),
    (lambda: Tensor([1.0]).diag(True), TypeError, r"diag: diagonal must be an int, got True"),
    (lambda: Tensor([1.0, 2.0]).cumprod(), TypeError,
     r"cumprod: give the axis to multiply along: dim="),
    (lambda: Tensor([1.0, 2.0]).cumprod(1), ValueError,
     r"cumprod: axis 1 is out of range for a tensor with 1 dim"),
    (lambda: Tensor([1, 2]).fmod(0), ZeroDivisionError, r"integer fmod: division by zero"),
    (lambda: Tensor([1.0, 2.0]).atan2(Tensor([1.0, 2.0, 3.0])), ValueError,
     r"atan2: shapes \(2,\) and \(3,\) cannot be broadcast together"),
    (lambda: Tensor([1.0, 2.0]).hypot(np.ones((3, 1, 4))), ValueError,
     r"hypot: shapes \(2,\) and \(3, 1, 4\) cannot be broadcast together"),
    (lambda: Tensor([1.0, 2.0]).lerp(Tensor([1.0, 2.0, 3.0]), 0.5), ValueError,
     r"lerp: start and end of shapes \(2,\), \(3,\) cannot be broadcast together"),
    (lambda: Tensor([1.0, 2.0]).lerp(Tensor([1.0, 2.0]), Tensor([0.5, 0.5, 0.5])), ValueError,
     r"lerp: start, end and weight of shapes \(2,\), \(2,\), \(3,\) cannot be broadcast"),
    (lambda: Tensor([0.5]).logit(eps=0.7), ValueError,
     r"logit: eps must be a number from 0 to 0.5 \(x is clamped to \[eps, 1 - eps\]\), "
     r"got 0.7"),
    (lambda: Tensor([1.0, 2.0]).lerp(Tensor([1.0, 2.0]), None), TypeError,
     r"lerp: Tensor: got None where numbers belong"),
])
def test_mistakes_are_refused_naming_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()
