"""PyTorch's `torch.func`: function transforms, on glassgrad's reverse mode.

`grad(f)` is the function that returns f's gradient; `vmap(f)` the function that maps f over
a batch axis; `jacrev`, `jacfwd` and `hessian` give whole derivatives, `vjp` and `jvp` the
products. Arguments may be pytrees (dicts, lists and tuples of Tensors, nested): the gradient
with respect to `dict(model.named_parameters())` is a dict of the same keys, which
`functional_call(model, params, (x,))` (PyTorch's, `nn.utils.stateless.functional_call`) runs
the model on. So MAML reads as in PyTorch's functorch examples:

>>> import autograd as torch
>>> from autograd.func import grad, vmap
>>> def loss(w, x, y):
...     return ((x * w).sum() - y) ** 2
>>> w = torch.tensor([1.0, 2.0], requires_grad=True)
>>> xs, ys = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0.0, 1.0])
>>> per_task = vmap(grad(loss), in_dims=(None, 0, 0))(w, xs, ys)   # 2(x·w - y) x per row
>>> per_task
Tensor([[2., 0.],
        [0., 2.]], op=stack)
>>> per_task.sum().backward(); w.grad                           # second order reaches w
array([2., 2.], dtype=float32)

How it differs from PyTorch's: the results are differentiable again (a tensor the caller
holds that requires grad, passed in or read by `f`, gets gradients through them, to any
order), as there; but there is no forward mode (`jacfwd` and `jvp` are computed in reverse
mode: the same numbers), and `vmap` calls `f` once per slice of the batch and stacks the
results (the same numbers as PyTorch's batched kernels, at the cost of a Python loop: a
function written for the batch is faster when there is one).
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from . import random
from .derivatives import _blocks, _leaf
from .graph import Leaf, enable_grad
from .higher_order import gradients_of
from .pytorch_names import type_name
from .tensor import Tensor
from .tensor_functions import stack

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call", "stack_module_state"]


# ----------------------------------------------------------------------------------------------
# Pytrees: dicts, lists and tuples of leaves, nested
# ----------------------------------------------------------------------------------------------

def _flatten(tree: Any) -> tuple[list, Callable[[list], Any]]:
    """(the leaves of `tree` in order, a function that builds the same tree from new leaves).
    Dicts, lists and tuples (named tuples too) are containers; anything else is a leaf."""
    if isinstance(tree, dict):
        keys, parts = list(tree), [_flatten(v) for v in tree.values()]
    elif isinstance(tree, (list, tuple)):
        keys, parts = None, [_flatten(v) for v in tree]
    else:
        return [tree], lambda leaves: leaves[0]
    leaves = [leaf for part, _ in parts for leaf in part]
    sizes = [len(part) for part, _ in parts]

    def rebuild(new: list) -> Any:
        items, start = [], 0
        for size, (_, build) in zip(sizes, parts):
            items.append(build(new[start:start + size]))
            start += size
        if keys is not None:
            return dict(zip(keys, items))
        if hasattr(tree, "_fields"):                         # a named tuple
            return type(tree)(*items)
        return type(tree)(items)
    return leaves, rebuild


def _broadcast_spec(where: str, spec: Any, tree: Any, what: str) -> list:
    """One entry of `spec` (in_dims, out_dims) per leaf of `tree`: an int or None applies to
    every leaf, a tree of them must have `tree`'s structure."""
    if spec is None or isinstance(spec, numbers.Integral):
        return [spec] * len(_flatten(tree)[0])
    leaves, _ = _flatten(tree)
    specs, _ = _flatten(spec)
    if len(specs) != len(leaves) or not all(s is None or isinstance(s, numbers.Integral)
                                            for s in specs):
        raise ValueError(f"{where}: {what} is {spec!r:.80}, which does not fit {type_name(tree)} "
                         f"of {len(leaves)} tensor(s): give an int, None, or the same structure "
                         f"with an int or None for each tensor")
    return specs


# ----------------------------------------------------------------------------------------------
# The point: the arguments differentiated, as nodes that want a gradient
# ----------------------------------------------------------------------------------------------

