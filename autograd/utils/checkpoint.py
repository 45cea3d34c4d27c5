"""Activation checkpointing, PyTorch's `torch.utils.checkpoint`: trade compute for memory.

`checkpoint(f, *args, **kwargs)` returns what `f(*args, **kwargs)` returns, but the graph keeps
none of f's intermediate results: backward runs f again on the same inputs, with the shared
generator where it stood (the same dropout masks), and backpropagates through that second run.
A network cut into checkpointed pieces holds each piece's inputs and the graph of one piece at a
time, instead of every layer's activations.

>>> import autograd
>>> from autograd import Tensor
>>> from autograd.utils.checkpoint import checkpoint
>>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = Tensor([[1.0, -1.0]])                       # wants no gradient: the weight does
>>> y = checkpoint(lambda x: (x @ w).tanh() @ w, x)
>>> y.op                                            # one node stands for the whole call
'checkpoint'
>>> y.sum().backward(); w.grad.round(4)             # as without checkpoint
array([[-0.7521, -0.4695],
       [-1.176 , -1.4586]], dtype=float32)

How it works with glassgrad's graph (a node's inputs are fixed when it is made):

1. The forward call runs f recording, as any call does, and then looks at what it recorded
   (`_reached`): walking back from f's results, it stops at leaves that want a gradient (the
   parameters f read, its own or a closure's) and at nodes made before the call (its Tensor
   arguments, and results f reads from outside: a U-Net's skip connection). Those are the
   inputs of one `Checkpoint` node, whose data is f's result; the recorded graph is then
   dropped. Nodes are told apart from those made inside by the write clock (`graph.write_clock`),
   moved on by one before the call: every Tensor notes the count at which it was made. (The
   cost: the backward pass checks the nodes made before a moved clock for inputs changed in
   place, per gradient sent, as it does after any in-place write, a batch norm's included.)
2. Its backward rule calls f again (recording, the generator set back, `recomputing()` true),
   checks that the second run is the first one again (same results' shapes and dtypes, no input
   it did not have: else the gradients would be wrong, so it raises), and takes the gradients of
   that run with respect to the node's inputs (`autograd.grad`'s pass, the nodes made before the
   call made leaves meanwhile so that the pass stops there); the outer pass adds them in, as for
   any op. So gradients reach the parameters whatever the arguments, `autograd.grad(loss,
   params)` works through it, and so do a second backward, nested checkpoints, and
   `create_graph=True` (the rule is then called with nodes, and the gradients it returns are
   graphs over the second run).

Several results come out of one node holding them side by side (flattened), each a slice of it;
results that want no gradient (integers, constants, an input returned as it is) and other
objects come back as f returned them.

Where it differs from PyTorch 2.13:

- `use_reentrant` changes nothing and need not be given: there is one mode, which does what
  PyTorch's non-reentrant mode does (parameters get their gradients even when no input wants
  one, keyword arguments, `autograd.grad`). PyTorch warns when it is left out; a warning that
  asks learners to choose between two modes that are the same here would be noise, so
  glassgrad says nothing.
- A batch norm inside updates its running statistics (and `num_batches_tracked`) once per
  step, as without checkpointing: the layers skip the update while `recomputing()`. PyTorch
  updates them in the forward call and again in the recomputation (momentum applied twice,
  the count of batches doubled), in both of its modes.
- The forward call records f's graph and drops it at the end of the call (PyTorch's forward
  packs the saved tensors away as they come): the peak of the forward pass holds one piece's
  graph, which the recomputation in backward holds anyway.
- Only the shared generator (`autograd.manual_seed`, `default_rng()`) is set back: a dropout
  given its own `rng=` draws new masks in the second run (PyTorch sets back its default
  generators only, too), and `determinism_check` cannot see that: use the shared one.
- `context_fn` (selective checkpointing) is not supported.

Measured (s31; docs/measurements.md, "checkpoint"; benchmarks/checkpoint_memory.py): the
training step of 6 transformer encoder layers (d_model 256, 8 sequences of 128) peaks at 485 MiB
of numpy arrays (tracemalloc), 114 MiB with every layer checkpointed; a 16-layer MLP of width
1024 on a batch of 256, whose weights and their gradients outweigh its activations, 131 -> 103.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import graph
from ..graph import Leaf, Node, Op, enable_grad, is_grad_enabled, make_node, write_clock
from ..higher_order import _as_leaves, gradients_of
from ..random import get_state, set_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "recomputing"]

_recomputing = [0]      # how many recomputations are under way (nested checkpoints: several)


def recomputing() -> bool:
    """True while a checkpoint's backward runs its function again: layers that change their own
    state in a forward call (batch norm's running statistics) leave it alone then, so a
    checkpointed step changes it once, as an unchecked one does.

    >>> recomputing()
    False
    """
    return _recomputing[0] > 0


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)`, whose intermediate results are computed again in backward
    instead of kept (see the module docstring).

    `preserve_rng_state=False` lets the second run draw new random numbers (a function with no
    dropout saves the copy of the generator's state). `determinism_check="none"` skips the
    comparison of the two runs; `debug=True` names the ops of both runs when they differ.
    Under `no_grad()` (or when nothing f computes from wants a gradient) it is just the call.

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = checkpoint(lambda x, k: (x * k).exp(), x, k=0.5)
    >>> y.sum().backward(); x.grad.round(4)         # 0.5 e^(0.5 x)
    array([0.8244, 1.3591], dtype=float32)
    """
    _check_call(function, use_reentrant, context_fn, determinism_check)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    rng = get_state() if preserve_rng_state else None
    constants = _written(args, kwargs)
    result, made, mark = _run(function, args, kwargs)
    captured = _reached(made, mark)
    if not captured:                        # nothing recorded, or only what f made itself
        return result
    ctx = _Recompute(function, args, kwargs, rng, made, captured, constants,
                     determinism_check == "default", debug)
    if len(made) == 1:
        data = made[0].data
    else:                                   # side by side: each result a slice of the node
        dtype = np.result_type(*[t.data.dtype for t in made])
        data = np.concatenate([t.data.astype(dtype, copy=False).ravel() for t in made])
    node = make_node(Tensor, data, Checkpoint, tuple(captured), ctx)
    if len(made) == 1:
        outputs = [node]
    else:
        outputs, offset = [], 0
        for t in made:
            piece = node[offset:offset + t.data.size].reshape(t.shape)
            outputs.append(piece if piece.dtype == t.dtype else piece.astype(t.dtype))
            offset += t.data.size
    replaced = {id(t): out for t, out in zip(made, outputs)}
    del made, node                          # f's graph goes with its results
    return _rebuilt(result, replaced)


def _check_call(function: Any, use_reentrant: Any, context_fn: Any, determinism_check: Any
                ) -> None:
    """Refuse what checkpoint cannot take, naming it."""
    if not callable(function):
        raise TypeError(f"checkpoint: the first argument is the function to run, got a "
                        f"{type(function).__name__} ({function!r:.40}); write "
                        f"checkpoint(layer, x), not checkpoint(layer(x))")
    if use_reentrant not in (None, True, False):
        raise TypeError(f"checkpoint: use_reentrant must be True, False or None, got "
                        f"{use_reentrant!r:.40}")
    if context_fn is not None:
        raise NotImplementedError("checkpoint: context_fn (selective checkpointing) is not "
                                  "supported; checkpoint the pieces whose results you would "
                                  "not keep, and call the others directly")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got "
                         f"{determinism_check!r:.40}")


