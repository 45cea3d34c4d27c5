"""The one graph core shared by `Value` and `Tensor`.

A node holds its payload (`data`: a float or an ndarray), its gradient (`grad`), and the op that
made it (`_fn`) with that op's inputs in two fixed slots (`_a`, `_b`). Nothing in a node points
back at itself, so a graph has no reference cycles and is freed by reference counting the moment
its output is dropped.

    _fn      None     a constant: no gradient wanted (numbers, data, results under no_grad)
             Leaf     a leaf that wants a gradient (the user's parameters): it accumulates
             an Op    the op that made this node; its rule sends gradients to the inputs
    _a, _b   one input and the op's constant (x * 3: _a = x, _b = 3.0), or two inputs
             (a * b), or a tuple of inputs and the constant (n-ary ops); unset for leaves.
             A constant may say in `_a` where it came from: COMPUTED (an op made it from
             data), NUMBER (made of numbers alone: a seed, the 1/3 of x / 3), DETACHED
             (`Value.detach`)

Backpropagation (the reference is micrograd's loop, `for node in reversed(topo): node._backward()`):

1. `topological_order` lists the op nodes that lead to the output, each after its inputs
   (an iterative depth-first walk: any depth, no recursion; for `backward` it does not go past
   a scalar ReLU that is off, which passes no gradient);
2. walking that list backwards, each node hands its gradient to its op's rule, and the rule's
   results are added into the inputs' `.grad`.

`backward` is that loop with the rule call written out, for raw floats and arrays (first order;
the chain that often ends a graph, nodes whose one op-node input is used by them alone, it
walks down with the gradient, no list needed); `gradients` is the same loop on nodes, so the
gradients are graphs that can be differentiated again (`create_graph=True`, `autograd.grad`).
Both read the same rules.

Names, once (micrograd's are kept for its code; the others say what they hold):

    _fn            the op *class* that made the node (its function pair, forward and backward),
                   or the markers None / Leaf above; `node.op` is its name ('mul'), micrograd's
                   `node._op` its symbol ('*', from `Op.symbol`)
    inputs         what an op was applied to: micrograd's `_children`, `node._prev` (a set
                   there, a tuple in input order here), `node.parents`; stored in `_a`, `_b`
    g              the gradient arriving at a node from its consumers (upstream), in every rule
    .grad          the node's gradient; while a pass runs it briefly holds the sort's marks
                   (VISITING, PENDING below), so no node needs an extra slot for them
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterator

# (the switches live in their own module; the ops and the facades import them from here)
from .grad_mode import (enable_grad, grad_mode, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)

__all__ = [
    "Node", "Op", "Leaf", "PENDING", "CLOSED", "COMPUTED", "CUT", "DETACHED", "NUMBER", "make_node",
    "apply", "topological_order",
    "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
    "backward", "backward_create_graph", "gradients", "raw", "walk",
]


# ----------------------------------------------------------------------------------------------
# In-place changes
# ----------------------------------------------------------------------------------------------

class _WriteClock:
    """Counts the in-place changes to tensors' data (an optimizer step, `+=`, `copy_`).

    Every Tensor notes the count at which its data was made or last changed (`_written_at`).
    A rule reads its inputs' data when backward runs, so an input changed after the op was
    recorded would silently give gradients at the new values; backward refuses that instead
    (see `Tensor._conform_grad`). A Value is not checked, as in micrograd: its rules read the
    inputs' `.data` when backward runs, next to what the forward pass saved (tanh's output, a
    ReLU's on or off), so a Value's data should change only between a backward and the next
    forward (which is what a training loop does).
    """
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


write_clock = _WriteClock()
#: counts the changes of a node's requires_grad (its setter): a compiled replay checks its
#: leaves again when it has moved (which of them want a gradient is part of its recording)
requires_grad_clock = _WriteClock()


# ----------------------------------------------------------------------------------------------
# Ops
# ----------------------------------------------------------------------------------------------

class Op:
    """A differentiable primitive: a class with two static functions, never instantiated.

        forward(ctx, *inputs)            the op on raw payloads (floats or ndarrays)
        backward(ctx, g, out, *inputs)   one gradient per input (None where there is none)

    `ctx` holds the op's constants (an axis, an exponent, a mask), given when the node is made;
    it may also be a small mutable object that forward fills with what backward needs and would
    otherwise recompute (cross-entropy's softmax probabilities, layer norm's x̂; see
    `ops.fused.CrossEntropyCtx`): PyTorch's `save_for_backward`. The same rule serves both
    passes: the first-order pass calls it with raw floats/arrays; the higher-order pass calls
    it with nodes, so the operators it uses are recorded and can be differentiated again.
    `broadcasting = True` lets the gradients be larger than the inputs; the backward driver
    then sums them back to each input's shape (see `autograd.broadcast`);
    `reads_inputs = False` says the rule needs no input's values, so changing an input in
    place after the op is allowed (see `tensor._refuse_changed_inputs`).
    `symbol` is the op's name in drawings and micrograd's `_op` ('+', '*', 'tanh').
    """

    name = "op"
    symbol = ""             # how drawings and micrograd's `_op` name the op; `name` when empty
    broadcasting = False
    #: False for an op whose rule reads no input's values (an embedding's lookup needs the
    #: table's shape only): a Tensor input changed in place since is then no reason to refuse
    reads_inputs = True

    @staticmethod
    def forward(ctx: Any, *inputs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, g: Any, out: Any, *inputs: Any) -> tuple:
        raise NotImplementedError

    @classmethod
    def describe(cls, ctx: Any) -> str:
        """The op as micrograd writes it in `_op` (PowConst adds its exponent: '**2')."""
        return cls.symbol or cls.name

    @staticmethod
    def narrow(ctx: Any, needs: tuple) -> Any:
        """ctx for a pass that wants the gradients of the inputs marked True in `needs` only
        (`autograd.grad(y, x)` asks for x's, not the weights'): an op whose rule skips the
        inputs its ctx says need none returns such a ctx; the others (this default) compute
        them all and keep theirs."""
        return ctx


def needs_and(flags: tuple, needs: tuple) -> tuple:
    """An op's ctx of "which inputs need a gradient" flags, narrowed to `needs` (`Op.narrow`).

    >>> needs_and((True, True, False), (True, False, True))
    (True, False, False)
    """
    return tuple(bool(f) and n for f, n in zip(flags, needs))


class Leaf(Op):
    """Marks a leaf that wants a gradient: backpropagation adds into its `.grad` and stops there
    (PyTorch calls this AccumulateGrad)."""
    name = "leaf"


class _Mark:
    """A named marker: what `.grad` holds while a backward pass is under way (VISITING,
    PENDING; see `topological_order`), the constant of a node that passes no gradient
    (CLOSED), or what `_a` of a constant says about where it came from (COMPUTED, DETACHED,
    NUMBER)."""
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


VISITING = _Mark("visiting: its inputs are being ordered")
PENDING = _Mark("pending: its gradient is being computed")
#: the constant of a node that passes no gradient to its input, whatever reaches it (a scalar
#: ReLU that is off; the flat Step and Sign that higher-order rules make): first-order
#: backpropagation does not visit what lies behind it
CLOSED = _Mark("closed: passes no gradient to its input")
#: in `_a` of a constant that an op computed (from inputs none of which wants a gradient, or
#: under no_grad) from data: `autograd.compile` warns that the replays keep it as recorded
COMPUTED = _Mark("computed: a constant an op made from data")
#: in `_a` of a scalar `v.detach()`: a snapshot of v's number, which compile warns about too
DETACHED = _Mark("detached: a snapshot of a node's number")
#: in `_a` of a constant made of numbers alone (a backward seed, a rule's constant, the 1/3 of
#: x / 3, and what ops make from such constants only): it never changes, so compile says nothing
NUMBER = _Mark("number: a constant made of numbers alone")
#: in `_a` of an op's result cut from its history by `t.detach_()`: an op that used it before
#: cannot pass its gradient on, and a backward through such an op says so (elsewhere it reads
#: as an unset `_a`: a constant the user made)
CUT = _Mark("cut: an op's result detached in place")


def constant_kind(inputs: tuple) -> _Mark:
    """What marks the constant an op makes from `inputs`: NUMBER if they are all NUMBERs, else
    COMPUTED (an input the user made, a parameter under no_grad, or a COMPUTED one)."""
    for x in inputs:
        if getattr(x, "_a", None) is not NUMBER:
            return COMPUTED
    return NUMBER


# ----------------------------------------------------------------------------------------------
# Nodes
# ----------------------------------------------------------------------------------------------

def checked_requires_grad(where: str, wanted: Any) -> bool:
    """`requires_grad` as a bool: True, False, numpy's bools, 0 or 1; anything else, such as the
    string "False" (which bool() calls true), is refused, naming `where`.

    >>> checked_requires_grad("Tensor", "False")
    Traceback (most recent call last):
    TypeError: Tensor: requires_grad must be True or False, got 'False'
    """
    if wanted is True or wanted is False:
        return wanted
    if (isinstance(wanted, numbers.Integral) and wanted in (0, 1)) or (
            getattr(wanted, "dtype", None) == bool and getattr(wanted, "ndim", None) == 0):
        return bool(wanted)
    raise TypeError(f"{where}: requires_grad must be True or False, got {wanted!r:.40}")


class Node:
    """Bookkeeping shared by `Value` and `Tensor` (they add the payload's operators; a Tensor
    also its own slots: `_written_at` for the in-place check of `_WriteClock`, and those of
    hooks, views and weak references).

    Six slots and nothing else: a scalar graph is mostly nodes, and each slot is 8 bytes of
    every one of them. `_a`, `_b` and `_label` are only set when there is something to hold.
    """

    __slots__ = ("data", "grad", "_fn", "_a", "_b", "_label")

    #: what `.grad` of an intermediate node is reset to before each backward (0.0 or None)
    _empty_grad: Any = None
    #: the class of the payload (float, ndarray): what `_payload(x, op)` makes of anything else
    _payload_type: type = object
    #: per-payload treatment of each gradient sent to an input: called as
    #: conform(g, input, consumer) and returns the gradient to add; None: used as it is
    _conform_grad: Callable | None = None
    #: True for a payload that can change in place: its nodes note `write_clock.count`, and a
    #: constant made by a one-input op as a view of its input's memory is given to
    #: `_note_view(view, input, op, ctx)`, so that later changes to the input reach it (so is
    #: a view in a graph of a node in `written_in_place`)
    _notes_writes: bool = False

    # -- what made this node -------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """True when backpropagation computes a gradient for this node."""
        return self._fn is not None

    @requires_grad.setter
    def requires_grad(self, wanted: bool) -> None:
        wanted = checked_requires_grad(type(self).__name__, wanted)
        if not self.is_leaf:
            if wanted:                  # a computed result requires grad already (PyTorch's too)
                return
            raise RuntimeError("requires_grad: only leaves can change it; use .detach() on a "
                               "computed result")
        dtype = getattr(self.data, "dtype", None)           # (a Value's float has none)
        if wanted and dtype is not None and dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors can require grad, got "
                            f"dtype {dtype}; make it floating first, t = t.float() (Tensor([1, "
                            f"2]) of Python ints is int64, as torch.tensor([1, 2]) is, where "
                            f"PyTorch's torch.Tensor([1, 2]) would be float32)")
        self._fn = Leaf if wanted else None
        requires_grad_clock.count += 1

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user (or constants), False for results of recorded ops."""
        fn = self._fn
        return fn is None or fn is Leaf

    def _layout(self) -> tuple[tuple, Any]:
        """(inputs, constant) read from the two slots (the table in the module docstring)."""
        if self.is_leaf:
            return (), None
        a, b = self._a, self._b
        if a.__class__ is tuple:
            return a, b
        return ((a, b), None) if isinstance(b, Node) else ((a,), b)

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this node, in order (empty for a leaf)."""
        return self._layout()[0]

    # micrograd's name: its drawing code walks `_prev` (a tuple here, in input order)
    _prev = parents

    @property
    def _ctx(self) -> Any:
        """The constant the op saved for its rule (an exponent, an axis), or None."""
        return self._layout()[1]

    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        return "" if self.is_leaf else self._fn.name

    @property
    def _op(self) -> str:
        """The op as micrograd names it: '+', '*', '**2', 'tanh', 'ReLU' ('' for a leaf)."""
        return "" if self.is_leaf else self._fn.describe(self._ctx)

    @property
    def label(self) -> str:
        """A name for drawings ('' unless given)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"label: expected a string, got {type(text).__name__} {text!r:.40}")
        self._label = text

    def requires_grad_(self, requires_grad: bool = True) -> "Node":
        """Make a leaf want (or stop wanting) a gradient; returns it (PyTorch's method)."""
        self.requires_grad = requires_grad
        return self

    def _changed_in_place(self) -> None:
        """Called after `.data` was changed in place (a Tensor notes it; a Value's float was
        replaced, which needs no note)."""

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (0.0 for a Value, None for a Tensor)."""
        self.grad = self._empty_grad

    def retain_grad(self) -> None:
        """PyTorch's, which keeps an intermediate node's `.grad`: here backward fills in the
        `.grad` of every node it reaches anyway (see `Value.backward` for the nodes that an off
        ReLU hides), so there is nothing to do."""

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's `node._backward()`: this node's rule, applied once (see `_apply_rule`).
        Read-only: the node already has its op's rule (assigning a closure says what to do)."""
        return self._apply_rule

    @_backward.setter
    def _backward(self, closure: Any) -> None:
        raise AttributeError(
            "_backward: a glassgrad node carries its op's rule, so it takes no closure. Build "
            "the node with operators (a * b, a.tanh()), by hand as Value(data, (a, b), '*'), or "
            "write a new op as an autograd.Function with its own backward")

    def _apply_rule(self) -> None:
        """One step of backpropagation by hand, as in micrograd: apply this node's rule once,
        adding (d self / d input) · self.grad into each input's `.grad`. Nothing for a leaf.

        >>> from autograd import Value
        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)
        """
        g = self.grad
        if self.is_leaf or g is None:
            return
        if g is PENDING:                    # in the reference loop: no gradient reached it
            self.grad = self._empty_grad
            return
        inputs, ctx = self._layout()
        grads = self._fn.backward(ctx, g, self.data, *[x.data for x in inputs])
        conform = _conform(self)
        for x, gx in zip(inputs, grads):
            if gx is not None and x._fn is not None:
                if conform is not None:
                    gx = conform(gx, x, self)
                have = x.grad
                x.grad = gx if have is None or have is PENDING else have + gx


