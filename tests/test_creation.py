"""Tensor creators (autograd/creation.py): PyTorch's shapes, values and dtypes, leaves that
backpropagate, reproducible draws (manual_seed, generator=), multinomial's distribution, and the
errors for bad arguments. With torch installed, the deterministic creators are checked
against it too."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import (
    Generator, Tensor, arange, eye, from_numpy, full, full_like, is_tensor, linspace, manual_seed,
    multinomial, numel, ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
    Value, zeros, zeros_like,
)

try:
    import torch
except ImportError:                                   # optional cross-check
    torch = None


# -- shapes and dtypes ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [randn, rand])
@pytest.mark.parametrize("size, shape", [((2, 3), (2, 3)), (((2, 3),), (2, 3)),
                                         (([4],), (4,)), ((0,), (0,)), (((),), ())])
def test_random_shapes_as_arguments_or_one_tuple(make, size, shape):
    t = make(*size)
    assert t.shape == shape and t.dtype == np.float32 and not t.requires_grad


@pytest.mark.parametrize("make", [zeros, ones, randn])
def test_a_numpy_integer_is_a_size(make):
    assert make(np.int64(3)).shape == (3,) and make(np.int32(2), np.int64(3)).shape == (2, 3)


@pytest.mark.parametrize("make", [zeros, ones])
@pytest.mark.parametrize("size", [(-1,), (2.5,), ((2, -3),), ("a",)])
def test_zeros_and_ones_name_a_bad_size(make, size):
    with pytest.raises(ValueError, match=rf"{make.__name__}: sizes must be ints >= 0"):
        make(*size)


@pytest.mark.parametrize("make", [
    lambda: zeros(2), lambda: ones(2),
    lambda: randn(2), lambda: rand(2), lambda: full((2,), 1.5), lambda: eye(2),
    lambda: arange(0.0, 2), lambda: linspace(0, 1, 2),
])
def test_floats_follow_the_default_dtype(make):
    assert make().dtype == np.float32
    autograd.set_default_dtype(np.float64)              # the autouse fixture restores it
    assert make().dtype == np.float64


@pytest.mark.parametrize("make, dtype", [
    (lambda: arange(4), np.int64), (lambda: arange(1, 4, 2), np.int64),
    (lambda: arange(4.0), np.float32), (lambda: arange(0, 1, 0.5), np.float32),
    (lambda: arange(4, dtype=np.float64), np.float64), (lambda: full((2,), 7), np.int64),
    (lambda: full((2,), True), np.bool_), (lambda: full((2,), 7, dtype=np.float64), np.float64),
    (lambda: randint(5, (3,)), np.int64), (lambda: randint(0, 5, (3,), dtype=np.float32),
                                           np.float32),
    (lambda: linspace(0, 10, 5, dtype=np.int64), np.int64),
    (lambda: eye(2, dtype=np.int64), np.int64), (lambda: randn(2, dtype=np.float64), np.float64),
])
def test_dtypes_as_pytorch_gives_them(make, dtype):
    assert make().dtype == dtype


def test_filled_values():
    np.testing.assert_array_equal(full((2, 2), -np.inf).data, [[-np.inf, -np.inf]] * 2)
    np.testing.assert_array_equal(full(3, 2.5).data, [2.5, 2.5, 2.5])
    np.testing.assert_array_equal(eye(2, 3).data, [[1, 0, 0], [0, 1, 0]])
    assert eye(0).shape == (0, 0)
    np.testing.assert_array_equal(arange(5, 0, -2).data, [5, 3, 1])
    assert arange(3, 3).shape == (0,)
    np.testing.assert_array_equal(arange(1, 2.5, 0.5).data, [1.0, 1.5, 2.0])
    whole = arange(0.0, 5.0, 2.0, dtype=np.int64)       # whole-number floats: as ints
    assert whole.dtype == np.int64 and whole.tolist() == [0, 2, 4]
    assert linspace(0, 255, 3, dtype=np.uint8).tolist() == [0, 127, 255]
    assert arange(0, 1, 0.1).shape == (10,)             # PyTorch's count, ceil(1 / 0.1)
    np.testing.assert_array_equal(linspace(1, 0, 3).data, [1.0, 0.5, 0.0])
    assert linspace(0, 1, 0).shape == (0,) and linspace(0, 1, 1).data.tolist() == [0.0]
    np.testing.assert_array_equal(linspace(0, 10, 5, dtype=np.int64).data, [0, 2, 5, 7, 10])


def test_like_creators_copy_shape_and_dtype_not_requires_grad():
    ints = Tensor(np.arange(6).reshape(2, 3))
    weights = Tensor(np.ones((2, 2), dtype=np.float64), requires_grad=True)
    assert zeros_like(ints).dtype == np.int64 and zeros_like(ints).shape == (2, 3)
    np.testing.assert_array_equal(full_like(ints, 2.7).data, np.full((2, 3), 2))
    assert ones_like(ints, dtype=np.float32).dtype == np.float32
    for made in (zeros_like(weights), ones_like(weights), randn_like(weights)):
        assert made.dtype == np.float64 and made.shape == (2, 2) and not made.requires_grad
    assert randn_like(np.zeros((3, 1), dtype=np.float32)).shape == (3, 1)   # an ndarray too


def test_randint_forms():
    """randint(high, size), randint(low, high, size) and the keyword forms, as in PyTorch."""
    manual_seed(0)
    for ix in (randint(10, (500,)), randint(10, size=(500,)), randint(high=10, size=(500,))):
        assert ix.shape == (500,) and set(ix.data.tolist()) == set(range(10))
    ix = randint(-5, -2, (2, 300))
    assert ix.shape == (2, 300) and set(ix.data.ravel().tolist()) == {-5, -4, -3}
    assert randint(low=2, high=3, size=(4,)).data.tolist() == [2, 2, 2, 2]


# -- leaves that backpropagate -------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: randn(2, 3, requires_grad=True), lambda: rand(4, requires_grad=True),
    lambda: full((2,), 3.0, requires_grad=True), lambda: eye(3, requires_grad=True),
    lambda: arange(0.0, 3.0, requires_grad=True), lambda: linspace(0, 1, 4, requires_grad=True),
    lambda: randint(0, 5, (3,), dtype=np.float32, requires_grad=True),
    lambda: zeros_like(np.ones(2), requires_grad=True),
    lambda: full_like(Tensor([1.0, 2.0]), 0.5, requires_grad=True),
    lambda: randn_like(Tensor([1.0, 2.0]), requires_grad=True),
])
def test_requires_grad_gives_a_leaf_that_backpropagates(make):
    w = make()
    assert w.requires_grad and w.is_leaf
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)


# -- reproducible draws --------------------------------------------------------------------------

DRAWS = [
    lambda **g: randn(3, 4, **g), lambda **g: rand(5, **g), lambda **g: randint(0, 100, (6,), **g),
    lambda **g: randn_like(np.zeros(3), **g),
    lambda **g: multinomial(Tensor([1.0, 2.0, 3.0, 4.0]), 3, **g),
    lambda **g: multinomial(Tensor([[1.0, 2.0], [3.0, 4.0]]), 5, replacement=True, **g),
    lambda **g: autograd.normal(1.0, 2.0, (5,), **g),
    lambda **g: autograd.normal(Tensor([0.0, 1.0]), Tensor([[1.0], [2.0]]), **g),
    lambda **g: autograd.bernoulli(Tensor([0.5] * 8), **g),
    lambda **g: autograd.poisson(Tensor([3.0] * 5), **g),
    lambda **g: autograd.randint_like(Tensor([0.0] * 6), 100, **g),
    lambda **g: zeros(5).bernoulli_(0.5, **g), lambda **g: zeros(5).exponential_(**g),
    lambda **g: Tensor(np.zeros(5, np.int64)).random_(100, **g),
]


@pytest.mark.parametrize("draw", DRAWS)
def test_manual_seed_replays_the_shared_generator(draw):
    manual_seed(7)
    first = draw().data
    manual_seed(7)
    np.testing.assert_array_equal(draw().data, first)


@pytest.mark.parametrize("draw", DRAWS)
def test_a_generator_replays_and_leaves_the_shared_one_alone(draw):
    manual_seed(1)
    expected_shared = autograd.default_rng().random()
    manual_seed(1)
    first = draw(generator=Generator().manual_seed(2147483647)).data
    again = draw(generator=np.random.default_rng(2147483647)).data    # numpy's, same seed
    np.testing.assert_array_equal(again, first)
    assert autograd.default_rng().random() == expected_shared


def test_a_generator_moves_on_and_different_seeds_differ():
    g = Generator().manual_seed(3)
    a, b = randn(20, generator=g).data, randn(20, generator=g).data
    assert not np.array_equal(a, b)
    assert not np.array_equal(randn(20, generator=Generator().manual_seed(4)).data, a)


def test_the_same_seed_draws_the_same_numbers_in_any_float_dtype():
    """Drawn in float64 and cast: switching to float64 keeps a seeded run's numbers."""
    single = randn(50, generator=Generator().manual_seed(0))
    double = randn(50, dtype=np.float64, generator=Generator().manual_seed(0))
    np.testing.assert_array_equal(single.data, double.data.astype(np.float32))


