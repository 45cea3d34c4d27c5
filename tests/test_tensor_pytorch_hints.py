"""A PyTorch Tensor method that glassgrad lacks or spells otherwise is named, with what to
write instead, in the AttributeError; names that neither has keep Python's plain error; and
nothing changes for the attributes a Tensor has."""

from __future__ import annotations

import copy
import math
import pickle
import re

import numpy as np
import pytest

from autograd import Tensor
from autograd.pytorch_names import IN_PLACE, TORCH_METHODS, NotInGlassgrad
from torch_helpers import needs_torch, torch


@pytest.mark.parametrize("name, says", [
    ("resize_", "is t.reshape(...) here (a new tensor: t = t.reshape(...))"),
    ("bfloat16", "has no counterpart here: numpy has no bfloat16 (t.half() is float16)"),
    ("to_sparse", "is not here (glassgrad has no sparse tensors)"),
    ("share_memory_", "has no counterpart here: a tensor's numbers are a numpy array in this "
                      "process's memory"),
])
def test_a_pytorch_method_glassgrad_lacks_is_named_with_what_to_write(name, says):
    with pytest.raises(AttributeError, match=re.escape(
            f"'Tensor' object has no attribute {name!r}; PyTorch's Tensor.{name} ") + ".*"
            + re.escape(says)):
        getattr(Tensor([1.0]), name)


def test_other_names_keep_python_s_error_and_hasattr_is_false():
    t = Tensor([1.0])
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'no_such'$"):
        t.no_such
    assert not hasattr(t, "resize_") and not hasattr(t, "share_memory_")
    assert getattr(t, "bfloat16", None) is None


def test_every_hint_is_shown_and_no_method_is_hidden_by_one():
    """A hint for a name glassgrad has would never be shown (a stale entry): each hinted name
    is a marker, and the methods glassgrad has are methods."""
    for name in list(TORCH_METHODS) + IN_PLACE:
        assert isinstance(Tensor.__dict__.get(name), NotInGlassgrad), name
    for name in ("add_", "zero_", "clamp_", "clamp", "sort", "int", "bool", "exp", "add", "exp_",
                 "movedim", "index_put_"):
        assert callable(getattr(Tensor, name)), name


def test_a_tensor_still_copies_and_pickles():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert copy.deepcopy(t).tolist() == pickle.loads(pickle.dumps(t)).tolist() == [1.0, 2.0]


def test_a_constant_with_views_and_a_view_copy_and_pickle_as_tensors_of_their_own():
    """A constant remembers its views weakly (to update them after an in-place change):
    pickle cannot write those references, and a copy is no one's view."""
    t = Tensor([1.0, 2.0, 3.0])
    view, detached = t[:2], t.detach()
    for copied in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):
        assert copied.tolist() == [1.0, 2.0, 3.0]
        copied.add_(1.0)
        assert t.tolist() == [1.0, 2.0, 3.0] and view.tolist() == [1.0, 2.0]
    for copied in (pickle.loads(pickle.dumps(view)), copy.deepcopy(view)):
        copied.add_(10.0)
        assert copied.tolist() == [11.0, 12.0] and t.tolist() == [1.0, 2.0, 3.0]
    t.add_(1.0)                                          # the originals still follow
    assert view.tolist() == [2.0, 3.0] and detached.tolist() == [2.0, 3.0, 4.0]


def test_every_in_place_form_is_a_method_of_an_op_glassgrad_has():
    """Once hints ("t = t.exp()"), now the methods (autograd/tensor_in_place_functions.py):
    IN_PLACE, the list of in-place names still hinted, is empty."""
    from autograd.tensor_in_place_functions import IN_PLACE_FORMS
    assert IN_PLACE == []
    for base in IN_PLACE_FORMS:
        assert callable(getattr(Tensor, base)) and callable(getattr(Tensor, base + "_")), base


@needs_torch
def test_every_hinted_name_is_pytorch_s():
    """A hint for a name PyTorch does not have would be a typo here."""
    missing = [n for n in list(TORCH_METHODS) + IN_PLACE if not hasattr(torch.Tensor, n)]
    assert missing == []


def test_a_hint_that_a_real_tensor_in_a_graph_raises_too():
    x = Tensor(np.ones(2), requires_grad=True) * 2.0
    with pytest.raises(AttributeError, match=r"PyTorch's Tensor.resize_ is t.reshape"):
        x.resize_(1)


