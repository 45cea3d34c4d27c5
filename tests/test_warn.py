"""autograd.warn: a warning names the learner's line, also when the mistake reaches the check
through glassgrad's own code (a loss module, fit, a layer), and fit shows it once, not once
per batch."""

from __future__ import annotations

import pathlib
import sys
import warnings

import numpy as np
import pytest

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


def test_in_a_notebook_every_cell_that_makes_the_mistake_is_told_at_its_own_line():
    """Attributed to one line of nn/train.py, the warning was shown in the first cell only."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    setup = ("import numpy as np\nfrom nn import Linear, Sequential, Softmax, cross_entropy, fit\n"
             "from nn.optim import SGD\nX = np.eye(2, dtype=np.float32).repeat(4, axis=0)\n"
             "y = np.array([0] * 4 + [1] * 4)")
    train = ("model = Sequential(Linear(2, 2), Softmax(-1))\n"
             "fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (X, y), epochs=2,\n"
             "    batch_size=2, progress=False)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)
                                               for code in (setup, train, train)])
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": root}}).execute()
    for cell in notebook.cells[1:]:
        told = "".join(out.get("text", "") for out in cell.outputs if out.get("name") == "stderr")
        assert told.count("cross_entropy: its input comes from softmax") == 1, told
        assert ":2: UserWarning" in told and "  fit(model, cross_entropy" in told, told