#: The ids of the nodes in a graph that stay the same object when written in place, so that
#: the views ops make of them are given to `_note_view` too (autograd/tensor_in_place.py: a
#: constant that joined a graph by `x += w` or `x[0] = w`). Empty unless one is alive, so the
#: usual graph pays one test of an empty set per one-input op.
written_in_place: set = set()


def make_node(cls: type, data: Any, op: type, inputs: tuple, ctx: Any = None) -> Node:
    """The one place nodes are made: a new `cls` node holding `data`, the result of `op` on
    `inputs`. It records the op and its inputs only when grad mode is on and some input wants a
    gradient; otherwise the result is a constant and the inputs are not kept.

    (`Value.__add__` and `__mul__` write this function out for two inputs, and
    `value._apply_one` for one: they are the hottest lines of the scalar engine. A change
    here is a change there too.)

    >>> from autograd import Value
    >>> from autograd.ops import Mul
    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = make_node(Value, a.data * b.data, Mul, (a, b))      # what a * b makes
    >>> c.op, c.parents == (a, b), c._prev == (a * b)._prev
    ('mul', True, True)
    """
    node = _new(cls)
    node.data = data
    node.grad = cls._empty_grad
    node._fn = None
    if cls._notes_writes:
        node._written_at = write_clock.count
    if grad_mode.enabled:
        for x in inputs:
            if x._fn is not None:
                node._fn = op
                # (a constant that is itself a node cannot sit in `_b`: the walk and backward
                # would take it for a second input; such a node takes the tuple form)
                if len(inputs) == 1 and (ctx is None or not isinstance(ctx, Node)):
                    node._a, node._b = inputs[0], ctx
                    if written_in_place and id(inputs[0]) in written_in_place and (
                            data.base is not None):             # x[:2] of such an x
                        cls._note_view(node, inputs[0], op, ctx)
                elif len(inputs) == 2 and ctx is None and (
                        inputs[1].__class__ is cls or inputs[1].is_leaf):
                    node._a, node._b = inputs
                    # (an op node of a subclass, a Value built by hand, goes in the tuple form:
                    # the order's walk tells a second input from a constant by its exact class;
                    # a leaf of a subclass, an nn Parameter, may stay: the walk never goes
                    # down into a leaf, and backward also tests isinstance)
                else:
                    node._a, node._b = inputs, ctx
                break
    if node._fn is None:
        node._a = constant_kind(inputs)
        if cls._notes_writes and len(inputs) == 1 and data.base is not None:
            cls._note_view(node, inputs[0], op, ctx)     # x[0] of a constant x: see the hook
    if grad_mode.anomaly:
        from .anomaly import check_forward
        check_forward(node, op, inputs, ctx)
    return node


