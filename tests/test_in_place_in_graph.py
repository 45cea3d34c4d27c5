"""Tensor's written-out in-place methods (add_, sub_, mul_, div_, addcmul_, addcdiv_, lerp_,
clamp_, clip_, fill_, zero_, copy_, masked_fill_: autograd/tensor_in_place.py) on an op's result
in a graph: the write is recorded, as PyTorch records it and as the generic in-place forms do
(`_write_in_graph`, autograd/tensor_in_place_functions.py): `h = fc(x); h.mul_(2)` makes h
2 * fc(x), the same object, and the gradient goes through (these methods refused it). Checked
against PyTorch (values and gradients, float64) and central finite differences, at broadcast,
0-d and batch-1 shapes; and the rules: a parameter only under no_grad(), an op that used the
tensor before the write refused at backward, a view of another tensor's numbers in a graph
refused, the dtype and shape kept."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad
from torch_helpers import like, needs_torch, same_as_torch

RNG = np.random.default_rng(32)

# (name, the write on h = x * 1.5 given w (a tensor in a graph too), the out-of-place form the
# refusals ask for instead)
WRITES = [
    ("add_", lambda h, w: h.add_(w), "t = t + x"),
    ("add_ alpha", lambda h, w: h.add_(w, alpha=-0.5), "t = t + alpha * x"),
    ("add_ number", lambda h, w: h.add_(2.5), "t = t + x"),
    ("sub_", lambda h, w: h.sub_(w, alpha=2.0), "t = t - alpha * x"),
    ("mul_", lambda h, w: h.mul_(w), "t = t * x"),
    ("mul_ number", lambda h, w: h.mul_(2.0), "t = t * x"),
    ("div_", lambda h, w: h.div_(w.abs() + 0.5), "t = t / x"),
    ("div_ number", lambda h, w: h.div_(4.0), "t = t / x"),
    ("addcmul_", lambda h, w: h.addcmul_(w, h * 1.0, value=0.5), "t = t + value * a * b"),
    ("addcdiv_", lambda h, w: h.addcdiv_(w, w * w + 1.0, value=-2.0), "t = t + value * a / b"),
    ("lerp_", lambda h, w: h.lerp_(w, 0.3), "t = t.lerp(...)"),
    ("lerp_ far", lambda h, w: h.lerp_(w, 0.8), "t = t.lerp(...)"),
    ("lerp_ weight", lambda h, w: h.lerp_(w * 0.0 + 1.0, w.sigmoid()),
     "t = t.lerp(...)"),
    ("clamp_", lambda h, w: h.clamp_(-0.5, 0.7), "t = t.clamp(...)"),
    ("clamp_ min", lambda h, w: h.clamp_(min=-0.2), "t = t.clamp(...)"),
    ("clamp_ bound", lambda h, w: h.clamp_(min=w), "t = t.clamp(...)"),
    ("clip_", lambda h, w: h.clip_(max=0.4), "t = t.clip(...)"),
    ("fill_", lambda h, w: h.fill_(2.5), "autograd.full_like(t, value)"),
    ("fill_ tensor", lambda h, w: h.fill_(w.sum()), "t = value.expand(shape)"),
    ("zero_", lambda h, w: h.zero_(), "autograd.full_like(t, value)"),
    ("copy_", lambda h, w: h.copy_(w * 2.0), "t = source.expand(shape)"),
    ("masked_fill_", lambda h, w: h.masked_fill_(like(h, h.detach() > 0), -1.0),
     "t = t.masked_fill(mask, value)"),
]
IDS = [name for name, *_ in WRITES]
# (the tensor's shape, w's): broadcast, 0-d, batch-1
SHAPES = [((2, 3), (3,)), ((), ()), ((1, 3), (1, 3)), ((2, 1, 3), (1, 3))]


def _away_from_kinks(shape):
    """numbers whose clamp bounds (-0.5, -0.2, 0.4, 0.7 after * 1.5) and 0 stay 0.05 away."""
    values = RNG.uniform(-1.0, 1.0, shape)
    for edge in (-0.5, -0.2, 0.0, 0.4, 0.7):
        values = np.where(np.abs(1.5 * values - edge) < 0.05, values + 0.1, values)
    return values


@needs_torch
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name, write, _", WRITES, ids=IDS)
def test_the_write_on_a_result_is_pytorchs_in_values_and_gradients(name, write, _, shapes):
    """h = x * 1.5; h.<write>(w): h is the written result, the same object, and x and w get
    PyTorch's gradients through the write and through h's old history."""
    x, w = _away_from_kinks(shapes[0]), RNG.uniform(-1.0, 1.0, shapes[1])

    def f(x, w):
        h = x * 1.5
        assert write(h, w) is h
        return h
    out = same_as_torch(f, x, w, rng=RNG)
    assert out.requires_grad and not out.is_leaf


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name, write, _", WRITES, ids=IDS)
def test_finite_differences_through_the_write(name, write, _, shapes):
    x = Tensor(_away_from_kinks(shapes[0]), requires_grad=True)
    w = Tensor(RNG.uniform(-1.0, 1.0, shapes[1]), requires_grad=True)
    assert autograd.gradcheck(lambda x, w: write(x * 1.5, w) * 1.0, x, w)


@pytest.mark.parametrize("name, write, _", WRITES, ids=IDS)
def test_the_write_goes_into_the_results_own_numbers_and_is_the_out_of_place_ops(name, write,
                                                                                   _):
    """h keeps its array (a view taken of h shows the new numbers, as PyTorch's do), its dtype
    (float32, given float64 operands) and its shape."""
    x = Tensor(np.array([[0.3, -0.6, 0.9]], np.float32), requires_grad=True)
    w = Tensor(np.array([0.2, -0.4, 1.1]), requires_grad=True)
    h = x * 1.5
    numbers, row = h.data, h[0]
    with no_grad():
        expected = write(x * 1.5, w).data
    assert write(h, w) is h
    assert h.data is numbers and h.dtype == np.float32 and h.shape == (1, 3)
    np.testing.assert_array_equal(h.data, expected)
    np.testing.assert_array_equal(row.data, expected[0])


# -- the rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, write, _", WRITES, ids=IDS)
def test_a_parameter_is_refused_outside_no_grad(name, write, _):
    p = Tensor(np.array([0.3, -0.6, 0.9]), requires_grad=True)
    w = Tensor(np.array([0.2, -0.4, 1.1]), requires_grad=True)
    method = name.split()[0]
    with pytest.raises(RuntimeError, match=rf"^{method} on a tensor that requires grad would "
                                           rf"change it behind the graph's back: write it under "
                                           rf"`with no_grad\(\):`"):
        write(p, w)
    assert p.tolist() == [0.3, -0.6, 0.9] and p.is_leaf


@pytest.mark.parametrize("name, write, _", WRITES, ids=IDS)
def test_an_op_that_used_the_result_before_the_write_cannot_backpropagate(name, write, _):
    """As PyTorch's version counter: z = h * v read h's old numbers; h itself still
    backpropagates, through the write and its old history."""
    x = Tensor(np.array([0.3, -0.6, 0.9]), requires_grad=True)
    w = Tensor(np.array([0.2, -0.4, 1.1]), requires_grad=True)
    h = x * 1.5
    z = h * Tensor(np.array([1.0, 2.0, 3.0]))
    write(h, w)
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 \(shape \(3,\)\) was "
                                           r"(written in place|written by t\[index\] = value)"):
        z.sum().backward()
    h.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("name, write, instead", WRITES, ids=IDS)
def test_a_view_of_another_tensors_numbers_in_a_graph_is_refused(name, write, instead):
    """h[0] and h.T share h's numbers: writing them would change h with no gradient recorded."""
    x = Tensor(np.array([[0.3, -0.6, 0.9], [0.1, 0.2, -0.3]]), requires_grad=True)
    w = Tensor(np.array([0.2, -0.4, 1.1]), requires_grad=True)
    h = x * 1.5
    method = name.split()[0]
    message = (r"setitem: this tensor" if method == "masked_fill_" else
               rf"^{method}: this tensor \(shape \(3,\)\) is a view of another tensor's numbers "
               rf"in a graph \(x\[0\], x\.T, x\.view\(\.\.\.\)\), and writing into it would "
               rf"change that tensor with no gradient recorded for it; write "
               rf"{re.escape(instead)} for a new tensor")
    with pytest.raises(RuntimeError, match=message):
        write(h[0], w)
    with pytest.raises(RuntimeError, match=r"is a view of another tensor's numbers"):
        write(h.T[1], w[:2])                # (a transpose's row)
    np.testing.assert_array_equal(h.data, 1.5 * x.data)


def test_the_shape_and_dtype_are_kept_or_the_write_refused():
    h = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True) * 1.0
    with pytest.raises(ValueError, match=r"^add_: the result's shape \(2, 3\) is not the "
                                         r"tensor's \(3,\), which an in-place op keeps; "
                                         r"t = t \+ x makes a new tensor"):
        h.add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^copy_: expected data of shape \(3,\) \(or one that "
                                         r"broadcasts to it, as in PyTorch\), got \(2,\)"):
        h.copy_(Tensor([1.0, 2.0], requires_grad=True) * 1.0)
    assert h.tolist() == [1.0, 2.0, 3.0] and h.op == "mul"
    half = Tensor(np.array([1.0, 2.0], np.float16), requires_grad=True) * 1.0
    half.mul_(Tensor(np.array([0.5, 0.25]), requires_grad=True))      # float64 in: float16
    assert half.dtype == np.float16 and half.tolist() == [0.5, 0.5]


