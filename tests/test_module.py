"""nn.module: parameter discovery, names, modes, state dicts."""

import functools
import re

import numpy as np
import pytest

from autograd import Tensor, Value
from autograd import no_grad
from nn import Linear, ReLU, Sequential
from nn.module import (Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList,
                       StateDictKeyError, is_parameter)


class Affine(Module):
    def __init__(self, n=2):
        self.scale = Parameter(np.ones(n))
        self.shift = Parameter(np.zeros(n))

    def forward(self, x):
        return x * self.scale + self.shift


class Net(Module):
    def __init__(self):
        self.first = Affine()
        self.gain = Parameter(2.0)
        self.blocks = [Affine(3), Affine(3)]
        self.constant = Tensor([1.0, 2.0])       # not a Parameter: not trained
        self.label = "net"

    def forward(self, x):
        return self.first(x) * self.gain


def test_named_parameters_use_dotted_names_module_params_first():
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["gain", "first.scale", "first.shift", "blocks.0.scale", "blocks.0.shift",
                     "blocks.1.scale", "blocks.1.shift"]


def test_label_parameters_names_each_unlabelled_parameter_for_drawings():
    from autograd import draw_graph
    net = Net()
    net.first.shift.label = "b"                      # a label given by hand is kept
    assert net.label_parameters() is net
    assert [p.label for p in net.parameters()] == [
        "gain", "first.scale", "b", "blocks.0.scale", "blocks.0.shift", "blocks.1.scale",
        "blocks.1.shift"]
    svg = draw_graph(net(Tensor([1.0, 2.0])).sum(), engine="builtin").svg()
    assert "first.scale" in svg and "gain" in svg


def test_a_tensor_that_requires_grad_but_is_no_parameter_is_refused_where_assigned():
    class Micrograd(Module):
        def __init__(self):
            self.w = Tensor([1.0, 2.0], requires_grad=True)     # meant as a weight

    with pytest.raises(TypeError, match=r"Micrograd.w: a Tensor that requires grad is not a "
                                        r"parameter.*nn.Parameter\(values\)"):
        Micrograd()
    net = Net()
    with pytest.raises(TypeError, match=r"Net.ws: a Tensor that requires grad"):
        net.ws = [Parameter([1.0]), Tensor([2.0], requires_grad=True)]
    net.frozen = Tensor([1.0], requires_grad=False)              # constants are fine,
    net.computed = net.gain * 2                                 # and so are results
    assert "frozen" not in dict(net.named_parameters())


def test_parameters_are_found_from_attributes_assigned_later():
    net = Net()
    net.extra = Parameter([0.5])
    assert "extra" in dict(net.named_parameters())
    net.blocks.append(Affine(1))                     # a plain list stays live
    assert "blocks.2.scale" in dict(net.named_parameters())


def test_shared_parameters_and_modules_are_listed_once():
    net = Net()
    net.second = net.first                            # the same module under two names
    net.tied = net.gain                               # the same parameter under two names
    params = net.parameters()
    assert len(params) == len({id(p) for p in params}) == 7
    assert [name for name, _ in net.named_modules()].count("second") == 0


def test_value_leaves_that_want_gradients_are_parameters():
    class Scalar(Module):
        def __init__(self):
            self.w = [Value(1.0), Value(2.0)]
            self.b = Value(0.0)
            self.fixed = Value(3.0, requires_grad=False)
            self.computed = self.w[0] * self.w[1]      # a result, not a leaf

    assert [name for name, _ in Scalar().named_parameters()] == ["w.0", "w.1", "b"]
    assert not is_parameter(Tensor([1.0], requires_grad=True))
    assert is_parameter(Parameter([1.0]))


def test_parameter_requires_grad_and_rejects_integers():
    p = Parameter([1.0, 2.0])
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        Parameter(np.arange(3))
    assert repr(p) == "Parameter([1., 2.], requires_grad=True)"
    assert (p * 2).__class__ is Tensor                 # results of ops are plain tensors


def test_zero_grad_resets_tensor_and_value_parameters():
    class Mixed(Module):
        def __init__(self):
            self.t = Parameter([1.0, 2.0])
            self.v = Value(3.0)

    m = Mixed()
    ((m.t * m.t).sum() * m.v.data).backward()
    (m.v * m.v).backward()
    assert m.t.grad is not None and m.v.grad == 6.0
    m.zero_grad()
    assert m.t.grad is None and m.v.grad == 0.0


def test_train_and_eval_switch_every_module():
    net = Net()
    assert net.training and net.first.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


@pytest.mark.parametrize("mode", ["eval", "False", 0, None])
def test_train_refuses_a_mode_that_is_not_a_bool_as_pytorch_does(mode):
    model = Sequential(Linear(2, 2))
    with pytest.raises(ValueError, match=r"Sequential\.train: the mode must be True or False, "
                                         r"got .*; model\.eval\(\) is train\(False\)"):
        model.train(mode)
    assert model.training and model[0].training


def test_call_runs_forward_and_a_missing_forward_is_named():
    assert np.allclose(Affine()(Tensor([1.0, 2.0])).numpy(), [1.0, 2.0])

    class NoForward(Module):
        pass

    with pytest.raises(NotImplementedError, match=r"NoForward must define forward\(\)$"):
        NoForward()(1)


def test_a_misspelled_forward_is_pointed_out():
    class Misspelled(Module):
        def foward(self, x):
            return x

    with pytest.raises(NotImplementedError, match=r"Misspelled must define forward\(\) \(it "
                                                  r"has 'foward': a misspelling\?\)"):
        Misspelled()(1)


def test_arguments_passed_up_to_module_init_are_named():
    class Sized(Module):
        def __init__(self, size):
            super().__init__(size)

    with pytest.raises(TypeError, match=r"Module\.__init__\(\) takes no arguments, but Sized "
                                        r"passed 1: .*super\(\)\.__init__\(\) without them"):
        Sized(3)


@pytest.mark.parametrize("base", [ModuleList, Sequential, ModuleDict])
def test_a_container_subclass_that_skips_its_init_says_to_call_it(base):
    class Forgetful(base):
        def __init__(self):
            self.fc = Linear(2, 2)

    with pytest.raises(AttributeError, match=rf"Forgetful\.__init__ must call "
                                             rf"super\(\)\.__init__\(\.\.\.\) before using the "
                                             rf"{base.__name__}"):
        Forgetful().parameters()


def test_module_list_names_by_position_and_checks_items():
    ml = ModuleList([Affine(), Affine()])
    assert len(ml) == 2 and ml[1] is list(ml)[1]
    assert [n for n, _ in ml.named_parameters()] == ["0.scale", "0.shift", "1.scale", "1.shift"]
    with pytest.raises(TypeError, match="expected a Module, got int"):
        ml.append(3)


def test_what_is_not_a_module_is_named_with_the_module_it_was_meant_to_be():
    """Sequential([...]), Sequential(Linear(...), ReLU) and Sequential(..., F.relu): each says
    what it got and what to write; an index past the end names the container and its length."""
    from nn import functional as F
    cases = [(([Linear(2, 2), ReLU()],), r"got a list; give the modules themselves, not a list "
                                         r"of them: Sequential\(\*layers\)"),
             ((Linear(2, 2), ReLU), r"got the class ReLU; pass an instance: ReLU\(\)"),
             ((Linear(2, 2), F.relu), r"got the function relu; a function is not a layer: use "
                                      r"its module \(nn.ReLU\(\) for relu\)")]
    for layers, message in cases:
        with pytest.raises(TypeError, match="Sequential: expected a Module, " + message):
            Sequential(*layers)
    for container in (Sequential(Linear(2, 2)), ModuleList([Linear(2, 2)])):
        with pytest.raises(IndexError, match=rf"{type(container).__name__}: index 3 is out of "
                                             rf"range for 1 modules"):
            container[3]
        assert container[-1] is list(container)[-1]


def test_a_layer_class_of_ones_own_in_a_sequential_is_told_to_subclass_module():
    """makemore part 5 writes its layers as plain classes with __call__ and parameters();
    put in a Sequential, one is an object, not a function: the message says how it becomes a
    Module (it called it "the function FlattenConsecutive")."""
    class FlattenConsecutive:
        def __init__(self, n):
            self.n = n

        def __call__(self, x):
            return x

        def parameters(self):
            return []

    with pytest.raises(TypeError, match=r"Sequential: expected a Module, got a "
                       r"FlattenConsecutive object, which is not a Module: a layer of your own "
                       r"becomes one as class FlattenConsecutive\(nn.Module\), with "
                       r"super\(\).__init__\(\) first in __init__, its __call__ renamed "
                       r"forward"):
        Sequential(Linear(2, 2), FlattenConsecutive(2))
    with pytest.raises(TypeError, match="got the function partial; a function is not a layer"):
        Sequential(functools.partial(np.tanh))


# stand-ins named as PyTorch's classes are (torch need not be installed)
TorchModule = type("Module", (), {"__module__": "torch.nn.modules.module",
                                  "__call__": lambda self, x: x})
TorchReLU = type("ReLU", (TorchModule,), {"__module__": "torch.nn.modules.activation"})
TorchLinear = type("Linear", (TorchModule,), {"__module__": "torch.nn.modules.linear"})
TorchTensor = type("Tensor", (), {"__module__": "torch", "requires_grad": True})
TorchConstant = type("Tensor", (), {"__module__": "torch", "requires_grad": False})


def test_a_pytorch_layer_in_a_sequential_is_named_as_pytorchs_not_as_ones_own():
    """`import torch.nn as nn` kept beside glassgrad's: torch.nn.ReLU() in a Sequential was
    told "a layer of your own becomes one as class ReLU(nn.Module)", a rewrite of PyTorch's
    class. Stand-ins named as PyTorch's classes are (torch need not be installed)."""
    Mine = type("Mine", (TorchModule,), {"__module__": "__main__"})
    with pytest.raises(TypeError, match=r"got PyTorch's torch.nn.ReLU, which is not a glassgrad "
                                        r"Module: use glassgrad's nn.ReLU\(...\) \(`import nn`, "
                                        r"not `import torch.nn as nn`\)"):
        Sequential(Linear(2, 2), TorchReLU())
    with pytest.raises(TypeError, match=r"got a Mine object, a subclass of PyTorch's "
                                        r"torch.nn.Module, which is not a glassgrad Module: "
                                        r"subclass glassgrad's nn.Module instead"):
        Sequential(Mine())


