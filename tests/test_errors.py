"""Mistakes are reported where they are made, with the right exception type and a message that
says what was expected (the shapes, the type, the op)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Function, Tensor, Value, grad
from autograd import functional as F
from nn import functional as NF

from conftest import strict, t64


def test_value_of_a_string():
    """Value('a'): TypeError naming the type it got."""
    with pytest.raises(TypeError, match="str"):
        Value("a")


@pytest.mark.parametrize("data, hint", [
    # micrograd's demo makes its inputs with list(map(Value, xrow)): Value(xrow) is the slip
    (np.array([0.5, -1.0]), r"a Value holds one number and this array has shape \(2,\): "
                            r"one Value per number, \[Value\(x\) for x in row\] \(micrograd's "
                            r"demo: list\(map\(Value, xrow\)\)\), or a Tensor for an array"),
    (np.array([0.5]), r"an array of one number: Value\(array\.item\(\)\)"),
    ([Value(1.0), Value(2.0)], r"these are Values already \(nodes\): use them as they are; "
                               r"sum\(values\) adds them"),
    ([1.0, 2.0], r"a list of 2 numbers: one Value per number, \[Value\(x\) for x in xs\]"),
    (Value(2.0), r"it is a Value already: use it as it is \(it stays in the graph\), or "
                 r"Value\(v\.data\) for a new leaf holding its number"),
    ("3", r"a string: convert it first, Value\(float\('3'\)\)"),
    (None, r"None: a variable never given a number, or a function's result that has no return"),
])
def test_value_of_what_is_not_a_number_says_what_to_write(data, hint):
    """The slips a learner makes building Values get, after what was given, what to write."""
    with pytest.raises(TypeError, match=r"^Value: expected a real number \(int, float or numpy "
                                        r"scalar\), got .*; " + hint):
        Value(data)


def test_value_of_a_list():
    """Value([1]): TypeError (a list is not a scalar)."""
    with pytest.raises(TypeError, match="list"):
        Value([1])


def test_value_domain_errors():
    """log of a non-positive and sqrt of a negative Value: ValueError naming the op."""
    with pytest.raises(ValueError, match="log"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="sqrt"):
        Value(-1.0).sqrt()
    for x in (float("inf"), float("-inf")):             # math's own words: "math domain error"
        with pytest.raises(ValueError, match=f"sin: needs a finite input, got {x!r}"):
            Value(x).sin()
        with pytest.raises(ValueError, match=f"cos: needs a finite input, got {x!r}"):
            Value(x).cos()


def test_value_power_overflow_and_division_by_zero_name_pow():
    """Python's float power raises on overflow and on 0 ** negative: the message names pow and
    its operands, forward and backward (a numpy exponent behaves as the Python number)."""
    with pytest.raises(OverflowError, match=r"pow: 1e\+200 \*\* 2 is too large for a float"):
        Value(1e200) ** 2
    with pytest.raises(OverflowError, match="pow: 1e\\+200"):
        Value(1e200) ** np.int64(2)
    with pytest.raises(ZeroDivisionError, match="pow: 0.0 \\*\\* -1 divides by zero"):
        Value(0.0) ** np.int64(-1)
    y = Value(1e-120) ** -2                       # 1e240 is fine; its slope -2e360 is not
    with pytest.raises(OverflowError, match="backward of pow: the derivative is too large"):
        y.backward()
    z = Value(0.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match="backward of pow: the derivative is infinite"):
        z.backward()


def test_value_minus_infinity_to_a_fractional_power_is_not_a_real_number():
    """As (-4.0) ** 0.5: Python's float power gave inf for (-inf) ** 0.5 and 0.0 for
    (-inf) ** -0.5, as if the base were positive. Whole powers (and ±inf) are still real."""
    for exponent in (0.5, -0.5, 2.5, np.float64(-1.5)):
        with pytest.raises(ValueError, match=r"pow: -inf \*\* .* is not a real number"):
            Value(-math.inf) ** exponent
        with pytest.raises(ValueError, match=r"pow: -inf \*\* .* is not a real number"):
            Value(-math.inf) ** Value(float(exponent))
        with pytest.raises(ValueError, match=r"pow: -inf \*\* .* is not a real number"):
            (-math.inf) ** Value(float(exponent))
    assert [(Value(-math.inf) ** e).data for e in (2, 3, -1, 2.0, math.inf, -math.inf)] == \
        [math.inf, -math.inf, -0.0, math.inf, math.inf, 0.0]
    assert (Value(math.inf) ** 0.5).data == math.inf and (Value(math.inf) ** -0.5).data == 0.0


def test_integer_tensor_to_a_negative_power_names_pow_and_the_fix():
    """numpy's 'Integers to negative integer powers are not allowed' named no op."""
    with pytest.raises(ValueError, match=r"pow: an integer tensor \(dtype int64\) to the "
                                         r"negative power -1 has no integer result; make it "
                                         r"floating first: t.astype\('float32'\) \*\* -1"):
        Tensor(np.array([2, 3], dtype=np.int64)) ** -1
    assert (Tensor([2, 4]).astype("float32") ** -1).data.tolist() == [0.5, 0.25]


