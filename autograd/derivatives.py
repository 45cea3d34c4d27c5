"""Derivatives as whole objects, as in PyTorch's `torch.autograd.functional`: the Jacobian and
the Hessian as arrays, the products `vjp` (vᵀJ), `jvp` (J v), `hvp` (H v) and `vhp` (vᵀH) that
never build the matrix, and `gradgradcheck`, second derivatives against finite differences.

glassgrad differentiates in reverse mode only, so each is made of backward passes
(`gradients_of`, PyTorch's torch.autograd.grad): a Jacobian costs one pass per element of the
output, a Hessian one per element of the input (after the gradient's), a product one or two.

>>> import numpy as np
>>> from autograd import hessian, jacobian
>>> jacobian(lambda x: x ** 2, np.array([1.0, 3.0]))            # diag(2x)
array([[2., 0.],
       [0., 6.]])
>>> hessian(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]))     # diag(6x)
array([[ 6.,  0.],
       [ 0., 12.]])

The point is one input or a tuple of them, and `func` is called with them as separate
arguments. Each may be a Tensor, a Value, a number or an array. Numbers and arrays give numbers
and arrays back, as `grad` does (a number reaches `func` as a Value, an array as a Tensor;
integer ones are taken as float64); Tensors and Values give Tensors and Values. An integer Tensor
is refused, as in PyTorch: a derivative needs floating point. A list holding Values or Tensors
(a micrograd network's input, `[Value(2.0), Value(3.0)]`) is a tuple of inputs too; a list of
numbers is one array.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Callable

import numpy as np

from .gradcheck import (GradcheckError, _float64_leaf, _suspects, check_pytorch_options,
                        gradcheck)
from .graph import Node, enable_grad
from .higher_order import _reads_leaves, gradients_of
from .pytorch_names import type_name
from .tensor import Tensor, stack
from .value import Value, number_value

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp", "gradgradcheck"]


# ----------------------------------------------------------------------------------------------
# The point: what func is called with, and what goes back to the caller
# ----------------------------------------------------------------------------------------------

def _is_several(x: Any) -> bool:
    """A tuple, or a list holding Values or Tensors: several inputs (PyTorch's tuple)."""
    return isinstance(x, tuple) or (isinstance(x, list) and any(isinstance(i, Node) for i in x))


class _Point:
    """The inputs as given (`given`) and the nodes func is called with (`leaves`)."""

    def __init__(self, where: str, inputs: Any, create_graph: bool) -> None:
        self.several = _is_several(inputs)
        self.given = tuple(inputs) if self.several else (inputs,)
        if not self.given:
            raise ValueError(f"{where}: inputs is empty: give the point to differentiate at, "
                             f"a Tensor or a tuple of them")
        self.leaves = [_leaf(where, x, self.name(j), create_graph)
                       for j, x in enumerate(self.given)]

    def name(self, j: int) -> str:
        return f"input {j}" if self.several else "the input"

    def plain(self, j: int) -> bool:
        """Input j was given as a number or an array (not a Value or Tensor)."""
        return not isinstance(self.given[j], Node)

    def retire(self) -> None:
        """The leaves made here become constants: the results' graphs (create_graph=True) then
        reach only what the caller holds (inputs that require grad, parameters func reads)."""
        for leaf in self.leaves:
            if leaf.is_leaf and leaf.requires_grad:
                leaf.requires_grad = False

    def unpack(self, results: list) -> Any:
        return tuple(results) if self.several else results[0]


def _leaf(where: str, x: Any, name: str, create_graph: bool) -> Node:
    """Input `x` as a node wanting a gradient. With create_graph=True an input that requires grad
    is wired in (as an identity op, its own node: the derivative is with respect to this argument,
    not to other uses of the same tensor), so that the results' graphs reach it."""
    if isinstance(x, Tensor):
        if x.data.dtype.kind != "f":
            raise TypeError(f"{where}: {name} is a Tensor of dtype {x.dtype} (shape {x.shape}); "
                            f"a derivative needs floating point, as in PyTorch: pass x.double() "
                            f"(or x.float())")
        if create_graph and x.requires_grad:
            with enable_grad():
                return x.view_as(x)
        return Tensor(x.data, requires_grad=True)
    if isinstance(x, Value):
        if create_graph and x.requires_grad:
            with enable_grad():
                return x + 0.0
        return Value(x.data)
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} is the bool {x!r}; expected a number to differentiate "
                        f"at")
    if isinstance(x, numbers.Real):
        return Value(float(x))
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "fiu":
        what = f"an array of dtype {arr.dtype}" if arr is not None else f"a {type_name(x)}"
        raise TypeError(f"{where}: {name} is {what}; expected a Tensor, a Value, a number or an "
                        f"array of numbers (or a tuple of them, one per argument of func)")
    return Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64), requires_grad=True)


