"""An op's derivative as its own docstring writes it, for the step-by-step drawings.

Every op's one-line docstring reads "forward;  derivative", e.g. Tanh's
"tanh(x);  d/dx = 1 - tanh(x)^2" or Mul's "a * b;  d/da = b, d/db = a". This module splits
that line, so the drawing quotes the very rule the engine runs instead of a second copy of it.

>>> from autograd.ops import Mul, Tanh
>>> rule_text(Tanh)
('tanh(x)', {'x': '1 − tanh(x)²'})
>>> rule_text(Mul)
('a * b', {'a': 'b', 'b': 'a'})

The letters are the rule's own; a step writes the rule with the graph's names (`rename`), and
ops whose gradient depends on how the node was made (a mean's count, a loss's reduction) have a
writer here that reads the node's ctx (`ctx_rule`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np

from ..ops import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Clip, Conv2d,
                   ConvTranspose2d, CrossEntropy, Elu, Hardshrink, Hardtanh,
                   GeluTanh, GRULayer, GRUSequence, GRUStep, Huber, IndexPut, LayerNorm,
                   Linear, Logit, LogSoftmax, LSTMCellState, LSTMHiddenState, LSTMLayer,
                   LSTMSequence, MatMul, Mean, Polygamma, RNNSequence, SmoothL1, Softmax, Sum,
                   Threshold, VectorNorm, Where)
from ..ops.elementwise import Condition

_PARTIAL = re.compile(r"d/d(\w+) = (.+?)(?=, d/d\w+ = |$)")    # "d/da = b, d/db = a"
_CUTS = (" for ", " with ", ", ", " (")     # what starts a remark after the forward's formula
_REMARK = re.compile(", (?:which|and) ")    # ... and after a derivative ("c * x^(c-1), and 0
                                            # for c = 0" would read as part of the formula)


def _first_line(op: type) -> str:
    """The op's docstring's first paragraph as one line (some wrap onto a second line; what
    follows a blank line is prose, not the rule)."""
    return " ".join((op.__doc__ or "").strip().split("\n\n")[0].split())


def _split(line: str) -> tuple[str, str]:
    """(the forward, the rule): the line cut at its first ';' outside brackets (roll's
    "(ctx: shifts, axes; axes None ...)" is a remark of its forward)."""
    depth = 0
    for i, ch in enumerate(line):
        depth += (ch in "([") - (ch in ")]")
        if ch == ";" and depth == 0:
            return line[:i], line[i + 1:]
    return line, ""


def _forward_formula(head: str) -> str:
    """The formula part of the text before ';': "x + c for a number c (kept...)" -> "x + c",
    "σ(x) = 1 / (1 + e^-x), evaluated ..." -> "σ(x)". Remarks are cut only outside brackets,
    so "max(x, 0)" stays whole."""
    head = head.split(" = ")[0]
    depth = 0
    for i, ch in enumerate(head):
        if depth == 0 and any(head.startswith(cut, i) for cut in _CUTS):
            return head[:i]
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
    return head


def pretty(formula: str) -> str:
    """The typography of a lecture slide: a real minus sign and a raised 2.

    >>> pretty("-a/b^2 - 1")
    '−a/b² − 1'
    """
    formula = formula.replace("^2", "²").replace(" - ", " − ")
    for before in ("(", "= "):
        formula = formula.replace(before + "-", before + "−")
    return "−" + formula[1:] if formula.startswith("-") else formula


def rule_text(op: type) -> tuple[str, dict[str, str]]:
    """(the forward formula, {input name: its derivative}) from `op`'s docstring.

    The dict is empty when the docstring describes the gradient in words instead of naming each
    partial derivative (sums, matrix products, reshapes): `rule_words` gives those words.
    """
    if not _first_line(op):                     # a user's Function without a docstring
        return f"{op.name}(…)", {}
    head, rule = _split(_first_line(op))
    partials = {name: pretty(_REMARK.split(text)[0].strip())        # a remark, not formula
                for name, text in _PARTIAL.findall(rule.strip())}
    return pretty(_forward_formula(head.strip())), partials


_PER_INPUT = re.compile(r"(?:^|, )d(\w+) = (.+?)(?=, d\w+ = |$)")   # "dx = G W, dW = Gᵀ x"


def rule_per_input(op: type) -> dict[str, str]:
    """{input name: its gradient in words} when the docstring's rule gives one "dx = ..." per
    input, in order (matrix ops, whose rule is a product, not a partial derivative); else {}.

    >>> from autograd.ops import Linear
    >>> rule_per_input(Linear)
    {'x': 'dx = G W', 'W': 'dW = Gᵀ x', 'b': 'db = Σ_rows G'}
    """
    _, rule = _split(_first_line(op))
    first = rule.strip().split(". ")[0]
    return {name: pretty(f"d{name} = {text.strip()}") for name, text in _PER_INPUT.findall(first)}


def rule_words(op: type) -> str:
    """The first sentence the docstring says after the ';' (the rule in words or formulas).

    >>> from autograd.ops import Sum
    >>> rule_words(Sum)
    'every summed element gets the upstream gradient'
    """
    head, rule = _split(_first_line(op))
    words = (rule.strip() or head.strip()).split(". ")[0]
    return pretty(words) if words else f"the rule in {op.name}.backward (it has no docstring)"


def _bracketed(name: str) -> str:
    """A name as a factor of a formula: "loss 1" and "dL/d#3" need brackets, "x1" and "#3"
    do not."""
    return name if " " not in name and "/" not in name else f"({name})"


def rename(formula: str, names: dict[str, str]) -> str:
    """`formula` with each of the rule's letters replaced by the graph's name for it, in one
    pass (a name put in is never replaced again), whole words only ("tanh" keeps its a).

    >>> rename("b * a^(b-1)", {"a": "x1", "b": "loss 1"})
    '(loss 1) * x1^((loss 1)-1)'
    >>> rename("3x² + tanh(x)", {"x": "w1"})
    '3·w1² + tanh(w1)'
    >>> rename("db = Σ_{n,h,w} g", {"w": "conv.weight", "g": "G"})    # indices stay indices
    'db = Σ_{n,h,w} G'
    >>> rename("Σ g · x̂", {"x": "#4", "g": "G"})             # x̂ is no x: no hat on "#4"
    'Σ G · x̂'
    >>> rename("Σ_(j >= i) g_j x_(i+1)", {"x": "h", "g": "dL/d#2"})     # elements keep theirs
    'Σ_(j >= i) (dL/d#2)_j h_(i+1)'
    """
    if not names:
        return formula
    letters = "|".join(re.escape(letter) for letter in sorted(names, key=len, reverse=True))

    def name(match: re.Match) -> str:       # "3x²" is 3 times x: "3·w1²" for a longer name
        if match.group("subscript"):        # Σ_{n,h,w}: w counts the width, it is no input
            return match.group(0)
        text = _bracketed(names[match.group(0)])
        start = match.start()
        return "·" + text if start and formula[start - 1].isdigit() and len(text) > 1 else text
    # a letter after a digit is a factor too ("3x"); after a letter or before a letter or digit
    # it is part of a word ("tanh", "x1"); "x²", "xᵀ" and "x_j" are x (an element of it: its
    # subscript stays), but "x̂" (a combining mark) is a symbol of its own; a subscript after
    # something else is left as it is
    return re.sub(rf"(?P<subscript>_\{{[^}}]*\}}|_\([^)]*\))"
                  rf"|(?<![^\W\d])(?:{letters})(?![A-Za-z0-9α-ω\u0300-\u036f])", name, formula)


# -- the letters of a forward formula that stand for numbers in ctx -----------------------------

def _constant(value: Any, none: str) -> str:
    """A number of ctx in a few characters; `none` for None (a bound not given)."""
    if value is None:
        return none
    if np.ndim(value):
        return f"an array of shape {np.shape(value)}"
    return f"{float(value):.3g}"


def _clip_letters(bounds: Any) -> dict[str, str]:
    low, high = bounds
    return {"low": _constant(low, "−∞"), "high": _constant(high, "∞")}


#: what the letters of these ops' rules stand for, as "letter = value" said after the forward
#: (the docstring says "for (α, s, k) in ctx"; the page shows the numbers that ran)
_CTX_LETTERS: dict[type, Callable[[Any], dict[str, str]]] = {
    Elu: lambda ctx: {letter: _constant(v, "") for letter, v in zip("αsk", ctx)},
    Clip: _clip_letters,
    Hardtanh: _clip_letters,
    Threshold: lambda ctx: {"t": _constant(ctx[0], ""), "v": _constant(ctx[1], "")},
    Hardshrink: lambda lambd: {"λ": _constant(lambd, "")},
    Polygamma: lambda n: {"n": str(n)},
    Logit: lambda eps: {"ε": _constant(eps, "none (nothing is clamped)")},
    GeluTanh: lambda ctx: {"u": "√(2/π)(x + 0.044715x³)"},      # cut from the forward: a remark
    VectorNorm: lambda ctx: {"p": _constant(ctx[0], "")},
    Huber: lambda delta: {"δ": _constant(delta, "")},
    SmoothL1: lambda beta: {"β": _constant(beta, "")},
}


def ctx_letters(op: type, ctx: Any) -> str:
    """What the letters of `op`'s rule that are not inputs stand for, said after its forward
    formula (" with α = 1.67, s = 1.05, k = 1"); "" for ops that have none.

    >>> from autograd.ops import Clip
    >>> ctx_letters(Clip, (-0.5, None))
    ' with low = -0.5, high = ∞'
    """
    letters = _CTX_LETTERS.get(op)
    if letters is None:
        return ""
    return " with " + ", ".join(f"{letter} = {value}" for letter, value in letters(ctx).items())


# -- rules that depend on the node's ctx ------------------------------------------------------
#
# Each writer gets the node's ctx, its inputs' payloads, the names of the inputs and of the
# gradient that arrived (`g`, e.g. "dL/d#3") and of the node itself (`here`) and returns, per
# input, the gradient that input gets, as a formula in those names; or (the node's forward
# formula, those gradients) when the rules use letters of the forward that the page must define
# (a layer norm's x̂, a GRU's gates). The docstrings state these rules for any ctx and in the
# ops' own letters; a step shows the one that ran (mean or sum, and over how many), in the
# page's names.

def _times(g: str, rule: str) -> str:
    """`rule` times the gradient that arrived, unless that is 1 (a loss's own step)."""
    return rule if g == "1" else f"{_bracketed(g)} × ({rule})"


def _mean_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
               ) -> list[str]:
    (x,) = payloads
    axes, _ = ctx
    count = int(np.prod([x.shape[a] for a in np.atleast_1d(axes)])) if axes is not None \
        else int(np.size(x))
    return [f"{_bracketed(g)} / N, N = {count}, to each element (each mean averages N of them)"]