def test_a_pytorch_layer_or_trainable_tensor_as_an_attribute_is_refused_where_it_is_assigned():
    """self.fc = torch.nn.Linear(2, 3) in a glassgrad Module went in without a word: its
    weights were missing from parameters() and checkpoints, and the first forward failed with
    advice about torch.nn.functional. Stand-ins named as PyTorch's classes are."""
    class Net(Module):
        def __init__(self, part):
            self.fc = part

    with pytest.raises(TypeError, match=r"Net.fc: got PyTorch's torch.nn.Linear, which is not a "
                                        r"glassgrad Module: use glassgrad's nn.Linear.*would not "
                                        r"be trained or saved"):
        Net(TorchLinear())
    with pytest.raises(TypeError, match=r"Net.fc: got a PyTorch tensor that requires grad.*"
                                        r"nn.Parameter\(t.detach\(\).numpy\(\)\)"):
        Net(TorchTensor())
    assert isinstance(Net(TorchConstant()).fc, TorchConstant)   # kept as any attribute is
    assert Net(np.tanh).fc is np.tanh


def test_pytorch_layers_in_a_list_or_dict_attribute_are_refused_where_assigned():
    """self.layers = [torch.nn.Linear(2, 3), ...]: a plain list of modules counts in glassgrad,
    but PyTorch's layers in it went in without a word, their weights left out of parameters()
    as a single one's were. Stand-ins named as PyTorch's classes are."""
    class Net(Module):
        def __init__(self, part):
            self.layers = part

    for holder in (list, tuple):
        with pytest.raises(TypeError, match=rf"Net.layers: got a {holder.__name__} holding "
                                            r"PyTorch's torch.nn.Linear.*use glassgrad's "
                                            r"nn.Linear.*would not be trained or saved"):
            Net(holder([Linear(2, 2), TorchLinear()]))
    with pytest.raises(TypeError, match=r"Net.layers: got a dict holding PyTorch's "
                                        r"torch.nn.Linear"):
        Net({"fc": TorchLinear()})
    with pytest.raises(TypeError, match=r"Net.layers: got a list holding a PyTorch tensor "
                                        r"that requires grad"):
        Net([TorchTensor()])
    assert Net([1.0, "a", np.tanh]).layers == [1.0, "a", np.tanh]


def test_a_pytorch_layer_glassgrad_lacks_is_not_sent_to_a_class_that_does_not_exist():
    Lazy = type("LazyLinear", (TorchModule,), {"__module__": "torch.nn.modules.linear"})
    with pytest.raises(TypeError, match=r"PyTorch's torch.nn.LazyLinear, which is not a "
                                        r"glassgrad Module, and glassgrad has no "
                                        r"nn.LazyLinear: write the layer as a subclass of "
                                        r"glassgrad's nn.Module"):
        Sequential(Lazy())


def test_num_parameters_counts_numbers():
    assert Net().num_parameters() == 2 + 2 + 1 + 3 * 4


def test_repr_is_a_tree():
    class Wrapper(Module):
        def __init__(self):
            self.inner = ModuleList([Affine()])

        def extra_repr(self):
            return "note=1"

    assert repr(Wrapper()) == ("Wrapper(\n  note=1\n  (inner): ModuleList(\n"
                               "    (0): Affine()\n  )\n)")


# -- state dicts ---------------------------------------------------------------------------------

def test_state_dict_gives_detached_tensors_that_share_the_parameters_numbers():
    """state_dict() gave ndarray copies: the usual early-stopping snapshot
    `{k: v.clone() for k, v in sd.items()}` failed ("'numpy.ndarray' object has no attribute
    'clone'") and `sd["weight"][...] = 0` left the model as it was. PyTorch's gives detached
    tensors that share the parameters' memory."""
    net = Net()
    state = net.state_dict()
    assert list(state) == [name for name, _ in net.named_parameters()]
    assert all(type(v) is Tensor and not v.requires_grad and v.is_leaf for v in state.values())
    state["first.scale"][...] = 7                       # writes into the model
    assert np.all(net.first.scale.data == 7)
    snapshot = {name: value.clone() for name, value in net.state_dict().items()}
    with no_grad():
        net.first.scale *= 2                            # as an optimizer's step does
    assert np.all(state["first.scale"].numpy() == 14)   # the state dict follows the model,
    assert np.all(snapshot["first.scale"].numpy() == 7)  # its clone does not
    net.load_state_dict(snapshot)
    assert np.all(net.first.scale.data == 7)


def test_an_in_place_change_of_a_state_dict_entry_reaches_the_model():
    """sd["running_var"].add_(1) and sd["bias"] += 1 change the model, as PyTorch's do; a
    buffer's entry took new numbers of its own instead, and the model's stayed."""
    from nn import BatchNorm1d
    bn = BatchNorm1d(2)
    state = bn.state_dict()
    state["running_var"].add_(1.0)
    state["running_mean"] += 0.5
    state["bias"] -= 2.0
    assert bn.running_var.tolist() == [2.0, 2.0] and bn.running_mean.tolist() == [0.5, 0.5]
    assert bn.bias.tolist() == [-2.0, -2.0]


def test_a_state_dict_is_what_numpy_and_nn_save_take(tmp_path):
    """np.savez(f, **sd) and nn.save write the same arrays as before, and they load back."""
    from nn import load, save
    net = Net()
    np.savez(tmp_path / "plain.npz", **net.state_dict())
    save(net.state_dict(), tmp_path / "saved.npz")
    for stored in (dict(np.load(tmp_path / "plain.npz")), load(tmp_path / "saved.npz")):
        assert list(stored) == list(net.state_dict())
        assert all(type(v) is np.ndarray for v in stored.values())
        for name, value in net.state_dict().items():
            np.testing.assert_array_equal(stored[name], value.numpy())
            assert stored[name].dtype == value.dtype
        Net().load_state_dict(stored)


def test_a_value_parameter_comes_as_a_0d_float64_tensor():
    """A Value's number is a Python float, which nothing can share: a Tensor of its own."""
    class Scalars(Module):
        def __init__(self):
            self.w = [Value(1.5), Value(-2.0)]
    m = Scalars()
    state = m.state_dict()
    assert [(type(v), v.shape, v.dtype, v.item()) for v in state.values()] == \
        [(Tensor, (), np.float64, 1.5), (Tensor, (), np.float64, -2.0)]
    m.load_state_dict({name: value * 2 for name, value in state.items()})
    assert [p.data for p in m.parameters()] == [3.0, -4.0]


def test_load_state_dict_round_trip_into_a_fresh_model():
    a, b = Net(), Net()
    a.first.scale.data[...] = [3, 4]
    a.gain.data[...] = -1.5
    b.load_state_dict(a.state_dict())
    assert np.array_equal(b.first.scale.data, [3, 4]) and b.gain.data == -1.5
    assert b.first.scale.data is not a.first.scale.data


def test_load_state_dict_into_values_keeps_floats():
    class Scalar(Module):
        def __init__(self):
            self.w = [Value(1.0), Value(2.0)]

    m = Scalar()
    m.load_state_dict({"w.0": np.array(5.0), "w.1": np.float32(6)})
    assert [p.data for p in m.w] == [5.0, 6.0] and type(m.w[0].data) is float


def test_load_state_dict_names_missing_and_unexpected_entries():
    state = Net().state_dict()
    del state["gain"]
    state["stray"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing \['gain'\]; unexpected \['stray'\]"):
        Net().load_state_dict(state)
    Net().load_state_dict(state, strict=False)          # allowed, and the rest still loads


def test_wrong_names_raise_a_runtime_error_as_in_pytorch_that_is_still_a_key_error():
    from nn.module import StateDictKeyError
    state = Net().state_dict()
    del state["gain"]
    with pytest.raises(RuntimeError) as caught:           # what PyTorch code catches
        Net().load_state_dict(state)
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, StateDictKeyError)
    assert str(caught.value) == "load_state_dict: Net state does not match: missing ['gain']"


def test_every_wrong_shape_is_named_in_one_runtime_error_that_is_still_a_value_error():
    from nn.module import StateDictShapeError
    model = Sequential(Linear(2, 4), ReLU(), Linear(4, 1))
    checkpoint = Sequential(Linear(2, 8), ReLU(), Linear(8, 1)).state_dict()
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict(checkpoint)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, StateDictShapeError)
    assert str(caught.value) == (
        "load_state_dict: Sequential state does not fit: '0.weight' has shape (8, 2), the model "
        "expects (4, 2); '0.bias' has shape (8,), the model expects (4,); '2.weight' has shape "
        "(1, 8), the model expects (1, 4)")


@pytest.mark.parametrize("state, message", [
    (None, "got NoneType"),
    ("model.npz", "got the path 'model.npz'; read a file with model.load"),
    (Linear(2, 1), r"got the Linear module itself; pass its .state_dict\(\)"),
    (Linear(2, 1).state_dict, r"got method \(the method state_dict itself; call it: "
                              r"\.state_dict\(\)\)"),
])
def test_load_state_dict_says_what_it_got_instead_of_a_state_dict(state, message):
    """A path was read as a string of names ("unexpected ['m', 'o', ...]"), None as a crash."""
    with pytest.raises(TypeError, match=r"load_state_dict: expected a dict of name -> array "
                                        r"\(as from state_dict\(\) or nn.load\), " + message):
        Linear(2, 1).load_state_dict(state)


def test_a_whole_training_checkpoint_gets_a_hint_to_pass_its_model_entry():
    checkpoint = {"model": Linear(2, 1).state_dict(), "epoch": 3}
    with pytest.raises(KeyError, match=r"unexpected \['model', 'epoch'\] \(a training "
                                       r"checkpoint: pass its \['model'\] entry\)"):
        Linear(2, 1).load_state_dict(checkpoint)


@pytest.mark.parametrize("value, error, message", [
    (None, TypeError, "'weight' holds object data, expected floating-point numbers"),
    ({"a": 1}, TypeError, "'weight' holds object data"),
    ([[1.0], [1.0, 2.0]], ValueError, "'weight' is not a rectangular array"),
])
def test_a_value_that_is_no_array_of_numbers_is_named_as_such(value, error, message):
    """None or a dict was reported as "has shape ()", a ragged list in numpy's words only."""
    with pytest.raises(error, match=f"load_state_dict: {message}"):
        Linear(2, 1).load_state_dict({"weight": value, "bias": np.zeros(1)})


