"""Large graphs drawn small: nodes made by the same op at the same depth become one box.

A network repeats itself: every neuron of a layer runs the same ops at the same depth, so
grouping by (depth, op) draws one neuron-shaped chain with "16 × mul" on its boxes. Leaves sit
one step before their first consumer, so each layer's weights get their own box. If that still
gives more than `max_nodes` boxes, neighbouring depths are merged into bands of 2, 4, 8, ...
levels, down to one band (one box per op); if `max_nodes` is below even the number of different
ops, everything becomes one box.
"""

from __future__ import annotations

from dataclasses import dataclass

from .trace import Trace


@dataclass(frozen=True)
class Group:
    """Nodes drawn as one box: `kind` is the op's name, "leaf" or "constant"."""

    kind: str
    members: list[int]


@dataclass(frozen=True)
class Collapsed:
    groups: list[Group]
    edges: list[tuple[int, int]]        # (group, group): some node of the first feeds the second
    caption: str                        # says what was collapsed, for the drawing's title


def _kind(trace: Trace, i: int) -> str:
    node = trace.nodes[i]
    if node.is_leaf:
        return "leaf" if node.requires_grad else "constant"
    return node.op


def _depths(trace: Trace) -> list[int]:
    """Results: their longest path from a leaf. Leaves: one step before their first consumer."""
    depth = trace.depths()
    for i, users in enumerate(trace.consumers()):
        if not trace.inputs[i] and users:
            depth[i] = min(depth[u] for u in users) - 1
    return depth


def collapse(trace: Trace, max_nodes: int) -> Collapsed:
    """Group the nodes of `trace` into at most `max_nodes` boxes (see the module docstring)."""
    depth = _depths(trace)
    kinds = [_kind(trace, i) for i in range(len(trace.nodes))]
    deepest = max(depth)
    band = 1
    keys = list(zip(depth, kinds))
    while len(set(keys)) > max_nodes and band <= deepest:
        band *= 2
        keys = [(d // band, k) for d, k in zip(depth, kinds)]
    how = "at the same depth" if band == 1 else f"within the same {band} levels of depth"
    if len(set(keys)) > max_nodes:                  # more kinds of op than boxes allowed
        keys = [(0, "node")] * len(kinds)
        kinds = ["node"] * len(kinds)
        how = "anywhere (max_nodes is below the number of different ops)"

    group_of_key: dict[tuple, int] = {}
    groups: list[Group] = []
    group_of = []
    for i, key in enumerate(keys):                  # groups numbered in walk order
        g = group_of_key.get(key)
        if g is None:
            g = group_of_key[key] = len(groups)
            groups.append(Group(kinds[i], []))
        groups[g].members.append(i)
        group_of.append(g)

    edges: dict[tuple[int, int], None] = {}         # a dict keeps first-seen order
    for i, inputs in enumerate(trace.inputs):
        for p in inputs:
            if group_of[p] != group_of[i]:
                edges[group_of[p], group_of[i]] = None

    caption = (f"Collapsed: {len(trace.nodes):,} nodes drawn as {len(groups):,} boxes "
               f"(max_nodes={max_nodes}); 'k × op' stands for k nodes made by that op {how}.")
    return Collapsed(groups, list(edges), caption)
