"""Random small programs of Tensor ops, run by glassgrad and by PyTorch on the same numbers.

A program is a start shape and a list of steps; each step is a plain tuple `(op, *settings)`
drawn for the shape the previous step left (so every program is valid), and `run` interprets
it with either library. Operands a step needs (a broadcast partner, a matmul right side, an
index array) are drawn with it and live in `Program.inputs`, so both libraries see the same
numbers. `compare` checks the forward values, the first-order gradients of a random weighted
sum, and the second-order ones (the gradients' own weighted sum, differentiated again), plus
the result's dtype.

Domains keep finite differences of no concern here, but keep both libraries on the same
branch: log, sqrt and fractional powers act on x² + 0.5, divisors are at least 0.3 away from 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from nn import functional as F

# ----------------------------------------------------------------------------------------------
# The two libraries behind one small interface
# ----------------------------------------------------------------------------------------------


class Glass:
    """glassgrad's spelling of what the steps need."""

    name = "glassgrad"

    @staticmethod
    def tensor(array: np.ndarray, requires_grad: bool) -> Tensor:
        return Tensor(array, requires_grad=requires_grad)

    where, cat, stack = autograd.where, autograd.concatenate, autograd.stack
    F = F

    @staticmethod
    def clip(x, low, high):
        return x.clip(low, high)

    @staticmethod
    def extreme(x, name, dim, keepdim):
        if isinstance(dim, int):
            return getattr(x, name)(dim=dim, keepdim=keepdim).values
        return getattr(x, name)(axis=dim, keepdims=keepdim)

    @staticmethod
    def logsumexp(x, dim, keepdim):
        return x.logsumexp(axis=dim, keepdims=keepdim)

    @staticmethod
    def var(x, dim, keepdim, ddof):
        return x.var(axis=dim, keepdims=keepdim, ddof=ddof)

    @staticmethod
    def take(x, index):
        return x[index]

    @staticmethod
    def numpy(t) -> np.ndarray:
        return np.asarray(t.data)

    @staticmethod
    def grads(total, inputs, create_graph):
        """d total / d input for each input (None where no gradient arrives)."""
        for x in inputs:
            x.grad = None
        total.backward(create_graph=create_graph)
        return [x.grad for x in inputs]


class Torch:
    """PyTorch's spelling; negative-step slices (which torch refuses) become index_select."""

    name = "torch"

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.F = torch.nn.functional
        self.where, self.cat, self.stack = torch.where, torch.cat, torch.stack

    def tensor(self, array: np.ndarray, requires_grad: bool):
        return self.torch.tensor(array, requires_grad=requires_grad)

    def clip(self, x, low, high):
        return x.clamp(low, high)

    def extreme(self, x, name, dim, keepdim):
        if dim is None:
            out = getattr(x, name)()
            return out.reshape((1,) * x.ndim) if keepdim else out
        if isinstance(dim, int):
            return getattr(x, name)(dim=dim, keepdim=keepdim).values
        return getattr(x, "a" + name)(dim=dim, keepdim=keepdim)

    def logsumexp(self, x, dim, keepdim):
        dims = tuple(range(x.ndim)) if dim is None else dim
        return x.logsumexp(dim=dims, keepdim=keepdim) if x.ndim else x.clone()

    def var(self, x, dim, keepdim, ddof):
        return x.var(dim=dim, keepdim=keepdim, correction=ddof)

    def take(self, x, index):
        index = index if isinstance(index, tuple) else (index,)
        plain = []
        for axis, part in enumerate(index):
            if isinstance(part, slice) and part.step is not None and part.step < 0:
                picks = np.arange(x.shape[axis])[part].copy()
                x = x.index_select(axis, self.torch.tensor(picks))
                part = slice(None)
            plain.append(self.torch.tensor(part) if isinstance(part, np.ndarray) else part)
        return x[tuple(plain)]

    @staticmethod
    def numpy(t) -> np.ndarray:
        # PyTorch 2.13 answers some second derivatives (abs's) with a "ZeroTensor", which
        # numpy() refuses and numpy(force=True) crashes on (a segmentation fault)
        if t._is_zerotensor():
            return np.zeros(tuple(t.shape), dtype=str(t.dtype).replace("torch.", ""))
        return t.detach().numpy()

    def grads(self, total, inputs, create_graph):
        if not total.requires_grad:
            return [None] * len(inputs)
        return list(self.torch.autograd.grad(total, inputs, create_graph=create_graph,
                                             allow_unused=True))


