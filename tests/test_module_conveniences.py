"""Small PyTorch conveniences of the modules: `nn.Embedding.from_pretrained`, `nn.Identity`
taking and ignoring arguments, and `Module.state_dict(keep_vars=...)`."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value, manual_seed
from nn import BatchNorm1d, Embedding, Identity, Linear, Sequential
from nn.optim import SGD
from nn.scalar import Neuron

from conftest import t64

TABLE = np.array([[0.5, -1.0], [2.0, 3.0], [-0.25, 0.75]])


# -- Embedding.from_pretrained -----------------------------------------------------------------

def test_from_pretrained_looks_up_the_given_rows_frozen_by_default():
    emb = Embedding.from_pretrained(TABLE)
    assert (emb.num_embeddings, emb.embedding_dim, emb.padding_idx) == (3, 2, None)
    np.testing.assert_array_equal(emb(np.array([[2, 0], [1, 1]])).data, TABLE[[[2, 0], [1, 1]]])
    assert emb.weight.dtype == np.float64 and not emb.weight.requires_grad
    assert emb.parameters() == [emb.weight] and list(emb.state_dict()) == ["weight"]
    assert repr(emb) == "Embedding(3, 2)"
    out = emb(np.array([0, 1]))
    assert not out.requires_grad                # frozen: nothing to backpropagate into


def test_from_pretrained_draws_no_random_numbers():
    manual_seed(0)
    Embedding.from_pretrained(TABLE)
    after = Linear(2, 2).weight.data.copy()
    manual_seed(0)
    np.testing.assert_array_equal(Linear(2, 2).weight.data, after)


def test_from_pretrained_unfrozen_trains_and_shares_the_numbers_as_pytorch():
    table = TABLE.copy()
    emb = Embedding.from_pretrained(table, freeze=False)
    assert emb.weight.requires_grad
    emb(np.array([1, 1, 2])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad, [[0, 0], [2, 2], [1, 1]])
    SGD(emb.parameters(), lr=0.5).step()
    np.testing.assert_array_equal(table[1], [1.0, 2.0])     # the same storage, as in PyTorch


def test_from_pretrained_padding_row_is_kept_but_gets_no_gradient():
    """PyTorch keeps the given padding row as it is (only a fresh table starts it at zero)."""
    emb = Embedding.from_pretrained(t64(TABLE, requires_grad=False), freeze=False, padding_idx=-1)
    assert emb.padding_idx == 2 and repr(emb) == "Embedding(3, 2, padding_idx=2)"
    np.testing.assert_array_equal(emb.weight.data[2], TABLE[2])
    emb(np.array([2, 0, 2])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad, [[1, 1], [0, 0], [0, 0]])


def test_from_pretrained_takes_lists_and_torch_like_tensors():
    class FakeTorchTensor:                       # has .detach() and .numpy(), as torch's
        def detach(self):
            return self

        def numpy(self):
            return TABLE.astype(np.float32)
    emb = Embedding.from_pretrained(FakeTorchTensor())
    assert emb.weight.dtype == np.float32
    np.testing.assert_array_equal(emb.weight.data, TABLE.astype(np.float32))
    from_list = Embedding.from_pretrained(TABLE.tolist()).weight   # Tensor's rule for lists:
    assert from_list.shape == (3, 2) and from_list.dtype == np.float32     # the default dtype


def test_from_pretrained_errors():
    with pytest.raises(ValueError, match=r"Embedding.from_pretrained: embeddings must be 2-d "
                                         r"\(num_embeddings, embedding_dim\), got shape \(3,\)"):
        Embedding.from_pretrained(np.zeros(3))
    with pytest.raises(ValueError, match=r"Embedding.from_pretrained: embeddings must be 2-d .*"
                                         r"got shape \(0, 2\)"):
        Embedding.from_pretrained(np.zeros((0, 2)))
    with pytest.raises(TypeError, match=r"Embedding.from_pretrained: freeze=False trains the "
                                        r"table, which needs floating-point numbers, got int64"):
        Embedding.from_pretrained(np.ones((3, 2), dtype=np.int64), freeze=False)
    with pytest.raises(ValueError, match=r"Embedding.from_pretrained: max_norm must be a "
                                         r"positive number or None, got 0"):
        Embedding.from_pretrained(TABLE, max_norm=0)
    assert Embedding.from_pretrained(TABLE, sparse=True).sparse is True
    with pytest.raises(ValueError, match=r"scale_grad_by_freq=True .* is not supported"):
        Embedding.from_pretrained(TABLE, scale_grad_by_freq=True)
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must be in \[-3, 3\)"):
        Embedding.from_pretrained(TABLE, padding_idx=3)
    Embedding.from_pretrained(TABLE, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                              sparse=False)         # PyTorch's defaults, spelled out


# -- Identity ----------------------------------------------------------------------------------

def test_identity_ignores_its_arguments_as_pytorchs():
    x = Tensor([1.0, 2.0])
    for layer in (Identity(), Identity(54, unused_argument1=0.1, unused_argument2=False)):
        assert layer(x) is x and repr(layer) == "Identity()" and layer.parameters() == []


# -- state_dict(keep_vars=...) -----------------------------------------------------------------

def _model():
    manual_seed(0)
    return Sequential(Linear(3, 4), BatchNorm1d(4))


def test_state_dict_keep_vars_false_gives_detached_tensors_sharing_memory():
    model = _model()
    state = model.state_dict(keep_vars=False)
    assert list(state) == list(model.state_dict())
    assert all(type(v) is Tensor and not v.requires_grad for v in state.values())
    assert state["0.weight"] is not model[0].weight
    assert np.shares_memory(state["0.weight"].data, model[0].weight.data)
    assert np.shares_memory(state["1.running_mean"].data, model[1].running_mean)


def test_state_dict_keep_vars_gives_the_parameters_and_buffers_themselves():
    """PyTorch's meaning: the parameters as they are (here the Parameter objects, gradients and
    all), and the buffers as they are (here their arrays, not copies)."""
    model = _model()
    state = model.state_dict(keep_vars=True)
    assert list(state) == list(model.state_dict())
    assert state["0.weight"] is model[0].weight and state["1.bias"] is model[1].bias
    assert state["1.running_mean"] is model[1].running_mean
    assert state["1.num_batches_tracked"] is model[1].num_batches_tracked
    model.load_state_dict(state)                # what it gives loads back, as in PyTorch


def test_state_dict_keep_vars_on_values():
    neuron = Neuron(2)
    state = neuron.state_dict(keep_vars=True)
    assert all(isinstance(v, Value) for v in state.values())
    assert [id(v) for v in state.values()] == [id(p) for p in neuron.parameters()]


def test_state_dict_keep_vars_must_be_a_bool():
    with pytest.raises(TypeError, match=r"state_dict: keep_vars must be True or False, got "
                                        r"'yes'"):
        _model().state_dict(keep_vars="yes")