def test_value_with_an_array_says_to_use_a_tensor():
    """Value * ndarray (either side, every operator): one clear TypeError, not numpy's words
    about ufuncs; numpy scalars are still numbers."""
    array = np.array([1.0, 2.0])
    for combine in (lambda v: v * array, lambda v: array * v, lambda v: v + array,
                    lambda v: array - v, lambda v: v / array, lambda v: array / v,
                    lambda v: v ** array, lambda v: array ** v):
        with pytest.raises(TypeError, match=r"a Value holds one number .* shape \(2,\); use a "
                                            r"Tensor"):
            combine(Value(2.0))
    assert (np.float64(2.0) * Value(3.0)).data == 6.0


def test_tensor_of_strings():
    """Tensor(['a', 'b']): TypeError mentioning the dtype."""
    with pytest.raises(TypeError, match="dtype"):
        Tensor(["a", "b"])


def test_tensor_from_value():
    """A Value is not array data."""
    with pytest.raises(TypeError, match="Value"):
        Tensor(Value(1.0))


def test_integer_tensor_cannot_require_grad():
    """Only floating tensors can require grad: TypeError naming the dtype."""
    with pytest.raises(TypeError, match="int64"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError):
        Tensor(np.array([1, 2], dtype=np.int32)).requires_grad_()


def test_matmul_shapes_not_aligned():
    """(3,4) @ (5,2): ValueError naming matmul and both shapes."""
    with pytest.raises(ValueError) as err:
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    msg = str(err.value)
    assert "matmul" in msg and "(3, 4)" in msg and "(5, 2)" in msg


def test_matmul_batch_dims_not_broadcastable():
    """(2,3,4) @ (3,4,5): inner dims agree but batches 2 and 3 do not; both shapes named."""
    with pytest.raises(ValueError) as err:
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))
    assert "(2, 3, 4)" in str(err.value) and "(3, 4, 5)" in str(err.value)


def test_matmul_of_a_scalar():
    """0-d operands are not matrices: ValueError pointing to *."""
    with pytest.raises(ValueError, match="matmul"):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_add_shapes_not_broadcastable():
    """(3,) + (4,): ValueError naming the op and both shapes."""
    with pytest.raises(ValueError) as err:
        Tensor(np.ones(3)) + Tensor(np.ones(4))
    msg = str(err.value)
    assert "add" in msg and "(3,)" in msg and "(4,)" in msg


def test_backward_on_non_scalar_needs_gradient():
    """backward() of a (2, 3) tensor without a gradient: RuntimeError mentioning the shape."""
    y = t64(np.ones((2, 3))) * 2.0
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        y.backward()


def test_backward_with_wrong_shaped_gradient():
    """The seed must have the output's shape: ValueError naming both shapes."""
    y = t64(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError) as err:
        y.backward(np.ones((3, 2)))
    assert "(2, 3)" in str(err.value) and "(3, 2)" in str(err.value)


