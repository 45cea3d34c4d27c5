"""autograd.fft: values against numpy and live PyTorch (skipped without it), gradients against
central finite differences in float64 (n= padding and cropping, each norm, odd and even
lengths, batch dims, dim=), the real properties (Parseval, irfft(rfft(x)) == x, a tone's
peak), the ComplexTensor pair and its errors."""

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck, gradgradcheck
from autograd import fft as F
from autograd.fft import ComplexTensor

try:
    import torch
except ImportError:                                             # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")

NORMS = ("backward", "ortho", "forward")


def leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).normal(size=shape), dtype="float64",
                  requires_grad=True)


def weights(shape, seed=1):
    """Fixed random weights, so that a loss mixes every output (not a sum that cancels)."""
    return np.random.default_rng(seed).normal(size=shape)


# -- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("length, n", [(8, None), (7, None), (8, 11), (9, 6), (5, 1)])
def test_rfft_irfft_values_match_numpy(length, n, norm):
    x = np.random.default_rng(0).normal(size=(3, length))
    z = F.rfft(Tensor(x, dtype="float64"), n=n, norm=norm)
    np.testing.assert_allclose(z.numpy(), np.fft.rfft(x, n, norm=norm), atol=1e-12)
    back_n = n or length
    y = F.irfft(z, n=back_n, norm=norm)
    np.testing.assert_allclose(y.data, np.fft.irfft(np.fft.rfft(x, n, norm=norm), back_n,
                                                    norm=norm), atol=1e-12)


@pytest.mark.parametrize("norm", NORMS)
def test_fft_ifft_values_match_numpy(norm):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(2, 6, 5)) + 1j * rng.normal(size=(2, 6, 5))
    ours = F.fft(autograd.complex(Tensor(z.real, dtype="float64"), Tensor(z.imag, dtype="float64")),
                 n=7, dim=1, norm=norm)
    np.testing.assert_allclose(ours.numpy(), np.fft.fft(z, 7, axis=1, norm=norm), atol=1e-12)
    back = F.ifft(ours, n=6, dim=1, norm=norm)
    np.testing.assert_allclose(back.numpy(), np.fft.ifft(np.fft.fft(z, 7, axis=1, norm=norm), 6,
                                                         axis=1, norm=norm), atol=1e-12)
    np.testing.assert_allclose(F.fft2(z).numpy(), np.fft.fft2(z), atol=1e-10)
    np.testing.assert_allclose(F.ifft2(z).numpy(), np.fft.ifft2(z), atol=1e-12)


def test_two_dim_real_transforms_and_helpers_match_numpy():
    x = np.random.default_rng(2).normal(size=(2, 6, 8))
    z = F.rfft2(Tensor(x, dtype="float64"))
    np.testing.assert_allclose(z.numpy(), np.fft.rfft2(x), atol=1e-12)
    np.testing.assert_allclose(F.irfft2(z).data, x, atol=1e-12)
    np.testing.assert_allclose(F.fftfreq(7, d=0.5).data, np.fft.fftfreq(7, 0.5), atol=1e-7)
    np.testing.assert_allclose(F.rfftfreq(8, d=1 / 8000).data, np.fft.rfftfreq(8, 1 / 8000))
    np.testing.assert_allclose(F.fftshift(Tensor(x)).data, np.fft.fftshift(x.astype(np.float32)))
    np.testing.assert_allclose(F.ifftshift(Tensor(x), dim=1).data,
                               np.fft.ifftshift(x.astype(np.float32), axes=1))
    assert F.fftfreq(4, dtype="float64").dtype == np.float64


def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(3).normal(size=16).astype(np.float32), requires_grad=True)
    z = F.rfft(x)
    assert z.dtype == np.complex64 and z.ri.dtype == np.float32
    y = F.irfft(z * np.exp(1j * np.arange(9)))
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# -- real properties ----------------------------------------------------------------------------

