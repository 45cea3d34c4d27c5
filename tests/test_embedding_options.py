"""nn.Embedding and F.embedding with PyTorch's whole signature: max_norm (with norm_type)
scales the looked-up rows in place before the lookup, as PyTorch does (checked against live
PyTorch: outputs, the table afterwards, gradients); sparse=True keeps the dense gradient and
notes the rows for SparseAdam; scale_grad_by_freq=True is refused, saying what to pass."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, functional as AF, no_grad
from nn import Embedding
from torch_helpers import needs_torch, torch

TABLE = np.random.default_rng(3).normal(size=(10, 4)) * 1.5
LOOKUPS = [np.array([[1, 2, 2], [5, 1, 0]]), np.array([3, 1, 9])]


@needs_torch
@pytest.mark.parametrize("max_norm, norm_type, padding_idx", [
    (1.5, 2.0, None), (1.0, 1.0, 2), (2.0, float("inf"), None), (0.5, 3.0, 0), (100.0, 2.0, None),
])
def test_max_norm_renormalises_as_pytorch_does(max_norm, norm_type, padding_idx, rng):
    """Two lookups through one layer (skip-gram's context and negatives), then backward: the
    outputs, the renormalised table and its gradient are PyTorch's."""
    ours = Embedding.from_pretrained(TABLE.copy(), freeze=False, padding_idx=padding_idx,
                                     max_norm=max_norm, norm_type=norm_type)
    theirs = torch.nn.Embedding.from_pretrained(
        torch.tensor(TABLE.copy()), freeze=False, padding_idx=padding_idx, max_norm=max_norm,
        norm_type=norm_type)
    loss, torch_loss = 0, 0
    for index in LOOKUPS:
        out, expected = ours(index), theirs(torch.tensor(index))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
        upstream = rng.normal(size=out.shape)
        loss = loss + (out * Tensor(upstream)).sum()
        torch_loss = torch_loss + (expected * torch.tensor(upstream)).sum()
    loss.backward()
    torch_loss.backward()
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    assert np.all(np.linalg.norm(ours.weight.data[np.unique(np.concatenate(
        [i.ravel() for i in LOOKUPS]))], ord=norm_type, axis=1) <= max_norm * (1 + 1e-12))


def test_max_norm_touches_only_the_rows_looked_up_and_only_those_too_long():
    layer = Embedding(10, 4, max_norm=1.0, dtype=np.float64)
    with no_grad():
        layer.weight.copy_(TABLE)
    layer(np.array([0, 0, 3]))
    norms = np.linalg.norm(TABLE, axis=1)
    for row in range(10):
        if row in (0, 3) and norms[row] > 1:
            np.testing.assert_allclose(layer.weight.data[row],
                                       TABLE[row] / (norms[row] + 1e-7), rtol=1e-12)
        else:
            np.testing.assert_array_equal(layer.weight.data[row], TABLE[row])
    assert repr(layer) == "Embedding(10, 4, max_norm=1.0)"


def test_a_graph_that_used_the_weight_before_a_renorm_is_refused():
    """Tied weights: a product with the table, then a lookup that rescales rows of it, would
    give the product's gradient at the new numbers; backward refuses, as PyTorch does."""
    layer = Embedding(10, 4, max_norm=1.0, dtype=np.float64)
    with no_grad():
        layer.weight.copy_(TABLE)
    logits = Tensor(np.ones((2, 4))) @ layer.weight.T
    loss = logits.sum() + layer(np.array([1, 2])).sum()
    # (matmul read layer.weight.T, a view of the rescaled numbers: the first op to tell)
    with pytest.raises(RuntimeError, match=r"backward of matmul: its input 1 .* was changed in "
                                           r"place"):
        loss.backward()


def test_functional_embedding_takes_pytorch_s_options():
    table = Tensor(np.array([[3.0, 4.0], [0.3, 0.4]]), requires_grad=True)
    out = AF.embedding(np.array([0, 1]), table, None, 1.0)
    np.testing.assert_allclose(out.data, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    # sparse=True: the same dense gradient, with the rows reached noted for SparseAdam
    AF.embedding(np.array([1, 1]), table, sparse=True).sum().backward()
    np.testing.assert_array_equal(table.grad, [[0.0, 0.0], [2.0, 2.0]])
    assert AF.embeddings.sparse_rows(table).tolist() == [1]


@pytest.mark.parametrize("options, says", [
    (dict(sparse=1), r"Embedding: sparse must be True or False, got 1"),
    (dict(scale_grad_by_freq=True), r"Embedding: scale_grad_by_freq=True .* is not supported: "
                                    r"pass False"),
    (dict(max_norm=-1.0), r"Embedding: max_norm must be a positive number or None, got -1.0"),
    (dict(max_norm="1"), r"Embedding: max_norm must be a positive number"),
])
def test_options_glassgrad_does_not_have_are_refused_saying_what_to_pass(options, says):
    with pytest.raises((TypeError, ValueError), match=says):
        Embedding(10, 4, **options)


def test_pytorch_s_signature_spelled_out_is_accepted():
    layer = Embedding(10, 4, None, None, 2.0, False, False, device="cpu", dtype=np.float64)
    assert layer.weight.dtype == np.float64 and layer.sparse is False
    assert layer(np.array([1])).shape == (1, 4)
