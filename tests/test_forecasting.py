"""A user trial: time-series forecasting written as a forecasting course writes it in PyTorch,
with glassgrad's names (`import autograd as torch`, `nn`, `nn.functional as F`, `nn.optim as
optim`, `nn.data`).

Data made here with fixed seeds: a noisy seasonal series with a trend, an AR(2) process and
three channels with lagged cross-dependence. Sliding windows by `x.unfold(0, size, step)` and
by numpy's sliding_window_view, a `Dataset` of (window, target) pairs, a chronological split,
per-channel standardisation fitted on the training part and undone on the predictions. Models:
a linear AR baseline, an MLP, a causal dilated TCN (`F.pad(x, (k - 1) * d, 0)`, residual
blocks), LSTM and GRU encoders with a linear head, a seq2seq decoder of cells with teacher
forcing, an autoregressive rollout under `no_grad()`, quantile and Gaussian heads; trained
with clipping, ReduceLROnPlateau and early stopping that restores the best `state_dict()`.
They beat the naive and seasonal-naive forecasts on held-out data; the quantile intervals
cover about their nominal share. Gradients are checked against central differences in
float64, and against live PyTorch from the same weights where torch is installed; everything
else runs and asserts without it."""

from __future__ import annotations

import copy
import inspect
import sys
import types

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import gradcheck, gradcheck_parameters
from nn.data import DataLoader, Dataset
from second_order_helpers import check_hessian_vector_products
from torch_helpers import needs_torch, same_as_torch
from torch_helpers import torch as real_torch

WINDOW, HORIZON, PERIOD = 24, 6, 12