_new = object.__new__


def apply(op: type, inputs: tuple, ctx: Any = None) -> Node:
    """Run `op` forward on the inputs' payloads and make the result's node.

    The inputs are all Values or all Tensors; the result is of the same kind, the facade's
    `_kind` (a Tensor also for an nn Parameter input: a result is no parameter).

    >>> from autograd import Value
    >>> from autograd.ops import Tanh
    >>> x = Value(0.5)
    >>> y = apply(Tanh, (x,))                                   # what x.tanh() makes
    >>> round(y.data, 6), y.op, y.parents == (x,)
    (0.462117, 'tanh', True)
    """
    n = len(inputs)
    try:                                    # (no cost on Python 3.11+ until something raises)
        if n == 1:                          # written out up to 3 (a linear layer with its
            data = op.forward(ctx, inputs[0].data)  # bias): a list comprehension costs ~0.2 µs
        elif n == 2:
            data = op.forward(ctx, inputs[0].data, inputs[1].data)
        elif n == 3:
            data = op.forward(ctx, inputs[0].data, inputs[1].data, inputs[2].data)
        else:
            data = op.forward(ctx, *[x.data for x in inputs])
    except (AttributeError, TypeError) as error:    # x.data = t: say so, not "no .strides"
        _refuse_a_node_in_data(op, inputs, error)
        raise
    kind = inputs[0]._kind
    if data.__class__ is not kind._payload_type:    # (a numpy reduction's scalar, an int)
        data = kind._payload(data, op)
    return make_node(kind, data, op, inputs, ctx)


