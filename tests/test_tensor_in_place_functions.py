"""The in-place forms of the ops (autograd/tensor_in_place_functions.py): `t.exp_()`,
`t.relu_()`, `t.addmm_(...)`, `t.unsqueeze_(0)`, ... each `t.<op>(...)` written into t, which
is returned. Checked against PyTorch: the numbers and dtype on a constant; on an op's result in
a graph the gradient through the write (and through the old history); the rules: a parameter
only under no_grad(), an op that used the tensor before the write refused at backward, a view
of a constant writing through, a view in a graph refused, dtypes and shapes kept."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad
from autograd.tensor_in_place_functions import IN_PLACE_FORMS, SHAPE_FORMS
from torch_helpers import like, needs_torch, torch

RNG = np.random.default_rng(7)


def numbers(kind, shape):
    """float64 numbers in an op's domain, away from its edges and kinks."""
    low, high = {"any": (-2.0, 2.0), "pos": (0.2, 2.0), "unit": (-0.8, 0.8),
                 "prob": (0.2, 0.8), "gt1": (1.2, 3.0)}[kind]
    values = RNG.uniform(low, high, shape)
    if kind == "any":                       # away from 0 (relu, sign, abs, floor's kinks)
        values = np.where(np.abs(values) < 0.1, 0.5, values)
        values = np.where(np.abs(values - np.round(values)) < 0.05, values + 0.2, values)
    return values