def seasonal_series(n: int = 900, seed: int = 0) -> np.ndarray:
    """Two sines (periods 12 and 60), a trend and noise 0.2: float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = (2 * np.sin(2 * np.pi * t / PERIOD) + 0.7 * np.sin(2 * np.pi * t / 60 + 0.3) + 0.004 * t
         + 0.2 * rng.standard_normal(n))
    return y.astype(np.float32)


def ar2_series(n: int = 900, seed: int = 1) -> np.ndarray:
    """y_t = 1.5 y_{t-1} - 0.75 y_{t-2} + e_t, e ~ N(0, 0.5²): a damped oscillation."""
    rng = np.random.default_rng(seed)
    e, y = 0.5 * rng.standard_normal(n), np.zeros(n)
    for i in range(2, n):
        y[i] = 1.5 * y[i - 1] - 0.75 * y[i - 2] + e[i]
    return y.astype(np.float32)


def three_channels(n: int = 900, seed: int = 2) -> np.ndarray:
    """(n, 3): channel 0 a driven AR(1), 1 follows 0 three steps late, 2 follows 0 and 1."""
    rng = np.random.default_rng(seed)
    z, x = 0.3 * rng.standard_normal((n, 3)), np.zeros((n, 3))
    for i in range(3, n):
        x[i, 0] = 0.7 * x[i - 1, 0] + np.sin(2 * np.pi * i / 25) + z[i, 0]
        x[i, 1] = 0.5 * x[i - 1, 1] + 0.6 * x[i - 3, 0] + z[i, 1]
        x[i, 2] = 0.4 * x[i - 1, 2] - 0.5 * x[i - 2, 1] + 0.3 * x[i - 1, 0] + z[i, 2]
    return x.astype(np.float32)


def chronological(x, train: float = 0.7, val: float = 0.15) -> tuple:
    """Train, validation and test parts in time order (no shuffling across time)."""
    a, b = int(train * len(x)), int((train + val) * len(x))
    return x[:a], x[a:b], x[b:]


class Windows(Dataset):
    """(window, target): `window` steps of the series, then the `horizon` after them."""

    def __init__(self, series, window: int, horizon: int) -> None:
        self.series, self.window, self.horizon = series, window, horizon

    def __len__(self) -> int:
        return len(self.series) - self.window - self.horizon + 1

    def __getitem__(self, i: int):
        cut = i + self.window
        return self.series[i:cut], self.series[cut:cut + self.horizon]


def pairs(series, window: int = WINDOW, horizon: int = HORIZON) -> tuple:
    """Every (window, target) pair at once by unfold: (N, window, ...) and (N, horizon, ...)."""
    w = series.unfold(0, window + horizon, 1)            # (N, [C,] window + horizon)
    if w.ndim == 3:
        w = w.permute(0, 2, 1)                           # (N, steps, C)
    return w[:, :window], w[:, window:]


class Scaler:
    """Per-channel standardisation fitted on the training part only."""

    def __init__(self, train) -> None:
        self.mean = train.mean(dim=0, keepdim=True)
        self.std = train.std(dim=0, keepdim=True, unbiased=False)

    def __call__(self, x):
        return (x - self.mean) / self.std

    def inverse(self, x):
        return x * self.std + self.mean


# -- the models, as a course writes them ---------------------------------------------------------

class MLPForecaster(nn.Module):
    def __init__(self, window: int, horizon: int, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(window, hidden), nn.ReLU(), nn.Linear(hidden, horizon))

    def forward(self, x):
        return self.net(x)


class CausalBlock(nn.Module):
    """Two dilated causal convolutions (left padding only) and a residual connection."""

    def __init__(self, channels: int, k: int, dilation: int) -> None:
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv1 = nn.Conv1d(channels, channels, k, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, k, dilation=dilation)

    def forward(self, x):
        h = F.relu(self.conv1(F.pad(x, (self.pad, 0))))
        return F.relu(self.conv2(F.pad(h, (self.pad, 0))) + x)


class TCN(nn.Module):
    def __init__(self, channels_in: int, channels: int, outputs: int, k: int = 3) -> None:
        super().__init__()
        self.inp = nn.Conv1d(channels_in, channels, 1)
        self.blocks = nn.Sequential(*[CausalBlock(channels, k, d) for d in (1, 2, 4)])
        self.head = nn.Linear(channels, outputs)

    def forward(self, x):                                # x (B, T, C)
        h = self.blocks(self.inp(x.transpose(1, 2)))
        return self.head(h[:, :, -1])


class RecurrentForecaster(nn.Module):
    def __init__(self, channels_in: int, hidden: int, outputs: int, cell: str = "lstm") -> None:
        super().__init__()
        self.cell = cell
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(channels_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        out, state = self.rnn(x)
        h_n = state[0] if self.cell == "lstm" else state
        return self.head(h_n[-1])


class Seq2Seq(nn.Module):
    """An encoder over the window, then a decoder cell looped over the horizon, fed its own
    prediction or (teacher forcing) the true value."""

    def __init__(self, channels: int, hidden: int, horizon: int, cell: str = "lstm") -> None:
        super().__init__()
        self.cell, self.horizon = cell, horizon
        if cell == "lstm":
            self.enc, self.dec = nn.LSTM(channels, hidden, batch_first=True), \
                nn.LSTMCell(channels, hidden)
        else:
            self.enc, self.dec = nn.GRU(channels, hidden, batch_first=True), \
                nn.GRUCell(channels, hidden)
        self.out = nn.Linear(hidden, channels)

    def forward(self, x, target=None):
        _, state = self.enc(x)
        h = state[0][-1] if self.cell == "lstm" else state[-1]
        c = state[1][-1] if self.cell == "lstm" else None
        inp, preds = x[:, -1, :], []
        for t in range(self.horizon):
            if self.cell == "lstm":
                h, c = self.dec(inp, (h, c))
            else:
                h = self.dec(inp, h)
            y = self.out(h)
            preds.append(y)
            inp = target[:, t, :] if target is not None else y
        return torch.stack(preds, dim=1)


class QuantileHead(nn.Module):
    def __init__(self, window: int, horizon: int, quantiles: list, hidden: int = 32) -> None:
        super().__init__()
        self.horizon, self.q = horizon, len(quantiles)
        self.net = nn.Sequential(nn.Linear(window, hidden), nn.ReLU(),
                                 nn.Linear(hidden, horizon * self.q))

    def forward(self, x):
        return self.net(x).view(-1, self.horizon, self.q)


class GaussianHead(nn.Module):
    def __init__(self, window: int, horizon: int, hidden: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(window, hidden), nn.ReLU())
        self.mu, self.scale = nn.Linear(hidden, horizon), nn.Linear(hidden, horizon)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), F.softplus(self.scale(h)) + 1e-4


def pinball(pred, y, quantiles):
    """The quantile loss of several quantiles at once: pred (..., Q), y (...)."""
    q = torch.tensor(quantiles, dtype=pred.dtype)
    e = y.unsqueeze(-1) - pred
    return torch.max((q - 1) * e, q * e).mean()


def smape(pred, y, eps: float = 1e-8):
    return (2 * (pred - y).abs() / (pred.abs() + y.abs() + eps)).mean() * 100


def mape(pred, y, eps: float = 1e-8):
    return ((pred - y).abs() / (y.abs() + eps)).mean() * 100


def rollout(model, x, steps: int):
    """A one-step model run forward `steps` times, each prediction fed back in."""
    preds = []
    with torch.no_grad():
        for _ in range(steps):
            pred = model(x)[:, 0]
            preds.append(pred)
            x = torch.cat([x[:, 1:], pred.unsqueeze(1)], dim=1)
    return torch.stack(preds, dim=1)


def train(model, loader, val, loss_fn, epochs: int, lr: float = 3e-3, patience: int = 4,
          forward=None) -> dict:
    """Adam, clip_grad_norm_, ReduceLROnPlateau on the validation loss, early stopping that
    keeps the best state_dict and puts it back."""
    forward = forward or (lambda m, xb, yb: m(xb))
    opt = optim.Adam(model.parameters(), lr=lr)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
    best, best_state, bad, norms, history = float("inf"), None, 0, [], []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(forward(model, xb, yb), yb)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
            opt.step()
        model.eval()
        with torch.no_grad():
            v = loss_fn(model(val[0]), val[1]).item()
        plateau.step(v)
        history.append(v)
        if v < best:
            best, best_state, bad = v, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best_state)
    return {"best": best, "history": history, "norms": norms, "lr": opt.param_groups[0]["lr"]}


def univariate(series: np.ndarray, horizon: int = HORIZON) -> dict:
    """The series split in time, scaled by the training part, as loaders and unfolded pairs."""
    tr, va, te = chronological(torch.tensor(series))
    scale = Scaler(tr)
    return {"scale": scale, "test_raw": te,
            "loader": DataLoader(Windows(scale(tr), WINDOW, horizon), batch_size=64, shuffle=True),
            "val": pairs(scale(va), WINDOW, horizon), "test": pairs(scale(te), WINDOW, horizon)}


def mae(a, b) -> float:
    return (a - b).abs().mean().item()


# -- windows and data ----------------------------------------------------------------------------

def test_unfold_gives_numpys_sliding_windows_in_pytorchs_layout():
    series, multi = seasonal_series(), three_channels()
    x = torch.tensor(series)
    np.testing.assert_array_equal(x.unfold(0, 30, 1).numpy(),
                                  np.lib.stride_tricks.sliding_window_view(series, 30))
    np.testing.assert_array_equal(x.unfold(0, 30, 7).numpy(),
                                  np.lib.stride_tricks.sliding_window_view(series, 30)[::7])
    w = torch.tensor(multi).unfold(0, 10, 4)             # (T, C): (windows, C, size)
    assert w.shape == ((len(multi) - 10) // 4 + 1, 3, 10)
    np.testing.assert_array_equal(w[5].numpy(), multi[20:30].T)
    assert torch.diff(x)[:3].tolist() == np.diff(series)[:3].tolist()


def test_unfold_refuses_what_pytorch_refuses_and_its_windows_are_read_only():
    x = torch.arange(10.0)
    with pytest.raises(ValueError, match="size 11 does not fit in dim 0 of length 10"):
        x.unfold(0, 11, 1)
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        x.unfold(0, 3, 0)
    w = x.unfold(0, 3, 1)
    with pytest.raises(ValueError, match="read-only: a result of expand, broadcast_to or unfold"):
        w[0] = 1.0
    w -= 1.0                                 # new numbers, as for expand's: x is left alone
    assert x.tolist() == list(np.arange(10.0)) and w[0].tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("size, step", [(4, 1), (4, 3), (3, 5), (7, 2)])
def test_unfold_gradient_with_overlapping_windows_against_central_differences(size, step):
    rng = np.random.default_rng(size * 10 + step)
    x = torch.tensor(rng.normal(size=(13, 2)), requires_grad=True)
    weights = torch.tensor(rng.normal(size=((13 - size) // step + 1, 2, size)))
    assert gradcheck(lambda x: (x.unfold(0, size, step) * weights).tanh(), x)
    assert gradcheck(lambda x: x.unfold(1, 2, 1).sin(), torch.tensor(rng.normal(size=(3, 5)),
                                                                     requires_grad=True))
    # the second pass: Windows' gradient (window_sum) and its gradient (Windows) as ops
    check_hessian_vector_products(lambda x: (x.unfold(0, size, step) ** 3).sin(),
                                  [rng.normal(size=(13, 2))], rng)


def test_unfold_at_its_edges_one_window_none_wide_a_transposed_input_and_float32():
    """size == length (one window), size 0 (length + 1 empty windows, as PyTorch's), a negative
    dim of a transposed (non-contiguous) input, and a float32 gradient's dtype."""
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.normal(size=(6, 2)), requires_grad=True)
    assert x.unfold(0, 6, 4).shape == (1, 2, 6) and x.unfold(0, 0, 1).shape == (7, 2, 0)
    assert gradcheck(lambda x: (x.unfold(0, 6, 4) ** 2).sin(), x)
    (x.unfold(0, 0, 2) * 1.0).sum().backward()
    assert x.grad.tolist() == np.zeros((6, 2)).tolist()
    t = torch.tensor(rng.normal(size=(3, 7)), requires_grad=True)
    assert gradcheck(lambda t: (t.T.unfold(-2, 3, 2) ** 3).sin(), t)
    check_hessian_vector_products(lambda t: (t.T.unfold(-2, 2, 3) ** 3).sin(),
                                  [rng.normal(size=(3, 7))], rng)
    f = torch.tensor(np.arange(7, dtype=np.float32), requires_grad=True)
    w = f.unfold(0, 3, 2)
    assert w.dtype == np.float32
    w.sum().backward()
    assert f.grad.dtype == np.float32 and f.grad.tolist() == [1, 1, 2, 1, 2, 1, 1]


