"""A user trial: an NLP course's text classification, written as its PyTorch notebooks write
it, with `import autograd as torch` and `import nn` (tests/text_trial_helpers.py holds the
corpus, the vocabulary, the datasets, collate functions and models, written once for both
engines). A sentiment corpus from templates ("the movie was not dull") with negations that
flip the label: a bag of embeddings (`EmbeddingBag(mode='mean')` with offsets) cannot see
where "not" stands, while a packed BiLSTM, Kim's CNN, a Transformer encoder and a BiLSTM with
hand-written attention pooling can. Gradients of the pieces are checked against central
differences in float64, and every model against live PyTorch from the same weights."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, Dataset
from text_trial_helpers import (
    build_models, build_pipeline, build_vocab, no_dropout, sentiment_corpus, train,
)
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

MODELS = build_models(torch, nn, F)
PIPE = build_pipeline(torch, nn, Dataset)
TRAIN, TEST = sentiment_corpus(400, seed=1), sentiment_corpus(200, seed=2)
VOCAB = build_vocab([words for words, _, _ in TRAIN])
V = len(VOCAB)
#: name: (constructor arguments, collate function, epochs, learning rate)
SETUPS = {
    "bag": ((V, 24, 2), "collate_bag", 40, 2e-2),
    "bilstm": ((V, 24, 24, 2), "collate_padded", 3, 2e-2),
    "cnn": ((V, 24, 16, 2), "collate_padded", 8, 5e-3),
    "transformer": ((V, 32, 4, 2), "collate_padded", 5, 2e-2),
    "attention": ((V, 24, 24, 2), "collate_padded", 3, 2e-2),
}


def test_vocabulary_numericalising_and_padded_batches():
    assert VOCAB["<pad>"] == 0 and VOCAB["<unk>"] == 1 and VOCAB["was"] > 1
    ids = PIPE["numericalise"](["the", "movie", "was", "zany"], VOCAB)
    assert ids.dtype == np.int64 and ids.tolist()[-1] == 1          # unseen: <unk>
    data = PIPE["Reviews"](TRAIN, VOCAB)
    loader = DataLoader(data, batch_size=32, shuffle=True, collate_fn=PIPE["collate_padded"],
                        generator=torch.Generator().manual_seed(0))
    seen = 0
    for ids, lengths, labels in loader:
        assert ids.dtype == lengths.dtype == labels.dtype == np.int64
        assert ids.shape == (len(labels), int(lengths.max()))
        steps = torch.arange(ids.shape[1]).unsqueeze(0)
        assert bool(((ids == 0) == (steps >= lengths.unsqueeze(1))).all())   # pads at the end
        seen += len(labels)
    assert seen == len(TRAIN)
    first = [int(x) for x in next(iter(loader))[2]]
    assert first != [label for _, label, _ in TRAIN[:32]]            # shuffled
    flat, offsets, labels = PIPE["collate_bag"](data.items[:3])
    assert offsets.tolist() == [0, len(data.items[0][0]), len(data.items[0][0]) +
                                len(data.items[1][0])] and flat.shape == (int(offsets[-1]) +
                                                                          len(data.items[2][0]),)


@pytest.fixture(scope="module")
def trained():
    """Each model trained once with a fixed seed: its test predictions."""
    out = {}
    test = PIPE["Reviews"](TEST, VOCAB)
    for name, (args, collate, epochs, lr) in SETUPS.items():
        torch.manual_seed(0)
        loader = DataLoader(PIPE["Reviews"](TRAIN, VOCAB), batch_size=32, shuffle=True,
                            collate_fn=PIPE[collate])
        model = train(torch, nn, F, optim, MODELS[name](*args), loader, epochs, 2, lr=lr)
        model.eval()
        a, b, _ = PIPE[collate](test.items)
        with torch.no_grad():
            out[name] = model(a, b).argmax(dim=1)
    return out


def _scores(pred):
    y = torch.tensor([label for _, label, _ in TEST])
    negated = torch.tensor([negated for _, _, negated in TEST])
    right = pred == y
    return right.float().mean().item(), (right & negated).sum().item() / negated.sum().item()


@pytest.mark.parametrize("name", ["bilstm", "cnn", "transformer", "attention"])
def test_sequence_models_beat_the_majority_and_a_bag_of_words_on_negations(trained, name):
    labels = np.array([label for _, label, _ in TEST])
    majority = max(labels.mean(), 1 - labels.mean())
    accuracy, on_negations = _scores(trained[name])
    bag_accuracy, bag_on_negations = _scores(trained["bag"])
    assert bag_accuracy > majority + 0.08           # the bag learns the adjectives ...
    assert bag_on_negations < 0.5                   # ... and gets "not <adj>" backwards
    assert accuracy > majority + 0.3 if name != "transformer" else accuracy > majority + 0.2
    assert on_negations > bag_on_negations + 0.4


# -- gradients against central differences, float64 ---------------------------------------------

def _central(f, x, places, eps=1e-6):
    """(f(x + eps) - f(x - eps)) / 2eps at each place of x's numbers."""
    out = []
    for place in places:
        old = x.data[place]
        x.data[place] = old + eps
        up = f().item()
        x.data[place] = old - eps
        down = f().item()
        x.data[place] = old
        out.append((up - down) / (2 * eps))
    return np.array(out)