def _refuse_a_node_in_data(op: type, inputs: tuple, error: Exception) -> None:
    """Raise, from `error`, the error naming an input whose `.data` holds a node instead of
    its numbers (PyTorch's `x.data = torch.clamp(x.data, 0, 1)`: a Tensor put in the numpy
    array's slot), which a forward meets far from the line that put it there ("'Tensor' object
    has no attribute 'strides'" from a convolution); return when there is none."""
    for i, x in enumerate(inputs):
        if isinstance(x.data, Node):
            raise TypeError(f"{op.name}: input {i}'s .data holds a {type(x.data).__name__}, "
                            f"not numbers{getattr(x, '_node_in_data_hint', '')}") from error


def raw(x: Any) -> Any:
    """The payload of a node, or `x` itself: rules use it for masks and other numbers that
    are never differentiated, so that a higher-order pass does not record them."""
    return x.data if isinstance(x, Node) else x


# ----------------------------------------------------------------------------------------------
# Backpropagation
# ----------------------------------------------------------------------------------------------

#: Tensor hooks (`Tensor.register_hook`, autograd/hooks.py): the id of each tensor that has
#: hooks (in its `_hooks`) -> a weak reference to it. Empty unless a hook is set:
#: backpropagation looks at it once per pass, and only then takes the slower loop that calls
#: hooks.
tensor_hooks: dict = {}


