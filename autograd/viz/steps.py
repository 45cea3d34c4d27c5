"""Backpropagation one node at a time, with a record of every step (what `draw_backprop` shows).

`record_backprop(y)` does what `y.backward()` does, with the same rules in the same order
(`graph.backward` is the reference: consumers before their inputs, nodes that no gradient
reached are skipped, leaves accumulate), and writes down at each node: the gradient that arrived,
and for each input the local derivative (the op's docstring's rule in the graph's names: labels,
and "#1", "#2", ... for the unlabelled nodes; and its value for a Value), the contribution sent
to that input and the input's running total.

>>> from autograd import Value
>>> x = Value(0.5, label="x")
>>> y = (x * x).tanh(); y.label = "y"
>>> steps = record_backprop(y)
>>> for line in steps[1].lines(): print(line)
at y = tanh(#1), the gradient that arrived: 1.0000
dy/d#1 = 1 − tanh(#1)² = 0.9400  →  #1 gets 1.0000 × 0.9400 = 0.9400
>>> steps[2].lines()[-1]                      # x * x: the two contributions add up in x
'x: 0.4700 + 0.4700 = 0.9400'
>>> x.grad == steps[-1].inputs[1].grad
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import (PENDING, Leaf, Node, _check_root, _clear_marks, _conform, topological_order,
                     write_clock)
from ..ops import (AddConst, ConstDiv, ConstPow, ConstSub, DivConst, LeakyRelu, MulConst,
                   PowConst, SubConst)
from . import labels
from .rules import (_bracketed, ctx_letters, ctx_rule, rename, rule_per_input, rule_text,
                    rule_words)
from .trace import Trace, trace

#: ops whose number operand c lives in ctx, not in a node: the step names it ("where c = 3")
_CONSTANT_OPERAND = (AddConst, SubConst, MulConst, DivConst, ConstSub, ConstDiv, PowConst,
                     ConstPow, LeakyRelu)


@dataclass(frozen=True)
class InputStep:
    """What one input of a step's node received.

    `name` is what the step texts call the input (its label, or "#k": `step_names`);
    `derivative` its rule written with the graph's names, in one of three `form`s:
    "partial", the local derivative d node/d input ("1 − tanh(#2)²"); "gradient", the gradient
    the input gets, written with the gradient that arrived ("dL/d#3 @ Wᵀ", for ops whose rule is
    a product or depends on ctx: a mean's count); "words", the op's docstring's rule in words
    (reshapes, indexing). `local` is the local derivative's value (Values only; 0 where no
    gradient passes, None for tensors); `contribution` what was added to the input's `.grad`
    (None: nothing, e.g. a ReLU that is off or a constant input); `before` the input's gradient
    before the addition (None if it had none yet) and `grad` after it.
    """

    node: Node
    position: int
    name: str
    derivative: str
    local: float | None
    contribution: Any
    before: Any
    grad: Any
    form: str = "partial"


@dataclass(frozen=True)
class Step:
    """One step of backpropagation: the rule of `node`'s op, run once.

    The first step of every walk is the seed: the output receives d out/d out = 1 (`op` is '',
    no inputs). `arrived` is the gradient `node` holds when its rule runs; `position` its
    place in the drawing's walk (`n{position}` in the SVG); `name` what the texts call it and
    `upstream` how they write the gradient that arrived ("dL/d#3"). `formula` is the op's
    forward formula with the graph's names ("d * f"; "" when the docstring says it in words).
    """

    node: Node
    position: int
    op: str
    formula: str
    arrived: Any
    inputs: tuple[InputStep, ...] = ()
    name: str = ""
    upstream: str = ""

    @property
    def is_seed(self) -> bool:
        return not self.op

    def lines(self) -> list[str]:
        """The step in words and numbers, one equation per line (what the drawings show)."""
        here = self.name
        if self.is_seed:
            if _is_one(self.arrived):
                return [f"start at the output {here}: d{_d(here)}/d{_d(here)} = "
                        f"{_amount(self.arrived)}"]
            # draw_backprop(y, gradient): d y/d y is still 1; what starts is backward's seed,
            # the gradient of something y feeds into, which the later steps write dL/d...
            outer = self.upstream.partition("/")[0][1:]
            return [f"start at the output {here} with the gradient given to it as "
                    f"{self.upstream} ({outer}: a result that {here} feeds into): "
                    f"{_amount(self.arrived)}"]
        made = f"{here} = {self.formula}" if self.formula else f"{here} ({self.op})"
        lines = [f"at {made}, the gradient that arrived: {_amount(self.arrived)}"]
        for part in self.inputs:
            lines.extend(self._input_lines(part))
        return lines

    def _input_lines(self, part: InputStep) -> list[str]:
        who = part.name
        if part.form == "partial":
            rule = f"d{_d(self.name)}/d{_d(who)} = {part.derivative}"
            if part.local is not None and not _is_number(part.derivative):    # a Value
                # "1 where the output is positive, else 0 = 1.0000" said 0 = 1: the rule
                # with a remark is bracketed before its value
                if _has_remark(part.derivative):
                    rule = f"d{_d(self.name)}/d{_d(who)} = ({part.derivative})"
                rule += f" = {labels.number(part.local)}"
        elif part.form == "gradient":
            rule = f"{who} gets {part.derivative}"
        else:
            rule = f"{self.op}: {part.derivative}"
        if not part.node.requires_grad:
            return [f"{rule}  →  {who} is a constant: it wants no gradient"]
        if part.contribution is None:
            return [f"{rule}  →  no gradient passes to {who}"]
        if part.form == "gradient":
            # "= a (2, 3) array" after a remark would say the remark's last term is it
            # ("ĝ = (dL/dy) ⊙ w = a (2, 3) array"): an arrow, as after a local derivative
            equals = "  →  " if _has_remark(part.derivative) else " = "
            lines = [f"{rule}{equals}{_amount(part.contribution)}"]
        elif part.local is not None:
            lines = [f"{rule}  →  {who} gets {labels.number(self.arrived)} × "
                     f"{_factor(part.local)} = {labels.number(part.contribution)}"]
        elif part.form == "partial":
            lines = [f"{rule}  →  {who} gets {self._times_that(part)} = "
                     f"{_amount(part.contribution)}"]
        else:
            lines = [f"{rule}  →  {who} gets {_amount(part.contribution)}"]
        if part.before is not None and not _is_zero(part.before):   # paths meet: they add up
            added = _amount(part.contribution)
            added = f"({added})" if added.startswith("-") else added     # not "+ -0.1036"
            lines.append(f"{who}: {_amount(part.before)} + {added} = {_amount(part.grad)}")
        return lines

    def _times_that(self, part: InputStep) -> str:
        """The gradient that arrived times the local derivative, said with what the shapes do:
        "g ⊙ that, summed to (4,)" when the input was broadcast (its gradient adds up the
        copies); "g (copied to (2, 3)) ⊙ that" when the node reduced the input (a product,
        a norm: each element's derivative meets its slice's one gradient)."""
        have, want = np.shape(self.arrived), np.shape(part.contribution)
        if np.prod(want) < np.prod(have):
            return f"{self.upstream} ⊙ that, summed to {want}"
        if np.prod(want) > np.prod(have):
            return f"{_bracketed(self.upstream)} (copied to {want}) ⊙ that"
        return f"{self.upstream} ⊙ that"


def step_names(walked: Trace) -> list[str]:
    """What the step texts call each node of the walk: its label, else "#1", "#2", ... in walk
    order (the step-by-step drawing writes that name in the node's box). A number that a label
    already spells is skipped, and a label that a node before in the walk has is numbered with
    a subscript (the second "y" is "y₂"), so two nodes never share a name: "dy/dy" would read
    as 1 where it is the derivative of one y by the other.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> step_names(trace((x * x).tanh()))
    ['x', '#1', '#2']
    >>> y = Value(2.0, label="y")
    >>> out = (y * 3).tanh(); out.label = "y"
    >>> step_names(trace(out))
    ['y', '#1', 'y₂']
    """
    taken = {labels.clean(node.label) for node in walked.nodes if node.label}
    names: list[str] = []
    used: set[str] = set()
    count = 0
    for node in walked.nodes:
        if node.label:
            name = label = labels.clean(node.label)
            copy = 1
            while name in used or (copy > 1 and name in taken):    # a label met before: y₂
                copy += 1
                name = label + str(copy).translate(_SUBSCRIPTS)
        else:
            count += 1
            while f"#{count}" in taken:
                count += 1
            name = f"#{count}"
        names.append(name)
        used.add(name)
    return names


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


#: what the steps call the result the output feeds into, when a gradient is given (the first
#: that no node of the graph is called)
_OUTER_NAMES = ("L", "ℒ", "J", "E", "loss")


def _is_one(g: Any) -> bool:
    """True for the gradient 1 that backward() starts a one-number output from."""
    return np.size(g) == 1 and float(np.reshape(g, -1)[0]) == 1.0


def _d(name: str) -> str:
    """A name after the d of a derivative: "dL", "d#3", "d(loss 1)", "d(a/b)", and "d(x1*w1)"
    for the micrograd lecture's labels, which are formulas ("dx1*w1/dx1" would read as
    (dx1/dx1) * w1).

    >>> _d("w1"), _d("0.weight"), _d("x1*w1"), _d("x1*w1 + x2*w2"), _d("tanh(a+b)")
    ('w1', '0.weight', '(x1*w1)', '(x1*w1 + x2*w2)', 'tanh(a+b)')
    """
    return name if _is_atom(name) and not _has_operator(name) else f"({name})"


_OPERATORS = frozenset("+-−*/^@·×÷<>=")


def _has_operator(name: str) -> bool:
    """True if an operator stands outside brackets in `name`: "x1*w1", "a-b"; not "f(a+b)"."""
    depth = 0
    for ch in name:
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and ch in _OPERATORS:
            return True
    return False


def _is_number(text: str) -> bool:
    """True for "3", "−1" and a negative constant as a rule writes it, "(-1.5)"."""
    try:
        float(text.replace("−", "-").removeprefix("(").removesuffix(")"))
    except ValueError:
        return False
    return True


def _amount(g: Any) -> str:
    """A gradient in a few characters: the number, or an array's shape and norm."""
    if isinstance(g, np.ndarray) and g.size != 1:
        return f"a {g.shape} array of norm {labels.number(np.linalg.norm(g.astype(np.float64)))}"
    return labels.number(g.item() if isinstance(g, np.ndarray) else g)