def test_backward_without_requires_grad():
    """Nothing requires grad: RuntimeError saying so (Value and Tensor)."""
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Value(1.0, requires_grad=False) * 2.0).backward()


def test_backward_from_a_step_function_names_it():
    """x.sign() is a constant here (PyTorch records a zero slope): "no input requires grad"
    alone misled, as x does require grad (FGSM code differentiating through sign)."""
    x = Tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"by a step function such as sign, round, floor"):
        x.sign().sum().backward()
    with pytest.raises(RuntimeError, match=r"^grad: output 0 .* step function such as sign"):
        grad(x.round().sum(), x)


def test_reduction_axis_out_of_range():
    """sum(axis=5) on a 2-d tensor: ValueError naming the axis."""
    with pytest.raises(ValueError, match="axis 5"):
        Tensor(np.ones((2, 3))).sum(axis=5)
    with pytest.raises(ValueError, match="axis"):
        Tensor(np.ones((2, 3))).mean(axis=(0, 0))


def test_reshape_to_incompatible_shape():
    """6 elements cannot become (4, 2): ValueError naming both shapes."""
    with pytest.raises(ValueError) as err:
        Tensor(np.ones((2, 3))).reshape(4, 2)
    assert "(2, 3)" in str(err.value) and "(4, 2)" in str(err.value)


