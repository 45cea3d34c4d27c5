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
    (lambda: zeros_like([1.0, 2.0]), TypeError, r"full_like: input must be a Tensor \(or an "
                                                r"ndarray\), got list"),
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