class _DrawsNearlyOne(np.random.Generator):
    """A generator whose uniform draws are all 1 - 2^-30: below 1 in float64, 1.0 once
    rounded to float32 or float16."""

    def __init__(self):
        super().__init__(np.random.PCG64(0))

    def random(self, size=None, dtype=np.float64, out=None):
        return np.full(size, 1 - 2.0 ** -30, dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_rand_stays_below_1_in_every_dtype(dtype):
    """rand draws from [0, 1): a float64 draw that rounds up to 1.0 in a narrower dtype is the
    largest number below 1 instead (with manual_seed(24), rand(1000, 1000) held a 1.0)."""
    x = rand(3, dtype=dtype, generator=_DrawsNearlyOne()).data
    assert x.dtype == dtype and (x < 1).all()
    assert (x == np.nextafter(dtype(1), dtype(0))).all() or dtype is np.float64


def test_rand_and_randn_look_like_their_distributions():
    g = Generator().manual_seed(0)
    uniform, normal = rand(20000, generator=g).data, randn(20000, generator=g).data
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
    assert abs(normal.mean()) < 0.03 and abs(normal.std() - 1) < 0.03


# -- multinomial ---------------------------------------------------------------------------------

def test_multinomial_shapes_and_a_constant_int64_result():
    probs = Tensor([[0.2, 0.8, 0.0], [1.0, 1.0, 1.0]], requires_grad=True)
    ix = multinomial(probs, 2)
    assert ix.shape == (2, 2) and ix.dtype == np.int64 and not ix.requires_grad
    assert multinomial(probs[0], 4, replacement=True).shape == (4,)
    assert multinomial(np.ones((0, 3)), 2).shape == (0, 2)
    assert multinomial([0.0, 5.0], 1).data.tolist() == [1]      # a list of weights works too


def test_multinomial_as_a_tensor_method_draws_the_same():
    probs = Tensor([0.1, 0.6, 0.3])
    manual_seed(5)
    drawn = probs.multinomial(6, replacement=True)
    manual_seed(5)
    assert drawn.data.tolist() == multinomial(probs, 6, replacement=True).data.tolist()
    g = Generator().manual_seed(1)
    assert probs.multinomial(2, generator=g).shape == (2,)


def test_multinomial_with_replacement_draws_in_proportion_to_the_weights():
    weights = np.array([1.0, 0.0, 2.0, 7.0])           # unnormalised; a zero is never drawn
    ix = multinomial(weights, 40000, replacement=True, generator=Generator().manual_seed(0))
    frequencies = np.bincount(ix.data, minlength=4) / 40000
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.01)
    assert frequencies[1] == 0


