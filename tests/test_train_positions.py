"""`fit` and `evaluate` with labels per position: a model whose logits are PyTorch's
K-dimensional (N, C, T) trained on (N, T) integer labels, as a tagger or a language model; its
accuracy is the fraction of positions whose arg-max over the class axis (1) is right, ignored
positions left out. The (N, C) cases are tests/test_train.py's."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from autograd import functional as AF
from nn import (CrossEntropyLoss, Embedding, Linear, Module, NLLLoss, cross_entropy, evaluate,
                fit, nll_loss)
from nn.optim import Adam

CLASSES = 3


class Tagger(Module):
    """A class for each token of a sequence: (N, T) token indices → (N, C, T) logits."""

    def __init__(self, vocab: int, log_probs: bool = False) -> None:
        self.embed, self.out, self.log_probs = Embedding(vocab, 8), Linear(8, CLASSES), log_probs

    def forward(self, idx):
        logits = self.out(self.embed(idx)).transpose(1, 2)          # PyTorch's class axis 1
        return AF.log_softmax(logits, axis=1) if self.log_probs else logits


def _tokens(n=48, t=6, seed=0):
    """Token sequences whose tag is token % 3, the last position padding (-100)."""
    X = np.random.default_rng(seed).integers(0, 6, (n, t))
    y = X % CLASSES
    y[:, -1] = -100
    return X, y


def _accuracy_by_hand(model, X, y):
    predicted = model(Tensor(X)).data.argmax(axis=1)                 # (N, T)
    kept = y != -100
    return float((predicted[kept] == y[kept]).mean())


@pytest.mark.parametrize("loss_fn, log_probs", [(cross_entropy, False), (CrossEntropyLoss(), False),
                                                (nll_loss, True), (NLLLoss(), True)],
                         ids=["cross_entropy", "CrossEntropyLoss", "nll_loss", "NLLLoss"])
def test_a_tagger_trains_on_labels_per_position(loss_fn, log_probs):
    X, y = _tokens()
    manual_seed(0)
    model = Tagger(6, log_probs)
    history = fit(model, loss_fn, Adam(model.parameters(), lr=0.05), (X, y), epochs=8,
                  batch_size=16, val_data=(X, y), progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] == pytest.approx(_accuracy_by_hand(model, X, y))
    assert history["val_accuracy"][-1] > 0.9


def test_the_mean_loss_and_accuracy_are_over_the_counted_positions():
    """Batches with different numbers of ignored positions: the epoch's mean is the mean over
    every counted position, as one call of the loss on the whole set gives it."""
    X, y = _tokens(n=10)
    y[::3, :3] = -100                       # some sequences more padded than others
    manual_seed(1)
    model = Tagger(6)
    scores = evaluate(model, cross_entropy, (X, y), batch_size=3, metrics=["accuracy", "f1"])
    assert scores["loss"] == pytest.approx(cross_entropy(model(Tensor(X)), y).item(), rel=1e-6)
    assert scores["accuracy"] == pytest.approx(_accuracy_by_hand(model, X, y))
    assert 0 <= scores["f1"] <= 1


def test_probability_targets_per_position_and_predict():
    """Targets (N, C, T) of the outputs' shape are probabilities over axis 1; predict= gets the
    model's (N, C, T) outputs and its (N, T) labels are scored position by position."""
    X, y = _tokens(n=8)
    y[:, -1] = 0
    onehot = np.moveaxis(np.eye(CLASSES, dtype=np.float32)[y], -1, 1)        # (N, C, T)
    manual_seed(2)
    model = Tagger(6)
    labels = evaluate(model, cross_entropy, (X, y))
    assert evaluate(model, cross_entropy, (X, onehot)) == pytest.approx(labels)
    # a predict that reads class 0 everywhere: accuracy is the share of positions labelled 0
    always_zero = evaluate(model, cross_entropy, (X, y),
                           predict=lambda out: np.zeros((len(out), out.shape[2]), np.int64))
    assert always_zero["accuracy"] == pytest.approx((y == 0).mean())


def test_targets_that_do_not_fit_the_outputs_are_named():
    X, y = _tokens(n=8)
    model = Tagger(6)
    with pytest.raises(ValueError, match=r"fit: train_data: y has shape \(8, 6\), but its rows "
                                         r"are not one-hot or probabilities .*or integer labels "
                                         r"per position"):
        fit(model, cross_entropy, Adam(model.parameters()), (X, y * 0.5), progress=False)
    # integers of the outputs' own shape would be read as probabilities: refused
    wide = np.random.default_rng(0).integers(0, 3, (8, CLASSES, 6))
    with pytest.raises(ValueError, match=r"evaluate: cross_entropy got integer targets of shape "
                                         r"\(8, 3, 6\), the shape of the model's outputs, so it "
                                         r"would read them as probabilities, but they are not "
                                         r"one-hot; labels per position \(N, d1, \.\.\.\) need "
                                         r"outputs \(N, C, d1, \.\.\.\), and labels \(N,\) "
                                         r"outputs \(N, C\)$"):
        evaluate(model, cross_entropy, (X, wide))
    # channels-last labels, the class axis read as PyTorch reads it
    with pytest.raises(ValueError, match=r"targets must have shape \(N, d1, \.\.\.\) = \(8, 6\) "
                                         r"for logits \(8, 3, 6\)"):
        evaluate(model, cross_entropy, (X, y[:, :3]))