def _deliver(node: Node, plain: bool) -> Any:
    """`node` for the caller: its number or array if the caller gave numbers or arrays and it
    reads no leaf that wants a gradient (as `grad` does), else the node."""
    return node.data if plain and not _reads_leaves(node) else node


def _called(where: str, func: Any, point: _Point) -> Any:
    if not callable(func):
        what = type_name(func)
        if isinstance(func, Node):
            what += (", a result already computed; its derivative needs the function that "
                     "computes it")
        raise TypeError(f"{where}: func is the function to differentiate, called as "
                        f"func(*inputs); got a {what}: {where}(lambda x: ..., x)")
    with enable_grad():                     # (a derivative is asked for, even inside no_grad())
        return func(*point.leaves)


def _outputs(where: str, out: Any) -> tuple[list, bool]:
    """func's result as a list of nodes, and whether it was a tuple (or list) of them."""
    several = isinstance(out, (tuple, list))
    outs = list(out) if several else [out]
    if several and not outs:
        raise ValueError(f"{where}: func returned an empty {type(out).__name__}; it must return "
                         f"a Tensor or a Value, or a tuple of them")
    for i, o in enumerate(outs):
        if not isinstance(o, Node):
            which = f"output {i}" if several else "it"
            shape = f" of shape {np.shape(o)}" if isinstance(o, np.ndarray) else ""
            raise TypeError(
                f"{where}: func must return a Tensor or a Value (or a tuple of them); {which} is "
                f"a {type_name(o)}{shape} (a result that is not a node has no graph: compute it "
                f"from func's arguments with their operators and methods, not .data, .numpy(), "
                f"float() or math and numpy functions)")
    return outs, several


def _scalar_output(where: str, out: Any) -> Node:
    """func's one output for hessian, hvp and vhp: a Value or a one-element Tensor."""
    if isinstance(out, (tuple, list)) or not isinstance(out, Node):
        _outputs(where, out)                # (its errors name a result that is not a node)
        raise TypeError(f"{where}: func must return a single Value or one-element Tensor (a "
                        f"scalar function: its Hessian is defined), got a "
                        f"{type(out).__name__} of {len(out)}")
    if isinstance(out, Tensor) and out.data.size != 1:
        raise ValueError(f"{where}: func must return a single Value or one-element Tensor (a "
                         f"scalar function: its Hessian is defined), got a Tensor of shape "
                         f"{out.shape}; reduce it (.sum(), .mean()), or use jacobian for a vector "
                         f"function")
    return out


def _zeros(shape: tuple, like: Node, value: bool = False) -> Node:
    """A constant of zeros: a Value if `value`, else a Tensor of `like`'s dtype (a float one)."""
    if value:
        return number_value(0.0)
    dtype = like.data.dtype if isinstance(like, Tensor) and like.data.dtype.kind == "f" \
        else np.float64
    return Tensor(np.zeros(shape, dtype=dtype))


def _shape(x: Node) -> tuple:
    return () if isinstance(x, Value) else x.shape


def _check_flags(where: str, vectorize: Any, strategy: Any, strategy_name: str) -> None:
    """`vectorize` changes nothing here (each row is its own backward pass, as PyTorch's default
    computes them). 'forward-mode' is taken where PyTorch takes it, with `vectorize=True`: its
    numbers are the same, computed in reverse mode (glassgrad has no other)."""
    if not isinstance(vectorize, (bool, np.bool_)):
        raise TypeError(f"{where}: vectorize must be True or False, got {vectorize!r:.40}")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            f"{where}: {strategy_name}='forward-mode' needs vectorize=True, as in PyTorch; pass "
            f"it (the Jacobian is the same: glassgrad computes it by reverse passes either "
            f"way) or leave {strategy_name} out")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"{where}: {strategy_name} must be 'reverse-mode' or 'forward-mode', "
                         f"got {strategy!r:.40}")


