"""`draw_backprop`: backpropagation you can step through, in Jupyter, in a browser, on slides.

>>> from autograd import Value
>>> x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
>>> x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
>>> b = Value(6.8813735870195432, label="b")
>>> o = (x1 * w1 + x2 * w2 + b).tanh(); o.label = "o"
>>> walk = draw_backprop(o)                     # does what o.backward() does, step by step
>>> round(x1.grad, 4), round(w1.grad, 4), round(b.grad, 4)
(-1.5, 1.0, 0.5)
>>> len(walk.steps)                             # the seed, then one step per op node
6
>>> for line in walk.steps[1].lines(): print(line)   # the rule in the graph's names
at o = tanh(#4), the gradient that arrived: 1.0000
do/d#4 = 1 − tanh(#4)² = 0.5000  →  #4 gets 1.0000 × 0.5000 = 0.5000
>>> walk.save("backprop.html")                  # doctest: +SKIP

One drawing is made with the built-in layout (no system package); each step is a small table of
changes to it: which boxes are highlighted, which gradient texts change. The page's JavaScript
applies them (one SVG, not one per step, so big graphs stay small files); without JavaScript the
page shows the drawing's final state, every gradient filled in.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
from dataclasses import replace
from typing import Any

import numpy as np

from ..files import atomic_open
from ..graph import Leaf, Node
from ..warn import warn
from . import labels, page, svg
from .palette import HOT_FILL, TARGET_FILL
from .collapse import collapse
from .draw import DEFAULT_MAX_NODES, _builtin_layout, check_options
from .scene import Scene, build_scene
from .steps import Step, record_backprop, refuse_changed, step_names
from .trace import Trace, trace

UNKNOWN = "not yet"                 # a gradient the walk has not computed yet
_PAD = "\N{NO-BREAK SPACE}"         # pads texts to one width (SVG does not collapse it)
_STEP_FILE = re.compile(r"step_[0-9]+\.svg")     # the names `save` gives the frames
# what the page's drawing says to a screen reader before its boxes: its gradients are the last
# step's (the page reads every step out as it shows it, and each box's own title follows it)
_PAGE_NOTE = "The gradients as backpropagation leaves them, after the last step."


# Steps a page holds by default: about 200 bytes each, so 2,000 make ~0.4 MB of HTML, under
# what Jupyter shows at once (its output limit is ~1 MB/s); micrograd's demo MLP on one example
# takes ~800.
DEFAULT_MAX_STEPS = 2000

# How many widgets with each content (its digest) `html` has made in this process: the count
# goes into their ids, so two of them on one page differ.
_shown: dict[str, int] = {}


def draw_backprop(output: Node, gradient: Any = None, *, rankdir: str = "LR",
                  max_nodes: int | None = DEFAULT_MAX_NODES, preview: int = 4,
                  max_steps: int | None = DEFAULT_MAX_STEPS) -> BackpropDrawing:
    """Run `output.backward(gradient)` one node at a time and record the steps to show them.

    The same gradients end up in `.grad` as with `backward()`; `gradient` is backward's (None:
    1 for a Value or a one-element Tensor). Options as in `draw_graph`: above `max_nodes` nodes,
    nodes made by the same op at the same depth share a box. A graph that could take more than
    `max_steps` steps (one per op) is refused before anything runs, its gradients untouched:
    nobody steps through that many, and the page grows by ~200 bytes a step (beyond a few MB
    Jupyter does not show it). Draw a smaller graph (one example, one neuron), `draw_graph` the
    big one, or pass `max_steps=None`.
    """
    check_options("draw_backprop", output, rankdir, max_nodes, preview)
    if output._fn is None:
        raise RuntimeError("draw_backprop: this result does not require grad (no input "
                           "requires grad, or it was computed under no_grad()); there is no "
                           "backward pass to show")
    walked = trace(output)
    if max_steps is not None and (not isinstance(max_steps, int) or isinstance(max_steps, bool)
                                  or max_steps < 1):
        raise ValueError(f"draw_backprop: max_steps must be a positive int or None, got "
                         f"{max_steps!r}")
    ops = sum(1 for node in walked.nodes if node._fn is not None and node._fn is not Leaf)
    if max_steps is not None and ops + 1 > max_steps:
        raise ValueError(f"draw_backprop: this graph has {ops:,} ops, so up to {ops + 1:,} steps "
                         f"(max_steps={max_steps:,}): too many to step through, on a page of "
                         f"about {(ops + 1) * 200 / 1e6:.1f} MB; draw a smaller graph (one example, one "
                         f"neuron), use draw_graph for this one, or pass max_steps=None")
    if type(output)._notes_writes:                      # before the warning below
        refuse_changed(output)
    before = [_current(node) for node in walked.nodes]   # what the gradients are now
    held = sum(1 for value in before if value is not UNKNOWN)
    if held:
        warn(f"draw_backprop: {held} of the graph's leaves already hold a non-zero "
             f"gradient (from an earlier backward?); the walk adds to it, as backward() "
             f"does. To see this pass alone, zero them first (x.grad = 0, or "
             f"zero_grad())", UserWarning)
    steps = record_backprop(output, gradient, walked)
    scene = build_scene(output, rankdir=rankdir, show_grad=True, max_nodes=max_nodes,
                        preview=preview)
    if scene.stale:     # a Value's (a Tensor's graph is refused, as backward refuses it)
        warn(f"draw_backprop: {scene.stale} The walk gives what backward() gives now: "
             f"gradients at the new numbers where a rule reads its inputs.", UserWarning)
    return BackpropDrawing(steps, walked, scene, before, max_nodes)


def _current(node: Node) -> Any:
    """A leaf's gradient as it is before the walk, if it holds one (the walk adds to it);
    UNKNOWN for the others: a Value's fresh 0.0 and a Tensor's None are "not yet" too, as an
    intermediate's gradient is, until the walk reaches them."""
    grad = node.grad
    if not node.is_leaf or grad is None or not node.requires_grad:
        return UNKNOWN
    data = grad.data if isinstance(grad, Node) else grad      # after create_graph=True
    return grad if np.any(np.asarray(data) != 0) else UNKNOWN