def _agrees(f, x, places):
    x.grad = None
    f().backward()
    np.testing.assert_allclose([x.grad[p] for p in places], _central(f, x, places),
                               rtol=1e-6, atol=1e-9)


@pytest.fixture
def float64():
    torch.set_default_dtype(np.float64)     # conftest puts float32 back after the test
    return np.random.default_rng(0)


def test_embedding_bag_mean_gradient(float64):
    bag = nn.EmbeddingBag(10, 4, mode="mean")
    flat = torch.tensor([1, 2, 3, 2, 5, 7, 7, 9])
    offsets = torch.tensor([0, 3, 5])               # bags of 3, 2 and 3 (7 twice)
    r = torch.tensor(float64.normal(size=(3, 4)))
    _agrees(lambda: (bag(flat, offsets) * r).sum(), bag.weight,
            [(2, 1), (7, 3), (9, 2), (0, 0)])        # shared by two bags, twice in one, unused
    assert np.all(bag.weight.grad[[0, 4, 6, 8]] == 0)


def test_masked_mean_pooling_gradient(float64):
    h = torch.tensor(float64.normal(size=(3, 5, 4)), requires_grad=True)
    ids = torch.tensor([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5], [6, 0, 0, 0, 0]])
    r = torch.tensor(float64.normal(size=(3, 4)))

    def pooled():
        keep = (ids != 0).unsqueeze(-1).float()
        return ((h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0) * r).sum()
    _agrees(pooled, h, [(0, 0, 1), (0, 3, 1), (1, 4, 2), (2, 0, 3), (2, 1, 0)])
    assert np.all(h.grad[0, 2:] == 0) and np.all(h.grad[2, 1:] == 0)


def test_attention_pooling_with_minus_inf_masks_gradient(float64):
    h = torch.tensor(float64.normal(size=(3, 5, 4)), requires_grad=True)
    scores = torch.tensor(float64.normal(size=(3, 5)), requires_grad=True)
    ids = torch.tensor([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5], [6, 0, 0, 0, 0]])
    r = torch.tensor(float64.normal(size=(3, 4)))

    def attended():
        alpha = F.softmax(scores.masked_fill(ids == 0, float('-inf')), dim=1)
        return ((alpha.unsqueeze(-1) * h).sum(dim=1) * r).sum()
    _agrees(attended, scores, [(0, 0), (0, 1), (1, 2), (1, 4), (0, 3), (2, 0)])
    _agrees(attended, h, [(0, 0, 1), (1, 3, 2), (2, 0, 3), (0, 4, 0)])
    assert np.isfinite(scores.grad).all() and np.all(scores.grad[ids.data == 0] == 0)


def test_packed_bilstm_loss_gradient_at_embedding_rows(float64):
    torch.manual_seed(0)
    model = MODELS["bilstm"](12, 5, 4, 2)
    model.eval()
    ids = torch.tensor([[3, 4, 5, 0], [1, 2, 3, 4], [6, 7, 0, 0]])
    lengths, y = torch.tensor([3, 4, 2]), torch.tensor([0, 1, 1])
    _agrees(lambda: F.cross_entropy(model(ids, lengths), y), model.emb.weight,
            [(3, 0), (3, 4), (7, 2), (1, 1), (11, 0)])
    assert np.all(model.emb.weight.grad[[0, 8, 9, 10, 11]] == 0)     # padding, unused words


# -- the rest of the notebook's tools -----------------------------------------------------------

def test_pretrained_embeddings_train_unless_frozen():
    weights = torch.tensor(np.random.default_rng(0).normal(size=(V, 8)).astype(np.float32))
    before = weights.numpy().copy()
    for freeze in (False, True):
        torch.manual_seed(0)
        model = MODELS["bilstm"](V, 8, 8, 2, weights=weights.clone())   # freeze=False
        assert model.emb.weight.requires_grad and model.emb.padding_idx is None
        loader = DataLoader(PIPE["Reviews"](TRAIN[:64], VOCAB), batch_size=32,
                            collate_fn=PIPE["collate_padded"])
        if freeze:                          # the notebook's later freezing
            model.emb.weight.requires_grad = False
        train(torch, nn, F, optim, model, loader, 1, 2)
        assert np.array_equal(model.emb.weight.data, before) is freeze


