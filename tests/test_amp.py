"""`torch.amp` after `import autograd as torch`: a ported training loop's GradScaler lines run
(the scaler is disabled: there is no float16 autocast to underflow gradients), and autocast
is refused when enabled, saying what to write."""

from __future__ import annotations

import warnings
from contextlib import nullcontext

import numpy as np
import pytest

import autograd as torch
import nn


def one_step(scaler) -> tuple[float, np.ndarray]:
    """A Linear's step through the scaler's lines, from fixed numbers."""
    model = nn.Linear(3, 2)
    model.load_state_dict({"weight": np.arange(6.0, dtype=np.float32).reshape(2, 3) / 10,
                           "bias": np.array([0.5, -0.5], np.float32)})
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    x = torch.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    loss = (model(x) ** 2).mean()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    return loss.item(), model.weight.data.copy()


def test_a_disabled_scaler_passes_the_loss_and_the_step_through():
    scaler = torch.amp.GradScaler(enabled=False)
    loss = torch.tensor([1.0, 2.0], requires_grad=True).sum()
    assert scaler.scale(loss) is loss and not scaler.is_enabled()
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    scaler.load_state_dict({"scale": 65536.0, "_growth_tracker": 0})   # a saved one resumes

    class Plain:                            # what a step without the scaler does
        def scale(self, loss): return loss
        def unscale_(self, optimizer): pass
        def step(self, optimizer): optimizer.step()
        def update(self): pass

    expected = one_step(Plain())
    got = one_step(scaler)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


def test_an_enabled_scaler_warns_that_it_is_disabled_as_pytorchs_without_a_gpu():
    """nanoGPT's `GradScaler(enabled=(dtype == 'float16'))` on a laptop, in both spellings."""
    for make in (torch.amp.GradScaler, torch.cuda.amp.GradScaler):
        with pytest.warns(UserWarning, match=r"GradScaler: glassgrad has no mixed precision.*"
                                             r"passes the loss and the step through"):
            scaler = make(enabled=True)
        assert not scaler.is_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert scaler.step(type("Opt", (), {"step": lambda self: "stepped"})()) == "stepped"


def test_autocast_is_refused_saying_to_leave_it_out_unless_disabled():
    with pytest.raises(RuntimeError, match=r"autocast\('cpu', dtype=float16\): glassgrad has no "
                                           r"mixed precision.*nullcontext\(\)"):
        torch.amp.autocast(device_type='cpu', dtype=torch.float16)
    with pytest.raises(RuntimeError, match="no mixed precision"):
        torch.autocast('cpu')
    with torch.autocast('cpu', enabled=False):
        y = torch.ones(2) * 2
    assert y.dtype == np.float32
    device_type = 'cpu'                     # nanoGPT's own line, as written
    ctx = nullcontext() if device_type == 'cpu' else torch.amp.autocast(device_type=device_type)
    with ctx:
        pass


def test_torch_accelerator_has_no_amp():
    with pytest.raises(AttributeError, match="no GPU here"):
        torch.accelerator.amp


def test_torch_cpu_amp_takes_its_older_signatures():
    """A CPU course's `torch.cpu.amp.autocast(enabled=use_amp)` (enabled first, bfloat16 by
    default) and `torch.cpu.amp.GradScaler(enabled=...)` (no device argument): a no-op context
    when disabled, refused when enabled, the scaler the one above."""
    for ctx in (torch.cpu.amp.autocast(enabled=False), torch.cpu.amp.autocast(False)):
        with ctx:
            y = torch.ones(2) * 2
        assert y.dtype == np.float32
    with pytest.raises(RuntimeError, match=r"autocast\('cpu', dtype=bfloat16\): glassgrad has "
                                           r"no mixed precision.*enabled=False"):
        torch.cpu.amp.autocast()
    scaler = torch.cpu.amp.GradScaler(2.0 ** 10, enabled=False)
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    got, expected = one_step(scaler), one_step(torch.amp.GradScaler(enabled=False))
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
    with pytest.warns(UserWarning, match="GradScaler: glassgrad has no mixed precision"):
        torch.cpu.amp.GradScaler()