def test_diff_differences_of_neighbours_with_their_gradient():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 7))
    x = torch.tensor(a)
    np.testing.assert_allclose(x.diff().numpy(), np.diff(a))
    np.testing.assert_allclose(torch.diff(x, n=2, dim=0).numpy(), np.diff(a, n=2, axis=0))
    np.testing.assert_allclose(x.diff(prepend=x[:, :1], append=x[:, -1:] * 2).numpy(),
                               np.diff(a, prepend=a[:, :1], append=a[:, -1:] * 2))
    assert x.diff(n=9).shape == (4, 0) and x.diff(n=0).tolist() == a.tolist()
    assert torch.diff(torch.tensor([True, False, False])).tolist() == [True, False]
    head = torch.tensor(rng.normal(size=(4, 2)), requires_grad=True)
    assert gradcheck(lambda x, head: (x.diff(n=2, prepend=head) ** 2),
                     torch.tensor(a, requires_grad=True), head)
    with pytest.raises(ValueError, match=r"prepend must have the input's shape \(4, 7\) "
                                         r"except along dim -1, got shape \(\)"):
        x.diff(prepend=torch.tensor(0.0))
    with pytest.raises(ValueError, match="n must be 0 or more, got -1"):
        x.diff(n=-1)


def test_diff_names_a_prepend_of_the_wrong_shape_and_n_0_is_a_new_tensor():
    """A prepend that differs off the differencing dim is diff's mistake, said in diff's
    terms (it was concatenate's error, naming axis 1 for dim=-1); n=0 gives a new tensor,
    as PyTorch's, so that writing into it leaves x alone (it was x itself)."""
    x = torch.tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match=r"^diff: prepend must have the input's shape \(3, 4\) "
                                         r"except along dim -1, got shape \(2, 1\)"):
        x.diff(prepend=torch.zeros(2, 1))
    with pytest.raises(ValueError, match=r"^diff: append must have the input's shape \(3, 4\) "
                                         r"except along dim 0, got shape \(1, 3\)"):
        x.diff(dim=0, append=torch.zeros(1, 3))
    same = x.diff(n=0)
    same += 1.0
    assert same is not x and x.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    w = torch.tensor(np.ones(3), requires_grad=True)
    (w.diff(n=0) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0, 3.0]


