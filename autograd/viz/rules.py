"""An op's derivative as its own docstring writes it, for the step-by-step drawings.

Every op's one-line docstring reads "forward;  derivative", e.g. Tanh's
"tanh(x);  d/dx = 1 - tanh(x)^2" or Mul's "a * b;  d/da = b, d/db = a". This module splits
that line, so the drawing quotes the very rule the engine runs instead of a second copy of it.

>>> from autograd.ops import Mul, Tanh
>>> rule_text(Tanh)
('tanh(x)', {'x': '1 − tanh(x)²'})
>>> rule_text(Mul)
('a * b', {'a': 'b', 'b': 'a'})
"""

from __future__ import annotations

import re

_PARTIAL = re.compile(r"d/d(\w+) = (.+?)(?=, d/d\w+ = |$)")    # "d/da = b, d/db = a"
_CUTS = (" for ", " with ", ", ", " (")     # what starts a remark after the forward's formula
_REMARK = re.compile(", (?:which|and) ")    # ... and after a derivative ("c * x^(c-1), and 0
                                            # for c = 0" would read as part of the formula)


def _first_line(op: type) -> str:
    """The op's docstring's first paragraph as one line (some wrap onto a second line; what
    follows a blank line is prose, not the rule)."""
    return " ".join((op.__doc__ or "").strip().split("\n\n")[0].split())


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
    head, _, rule = _first_line(op).partition(";")
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
    _, _, rule = _first_line(op).partition(";")
    first = rule.strip().split(". ")[0]
    return {name: pretty(f"d{name} = {text.strip()}") for name, text in _PER_INPUT.findall(first)}


def rule_words(op: type) -> str:
    """The first sentence the docstring says after the ';' (the rule in words or formulas).

    >>> from autograd.ops import Sum
    >>> rule_words(Sum)
    'every summed element gets the upstream gradient'
    """
    head, _, rule = _first_line(op).partition(";")
    words = (rule.strip() or head.strip()).split(". ")[0]
    return pretty(words) if words else f"the rule in {op.name}.backward (it has no docstring)"