def test_other_shape_errors():
    """broadcast_to, transpose, concatenate and stack reject impossible shapes."""
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="broadcast_to"):
        x.broadcast_to((4, 3))
    with pytest.raises(ValueError, match="transpose"):
        x.transpose((0, 0))                     # numpy's permutation form
    with pytest.raises(ValueError, match="transpose: axis 2 is out of range"):
        x.transpose(0, 2)                       # PyTorch's two axes to swap
    with pytest.raises(ValueError, match="concatenate"):
        F.concatenate([x, Tensor(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        F.stack([x, Tensor(np.ones((3, 2)))])


def test_custom_function_wrong_number_of_gradients():
    """backward returning 1 gradient for 2 inputs: ValueError."""

    class Bad(Function):
        def forward(ctx, a, b):
            return a * b

        def backward(ctx, g, out, a, b):
            return g * b

    with pytest.raises(ValueError, match="Bad"):
        Bad.apply(t64([1.0]), t64([2.0])).sum().backward()


def test_custom_function_wrong_shaped_gradient():
    """backward returning a (2,) gradient for a (3,) input: ValueError naming the op."""

    class Shrink(Function):
        def forward(ctx, x):
            return x * 1.0

        def backward(ctx, g, out, x):
            return (g[:2],)

    with pytest.raises(ValueError, match="Shrink"):
        Shrink.apply(t64([1.0, 2.0, 3.0])).sum().backward()


def test_cross_entropy_labels_out_of_range():
    """A label equal to the number of classes (or negative): ValueError naming the range."""
    z = t64(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        F.cross_entropy(z, np.array([-1, 0]))


def test_cross_entropy_other_misuse():
    """Wrong number of labels, wrong target shape, unknown reduction, 1-d logits."""
    z = t64(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        F.cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError):
        F.cross_entropy(z, np.ones((2, 2)) / 2)
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(z, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="2-d"):
        F.cross_entropy(t64(np.zeros(3)), np.array([0]))


def test_linear_shape_errors():
    """linear checks weight rank, the input's last dim and the bias shape."""
    x, W = t64(np.ones((4, 3))), t64(np.ones((2, 3)))     # W: (out, in)
    with pytest.raises(ValueError, match="weight"):
        F.linear(x, t64(np.ones(3)))
    with pytest.raises(ValueError, match="last input dim"):
        F.linear(t64(np.ones((4, 2))), W)
    with pytest.raises(ValueError, match="bias"):
        F.linear(x, W, t64(np.ones(3)))


def test_item_and_clip_misuse():
    """item() of a multi-element tensor, clip without bounds or with min > max."""
    x = Tensor(np.ones(3))
    with pytest.raises(ValueError, match="item"):
        x.item()
    with pytest.raises(ValueError, match="clip"):
        x.clip()
    with pytest.raises(ValueError, match="clip"):
        x.clip(1.0, 0.0)


def test_requires_grad_only_on_leaves():
    """A computed tensor cannot change requires_grad (use detach)."""
    y = t64([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_mixing_tensor_and_value():
    """A Tensor and a Value do not combine."""
    with pytest.raises(TypeError):
        Tensor([1.0]) + Value(1.0)


def test_index_out_of_range():
    """Indexing errors name the tensor's shape."""
    with pytest.raises(IndexError, match=r"\(3,\)"):
        Tensor(np.ones(3))[5]


def test_truth_value_of_a_tensor():
    """`if t:` must mean what it says (PyTorch's and numpy's rule): a one-element tensor is
    true when its element is non-zero, a comparison result uses its value, and a tensor of
    several elements is ambiguous (an error), never silently True because it has a length."""
    assert not bool(Tensor([0.0]))
    assert bool(Tensor([2.0]))
    assert not bool(Tensor([-1.0]) > 0)
    assert not bool(Tensor(0.0))
    with pytest.raises((ValueError, RuntimeError, TypeError)):
        bool(Tensor([1.0, 2.0]))


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.flatten(5), ValueError, r"flatten: axis 5 is out of range for a tensor with 2 dims"),
    (lambda t: t.swapaxes(0, 5), ValueError, r"swapaxes: axis 5 is out of range"),
    (lambda t: t.max(0.5), TypeError, r"max: an axis must be an int \(or a tuple of ints\), got 0.5"),
    (lambda t: t.sum(axis=[0, 1.0]), TypeError, r"sum: an axis must be an int.*got 1.0"),
    (lambda t: Tensor([True, False]).abs(), TypeError, r"abs: a bool tensor"),
    (lambda t: F.concatenate([Tensor(1.0), Tensor(2.0)]), ValueError,
     r"concatenate: 0-d tensors have no axis.*use stack"),
    (lambda t: F.concatenate(t, t), TypeError,
     r"concatenate: takes a list of tensors and then the axis, got one Tensor of shape \(2, 3\); "
     r"write concatenate\(\[a, b\], axis=0\)"),
    (lambda t: F.stack(t.data, 1), TypeError, r"stack: takes a list of tensors .* got one ndarray"),
    (lambda t: Tensor([[1.0, 2.0], [3.0]]), ValueError,
     r"Tensor: the nested lists must be rectangular \(rows of equal length\)"),
])
def test_tensor_arguments_are_checked_where_they_are_given(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros((2, 3))))


@pytest.mark.parametrize("name, call", [
    ("clip", lambda v: F.clip(v, -1, 1)), ("maximum", lambda v: F.maximum(v, 0.1)),
    ("minimum", lambda v: F.minimum(v, 0.1)), ("logsumexp", F.logsumexp),
    ("softmax", F.softmax), ("log_softmax", F.log_softmax)])
def test_tensor_only_functions_name_themselves_for_a_value(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: works on Tensors, got a Value"):
        call(Value(0.7))


@pytest.mark.parametrize("name, call", [
    ("softmax", F.softmax), ("log_softmax", F.log_softmax), ("logsumexp", F.logsumexp),
    ("exp", F.exp), ("tanh", F.tanh), ("cross_entropy", lambda v: F.cross_entropy([v], [1])),
    ("linear", lambda v: F.linear([v], Tensor(np.ones((1, 2)))))])
def test_a_list_of_values_is_refused_by_name_with_the_value_way(name, call):
    """The micrograd exercises' logits are a list of Values; numpy would see only objects."""
    logits = [Value(0.5), Value(-1.0)]
    with pytest.raises(TypeError, match=rf"^{name}: got a list of Values, which is not a "
                                        rf"Tensor.*counts = \[v.exp\(\) for v in values\]"):
        call(logits)


def test_labels_numbered_from_one_get_a_hint():
    logits = Tensor(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\), got values in \[1, 3\] "
                                         r"\(labels numbered from 1\? pass y - 1\)"):
        F.cross_entropy(logits, [1, 2, 3])
    with pytest.raises(ValueError, match=r"got values in \[0, 5\] \(3 columns of scores, but "
                                         r"label 5 needs 6: does the model have one output per "
                                         r"class\?\)$"):
        F.cross_entropy(logits, [0, 1, 5])
    with pytest.raises(ValueError, match=r"one column of scores: for two classes use "
                                         r"binary_cross_entropy_with_logits"):
        F.cross_entropy(Tensor(np.zeros((3, 1))), [0, 1, 0])       # a binary model
    with pytest.raises(ValueError, match=r"got values in \[-1, 1\]$"):
        F.cross_entropy(logits, [-1, 0, 1])


def test_a_uint8_label_out_of_range_names_the_label_it_needs():
    """uint8's 255 + 1 wrapped round to 0 ("label 255 needs 0"), with numpy's overflow warning."""
    labels = np.array([0, 1, 255], dtype=np.uint8)
    for kwargs in ({}, {"ignore_index": 7}):
        with strict(), pytest.raises(ValueError, match=r"label 255 needs 256: does the model"):
            F.cross_entropy(Tensor(np.zeros((3, 4))), labels, **kwargs)


def test_a_tensor_of_values_is_refused_with_the_way_to_take_their_numbers():
    with pytest.raises(TypeError, match=r"Tensor: got Values among the data; .*"
                                        r"Tensor\(\[v\.data for v in values\]\)"):
        Tensor([Value(1.0), Value(2.0)])


# Each mistake below gave numpy's or Python's own words (an AxisError, "operands could not be
# broadcast together", "'float' object is not iterable", ...), naming no op.
_x23 = Tensor(np.ones((2, 3), np.float32), requires_grad=True)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.argmax(5), ValueError, r"^argmax: axis 5 is out of range for a tensor with 2 "),
    (lambda x: x.argmin(-5), ValueError, r"^argmin: axis -5 is out of range"),
    (lambda x: x.argmax(dim=5), ValueError, r"^argmax: axis 5 is out of range"),
    (lambda x: x.argmax(1.0), TypeError, r"^argmax: the axis must be one int .*got 1.0"),
    (lambda x: Tensor(np.zeros((0, 3))).argmax(0), ValueError,
     r"^argmax: the tensor of shape \(0, 3\) is empty along the reduced axes \(the argmax of "
     r"no numbers is undefined\)"),
    (lambda x: Tensor(np.zeros((0, 3))).argmin(), ValueError, r"^argmin: the tensor .* empty"),
    (lambda x: (x > 0).all(5), ValueError, r"^all: axis 5 is out of range"),
    (lambda x: (x > 0).any(dim=-3), ValueError, r"^any: axis -3 is out of range"),
    (lambda x: x.roll(1, 1.0), TypeError, r"^roll: dims must be an int or a sequence of ints, "
                                          r"got 1.0"),
    (lambda x: x.roll(0.5, 1), TypeError, r"^roll: shifts must be an int .*got 0.5"),
    (lambda x: x.split(1.5, 1), TypeError, r"^split: split_size_or_sections must be an int or "
                                           r"a sequence of ints, got 1.5"),
    (lambda x: x.reshape(-2, 3), ValueError, r"^reshape: invalid size -2 in the shape \(-2, 3\)"),
    (lambda x: x.view((3, -4)), ValueError, r"^view: invalid size -4 in the shape \(3, -4\)"),
])
def test_axes_sizes_and_arguments_are_checked_by_the_op(call, error, message):
    with pytest.raises(error, match=message):
        call(_x23)