def topological_order(root: Node, prune: bool = False) -> list:
    """The op nodes that lead to `root` (itself included), each listed after all of its inputs.

    Walking the list backwards visits every node before its inputs, which is what
    backpropagation needs. Leaves and constants are not listed: they have no rule to run.

    An iterative depth-first walk (a stack instead of recursion, so any depth works): go down
    to an input not listed yet, leaving the node (and its other unlisted inputs) on the stack;
    a node with every input listed is listed, and the walk goes back up. A node is marked in its
    `.grad`, which backpropagation recomputes anyway: VISITING while it waits on the stack for
    its inputs, then PENDING ("listed, gradient not computed yet"), so it is listed once.
    A second input whose own inputs are all listed already (the common `w * x`) is listed on
    the spot, without the trip down and back up; and the chain that ends many graphs (nodes
    with one input that is an op node: a loss's last steps, a 1e6-step `y = y * c + d`) is
    listed before the walk starts, as it is: nothing else in the graph can lead to it.

    With `prune`, a node whose constant is CLOSED (a scalar ReLU that is off) is listed without
    going down to its input: no gradient gets through it, so what lies only behind it would
    receive none. In micrograd's demo, once it has learned a little, that is ~90 % of the graph.
    (The first-order `backward` and its step-through record prune; the higher-order pass does
    not: there an off ReLU's gradient is a zero that can be differentiated again.)

    What it computes is micrograd's recursive `build_topo`, which Python's recursion limit stops
    at about a thousand levels:

        def build(node):
            if node is an op node and not listed yet:
                for x in node's inputs: build(x)
                list node

    The listed nodes are left marked PENDING in `.grad`; the pass that asked for the order
    replaces every mark with a gradient (or with the empty gradient):

    >>> from autograd import Value
    >>> a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    >>> e = a * b
    >>> d = e + c
    >>> order = topological_order(d)
    >>> [node.op for node in order], d.grad
    (['mul', 'add'], <pending: its gradient is being computed>)
    >>> for node in order:
    ...     node.grad = 0.0
    """
    try:
        return _order(root, prune)
    except BaseException:                   # (Ctrl-C half-way): the marks set so far must
        _unmark(root)                       # go, or the next pass would take them for listed
        raise


def _unmark(root: Node) -> None:
    """Clear the sort's marks from every node that leads to `root` (after an interrupted sort)."""
    empty = root._empty_grad
    for node in walk(root):
        if node.grad is PENDING or node.grad is VISITING:
            node.grad = empty


def _order(root: Node, prune: bool) -> list:
    """`topological_order`'s walk (see there)."""
    kind = root._kind                       # op nodes in a second slot are all of this exact
    #                                         class (make_node puts any other in the tuple form)
    visiting, pending, leaf = VISITING, PENDING, Leaf      # locals: the loop reads them often
    # First the chain that often ends a graph (y = y * 1.0001 + 0.0001, n times; a loss made
    # of one activation): while a node's only input that is an op node is `_a`, that input is
    # used by nothing else that leads to `root` (all of that comes through this node), so it
    # is the next to list, counting from the end: no stack, no second look (half the time of
    # the walk below on a long chain)
    chain = []
    node = root
    while True:
        a, b = node._a, node._b
        if a.__class__ is tuple:            # n-ary: a link if one input alone is an op node
            link = _one_op_input(a)
            if link is a:
                break                       # several inputs to order: the walk below
            node.grad = pending
            chain.append(node)
            if link is None:
                chain.reverse()             # the chain is the whole graph
                return chain
            node = link
            continue
        if b.__class__ is kind and b._fn is not None and b._fn is not leaf:
            break                           # several inputs to order: the walk below
        node.grad = pending
        chain.append(node)
        fn = a._fn
        if fn is None or fn is leaf or (prune and b is CLOSED):
            chain.reverse()                 # the chain is the whole graph
            return chain
        node = a
    chain.reverse()
    order, stack = [], []
    while True:
        # `node` is met for the first time: go down to an input that is an op node not listed
        # yet, leaving `node` (and any other such input) on the stack
        a = node._a
        if a.__class__ is tuple:            # n-ary: stack `node`, then each input to visit
            down = False                    # (a loop: a list comprehension costs 0.2 µs more)
            for x in a:
                fn = x._fn
                if fn is not None and fn is not leaf and x.grad is not pending:
                    if not down:
                        node.grad = visiting
                        stack.append(node)
                        down = True
                    stack.append(x)
            if down:                        # go down to the last one stacked
                node = stack.pop()
                continue
        else:
            b = node._b                     # a second input, or the op's constant
            if (b.__class__ is kind and b.grad is not pending
                    and b._fn is not None and b._fn is not leaf):
                # `b` is an op node not listed yet. Most often (w * x) its own inputs need no
                # visit: list it right here instead of going down to it (15 % of the walk)
                # (tests in the order that settles the usual case soonest: `w` a leaf, `x` an
                # activation that an earlier consumer listed already)
                ba, bb = b._a, b._b
                if (ba.__class__ is not tuple
                        and (ba._fn is leaf or ba.grad is pending or ba._fn is None)
                        and (bb.__class__ is not kind or bb.grad is pending or bb._fn is leaf
                             or bb._fn is None)):
                    b.grad = pending
                    order.append(b)
                else:
                    node.grad = visiting
                    stack.append(node)
                    fn = a._fn
                    if fn is not None and fn is not leaf and a.grad is not pending:
                        stack.append(a)     # (popped without a visit if listed by then)
                    node = b
                    continue
            fn = a._fn
            if (fn is not None and fn is not leaf and a.grad is not pending
                    and not (prune and b is CLOSED)):
                node.grad = visiting
                stack.append(node)
                node = a
                continue
        node.grad = pending                 # every input is listed: list the node
        order.append(node)
        while stack:                        # back up to the next node to go down from
            node = stack.pop()
            mark = node.grad
            if mark is visiting:            # its inputs are listed now
                node.grad = pending
                order.append(node)
            elif mark is not pending:       # an input stacked earlier and not reached since
                break
        else:
            order += chain
            return order


