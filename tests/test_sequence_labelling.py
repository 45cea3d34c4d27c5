"""A user trial: an NLP course's sequence labelling (a toy part-of-speech set from templates),
written as its PyTorch notebooks write it with `import autograd as torch` and `import nn`: a
BiLSTM tagger over packed sequences, `F.cross_entropy(logits.reshape(-1, C), tags.reshape(-1),
ignore_index=-100)` on tags padded with -100, token accuracy and per-class F1 from tensor ops.
"saw" and "left" are verbs, nouns or adjectives by their place: a most-frequent-tag-per-word
baseline gets them wrong where the BiLSTM, which reads both neighbours, gets them right.
Checked against central differences in float64 and against live PyTorch."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, Dataset
from nn.metrics import f1_score
from text_trial_helpers import (
    AMBIGUOUS, TAGS, build_models, build_pipeline, build_vocab, tagging_corpus, train,
)
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

C = len(TAGS)
MODELS = build_models(torch, nn, F)
PIPE = build_pipeline(torch, nn, Dataset)
TRAIN, TEST = tagging_corpus(300, seed=1), tagging_corpus(150, seed=2)
VOCAB = build_vocab([words for words, _ in TRAIN])


def tag_scores(model, loader):
    """Token accuracy and per-class F1, padding (-100) left out, with tensor ops."""
    model.eval()
    right = total = 0
    tp, fp, fn = torch.zeros(C), torch.zeros(C), torch.zeros(C)
    with torch.no_grad():
        for ids, lengths, tags in loader:
            pred = model(ids, lengths).argmax(dim=-1)
            real = tags != -100
            right += ((pred == tags) & real).sum().item()
            total += real.sum().item()
            for c in range(C):
                p, t = (pred == c) & real, (tags == c) & real
                tp[c] += (p & t).sum()
                fp[c] += (p & ~t).sum()
                fn[c] += (~p & t).sum()
    precision = tp / (tp + fp).clamp(min=1)
    recall = tp / (tp + fn).clamp(min=1)
    return right / total, 2 * precision * recall / (precision + recall).clamp(min=1e-12)


@pytest.fixture(scope="module")
def tagger():
    torch.manual_seed(0)
    loader = DataLoader(PIPE["Tagged"](TRAIN, VOCAB), batch_size=32, shuffle=True,
                        collate_fn=PIPE["collate_tags"])
    return train(torch, nn, F, optim, MODELS["tagger"](len(VOCAB), 24, 24, C), loader,
                 epochs=6, classes=C)


def test_padded_tags_and_lengths():
    ids, lengths, tags = PIPE["collate_tags"](PIPE["Tagged"](TRAIN[:5], VOCAB).items)
    assert ids.shape == tags.shape == (5, int(lengths.max()))
    assert bool(((ids == 0) == (tags == -100)).all())
    assert [int(n) for n in lengths] == [len(words) for words, _ in TRAIN[:5]]


def test_tagger_beats_the_baselines_and_reads_the_context(tagger):
    test_loader = DataLoader(PIPE["Tagged"](TEST, VOCAB), batch_size=64,
                             collate_fn=PIPE["collate_tags"])
    accuracy, f1 = tag_scores(tagger, test_loader)
    counts = Counter(t for _, tags in TRAIN for t in tags)
    gold = [t for _, tags in TEST for t in tags]
    majority = np.mean(np.array(gold) == counts.most_common(1)[0][0])
    assert accuracy > majority + 0.6 and accuracy > 0.97
    assert f1.shape == (C,) and float(f1.min()) > 0.9
    # the same F1 as the metrics module's, from the flat predictions
    ids, lengths, tags = PIPE["collate_tags"](PIPE["Tagged"](TEST, VOCAB).items)
    with torch.no_grad():
        pred = tagger(ids, lengths).argmax(dim=-1)
    real = tags != -100
    np.testing.assert_allclose(f1.numpy(), f1_score(tags[real].numpy(), pred[real].numpy(),
                                                    average=None), rtol=1e-6)
    # the ambiguous words: a most-frequent-tag-per-word baseline against the tagger
    per_word = defaultdict(Counter)
    for words, tags_ in TRAIN:
        for w, t in zip(words, tags_):
            per_word[w][t] += 1
    hits = unigram_hits = n = 0
    for i, (words, tags_) in enumerate(TEST):
        for j, (w, t) in enumerate(zip(words, tags_)):
            if w in AMBIGUOUS:
                n += 1
                hits += int(pred[i, j].item() == t)
                unigram_hits += int(per_word[w].most_common(1)[0][0] == t)
    assert n > 50 and hits / n > 0.95 and unigram_hits / n < 0.75


def test_tagger_loss_gradient_at_embedding_rows():
    torch.set_default_dtype(np.float64)     # conftest puts float32 back after the test
    torch.manual_seed(3)
    model = MODELS["tagger"](len(VOCAB), 5, 4, C)
    ids, lengths, tags = PIPE["collate_tags"](PIPE["Tagged"](TRAIN[:4], VOCAB).items)

    def loss():
        logits = model(ids, lengths)
        return F.cross_entropy(logits.reshape(-1, C), tags.reshape(-1), ignore_index=-100)
    loss().backward()
    rows = [int(ids[0, 0]), int(ids[1, 2]), int(ids[3, 1])]
    places = [(r, k) for r in rows for k in (0, 3)]
    numeric = []
    for place in places:
        old = model.emb.weight.data[place]
        model.emb.weight.data[place] = old + 1e-6
        up = loss().item()
        model.emb.weight.data[place] = old - 1e-6
        down = loss().item()
        model.emb.weight.data[place] = old
        numeric.append((up - down) / 2e-6)
    np.testing.assert_allclose([model.emb.weight.grad[p] for p in places], numeric,
                               rtol=1e-6, atol=1e-9)
    assert np.all(model.emb.weight.grad[0] == 0)                 # <pad> never trains


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tagger_loss_and_gradients_as_pytorchs(dtype):
    torch.manual_seed(4)
    ours = MODELS["tagger"](len(VOCAB), 8, 6, C)
    theirs = build_models(real_torch, real_torch.nn, real_torch.nn.functional)["tagger"](
        len(VOCAB), 8, 6, C)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    theirs.load_state_dict({k: real_torch.as_tensor(np.array(v.data))
                            for k, v in ours.state_dict().items()})
    their_pipe = build_pipeline(real_torch, real_torch.nn, real_torch.utils.data.Dataset)
    ids, lengths, tags = PIPE["collate_tags"](PIPE["Tagged"](TRAIN[:16], VOCAB).items)
    tids, tlengths, ttags = their_pipe["collate_tags"](their_pipe["Tagged"](TRAIN[:16],
                                                                           VOCAB).items)
    logits, expected = ours(ids, lengths), theirs(tids, tlengths)
    loss = F.cross_entropy(logits.reshape(-1, C), tags.reshape(-1), ignore_index=-100)
    their_loss = real_torch.nn.functional.cross_entropy(expected.reshape(-1, C),
                                                        ttags.reshape(-1), ignore_index=-100)
    loss.backward()
    their_loss.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(logits.data, expected.detach().numpy(), rtol=0, atol=10 * tol)
    assert loss.item() == pytest.approx(their_loss.item(), rel=10 * tol)
    grads = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        want = grads[key].grad.numpy()
        np.testing.assert_allclose(p.grad, want, rtol=100 * tol,
                                   atol=tol * float(np.abs(want).max()), err_msg=key)
