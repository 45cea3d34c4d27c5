"""scatter, index_add and scatter_add (and their in-place forms), masked_select, repeat_interleave,
isclose and allclose: PyTorch's numbers where indices repeat (they add up, where
t[index] = values would keep one), gradients against central differences in float64 (with
broadcast, 0-d and batch-1 shapes where they apply) and against live PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, gradcheck, no_grad
from conftest import t64
from reference import assert_matches, record_cases, recorded_case
from torch_helpers import needs_torch, same_as_torch, torch

IDX = np.array([0, 0, 2])


def test_a_repeated_index_adds_up_where_setitem_keeps_one():
    """The trial's case: t[idx] = ones gives [1, 0, 1]; index_add and scatter_add [2, 0, 1]."""
    t = Tensor(np.zeros(3))
    assert t.index_add(0, IDX, Tensor(np.ones(3))).tolist() == [2.0, 0.0, 1.0]
    assert t.scatter_add(0, IDX, Tensor(np.ones(3))).tolist() == [2.0, 0.0, 1.0]
    assert t.index_add_(0, IDX, Tensor(np.ones(3))) is t and t.tolist() == [2.0, 0.0, 1.0]
    assert t.scatter_add_(0, IDX, Tensor(np.ones(3))).tolist() == [4.0, 0.0, 2.0]


# (tensor shape, dim, index, source shape, alpha)
INDEX_ADD = [
    ((3,), 0, [0, 0, 2], (3,), 1), ((4, 3), 0, [3, 1, 3], (3, 3), 0.5),
    ((4, 3), 1, [2, 2], (4, 2), -2.0), ((2, 3, 4), -1, [1, 0, 1, 3, 3], (2, 3, 5), 1),
    ((1, 3), 0, [0, 0], (2, 3), 1), ((), 0, [0], (), 3.0), ((3, 2), 0, [], (0, 2), 1),
]


@pytest.mark.parametrize("shape, dim, index, source, alpha", INDEX_ADD)
def test_index_add_gradchecks(shape, dim, index, source, alpha, rng):
    x, s = t64(rng.uniform(-2, 2, shape)), t64(rng.uniform(-2, 2, source))
    assert gradcheck(lambda x, s: x.index_add(dim, np.array(index, int), s, alpha=alpha), x, s)


# (tensor shape, dim, index, src shape)
SCATTER_ADD = [
    ((3,), 0, [0, 0, 2], (3,)), ((3, 4), 0, [[2, 0, 2, 1], [2, 2, 0, 0]], (2, 4)),
    ((3, 4), 1, [[3, 3], [0, 1], [1, 1]], (3, 5)), ((2, 3), 1, [[0]], (1, 1)),
    ((2, 3, 2), 1, [[[0, 2]], [[2, 2]]], (2, 2, 2)), ((1, 2), -1, [[1, 1, 0]], (1, 3)),
    ((), 0, 0, ()),
]


@pytest.mark.parametrize("shape, dim, index, src", SCATTER_ADD)
def test_scatter_add_gradchecks(shape, dim, index, src, rng):
    """Including a src longer than the index (its other elements get gradient 0)."""
    x, s = t64(rng.uniform(-2, 2, shape)), t64(rng.uniform(-2, 2, src))
    assert gradcheck(lambda x, s: x.scatter_add(dim, np.array(index), s), x, s)


@needs_torch
@pytest.mark.parametrize("shape, dim, index, source, alpha", INDEX_ADD)
def test_index_add_matches_pytorch(shape, dim, index, source, alpha, rng):
    i = torch.tensor(index, dtype=torch.int64)
    same_as_torch(lambda x, s: x.index_add(dim, np.array(index, int), s, alpha=alpha),
                  rng.uniform(-2, 2, shape), rng.uniform(-2, 2, source), rng=rng,
                  torch_f=lambda x, s: x.index_add(dim, i, s, alpha=alpha))