def test_class_labels_as_a_column_say_to_give_y_flat():
    """(N, 1) labels pass the check before training (they would fit outputs (N, C, 1)); the
    model's (N, C) outputs then show that they are one label per sample."""
    from nn import MLP
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = MLP(2, [4], 3)
    with pytest.raises(ValueError, match=r"^fit: cross_entropy got the model's outputs of shape "
                                         r"\(8, 3\) and targets of shape \(8, 1\); give y flat, "
                                         r"one label per sample: y.reshape\(-1\) \(a one-column "
                                         r"DataFrame: y.iloc\[:, 0\] in pandas, "
                                         r"y.to_series\(\) in polars\)$"):
        fit(model, cross_entropy, Adam(model.parameters()), (X, y.reshape(-1, 1)), batch_size=8,
            progress=False)
    fit(model, cross_entropy, Adam(model.parameters()), (X, y), batch_size=8, progress=False)
    # a regression loss's column keeps its own message
    from nn import mse_loss
    with pytest.raises(ValueError, match=r"mse_loss: prediction has shape \(8, 3\)") as error:
        fit(model, mse_loss, Adam(model.parameters()), (X, X[:, :1]), batch_size=8,
            progress=False)
    assert "one label per sample" not in str(error.value)


def _padded_batches(sequences, batch_size):
    """A DataLoader over (tokens, tags) pairs of different lengths whose collate_fn pads each
    batch to its own longest sequence (tags with -100), as pad_sequence does in PyTorch."""
    from nn.data import DataLoader
    from nn.utils.rnn import pad_sequence

    def collate(batch):
        tokens = pad_sequence([Tensor(x) for x, _ in batch], batch_first=True)
        tags = pad_sequence([Tensor(y) for _, y in batch], batch_first=True, padding_value=-100)
        return tokens, tags
    return DataLoader(sequences, batch_size=batch_size, collate_fn=collate)


def test_batches_padded_to_different_lengths_are_scored_position_by_position():
    """Each batch padded to its own length gives outputs (N, C, T) with T changing from batch
    to batch: the metrics score every counted position of every batch (they were stacked
    whole and failed)."""
    rng = np.random.default_rng(3)
    sequences = [(x, x % CLASSES) for x in (rng.integers(0, 6, n) for n in (2, 5, 3, 6, 1, 4))]
    loader = _padded_batches(sequences, batch_size=2)          # lengths 5, 6 and 4
    manual_seed(3)
    model = Tagger(6)
    scores = evaluate(model, cross_entropy, loader, metrics=["accuracy"])
    tokens = np.concatenate([x for x, _ in sequences])
    predicted = model(Tensor(tokens[None])).data.argmax(axis=1)[0]
    assert scores["accuracy"] == pytest.approx((predicted == tokens % CLASSES).mean())
    history = fit(model, cross_entropy, Adam(model.parameters()), loader, val_data=loader,
                  progress=False)
    assert history["val_accuracy"][-1] == pytest.approx(
        evaluate(model, cross_entropy, loader)["accuracy"])


def test_padded_batches_of_different_lengths_with_only_the_loss():
    """A regression per position (here mse_loss on the padded steps) scores only the loss: the
    outputs of batches of different lengths need no stacking (evaluate stacked them and failed)."""
    from nn import mse_loss
    rng = np.random.default_rng(4)
    sequences = [(x, x * 0.5) for x in (rng.integers(0, 6, n) for n in (2, 5, 3))]
    loader = _padded_batches(sequences, batch_size=2)          # lengths 5 and 3

    class NumberPerToken(Module):
        def __init__(self) -> None:
            self.embed = Embedding(6, 1)

        def forward(self, tokens):
            return self.embed(tokens)[..., 0]                    # (N, T)

    manual_seed(4)
    scores = evaluate(NumberPerToken(), mse_loss, loader)
    assert list(scores) == ["loss"] and np.isfinite(scores["loss"])
    with pytest.raises(ValueError, match=r"^evaluate: the model's outputs have shape \(2, 5\) "
                                         r"in one batch and \(1, 3\) in another; the metrics "
                                         r"score them all together: pass metrics=\(\) to "
                                         r"record only the loss$"):
        evaluate(NumberPerToken(), mse_loss, loader, metrics=["mse"])