def test_the_module_gives_the_methods_hint_for_pytorchs_function_of_the_same_name():
    """`torch.share_memory_(x)` after `import autograd as torch` reads the hint of
    `t.share_memory_`."""
    import autograd
    with pytest.raises(AttributeError, match=r"^module 'autograd' has no attribute "
                                             r"'share_memory_'; PyTorch's torch\.share_memory_ "
                                             r"has no counterpart here"):
        autograd.share_memory_
    with pytest.raises(AttributeError, match=r"PyTorch's torch\.LongTensor is "
                                             r"autograd\.tensor\(data, dtype=autograd\.long\)"):
        autograd.LongTensor
    # CS231n's `dtype = torch.FloatTensor; model.type(dtype)`: the class as a type
    with pytest.raises(AttributeError, match=r"as a type \(dtype = torch\.FloatTensor, then "
                                             r"x\.type\(dtype\), model\.type\(dtype\)\), "
                                             r"autograd\.float32 \(x\.float\(\)"):
        autograd.FloatTensor
    with pytest.raises(AttributeError, match=r"y\.type\(torch\.LongTensor\) is y\.long\(\)"):
        autograd.LongTensor


@pytest.mark.parametrize("name, says", [
    ("save", r"nn\.save\(obj, path\) here \(import nn\): PyTorch's own format for a path "
             r"ending in \.pt or \.pth, an \.npz file otherwise"),
    ("load", r"nn\.load\(path\) here \(import nn\): the files nn\.save writes, and "
             r"torch\.save's \.pt files"),
    ("backends", r"not needed: glassgrad computes with numpy on the CPU"),
    ("set_printoptions", r"np\.set_printoptions\(\.\.\.\) here"),
    ("get_rng_state", r"autograd\.random\.get_state\(\) and autograd\.random\.set_state"),
    ("set_rng_state", r"autograd\.random\.get_state\(\) and autograd\.random\.set_state"),
    ("seed", r"not here: seed the shared generator with autograd\.manual_seed\(seed\)"),
])
def test_pytorchs_module_names_glassgrad_spells_otherwise_say_what_to_write(name, says):
    """`torch.autograd.grad`, `torch.utils.data`, `torch.save` ... after
    `import autograd as torch`: the error names what to write instead."""
    import autograd
    with pytest.raises(AttributeError, match=rf"^module 'autograd' has no attribute '{name}'; "
                                             rf"PyTorch's torch\.{name} is .*{says}"):
        getattr(autograd, name)


def test_torch_special_is_a_module_not_a_hint():
    """Once a hint naming the Tensor methods for torch.special's common functions; now the
    module (autograd/special.py, tests/test_special_namespace.py)."""
    import autograd
    from autograd import special
    assert autograd.special is special
    assert special.erf(autograd.tensor([0.0])).tolist() == [0.0]


def test_torch_distributions_is_a_module_not_a_hint():
    """Once a hint spelling out log_softmax, gather and the Normal's formulas; now the module
    (autograd/distributions/, tests/test_distributions_*.py)."""
    import autograd
    from autograd import distributions
    assert autograd.distributions is distributions
    assert autograd.distributions.Normal(0.0, 1.0).log_prob(0.0).item() == pytest.approx(
        -0.5 * math.log(2 * math.pi))
    with pytest.raises(AttributeError, match=r"torch\.distributions\.Wishart is not built in "
                                             r"glassgrad; it has Distribution, Normal"):
        autograd.distributions.Wishart


def test_torch_autograd_is_this_module():
    """After `import autograd as torch`, a PINN's `torch.autograd.grad(u, x, create_graph=True)`
    met a hint to write `torch.grad`: torch.autograd is now the module itself, as in PyTorch,
    so its grad, functional.jacobian and Function are glassgrad's."""
    import autograd as torch
    assert torch.autograd is torch
    x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
    slope, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    curvature, = torch.autograd.grad(slope.sum(), x)
    np.testing.assert_allclose(slope.data, 3 * x.data ** 2)
    np.testing.assert_allclose(curvature.data, 6 * x.data)
    np.testing.assert_allclose(torch.autograd.functional.jacobian(lambda t: t ** 2, x).data,
                               np.diag(2 * x.data))
    assert torch.autograd.Function is torch.Function


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp",
                                  "gradgradcheck"])
def test_torch_autograd_functionals_names_are_here(name):
    """Once a hint ("glassgrad has no such function"), now the functions themselves
    (autograd/derivatives.py), also through `from autograd import *`."""
    import autograd
    from autograd import derivatives
    assert getattr(autograd, name) is getattr(derivatives, name)
    assert name in autograd.__all__


# the torch.* names short teaching scripts use (scripts ported with `import autograd as torch`)
TEACHING_SCRIPT_NAMES = """
    manual_seed no_grad inference_mode randperm is_tensor numel clamp cat stack split chunk
    sigmoid tanh relu exp log sqrt abs mean sum max min argmax softmax log_softmax matmul mm bmm
    einsum where zeros ones rand randn randint arange linspace eye tensor from_numpy float32
    float64 long int64 bool device cuda backends set_printoptions allclose isnan isinf nn optim
    utils autograd save load Generator distributions sort topk cumsum var std norm outer dot
    flatten squeeze unsqueeze gather masked_fill full full_like zeros_like ones_like rand_like
    randn_like empty sign floor ceil round maximum minimum""".split()


