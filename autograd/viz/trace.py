"""One deterministic walk over a graph: its nodes, inputs before results, and who feeds whom.

Positions in this walk name the nodes in every drawing ("n0", "n1", ...), so the same graph
always gives the same ids and the same picture (never `id()`, which changes from run to run).
"""

from __future__ import annotations

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

    def consumers(self) -> list[list[int]]:
        """For each node the positions of the nodes whose ops read it."""
        users: list[list[int]] = [[] for _ in self.nodes]
        for i, inputs in enumerate(self.inputs):
            for p in inputs:
                users[p].append(i)
        return users


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
