"""The module walk that `parameters()`, `named_parameters()`, `train()`, `state_dict()` and
`to()` share (`Module._walk`, s31): it reads the attributes afresh on every call, so whatever
changes a model's parts is seen at once. Each test changes a model the way a user or a utility
does and checks the lists against those of a model built with the result directly."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn import Linear, Module, ModuleDict, ModuleList, Parameter, ReLU, Sequential
from nn.utils import parametrize, prune, spectral_norm, weight_norm


def ids(params):
    return [id(p) for p in params]


def test_the_walk_lists_what_the_generators_listed():
    """parameters() and named_parameters() agree with a walk through named_modules()."""
    class Model(Module):
        def __init__(self):
            self.embed = nn.Embedding(5, 4)
            self.blocks = ModuleList([Sequential(Linear(4, 4), ReLU()) for _ in range(2)])
            self.heads = ModuleDict({"a": Linear(4, 1), "b": Linear(4, 2)})
            self.extra = [Parameter(np.ones(2)), Linear(4, 3)]      # a plain list
            self.scale = Parameter(np.ones(1))
    model = Model()
    expected = []
    for name, module in model.named_modules():
        for own, p in module._own_parameters():
            if id(p) not in ids(p for _, p in expected):
                expected.append((f"{name}.{own}" if name else own, p))
    assert [(n, id(p)) for n, p in model.named_parameters()] == \
        [(n, id(p)) for n, p in expected]
    assert ids(model.parameters()) == ids(p for _, p in expected)
    assert [n for n, _ in model.named_parameters()][:3] == ["extra.0", "scale", "embed.weight"]
    assert [n for n, _ in model.named_parameters() if n.startswith("extra")] == \
        ["extra.0", "extra.1.weight", "extra.1.bias"]       # its own first, as in PyTorch


def test_a_parameter_added_replaced_or_deleted_later_is_seen():
    model = Sequential(Linear(2, 3), Linear(3, 1))
    before = ids(model.parameters())
    model[0].gain = Parameter(np.ones(3))
    assert ids(model.parameters()) == before[:2] + [id(model[0].gain)] + before[2:]
    new_bias = Parameter(np.zeros(1))
    model[1].bias = new_bias
    assert model.parameters()[-1] is new_bias
    del model[0].gain
    model[1].bias = None
    assert ids(model.parameters()) == before[:3]
    model.append(Linear(1, 1))
    assert len(model.parameters()) == 5 and "2.weight" in dict(model.named_parameters())


def test_a_plain_list_changed_in_place_is_seen():
    """No registry to keep in step: a list appended to after it was assigned still counts
    (why parameters() is not cached: nothing is told of the append)."""
    class Net(Module):
        def __init__(self):
            self.layers = []
    net = Net()
    assert net.parameters() == []
    net.layers.append(Linear(2, 2))
    assert len(net.parameters()) == 2
    net.layers.pop()
    assert net.parameters() == []


def test_a_value_that_stops_wanting_a_gradient_leaves_the_parameters():
    class Neuron(Module):
        def __init__(self):
            self.w = [Value(1.0), Value(2.0)]
    neuron = Neuron()
    assert len(neuron.parameters()) == 2
    neuron.w[0].requires_grad = False
    assert neuron.parameters() == [neuron.w[1]]


def test_requires_grad_freezes_and_keeps_every_parameter():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    model[2].requires_grad_(False)
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, False]
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_loading_a_state_keeps_the_parameters_and_their_numbers_arrive():
    model, other = Sequential(Linear(2, 3), Linear(3, 1)), Sequential(Linear(2, 3), Linear(3, 1))
    before = ids(model.parameters())
    model.load_state_dict(other.state_dict())
    assert ids(model.parameters()) == before
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(model.parameters(), other.parameters()))


def test_pruning_and_its_removal_change_the_parameters_names():
    layer = Linear(3, 2)
    weight = layer.weight
    prune.l1_unstructured(layer, "weight", amount=0.5)
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert layer.parameters()[1] is weight
    assert "weight_mask" in layer.state_dict()
    prune.remove(layer, "weight")
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"]


def test_a_parametrization_and_its_removal_change_the_parameters_names():
    class Symmetric(Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)
    layer = Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert [n for n, _ in layer.named_parameters()] == \
        ["bias", "parametrizations.weight.original"]
    layer.train(False)                      # the swapped class's modules are all reached
    assert not any(m.training for m in layer.modules())
    parametrize.remove_parametrizations(layer, "weight")
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"]


@pytest.mark.parametrize("norm, names", [(weight_norm, ["bias", "weight_g", "weight_v"]),
                                         (spectral_norm, ["bias", "weight_orig"])])
def test_the_norm_hooks_replace_the_weight_by_their_parameters(norm, names):
    layer = norm(Linear(3, 2))
    assert [n for n, _ in layer.named_parameters()] == names
    assert len(layer.parameters()) == len(names)


def test_a_deep_copy_lists_its_own_parameters_and_a_saved_model_loads(tmp_path):
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    twin = copy.deepcopy(model)
    assert not set(ids(twin.parameters())) & set(ids(model.parameters()))
    assert list(dict(twin.named_parameters())) == list(dict(model.named_parameters()))
    path = str(tmp_path / "model.npz")
    model.save(path)
    fresh = Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).load(path)
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(fresh.parameters(), model.parameters()))


def test_a_container_subclass_lists_its_entries_once_and_its_own_attributes():
    class Stack(ModuleList):
        def __init__(self, layers):
            super().__init__(layers)
            self.skips = [Linear(2, 2)]             # a plain list of its own
            self.gate = Parameter(np.ones(1))
    stack = Stack([Linear(2, 2), Linear(2, 2)])
    assert [n for n, _ in stack.named_parameters()] == \
        ["gate", "0.weight", "0.bias", "1.weight", "1.bias", "skips.0.weight", "skips.0.bias"]
    assert "_items.0.weight" not in stack.state_dict()


def test_shared_layers_and_back_references_in_the_walks():
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    model[1].owner = model                          # a back-reference to the parent
    assert len(model.parameters()) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.eval()
    assert not model.training and not shared.training and not model[1].training
    model.train()
    assert all(m.training for m in model.modules())


def test_training_is_set_without_the_checks_only_for_a_bool():
    """train() sets `training` by a short path; anything but a bool still meets the checks."""
    layer = Linear(2, 1)
    layer.training = False
    assert layer.training is False
    with pytest.raises(TypeError, match="training"):
        layer.training = Linear(1, 1)


def test_to_casts_through_the_walk_and_a_no_op_changes_nothing():
    model = Sequential(Linear(2, 3), nn.BatchNorm1d(3))
    params = ids(model.parameters())
    model.to(np.float32)
    assert ids(model.parameters()) == params
    model.to(np.float64)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert model[1].running_mean.dtype == np.float64
    assert isinstance(model[1].running_mean, Tensor)


def test_an_ema_reads_parameters_and_buffers_as_the_lists_give_them():
    """AveragedModel's one walk per model (s31) pairs the tensors as parameters() and
    buffers() order them, a shared layer once, buffers averaged or copied."""
    from nn.optim.swa_utils import AveragedModel, _parameters_and_buffers, get_ema_multi_avg_fn
    for use_buffers in (False, True):
        model = Sequential(Linear(2, 3), nn.BatchNorm1d(3), Linear(3, 3))
        model.append(model[2])                          # a shared layer
        params, buffers = _parameters_and_buffers(model)
        assert ids(params) == ids(model.parameters()) and ids(buffers) == ids(model.buffers())
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5),
                            use_buffers=use_buffers)
        ema.update_parameters(model)
        old = [p.data.copy() for p in ema.module.parameters()]
        for p in model.parameters():
            p.data += 1.0
        model[1].running_mean.data += 4.0
        ema.update_parameters(model)
        for before, a, c in zip(old, ema.module.parameters(), model.parameters()):
            assert np.allclose(a.data, 0.5 * before + 0.5 * c.data)
        assert np.allclose(ema.module[1].running_mean.data, 2.0 if use_buffers else 4.0)



def test_an_ema_of_an_integer_buffer_computes_in_float32_as_pytorch_s():
    """BatchNorm's num_batches_tracked under use_buffers=True: PyTorch computes count * decay
    in float32 (an integer tensor times a float) and truncates; after counts 1..12 with decay
    0.9 its average is 3 (float64 arithmetic gives 2.9999999999999996, written back as 2)."""
    from nn.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    model = nn.BatchNorm1d(2)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
    for count in range(1, 13):
        model.num_batches_tracked.data[...] = count
        ema.update_parameters(model)
    assert ema.module.num_batches_tracked.dtype == np.int64
    assert int(ema.module.num_batches_tracked.item()) == 3

# -- s32: the walk without generators, plain settings let through by their class --------------

def _members_by_the_rule(module):
    """Module's rule for its members, as `_members` was written before s32 (a generator)."""
    from nn.module import is_parameter
    for name, value in vars(module).items():
        if not isinstance(value, (Module, Value, Tensor, list, tuple)) or \
                name in module._held_apart:
            continue
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Module) or is_parameter(item):
                    yield f"{name}.{i}", item
        elif isinstance(value, Module) or is_parameter(value):
            yield name, value