def test_dataset_split_and_scaling_fitted_on_the_training_part_only():
    multi = torch.tensor(three_channels())
    tr, va, te = chronological(multi)
    assert len(tr) + len(va) + len(te) == len(multi)
    np.testing.assert_array_equal(te.numpy(), three_channels()[len(tr) + len(va):])
    scale = Scaler(tr)
    assert scale.mean.shape == scale.std.shape == (1, 3)
    z = scale(tr).numpy()
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-5)
    assert np.abs(scale(te).numpy().mean(0)).max() > 1e-3     # not refitted on the test part
    np.testing.assert_allclose(scale.inverse(scale(te)).numpy(), te.numpy(), atol=1e-5)
    data = Windows(scale(tr), WINDOW, HORIZON)
    xb, yb = next(iter(DataLoader(data, batch_size=16, shuffle=False)))
    assert xb.shape == (16, WINDOW, 3) and yb.shape == (16, HORIZON, 3)
    ux, uy = pairs(scale(tr))
    assert len(ux) == len(data)
    np.testing.assert_array_equal(ux[:16].numpy(), xb.numpy())
    np.testing.assert_array_equal(uy[:16].numpy(), yb.numpy())
    # numpy's windows through a Dataset of arrays: the same batches
    view = np.lib.stride_tricks.sliding_window_view(scale(tr).numpy(), WINDOW + HORIZON, axis=0)
    assert np.array_equal(view[3].T[:WINDOW], data[3][0].numpy())