# ----------------------------------------------------------------------------------------------
# Steps: each is drawn for the current shape and says what shape it leaves
# ----------------------------------------------------------------------------------------------

UNARY = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos", "neg")
# (no bool: PyTorch refuses True - x, glassgrad and numpy take True as 1)
SCALARS = (2, -3, 0.5, 1.5, np.float64(0.75), np.int64(2), np.float32(1.25), np.int32(3))


@dataclasses.dataclass
class Program:
    shape: tuple
    steps: list
    inputs: list          # arrays: inputs[0] is x, the others are operands steps refer to


def broadcast_partner(draw, shape: tuple) -> tuple:
    """A shape that broadcasts with `shape`: some dims 1, maybe fewer or more dims."""
    dims = [draw(st.sampled_from([n, 1])) for n in shape]
    drop = draw(st.integers(0, len(dims)))
    dims = dims[drop:]
    extra = draw(st.lists(st.integers(1, 2), max_size=0 if drop else max(0, 3 - len(shape))))
    return tuple(extra) + tuple(dims)


def axis_choice(draw, ndim: int):
    """None, one axis (maybe negative) or a tuple of distinct axes."""
    if ndim == 0:
        return None          # PyTorch also takes dim 0 or -1 of a 0-d tensor, numpy does not
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


def reduced_shape(shape: tuple, dim, keepdim: bool) -> tuple:
    if dim is None:
        return (1,) * len(shape) if keepdim else ()
    axes = {d % max(len(shape), 1) for d in (dim if isinstance(dim, tuple) else (dim,))}
    if not shape:
        return ()
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keepdim or i not in axes)


def index_for(draw, shape: tuple, rng: np.random.Generator):
    """A basic, integer-array or boolean-mask index of a tensor of `shape` (never empty)."""
    kind = draw(st.sampled_from(["basic", "basic", "array", "mask"]))
    if kind == "mask":
        mask = rng.random(shape) < 0.6
        mask.flat[0] = True
        return mask
    parts = []
    arrays = 0
    for n in shape[:draw(st.integers(1, len(shape)))]:
        choice = draw(st.sampled_from(["int", "slice", "slice", "array"]))
        if choice == "int" and kind != "array":
            # (an int beside an integer array is an advanced index in numpy, a basic one in
            # PyTorch: x[0, :, [1]] has shape (1, n) in glassgrad, (n, 1) in PyTorch)
            parts.append(draw(st.integers(-n, n - 1)))
        elif choice == "array" and kind == "array" and arrays < 2:
            arrays += 1
            parts.append(rng.integers(-n, n, size=draw(st.integers(1, 3))))
        else:
            step = draw(st.sampled_from([1, 2, -1, -2, None]))
            start = draw(st.sampled_from([None, 0, -1, 1]))
            sl = slice(start, None, step)
            if not len(range(n)[sl]):
                sl = slice(None, None, step)
            parts.append(sl)
    if arrays == 2:                     # two arrays broadcast together: give them one length
        size = max(len(p) for p in parts if isinstance(p, np.ndarray))
        parts = [np.resize(p, size) if isinstance(p, np.ndarray) else p for p in parts]
    return tuple(parts)


def shape_after_index(shape: tuple, index) -> tuple:
    return np.zeros(shape)[index].shape