def test_multinomial_without_replacement_draws_each_next_from_what_is_left():
    """Row by row no index repeats; the pair (first, second) has probability
    p_first · p_second / (1 - p_first), as drawing one at a time without putting it back."""
    p = np.array([0.5, 0.3, 0.2])
    ix = multinomial(np.tile(p, (30000, 1)), 2, generator=Generator().manual_seed(0)).data
    assert (ix[:, 0] != ix[:, 1]).all()
    pairs = np.zeros((3, 3))
    np.add.at(pairs, (ix[:, 0], ix[:, 1]), 1 / len(ix))
    expected = p[:, None] * p[None, :] / (1 - p[:, None])
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(pairs, expected, atol=0.01)


def test_multinomial_all_categories_is_a_permutation_and_huge_weights_do_not_overflow():
    ix = multinomial(np.array([[1e308, 1e308, 1e-300], [3.0, 1.0, 2.0]]), 3).data
    assert sorted(ix[0]) == sorted(ix[1]) == [0, 1, 2]
    drawn = multinomial(np.array([1e308, 1e308]), 1000, replacement=True).data
    assert set(drawn.tolist()) == {0, 1}


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: randn(-1), ValueError, r"randn: sizes must be ints >= 0, .*; got -1"),
    (lambda: rand(2.5), ValueError, r"rand: sizes must be ints >= 0, .*; got 2.5"),
    (lambda: randn(2, (3,)), ValueError, r"randn: sizes must be ints >= 0, .*; got \(2, \(3,\)\)"),
    (lambda: full((2, -3), 1.0), ValueError, r"full: sizes must be ints >= 0, .*; got \(2, -3\)"),
    (lambda: randn(True), ValueError, r"randn: sizes must be ints >= 0, .*; got True"),
    (lambda: randn(2, dtype=np.int64), TypeError, r"randn: dtype must be floating point, got "
                                                  r"int64"),
    (lambda: rand(2, dtype="nonsense"), TypeError, r"rand: dtype must be a numpy dtype .*"
                                                   r"got 'nonsense'"),
    (lambda: randn_like(Tensor([1, 2])), TypeError, r"randn_like: dtype must be floating "
                                                    r"point, got int64"),
    (lambda: zeros_like([1.0, 2.0]), TypeError, r"zeros_like: input must be a Tensor \(or an "
                                                r"ndarray\), got list"),
    (lambda: ones_like("1"), TypeError, r"ones_like: input must be a Tensor \(or an ndarray\), "
                                        r"got str"),
    # fast.ai's torch.zeros_like(p.grad.data): numpy's .data of the gradient array
    (lambda: zeros_like(np.zeros(2).data), TypeError, r"zeros_like: input must be a Tensor "
                                                      r"\(or an ndarray\), got a memoryview, .*"
                                                      r"p\.grad is the numpy array itself here "
                                                      r"\(PyTorch's p\.grad\.data\), so write "
                                                      r"zeros_like\(p\.grad\)"),
    (lambda: autograd.empty_like(np.zeros(2).data), TypeError, r"empty_like: .* got a memoryview"),
    (lambda: full((2,), 1j), TypeError, r"full: fill_value must be a real number or a bool, "
                                        r"got 1j"),
    (lambda: full((2,), 7, requires_grad=True), TypeError,
     r"full: only floating-point tensors can require grad, got dtype int64"),
    # a fill value the dtype cannot hold (numpy would wrap it, or store garbage for NaN)
    (lambda: full((2,), 300, dtype=np.uint8), ValueError,
     r"full: fill_value 300 does not fit in uint8 \(integers from 0 to 255\)"),
    (lambda: full((2,), float("nan"), dtype=np.int64), ValueError,
     r"full: fill_value nan does not fit in int64"),
    (lambda: full_like(Tensor([1, 2]), 1e20), ValueError,
     r"full_like: fill_value 1e\+20 does not fit in int64"),
    (lambda: full((2,), 1e39), ValueError,
     r"full: fill_value 1e\+39 is beyond float32's range \(±3.403e\+38\)"),
    (lambda: full_like(Tensor([1.0]), "a"), TypeError,
     r"full_like: fill_value must be a real number or a bool, got 'a'"),
    (lambda: eye(-1), ValueError, r"eye: n must be at least 0, got -1"),
    (lambda: eye(2, 1.5), TypeError, r"eye: m must be an int, got 1.5"),
    (lambda: arange(0, 5, 0), ValueError, r"arange: step must not be 0"),
    (lambda: arange(5, 0), ValueError, r"arange: step 1 goes away from end \(start=5, end=0\); "
                                       r"counting down needs a negative step"),
    (lambda: arange(0, 5, -1), ValueError, r"arange: step -1 goes away from end"),
    (lambda: arange(float("inf")), ValueError, r"arange: end must be finite, got inf"),
    (lambda: arange("3"), TypeError, r"arange: end must be a number, got '3'"),
    (lambda: arange(5, requires_grad=True), TypeError,
     r"arange: only floating-point tensors can require grad, got dtype int64; pass a floating "
     r"dtype"),
    (lambda: arange(0, 5, 1.5, dtype=np.int64), ValueError,      # PyTorch 0..4, numpy 0, 1, 3, 4
     r"arange: an integer dtype \(int64\) needs whole-number start, end and step, got "
     r"step=1.5; arange\(...\).to\(dtype\) cuts"),
    (lambda: arange(0.5, 3, dtype=np.int32), ValueError, r"got start=0.5;"),
    (lambda: arange(3, dtype=bool), TypeError,
     r"arange: dtype must be an integer or floating dtype, got bool"),
    (lambda: linspace(0, 300, 4, dtype=np.uint8), ValueError,      # numpy: 0, 100, 200, 44
     r"linspace: start=0 to end=300 does not fit in uint8 \(integers from 0 to 255\)"),
    (lambda: linspace(0, 1, -1), ValueError, r"linspace: steps must be at least 0, got -1"),
    (lambda: linspace(0, 1, 2.5), TypeError, r"linspace: steps must be an int, got 2.5"),
    (lambda: linspace(0, float("nan"), 3), ValueError, r"linspace: end must be finite, got nan"),
    (lambda: randint(10, 10, (2,)), ValueError, r"randint: needs low < high \(high is left "
                                                r"out\), got low=10, high=10"),
    (lambda: randint(0, (2,)), ValueError, r"randint: needs low < high .*low=0, high=0"),
    (lambda: randint(3, 10), TypeError, r"randint: size is missing: randint\(low, high, size\) "
                                        r"or randint\(high, size\).*got low=3, high=10"),
    (lambda: randint(0.5, 3.5, (2,)), TypeError, r"randint: low and high must be ints, got "
                                                 r"low=0.5, high=3.5"),
    (lambda: randint(0, 300, (2,), dtype=np.uint8), ValueError,
     r"randint: low=0 to high - 1=299 does not fit in uint8"),
    (lambda: randint(0, 2, (2,), dtype=bool), TypeError, r"randint: dtype must be an integer "
                                                         r"or floating dtype, got bool"),
    (lambda: randint(0, 2, (2,), requires_grad=True), TypeError,
     r"randint: only floating-point tensors can require grad, got dtype int64"),
    (lambda: randn(2, generator=7), TypeError, r"randn: generator must be a numpy Generator, "
                                               r"such as autograd.Generator\(\).manual_seed\(0\)"
                                               r", or None for the shared one; got int"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("probs, kwargs, error, message", [
    ([1, 2], {}, TypeError, r"multinomial: input must hold floating-point weights, got dtype "
                            r"int64 \(as in PyTorch; counts.float\(\) converts counts\)"),
    (1.0, {}, ValueError, r"multinomial: input must be 1-d \(one distribution\) or 2-d \(one per "
                          r"row\), got shape \(\)"),
    (np.ones((2, 2, 2)), {}, ValueError, r"multinomial: input must be 1-d .*got shape "
                                         r"\(2, 2, 2\)"),
    ([1.0, -2.0, 3.0], {}, ValueError, r"multinomial: weights must be finite and >= 0, got -2.0 "
                                       r"at index 1 \(logits\? draw from their softmax: probs = "
                                       r"logits.softmax\(dim=-1\)\)$"),
    ([[1.0, 1.0], [1.0, np.inf]], {}, ValueError, r"weights must be finite and >= 0, got inf at "
                                                  r"index \(1, 1\)"),
    ([[1.0, np.nan]], {}, ValueError, r"weights must be finite and >= 0, got nan at index "
                                      r"\(0, 1\)"),
    ([0.0, 0.0], {}, ValueError, r"multinomial: the weights are all zero; there is nothing to "
                                 r"draw"),
    ([[1.0, 1.0], [0.0, 0.0]], {"replacement": True}, ValueError,
     r"multinomial: row 1's weights are all zero"),
    ([1.0, 2.0, 3.0], {"num_samples": 4}, ValueError,
     r"multinomial: cannot draw 4 samples without replacement from 3 categories \(pass "
     r"replacement=True to allow repeats\)"),
    ([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], {"num_samples": 2}, ValueError,
     r"multinomial: cannot draw 2 samples without replacement: row 1's weights give only 1 of "
     r"the categories a positive weight"),
    (np.ones((2, 0)), {}, ValueError, r"multinomial: there are no categories to draw from "
                                      r"\(input of shape \(2, 0\)\)"),
    ([1.0, 2.0], {"num_samples": 0}, ValueError, r"multinomial: num_samples must be at least 1, "
                                                 r"got 0"),
    ([1.0, 2.0], {"num_samples": 1.0}, TypeError, r"multinomial: num_samples must be an int, "
                                                  r"got 1.0"),
    ([1.0, 2.0], {"replacement": "yes"}, TypeError, r"multinomial: replacement must be True or "
                                                    r"False, got 'yes'"),
    ([1.0, 2.0], {"generator": 0}, TypeError, r"multinomial: generator must be a numpy "
                                              r"Generator"),
])
def test_multinomial_errors(probs, kwargs, error, message):
    kwargs = {"num_samples": 1, **kwargs}
    with pytest.raises(error, match=message):
        multinomial(probs, **kwargs)


def test_a_refused_call_draws_nothing():
    """An error is raised before drawing, so the generator stands where it stood."""
    g = Generator().manual_seed(0)
    expected = np.random.default_rng(0).random()
    with pytest.raises(TypeError):
        randint(0, 5, (3,), requires_grad=True, generator=g)
    with pytest.raises(ValueError):
        multinomial([1.0, 0.0], 2, generator=g)
    assert g.random() == expected


# -- from_numpy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("array", [
    np.array([1.5, -2.0]), np.arange(6, dtype=np.int32).reshape(2, 3), np.array([True, False]),
    np.zeros((0, 2), np.float32), np.array(3.0), np.arange(10.0)[::2]])