def _check_root(root: Node) -> None:
    """Refuse to backpropagate from a constant, or into a graph whose pass is still running."""
    if root._fn is None:
        raise RuntimeError(
            "backward: this result does not require grad (no input requires grad, it was "
            "computed under no_grad(), or by a step function such as sign, round, floor, a "
            "comparison or argmax, whose slope is 0: a constant here); nothing to differentiate")
    if root.grad is VISITING or root.grad is PENDING:
        raise RuntimeError("backward: another backward pass over this graph is still running")


def _conform(root: Node) -> Callable | None:
    """The per-gradient hook: the payload's shape check, plus NaN/inf checks in anomaly mode."""
    if grad_mode.anomaly:
        from .anomaly import checked_conform
        return checked_conform(root._conform_grad)
    return root._conform_grad


def _clear_marks(nodes: list, empty: Any) -> None:
    """After a pass that raised: the nodes it did not reach still carry the sort's marks."""
    for node in nodes:
        if node.grad is PENDING or node.grad is VISITING:
            node.grad = empty


def backward(root: Node, gradient: Any) -> None:
    """First-order backpropagation: runs the rules on raw payloads and writes `.grad` of every node.

    Leaves accumulate (`leaf.grad += ...`); intermediate nodes get their gradient for this output.
    This is the reference loop `for node in reversed(order): node._backward()` written out:
    nodes that received no gradient are skipped (a ReLU that is off passes None; the order does
    not even list what lies only behind it), and the rule call and the accumulation are inlined
    (a function call per edge would cost more than the rule itself). In short, it does what
    this does (tests/test_node_core.py checks that they agree):

        order = topological_order(root, True)
        root.grad = gradient
        for node in reversed(order):
            node._backward()        # Node._apply_rule: the rule once, added into the inputs

    It goes in two parts. First the chain that often ends a graph (a loss's last steps; a
    1e6-step `y = y * c + d`): there each node's one input that is an op node is used by that
    node alone (see `topological_order`), so it has its whole gradient as soon as the node's
    rule has run, and the chain is walked down with the gradient, unsorted and unmarked. Then
    the rest, from where the chain ends, in topological order. (A chain that ends in one op on
    leaves and constants needs no sort at all: an MLP's loss, cross_entropy ← linear ← relu ←
    linear, is such a chain, its layers' weights and biases leaves; a root made by one op on
    leaves is tested for first: 0.2 µs of `(v * 1.5).backward()`.)

    >>> from autograd import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> d = a * b + a
    >>> backward(d, 1.0)                    # what d.backward() calls
    >>> a.grad, b.grad                      # dd/da = b + 1, dd/db = a
    (-2.0, 2.0)
    """
    fn, mark = root._fn, root.grad
    if fn is None or fn is Leaf or mark is VISITING or mark is PENDING:
        _check_root(root)                   # raises, unless `root` is a leaf that wants a grad
        root.grad = gradient if mark is None else summed(mark, gradient)
        return
    kind = root._kind                       # the class of op nodes (inputs may be subclasses)
    empty = kind._empty_grad
    # (the test on anomaly is `_conform`'s own, made here to save a call on every backward)
    conform = _conform(root) if grad_mode.anomaly else kind._conform_grad
    pending = PENDING                       # (a local: read once or twice per node)
    order: Any = ()                         # (what the sort will list: nothing to clear yet)
    root.grad = g = gradient
    try:
        a, b = root._a, root._b
        if a.__class__ is not tuple and (a._fn is None or a._fn is Leaf) and (
                b.__class__ is not kind or b._fn is None or b._fn is Leaf):
            order = [root]                  # one op on leaves or constants: its own order
        else:
            # 1. The chain: `node` has its gradient `g`; while one of its inputs alone is an op
            # node (`_a`, or one entry of an n-ary node's tuple; the others leaves or constants),
            # the rule's result for that input is all it will receive
            node = root
            while True:
                a, b = node._a, node._b
                if a.__class__ is tuple:    # n-ary (a linear layer's x, W, b): a link if one
                    link = _one_op_input(a)  # input alone is an op node, the rest leaves
                    if link is a:           # several op nodes: the sort below
                        break
                    if link is None:        # the chain ends in one op on leaves or constants
                        order = [node]
                        break
                    if len(a) == 3:         # (written out, as in the loop below)
                        x0, x1, x2 = a
                        grads = node._fn.backward(b, g, node.data, x0.data, x1.data, x2.data)
                    else:
                        grads = node._fn.backward(b, g, node.data, *[x.data for x in a])
                    ga = None
                    for x, gx in zip(a, grads):
                        if x is link:
                            ga = gx
                        elif gx is not None and x._fn is not None:     # a leaf accumulates
                            if conform is not None:
                                gx = conform(gx, x, node)
                            have = x.grad
                            x.grad = gx if have is None else have + gx
                    a = link
                elif b.__class__ is kind and b._fn is not None and b._fn is not Leaf:
                    break                   # inputs that need ordering: the sort below
                elif a._fn is None or a._fn is Leaf or b is CLOSED:
                    order = [node]          # the chain ends in one op on leaves or constants
                    break                   # (or in one that passes nothing on): no sort
                elif b.__class__ is kind or (b is not None and b.__class__ is not float
                                             and isinstance(b, Node)):
                    ga, gb = node._fn.backward(None, g, node.data, a.data, b.data)
                    if gb is not None and b._fn is not None:   # a leaf: it accumulates
                        if conform is not None:
                            gb = conform(gb, b, node)
                        have = b.grad
                        b.grad = gb if have is None else have + gb
                else:
                    (ga,) = node._fn.backward(b, g, node.data, a.data)
                if ga is None:              # nothing reaches `a`: the sort below says so to
                    a.grad = pending        # it and to all that lies behind it
                    node = a
                    break
                if conform is not None:
                    ga = conform(ga, a, node)
                a.grad = g = ga
                node = a
            if not order:
                # 2. The rest, from `node`, in topological order (the sort marks `node` too: its
                # gradient waits meanwhile)
                g = node.grad
                order = topological_order(node, True)  # prune=True (a keyword costs more here)
                node.grad = g
        # a long order is walked a slice at a time from its end, so that the list shrinks as
        # the gradients come in (it would otherwise hold its peak to the end)
        nodes = reversed(order) if len(order) <= _CHUNK else _from_the_end(order)
        for node in nodes:                  # every consumer of `node` has been processed
            g = node.grad
            if g is pending:                # no gradient reached it: nothing to pass on
                node.grad = empty
                continue
            rule = node._fn.backward
            a, b = node._a, node._b
            if a.__class__ is tuple:        # the tuple form (see make_node): n-ary, two
                # inputs and a constant, a constant that is a node, or a subclass's op node
                if len(a) == 3:             # a linear layer with its bias, written out
                    x0, x1, x2 = a
                    grads = rule(b, g, node.data, x0.data, x1.data, x2.data)
                else:
                    grads = rule(b, g, node.data, *[x.data for x in a])
                for x, gx in zip(a, grads):
                    if gx is not None and x._fn is not None:
                        if conform is not None:
                            gx = conform(gx, x, node)
                        have = x.grad
                        x.grad = gx if have is pending or have is None else have + gx
                continue
            # two inputs? (told by class first: a Value's number constant and an op with no
            # constant, relu or tanh, skip isinstance)
            if b.__class__ is kind or (b is not None and b.__class__ is not float
                                       and isinstance(b, Node)):
                ga, gb = rule(None, g, node.data, a.data, b.data)
                if gb is not None and b._fn is not None:
                    if conform is not None:
                        gb = conform(gb, b, node)
                    have = b.grad
                    b.grad = gb if have is pending or have is None else have + gb
            else:                           # one input; `b` is the op's constant
                (ga,) = rule(b, g, node.data, a.data)
            if ga is not None and a._fn is not None:
                if conform is not None:
                    ga = conform(ga, a, node)
                have = a.grad
                a.grad = ga if have is pending or have is None else have + ga
    except (ZeroDivisionError, OverflowError) as error:    # a float rule at a point of
        _clear_marks(order, empty)                          # infinite or too steep a slope
        what = (f"infinite or undefined at this input ({error})"     # (0/0 at hypot's origin)
                if isinstance(error, ZeroDivisionError) else "too large for a float at this input")
        if grad_mode.anomaly:               # detect_anomaly knows where the op was made
            from .anomaly import created
            what += f" ({created(node)})"
        raise error.__class__(f"backward of {node._fn.name}: the derivative is {what}") from None
    except BaseException:
        _clear_marks(order, empty)
        raise


