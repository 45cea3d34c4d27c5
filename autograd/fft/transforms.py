"""The discrete Fourier transforms as ops on real arrays. A complex array is held as its real
and imaginary parts side by side on a last axis of 2 (PyTorch's `view_as_real` layout, "ri"),
so every op here maps real numbers to real numbers and its gradient is real.

Each transform is linear, so its gradient is its adjoint (the conjugate transpose, read as a
map of real numbers): for a real loss L and a complex output y = A z,

    ∂L/∂Re z + i ∂L/∂Im z  =  A^H (∂L/∂Re y + i ∂L/∂Im y)

which is PyTorch's convention for the gradient of a real loss (the conjugate Wirtinger
derivative, times 2). The ops come in pairs, each the other's adjoint, so they differentiate
to any order (as `ops/resample.py` does):

    Dft          complex -> complex, resize to n, Σ z_t e^{∓2πikt/n}, resize    (its own pair)
    RealToHalf   real -> the n//2 + 1 bins of its spectrum (rfft)
    HalfToReal   those bins -> a real signal (irfft; also RealToHalf's adjoint)

"Resize" is numpy's n=: zero-padding or cropping the end of the axis; its adjoint crops or
zero-pads back. `scale` carries the norm ("backward", "ortho", "forward").
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..graph import Node, Op, apply


def to_complex(ri: np.ndarray) -> np.ndarray:
    """A (..., 2) real array as the complex array it holds (complex64 from float32)."""
    kind = np.complex64 if ri.dtype == np.float32 else np.complex128
    if ri.dtype not in (np.float32, np.float64):
        return (ri[..., 0] + 1j * ri[..., 1]).astype(kind)
    if ri.strides[-1] != ri.itemsize:       # (numpy >= 1.23 views any array whose last
        ri = np.ascontiguousarray(ri)       # axis is contiguous: a transposed ri is one)
    return ri.view(kind)[..., 0]


def to_ri(z: np.ndarray, dtype: Any) -> np.ndarray:
    """A complex array as its (..., 2) real layout of `dtype`."""
    z = np.ascontiguousarray(z, dtype=np.complex64 if dtype == np.float32 else np.complex128)
    return z[..., None].view(dtype)


def resize(a: np.ndarray, axis: int, length: int) -> np.ndarray:
    """`a` cropped or zero-padded at the end of `axis` to `length` (numpy's n=)."""
    have = a.shape[axis]
    if have == length:
        return a
    if have > length:
        return a[(slice(None),) * axis + (slice(0, length),)]
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, length - have)
    return np.pad(a, widths)


