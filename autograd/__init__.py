"""glassgrad's engine: reverse-mode automatic differentiation you can read.

`Value` is a scalar (micrograd's API), `Tensor` an n-d array on numpy; both record the ops that
make them and backpropagate through the same graph core (`autograd.graph`). The ops live in
`autograd.ops`, one small class each with its derivative under its forward.
"""

import sys
from importlib import import_module as _import_module

# the release, as pyproject.toml's (tests/test_zero_to_mastery_trial.py keeps the two equal): a
# course's first cell prints torch.__version__, which `import autograd as torch` then answers
__version__ = "0.2.0"

from . import amp, func, functional
from .amp import autocast
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .cpu import accelerator, cuda, device, set_default_device
from .creation import (
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like, is_tensor,
    linspace, logspace, multinomial, normal, numel, ones, ones_like, poisson, rand, rand_like,
    randint, randint_like, randn, randn_like, randperm, zeros, zeros_like,
)
from .creation import Variable          # torch.autograd.Variable (not in __all__: PyTorch's old)
from .function import Function
from .arrays import (cartesian_prod, cdist, meshgrid, tensordot, tril_indices, triu_indices,
                     unravel_index)
from .statistics import bucketize, isin, searchsorted, segment_reduce
from .allocator import keep_freed_memory
from .gctools import relaxed_gc
from .threads import get_num_threads, set_num_threads
from .gradcheck import GradcheckError, gradcheck, gradcheck_parameters
from .graph import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .grad_mode import is_inference_mode_enabled
from .higher_order import grad
from .derivatives import gradgradcheck, hessian, hvp, jacobian, jvp, vhp, vjp
from .random import Generator, default_rng, manual_seed
from .random import are_deterministic_algorithms_enabled, use_deterministic_algorithms
from .tensor import (
    Tensor, concatenate, einsum, flatten, get_default_dtype, matmul, set_default_dtype, stack,
    tril, triu, where,
)
from .pytorch_names import (CONSTANTS, DTYPES, QUANTIZATION, SPARSE,
                            NotInGlassgrad, module_functions)
from .value import Value
from . import linalg
from .linalg import matrix_exp
from .covariance import corrcoef, cov
from .linalg_products import block_diag, kron
from .sampled import cumulative_trapezoid, diff, gradient, trapezoid, trapz
from .creation import tensor    # the function, PyTorch's torch.tensor; it takes the name
#                                 `autograd.tensor` from the module autograd/tensor.py, which is
#                                 still imported as `from autograd.tensor import Tensor`

cat = concat = concatenate             # PyTorch's names: torch.cat(heads, dim=-1)
vmap = func.vmap                       # torch.vmap is torch.func.vmap

__all__ = [
    "Value", "Tensor", "tensor", "zeros", "ones", "full", "eye", "zeros_like", "ones_like", "full_like",
    "empty", "empty_like", "from_numpy", "as_tensor", "arange", "linspace", "logspace", "randn",
    "rand", "randint", "randn_like", "rand_like", "randint_like", "randperm", "multinomial", "normal",
    "bernoulli", "poisson", "is_tensor", "numel",
    "matmul", "einsum", "concatenate", "cat", "stack", "where", "flatten", "tril", "triu",
    "meshgrid", "tensordot", "cdist", "tril_indices", "triu_indices", "searchsorted", "bucketize",
    "isin", "segment_reduce", "cartesian_prod", "unravel_index",
    "set_default_dtype", "get_default_dtype", "functional", "linalg", "distributions", "fft",
    "special",
    "stft", "istft", "hann_window", "hamming_window", "blackman_window", "ComplexTensor",
    "view_as_real", "view_as_complex", "polar",
    "matrix_exp", "cov",
    "corrcoef", "kron", "block_diag", "diff", "gradient", "trapezoid", "trapz", "cumulative_trapezoid",
    "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
    "grad", "jacobian", "hessian", "vjp", "jvp", "hvp", "vhp", "gradgradcheck",
    "Function", "gradcheck", "gradcheck_parameters", "GradcheckError", "detect_anomaly",
    "relaxed_gc", "keep_freed_memory", "set_num_threads", "get_num_threads",
    "manual_seed", "default_rng", "Generator", "draw_graph", "draw_backprop", "CompiledGraph",
]
# `autograd.compile` is public but not in __all__: `from autograd import *` must not hide
# Python's built-in compile(); nor are PyTorch's device lines (`device`, `cuda`, `accelerator`,
# `set_default_device`, for `import autograd as torch`): `device` is a common variable name.