def _sum_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
              ) -> list[str]:
    return [f"{g}, copied to every summed element"]


def _matmul_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                 ) -> tuple[str, list[str]]:
    a, b = (_bracketed(name) for name in names)
    g = _bracketed(g)
    product = f"{a} @ {b}"              # the page said "at #3 (matmul)": of what?
    dims = [np.ndim(x) for x in payloads] if len(payloads) == 2 else [2, 2]
    if dims == [1, 1]:                  # a dot product: g is one number
        return product, [f"{g} × {b}", f"{g} × {a}"]
    # a vector's "ᵀ" would make a product of two vectors a number where it is their outer
    # product; a matrix's gradient from a batch of products is their sum
    rules = [f"{g} ⊗ {b} (outer product)" if dims[1] == 1 else f"{g} @ {b}ᵀ",
             f"{a} ⊗ {g} (outer product)" if dims[0] == 1 else f"{a}ᵀ @ {g}"]
    most = max(dims)
    return product, [rule + (", summed over the batch axes" if 1 < dim < most else "")
                     for rule, dim in zip(rules, dims)]


def _linear_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                 ) -> tuple[str, list[str]]:
    x, w = (_bracketed(name) for name in names[:2])
    g = _bracketed(g)
    forward = f"{x} @ {w}ᵀ" + (f" + {_bracketed(names[2])}" if len(names) > 2 else "")
    return forward, [f"{g} @ {w}", f"{g}ᵀ @ {x}", f"Σ_rows {g}"][:len(names)]


