"""batch_norm in training as one op (autograd.ops.normalize.BatchNorm): the same numbers as the
formula built from ordinary ops, its values and gradients of the first, second and third order,
for 2-d (N, C), 3-d (N, C, L) and 4-d (N, C, H, W) inputs, with and without weight and bias."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck
from nn.functional import batch_norm

from conftest import t64


def composite_batch_norm(x, weight=None, bias=None, eps=1e-5):
    """The formula of nn.normalization's docstring, made of ordinary ops (the reference)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    centred = x - x.mean(axes, keepdims=True)
    y = centred * ((centred * centred).mean(axes, keepdims=True) + eps) ** -0.5
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def fused(x, weight=None, bias=None):
    return batch_norm(x, None, None, weight, bias, training=True)


CASES = {"(N, C)": ((5, 3), True, True), "(N, C, L)": ((4, 3, 6), True, True),
         "(N, C, H, W)": ((3, 2, 3, 4), True, True), "batch of 1": ((1, 2, 2, 3), True, True),
         "no weight": ((4, 3, 5), False, True), "no bias": ((4, 3, 5), True, False),
         "neither": ((3, 2, 2, 2), False, False)}


def _case(rng, name):
    shape, weighted, biased = CASES[name]
    x = t64(rng.normal(2.0, 3.0, size=shape))
    weight = t64(rng.normal(size=shape[1])) if weighted else None
    bias = t64(rng.normal(size=shape[1])) if biased else None
    return x, weight, bias, rng.normal(size=shape)


def _present(x, weight, bias):
    return [t for t in (x, weight, bias) if t is not None]


@pytest.mark.parametrize("case", CASES)
def test_one_node_gives_the_composite_formulas_values_and_gradients(rng, case):
    x, weight, bias, g = _case(rng, case)
    y = fused(x, weight, bias)
    assert y.op == "batch_norm" and y.parents == tuple(_present(x, weight, bias))
    y.backward(g)
    ours = [t.grad for t in _present(x, weight, bias)]
    for t in _present(x, weight, bias):
        t.zero_grad()
    reference = composite_batch_norm(x, weight, bias)
    reference.backward(g)
    np.testing.assert_allclose(y.data, reference.data, rtol=1e-13, atol=1e-13)
    for mine, theirs in zip(ours, [t.grad for t in _present(x, weight, bias)]):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_finite_differences(rng, case):
    x, weight, bias, r = _case(rng, case)
    n_in = len(_present(x, weight, bias))

    def loss(*inputs):
        x, rest = inputs[0], list(inputs[1:])
        w = rest.pop(0) if weight is not None else None
        b = rest.pop(0) if bias is not None else None
        return (Tensor(r) * fused(x, w, b).tanh()).sum()
    assert n_in == len(_present(x, weight, bias))
    assert gradcheck(loss, *_present(x, weight, bias))


def test_the_weight_of_a_batch_norm_on_data_gets_its_gradient(rng):
    """x that needs no gradient (the data itself): weight and bias still get theirs."""
    x = Tensor(rng.normal(size=(6, 2, 3)))
    weight, bias = t64(rng.normal(size=2)), t64(rng.normal(size=2))
    (fused(x, weight, bias) ** 2).sum().backward()
    xhat = composite_batch_norm(x).data
    np.testing.assert_allclose(weight.grad, (2 * (xhat * weight.data[:, None] + bias.data[:, None])
                                             * xhat).sum(axis=(0, 2)), rtol=1e-10)
    np.testing.assert_allclose(bias.grad, (2 * (xhat * weight.data[:, None]
                                                + bias.data[:, None])).sum(axis=(0, 2)),
                               rtol=1e-10)


def _hessian_times(norm, r, directions, weighted, biased):
    """v ↦ ∂/∂inputs of ⟨∂loss/∂inputs, v⟩ (second derivatives, through the higher-order
    pass) for loss = Σ r · tanh(norm(x, w, b))."""
    def directional(*inputs):
        firsts = grad(lambda *t: (Tensor(r) * norm(*_placed(t, weighted, biased)).tanh()).sum(),
                      argnums=tuple(range(len(inputs))))(*inputs)
        return sum((Tensor(v) * d).sum() for v, d in zip(directions, firsts))
    return directional


def _placed(inputs, weighted, biased):
    it = iter(inputs)
    return next(it), next(it) if weighted else None, next(it) if biased else None


@pytest.mark.parametrize("case", ["(N, C)", "(N, C, H, W)", "no weight", "no bias"])
def test_second_derivatives_match_the_composite_formula_and_finite_differences(rng, case):
    x, weight, bias, r = _case(rng, case)
    inputs = _present(x, weight, bias)
    directions = [rng.normal(size=t.shape) for t in inputs]
    second = {name: grad(_hessian_times(norm, r, directions, weight is not None,
                                        bias is not None),
                         argnums=tuple(range(len(inputs))))(*inputs)
              for name, norm in (("fused", fused), ("composite", composite_batch_norm))}
    for mine, theirs in zip(second["fused"], second["composite"]):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-9, atol=1e-10)
    assert gradcheck(_hessian_times(fused, r, directions, weight is not None, bias is not None),
                     *inputs)


def test_third_derivative_along_a_line_matches_the_composite_formula(rng):
    x, weight, bias, r = _case(rng, "(N, C, L)")
    v = rng.normal(size=x.shape)

    def along(norm):
        f = lambda t: (Tensor(r) * norm(x + t * Tensor(v), weight, bias).tanh()).sum()
        return grad(grad(grad(f)))(t64(0.3)).item()
    assert along(fused) == pytest.approx(along(composite_batch_norm), rel=1e-8)


# -- the per-channel sums as products (ops.normalize.channel_sums / channel_dots) -------------