def _is_atom(formula: str) -> bool:
    """True for "tanh(x)" or "max(x, 0)", which need no brackets after d/dx; False for "a + b"."""
    depth = 0
    for ch in formula:
        depth += (ch in "([") - (ch in ")]")
        if ch == " " and depth == 0:
            return False
    return True


def _has_remark(formula: str) -> bool:
    """True for "(g) / N, N = 3 rows" or "x where c holds, 0 elsewhere": a comma or semicolon
    outside brackets; False for "(dL/d#1) @ Wᵀ" or "[dr, dz, dn]"."""
    depth = 0
    for ch in formula:
        depth += (ch in "([{") - (ch in ")]}")
        if ch in ",;" and depth == 0:
            return True
    return False


def _factor(x: float) -> str:
    """A number written as the second factor of a product: (−3.0000), in brackets if negative."""
    text = labels.number(x)
    return f"({text})" if text.startswith("-") else text


def _is_zero(g: Any) -> bool:
    """A Value's fresh 0.0 (not worth a line "0 + g = g"); arrays always count."""
    return not isinstance(g, np.ndarray) and g == 0


def _snapshot(g: Any) -> Any:
    """A copy of a gradient as it is now (an array may be replaced or changed later)."""
    return np.array(g, copy=True) if isinstance(g, np.ndarray) else g


