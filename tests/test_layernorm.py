"""LayerNorm / layer_norm: each sample normalised over its last axes with its own mean and biased
variance, weight and bias of normalized_shape, gradients against finite differences, PyTorch's
state dict, errors that name the layer and the shapes, and the same numbers as PyTorch (asked
live where torch is installed, else as recorded in tests/reference/layernorm.npz)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, grad, gradcheck
from nn import LayerNorm
from nn.functional import layer_norm

from conftest import t64
from reference import as_array, assert_matches, draw, prefixed, recorded


def test_each_sample_gets_mean_zero_and_variance_one_over_the_last_axes(rng):
    x = rng.normal(3.0, 5.0, size=(4, 2, 3, 5))
    y = LayerNorm((3, 5), dtype=np.float64)(Tensor(x)).data
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(2, 3)), 1, rtol=1e-5)   # (eps: a little under 1)
    expected = (x - x.mean((2, 3), keepdims=True)) / np.sqrt(x.var((2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_parameters_state_dict_and_options():
    norm = LayerNorm([2, 3])
    assert list(norm.state_dict()) == ["weight", "bias"]
    assert norm.weight.shape == norm.bias.shape == (2, 3) and norm.weight.dtype == np.float32
    assert (norm.weight.data == 1).all() and (norm.bias.data == 0).all()
    assert list(LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert LayerNorm(4, elementwise_affine=False).parameters() == []
    assert repr(LayerNorm(4, eps=1e-6, bias=False)) == \
        "LayerNorm((4,), eps=1e-06, elementwise_affine=True, bias=False)"


def test_training_and_evaluation_agree_and_a_batch_of_one_is_fine(rng):
    """No running statistics, unlike BatchNorm: one sample is normalised on its own."""
    norm, x = LayerNorm(3), Tensor(rng.normal(size=(1, 3)))
    np.testing.assert_array_equal(norm(x).data, norm.eval()(x).data)


def _norm_function(shape, eps=1e-5):
    return lambda x, weight, bias: layer_norm(x, shape, weight, bias, eps) ** 2


@pytest.mark.parametrize("x_shape, shape", [
    ((5, 4), (4,)), ((1, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (3, 4)), ((3, 2, 1, 3), (3,)),
    ((2, 1), (1,))])
def test_gradients_match_finite_differences(rng, x_shape, shape):
    """For x, weight and bias (random, not their initial ones and zeros), through the mean and
    variance: batches, batch 1, one 1-d sample, two normalised axes, a size-1 axis."""
    assert gradcheck(_norm_function(shape), t64(rng.normal(size=x_shape)),
                     t64(rng.normal(size=shape)), t64(rng.normal(size=shape)))


def test_the_module_gradients_reach_its_parameters(rng):
    norm = LayerNorm(3, dtype=np.float64)
    x = t64(rng.normal(size=(4, 3)))
    (norm(x) * t64(rng.normal(size=(4, 3)), requires_grad=False)).sum().backward()
    assert norm.weight.grad.shape == norm.bias.grad.shape == (3,)
    assert x.grad.shape == (4, 3)


# -- one fused op: the same numbers and derivatives (any order) as the formula built from ops --

def composite_layer_norm(x, shape, weight=None, bias=None, eps=1e-5):
    """The reference: layer_norm as it was built from ordinary Tensor ops (nine nodes)."""
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centred = x - x.mean(axes, keepdims=True)
    y = centred * ((centred * centred).mean(axes, keepdims=True) + eps) ** -0.5
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


FUSED_CASES = {             # x's shape, normalized_shape, with weight, with bias
    "rows (N, C)": ((5, 4), (4,), True, True),
    "sequence (B, T, C)": ((2, 3, 4), (4,), True, True),
    "batch of one": ((1, 4), (4,), True, True),
    "two normalised axes": ((3, 2, 3), (2, 3), True, True),
    "no weight": ((3, 4), (4,), False, True),
    "no bias": ((2, 3, 4), (4,), True, False),
    "neither": ((3, 4), (4,), False, False),
}


def _fused_case(rng, case):
    """x (shifted and scaled), weight, bias (random, not ones and zeros, or None) and a random
    gradient for the output, all float64."""
    x_shape, shape, weighted, biased = FUSED_CASES[case]
    return (t64(rng.normal(2.0, 3.0, size=x_shape)),
            t64(rng.normal(size=shape)) if weighted else None,
            t64(rng.normal(size=shape)) if biased else None,
            rng.normal(size=x_shape), shape)


def _inputs(x, weight, bias):
    return [t for t in (x, weight, bias) if t is not None]


@pytest.mark.parametrize("case", FUSED_CASES)
def test_one_node_gives_the_composite_formulas_values_and_gradients(rng, case):
    x, weight, bias, g, shape = _fused_case(rng, case)
    fused = layer_norm(x, shape, weight, bias)
    assert fused.op == "layer_norm" and fused.parents == tuple(_inputs(x, weight, bias))
    fused.backward(g)
    ours = [t.grad for t in _inputs(x, weight, bias)]
    for t in _inputs(x, weight, bias):
        t.zero_grad()
    reference = composite_layer_norm(x, shape, weight, bias)
    reference.backward(g)
    np.testing.assert_allclose(fused.data, reference.data, rtol=1e-13, atol=1e-14)
    for mine, theirs in zip(ours, [t.grad for t in _inputs(x, weight, bias)]):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)


def _loss(norm, shape, r):
    """A scalar that is not linear in the output (so the gradient reaching the op depends on
    x too, as in a network), of x, weight and bias (positions 0, 1, 2; None where absent)."""
    return lambda x, weight, bias: (r * norm(x, shape, weight, bias).tanh()).sum()


def _hessian_times(loss, directions):
    """v ↦ Σ_k ∂/∂(x, w, b) of ⟨∂loss/∂input_k, v_k⟩: second derivatives of the loss in
    every pair of inputs, through the higher-order pass."""
    def directional(x, weight, bias):
        args, present = [x, weight, bias], [k for k, t in enumerate((x, weight, bias))
                                            if t is not None]
        firsts = grad(loss, argnums=tuple(present))(*args)
        return sum((v * d).sum() for v, d in zip(directions, firsts))
    return directional


@pytest.mark.parametrize("case", FUSED_CASES)
def test_second_derivatives_match_the_composite_formulas(rng, case):
    x, weight, bias, r, shape = _fused_case(rng, case)
    directions = [rng.normal(size=t.shape) for t in _inputs(x, weight, bias)]
    present = tuple(k for k, t in enumerate((x, weight, bias)) if t is not None)
    second = {name: grad(_hessian_times(_loss(norm, shape, r), directions), argnums=present)(
        x, weight, bias) for name, norm in (("fused", layer_norm),
                                            ("composite", composite_layer_norm))}
    for mine, theirs in zip(second["fused"], second["composite"]):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("case", ["sequence (B, T, C)", "two normalised axes", "no weight",
                                  "no bias"])
def test_second_derivatives_match_finite_differences(rng, case):
    """The first derivatives (of a loss that is not linear in the output), differentiated
    again by backprop and by finite differences, for x, weight and bias."""
    x, weight, bias, r, shape = _fused_case(rng, case)
    directions = [rng.normal(size=t.shape) for t in _inputs(x, weight, bias)]
    directional = _hessian_times(_loss(layer_norm, shape, r), directions)
    assert gradcheck(lambda *inputs: directional(*_place(inputs, weight, bias)),
                     *_inputs(x, weight, bias))


def _place(inputs, weight, bias):
    """(x, weight, bias) from the present inputs, None where the case has none."""
    it = iter(inputs)
    return [next(it), next(it) if weight is not None else None,
            next(it) if bias is not None else None]


def test_third_derivative_along_a_line_matches_the_composite_formula(rng):
    """Any order: d³/dt³ of the loss at x + t v (weight and bias moving too)."""
    x, weight, bias, r, shape = _fused_case(rng, "sequence (B, T, C)")
    v = [rng.normal(size=t.shape) for t in (x, weight, bias)]

    def along(norm):
        loss = _loss(norm, shape, r)
        return lambda t: loss(*[a + t * d for a, d in zip((x.data, weight.data, bias.data), v)])
    for_t = [grad(grad(grad(along(norm))))(np.array(0.3))
             for norm in (layer_norm, composite_layer_norm)]
    np.testing.assert_allclose(for_t[0], for_t[1], rtol=1e-9)


def test_float32_keeps_its_dtype_and_todays_numbers(rng):
    """The forward computes in the input's dtype and agrees with the composite formula to
    float32 rounding (not bit for bit: its row sums are BLAS products, whose order of additions
    depends on the CPU's kernel); the gradients keep their inputs' dtypes."""
    x = Tensor(rng.normal(3.0, 2.0, size=(4, 3, 8)).astype(np.float32), requires_grad=True)
    weight, bias = (Tensor(rng.normal(size=8).astype(np.float32), requires_grad=True)
                    for _ in range(2))
    y = layer_norm(x, 8, weight, bias)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, composite_layer_norm(x, (8,), weight, bias).data,
                               rtol=2e-6, atol=2e-6)
    y.backward(rng.normal(size=y.shape).astype(np.float32))
    assert x.grad.dtype == weight.grad.dtype == bias.grad.dtype == np.float32
    assert layer_norm(x, 8, eps=np.float64(1e-5)).dtype == np.float32    # a numpy eps too


def test_samples_whose_squares_overflow_are_normalised_all_the_same(rng):
    """(x - μ)² overflows beyond ~1.8e19 in float32 (1.3e154 in float64), though x̂ is a plain
    number: var was inf, rstd 0 and the sample all zeros. Now such samples are scaled first;
    the others in the batch keep their numbers, and the gradients are those of the unscaled
    sample (x̂ does not change with the scale: eps aside, d x̂(s x)/dx = d x̂(x)/dx / s).
    (The sample that did not overflow is compared with a batch of the same shape: BLAS's row
    sums may add in another order for another number of rows.)"""
    with np.errstate(over="ignore"):                    # (numpy warns of the first overflow)
        assert layer_norm(Tensor(np.array([[1e20, 1.0]], np.float32)), 2).tolist() == \
            [[1.0, -1.0]]
        unit, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        small = t64(unit)
        expected = layer_norm(small, 4, eps=0.0)
        expected.backward(g)
        for dtype, scale in ((np.float32, 1e20), (np.float32, 3e37), (np.float64, 1e200)):
            x = Tensor(np.concatenate([unit[:2] * scale, unit[2:]]).astype(dtype),
                       requires_grad=True)
            y = layer_norm(x, 4, eps=0.0)
            y.backward(g.astype(dtype))
            np.testing.assert_allclose(y.data, expected.data,
                                       rtol=2e-6 if dtype == np.float32 else 1e-13, atol=1e-6)
            plain = layer_norm(Tensor(unit.astype(dtype)), 4, eps=0.0).data
            np.testing.assert_allclose(y.data[2], plain[2], rtol=np.finfo(dtype).eps, atol=0)
            np.testing.assert_allclose(x.grad * np.array([[scale], [scale], [1]]), small.grad,
                                       rtol=1e-4, atol=1e-5)
        assert gradcheck(lambda t: layer_norm(t * 1e160, 4), t64(unit))
        assert gradcheck(lambda t: grad(lambda u: (layer_norm(u * 1e160, 4) ** 3).sum())(t),
                         t64(unit))


def test_weight_and_bias_gradients_are_summed_over_the_batch_axes(rng):
    """dw = Σ_batch g · x̂ and db = Σ_batch g, over B and T of a (B, T, C) sequence."""
    x, weight, bias, g, shape = _fused_case(rng, "sequence (B, T, C)")
    layer_norm(x, shape, weight, bias).backward(g)
    xhat = (x.data - x.data.mean(-1, keepdims=True)) / np.sqrt(x.data.var(-1, keepdims=True)
                                                               + 1e-5)
    np.testing.assert_allclose(weight.grad, (g * xhat).sum(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(bias.grad, g.sum(axis=(0, 1)), rtol=1e-12)


def test_constant_inputs_get_no_gradient_and_the_others_the_same_one(rng):
    """A constant x (a network's first layer) or constant parameters: the op skips their
    gradients, and the others' are those it gives when all want one."""
    x, weight, bias, g, shape = _fused_case(rng, "rows (N, C)")
    layer_norm(x, shape, weight, bias).backward(g)
    everything = [t.grad for t in (x, weight, bias)]
    constant_x, constant_weight, constant_bias = (Tensor(t.data) for t in (x, weight, bias))
    for t in (x, weight, bias):
        t.zero_grad()
    layer_norm(constant_x, shape, weight, bias).backward(g)
    layer_norm(x, shape, constant_weight, constant_bias).backward(g)
    assert constant_x.grad is constant_weight.grad is constant_bias.grad is None
    for t, expected in zip((x, weight, bias), everything):
        np.testing.assert_array_equal(t.grad, expected)


def test_an_integer_weight_takes_the_inputs_dtype(rng):
    """(as `x * weight` did: the integers become x's floats, not float64)"""
    x = Tensor(rng.normal(size=(2, 3)).astype(np.float32))
    assert layer_norm(x, 3, np.array([1, 2, 3]), [0, 0, 1]).dtype == np.float32


@settings(max_examples=30)
@given(batch=st.lists(st.integers(1, 3), max_size=2), normalised=st.lists(st.integers(1, 4),
                                                                          min_size=1, max_size=2),
       seed=st.integers(0, 2 ** 16))
def test_any_shape_keeps_its_shape_and_normalises_each_sample(batch, normalised, seed):
    x = np.random.default_rng(seed).normal(size=tuple(batch + normalised))
    y = layer_norm(Tensor(x), tuple(normalised)).data
    axes = tuple(range(len(batch), x.ndim))
    assert y.shape == x.shape
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    var = x.var(axis=axes)                  # (eps keeps y's variance a little under 1)
    np.testing.assert_allclose(y.var(axis=axes), var / (var + 1e-5), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: LayerNorm(4)(Tensor(np.zeros((2, 4, 3)))),
     r"LayerNorm\(\(4,\), .*\): expected an input whose last axis has size 4 \(normalized_"
     r"shape\), got shape \(2, 4, 3\); the size 4 is axis 1: .* move it last"),
    (lambda: LayerNorm(3)(Tensor(np.zeros((8, 3, 5, 5)))),
     r"got shape \(8, 3, 5, 5\); .* x.transpose\(0, 2, 3, 1\)"),
    (lambda: LayerNorm((2, 3))(Tensor(np.zeros((3,)))),
     r"LayerNorm\(\(2, 3\), .*\): expected an input whose last 2 axes have shape \(2, 3\) "
     r"\(normalized_shape\), got shape \(3,\)"),
    (lambda: layer_norm(Tensor(np.zeros((2, 3))), 3, weight=Tensor(np.ones(4))),
     r"layer_norm: weight must have normalized_shape \(3,\), got shape \(4,\)"),
    (lambda: LayerNorm(()), "LayerNorm: normalized_shape must be a positive int or a "
                            "non-empty tuple"),
    (lambda: LayerNorm(0), "normalized_shape must be a positive int"),
    (lambda: LayerNorm(3, eps=0), "LayerNorm: eps must be > 0, got 0"),
])
def test_errors_name_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