def _batch_last(a):
    """a (N, C, ...) with the memory of a convolution's output, (C, ..., N)."""
    order = tuple(range(1, a.ndim)) + (0,)
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


def _channels_innermost(a):
    """a (N, C, ...) with the memory of a conv1d's output, (..., N, C)."""
    order = tuple(range(2, a.ndim)) + (0, 1)
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


LAYOUTS = {"batch-last": _batch_last, "C-contiguous": np.ascontiguousarray,
           "channels innermost (ones @ columns)": _channels_innermost,
           "Fortran (numpy's sums)": np.asfortranarray,
           "a strided view (numpy's sums)": lambda a: np.repeat(a, 2, axis=-1)[..., ::2]}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(5, 3, 4), (4, 3, 5, 6), (1, 2, 3, 5), (3, 2, 3, 2, 4),
                                   (2, 1, 7, 3)])
def test_the_per_channel_sums_are_numpys_in_every_layout(rng, layout, shape):
    from autograd.ops.normalize import by_channel, channel_dots, channel_sums, channels_last
    a = LAYOUTS[layout](rng.normal(size=shape))
    b = LAYOUTS[layout](rng.normal(size=shape))
    axes = (0,) + tuple(range(2, len(shape)))
    if shape[0] > 1 and shape[1] > 1:       # (a batch or a channel of 1 fits several layouts)
        assert (by_channel(a) is None) == ("numpy" in layout or "innermost" in layout)
        assert (channels_last(a) is not None) == ("innermost" in layout)
    np.testing.assert_allclose(channel_sums(a, axes), a.sum(axes, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(channel_dots(a, b, axes), (a * b).sum(axes, keepdims=True),
                               rtol=1e-12, atol=1e-13)
    c = np.ascontiguousarray(b) if layout == "batch-last" else _batch_last(b)   # layouts mixed
    np.testing.assert_allclose(channel_dots(a, c, axes), (a * b).sum(axes, keepdims=True),
                               rtol=1e-12, atol=1e-13)


def assert_fused_matches_composite(x, weight, bias, g):
    """The fused batch norm's output and gradients (upstream gradient g) equal the composite
    formula's."""
    y = fused(x, weight, bias)
    y.backward(g)
    ours = [t.grad for t in (x, weight, bias)]
    for t in (x, weight, bias):
        t.zero_grad()
    reference = composite_batch_norm(x, weight, bias)
    reference.backward(g)
    np.testing.assert_allclose(y.data, reference.data, rtol=1e-12, atol=1e-12)
    for mine, theirs in zip(ours, (x.grad, weight.grad, bias.grad)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("g_layout", ["channels innermost (ones @ columns)", "C-contiguous",
                                      "batch-last", "a strided view (numpy's sums)"])
@pytest.mark.parametrize("shape", [(4, 3, 5), (1, 2, 6), (3, 2, 1), (2, 3, 2, 4), (3, 1, 7)])
def test_batch_norm_with_the_channels_innermost_matches_the_formula(rng, shape, g_layout):
    """x laid out as a conv1d leaves it ((L, N, C) in memory): the sums are ones @ columns, and
    a gradient in another layout is copied into x's first (its dx then comes out laid out as x)."""
    from autograd.ops.normalize import BatchNorm, BatchNormCtx, channels_last
    x = Tensor(_channels_innermost(rng.normal(2.0, 3.0, size=shape)), requires_grad=True)
    assert channels_last(x.data) is not None
    weight, bias = t64(rng.normal(size=shape[1])), t64(rng.normal(size=shape[1]))
    g = LAYOUTS[g_layout](rng.normal(size=shape))
    assert_fused_matches_composite(x, weight, bias, g)
    assert gradcheck(lambda x: fused(x, weight, bias).tanh(), x)
    assert gradcheck(lambda *t: (Tensor(g) * fused(*t)).sum(), x, weight, bias)
    for present in ((weight, None), (None, bias), (None, None)):
        x.grad = None
        y = fused(x, *present)
        y.backward(g)
        ours, x.grad = x.grad, None
        composite_batch_norm(x, *present).backward(g)
        np.testing.assert_allclose(ours, x.grad, rtol=1e-10, atol=1e-11)
    axes = (0,) + tuple(range(2, len(shape)))
    ctx = BatchNormCtx(axes, (1, shape[1]) + (1,) * (len(shape) - 2), 1e-5, True, True,
                       (True, True, True))
    y = BatchNorm.forward(ctx, x.data, weight.data, bias.data)
    dx = BatchNorm.backward(ctx, g, y, x.data, weight.data, bias.data)[0]
    if shape[0] > 1 and shape[1] > 1 and shape[-1] > 1:   # (an axis of 1 has no place in it)
        assert list(np.argsort(dx.strides)) == list(np.argsort(x.data.strides))


@pytest.mark.parametrize("g_layout", ["batch-last", "C-contiguous"])
@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (3, 2, 4), (2, 3, 2, 3, 4), (1, 2, 3, 3)])
def test_batch_norm_of_a_convolutions_output_matches_the_formula_and_finite_differences(
        rng, shape, g_layout):
    """x laid out as a convolution leaves it ((C, ..., N) in memory): the sums go through
    products; the gradient arriving in either layout."""
    from autograd.ops.normalize import by_channel
    x = Tensor(_batch_last(rng.normal(2.0, 3.0, size=shape)), requires_grad=True)
    assert by_channel(x.data).shape[0] == 1
    weight, bias = t64(rng.normal(size=shape[1])), t64(rng.normal(size=shape[1]))
    g = LAYOUTS[g_layout](rng.normal(size=shape))
    assert_fused_matches_composite(x, weight, bias, g)
    assert gradcheck(lambda *t: (Tensor(g) * fused(*t).tanh()).sum(), x, weight, bias)