@pytest.mark.parametrize("name", TEACHING_SCRIPT_NAMES)
def test_every_common_torch_name_is_here_or_says_what_to_write(name):
    import autograd
    try:
        getattr(autograd, name)
    except AttributeError as error:
        assert f"PyTorch's torch.{name} " in str(error)


# -- PyTorch's own functions given a glassgrad Tensor ------------------------------------------

def test_pytorchs_functions_given_a_tensor_of_ours_say_what_to_write_without_torch():
    """The message comes from the Tensor's __torch_function__, which PyTorch asks before it
    runs a function on a tensor that is not its own; here it is asked directly, with stand-ins
    named as PyTorch's functions are."""
    def stand_in(module, name, qualname=None):
        def f():
            pass
        f.__module__, f.__name__, f.__qualname__ = module, name, qualname or name
        return f
    t = Tensor([1.0])
    cases = [(stand_in("torch.nn.functional", "cross_entropy"),
              r"PyTorch's torch.nn.functional.cross_entropy was given a glassgrad Tensor: "
              r"`import torch.nn.functional as F` imports PyTorch's functions, also after "
              r"`import autograd as torch` .*write `import nn.functional as F`"),
             (stand_in("torch._C._nn", "one_hot"), r"torch.nn.functional.one_hot .* "
                                                   r"`import nn.functional as F`"),
             (stand_in("torch.nn.init", "kaiming_normal_"),
              r"PyTorch's torch.nn.init.kaiming_normal_ .* glassgrad's is nn.init.kaiming_normal_"),
             (stand_in("torch", "tanh", "_VariableFunctionsClass.tanh"),
              r"PyTorch's torch.tanh .*\(`import autograd as torch` instead of `import torch`, "
              r"then torch.tanh is autograd.tanh"),
             (stand_in(None, "copy_", "TensorBase.copy_"),
              r"PyTorch's Tensor.copy_ .* \{k: torch.as_tensor\(v\) for k, v in sd.items\(\)\}")]
    for func, says in cases:
        with pytest.raises(TypeError, match=says):
            type(t).__torch_function__(func, (Tensor,), (t,), {})


@needs_torch
def test_the_lectures_import_of_torchs_functional_after_import_autograd_as_torch_is_named():
    """`import autograd as torch` then the lecture's `import torch.nn.functional as F`: F is
    PyTorch's (Python finds the package by name). Its functions said "argument 'input'
    (position 1) must be Tensor, not Tensor", and F.softmax half worked on our methods."""
    import torch.nn.functional as TF
    import autograd
    logits = autograd.randn(4, 27, requires_grad=True)
    ys = autograd.tensor([1, 2, 3, 4])
    for call in (lambda: TF.cross_entropy(logits, ys), lambda: TF.softmax(logits, dim=1),
                 lambda: TF.one_hot(ys, num_classes=27)):
        with pytest.raises(TypeError, match=r"given a glassgrad Tensor: `import "
                                            r"torch.nn.functional as F` imports PyTorch's"):
            call()
    with pytest.raises(TypeError, match=r"torch.tanh is autograd.tanh"):
        torch.tanh(logits)
    # what already worked still does: torch takes the numbers, and mixed operators are ours
    assert torch.as_tensor(logits.detach()).shape == (4, 27)
    assert torch.tensor(ys).tolist() == [1, 2, 3, 4]
    assert isinstance(torch.ones(4, 27) + logits.detach(), Tensor)
    assert Tensor(torch.ones(2)).tolist() == [1.0, 1.0]


def test_a_0d_tensor_in_an_f_string_prints_its_number_as_pytorchs_does():
    """makemore part 1's print(f'{nll/n}') shows the number (it showed Tensor(2.454...));
    with dimensions, or in a repr ({x=}), the tensor is shown as before."""
    nll = Tensor(np.float32(2829.7214))
    assert f"{nll / 1122}" == str(float(np.float32(2829.7214) / np.float32(1122)))
    assert f"{Tensor(3, dtype=np.int32)}" == "3" and f"{Tensor(True)}" == "True"
    w = Tensor([0.5, 1.5], requires_grad=True)
    assert f"{(w * w).sum()}" == "2.5"                      # in a graph too, as PyTorch's
    assert f"{Tensor([2.5])}" == "Tensor([2.5])" and f"{nll=}" == f"nll={nll!r}"
    assert f"{nll:.2f}" == "2829.72"
