"""nn.utils.parametrize: register_parametrization (a parameter or a buffer, chains, unsafe),
assignment through right_inverse, remove_parametrizations (leave_parametrized), is_parametrized,
cached(), deep copies, and the errors. PyTorch's numbers for weight_norm and spectral_norm are
checked in test_utils_parametrizations.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck_parameters
from nn import Linear, Module
from nn.scalar import Neuron
from nn.utils.parametrizations import weight_norm
from nn.utils.parametrize import (cached, is_parametrized, register_parametrization,
                                  remove_parametrizations, type_before_parametrizations)


class Symmetric(Module):
    """W = triu(X) + triu(X, 1)ᵀ; right_inverse: triu(W)."""

    def forward(self, x):
        return x.triu() + x.triu(1).T

    def right_inverse(self, w):
        return w.triu()


class Double(Module):
    def forward(self, x):
        return x * 2


class Flatten(Module):
    def forward(self, x):
        return x.reshape(-1)


def test_the_weight_is_computed_at_each_read_from_the_original_that_trains(rng):
    layer = register_parametrization(Linear(3, 3, dtype="float64"), "weight", Symmetric())
    assert type(layer).__name__ == "ParametrizedLinear" and isinstance(layer, Linear)
    assert type_before_parametrizations(layer) is Linear
    assert is_parametrized(layer) and is_parametrized(layer, "weight")
    assert not is_parametrized(layer, "bias")
    original = layer.parametrizations.weight.original
    assert [p for p in layer.parameters()] == [layer.bias, original]
    np.testing.assert_array_equal(layer.weight.data, layer.weight.data.T)
    x = Tensor(rng.standard_normal((4, 3)))
    assert gradcheck_parameters(lambda: layer(x).tanh().sum(), layer.named_parameters())
    original.data[0, 2] = 5.0
    assert layer.weight.data[2, 0] == 5.0


def test_registering_keeps_the_parameter_object_and_its_value():
    layer = Linear(3, 3, dtype="float64")
    weight = layer.weight
    layer.weight.data[...] = np.arange(9.0).reshape(3, 3) + np.arange(9.0).reshape(3, 3).T
    value = weight.data.copy()
    register_parametrization(layer, "weight", Symmetric())
    assert layer.parametrizations.weight.original is weight     # an optimizer keeps it
    np.testing.assert_array_equal(layer.weight.data, value)      # right_inverse kept the value


def test_assigning_the_tensor_goes_through_right_inverse_into_the_original():
    layer = register_parametrization(Linear(2, 2, dtype="float64"), "weight", Symmetric())
    layer.weight = np.array([[1.0, 2.0], [2.0, 3.0]])
    np.testing.assert_array_equal(layer.parametrizations.weight.original.data,
                                  [[1.0, 2.0], [0.0, 3.0]])
    layer.weight = Tensor(np.eye(2), requires_grad=True)    # a plain Tensor is taken too
    np.testing.assert_array_equal(layer.weight.data, np.eye(2))
    single = register_parametrization(Linear(2, 2), "weight", Symmetric())     # float32
    single.weight = [[1.0, 2.0], [2.0, 1.0]]                # a list gets the default dtype
    np.testing.assert_array_equal(single.weight.data, [[1.0, 2.0], [2.0, 1.0]])
    layer.weight = Tensor(np.eye(2), requires_grad=True)
    np.testing.assert_array_equal(layer.weight.data, np.eye(2))
    with pytest.raises(ValueError, match=r"original has shape \(2, 2\), the value gives it "
                                         r"shape \(3, 3\)"):
        layer.weight = np.eye(3)
    with pytest.raises(TypeError, match="original holds float64, the value is float32"):
        layer.weight = np.eye(2, dtype=np.float32)


def test_a_second_registration_chains():
    layer = Linear(2, 2, dtype="float64")
    register_parametrization(layer, "weight", Symmetric())
    register_parametrization(layer, "weight", Double())
    original = layer.parametrizations.weight.original.data
    np.testing.assert_allclose(layer.weight.data, 2 * (np.triu(original) + np.triu(original, 1).T))
    assert len(layer.parametrizations.weight) == 2


def test_a_buffer_can_be_parametrized_and_stays_a_buffer():
    module = Module()
    module.register_buffer("mask", np.array([[1.0, 2.0], [3.0, 4.0]]))
    register_parametrization(module, "mask", Symmetric())
    assert module.parameters() == []
    assert list(module.state_dict()) == ["parametrizations.mask.original"]
    np.testing.assert_array_equal(module.mask.data, [[1.0, 2.0], [2.0, 4.0]])
    remove_parametrizations(module, "mask")
    assert [name for name, _ in module.named_buffers()] == ["mask"]
    np.testing.assert_array_equal(module.mask, [[1.0, 2.0], [2.0, 4.0]])


class Halves(Module):
    """Two tensors: x = a + b; right_inverse: (x / 2, x / 2)."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, x):
        return [x / 2, x / 2]