def test_from_numpy_shares_the_array_and_keeps_its_dtype(array):
    """PyTorch's torch.from_numpy: no copy, the array's dtype (float64 stays float64)."""
    t = autograd.from_numpy(array)
    assert type(t) is Tensor and t.data is array and t.dtype == array.dtype
    assert not t.requires_grad and t.is_leaf
    if array.size:
        array.flat[0] = 1                       # a change to the array shows in the tensor
        assert t.data.flat[0] == 1
        t[(0,) * t.ndim] = 0                    # and one to the tensor in the array
        assert array.flat[0] == 0
    assert "from_numpy" in autograd.__all__ and autograd.from_numpy is from_numpy


@pytest.mark.parametrize("data, message", [
    ([1.0, 2.0], r"from_numpy: expected a numpy ndarray, got list; autograd\.tensor\(data\)"),
    (np.float64(2.0), r"from_numpy: expected a numpy ndarray, got float64"),
    (Tensor([1.0]), r"from_numpy: expected a numpy ndarray, got a Tensor \(it is one already\)"),
    (np.array(["a"]), r"from_numpy: a Tensor holds bools, integers or floats, got an array of "
                      r"dtype <U1"),
    (np.array([1 + 2j]), r"from_numpy: .* got an array of dtype complex128"),
])
def test_from_numpy_refuses_what_is_not_an_array_of_numbers(data, message):
    with pytest.raises(TypeError, match=message):
        from_numpy(data)


# -- PyTorch's own results (optional) ------------------------------------------------------------