CASES = {"rows": ((6, 5), (5,)), "two_axes": ((2, 3, 4, 5), (4, 5)), "one_sample": ((5,), (5,))}


def layernorm_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: x (shifted and scaled: the mean and variance matter), a gradient g for the
    output, and a random weight and bias."""
    arrays = {}
    for case, (x_shape, shape) in CASES.items():
        arrays.update(prefixed(case, dict(
            x=rng.normal(2.0, 3.0, size=x_shape), g=rng.normal(size=x_shape),
            weight=rng.normal(size=shape), bias=rng.normal(size=shape))))
    return arrays


def layernorm_glassgrad(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """LayerNorm(normalized_shape, eps=1e-3) with the given weight and bias: its output, the
    input's and parameters' gradients, per case."""
    results = {}
    for case, (_, shape) in CASES.items():
        x, g, weight, bias = (arrays[f"{case}/{name}"] for name in ("x", "g", "weight", "bias"))
        norm = LayerNorm(shape, eps=1e-3, dtype=np.float64)
        norm.load_state_dict({"weight": weight, "bias": bias})
        ours = t64(x)
        y = norm(ours)
        y.backward(g)
        results.update(prefixed(case, {"y": y.data, "x.grad": ours.grad,
                                       "weight.grad": norm.weight.grad,
                                       "bias.grad": norm.bias.grad}))
    return results


def layernorm_torch(torch, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same as `layernorm_glassgrad`, computed by PyTorch."""
    results = {}
    for case, (_, shape) in CASES.items():
        x, g, weight, bias = (arrays[f"{case}/{name}"] for name in ("x", "g", "weight", "bias"))
        norm = torch.nn.LayerNorm(shape, eps=1e-3).double()
        norm.load_state_dict({"weight": torch.tensor(weight), "bias": torch.tensor(bias)})
        theirs = torch.tensor(x, requires_grad=True)
        y = norm(theirs)
        y.backward(torch.tensor(g))
        results.update(prefixed(case, {"y": as_array(y), "x.grad": as_array(theirs.grad),
                                       "weight.grad": as_array(norm.weight.grad),
                                       "bias.grad": as_array(norm.bias.grad)}))
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/layernorm.npz: the inputs and PyTorch's results."""
    inputs = layernorm_inputs(draw())
    return {**inputs, **layernorm_torch(torch, inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = layernorm_inputs(rng)
    assert_matches(layernorm_glassgrad(inputs), layernorm_torch(torch, inputs),
                   rtol=1e-10, atol=1e-12)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("layernorm")
    inputs = tuple(f"{case}/{name}" for case in CASES for name in ("x", "g", "weight", "bias"))
    assert_matches(layernorm_glassgrad(theirs), theirs, rtol=1e-10, atol=1e-12, inputs=inputs)


def test_a_state_dict_moves_to_pytorch_and_back_strictly(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours, theirs = LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    with torch.no_grad():
        theirs.weight.normal_()
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, as_array(theirs.weight))
