"""Tensor hooks, PyTorch's `t.register_hook(hook)`: `hook(grad)` is called when backward has
worked out t's gradient, and may return a gradient to use instead (or change the one it is
given in place, `g.clamp_(-1, 1)`, as PyTorch lets it).

A hook on a result of an op sees its gradient once every consumer has sent its share, before
the op's rule passes it on: what it returns goes on to the inputs, and is what `t.grad` holds.
A hook on a leaf (a parameter) sees the gradient this backward pass computed for it, and what
it returns is what gets added into `.grad`.

>>> from autograd import Tensor
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> h = w * 3
>>> handle = h.register_hook(lambda g: g.clamp(-0.5, 0.5))     # clip the gradient on its way
>>> (h * h).sum().backward()                                    # d/dh = 2h = [6, -12]
>>> h.grad, w.grad
(array([ 0.5, -0.5], dtype=float32), array([ 1.5, -1.5], dtype=float32))
>>> handle.remove()

A tensor keeps its own hooks (`t._hooks`, {hook id: hook}), so that a hook that refers to its
tensor (`h.register_hook(lambda g: g * h.data)`) makes a cycle the garbage collector can free;
and `graph.tensor_hooks` lists, by id, a weak reference to each tensor that has hooks, which
goes when the tensor does. As in PyTorch, hooks belong to the value they were registered on:
`h[0] = v` makes h a new node of the graph, and h's hooks go with its old history
(`move_hooks`), to see the gradient of the numbers before the write. Backpropagation looks at that table once per pass: while no tensor
has a hook, `Tensor.backward` runs `graph.backward` as it always did; otherwise it runs
`backward` below, the reference loop of `graph.backward` with the hooks' calls in it.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

import numpy as np

from . import graph
from .graph import PENDING, Leaf, Node, tensor_hooks, topological_order

_ids = itertools.count()


class RemovableHandle:
    """What `register_hook` returns: `handle.remove()` takes the hook off the tensor (also as
    `with t.register_hook(hook): ...`, which removes it at the end of the block).

    >>> from autograd import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with w.register_hook(lambda g: g * 0):      # inside the block, the gradient is zeroed
    ...     (w * w).sum().backward()
    >>> (w * w).sum().backward(); w.grad             # removed after it: 0 + 2w
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("_hooks", "_id")

    def __init__(self, hooks: Hooks, hook_id: int) -> None:
        self._hooks, self._id = weakref.ref(hooks), hook_id     # (a handle keeps no tensor)

    def remove(self) -> None:
        """Take the hook off (nothing happens if it, or its tensor, is gone already)."""
        hooks = self._hooks()
        if hooks is None or self._id not in hooks:
            return
        del hooks[self._id]
        tensor = hooks.owner()
        if not hooks and tensor is not None:
            del tensor._hooks, tensor_hooks[id(tensor)]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_hook(tensor: Any, hook: Callable) -> RemovableHandle:
    """Call `hook(grad)` whenever backward computes `tensor`'s gradient (see the module).

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * 2
    >>> handle = register_hook(y, lambda g: print("dL/dy:", g.tolist()))   # y.register_hook(...)
    >>> (y * y).sum().backward()                                           # dL/dy = 2y
    dL/dy: [4.0, 8.0]
    """
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be a function of the gradient, got "
                        f"{type(hook).__name__}")
    if tensor._fn is None:
        raise RuntimeError("register_hook: this tensor does not require grad, so no gradient "
                           "is computed for it (make a leaf want one: requires_grad=True)")
    if id(tensor) not in tensor_hooks:
        _give(tensor, Hooks())
    hook_id = next(_ids)
    tensor._hooks[hook_id] = hook
    return RemovableHandle(tensor._hooks, hook_id)


class Hooks(dict):
    """A tensor's hooks, {hook id: hook}, and a weak reference to the tensor they are on
    (`owner`, the one in `graph.tensor_hooks`), which `move_hooks` changes."""

    __slots__ = ("owner", "__weakref__")


