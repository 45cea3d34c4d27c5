"""einsum (PyTorch's torch.einsum) as one op: forward by np.einsum, each operand's gradient an
einsum of the upstream gradient with the other operands. Checked against live PyTorch (values
and gradients) and finite differences, with the cases where that simple rule needs more:
diagonals and traces (a repeated letter), letters summed within one operand, broadcasting
(length-1 axes, '...'), implicit outputs."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from autograd.ops.linalg import einsum_spec, parse_einsum
from autograd.tensor import einsum
from conftest import t64
from torch_helpers import needs_torch, same_as_torch, torch

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),                 # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),        # bmm
    ("btd,bsd->bts", [(1, 3, 4), (1, 5, 4)]),        # attention scores, batch 1
    ("i,i->", [(4,), (4,)]),                         # dot
    ("i,j->ij", [(3,), (4,)]),                       # outer
    ("ij->ji", [(2, 3)]),                            # transpose
    ("ij->", [(2, 3)]),                              # sum
    ("ij->j", [(2, 3)]),                             # i summed within the operand
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("ii->i", [(3, 3)]),                             # diagonal
    ("ii", [(3, 3)]),                                # trace (implicit output: none)
    ("iij->j", [(3, 3, 2)]),
    ("ii,ij->j", [(3, 3), (3, 2)]),                  # a diagonal times another operand
    ("ba", [(2, 3)]),                                # implicit: letters in order, 'ab'
    ("...ij,...jk", [(5, 2, 3), (3, 4)]),            # '...' broadcast
    ("...ij->i", [(4, 2, 3)]),                       # '...' left out: summed (PyTorch's rule)
    ("ij,ij->ij", [(1, 3), (2, 3)]),                 # a length-1 axis broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]),                 # ... along a summed letter too
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),      # three operands (optimize plans)
    ("Ab,bC->AC", [(2, 3), (3, 2)]),                 # upper-case letters
    (",->", [(), ()]),                               # 0-d
    ("i->", [(1,)]),
]
IDS = [f"{eq or 'implicit'}-{'x'.join(str(s) for s in shapes)}" for eq, shapes in EQUATIONS]


@needs_torch
@pytest.mark.parametrize("equation, shapes", EQUATIONS, ids=IDS)
def test_einsum_matches_pytorch(equation, shapes, rng):
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    same_as_torch(lambda *ts: einsum(equation, *ts), *arrays, rng=rng,
                  torch_f=lambda *ts: torch.einsum(equation, *ts))


@pytest.mark.parametrize("equation, shapes", EQUATIONS, ids=IDS)
def test_einsum_gradchecks_and_matches_numpy(equation, shapes, rng):
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    if "..." not in equation and "->" in equation:  # numpy says the same (its '...' rule
        np.testing.assert_allclose(einsum(equation, *map(Tensor, arrays)).data,  # differs)
                                   np.einsum(equation, *arrays), rtol=1e-12)
    assert gradcheck(lambda *ts: einsum(equation, *ts), *[t64(a) for a in arrays])


@pytest.mark.parametrize("equation, shapes", [("ij,jk->ik", [(2, 3), (3, 4)]),
                                              ("ii->i", [(3, 3)]), ("ij->j", [(2, 3)]),
                                              ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)])])
def test_einsum_differentiates_twice(equation, shapes, rng):
    """The gradient is an einsum too (recorded when differentiating again)."""
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    weights = rng.normal(size=shapes[0])
    rest = [Tensor(a) for a in arrays[1:]]
    first = autograd.grad(lambda t: (einsum(equation, t, *rest) ** 3).sum())
    assert gradcheck(lambda t: (first(t) * weights).sum(), t64(arrays[0]))


def test_only_the_operands_that_want_a_gradient_get_one():
    x, W = Tensor(np.ones((2, 3))), t64(np.ones((3, 4)))
    out = einsum("ij,jk->ik", x, W)
    out.sum().backward()
    assert x.grad is None and W.grad.shape == (3, 4)
    assert out._ctx.needs == (False, True)


def test_einsum_takes_a_list_of_operands_and_joins_integers_with_floats():
    a, b = Tensor(np.ones((2, 3), np.float32)), Tensor(np.arange(3))
    out = einsum("ij,j->i", [a, b])
    assert out.dtype == np.float32 and out.tolist() == [3.0, 3.0]
    assert einsum("i,i", Tensor([1, 2]), Tensor([3, 4])).dtype == np.int64


def test_the_contraction_order_is_planned_for_three_operands_or_a_large_loop():
    """np.einsum's optimize costs ~15 µs to plan: worth it only for larger contractions."""
    assert not einsum_spec(("ij", "jk"), "ik", [(4, 3), (3, 2)], (True, True)).optimize
    assert einsum_spec(("ij", "jk"), "ik", [(64, 64), (64, 64)], (True, True)).optimize
    assert einsum_spec(("ij", "jk", "kl"), "il", [(2, 2)] * 3, (True,) * 3).optimize


def test_parse_makes_the_equation_explicit():
    assert parse_einsum("ij,jk", [(2, 3), (3, 4)]) == (("ij", "jk"), "ik")
    assert parse_einsum(" b a ", [(2, 3)]) == (("ba",), "ab")
    assert parse_einsum("...i,...i->...", [(5, 2, 3), (2, 3)]) == (("ABi", "Bi"), "AB")


@pytest.mark.parametrize("equation, shapes, match", [
    ("ij,jk->ik", [(2, 3)], r"einsum: 'ij,jk->ik' names 2 operand\(s\), got 1 tensor\(s\)"),
    ("ij->ik", [(2, 3)], r"einsum: the output's subscript 'k' is in no operand"),
    ("ij->ii", [(2, 3)], r"einsum: the output's subscripts 'ii' repeat 'i'"),
    ("ijk->i", [(2, 3)], r"einsum: operand 0 has subscripts 'ijk' for 3 dim\(s\), but its "
                         r"shape is \(2, 3\) \(write '...' for the others\)"),
    ("i1->i", [(2, 3)], r"einsum: operand 0's subscripts 'i1' may hold letters and one '...'"),
    ("ij->i->j", [(2, 3)], r"einsum: 'ij->i->j' has more than one '->'"),
    ("i,i->", [(2,), (3,)], r"einsum: 'i,i->' does not fit the shapes \[\(2,\), \(3,\)\]"),
])
def test_einsum_refuses_bad_equations_naming_them(equation, shapes, match):
    with pytest.raises(ValueError, match=match):
        einsum(equation, *[Tensor(np.ones(s)) for s in shapes])