_FEW_LABELS = 8      # cross_entropy's labels up to this many are written in its step


def _cross_entropy_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                        ) -> list[str]:
    z = _bracketed(names[0])
    p = f"softmax({z})"
    given = ""
    if ctx.picks is not None:
        core = f"{p} − onehot(labels)"
        # the labels are no node of the drawing: a few are written out, as a teacher would
        classes = np.shape(payloads[0])[-1] if payloads else 0
        if classes and len(ctx.picks) <= _FEW_LABELS:
            given = f", labels = {(np.asarray(ctx.picks) % classes).tolist()}"
    else:
        t = _bracketed(names[1]) if len(names) > 1 else "target"
        core = f"{p} Σ_c {t}_c − {t}" if ctx.target is not None else f"{p} − {t}"
        if ctx.target is not None:          # made inside cross_entropy: the page has no box
            core += (", target: the labels as rows of class weights, with cross_entropy's "
                     "options (weight, ignore_index, label_smoothing; for the mean, divided "
                     "by the labels' total weight)")
    rules = [core] + [f"−log {p}"] * (len(names) - 1)
    if ctx.reduction == "mean":                 # the loss is the sum over the rows / N
        count = len(payloads[0])
        rows = f"N = {count} row" if count == 1 else f"N = {count} rows"
        return [(f"{_times(g, rule)} / N, {rows}" if g != "1" else f"({rule}) / N, {rows}")
                + given for rule in rules]
    if ctx.reduction == "sum":
        return [_times(g, rule) + given for rule in rules]
    return [f"{_bracketed(g)} (a number per row) × ({rule}){given}" for rule in rules]


