"""autograd.stft, istft and the windows: values and gradients against live PyTorch (skipped
without it), gradients against finite differences in float64, the stft/istft round trip, a
tone in its bin, and the errors (a window of the wrong length, n_fft too long, ...)."""

import numpy as np
import pytest

import autograd
from autograd import Tensor, blackman_window, gradcheck, gradgradcheck, hamming_window, \
    hann_window, istft, stft
from autograd.fft.frames import FramesCtx, frames_forward, overlap_add_forward
from autograd.functional.padding import pad

try:
    import torch
except ImportError:                                             # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")

CONFIGS = [
    dict(n_fft=32, hop_length=8),
    dict(n_fft=31, hop_length=5, win_length=20),
    dict(n_fft=16, center=False),
    dict(n_fft=24, hop_length=7, pad_mode="constant", normalized=True),
    dict(n_fft=16, hop_length=4, pad_mode="replicate", onesided=False),
    dict(n_fft=20, hop_length=6, pad_mode="circular"),
]


def signal(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def window_for(kw, dtype="float64"):
    return hann_window(kw.get("win_length", kw["n_fft"]), dtype=dtype)


# -- windows ------------------------------------------------------------------------------------

@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("length", [0, 1, 2, 7, 16])
def test_windows_are_the_cosine_sums(length, periodic):
    span = length if periodic else length - 1
    k = np.arange(length)
    phase = 2 * np.pi * k / max(span, 1)
    expected = {
        hann_window: 0.5 - 0.5 * np.cos(phase),
        hamming_window: 0.54 - 0.46 * np.cos(phase),
        blackman_window: 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase),
    }
    for make, values in expected.items():
        w = make(length, periodic=periodic, dtype="float64")
        np.testing.assert_allclose(w.data, values if length > 1 else np.ones(length),
                                   atol=1e-12)
        assert make(length).dtype == np.float32
        if torch is not None:
            theirs = getattr(torch, make.__name__)(length, periodic=periodic,
                                                   dtype=torch.float64)
            np.testing.assert_allclose(w.data, theirs.numpy(), atol=1e-12)


# -- framing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, hop, length", [(8, 3, 30), (8, 8, 33), (5, 7, 40), (4, 1, 9)])
def test_overlap_add_is_the_adjoint_of_framing(size, hop, length):
    ctx = FramesCtx(size, hop, length)
    x, g = signal((2, length)), signal((2, ctx.count, size), 1)
    frames = frames_forward(ctx, x)
    assert frames.shape == (2, ctx.count, size)
    np.testing.assert_allclose(frames[:, 1], x[:, hop:hop + size])
    np.testing.assert_allclose((frames * g).sum(), (x * overlap_add_forward(ctx, g)).sum())


@pytest.mark.parametrize("length", [2, 3, 8])
def test_centre_padding_is_numpys_reflect_up_to_the_longest(length):
    """stft's centre padding (F.pad's reflect), for every width it takes: up to length - 1,
    where the right-hand strip must stop before sample 0, not at "-1"."""
    x = signal((2, length))
    for half in range(length):
        np.testing.assert_array_equal(pad(Tensor(x), (half, half), "reflect").data,
                                      np.pad(x, ((0, 0), (half, half)), mode="reflect"))
    t = Tensor(x, requires_grad=True)
    assert gradcheck(lambda t: (pad(t, (length - 1, length - 1), "reflect")
                            * signal(3 * length - 2, 1)).sum(), t)


# -- values and round trips ---------------------------------------------------------------------

