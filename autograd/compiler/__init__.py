"""Record once, replay fast: `compile` turns a scalar graph into a few vectorised numpy steps.

A training step's graph has the same structure every time; only the numbers change. So:

    record.py   walk the graph once; lower each op to a kind; fuse chains of additions
    plan.py     give each node a level and a slot; one step per (level, kind) group
    replay.py   `CompiledGraph`: forward and backward as one gather, rule, store per step
    rules.py    which eager op each kind runs (the same rules, on arrays)
"""

from __future__ import annotations

from ..value import Value
from .plan import Plan
from .record import record
from .replay import CompiledGraph

__all__ = ["compile", "CompiledGraph"]


def compile(output: Value) -> CompiledGraph:
    """Record the graph behind the scalar `output` once; return a `CompiledGraph` replaying it.

    `forward()` recomputes it from the leaves' current `.data` (parameters and inputs: assign
    new numbers to them between replays); `backward()` accumulates the gradients into the
    leaves' `.grad`, exactly as `output.backward()` would.

    >>> from autograd import Value, compile
    >>> w, b = Value(0.5), Value(0.1)
    >>> x = Value(2.0, requires_grad=False)     # an input: a leaf, read at every forward
    >>> y = (w * x + b).tanh()
    >>> f = compile(y)
    >>> f.forward() == y.data
    True
    >>> f.backward()
    >>> round(w.grad, 6), round(b.grad, 6)
    (0.718403, 0.359201)
    >>> x.data = -1.0                           # new data, same structure
    >>> round(f.forward(), 6) == round(((w * -1.0) + b).tanh().data, 6)
    True

    The structure is frozen when it is recorded. Python decides branches on `.data` while the
    graph is built, and the replay does not re-run that Python:

    >>> x = Value(1.0)
    >>> y = x * 2 if x.data > 0 else x * -3     # recorded: the `x * 2` branch
    >>> f = compile(y)
    >>> x.data = -1.0
    >>> f.forward()                             # still x * 2; eager code would give 3.0
    -2.0

    Which leaves want a gradient is part of the structure too. Likewise, eager mode records an
    op only when one of its inputs wants a gradient: `x * x`
    of an input `x` with `requires_grad=False` is a plain number in the graph, and the replay
    does not recompute it. Inputs combined with parameters (`w * x`, as in a neuron) are read
    at every forward.

    Compiling walks the graph once with Python objects; for graphs of a million nodes and more,
    `with autograd.relaxed_gc(): graph = compile(loss)` about halves that time (the garbage
    collector would otherwise walk the eager graph again and again while the recording grows).

    Only the ops of `Value` have vectorised rules; a graph holding anything else (a custom
    `Function`, a `Tensor`) is refused with an error naming it.
    """
    return CompiledGraph(Plan(record(output)))