# ----------------------------------------------------------------------------------------------
# The Jacobian, row by row
# ----------------------------------------------------------------------------------------------

def _one_hot(out: Node, k: int) -> Node:
    """The seed that backpropagates element k of `out` alone."""
    if isinstance(out, Value):
        return number_value(1.0)
    seed = np.zeros(out.shape, dtype=out.data.dtype if out.data.dtype.kind == "f" else np.float64)
    seed.reshape(-1)[k] = 1.0
    return Tensor(seed)


def _blocks(where: str, outs: list, leaves: list, create_graph: bool, strict: bool,
            out_name: Callable[[int], str], in_name: Callable[[int], str]) -> list[list[Node]]:
    """blocks[i][j] = d outs[i] / d leaves[j], of shape outs[i].shape + leaves[j].shape (a
    Value for a Value by a Value): one backward pass per element of each output."""
    blocks = []
    for i, out in enumerate(outs):
        size = 1 if isinstance(out, Value) else out.data.size
        rows: list[list] = [[] for _ in leaves]
        for k in range(size if out.requires_grad else 0):
            grads = gradients_of([out], leaves, [_one_hot(out, k)], create_graph=create_graph,
                                 allow_unused=True)
            for j, g in enumerate(grads):
                rows[j].append(g)
        line = []
        for j, x in enumerate(leaves):
            got = rows[j]
            if strict and (not got or any(g is None for g in got)):
                raise RuntimeError(
                    f"{where}: strict=True: {out_name(i)} does not depend on {in_name(j)} (no "
                    f"gradient reaches it), so its block is zero; with strict=False it comes "
                    f"back as zeros")
            if strict and create_graph and any(not g.requires_grad for g in got):
                raise RuntimeError(
                    f"{where}: strict=True with create_graph=True: the derivative of "
                    f"{out_name(i)} with respect to {in_name(j)} is a constant (linear in it), "
                    f"so it has no graph to differentiate again; with strict=False it comes "
                    f"back as it is")
            line.append(_block(got, out, x, create_graph))
        blocks.append(line)
    return blocks


