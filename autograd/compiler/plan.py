"""Planning: from the recorded Items to a list of vectorised steps over two flat buffers.

Every node gets a slot in a values buffer (and the same slot in a gradients buffer):

    [ constants | leaves that want a gradient | other leaves | group 1 | group 2 | ... ]

A node's level is 1 + the highest level of its inputs (leaves and constants: 0), so all inputs of
a level-k node are ready once the levels below k are done. The nodes of one level and one kind
(and, for sums, one number of terms) form a group with consecutive slots, and each group is one
`Step`: gather the inputs' values with one index array each, run the rule on whole arrays, store
the results in the group's slice. Backward runs the steps in reverse and scatter-adds each
gradient into its inputs' slots (`np.add.at` adds repeated targets up: a weight read by 100
points gets 100 contributions). The plan holds these index arrays, not the nodes.
"""

from __future__ import annotations

import itertools

import numpy as np

from .record import Item, Recording
from .rules import CONSTANT, NO_SLOPE, RULES


class Step:
    """All the nodes of one kind at one level: slots `start:stop` of the buffers.

    index    for a sum: a (terms, nodes) array of slots, row t the t-th term of every sum;
             else one array of slots per input, the constant last when the op has one
    targets  the slots that receive gradients: the differentiable inputs concatenated; for
             a sum, the terms of the first sum, then of the second...
    scatter  how backward adds into them (see `_scatter_mode`)
    op, ctx  the eager op whose rule runs, and where its ctx comes from (see `rules`)
    """

    __slots__ = ("level", "kind", "start", "stop", "index", "targets", "scatter", "op", "ctx",
                 "saved")

    def __init__(self, level: int, kind: str, start: int, stop: int, index: object,
                 targets: np.ndarray) -> None:
        self.level, self.kind, self.start, self.stop = level, kind, start, stop
        self.index, self.targets = index, targets
        self.scatter = _scatter_mode(targets)
        self.op, self.ctx = RULES.get(kind, (None, None))
        self.saved: tuple = ()          # the gathered inputs of the latest forward, for backward

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def terms(self) -> int:
        """Inputs per node (a sum's terms, an op's inputs with its constant)."""
        return len(self.index)

    def __repr__(self) -> str:
        nodes, inputs = count(self.size, "node"), count(self.terms, "input")
        return (f"Step(level {self.level}, {self.kind}, {nodes} of {inputs}, "
                f"slots {self.start}..{self.stop - 1})")


class Plan:
    """The steps and the layout of the buffers."""

    def __init__(self, rec: Recording) -> None:
        constants = list(rec.constants.values())
        wanting = [item for item in rec.leaves if item.node._fn is not None]
        others = [item for item in rec.leaves if item.node._fn is None]
        ops = sorted(rec.ops, key=_group_key)   # stable: ties keep their topological order
        for slot, item in enumerate(itertools.chain(constants, wanting, others, ops)):
            item.slot = slot
        self.n_constants = len(constants)
        self.leaves = [item.node for item in wanting + others]
        self.n_wanting = len(wanting)
        self.leaf_start = self.n_constants
        self.op_start = self.n_constants + len(self.leaves)
        self.size = self.op_start + len(ops)
        self.output_slot = rec.output.slot
        self.numbers = [item.value for item in constants]     # as given (for the eager path)
        self.constants = np.array(self.numbers, dtype=float)
        self.recorded, self.fused = rec.recorded, rec.fused
        self.steps = []
        start = self.op_start
        for _, group in itertools.groupby(ops, key=_group_key):
            group = list(group)
            self.steps.append(_step(group[0].level, group[0].kind, start, group))
            start += len(group)
        self.levels = max(step.level for step in self.steps) if self.steps else 0
        self.sums_made = sum(step.size for step in self.steps if step.kind == "sum")

    def nbytes(self) -> int:
        """Bytes of the plan's arrays (index arrays; the buffers are counted by the replay)."""
        total = self.constants.nbytes
        for step in self.steps:
            arrays = [step.index] if step.kind == "sum" else list(step.index)
            total += sum(a.nbytes for a in arrays) + step.targets.nbytes
        return total


# A step costs about as much as 5 eager nodes (~10 us, forward and backward: one gather, rule and
# store each way). Measured on chains of (y * 0.999 + 0.001).tanh(), W side by side (W nodes per
# step), eager build + backward against replayed forward + backward, medians of 7 alternating:
# W = 1: 5-8x slower than eager mode, 2: 2.6-2.8x, 3: 2.2x, 4: 1.5-1.8x, 5: 0.9x, 8: 0.5-0.6x.
NARROW = 4          # fewer recorded nodes per step than this: the replay is slower
DEEP = 1000         # ... and it matters (a step is ~10 us): warn from this many steps on


def narrow_warning(plan: Plan) -> str | None:
    """The warning for a deep, narrow graph whose replay is slower than eager mode, or None."""
    steps = len(plan.steps)
    if steps < DEEP or plan.recorded >= NARROW * steps:
        return None
    return (f"compile: {count(plan.recorded, 'recorded node')} in {count(plan.levels, 'level')} "
            f"({count(steps, 'vectorised step')}, {plan.recorded / steps:.1f} nodes per step): "
            f"the replay is slower than eager mode here. A step (a few numpy calls each way) "
            f"costs about as much as 5 eager nodes, so a deep, narrow graph (a long chain) "
            f"gains nothing from compiling (measured below {NARROW} nodes per step: 1.5-8x "
            f"slower); run it eagerly (output.backward())")


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 sum', '3 sums', '1 leaf', '2 leaves'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _scatter_mode(targets: np.ndarray) -> object:
    """How backward adds gradients into `targets`: a slice when they are consecutive slots
    (the cheapest), a fancy index when they are distinct, else np.add.at (repeats add up)."""
    if len(targets) and np.array_equal(targets, np.arange(targets[0], targets[0] + len(targets))):
        return slice(int(targets[0]), int(targets[0]) + len(targets))
    return "distinct" if len(np.unique(targets)) == len(targets) else "repeated"


def _group_key(item: Item) -> int:
    """(level, kind, terms of a sum) packed in one int: sorting tuples would make a tuple per
    node, and the garbage collector would walk the whole graph again for them."""
    terms = len(item.args) if item.kind == "sum" else 0
    return (item.level << 48) | (_KIND_NUMBER[item.kind] << 40) | terms


_KIND_NUMBER = {kind: number for number, kind in enumerate(["sum", *RULES])}


def _step(level: int, kind: str, start: int, group: list[Item]) -> Step:
    n_inputs = len(group[0].args)                       # the same for the whole group
    slots = np.fromiter((arg.slot for item in group for arg in item.args), dtype=np.intp,
                        count=len(group) * n_inputs).reshape(len(group), n_inputs)
    if kind == "sum":
        index = np.ascontiguousarray(slots.T)          # row t: the t-th term of every sum
        # targets sum by sum, to match g.repeat(terms); a 2-d index with broadcast values
        # would be shorter, but np.add.at adds garbage that way (numpy 2.4.6)
        return Step(level, kind, start, start + len(group), index, slots.ravel())
    index = tuple(np.ascontiguousarray(column) for column in slots.T)
    inputs = index[:-1] if RULES[kind][1] == CONSTANT else index
    flat = NO_SLOPE.get(kind, ())
    differentiable = [column for i, column in enumerate(inputs) if i not in flat]
    targets = np.concatenate(differentiable) if differentiable else np.empty(0, dtype=np.intp)
    return Step(level, kind, start, start + len(group), index, targets)