def _give(tensor: Any, hooks: Hooks) -> None:
    """Put `hooks` on `tensor` and list it in `graph.tensor_hooks` until it goes."""
    key = id(tensor)

    def forget(ref: weakref.ref) -> None:          # the tensor is gone (or its hooks moved)
        if tensor_hooks.get(key) is ref:
            del tensor_hooks[key]
    tensor._hooks = hooks
    hooks.owner = tensor_hooks[key] = weakref.ref(tensor, forget)


def move_hooks(tensor: Any, old: Any) -> None:
    """`tensor` is about to take a new history in place (`t[0] = v`, `t += w` on a view), and
    `old`, a new object, has taken its old one: the hooks go with the old history, as PyTorch
    keeps them on the value they were registered on (they see the gradient of the numbers
    before the write; a hook registered afterwards sees the gradient of those after it)."""
    if id(tensor) not in tensor_hooks:
        return
    hooks = tensor._hooks
    del tensor._hooks, tensor_hooks[id(tensor)]
    _give(old, hooks)


def run_hooks(node: Node, g: Any, hooks: dict) -> Any:
    """`g` through node's hooks, in the order they were registered: each gets a Tensor (the
    gradient as a constant at first order, the gradient's graph at higher orders) and may
    return a replacement of the same shape; returns the payload (first order) or node."""
    kind = node._kind
    is_node = isinstance(g, Node)
    for hook in list(hooks.values()):
        # at first order a copy: a hook may change it in place (`g.clamp_(-1, 1)`, `g *= 3`,
        # `g[0] = 0`), as PyTorch lets it, and those numbers go on; the engine's own array may
        # be another tensor's gradient too (an add passes one array to both its inputs)
        given = g if is_node else kind(g.copy())
        result = hook(given)
        if result is None or result is given:
            if is_node:
                continue
            result = given
        data = result.data if isinstance(result, Node) else np.asarray(result)
        if np.shape(data) != np.shape(g.data if is_node else g):
            raise ValueError(f"register_hook: the hook {getattr(hook, '__name__', hook)!r} "
                             f"returned a gradient of shape {np.shape(data)}, but the tensor's "
                             f"is {node.shape}; a hook returns a gradient of the same shape "
                             f"(or None, to keep it)")
        if is_node:
            g = result if isinstance(result, Node) else kind(data.astype(g.data.dtype))
        else:
            g = np.asarray(data, dtype=g.dtype)
    return g


def backward(root: Node, gradient: Any) -> None:
    """`graph.backward` while some tensor has hooks: the same passes, written as its reference
    loop, with each hooked node's gradient put through its hooks before its rule runs, and
    each hooked leaf's new gradient before it is added into `.grad`."""
    leaves = [(tensor, tensor.grad, tensor._hooks) for tensor in
              (ref() for ref in list(tensor_hooks.values()))
              if tensor is not None and tensor._fn is Leaf]
    for leaf, _, _ in leaves:               # collect this pass's gradient apart
        leaf.grad = None
    try:
        fn = root._fn
        if fn is None or fn is Leaf or root.grad is PENDING:
            graph.backward(root, gradient)  # (checks the root; a leaf takes the gradient)
        else:
            order = topological_order(root, True)
            root.grad = gradient
            try:
                for node in reversed(order):
                    if id(node) in tensor_hooks and node.grad is not PENDING:
                        node.grad = run_hooks(node, node.grad, node._hooks)
                    node._apply_rule()
            except BaseException:
                graph._clear_marks(order, root._empty_grad)
                raise
        news = [None if leaf.grad is None else run_hooks(leaf, leaf.grad, hooks)
                for leaf, _, hooks in leaves]
    except BaseException:                   # (a rule or a hook raised: the leaves as they were)
        for leaf, old, _ in leaves:
            leaf.grad = old
        raise
    for (leaf, old, _), new in zip(leaves, news):
        leaf.grad = old if new is None else new if old is None else graph.summed(old, new)