def _block(rows: list, out: Node, x: Node, create_graph: bool) -> Node:
    """The rows (gradients of each output element, None where none arrived) as one block."""
    out_shape, in_shape = _shape(out), _shape(x)
    if isinstance(out, Value) and isinstance(x, Value):
        return rows[0] if rows and rows[0] is not None else number_value(0.0)
    if not rows or all(g is None for g in rows) or any(isinstance(g, Value) for g in rows):
        # (a Value's gradient for a Tensor, or the other way round, cannot arrive: the two
        # engines do not mix, so such a block is zero)
        return _zeros(out_shape + in_shape, x)
    if not create_graph:
        zero = np.zeros(in_shape, dtype=x.data.dtype)
        return Tensor(np.stack([zero if g is None else g.data for g in rows])
                      .reshape(out_shape + in_shape))
    parts = [_zeros(in_shape, x) if g is None else g for g in rows]
    with enable_grad():
        return stack(parts).reshape(out_shape + in_shape)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of `func` at `inputs`: d func(x)ᵢ / d xⱼ for every output and input element.

    For an input of shape `in` and an output of shape `out` it has shape `out + in` (a number
    for a Value by a Value). Several inputs (a tuple) give a tuple of blocks, one per input;
    several outputs give a tuple of them; both give a tuple of tuples, `J[i][j]` = d out i /
    d input j, as PyTorch's torch.autograd.functional.jacobian. An output that does not depend
    on an input gives a block of zeros, or an error with `strict=True`. With
    `create_graph=True` the result can be differentiated again (it is recorded, and reaches the
    inputs that require grad and the parameters func reads). Each row is one backward pass;
    `vectorize` is accepted and changes nothing; `strategy='forward-mode'` (with
    `vectorize=True`, as PyTorch wants it) gives the same rows, by reverse passes. The inputs
    and what comes back: see the module's docstring.

    >>> from autograd import Tensor, Value, jacobian
    >>> x = Tensor([1.0, 2.0], dtype="float64")
    >>> jacobian(lambda x: x.exp().sum() * x, x)       # (eˣ⁰ + eˣ¹) δᵢⱼ + xᵢ eˣʲ
    Tensor([[12.82561976,  7.3890561 ],
            [ 5.43656366, 24.88545013]], dtype=float64)
    >>> jacobian(lambda a, b: a * b, (Value(3.0), Value(-2.0)))     # (∂/∂a, ∂/∂b)
    (Value(data=-2.0, grad=0.0), Value(data=3.0, grad=0.0))
    """
    where = "jacobian"
    _check_flags(where, vectorize, strategy, "strategy")
    point = _Point(where, inputs, create_graph)
    try:
        outs, several_out = _outputs(where, _called(where, func, point))
        out_name = (lambda i: f"output {i}") if several_out else (lambda i: "the output")
        blocks = _blocks(where, outs, point.leaves, create_graph, strict, out_name, point.name)
    finally:
        point.retire()
    result = [point.unpack([_deliver(b, point.plain(j)) for j, b in enumerate(line)])
              for line in blocks]
    return tuple(result) if several_out else result[0]


# ----------------------------------------------------------------------------------------------
# The gradient of a scalar function, kept as a graph: hessian, hvp and vhp start from it
# ----------------------------------------------------------------------------------------------

def _gradient(where: str, out: Node, point: _Point, strict: bool) -> list[Node]:
    """d out / d leaf for each leaf, recorded (create_graph=True); zeros for a leaf it does not
    depend on, or an error with `strict`."""
    seed = number_value(1.0) if isinstance(out, Value) else Tensor(np.ones_like(out.data))
    return _products(where, [out], [seed], point, True, strict, "func's output")


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function `func` at `inputs`: ∂²f / ∂xᵢ∂xⱼ.

    `func` returns a Value or a one-element Tensor. For one input of shape `in` the Hessian has
    shape `in + in`; for a tuple of inputs it is a tuple of tuples, `H[i][j]` of shape
    `in_i + in_j` (d/d input j of the gradient with respect to input i), as PyTorch's
    torch.autograd.functional.hessian. It is the Jacobian of the gradient: one backward pass
    for the gradient (recorded), then one per input element. A function linear in an input
    gives zeros (an error with `strict=True`); `create_graph=True` records the result, so that
    it can be differentiated again. The inputs and what comes back: see the module's docstring.

    >>> import numpy as np
    >>> from autograd import hessian
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> f = lambda x: 0.5 * (x * (x @ A)).sum()         # ½ xᵀA x: its Hessian is A
    >>> hessian(f, np.array([0.3, -1.1]))
    array([[2., 1.],
           [1., 3.]])
    """
    where = "hessian"
    _check_flags(where, vectorize, outer_jacobian_strategy, "outer_jacobian_strategy")
    point = _Point(where, inputs, create_graph)
    try:
        out = _scalar_output(where, _called(where, func, point))
        grads = _gradient(where, out, point, strict)
        blocks = _blocks(where, grads, point.leaves, create_graph, strict,
                         lambda i: f"the gradient with respect to {point.name(i)}", point.name)
    finally:
        point.retire()
    result = [point.unpack([_deliver(b, point.plain(i) and point.plain(j))
                            for j, b in enumerate(line)]) for i, line in enumerate(blocks)]
    return point.unpack(result)


# ----------------------------------------------------------------------------------------------
# Products: one backward pass (vjp, vhp, hvp) or two (jvp)
# ----------------------------------------------------------------------------------------------

def _vectors(where: str, v: Any, like: list, several: bool, names: Callable[[int], str],
             create_graph: bool, label: str = "v") -> list[Node]:
    """`v`, one node per node of `like` (func's outputs for vjp, its inputs for the others),
    each of its shape. A v that requires grad is kept with create_graph=True (the product is
    then differentiable in v too), else taken as a constant."""
    if v is None:
        one = not several and (isinstance(like[0], Value) or like[0].data.size == 1)
        if not one:
            kind = "output" if "output" in names(0) else "input"
            shapes = ", ".join(f"{names(i)} {_shape(x)}" for i, x in enumerate(like))
            raise ValueError(f"{where}: {label} can be left out only for a single {kind} of one "
                             f"element (it is then 1); give {label} of the shape of: {shapes}")
        return [number_value(1.0) if isinstance(like[0], Value)
                else Tensor(np.ones_like(like[0].data))]
    if several:
        if not isinstance(v, (tuple, list)) or len(v) != len(like):
            got = (f"a {type(v).__name__} of {len(v)}" if isinstance(v, (tuple, list))
                   else f"a {type_name(v)}")
            raise ValueError(f"{where}: {label} must be a tuple of {len(like)}, one per "
                             f"{names(0).split()[0]}, got {got}")
        items = list(v)
    else:
        items = [v[0]] if isinstance(v, (tuple, list)) and len(v) == 1 and isinstance(
            v[0], Node) else [v]
    return [_vector(where, item, node, (label if not several else f"{label}[{i}]"), names(i),
                    create_graph) for i, (item, node) in enumerate(zip(items, like))]