# -- models against the naive forecasts ----------------------------------------------------------

def test_linear_and_mlp_beat_the_naive_and_seasonal_naive_forecasts():
    torch.manual_seed(0)
    d = univariate(seasonal_series())
    tx, ty = d["test"]
    naive, seasonal = mae(tx[:, -1:], ty), mae(tx[:, -PERIOD:-PERIOD + HORIZON], ty)
    for model in (nn.Linear(WINDOW, HORIZON), MLPForecaster(WINDOW, HORIZON)):
        run = train(model, d["loader"], d["val"], F.mse_loss, epochs=30)
        with torch.no_grad():
            pred = model(tx)
        assert mae(pred, ty) < 0.8 * seasonal < 0.8 * naive, (mae(pred, ty), seasonal, naive)
        assert run["best"] == min(run["history"])
        # the inverse transform: errors in the series' own units
        scale = d["scale"]
        raw = scale.inverse(pred)
        assert abs(mae(raw, scale.inverse(ty)) - mae(pred, ty) * scale.std.item()) < 1e-4
        assert smape(raw, scale.inverse(ty)).item() < 20
        assert mape(raw, scale.inverse(ty)).isfinite().item()
    torch.manual_seed(0)
    d = univariate(ar2_series())
    model = MLPForecaster(WINDOW, HORIZON)
    train(model, d["loader"], d["val"], F.huber_loss, epochs=20)
    tx, ty = d["test"]
    with torch.no_grad():
        assert mae(model(tx), ty) < 0.85 * mae(tx[:, -1:], ty)


def test_early_stopping_restores_the_best_state_and_the_plateau_lowers_the_rate():
    torch.manual_seed(1)
    d = univariate(seasonal_series())
    model = nn.Linear(WINDOW, HORIZON)
    run = train(model, d["loader"], d["val"], F.mse_loss, epochs=40, lr=0.05, patience=3)
    with torch.no_grad():
        restored = F.mse_loss(model(d["val"][0]), d["val"][1]).item()
    assert restored == pytest.approx(run["best"], rel=1e-6)
    assert run["lr"] < 0.05                     # the plateau halved it at least once
    assert max(run["norms"]) > 0
    snapshot = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        model.weight.add_(1.0)
    model.load_state_dict(snapshot)
    np.testing.assert_array_equal(model.weight.detach().numpy(), snapshot["weight"].numpy())