def test_load_state_dict_checks_shapes_before_writing_anything():
    net = Net()
    state = net.state_dict()
    state["gain"] = np.array(9.0)
    state["blocks.1.shift"] = np.zeros(4)                # wrong: (3,) expected
    with pytest.raises(ValueError, match=r"'blocks.1.shift' has shape \(4,\), the model expects"
                                         r" \(3,\)"):
        net.load_state_dict(state)
    assert net.gain.data == 2.0                          # nothing was written


def test_load_state_dict_rejects_non_numbers():
    state = Net().state_dict()
    state["gain"] = np.array("two")
    with pytest.raises(TypeError, match="'gain' holds <U3 data, expected floating-point numbers"):
        Net().load_state_dict(state)
    state["gain"] = np.array(2, dtype=np.int64)          # an integer where weights are floats
    with pytest.raises(TypeError, match="'gain' holds int64 data"):
        Net().load_state_dict(state)


def test_assigning_a_plain_tensor_over_a_parameter_is_refused():
    layer = Linear(2, 2)
    weight = layer.weight
    with pytest.raises(TypeError, match=r"cannot assign a Tensor to Linear\.weight, which holds "
                                        r"a parameter \(nn\.Parameter or None expected\).*"
                                        r"nn\.Parameter\(value\)"):
        with no_grad():
            layer.weight = layer.weight - 0.1 * np.ones((2, 2), np.float32)
    with pytest.raises(TypeError, match="cannot assign a float to Affine.scale"):
        Affine().scale = 1.0
    assert layer.weight is weight and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.weight = Parameter(np.zeros((2, 2)))        # a Parameter, or None, may replace one
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    net = Net()
    net.gain = Value(3.0)                             # a scalar model's parameter is a Value leaf


def test_anything_but_a_module_or_none_over_a_module_is_refused_as_in_pytorch():
    net = Net()
    for value, shown in [(np.ones(2), "got ndarray"), (3, "got int"),
                         (np.tanh, "got the function tanh; a function is not a layer"),
                         (Affine, r"got the class Affine; pass an instance: Affine\(\)")]:
        with pytest.raises(TypeError, match=r"Net\.first holds a module, which only a Module or "
                                            r"None may replace .*" + shown):
            net.first = value
    assert isinstance(net.first, Affine)              # nothing changed
    net.first = Affine(3)
    net.first = Parameter(np.ones(2))                 # a parameter may, as in PyTorch
    net.first = None
    assert [n for n, _ in net.named_parameters()][:1] == ["gain"]


def test_a_plain_dict_of_modules_is_refused_and_module_dict_registers_them():
    class Heads(Module):
        def __init__(self, heads):
            self.heads = heads

    with pytest.raises(TypeError, match=r"Heads\.heads: a plain dict of modules or parameters "
                                        r"is not registered.*nn\.ModuleDict"):
        Heads({"a": Affine(), "b": Affine()})
    assert Heads({"lr": 0.1}).heads == {"lr": 0.1}   # a dict of settings is fine
    heads = Heads(ModuleDict({"a": Affine()}))
    heads.heads["b"] = Affine()
    assert [n for n, _ in heads.named_parameters()] == [
        "heads.a.scale", "heads.a.shift", "heads.b.scale", "heads.b.shift"]
    assert list(heads.heads) == ["a", "b"] and "a" in heads.heads and len(heads.heads) == 2
    with pytest.raises(TypeError, match=r"ModuleDict\['c'\]: expected a Module, got int"):
        heads.heads["c"] = 3
    with pytest.raises(TypeError, match="keys must be non-empty strings without '.'"):
        heads.heads["c.d"] = Affine()
    extra = Affine()
    heads.heads.update({"c": extra})
    assert heads.heads.pop("c") is extra and list(heads.heads) == ["a", "b"]
    with pytest.raises(TypeError, match=r"ModuleDict\['d'\]: expected a Module"):
        heads.heads.update([("d", 1.0)])
    heads.heads.clear()
    assert list(heads.named_parameters()) == []


def test_state_dict_lists_a_shared_module_under_each_name_as_pytorch_does():
    net = Net()
    net.second = net.first                            # tied: the same module under two names
    state = net.state_dict()
    assert {"first.scale", "second.scale", "first.shift", "second.shift"} <= set(state)
    assert len(net.parameters()) == 7                 # parameters() still lists it once
    state["second.scale"] = np.full(2, 5.0)           # the last of the names wins, as in torch
    net.load_state_dict(state)
    assert net.first.scale.data.tolist() == [5.0, 5.0]
    del state["second.scale"], state["second.shift"]  # an older checkpoint named it once
    net.load_state_dict(state)
    with pytest.raises(KeyError, match=r"missing \['first.scale', 'second.scale'\]"):
        net.load_state_dict({k: v for k, v in state.items() if not k.endswith("scale")
                             or k.startswith("blocks")})


def test_children_lists_a_layer_used_twice_once_as_pytorch_does():
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    assert list(model.children()) == [shared, model[1]]
    assert repr(model).count("Linear(") == 2          # the tree still shows every position
    assert model.get_submodule("2") is shared


def test_a_back_reference_to_a_parent_does_not_loop():
    net = Net()
    net.first.owner = net
    assert [name for name, _ in net.named_modules(remove_duplicate=False)].count("") == 1
    assert "first.owner.gain" not in net.state_dict()


def test_slicing_a_sequential_keeps_the_layers_and_their_names():
    model = Sequential(Linear(2, 3), Affine(3), Linear(3, 1))
    head = model[:2]
    assert isinstance(head, Sequential) and head[0] is model[0] and len(head) == 2
    assert head(Tensor(np.ones((4, 2), np.float32))).shape == (4, 3)
    tail = model[1:]
    assert [name for name, _ in tail.named_children()] == ["1", "2"]      # as torch keeps them
    assert list(tail.state_dict())[-2:] == ["2.weight", "2.bias"]
    tail.append(Affine(1))
    assert [name for name, _ in tail.named_children()] == ["1", "2", "3"]
    part = ModuleList([Affine(), Affine(), Affine()])[1:]
    assert isinstance(part, ModuleList) and [n for n, _ in part.named_children()] == ["0", "1"]


def test_state_dict_orders_entries_module_by_module_as_pytorch_does():
    from nn import BatchNorm1d
    model = Sequential(Linear(2, 3), BatchNorm1d(3), Linear(3, 1))
    assert list(model.state_dict()) == [      # torch.nn's order for the same network
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "2.weight", "2.bias"]


def test_recurse_false_lists_only_the_module_s_own_parameters_and_buffers():
    net = Net()
    assert [name for name, _ in net.named_parameters(recurse=False)] == ["gain"]
    assert net.parameters(recurse=False) == [net.gain]
    assert [name for name, _ in net.named_parameters("net", recurse=False)] == ["net.gain"]
    net.register_buffer("count", np.zeros(()))
    net.first.register_buffer("seen", np.ones(2))
    assert len(net.buffers()) == 2 and len(net.buffers(recurse=False)) == 1


def test_zero_grad_set_to_none_false_keeps_zero_arrays():
    m = Affine()
    (m.scale * m.shift).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.scale.grad.tolist() == [0.0, 0.0] and m.scale.grad.dtype == m.scale.dtype
    m.zero_grad()
    assert m.scale.grad is None
    m.zero_grad(set_to_none=False)                   # a gradient that was None stays None
    assert m.scale.grad is None


def test_zero_grad_set_to_none_false_writes_the_zeros_into_the_gradients_arrays():
    """As PyTorch's grad.zero_(): the same arrays, zeroed (a new array a parameter each step
    was an allocation each); a read-only gradient set by hand, or one that is a node (after
    backward(create_graph=True)), is replaced by new zeros and left as it was."""
    m = Affine()
    (m.scale * m.shift).sum().backward()
    held = m.scale.grad
    m.zero_grad(set_to_none=False)
    assert m.scale.grad is held and held.tolist() == [0.0, 0.0]
    shared = np.ones(2, np.float32)
    m.scale.grad = np.broadcast_to(shared[:1], (2,))            # read-only
    m.shift.grad = Tensor(np.full(2, 3.0, np.float32))           # a node
    node = m.shift.grad
    m.zero_grad(set_to_none=False)
    assert m.scale.grad.tolist() == [0.0, 0.0] and m.scale.grad.flags.writeable
    assert shared.tolist() == [1.0, 1.0]
    assert type(m.shift.grad) is np.ndarray and m.shift.grad.tolist() == [0.0, 0.0]
    assert node.tolist() == [3.0, 3.0]


def test_requires_grad_freezes_and_unfreezes_parameters_which_stay_registered():
    net = Net()
    assert net.first.requires_grad_(False) is net.first
    assert not net.first.scale.requires_grad and net.gain.requires_grad
    assert len(net.parameters()) == 7 and "first.scale" in net.state_dict()
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    frozen = Parameter([1.0], requires_grad=False)
    assert not frozen.requires_grad and is_parameter(frozen)
    with pytest.raises(TypeError, match="pass requires_grad=False by keyword"):
        Parameter([1.0], False)


def test_requires_grad_false_refuses_value_parameters_that_would_vanish():
    class Scalar(Module):
        def __init__(self):
            self.w = Value(1.0)

    with pytest.raises(TypeError, match="drop them from parameters"):
        Scalar().requires_grad_(False)


def test_apply_visits_children_first_then_the_module_each_once():
    net = Net()
    net.second = net.first                            # shared: visited once
    seen = []
    assert net.apply(seen.append) is net
    assert seen == [net.first, net.blocks[0], net.blocks[1], net]


def test_add_module_and_register_parameter_assign_by_name_with_checks():
    m = Module()
    m.add_module("layer0", Affine())
    m.register_parameter("w", Parameter([1.0]))
    assert [name for name, _ in m.named_parameters()] == ["w", "layer0.scale", "layer0.shift"]
    with pytest.raises(TypeError, match="must be a Module"):
        m.add_module("x", Parameter([1.0]))
    with pytest.raises(TypeError, match="must be an nn.Parameter"):
        m.register_parameter("x", Tensor([1.0]))
    with pytest.raises(KeyError, match="without '.'"):
        m.add_module("a.b", Affine())
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))


def test_a_refused_register_buffer_leaves_no_buffer_behind():
    m = Affine()
    with pytest.raises(KeyError, match="'scale' already holds a parameter"):
        m.register_buffer("scale", np.zeros(2))
    m.child = Affine()
    with pytest.raises(KeyError, match="'child' already holds a module"):
        m.register_buffer("child", np.zeros(2))
    with pytest.raises(TypeError, match="stat is a buffer"):
        m.register_buffer("stat", "running")
    assert m.buffers() == [] and list(m.state_dict()) == [
        "scale", "shift", "child.scale", "child.shift"]
    m.load_state_dict(m.state_dict())