def summed(have: Any, g: Any) -> Any:
    """`have + g`, a leaf's gradient and a new one added, where a 0-d array stays a 0-d array:
    numpy adds two into a numpy scalar, and a 0-d Tensor's `.grad` is a 0-d array (as
    `Tensor._conform_grad` keeps it when a pass adds its gradients). For a leaf that is itself
    the root, or has hooks (autograd/hooks.py), whose gradients do not go through that.

    >>> import numpy as np
    >>> summed(np.array(1.0), np.array(2.0)).__class__, summed(1.0, 2.0)
    (<class 'numpy.ndarray'>, 3.0)
    """
    total = have + g
    if total.__class__ is not have.__class__ and getattr(have, "ndim", None) == 0:
        total = have.copy()     # (added into a copy, a 0-d array stays one: no numpy needed)
        total += g
    return total


def _one_op_input(inputs: tuple) -> Any:
    """The one entry of an n-ary node's `inputs` that is an op node (the others leaves or
    constants), None when none is, and `inputs` itself when two or more are (a node given
    twice counts twice): what decides whether the node is a link of a chain."""
    link = None
    for x in inputs:
        fn = x._fn
        if fn is not None and fn is not Leaf:
            if link is not None:
                return inputs
            link = x
    return link


def _from_the_end(order: list) -> Iterator[Node]:
    """The nodes of `order`, last to first, deleting each slice of it once it is walked (the
    slice being walked stays in the list: a pass that raises clears its marks from there)."""
    while order:
        yield from reversed(order[-_CHUNK:])
        del order[-_CHUNK:]


