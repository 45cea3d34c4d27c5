"""PyTorch's module functions after `import autograd as torch`: those that are Tensor methods
here (torch.exp(x) is x.exp()) and its dtypes (torch.long is int64). Each function gives its
method's numbers and gradients, checked against live PyTorch for every name; max, min, var and
std read PyTorch's arguments (its divisor n - 1, its (values, indices))."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd as torch_like
from autograd import Tensor, gradcheck
from autograd.pytorch_names import DTYPES, METHOD_FUNCTIONS, TORCH_METHODS
from conftest import t64
from torch_helpers import needs_torch, same_as_torch, torch

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]])
P = np.array([[0.3, 1.2, 2.5], [0.9, 0.4, 1.7]])        # positive: log, sqrt, pow
B = np.arange(24.0).reshape(2, 3, 4) / 10 - 1

# name -> (args after the tensor, input): one call of each forwarded differentiable function
CALLS = {
    "abs": ((), X), "neg": ((), X), "negative": ((), X), "exp": ((), X), "expm1": ((), X),
    "log": ((), P), "log2": ((), P), "log10": ((), P), "log1p": ((), P), "sqrt": ((), P),
    "rsqrt": ((), P), "reciprocal": ((), P), "square": ((), X), "sin": ((), X),
    "cos": ((), X), "tanh": ((), X), "sigmoid": ((), X), "relu": ((), X), "pow": ((3,), X),
    "clamp": ((-1.0, 1.0), X), "clip": ((-1.0, 1.0), X), "clamp_min": ((0.1,), X),
    "clamp_max": ((0.1,), X), "sum": ((1,), X), "mean": ((0,), X), "amax": ((1,), X),
    "amin": ((0,), X), "prod": ((1,), X), "cumsum": ((1,), X), "diff": ((), X),
    "norm": ((), X),
    "logsumexp": ((1,), X), "softmax": ((1,), X), "log_softmax": ((0,), X),
    "reshape": (((3, 2),), X), "transpose": ((0, 1),), "swapaxes": ((0, 1),),
    "permute": (((1, 0),),), "squeeze": ((),), "unsqueeze": ((1,),), "t": ((),),
    "flip": (((1,),),), "roll": ((1, 1),), "narrow": ((1, 1, 2),), "clone": ((),),
    "gather": ((1, np.array([[2, 0], [1, 1]])),), "index_select": ((1, np.array([2, 0, 2])),),
    "masked_select": ((X > 0,),), "masked_fill": ((X > 1, 0.0),),
    "repeat_interleave": ((2, 1),),
}
for name, call in CALLS.items():
    if len(call) == 1:
        CALLS[name] = (call[0], X)


@needs_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_function_is_pytorch_s(name, rng):
    """Values and gradients, against the same torch function on the same float64 numbers."""
    args, x = CALLS[name]

    def f(t):
        if isinstance(t, torch.Tensor):
            return getattr(torch, name)(t, *[torch.tensor(a) if isinstance(a, np.ndarray)
                                            else a for a in args])
        return getattr(torch_like, name)(t, *args)
    same_as_torch(f, x, rng=rng)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_function_is_the_method_and_gradchecks(name):
    args, x = CALLS[name]
    np.testing.assert_array_equal(getattr(autograd, name)(t64(x), *args).data,
                                  getattr(t64(x), name)(*args).data)
    assert gradcheck(lambda t: getattr(autograd, name)(t, *args), t64(x))


@needs_torch
@pytest.mark.parametrize("name, args", [
    ("mm", (X, X.T)), ("mv", (X, np.array([1.0, -2.0, 0.5]))), ("bmm", (B, B.swapaxes(1, 2))),
    ("dot", (X[0], X[1])), ("outer", (X[0], X[1])), ("maximum", (X, X[::-1].copy())),
    ("minimum", (X, X[::-1].copy())), ("max", (X, X[::-1].copy())), ("min", (X, X[::-1].copy())),
    ("index_add", (X, 1, np.array([2, 2]), X[:, :2])),
    ("scatter_add", (X, 1, np.array([[2, 2, 0], [1, 0, 0]]), X[::-1].copy())),
    ("scatter", (X, 1, np.array([[2, 0, 1], [1, 0, 2]]), X[::-1].copy())),
])
def test_functions_of_two_tensors_are_pytorch_s(name, args, rng):
    """Batch-1 shapes too: bmm of a batch of one."""
    floats = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

    def f(*ts):
        full = list(args)
        for i, t in zip(floats, ts):
            full[i] = t
        if isinstance(ts[0], torch.Tensor):
            full = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in full]
            return getattr(torch, name)(*full)
        return getattr(torch_like, name)(*full)
    same_as_torch(f, *[args[i] for i in floats], rng=rng)
    if name == "bmm":
        same_as_torch(lambda a, b: (torch if isinstance(a, torch.Tensor) else torch_like).bmm(
            a, b), B[:1], B[:1].swapaxes(1, 2), rng=rng)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda m, x: m.max(x), lambda m, x: m.max(x, 1), lambda m, x: m.max(x, 0, True),
    lambda m, x: m.min(x, dim=1), lambda m, x: m.min(x, 1, keepdim=True),
    lambda m, x: m.var(x), lambda m, x: m.var(x, 1), lambda m, x: m.var(x, 0, False),
    lambda m, x: m.var(x, False), lambda m, x: m.std(x, dim=1, keepdim=True),
    lambda m, x: m.std(x, 1, correction=0), lambda m, x: m.std(x, (0, 1), True, True),
    lambda m, x: m.argmax(x, 1), lambda m, x: m.argmin(x, dim=0, keepdim=True),
    lambda m, x: m.sort(x, 1, True), lambda m, x: m.topk(x, 2, 1),
    lambda m, x: m.argsort(x, dim=0), lambda m, x: m.all(x > 0, 1), lambda m, x: m.any(x > 1),
    lambda m, x: m.split(x, 2, 1), lambda m, x: m.chunk(x, 2, 0), lambda m, x: m.unbind(x, 1),
    lambda m, x: m.eq(x, 0.5), lambda m, x: m.gt(x, x.flip(0)), lambda m, x: m.isnan(x),
    lambda m, x: m.isclose(x, x + 1e-9), lambda m, x: m.allclose(x, x + 1e-3),
    lambda m, x: m.equal(x, x), lambda m, x: m.logical_not(x > 0), lambda m, x: m.sign(x),
    lambda m, x: m.round(x), lambda m, x: m.floor(x), lambda m, x: m.pow(2, x),
])
def test_the_forms_pytorch_scripts_write_give_pytorch_s_results(call):
    """torch.max(x, 1) is (values, indices), torch.var(x) divides by n - 1, ... (a positional
    dim means PyTorch's here, where the methods are numpy's)."""
    ours, theirs = call(torch_like, t64(X, False)), call(torch, torch.tensor(X))
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, bool):
            assert a is b
        else:
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-12)
            assert a.shape == tuple(b.shape)


def test_var_says_its_divisor_once():
    with pytest.raises(TypeError, match=r"var: got unbiased=True and correction=0; say the "
                                        r"divisor once"):
        torch_like.var(t64(X), 1, True, correction=0)


def test_out_is_refused_saying_what_to_write():
    """The Tensors tutorial's torch.matmul(t, t.T, out=y3) met Python's bare "matmul() got an
    unexpected keyword argument 'out'" (torch.exp(x, out=y) too): every op makes a new Tensor."""
    t, y = Tensor(np.ones((2, 2))), Tensor(np.zeros((2, 2)))
    for call, name in ((lambda: torch_like.matmul(t, t.T, out=y), "matmul"),
                       (lambda: torch_like.exp(t, out=y), "torch.exp"),
                       (lambda: torch_like.sum(t, 1, out=y), "torch.sum")):
        with pytest.raises(TypeError, match=rf"^{name}: out= is not supported \(a Tensor op makes "
                                            rf"a new Tensor\); write y = {name}\(...\), or "
                                            rf"y.copy_\({name}\(...\)\) to fill y itself$"):
            call()
    assert y.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert torch_like.exp(t, out=None).tolist() == np.exp(np.ones((2, 2))).tolist()
    assert y.copy_(torch_like.matmul(t, t.T)).tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_the_functions_take_numbers_and_arrays_beside_a_tensor():
    """torch.pow(2, x): a number beside a tensor takes its dtype, as the operators do."""
    x = Tensor([1.0, 2.0])
    assert torch_like.pow(2, x).tolist() == [2.0, 4.0] and torch_like.pow(2, x).dtype == x.dtype
    assert torch_like.exp(np.zeros(2)).tolist() == [1.0, 1.0]
    assert torch_like.maximum(0.5, x).tolist() == [1.0, 2.0]


