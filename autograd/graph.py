"""The one graph core shared by `Value` and `Tensor`.

A node holds its payload (`data`: a float or an ndarray), its gradient, and, when it was made by
an op while gradients were wanted, the op and its inputs (`_parents`, an ordered tuple). Nothing in
a node points back at itself, so a graph has no reference cycles and is freed by reference counting
the moment its output is dropped.

Backpropagation runs in two passes, both iterative (no recursion, any depth):

1. count, for every node that leads to the output, how many of its consumers lead there too;
2. start at the output and hand each node's gradient to its op's rule; a parent is processed
   once all of its consumers have been (Kahn's algorithm, run from the output backwards).

The counts live in the nodes (`_pending`) and return to zero as the second pass consumes them, so
neither pass allocates a visited set or a topological list.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterator

__all__ = [
    "Node", "Op", "record", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "backward", "backward_create_graph", "gradients", "raw", "walk",
]


# ----------------------------------------------------------------------------------------------
# Grad mode
# ----------------------------------------------------------------------------------------------

class _GradMode:
    __slots__ = ("enabled", "anomaly")

    def __init__(self) -> None:
        self.enabled = True
        self.anomaly = False            # see autograd.anomaly.detect_anomaly


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for backpropagation."""
    return grad_mode.enabled


class set_grad_enabled:
    """Context manager and decorator that switches recording on or off, restoring it on exit.

    >>> from autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved: list[bool] = []

    def __enter__(self) -> "set_grad_enabled":
        self._saved.append(grad_mode.enabled)
        grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.enabled = self._saved.pop()

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """Do not record ops (inference, parameter updates). Usable as `with no_grad():` or `@no_grad()`."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record ops even inside `no_grad()`."""

    def __init__(self) -> None:
        super().__init__(True)


# ----------------------------------------------------------------------------------------------
# Nodes and ops
# ----------------------------------------------------------------------------------------------

class Node:
    """Bookkeeping shared by `Value` and `Tensor` (they add only the payload's operators).

    `_op` is None for a leaf; `_ctx` holds the constants the op's rule needs (an axis, a mask);
    `_pending` is scratch space for backpropagation and is zero outside it.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_op", "_parents", "_ctx", "_pending")

    #: what `.grad` of an intermediate node is reset to before each backward (0.0 or None)
    _empty_grad: Any = None
    #: per-payload check of each gradient, called as fit(grad, parent, child); None: no check
    _fit_grad: Callable | None = None

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user (or constants), False for results of recorded ops."""
        return self._op is None

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this node, in order (empty for a leaf)."""
        return self._parents

    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        return "" if self._op is None else self._op.name

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (0.0 for a Value, None for a Tensor)."""
        self.grad = self._empty_grad

    # micrograd compatibility: its graph-drawing code walks `_prev`
    _prev = parents


def record(out: Node, op: type, parents: tuple, ctx: Any = None) -> Node:
    """Attach `op` and its inputs to the fresh node `out`, if grad mode is on and some input
    wants a gradient; otherwise `out` stays a constant. Returns `out`."""
    out._ctx = ctx
    if grad_mode.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._op = op
                out._parents = parents
                break
    return out


def raw(x: Any) -> Any:
    """The payload of a node, or `x` itself (rules use it for masks that are never differentiated)."""
    return x.data if isinstance(x, Node) else x


class Op:
    """A differentiable primitive: a class with two plain functions, never instantiated.

        forward(ctx, *inputs)            the op on raw payloads (floats or ndarrays)
        backward(ctx, g, out, *inputs)   one gradient per input (None where there is none)

    They take no `self`: the driver calls them on the class (`Mul.backward(...)`), and `ctx`
    holds the op's constants (an axis, an exponent, a mask) saved when the node was recorded.
    The same rule serves both passes: the first-order pass calls it with raw floats/arrays; the
    higher-order pass calls it with nodes, so the operators it uses are recorded and can be
    differentiated again. `broadcasting = True` lets the gradients be larger than the inputs;
    the backward driver then sums them back to each input's shape (see `autograd.broadcast`).
    """

    name = "op"
    symbol = ""             # how drawings label the op ("+", "*"); the name when empty
    broadcasting = False

    def forward(ctx: Any, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(ctx: Any, g: Any, out: Any, *inputs: Any) -> tuple:
        raise NotImplementedError


# ----------------------------------------------------------------------------------------------
# Backpropagation
# ----------------------------------------------------------------------------------------------

def _count_consumers(root: Node, reset_grads: bool) -> None:
    """Pass 1: set `_pending` of every node that leads to `root` to its number of consumers.

    With `reset_grads`, intermediate gradients from an earlier backward are cleared so that they are
    recomputed, never double-counted; leaf gradients are kept so that they accumulate.
    """
    empty = root._empty_grad
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if reset_grads:
            node.grad = empty
        for parent in node._parents:
            if parent.requires_grad:
                count = parent._pending
                if count:
                    parent._pending = count + 1
                else:
                    parent._pending = 1
                    if parent._op is not None:          # leaves have nothing to visit
                        push(parent)


def _clear_pending(root: Node) -> None:
    """Zero the counts after a backward that raised, so that the next one starts clean.

    Walks the whole graph (a node whose count already reached zero may still have parents
    with counts left); this runs only on the error path.
    """
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        node._pending = 0
        for parent in node._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)


