"""autograd.warn: a warning names the learner's line, also when the mistake reaches the check
through glassgrad's own code (a loss module, fit, a layer), and fit shows it once, not once
per batch."""

from __future__ import annotations

import sys
import warnings

import numpy as np

from autograd import Tensor, manual_seed
from nn import CrossEntropyLoss, KLDivLoss, Linear, Sequential, Softmax, cross_entropy, fit
from nn.optim import SGD


def next_line() -> int:
    """The number of the caller's next line."""
    return sys._getframe(1).f_lineno + 1


def test_a_loss_module_fed_probabilities_warns_at_the_callers_line():
    scores = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = next_line()
        CrossEntropyLoss()(scores.softmax(-1), np.array([0, 1, 2, 0]))
    assert "cross_entropy: its input comes from softmax" in str(caught[0].message)
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)   # not nn/losses.py


def test_a_loss_module_with_reduction_mean_warns_at_the_callers_line():
    log_p = Tensor(np.log(np.full((2, 4), 0.25)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = next_line()
        KLDivLoss(reduction="mean")(log_p, np.full((2, 4), 0.25))
    assert "kl_div: reduction='mean'" in str(caught[0].message)
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_fit_warns_at_the_line_that_calls_it_once_not_once_per_batch():
    manual_seed(0)
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential(Linear(2, 2), Softmax(-1))        # PyTorch's classic mistake
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")                 # Python's own: once per line
        line = next_line()
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
            batch_size=8, progress=False)
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]   # 10 batches
    assert "cross_entropy: its input comes from softmax" in str(caught[0].message)