def _where_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                ) -> tuple[str, list[str]]:
    # the docstring's "to a ..., else to b" names the branches by letter, which a learner's own
    # label "a" (the second branch, say) would seem to be: each branch is told its own part.
    # hardtanh, tril, masked_fill say what their condition is ("-1 < x < 1"): the page says it
    if not isinstance(ctx, Condition):
        return "", [f"{g} where the condition holds, 0 elsewhere",
                    f"{g} where the condition does not hold, 0 elsewhere"]
    words = rename(ctx.words, dict(zip("ab", names)))
    said = f"({words})" if " or " in words else words     # not "where y is NaN holds"
    return (f"where({words}, {', '.join(names)})",
            [f"{g} where {said} holds, 0 elsewhere",
             f"{g} where {said} does not hold, 0 elsewhere"])


def _layer_norm_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                     ) -> tuple[str, list[str]]:
    # the docstring's x̂ and rstd are defined in its forward, which a step of rules does not
    # show, and "x̂" with x renamed would be a hat on the page's name ("#4̂"): both are defined
    x = names[0]
    weight = _bracketed(names[1]) if ctx.weighted else None
    bias = _bracketed(names[-1]) if ctx.biased else None
    axes = "axis" if len(ctx.axes) == 1 else f"{len(ctx.axes)} axes"
    forward = " + ".join(part for part in ("x̂" + (f" ⊙ {weight}" if weight else ""), bias)
                         if part)
    forward += (f", x̂ = ({x} − mean) · rstd, rstd = 1/√(var + eps), over the last {axes} of "
                f"{x}")
    g = _bracketed(g)
    ghat = f"ĝ = {g} ⊙ {weight}" if weight else f"ĝ = {g}"
    rules = [f"rstd · (ĝ − mean ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)), {ghat}, means over the last {axes}"]
    if weight:
        rules.append(f"Σ_batch {g} ⊙ x̂")
    if bias:
        rules.append(f"Σ_batch {g}")
    return forward, rules


# The recurrent ops: their docstrings name the gates and the upstream gradient with letters of
# their own (a, b, G, dh, d_t); a step writes the gates' formulas into the node's forward, so
# every letter its rules use is defined on the page.