def test_under_no_grad_a_result_is_still_refused_as_not_a_leaf():
    """The recorded write is for a graph being recorded; under no_grad() a result's update is
    usually weights made as randn(..., requires_grad=True) / n, which would silently not train."""
    h = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    for write in (lambda t: t.add_(1.0), lambda t: t.clamp_(0, 1), lambda t: t.fill_(0.0),
                  lambda t: t.copy_([0.0, 0.0]), lambda t: t.lerp_(Tensor([0.0, 0.0]), 0.5)):
        with no_grad(), pytest.raises(RuntimeError, match=r"this tensor \(shape \(2,\)\) is the "
                                                          r"result of mul, not a leaf"):
            write(h)
    assert h.tolist() == [2.0, 4.0]


def test_a_layer_s_output_scaled_in_place_trains_as_pytorchs():
    """The brief's example: h = fc(x); h.mul_(2); a ReLU in place after it, as a PyTorch
    model's forward writes them, and the loss's gradient is that of 2 * fc(x) out of place."""
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(rng.normal(size=3), requires_grad=True)
    x = Tensor(rng.normal(size=(5, 4)))
    grads = []
    for in_place in (True, False):
        h = x @ W.T + b
        if in_place:
            out = h.mul_(2).clamp_(min=0).add_(b, alpha=0.5)
            assert out is h
        else:
            out = (h * 2).clamp(min=0) + 0.5 * b
        (out ** 2).mean().backward()
        grads.append((W.grad.copy(), b.grad.copy()))
        W.grad = b.grad = None
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_a_chain_of_methods_on_a_result_matches_finite_differences():
    x = Tensor(np.array([0.3, -0.2, 1.1]), requires_grad=True)
    w = Tensor(np.array([0.5, 0.7, -0.4]), requires_grad=True)
    assert autograd.gradcheck(
        lambda x, w: (x * 2.0).mul_(w).add_(x, alpha=0.5).addcmul_(w, w).lerp_(w, 0.25)
        .clamp_(-1.5, 1.5).sub_(1.0).div_(w * w + 1.0), x, w)