@st.composite
def programs(draw, max_steps: int = 4, max_dims: int = 3) -> Program:
    """A start shape (0-d, size-1 and batch-1 dims included) and up to `max_steps` steps."""
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=max_dims)))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    # on a grid of halves there are ties and zeros: the kinks' conventions get compared too
    grid = draw(st.booleans())

    def real(s: tuple) -> np.ndarray:
        return rng.integers(-4, 5, s) / 2 if grid else rng.uniform(-2, 2, s)

    inputs = [real(shape)]

    def operand(s: tuple, nonzero: bool = False) -> int:
        values = rng.uniform(0.3, 2, s) * rng.choice([-1, 1], s) if nonzero else real(s)
        inputs.append(np.asarray(values))
        return len(inputs) - 1

    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        ndim = len(shape)
        menu = ["unary", "leaky_relu", "gelu", "clip", "pow", "rpow", "scalar", "binary",
                "maximum", "where", "pow_tensor", "reduce", "var", "cat"]
        if ndim:
            menu += ["softmax", "matmul", "reshape", "transpose", "index", "unsqueeze"]
        if 1 in shape:
            menu.append("squeeze")
        op = draw(st.sampled_from(menu))
        if op == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY))))
        elif op == "leaky_relu":
            steps.append(("leaky_relu", draw(st.sampled_from([0.01, 0.2, 0.0, 1.5]))))
        elif op == "gelu":
            steps.append(("gelu", draw(st.sampled_from(["none", "tanh"]))))
        elif op == "clip":
            low, high = draw(st.sampled_from([(-0.5, 0.8), (None, 0.3), (-0.2, None), (0, 1)]))
            steps.append(("clip", low, high))
        elif op == "pow":
            steps.append(("pow", draw(st.sampled_from([2, 3, -1, -2, 0, 1, 0.5, 1.5, -0.5,
                                                        2.0, 3.0]))))
        elif op == "rpow":
            steps.append(("rpow", draw(st.sampled_from([2.0, 0.5, 3, np.float64(1.5)]))))
        elif op == "scalar":
            steps.append(("scalar", draw(st.sampled_from("+-*/")), draw(st.sampled_from(SCALARS)),
                          draw(st.booleans())))
        elif op in ("binary", "maximum", "where", "pow_tensor"):
            partner = broadcast_partner(draw, shape)
            symbol = draw(st.sampled_from("+-*/")) if op == "binary" else op
            if op == "maximum":
                symbol = draw(st.sampled_from(["maximum", "minimum"]))
            # (PyTorch's second derivative of b ** y is wrong where y == 0: no zero exponents)
            j = operand(partner, nonzero=symbol in ("/", "pow_tensor"))
            steps.append(("binary", symbol, j, draw(st.booleans())))
            shape = np.broadcast_shapes(shape, partner)
        elif op == "reduce":
            name = draw(st.sampled_from(["sum", "mean", "max", "min", "logsumexp"]))
            dim, keepdim = axis_choice(draw, ndim), draw(st.booleans())
            steps.append(("reduce", name, dim, keepdim))
            shape = reduced_shape(shape, dim, keepdim)
        elif op == "var":
            dim = draw(st.sampled_from([None] + list(range(-ndim, ndim))))

            keepdim, ddof = draw(st.booleans()), draw(st.sampled_from([0, 1]))
            count = int(np.prod(shape)) if dim is None else shape[dim]
            if count <= ddof:
                ddof = 0
            steps.append(("var", dim, keepdim, ddof))
            shape = reduced_shape(shape, dim, keepdim)
        elif op == "cat":
            if ndim == 0:
                j = operand(shape)
                steps.append(("stack", j, 0))
                shape = (2,)
            else:
                axis = draw(st.integers(-ndim, ndim - 1))
                stack = draw(st.booleans())
                j = operand(shape)
                if stack:
                    axis = draw(st.integers(-ndim - 1, ndim))
                    steps.append(("stack", j, axis))
                    shape = shape[:axis % (ndim + 1)] + (2,) + shape[axis % (ndim + 1):]
                else:
                    steps.append(("cat", j, axis))
                    shape = tuple(2 * n if i == axis % ndim else n for i, n in enumerate(shape))
        elif op == "softmax":
            steps.append((draw(st.sampled_from(["softmax", "log_softmax"])),
                          draw(st.integers(-ndim, ndim - 1))))
        elif op == "matmul":
            n = shape[-1]
            k = draw(st.integers(1, 3))
            right = draw(st.sampled_from(["vector", "matrix", "batched"]))
            if right == "vector":
                other = (n,)
            elif right == "matrix":
                other = (n, k)
            else:
                other = (draw(st.sampled_from([1, shape[-3] if ndim >= 3 else 2])), n, k)
            j = operand(other)
            steps.append(("matmul", j))
            shape = np.matmul(np.zeros(shape), np.zeros(other)).shape
        elif op == "reshape":
            size = int(np.prod(shape))
            target = draw(st.sampled_from(["flat", "split", "ones"]))
            if target == "flat":
                new = (-1,)
            elif target == "ones":
                new = (1, size, 1)
            else:
                first = draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
                new = (first, -1)
            steps.append(("reshape", new))
            shape = np.zeros(shape).reshape(new).shape
        elif op == "transpose":
            if draw(st.booleans()):
                perm = tuple(draw(st.permutations(range(ndim))))
                steps.append(("permute", perm))
                shape = tuple(shape[p] for p in perm)
            else:
                a, b = draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1))
                steps.append(("swap", a, b))
                s = list(shape)
                s[a], s[b] = s[b], s[a]
                shape = tuple(s)
        elif op == "index":
            index = index_for(draw, shape, rng)
            steps.append(("index", index))
            shape = shape_after_index(shape, index)
        elif op == "unsqueeze":
            d = draw(st.integers(-ndim - 1, ndim))
            steps.append(("unsqueeze", d))
            shape = np.expand_dims(np.zeros(shape), d).shape
        elif op == "squeeze":
            d = draw(st.sampled_from([i for i, n in enumerate(shape) if n == 1]))
            steps.append(("squeeze", d))
            shape = shape[:d] + shape[d + 1:]
        if int(np.prod(shape)) == 0 or len(shape) > 4 or int(np.prod(shape)) > 200:
            break
    return Program(tuple(inputs[0].shape), steps, inputs)