@pytest.mark.parametrize("symbol, call", [
    ("<", lambda x, y: x < y), ("<=", lambda x, y: x <= y), (">", lambda x, y: x > y),
    (">=", lambda x, y: x >= y), ("//", lambda x, y: x // y),
    ("isclose", lambda x, y: x.isclose(y)), ("allclose", lambda x, y: x.allclose(y))])
def test_comparisons_with_shapes_that_do_not_broadcast_name_the_op(symbol, call):
    y = Tensor(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=rf"^{symbol}: shapes \(2, 3\) and \(3, 2\) cannot be "
                                         rf"broadcast together"):
        call(_x23, y)


def test_setitem_with_a_value_of_the_wrong_shape_names_both_shapes():
    t = Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"^setitem: t\[index\] = value on a tensor of shape "
                                         r"\(2, 3\): the index picks a part of shape \(3,\), and "
                                         r"a value of shape \(4,\) does not broadcast to it"):
        t[0] = np.ones(4)
    t[0] = np.zeros(3)                          # what fits is written
    assert t.tolist() == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]


def test_bool_tensors_have_no_negative_difference_or_negative_power():
    flags = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match=r"^neg: a bool tensor has no negative; use ~t"):
        -flags
    with pytest.raises(TypeError, match=r"^sub: not defined for two bool tensors"):
        flags - flags
    with pytest.raises(ValueError, match=r"^pow: a bool tensor \(dtype bool\) to the negative "
                                         r"power -1"):
        flags ** -1
    with pytest.raises(TypeError, match=r"^mse_loss: the prediction and the target are both "
                                        r"bool tensors"):
        NF.mse_loss(flags, flags)
    assert (~flags).tolist() == [False, True] and (-flags.float()).tolist() == [-1.0, -0.0]