@needs_torch
@pytest.mark.parametrize("shape, dim, index, src", SCATTER_ADD)
def test_scatter_add_matches_pytorch(shape, dim, index, src, rng):
    """(PyTorch's own backward fails for a src longer than the index, torch 2.x: "returned an
    invalid gradient"; its src is cut to the index's shape first, which is what is used.)"""
    i = torch.tensor(index, dtype=torch.int64)
    used = tuple(slice(0, m) for m in np.shape(index))
    same_as_torch(lambda x, s: x.scatter_add(dim, np.array(index), s),
                  rng.uniform(-2, 2, shape), rng.uniform(-2, 2, src), rng=rng,
                  torch_f=lambda x, s: x.scatter_add(dim, i, s[used]))


def test_the_in_place_forms_follow_add_s_rules():
    w = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"index_add_ on a tensor that requires grad .* "
                                           r"under `with no_grad\(\):`"):
        w.index_add_(0, IDX, Tensor(np.ones(3)))
    with no_grad():
        w.index_add_(0, IDX, Tensor(np.ones(3)), alpha=2).scatter_add_(0, [1], [1.0])
    assert w.tolist() == [4.0, 1.0, 2.0]
    h = w * 2                           # an op's result: recorded, as add_ (once refused)
    assert h.scatter_add_(0, IDX, Tensor(np.ones(3))) is h and h.tolist() == [10.0, 2.0, 5.0]
    with pytest.raises(RuntimeError, match=r"scatter_add_: this tensor \(shape \(2,\)\) is a "
                                           r"view of another tensor's numbers in a graph"):
        (w * 2)[1:].scatter_add_(0, [0], [1.0])
    s = Tensor(np.ones(3), requires_grad=True)
    total = Tensor(np.zeros(3))         # a constant given a value in a graph joins it, as in
    same = total.index_add_(0, IDX, s * 2).scatter_add_(0, [1], s[:1])    # PyTorch
    assert same is total and total.tolist() == [4.0, 1.0, 2.0] and total.op == "add"
    total.sum().backward()
    assert s.grad.tolist() == [3.0, 2.0, 2.0]
    table = Tensor(np.zeros((2, 3)))
    table[1].index_add_(0, IDX, Tensor(np.ones(3)))         # a view is written through
    assert table.tolist() == [[0.0, 0.0, 0.0], [2.0, 0.0, 1.0]]


def test_bad_arguments_are_refused_naming_the_method():
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"index_add: .* source must have shape \(2, 2\)"):
        t.index_add(1, [0, 1], Tensor(np.ones((2, 3))))
    with pytest.raises(IndexError, match=r"index_add: index 3 is out of range for dim 1"):
        t.index_add(1, [3], Tensor(np.ones((2, 1))))
    with pytest.raises(TypeError, match=r"index_add: the source is float32 and the tensor "
                                        r"float64"):
        t.index_add(0, [0], Tensor(np.ones((1, 3), np.float32)))
    with pytest.raises(ValueError, match=r"scatter_add: the index and src need as many dims"):
        t.scatter_add(0, [0, 1], Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"scatter_add: an index of shape \(1, 4\) must be no "
                                         r"longer"):
        t.scatter_add(0, [[0, 1, 1, 0]], Tensor(np.ones((2, 4))))
    with pytest.raises(TypeError, match=r"scatter_add: the index must hold integers"):
        t.scatter_add(0, np.zeros((1, 1)), Tensor(np.ones((1, 1))))


MASKS = [
    ((2, 3), [[True, False, True], [False, False, True]]), ((2, 3), [True, False, True]),
    ((3,), [[True, False, True], [False, True, True]]), ((1, 3), [[False] * 3]), ((), True),
]