def _run(function: Callable, args: tuple, kwargs: dict) -> tuple[Any, list, int]:
    """(f's result, the Tensors in it that f made and that want a gradient, the write clock's
    count before the call: nodes noted at it or later were made by the call)."""
    write_clock.count += 1
    mark = write_clock.count
    with enable_grad():
        result = function(*args, **kwargs)
    made, seen = [], set()
    for item in _items(result):
        if isinstance(item, Node) and item._fn is not None and item._fn is not Leaf:
            if not isinstance(item, Tensor):
                raise TypeError(f"checkpoint: the function returned a {type(item).__name__} "
                                f"that wants a gradient; checkpoint works on Tensors")
            if item._written_at >= mark and id(item) not in seen:
                seen.add(id(item))
                made.append(item)
    return result, made, mark


def _reached(made: list, mark: int) -> list:
    """The nodes the results were computed from that the call did not make, each once, and
    that want a gradient: leaves (parameters, leaves among the arguments) and nodes made
    before the call (the write clock's count `mark`). The walk stops at them."""
    found, seen, stack = [], set(), list(made)
    while stack:
        node = stack.pop()
        if id(node) in seen or node._fn is None:
            continue
        seen.add(id(node))
        at = getattr(node, "_written_at", None)
        if at is None:
            raise TypeError(f"checkpoint: the function computes from a {type(node).__name__}; "
                            f"checkpoint works on Tensors")
        if node._fn is Leaf:
            if at < mark:                   # (a leaf f makes itself gets no gradient)
                found.append(node)
        elif at < mark:
            found.append(node)
        else:
            stack.extend(node.parents)
    return found