#: the gradient that arrived, as a rule says it ("the sum of g", "g_j", "g's running sum")
_UPSTREAM = re.compile(r"(?<![\w])g(?![A-Za-z0-9(])")

#: how the docstrings' rules call the op's own output (Div's "−out/b", Softmax's
#: "y * (g − Σ g*y)"): a step writes the node's name there, as it does for the inputs
_OUTPUT_LETTERS = ("out", "y")


def _with_output(letters: dict[str, str], here: str) -> dict[str, str]:
    """`letters` and the output's letters, which name `here` unless an input has that letter
    (atan2's y)."""
    return {**{letter: here for letter in _OUTPUT_LETTERS if letter not in letters}, **letters}


def _rules(op: type, ctx: Any, payloads: list, names: list[str], upstream: str, here: str,
           ) -> tuple[str, list[str], str]:
    """The step's forward formula, each input's rule and the rules' form ("partial",
    "gradient" or "words": see InputStep), all written with the graph's `names` for the inputs
    and `here` for the node itself.

    The op's own docstring is quoted, its letters replaced by the names; a number operand kept
    in ctx (x * c) is written as the number; ops whose rule depends on ctx have a writer
    (`rules.ctx_rule`); a rule only in words is quoted as words.
    """
    count = len(names)
    written = ctx_rule(op, ctx, payloads, names, upstream, here)
    if written is not None:
        return written[0], written[1], "gradient"
    forward, partials = rule_text(op)
    if len(partials) == count:
        # d/dx_i = ... x_0 ⋯ x_(i-1): x is the input, x_i one of its elements
        letters = {letter.split("_")[0]: name for letter, name in zip(partials, names)}
        if op in _CONSTANT_OPERAND and isinstance(ctx, labels.NUMBER_TYPES):
            # as the op's box and the factor the step multiplies by show it: pi as 3.1416
            letters["c"] = labels.constant(ctx)
        rule_letters = _with_output(letters, here)
        forward += ctx_letters(op, ctx)         # elu's α, s, k; clip's bounds: the numbers
        rules = partials.values()
        if "g" not in letters and any(_UPSTREAM.search(rule) for rule in rules):
            # "d/dx_i = the sum of g over the outputs j >= i": a rule that uses the gradient
            # that arrived (g) is the gradient the input gets, not a local derivative to
            # multiply it by
            rule_letters = {**rule_letters, "g": upstream}
            return (rename(forward, letters), [rename(rule, rule_letters) for rule in rules],
                    "gradient")
        return (rename(forward, letters),
                [rename(rule, rule_letters) for rule in rules], "partial")
    per_input = rule_per_input(op)
    if list(per_input)[count:] in ([], ["b"]):     # one each (a bias, listed last, may be absent)
        letters = dict(zip(per_input, names))
        if len(letters) == count:
            letters = _with_output({**letters, "G": upstream, "g": upstream}, here)
            return "", [rename(per_input[letter].split(" = ", 1)[1], letters)
                        for letter in list(per_input)[:count]], "gradient"
    # a rule in words names the gradient that arrived g (or gout), and a one-input op's input
    # as its forward does ("cast back to x's dtype"): the page's names for them
    letters = {"g": upstream, "gout": upstream}
    if count == 1 and re.search(r"\bx\b", forward):
        letters["x"] = names[0]
    return "", [rename(rule_words(op), letters)] * count, "words"