def _gru_step_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                   ) -> tuple[str, list[str]]:
    a, b, h = (_bracketed(name) for name in names)
    g = _bracketed(g)
    forward = (f"(1 − z) ⊙ n + z ⊙ {h}, gates r, z, n = σ({a}_r + {b}_r), σ({a}_z + {b}_z), "
               f"tanh({a}_n + r ⊙ {b}_n) ({a}_r: the r gate's columns of {a})")
    return forward, [
        f"[dr, dz, dn] (its r, z, n columns), dn = {g} ⊙ (1 − z) ⊙ (1 − n²), "
        f"dz = {g} ⊙ ({h} − n) ⊙ z(1 − z), dr = dn ⊙ {b}_n ⊙ r(1 − r)",
        f"[dr, dz, dn ⊙ r], as {a} gets but its n columns times r",
        f"{g} ⊙ z"]


def _lstm_cell_state_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                          ) -> tuple[str, list[str]]:
    a, b, c = (_bracketed(name) for name in names)
    g = _bracketed(g)
    forward = (f"f ⊙ {c} + i ⊙ g, gates i, f, g = σ({a}_i + {b}_i), σ({a}_f + {b}_f), "
               f"tanh({a}_g + {b}_g) ({a}_i: the i gate's columns of {a})")
    share = (f"[{g} ⊙ g ⊙ i(1 − i), {g} ⊙ {c} ⊙ f(1 − f), {g} ⊙ i ⊙ (1 − g²), 0] "
             f"(its i, f, g, o columns)")
    return forward, [share, f"the same as {a}", f"{g} ⊙ f"]


def _lstm_hidden_state_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                            ) -> tuple[str, list[str]]:
    a, b, c = (_bracketed(name) for name in names)
    g = _bracketed(g)
    forward = f"o ⊙ tanh({c}), gate o = σ({a}_o + {b}_o) (the o gate's columns, the last)"
    share = f"[0, 0, 0, {g} ⊙ tanh({c}) ⊙ o(1 − o)] (its i, f, g, o columns)"
    return forward, [share, f"the same as {a}", f"{g} ⊙ o ⊙ (1 − tanh²({c}))"]


_BACKWARDS = "in the reverse of the order they ran"


def _sequence_words(ctx: Any) -> tuple[str, str]:
    """(the order the steps ran, said after the forward; what rows of their own lengths do,
    said after the rule of the input share)."""
    order = "; the steps run last to first" if ctx.reverse else ""
    lengths = ("; past a row's length its d_t is 0 and the state's gradient passes on to the "
               "step before unchanged" if ctx.lengths is not None else "")
    return order, lengths


def _rnn_sequence_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                       ) -> tuple[str, list[str]]:
    A, h0, W = (_bracketed(name) for name in names[:3])
    bias = f" + {_bracketed(names[3])}" if len(names) > 3 else ""
    out, g = _bracketed(here), _bracketed(g)
    order, lengths = _sequence_words(ctx)
    slope = f"(1 − {out}_t²)" if ctx.nonlinearity == "tanh" else f"[{out}_t > 0]"
    forward = (f"the state of every step, {out}_t = {ctx.nonlinearity}({A}_t + h_before @ "
               f"{W}ᵀ{bias}), h_before: the step before's ({h0} at the first){order}")
    rules = [f"d_t = ({g}_t + d_after @ {W}) ⊙ {slope} at each step, {_BACKWARDS} (d_after: "
             f"the step after's d, 0 at the last){lengths}",
             f"d_first @ {W}, what flows back past the first step",
             "Σ_t d_tᵀ @ h_before"]
    return forward, rules + ["Σ_t Σ_rows d_t"] * (len(names) - 3)


def _gru_d_t(g: str, lengths: str) -> str:
    """The GRU's d_t as a page words it (gru_sequence's and gru_layer's)."""
    return (f"d_t = [dr, dz, dn] at each step, {_BACKWARDS}: with δ = {g}_t + what the step "
            f"after sends back, dn = δ ⊙ (1 − z) ⊙ (1 − n²), dz = δ ⊙ (h_before − n) ⊙ "
            f"z(1 − z), dr = dn ⊙ s_n ⊙ r(1 − r){lengths}")


def _gru_sent_back(W: str) -> str:
    """What a GRU's h0 gets, as a page words it."""
    return (f"δ ⊙ z + e @ {W} at the first step, which each step sends back (e_t: d_t with "
            f"its n part times r)")


