"""PyTorch's shape methods on Tensor: split, chunk, unbind, narrow, repeat, t, mT, flip, roll,
expand_as, view_as, reshape_as, gather, index_select. Each differentiable one is gradchecked
in float64 (with 0-d and batch-1 shapes where they apply) and compared with live PyTorch
(values and gradients); bad arguments are refused naming the method."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, concatenate, gradcheck
from conftest import t64
from torch_helpers import needs_torch, same_as_torch, torch

X = np.arange(1.0, 13.0).reshape(3, 4) * np.array([1.0, -0.5, 0.25, 2.0])


@pytest.mark.parametrize("shape, f, rebuild", [
    ((3, 4), lambda t: t.split(2), lambda ps: np.concatenate(ps, 0)),
    ((3, 4), lambda t: t.split([1, 3], dim=1), lambda ps: np.concatenate(ps, 1)),
    ((3, 4), lambda t: t.split(3, dim=-1), lambda ps: np.concatenate(ps, 1)),
    ((1, 5), lambda t: t.chunk(2, dim=1), lambda ps: np.concatenate(ps, 1)),
    ((6,), lambda t: t.chunk(4), lambda ps: np.concatenate(ps, 0)),
    ((3, 4), lambda t: t.unbind(1), lambda ps: np.stack(ps, 1)),
    ((1, 4), lambda t: t.unbind(), lambda ps: np.stack(ps, 0)),
])
def test_pieces_cover_the_tensor_and_each_gradchecks(shape, f, rebuild, rng):
    """split, chunk and unbind give a tuple of slices that rebuild the tensor; each slice's
    gradient goes back to its own place only."""
    x = rng.uniform(-2, 2, shape)
    pieces = f(t64(x))
    assert isinstance(pieces, tuple) and all(isinstance(p, Tensor) for p in pieces)
    np.testing.assert_array_equal(rebuild([p.data for p in pieces]), x)
    for i in range(len(pieces)):
        assert gradcheck(lambda t, i=i: f(t)[i], t64(x))


def _weighted_flat(pieces, cat):
    """The pieces flattened and joined, piece i times i + 1 (a gradient sent to another
    piece's place would show)."""
    return cat([p.reshape(-1) * (i + 1) for i, p in enumerate(pieces)])


@needs_torch
@pytest.mark.parametrize("method, args", [
    ("split", (2,)), ("split", (2, 1)), ("split", ([1, 0, 3], 1)), ("split", (5, -1)),
    ("chunk", (2,)), ("chunk", (3, 1)), ("chunk", (4, 1)), ("chunk", (5, 0)),
    ("unbind", ()), ("unbind", (-1,)),
])
def test_pieces_match_pytorch(method, args, rng):
    """The same pieces (how many, their shapes and numbers) as PyTorch, the same gradients."""
    ours = getattr(Tensor(X), method)(*args)
    theirs = getattr(torch.tensor(X), method)(*args)
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.data, q.numpy())
    same_as_torch(lambda t: _weighted_flat(getattr(t, method)(*args), torch.cat if isinstance(
        t, torch.Tensor) else concatenate), X, rng=rng)


def test_split_and_chunk_of_an_empty_dim_follow_pytorch():
    empty = Tensor(np.zeros((0, 2)))
    assert [p.shape for p in empty.split(2)] == [(0, 2)]
    assert [p.shape for p in empty.chunk(3)] == [(0, 2)] * 3


@pytest.mark.parametrize("call, match", [
    (lambda t: t.split([1, 1]), r"split: the sizes \[1, 1\] must be ints >= 0 that add up to 3"),
    (lambda t: t.split(0), r"split: split_size must be a positive int"),
    (lambda t: t.chunk(0), r"chunk: chunks must be an int >= 1"),
    (lambda t: t.unbind(2), r"unbind: axis 2 is out of range for a tensor with 2 dims"),
    (lambda t: Tensor(1.0).unbind(), r"unbind: a 0-d tensor has no dim 0"),
    (lambda t: t.narrow(1, 3, 2), r"narrow: start 3 and length 2 do not fit in dim 1 of "
                                  r"length 4"),
    (lambda t: t.narrow(0, -4, 1), r"narrow: start -4 and length 1 do not fit"),
])
def test_bad_pieces_are_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(Tensor(X))