def test_parseval_and_round_trip():
    x = np.random.default_rng(4).normal(size=(4, 50))
    t = Tensor(x, dtype="float64")
    energy = (F.fft(t, norm="ortho").abs() ** 2).sum(dim=-1).data
    np.testing.assert_allclose(energy, (x ** 2).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(F.irfft(F.rfft(t), n=50).data, x, atol=1e-12)
    np.testing.assert_allclose(F.ifft(F.fft(t)).real.data, x, atol=1e-12)
    np.testing.assert_allclose(F.ifft(F.fft(t)).imag.data, 0, atol=1e-12)


def test_a_tone_peaks_in_its_bin():
    rate, n = 8000, 400                                     # 20 Hz per bin
    tone = np.sin(2 * np.pi * 1000 * np.arange(n) / rate)
    spectrum = F.rfft(Tensor(tone)).abs()
    assert int(spectrum.argmax()) == 1000 // 20
    assert F.rfftfreq(n, 1 / rate)[int(spectrum.argmax())].item() == 1000


# -- gradients ----------------------------------------------------------------------------------

@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("length, n", [(8, None), (7, None), (6, 10), (9, 5), (4, 7)])
def test_rfft_gradients(length, n, norm):
    x = leaf((2, length, 3))
    bins = (n or length) // 2 + 1
    w = weights((2, bins, 3, 2))
    assert gradcheck(lambda x: (autograd.view_as_real(F.rfft(x, n=n, dim=1, norm=norm)) * w)
                     .sum(), x)
    assert gradcheck(lambda x: (F.rfft(x, n=n, dim=-2, norm=norm).abs() * w[..., 0]).sum(), x)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("bins, n", [(5, None), (5, 9), (5, 6), (4, 12), (6, 7)])
def test_irfft_gradients(bins, n, norm):
    """With respect to the complex input's parts, the imaginary parts of DC and Nyquist
    included (they do not count: their gradient is 0)."""
    re, im = leaf((3, bins), 5), leaf((3, bins), 6)
    length = n or 2 * (bins - 1)
    w = weights((3, length))
    assert gradcheck(lambda re, im: (F.irfft(autograd.complex(re, im), n=n, norm=norm) * w)
                     .sum(), re, im)


def test_irfft_of_rfft_times_a_filter_gradients():
    """The filtering users write: irfft(rfft(x) * H), H complex (constant or learnt) or real."""
    x = leaf((2, 11))
    h = np.exp(-0.3j * np.arange(6)) * np.linspace(1, 0.2, 6)
    hr, hi = leaf(6, 7), leaf(6, 8)
    w = weights((2, 11))
    assert gradcheck(lambda x: (F.irfft(F.rfft(x) * h, n=11) * w).sum(), x)
    assert gradcheck(lambda x: (F.irfft(h * F.rfft(x), n=11) * w).sum(), x)
    assert gradcheck(lambda x, hr, hi: (F.irfft(F.rfft(x) * autograd.complex(hr, hi), n=11) * w)
                     .sum(), x, hr, hi)
    assert gradcheck(lambda x, hr: (F.irfft(F.rfft(x) * hr, n=11) * w).sum(), x, hr)
    assert gradcheck(lambda x, hr: (F.irfft(F.rfft(x) / (hr * hr + 1), n=11) * w).sum(), x, hr)


@pytest.mark.parametrize("norm", NORMS)
def test_fft_ifft_gradients(norm):
    x = leaf((3, 4))
    re, im = leaf((3, 5), 2), leaf((3, 5), 3)
    w = weights((3, 6, 2))
    assert gradcheck(lambda x: (autograd.view_as_real(F.fft(x, n=6, dim=0, norm=norm))
                                * weights((6, 4, 2))).sum(), x)
    assert gradcheck(lambda re, im: (autograd.view_as_real(F.ifft(autograd.complex(re, im), n=6,
                                                                  norm=norm)) * w).sum(), re, im)
    assert gradcheck(lambda re, im: F.fft2(autograd.complex(re, im)).angle().sin().sum(), re, im)


def test_complex_arithmetic_gradients():
    a, b, c, d = (leaf((2, 3), s) for s in range(4))
    loss = lambda a, b, c, d: (                                            # noqa: E731
        ((autograd.complex(a, b) * autograd.complex(c, d)).abs()
         + (autograd.complex(a, b) / autograd.complex(c, d)).angle()
         + (autograd.complex(a, b) - 2j + c).real * (1 - autograd.complex(c, d)).imag
         + autograd.complex(a, b).conj().imag + (3 / autograd.complex(c, d)).real).sum())
    assert gradcheck(loss, a, b, c, d)
    assert gradcheck(lambda a, b: autograd.polar(a, b).real.sum() + autograd.polar(a, b).imag.sum(),
                     a, b)
    assert gradcheck(lambda a: F.rfft(a)[0, 1:].sum().abs() + F.rfft(a).mean(dim=1).real.sum(), a)


def test_abs_at_zero_has_gradient_zero():
    """A spectrum of silence (zero bins) trains without NaN, as PyTorch's abs does."""
    x = Tensor(np.zeros(8), dtype="float64", requires_grad=True)
    F.rfft(x).abs().sum().backward()
    assert np.array_equal(x.grad, np.zeros(8))


def test_second_order():
    x = leaf(9)
    assert gradgradcheck(lambda x: (F.irfft(F.rfft(x) * (1 + 1j), n=9) ** 2).sum(), x)
    assert gradgradcheck(lambda x: (F.fft(x, n=12).abs() ** 2).sum(), x)


# -- against PyTorch ----------------------------------------------------------------------------

def _ours_and_torch(x):
    return (Tensor(x, requires_grad=True),
            torch.tensor(x, requires_grad=True))


@needs_torch
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
@pytest.mark.parametrize("norm", NORMS)
def test_values_and_gradients_match_torch(dtype, tol, norm):
    x = np.random.default_rng(9).normal(size=(3, 13)).astype(dtype)
    w = weights((3, 10)).astype(dtype)
    h = (np.exp(-0.2j * np.arange(9)) * np.linspace(1, 0.1, 9)).astype(
        np.complex64 if dtype == np.float32 else np.complex128)

    def pipeline(lib, fft, t, w, h):
        spectrum = fft.rfft(t, n=16, norm=norm)
        filtered = fft.irfft(spectrum * h, n=10, norm=norm)
        full = fft.fft(t, dim=0, norm=norm)
        return (filtered * w).sum() + spectrum.abs().mean() + lib.angle(full).cos().sum() \
            + fft.ifft(full, dim=0, norm=norm).real.sum()

    ours, theirs = _ours_and_torch(x)
    a = pipeline(autograd, F, ours, w, h)
    b = pipeline(torch, torch.fft, theirs, torch.tensor(w), torch.tensor(h))
    np.testing.assert_allclose(a.item(), b.item(), rtol=tol)
    a.backward()
    b.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(F.rfft(Tensor(x), n=16, norm=norm).numpy(),
                               torch.fft.rfft(torch.tensor(x), n=16, norm=norm).numpy(),
                               rtol=tol, atol=tol)


@needs_torch
def test_complex_input_gradient_convention_matches_torch():
    """The gradient of a real loss w.r.t. a complex intermediate: PyTorch's (∂L/∂a + i ∂L/∂b)."""
    rng = np.random.default_rng(10)
    re, im = rng.normal(size=(2, 7)), rng.normal(size=(2, 7))
    w = rng.normal(size=(2, 12))
    ours_re, ours_im = Tensor(re, requires_grad=True), Tensor(im, requires_grad=True)
    (F.irfft(autograd.complex(ours_re, ours_im)) * w).sum().backward()
    z = torch.complex(torch.tensor(re), torch.tensor(im)).requires_grad_()
    (torch.fft.irfft(z) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours_re.grad, z.grad.real.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours_im.grad, z.grad.imag.numpy(), atol=1e-12)


# -- the pair and its errors --------------------------------------------------------------------

def test_pytorch_spellings_work_on_complex_results():
    z = F.rfft(Tensor(np.arange(8.0)))
    assert isinstance(z, ComplexTensor) and autograd.is_complex(z)
    assert np.allclose(autograd.abs(z).data, np.abs(np.fft.rfft(np.arange(8.0))))
    assert autograd.real(z).shape == autograd.imag(z).shape == autograd.angle(z).shape == (5,)
    assert autograd.view_as_real(z).shape == (5, 2)
    assert autograd.view_as_complex(autograd.view_as_real(z)).shape == (5,)
    assert (Tensor([2.0]) * z).shape == (5,) and (np.ones(5) * 1j + z).shape == (5,)
    assert autograd.conj(z).imag.tolist() == (-z.imag).tolist()
    assert z.to(autograd.float64).dtype == np.complex128 and (z == z).all().item()
    assert z.transpose(0, 0).shape == (5,) and z.unsqueeze(0).reshape(5, 1).shape == (5, 1)


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.rfft(Tensor(np.ones(4)), norm="bogus"), ValueError, "norm must be 'backward'"),
    (lambda: F.rfft(F.rfft(Tensor(np.ones(4)))), TypeError, "rfft: expected a real signal"),
    (lambda: F.rfft(Tensor(np.ones(4)), n=0), ValueError, "rfft: n must be a positive int"),
    (lambda: F.rfft(Tensor(np.ones((2, 4))), dim=2), IndexError, "out of range for an input of "
                                                                  "shape (2, 4)"),
    (lambda: F.irfft(F.rfft(Tensor(np.ones(1)))), ValueError, "cannot infer n from 1 bin"),
    (lambda: F.rfft(Tensor(np.ones(4))).backward(), RuntimeError, "not a loss"),
    (lambda: F.rfft(Tensor(np.ones(4))).exp(), AttributeError, "what works on it is"),
    (lambda: F.rfft(Tensor(np.ones(4))) ** 2, TypeError, "z.abs() ** 2"),
    (lambda: F.rfft(Tensor(np.ones(4))).grad, AttributeError, "autograd.complex(re, im)"),
    (lambda: autograd.tensor(np.ones(3) * 1j), TypeError, "autograd.complex(real, imag)"),
    (lambda: autograd.cat([F.rfft(Tensor(np.ones(4)))] * 2), TypeError, "view_as_real"),
    (lambda: autograd.complex64, AttributeError, "ComplexTensors"),
    (lambda: autograd.imag(Tensor([1.0])), TypeError, "has no imaginary part"),
])
def test_errors_name_the_op_and_what_works(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