class BackpropDrawing:
    """A recorded backward pass: `.steps`, the drawing at every step, Jupyter display, `save`."""

    def __init__(self, steps: list[Step], walked: Trace, scene: Scene, before: list[Any],
                 max_nodes: int | None) -> None:
        self.steps = steps
        collapsed = max_nodes is not None and len(walked.nodes) > max_nodes    # as build_scene
        self._names = step_names(walked)
        self.scene = scene if collapsed else _numbered(scene, walked, self._names)
        self._box_of = _box_of(walked, max_nodes) if collapsed else None
        self._frames, self._initial = _frames(steps, walked, before, self._box_of)
        self._widths = _widest(self._initial, self._frames)
        self._caption_height: int | None = None          # lines; found when frames are drawn
        static = self._scene_with(self.texts_at(len(self._frames) - 1), hot=(), targets=())
        self._sizes, self._layout = _builtin_layout(static)
        self._svg = svg.render(static, self._sizes, self._layout, note=_PAGE_NOTE)

    # -- what a step looks like ----------------------------------------------------------------

    def _pad(self, box: str, text: str) -> str:
        """`text` centred in the width of the longest text `box` ever shows."""
        missing = self._widths[box] - len(text)
        left = missing // 2
        return _PAD * left + text + _PAD * (missing - left)

    def _scene_with(self, texts: dict[str, str], hot: tuple, targets: tuple) -> Scene:
        """The scene with these gradient texts and highlighted boxes."""
        boxes = []
        for box in self.scene.boxes:
            if box.name in texts:
                box = replace(box, fields=box.fields[:-1] + (self._pad(box.name, texts[box.name]),))
            if box.name in hot:
                box = replace(box, fill=HOT_FILL, outline="hot")
            elif box.name in targets:
                box = replace(box, fill=TARGET_FILL, outline="to")
            boxes.append(box)
        return replace(self.scene, boxes=boxes)

    def texts_at(self, k: int) -> dict[str, str]:
        """Every gradient text of the drawing after step `k` (0-based): box name → text."""
        texts = dict(self._initial)
        for frame in self._frames[:k + 1]:
            texts.update(frame["set"])
        return texts

    def frame_svg(self, k: int) -> str:
        """Step `k` (0-based) as a standalone SVG: highlighted boxes and the step's equations
        in the caption (every frame has as many caption lines, so the graph does not move)."""
        frame = self._frames[k]
        scene = self._scene_with(self.texts_at(k), tuple(frame["hot"]), tuple(frame["to"]))
        if self._caption_height is None:
            self._caption_height = max(len(self._caption_lines(j))
                                       for j in range(len(self._frames)))
        scene = replace(scene, caption=_caption(self._caption_lines(k), self._caption_height))
        return svg.render(scene, self._sizes, self._layout)

    def _caption_lines(self, k: int) -> list[str]:
        """Step `k`'s caption as svg.render wraps it: the counter, the equations, and what the
        drawing collapsed (if it did)."""
        lines = [f"step {k + 1} of {len(self._frames)}"] + self._frames[k]["lines"]
        if self.scene.caption:
            lines.append(self.scene.caption)
        return [part for line in lines for part in svg._wrap(line, svg.CAPTION_CHARS)]

    # -- display and files ---------------------------------------------------------------------

    def html(self) -> str:
        """The widget as an HTML fragment: drawing, equations, controls and a little script.

        Its ids start with a hash of its content, so a notebook run again saves the same HTML
        (no noise in its diffs), and a count of the widgets with that content made so far in
        this process, so the same walk shown twice on a page has its own ids each time. (The
        same widget from before a kernel restart can still be on the page with the same ids:
        each widget's script takes the first such widget not yet started.)
        """
        digest = self._digest()
        count = _shown.get(digest, 0) + 1
        _shown[digest] = count
        return self._html(f"gg-backprop-{digest}" if count == 1
                          else f"gg-backprop-{digest}-{count}")

    def _digest(self) -> str:
        """12 hex digits that change with anything the widget shows."""
        content = hashlib.sha1(self._payload.encode("utf-8"))
        content.update(self._svg.encode("utf-8"))
        return content.hexdigest()[:12]

    def _html(self, prefix: str) -> str:
        """The widget with ids starting with `prefix`."""
        return page.widget(prefix, svg.prefix_ids(self._svg, prefix), self._payload,
                           len(self._frames), self._frames[-1]["lines"])

    @property
    def _payload(self) -> str:
        """The per-step tables as the page's JSON."""
        data = {"init": {b: self._pad(b, t) for b, t in self._initial.items()},
                "frames": [{"hot": f["hot"], "to": f["to"], "lines": f["lines"],
                            "set": {b: self._pad(b, t) for b, t in f["set"].items()}}
                           for f in self._frames]}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | os.PathLike) -> pathlib.Path:
        """Write the page (a name ending in .html or .htm) or every step as its own SVG (a
        folder: a name ending in '/' or an existing folder; files step_001.svg, step_002.svg,
        ...; the step files of an earlier, longer walk saved there are removed, so the slides
        are this walk's only).

        Each file appears complete or not at all (written to a temporary file, then renamed).
        """
        text = os.fspath(path)
        if not text:                                # pathlib would read it as "."
            raise ValueError("BackpropDrawing.save: the path is empty; give a name ending in "
                             ".html, or a folder's ending in '/'")
        path = pathlib.Path(path)
        if text.endswith(("/", os.sep)) or path.is_dir():
            return self._save_frames(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"BackpropDrawing.save: {text!r} is neither an .html file nor a "
                             f"folder (end a folder's name with '/')")
        # alone on its page, the widget needs no count: the same walk saved twice gives the
        # same bytes
        widget = self._html(f"gg-backprop-{self._digest()}")
        with atomic_open(path, "w") as f:
            f.write(page.document(widget, title="glassgrad: backpropagation, step by step"))
        return path

    def _save_frames(self, folder: pathlib.Path) -> pathlib.Path:
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"BackpropDrawing.save: {str(folder)!r} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        digits = max(3, len(str(len(self._frames))))
        written = set()
        for k in range(len(self._frames)):
            name = f"step_{k + 1:0{digits}d}.svg"
            with atomic_open(folder / name, "w") as f:
                f.write(self.frame_svg(k))
            written.add(name)
        for old in folder.glob("step_*.svg"):       # left by an earlier save: not this walk
            if old.name not in written and _STEP_FILE.fullmatch(old.name) and old.is_file():
                old.unlink()
        return folder

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"<BackpropDrawing: {len(self.steps)} steps, {len(self.scene.boxes)} boxes>"