@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional cross-check: pip install torch)")
@pytest.mark.parametrize("name, args, kwargs", [
    ("arange", (5,), {}), ("arange", (1, 4), {}), ("arange", (0, 1, 0.1), {}),
    ("arange", (1.0, 4), {}), ("arange", (5, 0, -1), {}), ("arange", (-1, 1, 0.3), {}),
    ("arange", (0, 10, 3), {}), ("linspace", (0, 1, 5), {}), ("linspace", (-3, 7, 11), {}),
    ("linspace", (2, 2, 1), {}), ("linspace", (0, 1, 0), {}), ("eye", (3,), {}),
    ("eye", (2, 4), {}), ("full", ((2, 3), 7), {}), ("full", ((2,), 1.5), {}),
    ("full", ((2, 2), True), {}), ("full", ((), -2.5), {}),
])
def test_deterministic_creators_match_pytorch(name, args, kwargs):
    ours, theirs = getattr(autograd, name)(*args, **kwargs), getattr(torch, name)(*args, **kwargs)
    assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-7)


CREATORS_ON_A_DEVICE = {
    "zeros": lambda **kw: autograd.zeros(2, 3, **kw),
    "ones": lambda **kw: autograd.ones(2, **kw),
    "full": lambda **kw: autograd.full((2,), 1.5, **kw),
    "eye": lambda **kw: autograd.eye(2, **kw),
    "full_like": lambda **kw: autograd.full_like(Tensor([1.0]), 2.0, **kw),
    "zeros_like": lambda **kw: autograd.zeros_like(Tensor([1.0]), **kw),
    "ones_like": lambda **kw: autograd.ones_like(Tensor([1.0]), **kw),
    "arange": lambda **kw: autograd.arange(4, **kw),
    "linspace": lambda **kw: autograd.linspace(0, 1, 3, **kw),
    "randn": lambda **kw: autograd.randn(2, **kw),
    "rand": lambda **kw: autograd.rand(2, **kw),
    "randn_like": lambda **kw: autograd.randn_like(Tensor([1.0]), **kw),
    "randint": lambda **kw: autograd.randint(0, 5, (3,), **kw),
    "empty": lambda **kw: autograd.empty(2, **kw),
    "empty_like": lambda **kw: autograd.empty_like(Tensor([1.0]), **kw),
    "logspace": lambda **kw: autograd.logspace(0, 1, 3, **kw),
    "normal": lambda **kw: autograd.normal(0.0, 1.0, (2,), **kw),
    "randint_like": lambda **kw: autograd.randint_like(Tensor([1.0]), 5, **kw),
}


@pytest.mark.parametrize("name", CREATORS_ON_A_DEVICE)
def test_creators_take_the_cpu_as_device_and_refuse_a_gpu(name):
    """The GPT lecture's `torch.arange(T, device=device)` with device = 'cpu' runs unchanged;
    'cuda' is refused, naming the creator."""
    make = CREATORS_ON_A_DEVICE[name]
    assert make(device="cpu").shape == make().shape
    with pytest.raises(RuntimeError, match=rf"{name}\(\.\.\., device='cuda'\): there is no GPU"):
        make(device="cuda")
    with pytest.raises(TypeError, match=rf"{name}: device must be a device such as 'cpu'"):
        make(device="float32")


# -- randperm, rand_like, is_tensor, numel (PyTorch's module functions) ---------------------------

def test_randperm_is_a_shuffled_int64_range_from_the_shared_or_a_given_generator():
    perm = randperm(50)
    assert perm.dtype == np.int64 and perm.shape == (50,) and not perm.requires_grad
    assert sorted(perm.tolist()) == list(range(50)) and perm.tolist() != list(range(50))
    manual_seed(3)
    first = randperm(20).tolist()
    manual_seed(3)
    assert randperm(20).tolist() == first
    g = Generator().manual_seed(7)
    assert randperm(20, generator=g).tolist() == \
        randperm(20, generator=g.manual_seed(7)).tolist()
    assert randperm(0).shape == (0,)
    floats = randperm(4, dtype=np.float32, requires_grad=True)
    assert floats.dtype == np.float32 and floats.requires_grad
    assert sorted(floats.tolist()) == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("args, kwargs, error, says", [
    ((-1,), {}, ValueError, "randperm: n must be at least 0"),
    ((2.0,), {}, TypeError, "randperm: n must be an int"),
    ((300,), {"dtype": np.int8}, ValueError, "does not fit in int8"),
    ((3,), {"requires_grad": True}, TypeError, "only floating-point tensors can require grad"),
    ((3,), {"generator": 0}, TypeError, "randperm: generator must be a numpy Generator"),
])
def test_randperm_says_what_is_wrong(args, kwargs, error, says):
    with pytest.raises(error, match=says):
        randperm(*args, **kwargs)


def test_rand_like_draws_uniforms_in_the_inputs_shape_and_dtype():
    x = rand_like(Tensor(np.zeros((300, 2), dtype=np.float64)))
    assert x.shape == (300, 2) and x.dtype == np.float64
    assert ((0 <= x.data) & (x.data < 1)).all() and x.data.std() > 0.2
    with pytest.raises(TypeError, match="rand_like: dtype must be floating point"):
        rand_like(Tensor([1, 2]))


def test_is_tensor_and_numel_as_pytorch_module_functions():
    t = Tensor(np.ones((2, 3)))
    assert is_tensor(t) and not is_tensor(Value(1.0)) and not is_tensor(np.ones(2))
    assert numel(t) == 6 and numel(Tensor(5.0)) == 1
    with pytest.raises(TypeError, match=r"numel: input must be a Tensor, got ndarray"):
        numel(np.ones(2))


@pytest.mark.parametrize("data", [2 ** 63, [2 ** 63], [[1], [2 ** 63]], [1, 2 ** 63],
                                  [-2 ** 63 - 1, 0], [2 ** 64]])