def test_warm_up_and_clipping():
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 4))
    rates = []
    for _ in range(6):
        optimizer.zero_grad(set_to_none=True)
        assert model.weight.grad is None
        (model(torch.ones(5, 3) * 100) ** 2).sum().backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        total = np.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
        assert float(norm) > 0.5 and total == pytest.approx(0.5, rel=1e-5)
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_weights_set_up_through_data_in_the_constructor_say_what_to_write():
    """PyTorch's text-classification tutorial calls `self.init_weights()` in `__init__`, which
    writes `self.fc.weight.data.uniform_(-0.5, 0.5)`: `.data` is a numpy array here, and the
    error leaving the constructor says what to write (once, also from a nested module)."""
    class Classifier(nn.Module):
        def __init__(self, vocab_size, dim, classes):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, dim)
            self.fc = nn.Linear(dim, classes)
            self.init_weights()

        def init_weights(self):
            self.embedding.weight.data.uniform_(-0.5, 0.5)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Classifier(10, 4, 2)

    for make in (lambda: Classifier(10, 4, 2), Outer):
        with pytest.raises(AttributeError, match="has no attribute 'uniform_'") as caught:
            make()
        notes = getattr(caught.value, "__notes__", [])
        assert len(notes) == 1 and "nn.init.uniform_(p, a, b)" in notes[0], notes
    assert Classifier.__init__.__name__ == "__init__"           # still the class's own
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'classes'"):
        Classifier(10, 4)


# -- against PyTorch ----------------------------------------------------------------------------

def _torch_twins(name, dtype):
    tnn, tF = real_torch.nn, real_torch.nn.functional
    args = SETUPS[name][0]
    ours = MODELS[name](*args)
    theirs = build_models(real_torch, tnn, tF)[name](*args)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    theirs.load_state_dict({k: real_torch.as_tensor(np.array(v.data))
                            for k, v in ours.state_dict().items()})
    return ours, theirs, build_pipeline(real_torch, tnn, real_torch.utils.data.Dataset)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(SETUPS))
def test_outputs_and_gradients_as_pytorchs(name, dtype):
    torch.manual_seed(1)
    ours, theirs, their_pipe = _torch_twins(name, dtype)
    ours.eval()
    theirs.eval()
    collate = SETUPS[name][1]
    a, b, y = PIPE[collate](PIPE["Reviews"](TRAIN[:32], VOCAB).items)
    ta, tb, ty = their_pipe[collate](their_pipe["Reviews"](TRAIN[:32], VOCAB).items)
    out, expected = ours(a, b), theirs(ta, tb)
    F.cross_entropy(out, y).backward()
    real_torch.nn.functional.cross_entropy(expected, ty).backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=0, atol=tol * 10)
    grads = dict(theirs.named_parameters())
    scale = max(float(p.grad.abs().max()) for p in grads.values() if p.grad is not None)
    for key, p in ours.named_parameters():
        want = grads[key].grad
        want = np.zeros(p.shape) if want is None else want.numpy()
        got = np.zeros(p.shape) if p.grad is None else p.grad
        # (the attention score's bias gets 0 up to rounding: softmax ignores a shift)
        np.testing.assert_allclose(got, want, rtol=tol * 100, atol=tol * scale, err_msg=key)


@needs_torch
@pytest.mark.parametrize("name", ["bag", "bilstm", "cnn", "transformer"])
def test_twelve_training_steps_as_pytorchs(name):
    """Adam, the LambdaLR warm-up and clipping, the same batches in the same order, dropout
    off, float64: the weights after three epochs agree (the key projection's bias gets only
    rounding noise, softmax ignoring a shift, and Adam scales noise to steps: not compared)."""
    torch.manual_seed(2)
    ours, theirs, their_pipe = _torch_twins(name, np.float64)
    collate = SETUPS[name][1]
    loader = DataLoader(PIPE["Reviews"](TRAIN[:128], VOCAB), batch_size=32,
                        collate_fn=PIPE[collate])
    their_loader = real_torch.utils.data.DataLoader(
        their_pipe["Reviews"](TRAIN[:128], VOCAB), batch_size=32,
        collate_fn=their_pipe[collate])
    train(torch, nn, F, optim, no_dropout(ours), loader, 3, 2, lr=1e-2, warm=5)
    train(real_torch, real_torch.nn, real_torch.nn.functional, real_torch.optim,
          no_dropout(theirs), their_loader, 3, 2, lr=1e-2, warm=5)
    expected = theirs.state_dict()
    d = SETUPS[name][0][1]                  # d_model: in_proj_bias is (q, k, v)
    for key, value in ours.state_dict().items():
        got, want = np.array(value.data), expected[key].numpy()
        if key.endswith("in_proj_bias"):
            got, want = np.delete(got, np.s_[d:2 * d]), np.delete(want, np.s_[d:2 * d])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9, err_msg=key)