@pytest.mark.parametrize("leave_parametrized", [True, False])
@pytest.mark.parametrize("parametrization", [Symmetric, Halves])
def test_a_parametrized_buffer_is_a_constant_tensor_as_pytorchs(parametrization,
                                                                leave_parametrized):
    """The originals of a buffer, and the buffer put back, are constant Tensors, as PyTorch's
    (they were ndarrays: .clone() failed); the buffer put back is a buffer (in named_buffers
    and the state_dict), not a plain attribute."""
    module = Module()
    module.register_buffer("mask", np.array([[1.0, 2.0], [3.0, 4.0]]))
    register_parametrization(module, "mask", parametrization())
    for name, buffer in module.named_buffers():
        assert type(buffer) is Tensor and not buffer.requires_grad, name
    original = module.parametrizations.mask.originals()[0]
    assert original.clone().size(0) == 2
    if parametrization is Halves and not leave_parametrized:      # two originals: no tensor
        with pytest.raises(ValueError, match="leave_parametrized=False puts the original"):
            remove_parametrizations(module, "mask", leave_parametrized=False)
        return
    remove_parametrizations(module, "mask", leave_parametrized=leave_parametrized)
    assert [name for name, _ in module.named_buffers()] == ["mask"]
    assert list(module.state_dict()) == ["mask"] and type(module.mask) is Tensor
    if parametrization is Symmetric and not leave_parametrized:
        assert module.mask is original              # the original itself, as it was
        np.testing.assert_array_equal(module.mask.numpy(), [[1.0, 2.0], [0.0, 4.0]])
    else:
        np.testing.assert_array_equal(module.mask.numpy(), [[1.0, 2.0], [2.0, 4.0]]
                                      if parametrization is Symmetric else [[1, 2], [3, 4]])