NARROWS = [((3, 4), (1, 1, 2)), ((3, 4), (0, -3, 2)), ((1, 4), (0, 0, 1)), ((5,), (0, 4, 0))]


@pytest.mark.parametrize("shape, args", NARROWS)
def test_narrow_gradchecks(shape, args, rng):
    assert gradcheck(lambda t: t.narrow(*args), t64(rng.uniform(-2, 2, shape)))


@needs_torch
@pytest.mark.parametrize("shape, args", NARROWS)
def test_narrow_matches_pytorch(shape, args, rng):
    same_as_torch(lambda t: t.narrow(*args), rng.uniform(-2, 2, shape), rng=rng)


REPEATS = [((2, 3), (2, 1)), ((2, 3), (1, 3)), ((2, 3), (2, 2, 2)), ((3,), (2, 1, 2)),
           ((), (3,)), ((), (2, 1)), ((1, 3), (4, 1)), ((2, 3), (0, 1))]


@pytest.mark.parametrize("shape, sizes", REPEATS)
def test_repeat_tiles_as_np_tile_and_gradchecks(shape, sizes, rng):
    """PyTorch's repeat is np.tile (more sizes than dims add axes in front); every copy's
    gradient adds up."""
    x = rng.uniform(-2, 2, shape)
    np.testing.assert_array_equal(Tensor(x).repeat(*sizes).data, np.tile(x, sizes))
    if 0 not in sizes:
        assert gradcheck(lambda t: t.repeat(*sizes), t64(x))


@needs_torch
@pytest.mark.parametrize("shape, sizes", REPEATS)
def test_repeat_matches_pytorch(shape, sizes, rng):
    same_as_torch(lambda t: t.repeat(*sizes), rng.uniform(-2, 2, shape), rng=rng)


def test_repeat_takes_one_tuple_and_refuses_too_few_sizes():
    assert Tensor(X).repeat((2, 1)).shape == (6, 4)
    with pytest.raises(TypeError, match=r"repeat: give how many copies to make along each"):
        Tensor(X).repeat()
    with pytest.raises(ValueError, match=r"repeat: needs a size for each of the 2 axes"):
        Tensor(X).repeat(2)
    with pytest.raises(ValueError, match=r"repeat: the sizes must be ints >= 0, got \(2, -1\)"):
        Tensor(X).repeat(2, -1)


MOVES = [
    ((3, 4), lambda t: t.t()), ((4,), lambda t: t.t()), ((), lambda t: t.t()),
    ((2, 3, 4), lambda t: t.mT), ((1, 3), lambda t: t.mT), ((3, 4), lambda t: t.mT),
    ((3, 4), lambda t: t.flip(0)), ((3, 4), lambda t: t.flip((0, 1))),
    ((2, 3, 4), lambda t: t.flip(-1, 0)), ((5,), lambda t: t.flip([0])),
    ((2, 3, 4), lambda t: t.flip(dims=[2, 0])),
    ((3, 4), lambda t: t.flip(dims=[1])), ((2, 3, 4), lambda t: t.flip(dims=(0, 2))),
    ((3, 2), lambda t: autograd.flip(t, dims=[1])),
    ((3, 4), lambda t: t.roll(1, 0)), ((3, 4), lambda t: t.roll(-5, 1)),
    ((3, 4), lambda t: t.roll((1, 2), (0, 1))), ((3, 4), lambda t: t.roll(5)),
    ((2, 3, 4), lambda t: t.roll((1, 1), (-1, -1))), ((1, 4), lambda t: t.roll(2, -1)),
]


@pytest.mark.parametrize("shape, f", MOVES)
def test_transposes_flips_and_rolls_gradcheck(shape, f, rng):
    assert gradcheck(f, t64(rng.uniform(-2, 2, shape)))


@needs_torch
@pytest.mark.parametrize("shape, f", MOVES)
def test_transposes_flips_and_rolls_match_pytorch(shape, f, rng):
    same_as_torch(f, rng.uniform(-2, 2, shape), rng=rng)


