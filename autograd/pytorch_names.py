"""PyTorch's names. The Tensor methods that glassgrad lacks or spells otherwise, as markers on
the Tensor class: reading one raises an AttributeError that names it and says what to write
instead (`t.resize_(n)` -> "t.reshape(...) here"). `autograd.__getattr__` reads
the same hints for PyTorch's module functions (`torch.as_strided` after `import autograd as torch`),
and gives the module functions that are Tensor methods here (`torch.exp(t)` is `t.exp()`) and
PyTorch's dtypes as numpy's (`torch.long` is int64): `module_functions` and `DTYPES` below.

>>> from autograd import Tensor
>>> Tensor([1.0]).resize_(2)     # doctest: +ELLIPSIS
Traceback (most recent call last):
AttributeError: ... PyTorch's Tensor.resize_ is t.reshape(...) here (a new tensor: ...
"""

from __future__ import annotations

import inspect
import math
import sys
from typing import Any, Callable

import numpy as np

from .tensor_operands import NONE_COMPARED

#: what to write for PyTorch's sparse tensors (a graph's adjacency from an edge list)
SPARSE = ("not here (glassgrad has no sparse tensors): for A[row, col] = values, either "
          "the dense A = values.new_zeros(n * n).index_add(0, row * n + col, values).view(n, n) "
          "(repeated entries add up, as a sparse tensor's do), then A @ X, or no A at all: "
          "torch.sparse.mm(A, X) is X.new_zeros(n, X.shape[1]).index_add(0, row, "
          "values.unsqueeze(1) * X[col]), message passing by index_add")
#: what to write for PyTorch's quantisation (torch.quantization, torch.ao, quantized tensors)
QUANTIZATION = (
    "not here (glassgrad has no quantized tensors or int8 kernels): write the fake "
    "quantisation by hand, s = w.abs().amax(dim=1, keepdim=True).detach() / 127 (per output "
    "row; w.abs().max() per tensor), wc = autograd.clamp(w, -127 * s, 127 * s), w_q = wc + "
    "(autograd.round(wc / s) * s - wc).detach() (the straight-through estimator: gradient 1 "
    "inside the range, 0 outside), and use w_q in the forward (F.linear(x, w_q, b)); export "
    "int8 weights with numpy, np.round(w.numpy() / s.numpy()).astype(np.int8) and the scales, "
    "saved by nn.save(dict, 'model.pt') (int8 arrays are kept as int8)")
#: what to write for PyTorch's named tensors (names=, refine_names, ...: a prototype, gone
#: from PyTorch 2.13, which books written before still use)
NAMED = ("has no counterpart here: glassgrad has no named tensors (a prototype in PyTorch, "
         "removed in 2.13); keep the names in your code and give dims by number, e.g. "
         "CHANNELS = -3 for (..., channels, rows, columns), img.sum(CHANNELS), or spell the "
         "axes out in autograd.einsum('...chw,c->...hw', img, weights)")
#: the Tensor methods of named tensors (kept apart from TORCH_METHODS: PyTorch has them no more)
NAMED_METHODS = dict.fromkeys(("names", "refine_names", "rename", "rename_", "align_to",
                               "align_as", "has_names"), NAMED)
#: name -> what to write instead (the rest of "PyTorch's Tensor.<name> ...")
TORCH_METHODS = {
    "resize": "is t.reshape(...) here (a new tensor)",
    "resize_": "is t.reshape(...) here (a new tensor: t = t.reshape(...))",
    # also torch.bfloat16, the dtype: a CPU course's `torch.autocast("cpu", dtype=torch.bfloat16)`
    # stops on this name before autocast can say what to write, so this says it
    "bfloat16": ("has no counterpart here: numpy has no bfloat16 (t.half() is float16); for "
                 "torch.autocast('cpu', dtype=torch.bfloat16) leave autocast out: glassgrad has "
                 "no mixed precision (every op computes in its inputs' dtype), so write "
                 "contextlib.nullcontext() in its place"),
    "share_memory_": ("has no counterpart here: a tensor's numbers are a numpy array in this "
                      "process's memory, which other processes do not share (no Hogwild "
                      "training of shared parameters)"),
    **dict.fromkeys(("to_sparse", "to_sparse_coo", "to_sparse_csr"), "is " + SPARSE),
}