class _Wired:
    """The arguments `argnums` of a call, each a tree of Tensors, turned into nodes that want a
    gradient: a Tensor that requires grad is wired in by an identity op (the derivative is with
    respect to this argument, and the results' graphs still reach the tensor), any other
    becomes a new leaf, made a constant again by `retire` (the results then reach only what
    the caller holds)."""

    def __init__(self, where: str, args: tuple, argnums: Any) -> None:
        self.several = not isinstance(argnums, numbers.Integral)
        nums = tuple(argnums) if self.several else (argnums,)
        if not nums or not all(isinstance(i, numbers.Integral) for i in nums):
            raise TypeError(f"{where}: argnums must be an argument position or a non-empty tuple "
                            f"of them, got {argnums!r:.60}")
        for i in nums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{where}: argnums {i} is out of range for {len(args)} "
                                 f"positional argument(s)")
        positions = [i % len(args) for i in nums]
        for i in positions:
            if positions.count(i) > 1:      # (it would be wired twice: the first gets zeros)
                raise ValueError(f"{where}: argnums {argnums} names argument {i} twice; give "
                                 f"each position once")
        self.args = list(args)
        self.builds, self.leaves, self.fresh = [], [], []
        for i in nums:
            leaves, build = _flatten(args[i])
            for k, x in enumerate(leaves):
                if not isinstance(x, Tensor):
                    place = f"argument {i}" + (f", tensor {k} of its tree" if len(leaves) > 1
                                               else "")
                    raise TypeError(f"{where}: {place} is a {type_name(x)}; torch.func "
                                    f"differentiates with respect to Tensors (or dicts, lists "
                                    f"and tuples of them): pass autograd.tensor(x), or use "
                                    f"autograd.grad(f)(x), which takes numbers too")
            nodes = [_leaf(where, x, f"argument {i}", True) for x in leaves]
            self.fresh += [n for n, x in zip(nodes, leaves) if n.is_leaf]
            self.builds.append((len(self.leaves), len(nodes), build))
            self.leaves += nodes
            self.args[i] = build(nodes)

    def outer(self, outs: list) -> bool:
        """Whether the outputs reach a tensor that requires grad outside this call (a wired
        argument, a parameter `f` read): then the derivatives are recorded for it."""
        if len(self.fresh) < len(self.leaves):
            return True
        fresh = {id(n) for n in self.fresh}
        seen: set = set()
        todo = [o for o in outs if o.requires_grad]
        while todo:                     # only nodes that require grad lead to such a tensor
            node = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node._fn is Leaf:
                if id(node) not in fresh:
                    return True
                continue
            todo += [p for p in node.parents if p.requires_grad]
        return False

    def unpack(self, grads: list) -> Any:
        """The gradients, one per leaf, as trees shaped as the arguments."""
        trees = [build(grads[start:start + n]) for start, n, build in self.builds]
        return tuple(trees) if self.several else trees[0]

    def retire(self) -> None:
        for leaf in self.fresh:
            leaf.requires_grad = False


def _tensors_out(where: str, out: Any, what: str = "f") -> list:
    leaves, _ = _flatten(out)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{where}: {what} must return a Tensor (or a dict, list or tuple of "
                            f"them), got a {type_name(leaf)} (a result that is not a Tensor "
                            f"has no graph: compute it from f's arguments with Tensor ops, not "
                            f".item(), .numpy() or math functions)")
    return leaves


def _split_aux(where: str, out: Any, has_aux: bool) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{where}: has_aux=True, so f must return a pair (output, aux), got a "
                        f"{type_name(out)}")
    return out[0], out[1]


def _gradients(outs: list, seeds: list, leaves: list, record: bool) -> list:
    """d(Σ seeds · outs)/d leaves, zeros where no gradient arrives; recorded if `record`."""
    live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    if not live:
        return [Tensor(np.zeros_like(x.data)) for x in leaves]
    with enable_grad():
        return list(gradients_of([o for o, _ in live], leaves, [s for _, s in live],
                                 create_graph=record, materialize_grads=True))


def _detached(tree: Any, record: bool) -> Any:
    if record:
        return tree
    leaves, build = _flatten(tree)
    return build([x.detach() if isinstance(x, Tensor) else x for x in leaves])