def _gru_forward(out: str, share: str, defined: str, h0: str, order: str) -> str:
    """A GRU layer's forward as a page words it, the input's share of gate k at step t being
    `share` + k (A_t,r or a_r) and `defined` saying what the shares are."""
    return (f"the state of every step, {out}_t = (1 − z) ⊙ n + z ⊙ h_before, gates "
            f"r, z, n = σ({share}r + s_r), σ({share}z + s_z), tanh({share}n + r ⊙ s_n), "
            f"{defined}, h_before: the step before's ({h0} at the first){order}")


def _gru_sequence_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                       ) -> tuple[str, list[str]]:
    A, h0, W = (_bracketed(name) for name in names[:3])
    bias = f" + {_bracketed(names[3])}" if len(names) > 3 else ""
    out, g = _bracketed(here), _bracketed(g)
    order, lengths = _sequence_words(ctx)
    forward = _gru_forward(out, f"{A}_t,", f"s = h_before @ {W}ᵀ{bias}", h0, order)
    rules = [_gru_d_t(g, lengths), _gru_sent_back(W), "Σ_t e_tᵀ @ h_before"]
    return forward, rules + ["Σ_t Σ_rows e_t"] * (len(names) - 3)


_ONE_NODE = "; the whole layer is one node, from its input"


def _gru_layer_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                    ) -> tuple[str, list[str]]:
    # gru_sequence's rule with the input's share a = x_t W_ihᵀ + b_ih made inside the node: x
    # gets d_t through W_ih, the input's weight and bias get d, the hidden ones e
    x, h0, W_ih, W_hh = (_bracketed(name) for name in names[:4])
    b_ih, b_hh = (f" + {_bracketed(name)}" for name in names[4:]) if len(names) > 4 \
        else ("", "")
    out, g = _bracketed(here), _bracketed(g)
    order, lengths = _sequence_words(ctx)
    forward = _gru_forward(out, "a_", f"a = {x}_t @ {W_ih}ᵀ{b_ih}, s = h_before @ {W_hh}ᵀ{b_hh}",
                           h0, order) + _ONE_NODE
    rules = [f"d_t @ {W_ih} at step t, {_gru_d_t(g, lengths)}", _gru_sent_back(W_hh),
             f"Σ_t d_tᵀ @ {x}_t", "Σ_t e_tᵀ @ h_before"]
    return forward, rules + ["Σ_t Σ_rows d_t", "Σ_t Σ_rows e_t"][:len(names) - 4]


def _lstm_d_t(g: str, W: str, lengths: str) -> str:
    """The LSTM's d_t as a page words it (lstm_sequence's and lstm_layer's)."""
    return (f"d_t = [dc ⊙ g ⊙ i(1 − i), dc ⊙ c_before ⊙ f(1 − f), dc ⊙ i ⊙ (1 − g²), "
            f"dh ⊙ tanh(c_t) ⊙ o(1 − o)] at each step, {_BACKWARDS}: dh = {g}'s h_t + "
            f"d_after @ {W}, dc = {g}'s c_t + dh ⊙ o ⊙ (1 − tanh²(c_t)) + the step after's "
            f"dc ⊙ f (d_after: the step after's d, 0 at the last){lengths}")


def _lstm_forward(share: str, h0: str, c0: str, order: str) -> str:
    """An LSTM layer's forward as a page words it, the gates' sum at step t being `share`."""
    return (f"the states h_t and c_t of every step, stacked: c_t = f ⊙ c_before + i ⊙ g, "
            f"h_t = o ⊙ tanh(c_t), gates i, f, g, o = σ, σ, tanh, σ of {share} (h_before, "
            f"c_before: the states after the step before, {h0} and {c0} at the first){order}")


