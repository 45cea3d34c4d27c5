"""PyTorch's window functions: hann_window, hamming_window, blackman_window. A "periodic"
window (the default, for spectral analysis: the STFT) is the symmetric window one sample
longer with its last sample dropped, so that overlapping copies add up evenly.

>>> hann_window(4).tolist()
[0.0, 0.5, 1.0, 0.5]
>>> hann_window(5, periodic=False).tolist()
[0.0, 0.5, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, get_default_dtype


def _cosine_sum(name: str, coefficients: tuple, window_length: int, periodic: bool,
                dtype: Any, requires_grad: bool) -> Tensor:
    """Σ_j (-1)^j a_j cos(2π j k / N), k < window_length, N = window_length (periodic) or
    window_length - 1 (symmetric)."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)) \
            or window_length < 0:
        raise ValueError(f"{name}: window_length must be an int >= 0, got {window_length!r}")
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"{name}: dtype must be a floating dtype, got {dtype}")
    if window_length <= 1:                          # PyTorch: [] and [1.]
        return Tensor(np.ones(window_length, dtype=dtype), requires_grad=requires_grad)
    span = window_length if periodic else window_length - 1
    phase = 2 * np.pi * np.arange(window_length) / span
    w = sum((-1) ** j * a * np.cos(j * phase) for j, a in enumerate(coefficients))
    return Tensor(w.astype(dtype), requires_grad=requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2πk/N): zero at the ends, the STFT's usual window."""
    return _cosine_sum("hann_window", (0.5, 0.5), window_length, periodic, dtype,
                       requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, requires_grad: bool = False
                   ) -> Tensor:
    """alpha - beta cos(2πk/N) (0.54, 0.46): never quite zero at the ends."""
    return _cosine_sum("hamming_window", (alpha, beta), window_length, periodic, dtype,
                       requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2πk/N) + 0.08 cos(4πk/N): lower side lobes, a wider main lobe."""
    return _cosine_sum("blackman_window", (0.42, 0.5, 0.08), window_length, periodic, dtype,
                       requires_grad)