#: PyTorch's in-place methods whose new-tensor form glassgrad has but not the in-place one
#: (t.exp_() -> t = t.exp()); none now: autograd/tensor_in_place_functions.py makes them all
IN_PLACE: list = []


class NotInGlassgrad:
    """A PyTorch Tensor method that glassgrad lacks or spells otherwise, as a class attribute
    that raises when read: the AttributeError names it and says what to write instead.

    A class attribute rather than a `Tensor.__getattr__`, which would cost every Tensor
    attribute lookup (measured, CPython 3.11: x.shape, .data, .grad 30 ns more each, as the
    interpreter's specialised attribute loads do not apply to such a class, and a lookup of
    an unset slot, e.g. `_a` of a leaf in `graph.constant_kind`, 0.8 µs more: a constant
    x + y took 2.2 -> 3.7 µs). Here nothing changes for the other attributes. For Python the
    name is still missing: `hasattr(t, "resize_")` is False."""

    __slots__ = ("name", "hint")

    def __init__(self, name: str, hint: str) -> None:
        self.name, self.hint = name, hint

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:                     # read on the class (Tensor.add): this marker
            return self
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute {self.name!r}; "
                             f"PyTorch's Tensor.{self.name} {self.hint}")

    def __repr__(self) -> str:
        return f"<PyTorch's Tensor.{self.name}, not in glassgrad: {self.hint}>"


def refuse_out(name: str, out: Any) -> None:
    """PyTorch's `out=` (torch.matmul(a, b, out=y) writes into y), refused with what to write:
    every op here makes a new Tensor.

    >>> refuse_out("torch.matmul", object())     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: torch.matmul: out= is not supported (a Tensor op makes a new Tensor); write ...
    """
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (a Tensor op makes a new Tensor); "
                        f"write y = {name}(...), or y.copy_({name}(...)) to fill y itself")


def refuse_names(name: str, names: Any) -> None:
    """PyTorch's `names=` of a creator (torch.randn(3, 5, names=['rows', 'columns'])),
    refused with what to write: glassgrad's tensors have no named axes.

    >>> refuse_names("randn", ["rows"])     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: randn: names=['rows'] asks for a named tensor, which has no counterpart here: ...
    """
    if names is not None:
        raise TypeError(f"{name}: names={names!r} asks for a named tensor, which {NAMED}")


def type_name(value: Any) -> str:
    """The name of `value`'s class for an error message: with its package when it is not
    glassgrad's or Python's own, so that a torch tensor passed by mistake is not called a
    Tensor in a message that asks for one.

    >>> type_name(3.0), type_name([])
    ('float', 'list')
    """
    kind = type(value)
    package = kind.__module__.partition(".")[0]
    if package in ("builtins", "autograd", "nn", "numpy"):
        return kind.__name__
    return f"{package}.{kind.__name__}"


def torch_function_refusal(func: Any) -> str:
    """What to write when one of PyTorch's own functions is given a glassgrad Tensor (PyTorch
    asks the Tensor's `__torch_function__`, which raises this). The usual cause is the lecture's
    `import torch.nn.functional as F` kept after `import autograd as torch`: Python's import
    finds PyTorch's package by its name, so F is PyTorch's, and PyTorch's own message would be
    "argument 'input' must be Tensor, not Tensor".

    >>> def cross_entropy(): pass
    >>> cross_entropy.__module__ = "torch.nn.functional"
    >>> torch_function_refusal(cross_entropy)     # doctest: +ELLIPSIS
    "PyTorch's torch.nn.functional.cross_entropy was given a glassgrad Tensor: ...import nn.functional as F..."
    """
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", None) or repr(func)
    qualname = getattr(func, "__qualname__", None) or name
    numbers = "to hand PyTorch the numbers instead: torch.as_tensor(t.detach().numpy())"
    if module in ("torch.nn.functional", "torch._C._nn"):
        return (f"PyTorch's torch.nn.functional.{name} was given a glassgrad Tensor: "
                f"`import torch.nn.functional as F` imports PyTorch's functions, also after "
                f"`import autograd as torch` (Python finds the package by its name); for "
                f"glassgrad's, write `import nn.functional as F` (F.{name}(...) as before); "
                f"{numbers}")
    if module.startswith("torch.nn."):
        place = module[len("torch."):]
        return (f"PyTorch's {module}.{name} was given a glassgrad Tensor: glassgrad's is "
                f"{place}.{name} (`import nn`); {numbers}")
    if qualname.startswith(("TensorBase.", "Tensor.")):
        return (f"PyTorch's Tensor.{name} was given a glassgrad Tensor: a torch tensor takes "
                f"glassgrad's numbers as torch.as_tensor(t.detach().numpy()) (a state_dict: "
                f"{{k: torch.as_tensor(v) for k, v in sd.items()}})")
    engine = sys.modules[__package__]           # autograd, whose torch.* it offers
    ours = f"autograd.{name}" if hasattr(engine, name) else None
    return (f"PyTorch's torch.{name} was given a glassgrad Tensor: glassgrad's functions take "
            f"glassgrad's Tensors (`import autograd as torch` instead of `import torch`"
            f"{', then torch.' + name + ' is ' + ours if ours else ''}); {numbers}")