def _edges(z: np.ndarray, n: int, axis: int) -> np.ndarray:
    """The bins that irfft weights 1 among the n//2 + 1 along axis (a view): DC, and the
    Nyquist bin of an even n; every other bin stands for itself and its mirror image (2)."""
    return z[(slice(None),) * axis + (slice(0, None, n // 2) if n % 2 == 0 and n > 1
                                      else slice(0, 1),)]


class DftCtx(NamedTuple):
    """A transform's constants: the axis (of the complex array), the transform's length n,
    the lengths before (resized to n) and after (resized from n), the sign of the exponent
    (-1 forward, +1 inverse), and the factor it is multiplied by."""
    axis: int
    n: int
    size_in: int
    size_out: int
    sign: int
    scale: float

    def adjoint(self) -> "DftCtx":
        return DftCtx(self.axis, self.n, self.size_out, self.size_in, -self.sign, self.scale)


def dft_forward(ctx: DftCtx, ri: np.ndarray) -> np.ndarray:
    """scale · Σ_t z_t e^{sign·2πikt/n} along ctx.axis, with the resizing before and after."""
    z = resize(to_complex(ri), ctx.axis, ctx.n)
    y = np.fft.fft(z, axis=ctx.axis) if ctx.sign < 0 else np.fft.ifft(z, axis=ctx.axis) * ctx.n
    if ctx.scale != 1:
        y *= ctx.scale
    return to_ri(resize(y, ctx.axis, ctx.size_out), ri.dtype)


class Dft(Op):
    """y = scale · DFT_n(z) (complex, as ri);  dz = the same with the exponent's sign flipped"""
    name = "fft"
    reads_inputs = False

    @staticmethod
    def forward(ctx, ri):
        return dft_forward(ctx, ri)

    @staticmethod
    def backward(ctx, g, out, ri):
        return (dft(ctx.adjoint(), g),)


def dft(ctx: DftCtx, ri: Any) -> Any:
    """`dft_forward` on an array; on a node, a recorded op."""
    return apply(Dft, (ri,), ctx) if isinstance(ri, Node) else dft_forward(ctx, ri)


class HalfCtx(NamedTuple):
    """A real transform's constants: the axis (of the real signal), n, the signal's length,
    the number of bins, whether the bins are weighted by 1 at `_edges`, 2 elsewhere (irfft and rfft's adjoint
    count each middle bin twice, for its mirror image) and the factor."""
    axis: int
    n: int
    length: int
    bins: int
    doubled: bool
    scale: float


def real_to_half_forward(ctx: HalfCtx, x: np.ndarray) -> np.ndarray:
    """scale · (weights ·) Σ_t x_t e^{-2πikt/n}, k < n//2 + 1, resized to ctx.bins; as ri."""
    y = np.fft.rfft(resize(x, ctx.axis, ctx.n), axis=ctx.axis)
    if ctx.doubled:                     # (a scalar and two edge bins: a real array times
        y *= 2 * ctx.scale              # a complex one would be made complex first)
        _edges(y, ctx.n, ctx.axis)[...] *= 0.5
    elif ctx.scale != 1:
        y *= ctx.scale
    return to_ri(resize(y, ctx.axis, ctx.bins), x.dtype)


def half_to_real_forward(ctx: HalfCtx, ri: np.ndarray) -> np.ndarray:
    """scale · Σ_k (weights ·) Re(z_k e^{2πikt/n}), t < n, resized to ctx.length. numpy's
    irfft weights the bins (and drops the imaginary parts of DC and Nyquist, which multiply a
    real exponential: the formula drops them too); without weights they are divided out."""
    z = resize(to_complex(ri), ctx.axis, ctx.n // 2 + 1)
    scale = ctx.scale
    if not ctx.doubled:                 # halve the middle bins: all, then the edges back
        z = z * 0.5
        _edges(z, ctx.n, ctx.axis)[...] *= 2
    x = np.fft.irfft(z, ctx.n, axis=ctx.axis, norm="forward")      # Σ without 1/n
    if scale != 1:
        x *= scale
    return resize(x, ctx.axis, ctx.length).astype(ri.dtype, copy=False)


class RealToHalf(Op):
    """y = rfft of x (ri);  dx = HalfToReal of g, same constants (its adjoint)"""
    name = "rfft"
    reads_inputs = False

    @staticmethod
    def forward(ctx, x):
        return real_to_half_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (half_to_real(ctx, g),)


class HalfToReal(Op):
    """x = irfft of the bins (ri);  dz = RealToHalf of g, same constants (its adjoint)"""
    name = "irfft"
    reads_inputs = False

    @staticmethod
    def forward(ctx, ri):
        return half_to_real_forward(ctx, ri)

    @staticmethod
    def backward(ctx, g, out, ri):
        return (real_to_half(ctx, g),)


def real_to_half(ctx: HalfCtx, x: Any) -> Any:
    """`real_to_half_forward` on an array; on a node, a recorded op."""
    return apply(RealToHalf, (x,), ctx) if isinstance(x, Node) else real_to_half_forward(ctx, x)


def half_to_real(ctx: HalfCtx, ri: Any) -> Any:
    """`half_to_real_forward` on an array; on a node, a recorded op."""
    if isinstance(ri, Node):
        return apply(HalfToReal, (ri,), ctx)
    return half_to_real_forward(ctx, ri)