_CHUNK = 1 << 14                            # nodes per slice of the order in `backward`


def gradients(root: Node, gradient: Node, create_graph: bool = True) -> dict:
    """Higher-order backpropagation: runs the rules on nodes, so the gradients are graphs too.

    Returns {node: gradient node} for every node that leads to `root` and wants a gradient.
    Leaves' `.grad` is not touched (intermediates' is cleared: it is scratch space);
    `backward(create_graph=True)` and `autograd.grad` build on it.
    """
    _check_root(root)
    if root._fn is Leaf:
        return {root: gradient}
    empty = root._empty_grad
    order = topological_order(root)
    conform = _conform(root)
    grads = {root: gradient}
    hooked = tensor_hooks                   # (Tensor hooks: empty unless one is set)
    try:
        with set_grad_enabled(bool(create_graph)):
            while order:
                node = order.pop()
                node.grad = empty           # the sort's mark, cleared as the pass goes
                g = grads.get(node)
                if g is None:               # no consumer sent a gradient: nothing to pass on
                    continue
                if hooked and id(node) in hooked:
                    from .hooks import run_hooks
                    g = grads[node] = run_hooks(node, g, node._hooks)
                inputs, ctx = node._layout()
                try:
                    results = node._fn.backward(ctx, g, node, *inputs)
                except (ZeroDivisionError, OverflowError) as error:     # as in `backward`
                    what = ("infinite or undefined" if isinstance(error, ZeroDivisionError)
                            else "too large")
                    raise error.__class__(f"backward of {node._fn.name} (create_graph): the "
                                          f"derivative is {what} at this input ({error})") from None
                for x, gx in zip(inputs, results):
                    if gx is None or x._fn is None:
                        continue
                    if not isinstance(gx, Node):
                        gx = x._kind._constant_like(gx, x)
                    if conform is not None:
                        gx = conform(gx, x, node)
                    have = grads.get(x)
                    grads[x] = gx if have is None else have + gx
            if hooked:                      # a hooked leaf's gradient, before it is added
                from .hooks import run_hooks
                for node, g in grads.items():
                    if node._fn is Leaf and id(node) in hooked:
                        grads[node] = run_hooks(node, g, node._hooks)
    except BaseException:
        _clear_marks(order, empty)
        raise
    return grads


def backward_create_graph(root: Node, gradient: Node) -> None:
    """`backward(create_graph=True)`: like `backward`, but every `.grad` becomes a node."""
    grads = gradients(root, gradient, create_graph=True)
    with enable_grad():
        for node, g in grads.items():
            if node._fn is Leaf:
                # a Value leaf's untouched 0.0 is not added: it would be a "+ 0" box in drawings
                have = node.grad
                fresh = have is None or (have.__class__ is float and have == 0.0)
                node.grad = g if fresh else have + g
            else:
                node.grad = g


def walk(root: Node) -> Iterator[Node]:
    """Every node that leads to `root` (including constants), each once, parents before children.

    An iterative depth-first post-order, used to draw and inspect graphs (not on any hot path).
    """
    seen = {id(root)}
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(root.parents))]
    while stack:
        node, it = stack[-1]
        for parent in it:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            yield node