@pytest.mark.parametrize("f", [lambda t: t.flip(0), lambda t: t.flip(0, 1),
                               lambda t: t.repeat(1, 1), lambda t: t.repeat(2, 1),
                               lambda t: t.repeat(1, 1, 1)])
def test_flip_and_repeat_give_copies_as_pytorch(f):
    """Writing into the result of flip or repeat leaves the tensor alone, as in PyTorch (a
    flip was a view that wrote through; repeat(1, 1) a read-only view, which refused)."""
    x = Tensor(X.copy())
    y = f(x)
    y[0, 0] = 99.0
    np.testing.assert_array_equal(x.data, X)
    assert y.data.reshape(-1)[0] == 99.0


def test_t_and_mT_refuse_the_dims_they_do_not_take():
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 dims, got shape "
                                         r"\(2, 3, 4\); write t.transpose\(d0, d1\) or t.mT"):
        Tensor(np.zeros((2, 3, 4))).t()
    with pytest.raises(ValueError, match=r"mT: needs a tensor of at least 2 dims"):
        Tensor(np.zeros(3)).mT


def test_roll_refuses_shifts_and_dims_of_different_lengths():
    with pytest.raises(ValueError, match=r"roll: shifts \(1, 2\) and dims 0 must be of one"):
        Tensor(X).roll((1, 2), 0)
    with pytest.raises(ValueError, match=r"roll: 2 shifts need as many dims, got none"):
        Tensor(X).roll((1, 2))


@needs_torch
def test_expand_as_view_as_reshape_as_match_pytorch(rng):
    other = np.zeros((2, 3, 4))
    same_as_torch(lambda t: t.expand_as(torch.tensor(other) if isinstance(t, torch.Tensor)
                                        else Tensor(other)), rng.uniform(-1, 1, (3, 1)), rng=rng)
    for name in ("view_as", "reshape_as"):
        f = (lambda t, name=name: getattr(t, name)(torch.tensor(other) if isinstance(
            t, torch.Tensor) else Tensor(other)))
        same_as_torch(f, rng.uniform(-1, 1, (4, 6)), rng=rng)


def test_expand_as_and_view_as_gradcheck(rng):
    other = Tensor(np.zeros((2, 3, 4)))
    assert gradcheck(lambda t: t.expand_as(other), t64(rng.uniform(-1, 1, (1, 4))))
    assert gradcheck(lambda t: t.view_as(other), t64(rng.uniform(-1, 1, (4, 6))))
    assert Tensor(np.zeros(24)).reshape_as(other).shape == (2, 3, 4)


# -- gather and index_select -----------------------------------------------------------------

GATHERS = [  # (shape, dim, index): repeats, a shorter index than the tensor, batch 1, 1-d
    ((3, 4), 1, [[0, 0, 3], [1, 2, 1], [3, 3, 3]]),
    ((3, 4), 0, [[2, 0], [2, 2]]),
    ((3, 4), -1, [[1], [0], [3]]),
    ((1, 4), 1, [[3, 3, 0, 1, 1]]),
    ((5,), 0, [4, 4, 0]),
    ((2, 3, 4), 1, [[[0, 2, 2, 1]], [[1, 1, 0, 0]]]),
]


@pytest.mark.parametrize("shape, dim, index", GATHERS)
def test_gather_gradchecks(shape, dim, index, rng):
    index = np.array(index)
    assert gradcheck(lambda t: t.gather(dim, index), t64(rng.uniform(-2, 2, shape)))


@needs_torch
@pytest.mark.parametrize("shape, dim, index", GATHERS)
def test_gather_matches_pytorch(shape, dim, index, rng):
    index = np.array(index)
    same_as_torch(lambda t: t.gather(dim, index), rng.uniform(-2, 2, shape), rng=rng,
                  torch_f=lambda t: t.gather(dim, torch.tensor(index)))