def test_a_list_inside_a_list_of_modules_is_refused():
    m = Module()
    with pytest.raises(TypeError, match="list inside a list"):
        m.blocks = [[Affine()], [Affine()]]
    m.shapes = [(2, 3), (3, 1)]                       # plain data is fine


class _PositionalTable(Module):
    """A PyTorch-style module: its buffers registered as Tensors, read with Tensor methods."""

    def __init__(self, n: int = 6, d: int = 4) -> None:
        super().__init__()
        position = Tensor(np.arange(n, dtype=np.float32)).unsqueeze(1)
        self.register_buffer("pe", (position * Tensor(np.ones(d, np.float32))).unsqueeze(0))
        self.register_buffer("tril", Tensor(np.tril(np.ones((n, n), np.float32))))
        self.register_buffer("ema", Tensor(np.zeros(d, np.float32)))
        self.register_buffer("steps", Tensor(np.zeros((), np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        self.ema.mul_(0.5).add_(x.mean((0, 1)).detach(), alpha=0.5)
        self.steps += 1
        mask = self.tril[:x.size(1), :x.size(1)].bool().unsqueeze(0)
        return (x + self.pe[:, :x.size(1)].to(x.device)).masked_fill(~mask[..., :1], 0.0)


def test_a_buffer_registered_as_a_tensor_is_a_tensor_as_in_pytorch():
    """PyTorch's buffers are tensors: self.pe[:, :x.size(1)], self.mask.bool(),
    self.ema.mul_(m).add_(...) failed on the ndarray a buffer was made into ('int' object is
    not callable; 'numpy.ndarray' object has no attribute 'bool' / 'mul_' / 'to')."""
    m = _PositionalTable()
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4), requires_grad=True)
    out = m(x)
    out.sum().backward()
    assert out.shape == (2, 3, 4) and x.grad.tolist() == np.ones((2, 3, 4)).tolist()
    assert all(isinstance(b, Tensor) and not b.requires_grad for b in m.buffers())
    assert m.pe.size(1) == 6 and m.steps.item() == 1
    assert m.ema.tolist() == (0.5 * x.data.mean((0, 1))).tolist()
    # the state dict shares the buffers' numbers, loads in place (the same objects), and
    # casts keep them Tensors
    sd = m.state_dict()
    assert list(sd) == ["pe", "tril", "ema", "steps"]
    sd["ema"][...] = 7.0
    assert m.ema.tolist() == [7.0] * 4
    ema, fresh = m.ema, _PositionalTable()
    m.load_state_dict(fresh.state_dict())
    assert m.ema is ema and m.ema.tolist() == [0.0] * 4 and m.steps.item() == 0
    m.double()
    assert isinstance(m.pe, Tensor) and m.pe.dtype == np.float64 and m.steps.dtype == np.int64
    # a value in a graph becomes the buffer detached (a constant sharing its numbers)
    m.ema = x.mean((0, 1))
    assert isinstance(m.ema, Tensor) and not m.ema.requires_grad and m.ema.is_leaf
    # an array registered stays an array, as glassgrad's own layers keep theirs
    m.register_buffer("counts", np.zeros(3))
    assert isinstance(m.counts, np.ndarray)


def test_buffers_can_be_deleted_reassigned_and_replaced_by_a_parameter():
    m = Module()
    m.register_buffer("stat", np.zeros(2))
    m.stat = Tensor([1.0, 2.0])                       # still a buffer, of the kind assigned
    assert isinstance(m.stat, Tensor) and m.state_dict()["stat"].tolist() == [1.0, 2.0]
    m.stat = [0.5, 1.5]
    assert isinstance(m.stat, np.ndarray) and m.state_dict()["stat"].tolist() == [0.5, 1.5]
    with pytest.raises(TypeError, match="stat is a buffer"):
        m.stat = "running"
    m.stat = Parameter([3.0])                         # becomes a parameter, as in PyTorch
    assert [name for name, _ in m.named_parameters()] == ["stat"] and m.buffers() == []
    m.register_buffer("count", np.zeros(()))
    del m.count
    assert list(m.state_dict()) == ["stat"]


def test_deleting_an_attribute_a_module_lacks_names_the_module_on_every_python():
    """Python 3.10's own message for this is the bare name, "AttributeError: weigth"."""
    model = Linear(2, 3)
    with pytest.raises(AttributeError, match=r"^'Linear' object has no attribute 'weigth'$"):
        del model.weigth
    del model.bias                                  # what it has goes, as before
    assert "bias" not in vars(model)
    with pytest.raises(AttributeError, match=r"^'Linear' object has no attribute 'bias'$"):
        del model.bias


def test_module_list_extend_insert_replace_and_delete_as_pytorch_names_them():
    a, b, c = Affine(), Affine(), Affine()
    ml = ModuleList([a])
    ml += [b]
    ml.extend([c])
    assert list(ml) == [a, b, c]
    ml[1] = Affine(3)
    assert ml[1].scale.shape == (3,)
    del ml[0]
    assert [n for n, _ in ml.named_children()] == ["0", "1"]
    ml.insert(0, a)
    assert list(ml)[0] is a and len(ml) == 3
    with pytest.raises(TypeError, match="expected a Module, got int"):
        ml[0] = 1


def test_module_list_pop_and_plus_as_pytorch_s():
    a, b, c = Affine(), Affine(), Affine()
    ml = ModuleList([a, b, c])
    assert ml.pop(0) is a and ml.pop() is c and list(ml) == [b]
    assert [n for n, _ in ml.named_children()] == ["0"]
    joined = ml + ModuleList([a]) + [c]
    assert isinstance(joined, ModuleList) and list(joined) == [b, a, c] and list(ml) == [b]
    with pytest.raises(IndexError, match="index 3 is out of range for 1 modules"):
        ml.pop(3)
    with pytest.raises(TypeError, match=r"ModuleList \+ Affine: .* wrap it"):
        ml + a
    with pytest.raises(TypeError, match="expected a Module, got int"):
        ml + [1]


def test_sequential_from_a_dict_names_its_layers_and_deletion_renumbers():
    model = Sequential({"hidden": Linear(2, 3), "out": Linear(3, 1)})
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert model.hidden is model[0]
    model.append(Affine(1))                           # PyTorch: str(len(self))
    assert [n for n, _ in model.named_children()] == ["hidden", "out", "2"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        model.missing
    with pytest.raises(TypeError, match="layer names must be"):
        Sequential({"a.b": Linear(2, 3)})
    tail = Sequential(Linear(2, 3), Affine(3), Linear(3, 1))[1:]
    del tail[0]                                       # renumbered from 0, as in PyTorch
    assert [n for n, _ in tail.named_children()] == ["0"]


def test_assigning_to_a_named_layer_replaces_it_in_forward_and_in_the_state():
    model = Sequential({"hidden": Linear(2, 3), "out": Linear(3, 1)})
    head = Linear(3, 4)
    model.out = head                                  # a new head, as in transfer learning
    assert model[1] is head and model(np.ones((5, 2))).shape == (5, 4)
    assert [n for n, _ in model.named_parameters()] == [
        "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert len(model.parameters()) == 4
    setattr(model, "hidden", Linear(2, 3))
    assert len(model) == 2 and model.hidden is model[0]
    with pytest.raises(TypeError, match="expected a Module, got int"):
        model.out = 3


def test_module_dict_entries_are_attributes_and_it_takes_pairs_as_pytorch_s():
    heads = ModuleDict([("a", Affine()), ("b", Affine(3))])
    assert heads.a is heads["a"] and list(heads) == ["a", "b"]
    heads.a = Affine(4)                               # replaces the entry, no second "a"
    heads.c = Affine(5)                               # a module under a new name: an entry
    assert heads["a"].scale.shape == (4,) and list(heads) == ["a", "b", "c"]
    assert [n for n, _ in heads.named_parameters()] == [
        "a.scale", "a.shift", "b.scale", "b.shift", "c.scale", "c.shift"]
    del heads.c
    assert list(heads) == ["a", "b"]
    heads.update(ModuleDict({"d": Affine()}))
    assert list(heads) == ["a", "b", "d"]
    with pytest.raises(AttributeError, match=r"no attribute 'z' \(its keys: \['a', 'b', 'd'\]\)"):
        heads.z
    with pytest.raises(TypeError, match=r"expected \(name, Module\) pairs, got \('x',\)"):
        ModuleDict([("x",)])
    with pytest.raises(TypeError, match="expected a dict of name -> Module .* got int"):
        heads.update(3)


def test_names_that_differ_by_a_first_part_get_a_hint_saying_how_to_load_them():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    wrapped = {f"module.{k}": v for k, v in model.state_dict().items()}   # DataParallel's
    with pytest.raises(StateDictKeyError, match=re.escape(
            "(the state's names start with 'module.', the model's do not: pass "
            "{k.removeprefix('module.'): v for k, v in state.items()})")):
        model.load_state_dict(wrapped)
    model.load_state_dict({k.removeprefix("module."): v for k, v in wrapped.items()})

    class Net(Module):
        def __init__(self):
            self.body = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
            self.blocks = [Linear(1, 1)]
    with pytest.raises(StateDictKeyError, match=re.escape(
            "(the state's names are those of the model's part 'body': load it there, "
            "model.get_submodule('body').load_state_dict(state))")):
        Net().load_state_dict(model.state_dict())
    with pytest.raises(StateDictKeyError, match=r"unexpected \['x\.y'\]$"):
        model.load_state_dict({"0.weight": np.ones((3, 2)), "x.y": np.ones(1)})


def test_a_tensor_reparametrized_on_one_side_only_gets_a_hint():
    from nn.utils import parametrizations, spectral_norm
    hint = "'0.weight' is stored in another form on each side"
    plain = Sequential(Linear(2, 3))
    for other in (parametrizations.weight_norm(Linear(2, 3)), spectral_norm(Linear(2, 3))):
        with pytest.raises(StateDictKeyError, match=re.escape(hint)):
            plain.load_state_dict(Sequential(other).state_dict())
        with pytest.raises(StateDictKeyError, match=re.escape(hint)):
            Sequential(other).load_state_dict(plain.state_dict())
    with pytest.raises(StateDictKeyError, match=r"unexpected \['0\.weight_x'\]$"):
        plain.load_state_dict({"0.weight": np.ones((3, 2)), "0.bias": np.ones(3),
                               "0.weight_x": np.ones(1)})


def test_load_state_dict_returns_the_names_that_did_not_match_as_pytorch_does():
    from nn.module import IncompatibleKeys
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    result = model.load_state_dict(Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).state_dict())
    assert result == IncompatibleKeys([], []) and repr(result) == "<All keys matched successfully>"
    state = {"0.weight": np.ones((3, 2)), "0.bias": np.zeros(3), "head.weight": np.ones((1, 3))}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.weight", "2.bias"]
    assert result.unexpected_keys == ["head.weight"]
    missing, unexpected = result                       # a named tuple, as torch's
    assert missing == ["2.weight", "2.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(model[0].weight.data, np.ones((3, 2)))


# -- .to(device), .to(dtype), .double(), .float(), .cpu(), .cuda(): PyTorch's calls -------------

def _small_model():
    from nn import BatchNorm1d
    return Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2))


def test_to_the_cpu_returns_the_model_unchanged_and_keeps_a_recorded_graph():
    """The CPU is where glassgrad computes: nothing moves, so a loss recorded before can still
    be backpropagated (the parameters were not written)."""
    model = _small_model()
    arrays = [p.data for p in model.parameters()]
    loss = model(Tensor(np.ones((5, 3)))).sum()
    for moved in (model.to("cpu"), model.to("cpu:0"), model.to(device="cpu"),
                  model.to("cpu", non_blocking=True), model.to("cpu", None), model.to(),
                  model.to("cpu", np.float32), model.cpu()):
        assert moved is model
    assert all(p.data is a for p, a in zip(model.parameters(), arrays))
    loss.backward()
    assert model[0].weight.grad.dtype == np.float32


@pytest.mark.parametrize("call, args, shown", [
    ("to", ("cuda",), "to('cuda')"), ("to", ("cuda:1",), "to('cuda:1')"),
    ("to", ("mps",), "to('mps')"), ("to", (0,), "to(0)"), ("cuda", (), "cuda()"),
])
def test_a_gpu_is_refused_saying_glassgrad_computes_on_the_cpu(call, args, shown):
    model = _small_model()
    with pytest.raises(RuntimeError, match=rf"Sequential\.{re.escape(shown)}: there is no GPU "
                                           rf"here: glassgrad computes with numpy on the CPU; "
                                           rf"leave out \.to\(device\)"):
        getattr(model, call)(*args)
    with pytest.raises(RuntimeError, match=r"no GPU"):
        model.to(device="cuda", dtype=np.float64)
    assert model[0].weight.dtype == np.float32          # refused before anything was cast


def test_double_casts_parameters_their_grads_and_float_buffers_keeping_the_parameters():
    """PyTorch's semantics: each Parameter is the same object with new data (param.data = ...),
    its gradient cast along; floating buffers are cast, integer ones (a count) are not."""
    model = _small_model()
    params = model.parameters()
    model(Tensor(np.ones((5, 3)))).sum().backward()
    assert model.double() is model
    assert all(a is b for a, b in zip(model.parameters(), params))
    assert {p.dtype for p in params} == {p.grad.dtype for p in params} == {np.dtype(np.float64)}
    bn = model[1]
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    assert dict(model.named_buffers())["1.running_mean"] is bn.running_mean     # still a buffer
    out = model(Tensor(np.ones((5, 3)), dtype=np.float64))
    assert out.dtype == np.float64
    assert model.float() is model and {p.dtype for p in params} == {np.dtype(np.float32)}
    assert bn.running_var.dtype == np.float32
    assert model.half() is model and {p.dtype for p in params} == {np.dtype(np.float16)}
    assert {p.grad.dtype for p in params} == {np.dtype(np.float16)}
    assert bn.running_var.dtype == np.float16 and bn.num_batches_tracked.dtype == np.int64
    assert model(Tensor(np.ones((5, 3)), dtype=np.float16)).dtype == np.float16


def test_an_optimizer_built_before_double_steps_the_same_parameters():
    from nn import Tanh
    from nn.functional import mse_loss
    from nn.optim import SGD, Adam
    for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)):
        model = Sequential(Linear(2, 3), Tanh(), Linear(3, 1))
        optimizer = make(model.parameters())
        model.to(np.float64)
        X, y = Tensor(np.ones((4, 2)), dtype=np.float64), np.zeros((4, 1))
        before = [p.data.copy() for p in model.parameters()]
        optimizer.zero_grad()
        mse_loss(model(X), y).backward()
        optimizer.step()
        assert all(a is b for a, b in zip(optimizer.param_groups[0]["params"],
                                          model.parameters()))
        assert all(p.dtype == np.float64 for p in model.parameters())
        assert all(not np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_a_model_cast_to_float64_passes_gradcheck_parameters():
    import autograd
    from nn.functional import cross_entropy
    model = Sequential(Linear(3, 5), ReLU(), Linear(5, 3)).double()
    X = Tensor(np.random.default_rng(0).normal(size=(6, 3)), dtype=np.float64)
    y = np.array([0, 1, 2, 0, 1, 2])
    assert autograd.gradcheck_parameters(lambda: cross_entropy(model(X), y),
                                         model.named_parameters())


def test_a_graph_recorded_before_a_cast_refuses_backward():
    """The cast writes the parameters: backward of a loss computed before would read the new
    numbers, so it is refused, as after an optimizer step; a loss computed again works."""
    model = _small_model()
    X = Tensor(np.ones((5, 3)))
    stale = model(X).sum()
    model.double()
    with pytest.raises(RuntimeError, match=r"was changed in place after this op used it .*"
                                           r"\.double\(\) or \.to\(dtype\)"):
        stale.backward()
    model(X).sum().backward()
    assert model[0].weight.grad.dtype == np.float64


def test_to_refuses_integer_dtypes_and_muddled_arguments_naming_them():
    model = _small_model()
    refusals = [
        ((np.int64,), {}, TypeError, r"Sequential\.to: nn\.Module\.to only accepts floating "
                                     r"point dtypes, got int64"),
        ((Tensor([1, 2]),), {}, TypeError, r"only accepts floating point dtypes, got int64"),
        (("float64",), {"dtype": np.float32}, TypeError, r"got the dtype twice"),
        (("cpu", "cpu"), {}, TypeError, r"got two devices \('cpu' and 'cpu'\)"),
        (("gpu",), {}, TypeError, r"expected a device \('cpu'\) or a dtype .* got 'gpu'"),
        ((np.float64, "yes"), {}, TypeError, r"non_blocking must be True or False, got 'yes'"),
        ((np.float64, True, True), {}, TypeError, r"too many arguments"),
        (("cpu:x",), {}, ValueError, r"'cpu:x' is not a device"),
    ]
    for args, kwargs, error, message in refusals:
        with pytest.raises(error, match=message):
            model.to(*args, **kwargs)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'copy'"):
        model.to(np.float64, copy=True)                 # PyTorch's Module.to has no copy
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_to_takes_numpy_names_and_a_tensors_dtype():
    model = _small_model()
    assert model.to("float64")[0].weight.dtype == np.float64
    assert model.to(Tensor([1.0]))[0].weight.dtype == np.float32
    assert model.to(dtype=np.float16)[0].weight.dtype == np.float16


def test_to_takes_torch_devices_and_dtypes_by_name():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    model = _small_model()
    assert model.to(torch.device("cpu")) is model
    assert model.to(torch.device("cpu"), torch.float64)[3].bias.dtype == np.float64
    assert model.to(torch.float32)[3].bias.dtype == np.float32
    with pytest.raises(RuntimeError, match=r"to\(device\(type='cuda'\)\): there is no GPU"):
        model.to(torch.device("cuda"))
    with pytest.raises(TypeError, match=r"only accepts floating point dtypes, got int64"):
        model.to(torch.long)
    with pytest.raises(TypeError, match=r"numpy has no torch\.bfloat16"):
        model.to(torch.bfloat16)


def test_a_scalar_model_is_float64_already_and_refuses_float32():
    from nn.scalar import MLP
    model = MLP(2, [3, 1])
    data = [p.data for p in model.parameters()]
    assert model.double() is model and model.to("cpu") is model and model.cpu() is model
    with pytest.raises(TypeError, match=r"MLP\.float\(\): this model's parameters are Values, "
                                        r"whose data are Python floats \(float64\)"):
        model.float()
    with pytest.raises(TypeError, match=r"MLP\.half\(\): this model's parameters are Values"):
        model.half()
    assert [p.data for p in model.parameters()] == data


# -- forward hooks (PyTorch's register_forward_hook / register_forward_pre_hook) --------------

def test_a_forward_pre_hook_sees_and_replaces_the_arguments():
    layer, seen = Affine(), []
    handle = layer.register_forward_pre_hook(lambda m, args: seen.append((m, args)))
    x = Tensor([1.0, 2.0])
    layer(x)
    assert seen[0][0] is layer and seen[0][1][0] is x
    layer.register_forward_pre_hook(lambda m, args: args[0] * 10)     # not a tuple: one argument
    assert np.allclose(layer(x).numpy(), [10.0, 20.0])
    handle.remove()
    layer.register_forward_pre_hook(lambda m, args: (args[0] + 1,))   # after the * 10
    assert np.allclose(layer(x).numpy(), [11.0, 21.0]) and len(seen) == 2


def test_a_forward_hook_sees_the_changed_arguments_and_replaces_the_output():
    layer, seen = Affine(), []
    layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    layer.register_forward_hook(lambda m, args, out: seen.append((args[0].numpy(), out.numpy())))
    layer.register_forward_hook(lambda m, args, out: out + 100)
    layer.register_forward_hook(lambda m, args, out: out * -1)        # gets the replaced output
    assert np.allclose(layer(Tensor([1.0, 2.0])).numpy(), [-102.0, -104.0])
    assert np.allclose(seen[0][0], [2.0, 4.0]) and np.allclose(seen[0][1], [2.0, 4.0])


def test_removing_hooks_restores_the_plain_call_and_remove_twice_is_harmless():
    layer, calls = Affine(), []
    pre = layer.register_forward_pre_hook(lambda m, args: calls.append("pre"))
    post = layer.register_forward_hook(lambda m, args, out: calls.append("post"))
    layer(Tensor([1.0, 2.0]))
    assert calls == ["pre", "post"] and layer._hooked
    pre.remove(); pre.remove()
    assert layer._hooked                        # the forward hook is still there
    post.remove()
    assert not layer._hooked
    layer(Tensor([1.0, 2.0]))
    assert calls == ["pre", "post"]
    assert not Affine()._hooked                 # another module never had any


def test_hook_order_prepend_with_kwargs_and_a_handle_as_a_context_manager():
    class Scale(Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m, order = Scale(), []
    m.register_forward_hook(lambda mod, args, out: order.append("first"))
    with m.register_forward_hook(lambda mod, args, out: order.append("second")):
        m.register_forward_hook(lambda mod, args, out: order.append("zeroth"), prepend=True)
        m(Tensor([1.0]))
    m(Tensor([1.0]))
    assert order == ["zeroth", "first", "second", "zeroth", "first"]

    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    kept = []
    m.register_forward_hook(lambda mod, args, kwargs, out: kept.append(kwargs),
                            with_kwargs=True)
    assert np.allclose(m(Tensor([2.0]), factor=5.0).numpy(), [6.0])
    assert kept == [{"factor": 3.0}]
    m.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"Scale: a forward pre-hook with with_kwargs=True "
                                           r"must return None or a tuple \(args, kwargs\)"):
        m(Tensor([2.0]))


def test_a_hook_that_removes_itself_while_running_is_fine():
    layer, handles = Affine(), []
    handles.append(layer.register_forward_hook(lambda m, args, out: handles[0].remove()))
    layer(Tensor([1.0, 2.0]))
    assert not layer._hooked


def test_hooks_are_not_parameters_nor_state_and_must_be_callable():
    net = Net()
    net.first.register_forward_hook(lambda m, args, out: None)
    assert [n for n, _ in net.named_parameters()][:3] == ["gain", "first.scale", "first.shift"]
    assert "first._forward_hooks" not in net.state_dict()
    with pytest.raises(TypeError, match="Affine.register_forward_hook: the hook must be callable"):
        net.first.register_forward_hook("print")


def test_a_kept_output_has_its_gradient_after_backward():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    kept = []
    model[1].register_forward_hook(lambda m, args, out: kept.append(out))
    model(Tensor(np.ones((4, 2)))).sum().backward()
    assert np.allclose(kept[0].grad, np.broadcast_to(model[2].weight.data, (4, 3)))


@pytest.mark.parametrize("method", ["register_full_backward_hook", "register_backward_hook",
                                    "register_full_backward_pre_hook"])
def test_backward_hooks_are_refused_saying_what_to_do_instead(method):
    # (it said "glassgrad has no backward hooks", written before Tensor.register_hook existed)
    with pytest.raises(NotImplementedError, match=rf"Linear.{method}: glassgrad's modules have no "
                                                  rf"backward hooks, but its tensors have "
                                                  rf"\(Tensor.register_hook\).*out.register_hook"
                                                  rf"\(fn\).*register_forward_hook\(hook_output\)"
                                                  rf".*\.grad"):
        getattr(Linear(2, 1), method)(lambda m, grad_in, grad_out: None)


def test_a_non_persistent_buffer_is_left_out_of_the_state_as_in_pytorch():
    m = Affine()
    m.register_buffer("count", np.zeros(()))
    m.register_buffer("mask", np.ones(2), persistent=False)
    assert list(m.state_dict()) == ["scale", "shift", "count"]
    assert list(m.state_dict(keep_vars=True)) == ["scale", "shift", "count"]
    assert [name for name, _ in m.named_buffers()] == ["count", "mask"]   # still a buffer
    m.mask = Tensor([5.0, 6.0])                     # a later assignment keeps it out
    fresh = Affine()
    fresh.register_buffer("count", np.ones(()))
    fresh.register_buffer("mask", np.zeros(2), persistent=False)
    assert repr(fresh.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    assert fresh.count == 0 and fresh.mask.tolist() == [0.0, 0.0]      # not loaded
    result = fresh.load_state_dict({**m.state_dict(), "mask": np.ones(2)}, strict=False)
    assert result.unexpected_keys == ["mask"] and fresh.mask.tolist() == [0.0, 0.0]
    assert m.double().mask.dtype == np.float64      # cast with the rest
    m.register_buffer("mask", m.mask, persistent=True)                  # registered again
    assert list(m.state_dict()) == ["scale", "shift", "count", "mask"]
    with pytest.raises(TypeError, match="Affine.register_buffer: persistent must be True or "
                                        "False, got 'no'"):
        m.register_buffer("other", np.ones(1), persistent="no")


def test_a_non_persistent_buffer_that_becomes_a_parameter_or_is_deleted_is_forgotten():
    m = Module()
    m.register_buffer("stat", np.zeros(2), persistent=False)
    m.stat = Parameter([1.0])
    assert list(m.state_dict()) == ["stat"]
    m.register_buffer("cache", np.zeros(2), persistent=False)
    del m.cache
    m.register_buffer("cache", np.zeros(2))
    assert list(m.state_dict()) == ["stat", "cache"]


def test_state_dict_takes_pytorch_s_prefix_and_destination():
    net = Sequential(Linear(2, 3), Linear(3, 1))
    state = net.state_dict(prefix="body.")
    assert list(state) == ["body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias"]
    into = {"step": 3}
    assert net[0].state_dict(destination=into, prefix="a.") is into
    assert list(into) == ["step", "a.weight", "a.bias"]
    assert np.array_equal(into["a.weight"], net[0].weight.data)
    with pytest.raises(TypeError, match="state_dict: prefix must be a string"):
        net.state_dict(prefix=1)
    with pytest.raises(TypeError, match="state_dict: destination must be a dict"):
        net.state_dict(destination=[])


def test_get_submodule_follows_dotted_names_as_named_modules_gives_them():
    net = Net()
    net.body = Sequential(Linear(2, 3), ReLU())
    assert net.get_submodule("") is net
    assert net.get_submodule("first") is net.first
    assert net.get_submodule("blocks.1") is net.blocks[1]         # an item of a plain list
    assert net.get_submodule("body.1") is net.body[1]
    for name, module in net.named_modules():
        assert net.get_submodule(name) is module
    heads = ModuleDict({"a": Sequential(Linear(1, 1))})
    assert heads.get_submodule("a.0") is heads["a"][0]


@pytest.mark.parametrize("target, message", [
    ("body.2", "Net.get_submodule('body.2'): Sequential (at 'body') has no submodule '2' "
               "(its submodules: ['0', '1'])"),
    ("body.0.weight", "Linear (at 'body.0') has no submodule 'weight' ('weight' is a parameter, "
                      "not a Module; its submodules: none)"),
    ("blocks.7", "Net has no submodule 'blocks.7' (its submodules: ['first', 'blocks.0', "
                 "'blocks.1', 'body'])"),
    ("label", "Net has no submodule 'label' ('label' holds str, not a Module"),
    ("firts.scale", "Net has no submodule 'firts'"),
])
def test_get_submodule_names_the_missing_part_in_an_attribute_error(target, message):
    net = Net()
    net.body = Sequential(Linear(2, 3), ReLU())
    with pytest.raises(AttributeError, match=re.escape(message)):
        net.get_submodule(target)


def test_predict_on_a_module_says_what_to_write():
    """A model does not know whether it regresses or classifies: the AttributeError says how
    to get outputs and labels; hasattr stays False, and a model's own predict wins."""
    class Net(Module):
        def __init__(self):
            self.fc = Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    with pytest.raises(AttributeError, match=r"'Net' object has no attribute 'predict'; .*"
                                             r"model\(X\) gives its outputs.*"
                                             r"model\(X\)\.argmax\(1\) the classes.*"
                                             r"nn\.train\.predict_labels"):
        Net().predict(np.zeros((1, 2)))
    assert not hasattr(Net(), "predict")

    class WithPredict(Net):
        def predict(self, x):
            return "mine"
    assert WithPredict().predict(None) == "mine"
    from nn import LinearRegression
    assert LinearRegression(2).predict(np.zeros((3, 2), np.float32)).shape == (3,)


def test_predict_on_an_mlp_or_sequential_gives_the_same_hint():
    """nn.MLP is a Sequential, whose own __getattr__ (layers by name) must not replace the hint."""
    from nn import MLP, Sequential
    for model in (MLP(2, [3], 2), Sequential(Linear(2, 2))):
        with pytest.raises(AttributeError, match=r"has no attribute 'predict'; .*"
                                                 r"model\(X\)\.argmax\(1\) the classes"):
            model.predict(np.zeros((1, 2), np.float32))
        assert not hasattr(model, "predict")


def test_requires_grad_options_refuse_a_string():
    """model.requires_grad_("False") unfroze the model and Parameter(..., requires_grad="False")
    made a trained parameter, silently: "False" is a true string."""
    with pytest.raises(TypeError, match="Parameter: requires_grad must be True or False, got "
                                        "'False'"):
        Parameter([1.0], requires_grad="False")
    model = Linear(2, 1).requires_grad_(False)
    with pytest.raises(TypeError, match="Linear.requires_grad_: requires_grad must be True or "
                                        "False, got 'False'"):
        model.requires_grad_("False")
    assert not any(p.requires_grad for p in model.parameters())
    assert all(p.requires_grad for p in model.requires_grad_(1).parameters())


# -- ParameterList and ParameterDict: PyTorch's containers of parameters --------------------------

class _Autoencoder(Module):
    """Parameters in both containers next to a layer: their names and order are PyTorch's."""

    def __init__(self):
        self.layer = Linear(4, 4)
        self.scales = ParameterList([Parameter(np.ones(4)) for _ in range(2)])
        self.extra = ParameterDict({"bias": Parameter(np.zeros(4))})

    def forward(self, x):
        return self.layer(x) * self.scales[0] * self.scales[1] + self.extra["bias"]


def test_parameter_containers_register_under_pytorchs_names_and_train():
    model = _Autoencoder()
    assert [name for name, _ in model.named_parameters()] == [
        "layer.weight", "layer.bias", "scales.0", "scales.1", "extra.bias"]
    assert list(model.state_dict()) == [name for name, _ in model.named_parameters()]
    model(np.ones((2, 4))).sum().backward()
    assert model.scales[1].grad.shape == (4,) and np.allclose(model.extra.bias.grad, 2.0)
    model.double()
    assert model.scales[0].dtype == np.float64 and model.extra["bias"].dtype == np.float64


def test_a_parameter_list_takes_tensors_and_arrays_as_parameters_and_list_methods():
    scales = ParameterList()
    scales.append(Tensor([1.0, 2.0]))
    scales.extend([np.zeros(3)])
    scales += [Parameter([5.0], requires_grad=False)]
    assert len(scales) == 3 and all(isinstance(p, Parameter) for p in scales)
    assert [p.requires_grad for p in scales] == [True, True, False]
    scales[0] = np.ones(2)
    assert scales[0].tolist() == [1.0, 1.0] and len(scales[1:]) == 2
    assert repr(scales).splitlines()[1] == "  (0): Parameter of shape (2,), float64"
    with pytest.raises(TypeError, match=r"ParameterList\[3\]: expected a Parameter .* got Linear"):
        scales.append(Linear(1, 1))
    with pytest.raises(IndexError, match="index 5 is out of range for 3 parameters"):
        scales[5]
    # integers cannot train: the error named only Tensor, not the entry
    with pytest.raises(TypeError, match=r"ParameterList\[3\]: Tensor: only floating-point"):
        scales.append(np.arange(2))
    # an assignment past the end said only "list assignment index out of range"
    with pytest.raises(IndexError, match=r"ParameterList: index 3 is out of range for 3 "
                                         r"parameters"):
        scales[3] = np.ones(1)


def test_a_parameter_dict_is_a_dict_whose_entries_are_attributes():
    extra = ParameterDict([("a", np.zeros(2))])
    extra.b = Parameter(np.ones(1))
    extra.update({"c": Tensor([3.0])})
    assert list(extra) == ["a", "b", "c"] and "b" in extra and extra.a is extra["a"]
    assert [name for name, _ in extra.named_parameters()] == ["a", "b", "c"]
    assert extra.pop("c").tolist() == [3.0] and len(extra) == 2
    with pytest.raises(KeyError, match=r"has no key 'z' \(its keys: \['a', 'b'\]\)"):
        extra["z"]
    with pytest.raises(TypeError, match="keys must be non-empty strings without '.'"):
        extra["x.y"] = np.zeros(1)


def test_dict_containers_delete_an_entry_read_as_an_attribute_and_name_a_missing_key():
    """`del extra.a` raised AttributeError on a ParameterDict (ModuleDict deleted the entry),
    and ModuleDict's missing key said only 'z'."""
    extra = ParameterDict({"a": np.zeros(2), "b": np.ones(2)})
    del extra.a
    assert list(extra) == ["b"] and [name for name, _ in extra.named_parameters()] == ["b"]
    heads = ModuleDict({"a": Linear(2, 1)})
    with pytest.raises(KeyError, match=r"ModuleDict has no key 'z' \(its keys: \['a'\]\)"):
        heads["z"]


def test_register_module_is_add_module():
    m = Module()
    m.register_module("inner", Linear(2, 1))
    assert [name for name, _ in m.named_parameters()] == ["inner.weight", "inner.bias"]


def test_parameter_containers_state_dict_loads_into_pytorchs_twin_and_back():
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")

    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 4)
            self.scales = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.ones(4)) for _ in range(2)])
            self.extra = torch.nn.ParameterDict({"bias": torch.nn.Parameter(torch.zeros(4))})

    theirs, ours = Twin(), _Autoencoder().float()
    assert list(theirs.state_dict()) == list(ours.state_dict())
    theirs.load_state_dict({k: torch.as_tensor(v.data) for k, v in ours.state_dict().items()})
    ours.load_state_dict(theirs.state_dict())