def test_every_kind_of_attribute_is_a_member_or_not_as_the_rule_says():
    """Attributes of the classes let through at a glance (numbers, strings, None, functions,
    generators, arrays, dicts, sets), subclasses of them and of tuple, lists mixing settings
    and parts, Values that do and do not want a gradient, a Tensor buffer, a part held apart:
    `_members()` lists exactly what the rule lists, in its order."""
    from collections import namedtuple
    from enum import IntEnum

    class Mode(IntEnum):
        FAST = 1

    class Size(int):
        pass

    Pair = namedtuple("Pair", "first second")

    class Odd(Module):
        _held_apart = ("hidden",)

        def __init__(self):
            self.size, self.rate, self.flag, self.word, self.nothing = 3, 0.5, True, "x", None
            self.fn, self.builtin, self.rng = (lambda x: x), len, np.random.default_rng(0)
            self.array, self.table, self.names = np.ones(2), {"a": 1}, {"a"}
            self.mode, self.width = Mode.FAST, Size(4)
            self.pair = Pair(Linear(1, 2), 7)                   # a tuple subclass: unpacked
            self.shape = (3, 4)
            self.mixed = [1, "b", Parameter(np.ones(1)), None, Linear(2, 1), Value(1.0)]
            self.leaf, self.frozen = Value(2.0), Value(3.0, requires_grad=False)
            self.scale = Parameter(np.ones(3))
            self.hidden = Parameter(np.zeros(1))                # held apart: not a member
            self.register_buffer("count", Tensor(np.zeros(1)))
            self.sub = Linear(3, 1)
    model = Odd()
    expected = list(_members_by_the_rule(model))
    assert [(n, id(m)) for n, m in model._members()] == [(n, id(m)) for n, m in expected]
    assert [n for n, _ in expected] == ["pair.0", "mixed.2", "mixed.4", "mixed.5", "leaf",
                                        "scale", "sub"]
    names = [n for n, _ in model.named_parameters()]
    assert names == ["mixed.2", "mixed.5", "leaf", "scale", "pair.0.weight", "pair.0.bias",
                     "mixed.4.weight", "mixed.4.bias", "sub.weight", "sub.bias"]
    assert ids(model.parameters()) == ids(p for _, p in model.named_parameters())
    assert ids(model.parameters(recurse=False)) == ids(model.parameters())[:4]


def test_parameters_agree_with_named_parameters_on_deep_shared_models():
    """parameters() walks on its own (no names): the same parameters as named_parameters(),
    in its order, for shared layers at several depths, containers in containers, a
    back-reference and a chain deeper than Python's recursion limit."""
    shared = Linear(3, 3)
    inner = Sequential(shared, ReLU(), ModuleList([shared, Linear(3, 2)]))
    model = Sequential(Linear(2, 3), inner, ModuleDict({"a": inner, "b": Linear(2, 2)}), shared)
    model[1][1].parent = model
    assert ids(model.parameters()) == ids(p for _, p in model.named_parameters())
    assert len(model.parameters()) == 8
    deep = leaf = Linear(1, 1)
    for _ in range(1500):
        deep = Sequential(deep)
    assert ids(deep.parameters()) == ids(leaf.parameters())
    assert [n for n, _ in deep.named_parameters()][0] == "0." * 1500 + "weight"


def test_named_parameters_is_still_read_when_iterated():
    """A generator, as PyTorch's: a parameter added before the first item is read is listed."""
    model = Linear(2, 1)
    names = model.named_parameters()
    model.gain = Parameter(np.ones(1))
    assert [n for n, _ in names] == ["weight", "bias", "gain"]