def test_a_tone_is_in_its_bin_in_every_frame():
    rate, n_fft = 8000, 200                                 # 40 Hz per bin
    x = Tensor(np.sin(2 * np.pi * 1200 * np.arange(rate // 4) / rate))
    magnitude = stft(x, n_fft, hop_length=50, window=hann_window(n_fft)).abs()
    assert magnitude.shape == (101, 1 + (rate // 4) // 50)
    assert set(magnitude.data.argmax(axis=0)[2:-2].tolist()) == {1200 // 40}


@pytest.mark.parametrize("kw", [c for c in CONFIGS if c.get("center", True)])
def test_istft_inverts_stft(kw):
    x = signal((3, 150), 2)
    args = {k: v for k, v in kw.items() if k != "pad_mode"}
    S = stft(Tensor(x), window=window_for(kw), **kw)
    np.testing.assert_allclose(istft(S, window=window_for(kw), length=150, **args).data, x,
                               atol=1e-10)


def test_return_complex_false_is_the_real_layout():
    x = Tensor(signal(100))
    S = stft(x, 16, window=hann_window(16, dtype="float64"))
    pairs = stft(x, 16, window=hann_window(16, dtype="float64"), return_complex=False)
    assert pairs.shape == S.shape + (2,)
    np.testing.assert_allclose(pairs.data, autograd.view_as_real(S).data)


# -- gradients ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", CONFIGS)
def test_spectral_loss_gradients(kw):
    """(S(x) - S(target)).abs().mean() and the magnitude spectrogram, w.r.t. the signal."""
    x = Tensor(signal((2, 60), 3), requires_grad=True)
    target = stft(Tensor(signal((2, 60), 4)), window=window_for(kw), **kw)
    assert gradcheck(lambda x: (stft(x, window=window_for(kw), **kw) - target).abs().mean(), x)
    w = signal(stft(x, window=window_for(kw), **kw).shape, 5)
    assert gradcheck(lambda x: (stft(x, window=window_for(kw), **kw).abs() * w).sum(), x)


def test_window_and_istft_gradients():
    x = Tensor(signal(40, 6), requires_grad=True)
    window = Tensor(np.hanning(18)[:16] + 0.1, requires_grad=True)
    assert gradcheck(lambda x, w: stft(x, 16, 4, window=w).abs().sum(), x, window)
    S = stft(Tensor(signal(40, 7)), 16, 4, window=hann_window(16, dtype="float64"))
    re, im = Tensor(S.real.data, requires_grad=True), Tensor(S.imag.data, requires_grad=True)
    w = signal(40, 8)
    assert gradcheck(lambda re, im, win: (istft(autograd.complex(re, im), 16, 4, window=win,
                                                length=40) * w).sum(), re, im, window)


def test_second_order():
    x = Tensor(signal(30, 9), requires_grad=True)
    assert gradgradcheck(lambda x: (stft(x, 8, 2, window=hann_window(8, dtype="float64"))
                                    .abs() ** 2).sum(), x)


# -- against PyTorch ----------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
@pytest.mark.parametrize("kw", CONFIGS)
def test_values_and_gradients_match_torch(kw, dtype, tol):
    x, target = signal((2, 90), 10, dtype), signal((2, 90), 11, dtype)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    win_length = kw.get("win_length", kw["n_fft"])
    ours_w = hann_window(win_length, dtype=dtype)
    theirs_w = torch.hann_window(win_length, dtype=torch_dtype)
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_S = stft(ours_x, window=ours_w, **kw)
    theirs_S = torch.stft(theirs_x, window=theirs_w, return_complex=True, **kw)
    scale = np.abs(theirs_S.detach().numpy()).max()
    np.testing.assert_allclose(ours_S.numpy(), theirs_S.detach().numpy(), atol=tol * scale)
    ours_loss = (ours_S - stft(Tensor(target), window=ours_w, **kw)).abs().mean()
    theirs_loss = (theirs_S - torch.stft(torch.tensor(target), window=theirs_w,
                                         return_complex=True, **kw)).abs().mean()
    np.testing.assert_allclose(ours_loss.item(), theirs_loss.item(), rtol=tol)
    ours_loss.backward()
    theirs_loss.backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=tol,
                               atol=tol * np.abs(theirs_x.grad.numpy()).max())
    if kw.get("center", True):
        args = {k: v for k, v in kw.items() if k != "pad_mode"}
        ours_y = istft(ours_S, window=ours_w, **args)
        theirs_y = torch.istft(theirs_S, window=theirs_w, **args)
        np.testing.assert_allclose(ours_y.data, theirs_y.detach().numpy(), atol=tol * 10)


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, words", [
    (lambda: stft(Tensor(np.ones(100)), 32, window=hann_window(30)), ValueError,
     "expected a 1-d window of length win_length = 32, got one of shape (30,)"),
    (lambda: stft(Tensor(np.ones(100)), 128, center=False), ValueError,
     "n_fft (128) is longer than the signal (100 samples"),
    (lambda: stft(Tensor(np.ones(40)), 128), ValueError, "must be fewer than the signal's 40"),
    (lambda: stft(Tensor(np.ones(100)), 32, win_length=40), ValueError,
     "win_length (40) must be at most n_fft (32)"),
    (lambda: stft(Tensor(np.ones((2, 3, 100))), 32), ValueError, "got shape (2, 3, 100)"),
    (lambda: stft(Tensor(np.ones(100)), 32, pad_mode="mirror"), ValueError, "pad_mode must be"),
    (lambda: stft(stft(Tensor(np.ones(100)), 16), 16), TypeError, "complex input is not"),
    (lambda: istft(stft(Tensor(np.ones(100)), 16), 32), ValueError,
     "expected 17 frequency bins for n_fft = 32"),
    (lambda: istft(stft(Tensor(np.ones(100)), 16, center=False, window=hann_window(16)), 16,
                   center=False, window=hann_window(16)), ValueError, "NOLA"),
    (lambda: hann_window(-1), ValueError, "window_length must be an int >= 0"),
])
def test_errors_name_the_op_and_what_was_expected(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