#: what to write for PyTorch's Tensor methods that its code calls on `p.grad` and `p.data`,
#: which are numpy arrays here (see `note_numpy_attribute`)
ON_ARRAYS = {
    "zero_": ("for a gradient, p.grad = None (the next backward starts afresh; "
              "optimizer.zero_grad() clears them all); for numbers, p.data[...] = 0"),
    "fill_": "a[...] = value, or nn.init.constant_(p, value) for a parameter",
    "normal_": "nn.init.normal_(p, mean, std), or p.normal_(mean, std) on the parameter itself "
               "under no_grad()",
    "uniform_": "nn.init.uniform_(p, a, b), or p.uniform_(a, b) on the parameter under no_grad()",
    "copy_": "a[...] = numbers, or p.copy_(numbers) on the parameter under no_grad()",
    # hand-written SGD's p.data.sub_(lr * p.grad) (mul_, add_ and lerp_ below)
    "sub_": "numpy's in-place a -= x (p.data.sub_(lr * p.grad) is p.data -= lr * p.grad), or "
            "p.sub_(x) on the parameter under no_grad()",
    "div_": "numpy's in-place a /= x, or p.div_(x) on the parameter under no_grad()",
    # style transfer's and feature visualisation's img.data.clamp_(0, 1) after each step: the
    # Tensor's own clamp_ is refused there for an image that requires grad, outside no_grad()
    "clamp_": "np.clip(a, lo, hi, out=a) (img.data.clamp_(0, 1) is np.clip(img.data, 0, 1, "
              "out=img.data)), or img.clamp_(0, 1) on the tensor under no_grad()",
    "clamp": "np.clip(a, lo, hi) (a new array), or t.clamp(lo, hi) on a Tensor",
    "norm": "np.linalg.norm(a) (a number), or autograd.tensor(a).norm()",
    "abs": "np.abs(a) (w.data *= np.abs(w.data) >= 5 keeps the large weights)",
    "to": "p.detach() where PyTorch's code reads p.data as a tensor without history",
    "detach": "the array itself: it has no history",
    # PixelCNN's register_buffer("mask", self.weight.data.clone()), then mask.fill_(1): a
    # Tensor copy keeps the Tensor methods PyTorch's code goes on to call
    "clone": ("p.detach().clone() for a Tensor as PyTorch's p.data.clone() gives "
              "(register_buffer('mask', self.weight.detach().clone())), or a.copy() for an "
              "array"),
    "numpy": "the array itself",
    # a weight EMA by hand, ema_p.data.mul_(decay).add_(p.data, alpha=1 - decay) (and the RL
    # courses' Polyak step, p_targ.data.mul_(rho); p_targ.data.add_((1 - rho) * p.data)), and
    # SGD by hand, p.data.add_(p.grad, alpha=-lr): the Tensor's own methods under no_grad()
    **dict.fromkeys(("mul_", "lerp_"), (
        "on the Tensors under no_grad(), ema_p.mul_(decay).add_(p.detach(), alpha=1 - decay) "
        "or ema_p.lerp_(p.detach(), 1 - decay) (a weight EMA, or a target network's Polyak "
        "step), or numpy in place on the "
        "arrays, ema_p.data *= decay; ema_p.data += (1 - decay) * p.data")),
    "add_": ("on the Tensor under no_grad(), p.add_(p.grad, alpha=-lr) (a step by hand) or "
             "ema_p.mul_(decay).add_(p.detach(), alpha=1 - decay) (a weight EMA), or numpy in "
             "place on the array, p.data -= lr * p.grad"),
}


