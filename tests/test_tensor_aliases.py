"""PyTorch's Tensor methods under their names and arguments (autograd/tensor_aliases.py):
`add(x, alpha=)`, `div(x, rounding_mode=)`, `addcmul`, `addmm`, `movedim`, `unflatten`,
`tensor_split`, `aminmax`, `index_put`, `masked_scatter`, `svd`, `lu`, `stride`, `new`, ...
Each against PyTorch (values, dtypes, shapes and, for the differentiable ones, gradients), the
differentiable ones against finite differences in float64 (broadcast, 0-d and batch-1 shapes
among them), the module functions (`torch.add(x, y, alpha=2)` after `import autograd as
torch`), and the errors for what they cannot take."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from torch_helpers import like, needs_torch, same_as_torch, torch

RNG = np.random.default_rng(3)


def lower(n, batch=()):
    """A well-conditioned lower triangular matrix (a Cholesky factor's shape)."""
    L = np.tril(RNG.uniform(-0.5, 0.5, batch + (n, n)))
    return L + 3.0 * np.eye(n)


# (id, f of float64 tensors, the shapes of its arguments): f is the same code on ours and on
# PyTorch's, so values and each argument's gradient must agree; every argument gets one
D = [
    ("add-alpha", lambda x, y: x.add(y, alpha=-0.5), [(2, 3), (3,)]),
    ("add-0d", lambda x, y: x.add(y, alpha=2), [(), ()]),
    ("add-batch1", lambda x, y: x.add(y), [(1, 3), (2, 1)]),
    ("add-number", lambda x: x.add(1.5, alpha=2.0), [(2, 3)]),
    ("sub-alpha", lambda x, y: x.sub(y, alpha=2.0), [(2, 3), (1, 3)]),
    ("subtract", lambda x, y: x.subtract(y), [(), (3,)]),
    ("mul", lambda x, y: x.mul(y), [(2, 3), (3,)]),
    ("multiply", lambda x, y: x.multiply(y), [(1,), ()]),
    ("div", lambda x, y: x.div(y.abs() + 0.5), [(2, 3), (3,)]),
    ("divide-0d", lambda x, y: x.divide(y.abs() + 0.5), [(), ()]),
    ("div-trunc", lambda x, y: x.div(y.abs() + 0.5, rounding_mode="trunc"), [(2, 3), (3,)]),
    ("div-floor", lambda x, y: x.div(y.abs() + 0.5, rounding_mode="floor"), [(2, 3), (1, 3)]),
    ("matmul", lambda x, y: x.matmul(y), [(2, 3), (3, 4)]),
    ("positive", lambda x: x.positive() * 2, [(2,)]),
    ("absolute", lambda x: x.absolute(), [(2, 3)]),
    ("sgn", lambda x: x.sgn() * x, [(2, 3)]),
    ("addcmul", lambda t, a, b: t.addcmul(a, b, value=0.3), [(2, 3), (2, 3), (3,)]),
    ("addcmul-0d", lambda t, a, b: t.addcmul(a, b), [(), (), ()]),
    ("addcmul-batch1", lambda t, a, b: t.addcmul(a, b, value=-2), [(1, 3), (2, 1), (3,)]),
    ("addcdiv", lambda t, a, b: t.addcdiv(a, b.abs() + 0.5, value=-0.7), [(2, 3), (2, 3),
                                                                         (3,)]),
    ("addcdiv-0d", lambda t, a, b: t.addcdiv(a, b.abs() + 0.5), [(), (), ()]),
    ("addmm", lambda t, a, b: t.addmm(a, b, beta=0.5, alpha=2.0), [(3,), (2, 4), (4, 3)]),
    ("addmm-full", lambda t, a, b: t.addmm(a, b), [(2, 3), (2, 4), (4, 3)]),
    ("addmm-0d", lambda t, a, b: t.addmm(a, b, beta=-1), [(), (1, 1), (1, 1)]),
    ("addmm-beta0", lambda t, a, b: t.addmm(a, b, beta=0), [(2, 3), (2, 4), (4, 3)]),
    ("addmv", lambda t, a, b: t.addmv(a, b, alpha=0.5), [(2,), (2, 3), (3,)]),
    ("addr", lambda t, a, b: t.addr(a, b, beta=2, alpha=-1), [(2, 3), (2,), (3,)]),
    ("baddbmm", lambda t, a, b: t.baddbmm(a, b, beta=0.5), [(1, 2, 3), (2, 2, 4), (2, 4, 3)]),
    ("addbmm", lambda t, a, b: t.addbmm(a, b, alpha=3), [(2, 3), (2, 2, 4), (2, 4, 3)]),
    ("inner", lambda x, y: x.inner(y), [(2, 3), (4, 3)]),
    ("inner-1d", lambda x, y: x.inner(y), [(3,), (3,)]),
    ("inner-0d", lambda x, y: x.inner(y), [(), (2, 3)]),
    ("inner-batch1", lambda x, y: x.inner(y), [(1, 2, 3), (1, 3)]),
    ("vdot", lambda x, y: x.vdot(y), [(3,), (3,)]),
    ("ger", lambda x, y: x.ger(y), [(3,), (2,)]),
    ("dist", lambda x, y: x.dist(y), [(2, 3), (3,)]),
    ("dist-p1", lambda x, y: x.dist(y, p=1), [(2, 3), (2, 3)]),
    ("dist-p3", lambda x, y: x.dist(y, 3), [(1, 3), (2, 1)]),
    ("dist-inf", lambda x, y: x.dist(y, float("inf")), [(2, 3), (3,)]),
    ("dist-0d", lambda x, y: x.dist(y), [(), ()]),
    ("renorm", lambda x: (x * 2).renorm(2, 0, 1.5), [(3, 4)]),
    ("renorm-p1-dim1", lambda x: (x * 2).renorm(1, 1, 2.0), [(3, 4)]),
    ("renorm-batch1", lambda x: (x * 2).renorm(2, -1, 1.0), [(1, 2, 3)]),
    ("sum_to_size", lambda x: x.sum_to_size(3), [(2, 3)]),
    ("sum_to_size-keep", lambda x: x.sum_to_size(1, 3), [(2, 3)]),
    ("sum_to_size-col", lambda x: x.sum_to_size((2, 1)), [(2, 3)]),
    ("sum_to_size-same", lambda x: x.sum_to_size(2, 3) * 1.0, [(2, 3)]),
    ("swapdims", lambda x: x.swapdims(0, -1), [(2, 3, 4)]),
    ("movedim", lambda x: x.movedim(0, -1), [(2, 3, 4)]),
    ("movedim-tuple", lambda x: x.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    ("moveaxis", lambda x: x.moveaxis([2], [0]), [(2, 3, 4)]),
    ("ravel", lambda x: x.T.ravel(), [(2, 3)]),
    ("unflatten", lambda x: x.unflatten(1, (3, -1)), [(2, 12)]),
    ("unflatten-neg", lambda x: x.unflatten(-1, [2, 2, 3]), [(12,)]),
    ("tile", lambda x: x.tile((2,)), [(2, 3)]),
    ("tile-more", lambda x: x.tile(2, 1, 2), [(2, 3)]),
    ("tile-0d", lambda x: x.tile(3), [()]),
    ("select", lambda x: x.select(1, -1), [(2, 3)]),
    ("select-batch1", lambda x: x.select(0, 0), [(1, 3)]),
    ("take", lambda x: x.take(like(x, [[5, 0], [-1, 2]])), [(2, 3)]),
    ("flipud", lambda x: x.flipud(), [(3, 2)]),
    ("fliplr", lambda x: x.fliplr(), [(3, 2)]),
    ("msort", lambda x: x.msort(), [(4, 3)]),
    ("aminmax", lambda x: x.aminmax().min * 2 + x.aminmax().max, [(3, 4)]),
    ("aminmax-dim", lambda x: x.aminmax(dim=1).min - x.aminmax(dim=1).max * 3, [(3, 4)]),
    ("aminmax-keepdim", lambda x: x.aminmax(dim=0, keepdim=True)[1], [(3, 4)]),
    ("aminmax-all-keepdim", lambda x: x.aminmax(keepdim=True)[0], [(3, 4)]),
    ("tensor_split", lambda x: x.tensor_split(3, dim=1)[0] * 2, [(2, 7)]),
    ("tensor_split-last", lambda x: x.tensor_split(3, dim=1)[2], [(2, 7)]),
    ("tensor_split-indices", lambda x: x.tensor_split([1, 5])[1], [(7, 2)]),
    ("tensor_split-tensor", lambda x: x.tensor_split(like(x, [2, 4]), 1)[2], [(2, 7)]),
    ("hsplit", lambda x: x.hsplit(2)[1], [(3, 4)]),
    ("hsplit-1d", lambda x: x.hsplit([2])[0], [(5,)]),
    ("vsplit", lambda x: x.vsplit([1])[1], [(3, 4)]),
    ("dsplit", lambda x: x.dsplit(2)[0], [(2, 3, 4)]),
    ("diag_embed", lambda x: x.diag_embed(), [(2, 3)]),
    ("diag_embed-offset", lambda x: x.diag_embed(1, 0, 2), [(2, 3)]),
    ("diag_embed-below", lambda x: x.diag_embed(-2, 2, 0), [(2, 3)]),
    ("diag_embed-1d", lambda x: x.diag_embed(offset=-1), [(3,)]),
    ("mH", lambda x: x.mH, [(2, 3, 4)]),
    ("H", lambda x: x.H, [(3, 4)]),
    ("H-0d", lambda x: x.H * 1.0, [()]),
    ("adjoint", lambda x: x.adjoint(), [(1, 3, 4)]),
    ("conj", lambda x: x.conj() * 1.0, [(2, 3)]),
    ("resolve_conj", lambda x: x.resolve_conj().resolve_neg() * 1.0, [(2, 3)]),
    ("cholesky_inverse", lambda L: L.tril().cholesky_inverse(), ["lower3"]),
    ("cholesky_inverse-upper", lambda L: L.tril().mT.cholesky_inverse(upper=True),
     ["lower3"]),
    ("cholesky_inverse-batch", lambda L: L.tril().cholesky_inverse(), ["lower2x3"]),
    ("index_copy", lambda t, s: t.index_copy(1, like(t, [2, 0]), s), [(2, 3), (2, 2)]),
    ("index_copy-0d", lambda t, s: t.index_copy(0, like(t, [0]), s), [(), ()]),
    ("index_fill", lambda t: t.index_fill(1, like(t, [-1, 0]), 0.5), [(2, 3)]),
    ("index_fill-tensor", lambda t, v: t.index_fill(0, like(t, [1]), v.sum()), [(3, 2), (1,)]),
    ("index_put", lambda t, v: t.index_put((like(t, [0, 1]), like(t, [2, -1])), v),
     [(2, 3), (2,)]),
    ("index_put-accumulate", lambda t, v: t.index_put((like(t, [0, 0]),), v, accumulate=True),
     [(2, 3), (3,)]),
    ("index_put-mask", lambda t, v: t.index_put((like(t, [[True, False, True],
                                                          [False, False, True]]),), v),
     [(2, 3), (3,)]),
    ("index_put-broadcast", lambda t, v: t.index_put([like(t, [0, 1])], v), [(2, 3), ()]),
    ("put", lambda t, s: t.put(like(t, [[0, -1]]), s), [(2, 3), (1, 2)]),
    ("put-accumulate", lambda t, s: t.put(like(t, [0, 0, 4]), s, accumulate=True),
     [(2, 3), (3,)]),
    ("masked_scatter", lambda t, s: t.masked_scatter(like(t, [True, False, True]), s),
     [(2, 3), (10,)]),
    ("masked_scatter-broadcast", lambda t, s: t.masked_scatter(like(t, [[True], [False]]), s),
     [(3,), (2, 5)]),
    ("svd", lambda A: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.V.mT)(A.svd()), [(3, 2)]),
    ("svd-values", lambda A: A.svd().S, [(2, 3, 2)]),
    ("svd-full", lambda A: (lambda r: r.U[..., :2] @ r.U[..., :2].mT)(A.svd(some=False)),
     [(3, 2)]),
    ("svd-no-uv", lambda A: A.svd(compute_uv=False).S, [(3, 2)]),
    ("lu", lambda A: (A + like(A, 3 * np.eye(3))).lu()[0], [(3, 3)]),
    ("lu-batch", lambda A: (A + like(A, 3 * np.eye(3))).lu()[0], [(2, 3, 3)]),
    ("triangular_solve", lambda b, L: b.triangular_solve(L, upper=False).solution,
     [(3, 2), "lower3"]),
    ("triangular_solve-upper-t", lambda b, L: b.triangular_solve(L.mT, transpose=True)[0],
     [(3, 1), "lower3"]),
    ("triangular_solve-unit", lambda b, L: b.triangular_solve(L, False, False, True)[0],
     [(2, 3, 2), "lower2x3"]),
]


def arrays_for(shapes):
    out = []
    for shape in shapes:
        if shape == "lower3":
            out.append(lower(3))
        elif shape == "lower2x3":
            out.append(lower(3, (2,)))
        else:
            values = RNG.uniform(-2.0, 2.0, shape)
            out.append(values + 0.2 * np.sign(values))      # (away from kinks, no ties)
    return out


@needs_torch
@pytest.mark.filterwarnings("ignore:.*(deprecated|is deprecated):UserWarning")   # (lu, H of 0-d)
@pytest.mark.parametrize("f, shapes", [case[1:] for case in D], ids=[case[0] for case in D])
def test_values_shapes_and_gradients_are_pytorchs(f, shapes):
    same_as_torch(f, *arrays_for(shapes), rng=RNG, rtol=1e-10)


@pytest.mark.parametrize("f, shapes", [case[1:] for case in D], ids=[case[0] for case in D])
def test_gradients_are_the_finite_differences(f, shapes):
    inputs = [Tensor(a, requires_grad=True) for a in arrays_for(shapes)]
    assert autograd.gradcheck(f, *inputs)


@needs_torch
def test_a_repeated_index_copies_the_last_and_only_it_gets_the_gradient():
    """PyTorch leaves which one is copied undefined (its CPU takes the last, as here) and
    passes the gradient to every source slice named; here only the copied one gets it, the
    derivative of what was computed."""
    source = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = Tensor(np.zeros(3)).index_copy(0, Tensor([1, 1]), source)
    theirs = torch.zeros(3, dtype=torch.float64).index_copy(0, torch.tensor([1, 1]),
                                                            torch.tensor([1.0, 2.0],
                                                                         dtype=torch.float64))
    assert out.tolist() == theirs.tolist() == [0.0, 2.0, 0.0]
    out.sum().backward()
    assert source.grad.tolist() == [0.0, 1.0]


def test_the_flat_ones_pass_a_gradient_of_zero_and_keep_integers_exact():
    """div's rounded quotients: in the graph with gradient 0, as PyTorch's, and numpy's floor
    division's numbers (1 // 0.1 is 9, not floor(10.000000000000002) = 10)."""
    x = Tensor(np.array([1.0, -7.0]), requires_grad=True)
    y = x.div(Tensor(np.array([0.1, 2.0])), rounding_mode="floor")
    assert y.tolist() == [9.0, -4.0] and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    assert Tensor([2 ** 62 + 1]).div(3, rounding_mode="trunc").item() == (2 ** 62 + 1) // 3


# -- integers, bools and the other dtypes, against PyTorch -------------------------------------

I = [
    ("add-int-alpha", lambda e: e.tensor([1, 2, 3]).add(e.tensor([1, 1, 1]), alpha=2)),
    ("add-number", lambda e: e.tensor([1, 2, 3]).add(1.5)),
    ("add-bools", lambda e: e.tensor([True, False]).add(e.tensor([False, False]), alpha=2)),
    ("sub-int", lambda e: e.tensor([5, 2]).sub(e.tensor([1, 4]), alpha=3)),
    ("div-int", lambda e: e.tensor([1, 2, 3]).div(2)),
    ("div-trunc", lambda e: e.tensor([-7, 7, -6, 7]).div(e.tensor([2, -2, 3, 7]),
                                                          rounding_mode="trunc")),
    ("div-floor", lambda e: e.tensor([-7, 7, -6, 7]).div(e.tensor([2, -2, 3, 7]),
                                                          rounding_mode="floor")),
    ("div-trunc-uint8", lambda e: e.tensor([1, 2, 255], dtype=e.uint8).div(
        2, rounding_mode="trunc")),
    ("div-trunc-float-divisor", lambda e: e.tensor([1, 2], dtype=e.int32).div(
        2.5, rounding_mode="trunc")),
    ("div-float-by-0", lambda e: e.tensor([-7.0, 7.0, 0.0]).div(0, rounding_mode="floor")),
    ("addcmul-int", lambda e: e.tensor([1, 2, 3]).addcmul(e.tensor([1, 2, 3]),
                                                          e.tensor([1, 2, 3]), value=2)),
    ("addmm-int", lambda e: e.tensor([1, 2]).addmm(e.tensor([[1, 2]]),
                                                   e.tensor([[1, 0], [0, 1]]), beta=2)),
    ("positive", lambda e: e.tensor([1, -2]).positive()),
    ("sgn-int", lambda e: e.tensor([3, 0, -2]).sgn()),
    ("compare", lambda e: e.tensor([1, 2, 3]).greater_equal(2)),
    ("compare2", lambda e: e.tensor([1, 2, 3]).less(e.tensor([3, 2, 1]))),
    ("not_equal", lambda e: e.tensor([1.0, 2.0]).not_equal(2.0)),
    ("inner-int", lambda e: e.tensor([[1, 2], [3, 4]]).inner(e.tensor([[1, 1]]))),
    ("dist-int", lambda e: e.tensor([1, 2, 3]).dist(e.tensor([0.0, 0.0, 0.0]))),
    ("movedim-int", lambda e: e.arange(24).reshape(2, 3, 4).movedim((2, 0), (0, 1))),
    ("movedim-0d", lambda e: e.tensor(3).movedim(0, -1)),
    ("ravel", lambda e: e.arange(6).reshape(2, 3).T.ravel()),
    ("unflatten", lambda e: e.arange(12).unflatten(0, (2, -1, 2))),
    ("tile", lambda e: e.tensor([[1, 2]]).tile(2, 2)),
    ("tile-empty", lambda e: e.tensor([[1, 2]]).tile(())),
    ("select", lambda e: e.arange(24).reshape(2, 3, 4).select(-2, 1)),
    ("take", lambda e: e.tensor([[4, 3], [2, 1]]).take(e.tensor([3, -4, 1]))),
    ("msort", lambda e: e.tensor([[3, 1], [2, 4], [0, 9]]).msort()),
    ("msort-0d", lambda e: e.tensor(5).msort()),
    ("aminmax", lambda e: e.tensor([[3, 1], [2, 4]]).aminmax(dim=-1)[1]),
    ("aminmax-0d", lambda e: e.tensor(7).aminmax(dim=0)[0]),
    ("aminmax-bool", lambda e: e.tensor([True, False]).aminmax()[0]),
    ("tensor_split-sections", lambda e: e.cat(e.arange(7).tensor_split(3)[1:])),
    ("tensor_split-past", lambda e: e.cat([p * 0 + len(p) for p in e.arange(7).tensor_split(
        [1, 5, 3, 10])])),
    ("tensor_split-negative", lambda e: e.arange(7).tensor_split([-2])[1]),
    ("tensor_split-0d-tensor", lambda e: e.arange(7).tensor_split(e.tensor(2))[1]),
    ("hsplit", lambda e: e.arange(12).reshape(3, 4).hsplit(2)[1]),
    ("vsplit", lambda e: e.arange(12).reshape(3, 4).vsplit([1])[0]),
    ("diag_embed-int", lambda e: e.tensor([[1, 2], [3, 4]]).diag_embed(1)),
    ("diag_embed-bool", lambda e: e.tensor([True, True]).diag_embed()),
    ("diag_embed-inf", lambda e: e.tensor([math.inf, -1.0]).diag_embed()),
    ("index_copy-int", lambda e: e.zeros(2, 3, dtype=e.int64).index_copy(
        1, e.tensor([2, 0]), e.tensor([[5, 6], [7, 8]]))),
    ("index_fill-int", lambda e: e.zeros(2, 3, dtype=e.int64).index_fill(1, e.tensor([0]), 2.5)),
    ("index_fill-0d-index", lambda e: e.zeros(3).index_fill(0, e.tensor(1), -1.0)),
    ("index_put-int", lambda e: e.zeros(2, 3, dtype=e.int64).index_put(
        (e.tensor([0, 0]), e.tensor([1, 1])), e.tensor(4), accumulate=True)),
    ("index_put-last-wins", lambda e: e.zeros(3).index_put((e.tensor([1, 1]),),
                                                             e.tensor([1.0, 2.0]))),
    ("put-int", lambda e: e.zeros(2, 2, dtype=e.int64).put(e.tensor([3, 0, 3]),
                                                           e.tensor([1, 2, 3]), True)),
    ("masked_scatter-int", lambda e: e.zeros(2, 3, dtype=e.int64).masked_scatter(
        e.tensor([[True, False, True], [True, True, False]]), e.arange(10))),
    ("masked_scatter-none", lambda e: e.ones(3).masked_scatter(e.zeros(3, dtype=e.bool),
                                                               e.zeros(0))),
    ("short", lambda e: e.tensor([1.7, -300.2]).short()),
    ("byte", lambda e: e.tensor([1.7, 200.2]).byte()),
    ("char", lambda e: e.tensor([1.7, -100.2]).char()),
    ("lu-pivots", lambda e: e.tensor([[1.0, 2.0, 0.0], [3.0, 4.0, 1.0], [0.0, 1.0, 5.0]])
     .lu()[1]),
    ("lu-pivots-batch", lambda e: e.tensor([[[0.0, 1.0], [2.0, 1.0]], [[4.0, 1.0], [2.0, 1.0]]])
     .lu()[1]),
    ("lu-infos", lambda e: e.tensor([[[0.0, 1.0], [2.0, 1.0]]]).lu(get_infos=True)[2]),
    ("new-sizes", lambda e: e.tensor([1], dtype=e.int16).new(2, 3) * 0),
    ("new-size-tuple", lambda e: e.tensor([1.0]).new(e.ones(2, 3).size()) * 0),
    ("new-list", lambda e: e.tensor([1], dtype=e.int64).new([1.7, 2.0])),
    ("new-empty", lambda e: e.tensor([1.0]).new()),
    ("new-tensor", lambda e: e.tensor([1.0]).new(e.tensor([3.0, 4.0]))),
]


@needs_torch
@pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")     # (PyTorch's old lu)
@pytest.mark.parametrize("f", [case[1] for case in I], ids=[case[0] for case in I])
def test_other_dtypes_match_pytorchs_values_and_dtypes(f):
    ours, theirs = f(autograd), f(torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@needs_torch
def test_the_facts_a_tensor_tells_are_pytorchs():
    for e in (autograd, torch):
        x = e.zeros(2, 3, dtype=e.float32)
        y = x.T
        z = x[:, 1:]
        facts = (x.is_floating_point(), e.tensor([1]).is_floating_point(), x.itemsize,
                 x.nbytes, e.ones(3, dtype=e.float64).nbytes, x.stride(), y.stride(),
                 x.stride(-1), z.stride(), z.storage_offset(), x.storage_offset(),
                 x[1].storage_offset(), x.is_cpu, x.is_cuda, x.get_device(), x.is_complex(),
                 x.is_conj(), x.is_sparse, x.is_quantized, x.is_meta, x.is_pinned())
        if e is autograd:
            ours = facts
    assert ours == facts
    w = Tensor([1.0], requires_grad=True)
    assert not w.retains_grad and (w * 2).retains_grad and not Tensor([1.0]).retains_grad
    assert w.pin_memory() is w                      # (no GPU to pin for: itself)


@needs_torch
@pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")     # (PyTorch's old APIs)
def test_the_named_tuples_read_as_pytorchs():
    for e in (autograd, torch):
        A = e.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=e.float64)
        minmax = A.aminmax(dim=0)
        svd = A.svd()
        solved = e.ones(2, 1, dtype=e.float64).triangular_solve(A)
        facts = (minmax.min.tolist(), minmax.max.tolist(), svd.S.tolist(), svd.V.shape[-1],
                 solved.solution.shape, solved.cloned_coefficient.tolist(),
                 [m.tolist() for m in svd.U.abs().T])
        if e is autograd:
            ours = facts
    assert ours[:2] == facts[:2] and ours[4:6] == (tuple(facts[4]), facts[5])
    np.testing.assert_allclose(ours[2], facts[2], rtol=1e-12)
    np.testing.assert_allclose(ours[6], facts[6], rtol=1e-12)


def test_the_pieces_and_views_keep_the_memory_and_new_shares_it():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    first, second = x.tensor_split(2, dim=1)
    assert np.shares_memory(first.data, x.data) and np.shares_memory(x.select(0, 1).data,
                                                                     x.data)
    u = Tensor(np.array([1.0, 2.0]))
    shared = x.new(u)
    assert shared.tolist() == [1.0, 2.0] and np.shares_memory(shared.data, u.data)
    assert x.new(size=(2,)).shape == (2,) and x.new(2, 3).dtype == x.dtype


# -- PyTorch's module functions ----------------------------------------------------------------

@needs_torch
@pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")     # (PyTorch's old svd)
@pytest.mark.parametrize("call", [
    lambda e, x, y: e.add(x, y, alpha=2),
    lambda e, x, y: e.sub(x, 1.5, alpha=2),
    lambda e, x, y: e.mul(x, y),
    lambda e, x, y: e.div(x, y, rounding_mode="floor"),
    lambda e, x, y: e.addcmul(x, x, y, value=0.5),
    lambda e, x, y: e.addcdiv(x, x, y.abs() + 1, value=0.5),
    lambda e, x, y: e.movedim(x, 0, 1),
    lambda e, x, y: e.tensor_split(x, 2, dim=1)[1],
    lambda e, x, y: e.aminmax(x, dim=1).max,
    lambda e, x, y: e.select(x, 1, 0),
    lambda e, x, y: e.tile(x, (2,)),
    lambda e, x, y: e.inner(x, y),
    lambda e, x, y: e.dist(x, y),
    lambda e, x, y: e.index_put(x, (like(x, [0]),), like(x, 9.0)),
    lambda e, x, y: e.diag_embed(x),
    lambda e, x, y: e.flipud(x),
    lambda e, x, y: e.take(x, like(x, [0, 3])),
    lambda e, x, y: e.ravel(x),
    lambda e, x, y: e.unflatten(x, 1, (1, 3)),
    lambda e, x, y: e.addmm(y, x.T, x),
    lambda e, x, y: e.svd(x).S,
    lambda e, x, y: e.hsplit(x, 3)[2],
    lambda e, x, y: e.renorm(x, 2, 0, 1.0),
    lambda e, x, y: e.exp_(x * 1.0),
    lambda e, x, y: e.relu_(x * 1.0),
    lambda e, x, y: e.conj(x),
    lambda e, x, y: like(x, e.is_floating_point(x)),
])
def test_pytorchs_module_functions_are_the_methods(call):
    data = np.array([[1.0, -2.0, 3.0], [0.5, 1.5, -1.0]])
    other = np.array([0.5, -1.0, 2.0])
    ours = call(autograd, Tensor(data), Tensor(other))
    theirs = call(torch, torch.tensor(data), torch.tensor(other))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


# -- mistakes ----------------------------------------------------------------------------------

F = Tensor([1.0, 2.0])
N = Tensor([1, 2])


@pytest.mark.parametrize("call, error, message", [
    (lambda: N.add(N, alpha=2.5), TypeError,
     r"add: alpha=2.5 is a float, and the tensors are integers, whose result cannot hold "
     r"fractions"),
    (lambda: N.sub(1, alpha=0.5), TypeError, r"sub: alpha=0.5 is a float"),
    (lambda: F.add(F, alpha=True), TypeError, r"add: alpha=True is a bool, which PyTorch takes "
                                              r"only for bool results"),
    (lambda: F.add(F, alpha="2"), TypeError, r"add: alpha must be a number, got str"),
    (lambda: N.addcmul(N, N, value=0.5), TypeError, r"addcmul: value=0.5 is a float"),
    (lambda: N.addmm(N.reshape(2, 1), N.reshape(1, 2), beta=0.5), TypeError,
     r"addmm: beta=0.5 is a float"),
    (lambda: F.div(F, rounding_mode="bad"), ValueError,
     r"div: rounding_mode must be None, 'trunc' or 'floor', got 'bad'"),
    (lambda: Tensor([True]).div(Tensor([True]), rounding_mode="floor"), TypeError,
     r"div: rounding_mode='floor' takes numbers, not two bools"),
    (lambda: N.div(0, rounding_mode="trunc"), ZeroDivisionError, r"integer div: division by zero"),
    (lambda: F.addcdiv(N, N), TypeError, r"addcdiv: tensor1 and tensor2 are both integers"),
    (lambda: Tensor([True]).positive(), TypeError, r"positive: a bool tensor has no \+t"),
    (lambda: F.addmm(F.reshape(2, 1), F), ValueError, r"addmm: expects 2-d and 2-d tensors, got "
                                                      r"shapes \(2, 1\) and \(2,\)"),
    (lambda: Tensor(np.ones((3, 3))).addmm(np.ones((2, 2)), np.ones((2, 2))), ValueError,
     r"addmm: the input of shape \(3, 3\) does not broadcast to the product's shape \(2, 2\)"),
    (lambda: F.baddbmm(np.ones((2, 1, 1)), np.ones((3, 1, 1))), ValueError,
     r"baddbmm: the batch sizes differ"),
    (lambda: F.inner(Tensor(np.ones((2, 3)))), ValueError,
     r"inner: the last axes differ in length, shapes \(2,\) and \(2, 3\)"),
    (lambda: F.vdot(Tensor(np.ones((1, 2)))), ValueError, r"dot: expects 1-d and 1-d tensors"),
    (lambda: F.renorm(2, 0, 1.0), ValueError, r"renorm: needs a tensor of at least 2 dims, got "
                                              r"shape \(2,\)"),
    (lambda: Tensor(np.ones((2, 2))).renorm(0, 0, 1.0), ValueError,
     r"renorm: p must be a number > 0"),
    (lambda: Tensor(np.ones((2, 2))).renorm(2, 0, -1.0), ValueError,
     r"renorm: maxnorm must be a number >= 0, got -1.0"),
    (lambda: Tensor(np.ones((2, 2))).renorm(2, 2, 1.0), ValueError,
     r"renorm: axis 2 is out of range for a tensor with 2 dims"),
    (lambda: Tensor(np.ones((2, 2), dtype=np.int64)).renorm(2, 0, 1), TypeError,
     r"renorm: needs a floating tensor, got dtype int64"),
    (lambda: Tensor(np.ones((2, 3))).sum_to_size(4), ValueError,
     r"sum_to_size: the size \(4,\) does not broadcast to the tensor's shape \(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).sum_to_size(1, 2, 3), ValueError,
     r"sum_to_size: the size \(1, 2, 3\) does not broadcast"),
    (lambda: Tensor(np.ones((2, 3))).cholesky_inverse(), ValueError,
     r"cholesky_inverse: needs a square matrix"),
    (lambda: Tensor(np.ones((2, 3, 4))).movedim((0, 0), (2, 1)), ValueError,
     r"movedim: repeated axis in source \[0, 0\]"),
    (lambda: Tensor(np.ones((2, 3, 4))).movedim(3, 1), ValueError,
     r"movedim: axis 3 is out of range for a tensor with 3 dims"),
    (lambda: Tensor(np.ones((2, 3, 4))).moveaxis([0, 1], [1]), ValueError,
     r"moveaxis: source \[0, 1\] and destination \[1\] name different numbers of axes"),
    (lambda: Tensor(np.ones((2, 12))).unflatten(1, (3, 5)), ValueError,
     r"unflatten: sizes \(3, 5\) do not multiply up to the length 12 of axis 1"),
    (lambda: Tensor(np.ones((2, 12))).unflatten(1, (-1, -1)), ValueError,
     r"unflatten: sizes \(-1, -1\) do not multiply up"),
    (lambda: Tensor(np.ones((2, 12))).unflatten(1, ()), TypeError,
     r"unflatten: sizes must be a non-empty tuple of ints, got \(\)"),
    (lambda: Tensor(np.ones((2, 3))).select(1, 3), IndexError,
     r"select: index 3 is out of range for axis 1 of length 3 \(shape \(2, 3\)\)"),
    (lambda: Tensor(np.ones((2, 3))).select(2, 0), ValueError,
     r"select: axis 2 is out of range for a tensor with 2 dims"),
    (lambda: Tensor(1.0).select(0, 0), ValueError, r"select: a 0-d tensor has no axis"),
    (lambda: Tensor(np.ones((2, 3))).take(Tensor([6])), IndexError,
     r"take: an index is out of range for a tensor of 6 elements \(shape \(2, 3\)\)"),
    (lambda: F.take(Tensor([0.5])), TypeError, r"take: the index must hold integers, got "
                                               r"dtype float32"),
    (lambda: F.fliplr(), ValueError, r"fliplr: needs a tensor of at least 2 dims"),
    (lambda: Tensor(1.0).flipud(), ValueError, r"flipud: needs a tensor of at least 1 dim"),
    (lambda: Tensor(np.zeros(0)).aminmax(), ValueError,
     r"aminmax: the tensor of shape \(0,\) is empty"),
    (lambda: F.aminmax(dim=(0,)), TypeError, r"aminmax: dim must be an int, got \(0,\)"),
    (lambda: F.tensor_split(0), ValueError,
     r"tensor_split: the number of sections must be > 0, got 0"),
    (lambda: F.tensor_split(1.5), TypeError, r"tensor_split: takes the number of pieces"),
    (lambda: Tensor(np.ones((3, 4))).hsplit(3), ValueError,
     r"hsplit: cannot split axis 1 of length 4 into 3 equal pieces \(shape \(3, 4\)\)"),
    (lambda: F.vsplit(2), ValueError, r"vsplit: needs a tensor of at least 2 dims"),
    (lambda: F.dsplit(2), ValueError, r"dsplit: needs a tensor of at least 3 dims"),
    (lambda: Tensor(np.ones((2, 3))).diag_embed(0, 1, 1), ValueError,
     r"diag_embed: dim1 and dim2 are the same axis \(1, 1\)"),
    (lambda: Tensor(np.ones((2, 3))).diag_embed(0, 3, 1), ValueError,
     r"diag_embed: axis 3 is out of range for a tensor with 3 dims"),
    (lambda: Tensor(1.0).diag_embed(), ValueError, r"diag_embed: needs a tensor of at least 1"),
    (lambda: F.H, ValueError, r"H: only for matrices \(2-d tensors\), got shape \(2,\)"),
    (lambda: F.mH, ValueError, r"mT: needs a tensor of at least 2 dims"),
    (lambda: Tensor(np.zeros(3)).index_copy(0, Tensor([-1]), Tensor(np.ones(1))), IndexError,
     r"index_copy: index -1 is out of range for axis 0 of length 3"),
    (lambda: Tensor(np.zeros(3)).index_copy(0, Tensor([1.0]), Tensor(np.ones(1))), TypeError,
     r"index_copy: the index must hold integers, got dtype float32"),
    (lambda: Tensor(np.zeros(3)).index_copy(0, Tensor([1]), Tensor([1.0])), TypeError,
     r"index_copy: source is float32 and the tensor float64; PyTorch asks for one dtype"),
    (lambda: Tensor(np.zeros((2, 3))).index_copy(1, Tensor([2, 0]), Tensor(np.ones((2, 3)))),
     ValueError, r"index_copy: source must have shape \(2, 2\) \(the tensor's shape \(2, 3\) "
                 r"with 2 slices along axis 1\), got \(2, 3\)"),
    (lambda: Tensor(np.zeros((2, 3))).index_fill(1, Tensor([0]), Tensor([2.5])), ValueError,
     r"index_fill: value must be a number or a 0-d tensor, got shape \(1,\)"),
    (lambda: Tensor(np.zeros((2, 3))).index_fill(1, Tensor([3]), 1.0), IndexError,
     r"index_fill: index 3 is out of range for axis 1 of length 3"),
    (lambda: Tensor(np.zeros((2, 3))).index_put((Tensor([5]),), Tensor(1.0)), IndexError,
     r"index_put: index 5 is out of bounds for axis 0 with size 2 \(tensor of shape \(2, 3\)\)"),
    (lambda: Tensor(np.zeros((2, 3))).index_put(Tensor([0]), Tensor(1.0)), TypeError,
     r"index_put: indices must be a tuple of index tensors"),
    (lambda: Tensor(np.zeros((2, 3))).index_put((Tensor([0]),), Tensor(np.ones(2))), ValueError,
     r"index_put: values of shape \(2,\) do not broadcast to the shape \(1, 3\) of the places"),
    (lambda: Tensor(np.zeros((2, 3))).index_put((Tensor([0]),), Tensor(1.0)), TypeError,
     r"index_put: the values are float32 and the tensor float64"),
    (lambda: F.put(Tensor([0, 1]), Tensor([1.0, 2.0, 3.0])), ValueError,
     r"put: source has 3 elements and index 2; they must have as many"),
    (lambda: F.put(Tensor([2]), Tensor([1.0])), IndexError, r"put: index 2 is out of bounds"),
    (lambda: F.masked_scatter(Tensor([1, 0]), F), TypeError,
     r"masked_scatter: the mask must be bool, got dtype int64"),
    (lambda: F.masked_scatter(Tensor([True, True]), Tensor([1.0])), ValueError,
     r"masked_scatter: the mask has 2 True places and source only 1 elements"),
    (lambda: F.masked_scatter(Tensor([True, True, True]), F), ValueError,
     r"masked_scatter: the mask of shape \(3,\) does not broadcast with the tensor's shape"),
    (lambda: F.new(F.double()), TypeError, r"new: the tensor given is float64 and this one "
                                           r"float32"),
    (lambda: F.new(2, dtype=np.float64), TypeError, r"new: got an unexpected keyword 'dtype'"),
    (lambda: F.new(2, device="cuda"), Exception, r"cuda"),
    (lambda: F.stride(1), ValueError, r"stride: axis 1 is out of range for a tensor with 1 dim"),
    (lambda: Tensor(np.ones((2, 2))).lu(pivot=False), ValueError,
     r"lu: pivot=False is not supported"),
])
def test_bad_inputs_are_refused_naming_the_op_and_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_hints_for_names_still_refused_remain():
    with pytest.raises(AttributeError, match=r"PyTorch's Tensor.share_memory_ has no "
                                             r"counterpart"):
        F.share_memory_()
    with pytest.raises(AttributeError, match=r"PyTorch's Tensor.resize_ is t.reshape"):
        F.resize_(3)