def test_an_int_beyond_int64_is_refused_not_made_uint64_or_float(data):
    # numpy makes [2**63] uint64 and [1, 2**63] float64 (losing digits); PyTorch refuses both
    for make in (autograd.tensor, Tensor):
        with pytest.raises(ValueError, match=r"Tensor: the int -?92233720368547758\d\d|"
                                             r"Tensor: the int 18446744073709551616"):
            make(data)
    assert autograd.tensor([2 ** 63 - 1, -2 ** 63]).dtype == np.int64
    assert autograd.tensor([2 ** 63], dtype=np.uint64).tolist() == [2 ** 63]   # asked for: kept


def test_a_number_beyond_the_asked_dtype_is_a_value_error_naming_tensor():
    with pytest.raises(ValueError, match=r"Tensor: a number does not fit in dtype uint8 "
                                         r"\(integers from 0 to 255\), got 300"):
        autograd.tensor([1, 300], dtype=np.uint8)
    with pytest.raises(ValueError, match=r"Tensor: a number does not fit in dtype uint8"):
        autograd.tensor(-1, dtype=np.uint8)


@pytest.mark.parametrize("make", [zeros, ones, randn, rand, lambda *s: full(s, 1.0),
                                  lambda *s: Tensor([1.0]).new_zeros(*s)])
def test_a_0d_integer_tensor_is_a_size_as_in_pytorch(make):
    # zeros(n) for n = lengths.max(): it made a 0-d tensor (Python iterated the 0-d n and found
    # no sizes in it)
    n = autograd.tensor(3)
    assert make(n).shape == (3,)
    if make in (zeros, ones, randn, rand):
        assert make(2, n).shape == (2, 3) and make((n, 2)).shape == (3, 2)
    with pytest.raises(ValueError, match=r"sizes must be ints >= 0, such as 2, 3 or \(2, 3\); "
                                         r"got \(?Tensor\(3\.\)"):
        make(autograd.tensor(3.0))


@pytest.mark.parametrize("make", [zeros, ones, randn, rand,
                                  lambda **k: Tensor([1]).new_ones(**k)])
def test_the_shape_as_pytorch_s_size_keyword(make):
    assert make(size=(2, 3)).shape == (2, 3) and make(size=[4]).shape == (4,)
    assert make(size=()).shape == ()
    if make in (zeros, ones, randn, rand):
        with pytest.raises(TypeError, match=rf"{make.__name__}: got the sizes \(2,\) and "
                                            rf"size=\(3,\); give the shape once"):
            make(2, size=(3,))


def test_numpy_scalars_fill_and_bound_as_python_numbers():
    # math.trunc failed on them: "type numpy.int32 doesn't define __trunc__ method"
    sevens = full((2,), np.int32(7))
    assert sevens.tolist() == [7, 7] and sevens.dtype == np.int64
    assert full((1,), np.float16(0.5)).dtype == np.float32      # a float: the default dtype
    assert full((1,), np.bool_(True)).dtype == np.bool_
    assert full_like(Tensor(np.zeros(2, np.int32)), np.int64(5)).tolist() == [5, 5]
    assert Tensor([1, 2]).fill_(np.int32(3)).tolist() == [3, 3]
    assert arange(np.float32(1.5)).tolist() == [0.0, 1.0] and arange(np.int64(2)).dtype == np.int64
    assert linspace(np.float32(0.0), np.int32(1), 3).tolist() == [0.0, 0.5, 1.0]



# -- empty, logspace, normal, bernoulli, poisson, randint_like -----------------------------------

def test_empty_is_zeros_with_pytorch_s_arguments():
    """PyTorch's empty leaves whatever numbers were in memory; here it is zeros (it was an
    AttributeError pointing at zeros, so ported `torch.empty(n).uniform_()` code stopped)."""
    assert autograd.empty(2, 3).tolist() == [[0.0] * 3] * 2
    assert autograd.empty(2).dtype == np.float32
    assert autograd.empty(size=(4,), dtype=np.int64).dtype == np.int64
    assert autograd.empty(3, requires_grad=True).requires_grad
    like = autograd.empty_like(Tensor([[1, 2]]))
    assert like.shape == (1, 2) and like.dtype == np.int64
    new = Tensor([1.0], requires_grad=True).new_empty((2, 2))
    assert new.shape == (2, 2) and new.dtype == np.float32 and not new.requires_grad
    assert Tensor(np.ones(1)).new_empty(3).dtype == np.float64
    with pytest.raises(ValueError, match=r"empty: sizes must be ints >= 0, .*; got -1"):
        autograd.empty(-1)


@pytest.mark.parametrize("args, kwargs, expected, dtype", [     # torch 2.13's numbers
    ((-3, 0, 4), {}, [1e-3, 1e-2, 1e-1, 1.0], np.float32),
    ((0, 3, 4), {"base": 2}, [1.0, 2.0, 4.0, 8.0], np.float32),
    ((1, 0, 3), {"dtype": np.float64}, [10.0, 10 ** 0.5, 1.0], np.float64),
    ((0, 3, 3), {"dtype": np.int64}, [1, 31, 1000], np.int64),        # fractions cut off
    ((0, 2, 3), {"base": -2.0}, [1.0, -2.0, 4.0], np.float32),
    ((0, 1, 3), {"base": -2.0}, [1.0, np.nan, -2.0], np.float32),     # (-2) ** 0.5
    ((0, 40, 3), {}, [1.0, 1e20, np.inf], np.float32),                 # 1e40 beyond float32
    ((0, 1, 1), {}, [1.0], np.float32), ((0, 1, 0), {}, [], np.float32),
])
def test_logspace_as_pytorch(args, kwargs, expected, dtype):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # and no numpy warning on the way
        got = autograd.logspace(*args, **kwargs)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.data, np.array(expected, dtype), rtol=1e-6)


def test_logspace_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match=r"logspace: 10.0 \*\* 3.0 = 1000.0 does not fit in int8"):
        autograd.logspace(0, 3, 3, dtype=np.int8)       # PyTorch wraps it round to -24
    with pytest.raises(ValueError, match=r"logspace: -2.0 \*\* 0.5 = nan does not fit in int64"):
        autograd.logspace(0, 1, 3, base=-2.0, dtype=np.int64)
    with pytest.raises(TypeError, match=r"logspace: steps must be an int, got 2.5"):
        autograd.logspace(0, 1, 2.5)
    with pytest.raises(ValueError, match=r"logspace: end must be finite, got inf"):
        autograd.logspace(0, float("inf"), 3)