# ----------------------------------------------------------------------------------------------
# Running a program
# ----------------------------------------------------------------------------------------------

def _positive(x):
    return x * x + 0.5


def step(lib: Any, x: Any, s: tuple, operands: list) -> Any:
    op = s[0]
    if op == "unary":
        name = s[1]
        if name == "neg":
            return -x
        if name in ("log", "sqrt"):
            return getattr(_positive(x), name)()
        return getattr(x, name)()
    if op == "leaky_relu":
        return lib.F.leaky_relu(x, s[1])
    if op == "gelu":
        # (below -5 PyTorch's exact gelu loses digits to 1 + erf(x/√2); glassgrad's erfc keeps
        # them: gelu(-6.17) differs in the 8th digit)
        return lib.F.gelu(lib.clip(x, -5, None) if s[1] == "none" else x, approximate=s[1])
    if op == "clip":
        return lib.clip(x, s[1], s[2])
    if op == "pow":
        e = s[1]
        base = _positive(x) if isinstance(e, float) and e != int(e) else x
        return base ** e
    if op == "rpow":
        return s[1] ** x
    if op == "scalar":
        _, symbol, c, scalar_first = s
        if symbol == "/" and scalar_first:
            x = _positive(x)
        if symbol == "/" and not scalar_first and c == 0:
            c = 2
        a, b = (c, x) if scalar_first else (x, c)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b}[symbol]()
    if op == "binary":
        _, symbol, j, operand_first = s
        y = operands[j]
        if symbol == "/":
            return x / y if not operand_first else y / _positive(x)
        if symbol == "where":
            return lib.where(x > 0, x, y) if not operand_first else lib.where(y > 0, y, x)
        if symbol == "pow_tensor":
            return _positive(x) ** y if not operand_first else _positive(y) ** (x + 0.25)
        if symbol in ("maximum", "minimum"):
            a, b = (y, x) if operand_first else (x, y)
            return getattr(a, symbol)(b)
        a, b = (y, x) if operand_first else (x, y)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b}[symbol]()
    if op == "reduce":
        _, name, dim, keepdim = s
        if name in ("max", "min"):
            return lib.extreme(x, name, dim, keepdim)
        if name == "logsumexp":
            return lib.logsumexp(x, dim, keepdim)
        if lib.name == "torch" and dim is None:
            out = getattr(x, name)()
            return out.reshape((1,) * x.ndim) if keepdim else out
        return getattr(x, name)(dim=dim, keepdim=keepdim)
    if op == "var":
        return lib.var(x, s[1], s[2], s[3])
    if op == "cat":
        return lib.cat([x, operands[s[1]]], dim=s[2])
    if op == "stack":
        return lib.stack([x, operands[s[1]]], dim=s[2])
    if op in ("softmax", "log_softmax"):
        return getattr(x, op)(dim=s[1])
    if op == "matmul":
        return x @ operands[s[1]]
    if op == "reshape":
        return x.reshape(s[1])
    if op == "permute":
        return x.permute(*s[1])
    if op == "swap":
        return x.transpose(s[1], s[2]) if lib.name == "torch" else x.swapaxes(s[1], s[2])
    if op == "index":
        return lib.take(x, s[1])
    if op == "unsqueeze":
        return x.unsqueeze(s[1])
    if op == "squeeze":
        return x.squeeze(s[1])
    raise AssertionError(op)


