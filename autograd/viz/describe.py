"""A drawing in words, for a screen reader: what the graph computes (the SVG's <title>) and every
box with what made it and its numbers (its <desc>).

A student who cannot see the picture hears the output's formula first, then the boxes in the
order they are computed, the arrows said as formulas: "#1 = x1 * w1: data -6.0000, grad 0.5000".
A node without a label is "#1", "#2", ... as draw_backprop's page writes it in its box.

>>> from autograd import Value
>>> from autograd.viz.scene import build_scene
>>> x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.5, label="b")
>>> y = (x * w + b).tanh(); y.label = "y"
>>> title, desc = describe(build_scene(y))
>>> title
'computation graph of y = tanh(x * w + b): data 0.4621, grad 0.0000'
>>> desc.splitlines()[2]
'#1 = x * w: data -6.0000, grad 0.0000'
"""

from __future__ import annotations

import re

from .scene import Box, Scene

#: how tightly each operator binds: a lower one inside a higher one is bracketed
_BINDS = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2, "@": 2, "**": 3}
_ATOM = 4                       # a name, a number, a function call
_INLINE = 60                    # an unnamed node's formula longer than this is said by its name
_SPACES = re.compile(r"[\s\N{NO-BREAK SPACE}]+")


def _plain(text: str) -> str:
    """Text as a screen reader should get it: no padding, one space between words."""
    return _SPACES.sub(" ", text).strip()


def describe(scene: Scene) -> tuple[str, str]:
    """(title, description) of `scene`: one line, then one line per box (a collapsed drawing's
    groups included), preceded by the caption when it has one."""
    sources: dict[int, list[int]] = {}
    for a, b in scene.edges:
        sources.setdefault(b, []).append(a)
    made_by = {b: a for a, b in scene.edges if scene.boxes[a].kind == "op"}   # record ← its op
    names = _names(scene.boxes)
    uses = [0] * len(scene.boxes)
    for a, _ in scene.edges:
        uses[a] += 1

    def formula(k: int, inline: bool) -> tuple[str, int]:
        """Box k's definition from its inputs (and how tightly it binds)."""
        op = made_by[k]
        operands = [said(i, inline) for i in sources.get(op, [])]
        return _formula(scene.boxes[op].fields[0], operands)

    def said(k: int, inline: bool) -> tuple[str, int]:
        """Box k as an operand: its name, or for the title an unnamed single-use node's own
        formula when it is short."""
        box = scene.boxes[k]
        if inline and not box.label and box.kind == "record" and k in made_by and uses[k] == 1:
            text, binds = formula(k, inline)
            if len(text) <= _INLINE:
                return text, binds
        return names[k], _ATOM

    lines = [_plain(scene.caption)] if scene.caption else []
    for k, box in enumerate(scene.boxes):
        if box.kind == "op":
            continue
        numbers = _numbers(box)
        if box.kind == "group":
            feeds = [names[i] for op in sources.get(k, []) for i in
                     (sources.get(op, []) if scene.boxes[op].kind == "op" else [op])]
            made = f"; made from {', '.join(dict.fromkeys(feeds))}" if feeds else ""
            lines.append(f"{names[k]}: {numbers}{made}")
        elif k in made_by:
            lines.append(f"{names[k]} = {formula(k, inline=False)[0]}: {numbers}")
        else:
            constant = ", a constant" if box.dashed else ""
            lines.append(f"{names[k]}: {numbers}{constant}")
    outputs = [k for k, box in enumerate(scene.boxes) if box.kind != "op" and not uses[k]]
    if not outputs:
        return "computation graph", "\n".join(lines)
    root = outputs[-1]
    box = scene.boxes[root]
    if root in made_by:
        definition = formula(root, inline=True)[0]
        said_root = f"{box.label} = {definition}" if box.label else definition
    else:
        said_root = names[root]
    return f"computation graph of {said_root}: {_numbers(box)}", "\n".join(lines)


def _names(boxes: list[Box]) -> list[str]:
    """Each box's name: its label; an unlabelled record "#1", "#2", ... in order (a number a
    label already spells is skipped, as the step-through page numbers them); a group its title."""
    taken = {box.label for box in boxes}
    names, count = [], 0
    for box in boxes:
        if box.label or box.kind == "op":
            names.append(box.label)
        elif box.kind == "group":
            names.append(_plain(box.fields[0]))
        else:
            count += 1
            while f"#{count}" in taken:
                count += 1
            names.append(f"#{count}")
    return names


def _numbers(box: Box) -> str:
    """The box's fields after its name: "data 2.0000, grad -1.5000"."""
    fields = box.fields[1:] if box.label or box.kind == "group" else box.fields
    return ", ".join(_plain(field) for field in fields)


def _formula(op: str, operands: list[tuple[str, int]]) -> tuple[str, int]:
    """An op's box text and its operands as a formula: "x1 * w1", "x * 3", "2 ** x", "-x",
    "tanh(n)", "leaky_relu(x, 0.1)".

    >>> _formula("*", [("a + b", 1), ("c", 4)]), _formula("** 2", [("x", 4)])
    (('(a + b) * c', 2), ('x ** 2', 3))
    """
    words = op.split(" ")
    if op in _BINDS and len(operands) == 2:
        return _infix(op, operands[0], operands[1])
    if op == "-" and len(operands) == 1:
        text, binds = operands[0]
        return "-" + (text if binds == _ATOM else f"({text})"), 3
    if len(words) == 2 and len(operands) == 1:
        if words[0] in _BINDS:                                     # x * 3
            return _infix(words[0], operands[0], (words[1], _ATOM))
        if words[1] in _BINDS:                                     # 2 ** x
            return _infix(words[1], (words[0], _ATOM), operands[0])
    arguments = [text for text, _ in operands] + words[1:]          # elu's α and the like
    return f"{words[0]}({', '.join(arguments)})", _ATOM


def _infix(op: str, left: tuple[str, int], right: tuple[str, int]) -> tuple[str, int]:
    """"left op right", an operand bracketed where it binds less tightly than `op`, or as
    tightly on the side that would regroup it: a - (b - c), a / (b * c), (a ** b) ** c.

    >>> _infix("-", ("a", 4), ("b - c", 1)), _infix("**", ("a ** b", 3), ("c", 4))
    (('a - (b - c)', 1), ('(a ** b) ** c', 3))
    """
    binds = _BINDS[op]
    grouping = op in ("+", "*")                         # (a + b) + c is a + b + c
    (ltext, lbinds), (rtext, rbinds) = left, right
    if lbinds < binds or (op == "**" and lbinds == binds):
        ltext = f"({ltext})"
    if rbinds < binds or (rbinds == binds and not grouping and op != "**"):
        rtext = f"({rtext})"
    return f"{ltext} {op} {rtext}", binds