def note_numpy_attribute(error: BaseException) -> None:
    """Add a note to numpy's AttributeError for a PyTorch Tensor method called on an array,
    most often `p.grad` or `p.data` (numpy arrays here, Tensors in PyTorch): `p.grad.zero_()`,
    `w.data.normal_(0, 0.01)`. Called where such code runs and glassgrad sees the error pass
    (leaving `with no_grad():`, `Module.apply`, a module's forward); Python 3.11+ shows notes.

    >>> import numpy as np
    >>> try:
    ...     np.zeros(2).zero_()
    ... except AttributeError as err:
    ...     note_numpy_attribute(err)
    ...     print(getattr(err, "__notes__", ["glassgrad: a numpy array has no zero_;"])[0]
    ...           .split(";")[0])
    glassgrad: a numpy array has no zero_
    """
    name, obj = getattr(error, "name", None), getattr(error, "obj", None)
    if not (isinstance(error, AttributeError) and isinstance(obj, (np.ndarray, memoryview))
            and isinstance(name, str) and hasattr(error, "add_note")):
        return
    # what a Tensor has under that name: a method to call, an attribute to read (t.grad_fn),
    # PyTorch's name for what is spelt otherwise here (a marker with its hint), or nothing
    member = inspect.getattr_static(sys.modules[__package__].Tensor, name, None)
    if name in ON_ARRAYS:
        instead = ON_ARRAYS[name]
    elif isinstance(member, NotInGlassgrad):
        instead = f"a Tensor here has no {name} either (PyTorch's Tensor.{name} {member.hint})"
    elif callable(member) and isinstance(getattr(np, name, None), np.ufunc) \
            and getattr(np, name).nin == 1:
        # a gradient's sign, exp, ... (FGSM's x.grad.sign()): numpy's ufunc of that name, of
        # one array (np.where(x.grad), np.split(x.grad, 2) and the like mean other things)
        instead = (f"np.{name}(a) on the array (x.grad.{name}() is np.{name}(x.grad)), or "
                   f"t.{name}(...) on a Tensor")
    elif callable(member):
        instead = f"call t.{name}(...) on the Tensor itself, or numpy on the array"
    elif member is not None:
        instead = f"read t.{name} on the Tensor itself"
    elif name.endswith("_"):                # an in-place method of PyTorch's
        instead = f"a Tensor here has no {name} either; compute with numpy on the array"
    else:
        return
    if any(note.startswith("glassgrad:") for note in getattr(error, "__notes__", ())):
        return                              # (noted already, by an inner module)
    if isinstance(obj, memoryview):         # p.grad.data.zero_(): .data of the array
        error.add_note(f"glassgrad: a memoryview, numpy's .data of an array, has no {name}; "
                       f"p.grad and p.data are numpy arrays here, not Tensors as in PyTorch, "
                       f"so p.grad.data is p.grad: {instead}")
        return
    error.add_note(f"glassgrad: a numpy array has no {name}; p.grad and p.data are numpy "
                   f"arrays here, not Tensors as in PyTorch: {instead}")


def mark_pytorch_names(tensor_class: type) -> None:
    """Put a `NotInGlassgrad` marker on `tensor_class` for each PyTorch method it lacks."""
    # (dir() once: dir() of a class of ~1,000 names per name took 50-80 ms of the import)
    present = set(dir(tensor_class))
    for name, hint in {**TORCH_METHODS, **NAMED_METHODS}.items():
        if name not in present:             # (never in place of a method glassgrad has)
            setattr(tensor_class, name, NotInGlassgrad(name, hint))
            present.add(name)
    for name in IN_PLACE:
        base = name[:-1]
        if name not in present and callable(getattr(tensor_class, base, None)):
            setattr(tensor_class, name, NotInGlassgrad(name, (
                f"changes the tensor in place, which glassgrad does not do for {base}: write "
                f"t = t.{base}(...) (a new tensor; a parameter, under no_grad(): "
                f"p.copy_(p.{base}(...)))")))


# -- PyTorch's module functions and dtypes, for `import autograd as torch` ---------------------