# ----------------------------------------------------------------------------------------------
# The per-step tables
# ----------------------------------------------------------------------------------------------

def _numbered(scene: Scene, walked: Trace, names: list[str]) -> Scene:
    """The scene with its name ("#3") in the box of every node without a label, and a label
    that an earlier node has numbered as the steps' texts number it ("y₂")."""
    boxes = []
    for box in scene.boxes:
        if box.kind == "record":
            position = int(box.name[1:])                    # n3: node 3 of the walk
            if not walked.nodes[position].label:
                box = replace(box, fields=(names[position],) + box.fields)
            elif names[position] != box.fields[0]:          # a second "y" is called y₂
                box = replace(box, fields=(names[position],) + box.fields[1:])
            box = replace(box, label=names[position])
        boxes.append(box)
    return replace(scene, boxes=boxes)


def _box_of(walked: Trace, max_nodes: int) -> list[int]:
    """Collapsed drawings: the group (box g{k}) of every node of the walk."""
    group_of = [0] * len(walked.nodes)
    for g, group in enumerate(collapse(walked, max_nodes).groups):   # as build_scene made them
        for i in group.members:
            group_of[i] = g
    return group_of


class _Gradients:
    """The gradients as far as the walk has come, and the text each box shows for them.

    Kept as arrays, one entry per node of the walk: whether its gradient is known yet, and its
    size (a Value's gradient, a Tensor gradient's norm, or its one number if it has one and
    has a box of its own; `empty`: a Tensor whose .grad is None).
    A collapsed box sums up thousands of nodes, and numpy does that in microseconds per step.
    """

    def __init__(self, nodes: list[Node], before: list[Any], box_of: list[int] | None) -> None:
        count = len(nodes)
        self.known = np.zeros(count, bool)
        self.amount = np.zeros(count)
        self.empty = np.zeros(count, bool)
        self.tensor = [labels.is_tensor(node) for node in nodes]
        # the gradient as a signed number: a Value's, and a one-number Tensor's in its own box
        self.signed = [not tensor or (box_of is None and node.data.size == 1)
                       for tensor, node in zip(self.tensor, nodes)]
        members: dict[str, list[int]] = {}
        for i, node in enumerate(nodes):
            if node.requires_grad:
                members.setdefault(f"g{box_of[i]}" if box_of else f"n{i}", []).append(i)
        self.members = {box: np.array(group) for box, group in members.items()}
        self.collapsed = box_of is not None
        for i, grad in enumerate(before):
            self.set(i, grad)

    def set(self, i: int, grad: Any) -> None:
        """Node `i` now holds `grad` (UNKNOWN: not reached yet)."""
        self.known[i] = grad is not UNKNOWN
        self.empty[i] = grad is None
        if grad is not UNKNOWN and grad is not None:
            if isinstance(grad, Node):          # after backward(create_graph=True)
                grad = grad.data
            if not self.tensor[i]:
                self.amount[i] = float(grad)
            elif self.signed[i]:
                self.amount[i] = float(np.asarray(grad).reshape(-1)[0])
            else:
                self.amount[i] = _norm(grad)

    def text(self, box: str) -> str:
        """The box's gradient field, worded like `labels.node_fields` and `scene`'s groups."""
        group = self.members[box]
        first = group[0]
        known = group[self.known[group] & ~self.empty[group]]
        if not self.collapsed:                          # one node
            if not self.known[first]:                   # one wording, Values and Tensors
                return f"grad {UNKNOWN}"
            if self.empty[first]:
                return "grad None"
            amount = labels.number(self.amount[first])
            return f"grad {amount}" if self.signed[first] else f"‖grad‖ {amount}"
        if not known.size:
            return f"grad {UNKNOWN}"
        if self.tensor[first]:                          # the largest norm known so far
            return f"max ‖grad‖ {labels.number(self.amount[known].max())}"
        return f"grad {labels.span(self.amount[known])}"          # the range so far