def _column_stats(x: Tensor) -> tuple[np.ndarray, np.ndarray]:
    return x.data.mean(axis=0), x.data.std(axis=0)


def test_normal_draws_mean_and_standard_deviation_not_variance():
    manual_seed(0)
    x = autograd.normal(2.0, 3.0, size=(100_000,))
    assert x.dtype == np.float32 and x.shape == (100_000,) and not x.requires_grad
    assert abs(x.data.mean() - 2.0) < 0.05 and abs(x.data.std() - 3.0) < 0.03   # 5 and 4.5 s.e.
    # tensors: one draw per element, broadcast; each column its own mean and std
    means, stds = Tensor(np.tile([-5.0, 10.0], (100_000, 1))), Tensor([0.5, 2.0])
    mean, std = _column_stats(autograd.normal(means, stds))
    np.testing.assert_allclose(mean, [-5.0, 10.0], atol=0.03)
    np.testing.assert_allclose(std, [0.5, 2.0], rtol=0.01)
    mean, std = _column_stats(autograd.normal(means, 0.25))             # one std for all
    np.testing.assert_allclose(mean, [-5.0, 10.0], atol=0.005)
    np.testing.assert_allclose(std, [0.25, 0.25], rtol=0.01)
    mean, std = _column_stats(autograd.normal(1.0, Tensor(np.tile([1.0, 4.0], (100_000, 1)))))
    np.testing.assert_allclose(mean, [1.0, 1.0], atol=0.07)
    np.testing.assert_allclose(std, [1.0, 4.0], rtol=0.01)


def test_normal_s_dtypes_and_a_constant_draw_as_in_pytorch():
    assert autograd.normal(0, 1, (2,)).dtype == np.float32
    assert autograd.normal(0.0, 1.0, (2,), dtype=np.float64).dtype == np.float64
    assert autograd.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad
    f32, f64 = Tensor(np.zeros(2, np.float32)), Tensor(np.ones(2))
    assert autograd.normal(f64, f32).dtype == np.float64        # the mean's dtype, as PyTorch
    assert autograd.normal(f32, f64).dtype == np.float32
    assert autograd.normal(0.0, f64).dtype == np.float64
    mean = Tensor([0.0, 1.0], requires_grad=True)
    assert not autograd.normal(mean, 1.0).requires_grad         # no gradient reaches the mean
    assert autograd.normal(Tensor([0.0]), 0.0).tolist() == [0.0]
    assert np.isinf(autograd.normal(0.0, np.inf, (3,)).data).all()


@pytest.mark.parametrize("call, error, message", [
    (lambda: autograd.normal(0.0, -1.0, (2,)), ValueError, r"normal: std must be >= 0, got -1.0"),
    (lambda: autograd.normal(0.0, np.nan, (2,)), ValueError, r"normal: std must be >= 0, got nan"),
    (lambda: autograd.normal(zeros(3), Tensor([1.0, -2.0, 1.0])), ValueError,
     r"normal: std must be >= 0, got -2.0"),
    (lambda: autograd.normal(zeros(3), ones(2)), ValueError, r"normal: the means' shape \(3,\) "
     r"and the stds' shape \(2,\) do not broadcast together"),
    (lambda: autograd.normal(0.0, 1.0), TypeError, r"normal: with a number mean \(0.0\) and std "
     r"\(1.0\) give size="),
    (lambda: autograd.normal(zeros(3), 1.0, (3,)), TypeError, r"normal: size=, dtype= and "
     r"requires_grad= go with a number mean and std only"),
    (lambda: autograd.normal(Tensor([0, 1]), 1.0), TypeError, r"normal: a tensor of means must "
     r"be floating point, got dtype int64"),
    (lambda: autograd.normal("0", 1.0, (2,)), TypeError, r"normal: mean must be a number or a "
     r"floating Tensor, got '0'"),
    (lambda: autograd.normal(0.0, 1.0, (2,), dtype=np.int64), TypeError, r"normal: dtype must "
     r"be floating point, got int64"),
    (lambda: autograd.normal(0.0, 1.0, (-2,)), ValueError, r"normal: sizes must be ints >= 0"),
    (lambda: autograd.bernoulli(Tensor([0.5, 1.5])), ValueError, r"bernoulli: probabilities must "
     r"be in \[0, 1\], got 1.5"),
    (lambda: autograd.bernoulli(Tensor([np.nan])), ValueError, r"bernoulli: probabilities must "
     r"be in \[0, 1\], got nan"),
    (lambda: autograd.bernoulli(zeros(2), -0.1), ValueError, r"bernoulli: probabilities must "
     r"be in \[0, 1\], got -0.1"),
    (lambda: autograd.bernoulli(Tensor([1, 0])), TypeError, r"bernoulli: input holds "
     r"probabilities, which must be floating point; got dtype int64"),
    (lambda: autograd.bernoulli([0.5]), TypeError, r"bernoulli: input must be a Tensor of "
     r"probabilities, got list"),
    (lambda: autograd.bernoulli(zeros(3), Tensor([0.1, 0.2])), TypeError, r"bernoulli: p must "
     r"be a number, the chance of a 1 for every element, got Tensor"),
    (lambda: autograd.poisson(Tensor([1.0, -1.0])), ValueError, r"poisson: rates must be "
     r"finite, >= 0 and at most 1e18, got -1.0"),
    (lambda: autograd.poisson(Tensor([np.inf])), ValueError, r"poisson: rates must be finite"),
    (lambda: autograd.poisson(Tensor([1e30])), ValueError, r"poisson: rates must be finite, >= 0 "
     r"and at most 1e18, got 1.0000000150474662e\+30"),  # (float32's 1e30)
    (lambda: autograd.poisson(Tensor([1, 2])), TypeError, r"poisson: the rates must be floating "
     r"point, got dtype int64"),
    (lambda: autograd.randint_like(zeros(2), 5, 3), ValueError, r"randint: needs low < high"),
])
def test_the_new_draws_name_what_is_wrong(call, error, message):
    g = Generator().manual_seed(0)
    expected = np.random.default_rng(0).random()
    with pytest.raises(error, match=message):
        call()
    assert g.random() == expected                       # (and nothing drawn from g)