@pytest.mark.parametrize("kind", ["tcn", "lstm", "gru"])
def test_multichannel_models_beat_the_naive_forecast(kind):
    torch.manual_seed(2)
    tr, va, te = chronological(torch.tensor(three_channels()))
    scale = Scaler(tr)
    loader = DataLoader(Windows(scale(tr), WINDOW, HORIZON), batch_size=64, shuffle=True)
    (vx, vy), (tx, ty) = pairs(scale(va)), pairs(scale(te))
    model = {"tcn": lambda: TCN(3, 8, HORIZON * 3),
             "lstm": lambda: RecurrentForecaster(3, 16, HORIZON * 3, "lstm"),
             "gru": lambda: RecurrentForecaster(3, 16, HORIZON * 3, "gru")}[kind]()

    def loss(p, y):
        return F.mse_loss(p.view(-1, HORIZON, 3), y)
    train(model, loader, (vx, vy), loss, epochs=6, lr=1e-2)
    with torch.no_grad():
        pred = model(tx).view(-1, HORIZON, 3)
    assert mae(pred, ty) < 0.6 * mae(tx[:, -1:, :], ty)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_seq2seq_with_teacher_forcing_learns(cell):
    torch.manual_seed(3)
    tr, va, te = chronological(torch.tensor(three_channels()))
    scale = Scaler(tr)
    loader = DataLoader(Windows(scale(tr), WINDOW, HORIZON), batch_size=64, shuffle=True)
    (vx, vy), (tx, ty) = pairs(scale(va)), pairs(scale(te))
    model = Seq2Seq(3, 16, HORIZON, cell)
    train(model, loader, (vx, vy), F.mse_loss, epochs=5, lr=1e-2,
          forward=lambda m, xb, yb: m(xb, yb))          # teacher forcing in training
    with torch.no_grad():
        free = model(tx)                                # its own predictions fed back
        forced = model(tx, ty)
    assert mae(free, ty) < 0.7 * mae(tx[:, -1:, :], ty)
    assert mae(forced, ty) < mae(free, ty)              # the truth fed in helps


def test_rollout_equals_stepping_the_model_by_hand():
    torch.manual_seed(4)
    d = univariate(seasonal_series(), horizon=1)
    model = MLPForecaster(WINDOW, 1)
    train(model, d["loader"], d["val"], F.mse_loss, epochs=10)
    tx = d["test"][0][:20]
    rolled = rollout(model, tx, HORIZON)
    assert rolled.shape == (20, HORIZON) and not rolled.requires_grad
    window, by_hand = tx.numpy().copy(), []
    for _ in range(HORIZON):
        (w1, b1), (w2, b2) = ((layer.weight.detach().numpy(), layer.bias.detach().numpy())
                              for layer in (model.net[0], model.net[2]))
        step = np.maximum(window @ w1.T + b1, 0) @ w2.T + b2
        by_hand.append(step[:, 0])
        window = np.concatenate([window[:, 1:], step], axis=1)
    np.testing.assert_allclose(rolled.numpy(), np.stack(by_hand, 1), rtol=1e-5, atol=1e-5)
    _, ty = pairs(d["scale"](d["test_raw"]), WINDOW, HORIZON)
    assert mae(rollout(model, d["test"][0][:len(ty)], HORIZON), ty) < 0.8 * mae(
        d["test"][0][:len(ty), -1:], ty)


def test_rollout_gradient_through_cat_against_central_differences():
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=(1, 6)) * 0.4, rng.normal(size=(1,))

    def rolled(x, w, b):                # the rollout with the graph kept (no no_grad)
        preds = []
        for _ in range(4):
            pred = (x @ w.T + b).tanh()[:, 0]
            preds.append(pred)
            x = torch.cat([x[:, 1:], pred.unsqueeze(1)], dim=1)
        return torch.stack(preds, dim=1)
    assert gradcheck(rolled, *(torch.tensor(a, requires_grad=True)
                               for a in (rng.normal(size=(3, 6)), w, b)))


# -- losses, heads and intervals -------------------------------------------------------------

QUANTILES = [0.1, 0.5, 0.9]