#: PyTorch's module functions that are Tensor methods here: torch.exp(t) is t.exp(), and
#: torch.<name>(t, *args, **kwargs) is t.<name>(*args, **kwargs) for each of these names
METHOD_FUNCTIONS = """
    abs neg negative exp expm1 log log2 log10 log1p sqrt rsqrt reciprocal square sin cos tanh
    tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh
    erf erfc atan2 arctan2 hypot logaddexp lerp remainder fmod trunc fix frac xlogy logit exp2
    erfinv lgamma digamma mvlgamma sinc i0 deg2rad rad2deg copysign logaddexp2 float_power
    true_divide floor_divide heaviside nextafter signbit isneginf isposinf nan_to_num fmax fmin
    sigmoid relu sign floor ceil round pow clamp clip clamp_min clamp_max maximum minimum
    isnan isinf isfinite masked_fill
    eq ne lt le gt ge equal isclose allclose logical_and logical_or logical_xor logical_not
    sum mean amax amin argmax argmin prod cumsum cumprod norm logsumexp softmax log_softmax all
    any mm mv bmm dot outer diag diagonal trace
    reshape transpose swapaxes permute squeeze unsqueeze t flip roll split chunk unbind narrow
    clone gather index_select masked_select sort argsort topk repeat_interleave index_add
    scatter scatter_add scatter_reduce histogram
    median nanmedian quantile nanquantile kthvalue mode cummax cummin logcumsumexp nansum nanmean
    count_nonzero nonzero argwhere unique bincount take_along_dim rot90
    inverse det logdet slogdet cholesky cholesky_solve pinverse qr matrix_power cross histc
    add sub subtract mul multiply div divide positive absolute sgn greater greater_equal less
    less_equal not_equal addcmul addcdiv addmm addmv addr baddbmm addbmm inner vdot ger dist
    renorm cholesky_inverse swapdims movedim moveaxis ravel unflatten tile select take flipud
    fliplr msort aminmax tensor_split hsplit vsplit dsplit diag_embed adjoint resolve_conj
    resolve_neg is_conj is_complex is_floating_point index_copy index_fill index_put put
    masked_scatter get_device svd lu triangular_solve detach_ index_reduce as_strided
    unique_consecutive
    abs_ neg_ negative_ exp_ exp2_ expm1_ log_ log2_ log10_ log1p_ sqrt_ rsqrt_ square_
    reciprocal_ sigmoid_ relu_ tanh_ sin_ cos_ tan_ asin_ acos_ atan_ sinh_ cosh_ asinh_ acosh_
    atanh_ arcsin_ arccos_ arctan_ arcsinh_ arccosh_ arctanh_ erf_ erfc_ i0_ sinc_ logit_
    deg2rad_ rad2deg_ floor_ ceil_ round_ trunc_ fix_ frac_ nan_to_num_ clamp_min_ clamp_max_
    xlogy_ addmv_ index_put_""".split()

#: torch.float32, torch.long, ...: numpy's dtypes, which dtype= and .to(dtype) take
#: (torch.float is float32 and torch.int int32, as in PyTorch)
DTYPES = {name: np.dtype(dtype) for name, dtype in (
    ("float32", np.float32), ("float", np.float32), ("float64", np.float64),
    ("double", np.float64), ("float16", np.float16), ("half", np.float16),
    ("int64", np.int64), ("long", np.int64), ("int32", np.int32), ("int", np.int32),
    ("int16", np.int16), ("short", np.int16), ("int8", np.int8), ("uint8", np.uint8),
    ("bool", np.bool_))}

#: torch.pi, torch.inf, torch.finfo(dtype).eps, ...: PyTorch's module constants, here Python's
#: floats, and its dtype facts, numpy's finfo and iinfo (the dtypes being numpy's), as a
#: Gaussian's 0.5 * torch.log(2 * torch.pi * var) and a floor at torch.finfo(x.dtype).eps use
CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
             "finfo": np.finfo, "iinfo": np.iinfo,
             # a shape is numpy's tuple: dist.sample(torch.Size([100])) draws 100
             "Size": tuple}