def _items(x: Any) -> Iterator[Any]:
    """What a result holds: itself, or the items of tuples, lists and dicts, at any depth."""
    if isinstance(x, (tuple, list)):
        for item in x:
            yield from _items(item)
    elif isinstance(x, dict):
        for item in x.values():
            yield from _items(item)
    else:
        yield x


def _rebuilt(x: Any, replaced: dict) -> Any:
    """`x` with each Tensor in `replaced` (by id) swapped for its stand-in, containers made anew."""
    if isinstance(x, (tuple, list)):
        items = [_rebuilt(item, replaced) for item in x]
        if hasattr(x, "_fields"):           # a namedtuple
            return type(x)(*items)
        return type(x)(items)
    if isinstance(x, dict):
        return type(x)((key, _rebuilt(item, replaced)) for key, item in x.items())
    return replaced.get(id(x), x)


def _written(args: tuple, kwargs: dict) -> list:
    """(Tensor argument, when it was last written) for the Tensor arguments that want no
    gradient: backward reads them again, so a change in place since is refused (those that want
    one are the node's inputs, which the engine checks)."""
    return [(x, x._written_at) for x in _items((args, kwargs))
            if isinstance(x, Tensor) and x._fn is None]


class _Recompute:
    """What a Checkpoint node's rule needs to run the call again: the call, the generator's
    state, the results' shapes and dtypes, the node's inputs as nodes (the rule is given their
    arrays), and the arguments wanting no gradient with their write counts."""

    __slots__ = ("function", "args", "kwargs", "rng", "shapes", "captured", "constants",
                 "check", "ops")

    def __init__(self, function: Callable, args: tuple, kwargs: dict, rng: Any, made: list,
                 captured: list, constants: list, check: bool, debug: bool) -> None:
        self.function, self.args, self.kwargs, self.rng = function, args, kwargs, rng
        self.shapes = [(t.shape, t.dtype) for t in made]
        self.captured, self.constants, self.check = captured, constants, check
        self.ops = _ops(made, captured) if debug else None

    def gradients(self, g: Any) -> tuple:
        """The gradients of the node's inputs, given the node's gradient `g` (arrays; or nodes,
        in the higher-order pass, when the gradients are graphs if grad mode is on)."""
        on_nodes = isinstance(g, Node)
        create = on_nodes and is_grad_enabled()
        for x, at in self.constants:
            if x._written_at != at:
                raise RuntimeError(
                    f"backward of checkpoint: its argument of shape {x.shape} (a Tensor wanting "
                    f"no gradient) was changed in place after the checkpointed call, and "
                    f"backward runs the function again on it; change a copy, or call again")
        now = get_state() if self.rng is not None else None
        _recomputing[0] += 1
        try:
            if self.rng is not None:
                set_state(self.rng)
            _, made, mark = _run(self.function, self.args, self.kwargs)
        finally:
            _recomputing[0] -= 1
            if now is not None:
                set_state(now)
        if self.check:
            self._check_same(made, mark)
        if len(made) == 1:
            seeds = [g]
        else:
            seeds, offset = [], 0
            for shape, dtype in self.shapes:
                size = int(np.prod(shape))
                seed = g[offset:offset + size].reshape(shape)
                seeds.append(seed if seed.dtype == dtype else seed.astype(dtype))
                offset += size
        ahead = [x for x in self.captured if not x.is_leaf]
        with _as_leaves(ahead):             # the pass stops at the node's inputs
            grads = gradients_of(made, self.captured, grad_outputs=seeds, create_graph=create,
                                 allow_unused=True)
        if on_nodes:
            return grads
        return tuple(None if gx is None else gx.data for gx in grads)

    def _check_same(self, made: list, mark: int) -> None:
        """Refuse a second run that is not the first one again (a result of another shape, or
        one computed from a node the first run did not use: its gradient would be lost)."""
        shapes = [(t.shape, t.dtype) for t in made]
        captured = {id(x) for x in self.captured}
        new = [x for x in _reached(made, mark) if id(x) not in captured]
        if shapes == self.shapes and not new:
            return
        what = (f"its results were {self.shapes} (shape, dtype) and are now {shapes}"
                if shapes != self.shapes else
                f"it now computes from {len(new)} Tensor(s) wanting a gradient that the first "
                f"run did not use (shapes {[x.shape for x in new]})")
        ops = ""
        if self.ops is not None:
            ops = f"; ops of the first run: {self.ops}; of the second: {_ops(made, new)}"
        raise RuntimeError(
            f"backward of checkpoint: running the function again did not repeat the first run: "
            f"{what}. The function must do the same thing with the same inputs (a branch on "
            f"state that changed, such as a counter or a random choice drawn from a generator "
            f"other than the shared one, breaks this); determinism_check='none' skips this "
            f"check{ops}")