# ----------------------------------------------------------------------------------------------
# grad, vjp, jvp
# ----------------------------------------------------------------------------------------------

def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The function returning `(gradient, value)` of the scalar function `func` with respect to
    its arguments `argnums` (a tree of Tensors each: the gradient has the tree's structure);
    with `has_aux=True` func returns `(value, aux)` and this gives `(gradient, (value, aux))`.

    >>> import autograd as torch
    >>> g, value = grad_and_value(lambda p: (p["w"] ** 2).sum())({"w": torch.tensor([3.0])})
    >>> g, value
    ({'w': Tensor([6.])}, Tensor(9.))
    """
    return _grad_and_value("grad_and_value", func, argnums, has_aux)


def _grad_and_value(where: str, func: Callable, argnums: Any, has_aux: bool) -> Callable:
    """`grad_and_value`, its errors naming `where` (the function the user called)."""

    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        point = _Wired(where, args, argnums)
        try:
            with enable_grad():
                out, aux = _split_aux(where, func(*point.args, **kwargs), has_aux)
            if not isinstance(out, Tensor) or out.data.size != 1:
                shape = f"Tensor of shape {out.shape}" if isinstance(out, Tensor) \
                    else type_name(out)
                raise ValueError(f"{where}: f must return a one-element Tensor (a scalar: its "
                                 f"gradient is defined), got a {shape}; reduce it (.sum(), "
                                 f".mean()), or use jacrev for a vector function")
            record = point.outer([out])
            grads = _gradients([out], [Tensor(np.ones_like(out.data))], point.leaves, record)
        finally:
            point.retire()
        value, aux = _detached((out, aux), record)
        return point.unpack(grads), ((value, aux) if has_aux else value)
    wrapper.__name__ = f"grad_and_value_{getattr(func, '__name__', 'f')}"
    return wrapper


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The function returning the gradient of the scalar function `func` with respect to its
    arguments `argnums`, as PyTorch's `torch.func.grad`: each a Tensor or a tree of them (a
    dict of parameters gives a dict of gradients); a tuple of argnums gives a tuple. With
    `has_aux=True` func returns `(value, aux)` and this gives `(gradient, aux)`. The gradient
    is recorded when it depends on a tensor the caller holds that requires grad (MAML's outer
    loop differentiates through it); otherwise it is a constant.

    >>> import autograd as torch
    >>> cube = lambda x: (x ** 3).sum()
    >>> x = torch.tensor([1.0, 2.0])
    >>> grad(cube)(x), grad(lambda x: grad(cube)(x).sum())(x)      # 3x², 6x
    (Tensor([ 3., 12.]), Tensor([ 6., 12.]))
    """
    with_value = _grad_and_value("grad", func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = with_value(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    wrapper.__name__ = f"grad_{getattr(func, '__name__', 'f')}"
    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """`(func(*primals), vjp_fn)`, as PyTorch's `torch.func.vjp`: `vjp_fn(cotangents)`, the
    cotangents shaped as func's output, gives a tuple with vᵀJ for each primal (a tree of
    Tensors each). With `has_aux=True`: `(output, vjp_fn, aux)`.

    >>> import autograd as torch
    >>> out, vjp_fn = vjp(lambda x: x ** 2, torch.tensor([1.0, 3.0]))
    >>> vjp_fn(torch.tensor([1.0, -1.0]))                   # 2x ⊙ v
    (Tensor([ 2., -6.]),)
    """
    where = "vjp"
    if not primals:
        raise TypeError(f"{where}: give the point to differentiate at after func: "
                        f"vjp(func, x) or vjp(func, x, y)")
    point = _Wired(where, primals, tuple(range(len(primals))))
    with enable_grad():
        out, aux = _split_aux(where, func(*point.args), has_aux)
    outs = _tensors_out(where, out, "func")
    record = point.outer(outs)

    def vjp_fn(cotangents: Any) -> tuple:
        seeds, _ = _flatten(cotangents)
        if len(seeds) != len(outs) or any(
                not isinstance(s, Tensor) or s.shape != o.shape for s, o in zip(seeds, outs)):
            raise ValueError(f"{where}: vjp_fn takes cotangents shaped as func's output "
                             f"({[o.shape for o in outs]}), got {type_name(cotangents)} of "
                             f"shapes {[getattr(s, 'shape', None) for s in seeds]}")
        for leaf in point.fresh:        # (constants between calls: see _Wired.retire)
            leaf.requires_grad = True
        try:                            # (vᵀJ is linear in v: recorded for a v that wants one)
            grads = _gradients(outs, seeds, point.leaves,
                               record or any(s.requires_grad for s in seeds))
        finally:
            point.retire()
        result = point.unpack(grads)
        return result if len(primals) != 1 else (result[0],)
    point.retire()
    shown = _detached(out, record)
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def _tangent_leaves(where: str, tangents: Any, leaves: list) -> list:
    """The tangents' Tensors, one per primal leaf, after checking structure and shapes."""
    vs, _ = _flatten(tuple(tangents))
    if len(vs) != len(leaves) or any(
            not isinstance(v, Tensor) or v.shape != x.shape for v, x in zip(vs, leaves)):
        raise ValueError(f"{where}: tangents must have the primals' structure and shapes "
                         f"({[x.shape for x in leaves]}), got shapes "
                         f"{[getattr(v, 'shape', type_name(v)) for v in vs]}")
    return vs


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """`(func(*primals), J · tangents)`, as PyTorch's `torch.func.jvp`: the change of func's
    output when the primals (a tuple of Tensors or trees of them) move along the tangents
    (of the same structure). Reverse mode only here: computed by the double-vjp trick, J v =
    d(uᵀJ · v)/du, two backward passes. With `has_aux=True`: `(output, jvp_out, aux)`.

    >>> import autograd as torch
    >>> jvp(lambda x: x ** 2, (torch.tensor([1.0, 3.0]),), (torch.tensor([1.0, -1.0]),))
    (Tensor([1., 9.]), Tensor([ 2., -6.]))
    """
    where = "jvp"
    if strict:
        raise NotImplementedError(f"{where}: strict=True is not supported (PyTorch's raises "
                                  f"for an output independent of the primals): leave it out")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{where}: primals and tangents are tuples (one entry per argument of "
                        f"func): jvp(f, (x,), (v,)); got {type_name(primals)} and "
                        f"{type_name(tangents)}")
    point = _Wired(where, tuple(primals), tuple(range(len(primals))))
    vs = _tangent_leaves(where, tangents, point.leaves)
    us: list = []
    try:
        with enable_grad():
            out, aux = _split_aux(where, func(*point.args), has_aux)
            outs = _tensors_out(where, out, "func")
            record = point.outer(outs)
            # u: a stand-in per output; uᵀJ is linear in it, so its value does not matter
            us = [Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs]
            firsts = _gradients(outs, us, point.leaves, True)
            jv = _gradients(firsts, vs, us, record or any(v.requires_grad for v in vs))
    finally:
        point.retire()
        for u in us:
            u.requires_grad = False
    _, build = _flatten(out)
    shown = (_detached(out, record), build(jv))
    return (*shown, aux) if has_aux else shown


def linearize(func: Callable, *primals: Any) -> tuple:
    """`(func(*primals), jvp_fn)`, as PyTorch's `torch.func.linearize`: `jvp_fn(*tangents)`
    (one tangent per primal, of its structure and shapes) gives J · tangents at the primals,
    as `jvp` would, without calling func again. Reverse mode only here: func runs once, the
    graph of uᵀJ (linear in a stand-in u per output, by one recorded backward pass) is kept,
    and each `jvp_fn` call is one backward pass through it, d(uᵀJ · v)/du = J v.

    >>> import autograd as torch
    >>> out, jvp_fn = linearize(lambda x: x.sin(), torch.tensor([0.0, 2.0]))
    >>> jvp_fn(torch.tensor([1.0, 1.0]))                    # cos(x) ⊙ v
    Tensor([ 1.       , -0.4161468])
    """
    where = "linearize"
    if not primals:
        raise TypeError(f"{where}: give the point to linearize at after func: "
                        f"linearize(func, x) or linearize(func, x, y)")
    point = _Wired(where, primals, tuple(range(len(primals))))
    try:
        with enable_grad():
            out = func(*point.args)
            outs = _tensors_out(where, out, "func")
            record = point.outer(outs)
            # u: a stand-in per output (its own leaf, kept by jvp_fn); uᵀJ is linear in it
            us = [Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs]
            firsts = _gradients(outs, us, point.leaves, True)
    finally:
        point.retire()
    _, build = _flatten(out)

    def jvp_fn(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise TypeError(f"{where}: jvp_fn takes one tangent per primal ({len(primals)}), "
                            f"got {len(tangents)}")
        vs = _tangent_leaves(where, tangents, point.leaves)
        with enable_grad():
            jv = _gradients(firsts, vs, us, record or any(v.requires_grad for v in vs))
        return build(jv)
    return _detached(out, record), jvp_fn


# ----------------------------------------------------------------------------------------------
# Jacobians and Hessians
# ----------------------------------------------------------------------------------------------

def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """The function returning func's Jacobian with respect to its arguments `argnums`, as
    PyTorch's `torch.func.jacrev`: for an output of shape `out` and an argument of shape `in`,
    a Tensor of shape `out + in`; a tree of arguments gives that tree of Jacobians, a tree of
    outputs a tree (of the output's structure) of them. One backward pass per output element
    (`chunk_size` is accepted and changes nothing). Recorded, as `grad`'s result is, so that
    `jacrev(jacrev(f))` is the Hessian.

    >>> import autograd as torch
    >>> jacrev(lambda x: x.sin())(torch.tensor([0.0, 1.0]))      # diag(cos x)
    Tensor([[1.       , 0.       ],
            [0.       , 0.5403023]])
    """
    where = "jacrev"
    if chunk_size is not None and (not isinstance(chunk_size, numbers.Integral)
                                   or chunk_size < 1):
        raise ValueError(f"{where}: chunk_size must be None or a positive int, got "
                         f"{chunk_size!r:.40}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        point = _Wired(where, args, argnums)
        try:
            with enable_grad():
                out, aux = _split_aux(where, func(*point.args, **kwargs), has_aux)
            outs = _tensors_out(where, out)
            record = point.outer(outs)
            blocks = _blocks(where, outs, point.leaves, record, False,
                             lambda i: f"output {i}", lambda j: f"input {j}")
        finally:
            point.retire()
        _, build = _flatten(out)
        result = build([point.unpack(line) for line in blocks])
        return (result, aux) if has_aux else result
    wrapper.__name__ = f"jacrev_{getattr(func, '__name__', 'f')}"
    return wrapper


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """PyTorch's `torch.func.jacfwd`: the same Jacobian as `jacrev` (glassgrad has reverse mode
    only, so it is computed as jacrev computes it, one backward pass per output element).

    >>> import autograd as torch
    >>> jacfwd(lambda x: x * x)(torch.tensor([3.0]))
    Tensor([[6.]])
    """
    _check_randomness("jacfwd", randomness)
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """The function returning the Hessian of the scalar function `func` with respect to its
    arguments `argnums`, as PyTorch's `torch.func.hessian`: `jacfwd(jacrev(func))`, of shape
    `in + in` for an argument of shape `in`.

    >>> import autograd as torch
    >>> hessian(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))    # diag(6x)
    Tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# ----------------------------------------------------------------------------------------------
# vmap
# ----------------------------------------------------------------------------------------------

def _check_randomness(where: str, randomness: Any) -> None:
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"{where}: randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r:.40}")


def _slice(x: Tensor, dim: int, i: int) -> Tensor:
    return x[(slice(None),) * dim + (i,)]


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """`func` mapped over a batch axis, as PyTorch's `torch.func.vmap`: the arguments are cut
    along `in_dims` (an int or None for all, or a tuple with one per argument: an int, None
    for an argument passed whole, or a tree of them for a tree), func is called on each slice,
    and its outputs (Tensors, or a tree of them) are stacked along `out_dims`. Keyword
    arguments are passed whole. Here func is called once per slice (a Python loop, whose
    results are in the graph: gradients flow back to the batch); nested vmaps and
    `vmap(grad(f))` (per-example gradients) work. `randomness`: 'error' refuses a func that
    draws from the shared generator (dropout, randn), 'different' gives each slice its own
    draws, 'same' the same draws to every slice. `chunk_size` is accepted and changes nothing.

    >>> import autograd as torch
    >>> dot = lambda a, b: (a * b).sum()
    >>> a, b = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    >>> vmap(dot)(a, b)                                     # row by row
    Tensor([3., 4.])
    >>> vmap(dot, in_dims=(0, None))(torch.ones(3, 2), torch.tensor([1.0, 2.0]))
    Tensor([3., 3., 3.])
    """
    where = "vmap"
    _check_randomness(where, randomness)
    if not callable(func):
        raise TypeError(f"{where}: func is the function to map, got a {type_name(func)}")
    if chunk_size is not None and (not isinstance(chunk_size, numbers.Integral)
                                   or chunk_size < 1):
        raise ValueError(f"{where}: chunk_size must be None or a positive int, got "
                         f"{chunk_size!r:.40}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_dims, tuple):
            if len(in_dims) != len(args):
                raise ValueError(f"{where}: in_dims has {len(in_dims)} entries for "
                                 f"{len(args)} positional argument(s): give one per argument "
                                 f"(None for one passed whole)")
            dims_per_arg = in_dims
        elif in_dims is None or isinstance(in_dims, numbers.Integral):
            dims_per_arg = (in_dims,) * len(args)
        else:
            raise ValueError(f"{where}: in_dims must be an int, None or a tuple (one entry per "
                             f"argument), got {type_name(in_dims)}")
        flat, builds, sizes = [], [], set()
        for a, (arg, spec) in enumerate(zip(args, dims_per_arg)):
            leaves, build = _flatten(arg)
            dims = _broadcast_spec(where, spec, arg, f"in_dims[{a}]")
            for x, d in zip(leaves, dims):
                if d is None:
                    flat.append((x, None))
                    continue
                if not isinstance(x, Tensor):
                    raise ValueError(f"{where}: argument {a} is a {type_name(x)} mapped over "
                                     f"dim {d}; only Tensors have a batch axis: give None in "
                                     f"in_dims for it")
                if not -x.ndim <= d < x.ndim:
                    raise ValueError(f"{where}: argument {a} has shape {x.shape}, which has no "
                                     f"dim {d} to map over (in_dims)")
                d = d % x.ndim
                sizes.add(x.shape[d])
                flat.append((x, d))
            builds.append((len(leaves), build))
        if not sizes:
            raise ValueError(f"{where}: no argument is mapped over (in_dims is None for all, or "
                             f"no Tensor was given): at least one Tensor needs a batch axis")
        if len(sizes) > 1:
            raise ValueError(f"{where}: the mapped dims have different sizes, {sorted(sizes)}: "
                             f"every argument mapped over needs the same batch size")
        (n,) = sizes
        if n == 0:
            raise ValueError(f"{where}: the batch is empty (size 0 along in_dims): there is "
                             f"nothing to call func on")
        state = random.get_state()
        results = []
        for i in range(n):
            if randomness == "same":
                random.set_state(state)
            leaves = [x if d is None else _slice(x, d, i) for x, d in flat]
            sliced, start = [], 0
            for size, build in builds:
                sliced.append(build(leaves[start:start + size]))
                start += size
            results.append(func(*sliced, **kwargs))
            if randomness == "error" and random.get_state() != state:
                raise RuntimeError(f"{where}: func drew random numbers (dropout, randn, ...) "
                                   f"with randomness='error': pass randomness='different' "
                                   f"(each slice its own draws) or 'same' (the same draws "
                                   f"for every slice)")
        return _stacked(where, results, out_dims)
    wrapper.__name__ = f"vmap_{getattr(func, '__name__', 'f')}"
    return wrapper


def _stacked(where: str, results: list, out_dims: Any) -> Any:
    """The per-slice results, each a tree of Tensors, as one tree stacked along out_dims."""
    columns = [_tensors_out(where, r, "func") for r in results]
    _, build = _flatten(results[0])
    if any(len(c) != len(columns[0]) for c in columns):
        raise ValueError(f"{where}: func returned trees of different structures for different "
                         f"slices; it must return the same structure for every slice")
    dims = _broadcast_spec(where, out_dims, results[0], "out_dims")
    stacked = []
    for k, d in enumerate(dims):
        parts = [c[k] for c in columns]
        if d is None:
            stacked.append(parts[0])
            continue
        shapes = {p.shape for p in parts}
        if len(shapes) > 1:
            raise ValueError(f"{where}: output {k} has different shapes for different slices, "
                             f"{sorted(shapes)}: they must match to be stacked")
        if not -(parts[0].ndim + 1) <= d <= parts[0].ndim:
            raise ValueError(f"{where}: out_dims {d} is out of range for an output of shape "
                             f"{parts[0].shape}")
        stacked.append(stack(parts, dim=d))
    return build(stacked)


# ----------------------------------------------------------------------------------------------
# Modules: functional_call (nn's), stack_module_state
# ----------------------------------------------------------------------------------------------

#: nn.utils.stateless.functional_call, handed over by nn when it is imported (the engine never
#: imports nn; a module to call exists only once nn is)
_module_call: Callable | None = None


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: Any = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """PyTorch's `torch.func.functional_call(module, {name: tensor}, args)`: the module run
    with the tensors given in place of its parameters and buffers, which is
    `nn.utils.stateless.functional_call` (see there).

    >>> import autograd as torch, nn
    >>> layer = nn.Linear(1, 1)
    >>> params = {"weight": torch.tensor([[3.0]]), "bias": torch.tensor([1.0])}
    >>> functional_call(layer, params, (torch.tensor([[2.0]]),))
    Tensor([[7.]])
    """
    if _module_call is None:
        raise TypeError(f"functional_call: module must be an nn.Module (import nn), got a "
                        f"{type_name(module)}")
    return _module_call(module, parameter_and_buffer_dicts, args, kwargs,
                        tie_weights=tie_weights, strict=strict)


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """PyTorch's `torch.func.stack_module_state(models)`: `(params, buffers)`, each a dict of
    name -> the models' tensors of that name stacked along a new first axis (the parameters
    as new leaves that require grad), for `vmap(functional_call)` over an ensemble.

    >>> import autograd as torch, nn
    >>> params, buffers = stack_module_state([nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape, params["weight"].requires_grad
    ((4, 2, 3), True)
    """
    models = list(models)
    if not models or not all(hasattr(m, "named_parameters") for m in models):
        raise TypeError("stack_module_state: expected a non-empty list of nn.Modules of the "
                        "same architecture")
    named = [(dict(m.named_parameters()), dict(m.named_buffers())) for m in models]
    if any(list(p) != list(named[0][0]) or list(b) != list(named[0][1]) for p, b in named):
        raise ValueError("stack_module_state: the models have different parameter or buffer "
                         "names; they must share one architecture")
    for k, kind in enumerate(("parameter", "buffer")):
        for n in named[0][k]:
            shapes = [np.shape(parts[k][n].data) for parts in named]
            if len(set(shapes)) > 1:
                raise ValueError(f"stack_module_state: {kind} {n!r} has the shapes {shapes} in "
                                 f"the models; they must share one architecture")
    params = {n: Tensor(np.stack([p[n].data for p, _ in named]), requires_grad=True)
              for n in named[0][0]}
    buffers = {n: Tensor(np.stack([b[n].data for _, b in named])) for n in named[0][1]}
    return params, buffers


#: torch.func's other names, and what to write here instead
_ELSEWHERE = {
    "functionalize": "not needed: the transforms here take functions that write in place as "
                     "they are; call func itself",
    "replace_all_batch_norm_modules_": "not here: make the BatchNorm layers with "
                                       "track_running_stats=False (batch statistics always, "
                                       "which is what it sets)",
}


def __getattr__(name: str) -> Any:
    hint = _ELSEWHERE.get(name)
    if hint is None:
        raise AttributeError(f"module 'autograd.func' has no attribute {name!r}")
    raise AttributeError(f"module 'autograd.func' has no attribute {name!r}; PyTorch's "
                         f"torch.func.{name} is {hint}")