# PyTorch's module functions that are Tensor methods here (torch.exp(t) is t.exp(),
# torch.sum(t, dim=1) is t.sum(dim=1)) and its dtypes as numpy's (torch.long is int64), read
# by __getattr__ below: as module globals, sum, max, min, abs, round, pow, all, any, int, float
# and bool would hide Python's own in this file, and `from autograd import *` would hide them
# in the user's (they are not in __all__ for that reason; `from autograd import exp` works);
# likewise PyTorch's constants (torch.pi, torch.inf) and torch.finfo, whose `e` and `pi` would
# hide a user's own names. Made at the first name asked for (_pytorch_names): the 300
# forwarding functions are ~900 objects that a script which never calls torch.exp(t) would
# keep alive for every full garbage collection to walk
_PYTORCH_NAMES = {}


def _pytorch_names() -> dict:
    if not _PYTORCH_NAMES:
        _PYTORCH_NAMES.update({**module_functions(Tensor), **DTYPES, **CONSTANTS})
    return _PYTORCH_NAMES


# The parts most scripts never use load on first use, through __getattr__ below (PEP 562): a
# module's functions, classes and constants stay alive for the whole process, and every full
# garbage collection walks each of them, about once a step in a scalar model's training
# (micrograd's demo: distributions, viz, fft, special and compile were ~3,100 of the ~32,000
# objects alive after `import autograd`). name: (module, its attribute; None for the module).
_LAZY = {
    "distributions": (".distributions", None), "fft": (".fft", None),
    "special": (".special", None),
    "utils": (".utils", None),              # torch.utils.checkpoint (torch.utils.data: nn.data)
    # modules that were attributes only because eager imports loaded them: still attributes
    "viz": (".viz", None), "compiler": (".compiler", None), "files": (".files", None),
    "compile": (".compiler", "compile"), "CompiledGraph": (".compiler", "CompiledGraph"),
    **{name: (".fft.complex_pair", name)
       for name in ("ComplexTensor", "polar", "view_as_complex", "view_as_real")},
    "stft": (".fft.spectral", "stft"), "istft": (".fft.spectral", "istft"),
    **{name: (".fft.windows", name)
       for name in ("blackman_window", "hamming_window", "hann_window")},
    "draw_graph": (".viz", "draw_graph"), "draw_backprop": (".viz", "draw_backprop"),
    # micrograd's name for draw_graph; not in __all__: the micrograd lecture defines its own
    "draw_dot": (".viz", "draw_dot"),
    "is_storage": (".storage", "is_storage"),     # t.storage() is a Tensor method
}
# torch.complex(real, imag) and the other PyTorch names for complex numbers: lazy as well, and
# like _PYTORCH_NAMES never module globals (`complex` would hide Python's in this file and, by
# `import *`, in the user's); they take the place of the Tensor methods of the same names
_LAZY_PYTORCH_NAMES = {"complex": (".fft", "complex_"),
                       **{name: (".fft.complex_pair", name)
                          for name in ("real", "imag", "angle", "is_complex", "conj")}}