def test_gather_of_a_0d_tensor_and_a_label_pick_as_in_cross_entropy():
    assert Tensor(3.0).gather(0, np.array(0)).item() == 3.0
    logp = t64(np.log([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))
    labels = Tensor(np.array([[1], [0]]))                       # an integer Tensor index
    (-logp.gather(1, labels).mean()).backward()
    np.testing.assert_array_equal(logp.grad, [[0.0, -0.5, 0.0], [-0.5, 0.0, 0.0]])


@pytest.mark.parametrize("index, match, error", [
    (np.array([[0, 4]]), r"gather: index 4 is out of range for dim 1 of length 4", IndexError),
    (np.array([[-1, 0]]), r"gather: index -1 is out of range", IndexError),
    (np.array([0, 1]), r"gather: the index needs as many dims as the tensor \(2, shape "
                       r"\(3, 4\)\), got shape \(2,\)", ValueError),
    (np.array([[0]] * 4), r"gather: an index of shape \(4, 1\) is longer than the tensor's "
                          r"shape \(3, 4\) outside dim 1", ValueError),
    (np.array([[0.0]]), r"gather: the index must hold integers, got dtype float64", TypeError),
])
def test_gather_refuses_what_pytorch_refuses(index, match, error):
    with pytest.raises(error, match=match):
        Tensor(X).gather(1, index)


SELECTS = [((3, 4), 1, [2, 0, 2]), ((3, 4), 0, [1]), ((3, 4), -2, [2, 2, 2, 0]),
           ((5,), 0, [4, 1]), ((1, 3), 1, 2), ((2, 3, 4), 2, [3, 0])]


@pytest.mark.parametrize("shape, dim, index", SELECTS)
def test_index_select_gradchecks(shape, dim, index, rng):
    index = np.array(index)
    assert gradcheck(lambda t: t.index_select(dim, index), t64(rng.uniform(-2, 2, shape)))


@needs_torch
@pytest.mark.parametrize("shape, dim, index", SELECTS)
def test_index_select_matches_pytorch(shape, dim, index, rng):
    index = np.array(index)
    same_as_torch(lambda t: t.index_select(dim, index), rng.uniform(-2, 2, shape), rng=rng,
                  torch_f=lambda t: t.index_select(dim, torch.tensor(index)))


def test_index_select_refuses_indices_out_of_range_and_of_two_dims():
    with pytest.raises(IndexError, match=r"index_select: index 3 is out of range for dim 0 "
                                         r"of length 3"):
        Tensor(X).index_select(0, [0, 3])
    with pytest.raises(ValueError, match=r"index_select: the index must be 1-d"):
        Tensor(X).index_select(0, [[0]])


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.narrow(3, 0, 1), ValueError, r"narrow: axis 3 .* \(shape \(3, 4\)\)"),
    (lambda t: t.flip(-3), ValueError, r"flip: axis -3 .* \(shape \(3, 4\)\)"),
    (lambda t: t.flip(0, dims=1), TypeError, r"flip: the axes given twice, as \(0,\) and as dims=1"),
    (lambda t: t.flip(), TypeError, r"flip: which axes\? x.flip\(dims=\[3\]\) \(or x.flip\(3\)\)"),
    (lambda t: t.roll(1, 2), ValueError, r"roll: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.split(2, 2), ValueError, r"split: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.squeeze(2), ValueError, r"squeeze: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.transpose(0, 2), ValueError, r"transpose: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.permute(0, 2), ValueError, r"permute: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.flatten(0, 2), ValueError, r"flatten: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.sum(2), ValueError, r"sum: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: concatenate([t, t], 2), ValueError, r"concatenate: axis 2 .* \(shape \(3, 4\)\)"),
    (lambda t: t.index_select(1, np.array([4])), IndexError,
     r"index_select: index 4 is out of range for dim 1 of length 4 \(tensor of shape \(3, 4\)\)"),
    (lambda t: t.gather(0, np.array([[3]])), IndexError,
     r"gather: index 3 is out of range for dim 0 of length 3 \(tensor of shape \(3, 4\)\)"),
])
def test_out_of_range_dims_and_indices_name_the_op_the_index_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(X))


# The gradient of x[index] (basic indexing) is made in x's memory order when x is not
# C-contiguous (a convolution's batch-last output, a transposed view), so that the ops before x
# multiply and add arrays of one layout: the numbers along that path, first and second order.
@pytest.mark.parametrize("index", [(slice(None), slice(None), -1), (1, Ellipsis, None),
                                   (slice(None, None, -2), slice(1, 3), 0), (Ellipsis, 2)])
