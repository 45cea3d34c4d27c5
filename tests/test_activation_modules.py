"""nn/activations.py: ReLU, Sigmoid, Tanh on Tensors and Values, LeakyReLU's slope at 0, the
softmax modules; each of PyTorch's other activation modules is its function with the options it
was made with, shows them as PyTorch's repr does, checks them when made; PReLU's learned slopes
and state_dict (PyTorch's layout, moved both ways live where torch is installed). (LeakyReLU's
numbers against PyTorch's are checked with the Embedding's in tests/test_layers.py.)"""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck
from nn import MLP
from nn import activations as A
from nn import functional as F
from nn.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from nn.optim import SGD

from conftest import t64

# module, the function call it stands for, its repr
MODULES = [
    (A.ReLU6(), F.relu6, "ReLU6()"),
    (A.ReLU6(inplace=True), F.relu6, "ReLU6(inplace=True)"),
    (A.ELU(), F.elu, "ELU(alpha=1.0)"),
    (A.ELU(0.5, inplace=True), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5, inplace=True)"),
    (A.SELU(), F.selu, "SELU()"),
    (A.CELU(2.0), lambda x: F.celu(x, 2.0), "CELU(alpha=2.0)"),
    (A.SiLU(inplace=True), F.silu, "SiLU(inplace=True)"),
    (A.Mish(), F.mish, "Mish()"),
    (A.Softplus(beta=2.0, threshold=1.0), lambda x: F.softplus(x, 2.0, 1.0),
     "Softplus(beta=2.0, threshold=1.0)"),
    (A.Softsign(), F.softsign, "Softsign()"),
    (A.Hardtanh(), F.hardtanh, "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (A.Hardtanh(0, 6), F.relu6, "Hardtanh(min_val=0.0, max_val=6.0)"),
    (A.Hardsigmoid(), F.hardsigmoid, "Hardsigmoid()"),
    (A.Hardswish(), F.hardswish, "Hardswish()"),
    (A.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
    (A.Tanhshrink(), F.tanhshrink, "Tanhshrink()"),
    (A.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0),
     "Threshold(threshold=0.1, value=20.0)"),
    (A.Hardshrink(), F.hardshrink, "Hardshrink(0.5)"),
    (A.Softshrink(1.5), lambda x: F.softshrink(x, 1.5), "Softshrink(1.5)"),
    (A.Softmin(0), lambda x: F.softmin(x, 0), "Softmin(axis=0)"),
    (A.Softmin(dim=1), lambda x: F.softmin(x, 1), "Softmin(axis=1)"),
    (A.GLU(), F.glu, "GLU(dim=-1)"),
    (A.GLU(0), lambda x: F.glu(x, 0), "GLU(dim=0)"),
    (A.PReLU(), lambda x: F.prelu(x, Tensor([0.25])), "PReLU(num_parameters=1)"),
]
ROWS = [pytest.param(module, f, shown, id=shown) for module, f, shown in MODULES]


@pytest.mark.parametrize("module, f, shown", ROWS)
def test_a_module_is_its_function_with_its_options(module, f, shown, rng):
    x = rng.normal(0.0, 3.0, (4, 6))
    np.testing.assert_array_equal(module(Tensor(x.astype(np.float32))).data,
                                  f(Tensor(x.astype(np.float32))).data)
    assert repr(module) == shown


@pytest.mark.parametrize("module, f, shown", [row for row in ROWS if "PReLU" not in row.id])
def test_activations_hold_no_parameters(module, f, shown):
    assert list(module.state_dict()) == [] and module.parameters() == []


def test_the_reprs_are_pytorchs_where_the_settings_are_the_same():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    same = ["ReLU6()", "ReLU6(inplace=True)", "ELU(alpha=1.0)", "ELU(alpha=0.5, inplace=True)",
            "SELU()", "CELU(alpha=2.0)", "SiLU(inplace=True)", "Mish()",
            "Softplus(beta=2.0, threshold=1.0)", "Softsign()",
            "Hardtanh(min_val=-1.0, max_val=1.0)", "Hardsigmoid()", "Hardswish()",
            "LogSigmoid()", "Tanhshrink()", "GLU(dim=-1)", "PReLU(num_parameters=1)",
            "Threshold(threshold=0.1, value=20.0)", "Hardshrink(0.5)", "Softshrink(1.5)"]
    for shown in same:
        assert repr(eval("torch.nn." + shown)) == shown


def test_softmin_takes_dim_or_axis_as_softmax_does():
    assert A.Softmin(dim=0).axis == A.Softmin(0).axis == Softmax(dim=0).axis == 0
    assert A.Softmin().axis is Softmax().axis is None       # not given: see the test below
    with pytest.raises(TypeError, match="Softmin: got both axis=0 and dim=1"):
        A.Softmin(0, dim=1)


@pytest.mark.parametrize("make, error, message", [
    (lambda: A.CELU(0.0), ValueError, r"CELU: alpha must not be 0"),
    (lambda: A.ELU("1"), TypeError, "ELU: alpha must be a number, got '1'"),
    (lambda: A.Softplus(beta=0.0), ValueError, "Softplus: beta must not be 0"),
    (lambda: A.Hardtanh(1.0, -1.0), ValueError, "Hardtanh: min_val 1.0 is greater than max_val"),
    (lambda: A.GLU(1.5), TypeError, "GLU: dim must be an int, got 1.5"),
    (lambda: A.Softshrink(-1.0), ValueError, "Softshrink: lambd must be >= 0"),
    (lambda: A.Threshold(0.5, "0"), TypeError, "Threshold: value must be a number"),
    (lambda: A.PReLU(0), ValueError, r"PReLU: num_parameters must be >= 1"),
    (lambda: A.PReLU(2.0), TypeError, "PReLU: num_parameters must be an int, got 2.0"),
    (lambda: A.PReLU(init="a"), TypeError, "PReLU: init must be a number"),
    (lambda: A.PReLU(device="cuda"), RuntimeError, "PReLU.*there is no GPU here"),
])
def test_options_are_checked_when_the_module_is_made(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ----------------------------------------------------------------------------------------------
# PReLU
# ----------------------------------------------------------------------------------------------

def test_prelu_holds_one_slope_per_channel_and_learns_it(rng):
    act = A.PReLU(3, init=0.1, dtype=np.float64)
    assert [name for name, _ in act.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(act.weight.data, [0.1, 0.1, 0.1])
    assert act.weight.dtype == np.float64 and A.PReLU().weight.dtype == np.float32
    x = rng.normal(size=(2, 3, 4))
    act(t64(x)).sum().backward()
    np.testing.assert_allclose(act.weight.grad, np.where(x > 0, 0.0, x).sum(axis=(0, 2)),
                               rtol=1e-14)
    before = act.weight.data.copy()
    SGD(act.parameters(), lr=0.1).step()
    assert not np.array_equal(act.weight.data, before)


def test_prelu_gradients_for_input_and_slopes(rng):
    x = rng.uniform(0.2, 2.0, (2, 3, 2)) * rng.choice([-1.0, 1.0], (2, 3, 2))
    act = A.PReLU(3, dtype=np.float64)
    assert gradcheck(lambda t: act(t), t64(x))
    for weight in (act.weight, A.PReLU(dtype=np.float64).weight):
        assert gradcheck(lambda w: F.prelu(Tensor(x), w), t64(weight.data))


def test_a_wrong_channel_count_names_the_layer():
    with pytest.raises(ValueError, match=r"PReLU\(num_parameters=3\): 3 slopes for an input of "
                                         r"shape \(2, 4\), whose channel axis \(axis 1\) has 4"):
        A.PReLU(3)(Tensor(np.zeros((2, 4))))


def test_a_prelu_state_dict_moves_to_pytorch_and_back(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    ours, theirs = A.PReLU(4), torch.nn.PReLU(4)
    assert {k: (v.shape, v.dtype) for k, v in ours.state_dict().items()} == \
        {k: (tuple(v.shape), np.dtype(str(v.dtype).removeprefix("torch."))) for k, v in
         theirs.state_dict().items()}
    with torch.no_grad():
        theirs.weight.uniform_(-1.0, 1.0)
    ours.load_state_dict(theirs.state_dict())
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6)
    ours.weight.data[:] = [0.5, -0.5, 0.0, 2.0]
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(theirs.weight.detach().numpy(), [0.5, -0.5, 0.0, 2.0])


# ----------------------------------------------------------------------------------------------
# ReLU, Sigmoid, Tanh, LeakyReLU, Softmax, LogSoftmax
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, reference", [
    (ReLU(), lambda x: np.maximum(x, 0)),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (Tanh(), np.tanh),
])
def test_activations_on_tensors_and_values(layer, reference):
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    assert np.allclose(layer(Tensor(x)).numpy(), reference(x))
    assert layer(Value(0.3)).data == pytest.approx(float(reference(np.array(0.3))))


@pytest.mark.parametrize("module", [Softmax, LogSoftmax, A.Softmin])
def test_softmax_modules_without_dim_refuse_3d_input_naming_themselves(module):
    """`nn.Softmax()` on (2, 3, 4) normalised the last axis where PyTorch's picks dim 0; up to
    2-D the two agree (the last axis), so that keeps working."""
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(module()(x).data, module(dim=1)(x).data)
    with pytest.raises(ValueError, match=rf"{module.__name__}: no dim given for an input of "
                                         rf"shape \(2, 3, 4\); pass dim="):
        module()(Tensor(np.zeros((2, 3, 4))))
    assert module(dim=-1)(Tensor(np.zeros((2, 3, 4)))).shape == (2, 3, 4)


def test_softmax_layers_are_stable_and_normalised():
    z = Tensor(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]))
    p = Softmax()(z).numpy()
    assert np.allclose(p.sum(axis=1), 1) and np.allclose(p[0], [1, 0, 0])
    zz = z.numpy()
    exact = zz - zz.max(axis=1, keepdims=True) - np.log(
        np.exp(zz - zz.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
    assert np.allclose(LogSoftmax()(z).numpy(), exact)           # -2000, not log(0)
    assert np.allclose(LogSoftmax()(z).numpy()[1], np.log(p[1]))
    assert np.allclose(Softmax(axis=0)(z).numpy().sum(axis=0), 1)
    assert repr(Softmax(axis=0)) == "Softmax(axis=0)"


def test_leaky_relu_works_on_tensors_and_values_with_pytorchs_slope_at_zero():
    layer = LeakyReLU(0.2)
    x = t64([-2.0, 0.0, 3.0])
    y = layer(x)
    y.backward(np.ones(3))
    np.testing.assert_array_equal(y.data, [-0.4, 0.0, 3.0])
    np.testing.assert_array_equal(x.grad, [0.2, 0.2, 1.0])
    for data, slope in ((-2.0, 0.2), (0.0, 0.2), (3.0, 1.0)):
        v = Value(data)
        layer(v).backward()
        assert v.grad == slope
    assert repr(LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(LeakyReLU(0.1, inplace=True)) == "LeakyReLU(negative_slope=0.1, inplace=True)"
    assert isinstance(MLP(2, [4], 1, activation="leaky_relu")[1], LeakyReLU)
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a number, got '0.1'"):
        LeakyReLU("0.1")


@pytest.mark.parametrize("module", [ReLU(), Sigmoid(), Tanh(), Softmax(dim=1), LogSoftmax(dim=1),
                                    A.Softmin(dim=1)], ids=repr)
def test_a_pools_values_and_indices_pair_names_the_module(module):
    # ReLU, Sigmoid and Tanh said "'tuple' object has no attribute 'relu'"; the softmax modules
    # "numpy was given a Tensor ... result of max_pool2d"
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    pair = F.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match=rf"^{re.escape(repr(module))}: takes one Tensor \(or "
                                         rf"numbers\), got a tuple of 2 Tensors.*max pool's "
                                         rf"\(values, indices\) pair.*unpack it"):
        module(pair)


def test_relu_sigmoid_and_tanh_modules_take_arrays_as_their_functions_do():
    assert ReLU()(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert Tanh()([0.0]).tolist() == [0.0] and Sigmoid()(np.zeros(1)).tolist() == [0.5]
    assert ReLU()(Value(-1.0)).data == 0.0