def test_removing_leaves_the_value_or_the_original():
    layer = Linear(2, 2, dtype="float64")
    weight = layer.weight
    register_parametrization(layer, "weight", Double())
    doubled = layer.weight.data.copy()
    remove_parametrizations(layer, "weight")
    assert type(layer) is Linear and layer.weight is weight
    np.testing.assert_array_equal(weight.data, doubled)
    assert "parametrizations" not in vars(layer)

    register_parametrization(layer, "weight", Double())
    remove_parametrizations(layer, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(layer.weight.data, doubled)


def test_removing_one_of_two_keeps_the_other():
    layer = Linear(2, 2, dtype="float64")
    register_parametrization(layer, "weight", Double())
    register_parametrization(layer, "bias", Double())
    remove_parametrizations(layer, "weight")
    assert type(layer).__name__ == "ParametrizedLinear" and is_parametrized(layer, "bias")
    assert isinstance(layer.weight, nn.Parameter)
    assert [name for name, _ in layer.named_parameters()] == [
        "weight", "parametrizations.bias.original"]


def test_cached_computes_once_per_block():
    layer = weight_norm(Linear(2, 2))
    with cached():
        first = layer.weight
        with cached():
            assert layer.weight is first
        assert layer.weight is first               # the inner block's end keeps the cache
    assert layer.weight is not first


def test_assigning_inside_cached_is_seen_by_the_next_read():
    """The block kept the tensor computed before the assignment (as PyTorch 2.13 does): the
    layer went on computing with the old weight."""
    layer = weight_norm(Linear(2, 2, dtype="float64"))
    with cached():
        before = layer.weight
        layer.weight = np.eye(2)
        np.testing.assert_allclose(layer.weight.data, np.eye(2))
        assert layer.weight is layer.weight and layer.weight is not before
    np.testing.assert_allclose(layer.weight.data, np.eye(2))


def test_cached_keeps_each_parametrized_tensor_of_each_module_apart():
    layer, other = Linear(2, 2, dtype="float64"), Linear(2, 2, dtype="float64")
    register_parametrization(layer, "weight", Symmetric())
    register_parametrization(layer, "weight", Double())
    register_parametrization(layer, "bias", Double())
    register_parametrization(other, "weight", Double())
    with cached():
        weight, bias = layer.weight, layer.bias
        assert layer.weight is weight and layer.bias is bias and other.weight is other.weight
        assert other.weight is not weight
        original = layer.parametrizations.weight.original.data
        np.testing.assert_allclose(weight.data, 2 * (np.triu(original) + np.triu(original, 1).T))
        np.testing.assert_allclose(bias.data, 2 * layer.parametrizations.bias.original.data)


def test_a_deep_copy_has_a_class_of_its_own():
    """Removing from the copy took the property off a shared class: the original module lost
    its weight (PyTorch 2.13's deepcopy shares the class and has that fault)."""
    layer = weight_norm(Linear(2, 2))
    twin = copy.deepcopy(layer)
    np.testing.assert_array_equal(twin.weight.data, layer.weight.data)
    remove_parametrizations(twin, "weight")
    assert type(layer).__name__ == "ParametrizedLinear" and layer.weight.shape == (2, 2)
    assert type(twin) is Linear


@pytest.mark.parametrize("call, error, message", [
    (lambda: register_parametrization(Linear(2, 2), "wieght", Double()), ValueError,
     r"register_parametrization: Linear has no parameter or buffer 'wieght' \(nothing of that "
     r"name; its own: \['weight', 'bias'\]\)"),
    (lambda: register_parametrization(Linear(2, 2), "weight", lambda w: w * 2), TypeError,
     "the parametrization must be a Module, got function"),
    (lambda: register_parametrization(Linear(2, 2), "weight", Flatten()), ValueError,
     r"Flatten changes the tensor from shape \(2, 2\), float32 to shape \(4,\), float32 "
     r"\(pass unsafe=True"),
    (lambda: register_parametrization(Linear(2, 2), "in_features", Double()), ValueError,
     "has no parameter or buffer 'in_features'"),
    (lambda: register_parametrization(Neuron(2), "b", Double()), ValueError,
     "Neuron has no parameter or buffer 'b' .a Value: parametrizations work on the Tensor"),
    (lambda: remove_parametrizations(Linear(2, 2), "weight"), ValueError,
     r"remove_parametrizations: Linear has no parametrization on 'weight' \(its parametrized "
     r"tensors: none\)"),
    (lambda: remove_parametrizations(weight_norm(Linear(2, 2)), "bias"), ValueError,
     r"no parametrization on 'bias' \(its parametrized tensors: \['weight'\]\)"),
])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_unsafe_lets_a_parametrization_change_the_shape():
    layer = register_parametrization(Linear(2, 2), "weight", Flatten(), unsafe=True)
    assert layer.weight.shape == (4,)


def test_reset_parameters_draws_the_parametrized_weight_afresh():
    """The layer's reset wrote into the computed weight, which changed nothing."""
    from autograd import manual_seed
    manual_seed(1)
    plain = Linear(3, 4)
    layer = weight_norm(Linear(3, 4))
    manual_seed(1)
    layer.reset_parameters()
    np.testing.assert_allclose(layer.weight.data, plain.weight.data, rtol=1e-6)
    np.testing.assert_array_equal(layer.bias.data, plain.bias.data)
    assert type(layer).__name__ == "ParametrizedLinear" and "weight" not in vars(layer)
    assert [name for name, _ in layer.named_parameters()] == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
