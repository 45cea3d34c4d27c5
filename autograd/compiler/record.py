"""Recording: walk the graph behind a scalar output once and write its structure down.

Every node the output depends on becomes an `Item`: a leaf (read again at every replay), a
constant (a number folded into an op, such as the 3 of `x * 3`), or an op node. Ops are lowered
to a few kinds on the way: `x + 3` is a sum with a constant term, `a + b` a sum of two terms.
Then chains of additions are fused: `((b + t0) + t1) + t2`, where each inner sum is used only by
the next one, becomes one sum of four terms, added in the same order (so the result is the same
number, bit for bit). micrograd's neuron `sum(w*x, b)` and the L2 penalty `sum(p*p)` are such
chains: fusing them is what makes the level count small (see `plan`).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..graph import COMPUTED, DETACHED, Node
from ..ops.arithmetic import (Add, AddConst, ConstPow, Mul, MulConst, Neg, Pow, PowBase,
                              PowConst, PowExponent, Sub)
from ..ops.elementwise import (Abs, ClampedLog, Cos, Exp, LeakyRelu, Log, LogOrZero, Relu, Sigmoid,
                               Sign, Sin, Softplus, Sqrt, Step, Tanh)
from ..value import Value
from .rules import MATH_OPS

# How each op of `Value` is lowered: its kind in the plan, and whether the op's saved constant
# (ctx) becomes a constant input. `Add`/`AddConst` become sums (fused below); Abs's ctx (the sign
# of its input) is not kept: the replay recomputes it from the current data. Step and Sign are
# the slopes of relu and abs in gradient graphs (`create_graph=True`), LogOrZero the ln a in
# the slope of a ** b: kinds of their own, so that the replay recomputes them too. LeakyRelu
# (its constant: the slope), Softplus and ClampedLog are what F.leaky_relu and the binary
# cross-entropies make of Values. Value's functions beyond micrograd's (rules.MATH_OPS) are
# kinds named after their ops.
LOWERING: dict[type, tuple[str, bool]] = {
    Add: ("sum", False), AddConst: ("sum", True),
    Mul: ("mul", False), MulConst: ("mul_const", True), Neg: ("neg", False),
    Sub: ("sub", False), Pow: ("pow", False), PowBase: ("pow_base", False),
    PowExponent: ("pow_exponent", False), PowConst: ("pow_const", True),
    ConstPow: ("const_pow", True), Exp: ("exp", False), Log: ("log", False),
    Sqrt: ("sqrt", False), Tanh: ("tanh", False), Sigmoid: ("sigmoid", False),
    Relu: ("relu", False), Abs: ("abs", False), Sin: ("sin", False), Cos: ("cos", False),
    Step: ("step", False), Sign: ("sign", False), LogOrZero: ("log_or_zero", False),
    LeakyRelu: ("leaky_relu", True), Softplus: ("softplus", False),
    ClampedLog: ("clamped_log", False),
    **{op: (op.name, False) for op in MATH_OPS},
}


class Item:
    """One node of the recorded graph (only while compiling: the plan keeps arrays, not these).

    kind    "leaf", "constant", or the op's kind ("sum", "mul", "relu", ...)
    args    the input Items, in order (a sum's terms, in the order they are added)
    """

    __slots__ = ("kind", "args", "node", "value", "uses", "level", "slot")

    def __init__(self, kind: str, args: list, node: Node | None = None, value: float = 0.0):
        self.kind, self.args, self.node, self.value = kind, args, node, value
        self.uses = 0                   # how many times other Items read this one
        self.level = 0                  # 0 for leaves and constants, else 1 + max of the inputs
        self.slot = -1                  # its place in the replay's buffers (set by `plan`)


class Recording:
    """The structure behind an output: its leaves, constants and op Items in topological order."""

    def __init__(self) -> None:
        self.leaves: list[Item] = []
        self.constants: dict[tuple, Item] = {}  # one Item per distinct number (see constant)
        self.ops: list[Item] = []               # each after its inputs; the output last
        self.output: Item | None = None         # the output's Item (an op, or a leaf)
        self.recorded = 0                       # op nodes in the eager graph
        self.fused = 0                          # additions folded into a longer sum

    def constant(self, number: Any) -> Item:
        """The Item of a number folded into an op (kept as given: 2 stays an int, so that an
        eager error message reads as the eager engine writes it)."""
        key = (type(number).__name__, float(number).hex())     # tells -0.0 from 0.0
        item = self.constants.get(key)
        if item is None:
            item = self.constants[key] = Item("constant", [], value=number)
        return item


def record(output: Node) -> Recording:
    """Walk the graph behind `output` (iteratively: graphs can be deep), lower and fuse it."""
    if isinstance(output, (list, tuple)) and output and all(isinstance(x, Value) for x in output):
        many = len(output) > 1
        raise TypeError(f"compile: expects one scalar Value, got a {type(output).__name__} of "
                        f"{len(output)} Value{'s' if many else ''}; "
                        + ("to train on their total, compile their sum: compile(sum(losses))"
                           if many else "compile the Value itself: compile(losses[0])"))
    if not isinstance(output, Value):
        raise TypeError(f"compile: expects a scalar Value, got {type(output).__name__}"
                        + (" (a Tensor graph is already vectorised: it gains nothing from "
                           "compiling)" if isinstance(output, Node) else ""))
    if output.is_leaf and output._fn is None:
        raise ValueError("compile: this Value does not require grad, so no graph was recorded "
                         "behind it (no input requires grad, or it was computed under "
                         "no_grad())")
    rec = Recording()
    items: dict[int, Item] = {}                 # id(node) -> its Item
    computed: list[Node] = []                   # constants that ops made (see _warn_frozen)
    detached: list[Node] = []                   # snapshots that .detach() made
    stack = [output]
    while stack:                                # post-order: a node after all of its inputs
        node = stack[-1]
        if id(node) in items:
            stack.pop()
            continue
        if node.is_leaf:
            _check_value(node)
            item = items[id(node)] = Item("leaf", [], node=node)
            rec.leaves.append(item)
            if node._fn is None:
                mark = getattr(node, "_a", None)
                if mark is COMPUTED:
                    computed.append(node)
                elif mark is DETACHED:
                    detached.append(node)
            stack.pop()
            continue
        inputs, ctx = node._layout()
        missing = [x for x in inputs if id(x) not in items]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        items[id(node)] = _lower(rec, node, [items[id(x)] for x in inputs], ctx)
    if computed or detached:
        _warn_frozen(computed, detached)
    rec.recorded = len(rec.ops)
    rec.output = items[id(output)]
    _fuse_sums(rec)
    for item in rec.ops:
        item.level = 1 + max(arg.level for arg in item.args)
    return rec


def _warn_frozen(computed: list[Node], detached: list[Node]) -> None:
    """Warn that numbers computed from Values that want no gradient (`-y`, `x - 3`), and the
    snapshots `.detach()` made, are leaves of the recording: a replay reads their .data, which
    nothing recomputes from the Values they came from."""
    if computed:
        many = len(computed) > 1
        warnings.warn(
            f"compile: {_numbers(computed)} {'were' if many else 'was'} computed from Values "
            f"that do not require grad (like -y or x - 3 for data Values), or under no_grad(): "
            f"the replays keep {'them' if many else 'it'} as recorded, whatever those Values' "
            f".data becomes. Combine data Values with parameters directly (y * -score, not -y "
            f"* score), give them requires_grad=True, or compute it outside no_grad()",
            stacklevel=4)                                       # (the caller of compile)
    if detached:
        many = len(detached) > 1
        warnings.warn(
            f"compile: {_numbers(detached)} {'are snapshots' if many else 'is a snapshot'} made "
            f"by .detach(): the replays keep {'them' if many else 'it'} as recorded, whatever "
            f"the Values {'they were' if many else 'it was'} taken from become. To follow the "
            f"data, use a Value with requires_grad=False instead and assign its .data before "
            f"each forward() (target.data = (w * w).data)", stacklevel=4)


def _numbers(nodes: list[Node]) -> str:
    """'1 number in this graph (4)', '5 numbers in this graph (-5, -4, -3 and 2 more)'."""
    values = ", ".join(f"{node.data:.6g}" for node in nodes[:3])
    more = f" and {len(nodes) - 3} more" if len(nodes) > 3 else ""
    return f"{len(nodes)} number{'s' if len(nodes) > 1 else ''} in this graph ({values}{more})"


def _check_value(node: Node) -> None:
    if not isinstance(node, Value):
        raise TypeError(f"compile: the graph holds a {type(node).__name__} leaf; only scalar "
                        f"Value graphs can be compiled")


def _lower(rec: Recording, node: Node, args: list[Item], ctx: Any) -> Item:
    """The Item for one op node: its kind, its inputs, plus its constant as an extra input."""
    _check_value(node)
    lowering = LOWERING.get(node._fn)
    if lowering is None:
        op = node._fn
        raise TypeError(f"compile: the op {op.name!r} ({op.__module__}.{op.__qualname__}) has no "
                        f"vectorised rule; compile supports the ops of Value (+ - * / ** and "
                        f"its methods: exp, log, tanh, sin, atan2, erf, ...), F.leaky_relu and "
                        f"the binary cross-entropies of Values. Write it with those, or run "
                        f"this graph eagerly (output.backward())")
    kind, with_constant = lowering
    if with_constant:
        args = args + [rec.constant(ctx)]
    for arg in args:
        arg.uses += 1
    item = Item(kind, args)
    rec.ops.append(item)
    return item


def _fuse_sums(rec: Recording) -> None:
    """Fold each sum that only feeds another sum into it: (t0 + t1) + t2 -> sum(t0, t1, t2).

    Only the first term may be a folded sum (the left-to-right order of the additions stays
    the eager one); `x + S` is read as `S + x`, which is the same number (addition commutes).
    A folded sum's term list is taken over, not copied: a chain of n additions costs O(n).
    """
    output = rec.output
    for item in rec.ops:                        # inputs first: a folded sum is complete
        if item.kind != "sum":
            continue
        first, second = item.args[0], item.args[1]
        if not _foldable(first, output) and _foldable(second, output):
            first, second = second, first
        if _foldable(first, output):
            terms = first.args                  # taken over: `first` is not kept
            terms.append(second)
            first.kind = "folded"
            item.args = terms
            rec.fused += 1
    rec.ops = [item for item in rec.ops if item.kind != "folded"]


def _foldable(item: Item, output: Item) -> bool:
    return item.kind == "sum" and item.uses == 1 and item is not output