#: PyTorch's old tensor class names, which t.type(name) takes: the dtype each stands for
TENSOR_TYPE_NAMES = {f"torch.{kind}Tensor": dtype for kind, dtype in (
    ("Float", "float32"), ("Double", "float64"), ("Half", "float16"), ("Long", "int64"),
    ("Int", "int32"), ("Short", "int16"), ("Char", "int8"), ("Byte", "uint8"),
    ("Bool", "bool"))}

#: dtype names that numpy and PyTorch read differently: refused rather than guessed
TWO_MEANINGS = {
    "float": "float64 to numpy but float32 to PyTorch (torch.float, t.float())",
    "int": "int64 to numpy but int32 to PyTorch (torch.int, t.int())",
}


def numpy_dtype(where: str, dtype: Any,
                expected: str = "dtype must be a numpy dtype (such as np.float32)") -> np.dtype:
    """A dtype argument as numpy's, the one reading of every `dtype=`, `.to(dtype)` and
    `astype`: a numpy dtype, type or name, Python's float, int or bool, or a torch dtype by
    its name (a script that uses torch beside glassgrad passes torch.float32: np.float32).
    The names "float" and "int" are refused (`TWO_MEANINGS`), as are dtypes a tensor cannot
    hold (complex, strings, torch.bfloat16).

    >>> numpy_dtype("zeros", "float32"), numpy_dtype("zeros", float)
    (dtype('float32'), dtype('float64'))
    >>> numpy_dtype("zeros", "float")
    Traceback (most recent call last):
    TypeError: zeros: 'float' is float64 to numpy but float32 to PyTorch (torch.float, t.float()); ...
    """
    given = dtype
    if isinstance(dtype, str) and dtype in TWO_MEANINGS:
        raise TypeError(f"{where}: {dtype!r} is {TWO_MEANINGS[dtype]}; name the size: "
                        f"np.{dtype}32 or np.{dtype}64")
    # (torch is never imported: its dtypes are known by their class, torch.dtype)
    from_torch = type(dtype).__name__ == "dtype" and type(dtype).__module__.startswith("torch")
    if from_torch:
        dtype = str(dtype).removeprefix("torch.")
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        if from_torch:
            raise TypeError(f"{where}: numpy has no {given} (glassgrad's dtypes are numpy's); "
                            f"use torch.float32 or torch.float64") from None
        raise TypeError(f"{where}: {expected}, got {given!r}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"{where}: glassgrad tensors hold bools, integers or floats, not "
                        f"{dtype}")
    return dtype


