"""Record once, replay fast: `compile` turns a scalar graph into a few vectorised numpy steps.

A training step's graph has the same structure every time; only the numbers change. So:

    record.py   walk the graph once; lower each op to a kind; fuse chains of additions
    plan.py     give each node a level and a slot; one step per (level, kind) group
    replay.py   `CompiledGraph`: forward and backward as one gather, rule, store per step
    rules.py    which eager op each kind runs (the same rules, on arrays)
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ..graph import Node
from ..value import Value
from ..warn import warn
from .plan import Plan, narrow_warning
from .record import record
from .replay import CompiledGraph

__all__ = ["compile", "CompiledGraph"]


def compile(output: Value | Callable | None = None, **options: Any) -> CompiledGraph | Any:
    """Record the graph behind the scalar `output` once; return a `CompiledGraph` replaying it.

    `forward()` recomputes it from the leaves' current `.data` (parameters and inputs: assign
    new numbers to them between replays); `backward()` accumulates the gradients into the
    leaves' `.grad`, as `output.backward()` would (to within a few ulps: see `CompiledGraph`).

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

    The replay keeps its numbers in its own arrays: only the leaves' `.grad` change. The nodes
    of the recorded graph (the output and every intermediate one) keep the `.data` and `.grad`
    they had, so a drawing of that graph after compiled steps shows stale numbers (run
    `y.backward()` eagerly to draw it; setting every node would cost more than the replay):

    >>> round(y.data, 6), y.grad                # as recorded (x was 2.0); no eager backward
    (0.800499, 0.0)

    The structure is frozen when it is recorded. Python decides branches on `.data` while the
    graph is built, and the replay does not re-run that Python:

    >>> x = Value(1.0)
    >>> y = x * 2 if x.data > 0 else x * -3     # recorded: the `x * 2` branch
    >>> f = compile(y)
    >>> x.data = -1.0
    >>> f.forward()                             # still x * 2; eager code would give 3.0
    -2.0

    Which leaves want a gradient is part of the structure too (backward refuses to run once
    one was given another requires_grad: compile again). Likewise, eager mode records an
    op only when one of its inputs wants a gradient, so what inputs with `requires_grad=False`
    compute on their own (`x * x`, `-y`, `x - 3`, `1 / x`, the exponent `x * 0.5` of
    `w ** (x * 0.5)`) is a plain number in the graph, and the replay does not recompute it;
    compile warns about such numbers. Inputs combined with parameters directly (`w * x`, as in a
    neuron; `y * -score`; `w ** x`) are read at every forward; or give an input
    `requires_grad=True`, and all it takes part in is recorded:

    >>> import warnings
    >>> w, y = Value(3.0), Value(1.0, requires_grad=False)     # y: a label
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f = compile(-y * w)                 # -y is computed from y alone: the number -1.0
    >>> print(caught[0].message)
    compile: 1 number in this graph (-1) was computed from Values that do not require grad ...
    >>> y.data = 2.0
    >>> f.forward()                             # eager code would give -6.0
    -3.0
    >>> y.requires_grad = True                  # now -y is an op of the graph
    >>> f = compile(-y * w)
    >>> f.forward()                             # y.data is 2.0, read at every forward
    -6.0

    `v.detach()` is such a number too: a new leaf holding v's number, which the replays keep
    (compile warns). For a target that follows the data (a stop-gradient), use a Value with
    `requires_grad=False` in the graph and assign it before each forward:
    `target.data = (w * w).data`. (Replaying what v was computed from instead would need every
    detached Value to keep v's whole graph alive, in eager code too.)

    The leaves are the Value objects the graph was built from: a parameter replaced by a new
    Value (instead of assigning its `.data`) is not seen; compile again.

    Gradient graphs made with `create_graph=True` compile too, and follow new data like any
    other: the slopes of ReLU and abs in them are ops of the graph (step: 1 where the ReLU's
    output is positive, else 0; sign of abs's input), and so is the ln a in the slope of
    a ** b with respect to b (log_or_zero: 0 at a = 0, NaN below), which the replay recomputes:

    >>> x = Value(2.0)
    >>> (x * x - 1).relu().backward(create_graph=True)
    >>> f = compile(x.grad)                     # d/dx = 2x where x * x > 1, else 0
    >>> x.data = 0.5
    >>> f.forward()
    0.0
    >>> x.grad = 0.0
    >>> f.backward()                            # the second derivative: 2 where x * x > 1
    >>> x.grad
    0.0

    Each vectorised step (the ops of one kind at one level) costs about as much as 5 eager
    nodes, so a deep, narrow graph (a long chain: one node per level) replays slower than eager
    mode, 5-8x for a chain; compile warns when a graph of 1,000 steps or more has fewer than 4
    recorded nodes per step. Wide graphs (a batch of points through a network) are where it wins.

    Compiling walks the graph once with Python objects; for graphs of a million nodes and more,
    `with autograd.relaxed_gc(): graph = compile(loss)` about halves that time (the garbage
    collector would otherwise walk the eager graph again and again while the recording grows).

    PyTorch's `torch.compile(model)` (a module, or a function of Tensors, with any of its
    options: `mode=`, `fullgraph=`, ...) compiles nothing here: Tensor ops already run numpy's
    vectorised code. The model is returned as it is, with a warning saying so, so nanoGPT's
    `model = torch.compile(model)` runs eagerly and its state dict has no `_orig_mod.`
    prefix; `@torch.compile` and `@torch.compile(mode=...)` leave the function as it is.

    Only the ops of `Value` have vectorised rules, with those that `F.leaky_relu` and the binary
    cross-entropies make of Values (each picks its branch per element, at every replay); a graph
    holding anything else (a custom `Function`, a `Tensor`) is refused with an error naming it.
    Labels given to the losses as Values with `requires_grad=False` stay inputs of the graph
    (assign new labels to their `.data`); the losses check them (±1 for `hinge_loss`, [0, 1]
    for the cross-entropies) when they are built, not at replays. A probability outside
    [0, 1], or NaN, is refused at replays too (`clamped_log` names it).
    """
    if output is None or (callable(output) and not isinstance(output, Node)):
        return _as_it_is(output, options)
    if options:
        raise TypeError(f"compile: a Value's graph takes no options, got {sorted(options)}")
    plan = Plan(record(output))
    message = narrow_warning(plan)
    if message:
        warnings.warn(message, stacklevel=2)
    return CompiledGraph(plan)


def _as_it_is(model: Any, options: dict[str, Any]) -> Any:
    """PyTorch's torch.compile of a module or function: `model` unchanged (with no `model`, the
    decorator `@torch.compile(mode=...)`, which leaves its function unchanged)."""
    if model is None:
        return lambda function: _as_it_is(function, options)
    warn(f"compile: glassgrad has no compiler for Tensor models; {type(model).__name__} is "
         f"returned as it is and runs eagerly (its Tensor ops already run numpy's vectorised "
         f"code). autograd.compile(loss) compiles the graph of a scalar Value")
    return model