def test_pinball_loss_its_gradient_and_its_value_at_zero_error():
    rng = np.random.default_rng(6)
    pred = torch.tensor(rng.normal(size=(5, 4, 3)), requires_grad=True)
    y = torch.tensor(rng.normal(size=(5, 4)))
    assert gradcheck(lambda p: pinball(p, y, QUANTILES), pred)
    e = (y.unsqueeze(-1) - pred).detach().numpy()
    q = np.array(QUANTILES)
    assert pinball(pred, y, QUANTILES).item() == pytest.approx(
        np.maximum((q - 1) * e, q * e).mean())
    # e = 0: torch.max of two equal tensors splits the gradient, (q - 1 + q) / 2 each
    zero = torch.zeros((1, 1, 3), dtype=np.float64, requires_grad=True)
    loss = pinball(zero, torch.zeros((1, 1), dtype=np.float64), QUANTILES)
    loss.backward()
    assert loss.item() == 0
    np.testing.assert_allclose(zero.grad.reshape(-1), -(q - 0.5) / 3)
    a = torch.tensor([1.0, 2.0, -1.0], requires_grad=True)
    b = torch.tensor([1.0, 0.0, 0.0], requires_grad=True)
    torch.max(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0] and b.grad.tolist() == [0.5, 0.0, 1.0]


def test_softplus_and_the_gaussian_likelihood_at_the_extremes():
    x = torch.tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0], dtype=np.float64, requires_grad=True)
    out = F.softplus(x)
    out.sum().backward()
    assert np.isfinite(out.numpy()).all() and out[0].item() == 0 and out[4].item() == 1000
    np.testing.assert_allclose(x.grad, np.exp(-np.logaddexp(0, -x.numpy())))   # σ(x)
    assert gradcheck(F.softplus, torch.tensor([-3.0, -0.5, 0.7, 19.5, 20.5], dtype=np.float64,
                                              requires_grad=True))
    rng = np.random.default_rng(7)
    mu, raw = (torch.tensor(rng.normal(size=(6, 3)), requires_grad=True) for _ in range(2))
    y = torch.tensor(rng.normal(size=(6, 3)))
    assert gradcheck(lambda mu, raw: F.gaussian_nll_loss(mu, y, F.softplus(raw) ** 2), mu, raw)
    var = F.softplus(raw).detach() ** 2
    expected = 0.5 * (np.log(var.numpy()) + (mu.detach().numpy() - y.numpy()) ** 2 / var.numpy())
    assert F.gaussian_nll_loss(mu, y, var).item() == pytest.approx(expected.mean())
    assert smape(torch.zeros(3), torch.zeros(3)).item() == 0      # eps: no 0 / 0
    assert mape(torch.ones(3), torch.zeros(3)).isfinite().item()


def test_quantile_and_gaussian_heads_cover_about_their_nominal_share():
    torch.manual_seed(8)
    d = univariate(ar2_series())
    tx, ty = d["test"]
    heads = QuantileHead(WINDOW, HORIZON, QUANTILES)
    train(heads, d["loader"], d["val"], lambda p, y: pinball(p, y, QUANTILES), epochs=25)
    with torch.no_grad():
        q = heads(tx)
    inside = ((ty >= q[..., 0]) & (ty <= q[..., 2])).float().mean().item()
    below_median = (ty < q[..., 1]).float().mean().item()
    assert 0.6 < inside < 0.95 and 0.35 < below_median < 0.65, (inside, below_median)
    gauss = GaussianHead(WINDOW, HORIZON)
    train(gauss, d["loader"], d["val"], lambda out, y: F.gaussian_nll_loss(out[0], y, out[1] ** 2),
          epochs=25)
    with torch.no_grad():
        mu, sigma = gauss(tx)
    inside = ((ty - mu).abs() <= 1.2816 * sigma).float().mean().item()    # the 80 % interval
    assert 0.6 < inside < 0.95, inside
    assert mae(mu, ty) < 0.85 * mae(tx[:, -1:], ty)


# -- gradients of the convolutions a TCN relies on ---------------------------------------------