def _norm(grad: Any) -> float:
    grad = np.asarray(grad, dtype=np.float64).reshape(-1)
    return float(np.linalg.norm(grad)) if grad.size else 0.0


def _frames(steps: list[Step], walked: Trace, before: list[Any], box_of: list[int] | None,
            ) -> tuple[list[dict], dict[str, str]]:
    """One dict per step — boxes to highlight ("hot": the node, "to": its inputs), gradient
    texts that change ("set") and the step's equations ("lines") — and the texts before it."""
    nodes = walked.nodes
    gradients = _Gradients(nodes, before, box_of)

    def boxes(i: int, with_op: bool = False) -> list[str]:
        if box_of is not None:
            return [f"g{box_of[i]}"]
        return [f"n{i}", f"op{i}"] if with_op and not nodes[i].is_leaf else [f"n{i}"]

    initial = {box: gradients.text(box) for box in gradients.members}
    shown = dict(initial)
    frames = []
    for step in steps:
        if step.is_seed:
            changed = {step.position: step.arrived}
        else:
            changed = {part.position: part.grad for part in step.inputs
                       if part.contribution is not None}
        for i, grad in changed.items():
            gradients.set(i, grad)
        frames.append({"hot": boxes(step.position, with_op=True),
                       "to": list(dict.fromkeys(b for i in changed for b in boxes(i)
                                                if not step.is_seed)),
                       "set": _changes(shown, {b for i in changed for b in boxes(i)},
                                       gradients.text),
                       "lines": step.lines()})
    # the last step shows every gradient as the walk left it: this adds the nodes that no
    # gradient reached (their empty 0.0 or None) and a leaf output's accumulated gradient
    for i, node in enumerate(nodes):
        if node.requires_grad:
            gradients.set(i, node.grad)
    frames[-1]["set"].update(_changes(shown, set(gradients.members), gradients.text))
    return frames, initial


def _changes(shown: dict[str, str], boxes: set[str], text: Any) -> dict[str, str]:
    """The texts of `boxes` that differ from what is `shown` (which is updated)."""
    changes = {}
    for box in sorted(boxes):
        new = text(box)
        if shown[box] != new:
            changes[box] = shown[box] = new
    return changes


def _widest(initial: dict[str, str], frames: list[dict]) -> dict[str, int]:
    """For each box, the length of the longest gradient text it shows at any step."""
    widths = {box: len(t) for box, t in initial.items()}
    for frame in frames:
        for box, t in frame["set"].items():
            widths[box] = max(widths[box], len(t))
    return widths


def _caption(lines: list[str], count: int) -> str:
    """Wrapped `lines` as a caption of exactly `count` lines: each line filled to the wrap width
    with no-break spaces, which svg's wrapper treats as letters (so it breaks after each one),
    and blank lines added at the end."""
    lines = lines + [""] * (count - len(lines))
    return " ".join(line.ljust(svg.CAPTION_CHARS, _PAD) for line in lines)


__all__ = ["draw_backprop", "BackpropDrawing"]
