"""Replaying a plan: `CompiledGraph.forward` and `.backward` as a few numpy calls per step."""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy as np

from .. import graph
from ..graph import apply, enable_grad
from ..ops.elementwise import ClampedLog, LeakyRelu, Softplus, sign_of, step_of
from ..ops.payload_math import log_or_zero
from ..value import Value, _as_float, data_hint
from .plan import Plan, Step, count
from .rules import CONSTANT, FORMULAS, MATH_OPS, SIGN


class CompiledGraph:
    """The graph behind a scalar `Value`, recorded once and replayed as vectorised steps.

    Made by `autograd.compile(output)` (see there for an example).

    `forward()` recomputes every node from the leaves' current `.data` and returns the output;
    `backward()` adds d output / d leaf into `.grad` of every leaf that requires grad, as
    `output.backward()` does. The numbers live in the replay's arrays: the recorded nodes
    (the output, intermediate nodes) keep the `.data` and `.grad` they had when recorded.
    `explain()` lists the steps, `to_dot()` draws them (DOT text), `steps` holds them.

    Exactness: each step runs the eager op's own rule on arrays, and a fused sum adds its terms
    in the eager order, so the forward pass gives the eager numbers (+ - * neg relu leaky_relu
    abs: bit for bit; pow, exp, log, sqrt, tanh, sigmoid, softplus, sin, cos: numpy's functions,
    within a few ulps of `math`'s: at most 3 measured, on 100,000 points each with numpy 2.4 and
    1.24; erf and erfc: Cody's approximations (ops/erf.py), at most 5 ulps from `math`'s, measured
    on 20,000 points in [-6, 6] with numpy 2.4).
    Gradients add the same contributions, in another order (within a few ulps).
    When a pass meets a number that is not finite (an overflow, log of a negative number,
    0 ** -1, an infinite slope), that pass is handed to the eager engine over the same
    structure, so errors and infinities are the eager ones. (Where the data hold two such
    problems, say a log of 0 and a division by 0, the error may be about the other one: the
    eager pass is rebuilt in the replay's order, not the program's.)
    """

    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._steps = plan.steps
        # backward's steps, last first: those that send gradients (not step and sign, whose
        # slope is 0: rules.NO_SLOPE)
        self._sending = [step for step in reversed(plan.steps) if len(step.targets)]
        self._leaves = plan.leaves
        self._wanting = plan.leaves[:plan.n_wanting]
        self._leaf_slots = slice(plan.leaf_start, plan.op_start)
        self._wanting_slots = slice(plan.leaf_start, plan.leaf_start + plan.n_wanting)
        self._output = plan.output_slot
        self._values = np.empty(plan.size)
        self._values[:plan.n_constants] = plan.constants
        self._grads = np.zeros(plan.size)
        self._eager: Value | None = None    # the eager graph, when a pass needed it
        self._requires_grad_seen = graph.requires_grad_clock.count      # (see backward)
        self._forward_done = False          # False after a forward() that raised
        self.forward()

    # -- replay --------------------------------------------------------------------------------

    def forward(self, *inputs: Any) -> float:
        """Recompute every node from the leaves' current data; return the output's value.

        It takes no arguments: new inputs go in through the leaves' `.data` (`x.data = 3.0`,
        for every input Value the graph was built from) before each call."""
        if inputs:
            raise TypeError(_no_arguments(f"forward() takes no arguments (got {len(inputs)})"))
        values = self._values
        self._forward_done = False
        # read as an array first: assigned from a list, numpy would parse a str ('1.5') and
        # read None as NaN, where eager arithmetic refuses both
        try:
            data = np.array([leaf.data for leaf in self._leaves])
        except (TypeError, ValueError):     # arrays of different shapes among them
            data = None
        if data is None or data.dtype.kind not in "biuf" or data.ndim != 1:
            data = _leaf_numbers(self._leaves)      # or the error naming the leaf
        values[self._leaf_slots] = data
        with np.errstate(all="ignore"):     # non-finite results are judged below, as a whole
            for step in self._steps:
                if step.kind == "sum":
                    _sum_forward(values, step)
                    continue
                inputs = [values[index] for index in step.index]
                if step.ctx == CONSTANT:
                    ctx = inputs.pop()
                elif step.ctx == SIGN:
                    ctx = np.sign(inputs[0])
                else:
                    ctx = None
                values[step.start:step.stop] = step.op.forward(ctx, *inputs)
                step.saved = (ctx, inputs)
        self._eager = None
        if not np.isfinite(values[self._checked()]).all():
            self._eager = self._rebuild()   # raises as the eager engine would, or agrees
        self._forward_done = True
        return float(values[self._output]) if self._eager is None else self._eager.data

    def __call__(self, *inputs: Any) -> float:
        raise TypeError(_no_arguments("a CompiledGraph is not called; its forward() takes no "
                                      "arguments"))

    def backward(self, gradient: float = 1.0) -> None:
        """Add d output / d leaf (times `gradient`) into `.grad` of every leaf that wants one,
        for the values of the latest `forward()`."""
        if gradient.__class__ is not float:
            gradient = _as_float(gradient, "backward: gradient")
        if not self._forward_done:
            raise RuntimeError("backward: the latest forward() raised, so there are no values "
                               "to differentiate (eager mode would have no graph); call "
                               "forward() again once the data are fixed")
        if graph.requires_grad_clock.count != self._requires_grad_seen:
            self._check_requires_grad()     # (only once some requires_grad was set since)
        if self._eager is not None:
            self._eager.backward(gradient)
            return
        values, grads = self._values, self._grads
        grads.fill(0.0)
        grads[self._output] = gradient
        with np.errstate(all="ignore"):
            for step in self._sending:
                g = grads[step.start:step.stop]     # complete: its consumers are all done
                if step.kind == "sum":              # every term gets the sum's gradient
                    _scatter(grads, step, g.repeat(len(step.index)))
                    continue
                ctx, inputs = step.saved
                parts = step.op.backward(ctx, g, values[step.start:step.stop], *inputs)
                if parts[0] is None:        # pow_exponent: no slope for its constant base
                    parts = parts[1:]       # (see rules.NO_SLOPE)
                elif parts[-1] is None:     # pow_base: none for its exponent
                    parts = parts[:-1]
                _scatter(grads, step, parts[0] if len(parts) == 1 else np.concatenate(parts))
        if not np.isfinite(grads[self._checked()]).all():
            self._eager = self._rebuild()   # the eager engine decides (it may raise)
            self._eager.backward(gradient)
            return
        _accumulate(self._wanting, grads[self._wanting_slots].tolist())

    def _check_requires_grad(self) -> None:
        """Raise if a leaf was given requires_grad=False, or True, since it was recorded: the
        replay would still send it its gradient (a frozen parameter would go on training), or
        send none. Which leaves want a gradient is part of the recorded structure."""
        for i, leaf in enumerate(self._leaves):
            if (leaf._fn is not None) != (i < self._plan.n_wanting):
                now = "requires grad" if leaf._fn is not None else "no longer requires grad"
                raise RuntimeError(
                    f"backward: the compiled graph's leaves[{i}] ({leaf.label or 'unlabelled'}, "
                    f"{leaf!r}) {now} since it was compiled; which leaves want a gradient is "
                    f"part of what compile recorded, and the replay would "
                    f"{'give it none' if leaf._fn is not None else 'still give it one'}. "
                    f"Build the output again and compile it (graph = compile(loss))")
        self._requires_grad_seen = graph.requires_grad_clock.count

    def _checked(self) -> slice:
        """The slots whose numbers must be finite for the vectorised pass to stand: all but
        the constants (a constant's 'gradient' is scratch)."""
        return slice(self._plan.n_constants, None)

    def _rebuild(self) -> Value:
        """The same structure built again by the eager engine from the current data.

        Used only when a pass meets a non-finite number: then eager mode's rules (its errors,
        ReLU passing no gradient at all when off) decide, one Python object per node.
        """
        plan = self._plan
        nodes: list[Any] = [Value(c, requires_grad=False) for c in plan.numbers]
        nodes += self._leaves
        with enable_grad():
            for step in self._steps:
                columns = [index.tolist() for index in step.index]
                make = None if step.kind == "sum" else _EAGER[step.kind]
                for slots in zip(*columns):
                    inputs = [nodes[slot] for slot in slots]
                    if step.ctx == CONSTANT:
                        inputs[-1] = plan.numbers[slots[-1]]
                    if make is None:                # a sum, in the eager order
                        total = inputs[0]
                        for term in inputs[1:]:
                            total = total + term
                        nodes.append(total)
                    else:
                        nodes.append(make(*inputs))
        return nodes[plan.output_slot]

    # -- what was compiled ---------------------------------------------------------------------

    @property
    def steps(self) -> list[Step]:
        """The vectorised steps, in forward order (backward runs them in reverse)."""
        return list(self._steps)

    @property
    def leaves(self) -> list[Value]:
        """The leaves read at every forward (those that want a gradient first)."""
        return list(self._leaves)

    @property
    def nbytes(self) -> int:
        """Bytes held by the replay: index arrays, the value and gradient buffers, and the
        inputs each step gathered in the latest forward (kept for backward)."""
        saved = sum(x.nbytes for step in self._steps if step.saved
                    for x in [step.saved[0], *step.saved[1]] if isinstance(x, np.ndarray))
        return self._plan.nbytes() + self._values.nbytes + self._grads.nbytes + saved

    def bytes_per_node(self) -> float:
        """`nbytes` per op node of the eager graph (NaN when none was recorded: the output is a
        leaf)."""
        recorded = self._plan.recorded
        return self.nbytes / recorded if recorded else math.nan

    def __repr__(self) -> str:
        plan = self._plan
        ops = plan.size - plan.op_start
        fusion = (f"{count(plan.fused, 'addition')} fused into {count(plan.sums_made, 'sum')}"
                  if plan.fused else "no additions to fuse")
        return (f"CompiledGraph({count(plan.recorded, 'op node')} -> {ops:,}, {fusion}; "
                f"{count(plan.levels, 'level')}, {count(len(self._steps), 'step')}; "
                f"{count(len(self._leaves), 'leaf', 'leaves')} ({plan.n_wanting} "
                f"want{'s' if plan.n_wanting == 1 else ''} grad), "
                f"{count(plan.n_constants, 'constant')})")

    def explain(self) -> str:
        """The plan as a table: one line per vectorised step (a gather, the rule, a store).

        >>> from autograd import Value, compile
        >>> a, b = Value(2.0), Value(-3.0)
        >>> print(compile((a * b + a + 1).relu()).explain())
        CompiledGraph(4 op nodes -> 3, 1 addition fused into 1 sum; 3 levels, 3 steps; 2 leaves
        (2 want grad), 1 constant)
        memory: ... bytes, ... per recorded node
        step  level  kind         nodes  inputs  computes
           1      1  mul              1       2  a * b
           2      2  sum              1       3  t0 + t1 + ... (in order)
           3      3  relu             1       1  relu(x)
        """
        wide = max([10] + [len(step.kind) for step in self._steps])
        per_node = (f", {self.bytes_per_node():.0f} per recorded node" if self._plan.recorded
                    else " (no op nodes recorded)")
        lines = [repr(self), f"memory: {self.nbytes:,} bytes{per_node}",
                 f"{'step':>4}  {'level':>5}  {'kind':<{wide}} {'nodes':>7}  {'inputs':>6}  "
                 f"computes"]
        for number, step in enumerate(self._steps, start=1):
            lines.append(f"{number:>4}  {step.level:>5}  {step.kind:<{wide}} {step.size:>7,}  "
                         f"{step.terms:>6}  {FORMULAS[step.kind]}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        r"""The level plan as DOT text: one box per step, an arrow from each step it reads.
        Render it with Graphviz, e.g. `graphviz.Source(graph.to_dot())` in a notebook.

        >>> from autograd import Value, compile
        >>> a, b = Value(2.0), Value(-3.0)
        >>> print(compile((a * b + a).relu()).to_dot())
        digraph plan {
          rankdir=LR; node [shape=box, fontname="Helvetica"];
          inputs [label="2 leaves\n0 constants", shape=ellipse];
          s1 [label="level 1: mul\n1 node"];
          inputs -> s1;
          s2 [label="level 2: sum of 2\n1 node"];
          inputs -> s2;
          s1 -> s2;
          s3 [label="level 3: relu\n1 node"];
          s2 -> s3;
        }
        """
        plan = self._plan
        starts = np.array([step.start for step in self._steps])
        leaves = count(len(self._leaves), "leaf", "leaves")
        constants = count(plan.n_constants, "constant")
        lines = ["digraph plan {", '  rankdir=LR; node [shape=box, fontname="Helvetica"];',
                 f'  inputs [label="{leaves}\\n{constants}", shape=ellipse];']
        for number, step in enumerate(self._steps, start=1):
            what = f"sum of {step.terms}" if step.kind == "sum" else step.kind
            nodes = count(step.size, "node")
            lines.append(f'  s{number} [label="level {step.level}: {what}\\n{nodes}"];')
            for producer in _producers(step, starts):
                lines.append(f"  {f's{producer}' if producer else 'inputs'} -> s{number};")
        lines.append("}")
        return "\n".join(lines)


def _producers(step: Step, starts: np.ndarray) -> list[int]:
    """The steps (numbered from 1) whose outputs `step` reads; 0 stands for the leaves and
    constants. `starts` holds each step's first slot."""
    slots = np.concatenate([np.ravel(index) for index in step.index])
    return np.unique(np.searchsorted(starts, slots, side="right")).tolist()


def _no_arguments(what: str) -> str:
    return (f"{what}: the compiled graph reads its inputs from the Values it was built from; "
            f"assign new numbers to their .data before each forward() (x.data = 3.0; for a "
            f"batch, one Value per number: for v, number in zip(inputs, row): v.data = number), "
            f"then value = graph.forward(); graph.backward()")


def _leaf_numbers(leaves: list[Value]) -> list[float]:
    """The leaves' data as floats, when numpy did not read them as one array of numbers (a big
    int, a Fraction); raises naming the first leaf whose data is not a real number."""
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf.data, numbers.Real):
            raise TypeError(f"compile: the graph's leaves[{i}] ({leaf.label or 'unlabelled'}) "
                            f"holds {type(leaf.data).__name__} {leaf.data!r:.60}; a Value's "
                            f"data must be a number{data_hint(leaf.data)}")
    return [float(leaf.data) for leaf in leaves]