def test_causal_padding_and_dilated_conv1d_against_central_differences():
    rng = np.random.default_rng(9)
    x = torch.tensor(rng.normal(size=(2, 3, 9)), requires_grad=True)
    w = torch.tensor(rng.normal(size=(4, 3, 3)), requires_grad=True)
    b = torch.tensor(rng.normal(size=(4,)), requires_grad=True)
    for d in (1, 2, 4):
        y = F.conv1d(F.pad(x, ((3 - 1) * d, 0)), w, b, dilation=d)
        assert y.shape == (2, 4, 9)
        assert gradcheck(lambda x, w, b: F.conv1d(F.pad(x, (2 * d, 0)), w, b, dilation=d).tanh(),
                         x, w, b)
    # causal: an output step does not depend on later input steps
    x.grad = None
    F.conv1d(F.pad(x, (8, 0)), w, b, dilation=4)[:, :, 4].sum().backward()
    assert np.abs(x.grad[:, :, 5:]).max() == 0 and np.abs(x.grad[:, :, :5]).max() > 0
    torch.manual_seed(10)
    block = CausalBlock(3, 3, 2).double()
    xb = torch.tensor(rng.normal(size=(2, 3, 10)))
    assert gradcheck_parameters(lambda: block(xb).pow(2).sum(), block.named_parameters())


# -- against live PyTorch from the same weights ----------------------------------------------

@needs_torch
def test_unfold_and_diff_match_pytorch():
    rng = np.random.default_rng(11)
    for size, step in ((5, 1), (5, 3), (2, 7)):
        same_as_torch(lambda x: x.unfold(0, size, step) * 2, rng.normal(size=(17, 2)), rng=rng)
        same_as_torch(lambda x: x.unfold(-1, size, step), rng.normal(size=(2, 17)), rng=rng)
    same_as_torch(lambda x, p: torch.diff(x, n=2, dim=0, prepend=p), rng.normal(size=(6, 3)),
                  rng.normal(size=(2, 3)), rng=rng,
                  torch_f=lambda x, p: real_torch.diff(x, n=2, dim=0, prepend=p))


def _torch_twin(source: type) -> types.ModuleType:
    """The same class in PyTorch: its source (and CausalBlock's) run with torch's names."""
    module = types.ModuleType("twin")
    module.__dict__.update(torch=real_torch, nn=real_torch.nn, F=real_torch.nn.functional)
    for cls in (CausalBlock, source):
        exec(inspect.getsource(cls), module.__dict__)
    return module


@needs_torch
@pytest.mark.parametrize("name, build, shape", [
    ("TCN", lambda L: L.TCN(3, 4, 5), (2, 10, 3)),
    ("RecurrentForecaster", lambda L: L.RecurrentForecaster(3, 6, 5, "lstm"), (2, 10, 3)),
    ("RecurrentForecaster", lambda L: L.RecurrentForecaster(3, 6, 5, "gru"), (2, 10, 3)),
    ("Seq2Seq", lambda L: L.Seq2Seq(3, 6, 4, "lstm"), (2, 10, 3)),
    ("Seq2Seq", lambda L: L.Seq2Seq(3, 6, 4, "gru"), (2, 10, 3)),
])
def test_models_match_pytorch_from_the_same_weights(name, build, shape):
    here = sys.modules[__name__]
    twin = _torch_twin(getattr(here, name))
    theirs = build(twin).double()
    ours = build(here).double()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(12)
    x = rng.normal(size=shape)
    xo, xt = torch.tensor(x, requires_grad=True), real_torch.tensor(x, requires_grad=True)
    out_o, out_t = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    upstream = rng.normal(size=out_o.shape)
    out_o.backward(upstream)
    out_t.backward(real_torch.tensor(upstream))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), atol=1e-12)
    grads = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[key].grad.numpy(), atol=1e-12, err_msg=key)


@needs_torch
def test_pinball_max_ties_and_gaussian_nll_match_pytorch():
    rng = np.random.default_rng(13)
    q = torch.tensor(QUANTILES, dtype=np.float64)
    qt = real_torch.tensor(QUANTILES, dtype=real_torch.float64)
    e = np.round(rng.normal(size=(4, 3)), 0)                 # many exact zeros: ties
    same_as_torch(lambda e: torch.max((q - 1) * e, q * e), e, rng=rng,
                  torch_f=lambda e: real_torch.max((qt - 1) * e, qt * e))
    same_as_torch(lambda m, s: F.gaussian_nll_loss(m, m.detach() * 0 + 1, F.softplus(s) ** 2),
                  rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 500, rng=rng,
                  torch_f=lambda m, s: real_torch.nn.functional.gaussian_nll_loss(
                      m, m.detach() * 0 + 1, real_torch.nn.functional.softplus(s) ** 2))
