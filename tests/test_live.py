"""nn.live and fit(..., live=True): one picture, shown once and replaced after every epoch, in
a notebook; nothing at all outside one.

A notebook is simulated: `in_notebook` says yes and IPython's `display` is replaced by a
recorder, so the test sees exactly what Jupyter would be asked to show.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn.live
from autograd import manual_seed
from nn import MLP, cross_entropy, fit, mse_loss
from nn.data import make_moons
from nn.optim import Adam


class Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, picture):
        self.shown.append(("update", picture))


@pytest.fixture
def notebook(monkeypatch):
    """A pretend Jupyter kernel; yields the list of (call, picture) it was asked to show."""
    import IPython.display

    shown = []

    def display(picture, display_id=False):
        assert display_id is True                   # an id: the picture can be replaced
        shown.append(("display", picture))
        return Handle(shown)
    monkeypatch.setattr(nn.live, "in_notebook", lambda: True)
    monkeypatch.setattr("nn.train.in_notebook", lambda: True)      # fit's live=True asks
    monkeypatch.setattr("nn.progress.in_notebook", lambda: True)   # and the bar's default
    monkeypatch.setattr(IPython.display, "display", display)
    return shown


def moons():
    X, y = make_moons(60, noise=0.1, seed=np.random.RandomState(0))
    return X.astype(np.float32), y


def test_live_draws_once_then_replaces_the_picture_every_epoch(notebook):
    manual_seed(0)
    X, y = moons()
    model = MLP(2, [8], 2)
    fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X, y), epochs=3,
        progress=False, live=True)
    assert [call for call, _ in notebook] == ["display", "update", "update"]
    assert all(picture.data.startswith(b"\x89PNG") for _, picture in notebook)
    assert model.training                            # drawing the boundary left it training


def test_the_boundary_is_drawn_for_2d_classifiers_only(notebook):
    X, y = moons()
    model = MLP(2, [4], 2)
    plot = nn.train._live_plot(model, cross_entropy, nn.train._batches(
        (X, y), 32, False, None, "test"), None)
    history = nn.train.History()
    history.record({"loss": 0.7})
    with_boundary = plot.png(history)
    assert plot.boundary
    regression = nn.train._live_plot(MLP(2, [4], 1), mse_loss, nn.train._batches(
        (X, y.astype(np.float32)), 32, False, None, "test"), None)
    alone = regression.png(history)
    assert not regression.boundary                   # mse: outputs are not classes
    assert len(with_boundary) > len(alone)           # two panels against one


def test_live_does_nothing_outside_a_notebook(monkeypatch):
    import IPython.display

    def display(*args, **kwargs):
        raise AssertionError("display called outside a notebook")
    monkeypatch.setattr(IPython.display, "display", display)
    manual_seed(0)
    X, y = moons()
    model = MLP(2, [4], 2)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X, y), epochs=2,
                  progress=False, live=True)
    assert history.epochs == 2


def test_live_must_be_a_bool():
    X, y = moons()
    model = MLP(2, [4], 2)
    with pytest.raises(TypeError, match="fit: live must be True or False, got 'yes'"):
        fit(model, cross_entropy, Adam(model.parameters()), (X, y), live="yes")


def test_a_kernel_whose_shell_subclasses_jupyters_counts_as_a_notebook(monkeypatch):
    # Google Colab's shell is google.colab._shell.Shell, a subclass of ipykernel's
    # ZMQInteractiveShell: there too fit's bar and live=True must find the notebook
    import IPython

    class ZMQInteractiveShell:
        pass

    class Shell(ZMQInteractiveShell):
        pass

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert nn.live.in_notebook()
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not nn.live.in_notebook()
