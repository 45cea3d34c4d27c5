"""nn.utils.weight_norm / spectral_norm, PyTorch's older style by forward pre-hook: against
PyTorch from the same state (live where torch is installed, else as recorded in
tests/reference/utils_norm_hooks.npz), with its state-dict keys (weight_g, weight_v;
weight_orig, weight_u, weight_v); finite differences; removal; the errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck_parameters
from nn import Conv2d, Linear
from nn.utils import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

from reference import assert_matches, record_cases, recorded_case
from test_utils_parametrizations import (CASES, case_inputs, glassgrad_results, ours, state_of,
                                         torch_results)

HOOKS = {"weight_norm": weight_norm, "spectral_norm": spectral_norm}
hooked = functools.partial(ours, functions=HOOKS)
HOOK_CASES = [name for name, case in CASES.items() if case[3] in HOOKS]
# recorded: these two (the reference files share a size budget); all are asked live
RECORDED = ["weight_norm-conv2d-dim=1", "spectral_norm-convtranspose2d-2-steps"]


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/utils_norm_hooks.npz: each case's inputs and PyTorch's results."""
    return record_cases(RECORDED, [CASES[name] for name in RECORDED],
                        functools.partial(case_inputs, make=hooked),
                        functools.partial(torch_results, torch, style="hooks"))


@pytest.mark.parametrize("case_id", HOOK_CASES)
def test_matches_pytorch_from_the_same_state(rng, case_id):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = case_inputs(rng, CASES[case_id], make=hooked)
    theirs = torch_results(torch, CASES[case_id], style="hooks", **inputs)
    assert_matches(glassgrad_results(CASES[case_id], make=hooked, **inputs), theirs,
                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case_id", RECORDED)
def test_matches_pytorchs_recorded_numbers(case_id):
    theirs = recorded_case("utils_norm_hooks", case_id)
    inputs = {k: v for k, v in theirs.items() if k.startswith("state.") or k in ("x", "g")}
    assert_matches(glassgrad_results(CASES[case_id], make=hooked, **inputs), theirs,
                   rtol=1e-10, atol=1e-12, inputs=tuple(inputs))


@pytest.mark.parametrize("case_id", RECORDED)
def test_the_state_dict_has_pytorchs_keys_and_shapes(case_id):
    theirs = state_of(recorded_case("utils_norm_hooks", case_id))
    mine = hooked(CASES[case_id]).state_dict()
    assert {k: v.shape for k, v in mine.items()} == {k: v.shape for k, v in theirs.items()}


def test_a_bias_gets_a_g_per_element_as_in_pytorch():
    """A 1-d tensor has no dimension but `dim` to take norms over: each element's norm is its
    absolute value (it was one g, shape (1,), for the whole bias)."""
    model = Linear(3, 4, dtype="float64")
    bias = model.bias.data.copy()
    weight_norm(model, "bias")
    np.testing.assert_allclose(model.bias_g.data, np.abs(bias))
    np.testing.assert_allclose(model(Tensor(np.zeros((1, 3)))).data[0], bias)


def test_the_keys_are_pytorchs():
    assert list(weight_norm(Linear(3, 4)).state_dict()) == ["bias", "weight_g", "weight_v"]
    assert list(spectral_norm(Linear(3, 4)).state_dict()) == [
        "bias", "weight_orig", "weight_u", "weight_v"]


@pytest.mark.parametrize("layer, x_shape", [
    (lambda: Linear(3, 4, dtype="float64"), (5, 3)),
    (lambda: Conv2d(2, 3, 2, dtype="float64"), (2, 2, 4, 4)),
])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_gradients_match_finite_differences(rng, layer, x_shape, dim):
    model = weight_norm(layer(), dim=dim)
    x = Tensor(rng.standard_normal(x_shape))
    g = Tensor(rng.standard_normal(model(x).shape))
    assert gradcheck_parameters(lambda: (model(x).tanh() * g).sum(), model.named_parameters(),
                                atol=1e-7)


def test_spectral_norm_gradients_match_finite_differences(rng):
    model = spectral_norm(Conv2d(2, 3, 2, dtype="float64")).eval()
    x = Tensor(rng.standard_normal((2, 2, 4, 4)))
    g = Tensor(rng.standard_normal(model(x).shape))
    assert gradcheck_parameters(lambda: (model(x).tanh() * g).sum(), model.named_parameters(),
                                atol=1e-7)


def test_spectral_norm_keeps_the_parameter_so_an_optimizer_trains_it(rng):
    model = Linear(3, 2)
    weight = model.weight
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    spectral_norm(model)
    assert model.weight_orig is weight and model.parameters() == [model.bias, weight]
    model(Tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    kept = weight.data.copy()
    optimizer.step()
    assert not np.allclose(weight.data, kept)


def test_removing_puts_back_the_weight_as_it_is_now():
    for add, remove in ((weight_norm, remove_weight_norm), (spectral_norm, remove_spectral_norm)):
        model = add(Linear(3, 4, dtype="float64")).eval()
        model(Tensor(np.ones((1, 3))))
        weight = model.weight.data.copy()
        remove(model)
        assert isinstance(model.weight, nn.Parameter) and not model._hooked
        np.testing.assert_allclose(model.weight.data, weight)
        assert list(model.state_dict()) == ["bias", "weight"]


def test_a_buffer_is_refused_with_the_way_to_parametrise_one():
    model = Linear(2, 2)
    model.register_buffer("scale", np.ones(2))
    with pytest.raises(ValueError, match=r"weight_norm: Linear.scale is a buffer, which does "
                                         r"not train \(nn.utils.parametrizations"):
        weight_norm(model, "scale")


@pytest.mark.parametrize("call, error, message", [
    (lambda: weight_norm(Linear(3, 4), "wieght"), ValueError,
     r"weight_norm: Linear.wieght is not a parameter; its parameters: \['weight', 'bias'\]"),
    (lambda: weight_norm(weight_norm(Linear(3, 4))), RuntimeError,
     "already has a weight_norm hook"),
    (lambda: spectral_norm(Linear(3, 4), dim=2), IndexError, "dim=2 is out of range"),
    (lambda: spectral_norm(Linear(3, 4), n_power_iterations=-1), ValueError,
     "n_power_iterations must be a positive int"),
    (lambda: remove_weight_norm(Linear(3, 4)), ValueError,
     "remove_weight_norm: Linear has no weight_norm on 'weight'"),
    (lambda: remove_spectral_norm(weight_norm(Linear(3, 4))), ValueError,
     "remove_spectral_norm: Linear has no spectral_norm on 'weight'"),
])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_spectral_norm_s_u_and_v_are_constant_tensors():
    """weight_u and weight_v are constant Tensors, as PyTorch's (they were ndarrays), updated
    in place by the power iteration: a state dict taken before follows them."""
    layer = spectral_norm(Linear(5, 4, dtype="float64"))
    u, v = layer.weight_u, layer.weight_v
    assert type(u) is Tensor and type(v) is Tensor and not v.requires_grad
    assert u.size(0) == 4 and v.clone().size(0) == 5
    state, kept = layer.state_dict(), u.clone()
    layer(Tensor(np.ones((2, 5))))                      # training: one power iteration
    assert layer.weight_u is u and not np.array_equal(kept.numpy(), u.numpy())
    np.testing.assert_array_equal(state["weight_u"].numpy(), u.numpy())
    remove_spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"]