# PyTorch names that glassgrad spells otherwise: a ported script's `torch.LongTensor` is told the way
_SPELT_OTHERWISE = {
    "LongTensor": ("autograd.tensor(data, dtype=autograd.long) here (PyTorch's old spelling); "
                   "as a type, y.type(torch.LongTensor) is y.long()"),
    "FloatTensor": ("autograd.tensor(data, dtype=autograd.float32) here (PyTorch's old "
                    "spelling); for a shape, autograd.zeros(*size); as a type (dtype = "
                    "torch.FloatTensor, then x.type(dtype), model.type(dtype)), "
                    "autograd.float32 (x.float(), model.float())"),
    "DoubleTensor": ("autograd.tensor(data, dtype=autograd.float64) here; as a type, "
                     "autograd.float64 (x.double(), model.double())"),
    "BoolTensor": "autograd.tensor(data, dtype=autograd.bool) here",
    "optim": "nn.optim (import nn)",
    "nn": "glassgrad's nn package (import nn)",
    "save": ("nn.save(obj, path) here (import nn): PyTorch's own format for a path ending in "
             ".pt or .pth, an .npz file otherwise. A whole model (torch.save(model, path)) is "
             "never pickled: save its weights, nn.save(model.state_dict(), path), and load them "
             "into a model your code builds, model = MyModel(...); "
             "model.load_state_dict(nn.load(path))"),
    "load": ("nn.load(path) here (import nn): the files nn.save writes, and torch.save's .pt "
             "files of tensors (nothing in them runs); a model's file gives its state_dict, "
             "not the model: model = MyModel(...); model.load_state_dict(nn.load(path))"),
    "backends": ("not needed: glassgrad computes with numpy on the CPU (no cudnn, cuda or mps "
                 "settings), so leave out the torch.backends lines"),
    **dict.fromkeys(("set_float32_matmul_precision", "get_float32_matmul_precision"), (
        "not needed: a float32 matmul here is numpy's, at full float32 precision (PyTorch's "
        "'highest'), with no TF32 or bfloat16 shortcut to allow, so leave the line out")),
    **dict.fromkeys(("complex64", "complex128", "cfloat", "cdouble", "chalf"), (
        "not a dtype here: Tensors are real; complex results are ComplexTensors (a pair of "
        "real tensors), made by autograd.fft's transforms, autograd.stft, "
        "autograd.complex(real, imag) and autograd.polar(abs, angle)")),
    "set_printoptions": "np.set_printoptions(...) here (a Tensor prints its numpy array)",
    "lobpcg": ("not here: for a small symmetric matrix, autograd.linalg.eigh(A) gives every "
               "eigenpair (eigvalsh the values alone); for a Hessian too large to build, power "
               "iteration on Hessian-vector products (grad of (g * v).sum() for g = "
               "autograd.grad(loss, params, create_graph=True)) finds the top one"),
    "symeig": ("gone from PyTorch too (removed in 2.0): autograd.linalg.eigh(A) gives the "
               "eigenvalues, ascending, and the eigenvectors of a symmetric matrix (a Hessian, "
               "Lanczos' tridiagonal T), autograd.linalg.eigvalsh(A) the values alone"),
    "eig": ("gone from PyTorch too (removed in 2.0; torch.linalg.eig there): for a symmetric "
            "matrix (a Hessian, Lanczos' tridiagonal T) autograd.linalg.eigh(A); for others "
            "np.linalg.eig(t.data) (numbers, no gradient)"),
    "forward_ad": ("not here: glassgrad differentiates in reverse mode only (no dual numbers); "
                   "a Jacobian-vector product is autograd.jvp(f, x, v) (two reverse passes), "
                   "a whole Jacobian autograd.jacobian(f, x)"),
    **dict.fromkeys(("get_rng_state", "set_rng_state"), (
        "autograd.random.get_state() and autograd.random.set_state(state) here: the shared "
        "generator's state as plain data (a dict, not a tensor; nn.save stores it)")),
    "default_generator": (
        "autograd.default_rng() here: the shared generator (a numpy Generator), for "
        "generator= arguments; seed it with autograd.manual_seed(seed)"),
    **dict.fromkeys(("seed", "initial_seed"), (
        "not here: seed the shared generator with autograd.manual_seed(seed) and keep the seed "
        "yourself")),
    "quasirandom": (
        "not here: glassgrad has no quasi-random engine (no SobolEngine); for SobolEngine(d)"
        ".draw(n)'s n points in [0, 1)^d write a seeded uniform draw, autograd.manual_seed(seed)"
        " then autograd.rand(n, d), or, with scipy installed, autograd.tensor(scipy.stats.qmc."
        "Sobol(d, scramble=True, seed=seed).random(n), dtype=autograd.float32) (scipy's "
        "array, which autograd.tensor takes)"),
    **dict.fromkeys(("sparse", "sparse_coo_tensor", "sparse_csr_tensor", "spmm"), SPARSE),
    **dict.fromkeys(("quantization", "ao", "quantize_per_tensor", "quantize_per_channel",
                     "quantize_dynamic", "dequantize", "fake_quantize_per_tensor_affine",
                     "fake_quantize_per_channel_affine", "qint8", "quint8", "qint32", "quint4x2"),
                    QUANTIZATION),
}


def _load(module: str, attribute: str | None) -> object:
    loaded = _import_module(module, __name__)
    return loaded if attribute is None else getattr(loaded, attribute)


def __getattr__(name: str) -> object:
    if name in _LAZY:                      # loaded once: from then on a global like the others
        found = globals()[name] = _load(*_LAZY[name])
        return found
    if name in _LAZY_PYTORCH_NAMES:
        return _load(*_LAZY_PYTORCH_NAMES[name])
    found = _pytorch_names().get(name)
    if found is not None:
        return found
    hint = _SPELT_OTHERWISE.get(name)
    hint = None if hint is None else f"is {hint}"
    marker = Tensor.__dict__.get(name)
    if hint is None and isinstance(marker, NotInGlassgrad):    # torch.add(x, y): as t.add
        hint = marker.hint
    if hint is None and not name.startswith("_") and callable(getattr(Tensor, name, None)):
        # torch.view(x, ...), torch.float(x): a Tensor method here that PyTorch's module has not
        hint = (f"is the Tensor method here: x.{name}(...) (functions: nn.functional, "
                f"autograd.functional)")
    if hint is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}; PyTorch's torch.{name} "
                         f"{hint}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_pytorch_names()) | set(_LAZY)
                  | set(_LAZY_PYTORCH_NAMES))


# PyTorch's torch.autograd is this module itself: after `import autograd as torch`, a PINN's
# torch.autograd.grad(u, x, create_graph=True), torch.autograd.functional.jacobian and
# torch.autograd.Function are glassgrad's grad, functional.jacobian and Function
autograd = sys.modules[__name__]