# (op, the tensor's domain and shape, its arguments given the tensor: of its engine)
CASES = [(name, "any", (2, 3), lambda x: ()) for name in (
    "abs absolute neg negative sign sgn exp exp2 expm1 square sigmoid relu tanh sin cos tan "
    "atan sinh cosh asinh arctan arcsinh erf erfc sinc deg2rad rad2deg floor ceil round trunc "
    "fix frac nan_to_num").split()] + [
    (name, "pos", (2, 3), lambda x: ()) for name in (
        "log log2 log10 log1p sqrt rsqrt reciprocal lgamma digamma i0".split())] + [
    (name, "unit", (2, 3), lambda x: ()) for name in "asin acos atanh arcsin arccos arctanh "
                                                     "erfinv".split()] + [
    (name, "gt1", (2, 3), lambda x: ()) for name in ("acosh", "arccosh")] + [
    ("logit", "prob", (2, 3), lambda x: ()),
    ("logit", "prob", (2, 3), lambda x: (0.3,)),
    ("polygamma", "pos", (2, 3), lambda x: (1,)),
    ("mvlgamma", "gt1", (2, 3), lambda x: (2,)),
    ("round", "any", (2, 3), lambda x: ()),
    ("clamp_min", "any", (2, 3), lambda x: (0.3,)),
    ("clamp_max", "any", (2, 3), lambda x: (0.3,)),
    ("pow", "pos", (2, 3), lambda x: (2.5,)),
    ("pow", "pos", (2, 3), lambda x: (like(x, [0.5, 1.5, 2.0]),)),
    ("float_power", "pos", (2, 3), lambda x: (1.5,)),
    ("atan2", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("arctan2", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("hypot", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("remainder", "any", (2, 3), lambda x: (0.7,)),
    ("fmod", "any", (2, 3), lambda x: (0.7,)),
    ("copysign", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("heaviside", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("nextafter", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("xlogy", "any", (2, 3), lambda x: (like(x, [0.5, 1.5, 2.0]),)),
    ("true_divide", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("floor_divide", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("divide", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("multiply", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("subtract", "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)),
    ("cumsum", "any", (2, 3), lambda x: (1,)),
    ("cumprod", "any", (2, 3), lambda x: (1,)),
    ("tril", "any", (3, 3), lambda x: (0,)),
    ("triu", "any", (3, 3), lambda x: (1,)),
    ("renorm", "any", (3, 4), lambda x: (2, 0, 1.5)),
    ("addmm", "any", (2, 3), lambda x: (like(x, np.ones((2, 4))), like(x, np.arange(12.0)
                                                                        .reshape(4, 3)))),
    ("addmv", "any", (2,), lambda x: (like(x, np.arange(6.0).reshape(2, 3)),
                                     like(x, [1.0, -1.0, 0.5]))),
    ("addr", "any", (2, 3), lambda x: (like(x, [1.0, 2.0]), like(x, [1.0, -1.0, 0.5]))),
    ("baddbmm", "any", (2, 2, 3), lambda x: (like(x, np.ones((2, 2, 4))),
                                             like(x, np.arange(24.0).reshape(2, 4, 3)))),
    ("addbmm", "any", (2, 3), lambda x: (like(x, np.ones((2, 2, 4))),
                                         like(x, np.arange(24.0).reshape(2, 4, 3)))),
    ("index_copy", "any", (2, 3), lambda x: (1, like(x, [2, 0]), like(x, [[5.0, 6.0],
                                                                           [7.0, 8.0]]))),
    ("index_fill", "any", (2, 3), lambda x: (1, like(x, [2, 0]), 0.5)),
    ("index_put", "any", (2, 3), lambda x: ((like(x, [0, 1]), like(x, [2, 0])),
                                            like(x, [5.0, 6.0]))),
    ("index_put", "any", (2, 3), lambda x: ((like(x, [0, 0]),), like(x, [1.0, 2.0, 3.0]),
                                            True)),
    ("put", "any", (2, 3), lambda x: (like(x, [0, -1]), like(x, [5.0, 6.0]))),
    ("masked_scatter", "any", (2, 3), lambda x: (like(x, [True, False, True]),
                                                 like(x, np.arange(6.0)))),
    ("index_reduce", "any", (2, 3), lambda x: (1, like(x, [2, 0, 2]),
                                               like(x, [[5.0, 6.0, -1.0], [7.0, 8.0, 0.5]]),
                                               "amax")),
    ("unsqueeze", "any", (2, 3), lambda x: (1,)),
    ("squeeze", "any", (2, 1, 3), lambda x: ()),
    ("squeeze", "any", (2, 1, 3), lambda x: (1,)),
    ("t", "any", (2, 3), lambda x: ()),
    ("transpose", "any", (2, 3, 4), lambda x: (0, 2)),
    ("swapaxes", "any", (2, 3, 4), lambda x: (1, -1)),
    ("swapdims", "any", (2, 3, 4), lambda x: (0, 1)),
] + [(name, "any", (2, 3), lambda x: (like(x, [[0.5, 0.0, 2.0]]) > 0.1,)) for name in (
    "logical_and logical_or logical_xor".split())] + [
    ("logical_not", "any", (2, 3), lambda x: ())] + [
    (name, "any", (2, 3), lambda x: (like(x, [0.5, -1.5, 2.0]),)) for name in (
        "eq ne lt le gt ge greater greater_equal less less_equal not_equal".split())]
IDS = [f"{name}{len(make(np.zeros(1)))}-{i}" for i, (name, _, _, make) in enumerate(CASES)]
# where PyTorch's gradient is not ours: it has no derivative for heaviside and floor_divide
# (its backward raises), takes nextafter's as 1, and its in-place logical ops leave the
# tensor's old history in place (the gradient passes as if nothing were written); ours are 0
DIFFERENT_IN_TORCH = {"heaviside", "floor_divide", "nextafter", "logical_and", "logical_or",
                      "logical_xor", "logical_not"}
# special functions whose numbers differ from PyTorch's in the 10th digit
SPECIAL = {"polygamma", "digamma", "lgamma", "mvlgamma", "erfinv", "i0"}


def test_every_in_place_form_has_a_case_here():
    assert {name for name, *_ in CASES} == set(IN_PLACE_FORMS)


@needs_torch
@pytest.mark.parametrize("name, kind, shape, make", CASES, ids=IDS)
def test_on_a_constant_the_numbers_are_the_ops_and_pytorchs(name, kind, shape, make):
    data = numbers(kind, shape)
    ours, theirs = Tensor(data.copy()), torch.tensor(data.copy())
    expected = getattr(Tensor(data.copy()), name)(*make(ours))
    assert getattr(ours, name + "_")(*make(ours)) is ours
    assert getattr(theirs, name + "_")(*make(theirs)) is theirs
    np.testing.assert_allclose(ours.data, expected.data, rtol=1e-15)
    np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-12,
                               rtol=1e-8 if name in SPECIAL else 1e-12)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float64
    assert ours.is_leaf and not ours.requires_grad


@needs_torch
@pytest.mark.parametrize("name, kind, shape, make", CASES, ids=IDS)
def test_on_a_result_in_a_graph_the_gradient_goes_through_the_write(name, kind, shape, make):
    """y = x * 1.0; y.<op>_(...): y is the op's result (the same object), and x's gradient
    is the op's (ours out of place, and PyTorch's), through the old history too."""
    data = numbers(kind, shape)
    upstream = RNG.uniform(0.5, 1.5, getattr(Tensor(data), name)(*make(Tensor(data))).shape)
    grads = []
    for in_place in (True, False):
        x = Tensor(data, requires_grad=True)
        y = x * 1.0
        out = getattr(y, name + "_" if in_place else name)(*make(x))
        assert (out is y) == in_place
        if in_place:        # (in the graph, as PyTorch keeps it; a flat op's gradient 0)
            assert out.requires_grad and not out.is_leaf
        if out.requires_grad:
            (out * Tensor(upstream)).sum().backward()
        grads.append((out.data, np.zeros(shape) if x.grad is None else x.grad))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
    if name in DIFFERENT_IN_TORCH:
        return
    tx = torch.tensor(data, requires_grad=True)
    out = getattr(tx * 1.0, name)(*make(tx))
    if out.requires_grad:
        (out * torch.tensor(upstream)).sum().backward()
    tolerance = 1e-8 if name in SPECIAL else 1e-12
    np.testing.assert_allclose(grads[0][0], out.detach().numpy(), rtol=tolerance, atol=1e-12)
    expected = tx.grad.numpy(force=True) if tx.grad is not None else np.zeros(shape)
    np.testing.assert_allclose(grads[0][1], expected, rtol=tolerance, atol=1e-12)


@pytest.mark.parametrize("name, kind, shape, make", CASES, ids=IDS)
def test_a_parameter_is_written_in_its_own_array_under_no_grad_only(name, kind, shape, make):
    data = numbers(kind, shape)
    w = Tensor(data.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"{name}_ on a tensor that requires grad would "
                                           rf"change it behind the graph's back: write it under "
                                           rf"`with no_grad\(\):`"):
        getattr(w, name + "_")(*make(w))
    np.testing.assert_array_equal(w.data, data)
    before = w.data
    with no_grad():
        expected = getattr(w, name)(*make(w))
        assert getattr(w, name + "_")(*make(w)) is w
    np.testing.assert_array_equal(w.data, expected.data)
    assert w.is_leaf and w.requires_grad
    if name not in SHAPE_FORMS:
        assert w.data is before             # (an optimizer's state keeps pointing at it)
    else:
        assert np.shares_memory(w.data, before)


@pytest.mark.parametrize("shape", [(), (1,), (1, 3), (2, 3)], ids=str)
@pytest.mark.parametrize("name, args", [("exp", ()), ("sigmoid", ()), ("relu", ()),
                                        ("atan2", ("other",)), ("pow", (2.5,)),
                                        ("hypot", ("other",)), ("xlogy", ("positive",))])
def test_finite_differences_through_an_in_place_write(shape, name, args):
    """float64, the operand broadcast from (1,) or of the tensor's shape, 0-d and batch-1."""
    def f(x, other):
        y = x * 1.5
        given = [other if a == "other" else other.abs() + 0.5 if a == "positive" else a
                 for a in args]
        return getattr(y, name + "_")(*given) * 1.0
    x = Tensor(np.abs(numbers("any", shape)) + 0.1, requires_grad=True)
    other = Tensor(numbers("any", shape if len(shape) < 2 else (1,)), requires_grad=True)
    assert autograd.gradcheck(f, x, other)


# -- the rules ---------------------------------------------------------------------------------

def test_an_op_that_used_the_tensor_before_the_write_cannot_backpropagate():
    """As PyTorch's version counter: y.sigmoid_() after z = y * w; y's own history is intact."""
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = w.exp()
    z = y * w
    y.sigmoid_()
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 \(shape \(2,\)\) was "
                                           r"written in place \(t \+= w, or through a tensor it "
                                           r"shares numbers with\) after this op used it"):
        z.sum().backward()
    y.sum().backward()                          # d sigmoid(exp w) / dw, with exp's old numbers
    s = 1 / (1 + np.exp(-np.exp(w.data)))
    np.testing.assert_allclose(w.grad, s * (1 - s) * np.exp(w.data))


def test_a_chain_of_writes_backpropagates_as_the_ops_would():
    x = Tensor(np.array([0.3, -0.2, 1.1]), requires_grad=True)
    y = x * 2.0
    y.sigmoid_().exp_().relu_()
    assert y.op == "relu" and y.parents[0].op == "exp"
    assert autograd.gradcheck(lambda x: (lambda y: y.sigmoid_().exp_().relu_())(x * 2.0), x)


@needs_torch
def test_the_views_of_a_written_result_show_its_new_numbers_as_pytorchs_do():
    x, tx = Tensor(np.array([0.5, 1.5]), requires_grad=True), torch.tensor(
        [0.5, 1.5], dtype=torch.float64, requires_grad=True)
    views = []
    for x_ in (x, tx):
        y = x_ * 2.0
        v = y[0]
        y.exp_()
        views.append(v)
    np.testing.assert_allclose(views[0].data, views[1].detach().numpy())


def test_a_view_in_a_graph_is_refused_and_a_constants_view_writes_through():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    h = w * 1.0
    with pytest.raises(RuntimeError, match=r"exp_: this tensor \(shape \(2,\)\) is a view of "
                                           r"another tensor's numbers in a graph .* write "
                                           r"t = t.exp\(\.\.\.\) for a new tensor"):
        h[0].exp_()
    with pytest.raises(RuntimeError, match=r"relu_: this tensor .* is a view"):
        w.view(4).relu_()
    x = Tensor(np.array([[1.0, 4.0], [9.0, 16.0]]))
    row = x[1]
    assert row.sqrt_() is row
    assert x.tolist() == [[1.0, 4.0], [3.0, 4.0]] and row.tolist() == [3.0, 4.0]
    x.T.neg_()                                          # (a transpose's view too)
    assert x.tolist() == [[-1.0, -4.0], [-3.0, -4.0]]


def test_a_constant_given_an_operand_in_a_graph_joins_it():
    """c.atan2_(w), c a constant: c itself becomes atan2(c, w), and w gets its gradient."""
    w = Tensor(np.array([0.5, -2.0]), requires_grad=True)
    c = Tensor(np.array([1.0, 1.0]))
    assert c.atan2_(w) is c and c.requires_grad
    c.sum().backward()
    np.testing.assert_allclose(w.grad, -1.0 / (1.0 + w.data ** 2))    # d atan2(1, w) / dw


def test_the_numpy_bridge_and_a_constants_views_see_the_write():
    n = np.array([1.0, 4.0])
    t = autograd.from_numpy(n)
    t.sqrt_()
    assert n.tolist() == [1.0, 2.0]
    x = Tensor(np.array([[0.0, 1.0], [2.0, 3.0]]))
    first = x[0]
    x.exp_()                                # (a constant takes new numbers; its views follow)
    np.testing.assert_allclose(first.data, np.exp([0.0, 1.0]))


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor([1, 2]).exp_(), TypeError,
     r"exp_: cannot update the tensor \(shape \(2,\), dtype int64\) in place with float32 "
     r"data of shape \(2,\): the result must keep its shape and dtype \(t = t.exp\(\.\.\.\) "
     r"makes a new tensor\)"),
    (lambda: Tensor([1, 2], dtype=np.int32).true_divide_(2), TypeError,
     r"true_divide_: cannot update the tensor .* dtype int32\) in place with float"),
    (lambda: Tensor([1.0, 2.0]).atan2_(Tensor([[1.0], [2.0]])), ValueError,
     r"atan2_: cannot update the tensor \(shape \(2,\), dtype float32\) in place with float32 "
     r"data of shape \(2, 2\)"),
    (lambda: (Tensor([1.0], requires_grad=True) * 1).atan2_(Tensor([[1.0], [2.0]])),
     ValueError, r"atan2_: the result's shape \(2, 1\) is not the tensor's \(1,\)"),
    (lambda: Tensor([1.0, 2.0]).float_power_(2), TypeError,
     r"float_power_: the tensor is float32, and float_power's result is float64"),
    (lambda: Tensor(np.ones((2, 3, 4))).t_(), ValueError, r"t: "),
    (lambda: (Tensor([[1.0]], requires_grad=True) * 1).eq_(1)[0].add_(1), RuntimeError,
     r"add_: this tensor \(shape \(1,\)\) is a view of another tensor's numbers in a graph"),
])
def test_what_an_in_place_write_cannot_do_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_under_no_grad_a_result_in_a_graph_is_refused_as_by_the_other_in_place_ops():
    h = Tensor([1.0], requires_grad=True) * 2
    with no_grad(), pytest.raises(RuntimeError, match=r"relu_: this tensor \(shape \(1,\)\) is "
                                                      r"the result of mul, not a leaf"):
        h.relu_()


@needs_torch
def test_integer_and_bool_tensors_keep_their_dtype_as_in_pytorch():
    for make in (lambda e, d: e([-2, 0, 3], dtype=d),):
        for call in (lambda t: t.neg_(), lambda t: t.abs_(), lambda t: t.sign_(),
                     lambda t: t.relu_(), lambda t: t.eq_(0), lambda t: t.floor_divide_(2),
                     lambda t: t.clamp_min_(1), lambda t: t.square_(), lambda t: t.cumsum_(0),
                     lambda t: t.remainder_(2)):
            ours, theirs = make(Tensor, np.int64), make(torch.tensor, torch.int64)
            assert call(ours) is ours and call(theirs) is theirs
            assert ours.tolist() == theirs.tolist() and ours.dtype == np.int64
    ours, theirs = Tensor([True, False]), torch.tensor([True, False])
    assert ours.logical_not_().tolist() == theirs.logical_not_().tolist() == [False, True]
    assert ours.dtype == np.bool_
    f = Tensor([0.5, 2.0])
    assert f.gt_(1.0).tolist() == [0.0, 1.0] and f.dtype == np.float32


def test_the_shape_forms_change_the_shape_on_the_same_memory():
    data = np.arange(6.0).reshape(2, 3)
    t = Tensor(data)
    assert t.unsqueeze_(0) is t and t.shape == (1, 2, 3)
    assert t.squeeze_().t_().shape == (3, 2) and np.shares_memory(t.data, data)
    assert t.transpose_(0, 1).swapdims_(1, 0).swapaxes_(0, 1).shape == (2, 3)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    rows = x[0]                             # a view made for the old shape stops following x
    x.unsqueeze_(0)
    x.add_(1.0)                             # (a constant takes new numbers)
    assert x.shape == (1, 2, 3) and rows.shape == (3,)


def test_a_shape_form_on_a_result_in_a_graph_and_the_writes_after_it():
    x = Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)
    y = x * 2.0
    y.squeeze_(0)
    assert y.shape == (3,) and not y.is_leaf
    y.relu_()                               # (its own numbers: not refused as a view)
    (y * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad, [[2.0, 0.0, 6.0]])


def test_an_op_that_used_a_constant_before_its_shape_changed_cannot_backpropagate():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    c = Tensor(np.ones((2, 3)))
    out = (w * c).sum()
    c.unsqueeze_(0)
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 1 \(shape \(1, 2, 3\)\) "
                                           r"was changed in place"):
        out.backward()


def test_div_takes_a_rounding_mode_in_place_too():
    t = Tensor([-7, 7])
    assert t.div_(2, rounding_mode="trunc") is t and t.tolist() == [-3, 3]
    assert Tensor([-7.0, 7.0]).div_(2, rounding_mode="floor").tolist() == [-4.0, 3.0]


@needs_torch
def test_the_module_functions_write_in_place_too():
    x = Tensor(np.array([-1.0, 2.0]))
    assert autograd.relu_(x) is x and x.tolist() == [0.0, 2.0]
    theirs = torch.zeros(2, 3, dtype=torch.float64)
    ours = Tensor(np.zeros((2, 3)))
    for t, engine in ((ours, autograd), (theirs, torch)):
        engine.index_put_(t, (like(t, [0, 1]), like(t, [2, 0])), like(t, [5.0, 6.0]))
    assert ours.tolist() == theirs.tolist()


# -- detach_, apply_, map_ and the random fills ------------------------------------------------

def test_detach_makes_the_tensor_itself_a_leaf():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = w * 3.0
    assert h.detach_() is h and h.is_leaf and not h.requires_grad and h.tolist() == [3.0, 6.0]
    (h * w).sum().backward()                # no gradient through h any more
    np.testing.assert_allclose(w.grad, [3.0, 6.0])
    assert w.detach_() is w and not w.requires_grad     # a parameter stops requiring grad
    with pytest.raises(RuntimeError, match=r"detach_: this tensor \(shape \(2,\)\) is a view "
                                           r"of another tensor's numbers in a graph"):
        (Tensor(np.ones((2, 2)), requires_grad=True) * 1.0)[0].detach_()


@needs_torch
def test_apply_and_map_call_a_python_function_per_element_as_pytorchs():
    for engine in (Tensor, torch.tensor):
        assert engine([1, 2]).apply_(lambda v: v * 2.7).tolist() == [2, 5]
        assert engine([1.0, 2.0]).map_(engine([10.0]), lambda a, b: a + b).tolist() == [11.0,
                                                                                        12.0]
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"apply_: this tensor wants a gradient, and apply_ "
                                           r"is not recorded \(as in PyTorch\); call it on "
                                           r"t.detach\(\)"):
        w.apply_(lambda v: v)
    with no_grad():
        assert w.apply_(lambda v: v + 1).tolist() == [2.0]
    with pytest.raises(TypeError, match=r"apply_: takes a function, got int"):
        Tensor([1.0]).apply_(3)
    with pytest.raises(ValueError, match=r"map_: the tensor of shape \(3,\) does not broadcast "
                                         r"to this tensor's shape \(2,\)"):
        Tensor([1.0, 2.0]).map_(Tensor([1.0, 2.0, 3.0]), lambda a, b: a)


def test_the_random_fills_draw_from_their_distributions():
    autograd.manual_seed(0)
    trials = Tensor(np.zeros(200000, dtype=np.int64)).geometric_(0.25)
    assert trials.dtype == np.int64 and trials.data.min() == 1
    assert abs(trials.data.mean() - 4.0) < 0.05                     # 1 / p
    logs = Tensor(np.zeros(200000)).log_normal_(0.5, 0.25)
    assert abs(np.log(logs.data).mean() - 0.5) < 0.005 and abs(np.log(logs.data).std() - 0.25
                                                               ) < 0.005
    c = Tensor(np.zeros(200000)).cauchy_(2.0, 0.5)
    assert abs(np.median(c.data) - 2.0) < 0.01                      # the median
    assert abs(np.percentile(c.data, 75) - 2.5) < 0.02              # median + sigma
    autograd.manual_seed(1)
    first = Tensor(np.zeros(3)).cauchy_().tolist()
    autograd.manual_seed(1)
    assert Tensor(np.zeros(3)).cauchy_().tolist() == first
    for call, message in [
            (lambda: Tensor([0.0]).geometric_(1.0), r"geometric_: p must be in \(0, 1\), got 1"),
            (lambda: Tensor([0.0]).cauchy_(sigma=0), r"cauchy_: sigma must be > 0, got 0"),
            (lambda: Tensor([0.0]).log_normal_(std=-1), r"log_normal_: std must be > 0")]:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(TypeError, match=r"cauchy_: draws fractions, and this tensor's dtype is "
                                        r"int64"):
        Tensor([0]).cauchy_()
    with pytest.raises(RuntimeError, match=r"log_normal_ on a tensor that requires grad"):
        Tensor([0.0], requires_grad=True).log_normal_()