def test_next_reads_parameters_one_after_another_as_from_pytorchs_generator():
    """next(model.parameters()) was "TypeError: 'list' object is not an iterator"."""
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    params = model.parameters()
    assert [next(params).shape for _ in range(4)] == [(3, 2), (3,), (1, 3), (1,)]
    with pytest.raises(StopIteration):
        next(params)
    assert len(params) == 4 and params[0] is model[0].weight and isinstance(params, list)
    assert [p.shape for p in params] == [(3, 2), (3,), (1, 3), (1,)]     # iter() starts afresh


def test_always_call_forward_hooks_run_when_the_call_fails_as_in_pytorch():
    """register_forward_hook(..., always_call=True) was a TypeError; PyTorch runs such hooks
    with output None when forward raises, warns about their own errors, and re-raises."""
    class Failing(Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Failing()
    m.register_forward_hook(lambda mod, args, out: seen.append(("plain", out)))
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(("kwargs", out, kwargs)),
                            always_call=True, with_kwargs=True)

    def broken(mod, args, out):
        raise RuntimeError("hook")

    m.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True raised RuntimeError: hook"):
        with pytest.raises(ValueError, match="boom"):
            m(1)
    assert seen == [("always", None), ("kwargs", None, {})]
    seen.clear()
    layer = Linear(2, 1)
    layer.register_forward_hook(lambda mod, args, out: seen.append(out.shape), always_call=True)
    layer(np.ones((3, 2)))
    assert seen == [(3, 1)]                    # a call that succeeds runs it once, as any hook