def _lstm_sequence_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                        ) -> tuple[str, list[str]]:
    A, h0, c0, W = (_bracketed(name) for name in names[:4])
    bias = f" + {_bracketed(names[4])}" if len(names) > 4 else ""
    g = _bracketed(g)
    order, lengths = _sequence_words(ctx)
    forward = _lstm_forward(f"{A}_t + h_before @ {W}ᵀ{bias}", h0, c0, order)
    rules = [_lstm_d_t(g, W, lengths),
             f"d_first @ {W}, what flows back past the first step",
             "dc ⊙ f at the first step",
             "Σ_t d_tᵀ @ h_before"]
    return forward, rules + ["Σ_t Σ_rows d_t"] * (len(names) - 4)


def _lstm_layer_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                     ) -> tuple[str, list[str]]:
    # lstm_sequence's rule with the input's share x_t W_ihᵀ + b_ih made inside the node: x
    # gets d_t through W_ih, W_ih gets d_t with x_t
    x, h0, c0, W_ih, W_hh = (_bracketed(name) for name in names[:5])
    bias = "".join(f" + {_bracketed(name)}" for name in names[5:])
    g = _bracketed(g)
    order, lengths = _sequence_words(ctx)
    forward = _lstm_forward(f"{x}_t @ {W_ih}ᵀ + h_before @ {W_hh}ᵀ{bias}", h0, c0, order)
    rules = [f"d_t @ {W_ih} at step t, {_lstm_d_t(g, W_hh, lengths)}",
             f"d_first @ {W_hh}, what flows back past the first step",
             "dc ⊙ f at the first step",
             f"Σ_t d_tᵀ @ {x}_t", "Σ_t d_tᵀ @ h_before"]
    return forward + _ONE_NODE, rules + ["Σ_t Σ_rows d_t"] * (len(names) - 5)


def _index_put_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                    ) -> tuple[str, list[str]]:
    # the docstring's forward, "x with value written at index", would be cut to "x" (a "with"
    # starts a remark elsewhere): the page said "a = #2" for a[0, 1] = v
    x, value = (_bracketed(name) for name in names)
    g = _bracketed(g)
    return (f"{x} with {value} written at index",
            [f"{g} where {x} was kept and 0 where it was overwritten",
             f"{g}[index] (summed over {value}'s broadcast axes)"])


def _binary_cross_entropy_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                               ) -> tuple[str, list[str]]:
    # the docstring's p and t: the page's name for p, and t said to be the target (a constant
    # of ctx, no box of its own)
    p = _bracketed(names[0])
    return (f"−[t log {p} + (1 − t) log(1 − {p})], t the target (each log clamped at −100)",
            [_times(g, f"({p} − t) / ({p}(1 − {p}))") + f", {p}(1 − {p}) floored at 1e-12"])


def _bce_with_logits_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                          ) -> tuple[str, list[str]]:
    x = _bracketed(names[0])
    if ctx.pos_weight is None:
        return (f"−[t log σ({x}) + (1 − t) log(1 − σ({x}))], t the target",
                [_times(g, f"σ({x}) − t")])
    return (f"−[p_w t log σ({x}) + (1 − t) log(1 − σ({x}))], t the target, p_w the pos_weight",
            [_times(g, f"(1 − t) − w (1 − σ({x}))") + ", w = 1 + (p_w − 1) t"])


def _conv_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
               ) -> tuple[str, list[str]]:
    # the docstring's conv_input_grad and conv_weight_grad are functions of the code: the page
    # says what they compute
    x, w = (_bracketed(name) for name in names[:2])
    g = _bracketed(g)
    bias = f" + {_bracketed(names[2])}" if len(names) > 2 else ""
    return (f"{x} ⋆ {w}{bias}: each output pixel is the sum of its window of {x} times {w}",
            [f"{w} × {g} summed at each pixel over the windows it was in (the transposed "
             f"convolution of {g} with {w})",
             f"{g} × the window of {x} it came from, summed over the windows and the batch",
             f"Σ_{{n,h,w}} {g}"][:len(names)])


def _conv_transpose_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                         ) -> tuple[str, list[str]]:
    x, w = (_bracketed(name) for name in names[:2])
    g = _bracketed(g)
    bias = f" + {_bracketed(names[2])}" if len(names) > 2 else ""
    return (f"the transposed convolution{bias and ' plus ' + bias[3:]}: each pixel of {x} "
            f"adds itself times {w} onto its window of the output",
            [f"at each pixel, the sum of its window of {g} times {w} (the convolution of {g} "
             f"with {w})",
             f"each pixel of {x} × the window of {g} it wrote, summed over the pixels and the "
             f"batch",
             f"Σ_{{n,h,w}} {g}"][:len(names)])