def _ops(made: list, captured: list) -> list:
    """The names of the ops a run recorded, inputs first (for debug=True's message)."""
    stop = {id(x) for x in captured}
    names = []
    for out in made:
        for node in graph.walk(out):
            if id(node) not in stop and not node.is_leaf:
                names.append(node.op)
    return names


class Checkpoint(Op):
    """The node that stands for a checkpointed call: its inputs are what the call computed from
    that wants a gradient (see the module docstring), its constant a `_Recompute`."""

    name = "checkpoint"

    @staticmethod
    def forward(ctx: _Recompute, *inputs: Any) -> Any:
        raise RuntimeError("checkpoint: the node is made by checkpoint(), which has run the "
                           "function already")

    @staticmethod
    def backward(ctx: _Recompute, g: Any, out: Any, *inputs: Any) -> tuple:
        return ctx.gradients(g)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run `functions` (an nn.Sequential, or a list of layers or functions) one after the other
    on `input`, in `segments` pieces of len(functions) // segments each: all but the last piece
    are checkpointed, the last (with the layers left over) runs as usual, as in PyTorch.
    `kwargs` are checkpoint's (preserve_rng_state, determinism_check, debug).

    >>> from autograd import Tensor
    >>> x = Tensor([0.5, -1.0], requires_grad=True)
    >>> steps = [lambda t: t * 2, lambda t: t.tanh(), lambda t: t * t, lambda t: t + 1]
    >>> y = checkpoint_sequential(steps, 2, x)
    >>> y.sum().backward(); x.grad.round(4)      # 4 tanh(2x) (1 - tanh²(2x))
    array([ 1.2794, -0.2724], dtype=float32)
    """
    fns = _sequence(functions)
    unknown = set(kwargs) - {"preserve_rng_state", "determinism_check", "debug"}
    if unknown:
        raise TypeError(f"checkpoint_sequential: unexpected keyword argument(s) "
                        f"{sorted(unknown)} (it takes checkpoint's preserve_rng_state, "
                        f"determinism_check and debug; the layers get `input` alone)")
    if isinstance(segments, bool) or not isinstance(segments, numbers.Integral):
        raise TypeError(f"checkpoint_sequential: segments must be an int, got "
                        f"{type(segments).__name__} {segments!r:.40}")
    if not 1 <= segments <= len(fns):
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the number "
                         f"of functions ({len(fns)}), got {segments}")
    size = len(fns) // segments
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(_Chain(fns[start:start + size]), input, use_reentrant=use_reentrant,
                           **kwargs)
    return _Chain(fns[size * (segments - 1):])(input)


def _sequence(functions: Any) -> list:
    """The functions to chain: a Sequential's layers (anything with `children()`), or a list or
    tuple of callables; anything else refused."""
    if callable(getattr(functions, "children", None)) and callable(functions):
        fns = list(functions.children())
    elif isinstance(functions, (list, tuple)):
        fns = list(functions)
    else:
        raise TypeError(f"checkpoint_sequential: functions must be an nn.Sequential or a list "
                        f"of layers or functions, got a {type(functions).__name__}")
    if not fns:
        raise ValueError("checkpoint_sequential: no functions to run (an empty list)")
    for k, f in enumerate(fns):
        if not callable(f):
            raise TypeError(f"checkpoint_sequential: functions[{k}] is a {type(f).__name__}, "
                            f"not a layer or function")
    return fns


class _Chain:
    """Some functions run one after the other: one checkpointed piece."""

    __slots__ = ("fns",)

    def __init__(self, fns: Sequence[Callable]) -> None:
        self.fns = tuple(fns)

    def __call__(self, x: Any) -> Any:
        for f in self.fns:
            x = f(x)
        return x

