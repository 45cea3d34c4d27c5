"""nn.EmbeddingBag and F.embedding_bag (nn/layers.py, autograd/functional/embeddings.py): bags of
indices reduced by sum, mean or max, with offsets, 2-d input, per_sample_weights, padding_idx and
include_last_offset; PyTorch's numbers (live where torch is installed, else as recorded in
tests/reference/embedding_bag.npz) and finite-difference gradients."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradcheck, gradcheck_parameters, manual_seed
from autograd.functional import embedding_bag
from nn import Embedding, EmbeddingBag
from nn import functional as NF
from reference import as_array, assert_matches, draw, prefixed, recorded, under

# (input, offsets, include_last_offset): bags of different lengths, an empty one, a bag of
# padding only, repeats; a 2-d batch of fixed-length bags; CSR-style boundaries
BAGS = {
    "offsets": (np.array([1, 2, 4, 5, 4, 3, 2, 6, 0, 0]), np.array([0, 2, 2, 7]), False),
    "batch": (np.array([[1, 2, 0], [0, 0, 0], [6, 6, 5]]), None, False),
    "last_offset": (np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 4, 6]), True),
}
CASES = [(bags, mode, padding_idx) for bags in BAGS for mode in ("sum", "mean", "max")
         for padding_idx in (None, 0)]
IDS = [f"{bags}-{mode}-pad{padding_idx}" for bags, mode, padding_idx in CASES]


def bag_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    """A (7, 3) table, per_sample_weights in sum mode, and a gradient for the output."""
    bags, mode, _ = case
    index, offsets, last = BAGS[bags]
    n_bags = index.shape[0] if offsets is None else len(offsets) - last
    drawn = dict(weight=rng.normal(size=(7, 3)), g=rng.normal(size=(n_bags, 3)))
    if mode == "sum":
        drawn["per_sample_weights"] = rng.uniform(0.5, 2.0, index.shape)
    return drawn


def bag_glassgrad(case: tuple, weight, g, per_sample_weights=None) -> dict[str, np.ndarray]:
    bags, mode, padding_idx = case
    index, offsets, last = BAGS[bags]
    layer = EmbeddingBag(7, 3, mode=mode, include_last_offset=last, padding_idx=padding_idx,
                         dtype=np.float64)
    layer.load_state_dict({"weight": weight})
    psw = None if per_sample_weights is None else Tensor(per_sample_weights, requires_grad=True)
    y = layer(index, offsets, per_sample_weights=psw)
    y.backward(g)
    ours = {"y": y.data, "weight.grad": layer.weight.grad}
    if psw is not None:
        ours["per_sample_weights.grad"] = psw.grad
    return ours


def bag_torch(torch, case: tuple, weight, g, per_sample_weights=None) -> dict[str, np.ndarray]:
    bags, mode, padding_idx = case
    index, offsets, last = BAGS[bags]
    layer = torch.nn.EmbeddingBag(7, 3, mode=mode, include_last_offset=last,
                                  padding_idx=padding_idx).double()
    layer.load_state_dict({"weight": torch.tensor(weight)})
    psw = None if per_sample_weights is None else torch.tensor(per_sample_weights,
                                                               requires_grad=True)
    y = layer(torch.tensor(index), None if offsets is None else torch.tensor(offsets),
              per_sample_weights=psw)
    y.backward(torch.tensor(g))
    theirs = {"y": as_array(y), "weight.grad": as_array(layer.weight.grad)}
    if psw is not None:
        theirs["per_sample_weights.grad"] = as_array(psw.grad)
    return theirs


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/embedding_bag.npz: each case's inputs and PyTorch's results."""
    arrays = {}
    for case_id, case in zip(IDS, CASES):
        inputs = bag_inputs(draw(), case)
        arrays.update(prefixed(case_id, {**inputs, **bag_torch(torch, case, **inputs)}))
    return arrays


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_embedding_bag_matches_pytorch(case, rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = bag_inputs(rng, case)
    assert_matches(bag_glassgrad(case, **inputs), bag_torch(torch, case, **inputs),
                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_embedding_bag_matches_pytorchs_recorded_numbers(case):
    theirs = under(IDS[CASES.index(case)], recorded("embedding_bag"))
    names = ("weight", "g", "per_sample_weights")
    inputs = {name: theirs[name] for name in names if name in theirs}
    assert_matches(bag_glassgrad(case, **inputs), theirs, rtol=1e-12, atol=1e-12,
                   inputs=names)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradients_match_finite_differences(mode, rng):
    """Weight (and per_sample_weights in sum mode) at random points: no ties in a bag's max."""
    weight = Tensor(rng.normal(size=(6, 3)), requires_grad=True)
    index, offsets = np.array([1, 2, 4, 2, 5, 3, 1]), np.array([0, 3, 3, 5])
    if mode == "sum":
        psw = Tensor(rng.uniform(0.5, 2.0, 7), requires_grad=True)
        assert gradcheck(lambda w, p: embedding_bag(index, w, offsets, mode="sum",
                                                    per_sample_weights=p, padding_idx=4),
                         weight, psw)
    else:
        assert gradcheck(lambda w: embedding_bag(index, w, offsets, mode=mode, padding_idx=4),
                         weight)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("index", [[[1, 3, 3], [0, 4, 2]], [[2, 0]]], ids=["batch", "batch-1"])
def test_the_layers_own_weight_gradchecks(mode, index, rng):
    """The module, not only embedding_bag: its table where it lives (bags of a 2-d input, a
    batch and a batch of one), against finite differences; distinct rows, so max has no ties."""
    layer = EmbeddingBag(5, 3, mode=mode, dtype=np.float64)
    layer.weight.data[:] = np.arange(15.0).reshape(5, 3) * 0.37 - 2.0
    r = Tensor(rng.normal(size=(len(index), 3)))
    assert gradcheck_parameters(lambda: (layer(np.array(index)) * r).sum(),
                                layer.named_parameters())


def test_bags_are_what_embedding_then_a_reduction_gives():
    """Bags of one length: the same as Embedding then sum / mean / max over the bag."""
    manual_seed(0)
    table = Embedding(9, 4, dtype=np.float64)
    index = np.array([[1, 2, 8], [3, 3, 0]])
    looked_up = table(index).data
    for mode, expected in (("sum", looked_up.sum(1)), ("mean", looked_up.mean(1)),
                           ("max", looked_up.max(1))):
        got = NF.embedding_bag(index, table.weight, mode=mode)
        np.testing.assert_allclose(got.data, expected, rtol=1e-15, atol=1e-15)


def test_empty_bags_and_an_empty_input_give_zeros_and_a_zero_gradient():
    weight = Tensor(np.ones((3, 2)), requires_grad=True)
    for mode in ("sum", "mean", "max"):
        y = embedding_bag(np.array([], dtype=np.int64), weight, [0, 0], mode=mode)
        assert y.shape == (2, 2) and not y.data.any()
        y.sum().backward()
        assert not weight.grad.any()
        assert embedding_bag(np.zeros((2, 0), np.int64), weight, mode=mode).shape == (2, 2)


def test_the_layer_is_pytorchs_init_state_dict_repr_and_from_pretrained():
    manual_seed(0)
    bag = EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    assert list(bag.state_dict()) == ["weight"] and bag.weight.shape == (10, 3)
    assert not bag.weight.data[2].any() and bag.weight.data.std() > 0.5     # N(0, 1) rows
    assert repr(bag) == "EmbeddingBag(10, 3, mode='sum', padding_idx=2)"
    assert repr(EmbeddingBag(4, 2, max_norm=1.0)) == "EmbeddingBag(4, 2, max_norm=1.0, mode='mean')"
    table = np.arange(10.0).reshape(5, 2)
    frozen = EmbeddingBag.from_pretrained(table, mode="max")
    assert frozen.weight.data is table or np.shares_memory(frozen.weight.data, table)
    assert not frozen.weight.requires_grad
    assert frozen(np.array([[0, 4, 1]])).data.tolist() == [[8.0, 9.0]]
    assert EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad


def test_max_norm_rescales_the_looked_up_rows_as_embedding_does():
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    bag = EmbeddingBag.from_pretrained(table.copy(), freeze=False, max_norm=1.0, mode="sum")
    y = bag(np.array([0, 1]), np.array([0]))
    np.testing.assert_allclose(y.data, [[0.9, 1.2]], rtol=1e-6)
    np.testing.assert_allclose(bag.weight.data[2], [6.0, 8.0])       # not looked up: kept


@pytest.mark.parametrize("call, error, words", [
    (lambda b: b(np.array([1, 2, 3])), ValueError, "a 1-d input needs offsets"),
    (lambda b: b(np.array([[1, 2]]), np.array([0])), ValueError, "offsets must be None"),
    (lambda b: b(np.zeros((1, 1, 2), np.int64)), ValueError, "1-d (with offsets) or 2-d"),
    (lambda b: b(np.array([1, 2, 3]), np.array([1])), ValueError, "offsets[0] must be 0"),
    (lambda b: b(np.array([1, 2, 3]), np.array([0, 2, 1])), ValueError, "non-decreasing"),
    (lambda b: b(np.array([1, 2, 3]), np.array([0, 4])), ValueError, "non-decreasing"),
    (lambda b: b(np.array([1, 2, 3]), np.array([0.0])), TypeError, "offsets must be integers"),
    (lambda b: b(np.array([1, 2, 30]), np.array([0])), IndexError, "out of range"),
    (lambda b: b(np.array([1, 2]), np.array([0]), per_sample_weights=np.ones(3)), ValueError,
     "the input's shape (2,)"),
    (lambda b: b(np.array([1, 2]), np.array([0]),
                 per_sample_weights=Tensor(np.ones(2), dtype="float64")), TypeError,
     "same dtype"),
])
def test_mistakes_are_named_where_they_are_made(call, error, words):
    manual_seed(0)
    bag = EmbeddingBag(10, 3, mode="sum")
    with pytest.raises(error, match=r"^EmbeddingBag\(10, 3, mode='sum'\): ") as raised:
        call(bag)
    assert words in str(raised.value)


def test_options_pytorch_refuses_or_glassgrad_lacks_are_refused():
    with pytest.raises(ValueError, match="mode must be 'sum', 'mean' or 'max', got 'min'"):
        EmbeddingBag(5, 2, mode="min")
    with pytest.raises(ValueError, match="only taken with mode='sum', got mode='mean'"):
        EmbeddingBag(5, 2)(np.array([1, 2]), np.array([0]), per_sample_weights=np.ones(2))
    with pytest.raises(ValueError, match="the last offset is the end of the last bag"):
        EmbeddingBag(5, 2, include_last_offset=True)(np.array([1, 2, 3]), np.array([0, 2]))
    with pytest.raises(TypeError, match="EmbeddingBag: sparse must be True or False, got 'yes'"):
        EmbeddingBag(5, 2, sparse="yes")


def test_bags_of_different_lengths_as_a_list_say_how_to_give_them():
    """numpy's "inhomogeneous shape" said nothing of bags or offsets."""
    with pytest.raises(ValueError, match=r"^EmbeddingBag\(5, 2, mode='mean'\): indices must be a "
                                         r"rectangular array .* lengths \[1, 3\].*offsets"):
        EmbeddingBag(5, 2)([[1, 2, 3], [0]])
