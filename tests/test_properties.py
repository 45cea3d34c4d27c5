"""Property tests (hypothesis): random broadcasting shapes for the binary ops, and random
expression DAGs (with node reuse) over Values and over Tensors, all checked by gradcheck.

Settings come from the "glassgrad" profile in conftest (deterministic, no example database);
each test sets its own modest example count.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import (array_shapes, arrays, basic_indices,
                                   mutually_broadcastable_shapes)

from autograd import Tensor, Value, gradcheck, where
from autograd.broadcast import unbroadcast

from conftest import sample, t64

# ----------------------------------------------------------------------------------------------
# (1) Binary ops over random broadcastable shapes
# ----------------------------------------------------------------------------------------------

BINARY = {
    # name: (function, numpy reference, domain of a, domain of b)
    "add": (lambda a, b: a + b, np.add, "real", "real"),
    "sub": (lambda a, b: a - b, np.subtract, "real", "real"),
    "mul": (lambda a, b: a * b, np.multiply, "real", "real"),
    "div": (lambda a, b: a / b, np.divide, "real", "nonzero"),
    "pow": (lambda a, b: a ** b, np.power, "pos", "real"),
    "maximum": (lambda a, b: a.maximum(b), np.maximum, "grid", "grid_offset"),
    "minimum": (lambda a, b: a.minimum(b), np.minimum, "grid", "grid_offset"),
    "where": (lambda a, b: where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b),
              "nonzero", "real"),
}


@settings(max_examples=50)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2 ** 16))
def test_binary_ops_broadcast_and_differentiate(shapes, name, seed):
    """For any broadcast-compatible shapes: the result has the broadcast shape and numpy's
    values, each gradient has its input's shape, and gradients match finite differences."""
    fn, ref, da, db = BINARY[name]
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a, b = sample(da, sa, rng), sample(db, sb, rng)
    x, y = t64(a), t64(b)
    out = fn(x, y)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, ref(a, b), rtol=1e-13)
    out.backward(np.ones(out.shape))
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
    assert gradcheck(fn, t64(a), t64(b))


@settings(max_examples=40)
@given(shapes=mutually_broadcastable_shapes(num_shapes=1, max_dims=4, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_unbroadcast_is_the_adjoint_of_broadcasting(shapes, seed):
    """<unbroadcast(g), v> = <g, broadcast_to(v)> for every shape that broadcasts to g's."""
    (shape,), gshape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    g, v = rng.normal(size=gshape), rng.normal(size=shape)
    u = unbroadcast(g, shape)
    assert np.shape(u) == shape
    assert np.isclose(np.sum(u * v), np.sum(g * np.broadcast_to(v, gshape)), rtol=1e-12,
                      atol=1e-12)



# Indexing: any mix of numpy's index kinds, its values and its gradient (the adjoint: the
# upstream gradient added back where each element came from, repeats adding up)

@st.composite
def _indexed_shapes(draw):
    """A shape (0-d to 4-d, sides 0 to 4) and an index into it: numpy's basic indices (ints,
    negative too, slices with any nonzero step, ..., None), a bool mask over its first axes
    (0-d and all-False ones too), or integer arrays (of one shape, with repeats and negative
    entries, as arrays, lists or Tensors) among ints, slices, None and ...: numpy's rules
    place the arrays' axes first when a basic index separates them."""
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    kind = draw(st.sampled_from(["basic", "mask", "mixed"]))
    if kind == "basic":
        return shape, draw(basic_indices(shape, min_dims=0, allow_newaxis=True))
    if kind == "mask":
        k = draw(st.integers(0, len(shape)))
        return shape, draw(arrays(np.bool_, shape[:k]))
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    common = draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    k = draw(st.integers(1, len(shape)))
    array_at = draw(st.integers(0, k - 1))                  # at least one integer array
    parts = []
    for axis, n in enumerate(shape[:k]):
        choice = "array" if axis == array_at else draw(
            st.sampled_from(["array", "int", "slice", "none"]))
        if choice == "array":
            form = draw(st.sampled_from([np.asarray, lambda a: a.tolist(), Tensor]))
            parts.append(form(draw(arrays(np.int64, common, elements=st.integers(-n, n - 1)))))
        elif choice == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif choice == "slice":
            start, stop = draw(st.none() | st.integers(-5, 5)), draw(st.none() | st.integers(-5, 5))
            parts.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -3]))))
        else:
            parts += [None, slice(None)]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), Ellipsis)
    return shape, tuple(parts)


def _numpy_index(index):
    if isinstance(index, tuple):
        return tuple(_numpy_index(i) for i in index)
    return index.data if isinstance(index, Tensor) else index


@settings(max_examples=150)
@given(case=_indexed_shapes(), seed=st.integers(0, 2 ** 16))
def test_indexing_matches_numpy_and_its_gradient_is_the_scatter_back(case, seed):
    """x[index] has numpy's shape and values (its rules for advanced indices beside basic
    ones too); its gradient is np.add.at of the upstream gradient at the index, so an
    element picked twice gets the sum of both gradients, and one never picked gets 0."""
    shape, index = case
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    expected = a[_numpy_index(index)]
    x = t64(a)
    y = x[index]
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y.data, expected)
    g = rng.normal(size=y.shape)
    y.backward(g)
    scattered = np.zeros(shape)
    np.add.at(scattered, _numpy_index(index), g)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad, scattered, rtol=1e-13, atol=0)


