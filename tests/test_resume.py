"""Resumable training: a run stopped, saved to a file, and resumed in fresh objects equals the
uninterrupted run exactly (weights, optimizer state, learning rate)."""

import random

import numpy as np
import pytest

from autograd import manual_seed
from nn import MLP, cross_entropy, fit, hinge_loss, load, save, scalar
from nn.data import make_moons
from nn.optim import SGD, Adam
from nn.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau, StepLR

SETUPS = {
    "SGD momentum + StepLR": (lambda ps: SGD(ps, lr=0.2, momentum=0.9, nesterov=True),
                              lambda opt: StepLR(opt, step_size=2, gamma=0.5)),
    "Adam + CosineAnnealingLR": (lambda ps: Adam(ps, lr=0.02, amsgrad=True),
                                 lambda opt: CosineAnnealingLR(opt, T_max=5)),
    "Adam + ReduceLROnPlateau": (lambda ps: Adam(ps, lr=0.05),
                                 lambda opt: ReduceLROnPlateau(opt, patience=0, factor=0.5)),
}


def _moons():
    X, y = make_moons(80, noise=0.2, seed=0)
    return X.astype(np.float32), y


def _run(model, make, epochs, data, start=None):
    """`epochs` epochs of fit; from the checkpoint file `start` if given (after making the
    optimizer and scheduler anew, as a resuming script does)."""
    make_optimizer, make_scheduler = make
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer)
    if start is not None:
        checkpoint = load(start)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
    fit(model, cross_entropy, optimizer, data, epochs=epochs, batch_size=16, shuffle=False,
        scheduler=scheduler, metrics=(), progress=False)
    return optimizer, scheduler


@pytest.mark.parametrize("setup", SETUPS)
def test_a_resumed_run_equals_an_uninterrupted_one(setup, tmp_path):
    data = _moons()
    manual_seed(0)
    straight = MLP(2, [8], 2)
    opt_a, sched_a = _run(straight, SETUPS[setup], 6, data)

    manual_seed(0)
    first = MLP(2, [8], 2)
    opt_b, sched_b = _run(first, SETUPS[setup], 3, data)
    path = tmp_path / "run.npz"
    save({"model": first, "optimizer": opt_b, "scheduler": sched_b}, path)

    manual_seed(1)                                    # other initial weights: all must be loaded
    resumed = MLP(2, [8], 2)
    opt_c, sched_c = _run(resumed, SETUPS[setup], 3, data, start=path)

    for (name, a), (_, c) in zip(straight.named_parameters(), resumed.named_parameters()):
        assert np.array_equal(a.data, c.data), name
    assert opt_c.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    state_a, state_c = opt_a.state_dict()["state"], opt_c.state_dict()["state"]
    for index, entries in state_a.items():
        for key, value in entries.items():
            assert np.array_equal(value, state_c[index][key]), (index, key)
    assert sched_c.state_dict() == sched_a.state_dict()


def test_a_scalar_model_resumes_exactly_too(tmp_path):
    X, y = _moons()
    X, y = X[:20].astype(np.float64), 2 * y[:20] - 1

    def train(model, epochs, start=None):
        optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
        if start is not None:
            checkpoint = load(start)
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
        fit(model, lambda s, t: hinge_loss(s, t), optimizer, (X, y), epochs=epochs,
            batch_size=10, shuffle=False, progress=False)
        return optimizer

    random.seed(0)
    straight = scalar.MLP(2, [4, 1])
    train(straight, 4)
    random.seed(0)
    first = scalar.MLP(2, [4, 1])
    save({"model": first, "optimizer": train(first, 2)}, tmp_path / "run.npz")
    random.seed(5)
    resumed = scalar.MLP(2, [4, 1])
    train(resumed, 2, start=tmp_path / "run.npz")
    assert [p.data for p in straight.parameters()] == [p.data for p in resumed.parameters()]


@pytest.mark.parametrize("seeded", [True, False], ids=["loader seed", "shared generator"])
def test_a_shuffled_run_with_dropout_resumes_exactly(seeded, tmp_path):
    """Shuffling and dropout draw random numbers: their generators' states go into the file."""
    from autograd.random import get_state, set_state
    from nn import Dropout, Linear, ReLU, Sequential
    from nn.data import DataLoader
    X, y = _moons()

    def run(epochs, start=None):
        model = Sequential(Linear(2, 8), ReLU(), Dropout(0.3), Linear(8, 2))
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
        loader = DataLoader(X, y, batch_size=16, shuffle=True, seed=7 if seeded else None)
        if start is not None:
            checkpoint = load(start)
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            loader.load_state_dict(checkpoint["data"])
            set_state(checkpoint["rng"])
        fit(model, cross_entropy, optimizer, loader, epochs=epochs, metrics=(), progress=False)
        return model, optimizer, loader

    manual_seed(0)
    straight, _, _ = run(4)
    manual_seed(0)
    first, opt, loader = run(2)
    save({"model": first, "optimizer": opt, "data": loader, "rng": get_state()},
         tmp_path / "run.npz")
    manual_seed(123)                                  # elsewhere entirely, until loaded
    resumed, _, _ = run(2, start=tmp_path / "run.npz")
    for (name, a), (_, c) in zip(straight.named_parameters(), resumed.named_parameters()):
        assert np.array_equal(a.data, c.data), name


def test_generator_states_that_do_not_fit_are_refused():
    from autograd.random import set_state
    from nn.data import DataLoader
    with pytest.raises(ValueError, match="set_state: not a PCG64 generator state"):
        set_state({"bit_generator": "MT19937"})
    loader = DataLoader(np.zeros((4, 1)), np.zeros(4), shuffle=True, seed=0)
    with pytest.raises(ValueError, match=r"expected the keys \['rng'\]"):
        loader.load_state_dict({})


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_the_history_of_a_run_is_saved_with_it(tmp_path, suffix):
    """`save({"model": ..., "history": history})` was refused ("'history' is a History; a
    checkpoint holds ..."), so the curves of a run were lost with the process."""
    from nn import History
    X, y = _moons()
    manual_seed(0)
    model = MLP(2, [8], 2)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.05), (X, y), epochs=3,
                  val_data=(X, y), early_stopping=1, progress=False, seed=0)
    path = tmp_path / f"run{suffix}"
    save({"model": model, "history": history}, path)
    again = History()
    again.load_state_dict(load(path)["history"])
    assert dict(again.items()) == dict(history.items()) and again.epochs == 3
    for name in ("steps", "best_epoch", "restored_epoch", "stopped_early", "seconds"):
        assert getattr(again, name) == getattr(history, name), name
    assert repr(again) == repr(history)
    with pytest.raises(ValueError, match=r"History.load_state_dict: expected the dict of "
                                         r"History.state_dict\(\), with the keys"):
        again.load_state_dict({"loss": [1.0]})
