"""RMSNorm / rms_norm: each sample divided by its root mean square over its last axes, eps=None
as the dtype's machine epsilon, weight of normalized_shape, gradients (and second derivatives)
against finite differences incl. a batch of one, PyTorch's repr and state dict, errors that name
the layer and the shapes, and the same numbers as PyTorch (asked live where torch is installed,
else as recorded in tests/reference/rmsnorm.npz)."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, gradcheck_parameters
from nn import RMSNorm
from nn.functional import rms_norm

from conftest import t64
from reference import as_array, assert_matches, draw, prefixed, recorded


def test_each_sample_is_divided_by_its_root_mean_square_over_the_last_axes(rng):
    x = rng.normal(3.0, 5.0, size=(4, 2, 3, 5))
    y = RMSNorm((3, 5), eps=1e-4, dtype=np.float64)(Tensor(x)).data
    expected = x / np.sqrt((x * x).mean(axis=(2, 3), keepdims=True) + 1e-4)
    np.testing.assert_allclose(y, expected, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eps_none_is_the_machine_epsilon_of_the_inputs_dtype(dtype):
    """PyTorch's default: with x = 0 the output is 0 / √eps, not NaN; √eps tells which eps."""
    tiny = np.full((1, 2), 1e-4, dtype)
    y = rms_norm(Tensor(tiny), 2).data
    assert y.dtype == dtype
    np.testing.assert_allclose(y, tiny / np.sqrt(tiny[0, 0] ** 2 + np.finfo(dtype).eps),
                               rtol=1e-6)
    assert np.isfinite(RMSNorm(2)(Tensor(np.zeros((1, 2)))).data).all()


def test_parameters_state_dict_and_reprs_are_pytorchs():
    norm = RMSNorm([2, 3])
    assert list(norm.state_dict()) == ["weight"]
    assert norm.weight.shape == (2, 3) and norm.weight.dtype == np.float32
    assert (norm.weight.data == 1).all()
    assert RMSNorm(4, elementwise_affine=False).parameters() == []
    assert repr(norm) == "RMSNorm((2, 3), eps=None, elementwise_affine=True)"
    assert repr(RMSNorm(4, eps=1e-6, elementwise_affine=False)) == \
        "RMSNorm((4,), eps=1e-06, elementwise_affine=False)"


@pytest.mark.parametrize("x_shape, shape", [((3, 4), (4,)), ((1, 4), (4,)), ((4,), (4,)),
                                            ((2, 2, 3), (2, 3))])
def test_gradients_match_finite_differences(x_shape, shape, rng):
    x, weight = rng.normal(1.0, 2.0, x_shape), rng.normal(size=shape)
    assert gradcheck(lambda t, w: rms_norm(t, shape, w, eps=1e-3), t64(x), t64(weight))
    assert gradcheck(lambda t: rms_norm(t, shape), t64(x))


def test_second_derivatives_match_finite_differences_of_the_gradient(rng):
    x, w = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    slope = grad(lambda u: (rms_norm(u, 3, eps=1e-3) * Tensor(w)).sum())
    assert gradcheck(lambda t: slope(t), t64(x))


@pytest.mark.parametrize("x_shape, shape", [((3, 4), 4), ((1, 2, 3), (2, 3)), ((4,), 4)],
                         ids=str)
def test_the_layers_own_weight_gradchecks(x_shape, shape, rng):
    """The module, not only rms_norm: its weight where it lives, and its input (a batch, a
    batch of one, one sample), against finite differences."""
    layer = RMSNorm(shape, eps=1e-3, dtype=np.float64)
    layer.weight.data[:] = rng.uniform(0.5, 1.5, layer.weight.shape)
    x, r = t64(rng.normal(size=x_shape)), Tensor(rng.normal(size=x_shape))
    assert gradcheck_parameters(lambda: (layer(x) * r).sum(), layer.named_parameters())
    assert gradcheck(layer, x)


@pytest.mark.parametrize("call, message", [
    (lambda x: RMSNorm(4)(x), r"RMSNorm\(\(4,\), .*\): expected an input whose last axis has "
                              r"size 4 \(normalized_shape\), got shape \(2, 3\)"),
    (lambda x: rms_norm(x, 3, Tensor(np.ones(2))), r"rms_norm: weight must have normalized_shape "
                                                   r"\(3,\), got shape \(2,\)"),
    (lambda x: rms_norm(x, 3, eps=-1.0), r"rms_norm: eps must be a number >= 0 or None"),
    (lambda x: RMSNorm(3, eps="1e-5"), r"RMSNorm: eps must be a number >= 0 or None"),
    (lambda x: RMSNorm(0), r"RMSNorm: normalized_shape must be a positive int"),
])
def test_mistakes_are_refused_naming_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call(t64(np.zeros((2, 3))))


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

# case: input shape, normalized_shape, eps (None: the dtype's epsilon)
CASES = {"rows": ((3, 4), (4,), 1e-3), "two_axes": ((2, 2, 3), (2, 3), None),
         "one_sample": ((4,), (4,), None)}


def rmsnorm_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: x, a gradient g for the output and a random weight."""
    arrays = {}
    for case, (x_shape, shape, _) in CASES.items():
        arrays.update(prefixed(case, dict(x=rng.normal(1.0, 2.0, size=x_shape),
                                          g=rng.normal(size=x_shape),
                                          weight=rng.normal(size=shape))))
    return arrays


def rmsnorm_glassgrad(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """RMSNorm(normalized_shape, eps) with the given weight: its output and the input's and
    weight's gradients, per case."""
    results = {}
    for case, (_, shape, eps) in CASES.items():
        x, g, weight = (arrays[f"{case}/{name}"] for name in ("x", "g", "weight"))
        norm = RMSNorm(shape, eps=eps, dtype=np.float64)
        norm.load_state_dict({"weight": weight})
        ours = t64(x)
        y = norm(ours)
        y.backward(g)
        results.update(prefixed(case, {"y": y.data, "x.grad": ours.grad,
                                       "weight.grad": norm.weight.grad}))
    return results


def rmsnorm_torch(torch, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same as `rmsnorm_glassgrad`, computed by PyTorch."""
    results = {}
    for case, (_, shape, eps) in CASES.items():
        x, g, weight = (arrays[f"{case}/{name}"] for name in ("x", "g", "weight"))
        norm = torch.nn.RMSNorm(shape, eps=eps).double()
        norm.load_state_dict({"weight": torch.tensor(weight)})
        theirs = torch.tensor(x, requires_grad=True)
        y = norm(theirs)
        y.backward(torch.tensor(g))
        results.update(prefixed(case, {"y": as_array(y), "x.grad": as_array(theirs.grad),
                                       "weight.grad": as_array(norm.weight.grad)}))
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/rmsnorm.npz: the inputs and PyTorch's results."""
    inputs = rmsnorm_inputs(draw())
    return {**inputs, **rmsnorm_torch(torch, inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = rmsnorm_inputs(rng)
    assert_matches(rmsnorm_glassgrad(inputs), rmsnorm_torch(torch, inputs),
                   rtol=1e-10, atol=1e-12)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("rmsnorm")
    inputs = tuple(f"{case}/{name}" for case in CASES for name in ("x", "g", "weight"))
    assert_matches(rmsnorm_glassgrad(theirs), theirs, rtol=1e-10, atol=1e-12, inputs=inputs)


def test_a_state_dict_moves_to_pytorch_and_back_strictly():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours, theirs = RMSNorm((2, 3)), torch.nn.RMSNorm((2, 3))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    with torch.no_grad():
        theirs.weight.normal_()
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, as_array(theirs.weight))