@pytest.mark.parametrize("shape, mask", MASKS)
def test_masked_select_gradchecks_and_is_numpy_s_boolean_index(shape, mask, rng):
    """The mask broadcast with the tensor (either way): its elements in row-major order."""
    x = rng.uniform(-2, 2, shape)
    full = np.broadcast_shapes(np.shape(x), np.shape(mask))
    expected = np.broadcast_to(x, full)[np.broadcast_to(mask, full)]
    np.testing.assert_array_equal(t64(x).masked_select(Tensor(np.array(mask))).data, expected)
    if expected.size:
        assert gradcheck(lambda t: t.masked_select(np.array(mask)), t64(x))


@needs_torch
@pytest.mark.parametrize("shape, mask", MASKS)
def test_masked_select_matches_pytorch(shape, mask, rng):
    same_as_torch(lambda t: t.masked_select(torch.tensor(mask) if isinstance(t, torch.Tensor)
                                            else np.array(mask)),
                  rng.uniform(-2, 2, shape), rng=rng)


def test_masked_select_refuses_a_mask_that_is_not_bools():
    with pytest.raises(TypeError, match=r"masked_select: the mask must be bool, got dtype "
                                        r"int64"):
        Tensor([1.0, 2.0]).masked_select(Tensor([1, 0]))
    with pytest.raises(ValueError, match=r"masked_select: the mask of shape \(3,\) does not"):
        Tensor([1.0, 2.0]).masked_select(np.array([True, False, True]))


# (shape, repeats, dim)
REPEATS = [
    ((2, 3), 2, None), ((2, 3), 3, 1), ((2, 3), [1, 0], 0), ((2, 3), [2, 1, 3], -1),
    ((1, 3), [2], 0), ((), 3, None), ((4,), 0, 0),
]


@pytest.mark.parametrize("shape, repeats, dim", REPEATS)
def test_repeat_interleave_is_np_repeat_and_gradchecks(shape, repeats, dim, rng):
    x = rng.uniform(-2, 2, shape)
    r = Tensor(np.array(repeats)) if isinstance(repeats, list) else repeats
    np.testing.assert_array_equal(t64(x).repeat_interleave(r, dim).data,
                                  np.repeat(x, repeats, axis=dim))
    if np.repeat(x, repeats, axis=dim).size:
        assert gradcheck(lambda t: t.repeat_interleave(r, dim=dim), t64(x))


@needs_torch
@pytest.mark.parametrize("shape, repeats, dim", REPEATS)
def test_repeat_interleave_matches_pytorch(shape, repeats, dim, rng):
    def f(t):
        if isinstance(t, torch.Tensor):
            return t.repeat_interleave(torch.tensor(repeats) if isinstance(repeats, list)
                                       else repeats, dim)
        return t.repeat_interleave(np.array(repeats) if isinstance(repeats, list)
                                   else repeats, dim)
    same_as_torch(f, rng.uniform(-2, 2, shape), rng=rng)


def test_repeat_interleave_counts_alone_and_its_errors():
    """PyTorch's torch.repeat_interleave(repeats): 0 repeats[0] times, 1 repeats[1] times."""
    assert Tensor([2, 0, 1]).repeat_interleave().tolist() == [0, 0, 2]
    x = Tensor([[1.0, 2.0]])
    assert x.repeat_interleave(2, dim=1, output_size=4).tolist() == [[1.0, 1.0, 2.0, 2.0]]
    with pytest.raises(ValueError, match=r"repeat_interleave: output_size=3, but the repeats "
                                         r"add up to 4"):
        x.repeat_interleave(2, dim=1, output_size=3)
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must be one int or one "
                                         r"per slice \(2 along dim 1\)"):
        x.repeat_interleave(Tensor([1, 2, 3]), dim=1)
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must be >= 0"):
        x.repeat_interleave(-1)


