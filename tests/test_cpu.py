"""autograd/cpu.py: PyTorch's device lines (`torch.device`, `torch.cuda.is_available()`,
`torch.accelerator`, `torch.set_default_device`) after `import autograd as torch` run as on a
machine without a GPU, the device they give is accepted wherever a device is, and any other
device is refused with the NO_GPU message."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

import autograd as torch
import nn
from autograd.devices import NO_GPU


def test_the_tutorials_device_lines_run_and_pick_the_cpu():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert (repr(device), str(device), type(device).__name__) == ("device(type='cpu')", "cpu",
                                                                 "device")
    assert type(device) is torch.device and type(device).__module__ == "autograd"
    x = torch.tensor([1.0, 2.0])
    assert x.to(device) is x and x.to(device, torch.float64).dtype == np.float64
    model = nn.Sequential(nn.Linear(2, 3, device=device), nn.ReLU())
    assert model.to(device) is model
    assert torch.arange(3, device=device).shape == (3,)
    assert torch.zeros(2, device=torch.device("cpu:0")).shape == (2,)
    assert torch.cuda.device_count() == 0
    assert torch.accelerator.is_available() is False
    assert torch.accelerator.current_accelerator() is None
    assert torch.set_default_device("cpu") is None
    assert torch.set_default_device(device) is None and torch.set_default_device(None) is None


def test_an_index_reads_and_compares_as_pytorchs():
    zero = torch.device("cpu:0")
    assert zero == torch.device("cpu", 0) == torch.device(type="cpu", index=0)
    assert (repr(zero), str(zero), zero.type, zero.index) == ("device(type='cpu', index=0)",
                                                             "cpu:0", "cpu", 0)
    assert torch.device("cpu").index is None
    assert zero != torch.device("cpu") and torch.device("cpu") != "cpu"      # as PyTorch's
    assert len({torch.device("cpu"), torch.device("cpu"), zero}) == 2
    assert pickle.loads(pickle.dumps(zero)) == zero
    assert torch.device(zero) == zero


def test_the_reprs_are_pytorchs():
    real = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    for spec in (("cpu",), ("cpu:0",), ("cpu", 0)):
        assert repr(torch.device(*spec)) == repr(real.device(*spec))
        assert str(torch.device(*spec)) == str(real.device(*spec))


@pytest.mark.parametrize("call, shown", [
    (lambda: torch.device("cuda"), "device('cuda')"),
    (lambda: torch.device("cuda:1"), "device('cuda:1')"),
    (lambda: torch.device("cuda", 0), "device('cuda:0')"),
    (lambda: torch.device("mps"), "device('mps')"),
    (lambda: torch.device(0), "device(0)"),
    (lambda: torch.set_default_device("cuda"), "set_default_device('cuda')"),
])
def test_any_other_device_is_refused_saying_there_is_no_gpu(call, shown):
    with pytest.raises(RuntimeError, match=f"^{re.escape(f'{shown}: {NO_GPU}')}$"):
        call()


def test_what_is_not_a_device_is_named():
    with pytest.raises(ValueError, match=r"device: expected a device such as 'cpu', got 'gpu'"):
        torch.device("gpu")
    with pytest.raises(ValueError, match=r"device: 'cpu:x' is not a device"):
        torch.device("cpu:x")
    with pytest.raises(TypeError, match=r"set_default_device: expected a device such as 'cpu', "
                                        r"got 1.5"):
        torch.set_default_device(1.5)


def test_the_rest_of_torch_cuda_is_refused_with_the_reason():
    with pytest.raises(AttributeError, match=re.escape(
            f"module 'autograd.cuda' has no attribute 'synchronize': {NO_GPU}")):
        torch.cuda.synchronize()
    with pytest.raises(AttributeError, match=r"module 'autograd.accelerator' has no attribute "
                                             r"'set_device_index'"):
        torch.accelerator.set_device_index(0)


def test_a_star_import_leaves_a_scripts_device_variable_alone():
    namespace = {"device": "mine"}
    exec("from autograd import *", namespace)
    assert namespace["device"] == "mine" and "cuda" not in namespace


def test_a_tensor_is_on_the_cpu_device_and_new_tensors_can_be_made_there():
    """`x.device` is PyTorch's way to make a tensor beside another (`zeros(..., device=x.device)`)
    and to print where a model lives."""
    x = torch.Tensor([[1.0, 2.0]])
    assert x.device == torch.device("cpu") and repr(x.device) == "device(type='cpu')"
    assert torch.zeros(2, 3, device=x.device).device == x.device


def test_seeding_cuda_does_nothing_as_in_pytorch_without_a_gpu():
    """Seeding helpers call `torch.cuda.manual_seed_all(seed)` unconditionally; PyTorch ignores
    it when there is no GPU, and so does this: the CPU's numbers are not reseeded."""
    torch.manual_seed(3)
    first = torch.randn(4).numpy()
    torch.manual_seed(3)
    assert torch.cuda.manual_seed(5) is None and torch.cuda.manual_seed_all(5) is None
    np.testing.assert_array_equal(torch.randn(4).numpy(), first)