@pytest.mark.parametrize("key", ["training", "forward", "eval", "parameters"])
def test_a_container_key_that_is_a_module_attribute_is_refused_as_in_pytorch(key):
    """ModuleDict({"training": ...}) and Sequential({"training": ...}) were accepted, and then
    model.eval() broke ("ModuleDict['training']: expected a Module, got bool"); a key "forward"
    was shadowed by the method. PyTorch refuses such keys ("attribute ... already exists")."""
    from collections import OrderedDict
    with pytest.raises(KeyError, match=f"ModuleDict: the key '{key}' is already an attribute"):
        ModuleDict({key: Linear(1, 1)})
    with pytest.raises(KeyError, match=f"the key '{key}' is already an attribute"):
        Sequential(OrderedDict([("fc", Linear(1, 1)), (key, ReLU())]))
    with pytest.raises(KeyError, match=f"ParameterDict: the key '{key}'"):
        ParameterDict({key: np.zeros(2)})
    heads = ModuleDict({"a": Linear(1, 1)})
    with pytest.raises(KeyError, match="already an attribute"):
        setattr(heads, key, Linear(1, 1)) if key != "training" else heads.update({key: ReLU()})
    heads["a"] = Linear(1, 2)                   # replacing an entry is still fine
    assert heads.eval() is heads and not heads.training and heads.a.out_features == 2