def _upstream(root: str, here: str, g: Any) -> str:
    """How a rule writes the gradient that arrived at `here`: d root/d here, or 1 at an output
    that starts from 1 (then a rule reads "(softmax(z) − onehot(labels)) / N", not "1 × ...")."""
    if root == here and _is_one(g):
        return "1"
    return f"d{_d(root)}/d{_d(here)}"


def _seed(root: Node, gradient: Any) -> Any:
    """The gradient the output starts with (what `backward()` would use), checked."""
    if not labels.is_tensor(root):
        if gradient is None:
            return 1.0
        if isinstance(gradient, bool) or not isinstance(gradient, (int, float)):
            raise TypeError(f"draw_backprop: gradient must be a number for a Value, got "
                            f"{type(gradient).__name__}")
        return float(gradient)
    shape, dtype = root.data.shape, root.data.dtype
    if gradient is None:
        if root.data.size != 1:
            raise ValueError(f"draw_backprop: an output of shape {shape} needs a gradient of "
                             f"that shape (only a one-element output starts from 1)")
        return np.ones(shape, dtype)
    seed = np.array(gradient.data if isinstance(gradient, Node) else gradient, dtype=dtype)
    if seed.shape != shape:
        raise ValueError(f"draw_backprop: the output has shape {shape}, the gradient {seed.shape}")
    return seed