def module_functions(tensor_class: type) -> dict[str, Callable]:
    """PyTorch's module functions that are Tensor methods here, by name: each takes the tensor
    first (a number or an array is made one, a number in the dtype of a tensor beside it) and
    calls its method. max, min, var and std read PyTorch's arguments, where the methods are
    numpy's: `torch.max(x, 1)` gives (values, indices), `torch.max(x, y)` the larger elements,
    `torch.var(x)` divides by n - 1, and var_mean and std_mean give the pair. atleast_1d,
    atleast_2d and atleast_3d reshape (PyTorch's functions, not methods).

    >>> import autograd as torch
    >>> x = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> torch.exp(x).shape, torch.sum(x, dim=1).tolist(), torch.max(x, 1).indices.tolist()
    ((2, 2), [-1.0, 7.0], [0, 1])
    >>> torch.var(torch.tensor([1.0, 2.0, 3.0])).item()       # divided by n - 1
    1.0
    >>> [t.item() for t in torch.var_mean(torch.tensor([1.0, 3.0]), correction=0)]
    [1.0, 2.0]
    """
    def tensor(x: Any, beside: tuple) -> Any:
        if isinstance(x, tensor_class) or getattr(x, "_complex_pair", False):
            return x                        # (torch.abs(z) of a ComplexTensor: z.abs())
        other = beside[0] if beside else None
        return other._operand(x) if isinstance(other, tensor_class) else tensor_class(x)

    def forward(name: str) -> Callable:
        def function(input: Any, *args: Any, **kwargs: Any) -> Any:
            refuse_out(f"torch.{name}", kwargs.pop("out", None))
            if input is None and name in ("allclose", "isclose", "equal"):
                raise TypeError(f"{name}: {NONE_COMPARED}")    # (a .grad, most often)
            return getattr(tensor(input, args), name)(*args, **kwargs)
        return named(function, name, f"PyTorch's torch.{name}(t, ...): t.{name}(...) here.")

    def extreme(name: str, elementwise: str) -> Callable:
        def function(input: Any, dim: Any = None, keepdim: bool = False, *,
                     other: Any = None) -> Any:
            if isinstance(dim, tensor_class) or other is not None:   # torch.max(x, y)
                return getattr(tensor(input, (dim,)), elementwise)(other if dim is None else dim)
            if dim is None:
                return getattr(tensor(input, ()), name)()
            return getattr(tensor(input, ()), name)(dim=dim, keepdim=keepdim)
        return named(function, name, (
            f"PyTorch's torch.{name}: torch.{name}(t) is t.{name}(), torch.{name}(t, dim, "
            f"keepdim) is t.{name}(dim=dim, keepdim=keepdim) (values and indices), and "
            f"torch.{name}(t, u) is t.{elementwise}(u)."))

    def spread(name: str, with_mean: bool = False) -> Callable:
        def function(input: Any, dim: Any = None, unbiased: bool | None = None,
                     keepdim: bool = False, *, correction: Any = None) -> Any:
            if isinstance(dim, bool):                    # torch.var(x, False): unbiased
                dim, unbiased = None, dim
            if unbiased is not None and correction is not None:
                raise TypeError(f"{name}: got unbiased={unbiased!r} and correction="
                                f"{correction!r}; say the divisor once")
            if correction is None:
                correction = 1 if unbiased is None else int(unbiased)
            x = tensor(input, ())
            result = getattr(x, name)(dim=dim, keepdim=keepdim, correction=correction)
            return (result, x.mean(dim, keepdims=keepdim)) if with_mean else result
        call = (f"t.{name}(dim=dim, keepdim=keepdim, correction=correction)" if not with_mean
                else f"(t.{name}(dim=dim, keepdim=keepdim, correction=correction), "
                     f"t.mean(dim, keepdims=keepdim))")
        return named(function, name + "_mean" * with_mean, (
            f"PyTorch's torch.{name}{'_mean' * with_mean}(t, dim, unbiased, keepdim, *, "
            f"correction): {call}, dividing by n - correction (n - 1 unless told, as in "
            f"PyTorch; the method is numpy's)."))

    def polygamma(n: int, input: Any) -> Any:
        return tensor(input, ()).polygamma(n)

    # where a tensor of fewer axes goes in the wider shape: numpy's (and PyTorch's) choice,
    # a 1-d (n,) becoming (1, n) and (1, n, 1), a 2-d (m, n) becoming (m, n, 1)
    wider = {1: {0: lambda s: (1,)},
             2: {0: lambda s: (1, 1), 1: lambda s: (1, *s)},
             3: {0: lambda s: (1, 1, 1), 1: lambda s: (1, *s, 1), 2: lambda s: (*s, 1)}}

    def at_least(ndim: int) -> Callable:
        def function(*tensors: Any) -> Any:
            single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
            if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
                tensors = tuple(tensors[0])             # torch.atleast_2d([x, y]): a tuple
            out = []
            for t in tensors:
                t = tensor(t, ())
                out.append(t if t.ndim >= ndim else t.reshape(wider[ndim][t.ndim](t.shape)))
            return out[0] if single else tuple(out)
        return named(function, f"atleast_{ndim}d", (
            f"PyTorch's torch.atleast_{ndim}d(*tensors): each tensor with at least {ndim} "
            f"axes (a reshape, differentiable; one with as many is returned as it is), one "
            f"tensor for one, a tuple for several or for a list."))

    def named(function: Callable, name: str, doc: str) -> Callable:
        function.__name__ = function.__qualname__ = name
        function.__doc__ = doc
        return function

    functions = {name: forward(name) for name in METHOD_FUNCTIONS}
    from .arrays import pdist               # (a function, not a method; arrays imports tensor)
    functions["pdist"] = pdist
    functions.update(max=extreme("max", "maximum"), min=extreme("min", "minimum"),
                     var=spread("var"), std=spread("std"),
                     var_mean=spread("var", with_mean=True), std_mean=spread("std", with_mean=True),
                     atleast_1d=at_least(1), atleast_2d=at_least(2), atleast_3d=at_least(3),
                     polygamma=named(polygamma, "polygamma", (
                         "PyTorch's torch.polygamma(n, t), n first: t.polygamma(n) here.")))
    return functions