_ENGINES = (r"cannot combine a Tensor with a Value: a Value is one number of the scalar engine; "
            r"use Tensor\(v.data\) for its number \(no gradient flows back to the Value\), or "
            r"keep to one engine")


@pytest.mark.parametrize("name, call", [
    ("add", lambda x, v: x + v), ("add", lambda x, v: v + x), ("mul", lambda x, v: x * v),
    ("maximum", lambda x, v: x.maximum(v)), ("==", lambda x, v: x == v),
    ("==", lambda x, v: v == x), ("<", lambda x, v: x < v), ("isclose", lambda x, v: x.isclose(v)),
    ("//", lambda x, v: x // v), ("clamp", lambda x, v: x.clamp(v)),
    ("where", lambda x, v: F.where(x.data > 0, x, v))])
def test_a_value_among_tensor_operands_is_refused_by_the_op_with_the_way_out(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: {_ENGINES}"):
        call(_x23, Value(1.0))


def test_functions_given_a_value_say_it_is_a_value():
    with pytest.raises(TypeError, match=r"^linear: works on Tensors, got a Value"):
        F.linear(Value(1.0), Tensor(np.ones((4, 3), np.float32)))
    with pytest.raises(TypeError, match=r"^binary_cross_entropy_with_logits: the target is a "
                                        r"Value, one number of the scalar engine"):
        NF.binary_cross_entropy_with_logits(_x23, Value(1.0))


_X = Tensor([[1.0, 2.0]])


@pytest.mark.parametrize("name, call", [
    ("add", lambda: _X + None), ("add", lambda: None + _X), ("mul", lambda: _X * None),
    ("matmul", lambda: _X @ None),
    (r"concatenate: tensors\[1\]", lambda: F.concatenate((_X, None))),
    (r"stack: tensors\[0\]", lambda: F.stack([None, _X])),
    ("linear", lambda: NF.linear(None, _X)), ("softmax", lambda: NF.softmax(None, dim=-1)),
    ("cross_entropy", lambda: NF.cross_entropy(None, Tensor([0]))),
    ("Tensor", lambda: Tensor(None)),
])
def test_a_none_names_the_op_and_the_missing_return_that_gave_it(name, call):
    """A forward() without `return` hands None to the next op: said so, not 'dtype object'."""
    with pytest.raises(TypeError, match=rf"^{name}: got None where numbers belong: a function "
                                        rf"that ends without `return` gives None"):
        call()