def run(lib: Any, program: Program, leaves: list, extras: dict) -> Any:
    """The program's output from its inputs (the leaves)."""
    x = leaves[0]
    for s in program.steps:
        x = step(lib, x, s, leaves)
    return x


def derivatives(lib: Any, program: Any, dtype: Any, second: bool, inputs: Any = None,
                build: Any = run) -> dict:
    """Forward value, gradients of Σ w·out, and gradients of Σ v·grad (if `second`), of
    `build(lib, program, leaves, extras)` for leaves made from `inputs` (default: the
    program's), all requiring grad; `extras` are arrays build hands back to compare too."""
    arrays = program.inputs if inputs is None else inputs
    leaves = [lib.tensor(np.asarray(a, dtype=dtype), True) for a in arrays]
    extras: dict = {}
    out = build(lib, program, leaves, extras)
    rng = np.random.default_rng(len(arrays) + 7)
    w = lib.tensor(rng.uniform(-1, 1, out.shape).astype(dtype), False)
    results = {"out": lib.numpy(out), "dtype": str(lib.numpy(out).dtype)}
    results.update({name: np.array(lib.numpy(a) if lib.name == "torch" else a)
                    for name, a in extras.items()})
    first = lib.grads((out * w).sum(), leaves, create_graph=second)
    for i, g in enumerate(first):
        results[f"grad{i}"] = None if g is None else lib.numpy(g)
    if second:
        vs = [rng.uniform(-1, 1, leaf.shape).astype(dtype) for leaf in leaves]
        terms = [(g * lib.tensor(v, False)).sum() for g, v in zip(first, vs)
                 if g is not None and getattr(g, "requires_grad", False)]
        if terms:
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            for i, g in enumerate(lib.grads(total, leaves, create_graph=False)):
                results[f"hvp{i}"] = None if g is None else lib.numpy(g)
    return results


def mismatches(ours: dict, theirs: dict, rtol: float) -> list[str]:
    """What differs between two `derivatives` results (a missing gradient equals zeros)."""
    problems = []
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        if key == "dtype":
            if a != b:
                problems.append(f"dtype {a} != {b}")
            continue
        ref = b if b is not None else a
        if ref is None:
            continue
        a = np.zeros(np.shape(ref)) if a is None else np.asarray(a, dtype=np.float64)
        b = np.zeros(np.shape(ref)) if b is None else np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            problems.append(f"{key}: shape {a.shape} != {b.shape}")
            continue
        scale = max(1.0, float(np.abs(b).max(initial=0.0)))
        bad = ~np.isclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)
        if bad.any():
            problems.append(f"{key}: max diff {np.abs(a - b)[bad].max():.3g} "
                            f"(ours {a[bad][:3]}, torch {b[bad][:3]})")
    return problems


def well_conditioned(torch_low: dict, torch_high: dict, rtol: float) -> bool:
    """PyTorch's float32 results agree with its float64 ones: the program does not amplify
    rounding (sin of a large number, say), so float32 results can be compared at all."""
    return not mismatches(torch_low, torch_high, rtol)