def _vector(where: str, item: Any, node: Node, label: str, name: str,
            create_graph: bool) -> Node:
    if isinstance(node, Value):
        if isinstance(item, Value):
            return item if create_graph and item.requires_grad else number_value(item.data)
        if isinstance(item, numbers.Real) and not isinstance(item, (bool, np.bool_)):
            return number_value(float(item))
        raise TypeError(f"{where}: {label} is for {name}, a Value, so it must be a number or a "
                        f"Value; got a {type_name(item)}")
    dtype = node.data.dtype if node.data.dtype.kind == "f" else np.float64
    if isinstance(item, Tensor):
        if item.shape != node.shape:
            raise ValueError(f"{where}: {label} has shape {item.shape}, but {name} has shape "
                             f"{node.shape}: they must match")
        if create_graph and item.requires_grad:
            return item
        return Tensor(np.asarray(item.data, dtype=dtype))
    if isinstance(item, Value):
        raise TypeError(f"{where}: {label} is for {name}, a Tensor of shape {node.shape}; got a "
                        f"Value (the two engines do not mix: give a Tensor or an array)")
    try:
        arr = np.asarray(item, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {label} is for {name}, a Tensor of shape {node.shape}; got a "
                        f"{type_name(item)}, not an array of numbers") from None
    if arr.shape != node.shape:
        raise ValueError(f"{where}: {label} has shape {arr.shape}, but {name} has shape "
                         f"{node.shape}: they must match")
    return Tensor(arr)


def _products(where: str, outs: list, seeds: list, point: _Point, create_graph: bool,
              strict: bool, what: str) -> list[Node]:
    """Σ_i seedsᵢᵀ d outsᵢ / d leaf, for each leaf (zeros where none arrives, an error with
    `strict`): one backward pass from the outputs that have a graph."""
    live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    grads = [None] * len(point.leaves)
    if live:
        grads = list(gradients_of([o for o, _ in live], point.leaves, [s for _, s in live],
                                  create_graph=create_graph, allow_unused=True))
    for j, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(f"{where}: strict=True: {what} does not depend on "
                                   f"{point.name(j)} (no gradient reaches it); with "
                                   f"strict=False its part comes back as zeros")
            x = point.leaves[j]
            grads[j] = _zeros(_shape(x), x, isinstance(x, Value))
    return grads