def test_dtypes_are_numpy_s_and_work_where_dtypes_go():
    assert torch_like.float32 == np.float32 and torch_like.float == np.float32
    assert torch_like.long == torch_like.int64 == np.int64 and torch_like.int == np.int32
    assert torch_like.double == np.float64 and torch_like.half == np.float16
    assert torch_like.bool == np.bool_
    assert torch_like.zeros(2, dtype=torch_like.long).dtype == np.int64
    assert Tensor([1.0]).to(torch_like.float64).dtype == np.float64
    assert torch_like.ones(2, 2, dtype=torch_like.bool).tril().dtype == np.bool_
    assert Tensor([1, 2], dtype=torch_like.float16).dtype == np.float16


def test_the_names_are_attributes_but_not_in___all__():
    """`from autograd import *` must not hide Python's sum, max, abs, round, bool, ..."""
    from autograd import exp, float32, sum  # noqa: F401  (from-import reads __getattr__)
    assert sum(Tensor([1.0, 2.0])).item() == 3.0
    names = set(METHOD_FUNCTIONS) | {"max", "min", "var", "std"} | set(DTYPES)
    assert not names & set(autograd.__all__)
    assert not names & set(vars(autograd)), "a module global would shadow the function"
    assert names <= set(dir(autograd))
    assert "exp" in torch_like.exp.__doc__ and "t.exp(...)" in torch_like.exp.__doc__


def test_every_forwarded_name_is_a_tensor_method():
    for name in list(METHOD_FUNCTIONS) + ["max", "min", "var", "std"]:
        assert callable(getattr(Tensor, name)), name
        assert name not in TORCH_METHODS, name


@needs_torch
def test_every_function_and_dtype_is_pytorch_s():
    names = list(METHOD_FUNCTIONS) + list(DTYPES) + ["max", "min", "var", "std"]
    assert [n for n in names if not hasattr(torch, n)] == []
    for name, dtype in DTYPES.items():
        assert torch.tensor([1]).to(getattr(torch, name)).numpy().dtype == dtype, name


def test_every_module_hint_names_a_name_glassgrad_lacks():
    """A hint for a name that exists would never be shown (a stale entry)."""
    for name in autograd._SPELT_OTHERWISE:
        with pytest.raises(AttributeError, match=rf"PyTorch's torch\.{name} "):
            getattr(autograd, name)
