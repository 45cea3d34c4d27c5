"""PyTorch's torch.stft and torch.istft: the short-time Fourier transform, differentiable with
respect to the signal (and the window), and its inverse by overlap-add.

    stft:  pad (center) -> frames every hop_length samples -> times the window -> rfft
    istft: irfft -> times the window -> overlap-add -> divided by Σ window² -> uncentred

>>> import numpy as np
>>> from autograd import Tensor, hann_window
>>> x = Tensor(np.sin(2 * np.pi * 1000 * np.arange(4000) / 8000))       # 1 kHz at 8 kHz
>>> S = stft(x, 256, hop_length=64, window=hann_window(256))
>>> S.shape, int(S.abs().mean(dim=1).argmax())                  # (bins, frames); bin 32
((129, 63), 32)
>>> y = istft(S, 256, hop_length=64, window=hann_window(256), length=4000)
>>> bool(np.allclose(y.data, x.data, atol=1e-5))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..functional.padding import PAD_MODES, pad
from ..graph import apply
from ..tensor import Tensor
from . import fft, ifft, irfft, rfft
from .complex_pair import ComplexTensor, as_complex
from .frames import Frames, FramesCtx, OverlapAdd


def _positive(value: Any, name: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def _window(window: Any, win_length: int, n_fft: int, like: Any, op: str) -> Any:
    """The window as a Tensor of length n_fft (centred in zeros when win_length < n_fft);
    ones when there is none (PyTorch's rectangular default)."""
    if win_length > n_fft:
        raise ValueError(f"{op}: win_length ({win_length}) must be at most n_fft ({n_fft})")
    if window is None:
        window = Tensor(np.ones(win_length, dtype=like.dtype))
    elif not isinstance(window, Tensor):
        window = Tensor(np.asarray(window))
    if window.shape != (win_length,):
        raise ValueError(f"{op}: expected a 1-d window of length win_length = {win_length}, "
                         f"got one of shape {window.shape} (pass win_length=, or a window of "
                         f"that length, e.g. hann_window({win_length}))")
    left = (n_fft - win_length) // 2
    if win_length < n_fft:
        window = pad(window, (left, n_fft - win_length - left))
    return window


def stft(input: Any, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Any = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = True) -> Any:
    """The STFT of a signal (L,) or a batch (B, L): (B?, n_fft//2 + 1, frames) complex, frame t
    starting at sample t·hop_length (after padding n_fft//2 on each side when `center`).
    hop_length defaults to n_fft // 4, win_length to n_fft; `normalized` divides by
    sqrt(n_fft); onesided=False keeps all n_fft bins; return_complex=False gives the real
    (..., 2) layout. A magnitude spectrogram is stft(...).abs()."""
    if isinstance(input, ComplexTensor):
        raise TypeError(f"stft: expected a real signal, got a complex one of shape "
                        f"{input.shape}; complex input is not supported here")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (1, 2):
        raise ValueError(f"stft: expected a signal (L,) or a batch of them (B, L), got shape "
                         f"{x.shape}")
    n_fft = _positive(n_fft, "n_fft", "stft")
    hop = n_fft // 4 if hop_length is None else _positive(hop_length, "hop_length", "stft")
    if hop == 0:
        raise ValueError(f"stft: n_fft = {n_fft} gives hop_length n_fft // 4 = 0; pass "
                         f"hop_length=")
    win_length = n_fft if win_length is None else _positive(win_length, "win_length", "stft")
    if pad_mode not in PAD_MODES:
        raise ValueError(f"stft: pad_mode must be one of {PAD_MODES}, got {pad_mode!r}")
    if center:
        half = n_fft // 2
        if pad_mode == "reflect" and half >= x.shape[-1]:
            raise ValueError(f"stft: center=True with pad_mode='reflect' pads n_fft // 2 = "
                             f"{half} samples on each side, which must be fewer than the "
                             f"signal's {x.shape[-1]} (shape {x.shape})")
        x = pad(x, (half, half), pad_mode)
    if n_fft > x.shape[-1]:
        raise ValueError(f"stft: n_fft ({n_fft}) is longer than the {'padded ' * center}"
                         f"signal ({x.shape[-1]} samples, input shape {input.shape})")
    w = _window(window, win_length, n_fft, x, "stft")
    frames = apply(Frames, (x,), FramesCtx(n_fft, hop, x.shape[-1])) * w
    norm = "ortho" if normalized else "backward"
    if onesided is None or onesided:
        spectrum = rfft(frames, dim=-1, norm=norm)
    else:
        spectrum = fft(frames, dim=-1, norm=norm)
    spectrum = spectrum.transpose(-1, -2)                     # (..., bins, frames)
    return spectrum if return_complex or return_complex is None else spectrum.ri


def istft(input: Any, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Any = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """The signal whose stft (same arguments) is `input` (B?, bins, frames): each frame's
    inverse rfft, windowed, overlap-added, and divided by the overlap-added squared window
    (which must be nonzero everywhere inside: the NOLA condition). `length` crops or pads
    the result to that many samples."""
    if return_complex:
        raise ValueError("istft: return_complex=True (a complex signal) is not supported here; "
                         "the inverse of a one-sided STFT is real")
    z = as_complex(input, "istft")
    if z.ndim not in (2, 3):
        raise ValueError(f"istft: expected a complex spectrogram (bins, frames) or a batch "
                         f"(B, bins, frames), got shape {z.shape}")
    n_fft = _positive(n_fft, "n_fft", "istft")
    hop = n_fft // 4 if hop_length is None else _positive(hop_length, "hop_length", "istft")
    win_length = n_fft if win_length is None else _positive(win_length, "win_length",
                                                               "istft")
    bins, count = z.shape[-2], z.shape[-1]
    if onesided is None:
        onesided = bins != n_fft
    if bins != (n_fft // 2 + 1 if onesided else n_fft):
        raise ValueError(f"istft: expected {n_fft // 2 + 1 if onesided else n_fft} frequency "
                         f"bins for n_fft = {n_fft} (onesided={onesided}), got {bins} (input "
                         f"shape {z.shape})")
    norm = "ortho" if normalized else "backward"
    spectra = z.transpose(-1, -2)                                   # (..., frames, bins)
    frames = irfft(spectra, n=n_fft, norm=norm) if onesided else \
        ifft(spectra, n=n_fft, norm=norm).real
    w = _window(window, win_length, n_fft, frames, "istft")
    full = n_fft + hop * (count - 1)
    ctx = FramesCtx(n_fft, hop, full)
    signal = apply(OverlapAdd, (frames * w,), ctx)
    envelope = apply(OverlapAdd, ((w * w) * Tensor(np.ones((count, 1), dtype=w.dtype)),), ctx)
    start = n_fft // 2 if center else 0
    end = full - (n_fft // 2 if center else 0) if length is None else start + length
    inside = envelope.data[start:min(end, full)]
    if inside.size and np.abs(inside).min() < 1e-11:
        raise ValueError(f"istft: the window's overlap-added square is 0 at some sample "
                         f"(n_fft {n_fft}, hop_length {hop}, win_length {win_length}): the "
                         f"window does not cover the signal (NOLA); use a smaller hop_length")
    y = signal[..., start:min(end, full)] / envelope[start:min(end, full)]
    if end > full:                                                  # length= beyond the end
        y = pad(y, (0, end - full))
    return y