def record_backprop(root: Node, gradient: Any = None, walked: Trace | None = None) -> list[Step]:
    """Backpropagate from `root` like `root.backward(gradient)` and return every step.

    `walked` is the drawing's walk of the graph (positions name the nodes); made here if None.
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_backprop: expected a Value or a Tensor, got {type(root).__name__}")
    _check_root(root)                       # a constant, or a pass already running: an error
    seed = _seed(root, gradient)
    if type(root)._notes_writes:            # a Tensor: refused before anything runs, as
        refuse_changed(root)                # backward refuses a graph changed in place
    walked = trace(root) if walked is None else walked
    position = {id(node): i for i, node in enumerate(walked.nodes)}
    names = step_names(walked)
    here = names[position[id(root)]]
    # the gradient that arrives at each node is d root/d node when the walk starts from 1; from
    # a given gradient it is dL/d node, L being what the output feeds into (for a Tensor
    # output, d root/d node would be a Jacobian, not the array that arrives)
    outer = here if _is_one(seed) else next(
        (name for name in _OUTER_NAMES if name not in names), "ℒ₀")
    seed_step = Step(root, position[id(root)], "", "", _snapshot(seed), name=here,
                     upstream=f"d{_d(outer)}/d{_d(here)}")
    if root._fn is Leaf:                    # backward on a leaf: it just accumulates
        root.grad = seed if root.grad is None else root.grad + seed
        return [seed_step]
    empty = root._empty_grad
    # marks the op nodes' .grad PENDING; pruned as in backward (nothing behind an off ReLU)
    order = topological_order(root, prune=True)
    conform = _conform(root)
    root.grad = seed
    steps = [seed_step]
    try:
        while order:
            node = order.pop()              # consumers first, as in graph.backward
            if node.grad is PENDING:        # no gradient reached it: nothing to pass on
                node.grad = empty
                continue
            steps.append(_run_rule(node, position, names, outer, conform))
    except (ZeroDivisionError, OverflowError) as error:    # a float rule at a point of
        _clear_marks(order, empty)                          # infinite or too steep a slope
        what = (f"infinite at this input ({error})" if isinstance(error, ZeroDivisionError)
                else "too large for a float at this input")
        raise error.__class__(f"draw_backprop: backward of {node._fn.name}: the derivative is "
                              f"{what}") from None
    except BaseException:
        _clear_marks(order, empty)
        raise
    return steps


def refuse_changed(root: Node) -> None:
    """backward's check that no input of the graph's ops was changed in place since the op
    used it (an optimizer step between the forward pass and the walk), its error named."""
    from ..tensor import _refuse_changed_graph      # the Tensor's side, only for a Tensor

    if root._written_at >= write_clock.count:       # no tensor changed since root was made
        return
    try:
        _refuse_changed_graph(root)
    except RuntimeError as error:
        raise RuntimeError(f"draw_backprop: {error}") from None


def _run_rule(node: Node, position: dict[int, int], names: list[str], root_name: str,
              conform: Any) -> Step:
    """Apply `node`'s rule once (as graph.backward does) and describe what it did."""
    g = node.grad
    op = node._fn
    inputs, ctx = node._layout()
    payloads = [x.data for x in inputs]
    grads = op.backward(ctx, g, node.data, *payloads)
    scalar = not labels.is_tensor(node)
    # a Value's rule is linear in g, so running it with g = 1 gives the local derivatives
    local = op.backward(ctx, 1.0, node.data, *payloads) if scalar else [None] * len(inputs)
    here = names[position[id(node)]]
    upstream = _upstream(root_name, here, g)
    formula, derivatives, form = _rules(op, ctx, payloads,
                                        [names[position[id(x)]] for x in inputs], upstream, here)
    parts = []
    for x, gx, derivative, d in zip(inputs, grads, derivatives, local):
        before = None
        if gx is not None and x._fn is not None:
            if conform is not None:
                gx = conform(gx, x, node)
            have = x.grad
            before = None if have is None or have is PENDING else _snapshot(have)
            x.grad = gx if before is None else have + gx
        else:
            gx = None
        if scalar:
            if d is not None:
                d = float(d)
            elif x._fn is not None:             # a ReLU that is off passes nothing: slope 0
                d = 0.0                         # (an input that wants no gradient gets no slope)
        parts.append(InputStep(x, position[id(x)], names[position[id(x)]], derivative, d,
                               _snapshot(gx), before,
                               _snapshot(x.grad) if gx is not None else None, form))
    return Step(node, position[id(node)], labels.clean(op.symbol or op.name), formula,
                _snapshot(g), tuple(parts), here, upstream)