def _check_root(root: Node) -> None:
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this result does not require grad (no input requires grad, or it was "
            "computed under no_grad()); nothing to differentiate")
    if root._pending:
        raise RuntimeError("backward: another backward pass over this graph is still running")


def _gradient_check(root: Node) -> Callable | None:
    """The per-gradient hook: the payload's shape check, plus NaN/inf checks in anomaly mode."""
    if grad_mode.anomaly:
        from .anomaly import checked_fit
        return checked_fit(root._fit_grad)
    return root._fit_grad


def backward(root: Node, gradient: Any) -> None:
    """First-order backpropagation: runs the rules on raw payloads and writes `.grad` of every node.

    Leaves accumulate (`leaf.grad += ...`); intermediate nodes get their gradient for this output.
    """
    _check_root(root)
    if root._op is None:                          # a leaf: its gradient is simply `gradient`
        root.grad = gradient if root.grad is None else root.grad + gradient
        return
    _count_consumers(root, reset_grads=True)
    fit = _gradient_check(root)
    root.grad = gradient
    ready = [root]
    pop, push = ready.pop, ready.append
    try:  # rules see raw floats/arrays here, so nothing is recorded: no need for no_grad()
        while ready:
            node = pop()
            op = node._op
            parents = node._parents
            g = node.grad
            # unary and binary ops by hand: *args and zip() cost more than the rule itself
            if g is None:                       # no consumer sent a gradient: nothing to pass on
                grads = (None,) * len(parents)
            elif len(parents) == 2:
                a, b = parents
                grads = op.backward(node._ctx, g, node.data, a.data, b.data)
            elif len(parents) == 1:
                grads = op.backward(node._ctx, g, node.data, parents[0].data)
            else:
                grads = op.backward(node._ctx, g, node.data, *[p.data for p in parents])
            i = 0
            for parent in parents:
                g = grads[i]
                i += 1
                if not parent.requires_grad:
                    continue
                if g is not None:
                    if fit is not None:
                        g = fit(g, parent, node)
                    have = parent.grad
                    parent.grad = g if have is None else have + g
                count = parent._pending - 1
                parent._pending = count
                if not count and parent._op is not None:
                    push(parent)
    except ZeroDivisionError as error:      # a float rule at a point of infinite slope
        _clear_pending(root)
        raise ZeroDivisionError(
            f"backward of {node._op.name}: the derivative is infinite at this input "
            f"({error})") from None
    except BaseException:
        _clear_pending(root)
        raise


def gradients(root: Node, gradient: Node, create_graph: bool = True) -> dict:
    """Higher-order backpropagation: runs the rules on nodes, so the gradients are graphs too.

    Returns {node: gradient node} for every node that leads to `root` and wants a gradient.
    Does not touch `.grad`; `backward(create_graph=True)` and `autograd.grad` build on it.
    """
    _check_root(root)
    _count_consumers(root, reset_grads=False)
    fit = _gradient_check(root)
    grads = {root: gradient}
    ready = [root] if root._op is not None else []
    try:
        with set_grad_enabled(create_graph):
            while ready:
                node = ready.pop()
                op = node._op
                parents = node._parents
                g = grads.get(node)
                if g is None:                   # no consumer sent a gradient: nothing to pass on
                    results = (None,) * len(parents)
                else:
                    results = op.backward(node._ctx, g, node, *parents)
                for parent, g in zip(parents, results):
                    if not parent.requires_grad:
                        continue
                    if g is not None:
                        if not isinstance(g, Node):
                            g = type(parent)._constant_like(g, parent)
                        if fit is not None:
                            g = fit(g, parent, node)
                        have = grads.get(parent)
                        grads[parent] = g if have is None else have + g
                    parent._pending -= 1
                    if not parent._pending and parent._op is not None:
                        ready.append(parent)
    except BaseException:
        _clear_pending(root)
        raise
    return grads


def backward_create_graph(root: Node, gradient: Node) -> None:
    """`backward(create_graph=True)`: like `backward`, but every `.grad` becomes a node."""
    grads = gradients(root, gradient, create_graph=True)
    with enable_grad():
        for node, g in grads.items():
            if node._op is None:
                have = node.grad
                node.grad = g if have is None else have + g
            else:
                node.grad = g


def walk(root: Node) -> Iterator[Node]:
    """Every node that leads to `root` (including constants), each once, parents before children.

    An iterative depth-first post-order, used to draw and inspect graphs (not on any hot path).
    """
    seen = {id(root)}
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(root._parents))]
    while stack:
        node, it = stack[-1]
        for parent in it:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent._parents)))
                break
        else:
            stack.pop()
            yield node