def test_an_equality_written_into_a_result_is_in_the_graph_and_can_be_written_again():
    """h.eq_(1).add_(1) was refused at add_ (an op's result): PyTorch keeps both in the graph,
    gradient 0 to h's history."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h.eq_(1).add_(1)
    assert h.tolist() == [2.0, 1.0] and h.requires_grad
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_a_write_into_a_result_does_not_hide_an_earlier_change_to_its_inputs():
    """copy_ into a result that a parameter's change left stale: backward still names the op
    whose input changed (the result's history is kept, under the write)."""
    w = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    h = w * w
    with no_grad():
        w.mul_(2.0)
    h.copy_(np.zeros(2))
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 \(shape \(1, 2\)\) "
                                           r"was changed in place"):
        h.sum().backward()


@needs_torch
@pytest.mark.parametrize("write", [
    lambda h, w: h.index_add_(0, like(h, [1, 1]), w, alpha=2.0),
    lambda h, w: h.scatter_add_(1, like(h, [[0, 0], [2, 1]]), w[:, :2]),
], ids=["index_add_", "scatter_add_"])
def test_the_adding_writes_of_indices_are_recorded_on_a_result_too(write):
    """index_add_ and scatter_add_ add as add_ does (`_arithmetic_`): on a result, recorded."""
    x, w = RNG.uniform(-1.0, 1.0, (2, 3)), RNG.uniform(-1.0, 1.0, (2, 3))
    same_as_torch(lambda x, w: (lambda h: write(h, w) * h)(x * 1.5), x, w, rng=RNG)


@pytest.mark.parametrize("draw", [lambda t: t.uniform_(-1.0, 1.0), lambda t: t.normal_(),
                                  lambda t: t.bernoulli_(0.5), lambda t: t.exponential_(),
                                  lambda t: t.random_(0, 5), lambda t: t.geometric_(0.5),
                                  lambda t: t.cauchy_(), lambda t: t.log_normal_()],
                         ids=["uniform_", "normal_", "bernoulli_", "exponential_", "random_",
                              "geometric_", "cauchy_", "log_normal_"])
def test_a_random_fill_of_a_result_is_recorded_with_no_gradient_to_its_old_history(draw):
    """As PyTorch's: h.normal_() on an op's result stays in the graph, gradient 0 behind it;
    an op that used h before cannot backpropagate."""
    x = Tensor(np.array([0.3, -0.6, 0.9]), requires_grad=True)
    h = x * 1.5
    before = h * 1.0
    autograd.manual_seed(0)
    assert draw(h) is h and h.requires_grad and not h.is_leaf
    autograd.manual_seed(0)
    np.testing.assert_array_equal(h.data, draw(Tensor(np.zeros(3))).data)
    (h * h).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 .* written in place"):
        before.sum().backward()