def _vector_norm_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str,
                      ) -> tuple[str, list[str]] | None:
    # the docstring's formula, (Σ |x|^p)^(1/p) and its slope, is the rule for a finite p ≠ 0
    # only: for p = ±inf and 0 the page says what ran instead
    p = ctx[0]
    x = _bracketed(names[0])
    if p in (math.inf, -math.inf):
        which = "largest" if p > 0 else "smallest"
        return (f"{'max' if p > 0 else 'min'} |{x}| over axes",
                [f"{_times(g, f'sign({x})')}, split evenly among the elements of {which} "
                 f"|{x}|, 0 elsewhere"])
    if p == 0:
        return f"the count of nonzero elements of {x}", ["nothing: a count has no slope"]
    return None


def _softmax_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                  ) -> tuple[str, list[str]] | None:
    # the docstring's "Σ g*y" does not say over what: the step says the axis it ran along
    if not isinstance(ctx, int) or len(payloads) != 1 or np.ndim(payloads[0]) < 2:
        return None                         # a vector: there is nothing else to sum over
    x, y, g = _bracketed(names[0]), _bracketed(here), _bracketed(g)
    axis = f"axis {ctx % np.ndim(payloads[0])}"
    return f"softmax({x}) along {axis}", [f"{y} * ({g} − Σ {g}*{y}), Σ along {axis}"]


def _log_softmax_rule(ctx: Any, payloads: list, names: list[str], g: str, here: str
                      ) -> tuple[str, list[str]] | None:
    if not isinstance(ctx, int) or len(payloads) != 1 or np.ndim(payloads[0]) < 2:
        return None
    x, g = _bracketed(names[0]), _bracketed(g)
    axis = f"axis {ctx % np.ndim(payloads[0])}"
    return (f"log_softmax({x}) along {axis}",
            [f"{g} − softmax({x}) Σ {g}, Σ along {axis}"])


_CTX_RULES: dict[type, Callable[..., Any]] = {
    Mean: _mean_rule, Sum: _sum_rule, MatMul: _matmul_rule, Linear: _linear_rule,
    CrossEntropy: _cross_entropy_rule, Where: _where_rule, LayerNorm: _layer_norm_rule,
    GRUStep: _gru_step_rule, LSTMCellState: _lstm_cell_state_rule,
    LSTMHiddenState: _lstm_hidden_state_rule, RNNSequence: _rnn_sequence_rule,
    GRUSequence: _gru_sequence_rule, LSTMSequence: _lstm_sequence_rule,
    GRULayer: _gru_layer_rule, LSTMLayer: _lstm_layer_rule,
    VectorNorm: _vector_norm_rule, IndexPut: _index_put_rule,
    BinaryCrossEntropy: _binary_cross_entropy_rule,
    BinaryCrossEntropyWithLogits: _bce_with_logits_rule,
    Conv2d: _conv_rule, ConvTranspose2d: _conv_transpose_rule,
    Softmax: _softmax_rule, LogSoftmax: _log_softmax_rule,
}


def ctx_rule(op: type, ctx: Any, payloads: list, names: list[str], g: str, here: str = "out",
             ) -> tuple[str, list[str]] | None:
    """(the node's forward formula, or "" when the page needs none; the gradient each input of
    this node gets), written with the graph's `names`, `g` for the gradient that arrived and
    `here` for the node, for ops whose rule depends on ctx or uses letters of its own; None for
    the others.

    >>> ctx_rule(MatMul, None, [], ["h", "W"], "dL/d#2")
    ('h @ W', ['(dL/d#2) @ Wᵀ', 'hᵀ @ (dL/d#2)'])
    """
    writer = _CTX_RULES.get(op)
    written = None if writer is None else writer(ctx, payloads, names, g, here)
    if written is None:                     # no writer, or the docstring's rule is the one
        return None
    return written if isinstance(written, tuple) else ("", written)