def _sum_forward(values: np.ndarray, step: Step) -> None:
    """Each sum adds its terms left to right, as the eager chain of `+` did: reducing a
    (terms, sums) array along axis 0 adds row after row (numpy's pairwise summation only
    applies along the contiguous axis). A single sum, (terms, 1), has its terms contiguous and
    would be summed pairwise, so it is accumulated instead."""
    terms = values[step.index]
    if terms.shape[1] == 1:
        values[step.start] = np.add.accumulate(terms[:, 0])[-1]
    else:
        np.add.reduce(terms, axis=0, out=values[step.start:step.stop])


def _scatter(grads: np.ndarray, step: Step, contributions: np.ndarray) -> None:
    """grads[step.targets] += contributions, with repeated targets adding up."""
    mode = step.scatter
    if mode == "repeated":
        np.add.at(grads, step.targets, contributions)
    elif mode == "distinct":
        grads[step.targets] += contributions
    else:                               # consecutive slots: a slice
        grads[mode] += contributions


def _accumulate(leaves: list[Value], grads: list[float]) -> None:
    """leaf.grad = leaf.grad + g for each leaf: the one Python loop per pass, kept tight. A new
    object, as eager backward makes (`+=` would write into a user's array held as .grad)."""
    for leaf, g in zip(leaves, grads):
        try:
            leaf.grad = leaf.grad + g
        except TypeError:               # .grad is None (set_to_none): start from g, as eager
            if leaf.grad is not None:
                raise
            leaf.grad = g


# The eager form of each kind, for `_rebuild`. The ops that fold a number get it as it was given
# (slot k < n_constants holds plan.numbers[k]), so each eager node is the one first recorded.
_EAGER = {
    "mul": operator.mul, "mul_const": operator.mul, "neg": operator.neg,
    "sub": operator.sub, "pow": operator.pow, "pow_base": operator.pow,
    "pow_exponent": operator.pow,
    "pow_const": operator.pow,
    "const_pow": lambda x, c: c ** x,
    "exp": Value.exp, "log": Value.log, "sqrt": Value.sqrt, "tanh": Value.tanh,
    "sigmoid": Value.sigmoid, "relu": Value.relu, "abs": Value.abs, "sin": Value.sin,
    "cos": Value.cos, "step": step_of, "sign": sign_of, "log_or_zero": log_or_zero,
    "leaky_relu": lambda x, c: apply(LeakyRelu, (x,), c),
    "softplus": lambda x: apply(Softplus, (x,)), "clamped_log": lambda x: apply(ClampedLog, (x,)),
    **{op.name: getattr(Value, op.name) for op in MATH_OPS},
}