# ----------------------------------------------------------------------------------------------
# (2) Random expression DAGs with node reuse
# ----------------------------------------------------------------------------------------------

# Smooth everywhere on the reals (no kinks, no poles, bounded growth), for Value and Tensor.
UNARY_OPS = [
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("log1p_sq", lambda x: (x * x + 1.0).log()),
    ("sqrt1p_sq", lambda x: (x * x + 1.0).sqrt()),
    ("exp_tanh", lambda x: x.tanh().exp()),
    ("neg", lambda x: -x),
    ("cube_tanh", lambda x: x.tanh() ** 3),
    ("affine", lambda x: 0.5 - 2.0 * x),
    ("sin", lambda x: x.sin()),
    ("cos_scaled", lambda x: (3.0 * x).cos()),
]
BINARY_OPS = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0)),
    ("pow", lambda a, b: (a * a + 0.5) ** b.tanh()),
]
# Tensor-only ops along the last axis (of a 0-d input: its one number, as in PyTorch)
TENSOR_OPS = [
    ("sum_keep", lambda x: x.sum(axis=-1, keepdims=True)),
    ("mean0_keep", lambda x: x.mean(axis=0, keepdims=True)),
    ("softmax", lambda x: x.softmax(axis=-1)),
    ("logsumexp_keep", lambda x: x.logsumexp(axis=-1, keepdims=True)),
    ("transpose_back", lambda x: x.T.T),
]


@st.composite
def programs(draw, unary, binary, n_inputs):
    """A random DAG: each step applies an op to earlier nodes (inputs or results, reused
    freely, possibly the same node twice)."""
    steps = []
    for k in range(draw(st.integers(1, 7))):
        n_nodes = n_inputs + k
        if draw(st.booleans()):
            op = draw(st.sampled_from(range(len(unary))))
            steps.append(("u", op, draw(st.integers(0, n_nodes - 1))))
        else:
            op = draw(st.sampled_from(range(len(binary))))
            steps.append(("b", op, draw(st.integers(0, n_nodes - 1)),
                          draw(st.integers(0, n_nodes - 1))))
    return steps


def run(program, unary, binary, inputs):
    """Evaluate a program; the output combines the last node with one reused earlier node."""
    nodes = list(inputs)
    for step in program:
        if step[0] == "u":
            nodes.append(unary[step[1]][1](nodes[step[2]]))
        else:
            nodes.append(binary[step[1]][1](nodes[step[2]], nodes[step[3]]))
    return nodes[-1] * nodes[len(nodes) // 2] + nodes[-1]


VALUE_UNARY, VALUE_BINARY = UNARY_OPS, BINARY_OPS
TENSOR_UNARY = UNARY_OPS + TENSOR_OPS



def _three_inputs(seed: int) -> list[float]:
    """Three distinct numbers with |x| in [0.2, 1] and random signs. Not hypothesis' floats:
    those are mostly 0, ±1 or all equal (a third of the examples were [0, 0, 0]), points where a
    rule that swaps a and b, or returns x for x², passes the check."""
    rng = np.random.default_rng(seed)
    return [float(x) for x in rng.uniform(0.2, 1.0, 3) * rng.choice([-1.0, 1.0], 3)]


inputs_1d = st.integers(0, 2 ** 32 - 1).map(_three_inputs)


@settings(max_examples=150)
@given(program=programs(VALUE_UNARY, VALUE_BINARY, 3), xs=inputs_1d)
def test_random_value_dags(program, xs):
    """Any DAG of Value ops: backprop equals finite differences for every input."""
    assert gradcheck(lambda *v: run(program, VALUE_UNARY, VALUE_BINARY, v),
                     *[Value(x) for x in xs])


TENSOR_SHAPES = [(3,), (2, 3), (1, 3), (2, 1), ()]


@settings(max_examples=150)
@given(program=programs(TENSOR_UNARY, BINARY_OPS, 3),
       shapes=st.lists(st.sampled_from(TENSOR_SHAPES), min_size=3, max_size=3),
       seed=st.integers(0, 2 ** 16))
def test_random_tensor_dags(program, shapes, seed):
    """Any DAG of Tensor ops over broadcasting inputs (0-d and batch-1 ones among them):
    gradients have the inputs' shapes and equal finite differences."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.0, 1.0, s) for s in shapes]
    f = lambda *t: run(program, TENSOR_UNARY, BINARY_OPS, t)
    xs = [t64(a) for a in arrays]
    out = f(*xs)
    out.backward(np.ones(out.shape))
    assert all(x.grad is None or x.grad.shape == x.shape for x in xs)
    assert gradcheck(f, *[t64(a) for a in arrays])


@settings(max_examples=40)
@given(program=programs(VALUE_UNARY, VALUE_BINARY, 3), xs=inputs_1d)
def test_value_and_tensor_engines_agree(program, xs):
    """The same scalar program on Values and on 0-d float64 Tensors: same value and same
    gradients (the two facades share one core and one set of rules)."""
    vs = [Value(x) for x in xs]
    ts = [Tensor(np.float64(x), requires_grad=True) for x in xs]
    vo = run(program, VALUE_UNARY, VALUE_BINARY, vs)
    to = run(program, VALUE_UNARY, VALUE_BINARY, ts)
    assert np.isclose(to.data, vo.data, rtol=1e-13, atol=0)
    vo.backward()
    to.backward()
    for v, t in zip(vs, ts):
        tg = 0.0 if t.grad is None else float(t.grad)
        assert np.isclose(v.grad, tg, rtol=1e-12, atol=1e-14)
