"""`fit(..., drop_last=True)`: the short last batch of each epoch is left out of training (the
advice of BatchNorm's error for a last batch of one sample); validation and `evaluate` still
score every sample."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import manual_seed
from nn import BatchNorm1d, Linear, ReLU, Sequential, cross_entropy, evaluate, fit, mse_loss
from nn.data import DataLoader
from nn.optim import SGD


def _data(n=65):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _model():
    manual_seed(0)
    return Sequential(Linear(3, 8), BatchNorm1d(8), ReLU(), Linear(8, 2))


def test_a_last_batch_of_one_fails_with_advice_that_fit_takes():
    X, y = _data()                                  # 65 = 2 · 32 + 1
    model = _model()
    with pytest.raises(ValueError, match=r"BatchNorm1d\(8.*A last batch of one sample: drop it "
                                         r"with fit\(\.\.\., drop_last=True\) or DataLoader\("):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), batch_size=32,
            progress=False)
    model = _model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=3,
                  batch_size=32, drop_last=True, val_data=(X, y), progress=False)
    assert len(history["loss"]) == 3 and model[1].num_batches_tracked == 3 * 2
    # validation scores all 65 samples, in fit's batches: evaluate's number, exactly
    assert history["val_loss"][-1] == evaluate(model, cross_entropy, (X, y), batch_size=32)["loss"]


def test_drop_last_trains_on_the_full_batches_only():
    """Without shuffling, the steps are those of a DataLoader with drop_last=True: the same
    weights, bit for bit; without drop_last the last, short batch moves them too."""
    X, y = _data(10)
    y = y.astype(np.float32).reshape(-1, 1)
    finals = []
    for options in ({"drop_last": True}, {}, None):
        manual_seed(1)
        model = Linear(3, 1)
        if options is None:
            data, options = DataLoader(X, y, batch_size=4, drop_last=True), {}
        else:
            data, options = (X, y), {"batch_size": 4, "shuffle": False, **options}
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), data, epochs=2, progress=False,
            **options)
        finals.append(model.weight.data.copy())
    np.testing.assert_array_equal(finals[0], finals[2])
    assert not np.array_equal(finals[0], finals[1])


def test_drop_last_next_to_a_dataloader_is_refused_not_ignored():
    X, y = _data(8)
    model = Linear(3, 2)
    with pytest.raises(ValueError, match=r"fit: drop_last would be ignored: train_data is a "
                                         r"DataLoader"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1),
            DataLoader(X, y, batch_size=4), drop_last=True)


def test_bad_drop_last_values_are_named():
    X, y = _data(8)
    model = Linear(3, 2)
    with pytest.raises(TypeError, match=r"drop_last must be True or False, got 'yes'"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), drop_last="yes")
    with pytest.raises(ValueError, match=r"drop_last=True with batch_size=32 and only 8 samples "
                                         r"leaves no batch at all"):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), drop_last=True)


def test_a_dataloader_that_drops_samples_is_refused_for_scoring():
    """Validation and evaluate score every sample: a DataLoader with drop_last=True (a copy of
    the training loader's settings) would score 8 of 10 samples, silently."""
    X, y = _data(10)
    model = Linear(3, 2)
    dropping = DataLoader(X, y, batch_size=4, drop_last=True)
    message = (r"is a DataLoader with drop_last=True, which would leave its last 2 of 10 "
               r"samples out of the scores")
    with pytest.raises(ValueError, match=r"evaluate: data " + message):
        evaluate(model, cross_entropy, dropping)
    with pytest.raises(ValueError, match=r"fit: val_data " + message):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), val_data=dropping,
            progress=False)
    # nothing is dropped when the batches divide the samples: the same scores as (X, y)
    whole = DataLoader(X[:8], y[:8], batch_size=4, drop_last=True)
    assert evaluate(model, cross_entropy, whole) == evaluate(model, cross_entropy, (X[:8], y[:8]))