def test_isclose_and_allclose_are_numpy_s_with_pytorch_s_names():
    a, b = Tensor([1.0, 2.0, np.nan]), Tensor([1.0 + 1e-7, 2.1, np.nan])
    assert a.isclose(b).tolist() == [True, False, False]
    assert a.isclose(b, equal_nan=True, atol=0.2).tolist() == [True, True, True]
    assert a.isclose(b).dtype == np.bool_ and not a.isclose(b).requires_grad
    assert Tensor([1.0, 2.0]).allclose(Tensor([1.0, 2.0 + 1e-6])) is True
    assert Tensor([1.0, 2.0]).allclose([1.0, 2.1]) is False


# -- scatter and scatter_ ------------------------------------------------------------------------

# (tensor shape, dim, index, src shape or a number): repeated places only where src is a number
# (PyTorch leaves open which of several values written to one place stays)
SCATTER = [
    ((3, 4), 0, [[0, 1, 2, 0], [2, 0, 1, 1]], (2, 4)),
    ((3, 4), 1, [[3, 0], [1, 2], [0, 1]], (3, 2)),
    ((2, 3, 4), -1, [[[1, 3]], [[0, 2]]], (2, 1, 2)),
    ((3, 4), 0, [[0, 0, 2, 1]], 2.5),
    ((4,), 0, [2, 0], (2,)),
]
SCATTER_IDS = [f"case{i}" for i in range(len(SCATTER))]


def _scatter_inputs(rng: np.random.Generator, case: tuple) -> dict:
    shape, _, _, src = SCATTER[case] if isinstance(case, int) else case
    inputs = {"x": rng.uniform(-2, 2, shape), "g": rng.uniform(0.5, 1.5, shape)}
    if isinstance(src, tuple):
        inputs["src"] = rng.uniform(-2, 2, src)
    return inputs


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/tensor_scatter.npz: scatter's values and gradients, by PyTorch."""
    def compute(case, x, g, src=None):
        _, dim, index, number = case
        x = torch.tensor(x, requires_grad=True)
        s = number if src is None else torch.tensor(src, requires_grad=True)
        out = x.scatter(dim, torch.tensor(index), s)
        out.backward(torch.tensor(g))
        grads = {"x.grad": x.grad} if src is None else {"x.grad": x.grad, "src.grad": s.grad}
        return {"out": out, **grads}
    return record_cases(SCATTER_IDS, SCATTER, _scatter_inputs, compute)


@pytest.mark.parametrize("case_id, case", list(zip(SCATTER_IDS, SCATTER)))
def test_scatter_matches_pytorch_s_recorded_numbers(case_id, case):
    _, dim, index, number = case
    theirs = recorded_case("tensor_scatter", case_id)
    x = t64(theirs["x"])
    src = t64(theirs["src"]) if "src" in theirs else number
    out = x.scatter(dim, np.array(index), src)
    out.backward(theirs["g"])
    ours = {"out": out.data, "x.grad": x.grad}
    if "src" in theirs:
        ours["src.grad"] = src.grad
    assert_matches(ours, theirs, rtol=1e-12, atol=1e-14, inputs=("x", "g", "src"))


@pytest.mark.parametrize("shape, dim, index, src", SCATTER)
def test_scatter_gradchecks(shape, dim, index, src, rng):
    x = t64(rng.uniform(-2, 2, shape))
    if isinstance(src, tuple):
        assert gradcheck(lambda x, s: x.scatter(dim, np.array(index), s), x,
                         t64(rng.uniform(-2, 2, src)))
    else:
        assert gradcheck(lambda x: x.scatter(dim, np.array(index), src), x)


def test_scatter_with_a_longer_src_uses_its_first_elements_and_the_rest_gets_zero():
    src = t64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = t64(np.zeros((2, 2)), False).scatter(1, np.array([[1], [0]]), src)
    out.sum().backward()
    assert out.tolist() == [[0.0, 1.0], [4.0, 0.0]]
    assert src.grad.tolist() == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]


