"""One deterministic walk over a graph: its nodes, inputs before results, and who feeds whom.

Positions in this walk name the nodes in every drawing ("n0", "n1", ...), so the same graph
always gives the same ids and the same picture (never `id()`, which changes from run to run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..graph import Node, walk


@dataclass(frozen=True)
class Trace:
    """`nodes[i]` and, in `inputs[i]`, the positions of its op's inputs, in the op's order.

    An input used twice (x * x) appears twice, as it does in the op.
    """

    nodes: list[Node]
    inputs: list[tuple[int, ...]]

    def depths(self) -> list[int]:
        """For each node the longest path from a leaf to it (0 for leaves)."""
        depth = [0] * len(self.nodes)
        for i, inputs in enumerate(self.inputs):     # inputs come first: one pass suffices
            if inputs:
                depth[i] = 1 + max(depth[p] for p in inputs)
        return depth

    def stale(self) -> tuple[list[int], list[int]]:
        """The ops whose result no longer follows from their inputs' numbers, and the inputs
        that changed: the numbers were changed after the forward pass (an optimizer step,
        micrograd's `p.data -= lr * p.grad`), so a drawing would show the new inputs beside
        results computed from the old ones. Both lists hold positions in the walk.

        A Tensor notes every in-place change (the write clock backward checks): the inputs
        named are exactly those changed. A Value does not (its data is a plain float), so each
        built-in op that reads a leaf (a parameter, an input: what an update changes) is
        computed again from its inputs; the inputs named are the leaves among the inputs of
        the ops that disagree (some of them changed).

        >>> from autograd import Value
        >>> w, x = Value(-3.0, label="w"), Value(2.0, label="x")
        >>> y = (w * x).tanh()
        >>> walked = trace(y)
        >>> walked.stale()
        ([], [])
        >>> w.data -= 0.1                       # an update after the forward pass
        >>> ops, inputs = walked.stale()
        >>> [walked.nodes[i].op for i in ops], [walked.nodes[i].label for i in inputs]
        (['mul'], ['w', 'x'])
        """
        ops: list[int] = []
        changed: dict[int, None] = {}                   # a dict keeps walk order, once each
        tensors = bool(self.nodes) and type(self.nodes[0])._notes_writes
        for i, inputs in enumerate(self.inputs):
            if not inputs:
                continue
            node = self.nodes[i]
            if tensors:
                moved = [p for p in inputs if _written_after(self.nodes[p], node)]
            else:       # (ops on results alone are not computed again: half the work saved)
                moved = [p for p in inputs if not self.inputs[p]]
                if not moved or not _disagrees(node):
                    continue
            if moved:
                ops.append(i)
                changed.update(dict.fromkeys(moved))
        return ops, sorted(changed)

    def consumers(self) -> list[list[int]]:
        """For each node the positions of the nodes whose ops read it."""
        users: list[list[int]] = [[] for _ in self.nodes]
        for i, inputs in enumerate(self.inputs):
            for p in inputs:
                users[p].append(i)
        return users


def _written_after(x: Node, user: Node) -> bool:
    """True if tensor `x`'s numbers changed in place after `user`, an op reading it, was made
    (the test backward makes before it runs: `tensor._refuse_changed_inputs`)."""
    from ..tensor_in_place import _last_memory_write       # the Tensor's side, only for one

    return x._written_at > user._written_at or _last_memory_write(x.data) > user._written_at


_OPS = __package__.rpartition(".")[0] + ".ops"           # autograd.ops: the built-in ops
_BUILTIN: dict[type, bool] = {}                         # op class -> whether it is one


def _disagrees(node: Node) -> bool:
    """True if a Value made by a built-in op is not what the op now gives for its inputs'
    numbers. A user's own op (a Function) is trusted: running its forward again could have
    effects. The tolerance allows a node built by hand the micrograd way, tanh written with
    exp; the drawing's four decimals would not show a smaller change."""
    op = node._fn
    builtin = _BUILTIN.get(op)
    if builtin is None:
        builtin = _BUILTIN[op] = op.__module__.startswith(_OPS)
    if not builtin:
        return False
    inputs, ctx = node._layout()
    try:
        again = op.forward(ctx, *[x.data for x in inputs])
    except (ArithmeticError, ValueError, TypeError):   # log of a now negative input, ...
        return True
    data = node.data
    if again == data or (again != again and data != data):          # the same, or both nan
        return False
    return not math.isclose(again, data, rel_tol=1e-9, abs_tol=1e-12)


def trace(root: Node) -> Trace:
    """Every node that leads to `root`, each once, inputs before the results made from them.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> t = trace(x * x + 1)
    >>> [n.op or n.label for n in t.nodes], t.inputs
    (['x', 'mul', 'add'], [(), (0, 0), (1,)])
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph: expected a Value or a Tensor, got {type(root).__name__}")
    nodes = list(walk(root))
    position = {id(node): i for i, node in enumerate(nodes)}
    inputs = [tuple(position[id(p)] for p in node.parents) for node in nodes]
    return Trace(nodes, inputs)