@pytest.mark.parametrize("name", ["modules", "eval", "forward", "children", "training"])
def test_a_module_kept_under_a_method_s_name_is_refused_where_assigned(name):
    """`self.modules = ModuleList(...)` hid Module.modules(): model.eval() then failed far away
    with "ModuleList must define forward()" (PyTorch keeps the layer but breaks in forward:
    "'method' object is not iterable"). A module or parameter under a method's name is refused
    where it is assigned."""
    class Net(Module):
        def __init__(self, value):
            setattr(self, name, value)

    for value in (ModuleList([Linear(1, 1)]), Linear(1, 1), Parameter(np.ones(2)),
                  [Linear(1, 1)]):
        with pytest.raises(TypeError, match=rf"Net\.{name}: '{name}' is a (method|setting) of "
                                            rf"every Net.*give it another name"):
            Net(value)
    model = Module()
    with pytest.raises(KeyError, match=f"Module.add_module: '{name}' is already an attribute"):
        model.add_module(name, Linear(1, 1))
    with pytest.raises(KeyError, match=f"Module.register_parameter: '{name}' is already an"):
        model.register_parameter(name, Parameter(np.ones(2)))
    with pytest.raises(KeyError, match=f"Module.register_buffer: '{name}' is already an"):
        model.register_buffer(name, np.ones(2))
    assert model.eval() is model and not model.training     # nothing was changed


def test_register_parameter_and_add_module_refuse_a_name_that_holds_something_else():
    """register_parameter("fc", None) silently replaced the child module fc by None (its
    weights left the model), and add_module("size", layer) wrote over a plain setting; PyTorch
    raises KeyError "attribute 'fc' already exists"."""
    class Net(Module):
        def __init__(self):
            self.fc = Linear(2, 2)
            self.size = 3
            self.scale = Parameter(np.ones(2))
            self.register_buffer("mean", np.zeros(2))

    net = Net()
    with pytest.raises(KeyError, match="Net.register_parameter: 'fc' already holds a module"):
        net.register_parameter("fc", None)
    with pytest.raises(KeyError, match="'mean' already holds a buffer"):
        net.register_parameter("mean", Parameter(np.ones(2)))
    with pytest.raises(KeyError, match=r"Net.add_module: 'size' already holds a value \(int\)"):
        net.add_module("size", Linear(1, 1))
    with pytest.raises(KeyError, match="Net.add_module: 'scale' already holds a parameter"):
        net.add_module("scale", Linear(1, 1))
    assert [name for name, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    net.register_parameter("scale", None)       # a parameter's name takes a parameter or None
    net.add_module("fc", Linear(2, 3))          # and a module's a module
    assert net.scale is None and net.fc.out_features == 3


def test_the_recipe_the_backward_hook_refusal_gives_sees_the_output_s_gradient():
    """What the refusal of register_full_backward_hook says to write works: fn sees grad_output
    (here d(sum(3 * out))/d out = 3) and its replacement reaches the weights."""
    layer = Linear(2, 1, dtype=np.float64)
    seen = []

    def fn(grad):
        seen.append(grad.numpy().copy())
        return grad * 0

    def hook_output(m, args, out):
        out.register_hook(fn)

    layer.register_forward_hook(hook_output)
    (layer(np.ones((4, 2))) * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], np.full((4, 1), 3.0))
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((1, 2)))


@pytest.mark.parametrize("container, hint", [
    (ModuleList([Linear(2, 2)]), r"for layer in self.layers: x = layer\(x\)"),
    (ModuleDict({"a": Linear(2, 2)}), r"self.heads\['name'\]\(x\)"),
    (ParameterList([np.ones(2)]), r"x \* self.scales\[0\]"),
    (ParameterDict({"s": np.ones(2)}), r"x \* self.extra\['scale'\]")])
def test_calling_a_container_says_it_only_holds_its_entries(container, hint):
    """ModuleList(...)(x) said only "ModuleList must define forward()", as if the user had to
    write one."""
    name = type(container).__name__
    with pytest.raises(NotImplementedError, match=rf"{name} must define forward\(\): a {name} "
                                                  rf"only holds .*{hint}"):
        container(np.ones((1, 2)))


def test_apply_refuses_what_is_not_a_function_where_it_is_called():
    """model.apply(init_weights(model)) passed None: "'NoneType' object is not callable",
    raised from the first leaf module, naming nothing."""
    model = Sequential(Linear(2, 2), ReLU())
    with pytest.raises(TypeError, match=r"Sequential.apply: expected a function of one module, "
                                        r"got None .*model.apply\(init_weights\), not "
                                        r"model.apply\(init_weights\(\)\)"):
        model.apply(None)
    with pytest.raises(TypeError, match="Sequential.apply: expected a function of one module, "
                                        "got int"):
        model.apply(3)