def test_scatter_reduce_add_and_multiply_and_value():
    t, index = Tensor([[1.0, 2.0, 3.0]]), np.array([[0, 0, 2]])
    src = Tensor([[2.0, 3.0, 4.0]])
    assert t.scatter(1, index, src, reduce="add").tolist() == [[6.0, 2.0, 7.0]]
    assert t.scatter(1, index, src, reduce="multiply").tolist() == [[6.0, 2.0, 12.0]]
    assert t.scatter(1, index, value=-1.0).tolist() == [[-1.0, 2.0, -1.0]]
    w = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter: reduce='multiply' has no gradient"):
        w.scatter(1, index, src, reduce="multiply")
    with no_grad():
        assert w.scatter(1, index, src, reduce="multiply").tolist() == [[6.0, 2.0, 12.0]]


def test_scatter_reduce_amax_passes_a_nan_result_nan_gradients_as_max_does():
    """A NaN among the elements reduced into a place makes the place NaN; its gradient was 0
    for every element there (none equals NaN), which hid the NaN; max gives NaN, as PyTorch's
    scatter_reduce does. And numpy's 'invalid value' warning stays inside."""
    x, src = t64([0.0, 0.0]), t64([np.nan, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.scatter_reduce(0, np.array([0, 0, 1]), src, "amax")
    out.sum().backward()
    assert np.isnan(out.data[0]) and out.data[1] == 2.0
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.0
    assert np.isnan(src.grad[:2]).all() and src.grad[2] == 1.0


def test_scatter_in_place():
    t = Tensor([[1.0, 2.0, 3.0]])
    assert t.scatter_(1, np.array([[2, 0]]), Tensor([[5.0, 7.0]])) is t
    assert t.tolist() == [[7.0, 2.0, 5.0]]
    assert t.scatter_(1, np.array([[1]]), 0.5).tolist() == [[7.0, 0.5, 5.0]]
    assert t.scatter_(1, np.array([[0, 0]]), Tensor([[2.0, 3.0]]), reduce="multiply").tolist() \
        == [[42.0, 0.5, 5.0]]
    assert t.scatter_(1, np.array([[2, 2]]), Tensor([[1.0, 1.0]]), reduce="add").tolist() \
        == [[42.0, 0.5, 7.0]]
    # into an op's result, with a value in the graph: recorded, as t[places] = src
    x, s = t64([1.0, 2.0, 3.0]), t64([10.0])
    h = x * 2
    h.scatter_(0, np.array([1]), s)
    h.backward(np.array([1.0, 2.0, 3.0]))
    assert h.tolist() == [2.0, 10.0, 6.0]
    assert x.grad.tolist() == [2.0, 0.0, 6.0] and s.grad.tolist() == [2.0]
    w = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scatter_ on a tensor that requires grad"):
        w.scatter_(0, np.array([0]), 5.0)
    h = w * 2                               # a place named twice: the last value stays
    h.scatter_(0, np.array([0, 0]), s.expand(2) * t64([1.0, 3.0]))
    h.sum().backward()
    assert h.tolist() == [30.0, 4.0] and s.grad.tolist() == [2.0 + 3.0]


def test_scatter_gives_the_value_kept_at_a_place_its_gradient():
    """torch 2.13: x.scatter(0, [0, 0], s) keeps the last value on the CPU, and gives s.grad
    g at both; here the value overwritten gets 0, as finite differences say (see
    tests/test_repeated_index_writes.py)."""
    s = t64([5.0, 6.0])
    out = Tensor(np.zeros(3)).scatter(0, np.array([0, 0]), s)
    out.backward(np.array([2.0, 1.0, 1.0]))
    assert out.tolist() == [6.0, 0.0, 0.0] and s.grad.tolist() == [0.0, 2.0]


def test_scatter_refuses_bad_arguments_naming_itself():
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="scatter: reduce must be 'add' or 'multiply'"):
        t.scatter(0, np.array([[0]]), 1.0, reduce="mean")
    with pytest.raises(TypeError, match="scatter: give src"):
        t.scatter(0, np.array([[0]]))
    with pytest.raises(TypeError, match="scatter: src must be a Tensor or a number"):
        t.scatter(0, np.array([[0]]), "1")
    with pytest.raises(IndexError, match="scatter: index 2 is out of range for dim 0"):
        t.scatter(0, np.array([[2]]), 1.0)
    with pytest.raises(ValueError, match="scatter: the index and src need as many dims"):
        t.scatter(0, np.array([0]), Tensor(np.ones((1, 1))))
    with pytest.raises(TypeError, match="scatter: the source is float32 and the tensor float64"):
        t.scatter(0, np.array([[0]]), Tensor(np.ones((1, 1), np.float32)))


def test_a_0d_index_or_src_on_a_1d_tensor_is_one_place_as_in_pytorch():
    """PyTorch's tutorial one-hot label, `zeros(10).scatter_(0, tensor(y), value=1)`, was refused
    ("the index and src need as many dims as the tensor"): PyTorch counts a 0-d index or src
    as 1-d, one element, beside a 1-d tensor (torch 2.13's numbers below), and so does gather."""
    from autograd import tensor, zeros
    assert zeros(10).scatter_(0, tensor(3), value=1).tolist() == [0.0] * 3 + [1.0] + [0.0] * 6
    x, s = t64([1.0, 2.0, 3.0]), t64(5.0)
    out = x.scatter(0, tensor(1), s)
    out.backward(np.array([1.0, 2.0, 3.0]))
    assert out.tolist() == [1.0, 5.0, 3.0] and x.grad.tolist() == [1.0, 0.0, 3.0]
    assert s.grad.shape == () and s.grad == 2.0
    assert gradcheck(lambda x, s: x.scatter(0, tensor(2), s), t64([1.0, -2.0, 0.5]), t64(0.3))
    assert Tensor(np.zeros(3)).scatter_add(0, tensor(1), t64(5.0)).tolist() == [0.0, 5.0, 0.0]
    assert Tensor(np.zeros(3)).scatter(0, tensor(1), t64([5.0, 6.0])).tolist() == [0.0, 5.0, 0.0]
    picked = x.gather(0, tensor(2))
    picked.backward()
    assert picked.shape == () and picked.item() == 3.0 and x.grad.tolist() == [1.0, 0.0, 4.0]
    with pytest.raises(ValueError, match="scatter: the index and src need as many dims"):
        Tensor(np.zeros((2, 3))).scatter(1, tensor(1), 2.0)      # refused by PyTorch too


@needs_torch
def test_a_0d_index_on_a_1d_tensor_matches_pytorch():
    ours = Tensor(np.zeros(4)).scatter(0, np.array(2), 1.5)
    theirs = torch.zeros(4, dtype=torch.float64).scatter(0, torch.tensor(2), 1.5)
    assert ours.tolist() == theirs.tolist()
    assert t64([1.0, 2.0]).gather(0, np.array(1)).item() == \
        torch.tensor([1.0, 2.0]).gather(0, torch.tensor(1)).item()


def test_scatter_reduce_in_place_names_itself_in_its_errors():
    """The in-place form's errors named `scatter_reduce:`, a call the learner did not make."""
    t, src = Tensor(np.zeros(3)), Tensor(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"^scatter_reduce_: reduce must be 'sum', 'mean'"):
        t.scatter_reduce_(0, np.array([0, 1]), src, "prod")
    with pytest.raises(IndexError, match=r"^scatter_reduce_: index 5 is out of range"):
        t.scatter_reduce_(0, np.array([0, 5]), src, "amax")
    assert t.data.tolist() == [0.0, 0.0, 0.0]                    # nothing written
    t.scatter_reduce_(0, np.array([0, 0]), src, "amax", include_self=False)
    assert t.data.tolist() == [2.0, 0.0, 0.0]