def _given_outputs(outs: list, several: bool, create_graph: bool, plain: bool) -> Any:
    """func's outputs for the caller: detached unless create_graph=True."""
    shown = [o if create_graph else o.detach() for o in outs]
    shown = [_deliver(o, plain) for o in shown]
    return tuple(shown) if several else shown[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """`(func(inputs), vᵀJ)`: the vector-Jacobian product, one backward pass from func's output
    seeded with `v` (what `backward(v)` puts in `.grad`, without touching any `.grad`).

    `v` has the output's shape (a tuple of them for a tuple of outputs); it may be left out for
    an output of one element. vᵀJ has the inputs' shapes (a tuple for a tuple of inputs); an
    input the outputs do not depend on gets zeros (an error with `strict=True`). The output
    comes back detached, unless `create_graph=True`, which records both (and a `v` that
    requires grad is then differentiated through as well), as PyTorch's
    torch.autograd.functional.vjp. The inputs and what comes back: see the module's docstring.

    >>> from autograd import Tensor, vjp
    >>> x = Tensor([1.0, 2.0, 3.0], dtype="float64")
    >>> out, g = vjp(lambda x: x ** 2, x, v=Tensor([1.0, 0.0, -1.0], dtype="float64"))
    >>> g                                               # 2x ⊙ v
    Tensor([ 2.,  0., -6.], dtype=float64)
    """
    where = "vjp"
    point = _Point(where, inputs, create_graph)
    try:
        outs, several_out = _outputs(where, _called(where, func, point))
        out_name = (lambda i: f"output {i}") if several_out else (lambda i: "func's output")
        seeds = _vectors(where, v, outs, several_out, out_name, create_graph)
        what = "func's outputs" if several_out else "func's output"
        grads = _products(where, outs, seeds, point, create_graph, strict, what)
    finally:
        point.retire()
    every_plain = all(point.plain(j) for j in range(len(point.given)))
    return (_given_outputs(outs, several_out, create_graph, every_plain),
            point.unpack([_deliver(g, point.plain(j)) for j, g in enumerate(grads)]))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """`(func(inputs), J v)`: the Jacobian-vector product, the change of func's output when the
    inputs move along `v` (forward mode's product).

    glassgrad has reverse mode only, so it is computed by the double-vjp trick: the vjp
    g(u) = uᵀJ is linear in u, and its own vjp with v, d(g(u)·v)/du, is J v (two backward
    passes, the second through the first's graph, as PyTorch's torch.autograd.functional.jvp
    computes it). `v` has the inputs' shapes (a tuple for a tuple of inputs); it may be left
    out for a single input of one element. J v has the outputs' shapes (a tuple for a tuple of
    outputs); an output that depends on no input gets zeros, as does one for an input no
    output depends on (an error with `strict=True`). `create_graph=True` records the output and
    J v. The inputs and what comes back: see the module's docstring.

    >>> from autograd import Tensor, jvp
    >>> x = Tensor([1.0, 2.0, 3.0], dtype="float64")
    >>> out, jv = jvp(lambda x: (x ** 2).sum(), x, v=Tensor([1.0, 0.0, -1.0], dtype="float64"))
    >>> jv                                              # 2x · v
    Tensor(-4., dtype=float64)
    """
    where = "jvp"
    point = _Point(where, inputs, create_graph)
    us: list = []
    try:
        outs, several_out = _outputs(where, _called(where, func, point))
        tangents = _vectors(where, v, point.leaves, point.several, point.name, create_graph)
        with enable_grad():
            # u: one stand-in per output, of its shape (its value does not matter: uᵀJ is
            # linear in it); the first pass is recorded so that the second can run through it
            us = [Value(0.0) if isinstance(o, Value) else
                  Tensor(np.zeros(o.shape, dtype=_seed_dtype(o)), requires_grad=True)
                  for o in outs]
            what = "func's outputs" if several_out else "func's output"
            grads = _products(where, outs, us, point, True, strict, what)
            live = [(g, t) for g, t in zip(grads, tangents) if g.requires_grad]
            found = [None] * len(outs)
            if live:
                found = list(gradients_of([g for g, _ in live], us, [t for _, t in live],
                                          create_graph=create_graph, allow_unused=True))
        results = []
        for i, (o, jv) in enumerate(zip(outs, found)):
            if jv is None:
                if strict:
                    name = f"output {i}" if several_out else "func's output"
                    raise RuntimeError(f"{where}: strict=True: {name} does not depend on the "
                                       f"inputs (no gradient reaches them from it); with "
                                       f"strict=False its part comes back as zeros")
                jv = _zeros(_shape(o), o, isinstance(o, Value))
            results.append(jv)
    finally:
        point.retire()
        for u in us:                # (stand-ins: constants in the graphs of create_graph=True)
            u.requires_grad = False
    every_plain = all(point.plain(j) for j in range(len(point.given)))
    return (_given_outputs(outs, several_out, create_graph, every_plain),
            tuple(_deliver(r, every_plain) for r in results) if several_out
            else _deliver(results[0], every_plain))


def _seed_dtype(out: Tensor) -> Any:
    return out.data.dtype if out.data.dtype.kind == "f" else np.float64


def _hessian_product(where: str, func: Callable, inputs: Any, v: Any, create_graph: bool,
                     strict: bool) -> tuple:
    """`(func(inputs), vᵀH)`: the gradient (recorded), then its vjp with v."""
    point = _Point(where, inputs, create_graph)
    try:
        out = _scalar_output(where, _called(where, func, point))
        grads = _gradient(where, out, point, strict)
        tangents = _vectors(where, v, point.leaves, point.several, point.name, create_graph)
        what = "the gradient of func's output"
        products = _products(where, grads, tangents, point, create_graph, strict, what)
    finally:
        point.retire()
    every_plain = all(point.plain(j) for j in range(len(point.given)))
    return (_given_outputs([out], False, create_graph, every_plain),
            point.unpack([_deliver(p, point.plain(j)) for j, p in enumerate(products)]))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """`(func(inputs), H v)`: the Hessian-vector product of the scalar function `func`, without
    building H (two backward passes, however many inputs: Newton-CG's and a curvature
    estimate's building block).

    `func` returns a Value or a one-element Tensor; `v` has the inputs' shapes (a tuple for a
    tuple of inputs), and may be left out for a single input of one element; H v has them too.
    It is computed as vᵀH, the vjp of the recorded gradient with v: that is H v whenever the
    second derivatives are continuous (then H is symmetric), as for every smooth op here
    (PyTorch's hvp computes H v by a double-backward trick instead, at the cost of a third
    pass; `vhp` is the same as this). An input the gradient does not depend on (func is at most
    linear in it) gets zeros, or an error with `strict=True`; `create_graph=True` records the
    output and H v. The inputs and what comes back: see the module's docstring.

    >>> import numpy as np
    >>> from autograd import hvp
    >>> f = lambda x: (x ** 3).sum()                    # H = diag(6x)
    >>> hvp(f, np.array([1.0, 2.0]), v=np.array([1.0, -1.0]))
    (array(9.), array([  6., -12.]))
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """`(func(inputs), vᵀH)`: PyTorch's torch.autograd.functional.vhp, the vector-Hessian
    product of the scalar function `func` (the vjp of its recorded gradient with v; equal to
    `hvp`'s H v, H being symmetric: see `hvp`, which this is).

    >>> from autograd import Value, vhp
    >>> vhp(lambda a, b: a * a * b, (Value(3.0), Value(2.0)), v=(1.0, 0.0))   # (2b, 2a)
    (Value(data=18.0, grad=0.0), (Value(data=4.0, grad=0.0), Value(data=6.0, grad=0.0)))
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


# ----------------------------------------------------------------------------------------------
# gradgradcheck: gradcheck of the gradient
# ----------------------------------------------------------------------------------------------

def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True, **pytorch_options: Any) -> bool:
    """True if the second derivatives of `func` (backprop through backprop) match finite
    differences of its first derivatives, as PyTorch's torch.autograd.gradgradcheck checks them.

    The function checked is x, u ↦ uᵀJ(x) (a backward pass seeded with `grad_outputs` u, whose
    graph is recorded): each of its results, the gradient with respect to each input, goes
    through `gradcheck` with respect to the inputs and to u. `inputs` is one input (a number or
    array is checked, as by `gradcheck(f, x)`) or a tuple of them, where, as in PyTorch, only the
    Values and Tensors that require grad are checked and the rest is passed to func as it is.
    `grad_outputs` has the outputs' shapes (a tuple for several outputs); left out, it is drawn
    at random (from `seed`) and checked too. Checked in float64 copies; on a mismatch raises
    `GradcheckError` naming which gradient, which input and element, and both values (or
    returns False with `raise_exception=False`). PyTorch's other keywords are taken as
    `gradcheck` takes them (`check_rev_over_rev=True`, `check_fwd_over_rev=False` too).

    >>> from autograd import Tensor, gradgradcheck
    >>> x = Tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda x: x.tanh() * x, x)
    True
    """
    where = "gradgradcheck"
    if not callable(func):
        raise TypeError(f"{where}: func is the function to check, called as func(*inputs); got "
                        f"a {type_name(func)}: gradgradcheck(lambda x: ..., x)")
    check_pytorch_options(where, pytorch_options)
    several = _is_several(inputs)
    given = tuple(inputs) if several else (inputs,)
    checked = [j for j, x in enumerate(given)
               if (x.requires_grad if isinstance(x, Node) else not several)]
    if not checked:
        raise ValueError(f"{where}: no input requires grad, so there is nothing to check: pass "
                         f"the tensors func computes from, with requires_grad=True")
    args = list(given)
    for j in checked:
        args[j] = _checked_leaf(given[j], f"input {j}" if several else "the input")
    with enable_grad():
        outs, several_out = _outputs(where, func(*args))
    live = [i for i, o in enumerate(outs) if o.requires_grad]
    if not live:
        raise ValueError(f"{where}: func's output does not require grad (no checked input reaches "
                         f"it): there is no derivative to check")
    out_name = (lambda i: f"output {i}") if several_out else (lambda i: "func's output")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        us = []
        for i in live:
            drawn = rng.uniform(0.5, 1.5, _shape(outs[i])) * rng.choice([-1.0, 1.0],
                                                                         _shape(outs[i]))
            us.append(Value(float(drawn)) if isinstance(outs[i], Value)
                      else Tensor(drawn, requires_grad=True))
    else:
        like = [o if isinstance(o, Value) else Tensor(np.zeros(o.shape)) for o in outs]
        given_us = _vectors(where, grad_outputs, like, several_out, out_name, True,
                            "grad_outputs")
        us = [_checked_leaf(given_us[i], f"grad_outputs[{i}]" if several_out else "grad_outputs")
              if given_us[i].requires_grad else given_us[i] for i in live]
    n = len(args)

    def backprop(j: int) -> Callable:
        def gradient(*moved: Any) -> Node:
            """Input j's gradient, uᵀ d func / d input j, at the moved inputs and u."""
            xs, u = list(moved[:n]), list(moved[n:])
            with enable_grad():         # (gradcheck's finite differences run under no_grad)
                got, _ = _outputs(where, func(*xs))
                pairs = [(got[i], ui) for i, ui in zip(live, u) if got[i].requires_grad]
                g = gradients_of([o for o, _ in pairs], [xs[j]], [ui for _, ui in pairs],
                                 create_graph=True, allow_unused=True)[0] if pairs else None
            return _zeros(_shape(xs[j]), xs[j], isinstance(xs[j], Value)) if g is None else g
        return gradient

    with enable_grad():                     # the inputs func's outputs depend on
        used = gradients_of([outs[i] for i in live], [args[j] for j in checked], us,
                            allow_unused=True)
    names = [f"input {j}" if several else "the input" for j in range(n)] + \
        [f"grad_outputs[{i}]" if several_out else "grad_outputs" for i in live]
    tried = 0
    for j, g in zip(checked, used):
        if g is None:                       # func does not use input j: nothing to check
            continue
        tried += 1
        try:
            passed = gradcheck(backprop(j), tuple(args) + tuple(us), eps=eps, atol=atol,
                               rtol=rtol, seed=seed, raise_exception=raise_exception)
        except GradcheckError as error:
            told = re.match(r"gradcheck: input (\d+) (.*)", str(error), re.DOTALL)
            if told is None:
                raise
            # the gradient's graph is made by the backward of each op in func's graph: name
            # the custom Functions there (not those in the gradient's own graph, to be checked
            # by gradcheck, which passes for a Function whose first derivative is right)
            detail = re.sub(r"; f's graph holds the custom Function.*$", "", told.group(2),
                            flags=re.DOTALL)
            for said_of_f, said_of_the_gradient in _HINTS_OF_THE_GRADIENT:
                detail = re.sub(said_of_f, said_of_the_gradient, detail)
            suspects = next((s for s in (_suspects(outs[i], "gradgradcheck", "func")
                                         for i in live) if s), "")
            raise GradcheckError(
                f"{where}: the gradient with respect to {names[j]} (backprop's), differentiated "
                f"with respect to {names[int(told.group(1))]} {detail}{suspects}") from None
        if not passed:
            return False
    if not tried:
        raise ValueError(f"{where}: func's output does not depend on the checked inputs: "
                         f"there is no derivative to check")
    return True


# gradcheck's hints speak of its f, which gradgradcheck makes backprop's gradient: said of that
# (func's own outputs are not what has "3 outputs", nor what reads .data: a backward does)
_HINTS_OF_THE_GRADIENT = [
    (r"; f has (\d+) outputs, so both are derivatives of J = Σ r ⊙ f",
     r"; the gradient has \1 elements, so both are derivatives of J = Σ r ⊙ gradient"),
    (r"; backprop's gradient is 0 for all of this input, as if no gradient reached it: does a "
     r"backward return None for it, or does f use it through \.data or numpy\?",
     "; the second derivative is 0 for all of this input: does a backward compute its slope "
     "from numbers (x.data, numpy, an array kept on ctx), which the second pass takes as "
     "constants?"),
]


def _checked_leaf(x: Any, name: str) -> Node:
    """A checked input as gradcheck's float64 leaf; a number or array is refused as the other
    functions here refuse it (a bool, strings)."""
    if not isinstance(x, Node):
        _leaf("gradgradcheck", x, name, False)
    return _float64_leaf(x, name, "gradgradcheck")