def test_bernoulli_draws_1_with_each_element_s_probability():
    manual_seed(0)
    probs = autograd.tensor(np.tile([0.0, 0.1, 0.9, 1.0], (100_000, 1)), dtype=np.float32)
    coins = autograd.bernoulli(probs)
    assert coins.dtype == np.float32 and set(np.unique(coins.data)) <= {0.0, 1.0}
    np.testing.assert_allclose(coins.data.mean(axis=0), [0.0, 0.1, 0.9, 1.0], atol=0.005)
    assert coins.data[:, 0].max() == 0 and coins.data[:, 3].min() == 1
    same = autograd.bernoulli(Tensor(np.zeros((100_000,), np.float64)), 0.3)    # p for all
    assert same.dtype == np.float64 and abs(same.data.mean() - 0.3) < 0.007
    assert Tensor(np.full(4, 0.5)).bernoulli(1.0).tolist() == [1.0] * 4     # the method
    assert not autograd.bernoulli(Tensor([0.5], requires_grad=True)).requires_grad


def test_poisson_counts_have_the_rate_as_mean_and_variance():
    manual_seed(0)
    counts = autograd.poisson(Tensor(np.tile(np.float32([0.0, 0.5, 20.0]), (100_000, 1))))
    assert counts.dtype == np.float32 and (counts.data == np.round(counts.data)).all()
    np.testing.assert_allclose(counts.data.mean(axis=0), [0.0, 0.5, 20.0], atol=0.07)
    np.testing.assert_allclose(counts.data.var(axis=0), [0.0, 0.5, 20.0], rtol=0.03, atol=0.01)


def test_randint_like_takes_the_input_s_shape_and_dtype():
    x = autograd.randint_like(Tensor(np.zeros((2, 3), np.int32)), 3, 5)
    assert x.shape == (2, 3) and x.dtype == np.int32 and set(x.data.ravel()) <= {3, 4}
    assert autograd.randint_like(zeros(4), 1).tolist() == [0.0] * 4       # high alone: 0 ... 0
    assert autograd.randint_like(zeros(2), 9, 10, dtype=np.int64).tolist() == [9, 9]


def test_arange_takes_end_alone_by_keyword_as_pytorch():
    # arange(end=4) said "missing 1 required positional argument: 'start'"
    assert arange(end=4).tolist() == [0, 1, 2, 3] and arange(1, end=3).tolist() == [1, 2]
    with pytest.raises(TypeError, match=r"arange: needs the end of the range"):
        arange()


def test_a_generator_on_the_cpu_as_pytorch_s_torch_generator_device_cpu():
    g = Generator(device="cpu").manual_seed(5)
    assert randn(3, generator=g).tolist() == randn(3, generator=Generator().manual_seed(5)).tolist()
    with pytest.raises(RuntimeError, match=r"Generator\(\.\.\., device='cuda'\): there is no GPU"):
        Generator(device="cuda")



def test_integer_draws_into_a_float_dtype_stay_exact_and_finite():
    # randperm(3000, dtype=float16) repeated numbers (2525 distinct of 3000) and
    # randint(0, 2**30, (3,), dtype=float16) gave inf with numpy's overflow warning; PyTorch
    # refuses both
    assert sorted(randperm(2049, dtype=np.float16).tolist()) == list(range(2049))
    with pytest.raises(ValueError, match=r"randperm: n - 1 = 2049 is beyond the integers "
                                         r"float16 holds exactly \(up to 2048\)"):
        randperm(2050, dtype=np.float16)
    with pytest.raises(ValueError, match=r"randint: low=0 to high - 1=1073741823 does not fit "
                                         r"in float16 \(from -65504 to 65504\)"):
        randint(0, 2 ** 30, (3,), dtype=np.float16)
    assert randint(0, 5000, (3,), dtype=np.float16).dtype == np.float16    # rounded, as PyTorch
    with pytest.raises(ValueError, match=r"random_: from=0 to to - 1=69999 does not fit in "
                                         r"float16"):
        zeros(3, dtype=np.float16).random_(0, 70000)



def test_a_0d_tensor_fills_with_its_number_as_in_pytorch():
    # it was refused: "fill_value must be a real number or a bool, got Tensor(1.5)"
    assert full((2,), autograd.tensor(3)).tolist() == [3, 3] and \
        full((2,), autograd.tensor(3)).dtype == np.int64
    assert full((2,), autograd.tensor(1.5, dtype=np.float64)).dtype == np.float32
    assert full((1,), autograd.tensor(True)).dtype == np.bool_
    assert full_like(zeros(2), Tensor(np.float64(3.5))).tolist() == [3.5, 3.5]
    with pytest.raises(TypeError, match=r"full: fill_value must be a real number or a bool, got "
                                        r"Tensor\(\[1\.5\]\)"):
        full((2,), autograd.tensor([1.5]))



def test_a_0d_tensor_stands_for_its_number_in_ranges_and_counts():
    # arange(n), linspace(0, 1, steps), eye(n), randint(0, n, ...) with n a 0-d tensor were
    # refused ("end must be a number, got Tensor(3, dtype=int64)"); PyTorch takes them
    n = autograd.tensor(3)
    assert arange(n).tolist() == [0, 1, 2] and arange(autograd.tensor(1.5)).tolist() == [0.0, 1.0]
    assert linspace(0, 1, n).tolist() == [0.0, 0.5, 1.0] and eye(n).shape == (3, 3)
    assert randperm(n).shape == (3,) and autograd.logspace(0, n, n).shape == (3,)
    assert set(randint(0, n, (100,)).tolist()) <= {0, 1, 2}
    assert randint(n, (2,)).shape == (2,)                        # randint(high, size)
    with pytest.raises(TypeError, match=r"linspace: steps must be an int, got 3\.0"):
        linspace(0, 1, autograd.tensor(3.0))