def test_indexing_a_transposed_tensor_against_central_differences(rng, index):
    from second_order_helpers import check_hessian_vector_products
    base = rng.normal(size=(5, 4, 3))
    x = t64(base)
    assert gradcheck(lambda x: x.permute(2, 0, 1)[index].sin(), x)
    check_hessian_vector_products(lambda x: x.permute(2, 0, 1)[index].sin(), [base], rng)
    y = Tensor(np.ascontiguousarray(base).transpose(2, 0, 1), requires_grad=True)
    (y[index] * 3).sum().backward()
    expected = np.zeros(y.shape)
    expected[index] = 3
    np.testing.assert_array_equal(y.grad, expected)
    assert y.grad.strides == y.data.strides             # laid out as y


# -- s32: swapaxes, transpose and permute without their checks for the usual call --------------

def test_every_swap_and_permutation_of_ints_is_numpys_and_the_checks_still_refuse(rng):
    """The short path (int axes in range) gives numpy's axes for every pair and permutation,
    negative axes too, 1 to 4 dims; numpy ints take the long path to the same result; what
    is no pair or permutation of ints in range is refused as before."""
    import itertools
    for ndim in range(1, 5):
        x = rng.uniform(-1, 1, tuple(range(2, 2 + ndim)))
        t = Tensor(x)
        for a, b in itertools.product(range(-ndim, ndim), repeat=2):
            want = np.swapaxes(x, a, b)
            np.testing.assert_array_equal(t.swapaxes(a, b).data, want)
            np.testing.assert_array_equal(t.transpose(a, b).data, want)
            np.testing.assert_array_equal(t.swapaxes(np.int64(a), np.int32(b)).data, want)
        for order in itertools.permutations(range(ndim)):
            signed = tuple(o - ndim if o % 2 else o for o in order)   # some of them negative
            np.testing.assert_array_equal(t.permute(*signed).data, np.transpose(x, order))
            np.testing.assert_array_equal(t.permute(list(signed)).data, np.transpose(x, order))
            if ndim != 2:
                np.testing.assert_array_equal(t.transpose(*signed).data, np.transpose(x, order))
        np.testing.assert_array_equal(t.transpose().data, x.T)
    t = Tensor(np.zeros((2, 3, 4)))
    for call, error, words in [
            (lambda: t.swapaxes(0, 3), ValueError, "swapaxes: axis 3 is out of range"),
            (lambda: t.swapaxes(-4, 0), ValueError, "swapaxes: axis -4 is out of range"),
            (lambda: t.swapaxes(True, 1), TypeError, "swapaxes: an axis must be an int"),
            (lambda: t.transpose(0, 5), ValueError, "transpose: axis 5 is out of range"),
            (lambda: Tensor(np.zeros(())).swapaxes(0, 0), ValueError, "out of range"),
            (lambda: t.permute(0, 0, 1), ValueError, r"\(0, 0, 1\) is not a permutation"),
            (lambda: t.permute(0, -3, 1), ValueError, r"\(0, -3, 1\) is not a permutation"),
            (lambda: t.permute(0, 1), ValueError, r"\(0, 1\) is not a permutation"),
            (lambda: t.permute(0, 1, 3), ValueError, "permute: axis 3 is out of range"),
            (lambda: t.permute(0, 1, -4), ValueError, "permute: axis -4 is out of range"),
            (lambda: t.permute(0.0, 1, 2), TypeError, "permute: axes must be ints"),
            (lambda: t.permute(False, 1, 2), TypeError, "permute: axes must be ints")]:
        with pytest.raises(error, match=words):
            call()


@pytest.mark.parametrize("shape, f", [((2, 3, 4), lambda t: t.swapaxes(-1, 0)),
                                      ((1, 3, 2), lambda t: t.transpose(-2, -1)),
                                      ((2, 1, 3), lambda t: t.permute(2, -3, 1))])
def test_swapaxes_and_permute_gradcheck(shape, f, rng):
    assert gradcheck(f, t64(rng.uniform(-2, 2, shape)))