def test_a_hook_that_cannot_take_its_arguments_is_refused_where_registered():
    """A forward hook written hook(module, output) failed at the next forward with "<lambda>()
    takes 2 positional arguments but 3 were given"; it is refused by register_*, which says how
    the hook is called."""
    layer = Linear(2, 1)
    with pytest.raises(TypeError, match=r"Linear.register_forward_hook: the hook is called as "
                                        r"hook\(module, args, output\), but <lambda>\(m, out\) "
                                        r"cannot take 3 arguments"):
        layer.register_forward_hook(lambda m, out: None)
    with pytest.raises(TypeError, match=r"hook\(module, args, kwargs, output\)"):
        layer.register_forward_hook(lambda m, args, out: None, with_kwargs=True)
    with pytest.raises(TypeError, match=r"register_forward_pre_hook: the hook is called as "
                                        r"hook\(module, args\), but <lambda>\(m, args, out\)"):
        layer.register_forward_pre_hook(lambda m, args, out: None)
    with pytest.raises(TypeError, match=r"hook must be callable, got None"):
        layer.register_forward_hook(None)

    class Keeper:                               # callables of every form that fit are taken
        def __call__(self, module, args, output=None):
            pass

        def method(self, module, *rest):
            pass

    layer.register_forward_hook(Keeper())
    layer.register_forward_hook(Keeper().method)
    layer.register_forward_pre_hook(Keeper().method)
    layer.register_forward_pre_hook(print)      # a builtin without a signature is trusted
    assert len(layer.__dict__["_forward_hooks"]) == 2


def test_module_list_given_modules_apart_or_one_module_says_to_pass_a_list():
    """ModuleList(layer) said "'Linear' object is not iterable", ModuleList(a, b) "takes from 1
    to 2 positional arguments but 3 were given"."""
    with pytest.raises(TypeError, match=r"ModuleList takes one list of modules, ModuleList\(\[a, "
                                        r"b\]\), got one Linear"):
        ModuleList(Linear(2, 2))
    with pytest.raises(TypeError, match="ModuleList takes one list of modules.*got 2 separate "
                                        r"arguments.*Sequential\(a, b\)"):
        ModuleList(Linear(2, 2), Linear(2, 2))
    assert len(ModuleList(Sequential(Linear(2, 2), ReLU()))) == 2     # a ModuleList is a list


def test_indexing_a_sequential_by_a_name_says_to_read_the_attribute():
    """model["fc"] said "list indices must be integers or slices, not str" (no class named)."""
    from collections import OrderedDict
    model = Sequential(OrderedDict([("fc", Linear(2, 2)), ("act", ReLU())]))
    with pytest.raises(TypeError, match=r"Sequential: index by position .* got the string 'fc'; a "
                                        r"named layer is an attribute, model.fc, or "
                                        r"model.get_submodule\('fc'\)"):
        model["fc"]
    with pytest.raises(TypeError, match=r"ModuleList: .*got the string '1'; use the number, "
                                        r"model\[1\]"):
        ModuleList([Linear(2, 2), ReLU()])["1"]


def test_a_forward_hook_that_returns_a_tensor_hook_s_handle_is_refused():
    """`lambda m, args, out: out.register_hook(fn)` returns the handle, which replaced the
    layer's output: the next op failed with "unsupported operand type(s) for *:
    'RemovableHandle' and 'int'"."""
    layer = Linear(2, 1)
    layer.register_forward_hook(lambda m, args, out: out.register_hook(lambda g: g))
    with pytest.raises(TypeError, match="Linear: a forward hook returned a RemovableHandle "
                                        r"\(what register_hook returns\).*write it as a def"):
        layer(np.ones((4, 2)))


def test_get_parameter_and_get_buffer_follow_dotted_names_as_pytorch_s():
    """model.get_parameter / get_buffer (PyTorch's) were missing: AttributeError "'Net' object
    has no attribute 'get_parameter'"."""
    from nn import BatchNorm1d

    class Net(Module):
        def __init__(self):
            self.enc = Sequential(Linear(2, 3), BatchNorm1d(3))
            self.blocks = [Affine(3)]
            self.size = 3
            self.register_buffer("mask", np.ones(2), persistent=False)

    net = Net()
    assert net.get_parameter("enc.0.weight") is net.enc[0].weight
    assert net.get_parameter("blocks.0.shift") is net.blocks[0].shift
    assert net.get_buffer("enc.1.running_mean") is net.enc[1].running_mean
    assert net.get_buffer("mask") is net.mask           # persistent=False ones too
    with pytest.raises(AttributeError, match=r"Net.get_parameter\('enc.0.wt'\): Linear \(at "
                                             r"'enc.0'\) has no parameter 'wt' \(its "
                                             r"parameters: \['weight', 'bias'\]\)"):
        net.get_parameter("enc.0.wt")
    with pytest.raises(AttributeError, match=r"'enc.0' is a module \(Linear\), not a parameter"):
        net.get_parameter("enc.0")
    with pytest.raises(AttributeError, match=r"Sequential \(at 'enc'\) has no submodule '5'"):
        net.get_parameter("enc.5.weight")
    with pytest.raises(AttributeError, match=r"'size' holds int, not a parameter"):
        net.get_parameter("size")
    with pytest.raises(AttributeError, match=r"BatchNorm1d \(at 'enc.1'\) has no buffer 'weight' "
                                             r"\('weight' holds Parameter, not a buffer"):
        net.get_buffer("enc.1.weight")


def test_an_extra_repr_of_several_lines_is_printed_as_a_block_as_in_pytorch():
    """A two-line extra_repr printed "Scale(k=2\nmulti)": the second line at the margin."""
    class Scale(Module):
        def extra_repr(self):
            return "k=2\nmulti"

    class Net(Module):
        def __init__(self):
            self.s = Scale()

    assert repr(Scale()) == "Scale(\n  k=2\n  multi\n)"
    assert repr(Net()) == "Net(\n  (s): Scale(\n    k=2\n    multi\n  )\n)"     # PyTorch's text


def test_predict_is_a_free_name_for_a_layer_as_in_pytorch():
    """`self.predict = Linear(...)` (a well-known PyTorch regression tutorial's output layer)
    was refused as hiding "a method of every Net": Module has no predict, only a _Hint that
    explains its absence when read. PyTorch takes the name everywhere; so does a subclass that
    has no predict of its own."""
    from collections import OrderedDict

    class Net(Module):
        def __init__(self):
            self.hidden = Linear(1, 4)
            self.predict = Linear(4, 1)

        def forward(self, x):
            return self.predict(self.hidden(x).relu())

    net = Net()
    assert [n for n, _ in net.named_parameters()][-2:] == ["predict.weight", "predict.bias"]
    assert net(np.ones((2, 1))).shape == (2, 1)
    assert isinstance(ModuleDict({"predict": Linear(1, 1)}).predict, Linear)
    assert isinstance(Sequential(OrderedDict(predict=Linear(1, 1))).predict, Linear)
    model = Module()
    model.add_module("predict", Linear(1, 1))
    other = Module()
    other.register_parameter("predict", Parameter(np.ones(2)))
    assert isinstance(model.predict, Linear) and other.predict.shape == (2,)
    with pytest.raises(AttributeError, match="does not know whether it regresses"):
        Module().predict                        # the hint itself is still given


def test_every_buffer_nn_s_own_layers_register_is_a_constant_tensor():
    """As PyTorch's, and as a port's own register_buffer(name, tensor) ones: the running
    statistics, spectral norm's u and v (both styles), orthogonal's base, a parametrized
    buffer's original, and the losses' class weights were ndarrays, so code written for
    PyTorch (model.bn.running_mean.clone(), .size(0), num_batches_tracked.item(),
    criterion.weight.sum()) failed on them."""
    import nn
    from nn.utils import parametrizations, spectral_norm

    class Masked(Module):
        def __init__(self):
            self.register_buffer("mask", np.ones(3))     # an array given stays an array ...

    masked = Masked()
    parametrizations.weight_norm(masked, "mask")         # ... until nn keeps it (original0/1)
    models = [nn.BatchNorm1d(3), nn.BatchNorm2d(3), nn.BatchNorm3d(3),
              nn.InstanceNorm1d(3, track_running_stats=True),
              nn.InstanceNorm2d(3, track_running_stats=True),
              nn.InstanceNorm3d(3, track_running_stats=True),
              parametrizations.spectral_norm(Linear(3, 2)), spectral_norm(Linear(3, 2)),
              parametrizations.orthogonal(Linear(3, 2)), masked,
              nn.CrossEntropyLoss([1.0, 2.0]), nn.NLLLoss(weight=[1.0, 2.0]),
              nn.BCELoss([1.0, 2.0]), nn.BCEWithLogitsLoss([1.0], pos_weight=[2.0]),
              nn.MultiMarginLoss(weight=[1.0, 2.0])]
    for model in models:
        buffers = list(model.named_buffers())
        assert buffers, model
        for name, buffer in buffers:
            assert type(buffer) is Tensor and not buffer.requires_grad, (model, name)
            assert buffer.clone().size() == buffer.shape
        for name, value in model.state_dict().items():
            assert type(value) is Tensor, (model, name)
    assert nn.BatchNorm1d(3).num_batches_tracked.item() == 0
    assert nn.CrossEntropyLoss([1.0, 2.0]).weight.sum().item() == 3.0


def test_a_graph_that_read_a_buffer_refuses_backward_after_a_load_writes_into_it():
    """load_state_dict writes a Tensor buffer's numbers in place; a graph recorded before
    that read them would give the gradient of the new numbers (5 where the forward used 3),
    silently: as after copy_ into a buffer or a parameter, backward refuses."""
    m = Module()
    m.register_buffer("scale", Tensor(np.array([3.0])))
    m.register_buffer("count", Tensor(np.array(0)))
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x * m.scale
    m.load_state_dict({"scale": np.array([5.0]), "count": np.array(2)})
    assert m.scale.tolist() == [5.0] and m.count.item() == 2
    with pytest.raises(RuntimeError, match=r"^backward of mul: its input 1 \(shape \(1,\)\) "
                                           r"was changed in place"):
        y.sum().backward()
    (x * m.scale).sum().backward()                      # computed again: the new numbers
    assert x.grad.tolist() == [5.0]
